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
//! 418); otherwise the first run's. A parameter that *starts* on a bound (a previous optimum
//! that ended there, as in a chain of fits) is first held there while the others are fitted;
//! that result is kept when the bound is still optimal for it (∂S/∂x points out of the range,
//! the Karush–Kuhn–Tucker condition), else the fit proceeds as above from the start.
//!
//! # Jacobian
//! [`least_squares`] takes the optimiser's Jacobian ∂r/∂u by central finite differences in the
//! internal variables (step ε^(1/3)·max(|u|, 1), ε the machine epsilon): two residual
//! evaluations per varied parameter and iteration.
//!
//! [`least_squares_with_jacobian`] takes instead the caller's Jacobian J = ∂r/∂x in the
//! *physical* variables and applies the chain rule through the bound transformation,
//! ∂rᵢ/∂uₖ = ∂rᵢ/∂xⱼ · dxⱼ/duₖ (j the k-th varied parameter), with
//! dx/du = (dx/dy)(dy/du), dx/dy = 1 on a linear scale and x (= e^y) on a log scale, and
//! - two finite bounds: dy/du = (b − a) cos(u)/2;
//! - only a lower bound: dy/du = u/√(u² + 1);
//! - only an upper bound: dy/du = −u/√(u² + 1);
//! - no bounds: dy/du = 1.
//!
//! One Jacobian evaluation then replaces 2p residual evaluations. Both entry points share the
//! optimiser, the two-stage bound handling and the uncertainty calculation; only the source of
//! the Jacobian differs. [`FitReport::evaluations`] counts residual evaluations (those of the
//! finite differences included) and [`FitReport::jacobian_evaluations`] the calls of the
//! caller's Jacobian.
//!
//! # Uncertainties
//! At the optimum the Jacobian J = ∂r/∂x is taken again in the *physical* variables: the
//! caller's, when given; otherwise by central differences (one-sided next to a bound, in ln x
//! for log-scaled parameters and converted by ∂r/∂x = (∂r/∂ln x)/x). The covariance of the parameters not at a bound is
//! cov = s²(JᵀJ)⁻¹ with s² = SSR/(m − p) the residual variance (SSR the sum of squared
//! residuals, m residuals, p varied parameters): the weights of the residuals are taken as
//! relative, the noise level is estimated from the misfit (as lmfit's `scale_covar` and
//! scipy's `curve_fit(absolute_sigma=False)` do). The standard uncertainty of parameter j is
//! √cov_jj and the correlation is cov_jk/√(cov_jj cov_kk). A parameter at a bound is held there
//! for this calculation: its uncertainty is not meaningful and is reported as NaN, with the
//! flag set. When JᵀJ is singular (a parameter has no effect on the residuals, or two have
//! the same effect) the uncertainties are reported as +∞.
//!
//! The uncertainty of the model's prediction of each residual, propagated linearly from the
//! covariance (the delta method), is σ_i = √(J_i cov J_iᵀ), J_i the row of residual i over the
//! free parameters: for a straight-line fit it is the textbook standard error of the fitted
//! mean response, s √(1/n + (x_i − x̄)²/Σ(x − x̄)²). Since a residual is the model minus a fixed
//! measurement (divided by a fixed weight), σ_i is the uncertainty of the prediction in the
//! residual's units.

use std::cell::{Cell, RefCell};

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

    fn check<E>(&self) -> Result<(), FitError<E>> {
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

    /// dx/du at the internal variable u (see the module docs, "Jacobian"): the derivative of
    /// [`Parameter::external`], in the parameter's units per unit of u.
    fn dexternal(&self, u: f64) -> f64 {
        let (a, b) = self.scaled_bounds();
        let dy = match (a.is_finite(), b.is_finite()) {
            (true, true) => (b - a) * u.cos() / 2.0,
            (true, false) => u / (u * u + 1.0).sqrt(),
            (false, true) => -u / (u * u + 1.0).sqrt(),
            (false, false) => 1.0,
        };
        match self.scale {
            ParameterScale::Linear => dy,
            ParameterScale::Log => dy * self.external(u),
        }
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
    /// The standard uncertainty of the model's prediction of each residual, √(J_i cov J_iᵀ)
    /// over the free parameters (see the module docs), in the residual's units: 0 when nothing
    /// is free, +∞ when the Jacobian is singular.
    pub residual_std_errors: Vec<f64>,
    /// The sum of squared residuals Σ rᵢ².
    pub ssr: f64,
    /// SSR/(m − p), m residuals and p varied parameters (NaN when m = p): the reduced
    /// chi-square, in the units of the squared residuals.
    pub reduced_chi2: f64,
    /// m − p.
    pub degrees_of_freedom: usize,
    /// Number of evaluations of the residual function, finite differences included.
    pub evaluations: usize,
    /// Number of evaluations of the caller's Jacobian (0 for [`least_squares`]).
    pub jacobian_evaluations: usize,
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

/// Why a fit could not be made. `E` is the error of the caller's residual and Jacobian
/// functions, carried as it is ([`std::convert::Infallible`] for functions that cannot fail).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitError<E = std::convert::Infallible> {
    /// A parameter's initial value or bounds are unusable.
    #[error("parameter `{name}`: {problem}")]
    BadParameter {
        /// The parameter's name.
        name: String,
        /// What is wrong.
        problem: String,
    },
    /// Fewer residuals than varied parameters: the problem is under-determined.
    #[error(
        "{residuals} residuals cannot determine {parameters} parameters: at least as many residuals as fitted parameters are needed"
    )]
    TooFewResiduals {
        /// The number of residuals m.
        residuals: usize,
        /// The number of varied parameters p.
        parameters: usize,
    },
    /// No parameter is varied.
    #[error("every parameter is fixed: nothing to fit")]
    NothingToFit,
    /// The residual function returned an error.
    #[error("the residual function failed at {}: {error}", list(at))]
    Residual {
        /// Its error.
        error: E,
        /// The parameter values it was called with.
        at: Vec<(String, f64)>,
    },
    /// The Jacobian function returned an error.
    #[error("the Jacobian function failed at {}: {error}", list(at))]
    Jacobian {
        /// Its error.
        error: E,
        /// The parameter values it was called with.
        at: Vec<(String, f64)>,
    },
    /// The Jacobian function returned a NaN or infinite derivative of a varied parameter.
    #[error(
        "the Jacobian function failed at {}: ∂r{residual}/∂{parameter} is {value}: derivatives must be finite",
        list(at)
    )]
    NonFiniteDerivative {
        /// The index of the residual.
        residual: usize,
        /// The name of the parameter.
        parameter: String,
        /// The derivative's value.
        value: f64,
        /// The parameter values it was called with.
        at: Vec<(String, f64)>,
    },
    /// The residual function returned a NaN or infinite residual.
    #[error(
        "residual {index} is {value} at {}: residuals must be finite",
        list(at)
    )]
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

/// The caller's Jacobian: `jacobian(x, j)` fills `j`, the m × n matrix ∂rᵢ/∂xⱼ stored by
/// columns (entry (i, j) at `j[i + j·m]`), at the physical values `x` of all n parameters.
type JacobianFn<'a, E> = &'a dyn Fn(&[f64], &mut [f64]) -> Result<(), E>;

/// The evaluation counters of one fit.
#[derive(Default)]
struct Counts {
    residuals: Cell<usize>,
    jacobians: Cell<usize>,
}

/// The problem as the optimiser sees it: internal variables of the varied parameters.
struct Problem<'a, F, E> {
    params: &'a [Parameter],
    varied: Vec<usize>,
    residual: &'a F,
    jacobian: Option<JacobianFn<'a, E>>,
    m: usize,
    u: DVector<f64>,
    counts: &'a Counts,
    /// The m × n buffer of the caller's Jacobian, reused between iterations.
    scratch: RefCell<Vec<f64>>,
    failure: RefCell<Option<FitError<E>>>,
}

impl<F, E> Problem<'_, F, E>
where
    F: Fn(&[f64], &mut [f64]) -> Result<(), E>,
{
    /// Physical values of every parameter for the internal variables `u`.
    fn physical(&self, u: &[f64]) -> Vec<f64> {
        let mut x: Vec<f64> = self.params.iter().map(|p| p.initial).collect();
        for (&j, &uj) in self.varied.iter().zip(u) {
            x[j] = self.params[j].external(uj);
        }
        x
    }

    /// Records the first failure of the residual or Jacobian function.
    fn record(&self, e: FitError<E>) {
        let mut failure = self.failure.borrow_mut();
        if failure.is_none() {
            *failure = Some(e);
        }
    }

    /// Evaluates the residuals at physical values `x`; records the failure, if any.
    fn eval(&self, x: &[f64]) -> Option<Vec<f64>> {
        evaluate(self.params, self.residual, self.m, x, self.counts)
            .map_err(|e| self.record(e))
            .ok()
    }

    /// ∂r/∂u from the caller's ∂r/∂x by the chain rule (module docs, "Jacobian").
    fn analytic_jacobian(&self, jacobian: JacobianFn<'_, E>) -> Option<DMatrix<f64>> {
        let u = self.u.as_slice();
        let x = self.physical(u);
        let mut buffer = self.scratch.borrow_mut();
        evaluate_jacobian(
            self.params,
            &self.varied,
            jacobian,
            self.m,
            &x,
            &mut buffer,
            self.counts,
        )
        .map_err(|e| self.record(e))
        .ok()?;
        let m = self.m;
        let mut jac = DMatrix::zeros(m, self.varied.len());
        for (k, &j) in self.varied.iter().enumerate() {
            let dxdu = self.params[j].dexternal(u[k]);
            for (out, &d) in jac
                .column_mut(k)
                .iter_mut()
                .zip(&buffer[j * m..(j + 1) * m])
            {
                *out = d * dxdu;
            }
        }
        Some(jac)
    }

    /// ∂r/∂u by central differences in u (module docs, "Jacobian").
    fn finite_difference_jacobian(&self) -> Option<DMatrix<f64>> {
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

/// The parameter values as (name, value) pairs, for error messages.
fn named(params: &[Parameter], x: &[f64]) -> Vec<(String, f64)> {
    params
        .iter()
        .zip(x)
        .map(|(p, &v)| (p.name.clone(), v))
        .collect()
}

fn evaluate<F, E>(
    params: &[Parameter],
    residual: &F,
    m: usize,
    x: &[f64],
    counts: &Counts,
) -> Result<Vec<f64>, FitError<E>>
where
    F: Fn(&[f64], &mut [f64]) -> Result<(), E>,
{
    counts.residuals.set(counts.residuals.get() + 1);
    let mut r = vec![0.0; m];
    residual(x, &mut r).map_err(|error| FitError::Residual {
        error,
        at: named(params, x),
    })?;
    if let Some((index, &value)) = r.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(FitError::NonFiniteResidual {
            index,
            value,
            at: named(params, x),
        });
    }
    Ok(r)
}

/// Calls the caller's Jacobian at `x` into `buffer` (resized to m × n and zeroed first) and
/// checks that the columns of the `varied` parameters are finite.
fn evaluate_jacobian<E>(
    params: &[Parameter],
    varied: &[usize],
    jacobian: JacobianFn<'_, E>,
    m: usize,
    x: &[f64],
    buffer: &mut Vec<f64>,
    counts: &Counts,
) -> Result<(), FitError<E>> {
    counts.jacobians.set(counts.jacobians.get() + 1);
    buffer.clear();
    buffer.resize(m * params.len(), 0.0);
    jacobian(x, buffer).map_err(|error| FitError::Jacobian {
        error,
        at: named(params, x),
    })?;
    for &j in varied {
        if let Some((i, &d)) = buffer[j * m..(j + 1) * m]
            .iter()
            .enumerate()
            .find(|(_, d)| !d.is_finite())
        {
            return Err(FitError::NonFiniteDerivative {
                residual: i,
                parameter: params[j].name.clone(),
                value: d,
                at: named(params, x),
            });
        }
    }
    Ok(())
}

impl<F, E> LeastSquaresProblem<f64, Dyn, Dyn> for Problem<'_, F, E>
where
    F: Fn(&[f64], &mut [f64]) -> Result<(), E>,
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
        match self.jacobian {
            Some(jacobian) => self.analytic_jacobian(jacobian),
            None => self.finite_difference_jacobian(),
        }
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
/// uncertainties. The Jacobian is taken by finite differences; [`least_squares_with_jacobian`]
/// takes the caller's.
///
/// A failure of the residual function, or a non-finite residual, at any point of the
/// iteration stops the fit with an error naming the parameter values.
pub fn least_squares<F, E>(
    params: &[Parameter],
    m: usize,
    residual: F,
    options: &FitOptions,
) -> Result<FitReport, FitError<E>>
where
    F: Fn(&[f64], &mut [f64]) -> Result<(), E>,
{
    fit(params, m, &residual, None, options)
}

/// [`least_squares`] with the caller's Jacobian in the physical variables:
/// `jacobian(x, j)` fills `j`, of length m·n (n = `params.len()`), with ∂rᵢ/∂xⱼ stored by
/// columns (entry (i, j) at `j[i + j·m]`), at the physical values `x` of all parameters. `j`
/// is zeroed before each call; the columns of fixed parameters are not used and may be left
/// so. The optimiser's Jacobian in the internal variables follows by the chain rule through
/// the bound transformation, and the uncertainties use the caller's Jacobian at the optimum
/// (module docs, "Jacobian"): no residual evaluations go to finite differences.
///
/// A failure of the Jacobian function, or a non-finite derivative of a varied parameter,
/// stops the fit with [`FitError::Jacobian`] or [`FitError::NonFiniteDerivative`].
pub fn least_squares_with_jacobian<F, J, E>(
    params: &[Parameter],
    m: usize,
    residual: F,
    jacobian: J,
    options: &FitOptions,
) -> Result<FitReport, FitError<E>>
where
    F: Fn(&[f64], &mut [f64]) -> Result<(), E>,
    J: Fn(&[f64], &mut [f64]) -> Result<(), E>,
{
    fit(params, m, &residual, Some(&jacobian), options)
}

/// The common path of [`least_squares`] (`jacobian` None: finite differences) and
/// [`least_squares_with_jacobian`].
fn fit<F, E>(
    params: &[Parameter],
    m: usize,
    residual: &F,
    jacobian: Option<JacobianFn<'_, E>>,
    options: &FitOptions,
) -> Result<FitReport, FitError<E>>
where
    F: Fn(&[f64], &mut [f64]) -> Result<(), E>,
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
    let problem = Fit {
        params,
        m,
        residual,
        jacobian,
        options,
        counts: Counts::default(),
    };
    // The start must be a valid point: report its failure as it is.
    let start: Vec<f64> = params.iter().map(|p| p.initial).collect();
    evaluate(params, residual, m, &start, &problem.counts)?;

    // A start on a bound (a previous optimum that ended there) is first taken to stay there:
    // the others are fitted with it held, and the result kept when the bound is still optimal
    // (the gradient of S points out of the range: the Karush–Kuhn–Tucker condition).
    let on_bound: Vec<usize> = varied
        .iter()
        .copied()
        .filter(|&j| params[j].at_bound(params[j].initial))
        .collect();
    if !on_bound.is_empty() && on_bound.len() < varied.len() {
        let mut held: Vec<Parameter> = params.to_vec();
        for &j in &on_bound {
            held[j].initial = held[j].nearest_bound(params[j].initial);
            held[j].vary = false;
        }
        let still: Vec<usize> = varied
            .iter()
            .copied()
            .filter(|j| !on_bound.contains(j))
            .collect();
        let run = problem.minimize(&held, &still, options.patience)?;
        if run.converged && problem.bound_is_optimal(&on_bound, &run.values)? {
            return problem.finish(&varied, run.values, run.termination, run.converged);
        }
    }

    // A short first run; when it has not converged, parameters that crawl toward a bound are
    // held on it and the others fitted on (see the module documentation, "Bounds").
    let scout = problem.minimize(params, &varied, SCOUT_PATIENCE)?;
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
            Some(problem.minimize(&moved, &still, options.patience)?)
        };
        let scout_ssr = problem.sum_of_squares(&scout.values)?;
        match on {
            Some(r) if problem.sum_of_squares(&r.values)? <= scout_ssr * (1.0 + 1e-12) => r,
            _ => scout,
        }
    };
    problem.finish(&varied, run.values, run.termination, run.converged)
}

/// Patience of the first, short optimiser run (see [`least_squares`]).
const SCOUT_PATIENCE: usize = 20;

/// The outcome of one optimiser run.
struct Run {
    values: Vec<f64>,
    termination: String,
    converged: bool,
}

/// What every stage of one fit shares: the parameters as given, the residual and Jacobian
/// functions, the options and the evaluation counters.
struct Fit<'a, F, E> {
    params: &'a [Parameter],
    m: usize,
    residual: &'a F,
    jacobian: Option<JacobianFn<'a, E>>,
    options: &'a FitOptions,
    counts: Counts,
}

impl<F, E> Fit<'_, F, E>
where
    F: Fn(&[f64], &mut [f64]) -> Result<(), E>,
{
    /// One Levenberg–Marquardt run over the parameters `varied` of `params` (the fit's
    /// parameters, possibly with other initial values and some held) from their initial
    /// values, stopping after `patience·(p + 1)` of its own residual evaluations.
    fn minimize(
        &self,
        params: &[Parameter],
        varied: &[usize],
        patience: usize,
    ) -> Result<Run, FitError<E>> {
        let options = self.options;
        let u0 = DVector::from_iterator(
            varied.len(),
            varied
                .iter()
                .map(|&j| params[j].internal(params[j].initial)),
        );
        let problem = Problem {
            params,
            varied: varied.to_vec(),
            residual: self.residual,
            jacobian: self.jacobian,
            m: self.m,
            u: u0,
            counts: &self.counts,
            scratch: RefCell::new(Vec::new()),
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
            termination: describe_termination(&report.termination),
            converged,
        })
    }

    /// Whether S cannot decrease by moving any parameter of `on_bound` from its bound into
    /// its range: ∂S/∂x_j = 2 Σ r_i ∂r_i/∂x_j ≥ 0 at a lower bound, ≤ 0 at an upper one (to a
    /// relative tolerance of 10⁻⁸ of S per unit of the parameter's range).
    fn bound_is_optimal(&self, on_bound: &[usize], values: &[f64]) -> Result<bool, FitError<E>> {
        let r = evaluate(self.params, self.residual, self.m, values, &self.counts)?;
        let jac = self.physical_jacobian(on_bound, values, &r)?;
        let ssr: f64 = r.iter().map(|v| v * v).sum();
        Ok(on_bound.iter().enumerate().all(|(k, &j)| {
            let p = &self.params[j];
            let g: f64 = 2.0 * (0..self.m).map(|i| r[i] * jac[(i, k)]).sum::<f64>();
            let span = (p.upper - p.lower)
                .abs()
                .min(p.upper.abs().max(p.lower.abs()).max(1.0));
            let tol = 1e-8 * ssr.max(f64::MIN_POSITIVE) / span;
            // Inward from the lower bound is +x, from the upper bound −x.
            if p.nearest_bound(values[j]) == p.lower {
                g >= -tol
            } else {
                g <= tol
            }
        }))
    }

    /// S(x) = Σ r² at `values`.
    fn sum_of_squares(&self, values: &[f64]) -> Result<f64, FitError<E>> {
        let r = evaluate(self.params, self.residual, self.m, values, &self.counts)?;
        Ok(r.iter().map(|v| v * v).sum())
    }

    /// The Jacobian ∂r/∂x in physical variables of the parameters `free` at `values` (whose
    /// residuals are `r`): the caller's, or central differences (module docs,
    /// "Uncertainties").
    fn physical_jacobian(
        &self,
        free: &[usize],
        values: &[f64],
        r: &[f64],
    ) -> Result<DMatrix<f64>, FitError<E>> {
        let (params, m) = (self.params, self.m);
        let mut jac = DMatrix::zeros(m, free.len());
        if let Some(jacobian) = self.jacobian {
            let mut buffer = Vec::new();
            evaluate_jacobian(params, free, jacobian, m, values, &mut buffer, &self.counts)?;
            for (k, &j) in free.iter().enumerate() {
                jac.column_mut(k)
                    .copy_from_slice(&buffer[j * m..(j + 1) * m]);
            }
            return Ok(jac);
        }
        let mut x = values.to_vec();
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
            let mut at = |y: f64| -> Result<Vec<f64>, FitError<E>> {
                if y == y0 {
                    return Ok(r.to_vec());
                }
                x[j] = p.unscale(y);
                let out = evaluate(params, self.residual, m, &x, &self.counts);
                x[j] = values[j];
                out
            };
            let r_hi = at(hi)?;
            let r_lo = at(lo)?;
            // ∂r/∂y, then ∂r/∂x = (∂r/∂ln x)/x on a log scale.
            let dydx = match p.scale {
                ParameterScale::Linear => 1.0,
                ParameterScale::Log => 1.0 / values[j],
            };
            for i in 0..m {
                jac[(i, k)] = (r_hi[i] - r_lo[i]) / (hi - lo) * dydx;
            }
        }
        Ok(jac)
    }

    /// The report at the optimum `values`: residuals, SSR, covariance in physical variables.
    fn finish(
        &self,
        varied: &[usize],
        values: Vec<f64>,
        termination: String,
        converged: bool,
    ) -> Result<FitReport, FitError<E>> {
        let (params, m) = (self.params, self.m);
        let counts = &self.counts;
        let r = evaluate(params, self.residual, m, &values, counts)?;
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
        let jac = self.physical_jacobian(&free, &values, &r)?;
        let mut std_errors = vec![0.0; n];
        let mut correlation = vec![vec![f64::NAN; n]; n];
        let mut residual_std_errors = vec![0.0; m];
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
                    let propagated = &jac * &cov;
                    for (i, s) in residual_std_errors.iter_mut().enumerate() {
                        let variance = propagated.row(i).dot(&jac.row(i));
                        *s = variance.max(0.0).sqrt();
                    }
                }
                None => {
                    for &j in &free {
                        std_errors[j] = f64::INFINITY;
                    }
                    residual_std_errors.fill(f64::INFINITY);
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
            residual_std_errors,
            ssr,
            reduced_chi2,
            degrees_of_freedom: dof,
            evaluations: counts.residuals.get(),
            jacobian_evaluations: counts.jacobians.get(),
            termination,
            converged,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A callback's failure in these tests.
    #[derive(Debug, Clone, PartialEq, thiserror::Error)]
    #[error("{0}")]
    struct Failure(&'static str);

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
    ) -> impl Fn(&[f64], &mut [f64]) -> Result<(), Failure> + 'a {
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

    /// A straight line y = a + b x: the prediction's uncertainty at every x is the textbook
    /// standard error of the fitted mean response, s √(1/n + (x − x̄)²/Sxx), with the fitted
    /// a and b and s² = SSR/(n − 2) (closed-form regression; e.g. Montgomery & Runger, Applied
    /// Statistics and Probability for Engineers, §11-3).
    #[test]
    fn prediction_uncertainties_are_those_of_linear_regression() {
        let x: Vec<f64> = (0..12).map(|k| 0.5 * k as f64).collect();
        let y: Vec<f64> = x
            .iter()
            .enumerate()
            .map(|(k, &x)| 1.5 - 0.7 * x + 0.05 * ((k * 37 % 11) as f64 - 5.0) / 5.0)
            .collect();
        let residual = |p: &[f64], r: &mut [f64]| -> Result<(), Failure> {
            for i in 0..x.len() {
                r[i] = p[0] + p[1] * x[i] - y[i];
            }
            Ok(())
        };
        let params = [
            Parameter::new("a", 0.0, -10.0, 10.0),
            Parameter::new("b", 0.0, -10.0, 10.0),
        ];
        let fit = least_squares(&params, x.len(), residual, &FitOptions::default()).unwrap();
        assert!(fit.converged, "{}", fit.termination);
        let n = x.len() as f64;
        let x_mean = x.iter().sum::<f64>() / n;
        let y_mean = y.iter().sum::<f64>() / n;
        let sxx: f64 = x.iter().map(|v| (v - x_mean).powi(2)).sum();
        let sxy: f64 = x
            .iter()
            .zip(&y)
            .map(|(a, b)| (a - x_mean) * (b - y_mean))
            .sum();
        let b = sxy / sxx;
        let a = y_mean - b * x_mean;
        assert!((fit.values[0] - a).abs() < 1e-8 && (fit.values[1] - b).abs() < 1e-8);
        let ssr: f64 = x.iter().zip(&y).map(|(u, v)| (a + b * u - v).powi(2)).sum();
        let s = (ssr / (n - 2.0)).sqrt();
        assert_eq!(fit.residual_std_errors.len(), x.len());
        for (i, &xi) in x.iter().enumerate() {
            let expected = s * (1.0 / n + (xi - x_mean).powi(2) / sxx).sqrt();
            let got = fit.residual_std_errors[i];
            assert!(
                (got - expected).abs() < 1e-6 * expected,
                "x = {xi}: {got} against {expected}"
            );
        }
        // The leverages sum to the number of parameters: Σ σ_i² = s² p.
        let leverage: f64 = fit.residual_std_errors.iter().map(|v| v * v).sum::<f64>() / (s * s);
        assert!((leverage - 2.0).abs() < 1e-9, "{leverage}");
        // Narrowest at the mean of x, widest at the ends.
        let narrowest = fit.residual_std_errors[5].min(fit.residual_std_errors[6]);
        assert!(narrowest < fit.residual_std_errors[0]);
        assert!(narrowest < fit.residual_std_errors[11]);
    }

    /// ∂r/∂(A, τ, c) of [`decay_residual`], by columns.
    fn decay_jacobian(t: &[f64]) -> impl Fn(&[f64], &mut [f64]) -> Result<(), Failure> + '_ {
        move |p, j| {
            let m = t.len();
            for i in 0..m {
                let e = (-t[i] / p[1]).exp();
                j[i] = e;
                j[m + i] = p[0] * e * t[i] / (p[1] * p[1]);
                j[2 * m + i] = 1.0;
            }
            Ok(())
        }
    }

    /// The analytic Jacobian gives the optimum and uncertainties of the finite differences,
    /// with every kind of bound (two, lower only, upper only) and with a parameter that ends
    /// on its bound, in far fewer residual evaluations.
    #[test]
    fn an_analytic_jacobian_gives_the_finite_difference_fit() {
        let (t, y) = decay_data();
        let cases = [
            [
                Parameter::new("A", 1.0, 0.0, 10.0),
                Parameter::log("tau", 0.3, 1e-3, 1e3),
                Parameter::new("c", 0.0, -5.0, f64::INFINITY),
            ],
            [
                Parameter::new("A", 1.0, f64::NEG_INFINITY, 10.0),
                Parameter::log("tau", 0.3, 1e-3, f64::INFINITY),
                Parameter::new("c", 0.0, f64::NEG_INFINITY, f64::INFINITY),
            ],
            [
                Parameter::new("A", 1.0, 0.0, 2.0), // the data want 3: ends on the bound
                Parameter::log("tau", 1.0, 1e-3, 1e3),
                Parameter::new("c", 0.0, -5.0, 5.0),
            ],
        ];
        for params in cases {
            let options = FitOptions::default();
            let fd = least_squares(&params, t.len(), decay_residual(&t, &y), &options).unwrap();
            let an = least_squares_with_jacobian(
                &params,
                t.len(),
                decay_residual(&t, &y),
                decay_jacobian(&t),
                &options,
            )
            .unwrap();
            assert!(an.converged, "{}", an.termination);
            assert_eq!(an.at_bound, fd.at_bound);
            for j in 0..3 {
                let (a, f) = (an.values[j], fd.values[j]);
                assert!((a - f).abs() <= 1e-6 * f.abs().max(1e-3), "{j}: {a} vs {f}");
                let (a, f) = (an.std_errors[j], fd.std_errors[j]);
                if f.is_nan() {
                    assert!(a.is_nan(), "{j}: {a}");
                } else {
                    assert!((a - f).abs() <= 1e-4 * f, "{j}: ± {a} vs ± {f}");
                }
                for k in 0..3 {
                    let (a, f) = (an.correlation[j][k], fd.correlation[j][k]);
                    assert!(a.is_nan() == f.is_nan() && (f.is_nan() || (a - f).abs() < 1e-4));
                }
            }
            assert!((an.ssr - fd.ssr).abs() <= 1e-8 * fd.ssr);
            assert_eq!(fd.jacobian_evaluations, 0);
            assert!(an.jacobian_evaluations > 0);
            assert!(
                an.evaluations < fd.evaluations / 2,
                "{} vs {}",
                an.evaluations,
                fd.evaluations
            );
        }
    }

    #[test]
    fn jacobian_failures_are_errors() {
        let (t, y) = decay_data();
        let params = [
            Parameter::new("A", 1.0, 0.0, 10.0),
            Parameter::log("tau", 0.3, 1e-3, 1e3),
            Parameter::fixed("c", 0.5),
        ];
        let failing = |_: &[f64], _: &mut [f64]| Err(Failure("no derivatives"));
        let e = least_squares_with_jacobian(
            &params,
            t.len(),
            decay_residual(&t, &y),
            failing,
            &FitOptions::default(),
        )
        .unwrap_err();
        assert!(matches!(e, FitError::Jacobian { .. }), "{e}");
        assert!(e.to_string().contains("no derivatives"), "{e}");
        // A NaN in a fixed parameter's column is not used; in a varied one it is an error.
        let m = t.len();
        let t = &t;
        let nan_in = |column: usize| {
            move |p: &[f64], j: &mut [f64]| {
                decay_jacobian(t)(p, j)?;
                j[column * m + 3] = f64::NAN;
                Ok(())
            }
        };
        let fit = least_squares_with_jacobian(
            &params,
            m,
            decay_residual(t, &y),
            nan_in(2),
            &FitOptions::default(),
        )
        .unwrap();
        assert!(fit.converged, "{}", fit.termination);
        let e = least_squares_with_jacobian(
            &params,
            m,
            decay_residual(t, &y),
            nan_in(1),
            &FitOptions::default(),
        )
        .unwrap_err();
        assert!(
            matches!(&e, FitError::NonFiniteDerivative { residual: 3, parameter, .. } if parameter == "tau"),
            "{e}"
        );
        assert!(e.to_string().contains("∂r3/∂tau is NaN"), "{e}");
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
    fn a_start_on_a_bound_stays_only_where_the_bound_is_optimal() {
        let (t, y) = decay_data();
        let fit_from = |a_start: f64, a_upper: f64| {
            let params = [
                Parameter::new("A", a_start, 0.0, a_upper),
                Parameter::log("tau", 1.0, 1e-3, 1e3),
                Parameter::new("c", 0.0, -5.0, 5.0),
            ];
            least_squares(
                &params,
                t.len(),
                decay_residual(&t, &y),
                &FitOptions::default(),
            )
            .unwrap()
        };
        // The data want A = 3, outside [0, 2]: a start on the upper bound stays there.
        let held = fit_from(2.0, 2.0);
        assert_eq!(held.values[0], 2.0);
        assert_eq!(held.at_bound, vec![true, false, false]);
        // The same optimum as from a start inside (which crawls to the bound), no worse.
        let crawled = fit_from(1.0, 2.0);
        for (a, b) in held.values.iter().zip(&crawled.values) {
            assert!(
                (a - b).abs() < 1e-4 * b.abs().max(1.0),
                "{held:?} vs {crawled:?}"
            );
        }
        assert!(held.ssr <= crawled.ssr * (1.0 + 1e-12));
        // With A in [0, 10], a start on the upper bound 10 must leave it for A = 3.
        let freed = fit_from(10.0, 10.0);
        assert!((freed.values[0] - 3.0).abs() < 0.01, "{:?}", freed.values);
        assert_eq!(freed.at_bound, vec![false, false, false]);
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
        let ok = |_: &[f64], r: &mut [f64]| -> Result<(), Failure> {
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
        let failing = |_: &[f64], _: &mut [f64]| Err(Failure("no model here"));
        let e = least_squares(&p, 3, failing, &FitOptions::default()).unwrap_err();
        assert!(
            matches!(
                &e,
                FitError::Residual {
                    error: Failure("no model here"),
                    ..
                }
            ),
            "{e}"
        );
        assert!(e.to_string().contains("no model here"), "{e}");
        assert!(e.to_string().contains("a = 1"), "{e}");
        let nan = |x: &[f64], r: &mut [f64]| -> Result<(), Failure> {
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
            // dx/du against central differences.
            for u in [-2.0, -0.3, 0.7, 1.4, 3.0] {
                let h = 1e-5;
                let fd = (p.external(u + h) - p.external(u - h)) / (2.0 * h);
                let d = p.dexternal(u);
                assert!(
                    (d - fd).abs() <= 1e-7 * fd.abs().max(1e-3),
                    "{} {u}: {d} vs {fd}",
                    p.name
                );
            }
        }
    }
}
