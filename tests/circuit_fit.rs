//! Equivalent-circuit fits of synthetic spectra: the paper's circuit recovered from its own
//! spectrum with and without noise, a circuit that cannot explain the data, fixed parameters,
//! and a spectrum read back from the file `asslb::output::impedance_csv` writes.

use asslb::impedance::{
    cpe_q_for_peak, fit_circuit, fit_circuit_with, paper_circuit_example, read_spectrum_csv,
    Circuit, CircuitFitOptions, Spectrum, PAPER_CIRCUIT,
};
use asslb::validation::GaussianNoise;
use faer::c64;

/// The paper's circuit: bulk 52 Ω; grain boundaries 20 Ω peaking at 200 kHz; cathode
/// interface 69 Ω at 2 kHz; anode interface 10 Ω at 1 Hz; Warburg σ = 1.5 Ω s^-1/2.
fn truth() -> Vec<f64> {
    paper_circuit_example([0.92, 0.85, 0.8])
}

/// 10 mHz to 1 MHz, 10 per decade, from high to low frequency as measured files are.
fn frequencies() -> Vec<f64> {
    (0..=80)
        .rev()
        .map(|k| 1e-2 * 10f64.powf(k as f64 / 10.0))
        .collect()
}

/// The spectrum of `circuit` with `params`, times (1 + noise·(g₁ + i g₂)) with g standard
/// normal.
fn synthetic(circuit: &Circuit, params: &[f64], noise: f64, seed: u64) -> Spectrum {
    let mut rng = GaussianNoise::new(seed);
    let f = frequencies();
    let z = f
        .iter()
        .map(|&f| {
            let e = c64::new(rng.normal(), rng.normal()) * noise;
            circuit.impedance(params, f) * (c64::new(1.0, 0.0) + e)
        })
        .collect();
    Spectrum::new(f, z).unwrap()
}

#[test]
fn the_paper_circuit_is_recovered_exactly_without_noise() {
    let circuit = Circuit::parse(PAPER_CIRCUIT).unwrap();
    let truth = truth();
    let spectrum = synthetic(&circuit, &truth, 0.0, 1);
    let fit = fit_circuit(&circuit, &spectrum, None).unwrap();
    assert!(fit.converged, "{}", fit.termination);
    for (j, name) in fit.names.iter().enumerate() {
        let rel = (fit.values[j] - truth[j]).abs() / truth[j];
        assert!(
            rel < 1e-6,
            "{name}: {} vs {} ({rel:e})",
            fit.values[j],
            truth[j]
        );
        assert!(!fit.at_bound[j], "{name}");
    }
    assert!(fit.reduced_chi2 < 1e-20, "{}", fit.reduced_chi2);
    // The fitted spectrum is the data.
    for (&f, &z) in spectrum.frequency_hz.iter().zip(&spectrum.z) {
        assert!((fit.impedance(f) - z).norm() < 1e-8 * z.norm());
    }
}

#[test]
fn the_paper_circuit_is_recovered_within_its_uncertainties_with_noise() {
    let circuit = Circuit::parse(PAPER_CIRCUIT).unwrap();
    let truth = truth();
    let noise = 0.005;
    let spectrum = synthetic(&circuit, &truth, noise, 2026);
    let fit = fit_circuit(&circuit, &spectrum, None).unwrap();
    assert!(fit.converged, "{}", fit.termination);
    assert_eq!(fit.residuals.len(), 2 * 81);
    for (j, name) in fit.names.iter().enumerate() {
        let (v, s) = (fit.values[j], fit.std_errors[j]);
        eprintln!(
            "{name:>9} = {v:12.6e} ± {s:9.3e} (truth {:12.6e}, {:+.2} σ)",
            truth[j],
            (v - truth[j]) / s
        );
    }
    for (j, name) in fit.names.iter().enumerate() {
        let (v, s) = (fit.values[j], fit.std_errors[j]);
        assert!(!fit.at_bound[j], "{name} at a bound");
        assert!(s > 0.0 && s.is_finite(), "{name}: ± {s}");
        assert!(
            (v - truth[j]).abs() < 3.0 * s,
            "{name}: {v} ± {s} vs {}",
            truth[j]
        );
    }
    // Small: the three large resistances to a few per cent, the small 1 Hz arc and the
    // Warburg σ that overlaps it to 10 %, exponents to a few hundredths; the CPE
    // coefficients Q, strongly correlated with their n, to tens of per cent.
    for (name, rel) in [
        ("R0", 0.03),
        ("R1", 0.03),
        ("R2", 0.03),
        ("R3", 0.1),
        ("W1_sigma", 0.1),
    ] {
        let (v, s) = fit.parameter(name).unwrap();
        assert!(s < rel * v, "{name}: {v} ± {s}");
    }
    for name in ["CPE1_n", "CPE2_n", "CPE3_n"] {
        let (v, s) = fit.parameter(name).unwrap();
        assert!(s < 0.06, "{name}: {v} ± {s}");
    }
    for name in ["CPE1_Q", "CPE2_Q", "CPE3_Q"] {
        let (v, s) = fit.parameter(name).unwrap();
        assert!(s < 0.5 * v, "{name}: {v} ± {s}");
    }
    // The misfit is the noise: each component carries noise·|Z|, i.e. a relative variance
    // of noise² per residual.
    let chi = fit.reduced_chi2.sqrt();
    assert!(chi > 0.8 * noise && chi < 1.2 * noise, "√χ² = {chi}");
    // The correlation matrix is symmetric with a unit diagonal.
    for a in 0..11 {
        assert!((fit.correlation[a][a] - 1.0).abs() < 1e-9);
        for b in 0..11 {
            assert!((fit.correlation[a][b] - fit.correlation[b][a]).abs() < 1e-9);
            assert!(fit.correlation[a][b].abs() <= 1.0 + 1e-9);
        }
    }
}

/// The reported uncertainties are standard uncertainties: over 30 noise draws, about 68 % of
/// the estimates lie within one of them of the truth (330 estimates: 0.68 ± 0.026, so the
/// window below is five standard deviations of the fraction wide on either side), and about
/// 95 % within two.
#[test]
fn the_uncertainties_cover_the_truth_as_standard_uncertainties_should() {
    let circuit = Circuit::parse(PAPER_CIRCUIT).unwrap();
    let truth = truth();
    let (mut within_1, mut within_2, mut total) = (0, 0, 0);
    for seed in 100..130 {
        let spectrum = synthetic(&circuit, &truth, 0.005, seed);
        let fit = fit_circuit(&circuit, &spectrum, None).unwrap();
        assert!(fit.converged, "seed {seed}: {}", fit.termination);
        for (j, t) in truth.iter().enumerate() {
            let z = (fit.values[j] - t).abs() / fit.std_errors[j];
            total += 1;
            within_1 += usize::from(z < 1.0);
            within_2 += usize::from(z < 2.0);
        }
    }
    let (f1, f2) = (
        within_1 as f64 / total as f64,
        within_2 as f64 / total as f64,
    );
    eprintln!("within 1σ: {f1:.3}, within 2σ: {f2:.3} of {total}");
    assert!(f1 > 0.55 && f1 < 0.81, "{f1}");
    assert!(f2 > 0.89, "{f2}");
}

#[test]
fn a_circuit_that_cannot_explain_the_data_reports_a_large_chi_square() {
    let paper = Circuit::parse(PAPER_CIRCUIT).unwrap();
    let spectrum = synthetic(&paper, &truth(), 0.005, 7);
    let good = fit_circuit(&paper, &spectrum, None).unwrap();
    let single = Circuit::parse("R0-p(R1,CPE1)").unwrap();
    let bad = fit_circuit(&single, &spectrum, None).unwrap();
    eprintln!(
        "reduced χ²: paper circuit {:e}, single arc {:e}",
        good.reduced_chi2, bad.reduced_chi2
    );
    // The good fit's χ² is the noise variance (0.005²); the single arc's is tens of times
    // more, far beyond chance for 158 degrees of freedom.
    assert!(good.reduced_chi2 < 1.3 * 0.005f64.powi(2));
    assert!(bad.reduced_chi2 > 25.0 * good.reduced_chi2);
    // Several per cent RMS relative misfit, against the 0.5 % noise.
    assert!(
        bad.rms_relative_error() > 0.02,
        "{}",
        bad.rms_relative_error()
    );
}

#[test]
fn a_fixed_parameter_is_held_and_the_rest_fitted() {
    let circuit = Circuit::parse(PAPER_CIRCUIT).unwrap();
    let truth = truth();
    let spectrum = synthetic(&circuit, &truth, 0.0, 1);
    let fit = fit_circuit_with(
        &circuit,
        &spectrum,
        &CircuitFitOptions {
            fixed: vec![("CPE2_n".to_string(), 0.85), ("R0".to_string(), 52.0)],
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(fit.parameter("CPE2_n"), Some((0.85, 0.0)));
    assert!(fit.fixed[0] && fit.fixed[6] && !fit.fixed[1]);
    assert_eq!(fit.degrees_of_freedom, 162 - 9);
    let (r2, _) = fit.parameter("R2").unwrap();
    assert!((r2 - 69.0).abs() < 1e-6 * 69.0, "{r2}");
}

#[test]
fn an_explicit_start_is_used() {
    let circuit = Circuit::parse("R0-p(R1,C1)").unwrap();
    let truth = [5.0, 40.0, 2e-6];
    let f: Vec<f64> = (0..50).map(|k| 10f64.powf(k as f64 / 7.0)).collect();
    let z = f.iter().map(|&f| circuit.impedance(&truth, f)).collect();
    let spectrum = Spectrum::new(f, z).unwrap();
    let fit = fit_circuit(&circuit, &spectrum, Some(&[1.0, 100.0, 1e-5])).unwrap();
    for (v, t) in fit.values.iter().zip(truth) {
        assert!((v - t).abs() < 1e-6 * t, "{v} vs {t}");
    }
    assert_eq!(fit.starts, 3);
}

/// Series blocks commute: a fit started with the first two arcs' parameters swapped lands on
/// the swapped optimum, and is reported in the convention of the string (first block = the
/// highest-frequency arc).
#[test]
fn swapped_arcs_are_reported_from_high_to_low_frequency() {
    let circuit = Circuit::parse(PAPER_CIRCUIT).unwrap();
    let truth = truth();
    let spectrum = synthetic(&circuit, &truth, 0.0, 1);
    let mut start = truth.clone();
    for k in 0..3 {
        start.swap(1 + k, 4 + k);
    }
    // The swapped parameters give the same spectrum.
    for &f in &[1e-2, 1.0, 1e3, 1e6] {
        let (a, b) = (circuit.impedance(&start, f), circuit.impedance(&truth, f));
        assert!((a - b).norm() < 1e-12 * b.norm());
    }
    let fit = fit_circuit(&circuit, &spectrum, Some(&start)).unwrap();
    for (j, t) in truth.iter().enumerate() {
        let v = fit.values[j];
        assert!((v - t).abs() < 1e-6 * t, "{}: {v} vs {t}", fit.names[j]);
    }
}

#[test]
fn a_spectrum_written_by_the_simulator_is_read_and_fitted() {
    let circuit = Circuit::parse("R0-p(R1,CPE1)-W1").unwrap();
    let truth = [30.0, 80.0, cpe_q_for_peak(80.0, 500.0, 0.9), 0.9, 4.0];
    let f = frequencies();
    let z: Vec<c64> = f.iter().map(|&f| circuit.impedance(&truth, f)).collect();
    let dir = tempfile::tempdir().unwrap();
    let path = asslb::output::write_impedance(dir.path(), 3, &f, &z).unwrap();
    let spectrum = read_spectrum_csv(&path, None).unwrap();
    assert_eq!(spectrum.len(), 81);
    assert_eq!(read_spectrum_csv(&path, Some(3)).unwrap(), spectrum);
    let fit = fit_circuit(&circuit, &spectrum, None).unwrap();
    for (j, t) in truth.iter().enumerate() {
        // The file keeps shortest round-trip decimals: the data are exact.
        let v = fit.values[j];
        assert!((v - t).abs() < 1e-6 * t, "{}: {v} vs {t}", fit.names[j]);
    }
}

/// An ideal capacitor fitted with a CPE: n wants to be 1, its upper bound, where it ends,
/// flagged, with no uncertainty claimed; the table says so.
#[test]
fn a_cpe_exponent_at_its_bound_is_flagged() {
    let ideal = Circuit::parse("R0-p(R1,C1)").unwrap();
    let truth = [5.0, 40.0, 2e-6];
    let f: Vec<f64> = (0..50).map(|k| 10f64.powf(k as f64 / 7.0)).collect();
    let z = f.iter().map(|&f| ideal.impedance(&truth, f)).collect();
    let spectrum = Spectrum::new(f, z).unwrap();
    let cpe = Circuit::parse("R0-p(R1,CPE1)").unwrap();
    let fit = fit_circuit(&cpe, &spectrum, None).unwrap();
    let n = cpe.parameter_index("CPE1_n").unwrap();
    assert!((fit.values[n] - 1.0).abs() < 1e-6, "{}", fit.values[n]);
    assert_eq!(fit.at_bound, vec![false, false, false, true]);
    assert!(fit.std_errors[n].is_nan());
    // The other parameters are still recovered, with uncertainties.
    assert!(
        (fit.values[1] - 40.0).abs() < 1e-4 * 40.0,
        "{}",
        fit.values[1]
    );
    assert!(
        (fit.values[2] - 2e-6).abs() < 1e-4 * 2e-6,
        "{}",
        fit.values[2]
    );
    assert!(fit.std_errors[1].is_finite());
    let table = fit.table();
    let row = table.lines().find(|l| l.contains("CPE1_n")).unwrap();
    assert!(
        row.contains("at bound (uncertainty not meaningful)"),
        "{table}"
    );
}

/// The analytic Jacobian lands on the optimum of the finite differences, with the same
/// uncertainties, from far fewer residual evaluations.
#[test]
fn the_analytic_jacobian_gives_the_finite_difference_fit() {
    let circuit = Circuit::parse(PAPER_CIRCUIT).unwrap();
    let spectrum = synthetic(&circuit, &truth(), 0.005, 2026);
    let fit = |finite_differences| {
        fit_circuit_with(
            &circuit,
            &spectrum,
            &CircuitFitOptions {
                finite_differences,
                ..Default::default()
            },
        )
        .unwrap()
    };
    let (an, fd) = (fit(false), fit(true));
    assert!(an.converged && fd.converged);
    for j in 0..11 {
        let name = &an.names[j];
        let (a, f) = (an.values[j], fd.values[j]);
        assert!((a - f).abs() < 1e-5 * f, "{name}: {a} vs {f}");
        let (a, f) = (an.std_errors[j], fd.std_errors[j]);
        assert!((a - f).abs() < 1e-3 * f, "{name}: ± {a} vs ± {f}");
    }
    assert!((an.ssr - fd.ssr).abs() < 1e-8 * fd.ssr);
    assert_eq!(fd.jacobian_evaluations, 0);
    assert!(an.jacobian_evaluations > 0);
    eprintln!(
        "analytic: {} residual + {} Jacobian evaluations; finite differences: {} residual",
        an.evaluations, an.jacobian_evaluations, fd.evaluations
    );
    assert!(an.evaluations * 5 < fd.evaluations);
}

/// A Warburg element the spectrum has no use for: its σ falls to the lower bound (10⁻⁶), and
/// there it must be flagged, its uncertainty not reported as a number (as `W1_sigma 1.0e-6 ±
/// 3.7e2 (36733849196 %)` was), in the table and in the fit's vectors that the CSV writes.
#[test]
fn a_warburg_coefficient_at_its_lower_bound_is_flagged() {
    let rc = Circuit::parse("R0-p(R1,C1)").unwrap();
    let s = synthetic(&rc, &[20.0, 50.0, 1e-6], 0.01, 3);
    let c = Circuit::parse("R0-p(R1,C1)-W1").unwrap();
    let fit = fit_circuit(&c, &s, None).unwrap();
    let j = fit.names.iter().position(|n| n == "W1_sigma").unwrap();
    assert!(fit.values[j] < 1e-3, "{}", fit.values[j]);
    assert!(fit.at_bound[j], "{}", fit.table());
    assert!(fit.std_errors[j].is_nan(), "{}", fit.std_errors[j]);
    let row = fit
        .table()
        .lines()
        .find(|l| l.contains("W1_sigma"))
        .unwrap()
        .to_string();
    assert!(row.contains("at bound"), "{row}");
}
