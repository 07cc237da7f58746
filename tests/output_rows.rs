//! Output rows without solver stops (issue 15 item 7): with `solver.output_interval_s` the rows
//! of a saved cycle are the solution interpolated at the output times (IDA's dense output) and
//! a row at each step's end, so the interval shapes neither the solver's steps nor any cycle's
//! numbers, and a cycle that is not saved costs no output.

use std::path::Path;

mod common;
use common::{asslb, describe, root};

/// Three cycles of the verification cell with rests and a hold, at 1C.
const EXPERIMENT: &str = r#"experiment=[{cycles=3, steps=["Discharge at 1C until 1.38 V", "Rest for 10 minutes", "Charge at 1C until 3.68 V", "Hold at 3.68 V until C/20"]}]"#;

fn run(out: &Path, sets: &[&str]) {
    let mut cmd = asslb();
    cmd.args(["run", "--quiet", "--out"])
        .arg(out)
        .arg(root().join("scenarios/solid_halfcell_cycling.toml"))
        .args(["--set", EXPERIMENT]);
    for s in sets {
        cmd.args(["--set", s]);
    }
    let result = cmd.output().expect("asslb runs");
    assert!(result.status.success(), "{}", describe(&result));
}

/// `(time_s, cycle, step, voltage_V)` of every row of `<dir>/timeseries.csv`.
fn rows(dir: &Path) -> Vec<(f64, usize, usize, f64)> {
    let text = std::fs::read_to_string(dir.join("timeseries.csv")).expect("time series");
    text.lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            (
                f[0].parse().expect("time"),
                f[1].parse().expect("cycle"),
                f[2].parse().expect("step"),
                f[4].parse().expect("voltage"),
            )
        })
        .collect()
}

#[test]
fn rows_at_output_times_are_interpolated_and_change_no_cycle() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (saved, unsaved, steps) = (
        tmp.path().join("saved"),
        tmp.path().join("unsaved"),
        tmp.path().join("steps"),
    );
    run(
        &saved,
        &["save_cycles=\"all\"", "solver.output_interval_s=30"],
    );
    run(&unsaved, &["save_cycles=[]", "solver.output_interval_s=30"]);
    // Without an interval: a row at every solver step.
    run(&steps, &["save_cycles=\"all\""]);

    // The numbers of a cycle do not depend on whether it is saved, nor on the interval.
    let summary = |dir: &Path| std::fs::read(dir.join("summary.csv")).expect("summary");
    assert!(
        summary(&saved) == summary(&unsaved),
        "saving changed a cycle"
    );
    assert!(
        summary(&saved) == summary(&steps),
        "the interval changed a cycle"
    );

    // The rows of each step: at its start, every 30 s after it, and at its end.
    let out = rows(&saved);
    let every = rows(&steps);
    assert!(out.len() > 100, "{} rows", out.len());
    let mut checked = 0;
    let mut worst: f64 = 0.0;
    for step in out.chunk_by(|a, b| (a.1, a.2) == (b.1, b.2)) {
        let t0 = step[0].0;
        for (k, row) in step
            .iter()
            .enumerate()
            .skip(1)
            .take(step.len().saturating_sub(2))
        {
            let expected = t0 + 30.0 * k as f64;
            assert!(
                (row.0 - expected).abs() < 1e-6 * expected.abs().max(1.0),
                "cycle {} step {}: row {k} at {} s, expected {expected} s",
                row.1,
                row.2,
                row.0
            );
        }
        // Each interpolated voltage lies on the curve of the solver's own steps: near the
        // chord between the rows of the steps around it (the interpolation itself is checked
        // against an exact solution in `numerics::ida`).
        for row in &step[1..step.len().saturating_sub(1)] {
            let same: Vec<&(f64, usize, usize, f64)> = every
                .iter()
                .filter(|r| (r.1, r.2) == (row.1, row.2))
                .collect();
            let Some(k) = same.iter().position(|r| r.0 >= row.0) else {
                continue;
            };
            if k == 0 {
                continue;
            }
            let (a, b) = (same[k - 1], same[k]);
            let w = (row.0 - a.0) / (b.0 - a.0);
            let linear = a.3 + w * (b.3 - a.3);
            let spread = (b.3 - a.3).abs();
            worst = worst.max((row.3 - linear).abs() / (spread + 1e-6));
            assert!(
                (row.3 - linear).abs() <= spread + 1e-4,
                "cycle {} step {} at {} s: {} V against {} V between the steps",
                row.1,
                row.2,
                row.0,
                row.3,
                linear
            );
            checked += 1;
        }
    }
    println!(
        "{checked} interpolated rows; largest departure from the chord {worst:.3} of its rise"
    );
    assert!(checked > 50, "{checked} interpolated rows checked");
}
