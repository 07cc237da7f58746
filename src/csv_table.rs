//! The one reader of CSV tables: measured data and cycler exports, measured impedance spectra,
//! the tables of parameter files, and the program's own files read back (to resume a run, to
//! draw a sweep's figures, to classify a robustness case). A table is a header row of column
//! names, then data rows; the fields are split by the `csv` crate, after a pass over the lines
//! that applies the rules below and keeps each row's line in the file.
//!
//! The rules:
//! - **Comments.** Lines starting with `#` (after blanks) are comments, wherever they are.
//!   Those before the header row that read `# key: value` (key: a letter or `_`, then letters,
//!   digits and `_`) are kept, in order, as the file's provenance ([`CsvReader::comments`]).
//!   Blank lines are ignored too. A number of lines at the start may be ignored whatever they
//!   hold ([`CsvFormat::skip_lines`], the preamble some cyclers write).
//! - **Quoting** (RFC 4180). A field may be quoted with `"`, and then may hold the delimiter; a
//!   quote inside a quoted field is written twice. Blanks may stand before the opening quote
//!   and after the closing one, nothing else. A quoted field ends on its line: a quote left
//!   open, or text after a closing quote, is an error. A `"` inside an unquoted field is an
//!   ordinary character.
//! - **Trimming.** Blanks (any Unicode white space) around every field and column name are
//!   dropped, inside quotes too.
//! - **Byte order mark.** A UTF-8 byte order mark at the start of the text is dropped.
//! - **Field count.** Every row has as many fields as the header row has columns, else it is
//!   an error. A delimiter at the end of every line (an empty last field, as some testers
//!   write) is dropped: an empty last column name, and then an empty last field of a row with
//!   one field more than the header.
//!
//! Every error names the file and, where there is one, the 1-based line of the file (comment,
//! blank and skipped lines counted), and says what was expected ([`CsvError`]).

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How the text is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvFormat {
    /// The field delimiter, an ASCII character other than `"` and a line break.
    pub delimiter: u8,
    /// Lines at the start to ignore whatever they hold.
    pub skip_lines: usize,
}

impl Default for CsvFormat {
    /// Comma-separated, no lines skipped.
    fn default() -> Self {
        CsvFormat {
            delimiter: b',',
            skip_lines: 0,
        }
    }
}

/// What is wrong with a CSV text.
#[derive(Debug, thiserror::Error)]
pub enum CsvProblem {
    /// No header row: nothing but blank, comment and skipped lines.
    #[error("expected a header row of column names, found none")]
    NoHeader,
    /// A row with another number of fields than the header row has columns.
    #[error("expected {expected} fields as in the header row, found {found}")]
    FieldCount {
        /// The columns of the header row.
        expected: usize,
        /// The fields of the row.
        found: usize,
    },
    /// A quoted field not closed on its line.
    #[error("a quoted field is not closed on its line")]
    UnclosedQuote,
    /// Something other than blanks between a closing quote and the next delimiter.
    #[error(
        "unexpected `{0}` after a closing quote (a quote inside a quoted field is written twice)"
    )]
    AfterQuote(char),
    /// A field that is not what its column holds (1-based column).
    #[error("column {column}: expected {expected}, found {}", if .found.is_empty() { "nothing".to_string() } else { format!("`{}`", .found) })]
    Value {
        /// The 1-based column.
        column: usize,
        /// The field (empty for none).
        found: String,
        /// What the column holds.
        expected: &'static str,
    },
    /// The delimiter cannot delimit (a quote, a line break or not ASCII).
    #[error("the delimiter {0:?} is not an ASCII character other than a quote or a line break")]
    Delimiter(char),
    /// An error of the `csv` crate (not expected for text held in memory).
    #[error(transparent)]
    Reader(#[from] csv::Error),
}

/// Why a CSV text cannot be read: the file, the 1-based line (when the problem has one) and
/// the problem.
#[derive(Debug, thiserror::Error)]
#[error("{}{}: {problem}", .path.display(), match .line { Some(l) => format!(", line {l}"), None => String::new() })]
pub struct CsvError {
    /// The file.
    pub path: PathBuf,
    /// The 1-based line of the file, when the problem has one.
    pub line: Option<usize>,
    /// What is wrong.
    pub problem: CsvProblem,
}

impl From<CsvError> for std::io::Error {
    /// An `InvalidData` error holding the CSV error, for readers that report I/O errors.
    fn from(e: CsvError) -> Self {
        std::io::Error::new(std::io::ErrorKind::InvalidData, e)
    }
}

/// One data row.
#[derive(Debug, Clone)]
pub struct CsvRow {
    /// The 1-based line of the file.
    pub line: usize,
    /// The byte of the text where the row's line starts.
    pub start: usize,
    /// The file, for errors.
    path: Arc<Path>,
    fields: csv::StringRecord,
}

impl CsvRow {
    /// The field in column `k` (trimmed), if the header has such a column.
    pub fn get(&self, k: usize) -> Option<&str> {
        self.fields.get(k)
    }

    /// The field in column `k` parsed as a `T`; `None` if there is no such column or the field
    /// does not parse.
    pub fn parse<T: std::str::FromStr>(&self, k: usize) -> Option<T> {
        self.get(k).and_then(|f| f.parse().ok())
    }

    /// The fields, in column order.
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.fields.iter()
    }

    /// The field in column `k` parsed as a `T`, or an error naming the line, the column and
    /// `expected`.
    fn value<T: std::str::FromStr>(&self, k: usize, expected: &'static str) -> Result<T, CsvError> {
        self.parse(k).ok_or_else(|| CsvError {
            path: self.path.to_path_buf(),
            line: Some(self.line),
            problem: CsvProblem::Value {
                column: k + 1,
                found: self.get(k).unwrap_or_default().to_string(),
                expected,
            },
        })
    }

    /// The number in column `k` (NaN and infinities included, as `f64` reads them).
    pub fn number(&self, k: usize) -> Result<f64, CsvError> {
        self.value(k, "a number")
    }

    /// The whole number ≥ 0 in column `k`.
    pub fn count(&self, k: usize) -> Result<usize, CsvError> {
        self.value(k, "a whole number ≥ 0")
    }
}

/// Whether `key` is a key of a `# key: value` line: a letter or `_`, then letters, digits and
/// `_`.
pub fn is_key(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A CSV text read row by row: the comments before the header and the header are read when it
/// is made, the data rows as it is iterated (an error ends the iteration).
#[derive(Debug)]
pub struct CsvReader<'t> {
    path: Arc<Path>,
    /// The text without its byte order mark.
    text: &'t str,
    /// The length of the byte order mark dropped (0 or 3), added to [`CsvRow::start`].
    bom: usize,
    delimiter: u8,
    comments: Vec<(String, String)>,
    header_line: usize,
    header: Vec<String>,
    /// The `csv` crate's reader over `text[base..]`, which starts on line `base_line`.
    reader: csv::Reader<&'t [u8]>,
    base: usize,
    base_line: usize,
    /// The bytes and fields of the last record read.
    sizes: (usize, usize),
    done: bool,
}

/// The `csv` crate's reader of the part of a text that starts at a line.
fn crate_reader(text: &str, delimiter: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        // The field count is checked here, after a trailing delimiter is dropped.
        .flexible(true)
        // Trimmed here, Unicode blanks included, and only the records that need it.
        .trim(csv::Trim::None)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes())
}

/// `line` with the blanks before each opening quote removed (the `csv` crate opens a quoted
/// field only at the field's first character), or what is wrong with its quotes.
fn normalise_quotes(line: &str, delimiter: char) -> Result<Cow<'_, str>, CsvProblem> {
    let mut out = String::with_capacity(line.len());
    let mut removed = false;
    // Blanks since the start of the field, when it has nothing else yet.
    let mut blanks = String::new();
    let mut at_start = true;
    let mut in_quotes = false;
    let mut closed = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if in_quotes {
            out.push(c);
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    out.push('"');
                } else {
                    in_quotes = false;
                    closed = true;
                }
            }
        } else if c == delimiter {
            out.push_str(&blanks);
            blanks.clear();
            out.push(c);
            (at_start, closed) = (true, false);
        } else if closed {
            if !c.is_whitespace() {
                return Err(CsvProblem::AfterQuote(c));
            }
            out.push(c);
        } else if at_start && c.is_whitespace() {
            blanks.push(c);
        } else if at_start && c == '"' {
            removed |= !blanks.is_empty();
            blanks.clear();
            out.push(c);
            (at_start, in_quotes) = (false, true);
        } else {
            out.push_str(&blanks);
            blanks.clear();
            out.push(c);
            at_start = false;
        }
    }
    if in_quotes {
        return Err(CsvProblem::UnclosedQuote);
    }
    Ok(if removed {
        out.push_str(&blanks);
        Cow::Owned(out)
    } else {
        Cow::Borrowed(line)
    })
}

impl<'t> CsvReader<'t> {
    /// Reads the comments and the header row of `text`, the content of the file `path`.
    pub fn new(text: &'t str, path: &Path, format: CsvFormat) -> Result<Self, CsvError> {
        let error = |line: Option<usize>, problem: CsvProblem| CsvError {
            path: path.to_path_buf(),
            line,
            problem,
        };
        let delimiter = char::from(format.delimiter);
        if !format.delimiter.is_ascii() || matches!(delimiter, '"' | '\n' | '\r') {
            return Err(error(None, CsvProblem::Delimiter(delimiter)));
        }
        let (text, bom) = match text.strip_prefix('\u{feff}') {
            Some(rest) => (rest, text.len() - rest.len()),
            None => (text, 0),
        };
        let mut comments = Vec::new();
        let mut start = 0;
        let mut header_at = None;
        for (i, raw) in text.split_inclusive('\n').enumerate() {
            let line_no = i + 1;
            let line = raw.trim_end_matches(['\n', '\r']);
            if line_no > format.skip_lines && !line.trim().is_empty() {
                let Some(body) = line.trim_start().strip_prefix('#') else {
                    header_at = Some((start, line_no));
                    break;
                };
                let body = body.trim_start_matches('#').trim();
                if let Some((key, value)) = body.split_once(':') {
                    if is_key(key.trim()) {
                        comments.push((key.trim().to_string(), value.trim().to_string()));
                    }
                }
            }
            start += raw.len();
        }
        let Some((base, base_line)) = header_at else {
            return Err(error(None, CsvProblem::NoHeader));
        };
        let mut reader = CsvReader {
            path: Arc::from(path),
            text,
            bom,
            delimiter: format.delimiter,
            comments,
            header_line: base_line,
            header: Vec::new(),
            reader: crate_reader(&text[base..], format.delimiter),
            base,
            base_line,
            sizes: (0, 0),
            done: false,
        };
        let Some((line, _, mut names)) = reader.next_record()? else {
            return Err(error(None, CsvProblem::NoHeader));
        };
        if names.len() > 1 && names.get(names.len() - 1) == Some("") {
            names.truncate(names.len() - 1);
        }
        reader.header_line = line;
        reader.header = names.iter().map(str::to_string).collect();
        Ok(reader)
    }

    /// The file, as named in errors.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The `# key: value` lines before the header row, in order (key and value trimmed).
    pub fn comments(&self) -> &[(String, String)] {
        &self.comments
    }

    /// The 1-based line of the header row.
    pub fn header_line(&self) -> usize {
        self.header_line
    }

    /// The column names, trimmed.
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// The index of the column called `name`.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    fn error(&self, line: usize, problem: CsvProblem) -> CsvError {
        CsvError {
            path: self.path.to_path_buf(),
            line: Some(line),
            problem,
        }
    }

    /// The next record that is not a blank or comment line: its line, the byte where its line
    /// starts, and its fields.
    fn next_record(&mut self) -> Result<Option<(usize, usize, csv::StringRecord)>, CsvError> {
        loop {
            // Sized as the last record, so that reading does not grow it step by step.
            let mut record = csv::StringRecord::with_capacity(self.sizes.0, self.sizes.1);
            let found = self.reader.read_record(&mut record).map_err(|e| {
                let line = self.base_line + self.reader.position().line() as usize - 1;
                self.error(line, CsvProblem::Reader(e))
            })?;
            if !found {
                return Ok(None);
            }
            let Some(position) = record.position() else {
                return Ok(None);
            };
            // The crate's position is where it began to look for the record, before the blank
            // and `#` lines it passes over.
            let bytes = self.text.as_bytes();
            let mut start = self.base + position.byte() as usize;
            let mut line = self.base_line + position.line() as usize - 1;
            loop {
                match bytes.get(start) {
                    Some(b'\n') => line += 1,
                    Some(b'\r') => {}
                    Some(b'#') => {
                        start = bytes[start..]
                            .iter()
                            .position(|&b| b == b'\n')
                            .map_or(bytes.len(), |k| start + k);
                        continue;
                    }
                    _ => break,
                }
                start += 1;
            }
            let end = self.text[start..]
                .find('\n')
                .map_or(self.text.len(), |k| start + k);
            let raw = self.text[start..end].trim_end_matches('\r');
            // A quote the crate opened and did not close on the line took in the lines after
            // it: read on from the next line.
            let spanned = self.base + self.reader.position().byte() as usize > end + 1;
            if spanned {
                let next = (end + 1).min(self.text.len());
                self.reader = crate_reader(&self.text[next..], self.delimiter);
                self.base = next;
                self.base_line = line + 1;
            }
            if raw.trim().is_empty() || raw.trim_start().starts_with('#') {
                continue;
            }
            if raw.contains('"') {
                let normal = normalise_quotes(raw, char::from(self.delimiter))
                    .map_err(|p| self.error(line, p))?;
                if spanned || matches!(normal, Cow::Owned(_)) {
                    let mut one = crate_reader(&normal, self.delimiter);
                    record.clear();
                    one.read_record(&mut record)
                        .map_err(|e| self.error(line, CsvProblem::Reader(e)))?;
                }
            }
            if record.iter().any(|f| f.trim().len() != f.len()) {
                record = record.iter().map(str::trim).collect();
            }
            self.sizes = (record.as_slice().len(), record.len());
            return Ok(Some((line, start, record)));
        }
    }

    /// The next data row, with the field count checked.
    fn next_row(&mut self) -> Result<Option<CsvRow>, CsvError> {
        let Some((line, start, mut fields)) = self.next_record()? else {
            return Ok(None);
        };
        let columns = self.header.len();
        if fields.len() == columns + 1 && fields.get(columns) == Some("") {
            fields.truncate(columns);
        }
        if fields.len() != columns {
            return Err(self.error(
                line,
                CsvProblem::FieldCount {
                    expected: columns,
                    found: fields.len(),
                },
            ));
        }
        Ok(Some(CsvRow {
            line,
            start: self.bom + start,
            path: Arc::clone(&self.path),
            fields,
        }))
    }
}

impl Iterator for CsvReader<'_> {
    type Item = Result<CsvRow, CsvError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let next = self.next_row().transpose();
        self.done = !matches!(next, Some(Ok(_)));
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<(CsvReader<'_>, Vec<CsvRow>), CsvError> {
        read_with(text, CsvFormat::default())
    }

    fn read_with(text: &str, format: CsvFormat) -> Result<(CsvReader<'_>, Vec<CsvRow>), CsvError> {
        let mut reader = CsvReader::new(text, Path::new("f.csv"), format)?;
        let rows = reader.by_ref().collect::<Result<Vec<_>, _>>()?;
        Ok((reader, rows))
    }

    fn fields(row: &CsvRow) -> Vec<&str> {
        row.fields().collect()
    }

    #[test]
    fn splits_quoted_fields() {
        let (_, rows) = read("a,b,c,d,e\na, \"b, c\" ,\"d \"\"e\"\"\",,f\n").unwrap();
        assert_eq!(fields(&rows[0]), ["a", "b, c", "d \"e\"", "", "f"]);
        // Where the crate alone would open a quote that runs into the next line.
        let (_, rows) = read("a,b,c\nx, \"y,\",z\n1,2,3\n").unwrap();
        assert_eq!(fields(&rows[0]), ["x", "y,", "z"]);
        assert_eq!((rows[1].line, fields(&rows[1])), (3, vec!["1", "2", "3"]));
        // A quote inside an unquoted field is a character.
        let (_, rows) = read("a,b\n5\",x\"y\n").unwrap();
        assert_eq!(fields(&rows[0]), ["5\"", "x\"y"]);
        // Blanks are trimmed, no-break spaces too, inside quotes as well.
        let (_, rows) = read("a,b\n\u{a0}1\u{a0}, \" 2 \"\n").unwrap();
        assert_eq!(fields(&rows[0]), ["1", "2"]);
        let format = CsvFormat {
            delimiter: b'\t',
            ..CsvFormat::default()
        };
        let (r, rows) = read_with("x y\tz\n1,5\t\"2\t3\"\n", format).unwrap();
        assert_eq!(r.header(), ["x y", "z"]);
        assert_eq!(fields(&rows[0]), ["1,5", "2\t3"]);
    }

    #[test]
    fn quotes_close_on_their_line() {
        let e = read("a,b\n1,\"2\n3,4\n5,6\n").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(matches!(e.problem, CsvProblem::UnclosedQuote), "{e}");
        assert_eq!(
            e.to_string(),
            "f.csv, line 2: a quoted field is not closed on its line"
        );
        let e = read("a,b\n1,\"2\"3\n").unwrap_err();
        assert!(matches!(e.problem, CsvProblem::AfterQuote('3')), "{e}");
        assert!(e.to_string().contains("written twice"), "{e}");
        let e = read("a,\"b\n").unwrap_err();
        assert_eq!(e.line, Some(1));
    }

    #[test]
    fn reads_comments_header_and_rows() {
        let text = "\u{feff}# source: a, b\n# a free comment\n\ncycle,x,\n1,2,\n# later\n2,3,\n";
        let (r, rows) = read(text).unwrap();
        assert_eq!(r.comments(), [("source".to_string(), "a, b".to_string())]);
        assert_eq!(r.header_line(), 4);
        assert_eq!(r.header(), ["cycle", "x"]);
        assert_eq!(r.column("x"), Some(1));
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[1].line, fields(&rows[1])), (7, vec!["2", "3"]));
        assert_eq!(&text[rows[1].start..], "2,3,\n");
    }

    #[test]
    fn lines_count_comments_blanks_and_skipped_lines() {
        let text = "# a: 1\n\n  # indented: \"unclosed, x\n \t \nx , y\r\n1,2\r\n\r\n# c\n  # d,\"e\n3, 4\n5,6";
        let (r, rows) = read(text).unwrap();
        assert_eq!(r.header_line(), 5);
        assert_eq!(r.comments().len(), 2);
        assert_eq!(r.header(), ["x", "y"]);
        let lines: Vec<usize> = rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [6, 10, 11]);
        assert_eq!(fields(&rows[1]), ["3", "4"]);
        assert_eq!(&text[rows[2].start..], "5,6");
        let e = read("# a: b\n# c: d\n\nx,y\n1,2\n# e\n1,2,3\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "f.csv, line 7: expected 2 fields as in the header row, found 3"
        );
        let format = CsvFormat {
            skip_lines: 2,
            ..CsvFormat::default()
        };
        let (r, rows) = read_with("Tester \"X, v2\nexported: today\nx,y\n1,2\n", format).unwrap();
        assert_eq!((r.header_line(), rows[0].line), (3, 4));
    }

    #[test]
    fn field_counts_are_checked() {
        let e = read("a,b\n1,2\n1\n").unwrap_err();
        assert!(matches!(
            e.problem,
            CsvProblem::FieldCount {
                expected: 2,
                found: 1
            }
        ));
        assert_eq!(e.line, Some(3));
        // A trailing delimiter on the rows only.
        let (_, rows) = read("a,b\n1,2,\n").unwrap();
        assert_eq!(fields(&rows[0]), ["1", "2"]);
        assert!(read("a,b\n1,2,3\n").is_err());
    }

    #[test]
    fn no_header_and_bad_delimiters() {
        for text in ["", "# x: y\n\n", "\u{feff}"] {
            let e = read(text).unwrap_err();
            assert!(matches!(e.problem, CsvProblem::NoHeader), "{text:?}");
            assert_eq!(
                e.to_string(),
                "f.csv: expected a header row of column names, found none"
            );
        }
        let (_, rows) = read("a,b\n").unwrap();
        assert!(rows.is_empty());
        for delimiter in [b'"', b'\n', 0xe9] {
            let format = CsvFormat {
                delimiter,
                ..CsvFormat::default()
            };
            let e = CsvReader::new("a\n", Path::new("f.csv"), format).unwrap_err();
            assert!(matches!(e.problem, CsvProblem::Delimiter(_)), "{e}");
        }
    }

    #[test]
    fn numbers_name_line_and_column() {
        let (_, rows) = read("# a\nt,n\n1.5,NaN\n2,x\n,3\n").unwrap();
        assert_eq!(rows[0].number(0).unwrap(), 1.5);
        assert!(rows[0].number(1).unwrap().is_nan());
        assert!(rows[0].count(0).is_err());
        assert_eq!(
            rows[1].number(1).unwrap_err().to_string(),
            "f.csv, line 4: column 2: expected a number, found `x`"
        );
        assert_eq!(
            rows[2].count(0).unwrap_err().to_string(),
            "f.csv, line 5: column 1: expected a whole number ≥ 0, found nothing"
        );
        let e = std::io::Error::from(rows[1].count(1).unwrap_err());
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
    }

    #[test]
    fn keys() {
        assert!(is_key("source") && is_key("_a1"));
        assert!(!is_key("1a") && !is_key("a b") && !is_key(""));
    }
}
