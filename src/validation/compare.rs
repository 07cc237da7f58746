//! Measured against simulated: one [`Comparison`] per target point, per column of per-cycle
//! data and per voltage curve, each with its deviations in the terms of its tolerance and the
//! verdict; and the same deviations divided by their tolerances as the residuals of a fit.
//!
//! Simulated values:
//! - a `summary.csv` column at the target's cycle (a fraction or a per-gram figure, exactly as
//!   `summary.csv` has it);
//! - `coulombic_efficiency_percent`: 100 × the coulombic efficiency of the cycle;
//! - `capacity_retention_percent`: 100 × discharge capacity of the cycle over that of the
//!   reference cycle;
//! - `mean_discharge_voltage_decay_mV`: 1000 × (mean discharge voltage of the reference cycle −
//!   that of the cycle);
//! - `cationic_capacity_mAh_g`: a property of the parameters, the cation-only capacity in the
//!   cell's window;
//! - a target placed with `impedance = "<R>"`: that resistance of the run's equivalent circuit
//!   fitted to the spectrum the run takes at the target's cycle (after the step and rest of
//!   the scenario's `[impedance]` section), as the measured value is an EIS fit;
//! - a per-cycle column: the column at measured cycle n + the file's offset; a
//!   `capacity_retention` column is relative to the first measured cycle (shifted);
//! - a voltage curve: the simulated voltage at each measured capacity, interpolated linearly
//!   on the simulated curve of the same cycle and direction (rows sorted into curves by their
//!   step, [`super::simulated`]); a measured point beyond the end of the simulated curve is
//!   compared with the simulated curve's last voltage.
//!
//! A curve point's deviation is weighted for the slope of the curve (the effective-variance
//! method for errors in both variables: Orear, Am. J. Phys. 50 (1982) 912): with σ_V the
//! voltage tolerance, σ_Q a capacity uncertainty and s the slope dV/dQ of the simulated curve
//! around the point (a secant over ±σ_Q),
//!
//! d = (V_sim(Q) − V_meas) / √(1 + (s σ_Q / σ_V)²).
//!
//! Where the curve is flat, d is the voltage difference; near a cut-off, where a tiny
//! difference in capacity is a large one in voltage, d tends to σ_V ΔQ/σ_Q, the capacity
//! difference in units of its uncertainty. A fit then sees residuals of the size of the
//! noise, smooth in the parameters, instead of tens of tolerances at the knee. For a measured
//! point beyond the end of the simulated curve, V_sim is the curve continued at that slope
//! (the series shown keeps its last voltage), so that d keeps growing with the capacity the
//! simulation falls short by instead of stalling at the cut-off voltage.

use crate::measured::Direction;

use super::simulated::SimulatedRun;
use super::spec::{
    describe_cycles, Criterion, CurvesCheck, CyclesCheck, PointCheck, Tolerance, ValidationSpec,
};

/// What kind of measured data a comparison is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComparisonKind {
    /// A target point.
    Point,
    /// A column of per-cycle data.
    Cycles,
    /// A voltage curve.
    Curve,
}

/// One measured quantity against the simulation.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// Point, per-cycle column or curve.
    pub kind: ComparisonKind,
    /// The target id, or the data file's name.
    pub id: String,
    /// The quantity (a target's quantity, a per-cycle column, or `voltage_V`).
    pub quantity: String,
    /// Its unit.
    pub unit: String,
    /// The run compared with.
    pub run: String,
    /// The run's cycles compared (`11`, `11–1010`, …), or `-`.
    pub cycles: String,
    /// For a retention or decay target: the run's cycle it is relative to.
    pub reference_cycle: Option<usize>,
    /// The measured conditions (from the provenance).
    pub conditions: String,
    /// Where the data come from (source; figure or table).
    pub source: String,
    /// The measured value shown: the point's, or for a series the one at its largest deviation.
    pub measured: f64,
    /// The simulated value beside it (NaN when the run did not reach it).
    pub simulated: f64,
    /// The deviation judged: the point's, or the series' RMS or largest (by its criterion), in
    /// the tolerance's terms.
    pub error: f64,
    /// The tolerance.
    pub tolerance: Tolerance,
    /// For a series: how its deviations are judged.
    pub criterion: Option<Criterion>,
    /// Whether the error is within the tolerance.
    pub pass: bool,
    /// The deviation of every compared point divided by the tolerance (the residuals of a
    /// fit); NaN where the simulated value is missing.
    pub residuals: Vec<f64>,
    /// The measured and simulated series (x, measured, simulated) for a per-cycle column
    /// (x the run's cycle) or a curve (x the capacity \[mA·h/g\]); the point for a target.
    pub series: Vec<(f64, f64, f64)>,
    /// The standard uncertainty of the simulated value propagated from a fit's covariance, in
    /// the error's terms (for a series: the root mean square over its points); `None` when no
    /// fit's prediction bands apply ([`crate::validation::bands`]).
    pub prediction_std: Option<f64>,
}

impl Comparison {
    fn judge(mut self) -> Self {
        self.pass = self.error.is_finite() && self.error.abs() <= self.tolerance.value;
        self
    }
}

/// Every comparison of `spec` against `runs` (indexed like `spec.runs`): its points in file
/// order, then the per-cycle columns, then the curves.
pub fn compare(spec: &ValidationSpec, runs: &[SimulatedRun]) -> Vec<Comparison> {
    let mut out = Vec::new();
    for p in &spec.points {
        out.push(point(p, &runs[p.run]));
    }
    for c in &spec.cycles {
        out.extend(cycles(c, &runs[c.run]));
    }
    for c in &spec.curves {
        out.extend(curves(c, &runs[c.run]));
    }
    out
}

/// The simulated value of target `p` in `run` (NaN when the run did not reach its cycles).
pub fn simulated_point(p: &PointCheck, run: &SimulatedRun) -> f64 {
    let q = p.target.quantity.as_str();
    let cycle = p.cycle.unwrap_or(0);
    let col = |c: usize, name: &str| run.column(c, name, p.reference_cycle).unwrap_or(f64::NAN);
    if let Some(element) = &p.impedance_element {
        return run.impedance_value(cycle, element).unwrap_or(f64::NAN);
    }
    match q {
        "cationic_capacity_mAh_g" => run.cationic_capacity_mah_g.unwrap_or(f64::NAN),
        "coulombic_efficiency_percent" => 100.0 * col(cycle, "coulombic_efficiency"),
        "capacity_retention_percent" => {
            let reference = p.reference_cycle.unwrap_or(cycle);
            100.0 * col(cycle, "discharge_capacity_Ah") / col(reference, "discharge_capacity_Ah")
        }
        "mean_discharge_voltage_decay_mV" => {
            let reference = p.reference_cycle.unwrap_or(cycle);
            1e3 * (col(reference, "mean_discharge_voltage_V")
                - col(cycle, "mean_discharge_voltage_V"))
        }
        column => col(cycle, column),
    }
}

fn point(p: &PointCheck, run: &SimulatedRun) -> Comparison {
    let t = &p.target;
    let simulated = simulated_point(p, run);
    let tolerance = Tolerance {
        value: t.tolerance,
        kind: t.tolerance_kind,
    };
    let error = tolerance.deviation(t.value, simulated);
    let cycles = match (p.cycle, p.reference_cycle, &p.impedance_element) {
        (Some(c), Some(r), _) => format!("{c} (vs {r})"),
        (Some(c), None, Some(e)) => format!("{c} (EIS fit {e})"),
        (Some(c), None, None) => c.to_string(),
        _ => "-".into(),
    };
    Comparison {
        kind: ComparisonKind::Point,
        id: t.id.clone(),
        quantity: t.quantity.clone(),
        unit: t.unit.clone(),
        run: run.label.clone(),
        cycles,
        reference_cycle: p.reference_cycle,
        conditions: t.provenance.conditions.clone(),
        source: format!("{}; {}", t.provenance.source, t.provenance.figure_or_table),
        measured: t.value,
        simulated,
        error,
        tolerance,
        criterion: None,
        pass: false,
        residuals: vec![error / tolerance.value],
        series: vec![(p.cycle.unwrap_or(0) as f64, t.value, simulated)],
        prediction_std: None,
    }
    .judge()
}

/// The error of a series of deviations by `criterion`, and the index of the largest.
fn series_error(deviations: &[f64], criterion: Criterion) -> (f64, Option<usize>) {
    let worst = deviations
        .iter()
        .enumerate()
        .max_by(|a, b| {
            let key = |v: f64| if v.is_nan() { f64::INFINITY } else { v.abs() };
            key(*a.1).total_cmp(&key(*b.1))
        })
        .map(|(k, _)| k);
    let error = match criterion {
        Criterion::Max => worst.map_or(f64::NAN, |k| deviations[k].abs()),
        Criterion::Rms => {
            (deviations.iter().map(|d| d * d).sum::<f64>() / deviations.len() as f64).sqrt()
        }
    };
    (error, worst)
}

fn cycles(c: &CyclesCheck, run: &SimulatedRun) -> Vec<Comparison> {
    let name = file_name(&c.file);
    let p = &c.data.provenance;
    let first = c.data.cycles.first().map(|&n| n as usize + c.cycle_offset);
    let mut out = Vec::new();
    for (column, tolerance) in &c.tolerances {
        let Some(values) = c.data.column(column) else {
            continue;
        };
        let mut series = Vec::new();
        let mut deviations = Vec::new();
        let mut compared = Vec::new();
        for (&n, v) in c.data.cycles.iter().zip(values) {
            let Some(measured) = *v else { continue };
            let cycle = n as usize + c.cycle_offset;
            let simulated = run.column(cycle, column, first).unwrap_or(f64::NAN);
            series.push((cycle as f64, measured, simulated));
            deviations.push(tolerance.deviation(measured, simulated));
            compared.push(cycle);
        }
        let (error, worst) = series_error(&deviations, c.criterion);
        let (measured, simulated) =
            worst.map_or((f64::NAN, f64::NAN), |k| (series[k].1, series[k].2));
        out.push(
            Comparison {
                kind: ComparisonKind::Cycles,
                id: name.clone(),
                quantity: column.clone(),
                unit: crate::measured::quantity(column)
                    .map_or("-", |q| q.unit)
                    .into(),
                run: run.label.clone(),
                cycles: describe_cycles(&compared),
                reference_cycle: None,
                conditions: p.conditions.clone(),
                source: format!("{}; {}", p.source, p.figure_or_table),
                measured,
                simulated,
                error,
                tolerance: *tolerance,
                criterion: Some(c.criterion),
                pass: false,
                residuals: deviations.iter().map(|d| d / tolerance.value).collect(),
                series,
                prediction_std: None,
            }
            .judge(),
        );
    }
    out
}

/// At most this many points of a measured curve are compared (evenly thinned), so that a
/// densely sampled curve does not outweigh every other comparison in a fit.
const CURVE_POINTS: usize = 200;

/// The capacity uncertainty σ_Q of a curve's points when the file gives none
/// (`tolerance_mAh_g`): this fraction of the curve's last measured capacity.
pub const CAPACITY_TOLERANCE_FRACTION: f64 = 0.0005;

fn curves(c: &CurvesCheck, run: &SimulatedRun) -> Vec<Comparison> {
    let name = file_name(&c.file);
    let p = &c.data.provenance;
    let has_steps = c.data.points.iter().any(|p| p.step.is_some());
    let directions: Vec<Option<Direction>> = if has_steps {
        vec![Some(Direction::Charge), Some(Direction::Discharge)]
    } else {
        vec![None]
    };
    let mut out = Vec::new();
    for n in c.data.cycles() {
        for &d in &directions {
            let measured = c.data.curve(n, d);
            if measured.is_empty() {
                continue;
            }
            let direction = d.unwrap_or(c.step);
            let cycle = n as usize + c.cycle_offset;
            let simulated = run.curve(cycle, direction);
            let stride = measured.len().div_ceil(CURVE_POINTS);
            let series: Vec<(f64, f64, f64)> = measured
                .iter()
                .step_by(stride.max(1))
                .map(|&(q, v)| (q, v, voltage_at(&simulated, q)))
                .collect();
            let sigma_q = c.capacity_tolerance.unwrap_or_else(|| {
                let end = measured.iter().fold(0.0f64, |m, p| m.max(p.0));
                CAPACITY_TOLERANCE_FRACTION * end
            });
            let deviations: Vec<f64> = series
                .iter()
                .map(|&(q, m, s)| {
                    let slope = secant_slope(&simulated, q, sigma_q);
                    let weight = (1.0 + (slope * sigma_q / c.tolerance.value).powi(2)).sqrt();
                    c.tolerance.deviation(m, s + slope * beyond(&simulated, q)) / weight
                })
                .collect();
            let (error, worst) = series_error(&deviations, c.criterion);
            let (m, s) = worst.map_or((f64::NAN, f64::NAN), |k| (series[k].1, series[k].2));
            out.push(
                Comparison {
                    kind: ComparisonKind::Curve,
                    id: name.clone(),
                    quantity: format!("voltage_V ({})", direction.name()),
                    unit: "V".into(),
                    run: run.label.clone(),
                    cycles: cycle.to_string(),
                    reference_cycle: None,
                    conditions: p.conditions.clone(),
                    source: format!("{}; {}", p.source, p.figure_or_table),
                    measured: m,
                    simulated: s,
                    error,
                    tolerance: c.tolerance,
                    criterion: Some(c.criterion),
                    pass: false,
                    residuals: deviations.iter().map(|d| d / c.tolerance.value).collect(),
                    series,
                    prediction_std: None,
                }
                .judge(),
            );
        }
    }
    out
}

/// The voltage of the simulated curve `curve` (capacity increasing) at capacity `q`: linear
/// interpolation; the last voltage beyond its end, the first before its start; NaN for an
/// empty curve.
fn voltage_at(curve: &[(f64, f64)], q: f64) -> f64 {
    let (Some(first), Some(last)) = (curve.first(), curve.last()) else {
        return f64::NAN;
    };
    if q <= first.0 {
        return first.1;
    }
    if q >= last.0 {
        return last.1;
    }
    let k = curve.partition_point(|p| p.0 < q);
    let (a, b) = (curve[k - 1], curve[k]);
    if b.0 == a.0 {
        return b.1;
    }
    a.1 + (b.1 - a.1) * (q - a.0) / (b.0 - a.0)
}

/// How far capacity `q` lies outside the capacities of `curve`: q − its last beyond its end,
/// q − its first before its start, 0 within it (or for an empty curve).
fn beyond(curve: &[(f64, f64)], q: f64) -> f64 {
    match (curve.first(), curve.last()) {
        (Some(first), _) if q < first.0 => q - first.0,
        (_, Some(last)) if q > last.0 => q - last.0,
        _ => 0.0,
    }
}

/// The slope dV/dQ of the simulated curve `curve` around capacity `q`: the secant over
/// [q − h, q + h], the interval moved inside the curve where it would reach past an end (the
/// whole curve when shorter than 2h); 0 for h ≤ 0 or a curve of fewer than two capacities.
fn secant_slope(curve: &[(f64, f64)], q: f64, h: f64) -> f64 {
    let (Some(first), Some(last)) = (curve.first(), curve.last()) else {
        return 0.0;
    };
    let (lo, hi) = (first.0, last.0);
    if !(h > 0.0 && hi > lo) {
        return 0.0;
    }
    if hi - lo <= 2.0 * h {
        return (last.1 - first.1) / (hi - lo);
    }
    let c = q.clamp(lo + h, hi - h);
    (voltage_at(curve, c + h) - voltage_at(curve, c - h)) / (2.0 * h)
}

fn file_name(path: &std::path::Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn voltage_is_interpolated_and_held_beyond_the_ends() {
        let c = [(0.0, 4.0), (10.0, 3.0), (20.0, 2.0)];
        assert_eq!(voltage_at(&c, 5.0), 3.5);
        assert_eq!(voltage_at(&c, 25.0), 2.0);
        assert_eq!(voltage_at(&c, -1.0), 4.0);
        assert!(voltage_at(&[], 1.0).is_nan());
    }

    #[test]
    fn points_outside_a_curve_are_measured_from_its_ends() {
        let c = [(1.0, 4.0), (10.0, 3.0)];
        assert_eq!(beyond(&c, 12.5), 2.5);
        assert_eq!(beyond(&c, 0.5), -0.5);
        assert_eq!(beyond(&c, 5.0), 0.0);
        assert_eq!(beyond(&[], 5.0), 0.0);
    }

    #[test]
    fn the_slope_is_a_secant_kept_inside_the_curve() {
        // Flat to 10, then 1 V per unit down to 12.
        let c = [(0.0, 4.0), (10.0, 4.0), (12.0, 2.0)];
        assert_eq!(secant_slope(&c, 5.0, 1.0), 0.0);
        assert_eq!(secant_slope(&c, 11.0, 1.0), -1.0);
        // Past the end: the last 2h of the curve.
        assert_eq!(secant_slope(&c, 20.0, 1.0), -1.0);
        assert_eq!(secant_slope(&c, 10.0, 0.5), -0.5);
        // A curve shorter than 2h, a zero width, too few points.
        assert_eq!(secant_slope(&c, 1.0, 10.0), -2.0 / 12.0);
        assert_eq!(secant_slope(&c, 11.0, 0.0), 0.0);
        assert_eq!(secant_slope(&c[..1], 0.0, 1.0), 0.0);
    }

    #[test]
    fn series_are_judged_by_rms_or_largest_deviation() {
        let d = [1.0, -3.0, 2.0];
        let (rms, worst) = series_error(&d, Criterion::Rms);
        assert!((rms - (14.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert_eq!(worst, Some(1));
        assert_eq!(series_error(&d, Criterion::Max).0, 3.0);
        // A missing simulated value is the worst and fails the series.
        let (e, worst) = series_error(&[1.0, f64::NAN], Criterion::Rms);
        assert!(e.is_nan());
        assert_eq!(worst, Some(1));
    }
}
