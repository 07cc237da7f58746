//! The time series as CSV: `time_s,cycle,step,current_A,voltage_V,discharge_capacity_Ah,voltage_vs_li_V`.
//!
//! `voltage_V` is the cell voltage (positive against counter electrode); `voltage_vs_li_V` is
//! the positive electrode's potential against Li/Li+ by the convention of the experiment's
//! "V vs Li/Li+" limits: the cell voltage plus the counter electrode's open-circuit potential
//! vs Li/Li+ (0 for Li metal, 0.62 V for Li-In), so that cells with different counter
//! electrodes compare on one scale.
//!
//! Only the cycles chosen by a [`SaveCycles`] selection are written (all by default), so that a
//! run of thousands of cycles keeps a small file; the selection reaches the driver through
//! [`TimeseriesSink::wants_cycle`], which then does not even produce the rows of the others.
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

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use crate::protocol::{CycleSummary, TimeseriesRecord, TimeseriesSink};

/// File name of a finished (or abandoned) time series.
pub const TIMESERIES_FILE: &str = "timeseries.csv";
/// File name of the time series while the run is going on.
pub const TIMESERIES_PARTIAL_FILE: &str = "timeseries.csv.partial";
/// File name of the error record written when a run fails.
pub const RUN_ERROR_FILE: &str = "run_error.txt";
/// The header row.
pub const TIMESERIES_HEADER: &str =
    "time_s,cycle,step,current_A,voltage_V,discharge_capacity_Ah,voltage_vs_li_V";

/// Which cycles' rows a run keeps in its time series (cycles are numbered from 1).
///
/// In a scenario file (TOML) it reads `save_cycles = "all"`, `save_cycles = [1, 10, 100]` or
/// `save_cycles = { every = 10 }`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SaveCycles {
    /// Every cycle (the default).
    #[default]
    All,
    /// The cycles listed (in any order; numbers past the last cycle are ignored).
    List(Vec<usize>),
    /// Cycle 1 and every n-th cycle after it: 1, 1 + n, 1 + 2n, … The last cycle of a run is
    /// not known in advance, so it is saved only if it falls on that grid. `Every(1)` is every
    /// cycle; `Every(0)` is cycle 1 only.
    Every(usize),
}

impl SaveCycles {
    /// Whether cycle `cycle` (1-based) is saved.
    pub fn contains(&self, cycle: usize) -> bool {
        match self {
            SaveCycles::All => true,
            SaveCycles::List(list) => list.contains(&cycle),
            SaveCycles::Every(0) => cycle == 1,
            SaveCycles::Every(n) => cycle >= 1 && (cycle - 1) % n == 0,
        }
    }
}

impl std::fmt::Display for SaveCycles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SaveCycles::All => write!(f, "all cycles"),
            SaveCycles::List(list) => {
                write!(f, "cycles ")?;
                for (i, c) in list.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{c}")?;
                }
                Ok(())
            }
            SaveCycles::Every(0) => write!(f, "cycle 1"),
            SaveCycles::Every(n) => write!(f, "cycle 1 and one cycle in {n} after it"),
        }
    }
}

/// Written as `"all"`, a list of cycle numbers, or `{ every = n }`.
impl Serialize for SaveCycles {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            SaveCycles::All => serializer.serialize_str("all"),
            SaveCycles::List(list) => list.serialize(serializer),
            SaveCycles::Every(n) => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("every", n)?;
                map.end()
            }
        }
    }
}

/// Read from `"all"`, a list of cycle numbers (each at least 1), or `{ every = n }` (n ≥ 1).
impl<'de> Deserialize<'de> for SaveCycles {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SaveCyclesVisitor;

        impl<'de> Visitor<'de> for SaveCyclesVisitor {
            type Value = SaveCycles;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(
                    r#""all", a list of cycle numbers such as [1, 10, 100], or { every = N }"#,
                )
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<SaveCycles, E> {
                if v == "all" {
                    Ok(SaveCycles::All)
                } else {
                    Err(E::invalid_value(de::Unexpected::Str(v), &self))
                }
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<SaveCycles, A::Error> {
                let mut list = Vec::new();
                while let Some(cycle) = seq.next_element::<usize>()? {
                    if cycle == 0 {
                        return Err(de::Error::custom(
                            "save_cycles: cycles are numbered from 1, found 0",
                        ));
                    }
                    list.push(cycle);
                }
                Ok(SaveCycles::List(list))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SaveCycles, A::Error> {
                let mut every = None;
                while let Some(key) = map.next_key::<String>()? {
                    if key != "every" || every.is_some() {
                        return Err(de::Error::custom(format!(
                            "save_cycles: unexpected key `{key}`, expected {{ every = N }}"
                        )));
                    }
                    every = Some(map.next_value::<usize>()?);
                }
                match every {
                    Some(n) if n >= 1 => Ok(SaveCycles::Every(n)),
                    Some(_) => Err(de::Error::custom("save_cycles: `every` must be at least 1")),
                    None => Err(de::Error::custom(
                        "save_cycles: missing key `every`, expected { every = N }",
                    )),
                }
            }
        }

        deserializer.deserialize_any(SaveCyclesVisitor)
    }
}

/// Rows are written to the file when this many bytes are buffered (and at every step end).
const WRITE_THRESHOLD_BYTES: usize = 64 * 1024;

/// A [`TimeseriesSink`] writing the CSV time series of a run into a folder.
#[derive(Debug)]
pub struct TimeseriesCsv {
    dir: PathBuf,
    save_cycles: SaveCycles,
    file: File,
    /// Complete lines not yet written to the file.
    buffer: String,
    /// Rows in `buffer`.
    buffered_rows: u64,
    /// Bytes of whole lines known to be in the file.
    written_bytes: u64,
    /// Rows known to be in the file.
    written_rows: u64,
    /// The counter electrode's open-circuit potential vs Li/Li+ \[V\], added to the cell
    /// voltage for `voltage_vs_li_V`.
    counter_potential_v: f64,
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

/// Removes the `timeseries.csv` and `run_error.txt` of an earlier (or interrupted) run.
fn remove_closed_files(dir: &Path) -> io::Result<()> {
    for stale in [TIMESERIES_FILE, RUN_ERROR_FILE] {
        match std::fs::remove_file(dir.join(stale)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    Ok(())
}

impl TimeseriesCsv {
    /// Starts `<dir>/timeseries.csv.partial` with the header row, saving every cycle. `dir`
    /// must exist. A `timeseries.csv` or `run_error.txt` left in `dir` by an earlier run is
    /// removed first, so that the folder never mixes two runs.
    pub fn create(dir: &Path) -> io::Result<Self> {
        Self::create_saving(dir, SaveCycles::All)
    }

    /// As [`TimeseriesCsv::create`], saving only the cycles `save_cycles` selects.
    pub fn create_saving(dir: &Path, save_cycles: SaveCycles) -> io::Result<Self> {
        remove_closed_files(dir)?;
        let mut file = File::create(dir.join(TIMESERIES_PARTIAL_FILE))?;
        let header = format!("{TIMESERIES_HEADER}\n");
        file.write_all(header.as_bytes())?;
        Ok(Self::continuing(
            dir,
            save_cycles,
            file,
            header.len() as u64,
            0,
        ))
    }

    /// The writer of an open file holding `written_bytes` of whole lines, `written_rows` of
    /// them data rows.
    fn continuing(
        dir: &Path,
        save_cycles: SaveCycles,
        file: File,
        written_bytes: u64,
        written_rows: u64,
    ) -> Self {
        TimeseriesCsv {
            dir: dir.to_path_buf(),
            save_cycles,
            file,
            buffer: String::with_capacity(WRITE_THRESHOLD_BYTES + 256),
            buffered_rows: 0,
            written_bytes,
            written_rows,
            counter_potential_v: 0.0,
        }
    }

    /// With the counter electrode's open-circuit potential vs Li/Li+ `counter_potential_v`
    /// \[V\] (`CellParameters::negative.ocp_v`; 0, a Li-metal counter electrode, unless set):
    /// `voltage_vs_li_V` is the cell voltage plus it.
    pub fn with_counter_potential(mut self, counter_potential_v: f64) -> Self {
        self.counter_potential_v = counter_potential_v;
        self
    }

    /// Takes up the time series of an interrupted run in `dir` after `cycles_done` cycles
    /// (see [`crate::protocol::Checkpoint`]): the rows of later cycles are dropped and new
    /// rows are appended. The file is `timeseries.csv.partial` if the run was killed, or
    /// `timeseries.csv` if it failed and was closed; either way it continues as the partial
    /// file until the run ends.
    ///
    /// Returns the rows kept too, read back exactly (the numbers are written in their shortest
    /// round-trip form), so that the run's figures show the whole run.
    pub fn resume(
        dir: &Path,
        save_cycles: SaveCycles,
        cycles_done: usize,
    ) -> io::Result<(Self, Vec<TimeseriesRecord>)> {
        let partial = dir.join(TIMESERIES_PARTIAL_FILE);
        let closed = dir.join(TIMESERIES_FILE);
        let source = if partial.exists() { &partial } else { &closed };
        let mut records = Vec::new();
        let (kept, rows) = super::resume::rows_up_to_cycle(source, 1, cycles_done, |row| {
            records.push(TimeseriesRecord {
                time_s: row.number(0)?,
                cycle: row.count(1)?,
                step: row.count(2)?,
                current_a: row.number(3)?,
                voltage_v: row.number(4)?,
                discharge_capacity_ah: row.number(5)?,
            });
            Ok(())
        })?;
        let tmp = dir.join(format!("{TIMESERIES_PARTIAL_FILE}.resume"));
        std::fs::write(&tmp, &kept)?;
        std::fs::rename(&tmp, &partial)?;
        remove_closed_files(dir)?;
        let file = std::fs::OpenOptions::new().append(true).open(&partial)?;
        Ok((
            Self::continuing(dir, save_cycles, file, kept.len() as u64, rows),
            records,
        ))
    }

    /// The folder written to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The cycles saved.
    pub fn save_cycles(&self) -> &SaveCycles {
        &self.save_cycles
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
pub(super) fn push_number(buffer: &mut String, v: f64) {
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
    fn wants_cycle(&self, cycle: usize) -> bool {
        self.save_cycles.contains(cycle)
    }

    /// Records `row`, unless its cycle is not saved (the driver normally does not produce
    /// such rows, see [`TimeseriesSink::wants_cycle`]).
    fn record(&mut self, row: &TimeseriesRecord) -> io::Result<()> {
        use std::fmt::Write as _;
        if !self.save_cycles.contains(row.cycle) {
            return Ok(());
        }
        // Writing into a String cannot fail.
        push_number(&mut self.buffer, row.time_s);
        let _ = write!(self.buffer, ",{},{},", row.cycle, row.step);
        push_number(&mut self.buffer, row.current_a);
        self.buffer.push(',');
        push_number(&mut self.buffer, row.voltage_v);
        self.buffer.push(',');
        push_number(&mut self.buffer, row.discharge_capacity_ah);
        self.buffer.push(',');
        push_number(&mut self.buffer, row.voltage_v + self.counter_potential_v);
        self.buffer.push('\n');
        self.buffered_rows += 1;
        if self.buffer.len() >= WRITE_THRESHOLD_BYTES {
            self.write_buffer()?;
        }
        Ok(())
    }

    fn step_finished(&mut self, _cycle: usize, _step: usize) -> io::Result<()> {
        self.write_buffer()?;
        self.file.flush()
    }

    fn cycle_finished(&mut self, _summary: &CycleSummary) -> io::Result<()> {
        self.write_buffer()?;
        self.file.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(t: f64, step: usize) -> TimeseriesRecord {
        row_in(1, t, step)
    }

    fn row_in(cycle: usize, t: f64, step: usize) -> TimeseriesRecord {
        TimeseriesRecord {
            time_s: t,
            cycle,
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
        csv.step_finished(1, 1).unwrap();
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
        assert_eq!(fields.len(), 7);
        assert_eq!(fields[0], expected.time_s);
        assert_eq!(fields[1], 1.0);
        assert_eq!(fields[2], 1.0);
        assert_eq!(fields[3], expected.current_a);
        assert_eq!(fields[4], expected.voltage_v);
        assert_eq!(fields[5], expected.discharge_capacity_ah);
        // Without a counter potential (Li metal) the two voltages are one.
        assert_eq!(fields[6], expected.voltage_v);
    }

    #[test]
    fn voltage_vs_lithium_adds_the_counter_electrode() {
        let dir = tempfile::tempdir().unwrap();
        let mut csv = TimeseriesCsv::create(dir.path())
            .unwrap()
            .with_counter_potential(0.62);
        csv.record(&row(0.0, 1)).unwrap();
        let path = csv.finish().unwrap();
        let text = std::fs::read_to_string(path).unwrap();
        let fields: Vec<f64> = text
            .lines()
            .nth(1)
            .unwrap()
            .split(',')
            .map(|f| f.parse().unwrap())
            .collect();
        assert!((fields[6] - (row(0.0, 1).voltage_v + 0.62)).abs() < 1e-15);
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
        csv.step_finished(1, 1).unwrap();
        let text = std::fs::read_to_string(dir.path().join(TIMESERIES_PARTIAL_FILE)).unwrap();
        assert_eq!(text.lines().count(), 3);
    }

    #[test]
    fn abandon_keeps_rows_and_records_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut csv = TimeseriesCsv::create(dir.path()).unwrap();
        csv.record(&row(0.0, 1)).unwrap();
        csv.step_finished(1, 1).unwrap();
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

    #[test]
    fn save_cycles_selects_cycles() {
        assert!(SaveCycles::All.contains(1) && SaveCycles::All.contains(10_000));
        let list = SaveCycles::List(vec![2, 5]);
        assert!(!list.contains(1) && list.contains(2) && list.contains(5) && !list.contains(6));
        let every = SaveCycles::Every(10);
        let saved: Vec<usize> = (1..=31).filter(|&c| every.contains(c)).collect();
        assert_eq!(saved, vec![1, 11, 21, 31]);
        assert!((1..=5).all(|c| SaveCycles::Every(1).contains(c)));
        assert!(SaveCycles::Every(0).contains(1) && !SaveCycles::Every(0).contains(2));
        assert!(!every.contains(0));
    }

    #[test]
    fn save_cycles_reads_and_writes_toml() {
        #[derive(Debug, Deserialize, Serialize, PartialEq)]
        struct Doc {
            save_cycles: SaveCycles,
        }
        for (text, expected) in [
            (r#"save_cycles = "all""#, SaveCycles::All),
            (
                "save_cycles = [1, 10, 100]",
                SaveCycles::List(vec![1, 10, 100]),
            ),
            ("save_cycles = { every = 10 }", SaveCycles::Every(10)),
        ] {
            let doc: Doc = toml::from_str(text).unwrap();
            assert_eq!(doc.save_cycles, expected, "{text}");
            let back: Doc = toml::from_str(&toml::to_string(&doc).unwrap()).unwrap();
            assert_eq!(back, doc);
        }
        for bad in [
            r#"save_cycles = "some""#,
            "save_cycles = [0, 3]",
            "save_cycles = { every = 0 }",
            "save_cycles = { each = 3 }",
            "save_cycles = 3",
        ] {
            let err = toml::from_str::<Doc>(bad).unwrap_err().to_string();
            assert!(
                err.contains("save_cycles") || err.contains("every"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn only_saved_cycles_are_written() {
        let dir = tempfile::tempdir().unwrap();
        let mut csv = TimeseriesCsv::create_saving(dir.path(), SaveCycles::Every(2)).unwrap();
        assert!(csv.wants_cycle(1) && !csv.wants_cycle(2) && csv.wants_cycle(3));
        for cycle in 1..=4 {
            // A driver that ignores wants_cycle still gets only the saved cycles written.
            csv.record(&row_in(cycle, cycle as f64, 1)).unwrap();
            csv.step_finished(cycle, 1).unwrap();
            csv.cycle_finished(&CycleSummary::new(cycle, 1.0)).unwrap();
        }
        assert_eq!(csv.rows(), 2);
        let text = std::fs::read_to_string(csv.finish().unwrap()).unwrap();
        let cycles: Vec<&str> = text
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(1).unwrap())
            .collect();
        assert_eq!(cycles, vec!["1", "3"]);
    }
}
