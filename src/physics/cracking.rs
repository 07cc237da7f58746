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
//! zero at N = 0 and a_max after the onset. A fraction `wetting` of that surface touches the
//! electrolyte (1 for a liquid, 0 for a solid electrolyte).
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

use crate::physics::msmr::logistic;
use crate::physics::range::{self, unit_interval, RangeError};

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
    /// Fraction of crack surface wetted by the electrolyte \[-\]. Accepted range: 0 to 1.
    pub wetting: f64,
    /// Isolation κ_iso: active material lost per unit of wetted crack surface ratio \[-\].
    /// Accepted range: 0 to 100.
    pub isolation_per_area: f64,
}

impl Cracking {
    /// Crack surface ratio a_c and da_c/dN at `n` equivalent full cycles.
    #[inline]
    pub fn area_ratio(&self, n: f64) -> (f64, f64) {
        let (s0, _) = logistic(-self.onset_cycles / self.width_cycles);
        let (s, ds) = logistic((n - self.onset_cycles) / self.width_cycles);
        let scale = self.max_area_ratio / (1.0 - s0);
        (scale * (s - s0), scale * ds / self.width_cycles)
    }

    /// d²a_c/dN² at `n` equivalent full cycles (σ'' = σ' (1 − 2σ)).
    #[inline]
    pub fn area_ratio_curvature(&self, n: f64) -> f64 {
        let (s0, _) = logistic(-self.onset_cycles / self.width_cycles);
        let (s, ds) = logistic((n - self.onset_cycles) / self.width_cycles);
        let scale = self.max_area_ratio / (1.0 - s0);
        scale * ds * (1.0 - 2.0 * s) / (self.width_cycles * self.width_cycles)
    }

    /// Checks ranges; returns (key, message) of the first violation.
    pub fn validate(&self) -> Result<(), RangeError> {
        range::CRACKING_ONSET_CYCLES.check("onset_cycles", self.onset_cycles)?;
        range::CRACKING_WIDTH_CYCLES.check("width_cycles", self.width_cycles)?;
        range::CRACK_AREA_RATIO.check("max_area_ratio", self.max_area_ratio)?;
        range::ISOLATION_PER_AREA.check("isolation_per_area", self.isolation_per_area)?;
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
            wetting: 1.0,
            isolation_per_area: 0.05,
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
}
