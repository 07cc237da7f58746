//! Taking up the files of an interrupted run: each keeps its header and the whole rows of the
//! cycles a checkpoint covers; rows of later cycles (written after the checkpoint, or cut off
//! mid-line by a kill) are dropped, because the continued run computes them again.

use std::io;
use std::path::{Path, PathBuf};

use crate::csv_table::{CsvError, CsvFormat, CsvProblem, CsvReader, CsvRow};

/// The header and the whole data rows of the CSV file at `path` whose cycle (the whole number
/// in column `cycle_column`, 0-based) is at most `cycles_done`, as the text of the file, and
/// how many rows that is. `row` is shown each row kept, in order; an error of its ends the
/// reading. A missing file is an error; a line without a trailing newline (cut off by a kill)
/// is dropped.
pub(crate) fn rows_up_to_cycle(
    path: &Path,
    cycle_column: usize,
    cycles_done: usize,
    row: impl FnMut(&CsvRow) -> io::Result<()>,
) -> io::Result<(String, u64)> {
    checked_rows_up_to_cycle(path, cycle_column, cycles_done, |_| Ok(()), row)
}

/// [`rows_up_to_cycle`], with `header` shown the header row first (an error of its ends the
/// reading before any row).
pub(crate) fn checked_rows_up_to_cycle(
    path: &Path,
    cycle_column: usize,
    cycles_done: usize,
    header: impl FnOnce(&[String]) -> io::Result<()>,
    mut row: impl FnMut(&CsvRow) -> io::Result<()>,
) -> io::Result<(String, u64)> {
    let mut text = std::fs::read_to_string(path)?;
    text.truncate(text.rfind('\n').map_or(0, |k| k + 1));
    let mut reader =
        CsvReader::new(&text, path, CsvFormat::default()).map_err(|e| match e.problem {
            CsvProblem::NoHeader => io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: no header row", path.display()),
            ),
            _ => e.into(),
        })?;
    header(reader.header())?;
    let mut kept = text.len();
    let mut rows = 0u64;
    for r in reader.by_ref() {
        let r = r?;
        if r.count(cycle_column)? > cycles_done {
            kept = r.start; // rows are in cycle order
            break;
        }
        row(&r)?;
        rows += 1;
    }
    text.truncate(kept);
    Ok((text, rows))
}

/// Why the per-cycle rows of an interrupted run cannot be taken up.
#[derive(Debug, thiserror::Error)]
pub enum RowsError {
    /// The file is not there.
    #[error("{} is missing: the finished cycles of the run are lost", .path.display())]
    Missing {
        /// The file.
        path: PathBuf,
    },
    /// The file cannot be read.
    #[error("cannot read {}", .path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: io::Error,
    },
    /// A line is not a row of the file's format.
    #[error("{}, line {line}: {reason}", .path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// The line, from 1 (the header is line 1).
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// A cycle is missing between two rows.
    #[error("{}, line {line}: cycle {found} follows cycle {previous}: cycles {} to {} are missing", .path.display(), .previous + 1, .found.saturating_sub(1))]
    Gap {
        /// The file.
        path: PathBuf,
        /// The line of the row after the gap.
        line: usize,
        /// The cycle of the row before.
        previous: usize,
        /// The cycle of the row after.
        found: usize,
    },
    /// The rows end before the checkpoint's cycle.
    #[error("{} holds cycles up to {last} only, but the checkpoint is after cycle {cycles_done}: the file was cut short", .path.display())]
    Truncated {
        /// The file.
        path: PathBuf,
        /// The last cycle it holds (0 for none).
        last: usize,
        /// The checkpoint's cycles.
        cycles_done: usize,
    },
}

/// Checks that the CSV file at `path` (cycle in column 0, `header` its header row) holds one
/// row of `header`'s width for each of the cycles 1, 2, … in order without gaps, at least up
/// to `cycles_done`: the per-cycle file of a run interrupted after its checkpoint at
/// `cycles_done`. Rows of later cycles may follow (they are recomputed); a last line without
/// its newline (a row cut off by a kill) is allowed.
pub(crate) fn check_cycle_rows(
    path: &Path,
    header: &str,
    cycles_done: usize,
) -> Result<(), RowsError> {
    let text = std::fs::read(path).map_err(|source| match source.kind() {
        io::ErrorKind::NotFound => RowsError::Missing {
            path: path.to_path_buf(),
        },
        _ => RowsError::Read {
            path: path.to_path_buf(),
            source,
        },
    })?;
    let malformed = |line: usize, reason: String| RowsError::Malformed {
        path: path.to_path_buf(),
        line,
        reason,
    };
    let text = String::from_utf8(text).map_err(|e| {
        malformed(
            0,
            format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
        )
    })?;
    // A last line without its newline was cut off by a kill.
    let Some(end) = text.rfind('\n') else {
        return Err(malformed(1, format!("no header row (expected `{header}`)")));
    };
    let csv_error = |e: CsvError| {
        let line = e.line.unwrap_or(1);
        match e.problem {
            CsvProblem::FieldCount { expected, found } => malformed(
                line,
                format!("{found} fields where the header has {expected}"),
            ),
            CsvProblem::NoHeader => malformed(line, format!("no header row (expected `{header}`)")),
            problem => malformed(line, problem.to_string()),
        }
    };
    let mut reader =
        CsvReader::new(&text[..=end], path, CsvFormat::default()).map_err(csv_error)?;
    if reader.header().join(",") != header {
        return Err(malformed(
            reader.header_line(),
            format!("expected the header `{header}`"),
        ));
    }
    let mut last = 0;
    for row in reader.by_ref() {
        let row = row.map_err(csv_error)?;
        let number = row.line;
        let cycle = row
            .count(0)
            .map_err(|_| malformed(number, "no cycle number in the first field".into()))?;
        if cycle != last + 1 {
            if cycle <= last {
                return Err(malformed(
                    number,
                    format!("cycle {cycle} after cycle {last}: cycles out of order"),
                ));
            }
            return Err(RowsError::Gap {
                path: path.to_path_buf(),
                line: number,
                previous: last,
                found: cycle,
            });
        }
        last = cycle;
    }
    if last < cycles_done {
        return Err(RowsError::Truncated {
            path: path.to_path_buf(),
            last,
            cycles_done,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycle_rows_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.csv");
        let check = |text: &str, done: usize| {
            std::fs::write(&path, text).unwrap();
            check_cycle_rows(&path, "cycle,v", done).map_err(|e| e.to_string())
        };
        assert_eq!(check("cycle,v\n1,3\n2,3\n3,3\n3,", 2), Ok(()));
        assert_eq!(check("cycle,v\n1,3\n2,3\n", 2), Ok(()));
        let err = check("cycle,v\n1,3\n", 2).unwrap_err();
        assert!(
            err.contains("up to 1 only") && err.contains("cycle 2"),
            "{err}"
        );
        let err = check("cycle,v\n1,3\n4,3\n", 2).unwrap_err();
        assert!(
            err.contains("line 3") && err.contains("cycles 2 to 3 are missing"),
            "{err}"
        );
        let err = check("cycle,v\n1,3\n2\0\0,3\n", 2).unwrap_err();
        assert!(err.contains("line 3: no cycle number"), "{err}");
        let err = check("cycle,v\n1,3,4\n", 1).unwrap_err();
        assert!(err.contains("line 2: 3 fields"), "{err}");
        let err = check("", 1).unwrap_err();
        assert!(err.contains("no header"), "{err}");
        std::fs::remove_file(&path).unwrap();
        let err = check_cycle_rows(&path, "cycle,v", 1)
            .unwrap_err()
            .to_string();
        assert!(err.contains("s.csv is missing"), "{err}");
    }

    #[test]
    fn keeps_whole_rows_of_finished_cycles() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(
            &path,
            "t,cycle,v\n0,1,3.4\n1,1,3.3\n2,2,3.2\n3,3,3.1\n4,3,3.",
        )
        .unwrap();
        let mut seen = Vec::new();
        let (kept, rows) = checked_rows_up_to_cycle(
            &path,
            1,
            2,
            |h| {
                assert_eq!(h, ["t", "cycle", "v"]);
                Ok(())
            },
            |r| {
                seen.push(r.number(2)?);
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(kept, "t,cycle,v\n0,1,3.4\n1,1,3.3\n2,2,3.2\n");
        assert_eq!(rows, 3);
        assert_eq!(seen, [3.4, 3.3, 3.2]);
        let (kept, rows) = rows_up_to_cycle(&path, 1, 9, |_| Ok(())).unwrap();
        assert_eq!(rows, 4, "the cut-off last line is dropped: {kept}");
    }
}
