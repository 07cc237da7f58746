//! Equivalent circuits written as strings in the notation of impedance.py (Murbach et al.,
//! J. Open Source Softw. 5 (2020) 2349): elements joined in series by `-` and in parallel by
//! `p(a,b,...)`, nested freely, for example the paper's
//! `R0-p(R1,CPE1)-p(R2,CPE2)-p(R3,CPE3)-W1` ([`PAPER_CIRCUIT`]).
//!
//! Each element is a kind followed by an index (`R0`, `CPE1`, `Wo2`); names must be unique.
//! With ω = 2πf and i² = −1, the elements and their parameters are (Lasia, *Electrochemical
//! Impedance Spectroscopy and its Applications*, Springer 2014, ch. 4 and 9; Orazem &
//! Tribollet, *Electrochemical Impedance Spectroscopy*, 2nd ed., Wiley 2017, ch. 9 and 14):
//!
//! | element | parameters | impedance |
//! |---|---|---|
//! | `R` resistor | R \[Ω\] | Z = R |
//! | `C` capacitor | C \[F\] | Z = 1/(iωC) |
//! | `L` inductor | L \[H\] | Z = iωL |
//! | `CPE` constant-phase element | Q \[F·s^(n−1)\], n \[1\] | Z = 1/(Q (iω)ⁿ) |
//! | `W` semi-infinite Warburg | σ \[Ω·s^(−1/2)\] | Z = σ(1 − i)/√ω |
//! | `Ws` finite-length Warburg, transmissive (short) | R \[Ω\], τ \[s\] | Z = R tanh(√(iωτ))/√(iωτ) |
//! | `Wo` finite-length Warburg, reflective (open) | R \[Ω\], τ \[s\] | Z = R coth(√(iωτ))/√(iωτ) |
//!
//! Series impedances add; a parallel block's admittances add.
//!
//! # Derivatives
//! [`Circuit::impedance_and_gradient`] gives Z with its derivatives ∂Z/∂pⱼ with respect to
//! every parameter, in closed form (for analytic Jacobians of fits). Per element:
//!
//! | element | derivatives |
//! |---|---|
//! | `R` | ∂Z/∂R = 1 |
//! | `C` | ∂Z/∂C = −Z/C |
//! | `L` | ∂Z/∂L = iω |
//! | `CPE` | ∂Z/∂Q = −Z/Q, ∂Z/∂n = −Z·ln(iω) = −Z (ln ω + iπ/2) |
//! | `W` | ∂Z/∂σ = Z/σ = (1 − i)/√ω |
//! | `Ws` | ∂Z/∂R = Z/R, ∂Z/∂τ = (R/2τ) (sech² s − tanh(s)/s) |
//! | `Wo` | ∂Z/∂R = Z/R, ∂Z/∂τ = −(R/2τ) (sech²(s)/tanh²(s) + 1/(s tanh s)) |
//!
//! with s = √(iωτ) (from dZ/ds and ds/dτ = s/(2τ)); tanh s and sech² s are computed from
//! e^{−2s}, which does not overflow for large |s|. Through the tree, series impedances add, so
//! their derivatives add; a parallel block Z = (Σₖ 1/Zₖ)⁻¹ has ∂Z/∂Zₖ = Z²/Zₖ², which
//! multiplies the derivatives of the parameters inside branch k.

use std::fmt;

use faer::c64;

/// The circuit of the paper: bulk resistance of the solid electrolyte, then its grain
/// boundaries, the solid electrolyte/LRO cathode interface and the solid electrolyte/Li–In
/// anode interface, each a resistance in parallel with a constant-phase element, and a
/// semi-infinite Warburg element for solid-state diffusion.
pub const PAPER_CIRCUIT: &str = "R0-p(R1,CPE1)-p(R2,CPE2)-p(R3,CPE3)-W1";

/// The names the paper gives the resistances of [`PAPER_CIRCUIT`] (Wu et al., Energy Environ.
/// Sci. 15 (2022) 3470, the EIS fits; `docs/impedance.md`), by parameter: R0 the solid
/// electrolyte's bulk, R1 its grain boundaries, R2 the electrolyte/LRO cathode interface, R3
/// the electrolyte/Li–In anode interface.
pub const PAPER_RESISTANCE_NAMES: [(&str, &str); 4] = [
    ("R0", "R_SE,bulk"),
    ("R1", "R_SE,gb"),
    ("R2", "R_SE/LRO"),
    ("R3", "R_SE/Li-In"),
];

/// The paper's name of the resistance `parameter` of `circuit` (`"R2"` → `"R_SE/LRO"`) when the
/// circuit is [`PAPER_CIRCUIT`]; `None` for another circuit or parameter.
pub fn paper_resistance_name(circuit: &str, parameter: &str) -> Option<&'static str> {
    let compact: String = circuit.chars().filter(|c| !c.is_whitespace()).collect();
    if compact != PAPER_CIRCUIT {
        return None;
    }
    PAPER_RESISTANCE_NAMES
        .iter()
        .find(|(p, _)| *p == parameter)
        .map(|(_, name)| *name)
}

/// The CPE coefficient Q \[F·s^(n−1)\] of an R ‖ CPE arc of resistance `r_ohm` whose −Z''
/// peaks at `f_peak_hz`: ω_peak = (R Q)^(−1/n), so Q = 1/(R ω_peak^n).
pub fn cpe_q_for_peak(r_ohm: f64, f_peak_hz: f64, n: f64) -> f64 {
    1.0 / (r_ohm * (2.0 * std::f64::consts::PI * f_peak_hz).powf(n))
}

/// Parameters of [`PAPER_CIRCUIT`] with the magnitudes of the paper cell, for examples, tests
/// and benchmarks: bulk 52 Ω; grain boundaries 20 Ω peaking at 200 kHz; cathode interface
/// 69 Ω at 2 kHz; anode interface 10 Ω at 1 Hz (CPE exponents `n`, high to low frequency);
/// Warburg σ = 1.5 Ω s^(−1/2).
pub fn paper_circuit_example(n: [f64; 3]) -> Vec<f64> {
    let arcs = [(20.0, 2e5), (69.0, 2e3), (10.0, 1.0)];
    let mut p = vec![52.0];
    for ((r, f), n) in arcs.into_iter().zip(n) {
        p.extend([r, cpe_q_for_peak(r, f, n), n]);
    }
    p.push(1.5);
    p
}

/// The kinds of circuit element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElementKind {
    /// Resistor `R`.
    Resistor,
    /// Capacitor `C`.
    Capacitor,
    /// Inductor `L`.
    Inductor,
    /// Constant-phase element `CPE`.
    Cpe,
    /// Semi-infinite Warburg element `W`.
    Warburg,
    /// Finite-length Warburg element with a reflective (open) end, `Wo`.
    WarburgOpen,
    /// Finite-length Warburg element with a transmissive (short) end, `Ws`.
    WarburgShort,
}

impl ElementKind {
    /// The prefix of the kind in a circuit string.
    pub fn prefix(self) -> &'static str {
        match self {
            ElementKind::Resistor => "R",
            ElementKind::Capacitor => "C",
            ElementKind::Inductor => "L",
            ElementKind::Cpe => "CPE",
            ElementKind::Warburg => "W",
            ElementKind::WarburgOpen => "Wo",
            ElementKind::WarburgShort => "Ws",
        }
    }

    fn from_prefix(prefix: &str) -> Option<Self> {
        Some(match prefix {
            "R" => ElementKind::Resistor,
            "C" => ElementKind::Capacitor,
            "L" => ElementKind::Inductor,
            "CPE" => ElementKind::Cpe,
            "W" => ElementKind::Warburg,
            "Wo" => ElementKind::WarburgOpen,
            "Ws" => ElementKind::WarburgShort,
            _ => return None,
        })
    }

    /// The parameters of the kind: (suffix of the parameter name, unit). An empty suffix means
    /// the parameter is named like the element (`R0`).
    pub fn parameters(self) -> &'static [(&'static str, &'static str)] {
        match self {
            ElementKind::Resistor => &[("", "Ω")],
            ElementKind::Capacitor => &[("", "F")],
            ElementKind::Inductor => &[("", "H")],
            ElementKind::Cpe => &[("Q", "F·s^(n-1)"), ("n", "1")],
            ElementKind::Warburg => &[("sigma", "Ω·s^(-1/2)")],
            ElementKind::WarburgOpen | ElementKind::WarburgShort => &[("R", "Ω"), ("tau", "s")],
        }
    }

    /// The impedance \[Ω\] of one element with parameters `p` (in the order of
    /// [`ElementKind::parameters`]) at angular frequency `omega` \[rad/s\] (formulas in the
    /// module documentation). NaN + NaN·i when `p` has too few values.
    pub fn impedance(self, p: &[f64], omega: f64) -> c64 {
        if p.len() < self.parameters().len() {
            return c64::new(f64::NAN, f64::NAN);
        }
        let i = c64::new(0.0, 1.0);
        match self {
            ElementKind::Resistor => c64::new(p[0], 0.0),
            ElementKind::Capacitor => c64::new(0.0, -1.0 / (omega * p[0])),
            ElementKind::Inductor => c64::new(0.0, omega * p[0]),
            ElementKind::Cpe => {
                // (iω)ⁿ = ωⁿ e^{inπ/2}
                let (s, c) = (p[1] * std::f64::consts::FRAC_PI_2).sin_cos();
                c64::new(c, s).inv() / (p[0] * omega.powf(p[1]))
            }
            ElementKind::Warburg => c64::new(1.0, -1.0) * (p[0] / omega.sqrt()),
            ElementKind::WarburgShort | ElementKind::WarburgOpen => {
                let x = (i * (omega * p[1])).sqrt();
                let t = tanh(x);
                let ratio = if self == ElementKind::WarburgShort {
                    t / x
                } else {
                    (t * x).inv()
                };
                ratio * p[0]
            }
        }
    }
}

impl ElementKind {
    /// The impedance \[Ω\] of one element with parameters `p` (as for
    /// [`ElementKind::impedance`]) at angular frequency `omega` \[rad/s\], and in `grad` its
    /// derivatives ∂Z/∂pⱼ in the order of [`ElementKind::parameters`] (formulas in the module
    /// documentation, "Derivatives"; units Ω per unit of the parameter). Returns NaN + NaN·i
    /// and fills `grad` with it when `p` or `grad` has too few values.
    pub fn impedance_and_gradient(self, p: &[f64], omega: f64, grad: &mut [c64]) -> c64 {
        let count = self.parameters().len();
        if p.len() < count || grad.len() < count {
            let nan = c64::new(f64::NAN, f64::NAN);
            grad.fill(nan);
            return nan;
        }
        let i = c64::new(0.0, 1.0);
        let z = self.impedance(p, omega);
        match self {
            ElementKind::Resistor => grad[0] = c64::new(1.0, 0.0),
            ElementKind::Capacitor => grad[0] = -z / p[0],
            ElementKind::Inductor => grad[0] = c64::new(0.0, omega),
            ElementKind::Cpe => {
                grad[0] = -z / p[0];
                grad[1] = -z * c64::new(omega.ln(), std::f64::consts::FRAC_PI_2);
            }
            ElementKind::Warburg => grad[0] = c64::new(1.0, -1.0) / omega.sqrt(),
            ElementKind::WarburgShort | ElementKind::WarburgOpen => {
                let (r, tau) = (p[0], p[1]);
                let s = (i * (omega * tau)).sqrt();
                let (t, sech2) = tanh_sech2(s);
                let half = r / (2.0 * tau);
                if self == ElementKind::WarburgShort {
                    // Z = R tanh(s)/s
                    grad[0] = t / s;
                    grad[1] = (sech2 - t / s) * half;
                } else {
                    // Z = R coth(s)/s
                    grad[0] = (t * s).inv();
                    grad[1] = -(sech2 / (t * t) + (t * s).inv()) * half;
                }
            }
        }
        z
    }
}

/// tanh z for Re z ≥ 0, written with e^{−2z} so that it does not overflow for large |z|.
fn tanh(z: c64) -> c64 {
    let e = (z * -2.0).exp();
    (c64::new(1.0, 0.0) - e) / (c64::new(1.0, 0.0) + e)
}

/// (tanh z, sech² z) for Re z ≥ 0 from e = e^{−2z}: tanh z = (1 − e)/(1 + e) and
/// sech² z = 1 − tanh² z = 4e/(1 + e)², neither of which overflows for large |z| (nor loses
/// sech² z to cancellation where tanh z → 1).
fn tanh_sech2(z: c64) -> (c64, c64) {
    let e = (z * -2.0).exp();
    let one = c64::new(1.0, 0.0);
    let d = one + e;
    ((one - e) / d, e * 4.0 / (d * d))
}

/// One element of a circuit.
#[derive(Debug, Clone, PartialEq)]
pub struct Element {
    /// The kind.
    pub kind: ElementKind,
    /// The name as written, e.g. `CPE1`.
    pub name: String,
    /// The 1-based column of the name in the circuit string.
    pub column: usize,
    /// The index of the element's first parameter in the circuit's parameter vector.
    pub first_parameter: usize,
}

/// The structure of a circuit: elements (indices into [`Circuit::elements`]), series
/// connections and parallel blocks.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// One element.
    Element(usize),
    /// Impedances that add.
    Series(Vec<Node>),
    /// Admittances that add.
    Parallel(Vec<Node>),
}

/// A parsed equivalent circuit.
#[derive(Debug, Clone, PartialEq)]
pub struct Circuit {
    text: String,
    root: Node,
    elements: Vec<Element>,
    parameter_count: usize,
}

/// Why a circuit string does not parse. Columns are 1-based character positions.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CircuitError {
    /// The string is empty or blank.
    #[error("the circuit string is empty: expected elements such as `R0-p(R1,CPE1)`")]
    Empty,
    /// Something other than what the grammar allows at `column`.
    #[error("column {column}: expected {expected}, found {found}")]
    Syntax {
        /// Where.
        column: usize,
        /// What was expected there.
        expected: String,
        /// What was found (`end of string` at the end).
        found: String,
    },
    /// A name that is not an element kind.
    #[error(
        "column {column}: unknown element `{name}`: expected R, C, L, CPE, W, Wo or Ws followed by an index, or p(...)"
    )]
    UnknownElement {
        /// Where the name starts.
        column: usize,
        /// The letters found.
        name: String,
    },
    /// An element kind without its index (`R` instead of `R0`).
    #[error("column {column}: element `{element}` needs an index, e.g. `{element}1`")]
    MissingIndex {
        /// Where the element starts.
        column: usize,
        /// The element kind's prefix.
        element: String,
    },
    /// A `(` without its `)`.
    #[error("column {column}: this `(` is never closed: expected `)`")]
    Unclosed {
        /// The column of the `(`.
        column: usize,
    },
    /// The same element name twice.
    #[error(
        "column {column}: element `{name}` appears twice (first at column {first_column}); element names must be unique"
    )]
    Duplicate {
        /// The name.
        name: String,
        /// Where it appears the second time.
        column: usize,
        /// Where it appears first.
        first_column: usize,
    },
}

struct Parser<'a> {
    chars: Vec<char>,
    pos: usize,
    elements: Vec<Element>,
    parameter_count: usize,
    _text: &'a str,
}

impl Parser<'_> {
    fn skip_blanks(&mut self) {
        while self.chars.get(self.pos).is_some_and(|c| c.is_whitespace()) {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.skip_blanks();
        self.chars.get(self.pos).copied()
    }

    fn column(&self) -> usize {
        self.pos + 1
    }

    fn found(&self) -> String {
        match self.chars.get(self.pos) {
            Some(c) => format!("`{c}`"),
            None => "end of string".to_string(),
        }
    }

    fn syntax<T>(&self, expected: &str) -> Result<T, CircuitError> {
        Err(CircuitError::Syntax {
            column: self.column(),
            expected: expected.to_string(),
            found: self.found(),
        })
    }

    /// series := term ('-' term)*
    fn series(&mut self) -> Result<Node, CircuitError> {
        let mut terms = vec![self.term()?];
        while self.peek() == Some('-') {
            self.pos += 1;
            terms.push(self.term()?);
        }
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Node::Series(terms)
        })
    }

    /// term := 'p(' series (',' series)+ ')' | element
    fn term(&mut self) -> Result<Node, CircuitError> {
        let Some(c) = self.peek() else {
            return self.syntax("an element or `p(`");
        };
        if !c.is_ascii_alphabetic() {
            return self.syntax("an element or `p(`");
        }
        let start = self.pos;
        let mut end = start + 1;
        // No element kind starts with `p`: a `p` is always a parallel block.
        if c != 'p' {
            while self.chars.get(end).is_some_and(|c| c.is_ascii_alphabetic()) {
                end += 1;
            }
        }
        let letters: String = self.chars[start..end].iter().collect();
        if letters == "p" {
            self.pos = end;
            if self.peek() != Some('(') {
                return self.syntax("`(` after `p`");
            }
            let open = self.pos;
            self.pos += 1;
            let mut branches = vec![self.series()?];
            loop {
                match self.peek() {
                    Some(',') => {
                        self.pos += 1;
                        branches.push(self.series()?);
                    }
                    Some(')') if branches.len() >= 2 => {
                        self.pos += 1;
                        return Ok(Node::Parallel(branches));
                    }
                    Some(')') => {
                        return self.syntax(
                            "`,` and a second branch (a parallel block needs at least two)",
                        )
                    }
                    None => return Err(CircuitError::Unclosed { column: open + 1 }),
                    Some(_) => return self.syntax("`,`, `-` or `)`"),
                }
            }
        }
        let Some(kind) = ElementKind::from_prefix(&letters) else {
            return Err(CircuitError::UnknownElement {
                column: start + 1,
                name: letters,
            });
        };
        let mut digits_end = end;
        while self
            .chars
            .get(digits_end)
            .is_some_and(|c| c.is_ascii_digit())
        {
            digits_end += 1;
        }
        if digits_end == end {
            return Err(CircuitError::MissingIndex {
                column: start + 1,
                element: letters,
            });
        }
        let name: String = self.chars[start..digits_end].iter().collect();
        if let Some(first) = self.elements.iter().find(|e| e.name == name) {
            return Err(CircuitError::Duplicate {
                name,
                column: start + 1,
                first_column: first.column,
            });
        }
        self.pos = digits_end;
        self.elements.push(Element {
            kind,
            name,
            column: start + 1,
            first_parameter: self.parameter_count,
        });
        self.parameter_count += kind.parameters().len();
        Ok(Node::Element(self.elements.len() - 1))
    }
}

impl Circuit {
    /// Parses a circuit string (grammar and elements in the module documentation). Blanks
    /// between tokens are ignored. Errors give the 1-based column and what was expected.
    pub fn parse(text: &str) -> Result<Circuit, CircuitError> {
        if text.trim().is_empty() {
            return Err(CircuitError::Empty);
        }
        let mut parser = Parser {
            chars: text.chars().collect(),
            pos: 0,
            elements: Vec::new(),
            parameter_count: 0,
            _text: text,
        };
        let root = parser.series()?;
        match parser.peek() {
            None => {}
            Some(')') => return parser.syntax("`-` or the end of the circuit (unbalanced `)`)"),
            Some(_) => return parser.syntax("`-` or the end of the circuit"),
        }
        Ok(Circuit {
            text: text.to_string(),
            root,
            elements: parser.elements,
            parameter_count: parser.parameter_count,
        })
    }

    /// The string the circuit was parsed from.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The elements in the order they appear in the string.
    pub fn elements(&self) -> &[Element] {
        &self.elements
    }

    /// The structure of the circuit.
    pub fn root(&self) -> &Node {
        &self.root
    }

    /// The number of parameters.
    pub fn parameter_count(&self) -> usize {
        self.parameter_count
    }

    /// The parameter names in order: the element name for one-parameter elements (`R0`,
    /// `C1`, `L1`), `<element>_<parameter>` otherwise (`CPE1_Q`, `CPE1_n`, `W1_sigma`,
    /// `Wo1_R`, `Wo1_tau`).
    pub fn parameter_names(&self) -> Vec<String> {
        let mut names = Vec::with_capacity(self.parameter_count);
        for e in &self.elements {
            for (suffix, _) in e.kind.parameters() {
                names.push(if suffix.is_empty() {
                    e.name.clone()
                } else {
                    format!("{}_{suffix}", e.name)
                });
            }
        }
        names
    }

    /// The units of the parameters, in the order of [`Circuit::parameter_names`].
    pub fn parameter_units(&self) -> Vec<&'static str> {
        self.elements
            .iter()
            .flat_map(|e| e.kind.parameters().iter().map(|(_, unit)| *unit))
            .collect()
    }

    /// For each parameter, the element it belongs to (index into [`Circuit::elements`]).
    pub fn parameter_elements(&self) -> Vec<usize> {
        self.elements
            .iter()
            .enumerate()
            .flat_map(|(k, e)| std::iter::repeat_n(k, e.kind.parameters().len()))
            .collect()
    }

    /// The indices of the parameters that are resistances \[Ω\]: those of `R` elements and the
    /// R of `Wo`/`Ws` elements (for following them over cycles).
    pub fn resistance_parameters(&self) -> Vec<usize> {
        let mut out = Vec::new();
        for e in &self.elements {
            match e.kind {
                ElementKind::Resistor | ElementKind::WarburgOpen | ElementKind::WarburgShort => {
                    out.push(e.first_parameter)
                }
                _ => {}
            }
        }
        out
    }

    /// The index of the parameter called `name`.
    pub fn parameter_index(&self, name: &str) -> Option<usize> {
        self.parameter_names().iter().position(|n| n == name)
    }

    /// The impedance \[Ω\] of the circuit with parameters `params` (in the order of
    /// [`Circuit::parameter_names`]) at `frequency_hz` \[Hz\]. Returns NaN + NaN·i when
    /// `params` does not have [`Circuit::parameter_count`] values.
    pub fn impedance(&self, params: &[f64], frequency_hz: f64) -> c64 {
        if params.len() != self.parameter_count {
            return c64::new(f64::NAN, f64::NAN);
        }
        let omega = 2.0 * std::f64::consts::PI * frequency_hz;
        self.node_impedance(&self.root, params, omega)
    }

    /// The impedance \[Ω\] of the circuit with parameters `params` at `frequency_hz` \[Hz\], as
    /// [`Circuit::impedance`], and in `grad` its derivatives ∂Z/∂pⱼ \[Ω per unit of pⱼ\] for
    /// every parameter, in the order of [`Circuit::parameter_names`] (module documentation,
    /// "Derivatives"). Allocates nothing. Returns NaN + NaN·i, and fills `grad` with it, when
    /// `params` or `grad` does not have [`Circuit::parameter_count`] values.
    pub fn impedance_and_gradient(
        &self,
        params: &[f64],
        frequency_hz: f64,
        grad: &mut [c64],
    ) -> c64 {
        let nan = c64::new(f64::NAN, f64::NAN);
        if params.len() != self.parameter_count || grad.len() != self.parameter_count {
            grad.fill(nan);
            return nan;
        }
        let omega = 2.0 * std::f64::consts::PI * frequency_hz;
        self.node_gradient(&self.root, params, omega, grad)
    }

    /// The parameter indices of the elements under `node`: a contiguous range, since the
    /// parser numbers elements and parameters in the order of the string.
    fn parameter_range(&self, node: &Node) -> std::ops::Range<usize> {
        fn first(node: &Node) -> Option<usize> {
            match node {
                Node::Element(k) => Some(*k),
                Node::Series(n) | Node::Parallel(n) => n.first().and_then(first),
            }
        }
        fn last(node: &Node) -> Option<usize> {
            match node {
                Node::Element(k) => Some(*k),
                Node::Series(n) | Node::Parallel(n) => n.last().and_then(last),
            }
        }
        match (first(node), last(node)) {
            (Some(a), Some(b)) => {
                let end = &self.elements[b];
                self.elements[a].first_parameter..end.first_parameter + end.kind.parameters().len()
            }
            _ => 0..0,
        }
    }

    /// Z of `node` and ∂Z/∂p in `grad` over the node's parameter range.
    fn node_gradient(&self, node: &Node, params: &[f64], omega: f64, grad: &mut [c64]) -> c64 {
        match node {
            Node::Element(k) => {
                let e = &self.elements[*k];
                let range = e.first_parameter..e.first_parameter + e.kind.parameters().len();
                e.kind
                    .impedance_and_gradient(&params[range.clone()], omega, &mut grad[range])
            }
            Node::Series(nodes) => nodes
                .iter()
                .map(|n| self.node_gradient(n, params, omega, grad))
                .fold(c64::new(0.0, 0.0), |a, b| a + b),
            Node::Parallel(nodes) => {
                // ∂Z/∂p = Z² (∂Zₖ/∂p)/Zₖ² for p in branch k: divide each branch's derivatives
                // by Zₖ² as it is evaluated, then multiply the block's by Z².
                let mut admittance = c64::new(0.0, 0.0);
                for n in nodes {
                    let y = self.node_gradient(n, params, omega, grad).inv();
                    let y2 = y * y;
                    for g in &mut grad[self.parameter_range(n)] {
                        *g *= y2;
                    }
                    admittance += y;
                }
                let z = admittance.inv();
                let z2 = z * z;
                for g in &mut grad[self.parameter_range(node)] {
                    *g *= z2;
                }
                z
            }
        }
    }

    fn node_impedance(&self, node: &Node, params: &[f64], omega: f64) -> c64 {
        match node {
            Node::Element(k) => {
                let e = &self.elements[*k];
                let n = e.kind.parameters().len();
                e.kind
                    .impedance(&params[e.first_parameter..e.first_parameter + n], omega)
            }
            Node::Series(nodes) => nodes
                .iter()
                .map(|n| self.node_impedance(n, params, omega))
                .fold(c64::new(0.0, 0.0), |a, b| a + b),
            Node::Parallel(nodes) => nodes
                .iter()
                .map(|n| self.node_impedance(n, params, omega).inv())
                .fold(c64::new(0.0, 0.0), |a, b| a + b)
                .inv(),
        }
    }
}

impl fmt::Display for Circuit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_paper_circuit_names_its_resistances() {
        assert_eq!(paper_resistance_name(PAPER_CIRCUIT, "R2"), Some("R_SE/LRO"));
        assert_eq!(
            paper_resistance_name("R0 - p(R1,CPE1)-p(R2,CPE2)-p(R3,CPE3)-W1", "R3"),
            Some("R_SE/Li-In")
        );
        assert_eq!(paper_resistance_name(PAPER_CIRCUIT, "CPE1_Q"), None);
        assert_eq!(paper_resistance_name("R0-p(R1,CPE1)-W1", "R0"), None);
    }
    use std::f64::consts::PI;

    fn close(a: c64, b: c64, rel: f64) -> bool {
        (a - b).norm() <= rel * b.norm()
    }

    #[test]
    fn the_paper_circuit_parses() {
        let c = Circuit::parse(PAPER_CIRCUIT).unwrap();
        assert_eq!(
            c.parameter_names(),
            [
                "R0", "R1", "CPE1_Q", "CPE1_n", "R2", "CPE2_Q", "CPE2_n", "R3", "CPE3_Q", "CPE3_n",
                "W1_sigma"
            ]
        );
        assert_eq!(c.parameter_units()[2], "F·s^(n-1)");
        assert_eq!(c.parameter_units()[10], "Ω·s^(-1/2)");
        assert_eq!(c.resistance_parameters(), vec![0, 1, 4, 7]);
        assert_eq!(c.parameter_index("CPE2_n"), Some(6));
        assert_eq!(c.elements()[1].column, 6);
        let Node::Series(parts) = c.root() else {
            panic!("{:?}", c.root())
        };
        assert_eq!(parts.len(), 5);
        assert!(matches!(parts[1], Node::Parallel(ref b) if b.len() == 2));
    }

    #[test]
    fn nested_parallels_and_blanks() {
        let c = Circuit::parse(" R0 - p( R1-p(R2, C2) , Wo3, L4 )-Ws5 ").unwrap();
        assert_eq!(
            c.parameter_names(),
            ["R0", "R1", "R2", "C2", "Wo3_R", "Wo3_tau", "L4", "Ws5_R", "Ws5_tau"]
        );
        assert_eq!(c.resistance_parameters(), vec![0, 1, 2, 4, 7]);
        // Hand evaluation.
        let p = [1.0, 2.0, 3.0, 1e-3, 4.0, 0.5, 1e-6, 5.0, 2.0];
        let f = 7.0;
        let w = 2.0 * PI * f;
        let i = c64::new(0.0, 1.0);
        let rc = (c64::new(1.0 / 3.0, 0.0) + i * (w * 1e-3)).inv();
        let x = (i * (w * 0.5)).sqrt();
        let wo = (x * tanh(x)).inv() * 4.0;
        let l = i * (w * 1e-6);
        let par = ((c64::new(2.0, 0.0) + rc).inv() + wo.inv() + l.inv()).inv();
        let xs = (i * (w * 2.0)).sqrt();
        let ws = tanh(xs) / xs * 5.0;
        let z = c64::new(1.0, 0.0) + par + ws;
        assert!(close(c.impedance(&p, f), z, 1e-12));
        assert!(c.impedance(&p[..3], f).re.is_nan());
    }

    #[test]
    fn parse_errors_name_the_column() {
        let cases: [(&str, usize, &str); 12] = [
            ("R0-X1", 4, "unknown element `X`"),
            ("R0-p(R1,Q1)", 9, "unknown element `Q`"),
            ("R0-R", 4, "needs an index"),
            ("R0-p(R1,CPE)", 9, "needs an index"),
            ("R0-p(R1,C1", 5, "never closed"),
            ("R0-p(R1,C1))", 12, "unbalanced `)`"),
            ("R0-", 4, "expected an element or `p(`, found end of string"),
            ("R0--R1", 4, "found `-`"),
            ("R0-p(R1)", 8, "a second branch"),
            ("R0-pR1", 5, "`(` after `p`"),
            ("R0-p(R1,C1)-R1", 13, "appears twice (first at column 6)"),
            ("R0 R1", 4, "expected `-` or the end"),
        ];
        for (text, column, expected) in cases {
            let e = Circuit::parse(text).unwrap_err().to_string();
            assert!(
                e.starts_with(&format!("column {column}:")) && e.contains(expected),
                "{text}: {e}"
            );
        }
        assert_eq!(Circuit::parse("  ").unwrap_err(), CircuitError::Empty);
        assert!(Circuit::parse("")
            .unwrap_err()
            .to_string()
            .contains("empty"));
    }

    #[test]
    fn an_rc_semicircle_peaks_at_one_over_rc() {
        let c = Circuit::parse("p(R1,C1)").unwrap();
        let (r, cap) = (100.0, 1e-6);
        let f_peak = 1.0 / (2.0 * PI * r * cap);
        let z = c.impedance(&[r, cap], f_peak);
        assert!(close(z, c64::new(r / 2.0, -r / 2.0), 1e-12), "{z}");
        for f in [f_peak / 1.1, f_peak * 1.1] {
            assert!(-c.impedance(&[r, cap], f).im < r / 2.0);
        }
        // On the semicircle of centre R/2 and radius R/2 at every frequency.
        for f in [1.0, 1e3, 1e5] {
            let z = c.impedance(&[r, cap], f);
            assert!(((z - c64::new(r / 2.0, 0.0)).norm() - r / 2.0).abs() < 1e-9);
        }
    }

    #[test]
    fn a_cpe_with_n_one_is_a_capacitor() {
        for f in [1e-2, 1.0, 1e4] {
            let cpe = ElementKind::Cpe.impedance(&[2e-5, 1.0], 2.0 * PI * f);
            let cap = ElementKind::Capacitor.impedance(&[2e-5], 2.0 * PI * f);
            assert!(close(cpe, cap, 1e-12));
            // n = 0 is a resistor 1/Q; n = 0.5 has a 45° phase.
            let r = ElementKind::Cpe.impedance(&[2e-5, 0.0], 2.0 * PI * f);
            assert!(close(r, c64::new(5e4, 0.0), 1e-12));
            let half = ElementKind::Cpe.impedance(&[2e-5, 0.5], 2.0 * PI * f);
            assert!((half.re + half.im).abs() < 1e-12 * half.norm());
        }
    }

    #[test]
    fn a_warburg_is_a_45_degree_line() {
        let sigma = 12.0;
        for omega in [1e-3, 1.0, 1e3] {
            let z = ElementKind::Warburg.impedance(&[sigma], omega);
            assert!((z.re - sigma / omega.sqrt()).abs() < 1e-12 * z.re);
            assert!((z.im + z.re).abs() < 1e-12 * z.re);
        }
    }

    /// Checks `impedance_and_gradient` of `text` at `params` against central differences
    /// extrapolated by Richardson, (4 D(h/2) − D(h))/3 with D(h) = (Z(p + h) − Z(p − h))/2h and
    /// h = 10⁻³·|pⱼ| (truncation error O(h⁴), and a step large enough that the rounding of Z
    /// does not dominate), at frequencies from 1 mHz to 1 MHz: relative 10⁻⁶, with a floor of
    /// 10⁻⁹·|Z|/|pⱼ| for derivatives near zero.
    fn check_gradient(text: &str, params: &[f64]) {
        let c = Circuit::parse(text).unwrap();
        assert_eq!(c.parameter_count(), params.len(), "{text}");
        let mut grad = vec![c64::new(0.0, 0.0); params.len()];
        for f in [1e-3, 0.1, 3.0, 170.0, 1e4, 1e6] {
            let z = c.impedance_and_gradient(params, f, &mut grad);
            assert!(close(z, c.impedance(params, f), 1e-13), "{text} {f}");
            for j in 0..params.len() {
                let central = |h: f64| {
                    let mut x = params.to_vec();
                    x[j] = params[j] + h;
                    let plus = c.impedance(&x, f);
                    x[j] = params[j] - h;
                    (plus - c.impedance(&x, f)) / (2.0 * h)
                };
                let h = 1e-3 * params[j].abs();
                let fd = (central(h / 2.0) * 4.0 - central(h)) / 3.0;
                let tol = 1e-6 * fd.norm() + 1e-9 * z.norm() / params[j].abs();
                assert!(
                    (grad[j] - fd).norm() <= tol,
                    "{text}, {}, f = {f}: {} vs {fd}",
                    c.parameter_names()[j],
                    grad[j]
                );
            }
        }
    }

    #[test]
    fn element_gradients_match_finite_differences() {
        check_gradient("R1", &[12.0]);
        check_gradient("C1", &[3e-6]);
        check_gradient("L1", &[2e-6]);
        check_gradient("CPE1", &[4e-5, 0.83]);
        check_gradient("CPE1", &[4e-5, 1.0]);
        check_gradient("W1", &[1.7]);
        // τ from short to long against the frequencies: |s| from 10⁻³ to 10⁴.
        for tau in [1e-3, 0.4, 50.0] {
            check_gradient("Wo1", &[8.0, tau]);
            check_gradient("Ws1", &[8.0, tau]);
        }
    }

    #[test]
    fn nested_circuit_gradients_match_finite_differences() {
        check_gradient(
            " R0 - p( R1-p(R2, C2) , Wo3, L4 )-Ws5 ",
            &[1.0, 2.0, 3.0, 1e-3, 4.0, 0.5, 1e-6, 5.0, 2.0],
        );
        check_gradient(
            PAPER_CIRCUIT,
            &[
                52.0, 20.0, 4e-8, 0.92, 69.0, 2e-6, 0.85, 10.0, 0.02, 0.8, 1.5,
            ],
        );
        check_gradient(
            "p(p(R1,C1),CPE2)-p(R3,p(Wo4,Ws5)-W6)",
            &[10.0, 1e-4, 3e-5, 0.7, 25.0, 6.0, 0.3, 4.0, 2.0, 0.9],
        );
        // Wrong lengths give NaN, not a panic.
        let c = Circuit::parse(PAPER_CIRCUIT).unwrap();
        let mut short = vec![c64::new(0.0, 0.0); 3];
        assert!(c
            .impedance_and_gradient(&[1.0; 11], 1.0, &mut short)
            .re
            .is_nan());
        assert!(short.iter().all(|g| g.re.is_nan()));
    }

    #[test]
    fn finite_warburgs_have_their_limits() {
        let (r, tau) = (8.0, 3.0);
        // High frequency: tanh and coth → 1, both become R/√(iωτ).
        let omega = 1e6;
        let semi = c64::new(r, 0.0) / (c64::new(0.0, omega * tau)).sqrt();
        for kind in [ElementKind::WarburgOpen, ElementKind::WarburgShort] {
            let z = kind.impedance(&[r, tau], omega);
            assert!(close(z, semi, 1e-9), "{kind:?} {z}");
            // no overflow far beyond
            assert!(kind.impedance(&[r, tau], 1e12).re.is_finite());
        }
        // Low frequency: Ws → R (resistive), Wo → R/3 + 1/(iωC) with C = τ/R.
        let omega = 1e-6;
        let ws = ElementKind::WarburgShort.impedance(&[r, tau], omega);
        assert!(close(ws, c64::new(r, 0.0), 1e-5), "{ws}");
        let wo = ElementKind::WarburgOpen.impedance(&[r, tau], omega);
        assert!((wo.re - r / 3.0).abs() < 1e-5, "{wo}");
        assert!(
            (wo.im + r / (omega * tau)).abs() < 1e-5 * r / (omega * tau),
            "{wo}"
        );
    }
}
