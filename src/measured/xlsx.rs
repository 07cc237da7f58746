//! The sheets of a spreadsheet export (`.xlsx`, `.xls`, `.ods`, read by `calamine`) as rows of
//! text fields, so that they go through the same header search and row checks as a text
//! export. Numbers are written in shortest round-trip form; a date-time cell as
//! `YYYY-MM-DD HH:MM:SS(.fff)`, a duration cell as seconds.

use std::path::Path;

use calamine::{open_workbook_auto, Data, Reader};

use super::{invalid, MeasuredError, Problem};

/// One sheet: its name and its rows, each row's fields as text (trailing empty cells dropped).
#[derive(Debug, Clone)]
pub struct Sheet {
    /// The sheet's name.
    pub name: String,
    /// The 1-based row of the sheet of each entry of `rows`.
    pub first_row: usize,
    /// The rows, from the sheet's first used row.
    pub rows: Vec<Vec<String>>,
}

/// Whether `path` names a spreadsheet (by its extension).
pub fn is_spreadsheet(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| ["xlsx", "xlsm", "xls", "ods"].contains(&e.to_ascii_lowercase().as_str()))
}

/// A date-time given as days since 1899-12-30 (the spreadsheet serial date) as text.
fn serial_date_text(days: f64) -> String {
    let seconds = (days * 86_400.0 * 1000.0).round() / 1000.0;
    let whole_days = (seconds / 86_400.0).floor();
    let mut rest = seconds - whole_days * 86_400.0;
    // Days from 1970-01-01, then the civil date (H. Hinnant's `civil_from_days`).
    let z = whole_days as i64 - 25_569 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let h = (rest / 3600.0).floor();
    rest -= h * 3600.0;
    let min = (rest / 60.0).floor();
    rest -= min * 60.0;
    format!("{y:04}-{m:02}-{d:02} {h:02}:{min:02}:{rest:06.3}")
}

/// A cell as text.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => f.to_string(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(t) if t.is_duration() => (t.as_f64() * 86_400.0).to_string(),
        Data::DateTime(t) => serial_date_text(t.as_f64()),
        Data::Error(e) => format!("#{e}"),
    }
}

/// Reads every sheet of the spreadsheet `path`.
pub fn read_sheets(path: &Path) -> Result<Vec<Sheet>, MeasuredError> {
    let error = |message: String| invalid(path, None, None, Problem::Empty, message);
    let mut book = open_workbook_auto(path)
        .map_err(|e| error(format!("cannot be read as a spreadsheet: {e}")))?;
    let mut sheets = Vec::new();
    for name in book.sheet_names() {
        let range = book
            .worksheet_range(&name)
            .map_err(|e| error(format!("sheet `{name}` cannot be read: {e}")))?;
        let first_row = range.start().map_or(1, |(r, _)| r as usize + 1);
        let rows = range
            .rows()
            .map(|row| {
                let mut fields: Vec<String> = row.iter().map(cell_text).collect();
                while fields.last().is_some_and(String::is_empty) {
                    fields.pop();
                }
                fields
            })
            .collect();
        sheets.push(Sheet {
            name,
            first_row,
            rows,
        });
    }
    Ok(sheets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_dates() {
        // 45413 is 2024-05-01 in the 1900 date system.
        assert_eq!(serial_date_text(45_413.5), "2024-05-01 12:00:00.000");
        assert_eq!(serial_date_text(25_569.0), "1970-01-01 00:00:00.000");
    }
}
