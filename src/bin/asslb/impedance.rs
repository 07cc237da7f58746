//! `asslb impedance`: the spectrum of the scenario's cell at rest, and optionally its
//! equivalent-circuit fit.

use std::path::PathBuf;

use anyhow::Context;

use asslb::protocol::{ImpedanceSettings, ImpedanceSettingsError};

use crate::common::{load, Sets};
use crate::fit_impedance::{write_figures, write_fit};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The scenario file (TOML).
    scenario: PathBuf,
    /// Output folder [default: out/<scenario name>].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Lowest frequency [Hz] [default: impedance.f_min_Hz, or 0.01].
    #[arg(long)]
    f_min: Option<f64>,
    /// Highest frequency [Hz] [default: impedance.f_max_Hz, or 1e6].
    #[arg(long)]
    f_max: Option<f64>,
    /// Frequencies per decade [default: impedance.points_per_decade, or 10].
    #[arg(long)]
    per_decade: Option<usize>,
    /// Also fit this equivalent circuit (impedance.py notation) and write impedance_fit.csv
    /// and impedance_fitted.csv [default: impedance.circuit, if any].
    #[arg(long)]
    circuit: Option<String>,
    #[command(flatten)]
    sets: Sets,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let Args {
        scenario,
        out,
        f_min,
        f_max,
        per_decade,
        circuit,
        sets,
    } = args;
    let scenario = load(&scenario, &sets.set)?;
    let defaults = scenario.impedance.clone().unwrap_or_default();
    let settings = ImpedanceSettings {
        f_min_hz: f_min.unwrap_or(defaults.f_min_hz),
        f_max_hz: f_max.unwrap_or(defaults.f_max_hz),
        points_per_decade: per_decade.unwrap_or(defaults.points_per_decade),
        ..defaults
    };
    // Every check (positive, increasing, the accepted ranges: at most 1000 per decade and
    // 10 000 frequencies) before any frequency is made, in the words of the flags given.
    let given = [f_min.is_some(), f_max.is_some(), per_decade.is_some()];
    settings
        .validate()
        .map_err(|e| anyhow::anyhow!("{}: {}", flags_at_fault(&e, given), e.message))?;
    let frequencies = settings.frequencies_hz();
    let z = asslb::protocol::spectrum_at_rest(&scenario.parameters, &scenario.mesh, &settings)?;
    let circuit = match circuit.as_deref().or(settings.circuit.as_deref()) {
        Some(text) => Some(
            asslb::impedance::Circuit::parse(text)
                .with_context(|| format!("invalid circuit \"{text}\""))?,
        ),
        None => None,
    };
    let out = out.unwrap_or_else(|| PathBuf::from("out").join(&scenario.name));
    std::fs::create_dir_all(&out)
        .with_context(|| format!("cannot create the output folder {}", out.display()))?;
    let path = asslb::output::write_impedance(&out, 0, &frequencies, &z)
        .with_context(|| format!("cannot write the spectrum into {}", out.display()))?;
    let p = &scenario.parameters;
    if p.positive.double_layer_capacitance_f_m2 == 0.0
        || p.negative.double_layer_capacitance_f_m2 == 0.0
    {
        println!(
            "note: a double-layer capacitance is 0, so that interface shows no arc (set positive.double_layer_capacitance_F_m2 and negative.double_layer_capacitance_F_m2)"
        );
    }
    println!("{:>14} {:>14} {:>14}", "frequency_Hz", "Z'_ohm", "-Z''_ohm");
    for (k, (f, zf)) in frequencies.iter().zip(&z).enumerate() {
        if k % settings.points_per_decade == 0 {
            println!("{f:>14.4e} {:>14.4} {:>14.4}", zf.re, -zf.im);
        }
    }
    println!(
        "{} frequencies written to {}",
        frequencies.len(),
        path.display()
    );
    let title = format!("{} at rest", scenario.name);
    if let Some(circuit) = circuit {
        let spectrum = asslb::impedance::Spectrum::new(frequencies, z)?;
        let fit = asslb::impedance::fit_circuit(&circuit, &spectrum, None)
            .with_context(|| format!("cannot fit {} to the spectrum", circuit.text()))?;
        println!("circuit {} fitted:", circuit.text());
        print!("{}", fit.table());
        write_fit(&out, &circuit, 0, &spectrum, &fit)?;
        write_figures(&out, &title, &spectrum, &fit, None)?;
    } else {
        // The computed spectrum as the line, its frequencies marked by decade.
        let figures = asslb::figures::SpectrumFigures {
            title,
            model_ohm: z.iter().map(|z| (z.re, z.im)).collect(),
            model_frequency_hz: frequencies,
            model_label: "P2D model".to_string(),
            ..Default::default()
        };
        asslb::figures::write_spectrum_figures(&out, &figures)
            .with_context(|| format!("cannot write the figures into {}", out.display()))?;
        println!(
            "figures: {}/impedance_nyquist.png, impedance_bode.png",
            out.display()
        );
    }
    Ok(())
}

/// The flags that stand for keys of the scenario's `[impedance]` section.
const FLAGS: [(&str, &str); 3] = [
    ("f_min_Hz", "--f-min"),
    ("f_max_Hz", "--f-max"),
    ("points_per_decade", "--per-decade"),
];

/// Who is at fault for `e`, with `given` telling which of [`FLAGS`] were given: the flags given
/// whose values took part, and the key at fault as `impedance.<key>` when no flag set it
/// (`--f-min and impedance.f_max_Hz`).
fn flags_at_fault(e: &ImpedanceSettingsError, given: [bool; 3]) -> String {
    let mut names: Vec<String> = FLAGS
        .iter()
        .zip(given)
        .filter_map(
            |(&(key, flag), given)| match (given && e.concerns(key), key == e.key) {
                (true, _) => Some(flag.to_string()),
                (false, true) => Some(format!("impedance.{key}")),
                (false, false) => None,
            },
        )
        .collect();
    if names.is_empty() {
        names.push(format!("impedance.{}", e.key));
    }
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => names.join(""),
    }
}
