//! `asslb validate` (docs/validation.md): measured data written from a short simulation of the
//! verification half-cell (4 cycles, a fraction of a second) pass against the same run, the
//! same data scaled by 10 % fail, `cycle_offset` shifts the measured cycles, the report and
//! `comparison.csv` are complete, and every bad input is an error naming the file and the key.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

use asslb::measured::Direction;
use asslb::scenario::{load_scenario_with, SetOverride};
use asslb::validation::{self, SimulatedRun};
use common::{asslb, describe, root, text};

/// Four cycles of the verification half-cell: discharge, rest, charge, hold.
const EXPERIMENT: &str = r#"experiment=[{cycles=4, steps=["Discharge at 200 mA/g until 2.0 V vs Li/Li+", "Rest for 10 minutes", "Charge at 200 mA/g until 4.3 V vs Li/Li+", "Hold at 4.3 V vs Li/Li+ until 20 mA/g"]}]"#;
const SAVE: &str = "save_cycles=[1]";
const RUN_CYCLES: usize = 4;

fn scenario_path() -> PathBuf {
    root().join("scenarios/solid_halfcell_cycling.toml")
}

/// The run the measured data are written from, simulated once per test binary.
fn reference() -> &'static SimulatedRun {
    static RUN: OnceLock<SimulatedRun> = OnceLock::new();
    RUN.get_or_init(|| {
        let sets: Vec<SetOverride> = [EXPERIMENT, SAVE]
            .iter()
            .map(|s| SetOverride::parse(s).expect("override"))
            .collect();
        let scenario = load_scenario_with(&scenario_path(), &sets).expect("scenario");
        assert_eq!(scenario.experiment.cycles(), RUN_CYCLES);
        let run = validation::simulate(
            "cell",
            &scenario,
            &validation::Wanted {
                curves: vec![1, 2, 3, 4],
                ..Default::default()
            },
            None,
        )
        .expect("simulation");
        assert!(run.error.is_none(), "{:?}", run.error);
        assert_eq!(run.cycles.len(), RUN_CYCLES);
        run
    })
}

const PROVENANCE: &str = "# source: synthetic, from asslb itself\n# figure_or_table: tests/validation.rs\n# conditions: 60 °C, 2.0-4.3 V vs Li/Li+, 200 mA/g\n";

const COLUMNS: [&str; 3] = [
    "discharge_capacity_mAh_g",
    "coulombic_efficiency",
    "mean_discharge_voltage_V",
];

/// A per-cycle file of the reference run: measured cycle n is run cycle n + `shift`, for run
/// cycles `from..=to`; column k multiplied by `scale[k]`.
fn write_cycles(path: &Path, from: usize, to: usize, shift: usize, scale: [f64; 3]) {
    let run = reference();
    let mut s = format!("{PROVENANCE}cycle,{}\n", COLUMNS.join(","));
    for c in from..=to {
        s.push_str(&(c - shift).to_string());
        for (name, k) in COLUMNS.iter().zip(scale) {
            let v = run.column(c, name, None).expect("column");
            s.push_str(&format!(",{}", v * k));
        }
        s.push('\n');
    }
    std::fs::write(path, s).expect("write cycles");
}

/// A curves file of the reference run (both directions) for run cycles `cycles`, measured
/// cycle n being run cycle n + `shift`, voltages multiplied by `scale`.
fn write_curves(path: &Path, cycles: &[usize], shift: usize, scale: f64) {
    let run = reference();
    let mut s = format!("{PROVENANCE}cycle,step,capacity_mAh_g,voltage_V\n");
    for &c in cycles {
        for d in [Direction::Discharge, Direction::Charge] {
            let curve = run.curve(c, d);
            assert!(curve.len() > 10, "cycle {c} {}: {curve:?}", d.name());
            for (q, v) in curve {
                s.push_str(&format!("{},{},{q},{}\n", c - shift, d.name(), v * scale));
            }
        }
    }
    std::fs::write(path, s).expect("write curves");
}

/// The `[runs.cell]` table of a validation file (the 4-cycle half-cell).
fn runs_table() -> String {
    format!(
        "[runs.cell]\nscenario = '{}'\nset = ['{EXPERIMENT}', '{SAVE}']\n",
        scenario_path().display()
    )
}

fn cycles_block(file: &str, offset: usize) -> String {
    format!(
        "[[cycles]]\nfile = \"{file}\"\nrun = \"cell\"\ncycle_offset = {offset}\ncriterion = \"rms\"\n\n[cycles.tolerance]\ndischarge_capacity_mAh_g = {{ value = 1, kind = \"percent\" }}\ncoulombic_efficiency = {{ value = 0.5, kind = \"percent\" }}\nmean_discharge_voltage_V = {{ value = 0.005, kind = \"absolute\" }}\n"
    )
}

fn curves_block(file: &str, offset: usize) -> String {
    format!(
        "[[curves]]\nfile = \"{file}\"\nrun = \"cell\"\ncycle_offset = {offset}\ncriterion = \"max\"\ntolerance_V = 0.01\n"
    )
}

/// Writes `toml` as `<dir>/v.toml` and runs `asslb validate` on it into `<dir>/out`.
fn validate(dir: &Path, toml: &str) -> Output {
    let file = dir.join("v.toml");
    std::fs::write(&file, toml).expect("write validation file");
    asslb()
        .arg("validate")
        .arg(&file)
        .arg("--out")
        .arg(dir.join("out"))
        .args(["--jobs", "1"])
        .output()
        .expect("run asslb")
}

/// The fields of a CSV line (quotes as `comparison.csv` writes them).
fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                fields.last_mut().unwrap().push('"');
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(String::new()),
            c => fields.last_mut().unwrap().push(c),
        }
    }
    fields
}

/// `comparison.csv` of `dir/out` as (quantity, cycles, error, pass) rows, checking the header.
fn comparison_rows(dir: &Path) -> Vec<(String, String, f64, bool)> {
    let csv = std::fs::read_to_string(dir.join("out/comparison.csv")).expect("comparison.csv");
    let mut lines = csv.lines();
    let header = csv_fields(lines.next().expect("header"));
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    let (q, cy, e, p) = (col("quantity"), col("cycles"), col("error"), col("pass"));
    lines
        .map(|l| {
            let f = csv_fields(l);
            assert_eq!(f.len(), header.len(), "{l}");
            (
                f[q].clone(),
                f[cy].clone(),
                f[e].parse().unwrap_or(f64::NAN),
                f[p].parse().expect("pass is true or false"),
            )
        })
        .collect()
}

/// The line of the printed table about `quantity` (of cycles `cycles` when given).
fn table_line<'a>(stdout: &'a str, quantity: &str, cycles: Option<&str>) -> &'a str {
    stdout
        .lines()
        .find(|l| {
            l.contains(&format!("{quantity} ["))
                && cycles.is_none_or(|c| l.split_whitespace().any(|w| w == c))
        })
        .unwrap_or_else(|| panic!("no line for {quantity} in\n{stdout}"))
}

#[test]
fn measured_data_of_the_run_itself_pass_and_data_off_by_ten_percent_fail() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let d = dir.path();
    write_cycles(&d.join("cycles.csv"), 1, 4, 0, [1.0; 3]);
    write_curves(&d.join("curves.csv"), &[2, 3], 0, 1.0);
    let toml = format!(
        "name = \"synthetic\"\n\n{}\n{}\n{}",
        runs_table(),
        cycles_block("cycles.csv", 0),
        curves_block("curves.csv", 0)
    );
    let out = validate(d, &toml);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let stdout = text(&out.stdout);
    for column in COLUMNS {
        let line = table_line(&stdout, column, None);
        assert!(line.contains("pass") && line.contains("1–4"), "{line}");
    }
    for step in ["charge", "discharge"] {
        for cycle in ["2", "3"] {
            let line = table_line(&stdout, &format!("voltage_V ({step})"), Some(cycle));
            assert!(line.contains("pass"), "{line}");
        }
    }
    assert!(!stdout.contains("FAIL"), "{stdout}");
    assert!(stdout.contains("7 of 7 within tolerance"), "{stdout}");
    // Each run is announced as it ends.
    assert!(
        stdout.contains("  run `cell`: 4 cycles (4 resolved) in "),
        "{stdout}"
    );

    // comparison.csv: one row per comparison, all passing with (almost) no deviation.
    let rows = comparison_rows(d);
    assert_eq!(rows.len(), 3 + 2 * 2, "{rows:?}");
    for (quantity, _, error, pass) in &rows {
        assert!(*pass && error.abs() < 1e-9, "{quantity}: {error}");
    }

    // report.md: the table and the figures it links, which exist; each run's summary.
    let report = std::fs::read_to_string(d.join("out/report.md")).expect("report.md");
    assert!(
        report.contains("| id | quantity | run | cycles | measured | simulated | error | tolerance | result | conditions |"),
        "{report}"
    );
    assert!(report.contains("**7 of 7 comparisons within tolerance**"));
    let figures: Vec<&str> = report
        .lines()
        .filter_map(|l| l.strip_prefix("![")?.split_once("](")?.1.strip_suffix(')'))
        .collect();
    for name in [
        "validation_capacity.png",
        "validation_efficiency.png",
        "validation_mean_voltage.png",
        "validation_voltage_capacity.png",
    ] {
        assert!(figures.contains(&name), "{name} not in {figures:?}");
    }
    for f in &figures {
        let path = d.join("out").join(f);
        assert!(path.is_file(), "{} is linked but missing", path.display());
        assert!(path.with_extension("svg").is_file());
    }
    let summary = std::fs::read_to_string(d.join("out/runs/cell/summary.csv")).expect("summary");
    assert_eq!(summary.lines().count(), 1 + RUN_CYCLES);

    // The discharge capacities and the voltage curves 10 % high: those fail, the rest pass.
    let scaled = tempfile::tempdir().expect("temporary folder");
    let s = scaled.path();
    write_cycles(&s.join("cycles.csv"), 1, 4, 0, [1.1, 1.0, 1.0]);
    write_curves(&s.join("curves.csv"), &[2, 3], 0, 1.1);
    let out = validate(s, &toml);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let stdout = text(&out.stdout);
    let line = table_line(&stdout, "discharge_capacity_mAh_g", None);
    // The deviation is relative to the measured value: 1/1.1 − 1 = −9.09 % on every cycle.
    assert!(
        line.contains("FAIL") && line.contains("rms +9.09 %"),
        "{line}"
    );
    for column in ["coulombic_efficiency", "mean_discharge_voltage_V"] {
        assert!(table_line(&stdout, column, None).contains("pass"));
    }
    assert!(table_line(&stdout, "voltage_V (discharge)", Some("2")).contains("FAIL"));
    assert!(
        stdout.contains("2 of 7 within tolerance; 5 out of tolerance"),
        "{stdout}"
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("error: 5 of 7 comparisons out of tolerance"),
        "{stderr}"
    );
    for (quantity, _, error, pass) in comparison_rows(s) {
        match quantity.as_str() {
            "discharge_capacity_mAh_g" => {
                assert!(!pass && (error - 100.0 / 11.0).abs() < 1e-6, "{error}")
            }
            "coulombic_efficiency" | "mean_discharge_voltage_V" => assert!(pass),
            // Max deviation 10 % of the largest voltage.
            _ => assert!(!pass && error > 0.2, "{quantity}: {error}"),
        }
    }
    let report = std::fs::read_to_string(s.join("out/report.md")).expect("report.md");
    assert!(report.contains("5 out of tolerance") && report.contains("**FAIL**"));
}

#[test]
fn cycle_offset_shifts_the_measured_cycles() {
    // Run cycles 2–4 written as measured cycles 1–3 (as a test that counts from the first cycle
    // after a formation cycle the simulation also runs).
    let dir = tempfile::tempdir().expect("temporary folder");
    let d = dir.path();
    write_cycles(&d.join("cycles.csv"), 2, 4, 1, [1.0; 3]);
    write_curves(&d.join("curves.csv"), &[2, 4], 1, 1.0);
    let with = |offset: usize, curves_offset: usize| {
        format!(
            "{}\n{}\n{}",
            runs_table(),
            cycles_block("cycles.csv", offset),
            curves_block("curves.csv", curves_offset)
        )
    };

    let out = validate(d, &with(1, 1));
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let stdout = text(&out.stdout);
    assert!(table_line(&stdout, "discharge_capacity_mAh_g", None).contains("2–4"));
    assert!(table_line(&stdout, "voltage_V (charge)", Some("4")).contains("pass"));
    let rows = comparison_rows(d);
    assert_eq!(rows.len(), 3 + 2 * 2);
    assert!(rows.iter().all(|r| r.3 && r.2.abs() < 1e-9), "{rows:?}");

    // Without the offset, measured cycle 1 is compared with the first (formation-like) cycle,
    // which starts from the charged state: capacities and efficiency are off.
    let out = validate(d, &with(0, 0));
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let stdout = text(&out.stdout);
    for column in ["discharge_capacity_mAh_g", "coulombic_efficiency"] {
        let line = table_line(&stdout, column, None);
        assert!(line.contains("FAIL") && line.contains("1–3"), "{line}");
    }
    let rows = comparison_rows(d);
    assert!(rows
        .iter()
        .any(|(q, c, _, pass)| q == "voltage_V (discharge)" && c == "1" && !pass));

    // An offset that takes the measured cycles past the run's end is an error, before anything
    // runs.
    let file = d.join("v.toml").display().to_string();
    let out = validate(d, &with(2, 1));
    let at = toml_at(&with(2, 1), "cycle_offset = 2", "cycles[0].cycle_offset");
    expect_error(
        &out,
        &[
            &format!("{file}, {at}: key `cycles[0].cycle_offset`"),
            "expected a cycle of run `cell` (1 to 4), found 5",
        ],
    );
    let out = validate(d, &with(1, 2));
    let at = toml_at(&with(1, 2), "cycle_offset = 2", "curves[0].cycle_offset");
    expect_error(
        &out,
        &[
            &format!("{file}, {at}: key `curves[0].cycle_offset`"),
            "(1 to 4), found 5",
        ],
    );
}

#[test]
fn target_points_are_compared_at_their_cycles() {
    let run = reference();
    let c = |n: usize| &run.cycles[n - 1];
    let mass_g = run.active_mass_kg.expect("active mass") * 1e3;
    let capacity = 1e3 * c(2).discharge_capacity_ah / mass_g;
    let retention = 100.0 * c(4).discharge_capacity_ah / c(2).discharge_capacity_ah;
    let ce = 100.0 * c(3).coulombic_efficiency();
    let decay = 1e3 * (c(2).mean_discharge_voltage_v() - c(4).mean_discharge_voltage_v());
    let dir = tempfile::tempdir().expect("temporary folder");
    let d = dir.path();
    std::fs::write(
        d.join("targets.csv"),
        format!(
            "{POINTS_HEADER}\
             P1,solid,1C,2,discharge_capacity_mAh_g,{capacity},mAh/g,0.1,percent,{P}\n\
             P2,solid,1C,4,capacity_retention_percent,{retention},%,0.01,points,{P}\n\
             P3,solid,1C,3,coulombic_efficiency_percent,{ce},%,0.01,points,{P}\n\
             P4,solid,1C,4,mean_discharge_voltage_decay_mV,{},mV,0.01,absolute,{P}\n",
            decay + 0.5,
            P = POINT_PROVENANCE
        ),
    )
    .unwrap();
    let toml = format!(
        "{}\n[[points]]\nfile = \"targets.csv\"\n\n[points.at]\nP1 = {{ run = \"cell\", cycle = 2 }}\nP2 = {{ run = \"cell\", cycle = 4, reference_cycle = 2 }}\nP3 = {{ run = \"cell\", cycle = 3 }}\nP4 = {{ run = \"cell\", cycle = 4, reference_cycle = 2 }}\n",
        runs_table()
    );
    let path = d.join("v.toml");
    std::fs::write(&path, &toml).unwrap();
    let spec = validation::load_validation(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(spec.points.len(), 4);
    assert_eq!(spec.compared_cycles(0), vec![2, 3, 4]);
    let scenarios: Vec<_> = spec.runs.iter().map(|r| &r.scenario).collect();
    let runs = validation::simulate_runs(&spec, &scenarios, false, None).expect("runs");
    let comparisons = validation::compare(&spec, &runs);
    println!("{}", validation::comparison_table(&comparisons));
    let ids: Vec<&str> = comparisons.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["P1", "P2", "P3", "P4"]);
    for (k, expected) in [capacity, retention, ce, decay].into_iter().enumerate() {
        let got = comparisons[k].simulated;
        assert!(
            (got - expected).abs() < 1e-9 * expected.abs().max(1.0),
            "{}: {got} against {expected}",
            comparisons[k].id
        );
    }
    assert_eq!(comparisons[1].cycles, "4 (vs 2)");
    // P4 is 0.5 mV off with a tolerance of 0.01 mV.
    assert!(comparisons[..3].iter().all(|c| c.pass));
    assert!(!comparisons[3].pass && (comparisons[3].error + 0.5).abs() < 1e-6);
}

const POINTS_HEADER: &str = "id,cell,protocol,cycle,quantity,value,unit,tolerance,tolerance_kind,source,figure_or_table,conditions\n";
const POINT_PROVENANCE: &str = "synthetic,tests/validation.rs,\"60 °C, 200 mA/g\"";

/// The 1-based line of `toml` that starts with `needle` (first one).
fn toml_line(toml: &str, needle: &str) -> usize {
    toml.lines()
        .position(|l| l.starts_with(needle))
        .unwrap_or_else(|| panic!("`{needle}` not in\n{toml}"))
        + 1
}

/// `"line L, column C"` of the key `key` (a dotted path) on the first line of `toml` that
/// starts with `needle`: the column of the key's last name on that line, else of the line's
/// start.
fn toml_at(toml: &str, needle: &str, key: &str) -> String {
    let line = toml_line(toml, needle);
    let text = toml.lines().nth(line - 1).unwrap_or_default();
    let last = key
        .rsplit('.')
        .next()
        .unwrap_or(key)
        .split('[')
        .next()
        .unwrap_or_default();
    let column = text
        .find(last)
        .map_or(1, |byte| text[..byte].chars().count() + 1);
    format!("line {line}, column {column}")
}

/// `out` is a bad-input error: exit code 1, nothing on stdout but the error on stderr with
/// every fragment.
fn expect_error(out: &Output, fragments: &[&str]) {
    assert_eq!(out.status.code(), Some(1), "{}", describe(out));
    let stderr = text(&out.stderr);
    assert!(stderr.starts_with("error: "), "{}", describe(out));
    for f in fragments {
        assert!(stderr.contains(f), "`{f}` not in\n{stderr}");
    }
}

/// A folder with a points file (P1 a capacity, P2 a retention), a per-cycle file and a curves
/// file of the reference run.
fn bad_input_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary folder");
    let d = dir.path();
    std::fs::write(
        d.join("targets.csv"),
        format!(
            "{POINTS_HEADER}P1,solid,1C,2,discharge_capacity_mAh_g,214,mAh/g,3,percent,{P}\nP2,solid,1C,4,capacity_retention_percent,100,%,1,points,{P}\n",
            P = POINT_PROVENANCE
        ),
    )
    .unwrap();
    write_cycles(&d.join("cycles.csv"), 1, 4, 0, [1.0; 3]);
    write_curves(&d.join("curves.csv"), &[2], 0, 1.0);
    dir
}

const POINTS_OK: &str = "[[points]]\nfile = \"targets.csv\"\n\n[points.at]\nP1 = { run = \"cell\", cycle = 2 }\nP2 = { run = \"cell\", cycle = 4, reference_cycle = 2 }\n";

/// Runs `asslb validate` on `toml` in a fresh bad-input folder and checks that it is an error
/// naming the validation file, with `key` at the line of `line_of` (when given), and the other
/// fragments; nothing is written.
fn rejects(toml: &str, key: &str, line_of: Option<&str>, fragments: &[&str]) {
    let dir = bad_input_folder();
    let d = dir.path();
    let out = validate(d, toml);
    let file = d.join("v.toml").display().to_string();
    let at = match line_of {
        Some(needle) => format!("{file}, {}: key `{key}`", toml_at(toml, needle, key)),
        None => format!("{file}: key `{key}`"),
    };
    let mut all = vec![at.as_str()];
    all.extend_from_slice(fragments);
    expect_error(&out, &all);
    assert!(
        !d.join("out").exists(),
        "bad input, yet {}/out was written",
        d.display()
    );
}

#[test]
fn an_unknown_key_is_a_syntax_error_with_its_line() {
    let toml = format!(
        "[runs.cell]\nscenario = '{}'\nsets = ['{SAVE}']\n\n{POINTS_OK}",
        scenario_path().display()
    );
    let dir = bad_input_folder();
    let out = validate(dir.path(), &toml);
    let file = dir.path().join("v.toml").display().to_string();
    expect_error(
        &out,
        &[&format!("{file}: "), "line 3", "unknown field `sets`"],
    );
    // In a measured-data block too.
    let block =
        cycles_block("cycles.csv", 0).replace("run = \"cell\"\n", "run = \"cell\"\noffset = 1\n");
    let toml = format!("{}\n{block}", runs_table());
    let out = validate(dir.path(), &toml);
    let line = toml_line(&toml, "offset = 1");
    expect_error(&out, &[&format!("line {line}"), "unknown field `offset`"]);
}

#[test]
fn every_target_needs_an_entry_and_every_entry_a_target() {
    let toml = format!(
        "{}\n[[points]]\nfile = \"targets.csv\"\n\n[points.at]\nP1 = {{ run = \"cell\", cycle = 2 }}\n",
        runs_table()
    );
    rejects(
        &toml,
        "points[0].at",
        Some("[points.at]"),
        &["target `P2` of", "targets.csv (line 3) has no entry"],
    );
    let toml = format!(
        "{}\n{POINTS_OK}P9 = {{ run = \"cell\", cycle = 2 }}\n",
        runs_table()
    );
    rejects(
        &toml,
        "points[0].at.P9",
        Some("P9 ="),
        &["expected the id of a target of", "targets.csv, found `P9`"],
    );
}

#[test]
fn runs_and_cycles_must_exist() {
    let toml = format!(
        "{}\n{}",
        runs_table(),
        POINTS_OK.replacen("\"cell\"", "\"cel\"", 1)
    );
    rejects(
        &toml,
        "points[0].at.P1.run",
        Some("P1 ="),
        &["expected the label of a run (`cell`), found `cel`"],
    );
    let toml = format!(
        "{}\n{}",
        runs_table(),
        cycles_block("cycles.csv", 0).replace("run = \"cell\"", "run = \"other\"")
    );
    rejects(
        &toml,
        "cycles[0].run",
        Some("run = \"other\""),
        &["found `other`"],
    );
    let toml = format!(
        "{}\n{}",
        runs_table(),
        POINTS_OK.replace("cycle = 2 }", "cycle = 9 }")
    );
    rejects(
        &toml,
        "points[0].at.P1.cycle",
        Some("P1 ="),
        &["expected a cycle of run `cell` (1 to 4), found 9"],
    );
    let toml = format!(
        "{}\n{}",
        runs_table(),
        POINTS_OK.replace("reference_cycle = 2", "reference_cycle = 0")
    );
    rejects(
        &toml,
        "points[0].at.P2.reference_cycle",
        Some("P2 ="),
        &["(1 to 4), found 0"],
    );
}

#[test]
fn a_retention_target_needs_a_reference_cycle_and_a_cycle() {
    let toml = format!(
        "{}\n{}",
        runs_table(),
        POINTS_OK.replace(", reference_cycle = 2", "")
    );
    rejects(
        &toml,
        "points[0].at.P2",
        Some("P2 ="),
        &["target `P2` (capacity_retention_percent) needs `reference_cycle`"],
    );
    let toml = format!("{}\n{}", runs_table(), POINTS_OK.replace(", cycle = 2", ""));
    rejects(
        &toml,
        "points[0].at.P1",
        Some("P1 ="),
        &["target `P1` (discharge_capacity_mAh_g) needs `cycle`"],
    );
}

#[test]
fn every_per_cycle_column_needs_a_tolerance_and_every_tolerance_a_column() {
    let block = cycles_block("cycles.csv", 0);
    let without = block
        .lines()
        .filter(|l| !l.starts_with("coulombic_efficiency"))
        .collect::<Vec<_>>()
        .join("\n");
    rejects(
        &format!("{}\n{without}\n", runs_table()),
        "cycles[0].tolerance",
        Some("[cycles.tolerance]"),
        &[
            "column `coulombic_efficiency` of",
            "cycles.csv has no tolerance",
        ],
    );
    let extra = format!("{block}charge_capacity_mAh_g = {{ value = 1, kind = \"percent\" }}\n");
    rejects(
        &format!("{}\n{extra}", runs_table()),
        "cycles[0].tolerance.charge_capacity_mAh_g",
        Some("charge_capacity_mAh_g ="),
        &["cycles.csv has no column `charge_capacity_mAh_g`"],
    );
    let unknown = format!("{block}capacity = {{ value = 1, kind = \"percent\" }}\n");
    rejects(
        &format!("{}\n{unknown}", runs_table()),
        "cycles[0].tolerance.capacity",
        Some("capacity ="),
        &["expected a column of", "found `capacity`"],
    );
}

#[test]
fn tolerance_kinds_criteria_and_steps_are_checked() {
    let block = cycles_block("cycles.csv", 0);
    for (kind, found) in [
        ("\"points\"", "found \"points\""),
        ("\"pct\"", "found \"pct\""),
    ] {
        let bad = block.replace(
            "value = 0.5, kind = \"percent\"",
            &format!("value = 0.5, kind = {kind}"),
        );
        rejects(
            &format!("{}\n{bad}", runs_table()),
            "cycles[0].tolerance.coulombic_efficiency.kind",
            Some("coulombic_efficiency ="),
            &["expected \"percent\" or \"absolute\"", found],
        );
    }
    let bad = block.replace("value = 1,", "value = -1,");
    rejects(
        &format!("{}\n{bad}", runs_table()),
        "cycles[0].tolerance.discharge_capacity_mAh_g.value",
        Some("discharge_capacity_mAh_g ="),
        &["expected a positive tolerance, found -1"],
    );
    let bad = block.replace("criterion = \"rms\"", "criterion = \"mean\"");
    rejects(
        &format!("{}\n{bad}", runs_table()),
        "cycles[0].criterion",
        Some("criterion = \"mean\""),
        &["expected \"rms\" or \"max\", found \"mean\""],
    );
    let curves = curves_block("curves.csv", 0);
    let bad = curves.replace("criterion = \"max\"", "criterion = \"worst\"");
    rejects(
        &format!("{}\n{bad}", runs_table()),
        "curves[0].criterion",
        Some("criterion = \"worst\""),
        &["found \"worst\""],
    );
    let bad = format!("{curves}step = \"both\"\n");
    rejects(
        &format!("{}\n{bad}", runs_table()),
        "curves[0].step",
        Some("step = "),
        &["expected \"charge\" or \"discharge\", found \"both\""],
    );
    let bad = curves.replace("tolerance_V = 0.01", "tolerance_V = 0.0");
    rejects(
        &format!("{}\n{bad}", runs_table()),
        "curves[0].tolerance_V",
        Some("tolerance_V ="),
        &["expected a positive voltage, found 0"],
    );
}

#[test]
fn a_scenario_that_does_not_load_names_its_run() {
    let toml = format!(
        "[runs.cell]\nscenario = '{}'\nset = ['{EXPERIMENT}', 'positive.thickness_m=-1.0']\n\n{POINTS_OK}",
        scenario_path().display()
    );
    let dir = bad_input_folder();
    let file = dir.path().join("v.toml").display().to_string();
    let out = validate(dir.path(), &toml);
    expect_error(
        &out,
        &[
            &format!("error: {file}: run `cell`: the scenario does not load"),
            "caused by:",
            "thickness_m",
        ],
    );
    let toml = format!(
        "[runs.gone]\nscenario = \"missing.toml\"\n\n{}",
        POINTS_OK.replace("cell", "gone")
    );
    let out = validate(dir.path(), &toml);
    expect_error(
        &out,
        &[
            &format!("{file}: run `gone`: the scenario does not load"),
            "missing.toml",
        ],
    );
    // An override that is not PATH=VALUE.
    let toml = format!(
        "[runs.cell]\nscenario = '{}'\nset = ['save_cycles']\n\n{POINTS_OK}",
        scenario_path().display()
    );
    rejects(&toml, "runs.cell.set", Some("set = "), &[]);
}

#[test]
fn a_measured_file_with_a_nan_names_file_line_and_column() {
    let dir = bad_input_folder();
    let d = dir.path();
    let cycles = std::fs::read_to_string(d.join("cycles.csv")).unwrap();
    // Line 6 of the file: the cycle-2 row (3 provenance lines, the header, cycle 1).
    let mut lines: Vec<String> = cycles.lines().map(String::from).collect();
    let mut fields: Vec<&str> = lines[5].split(',').collect();
    assert_eq!(fields[0], "2");
    fields[2] = "NaN";
    lines[5] = fields.join(",");
    std::fs::write(d.join("cycles.csv"), lines.join("\n") + "\n").unwrap();
    let out = validate(
        d,
        &format!("{}\n{}", runs_table(), cycles_block("cycles.csv", 0)),
    );
    expect_error(
        &out,
        &[&format!(
            "{}, line 6, column `coulombic_efficiency`",
            d.join("cycles.csv").display()
        )],
    );
    // A missing measured file names it.
    let out = validate(
        d,
        &format!("{}\n{}", runs_table(), curves_block("nothing.csv", 0)),
    );
    expect_error(&out, &[&d.join("nothing.csv").display().to_string()]);
}

#[test]
fn a_bands_file_that_is_missing_or_not_a_fits_is_an_error_naming_both_files() {
    let toml = format!("bands = \"nothing.toml\"\n{}\n{POINTS_OK}", runs_table());
    rejects(
        &toml,
        "bands",
        Some("bands = "),
        &["cannot read ", "nothing.toml: No such file"],
    );
    let dir = bad_input_folder();
    std::fs::write(
        dir.path().join("b.toml"),
        "fit = \"f.toml\"\nparameters = []\nbands = []\nsigma = 1\n",
    )
    .unwrap();
    let toml = format!("bands = \"b.toml\"\n{}\n{POINTS_OK}", runs_table());
    let out = validate(dir.path(), &toml);
    expect_error(
        &out,
        &[
            "key `bands`",
            "b.toml is not the prediction_bands.toml of an `asslb fit`",
            "sigma",
            "line 4",
        ],
    );
}

#[test]
fn a_validation_without_runs_or_data_is_an_error() {
    let dir = bad_input_folder();
    rejects(
        &runs_table(),
        "points",
        None,
        &["expected measured data to compare"],
    );
    let toml = format!("runs = {{}}\n{POINTS_OK}");
    let out = validate(dir.path(), &toml);
    expect_error(&out, &["key `runs`", "expected at least one run"]);
}

#[test]
fn cycles_jumped_over_are_interpolated_and_compared_cycles_resolved() {
    // Figures of cycles 1 and 5 only: cycles 2–4 are interpolated linearly.
    let summary = |cycle: usize, discharge_ah: f64| asslb::protocol::CycleSummary {
        cycle,
        charge_capacity_ah: 1e-3,
        discharge_capacity_ah: discharge_ah,
        charge_energy_wh: 4e-3,
        discharge_energy_wh: 3.5 * discharge_ah,
        end_time_s: 3600.0 * cycle as f64,
        degradation: None,
        host_capacity_ah: 2e-3,
    };
    let run = SimulatedRun {
        label: "synthetic".into(),
        active_mass_kg: Some(5e-6),
        cationic_capacity_mah_g: None,
        reference_cycle: 1,
        cycles: vec![summary(1, 1e-3), summary(5, 0.6e-3)],
        rows: Default::default(),
        step_directions: Default::default(),
        impedance_fits: Default::default(),
        summary: None,
        error: None,
    };
    let at = |cycle: usize, name: &str| run.column(cycle, name, None);
    assert_eq!(at(1, "discharge_capacity_Ah"), Some(1e-3));
    let q3 = at(3, "discharge_capacity_Ah").expect("cycle 3");
    assert!((q3 - 0.8e-3).abs() < 1e-15, "{q3}");
    let mah_g = at(4, "discharge_capacity_mAh_g").expect("cycle 4");
    assert!((mah_g - 0.7e-3 / 5e-3 * 1e3).abs() < 1e-9, "{mah_g}");
    let retention = run
        .column(3, "capacity_retention", Some(5))
        .expect("retention");
    assert!((retention - 0.8 / 0.6).abs() < 1e-12);
    assert_eq!(at(6, "discharge_capacity_Ah"), None, "past the run");
    assert_eq!(at(0, "discharge_capacity_Ah"), None, "before the run");
    assert_eq!(at(3, "no_such_column"), None);

    // A run with cycle jumping resolves the cycles of target points and interpolates dense
    // per-cycle data: the paper cell, formation and 150 cycles at 1C, a target at cycle 77 and
    // per-cycle data at cycles 120–121.
    let dir = tempfile::tempdir().expect("temporary folder");
    let d = dir.path();
    std::fs::write(
        d.join("targets.csv"),
        format!(
            "{POINTS_HEADER}J1,solid,1C,67,discharge_capacity_mAh_g,200,mAh/g,20,percent,{POINT_PROVENANCE}\n"
        ),
    )
    .unwrap();
    std::fs::write(
        d.join("cycles.csv"),
        format!("{PROVENANCE}cycle,discharge_capacity_mAh_g\n110,200\n111,200\n"),
    )
    .unwrap();
    let toml = format!(
        "[runs.jump]\nscenario = '{}'\nset = ['{}', 'save_cycles=[1]', 'solver.cycle_jumping={{}}']\n\n[[points]]\nfile = \"targets.csv\"\n\n[points.at]\nJ1 = {{ run = \"jump\", cycle = 77 }}\n\n[[cycles]]\nfile = \"cycles.csv\"\nrun = \"jump\"\ncycle_offset = 10\n\n[cycles.tolerance]\ndischarge_capacity_mAh_g = {{ value = 20, kind = \"percent\" }}\n",
        root().join("scenarios/wu2022_1c_1000.toml").display(),
        r#"experiment=[{cycles=10, steps=["Charge at 0.05C until 4.3 V vs Li/Li+", "Discharge at 0.05C until 2.0 V vs Li/Li+"]}, {cycles=150, steps=["Charge at 1C until 4.3 V vs Li/Li+", "Discharge at 1C until 2.0 V vs Li/Li+"]}]"#
    );
    let path = d.join("v.toml");
    std::fs::write(&path, &toml).unwrap();
    let spec = validation::load_validation(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(spec.compared_cycles(0), vec![77]);
    let scenarios: Vec<_> = spec.runs.iter().map(|r| &r.scenario).collect();
    let runs = validation::simulate_runs(&spec, &scenarios, false, None).expect("runs");
    let resolved: Vec<usize> = runs[0].cycles.iter().map(|c| c.cycle).collect();
    assert!(
        resolved.len() < 120,
        "cycles were jumped over: {resolved:?}"
    );
    assert!(
        resolved.contains(&77),
        "cycle 77 not resolved: {resolved:?}"
    );
    let comparisons = validation::compare(&spec, &runs);
    println!("{}", validation::comparison_table(&comparisons));
    assert!(comparisons
        .iter()
        .all(|c| c.simulated.is_finite() && c.pass));
}

#[test]
fn flag_errors_exit_with_2_and_jobs_must_be_positive() {
    let out = asslb().arg("validate").output().expect("run asslb");
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let out = asslb()
        .args(["validate", "v.toml", "--unknown"])
        .output()
        .expect("run asslb");
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let dir = bad_input_folder();
    let file = dir.path().join("v.toml");
    std::fs::write(&file, format!("{}\n{POINTS_OK}", runs_table())).unwrap();
    let out = asslb()
        .arg("validate")
        .arg(&file)
        .args(["--jobs", "0"])
        .output()
        .expect("run asslb");
    expect_error(&out, &["--jobs: expected at least 1"]);
}

/// The paper cell's scenario cut to two cycles at 1C with a spectrum after the second
/// discharge, fitted with the paper's circuit.
const PAPER_RUN: &str = r#"set = ['experiment=[{cycles=2, steps=["Charge at 1C until 4.3 V vs Li/Li+", "Discharge at 1C until 2.0 V vs Li/Li+"]}]', 'save_cycles=[1]', 'impedance.cycles=[1]']"#;

#[test]
fn a_target_is_compared_with_a_resistance_fitted_to_the_simulated_spectrum() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let d = dir.path();
    std::fs::write(
        d.join("targets.csv"),
        format!(
            "{POINTS_HEADER}Z,solid,1C,2,interface_resistance_ohm,70,ohm,50,percent,{POINT_PROVENANCE}\n"
        ),
    )
    .unwrap();
    let paper = root().join("scenarios/wu2022_1c_1000.toml");
    let toml = format!(
        "[runs.paper]\nscenario = '{}'\n{PAPER_RUN}\n\n[[points]]\nfile = \"targets.csv\"\n\n[points.at]\nZ = {{ run = \"paper\", cycle = 2, impedance = \"R2\" }}\n",
        paper.display()
    );
    let path = d.join("v.toml");
    std::fs::write(&path, &toml).unwrap();
    let spec = validation::load_validation(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(spec.spectrum_cycles(0), vec![2]);
    let scenarios: Vec<_> = spec.runs.iter().map(|r| &r.scenario).collect();
    let runs = validation::simulate_runs(&spec, &scenarios, false, None).expect("runs");
    let comparisons = validation::compare(&spec, &runs);
    println!("{}", validation::comparison_table(&comparisons));
    let fitted = runs[0].impedance_value(2, "R2").expect("a fit at cycle 2");
    let model = runs[0]
        .column(2, "interface_resistance_ohm", None)
        .expect("model value");
    // The comparison takes the fitted resistance, not the model's own figure; the two are the
    // same physics seen through the circuit, so close but not equal.
    assert_eq!(comparisons[0].simulated, fitted);
    assert_ne!(fitted, model);
    assert!(
        (fitted / model - 1.0).abs() < 0.2,
        "fitted {fitted}, model {model}"
    );
    assert_eq!(comparisons[0].cycles, "2 (EIS fit R2)");
    // The cycle asked for is measured, and the scenario's own impedance cycles before it (the
    // chain of fits passes through them, as in `asslb run`), not those after it.
    assert_eq!(
        runs[0].impedance_fits.keys().copied().collect::<Vec<_>>(),
        vec![1, 2]
    );
}

#[test]
fn a_fitted_resistance_needs_a_circuit_a_resistance_and_a_quantity_in_ohm() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let d = dir.path();
    std::fs::write(
        d.join("targets.csv"),
        format!(
            "{POINTS_HEADER}Z,solid,1C,2,interface_resistance_ohm,70,ohm,50,percent,{P}\nQ,solid,1C,2,discharge_capacity_mAh_g,200,mAh/g,5,percent,{P}\n",
            P = POINT_PROVENANCE
        ),
    )
    .unwrap();
    let paper = root().join("scenarios/wu2022_1c_1000.toml");
    let case = |run: &str, z: &str, q: &str| {
        format!(
            "{run}\n[[points]]\nfile = \"targets.csv\"\n\n[points.at]\nZ = {{ run = \"paper\", cycle = 2{z} }}\nQ = {{ run = \"paper\", cycle = 2{q} }}\n"
        )
    };
    let paper_run = format!(
        "[runs.paper]\nscenario = '{}'\n{PAPER_RUN}\n",
        paper.display()
    );
    let without_circuit = format!(
        "[runs.paper]\nscenario = '{}'\nset = ['save_cycles=[1]']\n",
        root().join("scenarios/wu2022_formation.toml").display()
    );
    for (toml, fragments) in [
        (
            case(&paper_run, ", impedance = \"CPE2_Q\"", ""),
            vec![
                "points[0].at.Z.impedance",
                "expected a resistance",
                "R0, R1, R2, R3",
                "`CPE2_Q`",
            ],
        ),
        (
            case(&paper_run, "", ", impedance = \"R2\""),
            vec![
                "points[0].at.Q.impedance",
                "discharge_capacity_mAh_g in mAh/g",
                "ohm",
            ],
        ),
    ] {
        let out = validate(d, &toml);
        expect_error(&out, &fragments);
    }
    // A scenario without [impedance] (the formation scenario).
    let out = validate(d, &case(&without_circuit, ", impedance = \"R2\"", ""));
    expect_error(
        &out,
        &[
            "points[0].at.Z.impedance",
            "has no equivalent circuit to fit",
            "[impedance] section",
        ],
    );
}
