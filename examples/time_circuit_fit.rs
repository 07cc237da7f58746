//! Times equivalent-circuit fits of the paper circuit `R0-p(R1,CPE1)-p(R2,CPE2)-p(R3,CPE3)-W1`
//! (11 parameters) to 81-point synthetic spectra (10 mHz – 1 MHz, 10 per decade), and prints
//! one line per case and Jacobian: the median wall time per fit over `runs` repetitions and
//! the residual and Jacobian evaluations of one fit, with the analytic Jacobian (the default)
//! and with finite differences (`CircuitFitOptions::finite_differences`, the method before the
//! analytic Jacobian).
//!
//! Cases:
//! - `cold paper`: automatic start (multi-start) on the spectrum of the test truth
//!   (CPE exponents 0.92, 0.85, 0.8), as in `tests/circuit_fit.rs`;
//! - `cold ideal`: automatic start on the spectrum of the same circuit with ideal capacitors
//!   (every n = 1, as the model's own spectra have), where the exponents end on their bound;
//! - `warm ideal`: the ideal spectrum from the cold optimum with R, Q and σ perturbed by a few
//!   per cent and every n on its bound 1.0 (a fit from the previous spectrum's optimum during
//!   a cycling run; the fit also tries the resistances halved and doubled).
//!
//! Run: `cargo run --release --example time_circuit_fit [-- runs]` (default 20).

use std::f64::consts::PI;
use std::time::Instant;

use asslb::impedance::{
    fit_circuit, fit_circuit_with, Circuit, CircuitFitOptions, Spectrum, PAPER_CIRCUIT,
};

fn q_for_peak(r: f64, f_peak: f64, n: f64) -> f64 {
    1.0 / (r * (2.0 * PI * f_peak).powf(n))
}

/// The truth of `tests/circuit_fit.rs` with CPE exponents `n`.
fn truth(n: [f64; 3]) -> Vec<f64> {
    vec![
        52.0,
        20.0,
        q_for_peak(20.0, 2e5, n[0]),
        n[0],
        69.0,
        q_for_peak(69.0, 2e3, n[1]),
        n[1],
        10.0,
        q_for_peak(10.0, 1.0, n[2]),
        n[2],
        1.5,
    ]
}

fn spectrum(circuit: &Circuit, params: &[f64]) -> Spectrum {
    let f: Vec<f64> = (0..=80)
        .rev()
        .map(|k| 1e-2 * 10f64.powf(k as f64 / 10.0))
        .collect();
    let z = f.iter().map(|&f| circuit.impedance(params, f)).collect();
    Spectrum::new(f, z).expect("a valid spectrum")
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn time(label: &str, runs: usize, fit: impl Fn() -> (usize, usize, f64, bool)) {
    let (evaluations, jacobians, ssr, converged) = fit();
    let times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(fit());
            t.elapsed().as_secs_f64()
        })
        .collect();
    println!(
        "{label:<16} {:9.3} ms/fit  {evaluations:6} residual + {jacobians:4} Jacobian evaluations  SSR {ssr:.3e}  converged {converged}",
        1e3 * median(times)
    );
}

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20);
    let circuit = Circuit::parse(PAPER_CIRCUIT).expect("the paper circuit");
    let paper = spectrum(&circuit, &truth([0.92, 0.85, 0.8]));
    let ideal = spectrum(&circuit, &truth([1.0, 1.0, 1.0]));
    let run = |s: &Spectrum, start: Option<&[f64]>, finite_differences: bool| {
        let options = CircuitFitOptions {
            start: start.map(<[f64]>::to_vec),
            finite_differences,
            ..Default::default()
        };
        let fit = fit_circuit_with(&circuit, s, &options).expect("a fit");
        (
            fit.evaluations,
            fit.jacobian_evaluations,
            fit.ssr,
            fit.converged,
        )
    };
    for (fd, label) in [(false, "analytic"), (true, "fin. diff.")] {
        time(&format!("cold paper {label}"), runs, || {
            run(&paper, None, fd)
        });
        time(&format!("cold ideal {label}"), runs, || {
            run(&ideal, None, fd)
        });
    }
    let optimum = fit_circuit(&circuit, &ideal, None).expect("a fit").values;
    let start: Vec<f64> = optimum
        .iter()
        .zip(circuit.parameter_names())
        .enumerate()
        .map(|(j, (&x, name))| {
            if name.ends_with("_n") {
                1.0
            } else {
                x * (1.0 + 0.03 * if j % 2 == 0 { 1.0 } else { -1.0 })
            }
        })
        .collect();
    for (fd, label) in [(false, "analytic"), (true, "fin. diff.")] {
        time(&format!("warm ideal {label}"), runs, || {
            run(&ideal, Some(&start), fd)
        });
    }
}
