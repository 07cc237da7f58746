//! `asslb robustness`: the robustness suite, random plausible cases run as child processes.

use std::path::PathBuf;

use crate::common::plural;

#[derive(Debug, clap::Args)]
pub struct Args {
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

pub fn run(args: Args) -> anyhow::Result<()> {
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
