//! Consistent initial conditions of a DAE by a damped Newton iteration with a fresh Jacobian at
//! every iterate.
//!
//! Given the differential components of `y`, find the algebraic components of `y` and the
//! derivatives `y'` of the differential ones such that `F(t, y, y') = 0` (IDA's
//! `IDA_YA_YDP_INIT` problem). Unknown `z_k` is `y_k` for an algebraic component and `y'_k` for
//! a differential one, so column k of the Newton matrix is `∂F/∂y_k` or `∂F/∂y'_k`; both come
//! from [`DaeSystem::jacobian`] at `c_j = 0` and `c_j = 1` (`∂F/∂y' = J(1) − J(0)`).
//!
//! Why not only `IDACalcIC`: it keeps one Jacobian over several iterations and stops after a
//! few. At the start of an experiment step the algebraic unknowns of a battery model can be
//! far from their new values (a current switched on a nearly empty particle surface, a
//! constant-voltage hold taking over a current, the slow states moved by a cycle jump), in the
//! exponential tails of Butler–Volmer kinetics and of the open-circuit galleries, where a
//! Jacobian taken at the first iterate describes the later ones poorly; there it fails
//! (`IDA_NO_RECOVERY`, `IDA_LINESEARCH_FAIL`) on states a full Newton solves in a handful of
//! iterations (measured on the failing cases of docs/robustness.md). This iteration:
//! - re-evaluates the Jacobian and refactorises at every iterate (a few per step start; `∂F/∂y'`
//!   once per solve where the system says it depends on the differential components only);
//! - damps each correction `δ = −M⁻¹ F` by the natural monotonicity test (Deuflhard): a trial
//!   `z + λδ` is taken when its simplified correction `M⁻¹ F(z + λδ)` (same factorisation) is
//!   smaller than `(1 − λ/4)` times `δ` in the weighted norm (both measured with the error
//!   weights of `z`, held fixed through the damping), otherwise λ is halved; a trial
//!   where the model cannot be evaluated (a non-physical state) halves λ too;
//! - where that fails (no damped step descends, or no convergence), starts again with each
//!   correction scaled so that no algebraic unknown moves by more than the bound the system
//!   gives it ([`DaeSystem::newton_step_bounds`]; the P2D model bounds its surface potentials),
//!   so that an iteration whose first corrections leave the region where the linearisation
//!   holds walks toward the solution instead (suite seed 9, case 46: a 9.3C discharge at 0 °C
//!   after a hold at 4.3 V, whose first correction moved the surface potentials out of their
//!   galleries' window at every λ down to 1/1024). Cases the first iteration solves are
//!   unchanged;
//! - converges when the weighted RMS norm of the correction is below
//!   [`ConsistentInitOptions::tolerance`], with IDA's error weights `1/(rtol |y| + atol)`
//!   (the derivatives weighted by the same weights times [`ConsistentInitOptions::time_scale_s`]).

use crate::numerics::dae::{DaeSystem, EvalError, SparsityPattern};
use crate::numerics::sparse_lu::{LuError, SparseLu};

/// Settings of [`ConsistentInit::solve`].
#[derive(Debug, Clone, PartialEq)]
pub struct ConsistentInitOptions {
    /// Relative tolerance of the error weights \[-\].
    pub rtol: f64,
    /// Absolute tolerances of the error weights, one per unknown.
    pub atol: Vec<f64>,
    /// Convergence threshold of the weighted RMS correction \[-\]. Default 1e-3: three orders
    /// below IDA's own corrector test (0.33), so that the first step starts on the algebraic
    /// manifold rather than near it.
    pub tolerance: f64,
    /// Time scale \[s\] that turns a derivative correction into a state correction for the
    /// weighted norm. Default 1e-3 s.
    pub time_scale_s: f64,
    /// Maximum Newton iterations. Default 40.
    pub max_iterations: usize,
    /// Smallest damping factor tried before giving up. Default 1/1024.
    pub min_damping: f64,
}

impl ConsistentInitOptions {
    /// Options with the error weights of `rtol` and `atol` and the defaults above.
    pub fn new(rtol: f64, atol: Vec<f64>) -> Self {
        ConsistentInitOptions {
            rtol,
            atol,
            tolerance: 1e-3,
            time_scale_s: 1e-3,
            max_iterations: 40,
            min_damping: 1.0 / 1024.0,
        }
    }
}

/// Why the iteration did not find a consistent state.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConsistentInitError {
    /// The residual or Jacobian could not be evaluated at the starting state.
    #[error("the model cannot be evaluated at the starting state: {0}")]
    Start(EvalError),
    /// The Newton matrix could not be factorised (singular at an iterate).
    #[error("the Newton matrix is singular at iteration {iteration}: {error}")]
    Singular {
        /// Newton iteration (from 0).
        iteration: usize,
        /// The factorisation's error.
        error: LuError,
    },
    /// No damped step reduced the correction.
    #[error(
        "no damped Newton step reduced the correction at iteration {iteration} (weighted correction {correction:.3e}; last evaluation: {last})"
    )]
    NoDescent {
        /// Newton iteration (from 0).
        iteration: usize,
        /// Weighted RMS correction there.
        correction: f64,
        /// The last evaluation's failure, or "ok".
        last: String,
    },
    /// The iteration limit was reached.
    #[error("no convergence in {iterations} iterations (weighted correction {correction:.3e})")]
    NotConverged {
        /// Iterations done.
        iterations: usize,
        /// Weighted RMS correction at the end.
        correction: f64,
    },
}

/// Work space of the iteration, kept between calls (the symbolic LU analysis is done once).
pub struct ConsistentInit {
    pattern: SparsityPattern,
    lu: SparseLu,
    j0: Vec<f64>,
    j1: Vec<f64>,
    matrix: Vec<f64>,
    residual: Vec<f64>,
    /// The starting state (y, y') of a solve, for the bounded retry.
    start_y: Vec<f64>,
    start_yp: Vec<f64>,
}

impl std::fmt::Debug for ConsistentInit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsistentInit")
            .field("n", &self.pattern.n)
            .finish()
    }
}

impl ConsistentInit {
    /// Work space for systems with the Jacobian pattern `pattern`.
    pub fn new(pattern: SparsityPattern) -> Result<Self, LuError> {
        let lu = SparseLu::new(&pattern)?;
        let nnz = pattern.nnz();
        let n = pattern.n;
        Ok(ConsistentInit {
            pattern,
            lu,
            j0: vec![0.0; nnz],
            j1: vec![0.0; nnz],
            matrix: vec![0.0; nnz],
            residual: vec![0.0; n],
            start_y: vec![0.0; n],
            start_yp: vec![0.0; n],
        })
    }

    /// Forgets the factorisation's pivot sequence: the next factorisation is a full one. A
    /// refactorisation reuses the pivots of an earlier matrix, so its rounding depends on the
    /// history; callers that must repeat a computation exactly from a state (a resumed run)
    /// call this where that history starts.
    pub fn forget_factorization(&mut self) {
        self.lu.forget();
    }

    /// The pivot sequence the next factorisation tries to reuse (see
    /// [`SparseLu::pivot_sequence`]); `None` if it will be a full one.
    pub fn pivot_sequence(&self) -> Option<Vec<usize>> {
        self.lu.pivot_sequence().map(<[usize]>::to_vec)
    }

    /// Restores a pivot sequence from [`ConsistentInit::pivot_sequence`], or forgets the
    /// current one with `None`.
    pub fn restore_pivot_sequence(&mut self, row_perm: Option<&[usize]>) -> Result<(), LuError> {
        self.lu.restore_pivot_sequence(row_perm)
    }

    /// Solves for consistent algebraic `y` and differential `y'` at time `t`, in place, for
    /// the components marked by `differential` (see the module documentation). Returns the
    /// number of Newton iterations.
    pub fn solve<S: DaeSystem>(
        &mut self,
        system: &mut S,
        t: f64,
        y: &mut [f64],
        yp: &mut [f64],
        differential: &[bool],
        options: &ConsistentInitOptions,
    ) -> Result<usize, ConsistentInitError> {
        self.start_y.copy_from_slice(y);
        self.start_yp.copy_from_slice(yp);
        let first = self.iterate(system, t, y, yp, differential, options, None);
        let failed = matches!(
            first,
            Err(ConsistentInitError::NoDescent { .. } | ConsistentInitError::NotConverged { .. })
        );
        if !failed {
            return first;
        }
        // The undamped corrections left the region where the linearisation holds: walk
        // toward the solution with steps the system bounds, if it bounds any.
        let mut bounds = vec![f64::INFINITY; self.pattern.n];
        system.newton_step_bounds(&mut bounds);
        if bounds.iter().all(|b| b.is_infinite()) {
            return first;
        }
        y.copy_from_slice(&self.start_y);
        yp.copy_from_slice(&self.start_yp);
        let bounded = ConsistentInitOptions {
            max_iterations: BOUNDED_ITERATIONS_PER_ITERATION * options.max_iterations,
            ..options.clone()
        };
        match self.iterate(system, t, y, yp, differential, &bounded, Some(&bounds)) {
            Ok(iterations) => Ok(iterations),
            Err(_) => {
                y.copy_from_slice(&self.start_y);
                yp.copy_from_slice(&self.start_yp);
                first
            }
        }
    }

    /// The damped Newton iteration of [`Self::solve`]; with `bounds`, each correction is
    /// first scaled so that no algebraic unknown moves by more than its bound.
    #[allow(clippy::too_many_arguments)]
    fn iterate<S: DaeSystem>(
        &mut self,
        system: &mut S,
        t: f64,
        y: &mut [f64],
        yp: &mut [f64],
        differential: &[bool],
        options: &ConsistentInitOptions,
        bounds: Option<&[f64]>,
    ) -> Result<usize, ConsistentInitError> {
        let n = self.pattern.n;
        // Error weights of an iterate, held fixed through its damping: both sides of the
        // monotonicity test are measured in the same norm. Weights taken at each trial would
        // grow as a potential moves toward zero (1/(rtol |y| + atol)) faster than its
        // correction shrinks, and reject every λ (a current reversal at a step start moves
        // the electrolyte and counter-electrode potentials through zero: suite seed 2, case 288).
        let weights = |y: &[f64], w: &mut [f64]| {
            for (k, w) in w.iter_mut().enumerate() {
                let base = 1.0 / (options.rtol * y[k].abs() + options.atol[k]);
                *w = if differential[k] {
                    base * options.time_scale_s
                } else {
                    base
                };
            }
        };
        let norm = |d: &[f64], w: &[f64]| -> f64 {
            let s: f64 = d.iter().zip(w).map(|(v, w)| (v * w).powi(2)).sum();
            (s / n.max(1) as f64).sqrt()
        };
        let mut weight = vec![0.0; n];
        system
            .residual(t, y, yp, &mut self.residual)
            .map_err(ConsistentInitError::Start)?;
        let mut delta = vec![0.0; n];
        let mut trial_y = y.to_vec();
        let mut trial_yp = yp.to_vec();
        let mut trial_r = vec![0.0; n];
        let mut correction = f64::INFINITY;
        let mut derivative_ready = false;
        for iteration in 0..options.max_iterations {
            self.factorize(system, t, y, yp, differential, &mut derivative_ready)
                .map_err(|e| match e {
                    Factor::Eval(e) => ConsistentInitError::Start(e),
                    Factor::Lu(error) => ConsistentInitError::Singular { iteration, error },
                })?;
            // δ = −M⁻¹ F.
            delta.copy_from_slice(&self.residual);
            self.lu
                .solve_in_place(&mut delta)
                .map_err(|error| ConsistentInitError::Singular { iteration, error })?;
            delta.iter_mut().for_each(|d| *d = -*d);
            weights(y, &mut weight);
            correction = norm(&delta, &weight);
            if correction <= options.tolerance {
                apply(y, yp, &delta, 1.0, differential);
                system
                    .residual(t, y, yp, &mut self.residual)
                    .map_err(ConsistentInitError::Start)?;
                return Ok(iteration + 1);
            }
            let mut lambda = bounds.map_or(1.0, |b| step_bound(&delta, b, differential));
            let mut last = String::from("ok");
            loop {
                if lambda < options.min_damping {
                    return Err(ConsistentInitError::NoDescent {
                        iteration,
                        correction,
                        last,
                    });
                }
                trial_y.copy_from_slice(y);
                trial_yp.copy_from_slice(yp);
                apply(&mut trial_y, &mut trial_yp, &delta, lambda, differential);
                match system.residual(t, &trial_y, &trial_yp, &mut trial_r) {
                    Ok(()) => {
                        let mut simplified = trial_r.clone();
                        if self.lu.solve_in_place(&mut simplified).is_ok()
                            && norm(&simplified, &weight) <= (1.0 - 0.25 * lambda) * correction
                        {
                            break;
                        }
                        last = String::from("ok");
                    }
                    Err(e) => last = e.to_string(),
                }
                lambda *= 0.5;
            }
            y.copy_from_slice(&trial_y);
            yp.copy_from_slice(&trial_yp);
            self.residual.copy_from_slice(&trial_r);
        }
        Err(ConsistentInitError::NotConverged {
            iterations: options.max_iterations,
            correction,
        })
    }

    /// Builds and factorises the Newton matrix at (`y`, `y'`). `∂F/∂y'` is kept in `j1`; once
    /// `derivative_ready` (set here when the system's [`DaeSystem::derivative_jacobian_fixed`]),
    /// later iterates of the same solve reuse it: the iteration changes neither the
    /// differential components nor, then, that matrix (one Jacobian per iterate instead of two).
    fn factorize<S: DaeSystem>(
        &mut self,
        system: &mut S,
        t: f64,
        y: &[f64],
        yp: &[f64],
        differential: &[bool],
        derivative_ready: &mut bool,
    ) -> Result<(), Factor> {
        system
            .jacobian(t, 0.0, y, yp, &mut self.j0)
            .map_err(Factor::Eval)?;
        if !*derivative_ready {
            system
                .jacobian(t, 1.0, y, yp, &mut self.j1)
                .map_err(Factor::Eval)?;
            for (d, j0) in self.j1.iter_mut().zip(&self.j0) {
                *d -= j0;
            }
            *derivative_ready = system.derivative_jacobian_fixed();
        }
        for (col, &is_differential) in differential.iter().enumerate() {
            let range = self.pattern.col_ptr[col]..self.pattern.col_ptr[col + 1];
            for p in range {
                self.matrix[p] = if is_differential {
                    self.j1[p]
                } else {
                    self.j0[p]
                };
            }
        }
        self.lu.factorize(&self.matrix).map_err(Factor::Lu)
    }
}

enum Factor {
    Eval(EvalError),
    Lu(LuError),
}

/// Iterations the bounded retry may take per iteration of the undamped one: bounded steps are
/// short.
const BOUNDED_ITERATIONS_PER_ITERATION: usize = 4;

/// The largest λ ≤ 1 for which no algebraic unknown of `z + λ δ` moves by more than its bound.
fn step_bound(delta: &[f64], bounds: &[f64], differential: &[bool]) -> f64 {
    delta
        .iter()
        .zip(bounds)
        .zip(differential)
        .filter(|(_, &is_differential)| !is_differential)
        .fold(1.0_f64, |lambda, ((d, b), _)| {
            if d.abs() > *b {
                lambda.min(b / d.abs())
            } else {
                lambda
            }
        })
}

/// `z += λ δ`: algebraic components of `y`, derivatives of the differential ones.
fn apply(y: &mut [f64], yp: &mut [f64], delta: &[f64], lambda: f64, differential: &[bool]) {
    for (k, d) in delta.iter().enumerate() {
        if differential[k] {
            yp[k] += lambda * d;
        } else {
            y[k] += lambda * d;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// y0' = −y0 + y1, 0 = y1 − exp(y0) + 2 (algebraic y1), a small index-1 DAE.
    struct Toy;

    impl DaeSystem for Toy {
        fn len(&self) -> usize {
            2
        }
        fn differential(&self) -> Vec<bool> {
            vec![true, false]
        }
        fn residual(
            &mut self,
            _t: f64,
            y: &[f64],
            yp: &[f64],
            r: &mut [f64],
        ) -> Result<(), EvalError> {
            r[0] = yp[0] + y[0] - y[1];
            r[1] = y[1] - y[0].exp() + 2.0;
            Ok(())
        }
        fn jacobian_pattern(&self) -> SparsityPattern {
            SparsityPattern::from_entries(2, [(0, 0), (1, 0), (0, 1), (1, 1)])
        }
        fn jacobian(
            &mut self,
            _t: f64,
            c_j: f64,
            y: &[f64],
            _yp: &[f64],
            v: &mut [f64],
        ) -> Result<(), EvalError> {
            let pat = self.jacobian_pattern();
            let mut set = |r: usize, c: usize, x: f64| {
                if let Some(p) = pat.position(r, c) {
                    v[p] = x;
                }
            };
            set(0, 0, 1.0 + c_j);
            set(1, 0, -y[0].exp());
            set(0, 1, -1.0);
            set(1, 1, 1.0);
            Ok(())
        }
    }

    /// 0 = atan(s (y − y*)), one algebraic unknown whose root lies across zero from the start.
    struct Steep {
        slope: f64,
        root: f64,
    }

    impl DaeSystem for Steep {
        fn len(&self) -> usize {
            1
        }
        fn differential(&self) -> Vec<bool> {
            vec![false]
        }
        fn residual(
            &mut self,
            _t: f64,
            y: &[f64],
            _yp: &[f64],
            r: &mut [f64],
        ) -> Result<(), EvalError> {
            r[0] = (self.slope * (y[0] - self.root)).atan();
            Ok(())
        }
        fn jacobian_pattern(&self) -> SparsityPattern {
            SparsityPattern::from_entries(1, [(0, 0)])
        }
        fn jacobian(
            &mut self,
            _t: f64,
            _c_j: f64,
            y: &[f64],
            _yp: &[f64],
            v: &mut [f64],
        ) -> Result<(), EvalError> {
            let x = self.slope * (y[0] - self.root);
            v[0] = self.slope / (1.0 + x * x);
            Ok(())
        }
    }

    #[test]
    fn damping_measures_both_corrections_in_the_same_weights() {
        // From y = 0.02 toward the root at −0.018 the full Newton step overshoots far into the
        // flat tail of the arctangent; the damped steps that the monotonicity test accepts move
        // y toward zero, where relative error weights 1/(rtol |y| + atol) grow faster than the
        // correction shrinks. Weights taken at each trial rejected every λ (the start of a
        // discharge after a 7.7C charge, suite seed 2, case 288); the iterate's weights accept
        // λ = 1/64 and converge.
        let mut steep = Steep {
            slope: 1000.0,
            root: -0.018,
        };
        let mut init = ConsistentInit::new(steep.jacobian_pattern()).unwrap();
        let (mut y, mut yp) = (vec![0.02], vec![0.0]);
        let options = ConsistentInitOptions::new(1e-4, vec![1e-12]);
        init.solve(&mut steep, 0.0, &mut y, &mut yp, &[false], &options)
            .unwrap();
        assert!((y[0] + 0.018).abs() < 1e-8, "{}", y[0]);
    }

    #[test]
    fn a_bounded_step_moves_no_algebraic_unknown_past_its_bound() {
        // The second unknown (algebraic, bound 0.05) would move 0.2: λ = 1/4; a differential
        // component is never bounded, an unbounded one never limits.
        let delta = [10.0, -0.2, 3.0];
        let bounds = [f64::INFINITY, 0.05, 0.01];
        let differential = [false, false, true];
        assert!((step_bound(&delta, &bounds, &differential) - 0.25).abs() < 1e-15);
        assert_eq!(step_bound(&[0.01, 0.01, 5.0], &bounds, &differential), 1.0);
    }

    #[test]
    fn finds_the_algebraic_state_and_the_derivative() {
        let mut toy = Toy;
        let mut init = ConsistentInit::new(toy.jacobian_pattern()).unwrap();
        let (mut y, mut yp) = (vec![1.5, -40.0], vec![7.0, 0.0]);
        let options = ConsistentInitOptions::new(1e-8, vec![1e-10; 2]);
        let iterations = init
            .solve(&mut toy, 0.0, &mut y, &mut yp, &[true, false], &options)
            .unwrap();
        assert_eq!(y[0], 1.5, "the differential state is kept");
        let y1 = 1.5f64.exp() - 2.0;
        assert!((y[1] - y1).abs() < 1e-9, "{}", y[1]);
        assert!((yp[0] - (y1 - 1.5)).abs() < 1e-9, "{}", yp[0]);
        assert!(iterations <= 3);
    }
}
