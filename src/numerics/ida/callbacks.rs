//! The `extern "C"` functions SUNDIALS calls back: the residual, Jacobian, error-weight and
//! root callbacks (each runs its body inside [`catch_unwind`] and records its failure for the
//! [`SolverError`](super::SolverError)), and the error handler that captures SUNDIALS' messages
//! into an [`ErrorSink`] instead of printing them.

use std::ffi::{c_char, c_int, c_void, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

use sundials_sys as sys;
use sys::{N_Vector, SUNContext, SUNMatrix};

use super::Shared;
use crate::numerics::dae::{DaeSystem, EvalError, ModelError};
use crate::numerics::sparse_lu::LuError;

/// What the callback layer itself finds wrong before or after calling the system: fatal for
/// the integration (IDA's own inputs are broken, or a tolerance makes no weight).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(super) enum CallbackFault {
    /// IDA passed null or aliased arrays (`what`: "vectors", "matrix or vectors").
    #[error("invalid {0} passed by IDA")]
    InvalidVectors(&'static str),
    /// An error weight `1/(rtol·scale + atol)` is not finite and positive.
    #[error("error weight not positive (tolerance {tolerance:e})")]
    ErrorWeight {
        /// The offending tolerance `rtol·scale + atol`.
        tolerance: f64,
    },
}

impl From<CallbackFault> for EvalError {
    fn from(fault: CallbackFault) -> Self {
        EvalError::Fatal(ModelError::new(fault))
    }
}

/// Last SUNDIALS error message, written by the error handler.
pub(super) struct ErrorSink {
    pub(super) message: Option<String>,
}

/// The last failure of a callback during an IDA call, as data: which callback, and what went
/// wrong ([`super::SolverError::callback`]).
#[derive(Debug, Clone, PartialEq)]
pub struct CallbackFailure {
    /// The callback: `"residual"`, `"Jacobian"`, `"root function"`, `"linear solver setup"`…
    pub origin: &'static str,
    /// What went wrong in it.
    pub detail: FailureDetail,
}

/// What went wrong in a callback.
#[derive(Debug, Clone, PartialEq)]
pub enum FailureDetail {
    /// The system's evaluation failed: its own error (the P2D model's `NonPhysicalState`, …)
    /// behind [`EvalError`].
    Eval(EvalError),
    /// The system panicked; the panic's message (a foreign payload, kept as text).
    Panic(String),
    /// The sparse LU failed.
    Lu(LuError),
    /// The callback layer's own consistency check failed.
    Internal(&'static str),
}

impl std::fmt::Display for CallbackFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.detail {
            FailureDetail::Eval(e) => write!(f, "{} failed: {e}", self.origin),
            FailureDetail::Panic(m) => write!(f, "{} panicked: {m}", self.origin),
            FailureDetail::Lu(e) => write!(f, "{} failed: {e}", self.origin),
            FailureDetail::Internal(m) => write!(f, "{} failed: {m}", self.origin),
        }
    }
}

/// Return value of a callback that failed recoverably.
const RECOVERABLE: c_int = 1;
/// Return value of a callback that failed unrecoverably.
const UNRECOVERABLE: c_int = -1;

/// Converts the outcome of a model callback into IDA's return convention and records any
/// failure.
///
/// # Safety
/// `shared` must be valid and not referenced elsewhere.
unsafe fn finish<S>(
    shared: *mut Shared<S>,
    origin: &'static str,
    outcome: std::thread::Result<Result<(), EvalError>>,
) -> c_int {
    let (code, detail) = match outcome {
        Ok(Ok(())) => return 0,
        Ok(Err(e @ EvalError::NonPhysical(_))) => (RECOVERABLE, FailureDetail::Eval(e)),
        Ok(Err(e @ EvalError::Fatal(_))) => (UNRECOVERABLE, FailureDetail::Eval(e)),
        Err(payload) => (
            UNRECOVERABLE,
            FailureDetail::Panic(panic_message(&*payload)),
        ),
    };
    // SAFETY: guaranteed by the caller.
    unsafe { (*shared).failure = Some(CallbackFailure { origin, detail }) };
    code
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic payload".to_string()
    }
}

/// IDA residual callback: `rr = F(t, yy, yp)`.
pub(super) unsafe extern "C" fn residual_cb<S: DaeSystem>(
    t: f64,
    yy: N_Vector,
    yp: N_Vector,
    rr: N_Vector,
    user_data: *mut c_void,
) -> c_int {
    let shared = user_data.cast::<Shared<S>>();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: `user_data` is the `Shared<S>` registered in `new`; no other reference to it
        // exists while IDA runs a callback. `yy`, `yp`, `rr` are IDA's serial vectors of
        // length n; `rr` is distinct from `yy` and `yp` (checked), so the mutable slice does
        // not alias the others.
        unsafe {
            let sh = &mut *shared;
            let n = sh.n;
            let (py, pyp, pr) = (
                sys::N_VGetArrayPointer(yy),
                sys::N_VGetArrayPointer(yp),
                sys::N_VGetArrayPointer(rr),
            );
            if py.is_null() || pyp.is_null() || pr.is_null() || pr == py || pr == pyp {
                return Err(CallbackFault::InvalidVectors("vectors").into());
            }
            let y = std::slice::from_raw_parts(py, n);
            let ypv = std::slice::from_raw_parts(pyp, n);
            let r = std::slice::from_raw_parts_mut(pr, n);
            sh.system.residual(t, y, ypv, r)
        }
    }));
    // SAFETY: the closure's reference has ended; `shared` is valid.
    unsafe { finish(shared, "residual", outcome) }
}

/// IDA Jacobian callback: fills the `SUNSparseMatrix` with `∂F/∂y + c_j ∂F/∂y'`.
pub(super) unsafe extern "C" fn jacobian_cb<S: DaeSystem>(
    t: f64,
    c_j: f64,
    yy: N_Vector,
    yp: N_Vector,
    _rr: N_Vector,
    jac: SUNMatrix,
    user_data: *mut c_void,
    _tmp1: N_Vector,
    _tmp2: N_Vector,
    _tmp3: N_Vector,
) -> c_int {
    let shared = user_data.cast::<Shared<S>>();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: as in `residual_cb`; `jac` is the CSC matrix created in `new` with nnz
        // entries, whose C-allocated storage does not overlap the state vectors.
        unsafe {
            let sh = &mut *shared;
            let n = sh.n;
            let nnz = sh.row_idx.len();
            let data = sys::SUNSparseMatrix_Data(jac);
            let (py, pyp) = (sys::N_VGetArrayPointer(yy), sys::N_VGetArrayPointer(yp));
            if data.is_null() || py.is_null() || pyp.is_null() {
                return Err(CallbackFault::InvalidVectors("matrix or vectors").into());
            }
            let values = std::slice::from_raw_parts_mut(data, nnz);
            let y = std::slice::from_raw_parts(py, n);
            let ypv = std::slice::from_raw_parts(pyp, n);
            sh.system.jacobian(t, c_j, y, ypv, values)
        }
    }));
    // SAFETY: the closure's reference has ended; `shared` is valid.
    unsafe { finish(shared, "Jacobian", outcome) }
}

/// IDA error-weight callback: `ewt_i = 1 / (rtol · scale_i + atol_i)` with the system's
/// [`DaeSystem::tolerance_scale`] when it scales its tolerances, else with `scale_i = |y_i|`.
/// Returns −1 (IDA then reports an illegal weight) if a weight is not finite and positive.
///
/// Installed for every system: IDA's own weights for `|y_i|` are the same numbers, in five
/// passes over the vectors (absolute value, scaling, sum, minimum, reciprocal) where this is
/// one.
pub(super) unsafe extern "C" fn ewt_cb<S: DaeSystem>(
    y: N_Vector,
    ewt: N_Vector,
    user_data: *mut c_void,
) -> c_int {
    let shared = user_data.cast::<Shared<S>>();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: as in `residual_cb`; `ewt` is IDA's weight vector, distinct from `y`.
        unsafe {
            let sh = &mut *shared;
            let n = sh.n;
            let (py, pw) = (sys::N_VGetArrayPointer(y), sys::N_VGetArrayPointer(ewt));
            if py.is_null() || pw.is_null() || py == pw {
                return Err(CallbackFault::InvalidVectors("vectors").into());
            }
            let y = std::slice::from_raw_parts(py, n);
            let w = std::slice::from_raw_parts_mut(pw, n);
            let Shared {
                system,
                rtol,
                atol,
                scale,
                scaled,
                ..
            } = sh;
            let scale: &[f64] = if *scaled {
                system.tolerance_scale(y, scale);
                scale
            } else {
                y
            };
            // One branch-free pass (it runs after every step), the check folded into a flag.
            let rtol = *rtol;
            let mut valid = true;
            for ((w, s), a) in w.iter_mut().zip(scale).zip(atol.iter()) {
                let tol = rtol * s.abs() + a;
                valid &= (tol > 0.0) & (tol <= f64::MAX);
                *w = 1.0 / tol;
            }
            if valid {
                return Ok(());
            }
            let tol = scale
                .iter()
                .zip(atol.iter())
                .map(|(s, a)| rtol * s.abs() + a)
                .find(|tol| !(tol.is_finite() && *tol > 0.0))
                .unwrap_or(f64::NAN);
            Err(CallbackFault::ErrorWeight { tolerance: tol }.into())
        }
    }));
    // SAFETY: the closure's reference has ended; `shared` is valid.
    match unsafe { finish(shared, "error weights", outcome) } {
        0 => 0,
        _ => -1,
    }
}

/// IDA root callback: `gout = g(t, y, yp)`.
pub(super) unsafe extern "C" fn root_cb<S: DaeSystem>(
    t: f64,
    yy: N_Vector,
    yp: N_Vector,
    gout: *mut f64,
    user_data: *mut c_void,
) -> c_int {
    let shared = user_data.cast::<Shared<S>>();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: as in `residual_cb`; `gout` is IDA's array of `num_roots` values, separate
        // from the state vectors.
        unsafe {
            let sh = &mut *shared;
            let n = sh.n;
            let (py, pyp) = (sys::N_VGetArrayPointer(yy), sys::N_VGetArrayPointer(yp));
            if gout.is_null() || py.is_null() || pyp.is_null() {
                return Err(CallbackFault::InvalidVectors("vectors").into());
            }
            let g = std::slice::from_raw_parts_mut(gout, sh.num_roots);
            let y = std::slice::from_raw_parts(py, n);
            let ypv = std::slice::from_raw_parts(pyp, n);
            sh.system.roots(t, y, ypv, g)
        }
    }));
    // SAFETY: the closure's reference has ended; `shared` is valid.
    match unsafe { finish(shared, "root function", outcome) } {
        0 => 0,
        // IDA has no recoverable root-function failure.
        _ => UNRECOVERABLE,
    }
}

/// SUNDIALS error handler: stores the message instead of printing it.
pub(super) unsafe extern "C" fn error_handler(
    _line: c_int,
    _func: *const c_char,
    _file: *const c_char,
    msg: *const c_char,
    _err_code: sys::SUNErrCode,
    err_user_data: *mut c_void,
    _sunctx: SUNContext,
) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        if msg.is_null() || err_user_data.is_null() {
            return;
        }
        // SAFETY: `msg` is a NUL-terminated string owned by SUNDIALS for the duration of the
        // call; `err_user_data` is the `ErrorSink` registered in `new`, alive until after the
        // context is freed, and not referenced elsewhere while SUNDIALS runs.
        unsafe {
            let text = CStr::from_ptr(msg).to_string_lossy().into_owned();
            (*err_user_data.cast::<ErrorSink>()).message = Some(text);
        }
    }));
}
