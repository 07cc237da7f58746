//! `asslb`: the command-line front end. It parses flags, calls into the library, prints the
//! result or the full error chain, and picks the exit code (0 success, 1 failure, 2 bad flags).
//!
//! This file holds the command line's definition and the dispatch; each command is a module of
//! its own, and what a command prints at length comes from the library.

mod activity;
mod check;
mod common;
mod fit;
mod fit_impedance;
mod impedance;
mod import;
mod params;
mod robustness;
mod run;
mod runs_progress;
mod sweep;
mod validate;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// asslb — physics-based simulator of all-solid-state lithium battery cells (P2D model).
#[derive(Debug, Parser)]
#[command(name = "asslb", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a scenario: writes timeseries.csv, summary.csv, the figures and run.toml into <out>.
    ///
    /// While it runs, a progress line (cycle, bar, cycles per second, time left, the last
    /// cycle's discharge capacity and coulombic efficiency) is drawn on standard error, only
    /// when that is a terminal and `--quiet` is not given. At the end a one-screen summary
    /// goes to standard output: capacities of the first and last cycle, capacity retention,
    /// coulombic efficiency, mean discharge voltage, the last cycle's steps, solver statistics,
    /// wall time and the files written. With `--quiet` only the output folder is printed.
    /// Errors always go to standard error.
    Run(run::Args),
    /// Validate a scenario without solving, and print what it would run.
    Check(check::Args),
    /// The impedance spectrum of the scenario's cell in its initial (rested) state, from the
    /// linearised model: writes impedance.csv into <out> and prints a short table.
    ///
    /// The frequencies are those of the scenario's `[impedance]` section when it has one
    /// (default 10 mHz – 1 MHz, 10 per decade); the flags override them.
    Impedance(impedance::Args),
    /// Fit an equivalent circuit to an impedance spectrum by bounded non-linear least squares
    /// (Levenberg–Marquardt, modulus weighting) and print each parameter with its standard
    /// uncertainty and the reduced χ².
    ///
    /// The spectrum is a CSV file with a header row naming the columns `frequency_Hz`,
    /// `z_re_ohm` and `z_im_ohm` (any order, other columns ignored), as `asslb impedance`
    /// writes; with a `cycle` column holding several cycles, choose one with --cycle. With
    /// --out, writes impedance_fit.csv (the parameters) and impedance_fitted.csv (the data
    /// beside the fitted circuit) into DIR.
    FitImpedance(fit_impedance::Args),
    /// Run a parameter sweep: every case of the sweep file (a base scenario with overrides),
    /// in parallel, each into <out>/cases/<case>/ as `asslb run` would, then <out>/sweep.csv
    /// with one row of key figures per case (docs/sweep.md).
    ///
    /// Every case is validated before anything runs. A case that fails is recorded as failed
    /// (its case.toml) and the others go on; the exit code is then 1. `asslb sweep merge`
    /// combines the folders of shards.
    Sweep(sweep::Args),
    /// Validate against measured data: run the scenarios a validation file names (in
    /// parallel), compare every measured quantity with its simulated value and print the
    /// table (quantity, conditions, measured, simulated, error, tolerance, pass/fail).
    ///
    /// Writes into <out>: comparison.csv, report.md with the figures (measured data over the
    /// simulated capacity, coulombic efficiency and mean voltage against cycle, and voltage
    /// against capacity), and runs/<run>/summary.csv. Exit code 1 when a quantity is out of
    /// tolerance or a run failed (docs/validation.md).
    Validate(validate::Args),
    /// Fit cell parameters to measured data: the parameters a fit file names (bounds, linear or
    /// log scale), against the runs and measured data of its validation file, by bounded
    /// Levenberg-Marquardt with finite-difference Jacobians of simulations run in parallel.
    ///
    /// Prints the fitted values with their standard uncertainties, the correlations, the
    /// residual statistics and the comparisons at the fitted values. Writes into <out>:
    /// fit_trials.csv (every trial point, as the fit goes), fit_parameters.csv,
    /// fit_correlation.csv, fit_residuals.csv, fit_report.md,
    /// fitted/<run>/scenario.toml with its complete parameters.toml (run it with `asslb run`),
    /// and validation/ (the validation at the fitted values). Exit code 1 when the fitted model
    /// is out of tolerance for some measured quantity (docs/fitting.md).
    Fit(fit::Args),
    /// Import a cycler export into the per-cycle schema of measured data (docs/measured_data.md):
    /// the columns of summary.csv, with the mapping's provenance as `# key: value` lines.
    ///
    /// Exports of a known format (Neware, Arbin, Maccor, EC-Lab .mpt, BDF; text in any common
    /// encoding or .xlsx) are detected and need no mapping (--format forces one); --curves
    /// writes their voltage curves. Otherwise a column-mapping TOML names the export's columns
    /// for each per-cycle column, with scale, offset, per-gram and per-cycle aggregation
    /// (examples in validation/mappings/). The output is written atomically: on any error
    /// nothing is written.
    Import(import::Args),
    /// The robustness suite: random but plausible cases over every built-in parameter set
    /// (C-rates, temperatures, CC, CV holds, rests, pulses, formation, vs-Li/Li+ cut-offs,
    /// cycle jumping, impedance, cathode multipliers), each run as `asslb run` in a child
    /// process with a timeout and classified: completed, clean error, solver failure,
    /// non-physical values, panic, abort, timeout (docs/robustness.md).
    ///
    /// Case i of seed S is the same whatever --cases and --jobs. Writes into <out>: cases/<i>/
    /// (the run of every case that did not complete), cases.csv (one row per case with its
    /// command line) and report.md. Exit code 1 when a case neither completed nor was rejected
    /// before solving.
    Robustness(robustness::Args),
    /// The built-in parameter sets.
    Params {
        #[command(subcommand)]
        command: params::Command,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run::run(args),
        Command::Check(args) => check::run(args),
        Command::Impedance(args) => impedance::run(args),
        Command::FitImpedance(args) => fit_impedance::run(args),
        Command::Sweep(args) => sweep::run(args),
        Command::Validate(args) => validate::run(args),
        Command::Fit(args) => fit::run(args),
        Command::Import(args) => import::run(args),
        Command::Robustness(args) => robustness::run(args),
        Command::Params { command } => params::run(command),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("caused by: {cause}");
            }
            ExitCode::from(1)
        }
    }
}
