//! The seeded generator of cases: random but plausible experiments over every built-in
//! parameter set, drawn with [`SplitMix64`] from a stream that depends only on the seed and the
//! case's index, so case `i` of seed `S` is the same whatever the number of cases or jobs.
//!
//! What a case draws (`docs/robustness.md`, "What the suite covers"):
//! - the set, uniformly over [`SET_NAMES`], and its base scenario ([`BaseScenario::for_set`]);
//! - the temperature, uniform in 263–353 K;
//! - charge and discharge C-rates, log-uniform in 0.05–10C (the discharge at the charge's rate
//!   half of the time);
//! - the cycle: CC charge then discharge to the cut-offs (the verification cells, which start
//!   charged, are first discharged in a cycle of their own), and sometimes a constant-voltage hold at the upper cut-off until C/50, C/20 or C/10 (now
//!   and then "or 2 hours"), rests, pulses (`Discharge at 2C for 30 seconds`, rests between),
//!   a partial discharge for a duration before the full one, an upper cut-off below the
//!   cell's;
//! - sometimes a formation block of 1–3 cycles at 0.05C or 0.1C before the main block;
//! - for the paper cells, most of the time cut-offs written vs Li/Li+;
//! - 20–300 main cycles, fewer at slow rates (at most 20 at 0.05C, 300 at 10C, log-linear in
//!   between);
//! - sometimes cycle jumping, and impedance spectra (`impedance.cycles=[k]` or
//!   `impedance.every_cycles=N`; the paper cells' base takes spectra every 50 cycles anyway);
//! - multipliers ×0.5–3 on `positive.thickness_m` and `positive.particle_radius_m`, ×0.1–10 on
//!   `positive.solid_diffusivity_m2_s` (log-uniform), and for sets with an interphase
//!   `interphase.electronic_conductor_fraction` uniform in 0–0.4; the base values come from the
//!   set, so the `--set` values are absolute;
//! - for the paper cells, half of the time, the oxygen-state laws away from their calibration,
//!   each with probability ½: `anion_redox.exchange_current_ratio` log-uniform in 0.01–1,
//!   `cracking.contact_loss_per_cycle` in 1e-6–1e-3, `anion_redox.oxygen_loss_contact_m_s` in
//!   1e-14–1e-12 m/s, `anion_redox.hysteresis_growth_V` uniform in 0–2 V,
//!   `anion_redox.densified_per_oxygen` uniform in 0–1.05;
//! - 30 % of the cases, on every set, `positive.contact_fraction` log-uniform in 0.05–1;
//! - 30 % of the paper cells' cases, `interphase.sealing_law` either law and
//!   `interphase.sealing_thickness_m` log-uniform in 0.3–3 nm.
//!
//! Every case writes the whole time series (`save_cycles="all"`), so that every voltage is
//! checked against the window.

use std::path::Path;

use crate::protocol::experiment::CellContext;
use crate::scenario::{parameter_tree::parameter_value, parse_scenario_with, SetOverride};

use super::case::{BaseScenario, Case, Feature, VoltageWindow};
use super::RobustnessError;

/// The built-in parameter sets the suite covers (`asslb params list`).
pub const SET_NAMES: [&str; 4] = [
    "wu2022_lro_lpscl",
    "wu2022_lro_liquid",
    "solid_halfcell_single_ion",
    "xu2019_liquid_halfcell",
];

/// The SplitMix64 generator (Steele, Lea and Flood 2014): 64 bits of state, a Weyl sequence
/// through a mixing function. Small, fast, statistically good enough for drawing cases, and
/// the same on every machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitMix64 {
    state: u64,
}

/// The SplitMix64 output function: a bijective 64-bit mixer.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl SplitMix64 {
    /// A generator started at `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    /// The generator of case `index` of `seed`: its own stream, independent of every other
    /// case's.
    pub fn for_case(seed: u64, index: u64) -> Self {
        SplitMix64::new(mix(mix(seed) ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03)))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.state)
    }

    /// Uniform in [0, 1), with 53 random bits.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [lo, hi).
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.uniform()
    }

    /// Log-uniform in [lo, hi) (both positive).
    pub fn log_uniform(&mut self, lo: f64, hi: f64) -> f64 {
        (lo.ln() + (hi.ln() - lo.ln()) * self.uniform()).exp()
    }

    /// Uniform in 0..n (0 when n is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        // Multiply-shift: unbiased enough for n far below 2^64.
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.uniform() < p
    }

    /// One element of a non-empty slice, uniformly.
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

/// What the generator needs to know of one parameter set, read from its base scenario.
#[derive(Debug, Clone, PartialEq)]
struct SetInfo {
    name: &'static str,
    base: BaseScenario,
    window: VoltageWindow,
    counter_ocp_v: f64,
    /// Whether the paper's vs-Li/Li+ cut-offs are natural for this cell.
    paper_cell: bool,
    thickness_m: Option<f64>,
    particle_radius_m: Option<f64>,
    solid_diffusivity_m2_s: Option<f64>,
    has_interphase: bool,
}

/// The case generator of one seed.
#[derive(Debug, Clone)]
pub struct Generator {
    seed: u64,
    sets: Vec<SetInfo>,
}

/// The value of a numeric parameter of the base scenario, `None` when the set has none there
/// or it is not a plain number (a table, an expression).
fn number_at(
    scenario: &crate::scenario::Scenario,
    set: &str,
    path: &str,
) -> Result<Option<f64>, RobustnessError> {
    let value =
        parameter_value(scenario, path).map_err(|error| RobustnessError::ParameterPath {
            set: set.to_string(),
            path: path.to_string(),
            error: Box::new(error),
        })?;
    Ok(match value {
        Some(toml::Value::Float(x)) if x.is_finite() && x > 0.0 => Some(x),
        Some(toml::Value::Integer(i)) if i > 0 => Some(i as f64),
        _ => None,
    })
}

impl Generator {
    /// The generator of `seed`: loads every set's base scenario (from the copies compiled into
    /// the binary) and reads the cut-offs, the counter electrode's potential and the values
    /// the cases multiply.
    pub fn new(seed: u64) -> Result<Self, RobustnessError> {
        let mut sets = Vec::new();
        for name in SET_NAMES {
            let base = BaseScenario::for_set(name).ok_or_else(|| RobustnessError::Parameter {
                set: name.to_string(),
                path: "parameter_set".to_string(),
                reason: "no base scenario for this set".to_string(),
            })?;
            let base_error = |source| RobustnessError::Base {
                base: base.repo_path().to_string(),
                set: name.to_string(),
                source: Box::new(source),
            };
            let set = SetOverride::parse(&format!("parameter_set={name}")).map_err(base_error)?;
            let scenario = parse_scenario_with(
                base.text(),
                Path::new(base.repo_path()),
                Path::new("."),
                &[set],
            )
            .map_err(base_error)?;
            let context = CellContext::from_parameters(&scenario.parameters);
            let has_interphase = matches!(
                parameter_value(&scenario, "interphase.electronic_conductor_fraction"),
                Ok(Some(_))
            );
            sets.push(SetInfo {
                name,
                base,
                window: VoltageWindow {
                    lower_v: context.lower_cutoff_v,
                    upper_v: context.upper_cutoff_v,
                },
                counter_ocp_v: context.counter_ocp_v,
                paper_cell: base == BaseScenario::Wu2022,
                thickness_m: number_at(&scenario, name, "positive.thickness_m")?,
                particle_radius_m: number_at(&scenario, name, "positive.particle_radius_m")?,
                solid_diffusivity_m2_s: number_at(
                    &scenario,
                    name,
                    "positive.solid_diffusivity_m2_s",
                )?,
                has_interphase,
            });
        }
        Ok(Generator { seed, sets })
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Cases 1 to `n`.
    pub fn cases(&self, n: u64) -> Vec<Case> {
        (1..=n).map(|i| self.case(i)).collect()
    }

    /// Case `index` (from 1): a function of the seed and the index only.
    pub fn case(&self, index: u64) -> Case {
        let mut rng = SplitMix64::for_case(self.seed, index);
        let info = &self.sets[rng.below(self.sets.len())];
        let mut features = vec![Feature::ConstantCurrent, Feature::Temperature];
        let mut sets: Vec<String> = Vec::new();
        if info.base == BaseScenario::Wu2022 {
            sets.push(format!("parameter_set={}", info.name));
        }

        let temperature_k = rng.range(263.0, 353.0);
        let charge_c = rng.log_uniform(0.05, 10.0);
        let discharge_c = if rng.chance(0.5) {
            charge_c
        } else {
            rng.log_uniform(0.05, 10.0)
        };
        let (charge_rate, discharge_rate) = (c_rate(charge_c), c_rate(discharge_c));

        // Cut-offs: vs Li/Li+ for the paper cells most of the time; the upper one sometimes
        // below the cell's (the formation block keeps the cell's).
        let vs_li = info.paper_cell && rng.chance(0.6);
        if vs_li {
            features.push(Feature::LithiumReference);
        }
        let voltage = |cell_v: f64| {
            if vs_li {
                format!("{} V vs Li/Li+", volts(cell_v + info.counter_ocp_v))
            } else {
                format!("{} V", volts(cell_v))
            }
        };
        let lower = voltage(info.window.lower_v);
        let full_upper = voltage(info.window.upper_v);
        let upper = if rng.chance(0.15) {
            features.push(Feature::NarrowWindow);
            voltage(info.window.upper_v - rng.pick(&[0.05, 0.1, 0.2]))
        } else {
            full_upper.clone()
        };

        // The cycle of the main block.
        let mut charge = vec![format!("Charge at {charge_rate} until {upper}")];
        if rng.chance(0.4) {
            features.push(Feature::Hold);
            let until = rng.pick(&["C/50", "C/50", "C/50", "C/20", "C/10"]);
            let or = if rng.chance(0.2) { " or 2 hours" } else { "" };
            charge.push(format!("Hold at {upper} until {until}{or}"));
        }
        let mut discharge = Vec::new();
        if rng.chance(0.15) {
            features.push(Feature::Duration);
            // A partial discharge of 10–60 % of the nominal capacity, then a rest.
            let minutes = (rng.range(0.1, 0.6) * 60.0 / discharge_c).round().max(1.0);
            discharge.push(format!(
                "Discharge at {discharge_rate} for {}",
                duration_minutes(minutes)
            ));
            discharge.push(format!(
                "Rest for {}",
                duration_minutes(rng.pick(&[1.0, 5.0, 10.0]))
            ));
        }
        discharge.push(format!("Discharge at {discharge_rate} until {lower}"));
        let mut pulses = Vec::new();
        if rng.chance(0.15) {
            features.push(Feature::Pulse);
            for _ in 0..1 + rng.below(3) {
                let rate = c_rate(rng.log_uniform(0.5, 5.0));
                let seconds = rng.pick(&[10, 30, 60]);
                let kind = if rng.chance(0.7) {
                    "Discharge"
                } else {
                    "Charge"
                };
                pulses.push(format!("{kind} at {rate} for {seconds} seconds"));
                pulses.push(format!(
                    "Rest for {}",
                    duration_minutes(rng.pick(&[1.0, 2.0, 5.0]))
                ));
            }
        }
        let rest = rng.chance(0.35);
        let rest_step = |rng: &mut SplitMix64| {
            format!(
                "Rest for {}",
                duration_minutes(rng.pick(&[1.0, 5.0, 10.0, 30.0, 60.0]))
            )
        };
        // Every cycle charges first, so that its coulombic efficiency is that of one charge
        // and the discharge that follows it.
        let mut cycle: Vec<String> = charge;
        if rest {
            cycle.push(rest_step(&mut rng));
        }
        cycle.extend(pulses);
        cycle.extend(discharge);
        if rest {
            cycle.push(rest_step(&mut rng));
        }
        if rest {
            features.push(Feature::Rest);
        }

        // A cell that starts charged is first discharged, in a cycle of its own.
        let opening = info
            .base
            .starts_charged()
            .then(|| vec![format!("Discharge at {discharge_rate} until {lower}")]);

        // Formation: a few slow cycles over the cell's full window.
        let formation = if rng.chance(0.25) {
            features.push(Feature::Formation);
            let rate = rng.pick(&["0.05C", "C/20", "0.1C", "C/10"]);
            let steps = vec![
                format!("Charge at {rate} until {full_upper}"),
                format!("Discharge at {rate} until {lower}"),
            ];
            Some((1 + rng.below(3), steps))
        } else {
            None
        };

        // Main cycles: 20 at 0.05C up to 300 at 10C (log-linear), by the slower rate.
        let slow = charge_c.min(discharge_c);
        let fraction = ((slow / 0.05).ln() / (10.0f64 / 0.05).ln()).clamp(0.0, 1.0);
        let most = 20 + (280.0 * fraction).round() as usize;
        let main_cycles = 20 + rng.below(most - 20 + 1);
        let cycles = main_cycles
            + formation.as_ref().map_or(0, |(n, _)| *n)
            + usize::from(opening.is_some());

        let block = |n: usize, steps: &[String]| {
            let quoted: Vec<String> = steps.iter().map(|s| format!("\"{s}\"")).collect();
            format!("{{cycles={n}, steps=[{}]}}", quoted.join(", "))
        };
        let mut blocks: Vec<(usize, Vec<String>)> = Vec::new();
        if let Some(steps) = opening {
            blocks.push((1, steps));
        }
        if let Some((n, steps)) = formation {
            blocks.push((n, steps));
        }
        blocks.push((main_cycles, cycle));
        let written: Vec<String> = blocks.iter().map(|(n, s)| block(*n, s)).collect();
        sets.push(format!("experiment=[{}]", written.join(", ")));
        sets.push(save_cycles(info.base, &blocks, charge_c, discharge_c));
        sets.push(format!("cell.temperature_K={temperature_k:.1}"));

        if rng.chance(0.2) {
            features.push(Feature::CycleJumping);
            sets.push("solver.cycle_jumping={}".to_string());
        }
        if info.base == BaseScenario::Wu2022 {
            // The base takes spectra every 50 cycles from cycle 11.
            features.push(Feature::Impedance);
        }
        if rng.chance(0.2) {
            if !features.contains(&Feature::Impedance) {
                features.push(Feature::Impedance);
            }
            if rng.chance(0.5) {
                sets.push(format!("impedance.cycles=[{}]", 1 + rng.below(cycles)));
            } else {
                let every = rng.pick(&[5, 10, 25, 50]);
                sets.push(format!("impedance.every_cycles={every}"));
            }
        }

        // Parameter multipliers on the set's own values.
        if let Some(base) = info.thickness_m.filter(|_| rng.chance(0.4)) {
            features.push(Feature::Thickness);
            let x = base * rng.log_uniform(0.5, 3.0);
            sets.push(format!("positive.thickness_m={x:.4e}"));
        }
        if let Some(base) = info.particle_radius_m.filter(|_| rng.chance(0.4)) {
            features.push(Feature::ParticleRadius);
            let x = base * rng.log_uniform(0.5, 3.0);
            sets.push(format!("positive.particle_radius_m={x:.4e}"));
        }
        if let Some(base) = info.solid_diffusivity_m2_s.filter(|_| rng.chance(0.4)) {
            features.push(Feature::SolidDiffusivity);
            let x = base * rng.log_uniform(0.1, 10.0);
            sets.push(format!("positive.solid_diffusivity_m2_s={x:.4e}"));
        }
        if info.has_interphase && rng.chance(0.5) {
            features.push(Feature::ConductorFraction);
            let x = rng.range(0.0, 0.4);
            sets.push(format!("interphase.electronic_conductor_fraction={x:.3}"));
        }
        // The paper cells' oxygen-state laws away from their calibration (drawn last, so that
        // the cases drawn before these laws existed keep their other draws).
        if info.paper_cell && rng.chance(0.5) {
            features.push(Feature::OxygenLaws);
            if rng.chance(0.5) {
                let x = rng.log_uniform(0.01, 1.0);
                sets.push(format!("anion_redox.exchange_current_ratio={x:.3e}"));
            }
            if rng.chance(0.5) {
                let x = rng.log_uniform(1e-6, 1e-3);
                sets.push(format!("cracking.contact_loss_per_cycle={x:.3e}"));
            }
            if rng.chance(0.5) {
                let x = rng.log_uniform(1e-14, 1e-12);
                sets.push(format!("anion_redox.oxygen_loss_contact_m_s={x:.3e}"));
            }
            if rng.chance(0.5) {
                let x = rng.range(0.0, 2.0);
                sets.push(format!("anion_redox.hysteresis_growth_V={x:.3}"));
            }
            if rng.chance(0.5) {
                // Below 1/lattice_capacity (1.075 in the paper sets).
                let x = rng.range(0.0, 1.05);
                sets.push(format!("anion_redox.densified_per_oxygen={x:.3}"));
            }
        }
        // A partial contact of the particles with the electrolyte (every set; drawn last, so
        // that the cases drawn before it existed keep their other draws).
        if rng.chance(0.3) {
            features.push(Feature::Contact);
            let x = rng.log_uniform(0.05, 1.0);
            sets.push(format!("positive.contact_fraction={x:.3}"));
        }
        // How the paper cells' films close over the oxide: either law, and a sealing thickness
        // from a monolayer to a few nanometres (drawn last, as above).
        if info.paper_cell && rng.chance(0.3) {
            features.push(Feature::Sealing);
            let law = if rng.chance(0.5) {
                "random_deposition"
            } else {
                "growth_at_open_sites"
            };
            sets.push(format!("interphase.sealing_law={law}"));
            let x = rng.log_uniform(3e-10, 3e-9);
            sets.push(format!("interphase.sealing_thickness_m={x:.3e}"));
        }

        features.sort();
        features.dedup();
        Case {
            index,
            seed: self.seed,
            set: info.name.to_string(),
            base: info.base,
            sets,
            cycles,
            blocks,
            features,
            window: info.window,
        }
    }
}

/// Rows of the time series a case may write, about: the verification bases write a row every
/// 2.7 s (`solver.output_interval_s`), which at slow rates makes tens of thousands of rows per
/// cycle.
const ROW_BUDGET: f64 = 150_000.0;

/// The `save_cycles` override: `"all"`, unless the base writes rows at a fixed interval and
/// all cycles would exceed [`ROW_BUDGET`]; then cycle 1 and every k-th (`{every=k}`), k as
/// small as the budget allows.
fn save_cycles(
    base: BaseScenario,
    blocks: &[(usize, Vec<String>)],
    charge_c: f64,
    discharge_c: f64,
) -> String {
    let all = "save_cycles=\"all\"".to_string();
    if base == BaseScenario::Wu2022 {
        // Rows at the solver's steps: a few hundred per cycle.
        return all;
    }
    let cycles: usize = blocks.iter().map(|(n, _)| n).sum();
    // Rows per cycle at 2.7 s: the CC steps at the nominal rates (holds and rests add less).
    let hours = 1.0 / charge_c + 1.0 / discharge_c;
    let rows_per_cycle = hours * 3600.0 / 2.7;
    let saved = (ROW_BUDGET / rows_per_cycle).floor().max(2.0) as usize;
    if saved >= cycles {
        return all;
    }
    let every = cycles.div_ceil(saved);
    format!("save_cycles={{every={every}}}")
}

/// A C-rate with two significant digits: `0.37C`, `2.4C`, `10C`.
fn c_rate(x: f64) -> String {
    format!("{}C", significant(x, 2))
}

/// A voltage to the millivolt, trailing zeros dropped but one decimal kept: `2.0`, `3.68`.
fn volts(v: f64) -> String {
    let mut s = format!("{v:.3}");
    while s.ends_with('0') && !s.ends_with(".0") {
        s.pop();
    }
    s
}

/// A whole number of minutes as a duration: `1 minute`, `20 minutes`.
fn duration_minutes(m: f64) -> String {
    if m == 1.0 {
        "1 minute".to_string()
    } else {
        format!("{m:.0} minutes")
    }
}

/// `x` (positive) with `digits` significant digits, in plain decimal notation.
fn significant(x: f64, digits: i32) -> String {
    let magnitude = x.abs().log10().floor() as i32;
    let decimals = (digits - 1 - magnitude).max(0) as usize;
    let mut s = format!("{x:.decimals$}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_reference_values() {
        // The first outputs of SplitMix64 seeded with 1234567 (the reference C code).
        let mut r = SplitMix64::new(1234567);
        assert_eq!(r.next_u64(), 6457827717110365317);
        assert_eq!(r.next_u64(), 3203168211198807973);
    }

    #[test]
    fn draws_stay_in_range() {
        let mut r = SplitMix64::new(7);
        for _ in 0..10_000 {
            let u = r.uniform();
            assert!((0.0..1.0).contains(&u));
            let l = r.log_uniform(0.05, 10.0);
            assert!((0.05..=10.0).contains(&l));
            assert!(r.below(3) < 3);
        }
        assert_eq!(r.below(0), 0);
    }

    #[test]
    fn number_formats() {
        assert_eq!(c_rate(0.0512), "0.051C");
        assert_eq!(c_rate(0.37), "0.37C");
        assert_eq!(c_rate(2.44), "2.4C");
        assert_eq!(c_rate(9.96), "10C");
        assert_eq!(volts(1.38 + 0.62), "2.0");
        assert_eq!(volts(3.68), "3.68");
        assert_eq!(volts(4.3), "4.3");
        assert_eq!(duration_minutes(1.0), "1 minute");
        assert_eq!(duration_minutes(12.0), "12 minutes");
    }
}
