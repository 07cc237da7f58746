//! Experiment steps, resolved to SI quantities and cell voltages.
//!
//! The PyBaMM-style step language (`"Charge at 0.05C until 4.3 V"`) is parsed into these in
//! [`super::experiment`]; C-rates, per-area and per-mass currents and cut-offs against Li/Li+
//! are converted there, so the driver sees only amperes, seconds and cell volts.

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

/// When a step ends: whichever of the set limits comes first.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct StepLimit {
    /// Voltage cut-off \[V\] (cell voltage). A discharge ends when the voltage falls to it, a
    /// charge when it rises to it. Not used by holds and rests.
    pub voltage_v: Option<f64>,
    /// Current cut-off \[A\] (magnitude) of a constant-voltage hold: it ends when |I| falls to
    /// it.
    pub current_a: Option<f64>,
    /// Maximum duration of the step \[s\].
    pub duration_s: Option<f64>,
}

/// One experiment step.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Constant current of magnitude `current_a` \[A\] in `direction` until `limit` (voltage
    /// and/or duration).
    ConstantCurrent {
        /// Current magnitude \[A\] (> 0).
        current_a: f64,
        /// Charge or discharge.
        direction: Direction,
        /// End condition.
        limit: StepLimit,
    },
    /// Constant cell voltage `voltage_v` \[V\], the current solved for, until `limit` (current
    /// and/or duration).
    ConstantVoltage {
        /// Held cell voltage \[V\].
        voltage_v: f64,
        /// End condition.
        limit: StepLimit,
    },
    /// Open circuit (zero current) until `limit` (duration).
    Rest {
        /// End condition.
        limit: StepLimit,
    },
}

impl Step {
    /// A constant-current discharge at `current_a` \[A\] until the cell voltage falls to
    /// `cutoff_v` \[V\].
    pub fn discharge_to(current_a: f64, cutoff_v: f64) -> Step {
        Step::ConstantCurrent {
            current_a,
            direction: Direction::Discharge,
            limit: StepLimit {
                voltage_v: Some(cutoff_v),
                ..StepLimit::default()
            },
        }
    }

    /// A constant-current charge at `current_a` \[A\] until the cell voltage rises to
    /// `cutoff_v` \[V\].
    pub fn charge_to(current_a: f64, cutoff_v: f64) -> Step {
        Step::ConstantCurrent {
            current_a,
            direction: Direction::Charge,
            limit: StepLimit {
                voltage_v: Some(cutoff_v),
                ..StepLimit::default()
            },
        }
    }

    /// End condition of the step.
    pub fn limit(&self) -> StepLimit {
        match self {
            Step::ConstantCurrent { limit, .. }
            | Step::ConstantVoltage { limit, .. }
            | Step::Rest { limit } => *limit,
        }
    }
}

/// A block of steps forming one cycle, repeated `cycles` times (formation, long cycling, a rate
/// test…).
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    /// Number of repetitions (≥ 1); each repetition is one cycle.
    pub cycles: usize,
    /// The steps of one cycle, in order.
    pub steps: Vec<Step>,
}

/// A whole experiment: blocks run in sequence. Cycles are numbered from 1 across blocks.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Experiment {
    /// The blocks, in order.
    pub blocks: Vec<Block>,
}

impl Experiment {
    /// An experiment of one cycle made of `steps`.
    pub fn single_cycle(steps: Vec<Step>) -> Self {
        Experiment {
            blocks: vec![Block { cycles: 1, steps }],
        }
    }

    /// Total number of cycles.
    pub fn cycles(&self) -> usize {
        self.blocks.iter().map(|b| b.cycles).sum()
    }

    /// The first cycle (from 1) of block `block` (from 1); `None` past the last block.
    pub fn block_first_cycle(&self, block: usize) -> Option<usize> {
        (1..=self.blocks.len()).contains(&block).then(|| {
            1 + self.blocks[..block - 1]
                .iter()
                .map(|b| b.cycles)
                .sum::<usize>()
        })
    }

    /// The default reference cycle of the capacity retention and of the cycle statistics: the
    /// first cycle of the longest block (the first of equals). Blocks before it are formation
    /// (or conditioning) and count in neither: the paper run's 10 cycles at 0.05C then 1000 at
    /// 1C give cycle 11, an experiment of one block cycle 1. A scenario may name another
    /// (`reference_cycle`), as a sweep may name a block.
    pub fn reference_cycle(&self) -> usize {
        let mut best = 0;
        for (i, b) in self.blocks.iter().enumerate() {
            if b.cycles > self.blocks[best].cycles {
                best = i;
            }
        }
        self.block_first_cycle(best + 1).unwrap_or(1)
    }

    /// The steps of cycle `cycle` (from 1 across blocks; a time-series row's `step` is the
    /// 1-based index into them); `None` outside the experiment.
    pub fn cycle_steps(&self, cycle: usize) -> Option<&[Step]> {
        let mut first = 1;
        for block in &self.blocks {
            if (first..first + block.cycles).contains(&cycle) {
                return Some(&block.steps);
            }
            first += block.cycles;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_steps_of_a_cycle_are_those_of_its_block() {
        let rest = Step::Rest {
            limit: StepLimit {
                duration_s: Some(60.0),
                ..StepLimit::default()
            },
        };
        let e = Experiment {
            blocks: vec![
                Block {
                    cycles: 2,
                    steps: vec![Step::discharge_to(1e-3, 2.0)],
                },
                Block {
                    cycles: 1,
                    steps: vec![Step::charge_to(1e-3, 4.0), rest.clone()],
                },
            ],
        };
        assert_eq!(e.cycle_steps(0), None);
        assert_eq!(e.cycle_steps(2), Some(&e.blocks[0].steps[..]));
        assert_eq!(e.cycle_steps(3), Some(&e.blocks[1].steps[..]));
        assert_eq!(e.cycle_steps(4), None);
        assert_eq!(e.block_first_cycle(1), Some(1));
        assert_eq!(e.block_first_cycle(2), Some(3));
        assert_eq!(e.block_first_cycle(3), None);
        assert_eq!(e.block_first_cycle(0), None);
    }

    #[test]
    fn the_reference_cycle_is_the_first_of_the_longest_block() {
        let block = |cycles| Block {
            cycles,
            steps: vec![Step::discharge_to(1e-3, 2.0)],
        };
        let e = |sizes: &[usize]| Experiment {
            blocks: sizes.iter().map(|&n| block(n)).collect(),
        };
        // The paper run: 10 formation cycles, then 1000.
        assert_eq!(e(&[10, 1000]).reference_cycle(), 11);
        assert_eq!(e(&[5]).reference_cycle(), 1);
        // The first of equals.
        assert_eq!(e(&[2, 4, 4, 1]).reference_cycle(), 3);
        assert_eq!(Experiment::default().reference_cycle(), 1);
    }
}
