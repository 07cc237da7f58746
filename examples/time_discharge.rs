//! Times one full 1C discharge of the solid verification case at the default 20/10/20 mesh and
//! default solver settings, and prints one JSON line for `benches/pybamm_compare.py`:
//! `{"median_ms": …, "min_ms": …, "runs": …, "capacity_Ah": …, "unknowns": …, "solver_steps": …,
//!   "cold_median_ms": …}`.
//!
//! `median_ms`/`min_ms` are *warm*, like PyBaMM's warm solve: the [`Simulation`] (discretised
//! model, Jacobian pattern, symbolic LU analysis, solver memory) is built once and each timed run
//! solves the discharge from the rested cell, consistent initial conditions included.
//! `cold_median_ms` also builds the simulation every time (`asslb::protocol::simulate`).
//!
//! Run: `cargo run --release --example time_discharge [-- runs]`.

use std::time::Instant;

use asslb::numerics::mesh::MeshSettings;
use asslb::protocol::simulate::SolverSettings;
use asslb::protocol::{simulate, Direction, Simulation, Step, StepLimit, TimeseriesRecord};
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
    let mut simulation = Simulation::new(&params, &mesh, &solver)?;
    let mut rows: Vec<TimeseriesRecord> = Vec::with_capacity(4096);
    let mut warm = Vec::with_capacity(runs);
    let mut cold = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs.max(1) + 1 {
        rows.clear();
        let start = Instant::now();
        let summary = simulation.run(&steps, &mut rows)?;
        warm.push(start.elapsed().as_secs_f64() * 1e3);
        rows.clear();
        let start = Instant::now();
        simulate(&params, &mesh, &solver, &steps, &mut rows)?;
        cold.push(start.elapsed().as_secs_f64() * 1e3);
        last = Some(summary);
    }
    // Drop the warm-up run.
    warm.remove(0);
    cold.remove(0);
    warm.sort_by(f64::total_cmp);
    cold.sort_by(f64::total_cmp);
    let summary = last.ok_or("no run")?;
    let capacity = rows.last().map_or(0.0, |r| r.discharge_capacity_ah);
    println!(
        "{{\"median_ms\": {:.4}, \"min_ms\": {:.4}, \"runs\": {}, \"capacity_Ah\": {:.10e}, \"unknowns\": {}, \"solver_steps\": {}, \"cold_median_ms\": {:.4}}}",
        warm[warm.len() / 2],
        warm[0],
        warm.len(),
        capacity,
        summary.unknowns,
        summary.solver_steps,
        cold[cold.len() / 2]
    );
    Ok(())
}
