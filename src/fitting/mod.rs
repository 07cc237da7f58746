//! Parameter fitting, independent of what is fitted.
//!
//! - [`least_squares`](mod@least_squares): bounded non-linear least squares over named parameters, solved by the
//!   Levenberg–Marquardt method of the `levenberg-marquardt` crate (a port of MINPACK's
//!   `lmder`), with standard uncertainties and correlations at the optimum. It is used by
//!   [`crate::impedance`] to fit equivalent circuits to impedance spectra, and knows nothing
//!   about impedance: any residual function over physical parameter values can be fitted.

pub mod least_squares;

pub use least_squares::{
    least_squares, least_squares_with_jacobian, FitError, FitOptions, FitReport, Parameter,
    ParameterScale,
};
