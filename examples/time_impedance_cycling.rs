//! Times the paper's 1000-cycle run (`scenarios/wu2022_1c_1000.toml`: 10 formation cycles and
//! 1000 at 1C, 1010 in all) without impedance spectra and with a spectrum every 50 cycles
//! (after discharge and 30 min of rest, 10 mHz – 1 MHz at 10 per decade: 20 spectra of 81
//! frequencies), alternating the two `runs` times, and prints one JSON line:
//! `{"runs": …, "plain_s": …, "with_impedance_s": …, "overhead_percent": …, "spectra": …,
//!   "impedance_s": …}` (medians of the run's wall time, set-up excluded; `impedance_s` is the
//! time spent inside the probes).
//!
//! Rows are not kept (only the spectra are counted), as in a long run that saves few cycles.
//! Run: `cargo run --release --example time_impedance_cycling [-- runs]` (default 3).

use std::path::Path;

use asslb::protocol::{
    ImpedanceCycles, ImpedanceSettings, ImpedanceSpectrum, MeasureAfter, Simulation,
    TimeseriesRecord, TimeseriesSink,
};
use asslb::scenario::load_scenario;

/// Counts the spectra; keeps no rows.
#[derive(Default)]
struct Count(usize);

impl TimeseriesSink for Count {
    fn wants_cycle(&self, _cycle: usize) -> bool {
        false
    }
    fn record(&mut self, _row: &TimeseriesRecord) -> std::io::Result<()> {
        Ok(())
    }
    fn impedance_measured(&mut self, _spectrum: &ImpedanceSpectrum) -> std::io::Result<()> {
        self.0 += 1;
        Ok(())
    }
}

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
    let s = load_scenario(&path)?;
    let settings = ImpedanceSettings {
        cycles: ImpedanceCycles::Every(50),
        after: MeasureAfter::Discharge,
        rest_s: 1800.0,
        ..ImpedanceSettings::default()
    };
    let (mut plain, mut with, mut probes) = (Vec::new(), Vec::new(), Vec::new());
    let mut spectra = 0;
    for _ in 0..runs {
        let mut sim = Simulation::new(&s.parameters, &s.mesh, &s.solver)?;
        plain.push(sim.run(&s.experiment, &mut Count::default())?.wall_time_s);
        let mut sim = Simulation::new(&s.parameters, &s.mesh, &s.solver)?;
        sim.measure_impedance(Some(settings.clone()))?;
        let mut count = Count::default();
        let summary = sim.run(&s.experiment, &mut count)?;
        with.push(summary.wall_time_s);
        probes.push(summary.impedance_time_s);
        spectra = count.0;
    }
    let (p, w) = (median(plain), median(with));
    println!(
        "{{\"runs\": {runs}, \"plain_s\": {p:.3}, \"with_impedance_s\": {w:.3}, \"overhead_percent\": {:.2}, \"spectra\": {spectra}, \"impedance_s\": {:.3}}}",
        100.0 * (w - p) / p,
        median(probes)
    );
    Ok(())
}
