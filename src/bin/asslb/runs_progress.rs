//! The progress of a validation's runs (`asslb validate`): the cycles finished over all runs
//! and the time left, an [`Activity`] bar on a terminal or a plain line every 30 s in a log;
//! each run's line printed above it as the run ends.

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::activity::Activity;
use crate::common::plural;
use asslb::protocol::CycleSummary;
use asslb::validation::{RunsObserver, SimulatedRun, ValidationSpec};

/// The bar and the last cycle finished in each run.
pub struct RunsProgress {
    bar: Activity,
    labels: Vec<String>,
    totals: Vec<usize>,
    done: Vec<AtomicUsize>,
}

impl RunsProgress {
    /// A bar over every cycle of the runs of `spec`.
    pub fn new(spec: &ValidationSpec) -> Self {
        let totals: Vec<usize> = spec
            .runs
            .iter()
            .map(|r| r.scenario.experiment.cycles())
            .collect();
        let bar = Activity::bar(totals.iter().sum(), "cycles", false);
        RunsProgress {
            bar,
            labels: spec.runs.iter().map(|r| r.label.clone()).collect(),
            done: totals.iter().map(|_| AtomicUsize::new(0)).collect(),
            totals,
        }
    }

    /// Erases the bar.
    pub fn finish(&self) {
        self.bar.finish();
    }

    fn redraw(&self) {
        let done: usize = self.done.iter().map(|d| d.load(Ordering::Relaxed)).sum();
        self.bar.set_position(done);
    }
}

impl RunsObserver for RunsProgress {
    fn cycle_finished(&self, run: usize, summary: &CycleSummary) {
        if let Some(done) = self.done.get(run) {
            done.store(summary.cycle, Ordering::Relaxed);
            self.redraw();
        }
    }

    /// Prints the run's line above the bar, and counts its cycles as done (with cycle jumping
    /// its last resolved cycle can be before its end).
    fn run_finished(&self, run: &SimulatedRun) {
        if let Some(k) = self.labels.iter().position(|l| *l == run.label) {
            self.done[k].store(self.totals[k], Ordering::Relaxed);
            self.redraw();
        }
        let cycles = run.cycles.len();
        let line = match &run.summary {
            Some(s) => format!(
                "  run `{}`: {} cycle{} ({} resolved) in {:.2} s",
                run.label,
                s.cycles,
                plural(s.cycles as u64),
                cycles,
                s.wall_time_s
            ),
            None => format!(
                "  run `{}`: failed after {cycles} cycle{}",
                run.label,
                plural(cycles as u64)
            ),
        };
        self.bar.println(&line);
    }
}
