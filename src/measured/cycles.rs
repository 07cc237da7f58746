//! Dense per-cycle measured data, in the columns and units of the simulator's `summary.csv`
//! ([`crate::output::summary_csv`]), so that measured and simulated cycles compare column by
//! column.
//!
//! - `cycle` (required): the cycle number, a whole number ≥ 1, strictly increasing;
//! - at least one quantity column, each a per-cycle quantity of [`super::QUANTITIES`]
//!   (`discharge_capacity_mAh_g` \[mA·h/g\], `charge_capacity_mAh_g` \[mA·h/g\],
//!   `coulombic_efficiency` \[-\] — a fraction as in `summary.csv`, not %,
//!   `mean_discharge_voltage_V` \[V\], …); any other column is an error. An empty field means
//!   "not measured in this cycle"; text, NaN and infinities are errors;
//! - provenance `source`, `figure_or_table` and `conditions` (required, non-empty), either as
//!   `# key: value` comment lines before the header row or as columns holding the same value
//!   on every row. Further `# key: value` lines are kept as extra provenance.
//!
//! Capacities, energies, efficiencies and retentions must be ≥ 0, and a fraction column
//! (`coulombic_efficiency`, `capacity_retention`) above 2 is taken for a percentage and reported
//! as a unit error.

use std::fmt::Write as _;
use std::path::Path;

use super::csv::{self, Table};
use super::{
    invalid, per_cycle_quantity, read_text, unknown_per_cycle_column, MeasuredError, Problem,
    Provenance, FRACTION_COLUMNS, FRACTION_LIMIT, PROVENANCE_KEYS,
};

/// One quantity column of per-cycle data.
#[derive(Debug, Clone, PartialEq)]
pub struct CycleColumn {
    /// The column name (a per-cycle quantity of [`super::QUANTITIES`]; the unit is in it).
    pub name: String,
    /// One value per cycle, `None` where the cycle has no value.
    pub values: Vec<Option<f64>>,
}

/// Per-cycle measured data with its provenance.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasuredCycles {
    /// Where the data come from.
    pub provenance: Provenance,
    /// The cycle numbers, strictly increasing, from 1.
    pub cycles: Vec<u32>,
    /// The quantity columns, in file order, each as long as `cycles`.
    pub columns: Vec<CycleColumn>,
}

impl MeasuredCycles {
    /// The values of the column `name` (one per cycle), if the data have it.
    pub fn column(&self, name: &str) -> Option<&[Option<f64>]> {
        self.columns
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.values.as_slice())
    }

    /// The value of column `name` in cycle `cycle`, if both exist and the value was measured.
    pub fn value(&self, cycle: u32, name: &str) -> Option<f64> {
        let i = self.cycles.binary_search(&cycle).ok()?;
        self.column(name)?[i]
    }

    /// The data as a per-cycle CSV file: provenance as `# key: value` lines, the header row,
    /// then one row per cycle (numbers in shortest round-trip form, empty where not measured).
    /// [`parse_cycles`] reads it back to equal data.
    pub fn to_csv(&self) -> String {
        let mut out = self.provenance.to_comment_lines();
        out.push_str("cycle");
        for c in &self.columns {
            out.push(',');
            out.push_str(&c.name);
        }
        out.push('\n');
        for (i, cycle) in self.cycles.iter().enumerate() {
            // Writing into a String cannot fail.
            let _ = write!(out, "{cycle}");
            for c in &self.columns {
                out.push(',');
                if let Some(v) = c.values[i] {
                    let _ = write!(out, "{v}");
                }
            }
            out.push('\n');
        }
        out
    }
}

/// Whether values of the per-cycle column `name` must be ≥ 0.
pub(crate) fn non_negative(name: &str) -> bool {
    name.ends_with("_mAh_g")
        || name.ends_with("_Ah")
        || name.ends_with("_Wh")
        || name.ends_with("_Wh_kg")
        || FRACTION_COLUMNS.contains(&name)
}

/// The provenance of a file: from `# key: value` lines and/or provenance columns (the same
/// value on every row). A key given both ways is an error.
pub(crate) fn provenance_of(table: &Table) -> Result<Provenance, MeasuredError> {
    let mut entries = table.comments.clone();
    for key in PROVENANCE_KEYS {
        let Some(k) = table.column(key) else { continue };
        if table.comments.iter().any(|(c, _)| c == key) {
            return Err(invalid(
                &table.path,
                Some(table.header_line),
                Some(key),
                Problem::Provenance,
                format!("`{key}` is given both as a `# {key}:` line and as a column; give it once"),
            ));
        }
        let first = &table.rows[0];
        let value = first.fields[k].trim();
        if value.is_empty() {
            return Err(table.field_error(
                first,
                k,
                Problem::Provenance,
                "the provenance entry is empty",
            ));
        }
        if let Some(row) = table.rows.iter().find(|r| r.fields[k].trim() != value) {
            return Err(table.field_error(
                row,
                k,
                Problem::Provenance,
                format!(
                    "the provenance differs from line {} (`{value}`); one file holds data of one provenance",
                    first.line
                ),
            ));
        }
        entries.push((key.to_string(), value.to_string()));
    }
    Provenance::from_entries(&entries).map_err(|key| {
        invalid(
            &table.path,
            None,
            None,
            Problem::Provenance,
            format!(
                "the provenance `{key}` is missing: give it as a `# {key}: …` line before the header row or as a `{key}` column"
            ),
        )
    })
}

/// Checks that cycle numbers increase strictly (`strict`) or do not decrease.
pub(crate) fn check_cycle_order(
    table: &Table,
    k: usize,
    cycles: &[u32],
    strict: bool,
) -> Result<(), MeasuredError> {
    for (i, pair) in cycles.windows(2).enumerate() {
        let bad = if strict {
            pair[1] <= pair[0]
        } else {
            pair[1] < pair[0]
        };
        if bad {
            let row = &table.rows[i + 1];
            return Err(table.field_error(
                row,
                k,
                Problem::CycleOrder,
                format!(
                    "cycle numbers must {}: {} follows {} on line {}",
                    if strict {
                        "increase strictly"
                    } else {
                        "not decrease"
                    },
                    pair[1],
                    pair[0],
                    table.rows[i].line
                ),
            ));
        }
    }
    Ok(())
}

/// Reads a per-cycle file.
pub fn read_cycles(path: &Path) -> Result<MeasuredCycles, MeasuredError> {
    parse_cycles(&read_text(path)?, path)
}

/// Parses the content of a per-cycle file; `path` is used in error messages.
pub fn parse_cycles(text: &str, path: &Path) -> Result<MeasuredCycles, MeasuredError> {
    let table = csv::parse(text, path, ',', 0)?;
    let cycle_k = table.required("cycle")?;
    let mut quantity_ks = Vec::new();
    for (k, name) in table.header.iter().enumerate() {
        if k == cycle_k || PROVENANCE_KEYS.contains(&name.as_str()) {
            continue;
        }
        if per_cycle_quantity(name).is_none() {
            let (problem, message) = unknown_per_cycle_column(name);
            return Err(invalid(
                path,
                Some(table.header_line),
                Some(name),
                problem,
                message,
            ));
        }
        quantity_ks.push(k);
    }
    if quantity_ks.is_empty() {
        return Err(invalid(
            path,
            Some(table.header_line),
            None,
            Problem::MissingColumn,
            "expected at least one quantity column besides `cycle` (for example discharge_capacity_mAh_g)",
        ));
    }
    let provenance = provenance_of(&table)?;
    let mut cycles = Vec::with_capacity(table.rows.len());
    let mut columns: Vec<CycleColumn> = quantity_ks
        .iter()
        .map(|&k| CycleColumn {
            name: table.header[k].clone(),
            values: Vec::with_capacity(table.rows.len()),
        })
        .collect();
    for row in &table.rows {
        cycles.push(table.cycle(row, cycle_k)?);
        for (column, &k) in columns.iter_mut().zip(&quantity_ks) {
            let v = table.number(row, k, false)?;
            if let Some(v) = v {
                check_value(&table, row, k, v)?;
            }
            column.values.push(v);
        }
    }
    check_cycle_order(&table, cycle_k, &cycles, true)?;
    Ok(MeasuredCycles {
        provenance,
        cycles,
        columns,
    })
}

/// The sign and fraction checks of a per-cycle value.
fn check_value(table: &Table, row: &csv::Row, k: usize, v: f64) -> Result<(), MeasuredError> {
    let name = table.header[k].as_str();
    if non_negative(name) && v < 0.0 {
        return Err(table.field_error(
            row,
            k,
            Problem::Value,
            format!("expected a value ≥ 0 (capacities, energies and efficiencies are magnitudes), found {v}"),
        ));
    }
    if FRACTION_COLUMNS.contains(&name) && v > FRACTION_LIMIT {
        return Err(table.field_error(
            row,
            k,
            Problem::Unit,
            format!("`{name}` is a fraction (as in summary.csv), not a percentage; found {v}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROVENANCE: &str =
        "# source: lab notebook 12\n# figure_or_table: Fig. 1\n# conditions: 25 °C\n";

    fn parse(text: &str) -> Result<MeasuredCycles, MeasuredError> {
        parse_cycles(text, Path::new("c.csv"))
    }

    #[test]
    fn reads_and_writes_per_cycle_data() {
        let text = format!(
            "{PROVENANCE}# cell: A1\ncycle,discharge_capacity_mAh_g,coulombic_efficiency\n1,220.5,0.842\n2,,0.99\n5,250,\n"
        );
        let c = parse(&text).unwrap();
        assert_eq!(c.cycles, vec![1, 2, 5]);
        assert_eq!(c.value(1, "discharge_capacity_mAh_g"), Some(220.5));
        assert_eq!(c.value(2, "discharge_capacity_mAh_g"), None);
        assert_eq!(c.value(2, "coulombic_efficiency"), Some(0.99));
        assert_eq!(c.value(3, "coulombic_efficiency"), None);
        assert_eq!(c.provenance.extra, vec![("cell".into(), "A1".into())]);
        assert_eq!(c.to_csv(), text);
        assert_eq!(parse(&c.to_csv()).unwrap(), c);
    }

    #[test]
    fn provenance_may_be_columns() {
        let c = parse(
            "cycle,discharge_capacity_mAh_g,source,figure_or_table,conditions\n1,200,\"A, 2022\",Fig. 2,60 °C\n2,199,\"A, 2022\",Fig. 2,60 °C\n",
        )
        .unwrap();
        assert_eq!(c.provenance.source, "A, 2022");
        let e = parse(
            "cycle,discharge_capacity_mAh_g,source,figure_or_table,conditions\n1,200,A,F,C\n2,199,B,F,C\n",
        )
        .unwrap_err();
        assert_eq!((e.line(), e.column()), (Some(3), Some("source")));
        let e = parse("# source: s\n# conditions: c\ncycle,end_time_s\n1,2\n").unwrap_err();
        assert_eq!(e.problem(), Some(Problem::Provenance));
        assert!(e.to_string().contains("figure_or_table"), "{e}");
    }

    #[test]
    fn bad_input_names_file_line_and_column() {
        let h = format!("{PROVENANCE}cycle,discharge_capacity_mAh_g,coulombic_efficiency\n");
        // (rows, problem, line, column)
        let cases = [
            ("1,200,0.9\n1,201,0.9\n", Problem::CycleOrder, 6, "cycle"),
            ("2,200,0.9\n1,201,0.9\n", Problem::CycleOrder, 6, "cycle"),
            ("1,NaN,0.9\n", Problem::Value, 5, "discharge_capacity_mAh_g"),
            ("1,200,abc\n", Problem::Value, 5, "coulombic_efficiency"),
            ("1,200,84.2\n", Problem::Unit, 5, "coulombic_efficiency"),
            (
                "1,-200,0.9\n",
                Problem::Value,
                5,
                "discharge_capacity_mAh_g",
            ),
            (",200,0.9\n", Problem::Value, 5, "cycle"),
            ("0,200,0.9\n", Problem::Value, 5, "cycle"),
        ];
        for (rows, problem, line, column) in cases {
            let e = parse(&format!("{h}{rows}")).unwrap_err();
            assert_eq!(e.problem(), Some(problem), "{e}");
            assert_eq!((e.line(), e.column()), (Some(line), Some(column)), "{e}");
            assert!(
                e.to_string()
                    .starts_with(&format!("c.csv, line {line}, column `{column}`")),
                "{e}"
            );
        }
        let e = parse(&format!("{PROVENANCE}discharge_capacity_mAh_g\n200\n")).unwrap_err();
        assert_eq!(e.problem(), Some(Problem::MissingColumn));
        assert_eq!((e.line(), e.column()), (Some(4), Some("cycle")));
        let e = parse(&format!("{PROVENANCE}cycle,capacity\n1,200\n")).unwrap_err();
        assert_eq!(e.problem(), Some(Problem::UnknownColumn));
        assert_eq!(e.column(), Some("capacity"));
        let e = parse(&format!(
            "{PROVENANCE}cycle,discharge_capacity_Ah_g\n1,0.2\n"
        ))
        .unwrap_err();
        assert_eq!(e.problem(), Some(Problem::Unit));
        assert_eq!(
            (e.line(), e.column()),
            (Some(4), Some("discharge_capacity_Ah_g"))
        );
        assert!(
            e.to_string().contains("`discharge_capacity_mAh_g` (mAh/g)"),
            "{e}"
        );
        let e = parse(&format!("{PROVENANCE}cycle\n1\n")).unwrap_err();
        assert_eq!(e.problem(), Some(Problem::MissingColumn));
    }
}
