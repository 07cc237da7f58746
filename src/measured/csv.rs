//! Measured-data tables: the files of the measured-data schemas and cycler exports, read by
//! [`crate::csv_table`] (comments and provenance, quoting, trimming, field counts), with the
//! rules of a schema added: no empty or repeated column name, at least one data row, and
//! errors as [`MeasuredError`]s.

use std::path::{Path, PathBuf};

use crate::csv_table::{CsvError, CsvFormat, CsvProblem, CsvReader};

use super::{invalid, MeasuredError, Problem};

/// A delimited text file split into comments, header and rows.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    /// The file, for error messages.
    pub path: PathBuf,
    /// `# key: value` lines before the header row, in order.
    pub comments: Vec<(String, String)>,
    /// The 1-based line of the header row.
    pub header_line: usize,
    /// The column names, trimmed.
    pub header: Vec<String>,
    /// The data rows.
    pub rows: Vec<Row>,
}

/// One data row.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    /// The 1-based line of the file.
    pub line: usize,
    /// The fields, trimmed, one per column of the header.
    pub fields: Vec<String>,
}

/// A CSV error as a measured-data error.
fn measured_error(e: CsvError) -> MeasuredError {
    let problem = match e.problem {
        CsvProblem::NoHeader => Problem::Empty,
        CsvProblem::Delimiter(_) => Problem::Mapping,
        _ => Problem::FieldCount,
    };
    invalid(&e.path, e.line, None, problem, e.problem.to_string())
}

/// Parses `text` (the content of `path`). The first `skip_lines` lines are ignored whatever
/// they hold (the preamble some testers write before the header row).
pub(crate) fn parse(
    text: &str,
    path: &Path,
    delimiter: char,
    skip_lines: usize,
) -> Result<Table, MeasuredError> {
    // A delimiter that is no ASCII character is refused by the reader too.
    let delimiter = u8::try_from(delimiter)
        .ok()
        .filter(u8::is_ascii)
        .ok_or_else(|| {
            let problem = CsvProblem::Delimiter(delimiter).to_string();
            invalid(path, None, None, Problem::Mapping, problem)
        })?;
    let format = CsvFormat {
        delimiter,
        skip_lines,
    };
    let mut reader = CsvReader::new(text, path, format).map_err(measured_error)?;
    let header_line = reader.header_line();
    let header = reader.header().to_vec();
    for (k, name) in header.iter().enumerate() {
        if name.is_empty() {
            return Err(invalid(
                path,
                Some(header_line),
                None,
                Problem::MissingColumn,
                format!("the header row has an empty column name (column {})", k + 1),
            ));
        }
        if header[..k].contains(name) {
            return Err(invalid(
                path,
                Some(header_line),
                Some(name),
                Problem::DuplicateColumn,
                "the column appears twice in the header row",
            ));
        }
    }
    let comments = reader.comments().to_vec();
    let rows = reader
        .by_ref()
        .map(|row| {
            row.map(|row| Row {
                line: row.line,
                fields: row.fields().map(str::to_string).collect(),
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(measured_error)?;
    if rows.is_empty() {
        return Err(no_data_rows(path, ""));
    }
    Ok(Table {
        path: path.to_path_buf(),
        comments,
        header_line,
        header,
        rows,
    })
}

/// The error for a table without data rows; `place` (e.g. `sheet `Data`: `) goes before the
/// message.
pub(crate) fn no_data_rows(path: &Path, place: &str) -> MeasuredError {
    invalid(
        path,
        None,
        None,
        Problem::Empty,
        format!("{place}expected at least one data row after the header row, found none"),
    )
}

impl Table {
    /// The index of the column called `name`.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// The index of the required column `name`, or a missing-column error listing the columns
    /// found.
    pub fn required(&self, name: &str) -> Result<usize, MeasuredError> {
        self.column(name).ok_or_else(|| {
            invalid(
                &self.path,
                Some(self.header_line),
                Some(name),
                Problem::MissingColumn,
                format!(
                    "the required column is missing; the header row has {}",
                    self.header.join(", ")
                ),
            )
        })
    }

    /// An error about the field in column `k` of `row`.
    pub fn field_error(
        &self,
        row: &Row,
        k: usize,
        problem: Problem,
        message: impl Into<String>,
    ) -> MeasuredError {
        invalid(
            &self.path,
            Some(row.line),
            Some(&self.header[k]),
            problem,
            message,
        )
    }

    /// The number in column `k` of `row`: `None` for an empty field, an error for one that is
    /// not a finite number (NaN and infinities included). `decimal_comma` reads `1,5` as 1.5.
    pub fn number(
        &self,
        row: &Row,
        k: usize,
        decimal_comma: bool,
    ) -> Result<Option<f64>, MeasuredError> {
        let text = row.fields[k].trim();
        if text.is_empty() {
            return Ok(None);
        }
        let parsed = if decimal_comma {
            text.replace(',', ".").parse::<f64>()
        } else {
            text.parse::<f64>()
        };
        match parsed {
            Ok(v) if v.is_finite() => Ok(Some(v)),
            _ => Err(self.field_error(
                row,
                k,
                Problem::Value,
                format!("expected a finite number, found `{text}`"),
            )),
        }
    }

    /// The number in column `k` of `row`, which must not be empty.
    pub fn required_number(
        &self,
        row: &Row,
        k: usize,
        decimal_comma: bool,
    ) -> Result<f64, MeasuredError> {
        self.number(row, k, decimal_comma)?.ok_or_else(|| {
            self.field_error(row, k, Problem::Value, "expected a number, found nothing")
        })
    }

    /// The cycle number in column `k` of `row`: a whole number ≥ 1 (written as `3` or `3.0`).
    pub fn cycle(&self, row: &Row, k: usize) -> Result<u32, MeasuredError> {
        let v = self.required_number(row, k, false)?;
        if v.fract() != 0.0 || !(1.0..=f64::from(u32::MAX)).contains(&v) {
            return Err(self.field_error(
                row,
                k,
                Problem::Value,
                format!(
                    "expected a cycle number (a whole number ≥ 1), found `{}`",
                    row.fields[k]
                ),
            ));
        }
        Ok(v as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_comments_header_and_rows() {
        let text = "\u{feff}# source: a, b\n# a free comment\n\ncycle,x,\n1,2,\n# later\n2,3,\n";
        let t = parse(text, Path::new("f.csv"), ',', 0).unwrap();
        assert_eq!(t.comments, vec![("source".to_string(), "a, b".to_string())]);
        assert_eq!(t.header_line, 4);
        assert_eq!(t.header, vec!["cycle", "x"]);
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[1].line, 7);
        assert_eq!(t.rows[1].fields, vec!["2", "3"]);
    }

    #[test]
    fn names_the_line_of_bad_rows() {
        let e = parse("a,b\n1,2\n1,2,3\n", Path::new("f.csv"), ',', 0).unwrap_err();
        assert_eq!(
            (e.problem(), e.line()),
            (Some(Problem::FieldCount), Some(3))
        );
        let e = parse("a,a\n1,2\n", Path::new("f.csv"), ',', 0).unwrap_err();
        assert_eq!(e.problem(), Some(Problem::DuplicateColumn));
        assert_eq!(e.column(), Some("a"));
        let e = parse("# x: y\n", Path::new("f.csv"), ',', 0).unwrap_err();
        assert_eq!(e.problem(), Some(Problem::Empty));
        let e = parse("a,b\n", Path::new("f.csv"), ',', 0).unwrap_err();
        assert_eq!(e.problem(), Some(Problem::Empty));
    }

    #[test]
    fn numbers_reject_nan_and_text() {
        let t = parse(
            "a,b\n1,NaN\n,inf\n2,x\n3,\"1,5\"\n",
            Path::new("f.csv"),
            ',',
            0,
        )
        .unwrap();
        let e = t.number(&t.rows[0], 1, false).unwrap_err();
        assert_eq!((e.line(), e.column()), (Some(2), Some("b")));
        assert!(e.to_string().contains("`NaN`"), "{e}");
        assert_eq!(t.number(&t.rows[1], 0, false).unwrap(), None);
        assert!(t.required_number(&t.rows[1], 0, false).is_err());
        assert!(t.number(&t.rows[1], 1, false).is_err());
        assert!(t.number(&t.rows[2], 1, false).is_err());
        assert_eq!(t.number(&t.rows[3], 1, true).unwrap(), Some(1.5));
        assert!(t.cycle(&t.rows[0], 0).is_ok());
        let t = parse("c\n0\n1.5\n", Path::new("f.csv"), ',', 0).unwrap();
        assert!(t.cycle(&t.rows[0], 0).is_err());
        assert!(t.cycle(&t.rows[1], 0).is_err());
    }
}
