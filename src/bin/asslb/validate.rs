//! `asslb validate`: the runs of a validation file against its measured data.

use std::path::PathBuf;

use crate::common::plural;
use crate::runs_progress::RunsProgress;

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
    let progress = RunsProgress::new(&spec);
    let report = asslb::validation::run_validation_observed(&spec, &options, &progress);
    progress.finish();
    let report = report?;
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
        "runs {:.1} s; report: {} (and {})",
        report.wall_time_s,
        report.report.display(),
        report.page.display()
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
