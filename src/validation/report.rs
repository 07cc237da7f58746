//! The verdicts as text: the table printed by `asslb validate`, `comparison.csv` and
//! `report.md`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::measured::ToleranceKind;

use super::compare::Comparison;
use super::simulated::SimulatedRun;
use super::spec::{Tolerance, ValidationSpec};
use super::ValidationError;

/// File name of the comparisons.
pub const COMPARISON_FILE: &str = "comparison.csv";
/// File name of the report.
pub const REPORT_FILE: &str = "report.md";

/// A value with the decimals its size needs (4 significant digits, at most 2 decimals from 1
/// up); `—` for NaN.
pub fn format_value(v: f64) -> String {
    if !v.is_finite() {
        return "—".into();
    }
    let a = v.abs();
    if a >= 100.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else if a == 0.0 {
        "0".into()
    } else {
        let decimals = (3 - a.log10().floor() as i32).clamp(0, 12) as usize;
        format!("{v:.decimals$}")
    }
}

/// The error of `c` with its unit and, for a series, its criterion: `+2.2 %`, `rms 0.8 pt`.
pub fn format_error(c: &Comparison) -> String {
    let e = format_signed(c.error, &c.tolerance, &c.unit);
    match c.criterion {
        Some(k) => format!("{} {e}", k.as_str()),
        None => e,
    }
}

fn format_signed(v: f64, t: &Tolerance, unit: &str) -> String {
    if !v.is_finite() {
        return "—".into();
    }
    let number = if v.abs() >= 10.0 {
        format!("{v:+.1}")
    } else {
        format!("{v:+.2}")
    };
    match t.kind {
        ToleranceKind::Percent => format!("{number} %"),
        ToleranceKind::Points => format!("{number} pt"),
        ToleranceKind::Absolute => format!("{number} {unit}"),
    }
}

/// The prediction band of `c` in the error's terms (`± 1.3 %`), or `—` without one.
pub fn format_band(c: &Comparison) -> String {
    match c.prediction_std {
        Some(v) if v.is_finite() => {
            let number = if v >= 10.0 {
                format!("{v:.1}")
            } else {
                format!("{v:.2}")
            };
            let unit = match c.tolerance.kind {
                ToleranceKind::Percent => "%",
                ToleranceKind::Points => "pt",
                ToleranceKind::Absolute => c.unit.as_str(),
            };
            format!("± {number} {unit}")
        }
        Some(_) => "± ∞".into(),
        None => "—".into(),
    }
}

/// Whether any comparison has a prediction band (the tables then show a column of them).
fn has_bands(comparisons: &[Comparison]) -> bool {
    comparisons.iter().any(|c| c.prediction_std.is_some())
}

fn verdict(c: &Comparison) -> &'static str {
    if c.pass {
        "pass"
    } else {
        "FAIL"
    }
}

/// The comparison table as cells: the column titles, which columns hold numbers, and one row
/// of text per comparison (id, quantity, run, cycles, measured, simulated, error, the band of a
/// fit when any comparison has one, tolerance, verdict, conditions). The terminal table and the
/// HTML report lay it out.
#[derive(Debug, Clone, PartialEq)]
pub struct ComparisonGrid {
    /// The column titles.
    pub header: Vec<&'static str>,
    /// Whether each column holds numbers (aligned right).
    pub numeric: Vec<bool>,
    /// One row per comparison, in their order.
    pub rows: Vec<Vec<String>>,
    /// The column of the verdict (`pass` or `FAIL`).
    pub verdict_column: usize,
}

/// The cells of the comparison table of `comparisons` ([`ComparisonGrid`]).
pub fn comparison_grid(comparisons: &[Comparison]) -> ComparisonGrid {
    let bands = has_bands(comparisons);
    let mut header = vec![
        "id",
        "quantity",
        "run",
        "cycles",
        "measured",
        "simulated",
        "error",
    ];
    let mut numeric = vec![false, false, false, false, true, true, true];
    if bands {
        header.push("± 1σ (fit)");
        numeric.push(true);
    }
    header.extend(["tolerance", "result", "conditions"]);
    numeric.extend([true, false, false]);
    let rows: Vec<Vec<String>> = comparisons
        .iter()
        .map(|c| {
            let mut row = vec![
                c.id.clone(),
                format!("{} [{}]", c.quantity, c.unit),
                c.run.clone(),
                c.cycles.clone(),
                format_value(c.measured),
                format_value(c.simulated),
                format_error(c),
            ];
            if bands {
                row.push(format_band(c));
            }
            row.extend([
                c.tolerance.describe(&c.unit),
                verdict(c).into(),
                c.conditions.clone(),
            ]);
            row
        })
        .collect();
    ComparisonGrid {
        verdict_column: header.len() - 2,
        header,
        numeric,
        rows,
    }
}

/// How many of `comparisons` are within tolerance, in words: `3 of 4 within tolerance; 1 out
/// of tolerance`.
pub fn tally_line(comparisons: &[Comparison]) -> String {
    let failed = comparisons.iter().filter(|c| !c.pass).count();
    format!(
        "{} of {} within tolerance{}",
        comparisons.len() - failed,
        comparisons.len(),
        if failed > 0 {
            format!("; {failed} out of tolerance")
        } else {
            String::new()
        }
    )
}

/// The table of `comparisons` for a terminal: id, quantity, run, cycles, measured, simulated,
/// error, tolerance, verdict and conditions, one line each, columns aligned.
pub fn comparison_table(comparisons: &[Comparison]) -> String {
    let ComparisonGrid {
        header,
        numeric,
        rows,
        ..
    } = comparison_grid(comparisons);
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in &rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| -> String {
        let mut s = String::new();
        for (k, cell) in cells.iter().enumerate() {
            let pad = widths[k].saturating_sub(cell.chars().count());
            if k + 1 == cells.len() {
                s.push_str(cell);
            } else if numeric[k] {
                let _ = write!(s, "{}{cell}  ", " ".repeat(pad));
            } else {
                let _ = write!(s, "{cell}{}  ", " ".repeat(pad));
            }
        }
        s.trim_end().to_string()
    };
    let header: Vec<String> = header.into_iter().map(String::from).collect();
    let mut out = line(&header);
    out.push('\n');
    for r in &rows {
        out.push_str(&line(r));
        out.push('\n');
    }
    let _ = writeln!(out, "{}", tally_line(comparisons));
    out
}

/// A CSV field, quoted when needed.
fn field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

fn number(v: f64) -> String {
    if v.is_finite() {
        format!("{v}")
    } else {
        String::new()
    }
}

/// Writes `<dir>/comparison.csv` (atomically: a temporary file renamed): one row per
/// comparison with `id, kind, quantity, unit, run, cycles, measured, simulated, error,
/// error_kind, tolerance, tolerance_kind, criterion, pass, points, conditions, source,
/// prediction_std` (the band of a fit in the error's terms, empty without one).
pub fn write_comparisons_csv(
    dir: &Path,
    comparisons: &[Comparison],
) -> Result<PathBuf, ValidationError> {
    let mut text = String::from(
        "id,kind,quantity,unit,run,cycles,measured,simulated,error,tolerance,tolerance_kind,criterion,pass,points,conditions,source,prediction_std\n",
    );
    for c in comparisons {
        let kind = match c.kind {
            super::ComparisonKind::Point => "point",
            super::ComparisonKind::Cycles => "cycles",
            super::ComparisonKind::Curve => "curve",
        };
        let _ = writeln!(
            text,
            "{},{kind},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            field(&c.id),
            field(&c.quantity),
            field(&c.unit),
            field(&c.run),
            field(&c.cycles),
            number(c.measured),
            number(c.simulated),
            number(c.error),
            c.tolerance.value,
            c.tolerance.kind.as_str(),
            c.criterion.map_or("", |k| k.as_str()),
            c.pass,
            c.residuals.len(),
            field(&c.conditions),
            field(&c.source),
            c.prediction_std.map(number).unwrap_or_default(),
        );
    }
    let path = dir.join(COMPARISON_FILE);
    write_atomically(&path, &text)?;
    Ok(path)
}

/// Writes `text` to `path` through a temporary file in the same folder, renamed over it: a
/// reader never sees half a file, and a failure leaves an existing file as it was.
pub fn write_atomically(path: &Path, text: &str) -> Result<(), ValidationError> {
    let tmp = path.with_extension("tmp");
    let fail = |source| ValidationError::Output {
        path: path.to_path_buf(),
        source,
    };
    std::fs::write(&tmp, text).map_err(fail)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        fail(e)
    })
}

/// The comparisons as a Markdown table (the README shows this one).
pub fn markdown_table(comparisons: &[Comparison]) -> String {
    let bands = has_bands(comparisons);
    let mut out = if bands {
        String::from(
            "| id | quantity | run | cycles | measured | simulated | error | ± 1σ (fit) | tolerance | result | conditions |\n|---|---|---|---|---:|---:|---:|---:|---:|---|---|\n",
        )
    } else {
        String::from(
            "| id | quantity | run | cycles | measured | simulated | error | tolerance | result | conditions |\n|---|---|---|---|---:|---:|---:|---:|---|---|\n",
        )
    };
    for c in comparisons {
        let band = if bands {
            format!(" {} |", format_band(c))
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "| {} | {} [{}] | {} | {} | {} | {} | {} |{band} {} | {} | {} |",
            c.id,
            c.quantity,
            c.unit,
            c.run,
            c.cycles,
            format_value(c.measured),
            format_value(c.simulated),
            format_error(c),
            c.tolerance.describe(&c.unit),
            if c.pass { "pass" } else { "**FAIL**" },
            c.conditions.replace('|', "/"),
        );
    }
    out
}

/// What the error column of the comparison table means (both reports say it).
pub const ERROR_NOTE: &str = "Error: the simulated minus the measured value, in percent of the measured value (`%`), in percentage points (`pt`) or in the quantity's unit, as its tolerance is given. A series (per-cycle column, voltage curve) is judged by the root-mean-square (`rms`) or the largest (`max`) deviation of its points; its measured and simulated columns show the point of the largest deviation. Retentions and voltage decays are relative to the reference cycle shown in brackets.";

/// What the band column of the comparison table means, when there is one.
pub const BANDS_NOTE: &str = "± 1σ (fit): the standard uncertainty of the simulated value propagated from the covariance of the fitted parameters (linearised), in the error's terms; for a series, the root mean square over its points.";

/// What the validation figures show.
pub const FIGURES_NOTE: &str = "Measured data (markers) over the simulated runs (lines). Target retentions and voltage decays are drawn relative to the simulated reference cycle.";

/// The column titles of [`run_rows`].
pub const RUN_COLUMNS: [&str; 7] = [
    "run",
    "scenario",
    "cycles",
    "resolved",
    "solver steps",
    "wall time",
    "status",
];

/// One row per run of `spec` ([`RUN_COLUMNS`]): label, scenario (its file, or its name), cycles
/// of the experiment, cycles resolved, solver steps, wall time, and `finished` or `failed: <why>`
/// on one line.
pub fn run_rows(spec: &ValidationSpec, runs: &[SimulatedRun]) -> Vec<[String; 7]> {
    spec.runs
        .iter()
        .zip(runs)
        .map(|(r, run)| {
            let scenario = r
                .scenario
                .path
                .as_ref()
                .map_or_else(|| r.scenario.name.clone(), |p| p.display().to_string());
            let (steps, wall) =
                run.summary
                    .as_ref()
                    .map_or((String::from("—"), String::from("—")), |s| {
                        (
                            s.solver_steps.to_string(),
                            format!("{:.2} s", s.wall_time_s),
                        )
                    });
            [
                r.label.clone(),
                scenario,
                r.scenario.experiment.cycles().to_string(),
                run.cycles.len().to_string(),
                steps,
                wall,
                run.error.as_ref().map_or_else(
                    || "finished".to_string(),
                    |e| format!("failed: {}", e.replace('\n', " ")),
                ),
            ]
        })
        .collect()
}

/// The sources of `comparisons`, each once, sorted.
pub fn sources(comparisons: &[Comparison]) -> Vec<String> {
    let mut sources: Vec<String> = comparisons.iter().map(|c| c.source.clone()).collect();
    sources.sort();
    sources.dedup();
    sources
}

/// What the reports of a validation (`report.md`, `report.html`) are made of.
#[derive(Debug, Clone, Copy)]
pub struct ReportContent<'a> {
    /// The validation.
    pub spec: &'a ValidationSpec,
    /// Its runs, in the order of the validation file.
    pub runs: &'a [SimulatedRun],
    /// Every comparison, in the order of the table.
    pub comparisons: &'a [Comparison],
    /// The figures written (PNG and SVG).
    pub figures: &'a [PathBuf],
    /// Wall time of the runs \[s\].
    pub wall_time_s: f64,
    /// Why the validation file's prediction bands are not shown, if they are not.
    pub bands_note: Option<&'a str>,
}

/// Writes `<dir>/report.md` (atomically): what was validated, the table, the runs (scenario,
/// cycles, solver steps, wall time, any failure), the figures and the sources.
pub fn write_report(dir: &Path, content: &ReportContent<'_>) -> Result<PathBuf, ValidationError> {
    let ReportContent {
        spec,
        runs,
        comparisons,
        figures,
        wall_time_s,
        bands_note,
    } = *content;
    let mut md = String::new();
    let failed = comparisons.iter().filter(|c| !c.pass).count();
    let _ = writeln!(md, "# Validation `{}`\n", spec.name);
    if !spec.description.is_empty() {
        let _ = writeln!(md, "{}\n", spec.description.trim());
    }
    let _ = writeln!(
        md,
        "Validation file: `{}`. **{} of {} comparisons within tolerance**{}. Runs: {:.1} s wall time.\n",
        spec.path.display(),
        comparisons.len() - failed,
        comparisons.len(),
        if failed > 0 {
            format!(", {failed} out of tolerance")
        } else {
            String::new()
        },
        wall_time_s
    );
    let _ = writeln!(md, "{ERROR_NOTE}\n");
    if has_bands(comparisons) {
        let _ = writeln!(md, "{BANDS_NOTE}\n");
    }
    if let Some(note) = bands_note {
        let _ = writeln!(md, "Note: {note}.\n");
    }
    md.push_str(&markdown_table(comparisons));
    md.push_str("\n## Runs\n\n| run | scenario | cycles | resolved | solver steps | wall time | status |\n|---|---|---:|---:|---:|---:|---|\n");
    for row in run_rows(spec, runs) {
        let [label, scenario, cycles, resolved, steps, wall, status] = row;
        let status = match status.strip_prefix("failed") {
            Some(rest) => format!("**failed**{rest}"),
            None => status,
        };
        let _ = writeln!(
            md,
            "| {label} | `{scenario}` | {cycles} | {resolved} | {steps} | {wall} | {status} |"
        );
    }
    md.push_str("\nEach run's per-cycle figures: `runs/<run>/summary.csv`. Every comparison: `comparison.csv`.\n");
    if !figures.is_empty() {
        let _ = writeln!(md, "\n## Figures\n\n{FIGURES_NOTE}\n");
        for f in figures
            .iter()
            .filter(|f| f.extension().is_some_and(|e| e == "png"))
        {
            if let Some(name) = f.file_name() {
                let name = name.to_string_lossy();
                let _ = writeln!(md, "![{name}]({name})\n");
            }
        }
    }
    md.push_str("\n## Sources\n\n");
    for s in sources(comparisons) {
        let _ = writeln!(md, "- {s}");
    }
    let path = dir.join(REPORT_FILE);
    write_atomically(&path, &md)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_keep_four_significant_digits() {
        assert_eq!(format_value(224.94), "224.9");
        assert_eq!(format_value(3.456), "3.46");
        assert_eq!(format_value(0.99687), "0.9969");
        assert_eq!(format_value(f64::NAN), "—");
    }

    #[test]
    fn csv_fields_with_commas_are_quoted() {
        assert_eq!(field("60 °C, 0.1C"), "\"60 °C, 0.1C\"");
        assert_eq!(field("a \"b\""), "\"a \"\"b\"\"\"");
        assert_eq!(field("plain"), "plain");
    }
}
