//! The cathode/electrolyte interphase (CEI): a film of thickness δ on the active particles that
//! grows by oxidative decomposition of the electrolyte, limited by how electrons (or, for a
//! liquid, solvent) cross the film; its growth current is charge that is never returned.
//!
//! Electrolyte oxidation needs the electrode's electrons at the film's outer surface. Per unit
//! particle surface, the decomposition current density (anodic, A/m²) is
//!
//! `j_side = (σ_e/δ) w softplus(η/w) + (j_t e^{−δ/λ} + k_s/δ) σ(η/w)`, `η = φ_s − φ_e − U_ox`,
//!
//! - `σ_e/δ`: electron migration through a film whose electronic conductivity follows from the
//!   mole fraction x_e of electronically conducting decomposition products by percolation,
//!   `σ_e = σ_0 ((x_e − x_c)/(1 − x_c))^t` for x_e > x_c and 0 below (Stauffer & Aharony,
//!   Introduction to Percolation Theory, 1994; threshold x_c ≈ 0.16, the Scher–Zallen critical
//!   volume fraction for 3D continuum percolation, Scher & Zallen, J. Chem. Phys. 53 (1970)
//!   3759; exponent t ≈ 2). A mixed conducting film (x_e above x_c: the LCO or NCM / Li6PS5Cl
//!   interphases with 16–34 % conducting products, Wu 2022) grows as √t without bound;
//! - `j_t e^{−δ/λ}`: electron tunnelling through an insulating film (Tang, Lu & Newman, J.
//!   Electrochem. Soc. 159 (2012) A1775; Single et al., ChemSusChem 11 (2018) 1950): the only
//!   path when x_e = 0 (Li2RuO3 / Li6PS5Cl, Wu 2022's DFT table), so the film thickens
//!   logarithmically and effectively stops after a few nanometres;
//! - `k_s/δ`: solvent diffusion through a porous film (liquid electrolytes only; Single et al.
//!   2018), a non-passivating √t growth;
//! - `σ(η/w)`, `w softplus(η/w)`: smooth onset of the oxidation above the electrolyte's
//!   oxidation potential U_ox.
//!
//! Growth `dδ/dt = V_e j_side / F`, V_e the volume of products per mole of electrons.
//!
//! Interface resistance in series with the charge transfer,
//! `R_int = R_nat e^{−Θ/Θ_conv} + δ/κ_f` \[Ω m²\], Θ the lithium exchanged through the
//! interface (lithium per formula unit, see [`crate::physics::cracking`]). The as-mixed,
//! uncoated oxide against the sulfide carries a resistive native layer: a Li-depleted
//! space-charge layer from the oxide/sulfide chemical-potential mismatch and an S/O
//! interdiffusion zone (Haruyama et al., Chem. Mater. 26 (2014) 4248). Once the first charges
//! have covered the particles with the Li-conducting, electronically insulating interphase
//! (Li3PO4, Li2SO4, LiCl-bearing; Wu 2022 XPS), that interphase buffers the mismatch: every
//! lithium passing the interface re-equilibrates part of the depleted layer, so the native
//! resistance decays with throughput and the interface ends up at the interphase's own, low
//! resistance δ/κ_f, flat once the film stops growing (the measured R_SE/LRO falls for ~250
//! cycles, then stays flat; Wu 2022). A film that keeps growing adds δ/κ_f without bound
//! instead.
//!
//! Surface left open to the electrolyte, per unit particle surface
//! ([`Interphase::open_surface`]):
//!
//! `s_open(δ) = ε_o + (1 − ε_o) e^{−(δ − δ_0)/λ_s}`,
//!
//! the part of the oxide that the electrolyte still touches, where oxidised lattice oxygen can
//! react with it or leave into it ([`crate::physics::anion_redox`], the release by contact).
//! A dense film (ε_o = 0: the Li2SO4, Li3PO4, LiCl products of a sulfide, Wu 2022 XPS) closes
//! over the surface within its first nanometres (sealing thickness λ_s) and seals it; a porous
//! film (the organic and inorganic carbonate products of a liquid, swollen by the solvent that
//! its own growth law lets through; Single et al., ChemSusChem 11 (2018) 1950) keeps the
//! fraction ε_o of the surface in contact with the liquid in its pores whatever its thickness.
//!
//! How the dense part closes depends on where its products land ([`SealingLaw`]). Let c be the
//! bare fraction of the dense part, g_b the growth rate of product on bare oxide and g_c = r g_b
//! on oxide already covered. The mean thickness grows as `dδ = (c + r (1 − c)) g_b dt` and a
//! bare site closes once a sealing thickness λ_s of product covers it, `dc = −c g_b dt/λ_s`, so
//!
//! `dc/dδ = −c / (λ_s (c + r (1 − c)))`, i.e. `(1 − r)(1 − c) − r ln c = (δ − δ_0)/λ_s`.
//!
//! - r = 1, products landing alike everywhere (random deposition, a Poisson coverage):
//!   `c = e^{−(δ − δ_0)/λ_s}`, a surface that never quite closes;
//! - r < 1, products growing fastest where the oxide is bare: the film closes its open sites
//!   first; c falls nearly linearly to about r at `δ_0 + λ_s`, then as `e^{−(δ − δ_0)/(r λ_s)}`.
//!   The electrolyte is oxidised by electrons from the oxide, and a site already covered by λ_s
//!   of product passes them only as the film's own growth law lets them through, so
//!   `r = j_side(δ_0 + λ_s)/j_side(δ_0)` ([`Interphase::covered_growth_ratio`]): e^{−λ_s/λ} for
//!   an insulating film that grows by tunnelling (0.19 for λ_s = 1 nm, λ = 0.6 nm), δ_0/(δ_0 +
//!   λ_s) for one that passes electrons by migration or solvent by diffusion. Nothing is
//!   fitted: r follows from the growth law and λ_s.

use crate::physics::material::Arrhenius;
use crate::physics::percolation::percolation_conductivity;
use crate::range::{self, unit_interval, RangeError};

/// Parameters of the interphase submodel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interphase {
    /// Mole fraction x_e of electronically conducting products in the film \[-\].
    /// Accepted range: 0 to 1.
    pub electronic_conductor_fraction: f64,
    /// Percolation threshold x_c \[-\]. Accepted range: (0, 1).
    pub percolation_threshold: f64,
    /// Percolation exponent t \[-\]. Accepted range: (0, 10].
    pub percolation_exponent: f64,
    /// Conductivity σ_0 of the conducting products \[S/m\]. Accepted range: 0 to 1e8 S/m.
    pub conductor_conductivity_s_m: f64,
    /// Tunnelling-limited current density j_t of a vanishing film \[A/m²\].
    /// Accepted range: 0 to 1e6 A/m².
    pub tunnelling_current_a_m2: f64,
    /// Tunnelling decay length λ \[m\]. Accepted range: 1e-12 to 1e-6 m.
    pub tunnelling_length_m: f64,
    /// Solvent-diffusion coefficient k_s = F D_solv c_solv \[A/m\] (0 for a solid electrolyte).
    /// Accepted range: 0 to 1 A/m.
    pub solvent_diffusion_a_m: f64,
    /// Oxidation potential U_ox of the electrolyte \[V vs Li/Li+\]. Accepted range: −5 to 10 V.
    pub oxidation_potential_v: f64,
    /// Onset width w \[V\]. Accepted range: 1e-4 to 10 V.
    pub onset_width_v: f64,
    /// Product volume per mole of electrons V_e \[m³/mol\]. Accepted range: 1e-7 to 1e-2 m³/mol.
    pub product_volume_m3_mol: f64,
    /// Initial film thickness δ_0 \[m\]. Accepted range: 1e-12 to 1e-5 m.
    pub initial_thickness_m: f64,
    /// Ionic conductivity of the film κ_f \[S/m\]. Accepted range: 1e-20 to 1000 S/m.
    pub ionic_conductivity_s_m: f64,
    /// Resistance of the native layer at the start R_nat \[Ω m²\]. Accepted range: 0 to 100 Ω m².
    pub native_resistance_ohm_m2: f64,
    /// Lithium throughput that relaxes the native layer by a factor e, Θ_conv \[Li per formula
    /// unit exchanged\]. Accepted range: 1e-3 to 1e7.
    pub native_conversion_throughput: f64,
    /// Fraction ε_o of the particle surface that the film leaves open to the electrolyte, its
    /// pores \[-\] (`open_fraction`, absent: 0, a dense film). Accepted range: 0 to 1.
    pub open_fraction: f64,
    /// Sealing thickness λ_s: the product a bare site needs to close; with random deposition,
    /// the growth beyond δ_0 over which a dense film closes over the surface by a factor e \[m\]
    /// (`sealing_thickness_m`, absent: 1 nm, a few monolayers of product). Accepted range:
    /// 1e-12 to 1e-6 m.
    pub sealing_thickness_m: f64,
    /// Where the products of a dense film land, so how it closes (`sealing_law`, absent:
    /// random deposition).
    pub sealing_law: SealingLaw,
    /// Temperature dependence of the growth: one Arrhenius factor on the side reaction's
    /// prefactors j_t, k_s (solvent diffusion) and σ_0 (`growth_activation_energy_J_mol`,
    /// `growth_reference_temperature_K`; absent: none).
    pub growth_arrhenius: Arrhenius,
    /// Temperature dependence of the film's ionic conduction: κ_f times, and R_nat divided by,
    /// its factor (`conduction_activation_energy_J_mol`, `conduction_reference_temperature_K`;
    /// absent: none).
    pub conduction_arrhenius: Arrhenius,
}

/// How a dense film closes over the oxide (`interphase.sealing_law`; module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SealingLaw {
    /// `"random_deposition"`: products land alike on bare and on covered oxide (r = 1): the
    /// bare fraction falls as e^{−(δ − δ_0)/λ_s} and never quite closes.
    #[default]
    RandomDeposition,
    /// `"growth_at_open_sites"`: products grow fastest where the oxide is bare, in the ratio r
    /// of the film's own growth law one sealing thickness apart
    /// ([`Interphase::covered_growth_ratio`]): the film closes its open sites first.
    GrowthAtOpenSites,
}

/// Overpotential above the oxidation onset at which [`Interphase::covered_growth_ratio`]
/// weighs the film's electron (and solvent) channels \[V\]: a cathode charged to about 1 V
/// above the electrolyte's onset (Li6PS5Cl oxidises from 2.5 V, the cell charges to 4.3 V). The
/// ratio depends on it only through the share of the migration channel, which is the same at
/// every overpotential once it dominates.
const SEALING_REFERENCE_OVERPOTENTIAL_V: f64 = 1.0;

/// Side-reaction current density with its partial derivatives.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SideCurrent {
    /// j_side \[A/m²\], anodic (positive = oxidation).
    pub j: f64,
    /// ∂j/∂δ \[A/m³\].
    pub d_delta: f64,
    /// ∂j/∂η \[A/(m² V)\] (η = Δφ − U_ox, so also ∂j/∂Δφ).
    pub d_eta: f64,
}

impl Interphase {
    /// The film at temperature `t_k` \[K\]: its growth prefactors times the growth factor, its
    /// ionic conductivity times and its native resistance divided by the conduction factor
    /// (the Arrhenius laws then apply no further: both are set to none).
    pub fn at_temperature(&self, t_k: f64) -> Interphase {
        let g = self.growth_arrhenius.factor(t_k);
        let c = self.conduction_arrhenius.factor(t_k);
        Interphase {
            tunnelling_current_a_m2: g * self.tunnelling_current_a_m2,
            solvent_diffusion_a_m: g * self.solvent_diffusion_a_m,
            conductor_conductivity_s_m: g * self.conductor_conductivity_s_m,
            ionic_conductivity_s_m: c * self.ionic_conductivity_s_m,
            native_resistance_ohm_m2: self.native_resistance_ohm_m2 / c,
            growth_arrhenius: Arrhenius::NONE,
            conduction_arrhenius: Arrhenius::NONE,
            ..*self
        }
    }

    /// Electronic conductivity of the film σ_e \[S/m\] from the percolation law.
    pub fn electronic_conductivity_s_m(&self) -> f64 {
        percolation_conductivity(
            self.conductor_conductivity_s_m,
            self.electronic_conductor_fraction,
            self.percolation_threshold,
            self.percolation_exponent,
        )
    }

    /// Side-reaction current density at film thickness `delta` \[m\] and interface potential
    /// difference `dphi` \[V\], with `sigma_e` from [`Self::electronic_conductivity_s_m`].
    #[inline]
    pub fn side_current(&self, sigma_e: f64, delta: f64, dphi: f64) -> SideCurrent {
        let w = self.onset_width_v;
        let z = (dphi - self.oxidation_potential_v) / w;
        let (s, ds) = crate::physics::msmr::logistic(z);
        // The migration term only for a film with electronic conductors (softplus costs a
        // logarithm).
        let sp = if sigma_e > 0.0 {
            crate::physics::msmr::softplus(z).0
        } else {
            0.0
        };
        let migration = sigma_e / delta;
        let tunnel = self.tunnelling_current_a_m2 * (-delta / self.tunnelling_length_m).exp();
        let solvent = self.solvent_diffusion_a_m / delta;
        let other = tunnel + solvent;
        SideCurrent {
            j: migration * w * sp + other * s,
            d_delta: -migration / delta * w * sp
                + (-tunnel / self.tunnelling_length_m - solvent / delta) * s,
            d_eta: migration * s + other * ds / w,
        }
    }

    /// The growth ratio r of covered to bare oxide \[-\]: 1 for random deposition; with growth at
    /// the open sites, `j_side(δ_0 + λ_s)/j_side(δ_0)` at the film's own electronic conductivity,
    /// [`SEALING_REFERENCE_OVERPOTENTIAL_V`] above the onset (1 for a film that does not grow).
    pub fn covered_growth_ratio(&self) -> f64 {
        match self.sealing_law {
            SealingLaw::RandomDeposition => 1.0,
            SealingLaw::GrowthAtOpenSites => {
                let sigma_e = self.electronic_conductivity_s_m();
                let dphi = self.oxidation_potential_v + SEALING_REFERENCE_OVERPOTENTIAL_V;
                let d0 = self.initial_thickness_m;
                let bare = self.side_current(sigma_e, d0, dphi).j;
                let covered = self
                    .side_current(sigma_e, d0 + self.sealing_thickness_m, dphi)
                    .j;
                if bare > 0.0 && covered.is_finite() {
                    (covered / bare).clamp(f64::MIN_POSITIVE, 1.0)
                } else {
                    1.0
                }
            }
        }
    }

    /// The surface left open to the electrolyte per unit particle surface,
    /// `s_open(δ) = ε_o + (1 − ε_o) c(δ)` \[-\], and ds_open/dδ \[1/m\], at film thickness
    /// `delta` \[m\], with `ratio` r from [`Self::covered_growth_ratio`] and the bare fraction c
    /// solving `(1 − r)(1 − c) − r ln c = (δ − δ_0)/λ_s` (module doc; `c = e^{−(δ − δ_0)/λ_s}`
    /// for r = 1).
    #[inline]
    pub fn open_surface(&self, delta: f64, ratio: f64) -> (f64, f64) {
        let u = (delta - self.initial_thickness_m) / self.sealing_thickness_m;
        let dense = 1.0 - self.open_fraction;
        let (closing, d_closing_du) = if ratio == 1.0 {
            let c = (-u).exp();
            (c, -c)
        } else {
            let c = bare_fraction(u, ratio);
            (c, -c / ((1.0 - ratio) * c + ratio))
        };
        (
            self.open_fraction + dense * closing,
            dense * d_closing_du / self.sealing_thickness_m,
        )
    }

    /// Interface resistance R_int(δ, Θ) \[Ω m²\], dR/dδ \[Ω m\] and dR/dΘ \[Ω m²\], at film
    /// thickness `delta` \[m\] and lithium throughput `throughput` \[Li per formula unit\].
    #[inline]
    pub fn resistance(&self, delta: f64, throughput: f64) -> (f64, f64, f64) {
        let native =
            self.native_resistance_ohm_m2 * (-throughput / self.native_conversion_throughput).exp();
        (
            native + delta / self.ionic_conductivity_s_m,
            1.0 / self.ionic_conductivity_s_m,
            -native / self.native_conversion_throughput,
        )
    }

    /// Checks ranges; returns (key, message) of the first violation.
    pub fn validate(&self) -> Result<(), RangeError> {
        unit_interval(
            "electronic_conductor_fraction",
            self.electronic_conductor_fraction,
            "mole fraction",
        )?;
        let xc = self.percolation_threshold;
        if !range::PERCOLATION_THRESHOLD.contains(xc) {
            return Err((
                "percolation_threshold",
                format!("expected a fraction in (0, 1), found {}", range::shown(xc)),
            ));
        }
        range::PERCOLATION_EXPONENT.check("percolation_exponent", self.percolation_exponent)?;
        range::FILM_CONDUCTOR_CONDUCTIVITY_S_M.check(
            "conductor_conductivity_S_m",
            self.conductor_conductivity_s_m,
        )?;
        range::TUNNELLING_CURRENT_A_M2
            .check("tunnelling_current_A_m2", self.tunnelling_current_a_m2)?;
        range::TUNNELLING_LENGTH_M.check("tunnelling_length_m", self.tunnelling_length_m)?;
        range::SOLVENT_DIFFUSION_A_M.check("solvent_diffusion_A_m", self.solvent_diffusion_a_m)?;
        range::POTENTIAL_V.check("oxidation_potential_V", self.oxidation_potential_v)?;
        range::ONSET_WIDTH_V.check("onset_width_V", self.onset_width_v)?;
        range::PRODUCT_VOLUME_M3_MOL.check("product_volume_m3_mol", self.product_volume_m3_mol)?;
        range::FILM_THICKNESS_M.check("initial_thickness_m", self.initial_thickness_m)?;
        range::FILM_IONIC_CONDUCTIVITY_S_M
            .check("ionic_conductivity_S_m", self.ionic_conductivity_s_m)?;
        range::AREA_RESISTANCE_OHM_M2
            .check("native_resistance_ohm_m2", self.native_resistance_ohm_m2)?;
        range::CONVERSION_THROUGHPUT.check(
            "native_conversion_throughput",
            self.native_conversion_throughput,
        )?;
        unit_interval(
            "open_fraction",
            self.open_fraction,
            "fraction of the surface",
        )?;
        range::TUNNELLING_LENGTH_M.check("sealing_thickness_m", self.sealing_thickness_m)?;
        Ok(())
    }
}

/// The bare fraction c solving `(1 − r)(1 − c) − r ln c = u` for 0 < r < 1 \[-\]: Newton in
/// y = ln c from y = −u (the random-deposition value), where the left side minus u is concave
/// and decreasing in y and negative, so the iterates fall monotonically onto the root. A film
/// thinner than its initial thickness (u < 0) starts at the smaller of −u and
/// ln(1 + |u|/(1 − r)), where the left side minus u is −r y ≤ 0: also right of the root, and
/// close to it however thin the film.
fn bare_fraction(u: f64, r: f64) -> f64 {
    let mut y = if u < 0.0 {
        (-u).min((-u / (1.0 - r)).ln_1p())
    } else {
        -u
    };
    for _ in 0..100 {
        let e = y.exp();
        let g = (1.0 - r) * (1.0 - e) - r * y - u;
        let step = g / ((1.0 - r) * e + r);
        y += step;
        if step.abs() <= 1e-14 * (1.0 + y.abs()) {
            break;
        }
    }
    y.exp()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::constants::GAS_CONSTANT;

    fn film(x_e: f64) -> Interphase {
        Interphase {
            electronic_conductor_fraction: x_e,
            percolation_threshold: 0.16,
            percolation_exponent: 2.0,
            conductor_conductivity_s_m: 1e-6,
            tunnelling_current_a_m2: 1e-3,
            tunnelling_length_m: 0.5e-9,
            solvent_diffusion_a_m: 0.0,
            oxidation_potential_v: 2.5,
            onset_width_v: 0.1,
            product_volume_m3_mol: 2.9e-5,
            initial_thickness_m: 1e-9,
            ionic_conductivity_s_m: 1e-7,
            native_resistance_ohm_m2: 0.1,
            native_conversion_throughput: 150.0,
            open_fraction: 0.0,
            sealing_thickness_m: 1e-9,
            sealing_law: SealingLaw::RandomDeposition,
            growth_arrhenius: Arrhenius::NONE,
            conduction_arrhenius: Arrhenius::NONE,
        }
    }

    #[test]
    fn temperature_scales_the_growth_and_the_conduction_by_their_own_laws() {
        let f = Interphase {
            solvent_diffusion_a_m: 1e-11,
            growth_arrhenius: Arrhenius {
                activation_energy_j_mol: 38e3,
                reference_temperature_k: 333.15,
            },
            conduction_arrhenius: Arrhenius {
                activation_energy_j_mol: 52.1e3,
                reference_temperature_k: 333.15,
            },
            ..film(0.336)
        };
        // At the reference temperature nothing changes (bit for bit), but the laws are spent.
        let same = f.at_temperature(333.15);
        assert_eq!(same.tunnelling_current_a_m2, f.tunnelling_current_a_m2);
        assert_eq!(same.native_resistance_ohm_m2, f.native_resistance_ohm_m2);
        assert_eq!(same.growth_arrhenius, Arrhenius::NONE);
        // At 25 °C: exp(−E_a/R (1/T − 1/T_ref)).
        let t = 298.15;
        let arrhenius = |ea: f64| (-ea / GAS_CONSTANT * (1.0 / t - 1.0 / 333.15)).exp();
        let (g, c) = (arrhenius(38e3), arrhenius(52.1e3));
        assert!(
            (g - 0.2000).abs() < 0.002 && (c - 0.110).abs() < 0.002,
            "{g} {c}"
        );
        let cold = f.at_temperature(t);
        let close = |a: f64, b: f64| (a / b - 1.0).abs() < 1e-12;
        assert!(close(
            cold.tunnelling_current_a_m2,
            g * f.tunnelling_current_a_m2
        ));
        assert!(close(
            cold.solvent_diffusion_a_m,
            g * f.solvent_diffusion_a_m
        ));
        assert!(close(
            cold.conductor_conductivity_s_m,
            g * f.conductor_conductivity_s_m
        ));
        assert!(close(
            cold.ionic_conductivity_s_m,
            c * f.ionic_conductivity_s_m
        ));
        assert!(close(
            cold.native_resistance_ohm_m2,
            f.native_resistance_ohm_m2 / c
        ));
        // Geometry, potentials and the percolation law do not change.
        assert_eq!(
            Interphase {
                tunnelling_current_a_m2: f.tunnelling_current_a_m2,
                solvent_diffusion_a_m: f.solvent_diffusion_a_m,
                conductor_conductivity_s_m: f.conductor_conductivity_s_m,
                ionic_conductivity_s_m: f.ionic_conductivity_s_m,
                native_resistance_ohm_m2: f.native_resistance_ohm_m2,
                growth_arrhenius: f.growth_arrhenius,
                conduction_arrhenius: f.conduction_arrhenius,
                ..cold
            },
            f
        );
    }

    #[test]
    fn percolation_switches_on_above_the_threshold() {
        assert_eq!(film(0.0).electronic_conductivity_s_m(), 0.0);
        assert_eq!(film(0.16).electronic_conductivity_s_m(), 0.0);
        let s = film(0.336).electronic_conductivity_s_m();
        let expected = 1e-6 * ((0.336f64 - 0.16) / 0.84).powi(2);
        assert!((s - expected).abs() < 1e-20);
    }

    #[test]
    fn side_current_derivatives_match_finite_differences() {
        for x_e in [0.0, 0.336] {
            let mut f = film(x_e);
            f.solvent_diffusion_a_m = 1e-12;
            let s = f.electronic_conductivity_s_m();
            let (d, v) = (3e-9, 2.62);
            let c = f.side_current(s, d, v);
            let h = 1e-13;
            let fd_d = (f.side_current(s, d + h, v).j - f.side_current(s, d - h, v).j) / (2.0 * h);
            assert!(
                (fd_d - c.d_delta).abs() < 1e-6 * c.d_delta.abs(),
                "{fd_d} {}",
                c.d_delta
            );
            let hv = 1e-6;
            let fd_v =
                (f.side_current(s, d, v + hv).j - f.side_current(s, d, v - hv).j) / (2.0 * hv);
            assert!((fd_v - c.d_eta).abs() < 1e-6 * c.d_eta.abs().max(1e-30));
            let (r, dr, dr_dthr) = f.resistance(d, 80.0);
            let fd_r = (f.resistance(d + h, 80.0).0 - f.resistance(d - h, 80.0).0) / (2.0 * h);
            assert!(r > 0.0 && (fd_r - dr).abs() < 1e-6 * dr.abs());
            let fd_t = (f.resistance(d, 80.01).0 - f.resistance(d, 79.99).0) / 0.02;
            assert!((fd_t - dr_dthr).abs() < 1e-6 * dr_dthr.abs());
        }
    }

    #[test]
    fn the_native_layer_gives_way_to_the_film() {
        let f = film(0.0);
        let (r0, _, _) = f.resistance(f.initial_thickness_m, 0.0);
        let (r1, _, _) = f.resistance(f.initial_thickness_m + 1e-9, 600.0);
        assert!(
            r1 < 0.5 * r0,
            "the resistance falls while the native layer relaxes"
        );
    }

    #[test]
    fn a_dense_film_seals_the_surface_and_a_porous_one_keeps_its_pores_open() {
        let dense = film(0.0);
        let d0 = dense.initial_thickness_m;
        assert_eq!(dense.open_surface(d0, 1.0).0, 1.0);
        // Three sealing thicknesses of growth leave e^-3 of the surface open.
        let (open, _) = dense.open_surface(d0 + 3e-9, 1.0);
        assert!((open - (-3.0f64).exp()).abs() < 1e-12, "{open}");
        let porous = Interphase {
            open_fraction: 0.3,
            ..film(0.0)
        };
        assert!((porous.open_surface(d0 + 1e-6, 1.0).0 - 0.3).abs() < 1e-12);
        for f in [dense, porous] {
            for ratio in [1.0, 0.5, 0.19, 1e-3] {
                for grown in [0.0, 0.7e-9, 1.5e-9, 4e-9] {
                    let (delta, e) = (d0 + grown, 1e-13);
                    let fd = (f.open_surface(delta + e, ratio).0
                        - f.open_surface(delta - e, ratio).0)
                        / (2.0 * e);
                    let d = f.open_surface(delta, ratio).1;
                    assert!(
                        (d - fd).abs() < 1e-6 * d.abs() + 1e-3,
                        "r {ratio}, grown {grown}: {d} {fd}"
                    );
                }
            }
        }
        let bad = Interphase {
            open_fraction: 1.5,
            ..film(0.0)
        };
        assert_eq!(bad.validate().unwrap_err().0, "open_fraction");
    }

    #[test]
    fn a_film_growing_at_its_open_sites_closes_them_first() {
        let d0 = film(0.0).initial_thickness_m;
        let lambda = film(0.0).sealing_thickness_m;
        // The bare fraction solves its implicit law to round-off, for every ratio.
        for r in [0.9, 0.5, 0.19, 1e-2, 1e-6] {
            for u in [0.0, 0.3, 1.0, 2.0, 5.0, 40.0] {
                let c = bare_fraction(u, r);
                let lhs = (1.0 - r) * (1.0 - c) - r * c.ln();
                assert!((0.0..=1.0).contains(&c), "r {r}, u {u}: c {c}");
                if c > 1e-300 {
                    assert!((lhs - u).abs() < 1e-12 * (1.0 + u), "r {r}, u {u}: {lhs}");
                }
            }
        }
        // Finite at the extremes: far thinner than the initial film, far thicker, the smallest
        // ratio the growth law can give, a ratio next to 1.
        for (u, r) in [
            (-1e4, 0.5),
            (-800.0, 1e-3),
            (1e6, 0.19),
            (5.0, f64::MIN_POSITIVE),
            (3.0, 1.0 - 1e-15),
        ] {
            let c = bare_fraction(u, r);
            assert!(c.is_finite() && c >= 0.0, "u {u}, r {r}: {c}");
            if c > 1e-300 {
                let lhs = (1.0 - r) * (1.0 - c) - r * c.ln();
                assert!(
                    (lhs - u).abs() < 1e-9 * (1.0 + u.abs()),
                    "u {u}, r {r}: {lhs}"
                );
            }
        }
        // Small r: nearly linear closing over one sealing thickness, then fast; r = 1 is
        // the random-deposition exponential.
        let c_half = bare_fraction(0.5, 1e-6);
        assert!((c_half - 0.5).abs() < 1e-4, "{c_half}");
        // Two sealing thicknesses of a tunnelling film (r = 0.19) leave 1/70 of what random
        // deposition leaves open.
        assert!(bare_fraction(2.0, 0.19) < 0.02 * (-2.0f64).exp());
        // The ratio follows the growth law: e^{−λ_s/λ} for a tunnelling film, δ_0/(δ_0 + λ_s)
        // for one that passes electrons by migration, 1 for random deposition.
        let tunnelling = Interphase {
            sealing_law: SealingLaw::GrowthAtOpenSites,
            ..film(0.0)
        };
        let expected = (-lambda / tunnelling.tunnelling_length_m).exp();
        assert!((tunnelling.covered_growth_ratio() - expected).abs() < 1e-9 * expected);
        let migrating = Interphase {
            tunnelling_current_a_m2: 0.0,
            ..Interphase {
                sealing_law: SealingLaw::GrowthAtOpenSites,
                ..film(0.336)
            }
        };
        let expected = d0 / (d0 + lambda);
        assert!((migrating.covered_growth_ratio() - expected).abs() < 1e-9);
        assert_eq!(film(0.0).covered_growth_ratio(), 1.0);
        // Growth at the open sites leaves less open at every thickness.
        for grown in [0.5e-9, 1e-9, 3e-9] {
            let r = tunnelling.covered_growth_ratio();
            assert!(
                tunnelling.open_surface(d0 + grown, r).0
                    < film(0.0).open_surface(d0 + grown, 1.0).0
            );
        }
    }

    #[test]
    fn out_of_range_fractions_are_rejected() {
        assert_eq!(
            film(1.2).validate().unwrap_err().0,
            "electronic_conductor_fraction"
        );
        assert!(film(0.336).validate().is_ok());
    }
}
