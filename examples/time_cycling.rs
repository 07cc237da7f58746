//! Times 1000 cycles (1C constant-current discharge to the lower cut-off, 1C charge to the
//! upper cut-off, every cycle fully resolved) of the solid verification case at the default
//! 20/10/20 mesh and default solver settings, and prints one JSON line:
//! `{"cycles": …, "total_s": …, "ms_per_cycle": …, "solver_steps": …, "first_discharge_Ah": …,
//!   "last_discharge_Ah": …, "peak_rss_kB": …}`.
//!
//! Rows are not kept (only per-cycle figures), as in a long run that saves a few cycles.
//! Run: `cargo run --release --example time_cycling [-- cycles]`.

use std::time::Instant;

use asslb::numerics::mesh::MeshSettings;
use asslb::protocol::simulate::SolverSettings;
use asslb::protocol::{
    Block, CycleSummary, Experiment, Simulation, Step, TimeseriesRecord, TimeseriesSink,
};
use asslb::scenario::load_parameter_set;

/// Keeps the first and last cycle figures only: memory independent of the cycle count.
#[derive(Default)]
struct Figures {
    first: Option<CycleSummary>,
    last: Option<CycleSummary>,
}

impl TimeseriesSink for Figures {
    fn wants_cycle(&self, _cycle: usize) -> bool {
        false
    }
    fn record(&mut self, _row: &TimeseriesRecord) -> std::io::Result<()> {
        Ok(())
    }
    fn cycle_finished(&mut self, summary: &CycleSummary) -> std::io::Result<()> {
        self.first.get_or_insert(*summary);
        self.last = Some(*summary);
        Ok(())
    }
}

/// Peak resident set size of this process \[kB\] (Linux), if readable.
fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cycles: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(1000);
    let p = load_parameter_set("solid_halfcell_single_ion")?;
    let one_c = p.nominal_capacity_ah;
    let experiment = Experiment {
        blocks: vec![Block {
            cycles,
            steps: vec![
                Step::discharge_to(one_c, p.lower_cutoff_v),
                Step::charge_to(one_c, p.upper_cutoff_v),
            ],
        }],
    };
    let mut simulation = Simulation::new(&p, &MeshSettings::default(), &SolverSettings::default())?;
    let mut figures = Figures::default();
    let start = Instant::now();
    let summary = simulation.run(&experiment, &mut figures)?;
    let total = start.elapsed().as_secs_f64();
    let discharge = |c: Option<CycleSummary>| c.map_or(f64::NAN, |c| c.discharge_capacity_ah);
    println!(
        "{{\"cycles\": {}, \"total_s\": {:.4}, \"ms_per_cycle\": {:.4}, \"solver_steps\": {}, \"first_discharge_Ah\": {:.8e}, \"last_discharge_Ah\": {:.8e}, \"peak_rss_kB\": {}}}",
        summary.cycles,
        total,
        total * 1e3 / summary.cycles.max(1) as f64,
        summary.solver_steps,
        discharge(figures.first),
        discharge(figures.last),
        peak_rss_kb().map_or("null".to_string(), |k| k.to_string())
    );
    Ok(())
}
