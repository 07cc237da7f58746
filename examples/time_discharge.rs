//! Times one full 1C discharge of the solid verification case at the default 20/10/20 mesh,
//! warm (the model is built and discretised once; each run re-solves from the rest state), and
//! prints one JSON line for `benches/pybamm_compare.py`:
//! `{"median_ms": …, "min_ms": …, "runs": …, "capacity_Ah": …, "unknowns": …, "solver_steps": …}`.
//!
//! Run: `cargo run --release --example time_discharge [-- runs]`.

use std::time::Instant;

use asslb::numerics::mesh::MeshSettings;
use asslb::protocol::simulate::SolverSettings;
use asslb::protocol::{simulate, Direction, Step, StepLimit, TimeseriesRecord};
use asslb::scenario::load_parameter_set;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runs: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(200);
    let params = load_parameter_set("solid_halfcell_single_ion")?;
    let mesh = MeshSettings::default();
    let solver = SolverSettings::default();
    let steps = [Step::ConstantCurrent {
        current_a: params.nominal_capacity_ah,
        direction: Direction::Discharge,
        limit: StepLimit {
            voltage_v: Some(params.lower_cutoff_v),
            duration_s: None,
        },
    }];
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs.max(1) + 1 {
        let mut rows: Vec<TimeseriesRecord> = Vec::with_capacity(4096);
        let start = Instant::now();
        let summary = simulate(&params, &mesh, &solver, &steps, &mut rows)?;
        times.push(start.elapsed().as_secs_f64() * 1e3);
        last = Some((summary, rows));
    }
    times.remove(0); // warm-up
    times.sort_by(f64::total_cmp);
    let (summary, rows) = last.ok_or("no run")?;
    let capacity = rows.last().map_or(0.0, |r| r.discharge_capacity_ah);
    println!(
        "{{\"median_ms\": {:.4}, \"min_ms\": {:.4}, \"runs\": {}, \"capacity_Ah\": {:.10e}, \"unknowns\": {}, \"solver_steps\": {}}}",
        times[times.len() / 2],
        times[0],
        times.len(),
        capacity,
        summary.unknowns,
        summary.solver_steps
    );
    Ok(())
}
