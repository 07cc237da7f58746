//! The comparison figures of a sweep's output folder (run, sharded or merged): retention and
//! mean discharge voltage against cycle for every case, and for each swept axis a figure of
//! merit against that axis's points ([`crate::figures::sweep`]): the retention
//! (`sweep_merit_<axis>`) and the final interface resistance (`sweep_resistance_<axis>`).
//!
//! The retention is the capacity retention at the last cycle of `outputs.retention_at`
//! (counted from the reference cycle), or without it at each case's last cycle. On an axis of
//! numbers the cases are plotted against the values; on an axis of named cases against the
//! names. Cases that differ on other axes are drawn as separate groups (one line each).

use std::path::{Path, PathBuf};

use super::run::{read_record, sweep_results};
use super::SweepError;
use crate::figures::{
    plot_figure_of_merit, plot_sweep_mean_voltage, plot_sweep_retention, FigureError, MeritFigure,
    SweepAxis, SweepCurve,
};

/// Writes the figures of the sweep in `dir` into `dir` (PNG and SVG) and returns their paths.
/// Cases without any cycle (failed at once, or missing) are left out; with none left, nothing
/// is drawn.
pub fn write_sweep_figures(dir: &Path) -> Result<Vec<PathBuf>, SweepError> {
    let record = read_record(dir)?;
    let results = sweep_results(dir)?;
    let plotted: Vec<_> = results
        .iter()
        .filter(|(_, curves)| !curves.cycles.is_empty())
        .collect();
    if plotted.is_empty() {
        return Ok(Vec::new());
    }
    let failed = |error: FigureError| SweepError::Figures {
        dir: dir.to_path_buf(),
        error,
    };
    let curves: Vec<SweepCurve> = plotted
        .iter()
        .map(|(summary, c)| SweepCurve {
            label: summary.id.clone(),
            cycles: c.cycles.clone(),
            retention_percent: c.retention_pct.clone(),
            mean_discharge_voltage_vs_li_v: c.mean_discharge_voltage_vs_li_v.clone(),
        })
        .collect();
    let mut paths = plot_sweep_retention(dir, &curves).map_err(failed)?;
    paths.extend(plot_sweep_mean_voltage(dir, &curves).map_err(failed)?);

    // The merit of each case: retention at the last requested cycle, else at its last cycle.
    let header = &record.sweep;
    let (merit_name, merits): (String, Vec<f64>) = match header.retention_at.last() {
        Some(&n) => (
            format!("Retention at cycle {n}"),
            plotted
                .iter()
                .map(|(s, _)| {
                    s.figures
                        .retention_pct
                        .last()
                        .copied()
                        .flatten()
                        .unwrap_or(f64::NAN)
                })
                .collect(),
        ),
        None => (
            "Retention at the last cycle".to_string(),
            plotted
                .iter()
                .map(|(_, c)| {
                    c.retention_pct
                        .iter()
                        .rev()
                        .copied()
                        .find(|v| v.is_finite())
                        .unwrap_or(f64::NAN)
                })
                .collect(),
        ),
    };
    let resistances: Vec<f64> = plotted
        .iter()
        .map(|(s, _)| s.figures.final_interface_resistance_ohm.unwrap_or(f64::NAN))
        .collect();
    for (k, axis) in header.axes.iter().enumerate() {
        let labels: Vec<String> = plotted.iter().map(|(s, _)| s.labels[k].clone()).collect();
        let mut distinct = labels.clone();
        distinct.sort();
        distinct.dedup();
        if distinct.len() < 2 {
            continue;
        }
        let numbers: Option<Vec<f64>> = labels.iter().map(|l| l.parse::<f64>().ok()).collect();
        let groups: Vec<String> = plotted
            .iter()
            .map(|(s, _)| {
                s.labels
                    .iter()
                    .zip(&header.axes)
                    .enumerate()
                    .filter(|(j, _)| *j != k)
                    .map(|(_, (l, a))| format!("{a}={l}"))
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect();
        let axis_points = match numbers {
            Some(values) => SweepAxis::Numeric(values),
            None => SweepAxis::Named(labels),
        };
        let groups = groups.iter().any(|g| !g.is_empty()).then_some(groups);
        for (stem, name, unit, values) in [
            ("sweep_merit", merit_name.as_str(), "%", &merits),
            (
                "sweep_resistance",
                "Final interface resistance",
                "Ω",
                &resistances,
            ),
        ] {
            let figure = MeritFigure {
                parameter: axis.clone(),
                axis: axis_points.clone(),
                merit_name: name.to_string(),
                merit_unit: unit.to_string(),
                values: values.clone(),
                groups: groups.clone(),
            };
            let stem = format!("{stem}_{}", sanitise(axis));
            match plot_figure_of_merit(dir, &stem, &figure) {
                Ok(p) => paths.extend(p),
                // No finite value on this axis (every case short of the cycle): no figure.
                Err(FigureError::NoData { .. }) => {}
                Err(e) => return Err(failed(e)),
            }
        }
    }
    Ok(paths)
}

/// A file-name part: letters, digits, `.`, `_`, `-` kept, the rest `_`.
fn sanitise(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect()
}
