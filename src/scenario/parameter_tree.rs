//! A scenario's parameters as a parameter-file tree: its parameter file (a built-in set or a
//! file) with the scenario's overrides applied. It answers "what is the value at this path"
//! (for fits: the initial value of a parameter, and whether a path is a number that can be
//! fitted) and writes a complete parameter file with some values changed (the fitted set),
//! which `parameter_file = "…"` in a scenario reads back to the same parameters.

use std::path::{Path, PathBuf};

use super::builtin::builtin_parameter_set;
use super::error::{toml_table, Origin, ScenarioError};
use super::overrides::{parent_table, type_name, Overrides};
use super::raw::PARAMETER_SECTIONS;
use super::{Scenario, SetOverride};

/// Where a tree's relative table files are.
enum Tables {
    /// The embedded tables of a built-in set: (file name, CSV text).
    Embedded(&'static [(&'static str, &'static str)]),
    /// Made absolute already.
    Absolute,
}

/// The parameter-file tree of `scenario`, its overrides applied, and where its tables are.
fn tree_of(scenario: &Scenario) -> Result<(toml::Table, Tables), ScenarioError> {
    let doc = &scenario.document;
    let origin = Origin::File(scenario.path.clone().unwrap_or_default());
    let base_dir = scenario
        .path
        .as_ref()
        .and_then(|p| p.parent())
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let (text, tables, file_dir) = match (
        doc.get("parameter_set").and_then(toml::Value::as_str),
        doc.get("parameter_file").and_then(toml::Value::as_str),
    ) {
        (Some(name), _) => {
            let set = builtin_parameter_set(name).ok_or_else(|| {
                ScenarioError::key_error(
                    &origin,
                    "parameter_set",
                    format!("no built-in set `{name}`"),
                )
            })?;
            (
                set.parameter_file.to_string(),
                Tables::Embedded(set.tables),
                None,
            )
        }
        (None, Some(file)) => {
            let path = base_dir.join(file);
            let text = std::fs::read_to_string(&path).map_err(|source| ScenarioError::Read {
                file: path.clone(),
                source,
            })?;
            let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
            (text, Tables::Absolute, Some(dir))
        }
        (None, None) => {
            return Err(ScenarioError::key_error(
                &origin,
                "parameter_set",
                "the scenario names no parameter set or file",
            ))
        }
    };
    let mut tree: toml::Table = toml_table(&text, &origin)?;
    if let Some(dir) = file_dir {
        absolute_tables(&mut tree, &dir);
    }
    if let Some(toml::Value::Table(overrides)) = doc.get("parameters") {
        Overrides::from_table(&origin, overrides.clone(), &base_dir)?.apply(&mut tree)?;
    }
    Ok((tree, tables))
}

/// The parameter-file tree of `scenario`: its parameter set (built-in, or a file) as a TOML
/// table in the keys of a parameter file, with the scenario's overrides applied. Table files
/// of a file on disk are absolute paths; a built-in set's keep their embedded names. The
/// Python package's `ParameterValues` shows its values from it.
pub fn parameter_file_tree(scenario: &Scenario) -> Result<toml::Table, ScenarioError> {
    tree_of(scenario).map(|(tree, _)| tree)
}

/// Makes every relative `table = "<file>"` of `tree` absolute against `dir`.
fn absolute_tables(tree: &mut toml::Table, dir: &Path) {
    for (key, value) in tree.iter_mut() {
        match value {
            toml::Value::String(name)
                if key == "table" && Path::new(name.as_str()).is_relative() =>
            {
                *name = dir.join(&*name).to_string_lossy().into_owned();
            }
            toml::Value::Table(t) => absolute_tables(t, dir),
            toml::Value::Array(items) => {
                for item in items {
                    if let toml::Value::Table(t) = item {
                        absolute_tables(t, dir);
                    }
                }
            }
            _ => {}
        }
    }
}

/// The segments of a parameter path written as in `--set`: `positive.thickness_m` or
/// `parameters."positive.thickness_m"`. `None` for a path that is not a parameter's (a
/// scenario key such as `mesh.…`).
pub fn parameter_segments(path: &str) -> Option<Vec<String>> {
    let o = SetOverride::from_path_value(path, toml::Value::Integer(0)).ok()?;
    let p = o.path();
    let segments: Vec<String> = if p.first().map(String::as_str) == Some("parameters") {
        p[1..]
            .iter()
            .flat_map(|s| s.split('.'))
            .map(str::to_string)
            .collect()
    } else {
        p.to_vec()
    };
    let first = segments.first()?;
    (PARAMETER_SECTIONS.contains(&first.as_str()) && segments.len() >= 2).then_some(segments)
}

/// Why [`parameter_value`] cannot read a parameter path.
#[derive(Debug, thiserror::Error)]
pub enum ParameterPathError {
    /// The path does not start with a section of the parameter file.
    #[error(
        "`{0}` is not a parameter path: expected <section>.<key> with a section of the parameter file ({sections})",
        sections = PARAMETER_SECTIONS.join(", ")
    )]
    NotAPath(String),
    /// The scenario's parameter file cannot be read.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// A section on the path is a value, not a table.
    #[error("`{path}` is {found}, not a table")]
    NotATable {
        /// The path up to that value.
        path: String,
        /// The value's type.
        found: &'static str,
    },
}

/// The value at the parameter path `path` (as in `--set`) of `scenario`'s parameters, overrides
/// applied: `Ok(None)` when the parameter file has nothing there (a default applies, or the
/// path does not exist). An error when the path is not a parameter's or the scenario's
/// parameter file cannot be read.
pub fn parameter_value(
    scenario: &Scenario,
    path: &str,
) -> Result<Option<toml::Value>, ParameterPathError> {
    let segments =
        parameter_segments(path).ok_or_else(|| ParameterPathError::NotAPath(path.to_string()))?;
    let (tree, _) = tree_of(scenario)?;
    let mut table = &tree;
    for (depth, seg) in segments.iter().enumerate() {
        match table.get(seg) {
            Some(toml::Value::Table(t)) if depth + 1 < segments.len() => table = t,
            Some(v) if depth + 1 == segments.len() => return Ok(Some(v.clone())),
            Some(v) => {
                return Err(ParameterPathError::NotATable {
                    path: segments[..=depth].join("."),
                    found: type_name(v),
                })
            }
            None => return Ok(None),
        }
    }
    Ok(None)
}

/// Writes the complete parameter file of `scenario` with the parameters `values` (paths as
/// in `--set`) changed, to `path`, with `header` as comment lines on top. The embedded tables
/// of a built-in set are written beside it; tables of a parameter file on disk are referred to
/// by absolute paths. Read back with `parameter_file = "<path>"` (and no `[parameters]`), it
/// gives `scenario`'s parameters with those values. Written through a temporary file.
pub fn write_parameter_file(
    scenario: &Scenario,
    values: &[(String, f64)],
    path: &Path,
    header: &str,
) -> Result<PathBuf, ScenarioError> {
    let (mut tree, tables) = tree_of(scenario)?;
    let origin = Origin::File(path.to_path_buf());
    for (name, value) in values {
        let segments = parameter_segments(name).ok_or_else(|| {
            ScenarioError::key_error(&origin, name.clone(), "expected a parameter path")
        })?;
        let table = parent_table(&mut tree, &segments)
            .map_err(|e| ScenarioError::key_error(&origin, name.clone(), e.expectation("set")))?;
        table.insert(
            segments[segments.len() - 1].clone(),
            toml::Value::Float(*value),
        );
    }
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let write = |file: &Path, text: &str| -> Result<(), ScenarioError> {
        let tmp = file.with_extension("partial");
        std::fs::write(&tmp, text)
            .and_then(|()| std::fs::rename(&tmp, file))
            .map_err(|source| ScenarioError::Read {
                file: file.to_path_buf(),
                source,
            })
    };
    if let Tables::Embedded(files) = tables {
        for (name, text) in files {
            write(&dir.join(name), text)?;
        }
    }
    let body = toml::to_string(&tree).map_err(|e| {
        ScenarioError::key_error(
            &origin,
            "",
            format!("cannot write the parameters as TOML: {e}"),
        )
    })?;
    let mut text = String::new();
    for line in header.lines() {
        text.push_str("# ");
        text.push_str(line);
        text.push('\n');
    }
    text.push('\n');
    text.push_str(&body);
    write(path, &text)?;
    Ok(path.to_path_buf())
}

/// The scenario document of `scenario` reading its parameters from `parameter_file` (its own
/// `parameter_set`, `parameter_file` and `[parameters]` removed): a scenario file for the
/// fitted set.
pub fn scenario_with_parameter_file(scenario: &Scenario, parameter_file: &str) -> toml::Table {
    let mut doc = scenario.document.clone();
    doc.remove("parameter_set");
    doc.remove("parameters");
    doc.insert(
        "parameter_file".into(),
        toml::Value::String(parameter_file.to_string()),
    );
    doc
}

/// What kind of TOML value `v` is, in words (`a string`, `a table`, …).
pub fn describe_type(v: &toml::Value) -> &'static str {
    type_name(v)
}
