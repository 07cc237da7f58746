//! The figures of a validation (`asslb validate`): measured data as markers over the
//! simulated runs as lines, as PNG and SVG.
//!
//! 1. `validation_capacity`: discharge capacity \[mA·h/g\] against the run's cycle;
//! 2. `validation_efficiency`: coulombic efficiency \[%\] against cycle;
//! 3. `validation_mean_voltage`: mean discharge voltage \[V\] against cycle;
//! 4. `validation_voltage_capacity`: cell voltage against capacity \[mA·h/g\] for the cycles
//!    with measured curves (or, without any, the cycles of the target points).
//!
//! Each run has its colour; measured data take the colour of the run they are compared with.
//! Targets given as a retention or a voltage decay are drawn relative to the simulated value
//! at their reference cycle (the figure says so). A figure with no data is not written.
//!
//! This module turns runs and comparisons into the plain [`Overlay`]s that
//! [`crate::figures::validation`] draws.

use std::path::{Path, PathBuf};

use super::{Comparison, ComparisonKind, SimulatedRun, ValidationSpec};
use crate::figures::validation::{
    run_colour as colour_of, shade_of, write_overlays, Overlay, Series,
};
use crate::figures::FigureError;
use crate::measured::Direction;

/// File stems of the four figures.
pub const VALIDATION_PLOTS: [&str; 4] = [
    "validation_capacity",
    "validation_efficiency",
    "validation_mean_voltage",
    "validation_voltage_capacity",
];

/// How the measured points of a comparison go on a figure (None: not on this one).
type MarkerMap<'a> = &'a dyn Fn(&Comparison, &SimulatedRun) -> Option<Vec<(f64, f64)>>;

/// The simulated per-cycle line of `column` for each run, scaled by `scale`.
fn run_lines(runs: &[SimulatedRun], column: &str, scale: f64) -> Vec<Series> {
    runs.iter()
        .enumerate()
        .map(|(k, r)| {
            let points = r
                .cycles
                .iter()
                .map(|c| {
                    let v = r.column(c.cycle, column, None).unwrap_or(f64::NAN);
                    (c.cycle as f64, scale * v)
                })
                .collect();
            (format!("{} (simulated)", r.label), colour_of(k), points)
        })
        .collect()
}

/// The measured markers of the comparisons whose quantity `map` takes to the figure's y
/// (given the comparison and the simulated run), grouped by run.
fn measured_markers(
    spec: &ValidationSpec,
    runs: &[SimulatedRun],
    comparisons: &[Comparison],
    map: MarkerMap<'_>,
) -> Vec<Series> {
    let mut out = Vec::new();
    for (k, run) in runs.iter().enumerate() {
        let points: Vec<(f64, f64)> = comparisons
            .iter()
            .filter(|c| c.run == run.label)
            .filter_map(|c| map(c, run))
            .flatten()
            .collect();
        if !points.is_empty() {
            let label = format!("{} (measured)", spec.runs[k].label);
            out.push((label, colour_of(k), points));
        }
    }
    out
}

/// Writes the four figures of a validation into `dir` (which must exist); returns the paths.
/// A figure without data is left out.
pub fn write_validation_figures(
    dir: &Path,
    spec: &ValidationSpec,
    runs: &[SimulatedRun],
    comparisons: &[Comparison],
) -> Result<Vec<PathBuf>, FigureError> {
    let capacity = Overlay {
        title: format!("Discharge capacity: {}", spec.name),
        x_desc: "Cycle",
        y_desc: "Discharge capacity (mAh/g)",
        cycles_on_x: true,
        lines: run_lines(runs, "discharge_capacity_mAh_g", 1.0),
        markers: measured_markers(spec, runs, comparisons, &|c, run| match (c.kind, c.quantity.as_str()) {
            (_, "discharge_capacity_mAh_g") => Some(c.series.iter().map(|p| (p.0, p.1)).collect()),
            (ComparisonKind::Point, "capacity_retention_percent") => {
                let r = c.reference_cycle?;
                let q0 = run.column(r, "discharge_capacity_mAh_g", None)?;
                Some(vec![(c.series[0].0, q0 * c.measured / 100.0)])
            }
            (ComparisonKind::Cycles, "capacity_retention") => {
                let first = c.series.first()?.0 as usize;
                let q0 = run.column(first, "discharge_capacity_mAh_g", None)?;
                Some(c.series.iter().map(|p| (p.0, q0 * p.1)).collect())
            }
            _ => None,
        }),
        note: Some("Retention targets are drawn as that share of the simulated capacity of their reference cycle.".into()),
    };
    let efficiency = Overlay {
        title: format!("Coulombic efficiency: {}", spec.name),
        x_desc: "Cycle",
        y_desc: "Coulombic efficiency (%)",
        cycles_on_x: true,
        lines: run_lines(runs, "coulombic_efficiency", 100.0),
        markers: measured_markers(spec, runs, comparisons, &|c, _| match c.quantity.as_str() {
            "coulombic_efficiency_percent" => Some(c.series.iter().map(|p| (p.0, p.1)).collect()),
            "coulombic_efficiency" => Some(c.series.iter().map(|p| (p.0, 100.0 * p.1)).collect()),
            _ => None,
        }),
        note: None,
    };
    let mean_voltage = Overlay {
        title: format!("Mean discharge voltage: {}", spec.name),
        x_desc: "Cycle",
        y_desc: "Mean discharge voltage (V)",
        cycles_on_x: true,
        lines: run_lines(runs, "mean_discharge_voltage_V", 1.0),
        markers: measured_markers(spec, runs, comparisons, &|c, run| match c.quantity.as_str() {
            "mean_discharge_voltage_V" => Some(c.series.iter().map(|p| (p.0, p.1)).collect()),
            "mean_discharge_voltage_decay_mV" => {
                let r = c.reference_cycle?;
                let v0 = run.column(r, "mean_discharge_voltage_V", None)?;
                Some(vec![(c.series[0].0, v0 - c.measured / 1000.0)])
            }
            _ => None,
        }),
        note: Some("Voltage-decay targets are drawn below the simulated mean voltage of their reference cycle.".into()),
    };
    let curves = voltage_capacity(&spec.name, runs, comparisons);
    let [a, b, c, d] = VALIDATION_PLOTS;
    write_overlays(
        dir,
        &[
            (a, &capacity),
            (b, &efficiency),
            (c, &mean_voltage),
            (d, &curves),
        ],
    )
}

/// Figure 4: the measured curves over the simulated ones of the same cycles; without measured
/// curves, the simulated curves of the cycles recorded (those of the target points). Legend
/// entries read `<run> <cycle> ch|dis` (charge, discharge).
fn voltage_capacity(name: &str, runs: &[SimulatedRun], comparisons: &[Comparison]) -> Overlay {
    let mut lines = Vec::new();
    let mut markers = Vec::new();
    let measured: Vec<&Comparison> = comparisons
        .iter()
        .filter(|c| c.kind == ComparisonKind::Curve)
        .collect();
    let mut shade = 0usize;
    for (k, run) in runs.iter().enumerate() {
        for &cycle in run.rows.keys() {
            for direction in [Direction::Charge, Direction::Discharge] {
                let curve = run.curve(cycle, direction);
                if curve.len() < 2 {
                    continue;
                }
                let colour = shade_of(colour_of(k), shade);
                shade += 1;
                lines.push((
                    format!(
                        "{} {cycle} {}",
                        run.label,
                        match direction {
                            Direction::Charge => "ch",
                            Direction::Discharge => "dis",
                        }
                    ),
                    colour,
                    curve,
                ));
                let quantity = format!("voltage_V ({})", direction.name());
                for c in measured.iter().filter(|c| {
                    c.run == run.label && c.cycles == cycle.to_string() && c.quantity == quantity
                }) {
                    markers.push((
                        format!("{} (measured)", c.id),
                        colour,
                        c.series.iter().map(|p| (p.0, p.1)).collect(),
                    ));
                }
            }
        }
    }
    // Keep the legend readable: at most 12 simulated curves.
    lines.truncate(12);
    Overlay {
        title: format!("Voltage against capacity: {name}"),
        x_desc: "Capacity (mAh/g)",
        y_desc: "Cell voltage (V)",
        cycles_on_x: false,
        lines,
        markers,
        note: None,
    }
}
