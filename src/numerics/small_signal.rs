//! Small-signal (frequency-domain) response of a DAE `F(t, y, y', u) = 0` about a steady state.
//!
//! For a perturbation `u = u₀ + Re(û e^{iωt})` the linearised system gives
//! `(∂F/∂y + iω ∂F/∂y') ŷ = −(∂F/∂u) û`, and an output `g(y)` responds with
//! `ĝ = (∂g/∂y) ŷ`. [`FrequencyResponse`] assembles the complex matrix on the sparsity pattern
//! of the model's Jacobian, analyses its structure once (faer's symbolic sparse LU) and factorises
//! it numerically at every frequency.

use faer::c64;
use faer::linalg::solvers::Solve;
use faer::sparse::linalg::solvers::{Lu, SymbolicLu};
use faer::sparse::{SparseColMatRef, SymbolicSparseColMatRef};

use super::dae::SparsityPattern;

/// Why a frequency response could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum FrequencyResponseError {
    /// A frequency was not finite and positive.
    #[error("frequency {0} Hz is not a positive number")]
    Frequency(f64),
    /// Inputs of the wrong size.
    #[error("{what} has length {got}, expected {expected}")]
    Length {
        /// What was wrong.
        what: &'static str,
        /// Length given.
        got: usize,
        /// Length expected.
        expected: usize,
    },
    /// The symbolic analysis of the pattern failed.
    #[error("the linearised system is singular at NaN Hz: {error:?}")]
    Symbolic {
        /// faer's error (kept as data, not as a source: the message shows it once).
        error: faer::sparse::FaerError,
    },
    /// The sparse factorisation failed (singular system at this frequency).
    #[error("the linearised system is singular at {frequency_hz} Hz: {error:?}")]
    Singular {
        /// Frequency \[Hz\].
        frequency_hz: f64,
        /// faer's error (as data, as above).
        error: faer::sparse::linalg::LuError,
    },
    /// The response came out infinite or NaN.
    #[error("the linearised system is singular at {frequency_hz} Hz: the response is not finite")]
    NotFinite {
        /// Frequency \[Hz\].
        frequency_hz: f64,
    },
    /// The model's Jacobian could not be evaluated at the steady state.
    #[error("the linearised system is singular at NaN Hz: the Jacobian could not be evaluated at this state: {0}")]
    Jacobian(super::dae::EvalError),
}

/// The linearised system of a DAE at one steady state.
pub struct FrequencyResponse<'a> {
    pattern: &'a SparsityPattern,
    /// ∂F/∂y on `pattern` (values in pattern order).
    d_y: Vec<f64>,
    /// ∂F/∂y' on `pattern`.
    d_yp: Vec<f64>,
    symbolic: SymbolicLu<usize>,
}

impl<'a> FrequencyResponse<'a> {
    /// From the Jacobians ∂F/∂y and ∂F/∂y' given as values on `pattern`; performs the symbolic
    /// analysis once.
    pub fn new(
        pattern: &'a SparsityPattern,
        d_y: Vec<f64>,
        d_yp: Vec<f64>,
    ) -> Result<Self, FrequencyResponseError> {
        let nnz = pattern.row_idx.len();
        for (what, v) in [("∂F/∂y", &d_y), ("∂F/∂y'", &d_yp)] {
            if v.len() != nnz {
                return Err(FrequencyResponseError::Length {
                    what,
                    got: v.len(),
                    expected: nnz,
                });
            }
        }
        let symbolic = SymbolicLu::try_new(symbolic_ref(pattern))
            .map_err(|error| FrequencyResponseError::Symbolic { error })?;
        Ok(FrequencyResponse {
            pattern,
            d_y,
            d_yp,
            symbolic,
        })
    }

    /// The transfer function `ĝ/û = −c (∂F/∂y + iω ∂F/∂y')⁻¹ b` at each frequency \[Hz\], for
    /// input vector `b = ∂F/∂u` and output row `c = ∂g/∂y`.
    pub fn transfer(
        &self,
        input: &[f64],
        output: &[f64],
        frequencies_hz: &[f64],
    ) -> Result<Vec<c64>, FrequencyResponseError> {
        let n = self.pattern.n;
        for (what, v) in [("input", input), ("output", output)] {
            if v.len() != n {
                return Err(FrequencyResponseError::Length {
                    what,
                    got: v.len(),
                    expected: n,
                });
            }
        }
        let mut values = vec![c64::new(0.0, 0.0); self.d_y.len()];
        let mut out = Vec::with_capacity(frequencies_hz.len());
        for &f in frequencies_hz {
            if !(f.is_finite() && f > 0.0) {
                return Err(FrequencyResponseError::Frequency(f));
            }
            let omega = 2.0 * std::f64::consts::PI * f;
            for ((v, &a), &b) in values.iter_mut().zip(&self.d_y).zip(&self.d_yp) {
                *v = c64::new(a, omega * b);
            }
            let matrix = SparseColMatRef::new(symbolic_ref(self.pattern), &values);
            let lu = Lu::try_new_with_symbolic(self.symbolic.clone(), matrix).map_err(|error| {
                FrequencyResponseError::Singular {
                    frequency_hz: f,
                    error,
                }
            })?;
            let mut rhs = faer::Mat::<c64>::from_fn(n, 1, |i, _| c64::new(-input[i], 0.0));
            lu.solve_in_place(rhs.as_mut());
            let mut g = c64::new(0.0, 0.0);
            for (i, &ci) in output.iter().enumerate() {
                if ci != 0.0 {
                    g += rhs[(i, 0)] * ci;
                }
            }
            if !(g.re.is_finite() && g.im.is_finite()) {
                return Err(FrequencyResponseError::NotFinite { frequency_hz: f });
            }
            out.push(g);
        }
        Ok(out)
    }
}

/// faer's view of the pattern.
fn symbolic_ref(p: &SparsityPattern) -> SymbolicSparseColMatRef<'_, usize> {
    SymbolicSparseColMatRef::new_checked(p.n, p.n, &p.col_ptr, None, &p.row_idx)
}

/// `n` frequencies per decade from `f_min` to `f_max` \[Hz\], logarithmically spaced, both
/// ends included (10 mHz – 1 MHz at 10 per decade gives 81).
pub fn log_frequencies(f_min: f64, f_max: f64, per_decade: usize) -> Vec<f64> {
    let decades = (f_max / f_min).log10();
    let count = (decades * per_decade as f64).round() as usize;
    (0..=count)
        .map(|k| f_min * 10f64.powf(decades * k as f64 / count.max(1) as f64))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A resistor R in series with (R_p ∥ C) written as a DAE: unknowns (v_c, i), equations
    /// `C v_c' − i + v_c/R_p = 0`, `i − u = 0`; output v = R i + v_c. Impedance
    /// `R + R_p/(1 + iωR_pC)`.
    #[test]
    fn an_rc_circuit_has_its_analytic_impedance() {
        let (r, rp, c) = (2.0, 5.0, 1e-3);
        // Columns: 0 = v_c, 1 = i. Column 0 rows {0}; column 1 rows {0, 1}.
        let pattern = SparsityPattern {
            n: 2,
            col_ptr: vec![0, 1, 3],
            row_idx: vec![0, 0, 1],
        };
        let d_y = vec![1.0 / rp, -1.0, 1.0];
        let d_yp = vec![c, 0.0, 0.0];
        let fr = FrequencyResponse::new(&pattern, d_y, d_yp).unwrap();
        let freqs = log_frequencies(0.1, 1e4, 5);
        // Input u enters row 1 as −u: ∂F/∂u = (0, −1). Output v = R i + v_c.
        let z = fr.transfer(&[0.0, -1.0], &[1.0, r], &freqs).unwrap();
        for (&f, zf) in freqs.iter().zip(&z) {
            let w = 2.0 * std::f64::consts::PI * f;
            let expected = c64::new(r, 0.0) + c64::new(rp, 0.0) / c64::new(1.0, w * rp * c);
            assert!(
                (*zf - expected).norm() < 1e-12 * expected.norm(),
                "{f}: {zf:?} {expected:?}"
            );
        }
        assert!(fr.transfer(&[0.0, -1.0], &[1.0, r], &[0.0]).is_err());
    }

    #[test]
    fn frequencies_span_the_decades() {
        let f = log_frequencies(0.01, 1e6, 10);
        assert_eq!(f.len(), 81);
        assert!((f[0] - 0.01).abs() < 1e-15 && (f[80] / 1e6 - 1.0).abs() < 1e-12);
    }
}
