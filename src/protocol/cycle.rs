//! Per-cycle figures of merit, accumulated step by step from the charge and energy the model
//! integrates exactly (the delivered-charge and delivered-energy unknowns of the DAE), and the
//! model's slow (degradation) state at the end of the cycle.

use crate::physics::p2d::DegradationState;

/// What one cycle delivered and took.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CycleSummary {
    /// Cycle number, from 1 across the whole experiment.
    pub cycle: usize,
    /// Charge passed on charge (|I| integrated over the steps with net charging) \[A·h\].
    pub charge_capacity_ah: f64,
    /// Charge delivered on discharge \[A·h\].
    pub discharge_capacity_ah: f64,
    /// Energy taken on charge \[W·h\].
    pub charge_energy_wh: f64,
    /// Energy delivered on discharge \[W·h\].
    pub discharge_energy_wh: f64,
    /// Time at the end of the cycle, from the start of the run \[s\].
    pub end_time_s: f64,
    /// The model's degradation state at the end of the cycle (models with degradation
    /// submodels only).
    #[serde(default)]
    pub degradation: Option<DegradationState>,
    /// The charge of the cell's cathode host fully lithiated \[A·h\]
    /// ([`crate::physics::parameters::CellParameters::host_capacity_ah`]): the scale that
    /// decides whether the cycle charged at all ([`NO_CHARGE_FRACTION`]). 0 (in checkpoints
    /// written before it was recorded): any positive charge counts.
    #[serde(default)]
    pub host_capacity_ah: f64,
}

/// A charge capacity below this fraction of the cathode host's capacity is no charge: the
/// cycle has no coulombic efficiency (an empty field in `summary.csv`, left out of the mean).
///
/// Such a charge is a step that reached its cut-off within its first internal steps (a 9.5C
/// charge of a 20 µm cathode with 0.8 µm particles at 288 K moved 6.6e-10 A·h, 1e-6 of the
/// cell, and its "efficiency" was 5e5 %): what it measures is the solver's first step, not the
/// cell. A millionth of the host is 1 nA·h for a 1 mA·h cell, far below what a cycler
/// resolves. The robustness suite's classifier flags an efficiency of a smaller charge
/// (`robustness::classify`).
pub const NO_CHARGE_FRACTION: f64 = 1e-6;

impl CycleSummary {
    /// Coulombic efficiency: discharge over charge capacity \[-\] (NaN without a charge, or
    /// with one below [`NO_CHARGE_FRACTION`] of the host's capacity).
    pub fn coulombic_efficiency(&self) -> f64 {
        if self.charged() {
            self.discharge_capacity_ah / self.charge_capacity_ah
        } else {
            f64::NAN
        }
    }

    /// Whether the cycle charged: a charge capacity above [`NO_CHARGE_FRACTION`] of the host's
    /// capacity (and above 0).
    pub fn charged(&self) -> bool {
        self.charge_capacity_ah > 0.0
            && self.charge_capacity_ah >= NO_CHARGE_FRACTION * self.host_capacity_ah
    }

    /// Capacity-weighted mean voltage on charge \[V\] (NaN without a charge).
    pub fn mean_charge_voltage_v(&self) -> f64 {
        if self.charge_capacity_ah > 0.0 {
            self.charge_energy_wh / self.charge_capacity_ah
        } else {
            f64::NAN
        }
    }

    /// Capacity-weighted mean voltage on discharge \[V\] (NaN without a discharge).
    pub fn mean_discharge_voltage_v(&self) -> f64 {
        if self.discharge_capacity_ah > 0.0 {
            self.discharge_energy_wh / self.discharge_capacity_ah
        } else {
            f64::NAN
        }
    }

    /// Adds one step's net charge `capacity_ah` (positive on discharge) and energy `energy_wh`
    /// (positive when delivered) to the charge or discharge side, by the sign of the charge.
    pub fn add_step(&mut self, capacity_ah: f64, energy_wh: f64) {
        if capacity_ah >= 0.0 {
            self.discharge_capacity_ah += capacity_ah;
            self.discharge_energy_wh += energy_wh;
        } else {
            self.charge_capacity_ah -= capacity_ah;
            self.charge_energy_wh -= energy_wh;
        }
    }

    /// An empty summary for cycle `cycle` of a cell whose cathode host holds
    /// `host_capacity_ah` \[A·h\] fully lithiated.
    pub fn new(cycle: usize, host_capacity_ah: f64) -> Self {
        CycleSummary {
            cycle,
            charge_capacity_ah: 0.0,
            discharge_capacity_ah: 0.0,
            charge_energy_wh: 0.0,
            discharge_energy_wh: 0.0,
            end_time_s: 0.0,
            degradation: None,
            host_capacity_ah,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_split_by_sign_and_averaged() {
        let mut c = CycleSummary::new(3, 5e-3);
        c.add_step(-2e-3, -7.6e-3); // charge: 2 mAh at 3.8 V
        c.add_step(0.0, 0.0); // rest
        c.add_step(1.8e-3, 6.3e-3); // discharge: 1.8 mAh at 3.5 V
        assert!((c.coulombic_efficiency() - 0.9).abs() < 1e-12);
        assert!((c.mean_charge_voltage_v() - 3.8).abs() < 1e-12);
        assert!((c.mean_discharge_voltage_v() - 3.5).abs() < 1e-12);
        assert!(CycleSummary::new(1, 5e-3).coulombic_efficiency().is_nan());
    }

    #[test]
    fn a_charge_below_a_millionth_of_the_host_has_no_efficiency() {
        let mut c = CycleSummary::new(1, 1e-3);
        c.add_step(-6.6e-10, -2.4e-9);
        c.add_step(3.3e-4, 1.2e-3);
        assert!(!c.charged());
        assert!(c.coulombic_efficiency().is_nan());
        let mut c = CycleSummary::new(1, 1e-3);
        c.add_step(-1.1e-9, -4e-9);
        c.add_step(1e-9, 3.6e-9);
        assert!(c.charged());
        assert!((c.coulombic_efficiency() - 1e-9 / 1.1e-9).abs() < 1e-12);
    }
}
