//! The sweep file: parsing (strict, order-preserving), expansion into cases, and the up-front
//! validation of every case (see `docs/sweep.md` for the format).

use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use crate::scenario::{load_scenario_with, Scenario, SetOverride};
use crate::toml_position::{key_position, IndexBase};

use super::SweepError;

/// How the axes of a sweep combine into cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SweepMode {
    /// Every combination of one point of each axis (the first axis varies slowest).
    Grid,
    /// The i-th points of all axes together; all axes must have the same length.
    Zip,
}

impl SweepMode {
    /// `grid` or `zip`, as in the sweep file.
    pub fn as_str(self) -> &'static str {
        match self {
            SweepMode::Grid => "grid",
            SweepMode::Zip => "zip",
        }
    }
}

/// One point of an axis: its label and the `--set` overrides it stands for.
#[derive(Debug, Clone, PartialEq)]
pub struct AxisPoint {
    /// The value as shown in case ids and `sweep.csv` (a string without quotes, other values as
    /// inline TOML), or the name of a named case.
    pub label: String,
    /// The overrides, applied in order.
    pub overrides: Vec<SetOverride>,
}

/// One key of the `[sweep]` table.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// The key: a scenario or parameter path (a list of values), or any name (named cases).
    pub name: String,
    /// Whether the points are named cases (a table) rather than values of the path (a list).
    pub named: bool,
    /// The points, in the file's order.
    pub points: Vec<AxisPoint>,
}

/// One case of a sweep: one point of every axis, and the scenario it gives.
#[derive(Debug, Clone)]
pub struct Case {
    /// Position in the sweep's deterministic order, from 1.
    pub index: usize,
    /// `axis=label` for every axis with more than one point (every axis if none has), joined by
    /// `,` (e.g. `electrolyte=liquid,cell.temperature_K=313.15`).
    pub id: String,
    /// The folder name under `<out>/cases/`: the index, zero-padded, then the id with characters
    /// other than letters, digits and `._+=,-` replaced by `_` (at most 100 bytes of it).
    pub folder: String,
    /// The label of this case's point on each axis, in axis order.
    pub labels: Vec<String>,
    /// Every override of the case, in application order (axis order, then point order).
    pub overrides: Vec<SetOverride>,
    /// The base scenario with the overrides applied, validated.
    pub scenario: Scenario,
    /// The cycle that retention is measured against: the first cycle of the reference block
    /// (see [`Sweep::reference_block`]), from 1.
    pub reference_cycle: usize,
}

/// An expanded, validated sweep.
#[derive(Debug, Clone)]
pub struct Sweep {
    /// The `name` key, or the file stem.
    pub name: String,
    /// The sweep file.
    pub file: PathBuf,
    /// The base scenario file, resolved against the sweep file's folder.
    pub scenario_file: PathBuf,
    /// How the axes combine.
    pub mode: SweepMode,
    /// The axes, in the file's order.
    pub axes: Vec<Axis>,
    /// Cycles, counted from the reference cycle (1 = the reference cycle), at which `sweep.csv`
    /// reports the capacity retention (`outputs.retention_at`; default none).
    pub retention_at: Vec<usize>,
    /// The experiment block (from 1) whose first cycle is the reference of the retention
    /// figures (`outputs.reference_block`); `None`: the scenario's `reference_cycle` (by default
    /// the first cycle of the longest block, the first of equals).
    pub reference_block: Option<usize>,
    /// The cases, in order.
    pub cases: Vec<Case>,
    /// A 16-hex-digit FNV-1a hash of what defines the results: the name, mode, outputs, the base
    /// scenario file's text and every case's id and overrides. Shards merge only when equal.
    pub identity: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSweep {
    name: Option<String>,
    description: Option<String>,
    scenario: String,
    mode: Option<String>,
    outputs: Option<RawOutputs>,
    sweep: Option<RawAxes>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutputs {
    retention_at: Option<Vec<i64>>,
    reference_block: Option<i64>,
}

/// The `[sweep]` table with its keys in the file's order.
#[derive(Debug, Default)]
struct RawAxes(Vec<(String, RawAxis)>);

#[derive(Debug)]
enum RawAxis {
    Values(Vec<toml::Value>),
    Named(Vec<(String, toml::Value)>),
    Other(&'static str),
}

impl<'de> Deserialize<'de> for RawAxes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawAxes;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a table of axes")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawAxes, A::Error> {
                let mut axes = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    axes.push((key, map.next_value::<RawAxis>()?));
                }
                Ok(RawAxes(axes))
            }
        }
        d.deserialize_map(V)
    }
}

impl<'de> Deserialize<'de> for RawAxis {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawAxis;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of values or a table of named cases")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawAxis, A::Error> {
                let mut values = Vec::new();
                while let Some(v) = seq.next_element::<toml::Value>()? {
                    values.push(v);
                }
                Ok(RawAxis::Values(values))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawAxis, A::Error> {
                let mut cases = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    cases.push((key, map.next_value::<toml::Value>()?));
                }
                Ok(RawAxis::Named(cases))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<RawAxis, E> {
                Ok(RawAxis::Other("a boolean"))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<RawAxis, E> {
                Ok(RawAxis::Other("a number"))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<RawAxis, E> {
                Ok(RawAxis::Other("a number"))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<RawAxis, E> {
                Ok(RawAxis::Other("a number"))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<RawAxis, E> {
                Ok(RawAxis::Other("a string"))
            }
        }
        d.deserialize_any(V)
    }
}

/// Reads the sweep file at `path`, expands it into cases and loads every case's scenario. Any
/// error (syntax, unknown key, an axis that is empty, zip axes of unequal length, a case whose
/// scenario does not load) fails the whole sweep before anything is run or written.
pub fn load_sweep(path: &Path) -> Result<Sweep, SweepError> {
    let text = std::fs::read_to_string(path).map_err(|source| SweepError::Read {
        file: path.to_path_buf(),
        source,
    })?;
    let key_error = |key: &str, expected: String| SweepError::Key {
        file: path.to_path_buf(),
        position: key_position(&text, key, IndexBase::One),
        key: key.to_string(),
        expected,
    };
    let raw: RawSweep = toml::from_str(&text).map_err(|e| SweepError::Syntax {
        file: path.to_path_buf(),
        message: e.message().trim().to_string()
            + &e.span()
                .map(|s| {
                    let before = &text[..s.start.min(text.len())];
                    let line = before.matches('\n').count() + 1;
                    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
                    format!(" (line {line}, column {column})")
                })
                .unwrap_or_default(),
    })?;
    // The description is for readers of the file only.
    let _ = raw.description;
    let name = match raw.name {
        Some(n) => n,
        None => path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "sweep".into()),
    };
    let mode = match raw.mode.as_deref() {
        None | Some("grid") => SweepMode::Grid,
        Some("zip") => SweepMode::Zip,
        Some(other) => {
            return Err(key_error(
                "mode",
                format!("expected \"grid\" or \"zip\", found \"{other}\""),
            ))
        }
    };
    let outputs = raw.outputs.unwrap_or(RawOutputs {
        retention_at: None,
        reference_block: None,
    });
    let mut retention_at = Vec::new();
    for (i, &c) in outputs.retention_at.iter().flatten().enumerate() {
        if c < 1 {
            return Err(key_error(
                &format!("outputs.retention_at[{}]", i + 1),
                format!("expected a cycle number of at least 1, found {c}"),
            ));
        }
        retention_at.push(c as usize);
    }
    let reference_block = match outputs.reference_block {
        None => None,
        Some(b) if b >= 1 => Some(b as usize),
        Some(b) => {
            return Err(key_error(
                "outputs.reference_block",
                format!("expected a block number of at least 1, found {b}"),
            ))
        }
    };
    let base_dir = path.parent().unwrap_or_else(|| Path::new(""));
    let scenario_file = base_dir.join(&raw.scenario);
    let scenario_text =
        std::fs::read_to_string(&scenario_file).map_err(|source| SweepError::Read {
            file: scenario_file.clone(),
            source,
        })?;

    let raw_axes = raw.sweep.unwrap_or_default().0;
    if raw_axes.is_empty() {
        return Err(key_error(
            "sweep",
            "the sweep is empty: give at least one axis, e.g. `\"cell.temperature_K\" = [313.15, 333.15]` under [sweep]".into(),
        ));
    }
    let mut axes = Vec::with_capacity(raw_axes.len());
    for (key, raw_axis) in raw_axes {
        axes.push(axis(&key, raw_axis, &key_error)?);
    }
    // The size before the cases are made: a grid of many long axes has more cases than any
    // machine can load.
    let count = match mode {
        SweepMode::Grid => axes.iter().fold(1u64, |n, a| {
            n.saturating_mul(u64::try_from(a.points.len()).unwrap_or(u64::MAX))
        }),
        SweepMode::Zip => axes
            .iter()
            .map(|a| u64::try_from(a.points.len()).unwrap_or(u64::MAX))
            .max()
            .unwrap_or(0),
    };
    crate::range::SWEEP_CASES.check_value(count).map_err(|m| {
        let lengths = axes
            .iter()
            .map(|a| a.points.len().to_string())
            .collect::<Vec<_>>()
            .join(" × ");
        let shown = if count == u64::MAX {
            "more than 18446744073709551615".to_string()
        } else {
            count.to_string()
        };
        key_error(
            "sweep",
            match mode {
                SweepMode::Grid => {
                    format!("the grid has {lengths} = {shown} cases; {m}")
                }
                SweepMode::Zip => format!("the zipped axes have {shown} cases; {m}"),
            },
        )
    })?;
    let combos = combinations(&axes, mode, &key_error)?;

    let width = combos.len().to_string().len().max(3);
    let mut cases = Vec::with_capacity(combos.len());
    for (k, combo) in combos.iter().enumerate() {
        let index = k + 1;
        let points: Vec<&AxisPoint> = combo
            .iter()
            .zip(&axes)
            .map(|(&p, a)| &a.points[p])
            .collect();
        // Axes of one point are the same in every case: they stay out of the id, unless no
        // axis has more than one.
        let varied = axes.iter().any(|a| a.points.len() > 1);
        let id = axes
            .iter()
            .zip(&points)
            .filter(|(a, _)| !varied || a.points.len() > 1)
            .map(|(a, p)| format!("{}={}", a.name, p.label))
            .collect::<Vec<_>>()
            .join(",");
        let overrides: Vec<SetOverride> = points
            .iter()
            .flat_map(|p| p.overrides.iter().cloned())
            .collect();
        let scenario =
            load_scenario_with(&scenario_file, &overrides).map_err(|source| SweepError::Case {
                file: path.to_path_buf(),
                case: id.clone(),
                source: Box::new(source),
            })?;
        let reference_cycle = reference_cycle(&scenario, reference_block).map_err(|expected| {
            key_error(
                "outputs.reference_block",
                format!("case `{id}`: {expected}"),
            )
        })?;
        cases.push(Case {
            index,
            folder: format!("{index:0width$}_{}", sanitise(&id)),
            labels: points.iter().map(|p| p.label.clone()).collect(),
            id,
            overrides,
            scenario,
            reference_cycle,
        });
    }

    let mut hash = Fnv::new();
    for part in [name.as_str(), mode.as_str(), scenario_text.as_str()] {
        hash.add(part);
    }
    hash.add(&format!("{retention_at:?}{reference_block:?}"));
    for case in &cases {
        hash.add(&case.id);
        for o in &case.overrides {
            hash.add(o.arg());
        }
    }
    Ok(Sweep {
        name,
        file: path.to_path_buf(),
        scenario_file,
        mode,
        axes,
        retention_at,
        reference_block,
        cases,
        identity: format!("{:016x}", hash.0),
    })
}

/// The label of a value: a string as it is, anything else as inline TOML.
fn label(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn axis(
    key: &str,
    raw: RawAxis,
    key_error: &dyn Fn(&str, String) -> SweepError,
) -> Result<Axis, SweepError> {
    let at = format!("sweep.\"{key}\"");
    let set = |path: &str, value: toml::Value, at: &str| {
        SetOverride::from_path_value(path, value).map_err(|e| key_error(at, e.to_string()))
    };
    let named = matches!(raw, RawAxis::Named(_));
    let points = match raw {
        RawAxis::Other(found) => {
            return Err(key_error(
                &at,
                format!("expected a list of values or a table of named cases, found {found}"),
            ))
        }
        RawAxis::Values(values) => {
            let mut points = Vec::with_capacity(values.len());
            for value in values {
                points.push(AxisPoint {
                    label: label(&value),
                    overrides: vec![set(key, value, &at)?],
                });
            }
            points
        }
        RawAxis::Named(cases) => {
            let mut points = Vec::with_capacity(cases.len());
            for (case, value) in cases {
                let case_at = format!("{at}.{case}");
                let toml::Value::Table(table) = value else {
                    return Err(key_error(
                        &case_at,
                        format!(
                            "expected a table of overrides for the named case `{case}`, such as {{ parameter_set = \"…\" }}; to sweep the path `{key}.{case}`, quote it: \"{key}.{case}\" = [ … ]"
                        ),
                    ));
                };
                let mut overrides = Vec::with_capacity(table.len());
                for (path, v) in table {
                    // A quoted dotted key (`"negative.x"`) is meant as the dotted path.
                    overrides.push(set(&path, v, &case_at)?);
                }
                points.push(AxisPoint {
                    label: case,
                    overrides,
                });
            }
            points
        }
    };
    if points.is_empty() {
        return Err(key_error(
            &at,
            "expected at least one value or case, found none".into(),
        ));
    }
    Ok(Axis {
        name: key.to_string(),
        named,
        points,
    })
}

/// Indices into each axis's points, one list per case, in the sweep's order.
fn combinations(
    axes: &[Axis],
    mode: SweepMode,
    key_error: &dyn Fn(&str, String) -> SweepError,
) -> Result<Vec<Vec<usize>>, SweepError> {
    match mode {
        SweepMode::Zip => {
            let n = axes[0].points.len();
            if let Some(a) = axes.iter().find(|a| a.points.len() != n) {
                let lengths = axes
                    .iter()
                    .map(|a| format!("`{}` has {}", a.name, a.points.len()))
                    .collect::<Vec<_>>()
                    .join(", ");
                return Err(key_error(
                    &format!("sweep.\"{}\"", a.name),
                    format!("in zip mode every axis needs the same number of points: {lengths}"),
                ));
            }
            Ok((0..n).map(|i| vec![i; axes.len()]).collect())
        }
        SweepMode::Grid => {
            let mut combos: Vec<Vec<usize>> = vec![Vec::new()];
            for a in axes {
                combos = combos
                    .into_iter()
                    .flat_map(|c| {
                        (0..a.points.len()).map(move |i| {
                            let mut c = c.clone();
                            c.push(i);
                            c
                        })
                    })
                    .collect();
            }
            Ok(combos)
        }
    }
}

/// The first cycle (from 1) of the reference block `block` (from 1), or else the scenario's
/// own reference cycle (its `reference_cycle`, by default the first of the longest block).
fn reference_cycle(scenario: &Scenario, block: Option<usize>) -> Result<usize, String> {
    let experiment = &scenario.experiment;
    match block {
        None => Ok(scenario.reference_cycle),
        Some(b) => experiment.block_first_cycle(b).ok_or_else(|| {
            format!(
                "the experiment has {} block(s), found block {b}",
                experiment.blocks.len()
            )
        }),
    }
}

/// The id as a folder name (see [`Case::folder`]).
fn sanitise(id: &str) -> String {
    let mut out = String::new();
    for c in id.chars() {
        let c = if c.is_ascii_alphanumeric() || "._+=,-".contains(c) {
            c
        } else {
            '_'
        };
        if out.len() >= 100 {
            break;
        }
        out.push(c);
    }
    out
}

/// 64-bit FNV-1a, with a separator after each part.
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn add(&mut self, part: &str) {
        for b in part.bytes().chain([0xff]) {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes a base scenario of two blocks (3 and 5 cycles) and a sweep file with `body`.
    fn load(body: &str) -> Result<Sweep, SweepError> {
        let dir = tempfile::tempdir().expect("temporary folder");
        std::fs::write(
            dir.path().join("base.toml"),
            r#"
parameter_set = "solid_halfcell_single_ion"
experiment = [
  { cycles = 3, steps = ["Discharge at 1C until 1.38 V", "Charge at 1C until 3.68 V"] },
  { cycles = 5, steps = ["Discharge at 2C until 1.38 V", "Charge at 2C until 3.68 V"] },
]
"#,
        )
        .expect("write base");
        let file = dir.path().join("s.toml");
        std::fs::write(&file, format!("scenario = \"base.toml\"\n{body}")).expect("write sweep");
        load_sweep(&file)
    }

    fn ids(sweep: &Sweep) -> Vec<&str> {
        sweep.cases.iter().map(|c| c.id.as_str()).collect()
    }

    #[test]
    fn grids_keep_the_file_order_and_vary_the_last_axis_fastest() {
        let sweep = load(
            r#"
[sweep]
"mesh.particle_r_cells" = [6]
electrolyte = { z_liquid = { "cell.temperature_K" = 300.0 }, a_solid = {} }
"cell.temperature_K" = [313.15, 333.15]
"#,
        )
        .expect("sweep");
        assert_eq!(sweep.mode, SweepMode::Grid);
        assert_eq!(
            ids(&sweep),
            [
                "electrolyte=z_liquid,cell.temperature_K=313.15",
                "electrolyte=z_liquid,cell.temperature_K=333.15",
                "electrolyte=a_solid,cell.temperature_K=313.15",
                "electrolyte=a_solid,cell.temperature_K=333.15",
            ]
        );
        let case = &sweep.cases[1];
        assert_eq!(case.index, 2);
        assert_eq!(case.labels, ["6", "z_liquid", "333.15"]);
        // Later overrides win: the temperature axis comes after the named case.
        assert_eq!(case.scenario.parameters.temperature_k, 333.15);
        assert_eq!(case.scenario.mesh.particle_r_cells, 6);
        assert_eq!(
            case.folder,
            "002_electrolyte=z_liquid,cell.temperature_K=333.15"
        );
        // The longest block starts at cycle 4.
        assert_eq!(case.reference_cycle, 4);
        assert!(sweep.axes[1].named && !sweep.axes[2].named);
    }

    #[test]
    fn zip_pairs_the_points_and_the_identity_follows_the_content() {
        let body = "mode = \"zip\"\noutputs = { retention_at = [2, 5], reference_block = 1 }\n[sweep]\n\"cell.temperature_K\" = [313.15, 333.15]\n\"mesh.particle_r_cells\" = [5, 7]\n";
        let a = load(body).expect("sweep");
        assert_eq!(
            ids(&a),
            [
                "cell.temperature_K=313.15,mesh.particle_r_cells=5",
                "cell.temperature_K=333.15,mesh.particle_r_cells=7"
            ]
        );
        assert_eq!(a.retention_at, [2, 5]);
        assert_eq!(a.cases[0].reference_cycle, 1);
        assert_eq!(a.identity, load(body).expect("sweep").identity);
        let b = load(&body.replace("[5, 7]", "[5, 8]")).expect("sweep");
        assert_ne!(a.identity, b.identity);
        assert_eq!(a.identity.len(), 16);
    }

    #[test]
    fn bad_values_name_their_key() {
        for (body, part) in [
            (
                "outputs.retention_at = [0]\n[sweep]\n\"mesh.particle_r_cells\" = [5]\n",
                "key `outputs.retention_at[1]`",
            ),
            (
                "outputs.reference_block = 3\n[sweep]\n\"mesh.particle_r_cells\" = [5]\n",
                "has 2 block(s), found block 3",
            ),
            ("[sweep]\n\"mesh.particle_r_cells\" = 5\n", "found a number"),
            (
                "[sweep]\nx = { a = { \"mesh.particle_r_cells\" = 5 }, b = 3 }\n",
                "key `sweep.\"x\".b`",
            ),
            ("[sweep]\n\"mesh..x\" = [5]\n", "expected a key path"),
            (
                "[sweep]\n\"mesh.particle_r_cells\" = [0]\n",
                "case `mesh.particle_r_cells=0`",
            ),
        ] {
            let e = load(body).expect_err(body).to_string();
            assert!(e.contains(part), "{body}: {e}");
        }
    }

    #[test]
    fn a_grid_too_large_is_rejected_before_its_cases_are_made() {
        let values = (0..300)
            .map(|k| format!("{}", 300.0 + k as f64 * 0.1))
            .collect::<Vec<_>>()
            .join(", ");
        let body = (0..5)
            .map(|k| {
                let key = [
                    "cell.temperature_K",
                    "positive.thickness_m",
                    "positive.particle_radius_m",
                    "separator.thickness_m",
                    "cell.area_m2",
                ][k];
                format!("\"{key}\" = [{values}]\n")
            })
            .collect::<String>();
        let e = load(&format!("[sweep]\n{body}")).unwrap_err().to_string();
        assert!(
            e.contains("300 × 300 × 300 × 300 × 300 = 2430000000000 cases")
                && e.contains("accepted range 1 to 1e5 cases"),
            "{e}"
        );
    }

    #[test]
    fn folder_names_are_sanitised_and_bounded() {
        assert_eq!(sanitise("a b/c=\"d\",e"), "a_b_c=_d_,e");
        assert_eq!(sanitise(&"x".repeat(300)).len(), 100);
    }
}
