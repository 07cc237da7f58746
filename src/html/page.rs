//! A page being built: its title, then sections of headings, paragraphs, preformatted text,
//! tables and figures, in the order they are added; written whole and atomically.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::{escape, png_data_uri, HtmlError, Table};

/// The page's style: readable text, tables with lines, figures as wide as the page allows.
const STYLE: &str = "\
body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif; \
margin: 2em auto; max-width: 1200px; padding: 0 1.5em; color: #1b1b1b; line-height: 1.45; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; }
h2 { font-size: 1.3em; margin-top: 1.8em; border-bottom: 1px solid #ccc; padding-bottom: 0.2em; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.92em; }
th, td { border: 1px solid #c8c8c8; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.pass { color: #17692a; }
td.fail { color: #b00020; font-weight: bold; }
code, pre { font-family: 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size: 0.9em; }
pre { background: #f6f6f6; border: 1px solid #ddd; padding: 0.8em; white-space: pre-wrap; }
figure { margin: 1.5em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #e0e0e0; }
figcaption { font-size: 0.92em; color: #444; margin-top: 0.3em; }
p.lead { color: #444; }
";

/// A self-contained HTML page.
#[derive(Debug, Clone)]
pub struct HtmlPage {
    title: String,
    body: String,
    figures: usize,
}

impl HtmlPage {
    /// A page titled `title` (its `<title>` and first heading).
    pub fn new(title: &str) -> Self {
        HtmlPage {
            title: title.to_string(),
            body: format!("<h1>{}</h1>\n", escape(title)),
            figures: 0,
        }
    }

    /// A section heading.
    pub fn heading(&mut self, text: &str) {
        let _ = writeln!(self.body, "<h2>{}</h2>", escape(text));
    }

    /// A paragraph of plain text, spans between backticks (`` `rms` ``) shown as code, as the
    /// Markdown reports write them.
    pub fn paragraph(&mut self, text: &str) {
        let _ = writeln!(self.body, "<p>{}</p>", with_code_spans(&escape(text)));
    }

    /// A paragraph in the muted style of a subtitle (what the page is of, where it came from).
    pub fn lead(&mut self, text: &str) {
        let _ = writeln!(self.body, "<p class=\"lead\">{}</p>", escape(text));
    }

    /// Text shown as it is, in a monospace block: a summary or table for a terminal.
    pub fn preformatted(&mut self, text: &str) {
        let _ = writeln!(self.body, "<pre>{}</pre>", escape(text.trim_end()));
    }

    /// A table.
    pub fn table(&mut self, table: &Table) {
        self.body.push_str(&table.to_html());
    }

    /// The PNG figure `png`, embedded, with its number and `caption` under it.
    pub fn figure(&mut self, png: &Path, caption: &str) -> Result<(), HtmlError> {
        let uri = png_data_uri(png)?;
        self.figures += 1;
        let name = png
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let _ = writeln!(
            self.body,
            "<figure>\n<img src=\"{uri}\" alt=\"{}\">\n<figcaption><b>Figure {}.</b> {} <code>{}</code></figcaption>\n</figure>",
            escape(caption),
            self.figures,
            escape(caption),
            escape(&name),
        );
        Ok(())
    }

    /// Figures embedded so far.
    pub fn figures(&self) -> usize {
        self.figures
    }

    /// The whole page.
    pub fn to_html(&self) -> String {
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta name=\"generator\" content=\"asslb {}\">\n<title>{}</title>\n<style>\n{STYLE}</style>\n\
             </head>\n<body>\n{}</body>\n</html>\n",
            env!("CARGO_PKG_VERSION"),
            escape(&self.title),
            self.body
        )
    }

    /// Writes the page to `path` atomically ([`write_file`]) and returns the path.
    pub fn write(&self, path: &Path) -> Result<PathBuf, HtmlError> {
        write_file(path, &self.to_html())?;
        Ok(path.to_path_buf())
    }
}

/// `html` with every pair of backticks turned into a `<code>` element; a lone backtick stays.
fn with_code_spans(html: &str) -> String {
    let parts: Vec<&str> = html.split('`').collect();
    // An even number of parts means an odd number of backticks: the last one is lone.
    let paired = if parts.len() % 2 == 0 {
        parts.len() - 1
    } else {
        parts.len()
    };
    let mut out = String::with_capacity(html.len());
    for (k, part) in parts.iter().enumerate() {
        if k >= paired {
            out.push('`');
            out.push_str(part);
        } else if k % 2 == 1 {
            let _ = write!(out, "<code>{part}</code>");
        } else {
            out.push_str(part);
        }
    }
    out
}

/// Writes `text` to `path` through a temporary file in the same folder, renamed over it: a
/// reader never sees half a page (or half the Markdown report beside it), and a failure leaves
/// an earlier file as it was.
pub fn write_file(path: &Path, text: &str) -> Result<(), HtmlError> {
    let fail = |source| HtmlError::Write {
        path: path.to_path_buf(),
        source,
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    std::fs::write(&tmp, text).map_err(fail)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        fail(e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_escapes_its_text_and_embeds_its_figures() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let png = dir.path().join("fig.png");
        std::fs::write(&png, b"\x89PNG\r\n\x1a\n....").expect("written");
        let mut page = HtmlPage::new("Run <x>");
        page.heading("Key numbers");
        page.paragraph("a & b, `rms` or `max`, a lone ` here");
        page.preformatted("line 1\n<line 2>\n");
        page.figure(&png, "Capacity \"fade\"").expect("a PNG file");
        let path = page
            .write(&dir.path().join("report.html"))
            .expect("written");
        let html = std::fs::read_to_string(path).expect("readable");
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("<title>Run &lt;x&gt;</title>"));
        assert!(
            html.contains("<p>a &amp; b, <code>rms</code> or <code>max</code>, a lone ` here</p>")
        );
        assert!(html.contains("<pre>line 1\n&lt;line 2&gt;</pre>"));
        assert!(html.contains("src=\"data:image/png;base64,iVBORw0KGgouLi4u\""));
        assert!(html.contains("alt=\"Capacity &quot;fade&quot;\""));
        assert!(!html.contains("<script"));
        assert_eq!(page.figures(), 1);
        // Nothing but the page is left in the folder.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("listed")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(page
            .figure(&dir.path().join("none.png"), "missing")
            .is_err());
    }
}
