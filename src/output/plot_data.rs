//! The data of a run's figures, gathered as the run streams: a [`PlotData`] is a
//! [`TimeseriesSink`] that keeps, in bounded memory, one [`CycleSummary`] per cycle and the
//! curves of at most [`PlotData::DEFAULT_MAX_CURVES`] saved cycles (spread evenly over the run,
//! always with the first and the latest), each thinned to at most [`MAX_POINTS_PER_BRANCH`]
//! points per branch. [`write_plots`] hands them, as the plain [`RunFigureData`], to
//! [`crate::figures::run`], which draws them.

use std::path::{Path, PathBuf};

use crate::figures::{write_run_figures, CycleCurve, CyclePoint, FigureError, RunFigureData};
use crate::protocol::{CycleSummary, TimeseriesRecord, TimeseriesSink};

/// Largest number of points kept for one branch (charge or discharge) of one cycle's curve:
/// longer branches keep every 2nd, 4th, … point, and always their last one.
pub const MAX_POINTS_PER_BRANCH: usize = 2000;

/// Points of one branch, thinned by doubling strides to stay within [`MAX_POINTS_PER_BRANCH`].
#[derive(Debug, Clone)]
struct Branch {
    /// The points whose index (in arrival order) is a multiple of `stride`.
    points: Vec<(f64, f64)>,
    stride: usize,
    /// Points received.
    seen: usize,
    /// The latest point received.
    latest: Option<(f64, f64)>,
}

impl Branch {
    fn new() -> Self {
        Branch {
            points: Vec::new(),
            stride: 1,
            seen: 0,
            latest: None,
        }
    }

    fn push(&mut self, p: (f64, f64)) {
        if self.seen % self.stride == 0 {
            if self.points.len() >= MAX_POINTS_PER_BRANCH {
                self.stride *= 2;
                let mut i = 0;
                self.points.retain(|_| {
                    i += 1;
                    (i - 1) % 2 == 0
                });
            }
            if self.seen % self.stride == 0 {
                self.points.push(p);
            }
        }
        self.seen += 1;
        self.latest = Some(p);
    }

    /// The kept points, ending with the latest one.
    fn to_points(&self) -> Vec<(f64, f64)> {
        let mut points = self.points.clone();
        let last_kept = points.len().checked_sub(1).map(|i| i * self.stride);
        if let (Some(p), Some(k)) = (self.latest, last_kept) {
            if k + 1 != self.seen {
                points.push(p);
            }
        }
        points
    }
}

/// A curve being recorded.
#[derive(Debug, Clone)]
struct CurveBuilder {
    cycle: usize,
    /// Net discharge capacity of the previous row \[A·h\].
    prev_q: Option<f64>,
    /// Charge passed on charge so far in this cycle \[A·h\].
    charged_ah: f64,
    /// Charge delivered on discharge so far in this cycle \[A·h\].
    discharged_ah: f64,
    charge: Branch,
    discharge: Branch,
}

impl CurveBuilder {
    fn new(cycle: usize) -> Self {
        CurveBuilder {
            cycle,
            prev_q: None,
            charged_ah: 0.0,
            discharged_ah: 0.0,
            charge: Branch::new(),
            discharge: Branch::new(),
        }
    }

    fn record(&mut self, row: &TimeseriesRecord) {
        let q = row.discharge_capacity_ah;
        if let Some(prev) = self.prev_q {
            let dq = q - prev;
            if dq > 0.0 {
                self.discharged_ah += dq;
            } else if dq < 0.0 {
                self.charged_ah -= dq;
            }
        }
        if q.is_finite() {
            self.prev_q = Some(q);
        }
        if row.current_a > 0.0 {
            self.discharge.push((self.discharged_ah, row.voltage_v));
        } else if row.current_a < 0.0 {
            self.charge.push((self.charged_ah, row.voltage_v));
        }
    }

    fn to_curve(&self) -> CycleCurve {
        CycleCurve {
            cycle: self.cycle,
            charge: self.charge.to_points(),
            discharge: self.discharge.to_points(),
        }
    }
}

/// What the figures need, collected from a run's rows and cycle summaries in bounded memory.
///
/// It is a [`TimeseriesSink`] (wanting every cycle's rows); [`super::RunSink`] feeds one with
/// the saved cycles only.
#[derive(Debug, Clone)]
pub struct PlotData {
    /// Mass of active material \[kg\]; capacities are plotted per gram when known.
    active_mass_kg: Option<f64>,
    summaries: Vec<CycleSummary>,
    max_curves: usize,
    /// Curves kept, with their ordinal among the saved cycles (a multiple of `stride`).
    kept: Vec<(usize, CycleCurve)>,
    stride: usize,
    /// Saved cycles finished so far.
    finished_curves: usize,
    /// The latest finished curve, when it is not in `kept`.
    latest: Option<CycleCurve>,
    /// The curve of the cycle going on.
    current: Option<CurveBuilder>,
    /// The reference cycle of the retention and the cycle statistics (from 1).
    reference_cycle: usize,
    /// The counter electrode's open-circuit potential vs Li/Li+ \[V\].
    counter_potential_v: f64,
}

impl PlotData {
    /// Default largest number of cycle curves kept for the voltage–capacity figure.
    pub const DEFAULT_MAX_CURVES: usize = 16;

    /// Empty data; `active_mass_kg` is the active-material mass \[kg\] (capacities are plotted
    /// in mA·h/g with it, in mA·h without; a mass that is not finite and positive counts as
    /// none).
    pub fn new(active_mass_kg: Option<f64>) -> Self {
        Self::with_max_curves(active_mass_kg, Self::DEFAULT_MAX_CURVES)
    }

    /// As [`PlotData::new`], keeping at most `max_curves` (at least 2) finished cycles'
    /// curves, plus that of the cycle going on.
    pub fn with_max_curves(active_mass_kg: Option<f64>, max_curves: usize) -> Self {
        PlotData {
            active_mass_kg: active_mass_kg.filter(|m| m.is_finite() && *m > 0.0),
            summaries: Vec::new(),
            max_curves: max_curves.max(2),
            kept: Vec::new(),
            stride: 1,
            finished_curves: 0,
            latest: None,
            current: None,
            reference_cycle: 1,
            counter_potential_v: 0.0,
        }
    }

    /// For a cell whose retention counts from `reference_cycle` (the scenario's) and whose
    /// counter electrode sits at `counter_potential_v` \[V\] vs Li/Li+: the figures print the
    /// reference and draw a vs Li/Li+ axis beside the cell voltage. (Without it: cycle 1 and
    /// a Li-metal counter electrode.)
    pub fn for_cell(mut self, reference_cycle: usize, counter_potential_v: f64) -> Self {
        self.reference_cycle = reference_cycle.max(1);
        self.counter_potential_v = counter_potential_v;
        self
    }

    /// The active-material mass \[kg\], if known.
    pub fn active_mass_kg(&self) -> Option<f64> {
        self.active_mass_kg
    }

    /// The summaries of the cycles finished so far.
    pub fn summaries(&self) -> &[CycleSummary] {
        &self.summaries
    }

    /// Adds the summary of a finished cycle, and closes that cycle's curve.
    pub fn add_cycle(&mut self, summary: &CycleSummary) {
        self.summaries.push(*summary);
        if self
            .current
            .as_ref()
            .is_some_and(|c| c.cycle == summary.cycle)
        {
            self.close_curve();
        }
    }

    /// Adds one row to the curve of its cycle.
    pub fn add_row(&mut self, row: &TimeseriesRecord) {
        if self.current.as_ref().is_some_and(|c| c.cycle != row.cycle) {
            self.close_curve();
        }
        self.current
            .get_or_insert_with(|| CurveBuilder::new(row.cycle))
            .record(row);
    }

    fn close_curve(&mut self) {
        let Some(builder) = self.current.take() else {
            return;
        };
        let curve = builder.to_curve();
        let ordinal = self.finished_curves;
        self.finished_curves += 1;
        if ordinal % self.stride == 0 && self.kept.len() + 1 >= self.max_curves {
            // Keep room for the latest curve: halve the kept set.
            self.stride *= 2;
            let stride = self.stride;
            self.kept.retain(|(k, _)| k % stride == 0);
        }
        if ordinal % self.stride == 0 {
            self.kept.push((ordinal, curve));
            self.latest = None;
        } else {
            self.latest = Some(curve);
        }
    }

    /// The cycle curves to draw, in cycle order: the kept ones, the latest finished one and the
    /// one going on (a run that stopped part-way shows its last, partial cycle).
    pub fn curves(&self) -> Vec<CycleCurve> {
        let mut curves: Vec<CycleCurve> = self.kept.iter().map(|(_, c)| c.clone()).collect();
        curves.extend(self.latest.clone());
        curves.extend(self.current.as_ref().map(CurveBuilder::to_curve));
        curves
    }

    /// The plain data of the figures: one point per finished cycle and the kept curves.
    pub fn figure_data(&self) -> RunFigureData {
        RunFigureData {
            active_mass_kg: self.active_mass_kg,
            cycles: self
                .summaries
                .iter()
                .map(|s| CyclePoint {
                    cycle: s.cycle,
                    discharge_capacity_ah: s.discharge_capacity_ah,
                    coulombic_efficiency: s.coulombic_efficiency(),
                    mean_charge_voltage_v: s.mean_charge_voltage_v(),
                    mean_discharge_voltage_v: s.mean_discharge_voltage_v(),
                })
                .collect(),
            curves: self.curves(),
            saved_cycles: self.finished_curves + usize::from(self.current.is_some()),
            reference_cycle: self.reference_cycle,
            counter_potential_v: self.counter_potential_v,
        }
    }
}

impl TimeseriesSink for PlotData {
    fn record(&mut self, row: &TimeseriesRecord) -> std::io::Result<()> {
        self.add_row(row);
        Ok(())
    }

    fn cycle_finished(&mut self, summary: &CycleSummary) -> std::io::Result<()> {
        self.add_cycle(summary);
        Ok(())
    }
}

/// Writes the three figures of a run, PNG and SVG, into `dir` (which must exist), and returns
/// the paths written.
pub fn write_plots(dir: &Path, data: &PlotData) -> Result<Vec<PathBuf>, FigureError> {
    write_run_figures(dir, &data.figure_data())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figures::{
        CAPACITY_EFFICIENCY_PLOT, DIFFERENTIAL_CAPACITY_PLOT, MEAN_VOLTAGE_PLOT, PLOT_HEIGHT_PX,
        PLOT_WIDTH_PX, VOLTAGE_CAPACITY_PLOT,
    };

    /// A synthetic run: `cycles` cycles of a CC charge then a CC discharge, the capacity
    /// fading by 1 % a cycle; rows for `saved` cycles only.
    fn synthetic(cycles: usize, saved: impl Fn(usize) -> bool, mass: Option<f64>) -> PlotData {
        let mut data = PlotData::new(mass);
        let mut q = 0.0;
        let mut t = 0.0;
        let i = 1e-3;
        for cycle in 1..=cycles {
            let cap = 2e-3 * 0.99f64.powi(cycle as i32 - 1);
            let mut summary = CycleSummary::new(cycle, 1.0);
            for (step, sign) in [(1, -1.0), (2, 1.0)] {
                let n = 50;
                for k in 0..=n {
                    let f = k as f64 / n as f64;
                    let v = if sign < 0.0 { 3.0 + f } else { 4.0 - f };
                    let row = TimeseriesRecord {
                        time_s: t + f * 7200.0,
                        cycle,
                        step,
                        current_a: sign * i,
                        voltage_v: v,
                        discharge_capacity_ah: q + sign * f * cap,
                    };
                    if saved(cycle) {
                        data.add_row(&row);
                    }
                }
                q += sign * cap;
                t += 7200.0;
                summary.add_step(sign * cap, sign * cap * 3.5);
            }
            summary.end_time_s = t;
            data.add_cycle(&summary);
        }
        data
    }

    fn png_size(path: &Path) -> (u32, u32) {
        let bytes = std::fs::read(path).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        let be =
            |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
        (be(16), be(20))
    }

    fn check_files(dir: &Path, written: &[PathBuf]) {
        assert_eq!(written.len(), 8);
        for stem in [
            VOLTAGE_CAPACITY_PLOT,
            CAPACITY_EFFICIENCY_PLOT,
            MEAN_VOLTAGE_PLOT,
            DIFFERENTIAL_CAPACITY_PLOT,
        ] {
            let png = dir.join(format!("{stem}.png"));
            let svg = dir.join(format!("{stem}.svg"));
            assert!(written.contains(&png) && written.contains(&svg));
            assert!(std::fs::metadata(&png).unwrap().len() > 5_000, "{stem}.png");
            assert_eq!(png_size(&png), (PLOT_WIDTH_PX, PLOT_HEIGHT_PX));
            let text = std::fs::read_to_string(&svg).unwrap();
            assert!(text.len() > 2_000, "{stem}.svg");
            assert!(text.contains("<svg") && text.contains("</svg>"));
            assert!(!text.contains("<text"), "{stem}.svg needs no font");
            assert!(
                text.contains("<path aria-label="),
                "{stem}.svg has glyph paths"
            );
            assert!(!dir.join(format!("{stem}.svg.partial")).exists());
            assert!(!dir.join(format!("{stem}.partial.png")).exists());
        }
    }

    #[test]
    fn renders_all_plots() {
        let dir = tempfile::tempdir().unwrap();
        let data = synthetic(30, |c| c == 1 || c % 5 == 0, Some(1e-5));
        let written = write_plots(dir.path(), &data).unwrap();
        check_files(dir.path(), &written);
        let svg = std::fs::read_to_string(dir.path().join("voltage_capacity.svg")).unwrap();
        assert!(svg.contains("Specific capacity (mAh/g)") && svg.contains("cycle 30"));
        let svg = std::fs::read_to_string(dir.path().join("capacity_efficiency.svg")).unwrap();
        assert!(svg.contains("Coulombic efficiency (%)") && svg.contains("Cycle"));
    }

    #[test]
    fn svg_text_is_drawn_as_glyph_outlines() {
        let dir = tempfile::tempdir().unwrap();
        let data = synthetic(3, |_| true, Some(1e-5));
        write_plots(dir.path(), &data).unwrap();
        let svg = std::fs::read_to_string(dir.path().join("voltage_capacity.svg")).unwrap();
        assert!(!svg.contains("<text") && !svg.contains("font-family"));
        assert!(!svg.contains("glyph-outline-"));
        // One filled path per text, its outline made of moves, lines and quadratic curves
        // (DejaVu Sans is a TrueType font), closed contours.
        let label = "<path aria-label=\"Voltage vs Li/Li+ (V)\" fill=\"#000000\" d=\"M";
        let start = svg.find(label).expect("the voltage axis label as glyphs");
        let d = &svg[start + label.len() - 1..];
        let d = &d[..d.find('"').unwrap()];
        assert!(
            d.contains('Q') && d.contains('L') && d.ends_with('Z'),
            "{d}"
        );
        assert_eq!(d.matches('M').count(), d.matches('Z').count());
        // The vertical axis label is rotated: its outline is taller than wide.
        let numbers: Vec<f64> = d
            .split(|c: char| c.is_ascii_alphabetic() || c == ' ')
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().unwrap())
            .collect();
        let (xs, ys): (Vec<f64>, Vec<f64>) = numbers.chunks(2).map(|p| (p[0], p[1])).unzip();
        let span = |v: &[f64]| {
            v.iter().cloned().fold(f64::MIN, f64::max) - v.iter().cloned().fold(f64::MAX, f64::min)
        };
        assert!(span(&ys) > 3.0 * span(&xs), "{} x {}", span(&xs), span(&ys));
        // Every text of the figure was drawn, and the file stays small.
        assert!(svg.contains("aria-label=\"cycle 3\""));
        assert!(svg.len() < 1_000_000, "{} bytes", svg.len());
    }

    #[test]
    fn renders_odd_data_without_panicking() {
        // No data at all.
        let dir = tempfile::tempdir().unwrap();
        let written = write_plots(dir.path(), &PlotData::new(None)).unwrap();
        check_files(dir.path(), &written);

        // A single cycle, without a mass.
        let dir = tempfile::tempdir().unwrap();
        let data = synthetic(1, |_| true, None);
        let written = write_plots(dir.path(), &data).unwrap();
        check_files(dir.path(), &written);
        let svg = std::fs::read_to_string(dir.path().join("voltage_capacity.svg")).unwrap();
        assert!(svg.contains("Capacity (mAh)"));

        // NaN and infinite values, single points, a charge-only cycle, a rest-only cycle.
        let dir = tempfile::tempdir().unwrap();
        let mut data = PlotData::new(Some(f64::NAN));
        let row = |cycle, current_a, voltage_v, q| TimeseriesRecord {
            time_s: 0.0,
            cycle,
            step: 1,
            current_a,
            voltage_v,
            discharge_capacity_ah: q,
        };
        data.add_row(&row(1, 1e-3, f64::NAN, 0.0));
        data.add_row(&row(1, 1e-3, 3.5, f64::NAN));
        data.add_row(&row(1, 1e-3, f64::INFINITY, 1e-3));
        data.add_cycle(&CycleSummary {
            discharge_capacity_ah: f64::NAN,
            ..CycleSummary::new(1, 1.0)
        });
        data.add_row(&row(2, -1e-3, 3.7, 0.0));
        let mut charge_only = CycleSummary::new(2, 1.0);
        charge_only.add_step(-1e-3, -3.7e-3);
        data.add_cycle(&charge_only);
        data.add_row(&row(3, 0.0, 3.7, 0.0));
        data.add_cycle(&CycleSummary::new(3, 1.0));
        let written = write_plots(dir.path(), &data).unwrap();
        check_files(dir.path(), &written);

        // Extreme magnitudes.
        let dir = tempfile::tempdir().unwrap();
        let mut data = PlotData::new(None);
        data.add_row(&row(1, 1e-3, 1e300, 0.0));
        data.add_row(&row(1, 1e-3, -1e300, 1e300));
        data.add_row(&row(1, 1e-3, 1e-300, f64::MAX));
        data.add_cycle(&CycleSummary {
            discharge_capacity_ah: f64::MAX,
            charge_capacity_ah: 1e-300,
            discharge_energy_wh: f64::MAX,
            ..CycleSummary::new(1, 1.0)
        });
        data.add_cycle(&CycleSummary {
            discharge_capacity_ah: 1e-300,
            ..CycleSummary::new(2, 1.0)
        });
        check_files(dir.path(), &write_plots(dir.path(), &data).unwrap());

        // Every value the same.
        let dir = tempfile::tempdir().unwrap();
        let mut data = PlotData::new(Some(1e-5));
        for k in 0..3 {
            data.add_row(&row(1, 1e-3, 3.5, 0.0 * k as f64));
        }
        data.add_cycle(&CycleSummary::new(1, 1.0));
        check_files(dir.path(), &write_plots(dir.path(), &data).unwrap());
    }

    #[test]
    fn curves_are_split_by_direction_and_start_at_zero() {
        let data = synthetic(2, |_| true, None);
        let curves = data.curves();
        assert_eq!(curves.len(), 2);
        let c = &curves[1];
        assert_eq!(c.cycle, 2);
        assert_eq!(c.charge.len(), 51);
        assert_eq!(c.discharge.len(), 51);
        assert_eq!(c.charge[0], (0.0, 3.0));
        assert_eq!(c.discharge[0], (0.0, 4.0));
        let cap = 2e-3 * 0.99;
        assert!((c.charge[50].0 - cap).abs() < 1e-15);
        assert!((c.discharge[50].0 - cap).abs() < 1e-15);
        assert_eq!(data.summaries().len(), 2);
    }

    #[test]
    fn memory_is_bounded_and_keeps_first_and_latest() {
        let data = synthetic(500, |_| true, None);
        let curves = data.curves();
        assert!(
            curves.len() <= PlotData::DEFAULT_MAX_CURVES,
            "{}",
            curves.len()
        );
        assert!(curves.len() >= PlotData::DEFAULT_MAX_CURVES / 2);
        assert_eq!(curves[0].cycle, 1);
        assert_eq!(curves.last().unwrap().cycle, 500);
        assert!(curves.windows(2).all(|w| w[0].cycle < w[1].cycle));
        assert_eq!(data.summaries().len(), 500);

        let mut branch = Branch::new();
        for k in 0..100_003 {
            branch.push((k as f64, 0.0));
        }
        let points = branch.to_points();
        assert!(points.len() <= MAX_POINTS_PER_BRANCH + 1);
        assert_eq!(points[0].0, 0.0);
        assert_eq!(points.last().unwrap().0, 100_002.0);
        assert!(points.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn a_partial_last_cycle_is_shown() {
        let mut data = synthetic(3, |_| true, None);
        data.add_row(&TimeseriesRecord {
            time_s: 1e5,
            cycle: 4,
            step: 1,
            current_a: -1e-3,
            voltage_v: 3.1,
            discharge_capacity_ah: 0.0,
        });
        let curves = data.curves();
        assert_eq!(curves.last().unwrap().cycle, 4);
        assert_eq!(curves.len(), 4);
    }
}
