//! The time series of a cycler export in a known format ([`super::formats`]): each data row
//! with its cycle, time, voltage, current and direction, and the capacity passed in that
//! direction since the start of the cycle; from it the per-cycle summary
//! ([`super::cycles`]) and the voltage curves ([`super::curves`]).
//!
//! **Direction.** From the step type where the format has one (Neware `CC_Chg`, `CC_DChg`,
//! `CCCV_Chg`, `Rest`; Maccor `C`, `D`, `R`; BDF `Step Type`), from `ox/red` for EC-Lab (rows
//! whose current is within the rest threshold are rests), else from the sign of the current:
//! above [`REST_CURRENT_FRACTION`] of the largest current in the file a charge (positive) or a
//! discharge (negative), within it a rest. A step type the importer does not know is decided
//! by the current too.
//!
//! **Capacity.** With one capacity column (Neware `Capacity(mAh)`, Maccor `Amp-hr`, EC-Lab
//! `Q charge/discharge/mA.h`), its magnitude counts up within a step and restarts with the
//! next: a row adds its rise over the previous row to the row's direction, or its whole
//! value where the column fell (a new step). With a charge and a discharge column (Arbin,
//! BDF, Neware `Chg. Cap.`/`DChg. Cap.`), each adds its rises on every row to its direction,
//! whether the column restarts each step, each cycle or never. The charge (discharge) capacity
//! of a cycle is the sum over the cycle; the coulombic efficiency discharge/charge.
//!
//! **Cycles.** Whole numbers that do not decrease; a file whose first cycle is 0 counts from
//! 0 and gets 1 added to every cycle. **Time.** Seconds, durations or date-times
//! ([`super::timestamp`]); date-times become seconds from the first row. A time that runs
//! backwards (a step time) is not the test time, and `end_time_s` is left out.

use std::path::Path;

use super::curves::{CurvePoint, Direction, MeasuredCurves};
use super::cycles::{CycleColumn, MeasuredCycles};
use super::export::Export;
use super::formats::{classify_step, CapacityColumns, StepClass, StepKind};
use super::timestamp::{parse_time, Time, TIME_FORMS};
use super::{invalid, MeasuredError, Problem, Provenance};

/// Rows whose current is within this fraction of the largest current of the file are rests
/// when the direction comes from the current \[-\].
pub const REST_CURRENT_FRACTION: f64 = 1e-3;

/// One data row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// The 1-based line of the file (or row of the sheet).
    pub line: usize,
    /// The cycle number, from 1.
    pub cycle: u32,
    /// Time from the start of the test (or from the first row, for date-times) \[s\].
    pub time_s: Option<f64>,
    /// Cell voltage \[V\].
    pub voltage_v: f64,
    /// Current, positive in charge where the file says so \[A\].
    pub current_a: Option<f64>,
    /// The direction; `None` for a rest.
    pub direction: Option<Direction>,
    /// Capacity passed in `direction` since the start of the cycle \[A·h\] (0 for a rest).
    pub capacity_ah: f64,
}

/// Per-cycle totals.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CycleTotals {
    /// The cycle number.
    pub cycle: u32,
    /// Charge and discharge capacity \[A·h\].
    pub capacity_ah: [f64; 2],
    /// Charge and discharge energy \[W·h\].
    pub energy_wh: [f64; 2],
    /// The time of the cycle's last row \[s\].
    pub end_time_s: Option<f64>,
}

/// The time series of an export.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The rows, in file order.
    pub samples: Vec<Sample>,
    /// The totals of each cycle, in order.
    pub cycles: Vec<CycleTotals>,
}

fn index(d: Direction) -> usize {
    match d {
        Direction::Charge => 0,
        Direction::Discharge => 1,
    }
}

/// The rise of a counter from `previous` to `now`, or `now` where it fell (a restart).
fn rise(previous: f64, now: f64) -> f64 {
    if now >= previous {
        now - previous
    } else {
        now
    }
}

/// Reads the rows of `export` into a time series.
pub fn read_series(export: &Export) -> Result<Series, MeasuredError> {
    let table = &export.table;
    let layout = &export.layout;
    let dc = export.decimal_comma;
    let number = |row, k| table.number(row, k, dc);
    let required = |row, k| table.required_number(row, k, dc);

    // The current of every row, and the rest threshold.
    let mut currents = Vec::with_capacity(table.rows.len());
    for row in &table.rows {
        currents.push(match layout.current {
            Some((k, f)) => number(row, k)?.map(|i| i * f),
            None => None,
        });
    }
    let largest = currents
        .iter()
        .flatten()
        .fold(0.0_f64, |m, i| m.max(i.abs()));
    let threshold = REST_CURRENT_FRACTION * largest;
    let by_current = |row: &super::csv::Row,
                      i: Option<f64>|
     -> Result<Option<Direction>, MeasuredError> {
        let Some(i) = i else {
            let k = layout.current.map_or(layout.cycle, |(k, _)| k);
            return Err(table.field_error(
                row,
                k,
                Problem::Value,
                "the direction of the row is not given by a step type, so it needs the current, and the row has none",
            ));
        };
        Ok(if i > threshold {
            Some(Direction::Charge)
        } else if i < -threshold {
            Some(Direction::Discharge)
        } else {
            None
        })
    };

    let first_cycle = table
        .rows
        .first()
        .map(|r| required(r, layout.cycle))
        .transpose()?;
    let cycle_offset = if first_cycle == Some(0.0) { 1.0 } else { 0.0 };

    let mut samples = Vec::with_capacity(table.rows.len());
    let mut cycles: Vec<CycleTotals> = Vec::new();
    let mut first_instant = None;
    let mut time_ok = layout.time.is_some();
    let mut previous: Option<(f64, [f64; 2])> = None; // voltage, counters
    for (row, &current) in table.rows.iter().zip(&currents) {
        let raw = required(row, layout.cycle)? + cycle_offset;
        if raw.fract() != 0.0 || !(1.0..=f64::from(u32::MAX)).contains(&raw) {
            return Err(table.field_error(
                row,
                layout.cycle,
                Problem::Value,
                format!(
                    "expected a cycle number (a whole number ≥ 0), found `{}`",
                    row.fields[layout.cycle]
                ),
            ));
        }
        let cycle = raw as u32;
        if let Some(last) = cycles.last() {
            if cycle < last.cycle {
                return Err(table.field_error(
                    row,
                    layout.cycle,
                    Problem::CycleOrder,
                    format!(
                        "cycle numbers must not decrease: cycle {cycle} after cycle {}",
                        last.cycle
                    ),
                ));
            }
        }
        if cycles.last().is_none_or(|c| c.cycle != cycle) {
            cycles.push(CycleTotals {
                cycle,
                ..CycleTotals::default()
            });
        }
        let voltage = required(row, layout.voltage)?;
        let time = match layout.time {
            Some(k) if time_ok => {
                let text = row.fields[k].trim();
                let read = parse_time(text).or_else(|| parse_time(&text.replace(',', ".")));
                let t = match read {
                    Some(Time::Elapsed(s)) => s,
                    Some(Time::Instant(s)) => s - *first_instant.get_or_insert(s),
                    None => {
                        return Err(table.field_error(
                            row,
                            k,
                            Problem::Value,
                            format!("expected a time ({TIME_FORMS}), found `{text}`"),
                        ))
                    }
                };
                if samples
                    .last()
                    .and_then(|s: &Sample| s.time_s)
                    .is_some_and(|p| t < p)
                {
                    time_ok = false;
                }
                Some(t)
            }
            _ => None,
        };
        let direction = match (layout.step, export.layout.format.step_kind()) {
            (Some(k), StepKind::Text) => match classify_step(&row.fields[k]) {
                StepClass::Moving(d) => Some(d),
                StepClass::Rest => None,
                StepClass::Unknown if layout.current.is_some() => by_current(row, current)?,
                StepClass::Unknown => None,
            },
            (Some(k), StepKind::OxRed) => {
                let moving = current.is_none_or(|i| i.abs() > threshold);
                match (moving, row.fields[k].trim()) {
                    (false, _) => None,
                    (true, "1") => Some(Direction::Charge),
                    (true, "0") => Some(Direction::Discharge),
                    (true, other) => {
                        return Err(table.field_error(
                            row,
                            k,
                            Problem::Value,
                            format!("expected 1 (oxidation) or 0 (reduction), found `{other}`"),
                        ))
                    }
                }
            }
            (None, _) => by_current(row, current)?,
        };
        let counters = match layout.capacity {
            CapacityColumns::Single(k, f) => {
                let q = number(row, k)?.map_or(0.0, |q| (q * f).abs());
                [q, q]
            }
            CapacityColumns::Split((kc, fc), (kd, fd)) => [
                number(row, kc)?.map_or(0.0, |q| (q * fc).abs()),
                number(row, kd)?.map_or(0.0, |q| (q * fd).abs()),
            ],
        };
        let (v_before, before) = previous.unwrap_or((voltage, [0.0, 0.0]));
        let totals = cycles.last_mut().ok_or_else(|| {
            invalid(
                &table.path,
                Some(row.line),
                None,
                Problem::Empty,
                "no cycle",
            )
        })?;
        let mut add = |d: usize, dq: f64| {
            totals.capacity_ah[d] += dq;
            totals.energy_wh[d] += dq * 0.5 * (voltage + v_before);
        };
        match layout.capacity {
            CapacityColumns::Single(..) => {
                if let Some(d) = direction {
                    add(index(d), rise(before[0], counters[0]));
                }
            }
            CapacityColumns::Split(..) => {
                for d in 0..2 {
                    add(d, rise(before[d], counters[d]));
                }
            }
        }
        totals.end_time_s = time;
        previous = Some((voltage, counters));
        samples.push(Sample {
            line: row.line,
            cycle,
            time_s: time,
            voltage_v: voltage,
            current_a: current,
            direction,
            capacity_ah: direction.map_or(0.0, |d| totals.capacity_ah[index(d)]),
        });
    }
    if !time_ok {
        for c in &mut cycles {
            c.end_time_s = None;
        }
        for s in &mut samples {
            s.time_s = None;
        }
    }
    Ok(Series { samples, cycles })
}

/// Checks the active-material mass \[g\] that per-gram values need.
fn mass_g(path: &Path, mass_g: Option<f64>, what: &str) -> Result<f64, MeasuredError> {
    match mass_g {
        Some(m) if m.is_finite() && m > 0.0 => Ok(m),
        Some(m) => Err(invalid(
            path,
            None,
            None,
            Problem::Mass,
            format!("the active-material mass must be a positive number of grams, found {m}"),
        )),
        None => Err(invalid(
            path,
            None,
            None,
            Problem::Mass,
            format!("{what} are per gram of active material, which needs its mass: give --active-mass-g (or active_mass_g in a mapping)"),
        )),
    }
}

impl Series {
    /// The per-cycle summary: charge and discharge capacity per gram and in A·h, coulombic
    /// efficiency, mean charge and discharge voltages (energy / capacity), energies and
    /// `end_time_s`. `path` names the export in errors (a mass that is missing or not
    /// positive).
    pub fn summary(
        &self,
        path: &Path,
        mass_g_given: Option<f64>,
        provenance: Provenance,
    ) -> Result<MeasuredCycles, MeasuredError> {
        let mass = mass_g(
            path,
            mass_g_given,
            "charge_capacity_mAh_g and discharge_capacity_mAh_g",
        )?;
        let per = |f: &dyn Fn(&CycleTotals) -> Option<f64>| -> Vec<Option<f64>> {
            self.cycles.iter().map(f).collect()
        };
        let ratio = |a: f64, b: f64| (b > 0.0).then(|| a / b);
        let mut columns: Vec<(&str, Vec<Option<f64>>)> = vec![
            (
                "charge_capacity_mAh_g",
                per(&|c| Some(c.capacity_ah[0] * 1000.0 / mass)),
            ),
            (
                "discharge_capacity_mAh_g",
                per(&|c| Some(c.capacity_ah[1] * 1000.0 / mass)),
            ),
            (
                "coulombic_efficiency",
                per(&|c| ratio(c.capacity_ah[1], c.capacity_ah[0])),
            ),
            (
                "mean_charge_voltage_V",
                per(&|c| ratio(c.energy_wh[0], c.capacity_ah[0])),
            ),
            (
                "mean_discharge_voltage_V",
                per(&|c| ratio(c.energy_wh[1], c.capacity_ah[1])),
            ),
            ("charge_capacity_Ah", per(&|c| Some(c.capacity_ah[0]))),
            ("discharge_capacity_Ah", per(&|c| Some(c.capacity_ah[1]))),
            ("charge_energy_Wh", per(&|c| Some(c.energy_wh[0]))),
            ("discharge_energy_Wh", per(&|c| Some(c.energy_wh[1]))),
        ];
        if self.cycles.iter().any(|c| c.end_time_s.is_some()) {
            columns.push(("end_time_s", per(&|c| c.end_time_s)));
        }
        Ok(MeasuredCycles {
            provenance,
            cycles: self.cycles.iter().map(|c| c.cycle).collect(),
            columns: columns
                .into_iter()
                .map(|(name, values)| CycleColumn {
                    name: name.to_string(),
                    values,
                })
                .collect(),
        })
    }

    /// The voltage curves: every charge and discharge row as a point of its cycle and
    /// direction, capacity per gram from the start of the cycle's rows of that direction.
    /// A cycle whose charge (or discharge) starts again after the other direction is an error
    /// naming the line, as the curves schema holds one of each per cycle.
    pub fn curves(
        &self,
        path: &Path,
        mass_g_given: Option<f64>,
        provenance: Provenance,
    ) -> Result<MeasuredCurves, MeasuredError> {
        let mass = mass_g(
            path,
            mass_g_given,
            "the curves' capacities (capacity_mAh_g)",
        )?;
        let mut points = Vec::new();
        let mut finished: Vec<(u32, Direction)> = Vec::new();
        for s in &self.samples {
            let Some(d) = s.direction else { continue };
            if finished.last() != Some(&(s.cycle, d)) {
                if finished.contains(&(s.cycle, d)) {
                    return Err(invalid(
                        path,
                        Some(s.line),
                        None,
                        Problem::CycleOrder,
                        format!(
                            "cycle {} has a {} again after a {}; a voltage-curves file holds one charge and one discharge curve per cycle",
                            s.cycle,
                            d.name(),
                            finished.last().map_or("", |(_, o)| o.name())
                        ),
                    ));
                }
                finished.push((s.cycle, d));
            }
            points.push(CurvePoint {
                cycle: s.cycle,
                step: Some(d),
                capacity_mah_g: s.capacity_ah * 1000.0 / mass,
                voltage_v: s.voltage_v,
            });
        }
        Ok(MeasuredCurves { provenance, points })
    }
}
