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
}

impl CycleSummary {
    /// Coulombic efficiency: discharge over charge capacity \[-\] (NaN without a charge).
    pub fn coulombic_efficiency(&self) -> f64 {
        if self.charge_capacity_ah > 0.0 {
            self.discharge_capacity_ah / self.charge_capacity_ah
        } else {
            f64::NAN
        }
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

    /// An empty summary for cycle `cycle`.
    pub fn new(cycle: usize) -> Self {
        CycleSummary {
            cycle,
            charge_capacity_ah: 0.0,
            discharge_capacity_ah: 0.0,
            charge_energy_wh: 0.0,
            discharge_energy_wh: 0.0,
            end_time_s: 0.0,
            degradation: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_split_by_sign_and_averaged() {
        let mut c = CycleSummary::new(3);
        c.add_step(-2e-3, -7.6e-3); // charge: 2 mAh at 3.8 V
        c.add_step(0.0, 0.0); // rest
        c.add_step(1.8e-3, 6.3e-3); // discharge: 1.8 mAh at 3.5 V
        assert!((c.coulombic_efficiency() - 0.9).abs() < 1e-12);
        assert!((c.mean_charge_voltage_v() - 3.8).abs() < 1e-12);
        assert!((c.mean_discharge_voltage_v() - 3.5).abs() < 1e-12);
        assert!(CycleSummary::new(1).coulombic_efficiency().is_nan());
    }
}
