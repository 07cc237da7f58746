//! The `[impedance]` section of a scenario into [`ImpedanceSettings`]: which cycles, after
//! which part of the cycle, the rest before, the frequencies, and the equivalent circuit to fit.
//!
//! ```toml
//! [impedance]
//! every_cycles = 50            # or: cycles = [11, 61, 111]  (exactly one of the two)
//! first_cycle = 11             # optional with every_cycles: 11, 61, 111, … (default 50, 100, …)
//! after = "discharge"          # or "charge" (default "discharge")
//! rest_minutes = 30.0          # open-circuit rest before the measurement (default 30, 0 allowed)
//! f_min_Hz = 0.01              # default 10 mHz
//! f_max_Hz = 1.0e6             # default 1 MHz
//! points_per_decade = 10       # default 10
//! particle_surface_refinement = 10  # default 10: outer particle shell of the measuring model
//! circuit = "R0-p(R1,CPE1)-W1" # optional: the equivalent circuit to fit
//! ```
//!
//! Every error names the file and the key (`impedance.f_max_Hz`); a request for a state the
//! run never reaches (a cycle beyond the experiment, "after charge" in a cycle without a
//! charge) is an error too.

use crate::impedance::{CircuitError, PAPER_CIRCUIT};
use crate::protocol::{Experiment, ImpedanceCycles, ImpedanceSettings, MeasureAfter};

use super::error::{Origin, ScenarioError};
use super::raw::RawImpedance;

/// Reads `[impedance]` and checks it against the experiment it will run with.
pub(crate) fn read(
    origin: &Origin,
    raw: RawImpedance,
    experiment: &Experiment,
) -> Result<ImpedanceSettings, ScenarioError> {
    let err = |key: &str, expected: String| {
        ScenarioError::key_error(origin, format!("impedance.{key}"), expected)
    };
    let defaults = ImpedanceSettings::default();
    let cycles = match (raw.every_cycles, raw.cycles) {
        (Some(n), None) => match raw.first_cycle {
            None => ImpedanceCycles::Every(n),
            Some(first) => ImpedanceCycles::EveryFrom { first, every: n },
        },
        (None, Some(list)) => ImpedanceCycles::List(list),
        (Some(_), Some(_)) => {
            return Err(err(
                "every_cycles",
                "expected exactly one of `every_cycles` or `cycles`, found both".into(),
            ))
        }
        (None, None) => {
            return Err(err(
                "every_cycles",
                "missing required key; expected `every_cycles = N` or `cycles = [c1, c2, …]`"
                    .into(),
            ))
        }
    };
    if raw.first_cycle.is_some() && matches!(cycles, ImpedanceCycles::List(_)) {
        return Err(err(
            "first_cycle",
            "expected `first_cycle` only with `every_cycles`, found it with `cycles`".into(),
        ));
    }
    let after = match raw.after.as_deref() {
        None => defaults.after,
        Some("discharge") => MeasureAfter::Discharge,
        Some("charge") => MeasureAfter::Charge,
        Some(other) => {
            return Err(err(
                "after",
                format!("expected \"discharge\" or \"charge\", found \"{other}\""),
            ))
        }
    };
    let rest_s = match raw.rest_minutes {
        None => defaults.rest_s,
        Some(m) if m.is_finite() && m >= 0.0 => m * 60.0,
        Some(m) => {
            return Err(err(
                "rest_minutes",
                format!("expected a rest of 0 minutes or more, found {m}"),
            ))
        }
    };
    if let Some(circuit) = &raw.circuit {
        validate_circuit(circuit).map_err(|e| err("circuit", e.to_string()))?;
    }
    let settings = ImpedanceSettings {
        cycles,
        after,
        rest_s,
        f_min_hz: raw.f_min_hz.unwrap_or(defaults.f_min_hz),
        f_max_hz: raw.f_max_hz.unwrap_or(defaults.f_max_hz),
        points_per_decade: raw.points_per_decade.unwrap_or(defaults.points_per_decade),
        particle_surface_refinement: raw
            .particle_surface_refinement
            .unwrap_or(defaults.particle_surface_refinement),
        circuit: raw.circuit,
    };
    settings
        .validate_against(experiment)
        .map_err(|e| err(e.key, e.message))?;
    Ok(settings)
}

/// A `circuit` string of `[impedance]` that does not parse: the parser's error, shown with the
/// string and an example.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{error} (in \"{circuit}\"; for example \"{}\")", PAPER_CIRCUIT)]
pub(crate) struct InvalidCircuit {
    /// The string as given.
    pub circuit: String,
    /// Why it does not parse (data, not a source: the message shows it once).
    pub error: CircuitError,
}

/// Checks the `circuit` string of `[impedance]` with the circuit parser
/// ([`crate::impedance::Circuit::parse`]), so that a bad circuit fails when the scenario is
/// read, before anything is solved; the message says where and what is wrong.
pub(crate) fn validate_circuit(circuit: &str) -> Result<(), InvalidCircuit> {
    crate::impedance::Circuit::parse(circuit)
        .map(|_| ())
        .map_err(|error| InvalidCircuit {
            circuit: circuit.to_string(),
            error,
        })
}

/// The `[impedance]` table as the scenario runs it, every default filled in (for the
/// scenario's document and `run.toml`).
pub(crate) fn to_table(settings: &ImpedanceSettings) -> toml::Table {
    use toml::Value;
    let int = |n: usize| Value::Integer(i64::try_from(n).unwrap_or(i64::MAX));
    let mut t = toml::Table::new();
    match &settings.cycles {
        ImpedanceCycles::Every(n) => {
            t.insert("every_cycles".into(), int(*n));
        }
        ImpedanceCycles::EveryFrom { first, every } => {
            t.insert("every_cycles".into(), int(*every));
            t.insert("first_cycle".into(), int(*first));
        }
        ImpedanceCycles::List(list) => {
            t.insert(
                "cycles".into(),
                Value::Array(list.iter().map(|&c| int(c)).collect()),
            );
        }
    }
    t.insert(
        "after".into(),
        Value::String(settings.after.as_str().to_string()),
    );
    t.insert("rest_minutes".into(), Value::Float(settings.rest_s / 60.0));
    t.insert("f_min_Hz".into(), Value::Float(settings.f_min_hz));
    t.insert("f_max_Hz".into(), Value::Float(settings.f_max_hz));
    t.insert("points_per_decade".into(), int(settings.points_per_decade));
    t.insert(
        "particle_surface_refinement".into(),
        int(settings.particle_surface_refinement),
    );
    if let Some(c) = &settings.circuit {
        t.insert("circuit".into(), Value::String(c.clone()));
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_circuit_is_the_parser_error_with_the_string_and_an_example() {
        assert_eq!(validate_circuit(PAPER_CIRCUIT), Ok(()));
        let e = validate_circuit("R0-X1").unwrap_err();
        assert!(
            matches!(&e.error, CircuitError::UnknownElement { column: 4, name } if name == "X"),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            format!(
                "{} (in \"R0-X1\"; for example \"{PAPER_CIRCUIT}\")",
                e.error
            )
        );
    }
}
