//! Measured results as data (`asslb::measured`, docs/measured_data.md): the Wu 2022 targets,
//! the per-cycle and voltage-curve schemas read from files, bad input named by file, line and
//! column, the two example cycler exports imported through their mappings, and `asslb import`.

use std::path::{Path, PathBuf};

use asslb::measured::{
    import_export, load_mapping, read_curves, read_cycles, read_points, Direction, MeasuredError,
    Problem, ToleranceKind,
};

mod common;
use common::{asslb, describe, text};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

/// The values of `column` in `cycles`, all measured.
fn values(cycles: &asslb::measured::MeasuredCycles, column: &str) -> Vec<f64> {
    cycles
        .column(column)
        .unwrap_or_else(|| panic!("no column {column}"))
        .iter()
        .map(|v| v.unwrap_or_else(|| panic!("{column}: a cycle without a value")))
        .collect()
}

fn assert_values(cycles: &asslb::measured::MeasuredCycles, column: &str, expected: &[f64]) {
    let got = values(cycles, column);
    assert_eq!(got.len(), expected.len(), "{column}: {got:?}");
    for (g, e) in got.iter().zip(expected) {
        assert!(close(*g, *e), "{column}: {got:?}, expected {expected:?}");
    }
}

/// Writes `text` to `dir/name` and returns the path.
fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write a test file");
    path
}

/// Asserts that `e` is about `path`, line `line` and column `column`, and says so in its
/// message.
fn assert_names(e: &MeasuredError, path: &Path, line: usize, column: &str) {
    assert_eq!((e.line(), e.column()), (Some(line), Some(column)), "{e}");
    let message = e.to_string();
    let expected = format!("{}, line {line}, column `{column}`: ", path.display());
    assert!(
        message.starts_with(&expected),
        "{message}\nexpected to start with {expected}"
    );
}

#[test]
fn the_wu2022_targets_read() {
    let path = root().join("validation/wu2022_targets.csv");
    let points = read_points(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(points.len(), 10);
    let f1 = &points[0];
    assert_eq!(
        (f1.id.as_str(), f1.cycle, f1.quantity.as_str(), f1.value),
        ("F1", Some(1), "discharge_capacity_mAh_g", 220.0)
    );
    assert_eq!(f1.tolerance_kind, ToleranceKind::Percent);
    assert!(f1.accepts(226.0) && !f1.accepts(227.0));
    assert_eq!(
        f1.provenance.figure_or_table,
        "formation cycling (text and Fig. 2)"
    );
    let q2 = points.iter().find(|p| p.id == "Q2").expect("Q2");
    assert_eq!(q2.unit, "mV");
    assert_eq!(q2.tolerance_kind, ToleranceKind::Absolute);
    let c0 = points.iter().find(|p| p.id == "C0").expect("C0");
    assert_eq!((c0.cycle, c0.protocol.as_str()), (None, "-"));
    for p in &points {
        assert!(p.provenance.source.starts_with("Wu et al."), "{p:?}");
        assert!(!p.provenance.conditions.is_empty());
    }
}

#[test]
fn a_target_in_the_wrong_unit_is_named() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let text = std::fs::read_to_string(root().join("validation/wu2022_targets.csv"))
        .expect("targets")
        .replacen(",220,mAh/g,", ",0.22,Ah/g,", 1);
    let path = write(dir.path(), "targets.csv", &text);
    let e = read_points(&path).unwrap_err();
    assert_eq!(e.problem(), Some(Problem::Unit));
    assert_names(&e, &path, 2, "unit");
}

const PROVENANCE: &str =
    "# source: Example et al. (2024)\n# figure_or_table: Fig. 3\n# conditions: 60 °C, 0.1C\n";

#[test]
fn per_cycle_data_read_from_a_file() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = write(
        dir.path(),
        "cycles.csv",
        &format!(
            "{PROVENANCE}cycle,charge_capacity_mAh_g,discharge_capacity_mAh_g,coulombic_efficiency,mean_discharge_voltage_V\n\
             1,261,220,0.842,3.55\n2,230,225,0.978,3.54\n10,258,257,0.996,\n"
        ),
    );
    let c = read_cycles(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.cycles, vec![1, 2, 10]);
    assert_values(&c, "discharge_capacity_mAh_g", &[220.0, 225.0, 257.0]);
    assert_eq!(c.value(10, "mean_discharge_voltage_V"), None);
    assert_eq!(c.value(2, "mean_discharge_voltage_V"), Some(3.54));
    assert_eq!(c.provenance.conditions, "60 °C, 0.1C");
}

#[test]
fn bad_per_cycle_files_are_named_by_file_line_and_column() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let header = format!("{PROVENANCE}cycle,discharge_capacity_mAh_g,coulombic_efficiency\n");
    // (rows, problem, line, column); the header row is line 4.
    let cases = [
        (
            "1,220,0.84\n3,221,0.99\n2,222,0.99\n",
            Problem::CycleOrder,
            7,
            "cycle",
        ),
        (
            "1,220,0.84\n2,nan,0.99\n",
            Problem::Value,
            6,
            "discharge_capacity_mAh_g",
        ),
        (
            "1,220,0.84\n2,221,99.1\n",
            Problem::Unit,
            6,
            "coulombic_efficiency",
        ),
        (
            "1,220 mAh/g,0.84\n",
            Problem::Value,
            5,
            "discharge_capacity_mAh_g",
        ),
    ];
    for (i, (rows, problem, line, column)) in cases.into_iter().enumerate() {
        let path = write(
            dir.path(),
            &format!("bad{i}.csv"),
            &format!("{header}{rows}"),
        );
        let e = read_cycles(&path).unwrap_err();
        assert_eq!(e.problem(), Some(problem), "{e}");
        assert_names(&e, &path, line, column);
    }
    let path = write(
        dir.path(),
        "missing.csv",
        &format!("{PROVENANCE}discharge_capacity_mAh_g\n220\n"),
    );
    let e = read_cycles(&path).unwrap_err();
    assert_eq!(e.problem(), Some(Problem::MissingColumn));
    assert_names(&e, &path, 4, "cycle");
    let path = write(
        dir.path(),
        "unknown.csv",
        &format!("{PROVENANCE}cycle,capacity_mAh\n1,220\n"),
    );
    let e = read_cycles(&path).unwrap_err();
    assert_eq!(e.problem(), Some(Problem::UnknownColumn));
    assert_names(&e, &path, 4, "capacity_mAh");
    let path = write(dir.path(), "unsourced.csv", "cycle,end_time_s\n1,2\n");
    let e = read_cycles(&path).unwrap_err();
    assert_eq!(e.problem(), Some(Problem::Provenance));
    assert!(
        e.to_string().starts_with(&path.display().to_string()),
        "{e}"
    );
}

#[test]
fn voltage_curves_read_from_a_file() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = write(
        dir.path(),
        "curves.csv",
        &format!(
            "{PROVENANCE}cycle,step,capacity_mAh_g,voltage_V\n\
             1,charge,0,3.6\n1,charge,130,4.3\n1,discharge,0,4.3\n1,discharge,110,2.0\n\
             2,discharge,0,4.3\n2,discharge,105,2.0\n"
        ),
    );
    let c = read_curves(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.cycles(), vec![1, 2]);
    assert_eq!(
        c.curve(2, Some(Direction::Discharge)),
        vec![(0.0, 4.3), (105.0, 2.0)]
    );
    assert_eq!(c.curve(1, Some(Direction::Charge)).len(), 2);
    let path = write(
        dir.path(),
        "bad.csv",
        &format!("{PROVENANCE}cycle,capacity_mAh_g,voltage_V\n2,0,4.3\n1,10,NaN\n"),
    );
    let e = read_curves(&path).unwrap_err();
    // The NaN is found on its row before the order of the rows is checked.
    assert_names(&e, &path, 6, "voltage_V");
    let path = write(
        dir.path(),
        "order.csv",
        &format!("{PROVENANCE}cycle,capacity_mAh_g,voltage_V\n2,0,4.3\n1,10,4.0\n"),
    );
    let e = read_curves(&path).unwrap_err();
    assert_eq!(e.problem(), Some(Problem::CycleOrder));
    assert_names(&e, &path, 6, "cycle");
}

#[test]
fn the_arbin_example_imports_to_its_cycles() {
    let mapping = load_mapping(&root().join("validation/mappings/arbin.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let export = root().join("validation/examples/arbin_export.csv");
    let c = import_export(&export, &mapping, Some(0.005)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.cycles, vec![1, 2, 3]);
    // 1.2, 1.15, 1.13 mA·h charged and 1.1, 1.12, 1.12 mA·h discharged by 5 mg.
    assert_values(&c, "charge_capacity_mAh_g", &[240.0, 230.0, 226.0]);
    assert_values(&c, "discharge_capacity_mAh_g", &[220.0, 224.0, 224.0]);
    assert_values(&c, "discharge_capacity_Ah", &[0.0011, 0.00112, 0.00112]);
    assert_values(&c, "discharge_energy_Wh", &[0.00396, 0.004032, 0.004032]);
    assert_values(&c, "end_time_s", &[10800.0, 21600.0, 32400.0]);
    // The columns come in the order of summary.csv.
    let names: Vec<&str> = c.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "charge_capacity_mAh_g",
            "discharge_capacity_mAh_g",
            "charge_capacity_Ah",
            "discharge_capacity_Ah",
            "charge_energy_Wh",
            "discharge_energy_Wh",
            "end_time_s"
        ]
    );
    assert_eq!(c.provenance.figure_or_table, "cycler export");
    let extra: Vec<(&str, &str)> = c
        .provenance
        .extra
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        extra,
        [
            ("imported_from", "arbin_export.csv"),
            ("mapping", "arbin.toml"),
            ("active_mass_g", "0.005")
        ]
    );
}

#[test]
fn the_biologic_example_imports_to_its_cycles() {
    let mapping = load_mapping(&root().join("validation/mappings/biologic.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let export = root().join("validation/examples/biologic_export.txt");
    let c = import_export(&export, &mapping, Some(0.004)).unwrap_or_else(|e| panic!("{e}"));
    // EC-Lab's cycles 0 and 1.
    assert_eq!(c.cycles, vec![1, 2]);
    // 0.9, 0.86 mA·h charged and 0.84, 0.85 mA·h discharged by 4 mg.
    assert_values(&c, "charge_capacity_mAh_g", &[225.0, 215.0]);
    assert_values(&c, "discharge_capacity_mAh_g", &[210.0, 212.5]);
    assert_values(&c, "coulombic_efficiency", &[0.933333, 0.988372]);
    assert_values(&c, "discharge_energy_Wh", &[0.002982, 0.0030175]);
}

/// A copy of the Arbin example with `edit` applied to its text, and the mapping.
fn arbin_variant(dir: &Path, edit: impl Fn(String) -> String) -> PathBuf {
    let text = std::fs::read_to_string(root().join("validation/examples/arbin_export.csv"))
        .expect("example export");
    write(dir, "export.csv", &edit(text))
}

#[test]
fn bad_exports_are_named_by_file_line_and_column() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let mapping = load_mapping(&root().join("validation/mappings/arbin.toml")).expect("mapping");
    // A column the mapping needs is not in the export.
    let path = arbin_variant(dir.path(), |t| t.replacen("Cycle_Index", "Cycle", 1));
    let e = import_export(&path, &mapping, Some(0.005)).unwrap_err();
    assert_eq!(e.problem(), Some(Problem::MissingColumn));
    assert_names(&e, &path, 1, "Cycle_Index");
    assert!(e.to_string().contains("arbin.toml"), "{e}");
    // A NaN capacity (line 4 is data point 3).
    let path = arbin_variant(dir.path(), |t| t.replacen(",0.0008,0,", ",NaN,0,", 1));
    let e = import_export(&path, &mapping, Some(0.005)).unwrap_err();
    assert_eq!(e.problem(), Some(Problem::Value));
    assert_names(&e, &path, 4, "Charge_Capacity(Ah)");
    // Cycle numbers going back (data point 15, line 16, says cycle 1 after cycle 2).
    let path = arbin_variant(dir.path(), |t| {
        t.replacen("15,21600,0,1,3,", "15,21600,0,1,1,", 1)
    });
    let e = import_export(&path, &mapping, Some(0.005)).unwrap_err();
    assert_eq!(e.problem(), Some(Problem::CycleOrder));
    assert_names(&e, &path, 16, "Cycle_Index");
    // Several rows per cycle but no aggregate: the second row of cycle 1 is named.
    let text = std::fs::read_to_string(root().join("validation/mappings/arbin.toml"))
        .expect("mapping")
        .replace(", aggregate = \"last\"", "");
    let bare = load_mapping(&write(dir.path(), "bare.toml", &text)).expect("mapping");
    let path = arbin_variant(dir.path(), |t| t);
    let e = import_export(&path, &bare, Some(0.005)).unwrap_err();
    assert_eq!(e.problem(), Some(Problem::Mapping));
    assert_names(&e, &path, 3, "Test_Time(s)");
    // No active mass for the per-gram columns.
    let e = import_export(&path, &mapping, None).unwrap_err();
    assert_eq!(e.problem(), Some(Problem::Mapping));
    assert!(e.to_string().contains("--active-mass-g"), "{e}");
}

#[test]
fn the_mass_may_come_from_the_mapping() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let text = std::fs::read_to_string(root().join("validation/mappings/arbin.toml"))
        .expect("mapping")
        .replacen("[columns]", "active_mass_g = 0.01\n[columns]", 1);
    let mapping = load_mapping(&write(dir.path(), "m.toml", &text)).expect("mapping");
    let export = root().join("validation/examples/arbin_export.csv");
    let c = import_export(&export, &mapping, None).expect("import");
    assert_values(&c, "discharge_capacity_mAh_g", &[110.0, 112.0, 112.0]);
    // The command line's mass replaces the mapping's.
    let c = import_export(&export, &mapping, Some(0.005)).expect("import");
    assert_values(&c, "discharge_capacity_mAh_g", &[220.0, 224.0, 224.0]);
}

#[test]
fn asslb_import_writes_a_file_that_reads_back() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let out = dir.path().join("cycles.csv");
    let export = root().join("validation/examples/biologic_export.txt");
    let mapping = root().join("validation/mappings/biologic.toml");
    let run = asslb()
        .arg("import")
        .arg(&export)
        .arg("--mapping")
        .arg(&mapping)
        .args(["--active-mass-g", "0.004", "--out"])
        .arg(&out)
        .output()
        .expect("run asslb");
    assert!(run.status.success(), "{}", describe(&run));
    assert!(
        text(&run.stdout).contains("imported 2 cycles"),
        "{}",
        describe(&run)
    );
    let read = read_cycles(&out).unwrap_or_else(|e| panic!("{e}"));
    let direct = import_export(
        &export,
        &load_mapping(&mapping).expect("mapping"),
        Some(0.004),
    )
    .expect("import");
    assert_eq!(read, direct);
    assert!(std::fs::read_to_string(&out)
        .expect("output")
        .starts_with("# source: example BioLogic"));

    // On an error nothing is written: an existing file stays as it was, no temporary is left.
    std::fs::write(&out, "old\n").expect("write");
    let run = asslb()
        .arg("import")
        .arg(&export)
        .arg("--mapping")
        .arg(&mapping)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run asslb");
    assert_eq!(run.status.code(), Some(1), "{}", describe(&run));
    assert!(
        text(&run.stderr).contains("--active-mass-g"),
        "{}",
        describe(&run)
    );
    assert_eq!(std::fs::read_to_string(&out).expect("output"), "old\n");
    let files: Vec<_> = std::fs::read_dir(dir.path())
        .expect("folder")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
}
