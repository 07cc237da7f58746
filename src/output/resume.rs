//! Taking up the files of an interrupted run: each keeps its header and the whole rows of the
//! cycles a checkpoint covers; rows of later cycles (written after the checkpoint, or cut off
//! mid-line by a kill) are dropped, because the continued run computes them again.

use std::io;
use std::path::Path;

/// The header and the whole data rows of the CSV text at `path` whose cycle (the integer in
/// column `cycle_column`, 0-based) is at most `cycles_done`, and how many rows that is.
/// A missing file is an error; a line without a trailing newline is dropped.
pub(crate) fn rows_up_to_cycle(
    path: &Path,
    cycle_column: usize,
    cycles_done: usize,
) -> io::Result<(String, u64)> {
    let text = std::fs::read_to_string(path)?;
    let bad = |what: String| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: {what}", path.display()),
        )
    };
    let mut kept = String::with_capacity(text.len());
    let mut rows = 0u64;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        if !line.ends_with('\n') {
            break; // cut off mid-line
        }
        if index == 0 {
            kept.push_str(line);
            continue;
        }
        let cycle: usize = line
            .split(',')
            .nth(cycle_column)
            .and_then(|c| c.trim().parse().ok())
            .ok_or_else(|| bad(format!("line {} has no cycle number", index + 1)))?;
        if cycle > cycles_done {
            break; // rows are in cycle order
        }
        kept.push_str(line);
        rows += 1;
    }
    if kept.is_empty() {
        return Err(bad("no header row".into()));
    }
    Ok((kept, rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_whole_rows_of_finished_cycles() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(
            &path,
            "t,cycle,v\n0,1,3.4\n1,1,3.3\n2,2,3.2\n3,3,3.1\n4,3,3.",
        )
        .unwrap();
        let (kept, rows) = rows_up_to_cycle(&path, 1, 2).unwrap();
        assert_eq!(kept, "t,cycle,v\n0,1,3.4\n1,1,3.3\n2,2,3.2\n");
        assert_eq!(rows, 3);
        let (kept, rows) = rows_up_to_cycle(&path, 1, 9).unwrap();
        assert_eq!(rows, 4, "the cut-off last line is dropped: {kept}");
    }
}
