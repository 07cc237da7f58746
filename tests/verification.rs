//! Agreement with the independent reference cases (PyBaMM 26.10 DFN on a converged mesh,
//! copied into `validation/reference/`): every public protocol, run from its scenario in
//! `scenarios/verification/` at the project's default 20/10/20 mesh, must come within 2 mV RMS
//! of the reference voltage over the common time range and within 0.2 % of its capacity.

mod common;

use asslb::protocol::simulate;
use asslb::scenario::load_scenario;
use common::{compare, read_reference, root};

fn check(case: &str, protocol: &str) {
    let scenario_path = root()
        .join("scenarios/verification")
        .join(format!("{case}_{protocol}.toml"));
    let scenario = load_scenario(&scenario_path)
        .unwrap_or_else(|e| panic!("{}: {e}", scenario_path.display()));
    assert_eq!(
        scenario.mesh,
        asslb::numerics::mesh::MeshSettings::default(),
        "verification runs at the default mesh"
    );
    let mut rows = Vec::new();
    simulate(
        &scenario.parameters,
        &scenario.mesh,
        &scenario.solver,
        &scenario.experiment,
        &mut rows,
    )
    .unwrap_or_else(|e| panic!("{case} {protocol}: {e}"));
    let reference = read_reference(
        &root()
            .join("validation/reference")
            .join(case)
            .join(format!("reference_{protocol}.csv")),
    );
    let a = compare(&rows, &reference);
    eprintln!(
        "{case} {protocol}: RMS {:.3} mV, max {:.3} mV, capacity {:.4} %",
        a.rms_v * 1e3,
        a.max_v * 1e3,
        a.capacity_rel * 100.0
    );
    assert!(
        a.rms_v <= 2e-3,
        "{case} {protocol}: RMS voltage difference {:.3} mV > 2 mV",
        a.rms_v * 1e3
    );
    assert!(
        a.capacity_rel <= 2e-3,
        "{case} {protocol}: capacity differs by {:.4} % > 0.2 %",
        a.capacity_rel * 100.0
    );
}

#[test]
fn solid_halfcell_single_ion_discharge_0p1c() {
    check("solid_halfcell_single_ion", "discharge_0p1C");
}

#[test]
fn solid_halfcell_single_ion_discharge_1c() {
    check("solid_halfcell_single_ion", "discharge_1C");
}

#[test]
fn solid_halfcell_single_ion_discharge_2c() {
    check("solid_halfcell_single_ion", "discharge_2C");
}

#[test]
fn liquid_halfcell_xu2019_discharge_0p5c() {
    check("liquid_halfcell_xu2019", "discharge_0p5C");
}

#[test]
fn liquid_halfcell_xu2019_discharge_1c() {
    check("liquid_halfcell_xu2019", "discharge_1C");
}

#[test]
fn liquid_halfcell_xu2019_discharge_2c() {
    check("liquid_halfcell_xu2019", "discharge_2C");
}
