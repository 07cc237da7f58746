//! Times the paper's 1000-cycle run (`scenarios/wu2022_1c_1000.toml` as shipped: 10 formation
//! cycles and 1000 at 1C) with its `[impedance]` section (a spectrum at cycle 11 and every 50
//! cycles after, after discharge and 30 min of rest, 10 mHz – 1 MHz at 10 per decade, each
//! fitted with the paper's circuit: 20 spectra of 81 frequencies) and without it, alternating
//! the two `runs` times, writing every output file as `asslb run` does, and prints one JSON
//! line: `{"runs": …, "plain_s": …, "with_impedance_s": …, "overhead_percent": …, "spectra": …,
//! "impedance_s": …}` (medians of the run's wall time, set-up excluded; `impedance_s` is the time
//! inside the probes and fits).
//!
//! Run: `cargo run --release --example time_impedance_cycling [-- runs]` (default 3).

use std::path::Path;

use asslb::scenario::{load_scenario, run_scenario, ExistingFiles};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runs: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(3)
        .max(1);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/wu2022_1c_1000.toml");
    let with_impedance = load_scenario(&path)?;
    if with_impedance.impedance.is_none() {
        return Err("the scenario has no [impedance] section".into());
    }
    let plain_scenario = asslb::scenario::Scenario {
        impedance: None,
        ..with_impedance.clone()
    };
    let dir = tempfile::tempdir()?;
    let (mut plain, mut with, mut probes) = (Vec::new(), Vec::new(), Vec::new());
    let mut spectra = 0;
    // Each repetition replaces the files of the one before.
    let run = |scenario, folder| {
        run_scenario(
            scenario,
            &dir.path().join(folder),
            ExistingFiles::Replace,
            &mut (),
        )
    };
    for _ in 0..runs {
        let report = run(&plain_scenario, "plain")?;
        plain.push(report.summary.wall_time_s);
        let report = run(&with_impedance, "with")?;
        with.push(report.summary.wall_time_s);
        probes.push(report.summary.impedance_time_s);
        spectra = report.summary.impedance_spectra;
    }
    let (p, w) = (median(plain), median(with));
    println!(
        "{{\"runs\": {runs}, \"plain_s\": {p:.3}, \"with_impedance_s\": {w:.3}, \"overhead_percent\": {:.2}, \"spectra\": {spectra}, \"impedance_s\": {:.3}}}",
        100.0 * (w - p) / p,
        median(probes)
    );
    Ok(())
}
