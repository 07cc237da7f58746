//! Bounded non-linear least squares over named parameters.
//!
//! Minimises S(x) = Σᵢ rᵢ(x)² over the physical parameter values x, each within its bounds
//! `lower ≤ x ≤ upper`, for a caller's residual function `r(x)` of `m` components. The
//! minimisation itself is MINPACK's Levenberg–Marquardt trust-region method (Moré, "The
//! Levenberg–Marquardt algorithm: implementation and theory", Lecture Notes in Mathematics 630,
//! 1978) as ported by the `levenberg-marquardt` crate; nothing here is a hand-written optimiser.
//!
//! # Bounds
//! Levenberg–Marquardt is unconstrained, so each varied parameter is written as a smooth
//! function of an unbounded internal variable u, the transformation of MINUIT (James & Roos,
//! Comput. Phys. Commun. 10 (1975) 343) also used by lmfit. With y the parameter on its scale
//! (y = x for [`ParameterScale::Linear`], y = ln x for [`ParameterScale::Log`]) and [a, b] the
//! bounds on that scale:
//! - two finite bounds: y = a + (b − a)(sin u + 1)/2;
//! - only a lower bound: y = a − 1 + √(u² + 1);
//! - only an upper bound: y = b + 1 − √(u² + 1);
//! - no bounds: y = u.
//!
//! Every u maps inside the bounds, so the residual function is never called outside them. A
//! parameter that wants to leave its range ends at the bound (where dy/du = 0): such a
//! parameter is flagged in [`FitReport::at_bound`].
//!
//! Because dy/du vanishes at a bound, the optimiser's steps toward an optimum on a bound shrink
//! and it crawls (thousands of iterations for a CPE exponent whose optimum is n = 1, an ideal
//! capacitor). So the fit runs in two stages: a short first run (patience 20); if it has not
//! converged, the parameters within 10⁻³ of their range from a bound are held on that bound
//! and the others fitted on from where the first run stopped, with the full patience. The
//! second stage's result is kept when its sum of squares is not above the first's (an active
//! set of one step, as bounded trust-region methods use: Coleman & Li, SIAM J. Optim. 6 (1996)
//! 418); otherwise the first run's.
//!
//! # Jacobian
//! The optimiser's Jacobian ∂r/∂u is taken by central finite differences in the internal
//! variables (step ε^(1/3)·max(|u|, 1), ε the machine epsilon): two residual evaluations per
//! varied parameter.
//!
//! # Uncertainties
//! At the optimum the Jacobian J = ∂r/∂x is taken again in the *physical* variables (central
//! differences, one-sided next to a bound, in ln x for log-scaled parameters and converted by
//! ∂r/∂x = (∂r/∂ln x)/x). The covariance of the parameters not at a bound is
//! cov = s²(JᵀJ)⁻¹ with s² = SSR/(m − p) the residual variance (SSR the sum of squared
//! residuals, m residuals, p varied parameters): the weights of the residuals are taken as
//! relative, the noise level is estimated from the misfit (as lmfit's `scale_covar` and
//! scipy's `curve_fit(absolute_sigma=False)` do). The standard uncertainty of parameter j is
//! √cov_jj and the correlation is cov_jk/√(cov_jj cov_kk). A parameter at a bound is held there
//! for this calculation: its uncertainty is not meaningful and is reported as NaN, with the
//! flag set. When JᵀJ is singular (a parameter has no effect on the residuals, or two have
//! the same effect) the uncertainties are reported as +∞.

use std::cell::{Cell, RefCell};
use std::fmt;

use levenberg_marquardt::{LeastSquaresProblem, LevenbergMarquardt, TerminationReason};
use nalgebra::{storage::Owned, DMatrix, DVector, Dyn};

/// The scale on which a parameter is varied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParameterScale {
    /// Varied as is: for parameters of order one or that may change sign.
    Linear,
    /// Varied as ln x: for positive parameters spanning decades (resistances, capacitances,
    /// time constants). Both bounds must be positive.
    Log,
}

/// A parameter of a fit: its name, initial value, bounds and scale, or a fixed value.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    /// The name, used in reports and error messages.
    pub name: String,
    /// The initial value (the fixed value if `vary` is false), in the caller's units.
    pub initial: f64,
    /// The lower bound; may be −∞ (or 0 < lower for [`ParameterScale::Log`]).
    pub lower: f64,
    /// The upper bound; may be +∞.
    pub upper: f64,
    /// The scale on which the parameter is varied.
    pub scale: ParameterScale,
    /// Whether the parameter is fitted (true) or held at `initial` (false).
    pub vary: bool,
}

impl Parameter {
    /// A parameter varied on a linear scale within `[lower, upper]`, starting at `initial`.
    pub fn new(name: impl Into<String>, initial: f64, lower: f64, upper: f64) -> Self {
        Parameter {
            name: name.into(),
            initial,
            lower,
            upper,
            scale: ParameterScale::Linear,
            vary: true,
        }
    }

    /// A positive parameter varied on a logarithmic scale within `[lower, upper]`,
    /// `0 < lower < upper`.
    pub fn log(name: impl Into<String>, initial: f64, lower: f64, upper: f64) -> Self {
        Parameter {
            scale: ParameterScale::Log,
            ..Parameter::new(name, initial, lower, upper)
        }
    }

    /// A parameter held at `value` (its bounds are not used).
    pub fn fixed(name: impl Into<String>, value: f64) -> Self {
        Parameter {
            vary: false,
            ..Parameter::new(name, value, f64::NEG_INFINITY, f64::INFINITY)
        }
    }

    fn check(&self) -> Result<(), FitError> {
        let bad = |problem: String| {
            Err(FitError::BadParameter {
                name: self.name.clone(),
                problem,
            })
        };
        if !self.initial.is_finite() {
            return bad(format!(
                "the initial value must be a finite number, found {}",
                self.initial
            ));
        }
        if !self.vary {
            return Ok(());
        }
        if self.lower.is_nan() || self.upper.is_nan() {
            return bad("a bound is NaN".to_string());
        }
        if self.lower >= self.upper {
            return bad(format!(
                "the lower bound {} must be below the upper bound {}",
                self.lower, self.upper
            ));
        }
        if self.scale == ParameterScale::Log && self.lower <= 0.0 {
            return bad(format!(
                "a log-scaled parameter needs positive bounds, found the lower bound {}",
                self.lower
            ));
        }
        if self.initial < self.lower || self.initial > self.upper {
            return bad(format!(
                "the initial value {} is outside the bounds [{}, {}]",
                self.initial, self.lower, self.upper
            ));
        }
        Ok(())
    }

    /// The value y on the parameter's scale.
    fn to_scale(&self, x: f64) -> f64 {
        match self.scale {
            ParameterScale::Linear => x,
            ParameterScale::Log => x.ln(),
        }
    }

    fn unscale(&self, y: f64) -> f64 {
        match self.scale {
            ParameterScale::Linear => y,
            ParameterScale::Log => y.exp(),
        }
    }

    /// The bounds on the parameter's scale.
    fn scaled_bounds(&self) -> (f64, f64) {
        (self.to_scale(self.lower), self.to_scale(self.upper))
    }

    /// Internal variable u → physical value x (MINUIT transformation, see the module docs).
    fn external(&self, u: f64) -> f64 {
        let (a, b) = self.scaled_bounds();
        let y = match (a.is_finite(), b.is_finite()) {
            (true, true) => a + (b - a) * (u.sin() + 1.0) / 2.0,
            (true, false) => a - 1.0 + (u * u + 1.0).sqrt(),
            (false, true) => b + 1.0 - (u * u + 1.0).sqrt(),
            (false, false) => u,
        };
        // Rounding must not take the value past a bound.
        self.unscale(y).clamp(self.lower, self.upper)
    }

    /// Physical value x → internal variable u. A value on a bound is moved 0.05 % of the range
    /// inside (sin u = ±(1 − 10⁻³)), where
    /// dx/du ≠ 0, so that the optimiser can move it.
    fn internal(&self, x: f64) -> f64 {
        let (a, b) = self.scaled_bounds();
        let y = self.to_scale(x);
        const INSIDE: f64 = 1e-3;
        match (a.is_finite(), b.is_finite()) {
            (true, true) => (2.0 * (y - a) / (b - a) - 1.0)
                .clamp(-1.0 + INSIDE, 1.0 - INSIDE)
                .asin(),
            (true, false) => ((y - a + 1.0).powi(2) - 1.0).max(INSIDE).sqrt(),
            (false, true) => ((b - y + 1.0).powi(2) - 1.0).max(INSIDE).sqrt(),
            (false, false) => y,
        }
    }

    /// Whether x is within 10⁻³ of the range (on the parameter's scale) of a bound, or within
    /// 10⁻³·max(|bound|, 1) of a lone bound: close enough that the optimiser, whose steps
    /// shrink with dx/du there, is taken to be crawling toward it.
    fn near_bound(&self, x: f64) -> bool {
        let (a, b) = self.scaled_bounds();
        let y = self.to_scale(x);
        let tol = |bound: f64| {
            if a.is_finite() && b.is_finite() {
                1e-3 * (b - a)
            } else {
                1e-3 * bound.abs().max(1.0)
            }
        };
        (a.is_finite() && y - a <= tol(a)) || (b.is_finite() && b - y <= tol(b))
    }

    /// The bound nearest to x (x itself without bounds).
    fn nearest_bound(&self, x: f64) -> f64 {
        let (a, b) = self.scaled_bounds();
        let y = self.to_scale(x);
        match (a.is_finite(), b.is_finite()) {
            (true, true) if y - a <= b - y => self.lower,
            (true, true) => self.upper,
            (true, false) => self.lower,
            (false, true) => self.upper,
            (false, false) => x,
        }
    }

    /// Whether x sits on a bound: within 10⁻⁶ of the range (on the parameter's scale) of it,
    /// or within 10⁻⁹ relative of it for a half-infinite range.
    fn at_bound(&self, x: f64) -> bool {
        let (a, b) = self.scaled_bounds();
        let y = self.to_scale(x);
        let tol = if a.is_finite() && b.is_finite() {
            1e-6 * (b - a)
        } else {
            1e-9 * y.abs().max(1.0)
        };
        (a.is_finite() && y - a <= tol) || (b.is_finite() && b - y <= tol)
    }
}

/// Stopping criteria of the Levenberg–Marquardt iteration (MINPACK's meanings).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FitOptions {
    /// Relative reduction of the sum of squares below which the iteration stops.
    pub ftol: f64,
    /// Relative change of the (internal) parameters below which the iteration stops.
    pub xtol: f64,
    /// Cosine of the angle between the residuals and the Jacobian's columns below which the
    /// iteration stops.
    pub gtol: f64,
    /// The optimiser stops after `patience·(p + 1)` residual evaluations of its own (those of
    /// the finite-difference Jacobian not counted), p the number of varied parameters.
    pub patience: usize,
}

impl Default for FitOptions {
    /// ftol = xtol = gtol = 10⁻¹⁰, patience 100 (MINPACK's default evaluation limit).
    fn default() -> Self {
        FitOptions {
            ftol: 1e-10,
            xtol: 1e-10,
            gtol: 1e-10,
            patience: 100,
        }
    }
}

/// The outcome of [`least_squares`]. Vectors are indexed like the parameters passed in.
#[derive(Debug, Clone, PartialEq)]
pub struct FitReport {
    /// The parameter names.
    pub names: Vec<String>,
    /// The fitted values (fixed parameters: their value).
    pub values: Vec<f64>,
    /// Standard uncertainties √cov_jj (see the module docs); 0 for fixed parameters, NaN for
    /// parameters at a bound, +∞ when the Jacobian is singular.
    pub std_errors: Vec<f64>,
    /// Whether each parameter ended on one of its bounds (its uncertainty is then not
    /// meaningful).
    pub at_bound: Vec<bool>,
    /// Whether each parameter was varied.
    pub varied: Vec<bool>,
    /// The correlation matrix of the parameters (1 on the diagonal of the free ones; NaN in the
    /// rows and columns of fixed, at-bound or unidentifiable parameters).
    pub correlation: Vec<Vec<f64>>,
    /// The residual vector at the optimum.
    pub residuals: Vec<f64>,
    /// The sum of squared residuals Σ rᵢ².
    pub ssr: f64,
    /// SSR/(m − p), m residuals and p varied parameters (NaN when m = p): the reduced
    /// chi-square, in the units of the squared residuals.
    pub reduced_chi2: f64,
    /// m − p.
    pub degrees_of_freedom: usize,
    /// Number of evaluations of the residual function, finite differences included.
    pub evaluations: usize,
    /// Why the optimiser stopped, in words.
    pub termination: String,
    /// Whether it stopped on a convergence criterion (ftol, xtol, gtol, zero residuals, or the
    /// tolerances being finer than the machine precision allows) rather than on the evaluation
    /// limit.
    pub converged: bool,
}

impl FitReport {
    /// The index of the parameter called `name`.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }
}

/// Why a fit could not be made.
#[derive(Debug, Clone, PartialEq)]
pub enum FitError {
    /// A parameter's initial value or bounds are unusable.
    BadParameter {
        /// The parameter's name.
        name: String,
        /// What is wrong.
        problem: String,
    },
    /// Fewer residuals than varied parameters: the problem is under-determined.
    TooFewResiduals {
        /// The number of residuals m.
        residuals: usize,
        /// The number of varied parameters p.
        parameters: usize,
    },
    /// No parameter is varied.
    NothingToFit,
    /// The residual function returned an error.
    Residual {
        /// Its message.
        message: String,
        /// The parameter values it was called with.
        at: Vec<(String, f64)>,
    },
    /// The residual function returned a NaN or infinite residual.
    NonFiniteResidual {
        /// The index of the first non-finite residual.
        index: usize,
        /// Its value.
        value: f64,
        /// The parameter values it was called with.
        at: Vec<(String, f64)>,
    },
}

fn list(at: &[(String, f64)]) -> String {
    at.iter()
        .map(|(n, v)| format!("{n} = {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for FitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FitError::BadParameter { name, problem } => {
                write!(f, "parameter `{name}`: {problem}")
            }
            FitError::TooFewResiduals {
                residuals,
                parameters,
            } => write!(
                f,
                "{residuals} residuals cannot determine {parameters} parameters: at least as many residuals as fitted parameters are needed"
            ),
            FitError::NothingToFit => write!(f, "every parameter is fixed: nothing to fit"),
            FitError::Residual { message, at } => {
                write!(f, "the residual function failed at {}: {message}", list(at))
            }
            FitError::NonFiniteResidual { index, value, at } => write!(
                f,
                "residual {index} is {value} at {}: residuals must be finite",
                list(at)
            ),
        }
    }
}

impl std::error::Error for FitError {}

/// The problem as the optimiser sees it: internal variables of the varied parameters.
struct Problem<'a, F> {
    params: &'a [Parameter],
    varied: Vec<usize>,
    residual: &'a F,
    m: usize,
    u: DVector<f64>,
    evaluations: Cell<usize>,
    failure: RefCell<Option<FitError>>,
}

impl<F> Problem<'_, F>
where
    F: Fn(&[f64], &mut [f64]) -> Result<(), String>,
{
    /// Physical values of every parameter for the internal variables `u`.
    fn physical(&self, u: &[f64]) -> Vec<f64> {
        let mut x: Vec<f64> = self.params.iter().map(|p| p.initial).collect();
        for (&j, &uj) in self.varied.iter().zip(u) {
            x[j] = self.params[j].external(uj);
        }
        x
    }

    /// Evaluates the residuals at physical values `x`; records the failure, if any.
    fn eval(&self, x: &[f64]) -> Option<Vec<f64>> {
        evaluate(self.params, self.residual, self.m, x, &self.evaluations)
            .map_err(|e| {
                let mut failure = self.failure.borrow_mut();
                if failure.is_none() {
                    *failure = Some(e);
                }
            })
            .ok()
    }
}

fn evaluate<F>(
    params: &[Parameter],
    residual: &F,
    m: usize,
    x: &[f64],
    evaluations: &Cell<usize>,
) -> Result<Vec<f64>, FitError>
where
    F: Fn(&[f64], &mut [f64]) -> Result<(), String>,
{
    let at = || {
        params
            .iter()
            .zip(x)
            .map(|(p, &v)| (p.name.clone(), v))
            .collect()
    };
    evaluations.set(evaluations.get() + 1);
    let mut r = vec![0.0; m];
    residual(x, &mut r).map_err(|message| FitError::Residual { message, at: at() })?;
    if let Some((index, &value)) = r.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(FitError::NonFiniteResidual {
            index,
            value,
            at: at(),
        });
    }
    Ok(r)
}

impl<F> LeastSquaresProblem<f64, Dyn, Dyn> for Problem<'_, F>
where
    F: Fn(&[f64], &mut [f64]) -> Result<(), String>,
{
    type ResidualStorage = Owned<f64, Dyn>;
    type JacobianStorage = Owned<f64, Dyn, Dyn>;
    type ParameterStorage = Owned<f64, Dyn>;

    fn set_params(&mut self, u: &DVector<f64>) {
        self.u.copy_from(u);
    }

    fn params(&self) -> DVector<f64> {
        self.u.clone()
    }

    fn residuals(&self) -> Option<DVector<f64>> {
        let x = self.physical(self.u.as_slice());
        self.eval(&x).map(DVector::from_vec)
    }

    fn jacobian(&self) -> Option<DMatrix<f64>> {
        let p = self.varied.len();
        let mut jac = DMatrix::zeros(self.m, p);
        let mut u = self.u.as_slice().to_vec();
        for k in 0..p {
            let u0 = u[k];
            let h = f64::EPSILON.cbrt() * u0.abs().max(1.0);
            u[k] = u0 + h;
            let plus = self.eval(&self.physical(&u))?;
            u[k] = u0 - h;
            let minus = self.eval(&self.physical(&u))?;
            u[k] = u0;
            for i in 0..self.m {
                jac[(i, k)] = (plus[i] - minus[i]) / (2.0 * h);
            }
        }
        Some(jac)
    }
}

fn describe_termination(t: &TerminationReason) -> String {
    match t {
        TerminationReason::User(what) => format!("the {what} could not be computed"),
        TerminationReason::Numerical(what) => format!("the {what} became NaN or infinite"),
        TerminationReason::ResidualsZero => "the residuals are zero".to_string(),
        TerminationReason::Orthogonal => {
            "the residuals are orthogonal to the Jacobian (gtol)".to_string()
        }
        TerminationReason::Converged { ftol, xtol } => match (ftol, xtol) {
            (true, true) => "converged (ftol and xtol)".to_string(),
            (true, false) => "converged (ftol)".to_string(),
            _ => "converged (xtol)".to_string(),
        },
        TerminationReason::NoImprovementPossible(what) => {
            format!("converged to machine precision ({what} cannot be met)")
        }
        TerminationReason::LostPatience => "the evaluation limit was reached".to_string(),
        TerminationReason::NoParameters => "no parameters".to_string(),
        TerminationReason::NoResiduals => "no residuals".to_string(),
        TerminationReason::WrongDimensions(what) => format!("the {what} has the wrong size"),
    }
}

/// Fits `params` so that the `m` residuals computed by `residual(x, r)` (x the physical values
/// of all parameters, in the order given; r to be filled) have the least sum of squares, within
/// the bounds. See the module documentation for the method, the bound transformation and the
/// uncertainties.
///
/// A failure of the residual function, or a non-finite residual, at any point of the
/// iteration stops the fit with an error naming the parameter values.
pub fn least_squares<F>(
    params: &[Parameter],
    m: usize,
    residual: F,
    options: &FitOptions,
) -> Result<FitReport, FitError>
where
    F: Fn(&[f64], &mut [f64]) -> Result<(), String>,
{
    for p in params {
        p.check()?;
    }
    let varied: Vec<usize> = (0..params.len()).filter(|&j| params[j].vary).collect();
    if varied.is_empty() {
        return Err(FitError::NothingToFit);
    }
    if m < varied.len() {
        return Err(FitError::TooFewResiduals {
            residuals: m,
            parameters: varied.len(),
        });
    }
    // The start must be a valid point: report its failure as it is.
    let start: Vec<f64> = params.iter().map(|p| p.initial).collect();
    let counter = Cell::new(0);
    evaluate(params, &residual, m, &start, &counter)?;

    // A short first run; when it has not converged, parameters that crawl toward a bound are
    // held on it and the others fitted on (see the module documentation, "Bounds").
    let scout = minimize(params, &varied, m, &residual, options, SCOUT_PATIENCE)?;
    let mut evaluations = counter.get() + scout.evaluations;
    let run = if scout.converged || options.patience <= SCOUT_PATIENCE {
        scout
    } else {
        let near: Vec<usize> = varied
            .iter()
            .copied()
            .filter(|&j| params[j].near_bound(scout.values[j]))
            .collect();
        let mut moved: Vec<Parameter> = params.to_vec();
        for (j, p) in moved.iter_mut().enumerate() {
            p.initial = scout.values[j];
            if near.contains(&j) {
                p.initial = p.nearest_bound(scout.values[j]);
                p.vary = false;
            }
        }
        let still: Vec<usize> = varied
            .iter()
            .copied()
            .filter(|j| !near.contains(j))
            .collect();
        let on = if still.is_empty() {
            None
        } else {
            let r = minimize(&moved, &still, m, &residual, options, options.patience)?;
            evaluations += r.evaluations;
            Some(r)
        };
        let scout_ssr = sum_of_squares(params, &residual, m, &scout.values)?;
        match on {
            Some(r)
                if sum_of_squares(params, &residual, m, &r.values)?
                    <= scout_ssr * (1.0 + 1e-12) =>
            {
                r
            }
            _ => scout,
        }
    };
    finish(
        params,
        &varied,
        m,
        &residual,
        run.values,
        evaluations,
        run.termination,
        run.converged,
    )
}

/// Patience of the first, short optimiser run (see [`least_squares`]).
const SCOUT_PATIENCE: usize = 20;

/// The outcome of one optimiser run.
struct Run {
    values: Vec<f64>,
    evaluations: usize,
    termination: String,
    converged: bool,
}

/// One Levenberg–Marquardt run over the parameters `varied` from the parameters' initial
/// values, stopping after `patience·(p + 1)` of its own evaluations.
fn minimize<F>(
    params: &[Parameter],
    varied: &[usize],
    m: usize,
    residual: &F,
    options: &FitOptions,
    patience: usize,
) -> Result<Run, FitError>
where
    F: Fn(&[f64], &mut [f64]) -> Result<(), String>,
{
    let u0 = DVector::from_iterator(
        varied.len(),
        varied
            .iter()
            .map(|&j| params[j].internal(params[j].initial)),
    );
    let problem = Problem {
        params,
        varied: varied.to_vec(),
        residual,
        m,
        u: u0,
        evaluations: Cell::new(0),
        failure: RefCell::new(None),
    };
    let (problem, report) = LevenbergMarquardt::new()
        .with_ftol(options.ftol.max(0.0))
        .with_xtol(options.xtol.max(0.0))
        .with_gtol(options.gtol.max(0.0))
        .with_patience(patience.max(1))
        .minimize(problem);
    if let Some(e) = problem.failure.borrow_mut().take() {
        return Err(e);
    }
    let converged = report.termination.was_successful()
        || matches!(
            report.termination,
            TerminationReason::NoImprovementPossible(_)
        );
    Ok(Run {
        values: problem.physical(problem.u.as_slice()),
        evaluations: problem.evaluations.get(),
        termination: describe_termination(&report.termination),
        converged,
    })
}

/// S(x) = Σ r² at `values`.
fn sum_of_squares<F>(
    params: &[Parameter],
    residual: &F,
    m: usize,
    values: &[f64],
) -> Result<f64, FitError>
where
    F: Fn(&[f64], &mut [f64]) -> Result<(), String>,
{
    let r = evaluate(params, residual, m, values, &Cell::new(0))?;
    Ok(r.iter().map(|v| v * v).sum())
}

/// The report at the optimum `values`: residuals, SSR, covariance in physical variables.
#[allow(clippy::too_many_arguments)]
fn finish<F>(
    params: &[Parameter],
    varied: &[usize],
    m: usize,
    residual: &F,
    values: Vec<f64>,
    evaluations: usize,
    termination: String,
    converged: bool,
) -> Result<FitReport, FitError>
where
    F: Fn(&[f64], &mut [f64]) -> Result<(), String>,
{
    let counter = Cell::new(evaluations);
    let r = evaluate(params, residual, m, &values, &counter)?;
    let ssr: f64 = r.iter().map(|v| v * v).sum();
    let dof = m - varied.len();
    let reduced_chi2 = if dof > 0 { ssr / dof as f64 } else { f64::NAN };
    let n = params.len();
    let at_bound: Vec<bool> = params
        .iter()
        .zip(&values)
        .map(|(p, &x)| p.vary && p.at_bound(x))
        .collect();
    let free: Vec<usize> = varied.iter().copied().filter(|&j| !at_bound[j]).collect();

    // Jacobian in physical variables of the free parameters.
    let mut jac = DMatrix::zeros(m, free.len());
    let mut x = values.clone();
    for (k, &j) in free.iter().enumerate() {
        let p = &params[j];
        let y0 = p.to_scale(values[j]);
        let (a, b) = p.scaled_bounds();
        let h = match p.scale {
            ParameterScale::Log => 1e-5,
            ParameterScale::Linear => {
                let span = if (b - a).is_finite() { b - a } else { 1.0 };
                f64::EPSILON.cbrt() * y0.abs().max(1e-3 * span)
            }
        };
        let (lo, hi) = (
            if y0 - h >= a { y0 - h } else { y0 },
            if y0 + h <= b { y0 + h } else { y0 },
        );
        if hi <= lo {
            continue; // cannot happen for a free parameter; leaves a zero column
        }
        let at = |y: f64, x: &mut Vec<f64>| -> Result<Vec<f64>, FitError> {
            if y == y0 {
                return Ok(r.clone());
            }
            x[j] = p.unscale(y);
            let out = evaluate(params, residual, m, x, &counter);
            x[j] = values[j];
            out
        };
        let r_hi = at(hi, &mut x)?;
        let r_lo = at(lo, &mut x)?;
        // ∂r/∂y, then ∂r/∂x = (∂r/∂ln x)/x on a log scale.
        let dydx = match p.scale {
            ParameterScale::Linear => 1.0,
            ParameterScale::Log => 1.0 / values[j],
        };
        for i in 0..m {
            jac[(i, k)] = (r_hi[i] - r_lo[i]) / (hi - lo) * dydx;
        }
    }

    let mut std_errors = vec![0.0; n];
    let mut correlation = vec![vec![f64::NAN; n]; n];
    for &j in varied {
        if at_bound[j] {
            std_errors[j] = f64::NAN;
        }
    }
    if !free.is_empty() {
        // Columns scaled to unit norm before the inversion, for its conditioning.
        let norms: Vec<f64> = (0..free.len()).map(|k| jac.column(k).norm()).collect();
        let cov = if norms.iter().all(|&c| c > 0.0 && c.is_finite()) {
            let mut scaled = jac.clone();
            for (k, &c) in norms.iter().enumerate() {
                scaled.column_mut(k).scale_mut(1.0 / c);
            }
            (scaled.transpose() * &scaled).cholesky().map(|ch| {
                let inv = ch.inverse();
                DMatrix::from_fn(free.len(), free.len(), |a, b| {
                    reduced_chi2 * inv[(a, b)] / (norms[a] * norms[b])
                })
            })
        } else {
            None
        };
        match cov {
            Some(cov) => {
                for (a, &ja) in free.iter().enumerate() {
                    std_errors[ja] = cov[(a, a)].sqrt();
                    for (b, &jb) in free.iter().enumerate() {
                        correlation[ja][jb] = cov[(a, b)] / (cov[(a, a)] * cov[(b, b)]).sqrt();
                    }
                }
            }
            None => {
                for &j in &free {
                    std_errors[j] = f64::INFINITY;
                }
            }
        }
    }
    Ok(FitReport {
        names: params.iter().map(|p| p.name.clone()).collect(),
        values,
        std_errors,
        at_bound,
        varied: params.iter().map(|p| p.vary).collect(),
        correlation,
        residuals: r,
        ssr,
        reduced_chi2,
        degrees_of_freedom: dof,
        evaluations: counter.get(),
        termination,
        converged,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// y = A exp(−t/τ) + c at 40 times, with a small deterministic perturbation.
    fn decay_data() -> (Vec<f64>, Vec<f64>) {
        let t: Vec<f64> = (0..40).map(|k| 0.25 * k as f64).collect();
        let y = t
            .iter()
            .enumerate()
            .map(|(k, &t)| {
                let noise = 1e-3 * ((k * 7919 % 13) as f64 - 6.0) / 6.0;
                3.0 * (-t / 2.5).exp() + 0.5 + noise
            })
            .collect();
        (t, y)
    }

    fn decay_residual<'a>(
        t: &'a [f64],
        y: &'a [f64],
    ) -> impl Fn(&[f64], &mut [f64]) -> Result<(), String> + 'a {
        move |p, r| {
            for i in 0..t.len() {
                r[i] = p[0] * (-t[i] / p[1]).exp() + p[2] - y[i];
            }
            Ok(())
        }
    }

    #[test]
    fn a_bounded_decay_fit_recovers_the_values() {
        let (t, y) = decay_data();
        let params = [
            Parameter::new("A", 1.0, 0.0, 10.0),
            Parameter::log("tau", 0.3, 1e-3, 1e3),
            Parameter::new("c", 0.0, -5.0, f64::INFINITY),
        ];
        let fit = least_squares(
            &params,
            t.len(),
            decay_residual(&t, &y),
            &FitOptions::default(),
        )
        .unwrap();
        assert!(fit.converged, "{}", fit.termination);
        for (j, truth) in [3.0, 2.5, 0.5].into_iter().enumerate() {
            let (v, s) = (fit.values[j], fit.std_errors[j]);
            assert!(s > 0.0 && s < 0.05, "{} ± {s}", fit.names[j]);
            assert!((v - truth).abs() < 4.0 * s, "{} = {v} ± {s}", fit.names[j]);
            assert!((fit.correlation[j][j] - 1.0).abs() < 1e-12);
        }
        assert!(fit.at_bound.iter().all(|&b| !b));
        assert_eq!(fit.degrees_of_freedom, 37);
        assert!((fit.reduced_chi2 - fit.ssr / 37.0).abs() < 1e-15);
        assert!(fit.reduced_chi2 < 1e-6, "{}", fit.reduced_chi2);
        assert!(fit.evaluations > 10);
        assert_eq!(fit.residuals.len(), 40);
        // A and τ are correlated through the decay.
        assert!(fit.correlation[0][1].abs() > 0.1 && fit.correlation[0][1].abs() < 1.0);
    }

    #[test]
    fn an_optimum_outside_the_bounds_ends_at_the_bound_and_is_flagged() {
        let (t, y) = decay_data();
        let params = [
            Parameter::new("A", 1.0, 0.0, 2.0), // the data want 3
            Parameter::log("tau", 1.0, 1e-3, 1e3),
            Parameter::new("c", 0.0, -5.0, 5.0),
        ];
        let fit = least_squares(
            &params,
            t.len(),
            decay_residual(&t, &y),
            &FitOptions::default(),
        )
        .unwrap();
        assert!((fit.values[0] - 2.0).abs() < 1e-6, "{}", fit.values[0]);
        assert_eq!(fit.at_bound, vec![true, false, false]);
        assert!(fit.std_errors[0].is_nan());
        assert!(fit.std_errors[1].is_finite() && fit.std_errors[1] > 0.0);
        assert!(fit.correlation[0][1].is_nan());
    }

    #[test]
    fn a_fixed_parameter_is_held() {
        let (t, y) = decay_data();
        let params = [
            Parameter::new("A", 1.0, 0.0, 10.0),
            Parameter::fixed("tau", 2.5),
            Parameter::new("c", 0.0, -5.0, 5.0),
        ];
        let fit = least_squares(
            &params,
            t.len(),
            decay_residual(&t, &y),
            &FitOptions::default(),
        )
        .unwrap();
        assert_eq!(fit.values[1], 2.5);
        assert_eq!(fit.std_errors[1], 0.0);
        assert_eq!(fit.varied, vec![true, false, true]);
        assert!((fit.values[0] - 3.0).abs() < 0.01);
        assert_eq!(fit.degrees_of_freedom, 38);
    }

    #[test]
    fn bad_bounds_are_errors() {
        let ok = |_: &[f64], r: &mut [f64]| {
            r.fill(1.0);
            Ok(())
        };
        let cases = [
            (Parameter::new("a", 1.0, 2.0, 2.0), "must be below"),
            (Parameter::new("a", 1.0, 3.0, 2.0), "must be below"),
            (Parameter::new("a", 5.0, 0.0, 2.0), "outside the bounds"),
            (Parameter::new("a", -1.0, 0.0, 2.0), "outside the bounds"),
            (Parameter::log("a", 1.0, 0.0, 2.0), "positive bounds"),
            (Parameter::log("a", 1.0, -1.0, 2.0), "positive bounds"),
            (Parameter::new("a", f64::NAN, 0.0, 2.0), "finite"),
            (Parameter::new("a", 1.0, f64::NAN, 2.0), "NaN"),
        ];
        for (p, expected) in cases {
            let e =
                least_squares(std::slice::from_ref(&p), 3, ok, &FitOptions::default()).unwrap_err();
            let text = e.to_string();
            assert!(matches!(e, FitError::BadParameter { .. }), "{p:?}");
            assert!(text.contains("`a`") && text.contains(expected), "{text}");
        }
        let two = [
            Parameter::new("a", 1.0, 0.0, 2.0),
            Parameter::new("b", 1.0, 0.0, 2.0),
        ];
        let e = least_squares(&two, 1, ok, &FitOptions::default()).unwrap_err();
        assert_eq!(
            e,
            FitError::TooFewResiduals {
                residuals: 1,
                parameters: 2
            }
        );
        let e = least_squares(&[Parameter::fixed("a", 1.0)], 3, ok, &FitOptions::default());
        assert_eq!(e.unwrap_err(), FitError::NothingToFit);
    }

    #[test]
    fn residual_failures_are_errors() {
        let p = [Parameter::new("a", 1.0, 0.0, 2.0)];
        let failing = |_: &[f64], _: &mut [f64]| Err("no model here".to_string());
        let e = least_squares(&p, 3, failing, &FitOptions::default()).unwrap_err();
        assert!(e.to_string().contains("no model here"), "{e}");
        assert!(e.to_string().contains("a = 1"), "{e}");
        let nan = |x: &[f64], r: &mut [f64]| {
            r.fill(1.0);
            r[2] = (x[0] - 5.0).sqrt();
            Ok(())
        };
        let e = least_squares(&p, 3, nan, &FitOptions::default()).unwrap_err();
        assert!(
            matches!(e, FitError::NonFiniteResidual { index: 2, .. }),
            "{e}"
        );
    }

    #[test]
    fn the_transformation_round_trips_and_stays_inside() {
        for p in [
            Parameter::new("a", 0.3, -1.0, 2.0),
            Parameter::log("b", 3e-4, 1e-9, 1e3),
            Parameter::new("c", 7.0, 1.0, f64::INFINITY),
            Parameter::new("d", -7.0, f64::NEG_INFINITY, 1.0),
            Parameter::new("e", -7.0, f64::NEG_INFINITY, f64::INFINITY),
        ] {
            let u = p.internal(p.initial);
            assert!((p.external(u) - p.initial).abs() <= 1e-12 * p.initial.abs());
            for u in [-1e6, -3.0, 0.0, 1.0, 1e6] {
                let x = p.external(u);
                assert!(x >= p.lower && x <= p.upper, "{} {u} {x}", p.name);
            }
        }
    }
}
