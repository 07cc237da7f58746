//! `asslb run`: runs a scenario into an output folder, or resumes an interrupted run, with a
//! progress line while it runs, the run's summary at the end, and the run's report
//! (`report.html`, `report.md`) in its folder.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;

use asslb::output::{read_summary, Progress};
use asslb::scenario::{load_interrupted_run, resume_run, run_scenario, ExistingFiles};

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
    /// No progress line (a bar on a terminal, a plain line every 30 s otherwise; the
    /// environment variable ASSLB_PROGRESS_EVERY_S sets another interval, 0 none) and no
    /// summary: print only the output folder on success.
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
    let mut progress = Progress::new(
        n,
        scenario.parameters.active_mass_kg(),
        scenario.reference_cycle,
        quiet,
    );
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
    let total_s = started.elapsed().as_secs_f64();
    let summary = report.summary_text(&scenario, progress.tally(), &out, total_s);
    let [page, markdown] =
        report.write_report_files(&scenario, progress.tally(), &summary, &out, total_s)?;
    if quiet {
        println!("{}", out.display());
    } else {
        print!("{summary}");
        println!("report: {} (and {})", page.display(), markdown.display());
    }
    Ok(())
}
