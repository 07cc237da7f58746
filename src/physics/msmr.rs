//! Multi-species, multi-reaction (MSMR) open-circuit potential of an intercalation host
//! (Verbrugge et al., J. Electrochem. Soc. 164 (2017) E3243; Baker & Verbrugge, J.
//! Electrochem. Soc. 165 (2018) A3952).
//!
//! The host's lithium sites are grouped into galleries j, each with a capacity X_j (lithium
//! per formula unit), a standard potential U0_j \[V vs Li/Li+\] and a dimensionless width ω_j.
//! At equilibrium with potential U, gallery j holds
//!
//! `x_j(U) = X_j / (1 + exp(f (U − U0_j) / ω_j))`, `f = F/(R T)`,
//!
//! lithium per formula unit, and the host holds `x = x_fixed + Σ_j x_j(U)`, where x_fixed is
//! lithium that no gallery releases inside the window. The relation gives x from U
//! explicitly; the model keeps U as an unknown per particle surface and solves this equation
//! for it together with the rest of the DAE (no inner iteration).

/// One gallery of the MSMR open-circuit model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gallery {
    /// Capacity X_j \[Li per formula unit\]. Accepted range: (0, lithium_per_formula_max].
    pub capacity: f64,
    /// Standard potential U0_j \[V vs Li/Li+\]. Accepted range: −5 to 10 V.
    pub standard_potential_v: f64,
    /// Width ω_j \[-\] (1 = an ideal-solution Nernstian gallery; larger = broader).
    /// Accepted range: 1e-2 to 100.
    pub omega: f64,
}

/// Fractional occupancy `s = 1/(1 + exp(f (U − U0)/ω))` of a gallery at potential `u` \[V\],
/// with `f = F/(RT)` \[1/V\]. Returns `(s, ∂s/∂U, ∂s/∂U0)`; ∂s/∂U0 = −∂s/∂U.
///
/// Written so that it neither overflows nor loses the tail for |f (U − U0)/ω| large.
#[inline]
pub fn occupancy(u: f64, u0: f64, omega: f64, f: f64) -> (f64, f64, f64) {
    let (s, _, d_u, d_u0) = occupancy_pair(u, u0, omega, f);
    (s, d_u, d_u0)
}

/// Like [`occupancy`], but also returns the vacancy `1 − s` computed without cancellation, so
/// that a nearly full gallery keeps an accurate (non-zero) vacancy: `(s, 1 − s, ∂s/∂U,
/// ∂s/∂U0)`.
#[inline]
pub fn occupancy_pair(u: f64, u0: f64, omega: f64, f: f64) -> (f64, f64, f64, f64) {
    let z = f * (u - u0) / omega;
    // s = 1/(1 + e^z) = e^{−z}/(1 + e^{−z}); pick the form with a non-positive exponent.
    let (s, one_minus_s) = if z >= 0.0 {
        let e = (-z).exp();
        (e / (1.0 + e), 1.0 / (1.0 + e))
    } else {
        let e = z.exp();
        (1.0 / (1.0 + e), e / (1.0 + e))
    };
    let ds_du = -s * one_minus_s * f / omega;
    (s, one_minus_s, ds_du, -ds_du)
}

/// Logistic switch `σ(z) = 1/(1 + e^{−z})` with its derivative, overflow-safe. Used for the
/// smooth potential onsets of side reactions.
#[inline]
pub fn logistic(z: f64) -> (f64, f64) {
    let (s, one_minus_s) = if z >= 0.0 {
        let e = (-z).exp();
        (1.0 / (1.0 + e), e / (1.0 + e))
    } else {
        let e = z.exp();
        (e / (1.0 + e), 1.0 / (1.0 + e))
    };
    (s, s * one_minus_s)
}

/// Smooth positive part `softplus(z) = ln(1 + e^z)` with its derivative σ(z), overflow-safe.
#[inline]
pub fn softplus(z: f64) -> (f64, f64) {
    let value = if z > 30.0 {
        z
    } else if z < -30.0 {
        z.exp()
    } else {
        z.exp().ln_1p()
    };
    (value, logistic(z).0)
}

/// `ln softplus(z)` and its derivative `σ(z)/softplus(z)`, without underflow for very
/// negative z (where it tends to z) or overflow for large z (where it tends to ln z).
#[inline]
pub fn ln_softplus(z: f64) -> (f64, f64) {
    if z < -30.0 {
        // softplus(z) = e^z (1 − e^z/2 + …): ln = z + ln(1 − e^z/2), derivative → 1.
        let e = z.exp();
        (z + (-0.5 * e).ln_1p(), (1.0 - e) / (1.0 - 0.5 * e))
    } else {
        let (sp, s) = softplus(z);
        (sp.ln(), s / sp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn occupancy_is_half_at_the_standard_potential_and_fd_consistent() {
        let f = 34.83; // F/(RT) at 60 °C
        let (s, _, _) = occupancy(3.6, 3.6, 1.3, f);
        assert!((s - 0.5).abs() < 1e-15);
        let (u, u0, w) = (3.71, 3.6, 1.3);
        let (s, ds, ds0) = occupancy(u, u0, w, f);
        let h = 1e-7;
        let fd = (occupancy(u + h, u0, w, f).0 - occupancy(u - h, u0, w, f).0) / (2.0 * h);
        assert!((fd - ds).abs() < 1e-7 * ds.abs());
        assert_eq!(ds0, -ds);
        assert!(s > 0.0 && s < 0.5);
        // Far tails: finite, in [0, 1].
        assert_eq!(occupancy(100.0, 3.6, 1.0, f).0, 0.0);
        assert_eq!(occupancy(-100.0, 3.6, 1.0, f).0, 1.0);
    }

    #[test]
    fn ln_softplus_is_finite_everywhere_and_fd_consistent() {
        for z in [-2000.0, -40.0, -29.0, -1.0, 0.0, 3.0, 35.0, 1e6] {
            let (v, d) = ln_softplus(z);
            assert!(v.is_finite() && d.is_finite(), "{z}");
            let h = 1e-6 * (1.0 + z.abs());
            let fd = (ln_softplus(z + h).0 - ln_softplus(z - h).0) / (2.0 * h);
            assert!((fd - d).abs() < 1e-6 * (1.0 + d.abs()), "{z}: {fd} {d}");
        }
        assert!((ln_softplus(-2000.0).0 + 2000.0).abs() < 1e-12);
    }

    #[test]
    fn logistic_and_softplus_match_their_definitions() {
        for z in [-40.0, -3.0, 0.0, 0.7, 12.0, 45.0] {
            let (s, ds) = logistic(z);
            assert!((s - 1.0 / (1.0 + f64::exp(-z))).abs() < 1e-15);
            let h = 1e-6;
            let fd = (logistic(z + h).0 - logistic(z - h).0) / (2.0 * h);
            assert!((fd - ds).abs() < 1e-8);
            let (sp, dsp) = softplus(z);
            assert!((sp - f64::exp(z).ln_1p()).abs() < 1e-12 * sp.max(1e-300) + 1e-300);
            assert!((dsp - s).abs() < 1e-15);
        }
    }
}
