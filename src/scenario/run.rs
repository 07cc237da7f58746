//! Running a validated scenario into an output folder: the library side of `asslb run`.
//!
//! The run owns its folder: it holds the folder's lock ([`FolderLock`]) from before the first
//! file is written until it ends, and a new run does not replace an earlier run's files unless
//! asked ([`ExistingFiles::Replace`]). The folder gets `run.toml` first (status "running", the
//! resolved scenario and its digest), then, as the run goes, `timeseries.csv` (the cycles
//! `save_cycles` selects), `summary.csv` (one row per cycle) and, with an `[impedance]`
//! section, `impedance.csv` (one spectrum per requested cycle); at the end the figures (PNG and
//! SVG, each written under a temporary name and renamed) and only then `run.toml` again with
//! status "finished" and the solver's statistics. A run that fails keeps every row and cycle
//! computed, and records the error in `run_error.txt` and `run.toml`. The run's report
//! (`report.html`, `report.md`) is written after, by [`RunReport::write_report_files`] (in
//! `run_page.rs`), which `asslb run` calls with the summary it prints.

use std::path::{Path, PathBuf};

use crate::error_chain::error_chain;
use crate::figures::{plot_resistances_vs_cycle, write_nyquist, FigureError};
use crate::output::{
    check_summary, scenario_digest, write_plots, write_run_record, EarlierRun, FolderError,
    FolderLock, Observing, RowsError, RunObserver, RunSink, RunStatus, CHECKPOINT_FILE,
    RUN_RECORD_FILE,
};
use crate::protocol::{Checkpoint, RunSummary, SimulationError, Tee, TimeseriesSink};

use super::{Driver, MemorySink, Scenario};

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
    /// The impedance spectra, `<out>/impedance.csv`, when the run took any.
    pub impedance: Option<PathBuf>,
    /// Their equivalent-circuit fits, `<out>/impedance_fit.csv`, when the scenario names a
    /// circuit.
    pub impedance_fit: Option<PathBuf>,
    /// The figures written (PNG and SVG).
    pub plots: Vec<PathBuf>,
    /// The run record, `<out>/run.toml`.
    pub record: PathBuf,
}

/// What a new run does with the files of an earlier run in its output folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExistingFiles {
    /// Refuse to start ([`FolderError::Occupied`]), writing nothing: `asslb run` without
    /// `--overwrite`.
    Refuse,
    /// Replace them: `asslb run --overwrite`, and a sweep's cases, whose folders the sweep owns.
    Replace,
}

/// Why a run did not produce a complete result.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The output folder is held by another run, or holds an earlier run that is not to be
    /// replaced. Nothing was written.
    #[error(transparent)]
    Folder(#[from] FolderError),
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
        source: FigureError,
    },
    /// The run's report (`report.html`, `report.md`) could not be made or written.
    #[error("the run finished and its data are in {}, but its report could not be written", .path.display())]
    Report {
        /// The folder.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: crate::html::HtmlError,
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
        /// The simulation's error (boxed: it carries the solver's failure as data, and the
        /// other variants stay small).
        #[source]
        source: Box<SimulationError>,
    },
}

/// Runs `scenario` into `out_dir` (created if needed), holding the folder's lock while it
/// runs. Files of an earlier run there are replaced or refused as `existing` says. The scenario
/// is already validated, so nothing is written for bad input: call this only after
/// [`super::load_scenario`] succeeded.
///
/// `observer` hears of each cycle once its row is in `summary.csv` (a
/// [`crate::output::Progress`] draws the progress line from it); `&mut ()` for none.
pub fn run_scenario(
    scenario: &Scenario,
    out_dir: &Path,
    existing: ExistingFiles,
    observer: &mut dyn RunObserver,
) -> Result<RunReport, RunError> {
    execute(scenario, out_dir, observer, Start::New(existing), None)
}

/// [`run_scenario`], feeding `memory` too: one run gives its folder and its data in memory
/// (the figures of every cycle, rows, spectra and their fits), as validation and fitting read
/// them. End `memory` with [`MemorySink::finish`] once this returns.
pub fn run_scenario_keeping(
    scenario: &Scenario,
    out_dir: &Path,
    existing: ExistingFiles,
    observer: &mut dyn RunObserver,
    memory: &mut MemorySink,
) -> Result<RunReport, RunError> {
    execute(
        scenario,
        out_dir,
        observer,
        Start::New(existing),
        Some(memory),
    )
}

/// Cycles between checkpoints (`checkpoint.toml` in the output folder): a run that stops
/// loses at most this many cycles of work, which [`resume_run`] computes again.
pub const CHECKPOINT_EVERY_CYCLES: usize = 50;

/// Why an interrupted run cannot be taken up.
#[derive(Debug, thiserror::Error)]
pub enum ResumeError {
    /// The folder has no readable `run.toml` with a `[scenario]` table.
    #[error("{}: not the folder of an asslb run ({reason})", .dir.display())]
    NotARun {
        /// The folder.
        dir: PathBuf,
        /// What is missing.
        reason: String,
    },
    /// Another run holds the folder.
    #[error(transparent)]
    Folder(#[from] FolderError),
    /// `run.toml` does not describe the run its files and checkpoint belong to.
    #[error("{}: {reason}; start the run again in a new folder (or with --overwrite)", .record.display())]
    Edited {
        /// The run record.
        record: PathBuf,
        /// What does not match.
        reason: String,
    },
    /// The per-cycle summary is missing, malformed, cut short or has gaps.
    #[error(transparent)]
    Summary(#[from] RowsError),
    /// The run has already finished.
    #[error("{}: the run has already finished; start it again with `asslb run <scenario>`", .dir.display())]
    Finished {
        /// The folder.
        dir: PathBuf,
    },
    /// The recorded scenario no longer loads (for example a parameter file that moved).
    #[error("the scenario recorded in {} no longer loads", .record.display())]
    Scenario {
        /// The run record.
        record: PathBuf,
        /// The error.
        #[source]
        source: Box<super::ScenarioError>,
    },
    /// No checkpoint to continue from.
    #[error("{}: no checkpoint to continue from (the run stopped before its first checkpoint, after cycle {CHECKPOINT_EVERY_CYCLES}); start it again", .dir.display())]
    NoCheckpoint {
        /// The folder.
        dir: PathBuf,
    },
    /// The checkpoint cannot be read.
    #[error(transparent)]
    Checkpoint(#[from] crate::protocol::checkpoint::CheckpointError),
}

/// The scenario and checkpoint of an interrupted run in `dir`, for [`resume_run`]: the
/// scenario as recorded in `run.toml` (every `--set` and default included) and the last
/// checkpoint.
///
/// The folder is verified, not trusted: it must not be held by a running process, its
/// `[scenario]` must match the digest recorded when the run started, and `summary.csv` must
/// hold whole rows of cycles 1 to the checkpoint's, without gaps. Nothing is written.
pub fn load_interrupted_run(dir: &Path) -> Result<(Scenario, Checkpoint), ResumeError> {
    FolderLock::check_free(dir)?;
    let record = dir.join(RUN_RECORD_FILE);
    let not_a_run = |reason: String| ResumeError::NotARun {
        dir: dir.to_path_buf(),
        reason,
    };
    let text = std::fs::read_to_string(&record)
        .map_err(|e| not_a_run(format!("{}: {e}", record.display())))?;
    let table: toml::Table =
        toml::from_str(&text).map_err(|e| not_a_run(format!("{}: {e}", record.display())))?;
    let status = table
        .get("asslb")
        .and_then(|a| a.get("status"))
        .and_then(|s| s.as_str())
        .unwrap_or("");
    if status == "finished" {
        return Err(ResumeError::Finished {
            dir: dir.to_path_buf(),
        });
    }
    let scenario_table = table
        .get("scenario")
        .and_then(|s| s.as_table())
        .ok_or_else(|| not_a_run(format!("{} has no [scenario] table", record.display())))?;
    let edited = |reason: String| ResumeError::Edited {
        record: record.clone(),
        reason,
    };
    let recorded_digest = table
        .get("asslb")
        .and_then(|a| a.get("scenario_digest"))
        .and_then(|s| s.as_str())
        .ok_or_else(|| {
            edited(
                "no `scenario_digest` in [asslb] to check its [scenario] against (the line was \
                 removed, or the run was started by an older asslb)"
                    .into(),
            )
        })?;
    let digest = scenario_digest(scenario_table)
        .map_err(|e| not_a_run(format!("{}: {e}", record.display())))?;
    if digest != recorded_digest {
        return Err(edited(format!(
            "its [scenario] was changed after the run started (digest {digest}, recorded \
             {recorded_digest}): the checkpoint and the files belong to the scenario as it was"
        )));
    }
    let scenario_text = toml::to_string(scenario_table)
        .map_err(|e| not_a_run(format!("{}: {e}", record.display())))?;
    let scenario = super::parse_scenario(&scenario_text, &record, dir).map_err(|source| {
        ResumeError::Scenario {
            record: record.clone(),
            source: Box::new(source),
        }
    })?;
    let checkpoint_path = dir.join(CHECKPOINT_FILE);
    if !checkpoint_path.exists() {
        return Err(ResumeError::NoCheckpoint {
            dir: dir.to_path_buf(),
        });
    }
    let checkpoint = Checkpoint::read(&checkpoint_path)?;
    let cycles = scenario.experiment.cycles();
    if checkpoint.cycles_done > cycles {
        return Err(edited(format!(
            "its experiment has {cycles} cycles, but the checkpoint is after cycle {}",
            checkpoint.cycles_done
        )));
    }
    check_summary(dir, checkpoint.cycles_done)?;
    Ok((scenario, checkpoint))
}

/// Continues the interrupted run of `scenario` in `out_dir` from `checkpoint` (see
/// [`load_interrupted_run`]): the files keep the cycles the checkpoint covers and grow from
/// there, and the results are those of an uninterrupted run.
pub fn resume_run(
    scenario: &Scenario,
    checkpoint: &Checkpoint,
    out_dir: &Path,
    observer: &mut dyn RunObserver,
) -> Result<RunReport, RunError> {
    execute(scenario, out_dir, observer, Start::Resume(checkpoint), None)
}

/// How a run starts: anew, or from a checkpoint of the run in its folder.
#[derive(Clone, Copy)]
enum Start<'a> {
    New(ExistingFiles),
    Resume(&'a Checkpoint),
}

fn execute(
    scenario: &Scenario,
    out_dir: &Path,
    observer: &mut dyn RunObserver,
    start: Start<'_>,
    also: Option<&mut dyn TimeseriesSink>,
) -> Result<RunReport, RunError> {
    let folder_error = |source| RunError::OutputFolder {
        path: out_dir.to_path_buf(),
        source,
    };
    let output_error = |source| RunError::Output {
        path: out_dir.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(out_dir).map_err(folder_error)?;
    // Held until this function returns, whatever it returns.
    let lock = FolderLock::acquire(out_dir)?;
    if let Some(holder) = lock.taken_over() {
        observer.lock_taken_over(out_dir, holder);
    }
    let checkpoint = match start {
        Start::New(ExistingFiles::Refuse) => {
            if let Some(earlier) = EarlierRun::find(out_dir) {
                return Err(FolderError::Occupied { earlier }.into());
            }
            None
        }
        Start::New(ExistingFiles::Replace) => None,
        Start::Resume(cp) => Some(cp),
    };
    write_run_record(out_dir, &scenario.document, &[], RunStatus::Running).map_err(folder_error)?;
    let mut sink = match checkpoint {
        None => RunSink::create(
            out_dir,
            scenario.save_cycles.clone(),
            scenario.parameters.active_mass_kg(),
            scenario.reference_cycle,
            scenario.parameters.negative.ocp_v,
        ),
        Some(cp) => RunSink::resume(
            out_dir,
            scenario.save_cycles.clone(),
            scenario.parameters.active_mass_kg(),
            scenario.reference_cycle,
            scenario.parameters.negative.ocp_v,
            scenario.parameters.host_capacity_ah(),
            cp.cycles_done,
        ),
    }
    .map_err(folder_error)?;
    sink.set_checkpoint_every(Some(CHECKPOINT_EVERY_CYCLES));
    if let Some(text) = scenario
        .impedance
        .as_ref()
        .and_then(|s| s.circuit.as_deref())
    {
        // Checked when the scenario was read; a failure here is reported all the same.
        let circuit = crate::impedance::Circuit::parse(text).map_err(|e| {
            folder_error(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("impedance.circuit: {e}"),
            ))
        })?;
        sink.fit_spectra_with(circuit).map_err(folder_error)?;
    }
    let driver = Driver::new(scenario);
    let mut observing = Observing(observer);
    let result = match also {
        Some(also) => driver.run_into(
            checkpoint,
            &mut Tee::new(&mut Tee::new(&mut sink, also), &mut observing),
        ),
        None => driver.run_into(checkpoint, &mut Tee::new(&mut sink, &mut observing)),
    };
    match result {
        Ok(summary) => {
            let files = sink.finish().map_err(output_error)?;
            // run.toml says "finished" only once every file, figures included, is complete.
            let plots = write_run_figures(out_dir, &files).map_err(|source| {
                let reason = format!("the figures could not be drawn: {}", error_chain(&source));
                // Best effort: the error returned says what went wrong either way.
                let _ = write_run_record(
                    out_dir,
                    &scenario.document,
                    &solver_stats(&summary),
                    RunStatus::Failed(&reason),
                );
                RunError::Plots {
                    path: out_dir.to_path_buf(),
                    source,
                }
            })?;
            let record = write_run_record(
                out_dir,
                &scenario.document,
                &solver_stats(&summary),
                RunStatus::Finished,
            )
            .map_err(output_error)?;
            Ok(RunReport {
                summary,
                timeseries: files.timeseries,
                rows: files.timeseries_rows,
                cycle_summary: files.summary,
                impedance: files.impedance,
                impedance_fit: files.impedance_fit,
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
                source: Box::new(source),
            })
        }
    }
}

/// The figures of a finished run: the three run figures, the Nyquist figure with spectra, the
/// resistances with circuit fits.
fn write_run_figures(
    out_dir: &Path,
    files: &crate::output::RunFiles,
) -> Result<Vec<PathBuf>, FigureError> {
    let mut plots = write_plots(out_dir, &files.plot_data)?;
    if !files.spectra.is_empty() {
        plots.extend(write_nyquist(out_dir, &files.spectra)?);
    }
    if files
        .resistances
        .iter()
        .any(|(_, points)| !points.is_empty())
    {
        plots.extend(plot_resistances_vs_cycle(out_dir, &files.resistances)?);
    }
    Ok(plots)
}

/// The solver's statistics for `run.toml`, names carrying their units.
fn solver_stats(s: &RunSummary) -> Vec<(String, f64)> {
    vec![
        ("cycles".to_string(), s.cycles as f64),
        ("unknowns".to_string(), s.unknowns as f64),
        ("solver_steps".to_string(), s.solver_steps as f64),
        ("skipped_steps".to_string(), s.skipped_steps as f64),
        ("ended_near_cutoff".to_string(), s.ended_near_cutoff as f64),
        ("jumped_cycles".to_string(), s.jumped_cycles as f64),
        ("jumps".to_string(), s.jumps as f64),
        ("impedance_spectra".to_string(), s.impedance_spectra as f64),
        ("impedance_time_s".to_string(), s.impedance_time_s),
        ("wall_time_s".to_string(), s.wall_time_s),
    ]
}
