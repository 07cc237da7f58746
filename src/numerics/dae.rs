//! The interface between a model and the DAE solver.
//!
//! A fully implicit DAE `F(t, y, y') = 0` is described by its residual, a fixed Jacobian
//! sparsity pattern (compressed sparse column) and the values of the iteration matrix
//! `J = ∂F/∂y + c_j ∂F/∂y'` on that pattern, in the style of diffsol's problem traits.

use std::sync::Arc;

/// Why a residual, Jacobian or root evaluation did not produce a value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvalError {
    /// The state is outside the model's domain (for example a negative concentration). The
    /// solver treats this as recoverable and retries with a smaller step.
    #[error("non-physical state: {0}")]
    NonPhysical(ModelError),
    /// Something the solver cannot recover from.
    #[error("{0}")]
    Fatal(ModelError),
}

/// The error a model (or the solver's own callback layer) gives for an evaluation, kept as
/// its own type: this layer cannot name the models' error types, so it holds them behind
/// `dyn Error` and hands them back with [`ModelError::downcast_ref`] (the P2D model's
/// `NonPhysicalState`, the callbacks' `CallbackFault`). A plain message (`"…".into()`) is
/// for systems without an error type of their own, such as the tests' small DAEs. Cloning
/// shares the error; two compare equal when their messages do.
#[derive(Debug, Clone)]
pub struct ModelError(Arc<dyn std::error::Error + Send + Sync + 'static>);

impl ModelError {
    /// Wraps a model's own error.
    pub fn new<E: std::error::Error + Send + Sync + 'static>(error: E) -> Self {
        ModelError(Arc::new(error))
    }

    /// The model's own error, if it is an `E`.
    pub fn downcast_ref<E: std::error::Error + 'static>(&self) -> Option<&E> {
        self.0.downcast_ref::<E>()
    }
}

impl std::fmt::Display for ModelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl PartialEq for ModelError {
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
    }
}

/// A plain message as a model error (see [`ModelError`]).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Message(String);

impl From<&str> for ModelError {
    fn from(text: &str) -> Self {
        ModelError::new(Message(text.to_string()))
    }
}

impl From<String> for ModelError {
    fn from(text: String) -> Self {
        ModelError::new(Message(text))
    }
}

/// A square sparsity pattern in compressed sparse column form: the row indices of column `j`
/// are `row_idx[col_ptr[j]..col_ptr[j + 1]]`, strictly increasing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SparsityPattern {
    /// Number of rows and columns.
    pub n: usize,
    /// Column pointers, length `n + 1`.
    pub col_ptr: Vec<usize>,
    /// Row indices, length `col_ptr[n]`.
    pub row_idx: Vec<usize>,
}

impl SparsityPattern {
    /// Builds a pattern from (row, column) pairs; duplicates are merged.
    pub fn from_entries(n: usize, entries: impl IntoIterator<Item = (usize, usize)>) -> Self {
        let mut cols: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (r, c) in entries {
            assert!(r < n && c < n, "sparsity entry ({r}, {c}) outside {n}x{n}");
            cols[c].push(r);
        }
        let mut col_ptr = Vec::with_capacity(n + 1);
        let mut row_idx = Vec::new();
        col_ptr.push(0);
        for mut rows in cols {
            rows.sort_unstable();
            rows.dedup();
            row_idx.extend_from_slice(&rows);
            col_ptr.push(row_idx.len());
        }
        SparsityPattern {
            n,
            col_ptr,
            row_idx,
        }
    }

    /// Number of stored entries.
    pub fn nnz(&self) -> usize {
        self.row_idx.len()
    }

    /// Position of entry (row, col) in the value array, if it is part of the pattern.
    pub fn position(&self, row: usize, col: usize) -> Option<usize> {
        let (a, b) = (self.col_ptr[col], self.col_ptr[col + 1]);
        self.row_idx[a..b].binary_search(&row).ok().map(|k| a + k)
    }
}

/// A differential-algebraic system `F(t, y, y') = 0` of fixed size.
pub trait DaeSystem {
    /// Number of unknowns (and equations).
    fn len(&self) -> usize;

    /// Whether the system has no unknowns.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `true` for components whose time derivative appears in the residual (differential),
    /// `false` for algebraic ones. Used for consistent initialisation and error control.
    fn differential(&self) -> Vec<bool>;

    /// Evaluates the residual `r = F(t, y, y')`.
    fn residual(&mut self, t: f64, y: &[f64], yp: &[f64], r: &mut [f64]) -> Result<(), EvalError>;

    /// The fixed sparsity pattern of `∂F/∂y + c_j ∂F/∂y'`.
    fn jacobian_pattern(&self) -> SparsityPattern;

    /// Writes the values of `∂F/∂y + c_j ∂F/∂y'` into `values`, in the order of
    /// [`DaeSystem::jacobian_pattern`]: every one of them (set, not added to: callers do not
    /// zero the array first, and it holds the previous evaluation's values).
    fn jacobian(
        &mut self,
        t: f64,
        c_j: f64,
        y: &[f64],
        yp: &[f64],
        values: &mut [f64],
    ) -> Result<(), EvalError>;

    /// Whether `∂F/∂y'` depends on the differential components of `y` only (not on the
    /// algebraic ones, nor on `y'`): consistent initialisation, which changes neither, then
    /// evaluates it once per solve. `false` (the default) makes no such assumption.
    fn derivative_jacobian_fixed(&self) -> bool {
        false
    }

    /// Whether the residual last evaluated found that the last iteration matrix
    /// ([`DaeSystem::jacobian`]) overstates a derivative that steers the solution by a large
    /// factor, so that a modified Newton with it would take corrections far too small and could
    /// accept a state whose algebraic rows are still violated. The solver then takes a new
    /// matrix at the same step size. `false` (the default): the solver's own tests decide.
    fn jacobian_outdated(&self) -> bool {
        false
    }

    /// Whether [`DaeSystem::tolerance_scale`] replaces |y| in the solver's error weights.
    /// `false` (the default) keeps the standard weights `1 / (rtol |y_i| + atol_i)`.
    fn scales_tolerances(&self) -> bool {
        false
    }

    /// The size against which the relative tolerance measures each unknown's error, in place
    /// of |y_i|: the error weights become `1 / (rtol · scale_i + atol_i)`, used by the local
    /// error test and the corrector's convergence test alike. Called only when
    /// [`DaeSystem::scales_tolerances`] is `true`, after every accepted step. The default is
    /// |y_i|. A model overrides it for unknowns that must be resolved relative to a bound other
    /// than zero: a stoichiometry next to the full end of its window is resolved only as well
    /// as the vacancies it has left.
    fn tolerance_scale(&self, y: &[f64], scale: &mut [f64]) {
        for (s, v) in scale.iter_mut().zip(y) {
            *s = v.abs();
        }
    }

    /// The largest change a Newton correction of consistent initialisation may make to each
    /// algebraic unknown in one iteration, written into `bound` (one entry per unknown, set to
    /// infinity by the caller: no bound). Used only where the undamped iteration fails
    /// ([`crate::numerics::consistent_init`]): its first corrections can be far out of the
    /// region where the linearisation holds (an exponential tail), and a bounded step then
    /// walks toward the solution instead. The default bounds nothing.
    fn newton_step_bounds(&self, _bound: &mut [f64]) {}

    /// Number of root (event) functions. Must stay constant for the life of a solver.
    fn num_roots(&self) -> usize {
        0
    }

    /// Evaluates the root functions; the solver stops where one of them changes sign.
    fn roots(&mut self, _t: f64, _y: &[f64], _yp: &[f64], _g: &mut [f64]) -> Result<(), EvalError> {
        Ok(())
    }
}
