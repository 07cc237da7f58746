//! A run continued from a checkpoint repeats the uninterrupted run exactly.

mod common;

use asslb::numerics::mesh::MeshSettings;
use asslb::protocol::simulate::SolverSettings;
use asslb::protocol::{
    Block, Checkpoint, Experiment, Simulation, Step, StepLimit, TimeseriesRecord,
};
use asslb::scenario::load_parameter_set;
use common::Recorder;

#[test]
fn continued_run_matches_the_uninterrupted_one() {
    let p = load_parameter_set("solid_halfcell_single_ion").unwrap();
    let one_c = p.nominal_capacity_ah;
    let experiment = Experiment {
        blocks: vec![
            Block {
                cycles: 5,
                steps: vec![
                    Step::discharge_to(2.0 * one_c, p.lower_cutoff_v),
                    Step::charge_to(one_c, p.upper_cutoff_v),
                    Step::ConstantVoltage {
                        voltage_v: p.upper_cutoff_v,
                        limit: StepLimit {
                            current_a: Some(one_c / 20.0),
                            ..StepLimit::default()
                        },
                    },
                ],
            },
            Block {
                cycles: 4,
                steps: vec![
                    Step::discharge_to(one_c, p.lower_cutoff_v),
                    Step::Rest {
                        limit: StepLimit {
                            duration_s: Some(600.0),
                            ..StepLimit::default()
                        },
                    },
                    Step::charge_to(2.0 * one_c, p.upper_cutoff_v),
                ],
            },
        ],
    };
    let settings = SolverSettings::default();
    let recorder = |every| Recorder {
        checkpoint_every: Some(every),
        ..Recorder::default()
    };

    let mut whole = recorder(3);
    Simulation::new(&p, &MeshSettings::default(), &settings)
        .unwrap()
        .run(&experiment, &mut whole)
        .unwrap();
    assert_eq!(whole.cycles.len(), 9);
    assert_eq!(whole.checkpoints.len(), 3);
    // Continue from the checkpoint after cycle 6 (inside the second block), in a fresh
    // simulation, as a resumed process would.
    let cp = whole.checkpoints[1].clone();
    assert_eq!(cp.cycles_done, 6);
    // Cycles go on with the pivot sequences of the factorisations before them; the
    // checkpoint carries both, and the fresh simulation rebuilds them from their patterns.
    let n = cp.y.len();
    for sequence in [&cp.pivots.solver, &cp.pivots.step_start] {
        assert_eq!(sequence.as_ref().map(Vec::len), Some(n));
    }
    let mut rest = recorder(3);
    let summary = Simulation::new(&p, &MeshSettings::default(), &settings)
        .unwrap()
        .run_from(&experiment, Some(&cp), &mut rest)
        .unwrap();
    assert_eq!(summary.cycles, 9);
    assert_eq!(summary.first_cycle.map(|c| c.cycle), Some(1));
    assert_eq!(rest.cycles.len(), 3);
    for (a, b) in whole.cycles[6..].iter().zip(&rest.cycles) {
        assert_eq!(a, b, "cycle figures differ");
    }
    let tail: Vec<&TimeseriesRecord> = whole.rows.iter().filter(|r| r.cycle > 6).collect();
    assert_eq!(tail.len(), rest.rows.len());
    for (a, b) in tail.iter().zip(&rest.rows) {
        assert_eq!(*a, b, "rows differ");
    }
    assert_eq!(whole.checkpoints[2], rest.checkpoints[0]);
}

#[test]
fn checkpoint_for_another_model_is_refused() {
    let p = load_parameter_set("solid_halfcell_single_ion").unwrap();
    let experiment = Experiment::single_cycle(vec![Step::discharge_to(
        p.nominal_capacity_ah,
        p.lower_cutoff_v,
    )]);
    let cp = Checkpoint {
        version: asslb::protocol::checkpoint::CHECKPOINT_VERSION,
        cycles_done: 0,
        time_s: 0.0,
        first_cycle: None,
        y: vec![0.0; 10],
        yp: vec![0.0; 10],
        counters: None,
        pivots: Default::default(),
    };
    let mut sink: Vec<TimeseriesRecord> = Vec::new();
    let err = Simulation::new(&p, &MeshSettings::default(), &SolverSettings::default())
        .unwrap()
        .run_from(&experiment, Some(&cp), &mut sink)
        .unwrap_err();
    assert!(
        err.to_string().contains("checkpoint holds 10 unknowns"),
        "{err}"
    );
}

#[test]
fn checkpoint_with_a_pivot_sequence_that_does_not_fit_is_refused() {
    let p = load_parameter_set("solid_halfcell_single_ion").unwrap();
    let experiment = Experiment::single_cycle(vec![Step::discharge_to(
        p.nominal_capacity_ah,
        p.lower_cutoff_v,
    )]);
    let mut simulation =
        Simulation::new(&p, &MeshSettings::default(), &SolverSettings::default()).unwrap();
    let n = simulation.unknowns();
    let cp = Checkpoint {
        version: asslb::protocol::checkpoint::CHECKPOINT_VERSION,
        cycles_done: 0,
        time_s: 0.0,
        first_cycle: None,
        y: vec![0.0; n],
        yp: vec![0.0; n],
        counters: None,
        pivots: asslb::protocol::checkpoint::PivotSequences {
            solver: Some(vec![0; n]),
            step_start: None,
        },
    };
    let mut sink: Vec<TimeseriesRecord> = Vec::new();
    let err = simulation
        .run_from(&experiment, Some(&cp), &mut sink)
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("checkpoint's solver pivot sequence does not fit this model: pivot sequence not valid for this matrix pattern: not a permutation of the rows"),
        "{err}"
    );
    assert!(sink.is_empty());
}
