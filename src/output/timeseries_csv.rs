//! The time series as CSV: `time_s,step,current_A,voltage_V,discharge_capacity_Ah`.
//!
//! Rows stream into `<dir>/timeseries.csv.partial` and are written to disk at the latest at the
//! end of every experiment step, whole lines only. When the run ends:
//! - [`TimeseriesCsv::finish`] (success) renames the file to `<dir>/timeseries.csv`;
//! - [`TimeseriesCsv::abandon`] (failure) also renames it to `<dir>/timeseries.csv`, so nothing
//!   computed is lost, and writes `<dir>/run_error.txt` with the reason, so that a reader sees
//!   the series is incomplete.
//!
//! A `timeseries.csv` without a `run_error.txt` beside it is therefore a complete run. If the
//! process dies without either call (killed, power loss), only `timeseries.csv.partial` is left,
//! ending in whole lines up to the last write. Numbers are written in their shortest round-trip
//! form (scientific notation below 1e-4), so they read back bit for bit.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::protocol::{TimeseriesRecord, TimeseriesSink};

/// File name of a finished (or abandoned) time series.
pub const TIMESERIES_FILE: &str = "timeseries.csv";
/// File name of the time series while the run is going on.
pub const TIMESERIES_PARTIAL_FILE: &str = "timeseries.csv.partial";
/// File name of the error record written when a run fails.
pub const RUN_ERROR_FILE: &str = "run_error.txt";
/// The header row.
pub const TIMESERIES_HEADER: &str = "time_s,step,current_A,voltage_V,discharge_capacity_Ah";

/// Rows are written to the file when this many bytes are buffered (and at every step end).
const WRITE_THRESHOLD_BYTES: usize = 64 * 1024;

/// A [`TimeseriesSink`] writing the CSV time series of a run into a folder.
#[derive(Debug)]
pub struct TimeseriesCsv {
    dir: PathBuf,
    file: File,
    /// Complete lines not yet written to the file.
    buffer: String,
    /// Rows in `buffer`.
    buffered_rows: u64,
    /// Bytes of whole lines known to be in the file.
    written_bytes: u64,
    /// Rows known to be in the file.
    written_rows: u64,
}

/// What [`TimeseriesCsv::abandon`] left on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbandonedTimeseries {
    /// The time series with the rows computed before the failure (`<dir>/timeseries.csv`).
    pub timeseries: PathBuf,
    /// The error record (`<dir>/run_error.txt`).
    pub error_file: PathBuf,
    /// Data rows kept (not counting the header).
    pub rows: u64,
}

impl TimeseriesCsv {
    /// Starts `<dir>/timeseries.csv.partial` with the header row. `dir` must exist. A
    /// `timeseries.csv` or `run_error.txt` left in `dir` by an earlier run is removed first, so
    /// that the folder never mixes two runs.
    pub fn create(dir: &Path) -> io::Result<Self> {
        for stale in [TIMESERIES_FILE, RUN_ERROR_FILE] {
            match std::fs::remove_file(dir.join(stale)) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        let mut file = File::create(dir.join(TIMESERIES_PARTIAL_FILE))?;
        let header = format!("{TIMESERIES_HEADER}\n");
        file.write_all(header.as_bytes())?;
        Ok(TimeseriesCsv {
            dir: dir.to_path_buf(),
            file,
            buffer: String::with_capacity(WRITE_THRESHOLD_BYTES + 256),
            buffered_rows: 0,
            written_bytes: header.len() as u64,
            written_rows: 0,
        })
    }

    /// The folder written to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Rows recorded so far (written or buffered), not counting the header.
    pub fn rows(&self) -> u64 {
        self.written_rows + self.buffered_rows
    }

    /// Writes the buffered lines. On failure the file is cut back to its last whole line.
    fn write_buffer(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        match self.file.write_all(self.buffer.as_bytes()) {
            Ok(()) => {
                self.written_bytes += self.buffer.len() as u64;
                self.written_rows += self.buffered_rows;
                self.buffer.clear();
                self.buffered_rows = 0;
                Ok(())
            }
            Err(e) => {
                // A partial write may have left half a line: cut it off.
                let _ = self.file.set_len(self.written_bytes);
                Err(e)
            }
        }
    }

    /// Ends a successful run: writes what is buffered and renames the file to
    /// `<dir>/timeseries.csv`, which it returns.
    pub fn finish(mut self) -> io::Result<PathBuf> {
        self.write_buffer()?;
        self.file.sync_all()?;
        let target = self.dir.join(TIMESERIES_FILE);
        std::fs::rename(self.dir.join(TIMESERIES_PARTIAL_FILE), &target)?;
        Ok(target)
    }

    /// Ends a failed run: keeps every whole row recorded so far as `<dir>/timeseries.csv` and
    /// writes `reason` (the full error) to `<dir>/run_error.txt`.
    pub fn abandon(mut self, reason: &str) -> io::Result<AbandonedTimeseries> {
        // Best effort: rows that cannot be written are reported in run_error.txt.
        let lost = match self.write_buffer() {
            Ok(()) => None,
            Err(e) => Some((self.buffered_rows, e)),
        };
        let _ = self.file.sync_all();
        let timeseries = self.dir.join(TIMESERIES_FILE);
        std::fs::rename(self.dir.join(TIMESERIES_PARTIAL_FILE), &timeseries)?;
        let error_file = self.dir.join(RUN_ERROR_FILE);
        let mut text = format!(
            "The run did not finish. {TIMESERIES_FILE} holds the {} rows computed before it stopped.\n\n{}\n",
            self.written_rows,
            reason.trim_end()
        );
        if let Some((rows, e)) = lost {
            text.push_str(&format!(
                "\nThe last {rows} rows could not be written to {TIMESERIES_FILE}: {e}\n"
            ));
        }
        // Write the record under a temporary name first, so it is never seen half-written.
        let tmp = self.dir.join(format!("{RUN_ERROR_FILE}.partial"));
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, &error_file)?;
        Ok(AbandonedTimeseries {
            timeseries,
            error_file,
            rows: self.written_rows,
        })
    }
}

/// Appends `v` in its shortest round-trip form: plain decimals for magnitudes in
/// [1e-4, 1e15), scientific notation outside (`6.59e-11` rather than `0.0000000000659`).
fn push_number(buffer: &mut String, v: f64) {
    use std::fmt::Write as _;
    let magnitude = v.abs();
    // Writing into a String cannot fail.
    let _ = if v == 0.0 || !v.is_finite() || (1e-4..1e15).contains(&magnitude) {
        write!(buffer, "{v}")
    } else {
        write!(buffer, "{v:e}")
    };
}

impl TimeseriesSink for TimeseriesCsv {
    fn record(&mut self, row: &TimeseriesRecord) -> io::Result<()> {
        use std::fmt::Write as _;
        // Writing into a String cannot fail.
        push_number(&mut self.buffer, row.time_s);
        let _ = write!(self.buffer, ",{},", row.step);
        push_number(&mut self.buffer, row.current_a);
        self.buffer.push(',');
        push_number(&mut self.buffer, row.voltage_v);
        self.buffer.push(',');
        push_number(&mut self.buffer, row.discharge_capacity_ah);
        self.buffer.push('\n');
        self.buffered_rows += 1;
        if self.buffer.len() >= WRITE_THRESHOLD_BYTES {
            self.write_buffer()?;
        }
        Ok(())
    }

    fn step_finished(&mut self, _step: usize) -> io::Result<()> {
        self.write_buffer()?;
        self.file.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(t: f64, step: usize) -> TimeseriesRecord {
        TimeseriesRecord {
            time_s: t,
            step,
            current_a: 7.202074427e-4,
            voltage_v: 3.4567891234567,
            discharge_capacity_ah: t * 7.202074427e-4 / 3600.0,
        }
    }

    #[test]
    fn finish_renames_and_values_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let mut csv = TimeseriesCsv::create(dir.path()).unwrap();
        assert!(dir.path().join(TIMESERIES_PARTIAL_FILE).exists());
        for i in 0..5 {
            csv.record(&row(i as f64 * 0.1, 1)).unwrap();
        }
        csv.step_finished(1).unwrap();
        csv.record(&row(0.7, 2)).unwrap();
        assert_eq!(csv.rows(), 6);
        let path = csv.finish().unwrap();
        assert_eq!(path, dir.path().join(TIMESERIES_FILE));
        assert!(!dir.path().join(TIMESERIES_PARTIAL_FILE).exists());
        assert!(!dir.path().join(RUN_ERROR_FILE).exists());
        let text = std::fs::read_to_string(path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], TIMESERIES_HEADER);
        assert_eq!(lines.len(), 7);
        assert!(text.ends_with('\n'));
        let fields: Vec<f64> = lines[3].split(',').map(|f| f.parse().unwrap()).collect();
        let expected = row(0.2, 1);
        assert_eq!(fields[0], expected.time_s);
        assert_eq!(fields[1], 1.0);
        assert_eq!(fields[2], expected.current_a);
        assert_eq!(fields[3], expected.voltage_v);
        assert_eq!(fields[4], expected.discharge_capacity_ah);
    }

    #[test]
    fn small_and_large_numbers_use_exponents_and_round_trip() {
        for v in [
            0.0,
            -0.0,
            1.0,
            3.4585437668418697,
            6.590315928239637e-11,
            -2.1e-5,
            1e20,
            1e-4,
        ] {
            let mut s = String::new();
            push_number(&mut s, v);
            assert_eq!(s.parse::<f64>().unwrap().to_bits(), v.to_bits(), "{s}");
            assert!(s.len() <= 24, "{s}");
        }
        let mut s = String::new();
        push_number(&mut s, 6.590315928239637e-11);
        assert_eq!(s, "6.590315928239637e-11");
    }

    #[test]
    fn rows_are_on_disk_after_each_step() {
        let dir = tempfile::tempdir().unwrap();
        let mut csv = TimeseriesCsv::create(dir.path()).unwrap();
        csv.record(&row(0.0, 1)).unwrap();
        csv.record(&row(1.0, 1)).unwrap();
        csv.step_finished(1).unwrap();
        let text = std::fs::read_to_string(dir.path().join(TIMESERIES_PARTIAL_FILE)).unwrap();
        assert_eq!(text.lines().count(), 3);
    }

    #[test]
    fn abandon_keeps_rows_and_records_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut csv = TimeseriesCsv::create(dir.path()).unwrap();
        csv.record(&row(0.0, 1)).unwrap();
        csv.step_finished(1).unwrap();
        csv.record(&row(1.0, 2)).unwrap();
        let kept = csv.abandon("step 2: solver failed at t = 1 s").unwrap();
        assert_eq!(kept.rows, 2);
        let text = std::fs::read_to_string(&kept.timeseries).unwrap();
        assert_eq!(text.lines().count(), 3);
        let err = std::fs::read_to_string(&kept.error_file).unwrap();
        assert!(
            err.contains("did not finish") && err.contains("solver failed"),
            "{err}"
        );
        assert!(!dir.path().join(TIMESERIES_PARTIAL_FILE).exists());
    }

    #[test]
    fn a_new_run_clears_the_previous_one() {
        let dir = tempfile::tempdir().unwrap();
        let csv = TimeseriesCsv::create(dir.path()).unwrap();
        csv.abandon("first run failed").unwrap();
        let csv = TimeseriesCsv::create(dir.path()).unwrap();
        assert!(!dir.path().join(RUN_ERROR_FILE).exists());
        assert!(!dir.path().join(TIMESERIES_FILE).exists());
        csv.finish().unwrap();
        assert!(dir.path().join(TIMESERIES_FILE).exists());
    }

    #[test]
    fn large_runs_write_in_whole_lines() {
        let dir = tempfile::tempdir().unwrap();
        let mut csv = TimeseriesCsv::create(dir.path()).unwrap();
        for i in 0..5000 {
            csv.record(&row(i as f64, 1)).unwrap();
        }
        // More than the threshold has been written without a step end, in whole lines.
        let text = std::fs::read_to_string(dir.path().join(TIMESERIES_PARTIAL_FILE)).unwrap();
        assert!(text.len() >= WRITE_THRESHOLD_BYTES);
        assert!(text.ends_with('\n'));
        assert!(csv.finish().unwrap().exists());
    }
}
