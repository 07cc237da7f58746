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
//!
//! Overrides given on the command line (`asslb run … --set positive.thickness_m=3e-5`) are
//! added after the scenario's own, each with its `--set` as origin: a later override of the
//! same path wins, and an error in it is blamed on the `--set`.

use std::path::Path;

use super::error::{Origin, ScenarioError};

/// Keys that make an inline table a value rather than a path.
pub const VALUE_TABLE_KEYS: &[&str] = &["table", "polynomial", "bruggeman", "tortuosity"];

/// One override: where it was written, its path and its value.
#[derive(Debug, Clone)]
struct Entry {
    origin: Origin,
    path: Vec<String>,
    value: toml::Value,
}

/// Overrides flattened to `(path, value)`, in the order they apply.
#[derive(Debug, Clone, Default)]
pub(crate) struct Overrides {
    entries: Vec<Entry>,
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
        let mut overrides = Overrides::none();
        overrides.add(origin, table, base_dir)?;
        Ok(overrides)
    }

    /// Adds the overrides of `table` (read like a `[parameters]` table) from `origin` after
    /// the existing ones. An existing override of the same path, or of a path below it, is
    /// dropped: the new value replaces it.
    pub fn add(
        &mut self,
        origin: &Origin,
        table: toml::Table,
        base_dir: &Path,
    ) -> Result<(), ScenarioError> {
        let mut new = Vec::new();
        flatten(origin, &[], table, base_dir, &mut new)?;
        for (path, value) in new {
            self.entries.retain(|e| !e.path.starts_with(&path));
            self.entries.push(Entry {
                origin: origin.clone(),
                path,
                value,
            });
        }
        Ok(())
    }

    /// Whether there are no overrides.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The overrides as a `[parameters]` table of dotted keys, table paths absolute. Read back
    /// with [`Overrides::from_table`], it gives the same parameters: an override that another
    /// one replaces is gone, and a path sorts before the paths below it.
    pub fn to_table(&self) -> toml::Table {
        self.entries
            .iter()
            .map(|e| (e.path.join("."), e.value.clone()))
            .collect()
    }

    /// Writes every override into `tree`, creating missing tables on the way (a path that the
    /// parameter file does not know is then rejected when the tree is read, and [`Self::blame`]
    /// attributes it to the override).
    pub fn apply(&self, tree: &mut toml::Table) -> Result<(), ScenarioError> {
        for Entry {
            origin,
            path,
            value,
        } in &self.entries
        {
            let table = parent_table(tree, path).map_err(|e| {
                ScenarioError::key_error(
                    origin,
                    override_key(&path.join(".")),
                    e.expectation("override"),
                )
            })?;
            table.insert(path[path.len() - 1].clone(), value.clone());
        }
        Ok(())
    }

    /// If the parameter key `key` (dotted) was set or created by an override, where that
    /// override was written (the last one, if several) and the key to show for it: the longer
    /// of the override's path and `key`, written as `parameters."<path>"`.
    pub fn blame(&self, key: &str) -> Option<(Origin, String)> {
        self.entries.iter().rev().find_map(|e| {
            let p = e.path.join(".");
            let shown = if key == p || key.starts_with(&format!("{p}.")) {
                key.to_string()
            } else if p.starts_with(&format!("{key}.")) {
                p
            } else {
                return None;
            };
            Some((e.origin.clone(), override_key(&shown)))
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

/// A dotted path that runs through a value which is not a table.
#[derive(Debug)]
pub(crate) struct NotATable {
    /// The dotted path of the value.
    at: String,
    /// What it is (`a number`, …).
    found: &'static str,
    /// The key the path wanted inside it.
    key: String,
}

impl NotATable {
    /// What was expected, for an error message; `verb` is how the user wrote the change
    /// (`override`, `set`).
    pub(crate) fn expectation(&self, verb: &str) -> String {
        let NotATable { at, found, key } = self;
        format!("`{at}` is {found}, not a table, so it has no key `{key}`; {verb} `{at}` itself instead")
    }
}

/// The table that holds the last key of `path` (non-empty) in `tree`, creating missing tables
/// on the way.
pub(crate) fn parent_table<'a>(
    tree: &'a mut toml::Table,
    path: &[String],
) -> Result<&'a mut toml::Table, NotATable> {
    let mut table = tree;
    for (depth, segment) in path[..path.len() - 1].iter().enumerate() {
        let entry = table
            .entry(segment.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        match entry {
            toml::Value::Table(t) => table = t,
            other => {
                return Err(NotATable {
                    at: path[..=depth].join("."),
                    found: type_name(other),
                    key: path[depth + 1].clone(),
                })
            }
        }
    }
    Ok(table)
}

pub(crate) fn type_name(v: &toml::Value) -> &'static str {
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

    #[test]
    fn later_overrides_replace_earlier_ones_and_take_the_blame() {
        let mut o = overrides(
            "\"positive.thickness_m\" = 1.0\n\"positive.ocp_V.table\" = \"a.csv\"\n\"cell.area_m2\" = 2.0",
        );
        let cli = Origin::CommandLine("positive.ocp_V=3.0".into());
        let t: toml::Table = toml::from_str("\"positive.ocp_V\" = 3.0").unwrap();
        o.add(&cli, t, Path::new("/base")).unwrap();
        let table = o.to_table();
        assert_eq!(table.len(), 3);
        assert_eq!(table["positive.ocp_V"].as_float(), Some(3.0));
        assert!(!table.contains_key("positive.ocp_V.table"));
        assert_eq!(o.blame("positive.ocp_V").unwrap().0, cli);
        assert_eq!(
            o.blame("positive.thickness_m").unwrap().0,
            Origin::File("s.toml".into())
        );
        let mut tree: toml::Table = toml::from_str("[positive]\nocp_V = 1.0").unwrap();
        o.apply(&mut tree).unwrap();
        assert_eq!(tree["positive"]["ocp_V"].as_float(), Some(3.0));
    }

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
