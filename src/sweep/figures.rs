//! Key figures and curves of a case, read from its `summary.csv`, and the `sweep.csv` table.

use std::io;
use std::path::Path;

use crate::csv_table::{CsvFormat, CsvReader};
use crate::output::SUMMARY_FILE;
use crate::protocol::Retention;

/// One cycle of a case's `summary.csv`, the columns a sweep uses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CycleFigures {
    /// Cycle number, from 1.
    pub cycle: usize,
    /// Discharge capacity \[A·h\].
    pub discharge_capacity_ah: f64,
    /// Discharge capacity per gram of active material \[mA·h/g\] (`None` without a mass).
    pub discharge_capacity_mah_g: Option<f64>,
    /// Mean discharge voltage \[V\] (`None` for a cycle without a discharge).
    pub mean_discharge_voltage_v: Option<f64>,
    /// Interface resistance at the end of the cycle \[Ω\] (`None` without degradation).
    pub interface_resistance_ohm: Option<f64>,
}

/// Reads the cycles of `<dir>/summary.csv` by column name. A missing file is no cycles.
pub fn read_cycles(dir: &Path) -> io::Result<Vec<CycleFigures>> {
    let path = dir.join(SUMMARY_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut reader = CsvReader::new(&text, &path, CsvFormat::default())?;
    let column = |name: &str| {
        reader.column(name).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: no column `{name}`", path.display()),
            )
        })
    };
    let (c_cycle, c_ah, c_mah, c_v, c_r) = (
        column("cycle")?,
        column("discharge_capacity_Ah")?,
        column("discharge_capacity_mAh_g")?,
        column("mean_discharge_voltage_V")?,
        column("interface_resistance_ohm")?,
    );
    let mut cycles = Vec::new();
    for row in reader.by_ref() {
        let row = row?;
        cycles.push(CycleFigures {
            cycle: row.count(c_cycle)?,
            discharge_capacity_ah: row.number(c_ah)?,
            discharge_capacity_mah_g: row.parse(c_mah),
            mean_discharge_voltage_v: row.parse(c_v),
            interface_resistance_ohm: row.parse(c_r),
        });
    }
    Ok(cycles)
}

/// The key figures of one case (see `docs/sweep.md`). Cycle numbers `n` here count from the
/// reference cycle: `n = 1` is the reference cycle, `n` is cycle `reference_cycle + n − 1` of
/// the run.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyFigures {
    /// The reference cycle of the run, from 1.
    pub reference_cycle: usize,
    /// Discharge capacity of the reference cycle \[mA·h/g\].
    pub initial_capacity_mah_g: Option<f64>,
    /// Capacity retention \[%\] at each requested cycle (`None` if the run did not get there).
    pub retention_pct: Vec<Option<f64>>,
    /// The first cycle `n` whose retention is at most 80 % (`None` if none).
    pub cycle_at_80pct: Option<usize>,
    /// Mean discharge voltage of the reference cycle minus that of the last cycle with a
    /// discharge \[V\] (positive: the voltage fell).
    pub mean_voltage_decay_v: Option<f64>,
    /// Interface resistance at the end of the last cycle run \[Ω\].
    pub final_interface_resistance_ohm: Option<f64>,
    /// Cycles in `summary.csv`.
    pub cycles_run: usize,
}

/// The retention curve `(n, retention %)` by the rule of `summary.csv` ([`Retention`]): from
/// the reference cycle on, or from the first cycle after it with a discharge when it had none.
fn retention(cycles: &[CycleFigures], reference_cycle: usize) -> Vec<(usize, f64)> {
    let mut retention = Retention::from_cycle(reference_cycle);
    cycles
        .iter()
        .filter_map(|c| {
            retention.observe_discharge(c.cycle, c.discharge_capacity_ah);
            retention.reference().map(|_| {
                (
                    c.cycle + 1 - reference_cycle,
                    100.0 * retention.of_discharge(c.cycle, c.discharge_capacity_ah),
                )
            })
        })
        .collect()
}

/// The key figures of a case from its cycles.
pub fn key_figures(
    cycles: &[CycleFigures],
    reference_cycle: usize,
    retention_at: &[usize],
) -> KeyFigures {
    let curve = retention(cycles, reference_cycle);
    let at = |n: usize| curve.iter().find(|(m, _)| *m == n).map(|(_, r)| *r);
    let reference = cycles.iter().find(|c| c.cycle == reference_cycle);
    let last_voltage = cycles.iter().rev().find_map(|c| c.mean_discharge_voltage_v);
    KeyFigures {
        reference_cycle,
        initial_capacity_mah_g: reference.and_then(|c| c.discharge_capacity_mah_g),
        retention_pct: retention_at.iter().map(|&n| at(n)).collect(),
        cycle_at_80pct: curve.iter().find(|(_, r)| *r <= 80.0).map(|(n, _)| *n),
        mean_voltage_decay_v: reference
            .and_then(|c| c.mean_discharge_voltage_v)
            .zip(last_voltage)
            .map(|(first, last)| first - last),
        final_interface_resistance_ohm: cycles.last().and_then(|c| c.interface_resistance_ohm),
        cycles_run: cycles.len(),
    }
}

/// A case's curves against cycle, for comparison plots: from the reference cycle on.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseCurves {
    /// The case id (`axis=label,…`).
    pub label: String,
    /// Cycle numbers `n`, counted from the reference cycle (1 = the reference cycle).
    pub cycles: Vec<usize>,
    /// Capacity retention against the reference cycle \[%\] (NaN where undefined).
    pub retention_pct: Vec<f64>,
    /// Mean discharge voltage of the positive electrode vs Li/Li+ \[V\]: the cell's plus the
    /// counter electrode's open-circuit potential (NaN for a cycle without a discharge).
    pub mean_discharge_voltage_vs_li_v: Vec<f64>,
}

/// The curves of a case from its cycles; `counter_potential_v` \[V\] is the case's counter
/// electrode open-circuit potential vs Li/Li+.
pub fn case_curves(
    label: &str,
    cycles: &[CycleFigures],
    reference_cycle: usize,
    counter_potential_v: f64,
) -> CaseCurves {
    let curve = retention(cycles, reference_cycle);
    let kept: Vec<&CycleFigures> = cycles
        .iter()
        .filter(|c| c.cycle >= reference_cycle)
        .collect();
    CaseCurves {
        label: label.to_string(),
        cycles: kept.iter().map(|c| c.cycle + 1 - reference_cycle).collect(),
        retention_pct: kept
            .iter()
            .map(|c| {
                curve
                    .iter()
                    .find(|(n, _)| *n == c.cycle + 1 - reference_cycle)
                    .map_or(f64::NAN, |(_, r)| *r)
            })
            .collect(),
        mean_discharge_voltage_vs_li_v: kept
            .iter()
            .map(|c| {
                c.mean_discharge_voltage_v
                    .map_or(f64::NAN, |v| v + counter_potential_v)
            })
            .collect(),
    }
}

/// A CSV field, quoted when it holds a comma, a quote or a line break.
pub(crate) fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// A number in shortest round-trip form, or empty.
pub(crate) fn number(x: Option<f64>) -> String {
    x.map(|v| v.to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cycle(n: usize, ah: f64, v: f64, r: f64) -> CycleFigures {
        CycleFigures {
            cycle: n,
            discharge_capacity_ah: ah,
            discharge_capacity_mah_g: Some(ah * 1000.0),
            mean_discharge_voltage_v: Some(v),
            interface_resistance_ohm: Some(r),
        }
    }

    /// A reference cycle without a discharge (charge only) hands the 100 % on to the first
    /// cycle after it that delivered one, as in `summary.csv`.
    #[test]
    fn retention_hands_on_past_a_reference_cycle_without_discharge() {
        let cycles = [
            cycle(1, 0.30, 3.70, 10.0),
            cycle(2, 0.0, 3.60, 11.0),
            cycle(3, 0.25, 3.55, 12.0),
            cycle(4, 0.1875, 3.50, 13.0),
        ];
        let f = key_figures(&cycles, 2, &[1, 2, 3]);
        assert_eq!(f.retention_pct, [None, Some(100.0), Some(75.0)]);
        assert_eq!(f.cycle_at_80pct, Some(3));
        let c = case_curves("x", &cycles, 2, 0.0);
        assert_eq!(c.cycles, [1, 2, 3]);
        assert!(c.retention_pct[0].is_nan());
        assert_eq!(c.retention_pct[1..], [100.0, 75.0]);
        // The same numbers as summary.csv's rule, cycle by cycle.
        let mut rule = Retention::from_cycle(2);
        for (c, &got) in cycles[1..].iter().zip(&c.retention_pct) {
            rule.observe_discharge(c.cycle, c.discharge_capacity_ah);
            let expected = 100.0 * rule.of_discharge(c.cycle, c.discharge_capacity_ah);
            assert!(
                got == expected || (got.is_nan() && expected.is_nan()),
                "{c:?}"
            );
        }
    }

    #[test]
    fn figures_count_from_the_reference_cycle() {
        // Cycle 1 is formation (larger); the reference is cycle 2.
        let cycles = [
            cycle(1, 0.30, 3.70, 10.0),
            cycle(2, 0.20, 3.60, 11.0),
            cycle(3, 0.18, 3.55, 12.0),
            cycle(4, 0.16, 3.50, 13.0),
            cycle(5, 0.15, 3.45, 14.0),
        ];
        let f = key_figures(&cycles, 2, &[1, 3, 10]);
        assert_eq!(f.initial_capacity_mah_g, Some(200.0));
        assert_eq!(f.retention_pct[0], Some(100.0));
        assert!((f.retention_pct[1].unwrap() - 80.0).abs() < 1e-12);
        assert_eq!(f.retention_pct[2], None);
        assert_eq!(f.cycle_at_80pct, Some(3));
        assert!((f.mean_voltage_decay_v.unwrap() - 0.15).abs() < 1e-12);
        assert_eq!(f.final_interface_resistance_ohm, Some(14.0));
        assert_eq!(f.cycles_run, 5);
        let c = case_curves("x", &cycles, 2, 0.0);
        assert_eq!(c.cycles, [1, 2, 3, 4]);
        assert_eq!(c.retention_pct[0], 100.0);
        assert_eq!(c.mean_discharge_voltage_vs_li_v[3], 3.45);
        let li_in = case_curves("x", &cycles, 2, 0.62);
        assert!((li_in.mean_discharge_voltage_vs_li_v[3] - 4.07).abs() < 1e-12);
    }

    #[test]
    fn a_run_that_stopped_early_has_no_figures_past_its_end() {
        let f = key_figures(&[cycle(1, 0.3, 3.7, 10.0)], 4, &[1]);
        assert_eq!(f.initial_capacity_mah_g, None);
        assert_eq!(f.retention_pct, [None]);
        assert_eq!(f.cycle_at_80pct, None);
        assert_eq!(f.mean_voltage_decay_v, None);
        assert_eq!(f.cycles_run, 1);
        assert!(case_curves("x", &[], 1, 0.0).cycles.is_empty());
    }

    #[test]
    fn cycles_are_read_by_column_name() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read_cycles(dir.path()).unwrap().is_empty());
        // As a spreadsheet saves it: a byte order mark, quoted names, CRLF line ends.
        let text = "\u{feff}\"cycle\",\"discharge_capacity_Ah\",\"discharge_capacity_mAh_g\",\"mean_discharge_voltage_V\",\"interface_resistance_ohm\"\r\n1,0.3,300,3.7,\r\n2,0.2,200,3.6,11\r\n";
        std::fs::write(dir.path().join(SUMMARY_FILE), text).unwrap();
        let cycles = read_cycles(dir.path()).unwrap();
        assert_eq!(cycles[1], cycle(2, 0.2, 3.6, 11.0));
        assert_eq!(cycles[0].interface_resistance_ohm, None);
        std::fs::write(
            dir.path().join(SUMMARY_FILE),
            "cycle,discharge_capacity_Ah\n",
        )
        .unwrap();
        let e = read_cycles(dir.path()).unwrap_err().to_string();
        assert!(e.contains("no column `discharge_capacity_mAh_g`"), "{e}");
        let text = "# note\ncycle,discharge_capacity_Ah,discharge_capacity_mAh_g,mean_discharge_voltage_V,interface_resistance_ohm\n1,0.3,,,\n2,x,,,\n";
        std::fs::write(dir.path().join(SUMMARY_FILE), text).unwrap();
        let e = read_cycles(dir.path()).unwrap_err().to_string();
        assert!(
            e.contains("summary.csv, line 4: column 2: expected a number, found `x`"),
            "{e}"
        );
    }

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        assert_eq!(csv_field("a=1,b=2"), "\"a=1,b=2\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(number(None), "");
        assert_eq!(number(Some(0.5)), "0.5");
    }
}
