//! Output writers: they read only solutions (the rows a run streams), never the model.
//!
//! - [`timeseries_csv`]: `timeseries.csv`, written as the run goes, with `run_error.txt` beside
//!   it when a run fails part-way.
//!
//! Per-cycle summaries, plots and the `run.toml` record arrive with the cycling protocol.

pub mod timeseries_csv;

pub use timeseries_csv::{
    AbandonedTimeseries, TimeseriesCsv, RUN_ERROR_FILE, TIMESERIES_FILE, TIMESERIES_HEADER,
    TIMESERIES_PARTIAL_FILE,
};
