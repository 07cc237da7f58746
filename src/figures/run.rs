//! The figures of a run, as PNG and SVG:
//!
//! 1. `voltage_capacity.{png,svg}`: cell voltage against specific capacity (mA·h/g of active
//!    material, or mA·h when no mass is known) for the saved cycles, charge and discharge, one
//!    colour per cycle from dark (first) to light (last);
//! 2. `capacity_efficiency.{png,svg}`: discharge capacity (top) and coulombic efficiency in %
//!    (bottom) against cycle number;
//! 3. `mean_voltage.{png,svg}`: capacity-weighted mean charge and discharge voltages against
//!    cycle number;
//! 4. `differential_capacity.{png,svg}`: dQ/dV and dV/dQ of the saved cycles
//!    ([`super::differential`]).
//!
//! The data are plain numbers, a [`RunFigureData`]: one [`CyclePoint`] per finished cycle and
//! the [`CycleCurve`]s of the saved cycles (`output::PlotData` gathers them as a run streams).
//! Odd data do not make the drawing fail: values that are not finite are left out, and empty or
//! single-valued ranges get a default span.

use std::ops::Range;
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::differential::{DifferentialCapacity, DIFFERENTIAL_CAPACITY_PLOT};
use super::error::backend;
use super::frame::{
    axis_range, corner_note, cycle_chart, cycle_colour_of, draw_mesh, draw_side_legend,
    finite_bounds, finite_points, note, quantile_bounds, tick_formatter, titled, write_figure,
    Figure, BLUE, DESC_SIZE, LABEL_SIZE, RED,
};
use super::text::{ensure_font, font};
use super::FigureError;

/// File stem of the voltage–capacity figure (`.png` and `.svg` are written).
pub const VOLTAGE_CAPACITY_PLOT: &str = "voltage_capacity";
/// File stem of the discharge capacity and coulombic efficiency figure.
pub const CAPACITY_EFFICIENCY_PLOT: &str = "capacity_efficiency";
/// File stem of the mean voltage figure.
pub const MEAN_VOLTAGE_PLOT: &str = "mean_voltage";

pub use super::run_data::{CycleCurve, CyclePoint, RunFigureData};

/// Writes the four figures (the three above and [`super::differential`]'s), PNG and SVG, into
/// `dir` (which must exist), and returns the paths written.
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
    written.extend(write_figure(
        dir,
        DIFFERENTIAL_CAPACITY_PLOT,
        &DifferentialCapacity(data),
    )?);
    Ok(written)
}

/// Figure 1: voltage against (specific) capacity of the saved cycles.
struct VoltageCapacity<'a>(&'a RunFigureData);

impl Figure for VoltageCapacity<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), FigureError> {
        let data = self.0;
        let (scale, unit) = data.capacity_scale();
        let x_desc = if data.active_mass_kg.is_some() {
            format!("Specific capacity ({unit})")
        } else {
            format!("Capacity ({unit})")
        };
        let x_desc = x_desc.as_str();
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

        let title = if data.saved_cycles > curves.len() {
            format!(
                "Voltage vs capacity, {} of {} saved cycles (spread over the run)",
                curves.len(),
                data.saved_cycles
            )
        } else {
            "Voltage vs capacity, saved cycles".to_string()
        };
        let root = titled(root, &title)?;
        let (w, _) = root.dim_in_pixel();
        let (plot_area, legend_area) = root.split_horizontally(w.saturating_sub(190));
        let counter = data.counter_potential_v;
        let second_axis = counter != 0.0 && counter.is_finite();
        let mut chart = ChartBuilder::on(&plot_area)
            .margin(20)
            .x_label_area_size(70)
            .y_label_area_size(100)
            .right_y_label_area_size(if second_axis { 100 } else { 0 })
            .build_cartesian_2d(x_range.clone(), y_range.clone())
            .map_err(backend)?
            .set_secondary_coord(
                x_range.clone(),
                (y_range.start + counter)..(y_range.end + counter),
            );
        let y_desc = if second_axis {
            "Cell voltage (V)"
        } else {
            "Voltage vs Li/Li+ (V)"
        };
        draw_mesh(
            &mut chart,
            (x_desc, y_desc),
            10,
            &tick_formatter(&x_range, 10),
            &y_range,
            8,
        )?;
        if second_axis {
            let secondary = (y_range.start + counter)..(y_range.end + counter);
            chart
                .configure_secondary_axes()
                .y_desc("Positive electrode vs Li/Li+ (V)")
                .axis_desc_style(font(DESC_SIZE))
                .label_style(font(LABEL_SIZE))
                .y_labels(8)
                .y_label_formatter(&tick_formatter(&secondary, 8))
                .draw()
                .map_err(backend)?;
        }
        if curves.is_empty() {
            return note(&plot_area, "no saved cycle");
        }

        let n = curves.len();
        let mut legend = Vec::with_capacity(n);
        for (i, curve) in curves.into_iter().enumerate() {
            let colour = cycle_colour_of(i, n);
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
        let (scale, unit) = data.capacity_scale();
        let y_desc = format!("Discharge capacity ({unit})");
        let y_desc = y_desc.as_str();
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
        let root = titled(root, "Discharge capacity and coulombic efficiency")?;
        let panels = root.split_evenly((2, 1));
        let markers = summaries.len() <= 100;
        // The axes fit the cycles from the reference cycle on: formation (a slower rate, a
        // first-cycle loss) would otherwise stretch them so far that the fade and the 99.9x %
        // of the efficiency flatten out. Formation is still drawn, clipped, and said.
        let reference = data.reference_cycle.max(1);
        let counted = || summaries.iter().filter(|s| s.cycle >= reference);
        let capacity_range = axis_range(
            finite_bounds(counted().map(|s| s.discharge_capacity_ah * scale)).or_else(|| {
                finite_bounds(summaries.iter().map(|s| s.discharge_capacity_ah * scale))
            }),
            0.08,
            0.0..1.0,
        );
        let counted_efficiency: Vec<f64> = counted()
            .map(|s| 100.0 * s.coulombic_efficiency)
            .filter(|v| v.is_finite())
            .collect();
        let efficiency_range = axis_range(
            quantile_bounds(&counted_efficiency, 0.01)
                .or_else(|| finite_bounds(efficiency.iter().map(|p| p.1))),
            0.15,
            99.0..101.0,
        );
        let off_scale = counted_efficiency
            .iter()
            .filter(|v| !efficiency_range.contains(v))
            .count();
        let top = (&panels[0], capacity, y_desc, BLUE, capacity_range);
        let bottom = (
            &panels[1],
            efficiency,
            "Coulombic efficiency (%)",
            RED,
            efficiency_range,
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
        } else if let Some(text) = reference_note(summaries, reference) {
            corner_note(&panels[0], &text)?;
        }
        if off_scale > 0 {
            corner_note(
                &panels[1],
                &format!(
                    "{off_scale} cycle{} from cycle {reference} on outside the axis (range: 1st to 99th percentile)",
                    if off_scale == 1 { "" } else { "s" }
                ),
            )?;
        }
        Ok(())
    }
}

/// What the capacity panel says of its reference: the retention of the last cycle against the
/// reference cycle, and which cycles are formation (drawn, outside the axes' fitted range).
fn reference_note(summaries: &[CyclePoint], reference: usize) -> Option<String> {
    let last = summaries.last()?;
    let base = summaries
        .iter()
        .find(|s| s.cycle >= reference && s.discharge_capacity_ah > 0.0)?;
    let mut text = String::new();
    if last.cycle > base.cycle {
        text.push_str(&format!(
            "retention {:.2} % at cycle {} vs cycle {}",
            100.0 * last.discharge_capacity_ah / base.discharge_capacity_ah,
            last.cycle,
            base.cycle
        ));
    }
    if reference > 1 {
        if !text.is_empty() {
            text.push_str("; ");
        }
        text.push_str(&format!(
            "axes fitted from cycle {reference} (cycles 1-{} formation)",
            reference - 1
        ));
    }
    (!text.is_empty()).then_some(text)
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
        let root = titled(root, "Mean charge and discharge voltage")?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn point(cycle: usize, discharge_ah: f64) -> CyclePoint {
        CyclePoint {
            cycle,
            discharge_capacity_ah: discharge_ah,
            coulombic_efficiency: 0.999,
            mean_charge_voltage_v: 3.8,
            mean_discharge_voltage_v: 3.5,
        }
    }

    #[test]
    fn outliers_do_not_set_the_efficiency_axis() {
        let mut values: Vec<f64> = (0..200).map(|i| 99.99 + 1e-5 * i as f64).collect();
        values[0] = 90.0;
        let (lo, hi) = quantile_bounds(&values, 0.01).unwrap();
        assert!(lo > 99.99 && hi < 99.9921, "{lo} {hi}");
        // Few cycles: the full range.
        assert_eq!(quantile_bounds(&[90.0, 99.0], 0.01), Some((90.0, 99.0)));
    }

    #[test]
    fn the_capacity_panel_names_its_reference_and_formation() {
        let cycles = [point(1, 2.0), point(2, 2.0), point(3, 1.0), point(4, 0.9)];
        assert_eq!(
            reference_note(&cycles, 3).as_deref(),
            Some("retention 90.00 % at cycle 4 vs cycle 3; axes fitted from cycle 3 (cycles 1-2 formation)")
        );
        assert_eq!(
            reference_note(&cycles, 1).as_deref(),
            Some("retention 45.00 % at cycle 4 vs cycle 1")
        );
    }
}
