//! Percolation of a conducting phase and the electronic conduction of the composite cathode.
//!
//! A random mixture conducts through one of its phases only once that phase forms a connected
//! cluster across the sample. Above the threshold φ_c the conductivity follows the scaling law
//!
//! `σ(φ) = σ_0 ((φ − φ_c)/(1 − φ_c))^t` for φ > φ_c, and 0 for φ ≤ φ_c,
//!
//! σ_0 the conductivity of the pure conducting phase \[S/m\], t the conductivity exponent
//! (universal ≈ 2.0 in three dimensions; Stauffer & Aharony, Introduction to Percolation Theory,
//! 2nd ed., 1994, ch. 5). The same law serves the interphase's conducting products
//! ([`crate::physics::interphase`]) and the composite cathode's carbon network
//! ([`CarbonNetwork`]).
//!
//! The composite cathode's electrons travel through two paths in parallel: the carbon network,
//! which conducts only above its own threshold, and the active oxide's own conduction through the
//! packed active particles, `σ_ox τ(ε_s)` with the electrode's electronic transport relation τ
//! (Bruggeman: ε_s^b) applied to the active fraction alone. Which path carries the current
//! depends on the materials: a good electronic conductor such as Li2RuO3 needs little carbon; an
//! insulating oxide (LiFePO4, a Li-rich Mn oxide) loses its capacity at rate once the carbon
//! falls below its threshold. Without a carbon network the solid phase conducts as one, with
//! τ applied to 1 − ε_e (the earlier, lumped description).

use crate::range::{self, RangeError};

/// The scaling law `σ_0 ((φ − φ_c)/(1 − φ_c))^t` above φ_c, 0 at and below it \[S/m\].
pub fn percolation_conductivity(sigma_0: f64, phi: f64, phi_c: f64, exponent: f64) -> f64 {
    if phi <= phi_c {
        0.0
    } else {
        sigma_0 * ((phi - phi_c) / (1.0 - phi_c)).powf(exponent)
    }
}

/// The conductive carbon of a composite cathode (`[positive.carbon_network]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CarbonNetwork {
    /// Volume fraction of carbon in the electrode φ_C \[-\]. Accepted range: 0 to 1.
    pub volume_fraction: f64,
    /// Conductivity of the carbon phase itself σ_C \[S/m\] (the percolation prefactor σ_0).
    /// Accepted range: 1e-10 to 1e8 S/m.
    pub conductivity_s_m: f64,
    /// Percolation threshold φ_c \[-\] (volume fraction of the electrode). Accepted range: (0, 1).
    pub percolation_threshold: f64,
    /// Conductivity exponent t \[-\]. Accepted range: (0, 10].
    pub percolation_exponent: f64,
}

impl CarbonNetwork {
    /// Effective conductivity of the network in the electrode \[S/m\].
    pub fn conductivity_s_m(&self) -> f64 {
        percolation_conductivity(
            self.conductivity_s_m,
            self.volume_fraction,
            self.percolation_threshold,
            self.percolation_exponent,
        )
    }

    /// Checks every value against its accepted range; returns (key within
    /// `positive.carbon_network`, message) of the first violation.
    pub fn validate(&self) -> Result<(), RangeError> {
        range::unit_interval("volume_fraction", self.volume_fraction, "volume fraction")?;
        range::ELECTRONIC_CONDUCTIVITY_S_M.check("conductivity_S_m", self.conductivity_s_m)?;
        let phi_c = self.percolation_threshold;
        if !range::PERCOLATION_THRESHOLD.contains(phi_c) {
            return Err((
                "percolation_threshold",
                format!(
                    "expected a fraction in (0, 1), found {}",
                    range::shown(phi_c)
                ),
            ));
        }
        range::PERCOLATION_EXPONENT.check("percolation_exponent", self.percolation_exponent)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn network(phi: f64) -> CarbonNetwork {
        CarbonNetwork {
            volume_fraction: phi,
            conductivity_s_m: 1e4,
            percolation_threshold: 0.01,
            percolation_exponent: 2.0,
        }
    }

    #[test]
    fn the_network_conducts_only_above_its_threshold_and_then_by_the_scaling_law() {
        assert_eq!(network(0.0).conductivity_s_m(), 0.0);
        assert_eq!(network(0.01).conductivity_s_m(), 0.0);
        let s = network(0.03).conductivity_s_m();
        let expected = 1e4 * (0.02f64 / 0.99).powi(2);
        assert!((s - expected).abs() < 1e-12 * expected, "{s} {expected}");
        // Monotonic in the carbon content, the pure phase's own value at φ = 1.
        let mut last = 0.0;
        for k in 2..=100 {
            let s = network(k as f64 / 100.0).conductivity_s_m();
            assert!(s > last);
            last = s;
        }
        assert!((last - 1e4).abs() < 1e-9);
    }

    #[test]
    fn out_of_range_values_name_their_key() {
        let mut n = network(0.03);
        n.percolation_threshold = 1.0;
        assert_eq!(n.validate().unwrap_err().0, "percolation_threshold");
        let mut n = network(1.5);
        n.percolation_exponent = 2.0;
        assert_eq!(n.validate().unwrap_err().0, "volume_fraction");
    }
}
