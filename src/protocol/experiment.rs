//! The experiment language: PyBaMM-style step strings such as `"Discharge at 1C until 2.0 V"`,
//! parsed into an unresolved [`StepSpec`] and then resolved against a cell ([`CellContext`])
//! into a [`Step`] in amperes, seconds and cell volts.
//!
//! # Grammar
//!
//! Case-insensitive; spaces between a number and its unit are optional (`1C`, `2.0V`, `30 min`).
//!
//! ```text
//! step      = ("Discharge" | "Charge") "at" current [ends]
//!           | "Hold at" voltage ends            (ends: a current and/or a duration)
//!           | "Rest" ends                       (ends: a duration)
//! ends      = end { "or" end }
//! end       = "until" (voltage | current) | "for" duration
//!           | voltage | current | duration     (after "or": the keyword may be left out)
//! current   = number ("A" | "mA" | "µA" | "uA")                       amperes
//!           | number "C" | "C/" number                                C-rate, by the nominal capacity
//!           | number ("A/m2" | "mA/cm2" | "A/cm2" | "µA/cm2" | …)     per electrode area
//!           | number ("mA/g" | "A/kg" | "A/g" | "µA/g" | …)           per mass of active material
//! voltage   = number ("V" | "mV") ["vs" ("Li/Li+" | "Li")]
//! duration  = number ("s" | "sec" | "second(s)" | "min" | "minute(s)" | "h" | "hr" | "hour(s)"
//!                     | "day(s)")
//! ```
//!
//! Examples: `"Charge at 0.05C until 4.3 V"`, `"Charge at C/20 until 4.3 V"`,
//! `"Discharge at 0.5 mA for 1 hour"`, `"Charge at 2 mA/cm2 until 3.7 V"`,
//! `"Discharge at 200 mA/g until 2.0 V vs Li/Li+"`, `"Hold at 4.3 V until C/50"`,
//! `"Hold at 3.68 V until 0.01 mA or 2 hours"`, `"Rest for 30 minutes"`,
//! `"Discharge at 1C for 10 hours or until 1.4 V"`.
//!
//! # Meaning
//!
//! - Currents are magnitudes; the direction comes from `Charge` or `Discharge`. A C-rate is a
//!   multiple of the cell's nominal capacity per hour (`1C` = `cell.nominal_capacity_Ah` A). A
//!   current per area is multiplied by the electrode area, a current per mass by the mass of
//!   active material ε_s · A · L_p · ρ_active, which needs `positive.active_material_density_kg_m3`.
//! - Voltages are **cell voltages** (cathode against the counter electrode) unless followed by
//!   `vs Li/Li+` (or `vs Li`): those are converted with V_cell = V_Li − U_n, U_n the counter
//!   electrode's potential (`negative.ocp_V`, 0.62 V for Li-In), rounded to 1 pV.
//! - A charge or discharge always stops at a voltage: the `until` voltage if given, else the
//!   cell's cut-off in its direction (`cell.lower_cutoff_V` for a discharge,
//!   `cell.upper_cutoff_V` for a charge), and additionally after its `for` duration if given. So
//!   `"Discharge at 0.5 mA for 1 hour"` ends after one hour or at the lower cut-off, whichever
//!   comes first, and `"Discharge at 1C"` runs to the lower cut-off.
//! - A discharge cut-off must lie in [lower, upper) of the cell's cut-offs, a charge cut-off in
//!   (lower, upper]; a hold voltage in [lower, upper].
//! - A hold (constant voltage, current solved for) ends when |I| falls to its `until` current,
//!   or after its duration, whichever comes first; it needs at least one of them.
//! - A rest (zero current) needs a duration.
//! - Accepted ranges (`crate::range`): every current (of a charge, a discharge or the
//!   end of a hold) from 1e-6C to 1000C of the cell's 1C current, whatever its unit; every
//!   duration from 1 ms to 1e9 s.

use std::fmt;

use crate::physics::parameters::CellParameters;
use crate::range;

use super::step::{Direction, Step, StepLimit};

/// A current as written in a step, before it is converted to amperes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CurrentSpec {
    /// A current \[A\].
    Amperes(f64),
    /// A C-rate: `times / per` times the nominal capacity per hour (`0.05C` is `{0.05, 1}`,
    /// `C/20` is `{1, 20}`; kept apart so that `C/20` is exactly Q/20).
    CRate {
        /// Multiple of the nominal capacity \[1/h\].
        times: f64,
        /// Divisor.
        per: f64,
    },
    /// A current per electrode area \[A/m²\].
    PerArea(f64),
    /// A current per mass of active material \[A/kg\] (= mA/g).
    PerMass(f64),
}

/// What a voltage is measured against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoltageReference {
    /// The cell voltage, cathode against the counter electrode (the default).
    Cell,
    /// The cathode potential against Li/Li+ (`vs Li/Li+`).
    Lithium,
}

/// A voltage as written in a step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VoltageSpec {
    /// Value \[V\].
    pub volts: f64,
    /// What it is measured against.
    pub reference: VoltageReference,
}

/// What kind of step, with its quantities as written (SI units, not yet resolved).
#[derive(Debug, Clone, PartialEq)]
pub enum StepKind {
    /// `Charge at …` / `Discharge at …`.
    ConstantCurrent {
        /// Charge or discharge.
        direction: Direction,
        /// The current.
        current: CurrentSpec,
        /// `until <voltage>`, if given.
        until_voltage: Option<VoltageSpec>,
        /// `for <duration>` \[s\], if given.
        duration_s: Option<f64>,
    },
    /// `Hold at <voltage> …`.
    Hold {
        /// The held voltage.
        voltage: VoltageSpec,
        /// `until <current>`, if given.
        until_current: Option<CurrentSpec>,
        /// `for <duration>` \[s\], if given (at least one of the two is).
        duration_s: Option<f64>,
    },
    /// `Rest for <duration>`.
    Rest {
        /// Duration \[s\].
        duration_s: f64,
    },
}

/// A parsed step, not yet resolved against a cell.
#[derive(Debug, Clone, PartialEq)]
pub struct StepSpec {
    /// The step string as written.
    pub text: String,
    /// What it says.
    pub kind: StepKind,
}

impl fmt::Display for StepSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for StepSpec {
    type Err = ExperimentError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse(text)
    }
}

/// A block of the experiment as written: parsed steps forming one cycle, repeated `cycles`
/// times. Resolved step by step into a [`super::step::Block`].
#[derive(Debug, Clone, PartialEq)]
pub struct BlockSpec {
    /// Number of repetitions (≥ 1); each is one cycle.
    pub cycles: usize,
    /// The steps of one cycle, in order.
    pub steps: Vec<StepSpec>,
}

/// A step string that cannot be read, or that does not fit the cell: the string and what is
/// wrong with it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("\"{text}\": {problem}")]
pub struct ExperimentError {
    /// The step string as written.
    pub text: String,
    /// What was expected (and what was found).
    pub problem: StepProblem,
}

/// What was found where a word or quantity was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// A word or number, as written.
    Token(String),
    /// The end of the step.
    End,
    /// Nothing at all: the step is empty.
    Empty,
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Found::Token(raw) => write!(f, "found `{raw}`"),
            Found::End => f.write_str("found the end of the step"),
            Found::Empty => f.write_str("found an empty string"),
        }
    }
}

/// What is wrong with a step string: its form ([`parse`]) or its numbers against the cell
/// ([`resolve`]).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StepProblem {
    /// A character that is no part of a word, number or unit.
    #[error(
        "expected words, numbers and units such as \"Discharge at 1C until 2.0 V\", found the unexpected character `{0}`"
    )]
    UnexpectedCharacter(char),
    /// The step does not start with its verb.
    #[error("expected a step starting with Charge, Discharge, Hold or Rest, {0}")]
    NoVerb(Found),
    /// A keyword is missing.
    #[error("expected `{word}` {context}, {found}")]
    ExpectedWord {
        /// The keyword (`at`, `or`).
        word: &'static str,
        /// Where it belongs (`after `Hold``).
        context: String,
        /// What stands there instead.
        found: Found,
    },
    /// No quantity where one was expected.
    #[error("expected {expected}, {found}")]
    ExpectedQuantity {
        /// The quantities expected, with examples.
        expected: String,
        /// What stands there instead.
        found: Found,
    },
    /// A number without its unit.
    #[error("expected a unit after `{number}` ({expected}), {found}")]
    MissingUnit {
        /// The number as written.
        number: String,
        /// The quantities expected, with examples.
        expected: String,
        /// What follows the number.
        found: Found,
    },
    /// A power or resistance step.
    #[error(
        "power and resistance steps are not supported; expected {expected}, found `{number} {unit}`"
    )]
    Unsupported {
        /// The quantities expected, with examples.
        expected: String,
        /// The number as written.
        number: String,
        /// The unit as written.
        unit: String,
    },
    /// A unit the language does not know.
    #[error("expected {expected}, found the unknown unit `{unit}` in `{number} {unit}`")]
    UnknownUnit {
        /// The quantities expected, with examples.
        expected: String,
        /// The number as written.
        number: String,
        /// The unit as written.
        unit: String,
    },
    /// A current per something that is neither an area nor a mass.
    #[error(
        "expected a current per area (`mA/cm2`, `A/m2`) or per mass of active material (`mA/g`, `A/kg`), found the unknown unit `{0}`"
    )]
    UnknownCurrentUnit(String),
    /// `vs` not followed by `Li/Li+`.
    #[error(
        "expected `Li/Li+` after `vs` (voltages are cell voltages unless given vs Li/Li+), {0}"
    )]
    UnknownReference(Found),
    /// A number too large for a double.
    #[error("expected a finite number, found `{number} {unit}`")]
    NotFinite {
        /// The number as written.
        number: String,
        /// Its unit.
        unit: String,
    },
    /// `C/n` with n ≤ 0.
    #[error("expected a positive divisor in `C/n`, found {0}")]
    NonPositiveDivisor(f64),
    /// `for` before something that is not a duration.
    #[error("expected {DURATION_UNITS} after `for`; write `until` before a voltage or current")]
    ForNeedsDuration,
    /// No end condition after the set point.
    #[error("expected `until <voltage or current>` or `for <duration>`, {0}")]
    NoEnd(Found),
    /// Two end conditions of one kind (`"voltage limit"`, `"current limit"`, `"duration"`).
    #[error("expected at most one {0}, found two")]
    TwoLimits(&'static str),
    /// A charge or discharge set at something other than a current.
    #[error(
        "expected {CURRENT_UNITS} after `{verb} at`, found {found}; to hold a voltage write `Hold at <voltage> until <current>`"
    )]
    NotACurrent {
        /// The verb as written.
        verb: String,
        /// What kind of quantity was found (`"a voltage"`).
        found: &'static str,
    },
    /// A charge or discharge with a current limit.
    #[error(
        "a {0} ends at a voltage (`until 2.0 V`) or after a duration (`for 1 hour`), not at a current; a current limit belongs to a hold (`Hold at 4.3 V until C/50`)"
    )]
    CurrentLimit(&'static str),
    /// A hold at something other than a voltage.
    #[error("expected {VOLTAGE_UNITS} after `Hold at`, found {0}")]
    NotAVoltage(&'static str),
    /// A hold with a voltage limit.
    #[error(
        "a hold ends at a current (`until C/50`, `until 0.01 mA`) or after a duration (`for 2 hours`), not at a voltage"
    )]
    HoldVoltageLimit,
    /// A hold without an end.
    #[error(
        "a hold needs an end: `until <current>` (such as `until C/50` or `until 0.01 mA`), `for <duration>`, or both"
    )]
    HoldWithoutEnd,
    /// A rest with a voltage or current limit.
    #[error("a rest ends after a duration (`Rest for 30 minutes`), not at a voltage or current")]
    RestLimit,
    /// A rest without a duration.
    #[error("a rest needs a duration: `Rest for <duration>`, such as `Rest for 30 minutes`")]
    RestWithoutDuration,
    /// A duration ≤ 0 or not finite.
    #[error("expected a duration > 0 s, found {} s", range::shown(*.0))]
    NonPositiveDuration(f64),
    /// A duration outside its accepted range.
    #[error("duration: {0}")]
    Duration(range::OutOfRange),
    /// A discharge's cut-off outside the cell's window.
    #[error(
        "expected a discharge cut-off in [{lower}, {upper}) V (cell voltage: at or above the cell's lower cut-off `cell.lower_cutoff_V` and below its upper one), found {found}"
    )]
    DischargeCutOff {
        /// The cell's lower cut-off \[V\].
        lower: f64,
        /// The cell's upper cut-off \[V\].
        upper: f64,
        /// The cut-off as written and as a cell voltage.
        found: String,
    },
    /// A charge's cut-off outside the cell's window.
    #[error(
        "expected a charge cut-off in ({lower}, {upper}] V (cell voltage: above the cell's lower cut-off and at or below its upper cut-off `cell.upper_cutoff_V`), found {found}"
    )]
    ChargeCutOff {
        /// The cell's lower cut-off \[V\].
        lower: f64,
        /// The cell's upper cut-off \[V\].
        upper: f64,
        /// The cut-off as written and as a cell voltage.
        found: String,
    },
    /// A hold voltage outside the cell's window.
    #[error(
        "expected a hold voltage in [{lower}, {upper}] V (cell voltage, between the cell's cut-offs), found {found}"
    )]
    HoldVoltage {
        /// The cell's lower cut-off \[V\].
        lower: f64,
        /// The cell's upper cut-off \[V\].
        upper: f64,
        /// The voltage as written and as a cell voltage.
        found: String,
    },
    /// A current per mass for a cell without an active mass.
    #[error(
        "a current per mass of active material needs the mass: set the active-material density `positive.active_material_density_kg_m3` in the parameter file or in the scenario's [parameters]"
    )]
    NoActiveMass,
    /// A current ≤ 0 or NaN.
    #[error(
        "expected a current > 0 (a magnitude; the direction comes from Charge or Discharge), found {0}"
    )]
    NonPositiveCurrent(String),
    /// A current outside the accepted C-rates.
    #[error(
        "{written} is {} A = {}C, outside the accepted range {} (1C = {} A)",
        range::approx(*amperes),
        range::approx(*c_rate),
        range::C_RATE,
        range::approx(*one_c_a)
    )]
    CRate {
        /// The current as written.
        written: String,
        /// It in amperes.
        amperes: f64,
        /// Its C-rate.
        c_rate: f64,
        /// The cell's 1C current \[A\].
        one_c_a: f64,
    },
}

/// What a step is resolved against: the cell's size, capacity and cut-offs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CellContext {
    /// The current of 1C \[A\]: the nominal capacity over one hour, or the per-gram 1C
    /// current times the active mass when the cell defines C-rates per gram.
    pub one_c_current_a: f64,
    /// Nominal capacity \[A·h\].
    pub nominal_capacity_ah: f64,
    /// Electrode area \[m²\].
    pub area_m2: f64,
    /// Mass of active material \[kg\], if known (it needs the active-material density).
    pub active_mass_kg: Option<f64>,
    /// Potential of the counter electrode U_n \[V vs Li/Li+\].
    pub counter_ocp_v: f64,
    /// Lower cell-voltage cut-off \[V\].
    pub lower_cutoff_v: f64,
    /// Upper cell-voltage cut-off \[V\].
    pub upper_cutoff_v: f64,
}

impl CellContext {
    /// The context of a cell: its nominal capacity, area, cut-offs, counter-electrode potential,
    /// and its active mass ε_s · A · L_p · ρ_active \[kg\] when
    /// `positive.active_material_density_kg_m3` is given.
    pub fn from_parameters(p: &CellParameters) -> Self {
        let per_gram = p
            .one_c_specific_current_a_kg
            .zip(p.active_mass_kg())
            .map(|(i, m)| i * m);
        CellContext {
            one_c_current_a: per_gram.unwrap_or(p.nominal_capacity_ah),
            nominal_capacity_ah: p.nominal_capacity_ah,
            area_m2: p.area_m2,
            active_mass_kg: p.active_mass_kg(),
            counter_ocp_v: p.negative.ocp_v,
            lower_cutoff_v: p.lower_cutoff_v,
            upper_cutoff_v: p.upper_cutoff_v,
        }
    }
}

/// Parses and resolves a step string in one go.
pub fn parse_step(text: &str, cell: &CellContext) -> Result<Step, ExperimentError> {
    resolve(&parse(text)?, cell)
}

// ---------------------------------------------------------------------------------------------
// Lexer
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// A number: its text (a decimal, maybe with an exponent) and value.
    Num(String),
    /// A word or unit, lower-cased (`discharge`, `ma/cm2`, `li/li+`).
    Word(String),
    /// `C/<number>`: the number's text.
    CPer(String),
}

/// A token and how it was written.
#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    raw: String,
}

fn is_word_char(c: char) -> bool {
    c.is_alphabetic() || matches!(c, '/' | '+' | '^' | '²' | 'µ' | 'μ')
}

fn lex(text: &str) -> Result<Vec<Token>, StepProblem> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    let starts_number = |i: usize| -> bool {
        let c = chars[i];
        let next_digit = chars.get(i + 1).is_some_and(|d| d.is_ascii_digit());
        c.is_ascii_digit()
            || (c == '.' && next_digit)
            || (matches!(c, '-' | '+') && {
                let n = chars.get(i + 1).copied();
                n.is_some_and(|d| d.is_ascii_digit())
                    || (n == Some('.') && chars.get(i + 2).is_some_and(|d| d.is_ascii_digit()))
            })
    };
    let lex_number = |mut i: usize| -> (String, usize) {
        let start = i;
        if matches!(chars[i], '-' | '+') {
            i += 1;
        }
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        if i < chars.len() && chars[i] == '.' {
            i += 1;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
        }
        // An exponent only if digits follow (`1e-3`), so that `2e` is not swallowed.
        if i < chars.len() && matches!(chars[i], 'e' | 'E') {
            let mut j = i + 1;
            if j < chars.len() && matches!(chars[j], '-' | '+') {
                j += 1;
            }
            if j < chars.len() && chars[j].is_ascii_digit() {
                while j < chars.len() && chars[j].is_ascii_digit() {
                    j += 1;
                }
                i = j;
            }
        }
        (chars[start..i].iter().collect(), i)
    };
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() || c == ',' {
            i += 1;
        } else if starts_number(i) {
            let (num, next) = lex_number(i);
            tokens.push(Token {
                tok: Tok::Num(num.clone()),
                raw: num,
            });
            i = next;
        } else if is_word_char(c) {
            let start = i;
            let mut word = String::new();
            while i < chars.len() {
                let d = chars[i];
                if is_word_char(d) || (!word.is_empty() && d.is_ascii_digit()) {
                    word.extend(d.to_lowercase());
                    i += 1;
                    if word == "c/" && i < chars.len() && starts_number(i) {
                        let (num, next) = lex_number(i);
                        i = next;
                        tokens.push(Token {
                            tok: Tok::CPer(num),
                            raw: chars[start..i].iter().collect(),
                        });
                        word.clear();
                        break;
                    }
                } else {
                    break;
                }
            }
            if !word.is_empty() {
                tokens.push(Token {
                    tok: Tok::Word(word),
                    raw: chars[start..i].iter().collect(),
                });
            }
        } else if c == '.' {
            // `vs. Li`: a full stop after a word.
            i += 1;
        } else {
            return Err(StepProblem::UnexpectedCharacter(c));
        }
    }
    Ok(tokens)
}

/// The value of the decimal `num` times 10^`shift`, rounded once: the shift is applied to the
/// decimal exponent, so `0.7202074427 mA` is exactly the double nearest 0.0007202074427.
fn scaled(num: &str, shift: i32) -> Option<f64> {
    let (mantissa, exponent) = match num.find(['e', 'E']) {
        Some(at) => (&num[..at], num[at + 1..].parse::<i32>().ok()?),
        None => (num, 0),
    };
    format!("{mantissa}e{}", exponent + shift).parse().ok()
}

// ---------------------------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------------------------

/// A quantity with its unit, converted to SI.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Quantity {
    Current(CurrentSpec),
    Voltage(VoltageSpec),
    Duration(f64),
}

const CURRENT_UNITS: &str = "a current (`1 mA`, `0.5 A`, `1C`, `C/20`, `2 mA/cm2`, `200 mA/g`)";
const VOLTAGE_UNITS: &str = "a voltage (`4.3 V`, `3700 mV`, `4.3 V vs Li/Li+`)";
const DURATION_UNITS: &str =
    "a duration (`30 s`, `30 seconds`, `10 min`, `10 minutes`, `2 h`, `2 hours`)";

struct Parser<'a> {
    tokens: &'a [Token],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn peek_word(&self) -> Option<&str> {
        match self.peek() {
            Some(Token {
                tok: Tok::Word(w), ..
            }) => Some(w),
            _ => None,
        }
    }

    fn found(&self) -> Found {
        match self.peek() {
            Some(t) => Found::Token(t.raw.clone()),
            None => Found::End,
        }
    }

    fn expect_word(&mut self, word: &'static str, context: &str) -> Result<(), StepProblem> {
        if self.peek_word() == Some(word) {
            self.pos += 1;
            Ok(())
        } else {
            Err(StepProblem::ExpectedWord {
                word,
                context: context.to_string(),
                found: self.found(),
            })
        }
    }

    /// A number and its unit (or a `C/n`), classified by the unit.
    fn quantity(&mut self, expected: &str) -> Result<Quantity, StepProblem> {
        let num = match self.peek().map(|t| t.tok.clone()) {
            Some(Tok::CPer(per)) => {
                self.pos += 1;
                let per = number(&per, 0, "C/")?;
                if per <= 0.0 {
                    return Err(StepProblem::NonPositiveDivisor(per));
                }
                return Ok(Quantity::Current(CurrentSpec::CRate { times: 1.0, per }));
            }
            Some(Tok::Num(n)) => n,
            _ => {
                return Err(StepProblem::ExpectedQuantity {
                    expected: expected.to_string(),
                    found: self.found(),
                })
            }
        };
        self.pos += 1;
        let unit = match self.peek_word() {
            Some(u) if !matches!(u, "until" | "for" | "or") => u.to_string(),
            _ => {
                return Err(StepProblem::MissingUnit {
                    number: num,
                    expected: expected.to_string(),
                    found: self.found(),
                })
            }
        };
        let unit_raw = self.peek().map(|t| t.raw.clone()).unwrap_or_default();
        self.pos += 1;
        if let Some(q) = self.voltage(&num, &unit)? {
            return Ok(q);
        }
        if let Some(q) = current(&num, &unit)? {
            return Ok(q);
        }
        if let Some(factor) = duration_factor(&unit) {
            return Ok(Quantity::Duration(number(&num, 0, &unit_raw)? * factor));
        }
        if matches!(
            unit.as_str(),
            "w" | "mw" | "kw" | "ohm" | "ohms" | "ω" | "w/kg" | "w/g"
        ) {
            return Err(StepProblem::Unsupported {
                expected: expected.to_string(),
                number: num,
                unit: unit_raw,
            });
        }
        Err(StepProblem::UnknownUnit {
            expected: expected.to_string(),
            number: num,
            unit: unit_raw,
        })
    }

    fn voltage(&mut self, num: &str, unit: &str) -> Result<Option<Quantity>, StepProblem> {
        let shift = match unit {
            "v" => 0,
            "mv" => -3,
            _ => return Ok(None),
        };
        let volts = number(num, shift, unit)?;
        let reference = if self.peek_word() == Some("vs") {
            self.pos += 1;
            match self.peek_word() {
                Some("li/li+" | "li" | "li+/li") => {
                    self.pos += 1;
                    VoltageReference::Lithium
                }
                _ => return Err(StepProblem::UnknownReference(self.found())),
            }
        } else {
            VoltageReference::Cell
        };
        Ok(Some(Quantity::Voltage(VoltageSpec { volts, reference })))
    }
}

/// A number's value, times 10^`shift`.
fn number(num: &str, shift: i32, unit: &str) -> Result<f64, StepProblem> {
    match scaled(num, shift) {
        Some(v) if v.is_finite() => Ok(v),
        _ => Err(StepProblem::NotFinite {
            number: num.to_string(),
            unit: unit.to_string(),
        }),
    }
}

/// Currents: amperes, C-rates, per area, per mass.
fn current(num: &str, unit: &str) -> Result<Option<Quantity>, StepProblem> {
    if unit == "c" {
        let times = number(num, 0, "C")?;
        return Ok(Some(Quantity::Current(CurrentSpec::CRate {
            times,
            per: 1.0,
        })));
    }
    let (numerator, denominator) = match unit.split_once('/') {
        Some((n, d)) => (n, Some(d)),
        None => (unit, None),
    };
    let prefix = match numerator {
        "a" => 0,
        "ma" => -3,
        "µa" | "μa" | "ua" => -6,
        "na" => -9,
        _ => return Ok(None),
    };
    let spec = match denominator {
        None => CurrentSpec::Amperes(number(num, prefix, unit)?),
        Some(d) => {
            let area = match d {
                "m2" | "m^2" | "m²" => Some(0),
                "cm2" | "cm^2" | "cm²" => Some(-4),
                "mm2" | "mm^2" | "mm²" => Some(-6),
                _ => None,
            };
            let mass = match d {
                "kg" => Some(0),
                "g" => Some(-3),
                "mg" => Some(-6),
                _ => None,
            };
            match (area, mass) {
                (Some(a), _) => CurrentSpec::PerArea(number(num, prefix - a, unit)?),
                (None, Some(m)) => CurrentSpec::PerMass(number(num, prefix - m, unit)?),
                (None, None) => return Err(StepProblem::UnknownCurrentUnit(unit.to_string())),
            }
        }
    };
    Ok(Some(Quantity::Current(spec)))
}

/// Seconds per unit of a duration unit.
fn duration_factor(unit: &str) -> Option<f64> {
    Some(match unit {
        "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
        "min" | "mins" | "minute" | "minutes" => 60.0,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3600.0,
        "day" | "days" => 86400.0,
        _ => return None,
    })
}

/// The end conditions after the step's set point.
#[derive(Debug, Default)]
struct Ends {
    voltage: Option<VoltageSpec>,
    current: Option<CurrentSpec>,
    duration_s: Option<f64>,
}

fn ends(p: &mut Parser<'_>) -> Result<Ends, StepProblem> {
    let mut out = Ends::default();
    let mut first = true;
    while p.peek().is_some() {
        if !first {
            p.expect_word("or", "between two end conditions")?;
        }
        let keyword = p.peek_word().map(str::to_string);
        let quantity = match keyword.as_deref() {
            Some("until") => {
                p.pos += 1;
                p.quantity(&format!("{VOLTAGE_UNITS} or {CURRENT_UNITS} after `until`"))?
            }
            Some("for") => {
                p.pos += 1;
                let q = p.quantity(&format!("{DURATION_UNITS} after `for`"))?;
                if !matches!(q, Quantity::Duration(_)) {
                    return Err(StepProblem::ForNeedsDuration);
                }
                q
            }
            _ if first => return Err(StepProblem::NoEnd(p.found())),
            _ => p.quantity(&format!(
                "`until <voltage or current>`, `for <duration>`, {VOLTAGE_UNITS}, {CURRENT_UNITS} or {DURATION_UNITS} after `or`"
            ))?,
        };
        match quantity {
            Quantity::Voltage(v) if out.voltage.is_none() => out.voltage = Some(v),
            Quantity::Current(c) if out.current.is_none() => out.current = Some(c),
            Quantity::Duration(d) if out.duration_s.is_none() => out.duration_s = Some(d),
            Quantity::Voltage(_) => return Err(StepProblem::TwoLimits("voltage limit")),
            Quantity::Current(_) => return Err(StepProblem::TwoLimits("current limit")),
            Quantity::Duration(_) => return Err(StepProblem::TwoLimits("duration")),
        }
        first = false;
    }
    Ok(out)
}

/// Parses a step string (see the module documentation for the grammar). Checks its form: a
/// hold needs a current or duration limit, a rest a duration, a charge or discharge takes no
/// current limit. Numbers are checked against the cell by [`resolve`].
pub fn parse(text: &str) -> Result<StepSpec, ExperimentError> {
    let fail = |problem: StepProblem| ExperimentError {
        text: text.to_string(),
        problem,
    };
    let tokens = lex(text).map_err(&fail)?;
    let mut p = Parser {
        tokens: &tokens,
        pos: 0,
    };
    let verb = p.peek_word().map(str::to_string);
    let kind = match verb.as_deref() {
        Some(v @ ("discharge" | "charge")) => {
            p.pos += 1;
            let (direction, verb) = if v == "discharge" {
                (Direction::Discharge, "discharge")
            } else {
                (Direction::Charge, "charge")
            };
            p.expect_word("at", &format!("after `{}`", tokens[0].raw))
                .map_err(&fail)?;
            let current = match p.quantity(CURRENT_UNITS).map_err(&fail)? {
                Quantity::Current(c) => c,
                other => {
                    return Err(fail(StepProblem::NotACurrent {
                        verb: tokens[0].raw.clone(),
                        found: describe_quantity(&other),
                    }))
                }
            };
            let e = ends(&mut p).map_err(&fail)?;
            if e.current.is_some() {
                return Err(fail(StepProblem::CurrentLimit(verb)));
            }
            StepKind::ConstantCurrent {
                direction,
                current,
                until_voltage: e.voltage,
                duration_s: e.duration_s,
            }
        }
        Some("hold") => {
            p.pos += 1;
            p.expect_word("at", "after `Hold`").map_err(&fail)?;
            let voltage = match p.quantity(VOLTAGE_UNITS).map_err(&fail)? {
                Quantity::Voltage(v) => v,
                other => return Err(fail(StepProblem::NotAVoltage(describe_quantity(&other)))),
            };
            let e = ends(&mut p).map_err(&fail)?;
            if e.voltage.is_some() {
                return Err(fail(StepProblem::HoldVoltageLimit));
            }
            if e.current.is_none() && e.duration_s.is_none() {
                return Err(fail(StepProblem::HoldWithoutEnd));
            }
            StepKind::Hold {
                voltage,
                until_current: e.current,
                duration_s: e.duration_s,
            }
        }
        Some("rest") => {
            p.pos += 1;
            let e = ends(&mut p).map_err(&fail)?;
            if e.voltage.is_some() || e.current.is_some() {
                return Err(fail(StepProblem::RestLimit));
            }
            match e.duration_s {
                Some(duration_s) => StepKind::Rest { duration_s },
                None => return Err(fail(StepProblem::RestWithoutDuration)),
            }
        }
        _ => {
            let found = match p.peek() {
                Some(t) => Found::Token(t.raw.clone()),
                None => Found::Empty,
            };
            return Err(fail(StepProblem::NoVerb(found)));
        }
    };
    Ok(StepSpec {
        text: text.to_string(),
        kind,
    })
}

fn describe_quantity(q: &Quantity) -> &'static str {
    match q {
        Quantity::Current(_) => "a current",
        Quantity::Voltage(_) => "a voltage",
        Quantity::Duration(_) => "a duration",
    }
}

// ---------------------------------------------------------------------------------------------
// Resolution
// ---------------------------------------------------------------------------------------------

/// Converts a parsed step into amperes, seconds and cell volts for `cell`, and checks it:
/// currents and durations > 0, cut-offs inside the cell's window (see the module
/// documentation), a per-mass current only with a known active mass.
pub fn resolve(spec: &StepSpec, cell: &CellContext) -> Result<Step, ExperimentError> {
    let fail = |problem: StepProblem| ExperimentError {
        text: spec.text.clone(),
        problem,
    };
    let (lo, hi) = (cell.lower_cutoff_v, cell.upper_cutoff_v);
    let duration = |d: Option<f64>| -> Result<Option<f64>, ExperimentError> {
        match d {
            Some(d) if !(d.is_finite() && d > 0.0) => {
                Err(fail(StepProblem::NonPositiveDuration(d)))
            }
            Some(d) => range::DURATION_S
                .check_value(d)
                .map(|()| Some(d))
                .map_err(|e| fail(StepProblem::Duration(e))),
            None => Ok(None),
        }
    };
    match &spec.kind {
        StepKind::ConstantCurrent {
            direction,
            current,
            until_voltage,
            duration_s,
        } => {
            let current_a = amperes(current, cell).map_err(&fail)?;
            let duration_s = duration(*duration_s)?;
            let voltage_v = match until_voltage {
                Some(v) => {
                    let cell_v = cell_voltage(v, cell);
                    let ok = cell_v.is_finite()
                        && match direction {
                            Direction::Discharge => cell_v >= lo && cell_v < hi,
                            Direction::Charge => cell_v > lo && cell_v <= hi,
                        };
                    if !ok {
                        let found = shown_voltage(v, cell);
                        let (lower, upper) = (lo, hi);
                        return Err(fail(match direction {
                            Direction::Discharge => StepProblem::DischargeCutOff {
                                lower,
                                upper,
                                found,
                            },
                            Direction::Charge => StepProblem::ChargeCutOff {
                                lower,
                                upper,
                                found,
                            },
                        }));
                    }
                    cell_v
                }
                None => match direction {
                    Direction::Discharge => lo,
                    Direction::Charge => hi,
                },
            };
            Ok(Step::ConstantCurrent {
                current_a,
                direction: *direction,
                limit: StepLimit {
                    voltage_v: Some(voltage_v),
                    current_a: None,
                    duration_s,
                },
            })
        }
        StepKind::Hold {
            voltage,
            until_current,
            duration_s,
        } => {
            let voltage_v = cell_voltage(voltage, cell);
            if !(voltage_v.is_finite() && voltage_v >= lo && voltage_v <= hi) {
                return Err(fail(StepProblem::HoldVoltage {
                    lower: lo,
                    upper: hi,
                    found: shown_voltage(voltage, cell),
                }));
            }
            let current_a = until_current
                .as_ref()
                .map(|c| amperes(c, cell))
                .transpose()
                .map_err(&fail)?;
            Ok(Step::ConstantVoltage {
                voltage_v,
                limit: StepLimit {
                    voltage_v: None,
                    current_a,
                    duration_s: duration(*duration_s)?,
                },
            })
        }
        StepKind::Rest { duration_s } => Ok(Step::Rest {
            limit: StepLimit {
                voltage_v: None,
                current_a: None,
                duration_s: duration(Some(*duration_s))?,
            },
        }),
    }
}

/// A current in amperes (> 0).
fn amperes(c: &CurrentSpec, cell: &CellContext) -> Result<f64, StepProblem> {
    let (value, written) = match *c {
        CurrentSpec::Amperes(a) => (a, format!("{} A", range::shown(a))),
        CurrentSpec::CRate { times, per } => (
            cell.one_c_current_a * times / per,
            if per == 1.0 {
                format!("{}C", range::shown(times))
            } else {
                format!("C/{}", range::shown(per))
            },
        ),
        CurrentSpec::PerArea(j) => (j * cell.area_m2, format!("{} A/m2", range::shown(j))),
        CurrentSpec::PerMass(g) => match cell.active_mass_kg {
            Some(m) => (g * m, format!("{} A/kg", range::shown(g))),
            None => return Err(StepProblem::NoActiveMass),
        },
    };
    if value.is_nan() || value <= 0.0 {
        return Err(StepProblem::NonPositiveCurrent(written));
    }
    let c_rate = value / cell.one_c_current_a;
    if range::C_RATE.contains(c_rate) {
        Ok(value)
    } else {
        Err(StepProblem::CRate {
            written,
            amperes: value,
            c_rate,
            one_c_a: cell.one_c_current_a,
        })
    }
}

/// The cell voltage of `v` \[V\]. A voltage vs Li/Li+ is converted and rounded to 1 pV, so
/// that `4.3 V vs Li/Li+` against 0.62 V is 3.68 V, not 3.6799999999999997 V.
fn cell_voltage(v: &VoltageSpec, cell: &CellContext) -> f64 {
    match v.reference {
        VoltageReference::Cell => v.volts,
        VoltageReference::Lithium => ((v.volts - cell.counter_ocp_v) * 1e12).round() / 1e12,
    }
}

fn shown_voltage(v: &VoltageSpec, cell: &CellContext) -> String {
    match v.reference {
        VoltageReference::Cell => format!("{} V", v.volts),
        VoltageReference::Lithium => format!(
            "{} V vs Li/Li+ = {} V cell voltage (counter electrode at {} V vs Li/Li+)",
            v.volts,
            cell_voltage(v, cell),
            cell.counter_ocp_v
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The solid verification cell, with the LRO density of its built-in set.
    fn cell() -> CellContext {
        CellContext {
            one_c_current_a: 0.0007202074427,
            nominal_capacity_ah: 0.0007202074427,
            area_m2: 7.853981634e-05,
            active_mass_kg: Some(0.3 * 7.853981634e-05 * 2.7e-05 * 5150.0),
            counter_ocp_v: 0.62,
            lower_cutoff_v: 1.38,
            upper_cutoff_v: 3.68,
        }
    }

    /// A cell with a 2.0–4.3 V window against Li metal (the issue's examples).
    fn li_cell() -> CellContext {
        CellContext {
            counter_ocp_v: 0.0,
            lower_cutoff_v: 2.0,
            upper_cutoff_v: 4.3,
            ..cell()
        }
    }

    fn step(text: &str, c: &CellContext) -> Step {
        parse_step(text, c).unwrap_or_else(|e| panic!("{e}"))
    }

    fn cc(current_a: f64, direction: Direction, v: f64, d: Option<f64>) -> Step {
        Step::ConstantCurrent {
            current_a,
            direction,
            limit: StepLimit {
                voltage_v: Some(v),
                current_a: None,
                duration_s: d,
            },
        }
    }

    fn err(text: &str, c: &CellContext) -> String {
        match parse_step(text, c) {
            Ok(s) => panic!("expected an error for {text:?}, got {s:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[track_caller]
    fn assert_contains(message: &str, parts: &[&str]) {
        for p in parts {
            assert!(message.contains(p), "expected {p:?} in: {message}");
        }
    }

    #[test]
    fn the_issue_examples_resolve_to_the_right_steps() {
        let c = li_cell();
        let q = c.nominal_capacity_ah;
        use Direction::{Charge, Discharge};
        assert_eq!(
            step("Charge at 0.05C until 4.3 V", &c),
            cc(q * 0.05, Charge, 4.3, None)
        );
        assert_eq!(
            step("Discharge at 1C until 2.0 V", &c),
            cc(q, Discharge, 2.0, None)
        );
        assert_eq!(
            step("Charge at C/20 until 4.3 V", &c),
            cc(q / 20.0, Charge, 4.3, None)
        );
        assert_eq!(
            step("Hold at 4.3 V until C/50", &c),
            Step::ConstantVoltage {
                voltage_v: 4.3,
                limit: StepLimit {
                    voltage_v: None,
                    current_a: Some(q / 50.0),
                    duration_s: None
                }
            }
        );
        assert_eq!(
            step("Rest for 30 minutes", &c),
            Step::Rest {
                limit: StepLimit {
                    voltage_v: None,
                    current_a: None,
                    duration_s: Some(1800.0)
                }
            }
        );
        // A duration-only step keeps the cut-off as a safety limit.
        assert_eq!(
            step("Discharge at 0.5 mA for 1 hour", &c),
            cc(0.0005, Discharge, 2.0, Some(3600.0))
        );
        assert_eq!(
            step("Charge at 2 mA/cm2 until 3.7 V", &c),
            cc(20.0 * c.area_m2, Charge, 3.7, None)
        );
        let mass = c.active_mass_kg.unwrap();
        assert_eq!(
            step("Discharge at 200 mA/g until 2.0 V", &c),
            cc(200.0 * mass, Discharge, 2.0, None)
        );
        assert_eq!(
            step("Discharge at 1C for 10 hours or until 3.3 V", &c),
            cc(q, Discharge, 3.3, Some(36000.0))
        );
    }

    #[test]
    fn c_rates_per_gram_when_the_cell_defines_them() {
        let mut p = crate::scenario::load_parameter_set("solid_halfcell_single_ion").unwrap();
        let nominal = CellContext::from_parameters(&p);
        assert_eq!(nominal.one_c_current_a, p.nominal_capacity_ah);
        // The paper's convention: 1C = 200 mA/g of Li2RuO3.
        p.one_c_specific_current_a_kg = Some(200.0);
        let per_gram = CellContext::from_parameters(&p);
        let mass = p.active_mass_kg().unwrap();
        let i = match step("Discharge at 0.5C until 1.38 V", &per_gram) {
            Step::ConstantCurrent { current_a, .. } => current_a,
            other => panic!("{other:?}"),
        };
        assert!((i - 0.5 * 200.0 * mass).abs() < 1e-15);
    }

    #[test]
    fn the_paper_c_rate_is_about_its_cell_current() {
        // 200 mA/g of the cell's 3.3 mg of LRO: about 0.66 mA (the paper: about 0.63 mA).
        let i = match step("Discharge at 200 mA/g until 1.38 V", &cell()) {
            Step::ConstantCurrent { current_a, .. } => current_a,
            other => panic!("{other:?}"),
        };
        assert!((i - 6.55e-4).abs() < 1e-5, "{i}");
    }

    #[test]
    fn units_and_spellings() {
        let c = cell();
        let current = |text: &str| match step(text, &c) {
            Step::ConstantCurrent { current_a, .. } => current_a,
            other => panic!("{other:?}"),
        };
        assert_eq!(current("Discharge at 0.5 A"), 0.5);
        assert_eq!(current("discharge at 1.5mA"), 0.0015);
        assert_eq!(current("DISCHARGE AT 20 µA"), 2e-5);
        assert_eq!(current("Discharge at 20 μA"), 2e-5);
        assert_eq!(current("Discharge at 20 uA"), 2e-5);
        assert_eq!(current("Discharge at 5e-4 A"), 5e-4);
        assert_eq!(current("Discharge at 1 C"), c.nominal_capacity_ah);
        assert_eq!(current("Discharge at 2C"), 2.0 * c.nominal_capacity_ah);
        assert_eq!(current("Discharge at C/2.5"), c.nominal_capacity_ah / 2.5);
        assert_eq!(current("Discharge at 10 A/m2"), 10.0 * c.area_m2);
        assert_eq!(current("Discharge at 1 mA/cm^2"), 10.0 * c.area_m2);
        assert_eq!(current("Discharge at 1 mA/cm²"), 10.0 * c.area_m2);
        let m = c.active_mass_kg.unwrap();
        assert_eq!(current("Discharge at 200 A/kg"), 200.0 * m);
        assert_eq!(current("Discharge at 0.2 A/g"), 200.0 * m);
        let duration = |text: &str| step(text, &c).limit().duration_s.unwrap();
        for (text, seconds) in [
            ("Rest for 30 s", 30.0),
            ("Rest for 30 sec", 30.0),
            ("Rest for 1 second", 1.0),
            ("Rest for 30 seconds", 30.0),
            ("Rest for 2 min", 120.0),
            ("Rest for 1 minute", 60.0),
            ("Rest for 2 minutes", 120.0),
            ("Rest for 1.5 h", 5400.0),
            ("Rest for 1 hour", 3600.0),
            ("Rest for 2 hours", 7200.0),
            ("rest for 10min", 600.0),
        ] {
            assert_eq!(duration(text), seconds, "{text}");
        }
        let hold_current = |text: &str| step(text, &c).limit().current_a.unwrap();
        assert_eq!(hold_current("Hold at 3.68 V until 0.01 mA"), 1e-5);
        assert_eq!(hold_current("Hold at 3.68 V until 5 mA/g"), 5.0 * m);
        assert_eq!(
            step("Hold at 3.68 V until C/50 or 2 hours", &c).limit(),
            StepLimit {
                voltage_v: None,
                current_a: Some(c.nominal_capacity_ah / 50.0),
                duration_s: Some(7200.0)
            }
        );
        assert_eq!(
            step("Hold at 3680 mV for 1 h", &c).limit().duration_s,
            Some(3600.0)
        );
        // `until V or <duration>`, and `for … or until …` (PyBaMM's form), are the same.
        assert_eq!(
            step("Charge at 1C until 3.6 V or 2 hours", &c),
            step("Charge at 1C for 2 hours or until 3.6 V", &c)
        );
    }

    #[test]
    fn exact_currents_stay_exact() {
        let c = cell();
        for (text, expected) in [
            ("Discharge at 0.7202074427 mA until 1.38 V", 0.0007202074427),
            (
                "Discharge at 0.07202074427 mA until 1.38 V",
                7.202074427e-05,
            ),
            ("Discharge at 1.440414885 mA until 1.38 V", 0.001440414885),
            ("Discharge at 1.2 mA until 1.38 V", 0.0012),
        ] {
            match step(text, &c) {
                Step::ConstantCurrent { current_a, .. } => assert_eq!(current_a, expected),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn no_until_means_the_cells_cut_off() {
        let c = cell();
        assert_eq!(
            step("Discharge at 1C", &c).limit().voltage_v,
            Some(c.lower_cutoff_v)
        );
        assert_eq!(
            step("Charge at 1C for 1 hour", &c).limit(),
            StepLimit {
                voltage_v: Some(c.upper_cutoff_v),
                current_a: None,
                duration_s: Some(3600.0)
            }
        );
    }

    #[test]
    fn voltages_vs_lithium_become_cell_voltages() {
        let c = cell();
        // 2.0–4.3 V vs Li/Li+ = 1.38–3.68 V against Li-In at 0.62 V.
        let v = step("Discharge at 1C until 2.0 V vs Li/Li+", &c)
            .limit()
            .voltage_v;
        assert_eq!(v, Some(1.38));
        let v = step("Charge at 1C until 4.3 V vs Li", &c).limit().voltage_v;
        assert_eq!(v, Some(3.68));
        match step("Hold at 4.2 V vs. Li/Li+ until C/20", &c) {
            Step::ConstantVoltage { voltage_v, .. } => assert_eq!(voltage_v, 3.58),
            other => panic!("{other:?}"),
        }
        // Only the cut-off window is checked, so a little below 2.0 V vs Li fails here.
        let e = err("Discharge at 1C until 1.9 V vs Li/Li+", &c);
        assert_contains(
            &e,
            &["1.9 V vs Li/Li+", "cell voltage", "[1.38, 3.68)", "0.62"],
        );
    }

    #[test]
    fn misspelt_steps_say_what_was_expected() {
        let c = cell();
        assert_eq!(
            err("Dischrge at 1C until 2 V", &c),
            "\"Dischrge at 1C until 2 V\": expected a step starting with Charge, Discharge, Hold or Rest, found `Dischrge`"
        );
        assert_contains(&err("", &c), &["found an empty string"]);
        assert_contains(
            &err("Discharge 1C until 1.4 V", &c),
            &[
                "\"Discharge 1C until 1.4 V\"",
                "expected `at` after `Discharge`",
                "found `1`",
            ],
        );
        assert_contains(
            &err("Discharge at 1C untill 1.4 V", &c),
            &[
                "expected `until <voltage or current>` or `for <duration>`",
                "found `untill`",
            ],
        );
        assert_contains(
            &err("Discharge at 1C until 1.4 V and 2 h", &c),
            &["expected `or`", "found `and`"],
        );
        assert_contains(
            &err("Discharge at 1 mAh until 1.4 V", &c),
            &["expected a current", "unknown unit `mAh`"],
        );
        assert_contains(
            &err("Discharge at 1 mA/cm until 1.4 V", &c),
            &["unknown unit `ma/cm`"],
        );
        assert_contains(
            &err("Rest for 3 fortnights", &c),
            &["expected a duration", "unknown unit `fortnights`"],
        );
        assert_contains(
            &err("Discharge at 1 until 1.4 V", &c),
            &["expected a unit after `1`"],
        );
        assert_contains(
            &err("Discharge at 1 W until 1.4 V", &c),
            &["power and resistance steps are not supported"],
        );
        assert_contains(
            &err("Discharge at 1C until 1.4 Volts", &c),
            &["unknown unit `Volts`"],
        );
        assert_contains(
            &err("Discharge at 1C for 1.4 V", &c),
            &["expected a duration", "after `for`"],
        );
        assert_contains(
            &err("Charge at 4.3 V", &c),
            &["expected a current", "found a voltage", "Hold at"],
        );
        assert_contains(&err("Hold at 1C for 1 h", &c), &["expected a voltage"]);
        assert_contains(
            &err("Discharge at 1C until 1.4 V vs Na", &c),
            &["expected `Li/Li+` after `vs`", "found `Na`"],
        );
        assert_contains(
            &err("Discharge at 1C until 1.4 V or 1.5 V", &c),
            &["at most one voltage limit"],
        );
        assert_contains(
            &err("Discharge at 1C # 1", &c),
            &["unexpected character `#`"],
        );
    }

    #[test]
    fn holds_and_rests_need_their_ends() {
        let c = cell();
        assert_contains(
            &err("Hold at 3.68 V", &c),
            &["a hold needs an end", "until C/50", "for <duration>"],
        );
        assert_contains(
            &err("Hold at 3.68 V until 3.5 V", &c),
            &["not at a voltage"],
        );
        assert_contains(&err("Rest", &c), &["a rest needs a duration"]);
        assert_contains(
            &err("Rest until 3 V", &c),
            &["a rest ends after a duration"],
        );
        assert_contains(
            &err("Discharge at 1C until C/50", &c),
            &["not at a current", "Hold at"],
        );
    }

    #[test]
    fn numbers_are_checked_against_the_cell() {
        let c = cell();
        assert_contains(
            &err("Discharge at -1C until 1.4 V", &c),
            &["expected a current > 0", "-1C"],
        );
        assert_contains(&err("Discharge at 0 mA", &c), &["expected a current > 0"]);
        assert_contains(&err("Rest for 0 s", &c), &["expected a duration > 0 s"]);
        assert_contains(&err("Discharge at 1C for -2 min", &c), &["duration > 0 s"]);
        assert_contains(
            &err("Discharge at 1C until 3.68 V", &c),
            &["discharge cut-off in [1.38, 3.68)", "found 3.68 V"],
        );
        assert_contains(
            &err("Charge at 1C until 1.38 V", &c),
            &["charge cut-off in (1.38, 3.68]"],
        );
        assert_contains(
            &err("Charge at 1C until 4.3 V", &c),
            &["charge cut-off in (1.38, 3.68]", "found 4.3 V"],
        );
        assert_contains(
            &err("Hold at 4.0 V until C/50", &c),
            &["hold voltage in [1.38, 3.68]"],
        );
        let no_mass = CellContext {
            active_mass_kg: None,
            ..c
        };
        assert_contains(
            &err("Discharge at 200 mA/g until 1.4 V", &no_mass),
            &[
                "\"Discharge at 200 mA/g until 1.4 V\"",
                "per mass of active material",
                "positive.active_material_density_kg_m3",
            ],
        );
        assert_contains(
            &err("Hold at 3.6 V until 5 mA/g", &no_mass),
            &["active_material_density_kg_m3"],
        );
    }

    #[test]
    fn currents_and_durations_have_accepted_ranges() {
        let c = cell();
        assert_contains(
            &err("Charge at 1e308C until 3.68 V", &c),
            &[
                "1e308C is 7.202e304 A = 1e308C",
                "outside the accepted range 1e-6 to 1000 C",
                "1C = 0.0007202 A",
            ],
        );
        assert_contains(
            &err("Discharge at 2000C", &c),
            &["= 2000C, outside the accepted range 1e-6 to 1000 C"],
        );
        assert_contains(
            &err("Discharge at 1e-12 A", &c),
            &["1e-12 A is", "outside the accepted range 1e-6 to 1000 C"],
        );
        assert_contains(
            &err("Hold at 3.6 V until 1e-10 mA", &c),
            &["outside the accepted range 1e-6 to 1000 C"],
        );
        assert_contains(
            &err("Discharge at 1e999C", &c),
            &["expected a finite number"],
        );
        assert_contains(
            &err("Rest for 1e-9 s", &c),
            &["duration: 1e-9 is outside the accepted range 1e-3 to 1e9 s"],
        );
        assert_contains(
            &err("Discharge at 1C for 1e300 hours", &c),
            &["duration: 3.6e303 is outside the accepted range 1e-3 to 1e9 s"],
        );
        assert!(parse_step("Charge at 1000C", &c).is_ok());
        assert!(parse_step("Rest for 1 ms", &c).is_err());
        assert!(parse_step("Rest for 0.001 s", &c).is_ok());
    }

    #[test]
    fn specs_keep_their_text_and_parse_by_from_str() {
        let s: StepSpec = "Rest for 1 h".parse().unwrap();
        assert_eq!(s.to_string(), "Rest for 1 h");
        assert_eq!(s.kind, StepKind::Rest { duration_s: 3600.0 });
        assert!("Nap for 1 h".parse::<StepSpec>().is_err());
    }

    #[test]
    fn scaling_is_decimal() {
        assert_eq!(scaled("0.7202074427", -3), Some(0.0007202074427));
        assert_eq!(scaled("7.2e-1", -3), Some(0.00072));
        assert_eq!(scaled("2", 1), Some(20.0));
        assert_eq!(scaled("x", 0), None);
    }
}
