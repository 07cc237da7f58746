//! `asslb import`: a cycler export into the per-cycle schema of measured data.

use std::path::PathBuf;

use crate::common::plural;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The cycler export (delimited text).
    export: PathBuf,
    /// The column-mapping file (TOML).
    #[arg(long, value_name = "TOML")]
    mapping: PathBuf,
    /// Active-material mass [g] for the per-gram columns; replaces the mapping's
    /// active_mass_g.
    #[arg(long, value_name = "M")]
    active_mass_g: Option<f64>,
    /// The per-cycle CSV file to write.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let map = asslb::measured::load_mapping(&args.mapping)?;
    let cycles = asslb::measured::import_export(&args.export, &map, args.active_mass_g)?;
    asslb::measured::write_cycles_atomically(&cycles, &args.out)?;
    let columns: Vec<&str> = cycles.columns.iter().map(|c| c.name.as_str()).collect();
    println!(
        "imported {} cycle{} ({}) into {}",
        cycles.cycles.len(),
        plural(cycles.cycles.len() as u64),
        columns.join(", "),
        args.out.display()
    );
    Ok(())
}
