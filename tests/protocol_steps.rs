//! Constant-voltage holds, rests, cycles and the step rules, run end to end on the solid
//! verification cell.

mod common;

use asslb::numerics::mesh::MeshSettings;
use asslb::physics::parameters::CellParameters;
use asslb::protocol::simulate::{SolverSettings, StepEnd};
use asslb::protocol::{Block, Experiment, Simulation, Step, StepLimit, TimeseriesRecord};
use asslb::scenario::load_parameter_set;
use common::Recorder;

fn cell() -> CellParameters {
    load_parameter_set("solid_halfcell_single_ion").unwrap()
}

fn run(p: &CellParameters, experiment: &Experiment) -> (Recorder, asslb::protocol::RunSummary) {
    let mut sim = Simulation::new(p, &MeshSettings::default(), &SolverSettings::default()).unwrap();
    let mut rec = Recorder::default();
    let summary = sim.run(experiment, &mut rec).unwrap();
    (rec, summary)
}

#[test]
fn constant_voltage_hold_holds_the_voltage_until_the_current_falls() {
    let p = cell();
    let one_c = p.nominal_capacity_ah;
    let hold_v = p.upper_cutoff_v;
    let experiment = Experiment::single_cycle(vec![
        Step::charge_to(one_c, hold_v),
        Step::ConstantVoltage {
            voltage_v: hold_v,
            limit: StepLimit {
                current_a: Some(one_c / 50.0),
                ..StepLimit::default()
            },
        },
    ]);
    let (rec, summary) = run(&p, &experiment);
    let steps = &summary.last_cycle_steps;
    assert_eq!(steps[0].end, StepEnd::VoltageLimit);
    assert_eq!(steps[1].end, StepEnd::CurrentLimit);
    let hold: Vec<&TimeseriesRecord> = rec.rows.iter().filter(|r| r.step == 2).collect();
    assert!(hold.len() > 5);
    for r in &hold {
        assert!(
            (r.voltage_v - hold_v).abs() < 1e-6,
            "hold voltage {}",
            r.voltage_v
        );
        assert!(
            r.current_a < 0.0,
            "a charging hold takes charge: {}",
            r.current_a
        );
    }
    // The current decays (to within the solver's tolerance: at rtol 1e-4 the tail current
    // carries noise of about 0.1 % of 1C).
    for w in hold.windows(2) {
        assert!(
            w[1].current_a.abs() <= w[0].current_a.abs() + 5e-3 * one_c,
            "{:?} -> {:?}",
            w[0],
            w[1]
        );
    }
    assert!(last_current_fell(&hold, one_c));
    let last = hold.last().unwrap();
    assert!(
        (last.current_a.abs() - one_c / 50.0).abs() < 1e-3 * one_c,
        "hold ended at {} A, cut-off {} A",
        last.current_a,
        one_c / 50.0
    );
}

/// The hold's current fell from about 1C to below a tenth of it.
fn last_current_fell(hold: &[&TimeseriesRecord], one_c: f64) -> bool {
    hold[0].current_a.abs() > 0.9 * one_c && hold[hold.len() - 1].current_a.abs() < 0.1 * one_c
}

#[test]
fn rest_relaxes_the_voltage_at_zero_current() {
    let p = cell();
    let experiment = Experiment::single_cycle(vec![
        Step::discharge_to(2.0 * p.nominal_capacity_ah, 2.5),
        Step::Rest {
            limit: StepLimit {
                duration_s: Some(1800.0),
                ..StepLimit::default()
            },
        },
    ]);
    let (rec, summary) = run(&p, &experiment);
    assert_eq!(summary.last_cycle_steps[1].end, StepEnd::Duration);
    assert!((summary.last_cycle_steps[1].duration_s - 1800.0).abs() < 1e-9);
    let rest: Vec<&TimeseriesRecord> = rec.rows.iter().filter(|r| r.step == 2).collect();
    for r in &rest {
        assert!(r.current_a.abs() < 1e-12);
    }
    // After a discharge the voltage recovers as the particles relax.
    for w in rest.windows(2) {
        assert!(w[1].voltage_v >= w[0].voltage_v - 1e-9);
    }
    assert!(rest.last().unwrap().voltage_v > rest[0].voltage_v + 0.01);
}

#[test]
fn cycles_report_capacities_energies_and_efficiency() {
    let p = cell();
    let one_c = p.nominal_capacity_ah;
    let experiment = Experiment {
        blocks: vec![Block {
            cycles: 3,
            steps: vec![
                Step::discharge_to(one_c, p.lower_cutoff_v),
                Step::charge_to(one_c, p.upper_cutoff_v),
            ],
        }],
    };
    let (rec, summary) = run(&p, &experiment);
    assert_eq!(summary.cycles, 3);
    assert_eq!(rec.cycles.len(), 3);
    assert_eq!(rec.rows.last().unwrap().cycle, 3);
    for c in &rec.cycles[1..] {
        // No side reactions in this cell: what goes in comes out, cycle after cycle.
        assert!(
            (c.coulombic_efficiency() - 1.0).abs() < 0.05,
            "cycle {}: CE {}",
            c.cycle,
            c.coulombic_efficiency()
        );
        let v_d = c.mean_discharge_voltage_v();
        let v_c = c.mean_charge_voltage_v();
        assert!(v_d > p.lower_cutoff_v && v_d < p.upper_cutoff_v);
        assert!(
            v_c > v_d,
            "charge {v_c} V above discharge {v_d} V (polarisation)"
        );
    }
    // Cycle capacities agree with the integrated current of the time series.
    let c1 = &rec.cycles[0];
    let q_end_discharge = rec
        .rows
        .iter()
        .filter(|r| r.cycle == 1 && r.step == 1)
        .map(|r| r.discharge_capacity_ah)
        .fold(f64::MIN, f64::max);
    assert!((c1.discharge_capacity_ah - q_end_discharge).abs() < 1e-9);
}

#[test]
fn a_step_past_its_cutoff_is_skipped() {
    let p = cell();
    let one_c = p.nominal_capacity_ah;
    let experiment = Experiment::single_cycle(vec![
        Step::discharge_to(one_c, p.lower_cutoff_v),
        // Already below this cut-off: skipped, and the experiment goes on.
        Step::discharge_to(one_c, 2.0),
        Step::charge_to(one_c, 3.0),
    ]);
    let (_, summary) = run(&p, &experiment);
    let steps = &summary.last_cycle_steps;
    assert_eq!(steps[1].end, StepEnd::Skipped);
    assert_eq!(steps[1].duration_s, 0.0);
    assert_eq!(steps[2].end, StepEnd::VoltageLimit);
    assert_eq!(summary.skipped_steps, 1);
}
