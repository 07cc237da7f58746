//! The robustness suite (`asslb robustness`, docs/robustness.md): the generator is
//! deterministic and its cases are valid scenarios; the classifier on crafted case folders and
//! on children that panic, abort or hang; the runner with an injected child; and a CI-sized
//! slice of real cases end to end with the release binary.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use asslb::robustness::{
    check_physical, classify, run_child, run_suite, BaseScenario, Case, ChildExit, ChildRun, Class,
    Expectations, Feature, Generator, Launcher, Limits, SuiteOptions, VoltageWindow, SET_NAMES,
};
use asslb::scenario::{load_scenario_with, SetOverride};

use common::{asslb, describe, root, text};

/// The paper cell's window: 1.38–3.68 V against Li-In.
const WINDOW: VoltageWindow = VoltageWindow {
    lower_v: 1.38,
    upper_v: 3.68,
};

// ---------------------------------------------------------------------------------------
// The generator

#[test]
fn the_generator_is_deterministic_and_case_i_does_not_depend_on_n() {
    let a = Generator::new(7).unwrap().cases(40);
    let b = Generator::new(7).unwrap().cases(40);
    assert_eq!(a, b, "same seed, same cases");
    let g = Generator::new(7).unwrap();
    let short = g.cases(5);
    assert_eq!(&a[..5], &short[..], "the first 5 of 40 are the 5 of 5");
    for i in [1u64, 17, 40, 1000] {
        let case = g.case(i);
        assert_eq!(case.index, i);
        assert_eq!(case.seed, 7);
        if i <= 40 {
            assert_eq!(case, a[i as usize - 1]);
        }
    }
    let other = Generator::new(8).unwrap().cases(40);
    let same = a
        .iter()
        .zip(&other)
        .filter(|(x, y)| x.sets == y.sets)
        .count();
    assert!(same < 2, "another seed draws other cases ({same} equal)");
}

#[test]
fn the_cases_cover_every_set_and_feature_within_the_ranges() {
    let cases = Generator::new(1).unwrap().cases(400);
    for set in SET_NAMES {
        let n = cases.iter().filter(|c| c.set == set).count();
        assert!(n > 50, "{set}: {n} of 400 cases");
    }
    for f in Feature::ALL {
        let n = cases.iter().filter(|c| c.has(f)).count();
        assert!(n > 5, "{f}: {n} of 400 cases");
    }
    for c in &cases {
        let main = c.blocks.last().unwrap().0;
        assert!(
            (20..=300).contains(&main),
            "case {}: {main} main cycles",
            c.index
        );
        assert_eq!(c.cycles, c.blocks.iter().map(|b| b.0).sum::<usize>());
        let t: f64 = c
            .sets
            .iter()
            .find_map(|s| s.strip_prefix("cell.temperature_K="))
            .unwrap()
            .parse()
            .unwrap();
        assert!((263.0..=353.0).contains(&t), "case {}: {t} K", c.index);
        let chi = c
            .sets
            .iter()
            .find_map(|s| s.strip_prefix("positive.contact_fraction="))
            .map(|x| x.parse::<f64>().unwrap());
        assert_eq!(chi.is_some(), c.has(Feature::Contact), "case {}", c.index);
        if let Some(chi) = chi {
            assert!((0.05..=1.0).contains(&chi), "case {}: χ = {chi}", c.index);
        }
        assert_eq!(c.base, BaseScenario::for_set(&c.set).unwrap());
        // The paper cells' cut-offs are 2.0–4.3 V vs Li/Li+; vs Li-In that is 1.38–3.68 V.
        if c.set == "wu2022_lro_lpscl" {
            assert_eq!(c.window, WINDOW);
        }
        if c.has(Feature::LithiumReference) {
            assert!(
                c.sets.iter().any(|s| s.contains("2.0 V vs Li/Li+")),
                "{:?}",
                c.sets
            );
        }
    }
    // Slow cases get fewer cycles.
    let slow_max = cases
        .iter()
        .filter(|c| {
            c.sets
                .iter()
                .any(|s| s.contains("at 0.05C until") || s.contains("at 0.06C until"))
        })
        .filter(|c| !c.has(Feature::Formation))
        .map(|c| c.blocks.last().unwrap().0)
        .max();
    if let Some(m) = slow_max {
        assert!(m <= 60, "{m} cycles at 0.05–0.06C");
    }
}

#[test]
fn every_generated_case_is_a_valid_scenario() {
    let started = Instant::now();
    for seed in [1u64, 2, 3] {
        for case in Generator::new(seed).unwrap().cases(150) {
            let sets: Vec<SetOverride> = case
                .sets
                .iter()
                .map(|s| SetOverride::parse(s).unwrap_or_else(|e| panic!("{s}: {e}")))
                .collect();
            let path = root().join(case.base.repo_path());
            let scenario = load_scenario_with(&path, &sets).unwrap_or_else(|e| {
                panic!(
                    "seed {seed} case {}: {:?}\n{e}\ncaused by: {:?}",
                    case.index,
                    case.sets,
                    std::error::Error::source(&e).map(|s| s.to_string())
                )
            });
            assert_eq!(
                scenario.experiment.cycles(),
                case.cycles,
                "seed {seed} case {}",
                case.index
            );
        }
    }
    println!(
        "450 cases checked in {:.2} s",
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn generated_cases_pass_asslb_check_on_the_command_line() {
    // The same arguments a run gets, through the binary's argument parsing.
    for case in Generator::new(1).unwrap().cases(6) {
        let out = asslb()
            .current_dir(root())
            .arg("check")
            .arg(case.base.repo_path())
            .args(case.sets.iter().flat_map(|s| ["--set", s.as_str()]))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "case {}: {}",
            case.index,
            describe(&out)
        );
        assert!(text(&out.stdout).contains("ok: the scenario is valid"));
    }
}

#[test]
fn the_compiled_in_bases_are_the_repository_files() {
    for base in BaseScenario::ALL {
        let file = std::fs::read_to_string(root().join(base.repo_path())).unwrap();
        assert_eq!(file, base.text(), "{}", base.repo_path());
    }
}

// ---------------------------------------------------------------------------------------
// The classifier on crafted folders

fn finished(wall_s: f64) -> ChildRun {
    ChildRun {
        exit: ChildExit::Code(0),
        wall_s,
        stderr: String::new(),
    }
}

fn summary_header() -> &'static str {
    "cycle,charge_capacity_mAh_g,discharge_capacity_mAh_g,coulombic_efficiency,charge_capacity_Ah,discharge_capacity_Ah"
}

/// A folder with a plausible finished run: 3 cycles, voltages inside the window.
fn good_run(dir: &Path) {
    std::fs::write(dir.join("run.toml"), "[asslb]\nstatus = \"finished\"\n").unwrap();
    std::fs::write(
        dir.join("summary.csv"),
        format!(
            "{}\n1,250,212,0.848,0.0016,0.00135\n2,215,213,0.99,0.00137,0.00136\n3,214,213,0.995,0.00137,0.00136\n",
            summary_header()
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("timeseries.csv"),
        "time_s,cycle,step,current_A,voltage_V,discharge_capacity_Ah\n0,1,1,-0.0006,2.6,0\n3600,1,1,-0.0006,3.68,-0.0006\n7200,1,2,0.0006,1.38,0\n",
    )
    .unwrap();
}

#[test]
fn a_plausible_finished_run_is_completed() {
    let dir = tempfile::tempdir().unwrap();
    good_run(dir.path());
    let o = classify(
        &finished(1.0),
        dir.path(),
        &Expectations::with_window(WINDOW),
    );
    assert_eq!(o.class, Class::Completed, "{o:?}");
}

#[test]
fn a_run_error_file_is_a_solver_failure_with_its_flag_and_place() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("run.toml"),
        "[asslb]\nstatus = \"failed\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("run_error.txt"),
        "The run did not finish. timeseries.csv holds the 2041 rows computed before it stopped.\n\nscenario: scenarios/wu2022_1c_1000.toml\nerror: cycle 65, step 2: IDA_CONV_FAIL at t = 630066.4841578307 s after 27573 steps: the Newton iteration failed to converge\n",
    )
    .unwrap();
    let run = ChildRun {
        exit: ChildExit::Code(1),
        wall_s: 2.0,
        stderr: "error: the run stopped before the end".into(),
    };
    let o = classify(&run, dir.path(), &Expectations::with_window(WINDOW));
    assert_eq!(o.class, Class::SolverFailure);
    let f = o.failure.unwrap();
    assert_eq!(f.flag.as_deref(), Some("IDA_CONV_FAIL"));
    assert_eq!((f.cycle, f.step), (Some(65), Some(2)));
    assert_eq!(o.detail, "IDA_CONV_FAIL, cycle 65, step 2, t = 630066 s");
}

#[test]
fn an_error_before_the_run_started_is_a_clean_error_and_after_it_another_error() {
    let dir = tempfile::tempdir().unwrap();
    let run = ChildRun {
        exit: ChildExit::Code(1),
        wall_s: 0.01,
        stderr:
            "error: invalid scenario s.toml\ncaused by: --set positive.thickness=1: unknown key\n"
                .into(),
    };
    let o = classify(&run, dir.path(), &Expectations::with_window(WINDOW));
    assert_eq!(o.class, Class::CleanError);
    assert_eq!(o.detail, "invalid scenario s.toml");
    // The same exit after run.toml was written (status "running"), with no run_error.txt.
    std::fs::write(
        dir.path().join("run.toml"),
        "[asslb]\nstatus = \"running\"\n",
    )
    .unwrap();
    let o = classify(&run, dir.path(), &Expectations::with_window(WINDOW));
    assert_eq!(o.class, Class::OtherError, "{o:?}");
    // Exit 0 without a summary.
    let o = classify(
        &finished(0.1),
        dir.path(),
        &Expectations::with_window(WINDOW),
    );
    assert_eq!(o.class, Class::OtherError, "{o:?}");
}

#[test]
fn non_physical_values_in_the_summary_are_found() {
    let expect = Expectations::with_window(WINDOW);
    let cases = [
        (
            "2,215,-3,0.99,0.00137,-0.00002",
            "negative capacity discharge_capacity_mAh_g",
        ),
        (
            "2,215,213,NaN,0.00137,0.00136",
            "coulombic_efficiency = NaN",
        ),
        (
            "2,215,213,inf,0.00137,0.00136",
            "coulombic_efficiency = inf",
        ),
        // Every cycle returning half as much again as it took: more lithium than the cell
        // holds by cycle 5 (a single cycle above 110 % is allowed, see below).
        (
            "2,150,225,1.5,0.001,0.0015\n3,150,225,1.5,0.001,0.0015\n4,150,225,1.5,0.001,0.0015\n5,150,225,1.5,0.001,0.0015",
            "summary.csv cycle 5: the cycles so far delivered",
        ),
        (
            "2,215,213,-0.1,0.00137,0.00136",
            "coulombic efficiency -10.000 % outside",
        ),
        // Both capacities next to nothing: a cycle whose steps could not run has no efficiency.
        (
            "2,1e-18,5e-18,4.99,1e-23,5e-23",
            "of a cycle that charged 1.000e-23",
        ),
    ];
    for (row, expected) in cases {
        let dir = tempfile::tempdir().unwrap();
        good_run(dir.path());
        std::fs::write(
            dir.path().join("summary.csv"),
            format!(
                "{}\n1,250,212,0.848,0.0016,0.00135\n{row}\n",
                summary_header()
            ),
        )
        .unwrap();
        let problem = check_physical(dir.path(), &expect)
            .unwrap()
            .unwrap_or_default();
        assert!(problem.contains(expected), "{row}: `{problem}`");
        let o = classify(&finished(1.0), dir.path(), &expect);
        assert_eq!(o.class, Class::NonPhysical, "{row}");
    }
    // Allowed: empty fields (undefined values), an efficiency of 0 when nothing came back,
    // above 110 % in the first cycle of a block (charge left by the block before) and in a
    // later one that returns lithium an earlier discharge left behind.
    for row in [
        "2,215,,,0.00137,",
        "2,215,0,0,0.00137,0",
        "3,100,180,1.8,0.00064,0.00115",
        "2,215,258,1.2,0.00137,0.00164",
    ] {
        let dir = tempfile::tempdir().unwrap();
        good_run(dir.path());
        std::fs::write(
            dir.path().join("summary.csv"),
            format!(
                "{}\n1,250,212,0.848,0.0016,0.00135\n{row}\n",
                summary_header()
            ),
        )
        .unwrap();
        assert_eq!(check_physical(dir.path(), &expect).unwrap(), None, "{row}");
    }
}

#[test]
fn a_cell_discharged_below_its_first_state_takes_lithium_into_its_room() {
    // Case 91 of seed 19: the paper cell as made (Li1.995RuO3, about 3.2 V vs Li/Li+) with
    // 7.6 % contact, at which no 2.1C charge runs: every cycle's slow discharge to 2.0 V puts
    // lithium into the deep gallery, more over the cycles than any one cycle carries, but
    // within what the cathode could still take (one Li per formula unit).
    let p = asslb::scenario::load_parameter_set("wu2022_lro_lpscl").unwrap();
    let room = p.lithium_room_ah();
    let expected = p.host_capacity_ah() * (1.0 - 1.995 / 3.0);
    assert!(
        (room / expected - 1.0).abs() < 1e-3,
        "{room} against {expected} A·h"
    );
    let expect = Expectations {
        window: WINDOW,
        initial_charge_ah: room,
    };
    let rows = "1,0,0.273,,0,8.516e-7\n2,0,0.120,,0,3.754e-7\n3,0,0.077,,0,2.414e-7\n";
    let write = |rows: &str| {
        let dir = tempfile::tempdir().unwrap();
        good_run(dir.path());
        std::fs::write(
            dir.path().join("summary.csv"),
            format!("{}\n{rows}", summary_header()),
        )
        .unwrap();
        dir
    };
    let dir = write(rows);
    assert_eq!(check_physical(dir.path(), &expect).unwrap(), None);
    // Beyond the room and the margin on the largest cycle: lithium from nowhere.
    let q = 0.8 * room;
    let dir = write(&format!(
        "{rows}4,0,1,,0,{q:e}\n5,0,1,,0,{q:e}\n6,0,1,,0,{q:e}\n"
    ));
    let problem = check_physical(dir.path(), &expect)
        .unwrap()
        .unwrap_or_default();
    assert!(problem.contains("lithium from nowhere"), "`{problem}`");
}

#[test]
fn a_voltage_beyond_the_cut_off_window_is_non_physical() {
    let expect = Expectations::with_window(WINDOW);
    for (v, bad) in [
        ("3.72", false),
        ("3.74", true),
        ("1.34", false),
        ("1.32", true),
        ("-0.72", true),
        ("NaN", true),
    ] {
        let dir = tempfile::tempdir().unwrap();
        good_run(dir.path());
        std::fs::write(
            dir.path().join("timeseries.csv"),
            format!("time_s,cycle,step,current_A,voltage_V,discharge_capacity_Ah\n0,1,1,-0.0006,2.6,0\n10,2,3,0.0006,{v},0\n"),
        )
        .unwrap();
        let o = classify(&finished(1.0), dir.path(), &expect);
        if bad {
            assert_eq!(o.class, Class::NonPhysical, "{v}: {o:?}");
            assert!(o.detail.contains("cycle 2, step 3"), "{}", o.detail);
        } else {
            assert_eq!(o.class, Class::Completed, "{v}: {o:?}");
        }
    }
    // A rest has no cut-off: its open-circuit voltage may leave the window (self-discharge),
    // but it must be positive.
    for (v, bad) in [
        ("1.10", false),
        ("3.9", false),
        ("-0.72", true),
        ("0", true),
    ] {
        let dir = tempfile::tempdir().unwrap();
        good_run(dir.path());
        std::fs::write(
            dir.path().join("timeseries.csv"),
            format!("time_s,cycle,step,current_A,voltage_V,discharge_capacity_Ah\n0,1,1,-0.0006,2.6,0\n10,2,3,0,{v},0\n"),
        )
        .unwrap();
        let o = classify(&finished(1.0), dir.path(), &expect);
        let expected = if bad {
            Class::NonPhysical
        } else {
            Class::Completed
        };
        assert_eq!(o.class, expected, "rest at {v} V: {o:?}");
    }
}

// ---------------------------------------------------------------------------------------
// Children that panic, abort or hang

fn sh(script: &str) -> Command {
    let mut c = Command::new("sh");
    c.args(["-c", script]);
    c
}

#[test]
fn a_child_that_exits_101_is_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_child(
        sh("echo \"thread 'main' panicked at src/x.rs:1:1:\" >&2; echo 'capacity overflow' >&2; exit 101"),
        dir.path(),
        Limits::timeout(Duration::from_secs(10)),
    )
    .unwrap();
    assert_eq!(run.exit, ChildExit::Code(101));
    let o = classify(&run, dir.path(), &Expectations::with_window(WINDOW));
    assert_eq!(o.class, Class::Panic);
    assert!(o.detail.contains("capacity overflow"), "{}", o.detail);
}

#[test]
fn a_child_ended_by_a_signal_is_an_abort() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_child(
        sh("kill -ABRT $$"),
        dir.path(),
        Limits::timeout(Duration::from_secs(10)),
    )
    .unwrap();
    assert_eq!(run.exit, ChildExit::Signal(6));
    let o = classify(&run, dir.path(), &Expectations::with_window(WINDOW));
    assert_eq!(o.class, Class::Abort);
    assert!(o.detail.contains("SIGABRT"), "{}", o.detail);
}

#[test]
fn a_child_that_runs_past_the_timeout_is_killed() {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let run = run_child(
        sh("exec sleep 30"),
        dir.path(),
        Limits::timeout(Duration::from_millis(400)),
    )
    .unwrap();
    let took = started.elapsed().as_secs_f64();
    assert_eq!(run.exit, ChildExit::Timeout);
    assert!(took < 5.0, "killed after {took} s");
    assert!(run.wall_s >= 0.4);
    let o = classify(&run, dir.path(), &Expectations::with_window(WINDOW));
    assert_eq!(o.class, Class::Timeout);
}

#[test]
fn a_child_that_writes_without_end_is_killed_at_the_output_limit() {
    // A step that never ends at a fixed output interval writes rows for ever: the folder's
    // size stops it long before the timeout (and before the disk is full).
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let limits = Limits {
        timeout: Duration::from_secs(60),
        max_output_bytes: 2_000_000,
    };
    let mut command = sh("exec yes 1.0,2,3,4.2 > timeseries.csv.partial");
    command.current_dir(dir.path());
    let run = run_child(command, dir.path(), limits).unwrap();
    assert!(
        matches!(run.exit, ChildExit::OutputLimit(b) if b > 2_000_000),
        "{:?}",
        run.exit
    );
    assert!(started.elapsed() < Duration::from_secs(30));
    let o = classify(&run, dir.path(), &Expectations::with_window(WINDOW));
    assert_eq!(o.class, Class::Timeout);
    assert!(o.detail.contains("output limit"), "{}", o.detail);
}

/// A case with a given index and `--set`s, on the paper cell's base.
fn manual_case(index: u64, sets: &[&str]) -> Case {
    Case {
        index,
        seed: 0,
        set: "wu2022_lro_lpscl".into(),
        base: BaseScenario::Wu2022,
        sets: sets.iter().map(|s| s.to_string()).collect(),
        cycles: 5,
        blocks: vec![(
            5,
            vec![
                "Charge at 1C until 4.3 V vs Li/Li+".into(),
                "Discharge at 1C until 2.0 V vs Li/Li+".into(),
            ],
        )],
        features: vec![Feature::ConstantCurrent],
        window: WINDOW,
    }
}

#[test]
fn the_runner_classifies_each_case_of_an_injected_child() {
    // `sh -c <script> sh run <base> --out <dir> --quiet …`: $4 is the case's folder.
    let script = r#"
        out="$4"
        case "$out" in
          */1) echo 'thread main panicked at x:' >&2; exit 101 ;;
          */2) exec sleep 30 ;;
          */3) kill -SEGV $$ ;;
          */4) echo 'error: invalid scenario' >&2; exit 1 ;;
          */5) printf 'x\n' > "$out/run.toml"
               printf 'error: cycle 3, step 2: IDA_LINESEARCH_FAIL at t = 0 s after 0 steps: x\n' > "$out/run_error.txt"; exit 1 ;;
          */6) printf 'x\n' > "$out/run.toml"
               printf 'cycle,charge_capacity_Ah,discharge_capacity_Ah,coulombic_efficiency\n1,1e-3,-1e-3,\n' > "$out/summary.csv"; exit 0 ;;
          */7) printf 'x\n' > "$out/run.toml"
               printf 'cycle,charge_capacity_Ah,discharge_capacity_Ah,coulombic_efficiency\n1,1e-3,9e-4,0.9\n' > "$out/summary.csv"; exit 0 ;;
        esac
        exit 3
    "#;
    let out = tempfile::tempdir().unwrap();
    let cases: Vec<Case> = (1..=7)
        .map(|i| manual_case(i, &["save_cycles=\"all\""]))
        .collect();
    let options = SuiteOptions {
        out: out.path().to_path_buf(),
        jobs: Some(3),
        timeout: Duration::from_millis(1500),
        launcher: Launcher {
            program: PathBuf::from("sh"),
            leading_args: vec!["-c".into(), script.into(), "sh".into()],
        },
        max_output_bytes: 100_000_000,
        keep_completed: false,
    };
    let report = run_suite(&cases, &options, &|_| {}).unwrap();
    let classes: Vec<Class> = report.results.iter().map(|r| r.outcome.class).collect();
    assert_eq!(
        classes,
        vec![
            Class::Panic,
            Class::Timeout,
            Class::Abort,
            Class::CleanError,
            Class::SolverFailure,
            Class::NonPhysical,
            Class::Completed,
        ]
    );
    assert_eq!(report.results[4].failed_step_kind(), Some("discharge"));
    // A completed case's folder is deleted, the others kept.
    assert!(!report.results[6].dir.exists());
    assert!(report.results[5].dir.join("summary.csv").exists());
    assert!(!report.all_acceptable());
    // The command line names the program, its leading arguments and the case's arguments.
    let cmd = &report.results[0].command;
    assert!(cmd.starts_with("sh -c '"), "{cmd}");
    assert!(cmd.contains("--quiet --set 'save_cycles=\"all\"'"), "{cmd}");

    asslb::robustness::write_cases_csv(&out.path().join("cases.csv"), &report).unwrap();
    asslb::robustness::write_report_md(&out.path().join("report.md"), &report).unwrap();
    let mut table = csv::Reader::from_path(out.path().join("cases.csv")).unwrap();
    assert_eq!(
        &table.headers().unwrap().iter().take(5).collect::<Vec<_>>(),
        &["index", "seed", "set", "class", "detail"]
    );
    let rows: Vec<csv::StringRecord> = table.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 7);
    assert_eq!(&rows[4][3], "solver_failure");
    assert_eq!(&rows[4][5], "IDA_LINESEARCH_FAIL");
    // The command field holds the whole (multi-line) command line.
    assert_eq!(&rows[0][11], report.results[0].command.as_str());
    let md = std::fs::read_to_string(out.path().join("report.md")).unwrap();
    assert!(md.contains("| panic | 1 |"), "{md}");
    assert!(md.contains("| IDA_LINESEARCH_FAIL | 1 |"), "{md}");
    assert!(md.contains("## Cases that did not complete (6)"), "{md}");
    let summary = asslb::robustness::summary_text(&report);
    assert!(summary.lines().count() < 25, "{summary}");
}

#[test]
fn bad_options_are_rejected() {
    let out = tempfile::tempdir().unwrap();
    for args in [
        vec!["--cases", "0"],
        vec!["--jobs", "0", "--cases", "1"],
        vec!["--timeout-s", "0", "--cases", "1"],
        vec!["--timeout-s", "nan", "--cases", "1"],
    ] {
        let o = asslb()
            .current_dir(root())
            .arg("robustness")
            .args(&args)
            .arg("--out")
            .arg(out.path())
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", describe(&o));
        assert!(
            text(&o.stderr).contains("error: --"),
            "{args:?}: {}",
            describe(&o)
        );
    }
}

// ---------------------------------------------------------------------------------------
// End to end with the release binary

#[test]
fn a_deliberately_bad_case_is_a_clean_error_with_the_real_binary() {
    let out = tempfile::tempdir().unwrap();
    let cases = vec![manual_case(1, &["positive.thickness=1"])];
    let options = SuiteOptions {
        out: out.path().to_path_buf(),
        jobs: Some(1),
        timeout: Duration::from_secs(60),
        launcher: Launcher::new(env!("CARGO_BIN_EXE_asslb")),
        max_output_bytes: 100_000_000,
        keep_completed: false,
    };
    let report = run_suite(&cases, &options, &|_| {}).unwrap();
    let r = &report.results[0];
    assert_eq!(r.outcome.class, Class::CleanError, "{:?}", r.outcome);
    assert!(!r.dir.join("run.toml").exists());
    assert!(report.all_acceptable());
}

#[test]
fn a_ci_slice_of_the_suite_has_no_crash_no_non_physical_value_and_no_solver_failure() {
    // Cases 1–16 of seed 1 (docs/robustness.md), through the command line.
    let out = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let o = asslb()
        .current_dir(root())
        .args([
            "robustness",
            "--cases",
            "16",
            "--seed",
            "1",
            "--jobs",
            "2",
            "--timeout-s",
            "60",
            "--quiet",
            "--out",
        ])
        .arg(out.path())
        .output()
        .unwrap();
    let took = started.elapsed().as_secs_f64();
    println!("{}", text(&o.stdout));
    // Exit 0 (all completed or rejected) or 1 (some case failed); never a crash of the suite.
    assert!(
        matches!(o.status.code(), Some(0) | Some(1)),
        "{}",
        describe(&o)
    );
    let mut reader = csv::Reader::from_path(out.path().join("cases.csv")).unwrap();
    let mut classes: BTreeMap<String, usize> = BTreeMap::new();
    let mut rows = 0;
    for record in reader.records() {
        let record = record.unwrap();
        rows += 1;
        *classes.entry(record[3].to_string()).or_insert(0) += 1;
        println!(
            "case {}: {} {} ({} s)",
            &record[0], &record[3], &record[4], &record[7]
        );
    }
    println!("classes: {classes:?}; {took:.1} s");
    assert_eq!(rows, 16);
    for bad in ["non_physical", "panic", "abort", "timeout", "other_error"] {
        assert_eq!(classes.get(bad), None, "{bad}: {}", describe(&o));
    }
    // Issue 13's target: no solver failure (case 7, a corrector failure in a slow charge of the
    // liquid cell, failed here until the fixes of docs/robustness.md, root causes 7–9).
    assert_eq!(
        classes.get("solver_failure"),
        None,
        "solver failures: {}",
        describe(&o)
    );
    assert_eq!(
        o.status.code() == Some(0),
        classes
            .keys()
            .all(|c| c == "completed" || c == "clean_error"),
        "the exit code says whether every case completed or was rejected"
    );
    assert!(out.path().join("report.md").exists());
}
