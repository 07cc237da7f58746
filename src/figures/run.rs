//! The figures of a run, as PNG and SVG:
//!
//! 1. `voltage_capacity.{png,svg}`: cell voltage against specific capacity (mA·h/g of active
//!    material, or mA·h when no mass is known) for the saved cycles, charge and discharge, one
//!    colour per cycle from dark (first) to light (last);
//! 2. `capacity_efficiency.{png,svg}`: discharge capacity (top) and coulombic efficiency in %
//!    (bottom) against cycle number;
//! 3. `mean_voltage.{png,svg}`: capacity-weighted mean charge and discharge voltages against
//!    cycle number.
//!
//! The data are plain numbers, a [`RunFigureData`]: one [`CyclePoint`] per finished cycle and
//! the [`CycleCurve`]s of the saved cycles (`output::PlotData` gathers them as a run streams).
//! Odd data do not make the drawing fail: values that are not finite are left out, and empty or
//! single-valued ranges get a default span.

use std::ops::Range;
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::error::backend;
use super::frame::{
    axis_range, cycle_chart, cycle_colour, draw_mesh, draw_side_legend, finite_bounds,
    finite_points, note, tick_formatter, write_figure, Figure, BLUE, RED, TITLE_SIZE,
};
use super::text::{ensure_font, font};
use super::FigureError;

/// File stem of the voltage–capacity figure (`.png` and `.svg` are written).
pub const VOLTAGE_CAPACITY_PLOT: &str = "voltage_capacity";
/// File stem of the discharge capacity and coulombic efficiency figure.
pub const CAPACITY_EFFICIENCY_PLOT: &str = "capacity_efficiency";
/// File stem of the mean voltage figure.
pub const MEAN_VOLTAGE_PLOT: &str = "mean_voltage";

/// One saved cycle's voltage–capacity curve.
#[derive(Debug, Clone, PartialEq)]
pub struct CycleCurve {
    /// Cycle number, from 1.
    pub cycle: usize,
    /// Charge branch: (charge passed since the cycle's charging began \[A·h\], voltage \[V\]).
    pub charge: Vec<(f64, f64)>,
    /// Discharge branch: (charge delivered since the cycle's discharging began \[A·h\],
    /// voltage \[V\]).
    pub discharge: Vec<(f64, f64)>,
}

/// The figures of one finished cycle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CyclePoint {
    /// Cycle number, from 1.
    pub cycle: usize,
    /// Discharge capacity \[A·h\].
    pub discharge_capacity_ah: f64,
    /// Coulombic efficiency (discharge over charge capacity, a fraction).
    pub coulombic_efficiency: f64,
    /// Capacity-weighted mean charge voltage \[V\].
    pub mean_charge_voltage_v: f64,
    /// Capacity-weighted mean discharge voltage \[V\].
    pub mean_discharge_voltage_v: f64,
}

/// The data of a run's figures.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunFigureData {
    /// Active material mass \[kg\]: capacities are drawn per gram with it, in mA·h without.
    pub active_mass_kg: Option<f64>,
    /// One point per finished cycle, in order.
    pub cycles: Vec<CyclePoint>,
    /// The saved cycles' curves, in order.
    pub curves: Vec<CycleCurve>,
}

/// Writes the three figures, PNG and SVG, into `dir` (which must exist), and returns the
/// paths written.
pub fn write_run_figures(dir: &Path, data: &RunFigureData) -> Result<Vec<PathBuf>, FigureError> {
    ensure_font()?;
    let mut written = Vec::with_capacity(6);
    written.extend(write_figure(
        dir,
        VOLTAGE_CAPACITY_PLOT,
        &VoltageCapacity(data),
    )?);
    written.extend(write_figure(
        dir,
        CAPACITY_EFFICIENCY_PLOT,
        &CapacityEfficiency(data),
    )?);
    written.extend(write_figure(dir, MEAN_VOLTAGE_PLOT, &MeanVoltage(data))?);
    Ok(written)
}

/// Figure 1: voltage against (specific) capacity of the saved cycles.
struct VoltageCapacity<'a>(&'a RunFigureData);

impl Figure for VoltageCapacity<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), FigureError> {
        let data = self.0;
        // A·h → mA·h/g is ·1/m[kg]; A·h → mA·h is ·1000.
        let (scale, x_desc) = match data.active_mass_kg {
            Some(m) => (1.0 / m, "Specific capacity (mAh/g)"),
            None => (1000.0, "Capacity (mAh)"),
        };
        let curves: Vec<CycleCurve> = data
            .curves
            .clone()
            .into_iter()
            .map(|c| {
                let scaled =
                    |b: Vec<(f64, f64)>| finite_points(b.into_iter().map(|(q, v)| (q * scale, v)));
                CycleCurve {
                    cycle: c.cycle,
                    charge: scaled(c.charge),
                    discharge: scaled(c.discharge),
                }
            })
            .collect();
        let all_points = || {
            curves
                .iter()
                .flat_map(|c| c.charge.iter().chain(c.discharge.iter()))
                .copied()
        };
        let x_max = finite_bounds(all_points().map(|p| p.0)).map_or(1.0, |(_, hi)| hi);
        let x_range = if x_max > 0.0 && (1.05 * x_max).is_finite() {
            0.0..1.05 * x_max
        } else {
            0.0..1.0
        };
        let y_range = axis_range(finite_bounds(all_points().map(|p| p.1)), 0.05, 0.0..5.0);

        let root = root
            .margin(8, 0, 0, 0)
            .titled("Voltage vs capacity, saved cycles", font(TITLE_SIZE))
            .map_err(backend)?;
        let (w, _) = root.dim_in_pixel();
        let (plot_area, legend_area) = root.split_horizontally(w.saturating_sub(190));
        let mut chart = ChartBuilder::on(&plot_area)
            .margin(20)
            .x_label_area_size(70)
            .y_label_area_size(100)
            .build_cartesian_2d(x_range.clone(), y_range.clone())
            .map_err(backend)?;
        draw_mesh(
            &mut chart,
            (x_desc, "Voltage (V)"),
            10,
            &tick_formatter(&x_range, 10),
            &y_range,
            8,
        )?;
        if curves.is_empty() {
            return note(&plot_area, "no saved cycle");
        }

        let n = curves.len();
        let mut legend = Vec::with_capacity(n);
        for (i, curve) in curves.into_iter().enumerate() {
            let t = if n > 1 {
                i as f64 / (n - 1) as f64
            } else {
                0.0
            };
            let colour = cycle_colour(t);
            let style = ShapeStyle::from(&colour).stroke_width(2);
            for branch in [curve.charge, curve.discharge] {
                if branch.len() >= 2 {
                    chart
                        .draw_series(LineSeries::new(branch, style))
                        .map_err(backend)?;
                } else if let Some(&p) = branch.first() {
                    chart
                        .draw_series(std::iter::once(Circle::new(p, 3, style.filled())))
                        .map_err(backend)?;
                }
            }
            legend.push((format!("cycle {}", curve.cycle), colour));
        }
        draw_side_legend(&legend_area, &legend)
    }
}

/// Figure 2: discharge capacity (top) and coulombic efficiency (bottom) against cycle.
struct CapacityEfficiency<'a>(&'a RunFigureData);

impl Figure for CapacityEfficiency<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), FigureError> {
        let data = self.0;
        let summaries = &data.cycles;
        let (scale, y_desc) = match data.active_mass_kg {
            Some(m) => (1.0 / m, "Discharge capacity (mAh/g)"),
            None => (1000.0, "Discharge capacity (mAh)"),
        };
        let capacity = finite_points(
            summaries
                .iter()
                .map(|s| (s.cycle as f64, s.discharge_capacity_ah * scale)),
        );
        let efficiency = finite_points(
            summaries
                .iter()
                .map(|s| (s.cycle as f64, 100.0 * s.coulombic_efficiency)),
        );
        let x_range = cycle_range(summaries);
        let root = root
            .margin(8, 0, 0, 0)
            .titled(
                "Discharge capacity and coulombic efficiency",
                font(TITLE_SIZE),
            )
            .map_err(backend)?;
        let panels = root.split_evenly((2, 1));
        let markers = summaries.len() <= 100;
        let top = (
            &panels[0],
            capacity,
            y_desc,
            BLUE,
            axis_range(
                finite_bounds(summaries.iter().map(|s| s.discharge_capacity_ah * scale))
                    .map(|(lo, hi)| (lo.min(0.0), hi)),
                0.05,
                0.0..1.0,
            ),
        );
        let bottom_range = axis_range(
            finite_bounds(efficiency.iter().map(|p| p.1)),
            0.1,
            99.0..101.0,
        );
        let bottom = (
            &panels[1],
            efficiency,
            "Coulombic efficiency (%)",
            RED,
            bottom_range,
        );
        for (area, points, desc, colour, y_range) in [top, bottom] {
            draw_cycle_panel(
                area,
                &x_range,
                y_range,
                desc,
                &[(points, colour)],
                markers,
                6,
            )?;
        }
        if summaries.is_empty() {
            note(&panels[0], "no finished cycle")?;
        }
        Ok(())
    }
}

/// Figure 3: mean charge and discharge voltages against cycle.
struct MeanVoltage<'a>(&'a RunFigureData);

impl Figure for MeanVoltage<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), FigureError> {
        let summaries = &self.0.cycles;
        let charge = finite_points(
            summaries
                .iter()
                .map(|s| (s.cycle as f64, s.mean_charge_voltage_v)),
        );
        let discharge = finite_points(
            summaries
                .iter()
                .map(|s| (s.cycle as f64, s.mean_discharge_voltage_v)),
        );
        let x_range = cycle_range(summaries);
        let y_range = axis_range(
            finite_bounds(charge.iter().chain(discharge.iter()).map(|p| p.1)),
            0.1,
            0.0..5.0,
        );
        let root = root
            .margin(8, 0, 0, 0)
            .titled("Mean charge and discharge voltage", font(TITLE_SIZE))
            .map_err(backend)?;
        let (w, _) = root.dim_in_pixel();
        let (plot_area, legend_area) = root.split_horizontally(w.saturating_sub(190));
        draw_cycle_panel(
            &plot_area,
            &x_range,
            y_range,
            "Mean voltage (V)",
            &[(charge, RED), (discharge, BLUE)],
            summaries.len() <= 100,
            8,
        )?;
        draw_side_legend(
            &legend_area,
            &[("charge".into(), RED), ("discharge".into(), BLUE)],
        )?;
        if summaries.is_empty() {
            note(&plot_area, "no finished cycle")?;
        }
        Ok(())
    }
}

/// One panel of quantities against cycle number: each series a line, with markers when
/// `markers` (or when it has a single point).
fn draw_cycle_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    x_range: &Range<f64>,
    y_range: Range<f64>,
    y_desc: &str,
    series: &[(Vec<(f64, f64)>, RGBColor)],
    markers: bool,
    y_labels: usize,
) -> Result<(), FigureError> {
    let mut chart = cycle_chart(area, x_range.clone(), y_range, y_desc, y_labels)?;
    for (points, colour) in series {
        let style = ShapeStyle::from(colour).stroke_width(2);
        chart
            .draw_series(LineSeries::new(points.iter().copied(), style))
            .map_err(backend)?;
        if markers || points.len() == 1 {
            chart
                .draw_series(points.iter().map(|&p| Circle::new(p, 4, style.filled())))
                .map_err(backend)?;
        }
    }
    Ok(())
}

/// The cycle axis: from half a cycle before the first to half a cycle after the last.
fn cycle_range(summaries: &[CyclePoint]) -> Range<f64> {
    let bounds = finite_bounds(summaries.iter().map(|s| s.cycle as f64));
    match bounds {
        Some((lo, hi)) => (lo - 0.5)..(hi + 0.5),
        None => 0.5..1.5,
    }
}
