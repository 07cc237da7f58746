//! Interfacial kinetics: symmetric Butler–Volmer and the exchange-current closures, each with
//! the partial derivatives the analytic Jacobian needs.

/// Symmetric Butler–Volmer (transfer coefficients α_a = α_c = 1/2):
/// `j = 2 j0 sinh(f η / 2)` \[A/m²\], with `f = F/(R T)` \[1/V\] and overpotential η \[V\].
///
/// Returns `(j, ∂j/∂j0, ∂j/∂η)`.
#[inline]
pub fn butler_volmer(j0: f64, eta: f64, f: f64) -> (f64, f64, f64) {
    let x = 0.5 * f * eta;
    // One exponential for both hyperbolic functions (|x| stays far below overflow in any
    // state the solver accepts; an overflow gives a non-finite value the caller rejects).
    let e = x.exp();
    let ei = 1.0 / e;
    let (s, c) = (0.5 * (e - ei), 0.5 * (e + ei));
    (2.0 * j0 * s, 2.0 * s, j0 * f * c)
}

/// Mass-action exchange-current density of an intercalation electrode,
/// `j0 = k · c_e^½ · c_s^½ · (c_s,max − c_s)^½` \[A/m²\] written in stoichiometry
/// θ = c_s/c_s,max and scaled electrolyte concentration ĉ = c_e/c_e,ref:
/// `j0 = k · (c_e,ref ĉ)^½ · c_s,max · (θ (1 − θ))^½`.
///
/// `k` \[A/m² (mol/m³)^−1.5\] is the rate constant (already temperature-corrected).
/// Returns `(j0, ∂j0/∂θ, ∂j0/∂ĉ)`, or `None` outside 0 < θ < 1, ĉ > 0.
#[inline]
pub fn intercalation_j0(
    k: f64,
    c_max: f64,
    c_e_ref: f64,
    theta: f64,
    c_hat: f64,
) -> Option<(f64, f64, f64)> {
    if !(theta > 0.0 && theta < 1.0 && c_hat > 0.0) {
        return None;
    }
    let g = (theta * (1.0 - theta)).sqrt();
    let ce = (c_e_ref * c_hat).sqrt();
    let j0 = k * ce * c_max * g;
    let d_theta = k * ce * c_max * (1.0 - 2.0 * theta) / (2.0 * g);
    let d_c_hat = 0.5 * j0 / c_hat;
    Some((j0, d_theta, d_c_hat))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn butler_volmer_linear_regime_is_ohmic() {
        // For small η, j ≈ j0 f η: the charge-transfer resistance is 1/(j0 f).
        let (j, _, dj) = butler_volmer(2.0, 1e-6, 40.0);
        assert!((j / (2.0 * 40.0 * 1e-6) - 1.0).abs() < 1e-9);
        assert!((dj / 80.0 - 1.0).abs() < 1e-8);
    }

    #[test]
    fn j0_derivatives_match_finite_differences() {
        let (k, cmax, cref) = (2e-6, 48000.0, 1000.0);
        let (th, ch) = (0.37, 0.9);
        let (j0, dth, dch) = intercalation_j0(k, cmax, cref, th, ch).unwrap();
        let h = 1e-7;
        let fd_th = (intercalation_j0(k, cmax, cref, th + h, ch).unwrap().0 - j0) / h;
        let fd_ch = (intercalation_j0(k, cmax, cref, th, ch + h).unwrap().0 - j0) / h;
        assert!((fd_th - dth).abs() < 1e-5 * dth.abs());
        assert!((fd_ch - dch).abs() < 1e-5 * dch.abs());
        assert!(intercalation_j0(k, cmax, cref, 1.0, ch).is_none());
    }
}
