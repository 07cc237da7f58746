//! Target points: measured figures quoted one per row, each with its unit, tolerance and
//! provenance, as in `validation/wu2022_targets.csv`.
//!
//! Columns (all required, any order, no others):
//!
//! | column | meaning |
//! | --- | --- |
//! | `id` | short name of the target (several rows may share one) |
//! | `cell` | which cell (`solid`, `liquid`, …) |
//! | `protocol` | the cycling protocol, or `-` |
//! | `cycle` | the cycle the figure belongs to (a whole number ≥ 1), or `-` |
//! | `quantity` | a known quantity ([`super::QUANTITIES`]) |
//! | `value` | the measured figure, in `unit` |
//! | `unit` | the quantity's unit; any other is an error |
//! | `tolerance` | the accepted deviation (≥ 0), see `tolerance_kind` |
//! | `tolerance_kind` | `percent` (of the value), `points` (percentage points, % quantities only) or `absolute` (in `unit`) |
//! | `source`, `figure_or_table`, `conditions` | provenance, non-empty |

use std::path::Path;

use super::csv;
use super::{invalid, quantity, read_text, MeasuredError, Problem, Provenance};

/// How a target's tolerance is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToleranceKind {
    /// A percentage of the target value.
    Percent,
    /// Percentage points (for quantities in %).
    Points,
    /// An absolute deviation in the target's unit.
    Absolute,
}

impl ToleranceKind {
    /// The word used in points files (`percent`, `points`, `absolute`).
    pub fn as_str(self) -> &'static str {
        match self {
            ToleranceKind::Percent => "percent",
            ToleranceKind::Points => "points",
            ToleranceKind::Absolute => "absolute",
        }
    }

    fn parse(text: &str) -> Option<ToleranceKind> {
        match text {
            "percent" => Some(ToleranceKind::Percent),
            "points" => Some(ToleranceKind::Points),
            "absolute" => Some(ToleranceKind::Absolute),
            _ => None,
        }
    }
}

/// One target point.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetPoint {
    /// Short name of the target.
    pub id: String,
    /// Which cell.
    pub cell: String,
    /// The cycling protocol (`-` if none).
    pub protocol: String,
    /// The cycle the figure belongs to, if any.
    pub cycle: Option<u32>,
    /// The quantity (a name of [`super::QUANTITIES`]).
    pub quantity: String,
    /// The measured value, in `unit`.
    pub value: f64,
    /// The unit (that of the quantity).
    pub unit: String,
    /// The accepted deviation, in the sense of `tolerance_kind`.
    pub tolerance: f64,
    /// How the tolerance is measured.
    pub tolerance_kind: ToleranceKind,
    /// Where the figure comes from.
    pub provenance: Provenance,
    /// The 1-based line of the file the point was read from.
    pub line: usize,
}

impl TargetPoint {
    /// The deviation of `simulated` from the target, in the tolerance's terms: percent of the
    /// value for [`ToleranceKind::Percent`], the plain difference (percentage points or the
    /// unit) otherwise.
    pub fn deviation(&self, simulated: f64) -> f64 {
        match self.tolerance_kind {
            ToleranceKind::Percent => 100.0 * (simulated - self.value) / self.value,
            ToleranceKind::Points | ToleranceKind::Absolute => simulated - self.value,
        }
    }

    /// Whether `simulated` is within the tolerance.
    pub fn accepts(&self, simulated: f64) -> bool {
        self.deviation(simulated).abs() <= self.tolerance
    }
}

/// The columns of a points file.
pub const POINT_COLUMNS: [&str; 12] = [
    "id",
    "cell",
    "protocol",
    "cycle",
    "quantity",
    "value",
    "unit",
    "tolerance",
    "tolerance_kind",
    "source",
    "figure_or_table",
    "conditions",
];

/// Reads a points file.
pub fn read_points(path: &Path) -> Result<Vec<TargetPoint>, MeasuredError> {
    parse_points(&read_text(path)?, path)
}

/// Parses the content of a points file; `path` is used in error messages.
pub fn parse_points(text: &str, path: &Path) -> Result<Vec<TargetPoint>, MeasuredError> {
    let table = csv::parse(text, path, ',', 0)?;
    for (k, name) in table.header.iter().enumerate() {
        if !POINT_COLUMNS.contains(&name.as_str()) {
            return Err(invalid(
                path,
                Some(table.header_line),
                Some(name),
                Problem::UnknownColumn,
                format!(
                    "column {} is not part of the points schema ({})",
                    k + 1,
                    POINT_COLUMNS.join(", ")
                ),
            ));
        }
    }
    let mut col = [0; POINT_COLUMNS.len()];
    for (c, name) in col.iter_mut().zip(POINT_COLUMNS) {
        *c = table.required(name)?;
    }
    let [id, cell, protocol, cycle, qty, value, unit, tol, kind, source, figure, conditions] = col;
    let mut points = Vec::with_capacity(table.rows.len());
    for row in &table.rows {
        let text = |k: usize| -> Result<String, MeasuredError> {
            let f = row.fields[k].trim();
            if f.is_empty() {
                Err(table.field_error(row, k, Problem::Value, "expected a value, found nothing"))
            } else {
                Ok(f.to_string())
            }
        };
        let provenance = |k: usize| -> Result<String, MeasuredError> {
            text(k).map_err(|_| {
                table.field_error(row, k, Problem::Provenance, "the provenance entry is empty")
            })
        };
        let name = text(qty)?;
        let Some(known) = quantity(&name) else {
            return Err(table.field_error(
                row,
                qty,
                Problem::Value,
                format!("unknown quantity `{name}`; {}", known_quantities()),
            ));
        };
        let unit_text = text(unit)?;
        if unit_text != known.unit {
            return Err(table.field_error(
                row,
                unit,
                Problem::Unit,
                format!(
                    "the unit of `{name}` is `{}`, found `{unit_text}`",
                    known.unit
                ),
            ));
        }
        let kind_text = text(kind)?;
        let Some(tolerance_kind) = ToleranceKind::parse(&kind_text) else {
            return Err(table.field_error(
                row,
                kind,
                Problem::Value,
                format!("expected `percent`, `points` or `absolute`, found `{kind_text}`"),
            ));
        };
        if tolerance_kind == ToleranceKind::Points && known.unit != "%" {
            return Err(table.field_error(
                row,
                kind,
                Problem::Unit,
                format!(
                    "a tolerance in percentage points needs a quantity in %, but `{name}` is in `{}`",
                    known.unit
                ),
            ));
        }
        let value_v = table.required_number(row, value, false)?;
        if tolerance_kind == ToleranceKind::Percent && value_v == 0.0 {
            return Err(table.field_error(
                row,
                value,
                Problem::Value,
                "a tolerance in percent of the value needs a value other than 0",
            ));
        }
        let tolerance = table.required_number(row, tol, false)?;
        if tolerance < 0.0 {
            return Err(table.field_error(
                row,
                tol,
                Problem::Value,
                format!("expected a tolerance ≥ 0, found {tolerance}"),
            ));
        }
        let cycle_v = if row.fields[cycle].trim() == "-" {
            None
        } else {
            Some(table.cycle(row, cycle)?)
        };
        points.push(TargetPoint {
            id: text(id)?,
            cell: text(cell)?,
            protocol: text(protocol)?,
            cycle: cycle_v,
            quantity: name,
            value: value_v,
            unit: unit_text,
            tolerance,
            tolerance_kind,
            provenance: Provenance {
                source: provenance(source)?,
                figure_or_table: provenance(figure)?,
                conditions: provenance(conditions)?,
                extra: Vec::new(),
            },
            line: row.line,
        });
    }
    Ok(points)
}

/// `known quantities: a (unit), …` for error messages.
fn known_quantities() -> String {
    let list: Vec<String> = super::QUANTITIES
        .iter()
        .map(|q| format!("{} ({})", q.name, q.unit))
        .collect();
    format!("known quantities: {}", list.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str =
        "id,cell,protocol,cycle,quantity,value,unit,tolerance,tolerance_kind,source,figure_or_table,conditions\n";

    fn parse(rows: &str) -> Result<Vec<TargetPoint>, MeasuredError> {
        parse_points(&format!("{HEADER}{rows}"), Path::new("t.csv"))
    }

    #[test]
    fn reads_points_and_judges_them() {
        let p = parse(
            "A,solid,1C,1,discharge_capacity_mAh_g,200,mAh/g,3,percent,\"S, 2022\",Fig. 2,60 °C\n\
             B,solid,-,-,coulombic_efficiency_percent,99,%,1,points,S,text,60 °C\n",
        )
        .unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].cycle, Some(1));
        assert_eq!(p[0].provenance.source, "S, 2022");
        assert_eq!(p[0].line, 2);
        assert!(p[0].accepts(205.0) && !p[0].accepts(207.0));
        assert!((p[0].deviation(206.0) - 3.0).abs() < 1e-12);
        assert_eq!(p[1].cycle, None);
        assert_eq!(p[1].tolerance_kind, ToleranceKind::Points);
        assert!(p[1].accepts(98.1) && !p[1].accepts(97.9));
    }

    #[test]
    fn a_wrong_unit_names_row_and_column() {
        let e =
            parse("A,solid,1C,1,discharge_capacity_mAh_g,0.2,Ah/g,3,percent,S,F,C\n").unwrap_err();
        assert_eq!(e.problem(), Some(Problem::Unit));
        assert_eq!((e.line(), e.column()), (Some(2), Some("unit")));
        assert!(
            e.to_string().starts_with("t.csv, line 2, column `unit`"),
            "{e}"
        );
        let e = parse("A,solid,1C,1,interface_resistance_ohm,69,ohm,3,points,S,F,C\n").unwrap_err();
        assert_eq!(e.problem(), Some(Problem::Unit));
        assert_eq!(e.column(), Some("tolerance_kind"));
    }

    #[test]
    fn bad_rows_are_named() {
        let cases = [
            (
                "A,solid,1C,1,capacity,1,mAh/g,3,percent,S,F,C\n",
                "quantity",
            ),
            ("A,solid,1C,1,end_time_s,NaN,s,3,percent,S,F,C\n", "value"),
            (
                "A,solid,1C,1,end_time_s,1,s,-3,percent,S,F,C\n",
                "tolerance",
            ),
            (
                "A,solid,1C,1,end_time_s,1,s,3,relative,S,F,C\n",
                "tolerance_kind",
            ),
            ("A,solid,1C,0,end_time_s,1,s,3,percent,S,F,C\n", "cycle"),
            (
                "A,solid,1C,1,end_time_s,1,s,3,percent,S,,C\n",
                "figure_or_table",
            ),
        ];
        for (row, column) in cases {
            let e = parse(row).unwrap_err();
            assert_eq!((e.line(), e.column()), (Some(2), Some(column)), "{e}");
        }
        let e = parse_points("id,value\nA,1\n", Path::new("t.csv")).unwrap_err();
        assert_eq!(e.problem(), Some(Problem::MissingColumn));
        let text = format!(
            "{},extra\nA,solid,1C,1,end_time_s,1,s,3,percent,S,F,C,x\n",
            HEADER.trim_end()
        );
        let e = parse_points(&text, Path::new("t.csv")).unwrap_err();
        assert_eq!(e.problem(), Some(Problem::UnknownColumn));
        assert_eq!(e.column(), Some("extra"));
    }
}
