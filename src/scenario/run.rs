//! Running a validated scenario into an output folder: the library side of `asslb run`.
//!
//! The folder gets `run.toml` first (status "running", the resolved scenario), then, as the run
//! goes, `timeseries.csv` (the cycles `save_cycles` selects) and `summary.csv` (one row per
//! cycle); at the end the figures (PNG and SVG) and `run.toml` again with the final status and
//! the solver's statistics. A run that fails keeps every row and cycle computed, and records the
//! error in `run_error.txt` and `run.toml`.

use std::error::Error;
use std::path::{Path, PathBuf};

use crate::output::{write_plots, write_run_record, PlotError, RunSink, RunStatus};
use crate::protocol::{simulate, RunSummary, SimulationError};

use super::Scenario;

/// What a finished run produced.
#[derive(Debug, Clone, PartialEq)]
pub struct RunReport {
    /// The solver's account of the run: cycles, the last cycle's steps, statistics.
    pub summary: RunSummary,
    /// The time series, `<out>/timeseries.csv`.
    pub timeseries: PathBuf,
    /// Data rows written to the time series.
    pub rows: u64,
    /// The per-cycle summary, `<out>/summary.csv`.
    pub cycle_summary: PathBuf,
    /// The figures written (PNG and SVG).
    pub plots: Vec<PathBuf>,
    /// The run record, `<out>/run.toml`.
    pub record: PathBuf,
}

/// Why a run did not produce a complete result.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The output folder could not be created or written to before the run started.
    #[error("cannot write to the output folder {}", .path.display())]
    OutputFolder {
        /// The folder.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// The run finished but its files could not be completed on disk.
    #[error("the run finished but the files in {} could not be completed", .path.display())]
    Output {
        /// The folder.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// The run finished and its data are on disk, but the figures could not be drawn.
    #[error("the run finished and its data are in {}, but the figures could not be drawn", .path.display())]
    Plots {
        /// The folder.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: PlotError,
    },
    /// The simulation stopped with an error. The rows and cycles computed before it are kept in
    /// `timeseries.csv` and `summary.csv`, and the error is recorded in `run_error.txt` and
    /// `run.toml` (unless saving them failed too, which `saved` then says).
    #[error("the run stopped before the end; {saved}")]
    Simulation {
        /// Where the partial results went, in words.
        saved: String,
        /// The partial time series, if it was saved.
        timeseries: Option<PathBuf>,
        /// The simulation's error.
        #[source]
        source: SimulationError,
    },
}

/// Runs `scenario` into `out_dir` (created if needed; the files of an earlier run there are
/// replaced). The scenario is already validated, so nothing is written for bad input: call this
/// only after [`super::load_scenario`] succeeded.
pub fn run_scenario(scenario: &Scenario, out_dir: &Path) -> Result<RunReport, RunError> {
    let folder_error = |source| RunError::OutputFolder {
        path: out_dir.to_path_buf(),
        source,
    };
    let output_error = |source| RunError::Output {
        path: out_dir.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(out_dir).map_err(folder_error)?;
    write_run_record(out_dir, &scenario.document, &[], RunStatus::Running).map_err(folder_error)?;
    let mut sink = RunSink::create(
        out_dir,
        scenario.save_cycles.clone(),
        scenario.parameters.active_mass_kg(),
    )
    .map_err(folder_error)?;
    let result = simulate(
        &scenario.parameters,
        &scenario.mesh,
        &scenario.solver,
        &scenario.experiment,
        &mut sink,
    );
    match result {
        Ok(summary) => {
            let files = sink.finish().map_err(output_error)?;
            let record = write_run_record(
                out_dir,
                &scenario.document,
                &solver_stats(&summary),
                RunStatus::Finished,
            )
            .map_err(output_error)?;
            let plots =
                write_plots(out_dir, &files.plot_data).map_err(|source| RunError::Plots {
                    path: out_dir.to_path_buf(),
                    source,
                })?;
            Ok(RunReport {
                summary,
                timeseries: files.timeseries,
                rows: files.timeseries_rows,
                cycle_summary: files.summary,
                plots,
                record,
            })
        }
        Err(source) => {
            let reason = format!(
                "scenario: {}\nerror: {}",
                scenario
                    .path
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| scenario.name.clone()),
                error_chain(&source)
            );
            let (saved, timeseries) = match sink.abandon(&reason) {
                Ok(kept) => {
                    let record = match write_run_record(
                        out_dir,
                        &scenario.document,
                        &[],
                        RunStatus::Failed(&reason),
                    ) {
                        Ok(path) => format!(" and {}", path.display()),
                        Err(e) => format!(" (writing run.toml failed: {e})"),
                    };
                    (
                        format!(
                            "the {} rows computed so far are in {}, the {} finished cycles in {}, and the error is recorded in {}{record}",
                            kept.timeseries_rows,
                            kept.timeseries.display(),
                            kept.cycles,
                            kept.summary.display(),
                            kept.error_file
                                .as_ref()
                                .map(|p| p.display().to_string())
                                .unwrap_or_else(|| "run_error.txt".to_string()),
                        ),
                        Some(kept.timeseries),
                    )
                }
                Err(e) => (
                    format!(
                        "saving the rows computed so far in {} failed too ({e})",
                        out_dir.display()
                    ),
                    None,
                ),
            };
            Err(RunError::Simulation {
                saved,
                timeseries,
                source,
            })
        }
    }
}

/// The solver's statistics for `run.toml`, names carrying their units.
fn solver_stats(s: &RunSummary) -> Vec<(String, f64)> {
    vec![
        ("cycles".to_string(), s.cycles as f64),
        ("unknowns".to_string(), s.unknowns as f64),
        ("solver_steps".to_string(), s.solver_steps as f64),
        ("skipped_steps".to_string(), s.skipped_steps as f64),
        ("wall_time_s".to_string(), s.wall_time_s),
    ]
}

/// An error and its causes, one per line (`caused by: …`).
fn error_chain(e: &dyn Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(&format!("\ncaused by: {c}"));
        cause = c.source();
    }
    text
}
