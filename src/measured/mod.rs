//! Measured results as data: target points, dense per-cycle data and voltage curves read from
//! CSV files with provenance, and cycler exports imported into the per-cycle schema through a
//! column-mapping TOML. The schemas are documented in `docs/measured_data.md`.
//!
//! - [`points`]: target points (`validation/wu2022_targets.csv`), one quantity per row with its
//!   unit, tolerance and provenance;
//! - [`cycles`]: dense per-cycle data with the column names and units of the simulator's
//!   `summary.csv`, so that measured and simulated cycles compare column by column;
//! - [`curves`]: voltage curves (`cycle, capacity_mAh_g, voltage_V`, optional `step`);
//! - [`import`]: a cycler export (columns named as the cycler names them) to per-cycle data
//!   through a column mapping;
//! - [`builtin`]: a cycler export in a known format ([`formats`]: Neware, Arbin, Maccor, EC-Lab,
//!   BDF), detected from the file, to per-cycle data and voltage curves without a mapping, by
//!   way of its time series ([`series`]); the file is found by [`export`] (text in any common
//!   encoding, [`decode`], or a spreadsheet, [`xlsx`]), times read by [`timestamp`].
//!
//! Every error names the file, and where there is one the 1-based line of the file and the
//! column ([`MeasuredError`]).

pub mod builtin;
pub mod curves;
pub mod cycles;
pub mod decode;
pub mod export;
pub mod formats;
pub mod import;
pub mod points;
pub mod series;
pub mod timestamp;
pub mod xlsx;

mod csv;

use std::fmt;
use std::path::{Path, PathBuf};

pub use builtin::{import_builtin, BuiltinImport};
pub use curves::{read_curves, CurvePoint, Direction, MeasuredCurves};
pub use cycles::{read_cycles, MeasuredCycles};
pub use formats::Format;
pub use import::{
    import_export, load_mapping, write_atomically, write_curves_atomically,
    write_cycles_atomically, ColumnMap, Mapping,
};
pub use points::{read_points, TargetPoint, ToleranceKind};

/// What kind of problem a [`MeasuredError::Invalid`] is, for callers (and tests) that act on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// The file has no header row, or no data rows.
    Empty,
    /// A required column is missing from the header row.
    MissingColumn,
    /// A column of the header row is not part of the schema.
    UnknownColumn,
    /// A column name appears twice in the header row.
    DuplicateColumn,
    /// A row has more or fewer fields than the header row.
    FieldCount,
    /// A field is empty where a value is required, not a number, or not finite (NaN, inf).
    Value,
    /// A unit does not match the quantity (or a value is in the wrong unit, e.g. % for a
    /// fraction).
    Unit,
    /// Cycle numbers are not in order.
    CycleOrder,
    /// A provenance entry (source, figure_or_table, conditions) is missing or empty.
    Provenance,
    /// The column-mapping file is not valid.
    Mapping,
    /// The export is not of the format given (`--format`), or of no known format.
    Format,
    /// A per-gram value is asked for without a (valid) active-material mass.
    Mass,
}

/// Why a measured-data file (or a mapping, or an export) cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum MeasuredError {
    /// The file cannot be read or written.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error of the system.
        source: std::io::Error,
    },
    /// The content is not valid.
    #[error("{}{}: {message}", .path.display(), Location(*.line, .column.as_deref()))]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The 1-based line of the file, when the problem has one.
        line: Option<usize>,
        /// The column's name, when the problem has one.
        column: Option<String>,
        /// What kind of problem it is.
        problem: Problem,
        /// What is wrong and what was expected.
        message: String,
    },
}

impl MeasuredError {
    /// The kind of problem; `None` for an I/O error.
    pub fn problem(&self) -> Option<Problem> {
        match self {
            MeasuredError::Io { .. } => None,
            MeasuredError::Invalid { problem, .. } => Some(*problem),
        }
    }

    /// The 1-based line of the file the problem is on, if it has one.
    pub fn line(&self) -> Option<usize> {
        match self {
            MeasuredError::Io { .. } => None,
            MeasuredError::Invalid { line, .. } => *line,
        }
    }

    /// The column the problem is in, if it has one.
    pub fn column(&self) -> Option<&str> {
        match self {
            MeasuredError::Io { .. } => None,
            MeasuredError::Invalid { column, .. } => column.as_deref(),
        }
    }
}

/// `, line N, column `c`` (each part only when known).
struct Location<'a>(Option<usize>, Option<&'a str>);

impl fmt::Display for Location<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(line) = self.0 {
            write!(f, ", line {line}")?;
        }
        if let Some(column) = self.1 {
            write!(f, ", column `{column}`")?;
        }
        Ok(())
    }
}

/// Builds a [`MeasuredError::Invalid`].
pub(crate) fn invalid(
    path: &Path,
    line: Option<usize>,
    column: Option<&str>,
    problem: Problem,
    message: impl Into<String>,
) -> MeasuredError {
    MeasuredError::Invalid {
        path: path.to_path_buf(),
        line,
        column: column.map(str::to_string),
        problem,
        message: message.into(),
    }
}

/// Where a measured result comes from. All three named entries are required and non-empty;
/// further `key: value` entries are kept in `extra`, in file order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Provenance {
    /// The publication or data set (authors, journal, year, DOI; or the lab and cell id).
    pub source: String,
    /// The figure or table of the source (or, for raw data, what the file is, e.g.
    /// `cycler export`).
    pub figure_or_table: String,
    /// The conditions of the measurement (temperature, voltage window, rate, …).
    pub conditions: String,
    /// Other entries (`key`, `value`), in the order given.
    pub extra: Vec<(String, String)>,
}

/// The provenance keys every measured file must give.
pub const PROVENANCE_KEYS: [&str; 3] = ["source", "figure_or_table", "conditions"];

impl Provenance {
    /// Builds a provenance from `key: value` entries; `Err(key)` names the first required key
    /// that is missing or empty.
    pub(crate) fn from_entries(entries: &[(String, String)]) -> Result<Provenance, &'static str> {
        let get = |key: &'static str| -> Result<String, &'static str> {
            entries
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .ok_or(key)
        };
        Ok(Provenance {
            source: get("source")?,
            figure_or_table: get("figure_or_table")?,
            conditions: get("conditions")?,
            extra: entries
                .iter()
                .filter(|(k, _)| !PROVENANCE_KEYS.contains(&k.as_str()))
                .cloned()
                .collect(),
        })
    }

    /// The provenance as `# key: value` comment lines (the required keys first), each ending
    /// in a newline. Line breaks inside values are replaced by spaces.
    pub fn to_comment_lines(&self) -> String {
        let mut out = String::new();
        let required = [
            ("source", &self.source),
            ("figure_or_table", &self.figure_or_table),
            ("conditions", &self.conditions),
        ];
        for (key, value) in required
            .into_iter()
            .chain(self.extra.iter().map(|(k, v)| (k.as_str(), v)))
        {
            let value = value.replace(['\n', '\r'], " ");
            out.push_str(&format!("# {key}: {}\n", value.trim()));
        }
        out
    }
}

/// A quantity a measured file may hold, with its unit as written in a points file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quantity {
    /// The name: a `summary.csv` column, or a derived figure of a target.
    pub name: &'static str,
    /// The unit as written in the `unit` column of a points file (`-` for a fraction).
    pub unit: &'static str,
    /// Whether it is a per-cycle column of `summary.csv` (and so of the per-cycle schema).
    pub per_cycle: bool,
}

const fn q(name: &'static str, unit: &'static str, per_cycle: bool) -> Quantity {
    Quantity {
        name,
        unit,
        per_cycle,
    }
}

/// Defines [`QUANTITIES`] and [`SUMMARY_HEADER`] from one list, so that the columns of
/// `summary.csv` and the per-cycle quantities of measured data cannot drift apart.
macro_rules! quantity_table {
    (per_cycle: [$(($name:literal, $unit:literal)),* $(,)?], derived: [$(($dname:literal, $dunit:literal)),* $(,)?] $(,)?) => {
        /// Every known quantity: the columns of the simulator's `summary.csv` after `cycle`
        /// (same names and units), then figures derived from them that targets quote.
        pub const QUANTITIES: &[Quantity] = &[$(q($name, $unit, true),)* $(q($dname, $dunit, false),)*];

        /// The header row of `summary.csv`: `cycle`, then every per-cycle quantity of
        /// [`QUANTITIES`], in order (`crate::output::summary_csv` writes the values).
        pub const SUMMARY_HEADER: &str = concat!("cycle" $(, ",", $name)*);
    };
}

quantity_table! {
    per_cycle: [
        ("charge_capacity_mAh_g", "mAh/g"),
        ("discharge_capacity_mAh_g", "mAh/g"),
        ("coulombic_efficiency", "-"),
        ("mean_charge_voltage_V", "V"),
        ("mean_discharge_voltage_V", "V"),
        ("discharge_energy_Wh_kg", "Wh/kg"),
        ("capacity_retention", "-"),
        ("charge_capacity_Ah", "Ah"),
        ("discharge_capacity_Ah", "Ah"),
        ("charge_energy_Wh", "Wh"),
        ("discharge_energy_Wh", "Wh"),
        ("end_time_s", "s"),
        ("interphase_thickness_nm", "nm"),
        ("interface_resistance_ohm", "ohm"),
        ("anionic_capacity_mAh_g", "mAh/g"),
        ("latent_anionic_capacity_mAh_g", "mAh/g"),
        ("oxygen_loss_mAh_g", "mAh/g"),
        ("voltage_fade_V", "V"),
        ("crack_area_ratio", "-"),
        ("side_reaction_charge_mAh_g", "mAh/g"),
        ("anionic_capacity_Ah", "Ah"),
        ("latent_anionic_capacity_Ah", "Ah"),
        ("oxygen_loss_Ah", "Ah"),
        ("side_reaction_charge_Ah", "Ah"),
        ("active_material_fraction", "-"),
        ("isolated_lithium_mAh_g", "mAh/g"),
        ("isolated_lithium_Ah", "Ah"),
        ("migrated_fraction", "-"),
        ("densified_fraction", "-"),
    ],
    // Derived figures quoted by targets.
    derived: [
        ("coulombic_efficiency_percent", "%"),
        ("capacity_retention_percent", "%"),
        ("mean_discharge_voltage_decay_mV", "mV"),
        ("cationic_capacity_mAh_g", "mAh/g"),
    ],
}

/// The known quantity called `name`.
pub fn quantity(name: &str) -> Option<&'static Quantity> {
    QUANTITIES.iter().find(|q| q.name == name)
}

/// The per-cycle quantity called `name` (a `summary.csv` column other than `cycle`).
pub fn per_cycle_quantity(name: &str) -> Option<&'static Quantity> {
    quantity(name).filter(|q| q.per_cycle)
}

/// Unit suffixes of quantity names, longest first.
const UNIT_SUFFIXES: [&str; 8] = ["_mAh_g", "_Wh_kg", "_ohm", "_Ah", "_Wh", "_nm", "_V", "_s"];

/// The per-cycle quantities that `name` (not itself one) seems to be in another unit: those
/// whose name without its unit suffix is `name`, or `name` up to an `_`. For example
/// `discharge_capacity_Ah_g` gives `discharge_capacity_mAh_g` and `discharge_capacity_Ah`,
/// `coulombic_efficiency_percent` gives `coulombic_efficiency`.
pub(crate) fn same_quantity_other_unit(name: &str) -> Vec<&'static Quantity> {
    if per_cycle_quantity(name).is_some() {
        return Vec::new();
    }
    QUANTITIES
        .iter()
        .filter(|q| q.per_cycle)
        .filter(|q| {
            let base = UNIT_SUFFIXES
                .iter()
                .find_map(|s| q.name.strip_suffix(s))
                .unwrap_or(q.name);
            name == base
                || name
                    .strip_prefix(base)
                    .is_some_and(|rest| rest.starts_with('_'))
        })
        .collect()
}

/// The message for a column `name` that is not a per-cycle quantity, with the problem: a
/// [`Problem::Unit`] when it looks like a per-cycle quantity in another unit, else
/// [`Problem::UnknownColumn`].
pub(crate) fn unknown_per_cycle_column(name: &str) -> (Problem, String) {
    let similar = same_quantity_other_unit(name);
    if similar.is_empty() {
        let list: Vec<&str> = QUANTITIES
            .iter()
            .filter(|q| q.per_cycle)
            .map(|q| q.name)
            .collect();
        return (
            Problem::UnknownColumn,
            format!(
                "not a column of the per-cycle schema; the columns are `cycle`, the quantities of summary.csv ({}) and the provenance columns ({})",
                list.join(", "),
                PROVENANCE_KEYS.join(", ")
            ),
        );
    }
    let names: Vec<String> = similar
        .iter()
        .map(|q| {
            let unit = if q.unit == "-" { "a fraction" } else { q.unit };
            format!("`{}` ({unit})", q.name)
        })
        .collect();
    (
        Problem::Unit,
        format!(
            "not a column of the per-cycle schema: the quantity is taken in the units of summary.csv, as {}; convert the values (asslb import can scale them)",
            names.join(" or ")
        ),
    )
}

/// Fractions of the per-cycle schema that a percentage would be mistaken for; a value above
/// [`FRACTION_LIMIT`] in one of them is reported as a unit error.
pub(crate) const FRACTION_COLUMNS: [&str; 2] = ["coulombic_efficiency", "capacity_retention"];

/// The largest value accepted in a fraction column of [`FRACTION_COLUMNS`] \[-\].
pub(crate) const FRACTION_LIMIT: f64 = 2.0;

/// Reads `path` to a string, mapping the error.
pub(crate) fn read_text(path: &Path) -> Result<String, MeasuredError> {
    std::fs::read_to_string(path).map_err(|source| MeasuredError::Io {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_file_line_and_column() {
        let e = invalid(
            Path::new("a.csv"),
            Some(3),
            Some("x"),
            Problem::Value,
            "bad",
        );
        assert_eq!(e.to_string(), "a.csv, line 3, column `x`: bad");
        let e = invalid(Path::new("a.csv"), None, None, Problem::Empty, "empty");
        assert_eq!(e.to_string(), "a.csv: empty");
    }

    #[test]
    fn columns_in_other_units_are_recognised() {
        let names =
            |n: &str| -> Vec<&str> { same_quantity_other_unit(n).iter().map(|q| q.name).collect() };
        assert_eq!(
            names("discharge_capacity_Ah_g"),
            ["discharge_capacity_mAh_g", "discharge_capacity_Ah"]
        );
        assert_eq!(
            names("coulombic_efficiency_percent"),
            ["coulombic_efficiency"]
        );
        assert_eq!(
            names("mean_discharge_voltage_mV"),
            ["mean_discharge_voltage_V"]
        );
        assert_eq!(
            names("interface_resistance_mohm"),
            ["interface_resistance_ohm"]
        );
        assert!(names("discharge_capacity_mAh_g").is_empty());
        assert!(names("capacity").is_empty());
        assert_eq!(
            unknown_per_cycle_column("capacity").0,
            Problem::UnknownColumn
        );
        let (problem, message) = unknown_per_cycle_column("coulombic_efficiency_percent");
        assert_eq!(problem, Problem::Unit);
        assert!(
            message.contains("`coulombic_efficiency` (a fraction)"),
            "{message}"
        );
    }

    #[test]
    fn provenance_needs_its_three_keys() {
        let entries = |v: &[(&str, &str)]| -> Vec<(String, String)> {
            v.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let p = Provenance::from_entries(&entries(&[
            ("source", "s"),
            ("cell", "A1"),
            ("figure_or_table", "Fig. 1"),
            ("conditions", "25 °C"),
        ]))
        .unwrap();
        assert_eq!(p.extra, entries(&[("cell", "A1")]));
        assert_eq!(
            p.to_comment_lines(),
            "# source: s\n# figure_or_table: Fig. 1\n# conditions: 25 °C\n# cell: A1\n"
        );
        let e = Provenance::from_entries(&entries(&[("source", "s"), ("conditions", "c")]));
        assert_eq!(e, Err("figure_or_table"));
        let e = Provenance::from_entries(&entries(&[
            ("source", " "),
            ("figure_or_table", "f"),
            ("conditions", "c"),
        ]));
        assert_eq!(e, Err("source"));
    }
}
