//! The delimited-text reader shared by the measured-data schemas and the import of cycler
//! exports: `# key: value` comment lines before the header row (provenance), a header row of
//! column names, then data rows. Fields may be quoted with `"` (a quote inside a quoted field is
//! doubled, RFC 4180); a quoted field cannot span lines. Blank lines, and lines starting with
//! `#` after the header, are ignored. A trailing delimiter on every line (an empty last field,
//! as some testers write) is dropped.

use std::path::{Path, PathBuf};

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

/// Splits one line at `delimiter`, honouring `"` quotes. `Err` says what is wrong.
fn split_fields(line: &str, delimiter: char) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut in_quotes = false;
    let mut was_quoted = false;
    while let Some(c) = chars.next() {
        if in_quotes {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    field.push('"');
                    chars.next();
                } else {
                    in_quotes = false;
                }
            } else {
                field.push(c);
            }
        } else if c == '"' && field.trim().is_empty() && !was_quoted {
            field.clear();
            in_quotes = true;
            was_quoted = true;
        } else if c == delimiter {
            fields.push(std::mem::take(&mut field).trim().to_string());
            was_quoted = false;
        } else if was_quoted && !c.is_whitespace() {
            return Err(format!(
                "unexpected `{c}` after a closing quote (a quote inside a quoted field is written twice)"
            ));
        } else {
            field.push(c);
        }
    }
    if in_quotes {
        return Err("a quoted field is not closed on its line".to_string());
    }
    fields.push(if was_quoted {
        field
    } else {
        field.trim().to_string()
    });
    Ok(fields)
}

/// Whether `key` is a provenance key: a letter or `_`, then letters, digits and `_`.
pub(crate) fn is_key(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Parses `text` (the content of `path`). The first `skip_lines` lines are ignored whatever
/// they hold (the preamble some testers write before the header row).
pub(crate) fn parse(
    text: &str,
    path: &Path,
    delimiter: char,
    skip_lines: usize,
) -> Result<Table, MeasuredError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut comments = Vec::new();
    let mut header: Option<(usize, Vec<String>)> = None;
    let mut rows = Vec::new();
    for (i, raw) in text.lines().enumerate().skip(skip_lines) {
        let line_no = i + 1;
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        if line.trim_start().starts_with('#') {
            if header.is_none() {
                let body = line.trim_start().trim_start_matches('#').trim();
                if let Some((key, value)) = body.split_once(':') {
                    if is_key(key.trim()) {
                        comments.push((key.trim().to_string(), value.trim().to_string()));
                    }
                }
            }
            continue;
        }
        let mut fields = split_fields(line, delimiter)
            .map_err(|m| invalid(path, Some(line_no), None, Problem::FieldCount, m))?;
        match &header {
            None => {
                if fields.len() > 1 && fields.last().is_some_and(|f| f.is_empty()) {
                    fields.pop();
                }
                for (k, name) in fields.iter().enumerate() {
                    if name.is_empty() {
                        return Err(invalid(
                            path,
                            Some(line_no),
                            None,
                            Problem::MissingColumn,
                            format!("the header row has an empty column name (column {})", k + 1),
                        ));
                    }
                    if fields[..k].contains(name) {
                        return Err(invalid(
                            path,
                            Some(line_no),
                            Some(name),
                            Problem::DuplicateColumn,
                            "the column appears twice in the header row",
                        ));
                    }
                }
                header = Some((line_no, fields));
            }
            Some((_, names)) => {
                if fields.len() == names.len() + 1 && fields.last().is_some_and(|f| f.is_empty()) {
                    fields.pop();
                }
                if fields.len() != names.len() {
                    return Err(invalid(
                        path,
                        Some(line_no),
                        None,
                        Problem::FieldCount,
                        format!(
                            "expected {} fields as in the header row, found {}",
                            names.len(),
                            fields.len()
                        ),
                    ));
                }
                rows.push(Row {
                    line: line_no,
                    fields,
                });
            }
        }
    }
    let Some((header_line, header)) = header else {
        return Err(invalid(
            path,
            None,
            None,
            Problem::Empty,
            "expected a header row of column names, found none",
        ));
    };
    if rows.is_empty() {
        return Err(invalid(
            path,
            None,
            None,
            Problem::Empty,
            "expected at least one data row after the header row, found none",
        ));
    }
    Ok(Table {
        path: path.to_path_buf(),
        comments,
        header_line,
        header,
        rows,
    })
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
    fn splits_quoted_fields() {
        assert_eq!(
            split_fields(r#"a, "b, c" ,"d ""e""",,f"#, ',').unwrap(),
            vec!["a", "b, c", "d \"e\"", "", "f"]
        );
        assert_eq!(split_fields("x\ty", '\t').unwrap(), vec!["x", "y"]);
        assert!(split_fields(r#"a,"b"#, ',').is_err());
        assert!(split_fields(r#"a,"b"c"#, ',').is_err());
    }

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
