//! `asslb sweep`: the cases of a sweep file run in parallel, or the shards of one merged.

use std::path::PathBuf;

use asslb::sweep::{load_sweep, merge_sweeps, run_sweep, CaseRecord, Shard, SweepOptions};

use crate::activity::Activity;
use crate::common::plural;

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct Args {
    #[command(subcommand)]
    command: Option<Command>,
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

#[derive(Debug, clap::Subcommand)]
pub enum Command {
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

pub fn run(args: Args) -> anyhow::Result<()> {
    if let Some(Command::Merge { dirs, out }) = args.command {
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
    let selected = sweep
        .cases
        .iter()
        .filter(|c| args.shard.is_none_or(|s| s.contains(c.index)))
        .count();
    // A bar on a terminal, a plain line every 30 s in a log, nothing with --quiet.
    let progress = Activity::bar(selected, "cases", quiet);
    let result = run_sweep(&sweep, &options, &|case: &CaseRecord| {
        progress.inc();
        if case.status != asslb::sweep::CaseStatus::Ok {
            progress.eprintln(&format!(
                "case {} `{}` failed after {:.2} s: {}",
                case.index,
                case.id,
                case.wall_time_s,
                case.error.as_deref().unwrap_or("").replace('\n', "; ")
            ));
        } else if !quiet {
            progress.println(&format!(
                "case {} `{}` ok in {:.2} s",
                case.index, case.id, case.wall_time_s
            ));
        }
    });
    progress.finish();
    let report = result?;
    if quiet {
        println!("{}", out.display());
    } else {
        print!("{}", report.summary_text());
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
