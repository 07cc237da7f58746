//! The common frame of the figures: their size, text sizes and colours, the `Figure` trait
//! and `write_figure` (a figure drawn as PNG and SVG under temporary names, then renamed),
//! axis ranges and ticks that stay finite for odd data, the mesh, the notes and the legends.

use std::ops::Range;
use std::path::{Path, PathBuf};

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::error::backend;
use super::text::{font, replace_glyph_placeholders, GlyphSvg, GlyphText};
use super::FigureError;

/// Width of the figures \[px\].
pub const PLOT_WIDTH_PX: u32 = 1200;
/// Height of the figures \[px\].
pub const PLOT_HEIGHT_PX: u32 = 800;

/// Font size of titles \[px\].
pub(super) const TITLE_SIZE: f64 = 34.0;
/// Font size of axis titles and notes \[px\].
pub(super) const DESC_SIZE: f64 = 28.0;
/// Font size of tick labels and legends \[px\].
pub(super) const LABEL_SIZE: f64 = 24.0;

/// The first series' colour (blue).
pub(super) const BLUE: RGBColor = RGBColor(31, 119, 180);
/// The second series' colour (red).
pub(super) const RED: RGBColor = RGBColor(214, 39, 40);
/// The colour of notes.
pub(super) const GREY: RGBColor = RGBColor(110, 110, 110);

/// A figure that can be drawn on any plotters backend.
pub(super) trait Figure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), FigureError>;
}

/// Draws `figure` into `<dir>/<stem>.png` and `<dir>/<stem>.svg`.
pub(super) fn write_figure<F: Figure>(
    dir: &Path,
    stem: &str,
    figure: &F,
) -> Result<[PathBuf; 2], FigureError> {
    let size = (PLOT_WIDTH_PX, PLOT_HEIGHT_PX);
    let png = dir.join(format!("{stem}.png"));
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| FigureError::Io { path, source }
    };
    // Drawn under a temporary name (ending in .png, which picks the encoder) and renamed, so
    // that a figure is never seen half-written.
    let png_tmp = dir.join(format!("{stem}.partial.png"));
    {
        let root = GlyphText(BitMapBackend::new(&png_tmp, size)).into_drawing_area();
        draw_on(&root, figure).map_err(FigureError::drawing(&png))?;
    }
    std::fs::rename(&png_tmp, &png).map_err(io_err(&png))?;
    let svg = dir.join(format!("{stem}.svg"));
    let mut text = String::new();
    let mut paths = Vec::new();
    {
        let root = GlyphSvg {
            inner: SVGBackend::with_string(&mut text, size),
            paths: &mut paths,
        }
        .into_drawing_area();
        draw_on(&root, figure).map_err(FigureError::drawing(&svg))?;
    }
    let text = replace_glyph_placeholders(&text, &paths).map_err(FigureError::drawing(&svg))?;
    // Under a temporary name first, so that the figure is never seen half-written.
    let tmp = dir.join(format!("{stem}.svg.partial"));
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, &svg))
        .map_err(io_err(&svg))?;
    Ok([png, svg])
}

/// Draws `figure` on `root`, white behind it.
fn draw_on<DB: DrawingBackend, F: Figure>(
    root: &DrawingArea<DB, Shift>,
    figure: &F,
) -> Result<(), FigureError> {
    root.fill(&WHITE).map_err(backend)?;
    figure.draw(root)?;
    root.present().map_err(backend)
}

/// The smallest and largest finite values, if any.
pub(super) fn finite_bounds(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

/// An axis range around `bounds` with a margin of `pad` of its span; a default span when
/// empty or single-valued, so that every range drawn is finite and not empty.
pub(super) fn axis_range(bounds: Option<(f64, f64)>, pad: f64, default: Range<f64>) -> Range<f64> {
    let Some((lo, hi)) = bounds else {
        return default;
    };
    let span = hi - lo;
    if !span.is_finite() {
        return default;
    }
    if span <= 1e-12 * hi.abs().max(lo.abs()).max(1e-300) {
        let d = if lo == 0.0 { 1.0 } else { 0.05 * lo.abs() };
        return (lo - d)..(hi + d);
    }
    let (start, end) = (lo - pad * span, hi + pad * span);
    if start.is_finite() && end.is_finite() {
        start..end
    } else {
        default
    }
}

/// The `q`-th and `(1 − q)`-th quantiles of `values` (finite ones) when there are at least 50,
/// so that a few outliers (the first cycle at a new rate, a plateau's peak) do not set an axis;
/// the full range for fewer.
pub(super) fn quantile_bounds(values: &[f64], q: f64) -> Option<(f64, f64)> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.len() < 50 {
        return finite_bounds(sorted.into_iter());
    }
    sorted.sort_by(f64::total_cmp);
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q.clamp(0.0, 1.0)).round() as usize];
    Some((at(q), at(1.0 - q)))
}

/// Tick labels with as many decimals as the tick spacing needs, for about `labels` ticks over
/// `range` (spaced by 1, 2 or 5 times a power of ten, as plotters places them).
pub(super) fn tick_formatter(range: &Range<f64>, labels: usize) -> impl Fn(&f64) -> String {
    let rough = (range.end - range.start) / labels.max(1) as f64;
    let decimals = if rough > 0.0 && rough.is_finite() {
        let power = 10f64.powf(rough.log10().floor());
        let step = [1.0, 2.0, 5.0, 10.0]
            .into_iter()
            .map(|m| m * power)
            .find(|&s| s >= rough * (1.0 - 1e-9))
            .unwrap_or(10.0 * power);
        (-step.log10() - 1e-9).ceil().clamp(0.0, 6.0) as usize
    } else {
        2
    };
    move |v: &f64| format!("{v:.decimals$}")
}

/// Cycle tick labels: whole cycle numbers only.
pub(super) fn cycle_formatter(v: &f64) -> String {
    if (v - v.round()).abs() < 1e-6 {
        format!("{}", v.round())
    } else {
        String::new()
    }
}

/// A chart of the figures against cycle on `area`: `x_range` of cycles (integer ticks) by
/// `y_range`, the y axis titled `y_desc` with `y_labels` ticks, and the light mesh of the run
/// figures drawn.
pub(super) fn cycle_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    x_range: Range<f64>,
    y_range: Range<f64>,
    y_desc: &str,
    y_labels: usize,
) -> Result<ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>, FigureError> {
    // Room for the widest tick label (about 0.6 em a character) beside the axis title.
    let format = tick_formatter(&y_range, y_labels);
    let widest = [y_range.start, y_range.end]
        .iter()
        .map(|v| format(v).chars().count())
        .max()
        .unwrap_or(4);
    let label_area = (50.0 + 0.62 * LABEL_SIZE * widest as f64).max(110.0) as u32;
    let mut chart = ChartBuilder::on(area)
        .margin(20)
        .x_label_area_size(70)
        .y_label_area_size(label_area)
        .build_cartesian_2d(x_range, y_range.clone())
        .map_err(backend)?;
    draw_mesh(
        &mut chart,
        ("Cycle", y_desc),
        10,
        &cycle_formatter,
        &y_range,
        y_labels,
    )?;
    Ok(chart)
}

/// The mesh of the run figures on `chart`: the axis titles, `x_labels` ticks on x written by
/// `x_format`, `y_labels` ticks on y with the decimals `y_range` needs, faint grid lines.
pub(super) fn draw_mesh<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    (x_desc, y_desc): (&str, &str),
    x_labels: usize,
    x_format: &dyn Fn(&f64) -> String,
    y_range: &Range<f64>,
    y_labels: usize,
) -> Result<(), FigureError> {
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .axis_desc_style(font(DESC_SIZE))
        .label_style(font(LABEL_SIZE))
        .x_labels(x_labels)
        .x_label_formatter(x_format)
        .y_labels(y_labels)
        .y_label_formatter(&tick_formatter(y_range, y_labels))
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.08))
        .draw()
        .map_err(backend)
}

/// A colour from dark blue (0) through green to yellow-green (1), after matplotlib's viridis
/// (stopping short of its pale yellow end, which is hard to see on white).
pub(super) fn cycle_colour(t: f64) -> RGBColor {
    const STOPS: [(f64, f64, f64); 5] = [
        (68.0, 1.0, 84.0),
        (59.0, 82.0, 139.0),
        (33.0, 145.0, 140.0),
        (94.0, 201.0, 98.0),
        (190.0, 223.0, 38.0),
    ];
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let x = t * (STOPS.len() - 1) as f64;
    let i = (x.floor() as usize).min(STOPS.len() - 2);
    let f = x - i as f64;
    let mix = |a: f64, b: f64| (a + (b - a) * f).round().clamp(0.0, 255.0) as u8;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Finite points only.
pub(super) fn finite_points(points: impl IntoIterator<Item = (f64, f64)>) -> Vec<(f64, f64)> {
    points
        .into_iter()
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect()
}

/// Writes `text` in the middle of a chart's plotting area.
pub(super) fn note<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
) -> Result<(), FigureError> {
    let (w, h) = area.dim_in_pixel();
    let style = font(DESC_SIZE)
        .color(&GREY)
        .pos(Pos::new(HPos::Center, VPos::Center));
    area.draw(&Text::new(
        text.to_owned(),
        ((w / 2) as i32, (h / 2) as i32),
        style,
    ))
    .map_err(backend)
}

/// A legend in its own area beside a chart: a coloured line and a label per entry.
pub(super) fn draw_side_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[(String, RGBColor)],
) -> Result<(), FigureError> {
    let entries: Vec<(String, RGBColor, bool)> = entries
        .iter()
        .map(|(t, c)| (t.clone(), *c, false))
        .collect();
    draw_marked_legend(area, &entries)
}

/// A legend in its own area beside a chart: per entry a coloured line, or (third field true)
/// a filled marker as measured points are drawn, and a label.
pub(super) fn draw_marked_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[(String, RGBColor, bool)],
) -> Result<(), FigureError> {
    let label = font(LABEL_SIZE).pos(Pos::new(HPos::Left, VPos::Center));
    for (i, (text, colour, marker)) in entries.iter().enumerate() {
        let y = 40 + 34 * i as i32;
        if *marker {
            area.draw(&Circle::new(
                (30, y),
                7,
                ShapeStyle::from(BLACK).stroke_width(2),
            ))
            .map_err(backend)?;
            area.draw(&Circle::new((30, y), 6, colour.mix(0.6).filled()))
                .map_err(backend)?;
        } else {
            let style = ShapeStyle::from(colour).stroke_width(4);
            area.draw(&PathElement::new(vec![(10, y), (50, y)], style))
                .map_err(backend)?;
        }
        area.draw(&Text::new(text.clone(), (60, y), label.clone()))
            .map_err(backend)?;
    }
    Ok(())
}

/// The colour of the `i`-th of `n` cycles drawn ([`cycle_colour`] from the first to the last).
pub(super) fn cycle_colour_of(i: usize, n: usize) -> RGBColor {
    cycle_colour(if n > 1 {
        i as f64 / (n - 1) as f64
    } else {
        0.0
    })
}

/// The area below a figure's title: 8 px of margin above, the title centred in
/// [`TITLE_SIZE`]. Every figure starts from it.
pub(super) fn titled<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
) -> Result<DrawingArea<DB, Shift>, FigureError> {
    root.margin(8, 0, 0, 0)
        .titled(title, font(TITLE_SIZE))
        .map_err(backend)
}

/// A line of text at the top right of a panel's plotting area.
pub(super) fn corner_note<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
) -> Result<(), FigureError> {
    let (w, _) = area.dim_in_pixel();
    let style = font(LABEL_SIZE - 4.0).pos(Pos::new(HPos::Right, VPos::Top));
    area.draw(&Text::new(text.to_string(), (w as i32 - 30, 24), style))
        .map_err(backend)
}

/// The qualitative palette of the series of the sweep and validation figures (matplotlib's
/// tab10, with the run figures' [`BLUE`] and [`RED`]).
pub(super) const PALETTE: [RGBColor; 10] = [
    BLUE,
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RED,
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_and_ticks() {
        assert_eq!(cycle_colour(0.0), RGBColor(68, 1, 84));
        assert_eq!(cycle_colour(f64::NAN), RGBColor(68, 1, 84));
        assert_eq!(cycle_colour(2.0), RGBColor(190, 223, 38));
        assert_eq!(cycle_formatter(&3.0), "3");
        assert_eq!(cycle_formatter(&2.5), "");
        assert_eq!(tick_formatter(&(2.5..4.5), 8)(&3.3), "3.3");
        assert_eq!(tick_formatter(&(3.6..3.95), 8)(&3.9), "3.90");
        assert_eq!(tick_formatter(&(3.6..3.95), 4)(&3.9), "3.9");
        assert_eq!(tick_formatter(&(0.0..200.0), 8)(&100.0), "100");
        assert_eq!(axis_range(None, 0.1, 0.0..1.0), 0.0..1.0);
        assert_eq!(axis_range(Some((0.0, 0.0)), 0.1, 0.0..1.0), -1.0..1.0);
        let r = axis_range(Some((3.5, 3.5)), 0.1, 0.0..1.0);
        assert!(r.start < 3.5 && r.end > 3.5);
    }
}
