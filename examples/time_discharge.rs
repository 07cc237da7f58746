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
use asslb::protocol::{simulate, Experiment, Simulation, Step, TimeseriesRecord};
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
    let experiment = Experiment::single_cycle(vec![Step::discharge_to(
        params.nominal_capacity_ah,
        params.lower_cutoff_v,
    )]);
    let mut simulation = Simulation::new(&params, &mesh, &solver)?;
    let mut rows: Vec<TimeseriesRecord> = Vec::with_capacity(4096);
    let mut warm = Vec::with_capacity(runs);
    let mut cold = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs.max(1) + 1 {
        rows.clear();
        let start = Instant::now();
        let summary = simulation.run(&experiment, &mut rows)?;
        warm.push(start.elapsed().as_secs_f64() * 1e3);
        rows.clear();
        let start = Instant::now();
        simulate(&params, &mesh, &solver, &experiment, &mut rows)?;
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
    let rms_mv = rms_against_reference(&params, &mesh, &solver, &experiment)? * 1e3;
    println!(
        "{{\"median_ms\": {:.4}, \"min_ms\": {:.4}, \"runs\": {}, \"capacity_Ah\": {:.10e}, \"unknowns\": {}, \"solver_steps\": {}, \"cold_median_ms\": {:.4}, \"rms_mV\": {:.4}}}",
        warm[warm.len() / 2],
        warm[0],
        warm.len(),
        capacity,
        summary.unknowns,
        summary.solver_steps,
        cold[cold.len() / 2],
        rms_mv
    );
    Ok(())
}

/// RMS voltage difference \[V\] from the PyBaMM reference curve over the common time range,
/// with the same solver settings but rows at the reference's own 2.7 s spacing (IDA's
/// interpolation, not linear interpolation between internal steps).
fn rms_against_reference(
    params: &asslb::physics::parameters::CellParameters,
    mesh: &MeshSettings,
    solver: &SolverSettings,
    experiment: &Experiment,
) -> Result<f64, Box<dyn std::error::Error>> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/validation/reference/solid_halfcell_single_ion/reference_discharge_1C.csv"
    );
    let mut reference = Vec::new();
    for line in std::fs::read_to_string(path)?.lines().skip(1) {
        let v: Vec<f64> = line
            .split(',')
            .map(|x| x.trim().parse())
            .collect::<Result<_, _>>()?;
        reference.push((v[0], v[1]));
    }
    let dense = SolverSettings {
        output_interval_s: Some(2.7),
        ..solver.clone()
    };
    let mut rows: Vec<TimeseriesRecord> = Vec::new();
    simulate(params, mesh, &dense, experiment, &mut rows)?;
    let end = rows.last().ok_or("no rows")?.time_s;
    let (mut sum, mut count) = (0.0, 0usize);
    for (t, v) in reference.into_iter().filter(|(t, _)| *t <= end) {
        let k = rows
            .partition_point(|r| r.time_s <= t)
            .clamp(1, rows.len() - 1);
        let (a, b) = (&rows[k - 1], &rows[k]);
        let w = if b.time_s > a.time_s {
            (t - a.time_s) / (b.time_s - a.time_s)
        } else {
            0.0
        };
        let sim = a.voltage_v + w * (b.voltage_v - a.voltage_v);
        sum += (sim - v) * (sim - v);
        count += 1;
    }
    Ok((sum / count.max(1) as f64).sqrt())
}
