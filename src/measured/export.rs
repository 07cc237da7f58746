//! Finding the data table of a cycler export: text in any common encoding
//! ([`super::decode`]) or a spreadsheet ([`super::xlsx`]), with a preamble of any length before
//! the header row, which is found by its column names: those of a known format
//! ([`super::formats`]), detected or forced.

use std::path::Path;

use super::csv::{self, no_data_rows, Row, Table};
use super::decode::read_decoded;
use super::formats::{Format, Layout, FORMATS};
use super::xlsx::{is_spreadsheet, read_sheets, Sheet};
use super::{invalid, MeasuredError, Problem};

/// How many lines (or rows of a sheet) are searched for the header row.
pub const HEADER_SEARCH_LINES: usize = 400;

/// The delimiters a text export may use, in the order tried.
const DELIMITERS: [char; 3] = ['\t', ',', ';'];

/// An export's data table with its format.
#[derive(Debug, Clone)]
pub struct Export {
    /// The table (header row and data rows; lines are those of the file, or rows of the
    /// sheet).
    pub(crate) table: Table,
    /// The columns of the format.
    pub layout: Layout,
    /// Whether numbers may be written with a decimal comma (a text export whose delimiter is
    /// not a comma).
    pub decimal_comma: bool,
    /// The text encoding, or `spreadsheet` and the sheet's name.
    pub source: String,
}

/// The fields of a text line split by `delimiter`, blanks and quotes around them dropped.
fn split(line: &str, delimiter: char) -> Vec<String> {
    line.split(delimiter)
        .map(|f| f.trim().trim_matches('"').trim().to_string())
        .collect()
}

/// The format, header line (0-based) and delimiter of the first line of `text` that is the
/// header row of one of `formats`.
fn find_in_text(text: &str, formats: &[Format]) -> Option<(Layout, usize, char)> {
    for (k, line) in text.lines().take(HEADER_SEARCH_LINES).enumerate() {
        for delimiter in DELIMITERS {
            if !line.contains(delimiter) {
                continue;
            }
            let fields = split(line, delimiter);
            if let Some(layout) = formats.iter().find_map(|f| f.resolve(&fields)) {
                return Some((layout, k, delimiter));
            }
        }
    }
    None
}

/// The table of `sheet` whose header row is the first of its first rows for which `header`
/// gives `Some`; rows that are all empty are skipped, shorter rows padded with empty fields.
pub(crate) fn sheet_table<T>(
    path: &Path,
    sheet: &Sheet,
    header: impl Fn(&[String]) -> Option<T>,
) -> Result<Option<(Table, T)>, MeasuredError> {
    let trimmed =
        |row: &[String]| -> Vec<String> { row.iter().map(|f| f.trim().to_string()).collect() };
    let Some((k, found)) = sheet
        .rows
        .iter()
        .take(HEADER_SEARCH_LINES)
        .enumerate()
        .find_map(|(k, row)| header(&trimmed(row)).map(|t| (k, t)))
    else {
        return Ok(None);
    };
    let names = trimmed(&sheet.rows[k]);
    let mut rows = Vec::new();
    for (j, row) in sheet.rows.iter().enumerate().skip(k + 1) {
        let line = sheet.first_row + j;
        if row.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if row.len() > names.len() {
            return Err(invalid(
                path,
                Some(line),
                None,
                Problem::FieldCount,
                format!(
                    "sheet `{}`: expected {} fields as in the header row, found {}",
                    sheet.name,
                    names.len(),
                    row.len()
                ),
            ));
        }
        let mut fields = trimmed(row);
        fields.resize(names.len(), String::new());
        rows.push(Row { line, fields });
    }
    if rows.is_empty() {
        return Err(no_data_rows(path, &format!("sheet `{}`: ", sheet.name)));
    }
    let table = Table {
        path: path.to_path_buf(),
        comments: Vec::new(),
        header_line: sheet.first_row + k,
        header: names,
        rows,
    };
    Ok(Some((table, found)))
}

/// The error for an export that is not of `forced` (or of no known format): names the file,
/// what was expected and, when another format matches, which.
fn not_recognised(path: &Path, forced: Option<Format>, other: Option<Format>) -> MeasuredError {
    let message = match forced {
        Some(f) => format!(
            "not a {} export: expected a header row (in the first {HEADER_SEARCH_LINES} lines) with the columns {}{}",
            f.label(),
            f.expected_columns(),
            other.map_or(String::new(), |o| format!(
                "; the file looks like a {} export (--format {})",
                o.label(),
                o.name()
            ))
        ),
        None => format!(
            "the export's format is not recognised: no header row of a known format ({}) in the first {HEADER_SEARCH_LINES} lines; give --format, or a column mapping with --mapping",
            Format::names()
        ),
    };
    invalid(path, None, None, Problem::Format, message)
}

/// Reads the export `path` and finds its data table: that of `forced` when given, else of the
/// first known format whose header row is found.
pub fn read_export(path: &Path, forced: Option<Format>) -> Result<Export, MeasuredError> {
    let formats: Vec<Format> = forced.map_or_else(|| FORMATS.to_vec(), |f| vec![f]);
    if is_spreadsheet(path) {
        let sheets = read_sheets(path)?;
        // Of the sheets with a header row of the format, the one with the most rows: the
        // record table, not a per-step or per-cycle statistics sheet that may share its names.
        let mut best: Option<(Table, Layout, &str)> = None;
        for sheet in &sheets {
            let found = sheet_table(path, sheet, |h| formats.iter().find_map(|f| f.resolve(h)))?;
            if let Some((table, layout)) = found {
                if best
                    .as_ref()
                    .is_none_or(|(b, _, _)| table.rows.len() > b.rows.len())
                {
                    best = Some((table, layout, &sheet.name));
                }
            }
        }
        if let Some((table, layout, name)) = best {
            return Ok(Export {
                table,
                layout,
                decimal_comma: false,
                source: format!("spreadsheet, sheet {name}"),
            });
        }
        let other = sheets.iter().find_map(|s| {
            sheet_table(path, s, |h| FORMATS.iter().find_map(|f| f.resolve(h)))
                .ok()
                .flatten()
                .map(|(_, l)| l.format)
        });
        return Err(not_recognised(path, forced, other));
    }
    let (text, decoded) = read_decoded(path)?;
    let Some((_, k, delimiter)) = find_in_text(&text, &formats) else {
        let other = find_in_text(&text, &FORMATS).map(|(l, _, _)| l.format);
        return Err(not_recognised(path, forced, other));
    };
    let table = csv::parse(&text, path, delimiter, k)?;
    // The header as the CSV reader splits it (quotes, trailing delimiter) resolves as found.
    let layout = formats
        .iter()
        .find_map(|f| f.resolve(&table.header))
        .ok_or_else(|| not_recognised(path, forced, None))?;
    Ok(Export {
        table,
        layout,
        decimal_comma: delimiter != ',',
        source: decoded.name().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_header_after_a_preamble() {
        let text = "EC-Lab ASCII FILE\nNb header lines : 3\ncycle number\tox/red\tEwe/V\tI/mA\tQ charge/discharge/mA.h\n0\t1\t3,5\t0,2\t0\n";
        let (layout, k, d) = find_in_text(text, &FORMATS).unwrap();
        assert_eq!((layout.format, k, d), (Format::EcLab, 2, '\t'));
        assert!(find_in_text(text, &[Format::Maccor]).is_none());
    }
}
