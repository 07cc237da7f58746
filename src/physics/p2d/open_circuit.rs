//! The cathode's open-circuit potential in the discretised model: a function of the surface
//! stoichiometry, or MSMR galleries whose surface potential U is an unknown per cathode cell
//! (see [`crate::physics::msmr`]).
//!
//! MSMR equilibrium of cell i (lithium per formula unit):
//! `x_fixed + Σ_j X_j s_j(U_i) = x_max θ_surf,i` (solved in a balanced linear form, see
//! `P2dModel::msmr_row`), with the cationic galleries shifted by
//! the voltage fade `−ΔU`, the anionic gallery of capacity X_a at
//! `U0_a = U_mid + h ΔU_h/2 − ΔU`, and `x_fixed = x_max − X_cat − X_O,max + X_l` the lithium
//! no gallery releases (lattice lithium outside the galleries and the latent anionic capacity).
//! With the rigid-shift fade law `ΔU = β X_O + M`; with the lower couple
//! ([`crate::physics::anion_redox::LowerCouple`]) `ΔU = β X_O`, the cationic galleries above
//! the couple keep `(1 − m)` of their capacity and a gallery of capacity `m X_mig + γ X_O`
//! (X_mig their summed capacity) sits at `U0_L − ΔU` (a band of width Δ_L above it with a
//! spread, [`crate::physics::msmr::band_occupancy`]):
//! the window's capacity grows by γ X_O (the lost oxygen's sites that the reduced metal
//! offers), while migration moves capacity without adding any. The densified fraction
//! `φ = d X_O` ([`crate::physics::anion_redox::AnionRedox::densified_per_oxygen`]) scales
//! every gallery by `(1 − φ)`.
//!
//! With MSMR the exchange current is the sum over galleries of the symmetric mass-action form
//! (Baker & Verbrugge 2018, with α = 1/2 and ω_j folded into the occupancy):
//! `j0 = k c_e^½ c_max Σ_j X_j (s_j (1 − s_j))^½ / Σ_j X_j`, which for a single gallery is the
//! usual `k c_e^½ c_max (θ (1 − θ))^½`. Each gallery contributes near its own potential only,
//! so a gallery far outside the window (a deep-discharge one) does not speed up the others.

use super::layout::Slow;
use super::P2dModel;
use crate::physics::anion_redox::AnionRedox;
use crate::physics::material::MaterialFunction;
use crate::physics::msmr::{band_occupancy, kinetic_weight, occupancy_pair, Gallery};

/// The open-circuit model of the discretised cathode.
///
/// One value per model, built once and never moved on a hot path: the size difference of the
/// variants costs nothing, while boxing the MSMR galleries would add a pointer chase to every
/// residual and Jacobian evaluation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub(crate) enum OcpModel {
    /// U(θ_surf).
    Function(MaterialFunction),
    /// MSMR galleries.
    Msmr(MsmrModel),
}

/// MSMR galleries of the cathode host.
#[derive(Debug, Clone)]
pub(crate) struct MsmrModel {
    /// Lithium per formula unit at c_max.
    pub x_max: f64,
    pub cationic: Vec<Gallery>,
    /// Summed cationic capacity X_cat.
    pub x_cat: f64,
    pub anion: Option<AnionRedox>,
}

/// Filled accessible sites Σ_j X_j s_j(U) at one surface with its partials.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct GalleryFill {
    /// Σ X_j s_j \[Li/f.u.\].
    pub filled: f64,
    /// Σ X_j (1 − s_j), accurate when nearly full \[Li/f.u.\].
    pub empty: f64,
    /// ∂/∂U.
    pub d_u: f64,
    /// ∂/∂X_a (= s_a).
    pub d_xa: f64,
    /// ∂/∂h.
    pub d_h: f64,
    /// ∂/∂ΔU, ΔU the voltage fade (a downward shift of every gallery).
    pub d_shift: f64,
    /// Accessible capacity X_cat + X_a (+ γ X_O, times 1 − φ with densification).
    pub capacity: f64,
    /// ∂capacity/∂X_a: 1, or 1 − φ with densification (0 without anion redox).
    pub capacity_d_xa: f64,
    /// Kinetic weight K = Σ_j X_j (s_j (1 − s_j))^½ \[Li/f.u.\] and its partials in U, h, ΔU
    /// and X_a.
    pub kin: f64,
    pub kin_d_u: f64,
    pub kin_d_h: f64,
    pub kin_d_shift: f64,
    pub kin_d_xa: f64,
    /// With a lower couple ([`crate::physics::anion_redox::LowerCouple`]): ∂F/∂m and ∂K/∂m at
    /// constant capacity (m moves the capacity of the cationic galleries above the couple
    /// into it), and the couple's
    /// capacity per X_O (γ) with the filled sites and kinetic weight it brings per X_O
    /// (γ s_L, γ g_L). Zeros otherwise.
    pub d_m: f64,
    pub kin_d_m: f64,
    pub capacity_d_xo: f64,
    pub d_xo: f64,
    pub kin_d_xo: f64,
}

/// Anion-redox slow states read from y (zeros without the submodel).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct AnionState {
    pub h: f64,
    pub x_a: f64,
    pub x_l: f64,
    pub x_o: f64,
    /// Transition-metal migration M \[V\].
    pub m: f64,
}

impl MsmrModel {
    /// Gallery filling at potential `u` \[V\] for the anion state `s`, `f = F/RT`.
    #[inline]
    pub fn fill(&self, u: f64, s: &AnionState, f: f64) -> GalleryFill {
        let fade = self.anion.map_or(0.0, |a| a.fade(s.x_o, s.m));
        let shift = -fade;
        let lower = self.anion.as_ref().and_then(|a| a.lower_couple());
        // With a lower couple the cationic galleries above it keep (1 − m) of their capacity
        // (a gallery below the couple, a deep-discharge one, has nothing to lose to it).
        let floor = lower.map_or(f64::INFINITY, |c| c.standard_potential_v);
        let mut out = GalleryFill::default();
        // X_mig, Σ X_j s_j and Σ X_j g_j of the migrating galleries at full capacity.
        let (mut x_mig, mut cat_filled, mut cat_kin) = (0.0, 0.0, 0.0);
        for g in &self.cationic {
            let (occ, vac, d_u, d_u0) =
                occupancy_pair(u, g.standard_potential_v + shift, g.omega, f);
            let migrates = g.standard_potential_v > floor;
            let x = if migrates {
                g.capacity * (1.0 - s.m)
            } else {
                g.capacity
            };
            out.capacity += x;
            out.filled += x * occ;
            out.empty += x * vac;
            out.d_u += x * d_u;
            out.d_shift -= x * d_u0;
            let (k, dk) = kinetic_weight(occ, vac, g.omega, f);
            if migrates {
                x_mig += g.capacity;
                cat_filled += g.capacity * occ;
                cat_kin += g.capacity * k;
            }
            out.kin += x * k;
            out.kin_d_u += x * dk;
            out.kin_d_shift += x * dk;
        }
        if let Some(c) = lower {
            // The migrated capacity m X_mig at U0_L − ΔU and the reduced metal's sites γ X_O at
            // U0_R − ΔU (one gallery when the two potentials are equal).
            let gamma = c.reduced_metal_per_oxygen;
            let band = |u0: f64| band_occupancy(u, u0 + shift, c.spread_v, c.omega, f);
            let mut gallery = |x: f64, [occ, vac, d_u, k, dk]: [f64; 5]| {
                out.filled += x * occ;
                out.empty += x * vac;
                out.d_u += x * d_u;
                out.d_shift += x * d_u;
                out.capacity += x;
                out.kin += x * k;
                out.kin_d_u += x * dk;
                out.kin_d_shift += x * dk;
                (occ, k)
            };
            let migrated = band(c.standard_potential_v);
            // The same band unless the reduced metal has a potential of its own.
            let reduced = if c.reduced_metal_potential_v == c.standard_potential_v {
                migrated
            } else {
                band(c.reduced_metal_potential_v)
            };
            let (occ_m, k_m) = gallery(s.m * x_mig, migrated);
            let (occ_r, k_r) = gallery(gamma * s.x_o, reduced);
            out.d_m = x_mig * occ_m - cat_filled;
            out.kin_d_m = x_mig * k_m - cat_kin;
            out.capacity_d_xo = gamma;
            out.d_xo = gamma * occ_r;
            out.kin_d_xo = gamma * k_r;
        }
        if let Some(a) = &self.anion {
            let u0 = a.gallery_potential(s.h, fade, s.m);
            // The gallery's potential in h and, through the hysteresis growth, in M.
            let (du0_dh, du0_dm) = a.gallery_potential_partials(s.h, s.m);
            let (occ, vac, d_u, d_u0) = occupancy_pair(u, u0, a.omega, f);
            out.filled += s.x_a * occ;
            out.empty += s.x_a * vac;
            out.d_u += s.x_a * d_u;
            out.d_xa = occ;
            out.d_h = s.x_a * d_u0 * du0_dh;
            out.d_m += s.x_a * d_u0 * du0_dm;
            out.d_shift -= s.x_a * d_u0;
            out.capacity += s.x_a;
            out.capacity_d_xa = 1.0;
            // The anionic gallery's part of the exchange current, ρ_a times a cationic one's.
            let (k, dk) = kinetic_weight(occ, vac, a.omega, f);
            let (k, dk) = (a.exchange_current_ratio * k, a.exchange_current_ratio * dk);
            out.kin += s.x_a * k;
            out.kin_d_u += s.x_a * dk;
            out.kin_d_shift += s.x_a * dk;
            out.kin_d_h -= s.x_a * dk * du0_dh;
            out.kin_d_m -= s.x_a * dk * du0_dm;
            out.kin_d_xa = k;
        }
        if let Some(a) = &self.anion {
            // The densified fraction φ = d X_O keeps none of its sites: every gallery keeps
            // (1 − φ) of its capacity, so every sum and partial scales by (1 − φ) and the sums
            // gain −d times themselves in X_O.
            let d = a.densified_per_oxygen;
            if d != 0.0 {
                let keep = 1.0 - a.densified_fraction(s.x_o);
                out.d_xo = keep * out.d_xo - d * out.filled;
                out.capacity_d_xo = keep * out.capacity_d_xo - d * out.capacity;
                out.kin_d_xo = keep * out.kin_d_xo - d * out.kin;
                for v in [
                    &mut out.filled,
                    &mut out.empty,
                    &mut out.d_u,
                    &mut out.d_xa,
                    &mut out.d_h,
                    &mut out.d_shift,
                    &mut out.capacity,
                    &mut out.capacity_d_xa,
                    &mut out.kin,
                    &mut out.kin_d_u,
                    &mut out.kin_d_h,
                    &mut out.kin_d_shift,
                    &mut out.kin_d_xa,
                    &mut out.d_m,
                    &mut out.kin_d_m,
                ] {
                    *v *= keep;
                }
            }
        }
        out
    }

    /// The fade coefficient β \[V per Li/f.u.\] (0 without anion redox).
    #[inline]
    pub fn fade_coefficient(&self) -> f64 {
        self.anion.map_or(0.0, |a| a.fade_v_per_li)
    }

    /// ∂ΔU/∂M of the fade law: 1 when M is a shift in volts, 0 when it is the migrated
    /// fraction (0 without anion redox).
    #[inline]
    pub fn shift_per_migration(&self) -> f64 {
        self.anion
            .map_or(0.0, |a| a.fade_terms(0.0).shift_per_migration)
    }

    /// The host's window of stoichiometry (θ_min, θ_max) for the anion state `s`: from the
    /// lithium no gallery releases to the galleries full, `x_fixed / x_max` and
    /// `(x_fixed + (X_cat + X_a + γ X_O)(1 − φ)) / x_max`, φ the densified fraction.
    #[inline]
    pub fn window(&self, s: &AnionState) -> (f64, f64) {
        let fixed = self.fixed_lithium(s);
        let capacity = self.x_cat
            + self.anion.map_or(0.0, |a| {
                s.x_a
                    + a.lower_couple()
                        .map_or(0.0, |c| c.reduced_metal_per_oxygen * s.x_o)
            });
        let capacity = capacity
            * self
                .anion
                .map_or(1.0, |a| 1.0 - a.densified_fraction(s.x_o));
        (fixed / self.x_max, (fixed + capacity) / self.x_max)
    }

    /// Lithium no gallery releases, x_fixed \[Li/f.u.\].
    #[inline]
    pub fn fixed_lithium(&self, s: &AnionState) -> f64 {
        let lattice = self.anion.map_or(0.0, |a| a.lattice_capacity);
        self.x_max - self.x_cat - lattice + s.x_l
    }

    /// The potential at which the host holds `x` lithium per formula unit (bisection; for
    /// initial states only). `None` if x is outside what the galleries can hold.
    pub fn potential_at(&self, x: f64, s: &AnionState, f: f64) -> Option<f64> {
        let target = x - self.fixed_lithium(s);
        let capacity = self.fill(0.0, s, f).capacity;
        if !(target > 0.0 && target < capacity) {
            return None;
        }
        let (mut lo, mut hi) = (-2.0, 8.0);
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            // Filling falls with potential.
            if self.fill(mid, s, f).filled > target {
                lo = mid;
            } else {
                hi = mid;
            }
            if hi - lo < 1e-13 {
                break;
            }
        }
        Some(0.5 * (lo + hi))
    }
}

impl P2dModel {
    /// The anion-redox states of `y`.
    #[inline]
    pub(crate) fn anion_state(&self, y: &[f64]) -> AnionState {
        let l = &self.layout;
        match (&self.ocp, l.has_slow()) {
            (OcpModel::Msmr(m), true) if m.anion.is_some() => AnionState {
                h: y[l.slow(Slow::Hysteresis)],
                x_a: y[l.slow(Slow::ActiveAnionic)],
                x_l: y[l.slow(Slow::LatentAnionic)],
                x_o: y[l.slow(Slow::OxygenLost)],
                m: y[l.slow(Slow::Migration)],
            },
            _ => AnionState::default(),
        }
    }
}
