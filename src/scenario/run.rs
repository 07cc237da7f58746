//! Running a validated scenario into an output folder: the library side of `asslb run`.

use std::error::Error;
use std::path::{Path, PathBuf};

use crate::output::TimeseriesCsv;
use crate::protocol::{simulate, RunSummary, SimulationError};

use super::Scenario;

/// What a finished run produced.
#[derive(Debug, Clone, PartialEq)]
pub struct RunReport {
    /// The solver's account of the run: per-step end reasons, capacities, voltages, statistics.
    pub summary: RunSummary,
    /// The complete time series, `<out>/timeseries.csv`.
    pub timeseries: PathBuf,
    /// Data rows written.
    pub rows: u64,
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
    /// The run finished but its time series could not be completed on disk.
    #[error("the run finished but {} could not be completed", .path.display())]
    Output {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// The simulation stopped with an error. The rows computed before it are kept in
    /// `timeseries.csv` and the error is recorded in `run_error.txt` (unless saving them failed
    /// too, which `saved` then says).
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

/// Runs `scenario`, writing `<out_dir>/timeseries.csv` (the folder is created if needed). The
/// scenario is already validated, so nothing is written for bad input: call this only after
/// [`super::load_scenario`] succeeded.
pub fn run_scenario(scenario: &Scenario, out_dir: &Path) -> Result<RunReport, RunError> {
    let folder_error = |source| RunError::OutputFolder {
        path: out_dir.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(out_dir).map_err(folder_error)?;
    let mut csv = TimeseriesCsv::create(out_dir).map_err(folder_error)?;
    let result = simulate(
        &scenario.parameters,
        &scenario.mesh,
        &scenario.solver,
        &scenario.steps,
        &mut csv,
    );
    match result {
        Ok(summary) => {
            let rows = csv.rows();
            let timeseries = csv.finish().map_err(|source| RunError::Output {
                path: out_dir.join(crate::output::TIMESERIES_FILE),
                source,
            })?;
            Ok(RunReport {
                summary,
                timeseries,
                rows,
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
            let (saved, timeseries) = match csv.abandon(&reason) {
                Ok(kept) => (
                    format!(
                        "the {} rows computed so far are in {} and the error is recorded in {}",
                        kept.rows,
                        kept.timeseries.display(),
                        kept.error_file.display()
                    ),
                    Some(kept.timeseries),
                ),
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
