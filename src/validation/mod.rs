//! Validation against measured data: `asslb validate <validation.toml>`.
//!
//! A validation file ([`spec`], format in `docs/validation.md`) names the scenarios to run and
//! the measured data to compare with them: target points, per-cycle data and voltage curves
//! (read by [`crate::measured`]). The runs are simulated in parallel ([`simulated`]), every
//! measured quantity is compared with its simulated value ([`compare`]), and the verdicts go to
//! a table, a Markdown report with overlay figures and a CSV file ([`report`], [`run`]).
//!
//! The fit of parameters to measured data (`asslb fit`, [`crate::fitting::cell_fit`]) uses the
//! same files, runs and comparisons: its residuals are the deviations divided by their
//! tolerances.

pub mod bands;
pub mod bands_file;
pub mod compare;
pub mod figures;
pub mod report;
pub mod report_page;
pub mod run;
pub mod simulated;
pub mod spec;
pub mod synthetic;

use std::path::PathBuf;

use crate::toml_position::{position_suffix, Position};

pub use bands::{assign_bands, BandCountMismatch};
pub use bands_file::{BandParameter, BandsFile, BandsFileError, PredictionBands, BANDS_FILE};
pub use compare::{compare, Comparison, ComparisonKind};
pub use figures::{write_validation_figures, VALIDATION_PLOTS};
pub use report::{comparison_table, write_comparisons_csv, write_report};
pub use report_page::{comparison_page_table, write_report_page, REPORT_PAGE_FILE};
pub use run::{
    run_validation, run_validation_observed, simulate_runs, simulate_runs_observed, RunsObserver,
    ValidateOptions, ValidationReport,
};
pub use simulated::{simulate, simulate_observed, OutputFailure, SimulatedRun, Wanted};
pub use spec::{
    load_validation, parse_validation, Criterion, CurvesCheck, CyclesCheck, PointCheck, RunSpec,
    Tolerance, ValidationSpec,
};
pub use synthetic::{synthetic_curves, synthetic_cycles, GaussianNoise};

/// Why a validation (or the data of a fit) cannot be read or run.
#[derive(Debug, thiserror::Error)]
pub enum ValidationError {
    /// The file cannot be read.
    #[error("cannot read {}", .file.display())]
    Read {
        /// The file.
        file: PathBuf,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML, or has an unknown key or a value of the wrong type.
    #[error("{}: {message}", .file.display())]
    Syntax {
        /// The file.
        file: PathBuf,
        /// The TOML parser's message (with line and column).
        message: String,
    },
    /// The prediction-bands file named by key `bands` cannot be read.
    #[error("{}{}: key `bands`: {error}", .file.display(), position_suffix(.position))]
    BandsFile {
        /// The validation file.
        file: PathBuf,
        /// Line and column of the key, when found ([`crate::toml_position`]).
        position: Option<Position>,
        /// Why the bands file cannot be read.
        error: bands_file::BandsFileError,
    },
    /// A key has a value that is not allowed.
    #[error("{}{}: key `{key}`: {expected}", .file.display(), position_suffix(.position))]
    Key {
        /// The file.
        file: PathBuf,
        /// Line and column of the key, when found ([`crate::toml_position`]).
        position: Option<Position>,
        /// Dotted path of the key.
        key: String,
        /// What was expected (and what was found).
        expected: String,
    },
    /// A run's scenario does not load.
    #[error("{}: run `{run}`: the scenario does not load", .file.display())]
    Scenario {
        /// The validation file.
        file: PathBuf,
        /// The run's label.
        run: String,
        /// The scenario's error.
        #[source]
        source: Box<crate::scenario::ScenarioError>,
    },
    /// A measured-data file cannot be read (the error names file, line and column).
    #[error(transparent)]
    Measured(#[from] crate::measured::MeasuredError),
    /// A run's `summary.csv` could not be written.
    #[error(transparent)]
    RunOutput(#[from] OutputFailure),
    /// The report, the CSV or the output folder could not be written.
    #[error("cannot write {}", .path.display())]
    Output {
        /// The file or folder.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// The HTML report could not be made or written.
    #[error(transparent)]
    Page(#[from] crate::html::HtmlError),
    /// The figures could not be drawn.
    #[error("the comparisons are written, but the figures could not be drawn")]
    Plots(#[source] crate::figures::FigureError),
    /// A fit's prediction uncertainties do not match the comparisons.
    #[error("{}: the prediction bands do not match the comparisons: {why}", .file.display())]
    Bands {
        /// The validation file.
        file: PathBuf,
        /// What differs.
        why: bands::BandCountMismatch,
    },
    /// The worker pool could not be set up.
    #[error("cannot start {jobs} worker threads: {message}")]
    Pool {
        /// Threads asked for.
        jobs: usize,
        /// The reason.
        message: String,
    },
}
