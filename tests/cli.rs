//! The `asslb` command line: `check`, `run`, `--set`, `params`, exit codes, error chains, the
//! output folder (never half-written: nothing at all for bad input, every computed row kept on
//! failure), and every shipped scenario run as shipped (shortened with `--set` where slow).

use std::path::{Path, PathBuf};

mod common;
use common::{asslb, describe, progress_lines, text};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const BAD_SCENARIO: &str = r#"
parameter_set = "solid_halfcell_single_ion"
experiment = ["Discharge at 1C until 1.38 V"]
[parameters]
"positive.thickness_m" = -2.7e-5
"#;

/// Columns of a time-series row.
const TIME: usize = 0;
const CYCLE: usize = 1;
const STEP: usize = 2;
const CURRENT: usize = 3;
const VOLTAGE: usize = 4;
const CAPACITY: usize = 5;

/// Reads a time series and checks it is well-formed: the header, then whole rows of seven
/// numbers, the last (vs Li/Li+) the cell voltage shifted by one constant, the counter
/// electrode's potential. Returns the first six columns of the rows.
fn read_timeseries(path: &Path) -> Vec<[f64; 6]> {
    let csv = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(csv.ends_with('\n'), "the file must end with a whole line");
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("time_s,cycle,step,current_A,voltage_V,discharge_capacity_Ah,voltage_vs_li_V")
    );
    let mut offset: Option<f64> = None;
    lines
        .map(|line| {
            let v: Vec<f64> = line
                .split(',')
                .map(|f| {
                    f.parse()
                        .unwrap_or_else(|_| panic!("not a number in `{line}`"))
                })
                .collect();
            assert_eq!(v.len(), 7, "`{line}`");
            let shift = v[6] - v[4];
            let first = *offset.get_or_insert(shift);
            assert!(
                (shift - first).abs() < 1e-12,
                "`{line}`: vs Li/Li+ shift {shift} against {first}"
            );
            [v[0], v[1], v[2], v[3], v[4], v[5]]
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

/// Writes `starved.toml` into `dir`: a discharge whose solver may take only 3 internal steps,
/// so that the run fails part-way.
fn starved_scenario(dir: &std::path::Path) -> std::path::PathBuf {
    let scenario = dir.join("starved.toml");
    std::fs::write(
        &scenario,
        r#"
parameter_set = "solid_halfcell_single_ion"
experiment = ["Discharge at 1C until 1.38 V"]
[solver]
max_steps = 3
"#,
    )
    .expect("write scenario");
    scenario
}

/// A run that fails part-way keeps the rows it computed in `timeseries.csv`, records the error
/// in `run_error.txt`, leaves no `.partial` file, and exits 1. The run is made to fail by
/// allowing the solver only 3 internal steps.
#[test]
fn failed_run_keeps_its_rows_and_records_the_error() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let scenario = starved_scenario(dir.path());
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
    assert_eq!(first[TIME], 0.0);
    assert_eq!((first[CYCLE], first[STEP]), (1.0, 1.0));
    assert!(
        (first[CURRENT] - q).abs() < 1e-15,
        "discharge current {}",
        first[CURRENT]
    );
    // Time increases; one cycle whose steps run 1 then 2; voltages stay inside the window.
    for pair in rows.windows(2) {
        assert!(pair[1][TIME] >= pair[0][TIME], "time goes back: {pair:?}");
        assert!(pair[1][STEP] >= pair[0][STEP], "step goes back: {pair:?}");
    }
    for r in &rows {
        assert_eq!(r[CYCLE], 1.0, "{r:?}");
        assert!(
            r[VOLTAGE] > 1.38 - 1e-3 && r[VOLTAGE] < 3.68 + 1e-3,
            "voltage out of window: {r:?}"
        );
    }
    let end_of_discharge = rows.iter().rfind(|r| r[STEP] == 1.0).expect("step 1 rows");
    assert!(
        (end_of_discharge[VOLTAGE] - 1.38).abs() < 1e-3,
        "{end_of_discharge:?}"
    );
    assert!(end_of_discharge[CAPACITY] > 0.0);
    let last = rows.last().expect("rows");
    assert_eq!(last[STEP], 2.0);
    assert!(
        (last[CURRENT] + q).abs() < 1e-15,
        "charge current {}",
        last[CURRENT]
    );
    assert!((last[VOLTAGE] - 3.68).abs() < 1e-3, "{last:?}");
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

#[test]
fn check_applies_sets_in_order() {
    let out = asslb()
        .arg("check")
        .arg(root().join("scenarios/solid_halfcell_discharge_1C.toml"))
        .args(["--set", "mesh.particle_r_cells=7"])
        .args([
            "--set",
            r#"experiment=["Discharge at 5C until 1.5 V", "Rest for 10 min"]"#,
        ])
        .args(["--set", "positive.thickness_m=3e-5"])
        .args(["--set", "mesh.particle_r_cells=8"])
        .output()
        .expect("run asslb");
    assert!(out.status.success(), "{}", describe(&out));
    let stdout = text(&out.stdout);
    for part in [
        "20 cathode x / 10 separator x / 8 particle r",
        "2 cycles in 2 blocks",
        "discharge at 3.60103721",
        "rest for 600 s",
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
fn set_of_a_path_that_does_not_exist_is_an_error() {
    for (arg, parts) in [
        (
            "mesh.particle_cells=10",
            &[
                "--set mesh.particle_cells=10",
                "unknown key",
                "particle_r_cells",
            ][..],
        ),
        (
            "positive.thickness=3e-5",
            &[
                "--set positive.thickness=3e-5",
                "parameters.\"positive.thickness\"",
                "unknown key",
            ][..],
        ),
        (
            "temperature=300",
            &[
                "--set temperature=300",
                "key `temperature`",
                "a scenario key",
            ][..],
        ),
    ] {
        let out = asslb()
            .arg("check")
            .arg(root().join("scenarios/solid_halfcell_discharge_1C.toml"))
            .args(["--set", arg])
            .output()
            .expect("run asslb");
        assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
        let stderr = text(&out.stderr);
        assert!(stderr.starts_with("error: invalid scenario"), "{stderr}");
        for part in parts {
            assert!(
                stderr.contains(part),
                "missing {part:?}\n{}",
                describe(&out)
            );
        }
    }
}

#[test]
fn set_that_is_not_path_equals_value_is_a_usage_error() {
    let out = asslb()
        .arg("check")
        .arg(root().join("scenarios/solid_halfcell_discharge_1C.toml"))
        .args(["--set", "mesh.particle_r_cells"])
        .output()
        .expect("run asslb");
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(
        text(&out.stderr).contains("expected <path>=<value>"),
        "{}",
        describe(&out)
    );
}

#[test]
fn params_list_names_every_built_in_set_with_its_source() {
    let out = asslb()
        .args(["params", "list"])
        .output()
        .expect("run asslb");
    assert!(out.status.success(), "{}", describe(&out));
    let stdout = text(&out.stdout);
    for part in [
        "solid_halfcell_single_ion",
        "Li-In",
        "xu2019_liquid_halfcell",
        "NMC532",
        "source: Verification case from PyBaMM",
        "source: S. Xu",
    ] {
        assert!(
            stdout.contains(part),
            "missing {part:?}\n{}",
            describe(&out)
        );
    }
}

#[test]
fn params_show_lists_every_parameter_with_its_unit() {
    let out = asslb()
        .args(["params", "show", "xu2019_liquid_halfcell"])
        .output()
        .expect("run asslb");
    assert!(out.status.success(), "{}", describe(&out));
    let stdout = text(&out.stdout);
    for part in [
        "parameter set `xu2019_liquid_halfcell`",
        "source: S. Xu",
        "[cell]",
        "= 298.15  [K]",
        "= 0.0024  [A·h",
        "[positive]",
        "= 4.2e-5  [m]",
        "[electrolyte]",
        "electrolyte_conductivity.csv",
        "[negative]",
        "li_metal_concentration_mol_m3",
    ] {
        assert!(
            stdout.contains(part),
            "missing {part:?}\n{}",
            describe(&out)
        );
    }
    let out = asslb()
        .args(["params", "show", "xu2020"])
        .output()
        .expect("run asslb");
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let stderr = text(&out.stderr);
    for part in ["unknown parameter set `xu2020`", "`xu2019_liquid_halfcell`"] {
        assert!(
            stderr.contains(part),
            "missing {part:?}\n{}",
            describe(&out)
        );
    }
}

/// Shortened versions of the scenarios that would be slow in a test, with the same kinds of
/// steps: `(file name, --set arguments)`.
const SHORTENED: &[(&str, &[&str])] = &[
    (
        "wu2022_1c_1000.toml",
        &[
            r#"experiment=[{cycles=2, steps=["Charge at 0.05C until 4.3 V vs Li/Li+", "Discharge at 0.05C until 2.0 V vs Li/Li+"]}, {cycles=3, steps=["Charge at 1C until 4.3 V vs Li/Li+", "Discharge at 1C until 2.0 V vs Li/Li+"]}]"#,
            "save_cycles=[1, 3]",
        ],
    ),
    (
        "wu2022_liquid_1c_1000.toml",
        &[
            r#"experiment=[{cycles=2, steps=["Charge at 0.05C until 4.3 V vs Li/Li+", "Discharge at 0.05C until 2.0 V vs Li/Li+"]}, {cycles=3, steps=["Charge at 1C until 4.3 V vs Li/Li+", "Discharge at 1C until 2.0 V vs Li/Li+"]}]"#,
            "save_cycles=[1, 3]",
        ],
    ),
    (
        "wu2022_0p1c_200.toml",
        &[
            r#"experiment=[{cycles=2, steps=["Charge at 0.05C until 4.3 V vs Li/Li+", "Discharge at 0.05C until 2.0 V vs Li/Li+"]}, {cycles=2, steps=["Charge at 0.1C until 4.3 V vs Li/Li+", "Discharge at 0.1C until 2.0 V vs Li/Li+"]}]"#,
            "save_cycles=[1, 3]",
        ],
    ),
    (
        "solid_halfcell_cycling.toml",
        &[
            r#"experiment=[{cycles=1, steps=["Discharge at 100 mA/g until 2.0 V vs Li/Li+", "Rest for 10 minutes", "Charge at 100 mA/g until 4.3 V vs Li/Li+", "Rest for 10 minutes"]}, {cycles=2, steps=["Discharge at 200 mA/g until 2.0 V vs Li/Li+", "Rest for 10 minutes", "Charge at 200 mA/g until 4.3 V vs Li/Li+", "Hold at 4.3 V vs Li/Li+ until 10 mA/g or 1 hour"]}, "Discharge at 1000 mA/g until 2.0 V vs Li/Li+"]"#,
            "save_cycles=[1, 3]",
        ],
    ),
];

/// Needs the solver: every scenario under `scenarios/` runs to the end (shortened with `--set`
/// where it would be slow) and writes a well-formed time series.
#[test]
fn every_shipped_scenario_runs() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut files = Vec::new();
    for sub in ["scenarios", "scenarios/verification"] {
        for entry in std::fs::read_dir(root().join(sub)).expect("scenario folder") {
            let path = entry.expect("directory entry").path();
            // Sweep files (`sweep_*.toml`) are for `asslb sweep`: tests/sweep.rs loads them.
            let sweep = path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("sweep_"));
            if path.extension().is_some_and(|e| e == "toml") && !sweep {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(files.len() >= 8, "{files:?}");
    for file in files {
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let sets = SHORTENED
            .iter()
            .find(|(f, _)| *f == name)
            .map(|(_, s)| *s)
            .unwrap_or_default();
        let out_dir = dir.path().join(name);
        let mut command = asslb();
        command.arg("run").arg(&file).arg("--out").arg(&out_dir);
        for set in sets {
            command.args(["--set", set]);
        }
        let out = command.output().expect("run asslb");
        assert!(out.status.success(), "{name}: {}", describe(&out));
        let rows = read_timeseries(&out_dir.join("timeseries.csv"));
        assert!(!rows.is_empty(), "{name}");
        assert!(!out_dir.join("run_error.txt").exists(), "{name}");
        if name == "solid_halfcell_cycling.toml" {
            // Cycles 1 and 3 saved, 4 cycles run.
            let cycles: Vec<f64> = rows.iter().map(|r| r[CYCLE]).collect();
            assert!(cycles.contains(&1.0) && cycles.contains(&3.0), "{name}");
            assert!(!cycles.contains(&2.0) && !cycles.contains(&4.0), "{name}");
            assert!(
                text(&out.stdout).contains("4 cycles finished"),
                "{}",
                describe(&out)
            );
        }
    }
}

/// A short cycling experiment of the main scenario: `cycles` cycles at 5C, only cycle 1 saved.
fn cycling_sets(cycles: usize) -> [String; 4] {
    [
        "--set".to_string(),
        format!(
            r#"experiment=[{{cycles={cycles}, steps=["Discharge at 5C until 1.38 V", "Charge at 5C until 3.68 V"]}}]"#
        ),
        "--set".to_string(),
        "save_cycles=[1]".to_string(),
    ]
}

/// Needs the solver: a run of 60 short cycles (long enough for a progress bar to be drawn on
/// a terminal). Standard error is captured here, not a terminal, so no bar is drawn on it, and
/// with the plain lines of a log turned off (`ASSLB_PROGRESS_EVERY_S=0`) nothing at all; the
/// summary at the end fits on one screen and has the first and last cycle, the retention, the
/// efficiency, the last cycle's steps, the solver's figures and the files.
#[test]
fn run_draws_no_progress_off_a_terminal_and_ends_with_a_one_screen_summary() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let out_dir = dir.path().join("cycling");
    let out = asslb()
        .env("ASSLB_PROGRESS_EVERY_S", "0")
        .arg("run")
        .arg(root().join("scenarios/solid_halfcell_discharge_1C.toml"))
        .arg("--out")
        .arg(&out_dir)
        .args(cycling_sets(60))
        .output()
        .expect("run asslb");
    assert!(out.status.success(), "{}", describe(&out));
    let stderr = text(&out.stderr);
    assert!(
        stderr.is_empty(),
        "no progress off a terminal\n{}",
        describe(&out)
    );
    let stdout = text(&out.stdout);
    assert!(!stdout.contains('\r'), "{}", describe(&out));
    for part in ["ETA", "[=", "[>", "last: "] {
        assert!(
            !stdout.contains(part),
            "no progress line on stdout either ({part:?})\n{}",
            describe(&out)
        );
    }
    for part in [
        "60 cycles finished in",
        "cycles/s",
        "cycle 1 ",
        "cycle 60",
        "discharge capacity",
        "mAh (",
        "mAh/g)",
        "coulombic efficiency",
        "mean discharge voltage",
        "capacity retention: ",
        "% at cycle 60 (of cycle 1's discharge capacity)",
        "mean coulombic efficiency: ",
        "% over 60 cycles",
        "steps of cycle 60:",
        "voltage cut-off after",
        "final voltage",
        "skipped steps: none",
        "internal steps",
        "wall time",
        "timeseries.csv (",
        "summary.csv (60 cycles)",
        "run.toml",
        "voltage_capacity.png/.svg",
    ] {
        assert!(
            stdout.contains(part),
            "missing {part:?}\n{}",
            describe(&out)
        );
    }
    // One screen, whatever the number of cycles: no line per cycle.
    assert!(stdout.lines().count() <= 25, "{}", describe(&out));
    assert!(!stdout.contains("cycle 30"), "{}", describe(&out));
    // The retention printed is the last cycle's over the first's, as in summary.csv.
    let summary = std::fs::read_to_string(out_dir.join("summary.csv")).expect("summary.csv");
    let header: Vec<&str> = summary.lines().next().expect("header").split(',').collect();
    let column = header
        .iter()
        .position(|h| *h == "capacity_retention")
        .expect("capacity_retention column");
    let last_row = summary.lines().last().expect("rows");
    let retention: f64 = last_row
        .split(',')
        .nth(column)
        .expect("field")
        .parse()
        .expect("number");
    assert!(
        stdout.contains(&format!("capacity retention: {:.2} %", retention * 100.0)),
        "{retention}\n{}",
        describe(&out)
    );
}

/// Needs the solver: off a terminal `asslb run` writes plain progress lines on standard error,
/// at most one per interval (here one per cycle: `ASSLB_PROGRESS_EVERY_S` a microsecond), with
/// neither a bar's carriage returns nor escape codes; `--quiet` writes none.
#[test]
fn run_logs_plain_progress_lines_off_a_terminal_and_none_when_quiet() {
    let dir = tempfile::tempdir().expect("temporary folder");
    for quiet in [false, true] {
        let out_dir = dir.path().join(format!("logged_{quiet}"));
        let mut command = asslb();
        command
            .arg("run")
            .arg(root().join("scenarios/solid_halfcell_discharge_1C.toml"))
            .arg("--out")
            .arg(&out_dir)
            .args(cycling_sets(4));
        let (lines, out) = progress_lines(command, quiet);
        if quiet {
            continue;
        }
        assert_eq!(lines.len(), 4, "{}", describe(&out));
        for (k, line) in lines.iter().enumerate() {
            assert!(
                line.starts_with(&format!("cycles {}/4 (", k + 1)),
                "{}",
                describe(&out)
            );
            for part in [" elapsed  ETA ", "last: "] {
                assert!(line.contains(part), "{part:?}\n{}", describe(&out));
            }
            assert!(
                line.contains("cycles/s") || line.contains("s/cycle"),
                "{}",
                describe(&out)
            );
        }
        assert!(lines[3].contains("(100.0 %)"), "{}", describe(&out));
        // Standard output is as without the lines.
        assert!(!text(&out.stdout).contains("elapsed"), "{}", describe(&out));
    }
}

/// Needs the solver: the summary `asslb run` prints is the library's
/// (`RunReport::summary_text`), line for line but for the wall times, so that any other front
/// end prints the same.
#[test]
fn the_run_summary_comes_from_the_library() {
    use asslb::output::Progress;
    use asslb::scenario::{load_scenario_with, run_scenario, ExistingFiles, SetOverride};
    let dir = tempfile::tempdir().expect("temporary folder");
    let scenario_path = root().join("scenarios/solid_halfcell_discharge_1C.toml");
    let sets = cycling_sets(3);
    let cli_dir = dir.path().join("cli");
    let out = asslb()
        .arg("run")
        .arg(&scenario_path)
        .arg("--out")
        .arg(&cli_dir)
        .args(&sets)
        .output()
        .expect("run asslb");
    assert!(out.status.success(), "{}", describe(&out));

    let overrides: Vec<SetOverride> = sets
        .iter()
        .skip(1)
        .step_by(2)
        .map(|s| SetOverride::parse(s).expect("--set"))
        .collect();
    let scenario = load_scenario_with(&scenario_path, &overrides).expect("scenario");
    let mut progress = Progress::new(
        scenario.experiment.cycles(),
        scenario.parameters.active_mass_kg(),
        scenario.reference_cycle,
        true,
    );
    let lib_dir = dir.path().join("library");
    let report = run_scenario(&scenario, &lib_dir, ExistingFiles::Refuse, &mut progress)
        .expect("library run");
    let summary = report.summary_text(&scenario, progress.tally(), &cli_dir, 0.5);

    // The wall times differ from run to run: only their digits are masked.
    let mask = |line: &str| {
        if line.contains(" finished in ") || line.starts_with("solver: ") {
            let mut masked = String::new();
            for c in line.chars() {
                let c = if c.is_ascii_digit() || c == '.' {
                    '#'
                } else {
                    c
                };
                if !(c == '#' && masked.ends_with('#')) {
                    masked.push(c);
                }
            }
            masked
        } else {
            line.to_string()
        }
    };
    let stdout = text(&out.stdout);
    let mut printed: Vec<String> = stdout.lines().skip(1).map(mask).collect();
    // After the summary, where the run's report went (written once the summary was made).
    let report_line = printed.pop().unwrap_or_default();
    assert_eq!(
        report_line,
        format!(
            "report: {} (and {})",
            cli_dir.join("report.html").display(),
            cli_dir.join("report.md").display()
        )
    );
    let library: Vec<String> = summary.lines().map(mask).collect();
    assert!(summary.ends_with('\n'), "{summary}");
    assert!(library.len() > 10, "{summary}");
    assert_eq!(printed, library, "{}", describe(&out));
}

/// Needs the solver: `--quiet` and `-q` print only the output folder, and nothing on standard
/// error; the files are written as usual.
#[test]
fn quiet_run_prints_only_the_output_folder() {
    let dir = tempfile::tempdir().expect("temporary folder");
    for flag in ["--quiet", "-q"] {
        let out_dir = dir.path().join(format!("quiet{flag}"));
        let out = asslb()
            .arg("run")
            .arg(flag)
            .arg(root().join("scenarios/solid_halfcell_discharge_1C.toml"))
            .arg("--out")
            .arg(&out_dir)
            .args(cycling_sets(3))
            .output()
            .expect("run asslb");
        assert!(out.status.success(), "{flag}: {}", describe(&out));
        assert_eq!(
            text(&out.stdout),
            format!("{}\n", out_dir.display()),
            "{flag}: {}",
            describe(&out)
        );
        assert!(text(&out.stderr).is_empty(), "{flag}: {}", describe(&out));
        let summary = std::fs::read_to_string(out_dir.join("summary.csv")).expect("summary.csv");
        assert_eq!(summary.lines().count(), 4, "{summary}");
        assert!(out_dir.join("run.toml").exists());
    }
}

/// A quiet run that fails still says why, on standard error, and prints no folder.
#[test]
fn quiet_run_still_reports_errors() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let scenario = starved_scenario(dir.path());
    let out = asslb()
        .args(["run", "--quiet"])
        .arg(&scenario)
        .arg("--out")
        .arg(dir.path().join("results"))
        .output()
        .expect("run asslb");
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(text(&out.stdout).is_empty(), "{}", describe(&out));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with("error: the run stopped before the end"),
        "{}",
        describe(&out)
    );
    assert!(!stderr.contains('\r'), "{}", describe(&out));
}

#[test]
fn run_help_documents_quiet_and_the_progress_line() {
    let out = asslb().args(["run", "--help"]).output().expect("run asslb");
    assert!(out.status.success(), "{}", describe(&out));
    let stdout = text(&out.stdout);
    for part in [
        "-q, --quiet",
        "progress line",
        "only the output folder",
        "terminal",
    ] {
        assert!(
            stdout.contains(part),
            "missing {part:?}\n{}",
            describe(&out)
        );
    }
}

/// Needs the solver: `asslb impedance` writes the initial-state spectrum of a scenario.
#[test]
fn impedance_writes_the_spectrum_of_the_initial_state() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let out = asslb()
        .arg("impedance")
        .arg(root().join("scenarios/solid_halfcell_discharge_1C.toml"))
        .arg("--out")
        .arg(dir.path())
        .args(["--set", "positive.double_layer_capacitance_F_m2=0.2"])
        .args(["--set", "negative.double_layer_capacitance_F_m2=0.1"])
        .output()
        .expect("run asslb");
    assert!(out.status.success(), "{}", describe(&out));
    let csv = std::fs::read_to_string(dir.path().join("impedance.csv")).expect("impedance.csv");
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("cycle,frequency_Hz,z_re_ohm,z_im_ohm"));
    let rows: Vec<Vec<f64>> = lines
        .map(|l| l.split(',').map(|v| v.parse().expect("number")).collect())
        .collect();
    assert_eq!(rows.len(), 81);
    // Resistive at high frequency, growing towards low frequency; capacitive (Z'' < 0).
    assert!(rows[0][2] > rows[80][2] && rows.iter().all(|r| r[3] < 0.0));
    // Bad frequencies are refused before anything is computed.
    let bad = asslb()
        .arg("impedance")
        .arg(root().join("scenarios/solid_halfcell_discharge_1C.toml"))
        .args(["--f-min", "10", "--f-max", "1"])
        .arg("--out")
        .arg(dir.path().join("bad"))
        .output()
        .expect("run asslb");
    assert!(!bad.status.success());
    assert!(text(&bad.stderr).contains("--f-min"), "{}", describe(&bad));
    assert!(!dir.path().join("bad").exists());
}
