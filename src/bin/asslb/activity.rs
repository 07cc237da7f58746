//! The progress display of `asslb sweep` and `asslb fit`: an indicatif bar over the cases of a
//! sweep, or a spinner with the elapsed time for the trials of a fit (whose number is not known
//! in advance), drawn on standard error and hidden when it is not a terminal. The lines the
//! commands print as cases or trials end go above it, so a log (not a terminal) keeps them as
//! its periodic plain lines.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// A bar or a spinner, with the lines printed above it.
pub struct Activity {
    bar: ProgressBar,
}

impl Activity {
    /// A bar over `total` items (`what`: "cases").
    pub fn bar(total: usize, what: &str) -> Self {
        let bar = ProgressBar::new(total as u64);
        if let Ok(style) = ProgressStyle::with_template(&format!(
            "{what} {{pos}}/{{len}} [{{wide_bar}}] {{elapsed}}  ETA {{eta}}"
        )) {
            bar.set_style(style.progress_chars("=> "));
        }
        Activity { bar }
    }

    /// Nothing drawn (`--quiet`); lines are still printed.
    pub fn hidden() -> Self {
        Activity {
            bar: ProgressBar::hidden(),
        }
    }

    /// A spinner with the elapsed time and a message (for work of unknown length).
    pub fn spinner(message: &str) -> Self {
        let bar = ProgressBar::new_spinner();
        if let Ok(style) = ProgressStyle::with_template("{spinner} {elapsed}  {msg}") {
            bar.set_style(style);
        }
        bar.set_message(message.to_string());
        bar.enable_steady_tick(Duration::from_millis(200));
        Activity { bar }
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
    }

    /// Sets the spinner's message.
    pub fn message(&self, message: String) {
        self.bar.set_message(message);
    }

    /// Erases the display.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
