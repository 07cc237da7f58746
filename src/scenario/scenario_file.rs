//! Scenario files (TOML) into a validated [`Scenario`]: parameter source and overrides, mesh,
//! solver settings and the list of steps. All checks happen here, before anything is solved.

use std::path::Path;

use crate::numerics::mesh::MeshSettings;
use crate::physics::parameters::CellParameters;
use crate::protocol::simulate::SolverSettings;
use crate::protocol::{Direction, Step, StepLimit};

use super::builtin::{builtin_parameter_set, builtin_parameter_set_names};
use super::error::{from_toml_de, Origin, ScenarioError};
use super::overrides::Overrides;
use super::parameter_file;
use super::raw::{RawDirection, RawMesh, RawScenario, RawSolver, RawStep};
use super::Scenario;

/// See [`super::parse_scenario`].
pub(crate) fn parse(
    text: &str,
    path_for_messages: &Path,
    base_dir: &Path,
) -> Result<Scenario, ScenarioError> {
    let origin = Origin::File(path_for_messages.to_path_buf());
    let tree: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| ScenarioError::Syntax {
            origin: origin.clone(),
            message: e.to_string().trim_end().to_string(),
        })?;
    let raw: RawScenario = toml::Value::Table(tree)
        .try_into()
        .map_err(|e| from_toml_de(&origin, "", &e))?;

    let name = match raw.name {
        Some(n) if n.trim().is_empty() => {
            return Err(ScenarioError::key_error(
                &origin,
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
    let mesh = mesh(&origin, raw.mesh.unwrap_or_default())?;
    let solver = solver(&origin, raw.solver.unwrap_or_default())?;

    let overrides = match raw.parameters {
        Some(table) => Overrides::from_table(&origin, table, base_dir)?,
        None => Overrides::none(),
    };
    let parameters = match (raw.parameter_set, raw.parameter_file) {
        (Some(set), None) => match builtin_parameter_set(&set) {
            Some(set) => parameter_file::load_builtin(set, &overrides)?,
            None => {
                return Err(ScenarioError::key_error(
                    &origin,
                    "parameter_set",
                    format!(
                        "expected the name of a built-in parameter set ({}), found \"{set}\"",
                        quoted_list(builtin_parameter_set_names())
                    ),
                ))
            }
        },
        (None, Some(file)) => parameter_file::load_file(&base_dir.join(file), &overrides)?,
        (Some(_), Some(_)) => {
            return Err(ScenarioError::key_error(
                &origin,
                "parameter_set",
                "expected exactly one of `parameter_set` or `parameter_file`, found both",
            ))
        }
        (None, None) => {
            return Err(ScenarioError::key_error(
                &origin,
                "parameter_set",
                "missing required key; expected `parameter_set = \"<built-in name>\"` or `parameter_file = \"<path>.toml\"`",
            ))
        }
    };

    let raw_steps = raw.steps.ok_or_else(|| {
        ScenarioError::key_error(
            &origin,
            "steps",
            "missing required key; expected at least one [[steps]] table",
        )
    })?;
    if raw_steps.is_empty() {
        return Err(ScenarioError::key_error(
            &origin,
            "steps",
            "expected at least one [[steps]] table, found none",
        ));
    }
    let steps = raw_steps
        .into_iter()
        .enumerate()
        .map(|(i, value)| step(&origin, i + 1, value, &parameters))
        .collect::<Result<Vec<_>, _>>()?;

    Ok(Scenario {
        name,
        description: raw.description.unwrap_or_default(),
        path: Some(path_for_messages.to_path_buf()),
        parameters,
        mesh,
        solver,
        steps,
    })
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
    })
}

fn step(
    origin: &Origin,
    index: usize,
    value: toml::Value,
    params: &CellParameters,
) -> Result<Step, ScenarioError> {
    let prefix = format!("steps[{index}]");
    let key = |k: &str| format!("{prefix}.{k}");
    let err = |k: &str, expected: String| ScenarioError::key_error(origin, key(k), expected);
    if !value.is_table() {
        return Err(ScenarioError::key_error(
            origin,
            prefix.clone(),
            format!("expected a table ([[steps]]), found {}", value.type_str()),
        ));
    }
    let raw: RawStep = value
        .try_into()
        .map_err(|e| from_toml_de(origin, &prefix, &e))?;
    let direction = match raw.direction {
        RawDirection::Discharge => Direction::Discharge,
        RawDirection::Charge => Direction::Charge,
    };
    let current_a = match (raw.current_a, raw.c_rate) {
        (Some(i), None) => {
            if !(i.is_finite() && i > 0.0) {
                return Err(err(
                    "current_A",
                    format!("expected a current magnitude > 0 A (the sign comes from `direction`), found {i}"),
                ));
            }
            i
        }
        (None, Some(c)) => {
            if !(c.is_finite() && c > 0.0) {
                return Err(err(
                    "c_rate",
                    format!("expected a C-rate > 0 (the sign comes from `direction`), found {c}"),
                ));
            }
            c * params.nominal_capacity_ah
        }
        (Some(_), Some(_)) => {
            return Err(err(
                "current_A",
                "expected exactly one of `current_A` or `c_rate`, found both".to_string(),
            ))
        }
        (None, None) => {
            return Err(err(
                "current_A",
                "missing required key; expected `current_A` (A) or `c_rate` (1/h, by the nominal capacity)"
                    .to_string(),
            ))
        }
    };
    let duration_s = match raw.duration_s {
        Some(d) if !(d.is_finite() && d > 0.0) => {
            return Err(err(
                "duration_s",
                format!("expected a duration > 0 s, found {d}"),
            ))
        }
        other => other,
    };
    let (lo, hi) = (params.lower_cutoff_v, params.upper_cutoff_v);
    let voltage_v = match (raw.until_voltage_v, duration_s) {
        (Some(v), _) => {
            let ok = v.is_finite()
                && match direction {
                    Direction::Discharge => v >= lo && v < hi,
                    Direction::Charge => v > lo && v <= hi,
                };
            if !ok {
                let expected = match direction {
                    Direction::Discharge => format!(
                        "expected a discharge cut-off in [{lo}, {hi}) V (at or above the lower cut-off `cell.lower_cutoff_V` and below the upper one), found {v}"
                    ),
                    Direction::Charge => format!(
                        "expected a charge cut-off in ({lo}, {hi}] V (above the lower cut-off and at or below the upper cut-off `cell.upper_cutoff_V`), found {v}"
                    ),
                };
                return Err(err("until_voltage_V", expected));
            }
            v
        }
        (None, Some(_)) => match direction {
            Direction::Discharge => lo,
            Direction::Charge => hi,
        },
        (None, None) => return Err(err(
            "until_voltage_V",
            "missing required key; a step needs `until_voltage_V` (V) or `duration_s` (s), or both"
                .to_string(),
        )),
    };
    Ok(Step::ConstantCurrent {
        current_a,
        direction,
        limit: StepLimit {
            voltage_v: Some(voltage_v),
            duration_s,
        },
    })
}
