//! The one driver of a scenario, in the role of PyBaMM's `Simulation`: scenario → model →
//! protocol driver ([`Simulation`]) → a sink. `asslb run` and `--resume` drive into the run
//! folder ([`crate::output::RunSink`], through [`super::run_scenario`]); validation and fitting
//! (and the Python package to come) drive into memory ([`Driver::run_in_memory`], a
//! [`RunData`]). Both sinks fit the run's impedance spectra by the one chaining policy
//! ([`crate::impedance::FitChain`]), so a scenario gives the same numbers, bit for bit, through
//! `run`, `validate` and `fit`.
//!
//! What a caller may add to the scenario's own requests does not change the cycling: cycles to
//! resolve when the run jumps over cycles, and spectra at extra cycles (off-trajectory probes,
//! fitted aside from the chain of the scenario's own spectra).

use crate::output::{Observing, RunObserver, SummaryCsv};
use crate::protocol::impedance::ImpedanceCycles;
use crate::protocol::{
    Checkpoint, ImpedanceSettings, RunSummary, Simulation, SimulationError, Tee, TimeseriesSink,
};

use super::run_data::{MemorySink, RunData};
use super::Scenario;

/// Which impedance spectra a run takes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Spectra {
    /// The scenario's own (`[impedance]`), as `asslb run` takes them.
    #[default]
    Scenario,
    /// Spectra at these cycles (a validation's), and the scenario's own before the last of them,
    /// which the chain of fits passes through; none without cycles.
    AtCycles(Vec<usize>),
}

/// A scenario about to be run, with what the caller asks for besides the scenario's own.
#[derive(Debug, Clone)]
pub struct Driver<'a> {
    scenario: &'a Scenario,
    resolve: Vec<usize>,
    spectra: Spectra,
}

impl<'a> Driver<'a> {
    /// A run of `scenario` as the scenario says.
    pub fn new(scenario: &'a Scenario) -> Self {
        Driver {
            scenario,
            resolve: Vec::new(),
            spectra: Spectra::Scenario,
        }
    }

    /// With cycle jumping, resolves `cycles` (see [`Simulation::resolve_cycles`]).
    pub fn resolve_cycles(mut self, cycles: &[usize]) -> Self {
        self.resolve = cycles.to_vec();
        self
    }

    /// Takes the impedance spectra `spectra` says.
    pub fn spectra(mut self, spectra: Spectra) -> Self {
        self.spectra = spectra;
        self
    }

    /// The scenario driven.
    pub fn scenario(&self) -> &Scenario {
        self.scenario
    }

    /// The impedance settings of the run: the scenario's, measuring at the cycles asked for.
    pub fn impedance_settings(&self) -> Option<ImpedanceSettings> {
        let settings = self.scenario.impedance.clone()?;
        let Spectra::AtCycles(wanted) = &self.spectra else {
            return Some(settings);
        };
        let last = wanted.iter().copied().max()?;
        let mut cycles = wanted.clone();
        let mut cycle = 0;
        while let Some(next) = settings.cycles.next_after(cycle).filter(|&c| c <= last) {
            cycles.push(next);
            cycle = next;
        }
        cycles.sort_unstable();
        cycles.dedup();
        Some(ImpedanceSettings {
            cycles: ImpedanceCycles::List(cycles),
            ..settings
        })
    }

    /// Runs the scenario into `sink`, from `checkpoint` when given (a resumed run).
    pub fn run_into(
        &self,
        checkpoint: Option<&Checkpoint>,
        sink: &mut dyn TimeseriesSink,
    ) -> Result<RunSummary, SimulationError> {
        let s = self.scenario;
        let mut simulation = Simulation::new(&s.parameters, &s.mesh, &s.solver)?;
        simulation.resolve_cycles(&self.resolve);
        simulation.measure_impedance(self.impedance_settings())?;
        simulation.run_from(&s.experiment, checkpoint, sink)
    }

    /// Runs the scenario in memory: every cycle's figures, the rows of `row_cycles`, the spectra
    /// and their circuit fits. With `summary_csv`, the per-cycle figures stream to it as the
    /// run goes. `observer` hears of each cycle as it ends (a progress display), as in the run
    /// folder's case; `&mut ()` for none. A simulation that fails is not an error:
    /// [`RunData::outcome`] holds it, and the data hold every cycle before it; writing
    /// `summary_csv` failing is.
    pub fn run_in_memory(
        &self,
        row_cycles: &[usize],
        summary_csv: Option<SummaryCsv>,
        observer: &mut dyn RunObserver,
    ) -> std::io::Result<RunData> {
        let mut sink = MemorySink::new(self.scenario, row_cycles, summary_csv);
        let outcome = self.run_into(None, &mut Tee::new(&mut sink, &mut Observing(observer)));
        sink.finish(outcome)
    }
}
