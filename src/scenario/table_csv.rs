//! Two-column CSV tables for material functions: a header row with two column names, then rows
//! `x,y` of finite numbers with `x` strictly increasing. Blank lines and lines starting with `#`
//! are ignored. Errors name the 1-based line of the file (the header is line 1 when the file
//! has no leading comments).

use crate::physics::material::Table1D;

/// Why a CSV text is not a valid table: the 1-based line (if the problem has one) and what was
/// expected there.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TableCsvError {
    pub line: Option<usize>,
    pub expected: String,
}

fn fail<T>(line: Option<usize>, expected: impl Into<String>) -> Result<T, TableCsvError> {
    Err(TableCsvError {
        line,
        expected: expected.into(),
    })
}

/// Parses `text` into a table; `source` is recorded in the table for provenance.
pub(crate) fn parse_table(text: &str, source: &str) -> Result<Table1D, TableCsvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut header_seen = false;
    let mut x = Vec::new();
    let mut y = Vec::new();
    let mut lines = Vec::new();
    for (i, raw_line) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw_line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if !header_seen {
            header_seen = true;
            if fields.len() != 2 {
                return fail(
                    Some(line_no),
                    format!(
                        "expected a header row with 2 column names, found {} fields",
                        fields.len()
                    ),
                );
            }
            if fields.iter().all(|f| f.parse::<f64>().is_ok()) {
                return fail(
                    Some(line_no),
                    "expected a header row with 2 column names (for example `stoichiometry,ocp_V`), found numbers",
                );
            }
            continue;
        }
        if fields.len() != 2 {
            return fail(
                Some(line_no),
                format!(
                    "expected 2 comma-separated numbers, found {} fields: `{line}`",
                    fields.len()
                ),
            );
        }
        let mut values = [0.0; 2];
        for (v, field) in values.iter_mut().zip(&fields) {
            match field.parse::<f64>() {
                Ok(n) if n.is_finite() => *v = n,
                _ => {
                    return fail(
                        Some(line_no),
                        format!("expected a finite number, found `{field}`"),
                    )
                }
            }
        }
        if let Some(&prev) = x.last() {
            if values[0] <= prev {
                return fail(
                    Some(line_no),
                    format!(
                        "expected the first column to be strictly increasing, but {} does not exceed {} on the row before",
                        values[0], prev
                    ),
                );
            }
        }
        x.push(values[0]);
        y.push(values[1]);
        lines.push(line_no);
    }
    if !header_seen {
        return fail(
            None,
            "expected a header row and at least 2 data rows, found an empty file",
        );
    }
    if x.len() < 2 {
        return fail(
            None,
            format!("expected at least 2 data rows, found {}", x.len()),
        );
    }
    // All checks Table1D::new makes have been made above with line numbers; map any remaining
    // one generically.
    Table1D::new(x, y, source).map_err(|e| TableCsvError {
        line: None,
        expected: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_table() {
        let t = parse_table("x,y\n0,1\n\n# comment\n0.5,2\r\n1,4\n", "t").unwrap();
        assert_eq!(t.x(), &[0.0, 0.5, 1.0]);
        assert_eq!(t.y(), &[1.0, 2.0, 4.0]);
        assert_eq!(t.source, "t");
    }

    #[test]
    fn names_the_offending_line() {
        let e = parse_table("x,y\n0,1\n0.5,2\n0.5,3\n", "t").unwrap_err();
        assert_eq!(e.line, Some(4));
        assert!(e.expected.contains("strictly increasing"), "{}", e.expected);
        let e = parse_table("x,y\n0,1\n0.5,2,3\n", "t").unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(e.expected.contains("2 comma-separated numbers"));
        let e = parse_table("x,y\n0,1\n0.5,abc\n", "t").unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(e.expected.contains("`abc`"));
        let e = parse_table("0,1\n0.5,2\n", "t").unwrap_err();
        assert_eq!(e.line, Some(1));
        assert!(e.expected.contains("header"));
        let e = parse_table("x,y\n0,1\n", "t").unwrap_err();
        assert!(e.expected.contains("at least 2 data rows"));
        let e = parse_table("", "t").unwrap_err();
        assert!(e.expected.contains("empty"));
    }
}
