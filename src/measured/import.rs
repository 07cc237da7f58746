//! Import of a cycler export (a delimited text file in any common encoding, [`super::decode`],
//! or a spreadsheet whose header row holds the mapped cycle column, [`super::xlsx`], with
//! columns named as the tester names them) into per-cycle data ([`super::cycles`]) through a
//! column-mapping TOML file. Exports in a known format need no mapping ([`super::builtin`]).
//!
//! ```toml
//! format = "arbin"            # informational
//! delimiter = ","             # one ASCII character; "\t" for tab [default ","]
//! skip_lines = 0              # lines before the header row to ignore [default 0]
//! decimal_comma = false       # numbers written as 1,5 [default false]
//! active_mass_g = 0.0042      # active-material mass [g], for per_gram (or --active-mass-g)
//! [columns]
//! cycle = "Cycle_Index"
//! discharge_capacity_mAh_g = { column = "Discharge_Capacity(Ah)", scale = 1000.0, per_gram = true, aggregate = "max" }
//! [provenance]
//! source = "…"
//! figure_or_table = "cycler export"
//! conditions = "…"
//! ```
//!
//! Each entry of `[columns]` maps a column of the per-cycle schema (`cycle` is required) to a
//! column of the export, by name alone or as a table: `column` (the export's name), `scale`
//! and `offset` (value = raw · scale + offset) \[default 1, 0\], `per_gram` (then divided by the
//! active-material mass in g) \[default false\] and `aggregate` (`max`, `min`, `first`, `last`
//! or `mean`: how the rows of one cycle combine, for exports with one row per data point). A
//! column without `aggregate` must have one row per cycle. Empty fields of the export are
//! skipped when aggregating; a cycle with none gets an empty field. `end_time_s` may be read
//! from seconds, durations (`HH:MM:SS`, …) or date-times (seconds from the column's first),
//! as [`super::timestamp`] reads them. A mapping that reads the charge and the discharge
//! capacity from one column is an error: only the built-in formats split such a column.

use std::path::{Path, PathBuf};

use super::csv::{self, Row, Table};
use super::curves::MeasuredCurves;
use super::cycles::{CycleColumn, MeasuredCycles};
use super::decode::read_decoded;
use super::export::{sheet_table, HEADER_SEARCH_LINES};
use super::timestamp::{parse_time, Time, TIME_FORMS};
use super::xlsx::{is_spreadsheet, read_sheets};
use super::{
    invalid, per_cycle_quantity, read_text, unknown_per_cycle_column, MeasuredError, Problem,
    Provenance, FRACTION_COLUMNS, FRACTION_LIMIT, QUANTITIES,
};
use crate::csv_table::is_key;
use crate::toml_position::{key_position, IndexBase};

/// How the rows of one cycle combine into its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregate {
    /// The largest value (cumulative capacities that restart each cycle).
    Max,
    /// The smallest value.
    Min,
    /// The value of the first row with one.
    First,
    /// The value of the last row with one.
    Last,
    /// The arithmetic mean of the rows with a value.
    Mean,
}

impl Aggregate {
    fn parse(text: &str) -> Option<Aggregate> {
        match text {
            "max" => Some(Aggregate::Max),
            "min" => Some(Aggregate::Min),
            "first" => Some(Aggregate::First),
            "last" => Some(Aggregate::Last),
            "mean" => Some(Aggregate::Mean),
            _ => None,
        }
    }

    fn apply(self, values: &[f64]) -> Option<f64> {
        let (&first, &last) = (values.first()?, values.last()?);
        Some(match self {
            Aggregate::Max => values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            Aggregate::Min => values.iter().copied().fold(f64::INFINITY, f64::min),
            Aggregate::First => first,
            Aggregate::Last => last,
            Aggregate::Mean => values.iter().sum::<f64>() / values.len() as f64,
        })
    }
}

/// How one column of the per-cycle schema is read from the export.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnMap {
    /// The per-cycle column (`cycle` or a per-cycle quantity).
    pub target: String,
    /// The column of the export, as the tester names it.
    pub column: String,
    /// Factor applied to the raw value (for example 1000 for A·h → mA·h).
    pub scale: f64,
    /// Added after scaling (for example 1 for cycle numbers counted from 0).
    pub offset: f64,
    /// Divide by the active-material mass \[g\] after scaling.
    pub per_gram: bool,
    /// How the rows of one cycle combine; `None`: one row per cycle is required.
    pub aggregate: Option<Aggregate>,
}

impl ColumnMap {
    fn convert(&self, raw: f64, mass_g: Option<f64>) -> f64 {
        let v = raw * self.scale + self.offset;
        match (self.per_gram, mass_g) {
            (true, Some(m)) => v / m,
            _ => v,
        }
    }
}

/// A column-mapping file, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapping {
    /// The mapping file, for error messages.
    pub path: PathBuf,
    /// The export format's name (informational).
    pub format: Option<String>,
    /// The field delimiter of the export.
    pub delimiter: char,
    /// Lines before the header row to ignore.
    pub skip_lines: usize,
    /// Whether numbers use a decimal comma.
    pub decimal_comma: bool,
    /// Active-material mass \[g\], for `per_gram` columns.
    pub active_mass_g: Option<f64>,
    /// The mapping of `cycle`.
    pub cycle: ColumnMap,
    /// The mappings of the quantity columns, in the order of the per-cycle schema.
    pub columns: Vec<ColumnMap>,
    /// The `[provenance]` entries, in file order (the three required keys are present).
    pub provenance: Vec<(String, String)>,
}

impl Mapping {
    /// The provenance of data imported from `export` with this mapping: its `[provenance]`,
    /// then `imported_from`, `mapping` and (when given) `active_mass_g` \[g\].
    pub fn provenance_for(
        &self,
        export: &Path,
        mass_g: Option<f64>,
    ) -> Result<Provenance, MeasuredError> {
        let mut entries = self.provenance.clone();
        let name = |p: &Path| {
            p.file_name().map_or_else(
                || p.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            )
        };
        entries.push(("imported_from".into(), name(export)));
        entries.push(("mapping".into(), name(&self.path)));
        if let Some(m) = mass_g {
            entries.push(("active_mass_g".into(), m.to_string()));
        }
        Provenance::from_entries(&entries).map_err(|key| {
            mapping_error(&self.path, None, format!("`provenance.{key}` is missing"))
        })
    }
}

fn mapping_error(path: &Path, line: Option<usize>, message: impl Into<String>) -> MeasuredError {
    invalid(path, line, None, Problem::Mapping, message)
}

/// Reads a column-mapping file.
pub fn load_mapping(path: &Path) -> Result<Mapping, MeasuredError> {
    parse_mapping(&read_text(path)?, path)
}

/// A finite number from a TOML integer or float.
fn number(value: &toml::Value) -> Option<f64> {
    match value {
        toml::Value::Integer(i) => Some(*i as f64),
        toml::Value::Float(f) if f.is_finite() => Some(*f),
        _ => None,
    }
}

/// Parses the content of a column-mapping file; `path` is used in error messages.
pub fn parse_mapping(text: &str, path: &Path) -> Result<Mapping, MeasuredError> {
    let root: toml::Table = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        mapping_error(path, line, format!("not valid TOML: {}", e.message()))
    })?;
    // Every message about a key starts with the key in backticks: the error gets its line.
    let err = |message: String| {
        let key = message
            .strip_prefix('`')
            .and_then(|rest| rest.split_once('`'))
            .map(|(key, _)| key);
        let line = key
            .and_then(|key| key_position(text, key, IndexBase::Zero))
            .map(|p| p.line);
        mapping_error(path, line, message)
    };
    let mut format = None;
    let mut delimiter = ',';
    let mut skip_lines = 0;
    let mut decimal_comma = false;
    let mut active_mass_g = None;
    let mut columns_table = None;
    let mut provenance_table = None;
    for (key, value) in &root {
        match key.as_str() {
            "format" => {
                format = Some(
                    value
                        .as_str()
                        .ok_or_else(|| err("`format` must be a string".into()))?
                        .to_string(),
                )
            }
            "delimiter" => {
                let text = value
                    .as_str()
                    .ok_or_else(|| err("`delimiter` must be a string".into()))?;
                let mut chars = text.chars();
                delimiter = match (chars.next(), chars.next()) {
                    (Some(c), None) if c.is_ascii() && c != '"' && c != '\n' && c != '\r' => c,
                    _ => {
                        return Err(err(format!(
                            "`delimiter` must be one ASCII character other than a quote or line break (\"\\t\" for tab), found {text:?}"
                        )))
                    }
                };
            }
            "skip_lines" => {
                skip_lines = value
                    .as_integer()
                    .and_then(|n| usize::try_from(n).ok())
                    .ok_or_else(|| err("`skip_lines` must be a whole number ≥ 0".into()))?
            }
            "decimal_comma" => {
                decimal_comma = value
                    .as_bool()
                    .ok_or_else(|| err("`decimal_comma` must be true or false".into()))?
            }
            "active_mass_g" => {
                let m = number(value).filter(|m| *m > 0.0).ok_or_else(|| {
                    err(format!(
                        "`active_mass_g` must be a positive number of grams, found {value}"
                    ))
                })?;
                active_mass_g = Some(m);
            }
            "columns" => {
                columns_table = Some(
                    value
                        .as_table()
                        .ok_or_else(|| err("`columns` must be a table".into()))?,
                )
            }
            "provenance" => {
                provenance_table = Some(
                    value
                        .as_table()
                        .ok_or_else(|| err("`provenance` must be a table".into()))?,
                )
            }
            other => {
                return Err(err(format!(
                    "unknown key `{other}`; the keys are format, delimiter, skip_lines, decimal_comma, active_mass_g, [columns] and [provenance]"
                )))
            }
        }
    }
    if decimal_comma && delimiter == ',' {
        return Err(err(
            "`decimal_comma = true` needs a delimiter other than `,`".into(),
        ));
    }
    let columns_table =
        columns_table.ok_or_else(|| err("the `[columns]` table is missing".into()))?;
    let mut cycle = None;
    let mut columns = Vec::new();
    for (target, value) in columns_table {
        let map = column_map(target, value).map_err(|m| err(format!("`columns.{target}`: {m}")))?;
        if target == "cycle" {
            if map.per_gram || map.aggregate.is_some() {
                return Err(err(
                    "`columns.cycle`: `per_gram` and `aggregate` do not apply to the cycle number"
                        .into(),
                ));
            }
            cycle = Some(map);
        } else if per_cycle_quantity(target).is_none() {
            let (_, message) = unknown_per_cycle_column(target);
            return Err(err(format!("`columns.{target}`: {message}")));
        } else {
            columns.push(map);
        }
    }
    let cycle = cycle.ok_or_else(|| {
        err(
            "`columns.cycle` is missing: say which column of the export holds the cycle number"
                .into(),
        )
    })?;
    if columns.is_empty() {
        return Err(err(
            "`[columns]` maps no quantity besides `cycle` (for example discharge_capacity_mAh_g)"
                .into(),
        ));
    }
    let position = |name: &str| QUANTITIES.iter().position(|q| q.name == name);
    columns.sort_by_key(|c| position(&c.target));
    let mut provenance = Vec::new();
    for (key, value) in provenance_table.into_iter().flatten() {
        if !is_key(key) {
            return Err(err(format!(
                "`provenance.\"{key}\"`: a provenance key is a letter or `_` followed by letters, digits and `_` (it becomes a `# {key}: …` line)"
            )));
        }
        let v = value
            .as_str()
            .ok_or_else(|| err(format!("`provenance.{key}` must be a string")))?;
        provenance.push((key.clone(), v.to_string()));
    }
    Provenance::from_entries(&provenance).map_err(|key| {
        err(format!(
            "`provenance.{key}` is missing or empty; [provenance] needs source, figure_or_table and conditions"
        ))
    })?;
    Ok(Mapping {
        path: path.to_path_buf(),
        format,
        delimiter,
        skip_lines,
        decimal_comma,
        active_mass_g,
        cycle,
        columns,
        provenance,
    })
}

/// One `[columns]` entry; `Err` says what is wrong.
fn column_map(target: &str, value: &toml::Value) -> Result<ColumnMap, String> {
    let mut map = ColumnMap {
        target: target.to_string(),
        column: String::new(),
        scale: 1.0,
        offset: 0.0,
        per_gram: false,
        aggregate: None,
    };
    match value {
        toml::Value::String(s) => map.column = s.clone(),
        toml::Value::Table(t) => {
            for (key, v) in t {
                match key.as_str() {
                    "column" => {
                        map.column = v
                            .as_str()
                            .ok_or("`column` must be a string (the export's column name)")?
                            .to_string()
                    }
                    "scale" => {
                        map.scale = number(v)
                            .filter(|s| *s != 0.0)
                            .ok_or("`scale` must be a finite number other than 0")?
                    }
                    "offset" => map.offset = number(v).ok_or("`offset` must be a finite number")?,
                    "per_gram" => map.per_gram = v.as_bool().ok_or("`per_gram` must be true or false")?,
                    "aggregate" => {
                        map.aggregate = Some(v.as_str().and_then(Aggregate::parse).ok_or(
                            "`aggregate` must be \"max\", \"min\", \"first\", \"last\" or \"mean\"",
                        )?)
                    }
                    other => {
                        return Err(format!(
                            "unknown key `{other}`; the keys are column, scale, offset, per_gram and aggregate"
                        ))
                    }
                }
            }
        }
        _ => {
            return Err(
                "expected the export's column name, or a table with `column = \"…\"`".into(),
            )
        }
    }
    if map.column.trim().is_empty() {
        return Err("the export's column name (`column`) is missing or empty".into());
    }
    Ok(map)
}

/// The index of the export column of `map`, or an error naming both files.
fn export_column(
    table: &Table,
    mapping: &Mapping,
    map: &ColumnMap,
) -> Result<usize, MeasuredError> {
    table.column(&map.column).ok_or_else(|| {
        invalid(
            &table.path,
            Some(table.header_line),
            Some(&map.column),
            Problem::MissingColumn,
            format!(
                "{} maps `{}` to this column, but the export has no such column; its header row has {}",
                mapping.path.display(),
                map.target,
                table.header.join(", ")
            ),
        )
    })
}

/// The data table of the export: a text file in any common encoding ([`super::decode`]) split
/// with the mapping's delimiter and preamble, or the first sheet of a spreadsheet
/// ([`super::xlsx`]) with a row that holds every column the mapping reads (the header row).
fn export_table(export: &Path, mapping: &Mapping) -> Result<Table, MeasuredError> {
    if !is_spreadsheet(export) {
        let (text, _) = read_decoded(export)?;
        return csv::parse(&text, export, mapping.delimiter, mapping.skip_lines);
    }
    let mut wanted: Vec<&str> = std::iter::once(&mapping.cycle)
        .chain(&mapping.columns)
        .map(|c| c.column.trim())
        .collect();
    wanted.dedup();
    for sheet in read_sheets(export)? {
        let found = sheet_table(export, &sheet, |h| {
            wanted
                .iter()
                .all(|w| h.iter().any(|c| c == w))
                .then_some(())
        })?;
        if let Some((table, ())) = found {
            return Ok(table);
        }
    }
    Err(invalid(
        export,
        None,
        None,
        Problem::MissingColumn,
        format!(
            "no sheet of the spreadsheet has a row (in its first {HEADER_SEARCH_LINES}) with every column {} reads: {}",
            mapping.path.display(),
            wanted
                .iter()
                .map(|w| format!("`{w}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    ))
}

/// A mapping that reads the charge and the discharge capacity from the same export column
/// cannot tell them apart (a Neware-style single `Capacity(mAh)` column): an error naming the
/// built-in format that splits such a column by the step type.
fn check_split_capacity(mapping: &Mapping) -> Result<(), MeasuredError> {
    let column = |target: &str| {
        mapping
            .columns
            .iter()
            .find(|c| c.target == target)
            .map(|c| c.column.as_str())
    };
    for (charge, discharge) in [
        ("charge_capacity_mAh_g", "discharge_capacity_mAh_g"),
        ("charge_capacity_Ah", "discharge_capacity_Ah"),
    ] {
        if let (Some(c), Some(d)) = (column(charge), column(discharge)) {
            if c == d {
                return Err(mapping_error(
                    &mapping.path,
                    None,
                    format!(
                        "`columns.{charge}` and `columns.{discharge}` both read `{c}`: one capacity column holds the charge and the discharge, which a mapping cannot split; import without --mapping (a known format such as neware splits it by the step type or the current's sign)"
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// The value of a time column (`end_time_s`) in `row`: seconds, a duration, or a date-time
/// as seconds from the column's first date-time ([`super::timestamp`]).
fn time_value(table: &Table, row: &Row, k: usize) -> Result<Option<f64>, MeasuredError> {
    let read = |r: &Row| -> Result<Option<Time>, MeasuredError> {
        let text = r.fields[k].trim();
        if text.is_empty() {
            return Ok(None);
        }
        parse_time(text).map(Some).ok_or_else(|| {
            table.field_error(
                r,
                k,
                Problem::Value,
                format!("expected a time ({TIME_FORMS}), found `{text}`"),
            )
        })
    };
    Ok(match read(row)? {
        None => None,
        Some(Time::Elapsed(s)) => Some(s),
        Some(Time::Instant(s)) => {
            let mut origin = s;
            for r in &table.rows {
                if let Some(Time::Instant(first)) = read(r)? {
                    origin = first;
                    break;
                }
            }
            Some(s - origin)
        }
    })
}

/// Imports the cycler export `export` with `mapping`. `active_mass_g` \[g\], when given,
/// replaces the mapping's `active_mass_g`. Every value is checked as when reading a per-cycle
/// file (finite; capacities, energies and efficiencies ≥ 0; fractions not percentages), and
/// errors name the export's line and column.
pub fn import_export(
    export: &Path,
    mapping: &Mapping,
    active_mass_g: Option<f64>,
) -> Result<MeasuredCycles, MeasuredError> {
    let mass = active_mass_g.or(mapping.active_mass_g);
    if let Some(m) = mass {
        if !(m.is_finite() && m > 0.0) {
            return Err(mapping_error(
                &mapping.path,
                None,
                format!(
                    "the active-material mass (--active-mass-g, or active_mass_g in the mapping) must be a positive number of grams, found {m}"
                ),
            ));
        }
    }
    if mass.is_none() {
        if let Some(c) = mapping.columns.iter().find(|c| c.per_gram) {
            return Err(mapping_error(
                &mapping.path,
                None,
                format!(
                    "`columns.{}` is per_gram, which needs the active-material mass: give `active_mass_g` in the mapping or --active-mass-g",
                    c.target
                ),
            ));
        }
    }
    check_split_capacity(mapping)?;
    let table = export_table(export, mapping)?;
    let cycle_k = export_column(&table, mapping, &mapping.cycle)?;
    let ks = mapping
        .columns
        .iter()
        .map(|c| export_column(&table, mapping, c))
        .collect::<Result<Vec<_>, _>>()?;

    // Group the rows by cycle; the rows of a cycle must be contiguous.
    let mut groups: Vec<(u32, Vec<&Row>)> = Vec::new();
    for row in &table.rows {
        let raw = table.required_number(row, cycle_k, mapping.decimal_comma)?;
        let v = mapping.cycle.convert(raw, None);
        if v.fract() != 0.0 || !(1.0..=f64::from(u32::MAX)).contains(&v) {
            return Err(table.field_error(
                row,
                cycle_k,
                Problem::Value,
                format!(
                    "the cycle number after the mapping's scale and offset is {v}, expected a whole number ≥ 1 (set `offset = 1` in `columns.cycle` of {} for testers that count from 0)",
                    mapping.path.display()
                ),
            ));
        }
        let cycle = v as u32;
        match groups.last_mut() {
            Some((c, rows)) if *c == cycle => rows.push(row),
            Some((c, rows)) if *c > cycle => {
                return Err(table.field_error(
                    row,
                    cycle_k,
                    Problem::CycleOrder,
                    format!(
                    "cycle numbers must not decrease: cycle {cycle} follows cycle {c} on line {}",
                    rows.last().map_or(0, |r| r.line)
                ),
                ))
            }
            _ => groups.push((cycle, vec![row])),
        }
    }

    let mut columns: Vec<CycleColumn> = mapping
        .columns
        .iter()
        .map(|c| CycleColumn {
            name: c.target.clone(),
            values: Vec::with_capacity(groups.len()),
        })
        .collect();
    for (cycle, rows) in &groups {
        for ((column, map), &k) in columns.iter_mut().zip(&mapping.columns).zip(&ks) {
            if rows.len() > 1 && map.aggregate.is_none() {
                return Err(invalid(
                    export,
                    Some(rows[1].line),
                    Some(&map.column),
                    Problem::Mapping,
                    format!(
                        "cycle {cycle} has {} rows in the export; say how they combine with `aggregate = \"max\"` (or min, first, last, mean) in `columns.{}` of {}",
                        rows.len(),
                        map.target,
                        mapping.path.display()
                    ),
                ));
            }
            let mut values = Vec::with_capacity(rows.len());
            for row in rows {
                let raw = if map.target == "end_time_s" {
                    time_value(&table, row, k)?
                } else {
                    table.number(row, k, mapping.decimal_comma)?
                };
                if let Some(raw) = raw {
                    values.push(map.convert(raw, mass));
                }
            }
            let value = map.aggregate.unwrap_or(Aggregate::Last).apply(&values);
            if let Some(v) = value {
                check_imported(&table, rows[0], k, map, *cycle, v)?;
            }
            column.values.push(value);
        }
    }

    let provenance = mapping.provenance_for(export, mass)?;
    Ok(MeasuredCycles {
        provenance,
        cycles: groups.iter().map(|(c, _)| *c).collect(),
        columns,
    })
}

/// The checks of [`super::cycles`] on an imported value, naming the first export row of the
/// cycle.
fn check_imported(
    table: &Table,
    row: &Row,
    k: usize,
    map: &ColumnMap,
    cycle: u32,
    v: f64,
) -> Result<(), MeasuredError> {
    let name = map.target.as_str();
    let non_negative = super::cycles::non_negative(name);
    if !v.is_finite() {
        return Err(table.field_error(
            row,
            k,
            Problem::Value,
            format!("cycle {cycle}: `{name}` is not finite after scaling ({v})"),
        ));
    }
    if non_negative && v < 0.0 {
        return Err(table.field_error(
            row,
            k,
            Problem::Value,
            format!(
                "cycle {cycle}: `{name}` comes out as {v}, expected ≥ 0 (a tester that writes it negative needs a negative `scale`)"
            ),
        ));
    }
    if FRACTION_COLUMNS.contains(&name) && v > FRACTION_LIMIT {
        return Err(table.field_error(
            row,
            k,
            Problem::Unit,
            format!(
                "cycle {cycle}: `{name}` comes out as {v}, but it is a fraction, not a percentage (use `scale = 0.01` for a column in %)"
            ),
        ));
    }
    Ok(())
}

/// Writes `data` as a per-cycle CSV file to `out`, atomically ([`write_atomically`]).
pub fn write_cycles_atomically(data: &MeasuredCycles, out: &Path) -> Result<(), MeasuredError> {
    write_atomically(&data.to_csv(), out)
}

/// Writes `curves` as a voltage-curves CSV file to `out`, atomically ([`write_atomically`]).
pub fn write_curves_atomically(curves: &MeasuredCurves, out: &Path) -> Result<(), MeasuredError> {
    write_atomically(&curves.to_csv(), out)
}

/// Writes `text` to `out` atomically: into a temporary file beside it that is then renamed, so
/// that `out` is either left as it was or holds the whole text.
pub fn write_atomically(text: &str, out: &Path) -> Result<(), MeasuredError> {
    let file_name = out.file_name().ok_or_else(|| MeasuredError::Io {
        path: out.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file path"),
    })?;
    let tmp = out.with_file_name(format!(
        ".{}.tmp-{}",
        file_name.to_string_lossy(),
        std::process::id()
    ));
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| MeasuredError::Io { path, source }
    };
    let result = (|| {
        use std::io::Write as _;
        let mut file = std::fs::File::create(&tmp).map_err(io(&tmp))?;
        file.write_all(text.as_bytes()).map_err(io(&tmp))?;
        file.sync_all().map_err(io(&tmp))?;
        std::fs::rename(&tmp, out).map_err(io(out))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROVENANCE: &str =
        "[provenance]\nsource = \"lab\"\nfigure_or_table = \"cycler export\"\nconditions = \"25 °C\"\n";

    fn mapping(text: &str) -> Result<Mapping, MeasuredError> {
        parse_mapping(text, Path::new("m.toml"))
    }

    #[test]
    fn reads_a_mapping() {
        let m = mapping(&format!(
            "format = \"x\"\ndelimiter = \"\\t\"\nactive_mass_g = 2\n[columns]\ncycle = {{ column = \"cyc\", offset = 1 }}\ncoulombic_efficiency = {{ column = \"CE\", scale = 0.01 }}\ndischarge_capacity_mAh_g = {{ column = \"Qd\", per_gram = true, aggregate = \"max\" }}\n{PROVENANCE}"
        ))
        .unwrap();
        assert_eq!(m.delimiter, '\t');
        assert_eq!(m.active_mass_g, Some(2.0));
        assert_eq!(m.cycle.offset, 1.0);
        // Schema order, not file order.
        assert_eq!(m.columns[0].target, "discharge_capacity_mAh_g");
        assert_eq!(m.columns[0].aggregate, Some(Aggregate::Max));
        assert_eq!(m.columns[1].scale, 0.01);
    }

    #[test]
    fn bad_mappings_are_named() {
        let cases = [
            ("[columns]\ncycle = \"c\"\nx = \"y\"\n", "columns.x"),
            ("[columns]\nx_mAh_g = \"y\"\n", "columns.x_mAh_g"),
            ("[columns]\ncycle = \"c\"\n", "maps no quantity"),
            (
                "[columns]\ndischarge_capacity_mAh_g = \"q\"\n",
                "columns.cycle",
            ),
            (
                "[columns]\ncycle = \"c\"\nend_time_s = { column = \"t\", aggregate = \"sum\" }\n",
                "aggregate",
            ),
            (
                "[columns]\ncycle = \"c\"\nend_time_s = { column = \"t\", scale = 0 }\n",
                "scale",
            ),
            (
                "delimiter = \";;\"\n[columns]\ncycle = \"c\"\nend_time_s = \"t\"\n",
                "delimiter",
            ),
            ("colums = 1\n", "unknown key `colums`"),
            (
                "[columns]\ncycle = \"c\"\ndischarge_capacity_mAh = \"q\"\n",
                "as `discharge_capacity_mAh_g` (mAh/g)",
            ),
            ("[columns\n", "not valid TOML"),
        ];
        for (text, expected) in cases {
            let e = mapping(&format!("{text}{PROVENANCE}")).unwrap_err();
            assert_eq!(e.problem(), Some(Problem::Mapping), "{e}");
            let message = e.to_string();
            assert!(message.starts_with("m.toml"), "{message}");
            assert!(message.contains(expected), "{message} lacks {expected}");
        }
        let e =
            mapping("[columns]\ncycle = \"c\"\nend_time_s = \"t\"\n[provenance]\nsource = \"s\"\n")
                .unwrap_err();
        assert!(e.to_string().contains("figure_or_table"), "{e}");
        let e = mapping(&format!(
            "[columns]\ncycle = \"c\"\nend_time_s = \"t\"\n{PROVENANCE}\"lab book\" = \"7\"\n"
        ))
        .unwrap_err();
        assert!(e.to_string().contains("provenance key"), "{e}");
    }

    #[test]
    fn reads_exports_in_latin_1() {
        let dir = tempfile::tempdir().unwrap();
        let export = dir.path().join("e.csv");
        // `µ` as the single byte 0xB5, as a Windows tester writes it.
        std::fs::write(&export, b"Cycle;Q/\xB5Ah\n1;1500,0\n2;1250\n").unwrap();
        let m = mapping(&format!(
            "delimiter = \";\"\ndecimal_comma = true\nactive_mass_g = 0.01\n[columns]\ncycle = \"Cycle\"\ndischarge_capacity_mAh_g = {{ column = \"Q/µAh\", scale = 0.001, per_gram = true }}\n{PROVENANCE}"
        ))
        .unwrap();
        let c = import_export(&export, &m, None).unwrap();
        assert_eq!(c.cycles, vec![1, 2]);
        let q = c.column("discharge_capacity_mAh_g").unwrap();
        assert!((q[0].unwrap() - 150.0).abs() < 1e-9 && (q[1].unwrap() - 125.0).abs() < 1e-9);
    }

    #[test]
    fn aggregates() {
        let v = [1.0, 3.0, 2.0];
        assert_eq!(Aggregate::Max.apply(&v), Some(3.0));
        assert_eq!(Aggregate::Min.apply(&v), Some(1.0));
        assert_eq!(Aggregate::First.apply(&v), Some(1.0));
        assert_eq!(Aggregate::Last.apply(&v), Some(2.0));
        assert_eq!(Aggregate::Mean.apply(&v), Some(2.0));
        assert_eq!(Aggregate::Mean.apply(&[]), None);
    }
}
