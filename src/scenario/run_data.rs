//! A run in memory: what [`super::Driver::run_in_memory`] keeps for validation, fitting (and
//! the Python package to come), collected by [`MemorySink`]: every cycle's figures, the rows of
//! the cycles asked for, the impedance spectra and their circuit fits, chained by the same
//! policy as the run folder's `impedance_fit.csv` ([`FitChain`]).

use std::collections::BTreeMap;

use crate::impedance::{ChainedFit, Circuit, FitChain};
use crate::output::SummaryCsv;
use crate::protocol::impedance::ImpedanceCycles;
use crate::protocol::{
    Checkpoint, CycleSummary, ImpedanceSpectrum, RunSummary, SimulationError, TimeseriesRecord,
    TimeseriesSink,
};

use super::Scenario;

/// What a run in memory produced.
#[derive(Debug)]
pub struct RunData {
    /// The figures of every cycle finished (every resolved cycle with cycle jumping), in order.
    pub cycles: Vec<CycleSummary>,
    /// The time-series rows of the cycles asked for, by cycle.
    pub rows: BTreeMap<usize, Vec<TimeseriesRecord>>,
    /// The impedance spectra, in the order taken.
    pub spectra: Vec<ImpedanceSpectrum>,
    /// The circuit fit of each spectrum, by cycle, when the scenario names a circuit.
    pub fits: BTreeMap<usize, ChainedFit>,
    /// The solver's account of the run, or why it stopped before its end (the data then hold
    /// every cycle before).
    pub outcome: Result<RunSummary, SimulationError>,
}

/// The sink of a run in memory; optionally streams the per-cycle figures to `summary.csv`.
pub struct MemorySink {
    row_cycles: Vec<usize>,
    cycles: Vec<CycleSummary>,
    rows: BTreeMap<usize, Vec<TimeseriesRecord>>,
    spectra: Vec<ImpedanceSpectrum>,
    /// The chain of fits and the scenario's own spectrum cycles, which move it on.
    chain: Option<(FitChain, ImpedanceCycles)>,
    fits: BTreeMap<usize, ChainedFit>,
    summary_csv: Option<SummaryCsv>,
}

impl MemorySink {
    /// A sink for a run of `scenario` keeping the rows of `row_cycles`.
    pub fn new(scenario: &Scenario, row_cycles: &[usize], summary_csv: Option<SummaryCsv>) -> Self {
        let mut row_cycles = row_cycles.to_vec();
        row_cycles.sort_unstable();
        row_cycles.dedup();
        // The circuit was checked when the scenario was read.
        let chain = scenario.impedance.as_ref().and_then(|settings| {
            let circuit = Circuit::parse(settings.circuit.as_deref()?).ok()?;
            Some((FitChain::new(circuit), settings.cycles.clone()))
        });
        MemorySink {
            row_cycles,
            cycles: Vec::new(),
            rows: BTreeMap::new(),
            spectra: Vec::new(),
            chain,
            fits: BTreeMap::new(),
            summary_csv,
        }
    }

    /// The data, with the run's `outcome`; `summary.csv` completed on disk.
    pub fn finish(self, outcome: Result<RunSummary, SimulationError>) -> std::io::Result<RunData> {
        if let Some(csv) = self.summary_csv {
            csv.finish()?;
        }
        Ok(RunData {
            cycles: self.cycles,
            rows: self.rows,
            spectra: self.spectra,
            fits: self.fits,
            outcome,
        })
    }
}

impl TimeseriesSink for MemorySink {
    fn wants_cycle(&self, cycle: usize) -> bool {
        self.row_cycles.binary_search(&cycle).is_ok()
    }

    fn record(&mut self, row: &TimeseriesRecord) -> std::io::Result<()> {
        self.rows.entry(row.cycle).or_default().push(*row);
        Ok(())
    }

    fn cycle_finished(&mut self, summary: &CycleSummary) -> std::io::Result<()> {
        self.cycles.push(*summary);
        match &mut self.summary_csv {
            Some(csv) => csv.write_cycle(summary),
            None => Ok(()),
        }
    }

    /// Keeps the spectrum and fits it: next in the chain when it is one of the scenario's own
    /// cycles, aside from the chain otherwise.
    fn impedance_measured(&mut self, spectrum: &ImpedanceSpectrum) -> std::io::Result<()> {
        if let Some((chain, own)) = &mut self.chain {
            let (f, z) = (&spectrum.frequencies_hz, &spectrum.z_ohm);
            let fit = if own.contains(spectrum.cycle) {
                chain.fit(f, z)
            } else {
                chain.fit_aside(f, z)
            };
            self.fits.insert(spectrum.cycle, fit);
        }
        self.spectra.push(spectrum.clone());
        Ok(())
    }

    fn checkpoint_due(&self, _cycle: usize) -> bool {
        false
    }

    fn save_checkpoint(&mut self, _checkpoint: &Checkpoint) -> std::io::Result<()> {
        Ok(())
    }
}
