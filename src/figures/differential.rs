//! The differential-capacity figure of a run, `differential_capacity.{png,svg}`: for the saved
//! cycles, dQ/dV against the positive electrode's potential vs Li/Li+ (top; charge positive, discharge negative, the usual
//! convention of incremental-capacity analysis) and dV/dQ against capacity (bottom), one
//! colour per cycle from dark (first) to light (last), as in `voltage_capacity`.
//!
//! The derivatives are finite differences over the saved curve's points, taken over steps of
//! at least [`VOLTAGE_STEP_V`] (dQ/dV) or [`CAPACITY_STEP_FRACTION`] of the largest capacity
//! (dV/dQ): the points are as dense as the solver's output, and differences over shorter steps
//! amplify the last digits of the output into noise. A simulated curve needs no smoothing
//! beyond that; the steps are those of a careful analysis of measured data (Dubarry et al.,
//! J. Power Sources 196 (2011) 10328 use 5-10 mV).
//!
//! Peaks at plateaus (two-phase reactions, the anionic plateau) are tall and narrow; the axes
//! span the 0.5th to 99.5th percentile of the values so that the shape of the rest stays
//! readable, and say so when points fall outside.

use std::ops::Range;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::error::backend;
use super::frame::{
    axis_range, corner_note, cycle_colour_of, draw_mesh, draw_side_legend, finite_bounds, note,
    quantile_bounds, tick_formatter, titled, Figure,
};
use super::run_data::{CycleCurve, RunFigureData};
use super::FigureError;

/// File stem of the differential-capacity figure.
pub const DIFFERENTIAL_CAPACITY_PLOT: &str = "differential_capacity";

/// Smallest voltage step of a dQ/dV difference \[V\].
pub const VOLTAGE_STEP_V: f64 = 5e-3;

/// Smallest capacity step of a dV/dQ difference, as a fraction of the largest capacity of the
/// saved curves \[-\].
pub const CAPACITY_STEP_FRACTION: f64 = 5e-3;

/// dQ/dV of one branch, `(q, v)` points in the order recorded: `(v_mid, ΔQ/ΔV)` over steps of
/// at least `dv` in voltage, ΔQ counted positive (the caller gives discharge its sign).
pub fn incremental_capacity(branch: &[(f64, f64)], dv: f64) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    let Some(&first) = branch.first() else {
        return out;
    };
    let mut start = first;
    for &(q, v) in &branch[1..] {
        let delta_v = (v - start.1).abs();
        if delta_v >= dv {
            out.push((0.5 * (v + start.1), (q - start.0).abs() / delta_v));
            start = (q, v);
        }
    }
    out
}

/// dV/dQ of one branch: `(q_mid, |ΔV|/ΔQ)` over capacity steps of at least `dq`.
pub fn differential_voltage(branch: &[(f64, f64)], dq: f64) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    let Some(&first) = branch.first() else {
        return out;
    };
    let mut start = first;
    for &(q, v) in &branch[1..] {
        let delta_q = (q - start.0).abs();
        if delta_q >= dq && delta_q > 0.0 {
            out.push((0.5 * (q + start.0), (v - start.1).abs() / delta_q));
            start = (q, v);
        }
    }
    out
}

/// Figure: dQ/dV and dV/dQ of the saved cycles.
pub(super) struct DifferentialCapacity<'a>(pub(super) &'a RunFigureData);

/// One cycle's derivatives, in the plotted units.
struct CycleDerivatives {
    cycle: usize,
    /// dQ/dV, charge (positive) and discharge (negative) branches.
    dq_dv: [Vec<(f64, f64)>; 2],
    /// dV/dQ, charge and discharge branches.
    dv_dq: [Vec<(f64, f64)>; 2],
}

impl Figure for DifferentialCapacity<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), FigureError> {
        let data = self.0;
        let (scale, q_unit) = data.capacity_scale();
        let q_max = finite_bounds(
            data.curves
                .iter()
                .flat_map(|c| c.charge.iter().chain(c.discharge.iter()))
                .map(|p| p.0 * scale),
        )
        .map_or(1.0, |(_, hi)| hi.max(f64::MIN_POSITIVE));
        let dq = CAPACITY_STEP_FRACTION * q_max;
        // The voltage axis is the positive electrode's vs Li/Li+, where peaks belong to the
        // chemistry whatever the counter electrode (cell voltage plus its potential).
        let counter = Some(data.counter_potential_v)
            .filter(|v| v.is_finite())
            .unwrap_or(0.0);
        let derivatives: Vec<CycleDerivatives> = data
            .curves
            .iter()
            .map(|c: &CycleCurve| {
                let scaled = |b: &[(f64, f64)]| -> Vec<(f64, f64)> {
                    b.iter()
                        .map(|&(q, v)| (q * scale, v))
                        .filter(|p| p.0.is_finite() && p.1.is_finite())
                        .collect()
                };
                let (charge, discharge) = (scaled(&c.charge), scaled(&c.discharge));
                let shifted = |points: Vec<(f64, f64)>, sign: f64| {
                    points
                        .into_iter()
                        .map(|(v, d)| (v + counter, sign * d))
                        .collect::<Vec<_>>()
                };
                CycleDerivatives {
                    cycle: c.cycle,
                    dq_dv: [
                        shifted(incremental_capacity(&charge, VOLTAGE_STEP_V), 1.0),
                        shifted(incremental_capacity(&discharge, VOLTAGE_STEP_V), -1.0),
                    ],
                    dv_dq: [
                        differential_voltage(&charge, dq),
                        differential_voltage(&discharge, dq),
                    ],
                }
            })
            .collect();

        let root = titled(root, "Differential capacity and voltage, saved cycles")?;
        let (w, _) = root.dim_in_pixel();
        let (plots, legend_area) = root.split_horizontally(w.saturating_sub(190));
        let panels = plots.split_evenly((2, 1));
        let y_unit = format!("dQ/dV ({q_unit}/V)");
        let dv_unit = format!("dV/dQ (V per {q_unit})");
        let top = Panel {
            x_desc: "Positive electrode vs Li/Li+ (V)",
            y_desc: &y_unit,
            series: derivatives.iter().map(|d| &d.dq_dv).collect(),
        };
        let bottom = Panel {
            x_desc: if data.active_mass_kg.is_some() {
                "Specific capacity (mAh/g)"
            } else {
                "Capacity (mAh)"
            },
            y_desc: &dv_unit,
            series: derivatives.iter().map(|d| &d.dv_dq).collect(),
        };
        top.draw(&panels[0])?;
        bottom.draw(&panels[1])?;
        if derivatives.is_empty() {
            return note(&panels[0], "no saved cycle");
        }
        let n = derivatives.len();
        let legend: Vec<(String, RGBColor)> = derivatives
            .iter()
            .enumerate()
            .map(|(i, d)| (format!("cycle {}", d.cycle), cycle_colour_of(i, n)))
            .collect();
        draw_side_legend(&legend_area, &legend)
    }
}

/// One panel: per cycle, its two branches.
struct Panel<'a> {
    x_desc: &'a str,
    y_desc: &'a str,
    series: Vec<&'a [Vec<(f64, f64)>; 2]>,
}

impl Panel<'_> {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), FigureError> {
        let points = || self.series.iter().flat_map(|b| b.iter().flatten());
        let x_range = axis_range(finite_bounds(points().map(|p| p.0)), 0.03, 0.0..1.0);
        let ys: Vec<f64> = points().map(|p| p.1).filter(|y| y.is_finite()).collect();
        let y_range = y_range(&ys);
        let clipped = ys.iter().filter(|y| !y_range.contains(y)).count();
        let mut chart = ChartBuilder::on(area)
            .margin(20)
            .x_label_area_size(60)
            .y_label_area_size(120)
            .build_cartesian_2d(x_range.clone(), y_range.clone())
            .map_err(backend)?;
        draw_mesh(
            &mut chart,
            (self.x_desc, self.y_desc),
            10,
            &tick_formatter(&x_range, 10),
            &y_range,
            6,
        )?;
        let n = self.series.len();
        for (i, branches) in self.series.iter().enumerate() {
            let style = ShapeStyle::from(&cycle_colour_of(i, n)).stroke_width(2);
            for branch in branches.iter().filter(|b| b.len() >= 2) {
                chart
                    .draw_series(LineSeries::new(branch.iter().copied(), style))
                    .map_err(backend)?;
            }
        }
        if clipped > 0 {
            corner_note(
                area,
                &format!("{clipped} points outside the 0.5-99.5th percentile axis"),
            )?;
        }
        Ok(())
    }
}

/// The vertical axis: the 0.5th to 99.5th percentile of the values, with 0 in range.
fn y_range(values: &[f64]) -> Range<f64> {
    let bounds = quantile_bounds(values, 0.005).map(|(lo, hi)| (lo.min(0.0), hi.max(0.0)));
    axis_range(bounds, 0.05, 0.0..1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_linear_curve_has_a_constant_derivative() {
        // V = 3 + 0.01 Q (Q in mAh/g): dQ/dV = 100, dV/dQ = 0.01.
        let branch: Vec<(f64, f64)> = (0..=200)
            .map(|i| {
                let q = i as f64;
                (q, 3.0 + 0.01 * q)
            })
            .collect();
        let ic = incremental_capacity(&branch, VOLTAGE_STEP_V);
        assert!(!ic.is_empty());
        assert!(ic.iter().all(|&(_, d)| (d - 100.0).abs() < 1e-9), "{ic:?}");
        // Steps of at least 5 mV: one point per 0.5 mAh/g... here every 1 mAh/g (10 mV).
        assert_eq!(ic.len(), 200);
        let dv = differential_voltage(&branch, 1.0);
        assert!(dv.iter().all(|&(_, d)| (d - 0.01).abs() < 1e-12), "{dv:?}");
        // A discharge branch (voltage falling) gives the same magnitudes.
        let falling: Vec<(f64, f64)> = branch.iter().map(|&(q, v)| (q, 7.0 - v)).collect();
        assert!(incremental_capacity(&falling, VOLTAGE_STEP_V)
            .iter()
            .all(|&(_, d)| (d - 100.0).abs() < 1e-9));
        assert!(incremental_capacity(&[], VOLTAGE_STEP_V).is_empty());
    }

    #[test]
    fn a_plateau_is_a_peak_of_dq_dv() {
        // 100 mAh/g at 3.70 V between two sloping parts.
        let mut branch = Vec::new();
        for i in 0..=100 {
            branch.push((i as f64, 3.0 + 0.007 * i as f64));
        }
        for i in 1..=100 {
            branch.push((100.0 + i as f64, 3.7 + 1e-5 * i as f64));
        }
        for i in 1..=100 {
            branch.push((200.0 + i as f64, 3.701 + 0.007 * i as f64));
        }
        let ic = incremental_capacity(&branch, VOLTAGE_STEP_V);
        let (v_peak, peak) = ic
            .iter()
            .copied()
            .fold((0.0, 0.0), |a, b| if b.1 > a.1 { b } else { a });
        assert!((v_peak - 3.70).abs() < 0.01, "{v_peak}");
        assert!(peak > 10.0 * (1.0 / 0.007), "{peak}");
    }
}
