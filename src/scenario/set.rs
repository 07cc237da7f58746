//! `--set <path>=<value>`: changes to a scenario given on the command line.
//!
//! The rule: **a `--set` does what the line `<path> = <value>` would do if it were written in
//! the scenario file**, with a shortcut for parameters.
//!
//! - `<path>` is a TOML key (dotted, segments quoted where needed) and `<value>` a TOML value,
//!   so lists and tables work: `experiment=["Discharge at 5C until 1.38 V"]`,
//!   `mesh.particle_r_cells=10`, `save_cycles={every=10}`. A value that is not valid TOML and
//!   does not start with `[`, `{`, `"` or `'` is taken as a plain string, so
//!   `parameter_set=xu2019_liquid_halfcell` needs no quotes.
//! - A path starting with a scenario key (`name`, `description`, `parameter_set`,
//!   `parameter_file`, `parameters`, `mesh`, `solver`, `experiment`, `save_cycles`,
//!   `reference_cycle`,
//!   `impedance`) sets that key of the scenario, replacing what the file has there. Setting
//!   `parameter_set` removes the file's `parameter_file` and the other way round; likewise
//!   `impedance.every_cycles` and `impedance.cycles`.
//! - A path starting with a section of the parameter file (`cell`, `positive`, `separator`,
//!   `electrolyte`, `negative`) is a parameter override: `positive.thickness_m=3e-5` is the same
//!   as `parameters."positive.thickness_m"=3e-5` and as the line
//!   `"positive.thickness_m" = 3e-5` under `[parameters]`. It applies after the file's own
//!   overrides.
//! - Anything else is an error naming the path. A path that starts well but does not exist
//!   (`mesh.particle_cells`, `positive.thickness`) is rejected when the scenario is read, like
//!   the same key in the file, and the error names the `--set`.
//!
//! Several `--set`s apply in the order given; a later one of the same path wins. Relative table
//! file names in values resolve against the scenario's folder, as in the file.

use std::str::FromStr;

use super::error::{Origin, ScenarioError};
use super::overrides::parent_table;
use super::raw::{PARAMETER_SECTIONS, SCENARIO_KEYS};

/// One `--set <path>=<value>`, checked for syntax (a TOML key path, a TOML value). Whether the
/// path exists is checked when it is applied to a scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct SetOverride {
    arg: String,
    path: Vec<String>,
    value: toml::Value,
}

impl SetOverride {
    /// Reads `<path>=<value>` (see the module documentation).
    pub fn parse(arg: &str) -> Result<Self, ScenarioError> {
        let fail = |expected: String| ScenarioError::Set {
            arg: arg.to_string(),
            expected,
        };
        let Some(at) = first_unquoted_equals(arg) else {
            return Err(fail(
                "expected <path>=<value>, such as mesh.particle_r_cells=10 or 'experiment=[\"Discharge at 1C\"]'".into(),
            ));
        };
        let (key, value) = (arg[..at].trim(), arg[at + 1..].trim());
        if key.is_empty() {
            return Err(fail("expected a key path before `=`".into()));
        }
        let path = key_path(key).ok_or_else(|| {
            fail(format!(
                "expected a key path such as mesh.particle_r_cells or parameters.\"positive.thickness_m\" before `=`, found `{key}`"
            ))
        })?;
        let value = toml_value(value).map_err(fail)?;
        Ok(SetOverride {
            arg: arg.to_string(),
            path,
            value,
        })
    }

    /// The override `<path> = <value>` from a key path written as in `--set` (dotted, segments
    /// quoted where needed) and a value already read as TOML: what a sweep file's axes give.
    /// The argument it reports in errors is `<path>=<value>` with the value as inline TOML.
    pub fn from_path_value(path: &str, value: toml::Value) -> Result<Self, ScenarioError> {
        let arg = format!("{}={value}", path.trim());
        let path = key_path(path.trim()).ok_or_else(|| ScenarioError::Set {
            arg: arg.clone(),
            expected: format!(
                "expected a key path such as mesh.particle_r_cells or parameters.\"positive.thickness_m\", found `{path}`"
            ),
        })?;
        Ok(SetOverride { arg, path, value })
    }

    /// The argument as given.
    pub fn arg(&self) -> &str {
        &self.arg
    }

    /// The key path, one entry per segment (quoted segments as one entry, dots kept).
    pub fn path(&self) -> &[String] {
        &self.path
    }

    /// The value.
    pub fn value(&self) -> &toml::Value {
        &self.value
    }

    /// Where errors in this override are blamed.
    pub(crate) fn origin(&self) -> Origin {
        Origin::CommandLine(self.arg.clone())
    }

    /// What the path points at.
    pub(crate) fn target(&self) -> Result<Target, ScenarioError> {
        let first = self.path[0].as_str();
        if first == "parameters" {
            return Ok(Target::Parameter(self.path[1..].join(".")));
        }
        if SCENARIO_KEYS.contains(&first) {
            return Ok(Target::Scenario);
        }
        let section = first.split('.').next().unwrap_or(first);
        if PARAMETER_SECTIONS.contains(&section) {
            return Ok(Target::Parameter(self.path.join(".")));
        }
        Err(ScenarioError::key_error(
            &self.origin(),
            self.path.join("."),
            format!(
                "unknown key; expected a scenario key ({}) or a parameter path starting with {}",
                list(SCENARIO_KEYS, ""),
                list(PARAMETER_SECTIONS, ".")
            ),
        ))
    }

    /// Writes a scenario-key override into the scenario's tree.
    pub(crate) fn apply_to_scenario(&self, tree: &mut toml::Table) -> Result<(), ScenarioError> {
        let table = parent_table(tree, &self.path).map_err(|e| {
            ScenarioError::key_error(&self.origin(), self.path.join("."), e.expectation("set"))
        })?;
        let last = &self.path[self.path.len() - 1];
        if self.path.len() == 1 {
            match last.as_str() {
                "parameter_set" => {
                    table.remove("parameter_file");
                }
                "parameter_file" => {
                    table.remove("parameter_set");
                }
                _ => {}
            }
        }
        // `impedance.every_cycles` and `impedance.cycles` exclude each other: setting one
        // replaces the file's other.
        if self.path.len() == 2 && self.path[0] == "impedance" {
            match last.as_str() {
                "every_cycles" => {
                    table.remove("cycles");
                }
                "cycles" => {
                    table.remove("every_cycles");
                    table.remove("first_cycle");
                }
                _ => {}
            }
        }
        table.insert(last.clone(), self.value.clone());
        Ok(())
    }

    /// Whether an error about scenario key `key` concerns this override's path.
    pub(crate) fn concerns(&self, key: &str) -> bool {
        let p = self.path.join(".");
        key == p
            || key.starts_with(&format!("{p}."))
            || key.starts_with(&format!("{p}["))
            || p.starts_with(&format!("{key}."))
    }
}

impl FromStr for SetOverride {
    type Err = ScenarioError;

    fn from_str(arg: &str) -> Result<Self, Self::Err> {
        SetOverride::parse(arg)
    }
}

/// What a `--set` path points at.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Target {
    /// A key of the scenario file other than `parameters`.
    Scenario,
    /// A parameter override with this dotted path (empty: the whole `parameters` table).
    Parameter(String),
}

fn list(keys: &[&str], suffix: &str) -> String {
    keys.iter()
        .map(|k| format!("`{k}{suffix}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Byte index of the first `=` outside quotes.
fn first_unquoted_equals(arg: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    for (i, c) in arg.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '=') => return Some(i),
            _ => {}
        }
    }
    None
}

/// The segments of a TOML key, read by the TOML parser itself.
fn key_path(key: &str) -> Option<Vec<String>> {
    let doc: toml::Table = format!("{key} = 0").parse().ok()?;
    let mut path = Vec::new();
    let mut table = &doc;
    loop {
        if table.len() != 1 {
            return None;
        }
        let (k, v) = table.iter().next()?;
        path.push(k.clone());
        match v {
            toml::Value::Table(t) => table = t,
            toml::Value::Integer(0) => return Some(path),
            _ => return None,
        }
    }
}

/// A TOML value, or a plain string (see the module documentation).
fn toml_value(text: &str) -> Result<toml::Value, String> {
    if text.is_empty() {
        return Err("expected a value after `=`".into());
    }
    match format!("v = {text}").parse::<toml::Table>() {
        Ok(doc) if doc.len() == 1 => match doc.get("v") {
            Some(v) => Ok(v.clone()),
            None => Err(format!("expected one TOML value after `=`, found `{text}`")),
        },
        Ok(_) => Err(format!("expected one TOML value after `=`, found `{text}`")),
        Err(e) if text.starts_with(['[', '{', '"', '\'']) => Err(format!(
            "expected a TOML value after `=`: {}",
            e.message().trim()
        )),
        Err(_) => Ok(toml::Value::String(text.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(arg: &str) -> SetOverride {
        SetOverride::parse(arg).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn paths_and_values_are_toml() {
        let s = set("mesh.particle_r_cells=10");
        assert_eq!(s.path(), ["mesh", "particle_r_cells"]);
        assert_eq!(s.value(), &toml::Value::Integer(10));
        assert_eq!(s.target().unwrap(), Target::Scenario);
        let s = set(r#"experiment=["Discharge at 5C until 2.0 V", "Rest for 1 h"]"#);
        assert_eq!(s.value().as_array().map(Vec::len), Some(2));
        let s = set(r#"parameters."positive.thickness_m" = 3e-5"#);
        assert_eq!(s.path(), ["parameters", "positive.thickness_m"]);
        assert_eq!(s.value(), &toml::Value::Float(3e-5));
        assert_eq!(
            s.target().unwrap(),
            Target::Parameter("positive.thickness_m".into())
        );
        assert_eq!(
            set("positive.thickness_m=3e-5").target().unwrap(),
            Target::Parameter("positive.thickness_m".into())
        );
        assert_eq!(
            set(r#""positive.thickness_m"=3e-5"#).target().unwrap(),
            Target::Parameter("positive.thickness_m".into())
        );
        let s = set("save_cycles={every=10}");
        assert!(s.value().is_table());
        // Quoted `=` in the key.
        assert_eq!(set(r#"name."a=b"=1"#).path(), ["name", "a=b"]);
    }

    #[test]
    fn bare_words_are_strings() {
        assert_eq!(
            set("parameter_set=xu2019_liquid_halfcell").value(),
            &toml::Value::String("xu2019_liquid_halfcell".into())
        );
        assert_eq!(
            set("name=my run").value(),
            &toml::Value::String("my run".into())
        );
        assert_eq!(
            set("name=\"quoted\"").value(),
            &toml::Value::String("quoted".into())
        );
    }

    #[test]
    fn bad_syntax_is_explained() {
        for (arg, part) in [
            ("mesh.particle_r_cells", "expected <path>=<value>"),
            ("=3", "expected a key path before `=`"),
            ("mesh..x=3", "expected a key path"),
            ("a b=3", "expected a key path"),
            ("mesh.x=", "expected a value after `=`"),
            ("experiment=[\"Rest for 1 h\"", "expected a TOML value"),
            ("x=1\ny = 2", "expected one TOML value"),
        ] {
            let e = SetOverride::parse(arg).unwrap_err().to_string();
            assert!(e.contains(part), "{arg:?}: {e}");
            assert!(e.starts_with(&format!("--set {arg}")), "{e}");
        }
    }

    #[test]
    fn unknown_first_segments_are_errors() {
        let e = set("temperature=300").target().unwrap_err().to_string();
        assert!(e.contains("--set temperature=300"), "{e}");
        assert!(e.contains("key `temperature`: unknown key"), "{e}");
        assert!(e.contains("`mesh`") && e.contains("`positive.`"), "{e}");
    }

    #[test]
    fn scenario_keys_replace_and_parameter_sources_exclude_each_other() {
        let mut tree: toml::Table = toml::from_str(
            "parameter_file = \"a.toml\"\nname = \"x\"\n[mesh]\nparticle_r_cells = 20",
        )
        .unwrap();
        set("parameter_set=xu2019_liquid_halfcell")
            .apply_to_scenario(&mut tree)
            .unwrap();
        assert!(!tree.contains_key("parameter_file"));
        set("mesh.particle_r_cells=5")
            .apply_to_scenario(&mut tree)
            .unwrap();
        assert_eq!(tree["mesh"]["particle_r_cells"].as_integer(), Some(5));
        set("solver.rtol=1e-6")
            .apply_to_scenario(&mut tree)
            .unwrap();
        assert_eq!(tree["solver"]["rtol"].as_float(), Some(1e-6));
        let e = set("name.first=1")
            .apply_to_scenario(&mut tree)
            .unwrap_err()
            .to_string();
        assert!(e.contains("`name` is a string, not a table"), "{e}");
    }

    #[test]
    fn blame_follows_the_path() {
        let s = set("mesh.particle_r_cells=1");
        assert!(s.concerns("mesh.particle_r_cells"));
        assert!(s.concerns("mesh"));
        assert!(!s.concerns("mesh.positive_x_cells"));
        let s = set("experiment=[]");
        assert!(s.concerns("experiment[2]"));
        assert!(s.concerns("experiment[1].steps[1]"));
    }
}
