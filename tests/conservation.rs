//! Lithium conservation: the change of lithium held by the cathode particles equals the charge
//! passed through the external circuit divided by F, to a relative error of 1e-8, for both
//! electrolytes, on discharge and on charge.

use asslb::constants::FARADAY;
use asslb::numerics::dae::DaeSystem;
use asslb::numerics::ida::{Ida, IdaOptions, StepOutcome};
use asslb::numerics::mesh::MeshSettings;
use asslb::physics::p2d::{Control, P2dModel};
use asslb::scenario::load_parameter_set;

/// Runs a constant-current step from the solver's state until the voltage event and returns
/// (cathode lithium change [mol], integrated current / F [mol]).
fn run_step(ida: &mut Ida<P2dModel>, current_a: f64, cutoff_v: f64) -> (f64, f64) {
    let area = ida.system().area_m2();
    let mut y = ida.y().to_vec();
    let yp = ida.yp().to_vec();
    {
        let m = ida.system_mut();
        m.set_control(Control::Current {
            i_a_m2: current_a / area,
        });
        m.set_voltage_event(Some(cutoff_v));
        m.guess_for_current(&mut y, current_a / area);
    }
    let t0 = ida.t();
    ida.reinit(t0, &y, &yp).unwrap();
    ida.calc_ic(t0 + 1.0).unwrap();
    let li0 = ida.system().cathode_lithium_mol(ida.y());
    loop {
        match ida.step(f64::MAX).unwrap() {
            StepOutcome::Root { .. } => break,
            _ => assert!(ida.stats().steps < 100_000),
        }
    }
    let li1 = ida.system().cathode_lithium_mol(ida.y());
    (li1 - li0, current_a * (ida.t() - t0) / FARADAY)
}

fn check(set: &str, current_a: f64) {
    let p = load_parameter_set(set).unwrap();
    let model = P2dModel::new(&p, &MeshSettings::default()).unwrap();
    let y0 = model.rest_state();
    let yp0 = vec![0.0; model.len()];
    let options = IdaOptions {
        rtol: 1e-6,
        atol: 1e-8,
        ..IdaOptions::default()
    };
    let mut ida = Ida::new(model, 0.0, &y0, &yp0, &options).unwrap();
    let (d_li, passed) = run_step(&mut ida, current_a, p.lower_cutoff_v);
    let rel = (d_li - passed).abs() / passed.abs();
    eprintln!("{set} discharge: Δn_Li = {d_li:.9e} mol, ∫I dt/F = {passed:.9e} mol, rel {rel:.2e}");
    assert!(passed > 0.0);
    assert!(
        rel <= 1e-8,
        "{set} discharge: relative lithium imbalance {rel:e}"
    );
    let (d_li, passed) = run_step(&mut ida, -current_a, p.upper_cutoff_v);
    let rel = (d_li - passed).abs() / passed.abs();
    eprintln!("{set} charge: Δn_Li = {d_li:.9e} mol, ∫I dt/F = {passed:.9e} mol, rel {rel:.2e}");
    assert!(passed < 0.0);
    assert!(
        rel <= 1e-8,
        "{set} charge: relative lithium imbalance {rel:e}"
    );
}

#[test]
fn lithium_is_conserved_single_ion() {
    check("solid_halfcell_single_ion", 7.202074427e-4);
}

#[test]
fn lithium_is_conserved_binary() {
    check("xu2019_liquid_halfcell", 2.4e-3);
}
