//! Safe wrapper around the SUNDIALS IDA solver (variable-order BDF for implicit DAEs).
//!
//! This is the only module of the crate that uses `unsafe` (in the files listed below): it owns
//! the SUNDIALS handles and exposes a safe [`Ida`] type driving a [`DaeSystem`].
//!
//! # Files
//! - `mod.rs`: the safe API ([`Ida`], [`IdaOptions`], [`StepOutcome`], [`SolverStats`],
//!   [`SolverError`]), the allocation shared with the callbacks, and the freeing of every
//!   handle;
//! - `callbacks.rs`: the `extern "C"` residual, Jacobian, error-weight and root callbacks, the
//!   turning of their failures and panics into IDA return codes, and the SUNDIALS error
//!   handler;
//! - `linear_solver.rs`: the custom `SUNLinearSolver` and the Jacobian matrix's `zero`
//!   operation;
//! - `vector_ops.rs`: the Rust serial `N_Vector` operations (plain and AVX2);
//! - `flags.rs`: names and explanations of the IDA and IDALS return flags.
//!
//! # Design
//! - **Linear solver.** IDA is given a `SUNSparseMatrix` (CSC) and a *custom* `SUNLinearSolver`
//!   of type `SUNLINEARSOLVER_DIRECT`. When IDA decides the iteration matrix is stale it zeroes
//!   the matrix (with our `zero` operation, which clears the values but keeps the CSC pattern,
//!   written once in [`Ida::new`]), calls the Jacobian callback (which lets
//!   [`DaeSystem::jacobian`] write `∂F/∂y + c_j ∂F/∂y'` straight into the matrix values), then
//!   the solver's `setup`, which runs the numeric [`SparseLu::factorize`] (the symbolic analysis
//!   was done once in [`Ida::new`]). The solver's `solve` runs [`SparseLu::solve_in_place`].
//!   Because the type is DIRECT (matrix-based), IDA itself rescales each solution by
//!   `2 / (1 + c_j/c_j,old)` when `c_j` changed since the last factorisation, so `c_j` needs no
//!   handling here. `SUNLINEARSOLVER_MATRIX_EMBEDDED` was rejected: IDA never calls `setup` for
//!   such solvers, so the solver would have to refactorise on every Newton iteration or
//!   reimplement IDA's Jacobian-reuse heuristics.
//! - **Ownership.** The system, the LU and the callback error slot live in one heap allocation
//!   created with `Box::into_raw` (a stable address, independent of where the [`Ida`] value is
//!   moved); its pointer is IDA's user data and the linear solver's content. It is reclaimed in
//!   `Drop` after every SUNDIALS handle has been freed. Rust never holds a reference into it
//!   across a call into SUNDIALS, and callbacks create their references only for their own
//!   duration (IDA is single-threaded and never re-enters a callback).
//! - **Errors.** Every `extern "C"` callback runs its body inside
//!   [`std::panic::catch_unwind`]. [`EvalError::NonPhysical`] returns a positive value
//!   (recoverable: IDA retries with a smaller step), [`EvalError::Fatal`] and panics return a
//!   negative value. The last callback failure is remembered and attached to the
//!   [`SolverError`]. SUNDIALS' own messages are captured by a custom error handler instead
//!   of being printed, and the SUNDIALS logger is disabled (no warnings on stdout).
//! - **Vector operations.** The hot serial `N_Vector` operations (linear sums, scaling, norms,
//!   and the fused linear combinations of IDA's predictor and divided-difference updates) are
//!   replaced in the vectors' operation tables by Rust kernels, compiled for AVX2 when the
//!   processor has it (run-time detection); they compute bit for bit what SUNDIALS' serial
//!   code computes, except the norms (see `use_fast_vector_ops` in `vector_ops.rs`).
//! - **Hot paths** (residual, Jacobian, LU setup/solve) do not allocate.
//!
//! [`EvalError::NonPhysical`]: crate::numerics::dae::EvalError::NonPhysical
//! [`EvalError::Fatal`]: crate::numerics::dae::EvalError::Fatal

use std::ffi::{c_int, c_long, c_void};
use std::marker::PhantomData;
use std::ptr;

use sundials_sys as sys;
use sys::{sunindextype, N_Vector, SUNContext, SUNLinearSolver, SUNMatrix};

use crate::numerics::dae::{DaeSystem, EvalError};
use crate::numerics::sparse_lu::{LuError, SparseLu};

mod callbacks;
mod flags;
mod linear_solver;
mod vector_ops;

use callbacks::{error_handler, ewt_cb, jacobian_cb, residual_cb, root_cb, ErrorSink};
pub use callbacks::{CallbackFailure, FailureDetail};
use flags::{ida_flag_name, ida_flag_reason, ls_flag_name};
use linear_solver::{
    keep_values, ls_free, ls_getid, ls_gettype, ls_setup, ls_solve, restore_pattern,
};
use vector_ops::use_fast_vector_ops;

/// Options of the IDA integrator.
#[derive(Debug, Clone, PartialEq)]
pub struct IdaOptions {
    /// Relative tolerance. Default `1e-6`.
    pub rtol: f64,
    /// Scalar absolute tolerance, used when `atol_vector` is `None`. Default `1e-8`.
    pub atol: f64,
    /// Per-component absolute tolerances (length = number of unknowns). Default `None`.
    pub atol_vector: Option<Vec<f64>>,
    /// Maximum number of internal steps in one call to [`Ida::advance_to`] /
    /// [`Ida::step`]. Default `100_000`.
    pub max_steps: usize,
    /// Maximum BDF order, 1 to 5. Default `5`.
    pub max_order: usize,
    /// Initial step size; `None` lets IDA estimate it. Default `None`.
    pub initial_step: Option<f64>,
    /// Maximum absolute step size; `None` means unbounded. Default `None`.
    pub max_step: Option<f64>,
}

impl Default for IdaOptions {
    /// `rtol = 1e-6`, `atol = 1e-8`, no per-component tolerances, `max_steps = 100_000`,
    /// `max_order = 5`, IDA's own initial step estimate and no step size limit.
    fn default() -> Self {
        IdaOptions {
            rtol: 1e-6,
            atol: 1e-8,
            atol_vector: None,
            max_steps: 100_000,
            max_order: 5,
            initial_step: None,
            max_step: None,
        }
    }
}

/// Where a call to [`Ida::step`] or [`Ida::advance_to`] stopped successfully.
#[derive(Debug, Clone, PartialEq)]
pub enum StepOutcome {
    /// The requested output time was reached ([`Ida::advance_to`]), or the stop time set with
    /// [`Ida::set_stop_time`] was reached (both methods). `t` is where the solution is given:
    /// the requested time, or the stop time if it came first.
    Reached {
        /// Time of the returned solution.
        t: f64,
    },
    /// A root function changed sign; the solution is given at the root.
    Root {
        /// Time of the root.
        t: f64,
        /// One entry per root function (`IDAGetRootInfo`): `+1` if `g_i` crossed zero while
        /// increasing, `-1` while decreasing, `0` if `g_i` has no root here.
        roots: Vec<i32>,
    },
    /// One internal step was taken ([`Ida::step`] only). Without a stop time, IDA may step
    /// past the `t_out` given to [`Ida::step`].
    Step {
        /// Time reached by the step.
        t: f64,
    },
}

impl StepOutcome {
    /// The time at which the solution is given.
    pub fn t(&self) -> f64 {
        match self {
            StepOutcome::Reached { t } | StepOutcome::Root { t, .. } | StepOutcome::Step { t } => {
                *t
            }
        }
    }
}

/// Integrator statistics, cumulative since [`Ida::new`] (counts before each [`Ida::reinit`]
/// are kept; IDA itself restarts its counters there).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SolverStats {
    /// Internal steps taken.
    pub steps: u64,
    /// Residual evaluations (including those of the initial-condition calculation).
    pub residual_evals: u64,
    /// Jacobian evaluations (each followed by a numeric LU factorisation).
    pub jacobian_evals: u64,
    /// Linear solver setups.
    pub linear_setups: u64,
    /// Linear solves (LU back-substitutions).
    pub linear_solves: u64,
    /// Newton iterations.
    pub nonlinear_iters: u64,
    /// Newton convergence failures.
    pub nonlinear_conv_fails: u64,
    /// Local error test failures.
    pub error_test_fails: u64,
    /// Root function evaluations.
    pub root_evals: u64,
    /// Number of calls to [`Ida::reinit`].
    pub reinits: u64,
    /// LU factorisations with a pivot search (the first one, and fallbacks when a reused
    /// pivot became unacceptable).
    pub lu_full_factorizations: u64,
    /// LU refactorisations reusing the previous pivot sequence (the fast path).
    pub lu_refactorizations: u64,
    /// New iteration matrices asked for because the system reported the current one outdated
    /// ([`DaeSystem::jacobian_outdated`]).
    pub jacobian_refreshes: u64,
    /// Size of the last successful step (of the current integration segment, 0 if none).
    pub last_step: f64,
    /// BDF order of the last successful step (0 if none).
    pub last_order: u32,
}

/// A failure of the IDA integrator, with the context needed to understand it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "{flag} at t = {time} s after {steps} steps: {reason}{}",
    details(.sundials_message, .callback)
)]
pub struct SolverError {
    /// Time reached by the integrator (the solution returned by [`Ida::y`] is at this time).
    pub time: f64,
    /// Internal steps taken since [`Ida::new`] (the same count as [`SolverStats::steps`]).
    pub steps: u64,
    /// The IDA return flag name, for example `"IDA_CONV_FAIL"`.
    pub flag: &'static str,
    /// What the flag means (with the operation that failed, when it is not a step), e.g.
    /// `"the corrector (Newton) iteration failed to converge"`.
    pub reason: String,
    /// SUNDIALS' own message for the failure, when it printed one (shown in brackets after
    /// the reason).
    pub sundials_message: Option<String>,
    /// The last failing callback behind the flag, as data (`None` when no callback failed):
    /// the model's own error is reached with [`SolverError::model_error`].
    pub callback: Option<Box<CallbackFailure>>,
}

impl SolverError {
    /// A failure of the integrator itself or of its inputs, with no callback behind it.
    pub fn new(time: f64, steps: u64, flag: &'static str, reason: String) -> Self {
        SolverError {
            time,
            steps,
            flag,
            reason,
            sundials_message: None,
            callback: None,
        }
    }

    /// The system's own error behind the failure, if a callback's evaluation failed with an
    /// `E` (for example the P2D model's `NonPhysicalState`).
    pub fn model_error<E: std::error::Error + 'static>(&self) -> Option<&E> {
        match &self.callback.as_ref()?.detail {
            FailureDetail::Eval(EvalError::NonPhysical(e) | EvalError::Fatal(e)) => {
                e.downcast_ref::<E>()
            }
            _ => None,
        }
    }
}

/// The DAE integrator: SUNDIALS IDA with a sparse `faer` LU, driving a [`DaeSystem`].
///
/// Typical use: [`Ida::new`], optionally [`Ida::calc_ic`], then repeated
/// [`Ida::advance_to`] or [`Ida::step`]. To change the system's parameters (for example the
/// applied current), use [`Ida::system_mut`] and then [`Ida::reinit`] from the current state:
/// IDA's history assumes the residual is smooth in time.
pub struct Ida<S: DaeSystem> {
    ctx: SUNContext,
    mem: *mut c_void,
    yy: N_Vector,
    yp: N_Vector,
    mat: SUNMatrix,
    ls: SUNLinearSolver,
    shared: *mut Shared<S>,
    sink: *mut ErrorSink,
    n: usize,
    t: f64,
    roots_buf: Vec<c_int>,
    base: SolverStats,
    _owns: PhantomData<S>,
}

// SAFETY: every SUNDIALS object is owned exclusively by this value and reachable only through
// it; SUNDIALS keeps no thread-local or global state about them, so moving the whole solver
// to another thread is sound when the system itself can move. (`Sync` is not implemented.)
unsafe impl<S: DaeSystem + Send> Send for Ida<S> {}

/// State shared with the C callbacks (IDA user data and linear solver content).
struct Shared<S> {
    system: S,
    n: usize,
    num_roots: usize,
    lu: SparseLu,
    /// The Jacobian pattern in SUNDIALS' index type, written into the `SUNMatrix` once.
    col_ptr: Vec<sunindextype>,
    row_idx: Vec<sunindextype>,
    /// Last callback failure during the current API call.
    failure: Option<CallbackFailure>,
    linear_solves: u64,
    /// Relative and per-unknown absolute tolerances, for [`ewt_cb`].
    rtol: f64,
    atol: Vec<f64>,
    /// Whether the system scales its tolerances ([`DaeSystem::scales_tolerances`]).
    scaled: bool,
    /// Scratch for [`DaeSystem::tolerance_scale`].
    scale: Vec<f64>,
    /// Whether a new iteration matrix may be asked for when the system reports the current
    /// one outdated ([`DaeSystem::jacobian_outdated`]): once per matrix, and never inside
    /// `IDACalcIC`.
    may_refresh: bool,
    /// Linear solves since the last factorisation: a matrix that has served more than one
    /// Newton solve's worth (`NEWTON_ITERS` in `linear_solver.rs`) was set up at an earlier
    /// step.
    solves_since_setup: u64,
    /// Set while `IDACalcIC` runs.
    in_calc_ic: bool,
    /// New iteration matrices asked for because the system reported one outdated.
    refreshes: u64,
}

impl<S: DaeSystem> Ida<S> {
    /// Creates the integrator for `system` with initial time `t0` and initial values `y0`,
    /// `yp0` (which need not be consistent if [`Ida::calc_ic`] is called next).
    ///
    /// Sets the differential/algebraic flags from [`DaeSystem::differential`] (used by
    /// [`Ida::calc_ic`]), the root functions from [`DaeSystem::num_roots`], and performs the
    /// symbolic LU analysis of [`DaeSystem::jacobian_pattern`] once.
    pub fn new(
        system: S,
        t0: f64,
        y0: &[f64],
        yp0: &[f64],
        options: &IdaOptions,
    ) -> Result<Self, SolverError> {
        let n = system.len();
        let ill = |reason: String| input_error(t0, reason);
        if n == 0 {
            return Err(ill("the system has no unknowns".into()));
        }
        if y0.len() != n || yp0.len() != n {
            return Err(ill(format!(
                "initial values have lengths {} and {}, the system has {n} unknowns",
                y0.len(),
                yp0.len()
            )));
        }
        if !t0.is_finite() || !y0.iter().chain(yp0).all(|v| v.is_finite()) {
            return Err(ill("initial time or values are not finite".into()));
        }
        validate_options(options, n).map_err(ill)?;
        let differential = system.differential();
        if differential.len() != n {
            return Err(ill(format!(
                "differential() has length {}, expected {n}",
                differential.len()
            )));
        }
        let pattern = system.jacobian_pattern();
        if pattern.n != n {
            return Err(ill(format!(
                "Jacobian pattern is {0}x{0}, expected {n}x{n}",
                pattern.n
            )));
        }
        if pattern.nnz() == 0 {
            return Err(ill("the Jacobian pattern is empty".into()));
        }
        let lu = SparseLu::new(&pattern).map_err(|e| ill(format!("Jacobian pattern: {e}")))?;
        let to_index = |v: &[usize]| -> Result<Vec<sunindextype>, SolverError> {
            v.iter()
                .map(|&i| sunindextype::try_from(i))
                .collect::<Result<_, _>>()
                .map_err(|_| input_error(t0, "Jacobian pattern too large".into()))
        };
        let col_ptr = to_index(&pattern.col_ptr)?;
        let row_idx = to_index(&pattern.row_idx)?;
        let nnz = row_idx.len();
        let num_roots = system.num_roots();
        let num_roots_c = c_int::try_from(num_roots).map_err(|_| ill("too many roots".into()))?;
        let n_c = sunindextype::try_from(n).map_err(|_| ill("system too large".into()))?;
        let nnz_c = sunindextype::try_from(nnz).map_err(|_| ill("pattern too large".into()))?;

        let scaled = system.scales_tolerances();
        let shared = Box::into_raw(Box::new(Shared {
            system,
            n,
            num_roots,
            lu,
            col_ptr,
            row_idx,
            failure: None,
            linear_solves: 0,
            rtol: options.rtol,
            atol: options
                .atol_vector
                .clone()
                .unwrap_or_else(|| vec![options.atol; n]),
            scaled,
            scale: vec![0.0; n],
            may_refresh: false,
            solves_since_setup: 0,
            in_calc_ic: false,
            refreshes: 0,
        }));
        let sink = Box::into_raw(Box::new(ErrorSink { message: None }));
        // From here on, `Drop` frees whatever has been created if a step fails.
        let mut ida = Ida {
            ctx: ptr::null_mut(),
            mem: ptr::null_mut(),
            yy: ptr::null_mut(),
            yp: ptr::null_mut(),
            mat: ptr::null_mut(),
            ls: ptr::null_mut(),
            shared,
            sink,
            n,
            t: t0,
            roots_buf: vec![0; num_roots],
            base: SolverStats::default(),
            _owns: PhantomData,
        };

        // SAFETY: `ctx` is a valid out-pointer; no MPI, so the null communicator is correct.
        let rc = unsafe { sys::SUNContext_Create(sys::SUN_COMM_NULL, &mut ida.ctx) };
        if rc != 0 || ida.ctx.is_null() {
            return Err(ida.setup_error("SUN_ERR_CORRUPT", "SUNContext_Create failed"));
        }
        // SAFETY: `ctx` is valid. The handler only touches `*sink`, which outlives the context
        // (freed in `Drop` after `SUNContext_Free`). A null logger silences SUNDIALS output
        // (`SUNLogger_QueueMsg` returns early for a null logger).
        let rc = unsafe {
            let mut rc = sys::SUNContext_ClearErrHandlers(ida.ctx);
            rc |= sys::SUNContext_PushErrHandler(ida.ctx, Some(error_handler), sink.cast());
            rc | sys::SUNContext_SetLogger(ida.ctx, ptr::null_mut())
        };
        if rc != 0 {
            return Err(ida.setup_error("SUN_ERR_CORRUPT", "configuring the SUNContext failed"));
        }

        // SAFETY: `ctx` is valid; the vectors are checked for null before use.
        unsafe {
            ida.yy = sys::N_VNew_Serial(n_c, ida.ctx);
            ida.yp = sys::N_VNew_Serial(n_c, ida.ctx);
        }
        if ida.yy.is_null() || ida.yp.is_null() {
            return Err(ida.setup_error("IDA_MEM_FAIL", "could not allocate the state vectors"));
        }
        ida.y_mut().copy_from_slice(y0);
        ida.yp_mut().copy_from_slice(yp0);
        // SAFETY: both vectors are valid serial vectors with their own operation tables;
        // IDA clones its work vectors from `yy` (copying the table) in `IDAInit`, below.
        unsafe {
            use_fast_vector_ops(ida.yy);
            use_fast_vector_ops(ida.yp);
        }

        // SAFETY: `ctx` is valid.
        ida.mem = unsafe { sys::IDACreate(ida.ctx) };
        if ida.mem.is_null() {
            return Err(ida.setup_error("IDA_MEM_FAIL", "IDACreate failed"));
        }
        // SAFETY: `mem`, `yy`, `yp` are valid; IDA copies the initial values.
        let flag = unsafe { sys::IDAInit(ida.mem, Some(residual_cb::<S>), t0, ida.yy, ida.yp) };
        ida.check(flag)?;

        match &options.atol_vector {
            Some(atol) => {
                let v = TempVector::new(atol, ida.ctx)
                    .ok_or_else(|| ida.setup_error("IDA_MEM_FAIL", "allocation failed"))?;
                // SAFETY: `mem` and the temporary vector are valid; IDA copies the vector.
                let flag = unsafe { sys::IDASVtolerances(ida.mem, options.rtol, v.0) };
                ida.check(flag)?;
            }
            None => {
                // SAFETY: `mem` is valid.
                let flag = unsafe { sys::IDASStolerances(ida.mem, options.rtol, options.atol) };
                ida.check(flag)?;
            }
        }
        // SAFETY: `mem` is valid; `shared` stays valid until after `IDAFree` (see `Drop`).
        let flag = unsafe { sys::IDASetUserData(ida.mem, shared.cast()) };
        ida.check(flag)?;
        // The error weights come from `ewt_cb` (the tolerances above stay IDA's record of
        // them): one pass instead of IDA's five.
        // SAFETY: `mem` is valid; the weight function reads `shared`, registered above.
        let flag = unsafe { sys::IDAWFtolerances(ida.mem, Some(ewt_cb::<S>)) };
        ida.check(flag)?;

        let id: Vec<f64> = differential
            .iter()
            .map(|&d| if d { 1.0 } else { 0.0 })
            .collect();
        let id = TempVector::new(&id, ida.ctx)
            .ok_or_else(|| ida.setup_error("IDA_MEM_FAIL", "allocation failed"))?;
        // SAFETY: `mem` and the temporary vector are valid; IDA copies the vector.
        let flag = unsafe { sys::IDASetId(ida.mem, id.0) };
        ida.check(flag)?;
        drop(id);

        let max_steps = c_long::try_from(options.max_steps).unwrap_or(c_long::MAX);
        // `validate_options` bounded max_order to 1..=5.
        let max_order = options.max_order as c_int;
        // SAFETY: `mem` is valid.
        let flag = unsafe { sys::IDASetMaxNumSteps(ida.mem, max_steps) };
        ida.check(flag)?;
        // SAFETY: `mem` is valid.
        let flag = unsafe { sys::IDASetMaxOrd(ida.mem, max_order) };
        ida.check(flag)?;
        if let Some(h0) = options.initial_step {
            // SAFETY: `mem` is valid.
            let flag = unsafe { sys::IDASetInitStep(ida.mem, h0) };
            ida.check(flag)?;
        }
        if let Some(hmax) = options.max_step {
            // SAFETY: `mem` is valid.
            let flag = unsafe { sys::IDASetMaxStep(ida.mem, hmax) };
            ida.check(flag)?;
        }
        if num_roots > 0 {
            // SAFETY: `mem` is valid; the root callback reads `num_roots` outputs.
            let flag = unsafe { sys::IDARootInit(ida.mem, num_roots_c, Some(root_cb::<S>)) };
            ida.check(flag)?;
        }

        // SAFETY: `ctx` is valid; CSC_MAT is a valid sparse type.
        ida.mat = unsafe { sys::SUNSparseMatrix(n_c, n_c, nnz_c, sys::CSC_MAT as c_int, ida.ctx) };
        if ida.mat.is_null() {
            return Err(ida.setup_error("IDA_MEM_FAIL", "could not allocate the Jacobian"));
        }
        // SAFETY: `mat` is a valid CSC matrix with n + 1 column pointers and nnz entries;
        // `shared` is valid and not otherwise referenced. The matrix owns its operation table
        // (`SUNMatNewEmpty` allocates one per matrix), so replacing `zero` affects only it.
        // `zero` keeps the values: the Jacobian callback sets every one of them.
        unsafe {
            restore_pattern(&*shared, ida.mat);
            (*(*ida.mat).ops).zero = Some(keep_values);
        }

        // SAFETY: `ctx` is valid.
        ida.ls = unsafe { sys::SUNLinSolNewEmpty(ida.ctx) };
        if ida.ls.is_null() {
            return Err(ida.setup_error("IDA_MEM_FAIL", "could not allocate the linear solver"));
        }
        // SAFETY: `ls` and its `ops` table were just allocated by `SUNLinSolNewEmpty` (all
        // operations null). The content is our shared state, which outlives the solver; the
        // `free` operation never frees the content.
        unsafe {
            let ops = &mut *(*ida.ls).ops;
            ops.gettype = Some(ls_gettype);
            ops.getid = Some(ls_getid);
            ops.setup = Some(ls_setup::<S>);
            ops.solve = Some(ls_solve::<S>);
            ops.free = Some(ls_free);
            (*ida.ls).content = shared.cast();
        }
        // SAFETY: `mem`, `ls` and `mat` are valid and outlive their use by IDA (see `Drop`).
        let flag = unsafe { sys::IDASetLinearSolver(ida.mem, ida.ls, ida.mat) };
        if flag != 0 {
            return Err(ida.error_from(ls_flag_name(flag), flag, "attaching the linear solver"));
        }
        // SAFETY: `mem` is valid and has a linear solver attached.
        let flag = unsafe { sys::IDASetJacFn(ida.mem, Some(jacobian_cb::<S>)) };
        if flag != 0 {
            return Err(ida.error_from(ls_flag_name(flag), flag, "setting the Jacobian"));
        }
        Ok(ida)
    }

    /// Computes consistent initial conditions (`IDACalcIC` with `IDA_YA_YDP_INIT`): given the
    /// differential components of `y`, solves for the algebraic components of `y` and for
    /// `y'`. `t_next` is the first output time (it sets the scale of the initial step and must
    /// differ from the current time). Afterwards [`Ida::y`] and [`Ida::yp`] return the
    /// consistent values. Call it right after [`Ida::new`] or [`Ida::reinit`], before stepping.
    pub fn calc_ic(&mut self, t_next: f64) -> Result<(), SolverError> {
        self.clear_messages();
        // SAFETY: as in `system_mut`; no callback runs outside the IDA call.
        unsafe {
            (*self.shared).in_calc_ic = true;
            (*self.shared).may_refresh = false;
        }
        // SAFETY: `mem` is valid; no Rust reference into the shared state is live.
        let flag = unsafe { sys::IDACalcIC(self.mem, sys::IDA_YA_YDP_INIT, t_next) };
        // SAFETY: as above.
        unsafe { (*self.shared).in_calc_ic = false };
        self.check(flag)?;
        // SAFETY: `mem`, `yy` and `yp` are valid; IDA writes n values into each.
        let flag = unsafe { sys::IDAGetConsistentIC(self.mem, self.yy, self.yp) };
        self.check(flag)
    }

    /// Restarts the integration at `t0` from `y0`, `yp0` (`IDAReInit`), keeping the options,
    /// the root functions and the LU symbolic analysis. Call it after changing the system
    /// through [`Ida::system_mut`]. Any stop time is cleared. If the new state is not
    /// consistent, call [`Ida::calc_ic`] next.
    pub fn reinit(&mut self, t0: f64, y0: &[f64], yp0: &[f64]) -> Result<(), SolverError> {
        self.clear_messages();
        if y0.len() != self.n || yp0.len() != self.n {
            return Err(input_error(
                self.t,
                format!(
                    "reinit values have lengths {} and {}, expected {}",
                    y0.len(),
                    yp0.len(),
                    self.n
                ),
            ));
        }
        if !t0.is_finite() || !y0.iter().chain(yp0).all(|v| v.is_finite()) {
            return Err(input_error(
                self.t,
                "reinit time or values not finite".into(),
            ));
        }
        let saved = self.base;
        self.base = add_counters(self.base, self.ida_counters());
        self.base.reinits += 1;
        self.y_mut().copy_from_slice(y0);
        self.yp_mut().copy_from_slice(yp0);
        self.t = t0;
        // SAFETY: `mem`, `yy`, `yp` are valid; IDA copies the values.
        let flag = unsafe { sys::IDAReInit(self.mem, t0, self.yy, self.yp) };
        if flag < 0 {
            // IDA did not restart its counters.
            self.base = saved;
        }
        self.check(flag)?;
        // SAFETY: `mem` is valid.
        let flag = unsafe { sys::IDAClearStopTime(self.mem) };
        self.check(flag)
    }

    /// Sets a time the integrator will not step past (`IDASetStopTime`); reaching it returns
    /// [`StepOutcome::Reached`]. IDA clears the stop time once it has been reached, and
    /// [`Ida::reinit`] clears it too: set it again for each segment that needs it.
    pub fn set_stop_time(&mut self, t_stop: f64) -> Result<(), SolverError> {
        self.clear_messages();
        if !t_stop.is_finite() {
            return Err(input_error(
                self.t,
                format!("stop time {t_stop} is not finite"),
            ));
        }
        // SAFETY: `mem` is valid.
        let flag = unsafe { sys::IDASetStopTime(self.mem, t_stop) };
        self.check(flag)
    }

    /// Removes the stop time, if any.
    pub fn clear_stop_time(&mut self) -> Result<(), SolverError> {
        self.clear_messages();
        // SAFETY: `mem` is valid.
        let flag = unsafe { sys::IDAClearStopTime(self.mem) };
        self.check(flag)
    }

    /// Sets the maximum absolute step size (`IDASetMaxStep`); `0` or `f64::INFINITY` removes
    /// the limit.
    pub fn set_max_step(&mut self, h: f64) -> Result<(), SolverError> {
        self.clear_messages();
        if h.is_nan() || h < 0.0 {
            return Err(input_error(self.t, format!("max step {h} must be >= 0")));
        }
        let h = if h == f64::INFINITY { 0.0 } else { h };
        // SAFETY: `mem` is valid.
        let flag = unsafe { sys::IDASetMaxStep(self.mem, h) };
        self.check(flag)
    }

    /// Takes one internal step toward `t_out` (`IDA_ONE_STEP`). Returns
    /// [`StepOutcome::Step`] after a normal step (which may go past `t_out` unless a stop time
    /// is set), [`StepOutcome::Root`] at a root, or [`StepOutcome::Reached`] at the stop time.
    ///
    /// On the first call after (re)initialisation, `t_out` gives the direction and the scale
    /// of the first step and must differ from the current time: unless
    /// [`IdaOptions::initial_step`] is set, IDA tries `h0 = min(0.001 |t_out − t|,
    /// 0.5 / ‖y'‖_WRMS)`, so a huge `t_out` (like `f64::MAX`) with a near-zero `y'` gives an
    /// absurd first step and an `IDA_ERR_FAIL`. Pass a realistic horizon.
    pub fn step(&mut self, t_out: f64) -> Result<StepOutcome, SolverError> {
        self.solve(t_out, sys::IDA_ONE_STEP)
    }

    /// Integrates to `t_out` and returns the solution interpolated there (`IDA_NORMAL`),
    /// unless a root ([`StepOutcome::Root`]) or the stop time ([`StepOutcome::Reached`] with
    /// `t` = stop time) comes first.
    pub fn advance_to(&mut self, t_out: f64) -> Result<StepOutcome, SolverError> {
        self.solve(t_out, sys::IDA_NORMAL)
    }

    fn solve(&mut self, t_out: f64, task: c_int) -> Result<StepOutcome, SolverError> {
        self.clear_messages();
        if !t_out.is_finite() {
            return Err(input_error(
                self.t,
                format!("output time {t_out} is not finite"),
            ));
        }
        let mut t_ret = self.t;
        // SAFETY: `mem`, `yy`, `yp` are valid, `t_ret` is a valid out-pointer. No Rust
        // reference into the shared state or the state vectors is live during the call
        // (this method holds `&mut self`).
        let flag = unsafe { sys::IDASolve(self.mem, t_out, &mut t_ret, self.yy, self.yp, task) };
        // On failure IDA returns the time reached and the solution there.
        self.t = t_ret;
        match flag {
            sys::IDA_ROOT_RETURN => {
                // SAFETY: `mem` is valid; `roots_buf` has one slot per root function.
                let flag = unsafe { sys::IDAGetRootInfo(self.mem, self.roots_buf.as_mut_ptr()) };
                self.check(flag)?;
                Ok(StepOutcome::Root {
                    t: t_ret,
                    roots: self.roots_buf.clone(),
                })
            }
            sys::IDA_TSTOP_RETURN => Ok(StepOutcome::Reached { t: t_ret }),
            f if f >= 0 => {
                if task == sys::IDA_ONE_STEP {
                    Ok(StepOutcome::Step { t: t_ret })
                } else {
                    Ok(StepOutcome::Reached { t: t_ret })
                }
            }
            f => Err(self.error_from(ida_flag_name(f), f, "")),
        }
    }

    /// The solution interpolated at `t` (`IDAGetDky`, k = 0: IDA's own interpolating
    /// polynomial of the last internal step), written into `out` (length n). `t` must lie
    /// within the last internal step, `[t_n − h_u, t_n]`; the solver's state is unchanged, so
    /// output at any times costs no solver stop.
    pub fn interpolate(&mut self, t: f64, out: &mut [f64]) -> Result<(), SolverError> {
        self.clear_messages();
        if out.len() != self.n {
            return Err(input_error(
                self.t,
                format!(
                    "interpolation into {} values, the system has {}",
                    out.len(),
                    self.n
                ),
            ));
        }
        let n_c = sunindextype::try_from(self.n)
            .map_err(|_| input_error(self.t, "system too large".to_string()))?;
        // SAFETY: `ctx` and `mem` are valid; the vector wraps `out` (length n, borrowed
        // mutably for the call) without owning it, and is destroyed before `out` is released
        // (a vector made with `N_VMake_Serial` does not free its data).
        let flag = unsafe {
            let v = sys::N_VMake_Serial(n_c, out.as_mut_ptr(), self.ctx);
            if v.is_null() {
                return Err(input_error(
                    self.t,
                    "could not wrap the interpolation vector".to_string(),
                ));
            }
            let flag = sys::IDAGetDky(self.mem, t, 0, v);
            sys::N_VDestroy(v);
            flag
        };
        self.check(flag)
    }

    /// Current time of the returned solution.
    pub fn t(&self) -> f64 {
        self.t
    }

    /// Current solution `y` (at [`Ida::t`]).
    pub fn y(&self) -> &[f64] {
        // SAFETY: `yy` is a valid serial vector of length n owned by `self`; SUNDIALS only
        // writes to it during calls that take `&mut self`.
        unsafe { nvec_slice(self.yy, self.n) }
    }

    /// Current derivative `y'` (at [`Ida::t`]).
    pub fn yp(&self) -> &[f64] {
        // SAFETY: as in `y`.
        unsafe { nvec_slice(self.yp, self.n) }
    }

    fn y_mut(&mut self) -> &mut [f64] {
        // SAFETY: `yy` is a valid serial vector of length n owned by `self`, borrowed mutably.
        unsafe { nvec_slice_mut(self.yy, self.n) }
    }

    fn yp_mut(&mut self) -> &mut [f64] {
        // SAFETY: as in `y_mut`.
        unsafe { nvec_slice_mut(self.yp, self.n) }
    }

    /// The system being integrated.
    pub fn system(&self) -> &S {
        // SAFETY: `shared` is valid for the life of `self`; callbacks only run during calls
        // that take `&mut self`, so no mutable access overlaps this borrow.
        unsafe { &(*self.shared).system }
    }

    /// Mutable access to the system, for example to change a parameter between steps. IDA's
    /// history assumes a smooth residual: call [`Ida::reinit`] afterwards if the change is
    /// discontinuous.
    pub fn system_mut(&mut self) -> &mut S {
        // SAFETY: as in `system`, and `&mut self` makes this the only reference.
        unsafe { &mut (*self.shared).system }
    }

    /// Makes the next factorisation a full one with fresh pivoting, as right after
    /// [`Ida::new`]: what follows then depends only on the state given to the next
    /// [`Ida::reinit`], not on the pivot sequence of earlier factorisations (so a run continued
    /// from a saved state repeats an uninterrupted one exactly).
    pub fn forget_factorization(&mut self) {
        // SAFETY: as in `system_mut`; no callback runs while `&mut self` is held.
        unsafe { (*self.shared).lu.forget() }
    }

    /// The pivot sequence the next factorisation of the iteration matrix tries to reuse (see
    /// [`SparseLu::pivot_sequence`]); `None` if it will be a full one.
    pub fn pivot_sequence(&self) -> Option<Vec<usize>> {
        // SAFETY: as in `system`.
        unsafe { (*self.shared).lu.pivot_sequence().map(<[usize]>::to_vec) }
    }

    /// Restores a pivot sequence from [`Ida::pivot_sequence`], or forgets the current one
    /// with `None`: what follows then depends only on the state given to the next
    /// [`Ida::reinit`] and this sequence, as in the run it was taken from.
    pub fn restore_pivot_sequence(&mut self, row_perm: Option<&[usize]>) -> Result<(), LuError> {
        // SAFETY: as in `system_mut`; no callback runs while `&mut self` is held.
        unsafe { (*self.shared).lu.restore_pivot_sequence(row_perm) }
    }

    /// Sparse LU diagnostics: `(nnz(L) + nnz(U), pivot ratio)` of the last factorisation, see
    /// [`SparseLu::factor_nnz`] and [`SparseLu::pivot_ratio`].
    pub fn lu_info(&self) -> (usize, f64) {
        // SAFETY: as in `system`.
        let lu = unsafe { &(*self.shared).lu };
        (lu.factor_nnz(), lu.pivot_ratio())
    }

    /// Integrator statistics, cumulative since [`Ida::new`].
    pub fn stats(&self) -> SolverStats {
        let mut s = add_counters(self.base, self.ida_counters());
        // SAFETY: as in `system`.
        let shared = unsafe { &*self.shared };
        s.linear_solves = shared.linear_solves;
        s.lu_full_factorizations = shared.lu.full_factorizations();
        s.lu_refactorizations = shared.lu.refactorizations();
        s.jacobian_refreshes = shared.refreshes;
        s
    }

    /// Consumes the integrator and returns the system.
    pub fn into_system(mut self) -> S {
        self.free_handles();
        let shared = std::mem::replace(&mut self.shared, ptr::null_mut());
        // SAFETY: `shared` came from `Box::into_raw` in `new` and, with every SUNDIALS handle
        // freed, nothing else refers to it; `self.shared` is now null so `Drop` skips it.
        let shared = unsafe { Box::from_raw(shared) };
        shared.system
    }

    /// IDA's counters for the current segment (since the last (re)initialisation).
    fn ida_counters(&self) -> SolverStats {
        let get = |f: unsafe extern "C" fn(*mut c_void, *mut c_long) -> c_int| -> u64 {
            let mut v: c_long = 0;
            // SAFETY: `mem` is valid and `v` is a valid out-pointer; getters only read.
            unsafe { f(self.mem, &mut v) };
            u64::try_from(v).unwrap_or(0)
        };
        let mut h = 0.0;
        let mut k: c_int = 0;
        // SAFETY: `mem` is valid and the out-pointers are valid.
        unsafe {
            sys::IDAGetLastStep(self.mem, &mut h);
            sys::IDAGetLastOrder(self.mem, &mut k);
        }
        SolverStats {
            steps: get(sys::IDAGetNumSteps),
            residual_evals: get(sys::IDAGetNumResEvals),
            jacobian_evals: get(sys::IDAGetNumJacEvals),
            linear_setups: get(sys::IDAGetNumLinSolvSetups),
            linear_solves: 0,
            nonlinear_iters: get(sys::IDAGetNumNonlinSolvIters),
            nonlinear_conv_fails: get(sys::IDAGetNumNonlinSolvConvFails),
            error_test_fails: get(sys::IDAGetNumErrTestFails),
            root_evals: get(sys::IDAGetNumGEvals),
            reinits: 0,
            lu_full_factorizations: 0,
            lu_refactorizations: 0,
            jacobian_refreshes: 0,
            last_step: h,
            last_order: u32::try_from(k).unwrap_or(0),
        }
    }

    fn clear_messages(&mut self) {
        // SAFETY: `shared` and `sink` are valid and not referenced elsewhere right now.
        unsafe {
            (*self.shared).failure = None;
            (*self.sink).message = None;
        }
    }

    /// Maps an IDA return flag to `Ok` (non-negative) or a [`SolverError`].
    fn check(&mut self, flag: c_int) -> Result<(), SolverError> {
        if flag >= 0 {
            Ok(())
        } else {
            Err(self.error_from(ida_flag_name(flag), flag, ""))
        }
    }

    fn setup_error(&mut self, flag: &'static str, what: &str) -> SolverError {
        SolverError::new(self.t, 0, flag, what.to_string())
    }

    /// Builds a [`SolverError`] from a failure flag, collecting the time reached, the step
    /// count, the SUNDIALS message and the last callback failure.
    fn error_from(&mut self, name: &'static str, flag: c_int, context: &str) -> SolverError {
        let mut time = self.t;
        let mut steps: c_long = 0;
        if !self.mem.is_null() {
            // SAFETY: `mem` is valid and the out-pointers are valid.
            unsafe {
                if sys::IDAGetCurrentTime(self.mem, &mut time) != 0 {
                    time = self.t;
                }
                sys::IDAGetNumSteps(self.mem, &mut steps);
            }
        }
        // SAFETY: `shared` and `sink` are valid and not referenced elsewhere right now.
        let (failure, sundials) =
            unsafe { ((*self.shared).failure.take(), (*self.sink).message.take()) };
        let mut reason = if name.starts_with("IDALS_") {
            String::from("linear solver interface error")
        } else {
            ida_flag_reason(flag).to_string()
        };
        if !context.is_empty() {
            reason = format!("{context}: {reason}");
        }
        SolverError {
            time,
            steps: self.base.steps + u64::try_from(steps).unwrap_or(0),
            flag: name,
            reason,
            sundials_message: sundials.map(|m| m.trim().to_string()),
            callback: failure.map(Box::new),
        }
    }

    /// Frees every SUNDIALS handle (idempotent).
    fn free_handles(&mut self) {
        // SAFETY: each handle is either null or was created in `new` and not yet freed; they
        // are freed in dependency order (IDA memory first, the context last) and nulled.
        unsafe {
            if !self.mem.is_null() {
                sys::IDAFree(&mut self.mem);
                self.mem = ptr::null_mut();
            }
            if !self.ls.is_null() {
                sys::SUNLinSolFree(self.ls);
                self.ls = ptr::null_mut();
            }
            if !self.mat.is_null() {
                sys::SUNMatDestroy(self.mat);
                self.mat = ptr::null_mut();
            }
            if !self.yy.is_null() {
                sys::N_VDestroy(self.yy);
                self.yy = ptr::null_mut();
            }
            if !self.yp.is_null() {
                sys::N_VDestroy(self.yp);
                self.yp = ptr::null_mut();
            }
            if !self.ctx.is_null() {
                sys::SUNContext_Free(&mut self.ctx);
                self.ctx = ptr::null_mut();
            }
            if !self.sink.is_null() {
                drop(Box::from_raw(self.sink));
                self.sink = ptr::null_mut();
            }
        }
    }
}

impl<S: DaeSystem> Drop for Ida<S> {
    fn drop(&mut self) {
        self.free_handles();
        if !self.shared.is_null() {
            // SAFETY: `shared` came from `Box::into_raw` in `new`; every SUNDIALS object that
            // pointed to it has been freed above.
            drop(unsafe { Box::from_raw(self.shared) });
            self.shared = ptr::null_mut();
        }
    }
}

impl<S: DaeSystem> std::fmt::Debug for Ida<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ida")
            .field("n", &self.n)
            .field("t", &self.t)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

/// The tail of a [`SolverError`]'s message: SUNDIALS' message in brackets, then `"; "` and
/// the failing callback's, e.g. `" [SUNDIALS: …]; residual failed: electrolyte concentration
/// negative"`.
fn details(sundials: &Option<String>, callback: &Option<Box<CallbackFailure>>) -> String {
    let mut text = String::new();
    if let Some(m) = sundials {
        text.push_str(" [SUNDIALS: ");
        text.push_str(m);
        text.push(']');
    }
    if let Some(f) = callback {
        text.push_str("; ");
        text.push_str(&f.to_string());
    }
    text
}

fn input_error(t: f64, reason: String) -> SolverError {
    SolverError::new(t, 0, "IDA_ILL_INPUT", reason)
}

fn validate_options(o: &IdaOptions, n: usize) -> Result<(), String> {
    if !(o.rtol.is_finite() && o.rtol >= 0.0) {
        return Err(format!("rtol = {} must be finite and >= 0", o.rtol));
    }
    if !(o.atol.is_finite() && o.atol >= 0.0) {
        return Err(format!("atol = {} must be finite and >= 0", o.atol));
    }
    if let Some(v) = &o.atol_vector {
        if v.len() != n {
            return Err(format!("atol_vector has length {}, expected {n}", v.len()));
        }
        if !v.iter().all(|a| a.is_finite() && *a >= 0.0) {
            return Err("atol_vector entries must be finite and >= 0".into());
        }
    }
    if o.max_steps == 0 {
        return Err("max_steps must be at least 1".into());
    }
    if !(1..=5).contains(&o.max_order) {
        return Err(format!("max_order = {} must be in 1..=5", o.max_order));
    }
    if let Some(h) = o.initial_step {
        if !(h.is_finite() && h != 0.0) {
            return Err(format!("initial_step = {h} must be finite and non-zero"));
        }
    }
    if let Some(h) = o.max_step {
        if h.is_nan() || h <= 0.0 {
            return Err(format!("max_step = {h} must be > 0"));
        }
    }
    Ok(())
}

fn add_counters(a: SolverStats, b: SolverStats) -> SolverStats {
    SolverStats {
        steps: a.steps + b.steps,
        residual_evals: a.residual_evals + b.residual_evals,
        jacobian_evals: a.jacobian_evals + b.jacobian_evals,
        linear_setups: a.linear_setups + b.linear_setups,
        linear_solves: a.linear_solves + b.linear_solves,
        nonlinear_iters: a.nonlinear_iters + b.nonlinear_iters,
        nonlinear_conv_fails: a.nonlinear_conv_fails + b.nonlinear_conv_fails,
        error_test_fails: a.error_test_fails + b.error_test_fails,
        root_evals: a.root_evals + b.root_evals,
        reinits: a.reinits + b.reinits,
        lu_full_factorizations: a.lu_full_factorizations + b.lu_full_factorizations,
        lu_refactorizations: a.lu_refactorizations + b.lu_refactorizations,
        jacobian_refreshes: a.jacobian_refreshes + b.jacobian_refreshes,
        last_step: b.last_step,
        last_order: b.last_order,
    }
}

/// An `N_Vector` freed on drop, for values IDA copies (tolerances, id).
struct TempVector(N_Vector);

impl TempVector {
    fn new(values: &[f64], ctx: SUNContext) -> Option<Self> {
        let len = sunindextype::try_from(values.len()).ok()?;
        // SAFETY: `ctx` is a valid context.
        let v = unsafe { sys::N_VNew_Serial(len, ctx) };
        if v.is_null() {
            return None;
        }
        let v = TempVector(v);
        // SAFETY: `v` is a fresh serial vector of length `values.len()`.
        unsafe { nvec_slice_mut(v.0, values.len()) }.copy_from_slice(values);
        Some(v)
    }
}

impl Drop for TempVector {
    fn drop(&mut self) {
        // SAFETY: the vector was created by `N_VNew_Serial` and is freed only here.
        unsafe { sys::N_VDestroy(self.0) }
    }
}

/// # Safety
/// `v` must be a valid serial `N_Vector` of length `n` (or null data with `n == 0`), and its
/// data must not be written through other pointers while the slice lives.
unsafe fn nvec_slice<'a>(v: N_Vector, n: usize) -> &'a [f64] {
    // SAFETY: guaranteed by the caller.
    let p = unsafe { sys::N_VGetArrayPointer(v) };
    if p.is_null() || n == 0 {
        &[]
    } else {
        // SAFETY: `p` points to `n` initialised f64 values (caller's guarantee).
        unsafe { std::slice::from_raw_parts(p, n) }
    }
}

/// # Safety
/// As [`nvec_slice`], and the data must not be accessed through other pointers at all while
/// the slice lives.
unsafe fn nvec_slice_mut<'a>(v: N_Vector, n: usize) -> &'a mut [f64] {
    // SAFETY: guaranteed by the caller.
    let p = unsafe { sys::N_VGetArrayPointer(v) };
    if p.is_null() || n == 0 {
        &mut []
    } else {
        // SAFETY: `p` points to `n` initialised f64 values, unaliased (caller's guarantee).
        unsafe { std::slice::from_raw_parts_mut(p, n) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numerics::dae::{EvalError, SparsityPattern};

    /// `y0' = -y0`, `0 = y1 - 2 y0`: exact solution `y0 = e^{-t}`, `y1 = 2 e^{-t}`.
    struct Decay;

    impl DaeSystem for Decay {
        fn len(&self) -> usize {
            2
        }
        fn differential(&self) -> Vec<bool> {
            vec![true, false]
        }
        fn residual(
            &mut self,
            _t: f64,
            y: &[f64],
            yp: &[f64],
            r: &mut [f64],
        ) -> Result<(), EvalError> {
            r[0] = yp[0] + y[0];
            r[1] = y[1] - 2.0 * y[0];
            Ok(())
        }
        fn jacobian_pattern(&self) -> SparsityPattern {
            SparsityPattern::from_entries(2, [(0, 0), (1, 0), (1, 1)])
        }
        fn jacobian(
            &mut self,
            _t: f64,
            c_j: f64,
            _y: &[f64],
            _yp: &[f64],
            v: &mut [f64],
        ) -> Result<(), EvalError> {
            v.copy_from_slice(&[1.0 + c_j, -2.0, 1.0]);
            Ok(())
        }
    }

    fn assert_send<T: Send>() {}

    #[test]
    fn decay_is_integrated_accurately() {
        assert_send::<Ida<Decay>>();
        let options = IdaOptions {
            rtol: 1e-10,
            atol: 1e-12,
            ..IdaOptions::default()
        };
        // Inconsistent algebraic value and derivative, fixed by calc_ic.
        let mut ida = Ida::new(Decay, 0.0, &[1.0, 0.0], &[0.0, 0.0], &options).unwrap();
        ida.calc_ic(0.1).unwrap();
        assert!((ida.y()[1] - 2.0).abs() < 1e-12 && (ida.yp()[0] + 1.0).abs() < 1e-10);
        for t in [0.5, 1.0, 2.0, 5.0] {
            assert_eq!(ida.advance_to(t).unwrap(), StepOutcome::Reached { t });
            let exact = (-t).exp();
            assert!((ida.y()[0] - exact).abs() < 1e-8 * exact.max(1e-3));
            assert!((ida.y()[1] - 2.0 * exact).abs() < 1e-8);
        }
        let s = ida.stats();
        assert!(s.steps > 0 && s.jacobian_evals > 0 && s.linear_solves > 0);
        assert!(s.last_order >= 1 && s.last_step > 0.0);
        assert!(format!("{ida:?}").contains("Ida"));
    }

    #[test]
    fn the_solution_is_interpolated_within_a_step() {
        let options = IdaOptions {
            rtol: 1e-8,
            atol: 1e-10,
            ..IdaOptions::default()
        };
        let mut ida = Ida::new(Decay, 0.0, &[1.0, 2.0], &[-1.0, -2.0], &options).unwrap();
        let mut out = [0.0; 2];
        let mut checked = 0;
        let mut t_before = 0.0;
        while ida.t() < 3.0 {
            ida.step(10.0).unwrap();
            let t_after = ida.t();
            // Interior points of the step just taken, against the exact solution.
            for w in [0.25, 0.5, 0.75] {
                let t = t_before + w * (t_after - t_before);
                ida.interpolate(t, &mut out).unwrap();
                let exact = (-t).exp();
                assert!((out[0] - exact).abs() < 1e-6 * exact, "t {t}: {out:?}");
                assert!(
                    (out[1] - 2.0 * exact).abs() < 2e-6 * exact,
                    "t {t}: {out:?}"
                );
                checked += 1;
            }
            // The state is untouched.
            assert_eq!(ida.t(), t_after);
            t_before = t_after;
        }
        assert!(checked > 10);
        // Outside the last step: IDA's error, no panic.
        let e = ida.interpolate(-1.0, &mut out).unwrap_err();
        assert!(e.flag.starts_with("IDA_"), "{e}");
        assert!(ida.interpolate(1.0, &mut [0.0; 3]).is_err());
    }

    /// [`Decay`] whose every residual reports the iteration matrix outdated.
    struct AlwaysOutdated(Decay);

    impl DaeSystem for AlwaysOutdated {
        fn len(&self) -> usize {
            self.0.len()
        }
        fn differential(&self) -> Vec<bool> {
            self.0.differential()
        }
        fn residual(
            &mut self,
            t: f64,
            y: &[f64],
            yp: &[f64],
            r: &mut [f64],
        ) -> Result<(), EvalError> {
            self.0.residual(t, y, yp, r)
        }
        fn jacobian_pattern(&self) -> SparsityPattern {
            self.0.jacobian_pattern()
        }
        fn jacobian(
            &mut self,
            t: f64,
            c_j: f64,
            y: &[f64],
            yp: &[f64],
            v: &mut [f64],
        ) -> Result<(), EvalError> {
            self.0.jacobian(t, c_j, y, yp, v)
        }
        fn jacobian_outdated(&self) -> bool {
            true
        }
    }

    #[test]
    fn an_outdated_matrix_is_replaced_once_per_matrix() {
        let options = IdaOptions {
            rtol: 1e-10,
            atol: 1e-12,
            ..IdaOptions::default()
        };
        let mut ida = Ida::new(
            AlwaysOutdated(Decay),
            0.0,
            &[1.0, 2.0],
            &[-1.0, -2.0],
            &options,
        )
        .unwrap();
        // Not inside IDACalcIC: its Newton keeps its own matrices.
        ida.calc_ic(0.1).unwrap();
        assert_eq!(ida.stats().jacobian_refreshes, 0);
        assert_eq!(
            ida.advance_to(2.0).unwrap(),
            StepOutcome::Reached { t: 2.0 }
        );
        let exact = (-2.0f64).exp();
        assert!((ida.y()[0] - exact).abs() < 1e-8 * exact);
        let s = ida.stats();
        // Every matrix is asked to be replaced once, and the replacement is kept: the
        // integration goes on, and IDA's own step-size control is not involved.
        assert!(s.jacobian_refreshes > 0);
        assert!(s.jacobian_refreshes <= s.jacobian_evals);
        assert_eq!(s.nonlinear_conv_fails, s.jacobian_refreshes);
    }

    #[test]
    fn many_solvers_can_be_created_and_dropped() {
        for _ in 0..200 {
            let mut ida = Ida::new(
                Decay,
                0.0,
                &[1.0, 2.0],
                &[-1.0, 0.0],
                &IdaOptions::default(),
            )
            .unwrap();
            ida.advance_to(1.0).unwrap();
        }
        let ida = Ida::new(
            Decay,
            0.0,
            &[1.0, 2.0],
            &[-1.0, 0.0],
            &IdaOptions::default(),
        )
        .unwrap();
        let _system: Decay = ida.into_system();
    }

    #[test]
    fn solver_errors_show_flag_time_steps_and_reason() {
        let e = SolverError {
            time: 1.5,
            steps: 7,
            flag: "IDA_CONV_FAIL",
            reason: "because".into(),
            sundials_message: None,
            callback: None,
        };
        assert_eq!(
            e.to_string(),
            "IDA_CONV_FAIL at t = 1.5 s after 7 steps: because"
        );
        let with_message = SolverError {
            sundials_message: Some("at t = 1.5, mxstep steps taken".into()),
            ..e
        };
        assert_eq!(
            with_message.to_string(),
            "IDA_CONV_FAIL at t = 1.5 s after 7 steps: because [SUNDIALS: at t = 1.5, mxstep steps taken]"
        );
    }

    #[test]
    fn options_are_validated() {
        let ok = IdaOptions::default();
        assert_eq!(
            (ok.rtol, ok.atol, ok.max_steps, ok.max_order),
            (1e-6, 1e-8, 100_000, 5)
        );
        assert!(validate_options(&ok, 2).is_ok());
        for bad in [
            IdaOptions {
                rtol: -1.0,
                ..IdaOptions::default()
            },
            IdaOptions {
                atol: f64::NAN,
                ..IdaOptions::default()
            },
            IdaOptions {
                max_steps: 0,
                ..IdaOptions::default()
            },
            IdaOptions {
                max_order: 0,
                ..IdaOptions::default()
            },
            IdaOptions {
                initial_step: Some(0.0),
                ..IdaOptions::default()
            },
            IdaOptions {
                max_step: Some(-1.0),
                ..IdaOptions::default()
            },
            IdaOptions {
                atol_vector: Some(vec![1e-8; 3]),
                ..IdaOptions::default()
            },
        ] {
            assert!(validate_options(&bad, 2).is_err(), "{bad:?}");
        }
    }
}
