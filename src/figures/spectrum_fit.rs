//! The figures of one impedance spectrum and its model (a fitted circuit, or the cell's
//! computed spectrum), as PNG and SVG, as `asslb fit-impedance` and `asslb impedance` write
//! them ([`write_spectrum_figures`]):
//!
//! 1. `impedance_nyquist`: Z' against −Z'' on axes of equal scale, the data as markers, the
//!    model as a line, and the decades of frequency marked and labelled (`10³ Hz`) on the
//!    model (or on the data without a model);
//! 2. `impedance_bode`: |Z| \[Ω\] and −phase \[°\] against log₁₀ f, two panels;
//! 3. `impedance_residuals` (when residuals are given): the relative residuals of the real and
//!    imaginary parts \[%\] against log₁₀ f, of the fit (lines with markers) and of the
//!    Kramers–Kronig test (dashed, lighter), as impedance.py's `plot_residuals`.

use std::ops::Range;
use std::path::{Path, PathBuf};

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::error::backend;
use super::frame::{
    axis_range, draw_marked_legend, draw_mesh, finite_bounds, note, titled, write_figure, Figure,
    BLUE, RED,
};
use super::impedance::{decade_marks, draw_decade_marks, nyquist_chart, power_of_ten};
use super::text::ensure_font;
use super::FigureError;

/// File stem of the Nyquist figure of one spectrum.
pub const SPECTRUM_NYQUIST_PLOT: &str = "impedance_nyquist";
/// File stem of the Bode figure.
pub const SPECTRUM_BODE_PLOT: &str = "impedance_bode";
/// File stem of the residual figure.
pub const SPECTRUM_RESIDUALS_PLOT: &str = "impedance_residuals";

/// Relative residuals at the data's frequencies \[–\] (not %): real and imaginary parts.
pub type Residuals = (Vec<f64>, Vec<f64>);

/// One spectrum and its model for [`write_spectrum_figures`]. Impedances are (Z' \[Ω\],
/// Z'' \[Ω\]) with Z'' < 0 for capacitive arcs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SpectrumFigures {
    /// A title for the figures (a file name, a scenario).
    pub title: String,
    /// The data's frequencies \[Hz\] (empty without data).
    pub frequency_hz: Vec<f64>,
    /// The data's impedances, drawn as markers.
    pub data_ohm: Vec<(f64, f64)>,
    /// The legend label of the data.
    pub data_label: String,
    /// The model's frequencies \[Hz\] (finer than the data's, for a smooth line).
    pub model_frequency_hz: Vec<f64>,
    /// The model's impedances, drawn as a line.
    pub model_ohm: Vec<(f64, f64)>,
    /// The legend label of the model.
    pub model_label: String,
    /// The fit's relative residuals, (data − model)/|data|, at the data's frequencies.
    pub fit_residuals: Option<Residuals>,
    /// The Kramers–Kronig test's relative residuals at the data's frequencies.
    pub kk_residuals: Option<Residuals>,
}

/// Writes `<dir>/impedance_nyquist`, `impedance_bode` and (with residuals)
/// `impedance_residuals`, each `.png` and `.svg` (`dir` must exist). Returns the paths.
pub fn write_spectrum_figures(
    dir: &Path,
    figures: &SpectrumFigures,
) -> Result<Vec<PathBuf>, FigureError> {
    ensure_font()?;
    let mut paths = write_figure(dir, SPECTRUM_NYQUIST_PLOT, &Nyquist(figures))?.to_vec();
    paths.extend(write_figure(dir, SPECTRUM_BODE_PLOT, &Bode(figures))?);
    if figures.fit_residuals.is_some() || figures.kk_residuals.is_some() {
        paths.extend(write_figure(
            dir,
            SPECTRUM_RESIDUALS_PLOT,
            &ResidualFigure(figures),
        )?);
    }
    Ok(paths)
}

/// The model's colour.
const MODEL: RGBColor = RGBColor(20, 20, 20);

/// Legend entries: data (marker) and model (line), where present.
fn legend(f: &SpectrumFigures) -> Vec<(String, RGBColor, bool)> {
    let mut out = Vec::new();
    if !f.data_ohm.is_empty() {
        out.push((f.data_label.clone(), BLUE, true));
    }
    if !f.model_ohm.is_empty() {
        out.push((f.model_label.clone(), MODEL, false));
    }
    out
}

/// Draws the data as markers and the model as a line on `chart`, mapping (f, Z) to a point.
fn draw_data_and_model<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    f: &SpectrumFigures,
    point: &dyn Fn(f64, (f64, f64)) -> (f64, f64),
) -> Result<(), FigureError> {
    let finite = |p: &(f64, f64)| p.0.is_finite() && p.1.is_finite();
    let model: Vec<(f64, f64)> = f
        .model_frequency_hz
        .iter()
        .zip(&f.model_ohm)
        .map(|(&fr, &z)| point(fr, z))
        .filter(finite)
        .collect();
    chart
        .draw_series(LineSeries::new(
            model,
            ShapeStyle::from(MODEL).stroke_width(2),
        ))
        .map_err(backend)?;
    let data: Vec<(f64, f64)> = f
        .frequency_hz
        .iter()
        .zip(&f.data_ohm)
        .map(|(&fr, &z)| point(fr, z))
        .filter(finite)
        .collect();
    chart
        .draw_series(
            data.iter()
                .map(|&p| Circle::new(p, 5, ShapeStyle::from(BLUE).stroke_width(2))),
        )
        .map_err(backend)?;
    Ok(())
}

struct Nyquist<'a>(&'a SpectrumFigures);

impl Figure for Nyquist<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), FigureError> {
        let f = self.0;
        let all = || {
            f.data_ohm
                .iter()
                .chain(&f.model_ohm)
                .map(|&(re, im)| (re, -im))
        };
        let x_bounds = finite_bounds(all().map(|p| p.0));
        let y_bounds = finite_bounds(all().map(|p| p.1)).map(|(lo, hi)| (lo.min(0.0), hi));
        let root = titled(root, &format!("Nyquist: {}", f.title))?;
        let (w, _) = root.dim_in_pixel();
        let (plot_area, legend_area) = root.split_horizontally(w.saturating_sub(250));
        let mut chart = nyquist_chart(&plot_area, x_bounds, y_bounds)?;
        if all().next().is_none() {
            return note(&plot_area, "no impedance spectrum");
        }
        draw_data_and_model(&mut chart, f, &|_, (re, im)| (re, -im))?;
        // Decades on the model's line, or on the data without a model.
        let marks = if f.model_ohm.is_empty() {
            decade_marks(&f.frequency_hz, &f.data_ohm)
        } else {
            decade_marks(&f.model_frequency_hz, &f.model_ohm)
        };
        draw_decade_marks(&mut chart, &marks)?;
        draw_marked_legend(&legend_area, &legend(f))
    }
}

/// Tick labels of log₁₀ f: `10ᵏ` at whole k, nothing between.
fn decade_formatter(v: &f64) -> String {
    if (v - v.round()).abs() < 1e-6 {
        power_of_ten(v.round() as i32)
    } else {
        String::new()
    }
}

/// The range of log₁₀ f over data and model, whole decades at its ends.
fn log_f_range(f: &SpectrumFigures) -> Range<f64> {
    let bounds = finite_bounds(
        f.frequency_hz
            .iter()
            .chain(&f.model_frequency_hz)
            .filter(|v| **v > 0.0)
            .map(|v| v.log10()),
    );
    match bounds {
        Some((lo, hi)) if hi > lo => lo.floor()..hi.ceil().max(lo.floor() + 1.0),
        Some((lo, _)) => (lo.floor() - 1.0)..(lo.floor() + 1.0),
        None => -2.0..6.0,
    }
}

/// A chart over `x` (log₁₀ f) and `y` on `area`, with decade ticks.
fn log_f_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    x: Range<f64>,
    y: Range<f64>,
    y_desc: &str,
) -> Result<ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>, FigureError> {
    let decades = (x.end - x.start).round().max(1.0) as usize;
    let mut chart = ChartBuilder::on(area)
        .margin(20)
        .x_label_area_size(70)
        .y_label_area_size(110)
        .build_cartesian_2d(x, y.clone())
        .map_err(backend)?;
    draw_mesh(
        &mut chart,
        ("Frequency (Hz)", y_desc),
        decades + 1,
        &decade_formatter,
        &y,
        6,
    )?;
    Ok(chart)
}

struct Bode<'a>(&'a SpectrumFigures);

impl Figure for Bode<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), FigureError> {
        let f = self.0;
        let root = titled(root, &format!("Bode: {}", f.title))?;
        let (w, _) = root.dim_in_pixel();
        let (plots, legend_area) = root.split_horizontally(w.saturating_sub(250));
        let (top, bottom) = plots.split_vertically(plots.dim_in_pixel().1 / 2);
        let x = log_f_range(f);
        let modulus = |(re, im): (f64, f64)| re.hypot(im);
        let phase = |(re, im): (f64, f64)| -im.atan2(re).to_degrees();
        let all = || f.data_ohm.iter().chain(&f.model_ohm).copied();
        let y_mod = axis_range(
            finite_bounds(all().map(modulus)).map(|(lo, hi)| (lo.min(0.0), hi)),
            0.05,
            0.0..1.0,
        );
        let y_phase = axis_range(finite_bounds(all().map(phase)), 0.08, 0.0..90.0);
        let mut chart = log_f_chart(&top, x.clone(), y_mod, "|Z| (Ω)")?;
        draw_data_and_model(&mut chart, f, &|fr, z| (fr.log10(), modulus(z)))?;
        let mut chart = log_f_chart(&bottom, x, y_phase, "−phase (°)")?;
        draw_data_and_model(&mut chart, f, &|fr, z| (fr.log10(), phase(z)))?;
        draw_marked_legend(&legend_area, &legend(f))
    }
}

/// A residual series: label, colour, dashed, (log₁₀ f, residual \[%\]) points.
type ResidualSeries = (String, RGBColor, bool, Vec<(f64, f64)>);

struct ResidualFigure<'a>(&'a SpectrumFigures);

impl Figure for ResidualFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), FigureError> {
        let f = self.0;
        let root = titled(root, &format!("Relative residuals: {}", f.title))?;
        let (w, _) = root.dim_in_pixel();
        let (plot_area, legend_area) = root.split_horizontally(w.saturating_sub(250));
        let x = log_f_range(f);
        let mut series: Vec<ResidualSeries> = Vec::new();
        let points = |r: &[f64]| -> Vec<(f64, f64)> {
            f.frequency_hz
                .iter()
                .zip(r)
                .filter(|(fr, v)| **fr > 0.0 && v.is_finite())
                .map(|(fr, v)| (fr.log10(), 100.0 * v))
                .collect()
        };
        if let Some((re, im)) = &f.fit_residuals {
            series.push(("fit: Δ'".into(), BLUE, false, points(re)));
            series.push(("fit: Δ''".into(), RED, false, points(im)));
        }
        if let Some((re, im)) = &f.kk_residuals {
            series.push((
                "lin-KK: Δ'".into(),
                RGBColor(140, 180, 220),
                true,
                points(re),
            ));
            series.push((
                "lin-KK: Δ''".into(),
                RGBColor(230, 140, 140),
                true,
                points(im),
            ));
        }
        let bound = finite_bounds(series.iter().flat_map(|s| s.3.iter().map(|p| p.1.abs())))
            .map_or(1.0, |(_, hi)| hi)
            .max(1e-3);
        let y = (-1.15 * bound)..(1.15 * bound);
        let mut chart = log_f_chart(&plot_area, x, y, "residual (%)")?;
        for (_, colour, dashed, p) in &series {
            let style = ShapeStyle::from(colour).stroke_width(2);
            if *dashed {
                chart
                    .draw_series(DashedLineSeries::new(p.iter().copied(), 8, 6, style))
                    .map_err(backend)?;
            } else {
                chart
                    .draw_series(LineSeries::new(p.iter().copied(), style))
                    .map_err(backend)?;
                chart
                    .draw_series(p.iter().map(|&q| Circle::new(q, 4, style.filled())))
                    .map_err(backend)?;
            }
        }
        let entries: Vec<(String, RGBColor, bool)> = series
            .iter()
            .map(|(label, colour, dashed, _)| (label.clone(), *colour, !dashed))
            .collect();
        draw_marked_legend(&legend_area, &entries)
    }
}

/// The relative residuals (data − model)/|data| of the real and imaginary parts.
pub fn relative_residuals(data_ohm: &[(f64, f64)], model_ohm: &[(f64, f64)]) -> Residuals {
    data_ohm
        .iter()
        .zip(model_ohm)
        .map(|(&(dr, di), &(mr, mi))| {
            let m = dr.hypot(di);
            ((dr - mr) / m, (di - mi) / m)
        })
        .unzip()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powers_of_ten_in_superscript() {
        assert_eq!(power_of_ten(3), "10³");
        assert_eq!(power_of_ten(-2), "10⁻²");
        assert_eq!(power_of_ten(0), "10⁰");
        assert_eq!(decade_formatter(&5.0), "10⁵");
        assert_eq!(decade_formatter(&5.5), "");
    }

    #[test]
    fn the_three_figures_are_written() {
        let dir = tempfile::tempdir().unwrap();
        let rc = |f: f64| {
            let w = 2.0 * std::f64::consts::PI * f;
            let (r, c) = (50.0, 1e-6);
            let d = 1.0 + (w * r * c).powi(2);
            (20.0 + r / d, -w * r * r * c / d)
        };
        let frequency_hz: Vec<f64> = (0..=60)
            .map(|k| 1e5 * 10f64.powf(-k as f64 / 10.0))
            .collect();
        let model_frequency_hz: Vec<f64> = (0..=240)
            .map(|k| 1e5 * 10f64.powf(-k as f64 / 40.0))
            .collect();
        let data_ohm: Vec<(f64, f64)> = frequency_hz
            .iter()
            .map(|&f| {
                let (re, im) = rc(f);
                (re * 1.003, im)
            })
            .collect();
        let model: Vec<(f64, f64)> = frequency_hz.iter().map(|&f| rc(f)).collect();
        let figures = SpectrumFigures {
            title: "test".into(),
            fit_residuals: Some(relative_residuals(&data_ohm, &model)),
            kk_residuals: Some((vec![1e-4; 61], vec![-1e-4; 61])),
            model_ohm: model_frequency_hz.iter().map(|&f| rc(f)).collect(),
            model_frequency_hz,
            frequency_hz,
            data_ohm,
            data_label: "data".into(),
            model_label: "fit R0-p(R1,C1)".into(),
        };
        let paths = write_spectrum_figures(dir.path(), &figures).unwrap();
        assert_eq!(paths.len(), 6);
        for p in &paths {
            assert!(
                std::fs::metadata(p).unwrap().len() > 10_000,
                "{}",
                p.display()
            );
        }
        let svg = std::fs::read_to_string(dir.path().join("impedance_nyquist.svg")).unwrap();
        assert!(svg.contains("aria-label=\"10³ Hz\""), "decade marks");
        // Without residuals, two figures; without data, no failure.
        let bare = SpectrumFigures {
            fit_residuals: None,
            kk_residuals: None,
            frequency_hz: vec![],
            data_ohm: vec![],
            ..figures
        };
        assert_eq!(write_spectrum_figures(dir.path(), &bare).unwrap().len(), 4);
    }
}
