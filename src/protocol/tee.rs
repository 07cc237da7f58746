//! Two sinks fed by one run ([`Tee`]): the run folder and a run in memory, for example.

use super::checkpoint::Checkpoint;
use super::cycle::CycleSummary;
use super::impedance::ImpedanceSpectrum;
use super::simulate::{TimeseriesRecord, TimeseriesSink};

/// A sink that hands everything to two sinks, in order: a row to each that wants its cycle,
/// every cycle end and spectrum to both, and a checkpoint when either asks for one.
pub struct Tee<'a> {
    first: &'a mut dyn TimeseriesSink,
    second: &'a mut dyn TimeseriesSink,
}

impl<'a> Tee<'a> {
    /// `first` and `second`, fed together.
    pub fn new(first: &'a mut dyn TimeseriesSink, second: &'a mut dyn TimeseriesSink) -> Self {
        Tee { first, second }
    }
}

impl TimeseriesSink for Tee<'_> {
    fn wants_cycle(&self, cycle: usize) -> bool {
        self.first.wants_cycle(cycle) || self.second.wants_cycle(cycle)
    }

    fn record(&mut self, row: &TimeseriesRecord) -> std::io::Result<()> {
        if self.first.wants_cycle(row.cycle) {
            self.first.record(row)?;
        }
        if self.second.wants_cycle(row.cycle) {
            self.second.record(row)?;
        }
        Ok(())
    }

    fn step_finished(&mut self, cycle: usize, step: usize) -> std::io::Result<()> {
        self.first.step_finished(cycle, step)?;
        self.second.step_finished(cycle, step)
    }

    fn cycle_finished(&mut self, summary: &CycleSummary) -> std::io::Result<()> {
        self.first.cycle_finished(summary)?;
        self.second.cycle_finished(summary)
    }

    fn checkpoint_due(&self, cycle: usize) -> bool {
        self.first.checkpoint_due(cycle) || self.second.checkpoint_due(cycle)
    }

    fn save_checkpoint(&mut self, checkpoint: &Checkpoint) -> std::io::Result<()> {
        self.first.save_checkpoint(checkpoint)?;
        self.second.save_checkpoint(checkpoint)
    }

    fn impedance_measured(&mut self, spectrum: &ImpedanceSpectrum) -> std::io::Result<()> {
        self.first.impedance_measured(spectrum)?;
        self.second.impedance_measured(spectrum)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keeps the rows of one cycle and counts cycle ends.
    struct OneCycle(usize, Vec<usize>, usize);

    impl TimeseriesSink for OneCycle {
        fn wants_cycle(&self, cycle: usize) -> bool {
            cycle == self.0
        }
        fn record(&mut self, row: &TimeseriesRecord) -> std::io::Result<()> {
            self.1.push(row.cycle);
            Ok(())
        }
        fn cycle_finished(&mut self, _summary: &CycleSummary) -> std::io::Result<()> {
            self.2 += 1;
            Ok(())
        }
    }

    #[test]
    fn each_sink_gets_the_rows_it_wants_and_every_cycle_end() {
        let (mut a, mut b) = (OneCycle(1, Vec::new(), 0), OneCycle(2, Vec::new(), 0));
        let mut tee = Tee::new(&mut a, &mut b);
        for cycle in 1..=3 {
            assert_eq!(tee.wants_cycle(cycle), cycle <= 2);
            let row = TimeseriesRecord {
                time_s: 0.0,
                cycle,
                step: 1,
                current_a: 0.0,
                voltage_v: 3.0,
                discharge_capacity_ah: 0.0,
            };
            tee.record(&row).unwrap();
            tee.cycle_finished(&CycleSummary::new(cycle, 1.0)).unwrap();
        }
        assert_eq!((a.1, a.2), (vec![1], 3));
        assert_eq!((b.1, b.2), (vec![2], 3));
    }
}
