//! `asslb fit-impedance`: an equivalent circuit fitted to a spectrum read from CSV.

use std::path::{Path, PathBuf};

use anyhow::Context;

use asslb::impedance::{
    fit_circuit, read_spectra_csv, read_spectrum_csv, Circuit, CircuitFit, FrequencyOrder,
    Spectrum, SpectrumError,
};
use asslb::output::{
    write_fitted_spectrum, ImpedanceFitCsv, IMPEDANCE_FITTED_FILE, IMPEDANCE_FIT_FILE,
};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The spectrum file (CSV).
    spectrum: PathBuf,
    /// The circuit, in impedance.py notation: elements R, C, L, CPE, W, Wo, Ws with an
    /// index, in series with `-`, in parallel with `p(a,b)` [default: the paper's circuit].
    #[arg(long, default_value = asslb::impedance::PAPER_CIRCUIT)]
    circuit: String,
    /// The cycle whose spectrum to fit, when the file has a `cycle` column.
    #[arg(long, value_name = "N")]
    cycle: Option<usize>,
    /// Output folder for impedance_fit.csv and impedance_fitted.csv.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// The `z_im_ohm` column holds −Z'' (as EC-Lab's `-Im(Z)` and ZView's `−Z''` do): its
    /// values are negated on reading. Without it, a spectrum whose imaginary part is positive
    /// at most points is refused as one that looks like −Z''.
    #[arg(long)]
    negated_imaginary: bool,
}

/// Everything is read and checked before the output folder is touched.
pub fn run(args: Args) -> anyhow::Result<()> {
    let Args {
        spectrum: path,
        circuit,
        cycle,
        out,
        negated_imaginary,
    } = args;
    let circuit =
        Circuit::parse(&circuit).with_context(|| format!("invalid --circuit \"{circuit}\""))?;
    let spectrum = read_spectrum_csv(&path, cycle)
        .map_err(|e| match e {
            SpectrumError::SeveralCycles { .. } => {
                anyhow::anyhow!("{e} with --cycle N")
            }
            other => anyhow::Error::new(other),
        })
        .with_context(|| format!("cannot read the spectrum {}", path.display()))?;
    let spectrum = if negated_imaginary {
        spectrum.negate_imaginary()
    } else {
        spectrum
    };
    spectrum.check_capacitive(&path)?;
    // The cycle of the row: the chosen one, or the file's only one, or 0.
    let cycle = match cycle {
        Some(c) => c,
        None => read_spectra_csv(&path)?
            .first()
            .and_then(|s| s.cycle)
            .unwrap_or(0),
    };
    let fit = fit_circuit(&circuit, &spectrum, None)
        .with_context(|| format!("cannot fit {} to {}", circuit.text(), path.display()))?;
    let (f_first, f_last) = (
        spectrum.frequency_hz[0],
        spectrum.frequency_hz[spectrum.len() - 1],
    );
    println!(
        "circuit {} fitted to {} points of {} (cycle {cycle}; frequencies {} from {f_first:e} to {f_last:e} Hz)",
        circuit.text(),
        spectrum.len(),
        path.display(),
        match spectrum.order() {
            FrequencyOrder::Increasing => "increasing",
            FrequencyOrder::Decreasing => "decreasing",
        }
    );
    print!("{}", fit.table());
    if let Some(dir) = &out {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the output folder {}", dir.display()))?;
        write_fit(dir, &circuit, cycle, &spectrum, &fit)?;
    }
    // The table and the files show where the optimiser stopped; the exit code says that it
    // is not a fit to use.
    if !fit.converged {
        anyhow::bail!(
            "the fit of {} to {} did not converge (see the table above): try other initial values, a simpler circuit, or check the spectrum",
            circuit.text(),
            path.display()
        );
    }
    Ok(())
}

/// Writes `<dir>/impedance_fit.csv` (one row) and `<dir>/impedance_fitted.csv`.
pub fn write_fit(
    dir: &Path,
    circuit: &Circuit,
    cycle: usize,
    spectrum: &Spectrum,
    fit: &CircuitFit,
) -> anyhow::Result<()> {
    {
        let mut csv = ImpedanceFitCsv::create(dir, circuit)
            .with_context(|| format!("cannot write {}", dir.join(IMPEDANCE_FIT_FILE).display()))?;
        csv.append(cycle, fit)
            .with_context(|| format!("cannot write {}", csv.path().display()))?;
        let fitted = write_fitted_spectrum(dir, spectrum, fit).with_context(|| {
            format!("cannot write {}", dir.join(IMPEDANCE_FITTED_FILE).display())
        })?;
        println!("written: {} and {}", csv.path().display(), fitted.display());
    }
    Ok(())
}
