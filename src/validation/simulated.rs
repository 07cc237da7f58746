//! A run of a validation (or of a fit): the scenario run in memory by the one driver
//! ([`crate::scenario::Driver`], as `asslb run` runs it), every cycle's figures kept and the
//! voltage curves of the compared cycles recorded; optionally the per-cycle summary streamed to
//! `summary.csv` as the run goes.
//!
//! The simulated value of a measured quantity comes from here: a `summary.csv` column of a
//! cycle ([`SimulatedRun::column`]), a figure derived from two cycles, or a property of the
//! parameters. With cycle jumping the compared cycles are resolved
//! ([`crate::protocol::Simulation::resolve_cycles`]); any other cycle jumped over is
//! interpolated linearly between the resolved cycles around it.
//!
//! A simulated row belongs to a voltage curve by its step, as the experiment says: a
//! constant-current step is a charge or a discharge, a rest is neither, and a constant-voltage
//! hold continues the current step before it in the cycle (the CV part of CC-CV). The sign of
//! the current is not used: during a rest or at the end of a hold it is zero or solver noise.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error_chain::error_chain;
use crate::impedance::ChainedFit;
use crate::measured::Direction;
use crate::output::{summary_column, summary_values, RunObserver, SummaryCsv};
use crate::protocol::{CycleSummary, Retention, RunSummary, Step, TimeseriesRecord};
use crate::scenario::{Driver, Scenario, Spectra};

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
    /// The scenario's reference cycle of the capacity retention
    /// ([`crate::scenario::Scenario::reference_cycle`]).
    pub reference_cycle: usize,
    /// The figures of every resolved cycle, in order.
    pub cycles: Vec<CycleSummary>,
    /// The time-series rows of the cycles whose curves were asked for, by cycle.
    pub rows: BTreeMap<usize, Vec<TimeseriesRecord>>,
    /// The direction of every step of the cycles in `rows`, by cycle (entry `step − 1` for a
    /// row's `step`): from the experiment ([`step_directions`]), `None` for a rest.
    pub step_directions: BTreeMap<usize, Vec<Option<Direction>>>,
    /// The equivalent-circuit fits of the spectra taken, by cycle: the scenario's circuit
    /// (`[impedance] circuit`) fitted to the spectrum taken at that cycle, chained as in
    /// `asslb run` ([`crate::impedance::FitChain`]), or why the fit failed.
    pub impedance_fits: BTreeMap<usize, ChainedFit>,
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
    /// cycle `retention_reference` (default: as in `summary.csv`, the run's reference cycle, or
    /// the first cycle after it with a discharge). `None` when the column is unknown or the
    /// cycle is outside the run.
    pub fn column(
        &self,
        cycle: usize,
        name: &str,
        retention_reference: Option<usize>,
    ) -> Option<f64> {
        let k = summary_column(name)?;
        let reference_ah = match retention_reference {
            Some(r) => self.figures(r, |c| c.discharge_capacity_ah)?,
            None => {
                let mut retention = Retention::from_cycle(self.reference_cycle);
                self.cycles
                    .iter()
                    .find_map(|c| {
                        retention.observe(c);
                        retention.reference_capacity_ah()
                    })
                    .unwrap_or(f64::NAN)
            }
        };
        self.figures(cycle, |c| {
            let retention = c.discharge_capacity_ah / reference_ah;
            summary_values(c, self.active_mass_kg, retention)[k]
        })
    }

    /// The fitted value of the circuit parameter `name` (`R2`, `CPE2_Q`, …) at cycle `cycle`, if
    /// a spectrum was taken there and its fit succeeded.
    pub fn impedance_value(&self, cycle: usize, name: &str) -> Option<f64> {
        let fit = self.impedance_fits.get(&cycle)?.as_ref().ok()?;
        let k = fit.names.iter().position(|n| n == name)?;
        fit.values.get(k).copied()
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
    /// when the cycle's rows were not recorded or it has no such step. A row's direction is its
    /// step's ([`SimulatedRun::step_directions`]), never the sign of its current: rests are
    /// left out, and successive steps of the same direction (constant current then constant
    /// voltage) continue one curve.
    pub fn curve(&self, cycle: usize, direction: Direction) -> Vec<(f64, f64)> {
        let (Some(rows), Some(mass), Some(directions)) = (
            self.rows.get(&cycle),
            self.active_mass_kg,
            self.step_directions.get(&cycle),
        ) else {
            return Vec::new();
        };
        let of_direction = |row: &TimeseriesRecord| {
            row.step
                .checked_sub(1)
                .and_then(|k| directions.get(k).copied().flatten())
                == Some(direction)
        };
        let mut out = Vec::new();
        let mut passed_ah = 0.0;
        let mut previous: Option<&TimeseriesRecord> = None;
        for row in rows {
            if let Some(p) = previous {
                let dq = row.discharge_capacity_ah - p.discharge_capacity_ah;
                if p.step == row.step && of_direction(row) {
                    passed_ah += dq.abs();
                }
            }
            if of_direction(row) {
                // The first row of a step continues from the last one of the previous step
                // of this direction (no charge passes between them).
                out.push((passed_ah / mass, row.voltage_v));
            }
            previous = Some(row);
        }
        out
    }
}

/// The direction of each step of a cycle, `steps` being its steps and `rows` its recorded rows:
/// a constant-current step's own; `None` for a rest; a constant-voltage hold continues the last
/// constant-current step before it in the cycle (the CV part of CC-CV), and a hold without one
/// takes the direction of the net charge it passes (from its rows; `None` when it passes none).
pub fn step_directions(steps: &[Step], rows: &[TimeseriesRecord]) -> Vec<Option<Direction>> {
    let mut last_current: Option<Direction> = None;
    let mut out = Vec::with_capacity(steps.len());
    for (k, step) in steps.iter().enumerate() {
        let direction = match step {
            Step::ConstantCurrent { direction, .. } => {
                last_current = Some(curve_direction(*direction));
                last_current
            }
            Step::Rest { .. } => None,
            Step::ConstantVoltage { .. } => last_current.or_else(|| passed_direction(rows, k + 1)),
        };
        out.push(direction);
    }
    out
}

/// The direction of a protocol step as a curve's.
fn curve_direction(direction: crate::protocol::Direction) -> Direction {
    match direction {
        crate::protocol::Direction::Charge => Direction::Charge,
        crate::protocol::Direction::Discharge => Direction::Discharge,
    }
}

/// The direction of the net charge passed in step `step` of `rows` (first row to last);
/// `None` when it passes none or has no rows.
fn passed_direction(rows: &[TimeseriesRecord], step: usize) -> Option<Direction> {
    let mut of_step = rows.iter().filter(|r| r.step == step);
    let first = of_step.next()?;
    let last = of_step.next_back().unwrap_or(first);
    let passed = last.discharge_capacity_ah - first.discharge_capacity_ah;
    if passed > 0.0 {
        Some(Direction::Discharge)
    } else if passed < 0.0 {
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

/// What a comparison needs from a run besides its cycles' figures.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Wanted {
    /// Cycles to resolve when the run jumps over cycles (target points', curves').
    pub resolve: Vec<usize>,
    /// Cycles whose time-series rows (voltage curves) are recorded.
    pub curves: Vec<usize>,
    /// Cycles at which an impedance spectrum is taken (as the scenario's `[impedance]` says:
    /// after which step, rest, frequencies) and fitted with its circuit.
    pub spectra: Vec<usize>,
}

/// Simulates `scenario` as run `label`, with what `wanted` asks for: the cycles to resolve when
/// it jumps over cycles, the rows of the curve cycles, and impedance spectra at the spectrum
/// cycles (and at the scenario's own `[impedance]` cycles before the last of them, which the
/// chain of circuit fits passes through, [`Spectra::AtCycles`]), fitted as `asslb run` fits
/// them. With `summary_dir`, the per-cycle figures stream to `<summary_dir>/summary.csv` as
/// the run goes (the folder is created), so that a long run that fails keeps its finished
/// cycles.
///
/// A simulation that fails is not an error here: the run comes back with the cycles it
/// finished and [`SimulatedRun::error`] set. Only failing to write `summary.csv` is.
pub fn simulate(
    label: &str,
    scenario: &Scenario,
    wanted: &Wanted,
    summary_dir: Option<&Path>,
) -> Result<SimulatedRun, OutputFailure> {
    simulate_observed(label, scenario, wanted, summary_dir, &mut ())
}

/// [`simulate`], telling `observer` of each cycle as it ends (a progress display).
pub fn simulate_observed(
    label: &str,
    scenario: &Scenario,
    wanted: &Wanted,
    summary_dir: Option<&Path>,
    observer: &mut dyn RunObserver,
) -> Result<SimulatedRun, OutputFailure> {
    let p = &scenario.parameters;
    let summary_csv = match summary_dir {
        Some(dir) => Some(
            std::fs::create_dir_all(dir)
                .and_then(|()| {
                    SummaryCsv::create(dir, p.active_mass_kg(), scenario.reference_cycle)
                })
                .map_err(|source| OutputFailure {
                    label: label.to_string(),
                    path: dir.to_path_buf(),
                    source,
                })?,
        ),
        None => None,
    };
    let data = Driver::new(scenario)
        .resolve_cycles(&wanted.resolve)
        .spectra(Spectra::AtCycles(wanted.spectra.clone()))
        .run_in_memory(&wanted.curves, summary_csv, observer)
        .map_err(|source| OutputFailure {
            label: label.to_string(),
            path: summary_dir.map(Path::to_path_buf).unwrap_or_default(),
            source,
        })?;
    let (summary, error) = match data.outcome {
        Ok(summary) => (Some(summary), None),
        Err(e) => (None, Some(error_chain(&e))),
    };
    let step_directions = data
        .rows
        .iter()
        .filter_map(|(&cycle, rows)| {
            let steps = scenario.experiment.cycle_steps(cycle)?;
            Some((cycle, step_directions(steps, rows)))
        })
        .collect();
    Ok(SimulatedRun {
        label: label.to_string(),
        active_mass_kg: p.active_mass_kg(),
        cationic_capacity_mah_g: p.cationic_capacity_mah_g(),
        reference_cycle: scenario.reference_cycle,
        cycles: data.cycles,
        rows: data.rows,
        step_directions,
        impedance_fits: data.fits,
        summary,
        error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::StepLimit;

    fn row(step: usize, current_a: f64, voltage_v: f64, q_ah: f64) -> TimeseriesRecord {
        TimeseriesRecord {
            time_s: 0.0,
            cycle: 1,
            step,
            current_a,
            voltage_v,
            discharge_capacity_ah: q_ah,
        }
    }

    /// The default retention of a validation is `summary.csv`'s: against the run's reference
    /// cycle, handed on to the first cycle after it with a discharge when it had none.
    #[test]
    fn retention_hands_on_past_a_reference_cycle_without_discharge() {
        let cycle = |n: usize, discharge_ah: f64| {
            let mut c = CycleSummary::new(n, 1.0);
            c.add_step(-1e-3, -3.8e-3);
            if discharge_ah > 0.0 {
                c.add_step(discharge_ah, 3.5 * discharge_ah);
            }
            c
        };
        let run = SimulatedRun {
            label: "hand-on".into(),
            active_mass_kg: None,
            cationic_capacity_mah_g: None,
            reference_cycle: 2,
            cycles: vec![
                cycle(1, 3e-3),
                cycle(2, 0.0),
                cycle(3, 2e-3),
                cycle(4, 1.5e-3),
            ],
            rows: BTreeMap::new(),
            step_directions: BTreeMap::new(),
            impedance_fits: BTreeMap::new(),
            summary: None,
            error: None,
        };
        assert_eq!(run.column(3, "capacity_retention", None), Some(1.0));
        assert_eq!(run.column(4, "capacity_retention", None), Some(0.75));
        // A reference named by the comparison is taken as it is.
        assert_eq!(run.column(4, "capacity_retention", Some(1)), Some(0.5));
        let mut rule = Retention::from_cycle(2);
        for c in &run.cycles {
            rule.observe(c);
        }
        assert_eq!(rule.reference(), Some(3));
    }

    #[test]
    fn rows_belong_to_their_steps_direction_not_to_their_currents_sign() {
        let limit = StepLimit::default();
        let steps = vec![
            Step::charge_to(1e-3, 4.3),
            Step::ConstantVoltage {
                voltage_v: 4.3,
                limit,
            },
            Step::Rest { limit },
            Step::discharge_to(1e-3, 2.0),
        ];
        // The hold's current ends in noise of either sign, the rest's is noise: the step
        // says where each row belongs.
        let rows = vec![
            row(1, -1e-3, 3.5, 0.0),
            row(1, -1e-3, 4.3, -1e-3),
            row(2, -1e-4, 4.3, -1e-3),
            row(2, 3e-19, 4.3, -1.1e-3),
            row(3, 6e-17, 4.3, -1.1e-3),
            row(3, -8e-24, 4.2, -1.1e-3),
            row(4, 1e-3, 4.1, -1.1e-3),
            row(4, 1e-3, 2.0, -0.1e-3),
        ];
        let directions = step_directions(&steps, &rows);
        assert_eq!(
            directions,
            vec![
                Some(Direction::Charge),
                Some(Direction::Charge),
                None,
                Some(Direction::Discharge)
            ]
        );
        // A hold that opens a cycle: the direction of the charge it passes.
        let hold = &steps[1..2];
        let lone = [row(1, 1e-4, 3.0, 0.0), row(1, -1e-20, 3.0, 1e-4)];
        assert_eq!(
            step_directions(hold, &lone),
            vec![Some(Direction::Discharge)]
        );
        assert_eq!(step_directions(hold, &lone[..1]), vec![None]);

        let run = SimulatedRun {
            label: "hand".into(),
            active_mass_kg: Some(1e-3),
            cationic_capacity_mah_g: None,
            reference_cycle: 1,
            cycles: Vec::new(),
            rows: BTreeMap::from([(1, rows)]),
            step_directions: BTreeMap::from([(1, directions)]),
            impedance_fits: BTreeMap::new(),
            summary: None,
            error: None,
        };
        let close = |a: &[(f64, f64)], b: &[(f64, f64)]| {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|(x, y)| (x.0 - y.0).abs() < 1e-9 && x.1 == y.1)
        };
        let discharge = run.curve(1, Direction::Discharge);
        assert!(
            close(&discharge, &[(0.0, 4.1), (1.0, 2.0)]),
            "{discharge:?}"
        );
        let charge = run.curve(1, Direction::Charge);
        assert!(
            close(&charge, &[(0.0, 3.5), (1.0, 4.3), (1.0, 4.3), (1.1, 4.3)]),
            "{charge:?}"
        );
        // A cycle without recorded rows has no curve.
        assert!(run.curve(2, Direction::Charge).is_empty());
    }
}
