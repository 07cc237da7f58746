//! Output writers: they read only solutions (the rows and cycle summaries a run streams),
//! never the model.
//!
//! - [`timeseries_csv`]: `timeseries.csv`, written as the run goes, for the cycles a
//!   [`SaveCycles`] selection keeps, with `run_error.txt` beside it when a run fails part-way;
//! - [`summary_csv`]: `summary.csv`, one row per cycle, written as each cycle ends;
//! - [`run_sink`]: [`RunSink`], the sink of a run that feeds both files and the plot data;
//! - [`plot_data`]: the [`PlotData`] a run collects for its figures, and [`write_plots`], which
//!   hands them to [`crate::figures::run`] as plain data;
//! - [`run_folder`]: the lock of a run's folder, and what an earlier run left there;
//! - [`run_record`]: `run.toml`, the resolved scenario, the asslb version and solver statistics;
//! - [`impedance_csv`]: `impedance.csv`, impedance spectra, streamed as a run takes them;
//! - [`impedance_fit_csv`]: `impedance_fit.csv`, equivalent-circuit fits one row per spectrum,
//!   and `impedance_fitted.csv`, a spectrum beside its fit;
//! - [`spectrum_fits`]: the equivalent-circuit fits of a run's spectra, as they come;
//!
//! The figures themselves are drawn by [`crate::figures`].

pub mod impedance_csv;
pub mod impedance_fit_csv;
pub mod plot_data;
pub mod progress;
mod resume;
pub use resume::RowsError;
pub mod run_folder;
pub mod run_record;
pub mod run_sink;
pub mod spectrum_fits;
pub mod summary_csv;
pub mod timeseries_csv;

pub use impedance_csv::{write_impedance, ImpedanceCsv, IMPEDANCE_FILE, IMPEDANCE_HEADER};
pub use impedance_fit_csv::{
    impedance_fit_header, write_fitted_spectrum, ImpedanceFitCsv, IMPEDANCE_FITTED_FILE,
    IMPEDANCE_FITTED_HEADER, IMPEDANCE_FIT_FILE,
};
pub use plot_data::{write_plots, PlotData};
pub use progress::{CycleTally, Observing, Progress, RunObserver, STOPPED_BY_OBSERVER};
pub use run_folder::{EarlierRun, FolderError, FolderLock, LockHolder, LOCK_FILE};
pub use run_record::{scenario_digest, write_run_record, RunStatus, RUN_RECORD_FILE};
pub use run_sink::{RunFiles, RunSink, CHECKPOINT_FILE, RUN_PAGE_FILE, RUN_REPORT_FILE};
pub use summary_csv::{
    check_summary, read_summary, summary_column, summary_values, SummaryCsv, SUMMARY_FILE,
    SUMMARY_HEADER, SUMMARY_VALUES,
};
pub use timeseries_csv::{
    AbandonedTimeseries, SaveCycles, TimeseriesCsv, RUN_ERROR_FILE, TIMESERIES_FILE,
    TIMESERIES_HEADER, TIMESERIES_PARTIAL_FILE,
};
