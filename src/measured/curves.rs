//! Measured voltage curves: voltage against specific capacity within cycles.
//!
//! - `cycle` (required): the cycle number, a whole number ≥ 1, not decreasing from row to row;
//! - `capacity_mAh_g` (required) \[mA·h/g\]: capacity passed since the start of the step, ≥ 0;
//! - `voltage_V` (required) \[V\]: cell voltage;
//! - `step` (optional): `charge` or `discharge`, the direction of the step; or `rest`: the row
//!   belongs to no curve and is skipped (its capacity and voltage are not read).
//!
//! A point's direction is its `step`; in a file without `step`, every point has the direction
//! the validation file gives (`curves[].step`). Nothing is inferred from the voltage or from
//! the sign of a current.
//!
//! The rows of one curve (a cycle, and a step when the file has `step`) are contiguous: a curve
//! that starts again after another one is an error. Every field is required (no empty fields);
//! text, NaN and infinities are errors. Provenance as for per-cycle data
//! ([`super::cycles`]): `# key: value` lines before the header row, or columns.

use std::path::Path;

use super::csv;
use super::cycles::{check_cycle_order, provenance_of};
use super::{invalid, read_text, MeasuredError, Problem, Provenance, PROVENANCE_KEYS};

/// The direction of the step a curve point belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Charging.
    Charge,
    /// Discharging.
    Discharge,
}

impl Direction {
    /// The name as written in the `step` column.
    pub fn name(self) -> &'static str {
        match self {
            Direction::Charge => "charge",
            Direction::Discharge => "discharge",
        }
    }
}

/// One point of a voltage curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CurvePoint {
    /// The cycle number.
    pub cycle: u32,
    /// The direction of the step, when the file says.
    pub step: Option<Direction>,
    /// Capacity passed since the start of the step \[mA·h/g\].
    pub capacity_mah_g: f64,
    /// Cell voltage \[V\].
    pub voltage_v: f64,
}

/// Measured voltage curves with their provenance.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasuredCurves {
    /// Where the data come from.
    pub provenance: Provenance,
    /// The points, in file order.
    pub points: Vec<CurvePoint>,
}

impl MeasuredCurves {
    /// The cycles that have points, in order.
    pub fn cycles(&self) -> Vec<u32> {
        let mut cycles: Vec<u32> = self.points.iter().map(|p| p.cycle).collect();
        cycles.dedup();
        cycles
    }

    /// The curve of `cycle` (and `step`, if given) as (capacity \[mA·h/g\], voltage \[V\])
    /// pairs in file order; empty when there is none.
    pub fn curve(&self, cycle: u32, step: Option<Direction>) -> Vec<(f64, f64)> {
        self.points
            .iter()
            .filter(|p| p.cycle == cycle && (step.is_none() || p.step == step))
            .map(|p| (p.capacity_mah_g, p.voltage_v))
            .collect()
    }

    /// The curves as a curves CSV file: provenance as `# key: value` lines, the header row
    /// `cycle,step,capacity_mAh_g,voltage_V` (without `step` when no point has one), then the
    /// points in order, numbers in shortest round-trip form. [`parse_curves`] reads it back to
    /// equal curves.
    pub fn to_csv(&self) -> String {
        use std::fmt::Write as _;
        let steps = self.points.iter().any(|p| p.step.is_some());
        let mut out = self.provenance.to_comment_lines();
        out.push_str(if steps {
            "cycle,step,capacity_mAh_g,voltage_V\n"
        } else {
            "cycle,capacity_mAh_g,voltage_V\n"
        });
        for p in &self.points {
            // Writing into a String cannot fail.
            let _ = write!(out, "{}", p.cycle);
            if steps {
                let _ = write!(out, ",{}", p.step.map_or("", Direction::name));
            }
            let _ = writeln!(out, ",{},{}", p.capacity_mah_g, p.voltage_v);
        }
        out
    }
}

/// The data columns of a curves file.
const CURVE_COLUMNS: [&str; 4] = ["cycle", "capacity_mAh_g", "voltage_V", "step"];

/// Reads a voltage-curves file.
pub fn read_curves(path: &Path) -> Result<MeasuredCurves, MeasuredError> {
    parse_curves(&read_text(path)?, path)
}

/// Parses the content of a voltage-curves file; `path` is used in error messages.
pub fn parse_curves(text: &str, path: &Path) -> Result<MeasuredCurves, MeasuredError> {
    let table = csv::parse(text, path, ',', 0)?;
    for name in &table.header {
        if !CURVE_COLUMNS.contains(&name.as_str()) && !PROVENANCE_KEYS.contains(&name.as_str()) {
            return Err(invalid(
                path,
                Some(table.header_line),
                Some(name),
                Problem::UnknownColumn,
                format!(
                    "not a column of the voltage-curve schema ({}, and the provenance columns {})",
                    CURVE_COLUMNS.join(", "),
                    PROVENANCE_KEYS.join(", ")
                ),
            ));
        }
    }
    let cycle_k = table.required("cycle")?;
    let capacity_k = table.required("capacity_mAh_g")?;
    let voltage_k = table.required("voltage_V")?;
    let step_k = table.column("step");
    let provenance = provenance_of(&table)?;
    let mut points = Vec::with_capacity(table.rows.len());
    let mut cycles = Vec::with_capacity(table.rows.len());
    let mut finished: Vec<(u32, Option<Direction>)> = Vec::new();
    for row in &table.rows {
        let cycle = table.cycle(row, cycle_k)?;
        cycles.push(cycle);
        let step = match step_k {
            None => None,
            Some(k) => match row.fields[k].trim() {
                "charge" => Some(Direction::Charge),
                "discharge" => Some(Direction::Discharge),
                "rest" => continue,
                other => {
                    return Err(table.field_error(
                        row,
                        k,
                        Problem::Value,
                        format!("expected `charge`, `discharge` or `rest`, found `{other}`"),
                    ))
                }
            },
        };
        let capacity = table.required_number(row, capacity_k, false)?;
        if capacity < 0.0 {
            return Err(table.field_error(
                row,
                capacity_k,
                Problem::Value,
                format!("expected a capacity ≥ 0 (the magnitude passed since the start of the step), found {capacity}"),
            ));
        }
        let voltage = table.required_number(row, voltage_k, false)?;
        let segment = (cycle, step);
        if finished.last() != Some(&segment) {
            if finished.contains(&segment) {
                let k = step_k.unwrap_or(cycle_k);
                return Err(table.field_error(
                    row,
                    k,
                    Problem::CycleOrder,
                    format!(
                        "the curve of cycle {cycle}{} starts again after another curve; the rows of a curve must be contiguous",
                        step.map(|s| format!(" ({})", s.name())).unwrap_or_default()
                    ),
                ));
            }
            finished.push(segment);
        }
        points.push(CurvePoint {
            cycle,
            step,
            capacity_mah_g: capacity,
            voltage_v: voltage,
        });
    }
    check_cycle_order(&table, cycle_k, &cycles, false)?;
    Ok(MeasuredCurves { provenance, points })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROVENANCE: &str = "# source: s\n# figure_or_table: Fig. 2a\n# conditions: 0.05C\n";

    fn parse(text: &str) -> Result<MeasuredCurves, MeasuredError> {
        parse_curves(text, Path::new("v.csv"))
    }

    #[test]
    fn reads_curves() {
        let c = parse(&format!(
            "{PROVENANCE}cycle,step,capacity_mAh_g,voltage_V\n1,charge,0,3.5\n1,charge,100,4.3\n1,discharge,0,4.2\n1,discharge,90,2.0\n2,discharge,0,4.2\n"
        ))
        .unwrap();
        assert_eq!(c.cycles(), vec![1, 2]);
        assert_eq!(
            c.curve(1, Some(Direction::Discharge)),
            vec![(0.0, 4.2), (90.0, 2.0)]
        );
        assert_eq!(c.curve(1, None).len(), 4);
        assert_eq!(c.provenance.figure_or_table, "Fig. 2a");
        let c = parse(&format!(
            "{PROVENANCE}cycle,capacity_mAh_g,voltage_V\n3,0,4\n3,1,3.9\n"
        ))
        .unwrap();
        assert_eq!(c.points[1].step, None);
        // Rest rows are in no curve, and do not interrupt one.
        let c = parse(&format!(
            "{PROVENANCE}cycle,step,capacity_mAh_g,voltage_V\n1,discharge,0,4.2\n1,rest,,4.0\n1,discharge,0,3.9\n1,discharge,5,3.5\n1,rest,0,3.6\n2,charge,0,3.6\n"
        ))
        .unwrap();
        assert_eq!(
            c.curve(1, Some(Direction::Discharge)),
            vec![(0.0, 4.2), (0.0, 3.9), (5.0, 3.5)]
        );
        assert_eq!(c.points.len(), 4);
        assert_eq!(c.cycles(), vec![1, 2]);
    }

    #[test]
    fn bad_input_names_file_line_and_column() {
        let h = format!("{PROVENANCE}cycle,step,capacity_mAh_g,voltage_V\n");
        let cases = [
            (
                "2,charge,0,4\n1,charge,0,4\n",
                Problem::CycleOrder,
                6,
                "cycle",
            ),
            (
                "1,charge,0,4\n1,discharge,0,4\n1,charge,5,4\n",
                Problem::CycleOrder,
                7,
                "step",
            ),
            ("1,charge,0,nan\n", Problem::Value, 5, "voltage_V"),
            ("1,charge,,4\n", Problem::Value, 5, "capacity_mAh_g"),
            ("1,charge,-1,4\n", Problem::Value, 5, "capacity_mAh_g"),
            ("1,hold,0,4\n", Problem::Value, 5, "step"),
            (
                "2,charge,0,4\n1,rest,0,4\n",
                Problem::CycleOrder,
                6,
                "cycle",
            ),
        ];
        for (rows, problem, line, column) in cases {
            let e = parse(&format!("{h}{rows}")).unwrap_err();
            assert_eq!(e.problem(), Some(problem), "{e}");
            assert_eq!((e.line(), e.column()), (Some(line), Some(column)), "{e}");
            assert!(e.to_string().starts_with("v.csv, line"), "{e}");
        }
        let e = parse(&format!("{PROVENANCE}cycle,voltage_V\n1,4\n")).unwrap_err();
        assert_eq!(e.problem(), Some(Problem::MissingColumn));
        assert_eq!(e.column(), Some("capacity_mAh_g"));
        let e = parse(&format!(
            "{PROVENANCE}cycle,capacity_mAh_g,voltage_V,current_A\n1,0,4,1\n"
        ))
        .unwrap_err();
        assert_eq!(e.problem(), Some(Problem::UnknownColumn));
        let e = parse("cycle,capacity_mAh_g,voltage_V\n1,0,4\n").unwrap_err();
        assert_eq!(e.problem(), Some(Problem::Provenance));
    }
}
