//! The comparison figures of a parameter sweep, as PNG and SVG, with the fonts, backends and
//! helpers of [`super::text`] and [`super::frame`]. Plain data in, files out; the sweep runner
//! gathers the data.
//!
//! 1. `sweep_retention.{png,svg}` ([`plot_sweep_retention`]): capacity retention in % against
//!    cycle number, every case overlaid, with a legend by case label;
//! 2. `sweep_mean_voltage.{png,svg}` ([`plot_sweep_mean_voltage`]): capacity-weighted mean
//!    discharge voltage in V against cycle number, likewise;
//! 3. `<stem>.{png,svg}` ([`plot_figure_of_merit`]): one figure of merit (a [`MeritFigure`])
//!    against one swept parameter, numeric (lines with markers, the parameter on the x axis,
//!    logarithmic when its values span two decades or more) or named cases (a categorical x
//!    axis, markers only), one series per group of the other swept parameters.
//!
//! **Many cases.** Series take the ten colours of a qualitative palette in turn; from the
//! eleventh on, the colours repeat with another marker shape (circle, triangle, square,
//! cross), so forty series stay apart. The legend sits beside the chart, as wide as its
//! longest label allows (at most [`MAX_LEGEND_FRACTION`] of the figure's width, longer labels
//! cut with "…"); with many entries its font shrinks, down to [`MIN_LEGEND_SIZE`] px, and what
//! still does not fit is summed up in a last entry "… N more".
//!
//! **Odd data.** Values that are not finite (NaN for a missing value) are skipped: a curve
//! against cycle breaks there (a point standing alone gets a marker), a figure of merit's line
//! joins the cases that have a value. Cases may have curves of different
//! lengths; a curve whose `cycles` and values differ in length is read up to the shorter one.
//! Input with no finite point at all is an error ([`FigureError::NoData`]), and no file is
//! written.

use std::ops::Range;
use std::path::{Path, PathBuf};

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::error::backend;
use super::frame::{
    axis_range, cycle_chart, draw_mesh, finite_bounds, tick_formatter, titled, write_figure,
    Figure, LABEL_SIZE, PALETTE,
};
use super::text::{ensure_font, font};
use super::FigureError;

/// File stem of the retention comparison (`.png` and `.svg` are written).
pub const SWEEP_RETENTION_PLOT: &str = "sweep_retention";
/// File stem of the mean discharge voltage comparison.
pub const SWEEP_MEAN_VOLTAGE_PLOT: &str = "sweep_mean_voltage";
/// Smallest legend font size \[px\] before entries are left out.
pub const MIN_LEGEND_SIZE: f64 = 15.0;
/// Largest share of the figure's width the legend may take.
pub const MAX_LEGEND_FRACTION: f64 = 0.35;

/// One case's curves against cycle, for [`plot_sweep_retention`] and
/// [`plot_sweep_mean_voltage`]. Values are matched to `cycles` by index; NaN marks a missing
/// value.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepCurve {
    /// The case's legend entry, e.g. `"r = 5 µm, 1C"`.
    pub label: String,
    /// Cycle numbers, from 1.
    pub cycles: Vec<usize>,
    /// Discharge capacity retention at each cycle \[%\] (100 % at the reference cycle).
    pub retention_percent: Vec<f64>,
    /// Capacity-weighted mean discharge voltage of the positive electrode vs Li/Li+ at each
    /// cycle \[V\] (cells with different counter electrodes compare by their chemistry).
    pub mean_discharge_voltage_vs_li_v: Vec<f64>,
}

/// The values of one swept parameter, one per case.
#[derive(Debug, Clone, PartialEq)]
pub enum SweepAxis {
    /// Numbers, in the unit named by [`MeritFigure::parameter`]; the x axis is the parameter,
    /// logarithmic when all values are positive and span a factor of 100 or more.
    Numeric(Vec<f64>),
    /// Names of cases (e.g. protocols); the x axis is categorical, the categories in order of
    /// first appearance.
    Named(Vec<String>),
}

impl SweepAxis {
    fn len(&self) -> usize {
        match self {
            SweepAxis::Numeric(v) => v.len(),
            SweepAxis::Named(v) => v.len(),
        }
    }
}

/// A figure of merit against one swept parameter, for [`plot_figure_of_merit`]: entry `i` of
/// `axis`, `values` and `groups` belong to case `i` (entries beyond the shortest are ignored).
#[derive(Debug, Clone, PartialEq)]
pub struct MeritFigure {
    /// The swept parameter with its unit, the x axis title, e.g. `"Particle radius (µm)"`.
    pub parameter: String,
    /// The parameter's value in each case.
    pub axis: SweepAxis,
    /// Name of the figure of merit, e.g. `"Retention at cycle 500"`.
    pub merit_name: String,
    /// Its unit, e.g. `"%"` (empty for a dimensionless one).
    pub merit_unit: String,
    /// Its value in each case, in `merit_unit`; NaN for a case without one (skipped).
    pub values: Vec<f64>,
    /// The series each case belongs to, e.g. `"C-rate = 1"` for the values of the other swept
    /// parameters; cases with the same group share a line and a legend entry. `None`: one
    /// series, no legend.
    pub groups: Option<Vec<String>>,
}

/// Writes `<dir>/sweep_retention.png` and `.svg` (`dir` must exist): each case's capacity
/// retention \[%\] against cycle, overlaid, with a legend by label. Returns the paths;
/// [`FigureError::NoData`] (no file written) when no curve has a finite point.
pub fn plot_sweep_retention(
    dir: &Path,
    curves: &[SweepCurve],
) -> Result<Vec<PathBuf>, FigureError> {
    let series = cycle_series(curves, |c| &c.retention_percent);
    plot_cycle_comparison(
        dir,
        SWEEP_RETENTION_PLOT,
        "Capacity retention by case",
        "Capacity retention (%)",
        series,
        0.0..100.0,
    )
}

/// Writes `<dir>/sweep_mean_voltage.png` and `.svg` (`dir` must exist): each case's mean
/// discharge voltage vs Li/Li+ \[V\] against cycle, overlaid, with a legend by label. Returns the paths;
/// [`FigureError::NoData`] (no file written) when no curve has a finite point.
pub fn plot_sweep_mean_voltage(
    dir: &Path,
    curves: &[SweepCurve],
) -> Result<Vec<PathBuf>, FigureError> {
    let series = cycle_series(curves, |c| &c.mean_discharge_voltage_vs_li_v);
    plot_cycle_comparison(
        dir,
        SWEEP_MEAN_VOLTAGE_PLOT,
        "Mean discharge voltage by case",
        "Mean discharge voltage vs Li/Li+ (V)",
        series,
        0.0..5.0,
    )
}

/// Writes `<dir>/<stem>.png` and `.svg` (`dir` must exist): the figure of merit against the
/// swept parameter, one series per group. Returns the paths; [`FigureError::NoData`] (no file
/// written) when no case has both a finite value and (numeric axis) a finite parameter.
pub fn plot_figure_of_merit(
    dir: &Path,
    stem: &str,
    figure: &MeritFigure,
) -> Result<Vec<PathBuf>, FigureError> {
    let merit = Merit::new(figure);
    if merit.series.iter().all(|s| s.points.is_empty()) {
        return Err(FigureError::NoData {
            figure: stem.to_string(),
        });
    }
    ensure_font()?;
    Ok(write_figure(dir, stem, &merit)?.to_vec())
}

/// A series as drawn: legend label and points (NaN breaks a line).
struct Series {
    label: String,
    points: Vec<(f64, f64)>,
}

/// Each curve's (cycle, value) points, values read by `values`.
fn cycle_series(curves: &[SweepCurve], values: impl Fn(&SweepCurve) -> &Vec<f64>) -> Vec<Series> {
    curves
        .iter()
        .map(|c| Series {
            label: c.label.clone(),
            points: c
                .cycles
                .iter()
                .zip(values(c))
                .map(|(&n, &v)| (n as f64, v))
                .collect(),
        })
        .collect()
}

fn finite(p: &(f64, f64)) -> bool {
    p.0.is_finite() && p.1.is_finite()
}

fn plot_cycle_comparison(
    dir: &Path,
    stem: &str,
    title: &str,
    y_desc: &str,
    series: Vec<Series>,
    default_y: Range<f64>,
) -> Result<Vec<PathBuf>, FigureError> {
    if !series.iter().flat_map(|s| &s.points).any(finite) {
        return Err(FigureError::NoData {
            figure: stem.to_string(),
        });
    }
    ensure_font()?;
    let figure = CycleComparison {
        title,
        y_desc,
        series,
        default_y,
    };
    Ok(write_figure(dir, stem, &figure)?.to_vec())
}

/// Marker shapes, one per pass through the palette.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Shape {
    Circle,
    Triangle,
    Square,
    Cross,
}

/// How series `k` is drawn: its colour and marker shape.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Look {
    colour: RGBColor,
    shape: Shape,
}

fn look(k: usize) -> Look {
    const SHAPES: [Shape; 4] = [Shape::Circle, Shape::Triangle, Shape::Square, Shape::Cross];
    Look {
        colour: PALETTE[k % PALETTE.len()],
        shape: SHAPES[(k / PALETTE.len()) % SHAPES.len()],
    }
}

/// Draws a marker of `look` at `at` (chart or pixel coordinates of `area`), about `size` px
/// across.
fn draw_marker<DB: DrawingBackend, CT: CoordTranslate>(
    area: &DrawingArea<DB, CT>,
    look: Look,
    at: CT::From,
    size: i32,
) -> Result<(), FigureError> {
    let style = ShapeStyle::from(&look.colour).stroke_width(2);
    let r = size / 2;
    let at = EmptyElement::at(at);
    match look.shape {
        Shape::Circle => area.draw(&(at + Circle::new((0, 0), r, style.filled()))),
        Shape::Triangle => area.draw(&(at + TriangleMarker::new((0, 0), r + 1, style.filled()))),
        Shape::Square => area.draw(&(at + Rectangle::new([(-r, -r), (r, r)], style.filled()))),
        Shape::Cross => area.draw(&(at + Cross::new((0, 0), r, style))),
    }
    .map_err(backend)
}

type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Draws `points` as lines broken at non-finite points (when `lines`), with markers at every
/// `marker_every`-th finite point (0: none) and at every point that stands alone.
fn draw_series<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    points: &[(f64, f64)],
    look: Look,
    lines: bool,
    marker_every: usize,
) -> Result<(), FigureError> {
    let style = ShapeStyle::from(&look.colour).stroke_width(2);
    let runs: Vec<&[(f64, f64)]> = points
        .split(|p| !finite(p))
        .filter(|r| !r.is_empty())
        .collect();
    let mut marked = Vec::new();
    for run in &runs {
        if lines && run.len() >= 2 {
            chart
                .draw_series(LineSeries::new(run.iter().copied(), style))
                .map_err(backend)?;
        }
        if !lines || run.len() == 1 {
            marked.extend_from_slice(run);
        }
    }
    if lines && marker_every > 0 {
        marked.extend(points.iter().filter(|p| finite(p)).step_by(marker_every));
    }
    let area = chart.plotting_area();
    for p in marked {
        draw_marker(area, look, p, 9)?;
    }
    Ok(())
}

/// Splits `root` (already titled) into a plotting area and a legend area wide enough for
/// `labels` (none when there are none).
fn split_for_legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    labels: &[&str],
) -> (DrawingArea<DB, Shift>, Option<DrawingArea<DB, Shift>>) {
    let (w, _) = root.dim_in_pixel();
    if labels.is_empty() {
        return (root.clone(), None);
    }
    let widest = labels
        .iter()
        .filter_map(|l| root.estimate_text_size(l, &font(LABEL_SIZE)).ok())
        .map(|(tw, _)| tw)
        .max()
        .unwrap_or(0);
    let most = (MAX_LEGEND_FRACTION * f64::from(w)) as u32;
    let legend_w = (widest + 90).clamp(160, most.max(160));
    let (plot, legend) = root.split_horizontally(w.saturating_sub(legend_w));
    (plot, Some(legend))
}

/// `text` cut with "…" to at most `width` px at `style`.
fn fit_text<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
    width: u32,
) -> String {
    let fits = |t: &str| {
        area.estimate_text_size(t, style)
            .map_or(true, |(w, _)| w <= width)
    };
    if fits(text) {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    let (mut lo, mut hi) = (0, chars.len());
    // The longest prefix that fits with the ellipsis, by bisection.
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        let t: String = chars[..mid].iter().chain(['…'].iter()).collect();
        if fits(&t) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    chars[..lo].iter().chain(['…'].iter()).collect()
}

/// The legend entries drawn in an area `height` px high: the font size and how many entries
/// are shown (the last of them replaced by "… N more" when not all fit).
fn legend_layout(entries: usize, height: u32) -> (f64, usize, bool) {
    let room = f64::from(height.saturating_sub(50));
    let size = (room / (1.4 * entries.max(1) as f64)).clamp(MIN_LEGEND_SIZE, LABEL_SIZE);
    let fit = ((room / (1.4 * size)).floor() as usize).max(1);
    if entries <= fit {
        (size, entries, false)
    } else {
        (size, fit, true)
    }
}

/// A legend: a line (when `lines`) and a marker of each entry's look, and its label.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[(String, Look)],
    lines: bool,
) -> Result<(), FigureError> {
    let (w, h) = area.dim_in_pixel();
    let (size, shown, more) = legend_layout(entries.len(), h);
    let label = font(size).pos(Pos::new(HPos::Left, VPos::Center));
    let step = 1.4 * size;
    let text_w = w.saturating_sub(75);
    for (i, (text, look)) in entries.iter().take(shown).enumerate() {
        let y = (30.0 + step * (i as f64 + 0.5)) as i32;
        if more && i + 1 == shown {
            let rest = format!("… {} more", entries.len() - shown + 1);
            area.draw(&Text::new(rest, (65, y), label.clone()))
                .map_err(backend)?;
            break;
        }
        if lines {
            let style = ShapeStyle::from(&look.colour).stroke_width(3);
            area.draw(&PathElement::new(vec![(10, y), (55, y)], style))
                .map_err(backend)?;
        }
        draw_marker(area, *look, (32, y), 10)?;
        let text = fit_text(area, text, &label, text_w);
        area.draw(&Text::new(text, (65, y), label.clone()))
            .map_err(backend)?;
    }
    Ok(())
}

/// A chart on `area` with the mesh of the run figures.
fn build_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    x_range: Range<f64>,
    y_range: Range<f64>,
) -> Result<Chart<'a, DB>, FigureError> {
    ChartBuilder::on(area)
        .margin(20)
        .x_label_area_size(70)
        .y_label_area_size(110)
        .build_cartesian_2d(x_range, y_range)
        .map_err(backend)
}

struct CycleComparison<'a> {
    title: &'a str,
    y_desc: &'a str,
    series: Vec<Series>,
    default_y: Range<f64>,
}

impl Figure for CycleComparison<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), FigureError> {
        let all = || {
            self.series
                .iter()
                .flat_map(|s| &s.points)
                .filter(|p| finite(p))
        };
        let x_range = match finite_bounds(all().map(|p| p.0)) {
            Some((lo, hi)) => (lo - 0.5)..(hi + 0.5),
            None => 0.5..1.5,
        };
        let y_range = axis_range(
            finite_bounds(all().map(|p| p.1)),
            0.05,
            self.default_y.clone(),
        );
        let root = titled(root, self.title)?;
        let labels: Vec<&str> = self.series.iter().map(|s| s.label.as_str()).collect();
        let (plot_area, legend_area) = split_for_legend(&root, &labels);
        let mut chart = cycle_chart(&plot_area, x_range, y_range, self.y_desc, 8)?;
        // Markers tell series apart once colours repeat, and show short curves' points.
        let many = self.series.len() > PALETTE.len();
        let mut legend = Vec::with_capacity(self.series.len());
        for (k, s) in self.series.iter().enumerate() {
            let n = s.points.iter().filter(|p| finite(p)).count();
            let every = if n <= 40 {
                1
            } else if many {
                n.div_ceil(12)
            } else {
                0
            };
            draw_series(&mut chart, &s.points, look(k), true, every)?;
            legend.push((s.label.clone(), look(k)));
        }
        match legend_area {
            Some(area) => draw_legend(&area, &legend, true),
            None => Ok(()),
        }
    }
}

/// A figure of merit ready to draw: x positions (the parameter, its log10, or the category's
/// index) and values, by group.
struct Merit {
    x_desc: String,
    y_desc: String,
    title: String,
    /// Whether x is log10 of the parameter.
    log_x: bool,
    /// The category names of a named axis.
    categories: Option<Vec<String>>,
    series: Vec<Series>,
    legend: bool,
}

impl Merit {
    fn new(figure: &MeritFigure) -> Self {
        let n = figure.axis.len().min(figure.values.len());
        let n = figure.groups.as_ref().map_or(n, |g| n.min(g.len()));
        let (xs, categories, log_x): (Vec<f64>, _, bool) = match &figure.axis {
            SweepAxis::Numeric(v) => {
                let v = &v[..n];
                let finite_v = || v.iter().copied().filter(|x| x.is_finite());
                let log = finite_v().all(|x| x > 0.0)
                    && finite_bounds(finite_v()).is_some_and(|(lo, hi)| hi >= 100.0 * lo);
                let xs = if log {
                    v.iter().map(|x| x.log10()).collect()
                } else {
                    v.to_vec()
                };
                (xs, None, log)
            }
            SweepAxis::Named(names) => {
                let mut categories: Vec<String> = Vec::new();
                let xs = names[..n]
                    .iter()
                    .map(|name| {
                        let i = categories
                            .iter()
                            .position(|c| c == name)
                            .unwrap_or_else(|| {
                                categories.push(name.clone());
                                categories.len() - 1
                            });
                        i as f64
                    })
                    .collect();
                (xs, Some(categories), false)
            }
        };
        let mut series: Vec<Series> = Vec::new();
        for i in 0..n {
            let group = figure.groups.as_ref().map_or("", |g| g[i].as_str());
            let k = match series.iter().position(|s| s.label == group) {
                Some(k) => k,
                None => {
                    series.push(Series {
                        label: group.to_string(),
                        points: Vec::new(),
                    });
                    series.len() - 1
                }
            };
            let p = (xs[i], figure.values[i]);
            if finite(&p) {
                series[k].points.push(p);
            }
        }
        if categories.is_none() {
            for s in &mut series {
                s.points.sort_by(|a, b| a.0.total_cmp(&b.0));
            }
        }
        let y_desc = if figure.merit_unit.is_empty() {
            figure.merit_name.clone()
        } else {
            format!("{} ({})", figure.merit_name, figure.merit_unit)
        };
        Merit {
            x_desc: figure.parameter.clone(),
            // The parameter without its unit, e.g. "Particle radius" of "Particle radius (µm)".
            title: format!(
                "{} by {}",
                figure.merit_name,
                figure
                    .parameter
                    .rsplit_once(" (")
                    .map_or(figure.parameter.as_str(), |(name, _)| name)
            ),
            y_desc,
            log_x,
            categories,
            legend: figure.groups.is_some(),
            series,
        }
    }
}

/// Tick labels of a log10 axis: the parameter's value, in scientific notation.
fn log_formatter(v: &f64) -> String {
    let x = 10f64.powf(*v);
    let decade = (v - v.round()).abs() < 1e-9;
    match v.round() {
        e if decade && (-3.0..=4.0).contains(&e) => format!("{}", 10f64.powi(e as i32)),
        e if decade => format!("1e{e}"),
        _ => format!("{x:.1e}"),
    }
}

impl Figure for Merit {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), FigureError> {
        let all = || self.series.iter().flat_map(|s| &s.points);
        let y_range = axis_range(finite_bounds(all().map(|p| p.1)), 0.08, 0.0..1.0);
        let (x_range, x_labels) = match &self.categories {
            Some(c) => (-0.5..(c.len() as f64 - 0.5), c.len().max(1)),
            None => {
                let bounds = finite_bounds(all().map(|p| p.0));
                let range = axis_range(bounds, 0.06, 0.0..1.0);
                let labels = match (self.log_x, bounds) {
                    (true, Some((lo, hi))) => ((hi - lo).round() as usize + 1).clamp(3, 10),
                    _ => 10,
                };
                (range, labels)
            }
        };
        let root = titled(root, &self.title)?;
        let labels: Vec<&str> = if self.legend {
            self.series.iter().map(|s| s.label.as_str()).collect()
        } else {
            Vec::new()
        };
        let (plot_area, legend_area) = split_for_legend(&root, &labels);
        let mut chart = build_chart(&plot_area, x_range.clone(), y_range.clone())?;
        let linear = tick_formatter(&x_range, x_labels);
        // Category names cut to the width of a category.
        let names: Vec<String> = match &self.categories {
            Some(c) => {
                let (w, _) = chart.plotting_area().dim_in_pixel();
                let each = (w / c.len().max(1) as u32).saturating_sub(8);
                c.iter()
                    .map(|name| fit_text(&plot_area, name, &font(LABEL_SIZE), each))
                    .collect()
            }
            None => Vec::new(),
        };
        let x_formatter = |v: &f64| -> String {
            if self.categories.is_some() {
                let i = v.round();
                match names.get(i as usize) {
                    Some(name) if (v - i).abs() < 1e-6 && i >= 0.0 => name.clone(),
                    _ => String::new(),
                }
            } else if self.log_x {
                log_formatter(v)
            } else {
                linear(v)
            }
        };
        let x_desc = if self.log_x {
            format!("{} (log scale)", self.x_desc)
        } else {
            self.x_desc.clone()
        };
        draw_mesh(
            &mut chart,
            (&x_desc, &self.y_desc),
            x_labels,
            &x_formatter,
            &y_range,
            8,
        )?;
        let groups = self.series.len();
        let mut legend = Vec::with_capacity(groups);
        for (k, s) in self.series.iter().enumerate() {
            match &self.categories {
                // Numeric: lines with a marker at every case.
                None => draw_series(&mut chart, &s.points, look(k), true, 1)?,
                // Named: markers only, the groups side by side within a category.
                Some(_) => {
                    let offset = if groups > 1 {
                        0.5 * (k as f64 / (groups - 1) as f64 - 0.5)
                    } else {
                        0.0
                    };
                    let points: Vec<_> = s.points.iter().map(|&(x, y)| (x + offset, y)).collect();
                    draw_series(&mut chart, &points, look(k), false, 0)?;
                }
            }
            legend.push((s.label.clone(), look(k)));
        }
        match legend_area {
            Some(area) => draw_legend(&area, &legend, self.categories.is_none()),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_figure(paths: &[PathBuf], stem: &str) {
        assert_eq!(paths.len(), 2);
        assert!(paths[0].ends_with(format!("{stem}.png")));
        assert!(paths[1].ends_with(format!("{stem}.svg")));
        let png = std::fs::read(&paths[0]).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert!(png.len() > 10_000, "{} bytes", png.len());
        let svg = std::fs::read_to_string(&paths[1]).unwrap();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(!svg.contains("<text"), "glyph outlines only");
        assert!(svg.len() > 10_000, "{} bytes", svg.len());
    }

    /// `n` cases with fading retention, case `k` running `50 + 10 k` cycles, with NaN gaps.
    fn cases(n: usize) -> Vec<SweepCurve> {
        (0..n)
            .map(|k| {
                let cycles: Vec<usize> = (1..=50 + 10 * k).collect();
                let fade = 0.02 * (k + 1) as f64;
                let mut retention: Vec<f64> =
                    cycles.iter().map(|&c| 100.0 - fade * c as f64).collect();
                let mut voltage: Vec<f64> = cycles
                    .iter()
                    .map(|&c| 3.7 - 1e-4 * (k + 1) as f64 * c as f64)
                    .collect();
                retention[10] = f64::NAN;
                voltage[20] = f64::NAN;
                voltage[21] = f64::INFINITY;
                SweepCurve {
                    label: format!("case {k}: D = {:.1e} m²/s", 1e-14 * (k + 1) as f64),
                    cycles,
                    retention_percent: retention,
                    mean_discharge_voltage_vs_li_v: voltage,
                }
            })
            .collect()
    }

    #[test]
    fn cycle_comparisons_are_written() {
        let dir = tempfile::tempdir().unwrap();
        let mut curves = cases(4);
        // A curve with fewer values than cycles, one with a single point.
        curves[1].retention_percent.truncate(30);
        curves.push(SweepCurve {
            label: "single".into(),
            cycles: vec![7],
            retention_percent: vec![95.0],
            mean_discharge_voltage_vs_li_v: vec![3.65],
        });
        let paths = plot_sweep_retention(dir.path(), &curves).unwrap();
        assert_figure(&paths, SWEEP_RETENTION_PLOT);
        let svg = std::fs::read_to_string(&paths[1]).unwrap();
        assert!(svg.contains("aria-label=\"Capacity retention (%)\""));
        assert!(svg.contains("aria-label=\"single\""), "legend by label");
        let paths = plot_sweep_mean_voltage(dir.path(), &curves).unwrap();
        assert_figure(&paths, SWEEP_MEAN_VOLTAGE_PLOT);
        // A single case.
        assert_figure(
            &plot_sweep_retention(dir.path(), &curves[..1]).unwrap(),
            SWEEP_RETENTION_PLOT,
        );
    }

    #[test]
    fn many_cases_keep_the_legend_inside_the_figure() {
        let dir = tempfile::tempdir().unwrap();
        let mut curves = cases(60);
        curves[0].label = "a very long label that cannot fit in the legend area at all, \
                           not even at the smallest font"
            .into();
        let paths = plot_sweep_retention(dir.path(), &curves).unwrap();
        assert_figure(&paths, SWEEP_RETENTION_PLOT);
        let svg = std::fs::read_to_string(&paths[1]).unwrap();
        assert!(
            svg.contains("more\""),
            "the entries that do not fit are counted"
        );
        assert!(
            !svg.contains("aria-label=\"case 59"),
            "the last entry is left out"
        );
        assert!(svg.contains("…\""), "a long label is cut");
        // Looks stay distinct over 40 series.
        for i in 0..40 {
            for j in 0..i {
                assert_ne!(look(i), look(j), "{i} {j}");
            }
        }
        let (size, shown, more) = legend_layout(60, 700);
        assert!(size >= MIN_LEGEND_SIZE && more && shown < 60);
        assert!(30.0 + 1.4 * size * shown as f64 <= 700.0);
        assert_eq!(legend_layout(3, 700), (LABEL_SIZE, 3, false));
    }

    #[test]
    fn empty_input_is_an_error_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            plot_sweep_retention(dir.path(), &[]),
            Err(FigureError::NoData { .. })
        ));
        let nan = SweepCurve {
            label: "nan".into(),
            cycles: vec![1, 2],
            retention_percent: vec![f64::NAN; 2],
            mean_discharge_voltage_vs_li_v: vec![],
        };
        assert!(plot_sweep_retention(dir.path(), std::slice::from_ref(&nan)).is_err());
        assert!(plot_sweep_mean_voltage(dir.path(), &[nan]).is_err());
        let figure = MeritFigure {
            parameter: "x".into(),
            axis: SweepAxis::Numeric(vec![]),
            merit_name: "m".into(),
            merit_unit: String::new(),
            values: vec![],
            groups: None,
        };
        let err = plot_figure_of_merit(dir.path(), "merit", &figure).unwrap_err();
        assert!(err.to_string().contains("merit"), "{err}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn figures_of_merit_are_written() {
        let dir = tempfile::tempdir().unwrap();
        // Two parameters on a grid: radius (numeric, log-spaced) by C-rate (the groups).
        let radii: [f64; 5] = [0.5, 1.0, 5.0, 10.0, 50.0];
        let mut axis = Vec::new();
        let mut values = Vec::new();
        let mut groups = Vec::new();
        for c in ["0.5C", "1C", "2C"] {
            for (i, r) in radii.iter().enumerate() {
                axis.push(*r);
                values.push(if i == 2 && c == "1C" {
                    f64::NAN
                } else {
                    100.0 - r.ln()
                });
                groups.push(format!("C-rate {c}"));
            }
        }
        let mut figure = MeritFigure {
            parameter: "Particle radius (µm)".into(),
            axis: SweepAxis::Numeric(axis),
            merit_name: "Retention at cycle 100".into(),
            merit_unit: "%".into(),
            values,
            groups: Some(groups),
        };
        let paths = plot_figure_of_merit(dir.path(), "retention_vs_radius", &figure).unwrap();
        assert_figure(&paths, "retention_vs_radius");
        let svg = std::fs::read_to_string(&paths[1]).unwrap();
        assert!(svg.contains("aria-label=\"Particle radius (µm) (log scale)\""));
        assert!(svg.contains("aria-label=\"C-rate 2C\""));
        assert!(svg.contains("aria-label=\"10\""), "decade ticks");
        assert!(svg.contains("aria-label=\"Retention at cycle 100 by Particle radius\""));
        assert_eq!(log_formatter(&-14.0), "1e-14");
        assert_eq!(log_formatter(&-2.0), "0.01");
        assert_eq!(log_formatter(&0.5), "3.2e0");
        // One series, linear, values longer than the axis.
        figure.axis = SweepAxis::Numeric(vec![1.0, 2.0, f64::NAN, 4.0]);
        figure.groups = None;
        let paths = plot_figure_of_merit(dir.path(), "linear", &figure).unwrap();
        assert_figure(&paths, "linear");
        // Named cases, two groups, a repeated name, a NaN.
        figure.axis = SweepAxis::Named(
            ["CC", "CCCV", "pulse", "CC", "CCCV", "pulse"]
                .map(String::from)
                .to_vec(),
        );
        figure.values = vec![90.0, 92.0, f64::NAN, 85.0, 88.0, 80.0];
        figure.groups = Some(
            ["25 °C", "25 °C", "25 °C", "45 °C", "45 °C", "45 °C"]
                .map(String::from)
                .to_vec(),
        );
        let paths = plot_figure_of_merit(dir.path(), "named", &figure).unwrap();
        assert_figure(&paths, "named");
        let svg = std::fs::read_to_string(&paths[1]).unwrap();
        for name in ["CC", "CCCV", "pulse", "45 °C"] {
            assert!(svg.contains(&format!("aria-label=\"{name}\"")), "{name}");
        }
        // A single case.
        figure.axis = SweepAxis::Named(vec!["only".into()]);
        figure.values = vec![3.0];
        figure.groups = None;
        assert_figure(
            &plot_figure_of_merit(dir.path(), "single", &figure).unwrap(),
            "single",
        );
    }
}
