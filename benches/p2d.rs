//! Criterion benchmarks of the P2D engine on the solid verification case at the default
//! 20/10/20 mesh and default solver settings: residual evaluation, Jacobian evaluation plus
//! numeric LU refactorisation, one LU solve, and one full 1C discharge from rest to the lower
//! cut-off, warm (on a built [`Simulation`]) and cold (building it too).
//!
//! Run: `cargo bench --bench p2d`. Side by side with PyBaMM: `python3 benches/pybamm_compare.py`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};

use asslb::numerics::dae::DaeSystem;
use asslb::numerics::ida::Ida;
use asslb::numerics::mesh::MeshSettings;
use asslb::numerics::sparse_lu::SparseLu;
use asslb::physics::p2d::{Control, P2dModel};
use asslb::physics::parameters::CellParameters;
use asslb::protocol::simulate::NoRows;
use asslb::protocol::simulate::{ida_options, SolverSettings};
use asslb::protocol::{simulate, Block, Experiment, Simulation, Step, TimeseriesRecord};
use asslb::scenario::load_parameter_set;

fn parameters() -> CellParameters {
    load_parameter_set("solid_halfcell_single_ion").expect("built-in parameter set")
}

fn one_c_discharge(p: &CellParameters) -> Experiment {
    Experiment::single_cycle(vec![Step::discharge_to(
        p.nominal_capacity_ah,
        p.lower_cutoff_v,
    )])
}

/// A realistic mid-discharge state: 1C for 1200 s from rest.
fn mid_discharge_state(p: &CellParameters) -> (P2dModel, Vec<f64>, Vec<f64>) {
    let mut model = P2dModel::new(p, &MeshSettings::default()).expect("model");
    let i = p.nominal_capacity_ah / p.area_m2;
    model.set_control(Control::Current { i_a_m2: i });
    let mut y = model.rest_state();
    model.guess_for_current(&mut y, i);
    let yp = vec![0.0; model.len()];
    let options = ida_options(&model, &SolverSettings::default());
    let mut ida = Ida::new(model, 0.0, &y, &yp, &options).expect("solver");
    ida.calc_ic(1.0).expect("consistent initial conditions");
    ida.advance_to(1200.0).expect("integration");
    let (y, yp) = (ida.y().to_vec(), ida.yp().to_vec());
    (ida.into_system(), y, yp)
}

fn benches(c: &mut Criterion) {
    let p = parameters();
    let (mut model, y, yp) = mid_discharge_state(&p);
    let n = model.len();

    let mut r = vec![0.0; n];
    c.bench_function("residual (solid case, 20/10/20)", |b| {
        b.iter(|| model.residual(0.0, black_box(&y), black_box(&yp), &mut r))
    });

    let pattern = model.jacobian_pattern();
    let mut values = vec![0.0; pattern.nnz()];
    let mut lu = SparseLu::new(&pattern).expect("symbolic analysis");
    model
        .jacobian(0.0, 1.0, &y, &yp, &mut values)
        .expect("jacobian");
    lu.factorize(&values).expect("first factorisation");
    c.bench_function(
        "jacobian + LU refactorisation (solid case, 20/10/20)",
        |b| {
            b.iter(|| {
                model
                    .jacobian(0.0, black_box(0.5), &y, &yp, &mut values)
                    .expect("jacobian");
                lu.factorize(&values).expect("refactorisation");
            })
        },
    );

    let mut rhs = r.clone();
    c.bench_function("LU solve (solid case, 20/10/20)", |b| {
        b.iter(|| {
            rhs.copy_from_slice(&r);
            lu.solve_in_place(black_box(&mut rhs)).expect("solve")
        })
    });

    let mesh = MeshSettings::default();
    let solver = SolverSettings::default();
    let experiment = one_c_discharge(&p);
    let mut rows: Vec<TimeseriesRecord> = Vec::with_capacity(4096);
    let mut simulation = Simulation::new(&p, &mesh, &solver).expect("simulation");
    c.bench_function("full 1C discharge, warm (solid case, 20/10/20)", |b| {
        b.iter(|| {
            rows.clear();
            simulation.run(&experiment, &mut rows).expect("discharge")
        })
    });
    c.bench_function("full 1C discharge, cold (solid case, 20/10/20)", |b| {
        b.iter(|| {
            rows.clear();
            simulate(&p, &mesh, &solver, &experiment, &mut rows).expect("discharge")
        })
    });
}

/// 100 cycles of 1C discharge/charge between the cut-offs, every cycle fully resolved, rows
/// not kept (`examples/time_cycling.rs` times 1000 and reports memory).
fn cycling(c: &mut Criterion) {
    let p = parameters();
    let one_c = p.nominal_capacity_ah;
    let experiment = Experiment {
        blocks: vec![Block {
            cycles: 100,
            steps: vec![
                Step::discharge_to(one_c, p.lower_cutoff_v),
                Step::charge_to(one_c, p.upper_cutoff_v),
            ],
        }],
    };
    let mut simulation = Simulation::new(&p, &MeshSettings::default(), &SolverSettings::default())
        .expect("simulation");
    let mut group = c.benchmark_group("cycling");
    group.sample_size(10);
    group.bench_function("100 cycles 1C (solid case, 20/10/20)", |b| {
        b.iter(|| simulation.run(&experiment, &mut NoRows).expect("cycling"))
    });
    group.finish();
}

/// An impedance spectrum of 61 frequencies (10 mHz – 1 MHz) of the solid case with double
/// layers at both interfaces, at rest (issue 5's target: ≤ 5 ms).
fn impedance(c: &mut Criterion) {
    let mut p = parameters();
    p.positive.double_layer_capacitance_f_m2 = 0.2;
    p.negative.double_layer_capacitance_f_m2 = 0.1;
    let mut model = P2dModel::new(&p, &MeshSettings::default()).expect("model");
    let y = model.rest_state();
    let yp = vec![0.0; y.len()];
    let decades = 8.0;
    let frequencies: Vec<f64> = (0..61)
        .map(|k| 0.01 * 10f64.powf(decades * k as f64 / 60.0))
        .collect();
    c.bench_function(
        "impedance spectrum, 61 frequencies (solid case, 20/10/20)",
        |b| {
            b.iter(|| {
                model
                    .impedance(black_box(&y), &yp, &frequencies)
                    .expect("spectrum")
            })
        },
    );
}

criterion_group!(p2d, benches, cycling, impedance);
criterion_main!(p2d);
