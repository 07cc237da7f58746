//! The progress display of `asslb sweep`, `asslb validate` and `asslb fit` (`asslb run` has the
//! library's [`asslb::output::Progress`], shown the same way): as
//! [`ProgressMode::for_stderr`] says, an indicatif bar (a spinner with the elapsed time for the
//! trials of a fit, whose number is not known in advance) when standard error is a terminal, a
//! plain line ([`plain_line`]) at most every 30 s when it is a log, nothing with `--quiet`. The
//! lines the commands print as cases, runs or trials end go above the bar.

use std::sync::Mutex;
use std::time::Duration;

use asslb::output::progress::{plain_line, PlainLines, ProgressMode};
use indicatif::{ProgressBar, ProgressStyle};

/// A bar or a spinner, with the lines printed above it, or plain lines in a log.
pub struct Activity {
    /// The bar; hidden (it still counts) in a log or when quiet.
    bar: ProgressBar,
    /// What is counted (`"cases"`, `"cycles"`, `"trials"`).
    what: &'static str,
    /// Whether the count has a known total.
    bounded: bool,
    /// The plain lines, in a log.
    lines: Option<Mutex<PlainLines>>,
}

impl Activity {
    /// A bar over `total` items (`what`: "cases"); nothing shown when `quiet`.
    pub fn bar(total: usize, what: &'static str, quiet: bool) -> Self {
        Activity::shown(ProgressMode::for_stderr(quiet), what, true, || {
            let bar = ProgressBar::new(total as u64);
            if let Ok(style) = ProgressStyle::with_template(&format!(
                "{what} {{pos}}/{{len}} [{{wide_bar}}] {{percent:>3}} %  {{elapsed}}  ETA {{eta}}"
            )) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar
        })
        .with_length(total)
    }

    /// A spinner with the elapsed time and a message, for work of unknown length counted in
    /// `what` (`"trials"`); nothing shown when `quiet`.
    pub fn spinner(message: &str, what: &'static str, quiet: bool) -> Self {
        let activity = Activity::shown(ProgressMode::for_stderr(quiet), what, false, || {
            let bar = ProgressBar::new_spinner();
            if let Ok(style) = ProgressStyle::with_template("{spinner} {elapsed}  {msg}") {
                bar.set_style(style);
            }
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        activity.bar.set_message(message.to_string());
        activity
    }

    /// The display of `mode`: the bar `drawn()` makes, or a hidden bar that counts.
    fn shown(
        mode: ProgressMode,
        what: &'static str,
        bounded: bool,
        drawn: impl FnOnce() -> ProgressBar,
    ) -> Self {
        let (bar, lines) = match mode {
            ProgressMode::Bar => (drawn(), None),
            ProgressMode::Lines(every) => (
                ProgressBar::hidden(),
                Some(Mutex::new(PlainLines::to_stderr(every))),
            ),
            ProgressMode::Off => (ProgressBar::hidden(), None),
        };
        Activity {
            bar,
            what,
            bounded,
            lines,
        }
    }

    /// Sets the total (a hidden bar has none of its own).
    fn with_length(self, total: usize) -> Self {
        self.bar.set_length(total as u64);
        self
    }

    /// Prints `line` on standard output above the bar.
    pub fn println(&self, line: &str) {
        self.bar.suspend(|| println!("{line}"));
    }

    /// Prints `line` on standard error above the bar.
    pub fn eprintln(&self, line: &str) {
        self.bar.suspend(|| eprintln!("{line}"));
    }

    /// One more item done.
    pub fn inc(&self) {
        self.bar.inc(1);
        self.log();
    }

    /// Sets the number of items done.
    pub fn set_position(&self, done: usize) {
        self.bar.set_position(done as u64);
        self.log();
    }

    /// Sets the spinner's message.
    pub fn message(&self, message: String) {
        self.bar.set_message(message);
        self.log();
    }

    /// Erases the display.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }

    /// Writes the plain line when one is due (in a log).
    fn log(&self) {
        let Some(lines) = &self.lines else {
            return;
        };
        let Ok(mut lines) = lines.lock() else {
            return;
        };
        if lines.due() {
            let total = self.bounded.then(|| self.bar.length()).flatten();
            let line = plain_line(
                self.what,
                self.bar.position(),
                total,
                0,
                lines.elapsed(),
                &self.bar.message(),
            );
            lines.write(&line);
        }
    }
}
