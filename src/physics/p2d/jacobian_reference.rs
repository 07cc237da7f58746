//! When the iteration matrix IDA keeps no longer describes the surface potentials.
//!
//! IDA's modified Newton reuses one iteration matrix over many steps and judges convergence by
//! the size of its corrections, not by the residuals. That is safe while the matrix's
//! derivatives are no larger than the current ones: a matrix that understates a derivative
//! overshoots, the corrections grow, and IDA takes a new matrix. A matrix that *overstates* a
//! derivative by a large factor turns a large residual into a small correction, and the
//! corrector can declare convergence with the algebraic rows still violated.
//!
//! With MSMR galleries two derivatives can fall by orders of magnitude within a few steps:
//!
//! - ∂r/∂U of the MSMR row, −(dF/dU) the galleries' differential capacity at the surface
//!   potential U \[Li/f.u. per V\]. It collapses when a surface fills (or empties) the galleries
//!   inside the window and U enters the gap to the next gallery: e-fold per ω/f (27 mV at
//!   265 K) below a gallery of width ω = 1.2.
//! - ∂R/∂Δφ of the kinetics row, −j0 f cosh(f η/2) \[A/m² per V\], which falls with the exchange
//!   current as the galleries that carry the reaction fill.
//!
//! Both happen at the end of a fast discharge of the paper cells, where the cationic galleries
//! at the surface fill and the voltage falls toward the deep-discharge gallery at 1.4 V: with a
//! matrix from the top of the gallery, accepted states left the kinetics rows violated by 20 %
//! of the current and the MSMR rows by 1 % of the capacity, and the corrector then failed at
//! every step size (robustness suite seed 7, case 26; `docs/robustness.md`, root cause 11).
//!
//! The residual therefore compares these two derivatives, which it computes anyway, with those
//! of the last iteration matrix, and reports the matrix outdated when either has fallen below
//! [`OUTDATED_FACTOR`]⁻¹ of the matrix's value. The linear solver then asks IDA for a new
//! matrix once (a recoverable solve failure, which IDA's Newton answers with a new matrix at
//! the same step size; `numerics::ida`).

use super::local::{CellKinetics, MsmrRow};

/// A derivative of the iteration matrix more than this many times the current one makes the
/// matrix outdated \[-\]. A modified Newton whose matrix overstates the derivative by a factor k
/// converges at the rate 1 − 1/k per iteration: at k = 3, 0.67, which IDA's corrector still
/// accepts (its limit is 0.9) but with corrections too small by a factor 3. Measured on the
/// paper cell's shipped run (`scenarios/wu2022_1c_1000.toml`), where it asks for a new matrix
/// in 6 956 of 339 705 steps and leaves the instruction count unchanged (−0.2 %).
pub(super) const OUTDATED_FACTOR: f64 = 3.0;

/// The derivatives of one cathode cell's MSMR and kinetics rows in the last iteration matrix.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct JacobianReference {
    /// |∂r/∂U| of the MSMR row \[Li/f.u. per V\].
    msmr_d_u: f64,
    /// |∂R/∂Δφ| of the kinetics row \[A/m² per V\].
    kinetics_d_dphi: f64,
}

impl JacobianReference {
    /// The reference of a cell from its MSMR row and kinetics as assembled into the matrix.
    pub(super) fn of(row: &MsmrRow, kinetics: &CellKinetics) -> Self {
        JacobianReference {
            msmr_d_u: row.d_u.abs(),
            kinetics_d_dphi: kinetics.d_dphi.abs(),
        }
    }

    /// Whether the current rows' derivatives have fallen below 1/[`OUTDATED_FACTOR`] of the
    /// reference.
    pub(super) fn outdated_by(&self, row: &MsmrRow, kinetics: &CellKinetics) -> bool {
        self.msmr_d_u > OUTDATED_FACTOR * row.d_u.abs()
            || self.kinetics_d_dphi > OUTDATED_FACTOR * kinetics.d_dphi.abs()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_matrix_is_outdated_only_where_it_overstates_a_derivative() {
        let row = |d_u: f64| MsmrRow {
            d_u,
            ..MsmrRow::default()
        };
        let kin = |d_dphi: f64| CellKinetics {
            d_dphi,
            ..CellKinetics::default()
        };
        let reference = JacobianReference::of(&row(-2.0), &kin(-30.0));
        // Unchanged, or larger now (a matrix that understates overshoots: IDA sees it).
        assert!(!reference.outdated_by(&row(-2.0), &kin(-30.0)));
        assert!(!reference.outdated_by(&row(-50.0), &kin(-900.0)));
        // Fallen by less than the factor.
        assert!(!reference.outdated_by(&row(-0.7), &kin(-11.0)));
        // The capacity at the surface potential collapsed (a gallery gap).
        assert!(reference.outdated_by(&row(-0.5), &kin(-30.0)));
        // The exchange current collapsed.
        assert!(reference.outdated_by(&row(-2.0), &kin(-9.0)));
    }
}
