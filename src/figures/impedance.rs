//! The impedance figures, as PNG and SVG, with the fonts, backends and helpers of
//! [`super::text`] and [`super::frame`]:
//!
//! 1. `nyquist.{png,svg}` ([`write_nyquist`]): the spectra of a run in the Nyquist plane,
//!    Z' against −Z'' in Ω on axes of equal scale (a semicircle looks round), one colour per
//!    spectrum by its cycle (viridis-like, dark for the first cycle, light for the last),
//!    with a colour bar;
//! 2. `resistances.{png,svg}` ([`plot_resistances_vs_cycle`]): fitted resistances against
//!    cycle number with error bars (±1 standard error), one colour per resistance.
//!
//! Values that are not finite are left out; empty data draw empty axes with a note.

use std::ops::Range;
use std::path::{Path, PathBuf};

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::error::backend;
use super::frame::{
    axis_range, corner_note, cycle_chart, cycle_colour, draw_mesh, draw_side_legend, finite_bounds,
    note, tick_formatter, titled, write_figure, Figure, BLUE, LABEL_SIZE, RED,
};
use super::text::{ensure_font, font};
use super::FigureError;

/// File stem of the Nyquist figure (`.png` and `.svg` are written).
pub const NYQUIST_PLOT: &str = "nyquist";
/// File stem of the fitted-resistance figure.
pub const RESISTANCE_PLOT: &str = "resistances";

/// One fitted resistance for [`plot_resistances_vs_cycle`]: its name (a legend entry such as
/// `"R1"`) and its (cycle, value \[Ω\], standard error \[Ω\]) points.
pub type ResistanceSeries = (String, Vec<(usize, f64, f64)>);

/// One spectrum for the Nyquist figure.
#[derive(Debug, Clone, PartialEq)]
pub struct NyquistSpectrum {
    /// The cycle it was taken at (0: the initial state).
    pub cycle: usize,
    /// (Z' \[Ω\], Z'' \[Ω\]) at each frequency, in frequency order.
    pub z_ohm: Vec<(f64, f64)>,
    /// The frequencies \[Hz\] of `z_ohm` (the decades of the last spectrum are marked).
    pub frequency_hz: Vec<f64>,
}

/// Writes `<dir>/nyquist.png` and `.svg` (`dir` must exist) with `spectra`, coloured by cycle,
/// the whole decades of frequency marked on the last one (one set of marks reads, twenty
/// would not; the spectra of one cell keep their decades close to each other's); returns the
/// paths.
pub fn write_nyquist(dir: &Path, spectra: &[NyquistSpectrum]) -> Result<Vec<PathBuf>, FigureError> {
    ensure_font()?;
    Ok(write_figure(dir, NYQUIST_PLOT, &Nyquist(spectra))?.to_vec())
}

/// Writes `<dir>/resistances.png` and `.svg` (`dir` must exist): each named series of
/// (cycle, value \[Ω\], standard error \[Ω\]) against cycle, with ±1 standard-error bars, as
/// the paper's Figure 3d. Returns the paths.
pub fn plot_resistances_vs_cycle(
    dir: &Path,
    series: &[ResistanceSeries],
) -> Result<Vec<PathBuf>, FigureError> {
    ensure_font()?;
    Ok(write_figure(dir, RESISTANCE_PLOT, &Resistances(series))?.to_vec())
}

/// Colours of the resistance series, in order (then repeated).
const SERIES_COLOURS: [RGBColor; 6] = [
    BLUE,
    RED,
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

struct Nyquist<'a>(&'a [NyquistSpectrum]);

/// The points of a spectrum at whole decades of frequency: (k, (Z', −Z'')) for f = 10ᵏ Hz
/// inside the frequencies, interpolated linearly in log f between the two points around it.
/// `z_ohm` holds (Z', Z'') at `frequency_hz` (either order).
pub(super) fn decade_marks(frequency_hz: &[f64], z_ohm: &[(f64, f64)]) -> Vec<(i32, (f64, f64))> {
    let mut out: Vec<(i32, (f64, f64))> = Vec::new();
    for (a, b) in frequency_hz
        .iter()
        .zip(z_ohm)
        .zip(frequency_hz.iter().zip(z_ohm).skip(1))
    {
        let ((&fa, za), (&fb, zb)) = (a, b);
        if !(fa > 0.0 && fb > 0.0) {
            continue;
        }
        let (la, lb) = (fa.log10(), fb.log10());
        let (lo, hi) = (la.min(lb), la.max(lb));
        let first = lo.ceil() as i32;
        for k in first..=(hi.floor() as i32) {
            if out.iter().any(|m| m.0 == k) || hi == lo {
                continue;
            }
            let t = (f64::from(k) - la) / (lb - la);
            let z = (za.0 + t * (zb.0 - za.0), -(za.1 + t * (zb.1 - za.1)));
            if z.0.is_finite() && z.1.is_finite() {
                out.push((k, z));
            }
        }
    }
    out
}

/// `10ᵏ` with the exponent in superscript digits.
pub(super) fn power_of_ten(k: i32) -> String {
    const DIGITS: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    let mut out = String::from("10");
    if k < 0 {
        out.push('⁻');
    }
    for c in k.unsigned_abs().to_string().chars() {
        out.push(c.to_digit(10).map_or(c, |d| DIGITS[d as usize]));
    }
    out
}

/// Marks the decades of [`decade_marks`] on a Nyquist chart: a black diamond and `10ᵏ Hz`
/// beside it (left out where it would print over a label drawn before).
pub(super) fn draw_decade_marks<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    marks: &[(i32, (f64, f64))],
) -> Result<(), FigureError> {
    let label = font(LABEL_SIZE * 0.85).pos(Pos::new(HPos::Left, VPos::Bottom));
    // Labels closer than this to one drawn are left out (the marker stays), so that
    // the decades of a tail that bunches up do not print over each other.
    const MIN_LABEL_DISTANCE_PX: i32 = 70;
    let mut drawn: Vec<(i32, i32)> = Vec::new();
    // From high to low frequency: the arcs' decades keep their labels, the tail's give way.
    let mut marks = marks.to_vec();
    marks.sort_by_key(|m| std::cmp::Reverse(m.0));
    for &(k, p) in &marks {
        let at = chart.backend_coord(&p);
        let crowded = drawn
            .iter()
            .any(|&(x, y)| (at.0 - x).abs() < MIN_LABEL_DISTANCE_PX && (at.1 - y).abs() < 30);
        let text = if crowded {
            String::new()
        } else {
            drawn.push(at);
            format!("{} Hz", power_of_ten(k))
        };
        chart
            .draw_series(std::iter::once(
                EmptyElement::at(p)
                    // A pale box behind the label, so that it reads over the data's markers.
                    + Rectangle::new(
                        [(7, -28), (9 + 12 * text.chars().count() as i32, -6)],
                        WHITE.mix(if text.is_empty() { 0.0 } else { 0.8 }).filled(),
                    )
                    + Polygon::new(vec![(0, -6), (6, 0), (0, 6), (-6, 0)], BLACK.filled())
                    + Text::new(text, (8, -6), label.clone()),
            ))
            .map_err(backend)?;
    }
    Ok(())
}

/// Ranges over `x` and `y` bounds (with a margin) of equal scale on a plotting area of
/// `width` × `height` px: the tighter axis is widened about its centre, −Z'' kept from its
/// lower bound.
pub(super) fn equal_scale_ranges(
    x: Option<(f64, f64)>,
    y: Option<(f64, f64)>,
    width: u32,
    height: u32,
) -> (Range<f64>, Range<f64>) {
    let x = axis_range(x, 0.05, 0.0..1.0);
    let y = axis_range(y, 0.05, 0.0..1.0);
    let (w, h) = (f64::from(width.max(1)), f64::from(height.max(1)));
    let per_px = ((x.end - x.start) / w).max((y.end - y.start) / h);
    let xc = 0.5 * (x.start + x.end);
    (
        (xc - 0.5 * per_px * w)..(xc + 0.5 * per_px * w),
        y.start..(y.start + per_px * h),
    )
}

/// A Nyquist chart on `area`: Z' and −Z'' \[Ω\] over `x_bounds` and `y_bounds` on axes of
/// equal scale ([`equal_scale_ranges`]), with its mesh.
pub(super) fn nyquist_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    x_bounds: Option<(f64, f64)>,
    y_bounds: Option<(f64, f64)>,
) -> Result<ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>, FigureError> {
    let build = |x: Range<f64>, y: Range<f64>| {
        ChartBuilder::on(area)
            .margin(20)
            .x_label_area_size(70)
            .y_label_area_size(110)
            .build_cartesian_2d(x, y)
            .map_err(backend)
    };
    // The plotting area's size in pixels, for the equal scale.
    let (pw, ph) = build(0.0..1.0, 0.0..1.0)?.plotting_area().dim_in_pixel();
    let (x_range, y_range) = equal_scale_ranges(x_bounds, y_bounds, pw, ph);
    let mut chart = build(x_range.clone(), y_range.clone())?;
    draw_mesh(
        &mut chart,
        ("Z' (Ω)", "−Z'' (Ω)"),
        10,
        &tick_formatter(&x_range, 10),
        &y_range,
        8,
    )?;
    Ok(chart)
}

impl Figure for Nyquist<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), FigureError> {
        let spectra: Vec<(usize, Vec<(f64, f64)>)> = self
            .0
            .iter()
            .map(|s| {
                let points = s
                    .z_ohm
                    .iter()
                    .map(|&(re, im)| (re, -im))
                    .filter(|(x, y)| x.is_finite() && y.is_finite())
                    .collect();
                (s.cycle, points)
            })
            .collect();
        let all = || spectra.iter().flat_map(|(_, p)| p.iter().copied());
        let x_bounds = finite_bounds(all().map(|p| p.0));
        // −Z'' from 0 (or below, for inductive points) up.
        let y_bounds = finite_bounds(all().map(|p| p.1)).map(|(lo, hi)| (lo.min(0.0), hi));

        let root = titled(root, "Impedance spectra (Nyquist)")?;
        let (w, _) = root.dim_in_pixel();
        let (plot_area, bar_area) = root.split_horizontally(w.saturating_sub(170));
        let mut chart = nyquist_chart(&plot_area, x_bounds, y_bounds)?;
        if spectra.iter().all(|(_, p)| p.is_empty()) {
            return note(&plot_area, "no impedance spectrum");
        }
        let (c_lo, c_hi) =
            finite_bounds(spectra.iter().map(|(c, _)| *c as f64)).unwrap_or((0.0, 0.0));
        let shade = |cycle: usize| {
            if c_hi > c_lo {
                (cycle as f64 - c_lo) / (c_hi - c_lo)
            } else {
                0.0
            }
        };
        for (cycle, points) in &spectra {
            let colour = cycle_colour(shade(*cycle));
            let style = ShapeStyle::from(&colour).stroke_width(2);
            chart
                .draw_series(LineSeries::new(points.iter().copied(), style))
                .map_err(backend)?;
            chart
                .draw_series(points.iter().map(|&p| Circle::new(p, 3, style.filled())))
                .map_err(backend)?;
        }
        // The decades of the last spectrum (the highest cycle, drawn on top).
        if let Some(last) = self.0.iter().max_by_key(|s| s.cycle) {
            let marks = decade_marks(&last.frequency_hz, &last.z_ohm);
            if !marks.is_empty() {
                draw_decade_marks(&mut chart, &marks)?;
                let cycle = if last.cycle == 0 {
                    "the initial state".to_string()
                } else {
                    format!("cycle {}", last.cycle)
                };
                corner_note(&plot_area, &format!("◆ decades of frequency, {cycle}"))?;
            }
        }
        let mut cycles: Vec<usize> = spectra.iter().map(|(c, _)| *c).collect();
        cycles.sort_unstable();
        cycles.dedup();
        draw_colour_bar(&bar_area, c_lo, c_hi, &cycles)
    }
}

/// A vertical colour bar of [`cycle_colour`] from cycle `lo` (bottom) to `hi` (top), labelled
/// with up to five of the measured `cycles` (increasing): the first, the last and some evenly
/// spread between.
fn draw_colour_bar<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    lo: f64,
    hi: f64,
    cycles: &[usize],
) -> Result<(), FigureError> {
    let (_, h) = area.dim_in_pixel();
    let (top, bottom) = (70i32, (h as i32 - 110).max(90));
    let (left, right) = (20i32, 50i32);
    area.draw(&Text::new(
        "cycle".to_string(),
        (left, top - 40),
        font(LABEL_SIZE).pos(Pos::new(HPos::Left, VPos::Center)),
    ))
    .map_err(backend)?;
    let segments = 100;
    let span = (bottom - top) as f64;
    for k in 0..segments {
        let t = (k as f64 + 0.5) / segments as f64;
        let y1 = bottom - (span * k as f64 / segments as f64).round() as i32;
        let y0 = bottom - (span * (k + 1) as f64 / segments as f64).round() as i32;
        area.draw(&Rectangle::new(
            [(left, y0), (right, y1)],
            cycle_colour(if hi > lo { t } else { 0.0 }).filled(),
        ))
        .map_err(backend)?;
    }
    area.draw(&Rectangle::new(
        [(left, top), (right, bottom)],
        BLACK.mix(0.5),
    ))
    .map_err(backend)?;
    let label = font(LABEL_SIZE).pos(Pos::new(HPos::Left, VPos::Center));
    let mut ticks: Vec<usize> = match cycles.len() {
        0 => Vec::new(),
        n if n <= 5 => cycles.to_vec(),
        n => (0..5).map(|k| cycles[k * (n - 1) / 4]).collect(),
    };
    ticks.dedup();
    for value in ticks.into_iter().map(|c| c as f64) {
        let t = if hi > lo {
            (value - lo) / (hi - lo)
        } else {
            0.0
        };
        let y = bottom - (span * t).round() as i32;
        area.draw(&PathElement::new(vec![(right, y), (right + 6, y)], BLACK))
            .map_err(backend)?;
        area.draw(&Text::new(
            format!("{value}"),
            (right + 12, y),
            label.clone(),
        ))
        .map_err(backend)?;
    }
    Ok(())
}

struct Resistances<'a>(&'a [ResistanceSeries]);

/// A series as drawn: name and (cycle, value \[Ω\], error \[Ω\]).
type DrawnSeries<'a> = (&'a str, Vec<(f64, f64, f64)>);

impl Figure for Resistances<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), FigureError> {
        // (cycle, value, error) with a finite value; a missing or bad error counts as 0.
        let series: Vec<DrawnSeries> = self
            .0
            .iter()
            .map(|(name, points)| {
                let points = points
                    .iter()
                    .filter(|(_, v, _)| v.is_finite())
                    .map(|&(c, v, e)| (c as f64, v, if e.is_finite() { e.abs() } else { 0.0 }))
                    .collect();
                (name.as_str(), points)
            })
            .collect();
        let all = || series.iter().flat_map(|(_, p)| p.iter().copied());
        let x_range = match finite_bounds(all().map(|p| p.0)) {
            Some((lo, hi)) => {
                let pad = (0.03 * (hi - lo)).max(0.5);
                (lo - pad)..(hi + pad)
            }
            None => 0.5..1.5,
        };
        let y_bounds = finite_bounds(all().flat_map(|(_, v, e)| [v - e, v + e]))
            .map(|(lo, hi)| (lo.min(0.0), hi));
        let y_range = axis_range(y_bounds, 0.05, 0.0..1.0);

        let root = titled(root, "Fitted resistances")?;
        let (w, _) = root.dim_in_pixel();
        // The legend as wide as its longest label (about 11 px a character at its size, plus
        // the line sample): the paper's names ("R_SE/Li-In (R3)") are longer than "R3".
        let longest = self
            .0
            .iter()
            .map(|(name, _)| name.chars().count())
            .max()
            .unwrap_or(0);
        let legend_px = (70 + 11 * longest as u32).clamp(190, w / 3);
        let (plot_area, legend_area) = root.split_horizontally(w.saturating_sub(legend_px));
        let mut chart = cycle_chart(&plot_area, x_range.clone(), y_range, "Resistance (Ω)", 8)?;
        if all().next().is_none() {
            return note(&plot_area, "no fitted resistance");
        }
        // Half the width of an error bar's caps, in cycles.
        let cap = 0.006 * (x_range.end - x_range.start);
        let mut legend = Vec::with_capacity(series.len());
        for (k, (name, points)) in series.iter().enumerate() {
            let colour = SERIES_COLOURS[k % SERIES_COLOURS.len()];
            let style = ShapeStyle::from(&colour).stroke_width(2);
            chart
                .draw_series(LineSeries::new(points.iter().map(|p| (p.0, p.1)), style))
                .map_err(backend)?;
            chart
                .draw_series(
                    points
                        .iter()
                        .map(|p| Circle::new((p.0, p.1), 4, style.filled())),
                )
                .map_err(backend)?;
            for &(x, v, e) in points.iter().filter(|p| p.2 > 0.0) {
                let bar = vec![
                    vec![(x, v - e), (x, v + e)],
                    vec![(x - cap, v - e), (x + cap, v - e)],
                    vec![(x - cap, v + e), (x + cap, v + e)],
                ];
                chart
                    .draw_series(bar.into_iter().map(|p| PathElement::new(p, style)))
                    .map_err(backend)?;
            }
            legend.push((name.to_string(), colour));
        }
        draw_side_legend(&legend_area, &legend)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_figure(paths: &[PathBuf]) {
        assert_eq!(paths.len(), 2);
        let png = std::fs::read(&paths[0]).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert!(png.len() > 10_000, "{} bytes", png.len());
        let svg = std::fs::read_to_string(&paths[1]).unwrap();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(svg.len() > 10_000, "{} bytes", svg.len());
    }

    /// R0 + R1/(1 + iωR1C) at 10 mHz – 1 MHz.
    fn rc_spectrum(cycle: usize, r1: f64) -> NyquistSpectrum {
        let (r0, c) = (20.0, 1e-6);
        let frequency_hz: Vec<f64> = (0..=80)
            .map(|k| 0.01 * 10f64.powf(k as f64 / 10.0))
            .collect();
        let z_ohm = frequency_hz
            .iter()
            .map(|f| {
                let w = 2.0 * std::f64::consts::PI * f;
                let d = 1.0 + (w * r1 * c).powi(2);
                (r0 + r1 / d, -w * r1 * r1 * c / d)
            })
            .collect();
        NyquistSpectrum {
            cycle,
            z_ohm,
            frequency_hz,
        }
    }

    #[test]
    fn nyquist_figures_are_written() {
        let dir = tempfile::tempdir().unwrap();
        let spectra: Vec<_> = (1..=5)
            .map(|k| rc_spectrum(50 * k, 60.0 + 10.0 * k as f64))
            .collect();
        let paths = write_nyquist(dir.path(), &spectra).unwrap();
        assert_eq!(paths[0], dir.path().join("nyquist.png"));
        assert_figure(&paths);
        let svg = std::fs::read_to_string(&paths[1]).unwrap();
        assert!(svg.contains("aria-label=\"cycle\""), "colour bar title");
        assert!(
            svg.contains("aria-label=\"250\""),
            "last cycle on the colour bar"
        );
        // The decades of the last spectrum (10 mHz to 1 MHz; on the arc and at its
        // high-frequency end, where they are not crowded), and the note that says whose they
        // are.
        assert!(
            svg.contains("decades of frequency, cycle 250"),
            "decade note"
        );
        assert!(
            svg.contains("10⁶ Hz") && svg.contains("10³ Hz"),
            "decade labels"
        );
        // One spectrum, and none.
        assert_figure(&write_nyquist(dir.path(), &spectra[..1]).unwrap());
        assert_figure(&write_nyquist(dir.path(), &[]).unwrap());
    }

    #[test]
    fn the_nyquist_axes_have_equal_scale() {
        let (x, y) = equal_scale_ranges(Some((20.0, 120.0)), Some((0.0, 30.0)), 1000, 500);
        let per_px_x = (x.end - x.start) / 1000.0;
        let per_px_y = (y.end - y.start) / 500.0;
        assert!((per_px_x - per_px_y).abs() < 1e-12 * per_px_x);
        assert!(x.start < 20.0 && x.end > 120.0 && y.start <= 0.0 && y.end > 30.0);
    }

    #[test]
    fn resistance_figures_are_written() {
        let dir = tempfile::tempdir().unwrap();
        let series = vec![
            (
                "R1".to_string(),
                (0..=20)
                    .map(|k| (11 + 50 * k, 69.0 - k as f64, 2.0))
                    .collect(),
            ),
            (
                "R2".to_string(),
                (0..=20)
                    .map(|k| (11 + 50 * k, 30.0 + 0.5 * k as f64, 0.5))
                    .collect::<Vec<_>>(),
            ),
            (
                "R3".to_string(),
                vec![(11, f64::NAN, 1.0), (61, 5.0, f64::NAN)],
            ),
        ];
        let paths = plot_resistances_vs_cycle(dir.path(), &series).unwrap();
        assert_eq!(paths[1], dir.path().join("resistances.svg"));
        assert_figure(&paths);
        let svg = std::fs::read_to_string(&paths[1]).unwrap();
        for name in ["R1", "R2", "R3"] {
            assert!(svg.contains(&format!("aria-label=\"{name}\"")), "{name}");
        }
        assert_figure(&plot_resistances_vs_cycle(dir.path(), &[]).unwrap());
    }
}
