//! Fitting cell parameters to measured data: `asslb fit`.
//!
//! The residuals are those of a validation ([`crate::validation::compare`]): for every measured
//! value (a target point, a per-cycle value, a point of a voltage curve) its deviation from the
//! simulated value divided by its tolerance, so that a residual of 1 is a deviation of one
//! tolerance and the sum of squares weighs every kind of data by how well it is known. They
//! are minimised over the chosen parameters by the bounded Levenberg–Marquardt method of
//! [`crate::numerics::least_squares`].
//!
//! The Jacobian is taken by finite differences of whole simulations (central by default, with
//! a step of 0.1 in ln x for a log-scaled parameter, 10 % of x for a linear one; why so large:
//! [`super::fit_spec::CellFitOptions`]), and the simulations of one
//! Jacobian — every perturbed parameter set, and within each every run of the validation —
//! run in parallel on a rayon pool. The optimiser's trial points run their runs in parallel
//! too. Every residual vector computed is kept, so the Jacobian's base point and the optimum
//! are never simulated twice.
//!
//! A run that fails at a trial point (the solver gives up in an extreme corner of the bounds),
//! or a compared cycle it does not reach, gives each of its missing residuals the value
//! [`MISSING_RESIDUAL`]: the optimiser sees a very bad point and steps back. At the start
//! point or in a finite difference such a failure stops the fit with the error.
//!
//! Uncertainties, correlations and the reduced χ² are those of
//! [`crate::numerics::least_squares`]: cov = s²(JᵀJ)⁻¹ with s² = SSR/(m − p), the Jacobian at the
//! optimum. Because the residuals are in tolerance units, a reduced χ² well above 1 says the
//! model cannot follow the data within their tolerances, whatever the parameters.

use std::cell::RefCell;
use std::time::Instant;

use crate::error_chain::error_chain;
use crate::scenario::{parse_scenario_with, Scenario, ScenarioError, SetOverride};
use crate::validation::{compare, simulate_runs, OutputFailure};

use super::fit_spec::{Differences, FitParameter, FitSpec};
use crate::numerics::least_squares::{
    least_squares_with_jacobian, FitOptions, FitReport, Parameter,
};

/// The residual given to a measured value the simulation did not reach at a trial point, in
/// tolerances: far worse than any reachable point, so the optimiser rejects the step.
pub const MISSING_RESIDUAL: f64 = 1e3;

/// What a fit found.
#[derive(Debug, Clone)]
pub struct CellFitReport {
    /// The optimiser's report: fitted values, standard errors, correlations, residuals at the
    /// optimum (in tolerances), SSR, reduced χ², evaluations, termination.
    pub fit: FitReport,
    /// The fitted parameters, as in the fit file.
    pub parameters: Vec<FitParameter>,
    /// The runs' scenarios with the fitted values set, in the validation file's order.
    pub fitted_scenarios: Vec<Scenario>,
    /// The sum of squares at the start point.
    pub initial_ssr: f64,
    /// Simulations run (each run of each parameter set counts one).
    pub simulations: usize,
    /// Trial points at which a run failed or fell short of a compared cycle.
    pub failed_points: usize,
    /// Wall time of the fit \[s\].
    pub wall_time_s: f64,
    /// Whether any run jumps over cycles (`[solver.cycle_jumping]` in its scenario).
    pub cycle_jumping: bool,
}

impl CellFitReport {
    /// The root-mean-square residual at the optimum, in tolerances: below 1 the model follows
    /// the data within their tolerances on average.
    pub fn rms_residual(&self) -> f64 {
        (self.fit.ssr / self.fit.residuals.len().max(1) as f64).sqrt()
    }
}

/// Why a fit could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CellFitError {
    /// The simulations at the start point fail or do not reach a compared cycle.
    #[error("the model cannot be compared with the data at the start point: {0}")]
    Start(EvaluationError),
    /// The optimiser stopped with an error (a failed finite difference, …).
    #[error("the fit failed: {0}")]
    Fit(Box<crate::numerics::least_squares::FitError<EvaluationError>>),
    /// The worker pool could not be set up.
    #[error("cannot start the worker threads: {0}")]
    Pool(rayon::ThreadPoolBuildError),
}

/// Why the residuals at a point, or a finite difference of them, could not be computed. The
/// errors of scenarios and of runs' output read as their whole chain ([`error_chain`]), as the
/// fit reports them.
#[derive(Debug, thiserror::Error)]
pub enum EvaluationError {
    /// The scenarios with the point's values set do not load.
    #[error("{}", error_chain(.0))]
    Scenario(ScenarioError),
    /// A run's files could not be written.
    #[error("{}", error_chain(.0))]
    Output(OutputFailure),
    /// A run failed (the solver gave up): its recorded error.
    #[error("run `{run}`: {error}")]
    RunFailed {
        /// The run's label.
        run: String,
        /// Its error chain as recorded.
        error: String,
    },
    /// A compared value the simulation did not reach.
    #[error("no simulated value for {id} {quantity} of run `{run}` (cycles {cycles})")]
    NotReached {
        /// The compared value's id.
        id: String,
        /// Its quantity.
        quantity: String,
        /// The run's label.
        run: String,
        /// The cycles compared.
        cycles: String,
    },
    /// The residual vector's length changed between points.
    #[error("{found} residuals where {expected} were expected")]
    ResidualCount {
        /// The residuals computed.
        found: usize,
        /// The residuals of the start point.
        expected: usize,
    },
    /// A parameter's bounds allow no step either way.
    #[error("`{parameter}`: its bounds leave no room for a finite difference")]
    NoRoom {
        /// The parameter's path.
        parameter: String,
    },
    /// The one finite-difference point a parameter has failed.
    #[error("at a finite-difference point: {0}")]
    DifferencePoint(Box<EvaluationError>),
    /// Both finite-difference points of a parameter failed.
    #[error("at both finite-difference points of `{parameter}`: {error}")]
    BothDifferencePoints {
        /// The parameter's path.
        parameter: String,
        /// The second point's failure.
        error: Box<EvaluationError>,
    },
    /// No finite-difference point of a parameter could be simulated.
    #[error("`{parameter}`: no finite-difference point could be simulated")]
    NoDifferencePoint {
        /// The parameter's path.
        parameter: String,
    },
}

/// A fit's progress, for the caller to show.
#[derive(Debug, Clone, PartialEq)]
pub enum FitProgress {
    /// The residuals at a trial point: its values and sum of squares.
    Evaluation {
        /// The trial point's number, from 1.
        evaluation: usize,
        /// The parameter values.
        values: Vec<f64>,
        /// The sum of squared residuals there.
        ssr: f64,
        /// Whether a run failed or fell short there.
        failed: bool,
    },
    /// A Jacobian by finite differences, with its simulations.
    Jacobian {
        /// The Jacobian's number, from 1.
        jacobian: usize,
        /// Simulations it took.
        simulations: usize,
        /// Perturbed simulations that failed and were replaced by the other side's.
        failed: usize,
    },
}

/// The scenario of run `run` of `spec` with the parameter values `x` (one per fitted
/// parameter) set.
pub fn scenario_at(spec: &FitSpec, run: usize, x: &[f64]) -> Result<Scenario, ScenarioError> {
    let base = &spec.validation.runs[run].scenario;
    let sets = spec
        .parameters
        .iter()
        .zip(x)
        .filter(|(p, _)| p.runs.contains(&run))
        .map(|(p, &v)| SetOverride::from_path_value(&p.path, toml::Value::Float(v)))
        .collect::<Result<Vec<_>, _>>()?;
    let path = base.path.clone().unwrap_or_default();
    let dir = path
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    let text = toml::to_string(&base.document).map_err(|e| ScenarioError::Syntax {
        origin: crate::scenario::Origin::File(path.clone()),
        message: e.to_string(),
    })?;
    parse_scenario_with(&text, &path, &dir, &sets)
}

/// The residual vector at a point (missing values replaced by [`MISSING_RESIDUAL`]) and, when
/// any was missing, why; or the reason the scenarios do not load.
type Evaluation = Result<(Vec<f64>, Option<EvaluationError>), EvaluationError>;

/// One residual evaluation at `x`.
fn residuals_at(spec: &FitSpec, x: &[f64]) -> Evaluation {
    let scenarios = (0..spec.validation.runs.len())
        .map(|r| scenario_at(spec, r, x))
        .collect::<Result<Vec<_>, _>>()
        .map_err(EvaluationError::Scenario)?;
    let refs: Vec<&Scenario> = scenarios.iter().collect();
    let runs =
        simulate_runs(&spec.validation, &refs, false, None).map_err(EvaluationError::Output)?;
    let comparisons = compare(&spec.validation, &runs);
    let mut r = Vec::new();
    let mut missing = runs.iter().find_map(|run| {
        run.error.as_ref().map(|e| EvaluationError::RunFailed {
            run: run.label.clone(),
            error: e.clone(),
        })
    });
    for c in &comparisons {
        for &v in &c.residuals {
            if v.is_finite() {
                r.push(v);
            } else {
                missing.get_or_insert_with(|| EvaluationError::NotReached {
                    id: c.id.clone(),
                    quantity: c.quantity.clone(),
                    run: c.run.clone(),
                    cycles: c.cycles.clone(),
                });
                r.push(MISSING_RESIDUAL);
            }
        }
    }
    Ok((r, missing))
}

/// Fits `spec` with `jobs` worker threads (`None`: one per core); `progress` hears of every
/// trial point and Jacobian.
pub fn fit_cell(
    spec: &FitSpec,
    jobs: Option<usize>,
    progress: &(dyn Fn(&FitProgress) + Sync),
) -> Result<CellFitReport, CellFitError> {
    let started = Instant::now();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.unwrap_or(0))
        .build()
        .map_err(CellFitError::Pool)?;
    let params: Vec<Parameter> = spec
        .parameters
        .iter()
        .map(|p| Parameter {
            name: p.path.clone(),
            initial: p.initial,
            lower: p.lower,
            upper: p.upper,
            scale: p.scale,
            vary: true,
        })
        .collect();
    let x0: Vec<f64> = params.iter().map(|p| p.initial).collect();
    // Every residual vector computed, by the bits of its point.
    let cache: RefCell<Vec<(Vec<u64>, Vec<f64>)>> = RefCell::new(Vec::new());
    let simulations = RefCell::new(0usize);
    let failed_points = RefCell::new(0usize);
    let evaluations = RefCell::new(0usize);
    let jacobians = RefCell::new(0usize);
    let runs = spec.validation.runs.len();
    let key = |x: &[f64]| x.iter().map(|v| v.to_bits()).collect::<Vec<u64>>();
    let cached = |x: &[f64]| {
        let k = key(x);
        cache
            .borrow()
            .iter()
            .find(|(p, _)| *p == k)
            .map(|(_, r)| r.clone())
    };

    // Residuals at many points at once, in parallel; each point's result kept (and cached
    // when the simulation reached every compared cycle).
    let evaluate_all = |points: &[Vec<f64>]| -> Vec<Result<Vec<f64>, EvaluationError>> {
        let results: Vec<Evaluation> = pool.install(|| {
            use rayon::prelude::*;
            points.par_iter().map(|y| residuals_at(spec, y)).collect()
        });
        *simulations.borrow_mut() += runs * points.len();
        points
            .iter()
            .zip(results)
            .map(|(y, result)| {
                let (r, missing) = result?;
                if let Some(why) = missing {
                    return Err(why);
                }
                cache.borrow_mut().push((key(y), r.clone()));
                Ok(r)
            })
            .collect()
    };

    // The start: a failure there, or a compared cycle not reached, stops the fit.
    let r0 = evaluate_all(std::slice::from_ref(&x0))
        .remove(0)
        .map_err(CellFitError::Start)?;
    let m = r0.len();
    let initial_ssr: f64 = r0.iter().map(|v| v * v).sum();

    let residual = |x: &[f64], out: &mut [f64]| -> Result<(), EvaluationError> {
        let r = match cached(x) {
            Some(r) => r,
            None => {
                let (r, missing) = pool.install(|| residuals_at(spec, x))?;
                *simulations.borrow_mut() += runs;
                if missing.is_some() {
                    *failed_points.borrow_mut() += 1;
                }
                let mut n = evaluations.borrow_mut();
                *n += 1;
                progress(&FitProgress::Evaluation {
                    evaluation: *n,
                    values: x.to_vec(),
                    ssr: r.iter().map(|v| v * v).sum(),
                    failed: missing.is_some(),
                });
                cache.borrow_mut().push((key(x), r.clone()));
                r
            }
        };
        if r.len() != out.len() {
            return Err(EvaluationError::ResidualCount {
                found: r.len(),
                expected: out.len(),
            });
        }
        out.copy_from_slice(&r);
        Ok(())
    };

    let jacobian = |x: &[f64], j: &mut [f64]| -> Result<(), EvaluationError> {
        let central = spec.options.differences == Differences::Central;
        let base = match cached(x) {
            Some(r) => r,
            None => evaluate_all(&[x.to_vec()]).remove(0)?,
        };
        let at = |k: usize, v: f64| {
            let mut y = x.to_vec();
            y[k] = v;
            y
        };
        // First round: x + h for every parameter (x − h where x + h leaves the bounds), and
        // x − h too for central differences.
        let steps: Vec<(Option<f64>, Option<f64>)> = spec
            .parameters
            .iter()
            .enumerate()
            .map(|(k, p)| perturbed(p, x[k], spec.options.step))
            .collect();
        let mut points = Vec::new();
        let mut first: Vec<Vec<(f64, usize)>> = Vec::new();
        for (k, &(up, down)) in steps.iter().enumerate() {
            let mut mine = Vec::new();
            let wanted: Vec<f64> = match (up, down) {
                (Some(u), Some(d)) if central => vec![u, d],
                (Some(u), _) => vec![u],
                (None, Some(d)) => vec![d],
                (None, None) => {
                    return Err(EvaluationError::NoRoom {
                        parameter: spec.parameters[k].path.clone(),
                    })
                }
            };
            for v in wanted {
                mine.push((v, points.len()));
                points.push(at(k, v));
            }
            first.push(mine);
        }
        let mut results: Vec<Option<_>> = evaluate_all(&points).into_iter().map(Some).collect();
        // A perturbed simulation that fails (the solver gives up on that parameter set) is
        // replaced by the step to the other side: a one-sided difference, in a second round.
        let mut ok: Vec<Vec<(f64, Vec<f64>)>> = vec![Vec::new(); first.len()];
        let mut failures: Vec<(usize, EvaluationError)> = Vec::new();
        for (k, mine) in first.iter().enumerate() {
            for &(v, i) in mine {
                match results[i].take() {
                    Some(Ok(r)) => ok[k].push((v, r)),
                    Some(Err(e)) => failures.push((k, e)),
                    None => {}
                }
            }
        }
        let failed = failures.len();
        let mut retry = Vec::new();
        let mut retry_of = Vec::new();
        for (k, why) in failures {
            if ok[k].is_empty() && !retry_of.contains(&k) {
                let tried: Vec<f64> = first[k].iter().map(|&(v, _)| v).collect();
                let other = [steps[k].0, steps[k].1]
                    .into_iter()
                    .flatten()
                    .find(|v| !tried.contains(v));
                match other {
                    Some(v) => {
                        retry.push(at(k, v));
                        retry_of.push(k);
                    }
                    None => return Err(EvaluationError::DifferencePoint(Box::new(why))),
                }
            }
        }
        for ((k, y), result) in retry_of.iter().zip(&retry).zip(evaluate_all(&retry)) {
            let r = result.map_err(|why| EvaluationError::BothDifferencePoints {
                parameter: spec.parameters[*k].path.clone(),
                error: Box::new(why),
            })?;
            ok[*k].push((y[*k], r));
        }
        for (k, pair) in ok.iter().enumerate() {
            // Two points: their difference; one: against the base point.
            let (high, low) = match pair.as_slice() {
                [a, b] => (a, b),
                [a] => (a, &(x[k], base.clone())),
                _ => {
                    return Err(EvaluationError::NoDifferencePoint {
                        parameter: spec.parameters[k].path.clone(),
                    })
                }
            };
            let dx = high.0 - low.0;
            for i in 0..m {
                j[i + k * m] = (high.1[i] - low.1[i]) / dx;
            }
        }
        let mut n = jacobians.borrow_mut();
        *n += 1;
        progress(&FitProgress::Jacobian {
            jacobian: *n,
            simulations: points.len() + retry.len(),
            failed,
        });
        Ok(())
    };

    let p = params.len();
    let options = FitOptions {
        ftol: spec.options.ftol,
        xtol: spec.options.xtol,
        gtol: 1e-10,
        patience: spec.options.max_evaluations.div_ceil(p + 1).max(1),
    };
    let fit = least_squares_with_jacobian(&params, m, residual, jacobian, &options)
        .map_err(|e| CellFitError::Fit(Box::new(e)))?;
    let fitted_scenarios = (0..runs)
        .map(|r| scenario_at(spec, r, &fit.values))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| CellFitError::Start(EvaluationError::Scenario(e)))?;
    let cycle_jumping = spec
        .validation
        .runs
        .iter()
        .any(|r| r.scenario.solver.cycle_jumping.is_some());
    let simulations = *simulations.borrow();
    let failed_points = *failed_points.borrow();
    Ok(CellFitReport {
        fit,
        parameters: spec.parameters.clone(),
        fitted_scenarios,
        initial_ssr,
        simulations,
        failed_points,
        wall_time_s: started.elapsed().as_secs_f64(),
        cycle_jumping,
    })
}

/// The values x + h and x − h of a finite difference of parameter `p` at `x` with the relative
/// step `step` (of ln x on a log scale; of |x| on a linear one, of the bound range at x = 0),
/// each `None` where it would leave the bounds.
fn perturbed(p: &FitParameter, x: f64, step: f64) -> (Option<f64>, Option<f64>) {
    let (up, down) = match p.scale {
        super::ParameterScale::Log => (x * step.exp(), x * (-step).exp()),
        super::ParameterScale::Linear => {
            let h = if x != 0.0 {
                step * x.abs()
            } else {
                step * (p.upper - p.lower)
            };
            (x + h, x - h)
        }
    };
    let inside = |v: f64| (p.lower..=p.upper).contains(&v).then_some(v);
    (inside(up), inside(down))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fitting::ParameterScale;

    fn param(scale: ParameterScale, lower: f64, upper: f64) -> FitParameter {
        FitParameter {
            path: "anion_redox.oxygen_loss_bulk_per_Li".into(),
            initial: 1.0,
            lower,
            upper,
            scale,
            runs: vec![0],
        }
    }

    #[test]
    fn finite_differences_stay_inside_the_bounds() {
        let p = param(ParameterScale::Log, 0.5, 2.0);
        let (u, d) = perturbed(&p, 1.0, 0.01);
        assert!((u.unwrap() - 0.01f64.exp()).abs() < 1e-15);
        assert!((d.unwrap() - (-0.01f64).exp()).abs() < 1e-15);
        // At the upper bound only the step down is possible.
        assert_eq!(perturbed(&p, 2.0, 0.01).0, None);
        assert!(perturbed(&p, 2.0, 0.01).1.is_some());
        let p = param(ParameterScale::Linear, -1.0, 1.0);
        let (u, d) = perturbed(&p, 0.0, 0.01);
        assert_eq!((u, d), (Some(0.02), Some(-0.02)));
    }
}
