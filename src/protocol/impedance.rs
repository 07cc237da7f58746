//! Impedance spectra during cycling: which cycles are measured, at which point of the cycle,
//! after how long a rest, over which frequencies; and the spectrum a run hands to its sink.
//!
//! A measurement is an *off-trajectory probe*: when the chosen step of a requested cycle ends,
//! the driver ([`super::simulate::Simulation`]) copies the state, lets the copy rest at open
//! circuit on a second solver, and computes the linearised impedance
//! ([`crate::physics::p2d::P2dModel::impedance`]) at the end of that rest. The cycling
//! trajectory itself is not touched: a run with measurements gives the same `summary.csv` as
//! one without.

use faer::c64;

use crate::numerics::mesh::MeshSettings;
use crate::numerics::small_signal::{log_frequencies, FrequencyResponseError};
use crate::physics::p2d::{DegradationState, ModelError, P2dModel};
use crate::physics::parameters::CellParameters;

use super::step::{Direction, Experiment, Step};

/// Which cycles are measured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImpedanceCycles {
    /// Every n-th cycle: n, 2n, 3n, … (n ≥ 1).
    Every(usize),
    /// Every `every`-th cycle from cycle `first`: first, first + every, … (both ≥ 1), for
    /// example from the first cycle after formation.
    EveryFrom {
        /// The first measured cycle.
        first: usize,
        /// Cycles between measurements.
        every: usize,
    },
    /// These cycles (strictly increasing, each ≥ 1).
    List(Vec<usize>),
}

impl ImpedanceCycles {
    /// Whether cycle `cycle` (from 1) is measured.
    pub fn contains(&self, cycle: usize) -> bool {
        match self {
            ImpedanceCycles::Every(n) => *n > 0 && cycle > 0 && cycle % n == 0,
            ImpedanceCycles::EveryFrom { first, every } => {
                *every > 0 && cycle >= *first && (cycle - first) % every == 0
            }
            ImpedanceCycles::List(list) => list.binary_search(&cycle).is_ok(),
        }
    }

    /// The first measured cycle after `cycle`, if any.
    pub fn next_after(&self, cycle: usize) -> Option<usize> {
        match self {
            ImpedanceCycles::Every(0) => None,
            ImpedanceCycles::Every(n) => Some((cycle / n + 1) * n),
            ImpedanceCycles::EveryFrom { every: 0, .. } => None,
            ImpedanceCycles::EveryFrom { first, .. } if cycle < *first => Some(*first),
            ImpedanceCycles::EveryFrom { first, every } => {
                Some(first + ((cycle - first) / every + 1) * every)
            }
            ImpedanceCycles::List(list) => list.iter().copied().find(|&c| c > cycle),
        }
    }

    /// The measured cycles up to and including `last`, in order.
    pub fn up_to(&self, last: usize) -> Vec<usize> {
        match self {
            ImpedanceCycles::Every(0) => Vec::new(),
            ImpedanceCycles::Every(n) => (1..=last / n).map(|k| k * n).collect(),
            ImpedanceCycles::EveryFrom { every: 0, .. } => Vec::new(),
            ImpedanceCycles::EveryFrom { first, every } => {
                (*first..=last).step_by(*every).collect()
            }
            ImpedanceCycles::List(list) => list.iter().copied().filter(|&c| c <= last).collect(),
        }
    }
}

/// After which part of the cycle the spectrum is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeasureAfter {
    /// After the cycle's last discharge step (see [`MeasureAfter::step_index`]).
    Discharge,
    /// After the cycle's last charge step.
    Charge,
}

impl MeasureAfter {
    /// The word used in scenario files and messages (`"discharge"`, `"charge"`).
    pub fn as_str(self) -> &'static str {
        match self {
            MeasureAfter::Discharge => "discharge",
            MeasureAfter::Charge => "charge",
        }
    }

    /// The 0-based index of the step of a cycle made of `steps` after which the spectrum is
    /// taken, `None` if the cycle has no such step.
    ///
    /// A constant-current step belongs to its direction; a constant-voltage hold belongs to the
    /// direction of the step right before it (the CV part of a CC-CV charge is part of the
    /// charge), and to none when it opens the cycle or follows a rest; rests belong to none. The
    /// chosen step is the last one of the wanted direction, so "after discharge" of a
    /// CC-CV charge / CC discharge cycle is the end of the discharge, and "after charge" is the
    /// end of the CV hold.
    pub fn step_index(self, steps: &[Step]) -> Option<usize> {
        let wanted = match self {
            MeasureAfter::Discharge => Direction::Discharge,
            MeasureAfter::Charge => Direction::Charge,
        };
        let mut phase: Option<Direction> = None;
        let mut chosen = None;
        for (k, step) in steps.iter().enumerate() {
            phase = match step {
                Step::ConstantCurrent { direction, .. } => Some(*direction),
                Step::ConstantVoltage { .. } => phase,
                Step::Rest { .. } => None,
            };
            if phase == Some(wanted) {
                chosen = Some(k);
            }
        }
        chosen
    }
}

/// Where and how impedance spectra are taken during a run (the `[impedance]` section of a
/// scenario).
#[derive(Debug, Clone, PartialEq)]
pub struct ImpedanceSettings {
    /// The measured cycles.
    pub cycles: ImpedanceCycles,
    /// After which part of each measured cycle.
    pub after: MeasureAfter,
    /// Open-circuit rest before the measurement \[s\] (≥ 0). With 0 the current is switched
    /// off and only the algebraic variables settle (a rest of [`MIN_REST_S`]).
    pub rest_s: f64,
    /// Lowest frequency \[Hz\] (> 0).
    pub f_min_hz: f64,
    /// Highest frequency \[Hz\] (> `f_min_hz`).
    pub f_max_hz: f64,
    /// Frequencies per decade, spaced evenly in log f (≥ 1).
    pub points_per_decade: usize,
    /// How many times thinner the outermost particle shell of the measuring model is than a
    /// uniform shell (≥ 1; default 10). At 1 Hz–1 kHz solid diffusion reaches nanometres into
    /// the particle, far less than a uniform shell; the surface reconstruction then adds a
    /// spurious resistance proportional to the outer shell's width (about 12 Ω in the paper
    /// cell at 20 uniform shells). The probe therefore moves the state onto a mesh with the
    /// same number of shells refined toward the surface
    /// ([`crate::physics::p2d::P2dModel::transfer_state`], conservative) before its rest; the
    /// cycling mesh is not changed. 1 measures on the cycling mesh.
    pub particle_surface_refinement: usize,
    /// The equivalent circuit to fit to each spectrum, as written (for example
    /// `"R0-p(R1,CPE1)-W1"`); `None` for no fit. Stored only: see [`ImpedanceSettings::circuit`]
    /// and `crate::scenario` for where it is validated and fitted.
    pub circuit: Option<String>,
}

/// The shortest rest of a probe \[s\]: a requested rest of 0 still switches the current off and
/// lets the algebraic variables (potentials, interface currents) settle.
pub const MIN_REST_S: f64 = 1e-3;

impl Default for ImpedanceSettings {
    /// Every 50 cycles after discharge and 30 min of rest, 10 mHz – 1 MHz at 10 points per
    /// decade (the paper's measurement), no circuit.
    fn default() -> Self {
        ImpedanceSettings {
            cycles: ImpedanceCycles::Every(50),
            after: MeasureAfter::Discharge,
            rest_s: 1800.0,
            f_min_hz: 0.01,
            f_max_hz: 1e6,
            points_per_decade: 10,
            particle_surface_refinement: 10,
            circuit: None,
        }
    }
}

/// The spectrum \[Ω\] of the cell `params` in its initial rested state at `settings`'
/// frequencies, on `mesh` refined toward the particle surface as the settings ask
/// ([`ImpedanceSettings::measuring_mesh`]).
pub fn spectrum_at_rest(
    params: &CellParameters,
    mesh: &MeshSettings,
    settings: &ImpedanceSettings,
) -> Result<Vec<c64>, SpectrumAtRestError> {
    settings.validate()?;
    let mut model = P2dModel::new(params, &settings.measuring_mesh(mesh))?;
    let y = model.rest_state();
    let yp = vec![0.0; y.len()];
    Ok(model.impedance(&y, &yp, &settings.frequencies_hz())?)
}

/// Why [`spectrum_at_rest`] has no spectrum.
#[derive(Debug, thiserror::Error)]
pub enum SpectrumAtRestError {
    /// The settings are out of their ranges.
    #[error(transparent)]
    Settings(#[from] ImpedanceSettingsError),
    /// The measuring model cannot be built.
    #[error("cannot build the model: {0}")]
    Model(#[from] ModelError),
    /// The frequency response failed.
    #[error("cannot compute the impedance: {0}")]
    Response(#[from] FrequencyResponseError),
}

/// Why impedance settings do not fit an experiment: the key at fault (within `[impedance]`)
/// and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("impedance settings, `{key}`: {message}")]
pub struct ImpedanceSettingsError {
    /// The key within `[impedance]` (`every_cycles`, `cycles`, `after`, `f_max_Hz`, …).
    pub key: &'static str,
    /// The other keys whose values the check of `key` took in: `f_min_Hz` for an `f_max_Hz`
    /// not above it, both frequencies for too many frequencies; empty for a value wrong on its
    /// own. A front end that sets these keys from its own options names those options.
    pub checked_with: &'static [&'static str],
    /// What was expected and found.
    pub message: String,
}

impl ImpedanceSettingsError {
    /// Whether the value of `key` is at fault or took part in the check.
    pub fn concerns(&self, key: &str) -> bool {
        self.key == key || self.checked_with.contains(&key)
    }
}

impl ImpedanceSettings {
    /// The mesh of the measuring model: `mesh` with the particle shells refined toward the
    /// surface by [`ImpedanceSettings::particle_surface_refinement`].
    pub fn measuring_mesh(&self, mesh: &MeshSettings) -> MeshSettings {
        MeshSettings {
            particle_surface_refinement: self.particle_surface_refinement,
            ..*mesh
        }
    }

    /// The measurement frequencies \[Hz\], increasing.
    pub fn frequencies_hz(&self) -> Vec<f64> {
        log_frequencies(self.f_min_hz, self.f_max_hz, self.points_per_decade)
    }

    /// Checks the frequency range and the rest on their own (not against an experiment),
    /// against the accepted ranges of `crate::range`: frequencies from 1 µHz to 1 GHz,
    /// 1 to 1000 per decade and at most 10 000 in all, a refinement of 1 to 1000, a rest of 0
    /// to 1e6 minutes.
    pub fn validate(&self) -> Result<(), ImpedanceSettingsError> {
        use crate::range;
        let err = |key, message: String| {
            Err(ImpedanceSettingsError {
                key,
                checked_with: &[],
                message,
            })
        };
        if !(self.f_min_hz.is_finite() && self.f_min_hz > 0.0) {
            return err(
                "f_min_Hz",
                format!(
                    "expected a positive frequency in the accepted range {}, found {}",
                    range::FREQUENCY_HZ,
                    range::shown(self.f_min_hz)
                ),
            );
        }
        if let Err(m) = range::FREQUENCY_HZ.check_value(self.f_min_hz) {
            return err("f_min_Hz", m.to_string());
        }
        if !(self.f_max_hz.is_finite() && self.f_max_hz > self.f_min_hz) {
            return Err(ImpedanceSettingsError {
                key: "f_max_Hz",
                checked_with: &["f_min_Hz"],
                message: format!(
                    "expected a frequency above f_min_Hz = {} Hz (frequencies must increase), found {}",
                    self.f_min_hz,
                    range::shown(self.f_max_hz)
                ),
            });
        }
        if let Err(m) = range::FREQUENCY_HZ.check_value(self.f_max_hz) {
            return err("f_max_Hz", m.to_string());
        }
        if self.particle_surface_refinement == 0 {
            return err(
                "particle_surface_refinement",
                "expected a refinement of 1 (uniform shells) or more, found 0".into(),
            );
        }
        if let Err(m) = range::SURFACE_REFINEMENT.check_usize(self.particle_surface_refinement) {
            return err("particle_surface_refinement", m.to_string());
        }
        if self.points_per_decade == 0 {
            return err(
                "points_per_decade",
                "expected at least 1 frequency per decade, found 0".into(),
            );
        }
        if let Err(m) = range::POINTS_PER_DECADE.check_usize(self.points_per_decade) {
            return err("points_per_decade", m.to_string());
        }
        // As many as `frequencies_hz` gives, without making them.
        let decades = (self.f_max_hz / self.f_min_hz).log10();
        let count = (decades * self.points_per_decade as f64).round() + 1.0;
        if let Err(m) = range::FREQUENCIES.check_value(count as u64) {
            return Err(ImpedanceSettingsError {
                key: "points_per_decade",
                checked_with: &["f_min_Hz", "f_max_Hz"],
                message: format!(
                    "{:.3} decades at {} per decade are {count} frequencies; {m}",
                    decades, self.points_per_decade
                ),
            });
        }
        if !(self.rest_s.is_finite() && self.rest_s >= 0.0) {
            return err(
                "rest_minutes",
                format!(
                    "expected a rest of 0 minutes or more, found {}",
                    self.rest_s / 60.0
                ),
            );
        }
        if let Err(m) = range::IMPEDANCE_REST_MIN.check_value(self.rest_s / 60.0) {
            return err("rest_minutes", m.to_string());
        }
        // A period or a first cycle beyond any experiment's length takes no spectrum; beyond
        // the longest accepted experiment it is a mistake.
        let cycle_count = |key, n: usize| match n {
            0 => Ok(()),
            n => range::CYCLES
                .check_usize(n)
                .map_err(|m| (key, m.to_string())),
        };
        let bounded = match &self.cycles {
            ImpedanceCycles::Every(n) => cycle_count("every_cycles", *n),
            ImpedanceCycles::EveryFrom { first, every } => {
                cycle_count("every_cycles", *every).and(cycle_count("first_cycle", *first))
            }
            ImpedanceCycles::List(_) => Ok(()),
        };
        if let Err((key, m)) = bounded {
            return err(key, m);
        }
        match &self.cycles {
            ImpedanceCycles::Every(0) | ImpedanceCycles::EveryFrom { every: 0, .. } => {
                return err(
                    "every_cycles",
                    "expected a number of cycles ≥ 1, found 0".into(),
                )
            }
            ImpedanceCycles::EveryFrom { first: 0, .. } => {
                return err(
                    "first_cycle",
                    "expected a cycle number ≥ 1 (cycles count from 1), found 0".into(),
                )
            }
            ImpedanceCycles::List(list) => {
                if list.is_empty() {
                    return err(
                        "cycles",
                        "expected at least one cycle, found an empty list".into(),
                    );
                }
                if list[0] == 0 {
                    return err(
                        "cycles",
                        "expected cycle numbers ≥ 1 (cycles count from 1), found 0".into(),
                    );
                }
                if let Some(w) = list.windows(2).find(|w| w[1] <= w[0]) {
                    return err(
                        "cycles",
                        format!(
                            "expected strictly increasing cycle numbers, found {} after {}",
                            w[1], w[0]
                        ),
                    );
                }
            }
            ImpedanceCycles::Every(_) | ImpedanceCycles::EveryFrom { .. } => {}
        }
        Ok(())
    }

    /// Checks that every requested measurement is a state the run reaches: each listed cycle
    /// exists in `experiment`, and each requested cycle has a step of the
    /// [`ImpedanceSettings::after`] kind. (`every_cycles` is a period, not a state: one longer
    /// than the experiment takes no spectrum, so that a scenario keeps working when its
    /// experiment is shortened with `--set`; [`ImpedanceSettings::requested_in`] counts them.)
    pub fn validate_against(&self, experiment: &Experiment) -> Result<(), ImpedanceSettingsError> {
        self.validate()?;
        let total = experiment.cycles();
        let key = match self.cycles {
            ImpedanceCycles::Every(_) | ImpedanceCycles::EveryFrom { .. } => "every_cycles",
            ImpedanceCycles::List(_) => "cycles",
        };
        match &self.cycles {
            ImpedanceCycles::List(list) => {
                if let Some(&beyond) = list.iter().find(|&&c| c > total) {
                    return Err(ImpedanceSettingsError {
                        key,
                        checked_with: &[],
                        message: format!(
                            "cycle {beyond} is never reached: the experiment has {total} cycle{}",
                            if total == 1 { "" } else { "s" }
                        ),
                    });
                }
            }
            ImpedanceCycles::Every(_) | ImpedanceCycles::EveryFrom { .. } => {}
        }
        let mut first = 1;
        for (b, block) in experiment.blocks.iter().enumerate() {
            let last = first + block.cycles - 1;
            let requested = self.cycles.next_after(first - 1).is_some_and(|c| c <= last);
            if requested && self.after.step_index(&block.steps).is_none() {
                let cycle = self.cycles.next_after(first - 1).unwrap_or(first);
                return Err(ImpedanceSettingsError {
                    key: "after",
                    checked_with: match self.cycles {
                        ImpedanceCycles::Every(_) => &["every_cycles"],
                        ImpedanceCycles::EveryFrom { .. } => &["every_cycles", "first_cycle"],
                        ImpedanceCycles::List(_) => &["cycles"],
                    },
                    message: format!(
                        "\"{}\": cycle {cycle} (experiment block {}) has no {} step, so that state is never reached; measure after \"{}\" or choose other cycles",
                        self.after.as_str(),
                        b + 1,
                        self.after.as_str(),
                        match self.after {
                            MeasureAfter::Discharge => "charge",
                            MeasureAfter::Charge => "discharge",
                        }
                    ),
                });
            }
            first = last + 1;
        }
        Ok(())
    }

    /// The number of spectra a run of `experiment` takes.
    pub fn requested_in(&self, experiment: &Experiment) -> usize {
        self.cycles.up_to(experiment.cycles()).len()
    }

    /// The equivalent circuit to fit, as written in the scenario (`circuit = "…"`), if any.
    ///
    /// INTEGRATION POINT (circuit fitting): the string is stored unparsed. Once
    /// `crate::impedance::circuit::Circuit::parse` exists, it is parsed when the scenario is
    /// read (see `crate::scenario` module `impedance_request`, function
    /// `validate_circuit`) and fitted to every [`ImpedanceSpectrum`] a run hands to its sink.
    pub fn circuit(&self) -> Option<&str> {
        self.circuit.as_deref()
    }
}

/// One spectrum taken during a run, handed to
/// [`super::simulate::TimeseriesSink::impedance_measured`].
#[derive(Debug, Clone, PartialEq)]
pub struct ImpedanceSpectrum {
    /// Cycle number (from 1) of the measurement.
    pub cycle: usize,
    /// 1-based index, within the cycle, of the step after which it was taken.
    pub step: usize,
    /// Run time at the end of that step \[s\] (the probe's rest is not part of the run).
    pub time_s: f64,
    /// The open-circuit rest before the measurement \[s\].
    pub rest_s: f64,
    /// Cell voltage at the end of the rest, where the spectrum was taken \[V\].
    pub voltage_v: f64,
    /// The frequencies \[Hz\], increasing.
    pub frequencies_hz: Vec<f64>,
    /// The impedance at each frequency \[Ω\], Z = Z' + i Z'' (capacitive arcs have Z'' < 0).
    pub z_ohm: Vec<c64>,
    /// The model's slow states at the measurement, for a model with degradation submodels.
    pub degradation: Option<DegradationState>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::step::{Block, StepLimit};

    fn rest() -> Step {
        Step::Rest {
            limit: StepLimit {
                duration_s: Some(60.0),
                ..StepLimit::default()
            },
        }
    }

    fn hold() -> Step {
        Step::ConstantVoltage {
            voltage_v: 4.0,
            limit: StepLimit::default(),
        }
    }

    #[test]
    fn cycles_every_and_listed() {
        let every = ImpedanceCycles::Every(5);
        assert!(every.contains(10) && !every.contains(11) && !every.contains(0));
        assert_eq!(every.next_after(0), Some(5));
        assert_eq!(every.next_after(5), Some(10));
        assert_eq!(every.up_to(12), vec![5, 10]);
        let list = ImpedanceCycles::List(vec![11, 61, 111]);
        assert!(list.contains(61) && !list.contains(60));
        assert_eq!(list.next_after(61), Some(111));
        assert_eq!(list.next_after(111), None);
        assert_eq!(list.up_to(100), vec![11, 61]);
    }

    #[test]
    fn the_chosen_step_follows_the_phase_of_holds() {
        let charge = Step::charge_to(1e-3, 4.3);
        let discharge = Step::discharge_to(1e-3, 2.0);
        let cycle = [charge.clone(), hold(), rest(), discharge.clone(), rest()];
        assert_eq!(MeasureAfter::Charge.step_index(&cycle), Some(1));
        assert_eq!(MeasureAfter::Discharge.step_index(&cycle), Some(3));
        // A hold after a rest belongs to no direction.
        assert_eq!(MeasureAfter::Charge.step_index(&[rest(), hold()]), None);
        assert_eq!(MeasureAfter::Discharge.step_index(&[charge]), None);
    }

    #[test]
    fn states_the_run_never_reaches_are_errors() {
        let experiment = Experiment {
            blocks: vec![
                Block {
                    cycles: 2,
                    steps: vec![Step::charge_to(1e-3, 4.3)],
                },
                Block {
                    cycles: 10,
                    steps: vec![Step::charge_to(1e-3, 4.3), Step::discharge_to(1e-3, 2.0)],
                },
            ],
        };
        let settings = |cycles| ImpedanceSettings {
            cycles,
            ..ImpedanceSettings::default()
        };
        assert!(settings(ImpedanceCycles::Every(3))
            .validate_against(&experiment)
            .is_ok());
        let e = settings(ImpedanceCycles::List(vec![2, 5]))
            .validate_against(&experiment)
            .unwrap_err();
        assert_eq!(e.key, "after");
        assert!(
            e.message.contains("cycle 2 (experiment block 1)"),
            "{}",
            e.message
        );
        let e = settings(ImpedanceCycles::List(vec![3, 13]))
            .validate_against(&experiment)
            .unwrap_err();
        assert_eq!(e.key, "cycles");
        assert!(
            e.message.contains("cycle 13 is never reached"),
            "{}",
            e.message
        );
        // A period longer than the experiment takes no spectrum (not an error).
        let long = settings(ImpedanceCycles::Every(20));
        assert!(long.validate_against(&experiment).is_ok());
        assert_eq!(long.requested_in(&experiment), 0);
        assert_eq!(
            settings(ImpedanceCycles::Every(3)).requested_in(&experiment),
            4
        );
        let e = settings(ImpedanceCycles::List(vec![5, 5]))
            .validate_against(&experiment)
            .unwrap_err();
        assert_eq!(e.key, "cycles");
        assert!(e.message.contains("strictly increasing"), "{}", e.message);
        let bad = ImpedanceSettings {
            f_min_hz: 10.0,
            f_max_hz: 1.0,
            ..ImpedanceSettings::default()
        };
        assert_eq!(bad.validate().unwrap_err().key, "f_max_Hz");
        let bad = ImpedanceSettings {
            f_min_hz: 0.0,
            ..ImpedanceSettings::default()
        };
        assert_eq!(bad.validate().unwrap_err().key, "f_min_Hz");
        let bad = ImpedanceSettings {
            points_per_decade: 0,
            ..ImpedanceSettings::default()
        };
        assert_eq!(bad.validate().unwrap_err().key, "points_per_decade");
    }

    #[test]
    fn default_frequencies_are_the_papers() {
        let f = ImpedanceSettings::default().frequencies_hz();
        assert_eq!(f.len(), 81);
        assert!((f[0] - 0.01).abs() < 1e-15 && (f[80] - 1e6).abs() < 1e-6);
    }
}
