//! One driver: the same scenario gives bit-identical numbers through `asslb run`, through
//! `asslb validate` and through the runs a fit simulates (`validation::simulate_runs`, which
//! `asslb fit` calls): every per-cycle figure, and every circuit-fit parameter of the spectra,
//! which both paths fit by the run's one chaining policy (each spectrum from the previous fit's
//! optimum). A validation that fitted its spectra from a cold start would differ, and this test
//! checks that it would.

use std::path::Path;

mod common;
use common::{asslb, describe, root};

use asslb::impedance::{fit_circuit, read_spectra_csv, Circuit};
use asslb::validation;

/// The paper cell cut to three cycles at 1C with a spectrum after every discharge, fitted with
/// the paper's circuit.
const SETS: [&str; 3] = [
    r#"experiment=[{cycles=3, steps=["Charge at 1C until 4.3 V vs Li/Li+", "Discharge at 1C until 2.0 V vs Li/Li+"]}]"#,
    "save_cycles=[1]",
    "impedance.cycles=[1, 2, 3]",
];

/// The rows of a CSV file as (header, rows of fields).
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header = lines
        .next()
        .expect("a header")
        .split(',')
        .map(String::from)
        .collect();
    let rows = lines
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    (header, rows)
}

fn number(field: &str) -> f64 {
    field.parse().unwrap_or_else(|e| panic!("`{field}`: {e}"))
}

#[test]
fn run_validate_and_fit_give_the_same_numbers() {
    let tmp = tempfile::tempdir().expect("temporary folder");
    let d = tmp.path();
    let scenario = root().join("scenarios/wu2022_1c_1000.toml");

    // `asslb run`.
    let run_dir = d.join("run");
    let mut run = asslb();
    run.args(["run", "--quiet", "--out"])
        .arg(&run_dir)
        .arg(&scenario);
    for set in SETS {
        run.args(["--set", set]);
    }
    let out = run.output().expect("run asslb");
    assert!(out.status.success(), "{}", describe(&out));
    let (summary_header, summary) = read_csv(&run_dir.join("summary.csv"));
    let (fit_header, fits) = read_csv(&run_dir.join("impedance_fit.csv"));
    assert_eq!(summary.len(), 3);
    assert_eq!(fits.len(), 3);

    // The validation: targets at every cycle and the fitted R2 of the last spectrum, which
    // the chain reaches through the two before it.
    let header = "id,cell,protocol,cycle,quantity,value,unit,tolerance,tolerance_kind,source,figure_or_table,conditions\n";
    let provenance = "synthetic,tests/one_driver.rs,\"60 °C\"";
    let mut targets = String::from(header);
    let mut at = String::new();
    for cycle in 1..=3 {
        targets.push_str(&format!(
            "D{cycle},solid,1C,{cycle},discharge_capacity_mAh_g,200,mAh/g,50,percent,{provenance}\n"
        ));
        at.push_str(&format!(
            "D{cycle} = {{ run = \"paper\", cycle = {cycle} }}\n"
        ));
    }
    targets.push_str(&format!(
        "Z,solid,1C,3,interface_resistance_ohm,70,ohm,50,percent,{provenance}\n"
    ));
    at.push_str("Z = { run = \"paper\", cycle = 3, impedance = \"R2\" }\n");
    std::fs::write(d.join("targets.csv"), targets).expect("targets");
    let sets: Vec<String> = SETS.iter().map(|s| format!("'{s}'")).collect();
    let toml = format!(
        "[runs.paper]\nscenario = '{}'\nset = [{}]\n\n[[points]]\nfile = \"targets.csv\"\n\n[points.at]\n{at}",
        scenario.display(),
        sets.join(", ")
    );
    let spec_path = d.join("v.toml");
    std::fs::write(&spec_path, &toml).expect("validation file");

    // `asslb validate`: its comparison table holds the simulated values.
    let validate_dir = d.join("validate");
    let out = asslb()
        .arg("validate")
        .arg(&spec_path)
        .arg("--out")
        .arg(&validate_dir)
        .output()
        .expect("run asslb");
    assert!(out.status.success(), "{}", describe(&out));
    let (comparison_header, comparisons) = read_csv(&validate_dir.join("comparison.csv"));
    let col = |name: &str, header: &[String]| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    };
    let (id, simulated) = (
        col("id", &comparison_header),
        col("simulated", &comparison_header),
    );
    let validated = |target: &str| {
        let row = comparisons
            .iter()
            .find(|r| r[id] == target)
            .unwrap_or_else(|| panic!("no comparison {target}"));
        number(&row[simulated])
    };
    let discharge = col("discharge_capacity_mAh_g", &summary_header);
    let r2 = col("R2", &fit_header);
    for (k, row) in summary.iter().enumerate() {
        assert_eq!(
            validated(&format!("D{}", k + 1)).to_bits(),
            number(&row[discharge]).to_bits(),
            "cycle {}: validate and run disagree",
            k + 1
        );
    }
    let run_r2 = number(&fits[2][r2]);
    assert_eq!(validated("Z").to_bits(), run_r2.to_bits(), "R2 at cycle 3");

    // The runs of a fit (and of the validation, in the library): every column of every cycle,
    // every parameter of every spectrum.
    let spec = validation::load_validation(&spec_path).unwrap_or_else(|e| panic!("{e}"));
    let scenarios: Vec<_> = spec.runs.iter().map(|r| &r.scenario).collect();
    let runs = validation::simulate_runs(&spec, &scenarios, false, None).expect("runs");
    let simulated_run = &runs[0];
    assert!(simulated_run.error.is_none(), "{:?}", simulated_run.error);
    for (k, row) in summary.iter().enumerate() {
        for (j, name) in summary_header.iter().enumerate().skip(1) {
            let from_run = if row[j].is_empty() {
                f64::NAN
            } else {
                number(&row[j])
            };
            let from_fit = simulated_run
                .column(k + 1, name, None)
                .unwrap_or_else(|| panic!("no column {name}"));
            assert!(
                from_fit.to_bits() == from_run.to_bits()
                    || (from_fit.is_nan() && from_run.is_nan()),
                "cycle {}, {name}: run {from_run}, fit path {from_fit}",
                k + 1
            );
        }
    }
    assert_eq!(
        simulated_run
            .impedance_fits
            .keys()
            .copied()
            .collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    for row in &fits {
        let cycle: usize = row[0].parse().expect("a cycle");
        for (j, name) in fit_header.iter().enumerate() {
            if j == 0 || name.ends_with("_stderr") || j >= fit_header.len() - 3 {
                continue;
            }
            let fitted = simulated_run
                .impedance_value(cycle, name)
                .unwrap_or_else(|| panic!("no fit of {name} at cycle {cycle}"));
            assert_eq!(
                fitted.to_bits(),
                number(&row[j]).to_bits(),
                "cycle {cycle}, {name}"
            );
        }
    }

    // The test tells the paths apart: fitted from a cold start, the last spectrum's R2 is not
    // the chained one.
    let circuit_text = scenarios[0]
        .impedance
        .as_ref()
        .and_then(|s| s.circuit.clone())
        .expect("a circuit");
    let circuit = Circuit::parse(&circuit_text).expect("the circuit");
    let spectra = read_spectra_csv(&run_dir.join("impedance.csv")).expect("impedance.csv");
    let last = spectra
        .iter()
        .find(|s| s.cycle == Some(3))
        .expect("the spectrum of cycle 3");
    let cold = fit_circuit(&circuit, &last.spectrum, None).expect("a cold fit");
    let names = circuit.parameter_names();
    let cold_r2 = cold.values[names.iter().position(|n| n == "R2").expect("R2")];
    assert_ne!(
        cold_r2.to_bits(),
        run_r2.to_bits(),
        "a cold fit gives the chained R2: this test would not see a validation that fits cold"
    );
}

/// One run feeds its folder and memory at once (`run_scenario_keeping`), and its data in
/// memory are those of a run in memory alone, with the fits of its `impedance_fit.csv`.
#[test]
fn one_run_feeds_its_folder_and_memory_alike() {
    use asslb::scenario::{
        load_scenario_with, run_scenario_keeping, Driver, ExistingFiles, MemorySink, SetOverride,
    };
    let sets: Vec<SetOverride> = SETS
        .iter()
        .map(|s| s.parse().unwrap_or_else(|e| panic!("{s}: {e}")))
        .collect();
    let scenario = load_scenario_with(&root().join("scenarios/wu2022_1c_1000.toml"), &sets)
        .unwrap_or_else(|e| panic!("{e}"));
    let tmp = tempfile::tempdir().expect("temporary folder");
    let mut memory = MemorySink::new(&scenario, &[1], None);
    let report = run_scenario_keeping(
        &scenario,
        tmp.path(),
        ExistingFiles::Refuse,
        &mut (),
        &mut memory,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let both = memory
        .finish(Ok(report.summary.clone()))
        .expect("the data in memory");
    let alone = Driver::new(&scenario)
        .run_in_memory(&[1], None, &mut ())
        .expect("a run in memory");
    // Debug text: NaN figures (an undefined column, a bound's uncertainty) compare equal.
    assert_eq!(format!("{:?}", both.cycles), format!("{:?}", alone.cycles));
    assert_eq!(format!("{:?}", both.rows), format!("{:?}", alone.rows));
    assert_eq!(format!("{:?}", both.fits), format!("{:?}", alone.fits));
    assert_eq!(both.cycles.len(), 3);
    assert_eq!(
        both.rows.get(&1).map(Vec::len),
        Some(report.rows as usize),
        "the rows of cycle 1, as in timeseries.csv"
    );
    let (header, fits) = read_csv(&tmp.path().join("impedance_fit.csv"));
    for row in &fits {
        let cycle: usize = row[0].parse().expect("a cycle");
        let fit = both.fits[&cycle].as_ref().expect("a fit");
        for (k, name) in fit.names.iter().enumerate() {
            let j = header.iter().position(|h| h == name).expect("a column");
            assert_eq!(fit.values[k].to_bits(), number(&row[j]).to_bits(), "{name}");
        }
    }
}
