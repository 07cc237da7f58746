//! The robustness suite (`asslb robustness`, `docs/robustness.md`): random but plausible cases
//! over every built-in parameter set, each run as a separate `asslb run` process with a
//! wall-clock timeout, classified by how it ended, and reported.
//!
//! - [`case`]: a case — base scenario, `--set` overrides, what it exercises — and how it becomes
//!   the arguments of `asslb run`;
//! - [`generator`]: the seeded sampling of cases; case `i` of seed `S` depends on `(S, i)` only;
//! - [`runner`]: runs cases as child processes in parallel, with a timeout;
//! - [`classify`]: the outcome classes, from a child's exit and the files its run left;
//! - [`report`]: `cases.csv`, `report.md` and the one-screen summary.

pub mod case;
pub mod classify;
pub mod generator;
pub mod report;
pub mod runner;

use std::path::PathBuf;

pub use case::{
    shell_quote, shell_words, BaseScenario, Case, Expectations, Feature, VoltageWindow,
};
pub use classify::{
    check_physical, classify, parse_solver_error, CheckError, ChildExit, ChildRun, Class, Outcome,
    SolverFailure, VOLTAGE_MARGIN_V,
};
pub use generator::{Generator, SplitMix64, SET_NAMES};
pub use report::{
    report_markdown, summary_text, write_cases_csv, write_report_md, CASES_CSV_FILE, REPORT_FILE,
};
pub use runner::{
    prepare_bases, run_child, run_suite, step_kind, BasePaths, CaseResult, Launcher, Limits,
    SuiteOptions, SuiteReport, CASES_DIR,
};

/// Why the suite could not be generated, run or reported. (A case that fails is not an error
/// of the suite: it is an [`Outcome`].)
#[derive(Debug, thiserror::Error)]
pub enum RobustnessError {
    /// A base scenario does not load with a parameter set.
    #[error("the base scenario {base} does not load with parameter set `{set}`")]
    Base {
        /// The base scenario, as its path in the repository.
        base: String,
        /// The parameter set.
        set: String,
        /// The scenario error.
        #[source]
        source: Box<crate::scenario::ScenarioError>,
    },
    /// A parameter path the generator multiplies cannot be read in a set.
    #[error("parameter `{path}` of set `{set}`: {error}")]
    ParameterPath {
        /// The parameter set.
        set: String,
        /// The parameter path, as in `--set`.
        path: String,
        /// Why it cannot be read.
        error: Box<crate::scenario::parameter_tree::ParameterPathError>,
    },
    /// A parameter the generator multiplies cannot be read from a set.
    #[error("parameter `{path}` of set `{set}`: {reason}")]
    Parameter {
        /// The parameter set.
        set: String,
        /// The parameter path, as in `--set`.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A bad option value (`--cases`, `--jobs`, `--timeout-s`).
    #[error("{option}: {expected}")]
    Option {
        /// The option, as on the command line.
        option: &'static str,
        /// What was expected, and what was found.
        expected: String,
    },
    /// A file or folder could not be written or read.
    #[error("{}: {action}", .path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What was being done.
        action: &'static str,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// A CSV file could not be written.
    #[error("{}: cannot write CSV", .path.display())]
    Csv {
        /// The file.
        path: PathBuf,
        /// The writer's reason.
        #[source]
        source: csv::Error,
    },
    /// The pool of worker threads could not be started (rayon's error as data, not a source:
    /// the message shows it once).
    #[error("cannot start the worker threads: {0}")]
    Threads(rayon::ThreadPoolBuildError),
}
