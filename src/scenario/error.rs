//! Errors from reading scenario and parameter files. Every error names the file (or built-in
//! parameter set), the key as a dotted path, and what was expected.

use std::fmt;
use std::path::PathBuf;

use crate::toml_position::{key_position, position_suffix, IndexBase, Position};

/// Where a value was read from: a file on disk, or a parameter set built into the binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A file, with the path as the user gave it.
    File(PathBuf),
    /// A built-in parameter set, by name.
    Builtin(&'static str),
    /// A `--set <path>=<value>` given on the command line, as written.
    CommandLine(String),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File(path) => write!(f, "{}", path.display()),
            Origin::Builtin(name) => write!(f, "built-in parameter set `{name}`"),
            Origin::CommandLine(arg) => write!(f, "--set {arg}"),
        }
    }
}

/// Why a scenario or parameter file could not be turned into something that can run.
///
/// Keys are dotted paths from the top of the file (`positive.thickness_m`, `experiment[2]`,
/// `experiment[3].steps[1]`, `positive.msmr.cationic[2].omega`, with the elements of the
/// experiment and the galleries numbered from 1); a parameter override is shown as
/// `parameters."positive.thickness_m"`. A key set by `--set` on the command line is blamed on
/// that `--set` ([`Origin::CommandLine`]).
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// A file could not be read.
    #[error("cannot read {}", .file.display())]
    Read {
        /// The file.
        file: PathBuf,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML.
    #[error("{origin}: not valid TOML: {message}")]
    Syntax {
        /// The file.
        origin: Origin,
        /// The TOML parser's message (with line and column).
        message: String,
    },
    /// A key is missing, unknown, of the wrong type, or has a value that is not allowed.
    #[error("{origin}{}: key `{key}`: {expected}", position_suffix(.position))]
    Key {
        /// The file that has to change.
        origin: Origin,
        /// Line and column of the key in that file, where they are known
        /// ([`ScenarioError::located`]).
        position: Option<Position>,
        /// Dotted path of the key.
        key: String,
        /// What was expected (and what was found).
        expected: String,
    },
    /// A step string of the experiment cannot be read or does not fit the cell.
    #[error("{origin}{}: key `{key}`: {error}", position_suffix(.position))]
    Step {
        /// The file holding the step.
        origin: Origin,
        /// Line and column of the step in that file, where they are known
        /// ([`ScenarioError::located`]).
        position: Option<Position>,
        /// Dotted path of the step (`experiment[2].steps[1]`).
        key: String,
        /// What is wrong with the step.
        error: Box<crate::protocol::experiment::ExperimentError>,
    },
    /// A table file named by a key could not be read.
    #[error("{origin}: key `{key}`: cannot read table file {}", .table.display())]
    TableRead {
        /// The file holding the key.
        origin: Origin,
        /// Dotted path of the key naming the table.
        key: String,
        /// The table file as resolved.
        table: PathBuf,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// A `--set` argument that is not `<path>=<value>` with a TOML key path and a TOML value.
    #[error("--set {arg}: {expected}")]
    Set {
        /// The argument as given.
        arg: String,
        /// What was expected.
        expected: String,
    },
    /// A sweep file (it has a `[sweep]` table) read as a scenario, with the error reading it as
    /// one.
    #[error("invalid scenario {origin}: it is a sweep file (it has a [sweep] table); run it with `asslb sweep {origin}`")]
    SweepFile {
        /// The file.
        origin: Origin,
        /// What is wrong with it as a scenario.
        #[source]
        source: Box<ScenarioError>,
    },
    /// A table file is not a two-column numeric CSV with a strictly increasing first column.
    #[error("{origin}: key `{key}`: table file {}{}: {expected}", .table.display(), line_suffix(.line))]
    Table {
        /// The file holding the key.
        origin: Origin,
        /// Dotted path of the key naming the table.
        key: String,
        /// The table file as resolved.
        table: PathBuf,
        /// 1-based line of the table file (the header is line 1), if the problem has one.
        line: Option<usize>,
        /// What was expected (and what was found).
        expected: String,
    },
}

fn line_suffix(line: &Option<usize>) -> String {
    match line {
        Some(l) => format!(", line {l}"),
        None => String::new(),
    }
}

impl ScenarioError {
    /// The dotted key the error is about, if any.
    pub fn key(&self) -> Option<&str> {
        match self {
            ScenarioError::Key { key, .. }
            | ScenarioError::Step { key, .. }
            | ScenarioError::TableRead { key, .. }
            | ScenarioError::Table { key, .. } => Some(key),
            ScenarioError::SweepFile { source, .. } => source.key(),
            ScenarioError::Read { .. }
            | ScenarioError::Syntax { .. }
            | ScenarioError::Set { .. } => None,
        }
    }

    /// The file (or `--set`) and the key of an error about a key or a step, the origin to be
    /// changed (an error about a key a `--set` wrote is the `--set`'s).
    pub(crate) fn origin_and_key_mut(&mut self) -> Option<(&mut Origin, &str)> {
        match self {
            ScenarioError::Key { origin, key, .. } | ScenarioError::Step { origin, key, .. } => {
                Some((origin, key.as_str()))
            }
            _ => None,
        }
    }

    /// Shorthand for [`ScenarioError::Key`].
    pub(crate) fn key_error(
        origin: &Origin,
        key: impl Into<String>,
        expected: impl Into<String>,
    ) -> Self {
        ScenarioError::Key {
            origin: origin.clone(),
            position: None,
            key: key.into(),
            expected: expected.into(),
        }
    }

    /// The error with the position of its key in `text`, the file `origin` was read from
    /// ([`crate::toml_position`]), and for an unknown key that is a top-level scenario key written
    /// under a table's header, the hint to move it. Errors about other files or without a key
    /// are returned as they are.
    pub(crate) fn located(self, origin: &Origin, text: &str) -> Self {
        match self {
            ScenarioError::Key {
                origin: own,
                position: None,
                key,
                expected,
            } if &own == origin => {
                let position = key_position(text, &key, IndexBase::One);
                let expected = match super::misplaced_key::misplaced_top_level_key(&key) {
                    Some(hint) if expected.starts_with("unknown key") => {
                        format!("{expected}. {hint}")
                    }
                    _ => expected,
                };
                ScenarioError::Key {
                    origin: own,
                    position,
                    key,
                    expected,
                }
            }
            ScenarioError::Step {
                origin: own,
                position: None,
                key,
                error,
            } if &own == origin => ScenarioError::Step {
                origin: own,
                position: key_position(text, &key, IndexBase::One),
                key,
                error,
            },
            ScenarioError::SweepFile {
                origin: own,
                source,
            } => ScenarioError::SweepFile {
                origin: own,
                source: Box::new(source.located(origin, text)),
            },
            other => other,
        }
    }
}

/// Joins two parts of a dotted path, either of which may be empty.
pub(crate) fn join_key(prefix: &str, key: &str) -> String {
    match (prefix.is_empty(), key.is_empty()) {
        (true, _) => key.to_string(),
        (false, true) => prefix.to_string(),
        (false, false) => format!("{prefix}.{key}"),
    }
}

/// Turns a serde error from deserialising a `toml::Value` into a [`ScenarioError::Key`], with
/// the full dotted path (`prefix` + the keys the deserialiser walked + the offending field) and
/// a message in the user's terms rather than Rust's.
pub(crate) fn from_toml_de(origin: &Origin, prefix: &str, err: &toml::de::Error) -> ScenarioError {
    let message = err.message().trim().to_string();
    // `toml::Value` deserialisation appends "in `a.b`" (the keys walked) to its display.
    let display = err.to_string();
    let walked = display
        .trim_end()
        .lines()
        .last()
        .and_then(|l| l.strip_prefix("in `"))
        .and_then(|l| l.strip_suffix('`'))
        .unwrap_or("");
    let path = join_key(prefix, walked);
    let (key, expected) = describe_serde_message(&path, &message);
    ScenarioError::key_error(origin, key, expected)
}

/// Rewrites serde's standard messages into `(key, expected)`.
fn describe_serde_message(path: &str, message: &str) -> (String, String) {
    if let Some(rest) = message.strip_prefix("unknown field `") {
        if let Some((field, tail)) = rest.split_once('`') {
            let tail = tail.trim_start_matches(',').trim();
            let expected = if tail == "there are no fields" {
                "unknown key; this table takes no keys".to_string()
            } else {
                format!(
                    "unknown key; {}",
                    tail.replace("expected one of", "expected one of:")
                )
            };
            return (join_key(path, field), expected);
        }
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        if let Some((field, _)) = rest.split_once('`') {
            return (join_key(path, field), "missing required key".to_string());
        }
    }
    if let Some(rest) = message.strip_prefix("unknown variant `") {
        if let Some((found, tail)) = rest.split_once('`') {
            let tail = tail.trim_start_matches(',').trim();
            return (path.to_string(), format!("{tail}, found \"{found}\""));
        }
    }
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(prefix) {
            if let Some((found, expected)) = rest.split_once(", expected ") {
                return (
                    path.to_string(),
                    format!("expected {}, found {}", plain_type(expected), found),
                );
            }
        }
    }
    (path.to_string(), message.to_string())
}

/// Rust type names in serde messages, in words.
fn plain_type(expected: &str) -> String {
    match expected {
        "f64" | "f32" => "a number".to_string(),
        "usize" | "u64" | "u32" => "a non-negative integer".to_string(),
        "a sequence" => "an array".to_string(),
        "a map" => "a table".to_string(),
        // `struct RawCell` and the like: a section or an inline table of the file.
        other if other.starts_with("struct ") => "a table".to_string(),
        other => other.to_string(),
    }
}

/// `text` read as a TOML table; a syntax error names `origin`.
pub(crate) fn toml_table(text: &str, origin: &Origin) -> Result<toml::Table, ScenarioError> {
    text.parse()
        .map_err(|e: toml::de::Error| ScenarioError::Syntax {
            origin: origin.clone(),
            message: e.to_string().trim_end().to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_messages_become_key_and_expectation() {
        let (k, e) = describe_serde_message(
            "solver",
            "unknown field `rtoll`, expected one of `rtol`, `atol`",
        );
        assert_eq!(k, "solver.rtoll");
        assert!(e.contains("unknown key") && e.contains("`rtol`"), "{e}");
        let (k, e) = describe_serde_message("cell", "missing field `area_m2`");
        assert_eq!(k, "cell.area_m2");
        assert_eq!(e, "missing required key");
        let (k, e) = describe_serde_message(
            "positive.thickness_m",
            "invalid type: string \"thick\", expected f64",
        );
        assert_eq!(k, "positive.thickness_m");
        assert_eq!(e, "expected a number, found string \"thick\"");
        let (k, e) = describe_serde_message(
            "cracking",
            "invalid type: integer `3`, expected struct RawCracking",
        );
        assert_eq!(k, "cracking");
        assert_eq!(e, "expected a table, found integer `3`");
    }

    #[test]
    fn walked_keys_are_recovered_from_toml_errors() {
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Inner {
            x: f64,
        }
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Outer {
            inner: Inner,
        }
        let v: toml::Value = toml::from_str("[inner]\nx = \"a\"").unwrap();
        let err = v.try_into::<Outer>().unwrap_err();
        let e = from_toml_de(&Origin::File("f.toml".into()), "top", &err);
        assert_eq!(e.key(), Some("top.inner.x"));
        assert!(e.to_string().contains("expected a number"), "{e}");
    }
}
