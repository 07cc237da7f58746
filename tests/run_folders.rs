//! Issue 15, "Output folders lose and mix data": a run owns its output folder. A second run or
//! resume into a folder being written is refused at once, naming the holder; an earlier run is
//! not replaced without `--overwrite`; a scenario name is a name, never a path; `--resume`
//! verifies the folder (summary, scenario) and refuses with the file and the reason.

use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{asslb, describe, text};

/// `cycles` 1C cycles of the verification half-cell: about 0.3 s per 100 cycles, a checkpoint
/// every 50.
fn scenario(cycles: usize) -> String {
    format!(
        r#"name = "folder_test"
parameter_set = "solid_halfcell_single_ion"
save_cycles = [1, 2]
experiment = [
  {{ cycles = {cycles}, steps = ["Discharge at 1C until 1.38 V", "Charge at 1C until 3.68 V"] }},
]
"#
    )
}

fn write_scenario(dir: &Path, file: &str, cycles: usize) -> PathBuf {
    let path = dir.join(file);
    std::fs::write(&path, scenario(cycles)).expect("write scenario");
    path
}

/// A finished run of `cycles` cycles into `<tmp>/<folder>`: the scenario file and the folder.
fn finished_run(tmp: &Path, cycles: usize, folder: &str) -> (PathBuf, PathBuf) {
    let file = write_scenario(tmp, "folder_test.toml", cycles);
    let dir = tmp.join(folder);
    let out = run(&["run", "--quiet", "--out"], &[&dir, &file]);
    assert!(out.status.success(), "{}", describe(&out));
    (file, dir)
}

fn run(args: &[&str], paths: &[&Path]) -> Output {
    let mut command = asslb();
    command.args(args);
    for p in paths {
        command.arg(p);
    }
    command.output().expect("run asslb")
}

fn spawn_run(scenario: &Path, out: &Path) -> Child {
    asslb()
        .args(["run", "--quiet", "--out"])
        .arg(out)
        .arg(scenario)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start asslb")
}

/// Waits until `<dir>/asslb.lock` names process `pid`, while `child` runs.
fn wait_for_lock(dir: &Path, child: &mut Child) {
    let pid = child.id();
    let start = Instant::now();
    loop {
        let lock = std::fs::read_to_string(dir.join("asslb.lock")).unwrap_or_default();
        if lock.contains(&format!("pid = {pid}\n")) {
            return;
        }
        assert!(
            child.try_wait().expect("poll asslb").is_none(),
            "the run ended without ever locking {}",
            dir.display()
        );
        assert!(start.elapsed() < Duration::from_secs(60), "no lock file");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The cycles of the rows of `<dir>/summary.csv`, checking every row is whole.
fn summary_cycles(dir: &Path) -> Vec<usize> {
    let text = std::fs::read_to_string(dir.join("summary.csv")).expect("summary.csv");
    assert!(text.ends_with('\n'));
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(asslb::output::SUMMARY_HEADER));
    let columns = asslb::output::SUMMARY_HEADER.split(',').count();
    lines
        .map(|l| {
            assert_eq!(l.split(',').count(), columns, "malformed row {l:?}");
            l.split(',')
                .next()
                .and_then(|c| c.parse().ok())
                .expect("cycle")
        })
        .collect()
}

fn status(dir: &Path) -> String {
    let record: toml::Table =
        toml::from_str(&std::fs::read_to_string(dir.join("run.toml")).expect("run.toml"))
            .expect("run.toml is TOML");
    record["asslb"]["status"]
        .as_str()
        .expect("status")
        .to_string()
}

/// `out` failed with exit code 1, and its standard error holds every one of `parts`.
fn assert_refused(out: &Output, parts: &[&str]) {
    assert_eq!(out.status.code(), Some(1), "{}", describe(out));
    let stderr = text(&out.stderr);
    for part in parts {
        assert!(stderr.contains(part), "missing {part:?}\n{}", describe(out));
    }
}

/// `out` is the refusal of a run into `dir`, which process `pid` holds.
fn assert_refused_as_held(out: &Output, dir: &Path, pid: u32) {
    let dir = dir.display().to_string();
    let holder = format!("held by process {pid}");
    assert_refused(out, &[&dir, "in use by another asslb run", &holder]);
}

#[test]
fn a_second_run_into_a_folder_in_use_is_refused_and_the_first_is_intact() {
    let tmp = tempfile::tempdir().expect("temporary folder");
    let long = write_scenario(tmp.path(), "long.toml", 1000);
    let short = write_scenario(tmp.path(), "short.toml", 3);
    let dir = tmp.path().join("shared");

    let mut first = spawn_run(&long, &dir);
    wait_for_lock(&dir, &mut first);
    let started = Instant::now();
    let second = run(&["run", "--quiet", "--overwrite", "--out"], &[&dir, &short]);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "refused at once"
    );
    assert!(
        first.try_wait().expect("poll").is_none(),
        "the first run ended before the second started: make it longer"
    );
    assert_refused_as_held(&second, &dir, first.id());

    let first = first.wait_with_output().expect("first run");
    assert!(first.status.success(), "{}", describe(&first));
    assert_eq!(summary_cycles(&dir), (1..=1000).collect::<Vec<_>>());
    assert_eq!(status(&dir), "finished");
    assert!(!dir.join("asslb.lock").exists(), "the lock is released");
}

#[test]
fn a_second_resume_into_a_folder_in_use_is_refused() {
    let tmp = tempfile::tempdir().expect("temporary folder");
    let long = write_scenario(tmp.path(), "long.toml", 1000);
    let dir = tmp.path().join("killed");

    // A run killed after its first checkpoint leaves its lock behind.
    let mut killed = spawn_run(&long, &dir);
    let start = Instant::now();
    while std::fs::read_to_string(dir.join("summary.csv")).map_or(0, |t| t.lines().count()) < 80 {
        assert!(killed.try_wait().expect("poll").is_none(), "ended too soon");
        assert!(start.elapsed() < Duration::from_secs(60), "too slow");
        std::thread::sleep(Duration::from_millis(1));
    }
    killed.kill().expect("kill");
    killed.wait().expect("reap");

    // The first resume takes the stale lock over, with a note; a second one is refused.
    let mut first = asslb()
        .args(["run", "--quiet", "--resume"])
        .arg(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("resume");
    wait_for_lock(&dir, &mut first);
    let second = run(&["run", "--quiet", "--resume"], &[&dir]);
    assert!(first.try_wait().expect("poll").is_none(), "make it longer");
    assert_refused_as_held(&second, &dir, first.id());
    let first = first.wait_with_output().expect("first resume");
    assert!(first.status.success(), "{}", describe(&first));
    let stderr = text(&first.stderr);
    assert!(
        stderr.contains("which is no longer running; lock taken over"),
        "{}",
        describe(&first)
    );
    assert_eq!(summary_cycles(&dir), (1..=1000).collect::<Vec<_>>());
    assert_eq!(status(&dir), "finished");
}

#[test]
fn a_rerun_into_a_finished_folder_is_refused_without_overwrite() {
    let tmp = tempfile::tempdir().expect("temporary folder");
    let (file, dir) = finished_run(tmp.path(), 3, "done");
    let before = std::fs::read(dir.join("run.toml")).expect("run.toml");

    let again = run(&["run", "--quiet", "--out"], &[&dir, &file]);
    let held = "already holds a finished run of scenario `folder_test` (3 cycles in summary.csv)";
    let dir_text = dir.display().to_string();
    assert_refused(&again, &[&dir_text, held, "--overwrite", "--out"]);
    assert_eq!(
        std::fs::read(dir.join("run.toml")).expect("run.toml"),
        before
    );
    assert!(!dir.join("asslb.lock").exists(), "the lock is released");

    let again = run(&["run", "--quiet", "--overwrite", "--out"], &[&dir, &file]);
    assert!(again.status.success(), "{}", describe(&again));
    assert_eq!(summary_cycles(&dir), vec![1, 2, 3]);
    assert_eq!(status(&dir), "finished");

    // The default folder out/<name> (the README's command run twice) says the same.
    for attempt in 0..2 {
        let out = asslb()
            .current_dir(tmp.path())
            .args(["run", "--quiet"])
            .arg(&file)
            .output()
            .expect("run asslb");
        if attempt == 0 {
            assert!(out.status.success(), "{}", describe(&out));
        } else {
            let parts = [
                "out/folder_test",
                "already holds a finished run",
                "--overwrite",
            ];
            assert_refused(&out, &parts);
        }
    }
}

#[test]
fn an_interrupted_folder_suggests_resume() {
    let tmp = tempfile::tempdir().expect("temporary folder");
    let (file, dir) = finished_run(tmp.path(), 60, "interrupted");
    mark_interrupted(&dir);
    let again = run(&["run", "--quiet", "--out"], &[&dir, &file]);
    let resume = format!("asslb run --resume {}", dir.display());
    assert_refused(
        &again,
        &["already holds an interrupted", &resume, "--overwrite"],
    );
}

#[test]
fn a_name_that_is_a_path_is_refused_before_anything_is_written() {
    let tmp = tempfile::tempdir().expect("temporary folder");
    let work = tmp.path().join("work");
    std::fs::create_dir(&work).expect("work folder");
    let absolute = tmp.path().join("absolute");
    let absolute = absolute.to_string_lossy().into_owned();
    for name in ["../victim", "a/b", "..", ".", "", "  ", "a\\b", &absolute] {
        let file = work.join("bad_name.toml");
        std::fs::write(
            &file,
            scenario(2).replace(
                "name = \"folder_test\"",
                &format!("name = {}", toml::Value::String(name.to_string())),
            ),
        )
        .expect("write scenario");
        let out = asslb()
            .current_dir(&work)
            .args(["run", "--quiet"])
            .arg(&file)
            .output()
            .expect("run asslb");
        assert_eq!(
            out.status.code(),
            Some(1),
            "name {name:?}: {}",
            describe(&out)
        );
        assert_refused(
            &out,
            &["bad_name.toml", "key `name`", "folder name", "without `/`"],
        );
        assert!(!work.join("out").exists(), "name {name:?} created out/");
        assert!(!tmp.path().join("victim").exists());
        assert!(!Path::new(&absolute).exists());
    }
    // The same from the command line is blamed on the --set.
    let file = write_scenario(&work, "good.toml", 2);
    let out = asslb()
        .current_dir(&work)
        .args(["run", "--quiet", "--set", "name=../victim"])
        .arg(&file)
        .output()
        .expect("run asslb");
    assert_refused(&out, &["--set name=../victim", "key `name`"]);
    assert!(!work.join("out").exists() && !tmp.path().join("victim").exists());
}

/// Makes the finished run in `dir` look interrupted after its last checkpoint.
fn mark_interrupted(dir: &Path) {
    let record = dir.join("run.toml");
    let text = std::fs::read_to_string(&record).expect("run.toml");
    assert!(text.contains("status = \"finished\""));
    std::fs::write(
        &record,
        text.replace("status = \"finished\"", "status = \"running\""),
    )
    .expect("write run.toml");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create copy");
    for entry in std::fs::read_dir(from).expect("read folder") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
    }
}

/// A change made to a copy of an interrupted run's folder.
type Spoil<'a> = Box<dyn Fn(&Path) + 'a>;

#[test]
fn resume_verifies_the_folder() {
    let tmp = tempfile::tempdir().expect("temporary folder");
    let (_, whole) = finished_run(tmp.path(), 60, "whole");
    let base = tmp.path().join("interrupted");
    copy_dir(&whole, &base);
    mark_interrupted(&base);
    let summary = std::fs::read_to_string(base.join("summary.csv")).expect("summary");
    let lines: Vec<&str> = summary.lines().collect();

    let cases: Vec<(&str, Spoil, Vec<&str>)> = vec![
        (
            "truncated",
            Box::new(|dir: &Path| {
                let kept: String = lines[..31].iter().map(|l| format!("{l}\n")).collect();
                std::fs::write(dir.join("summary.csv"), kept).expect("write");
            }),
            vec!["summary.csv", "cycles up to 30 only", "after cycle 50"],
        ),
        (
            "gap",
            Box::new(|dir: &Path| {
                let kept: String = lines
                    .iter()
                    .enumerate()
                    .filter(|(k, _)| !(20..=25).contains(k))
                    .map(|(_, l)| format!("{l}\n"))
                    .collect();
                std::fs::write(dir.join("summary.csv"), kept).expect("write");
            }),
            vec![
                "summary.csv, line 21: cycle 26 follows cycle 19",
                "cycles 20 to 25 are missing",
            ],
        ),
        (
            "mixed",
            Box::new(|dir: &Path| {
                let mut mixed: String = lines[..41].iter().map(|l| format!("{l}\n")).collect();
                mixed.push_str("\0\0\0\0,1\n");
                std::fs::write(dir.join("summary.csv"), mixed).expect("write");
            }),
            vec!["summary.csv, line 42: 2 fields"],
        ),
        (
            "missing",
            Box::new(|dir: &Path| std::fs::remove_file(dir.join("summary.csv")).expect("rm")),
            vec!["summary.csv is missing"],
        ),
        (
            "edited",
            Box::new(|dir: &Path| {
                let record = dir.join("run.toml");
                let text = std::fs::read_to_string(&record).expect("run.toml");
                assert!(text.contains("cycles = 60"));
                std::fs::write(&record, text.replace("cycles = 60", "cycles = 100"))
                    .expect("write");
            }),
            vec!["run.toml", "[scenario] was changed after the run started"],
        ),
    ];
    for (label, spoil, parts) in cases {
        let dir = tmp.path().join(label);
        copy_dir(&base, &dir);
        spoil(&dir);
        let before = std::fs::read(dir.join("summary.csv")).ok();
        let out = run(&["run", "--quiet", "--resume"], &[&dir]);
        let dir_text = dir.display().to_string();
        assert_refused(&out, &[&[dir_text.as_str()], &parts[..]].concat());
        assert_eq!(
            std::fs::read(dir.join("summary.csv")).ok(),
            before,
            "{label}: nothing is written"
        );
        assert_eq!(status(&dir), "running", "{label}");
    }

    // The folder as the run left it resumes to the uninterrupted result.
    let out = run(&["run", "--quiet", "--resume"], &[&base]);
    assert!(out.status.success(), "{}", describe(&out));
    for file in ["summary.csv", "timeseries.csv"] {
        assert!(
            std::fs::read(base.join(file)).ok() == std::fs::read(whole.join(file)).ok(),
            "{file} differs after the resume"
        );
    }
    assert_eq!(status(&base), "finished");
}
