//! TOML scenario and parameter files: parsing, validation, built-in parameter sets, and running
//! a scenario into an output folder.
//!
//! A *parameter file* describes a cell (mirroring [`CellParameters`], units in every key name);
//! a *scenario* names a parameter set (built-in, or a parameter file), overrides parameters by
//! dotted path, and gives the mesh, the solver settings and the experiment, written in the step
//! language of [`crate::protocol::experiment`]. Both formats are documented with every key and
//! unit in `docs/scenario.md`. Command-line `--set <path>=<value>` overrides ([`SetOverride`])
//! change a scenario before it is validated.
//!
//! Reading follows *raw → validated*: the files are deserialised into raw structs that reject
//! unknown keys (module `raw`), then checked and converted into the types the simulation runs on.
//! Every failure is a [`ScenarioError`] naming the file, the key and what was expected, and it
//! happens before anything is solved or written.

mod builtin;
mod describe;
mod driver;
mod error;
mod impedance_request;
mod misplaced_key;
mod overrides;
mod parameter_file;
pub mod parameter_tree;
mod raw;
pub(crate) mod run;
mod run_data;
mod run_page;
mod run_summary;
mod scenario_file;
mod set;
mod table_csv;

use std::path::{Path, PathBuf};

use crate::numerics::mesh::MeshSettings;
use crate::output::SaveCycles;
use crate::physics::parameters::CellParameters;
use crate::protocol::experiment::{BlockSpec, CellContext};
use crate::protocol::simulate::SolverSettings;
use crate::protocol::{Direction, Experiment, ImpedanceSettings, Step};

pub use builtin::{builtin_parameter_set, builtin_parameter_set_names, BuiltinParameterSet};
pub use describe::describe_parameters;
pub use driver::{Driver, Spectra};
pub use error::{Origin, ScenarioError};
pub use overrides::VALUE_TABLE_KEYS;
pub use run::{
    load_interrupted_run, resume_run, run_scenario, run_scenario_keeping, ExistingFiles,
    ResumeError, RunError, RunReport, CHECKPOINT_EVERY_CYCLES,
};
pub use run_data::{MemorySink, RunData};
pub use set::SetOverride;

/// A validated scenario: everything a run needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Name (the `name` key, or the file stem); the default output folder is `out/<name>`.
    pub name: String,
    /// Free-text description (the `description` key; empty if absent).
    pub description: String,
    /// The scenario file, if the scenario was read from one.
    pub path: Option<PathBuf>,
    /// Cell parameters, overrides applied, validated.
    pub parameters: CellParameters,
    /// Mesh (defaults: [`MeshSettings::default`], 20/10/20).
    pub mesh: MeshSettings,
    /// Solver settings (defaults: [`SolverSettings::default`]).
    pub solver: SolverSettings,
    /// The experiment, resolved to amperes, seconds and cell volts.
    pub experiment: Experiment,
    /// The experiment as written: one block per element of `experiment = [ … ]`, with the step
    /// strings (same shape as [`Scenario::experiment`]).
    pub experiment_spec: Vec<BlockSpec>,
    /// Which cycles' rows go to the time series (`save_cycles`; default all).
    pub save_cycles: SaveCycles,
    /// The cycle the capacity retention is relative to and from which the cycle statistics
    /// (mean coulombic efficiency) count (`reference_cycle`; default
    /// [`Experiment::reference_cycle`]: the first cycle after formation, that is of the longest
    /// block). See [`crate::protocol::retention`].
    pub reference_cycle: usize,
    /// Impedance spectra during the run (the `[impedance]` section; `None` without one).
    pub impedance: Option<ImpedanceSettings>,
    /// The scenario as TOML, every `--set` applied and every default filled in (`name`,
    /// `mesh`, `solver`, `save_cycles`): the file's keys, with `parameters` as the final list of
    /// overrides (dotted keys, table files as absolute paths) and `parameter_file` as an
    /// absolute path. Read back as a scenario, it gives this scenario; `run.toml` records it.
    pub document: toml::Table,
}

/// Reads and validates the scenario file at `path`. Relative paths inside it (a
/// `parameter_file`, table files in overrides) resolve against the file's folder.
pub fn load_scenario(path: &Path) -> Result<Scenario, ScenarioError> {
    load_scenario_with(path, &[])
}

/// As [`load_scenario`], with command-line `--set` overrides applied (in order) before the
/// scenario is validated.
pub fn load_scenario_with(path: &Path, sets: &[SetOverride]) -> Result<Scenario, ScenarioError> {
    let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
        file: path.to_path_buf(),
        source,
    })?;
    let base_dir = path.parent().unwrap_or_else(|| Path::new(""));
    parse_scenario_with(&text, path, base_dir, sets)
}

/// Parses and validates scenario text. `path_for_messages` names the scenario in errors (and
/// gives the default name, its file stem); relative paths inside it resolve against `base_dir`.
pub fn parse_scenario(
    text: &str,
    path_for_messages: &Path,
    base_dir: &Path,
) -> Result<Scenario, ScenarioError> {
    parse_scenario_with(text, path_for_messages, base_dir, &[])
}

/// As [`parse_scenario`], with command-line `--set` overrides.
pub fn parse_scenario_with(
    text: &str,
    path_for_messages: &Path,
    base_dir: &Path,
    sets: &[SetOverride],
) -> Result<Scenario, ScenarioError> {
    scenario_file::parse(text, path_for_messages, base_dir, sets)
}

/// Loads a parameter set: a built-in set by name (see [`builtin_parameter_set_names`]), or
/// else a parameter file at that path. The result is validated.
pub fn load_parameter_set(name_or_path: &str) -> Result<CellParameters, ScenarioError> {
    match builtin_parameter_set(name_or_path) {
        Some(set) => set.load(),
        None => load_parameter_file(Path::new(name_or_path)),
    }
}

/// Loads and validates the parameter file at `path`; its table files resolve against its folder.
pub fn load_parameter_file(path: &Path) -> Result<CellParameters, ScenarioError> {
    parameter_file::load_file(path, &overrides::Overrides::none())
}

/// One line describing a resolved step, e.g.
/// `discharge at 0.7202074427 mA (1.0000 C) until 1.38 V`. `one_c_current_a` \[A\] is the
/// current of 1C the experiment's C-rates were resolved with
/// ([`CellContext::one_c_current_a`]: per gram of active material where the
/// cell defines it, so it follows the loading), so that "Charge at 1C" shows as 1C. Currents
/// are shown in mA to 10 significant digits.
pub fn describe_step(step: &Step, one_c_current_a: f64) -> String {
    let c_rate = |i: f64| {
        format!(
            "{} mA ({:.4} C)",
            significant(i * 1e3, 10),
            i / one_c_current_a
        )
    };
    let duration = |d: f64| format!("{d} s");
    let mut limits = Vec::new();
    let limit = step.limit();
    let mut text = match step {
        Step::ConstantCurrent {
            current_a,
            direction,
            ..
        } => {
            let verb = match direction {
                Direction::Discharge => "discharge",
                Direction::Charge => "charge",
            };
            if let Some(v) = limit.voltage_v {
                limits.push(format!("until {v} V"));
            }
            if let Some(d) = limit.duration_s {
                limits.push(format!("for at most {}", duration(d)));
            }
            format!("{verb} at {}", c_rate(*current_a))
        }
        Step::ConstantVoltage { voltage_v, .. } => {
            if let Some(i) = limit.current_a {
                limits.push(format!("until |I| falls to {}", c_rate(i)));
            }
            if let Some(d) = limit.duration_s {
                limits.push(format!("for at most {}", duration(d)));
            }
            format!("hold at {voltage_v} V")
        }
        Step::Rest { .. } => {
            if let Some(d) = limit.duration_s {
                limits.push(format!("for {}", duration(d)));
            }
            "rest".to_string()
        }
    };
    if !limits.is_empty() {
        text.push(' ');
        text.push_str(&limits.join(" or "));
    }
    text
}

impl Scenario {
    /// A multi-line, human-readable account of what the scenario would run.
    pub fn describe(&self) -> String {
        let p = &self.parameters;
        let mut text = format!("scenario `{}`", self.name);
        if let Some(path) = &self.path {
            text.push_str(&format!(" ({})", path.display()));
        }
        text.push('\n');
        if !self.description.is_empty() {
            text.push_str(&format!("  {}\n", self.description.trim()));
        }
        text.push_str(&format!("  parameter set: {}\n", p.name));
        text.push_str(&format!("    source: {}\n", p.source));
        text.push_str(&format!(
            "    T = {} K, area = {:e} m², nominal capacity = {:e} A·h, cut-offs {}–{} V\n",
            p.temperature_k, p.area_m2, p.nominal_capacity_ah, p.lower_cutoff_v, p.upper_cutoff_v
        ));
        if let Some(m) = p.active_mass_kg() {
            text.push_str(&format!("    active mass = {:.4} mg\n", m * 1e6));
        }
        text.push_str(&format!(
            "  mesh: {} cathode x / {} separator x / {} particle r cells{}\n",
            self.mesh.positive_x_cells,
            self.mesh.separator_x_cells,
            self.mesh.particle_r_cells,
            match self.mesh.particle_surface_refinement {
                1 => String::new(),
                m => format!(" (outermost shell {m}x thinner than uniform)"),
            }
        ));
        let s = &self.solver;
        text.push_str(&format!(
            "  solver: rtol = {:e}, atol = {:e}, max {} steps per experiment step, output {}\n",
            s.rtol,
            s.atol,
            s.max_steps,
            match s.output_interval_s {
                Some(dt) => format!("every {dt} s"),
                None => "at every solver step".to_string(),
            }
        ));
        if s.capacitive_charging {
            text.push_str("  interface capacitances charge in the time integration\n");
        }
        if let Some(cj) = &s.cycle_jumping {
            text.push_str(&format!(
                "  cycle jumping: tolerance {:e}, jumps of up to {} cycles, {} cycles resolved between jumps\n",
                cj.tolerance, cj.max_jump, cj.resolved_cycles
            ));
        }
        text.push_str(&format!("  time series: {}\n", self.save_cycles));
        if let Some(z) = &self.impedance {
            let cycles = match &z.cycles {
                crate::protocol::ImpedanceCycles::Every(n) => format!("every {n} cycles"),
                crate::protocol::ImpedanceCycles::EveryFrom { first, every } => {
                    format!("every {every} cycles from cycle {first}")
                }
                crate::protocol::ImpedanceCycles::List(list) => format!(
                    "at cycles {}",
                    list.iter()
                        .map(|c| c.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            text.push_str(&format!(
                "  impedance: {cycles}, after {} and {} min of rest, {:e}–{:e} Hz at {} per decade ({} frequencies){}\n",
                z.after.as_str(),
                z.rest_s / 60.0,
                z.f_min_hz,
                z.f_max_hz,
                z.points_per_decade,
                z.frequencies_hz().len(),
                z.circuit
                    .as_ref()
                    .map(|c| format!(", circuit {c}"))
                    .unwrap_or_default()
            ));
            let n = z.requested_in(&self.experiment);
            text.push_str(&format!(
                "    {n} spectr{} in this experiment\n",
                if n == 1 { "um" } else { "a" }
            ));
        }
        let cycles = self.experiment.cycles();
        text.push_str(&format!(
            "  experiment: {cycles} cycle{} in {} block{}\n",
            plural(cycles as u64),
            self.experiment.blocks.len(),
            plural(self.experiment.blocks.len() as u64)
        ));
        // The current of 1C the C-rates were resolved with, for the echo.
        let one_c_current_a = CellContext::from_parameters(p).one_c_current_a;
        let mut first_cycle = 1;
        for (block, spec) in self.experiment.blocks.iter().zip(&self.experiment_spec) {
            let last = first_cycle + block.cycles - 1;
            if block.cycles == 1 {
                text.push_str(&format!("    cycle {first_cycle}:\n"));
            } else {
                text.push_str(&format!(
                    "    cycles {first_cycle}–{last} ({} × the same cycle):\n",
                    block.cycles
                ));
            }
            for (i, (step, written)) in block.steps.iter().zip(&spec.steps).enumerate() {
                text.push_str(&format!(
                    "      {}. {}  (\"{}\")\n",
                    i + 1,
                    describe_step(step, one_c_current_a),
                    written.text
                ));
            }
            first_cycle = last + 1;
        }
        text
    }
}

/// `x` rounded to `digits` significant digits, in its shortest form.
fn significant(x: f64, digits: usize) -> f64 {
    format!("{:.*e}", digits.saturating_sub(1), x)
        .parse()
        .unwrap_or(x)
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::StepLimit;

    const MINIMAL: &str = r#"
parameter_set = "solid_halfcell_single_ion"
experiment = ["Discharge at 1C until 1.38 V"]
"#;

    fn parse(text: &str) -> Result<Scenario, ScenarioError> {
        parse_scenario(text, Path::new("dir/test.toml"), Path::new("dir"))
    }

    fn parse_with(text: &str, sets: &[&str]) -> Result<Scenario, ScenarioError> {
        let sets: Vec<SetOverride> = sets
            .iter()
            .map(|s| SetOverride::parse(s).unwrap())
            .collect();
        parse_scenario_with(text, Path::new("dir/test.toml"), Path::new("dir"), &sets)
    }

    #[test]
    fn minimal_scenario_takes_the_defaults() {
        let s = parse(MINIMAL).unwrap();
        assert_eq!(s.name, "test");
        assert_eq!(s.mesh, MeshSettings::default());
        assert_eq!(s.solver, SolverSettings::default());
        assert_eq!(s.save_cycles, SaveCycles::All);
        assert_eq!(
            s.experiment,
            Experiment::single_cycle(vec![Step::ConstantCurrent {
                current_a: 0.0007202074427,
                direction: Direction::Discharge,
                limit: StepLimit {
                    voltage_v: Some(1.38),
                    current_a: None,
                    duration_s: None
                },
            }])
        );
        let d = s.describe();
        assert!(
            d.contains("1. discharge at 0.7202074427 mA (1.0000 C) until 1.38 V"),
            "{d}"
        );
        assert!(d.contains("\"Discharge at 1C until 1.38 V\""), "{d}");
    }

    #[test]
    fn strings_are_cycles_and_tables_are_repeated_blocks() {
        let text = r#"
parameter_set = "solid_halfcell_single_ion"
save_cycles = { every = 10 }
experiment = [
  "Rest for 1 hour",
  { cycles = 3, steps = ["Charge at C/20 until 3.68 V", "Hold at 3.68 V until C/50", "Discharge at 0.05C"] },
  { steps = ["Discharge at 2 mA/cm2 until 2.0 V vs Li/Li+"] },
]
"#;
        let s = parse(text).unwrap();
        assert_eq!(s.save_cycles, SaveCycles::Every(10));
        let b = &s.experiment.blocks;
        assert_eq!(b.len(), 3);
        assert_eq!(
            b.iter()
                .map(|b| (b.cycles, b.steps.len()))
                .collect::<Vec<_>>(),
            [(1, 1), (3, 3), (1, 1)]
        );
        assert_eq!(s.experiment.cycles(), 5);
        assert_eq!(
            s.experiment_spec[1].steps[1].text,
            "Hold at 3.68 V until C/50"
        );
        let q = s.parameters.nominal_capacity_ah;
        assert_eq!(
            b[1].steps[1],
            Step::ConstantVoltage {
                voltage_v: 3.68,
                limit: StepLimit {
                    voltage_v: None,
                    current_a: Some(q / 50.0),
                    duration_s: None
                }
            }
        );
        assert_eq!(b[1].steps[2].limit().voltage_v, Some(1.38));
        assert_eq!(b[2].steps[0].limit().voltage_v, Some(1.38));
        let d = s.describe();
        assert!(d.contains("5 cycles in 3 blocks"), "{d}");
        assert!(d.contains("cycles 2–4 (3 × the same cycle)"), "{d}");
        assert!(d.contains("hold at 3.68 V until |I| falls to"), "{d}");
        assert!(d.contains("rest for 3600 s"), "{d}");
    }

    #[test]
    fn experiment_errors_name_the_element() {
        let e = parse(
            "parameter_set = \"solid_halfcell_single_ion\"\nexperiment = [\"Rest for 1 h\", \"Dischrge at 1C until 2 V\"]",
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            e,
            "dir/test.toml, line 2, column 31: key `experiment[2]`: \"Dischrge at 1C until 2 V\": expected a step starting with Charge, Discharge, Hold or Rest, found `Dischrge`"
        );
        for (experiment, key, part) in [
            ("\"Rest for 1 h\"", "experiment", "expected a list"),
            ("[]", "experiment", "at least one step"),
            ("[3]", "experiment[1]", "found a number"),
            (
                "[{ cycles = 0, steps = [\"Rest for 1 h\"] }]",
                "experiment[1].cycles",
                "≥ 1, found 0",
            ),
            (
                "[{ cycles = 2, steps = [] }]",
                "experiment[1].steps",
                "at least one step",
            ),
            (
                "[{ cycles = 2 }]",
                "experiment[1].steps",
                "missing required key",
            ),
            (
                "[{ cycle = 2, steps = [\"Rest for 1 h\"] }]",
                "experiment[1].cycle",
                "unknown key",
            ),
            (
                "[{ steps = [\"Rest for 1 h\", \"Rest\"] }]",
                "experiment[1].steps[2]",
                "a rest needs a duration",
            ),
            (
                "[{ steps = [\"Rest for 1 h\", 2] }]",
                "experiment[1].steps[2]",
                "expected a step string",
            ),
        ] {
            let e = parse(&format!(
                "parameter_set = \"solid_halfcell_single_ion\"\nexperiment = {experiment}"
            ))
            .unwrap_err();
            assert_eq!(e.key(), Some(key), "{e}");
            assert!(e.to_string().contains(part), "{e}");
        }
        let e = parse("parameter_set = \"solid_halfcell_single_ion\"")
            .unwrap_err()
            .to_string();
        assert!(e.contains("`experiment`: missing required key"), "{e}");
    }

    #[test]
    fn overrides_reach_the_parameters() {
        let text = format!(
            "{MINIMAL}\n[parameters]\n\"positive.particle_radius_m\" = 1.2e-6\n\"cell.temperature_K\" = 298.15\n"
        );
        let s = parse(&text).unwrap();
        assert_eq!(s.parameters.positive.particle_radius_m, 1.2e-6);
        assert_eq!(s.parameters.temperature_k, 298.15);
    }

    #[test]
    fn sets_change_the_scenario_and_the_parameters() {
        let text = format!("{MINIMAL}\n[parameters]\n\"positive.thickness_m\" = 2e-5\n");
        let s = parse_with(
            &text,
            &[
                "experiment=[\"Discharge at 5C until 1.38 V\"]",
                "mesh.particle_r_cells=10",
                "positive.thickness_m=3e-5",
                "parameters.\"separator.thickness_m\"=5e-4",
                "name=short",
            ],
        )
        .unwrap();
        assert_eq!(s.name, "short");
        assert_eq!(s.mesh.particle_r_cells, 10);
        assert_eq!(s.parameters.positive.thickness_m, 3e-5);
        assert_eq!(s.parameters.separator.thickness_m, 5e-4);
        match &s.experiment.blocks[0].steps[0] {
            Step::ConstantCurrent { current_a, .. } => {
                assert_eq!(*current_a, 5.0 * s.parameters.nominal_capacity_ah)
            }
            other => panic!("{other:?}"),
        }
        // The record reads back as the same scenario.
        let again = parse(&toml::to_string(&s.document).unwrap()).unwrap();
        assert_eq!(again.parameters, s.parameters);
        assert_eq!(again.experiment, s.experiment);
        assert_eq!(again.mesh, s.mesh);
        assert_eq!(again.solver, s.solver);
        assert_eq!(again.save_cycles, s.save_cycles);
        assert_eq!(again.name, s.name);
        assert_eq!(again.document, s.document);
    }

    #[test]
    fn errors_in_sets_name_the_set() {
        let e = parse_with(MINIMAL, &["mesh.particle_r_cell=10"])
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("--set mesh.particle_r_cell=10: key `mesh.particle_r_cell`: unknown key"),
            "{e}"
        );
        let e = parse_with(MINIMAL, &["positive.thickness=3e-5"])
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with(
                "--set positive.thickness=3e-5: key `parameters.\"positive.thickness\"`: unknown key"
            ),
            "{e}"
        );
        let e = parse_with(MINIMAL, &["experiment=[\"Discharge at 1C until 9 V\"]"])
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("--set experiment="), "{e}");
        assert!(e.contains("key `experiment[1]`"), "{e}");
        let e = parse_with(MINIMAL, &["positive.thickness_m=-1"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("--set positive.thickness_m=-1"), "{e}");
        assert!(e.contains("expected a positive number"), "{e}");
        // An error elsewhere stays the file's.
        let e = parse_with(
            "parameter_set = \"solid_halfcell_single_ion\"\nexperiment = [\"Rest\"]",
            &["mesh.particle_r_cells=10"],
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("dir/test.toml, line 2, column 15: key `experiment[1]`"),
            "{e}"
        );
    }

    #[test]
    fn per_mass_currents_need_the_density() {
        let text = r#"
parameter_set = "xu2019_liquid_halfcell"
experiment = ["Discharge at 150 mA/g until 3.5 V"]
"#;
        let e = parse(text).unwrap_err().to_string();
        assert!(e.contains("positive.active_material_density_kg_m3"), "{e}");
        let s = parse_with(text, &["positive.active_material_density_kg_m3=4700"]).unwrap();
        let p = &s.parameters;
        let mass = p.positive.active_material_volume_fraction
            * p.area_m2
            * p.positive.thickness_m
            * 4700.0;
        assert_eq!(
            s.experiment.blocks[0].steps[0],
            Step::ConstantCurrent {
                current_a: 150.0 * mass,
                direction: Direction::Discharge,
                limit: StepLimit {
                    voltage_v: Some(3.5),
                    current_a: None,
                    duration_s: None
                }
            }
        );
    }

    #[test]
    fn load_parameter_set_by_name() {
        let p = load_parameter_set("xu2019_liquid_halfcell").unwrap();
        assert_eq!(p.name, "xu2019_liquid_halfcell");
        let e = load_parameter_set("no_such_set").unwrap_err();
        assert!(matches!(e, ScenarioError::Read { .. }));
    }
}
