//! Names and explanations of the IDA and IDALS return flags, for
//! [`SolverError`](super::SolverError).

use std::ffi::c_int;

use sundials_sys as sys;

/// The name of an IDALS (linear solver interface) return flag.
pub(super) fn ls_flag_name(flag: c_int) -> &'static str {
    match flag {
        sys::IDALS_MEM_NULL => "IDALS_MEM_NULL",
        sys::IDALS_LMEM_NULL => "IDALS_LMEM_NULL",
        sys::IDALS_ILL_INPUT => "IDALS_ILL_INPUT",
        sys::IDALS_MEM_FAIL => "IDALS_MEM_FAIL",
        sys::IDALS_PMEM_NULL => "IDALS_PMEM_NULL",
        sys::IDALS_JACFUNC_UNRECVR => "IDALS_JACFUNC_UNRECVR",
        sys::IDALS_JACFUNC_RECVR => "IDALS_JACFUNC_RECVR",
        sys::IDALS_SUNMAT_FAIL => "IDALS_SUNMAT_FAIL",
        sys::IDALS_SUNLS_FAIL => "IDALS_SUNLS_FAIL",
        _ => "IDALS_UNKNOWN",
    }
}

/// The name of an IDA return flag.
pub(super) fn ida_flag_name(flag: c_int) -> &'static str {
    match flag {
        sys::IDA_SUCCESS => "IDA_SUCCESS",
        sys::IDA_TSTOP_RETURN => "IDA_TSTOP_RETURN",
        sys::IDA_ROOT_RETURN => "IDA_ROOT_RETURN",
        sys::IDA_WARNING => "IDA_WARNING",
        sys::IDA_TOO_MUCH_WORK => "IDA_TOO_MUCH_WORK",
        sys::IDA_TOO_MUCH_ACC => "IDA_TOO_MUCH_ACC",
        sys::IDA_ERR_FAIL => "IDA_ERR_FAIL",
        sys::IDA_CONV_FAIL => "IDA_CONV_FAIL",
        sys::IDA_LINIT_FAIL => "IDA_LINIT_FAIL",
        sys::IDA_LSETUP_FAIL => "IDA_LSETUP_FAIL",
        sys::IDA_LSOLVE_FAIL => "IDA_LSOLVE_FAIL",
        sys::IDA_RES_FAIL => "IDA_RES_FAIL",
        sys::IDA_REP_RES_ERR => "IDA_REP_RES_ERR",
        sys::IDA_RTFUNC_FAIL => "IDA_RTFUNC_FAIL",
        sys::IDA_CONSTR_FAIL => "IDA_CONSTR_FAIL",
        sys::IDA_FIRST_RES_FAIL => "IDA_FIRST_RES_FAIL",
        sys::IDA_LINESEARCH_FAIL => "IDA_LINESEARCH_FAIL",
        sys::IDA_NO_RECOVERY => "IDA_NO_RECOVERY",
        sys::IDA_NLS_INIT_FAIL => "IDA_NLS_INIT_FAIL",
        sys::IDA_NLS_SETUP_FAIL => "IDA_NLS_SETUP_FAIL",
        sys::IDA_NLS_FAIL => "IDA_NLS_FAIL",
        sys::IDA_MEM_NULL => "IDA_MEM_NULL",
        sys::IDA_MEM_FAIL => "IDA_MEM_FAIL",
        sys::IDA_ILL_INPUT => "IDA_ILL_INPUT",
        sys::IDA_NO_MALLOC => "IDA_NO_MALLOC",
        sys::IDA_BAD_EWT => "IDA_BAD_EWT",
        sys::IDA_BAD_K => "IDA_BAD_K",
        sys::IDA_BAD_T => "IDA_BAD_T",
        sys::IDA_BAD_DKY => "IDA_BAD_DKY",
        sys::IDA_VECTOROP_ERR => "IDA_VECTOROP_ERR",
        sys::IDA_CONTEXT_ERR => "IDA_CONTEXT_ERR",
        _ => "IDA_UNRECOGNIZED_ERROR",
    }
}

/// What an IDA failure flag means, in words, for
/// [`SolverError::reason`](super::SolverError::reason).
pub(super) fn ida_flag_reason(flag: c_int) -> &'static str {
    match flag {
        sys::IDA_TOO_MUCH_WORK => {
            "the maximum number of internal steps per call (max_steps) was taken before \
             reaching the output time"
        }
        sys::IDA_TOO_MUCH_ACC => "the requested accuracy is beyond machine precision",
        sys::IDA_ERR_FAIL => {
            "the local error test failed too many times or with the minimum step size"
        }
        sys::IDA_CONV_FAIL => {
            "the Newton iteration failed to converge too many times or with the minimum step \
             size"
        }
        sys::IDA_LINIT_FAIL => "the linear solver initialisation failed",
        sys::IDA_LSETUP_FAIL => {
            "the Jacobian evaluation or the LU factorisation failed unrecoverably"
        }
        sys::IDA_LSOLVE_FAIL => "the linear solve failed unrecoverably",
        sys::IDA_RES_FAIL => "the residual failed unrecoverably",
        sys::IDA_REP_RES_ERR => "the residual kept reporting recoverable (non-physical) errors",
        sys::IDA_RTFUNC_FAIL => "the root function failed",
        sys::IDA_CONSTR_FAIL => "the inequality constraints could not be satisfied",
        sys::IDA_FIRST_RES_FAIL => {
            "the residual failed (recoverably) at the first call of the initial-condition \
             calculation"
        }
        sys::IDA_LINESEARCH_FAIL => "the line search of the initial-condition calculation failed",
        sys::IDA_NO_RECOVERY => {
            "a recoverable failure of the residual, Jacobian or linear solver could not be \
             recovered from in the initial-condition calculation"
        }
        sys::IDA_NLS_INIT_FAIL => "the nonlinear solver initialisation failed",
        sys::IDA_NLS_SETUP_FAIL => "the nonlinear solver setup failed",
        sys::IDA_NLS_FAIL => "the nonlinear solver failed unrecoverably",
        sys::IDA_MEM_NULL | sys::IDA_NO_MALLOC => "the IDA memory is not initialised",
        sys::IDA_MEM_FAIL => "memory allocation failed",
        sys::IDA_ILL_INPUT => "invalid input",
        sys::IDA_BAD_EWT => {
            "an error weight became non-positive (a component with zero absolute tolerance \
             reached zero?)"
        }
        sys::IDA_BAD_K | sys::IDA_BAD_DKY => "invalid derivative request",
        sys::IDA_BAD_T => "time outside the last step",
        sys::IDA_VECTOROP_ERR => "a vector operation failed",
        sys::IDA_CONTEXT_ERR => "invalid SUNDIALS context",
        _ => "unrecognised IDA failure",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_have_names_and_reasons() {
        assert_eq!(ida_flag_name(sys::IDA_CONV_FAIL), "IDA_CONV_FAIL");
        assert_eq!(ida_flag_name(-1234), "IDA_UNRECOGNIZED_ERROR");
        assert!(ida_flag_reason(sys::IDA_TOO_MUCH_WORK).contains("max_steps"));
        assert_eq!(ls_flag_name(sys::IDALS_ILL_INPUT), "IDALS_ILL_INPUT");
    }
}
