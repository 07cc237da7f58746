//! Experiment steps.
//!
//! Issue-2 scope: constant-current charge and discharge steps with voltage cut-offs and an
//! optional duration limit. The type is an enum so that rest, constant-voltage holds, cycles and
//! the PyBaMM-style step language can be added as further variants.

/// Direction of a constant-current step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Discharge: positive cell current, the cathode is lithiated.
    Discharge,
    /// Charge: negative cell current, the cathode is delithiated.
    Charge,
}

impl Direction {
    /// +1 for discharge, −1 for charge (the model's current is positive on discharge).
    pub fn sign(self) -> f64 {
        match self {
            Direction::Discharge => 1.0,
            Direction::Charge => -1.0,
        }
    }
}

/// When a step ends (whichever comes first).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepLimit {
    /// Voltage cut-off \[V\] (cell voltage); discharge stops when the voltage falls to it, charge
    /// when it rises to it. `None` = no voltage limit.
    pub voltage_v: Option<f64>,
    /// Maximum duration of the step \[s\]. `None` = unlimited (a voltage limit is then required).
    pub duration_s: Option<f64>,
}

/// One experiment step.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Constant current of magnitude `current_a` \[A\] in `direction` until `limit`.
    ConstantCurrent {
        /// Current magnitude \[A\] (> 0).
        current_a: f64,
        /// Charge or discharge.
        direction: Direction,
        /// End condition.
        limit: StepLimit,
    },
}

impl Step {
    /// Signed applied current \[A\] (positive on discharge).
    pub fn signed_current_a(&self) -> f64 {
        match self {
            Step::ConstantCurrent {
                current_a,
                direction,
                ..
            } => current_a * direction.sign(),
        }
    }

    /// End condition of the step.
    pub fn limit(&self) -> StepLimit {
        match self {
            Step::ConstantCurrent { limit, .. } => *limit,
        }
    }
}
