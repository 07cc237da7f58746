//! The figures of a run, as PNG and SVG, drawn with `plotters`:
//!
//! 1. `voltage_capacity.{png,svg}`: cell voltage against specific capacity (mA·h/g of active
//!    material, or mA·h when no mass is known) for the saved cycles, charge and discharge, one
//!    colour per cycle from dark (first) to light (last);
//! 2. `capacity_efficiency.{png,svg}`: discharge capacity (top) and coulombic efficiency in %
//!    (bottom) against cycle number;
//! 3. `mean_voltage.{png,svg}`: capacity-weighted mean charge and discharge voltages against
//!    cycle number.
//!
//! The data come from a [`PlotData`], which collects them as a run streams its rows and cycle
//! summaries, in bounded memory: one [`CycleSummary`] per cycle, and the curves of at most
//! [`PlotData::DEFAULT_MAX_CURVES`] saved cycles (spread evenly over the run, always with the
//! first and the latest), each thinned to at most [`MAX_POINTS_PER_BRANCH`] points per branch.
//!
//! **Fonts.** The text is drawn with DejaVu Sans, shipped in `assets/fonts/` (licence beside
//! it) and compiled into the binary; plotters' `ab_glyph` font backend is used, which never
//! looks for system fonts, so the PNGs are the same on every machine. (The PNG backend is
//! wrapped to rasterise text itself with `ab_glyph`, placing each glyph by its side bearing and
//! centring capitals in the text box: plotters 0.3.7 ignores side bearings, which opens gaps
//! such as "m Ah", and draws text partly above its box.) The SVGs need no font either: each
//! text is written as one filled `<path>` of the glyph outlines (quadratic curves from
//! `ab_glyph`), laid out as in the PNGs and labelled with the text (`aria-label`), so they look
//! the same in every viewer.
//!
//! Odd data do not make the drawing fail: values that are not finite are left out, and empty or
//! single-valued ranges get a default span.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ab_glyph::{Font as _, FontRef, ScaleFont as _};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{register_font, FontStyle};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind, FontTransform,
};

use crate::protocol::{CycleSummary, TimeseriesRecord, TimeseriesSink};

/// File stem of the voltage–capacity figure (`.png` and `.svg` are written).
pub const VOLTAGE_CAPACITY_PLOT: &str = "voltage_capacity";
/// File stem of the discharge capacity and coulombic efficiency figure.
pub const CAPACITY_EFFICIENCY_PLOT: &str = "capacity_efficiency";
/// File stem of the mean voltage figure.
pub const MEAN_VOLTAGE_PLOT: &str = "mean_voltage";
/// Width of the figures \[px\].
pub const PLOT_WIDTH_PX: u32 = 1200;
/// Height of the figures \[px\].
pub const PLOT_HEIGHT_PX: u32 = 800;
/// Largest number of points kept for one branch (charge or discharge) of one cycle's curve:
/// longer branches keep every 2nd, 4th, … point, and always their last one.
pub const MAX_POINTS_PER_BRANCH: usize = 2000;

/// DejaVu Sans (see `assets/fonts/LICENSE`).
const FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
/// The family name the font is registered under with plotters.
const FONT_FAMILY: &str = "DejaVu Sans, sans-serif";

pub(crate) const TITLE_SIZE: f64 = 34.0;
pub(super) const DESC_SIZE: f64 = 28.0;
pub(super) const LABEL_SIZE: f64 = 24.0;

pub(super) const BLUE: RGBColor = RGBColor(31, 119, 180);
pub(super) const RED: RGBColor = RGBColor(214, 39, 40);
pub(super) const GREY: RGBColor = RGBColor(110, 110, 110);

/// Why a figure could not be written.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The embedded font could not be loaded (a damaged build).
    #[error("the embedded plot font could not be loaded")]
    Font,
    /// There was nothing to draw (no finite value), so no file was written.
    #[error("no data to plot for {figure}")]
    NoData {
        /// The figure's file stem.
        figure: String,
    },
    /// Drawing or writing a file failed.
    #[error("writing {}: {message}", path.display())]
    Draw {
        /// The file being written.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

/// One saved cycle's voltage–capacity curve.
#[derive(Debug, Clone, PartialEq)]
pub struct CycleCurve {
    /// Cycle number, from 1.
    pub cycle: usize,
    /// Charge branch: (charge passed since the cycle's charging began \[A·h\], voltage \[V\]).
    pub charge: Vec<(f64, f64)>,
    /// Discharge branch: (charge delivered since the cycle's discharging began \[A·h\],
    /// voltage \[V\]).
    pub discharge: Vec<(f64, f64)>,
}

/// Points of one branch, thinned by doubling strides to stay within [`MAX_POINTS_PER_BRANCH`].
#[derive(Debug, Clone)]
struct Branch {
    /// The points whose index (in arrival order) is a multiple of `stride`.
    points: Vec<(f64, f64)>,
    stride: usize,
    /// Points received.
    seen: usize,
    /// The latest point received.
    latest: Option<(f64, f64)>,
}

impl Branch {
    fn new() -> Self {
        Branch {
            points: Vec::new(),
            stride: 1,
            seen: 0,
            latest: None,
        }
    }

    fn push(&mut self, p: (f64, f64)) {
        if self.seen % self.stride == 0 {
            if self.points.len() >= MAX_POINTS_PER_BRANCH {
                self.stride *= 2;
                let mut i = 0;
                self.points.retain(|_| {
                    i += 1;
                    (i - 1) % 2 == 0
                });
            }
            if self.seen % self.stride == 0 {
                self.points.push(p);
            }
        }
        self.seen += 1;
        self.latest = Some(p);
    }

    /// The kept points, ending with the latest one.
    fn to_points(&self) -> Vec<(f64, f64)> {
        let mut points = self.points.clone();
        let last_kept = points.len().checked_sub(1).map(|i| i * self.stride);
        if let (Some(p), Some(k)) = (self.latest, last_kept) {
            if k + 1 != self.seen {
                points.push(p);
            }
        }
        points
    }
}

/// A curve being recorded.
#[derive(Debug, Clone)]
struct CurveBuilder {
    cycle: usize,
    /// Net discharge capacity of the previous row \[A·h\].
    prev_q: Option<f64>,
    /// Charge passed on charge so far in this cycle \[A·h\].
    charged_ah: f64,
    /// Charge delivered on discharge so far in this cycle \[A·h\].
    discharged_ah: f64,
    charge: Branch,
    discharge: Branch,
}

impl CurveBuilder {
    fn new(cycle: usize) -> Self {
        CurveBuilder {
            cycle,
            prev_q: None,
            charged_ah: 0.0,
            discharged_ah: 0.0,
            charge: Branch::new(),
            discharge: Branch::new(),
        }
    }

    fn record(&mut self, row: &TimeseriesRecord) {
        let q = row.discharge_capacity_ah;
        if let Some(prev) = self.prev_q {
            let dq = q - prev;
            if dq > 0.0 {
                self.discharged_ah += dq;
            } else if dq < 0.0 {
                self.charged_ah -= dq;
            }
        }
        if q.is_finite() {
            self.prev_q = Some(q);
        }
        if row.current_a > 0.0 {
            self.discharge.push((self.discharged_ah, row.voltage_v));
        } else if row.current_a < 0.0 {
            self.charge.push((self.charged_ah, row.voltage_v));
        }
    }

    fn to_curve(&self) -> CycleCurve {
        CycleCurve {
            cycle: self.cycle,
            charge: self.charge.to_points(),
            discharge: self.discharge.to_points(),
        }
    }
}

/// What the figures need, collected from a run's rows and cycle summaries in bounded memory.
///
/// It is a [`TimeseriesSink`] (wanting every cycle's rows); [`super::RunSink`] feeds one with
/// the saved cycles only.
#[derive(Debug, Clone)]
pub struct PlotData {
    /// Mass of active material \[kg\]; capacities are plotted per gram when known.
    active_mass_kg: Option<f64>,
    summaries: Vec<CycleSummary>,
    max_curves: usize,
    /// Curves kept, with their ordinal among the saved cycles (a multiple of `stride`).
    kept: Vec<(usize, CycleCurve)>,
    stride: usize,
    /// Saved cycles finished so far.
    finished_curves: usize,
    /// The latest finished curve, when it is not in `kept`.
    latest: Option<CycleCurve>,
    /// The curve of the cycle going on.
    current: Option<CurveBuilder>,
}

impl PlotData {
    /// Default largest number of cycle curves kept for the voltage–capacity figure.
    pub const DEFAULT_MAX_CURVES: usize = 12;

    /// Empty data; `active_mass_kg` is the active-material mass \[kg\] (capacities are plotted
    /// in mA·h/g with it, in mA·h without; a mass that is not finite and positive counts as
    /// none).
    pub fn new(active_mass_kg: Option<f64>) -> Self {
        Self::with_max_curves(active_mass_kg, Self::DEFAULT_MAX_CURVES)
    }

    /// As [`PlotData::new`], keeping at most `max_curves` (at least 2) finished cycles'
    /// curves, plus that of the cycle going on.
    pub fn with_max_curves(active_mass_kg: Option<f64>, max_curves: usize) -> Self {
        PlotData {
            active_mass_kg: active_mass_kg.filter(|m| m.is_finite() && *m > 0.0),
            summaries: Vec::new(),
            max_curves: max_curves.max(2),
            kept: Vec::new(),
            stride: 1,
            finished_curves: 0,
            latest: None,
            current: None,
        }
    }

    /// The active-material mass \[kg\], if known.
    pub fn active_mass_kg(&self) -> Option<f64> {
        self.active_mass_kg
    }

    /// The summaries of the cycles finished so far.
    pub fn summaries(&self) -> &[CycleSummary] {
        &self.summaries
    }

    /// Adds the summary of a finished cycle, and closes that cycle's curve.
    pub fn add_cycle(&mut self, summary: &CycleSummary) {
        self.summaries.push(*summary);
        if self
            .current
            .as_ref()
            .is_some_and(|c| c.cycle == summary.cycle)
        {
            self.close_curve();
        }
    }

    /// Adds one row to the curve of its cycle.
    pub fn add_row(&mut self, row: &TimeseriesRecord) {
        if self.current.as_ref().is_some_and(|c| c.cycle != row.cycle) {
            self.close_curve();
        }
        self.current
            .get_or_insert_with(|| CurveBuilder::new(row.cycle))
            .record(row);
    }

    fn close_curve(&mut self) {
        let Some(builder) = self.current.take() else {
            return;
        };
        let curve = builder.to_curve();
        let ordinal = self.finished_curves;
        self.finished_curves += 1;
        if ordinal % self.stride == 0 && self.kept.len() + 1 >= self.max_curves {
            // Keep room for the latest curve: halve the kept set.
            self.stride *= 2;
            let stride = self.stride;
            self.kept.retain(|(k, _)| k % stride == 0);
        }
        if ordinal % self.stride == 0 {
            self.kept.push((ordinal, curve));
            self.latest = None;
        } else {
            self.latest = Some(curve);
        }
    }

    /// The cycle curves to draw, in cycle order: the kept ones, the latest finished one and the
    /// one going on (a run that stopped part-way shows its last, partial cycle).
    pub fn curves(&self) -> Vec<CycleCurve> {
        let mut curves: Vec<CycleCurve> = self.kept.iter().map(|(_, c)| c.clone()).collect();
        curves.extend(self.latest.clone());
        curves.extend(self.current.as_ref().map(CurveBuilder::to_curve));
        curves
    }
}

impl TimeseriesSink for PlotData {
    fn record(&mut self, row: &TimeseriesRecord) -> std::io::Result<()> {
        self.add_row(row);
        Ok(())
    }

    fn cycle_finished(&mut self, summary: &CycleSummary) -> std::io::Result<()> {
        self.add_cycle(summary);
        Ok(())
    }
}

/// Registers the embedded font with plotters, once per process.
pub(crate) fn ensure_font() -> Result<(), PlotError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        // Also under plotters' default family, so that no text can fall back to a missing font.
        register_font(FONT_FAMILY, FontStyle::Normal, FONT_BYTES).is_ok()
            && register_font("sans-serif", FontStyle::Normal, FONT_BYTES).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(PlotError::Font)
    }
}

/// The embedded font, parsed once.
fn embedded_font() -> Option<&'static FontRef<'static>> {
    static FONT: OnceLock<Option<FontRef<'static>>> = OnceLock::new();
    FONT.get_or_init(|| FontRef::try_from_slice(FONT_BYTES).ok())
        .as_ref()
}

/// Lays out `text` at `size` (plotters' font size: ascent minus descent \[px\]) with `font`, in
/// the coordinates of the text box plotters lays out (`(0, 0)` top left, width the sum of
/// advances and kerning, height `size / 1.24`): each glyph with its pen position on the
/// baseline, capitals and digits centred vertically in the box.
fn layout_glyphs(font: &FontRef<'_>, size: f32, text: &str) -> Vec<ab_glyph::Glyph> {
    let scaled = font.as_scaled(size);
    let cap_height = scaled
        .outline_glyph(scaled.scaled_glyph('H'))
        .map_or(0.7 * size, |o| o.px_bounds().height());
    let baseline = 0.5 * (size / 1.24 + cap_height);
    let mut pen = 0.0f32;
    let mut previous = None;
    let mut glyphs = Vec::with_capacity(text.len());
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = previous {
            pen += scaled.kern(p, id);
        }
        glyphs.push(id.with_scale_and_position(scaled.scale, ab_glyph::point(pen, baseline)));
        pen += scaled.h_advance(id);
        previous = Some(id);
    }
    glyphs
}

/// Rasterises `text` as [`layout_glyphs`] places it, calling `pixel(x, y, coverage)` for each
/// pixel touched, in the coordinates of the text box.
fn rasterise_text(font: &FontRef<'_>, size: f32, text: &str, mut pixel: impl FnMut(i32, i32, f32)) {
    for glyph in layout_glyphs(font, size, text) {
        if let Some(outline) = font.outline_glyph(glyph) {
            let bounds = outline.px_bounds();
            let (x0, y0) = (bounds.min.x as i32, bounds.min.y as i32);
            outline.draw(|x, y, coverage| pixel(x0 + x as i32, y0 + y as i32, coverage));
        }
    }
}

/// The offset from a text's anchor point to the top left of its text box (before rotation),
/// as plotters anchors text.
fn text_box_offset<S: BackendTextStyle>(style: &S, text: &str) -> Result<(i32, i32), S::FontError> {
    let ((min_x, min_y), (max_x, max_y)) = style.layout_box(text)?;
    let (width, height) = (max_x - min_x, max_y - min_y);
    let dx = match style.anchor().h_pos {
        HPos::Left => 0,
        HPos::Right => -width,
        HPos::Center => -width / 2,
    };
    let dy = match style.anchor().v_pos {
        VPos::Top => 0,
        VPos::Center => -height / 2,
        VPos::Bottom => -height,
    };
    Ok((dx - min_x, dy - min_y))
}

/// `(x, y)` rotated as plotters rotates text (see `FontTransform::transform`).
fn rotate(transform: &FontTransform, x: f32, y: f32) -> (f32, f32) {
    match transform {
        FontTransform::None => (x, y),
        FontTransform::Rotate90 => (-y, x),
        FontTransform::Rotate180 => (-x, -y),
        FontTransform::Rotate270 => (y, -x),
    }
}

/// Appends `v` rounded to 0.1 to `d`, without a trailing `.0`.
fn push_coord(d: &mut String, v: f32) {
    use std::fmt::Write as _;
    let tenths = (v * 10.0).round() as i64;
    let sign = if tenths < 0 { "-" } else { "" };
    let (whole, frac) = (tenths.unsigned_abs() / 10, tenths.unsigned_abs() % 10);
    let _ = if frac == 0 {
        write!(d, "{sign}{whole}")
    } else {
        write!(d, "{sign}{whole}.{frac}")
    };
}

/// SVG path data (`M`, `L`, `Q`, `C`, `Z`, absolute pixel coordinates) of the outlines of
/// `text` laid out as [`rasterise_text`] draws it, moved and rotated by `place` from
/// text-box coordinates to the figure's; empty if no glyph has an outline.
fn text_path_data(
    font: &FontRef<'_>,
    size: f32,
    text: &str,
    place: impl Fn(f32, f32) -> (f32, f32),
) -> String {
    use ab_glyph::OutlineCurve;
    let scaled = font.as_scaled(size);
    let (sx, sy) = (scaled.h_scale_factor(), scaled.v_scale_factor());
    let mut d = String::new();
    for glyph in layout_glyphs(font, size, text) {
        let Some(outline) = font.outline(glyph.id) else {
            continue;
        };
        let origin = glyph.position;
        let point = |p: ab_glyph::Point| place(origin.x + p.x * sx, origin.y - p.y * sy);
        let mut end: Option<ab_glyph::Point> = None;
        let push = |d: &mut String, cmd: char, points: &[ab_glyph::Point]| {
            d.push(cmd);
            for (i, &p) in points.iter().enumerate() {
                let (x, y) = point(p);
                if i > 0 {
                    d.push(' ');
                }
                push_coord(d, x);
                d.push(' ');
                push_coord(d, y);
            }
        };
        for curve in &outline.curves {
            let (start, last) = match *curve {
                OutlineCurve::Line(a, b) | OutlineCurve::Quad(a, _, b) => (a, b),
                OutlineCurve::Cubic(a, _, _, b) => (a, b),
            };
            if end != Some(start) {
                if end.is_some() {
                    d.push('Z');
                }
                push(&mut d, 'M', &[start]);
            }
            match *curve {
                OutlineCurve::Line(_, b) => push(&mut d, 'L', &[b]),
                OutlineCurve::Quad(_, c, b) => push(&mut d, 'Q', &[c, b]),
                OutlineCurve::Cubic(_, c1, c2, b) => push(&mut d, 'C', &[c1, c2, b]),
            }
            end = Some(last);
        }
        if end.is_some() {
            d.push('Z');
        }
    }
    d
}

/// Escapes `text` for an XML attribute value.
fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// A bitmap backend that draws text with [`rasterise_text`] (everything else is the inner
/// backend's). Text is laid out and anchored as plotters does it, so that layouts match.
struct GlyphText<DB>(DB);

impl<DB: DrawingBackend> DrawingBackend for GlyphText<DB> {
    type ErrorType = DB::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.0.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.fill_polygon(vert, style)
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        let Some(font) = embedded_font() else {
            return self.0.draw_text(text, style, pos);
        };
        let (ox, oy) =
            text_box_offset(style, text).map_err(|e| DrawingErrorKind::FontError(Box::new(e)))?;
        let transform = style.transform();
        let (w, h) = self.get_size();
        let mut result = Ok(());
        rasterise_text(font, style.size() as f32, text, |x, y, coverage| {
            if result.is_err() || coverage <= 0.0 {
                return;
            }
            let (x, y) = transform.transform(x + ox, y + oy);
            let (x, y) = (pos.0 + x, pos.1 + y);
            if x >= 0 && x < w as i32 && y >= 0 && y < h as i32 {
                let pixel = BackendColor {
                    alpha: color.alpha * f64::from(coverage.min(1.0)),
                    rgb: color.rgb,
                };
                result = self.0.draw_pixel((x, y), pixel);
            }
        });
        result
    }

    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        self.0.estimate_text_size(text, style)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.blit_bitmap(pos, size, src)
    }
}

/// Marks, in the SVG written by the inner backend of [`GlyphSvg`], where the glyph outlines of
/// a text go: the text of a placeholder `<text>` element is this followed by the text's index.
const GLYPH_MARK: &str = "glyph-outline-";

/// An SVG backend wrapper that draws text as glyph outlines of the embedded font, so that the
/// SVG needs no font: each text becomes one filled `<path>` (laid out as [`GlyphText`] lays it
/// out for the PNG), labelled with the text for search and accessibility. The inner backend
/// writes a placeholder `<text>` in its place, to keep the drawing order;
/// [`replace_glyph_placeholders`] then swaps the paths in.
struct GlyphSvg<'p, DB> {
    inner: DB,
    /// The `<path>` elements, in drawing order.
    paths: &'p mut Vec<String>,
}

impl<DB: DrawingBackend> DrawingBackend for GlyphSvg<'_, DB> {
    type ErrorType = DB::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.fill_polygon(vert, style)
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        let Some(font) = embedded_font() else {
            return self.inner.draw_text(text, style, pos);
        };
        let (ox, oy) =
            text_box_offset(style, text).map_err(|e| DrawingErrorKind::FontError(Box::new(e)))?;
        let transform = style.transform();
        let d = text_path_data(font, style.size() as f32, text, |x, y| {
            let (x, y) = rotate(&transform, x + ox as f32, y + oy as f32);
            (pos.0 as f32 + x, pos.1 as f32 + y)
        });
        if d.is_empty() {
            return Ok(());
        }
        let (r, g, b) = color.rgb;
        let opacity = if color.alpha < 1.0 {
            format!(" fill-opacity=\"{:.3}\"", color.alpha)
        } else {
            String::new()
        };
        self.paths.push(format!(
            "<path aria-label=\"{}\" fill=\"#{r:02X}{g:02X}{b:02X}\"{opacity} d=\"{d}\"/>",
            xml_escape(text)
        ));
        let mark = format!("{GLYPH_MARK}{}", self.paths.len() - 1);
        self.inner.draw_text(&mark, style, pos)
    }

    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        self.inner.estimate_text_size(text, style)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.blit_bitmap(pos, size, src)
    }
}

/// Replaces each placeholder `<text>` element that [`GlyphSvg`] had written in `svg` with its
/// `<path>` from `paths`.
fn replace_glyph_placeholders(svg: &str, paths: &[String]) -> Result<String, String> {
    let mut out = String::with_capacity(svg.len() + paths.iter().map(String::len).sum::<usize>());
    let mut rest = svg;
    while let Some(start) = rest.find("<text") {
        out.push_str(&rest[..start]);
        let element = &rest[start..];
        let close = "</text>";
        let end = element
            .find(close)
            .ok_or_else(|| "an unclosed <text> element in the SVG".to_string())?;
        let content = element[..end]
            .find('>')
            .map(|i| element[i + 1..end].trim())
            .unwrap_or_default();
        let path = content
            .strip_prefix(GLYPH_MARK)
            .and_then(|i| i.parse::<usize>().ok())
            .and_then(|i| paths.get(i))
            .ok_or_else(|| format!("a <text> element not drawn as glyphs: {content:?}"))?;
        out.push_str(path);
        rest = &element[end + close.len()..];
    }
    out.push_str(rest);
    Ok(out)
}

pub(crate) fn font(size: f64) -> TextStyle<'static> {
    (FONT_FAMILY, size).into_font().color(&BLACK)
}

/// Writes the three figures, PNG and SVG, into `dir` (which must exist), and returns the
/// paths written.
pub fn write_plots(dir: &Path, data: &PlotData) -> Result<Vec<PathBuf>, PlotError> {
    ensure_font()?;
    let mut written = Vec::with_capacity(6);
    written.extend(write_figure(
        dir,
        VOLTAGE_CAPACITY_PLOT,
        &VoltageCapacity(data),
    )?);
    written.extend(write_figure(
        dir,
        CAPACITY_EFFICIENCY_PLOT,
        &CapacityEfficiency(data),
    )?);
    written.extend(write_figure(dir, MEAN_VOLTAGE_PLOT, &MeanVoltage(data))?);
    Ok(written)
}

/// A figure that can be drawn on any plotters backend.
pub(crate) trait Figure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String>;
}

/// Turns a plotters error into its message.
pub(crate) fn msg<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// Draws `figure` into `<dir>/<stem>.png` and `<dir>/<stem>.svg`.
pub(crate) fn write_figure<F: Figure>(
    dir: &Path,
    stem: &str,
    figure: &F,
) -> Result<[PathBuf; 2], PlotError> {
    let size = (PLOT_WIDTH_PX, PLOT_HEIGHT_PX);
    let png = dir.join(format!("{stem}.png"));
    let draw_err = |path: &Path| {
        let path = path.to_path_buf();
        move |message| PlotError::Draw { path, message }
    };
    // Drawn under a temporary name (ending in .png, which picks the encoder) and renamed, so
    // that a figure is never seen half-written.
    let png_tmp = dir.join(format!("{stem}.partial.png"));
    {
        let root = GlyphText(BitMapBackend::new(&png_tmp, size)).into_drawing_area();
        root.fill(&WHITE).map_err(msg).map_err(draw_err(&png))?;
        figure.draw(&root).map_err(draw_err(&png))?;
        root.present().map_err(msg).map_err(draw_err(&png))?;
    }
    std::fs::rename(&png_tmp, &png)
        .map_err(msg)
        .map_err(draw_err(&png))?;
    let svg = dir.join(format!("{stem}.svg"));
    let mut text = String::new();
    let mut paths = Vec::new();
    {
        let root = GlyphSvg {
            inner: SVGBackend::with_string(&mut text, size),
            paths: &mut paths,
        }
        .into_drawing_area();
        root.fill(&WHITE).map_err(msg).map_err(draw_err(&svg))?;
        figure.draw(&root).map_err(draw_err(&svg))?;
        root.present().map_err(msg).map_err(draw_err(&svg))?;
    }
    let text = replace_glyph_placeholders(&text, &paths).map_err(draw_err(&svg))?;
    // Under a temporary name first, so that the figure is never seen half-written.
    let tmp = dir.join(format!("{stem}.svg.partial"));
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, &svg))
        .map_err(msg)
        .map_err(draw_err(&svg))?;
    Ok([png, svg])
}

/// The smallest and largest finite values, if any.
pub(crate) fn finite_bounds(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

/// An axis range around `bounds` with a margin of `pad` of its span; a default span when
/// empty or single-valued, so that every range drawn is finite and not empty.
pub(crate) fn axis_range(bounds: Option<(f64, f64)>, pad: f64, default: Range<f64>) -> Range<f64> {
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

/// The cycle axis: from half a cycle before the first to half a cycle after the last.
fn cycle_range(summaries: &[CycleSummary]) -> Range<f64> {
    let bounds = finite_bounds(summaries.iter().map(|s| s.cycle as f64));
    match bounds {
        Some((lo, hi)) => (lo - 0.5)..(hi + 0.5),
        None => 0.5..1.5,
    }
}

/// Tick labels with as many decimals as the tick spacing needs, for about `labels` ticks over
/// `range` (spaced by 1, 2 or 5 times a power of ten, as plotters places them).
pub(crate) fn tick_formatter(range: &Range<f64>, labels: usize) -> impl Fn(&f64) -> String {
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
pub(crate) fn cycle_formatter(v: &f64) -> String {
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
) -> Result<ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>, String> {
    let mut chart = ChartBuilder::on(area)
        .margin(20)
        .x_label_area_size(70)
        .y_label_area_size(110)
        .build_cartesian_2d(x_range, y_range.clone())
        .map_err(msg)?;
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
pub(crate) fn draw_mesh<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    (x_desc, y_desc): (&str, &str),
    x_labels: usize,
    x_format: &dyn Fn(&f64) -> String,
    y_range: &Range<f64>,
    y_labels: usize,
) -> Result<(), String> {
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
        .map_err(msg)
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
) -> Result<(), String> {
    let (w, h) = area.dim_in_pixel();
    let style = font(DESC_SIZE)
        .color(&GREY)
        .pos(Pos::new(HPos::Center, VPos::Center));
    area.draw(&Text::new(
        text.to_owned(),
        ((w / 2) as i32, (h / 2) as i32),
        style,
    ))
    .map_err(msg)
}

/// Figure 1: voltage against (specific) capacity of the saved cycles.
struct VoltageCapacity<'a>(&'a PlotData);

impl Figure for VoltageCapacity<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let data = self.0;
        // A·h → mA·h/g is ·1/m[kg]; A·h → mA·h is ·1000.
        let (scale, x_desc) = match data.active_mass_kg {
            Some(m) => (1.0 / m, "Specific capacity (mAh/g)"),
            None => (1000.0, "Capacity (mAh)"),
        };
        let curves: Vec<CycleCurve> = data
            .curves()
            .into_iter()
            .map(|c| {
                let scaled =
                    |b: Vec<(f64, f64)>| finite_points(b.into_iter().map(|(q, v)| (q * scale, v)));
                CycleCurve {
                    cycle: c.cycle,
                    charge: scaled(c.charge),
                    discharge: scaled(c.discharge),
                }
            })
            .collect();
        let all_points = || {
            curves
                .iter()
                .flat_map(|c| c.charge.iter().chain(c.discharge.iter()))
                .copied()
        };
        let x_max = finite_bounds(all_points().map(|p| p.0)).map_or(1.0, |(_, hi)| hi);
        let x_range = if x_max > 0.0 && (1.05 * x_max).is_finite() {
            0.0..1.05 * x_max
        } else {
            0.0..1.0
        };
        let y_range = axis_range(finite_bounds(all_points().map(|p| p.1)), 0.05, 0.0..5.0);

        let root = root
            .margin(8, 0, 0, 0)
            .titled("Voltage vs capacity, saved cycles", font(TITLE_SIZE))
            .map_err(msg)?;
        let (w, _) = root.dim_in_pixel();
        let (plot_area, legend_area) = root.split_horizontally(w.saturating_sub(190));
        let mut chart = ChartBuilder::on(&plot_area)
            .margin(20)
            .x_label_area_size(70)
            .y_label_area_size(100)
            .build_cartesian_2d(x_range.clone(), y_range.clone())
            .map_err(msg)?;
        draw_mesh(
            &mut chart,
            (x_desc, "Voltage (V)"),
            10,
            &tick_formatter(&x_range, 10),
            &y_range,
            8,
        )?;
        if curves.is_empty() {
            return note(&plot_area, "no saved cycle");
        }

        let n = curves.len();
        let mut legend = Vec::with_capacity(n);
        for (i, curve) in curves.into_iter().enumerate() {
            let t = if n > 1 {
                i as f64 / (n - 1) as f64
            } else {
                0.0
            };
            let colour = cycle_colour(t);
            let style = ShapeStyle::from(&colour).stroke_width(2);
            for branch in [curve.charge, curve.discharge] {
                if branch.len() >= 2 {
                    chart
                        .draw_series(LineSeries::new(branch, style))
                        .map_err(msg)?;
                } else if let Some(&p) = branch.first() {
                    chart
                        .draw_series(std::iter::once(Circle::new(p, 3, style.filled())))
                        .map_err(msg)?;
                }
            }
            legend.push((format!("cycle {}", curve.cycle), colour));
        }
        draw_side_legend(&legend_area, &legend)
    }
}

/// A legend in its own area beside a chart: a coloured line and a label per entry.
pub(super) fn draw_side_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[(String, RGBColor)],
) -> Result<(), String> {
    let entries: Vec<(String, RGBColor, bool)> = entries
        .iter()
        .map(|(t, c)| (t.clone(), *c, false))
        .collect();
    draw_marked_legend(area, &entries)
}

/// A legend in its own area beside a chart: per entry a coloured line, or (third field true)
/// a filled marker as measured points are drawn, and a label.
pub(crate) fn draw_marked_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[(String, RGBColor, bool)],
) -> Result<(), String> {
    let label = font(LABEL_SIZE).pos(Pos::new(HPos::Left, VPos::Center));
    for (i, (text, colour, marker)) in entries.iter().enumerate() {
        let y = 40 + 34 * i as i32;
        if *marker {
            area.draw(&Circle::new(
                (30, y),
                7,
                ShapeStyle::from(BLACK).stroke_width(2),
            ))
            .map_err(msg)?;
            area.draw(&Circle::new((30, y), 6, colour.mix(0.6).filled()))
                .map_err(msg)?;
        } else {
            let style = ShapeStyle::from(colour).stroke_width(4);
            area.draw(&PathElement::new(vec![(10, y), (50, y)], style))
                .map_err(msg)?;
        }
        area.draw(&Text::new(text.clone(), (60, y), label.clone()))
            .map_err(msg)?;
    }
    Ok(())
}

/// Figure 2: discharge capacity (top) and coulombic efficiency (bottom) against cycle.
struct CapacityEfficiency<'a>(&'a PlotData);

impl Figure for CapacityEfficiency<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let data = self.0;
        let summaries = data.summaries();
        let (scale, y_desc) = match data.active_mass_kg {
            Some(m) => (1.0 / m, "Discharge capacity (mAh/g)"),
            None => (1000.0, "Discharge capacity (mAh)"),
        };
        let capacity = finite_points(
            summaries
                .iter()
                .map(|s| (s.cycle as f64, s.discharge_capacity_ah * scale)),
        );
        let efficiency = finite_points(
            summaries
                .iter()
                .map(|s| (s.cycle as f64, 100.0 * s.coulombic_efficiency())),
        );
        let x_range = cycle_range(summaries);
        let root = root
            .margin(8, 0, 0, 0)
            .titled(
                "Discharge capacity and coulombic efficiency",
                font(TITLE_SIZE),
            )
            .map_err(msg)?;
        let panels = root.split_evenly((2, 1));
        let markers = summaries.len() <= 100;
        let top = (
            &panels[0],
            capacity,
            y_desc,
            BLUE,
            axis_range(
                finite_bounds(summaries.iter().map(|s| s.discharge_capacity_ah * scale))
                    .map(|(lo, hi)| (lo.min(0.0), hi)),
                0.05,
                0.0..1.0,
            ),
        );
        let bottom_range = axis_range(
            finite_bounds(efficiency.iter().map(|p| p.1)),
            0.1,
            99.0..101.0,
        );
        let bottom = (
            &panels[1],
            efficiency,
            "Coulombic efficiency (%)",
            RED,
            bottom_range,
        );
        for (area, points, desc, colour, y_range) in [top, bottom] {
            draw_cycle_panel(
                area,
                &x_range,
                y_range,
                desc,
                &[(points, colour)],
                markers,
                6,
            )?;
        }
        if summaries.is_empty() {
            note(&panels[0], "no finished cycle")?;
        }
        Ok(())
    }
}

/// Figure 3: mean charge and discharge voltages against cycle.
struct MeanVoltage<'a>(&'a PlotData);

impl Figure for MeanVoltage<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let summaries = self.0.summaries();
        let charge = finite_points(
            summaries
                .iter()
                .map(|s| (s.cycle as f64, s.mean_charge_voltage_v())),
        );
        let discharge = finite_points(
            summaries
                .iter()
                .map(|s| (s.cycle as f64, s.mean_discharge_voltage_v())),
        );
        let x_range = cycle_range(summaries);
        let y_range = axis_range(
            finite_bounds(charge.iter().chain(discharge.iter()).map(|p| p.1)),
            0.1,
            0.0..5.0,
        );
        let root = root
            .margin(8, 0, 0, 0)
            .titled("Mean charge and discharge voltage", font(TITLE_SIZE))
            .map_err(msg)?;
        let (w, _) = root.dim_in_pixel();
        let (plot_area, legend_area) = root.split_horizontally(w.saturating_sub(190));
        draw_cycle_panel(
            &plot_area,
            &x_range,
            y_range,
            "Mean voltage (V)",
            &[(charge, RED), (discharge, BLUE)],
            summaries.len() <= 100,
            8,
        )?;
        draw_side_legend(
            &legend_area,
            &[("charge".into(), RED), ("discharge".into(), BLUE)],
        )?;
        if summaries.is_empty() {
            note(&plot_area, "no finished cycle")?;
        }
        Ok(())
    }
}

/// One panel of quantities against cycle number: each series a line, with markers when
/// `markers` (or when it has a single point).
fn draw_cycle_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    x_range: &Range<f64>,
    y_range: Range<f64>,
    y_desc: &str,
    series: &[(Vec<(f64, f64)>, RGBColor)],
    markers: bool,
    y_labels: usize,
) -> Result<(), String> {
    let mut chart = cycle_chart(area, x_range.clone(), y_range, y_desc, y_labels)?;
    for (points, colour) in series {
        let style = ShapeStyle::from(colour).stroke_width(2);
        chart
            .draw_series(LineSeries::new(points.iter().copied(), style))
            .map_err(msg)?;
        if markers || points.len() == 1 {
            chart
                .draw_series(points.iter().map(|&p| Circle::new(p, 4, style.filled())))
                .map_err(msg)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A synthetic run: `cycles` cycles of a CC charge then a CC discharge, the capacity
    /// fading by 1 % a cycle; rows for `saved` cycles only.
    fn synthetic(cycles: usize, saved: impl Fn(usize) -> bool, mass: Option<f64>) -> PlotData {
        let mut data = PlotData::new(mass);
        let mut q = 0.0;
        let mut t = 0.0;
        let i = 1e-3;
        for cycle in 1..=cycles {
            let cap = 2e-3 * 0.99f64.powi(cycle as i32 - 1);
            let mut summary = CycleSummary::new(cycle, 1.0);
            for (step, sign) in [(1, -1.0), (2, 1.0)] {
                let n = 50;
                for k in 0..=n {
                    let f = k as f64 / n as f64;
                    let v = if sign < 0.0 { 3.0 + f } else { 4.0 - f };
                    let row = TimeseriesRecord {
                        time_s: t + f * 7200.0,
                        cycle,
                        step,
                        current_a: sign * i,
                        voltage_v: v,
                        discharge_capacity_ah: q + sign * f * cap,
                    };
                    if saved(cycle) {
                        data.add_row(&row);
                    }
                }
                q += sign * cap;
                t += 7200.0;
                summary.add_step(sign * cap, sign * cap * 3.5);
            }
            summary.end_time_s = t;
            data.add_cycle(&summary);
        }
        data
    }

    fn png_size(path: &Path) -> (u32, u32) {
        let bytes = std::fs::read(path).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        let be =
            |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
        (be(16), be(20))
    }

    fn check_files(dir: &Path, written: &[PathBuf]) {
        assert_eq!(written.len(), 6);
        for stem in [
            VOLTAGE_CAPACITY_PLOT,
            CAPACITY_EFFICIENCY_PLOT,
            MEAN_VOLTAGE_PLOT,
        ] {
            let png = dir.join(format!("{stem}.png"));
            let svg = dir.join(format!("{stem}.svg"));
            assert!(written.contains(&png) && written.contains(&svg));
            assert!(std::fs::metadata(&png).unwrap().len() > 5_000, "{stem}.png");
            assert_eq!(png_size(&png), (PLOT_WIDTH_PX, PLOT_HEIGHT_PX));
            let text = std::fs::read_to_string(&svg).unwrap();
            assert!(text.len() > 2_000, "{stem}.svg");
            assert!(text.contains("<svg") && text.contains("</svg>"));
            assert!(!text.contains("<text"), "{stem}.svg needs no font");
            assert!(
                text.contains("<path aria-label="),
                "{stem}.svg has glyph paths"
            );
            assert!(!dir.join(format!("{stem}.svg.partial")).exists());
            assert!(!dir.join(format!("{stem}.partial.png")).exists());
        }
    }

    #[test]
    fn renders_all_plots() {
        let dir = tempfile::tempdir().unwrap();
        let data = synthetic(30, |c| c == 1 || c % 5 == 0, Some(1e-5));
        let written = write_plots(dir.path(), &data).unwrap();
        check_files(dir.path(), &written);
        let svg = std::fs::read_to_string(dir.path().join("voltage_capacity.svg")).unwrap();
        assert!(svg.contains("Specific capacity (mAh/g)") && svg.contains("cycle 30"));
        let svg = std::fs::read_to_string(dir.path().join("capacity_efficiency.svg")).unwrap();
        assert!(svg.contains("Coulombic efficiency (%)") && svg.contains("Cycle"));
    }

    #[test]
    fn svg_text_is_drawn_as_glyph_outlines() {
        let dir = tempfile::tempdir().unwrap();
        let data = synthetic(3, |_| true, Some(1e-5));
        write_plots(dir.path(), &data).unwrap();
        let svg = std::fs::read_to_string(dir.path().join("voltage_capacity.svg")).unwrap();
        assert!(!svg.contains("<text") && !svg.contains("font-family"));
        assert!(!svg.contains(GLYPH_MARK));
        // One filled path per text, its outline made of moves, lines and quadratic curves
        // (DejaVu Sans is a TrueType font), closed contours.
        let label = "<path aria-label=\"Voltage (V)\" fill=\"#000000\" d=\"M";
        let start = svg.find(label).expect("the voltage axis label as glyphs");
        let d = &svg[start + label.len() - 1..];
        let d = &d[..d.find('"').unwrap()];
        assert!(
            d.contains('Q') && d.contains('L') && d.ends_with('Z'),
            "{d}"
        );
        assert_eq!(d.matches('M').count(), d.matches('Z').count());
        // The vertical axis label is rotated: its outline is taller than wide.
        let numbers: Vec<f64> = d
            .split(|c: char| c.is_ascii_alphabetic() || c == ' ')
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().unwrap())
            .collect();
        let (xs, ys): (Vec<f64>, Vec<f64>) = numbers.chunks(2).map(|p| (p[0], p[1])).unzip();
        let span = |v: &[f64]| {
            v.iter().cloned().fold(f64::MIN, f64::max) - v.iter().cloned().fold(f64::MAX, f64::min)
        };
        assert!(span(&ys) > 3.0 * span(&xs), "{} x {}", span(&xs), span(&ys));
        // Every text of the figure was drawn, and the file stays small.
        assert!(svg.contains("aria-label=\"cycle 3\""));
        assert!(svg.len() < 1_000_000, "{} bytes", svg.len());
        // Text that needs escaping is escaped in its label.
        assert_eq!(xml_escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
        assert!(replace_glyph_placeholders("<text x=\"1\">\nother\n</text>\n", &[]).is_err());
    }

    #[test]
    fn renders_odd_data_without_panicking() {
        // No data at all.
        let dir = tempfile::tempdir().unwrap();
        let written = write_plots(dir.path(), &PlotData::new(None)).unwrap();
        check_files(dir.path(), &written);

        // A single cycle, without a mass.
        let dir = tempfile::tempdir().unwrap();
        let data = synthetic(1, |_| true, None);
        let written = write_plots(dir.path(), &data).unwrap();
        check_files(dir.path(), &written);
        let svg = std::fs::read_to_string(dir.path().join("voltage_capacity.svg")).unwrap();
        assert!(svg.contains("Capacity (mAh)"));

        // NaN and infinite values, single points, a charge-only cycle, a rest-only cycle.
        let dir = tempfile::tempdir().unwrap();
        let mut data = PlotData::new(Some(f64::NAN));
        let row = |cycle, current_a, voltage_v, q| TimeseriesRecord {
            time_s: 0.0,
            cycle,
            step: 1,
            current_a,
            voltage_v,
            discharge_capacity_ah: q,
        };
        data.add_row(&row(1, 1e-3, f64::NAN, 0.0));
        data.add_row(&row(1, 1e-3, 3.5, f64::NAN));
        data.add_row(&row(1, 1e-3, f64::INFINITY, 1e-3));
        data.add_cycle(&CycleSummary {
            discharge_capacity_ah: f64::NAN,
            ..CycleSummary::new(1, 1.0)
        });
        data.add_row(&row(2, -1e-3, 3.7, 0.0));
        let mut charge_only = CycleSummary::new(2, 1.0);
        charge_only.add_step(-1e-3, -3.7e-3);
        data.add_cycle(&charge_only);
        data.add_row(&row(3, 0.0, 3.7, 0.0));
        data.add_cycle(&CycleSummary::new(3, 1.0));
        let written = write_plots(dir.path(), &data).unwrap();
        check_files(dir.path(), &written);

        // Extreme magnitudes.
        let dir = tempfile::tempdir().unwrap();
        let mut data = PlotData::new(None);
        data.add_row(&row(1, 1e-3, 1e300, 0.0));
        data.add_row(&row(1, 1e-3, -1e300, 1e300));
        data.add_row(&row(1, 1e-3, 1e-300, f64::MAX));
        data.add_cycle(&CycleSummary {
            discharge_capacity_ah: f64::MAX,
            charge_capacity_ah: 1e-300,
            discharge_energy_wh: f64::MAX,
            ..CycleSummary::new(1, 1.0)
        });
        data.add_cycle(&CycleSummary {
            discharge_capacity_ah: 1e-300,
            ..CycleSummary::new(2, 1.0)
        });
        check_files(dir.path(), &write_plots(dir.path(), &data).unwrap());

        // Every value the same.
        let dir = tempfile::tempdir().unwrap();
        let mut data = PlotData::new(Some(1e-5));
        for k in 0..3 {
            data.add_row(&row(1, 1e-3, 3.5, 0.0 * k as f64));
        }
        data.add_cycle(&CycleSummary::new(1, 1.0));
        check_files(dir.path(), &write_plots(dir.path(), &data).unwrap());
    }

    #[test]
    fn curves_are_split_by_direction_and_start_at_zero() {
        let data = synthetic(2, |_| true, None);
        let curves = data.curves();
        assert_eq!(curves.len(), 2);
        let c = &curves[1];
        assert_eq!(c.cycle, 2);
        assert_eq!(c.charge.len(), 51);
        assert_eq!(c.discharge.len(), 51);
        assert_eq!(c.charge[0], (0.0, 3.0));
        assert_eq!(c.discharge[0], (0.0, 4.0));
        let cap = 2e-3 * 0.99;
        assert!((c.charge[50].0 - cap).abs() < 1e-15);
        assert!((c.discharge[50].0 - cap).abs() < 1e-15);
        assert_eq!(data.summaries().len(), 2);
    }

    #[test]
    fn memory_is_bounded_and_keeps_first_and_latest() {
        let data = synthetic(500, |_| true, None);
        let curves = data.curves();
        assert!(
            curves.len() <= PlotData::DEFAULT_MAX_CURVES,
            "{}",
            curves.len()
        );
        assert!(curves.len() >= PlotData::DEFAULT_MAX_CURVES / 2);
        assert_eq!(curves[0].cycle, 1);
        assert_eq!(curves.last().unwrap().cycle, 500);
        assert!(curves.windows(2).all(|w| w[0].cycle < w[1].cycle));
        assert_eq!(data.summaries().len(), 500);

        let mut branch = Branch::new();
        for k in 0..100_003 {
            branch.push((k as f64, 0.0));
        }
        let points = branch.to_points();
        assert!(points.len() <= MAX_POINTS_PER_BRANCH + 1);
        assert_eq!(points[0].0, 0.0);
        assert_eq!(points.last().unwrap().0, 100_002.0);
        assert!(points.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn a_partial_last_cycle_is_shown() {
        let mut data = synthetic(3, |_| true, None);
        data.add_row(&TimeseriesRecord {
            time_s: 1e5,
            cycle: 4,
            step: 1,
            current_a: -1e-3,
            voltage_v: 3.1,
            discharge_capacity_ah: 0.0,
        });
        let curves = data.curves();
        assert_eq!(curves.last().unwrap().cycle, 4);
        assert_eq!(curves.len(), 4);
    }

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
