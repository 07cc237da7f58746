//! Parameter overrides: a scenario's `[parameters]` table, merged into the parameter file's TOML
//! tree *before* that tree is read, so that any key of the parameter file can be overridden and
//! an override of a key that does not exist fails exactly like an unknown key in the file, but
//! naming the scenario and the override.
//!
//! Paths are dotted keys, `"positive.particle_radius_m" = 1.2e-6`; nested TOML tables are read
//! as paths too (`[parameters.positive]` + `particle_radius_m = 1.2e-6` is the same override).
//! An inline table holding one of the keys `table`, `polynomial`, `bruggeman` or `tortuosity` is
//! a value, not a path: it replaces the whole value at its path, so
//! `"positive.electrolyte_transport" = { tortuosity = 2.0 }` switches from Bruggeman to a
//! tortuosity factor and `"positive.ocp_V" = { table = "my_ocp.csv" }` swaps in another table.
//! Table files named in overrides resolve relative to the scenario file's folder.

use std::path::Path;

use super::error::{Origin, ScenarioError};

/// Keys that make an inline table a value rather than a path.
const VALUE_TABLE_KEYS: &[&str] = &["table", "polynomial", "bruggeman", "tortuosity"];

/// Overrides flattened to `(path, value)`, in the order written.
#[derive(Debug, Clone, Default)]
pub(crate) struct Overrides {
    origin: Option<Origin>,
    entries: Vec<(Vec<String>, toml::Value)>,
}

impl Overrides {
    /// No overrides.
    pub fn none() -> Self {
        Overrides::default()
    }

    /// Reads a scenario's `[parameters]` table; `origin` is the scenario file and `base_dir`
    /// the folder its relative table paths resolve against.
    pub fn from_table(
        origin: &Origin,
        table: toml::Table,
        base_dir: &Path,
    ) -> Result<Self, ScenarioError> {
        let mut entries = Vec::new();
        flatten(origin, &[], table, base_dir, &mut entries)?;
        Ok(Overrides {
            origin: Some(origin.clone()),
            entries,
        })
    }

    /// Writes every override into `tree`, creating missing tables on the way (a path that the
    /// parameter file does not know is then rejected when the tree is read, and [`Self::blame`]
    /// attributes it to the override).
    pub fn apply(&self, tree: &mut toml::Table) -> Result<(), ScenarioError> {
        let Some(origin) = &self.origin else {
            return Ok(());
        };
        for (path, value) in &self.entries {
            let mut table = &mut *tree;
            for (depth, segment) in path[..path.len() - 1].iter().enumerate() {
                let entry = table
                    .entry(segment.clone())
                    .or_insert_with(|| toml::Value::Table(toml::Table::new()));
                match entry {
                    toml::Value::Table(t) => table = t,
                    other => {
                        let at = path[..=depth].join(".");
                        return Err(ScenarioError::key_error(
                            origin,
                            override_key(&path.join(".")),
                            format!(
                                "`{at}` is {}, not a table, so it has no key `{}`; override `{at}` itself instead",
                                type_name(other),
                                path[depth + 1]
                            ),
                        ));
                    }
                }
            }
            table.insert(path[path.len() - 1].clone(), value.clone());
        }
        Ok(())
    }

    /// If the parameter key `key` (dotted) was set or created by an override, the scenario file
    /// and the key to show for it: the longer of the override's path and `key`, written as
    /// `parameters."<path>"`.
    pub fn blame(&self, key: &str) -> Option<(Origin, String)> {
        let origin = self.origin.as_ref()?;
        self.entries.iter().find_map(|(path, _)| {
            let p = path.join(".");
            let shown = if key == p || key.starts_with(&format!("{p}.")) {
                key.to_string()
            } else if p.starts_with(&format!("{key}.")) {
                p
            } else {
                return None;
            };
            Some((origin.clone(), override_key(&shown)))
        })
    }
}

/// How an override path is shown in messages: its key in the scenario file.
pub(crate) fn override_key(path: &str) -> String {
    format!("parameters.\"{path}\"")
}

fn flatten(
    origin: &Origin,
    prefix: &[String],
    table: toml::Table,
    base_dir: &Path,
    out: &mut Vec<(Vec<String>, toml::Value)>,
) -> Result<(), ScenarioError> {
    for (key, value) in table {
        let mut path = prefix.to_vec();
        for segment in key.split('.') {
            let segment = segment.trim();
            if segment.is_empty() {
                let shown = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{}.{key}", prefix.join("."))
                };
                return Err(ScenarioError::key_error(
                    origin,
                    override_key(&shown),
                    "expected a dotted parameter path such as \"positive.thickness_m\", found an empty segment",
                ));
            }
            path.push(segment.to_string());
        }
        match value {
            toml::Value::Table(t) if !VALUE_TABLE_KEYS.iter().any(|k| t.contains_key(*k)) => {
                if t.is_empty() {
                    return Err(ScenarioError::key_error(
                        origin,
                        override_key(&path.join(".")),
                        "expected a value, found an empty table",
                    ));
                }
                flatten(origin, &path, t, base_dir, out)?;
            }
            mut value => {
                resolve_tables(&path, &mut value, base_dir, origin)?;
                out.push((path, value));
            }
        }
    }
    Ok(())
}

/// Makes the table file names given in an override absolute, relative to the scenario's folder.
fn resolve_tables(
    path: &[String],
    value: &mut toml::Value,
    base_dir: &Path,
    origin: &Origin,
) -> Result<(), ScenarioError> {
    let resolve = |name: &mut String| -> Result<(), ScenarioError> {
        let joined = base_dir.join(&*name);
        let absolute = std::path::absolute(&joined).map_err(|e| {
            ScenarioError::key_error(
                origin,
                override_key(&path.join(".")),
                format!("cannot resolve table path {}: {e}", joined.display()),
            )
        })?;
        *name = absolute.to_string_lossy().into_owned();
        Ok(())
    };
    if path.last().map(String::as_str) == Some("table") {
        if let toml::Value::String(name) = value {
            resolve(name)?;
        }
    } else if let toml::Value::Table(t) = value {
        if let Some(toml::Value::String(name)) = t.get_mut("table") {
            resolve(name)?;
        }
    }
    Ok(())
}

fn type_name(v: &toml::Value) -> &'static str {
    match v {
        toml::Value::String(_) => "a string",
        toml::Value::Integer(_) | toml::Value::Float(_) => "a number",
        toml::Value::Boolean(_) => "a boolean",
        toml::Value::Datetime(_) => "a date",
        toml::Value::Array(_) => "an array",
        toml::Value::Table(_) => "a table",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn overrides(text: &str) -> Overrides {
        let t: toml::Table = toml::from_str(text).unwrap();
        Overrides::from_table(&Origin::File("s.toml".into()), t, Path::new("/base")).unwrap()
    }

    #[test]
    fn dotted_and_nested_paths_are_the_same() {
        let base: toml::Table = toml::from_str("[positive]\nthickness_m = 1.0\nx = 2.0").unwrap();
        for text in [
            "\"positive.thickness_m\" = 5.0",
            "positive.thickness_m = 5.0",
            "[positive]\nthickness_m = 5.0",
        ] {
            let mut tree = base.clone();
            overrides(text).apply(&mut tree).unwrap();
            assert_eq!(
                tree["positive"]["thickness_m"].as_float(),
                Some(5.0),
                "{text}"
            );
            assert_eq!(tree["positive"]["x"].as_float(), Some(2.0), "{text}");
        }
    }

    #[test]
    fn value_tables_replace_and_tables_resolve_against_the_scenario() {
        let mut tree: toml::Table =
            toml::from_str("[positive]\nelectrolyte_transport = { bruggeman = 1.5 }\nocp_V = 3.0")
                .unwrap();
        overrides(
            "\"positive.electrolyte_transport\" = { tortuosity = 2.0 }\n\"positive.ocp_V\" = { table = \"ocp.csv\" }",
        )
        .apply(&mut tree)
        .unwrap();
        let t = tree["positive"]["electrolyte_transport"]
            .as_table()
            .unwrap();
        assert_eq!(t.len(), 1);
        assert_eq!(t["tortuosity"].as_float(), Some(2.0));
        let table = tree["positive"]["ocp_V"]["table"].as_str().unwrap();
        assert_eq!(Path::new(table), Path::new("/base/ocp.csv"));
    }

    #[test]
    fn blame_names_the_override() {
        let o =
            overrides("\"positve.thickness_m\" = 1.0\n\"positive.ocp_V\" = { table = \"a.csv\" }");
        let (origin, key) = o.blame("positve").unwrap();
        assert_eq!(origin, Origin::File("s.toml".into()));
        assert_eq!(key, "parameters.\"positve.thickness_m\"");
        assert_eq!(
            o.blame("positive.ocp_V.table").unwrap().1,
            "parameters.\"positive.ocp_V.table\""
        );
        assert!(o.blame("positive.thickness_m").is_none());
    }

    #[test]
    fn descending_into_a_number_is_an_error() {
        let mut tree: toml::Table = toml::from_str("[positive]\nocp_V = 3.0").unwrap();
        let e = overrides("\"positive.ocp_V.table\" = \"a.csv\"")
            .apply(&mut tree)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("positive.ocp_V") && e.contains("not a table"),
            "{e}"
        );
    }
}
