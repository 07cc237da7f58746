//! The `asslb` command line: `check`, `run`, exit codes, error chains, and the output folder
//! (never half-written: nothing at all for bad input, every computed row kept on failure).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn asslb() -> Command {
    Command::new(env!("CARGO_BIN_EXE_asslb"))
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn describe(out: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    )
}

const BAD_SCENARIO: &str = r#"
parameter_set = "solid_halfcell_single_ion"
[parameters]
"positive.thickness_m" = -2.7e-5
[[steps]]
direction = "discharge"
c_rate = 1.0
until_voltage_V = 1.38
"#;

/// Reads a time series and checks it is well-formed: the header, then whole rows of five
/// numbers. Returns the rows.
fn read_timeseries(path: &Path) -> Vec<[f64; 5]> {
    let csv = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(csv.ends_with('\n'), "the file must end with a whole line");
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("time_s,step,current_A,voltage_V,discharge_capacity_Ah")
    );
    lines
        .map(|line| {
            let v: Vec<f64> = line
                .split(',')
                .map(|f| {
                    f.parse()
                        .unwrap_or_else(|_| panic!("not a number in `{line}`"))
                })
                .collect();
            assert_eq!(v.len(), 5, "`{line}`");
            [v[0], v[1], v[2], v[3], v[4]]
        })
        .collect()
}

#[test]
fn check_prints_what_would_run() {
    let out = asslb()
        .arg("check")
        .arg(root().join("scenarios/solid_halfcell_discharge_1C.toml"))
        .output()
        .expect("run asslb");
    assert!(out.status.success(), "{}", describe(&out));
    let stdout = text(&out.stdout);
    for part in [
        "solid_halfcell_discharge_1C",
        "solid_halfcell_single_ion",
        "1. discharge at",
        "until 1.38 V",
        "2. charge at",
        "until 3.68 V",
        "20 cathode x / 10 separator x / 20 particle r",
        "ok:",
    ] {
        assert!(
            stdout.contains(part),
            "missing {part:?}\n{}",
            describe(&out)
        );
    }
}

#[test]
fn check_reports_bad_input_with_its_causes() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let scenario = dir.path().join("bad.toml");
    std::fs::write(&scenario, BAD_SCENARIO).expect("write scenario");
    let out = asslb()
        .arg("check")
        .arg(&scenario)
        .output()
        .expect("run asslb");
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with("error: invalid scenario"),
        "{}",
        describe(&out)
    );
    for part in [
        "caused by:",
        "bad.toml",
        "parameters.\"positive.thickness_m\"",
        "expected a positive number",
    ] {
        assert!(
            stderr.contains(part),
            "missing {part:?}\n{}",
            describe(&out)
        );
    }
}

#[test]
fn bad_input_leaves_no_output_behind() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let scenario = dir.path().join("bad.toml");
    std::fs::write(&scenario, BAD_SCENARIO).expect("write scenario");
    // With --out …
    let out_dir = dir.path().join("results");
    let out = asslb()
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(&out_dir)
        .output()
        .expect("run asslb");
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(text(&out.stderr).contains("positive.thickness_m"));
    assert!(
        !out_dir.exists(),
        "bad input must not create {}",
        out_dir.display()
    );
    // … and with the default output folder out/<name>.
    let out = asslb()
        .current_dir(dir.path())
        .arg("run")
        .arg(&scenario)
        .output()
        .expect("run asslb");
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        !dir.path().join("out").exists(),
        "bad input must not create out/"
    );
}

#[test]
fn missing_scenario_file_is_an_error() {
    let out = asslb()
        .arg("run")
        .arg("no/such/scenario.toml")
        .output()
        .expect("run asslb");
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("no/such/scenario.toml"), "{stderr}");
    assert!(stderr.contains("caused by:"), "{stderr}");
}

#[test]
fn bad_flags_exit_with_usage() {
    let out = asslb().arg("run").output().expect("run asslb");
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let out = asslb().arg("frobnicate").output().expect("run asslb");
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
}

/// A run that fails part-way keeps the rows it computed in `timeseries.csv`, records the error
/// in `run_error.txt`, leaves no `.partial` file, and exits 1. The run is made to fail by
/// allowing the solver only 3 internal steps.
#[test]
fn failed_run_keeps_its_rows_and_records_the_error() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let scenario = dir.path().join("starved.toml");
    std::fs::write(
        &scenario,
        r#"
parameter_set = "solid_halfcell_single_ion"
[solver]
max_steps = 3
[[steps]]
direction = "discharge"
c_rate = 1.0
until_voltage_V = 1.38
"#,
    )
    .expect("write scenario");
    let out_dir = dir.path().join("results");
    let out = asslb()
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(&out_dir)
        .output()
        .expect("run asslb");
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("the run stopped before the end"),
        "{}",
        describe(&out)
    );
    assert!(stderr.contains("run_error.txt"), "{}", describe(&out));
    read_timeseries(&out_dir.join("timeseries.csv"));
    let record = std::fs::read_to_string(out_dir.join("run_error.txt")).expect("run_error.txt");
    assert!(record.contains("did not finish"), "{record}");
    assert!(record.contains("starved.toml"), "{record}");
    assert!(!out_dir.join("timeseries.csv.partial").exists());
}

/// Needs the solver: a full 1C discharge and charge of the main scenario.
#[test]
fn run_writes_the_timeseries_and_a_summary() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let out_dir = dir.path().join("solid_1C");
    let out = asslb()
        .arg("run")
        .arg(root().join("scenarios/solid_halfcell_discharge_1C.toml"))
        .arg("--out")
        .arg(&out_dir)
        .output()
        .expect("run asslb");
    assert!(out.status.success(), "{}", describe(&out));
    let stdout = text(&out.stdout);
    for part in [
        "voltage cut-off",
        "mAh",
        "final voltage",
        "internal steps",
        "wall time",
    ] {
        assert!(
            stdout.contains(part),
            "missing {part:?}\n{}",
            describe(&out)
        );
    }
    assert!(!out_dir.join("timeseries.csv.partial").exists());
    assert!(!out_dir.join("run_error.txt").exists());
    let rows = read_timeseries(&out_dir.join("timeseries.csv"));
    assert!(rows.len() > 10, "{} rows", rows.len());
    let q = 0.0007202074427;
    let first = rows[0];
    assert_eq!(first[0], 0.0);
    assert_eq!(first[1], 1.0);
    assert!(
        (first[2] - q).abs() < 1e-15,
        "discharge current {}",
        first[2]
    );
    // Time increases; the steps run 1 then 2; voltages stay inside the window.
    for pair in rows.windows(2) {
        assert!(pair[1][0] >= pair[0][0], "time goes back: {pair:?}");
        assert!(pair[1][1] >= pair[0][1], "step goes back: {pair:?}");
    }
    for r in &rows {
        assert!(
            r[3] > 1.38 - 1e-3 && r[3] < 3.68 + 1e-3,
            "voltage out of window: {r:?}"
        );
    }
    let end_of_discharge = rows.iter().rfind(|r| r[1] == 1.0).expect("step 1 rows");
    assert!(
        (end_of_discharge[3] - 1.38).abs() < 1e-3,
        "{end_of_discharge:?}"
    );
    assert!(end_of_discharge[4] > 0.0);
    let last = rows.last().expect("rows");
    assert_eq!(last[1], 2.0);
    assert!((last[2] + q).abs() < 1e-15, "charge current {}", last[2]);
    assert!((last[3] - 3.68).abs() < 1e-3, "{last:?}");
}

/// Needs the solver: without --out, results go to out/<scenario name> in the working folder.
#[test]
fn run_defaults_to_out_slash_scenario_name() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let out = asslb()
        .current_dir(dir.path())
        .arg("run")
        .arg(root().join("scenarios/verification/solid_halfcell_single_ion_discharge_2C.toml"))
        .output()
        .expect("run asslb");
    assert!(out.status.success(), "{}", describe(&out));
    let rows = read_timeseries(
        &dir.path()
            .join("out/solid_halfcell_single_ion_discharge_2C/timeseries.csv"),
    );
    assert!(!rows.is_empty());
}
