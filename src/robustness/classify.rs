//! The outcome of a case, from how its child process ended and the files its run left in the
//! case's folder (`src/scenario/run.rs`: `run.toml` with status "running" is written before
//! the solver starts; a run that fails after that writes `run_error.txt`; bad input is rejected
//! before anything is written).
//!
//! In order of precedence:
//!
//! | class | when |
//! | --- | --- |
//! | `timeout` | the child was still running at the wall-clock limit, or its folder grew past the size limit (a run writing rows without end), and it was killed |
//! | `abort` | the child was ended by a signal (abort, segmentation fault, out of memory) |
//! | `panic` | exit code 101, Rust's exit code for a panic |
//! | `solver_failure` | `run_error.txt` exists: the run started and stopped on an error; the SUNDIALS flag, cycle, step and time are read from it |
//! | `clean_error` | a non-zero exit with no `run.toml`: the input was rejected before the run started |
//! | `other_error` | a non-zero exit after the run started that left no `run_error.txt`, or a completed run whose `summary.csv` cannot be read |
//! | `non_physical` | exit 0, but `summary.csv` has a negative capacity, a value that is NaN or infinite, a coulombic efficiency that is not positive or of a cycle that charged nothing, or more net charge delivered than the cell holds, or `timeseries.csv` a voltage under current beyond the cut-off window by more than [`VOLTAGE_MARGIN_V`], a rest voltage that is not positive, or a value that is not finite ([`check_physical`] has the details) |
//! | `completed` | exit 0 and every value plausible |

use std::fmt;
use std::path::{Path, PathBuf};

use super::case::Expectations;
use crate::csv_table::{CsvError, CsvFormat, CsvReader, CsvRow};

/// How far a time-series voltage under current may lie beyond the cell's cut-off window before
/// it counts as non-physical \[V\]: a step ends at its cut-off, so any larger excursion is a
/// row that does not describe the cell.
///
/// Rest rows (a current of exactly 0: rests report no solver noise) are not held to the
/// window. A rest has no cut-off, and its voltage is the cell's open-circuit voltage, which
/// self-discharge can take past the window: suite seed 5, case 25, is the paper cell with a
/// mixed-conducting interphase (conductor fraction 0.313) at 308 K whose every current step is
/// skipped (a 7.5C charge already past 4.3 V, discharges already below 2.0 V vs Li/Li+), so it
/// only rests; the side reaction lithiates the discharged cathode, and its open-circuit voltage
/// falls from 2.13 V to 1.10 V vs Li-In in 16 h (1.97 V with an insulating interphase), down
/// the steep discharged end of the galleries. Rest rows must be finite and positive.
pub const VOLTAGE_MARGIN_V: f64 = 0.05;

/// How a child process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildExit {
    /// It exited with this code.
    Code(i32),
    /// A signal ended it (on Unix).
    Signal(i32),
    /// It ran past the timeout and was killed.
    Timeout,
    /// Its folder grew past the size limit (this many bytes) and it was killed: a run writing
    /// rows without end.
    OutputLimit(u64),
}

/// A finished child: how it ended, how long it took, what it printed on standard error.
#[derive(Debug, Clone, PartialEq)]
pub struct ChildRun {
    /// How it ended.
    pub exit: ChildExit,
    /// Wall-clock time from start to end (or to the kill) \[s\].
    pub wall_s: f64,
    /// Its standard error (possibly cut to the last part).
    pub stderr: String,
}

/// The outcome classes (module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Class {
    /// The run finished and its values are plausible.
    Completed,
    /// The input was rejected before the run started.
    CleanError,
    /// The run started and stopped on a solver (or model) error, recorded in `run_error.txt`.
    SolverFailure,
    /// The run finished, but with non-physical values.
    NonPhysical,
    /// The child panicked (exit code 101).
    Panic,
    /// A signal ended the child.
    Abort,
    /// The child ran past the timeout.
    Timeout,
    /// Any other failure (a non-zero exit after the run started without `run_error.txt`, an
    /// unreadable `summary.csv` after exit 0).
    OtherError,
}

impl Class {
    /// Every class, in report order.
    pub const ALL: [Class; 8] = [
        Class::Completed,
        Class::CleanError,
        Class::SolverFailure,
        Class::NonPhysical,
        Class::Panic,
        Class::Abort,
        Class::Timeout,
        Class::OtherError,
    ];

    /// The name in `cases.csv` and the report.
    pub fn name(self) -> &'static str {
        match self {
            Class::Completed => "completed",
            Class::CleanError => "clean_error",
            Class::SolverFailure => "solver_failure",
            Class::NonPhysical => "non_physical",
            Class::Panic => "panic",
            Class::Abort => "abort",
            Class::Timeout => "timeout",
            Class::OtherError => "other_error",
        }
    }

    /// Whether the suite accepts this outcome: completed, or bad input rejected up front.
    pub fn is_acceptable(self) -> bool {
        matches!(self, Class::Completed | Class::CleanError)
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What `run_error.txt` says about a failure.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SolverFailure {
    /// The SUNDIALS flag (`IDA_CONV_FAIL`, …), if the message names one.
    pub flag: Option<String>,
    /// The cycle, from 1.
    pub cycle: Option<usize>,
    /// The step within the cycle, from 1.
    pub step: Option<usize>,
    /// The simulated time of the failure \[s\].
    pub time_s: Option<f64>,
    /// The error line (after `error: `), or the file's first non-empty line.
    pub message: String,
}

/// A classified case.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The class.
    pub class: Class,
    /// One line on what happened (the flag and place of a failure, the first non-physical
    /// value, the error message).
    pub detail: String,
    /// For a solver failure: what `run_error.txt` says.
    pub failure: Option<SolverFailure>,
}

impl Outcome {
    fn new(class: Class, detail: impl Into<String>) -> Self {
        Outcome {
            class,
            detail: detail.into(),
            failure: None,
        }
    }
}

/// Reads the flag, cycle, step and time out of an error message such as `cycle 65, step 2:
/// IDA_CONV_FAIL at t = 630066.48 s after 27573 steps: …`.
pub fn parse_solver_error(text: &str) -> SolverFailure {
    let message = text
        .lines()
        .find_map(|l| l.strip_prefix("error: "))
        .or_else(|| text.lines().map(str::trim).find(|l| !l.is_empty()))
        .unwrap_or("")
        .trim()
        .to_string();
    let flag = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .find(|w| {
            ["IDA_", "IDALS_", "SUN_"]
                .iter()
                .any(|p| w.starts_with(p) && w.len() > p.len())
                && w.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        })
        .map(str::to_string);
    // The place is read from the error line when there is one.
    let place = if message.is_empty() {
        text
    } else {
        message.as_str()
    };
    let number_after = |key: &str| -> Option<&str> {
        let at = place.find(key)? + key.len();
        let rest = &place[at..];
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || ".eE+-".contains(c)))
            .unwrap_or(rest.len());
        Some(&rest[..end])
    };
    SolverFailure {
        flag,
        cycle: number_after("cycle ").and_then(|s| s.parse().ok()),
        step: number_after("step ").and_then(|s| s.parse().ok()),
        time_s: number_after("at t = ").and_then(|s| s.parse().ok()),
        message,
    }
}

/// The last line of a panic message on standard error (`thread 'main' panicked at …:` is
/// followed by the message), or the last non-empty line.
fn panic_message(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().collect();
    if let Some(k) = lines.iter().position(|l| l.contains("panicked at")) {
        let place = lines[k].trim();
        let msg = lines.get(k + 1).map(|l| l.trim()).unwrap_or("");
        return format!("{place} {msg}").trim().to_string();
    }
    last_line(stderr)
}

/// The first `error:` line, else the last non-empty line.
fn error_message(stderr: &str) -> String {
    stderr
        .lines()
        .find_map(|l| l.strip_prefix("error: "))
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|| last_line(stderr))
}

fn last_line(text: &str) -> String {
    text.lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
        .to_string()
}

/// Classifies a case from its child's end and the files in its folder `dir`, a finished run's
/// files checked against `expect`.
pub fn classify(run: &ChildRun, dir: &Path, expect: &Expectations) -> Outcome {
    match run.exit {
        ChildExit::Timeout => {
            return Outcome::new(
                Class::Timeout,
                format!("still running after {:.1} s, killed", run.wall_s),
            )
        }
        ChildExit::OutputLimit(bytes) => {
            return Outcome::new(
                Class::Timeout,
                format!(
                    "killed after {:.1} s: its folder passed the output limit at {:.0} MB (rows without end)",
                    run.wall_s,
                    bytes as f64 / 1e6
                ),
            )
        }
        ChildExit::Signal(s) => {
            return Outcome::new(
                Class::Abort,
                format!(
                    "ended by signal {s} ({}) {}",
                    signal_name(s),
                    last_line(&run.stderr)
                )
                .trim()
                .to_string(),
            )
        }
        ChildExit::Code(101) => {
            return Outcome::new(Class::Panic, panic_message(&run.stderr));
        }
        _ => {}
    }
    let error_file = dir.join(crate::output::RUN_ERROR_FILE);
    if error_file.exists() {
        let text = std::fs::read_to_string(&error_file).unwrap_or_default();
        let failure = parse_solver_error(&text);
        let mut detail = failure
            .flag
            .clone()
            .unwrap_or_else(|| "no flag".to_string());
        if let (Some(c), Some(s)) = (failure.cycle, failure.step) {
            detail.push_str(&format!(", cycle {c}, step {s}"));
        }
        if let Some(t) = failure.time_s {
            detail.push_str(&format!(", t = {t:.0} s"));
        }
        if failure.flag.is_none() {
            detail.push_str(&format!(": {}", failure.message));
        }
        return Outcome {
            class: Class::SolverFailure,
            detail,
            failure: Some(failure),
        };
    }
    match run.exit {
        ChildExit::Code(0) => match check_physical(dir, expect) {
            Ok(None) => Outcome::new(Class::Completed, ""),
            Ok(Some(problem)) => Outcome::new(Class::NonPhysical, problem),
            Err(reason) => Outcome::new(Class::OtherError, reason.to_string()),
        },
        ChildExit::Code(code) => {
            if dir.join(crate::output::RUN_RECORD_FILE).exists() {
                Outcome::new(
                    Class::OtherError,
                    format!(
                        "exit code {code} after the run started, no run_error.txt: {}",
                        error_message(&run.stderr)
                    ),
                )
            } else {
                Outcome::new(Class::CleanError, error_message(&run.stderr))
            }
        }
        // Handled above.
        ChildExit::Timeout | ChildExit::OutputLimit(_) | ChildExit::Signal(_) => {
            Outcome::new(Class::OtherError, "")
        }
    }
}

fn signal_name(s: i32) -> &'static str {
    match s {
        6 => "SIGABRT",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        7 => "SIGBUS",
        8 => "SIGFPE",
        4 => "SIGILL",
        15 => "SIGTERM",
        _ => "signal",
    }
}

/// Factor on the largest one-cycle capacity that bounds the net charge a run may deliver
/// (see [`check_physical`]).
pub const LITHIUM_BALANCE_MARGIN: f64 = 1.05;

/// A charge capacity below this fraction of the run's largest counts as no charge at all: a
/// cycle whose charge moved nothing has no coulombic efficiency.
pub const NO_CHARGE_FRACTION: f64 = 1e-6;

/// Why a finished run's files cannot be checked by [`check_physical`].
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// A file cannot be read.
    #[error("{}: cannot read: {error}", .path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        error: std::io::Error,
    },
    /// A CSV file is malformed (the error names file and line).
    #[error("{0}")]
    Csv(CsvError),
    /// `summary.csv` has no cycle.
    #[error("{}: no cycle in a finished run", .0.display())]
    NoCycle(PathBuf),
}

impl From<CsvError> for CheckError {
    fn from(e: CsvError) -> Self {
        CheckError::Csv(e)
    }
}

/// The text of the file at `path`, or why it cannot be read.
fn read_text(path: &Path) -> Result<String, CheckError> {
    std::fs::read_to_string(path).map_err(|error| CheckError::Read {
        path: path.to_path_buf(),
        error,
    })
}

/// Checks the files of a finished run in `dir`: `Ok(None)` when every value is plausible,
/// `Ok(Some(problem))` with the first non-physical value found, `Err` when `summary.csv`
/// cannot be read or has no cycle.
///
/// `summary.csv`: no negative capacity, no NaN or infinite number (empty fields are undefined
/// values, allowed); a coulombic efficiency only for a cycle that charged (charge capacity of
/// at least [`NO_CHARGE_FRACTION`] of the run's largest), positive and finite — or exactly 0
/// when the discharge delivered nothing (a discharge that could not start: nothing came back);
/// and a lithium balance: the net charge delivered up to any cycle at most
/// [`LITHIUM_BALANCE_MARGIN`] times the largest one-cycle capacity, plus the lithium the
/// cathode can still take at the start ([`Expectations::initial_charge_ah`]) (a cycle above 110 % is
/// physical when it returns lithium an earlier, diffusion-limited discharge left in the
/// particle cores; lithium the cell never held is not).
/// `timeseries.csv` (if present): every number finite, every voltage within the window
/// widened by [`VOLTAGE_MARGIN_V`].
pub fn check_physical(dir: &Path, expect: &Expectations) -> Result<Option<String>, CheckError> {
    let window = &expect.window;
    let summary = dir.join(crate::output::SUMMARY_FILE);
    let text = read_text(&summary)?;
    let mut reader = CsvReader::new(&text, &summary, CsvFormat::default())?;
    let header = reader.header().to_vec();
    let records = reader.by_ref().collect::<Result<Vec<_>, _>>()?;
    if records.is_empty() {
        return Err(CheckError::NoCycle(summary));
    }
    let column = |name: &str| header.iter().position(|h| h == name);
    let (ce, cycle_col, charge_col, discharge_col) = (
        column("coulombic_efficiency"),
        column("cycle"),
        column("charge_capacity_Ah"),
        column("discharge_capacity_Ah"),
    );
    let number = |record: &CsvRow, k: Option<usize>| k.and_then(|k| record.parse::<f64>(k));
    let largest_charge = records
        .iter()
        .filter_map(|r| number(r, charge_col))
        .filter(|x| x.is_finite())
        .fold(0.0f64, f64::max);
    for record in &records {
        let cycle = cycle_col.and_then(|k| record.get(k)).unwrap_or("?");
        for (k, field) in record.fields().enumerate() {
            if field.is_empty() {
                continue;
            }
            let name = header.get(k).map_or("?", String::as_str);
            let Ok(x) = field.parse::<f64>() else {
                return Ok(Some(format!(
                    "summary.csv cycle {cycle}: {name} = `{field}` is not a number"
                )));
            };
            if !x.is_finite() {
                return Ok(Some(format!("summary.csv cycle {cycle}: {name} = {field}")));
            }
            if name.contains("capacity") && !name.contains("retention") && x < 0.0 {
                return Ok(Some(format!(
                    "summary.csv cycle {cycle}: negative capacity {name} = {field}"
                )));
            }
        }
        let Some(efficiency) = number(record, ce) else {
            continue;
        };
        let charge = number(record, charge_col).unwrap_or(0.0);
        let discharge = number(record, discharge_col).unwrap_or(0.0);
        if charge < NO_CHARGE_FRACTION * largest_charge || charge <= 0.0 {
            return Ok(Some(format!(
                "summary.csv cycle {cycle}: coulombic efficiency {:.3} % of a cycle that charged {charge:.3e} A·h (nothing)",
                100.0 * efficiency
            )));
        }
        let nothing_back = efficiency == 0.0 && discharge == 0.0;
        // Above 100 % a cycle may still be physical: a diffusion-limited discharge that ended
        // at its cut-off leaves lithium in the particle cores, which a later cycle returns once
        // it has relaxed (a cell that starts charged does so for several cycles, and so does
        // the first cycle after a change of protocol). What no cycle may do is return lithium
        // the cell never held: the lithium balance below.
        if !(efficiency > 0.0 || nothing_back) {
            return Ok(Some(format!(
                "summary.csv cycle {cycle}: coulombic efficiency {:.3} % outside (0, ∞) %",
                100.0 * efficiency
            )));
        }
    }
    // Lithium balance: the net charge delivered up to any cycle (discharges minus charges)
    // cannot exceed what the cell's cathode could take: the room it had at the start, plus what
    // the charges took out, bounded by the largest charge or discharge of any one cycle with
    // LITHIUM_BALANCE_MARGIN.
    let largest = records
        .iter()
        .flat_map(|r| [number(r, charge_col), number(r, discharge_col)])
        .flatten()
        .filter(|x| x.is_finite())
        .fold(0.0f64, f64::max);
    let holds = LITHIUM_BALANCE_MARGIN * largest + expect.initial_charge_ah;
    let mut net = 0.0;
    for record in &records {
        let cycle = cycle_col.and_then(|k| record.get(k)).unwrap_or("?");
        net += number(record, discharge_col).unwrap_or(0.0)
            - number(record, charge_col).unwrap_or(0.0);
        if net > holds && largest > 0.0 {
            return Ok(Some(format!(
                "summary.csv cycle {cycle}: the cycles so far delivered {net:.4e} A·h more than they took, more than the cell holds ({largest:.4e} A·h at most in one cycle): lithium from nowhere"
            )));
        }
    }

    let series = dir.join(crate::output::TIMESERIES_FILE);
    if !series.exists() {
        return Ok(None);
    }
    let text = read_text(&series)?;
    let mut reader = CsvReader::new(&text, &series, CsvFormat::default())?;
    let header = reader.header().to_vec();
    let column = |name: &str| header.iter().position(|h| h == name);
    let (voltage, cycle_col, step_col, time_col, current_col) = (
        column("voltage_V"),
        column("cycle"),
        column("step"),
        column("time_s"),
        column("current_A"),
    );
    let lo = window.lower_v - VOLTAGE_MARGIN_V;
    let hi = window.upper_v + VOLTAGE_MARGIN_V;
    for record in reader.by_ref() {
        let record = record?;
        let field = |k: Option<usize>| k.and_then(|k| record.get(k)).unwrap_or("?").to_string();
        let place = || {
            let t = field(time_col);
            let t = t.parse::<f64>().map(|x| format!("{x:.1}")).unwrap_or(t);
            format!(
                "timeseries.csv cycle {}, step {}, t = {t} s",
                field(cycle_col),
                field(step_col),
            )
        };
        for (k, text) in record.fields().enumerate() {
            if text.is_empty() {
                continue;
            }
            let Ok(x) = text.parse::<f64>() else {
                return Ok(Some(format!(
                    "{}: {} = `{text}` is not a number",
                    place(),
                    header.get(k).map_or("?", String::as_str)
                )));
            };
            if !x.is_finite() {
                return Ok(Some(format!(
                    "{}: {} = {text}",
                    place(),
                    header.get(k).map_or("?", String::as_str)
                )));
            }
            let rest = current_col.and_then(|c| record.parse::<f64>(c)) == Some(0.0);
            if Some(k) == voltage && rest && x <= 0.0 {
                return Ok(Some(format!(
                    "{}: rest voltage {x:.4} V, not a positive open-circuit voltage",
                    place()
                )));
            }
            if Some(k) == voltage && !rest && !(lo..=hi).contains(&x) {
                return Ok(Some(format!(
                    "{}: voltage {x:.4} V beyond the cut-off window {:.3}–{:.3} V",
                    place(),
                    window.lower_v,
                    window.upper_v
                )));
            }
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_solver_error() {
        let text = "The run did not finish.\n\nscenario: s.toml\nerror: cycle 65, step 2: IDA_CONV_FAIL at t = 630066.4841578307 s after 27573 steps: the Newton iteration failed";
        let f = parse_solver_error(text);
        assert_eq!(f.flag.as_deref(), Some("IDA_CONV_FAIL"));
        assert_eq!(f.cycle, Some(65));
        assert_eq!(f.step, Some(2));
        assert_eq!(f.time_s, Some(630066.4841578307));
        assert!(f.message.starts_with("cycle 65, step 2: IDA_CONV_FAIL"));
        let g = parse_solver_error("error: setting up the model: bad mesh");
        assert_eq!(g.flag, None);
        assert_eq!(g.cycle, None);
        assert_eq!(g.message, "setting up the model: bad mesh");
    }

    #[test]
    fn reads_a_panic() {
        let e = "thread 'main' panicked at src/x.rs:3:5:\ncapacity overflow\nnote: run with `RUST_BACKTRACE=1`";
        assert_eq!(
            panic_message(e),
            "thread 'main' panicked at src/x.rs:3:5: capacity overflow"
        );
    }
}
