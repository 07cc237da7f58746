//! Two-column CSV tables for material functions: a header row with two column names, then rows
//! `x,y` of finite numbers with `x` strictly increasing. The text is read by
//! [`crate::csv_table`]: blank lines and lines starting with `#` are ignored, fields may be
//! quoted, blanks around them are dropped. Errors name the 1-based line of the file (the
//! header is line 1 when the file has no leading comments).

use std::path::Path;

use crate::csv_table::{CsvError, CsvFormat, CsvProblem, CsvReader};
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

/// What a CSV error of `text` means for a table.
fn table_error(text: &str, e: CsvError) -> TableCsvError {
    let expected = match e.problem {
        CsvProblem::NoHeader => {
            "expected a header row and at least 2 data rows, found an empty file".to_string()
        }
        CsvProblem::FieldCount { found, .. } => {
            let line = e
                .line
                .and_then(|l| text.lines().nth(l.saturating_sub(1)))
                .unwrap_or_default();
            format!(
                "expected 2 comma-separated numbers, found {found} fields: `{}`",
                line.trim()
            )
        }
        ref problem => problem.to_string(),
    };
    TableCsvError {
        line: e.line,
        expected,
    }
}

/// Parses `text` into a table; `source` is recorded in the table for provenance.
pub(crate) fn parse_table(text: &str, source: &str) -> Result<Table1D, TableCsvError> {
    let mut reader = CsvReader::new(text, Path::new(source), CsvFormat::default())
        .map_err(|e| table_error(text, e))?;
    let header = reader.header();
    if header.len() != 2 {
        return fail(
            Some(reader.header_line()),
            format!(
                "expected a header row with 2 column names, found {} fields",
                header.len()
            ),
        );
    }
    if header.iter().all(|f| f.parse::<f64>().is_ok()) {
        return fail(
            Some(reader.header_line()),
            "expected a header row with 2 column names (for example `stoichiometry,ocp_V`), found numbers",
        );
    }
    let mut x = Vec::new();
    let mut y = Vec::new();
    for row in reader.by_ref() {
        let row = row.map_err(|e| table_error(text, e))?;
        let line_no = row.line;
        let mut values = [0.0; 2];
        for (v, field) in values.iter_mut().zip(row.fields()) {
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
    fn reads_quoted_fields() {
        let t = parse_table(
            "\u{feff}# source: Wu, 2022\n\"stoichiometry\",\"ocp, V\"\n\"0\", 1\n0.5,\"2\"\n",
            "t",
        )
        .unwrap();
        assert_eq!(t.x(), &[0.0, 0.5]);
        assert_eq!(t.y(), &[1.0, 2.0]);
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
        let e = parse_table("# a: b\n\n# c\nx,y\n0,1\n0.5,\"2\n", "t").unwrap_err();
        assert_eq!(e.line, Some(6));
        assert!(e.expected.contains("not closed"), "{}", e.expected);
    }
}
