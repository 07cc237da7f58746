//! Progress of a run: an indicatif bar on a terminal, a plain line now and then in a log, and
//! the tally of every cycle for the summary printed at the end.
//!
//! A [`RunObserver`] hears of each cycle as it ends; [`Observing`] makes it a sink, fed after the
//! sink of a run (its files) through a [`crate::protocol::Tee`] so that the observer is told
//! after the sink has written the cycle. Two observers are provided:
//!
//! - [`CycleTally`]: the figures over the whole run that the run's own summary does not keep
//!   (mean coulombic efficiency, the reference of the capacity retention), in constant memory;
//! - [`Progress`]: a tally plus, as [`ProgressMode`] says, an indicatif bar
//!   `cycle 123/1000 [====>     ]  12 %  ETA 0:19  last: 205.5 mAh/g, CE 99.8 %` when standard
//!   error is a terminal (erased at the end), or when it is a log (a file, a pipe, a batch job's
//!   output) a plain line ([`plain_line`]) at most every [`PLAIN_LINE_INTERVAL`] (30 s; the
//!   environment variable [`PROGRESS_EVERY_ENV`] sets another interval, 0 none), the first one
//!   interval after the start, so that a short run writes none; nothing when asked to be
//!   quiet. The binary's other commands (sweep, validate, fit) show their progress the same
//!   way, with the same plain line.

use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use super::run_folder::LockHolder;

use crate::protocol::{CycleSummary, Retention, TimeseriesRecord, TimeseriesSink};

/// Something told of each cycle of a run as it ends.
pub trait RunObserver {
    /// Cycle `summary.cycle` has ended, and its figures are on disk.
    fn cycle_finished(&mut self, summary: &CycleSummary);

    /// The run took over the lock of its folder `dir` from `holder`, a process no longer
    /// alive (a run that was killed). Nothing by default.
    fn lock_taken_over(&mut self, dir: &Path, holder: &LockHolder) {
        let _ = (dir, holder);
    }

    /// Whether the run goes on after the cycle it was just told of; asked once per cycle,
    /// after [`RunObserver::cycle_finished`]. `true` by default. A caller that stops runs (the
    /// Python package on Ctrl-C) answers `false`: the run then stops as if its sink had failed
    /// ([`STOPPED_BY_OBSERVER`]), keeping every cycle finished.
    fn keep_going(&mut self) -> bool {
        true
    }
}

/// The message of the error a run stops with when its observer asks it to
/// ([`RunObserver::keep_going`]).
pub const STOPPED_BY_OBSERVER: &str = "stopped at the caller's request";

/// No observer.
impl RunObserver for () {
    fn cycle_finished(&mut self, _summary: &CycleSummary) {}
}

/// An observer as a sink: it wants no rows and tells the observer of each cycle's end. Fed
/// after the run's own sink through a [`crate::protocol::Tee`], the observer hears of a cycle
/// once that sink has taken it.
pub struct Observing<'a>(pub &'a mut dyn RunObserver);

impl TimeseriesSink for Observing<'_> {
    fn wants_cycle(&self, _cycle: usize) -> bool {
        false
    }

    fn record(&mut self, _row: &TimeseriesRecord) -> io::Result<()> {
        Ok(())
    }

    fn cycle_finished(&mut self, summary: &CycleSummary) -> io::Result<()> {
        self.0.cycle_finished(summary);
        if self.0.keep_going() {
            Ok(())
        } else {
            Err(io::Error::new(
                io::ErrorKind::Interrupted,
                STOPPED_BY_OBSERVER,
            ))
        }
    }
}

/// Figures over all the cycles of a run, kept in constant memory: the retention and the
/// coulombic-efficiency statistics count from the run's reference cycle
/// ([`crate::protocol::retention`]), so formation cycles are in neither.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CycleTally {
    cycles: usize,
    /// The reference of the capacity retention, as in `summary.csv`.
    retention: Retention,
    /// The last cycle.
    last: Option<CycleSummary>,
    /// Sum and count of the coulombic efficiencies of the cycles with a charge, from the
    /// reference cycle on.
    efficiency_sum: f64,
    efficiency_cycles: usize,
}

impl CycleTally {
    /// An empty tally whose figures count from `reference_cycle` (from 1).
    pub fn new(reference_cycle: usize) -> Self {
        CycleTally {
            cycles: 0,
            retention: Retention::from_cycle(reference_cycle),
            last: None,
            efficiency_sum: 0.0,
            efficiency_cycles: 0,
        }
    }

    /// Adds one cycle.
    pub fn add(&mut self, summary: &CycleSummary) {
        self.cycles += 1;
        self.retention.observe(summary);
        let ce = summary.coulombic_efficiency();
        if ce.is_finite() && self.retention.counts(summary) {
            self.efficiency_sum += ce;
            self.efficiency_cycles += 1;
        }
        self.last = Some(*summary);
    }

    /// Cycles added.
    pub fn cycles(&self) -> usize {
        self.cycles
    }

    /// The last cycle added.
    pub fn last(&self) -> Option<&CycleSummary> {
        self.last.as_ref()
    }

    /// The reference cycle asked for (the first cycle the statistics count).
    pub fn reference_cycle(&self) -> usize {
        self.retention.reference_cycle()
    }

    /// The cycle whose discharge capacity is 100 % of the retention, once one delivered it.
    pub fn retention_reference(&self) -> Option<usize> {
        self.retention.reference()
    }

    /// Mean coulombic efficiency of the cycles with a charge from the reference cycle on \[-\]
    /// (NaN if none had one).
    pub fn mean_coulombic_efficiency(&self) -> f64 {
        if self.efficiency_cycles > 0 {
            self.efficiency_sum / self.efficiency_cycles as f64
        } else {
            f64::NAN
        }
    }

    /// Number of cycles over which [`Self::mean_coulombic_efficiency`] is taken.
    pub fn efficiency_cycles(&self) -> usize {
        self.efficiency_cycles
    }

    /// Capacity retention of `summary` \[-\], the definition of `summary.csv`
    /// ([`Retention::of`]).
    pub fn capacity_retention(&self, summary: &CycleSummary) -> f64 {
        self.retention.of(summary)
    }
}

impl RunObserver for CycleTally {
    fn cycle_finished(&mut self, summary: &CycleSummary) {
        self.add(summary);
    }
}

/// Time between two plain progress lines when standard error is not a terminal (a log), unless
/// the environment variable [`PROGRESS_EVERY_ENV`] says otherwise.
pub const PLAIN_LINE_INTERVAL: Duration = Duration::from_secs(30);

/// The environment variable that sets the seconds between two plain progress lines in a log
/// (`0`: none).
pub const PROGRESS_EVERY_ENV: &str = "ASSLB_PROGRESS_EVERY_S";

/// How progress shows on standard error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressMode {
    /// An indicatif bar redrawn in place: standard error is a terminal.
    Bar,
    /// A plain line at most once per interval: standard error is a log (a file, a pipe).
    Lines(Duration),
    /// Nothing (`--quiet`, or plain lines turned off).
    Off,
}

impl ProgressMode {
    /// The mode for standard error: `Off` when `quiet`, a bar on a terminal, else plain lines
    /// every [`PLAIN_LINE_INTERVAL`] or every [`PROGRESS_EVERY_ENV`] seconds (`Off` for 0).
    pub fn for_stderr(quiet: bool) -> Self {
        if quiet {
            ProgressMode::Off
        } else if io::stderr().is_terminal() {
            ProgressMode::Bar
        } else {
            match std::env::var(PROGRESS_EVERY_ENV)
                .ok()
                .and_then(|v| v.trim().parse::<f64>().ok())
            {
                Some(s) if s.is_finite() && s <= 0.0 => ProgressMode::Off,
                Some(s) if s.is_finite() => ProgressMode::Lines(Duration::from_secs_f64(s)),
                _ => ProgressMode::Lines(PLAIN_LINE_INTERVAL),
            }
        }
    }
}

/// Plain progress lines for a log, one at most every interval; the first an interval after
/// the start, so that a short command writes none.
pub struct PlainLines {
    out: Box<dyn Write + Send>,
    every: Duration,
    started: Instant,
    last: Instant,
}

impl PlainLines {
    /// Lines on `out`, at most one every `every`.
    pub fn new(out: Box<dyn Write + Send>, every: Duration) -> Self {
        let now = Instant::now();
        PlainLines {
            out,
            every,
            started: now,
            last: now,
        }
    }

    /// Lines on standard error, at most one every `every`.
    pub fn to_stderr(every: Duration) -> Self {
        PlainLines::new(Box::new(io::stderr()), every)
    }

    /// Whether the interval has passed since the last line (or the start).
    pub fn due(&self) -> bool {
        self.last.elapsed() >= self.every
    }

    /// The time since the start.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Writes `line` and starts the next interval.
    pub fn write(&mut self, line: &str) {
        self.last = Instant::now();
        let _ = writeln!(self.out, "{line}");
        let _ = self.out.flush();
    }
}

/// The plain progress line of a log: `cycles 123/1000 (12.3 %)  0:02 elapsed  ETA 0:19`, or
/// without a known total `trials 12  3:05 elapsed`, then `note` when it is not empty. The rate
/// of the time left counts the items after `since` (those done before this process started,
/// as in a resumed run), over `elapsed`.
pub fn plain_line(
    what: &str,
    done: u64,
    total: Option<u64>,
    since: u64,
    elapsed: Duration,
    note: &str,
) -> String {
    let elapsed_s = elapsed.as_secs_f64();
    let mut line = match total {
        Some(total) => {
            let total = total.max(done);
            let percent = if total > 0 {
                100.0 * done as f64 / total as f64
            } else {
                100.0
            };
            let rate = done.saturating_sub(since) as f64 / elapsed_s;
            let eta = if rate > 0.0 && rate.is_finite() {
                format_duration((total - done) as f64 / rate)
            } else {
                "--:--".to_string()
            };
            format!(
                "{what} {done}/{total} ({percent:.1} %)  {} elapsed  ETA {eta}",
                format_duration(elapsed_s)
            )
        }
        None => format!("{what} {done}  {} elapsed", format_duration(elapsed_s)),
    };
    if !note.is_empty() {
        line.push_str("  ");
        line.push_str(note);
    }
    line
}

/// The progress of a run: a [`CycleTally`], and on standard error an indicatif bar over the
/// cycles (on a terminal) or a plain line every interval (in a log), as [`ProgressMode`] says.
/// Dropping it erases the bar, as [`Progress::finish`] does.
pub struct Progress {
    total: usize,
    active_mass_kg: Option<f64>,
    tally: CycleTally,
    bar: Option<ProgressBar>,
    lines: Option<PlainLines>,
    /// Cycles finished before this process took the run up (see [`Progress::continuing`]);
    /// the rate counts only the cycles after them.
    earlier: usize,
}

impl Progress {
    /// The progress of a run of `total` cycles, with capacities per gram of `active_mass_kg`
    /// when it is known, shown as [`ProgressMode::for_stderr`] says (nothing when `quiet`).
    /// Its figures (retention, mean efficiency) count from `reference_cycle`
    /// ([`CycleTally::new`]).
    pub fn new(
        total: usize,
        active_mass_kg: Option<f64>,
        reference_cycle: usize,
        quiet: bool,
    ) -> Self {
        let mut progress = Progress::silent(total, active_mass_kg);
        progress.tally = CycleTally::new(reference_cycle);
        match ProgressMode::for_stderr(quiet) {
            ProgressMode::Bar => {
                let bar = ProgressBar::new(total as u64);
                if let Ok(style) = ProgressStyle::with_template(
                    "cycle {pos}/{len} [{wide_bar}] {percent:>3} %  ETA {eta}  {msg}",
                ) {
                    bar.set_style(style.progress_chars("=> "));
                }
                progress.bar = Some(bar);
            }
            ProgressMode::Lines(every) => progress.lines = Some(PlainLines::to_stderr(every)),
            ProgressMode::Off => {}
        }
        progress
    }

    /// A progress that shows nothing, only keeps the tally (its figures count from cycle 1).
    pub fn silent(total: usize, active_mass_kg: Option<f64>) -> Self {
        Progress {
            total,
            active_mass_kg,
            tally: CycleTally::new(1),
            bar: None,
            lines: None,
            earlier: 0,
        }
    }

    /// A progress that writes its plain line to `out` at most once per `every`.
    pub fn logging_to(
        total: usize,
        active_mass_kg: Option<f64>,
        out: Box<dyn Write + Send>,
        every: Duration,
    ) -> Self {
        let mut progress = Progress::silent(total, active_mass_kg);
        progress.lines = Some(PlainLines::new(out, every));
        progress
    }

    /// For a run taken up from a checkpoint: the cycles `earlier` finished before count in the
    /// position and the run's figures (retention, mean efficiency), not in the rate.
    pub fn continuing(mut self, earlier: &[CycleSummary]) -> Self {
        for c in earlier {
            self.tally.add(c);
        }
        self.earlier = earlier.len();
        if let Some(bar) = &self.bar {
            bar.set_position(self.tally.cycles() as u64);
            bar.reset_eta();
        }
        self
    }

    /// Whether it shows anything (a bar or plain lines).
    pub fn is_drawing(&self) -> bool {
        self.bar.is_some() || self.lines.is_some()
    }

    /// The figures of the cycles finished so far.
    pub fn tally(&self) -> &CycleTally {
        &self.tally
    }

    /// The plain line after `elapsed` of run time: position, share, time left
    /// ([`plain_line`]), then the rate and the last cycle ([`Progress::note`]).
    pub fn line(&self, elapsed: Duration) -> String {
        let seconds = elapsed.as_secs_f64();
        let done = self.tally.cycles();
        let rate = done.saturating_sub(self.earlier) as f64 / seconds;
        let note = format!("{}  {}", format_rate(rate), self.note());
        plain_line(
            "cycles",
            done as u64,
            Some(self.total as u64),
            self.earlier as u64,
            elapsed,
            note.trim_end(),
        )
    }

    /// The last cycle's discharge capacity (per gram when the active mass is known) and
    /// coulombic efficiency: `last: 205.5 mAh/g, CE 99.8 %`; empty before the first cycle.
    pub fn note(&self) -> String {
        let Some(last) = self.tally.last() else {
            return String::new();
        };
        let capacity = match self.active_mass_kg {
            Some(kg) => format!("{:.1} mAh/g", last.discharge_capacity_ah / kg),
            None => format!("{:.4} mAh", last.discharge_capacity_ah * 1e3),
        };
        let ce = last.coulombic_efficiency();
        if ce.is_finite() {
            format!("last: {capacity}, CE {:.1} %", ce * 100.0)
        } else {
            format!("last: {capacity}")
        }
    }

    /// Erases the bar, if one is drawn.
    pub fn finish(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl RunObserver for Progress {
    /// A note on standard error, `--quiet` or not: the folder's earlier holder was killed.
    fn lock_taken_over(&mut self, dir: &Path, holder: &LockHolder) {
        let note = format!(
            "note: {} was locked by {holder}, which is no longer running; lock taken over",
            dir.display()
        );
        match &self.bar {
            Some(bar) => bar.suspend(|| eprintln!("{note}")),
            None => eprintln!("{note}"),
        }
    }

    fn cycle_finished(&mut self, summary: &CycleSummary) {
        self.tally.add(summary);
        if let Some(bar) = &self.bar {
            bar.set_position(self.tally.cycles() as u64);
            bar.set_message(self.note());
        }
        if let Some(elapsed) = self
            .lines
            .as_ref()
            .filter(|l| l.due())
            .map(PlainLines::elapsed)
        {
            let line = self.line(elapsed);
            if let Some(lines) = self.lines.as_mut() {
                lines.write(&line);
            }
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

/// A duration in seconds as `m:ss`, or `h:mm:ss` from an hour on.
pub fn format_duration(seconds: f64) -> String {
    if !seconds.is_finite() || seconds < 0.0 {
        return "--:--".to_string();
    }
    let s = seconds.round() as u64;
    let (h, m, s) = (s / 3600, s / 60 % 60, s % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// A rate in cycles per second, in the unit that reads best (`s/cycle` below one per second).
pub fn format_rate(cycles_per_s: f64) -> String {
    if !cycles_per_s.is_finite() || cycles_per_s <= 0.0 {
        "-- cycles/s".to_string()
    } else if cycles_per_s >= 10.0 {
        format!("{cycles_per_s:.0} cycles/s")
    } else if cycles_per_s >= 1.0 {
        format!("{cycles_per_s:.1} cycles/s")
    } else {
        format!("{:.1} s/cycle", 1.0 / cycles_per_s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A writer whose bytes the test can read afterwards.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Shared {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    /// Stops the run once it has heard of `stop_after` cycles.
    struct StopAfter {
        heard: usize,
        stop_after: usize,
    }

    impl RunObserver for StopAfter {
        fn cycle_finished(&mut self, _summary: &CycleSummary) {
            self.heard += 1;
        }

        fn keep_going(&mut self) -> bool {
            self.heard < self.stop_after
        }
    }

    #[test]
    fn an_observer_that_stops_ends_the_run_with_an_error_after_its_cycle() {
        let mut quiet = ();
        assert!(Observing(&mut quiet)
            .cycle_finished(&cycle(1, 200.0, 210.0))
            .is_ok());
        let mut stop = StopAfter {
            heard: 0,
            stop_after: 2,
        };
        let mut sink = Observing(&mut stop);
        assert!(sink.cycle_finished(&cycle(1, 200.0, 210.0)).is_ok());
        let err = sink
            .cycle_finished(&cycle(2, 200.0, 210.0))
            .expect_err("the second cycle stops the run");
        assert_eq!(err.kind(), io::ErrorKind::Interrupted);
        assert_eq!(err.to_string(), STOPPED_BY_OBSERVER);
        assert_eq!(stop.heard, 2);
    }

    fn cycle(n: usize, discharge_mah: f64, charge_mah: f64) -> CycleSummary {
        let mut c = CycleSummary::new(n, 1.0);
        c.add_step(-charge_mah * 1e-3, -charge_mah * 3.8e-3);
        c.add_step(discharge_mah * 1e-3, discharge_mah * 3.5e-3);
        c
    }

    #[test]
    fn tally_keeps_the_mean_efficiency_and_the_retention_reference() {
        let mut tally = CycleTally::new(1);
        let mut only_charge = CycleSummary::new(1, 1.0);
        only_charge.add_step(-1e-3, -3.8e-3);
        tally.add(&only_charge);
        assert!(tally.retention_reference().is_none());
        assert!(tally.capacity_retention(&only_charge).is_nan());
        tally.add(&cycle(2, 0.8, 1.0));
        tally.add(&cycle(3, 0.6, 0.6));
        let mut only_discharge = CycleSummary::new(4, 1.0);
        only_discharge.add_step(0.4e-3, 1.4e-3);
        tally.add(&only_discharge);
        assert_eq!(tally.cycles(), 4);
        assert_eq!(tally.retention_reference(), Some(2));
        assert_eq!(tally.last().map(|c| c.cycle), Some(4));
        // Cycle 1 (charge only, CE 0) and 2, 3 have a charge; cycle 4 none.
        assert_eq!(tally.efficiency_cycles(), 3);
        assert!((tally.mean_coulombic_efficiency() - (0.0 + 0.8 + 1.0) / 3.0).abs() < 1e-12);
        assert!((tally.capacity_retention(&only_discharge) - 0.5).abs() < 1e-12);
        assert!(CycleTally::new(1).mean_coulombic_efficiency().is_nan());
    }

    #[test]
    fn formation_cycles_count_in_neither_retention_nor_efficiency() {
        // Two formation cycles with a low efficiency, then the reference block from cycle 3.
        let mut tally = CycleTally::new(3);
        let cycles = [
            cycle(1, 0.5, 1.0),
            cycle(2, 0.9, 1.0),
            cycle(3, 0.8, 0.8),
            cycle(4, 0.6, 0.6),
        ];
        for c in &cycles {
            tally.add(c);
        }
        assert_eq!(tally.efficiency_cycles(), 2);
        assert!((tally.mean_coulombic_efficiency() - 1.0).abs() < 1e-12);
        assert_eq!(tally.retention_reference(), Some(3));
        assert!(tally.capacity_retention(&cycles[1]).is_nan());
        assert!((tally.capacity_retention(&cycles[3]) - 0.75).abs() < 1e-12);
    }

    #[test]
    fn durations_and_rates_read_well() {
        assert_eq!(format_duration(0.0), "0:00");
        assert_eq!(format_duration(19.4), "0:19");
        assert_eq!(format_duration(61.0), "1:01");
        assert_eq!(format_duration(3600.0 + 125.0), "1:02:05");
        assert_eq!(format_duration(f64::INFINITY), "--:--");
        assert_eq!(format_rate(45.2), "45 cycles/s");
        assert_eq!(format_rate(4.52), "4.5 cycles/s");
        assert_eq!(format_rate(0.25), "4.0 s/cycle");
        assert_eq!(format_rate(0.0), "-- cycles/s");
    }

    #[test]
    fn the_plain_line_shows_position_share_time_and_time_left() {
        let minute = Duration::from_secs(60);
        assert_eq!(
            plain_line("cases", 3, Some(12), 0, minute, ""),
            "cases 3/12 (25.0 %)  1:00 elapsed  ETA 3:00"
        );
        // Items done before this process count in the position, not in the rate.
        assert_eq!(
            plain_line("cycles", 600, Some(1000), 500, minute, "note"),
            "cycles 600/1000 (60.0 %)  1:00 elapsed  ETA 4:00  note"
        );
        assert_eq!(
            plain_line("cycles", 0, Some(10), 0, Duration::ZERO, ""),
            "cycles 0/10 (0.0 %)  0:00 elapsed  ETA --:--"
        );
        assert_eq!(
            plain_line("trials", 12, None, 0, 3 * minute, "trial 12 done"),
            "trials 12  3:00 elapsed  trial 12 done"
        );
    }

    #[test]
    fn the_run_line_adds_the_rate_and_the_last_cycle() {
        let mut p = Progress::silent(1000, Some(2e-3 / 205.5));
        assert!(!p.is_drawing());
        assert_eq!(p.note(), "");
        for n in 1..=123 {
            p.cycle_finished(&cycle(n, 2.0, 2.004));
        }
        let elapsed = Duration::from_secs_f64(123.0 / 45.0);
        assert_eq!(
            p.line(elapsed),
            "cycles 123/1000 (12.3 %)  0:03 elapsed  ETA 0:19  45 cycles/s  last: 205.5 mAh/g, CE 99.8 %"
        );
        let mut p = Progress::silent(2, None);
        p.cycle_finished(&cycle(1, 0.7202, 0.0));
        assert_eq!(p.note(), "last: 0.7202 mAh");
    }

    #[test]
    fn plain_lines_are_lines_and_at_most_one_per_interval() {
        let out = Shared::default();
        let mut p = Progress::logging_to(10, None, Box::new(out.clone()), Duration::ZERO);
        assert!(p.is_drawing());
        for n in 1..=3 {
            p.cycle_finished(&cycle(n, 0.7, 0.7));
        }
        p.finish();
        drop(p);
        let text = out.text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text:?}");
        assert!(lines[2].starts_with("cycles 3/10 (30.0 %)"), "{text:?}");
        assert!(!text.contains('\r') && !text.contains('\u{1b}'), "{text:?}");

        let out = Shared::default();
        let mut p = Progress::logging_to(
            100_000,
            None,
            Box::new(out.clone()),
            Duration::from_secs(3600),
        );
        for n in 1..=100_000 {
            p.cycle_finished(&cycle(n, 0.7, 0.7));
        }
        assert_eq!(p.tally().cycles(), 100_000);
        drop(p);
        assert_eq!(out.text(), "");
    }

    #[test]
    fn quiet_shows_nothing() {
        let p = Progress::new(10, None, 1, true);
        assert!(!p.is_drawing());
        assert_eq!(ProgressMode::for_stderr(true), ProgressMode::Off);
    }

    #[test]
    fn an_observer_fed_after_a_sink_hears_of_its_cycles() {
        let mut rows: Vec<TimeseriesRecord> = Vec::new();
        let mut tally = CycleTally::new(1);
        {
            let mut observing = Observing(&mut tally);
            let mut sink = crate::protocol::Tee::new(&mut rows, &mut observing);
            assert!(sink.wants_cycle(7));
            sink.record(&TimeseriesRecord {
                time_s: 0.0,
                cycle: 1,
                step: 1,
                current_a: 1e-3,
                voltage_v: 3.5,
                discharge_capacity_ah: 0.0,
            })
            .unwrap();
            sink.step_finished(1, 1).unwrap();
            sink.cycle_finished(&cycle(1, 0.7, 0.7)).unwrap();
        }
        assert_eq!(rows.len(), 1);
        assert_eq!(tally.cycles(), 1);
        let mut none = ();
        none.cycle_finished(&cycle(1, 0.7, 0.7));
    }
}
