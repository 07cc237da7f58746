//! Synthetic measured data: a simulated run's per-cycle figures plus Gaussian noise, written in
//! the per-cycle schema of measured data. Fits are tested on such data (parameters known,
//! noise known: the fit must recover them within its reported uncertainty), and the fit
//! benchmark uses it (`benches/fit_1000_cycles/`).

use std::f64::consts::PI;
use std::ops::RangeInclusive;

use crate::measured::cycles::CycleColumn;
use crate::measured::{CurvePoint, Direction, MeasuredCurves, MeasuredCycles, Provenance};

use super::simulated::SimulatedRun;

/// Deterministic standard-normal noise: SplitMix64 (Steele, Lea & Flood, "Fast splittable
/// pseudorandom number generators", OOPSLA 2014) for uniforms, the Box–Muller transform for
/// normals. The same seed gives the same numbers on every machine.
#[derive(Debug, Clone)]
pub struct GaussianNoise(u64);

impl GaussianNoise {
    /// A generator started from `seed`.
    pub fn new(seed: u64) -> Self {
        GaussianNoise(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1).
    pub fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// Standard normal.
    pub fn normal(&mut self) -> f64 {
        let (u1, u2) = (self.uniform(), self.uniform());
        (-2.0 * u1.ln()).sqrt() * (2.0 * PI * u2).cos()
    }
}

/// Per-cycle data from `run`: for each `(column, sigma)` of `columns` (columns of
/// `summary.csv`), the value in each run cycle of `run_cycles` plus `sigma` times a standard
/// normal number from `noise` (in the column's unit), as measured cycle `n − cycle_offset`.
/// Cycles the run jumped over are interpolated ([`SimulatedRun::column`]); a cycle the run
/// did not reach gets no value. A `capacity_retention` column is relative to the first cycle
/// of `run_cycles`.
pub fn synthetic_cycles(
    run: &SimulatedRun,
    columns: &[(&str, f64)],
    run_cycles: RangeInclusive<usize>,
    cycle_offset: usize,
    noise: &mut GaussianNoise,
    provenance: Provenance,
) -> MeasuredCycles {
    let first = *run_cycles.start();
    let cycles: Vec<usize> = run_cycles.filter(|&c| c > cycle_offset).collect();
    let columns = columns
        .iter()
        .map(|&(name, sigma)| CycleColumn {
            name: name.to_string(),
            values: cycles
                .iter()
                .map(|&c| {
                    let e = sigma * noise.normal();
                    run.column(c, name, Some(first))
                        .filter(|v| v.is_finite())
                        .map(|v| v + e)
                })
                .collect(),
        })
        .collect();
    MeasuredCycles {
        provenance,
        cycles: cycles.iter().map(|&c| (c - cycle_offset) as u32).collect(),
        columns,
    }
}

/// Voltage curves from `run`: for each `(run cycle, direction)` of `curves`, the simulated
/// curve ([`SimulatedRun::curve`]; its rows must have been recorded) at `points` capacities
/// evenly spaced from 0 to its end, each voltage plus `sigma_v` \[V\] times a standard normal
/// number, as measured cycle `n − cycle_offset`. A curve the run did not record is left out.
pub fn synthetic_curves(
    run: &SimulatedRun,
    curves: &[(usize, Direction)],
    points: usize,
    sigma_v: f64,
    cycle_offset: usize,
    noise: &mut GaussianNoise,
    provenance: Provenance,
) -> MeasuredCurves {
    let mut out = Vec::new();
    for &(cycle, direction) in curves {
        let curve = run.curve(cycle, direction);
        let Some(&(end, _)) = curve.last() else {
            continue;
        };
        if cycle <= cycle_offset || points < 2 {
            continue;
        }
        for k in 0..points {
            let q = end * k as f64 / (points - 1) as f64;
            let at = curve.partition_point(|p| p.0 < q).min(curve.len() - 1);
            let v = if at == 0 || curve[at].0 == curve[at - 1].0 {
                curve[at].1
            } else {
                let (a, b) = (curve[at - 1], curve[at]);
                a.1 + (b.1 - a.1) * (q - a.0) / (b.0 - a.0)
            };
            out.push(CurvePoint {
                cycle: (cycle - cycle_offset) as u32,
                step: Some(direction),
                capacity_mah_g: q,
                voltage_v: v + sigma_v * noise.normal(),
            });
        }
    }
    MeasuredCurves {
        provenance,
        points: out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_noise_is_standard_normal_and_repeatable() {
        let mut a = GaussianNoise::new(7);
        let x: Vec<f64> = (0..20_000).map(|_| a.normal()).collect();
        let mean = x.iter().sum::<f64>() / x.len() as f64;
        let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / x.len() as f64;
        assert!(mean.abs() < 0.03, "{mean}");
        assert!((var - 1.0).abs() < 0.03, "{var}");
        let mut b = GaussianNoise::new(7);
        assert_eq!(b.normal(), x[0]);
    }
}
