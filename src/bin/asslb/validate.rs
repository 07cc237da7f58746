//! `asslb validate`: the runs of a validation file against its measured data.

use std::path::PathBuf;

use crate::common::plural;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The validation file (TOML), e.g. validation/wu2022.toml.
    file: PathBuf,
    /// Output folder [default: out/validation/<name>].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Runs at once [default: the number of cores].
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let Args { file, out, jobs } = args;
    if jobs == Some(0) {
        anyhow::bail!("--jobs: expected at least 1");
    }
    let spec = asslb::validation::load_validation(&file)?;
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
