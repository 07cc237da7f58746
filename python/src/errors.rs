//! The exceptions of the package, and the one way a library error or a panic becomes one.

use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::exceptions::PyException;
use pyo3::prelude::*;

use asslb::error_chain::error_chain;
use asslb::protocol::SimulationError;
use asslb::scenario::ScenarioError as LibScenarioError;

pyo3::create_exception!(
    _asslb,
    AsslbError,
    PyException,
    "Base of every error asslb reports."
);
pyo3::create_exception!(
    _asslb,
    ScenarioError,
    AsslbError,
    "A scenario, parameter file or override that does not validate (file, line, key, expected)."
);
pyo3::create_exception!(
    _asslb,
    SolverError,
    AsslbError,
    "A simulation that stopped before the end of its experiment."
);
pyo3::create_exception!(
    _asslb,
    OutputError,
    AsslbError,
    "An output folder or file that could not be written."
);
pyo3::create_exception!(
    _asslb,
    SweepError,
    AsslbError,
    "A sweep file that does not validate, or a sweep that could not run or whose cases failed."
);
pyo3::create_exception!(
    _asslb,
    ValidationError,
    AsslbError,
    "A validation file that does not validate, or a validation that could not run."
);
pyo3::create_exception!(
    _asslb,
    FitError,
    AsslbError,
    "A fit file that does not validate, or a fit that could not run."
);

/// Runs `f`, turning a panic into an `AsslbError` (a bug in asslb, never the user's input).
pub fn guarded<T>(f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            Err(AsslbError::new_err(format!(
                "internal error in asslb (please report it): {what}"
            )))
        }
    }
}

/// The error `e` and its causes, one per line, as the command line prints them.
pub fn message(e: &dyn std::error::Error) -> String {
    error_chain(e)
}

/// A `SolverError` for a run that stopped with `source`, its message `text`. A failure of the
/// solver in a step carries its account as attributes: `cycle`, `step`, `flag` (IDA's, or
/// `MAX_STEPS`), `time_s`, `voltage_v`, `current_a` and `limit` (what was near when the solver
/// gave up, [`asslb::protocol::PhysicalLimit::name`]); other failures have them all `None`.
pub fn solver_error(py: Python<'_>, text: String, source: &SimulationError) -> PyErr {
    let err = SolverError::new_err(text);
    let (cycle, step, flag, time_s, voltage_v, current_a, limit) = match source {
        SimulationError::Solver {
            cycle,
            step,
            error,
            explanation,
        } => (
            Some(*cycle),
            Some(*step),
            Some(error.flag),
            Some(error.time),
            Some(explanation.voltage_v),
            Some(explanation.current_a),
            Some(explanation.limit.name()),
        ),
        _ => (None, None, None, None, None, None, None),
    };
    let value = err.value(py);
    let attributes = value
        .setattr("cycle", cycle)
        .and_then(|()| value.setattr("step", step))
        .and_then(|()| value.setattr("flag", flag))
        .and_then(|()| value.setattr("time_s", time_s))
        .and_then(|()| value.setattr("voltage_v", voltage_v))
        .and_then(|()| value.setattr("current_a", current_a))
        .and_then(|()| value.setattr("limit", limit));
    match attributes {
        Ok(()) => err,
        Err(e) => e,
    }
}

/// A scenario error with the context the command line adds to it (`invalid scenario <file>`),
/// except for a sweep file, whose message says what it is.
pub fn scenario_error(e: &LibScenarioError, origin: &str) -> PyErr {
    match e {
        LibScenarioError::SweepFile { .. } => ScenarioError::new_err(message(e)),
        other => ScenarioError::new_err(format!(
            "invalid scenario {origin}\ncaused by: {}",
            message(other)
        )),
    }
}
