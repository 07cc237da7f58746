//! The cycling protocol, kept apart from the physics: experiment steps, and the driver that runs
//! them on the DAE solver and streams results to an output sink.

pub mod checkpoint;
pub mod cycle;
pub mod cycle_jumping;
pub mod experiment;
pub mod failure;
pub mod impedance;
pub mod retention;
pub mod simulate;
pub mod step;
pub mod tee;

pub use checkpoint::{Checkpoint, RunCounters};
pub use cycle::{CycleSummary, NO_CHARGE_FRACTION};
pub use cycle_jumping::{CycleJumping, StateControl, CHARGE_NOISE};
pub use failure::{explain_failure, DepletionPlace, FailureExplanation, PhysicalLimit, WindowEnd};
pub use impedance::{
    spectrum_at_rest, ImpedanceCycles, ImpedanceSettings, ImpedanceSettingsError,
    ImpedanceSpectrum, MeasureAfter, SpectrumAtRestError,
};
pub use retention::Retention;
pub use simulate::{
    simulate, ImpedanceFailure, RunSummary, Simulation, SimulationError, TimeseriesRecord,
    TimeseriesSink,
};
pub use step::{Block, Direction, Experiment, Step, StepLimit};
pub use tee::Tee;
