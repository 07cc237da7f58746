//! Progress of a run: a one-line display on a terminal, and the tally of every cycle for the
//! summary printed at the end.
//!
//! A [`RunObserver`] hears of each cycle as it ends; [`Observing`] makes it a sink, fed after the
//! sink of a run (its files) through a [`crate::protocol::Tee`] so that the observer is told
//! after the sink has written the cycle. Two observers are provided:
//!
//! - [`CycleTally`]: the figures over the whole run that the run's own summary does not keep
//!   (mean coulombic efficiency, the reference of the capacity retention), in constant memory;
//! - [`Progress`]: a tally plus, when drawing, the line
//!   `cycle 123/1000 [====>     ] 12.3 %  45 cycles/s  ETA 0:19  last: 205.5 mAh/g, CE 99.8 %`
//!   redrawn in place (`\r`) at most ten times a second and erased at the end. It draws only on
//!   a terminal: [`Progress::new`] stays silent when standard error is not one (a pipe, a file,
//!   a test harness) or when asked to be quiet. It uses no thread: it redraws from the callback,
//!   so a cycle costs it one clock reading.

use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::time::{Duration, Instant};

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

/// Shortest time between two redraws of the progress line.
pub const REDRAW_INTERVAL: Duration = Duration::from_millis(100);

/// Characters of the bar between its brackets.
const BAR_WIDTH: usize = 20;

/// The progress of a run: a [`CycleTally`], and on a terminal a progress line on standard
/// error. Dropping it erases the line, as [`Progress::finish`] does.
pub struct Progress {
    total: usize,
    active_mass_kg: Option<f64>,
    tally: CycleTally,
    display: Option<Display>,
    /// Cycles finished before this process took the run up (see [`Progress::continuing`]);
    /// the rate counts only the cycles after them.
    earlier: usize,
}

/// Where and how the line is drawn.
struct Display {
    out: Box<dyn Write>,
    started: Instant,
    last_draw: Instant,
    interval: Duration,
    /// Columns of the terminal; `None`: read them at each redraw (the terminal may be resized).
    columns: Option<usize>,
    /// Characters of the line on screen now (0: nothing to erase).
    drawn: usize,
}

impl Progress {
    /// The progress of a run of `total` cycles, with capacities per gram of `active_mass_kg`
    /// when it is known. It draws on standard error if that is a terminal and `quiet` is false;
    /// otherwise it only keeps the tally. The line fits the terminal's width (80 columns when
    /// the width cannot be read). Its figures (retention, mean efficiency) count from
    /// `reference_cycle` ([`CycleTally::new`]).
    pub fn new(
        total: usize,
        active_mass_kg: Option<f64>,
        reference_cycle: usize,
        quiet: bool,
    ) -> Self {
        let mut progress = Progress::drawn_unless(total, active_mass_kg, quiet);
        progress.tally = CycleTally::new(reference_cycle);
        progress
    }

    fn drawn_unless(total: usize, active_mass_kg: Option<f64>, quiet: bool) -> Self {
        if quiet || !io::stderr().is_terminal() {
            return Progress::silent(total, active_mass_kg);
        }
        let mut progress = Progress::drawing_to(
            total,
            active_mass_kg,
            Box::new(io::stderr()),
            REDRAW_INTERVAL,
            80,
        );
        if let Some(d) = progress.display.as_mut() {
            d.columns = None;
        }
        progress
    }

    /// A progress that never draws, only keeps the tally (its figures count from cycle 1).
    pub fn silent(total: usize, active_mass_kg: Option<f64>) -> Self {
        Progress {
            total,
            active_mass_kg,
            tally: CycleTally::new(1),
            display: None,
            earlier: 0,
        }
    }

    /// A progress drawn on `out`, at most once per `interval` (the first time `interval` after
    /// this call), in lines of at most `columns - 1` characters.
    pub fn drawing_to(
        total: usize,
        active_mass_kg: Option<f64>,
        out: Box<dyn Write>,
        interval: Duration,
        columns: usize,
    ) -> Self {
        let now = Instant::now();
        Progress {
            total,
            active_mass_kg,
            tally: CycleTally::new(1),
            display: Some(Display {
                out,
                started: now,
                last_draw: now,
                interval,
                columns: Some(columns),
                drawn: 0,
            }),
            earlier: 0,
        }
    }

    /// For a run taken up from a checkpoint: the cycles `earlier` finished before count in the
    /// position and the run's figures (retention, mean efficiency), not in the rate.
    pub fn continuing(mut self, earlier: &[CycleSummary]) -> Self {
        for c in earlier {
            self.tally.add(c);
        }
        self.earlier = earlier.len();
        self
    }

    /// Whether it draws a progress line.
    pub fn is_drawing(&self) -> bool {
        self.display.is_some()
    }

    /// The figures of the cycles finished so far.
    pub fn tally(&self) -> &CycleTally {
        &self.tally
    }

    /// The progress line after `elapsed` of run time, in at most `max_chars` characters: the
    /// bar shrinks, then the last cycle's efficiency and capacity go, before the line is cut.
    pub fn line(&self, elapsed: Duration, max_chars: usize) -> String {
        for (bar, detail) in [(BAR_WIDTH, 2), (10, 2), (10, 1), (10, 0)] {
            let line = self.compose(elapsed, bar, detail);
            if line.chars().count() <= max_chars {
                return line;
            }
        }
        self.compose(elapsed, 10, 0)
            .chars()
            .take(max_chars)
            .collect()
    }

    /// The line with a bar of `bar_width` characters and of the last cycle, its discharge
    /// capacity (`detail` 1) and its efficiency too (`detail` 2).
    fn compose(&self, elapsed: Duration, bar_width: usize, detail: u8) -> String {
        let done = self.tally.cycles();
        let total = self.total.max(done).max(1);
        let fraction = done as f64 / total as f64;
        let filled = ((fraction * bar_width as f64) as usize).min(bar_width);
        let mut bar = "=".repeat(filled);
        if filled < bar_width {
            bar.push('>');
            bar.push_str(&" ".repeat(bar_width - filled - 1));
        }
        let seconds = elapsed.as_secs_f64();
        let rate = if seconds > 0.0 {
            done.saturating_sub(self.earlier) as f64 / seconds
        } else {
            0.0
        };
        let eta = if done > 0 && rate > 0.0 {
            format_duration((total - done) as f64 / rate)
        } else {
            "--:--".to_string()
        };
        let mut line = format!(
            "cycle {done}/{total} [{bar}] {:5.1} %  {}  ETA {eta}",
            fraction * 100.0,
            format_rate(rate)
        );
        if let Some(last) = self.tally.last().filter(|_| detail > 0) {
            let capacity = match self.active_mass_kg {
                Some(kg) => format!("{:.1} mAh/g", last.discharge_capacity_ah / kg),
                None => format!("{:.4} mAh", last.discharge_capacity_ah * 1e3),
            };
            line.push_str(&format!("  last: {capacity}"));
            let ce = last.coulombic_efficiency();
            if ce.is_finite() && detail > 1 {
                line.push_str(&format!(", CE {:.1} %", ce * 100.0));
            }
        }
        line
    }

    /// Erases the progress line, if one is drawn. Later cycles draw it again.
    pub fn finish(&mut self) {
        if let Some(d) = self.display.as_mut() {
            if d.drawn > 0 {
                let _ = write!(d.out, "\r{}\r", " ".repeat(d.drawn));
                let _ = d.out.flush();
                d.drawn = 0;
            }
        }
    }

    fn draw(&mut self, now: Instant) {
        let Some(elapsed) = self.display.as_ref().map(|d| now - d.started) else {
            return;
        };
        let columns = self
            .display
            .as_ref()
            .and_then(|d| d.columns)
            .unwrap_or_else(|| {
                terminal_size::terminal_size_of(io::stderr())
                    .map(|(w, _)| usize::from(w.0))
                    .filter(|&c| c >= 20)
                    .unwrap_or(80)
            });
        // The last column stays free: a full row would wrap on some terminals.
        let max = columns.saturating_sub(1).max(1);
        let line = self.line(elapsed, max);
        let Some(d) = self.display.as_mut() else {
            return;
        };
        let width = line.chars().count();
        let pad = " ".repeat(d.drawn.saturating_sub(width));
        let _ = write!(d.out, "\r{line}{pad}");
        let _ = d.out.flush();
        d.drawn = width;
        d.last_draw = now;
    }
}

impl RunObserver for Progress {
    /// A note on standard error, `--quiet` or not: the folder's earlier holder was killed.
    fn lock_taken_over(&mut self, dir: &Path, holder: &LockHolder) {
        eprintln!(
            "note: {} was locked by {holder}, which is no longer running; lock taken over",
            dir.display()
        );
    }

    fn cycle_finished(&mut self, summary: &CycleSummary) {
        self.tally.add(summary);
        let due = match &self.display {
            Some(d) => {
                let now = Instant::now();
                (now - d.last_draw >= d.interval).then_some(now)
            }
            None => None,
        };
        if let Some(now) = due {
            self.draw(now);
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
    fn the_line_shows_cycle_bar_rate_time_left_and_the_last_cycle() {
        let mut p = Progress::silent(1000, Some(2e-3 / 205.5));
        assert!(!p.is_drawing());
        assert!(p.line(Duration::ZERO, 200).contains("ETA --:--"));
        for n in 1..=123 {
            p.cycle_finished(&cycle(n, 2.0, 2.004));
        }
        let elapsed = Duration::from_secs_f64(123.0 / 45.0);
        let line = p.line(elapsed, 200);
        assert_eq!(
            line,
            "cycle 123/1000 [==>                 ]  12.3 %  45 cycles/s  ETA 0:19  last: 205.5 mAh/g, CE 99.8 %"
        );
        // Narrower terminals: a shorter bar, then less of the last cycle, then a cut.
        assert_eq!(
            p.line(elapsed, 90),
            "cycle 123/1000 [=>        ]  12.3 %  45 cycles/s  ETA 0:19  last: 205.5 mAh/g, CE 99.8 %"
        );
        assert_eq!(
            p.line(elapsed, 79),
            "cycle 123/1000 [=>        ]  12.3 %  45 cycles/s  ETA 0:19  last: 205.5 mAh/g"
        );
        assert_eq!(
            p.line(elapsed, 60),
            "cycle 123/1000 [=>        ]  12.3 %  45 cycles/s  ETA 0:19"
        );
        assert_eq!(p.line(elapsed, 20), "cycle 123/1000 [=>  ");
        let mut p = Progress::silent(2, None);
        p.cycle_finished(&cycle(1, 0.7202, 0.0));
        p.cycle_finished(&cycle(2, 0.7202, 0.0));
        let line = p.line(Duration::from_secs(1), 200);
        assert!(
            line.starts_with("cycle 2/2 [====================] 100.0 %"),
            "{line}"
        );
        assert!(line.ends_with("last: 0.7202 mAh"), "{line}");
    }

    #[test]
    fn draws_in_place_within_the_width_and_erases_at_the_end() {
        let out = Shared::default();
        let mut p = Progress::drawing_to(10, None, Box::new(out.clone()), Duration::ZERO, 40);
        assert!(p.is_drawing());
        for n in 1..=3 {
            p.cycle_finished(&cycle(n, 0.7, 0.7));
        }
        let text = out.text();
        let draws: Vec<&str> = text.split('\r').filter(|s| !s.is_empty()).collect();
        assert_eq!(draws.len(), 3, "{text:?}");
        assert!(draws.iter().all(|d| d.chars().count() <= 39), "{text:?}");
        assert!(
            draws[2].starts_with("cycle 3/10 [===>      ]  30.0 %"),
            "{text:?}"
        );
        p.finish();
        let text = out.text();
        assert!(
            text.ends_with(&format!("\r{}\r", " ".repeat(39))),
            "{text:?}"
        );
        // Nothing more to erase.
        drop(p);
        assert_eq!(out.text(), text);
    }

    #[test]
    fn redraws_at_most_once_per_interval() {
        let out = Shared::default();
        let mut p = Progress::drawing_to(
            100_000,
            None,
            Box::new(out.clone()),
            Duration::from_secs(3600),
            80,
        );
        for n in 1..=100_000 {
            p.cycle_finished(&cycle(n, 0.7, 0.7));
        }
        assert_eq!(p.tally().cycles(), 100_000);
        drop(p);
        assert_eq!(out.text(), "");
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
