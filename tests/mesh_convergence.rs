//! Spatial convergence: refining the mesh (cathode x / separator x / particle r, all doubled
//! together) makes the delivered capacity and the voltage curve of the 1C discharge of the
//! solid verification case converge, at a rate consistent with a second-order scheme.

mod common;

use asslb::numerics::mesh::MeshSettings;
use asslb::protocol::simulate::SolverSettings;
use asslb::protocol::{simulate, Experiment, Step, TimeseriesRecord};
use asslb::scenario::load_parameter_set;
use common::interpolate;

fn discharge(mesh: MeshSettings) -> Vec<TimeseriesRecord> {
    let p = load_parameter_set("solid_halfcell_single_ion").unwrap();
    let experiment = Experiment::single_cycle(vec![Step::discharge_to(
        p.nominal_capacity_ah,
        p.lower_cutoff_v,
    )]);
    // Tight time integration so that the spatial error dominates.
    let solver = SolverSettings {
        rtol: 1e-9,
        atol: 1e-11,
        output_interval_s: Some(10.0),
        ..SolverSettings::default()
    };
    let mut rows = Vec::new();
    simulate(&p, &mesh, &solver, &experiment, &mut rows).unwrap();
    rows
}

/// RMS voltage difference between two runs over the first 90 % of the shorter one [V].
fn rms_difference(a: &[TimeseriesRecord], b: &[TimeseriesRecord]) -> f64 {
    let (tb, vb): (Vec<f64>, Vec<f64>) = b.iter().map(|r| (r.time_s, r.voltage_v)).unzip();
    let t_end = 0.9 * a.last().unwrap().time_s.min(*tb.last().unwrap());
    let d: Vec<f64> = a
        .iter()
        .filter(|r| r.time_s > 0.0 && r.time_s <= t_end)
        .map(|r| r.voltage_v - interpolate(&tb, &vb, r.time_s))
        .collect();
    (d.iter().map(|x| x * x).sum::<f64>() / d.len() as f64).sqrt()
}

#[test]
fn refinement_converges_at_second_order() {
    let meshes = [(5, 3, 5), (10, 6, 10), (20, 12, 20), (40, 24, 40)];
    let runs: Vec<Vec<TimeseriesRecord>> = meshes
        .iter()
        .map(|&(p, s, r)| {
            discharge(MeshSettings {
                positive_x_cells: p,
                separator_x_cells: s,
                particle_r_cells: r,
                ..MeshSettings::default()
            })
        })
        .collect();
    let finest = runs.last().unwrap();
    let q_fine = finest.last().unwrap().discharge_capacity_ah;
    let mut cap_err = Vec::new();
    let mut v_err = Vec::new();
    for run in &runs[..runs.len() - 1] {
        cap_err.push((run.last().unwrap().discharge_capacity_ah - q_fine).abs() / q_fine);
        v_err.push(rms_difference(run, finest));
    }
    eprintln!("capacity errors vs finest: {cap_err:?}");
    eprintln!("RMS voltage differences vs finest [V]: {v_err:?}");
    for k in 1..v_err.len() {
        // Differences against the finest mesh shrink by at least 3x per halving of h
        // (4x for an exact second-order scheme; the last one is also polluted by the
        // finest run's own error, hence the margin).
        assert!(v_err[k] < v_err[k - 1] / 3.0, "voltage: {v_err:?}");
        assert!(cap_err[k] < cap_err[k - 1] / 2.5, "capacity: {cap_err:?}");
    }
}

/// Particle shells refined toward the surface converge to the same discharge as uniform ones:
/// with the cathode and separator meshes fixed, refined meshes of 10, 20 and 40 shells approach
/// the 80-shell uniform reference at second order, and at 20 shells the refined mesh is within
/// a factor 3 of the uniform one's error (its inner shells are coarser: 0.43 against 0.20 mV).
#[test]
fn surface_refined_particle_shells_converge_to_the_same_discharge() {
    let mesh = |r: usize, m: usize| MeshSettings {
        positive_x_cells: 10,
        separator_x_cells: 6,
        particle_r_cells: r,
        particle_surface_refinement: m,
    };
    let reference = discharge(mesh(80, 1));
    let q_ref = reference.last().unwrap().discharge_capacity_ah;
    let error = |run: &[TimeseriesRecord]| {
        (
            (run.last().unwrap().discharge_capacity_ah - q_ref).abs() / q_ref,
            rms_difference(run, &reference),
        )
    };
    let refined: Vec<(f64, f64)> = [10, 20, 40]
        .iter()
        .map(|&r| error(&discharge(mesh(r, 5))))
        .collect();
    let uniform = error(&discharge(mesh(20, 1)));
    eprintln!("refined (capacity, RMS V) at 10/20/40 shells: {refined:?}; uniform 20: {uniform:?}");
    for k in 1..refined.len() {
        assert!(refined[k].1 < refined[k - 1].1 / 3.0, "{refined:?}");
    }
    assert!(refined[1].0 < 2e-3 && refined[1].1 < 2e-3, "{refined:?}");
    assert!(refined[1].1 < 3.0 * uniform.1, "{refined:?} vs {uniform:?}");
}
