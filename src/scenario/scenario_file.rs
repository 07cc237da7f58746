//! Scenario files (TOML) into a validated [`Scenario`]: parameter source and overrides, mesh,
//! solver settings, time-series selection and the experiment. `--set` overrides are applied to
//! the file's tree first. All checks happen here, before anything is solved.

use std::path::Path;

use crate::numerics::mesh::MeshSettings;
use crate::output::SaveCycles;
use crate::protocol::experiment::{self, BlockSpec, CellContext};
use crate::protocol::simulate::SolverSettings;
use crate::protocol::{Block, Experiment};
use crate::range::{self, Count, Range};

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
    let tree: toml::Table = toml_table(text, &origin)?;
    // A sweep file read as a scenario: whatever is wrong, say first what it is.
    let sweep_file = tree.contains_key("sweep");
    parse_tree(tree, &origin, path_for_messages, base_dir, sets).map_err(|e| {
        // The key's position in this file, and a hint for a top-level key under a header.
        let e = e.located(&origin, text);
        if sweep_file {
            ScenarioError::SweepFile {
                origin: origin.clone(),
                source: Box::new(e),
            }
        } else {
            e
        }
    })
}

/// [`parse`] from the file's TOML tree.
fn parse_tree(
    mut tree: toml::Table,
    origin: &Origin,
    path_for_messages: &Path,
    base_dir: &Path,
    sets: &[SetOverride],
) -> Result<Scenario, ScenarioError> {
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
    let blame = |mut e: ScenarioError| {
        if let Some((o, key)) = e.origin_and_key_mut() {
            if *o == *origin {
                if let Some(set) = scenario_sets.iter().rev().find(|s| s.concerns(key)) {
                    *o = set.origin();
                }
            }
        }
        e
    };
    read(tree, origin, path_for_messages, base_dir, &parameter_sets).map_err(blame)
}

/// Why `name` cannot be the name of an output folder (`out/<name>`), in the words of an
/// error: empty, `.` or `..`, a path separator, or a character no file name may hold. A
/// scenario name is a name, never a path.
fn folder_name_problem(name: &str) -> Option<String> {
    let expected = "expected a non-empty name usable as a folder name (the default output \
                    folder is out/<name>), without `/`, `\\`, `..` or an absolute path";
    let bad = name.trim().is_empty()
        || name == "."
        || name == ".."
        || name.contains(['/', '\\', '\0'])
        || name.chars().any(char::is_control)
        || Path::new(name).is_absolute();
    bad.then(|| format!("{expected}, found {name:?}"))
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
        Some(n) => n,
        None => path_for_messages
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "scenario".to_string()),
    };
    if let Some(expected) = folder_name_problem(&name) {
        return Err(ScenarioError::key_error(origin, "name", &expected));
    }
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
    if let Some(dt) = solver.output_interval_s {
        let (rows, saved) =
            estimated_timeseries_rows(&experiment, &save_cycles, dt, cell.one_c_current_a);
        let limit = &range::TIMESERIES_ROWS;
        if rows.is_nan() || rows > limit.max as f64 {
            return Err(ScenarioError::key_error(
                origin,
                "solver.output_interval_s",
                format!(
                    "at one row every {} s the time series of the {saved} saved cycle{} would have about {} rows, outside the accepted range {limit} ({}); save fewer cycles (`save_cycles`) or raise `solver.output_interval_s`",
                    range::shown(dt),
                    if saved == 1 { "" } else { "s" },
                    range::approx(rows),
                    limit.why
                ),
            ));
        }
    }
    let reference_cycle = match raw.reference_cycle {
        None => experiment.reference_cycle(),
        Some(n) => match usize::try_from(n) {
            Ok(n) if (1..=experiment.cycles()).contains(&n) => n,
            _ => {
                return Err(ScenarioError::key_error(
                    origin,
                    "reference_cycle",
                    format!(
                        "expected a cycle of the experiment (1 to {}) whose discharge capacity is 100 % of the retention, found {n}",
                        experiment.cycles()
                    ),
                ))
            }
        },
    };
    let impedance = raw
        .impedance
        .map(|raw| super::impedance_request::read(origin, raw, &experiment))
        .transpose()?;
    fill_defaults(&mut document, &name, &mesh, &solver, &save_cycles);
    document.insert(
        "reference_cycle".into(),
        toml::Value::Integer(i64::try_from(reference_cycle).unwrap_or(i64::MAX)),
    );
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
        reference_cycle,
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
            let step_error = |error| ScenarioError::Step {
                origin: origin.clone(),
                position: None,
                key: key.to_string(),
                error: Box::new(error),
            };
            let spec = experiment::parse(&text).map_err(step_error)?;
            let step = experiment::resolve(&spec, cell).map_err(step_error)?;
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
                    Some(toml::Value::Integer(n)) if n >= 1 => {
                        let n = u64::try_from(n).unwrap_or(u64::MAX);
                        range::CYCLES.check_value(n).map_err(|m| {
                            err(&format!("{key}.cycles"), format!("{m} (in one block)"))
                        })?;
                        usize::try_from(n).unwrap_or(usize::MAX)
                    }
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
    let total = blocks
        .iter()
        .fold(0u64, |sum, b| sum.saturating_add(b.cycles as u64));
    range::CYCLES.check_value(total).map_err(|m| {
        ScenarioError::key_error(
            origin,
            "experiment",
            format!("{m} (the cycles of all blocks together)"),
        )
    })?;
    Ok((Experiment { blocks }, specs))
}

/// The rows the time series would get at `output_interval_s` \[s\], estimated from the
/// durations of the saved cycles' steps: a charge or discharge its `for` duration, else the
/// time the nominal capacity lasts at its current; a hold its duration, else an hour; a rest
/// its duration. (Without an output interval the rows follow the solver's steps, which are not
/// known in advance.)
fn estimated_timeseries_rows(
    experiment: &Experiment,
    save_cycles: &SaveCycles,
    output_interval_s: f64,
    one_c_current_a: f64,
) -> (f64, usize) {
    use crate::protocol::Step;
    let mut rows = 0.0;
    let mut saved_total = 0usize;
    let mut first = 1usize;
    for block in &experiment.blocks {
        let saved = saved_cycles(save_cycles, first, block.cycles);
        let per_cycle: f64 = block
            .steps
            .iter()
            .map(|step| {
                let limit = step.limit();
                let seconds = match step {
                    Step::ConstantCurrent { current_a, .. } => {
                        let full = 3600.0 * one_c_current_a / current_a;
                        limit.duration_s.map_or(full, |d| d.min(full))
                    }
                    Step::ConstantVoltage { .. } => limit.duration_s.unwrap_or(3600.0),
                    Step::Rest { .. } => limit.duration_s.unwrap_or(0.0),
                };
                (seconds / output_interval_s).ceil() + 1.0
            })
            .sum();
        rows += saved as f64 * per_cycle;
        saved_total = saved_total.saturating_add(saved);
        first = first.saturating_add(block.cycles);
    }
    (rows, saved_total)
}

/// How many of the `n` cycles from `first` (numbered from 1) `save` keeps.
fn saved_cycles(save: &SaveCycles, first: usize, n: usize) -> usize {
    let last = first.saturating_add(n).saturating_sub(1);
    match save {
        SaveCycles::All => n,
        SaveCycles::List(list) => {
            let mut list: Vec<usize> = list
                .iter()
                .copied()
                .filter(|c| (first..=last).contains(c))
                .collect();
            list.sort_unstable();
            list.dedup();
            list.len()
        }
        // Cycle 1 only.
        SaveCycles::Every(0) => usize::from(first == 1),
        // Cycles 1, 1 + k, 1 + 2k, … in [first, last]: those with (c − 1) mod k = 0.
        SaveCycles::Every(k) => {
            let upto = |c: usize| if c == 0 { 0 } else { (c - 1) / k + 1 };
            upto(last) - upto(first - 1)
        }
    }
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
    let mesh = MeshSettings {
        positive_x_cells: raw.positive_x_cells.unwrap_or(d.positive_x_cells),
        separator_x_cells: raw.separator_x_cells.unwrap_or(d.separator_x_cells),
        particle_r_cells: raw.particle_r_cells.unwrap_or(d.particle_r_cells),
        particle_surface_refinement: raw
            .particle_surface_refinement
            .unwrap_or(d.particle_surface_refinement),
    };
    mesh.validate().map_err(|(key, message)| {
        ScenarioError::key_error(origin, format!("mesh.{key}"), message)
    })?;
    Ok(mesh)
}

fn solver(origin: &Origin, raw: RawSolver) -> Result<SolverSettings, ScenarioError> {
    let d = SolverSettings::default();
    let real = |key: &str, v: Option<f64>, r: &Range| -> Result<Option<f64>, ScenarioError> {
        match v {
            Some(x) => r.check_value(x).map(|()| Some(x)).map_err(|m| {
                ScenarioError::key_error(origin, format!("solver.{key}"), m.to_string())
            }),
            None => Ok(None),
        }
    };
    let count = |key: &str, n: usize, c: &Count| -> Result<usize, ScenarioError> {
        c.check_usize(n)
            .map(|()| n)
            .map_err(|m| ScenarioError::key_error(origin, format!("solver.{key}"), m.to_string()))
    };
    let max_steps = count(
        "max_steps",
        raw.max_steps.unwrap_or(d.max_steps),
        &range::MAX_STEPS,
    )?;
    Ok(SolverSettings {
        rtol: real("rtol", raw.rtol, &range::RTOL)?.unwrap_or(d.rtol),
        atol: real("atol", raw.atol, &range::ATOL)?.unwrap_or(d.atol),
        max_steps,
        output_interval_s: real(
            "output_interval_s",
            raw.output_interval_s,
            &range::OUTPUT_INTERVAL_S,
        )?
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
                real(
                    "cycle_jumping.tolerance",
                    Some(cj.tolerance),
                    &range::CYCLE_JUMPING_TOLERANCE,
                )?;
                count("cycle_jumping.max_jump", cj.max_jump, &range::MAX_JUMP)?;
                count(
                    "cycle_jumping.resolved_cycles",
                    cj.resolved_cycles,
                    &range::RESOLVED_CYCLES,
                )?;
                Some(cj)
            }
        },
    })
}
