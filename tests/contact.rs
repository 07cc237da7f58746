//! The contact fraction χ (`positive.contact_fraction`) as the one quantity behind every
//! interfacial term: the intercalation current (exchange current), the double layer, the film
//! resistance and the side currents are all per contacted area, and the lithium enters the
//! particle through the contacted surface. So a cell with χ and its interfacial properties per
//! contacted area scaled by 1/χ (k, C_dl) and χ (R_film) is the same cell: these tests fail if
//! any term misses χ or takes it twice.

mod common;

use asslb::numerics::mesh::MeshSettings;
use asslb::physics::p2d::P2dModel;
use asslb::physics::parameters::{CellParameters, GrainBoundary};
use asslb::protocol::simulate::SolverSettings;
use asslb::protocol::{
    simulate, Experiment, PhysicalLimit, SimulationError, Step, TimeseriesRecord,
};
use asslb::scenario::load_parameter_set;
use common::interpolate;

/// The solid verification cell with both double layers, a film and grain boundaries.
fn cell() -> CellParameters {
    let mut p = load_parameter_set("solid_halfcell_single_ion").expect("built-in set");
    p.positive.double_layer_capacitance_f_m2 = 0.2;
    p.positive.film_resistance_ohm_m2 = 0.01;
    p.negative.double_layer_capacitance_f_m2 = 0.1;
    p.separator.grain_boundary = Some(GrainBoundary {
        resistance_ohm_m2: 2e-3,
        capacitance_f_m2: 3e-4,
    });
    p
}

/// `p` with contact fraction `chi` and its interfacial properties per contacted area, so that
/// per particle surface they are those of `p` (which has χ = 1).
fn same_cell_with_contact(p: &CellParameters, chi: f64) -> CellParameters {
    assert_eq!(p.positive.contact_fraction, 1.0);
    let mut q = p.clone();
    let pos = &mut q.positive;
    pos.contact_fraction = chi;
    pos.exchange_current.k /= chi;
    pos.double_layer_capacitance_f_m2 /= chi;
    pos.film_resistance_ohm_m2 *= chi;
    q
}

fn discharge(p: &CellParameters, c_rate: f64) -> Vec<TimeseriesRecord> {
    let experiment = Experiment::single_cycle(vec![Step::discharge_to(
        c_rate * p.nominal_capacity_ah,
        p.lower_cutoff_v,
    )]);
    let solver = SolverSettings {
        output_interval_s: Some(10.0),
        rtol: 1e-8,
        atol: 1e-10,
        ..SolverSettings::default()
    };
    let mut rows = Vec::new();
    simulate(p, &MeshSettings::default(), &solver, &experiment, &mut rows).expect("discharge");
    rows
}

#[test]
fn a_partial_contact_with_interfacial_properties_per_contacted_area_is_the_same_cell() {
    let whole = cell();
    for chi in [0.5, 0.05] {
        let part = same_cell_with_contact(&whole, chi);
        // The impedance at rest, from the diffusion tail to the grain-boundary arc.
        let frequencies = [1e-3, 0.1, 10.0, 1e3, 1e5];
        let spectrum = |p: &CellParameters| {
            let mut m = P2dModel::new(p, &MeshSettings::default()).expect("model");
            let y0 = m.rest_state();
            let yp0 = vec![0.0; y0.len()];
            m.impedance(&y0, &yp0, &frequencies).expect("impedance")
        };
        let (a, b) = (spectrum(&whole), spectrum(&part));
        for ((f, za), zb) in frequencies.iter().zip(&a).zip(&b) {
            let diff = (za - zb).norm() / za.norm();
            println!("χ = {chi}, {f} Hz: Z {za} against {zb}, relative {diff:.1e}");
            assert!(diff < 1e-9, "χ = {chi}, {f} Hz: {za} against {zb}");
        }
        // A 2C discharge: the same voltage at every time, the same capacity.
        let (ra, rb) = (discharge(&whole, 2.0), discharge(&part, 2.0));
        let (ta, va): (Vec<f64>, Vec<f64>) = ra.iter().map(|r| (r.time_s, r.voltage_v)).unzip();
        let end = |r: &[TimeseriesRecord]| r.last().expect("rows").time_s;
        assert!(
            (end(&ra) / end(&rb) - 1.0).abs() < 1e-6,
            "χ = {chi}: discharge ends at {} s against {} s",
            end(&ra),
            end(&rb)
        );
        let worst = rb
            .iter()
            .filter(|r| r.time_s <= end(&ra))
            .map(|r| (r.voltage_v - interpolate(&ta, &va, r.time_s)).abs())
            .fold(0.0, f64::max);
        println!("χ = {chi}: largest voltage difference {worst:.2e} V");
        assert!(worst < 1e-6, "χ = {chi}: {worst} V");
    }
}

#[test]
fn less_contact_with_the_same_interface_raises_every_interfacial_resistance_alike() {
    // χ halved, the interface unchanged per contacted area: the charge-transfer and film
    // resistances per particle surface double and the double-layer capacitance halves, so the
    // cathode's interfacial arc doubles in size at the same characteristic frequency, and a
    // discharge loses voltage.
    let whole = cell();
    let mut half = whole.clone();
    half.positive.contact_fraction = 0.5;
    let (ra, rb) = (discharge(&whole, 1.0), discharge(&half, 1.0));
    let (ta, va): (Vec<f64>, Vec<f64>) = ra.iter().map(|r| (r.time_s, r.voltage_v)).unzip();
    let at = |t: f64| interpolate(&ta, &va, t);
    let (tb, vb): (Vec<f64>, Vec<f64>) = rb.iter().map(|r| (r.time_s, r.voltage_v)).unzip();
    let drop = at(600.0) - interpolate(&tb, &vb, 600.0);
    println!("voltage lost at 600 s with half the contact: {drop:.4} V");
    assert!(drop > 1e-3, "{drop} V");
    // The surface flux of a particle is the same lithium: the discharge capacity is within
    // the overpotential's share.
    let capacity = |r: &[TimeseriesRecord]| r.last().expect("rows").time_s;
    assert!(capacity(&rb) < capacity(&ra));
}

#[test]
fn a_failure_at_an_interface_that_cannot_carry_the_current_names_the_interface() {
    // 1 % contact and a resistive film: at 5C the ohmic drop across the interface alone is
    // volts, |i| r_film/(χ a L_p). A solver failure in that state explains itself by it.
    let mut p = cell();
    p.positive.contact_fraction = 0.01;
    p.positive.film_resistance_ohm_m2 = 0.05;
    let model = P2dModel::new(&p, &MeshSettings::default()).expect("model");
    let mut y = model.rest_state();
    let i = 5.0 * p.nominal_capacity_ah / p.area_m2;
    y[model.layout().i_app] = i;
    let expected = i * p.positive.film_resistance_ohm_m2
        / (p.positive.contacted_surface_area_m() * p.positive.thickness_m);
    let drop = model.interface_drop_v(&y, i);
    assert!(
        (drop / expected - 1.0).abs() < 1e-9,
        "{drop} V against {expected} V"
    );
    assert!(drop > 1.0, "{drop} V");
    let step = Step::discharge_to(5.0 * p.nominal_capacity_ah, p.lower_cutoff_v);
    let explanation = asslb::protocol::explain_failure(&model, &y, &step, 0.0);
    assert!(
        matches!(
            explanation.limit,
            asslb::protocol::PhysicalLimit::InterfaceDrop { volts } if (volts / drop - 1.0).abs() < 1e-12
        ),
        "{explanation:?}"
    );
    let text = explanation.to_string();
    assert!(
        text.contains("ohmic drop across the cathode's interface"),
        "{text}"
    );
    // With the whole surface in contact and no film, the interface is not what limits.
    let mut q = cell();
    q.positive.film_resistance_ohm_m2 = 0.0;
    let model = P2dModel::new(&q, &MeshSettings::default()).expect("model");
    let mut y = model.rest_state();
    y[model.layout().i_app] = i;
    let explanation = asslb::protocol::explain_failure(&model, &y, &step, 0.0);
    assert!(
        !matches!(
            explanation.limit,
            asslb::protocol::PhysicalLimit::InterfaceDrop { .. }
        ),
        "{explanation:?}"
    );
    assert!(!explanation.to_string().contains("ohmic drop"));
}

#[test]
fn a_solver_failure_carries_its_physical_account_as_data_and_in_its_message() {
    // A 1C discharge given 20 internal steps: the step stops (MAX_STEPS) far from any
    // limit of the cell, and the run's error says where the cell was and that nothing
    // physical limited, both as data and in the message.
    let p = cell();
    let experiment = Experiment::single_cycle(vec![Step::discharge_to(
        p.nominal_capacity_ah,
        p.lower_cutoff_v,
    )]);
    let solver = SolverSettings {
        max_steps: 20,
        ..SolverSettings::default()
    };
    let mut rows = Vec::new();
    let err = simulate(
        &p,
        &MeshSettings::default(),
        &solver,
        &experiment,
        &mut rows,
    )
    .expect_err("20 steps cannot discharge the cell");
    let SimulationError::Solver {
        cycle,
        step,
        error,
        explanation,
    } = &err
    else {
        panic!("expected a solver failure, got {err}");
    };
    assert_eq!((*cycle, *step), (1, 1));
    assert_eq!(error.flag, "MAX_STEPS");
    assert!(
        matches!(explanation.limit, PhysicalLimit::Numerical { .. }),
        "{explanation:?}"
    );
    assert_eq!(explanation.limit.name(), "numerical");
    assert!(explanation.hold.is_none());
    assert!(explanation.current_a > 0.0 && explanation.voltage_v > p.lower_cutoff_v);
    assert!(explanation.elapsed_s > 0.0);
    let shown = err.to_string();
    assert!(
        shown.starts_with("cycle 1, step 1: MAX_STEPS at t = "),
        "{shown}"
    );
    assert!(shown.ends_with(&format!("; {explanation}")), "{shown}");
    assert!(shown.contains("no physical limit was near"), "{shown}");
}
