//! One retention definition (issue 16, item 4): the capacity retention of `summary.csv`, of the
//! run summary, of sweeps and of validation is relative to the scenario's reference cycle, by
//! default the first cycle after formation (the first of the experiment's longest block), and
//! the mean coulombic efficiency leaves formation out.

mod common;

use asslb::output::Progress;
use asslb::scenario::{load_scenario_with, run_scenario, ExistingFiles, SetOverride};
use common::{asslb, describe, root, text};

fn sets(list: &[&str]) -> Vec<SetOverride> {
    list.iter()
        .map(|s| SetOverride::parse(s).expect("--set"))
        .collect()
}

/// Two formation cycles at 1C, then four at 5C: the reference cycle is 3.
const FORMATION_THEN_CYCLING: &str = r#"experiment=[{cycles=2, steps=["Discharge at 1C until 1.38 V", "Charge at 1C until 3.68 V"]}, {cycles=4, steps=["Discharge at 5C until 1.38 V", "Charge at 5C until 3.68 V"]}]"#;

#[test]
fn the_reference_cycle_is_the_first_after_formation_unless_named() {
    let paper = root().join("scenarios/wu2022_1c_1000.toml");
    let s = load_scenario_with(&paper, &[]).expect("paper scenario");
    assert_eq!(s.reference_cycle, 11);
    let s = load_scenario_with(&paper, &sets(&["reference_cycle=1"])).expect("named");
    assert_eq!(s.reference_cycle, 1);
    assert_eq!(
        s.document
            .get("reference_cycle")
            .and_then(|v| v.as_integer()),
        Some(1)
    );
    for bad in ["reference_cycle=0", "reference_cycle=1011"] {
        let e = load_scenario_with(&paper, &sets(&[bad])).expect_err(bad);
        let message = asslb::error_chain::error_chain(&e);
        assert!(
            message.contains("reference_cycle") && message.contains("1 to 1010"),
            "{message}"
        );
    }
}

/// Needs the solver (six short cycles).
#[test]
fn formation_counts_in_neither_retention_nor_efficiency() {
    let scenario_path = root().join("scenarios/solid_halfcell_discharge_1C.toml");
    let scenario = load_scenario_with(
        &scenario_path,
        &sets(&[FORMATION_THEN_CYCLING, "save_cycles=[1]"]),
    )
    .expect("scenario");
    assert_eq!(scenario.reference_cycle, 3);
    let dir = tempfile::tempdir().expect("temporary folder");
    let out = dir.path().join("run");
    let mut progress = Progress::new(
        scenario.experiment.cycles(),
        scenario.parameters.active_mass_kg(),
        scenario.reference_cycle,
        true,
    );
    let report = run_scenario(&scenario, &out, ExistingFiles::Refuse, &mut progress).expect("run");
    let summary = std::fs::read_to_string(out.join("summary.csv")).expect("summary.csv");
    let mut lines = summary.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).expect(name);
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 6);
    let (retention, discharge, ce) = (
        col("capacity_retention"),
        col("discharge_capacity_Ah"),
        col("coulombic_efficiency"),
    );
    // Formation has no retention; the reference cycle is 100 %.
    assert_eq!(rows[0][retention], "");
    assert_eq!(rows[1][retention], "");
    assert_eq!(rows[2][retention], "1");
    let number = |s: &str| s.parse::<f64>().expect("number");
    let q3 = number(rows[2][discharge]);
    let last: f64 = number(rows[5][retention]);
    assert!((last - number(rows[5][discharge]) / q3).abs() < 1e-12);

    // The run summary says the same, and its mean efficiency is over cycles 3-6 only.
    let text_out = report.summary_text(&scenario, progress.tally(), &out, 1.0);
    assert!(
        text_out.contains(&format!(
            "capacity retention: {:.2} % at cycle 6 (of cycle 3's discharge capacity, the first after formation (cycles 1-2))",
            100.0 * last
        )),
        "{text_out}"
    );
    let mean_ce: f64 = rows[2..].iter().map(|r| number(r[ce])).sum::<f64>() / 4.0;
    assert!(
        text_out.contains(&format!(
            "mean coulombic efficiency: {:.3} % over 4 cycles with a charge from cycle 3 (formation left out)",
            100.0 * mean_ce
        )),
        "{text_out}"
    );
    let with_formation: f64 = rows.iter().map(|r| number(r[ce])).sum::<f64>() / 6.0;
    assert!(
        (with_formation - mean_ce).abs() > 1e-6,
        "the test needs formation to differ"
    );
}

/// A retention reference past the experiment is refused by the CLI before anything runs.
#[test]
fn the_cli_refuses_a_reference_cycle_outside_the_experiment() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let out = asslb()
        .arg("run")
        .arg(root().join("scenarios/solid_halfcell_discharge_1C.toml"))
        .arg("--out")
        .arg(dir.path().join("run"))
        .args(["--set", "reference_cycle=7"])
        .output()
        .expect("run asslb");
    assert!(!out.status.success(), "{}", describe(&out));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("reference_cycle"), "{stderr}");
    assert!(!dir.path().join("run").exists());
}
