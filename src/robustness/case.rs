//! One case of the robustness suite: a base scenario of the repository, the `--set` overrides
//! that make it this case, what it exercises, and the cell-voltage window its voltages must
//! stay in; and how it becomes the arguments (and the shell command line) of `asslb run`.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::Path;

/// A scenario file of the repository that cases start from. The files are compiled into the
/// binary (so the suite runs from any folder); [`super::prepare_bases`] decides where the
/// children read them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BaseScenario {
    /// `scenarios/wu2022_1c_1000.toml`: the paper cell (mesh 8/5/20, impedance every 50
    /// cycles from cycle 11), for both `wu2022_*` sets through `parameter_set=`.
    Wu2022,
    /// `scenarios/verification/solid_halfcell_single_ion_discharge_1C.toml`.
    SolidVerification,
    /// `scenarios/verification/liquid_halfcell_xu2019_discharge_1C.toml`.
    LiquidVerification,
}

impl BaseScenario {
    /// Every base scenario.
    pub const ALL: [BaseScenario; 3] = [
        BaseScenario::Wu2022,
        BaseScenario::SolidVerification,
        BaseScenario::LiquidVerification,
    ];

    /// The base scenario for a built-in parameter set, `None` for a name the suite does not
    /// know.
    pub fn for_set(set: &str) -> Option<BaseScenario> {
        match set {
            "wu2022_lro_lpscl" | "wu2022_lro_liquid" => Some(BaseScenario::Wu2022),
            "solid_halfcell_single_ion" => Some(BaseScenario::SolidVerification),
            "xu2019_liquid_halfcell" => Some(BaseScenario::LiquidVerification),
            _ => None,
        }
    }

    /// The file's path in the repository, from its root.
    pub fn repo_path(self) -> &'static str {
        match self {
            BaseScenario::Wu2022 => "scenarios/wu2022_1c_1000.toml",
            BaseScenario::SolidVerification => {
                "scenarios/verification/solid_halfcell_single_ion_discharge_1C.toml"
            }
            BaseScenario::LiquidVerification => {
                "scenarios/verification/liquid_halfcell_xu2019_discharge_1C.toml"
            }
        }
    }

    /// The file's name.
    pub fn file_name(self) -> &'static str {
        let path = self.repo_path();
        path.rsplit('/').next().unwrap_or(path)
    }

    /// The file's text, as compiled into the binary.
    pub fn text(self) -> &'static str {
        match self {
            BaseScenario::Wu2022 => include_str!("../../scenarios/wu2022_1c_1000.toml"),
            BaseScenario::SolidVerification => include_str!(
                "../../scenarios/verification/solid_halfcell_single_ion_discharge_1C.toml"
            ),
            BaseScenario::LiquidVerification => include_str!(
                "../../scenarios/verification/liquid_halfcell_xu2019_discharge_1C.toml"
            ),
        }
    }

    /// Whether the cell starts charged (the verification cells, whose reference protocols are
    /// discharges from rest) rather than discharged (the as-made paper cells).
    pub fn starts_charged(self) -> bool {
        !matches!(self, BaseScenario::Wu2022)
    }
}

/// What a case exercises: the step kinds of its experiment and the options it turns on. The
/// report counts outcomes per feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Feature {
    /// Constant-current charges and discharges to a cut-off (every case).
    ConstantCurrent,
    /// A constant-voltage hold after the charge (`Hold at <upper> until C/50`, C/20, C/10).
    Hold,
    /// Open-circuit rests (`Rest for N minutes`).
    Rest,
    /// Short current pulses (`Discharge at 2C for 30 seconds`) with rests between them.
    Pulse,
    /// A partial charge or discharge for a duration (`Discharge at 0.5C for 20 minutes`).
    Duration,
    /// A block of slow formation cycles before the main block.
    Formation,
    /// Cut-offs written against Li/Li+ (`until 4.3 V vs Li/Li+`).
    LithiumReference,
    /// An upper cut-off below the cell's own.
    NarrowWindow,
    /// Cycle jumping (`solver.cycle_jumping={}`).
    CycleJumping,
    /// Impedance spectra during the run (`[impedance]`, the base's or the case's own).
    Impedance,
    /// The cathode thickness multiplied.
    Thickness,
    /// The particle radius multiplied.
    ParticleRadius,
    /// The solid diffusivity multiplied.
    SolidDiffusivity,
    /// The interphase's electronic-conductor fraction changed.
    ConductorFraction,
    /// The oxygen-state laws of the paper cells changed: the anionic exchange ratio, the
    /// contact loss, the release by contact, the hysteresis growth.
    OxygenLaws,
    /// The temperature away from the set's own (every case: the temperature is sampled).
    Temperature,
    /// The contact fraction of the particle surface with the electrolyte changed.
    Contact,
    /// How the interphase closes over the oxide changed: its sealing law and thickness.
    Sealing,
}

impl Feature {
    /// Every feature, in report order.
    pub const ALL: [Feature; 18] = [
        Feature::ConstantCurrent,
        Feature::Hold,
        Feature::Rest,
        Feature::Pulse,
        Feature::Duration,
        Feature::Formation,
        Feature::LithiumReference,
        Feature::NarrowWindow,
        Feature::CycleJumping,
        Feature::Impedance,
        Feature::Thickness,
        Feature::ParticleRadius,
        Feature::SolidDiffusivity,
        Feature::ConductorFraction,
        Feature::OxygenLaws,
        Feature::Temperature,
        Feature::Contact,
        Feature::Sealing,
    ];

    /// The name in `cases.csv` and the report.
    pub fn name(self) -> &'static str {
        match self {
            Feature::ConstantCurrent => "cc",
            Feature::Hold => "cv_hold",
            Feature::Rest => "rest",
            Feature::Pulse => "pulse",
            Feature::Duration => "for_duration",
            Feature::Formation => "formation",
            Feature::LithiumReference => "vs_li",
            Feature::NarrowWindow => "narrow_window",
            Feature::CycleJumping => "cycle_jumping",
            Feature::Impedance => "impedance",
            Feature::Thickness => "thickness",
            Feature::ParticleRadius => "particle_radius",
            Feature::SolidDiffusivity => "solid_diffusivity",
            Feature::ConductorFraction => "conductor_fraction",
            Feature::OxygenLaws => "oxygen_laws",
            Feature::Temperature => "temperature",
            Feature::Contact => "contact",
            Feature::Sealing => "sealing",
        }
    }
}

impl fmt::Display for Feature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The cell voltages \[V\] a case's time series must stay within: the set's cut-offs
/// (`cell.lower_cutoff_V`, `cell.upper_cutoff_V`), which bound every step's cut-off and hold.
/// A cut-off written vs Li/Li+ is this window shifted by the counter electrode's potential
/// (0.62 V for Li-In, 0 for Li metal).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VoltageWindow {
    /// Lower cell-voltage cut-off \[V\].
    pub lower_v: f64,
    /// Upper cell-voltage cut-off \[V\].
    pub upper_v: f64,
}

/// What the files of a finished case are checked against.
#[derive(Debug, Clone, PartialEq)]
pub struct Expectations {
    /// The cell-voltage window of the time series.
    pub window: VoltageWindow,
    /// The lithium the cell's cathode can still take at the start \[A·h\]
    /// ([`crate::physics::parameters::CellParameters::lithium_room_ah`]): over the run it may
    /// deliver that much more net charge than it took (see [`super::classify::check_physical`]).
    /// A cell that starts charged has nearly its whole host free; the paper cells start as
    /// made (Li1.995RuO3) and can still take lithium down to the lower cut-off and below.
    pub initial_charge_ah: f64,
}

impl Expectations {
    /// The checks of a cell that starts discharged, with this window.
    pub fn with_window(window: VoltageWindow) -> Self {
        Expectations {
            window,
            initial_charge_ah: 0.0,
        }
    }
}

/// One generated case. Everything the child runs is in [`Case::base`] and [`Case::sets`].
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// Index within its seed, from 1.
    pub index: u64,
    /// The seed it was drawn with.
    pub seed: u64,
    /// The built-in parameter set.
    pub set: String,
    /// The scenario file it starts from.
    pub base: BaseScenario,
    /// The `--set` arguments (`path=value`), in order.
    pub sets: Vec<String>,
    /// Cycles of the experiment, formation included.
    pub cycles: usize,
    /// The experiment: per block its number of cycles and the step strings of one cycle (the
    /// same as the `experiment=` override), to name the step a failure happened in.
    pub blocks: Vec<(usize, Vec<String>)>,
    /// What it exercises, sorted, without repeats.
    pub features: Vec<Feature>,
    /// The cell voltages its time series must stay within.
    pub window: VoltageWindow,
}

impl Case {
    /// The arguments of the child (after the program and any leading arguments of the
    /// launcher): `run <base> --out <out> --quiet --set <s>…`.
    pub fn run_args(&self, base_path: &Path, out: &Path) -> Vec<OsString> {
        let mut args: Vec<OsString> = vec![
            "run".into(),
            base_path.into(),
            "--out".into(),
            out.into(),
            "--quiet".into(),
        ];
        for s in &self.sets {
            args.push("--set".into());
            args.push(s.into());
        }
        args
    }

    /// The same as a command line for a POSIX shell, every argument quoted where needed:
    /// `<program> run <base> --out <out> --quiet --set '…'…`.
    pub fn command_line(&self, program: &Path, base_path: &Path, out: &Path) -> String {
        let args = self.run_args(base_path, out);
        shell_words(std::iter::once(program.as_os_str()).chain(args.iter().map(|a| a.as_os_str())))
    }

    /// The features as one field: names joined by `+`.
    pub fn feature_list(&self) -> String {
        self.features
            .iter()
            .map(|f| f.name())
            .collect::<Vec<_>>()
            .join("+")
    }

    /// The step string of step `step` (from 1) of cycle `cycle` (from 1), `None` outside the
    /// experiment.
    pub fn step_text(&self, cycle: usize, step: usize) -> Option<&str> {
        let mut first = 1;
        for (n, steps) in &self.blocks {
            if cycle < first + n {
                return steps.get(step.checked_sub(1)?).map(String::as_str);
            }
            first += n;
        }
        None
    }

    /// What its files are checked against: its cell-voltage window and the lithium its
    /// cathode can still take at the start.
    pub fn expectations(&self) -> Expectations {
        // The room of the case's own cell (its overrides change thickness and loading); a case
        // whose scenario does not load is rejected by the run anyway.
        let sets: Vec<crate::scenario::SetOverride> = self
            .sets
            .iter()
            .filter_map(|s| crate::scenario::SetOverride::parse(s).ok())
            .collect();
        let path = std::path::Path::new(self.base.repo_path());
        let dir = path.parent().unwrap_or(std::path::Path::new("."));
        let initial_charge_ah =
            crate::scenario::parse_scenario_with(self.base.text(), path, dir, &sets)
                .map(|s| s.parameters.lithium_room_ah())
                .unwrap_or(f64::INFINITY);
        Expectations {
            window: self.window,
            initial_charge_ah,
        }
    }

    /// Whether the case exercises `feature`.
    pub fn has(&self, feature: Feature) -> bool {
        self.features.contains(&feature)
    }
}

/// Words joined into a POSIX shell command line, each quoted by [`shell_quote`].
pub fn shell_words<'a>(words: impl IntoIterator<Item = &'a OsStr>) -> String {
    words
        .into_iter()
        .map(|w| shell_quote(&w.to_string_lossy()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `word` quoted for a POSIX shell: unchanged when it has only characters no shell treats
/// specially (letters, digits, `-_./=:+,@%`), else in single quotes (a single quote inside
/// written as `'\''`).
pub fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:+,@%".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(
            shell_quote("positive.thickness_m=3e-5"),
            "positive.thickness_m=3e-5"
        );
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(
            shell_quote(r#"experiment=["Rest for 1 minute"]"#),
            r#"'experiment=["Rest for 1 minute"]'"#
        );
    }

    #[test]
    fn bases_are_known() {
        for set in super::super::SET_NAMES {
            assert!(BaseScenario::for_set(set).is_some(), "{set}");
        }
        assert_eq!(BaseScenario::Wu2022.file_name(), "wu2022_1c_1000.toml");
        for b in BaseScenario::ALL {
            assert!(b.text().contains("parameter_set"));
        }
    }
}
