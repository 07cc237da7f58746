//! `asslb`: the command-line front end. It parses flags, calls into the library, prints the
//! result or the full error chain, and picks the exit code (0 success, 1 failure, 2 bad flags).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use asslb::protocol::simulate::StepEnd;
use asslb::protocol::CycleSummary;
use asslb::scenario::{
    builtin_parameter_set, builtin_parameter_set_names, describe_parameters, describe_step,
    load_parameter_set, load_scenario_with, run_scenario, RunReport, Scenario, SetOverride,
};

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
    Run {
        /// The scenario file (TOML).
        scenario: PathBuf,
        /// Output folder [default: out/<scenario name>].
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
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
            sets,
        } => {
            // Everything is validated before the output folder is touched.
            let scenario = load(&scenario, &sets.set)?;
            let out = out.unwrap_or_else(|| PathBuf::from("out").join(&scenario.name));
            let n = scenario.experiment.cycles();
            println!(
                "running scenario `{}` ({n} cycle{}) into {}",
                scenario.name,
                if n == 1 { "" } else { "s" },
                out.display()
            );
            let report = run_scenario(&scenario, &out)?;
            print_summary(&scenario, &report);
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

fn load(path: &Path, sets: &[SetOverride]) -> anyhow::Result<Scenario> {
    load_scenario_with(path, sets).with_context(|| format!("invalid scenario {}", path.display()))
}

fn print_summary(scenario: &Scenario, report: &RunReport) {
    let s = &report.summary;
    let p = &scenario.parameters;
    let area_cm2 = p.area_m2 * 1e4;
    let mass_g = p.active_mass_kg().map(|m| m * 1e3);
    let per_gram = |ah: f64| match mass_g {
        Some(g) => format!(", {:.2} mAh/g", ah * 1e3 / g),
        None => String::new(),
    };
    let cycle_line = |c: &CycleSummary| {
        let mut text = format!(
            "discharge {:.6} mAh{}, charge {:.6} mAh{}",
            c.discharge_capacity_ah * 1e3,
            per_gram(c.discharge_capacity_ah),
            c.charge_capacity_ah * 1e3,
            per_gram(c.charge_capacity_ah),
        );
        let ce = c.coulombic_efficiency();
        if ce.is_finite() {
            text.push_str(&format!(", coulombic efficiency {:.4} %", ce * 100.0));
        }
        text
    };
    println!(
        "{} cycle{} finished",
        s.cycles,
        if s.cycles == 1 { "" } else { "s" }
    );
    if let Some(first) = &s.first_cycle {
        println!("cycle {}: {}", first.cycle, cycle_line(first));
    }
    if let Some(last) = s.last_cycle.as_ref().filter(|l| l.cycle > 1) {
        println!("cycle {}: {}", last.cycle, cycle_line(last));
    }
    // The last cycle ran the last block's steps.
    let last_block = scenario.experiment.blocks.last();
    if !s.last_cycle_steps.is_empty() {
        println!("steps of the last cycle:");
    }
    for step in &s.last_cycle_steps {
        let end = match step.end {
            StepEnd::VoltageLimit => "voltage cut-off",
            StepEnd::CurrentLimit => "current cut-off",
            StepEnd::Duration => "duration limit",
            StepEnd::Skipped => "skip (the cell was already past its cut-off)",
        };
        let description = last_block
            .and_then(|b| b.steps.get(step.step.wrapping_sub(1)))
            .map(|st| describe_step(st, p.nominal_capacity_ah))
            .unwrap_or_default();
        println!(
            "  {}. {description}\n     ended by {end} after {:.1} s: {:+.6} mAh ({:+.6} mAh/cm²), final voltage {:.4} V",
            step.step,
            step.duration_s,
            step.capacity_ah * 1e3,
            step.capacity_ah * 1e3 / area_cm2,
            step.final_voltage_v
        );
    }
    if s.skipped_steps > 0 {
        println!(
            "{} step{} skipped because the cell was already past the cut-off",
            s.skipped_steps,
            if s.skipped_steps == 1 {
                " was"
            } else {
                "s were"
            }
        );
    }
    if let Some(last) = s.last_cycle_steps.last() {
        println!("final voltage: {:.4} V", last.final_voltage_v);
    }
    println!(
        "solver: {} unknowns, {} internal steps, wall time {:.3} s",
        s.unknowns, s.solver_steps, s.wall_time_s
    );
    println!(
        "wrote {} rows to {}, one row per cycle to {}, {} figures, and {}",
        report.rows,
        report.timeseries.display(),
        report.cycle_summary.display(),
        report.plots.len(),
        report.record.display()
    );
}
