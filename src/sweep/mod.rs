//! Parameter sweeps: one base scenario run many times with `--set`-style overrides, as a full
//! grid or zipped lists of values or named cases; in parallel, sharded across machines,
//! resumable; with one row per case of key figures in `sweep.csv`. The format and the files are
//! documented in `docs/sweep.md`.
//!
//! [`load_sweep`] reads a sweep file and validates every case (nothing is run or written when a
//! case does not load); [`run_sweep`] runs it into an output folder; [`merge_sweeps`] combines
//! the folders of shards; [`sweep_results`] gathers per case its key figures and its curves
//! against cycle, for comparison plots.

mod figures;
mod plots;
mod run;
mod spec;

use std::path::PathBuf;

use crate::toml_position::{position_suffix, Position};

pub use figures::{case_curves, key_figures, read_cycles, CaseCurves, CycleFigures, KeyFigures};
pub use plots::write_sweep_figures;
pub use run::{
    merge_sweeps, run_sweep, sweep_results, CaseRecord, CaseStatus, CaseSummary, Shard,
    SweepOptions, SweepReport, CASES_DIR, CASE_RECORD_FILE, SWEEP_CSV_FILE, SWEEP_RECORD_FILE,
};
pub use spec::{load_sweep, Axis, AxisPoint, Case, Sweep, SweepMode};

/// Why a sweep could not be read, run or merged. Each names the file or folder concerned.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// A file could not be read.
    #[error("cannot read {}", .file.display())]
    Read {
        /// The file.
        file: PathBuf,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// The sweep file is not valid TOML or has an unknown key.
    #[error("{}: {message}", .file.display())]
    Syntax {
        /// The sweep file.
        file: PathBuf,
        /// The TOML parser's message.
        message: String,
    },
    /// A key of the sweep file has a value that is not allowed.
    #[error("{}{}: key `{key}`: {expected}", .file.display(), position_suffix(.position))]
    Key {
        /// The sweep file.
        file: PathBuf,
        /// Line and column of the key, when found ([`crate::toml_position`]).
        position: Option<Position>,
        /// Dotted path of the key.
        key: String,
        /// What was expected (and what was found).
        expected: String,
    },
    /// A case's scenario does not load (a path that does not exist, a bad value).
    #[error("{}: case `{case}`: the scenario with this case's overrides does not load", .file.display())]
    Case {
        /// The sweep file.
        file: PathBuf,
        /// The case id.
        case: String,
        /// The scenario's error (it names the override).
        #[source]
        source: Box<crate::scenario::ScenarioError>,
    },
    /// A `--shard` argument that is not `i/n` with 1 ≤ i ≤ n.
    #[error("--shard {arg}: {expected}")]
    Shard {
        /// The argument as given.
        arg: String,
        /// What was expected.
        expected: String,
    },
    /// `--jobs 0`.
    #[error("--jobs: expected at least 1")]
    Jobs,
    /// The thread pool could not be started. (rayon's error is data, not a source: the
    /// message shows it once; so for the two below.)
    #[error("internal error: {0}")]
    ThreadPool(rayon::ThreadPoolBuildError),
    /// A record could not be formatted as TOML.
    #[error("internal error: {0}")]
    Record(toml::ser::Error),
    /// The sweep's figures could not be drawn.
    #[error("internal error: sweep figures in {}: {error}", .dir.display())]
    Figures {
        /// The sweep's folder.
        dir: PathBuf,
        /// The drawing's error.
        error: crate::figures::FigureError,
    },
    /// Another sweep is writing into the output folder.
    #[error(transparent)]
    Folder(#[from] crate::output::FolderError),
    /// The output folder already holds a sweep and `--resume` was not given.
    #[error("{} already holds a sweep (sweep.toml); continue it with --resume, or choose another --out", .dir.display())]
    OutputExists {
        /// The folder.
        dir: PathBuf,
    },
    /// Two sweeps that are not the same (identity) were to be resumed or merged together.
    #[error("{} and {} are not the same sweep (their identities differ); nothing was written", .first.display(), .second.display())]
    DifferentSweep {
        /// One.
        first: PathBuf,
        /// The other.
        second: PathBuf,
    },
    /// A folder without a readable `sweep.toml`.
    #[error("{}: not the output folder of a sweep ({reason})", .dir.display())]
    NotASweep {
        /// The folder.
        dir: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// `merge` without folders.
    #[error("nothing to merge: give the output folders of the shards")]
    NothingToMerge,
    /// A file or folder of the output could not be written.
    #[error("cannot write {}", .path.display())]
    Output {
        /// The file or folder.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
}
