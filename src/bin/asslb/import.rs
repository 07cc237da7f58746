//! `asslb import`: a cycler export into the per-cycle schema of measured data, and its voltage
//! curves into the curves schema.

use std::path::PathBuf;

use anyhow::Context as _;
use asslb::measured::{import_builtin, import_export, load_mapping, write_atomically, Format};

use crate::common::plural;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The cycler export: delimited text in any common encoding (UTF-8, UTF-16, GBK,
    /// Windows-1252), or a spreadsheet (.xlsx, .xls, .ods).
    export: PathBuf,
    /// The column-mapping file (TOML), for exports of no known format or to override the
    /// built-in columns of one; without it the format is detected from the file (or --format).
    #[arg(long, value_name = "TOML")]
    mapping: Option<PathBuf>,
    /// Read the export as this format instead of detecting it: neware, arbin, maccor, eclab or
    /// bdf. An export that is not of the format is an error.
    #[arg(long, value_name = "NAME")]
    format: Option<String>,
    /// Active-material mass [g] for the per-gram columns; replaces the mapping's
    /// active_mass_g.
    #[arg(long, value_name = "M")]
    active_mass_g: Option<f64>,
    /// The per-cycle CSV file to write.
    #[arg(long, value_name = "FILE", required_unless_present = "curves")]
    out: Option<PathBuf>,
    /// The voltage-curves CSV file to write (cycle, step, capacity_mAh_g, voltage_V), for
    /// `asslb validate`; needs an export of a known format.
    #[arg(long, value_name = "FILE")]
    curves: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let format = args
        .format
        .as_deref()
        .map(|name| {
            Format::from_name(name).with_context(|| {
                format!(
                    "--format {name}: not a known export format; the formats are {}",
                    Format::names()
                )
            })
        })
        .transpose()?;
    let mapping = args.mapping.as_deref().map(load_mapping).transpose()?;
    let mass = args
        .active_mass_g
        .or(mapping.as_ref().and_then(|m| m.active_mass_g));
    // The mapping's provenance, for curves read with a built-in format.
    let provenance = mapping
        .as_ref()
        .map(|m| m.provenance_for(&args.export, mass))
        .transpose()?;
    // Read and check everything before anything is written.
    let builtin = match (&mapping, &args.curves) {
        (None, _) => Some(import_builtin(&args.export, format)?),
        (Some(_), Some(_)) => Some(
            import_builtin(&args.export, format)
                .context("--curves reads the export in a known format, not through the mapping")?,
        ),
        (Some(_), None) => None,
    };
    let cycles = match (&args.out, &mapping, &builtin) {
        (None, _, _) => None,
        (Some(_), Some(m), _) => Some(import_export(&args.export, m, args.active_mass_g)?),
        (Some(_), None, Some(b)) => Some(b.cycles(&args.export, mass, None)?),
        (Some(_), None, None) => None,
    };
    let curves = match (&args.curves, &builtin) {
        (Some(_), Some(b)) => Some(b.curves(&args.export, mass, provenance)?),
        _ => None,
    };
    let read_as = builtin.as_ref().map_or_else(String::new, |b| {
        format!("as {} ({})", b.format().label(), b.export.source)
    });
    let cycles_read_as = match &mapping {
        Some(m) => format!("with the mapping {}", m.path.display()),
        None => read_as.clone(),
    };
    if let (Some(out), Some(cycles)) = (&args.out, &cycles) {
        write_atomically(&cycles.to_csv(), out)?;
        let columns: Vec<&str> = cycles.columns.iter().map(|c| c.name.as_str()).collect();
        println!(
            "imported {} cycle{} ({}) {cycles_read_as} into {}",
            cycles.cycles.len(),
            plural(cycles.cycles.len() as u64),
            columns.join(", "),
            out.display()
        );
    }
    if let (Some(out), Some(curves)) = (&args.curves, &curves) {
        write_atomically(&curves.to_csv(), out)?;
        println!(
            "wrote {} curve point{} of {} cycle{} {read_as} into {}",
            curves.points.len(),
            plural(curves.points.len() as u64),
            curves.cycles().len(),
            plural(curves.cycles().len() as u64),
            out.display()
        );
    }
    Ok(())
}
