//! Never lose work: a run killed part-way leaves its finished cycles in valid CSV, and
//! `asslb run --resume <dir>` continues it from the last checkpoint to exactly the results of
//! an uninterrupted run.

use std::path::Path;
use std::process::Stdio;

mod common;
use common::asslb;
use std::time::{Duration, Instant};

const SCENARIO: &str = r#"
name = "resume_test"
parameter_set = "solid_halfcell_single_ion"
save_cycles = [1, 2, 130, 999]
experiment = [
  { cycles = 1000, steps = ["Discharge at 1C until 1.38 V", "Charge at 1C until 3.68 V"] },
]
[impedance]
every_cycles = 40
rest_minutes = 5
points_per_decade = 3
circuit = "R0-p(R1,C1)-W1"
"#;

fn summary_rows(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("summary.csv"))
        .map(|t| t.lines().count().saturating_sub(1))
        .unwrap_or(0)
}

#[test]
fn killed_run_resumes_to_the_uninterrupted_result() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tmp.path().join("resume_test.toml");
    std::fs::write(&scenario, SCENARIO).unwrap();
    let (killed, whole) = (tmp.path().join("killed"), tmp.path().join("whole"));

    // Start the run and kill it once it is past two checkpoints (cycles 50 and 100).
    let mut child = asslb()
        .args(["run", "--quiet", "--out"])
        .arg(&killed)
        .arg(&scenario)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while summary_rows(&killed) < 130 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it could be killed"
        );
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the run is too slow"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let done = summary_rows(&killed);
    assert!(
        done < 1000,
        "killed after {done} cycles: too late to test anything"
    );

    // What a killed run leaves: whole rows only, every finished cycle, and a checkpoint.
    let summary = std::fs::read_to_string(killed.join("summary.csv")).unwrap();
    assert!(summary.ends_with('\n'));
    for line in summary.lines() {
        assert_eq!(
            line.split(',').count(),
            asslb::output::SUMMARY_HEADER.split(',').count(),
            "malformed row {line:?}"
        );
    }
    let spectra = std::fs::read_to_string(killed.join("impedance.csv")).unwrap();
    assert!(spectra.ends_with('\n'));
    assert!(
        spectra.lines().count() > 3 * 25,
        "spectra at 40, 80 and 120"
    );
    for line in spectra.lines() {
        assert_eq!(line.split(',').count(), 4, "malformed row {line:?}");
    }
    let checkpoint = std::fs::read_to_string(killed.join("checkpoint.toml")).unwrap();
    let cycles_done: usize = checkpoint
        .lines()
        .find_map(|l| l.strip_prefix("cycles_done = "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap();
    assert!(cycles_done >= 100 && cycles_done % 50 == 0 && cycles_done <= done);

    // Resume, and run the same scenario without interruption.
    let status = asslb()
        .args(["run", "--quiet", "--resume"])
        .arg(&killed)
        .status()
        .unwrap();
    assert!(status.success());
    let status = asslb()
        .args(["run", "--quiet", "--out"])
        .arg(&whole)
        .arg(&scenario)
        .status()
        .unwrap();
    assert!(status.success());

    // The fits chain from one spectrum's optimum to the next: the resumed run reads the chain
    // back and writes the same rows.
    for file in [
        "summary.csv",
        "timeseries.csv",
        "impedance.csv",
        "impedance_fit.csv",
    ] {
        let a = std::fs::read_to_string(killed.join(file)).unwrap();
        let b = std::fs::read_to_string(whole.join(file)).unwrap();
        assert_eq!(
            a.lines().count(),
            b.lines().count(),
            "{file}: row counts differ"
        );
        assert!(
            a == b,
            "{file}: the resumed run differs from the uninterrupted one"
        );
    }
    let record = std::fs::read_to_string(killed.join("run.toml")).unwrap();
    assert!(record.contains("status = \"finished\""));

    // The figures are those of the whole run (the saved cycles before the checkpoint
    // included), byte for byte.
    let figures: Vec<String> = std::fs::read_dir(&whole)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".png") || n.ends_with(".svg"))
        .collect();
    assert!(
        figures.iter().any(|n| n == "voltage_capacity.png"),
        "{figures:?}"
    );
    for name in &figures {
        let a = std::fs::read(killed.join(name)).unwrap();
        let b = std::fs::read(whole.join(name)).unwrap();
        assert!(a == b, "{name}: the resumed run's figure differs");
    }
    // run.toml counts the whole run: every solver statistic but the wall times is the
    // uninterrupted run's.
    let stats = |dir: &Path| -> Vec<(String, String)> {
        let text = std::fs::read_to_string(dir.join("run.toml")).unwrap();
        let table: toml::Table = text.parse().unwrap();
        let stats = table["solver_stats"].as_table().unwrap();
        stats
            .iter()
            .filter(|(k, _)| !k.contains("time_s"))
            .map(|(k, v)| (k.clone(), v.to_string()))
            .collect()
    };
    let (resumed, uninterrupted) = (stats(&killed), stats(&whole));
    assert!(
        uninterrupted.iter().any(|(k, _)| k == "solver_steps"),
        "{uninterrupted:?}"
    );
    assert_eq!(resumed, uninterrupted);
}

#[test]
fn resume_needs_a_run_folder_with_a_checkpoint() {
    let tmp = tempfile::tempdir().unwrap();
    let out = asslb()
        .args(["run", "--resume"])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not the folder of an asslb run"), "{err}");

    // A finished run is not resumed.
    let scenario = tmp.path().join("short.toml");
    std::fs::write(&scenario, SCENARIO.replace("cycles = 1000", "cycles = 2")).unwrap();
    let dir = tmp.path().join("short");
    assert!(asslb()
        .args(["run", "--quiet", "--out"])
        .arg(&dir)
        .arg(&scenario)
        .status()
        .unwrap()
        .success());
    let out = asslb()
        .args(["run", "--resume"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("already finished"), "{err}");
}
