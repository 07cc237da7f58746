//! `asslb`: the command-line front end. It parses flags, calls into the library, prints the
//! result or the full error chain, and picks the exit code (0 success, 1 failure, 2 bad flags).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use asslb::protocol::simulate::StepEnd;
use asslb::scenario::{load_scenario, run_scenario, Scenario};

/// asslb — physics-based simulator of all-solid-state lithium battery cells (P2D model).
#[derive(Debug, Parser)]
#[command(name = "asslb", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a scenario and write <out>/timeseries.csv.
    Run {
        /// The scenario file (TOML).
        scenario: PathBuf,
        /// Output folder [default: out/<scenario name>].
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Validate a scenario without solving, and print what it would run.
    Check {
        /// The scenario file (TOML).
        scenario: PathBuf,
    },
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
        Command::Check { scenario } => {
            let scenario = load(&scenario)?;
            print!("{}", scenario.describe());
            println!("ok: the scenario is valid (nothing was solved)");
            Ok(())
        }
        Command::Run { scenario, out } => {
            // Everything is validated before the output folder is touched.
            let scenario = load(&scenario)?;
            let out = out.unwrap_or_else(|| PathBuf::from("out").join(&scenario.name));
            let n = scenario.steps.len();
            println!(
                "running scenario `{}` ({n} step{}) into {}",
                scenario.name,
                if n == 1 { "" } else { "s" },
                out.display()
            );
            let report = run_scenario(&scenario, &out)?;
            print_summary(&scenario, &report);
            Ok(())
        }
    }
}

fn load(path: &std::path::Path) -> anyhow::Result<Scenario> {
    load_scenario(path).with_context(|| format!("invalid scenario {}", path.display()))
}

fn print_summary(scenario: &Scenario, report: &asslb::scenario::RunReport) {
    let s = &report.summary;
    let area_cm2 = scenario.parameters.area_m2 * 1e4;
    println!("steps:");
    for step in &s.steps {
        let end = match step.end {
            StepEnd::VoltageLimit => "voltage cut-off",
            StepEnd::Duration => "duration limit",
        };
        let description = scenario
            .steps
            .get(step.step.wrapping_sub(1))
            .map(|st| asslb::scenario::describe_step(st, scenario.parameters.nominal_capacity_ah))
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
    if let Some(last) = s.steps.last() {
        println!("final voltage: {:.4} V", last.final_voltage_v);
    }
    println!(
        "solver: {} unknowns, {} internal steps, wall time {:.3} s",
        s.unknowns, s.solver_steps, s.wall_time_s
    );
    println!(
        "wrote {} rows to {}",
        report.rows,
        report.timeseries.display()
    );
}
