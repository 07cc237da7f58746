//! `asslb._asslb`: the extension module of the Python package `asslb`, another front of the
//! library's one driver. It calls the functions `asslb run`, `sweep`, `validate` and `fit`
//! call ([`asslb::scenario::run_scenario`], [`asslb::sweep::run_sweep`],
//! [`asslb::validation::run_validation_observed`], [`asslb::fitting::fit_cell`]) and turns every
//! library error into a Python exception carrying the message the command line prints (the
//! error and its causes, [`asslb::error_chain::error_chain`]). The Python side
//! (`python/asslb/*.py`) builds the PyBaMM-like API on top and reads the files the runs write
//! into pandas DataFrames.
//!
//! Long calls release the GIL ([`Python::detach`]) so that threads run cases in parallel; a run
//! checks for Ctrl-C once per cycle. No panic crosses into Python: every entry point runs under
//! [`std::panic::catch_unwind`], a panic becoming an `asslb.AsslbError`.

mod convert;
mod errors;
mod tasks;

use std::path::{Path, PathBuf};

use pyo3::prelude::*;
use pyo3::types::PyDict;

use asslb::output::{LockHolder, Progress, RunObserver};
use asslb::protocol::CycleSummary;
use asslb::scenario::{
    builtin_parameter_set, builtin_parameter_set_names, load_scenario_with,
    parameter_tree::parameter_file_tree, parse_scenario_with, run_scenario, ExistingFiles,
    RunError, Scenario, SetOverride,
};

use convert::{flatten, to_toml_table, to_toml_value};
use errors::{guarded, message, scenario_error};

/// `(path, value)` pairs as given from Python: `--set` overrides.
type Sets<'py> = Vec<(String, Bound<'py, PyAny>)>;

/// The `--set` overrides `sets`, in order, as the library takes them.
fn overrides(sets: &Sets<'_>) -> PyResult<Vec<SetOverride>> {
    sets.iter()
        .map(|(path, value)| {
            let value = to_toml_value(value)
                .map_err(|e| errors::ScenarioError::new_err(format!("--set {path}: {e}")))?;
            SetOverride::from_path_value(path, value)
                .map_err(|e| errors::ScenarioError::new_err(message(&e)))
        })
        .collect()
}

/// The built-in parameter sets: `(name, description, source)` each.
#[pyfunction]
fn parameter_sets() -> PyResult<Vec<(String, String, String)>> {
    guarded(|| {
        let mut sets = Vec::new();
        for name in builtin_parameter_set_names() {
            let Some(set) = builtin_parameter_set(name) else {
                continue;
            };
            let params = set
                .load()
                .map_err(|e| scenario_error(&e, &format!("built-in set `{name}`")))?;
            sets.push((
                name.to_string(),
                set.description.to_string(),
                params.source.clone(),
            ));
        }
        Ok(sets)
    })
}

/// A validated scenario, as `asslb run` runs it.
#[pyclass(module = "asslb._asslb", frozen)]
struct ScenarioHandle {
    inner: Scenario,
}

/// Reads and validates the scenario file `path` with the `--set` overrides `sets`.
#[pyfunction]
#[pyo3(signature = (path, sets = Vec::new()))]
fn load_scenario(path: PathBuf, sets: Sets<'_>) -> PyResult<ScenarioHandle> {
    guarded(|| {
        let sets = overrides(&sets)?;
        let inner = load_scenario_with(&path, &sets)
            .map_err(|e| scenario_error(&e, &path.display().to_string()))?;
        Ok(ScenarioHandle { inner })
    })
}

/// Validates the scenario `document` (a dict with the keys of a scenario file), with the
/// `--set` overrides `sets`; `name` names it in errors, relative paths resolve against
/// `base_dir`.
#[pyfunction]
#[pyo3(signature = (document, name, base_dir, sets = Vec::new()))]
fn scenario_from_document(
    document: &Bound<'_, PyDict>,
    name: String,
    base_dir: PathBuf,
    sets: Sets<'_>,
) -> PyResult<ScenarioHandle> {
    guarded(|| {
        let sets = overrides(&sets)?;
        let table = to_toml_table(document)
            .map_err(|e| errors::ScenarioError::new_err(format!("invalid scenario {name}: {e}")))?;
        let text = toml::to_string(&table)
            .map_err(|e| errors::ScenarioError::new_err(format!("invalid scenario {name}: {e}")))?;
        let inner = parse_scenario_with(&text, Path::new(&name), &base_dir, &sets)
            .map_err(|e| scenario_error(&e, &name))?;
        Ok(ScenarioHandle { inner })
    })
}

/// What hears of a run from Python: the progress line, and Ctrl-C once per cycle.
struct PythonObserver {
    progress: Progress,
    /// The exception a signal handler raised (KeyboardInterrupt), which stopped the run.
    interrupted: Option<PyErr>,
}

impl RunObserver for PythonObserver {
    fn cycle_finished(&mut self, summary: &CycleSummary) {
        self.progress.cycle_finished(summary);
    }

    fn lock_taken_over(&mut self, dir: &Path, holder: &LockHolder) {
        self.progress.lock_taken_over(dir, holder);
    }

    fn keep_going(&mut self) -> bool {
        // Signal handlers run in the main thread only; elsewhere this is Ok.
        match Python::attach(|py| py.check_signals()) {
            Ok(()) => true,
            Err(e) => {
                self.interrupted = Some(e);
                false
            }
        }
    }
}

#[pymethods]
impl ScenarioHandle {
    /// The scenario's name.
    #[getter]
    fn name(&self) -> String {
        self.inner.name.clone()
    }

    /// The scenario's description.
    #[getter]
    fn description(&self) -> String {
        self.inner.description.clone()
    }

    /// Cycles in the experiment.
    #[getter]
    fn cycles(&self) -> usize {
        self.inner.experiment.cycles()
    }

    /// The scenario file it was read from, if any.
    #[getter]
    fn path(&self) -> Option<PathBuf> {
        self.inner.path.clone()
    }

    /// The resolved scenario as TOML (every override and default in), as `run.toml` records it.
    #[getter]
    fn document(&self) -> PyResult<String> {
        toml::to_string(&self.inner.document)
            .map_err(|e| errors::AsslbError::new_err(e.to_string()))
    }

    /// What the scenario would run, in words (`asslb check`).
    fn describe(&self) -> String {
        self.inner.describe()
    }

    /// The scenario's parameters in the keys of a parameter file, overrides applied, as
    /// `{dotted key: value}`.
    fn parameters<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        guarded(|| {
            let tree = parameter_file_tree(&self.inner)
                .map_err(|e| scenario_error(&e, &self.inner.name))?;
            let dict = PyDict::new(py);
            flatten(py, "", &tree, &dict)?;
            Ok(dict)
        })
    }

    /// Runs the scenario into `out_dir` as `asslb run --overwrite --out <out_dir>` does,
    /// without the GIL, its report (`report.html`, `report.md`) included. With `progress`, the
    /// progress on standard error (a bar on a terminal, a plain line every 30 s otherwise).
    /// Ctrl-C stops the run after the cycle under way and raises KeyboardInterrupt. Returns
    /// the solver's statistics.
    #[pyo3(signature = (out_dir, progress = false))]
    fn run<'py>(
        &self,
        py: Python<'py>,
        out_dir: PathBuf,
        progress: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let scenario = &self.inner;
        let started = std::time::Instant::now();
        // The progress line writes to standard error through a handle that stays on this
        // thread's side of the detach: made and finished within it.
        let (result, interrupted, tally) = py.detach(|| {
            let mut observer = PythonObserver {
                progress: Progress::new(
                    scenario.experiment.cycles(),
                    scenario.parameters.active_mass_kg(),
                    scenario.reference_cycle,
                    !progress,
                ),
                interrupted: None,
            };
            let result = guarded(|| {
                Ok(run_scenario(
                    scenario,
                    &out_dir,
                    ExistingFiles::Replace,
                    &mut observer,
                ))
            });
            observer.progress.finish();
            (result, observer.interrupted, *observer.progress.tally())
        });
        if let Some(e) = interrupted {
            return Err(e);
        }
        let report = result?.map_err(|e| match &e {
            RunError::Simulation { source, .. } => errors::solver_error(py, message(&e), source),
            _ => errors::OutputError::new_err(message(&e)),
        })?;
        // The run's report, as `asslb run` writes it.
        let total_s = started.elapsed().as_secs_f64();
        let summary = report.summary_text(scenario, &tally, &out_dir, total_s);
        report
            .write_report_files(scenario, &tally, &summary, &out_dir, total_s)
            .map_err(|e| errors::OutputError::new_err(message(&e)))?;
        let s = &report.summary;
        let stats = PyDict::new(py);
        stats.set_item("cycles", s.cycles)?;
        stats.set_item("unknowns", s.unknowns)?;
        stats.set_item("solver_steps", s.solver_steps)?;
        stats.set_item("skipped_steps", s.skipped_steps)?;
        stats.set_item("jumped_cycles", s.jumped_cycles)?;
        stats.set_item("impedance_spectra", s.impedance_spectra)?;
        stats.set_item("wall_time_s", s.wall_time_s)?;
        Ok(stats)
    }
}

/// The extension module.
#[pymodule]
fn _asslb(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let exceptions = [
        ("AsslbError", py.get_type::<errors::AsslbError>()),
        ("ScenarioError", py.get_type::<errors::ScenarioError>()),
        ("SolverError", py.get_type::<errors::SolverError>()),
        ("OutputError", py.get_type::<errors::OutputError>()),
        ("SweepError", py.get_type::<errors::SweepError>()),
        ("ValidationError", py.get_type::<errors::ValidationError>()),
        ("FitError", py.get_type::<errors::FitError>()),
    ];
    for (name, class) in exceptions {
        // Shown as asslb.ScenarioError in tracebacks, where users import them from.
        class.setattr("__module__", "asslb")?;
        m.add(name, class)?;
    }
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<ScenarioHandle>()?;
    m.add_function(wrap_pyfunction!(parameter_sets, m)?)?;
    m.add_function(wrap_pyfunction!(load_scenario, m)?)?;
    m.add_function(wrap_pyfunction!(scenario_from_document, m)?)?;
    m.add_function(wrap_pyfunction!(tasks::sweep, m)?)?;
    m.add_function(wrap_pyfunction!(tasks::validate, m)?)?;
    m.add_function(wrap_pyfunction!(tasks::fit, m)?)?;
    Ok(())
}
