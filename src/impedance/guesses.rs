//! Initial guesses and fixed constants of a circuit fit, as impedance.py's `initial_guess` and
//! `constants`, given three ways:
//!
//! - **in the circuit string**, after an element's name: `R0=20-p(R1=50,CPE1=[1e-6,0.9])-W1`
//!   ([`split_inline_guesses`]): a number for a one-parameter element, a bracketed list with
//!   one number per parameter (in the order of [`super::ElementKind::parameters`]) otherwise;
//!   these are initial guesses;
//! - **as assignments** `NAME=VALUE` ([`parse_assignment`]), NAME a parameter (`R1`,
//!   `CPE1_n`, `W1_sigma`) or an element with a bracketed list (`CPE1=[1e-6,0.9]`);
//! - **in a TOML file** ([`read_guesses_toml`]) with tables `[initial]` and `[constants]` of
//!   such names and values.
//!
//! Names are checked against the circuit ([`ParameterValues::resolve`]); a bad name is an
//! error naming it and the circuit's parameters.

use std::path::{Path, PathBuf};

use super::circuit::Circuit;

/// Why guesses or constants cannot be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GuessError {
    /// A value in the circuit string or an assignment is not as expected.
    #[error("`{text}`, column {column}: expected {expected}")]
    Syntax {
        /// The text.
        text: String,
        /// The 1-based column.
        column: usize,
        /// What was expected.
        expected: String,
    },
    /// A name that is neither a parameter nor an element of the circuit.
    #[error("`{name}` is not a parameter of the circuit {circuit} (its parameters: {})", known.join(", "))]
    UnknownName {
        /// The name given.
        name: String,
        /// The circuit.
        circuit: String,
        /// Its parameter names.
        known: Vec<String>,
    },
    /// An element given another number of values than it has parameters.
    #[error("`{element}` has {expected} parameter(s) ({}), but {found} value(s) were given", names.join(", "))]
    Count {
        /// The element.
        element: String,
        /// Its parameter count.
        expected: usize,
        /// Its parameter names.
        names: Vec<String>,
        /// The number of values given.
        found: usize,
    },
    /// A value that is not a positive finite number (every circuit parameter is positive).
    #[error("`{name}`: expected a positive finite number, found {value}")]
    Value {
        /// The parameter.
        name: String,
        /// The value.
        value: f64,
    },
    /// The TOML file cannot be read or parsed.
    #[error("{}: {message}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// Initial guesses and fixed constants by name, as given (element names with several values
/// are kept with their values until [`ParameterValues::resolve`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParameterValues {
    /// Initial guesses: (name, values).
    pub initial: Vec<(String, Vec<f64>)>,
    /// Fixed constants: (name, values).
    pub constants: Vec<(String, Vec<f64>)>,
}

/// Guesses and constants by parameter name, checked against a circuit.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResolvedValues {
    /// Initial guesses (parameter name, value).
    pub initial: Vec<(String, f64)>,
    /// Fixed constants (parameter name, value).
    pub constants: Vec<(String, f64)>,
}

impl ParameterValues {
    /// Adds `other`'s entries after these (later entries win).
    pub fn extend(&mut self, other: ParameterValues) {
        self.initial.extend(other.initial);
        self.constants.extend(other.constants);
    }

    /// The values by parameter name of `circuit`: each name is a parameter (one value) or an
    /// element (one value per parameter). A later entry for the same parameter replaces an
    /// earlier one; a constant also serves as the parameter's initial value.
    pub fn resolve(&self, circuit: &Circuit) -> Result<ResolvedValues, GuessError> {
        let resolve_all = |list: &[(String, Vec<f64>)]| -> Result<Vec<(String, f64)>, GuessError> {
            let mut out: Vec<(String, f64)> = Vec::new();
            for (name, values) in list {
                for (p, v) in resolve_one(circuit, name, values)? {
                    out.retain(|(n, _)| *n != p);
                    out.push((p, v));
                }
            }
            Ok(out)
        };
        Ok(ResolvedValues {
            initial: resolve_all(&self.initial)?,
            constants: resolve_all(&self.constants)?,
        })
    }
}

/// The parameters named by `name` with `values` (see [`ParameterValues::resolve`]).
fn resolve_one(
    circuit: &Circuit,
    name: &str,
    values: &[f64],
) -> Result<Vec<(String, f64)>, GuessError> {
    let names = circuit.parameter_names();
    for &v in values {
        if !(v.is_finite() && v > 0.0) {
            return Err(GuessError::Value {
                name: name.to_string(),
                value: v,
            });
        }
    }
    if let Some(e) = circuit.elements().iter().find(|e| e.name == name) {
        let count = e.kind.parameters().len();
        let own: Vec<String> = names[e.first_parameter..e.first_parameter + count].to_vec();
        if values.len() != count {
            return Err(GuessError::Count {
                element: name.to_string(),
                expected: count,
                names: own,
                found: values.len(),
            });
        }
        return Ok(own.into_iter().zip(values.iter().copied()).collect());
    }
    match (names.iter().find(|n| *n == name), values) {
        (Some(n), [v]) => Ok(vec![(n.clone(), *v)]),
        (Some(n), _) => Err(GuessError::Count {
            element: n.clone(),
            expected: 1,
            names: vec![n.clone()],
            found: values.len(),
        }),
        (None, _) => Err(GuessError::UnknownName {
            name: name.to_string(),
            circuit: circuit.text().to_string(),
            known: names,
        }),
    }
}

/// A value at byte `at` of `text`: a number or a bracketed list of numbers. Returns the values
/// and the byte after them.
fn parse_value(text: &str, at: usize) -> Result<(Vec<f64>, usize), GuessError> {
    let bytes = text.as_bytes();
    let syntax = |at: usize, expected: &str| GuessError::Syntax {
        text: text.to_string(),
        column: text[..at.min(text.len())].chars().count() + 1,
        expected: expected.to_string(),
    };
    if bytes.get(at) == Some(&b'[') {
        let end = text[at..]
            .find(']')
            .map(|k| at + k)
            .ok_or_else(|| syntax(at, "a `]` closing the list of values"))?;
        let mut values = Vec::new();
        let mut start = at + 1;
        for field in text[at + 1..end].split(',') {
            let v = field
                .trim()
                .parse::<f64>()
                .map_err(|_| syntax(start, "a number in the list"))?;
            values.push(v);
            start += field.len() + 1;
        }
        return Ok((values, end + 1));
    }
    // A number: digits, `.`, and a sign only at the start of an exponent, so that the `-` of a
    // series connection ends it.
    let mut end = at;
    while end < bytes.len() {
        let c = bytes[end];
        let exponent_sign =
            (c == b'-' || c == b'+') && end > at && matches!(bytes[end - 1], b'e' | b'E');
        if c.is_ascii_digit() || c == b'.' || c == b'e' || c == b'E' || exponent_sign {
            end += 1;
        } else {
            break;
        }
    }
    let value = text[at..end]
        .parse::<f64>()
        .map_err(|_| syntax(at, "a number or a list `[a,b]` after `=`"))?;
    Ok((vec![value], end))
}

/// The circuit string without its `=value` annotations, and the annotations as initial
/// guesses (element name, values).
pub fn split_inline_guesses(text: &str) -> Result<(String, ParameterValues), GuessError> {
    let mut clean = String::with_capacity(text.len());
    let mut guesses = ParameterValues::default();
    let mut rest_start = 0;
    let mut k = 0;
    while let Some(offset) = text[k..].find('=') {
        let eq = k + offset;
        let name_start = text[..eq]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(0, |p| p + 1);
        let name = text[name_start..eq].trim();
        if name.is_empty() {
            return Err(GuessError::Syntax {
                text: text.to_string(),
                column: text[..eq].chars().count() + 1,
                expected: "an element name before `=`".to_string(),
            });
        }
        let (values, end) = parse_value(text, eq + 1)?;
        clean.push_str(&text[rest_start..eq]);
        guesses.initial.push((name.to_string(), values));
        rest_start = end;
        k = end;
    }
    clean.push_str(&text[rest_start..]);
    Ok((clean, guesses))
}

/// `NAME=VALUE` or `NAME=[a,b]`.
pub fn parse_assignment(text: &str) -> Result<(String, Vec<f64>), GuessError> {
    let (name, _) = text.split_once('=').ok_or_else(|| GuessError::Syntax {
        text: text.to_string(),
        column: 1,
        expected: "NAME=VALUE, such as R1=50 or CPE1_n=0.9".to_string(),
    })?;
    let at = name.len() + 1;
    let (values, end) = parse_value(text, at)?;
    if !text[end..].trim().is_empty() || name.trim().is_empty() {
        return Err(GuessError::Syntax {
            text: text.to_string(),
            column: text[..end].chars().count() + 1,
            expected: "NAME=VALUE and nothing after it".to_string(),
        });
    }
    Ok((name.trim().to_string(), values))
}

/// Reads a TOML file with tables `[initial]` and `[constants]` of `NAME = number` or
/// `NAME = [numbers]`.
pub fn read_guesses_toml(path: &Path) -> Result<ParameterValues, GuessError> {
    let fail = |message: String| GuessError::File {
        path: path.to_path_buf(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| fail(format!("cannot read: {e}")))?;
    let table: toml::Table = text.parse().map_err(|e| fail(format!("{e}")))?;
    let mut out = ParameterValues::default();
    for (section, value) in &table {
        let list = match section.as_str() {
            "initial" => &mut out.initial,
            "constants" => &mut out.constants,
            other => {
                return Err(fail(format!(
                    "unknown key `{other}`: expected the tables [initial] and [constants]"
                )))
            }
        };
        let toml::Value::Table(entries) = value else {
            return Err(fail(format!("`{section}` must be a table ([{section}])")));
        };
        for (name, v) in entries {
            let number = |v: &toml::Value| match v {
                toml::Value::Float(x) => Some(*x),
                toml::Value::Integer(i) => Some(*i as f64),
                _ => None,
            };
            let values = match v {
                toml::Value::Array(a) => a.iter().map(number).collect::<Option<Vec<f64>>>(),
                other => number(other).map(|x| vec![x]),
            }
            .ok_or_else(|| {
                fail(format!(
                    "{section}.{name}: expected a number or a list of numbers"
                ))
            })?;
            list.push((name.clone(), values));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_guesses_are_split_from_the_circuit() {
        let (clean, g) =
            split_inline_guesses("R0=20-p(R1=5e1,CPE1=[1e-6, 0.9])-p(R2,CPE2)-W1=1.5e-2").unwrap();
        assert_eq!(clean, "R0-p(R1,CPE1)-p(R2,CPE2)-W1");
        assert_eq!(
            g.initial,
            vec![
                ("R0".to_string(), vec![20.0]),
                ("R1".to_string(), vec![50.0]),
                ("CPE1".to_string(), vec![1e-6, 0.9]),
                ("W1".to_string(), vec![1.5e-2]),
            ]
        );
        let c = Circuit::parse(&clean).unwrap();
        let r = g.resolve(&c).unwrap();
        assert!(r.initial.contains(&("CPE1_n".to_string(), 0.9)));
        assert!(r.initial.contains(&("W1_sigma".to_string(), 1.5e-2)));
        let e = split_inline_guesses("R0=x-p(R1,C1)").unwrap_err();
        assert!(e.to_string().contains("column 4"), "{e}");
        let e = split_inline_guesses("R0-p(R1,CPE1=[1e-6,0.9)").unwrap_err();
        assert!(e.to_string().contains("`]`"), "{e}");
    }

    #[test]
    fn bad_names_and_counts_are_errors() {
        let c = Circuit::parse("R0-p(R1,CPE1)").unwrap();
        let mut v = ParameterValues::default();
        v.constants.push(parse_assignment("CPE1_m=0.9").unwrap());
        let e = v.resolve(&c).unwrap_err().to_string();
        assert!(
            e.contains("`CPE1_m` is not a parameter") && e.contains("R0, R1, CPE1_Q, CPE1_n"),
            "{e}"
        );
        let v = ParameterValues {
            initial: vec![("CPE1".into(), vec![1e-6])],
            ..Default::default()
        };
        let e = v.resolve(&c).unwrap_err().to_string();
        assert!(e.contains("`CPE1` has 2 parameter(s)"), "{e}");
        assert!(parse_assignment("R1").is_err());
        assert!(parse_assignment("R1=5x").is_err());
        let v = ParameterValues {
            initial: vec![("R1".into(), vec![-5.0])],
            ..Default::default()
        };
        assert!(v.resolve(&c).is_err());
    }

    #[test]
    fn a_toml_file_of_guesses() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.toml");
        std::fs::write(
            &path,
            "[initial]\nR1 = 50\nCPE1 = [1e-6, 0.9]\n[constants]\nR0 = 20.0\n",
        )
        .unwrap();
        let v = read_guesses_toml(&path).unwrap();
        let c = Circuit::parse("R0-p(R1,CPE1)").unwrap();
        let r = v.resolve(&c).unwrap();
        assert_eq!(r.constants, vec![("R0".to_string(), 20.0)]);
        assert_eq!(r.initial.len(), 3);
        std::fs::write(&path, "[start]\nR1 = 50\n").unwrap();
        let e = read_guesses_toml(&path).unwrap_err().to_string();
        assert!(
            e.contains("unknown key `start`") && e.contains("g.toml"),
            "{e}"
        );
    }
}
