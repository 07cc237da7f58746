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

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Comparison, ComparisonKind, SimulatedRun, ValidationSpec};
use crate::measured::Direction;
use crate::output::plots::{
    axis_range, cycle_formatter, draw_marked_legend, draw_mesh, ensure_font, finite_bounds, font,
    msg, write_figure, Figure, PlotError, TITLE_SIZE,
};
use crate::output::sweep_plots::PALETTE;

/// File stems of the four figures.
pub const VALIDATION_PLOTS: [&str; 4] = [
    "validation_capacity",
    "validation_efficiency",
    "validation_mean_voltage",
    "validation_voltage_capacity",
];

/// A series of a figure: its legend label, colour and (x, y) points.
type Series = (String, RGBColor, Vec<(f64, f64)>);

/// How the measured points of a comparison go on a figure (None: not on this one).
type MarkerMap<'a> = &'a dyn Fn(&Comparison, &SimulatedRun) -> Option<Vec<(f64, f64)>>;

/// One figure: simulated lines and measured markers.
struct Overlay {
    title: String,
    x_desc: &'static str,
    y_desc: &'static str,
    cycles_on_x: bool,
    /// (label, colour, points) drawn as lines; NaN breaks a line.
    lines: Vec<Series>,
    /// (label, colour, points) drawn as markers.
    markers: Vec<Series>,
    note: Option<String>,
}

impl Overlay {
    fn has_data(&self) -> bool {
        self.lines
            .iter()
            .chain(&self.markers)
            .flat_map(|(_, _, p)| p)
            .any(|p| p.0.is_finite() && p.1.is_finite())
    }
}

impl Figure for Overlay {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let root = root
            .margin(8, 0, 0, 0)
            .titled(&self.title, font(TITLE_SIZE))
            .map_err(msg)?;
        let (chart_area, legend_area) = root.split_horizontally(root.dim_in_pixel().0 * 72 / 100);
        let all = || {
            self.lines
                .iter()
                .chain(&self.markers)
                .flat_map(|(_, _, p)| p.iter().copied())
        };
        let x_range = axis_range(finite_bounds(all().map(|p| p.0)), 0.02, 0.0..1.0);
        let y_range = axis_range(finite_bounds(all().map(|p| p.1)), 0.06, 0.0..1.0);
        let mut chart = ChartBuilder::on(&chart_area)
            .margin(20)
            .x_label_area_size(70)
            .y_label_area_size(110)
            .build_cartesian_2d(x_range.clone(), y_range.clone())
            .map_err(msg)?;
        let x_format = crate::output::plots::tick_formatter(&x_range, 8);
        let x_format: &dyn Fn(&f64) -> String = if self.cycles_on_x {
            &cycle_formatter
        } else {
            &x_format
        };
        draw_mesh(
            &mut chart,
            (self.x_desc, self.y_desc),
            8,
            x_format,
            &y_range,
            8,
        )?;
        let mut legend: Vec<(String, RGBColor, bool)> = Vec::new();
        for (label, colour, points) in &self.lines {
            for piece in points.split(|p| !(p.0.is_finite() && p.1.is_finite())) {
                if piece.len() > 1 {
                    // Width 2, as the other figures: plotters' bitmap backend draws a nearly
                    // vertical segment of a 3 px line across the whole image.
                    chart
                        .draw_series(LineSeries::new(
                            piece.iter().copied(),
                            ShapeStyle::from(colour).stroke_width(2),
                        ))
                        .map_err(msg)?;
                }
            }
            legend.push((label.clone(), *colour, false));
        }
        for (label, colour, points) in &self.markers {
            let finite = points
                .iter()
                .copied()
                .filter(|p| p.0.is_finite() && p.1.is_finite());
            let size = if points.len() > 200 { 3 } else { 7 };
            chart
                .draw_series(finite.map(|p| {
                    EmptyElement::at(p)
                        + Circle::new((0, 0), size, ShapeStyle::from(BLACK).stroke_width(2))
                        + Circle::new((0, 0), size - 1, colour.mix(0.6).filled())
                }))
                .map_err(msg)?;
            legend.push((label.clone(), *colour, true));
        }
        draw_marked_legend(&legend_area, &legend)?;
        if let Some(note) = &self.note {
            let (w, h) = legend_area.dim_in_pixel();
            let y0 = 60 + 34 * legend.len() as i32;
            let style = font(20.0);
            for (k, line) in wrap(note, (w as usize).saturating_sub(20) / 10)
                .iter()
                .enumerate()
            {
                let y = y0 + 26 * k as i32;
                if y < h as i32 {
                    legend_area
                        .draw(&Text::new(line.clone(), (10, y), style.clone()))
                        .map_err(msg)?;
                }
            }
        }
        Ok(())
    }
}

/// `text` cut into lines of at most `width` characters at spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match lines.last_mut() {
            Some(l) if l.chars().count() + 1 + word.chars().count() <= width.max(10) => {
                l.push(' ');
                l.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    lines
}

/// The colour of run `run`: the qualitative palette of the sweep figures, in turn.
fn colour_of(run: usize) -> RGBColor {
    PALETTE[run % PALETTE.len()]
}

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
) -> Result<Vec<PathBuf>, PlotError> {
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
    ensure_font()?;
    let mut written = Vec::new();
    for (stem, figure) in
        VALIDATION_PLOTS
            .iter()
            .zip([&capacity, &efficiency, &mean_voltage, &curves])
    {
        if figure.has_data() {
            written.extend(write_figure(dir, stem, figure)?);
        }
    }
    Ok(written)
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

/// `base` lightened a little for the n-th curve of the figure, so that curves of one run stay
/// apart.
fn shade_of(base: RGBColor, n: usize) -> RGBColor {
    let t = (n % 4) as f64 * 0.18;
    let mix = |c: u8| (c as f64 + (255.0 - c as f64) * t).round() as u8;
    RGBColor(mix(base.0), mix(base.1), mix(base.2))
}
