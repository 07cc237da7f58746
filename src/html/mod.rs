//! Self-contained HTML pages: the `report.html` of `asslb run` and `asslb validate` and the
//! `fit_report.html` of `asslb fit`, beside their Markdown reports.
//!
//! A page ([`HtmlPage`]) is built from headings, paragraphs, preformatted text, tables
//! ([`Table`], with pass/fail cells) and figures. Figures are PNG files embedded as base64
//! `data:` URIs, so a page opens alone (mailed, attached, moved) with every figure in it; the
//! page has a style sheet of its own and no script. All text is escaped ([`escape`], the figures' XML
//! escaping). A page is written atomically ([`HtmlPage::write`]). Knows nothing of batteries:
//! the layers above say what goes on their pages.

mod embed;
mod error;
mod page;
mod table;

/// Every text a page shows (names, paths, captions, messages) is escaped by the figures' own
/// escaping, valid in HTML as in SVG.
pub use crate::figures::xml_escape as escape;
pub use embed::png_data_uri;
pub use error::HtmlError;
pub use page::{write_file, HtmlPage};
pub use table::{Cell, Table};
