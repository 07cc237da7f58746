//! Sweeps, validations and fits: the library functions `asslb sweep`, `asslb validate` and
//! `asslb fit` call, run without the GIL, their errors raised with the messages the command
//! line prints. They return the paths of the files written, which the Python side reads.

use std::path::PathBuf;
use std::sync::Mutex;

use pyo3::prelude::*;
use pyo3::types::PyDict;

use asslb::fitting::{fit_cell, fit_summary, load_fit, write_fit_outputs, TrialLog, TRIALS_FILE};
use asslb::sweep::{load_sweep, run_sweep, CaseRecord, SweepOptions};
use asslb::validation::{
    comparison_table, load_validation, run_validation_observed, RunsObserver, ValidateOptions,
};

use crate::errors::{self, guarded, message};

/// "s" unless `n` is 1.
fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `jobs` as the command line checks it: at least 1 when given.
fn check_jobs(jobs: Option<usize>) -> PyResult<()> {
    if jobs == Some(0) {
        return Err(pyo3::exceptions::PyValueError::new_err(
            "jobs: expected at least 1",
        ));
    }
    Ok(())
}

/// Runs the sweep file `path` into `out` (default `out/<sweep name>`), `jobs` cases at once
/// (default: the number of cores), as `asslb sweep` does. Returns `{"out", "table",
/// "failed", "summary"}`; raises `SweepError` when a case failed, as the command line exits 1.
#[pyfunction]
#[pyo3(signature = (path, out = None, jobs = None, resume = false))]
pub fn sweep<'py>(
    py: Python<'py>,
    path: PathBuf,
    out: Option<PathBuf>,
    jobs: Option<usize>,
    resume: bool,
) -> PyResult<Bound<'py, PyDict>> {
    check_jobs(jobs)?;
    let (out, report) = py.detach(|| {
        guarded(|| {
            let sweep = load_sweep(&path).map_err(|e| errors::SweepError::new_err(message(&e)))?;
            let out = out.unwrap_or_else(|| PathBuf::from("out").join(&sweep.name));
            let options = SweepOptions {
                out: out.clone(),
                resume,
                shard: None,
                jobs,
            };
            let report = run_sweep(&sweep, &options, &|_: &CaseRecord| {})
                .map_err(|e| errors::SweepError::new_err(message(&e)))?;
            Ok((out, report))
        })
    })?;
    if report.failed > 0 {
        let details: Vec<String> = report
            .ran
            .iter()
            .filter_map(|c| {
                c.error
                    .as_ref()
                    .map(|e| format!("case {} `{}`: {}", c.index, c.id, e.replace('\n', "; ")))
            })
            .collect();
        return Err(errors::SweepError::new_err(format!(
            "{} case{} of the sweep failed (see their case.toml); rerun them with resume=True\n{}",
            report.failed,
            plural(report.failed),
            details.join("\n")
        )));
    }
    let result = PyDict::new(py);
    result.set_item("out", out)?;
    result.set_item("table", &report.table)?;
    result.set_item("failed", report.failed)?;
    result.set_item("summary", report.summary_text())?;
    Ok(result)
}

/// No progress display.
struct Quiet;

impl RunsObserver for Quiet {}

/// Runs the validation file `path` into `out` (default `out/validation/<name>`) as `asslb
/// validate` does. Returns `{"out", "comparison", "report", "passed", "table",
/// "run_errors"}`: quantities out of tolerance are a result (`passed` false), not an error.
#[pyfunction]
#[pyo3(signature = (path, out = None, jobs = None))]
pub fn validate<'py>(
    py: Python<'py>,
    path: PathBuf,
    out: Option<PathBuf>,
    jobs: Option<usize>,
) -> PyResult<Bound<'py, PyDict>> {
    check_jobs(jobs)?;
    let (out, report) = py.detach(|| {
        guarded(|| {
            let spec = load_validation(&path)
                .map_err(|e| errors::ValidationError::new_err(message(&e)))?;
            let out = out.unwrap_or_else(|| PathBuf::from("out/validation").join(&spec.name));
            let options = ValidateOptions {
                out: out.clone(),
                jobs,
                residual_std_errors: None,
            };
            let report = run_validation_observed(&spec, &options, &Quiet)
                .map_err(|e| errors::ValidationError::new_err(message(&e)))?;
            Ok((out, report))
        })
    })?;
    let result = PyDict::new(py);
    result.set_item("out", out)?;
    result.set_item("comparison", &report.csv)?;
    result.set_item("report", &report.report)?;
    result.set_item("passed", report.passed())?;
    result.set_item("table", comparison_table(&report.comparisons))?;
    let run_errors: Vec<(String, String)> = report
        .runs
        .iter()
        .filter_map(|r| r.error.as_ref().map(|e| (r.label.clone(), e.clone())))
        .collect();
    result.set_item("run_errors", run_errors)?;
    Ok(result)
}

/// Runs the fit file `path` into `out` (default `out/fit/<name>`) as `asslb fit` does (the
/// trial log, the fit, its files). Returns `{"out", "report", "parameters", "scenarios",
/// "trials", "summary", "passed"}`.
#[pyfunction]
#[pyo3(signature = (path, out = None, jobs = None))]
pub fn fit<'py>(
    py: Python<'py>,
    path: PathBuf,
    out: Option<PathBuf>,
    jobs: Option<usize>,
) -> PyResult<Bound<'py, PyDict>> {
    check_jobs(jobs)?;
    let fit_error = |e: &dyn std::error::Error| errors::FitError::new_err(message(e));
    let (out, files, summary) = py.detach(|| {
        guarded(|| {
            let spec = load_fit(&path).map_err(|e| fit_error(&e))?;
            let out = out.unwrap_or_else(|| PathBuf::from("out/fit").join(&spec.name));
            std::fs::create_dir_all(&out).map_err(|e| {
                errors::OutputError::new_err(format!(
                    "cannot create the output folder {}: {e}",
                    out.display()
                ))
            })?;
            let names: Vec<&str> = spec.parameters.iter().map(|p| p.path.as_str()).collect();
            let log = Mutex::new(TrialLog::create(&out, &names).map_err(|e| {
                errors::OutputError::new_err(format!(
                    "cannot write {}: {e}",
                    out.join(TRIALS_FILE).display()
                ))
            })?);
            let report = fit_cell(&spec, jobs, &|event| {
                if let Ok(mut log) = log.lock() {
                    log.record(event);
                }
            })
            .map_err(|e| fit_error(&e))?;
            let files = write_fit_outputs(&out, &spec, &report, jobs).map_err(|e| fit_error(&e))?;
            let summary = fit_summary(&report, &files);
            Ok((out, files, summary))
        })
    })?;
    let result = PyDict::new(py);
    result.set_item("trials", out.join(TRIALS_FILE))?;
    result.set_item("out", out)?;
    result.set_item("report", &files.report)?;
    result.set_item("parameters", &files.parameters)?;
    result.set_item("scenarios", &files.scenarios)?;
    result.set_item("comparison", &files.validation.csv)?;
    result.set_item("passed", files.validation.passed())?;
    result.set_item("summary", summary)?;
    Ok(result)
}
