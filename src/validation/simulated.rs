//! A run of a validation (or of a fit): the scenario simulated in memory, every cycle's figures
//! kept and the voltage curves of the compared cycles recorded; optionally the per-cycle
//! summary streamed to `summary.csv` as the run goes.
//!
//! The simulated value of a measured quantity comes from here: a `summary.csv` column of a
//! cycle ([`SimulatedRun::column`]), a figure derived from two cycles, or a property of the
//! parameters. With cycle jumping the compared cycles are resolved
//! ([`crate::protocol::Simulation::resolve_cycles`]); any other cycle jumped over is
//! interpolated linearly between the resolved cycles around it.

use std::collections::BTreeMap;
use std::path::Path;

use crate::measured::Direction;
use crate::output::{summary_column, summary_values, SummaryCsv};
use crate::protocol::{
    Checkpoint, CycleSummary, RunSummary, Simulation, TimeseriesRecord, TimeseriesSink,
};
use crate::scenario::run::error_chain;
use crate::scenario::Scenario;

/// A finished run: its cycles' figures and the voltage curves of the cycles asked for.
#[derive(Debug, Clone)]
pub struct SimulatedRun {
    /// The run's label.
    pub label: String,
    /// The active-material mass the per-gram figures refer to \[kg\] (`None` if not given).
    pub active_mass_kg: Option<f64>,
    /// The cation-only capacity of the cell's parameters \[mA·h/g\], when defined
    /// ([`crate::physics::parameters::CellParameters::cationic_capacity_mah_g`]).
    pub cationic_capacity_mah_g: Option<f64>,
    /// The figures of every resolved cycle, in order.
    pub cycles: Vec<CycleSummary>,
    /// The time-series rows of the cycles whose curves were asked for, by cycle.
    pub rows: BTreeMap<usize, Vec<TimeseriesRecord>>,
    /// The solver's account of the run (`None` when it failed).
    pub summary: Option<RunSummary>,
    /// Why the run stopped before its end, with the cycle, step and time (`None` when it
    /// finished): the cycles before are kept, comparisons past them have no simulated value.
    pub error: Option<String>,
}

impl SimulatedRun {
    /// The value of the `summary.csv` column `name` in cycle `cycle` (NaN where the column is
    /// not defined, as an empty field of `summary.csv`). A cycle jumped over is interpolated
    /// linearly between the resolved cycles around it. `capacity_retention` is relative to
    /// cycle `retention_reference` (default: the first cycle with a discharge). `None` when the
    /// column is unknown or the cycle is outside the run.
    pub fn column(
        &self,
        cycle: usize,
        name: &str,
        retention_reference: Option<usize>,
    ) -> Option<f64> {
        let k = summary_column(name)?;
        let reference_ah = match retention_reference {
            Some(r) => self.figures(r, |c| c.discharge_capacity_ah)?,
            None => self
                .cycles
                .iter()
                .find(|c| c.discharge_capacity_ah > 0.0)
                .map_or(f64::NAN, |c| c.discharge_capacity_ah),
        };
        self.figures(cycle, |c| {
            let retention = c.discharge_capacity_ah / reference_ah;
            summary_values(c, self.active_mass_kg, retention)[k]
        })
    }

    /// `f` of the figures of cycle `cycle`, interpolated linearly in the cycle number between
    /// the resolved cycles around it when it was jumped over. `None` outside the run.
    fn figures(&self, cycle: usize, f: impl Fn(&CycleSummary) -> f64) -> Option<f64> {
        let at = self.cycles.partition_point(|c| c.cycle < cycle);
        let after = self.cycles.get(at)?;
        if after.cycle == cycle {
            return Some(f(after));
        }
        let before = self.cycles.get(at.checked_sub(1)?)?;
        let w = (cycle - before.cycle) as f64 / (after.cycle - before.cycle) as f64;
        Some((1.0 - w) * f(before) + w * f(after))
    }

    /// The voltage curve of the `direction` steps of cycle `cycle`, as (capacity passed in
    /// those steps since the cycle's first of them \[mA·h/g\], voltage \[V\]) in time order; empty
    /// when the cycle's rows were not recorded or it has no such step. Rests are left out, and
    /// successive steps of the same direction (constant current then constant voltage) continue
    /// one curve.
    pub fn curve(&self, cycle: usize, direction: Direction) -> Vec<(f64, f64)> {
        let (Some(rows), Some(mass)) = (self.rows.get(&cycle), self.active_mass_kg) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut passed_ah = 0.0;
        let mut previous: Option<&TimeseriesRecord> = None;
        for row in rows {
            if let Some(p) = previous {
                let dq = row.discharge_capacity_ah - p.discharge_capacity_ah;
                let same_step = p.step == row.step;
                if same_step && step_direction(row.current_a) == Some(direction) {
                    passed_ah += dq.abs();
                }
            }
            if step_direction(row.current_a) == Some(direction) {
                // The first row of a step continues from the last one of the previous step
                // of this direction (no charge passes between them).
                out.push((passed_ah / mass, row.voltage_v));
            }
            previous = Some(row);
        }
        out
    }
}

/// The direction of a step from its current (positive on discharge); `None` at rest.
fn step_direction(current_a: f64) -> Option<Direction> {
    if current_a > 0.0 {
        Some(Direction::Discharge)
    } else if current_a < 0.0 {
        Some(Direction::Charge)
    } else {
        None
    }
}

/// `summary.csv` of a run of a validation could not be written.
#[derive(Debug, thiserror::Error)]
#[error("run `{label}`: cannot write {}", .path.display())]
pub struct OutputFailure {
    /// The run's label.
    pub label: String,
    /// The folder.
    pub path: std::path::PathBuf,
    /// The operating system's reason.
    #[source]
    pub source: std::io::Error,
}

/// Keeps the figures of every cycle and the rows of the cycles asked for; streams the figures
/// to `summary.csv` when given one.
struct Collector {
    curve_cycles: Vec<usize>,
    cycles: Vec<CycleSummary>,
    rows: BTreeMap<usize, Vec<TimeseriesRecord>>,
    summary_csv: Option<SummaryCsv>,
}

impl TimeseriesSink for Collector {
    fn wants_cycle(&self, cycle: usize) -> bool {
        self.curve_cycles.binary_search(&cycle).is_ok()
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

    fn checkpoint_due(&self, _cycle: usize) -> bool {
        false
    }

    fn save_checkpoint(&mut self, _checkpoint: &Checkpoint) -> std::io::Result<()> {
        Ok(())
    }
}

/// Simulates `scenario` (without its impedance spectra) as run `label`, resolving the cycles
/// `compared` when it jumps over cycles and recording the rows of `curve_cycles`. With
/// `summary_dir`, the per-cycle figures stream to `<summary_dir>/summary.csv` as the run goes
/// (the folder is created), so that a long run that fails keeps its finished cycles.
///
/// A simulation that fails is not an error here: the run comes back with the cycles it
/// finished and [`SimulatedRun::error`] set. Only failing to write `summary.csv` is.
pub fn simulate(
    label: &str,
    scenario: &Scenario,
    compared: &[usize],
    curve_cycles: &[usize],
    summary_dir: Option<&Path>,
) -> Result<SimulatedRun, OutputFailure> {
    let p = &scenario.parameters;
    let summary_csv = match summary_dir {
        Some(dir) => Some(
            std::fs::create_dir_all(dir)
                .and_then(|()| SummaryCsv::create(dir, p.active_mass_kg()))
                .map_err(|source| OutputFailure {
                    label: label.to_string(),
                    path: dir.to_path_buf(),
                    source,
                })?,
        ),
        None => None,
    };
    let mut curve_cycles = curve_cycles.to_vec();
    curve_cycles.sort_unstable();
    let mut sink = Collector {
        curve_cycles,
        cycles: Vec::new(),
        rows: BTreeMap::new(),
        summary_csv,
    };
    let outcome = Simulation::new(p, &scenario.mesh, &scenario.solver).and_then(|mut sim| {
        sim.resolve_cycles(compared);
        sim.run(&scenario.experiment, &mut sink)
    });
    let (summary, error) = match outcome {
        Ok(summary) => (Some(summary), None),
        Err(e) => (None, Some(error_chain(&e))),
    };
    if let Some(csv) = sink.summary_csv.take() {
        let dir = csv
            .path()
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        csv.finish().map_err(|source| OutputFailure {
            label: label.to_string(),
            path: dir,
            source,
        })?;
    }
    Ok(SimulatedRun {
        label: label.to_string(),
        active_mass_kg: p.active_mass_kg(),
        cationic_capacity_mah_g: p.cationic_capacity_mah_g(),
        cycles: sink.cycles,
        rows: sink.rows,
        summary,
        error,
    })
}
