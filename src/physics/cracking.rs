//! Particle cracking by cyclic fatigue: after a number of cycles the active particles crack and
//! expose fresh surface. A liquid electrolyte floods the cracks (new interphase grows there and
//! oxygen is released from them); a solid electrolyte does not flow into them (Wu 2022: LRO
//! particles crack after about 300 cycles in the solid cell without hurting its cycling).
//!
//! Fatigue is counted by the lithium throughput of the host, Θ = ∫ |i|/Q_1 dt (lithium per
//! formula unit exchanged, Q_1 the charge of one lithium per formula unit per electrode
//! area), as equivalent full cycles N = Θ/2 of one lithium per formula unit. The crack surface
//! per unit of original particle surface follows a logistic fatigue curve (a smooth form of a
//! Weibull-type onset),
//!
//! `a_c(N) = a_max (σ((N − N_on)/N_w) − σ(−N_on/N_w)) / (1 − σ(−N_on/N_w))`,
//!
//! zero at N = 0 and a_max after the onset: cracks that nucleate and stop. Cracks that keep
//! propagating add surface at every cycle after the onset, at a rate r_c per equivalent cycle
//! (`area_growth_per_cycle`),
//!
//! `a_c += r_c N_w (softplus((N − N_on)/N_w) − softplus(−N_on/N_w))`,
//!
//! zero before the onset and `r_c (N − N_on)` after it: the form of fatigue crack growth by a
//! fixed increment per cycle (Paris' law at a constant stress-intensity amplitude; Deshpande,
//! Verbrugge, Cheng, Wang & Liu, J. Electrochem. Soc. 159 (2012) A1730, who couple it to film
//! growth on the fresh crack faces as here), and of the early, nearly linear part of a broad
//! distribution of the particles' fatigue lives. Steady growth keeps exposing fresh surface, so
//! the side current on flooded cracks, and with it the coulombic inefficiency, keeps rising
//! instead of dying away once a saturating crack population is covered. A fraction `wetting` of
//! the crack surface touches the electrolyte (1 for a liquid, 0 for a solid electrolyte).
//!
//! Fragments whose crack faces are flooded lose their electronic contact as the interphase
//! grows between them (the insulating film wedges the fragments apart; the liquid carries no
//! electrons): the active fraction of the electrode is `f = exp(−κ_iso w a_c)`, κ_iso the
//! isolation per unit of wetted crack surface. The isolated material keeps its lithium and
//! takes no further part; its surface is lost to the reaction. Its lithium stays in the
//! cathode's inventory: fragments leave with the mean stoichiometry of the particles still in
//! contact, `dθ_iso/dt = −(df/dt) ⟨θ̄⟩` (`physics::p2d::degradation`), so that the lithium of
//! the contacted particles plus θ_iso changes only by the intercalation charge. A solid electrolyte that does not
//! wet the cracks (w = 0) keeps every fragment in contact (Wu 2022: cracks without capacity
//! loss in the solid cell).
//!
//! An electrolyte that does not flow does not follow the particles' volume change either: at
//! every cycle the particle breathes against a rigid solid electrolyte and some of its points
//! of contact open and stay open (chemo-mechanical contact loss: Koerver et al., Chem. Mater.
//! 29 (2017) 5574, NCM811 with β-Li3PS4; Zhang et al., ACS Appl. Mater. Interfaces 9 (2017)
//! 17835). A particle whose last contact opens is cut off from the ionic network. With a loss
//! κ_v per equivalent cycle (`contact_loss_per_cycle`) on the part of the surface the
//! electrolyte cannot follow, 1 − w, the active fraction is
//!
//! `f = exp(−κ_iso w a_c(N) − κ_v (1 − w) N)`,
//!
//! so a liquid (w = 1), which flows back into every opening, keeps its contact, and a solid
//! electrolyte loses it steadily, from the first cycle, in proportion to the lithium cycled
//! (the volume change follows the lithium content). The fragments so lost leave with the same
//! lithium balance as those isolated behind flooded cracks.
//!
//! Which particles go first (`contact_loss_order`). Particles differ in how much of their
//! surface the pressed electrolyte touches. A particle is cut off when its last contact opens,
//! so the particles with the least contact go first (`"least_contacted_first"`; absent:
//! `"any"`, every particle alike). With the contact of the particles distributed
//! exponentially about its mean (the maximum-entropy distribution of a positive quantity of
//! known mean: nothing else about it is measured), cutting off the least-contacted fraction
//! 1 − f_v of the particles, f_v = exp(−κ_v (1 − w) N), leaves the contacted surface
//!
//! `g_v = ∫_{x_q}^∞ x e^{−x} dx = f_v (1 − ln f_v) = f_v (1 + κ_v (1 − w) N)`, x_q = −ln f_v,
//!
//! of the original: the remaining particles' mean contact rises by `q = g_v/f_v = 1 + κ_v (1 −
//! w) N` ([`Cracking::contact_gain`]). The capacity follows f (the particles), the interfacial
//! currents follow f q (their contact): losing 6 % of the particles this way costs 0.2 % of
//! the contacted surface, so the interface resistance barely moves (`any`: 6.4 %).

use crate::physics::msmr::{logistic, softplus};
use crate::range::{self, unit_interval, RangeError};

/// Parameters of the cracking submodel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cracking {
    /// Onset N_on \[equivalent full cycles of one lithium per formula unit\].
    /// Accepted range: 0 to 1e7 cycles.
    pub onset_cycles: f64,
    /// Width N_w of the onset \[equivalent full cycles\]. Accepted range: 1e-3 to 1e7 cycles.
    pub width_cycles: f64,
    /// Crack surface per unit original particle surface after the onset a_max \[-\].
    /// Accepted range: 0 to 1000.
    pub max_area_ratio: f64,
    /// Crack surface added per equivalent full cycle after the onset by propagating cracks r_c
    /// \[-\] (`area_growth_per_cycle`; absent: 0). Accepted range: 0 to 10.
    pub area_growth_per_cycle: f64,
    /// Fraction of crack surface wetted by the electrolyte \[-\]. Accepted range: 0 to 1.
    pub wetting: f64,
    /// Isolation κ_iso: active material lost per unit of wetted crack surface ratio \[-\].
    /// Accepted range: 0 to 100.
    pub isolation_per_area: f64,
    /// Contact loss κ_v: fraction of the active material cut off per equivalent full cycle on
    /// the surface the electrolyte does not follow (1 − w) \[1/cycle\]
    /// (`contact_loss_per_cycle`; absent: 0). Accepted range: 0 to 0.1.
    pub contact_loss_per_cycle: f64,
    /// Which particles the contact loss cuts off (`contact_loss_order`; absent: any).
    pub contact_loss_order: ContactLossOrder,
}

/// Which particles the contact loss cuts off (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ContactLossOrder {
    /// Any particle alike: the contacted surface falls with the particles (`"any"`).
    #[default]
    Any,
    /// The least-contacted first, the contact exponentially distributed over the particles
    /// (`"least_contacted_first"`).
    LeastContactedFirst,
}

impl Cracking {
    /// Crack surface ratio a_c and da_c/dN at `n` equivalent full cycles.
    #[inline]
    pub fn area_ratio(&self, n: f64) -> (f64, f64) {
        let w = self.width_cycles;
        let (s0, _) = logistic(-self.onset_cycles / w);
        let (s, ds) = logistic((n - self.onset_cycles) / w);
        let scale = self.max_area_ratio / (1.0 - s0);
        let mut a = scale * (s - s0);
        let mut da = scale * ds / w;
        if self.area_growth_per_cycle > 0.0 {
            let (p, _) = softplus((n - self.onset_cycles) / w);
            let (p0, _) = softplus(-self.onset_cycles / w);
            a += self.area_growth_per_cycle * w * (p - p0);
            da += self.area_growth_per_cycle * s;
        }
        (a, da)
    }

    /// Whether fragments can leave the reaction: behind flooded cracks or by contact loss.
    #[inline]
    pub fn isolates(&self) -> bool {
        (self.isolation_per_area > 0.0 && self.wetting > 0.0)
            || (self.contact_loss_per_cycle > 0.0 && self.wetting < 1.0)
    }

    /// Contact loss per equivalent full cycle on the surface the electrolyte does not follow,
    /// κ_v (1 − w) \[1/cycle\].
    #[inline]
    pub fn contact_loss_rate(&self) -> f64 {
        self.contact_loss_per_cycle * (1.0 - self.wetting)
    }

    /// The remaining particles' mean contact relative to the original mean, q, and dq/dΘ, at
    /// the lithium throughput `throughput` Θ (N = Θ/2): `q = 1 + κ_v (1 − w) Θ/2` when the
    /// least-contacted particles go first, 1 otherwise.
    #[inline]
    pub fn contact_gain(&self, throughput: f64) -> (f64, f64) {
        match self.contact_loss_order {
            ContactLossOrder::LeastContactedFirst => {
                let v = 0.5 * self.contact_loss_rate();
                (1.0 + v * throughput, v)
            }
            ContactLossOrder::Any => (1.0, 0.0),
        }
    }

    /// Whether the remaining particles' contact changes with the throughput (the least
    /// contacted go first and contact is lost at all).
    #[inline]
    pub fn contact_gains(&self) -> bool {
        self.contact_loss_order == ContactLossOrder::LeastContactedFirst
            && self.contact_loss_rate() > 0.0
    }

    /// d²a_c/dN² at `n` equivalent full cycles (σ'' = σ' (1 − 2σ)).
    #[inline]
    pub fn area_ratio_curvature(&self, n: f64) -> f64 {
        let w = self.width_cycles;
        let (s0, _) = logistic(-self.onset_cycles / w);
        let (s, ds) = logistic((n - self.onset_cycles) / w);
        let scale = self.max_area_ratio / (1.0 - s0);
        scale * ds * (1.0 - 2.0 * s) / (w * w) + self.area_growth_per_cycle * ds / w
    }

    /// Checks ranges; returns (key, message) of the first violation.
    pub fn validate(&self) -> Result<(), RangeError> {
        range::CRACKING_ONSET_CYCLES.check("onset_cycles", self.onset_cycles)?;
        range::CRACKING_WIDTH_CYCLES.check("width_cycles", self.width_cycles)?;
        range::CRACK_AREA_RATIO.check("max_area_ratio", self.max_area_ratio)?;
        range::CRACK_GROWTH_PER_CYCLE.check("area_growth_per_cycle", self.area_growth_per_cycle)?;
        range::ISOLATION_PER_AREA.check("isolation_per_area", self.isolation_per_area)?;
        range::CONTACT_LOSS_PER_CYCLE
            .check("contact_loss_per_cycle", self.contact_loss_per_cycle)?;
        unit_interval("wetting", self.wetting, "fraction")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cracks_appear_after_the_onset() {
        let c = Cracking {
            onset_cycles: 300.0,
            width_cycles: 40.0,
            max_area_ratio: 1.5,
            area_growth_per_cycle: 0.0,
            wetting: 1.0,
            isolation_per_area: 0.05,
            contact_loss_per_cycle: 0.0,
            contact_loss_order: ContactLossOrder::Any,
        };
        assert!(c.area_ratio(0.0).0.abs() < 1e-15);
        assert!(c.area_ratio(100.0).0 < 0.01);
        assert!((c.area_ratio(1000.0).0 - 1.5).abs() < 1e-3);
        let (n, h) = (310.0, 1e-4);
        let fd = (c.area_ratio(n + h).0 - c.area_ratio(n - h).0) / (2.0 * h);
        assert!((fd - c.area_ratio(n).1).abs() < 1e-8);
        for n in [200.0, 300.0, 310.0, 420.0] {
            let h = 1e-3;
            let fd = (c.area_ratio(n + h).1 - c.area_ratio(n - h).1) / (2.0 * h);
            let exact = c.area_ratio_curvature(n);
            assert!(
                (fd - exact).abs() < 1e-7 * exact.abs().max(1e-6),
                "{fd} {exact}"
            );
        }
        assert_eq!(
            Cracking { wetting: 2.0, ..c }.validate().unwrap_err().0,
            "wetting"
        );
    }

    #[test]
    fn propagating_cracks_add_surface_at_a_steady_rate_after_the_onset() {
        let c = Cracking {
            onset_cycles: 300.0,
            width_cycles: 40.0,
            max_area_ratio: 0.0,
            area_growth_per_cycle: 0.01,
            wetting: 1.0,
            isolation_per_area: 0.05,
            contact_loss_per_cycle: 0.0,
            contact_loss_order: ContactLossOrder::Any,
        };
        assert!(c.area_ratio(0.0).0.abs() < 1e-15);
        // Little before the onset, then 0.01 per cycle.
        assert!(c.area_ratio(100.0).0 < 0.01);
        let (a, da) = c.area_ratio(1000.0);
        assert!((a - 0.01 * 700.0).abs() < 0.01, "{a}");
        assert!((da - 0.01).abs() < 1e-9);
        for n in [100.0, 290.0, 300.0, 340.0, 800.0] {
            let h = 1e-3;
            let fd = (c.area_ratio(n + h).0 - c.area_ratio(n - h).0) / (2.0 * h);
            assert!(
                (fd - c.area_ratio(n).1).abs() < 1e-8 * fd.abs().max(1e-6),
                "{n}"
            );
            let fd2 = (c.area_ratio(n + h).1 - c.area_ratio(n - h).1) / (2.0 * h);
            let exact = c.area_ratio_curvature(n);
            assert!(
                (fd2 - exact).abs() < 1e-6 * exact.abs().max(1e-8),
                "{n}: {fd2} {exact}"
            );
        }
        assert_eq!(
            Cracking {
                area_growth_per_cycle: -1.0,
                ..c
            }
            .validate()
            .unwrap_err()
            .0,
            "area_growth_per_cycle"
        );
    }
}
