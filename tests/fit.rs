//! `asslb fit` (docs/fitting.md) on synthetic data: voltage curves of the verification
//! half-cell simulated with known parameters plus noise. The fit recovers the known values
//! within its reported uncertainty from a start far off; data the model cannot explain give a
//! large residual and exit code 1, not a false success; the fitted parameter file and scenario
//! run as they are; and every bad fit file is an error naming the file, line and key.

mod common;

use std::path::{Path, PathBuf};

use asslb::fitting::{fit_cell, load_fit, write_fit_outputs};
use asslb::measured::{Direction, Provenance};
use asslb::scenario::{load_scenario, load_scenario_with};
use asslb::validation::{simulate, synthetic_curves, GaussianNoise, Wanted};
use common::{asslb, describe, root, text};

/// The true values: those of the built-in set `solid_halfcell_single_ion`.
const D_TRUE: f64 = 5e-16;
const SIGMA_SEP_TRUE: f64 = 0.3;
/// Noise of the synthetic voltages \[V\].
const NOISE_V: f64 = 0.002;

fn scenario_path() -> PathBuf {
    root().join("scenarios/solid_halfcell_discharge_1C.toml")
}

/// Writes the synthetic curves (cycle 1, discharge and charge at 1C, 40 points each), with
/// `distortion(q_fraction)` \[V\] added to every voltage, into `dir/curves.csv`, and the
/// validation and fit files around them; returns the fit file.
fn write_case(dir: &Path, distortion: &dyn Fn(f64) -> f64) -> PathBuf {
    let scenario = load_scenario_with(&scenario_path(), &[]).expect("scenario");
    let wanted = Wanted {
        curves: vec![1],
        ..Wanted::default()
    };
    let run = simulate("truth", &scenario, &wanted, None).expect("simulation");
    assert!(run.error.is_none(), "{:?}", run.error);
    let mut curves = synthetic_curves(
        &run,
        &[(1, Direction::Discharge), (1, Direction::Charge)],
        40,
        NOISE_V,
        0,
        &mut GaussianNoise::new(42),
        Provenance {
            source: "synthetic: tests/fit.rs".into(),
            figure_or_table: "verification half-cell at 1C, known parameters".into(),
            conditions: format!("noise sigma = {NOISE_V} V"),
            extra: Vec::new(),
        },
    );
    assert_eq!(curves.points.len(), 80);
    for direction in [Direction::Discharge, Direction::Charge] {
        let end = curves
            .points
            .iter()
            .filter(|p| p.step == Some(direction))
            .map(|p| p.capacity_mah_g)
            .fold(0.0, f64::max);
        for p in curves
            .points
            .iter_mut()
            .filter(|p| p.step == Some(direction))
        {
            p.voltage_v += distortion(p.capacity_mah_g / end);
        }
    }
    common::write_curve_fit_case(
        dir,
        ("synthetic_halfcell", "synthetic_fit"),
        &scenario_path(),
        &[],
        &curves,
        2.0 * NOISE_V,
        &[
            ("positive.solid_diffusivity_m2_s", 1.5e-15, 1e-17, 1e-13),
            ("electrolyte.separator_conductivity_S_m", 0.15, 0.01, 10.0),
        ],
    )
}

#[test]
fn a_fit_recovers_known_parameters_within_their_uncertainty() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write_case(dir.path(), &|_| 0.0);
    let spec = load_fit(&file).unwrap_or_else(|e| panic!("{e}"));
    let report = fit_cell(&spec, Some(2), &|_| {}).unwrap_or_else(|e| panic!("{e}"));
    let f = &report.fit;
    println!(
        "fitted D = {:.4e} ± {:.2e}, sigma_sep = {:.4} ± {:.4}; reduced chi2 {:.3}; {} simulations",
        f.values[0],
        f.std_errors[0],
        f.values[1],
        f.std_errors[1],
        f.reduced_chi2,
        report.simulations
    );
    assert!(f.converged, "{}", f.termination);
    for (k, truth) in [D_TRUE, SIGMA_SEP_TRUE].into_iter().enumerate() {
        let (x, s) = (f.values[k], f.std_errors[k]);
        assert!(!f.at_bound[k]);
        // A meaningful uncertainty (not so wide that anything would be "within" it) ...
        assert!(s > 0.0 && s < 0.1 * x, "{}: {x} ± {s}", f.names[k]);
        // ... that covers the true value (2σ: the 95 % interval of this one noise draw).
        assert!(
            (x - truth).abs() <= 2.0 * s,
            "{}: fitted {x} ± {s}, true {truth}",
            f.names[k]
        );
        // Far from the start (a factor 3 and 2 off).
        assert!((x / spec.parameters[k].initial - 1.0).abs() > 0.3);
    }
    // Residuals in tolerances of 2σ: the reduced χ² of pure noise is about 1/4.
    assert!(
        (0.15..0.4).contains(&f.reduced_chi2),
        "reduced chi2 {}",
        f.reduced_chi2
    );
    // The outputs: the fitted scenario runs and has the fitted values.
    let out = dir.path().join("out");
    let files = write_fit_outputs(&out, &spec, &report, Some(2)).unwrap_or_else(|e| panic!("{e}"));
    assert!(files.validation.passed());
    let fitted =
        load_scenario(&out.join("fitted/cell/scenario.toml")).unwrap_or_else(|e| panic!("{e}"));
    let (a, b) = (&fitted.parameters, &report.fitted_scenarios[0].parameters);
    assert_eq!(
        a.positive.solid_diffusivity_m2_s,
        b.positive.solid_diffusivity_m2_s
    );
    assert_eq!(a.electrolyte, b.electrolyte);
    // Everything else as before (the OCP table now read from the file beside it).
    assert_eq!(a.positive.thickness_m, b.positive.thickness_m);
    assert_eq!(a.negative, b.negative);
    // The table of the built-in set travels with the parameter file.
    assert!(out.join("fitted/cell/positive_ocp.csv").is_file());
    for name in [
        "fit_parameters.csv",
        "fit_correlation.csv",
        "fit_residuals.csv",
        "fit_report.md",
        "validation/report.md",
        "validation/comparison.csv",
    ] {
        assert!(out.join(name).is_file(), "{name}");
    }
    let residuals = std::fs::read_to_string(out.join("fit_residuals.csv")).expect("residuals");
    assert_eq!(residuals.lines().count(), 1 + 80);

    // Prediction bands: one uncertainty per residual, whose squares sum to s² times the
    // number of parameters (the leverages of a least-squares fit sum to p) ...
    assert_eq!(f.residual_std_errors.len(), 80);
    let leverage: f64 = f.residual_std_errors.iter().map(|v| v * v).sum::<f64>() / f.reduced_chi2;
    assert!((leverage - 2.0).abs() < 1e-6, "sum of leverages {leverage}");
    // ... each curve's band the RMS of its points' in volts, far inside the noise (80 points
    // pin two parameters) ...
    let comparisons = &files.validation.comparisons;
    assert_eq!(comparisons.len(), 2);
    let mut k = 0;
    for c in comparisons {
        let n = c.residuals.len();
        let ms: f64 = f.residual_std_errors[k..k + n]
            .iter()
            .map(|v| v * v)
            .sum::<f64>()
            / n as f64;
        k += n;
        let band = c.prediction_std.expect("a band at the fitted values");
        assert!((band - 2.0 * NOISE_V * ms.sqrt()).abs() < 1e-12 * band.max(1e-30));
        assert!(band > 0.0 && band < NOISE_V, "band {band} V");
    }
    let report = std::fs::read_to_string(out.join("fit_report.md")).expect("report");
    assert!(report.contains("± 1σ (fit)"), "{report}");
    // ... and written for `asslb validate`: a validation file naming them shows them when its
    // runs carry the fitted values, and says why not when they do not.
    assert!(out.join("prediction_bands.toml").is_file());
    let base = std::fs::read_to_string(dir.path().join("validation.toml")).expect("validation");
    let with_bands = |sets: &str| {
        let text = base.replacen(
            "[runs.cell]",
            &format!("bands = \"out/prediction_bands.toml\"\n\n[runs.cell]\nset = [{sets}]"),
            1,
        );
        let path = dir.path().join("validation_bands.toml");
        std::fs::write(&path, text).expect("write");
        let spec = asslb::validation::load_validation(&path).unwrap_or_else(|e| panic!("{e}"));
        asslb::validation::run_validation(
            &spec,
            &asslb::validation::ValidateOptions {
                out: dir.path().join("validate_bands"),
                jobs: Some(2),
                residual_std_errors: None,
            },
        )
        .unwrap_or_else(|e| panic!("{e}"))
    };
    let sets = format!(
        "\"positive.solid_diffusivity_m2_s={:e}\", \"electrolyte.separator_conductivity_S_m={:e}\"",
        f.values[0], f.values[1]
    );
    let at_fit = with_bands(&sets);
    assert!(at_fit.bands_note.is_none(), "{:?}", at_fit.bands_note);
    for (a, b) in at_fit.comparisons.iter().zip(comparisons) {
        assert_eq!(a.prediction_std, b.prediction_std);
    }
    let table = asslb::validation::comparison_table(&at_fit.comparisons);
    assert!(
        table.contains("± 1σ (fit)") && table.contains("± 0."),
        "{table}"
    );
    // The true values are within 2σ of the fit, but not within the tenth of σ the bands
    // allow: no bands, and the note names the parameter.
    let at_truth = with_bands("");
    let note = at_truth.bands_note.expect("a note");
    assert!(note.contains("positive.solid_diffusivity_m2_s"), "{note}");
    assert!(at_truth
        .comparisons
        .iter()
        .all(|c| c.prediction_std.is_none()));
}

#[test]
fn a_fit_to_data_the_model_cannot_explain_reports_a_large_residual() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Waves of 30 mV along each curve: no diffusivity or conductivity makes those.
    let file = write_case(dir.path(), &|q| {
        0.03 * (3.0 * std::f64::consts::TAU * q).sin()
    });
    let out = dir.path().join("out");
    let run = asslb()
        .args(["fit", "--quiet", "--jobs", "2"])
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run asslb");
    let (stdout, stderr) = (text(&run.stdout), text(&run.stderr));
    assert_eq!(run.status.code(), Some(1), "{}", describe(&run));
    assert!(
        stderr.contains("the fitted model does not explain the data"),
        "{stderr}"
    );
    assert!(stdout.contains("FAIL"), "{stdout}");
    // The residual is reported, and large: several tolerances RMS.
    let rms: f64 = stdout
        .split("RMS residual ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no RMS residual in\n{stdout}"));
    assert!(rms > 3.0, "RMS residual {rms}");
    // Everything is still written, for a look at what went wrong.
    assert!(out.join("fit_report.md").is_file());
    assert!(out
        .join("validation/validation_voltage_capacity.png")
        .is_file());
}

#[test]
fn the_command_fits_and_its_fitted_scenario_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write_case(dir.path(), &|_| 0.0);
    let out = dir.path().join("out");
    let run = asslb()
        .args(["fit", "--jobs", "2"])
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run asslb");
    assert!(run.status.success(), "{}", describe(&run));
    let stdout = text(&run.stdout);
    for fragment in [
        "trial   1",
        "Jacobian   1",
        "positive.solid_diffusivity_m2_s",
        "correlation",
        "reduced χ²",
        "2 of 2 within tolerance",
    ] {
        assert!(stdout.contains(fragment), "{fragment}:\n{stdout}");
    }
    // The trial log: a header, then one line per trial point and per Jacobian.
    let trials = std::fs::read_to_string(out.join("fit_trials.csv")).expect("trials");
    let mut lines = trials.lines();
    assert_eq!(
        lines.next(),
        Some("event,number,ssr,run_failed,simulations,positive.solid_diffusivity_m2_s,electrolyte.separator_conductivity_S_m")
    );
    let trial_lines = trials.lines().filter(|l| l.starts_with("trial,")).count();
    assert!(trial_lines >= 3, "{trials}");
    assert_eq!(
        trials.lines().filter(|l| l.starts_with("trial,")).count(),
        stdout.matches("  trial ").count()
    );
    let again = asslb()
        .arg("run")
        .arg(out.join("fitted/cell/scenario.toml"))
        .arg("--quiet")
        .arg("--out")
        .arg(dir.path().join("rerun"))
        .output()
        .expect("run asslb");
    assert!(again.status.success(), "{}", describe(&again));
}

/// A fit file with `parameters` as its parameter block, beside a valid validation; the error
/// of `asslb fit` on it and the file.
fn fit_error(parameters: &str) -> (String, PathBuf) {
    let temp = tempfile::tempdir().expect("tempdir");
    let dir = temp.path();
    write_case(dir, &|_| 0.0);
    let file = dir.join("bad_fit.toml");
    std::fs::write(
        &file,
        format!("name = \"bad\"\nvalidation = \"validation.toml\"\n\n{parameters}"),
    )
    .expect("write");
    let run = asslb()
        .arg("fit")
        .arg(&file)
        .arg("--out")
        .arg(dir.join("out"))
        .output()
        .expect("run asslb");
    assert_eq!(run.status.code(), Some(1), "{}", describe(&run));
    assert!(
        !dir.join("out").exists(),
        "nothing is written for bad input"
    );
    (text(&run.stderr), file)
}

fn parameter(path: &str, rest: &str) -> String {
    format!("[[parameters]]\npath = \"{path}\"\n{rest}\n")
}

#[test]
fn parameters_that_cannot_be_fitted_are_errors_naming_file_line_and_key() {
    let bounds = "lower = 0.1\nupper = 1.0";
    for (path, expected) in [
        ("electrolyte.kind", "a string"),
        ("mesh.positive_x_cells", "not a parameter path"),
        ("positive.no_such_key", "no value there"),
        // An optional parameter this set does not give.
        (
            "separator.grain_boundary_resistance_ohm_m2",
            "no value there",
        ),
        ("positive.electrolyte_transport", "a table"),
    ] {
        let (stderr, file) = fit_error(&parameter(path, bounds));
        for fragment in [
            &file.display().to_string(),
            "line 5",
            "key `parameters[0].path`",
            path,
            expected,
        ] {
            assert!(
                stderr.contains(fragment),
                "{path}: `{fragment}` in\n{stderr}"
            );
        }
    }
}

#[test]
fn bounds_scales_and_options_are_checked() {
    let d = "positive.solid_diffusivity_m2_s";
    for (block, key, expected) in [
        (
            parameter(d, "lower = 1e-14\nupper = 1e-16"),
            "parameters[0].upper",
            "bounds in the wrong order",
        ),
        (
            parameter(d, "initial = 1e-12\nlower = 1e-17\nupper = 1e-14"),
            "parameters[0].initial",
            "outside",
        ),
        (
            parameter(d, "lower = 1e-17\nupper = 1e-16"),
            "parameters[0].lower",
            "(the scenario's) is outside",
        ),
        (
            parameter(d, "lower = 0.0\nupper = 1e-14\nscale = \"log\""),
            "parameters[0].lower",
            "positive lower bound",
        ),
        (
            parameter(d, "lower = 1e-17\nupper = 1e-14\nscale = \"ln\""),
            "parameters[0].scale",
            "\"linear\" or \"log\"",
        ),
        (
            parameter(d, "lower = 1e-17\nupper = 1e-14\nruns = [\"other\"]"),
            "parameters[0].runs",
            "`cell`",
        ),
        (
            format!(
                "{}{}",
                parameter(d, "lower = 1e-17\nupper = 1e-14"),
                parameter(d, "lower = 1e-17\nupper = 1e-14")
            ),
            "parameters[1].path",
            "named twice",
        ),
        (
            format!(
                "{}[options]\ndifferences = \"backward\"\n",
                parameter(d, "lower = 1e-17\nupper = 1e-14")
            ),
            "options.differences",
            "\"central\" or \"forward\"",
        ),
        (
            format!(
                "{}[options]\nstep = 2.0\n",
                parameter(d, "lower = 1e-17\nupper = 1e-14")
            ),
            "options.step",
            "(0, 0.5)",
        ),
    ] {
        let (stderr, file) = fit_error(&block);
        for fragment in [
            &file.display().to_string(),
            &format!("key `{key}`"),
            expected,
        ] {
            assert!(stderr.contains(fragment), "`{fragment}` in\n{stderr}");
        }
        assert!(stderr.contains(", line "), "a line number in\n{stderr}");
    }
    // Unknown keys and a missing validation file.
    let (stderr, _) = fit_error(&parameter(d, "lower = 1e-17\nupper = 1e-14\nstart = 1e-16"));
    assert!(stderr.contains("unknown field `start`"), "{stderr}");
    assert!(stderr.contains("line 8"), "{stderr}");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("fit.toml");
    std::fs::write(
        &file,
        format!(
            "validation = \"missing.toml\"\n{}",
            parameter(d, "lower = 1e-17\nupper = 1e-14")
        ),
    )
    .expect("write");
    let run = asslb().arg("fit").arg(&file).output().expect("run asslb");
    assert_eq!(run.status.code(), Some(1), "{}", describe(&run));
    assert!(
        text(&run.stderr).contains("missing.toml"),
        "{}",
        describe(&run)
    );
}
