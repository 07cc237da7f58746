//! Self-contained HTML pages: the `report.html` of `asslb run` and `asslb validate` and the
//! `fit_report.html` of `asslb fit`, beside their Markdown reports.
//!
//! A page ([`HtmlPage`]) is built from headings, paragraphs, preformatted text, tables
//! ([`Table`], with pass/fail cells) and figures. Figures are PNG files embedded as base64
//! `data:` URIs, so a page opens alone (mailed, attached, moved) with every figure in it; the
//! page has a style sheet of its own and no script. All text is escaped ([`escape`]). A page is
//! written atomically ([`HtmlPage::write`]). Knows nothing of batteries: the layers above say
//! what goes on their pages.

mod embed;
mod error;
mod escape;
mod page;
mod table;

pub use embed::png_data_uri;
pub use error::HtmlError;
pub use escape::escape;
pub use page::{write_file, HtmlPage};
pub use table::{Cell, Table};
