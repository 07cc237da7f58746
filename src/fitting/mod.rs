//! Parameter fitting, independent of what is fitted.
//!
//! - [`least_squares`](mod@least_squares): bounded non-linear least squares over named parameters, solved by the
//!   Levenberg–Marquardt method of the `levenberg-marquardt` crate (a port of MINPACK's
//!   `lmder`), with standard uncertainties and correlations at the optimum. It is used by
//!   [`crate::impedance`] to fit equivalent circuits to impedance spectra, and knows nothing
//!   about impedance: any residual function over physical parameter values can be fitted.

//! - [`cell_fit`]: cell parameters fitted to measured data (`asslb fit`): the residuals of a
//!   validation ([`crate::validation`]) over the parameters of a fit file ([`fit_spec`]), the
//!   Jacobian by finite differences of simulations run in parallel.

pub mod cell_fit;
pub mod fit_output;
pub mod fit_page;
pub mod fit_spec;
pub mod fit_text;

pub use crate::numerics::least_squares::{
    least_squares, least_squares_with_jacobian, FitError, FitOptions, FitReport, Parameter,
    ParameterScale,
};
pub use cell_fit::{
    fit_cell, scenario_at, CellFitError, CellFitReport, EvaluationError, FitProgress,
};
pub use fit_output::{fit_summary, write_fit_outputs, FitFiles, TrialLog, TRIALS_FILE};
pub use fit_page::{write_fit_page, FIT_PAGE_FILE};
pub use fit_spec::{load_fit, CellFitOptions, Differences, FitParameter, FitSpec};
pub use fit_text::{correlation_table, parameter_table, statistics};
