//! TOML scenario and parameter files: parsing, validation, built-in parameter sets, and running
//! a scenario into an output folder.
//!
//! A *parameter file* describes a cell (mirroring [`CellParameters`], units in every key name);
//! a *scenario* names a parameter set (built-in, or a parameter file), overrides parameters by
//! dotted path, and gives the mesh, the solver settings and the experiment steps. Both formats
//! are documented with every key and unit in `docs/scenario.md`.
//!
//! Reading follows *raw → validated*: the files are deserialised into raw structs that reject
//! unknown keys (module `raw`), then checked and converted into the types the simulation runs on.
//! Every failure is a [`ScenarioError`] naming the file, the key and what was expected, and it
//! happens before anything is solved or written.

mod builtin;
mod error;
mod overrides;
mod parameter_file;
mod raw;
mod run;
mod scenario_file;
mod table_csv;

use std::path::{Path, PathBuf};

use crate::numerics::mesh::MeshSettings;
use crate::physics::parameters::CellParameters;
use crate::protocol::simulate::SolverSettings;
use crate::protocol::{Direction, Step};

pub use builtin::{builtin_parameter_set, builtin_parameter_set_names, BuiltinParameterSet};
pub use error::{Origin, ScenarioError};
pub use run::{run_scenario, RunError, RunReport};

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
    /// Experiment steps, in order (numbered from 1 in messages and output).
    pub steps: Vec<Step>,
}

/// Reads and validates the scenario file at `path`. Relative paths inside it (a
/// `parameter_file`, table files in overrides) resolve against the file's folder.
pub fn load_scenario(path: &Path) -> Result<Scenario, ScenarioError> {
    let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
        file: path.to_path_buf(),
        source,
    })?;
    let base_dir = path.parent().unwrap_or_else(|| Path::new(""));
    parse_scenario(&text, path, base_dir)
}

/// Parses and validates scenario text. `path_for_messages` names the scenario in errors (and
/// gives the default name, its file stem); relative paths inside it resolve against `base_dir`.
pub fn parse_scenario(
    text: &str,
    path_for_messages: &Path,
    base_dir: &Path,
) -> Result<Scenario, ScenarioError> {
    scenario_file::parse(text, path_for_messages, base_dir)
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

/// One line describing a step, e.g. `discharge at 0.00072 A (1 C) until 1.38 V`.
/// `nominal_capacity_ah` \[A·h\] gives the C-rate.
pub fn describe_step(step: &Step, nominal_capacity_ah: f64) -> String {
    #[allow(unreachable_patterns)]
    match step {
        Step::ConstantCurrent {
            current_a,
            direction,
            limit,
        } => {
            let verb = match direction {
                Direction::Discharge => "discharge",
                Direction::Charge => "charge",
            };
            let mut text = format!(
                "{verb} at {current_a} A ({:.4} C)",
                current_a / nominal_capacity_ah
            );
            let mut limits = Vec::new();
            if let Some(v) = limit.voltage_v {
                limits.push(format!("until {v} V"));
            }
            if let Some(d) = limit.duration_s {
                limits.push(format!("for at most {d} s"));
            }
            if !limits.is_empty() {
                text.push(' ');
                text.push_str(&limits.join(" or "));
            }
            text
        }
        other => format!("{other:?}"),
    }
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
        text.push_str(&format!(
            "  mesh: {} cathode x / {} separator x / {} particle r cells\n",
            self.mesh.positive_x_cells, self.mesh.separator_x_cells, self.mesh.particle_r_cells
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
        text.push_str("  steps:\n");
        for (i, step) in self.steps.iter().enumerate() {
            text.push_str(&format!(
                "    {}. {}\n",
                i + 1,
                describe_step(step, p.nominal_capacity_ah)
            ));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::StepLimit;

    const MINIMAL: &str = r#"
parameter_set = "solid_halfcell_single_ion"
[[steps]]
direction = "discharge"
c_rate = 1.0
until_voltage_V = 1.38
"#;

    fn parse(text: &str) -> Result<Scenario, ScenarioError> {
        parse_scenario(text, Path::new("dir/test.toml"), Path::new("dir"))
    }

    #[test]
    fn minimal_scenario_takes_the_defaults() {
        let s = parse(MINIMAL).unwrap();
        assert_eq!(s.name, "test");
        assert_eq!(s.mesh, MeshSettings::default());
        assert_eq!(s.solver, SolverSettings::default());
        assert_eq!(
            s.steps,
            vec![Step::ConstantCurrent {
                current_a: 0.0007202074427,
                direction: Direction::Discharge,
                limit: StepLimit {
                    voltage_v: Some(1.38),
                    duration_s: None
                },
            }]
        );
        assert!(s
            .describe()
            .contains("discharge at 0.0007202074427 A (1.0000 C) until 1.38 V"));
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
    fn duration_only_step_keeps_the_cut_off_as_a_safety_limit() {
        let text = r#"
parameter_set = "solid_halfcell_single_ion"
[[steps]]
direction = "charge"
current_A = 1e-4
duration_s = 600
"#;
        let s = parse(text).unwrap();
        assert_eq!(
            s.steps[0].limit(),
            StepLimit {
                voltage_v: Some(3.68),
                duration_s: Some(600.0)
            }
        );
        assert_eq!(s.steps[0].signed_current_a(), -1e-4);
    }

    #[test]
    fn load_parameter_set_by_name() {
        let p = load_parameter_set("xu2019_liquid_halfcell").unwrap();
        assert_eq!(p.name, "xu2019_liquid_halfcell");
        let e = load_parameter_set("no_such_set").unwrap_err();
        assert!(matches!(e, ScenarioError::Read { .. }));
    }
}
