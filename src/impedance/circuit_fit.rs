//! Fitting an equivalent circuit to an impedance spectrum.
//!
//! The parameters are found by bounded non-linear least squares ([`crate::numerics::least_squares`]) on the
//! residuals, for each frequency fₖ,
//!
//! rₖ' = Re(Z_model(fₖ) − Zₖ)/|Zₖ|,  rₖ'' = Im(Z_model(fₖ) − Zₖ)/|Zₖ|,
//!
//! i.e. modulus weighting (Orazem & Tribollet, *Electrochemical Impedance Spectroscopy*, 2nd
//! ed., Wiley 2017, §19.5; Boukamp, Solid State Ionics 20 (1986) 31): every frequency counts
//! by its relative error, so the small high-frequency impedances weigh as much as the large
//! low-frequency ones. With these weights the reduced χ² = SSR/(2N − p) is the variance of the
//! relative misfit: √χ² is the RMS relative error of the fit (0.005 for a 0.5 % misfit), and
//! the standard uncertainties are scaled by it (see [`crate::numerics::least_squares`](mod@crate::numerics::least_squares)).
//!
//! The Jacobian of the residuals is analytic: with ∂Z_model/∂pⱼ from
//! [`Circuit::impedance_and_gradient`],
//!
//! ∂rₖ'/∂pⱼ = Re(∂Z_model(fₖ)/∂pⱼ)/|Zₖ|,  ∂rₖ''/∂pⱼ = Im(∂Z_model(fₖ)/∂pⱼ)/|Zₖ|,
//!
//! so an iteration costs one residual and one Jacobian evaluation instead of 2p + 1 residual
//! evaluations ([`crate::numerics::least_squares::least_squares_with_jacobian`]);
//! [`CircuitFitOptions::finite_differences`] selects the finite differences instead.
//!
//! Default bounds: resistances (R, and R of Wo/Ws) in [10⁻⁶, 10⁹] Ω, capacitances C and CPE
//! coefficients Q in [10⁻¹⁵, 10³], inductances in [10⁻¹⁵, 10³] H, Warburg coefficients σ in
//! [10⁻⁶, 10⁹] Ω·s^(−1/2) and time constants τ in [10⁻⁹, 10⁹] s, all on a log scale; CPE
//! exponents n in [0.3, 1] on a linear scale.
//!
//! Without a start the initial guess is read from the spectrum ([`initial_guess`]), and the fit
//! is repeated from a few deterministic variations of it (resistances halved and doubled,
//! another CPE exponent, the arcs assigned to other peaks); the fit with the lowest sum of
//! squares is kept.
//!
//! Blocks in series commute, so two `p(R,CPE)` blocks can exchange their parameters without
//! changing the spectrum. The result is reported in one convention: the top-level `p(R,CPE)`
//! (or `p(R,C)`) blocks in the order of the string hold the arcs from the highest to the lowest
//! characteristic frequency ω₀ = (RQ)^(−1/n) (1/(RC)).

use faer::c64;

use super::circuit::{Circuit, ElementKind, Node};
use super::spectrum::{InvalidSpectrum, Spectrum};
use crate::numerics::least_squares::{
    least_squares, least_squares_with_jacobian, FitError, FitOptions, FitReport, Parameter,
    ParameterScale,
};

/// The options of [`fit_circuit_with`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CircuitFitOptions {
    /// The start, one value per parameter of the circuit; None for the automatic guess.
    pub start: Option<Vec<f64>>,
    /// Parameters held at a value, by name (`("CPE1_n", 1.0)`).
    pub fixed: Vec<(String, f64)>,
    /// The optimiser's stopping criteria.
    pub fit: FitOptions,
    /// Take the Jacobian by finite differences ([`crate::numerics::least_squares::least_squares()`]) instead of
    /// analytically (default false; for checks and comparisons: slower, same optimum).
    pub finite_differences: bool,
    /// With a start: fit from it alone, without the variations with halved and doubled
    /// resistances (default false). For a start known to be close, such as the previous
    /// spectrum's optimum in a run.
    pub start_only: bool,
}

/// A circuit fitted to a spectrum. Vectors are in the order of
/// [`Circuit::parameter_names`].
#[derive(Debug, Clone, PartialEq)]
pub struct CircuitFit {
    /// The circuit.
    pub circuit: Circuit,
    /// Parameter names.
    pub names: Vec<String>,
    /// Parameter units.
    pub units: Vec<&'static str>,
    /// Fitted values.
    pub values: Vec<f64>,
    /// Standard uncertainties (NaN at a bound, 0 for fixed parameters, +∞ when not
    /// identifiable); see [`crate::numerics::least_squares`](mod@crate::numerics::least_squares).
    pub std_errors: Vec<f64>,
    /// Whether each parameter ended on a bound (its uncertainty is then not meaningful).
    pub at_bound: Vec<bool>,
    /// Whether each parameter was held fixed.
    pub fixed: Vec<bool>,
    /// Correlation matrix of the parameters.
    pub correlation: Vec<Vec<f64>>,
    /// Weighted residuals (real and imaginary part per frequency, in the spectrum's order).
    pub residuals: Vec<f64>,
    /// Sum of squared weighted residuals.
    pub ssr: f64,
    /// SSR/(2N − p): the variance of the relative misfit.
    pub reduced_chi2: f64,
    /// 2N − p.
    pub degrees_of_freedom: usize,
    /// Residual evaluations over all starts (finite differences included).
    pub evaluations: usize,
    /// Jacobian evaluations over all starts (0 with finite differences).
    pub jacobian_evaluations: usize,
    /// The number of starts the fit was made from.
    pub starts: usize,
    /// Why the optimiser stopped for the kept fit.
    pub termination: String,
    /// Whether the kept fit stopped on a convergence criterion.
    pub converged: bool,
}

impl CircuitFit {
    fn from_report(
        circuit: &Circuit,
        mut report: FitReport,
        (evaluations, jacobian_evaluations): (usize, usize),
        starts: usize,
    ) -> Self {
        flag_near_bounds(circuit, &mut report);
        CircuitFit {
            circuit: circuit.clone(),
            names: report.names,
            units: circuit.parameter_units(),
            values: report.values,
            std_errors: report.std_errors,
            at_bound: report.at_bound,
            fixed: report.varied.iter().map(|v| !v).collect(),
            correlation: report.correlation,
            residuals: report.residuals,
            ssr: report.ssr,
            reduced_chi2: report.reduced_chi2,
            degrees_of_freedom: report.degrees_of_freedom,
            evaluations,
            jacobian_evaluations,
            starts,
            termination: report.termination,
            converged: report.converged,
        }
    }

    /// The fitted circuit's impedance \[Ω\] at `frequency_hz`.
    pub fn impedance(&self, frequency_hz: f64) -> c64 {
        self.circuit.impedance(&self.values, frequency_hz)
    }

    /// The fitted circuit's impedances \[Ω\] at `frequencies_hz`.
    pub fn fitted(&self, frequencies_hz: &[f64]) -> Vec<c64> {
        frequencies_hz.iter().map(|&f| self.impedance(f)).collect()
    }

    /// The fitted value and standard uncertainty of the parameter `name`.
    pub fn parameter(&self, name: &str) -> Option<(f64, f64)> {
        let k = self.names.iter().position(|n| n == name)?;
        Some((self.values[k], self.std_errors[k]))
    }

    /// The fit as a text table: one row per parameter (element, parameter, value,
    /// ± standard uncertainty with its relative size, unit, flags), then the reduced χ², the
    /// RMS relative misfit, and how the optimiser ended. Flags: `fixed`, `at bound` (the
    /// uncertainty is then not meaningful), `not identifiable` (singular Jacobian).
    pub fn table(&self) -> String {
        use std::fmt::Write as _;
        let elements = self.circuit.parameter_elements();
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:<8} {:<10} {:>13}   {:>11} {:>10}  {:<12} flags",
            "element", "parameter", "value", "± std. err.", "(rel.)", "unit"
        );
        for (j, &e) in elements.iter().enumerate() {
            let element = &self.circuit.elements()[e].name;
            let (v, s) = (self.values[j], self.std_errors[j]);
            let (err, rel) = if self.fixed[j] {
                ("–".to_string(), String::new())
            } else if s.is_finite() {
                (
                    format!("{s:.3e}"),
                    format!("({:.2} %)", 100.0 * s / v.abs()),
                )
            } else {
                ("–".to_string(), String::new())
            };
            let mut flags = Vec::new();
            if self.fixed[j] {
                flags.push("fixed");
            }
            if self.at_bound[j] {
                flags.push("at bound (uncertainty not meaningful)");
            }
            if s == f64::INFINITY {
                flags.push("not identifiable");
            }
            let row = format!(
                "{element:<8} {:<10} {v:>13.6e} ± {err:>11} {rel:>10}  {:<12} {}",
                self.names[j],
                self.units[j],
                flags.join(", ")
            );
            let _ = writeln!(out, "{}", row.trim_end());
        }
        let _ = writeln!(
            out,
            "reduced χ² = {:.4e} (RMS relative misfit {:.3} %), SSR = {:.4e}, {} residuals, {} degrees of freedom",
            self.reduced_chi2,
            100.0 * self.rms_relative_error(),
            self.ssr,
            self.residuals.len(),
            self.degrees_of_freedom
        );
        let _ = writeln!(
            out,
            "optimiser: {}{}, {} residual and {} Jacobian evaluations from {} start{}",
            self.termination,
            if self.converged {
                ""
            } else {
                " (NOT converged)"
            },
            self.evaluations,
            self.jacobian_evaluations,
            self.starts,
            if self.starts == 1 { "" } else { "s" }
        );
        out
    }

    /// √(SSR/2N): the RMS relative error of the fitted impedances.
    pub fn rms_relative_error(&self) -> f64 {
        (self.ssr / self.residuals.len().max(1) as f64).sqrt()
    }
}

/// Relative distance to a bound within which a parameter counts as stuck there: 10⁻³ of the
/// bound on a log scale, 10⁻⁶ of the range on a linear one. The optimiser's own test is
/// tighter (10⁻⁹), and a parameter that creeps towards a bound it cannot reach, as a Warburg σ
/// the spectrum has no use for, can stop just off it with a meaningless uncertainty of
/// 10¹⁰ %.
const NEAR_BOUND: (f64, f64) = (1e-3, 1e-6);

/// Flags varied parameters within [`NEAR_BOUND`] of a default bound as at the bound, their
/// uncertainty NaN (its meaning in `impedance_fit.csv`).
fn flag_near_bounds(circuit: &Circuit, report: &mut FitReport) {
    let params = default_parameters(circuit, &report.values);
    for (j, p) in params.iter().enumerate() {
        if !report.varied.get(j).copied().unwrap_or(false) {
            continue;
        }
        let v = report.values[j];
        let near = match p.scale {
            ParameterScale::Log => {
                v <= p.lower * (1.0 + NEAR_BOUND.0) || v >= p.upper / (1.0 + NEAR_BOUND.0)
            }
            ParameterScale::Linear => {
                let tol = NEAR_BOUND.1 * (p.upper - p.lower);
                v - p.lower <= tol || p.upper - v <= tol
            }
        };
        if near {
            report.at_bound[j] = true;
            report.std_errors[j] = f64::NAN;
        }
    }
}

/// Why a circuit cannot be fitted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CircuitFitError {
    /// The start does not have one value per parameter.
    #[error("the start has {found} values but the circuit has {expected} parameters")]
    StartLength {
        /// The number of parameters of the circuit.
        expected: usize,
        /// The number of values given.
        found: usize,
    },
    /// A fixed parameter's name is not one of the circuit.
    #[error("`{name}` is not a parameter of the circuit (its parameters: {})", known.join(", "))]
    UnknownParameter {
        /// The name given.
        name: String,
        /// The circuit's parameter names.
        known: Vec<String>,
    },
    /// A point with Z = 0, which modulus weighting cannot weigh.
    #[error("the impedance at {frequency_hz} Hz is 0: modulus-weighted fitting needs Z ≠ 0")]
    ZeroImpedance {
        /// Its frequency \[Hz\].
        frequency_hz: f64,
    },
    /// The spectrum is not valid (possible only for one built without [`Spectrum::new`]).
    /// (The reason is data, not a source: the message shows it once.)
    #[error("invalid spectrum: {0}")]
    InvalidSpectrum(InvalidSpectrum),
    /// The least-squares problem failed.
    #[error("{0}")]
    Fit(FitError),
}

impl From<FitError> for CircuitFitError {
    fn from(e: FitError) -> Self {
        CircuitFitError::Fit(e)
    }
}

/// The default bounds and scale of every parameter of `circuit` (module documentation), with
/// `start` as initial values (clamped into the bounds is the caller's business: an initial
/// value outside them is an error of the fit).
pub fn default_parameters(circuit: &Circuit, start: &[f64]) -> Vec<Parameter> {
    let names = circuit.parameter_names();
    let mut out = Vec::with_capacity(names.len());
    for e in circuit.elements() {
        for (k, (suffix, _)) in e.kind.parameters().iter().enumerate() {
            let j = e.first_parameter + k;
            let x = start.get(j).copied().unwrap_or(f64::NAN);
            let name = names[j].clone();
            out.push(match (e.kind, *suffix) {
                (ElementKind::Cpe, "n") => Parameter::new(name, x, 0.3, 1.0),
                (ElementKind::Resistor, _) | (_, "R") => Parameter::log(name, x, 1e-6, 1e9),
                (ElementKind::Warburg, _) => Parameter::log(name, x, 1e-6, 1e9),
                (_, "tau") => Parameter::log(name, x, 1e-9, 1e9),
                _ => Parameter::log(name, x, 1e-15, 1e3),
            });
        }
    }
    out
}

/// The spectrum sorted by increasing frequency: (ω, Z).
fn ascending(spectrum: &Spectrum) -> Vec<(f64, c64)> {
    let mut points: Vec<(f64, c64)> = spectrum
        .frequency_hz
        .iter()
        .zip(&spectrum.z)
        .map(|(&f, &z)| (2.0 * std::f64::consts::PI * f, z))
        .collect();
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    points
}

/// The local maxima of −Z'' against log f, smoothed with the weights (1, 2, 1)/4 against noise,
/// with a prominence of at least 2.5 % of the largest smoothed −Z'': (index into `points`,
/// smoothed −Z'', prominence), from high to low frequency. The prominence of a maximum is its
/// height above the higher of the two lowest points between it and a higher point on either
/// side.
fn peaks(points: &[(f64, c64)]) -> Vec<(usize, f64, f64)> {
    let raw: Vec<f64> = points.iter().map(|p| -p.1.im).collect();
    let n = raw.len();
    if n < 3 {
        return Vec::new();
    }
    let mut y = raw.clone();
    for k in 1..n - 1 {
        y[k] = (raw[k - 1] + 2.0 * raw[k] + raw[k + 1]) / 4.0;
    }
    let top = y.iter().cloned().fold(0.0, f64::max);
    if top <= 0.0 {
        return Vec::new();
    }
    let mut out = Vec::new();
    for k in 1..n - 1 {
        if !(y[k] > y[k - 1] && y[k] >= y[k + 1] && y[k] > 0.0) {
            continue;
        }
        let mut left = y[k];
        for &v in y[..k].iter().rev() {
            if v > y[k] {
                break;
            }
            left = left.min(v);
        }
        let mut right = y[k];
        for &v in &y[k + 1..] {
            if v > y[k] {
                break;
            }
            right = right.min(v);
        }
        let prominence = y[k] - left.max(right);
        if prominence >= 0.025 * top {
            out.push((k, y[k], prominence));
        }
    }
    out.reverse();
    out
}

/// A parallel block `p(R, C)` or `p(R, CPE)` (in either order) at the top level: the parameter
/// indices of R, of C or Q, and of n (CPE).
struct Arc {
    r: usize,
    q: usize,
    n: Option<usize>,
}

fn arcs(circuit: &Circuit) -> Vec<Arc> {
    let top: Vec<&Node> = match circuit.root() {
        Node::Series(parts) => parts.iter().collect(),
        other => vec![other],
    };
    let mut out = Vec::new();
    for node in top {
        let Node::Parallel(branches) = node else {
            continue;
        };
        let elements: Vec<_> = branches
            .iter()
            .filter_map(|b| match b {
                Node::Element(k) => Some(&circuit.elements()[*k]),
                _ => None,
            })
            .collect();
        if branches.len() != 2 || elements.len() != 2 {
            continue;
        }
        let r = elements.iter().find(|e| e.kind == ElementKind::Resistor);
        let c = elements
            .iter()
            .find(|e| matches!(e.kind, ElementKind::Capacitor | ElementKind::Cpe));
        if let (Some(r), Some(c)) = (r, c) {
            out.push(Arc {
                r: r.first_parameter,
                q: c.first_parameter,
                n: (c.kind == ElementKind::Cpe).then_some(c.first_parameter + 1),
            });
        }
    }
    out
}

/// The characteristic angular frequency of an arc \[rad/s\]: (RQ)^(−1/n) for R‖CPE, 1/(RC)
/// for R‖C.
fn arc_omega(arc: &Arc, x: &[f64]) -> f64 {
    match arc.n {
        Some(n) => (x[arc.r] * x[arc.q]).powf(-1.0 / x[n]),
        None => 1.0 / (x[arc.r] * x[arc.q]),
    }
}

/// Puts the arcs in the order of the string from high to low characteristic frequency.
///
/// Series impedances commute, so swapping the parameters of two `p(R,CPE)` blocks (or two
/// `p(R,C)` blocks) gives the same spectrum: the fit may land on any permutation. The
/// convention that the first block is the highest-frequency arc makes the result unique.
/// Arcs with a fixed parameter keep their values.
fn order_arcs(circuit: &Circuit, report: &mut FitReport) {
    let arcs: Vec<Arc> = arcs(circuit)
        .into_iter()
        .filter(|a| {
            [Some(a.r), Some(a.q), a.n]
                .into_iter()
                .flatten()
                .all(|j| report.varied[j])
        })
        .collect();
    let n = report.values.len();
    let mut perm: Vec<usize> = (0..n).collect();
    for cpe in [true, false] {
        let group: Vec<&Arc> = arcs.iter().filter(|a| a.n.is_some() == cpe).collect();
        let mut by_omega: Vec<&Arc> = group.clone();
        by_omega
            .sort_by(|a, b| arc_omega(b, &report.values).total_cmp(&arc_omega(a, &report.values)));
        for (to, from) in group.iter().zip(&by_omega) {
            perm[to.r] = from.r;
            perm[to.q] = from.q;
            if let (Some(t), Some(f)) = (to.n, from.n) {
                perm[t] = f;
            }
        }
    }
    if perm.iter().enumerate().all(|(i, &p)| i == p) {
        return;
    }
    let permute = |v: &[f64]| perm.iter().map(|&p| v[p]).collect::<Vec<f64>>();
    report.values = permute(&report.values);
    report.std_errors = permute(&report.std_errors);
    report.at_bound = perm.iter().map(|&p| report.at_bound[p]).collect();
    let old = report.correlation.clone();
    report.correlation = perm
        .iter()
        .map(|&a| perm.iter().map(|&b| old[a][b]).collect())
        .collect();
}

/// How a guess is varied.
#[derive(Debug, Clone, Copy)]
struct Variation {
    /// Factor on every resistance-like parameter.
    r_factor: f64,
    /// The CPE exponent.
    n: f64,
    /// Assign the detected peaks to the last arcs rather than the first ones.
    peaks_to_last_arcs: bool,
}

const AUTOMATIC: Variation = Variation {
    r_factor: 1.0,
    n: 0.9,
    peaks_to_last_arcs: false,
};

/// The automatic initial guess from the spectrum (see [`fit_circuit`] for the method): arcs of
/// the top-level `p(R,CPE)`/`p(R,C)` blocks in the order of the string are matched to the
/// peaks of −Z'' from high to low frequency, with R = 2·(−Z''_peak)/tan(nπ/4) (the height of
/// an R‖CPE arc is (R/2)tan(nπ/4)), Q = 1/(R ω_peakⁿ) and n = 0.9; arcs without a peak share
/// what is left of the real-axis span and are spread over the lower frequencies. A series R
/// takes the high-frequency Z' (shared if there are several), a Warburg σ = −Z''·√ω at the
/// lowest frequency, a finite Warburg the remaining span with τ = 1/ω_min, and other elements
/// order-of-magnitude values from the spectrum's span and mid frequency. Values are put inside
/// the default bounds.
pub fn initial_guess(circuit: &Circuit, spectrum: &Spectrum) -> Vec<f64> {
    guess(circuit, spectrum, AUTOMATIC)
}

fn guess(circuit: &Circuit, spectrum: &Spectrum, v: Variation) -> Vec<f64> {
    let points = ascending(spectrum);
    let mut x = vec![f64::NAN; circuit.parameter_count()];
    if !points.is_empty() {
        guess_from_points(circuit, &points, v, &mut x);
    }
    // Inside the default bounds, off the bounds themselves (a value not guessed: 10⁻³ or the
    // lower bound).
    let params = default_parameters(circuit, &x);
    for (xj, p) in x.iter_mut().zip(&params) {
        let v = if xj.is_finite() {
            *xj
        } else {
            p.lower.max(1e-3)
        };
        *xj = match p.scale {
            crate::numerics::least_squares::ParameterScale::Log => {
                let (lo, hi) = (p.lower.ln(), p.upper.ln());
                let m = 1e-3 * (hi - lo);
                v.max(p.lower).ln().clamp(lo + m, hi - m).exp()
            }
            crate::numerics::least_squares::ParameterScale::Linear => {
                let m = 1e-3 * (p.upper - p.lower);
                v.clamp(p.lower + m, p.upper - m)
            }
        };
    }
    x
}

/// The guess from the non-empty spectrum `points` (ascending (ω, Z)) into `x` (NaN where no
/// guess is made).
fn guess_from_points(circuit: &Circuit, points: &[(f64, c64)], v: Variation, x: &mut [f64]) {
    let n_pts = points.len();
    let (w_min, z_lf) = points[0];
    let (w_max, z_hf) = points[n_pts - 1];
    let w_mid = (w_min * w_max).sqrt();
    let re_max = points.iter().map(|p| p.1.re).fold(f64::MIN, f64::max);
    let re_min = points.iter().map(|p| p.1.re).fold(f64::MAX, f64::min);
    let z_scale = points
        .iter()
        .map(|p| p.1.norm())
        .fold(0.0, f64::max)
        .max(1e-12);
    let span = if re_max - re_min > 1e-6 * z_scale {
        re_max - re_min
    } else {
        z_scale
    };
    let tiny = 1e-3 * span;
    let height = (v.n * std::f64::consts::FRAC_PI_4).tan();

    let arcs = arcs(circuit);
    let mut found = peaks(points);
    if found.len() > arcs.len() {
        // Keep the most prominent ones, still from high to low frequency.
        let mut ranked = found.clone();
        ranked.sort_by(|a, b| b.2.total_cmp(&a.2));
        ranked.truncate(arcs.len());
        found.retain(|p| ranked.contains(p));
    }
    let offset = if v.peaks_to_last_arcs {
        arcs.len() - found.len()
    } else {
        0
    };
    let mut assigned_r = 0.0;
    for (k, &(i, y, _)) in found.iter().enumerate() {
        let arc = &arcs[k + offset];
        let r = 2.0 * y / height;
        let w = points[i].0;
        assigned_r += r;
        x[arc.r] = r;
        match arc.n {
            Some(n) => {
                x[arc.q] = 1.0 / (r * w.powf(v.n));
                x[n] = v.n;
            }
            None => x[arc.q] = 1.0 / (r * w),
        }
    }
    // Arcs without a peak: the rest of the span, spread over the frequencies below the last
    // assigned peak (or above the first, for arcs before it).
    let unassigned: Vec<usize> = (0..arcs.len())
        .filter(|&a| a < offset || a >= offset + found.len())
        .collect();
    if !unassigned.is_empty() {
        let rest = ((z_lf.re - z_hf.re) - assigned_r).max(0.05 * span) / unassigned.len() as f64;
        let lowest_peak = found.last().map_or(w_max, |&(i, _, _)| points[i].0);
        let highest_peak = found.first().map_or(w_max, |&(i, _, _)| points[i].0);
        let below: Vec<usize> = unassigned
            .iter()
            .copied()
            .filter(|&a| a >= offset)
            .collect();
        let above: Vec<usize> = unassigned.iter().copied().filter(|&a| a < offset).collect();
        let mut place = |list: &[usize], hi: f64, lo: f64| {
            let count = list.len() as f64;
            for (k, &a) in list.iter().enumerate() {
                // Geometrically spaced strictly inside (lo, hi), in order from hi to lo.
                let w = hi * (lo / hi).powf((k as f64 + 1.0) / (count + 1.0));
                let arc = &arcs[a];
                x[arc.r] = rest;
                match arc.n {
                    Some(n) => {
                        x[arc.q] = 1.0 / (rest * w.powf(v.n));
                        x[n] = v.n;
                    }
                    None => x[arc.q] = 1.0 / (rest * w),
                }
            }
        };
        place(&below, lowest_peak, w_min);
        place(&above, w_max * 10.0, highest_peak);
    }

    // Everything else.
    let series_r: Vec<usize> = match circuit.root() {
        Node::Series(parts) => parts.iter().collect::<Vec<_>>(),
        other => vec![other],
    }
    .into_iter()
    .filter_map(|n| match n {
        Node::Element(k) if circuit.elements()[*k].kind == ElementKind::Resistor => {
            Some(circuit.elements()[*k].first_parameter)
        }
        _ => None,
    })
    .collect();
    for &j in &series_r {
        x[j] = z_hf.re.max(tiny) / series_r.len() as f64;
    }
    for e in circuit.elements() {
        let j = e.first_parameter;
        if !x[j].is_nan() {
            continue;
        }
        match e.kind {
            ElementKind::Resistor => x[j] = span / 2.0,
            ElementKind::Capacitor => x[j] = 1.0 / (w_mid * span),
            ElementKind::Inductor => {
                x[j] = if z_hf.im > 0.0 {
                    z_hf.im / w_max
                } else {
                    1e-3 * span / w_max
                }
            }
            ElementKind::Cpe => {
                x[j] = 1.0 / (span * w_mid.powf(v.n));
                x[j + 1] = v.n;
            }
            ElementKind::Warburg => {
                x[j] = (-z_lf.im * w_min.sqrt()).max(1e-3 * span * w_min.sqrt());
            }
            ElementKind::WarburgOpen | ElementKind::WarburgShort => {
                x[j] = (z_lf.re - z_hf.re - assigned_r).max(0.1 * span);
                x[j + 1] = 1.0 / w_min;
            }
        }
    }
    for j in circuit.resistance_parameters() {
        x[j] *= v.r_factor;
    }
}

/// Fits `circuit` to `spectrum` from `start` (one value per parameter of the circuit) or, when
/// None, from the automatic guess ([`initial_guess`]) and its variations; see the module
/// documentation for the residuals, weights and bounds.
pub fn fit_circuit(
    circuit: &Circuit,
    spectrum: &Spectrum,
    start: Option<&[f64]>,
) -> Result<CircuitFit, CircuitFitError> {
    fit_circuit_with(
        circuit,
        spectrum,
        &CircuitFitOptions {
            start: start.map(<[f64]>::to_vec),
            ..CircuitFitOptions::default()
        },
    )
}

/// [`fit_circuit`] with options: a start, fixed parameters, stopping criteria. With a start,
/// the fit is also repeated with its resistances halved and doubled, and the lowest sum of
/// squares kept.
pub fn fit_circuit_with(
    circuit: &Circuit,
    spectrum: &Spectrum,
    options: &CircuitFitOptions,
) -> Result<CircuitFit, CircuitFitError> {
    // The fields are public: check what `Spectrum::new` would have checked.
    Spectrum::check(&spectrum.frequency_hz, &spectrum.z)
        .map_err(CircuitFitError::InvalidSpectrum)?;
    let names = circuit.parameter_names();
    let p = circuit.parameter_count();
    if let Some(s) = &options.start {
        if s.len() != p {
            return Err(CircuitFitError::StartLength {
                expected: p,
                found: s.len(),
            });
        }
    }
    let mut fixed = vec![None; p];
    for (name, value) in &options.fixed {
        let Some(j) = names.iter().position(|n| n == name) else {
            return Err(CircuitFitError::UnknownParameter {
                name: name.clone(),
                known: names,
            });
        };
        fixed[j] = Some(*value);
    }
    if let Some(k) = spectrum.z.iter().position(|z| z.norm() == 0.0) {
        return Err(CircuitFitError::ZeroImpedance {
            frequency_hz: spectrum.frequency_hz[k],
        });
    }

    let starts: Vec<Vec<f64>> = match &options.start {
        Some(s) => {
            let scaled = |factor: f64| {
                let mut x = s.clone();
                for j in circuit.resistance_parameters() {
                    x[j] *= factor;
                }
                x
            };
            if options.start_only {
                vec![s.clone()]
            } else {
                vec![s.clone(), scaled(0.5), scaled(2.0)]
            }
        }
        None => {
            let mut variations = vec![
                AUTOMATIC,
                Variation {
                    r_factor: 0.5,
                    ..AUTOMATIC
                },
                Variation {
                    r_factor: 2.0,
                    ..AUTOMATIC
                },
                Variation {
                    n: 0.75,
                    ..AUTOMATIC
                },
            ];
            let points = ascending(spectrum);
            let n_arcs = arcs(circuit).len();
            if peaks(&points).len() < n_arcs {
                variations.push(Variation {
                    peaks_to_last_arcs: true,
                    ..AUTOMATIC
                });
            }
            variations
                .into_iter()
                .map(|v| guess(circuit, spectrum, v))
                .collect()
        }
    };

    let weights: Vec<f64> = spectrum.z.iter().map(|z| 1.0 / z.norm()).collect();
    let residual = |x: &[f64], r: &mut [f64]| -> Result<(), std::convert::Infallible> {
        for (k, (&f, &z)) in spectrum.frequency_hz.iter().zip(&spectrum.z).enumerate() {
            let d = (circuit.impedance(x, f) - z) * weights[k];
            r[2 * k] = d.re;
            r[2 * k + 1] = d.im;
        }
        Ok(())
    };
    let m = 2 * spectrum.len();
    // ∂r/∂p by columns (module docs); the buffer of ∂Z/∂p is reused between calls.
    let gradient = std::cell::RefCell::new(vec![c64::new(0.0, 0.0); p]);
    let jacobian = |x: &[f64], jac: &mut [f64]| -> Result<(), std::convert::Infallible> {
        let mut grad = gradient.borrow_mut();
        for (k, (&f, w)) in spectrum.frequency_hz.iter().zip(&weights).enumerate() {
            circuit.impedance_and_gradient(x, f, &mut grad);
            for (j, g) in grad.iter().enumerate() {
                jac[j * m + 2 * k] = g.re * w;
                jac[j * m + 2 * k + 1] = g.im * w;
            }
        }
        Ok(())
    };

    let mut best: Option<FitReport> = None;
    let mut first_error: Option<FitError> = None;
    let (mut evaluations, mut jacobian_evaluations) = (0, 0);
    for (k, start) in starts.iter().enumerate() {
        let mut params = default_parameters(circuit, start);
        for (param, value) in params.iter_mut().zip(&fixed) {
            if let Some(v) = value {
                *param = Parameter::fixed(param.name.clone(), *v);
            }
        }
        let result = if options.finite_differences {
            least_squares(&params, m, residual, &options.fit)
        } else {
            least_squares_with_jacobian(&params, m, residual, jacobian, &options.fit)
        };
        match result {
            Ok(report) => {
                evaluations += report.evaluations;
                jacobian_evaluations += report.jacobian_evaluations;
                let better = best.as_ref().is_none_or(|b| {
                    // Prefer converged fits; then the lower sum of squares.
                    (report.converged, -report.ssr) > (b.converged, -b.ssr)
                });
                if better {
                    best = Some(report);
                }
            }
            // The caller's own start must be valid as given.
            Err(e) if k == 0 && options.start.is_some() => return Err(e.into()),
            Err(e) => {
                if matches!(
                    e,
                    FitError::BadParameter { .. } | FitError::TooFewResiduals { .. }
                ) {
                    return Err(e.into());
                }
                first_error.get_or_insert(e);
            }
        }
    }
    match best {
        Some(mut report) => {
            order_arcs(circuit, &mut report);
            Ok(CircuitFit::from_report(
                circuit,
                report,
                (evaluations, jacobian_evaluations),
                starts.len(),
            ))
        }
        None => Err(first_error
            .map(CircuitFitError::Fit)
            .unwrap_or(CircuitFitError::Fit(FitError::NothingToFit))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::impedance::circuit::PAPER_CIRCUIT;

    fn log_frequencies(per_decade: usize) -> Vec<f64> {
        (0..=8 * per_decade)
            .map(|k| 1e-2 * 10f64.powf(k as f64 / per_decade as f64))
            .collect()
    }

    #[test]
    fn the_guess_finds_the_arcs_in_order() {
        let c = Circuit::parse(PAPER_CIRCUIT).unwrap();
        let f = log_frequencies(10);
        let truth = crate::impedance::paper_circuit_example([0.9, 0.85, 0.8]);
        let z = f.iter().map(|&f| c.impedance(&truth, f)).collect();
        let s = Spectrum::new(f, z).unwrap();
        let points = ascending(&s);
        assert_eq!(peaks(&points).len(), 3);
        let g = initial_guess(&c, &s);
        // Resistances within a factor 2, series R from the high-frequency end.
        for j in [1, 4, 7] {
            assert!(
                g[j] / truth[j] > 0.5 && g[j] / truth[j] < 2.0,
                "{j}: {}",
                g[j]
            );
        }
        assert!(g[0] > 52.0 && g[0] < 60.0, "{}", g[0]);
        assert!(g[10] > 0.0);
    }

    #[test]
    fn bad_options_are_errors() {
        let c = Circuit::parse("R0-p(R1,C1)").unwrap();
        let s = Spectrum::new(
            vec![1.0, 10.0, 100.0],
            vec![
                c64::new(2.0, -1.0),
                c64::new(1.5, -0.5),
                c64::new(1.0, -0.1),
            ],
        )
        .unwrap();
        let e = fit_circuit(&c, &s, Some(&[1.0])).unwrap_err();
        assert_eq!(
            e,
            CircuitFitError::StartLength {
                expected: 3,
                found: 1
            }
        );
        let e = fit_circuit_with(
            &c,
            &s,
            &CircuitFitOptions {
                fixed: vec![("R7".into(), 1.0)],
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains("`R7` is not a parameter"), "{e}");
        let e = fit_circuit(&c, &s, Some(&[1.0, -1.0, 1e-3])).unwrap_err();
        assert!(e.to_string().contains("`R1`"), "{e}");
        let s0 = Spectrum::new(vec![1.0], vec![c64::new(0.0, 0.0)]).unwrap();
        assert!(matches!(
            fit_circuit(&c, &s0, None),
            Err(CircuitFitError::ZeroImpedance { .. })
        ));
        // A spectrum built around the validation gets an error, not a panic; the guess stays
        // inside the bounds.
        let empty = Spectrum {
            frequency_hz: vec![],
            z: vec![],
        };
        let e = fit_circuit(&c, &empty, None).unwrap_err();
        assert_eq!(e, CircuitFitError::InvalidSpectrum(InvalidSpectrum::Empty));
        assert_eq!(
            e.to_string(),
            "invalid spectrum: the spectrum has no points"
        );
        let g = initial_guess(&c, &empty);
        let params = default_parameters(&c, &g);
        assert!(params
            .iter()
            .all(|p| p.initial > p.lower && p.initial < p.upper));
        // 1 point = 2 residuals for 3 parameters.
        let s1 = Spectrum::new(vec![1.0], vec![c64::new(1.0, -1.0)]).unwrap();
        assert!(matches!(
            fit_circuit(&c, &s1, None),
            Err(CircuitFitError::Fit(FitError::TooFewResiduals { .. }))
        ));
    }
}
