//! A table of a page: a header row and rows of cells, some columns aligned right (numbers),
//! cells that are code (parameter paths, file names) or a verdict (pass in green, fail in red
//! and bold).

use std::fmt::Write as _;

use super::escape;

/// One cell of a [`Table`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// Plain text.
    Text(String),
    /// Code: a parameter path, a file name, a key (monospace).
    Code(String),
    /// A verdict: `pass` or `FAIL`, coloured.
    Verdict(bool),
}

impl From<String> for Cell {
    fn from(text: String) -> Self {
        Cell::Text(text)
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Self {
        Cell::Text(text.to_string())
    }
}

/// A table: its header, which columns hold numbers (aligned right), and its rows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Table {
    header: Vec<String>,
    right: Vec<usize>,
    rows: Vec<Vec<Cell>>,
}

impl Table {
    /// An empty table with the column titles `header` (all empty: a table without a header row).
    pub fn new(header: &[&str]) -> Self {
        Table {
            header: header.iter().map(|h| h.to_string()).collect(),
            right: Vec::new(),
            rows: Vec::new(),
        }
    }

    /// The columns (from 0) whose cells are aligned right: numbers.
    pub fn numbers_in(mut self, columns: &[usize]) -> Self {
        self.right = columns.to_vec();
        self
    }

    /// Adds a row.
    pub fn row(&mut self, cells: Vec<Cell>) {
        self.rows.push(cells);
    }

    /// Rows added.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether no row was added.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The table as HTML, every text escaped.
    pub fn to_html(&self) -> String {
        let align = |k: usize| {
            if self.right.contains(&k) {
                " class=\"num\""
            } else {
                ""
            }
        };
        let mut out = String::from("<table>\n");
        // A table of labels and values has no titles: no empty header row.
        if self.header.iter().any(|h| !h.is_empty()) {
            out.push_str("<thead><tr>");
            for (k, h) in self.header.iter().enumerate() {
                let _ = write!(out, "<th{}>{}</th>", align(k), escape(h));
            }
            out.push_str("</tr></thead>\n");
        }
        out.push_str("<tbody>\n");
        for row in &self.rows {
            out.push_str("<tr>");
            for (k, cell) in row.iter().enumerate() {
                let _ = match cell {
                    Cell::Text(t) => write!(out, "<td{}>{}</td>", align(k), escape(t)),
                    Cell::Code(t) => write!(out, "<td{}><code>{}</code></td>", align(k), escape(t)),
                    Cell::Verdict(true) => write!(out, "<td class=\"pass\">pass</td>"),
                    Cell::Verdict(false) => write!(out, "<td class=\"fail\">FAIL</td>"),
                };
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody>\n</table>\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_escaped_aligned_and_marked() {
        let mut t = Table::new(&["name", "value", "result"]).numbers_in(&[1]);
        t.row(vec![
            Cell::Code("a<b".into()),
            "1.5".into(),
            Cell::Verdict(false),
        ]);
        t.row(vec!["x & y".into(), "2".into(), Cell::Verdict(true)]);
        let html = t.to_html();
        assert!(html.contains("<th class=\"num\">value</th>"), "{html}");
        assert!(html.contains("<td><code>a&lt;b</code></td>"), "{html}");
        assert!(html.contains("<td class=\"num\">1.5</td>"), "{html}");
        assert!(html.contains("<td class=\"fail\">FAIL</td>"), "{html}");
        assert!(html.contains("<td>x &amp; y</td>"), "{html}");
        assert!(html.contains("<td class=\"pass\">pass</td>"), "{html}");
        assert_eq!(t.len(), 2);
        let mut pairs = Table::new(&["", ""]);
        pairs.row(vec!["cycles".into(), "3".into()]);
        assert!(!pairs.to_html().contains("<thead>"));
    }
}
