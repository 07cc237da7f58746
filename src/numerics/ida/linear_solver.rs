//! The custom `SUNLinearSolver` IDA is given: a matrix-based (`SUNLINEARSOLVER_DIRECT`) solver
//! whose `setup` runs the numeric [`SparseLu::factorize`] of the matrix the Jacobian callback
//! filled and whose `solve` runs [`SparseLu::solve_in_place`]; and the `zero` operation of the
//! Jacobian `SUNMatrix`, which keeps the CSC pattern written once by [`restore_pattern`].
//!
//! [`SparseLu::factorize`]: crate::numerics::sparse_lu::SparseLu::factorize
//! [`SparseLu::solve_in_place`]: crate::numerics::sparse_lu::SparseLu::solve_in_place

use std::ffi::c_int;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

use sundials_sys as sys;
use sys::{N_Vector, SUNLinearSolver, SUNMatrix};

use super::callbacks::{CallbackFailure, FailureDetail};
use super::Shared;
use crate::numerics::dae::DaeSystem;
use crate::numerics::sparse_lu::LuError;

/// Newton iterations of one IDA corrector solve at most (IDA's default `maxcor`, `MAXIT` in
/// ida.c; not changed here). An outdated matrix is replaced only once it has served at least
/// this many linear solves: it was then set up at an earlier step, and IDA's Newton answers the
/// refusal with a new matrix at the same step size. A matrix set up within the current solve is
/// never refused (the Newton would count that as a convergence failure and cut the step).
const NEWTON_ITERS: u64 = 4;

/// Writes the CSC pattern into the `SUNMatrix` index arrays.
///
/// # Safety
/// `mat` must be a valid CSC `SUNSparseMatrix` with `n + 1` column pointers and at least
/// `row_idx.len()` entries, not aliased by Rust references.
pub(super) unsafe fn restore_pattern<S>(shared: &Shared<S>, mat: SUNMatrix) {
    // SAFETY: guaranteed by the caller; the lengths match the matrix dimensions.
    unsafe {
        let ptrs = sys::SUNSparseMatrix_IndexPointers(mat);
        let vals = sys::SUNSparseMatrix_IndexValues(mat);
        ptr::copy_nonoverlapping(shared.col_ptr.as_ptr(), ptrs, shared.col_ptr.len());
        ptr::copy_nonoverlapping(shared.row_idx.as_ptr(), vals, shared.row_idx.len());
    }
}

/// `SUNMatZero` for the Jacobian, which IDA calls before every Jacobian evaluation: nothing to
/// do. The CSC pattern never changes (SUNDIALS' sparse `zero` also clears the index arrays,
/// which would then have to be written again), and every value is set by the evaluation itself
/// ([`DaeSystem::jacobian`](crate::numerics::dae::DaeSystem::jacobian) writes all of them), so
/// zeroing them here was a second pass over the values (0.5-1 % of a cycling run).
pub(super) unsafe extern "C" fn keep_values(_a: SUNMatrix) -> sys::SUNErrCode {
    0
}

pub(super) unsafe extern "C" fn ls_gettype(_ls: SUNLinearSolver) -> sys::SUNLinearSolver_Type {
    sys::SUNLinearSolver_Type_SUNLINEARSOLVER_DIRECT
}

pub(super) unsafe extern "C" fn ls_getid(_ls: SUNLinearSolver) -> sys::SUNLinearSolver_ID {
    sys::SUNLinearSolver_ID_SUNLINEARSOLVER_CUSTOM
}

/// Linear solver setup: numeric LU factorisation of the matrix the Jacobian callback filled.
pub(super) unsafe extern "C" fn ls_setup<S: DaeSystem>(ls: SUNLinearSolver, a: SUNMatrix) -> c_int {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: `ls` is our solver, whose content is the valid `Shared<S>`, not referenced
        // elsewhere during the callback; `a` is our CSC matrix with nnz values (C storage,
        // disjoint from `Shared`).
        unsafe {
            let shared = (*ls).content.cast::<Shared<S>>();
            let sh = &mut *shared;
            let nnz = sh.row_idx.len();
            let data = sys::SUNSparseMatrix_Data(a);
            if data.is_null() {
                sh.failure = Some(CallbackFailure {
                    origin: "LU factorisation",
                    detail: FailureDetail::Internal("null matrix data"),
                });
                return sys::SUN_ERR_EXT_FAIL;
            }
            let values = std::slice::from_raw_parts(data, nnz);
            sh.may_refresh = !sh.in_calc_ic;
            sh.solves_since_setup = 0;
            match sh.lu.factorize(values) {
                Ok(()) => 0,
                Err(e) => {
                    let code = match e {
                        LuError::Singular { .. } | LuError::NonFiniteValue { .. } => {
                            sys::SUNLS_LUFACT_FAIL as c_int
                        }
                        _ => sys::SUN_ERR_EXT_FAIL,
                    };
                    sh.failure = Some(CallbackFailure {
                        origin: "LU factorisation",
                        detail: FailureDetail::Lu(e),
                    });
                    code
                }
            }
        }
    }));
    outcome.unwrap_or(sys::SUN_ERR_EXT_FAIL)
}

/// Linear solver solve: `x = A⁻¹ b` with the current factorisation.
pub(super) unsafe extern "C" fn ls_solve<S: DaeSystem>(
    ls: SUNLinearSolver,
    _a: SUNMatrix,
    x: N_Vector,
    b: N_Vector,
    _tol: f64,
) -> c_int {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: as in `ls_setup`; `x` and `b` are serial vectors of length n; `x` may equal
        // `b`, so `b` is read before `x` is borrowed mutably and the borrows do not overlap.
        unsafe {
            let shared = (*ls).content.cast::<Shared<S>>();
            let sh = &mut *shared;
            let n = sh.n;
            let (px, pb) = (sys::N_VGetArrayPointer(x), sys::N_VGetArrayPointer(b));
            if px.is_null() || pb.is_null() {
                return sys::SUN_ERR_EXT_FAIL;
            }
            if px != pb {
                ptr::copy_nonoverlapping(pb, px, n);
            }
            // An outdated matrix from an earlier step: a recoverable failure, which IDA's Newton
            // answers with a new matrix at the same step size (SUNNonlinSol_Newton: a
            // recoverable failure while the matrix is not current), once per matrix.
            if sh.may_refresh
                && sh.solves_since_setup >= NEWTON_ITERS
                && sh.system.jacobian_outdated()
            {
                sh.may_refresh = false;
                sh.refreshes += 1;
                return sys::SUNLS_PACKAGE_FAIL_REC as c_int;
            }
            let xs = std::slice::from_raw_parts_mut(px, n);
            sh.linear_solves += 1;
            sh.solves_since_setup += 1;
            match sh.lu.solve_in_place(xs) {
                Ok(()) => 0,
                Err(e) => {
                    sh.failure = Some(CallbackFailure {
                        origin: "LU solve",
                        detail: FailureDetail::Lu(e),
                    });
                    sys::SUNLS_PACKAGE_FAIL_REC as c_int
                }
            }
        }
    }));
    outcome.unwrap_or(sys::SUN_ERR_EXT_FAIL)
}

/// Frees the solver object but never its content (owned by [`Ida`](super::Ida)).
pub(super) unsafe extern "C" fn ls_free(ls: SUNLinearSolver) -> sys::SUNErrCode {
    if !ls.is_null() {
        // SAFETY: `ls` was created by `SUNLinSolNewEmpty`; the content is detached first so
        // that nothing tries to free Rust memory.
        unsafe {
            (*ls).content = ptr::null_mut();
            sys::SUNLinSolFreeEmpty(ls);
        }
    }
    0
}
