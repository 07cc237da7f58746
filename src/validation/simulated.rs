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

use crate::impedance::{fit_circuit, Circuit, Spectrum};
use crate::measured::Direction;
use crate::output::{summary_column, summary_values, SummaryCsv};
use crate::protocol::impedance::ImpedanceCycles;
use crate::protocol::{
    Checkpoint, CycleSummary, ImpedanceSettings, ImpedanceSpectrum, RunSummary, Simulation,
    TimeseriesRecord, TimeseriesSink,
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
    /// The equivalent-circuit fits of the spectra asked for, by cycle: the scenario's circuit
    /// (`[impedance] circuit`) fitted to the spectrum taken at that cycle (parameter names and
    /// values; NaN where the fit failed).
    pub impedance_fits: BTreeMap<usize, Vec<(String, f64)>>,
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

    /// The fitted value of the circuit parameter `name` (`R2`, `CPE2_Q`, …) at cycle `cycle`, if
    /// a spectrum was taken and fitted there.
    pub fn impedance_value(&self, cycle: usize, name: &str) -> Option<f64> {
        self.impedance_fits
            .get(&cycle)?
            .iter()
            .find(|(n, _)| n == name)
            .map(|&(_, v)| v)
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

/// Keeps the figures of every cycle, the rows of the cycles asked for and the spectra; streams
/// the figures to `summary.csv` when given one.
struct Collector {
    curve_cycles: Vec<usize>,
    cycles: Vec<CycleSummary>,
    rows: BTreeMap<usize, Vec<TimeseriesRecord>>,
    spectra: Vec<ImpedanceSpectrum>,
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

    fn impedance_measured(&mut self, spectrum: &ImpedanceSpectrum) -> std::io::Result<()> {
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

/// Simulates `scenario` as run `label`, with what `wanted` asks for: the cycles to resolve when
/// it jumps over cycles, the rows of the curve cycles, and impedance spectra at the spectrum
/// cycles only (not the scenario's own `[impedance]` cycles), fitted with the scenario's
/// circuit. With `summary_dir`, the per-cycle figures stream to `<summary_dir>/summary.csv` as
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
    let mut curve_cycles = wanted.curves.clone();
    curve_cycles.sort_unstable();
    let mut sink = Collector {
        curve_cycles,
        cycles: Vec::new(),
        rows: BTreeMap::new(),
        spectra: Vec::new(),
        summary_csv,
    };
    let spectra = spectrum_settings(scenario, &wanted.spectra);
    let outcome = Simulation::new(p, &scenario.mesh, &scenario.solver).and_then(|mut sim| {
        sim.resolve_cycles(&wanted.resolve);
        sim.measure_impedance(spectra)?;
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
        impedance_fits: fit_spectra(scenario, &sink.spectra),
        summary,
        error,
    })
}

/// The scenario's impedance settings measuring at `cycles` only; `None` without cycles or
/// without an `[impedance]` section (the validation file is checked for that).
fn spectrum_settings(scenario: &Scenario, cycles: &[usize]) -> Option<ImpedanceSettings> {
    if cycles.is_empty() {
        return None;
    }
    let mut cycles = cycles.to_vec();
    cycles.sort_unstable();
    cycles.dedup();
    scenario
        .impedance
        .clone()
        .map(|settings| ImpedanceSettings {
            cycles: ImpedanceCycles::List(cycles),
            ..settings
        })
}

/// Each spectrum fitted with the scenario's circuit from the automatic start (NaN values where
/// the fit fails), by cycle.
fn fit_spectra(
    scenario: &Scenario,
    spectra: &[ImpedanceSpectrum],
) -> BTreeMap<usize, Vec<(String, f64)>> {
    let Some(circuit) = scenario
        .impedance
        .as_ref()
        .and_then(|s| s.circuit.as_deref())
        .and_then(|c| Circuit::parse(c).ok())
    else {
        return BTreeMap::new();
    };
    let names = circuit.parameter_names();
    spectra
        .iter()
        .map(|s| {
            let values = Spectrum::new(s.frequencies_hz.clone(), s.z_ohm.clone())
                .ok()
                .and_then(|spectrum| fit_circuit(&circuit, &spectrum, None).ok())
                .map_or_else(|| vec![f64::NAN; names.len()], |f| f.values);
            (s.cycle, names.iter().cloned().zip(values).collect())
        })
        .collect()
}
