//! Text in the figures: the embedded font (DejaVu Sans, shipped in `assets/fonts/` with its
//! licence and compiled into the binary) and the two backend wrappers that draw text with it.
//!
//! plotters' `ab_glyph` font backend is used, which never looks for system fonts, so the PNGs
//! are the same on every machine. The PNG backend is wrapped (`GlyphText`) to rasterise text
//! itself with `ab_glyph`, placing each glyph by its side bearing and centring capitals in the
//! text box: plotters 0.3.7 ignores side bearings, which opens gaps such as "m Ah", and draws
//! text partly above its box. The SVGs need no font either (`GlyphSvg`): each text is
//! written as one filled `<path>` of the glyph outlines (quadratic curves from `ab_glyph`),
//! laid out as in the PNGs and labelled with the text (`aria-label`), so they look the same in
//! every viewer.

use std::sync::OnceLock;

use ab_glyph::{Font as _, FontRef, ScaleFont as _};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
use plotters::style::{register_font, FontStyle};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind, FontTransform,
};

use super::FigureError;

/// DejaVu Sans (see `assets/fonts/LICENSE`).
const FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
/// The family name the font is registered under with plotters.
const FONT_FAMILY: &str = "DejaVu Sans, sans-serif";

/// Registers the embedded font with plotters, once per process.
pub(super) fn ensure_font() -> Result<(), FigureError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        // Also under plotters' default family, so that no text can fall back to a missing font.
        register_font(FONT_FAMILY, FontStyle::Normal, FONT_BYTES).is_ok()
            && register_font("sans-serif", FontStyle::Normal, FONT_BYTES).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(FigureError::Font)
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

/// Escapes `text` for XML and HTML (`&`, `<`, `>`, `"`, `'`): safe as element content and as
/// a quoted attribute value. The SVG figures' text and the HTML reports (`crate::html`) use it.
pub fn xml_escape(text: &str) -> String {
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
pub(super) struct GlyphText<DB>(pub(super) DB);

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
pub(super) struct GlyphSvg<'p, DB> {
    /// The SVG backend drawing everything but text.
    pub(super) inner: DB,
    /// The `<path>` elements, in drawing order.
    pub(super) paths: &'p mut Vec<String>,
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
pub(super) fn replace_glyph_placeholders(
    svg: &str,
    paths: &[String],
) -> Result<String, FigureError> {
    let mut out = String::with_capacity(svg.len() + paths.iter().map(String::len).sum::<usize>());
    let mut rest = svg;
    while let Some(start) = rest.find("<text") {
        out.push_str(&rest[..start]);
        let element = &rest[start..];
        let close = "</text>";
        let end = element.find(close).ok_or_else(|| {
            FigureError::GlyphText("an unclosed <text> element in the SVG".into())
        })?;
        let content = element[..end]
            .find('>')
            .map(|i| element[i + 1..end].trim())
            .unwrap_or_default();
        let path = content
            .strip_prefix(GLYPH_MARK)
            .and_then(|i| i.parse::<usize>().ok())
            .and_then(|i| paths.get(i))
            .ok_or_else(|| {
                FigureError::GlyphText(format!("a <text> element not drawn as glyphs: {content:?}"))
            })?;
        out.push_str(path);
        rest = &element[end + close.len()..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The text style of the figures at `size` px: the embedded font, in black.
pub(super) fn font(size: f64) -> TextStyle<'static> {
    (FONT_FAMILY, size).into_font().color(&BLACK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_placeholders_are_checked() {
        assert_eq!(xml_escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
        assert!(matches!(
            replace_glyph_placeholders("<text x=\"1\">\nother\n</text>\n", &[]),
            Err(FigureError::GlyphText(_))
        ));
    }
}
