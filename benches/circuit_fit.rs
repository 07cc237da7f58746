//! Criterion benchmarks of equivalent-circuit fitting on the paper circuit
//! `R0-p(R1,CPE1)-p(R2,CPE2)-p(R3,CPE3)-W1` (11 parameters) and an 81-point spectrum (10 mHz –
//! 1 MHz, 10 per decade) of the same circuit with ideal capacitors (every CPE n = 1, as the
//! model's own spectra have, so the exponents end on their bound):
//! - one residual evaluation (Z at 81 frequencies) and one Jacobian evaluation (Z and ∂Z/∂p);
//! - a cold fit (automatic start, multi-start) and a warm fit (start = the cold optimum with
//!   R, Q and σ perturbed by ±3 % and every n on its bound 1.0, as from the previous spectrum of
//!   a cycling run), each with the analytic Jacobian and with finite differences.
//!
//! Run: `cargo bench --bench circuit_fit`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use faer::c64;

use asslb::impedance::{
    fit_circuit_with, paper_circuit_example, Circuit, CircuitFitOptions, Spectrum, PAPER_CIRCUIT,
};

/// The truth of `tests/circuit_fit.rs` with ideal capacitors (n = 1).
fn truth() -> Vec<f64> {
    paper_circuit_example([1.0; 3])
}

fn benches(c: &mut Criterion) {
    let circuit = Circuit::parse(PAPER_CIRCUIT).expect("the paper circuit");
    let x = truth();
    let f: Vec<f64> = (0..=80)
        .rev()
        .map(|k| 1e-2 * 10f64.powf(k as f64 / 10.0))
        .collect();
    let z: Vec<c64> = f.iter().map(|&f| circuit.impedance(&x, f)).collect();
    let spectrum = Spectrum::new(f.clone(), z).expect("a spectrum");

    let mut group = c.benchmark_group("circuit_fit");
    group.bench_function("impedance, 81 frequencies", |b| {
        b.iter(|| {
            f.iter()
                .map(|&f| circuit.impedance(black_box(&x), f))
                .fold(c64::new(0.0, 0.0), |a, b| a + b)
        })
    });
    let mut grad = vec![c64::new(0.0, 0.0); x.len()];
    group.bench_function("impedance and gradient, 81 frequencies", |b| {
        b.iter(|| {
            f.iter()
                .map(|&f| circuit.impedance_and_gradient(black_box(&x), f, &mut grad))
                .fold(c64::new(0.0, 0.0), |a, b| a + b)
        })
    });

    let fit = |start: Option<&[f64]>, finite_differences: bool| {
        let options = CircuitFitOptions {
            start: start.map(<[f64]>::to_vec),
            finite_differences,
            ..Default::default()
        };
        fit_circuit_with(&circuit, &spectrum, &options).expect("a fit")
    };
    let optimum = fit(None, false).values;
    let names = circuit.parameter_names();
    let warm: Vec<f64> = optimum
        .iter()
        .zip(&names)
        .enumerate()
        .map(|(j, (&v, name))| {
            if name.ends_with("_n") {
                1.0
            } else {
                v * if j % 2 == 0 { 1.03 } else { 0.97 }
            }
        })
        .collect();
    group.sample_size(10);
    for (finite_differences, label) in [(false, "analytic"), (true, "finite differences")] {
        group.bench_function(format!("cold fit, {label}"), |b| {
            b.iter(|| fit(None, finite_differences))
        });
        group.bench_function(format!("warm fit, {label}"), |b| {
            b.iter(|| fit(Some(&warm), finite_differences))
        });
    }
    // As a run chains its fits: from the previous optimum alone (`start_only`).
    group.bench_function("warm fit from the start only, analytic", |b| {
        let options = CircuitFitOptions {
            start: Some(warm.clone()),
            start_only: true,
            ..Default::default()
        };
        b.iter(|| fit_circuit_with(&circuit, &spectrum, &options).expect("a fit"))
    });
    group.finish();
}

criterion_group!(circuit_fit, benches);
criterion_main!(circuit_fit);
