//! The figures of a validation: measured data as markers over the simulated runs as lines, as
//! PNG and SVG. Each figure is an [`Overlay`] of plain series (label, colour, points); the
//! validation layer builds them from its runs and comparisons. A figure with no data is not
//! written.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::error::backend;
use super::frame::{
    axis_range, cycle_formatter, draw_marked_legend, draw_mesh, finite_bounds, tick_formatter,
    titled, write_figure, Figure, PALETTE,
};
use super::text::{ensure_font, font};
use super::{Colour, FigureError};

/// Most markers of one measured series drawn; denser series are thinned (every k-th point).
pub const MAX_MARKERS: usize = 150;

/// A series of a figure: its legend label, colour and (x, y) points.
pub type Series = (String, Colour, Vec<(f64, f64)>);

/// One figure: simulated lines and measured markers.
#[derive(Debug, Clone, PartialEq)]
pub struct Overlay {
    /// The title.
    pub title: String,
    /// The x axis title.
    pub x_desc: &'static str,
    /// The y axis title.
    pub y_desc: &'static str,
    /// Whether x is the cycle number (whole-number ticks).
    pub cycles_on_x: bool,
    /// (label, colour, points) drawn as lines; NaN breaks a line.
    pub lines: Vec<Series>,
    /// (label, colour, points) drawn as markers.
    pub markers: Vec<Series>,
    /// A note under the legend.
    pub note: Option<String>,
}

impl Overlay {
    /// Whether any point is finite (a figure without is not written).
    pub fn has_data(&self) -> bool {
        self.lines
            .iter()
            .chain(&self.markers)
            .flat_map(|(_, _, p)| p)
            .any(|p| p.0.is_finite() && p.1.is_finite())
    }
}

impl Figure for Overlay {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), FigureError> {
        let root = titled(root, &self.title)?;
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
            .map_err(backend)?;
        let x_format = tick_formatter(&x_range, 8);
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
        // Measured markers first, the simulated lines over them, so that dense data (a
        // thousand cycles) never hides the model; above MAX_MARKERS points every k-th is
        // drawn, small and hollow, and the legend says so.
        let mut legend: Vec<(String, RGBColor, bool)> = Vec::new();
        for (label, colour, points) in &self.markers {
            let finite: Vec<(f64, f64)> = points
                .iter()
                .copied()
                .filter(|p| p.0.is_finite() && p.1.is_finite())
                .collect();
            let stride = finite.len().div_ceil(MAX_MARKERS).max(1);
            let (size, fill) = if stride > 1 { (4, 0.0) } else { (7, 0.6) };
            chart
                .draw_series(finite.iter().step_by(stride).map(|&p| {
                    EmptyElement::at(p)
                        + Circle::new((0, 0), size, ShapeStyle::from(BLACK).stroke_width(1))
                        + Circle::new((0, 0), size - 1, colour.mix(fill).filled())
                }))
                .map_err(backend)?;
            let label = if stride > 1 {
                format!("{label} (1 in {stride} of {} points)", finite.len())
            } else {
                label.clone()
            };
            legend.push((label, *colour, true));
        }
        let mut lines_legend: Vec<(String, RGBColor, bool)> = Vec::new();
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
                        .map_err(backend)?;
                }
            }
            lines_legend.push((label.clone(), *colour, false));
        }
        // Lines first in the legend, as before.
        lines_legend.append(&mut legend);
        let legend = lines_legend;
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
                        .map_err(backend)?;
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
pub fn run_colour(run: usize) -> Colour {
    PALETTE[run % PALETTE.len()]
}

/// Writes each `(stem, overlay)` with data into `<dir>/<stem>.{png,svg}` (`dir` must exist) and
/// returns the paths written.
pub fn write_overlays(
    dir: &Path,
    figures: &[(&str, &Overlay)],
) -> Result<Vec<PathBuf>, FigureError> {
    ensure_font()?;
    let mut written = Vec::new();
    for (stem, figure) in figures {
        if figure.has_data() {
            written.extend(write_figure(dir, stem, *figure)?);
        }
    }
    Ok(written)
}

/// `base` lightened a little for the n-th curve of the figure, so that curves of one run stay
/// apart.
pub fn shade_of(base: Colour, n: usize) -> Colour {
    let t = (n % 4) as f64 * 0.18;
    let mix = |c: u8| (c as f64 + (255.0 - c as f64) * t).round() as u8;
    Colour(mix(base.0), mix(base.1), mix(base.2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_markers_are_thinned_and_drawn_under_the_model_line() {
        let dir = tempfile::tempdir().unwrap();
        let measured: Vec<(f64, f64)> = (1..=1000)
            .map(|n| (n as f64, 200.0 - 0.01 * n as f64))
            .collect();
        let model: Vec<(f64, f64)> = (1..=1000)
            .map(|n| (n as f64, 200.1 - 0.01 * n as f64))
            .collect();
        let overlay = Overlay {
            title: "Capacity".into(),
            x_desc: "Cycle",
            y_desc: "Capacity (mAh/g)",
            cycles_on_x: true,
            lines: vec![("model".into(), PALETTE[0], model)],
            markers: vec![("measured".into(), PALETTE[1], measured)],
            note: None,
        };
        ensure_font().unwrap();
        write_figure(dir.path(), "overlay", &overlay).unwrap();
        let svg = std::fs::read_to_string(dir.path().join("overlay.svg")).unwrap();
        assert!(svg.contains("measured (1 in 7 of 1000 points)"), "legend");
        // 143 hollow markers (their transparent fill not drawn), plus the legend's marker.
        let circles = svg.matches("<circle").count();
        assert!((143..=150).contains(&circles), "{circles} circles");
        // The model line (the first polyline of its colour; axes and ticks are black) comes
        // after, so over, every marker.
        let first_line = svg
            .find("<polyline fill=\"none\" opacity=\"1\" stroke=\"#1F77B4\"")
            .unwrap();
        let markers_before = svg[..first_line].matches("<circle").count();
        assert!(
            markers_before >= 143,
            "{markers_before} markers before the line"
        );
    }
}
