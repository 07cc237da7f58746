//! The optional terms of the model, run end to end: double-layer capacitance at both
//! interfaces (zero = off) and a film resistance in series with the charge transfer.

mod common;

use asslb::numerics::mesh::MeshSettings;
use asslb::physics::parameters::CellParameters;
use asslb::protocol::simulate::SolverSettings;
use asslb::protocol::{simulate, Experiment, Step, TimeseriesRecord};
use asslb::scenario::load_parameter_set;
use common::interpolate;

fn discharge(p: &CellParameters, c_rate: f64) -> Vec<TimeseriesRecord> {
    discharge_with(p, c_rate, true)
}

fn discharge_with(
    p: &CellParameters,
    c_rate: f64,
    capacitive_charging: bool,
) -> Vec<TimeseriesRecord> {
    let experiment = Experiment::single_cycle(vec![Step::discharge_to(
        c_rate * p.nominal_capacity_ah,
        p.lower_cutoff_v,
    )]);
    let solver = SolverSettings {
        output_interval_s: Some(5.0),
        capacitive_charging,
        ..SolverSettings::default()
    };
    let mut rows = Vec::new();
    simulate(p, &MeshSettings::default(), &solver, &experiment, &mut rows).unwrap();
    rows
}

fn voltage_at(rows: &[TimeseriesRecord], t: f64) -> f64 {
    let (ts, vs): (Vec<f64>, Vec<f64>) = rows.iter().map(|r| (r.time_s, r.voltage_v)).unzip();
    interpolate(&ts, &vs, t)
}

fn capacity(rows: &[TimeseriesRecord]) -> f64 {
    rows.last().unwrap().discharge_capacity_ah
}

#[test]
fn double_layers_only_change_the_first_instants() {
    for set in ["solid_halfcell_single_ion", "xu2019_liquid_halfcell"] {
        let plain = load_parameter_set(set).unwrap();
        let mut with_dl = plain.clone();
        with_dl.positive.double_layer_capacitance_f_m2 = 0.2;
        with_dl.negative.double_layer_capacitance_f_m2 = 0.1;
        let (a, b) = (discharge(&plain, 1.0), discharge(&with_dl, 1.0));
        // At the first instant the double layers have not charged: the charge-transfer
        // overpotentials are still zero, so the voltage is higher than without them.
        assert!(
            b[0].voltage_v > a[0].voltage_v + 1e-4,
            "{set}: V(0) {} with double layers vs {} without",
            b[0].voltage_v,
            a[0].voltage_v
        );
        // Their time constants (ms) are far below the discharge's: the same curve afterwards.
        for t in [300.0, 1000.0, 2000.0] {
            let d = (voltage_at(&a, t) - voltage_at(&b, t)).abs();
            assert!(d < 1e-3, "{set}: voltages differ by {d} V at {t} s");
        }
        let rel = (capacity(&a) - capacity(&b)).abs() / capacity(&a);
        assert!(rel < 1e-3, "{set}: capacities differ by {rel}");
    }
}

#[test]
fn quasi_static_interfaces_leave_the_capacitances_out_of_the_time_integration() {
    let plain = load_parameter_set("solid_halfcell_single_ion").unwrap();
    let mut with_dl = plain.clone();
    with_dl.positive.double_layer_capacitance_f_m2 = 0.2;
    with_dl.negative.double_layer_capacitance_f_m2 = 0.1;
    let a = discharge_with(&plain, 1.0, false);
    let b = discharge_with(&with_dl, 1.0, false);
    let c = discharge_with(&with_dl, 1.0, true);
    // Without charging the double layers do nothing, not even at the first instant ...
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert!((x.voltage_v - y.voltage_v).abs() < 1e-9, "{x:?} vs {y:?}");
    }
    // ... while with charging they hold the first voltage up.
    assert!(c[0].voltage_v > b[0].voltage_v + 1e-4);
}

#[test]
fn film_resistance_adds_its_ohmic_drop() {
    let plain = load_parameter_set("solid_halfcell_single_ion").unwrap();
    let mut film = plain.clone();
    film.positive.film_resistance_ohm_m2 = 0.01;
    let (a, b) = (discharge(&plain, 1.0), discharge(&film, 1.0));
    // Faradaic current density, nearly uniform through the thin cathode: j = I/(A a_c L_p).
    let p = &plain.positive;
    let j =
        plain.nominal_capacity_ah / plain.area_m2 / (p.contacted_surface_area_m() * p.thickness_m);
    let expected = film.positive.film_resistance_ohm_m2 * j;
    for t in [600.0, 1200.0, 1800.0] {
        let drop = voltage_at(&a, t) - voltage_at(&b, t);
        eprintln!("t = {t} s: drop {drop:.6} V, R_film j = {expected:.6} V");
        assert!(
            (drop - expected).abs() < 0.2 * expected,
            "voltage drop {drop} V at {t} s, expected about R_film j = {expected} V"
        );
    }
}
