//! `asslb fit-impedance`: an equivalent circuit fitted to a measured spectrum (any format of
//! `asslb::impedance::formats`), after a Kramers–Kronig test of the spectrum, with initial
//! guesses and constants, the fit's files and figures.

use std::path::{Path, PathBuf};

use anyhow::Context;

use asslb::figures::{relative_residuals, write_spectrum_figures, SpectrumFigures};
use asslb::impedance::{
    fit_circuit_with, initial_guess, lin_kk, parse_assignment, read_guesses_toml,
    read_spectrum_file, split_inline_guesses, Circuit, CircuitFit, CircuitFitOptions,
    FrequencyOrder, LinKk, LinKkOptions, ParameterValues, Spectrum, SpectrumError, SpectrumFormat,
};
use asslb::output::{
    write_fitted_spectrum, ImpedanceFitCsv, IMPEDANCE_FITTED_FILE, IMPEDANCE_FIT_FILE,
};

/// The mean absolute relative residual of the Kramers–Kronig test above which a spectrum is
/// refused: 1 % of |Z|. Potentiostats measure |Z| to about 0.1–1 % (their accuracy
/// contour plots), and the residuals of a valid spectrum are of the order of this noise
/// (Schönleber et al., Electrochim. Acta 131 (2014) 20); a mean above it is a systematic
/// misfit: drift during the sweep, non-linearity, or a cell not at steady state.
pub const KK_THRESHOLD: f64 = 0.01;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The spectrum file: an asslb CSV, a BioLogic EC-Lab text export (.mpt/.txt), a Gamry
    /// .DTA, a ZView .z, an Autolab NOVA export or impedance.py's headerless CSV, detected by
    /// its content.
    spectrum: PathBuf,
    /// Read the file as this format instead of detecting it: asslb, biologic, gamry, zview,
    /// autolab, impedance-py.
    #[arg(long, value_name = "NAME")]
    format: Option<String>,
    /// The circuit, in impedance.py notation: elements R, C, L, CPE, W, Wo, Ws with an
    /// index, in series with `-`, in parallel with `p(a,b)` [default: the paper's circuit].
    /// Initial guesses may follow element names: `R0=20-p(R1=50,CPE1=[1e-6,0.9])`.
    #[arg(long, default_value = asslb::impedance::PAPER_CIRCUIT)]
    circuit: String,
    /// An initial guess, NAME=VALUE (a parameter such as R1 or CPE1_n, or an element with a
    /// list: CPE1=[1e-6,0.9]); may be repeated. Parameters not given start from the
    /// automatic guess.
    #[arg(long, value_name = "NAME=VALUE")]
    initial: Vec<String>,
    /// A parameter held fixed at a value, NAME=VALUE as for --initial; may be repeated.
    #[arg(long, value_name = "NAME=VALUE")]
    constant: Vec<String>,
    /// A TOML file of initial guesses and constants: tables [initial] and [constants] of
    /// NAME = value or NAME = [values].
    #[arg(long, value_name = "FILE")]
    guesses: Option<PathBuf>,
    /// The cycle whose spectrum to fit, when the file has a `cycle` column.
    #[arg(long, value_name = "N")]
    cycle: Option<usize>,
    /// Output folder for impedance_fit.csv, impedance_fitted.csv and the figures.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// The imaginary column holds −Z'' where its format says Z'' (for the asslb CSV: the
    /// `z_im_ohm` column): its values are negated on reading. Without it, a spectrum whose
    /// imaginary part is positive at most points is refused as one that looks like −Z''.
    #[arg(long)]
    negated_imaginary: bool,
    /// Fit even when the Kramers–Kronig test fails (mean residual above 1 % of |Z|).
    #[arg(long)]
    accept_kk_failure: bool,
}

/// Everything is read and checked before the output folder is touched.
pub fn run(args: Args) -> anyhow::Result<()> {
    let Args {
        spectrum: path,
        format,
        circuit: circuit_text,
        initial,
        constant,
        guesses,
        cycle,
        out,
        negated_imaginary,
        accept_kk_failure,
    } = args;
    let (clean, mut values) = split_inline_guesses(&circuit_text)
        .with_context(|| format!("invalid --circuit \"{circuit_text}\""))?;
    let circuit =
        Circuit::parse(&clean).with_context(|| format!("invalid --circuit \"{circuit_text}\""))?;
    if let Some(file) = &guesses {
        values.extend(read_guesses_toml(file)?);
    }
    let assignments = |list: &[String], flag: &str| -> anyhow::Result<Vec<(String, Vec<f64>)>> {
        list.iter()
            .map(|a| parse_assignment(a).with_context(|| format!("invalid {flag} {a}")))
            .collect()
    };
    values.extend(ParameterValues {
        initial: assignments(&initial, "--initial")?,
        constants: assignments(&constant, "--constant")?,
    });
    let values = values
        .resolve(&circuit)
        .context("invalid initial guesses or constants")?;
    let format = format
        .as_deref()
        .map(str::parse::<SpectrumFormat>)
        .transpose()
        .context("invalid --format")?;
    let file = read_spectrum_file(&path, format, cycle)
        .map_err(|e| match e {
            SpectrumError::SeveralCycles { .. } => {
                anyhow::anyhow!("{e} with --cycle N")
            }
            other => anyhow::Error::new(other),
        })
        .with_context(|| format!("cannot read the spectrum {}", path.display()))?;
    let spectrum = if negated_imaginary {
        file.spectrum.negate_imaginary()
    } else {
        file.spectrum
    };
    spectrum.check_capacitive(&path)?;
    let cycle = file.cycle.unwrap_or(0);
    let (f_first, f_last) = (
        spectrum.frequency_hz[0],
        spectrum.frequency_hz[spectrum.len() - 1],
    );
    println!(
        "{} read as {}{}: {} points, frequencies {} from {f_first:e} to {f_last:e} Hz",
        path.display(),
        file.format.description(),
        if file.negated_in_file {
            " (−Z'' column negated)"
        } else {
            ""
        },
        spectrum.len(),
        match spectrum.order() {
            FrequencyOrder::Increasing => "increasing",
            FrequencyOrder::Decreasing => "decreasing",
        }
    );
    let kk = lin_kk(&spectrum, &LinKkOptions::default())
        .with_context(|| format!("cannot test {} for Kramers–Kronig validity", path.display()))?;
    let kk_failed = kk.mean_abs_residual() > KK_THRESHOLD;
    print_kk(&kk, kk_failed);
    if kk_failed && !accept_kk_failure {
        anyhow::bail!(
            "{}: the spectrum fails the Kramers–Kronig test (mean residual {:.2} % of |Z| > {:.0} %): it is not that of a linear, stable, time-invariant cell (drift, non-linearity), so no circuit fit of it is meaningful. Fit anyway with --accept-kk-failure",
            path.display(),
            100.0 * kk.mean_abs_residual(),
            100.0 * KK_THRESHOLD
        );
    }

    let mut options = CircuitFitOptions {
        fixed: values.constants.clone(),
        ..CircuitFitOptions::default()
    };
    if !values.initial.is_empty() {
        let names = circuit.parameter_names();
        let mut start = initial_guess(&circuit, &spectrum);
        for (name, v) in values.initial.iter().chain(&values.constants) {
            if let Some(j) = names.iter().position(|n| n == name) {
                start[j] = *v;
            }
        }
        options.start = Some(start);
    }
    let fit = fit_circuit_with(&circuit, &spectrum, &options)
        .with_context(|| format!("cannot fit {} to {}", circuit.text(), path.display()))?;
    println!(
        "circuit {} fitted to {} points of {} (cycle {cycle}; {})",
        circuit.text(),
        spectrum.len(),
        path.display(),
        file.format.description()
    );
    print!("{}", fit.table());
    if let Some(dir) = &out {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the output folder {}", dir.display()))?;
        write_fit(dir, &circuit, cycle, &spectrum, &fit)?;
        let title = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        write_figures(dir, &title, &spectrum, &fit, Some(&kk))?;
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

/// Prints the Kramers–Kronig test's outcome; a failure as a warning on standard error.
fn print_kk(kk: &LinKk, failed: bool) {
    println!(
        "Kramers–Kronig (lin-KK, {} RC elements, μ = {:.3}{}): relative residuals mean {:.3} %, max {:.3} % of |Z|",
        kk.m,
        kk.mu,
        if kk.mu_met { "" } else { ", μ criterion not met" },
        100.0 * kk.mean_abs_residual(),
        100.0 * kk.max_abs_residual()
    );
    if failed {
        eprintln!(
            "WARNING: the spectrum fails the Kramers–Kronig test: its mean residual {:.2} % exceeds {:.0} % of |Z|",
            100.0 * kk.mean_abs_residual(),
            100.0 * KK_THRESHOLD
        );
    }
}

/// The frequencies of a smooth model line over `spectrum`'s range: 40 per decade.
fn fine_frequencies(spectrum: &Spectrum) -> Vec<f64> {
    let (lo, hi) = spectrum
        .frequency_hz
        .iter()
        .fold((f64::INFINITY, 0.0f64), |(lo, hi), &f| {
            (lo.min(f), hi.max(f))
        });
    let n = ((hi / lo).log10() * 40.0).ceil().max(1.0) as usize;
    (0..=n)
        .map(|k| lo * (hi / lo).powf(k as f64 / n as f64))
        .collect()
}

/// Writes the Nyquist, Bode and residual figures of `spectrum` and `fit` (with the
/// Kramers–Kronig residuals if given) into `dir`.
pub fn write_figures(
    dir: &Path,
    title: &str,
    spectrum: &Spectrum,
    fit: &CircuitFit,
    kk: Option<&LinKk>,
) -> anyhow::Result<()> {
    let pairs = |z: &[faer::c64]| z.iter().map(|z| (z.re, z.im)).collect::<Vec<_>>();
    let data_ohm = pairs(&spectrum.z);
    let model_frequency_hz = fine_frequencies(spectrum);
    let figures = SpectrumFigures {
        title: format!("{title}, {}", fit.circuit.text()),
        fit_residuals: Some(relative_residuals(
            &data_ohm,
            &pairs(&fit.fitted(&spectrum.frequency_hz)),
        )),
        kk_residuals: kk.map(|k| (k.residual_re.clone(), k.residual_im.clone())),
        model_ohm: pairs(&fit.fitted(&model_frequency_hz)),
        model_frequency_hz,
        frequency_hz: spectrum.frequency_hz.clone(),
        data_ohm,
        data_label: "data".to_string(),
        model_label: "fit".to_string(),
    };
    let paths = write_spectrum_figures(dir, &figures)
        .with_context(|| format!("cannot write the figures into {}", dir.display()))?;
    println!(
        "figures: {}",
        paths
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "png"))
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
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
