//! `asslb check`: validates a scenario without solving and prints what it would run.

use std::path::PathBuf;

use crate::common::{load, Sets};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The scenario file (TOML).
    scenario: PathBuf,
    #[command(flatten)]
    sets: Sets,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let scenario = load(&args.scenario, &args.sets.set)?;
    print!("{}", scenario.describe());
    println!("ok: the scenario is valid (nothing was solved)");
    Ok(())
}
