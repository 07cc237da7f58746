//! The validation file: which scenarios to run, and which measured data to compare with which
//! run and cycles (format in `docs/validation.md`).
//!
//! Everything is read and checked before anything runs: the scenarios (with their `set`
//! overrides), the measured files, that every target point has a place in a run, that every
//! measured column has a tolerance, and that every cycle compared is one the run reaches.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::toml_position::{key_position, IndexBase};

use crate::impedance::Circuit;
use crate::measured::{
    per_cycle_quantity, read_curves, read_cycles, read_points, Direction, MeasuredCurves,
    MeasuredCycles, TargetPoint, ToleranceKind,
};
use crate::scenario::{load_scenario_with, Scenario, SetOverride};

use super::ValidationError;

/// A tolerance: how far a simulated value may be from the measured one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerance {
    /// The accepted deviation (≥ 0), in the sense of `kind`.
    pub value: f64,
    /// Percent of the measured value, percentage points, or absolute (in the quantity's unit).
    pub kind: ToleranceKind,
}

impl Tolerance {
    /// The deviation of `simulated` from `measured` in this tolerance's terms: percent of the
    /// measured value for [`ToleranceKind::Percent`], the plain difference otherwise.
    pub fn deviation(&self, measured: f64, simulated: f64) -> f64 {
        match self.kind {
            ToleranceKind::Percent => 100.0 * (simulated - measured) / measured,
            ToleranceKind::Points | ToleranceKind::Absolute => simulated - measured,
        }
    }

    /// The tolerance in words: `3 %`, `1 points`, `0.05 V`.
    pub fn describe(&self, unit: &str) -> String {
        match self.kind {
            ToleranceKind::Percent => format!("±{} %", self.value),
            ToleranceKind::Points => format!("±{} pt", self.value),
            ToleranceKind::Absolute => format!("±{} {unit}", self.value),
        }
    }
}

/// How the deviations of a series (per-cycle column, voltage curve) are judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Criterion {
    /// The root-mean-square deviation is within the tolerance.
    Rms,
    /// Every deviation is within the tolerance.
    Max,
}

impl Criterion {
    /// `rms` or `max`.
    pub fn as_str(self) -> &'static str {
        match self {
            Criterion::Rms => "rms",
            Criterion::Max => "max",
        }
    }
}

/// One run of a validation: a scenario, with its overrides applied.
#[derive(Debug, Clone)]
pub struct RunSpec {
    /// The run's label (its key under `[runs]`).
    pub label: String,
    /// The scenario.
    pub scenario: Scenario,
}

/// A target point and where it is in the runs.
#[derive(Debug, Clone)]
pub struct PointCheck {
    /// The points file.
    pub file: PathBuf,
    /// The target.
    pub target: TargetPoint,
    /// Index of the run in [`ValidationSpec::runs`].
    pub run: usize,
    /// The run's cycle that the target is (none for a property of the parameters).
    pub cycle: Option<usize>,
    /// The run's cycle that a retention or a decay is relative to.
    pub reference_cycle: Option<usize>,
    /// A resistance of the run's equivalent circuit (`R2`): the target is compared with its
    /// value fitted to the spectrum the run takes at `cycle` (as a measured EIS fit is),
    /// instead of the model's own figure.
    pub impedance_element: Option<String>,
}

/// A per-cycle data file, compared column by column with a run's cycles.
#[derive(Debug, Clone)]
pub struct CyclesCheck {
    /// The file.
    pub file: PathBuf,
    /// The data.
    pub data: MeasuredCycles,
    /// Index of the run.
    pub run: usize,
    /// Measured cycle n is the run's cycle n + `cycle_offset`.
    pub cycle_offset: usize,
    /// The tolerance of every column of the file, in the file's order.
    pub tolerances: Vec<(String, Tolerance)>,
    /// How a column's deviations are judged.
    pub criterion: Criterion,
}

/// A voltage-curves file, compared curve by curve with a run's cycles.
#[derive(Debug, Clone)]
pub struct CurvesCheck {
    /// The file.
    pub file: PathBuf,
    /// The data.
    pub data: MeasuredCurves,
    /// Index of the run.
    pub run: usize,
    /// Measured cycle n is the run's cycle n + `cycle_offset`.
    pub cycle_offset: usize,
    /// The direction of curves whose file has no `step` column.
    pub step: Direction,
    /// The accepted voltage deviation \[V\] (absolute).
    pub tolerance: Tolerance,
    /// The uncertainty of a measured capacity \[mA·h/g\] (`tolerance_mAh_g`), which weighs
    /// the voltage deviations where the curve is steep; `None`: a fraction
    /// ([`super::compare::CAPACITY_TOLERANCE_FRACTION`]) of each curve's last capacity.
    pub capacity_tolerance: Option<f64>,
    /// How a curve's deviations are judged.
    pub criterion: Criterion,
}

/// A validation file, read and checked.
#[derive(Debug, Clone)]
pub struct ValidationSpec {
    /// The file.
    pub path: PathBuf,
    /// Its name (`name`, or the file stem).
    pub name: String,
    /// Its description.
    pub description: String,
    /// The runs, in the file's order of labels (sorted).
    pub runs: Vec<RunSpec>,
    /// Target points.
    pub points: Vec<PointCheck>,
    /// Per-cycle data.
    pub cycles: Vec<CyclesCheck>,
    /// Voltage curves.
    pub curves: Vec<CurvesCheck>,
    /// The prediction bands of a fit (`bands = "<file>"`), shown beside the comparisons when
    /// the runs carry the fit's parameters ([`super::bands_file`]).
    pub bands: Option<super::bands_file::BandsFile>,
}

impl ValidationSpec {
    /// The cycles of run `run` that must be resolved when the run jumps over cycles: those
    /// of the target points (and their reference cycles) and of the voltage curves. Dense
    /// per-cycle data are not among them: a cycle jumped over is interpolated between the
    /// resolved cycles around it, as the jump's extrapolation of the slow states is linear
    /// (forcing every measured cycle to be resolved would switch jumping off).
    pub fn compared_cycles(&self, run: usize) -> Vec<usize> {
        let mut out = Vec::new();
        for p in self.points.iter().filter(|p| p.run == run) {
            out.extend(p.cycle);
            out.extend(p.reference_cycle);
        }
        out.extend(self.curve_cycles(run));
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The cycles of run `run` at which a spectrum is taken and fitted (targets compared with a
    /// fitted resistance).
    pub fn spectrum_cycles(&self, run: usize) -> Vec<usize> {
        let mut out: Vec<usize> = self
            .points
            .iter()
            .filter(|p| p.run == run && p.impedance_element.is_some())
            .filter_map(|p| p.cycle)
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The cycles of run `run` whose voltage curves a report draws: those compared with
    /// measured curves and those of the target points.
    pub fn plotted_cycles(&self, run: usize) -> Vec<usize> {
        let mut out = self.curve_cycles(run);
        out.extend(
            self.points
                .iter()
                .filter(|p| p.run == run)
                .filter_map(|p| p.cycle),
        );
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The cycles of run `run` whose voltage curves are compared.
    pub fn curve_cycles(&self, run: usize) -> Vec<usize> {
        let mut out: Vec<usize> = self
            .curves
            .iter()
            .filter(|c| c.run == run)
            .flat_map(|c| {
                c.data
                    .cycles()
                    .into_iter()
                    .map(|n| n as usize + c.cycle_offset)
            })
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpec {
    name: Option<String>,
    description: Option<String>,
    runs: BTreeMap<String, RawRun>,
    #[serde(default)]
    points: Vec<RawPoints>,
    #[serde(default)]
    cycles: Vec<RawCycles>,
    #[serde(default)]
    curves: Vec<RawCurves>,
    bands: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRun {
    scenario: String,
    #[serde(default)]
    set: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPoints {
    file: String,
    /// The ids of the file's targets this validation compares (absent: every target).
    only: Option<Vec<String>>,
    at: BTreeMap<String, RawAt>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAt {
    run: String,
    cycle: Option<usize>,
    reference_cycle: Option<usize>,
    impedance: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCycles {
    file: String,
    run: String,
    #[serde(default)]
    cycle_offset: usize,
    criterion: Option<String>,
    tolerance: BTreeMap<String, RawTolerance>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCurves {
    file: String,
    run: String,
    #[serde(default)]
    cycle_offset: usize,
    step: Option<String>,
    criterion: Option<String>,
    #[serde(rename = "tolerance_V")]
    tolerance_v: f64,
    #[serde(rename = "tolerance_mAh_g")]
    tolerance_mah_g: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTolerance {
    value: f64,
    kind: String,
}

/// Reads and checks the validation file at `path`: its scenarios load, its measured files
/// read, and every comparison has a run, cycles the run reaches and a tolerance. Relative
/// paths resolve against the file's folder.
pub fn load_validation(path: &Path) -> Result<ValidationSpec, ValidationError> {
    let text = std::fs::read_to_string(path).map_err(|source| ValidationError::Read {
        file: path.to_path_buf(),
        source,
    })?;
    parse_validation(&text, path)
}

/// [`load_validation`] of the text `text` of the file `path`.
pub fn parse_validation(text: &str, path: &Path) -> Result<ValidationSpec, ValidationError> {
    let raw: RawSpec = toml::from_str(text).map_err(|e| ValidationError::Syntax {
        file: path.to_path_buf(),
        message: e.to_string().trim_end().to_string(),
    })?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let key_err = |key: String, expected: String| ValidationError::Key {
        file: path.to_path_buf(),
        position: key_position(text, &key, IndexBase::Zero),
        key,
        expected,
    };
    if raw.runs.is_empty() {
        return Err(key_err(
            "runs".into(),
            "expected at least one run: [runs.<label>] with scenario = \"<file>\"".into(),
        ));
    }
    let mut runs = Vec::new();
    for (label, run) in &raw.runs {
        let sets = run
            .set
            .iter()
            .map(|s| SetOverride::parse(s))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| key_err(format!("runs.{label}.set"), e.to_string()))?;
        let scenario_path = dir.join(&run.scenario);
        let scenario = load_scenario_with(&scenario_path, &sets).map_err(|source| {
            ValidationError::Scenario {
                file: path.to_path_buf(),
                run: label.clone(),
                source: Box::new(source),
            }
        })?;
        runs.push(RunSpec {
            label: label.clone(),
            scenario,
        });
    }
    let run_index = |key: String, label: &str| -> Result<usize, ValidationError> {
        runs.iter().position(|r| r.label == label).ok_or_else(|| {
            key_err(
                key,
                format!(
                    "expected the label of a run ({}), found `{label}`",
                    labels(&runs)
                ),
            )
        })
    };
    let cycles_of = |run: usize| runs[run].scenario.experiment.cycles();
    let check_cycle = |key: String, run: usize, cycle: usize| -> Result<(), ValidationError> {
        let n = cycles_of(run);
        if cycle == 0 || cycle > n {
            return Err(key_err(
                key,
                format!(
                    "expected a cycle of run `{}` (1 to {n}), found {cycle}",
                    runs[run].label
                ),
            ));
        }
        Ok(())
    };

    let mut points = Vec::new();
    for (k, block) in raw.points.iter().enumerate() {
        let file = dir.join(&block.file);
        let mut targets = read_points(&file)?;
        if let Some(only) = &block.only {
            for (j, id) in only.iter().enumerate() {
                if !targets.iter().any(|t| &t.id == id) {
                    return Err(key_err(
                        format!("points[{k}].only[{j}]"),
                        format!(
                            "expected the id of a target of {}, found `{id}`",
                            file.display()
                        ),
                    ));
                }
            }
            targets.retain(|t| only.contains(&t.id));
        }
        for t in &targets {
            if !block.at.contains_key(&t.id) {
                return Err(key_err(
                    format!("points[{k}].at"),
                    format!(
                        "target `{}` of {} (line {}) has no entry: add {} = {{ run = \"<label>\", cycle = <n> }}",
                        t.id,
                        file.display(),
                        t.line,
                        t.id
                    ),
                ));
            }
        }
        for (id, at) in &block.at {
            let key = format!("points[{k}].at.{id}");
            if !targets.iter().any(|t| &t.id == id) {
                return Err(key_err(
                    key,
                    format!(
                        "expected the id of a target of {}, found `{id}`",
                        file.display()
                    ),
                ));
            }
            let run = run_index(format!("{key}.run"), &at.run)?;
            if let Some(c) = at.cycle {
                check_cycle(format!("{key}.cycle"), run, c)?;
            }
            if let Some(c) = at.reference_cycle {
                check_cycle(format!("{key}.reference_cycle"), run, c)?;
            }
            if let Some(element) = &at.impedance {
                let ikey = format!("{key}.impedance");
                check_impedance_element(&runs[run], element, at.cycle)
                    .map_err(|expected| key_err(ikey.clone(), expected))?;
                if let Some(t) = targets.iter().find(|t| &t.id == id && t.unit != "ohm") {
                    return Err(key_err(
                        ikey,
                        format!(
                            "target `{id}` is {} in {}: a fitted resistance compares with a quantity in ohm",
                            t.quantity, t.unit
                        ),
                    ));
                }
            }
            for t in targets.iter().filter(|t| &t.id == id) {
                let needs_cycle = t.quantity != "cationic_capacity_mAh_g";
                let needs_reference = matches!(
                    t.quantity.as_str(),
                    "capacity_retention_percent" | "mean_discharge_voltage_decay_mV"
                );
                if needs_cycle && at.cycle.is_none() {
                    return Err(key_err(
                        key.clone(),
                        format!(
                            "target `{id}` ({}) needs `cycle`: the run's cycle it is",
                            t.quantity
                        ),
                    ));
                }
                if needs_reference && at.reference_cycle.is_none() {
                    return Err(key_err(
                        key.clone(),
                        format!(
                            "target `{id}` ({}) needs `reference_cycle`: the run's cycle it is relative to",
                            t.quantity
                        ),
                    ));
                }
                points.push(PointCheck {
                    file: file.clone(),
                    target: t.clone(),
                    run,
                    cycle: at.cycle,
                    reference_cycle: at.reference_cycle,
                    impedance_element: at.impedance.clone(),
                });
            }
        }
    }
    // Keep the file's order of targets.
    points.sort_by_key(|p| (p.file.clone(), p.target.line));

    let mut cycles = Vec::new();
    for (k, block) in raw.cycles.iter().enumerate() {
        let key = format!("cycles[{k}]");
        let file = dir.join(&block.file);
        let data = read_cycles(&file)?;
        let run = run_index(format!("{key}.run"), &block.run)?;
        if let Some(&last) = data.cycles.last() {
            check_cycle(
                format!("{key}.cycle_offset"),
                run,
                last as usize + block.cycle_offset,
            )?;
        }
        let mut tolerances = Vec::new();
        for column in &data.columns {
            let Some(t) = block.tolerance.get(&column.name) else {
                return Err(key_err(
                    format!("{key}.tolerance"),
                    format!(
                        "column `{}` of {} has no tolerance: add {} = {{ value = <v>, kind = \"percent\" | \"absolute\" }}",
                        column.name,
                        file.display(),
                        column.name
                    ),
                ));
            };
            let tkey = format!("{key}.tolerance.{}", column.name);
            tolerances.push((column.name.clone(), tolerance(t, &tkey, false, &key_err)?));
        }
        for name in block.tolerance.keys() {
            if data.column(name).is_none() {
                let known = per_cycle_quantity(name).is_some();
                return Err(key_err(
                    format!("{key}.tolerance.{name}"),
                    if known {
                        format!("{} has no column `{name}`", file.display())
                    } else {
                        format!("expected a column of {}, found `{name}`", file.display())
                    },
                ));
            }
        }
        cycles.push(CyclesCheck {
            file,
            data,
            run,
            cycle_offset: block.cycle_offset,
            tolerances,
            criterion: criterion(block.criterion.as_deref(), &key, &key_err)?,
        });
    }

    let mut curves = Vec::new();
    for (k, block) in raw.curves.iter().enumerate() {
        let key = format!("curves[{k}]");
        let file = dir.join(&block.file);
        let data = read_curves(&file)?;
        let run = run_index(format!("{key}.run"), &block.run)?;
        for c in data.cycles() {
            check_cycle(
                format!("{key}.cycle_offset"),
                run,
                c as usize + block.cycle_offset,
            )?;
        }
        let step = match block.step.as_deref() {
            None | Some("discharge") => Direction::Discharge,
            Some("charge") => Direction::Charge,
            Some(other) => {
                return Err(key_err(
                    format!("{key}.step"),
                    format!("expected \"charge\" or \"discharge\", found \"{other}\""),
                ))
            }
        };
        if !(block.tolerance_v.is_finite() && block.tolerance_v > 0.0) {
            return Err(key_err(
                format!("{key}.tolerance_V"),
                format!("expected a positive voltage, found {}", block.tolerance_v),
            ));
        }
        if let Some(q) = block
            .tolerance_mah_g
            .filter(|q| !(q.is_finite() && *q > 0.0))
        {
            return Err(key_err(
                format!("{key}.tolerance_mAh_g"),
                format!("expected a positive capacity, found {q}"),
            ));
        }
        curves.push(CurvesCheck {
            file,
            data,
            run,
            cycle_offset: block.cycle_offset,
            step,
            tolerance: Tolerance {
                value: block.tolerance_v,
                kind: ToleranceKind::Absolute,
            },
            capacity_tolerance: block.tolerance_mah_g,
            criterion: criterion(block.criterion.as_deref(), &key, &key_err)?,
        });
    }
    if points.is_empty() && cycles.is_empty() && curves.is_empty() {
        return Err(key_err(
            "points".into(),
            "expected measured data to compare: [[points]], [[cycles]] or [[curves]]".into(),
        ));
    }
    let name = raw.name.unwrap_or_else(|| {
        path.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "validation".into())
    });
    let bands = match &raw.bands {
        Some(file) => {
            let file = dir.join(file);
            let bands = super::bands_file::PredictionBands::load(&file).map_err(|error| {
                ValidationError::BandsFile {
                    file: path.to_path_buf(),
                    position: key_position(text, "bands", IndexBase::Zero),
                    error,
                }
            })?;
            Some(super::bands_file::BandsFile { path: file, bands })
        }
        None => None,
    };
    Ok(ValidationSpec {
        path: path.to_path_buf(),
        name,
        description: raw.description.unwrap_or_default(),
        runs,
        points,
        cycles,
        curves,
        bands,
    })
}

/// Checks that `element` is a resistance of the equivalent circuit of `run`'s `[impedance]`
/// section and that a cycle is given; the expectation otherwise.
fn check_impedance_element(
    run: &RunSpec,
    element: &str,
    cycle: Option<usize>,
) -> Result<(), String> {
    let label = &run.label;
    let Some(text) = run
        .scenario
        .impedance
        .as_ref()
        .and_then(|s| s.circuit.as_deref())
    else {
        return Err(format!(
            "the scenario of run `{label}` has no equivalent circuit to fit: give it an [impedance] section with `circuit = \"…\"`"
        ));
    };
    let circuit = Circuit::parse(text).map_err(|e| format!("run `{label}`: {e}"))?;
    let names = circuit.parameter_names();
    let resistances: Vec<&str> = circuit
        .resistance_parameters()
        .into_iter()
        .map(|j| names[j].as_str())
        .collect();
    if !resistances.contains(&element) {
        return Err(format!(
            "expected a resistance of run `{label}`'s circuit {text} ({}), found `{element}`",
            resistances.join(", ")
        ));
    }
    if cycle.is_none() {
        return Err("a fitted resistance needs `cycle`: the cycle whose spectrum is fitted".into());
    }
    Ok(())
}

fn labels(runs: &[RunSpec]) -> String {
    runs.iter()
        .map(|r| format!("`{}`", r.label))
        .collect::<Vec<_>>()
        .join(", ")
}

fn tolerance(
    raw: &RawTolerance,
    key: &str,
    points_allowed: bool,
    key_err: &dyn Fn(String, String) -> ValidationError,
) -> Result<Tolerance, ValidationError> {
    let kind = match raw.kind.as_str() {
        "percent" => ToleranceKind::Percent,
        "absolute" => ToleranceKind::Absolute,
        "points" if points_allowed => ToleranceKind::Points,
        other => {
            return Err(key_err(
                format!("{key}.kind"),
                format!(
                    "expected \"percent\" or \"absolute\" (per-cycle columns are fractions, not %), found \"{other}\""
                ),
            ))
        }
    };
    if !(raw.value.is_finite() && raw.value > 0.0) {
        return Err(key_err(
            format!("{key}.value"),
            format!("expected a positive tolerance, found {}", raw.value),
        ));
    }
    Ok(Tolerance {
        value: raw.value,
        kind,
    })
}

fn criterion(
    raw: Option<&str>,
    key: &str,
    key_err: &dyn Fn(String, String) -> ValidationError,
) -> Result<Criterion, ValidationError> {
    match raw {
        None | Some("rms") => Ok(Criterion::Rms),
        Some("max") => Ok(Criterion::Max),
        Some(other) => Err(key_err(
            format!("{key}.criterion"),
            format!("expected \"rms\" or \"max\", found \"{other}\""),
        )),
    }
}

/// Half-open ranges of cycles, for messages (`1–10, 12`).
pub(crate) fn describe_cycles(cycles: &[usize]) -> String {
    let mut ranges: Vec<Range<usize>> = Vec::new();
    for &c in cycles {
        match ranges.last_mut() {
            Some(r) if r.end == c => r.end = c + 1,
            _ => ranges.push(c..c + 1),
        }
    }
    ranges
        .iter()
        .map(|r| {
            if r.len() == 1 {
                r.start.to_string()
            } else {
                format!("{}–{}", r.start, r.end - 1)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The paths of validation errors (tables of tables counted from 0) are found by
    /// [`crate::toml_position`].
    fn line_of_key(text: &str, key: &str) -> Option<usize> {
        key_position(text, key, IndexBase::Zero).map(|p| p.line)
    }

    #[test]
    fn keys_are_found_in_headers_inline_tables_and_arrays_of_tables() {
        let text = "[runs.a]\nscenario = \"s.toml\"\n\n[[points]]\nfile = \"t.csv\"\n\n[points.at]\nP1 = { run = \"a\", cycle = 2 }\n\n[[cycles]]\nfile = \"c.csv\"\nrun = \"a\"\n\n[cycles.tolerance]\nx = { value = 1, kind = \"pc\" }\n";
        assert_eq!(line_of_key(text, "runs.a.scenario"), Some(2));
        assert_eq!(line_of_key(text, "points[0].at"), Some(7));
        assert_eq!(line_of_key(text, "points[0].at.P1"), Some(8));
        assert_eq!(line_of_key(text, "points[0].at.P1.run"), Some(8));
        assert_eq!(line_of_key(text, "cycles[0].run"), Some(12));
        assert_eq!(line_of_key(text, "cycles[0].tolerance"), Some(14));
        assert_eq!(line_of_key(text, "cycles[0].tolerance.x.kind"), Some(15));
        // Not written (a default): the line of its table.
        assert_eq!(line_of_key(text, "cycles[0].cycle_offset"), Some(10));
        assert_eq!(line_of_key(text, "curves"), None);
    }
}
