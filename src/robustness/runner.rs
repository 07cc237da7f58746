//! Running cases: each as a child process `asslb run <base> --out <out>/cases/<i> --quiet
//! --set …` of the same binary (or of an injected [`Launcher`], for tests), several at once on
//! a pool of threads, each with a wall-clock timeout and a limit on the size of its folder after
//! which the child is killed, so that panics, aborts and hangs (also those that write rows
//! without end) are caught as outcomes rather than taking the suite, or the disk, down.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use super::case::{BaseScenario, Case};
use super::classify::{classify, ChildExit, ChildRun, Class, Outcome};
use super::RobustnessError;

/// The folder of the case folders inside the output folder.
pub const CASES_DIR: &str = "cases";

/// The folder the base scenarios are written to when the current folder is not the
/// repository's root.
pub const BASES_DIR: &str = "bases";

/// The child's standard output, in its case folder.
pub const CHILD_STDOUT_FILE: &str = "child_stdout.txt";

/// The child's standard error, in its case folder.
pub const CHILD_STDERR_FILE: &str = "child_stderr.txt";

/// How much of the child's standard error is kept for the classification \[bytes\].
const STDERR_TAIL: u64 = 64 * 1024;

/// The program that runs a case: `program leading_args… run <base> --out …`. The suite uses
/// the running binary itself; tests put a shell script in its place.
#[derive(Debug, Clone, PartialEq)]
pub struct Launcher {
    /// The program.
    pub program: PathBuf,
    /// Arguments before the case's own (`-c <script> sh` for `sh`).
    pub leading_args: Vec<OsString>,
}

impl Launcher {
    /// The running binary (`std::env::current_exe()`).
    pub fn current_exe() -> Result<Self, RobustnessError> {
        let program = std::env::current_exe().map_err(|source| RobustnessError::Io {
            path: PathBuf::from("(the running program)"),
            action: "cannot find the running program",
            source,
        })?;
        Ok(Launcher::new(program))
    }

    /// `program` with no leading arguments.
    pub fn new(program: impl Into<PathBuf>) -> Self {
        Launcher {
            program: program.into(),
            leading_args: Vec::new(),
        }
    }
}

/// Where the children read each base scenario.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BasePaths {
    paths: HashMap<BaseScenario, PathBuf>,
}

impl BasePaths {
    /// The path of `base` for the children (relative to the current folder, or absolute).
    pub fn path(&self, base: BaseScenario) -> PathBuf {
        self.paths
            .get(&base)
            .cloned()
            .unwrap_or_else(|| PathBuf::from(base.repo_path()))
    }
}

/// Decides where the children read the base scenarios: at their repository paths
/// (`scenarios/…`) when the current folder holds them unchanged, so that the command lines in
/// the report run as they are from the repository's root; otherwise the copies compiled into
/// the binary are written to `<out>/bases/` and used from there.
pub fn prepare_bases(out: &Path) -> Result<BasePaths, RobustnessError> {
    let mut paths = HashMap::new();
    for base in BaseScenario::ALL {
        let in_repo = Path::new(base.repo_path());
        let same = std::fs::read_to_string(in_repo).is_ok_and(|t| t == base.text());
        let path = if same {
            in_repo.to_path_buf()
        } else {
            let dir = out.join(BASES_DIR);
            std::fs::create_dir_all(&dir).map_err(|source| RobustnessError::Io {
                path: dir.clone(),
                action: "cannot create the folder",
                source,
            })?;
            let path = dir.join(base.file_name());
            std::fs::write(&path, base.text()).map_err(|source| RobustnessError::Io {
                path: path.clone(),
                action: "cannot write the base scenario",
                source,
            })?;
            path
        };
        paths.insert(base, path);
    }
    Ok(BasePaths { paths })
}

/// How to run the suite.
#[derive(Debug, Clone, PartialEq)]
pub struct SuiteOptions {
    /// The output folder: `cases/<i>/` per case, `cases.csv`, `report.md`.
    pub out: PathBuf,
    /// Cases run at once (`None`: the available parallelism).
    pub jobs: Option<usize>,
    /// Wall-clock limit of one case.
    pub timeout: Duration,
    /// Limit on the size of one case's folder \[bytes\]: a run that writes rows without end
    /// (a step that never ends, at a fixed output interval) is killed when it passes this.
    pub max_output_bytes: u64,
    /// The program that runs a case.
    pub launcher: Launcher,
    /// Keep the folders of completed cases (by default they are deleted; every other case's
    /// folder is kept).
    pub keep_completed: bool,
}

/// One case run and classified.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseResult {
    /// The case.
    pub case: Case,
    /// How it ended.
    pub outcome: Outcome,
    /// Wall-clock time of the child \[s\].
    pub wall_s: f64,
    /// The command line that reproduces it (POSIX shell).
    pub command: String,
    /// Its output folder (deleted for a completed case unless kept).
    pub dir: PathBuf,
}

impl CaseResult {
    /// The kind of step a solver failure happened in (`cv_hold`, `charge`, `discharge`,
    /// `charge_for`, `discharge_for`, `rest`), `None` for other outcomes or an unknown step.
    pub fn failed_step_kind(&self) -> Option<&'static str> {
        let f = self.outcome.failure.as_ref()?;
        let text = self.case.step_text(f.cycle?, f.step?)?;
        Some(step_kind(text))
    }
}

/// The kind of a step string: `cv_hold`, `rest`, `charge`, `discharge`, or `charge_for` /
/// `discharge_for` for a charge or discharge with a duration.
pub fn step_kind(text: &str) -> &'static str {
    let lower = text.to_ascii_lowercase();
    let timed = lower.contains(" for ");
    if lower.starts_with("hold") {
        "cv_hold"
    } else if lower.starts_with("rest") {
        "rest"
    } else if lower.starts_with("discharge") {
        if timed {
            "discharge_for"
        } else {
            "discharge"
        }
    } else if lower.starts_with("charge") {
        if timed {
            "charge_for"
        } else {
            "charge"
        }
    } else {
        "other"
    }
}

/// The suite's result: every case in index order.
#[derive(Debug, Clone, PartialEq)]
pub struct SuiteReport {
    /// The seed the cases were drawn with (of the first case; all share it when generated).
    pub seed: u64,
    /// The cases' results, by index.
    pub results: Vec<CaseResult>,
    /// Cases run at once.
    pub jobs: usize,
    /// The timeout per case \[s\].
    pub timeout_s: f64,
    /// Wall-clock time of the whole suite \[s\].
    pub wall_s: f64,
    /// The output folder.
    pub out: PathBuf,
}

impl SuiteReport {
    /// Cases of class `class`.
    pub fn count(&self, class: Class) -> usize {
        self.results
            .iter()
            .filter(|r| r.outcome.class == class)
            .count()
    }

    /// Whether every case completed or was rejected up front.
    pub fn all_acceptable(&self) -> bool {
        self.results.iter().all(|r| r.outcome.class.is_acceptable())
    }
}

/// The exit of a finished child.
fn exit_of(status: ExitStatus) -> ChildExit {
    if let Some(code) = status.code() {
        return ChildExit::Code(code);
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return ChildExit::Signal(signal);
        }
    }
    ChildExit::Code(-1)
}

/// The limits of one child.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock time.
    pub timeout: Duration,
    /// Size of the files in its folder \[bytes\].
    pub max_output_bytes: u64,
}

impl Limits {
    /// A timeout, and no practical limit on the output.
    pub fn timeout(timeout: Duration) -> Self {
        Limits {
            timeout,
            max_output_bytes: u64::MAX,
        }
    }
}

/// The size of the files directly in `dir` \[bytes\] (0 for what cannot be read).
fn folder_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

/// Runs `command` in the folder `dir` (which must exist; the child's standard output and
/// error go to `dir/child_stdout.txt` and `child_stderr.txt`), killing it when it runs past
/// the timeout ([`ChildExit::Timeout`]) or the files in `dir` pass the size limit
/// ([`ChildExit::OutputLimit`]). The result's `stderr` is the last 64 KiB of its standard
/// error.
pub fn run_child(
    mut command: Command,
    log_dir: &Path,
    limits: Limits,
) -> Result<ChildRun, RobustnessError> {
    let io_error = |path: PathBuf, action| {
        move |source| RobustnessError::Io {
            path,
            action,
            source,
        }
    };
    let out_path = log_dir.join(CHILD_STDOUT_FILE);
    let err_path = log_dir.join(CHILD_STDERR_FILE);
    let stdout =
        File::create(&out_path).map_err(io_error(out_path.clone(), "cannot create the file"))?;
    let stderr =
        File::create(&err_path).map_err(io_error(err_path.clone(), "cannot create the file"))?;
    command
        .stdin(Stdio::null())
        .stdout(Stdio::from(stdout))
        .stderr(Stdio::from(stderr));
    let program = PathBuf::from(command.get_program());
    let started = Instant::now();
    let mut child = command
        .spawn()
        .map_err(io_error(program, "cannot start the program"))?;
    let wait_error = io_error(log_dir.to_path_buf(), "cannot wait for the case's process");
    let exit = loop {
        match child.try_wait() {
            Ok(Some(status)) => break exit_of(status),
            Ok(None) => {}
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(wait_error(e));
            }
        }
        if started.elapsed() >= limits.timeout {
            let _ = child.kill();
            let _ = child.wait();
            break ChildExit::Timeout;
        }
        if limits.max_output_bytes < u64::MAX {
            let size = folder_size(log_dir);
            if size > limits.max_output_bytes {
                let _ = child.kill();
                let _ = child.wait();
                break ChildExit::OutputLimit(size);
            }
        }
        // Short polls at first (most failures are quick), then every 50 ms.
        let pause = if started.elapsed() < Duration::from_secs(1) {
            10
        } else {
            50
        };
        std::thread::sleep(Duration::from_millis(pause));
    };
    let wall_s = started.elapsed().as_secs_f64();
    Ok(ChildRun {
        exit,
        wall_s,
        stderr: read_tail(&err_path, STDERR_TAIL),
    })
}

/// The last `bytes` of a file, as text (empty when it cannot be read).
fn read_tail(path: &Path, bytes: u64) -> String {
    use std::io::{Seek, SeekFrom};
    let Ok(mut file) = File::open(path) else {
        return String::new();
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    if len > bytes {
        let _ = file.seek(SeekFrom::Start(len - bytes));
    }
    let mut buf = Vec::new();
    let _ = file.read_to_end(&mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

/// Runs `cases` into `options.out` (`cases/<index>/` each; a folder left there by an earlier
/// run is removed first) and classifies each; `on_case` hears of each case as it ends, from
/// the worker threads. The folder of a completed case is deleted unless
/// [`SuiteOptions::keep_completed`]. Does not write `cases.csv` or `report.md`
/// ([`super::report`] does).
pub fn run_suite(
    cases: &[Case],
    options: &SuiteOptions,
    on_case: &(dyn Fn(&CaseResult) + Sync),
) -> Result<SuiteReport, RobustnessError> {
    if options.jobs == Some(0) {
        return Err(RobustnessError::Option {
            option: "--jobs",
            expected: "expected at least 1 case at once, found 0".to_string(),
        });
    }
    if options.timeout.is_zero() {
        return Err(RobustnessError::Option {
            option: "--timeout-s",
            expected: "expected a positive number of seconds, found 0".to_string(),
        });
    }
    let jobs = options.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(RobustnessError::Threads)?;
    let cases_dir = options.out.join(CASES_DIR);
    std::fs::create_dir_all(&cases_dir).map_err(|source| RobustnessError::Io {
        path: cases_dir.clone(),
        action: "cannot create the folder",
        source,
    })?;
    let bases = prepare_bases(&options.out)?;
    let started = Instant::now();
    let results: Result<Vec<CaseResult>, RobustnessError> = pool.install(|| {
        cases
            .par_iter()
            .with_max_len(1)
            .map(|case| {
                let result = run_one(case, &cases_dir, &bases, options)?;
                on_case(&result);
                Ok(result)
            })
            .collect()
    });
    Ok(SuiteReport {
        seed: cases.first().map_or(0, |c| c.seed),
        results: results?,
        jobs,
        timeout_s: options.timeout.as_secs_f64(),
        wall_s: started.elapsed().as_secs_f64(),
        out: options.out.clone(),
    })
}

/// Runs and classifies one case.
fn run_one(
    case: &Case,
    cases_dir: &Path,
    bases: &BasePaths,
    options: &SuiteOptions,
) -> Result<CaseResult, RobustnessError> {
    let dir = cases_dir.join(case.index.to_string());
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|source| RobustnessError::Io {
            path: dir.clone(),
            action: "cannot remove the folder of an earlier run",
            source,
        })?;
    }
    std::fs::create_dir_all(&dir).map_err(|source| RobustnessError::Io {
        path: dir.clone(),
        action: "cannot create the folder",
        source,
    })?;
    let base = bases.path(case.base);
    let launcher = &options.launcher;
    let mut command = Command::new(&launcher.program);
    command.args(&launcher.leading_args);
    command.args(case.run_args(&base, &dir));
    let line = super::case::shell_words(
        std::iter::once(launcher.program.as_os_str())
            .chain(launcher.leading_args.iter().map(OsString::as_os_str))
            .chain(case.run_args(&base, &dir).iter().map(OsString::as_os_str)),
    );
    let limits = Limits {
        timeout: options.timeout,
        max_output_bytes: options.max_output_bytes,
    };
    let child = run_child(command, &dir, limits)?;
    let outcome = classify(&child, &dir, &case.expectations());
    if outcome.class == Class::Completed && !options.keep_completed {
        // Best effort: a folder that cannot be removed only costs disk.
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(CaseResult {
        case: case.clone(),
        outcome,
        wall_s: child.wall_s,
        command: line,
        dir,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_kinds() {
        assert_eq!(step_kind("Hold at 4.3 V vs Li/Li+ until C/50"), "cv_hold");
        assert_eq!(step_kind("Rest for 5 minutes"), "rest");
        assert_eq!(step_kind("Discharge at 2C for 30 seconds"), "discharge_for");
        assert_eq!(step_kind("Discharge at 2C until 2.0 V"), "discharge");
        assert_eq!(step_kind("Charge at 1C until 4.3 V"), "charge");
        assert_eq!(step_kind("Charge at 1C for 10 seconds"), "charge_for");
    }
}
