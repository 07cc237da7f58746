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

/// `g = (s (1 − s))^½`, the kinetic weight of one gallery in the symmetric mass-action
/// exchange current, and dg/dU, from its occupancy `s` and vacancy `1 − s` (as
/// [`occupancy_pair`] gives them): `dg/dU = −(1 − 2s) g f/(2ω)` (no division by a vanishing g).
#[inline]
pub fn kinetic_weight(s: f64, vac: f64, omega: f64, f: f64) -> (f64, f64) {
    let g = (s * vac).sqrt();
    (g, -(vac - s) * g * f / (2.0 * omega))
}

/// A band of galleries: standard potentials spread uniformly over `[u_lo, u_lo + spread]`
/// (each of width ω), the continuum limit of many equal galleries side by side. Used where a
/// host's sites have a distribution of environments rather than one (the migrated and reduced
/// transition metal of a faded lithium-rich oxide,
/// [`crate::physics::anion_redox::LowerCouple`]).
///
/// With `z = f (U − U0)/ω` at the band's ends `z_lo = f (U − u_lo)/ω`, `z_hi = f (U − u_hi)/ω`
/// and `w = ω/(f Δ)`, Δ the spread:
///
/// - occupancy `s̄ = w [sp(−z_hi) − sp(−z_lo)]`, vacancy `1 − s̄ = w [sp(z_lo) − sp(z_hi)]`
///   (sp the softplus, `∫ 1/(1 + e^z) dz = −sp(−z)`), each without cancellation at its own end;
/// - `∂s̄/∂U = −(s_hi − s_lo)/Δ`, s at the ends the point galleries' occupancies;
/// - kinetic weight, the band's mean of `g = (s (1 − s))^½ = 1/(2 cosh(z/2))`:
///   `ḡ = 2 w [atan e^{z_lo/2} − atan e^{z_hi/2}]`, `∂ḡ/∂U = (g_lo − g_hi)/Δ`.
///
/// Returns `(s̄, 1 − s̄, ∂s̄/∂U, ḡ, ∂ḡ/∂U)`. A spread below `1e-6 ω/f` (microvolts) is a point
/// gallery, and gives exactly [`occupancy_pair`] and its `g`.
#[inline]
pub fn band_occupancy(u: f64, u_lo: f64, spread: f64, omega: f64, f: f64) -> [f64; 5] {
    let point = |u0: f64| {
        let (s, v, d_u, _) = occupancy_pair(u, u0, omega, f);
        let (g, d_g) = kinetic_weight(s, v, omega, f);
        (s, v, d_u, g, d_g)
    };
    let width = f * spread / omega;
    if width < 1e-6 {
        let (s, v, d_u, g, d_g) = point(u_lo);
        return [s, v, d_u, g, d_g];
    }
    let w = 1.0 / width;
    let z_lo = f * (u - u_lo) / omega;
    let z_hi = z_lo - width;
    let sp = |z: f64| z.max(0.0) + (-z.abs()).exp().ln_1p();
    let s = w * (sp(-z_hi) - sp(-z_lo));
    let v = w * (sp(z_lo) - sp(z_hi));
    let (s_lo, _, _, g_lo, _) = point(u_lo);
    let (s_hi, _, _, g_hi, _) = point(u_lo + spread);
    // atan e^{z/2} = π/2 − atan e^{−z/2}: the difference of the small terms where both ends
    // are empty (z > 0), so that the tail keeps its digits.
    let g = if z_hi > 0.0 {
        2.0 * w * ((-0.5 * z_hi).exp().atan() - (-0.5 * z_lo).exp().atan())
    } else {
        2.0 * w * ((0.5 * z_lo).exp().atan() - (0.5 * z_hi).exp().atan())
    };
    [s, v, -(s_hi - s_lo) / spread, g, (g_lo - g_hi) / spread]
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
    fn a_band_is_the_mean_of_galleries_side_by_side_and_fd_consistent() {
        let f = 34.83;
        let (lo, spread, w) = (2.3, 0.6, 1.5);
        for u in [1.2, 2.0, 2.3, 2.55, 2.9, 3.3, 4.4, 9.0] {
            let [s, v, d_s, g, d_g] = band_occupancy(u, lo, spread, w, f);
            // Midpoint rule over 4000 point galleries (relative error (h f/ω)²/24 ≈ 5e-7
            // where the integrand is exponential).
            let n = 4000;
            let (mut sm, mut vm, mut gm) = (0.0, 0.0, 0.0);
            for k in 0..n {
                let u0 = lo + spread * (k as f64 + 0.5) / n as f64;
                let (a, b, _, _) = occupancy_pair(u, u0, w, f);
                sm += a / n as f64;
                vm += b / n as f64;
                gm += (a * b).sqrt() / n as f64;
            }
            assert!((s - sm).abs() < 2e-6 * sm + 1e-300, "{u}: {s} {sm}");
            assert!((v - vm).abs() < 2e-6 * vm + 1e-300, "{u}: {v} {vm}");
            assert!((g - gm).abs() < 2e-6 * gm + 1e-300, "{u}: {g} {gm}");
            assert!((s + v - 1.0).abs() < 1e-13);
            let h = 1e-6;
            let up = band_occupancy(u + h, lo, spread, w, f);
            let dn = band_occupancy(u - h, lo, spread, w, f);
            let scale = spread.recip();
            assert!(
                (d_s - (up[0] - dn[0]) / (2.0 * h)).abs() < 1e-6 * scale,
                "{u}"
            );
            assert!(
                (d_g - (up[3] - dn[3]) / (2.0 * h)).abs() < 1e-6 * scale,
                "{u}"
            );
        }
        // A vanishing spread is the point gallery.
        let (s, v, d_s, _) = occupancy_pair(2.41, 2.3, w, f);
        let band = band_occupancy(2.41, 2.3, 0.0, w, f);
        assert_eq!([band[0], band[1], band[2]], [s, v, d_s]);
        assert!((band_occupancy(2.41, 2.3, 1e-4, w, f)[0] - s).abs() < 1e-3);
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
