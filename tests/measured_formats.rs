//! Cycler exports in known formats (`asslb::measured::{formats, builtin}`, docs/measured_data.md):
//! the synthetic samples of validation/examples/ (written by scripts/make_measured_examples.py
//! from one truth, repeated here) import to that truth, per cycle and as voltage curves; the
//! format is detected, or forced by `--format`; a single capacity column is split by the step
//! type; a wrong format, a missing mass and truncated or garbled files are errors naming the
//! file (and line), never a panic; the mapping route reads UTF-16, xlsx and HH:MM:SS.

use std::path::{Path, PathBuf};

use asslb::measured::import::parse_mapping;
use asslb::measured::{
    import_builtin, import_export, read_curves, read_cycles, Direction, Format, Mapping,
    MeasuredCurves, MeasuredCycles, Problem,
};

mod common;
use common::{asslb, describe, root, text};

// The truth of scripts/make_measured_examples.py.
const MASS_G: f64 = 0.005;
const CURRENT_MA: f64 = 0.2;
const CHARGE_MAH_G: [f64; 3] = [262.6, 240.4, 236.8];
const DISCHARGE_MAH_G: [f64; 3] = [222.3, 231.5, 230.2];
const POINTS: usize = 11;
const REST_ROWS: f64 = 3.0;
const REST_STEP_S: f64 = 600.0;

fn round4(v: f64) -> f64 {
    (v * 1e4).round() / 1e4
}

fn charge_voltage(x: f64) -> f64 {
    round4(3.60 + 0.55 * x + 0.15 * x.powi(4))
}

fn discharge_voltage(x: f64) -> f64 {
    round4(4.20 - 0.90 * x - 1.30 * x.powi(6))
}

/// The truth's curve of `cycle` (1-based) in direction `d`: (capacity [mAh/g], voltage [V]).
fn truth_curve(cycle: usize, d: Direction) -> Vec<(f64, f64)> {
    let (cap, v): (f64, fn(f64) -> f64) = match d {
        Direction::Charge => (CHARGE_MAH_G[cycle - 1], charge_voltage),
        Direction::Discharge => (DISCHARGE_MAH_G[cycle - 1], discharge_voltage),
    };
    (0..POINTS)
        .map(|k| {
            let x = k as f64 / (POINTS - 1) as f64;
            (x * cap, v(x))
        })
        .collect()
}

/// The mean voltage of a truth curve: its energy by the trapezoid rule over its points,
/// divided by its capacity [V].
fn truth_mean_voltage(cycle: usize, d: Direction) -> f64 {
    let c = truth_curve(cycle, d);
    let energy: f64 = c
        .windows(2)
        .map(|w| (w[1].0 - w[0].0) * 0.5 * (w[0].1 + w[1].1))
        .sum();
    energy / c[POINTS - 1].0
}

/// The test time at the end of each cycle [s].
fn truth_end_times() -> Vec<f64> {
    let mut t = 0.0;
    (0..3)
        .map(|c| {
            for cap in [CHARGE_MAH_G[c], DISCHARGE_MAH_G[c]] {
                t += cap * MASS_G / CURRENT_MA * 3600.0 + REST_ROWS * REST_STEP_S;
            }
            t
        })
        .collect()
}

/// A column mapping from its text.
fn mapping(text: &str) -> Mapping {
    parse_mapping(text, Path::new("m.toml")).unwrap()
}

/// The samples and their formats.
const SAMPLES: [(&str, Format); 8] = [
    ("neware_export.csv", Format::Neware),
    ("neware_export.xlsx", Format::Neware),
    ("neware_export_utf16.csv", Format::Neware),
    ("neware_export_gbk.csv", Format::Neware),
    ("arbin_export_cp1252.csv", Format::Arbin),
    ("maccor_export.txt", Format::Maccor),
    ("eclab_export.mpt", Format::EcLab),
    ("bdf_export.csv", Format::Bdf),
];

fn sample(name: &str) -> PathBuf {
    root().join("validation/examples").join(name)
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

fn column(c: &MeasuredCycles, name: &str) -> Vec<f64> {
    c.column(name)
        .unwrap_or_else(|| panic!("no column {name}"))
        .iter()
        .map(|v| v.unwrap_or_else(|| panic!("{name}: a cycle without a value")))
        .collect()
}

/// Per-cycle values of `c` against the truth (capacities to 1e-6 mAh/g: the files hold
/// capacities to 1e-6 mAh or 1e-9 Ah, that is 2e-4 mAh/g at most).
fn assert_truth(name: &str, c: &MeasuredCycles) {
    assert_eq!(c.cycles, vec![1, 2, 3], "{name}");
    let tol = 2e-4;
    let checks: [(&str, Vec<f64>, f64); 6] = [
        ("charge_capacity_mAh_g", CHARGE_MAH_G.to_vec(), tol),
        ("discharge_capacity_mAh_g", DISCHARGE_MAH_G.to_vec(), tol),
        (
            "coulombic_efficiency",
            (0..3)
                .map(|i| DISCHARGE_MAH_G[i] / CHARGE_MAH_G[i])
                .collect(),
            1e-6,
        ),
        (
            "mean_charge_voltage_V",
            (1..=3)
                .map(|c| truth_mean_voltage(c, Direction::Charge))
                .collect(),
            1e-6,
        ),
        (
            "mean_discharge_voltage_V",
            (1..=3)
                .map(|c| truth_mean_voltage(c, Direction::Discharge))
                .collect(),
            1e-6,
        ),
        ("end_time_s", truth_end_times(), 1e-3),
    ];
    for (quantity, expected, tol) in checks {
        let got = column(c, quantity);
        for (g, e) in got.iter().zip(&expected) {
            assert!(
                close(*g, *e, tol),
                "{name}: {quantity} {got:?}, expected {expected:?}"
            );
        }
    }
    let ah = column(c, "discharge_capacity_Ah");
    for (g, e) in ah.iter().zip(DISCHARGE_MAH_G) {
        assert!(close(*g, e * MASS_G / 1000.0, 1e-9), "{name}: {ah:?}");
    }
}

#[test]
fn every_sample_imports_to_the_truth() {
    for (name, format) in SAMPLES {
        let path = sample(name);
        let import = import_builtin(&path, None).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(import.format(), format, "{name}: detected format");
        if name.ends_with(".xlsx") {
            // The record sheet, not the per-step sheet before it with the same columns.
            assert_eq!(import.export.source, "spreadsheet, sheet Record");
        }
        let cycles = import.cycles(&path, Some(MASS_G), None).unwrap();
        assert_truth(name, &cycles);
        assert_eq!(cycles.provenance.extra[1].1, format.name(), "{name}");
        // Forcing the right format reads the same.
        let forced = import_builtin(&path, Some(format)).unwrap();
        assert_eq!(forced.cycles(&path, Some(MASS_G), None).unwrap(), cycles);
    }
}

/// The curves of `curves` against the truth: every point of every cycle and direction, and
/// no other point (a rest counted as a step would add some).
fn assert_truth_curves(name: &str, curves: &MeasuredCurves) {
    assert_eq!(curves.cycles(), vec![1, 2, 3], "{name}");
    assert_eq!(curves.points.len(), 3 * 2 * POINTS, "{name}");
    for cycle in 1..=3 {
        for d in [Direction::Charge, Direction::Discharge] {
            let got = curves.curve(cycle, Some(d));
            let expected = truth_curve(cycle as usize, d);
            assert_eq!(got.len(), expected.len(), "{name} {cycle} {d:?}: {got:?}");
            for (g, e) in got.iter().zip(&expected) {
                assert!(
                    close(g.0, e.0, 2e-4) && close(g.1, e.1, 1e-9),
                    "{name} cycle {cycle} {d:?}: {got:?}, expected {expected:?}"
                );
            }
        }
    }
}

#[test]
fn every_sample_gives_the_truth_curves() {
    for (name, _) in SAMPLES {
        let path = sample(name);
        let import = import_builtin(&path, None).unwrap();
        assert_truth_curves(name, &import.curves(&path, Some(MASS_G), None).unwrap());
    }
}

#[test]
fn a_single_capacity_column_is_split_by_the_step_type() {
    // The case of the issue: Neware's one `Capacity(mAh)` column holds the charge and then the
    // discharge; cycle 1's discharge is 222.3 mAh/g, not the charge's 262.6.
    let path = sample("neware_export.csv");
    let c = import_builtin(&path, None)
        .unwrap()
        .cycles(&path, Some(MASS_G), None)
        .unwrap();
    let d = column(&c, "discharge_capacity_mAh_g")[0];
    assert!(close(d, 222.3, 1e-6), "{d}");
    // The same rows with the step type blanked out and the current's sign as the only
    // direction: the rests' noise (±0.05 µA) stays within the rest threshold.
    let dir = tempfile::tempdir().unwrap();
    let body = std::fs::read_to_string(&path).unwrap();
    let unsigned: String = body
        .lines()
        .map(|l| {
            l.replace(",CC_Chg,", ",Step,")
                .replace(",CC_DChg,", ",Step,")
                .replace(",Rest,", ",Step,")
        })
        .collect::<Vec<_>>()
        .join("\n");
    let copy = dir.path().join("by_current.csv");
    std::fs::write(&copy, unsigned).unwrap();
    let import = import_builtin(&copy, None).unwrap();
    let c = import.cycles(&copy, Some(MASS_G), None).unwrap();
    assert_truth("by_current.csv", &c);
    let curves = import.curves(&copy, Some(MASS_G), None).unwrap();
    assert_truth_curves("by_current.csv", &curves);
}

#[test]
fn a_mapping_cannot_read_charge_and_discharge_from_one_column() {
    let m = mapping(
        "[columns]\ncycle = \"Cycle Index\"\ncharge_capacity_Ah = { column = \"Capacity(mAh)\", aggregate = \"max\" }\ndischarge_capacity_Ah = { column = \"Capacity(mAh)\", aggregate = \"max\" }\n[provenance]\nsource = \"s\"\nfigure_or_table = \"f\"\nconditions = \"c\"\n",
    );
    let e = import_export(&sample("neware_export.csv"), &m, None).unwrap_err();
    assert_eq!(e.problem(), Some(Problem::Mapping), "{e}");
    assert!(e.to_string().contains("without --mapping"), "{e}");
}

#[test]
fn the_mapping_route_reads_utf16_xlsx_and_clock_times() {
    let m = mapping(
        "delimiter = \"\\t\"\nskip_lines = 1\n[columns]\ncycle = \"Cycle Index\"\nend_time_s = { column = \"Total Time\", aggregate = \"last\" }\n[provenance]\nsource = \"s\"\nfigure_or_table = \"f\"\nconditions = \"c\"\n",
    );
    for name in ["neware_export_utf16.csv", "neware_export.xlsx"] {
        let c = import_export(&sample(name), &m, None).unwrap_or_else(|e| panic!("{name}: {e}"));
        let t = column(&c, "end_time_s");
        for (g, e) in t.iter().zip(truth_end_times()) {
            assert!(close(*g, e, 1e-3), "{name}: {t:?}");
        }
    }
    // Date-times count from the first row.
    let m = mapping(
        "[columns]\ncycle = \"Cycle Index\"\nend_time_s = { column = \"Date\", aggregate = \"last\" }\n[provenance]\nsource = \"s\"\nfigure_or_table = \"f\"\nconditions = \"c\"\n",
    );
    let c = import_export(&sample("neware_export.csv"), &m, None).unwrap();
    let t = column(&c, "end_time_s");
    for (g, e) in t.iter().zip(truth_end_times()) {
        assert!(close(*g, e, 1e-3), "{t:?}");
    }
}

/// Runs `asslb import` with `args` in a fresh folder; returns the output and the folder.
fn import(args: &[&str]) -> (std::process::Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let out = asslb()
        .arg("import")
        .args(args)
        .current_dir(dir.path())
        .output()
        .unwrap();
    (out, dir)
}

#[test]
fn the_command_writes_cycles_and_curves_that_read_back() {
    let export = sample("eclab_export.mpt");
    let (out, dir) = import(&[
        export.to_str().unwrap(),
        "--active-mass-g",
        "0.005",
        "--out",
        "cycles.csv",
        "--curves",
        "curves.csv",
    ]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        text(&out.stdout).contains("as BioLogic EC-Lab"),
        "{}",
        describe(&out)
    );
    let cycles = read_cycles(&dir.path().join("cycles.csv")).unwrap();
    assert_truth("cycles.csv", &cycles);
    let curves = read_curves(&dir.path().join("curves.csv")).unwrap();
    assert_eq!(
        curves.curve(2, Some(Direction::Discharge)).len(),
        POINTS,
        "{curves:?}"
    );
    assert_eq!(
        curves.provenance.figure_or_table,
        "cycler export (BioLogic EC-Lab)"
    );

    // --format forces the format: right, it reads; wrong, a clear error and nothing written.
    let (out, _) = import(&[
        export.to_str().unwrap(),
        "--format",
        "eclab",
        "--active-mass-g",
        "0.005",
        "--out",
        "c.csv",
    ]);
    assert!(out.status.success(), "{}", describe(&out));
    let (out, dir) = import(&[
        export.to_str().unwrap(),
        "--format",
        "maccor",
        "--active-mass-g",
        "0.005",
        "--out",
        "c.csv",
    ]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    for part in [
        "eclab_export.mpt",
        "not a Maccor export",
        "`Cyc#`",
        "--format eclab",
    ] {
        assert!(err.contains(part), "{part}: {err}");
    }
    assert!(!dir.path().join("c.csv").exists());
    let (out, _) = import(&[
        export.to_str().unwrap(),
        "--format",
        "digatron",
        "--out",
        "c.csv",
    ]);
    assert!(
        text(&out.stderr).contains("neware, arbin, maccor, eclab, bdf"),
        "{}",
        describe(&out)
    );
}

#[test]
fn per_gram_values_need_the_mass() {
    let export = sample("bdf_export.csv");
    let (out, dir) = import(&[
        export.to_str().unwrap(),
        "--out",
        "c.csv",
        "--curves",
        "v.csv",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let err = text(&out.stderr);
    assert!(
        err.contains("bdf_export.csv") && err.contains("--active-mass-g"),
        "{err}"
    );
    assert!(!dir.path().join("c.csv").exists() && !dir.path().join("v.csv").exists());
    let import = import_builtin(&export, None).unwrap();
    let e = import.curves(&export, None, None).unwrap_err();
    assert_eq!(e.problem(), Some(Problem::Mass), "{e}");
    let e = import.cycles(&export, Some(-1.0), None).unwrap_err();
    assert_eq!(e.problem(), Some(Problem::Mass), "{e}");
}

/// Writes `bytes` to `name` in a fresh folder and imports it; the error must name the file
/// and, when `line` is given, that line.
fn assert_bad(name: &str, bytes: &[u8], line: Option<usize>, part: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    let e = import_builtin(&path, None)
        .and_then(|i| i.cycles(&path, Some(MASS_G), None))
        .unwrap_err();
    let message = e.to_string();
    assert!(
        message.starts_with(&path.display().to_string()),
        "{message}"
    );
    assert_eq!(e.line(), line, "{message}");
    assert!(message.contains(part), "{part}: {message}");
    // The command says the same, with exit code 1 (not a panic's 101).
    let out = asslb()
        .args([
            "import",
            path.to_str().unwrap(),
            "--active-mass-g",
            "0.005",
            "--out",
        ])
        .arg(dir.path().join("c.csv"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(!dir.path().join("c.csv").exists());
}

#[test]
fn truncated_and_garbled_files_are_named_by_file_and_line() {
    let neware = std::fs::read(sample("neware_export.csv")).unwrap();
    let text_of = String::from_utf8(neware.clone()).unwrap();
    // Cut in the middle of line 10: fewer fields than the header row.
    let cut = text_of.lines().take(9).collect::<Vec<_>>().join("\r\n") + "\r\n8,1,1,CC_Chg,00:";
    assert_bad("cut.csv", cut.as_bytes(), Some(10), "fields");
    // A voltage that is no number, a time that is no time, a step type that is no direction
    // and a cycle number that is no whole number: each names its line and column.
    let lines: Vec<&str> = text_of.lines().collect();
    for (from, to, part) in [
        (",3.6550,", ",3.6x50,", "Voltage(V)"),
        (",00:39:23.400,", ",00:39:xx,", "Total Time"),
        ("2,1,1,CC_Chg", "2,1.5,1,CC_Chg", "Cycle Index"),
    ] {
        let mut bad = lines.clone();
        let changed = bad[3].replace(from, to);
        assert_ne!(changed, bad[3], "{from}");
        bad[3] = &changed;
        assert_bad("bad.csv", bad.join("\n").as_bytes(), Some(4), part);
    }
    // Garbage: no header of any format; a truncated spreadsheet; an EC-Lab file cut inside
    // its header block.
    assert_bad(
        "noise.csv",
        &[0x8F, 0x00, 0xFF, 0x13, b'\n', 0x80],
        None,
        "not recognised",
    );
    let xlsx = std::fs::read(sample("neware_export.xlsx")).unwrap();
    assert_bad("cut.xlsx", &xlsx[..xlsx.len() / 2], None, "spreadsheet");
    let mpt = std::fs::read(sample("eclab_export.mpt")).unwrap();
    assert_bad("cut.mpt", &mpt[..120], None, "not recognised");
}

#[test]
fn an_unknown_layout_needs_a_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.csv");
    std::fs::write(&path, "cyc,q\n1,2\n").unwrap();
    let e = import_builtin(&path, None).unwrap_err();
    assert_eq!(e.problem(), Some(Problem::Format), "{e}");
    assert!(e.to_string().contains("--mapping"), "{e}");
}
