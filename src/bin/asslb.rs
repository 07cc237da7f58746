//! `asslb`: the command-line front end. It parses flags, calls into the library, prints the
//! result or the full error chain, and picks the exit code (0 success, 1 failure, 2 bad flags).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::{Parser, Subcommand};

use asslb::output::progress::format_rate;
use asslb::output::{read_summary, CycleTally, Progress};
use asslb::protocol::simulate::StepEnd;
use asslb::protocol::CycleSummary;
use asslb::scenario::{
    builtin_parameter_set, builtin_parameter_set_names, describe_parameters, describe_step,
    load_interrupted_run, load_parameter_set, load_scenario_with, resume_run, run_scenario,
    ExistingFiles, RunReport, Scenario, SetOverride,
};
use asslb::sweep::{load_sweep, merge_sweeps, run_sweep, CaseRecord, Shard, SweepOptions};

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
    Run {
        /// The scenario file (TOML).
        #[arg(required_unless_present = "resume")]
        scenario: Option<PathBuf>,
        /// Output folder [default: out/<scenario name>]. A folder that holds an earlier run
        /// (finished, failed or interrupted) is refused unless --overwrite is given; a folder
        /// another run is writing into is always refused.
        #[arg(long, value_name = "DIR", conflicts_with = "resume")]
        out: Option<PathBuf>,
        /// Replace the files of an earlier run in the output folder.
        #[arg(long, conflicts_with = "resume")]
        overwrite: bool,
        /// Continue the interrupted run in DIR from its last checkpoint (written every 50
        /// cycles), with the scenario recorded in DIR/run.toml. The results are those of an
        /// uninterrupted run.
        #[arg(long, value_name = "DIR", conflicts_with_all = ["scenario", "set"])]
        resume: Option<PathBuf>,
        /// No progress line and no summary: print only the output folder on success.
        #[arg(short, long)]
        quiet: bool,
        #[command(flatten)]
        sets: Sets,
    },
    /// Validate a scenario without solving, and print what it would run.
    Check {
        /// The scenario file (TOML).
        scenario: PathBuf,
        #[command(flatten)]
        sets: Sets,
    },
    /// The impedance spectrum of the scenario's cell in its initial (rested) state, from the
    /// linearised model: writes impedance.csv into <out> and prints a short table.
    ///
    /// The frequencies are those of the scenario's `[impedance]` section when it has one
    /// (default 10 mHz – 1 MHz, 10 per decade); the flags override them.
    Impedance {
        /// The scenario file (TOML).
        scenario: PathBuf,
        /// Output folder [default: out/<scenario name>].
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Lowest frequency [Hz] [default: impedance.f_min_Hz, or 0.01].
        #[arg(long)]
        f_min: Option<f64>,
        /// Highest frequency [Hz] [default: impedance.f_max_Hz, or 1e6].
        #[arg(long)]
        f_max: Option<f64>,
        /// Frequencies per decade [default: impedance.points_per_decade, or 10].
        #[arg(long)]
        per_decade: Option<usize>,
        /// Also fit this equivalent circuit (impedance.py notation) and write impedance_fit.csv
        /// and impedance_fitted.csv [default: impedance.circuit, if any].
        #[arg(long)]
        circuit: Option<String>,
        #[command(flatten)]
        sets: Sets,
    },
    /// Fit an equivalent circuit to an impedance spectrum by bounded non-linear least squares
    /// (Levenberg–Marquardt, modulus weighting) and print each parameter with its standard
    /// uncertainty and the reduced χ².
    ///
    /// The spectrum is a CSV file with a header row naming the columns `frequency_Hz`,
    /// `z_re_ohm` and `z_im_ohm` (any order, other columns ignored), as `asslb impedance`
    /// writes; with a `cycle` column holding several cycles, choose one with --cycle. With
    /// --out, writes impedance_fit.csv (the parameters) and impedance_fitted.csv (the data
    /// beside the fitted circuit) into DIR.
    FitImpedance {
        /// The spectrum file (CSV).
        spectrum: PathBuf,
        /// The circuit, in impedance.py notation: elements R, C, L, CPE, W, Wo, Ws with an
        /// index, in series with `-`, in parallel with `p(a,b)` [default: the paper's circuit].
        #[arg(long, default_value = asslb::impedance::PAPER_CIRCUIT)]
        circuit: String,
        /// The cycle whose spectrum to fit, when the file has a `cycle` column.
        #[arg(long, value_name = "N")]
        cycle: Option<usize>,
        /// Output folder for impedance_fit.csv and impedance_fitted.csv.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Run a parameter sweep: every case of the sweep file (a base scenario with overrides),
    /// in parallel, each into <out>/cases/<case>/ as `asslb run` would, then <out>/sweep.csv
    /// with one row of key figures per case (docs/sweep.md).
    ///
    /// Every case is validated before anything runs. A case that fails is recorded as failed
    /// (its case.toml) and the others go on; the exit code is then 1. `asslb sweep merge`
    /// combines the folders of shards.
    Sweep(SweepArgs),
    /// Validate against measured data: run the scenarios a validation file names (in
    /// parallel), compare every measured quantity with its simulated value and print the
    /// table (quantity, conditions, measured, simulated, error, tolerance, pass/fail).
    ///
    /// Writes into <out>: comparison.csv, report.md with the figures (measured data over the
    /// simulated capacity, coulombic efficiency and mean voltage against cycle, and voltage
    /// against capacity), and runs/<run>/summary.csv. Exit code 1 when a quantity is out of
    /// tolerance or a run failed (docs/validation.md).
    Validate {
        /// The validation file (TOML), e.g. validation/wu2022.toml.
        file: PathBuf,
        /// Output folder [default: out/validation/<name>].
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Runs at once [default: the number of cores].
        #[arg(long, value_name = "N")]
        jobs: Option<usize>,
    },
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
    Fit {
        /// The fit file (TOML).
        file: PathBuf,
        /// Output folder [default: out/fit/<name>].
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Simulations at once [default: the number of cores].
        #[arg(long, value_name = "N")]
        jobs: Option<usize>,
        /// Print only the summary, not every trial point.
        #[arg(short, long)]
        quiet: bool,
    },
    /// Import a cycler export into the per-cycle schema of measured data (docs/measured_data.md):
    /// the columns of summary.csv, with the mapping's provenance as `# key: value` lines.
    ///
    /// The column-mapping TOML names the export's columns for each per-cycle column, with scale,
    /// offset, per-gram and per-cycle aggregation (examples in validation/mappings/). The output
    /// is written atomically: on any error nothing is written.
    Import {
        /// The cycler export (delimited text).
        export: PathBuf,
        /// The column-mapping file (TOML).
        #[arg(long, value_name = "TOML")]
        mapping: PathBuf,
        /// Active-material mass [g] for the per-gram columns; replaces the mapping's
        /// active_mass_g.
        #[arg(long, value_name = "M")]
        active_mass_g: Option<f64>,
        /// The per-cycle CSV file to write.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
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
    Robustness(RobustnessArgs),
    /// The built-in parameter sets.
    Params {
        #[command(subcommand)]
        command: ParamsCommand,
    },
}

#[derive(Debug, clap::Args)]
struct Sets {
    /// Change the scenario before it is validated, as if the line `<PATH> = <VALUE>` were in
    /// the file; repeatable, applied in order. VALUE is TOML (lists and tables work; a bare word
    /// is a string). PATH is a scenario key (`mesh.particle_r_cells=10`,
    /// `'experiment=["Discharge at 5C until 1.38 V"]'`) or a parameter path, short for
    /// `parameters."<path>"` (`positive.thickness_m=3e-5`).
    #[arg(long = "set", value_name = "PATH=VALUE", value_parser = parse_set)]
    set: Vec<SetOverride>,
}

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
struct SweepArgs {
    #[command(subcommand)]
    command: Option<SweepCommand>,
    /// The sweep file (TOML).
    #[arg(required = true)]
    file: Option<PathBuf>,
    /// Output folder [default: out/<sweep name>, or out/<sweep name>-shard-<i>-of-<n>].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Rerun only the cases without an `ok` record in the output folder, which must hold the
    /// same sweep.
    #[arg(long)]
    resume: bool,
    /// Run only shard i of n: the cases whose index k (from 1) has (k - 1) mod n = i - 1.
    #[arg(long, value_name = "i/n", value_parser = parse_shard)]
    shard: Option<Shard>,
    /// Cases run at once [default: the number of cores].
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// Print only the output folder (and failed cases on standard error).
    #[arg(short, long)]
    quiet: bool,
}

#[derive(Debug, clap::Args)]
struct RobustnessArgs {
    /// Number of cases (cases 1 to N of the seed).
    #[arg(long, value_name = "N", default_value_t = 100)]
    cases: u64,
    /// Seed of the generator.
    #[arg(long, value_name = "S", default_value_t = 1)]
    seed: u64,
    /// Cases run at once [default: the available parallelism].
    #[arg(long, value_name = "J")]
    jobs: Option<usize>,
    /// Wall-clock limit of one case [s]; a case still running then is killed (`timeout`).
    #[arg(long, value_name = "T", default_value_t = 120.0)]
    timeout_s: f64,
    /// Limit on the size of one case's folder [MB]; a case whose run writes more (rows
    /// without end) is killed (`timeout`).
    #[arg(long, value_name = "MB", default_value_t = 500)]
    max_output_mb: u64,
    /// Output folder [default: out/robustness/seed-<S>].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Keep the folders of completed cases too (by default only the others are kept).
    #[arg(long)]
    keep: bool,
    /// No line per case as it ends: only the summary.
    #[arg(short, long)]
    quiet: bool,
}

#[derive(Debug, Subcommand)]
enum SweepCommand {
    /// Combine the output folders of the shards of one sweep into one sweep.csv (and
    /// sweep.toml, pointing at the cases where they are; nothing is copied).
    Merge {
        /// The shards' output folders.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Output folder for the merged sweep.csv and sweep.toml.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
}

fn parse_shard(arg: &str) -> Result<Shard, String> {
    arg.parse::<Shard>().map_err(|e| match e {
        asslb::sweep::SweepError::Shard { expected, .. } => expected,
        other => other.to_string(),
    })
}

#[derive(Debug, Subcommand)]
enum ParamsCommand {
    /// List the built-in parameter sets: name, cell and source.
    List,
    /// Show every parameter of a set with its value and unit, and its source.
    Show {
        /// A built-in set's name, or the path of a parameter file.
        set: String,
    },
}

fn parse_set(arg: &str) -> Result<SetOverride, String> {
    // The argument is already in clap's message; say only what is wrong with it.
    SetOverride::parse(arg).map_err(|e| match e {
        asslb::scenario::ScenarioError::Set { expected, .. } => expected,
        other => other.to_string(),
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
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

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Check { scenario, sets } => {
            let scenario = load(&scenario, &sets.set)?;
            print!("{}", scenario.describe());
            println!("ok: the scenario is valid (nothing was solved)");
            Ok(())
        }
        Command::Run {
            scenario,
            out,
            overwrite,
            resume,
            quiet,
            sets,
        } => {
            // Everything is validated before the output folder is touched.
            let (scenario, out, checkpoint) = match (resume, scenario) {
                (Some(dir), _) => {
                    let (scenario, checkpoint) = load_interrupted_run(&dir)
                        .with_context(|| format!("cannot resume the run in {}", dir.display()))?;
                    (scenario, dir, Some(checkpoint))
                }
                (None, Some(path)) => {
                    let scenario = load(&path, &sets.set)?;
                    let out = out.unwrap_or_else(|| PathBuf::from("out").join(&scenario.name));
                    (scenario, out, None)
                }
                (None, None) => anyhow::bail!("a scenario file or --resume <DIR> is needed"),
            };
            let n = scenario.experiment.cycles();
            if !quiet {
                match &checkpoint {
                    Some(cp) => println!(
                        "resuming scenario `{}` in {} after cycle {} of {n}",
                        scenario.name,
                        out.display(),
                        cp.cycles_done
                    ),
                    None => println!(
                        "running scenario `{}` ({n} cycle{}) into {}",
                        scenario.name,
                        plural(n as u64),
                        out.display()
                    ),
                }
            }
            let started = Instant::now();
            let mut progress = Progress::new(n, scenario.parameters.active_mass_kg(), quiet);
            let result = match &checkpoint {
                Some(cp) => {
                    let earlier =
                        read_summary(&out, scenario.parameters.host_capacity_ah(), cp.cycles_done)
                            .with_context(|| {
                                format!("cannot read the finished cycles in {}", out.display())
                            })?;
                    progress = progress.continuing(&earlier);
                    resume_run(&scenario, cp, &out, &mut progress)
                }
                None => {
                    let existing = if overwrite {
                        ExistingFiles::Replace
                    } else {
                        ExistingFiles::Refuse
                    };
                    run_scenario(&scenario, &out, existing, &mut progress)
                }
            };
            // The progress line goes before anything else is printed, errors included.
            progress.finish();
            let report = result?;
            if quiet {
                println!("{}", out.display());
            } else {
                let total_s = started.elapsed().as_secs_f64();
                print_summary(&scenario, &report, progress.tally(), &out, total_s);
            }
            Ok(())
        }
        Command::Impedance {
            scenario,
            out,
            f_min,
            f_max,
            per_decade,
            circuit,
            sets,
        } => {
            let scenario = load(&scenario, &sets.set)?;
            let defaults = scenario.impedance.clone().unwrap_or_default();
            let f_min = f_min.unwrap_or(defaults.f_min_hz);
            let f_max = f_max.unwrap_or(defaults.f_max_hz);
            let per_decade = per_decade.unwrap_or(defaults.points_per_decade);
            if !(f_min.is_finite() && f_min > 0.0) {
                anyhow::bail!("--f-min: expected a positive frequency in Hz, found {f_min}");
            }
            if !(f_max.is_finite() && f_max > f_min) {
                anyhow::bail!(
                    "--f-min and --f-max: expected f_min < f_max (the frequencies must increase), found {f_min} and {f_max} Hz"
                );
            }
            if per_decade == 0 {
                anyhow::bail!("--per-decade: expected at least 1 frequency per decade, found 0");
            }
            let settings = asslb::protocol::ImpedanceSettings {
                f_min_hz: f_min,
                f_max_hz: f_max,
                points_per_decade: per_decade,
                ..defaults
            };
            // The accepted ranges (at most 1000 per decade, 10 000 frequencies) before any
            // frequency is made.
            settings.validate().map_err(|e| {
                let flag = match e.key {
                    "f_min_Hz" => "--f-min",
                    "f_max_Hz" => "--f-max",
                    "points_per_decade" => "--per-decade",
                    other => other,
                };
                anyhow::anyhow!("{flag} (impedance.{}): {}", e.key, e.message)
            })?;
            let frequencies = settings.frequencies_hz();
            let z =
                asslb::protocol::spectrum_at_rest(&scenario.parameters, &scenario.mesh, &settings)?;
            let circuit = match circuit.as_deref().or(settings.circuit.as_deref()) {
                Some(text) => Some(
                    asslb::impedance::Circuit::parse(text)
                        .with_context(|| format!("invalid circuit \"{text}\""))?,
                ),
                None => None,
            };
            let out = out.unwrap_or_else(|| PathBuf::from("out").join(&scenario.name));
            std::fs::create_dir_all(&out)
                .with_context(|| format!("cannot create the output folder {}", out.display()))?;
            let path = asslb::output::write_impedance(&out, 0, &frequencies, &z)
                .with_context(|| format!("cannot write the spectrum into {}", out.display()))?;
            let p = &scenario.parameters;
            if p.positive.double_layer_capacitance_f_m2 == 0.0
                || p.negative.double_layer_capacitance_f_m2 == 0.0
            {
                println!(
                    "note: a double-layer capacitance is 0, so that interface shows no arc (set positive.double_layer_capacitance_F_m2 and negative.double_layer_capacitance_F_m2)"
                );
            }
            println!("{:>14} {:>14} {:>14}", "frequency_Hz", "Z'_ohm", "-Z''_ohm");
            for (k, (f, zf)) in frequencies.iter().zip(&z).enumerate() {
                if k % per_decade == 0 {
                    println!("{f:>14.4e} {:>14.4} {:>14.4}", zf.re, -zf.im);
                }
            }
            println!(
                "{} frequencies written to {}",
                frequencies.len(),
                path.display()
            );
            if let Some(circuit) = circuit {
                let spectrum = asslb::impedance::Spectrum::new(frequencies, z)?;
                let fit = asslb::impedance::fit_circuit(&circuit, &spectrum, None)
                    .with_context(|| format!("cannot fit {} to the spectrum", circuit.text()))?;
                println!("circuit {} fitted:", circuit.text());
                print!("{}", fit.table());
                write_fit(&out, &circuit, 0, &spectrum, &fit)?;
            }
            Ok(())
        }
        Command::FitImpedance {
            spectrum,
            circuit,
            cycle,
            out,
        } => fit_impedance(&spectrum, &circuit, cycle, out.as_deref()),
        Command::Sweep(args) => sweep(args),
        Command::Robustness(args) => robustness(args),
        Command::Validate { file, out, jobs } => validate(&file, out, jobs),
        Command::Fit {
            file,
            out,
            jobs,
            quiet,
        } => fit(&file, out, jobs, quiet),
        Command::Import {
            export,
            mapping,
            active_mass_g,
            out,
        } => {
            let map = asslb::measured::load_mapping(&mapping)?;
            let cycles = asslb::measured::import_export(&export, &map, active_mass_g)?;
            asslb::measured::write_cycles_atomically(&cycles, &out)?;
            let columns: Vec<&str> = cycles.columns.iter().map(|c| c.name.as_str()).collect();
            println!(
                "imported {} cycle{} ({}) into {}",
                cycles.cycles.len(),
                plural(cycles.cycles.len() as u64),
                columns.join(", "),
                out.display()
            );
            Ok(())
        }
        Command::Params { command } => match command {
            ParamsCommand::List => {
                for name in builtin_parameter_set_names() {
                    let Some(set) = builtin_parameter_set(name) else {
                        continue;
                    };
                    let params = set.load()?;
                    println!(
                        "{name}\n  {}\n  source: {}\n",
                        set.description, params.source
                    );
                }
                println!(
                    "`asslb params show <name>` lists every parameter of a set with its unit."
                );
                Ok(())
            }
            ParamsCommand::Show { set } => {
                if builtin_parameter_set(&set).is_none() && !Path::new(&set).exists() {
                    anyhow::bail!(
                        "unknown parameter set `{set}`: expected the name of a built-in set ({}) or the path of a parameter file",
                        builtin_parameter_set_names()
                            .iter()
                            .map(|n| format!("`{n}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                }
                let params = load_parameter_set(&set)
                    .with_context(|| format!("invalid parameter set `{set}`"))?;
                print!("{}", describe_parameters(&params));
                Ok(())
            }
        },
    }
}

/// `asslb fit-impedance`: everything is read and checked before the output folder is touched.
fn fit_impedance(
    path: &Path,
    circuit: &str,
    cycle: Option<usize>,
    out: Option<&Path>,
) -> anyhow::Result<()> {
    use asslb::impedance::{fit_circuit, read_spectra_csv, read_spectrum_csv, Circuit};
    let circuit =
        Circuit::parse(circuit).with_context(|| format!("invalid --circuit \"{circuit}\""))?;
    let spectrum = read_spectrum_csv(path, cycle)
        .map_err(|e| match e {
            asslb::impedance::SpectrumError::SeveralCycles { .. } => {
                anyhow::anyhow!("{e} with --cycle N")
            }
            other => anyhow::Error::new(other),
        })
        .with_context(|| format!("cannot read the spectrum {}", path.display()))?;
    // The cycle of the row: the chosen one, or the file's only one, or 0.
    let cycle = match cycle {
        Some(c) => c,
        None => read_spectra_csv(path)?
            .first()
            .and_then(|s| s.cycle)
            .unwrap_or(0),
    };
    let fit = fit_circuit(&circuit, &spectrum, None)
        .with_context(|| format!("cannot fit {} to {}", circuit.text(), path.display()))?;
    let (f_first, f_last) = (
        spectrum.frequency_hz[0],
        spectrum.frequency_hz[spectrum.len() - 1],
    );
    println!(
        "circuit {} fitted to {} points of {} (cycle {cycle}; frequencies {} from {f_first:e} to {f_last:e} Hz)",
        circuit.text(),
        spectrum.len(),
        path.display(),
        match spectrum.order() {
            asslb::impedance::FrequencyOrder::Increasing => "increasing",
            asslb::impedance::FrequencyOrder::Decreasing => "decreasing",
        }
    );
    print!("{}", fit.table());
    if let Some(dir) = out {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the output folder {}", dir.display()))?;
        write_fit(dir, &circuit, cycle, &spectrum, &fit)?;
    }
    Ok(())
}

/// Writes `<dir>/impedance_fit.csv` (one row) and `<dir>/impedance_fitted.csv`.
fn write_fit(
    dir: &Path,
    circuit: &asslb::impedance::Circuit,
    cycle: usize,
    spectrum: &asslb::impedance::Spectrum,
    fit: &asslb::impedance::CircuitFit,
) -> anyhow::Result<()> {
    {
        let mut csv = asslb::output::ImpedanceFitCsv::create(dir, circuit).with_context(|| {
            format!(
                "cannot write {}",
                dir.join(asslb::output::IMPEDANCE_FIT_FILE).display()
            )
        })?;
        csv.append(cycle, fit)
            .with_context(|| format!("cannot write {}", csv.path().display()))?;
        let fitted =
            asslb::output::write_fitted_spectrum(dir, spectrum, fit).with_context(|| {
                format!(
                    "cannot write {}",
                    dir.join(asslb::output::IMPEDANCE_FITTED_FILE).display()
                )
            })?;
        println!("written: {} and {}", csv.path().display(), fitted.display());
    }
    Ok(())
}

fn validate(file: &Path, out: Option<PathBuf>, jobs: Option<usize>) -> anyhow::Result<()> {
    if jobs == Some(0) {
        anyhow::bail!("--jobs: expected at least 1");
    }
    let spec = asslb::validation::load_validation(file)?;
    let out = out.unwrap_or_else(|| PathBuf::from("out/validation").join(&spec.name));
    println!(
        "validation `{}`: {} run{} into {}",
        spec.name,
        spec.runs.len(),
        plural(spec.runs.len() as u64),
        out.display()
    );
    let options = asslb::validation::ValidateOptions {
        out: out.clone(),
        jobs,
        residual_std_errors: None,
    };
    let report = asslb::validation::run_validation_observed(&spec, &options, &|run| {
        let cycles = run.cycles.len();
        match (&run.summary, &run.error) {
            (Some(s), _) => println!(
                "  run `{}`: {} cycle{} ({} resolved) in {:.2} s",
                run.label,
                s.cycles,
                plural(s.cycles as u64),
                cycles,
                s.wall_time_s
            ),
            (None, _) => println!(
                "  run `{}`: failed after {cycles} cycle{}",
                run.label,
                plural(cycles as u64)
            ),
        }
    })?;
    print!(
        "{}",
        asslb::validation::comparison_table(&report.comparisons)
    );
    if let Some(note) = &report.bands_note {
        println!("note: {note}");
    }
    for run in &report.runs {
        if let Some(e) = &run.error {
            eprintln!("run `{}` failed: {}", run.label, e.replace('\n', "; "));
        }
    }
    println!(
        "runs {:.1} s; report: {}",
        report.wall_time_s,
        report.report.display()
    );
    if !report.passed() {
        let failed = report.comparisons.iter().filter(|c| !c.pass).count();
        anyhow::bail!(
            "{failed} of {} comparison{} out of tolerance{}",
            report.comparisons.len(),
            plural(report.comparisons.len() as u64),
            if report.runs.iter().any(|r| r.error.is_some()) {
                " (a run failed)"
            } else {
                ""
            }
        );
    }
    Ok(())
}

fn fit(file: &Path, out: Option<PathBuf>, jobs: Option<usize>, quiet: bool) -> anyhow::Result<()> {
    use asslb::fitting::FitProgress;
    if jobs == Some(0) {
        anyhow::bail!("--jobs: expected at least 1");
    }
    let spec = asslb::fitting::load_fit(file)?;
    let out = out.unwrap_or_else(|| PathBuf::from("out/fit").join(&spec.name));
    println!(
        "fit `{}`: {} parameter{} against {} ({} run{}) into {}",
        spec.name,
        spec.parameters.len(),
        plural(spec.parameters.len() as u64),
        spec.validation.path.display(),
        spec.validation.runs.len(),
        plural(spec.validation.runs.len() as u64),
        out.display()
    );
    let names: Vec<&str> = spec.parameters.iter().map(|p| p.path.as_str()).collect();
    std::fs::create_dir_all(&out)
        .with_context(|| format!("cannot create the output folder {}", out.display()))?;
    let log = std::sync::Mutex::new(asslb::fitting::TrialLog::create(&out, &names).with_context(
        || {
            format!(
                "cannot write {}",
                out.join(asslb::fitting::TRIALS_FILE).display()
            )
        },
    )?);
    let result = asslb::fitting::fit_cell(&spec, jobs, &|event: &FitProgress| {
        if let Ok(mut log) = log.lock() {
            log.record(event);
        }
        if quiet {
            return;
        }
        match event {
            FitProgress::Evaluation {
                evaluation,
                values,
                ssr,
                failed,
            } => {
                let point: Vec<String> = names
                    .iter()
                    .zip(values)
                    .map(|(n, v)| format!("{n}={v:.5e}"))
                    .collect();
                println!(
                    "  trial {evaluation:>3}: SSR {ssr:.6e}{}  {}",
                    if *failed { " (a run fell short)" } else { "" },
                    point.join(" ")
                );
            }
            FitProgress::Jacobian {
                jacobian,
                simulations,
                failed,
            } => println!(
                "  Jacobian {jacobian:>3}: {simulations} simulations{}",
                if *failed > 0 {
                    format!(" ({failed} failed: one-sided differences there)")
                } else {
                    String::new()
                }
            ),
        }
    });
    let log = log.into_inner().ok();
    if let Some(e) = log.as_ref().and_then(|l| l.error()) {
        eprintln!(
            "warning: the trial log {} is incomplete: {e}",
            out.join(asslb::fitting::TRIALS_FILE).display()
        );
    }
    let report = match result {
        Ok(report) => report,
        Err(e) => {
            eprintln!(
                "the trial points so far are in {}",
                out.join(asslb::fitting::TRIALS_FILE).display()
            );
            return Err(e.into());
        }
    };
    let files = asslb::fitting::write_fit_outputs(&out, &spec, &report, jobs)?;
    print!("{}", asslb::fitting::fit_summary(&report, &files));
    println!(
        "report: {}; fitted scenario{}: {}",
        files.report.display(),
        plural(files.scenarios.len() as u64),
        files
            .scenarios
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    if !files.validation.passed() {
        let failed = files
            .validation
            .comparisons
            .iter()
            .filter(|c| !c.pass)
            .count();
        anyhow::bail!(
            "the fitted model does not explain the data: {failed} of {} comparison{} out of tolerance at the fitted values (RMS residual {:.2} tolerances, reduced chi-square {:.3})",
            files.validation.comparisons.len(),
            plural(files.validation.comparisons.len() as u64),
            report.rms_residual(),
            report.fit.reduced_chi2
        );
    }
    Ok(())
}

fn sweep(args: SweepArgs) -> anyhow::Result<()> {
    if let Some(SweepCommand::Merge { dirs, out }) = args.command {
        let table = merge_sweeps(&dirs, &out)?;
        println!("{}", table.display());
        return Ok(());
    }
    let Some(file) = args.file else {
        anyhow::bail!("a sweep file is needed");
    };
    let sweep = load_sweep(&file)?;
    let out = args.out.unwrap_or_else(|| {
        let name = match args.shard {
            Some(s) => format!("{}-shard-{}-of-{}", sweep.name, s.index, s.count),
            None => sweep.name.clone(),
        };
        PathBuf::from("out").join(name)
    });
    let quiet = args.quiet;
    if !quiet {
        println!(
            "sweep `{}`: {} case{} ({}){} into {}",
            sweep.name,
            sweep.cases.len(),
            plural(sweep.cases.len() as u64),
            sweep.mode.as_str(),
            args.shard
                .map(|s| format!(", shard {s}"))
                .unwrap_or_default(),
            out.display()
        );
    }
    let options = SweepOptions {
        out: out.clone(),
        resume: args.resume,
        shard: args.shard,
        jobs: args.jobs,
    };
    let report = run_sweep(&sweep, &options, &|case: &CaseRecord| {
        if case.status != asslb::sweep::CaseStatus::Ok {
            eprintln!(
                "case {} `{}` failed after {:.2} s: {}",
                case.index,
                case.id,
                case.wall_time_s,
                case.error.as_deref().unwrap_or("").replace('\n', "; ")
            );
        } else if !quiet {
            println!(
                "case {} `{}` ok in {:.2} s",
                case.index, case.id, case.wall_time_s
            );
        }
    })?;
    if quiet {
        println!("{}", out.display());
    } else {
        println!(
            "{} case{} run, {} already finished, {} failed; table: {}",
            report.ran.len(),
            plural(report.ran.len() as u64),
            report.skipped,
            report.failed,
            report.table.display()
        );
        if !report.figures.is_empty() {
            println!(
                "figures: {}",
                report
                    .figures
                    .iter()
                    .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    if report.failed > 0 {
        anyhow::bail!(
            "{} case{} of the sweep failed (see their case.toml); rerun them with --resume",
            report.failed,
            plural(report.failed as u64)
        );
    }
    Ok(())
}

fn robustness(args: RobustnessArgs) -> anyhow::Result<()> {
    use asslb::robustness::{
        run_suite, summary_text, write_cases_csv, write_report_md, CaseResult, Generator, Launcher,
        SuiteOptions, CASES_CSV_FILE, REPORT_FILE,
    };
    if args.cases == 0 {
        anyhow::bail!("--cases: expected at least 1");
    }
    if args.max_output_mb == 0 {
        anyhow::bail!("--max-output-mb: expected at least 1");
    }
    if !(args.timeout_s.is_finite() && args.timeout_s > 0.0 && args.timeout_s <= 1e6) {
        anyhow::bail!(
            "--timeout-s: expected a number of seconds in (0, 1e6], found {}",
            args.timeout_s
        );
    }
    let out = args
        .out
        .unwrap_or_else(|| PathBuf::from(format!("out/robustness/seed-{}", args.seed)));
    let generator = Generator::new(args.seed)?;
    let cases = generator.cases(args.cases);
    let options = SuiteOptions {
        out: out.clone(),
        jobs: args.jobs,
        timeout: std::time::Duration::from_secs_f64(args.timeout_s),
        max_output_bytes: args.max_output_mb.saturating_mul(1_000_000),
        launcher: Launcher::current_exe()?,
        keep_completed: args.keep,
    };
    println!(
        "robustness: {} case{} of seed {} into {}",
        cases.len(),
        plural(cases.len() as u64),
        args.seed,
        out.display()
    );
    let quiet = args.quiet;
    let report = run_suite(&cases, &options, &|r: &CaseResult| {
        if !quiet {
            let mut detail = r.outcome.detail.replace('\n', " ");
            if detail.chars().count() > 100 {
                detail = detail.chars().take(99).collect::<String>() + "…";
            }
            println!(
                "  case {:>4} {:<26} {:<14} {:>6.1} s {detail}",
                r.case.index,
                r.case.set,
                r.outcome.class.name(),
                r.wall_s
            );
        }
    })?;
    write_cases_csv(&out.join(CASES_CSV_FILE), &report)?;
    write_report_md(&out.join(REPORT_FILE), &report)?;
    print!("{}", summary_text(&report));
    if !report.all_acceptable() {
        let bad = report
            .results
            .iter()
            .filter(|r| !r.outcome.class.is_acceptable())
            .count();
        anyhow::bail!(
            "{bad} of {} case{} neither completed nor were rejected before solving (see {})",
            report.results.len(),
            plural(report.results.len() as u64),
            out.join(REPORT_FILE).display()
        );
    }
    Ok(())
}

fn load(path: &Path, sets: &[SetOverride]) -> anyhow::Result<Scenario> {
    load_scenario_with(path, sets).with_context(|| {
        // A sweep file given to `run` or `check`: say so.
        let is_sweep = std::fs::read_to_string(path)
            .ok()
            .and_then(|t| t.parse::<toml::Table>().ok())
            .is_some_and(|t| t.contains_key("sweep"));
        if is_sweep {
            format!(
                "invalid scenario {}: it is a sweep file (it has a [sweep] table); run it with `asslb sweep {}`",
                path.display(),
                path.display()
            )
        } else {
            format!("invalid scenario {}", path.display())
        }
    })
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The one-screen summary of a finished run: the first and last cycle side by side, retention
/// and efficiency over the run, the last cycle's steps, the solver's figures and the files.
/// Its length does not grow with the number of cycles.
fn print_summary(
    scenario: &Scenario,
    report: &RunReport,
    tally: &CycleTally,
    out: &Path,
    total_s: f64,
) {
    let s = &report.summary;
    let p = &scenario.parameters;
    let mass_g = p.active_mass_kg().map(|m| m * 1e3);
    let capacity = |ah: f64| match mass_g {
        Some(g) => format!("{:.6} mAh ({:.2} mAh/g)", ah * 1e3, ah * 1e3 / g),
        None => format!("{:.6} mAh", ah * 1e3),
    };
    let percent = |x: f64, digits: usize| {
        if x.is_finite() {
            format!("{:.digits$} %", x * 100.0)
        } else {
            "–".to_string()
        }
    };
    let volts = |v: f64| {
        if v.is_finite() {
            format!("{v:.4} V")
        } else {
            "–".to_string()
        }
    };
    let rate = if s.wall_time_s > 0.0 {
        format!(" ({})", format_rate(s.cycles as f64 / s.wall_time_s))
    } else {
        String::new()
    };
    println!(
        "{} cycle{} finished in {:.3} s{rate}",
        s.cycles,
        plural(s.cycles as u64),
        s.wall_time_s
    );

    // The first and the last cycle side by side (one column for a one-cycle run).
    let mut columns: Vec<&CycleSummary> = s.first_cycle.iter().collect();
    if let Some(last) = s.last_cycle.as_ref().filter(|l| l.cycle > 1) {
        columns.push(last);
    }
    if !columns.is_empty() {
        let row = |label: &str, cells: Vec<String>| {
            let mut line = format!("  {label:<23}");
            for (k, cell) in cells.iter().enumerate() {
                if k + 1 < cells.len() {
                    line.push_str(&format!("{cell:<30}"));
                } else {
                    line.push_str(cell);
                }
            }
            println!("{}", line.trim_end());
        };
        let cells = |f: &dyn Fn(&CycleSummary) -> String| columns.iter().map(|c| f(c)).collect();
        row("", cells(&|c| format!("cycle {}", c.cycle)));
        row(
            "discharge capacity",
            cells(&|c| capacity(c.discharge_capacity_ah)),
        );
        row(
            "charge capacity",
            cells(&|c| capacity(c.charge_capacity_ah)),
        );
        row(
            "coulombic efficiency",
            cells(&|c| percent(c.coulombic_efficiency(), 3)),
        );
        row(
            "mean discharge voltage",
            cells(&|c| volts(c.mean_discharge_voltage_v())),
        );
        row(
            "mean charge voltage",
            cells(&|c| volts(c.mean_charge_voltage_v())),
        );
    }
    if let (Some(first), Some(last)) = (tally.first_discharge(), s.last_cycle.as_ref()) {
        if last.cycle > first.cycle {
            println!(
                "capacity retention: {} at cycle {} (of cycle {}'s discharge capacity)",
                percent(tally.capacity_retention(last), 2),
                last.cycle,
                first.cycle
            );
        }
    }
    let ce_cycles = tally.efficiency_cycles();
    if ce_cycles > 1 {
        let of = if ce_cycles == s.cycles {
            String::new()
        } else {
            format!(" of the {} with a charge", s.cycles)
        };
        println!(
            "mean coulombic efficiency: {} over {ce_cycles} cycles{of}",
            percent(tally.mean_coulombic_efficiency(), 3)
        );
    }

    // The last cycle ran the last block's steps.
    let last_block = scenario.experiment.blocks.last();
    if let Some(last) = &s.last_cycle {
        if !s.last_cycle_steps.is_empty() {
            println!("steps of cycle {}:", last.cycle);
        }
    }
    for step in &s.last_cycle_steps {
        let end = match step.end {
            StepEnd::VoltageLimit => "voltage cut-off",
            StepEnd::CurrentLimit => "current cut-off",
            StepEnd::Duration => "duration limit",
            StepEnd::Skipped => "skipped (its end condition held when it began)",
            StepEnd::CurrentUnsustainable => {
                "skipped (the particle surfaces cannot carry this current at all)"
            }
            StepEnd::NearCutoff => "ended near its voltage cut-off (the solver could not go on)",
        };
        let description = last_block
            .and_then(|b| b.steps.get(step.step.wrapping_sub(1)))
            .map(|st| describe_step(st, p.nominal_capacity_ah))
            .unwrap_or_default();
        println!(
            "  {}. {description}\n     {end} after {:.1} s: {:+.6} mAh, {:.4} V",
            step.step,
            step.duration_s,
            step.capacity_ah * 1e3,
            step.final_voltage_v
        );
    }
    if let Some(last) = s.last_cycle_steps.last() {
        println!("final voltage: {:.4} V", last.final_voltage_v);
    }
    if s.skipped_steps > 0 {
        println!(
            "skipped steps: {} (the cell was already past the step's cut-off; the run went on with the next step)",
            s.skipped_steps
        );
    } else {
        println!("skipped steps: none");
    }
    if s.jumps > 0 {
        println!(
            "cycle jumping: {} cycles jumped over in {} jumps; {} cycles resolved",
            s.jumped_cycles,
            s.jumps,
            s.cycles.saturating_sub(s.jumped_cycles)
        );
    }
    if s.impedance_spectra > 0 {
        println!(
            "impedance: {} spectr{} in {:.3} s ({:.1} % of the wall time)",
            s.impedance_spectra,
            if s.impedance_spectra == 1 { "um" } else { "a" },
            s.impedance_time_s,
            100.0 * s.impedance_time_s / s.wall_time_s.max(1e-300)
        );
    }
    if s.ended_near_cutoff > 0 {
        println!(
            "steps ended near their voltage cut-off: {} (the solver could not go on within {} V of it; see StepEnd::NearCutoff)",
            s.ended_near_cutoff,
            asslb::protocol::simulate::NEAR_CUTOFF_V
        );
    }
    println!(
        "solver: {} unknowns, {} internal steps; wall time {:.3} s, {:.3} s with the files",
        s.unknowns, s.solver_steps, s.wall_time_s, total_s
    );

    // The files, by name, in their folder; each figure once with its formats.
    let name = |path: &Path| {
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string())
    };
    println!("files in {}:", out.display());
    println!(
        "  {} ({} row{}), {} ({} cycle{}), {}",
        name(&report.timeseries),
        report.rows,
        plural(report.rows),
        name(&report.cycle_summary),
        s.cycles,
        plural(s.cycles as u64),
        name(&report.record)
    );
    match (&report.impedance, &report.impedance_fit) {
        (Some(spectra), Some(fits)) => println!(
            "  {} (impedance spectra), {} (their equivalent-circuit fits)",
            name(spectra),
            name(fits)
        ),
        (Some(spectra), None) => println!("  {} (impedance spectra)", name(spectra)),
        _ => {}
    }
    let mut figures: Vec<(String, Vec<String>)> = Vec::new();
    for plot in &report.plots {
        let stem = plot
            .file_stem()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let ext = plot
            .extension()
            .map(|e| e.to_string_lossy().into_owned())
            .unwrap_or_default();
        match figures.iter_mut().find(|(s, _)| *s == stem) {
            Some((_, exts)) => exts.push(ext),
            None => figures.push((stem, vec![ext])),
        }
    }
    if !figures.is_empty() {
        let list: Vec<String> = figures
            .iter()
            .map(|(stem, exts)| format!("{stem}.{}", exts.join("/.")))
            .collect();
        println!("  figures: {}", list.join(", "));
    }
}
