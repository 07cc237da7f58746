//! Scenario files (TOML) into a validated [`Scenario`]: parameter source and overrides, mesh,
//! solver settings, time-series selection and the experiment. `--set` overrides are applied to
//! the file's tree first. All checks happen here, before anything is solved.

use std::path::Path;

use crate::numerics::mesh::MeshSettings;
use crate::output::SaveCycles;
use crate::protocol::experiment::{self, BlockSpec, CellContext};
use crate::protocol::simulate::SolverSettings;
use crate::protocol::{Block, Experiment};

use super::builtin::{builtin_parameter_set, builtin_parameter_set_names};
use super::error::{from_toml_de, toml_table, Origin, ScenarioError};
use super::overrides::{type_name, Overrides};
use super::parameter_file;
use super::raw::{RawMesh, RawScenario, RawSolver};
use super::set::{SetOverride, Target};
use super::Scenario;

/// See [`super::parse_scenario_with`].
pub(crate) fn parse(
    text: &str,
    path_for_messages: &Path,
    base_dir: &Path,
    sets: &[SetOverride],
) -> Result<Scenario, ScenarioError> {
    let origin = Origin::File(path_for_messages.to_path_buf());
    let mut tree: toml::Table = toml_table(text, &origin)?;
    let mut scenario_sets = Vec::new();
    let mut parameter_sets = Vec::new();
    for set in sets {
        match set.target()? {
            Target::Scenario => {
                set.apply_to_scenario(&mut tree)?;
                scenario_sets.push(set);
            }
            Target::Parameter(path) => parameter_sets.push((set, path)),
        }
    }
    // An error about a key that a `--set` wrote is the `--set`'s.
    let blame = |e: ScenarioError| match e {
        ScenarioError::Key {
            origin: o,
            key,
            expected,
        } if o == origin => {
            let origin = scenario_sets
                .iter()
                .rev()
                .find(|s| s.concerns(&key))
                .map(|s| s.origin())
                .unwrap_or(o);
            ScenarioError::Key {
                origin,
                key,
                expected,
            }
        }
        other => other,
    };
    read(tree, &origin, path_for_messages, base_dir, &parameter_sets).map_err(blame)
}

/// Reads the scenario's tree (with the scenario-key `--set`s already in it).
fn read(
    tree: toml::Table,
    origin: &Origin,
    path_for_messages: &Path,
    base_dir: &Path,
    parameter_sets: &[(&SetOverride, String)],
) -> Result<Scenario, ScenarioError> {
    let mut document = tree.clone();
    let raw: RawScenario = toml::Value::Table(tree)
        .try_into()
        .map_err(|e| from_toml_de(origin, "", &e))?;

    let name = match raw.name {
        Some(n) if n.trim().is_empty() => {
            return Err(ScenarioError::key_error(
                origin,
                "name",
                "expected a non-empty name",
            ))
        }
        Some(n) => n,
        None => path_for_messages
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "scenario".to_string()),
    };
    let mesh = mesh(origin, raw.mesh.unwrap_or_default())?;
    let solver = solver(origin, raw.solver.unwrap_or_default())?;

    let mut overrides = match raw.parameters {
        Some(table) => Overrides::from_table(origin, table, base_dir)?,
        None => Overrides::none(),
    };
    for (set, path) in parameter_sets {
        let table = if path.is_empty() {
            match set.value() {
                toml::Value::Table(t) => t.clone(),
                other => {
                    return Err(ScenarioError::key_error(
                        &set.origin(),
                        "parameters",
                        format!(
                            "expected a table of parameter overrides, found {}",
                            type_name(other)
                        ),
                    ))
                }
            }
        } else {
            toml::Table::from_iter([(path.clone(), set.value().clone())])
        };
        overrides.add(&set.origin(), table, base_dir)?;
    }
    let parameters = match (raw.parameter_set, raw.parameter_file) {
        (Some(set), None) => match builtin_parameter_set(&set) {
            Some(set) => parameter_file::load_builtin(set, &overrides)?,
            None => {
                return Err(ScenarioError::key_error(
                    origin,
                    "parameter_set",
                    format!(
                        "expected the name of a built-in parameter set ({}), found \"{set}\"",
                        quoted_list(builtin_parameter_set_names())
                    ),
                ))
            }
        },
        (None, Some(file)) => {
            let path = base_dir.join(&file);
            if let Ok(absolute) = std::path::absolute(&path) {
                document.insert(
                    "parameter_file".into(),
                    toml::Value::String(absolute.to_string_lossy().into_owned()),
                );
            }
            parameter_file::load_file(&path, &overrides)?
        }
        (Some(_), Some(_)) => {
            return Err(ScenarioError::key_error(
                origin,
                "parameter_set",
                "expected exactly one of `parameter_set` or `parameter_file`, found both",
            ))
        }
        (None, None) => {
            return Err(ScenarioError::key_error(
                origin,
                "parameter_set",
                "missing required key; expected `parameter_set = \"<built-in name>\"` or `parameter_file = \"<path>.toml\"`",
            ))
        }
    };
    if overrides.is_empty() {
        document.remove("parameters");
    } else {
        document.insert(
            "parameters".into(),
            toml::Value::Table(overrides.to_table()),
        );
    }

    let cell = CellContext::from_parameters(&parameters);
    let (experiment, experiment_spec) = read_experiment(origin, raw.experiment, &cell)?;
    let save_cycles = raw.save_cycles.unwrap_or_default();
    let impedance = raw
        .impedance
        .map(|raw| super::impedance_request::read(origin, raw, &experiment))
        .transpose()?;
    fill_defaults(&mut document, &name, &mesh, &solver, &save_cycles);
    if let Some(settings) = &impedance {
        document.insert(
            "impedance".into(),
            toml::Value::Table(super::impedance_request::to_table(settings)),
        );
    }

    Ok(Scenario {
        name,
        description: raw.description.unwrap_or_default(),
        path: Some(path_for_messages.to_path_buf()),
        parameters,
        mesh,
        solver,
        experiment,
        experiment_spec,
        save_cycles,
        impedance,
        document,
    })
}

/// Writes the values the scenario runs with (defaults included) into its document.
fn fill_defaults(
    document: &mut toml::Table,
    name: &str,
    mesh: &MeshSettings,
    solver: &SolverSettings,
    save_cycles: &SaveCycles,
) {
    use toml::Value;
    let int = |n: usize| Value::Integer(i64::try_from(n).unwrap_or(i64::MAX));
    document.insert("name".into(), Value::String(name.to_string()));
    document.insert(
        "mesh".into(),
        Value::Table(toml::Table::from_iter([
            ("positive_x_cells".to_string(), int(mesh.positive_x_cells)),
            ("separator_x_cells".to_string(), int(mesh.separator_x_cells)),
            ("particle_r_cells".to_string(), int(mesh.particle_r_cells)),
            (
                "particle_surface_refinement".to_string(),
                int(mesh.particle_surface_refinement),
            ),
        ])),
    );
    let mut s = toml::Table::from_iter([
        ("rtol".to_string(), Value::Float(solver.rtol)),
        ("atol".to_string(), Value::Float(solver.atol)),
        ("max_steps".to_string(), int(solver.max_steps)),
        (
            "capacitive_charging".to_string(),
            Value::Boolean(solver.capacitive_charging),
        ),
    ]);
    if let Some(dt) = solver.output_interval_s {
        s.insert("output_interval_s".into(), Value::Float(dt));
    }
    if let Some(cj) = &solver.cycle_jumping {
        s.insert(
            "cycle_jumping".into(),
            Value::Table(toml::Table::from_iter([
                ("tolerance".to_string(), Value::Float(cj.tolerance)),
                ("max_jump".to_string(), int(cj.max_jump)),
                ("resolved_cycles".to_string(), int(cj.resolved_cycles)),
            ])),
        );
    }
    document.insert("solver".into(), Value::Table(s));
    if let Ok(v) = Value::try_from(save_cycles) {
        document.insert("save_cycles".into(), v);
    }
}

const EXPERIMENT_FORMS: &str = "a step string such as \"Discharge at 1C until 2.0 V\", or a block { cycles = N, steps = [\"…\", \"…\"] }";

/// `experiment = [ … ]`: each element a step string (one cycle of one step) or a block
/// `{ cycles = N, steps = [ … ] }` (the steps form one cycle, repeated N times).
fn read_experiment(
    origin: &Origin,
    value: Option<toml::Value>,
    cell: &CellContext,
) -> Result<(Experiment, Vec<BlockSpec>), ScenarioError> {
    let elements = match value {
        None => {
            return Err(ScenarioError::key_error(
                origin,
                "experiment",
                format!("missing required key; expected a list of steps, each {EXPERIMENT_FORMS}"),
            ))
        }
        Some(toml::Value::Array(a)) if a.is_empty() => {
            return Err(ScenarioError::key_error(
                origin,
                "experiment",
                "expected at least one step, found an empty list",
            ))
        }
        Some(toml::Value::Array(a)) => a,
        Some(other) => {
            return Err(ScenarioError::key_error(
                origin,
                "experiment",
                format!(
                    "expected a list [ … ] whose elements are each {EXPERIMENT_FORMS}, found {}",
                    type_name(&other)
                ),
            ))
        }
    };
    let mut blocks = Vec::with_capacity(elements.len());
    let mut specs = Vec::with_capacity(elements.len());
    for (i, element) in elements.into_iter().enumerate() {
        let key = format!("experiment[{}]", i + 1);
        let err = |key: &str, expected: String| ScenarioError::key_error(origin, key, expected);
        let step = |key: &str, value: toml::Value| -> Result<_, ScenarioError> {
            let text = match value {
                toml::Value::String(s) => s,
                other => {
                    return Err(err(
                        key,
                        format!(
                        "expected a step string such as \"Discharge at 1C until 2.0 V\", found {}",
                        type_name(&other)
                    ),
                    ))
                }
            };
            let spec = experiment::parse(&text).map_err(|e| err(key, e.to_string()))?;
            let step = experiment::resolve(&spec, cell).map_err(|e| err(key, e.to_string()))?;
            Ok((spec, step))
        };
        let (cycles, pairs) = match element {
            toml::Value::Table(mut t) => {
                if let Some(unknown) = t.keys().find(|k| !matches!(k.as_str(), "cycles" | "steps"))
                {
                    return Err(err(
                        &format!("{key}.{unknown}"),
                        "unknown key; a block takes `cycles` and `steps`".into(),
                    ));
                }
                let cycles = match t.remove("cycles") {
                    None => 1,
                    Some(toml::Value::Integer(n)) if n >= 1 => n as usize,
                    Some(other) => {
                        return Err(err(
                            &format!("{key}.cycles"),
                            format!("expected a number of cycles ≥ 1, found {}", shown(&other)),
                        ))
                    }
                };
                let steps = match t.remove("steps") {
                    Some(toml::Value::Array(a)) if !a.is_empty() => a,
                    Some(toml::Value::Array(_)) => {
                        return Err(err(
                            &format!("{key}.steps"),
                            "expected at least one step, found an empty list".into(),
                        ))
                    }
                    Some(other) => {
                        return Err(err(
                            &format!("{key}.steps"),
                            format!(
                                "expected a list of step strings, found {}",
                                type_name(&other)
                            ),
                        ))
                    }
                    None => {
                        return Err(err(
                            &format!("{key}.steps"),
                            "missing required key; a block needs `steps = [\"…\", …]`".into(),
                        ))
                    }
                };
                let pairs = steps
                    .into_iter()
                    .enumerate()
                    .map(|(j, v)| step(&format!("{key}.steps[{}]", j + 1), v))
                    .collect::<Result<Vec<_>, _>>()?;
                (cycles, pairs)
            }
            toml::Value::String(_) => (1, vec![step(&key, element)?]),
            other => {
                return Err(err(
                    &key,
                    format!("expected {EXPERIMENT_FORMS}, found {}", type_name(&other)),
                ))
            }
        };
        let (step_specs, steps): (Vec<_>, Vec<_>) = pairs.into_iter().unzip();
        specs.push(BlockSpec {
            cycles,
            steps: step_specs,
        });
        blocks.push(Block { cycles, steps });
    }
    Ok((Experiment { blocks }, specs))
}

/// A value as found, for messages.
fn shown(v: &toml::Value) -> String {
    match v {
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(x) => x.to_string(),
        other => type_name(other).to_string(),
    }
}

fn quoted_list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

fn mesh(origin: &Origin, raw: RawMesh) -> Result<MeshSettings, ScenarioError> {
    let d = MeshSettings::default();
    // The particle surface reconstruction uses the two outermost shells.
    let cells = |key: &str, v: Option<usize>, default: usize, min: usize| match v {
        Some(n) if n < min => Err(ScenarioError::key_error(
            origin,
            format!("mesh.{key}"),
            format!(
                "expected at least {min} cell{}, found {n}",
                if min == 1 { "" } else { "s" }
            ),
        )),
        Some(n) => Ok(n),
        None => Ok(default),
    };
    Ok(MeshSettings {
        positive_x_cells: cells(
            "positive_x_cells",
            raw.positive_x_cells,
            d.positive_x_cells,
            1,
        )?,
        separator_x_cells: cells(
            "separator_x_cells",
            raw.separator_x_cells,
            d.separator_x_cells,
            1,
        )?,
        particle_r_cells: cells(
            "particle_r_cells",
            raw.particle_r_cells,
            d.particle_r_cells,
            2,
        )?,
        particle_surface_refinement: cells(
            "particle_surface_refinement",
            raw.particle_surface_refinement,
            d.particle_surface_refinement,
            1,
        )?,
    })
}

fn solver(origin: &Origin, raw: RawSolver) -> Result<SolverSettings, ScenarioError> {
    let d = SolverSettings::default();
    let positive = |key: &str, v: Option<f64>| -> Result<Option<f64>, ScenarioError> {
        match v {
            Some(x) if !(x.is_finite() && x > 0.0) => Err(ScenarioError::key_error(
                origin,
                format!("solver.{key}"),
                format!("expected a positive number, found {x}"),
            )),
            other => Ok(other),
        }
    };
    let max_steps = match raw.max_steps {
        Some(0) => {
            return Err(ScenarioError::key_error(
                origin,
                "solver.max_steps",
                "expected at least 1 step, found 0",
            ))
        }
        Some(n) => n,
        None => d.max_steps,
    };
    Ok(SolverSettings {
        rtol: positive("rtol", raw.rtol)?.unwrap_or(d.rtol),
        atol: positive("atol", raw.atol)?.unwrap_or(d.atol),
        max_steps,
        output_interval_s: positive("output_interval_s", raw.output_interval_s)?
            .or(d.output_interval_s),
        capacitive_charging: raw.capacitive_charging.unwrap_or(d.capacitive_charging),
        cycle_jumping: match raw.cycle_jumping {
            None => None,
            Some(c) => {
                let dflt = crate::protocol::CycleJumping::default();
                let cj = crate::protocol::CycleJumping {
                    tolerance: c.tolerance.unwrap_or(dflt.tolerance),
                    max_jump: c.max_jump.unwrap_or(dflt.max_jump),
                    resolved_cycles: c.resolved_cycles.unwrap_or(dflt.resolved_cycles),
                };
                cj.validate().map_err(|(key, message)| {
                    ScenarioError::key_error(origin, format!("solver.cycle_jumping.{key}"), message)
                })?;
                Some(cj)
            }
        },
    })
}
