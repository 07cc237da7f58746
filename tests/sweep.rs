//! `asslb sweep`: grids and named cases, sharding and merging (the union of the shards is the
//! unsharded sweep, case for case), failed cases and `--resume`, and bad input (clear errors,
//! nothing written).

mod common;

use std::path::{Path, PathBuf};

use common::{asslb, describe, progress_lines, text};

/// A fast base scenario: the verification half-cell, coarse mesh, two fast cycles.
fn base_scenario(dir: &Path) -> PathBuf {
    let path = dir.join("base.toml");
    std::fs::write(
        &path,
        r#"
parameter_set = "solid_halfcell_single_ion"
experiment = [{ cycles = 2, steps = ["Discharge at 400 mA/g until 2.0 V vs Li/Li+", "Charge at 400 mA/g until 4.3 V vs Li/Li+"] }]
[mesh]
positive_x_cells = 5
separator_x_cells = 3
particle_r_cells = 6
"#,
    )
    .expect("write base scenario");
    path
}

/// Writes a sweep file `<name>.toml` over the base scenario with `body` (mode, outputs, axes).
fn sweep_file(dir: &Path, name: &str, body: &str) -> PathBuf {
    base_scenario(dir);
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(
        &path,
        format!("name = \"{name}\"\nscenario = \"base.toml\"\n{body}"),
    )
    .expect("write sweep file");
    path
}

/// A grid of a named-case axis and a value axis: four cases.
const GRID: &str = r#"
mode = "grid"
outputs.retention_at = [1, 2]
[sweep]
rate = { slow = { experiment = [{ cycles = 2, steps = ["Discharge at 200 mA/g until 2.0 V vs Li/Li+", "Charge at 200 mA/g until 4.3 V vs Li/Li+"] }] }, fast = { "cell.temperature_K" = 320.0 } }
"mesh.particle_r_cells" = [5, 6]
"#;

fn sweep(args: &[&std::ffi::OsStr]) -> std::process::Output {
    asslb().arg("sweep").args(args).output().expect("run asslb")
}

fn run_ok(file: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![file.as_os_str(), "--out".as_ref(), out.as_os_str()];
    args.extend(extra.iter().map(|s| std::ffi::OsStr::new(*s)));
    let o = sweep(&args);
    assert!(o.status.success(), "{}", describe(&o));
    o
}

/// The rows of a sweep.csv without the last column (wall time).
fn rows_without_wall_time(dir: &Path) -> Vec<String> {
    let csv = std::fs::read_to_string(dir.join("sweep.csv")).expect("sweep.csv");
    csv.lines()
        .map(|l| l.rsplit_once(',').map_or(l, |(a, _)| a).to_string())
        .collect()
}

#[test]
fn shards_merge_into_the_unsharded_sweep_case_for_case() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let file = sweep_file(dir.path(), "grid", GRID);
    let whole = dir.path().join("whole");
    run_ok(&file, &whole, &["--jobs", "2"]);
    let rows = rows_without_wall_time(&whole);
    assert_eq!(rows.len(), 5, "{rows:?}");
    assert!(rows[0].starts_with("index,case,rate,mesh.particle_r_cells,status,error,reference_cycle,initial_discharge_capacity_mAh_g,retention_pct_at_1,retention_pct_at_2,"), "{}", rows[0]);
    // Deterministic order: the first axis varies slowest, named cases in the file's order.
    for (row, id) in rows[1..].iter().zip([
        "rate=slow,mesh.particle_r_cells=5",
        "rate=slow,mesh.particle_r_cells=6",
        "rate=fast,mesh.particle_r_cells=5",
        "rate=fast,mesh.particle_r_cells=6",
    ]) {
        assert!(row.contains(&format!("\"{id}\"")), "{row}");
        assert!(row.contains(",ok,,1,"), "{row}");
        assert!(row.contains(",100,"), "{row}");
    }
    // The slow and the fast cases differ.
    let capacity = |row: &str| -> f64 {
        let f: Vec<&str> = row.rsplit(',').collect();
        // …, initial capacity, r1, r2, cycle80, decay, resistance, cycles (wall time cut).
        f[6].parse().expect("capacity")
    };
    assert!(capacity(&rows[1]) > capacity(&rows[3]), "{rows:?}");

    let shard1 = dir.path().join("s1");
    let shard2 = dir.path().join("s2");
    run_ok(&file, &shard1, &["--shard", "1/2", "--jobs", "1"]);
    run_ok(&file, &shard2, &["--shard", "2/2", "--quiet"]);
    let s1 = rows_without_wall_time(&shard1);
    assert_eq!(s1.len(), 3, "{s1:?}");
    assert!(s1[1].starts_with("1,") && s1[2].starts_with("3,"), "{s1:?}");
    assert_eq!(std::fs::read_dir(shard1.join("cases")).unwrap().count(), 2);

    let merged = dir.path().join("merged");
    let o = sweep(&[
        "merge".as_ref(),
        shard2.as_os_str(),
        shard1.as_os_str(),
        "--out".as_ref(),
        merged.as_os_str(),
    ]);
    assert!(o.status.success(), "{}", describe(&o));
    assert_eq!(rows_without_wall_time(&merged), rows);

    // The gathered results for plots: every case, curves from the reference cycle.
    let results = asslb::sweep::sweep_results(&merged).expect("results");
    assert_eq!(results.len(), 4);
    for (summary, curves) in &results {
        assert_eq!(summary.status, asslb::sweep::CaseStatus::Ok);
        assert_eq!(curves.cycles, [1, 2]);
        assert_eq!(curves.retention_pct[0], 100.0);
        assert!(curves
            .mean_discharge_voltage_vs_li_v
            .iter()
            .all(|v| (1.5..4.4).contains(v)));
        assert_eq!(curves.label, summary.id);
    }
    // The comparison figures, of the whole sweep and of the merged shards: curves against
    // cycle and a figure of merit for each axis with more than one point.
    for dir in [&whole, &merged] {
        for stem in [
            "sweep_retention",
            "sweep_mean_voltage",
            "sweep_merit_rate",
            "sweep_merit_mesh.particle_r_cells",
        ] {
            for ext in ["png", "svg"] {
                let path = dir.join(format!("{stem}.{ext}"));
                let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                assert!(size > 1000, "{}: {size} bytes", path.display());
            }
        }
    }
}

/// The bundled studies are valid as shipped: every case loads (the runs themselves, 5 s and
/// 9 s on two cores, are in benches/README.md).
#[test]
fn the_bundled_studies_load() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let solid_liquid =
        asslb::sweep::load_sweep(&root.join("sweep_sulfide_vs_liquid.toml")).expect("loads");
    let ids: Vec<&str> = solid_liquid.cases.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["electrolyte=sulfide", "electrolyte=liquid"]);
    assert_eq!(
        solid_liquid.cases[1].scenario.parameters.name,
        "wu2022_lro_liquid"
    );
    let interphase =
        asslb::sweep::load_sweep(&root.join("sweep_interphase_conductor_fraction.toml"))
            .expect("loads");
    let fractions: Vec<f64> = interphase
        .cases
        .iter()
        .map(|c| {
            c.scenario
                .parameters
                .interphase
                .expect("an interphase")
                .electronic_conductor_fraction
        })
        .collect();
    assert_eq!(fractions, [0.0, 0.164, 0.336]);
}

/// Off a terminal a sweep writes plain progress lines on standard error, at most one per
/// interval (here one per case: `ASSLB_PROGRESS_EVERY_S` a microsecond), without a bar's
/// carriage returns or escape codes; `--quiet` writes none.
#[test]
fn a_sweep_logs_plain_progress_lines_off_a_terminal_and_none_when_quiet() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let file = sweep_file(
        dir.path(),
        "logged",
        "[sweep]\n\"mesh.particle_r_cells\" = [5, 6]\n",
    );
    for quiet in [false, true] {
        let out = dir.path().join(format!("out_{quiet}"));
        let mut command = asslb();
        command
            .arg("sweep")
            .arg(&file)
            .arg("--out")
            .arg(&out)
            .args(["--jobs", "1"]);
        let (lines, o) = progress_lines(command, quiet);
        if !quiet {
            assert_eq!(lines.len(), 2, "{}", describe(&o));
            assert!(
                lines[0].starts_with("cases 1/2 (50.0 %)  "),
                "{}",
                describe(&o)
            );
            assert!(
                lines[1].starts_with("cases 2/2 (100.0 %)  "),
                "{}",
                describe(&o)
            );
        }
    }
}

#[test]
fn a_failed_case_is_recorded_and_resume_reruns_only_what_is_missing_or_failed() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let file = sweep_file(
        dir.path(),
        "starved",
        "[sweep]\n\"solver.max_steps\" = [3, 50000]\n\"mesh.particle_r_cells\" = [5, 6]\n",
    );
    let out = dir.path().join("out");
    let o = sweep(&[file.as_os_str(), "--out".as_ref(), out.as_os_str()]);
    assert_eq!(o.status.code(), Some(1), "{}", describe(&o));
    assert!(
        text(&o.stderr).contains("2 cases of the sweep failed"),
        "{}",
        describe(&o)
    );
    let rows = rows_without_wall_time(&out);
    assert!(
        rows[1].contains(",failed,") && rows[2].contains(",failed,"),
        "{rows:?}"
    );
    assert!(
        rows[3].contains(",ok,") && rows[4].contains(",ok,"),
        "{rows:?}"
    );
    let cases: Vec<PathBuf> = {
        let mut v: Vec<PathBuf> = std::fs::read_dir(out.join("cases"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        v.sort();
        v
    };
    assert_eq!(cases.len(), 4);
    let record = |k: usize| cases[k].join("case.toml");
    let failed = std::fs::read_to_string(record(0)).unwrap();
    assert!(
        failed.contains("status = \"failed\"") && failed.contains("error"),
        "{failed}"
    );

    // Case 4's record is lost (as if killed while it ran); case 3 finished.
    std::fs::remove_file(record(3)).unwrap();
    let kept = std::fs::read(record(2)).unwrap();
    let kept_time = std::fs::metadata(record(2)).unwrap().modified().unwrap();
    let failed_time = std::fs::metadata(record(0)).unwrap().modified().unwrap();
    // Without --resume the folder is not reused.
    let o = sweep(&[file.as_os_str(), "--out".as_ref(), out.as_os_str()]);
    assert_eq!(o.status.code(), Some(1), "{}", describe(&o));
    assert!(
        text(&o.stderr).contains("already holds a sweep"),
        "{}",
        describe(&o)
    );
    assert!(!record(3).exists());

    let o = sweep(&[
        file.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--resume".as_ref(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", describe(&o));
    let stdout = text(&o.stdout);
    assert!(
        stdout.contains("3 cases run, 1 already finished, 2 failed"),
        "{}",
        describe(&o)
    );
    assert_eq!(std::fs::read(record(2)).unwrap(), kept);
    assert_eq!(
        std::fs::metadata(record(2)).unwrap().modified().unwrap(),
        kept_time
    );
    assert_ne!(
        std::fs::metadata(record(0)).unwrap().modified().unwrap(),
        failed_time
    );
    assert!(std::fs::read_to_string(record(3))
        .unwrap()
        .contains("status = \"ok\""));
    assert_eq!(rows_without_wall_time(&out), rows);
}

/// Runs `asslb sweep` expecting a failure whose message has every part; checks that `out` was
/// not created.
fn fails(args: &[&std::ffi::OsStr], out: &Path, code: i32, parts: &[&str]) {
    let o = sweep(args);
    assert_eq!(o.status.code(), Some(code), "{}", describe(&o));
    let stderr = text(&o.stderr);
    for part in parts {
        assert!(stderr.contains(part), "missing {part:?}\n{}", describe(&o));
    }
    assert!(!out.exists(), "{} was written", out.display());
}

#[test]
fn bad_sweep_files_fail_up_front_and_write_nothing() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let out = dir.path().join("out");
    for (name, body, parts) in [
        (
            "bad_path",
            "[sweep]\n\"positive.thicknes_m\" = [1e-5, 2e-5]\n",
            &["bad_path.toml", "case `positive.thicknes_m=", "positive.thicknes_m"][..],
        ),
        (
            "bad_named",
            "[sweep]\nelectrolyte = { sulfide = {}, liquid = { \"negative.nothing\" = 1 } }\n",
            &["case `electrolyte=liquid`", "negative.nothing"][..],
        ),
        (
            "unquoted",
            "[sweep]\ncell.temperature_K = [300.0, 320.0]\n",
            &["quote it", "\"cell.temperature_K\" = ["][..],
        ),
        (
            "zip",
            "mode = \"zip\"\n[sweep]\n\"cell.temperature_K\" = [300.0, 320.0]\n\"mesh.particle_r_cells\" = [5, 6, 7]\n",
            &["same number of points", "`cell.temperature_K` has 2", "`mesh.particle_r_cells` has 3"][..],
        ),
        ("empty", "[sweep]\n", &["the sweep is empty"][..]),
        ("no_axes", "", &["the sweep is empty"][..]),
        ("empty_axis", "[sweep]\n\"cell.temperature_K\" = []\n", &["at least one value"][..]),
        ("unknown", "colour = 1\n[sweep]\n\"cell.temperature_K\" = [300.0]\n", &["unknown field `colour`"][..]),
        ("mode", "mode = \"cross\"\n[sweep]\n\"cell.temperature_K\" = [300.0]\n", &["key `mode`", "\"grid\" or \"zip\""][..]),
    ] {
        let file = sweep_file(dir.path(), name, body);
        fails(&[file.as_os_str(), "--out".as_ref(), out.as_os_str()], &out, 1, parts);
    }
    let missing = dir.path().join("missing.toml");
    fails(
        &[missing.as_os_str(), "--out".as_ref(), out.as_os_str()],
        &out,
        1,
        &["cannot read", "missing.toml"],
    );
}

#[test]
fn bad_shards_and_merges_of_different_sweeps_are_refused() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let out = dir.path().join("out");
    let file = sweep_file(
        dir.path(),
        "one",
        "[sweep]\n\"mesh.particle_r_cells\" = [5, 6]\n",
    );
    for (shard, part) in [
        ("0/2", "between 1 and 2"),
        ("3/2", "between 1 and 2"),
        ("1/0", "at least 1"),
        ("x", "expected i/n"),
        ("a/b", "whole numbers"),
    ] {
        fails(
            &[
                file.as_os_str(),
                "--out".as_ref(),
                out.as_os_str(),
                "--shard".as_ref(),
                shard.as_ref(),
            ],
            &out,
            2,
            &[part],
        );
    }
    // Two different sweeps (another value list) do not merge.
    let other = sweep_file(
        dir.path(),
        "two",
        "[sweep]\n\"mesh.particle_r_cells\" = [5, 7]\n",
    );
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    run_ok(&file, &a, &["--shard", "1/2", "--quiet"]);
    run_ok(&other, &b, &["--shard", "2/2", "--quiet"]);
    fails(
        &[
            "merge".as_ref(),
            a.as_os_str(),
            b.as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
        ],
        &out,
        1,
        &["are not the same sweep", "nothing was written"],
    );
    // Nor does a folder that holds no sweep.
    fails(
        &[
            "merge".as_ref(),
            a.as_os_str(),
            dir.path().as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
        ],
        &out,
        1,
        &["not the output folder of a sweep"],
    );
    // Resuming a folder with another sweep's results is refused and leaves it alone.
    let before = std::fs::read(b.join("sweep.toml")).unwrap();
    let o = sweep(&[
        file.as_os_str(),
        "--out".as_ref(),
        b.as_os_str(),
        "--resume".as_ref(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", describe(&o));
    assert!(
        text(&o.stderr).contains("are not the same sweep"),
        "{}",
        describe(&o)
    );
    assert_eq!(std::fs::read(b.join("sweep.toml")).unwrap(), before);
}

/// Issue 15: a sweep owns its output folder while it runs; a second sweep into it is refused at
/// once, naming the holder, and writes nothing.
#[test]
fn a_sweep_into_a_folder_in_use_is_refused() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let file = sweep_file(dir.path(), "held", GRID);
    let out = dir.path().join("out");
    std::fs::create_dir(&out).expect("output folder");
    let lock = asslb::output::FolderLock::acquire(&out).expect("lock");
    let o = sweep(&[file.as_os_str(), "--out".as_ref(), out.as_os_str()]);
    assert_eq!(o.status.code(), Some(1), "{}", describe(&o));
    let stderr = text(&o.stderr);
    assert!(
        stderr.contains("in use by another asslb run")
            && stderr.contains(&format!("held by process {}", std::process::id())),
        "{}",
        describe(&o)
    );
    assert!(!out.join("sweep.toml").exists() && !out.join("cases").exists());
    drop(lock);
    run_ok(&file, &out, &["--quiet"]);
    assert!(!out.join("asslb.lock").exists());
}

/// A sweep file given where a scenario is expected is named as one, by the library's error
/// (`ScenarioError::SweepFile`, from the one parse of the file) and on the command line.
#[test]
fn a_sweep_file_read_as_a_scenario_says_what_it_is() {
    use asslb::scenario::{load_scenario, ScenarioError};
    let file = common::root().join("scenarios/sweep_sulfide_vs_liquid.toml");
    let e = load_scenario(&file).expect_err("a sweep file is no scenario");
    let ScenarioError::SweepFile { source, .. } = &e else {
        panic!("expected ScenarioError::SweepFile, found {e:?}");
    };
    assert_eq!(source.key(), Some("mode"), "{source}");
    assert_eq!(e.key(), Some("mode"));
    let dir = tempfile::tempdir().expect("temporary folder");
    let out = dir.path().join("out");
    let shown = file.display();
    // The line of `mode`, which the error names.
    let line = std::fs::read_to_string(&file)
        .expect("the sweep file")
        .lines()
        .position(|l| l.starts_with("mode"))
        .expect("a `mode` key")
        + 1;
    let expected = format!(
        "error: invalid scenario {shown}: it is a sweep file (it has a [sweep] table); run it with `asslb sweep {shown}`\ncaused by: {shown}, line {line}, column 1: key `mode`: unknown key"
    );
    for args in [&["run", "--out"][..], &["check"][..]] {
        let mut command = asslb();
        command.arg(args[0]).arg(&file);
        if args.len() > 1 {
            command.arg(args[1]).arg(&out);
        }
        let o = command.output().expect("run asslb");
        assert_eq!(o.status.code(), Some(1), "{}", describe(&o));
        assert!(text(&o.stderr).starts_with(&expected), "{}", describe(&o));
    }
    assert!(!out.exists(), "{} was written", out.display());
}
