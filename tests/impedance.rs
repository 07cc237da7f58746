//! Needs the solver: the small-signal impedance of the model against the time domain. A small
//! sinusoidal current is applied through the IDA integration of the full nonlinear model; the
//! voltage's in-phase and quadrature parts (least squares over the last periods) give the
//! impedance, which must match the linearised one within 1 %, from the diffusion tail to the
//! grain-boundary arc.

use asslb::numerics::ida::{Ida, IdaOptions};
use asslb::numerics::mesh::MeshSettings;
use asslb::physics::p2d::{Control, P2dModel};
use asslb::physics::parameters::GrainBoundary;
use asslb::scenario::load_parameter_set;
use faer::c64;

/// The solid verification cell with double layers at both interfaces and grain boundaries in
/// the separator (the arcs need them).
fn model() -> P2dModel {
    let mut p = load_parameter_set("solid_halfcell_single_ion").expect("built-in set");
    p.positive.double_layer_capacitance_f_m2 = 0.2;
    p.negative.double_layer_capacitance_f_m2 = 0.1;
    p.separator.grain_boundary = Some(GrainBoundary {
        resistance_ohm_m2: 2e-3,
        capacitance_f_m2: 3e-4,
    });
    P2dModel::new(&p, &MeshSettings::default()).expect("model")
}

/// Least-squares fit of `v(t) = c0 + c1 (t − t0) + s sin(ωt) + c cos(ωt)`; returns (s, c).
fn fit(t: &[f64], v: &[f64], omega: f64) -> (f64, f64) {
    use faer::linalg::solvers::Solve;
    let t0 = t[0];
    let basis = |x: f64| [1.0, x - t0, (omega * x).sin(), (omega * x).cos()];
    let a = faer::Mat::<f64>::from_fn(t.len(), 4, |i, j| basis(t[i])[j]);
    let b = faer::Mat::<f64>::from_fn(v.len(), 1, |i, _| v[i]);
    let normal = a.transpose() * &a;
    let rhs = a.transpose() * &b;
    let x = normal.partial_piv_lu().solve(&rhs);
    (x[(2, 0)], x[(3, 0)])
}

#[test]
fn the_linearised_impedance_matches_a_small_sinusoid_in_the_time_domain() {
    let mut linear = model();
    let y0 = linear.rest_state();
    let yp0 = vec![0.0; y0.len()];
    let frequencies = [1.0, 100.0, 1e4, 3e5];
    let z = linear
        .impedance(&y0, &yp0, &frequencies)
        .expect("impedance");
    for (&f, &zf) in frequencies.iter().zip(&z) {
        let mut m = model();
        let area = m.area_m2();
        let omega = 2.0 * std::f64::consts::PI * f;
        // 0.1 % of 1C: small enough to stay linear.
        let amplitude = 1e-3 * 0.0007202 / area;
        m.set_control(Control::SineCurrent {
            i0_a_m2: 0.0,
            amplitude_a_m2: amplitude,
            omega_rad_s: omega,
        });
        let options = IdaOptions {
            rtol: 1e-9,
            atol: 1e-12,
            max_step: Some(0.02 / f),
            ..IdaOptions::default()
        };
        let mut ida = Ida::new(m, 0.0, &y0, &yp0, &options).expect("solver");
        let periods = 8.0;
        let samples_per_period = 64;
        let (mut t, mut v) = (Vec::new(), Vec::new());
        let total = (periods * samples_per_period as f64) as usize;
        for k in 1..=total {
            let tk = k as f64 / (samples_per_period as f64 * f);
            ida.advance_to(tk).expect("integration");
            // Fit over the last three periods.
            if k > total - 3 * samples_per_period {
                t.push(tk);
                v.push(ida.system().voltage(ida.y()));
            }
        }
        let (s, c) = fit(&t, &v, omega);
        let z_time = -c64::new(s, c) / (amplitude * area);
        let error = (z_time - zf).norm() / zf.norm();
        println!(
            "{f} Hz: linearised {:.4} {:+.4}i Ω, time domain {:.4} {:+.4}i Ω, difference {:.3} %",
            zf.re,
            zf.im,
            z_time.re,
            z_time.im,
            100.0 * error
        );
        assert!(error < 0.01, "{f} Hz: {zf:?} against {z_time:?}");
    }
}

/// A model whose capacitances do not charge in its time integration (the default for runs)
/// still has them in its spectrum: the same impedance at every frequency, and the switch is
/// left as it was.
#[test]
fn the_spectrum_includes_the_capacitances_of_a_quasi_static_model() {
    let mut full = model();
    let mut quasi_static = model();
    quasi_static.set_capacitive_charging(false);
    let y = full.rest_state();
    let yp = vec![0.0; y.len()];
    let f = asslb::numerics::small_signal::log_frequencies(0.01, 1e6, 5);
    let a = full.impedance(&y, &yp, &f).expect("spectrum");
    let b = quasi_static.impedance(&y, &yp, &f).expect("spectrum");
    for (za, zb) in a.iter().zip(&b) {
        assert!((za - zb).norm() < 1e-12 * za.norm(), "{za} vs {zb}");
    }
    assert!(!quasi_static.capacitive_charging());
    // The capacitive arcs are there: at 1 MHz only the bulk is left, well below the
    // low-frequency resistance.
    assert!(a[a.len() - 1].re < 0.5 * a[0].re);
}
