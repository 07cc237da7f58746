//! Shared helpers of the integration tests: reference curves and their comparison.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use asslb::protocol::{Checkpoint, CycleSummary, TimeseriesRecord, TimeseriesSink};

/// The `asslb` binary of this build.
pub fn asslb() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_asslb"))
}

/// Process output as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A process's exit status and both streams, for assertion messages.
pub fn describe(out: &std::process::Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    )
}

/// Runs `command` with a plain progress line due at every update (`ASSLB_PROGRESS_EVERY_S` a
/// microsecond), and `--quiet` when `quiet`; checks that it succeeds and that standard error
/// holds neither a bar's carriage returns nor escape codes, and nothing at all when quiet.
/// Returns the lines of standard error and the process's output.
pub fn progress_lines(
    mut command: std::process::Command,
    quiet: bool,
) -> (Vec<String>, std::process::Output) {
    command.env("ASSLB_PROGRESS_EVERY_S", "0.000001");
    if quiet {
        command.arg("--quiet");
    }
    let out = command.output().expect("run asslb");
    assert!(out.status.success(), "{}", describe(&out));
    let stderr = text(&out.stderr);
    assert!(
        !stderr.contains('\r') && !stderr.contains('\u{1b}'),
        "{}",
        describe(&out)
    );
    assert!(!quiet || stderr.is_empty(), "{}", describe(&out));
    (stderr.lines().map(str::to_string).collect(), out)
}

/// Project root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A reference voltage curve: `time_s, voltage_V, discharge_capacity_Ah`.
#[derive(Debug, Clone)]
pub struct ReferenceCurve {
    pub time_s: Vec<f64>,
    pub voltage_v: Vec<f64>,
    pub capacity_ah: Vec<f64>,
}

/// Reads a reference CSV (copied into `validation/reference/`).
pub fn read_reference(path: &Path) -> ReferenceCurve {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut curve = ReferenceCurve {
        time_s: vec![],
        voltage_v: vec![],
        capacity_ah: vec![],
    };
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let v: Vec<f64> = line.split(',').map(|s| s.trim().parse().unwrap()).collect();
        curve.time_s.push(v[0]);
        curve.voltage_v.push(v[1]);
        curve.capacity_ah.push(v[2]);
    }
    curve
}

/// Linear interpolation of (xs, ys) at x; xs increasing, x inside the range.
pub fn interpolate(xs: &[f64], ys: &[f64], x: f64) -> f64 {
    let k = xs.partition_point(|&v| v <= x).clamp(1, xs.len() - 1);
    let (x0, x1) = (xs[k - 1], xs[k]);
    if x1 == x0 {
        return ys[k];
    }
    ys[k - 1] + (ys[k] - ys[k - 1]) * (x - x0) / (x1 - x0)
}

/// Comparison of a simulated discharge with a reference curve.
#[derive(Debug, Clone, Copy)]
pub struct Agreement {
    /// RMS voltage difference over the common time range, at the reference times [V].
    pub rms_v: f64,
    /// Largest voltage difference over the common time range [V].
    pub max_v: f64,
    /// Relative difference of the delivered capacity [-].
    pub capacity_rel: f64,
}

/// Compares a simulated single-step discharge with a reference curve.
pub fn compare(sim: &[TimeseriesRecord], reference: &ReferenceCurve) -> Agreement {
    // Strictly increasing simulated times (drop repeated points at step boundaries).
    let mut t = Vec::with_capacity(sim.len());
    let mut v = Vec::with_capacity(sim.len());
    for row in sim {
        if t.last().is_none_or(|&last| row.time_s > last) {
            t.push(row.time_s);
            v.push(row.voltage_v);
        }
    }
    let t_end = t
        .last()
        .copied()
        .unwrap()
        .min(*reference.time_s.last().unwrap());
    let mut sum = 0.0;
    let mut count = 0usize;
    let mut max = 0.0f64;
    for (tr, vr) in reference.time_s.iter().zip(&reference.voltage_v) {
        if *tr > t_end {
            break;
        }
        let d = interpolate(&t, &v, *tr) - vr;
        sum += d * d;
        count += 1;
        max = max.max(d.abs());
    }
    let q_sim = sim.last().unwrap().discharge_capacity_ah;
    let q_ref = *reference.capacity_ah.last().unwrap();
    Agreement {
        rms_v: (sum / count as f64).sqrt(),
        max_v: max,
        capacity_rel: (q_sim - q_ref).abs() / q_ref,
    }
}

/// A sink that keeps the rows, the cycle figures and, every `checkpoint_every` cycles, the
/// checkpoints of a run.
#[derive(Default)]
pub struct Recorder {
    pub checkpoint_every: Option<usize>,
    pub rows: Vec<TimeseriesRecord>,
    pub cycles: Vec<CycleSummary>,
    pub checkpoints: Vec<Checkpoint>,
}

impl TimeseriesSink for Recorder {
    fn record(&mut self, row: &TimeseriesRecord) -> std::io::Result<()> {
        self.rows.push(*row);
        Ok(())
    }
    fn cycle_finished(&mut self, summary: &CycleSummary) -> std::io::Result<()> {
        self.cycles.push(*summary);
        Ok(())
    }
    fn checkpoint_due(&self, cycle: usize) -> bool {
        self.checkpoint_every.is_some_and(|n| cycle % n == 0)
    }
    fn save_checkpoint(&mut self, checkpoint: &Checkpoint) -> std::io::Result<()> {
        self.checkpoints.push(checkpoint.clone());
        Ok(())
    }
}

/// A fit file (docs/fitting.md) named `name` reading `validation.toml` beside it, fitting on a
/// log scale each `(path, initial, lower, upper)` of `parameters`.
pub fn log_fit_toml(name: &str, parameters: &[(&str, f64, f64, f64)]) -> String {
    let mut s = format!("name = \"{name}\"\nvalidation = \"validation.toml\"\n");
    for (path, initial, lower, upper) in parameters {
        s.push_str(&format!(
            "\n[[parameters]]\npath = \"{path}\"\ninitial = {initial:e}\nlower = {lower:e}\nupper = {upper:e}\nscale = \"log\"\n"
        ));
    }
    s
}

/// A curve-fitting case in `dir`: `curves` as `curves.csv`, a `validation.toml` named
/// `validation_name` comparing them (at `tolerance_v` \[V\]) with run `cell` of `scenario`
/// under the overrides `sets`, and a fit file named `fit_name` fitting `parameters` on a log
/// scale ([`log_fit_toml`]). Returns the fit file's path.
pub fn write_curve_fit_case(
    dir: &Path,
    (validation_name, fit_name): (&str, &str),
    scenario: &Path,
    sets: &[&str],
    curves: &asslb::measured::MeasuredCurves,
    tolerance_v: f64,
    parameters: &[(&str, f64, f64, f64)],
) -> PathBuf {
    std::fs::write(dir.join("curves.csv"), curves.to_csv()).expect("write curves");
    // (No `set` key without overrides: a test may add its own to the run.)
    let sets = if sets.is_empty() {
        String::new()
    } else {
        let quoted: Vec<String> = sets.iter().map(|s| format!("'{s}'")).collect();
        format!("set = [{}]\n", quoted.join(", "))
    };
    std::fs::write(
        dir.join("validation.toml"),
        format!(
            "name = \"{validation_name}\"\n[runs.cell]\nscenario = '{}'\n{sets}\n[[curves]]\nfile = \"curves.csv\"\nrun = \"cell\"\ntolerance_V = {tolerance_v}\n",
            scenario.display()
        ),
    )
    .expect("write validation");
    let fit = dir.join("fit.toml");
    std::fs::write(&fit, log_fit_toml(fit_name, parameters)).expect("write fit");
    fit
}
