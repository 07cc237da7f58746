//! `asslb run`: runs a scenario into an output folder, or resumes an interrupted run, with a
//! progress line while it runs and the run's summary at the end.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;

use asslb::output::progress::format_rate;
use asslb::output::{read_summary, CycleTally, Progress};
use asslb::protocol::simulate::StepEnd;
use asslb::protocol::CycleSummary;
use asslb::scenario::{
    describe_step, load_interrupted_run, resume_run, run_scenario, ExistingFiles, RunReport,
    Scenario,
};

use crate::common::{load, plural, Sets};

#[derive(Debug, clap::Args)]
pub struct Args {
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
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let Args {
        scenario,
        out,
        overwrite,
        resume,
        quiet,
        sets,
    } = args;
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
