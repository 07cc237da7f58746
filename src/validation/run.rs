//! Running a validation: the runs in parallel, the comparisons, and the files.
//!
//! Output folder (default `out/validation/<name>`):
//! - `runs/<label>/summary.csv`: each run's per-cycle figures, streamed as the run goes;
//! - `comparison.csv`: one row per comparison (quantity, conditions, measured, simulated,
//!   error, tolerance, verdict, provenance);
//! - `report.md`: the table and the figures, with each run's solver account;
//! - `report.html`: the same as one self-contained page, the figures embedded;
//! - the figures (PNG and SVG): capacity, coulombic efficiency and mean discharge voltage
//!   against cycle, and voltage against capacity, with the measured data over the simulated
//!   curves.

use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;

use crate::output::RunObserver;
use crate::protocol::CycleSummary;
use crate::scenario::Scenario;

use super::bands::assign_bands;
use super::compare::{compare, Comparison};
use super::report::{write_comparisons_csv, write_report, ReportContent};
use super::report_page::write_report_page;
use super::simulated::{simulate_observed, OutputFailure, SimulatedRun, Wanted};
use super::spec::ValidationSpec;
use super::ValidationError;

/// Options of [`run_validation`].
#[derive(Debug, Clone, PartialEq)]
pub struct ValidateOptions {
    /// The output folder.
    pub out: PathBuf,
    /// Worker threads for the runs (`None`: one per core).
    pub jobs: Option<usize>,
    /// The prediction uncertainties of a fit made at exactly the runs' parameters, one per
    /// residual in the fit's order ([`super::bands::assign_bands`]); they take the place of the
    /// validation file's `bands`. `None`: the file's bands, if any.
    pub residual_std_errors: Option<Vec<f64>>,
}

/// What a validation found and wrote.
#[derive(Debug, Clone)]
pub struct ValidationReport {
    /// Every comparison, in the order of the table.
    pub comparisons: Vec<Comparison>,
    /// The runs.
    pub runs: Vec<SimulatedRun>,
    /// `comparison.csv`.
    pub csv: PathBuf,
    /// `report.md`.
    pub report: PathBuf,
    /// `report.html`.
    pub page: PathBuf,
    /// The figures written.
    pub figures: Vec<PathBuf>,
    /// Wall time of the runs \[s\].
    pub wall_time_s: f64,
    /// Why the validation file's prediction bands are not shown (they were made at other
    /// parameter values), when it names some.
    pub bands_note: Option<String>,
}

impl ValidationReport {
    /// Whether every comparison passed and every run finished.
    pub fn passed(&self) -> bool {
        self.comparisons.iter().all(|c| c.pass) && self.runs.iter().all(|r| r.error.is_none())
    }
}

/// Simulates `scenarios` (one per run of `spec`, in its order; a fit passes them with its
/// parameters set) in parallel on the current rayon pool, resolving and recording the cycles
/// the comparisons need (with `for_report`, also the voltage curves of the target points'
/// cycles, which the report draws). With `summary_root`, each run streams its figures to
/// `<summary_root>/<label>/summary.csv`.
pub fn simulate_runs(
    spec: &ValidationSpec,
    scenarios: &[&Scenario],
    for_report: bool,
    summary_root: Option<&Path>,
) -> Result<Vec<SimulatedRun>, OutputFailure> {
    simulate_runs_observed(spec, scenarios, for_report, summary_root, &())
}

/// Told of the runs of a validation as they go, from the worker threads: a progress display.
pub trait RunsObserver: Sync {
    /// Run `run` (its index in the validation file's order) finished cycle `summary.cycle`.
    fn cycle_finished(&self, run: usize, summary: &CycleSummary) {
        let _ = (run, summary);
    }

    /// A run ended.
    fn run_finished(&self, run: &SimulatedRun) {
        let _ = run;
    }
}

/// No observer.
impl RunsObserver for () {}

/// The cycles of run `run`, told to a [`RunsObserver`].
struct RunCycles<'a> {
    run: usize,
    observer: &'a dyn RunsObserver,
}

impl RunObserver for RunCycles<'_> {
    fn cycle_finished(&mut self, summary: &CycleSummary) {
        self.observer.cycle_finished(self.run, summary);
    }
}

/// [`simulate_runs`], telling `observer` of each cycle and each run as it ends (from the
/// worker threads).
pub fn simulate_runs_observed(
    spec: &ValidationSpec,
    scenarios: &[&Scenario],
    for_report: bool,
    summary_root: Option<&Path>,
    observer: &dyn RunsObserver,
) -> Result<Vec<SimulatedRun>, OutputFailure> {
    scenarios
        .par_iter()
        .enumerate()
        .map(|(k, scenario)| {
            let label = &spec.runs[k].label;
            let dir = summary_root.map(|root| root.join(label));
            let wanted = Wanted {
                resolve: spec.compared_cycles(k),
                curves: if for_report {
                    spec.plotted_cycles(k)
                } else {
                    spec.curve_cycles(k)
                },
                spectra: spec.spectrum_cycles(k),
            };
            let mut cycles = RunCycles { run: k, observer };
            let run = simulate_observed(label, scenario, &wanted, dir.as_deref(), &mut cycles)?;
            observer.run_finished(&run);
            Ok(run)
        })
        .collect()
}

/// Runs the validation `spec` into `options.out`: the runs (in parallel), the comparisons,
/// `comparison.csv`, the figures, `report.md` and `report.html`. A run that fails does not stop the others:
/// its cycles up to the failure are compared and the rest have no simulated value (they fail).
pub fn run_validation(
    spec: &ValidationSpec,
    options: &ValidateOptions,
) -> Result<ValidationReport, ValidationError> {
    run_validation_observed(spec, options, &())
}

/// [`run_validation`], telling `observer` of each cycle and each run as it ends (from the
/// worker threads), for a progress display.
pub fn run_validation_observed(
    spec: &ValidationSpec,
    options: &ValidateOptions,
    observer: &dyn RunsObserver,
) -> Result<ValidationReport, ValidationError> {
    let out = &options.out;
    std::fs::create_dir_all(out).map_err(|source| ValidationError::Output {
        path: out.clone(),
        source,
    })?;
    let jobs = options.jobs.unwrap_or(0);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| ValidationError::Pool {
            jobs,
            message: e.to_string(),
        })?;
    let started = Instant::now();
    let scenarios: Vec<&Scenario> = spec.runs.iter().map(|r| &r.scenario).collect();
    let runs = pool.install(|| {
        simulate_runs_observed(spec, &scenarios, true, Some(&out.join("runs")), observer)
    })?;
    let wall_time_s = started.elapsed().as_secs_f64();
    let mut comparisons = compare(spec, &runs);
    let mut bands_note = None;
    match (&options.residual_std_errors, &spec.bands) {
        (Some(std), _) => {
            assign_bands(&mut comparisons, std).map_err(|why| ValidationError::Bands {
                file: spec.path.clone(),
                why,
            })?
        }
        (None, Some(file)) => match file.bands.mismatch(&spec.runs) {
            None => file.bands.apply(&mut comparisons),
            Some(why) => {
                bands_note = Some(format!(
                    "the prediction bands of {} are not shown: {why}",
                    file.path.display()
                ))
            }
        },
        (None, None) => {}
    }
    let csv = write_comparisons_csv(out, &comparisons)?;
    let figures = super::figures::write_validation_figures(out, spec, &runs, &comparisons)
        .map_err(ValidationError::Plots)?;
    let content = ReportContent {
        spec,
        runs: &runs,
        comparisons: &comparisons,
        figures: &figures,
        wall_time_s,
        bands_note: bands_note.as_deref(),
    };
    let report = write_report(out, &content)?;
    let page = write_report_page(out, &content)?;
    Ok(ValidationReport {
        comparisons,
        runs,
        csv,
        report,
        page,
        figures,
        wall_time_s,
        bands_note,
    })
}
