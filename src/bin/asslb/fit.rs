//! `asslb fit`: cell parameters fitted to the measured data of a validation file.

use std::path::PathBuf;

use anyhow::Context;

use crate::activity::Activity;
use crate::common::plural;

#[derive(Debug, clap::Args)]
pub struct Args {
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
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let Args {
        file,
        out,
        jobs,
        quiet,
    } = args;
    use asslb::fitting::FitProgress;
    if jobs == Some(0) {
        anyhow::bail!("--jobs: expected at least 1");
    }
    let spec = asslb::fitting::load_fit(&file)?;
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
    // A spinner with the elapsed time and the last trial on a terminal, a plain line every
    // 30 s in a log, nothing with --quiet; the trial and Jacobian lines go above it.
    let progress = Activity::spinner("first trial: simulating the runs", "trials", quiet);
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
                progress.println(&format!(
                    "  trial {evaluation:>3}: SSR {ssr:.6e}{}  {}",
                    if *failed { " (a run fell short)" } else { "" },
                    point.join(" ")
                ));
                progress.inc();
                progress.message(format!("trial {evaluation} done, SSR {ssr:.4e}"));
            }
            FitProgress::Jacobian {
                jacobian,
                simulations,
                failed,
            } => {
                progress.println(&format!(
                    "  Jacobian {jacobian:>3}: {simulations} simulations{}",
                    if *failed > 0 {
                        format!(" ({failed} failed: one-sided differences there)")
                    } else {
                        String::new()
                    }
                ));
                progress.message(format!("Jacobian {jacobian} done"));
            }
        }
    });
    progress.finish();

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
        "report: {} (and {}); fitted scenario{}: {}",
        files.report.display(),
        files.page.display(),
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
