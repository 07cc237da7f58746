//! Sparse direct LU factorisation with a fixed sparsity pattern, built on `faer`.
//!
//! The symbolic analysis (COLAMD fill-reducing column ordering, from faer) is done once in
//! [`SparseLu::new`]. [`SparseLu::factorize`] then computes the numeric factors
//! `P A Q = L U` and [`SparseLu::solve_in_place`] solves with them. This is the usage pattern of
//! an implicit DAE solver, whose iteration matrix keeps its pattern and changes its values.
//!
//! Design notes:
//! - **Full factorisation** (first call, and fallback): faer's left-looking simplicial LU with
//!   partial pivoting. It is sequential by construction (faer's simplicial kernels take no
//!   `Par` argument; the supernodal ones, which would, are not used), which is what systems of
//!   a few hundred to a few thousand unknowns want: threads only cost. The simplicial variant
//!   was measured 2–3 times faster than faer's supernodal one on P2D-like patterns
//!   (n = 500–1750), and it exposes `U`, so zero pivots can be detected (faer only reports
//!   *structurally* singular matrices).
//! - **Refactorisation** (later calls, like KLU's `klu_refactor`): the row permutation and the
//!   patterns of `L` and `U` of the last full factorisation are reused, and only the numbers
//!   are recomputed (no depth-first searches, no pivot search). Each reused pivot must satisfy
//!   `|u_jj| >= PIVOT_TOLERANCE · max_i |candidate_ij|` (so `|l_ij| <= 1000`); if one does not,
//!   or is zero, a full factorisation with fresh partial pivoting is done instead. After each
//!   full factorisation the left-looking refactorisation is compiled into a flat program on
//!   one factor array (every scatter position and update index resolved in advance), whose
//!   elimination steps run in dependency-level order so that independent chains (the
//!   particles of a P2D model) overlap instead of forming one chain of dependent divisions.
//! - **Solve**: sparse forward/backward substitution as two flat programs in level order,
//!   in place on the right-hand side (no permutation passes, see `SolvePlan`).
//! - **No bounds checks** in the solve and refactorisation programs: their indices are checked
//!   once when a pivot sequence's plan is built (`RefactorPlan::indexes_within`, and the solve
//!   operations against `n`), and the arrays' lengths at every call. The checks were four of
//!   the fifteen instructions of each solve operation: 2.08 → 1.51 µs per solve of the
//!   verification cell (`cargo bench --bench p2d -- "LU solve"`), 9 % of the instructions of a
//!   cycling run (benches/README.md). This module is the crate's only `unsafe` outside `ida`.
//! - **No allocation** after the first factorisation, except when a fallback factorisation
//!   produces more fill than any earlier one (the factor storage then grows once). Solves
//!   never allocate.

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::sparse::linalg::lu::simplicial::{self, SimplicialLu};
use faer::sparse::linalg::lu::{factorize_symbolic_lu, LuSymbolicParams, SymbolicLu};
use faer::sparse::linalg::{LuError as FaerLuError, SupernodalThreshold};
use faer::sparse::{SparseColMatRef, SymbolicSparseColMat};

use crate::numerics::dae::SparsityPattern;

/// Minimum ratio `|pivot| / max |candidate|` accepted when a refactorisation reuses the pivot
/// sequence of the last full factorisation; below it a full factorisation is done.
pub const PIVOT_TOLERANCE: f64 = 1e-3;

/// Why a sparse LU operation failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LuError {
    /// The sparsity pattern is not a valid square CSC pattern. (The reason is data, not a
    /// source: the message shows it once.)
    #[error("invalid sparsity pattern: {0}")]
    InvalidPattern(InvalidPattern),
    /// A value or right-hand-side slice has the wrong length.
    #[error("length mismatch: expected {expected} entries, got {got}")]
    LengthMismatch {
        /// Expected length.
        expected: usize,
        /// Length that was passed.
        got: usize,
    },
    /// A matrix entry is NaN or infinite.
    #[error("matrix entry {position} (row {row}, column {col}) is not finite")]
    NonFiniteValue {
        /// Position in the value array.
        position: usize,
        /// Row of the entry.
        row: usize,
        /// Column of the entry.
        col: usize,
    },
    /// The matrix is (numerically or structurally) singular: no non-zero pivot was found at
    /// this step of the elimination (column of the column-permuted matrix).
    #[error("matrix is singular: no non-zero pivot at elimination step {step}")]
    Singular {
        /// Elimination step (column of the permuted matrix) where no pivot was found.
        step: usize,
    },
    /// [`SparseLu::solve_in_place`] was called without a successful factorisation.
    #[error("no valid factorisation (factorize failed or was never called)")]
    NotFactorized,
    /// The solution contains NaN or infinite values (the matrix is numerically singular).
    #[error("solution is not finite (matrix numerically singular)")]
    NonFiniteSolution,
    /// Memory allocation failed.
    #[error("out of memory in sparse LU")]
    OutOfMemory,
    /// A solve or refactorisation program indexes outside its arrays (an internal error: the
    /// programs are built to stay inside them, and checked once when built, because they run
    /// without bounds checks).
    #[error("internal error: a sparse LU program indexes outside its arrays")]
    InconsistentPlan,
    /// A pivot sequence to restore ([`SparseLu::restore_pivot_sequence`]) is not one of this
    /// pattern's: not a permutation of the rows, or a pivot outside the nonzeros its column
    /// can have at its elimination step.
    #[error("pivot sequence not valid for this matrix pattern: {reason}")]
    InvalidPivotSequence {
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// Why a sparsity pattern is not a valid square CSC pattern ([`LuError::InvalidPattern`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidPattern {
    /// `col_ptr` does not have `n + 1` entries.
    #[error("col_ptr has length {len}, expected n + 1 = {expected}")]
    ColPtrLength {
        /// Length of `col_ptr`.
        len: usize,
        /// `n + 1`.
        expected: usize,
    },
    /// `col_ptr[0]` is not 0.
    #[error("col_ptr[0] = {first}, expected 0")]
    ColPtrStart {
        /// `col_ptr[0]`.
        first: usize,
    },
    /// `col_ptr[n]` is not the number of entries.
    #[error("col_ptr[n] = {last} but row_idx has length {entries}")]
    ColPtrEnd {
        /// `col_ptr[n]`.
        last: usize,
        /// Length of `row_idx`.
        entries: usize,
    },
    /// More entries than faer's signed index type can represent.
    #[error("too many entries")]
    TooManyEntries,
    /// `col_ptr[col + 1] < col_ptr[col]`.
    #[error("col_ptr decreases at column {col}")]
    ColPtrDecreases {
        /// The column.
        col: usize,
    },
    /// A row index is not below `n`.
    #[error("row index {row} out of range in column {col} (n = {n})")]
    RowOutOfRange {
        /// The row index.
        row: usize,
        /// Its column.
        col: usize,
        /// The dimension.
        n: usize,
    },
    /// The row indices of a column are not strictly increasing (unsorted or repeated).
    #[error("row indices of column {col} are not strictly increasing")]
    RowsNotIncreasing {
        /// The column.
        col: usize,
    },
}

impl From<InvalidPattern> for LuError {
    fn from(reason: InvalidPattern) -> Self {
        LuError::InvalidPattern(reason)
    }
}

/// A sparse LU factorisation `P A Q = L U` of square matrices sharing one sparsity pattern.
///
/// Create it once per pattern with [`SparseLu::new`], then call [`SparseLu::factorize`] with new
/// values as often as needed and [`SparseLu::solve_in_place`] after each successful
/// factorisation.
pub struct SparseLu {
    n: usize,
    /// Owned copy of the pattern, in faer's form.
    pattern: SymbolicSparseColMat<usize>,
    /// faer's symbolic analysis (holds the column permutation for full factorisations).
    symbolic: SymbolicLu<usize>,
    /// Fill-reducing column permutation: column `j` of `A Q` is column `col_perm[j]` of `A`.
    col_perm: Vec<usize>,
    /// faer's numeric factors, used for full factorisations.
    faer_lu: SimplicialLu<usize, f64>,
    /// Row permutation of the last full factorisation: row `k` of `P A` is row `row_perm[k]`
    /// of `A`.
    row_perm: Vec<usize>,
    /// Inverse row permutation: row `i` of `A` is row `row_perm_inv[i]` of `P A`.
    row_perm_inv: Vec<usize>,
    /// The factors of the current factorisation, in one array laid out by [`FactorLayout`]:
    /// the strictly lower part of `L` in forward-substitution order, then the strictly upper
    /// part of `Ũ = U D⁻¹` (columns of `U` divided by their pivots) in backward-substitution
    /// order, then the pivots `u_jj`.
    factor: Vec<f64>,
    /// `1 / u_jj`, in the refactorisation's order of the elimination steps (see
    /// [`PivotPlan::step_col`]).
    inv_pivot: Vec<f64>,
    /// `1 / u_jj` by the position `row_perm[j]` at which the substitutions leave unknown `j`
    /// (see [`SolvePlan`]).
    solve_scale: Vec<f64>,
    /// The layout and programs of the current pivot sequence.
    plan: PivotPlan,
    /// Plans of earlier pivot sequences, most recently used first (at most
    /// `PLAN_CACHE - 1`): a full factorisation that ends with one of these pivot sequences
    /// (the iteration matrix of a cycling cell alternates between a few) only loads its
    /// values into the factor array.
    spare_plans: Vec<PivotPlan>,
    /// Unused plans, whose allocations the next new pivot sequences reuse.
    free_plans: Vec<PivotPlan>,
    /// Whether `free_plans` has been stocked (after the first plan was built).
    plans_reserved: bool,
    /// Scratch for building a plan.
    scratch: PlanScratch,
    /// Scratch memory for faer.
    mem: MemBuffer,
    /// Whether the refactorisation program of the current pivot sequence may be run.
    has_structure: bool,
    factorized: bool,
    pivot_ratio: f64,
    full_factorizations: u64,
    refactorizations: u64,
}

/// Number of pivot sequences whose plans are kept (the current one included).
const PLAN_CACHE: usize = 4;

/// Everything that depends only on the pattern and the pivot sequence of a full
/// factorisation: where each factor entry lives, and the solve and refactorisation programs.
#[derive(Debug, Default)]
struct PivotPlan {
    /// Whether the plan has been built (an empty plan matches no pivot sequence).
    built: bool,
    /// The row permutation this plan belongs to.
    row_perm: Vec<usize>,
    /// Where each part of the factor array starts.
    layout: FactorLayout,
    /// Pivot-order row of each entry of the `L` and `Ũ` parts of the factor array.
    slot_row: Vec<u32>,
    /// Factor-array ranges of column `j` of `L` and of `U` (strictly lower / upper parts).
    columns: Vec<ColumnSlots>,
    /// The elimination steps in refactorisation order (by dependency level, see
    /// [`RefactorPlan`]): `step_col[k]` is the column of the `k`-th. Its pivot is entry `k` of
    /// the pivot part of the factor array, and of `inv_pivot`.
    step_col: Vec<u32>,
    /// Inverse of `step_col`: the position of column `j` in that order.
    step_of: Vec<u32>,
    /// Per position `k` of that order: `row_perm[step_col[k]]`, where the solve leaves the
    /// unknown of that step (see [`SolvePlan`]).
    pivot_pos: Vec<u32>,
    /// The forward and backward substitutions.
    solve: SolvePlan,
    /// The numeric refactorisation.
    refactor: RefactorPlan,
    /// Whether `refactor` is usable (see [`build_refactor_plan`]).
    can_refactor: bool,
}

impl PivotPlan {
    /// An unbuilt plan whose buffers can hold a plan like `other` (with some room to spare)
    /// without growing.
    fn with_capacity_like(other: &PivotPlan) -> Self {
        fn room<T, U>(like: &[U]) -> Vec<T> {
            Vec::with_capacity(2 * like.len() + 16)
        }
        PivotPlan {
            built: false,
            row_perm: Vec::with_capacity(other.row_perm.len()),
            layout: FactorLayout::default(),
            slot_row: room(&other.slot_row),
            columns: Vec::with_capacity(other.columns.len()),
            step_col: Vec::with_capacity(other.columns.len()),
            step_of: Vec::with_capacity(other.columns.len()),
            pivot_pos: Vec::with_capacity(other.columns.len()),
            solve: SolvePlan {
                l_ops: room(&other.solve.l_ops),
                u_ops: room(&other.solve.u_ops),
                moves: Vec::with_capacity(other.row_perm.len()),
                move_buf: Vec::with_capacity(other.row_perm.len()),
            },
            refactor: RefactorPlan {
                a_slot: Vec::with_capacity(other.refactor.a_slot.len()),
                ops: room(&other.refactor.ops),
                l_entries: room(&other.refactor.l_entries),
                u_entries: room(&other.refactor.u_entries),
                levels: Vec::with_capacity(other.columns.len()),
            },
            can_refactor: false,
        }
    }
}

/// Offsets of the three parts of [`SparseLu`]'s factor array.
#[derive(Debug, Default, Clone, Copy)]
struct FactorLayout {
    /// Number of strictly lower entries of `L` (they start at 0).
    l_len: usize,
    /// Start of the strictly upper entries of `Ũ`.
    u_start: usize,
    /// Start of the pivots (one per elimination step).
    diag_start: usize,
}

/// Factor-array ranges `[start, end)` of one column of `L` and of `U`.
#[derive(Debug, Default, Clone, Copy)]
struct ColumnSlots {
    l: (usize, usize),
    u: (usize, usize),
}

/// The two triangular substitutions as flat programs in level order: operation `k` of the
/// forward program is `x[t] −= L_k · x[s]` with `L_k` the `k`-th entry of the `L` part of the
/// factor array, and likewise for the backward program with `Ũ`. Only the factor values change
/// between factorisations with the same pivot sequence; the programs do not.
///
/// The solve runs in place on the right-hand side `b`, with no permutation pass: the entry of
/// pivot-order row `k` (`(P b)_k = b[row_perm[k]]`) is kept at position `row_perm[k]`, so the
/// programs index positions `row_perm[·]`. After both substitutions and the division by the
/// pivots, unknown `j` of `A Q`, which belongs at position `col_perm[j]`, is at position
/// `row_perm[j]`: the same position wherever the pivot was taken on the diagonal of `A Q`, and
/// [`SolvePlan::moves`] carries the few others.
#[derive(Debug, Default)]
struct SolvePlan {
    /// `(t, s)` of each forward operation.
    l_ops: Vec<[u32; 2]>,
    /// `(t, s)` of each backward operation.
    u_ops: Vec<[u32; 2]>,
    /// `(from, to)` = `(row_perm[j], col_perm[j])` for every step `j` whose two differ.
    moves: Vec<(u32, u32)>,
    /// Scratch for the values being moved.
    move_buf: Vec<f64>,
}

/// The numeric refactorisation of a fixed pivot sequence, as a flat program on the factor
/// array (a left-looking LU with every index resolved in advance).
///
/// Elimination step `j` needs the columns of `L` in the pattern of `U(:, j)`; the steps are
/// grouped by that dependency level, and each level runs as four flat loops: its updates,
/// the pivot test of its candidates, the reciprocals of its pivots, and the division of its
/// columns of `L` and `U` by their pivots. Independent elimination chains (the particles of a
/// P2D model) are thereby interleaved, their divisions overlap instead of forming one long
/// latency chain, and there is no per-column loop overhead. Each factor entry goes through
/// the same operations, in the same order, as in a column-by-column left-looking LU.
#[derive(Debug, Default, Clone)]
struct RefactorPlan {
    /// Factor-array position of each entry of `A` (in the order of the pattern).
    a_slot: Vec<u32>,
    /// The updates `f[t] −= f[l] · f[u]` of all elimination steps, level after level.
    ops: Vec<UpdateOp>,
    /// `(entry, k)`: each entry of `L` (a pivot candidate of step `k`, which it is divided by),
    /// level after level.
    l_entries: Vec<(u32, u32)>,
    /// `(entry, k)`: each entry of `U` (divided by the pivot of step `k` to give `Ũ`), level
    /// after level.
    u_entries: Vec<(u32, u32)>,
    /// Where each level's part of the lists above ends.
    levels: Vec<LevelPlan>,
}

impl RefactorPlan {
    /// Whether every index of the program lies inside a factor array of `factor_len` values
    /// and `n` pivots, and the levels partition the lists (what [`SparseLu::refactor`]'s
    /// unchecked accesses rely on).
    fn indexes_within(&self, factor_len: usize, n: usize) -> bool {
        let f = |i: u32| (i as usize) < factor_len;
        let entry = |&(s, k): &(u32, u32)| f(s) && (k as usize) < n;
        let mut end = LevelPlan {
            ops: 0,
            steps: 0,
            l_entries: 0,
            u_entries: 0,
        };
        let levels_ok = self.levels.iter().all(|level| {
            let ok = end.ops <= level.ops
                && end.steps <= level.steps
                && end.l_entries <= level.l_entries
                && end.u_entries <= level.u_entries;
            end = *level;
            ok
        });
        levels_ok
            && end.ops <= self.ops.len()
            && end.steps <= n
            && end.l_entries <= self.l_entries.len()
            && end.u_entries <= self.u_entries.len()
            && self.a_slot.iter().all(|&s| f(s))
            && self.ops.iter().all(|op| f(op.t) && f(op.l) && f(op.u))
            && self.l_entries.iter().all(entry)
            && self.u_entries.iter().all(entry)
    }
}

/// The end (exclusive) of one dependency level's part of each list of a [`RefactorPlan`]
/// (each starts where the previous level's ends).
#[derive(Debug, Clone, Copy)]
struct LevelPlan {
    ops: usize,
    /// Its elimination steps, in [`PivotPlan::step_col`] order.
    steps: usize,
    l_entries: usize,
    u_entries: usize,
}

/// One update `f[t] −= f[l] · f[u]` of a [`RefactorPlan`] (`l` an entry of `L`, `u` one of
/// `U`, `t` the entry of the current column they update).
#[derive(Debug, Clone, Copy)]
struct UpdateOp {
    t: u32,
    l: u32,
    u: u32,
}

/// Scratch for building a [`PivotPlan`]: the factors extracted from faer in CSC form (rows in
/// pivot order, ascending in each column of `U`), level schedules and slot maps. Kept between
/// factorisations only to reuse the allocations.
#[derive(Debug, Default)]
struct PlanScratch {
    l_col_ptr: Vec<usize>,
    l_row: Vec<usize>,
    l_val: Vec<f64>,
    u_col_ptr: Vec<usize>,
    u_row: Vec<usize>,
    u_val: Vec<f64>,
    /// The pivots `u_jj` of a full factorisation, and their reciprocals.
    pivots: Vec<f64>,
    inv: Vec<f64>,
    /// Order in which the forward substitution visits the columns of `L`: by dependency
    /// level, so that independent chains (for example the separate particles of a P2D model)
    /// are interleaved and the processor can overlap them; see [`solve_levels`].
    l_order: Vec<usize>,
    /// Order in which the backward substitution visits the columns of `U`, by level likewise.
    u_order: Vec<usize>,
    /// The order of the elimination steps in the refactorisation (by dependency level), and
    /// the level of each step (by column).
    step_order: Vec<usize>,
    step_level: Vec<usize>,
    level: Vec<usize>,
    /// Counting-sort buckets for [`sort_by_level`].
    buckets: Vec<usize>,
    /// Columns in their natural visiting order, before sorting by level.
    natural: Vec<usize>,
    sort: Vec<(usize, f64)>,
    /// Factor-array position of each entry of the CSC `L` / `U` above.
    l_slot: Vec<u32>,
    u_slot: Vec<u32>,
    /// Per pivot-order row: its factor-array position in the column being processed.
    mark: Vec<u32>,
}

/// Marks a row absent from the column being processed.
const NO_SLOT: u32 = u32::MAX;

impl std::fmt::Debug for SparseLu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SparseLu")
            .field("n", &self.n)
            .field("nnz", &self.nnz())
            .field("factorized", &self.factorized)
            .field("factor_nnz", &self.factor_nnz())
            .field("pivot_ratio", &self.pivot_ratio)
            .field("full_factorizations", &self.full_factorizations)
            .field("refactorizations", &self.refactorizations)
            .finish_non_exhaustive()
    }
}

impl SparseLu {
    /// Validates `pattern` and performs the symbolic analysis (COLAMD column ordering) once.
    pub fn new(pattern: &SparsityPattern) -> Result<Self, LuError> {
        validate_pattern(pattern)?;
        let n = pattern.n;
        let pattern_faer = SymbolicSparseColMat::new_checked(
            n,
            n,
            pattern.col_ptr.clone(),
            None,
            pattern.row_idx.clone(),
        );
        let params = LuSymbolicParams {
            supernodal_flop_ratio_threshold: SupernodalThreshold::FORCE_SIMPLICIAL,
            ..Default::default()
        };
        let symbolic = factorize_symbolic_lu(pattern_faer.as_ref(), params)
            .map_err(|_| LuError::OutOfMemory)?;
        let col_perm = symbolic.col_perm().arrays().0.to_vec();
        let req = simplicial::factorize_simplicial_numeric_lu_scratch::<usize, f64>(n, n);
        let mem = MemBuffer::try_new(req).map_err(|_| LuError::OutOfMemory)?;
        Ok(SparseLu {
            n,
            pattern: pattern_faer,
            symbolic,
            col_perm,
            faer_lu: SimplicialLu::new(),
            row_perm: vec![0; n],
            row_perm_inv: vec![0; n],
            factor: Vec::new(),
            inv_pivot: vec![0.0; n],
            solve_scale: vec![0.0; n],
            plan: PivotPlan::default(),
            spare_plans: Vec::with_capacity(PLAN_CACHE),
            free_plans: Vec::with_capacity(PLAN_CACHE),
            plans_reserved: false,
            scratch: PlanScratch::default(),
            mem,
            has_structure: false,
            factorized: false,
            pivot_ratio: 0.0,
            full_factorizations: 0,
            refactorizations: 0,
        })
    }

    /// Dimension of the matrix.
    pub fn dim(&self) -> usize {
        self.n
    }

    /// Number of stored entries of the pattern (the expected length of `values`).
    pub fn nnz(&self) -> usize {
        self.pattern.row_idx().len()
    }

    /// Number of stored entries of `L` plus `U` (diagonals included) of the current
    /// factorisation (a measure of fill-in), or 0 if there is none.
    pub fn factor_nnz(&self) -> usize {
        if self.factorized {
            self.plan.layout.diag_start + 2 * self.n
        } else {
            0
        }
    }

    /// Whether the last call to [`SparseLu::factorize`] succeeded.
    pub fn is_factorized(&self) -> bool {
        self.factorized
    }

    /// `min |u_jj| / max |u_jj|` of the current factorisation: a cheap, crude indicator of the
    /// reciprocal condition number (the quantity KLU reports as `rcond`). 0 if not factorised.
    pub fn pivot_ratio(&self) -> f64 {
        if self.factorized {
            self.pivot_ratio
        } else {
            0.0
        }
    }

    /// Number of full factorisations (with pivot search) done so far.
    pub fn full_factorizations(&self) -> u64 {
        self.full_factorizations
    }

    /// Number of successful refactorisations that reused the previous pivot sequence.
    pub fn refactorizations(&self) -> u64 {
        self.refactorizations
    }

    /// Forgets the current factorisation and its pivot sequence: the next
    /// [`SparseLu::factorize`] is a full factorisation with fresh partial pivoting.
    pub fn forget(&mut self) {
        self.has_structure = false;
        self.factorized = false;
    }

    /// The pivot sequence the next [`SparseLu::factorize`] will try to reuse, as the row
    /// permutation of its full factorisation (row `k` of `P A` is row `row_perm[k]` of `A`),
    /// or `None` if the next factorisation is a full one (after [`SparseLu::forget`], or
    /// before the first).
    ///
    /// With the matrix values, this is all a factorisation depends on: a caller that stores
    /// it and restores it with [`SparseLu::restore_pivot_sequence`] gets the same factors as
    /// if the LU had gone on (the cache of earlier sequences changes the cost, not the result).
    pub fn pivot_sequence(&self) -> Option<&[usize]> {
        (self.has_structure && self.plan.built).then_some(self.plan.row_perm.as_slice())
    }

    /// Makes `row_perm` (from [`SparseLu::pivot_sequence`]) the pivot sequence the next
    /// [`SparseLu::factorize`] tries first, forgetting the current factorisation; `None` (no
    /// sequence to reuse) is [`SparseLu::forget`]. A sequence that is neither current nor
    /// cached gets its plan from the factors' patterns alone ([`SparseLu::symbolic_factors`]).
    pub fn restore_pivot_sequence(&mut self, row_perm: Option<&[usize]>) -> Result<(), LuError> {
        let invalid = |reason| Err(LuError::InvalidPivotSequence { reason });
        self.forget();
        let Some(row_perm) = row_perm else {
            return Ok(());
        };
        let n = self.n;
        if row_perm.len() != n {
            return invalid("wrong length");
        }
        let mut seen = vec![false; n];
        for &r in row_perm {
            if r >= n || std::mem::replace(&mut seen[r], true) {
                return invalid("not a permutation of the rows");
            }
        }
        if self.select_plan(row_perm) {
            self.has_structure = self.plan.can_refactor;
            return Ok(());
        }
        self.row_perm.copy_from_slice(row_perm);
        for (k, &r) in row_perm.iter().enumerate() {
            self.row_perm_inv[r] = k;
        }
        self.symbolic_factors()?;
        self.plan_from_factors()?;
        // Its (zero) factors are no factorisation of the caller's: `factorized` stays false.
        self.has_structure = self.plan.can_refactor;
        Ok(())
    }

    /// Computes the numeric LU factors of the matrix whose values, in the order of the pattern
    /// given to [`SparseLu::new`], are `values`. Reuses the symbolic analysis, the previous
    /// pivot sequence when it is still acceptable, and the preallocated workspace.
    ///
    /// Fails (without panicking) on a length mismatch, non-finite entries or a singular
    /// matrix; the previous factorisation is then invalidated.
    pub fn factorize(&mut self, values: &[f64]) -> Result<(), LuError> {
        self.factorized = false;
        let nnz = self.nnz();
        if values.len() != nnz {
            return Err(LuError::LengthMismatch {
                expected: nnz,
                got: values.len(),
            });
        }
        // A branch-free pass (vectorised); the position is looked for only on failure.
        if !values.iter().fold(true, |ok, v| ok & v.is_finite()) {
            let position = values.iter().position(|v| !v.is_finite()).unwrap_or(0);
            let col_ptr = self.pattern.col_ptr();
            // Last column starting at or before `position`.
            let col = col_ptr
                .partition_point(|&p| p <= position)
                .saturating_sub(1);
            let row = self.pattern.row_idx()[position];
            return Err(LuError::NonFiniteValue { position, row, col });
        }
        if self.has_structure && self.refactor(values) {
            self.refactorizations += 1;
        } else {
            self.full_factorize(values)?;
            self.full_factorizations += 1;
        }
        // The pivots are finite and non-zero here, so plain comparisons (which vectorise)
        // give the same extremes as NaN-aware `min`/`max`.
        let (mut min_piv, mut max_piv) = ([f64::INFINITY; 4], [0.0_f64; 4]);
        let pivots = self.factor[self.plan.layout.diag_start..].chunks_exact(4);
        let rest = pivots.remainder();
        for d in pivots {
            for k in 0..4 {
                let a = d[k].abs();
                min_piv[k] = if a < min_piv[k] { a } else { min_piv[k] };
                max_piv[k] = if a > max_piv[k] { a } else { max_piv[k] };
            }
        }
        let (mut min_piv, mut max_piv) = (
            min_piv.iter().fold(f64::INFINITY, |m, &a| m.min(a)),
            max_piv.iter().fold(0.0_f64, |m, &a| m.max(a)),
        );
        for d in rest {
            min_piv = min_piv.min(d.abs());
            max_piv = max_piv.max(d.abs());
        }
        self.pivot_ratio = if self.n == 0 { 1.0 } else { min_piv / max_piv };
        let scale = &mut self.solve_scale;
        for (&r, &d) in self.plan.pivot_pos.iter().zip(&self.inv_pivot) {
            scale[r as usize] = d;
        }
        self.factorized = true;
        Ok(())
    }

    /// Numeric refactorisation with the pivot sequence and the `L`/`U` patterns of the last
    /// full factorisation: runs the [`RefactorPlan`] (a left-looking LU with every position
    /// precomputed). Returns `false` if a pivot is unacceptable.
    fn refactor(&mut self, values: &[f64]) -> bool {
        let plan = &self.plan.refactor;
        let f = &mut self.factor;
        let inv = &mut self.inv_pivot;
        let diag_start = self.plan.layout.diag_start;
        // The program's indices were checked against these lengths when it was built
        // (`RefactorPlan::indexes_within`, which `can_refactor` requires); the arrays must
        // have them now.
        if f.len() != diag_start + self.n || inv.len() != self.n || !self.plan.can_refactor {
            return false;
        }
        // Fill-in positions start at zero; the positions of A's entries take their values.
        f.fill(0.0);
        for (&s, &v) in plan.a_slot.iter().zip(values) {
            // SAFETY: s < f.len() (checked above and when the plan was built).
            unsafe { *f.get_unchecked_mut(s as usize) = v };
        }
        let mut start = LevelPlan {
            ops: 0,
            steps: 0,
            l_entries: 0,
            u_entries: 0,
        };
        for level in &plan.levels {
            // U(0..j, j) and the candidates of column j: each update uses an entry of U in
            // column j that is already final (a step's updates run by ascending row of U).
            for op in &plan.ops[start.ops..level.ops] {
                // SAFETY: t, l, u < f.len(), as above. This loop is most of a
                // refactorisation; its bounds checks cost a third of it.
                unsafe {
                    let update = *f.get_unchecked(op.l as usize) * *f.get_unchecked(op.u as usize);
                    *f.get_unchecked_mut(op.t as usize) -= update;
                }
            }
            // Each pivot must be non-zero, finite (tested below) and at least PIVOT_TOLERANCE
            // times every candidate of its column (a NaN candidate is ignored, as by a
            // maximum).
            let mut acceptable = true;
            for &(s, k) in &plan.l_entries[start.l_entries..level.l_entries] {
                // SAFETY: s < f.len() and k < n, so diag_start + k < f.len(), as above.
                let (pivot, candidate) = unsafe {
                    (
                        *f.get_unchecked(diag_start + k as usize),
                        *f.get_unchecked(s as usize),
                    )
                };
                let bound = PIVOT_TOLERANCE * candidate.abs();
                acceptable &= bound <= pivot.abs() || bound.is_nan();
            }
            for k in start.steps..level.steps {
                let pivot = f[diag_start + k];
                acceptable &= pivot != 0.0 && pivot.is_finite();
                inv[k] = 1.0 / pivot;
            }
            if !acceptable {
                return false;
            }
            // L(:, j) = candidates / pivot. U(:, j) has been used (left-looking: later columns
            // only read L), so it can be scaled to Ũ(:, j) for the backward substitution.
            let entries = plan.l_entries[start.l_entries..level.l_entries]
                .iter()
                .chain(&plan.u_entries[start.u_entries..level.u_entries]);
            for &(s, k) in entries {
                // SAFETY: s < f.len(), k < n = inv.len(), as above.
                unsafe { *f.get_unchecked_mut(s as usize) *= *inv.get_unchecked(k as usize) };
            }
            start = *level;
        }
        true
    }

    /// Makes the plan of pivot sequence `row_perm` current: the current plan or a cached one
    /// if either is of that sequence (returns `true`), else an unbuilt plan to build it into
    /// (returns `false`): the least recently used one when the cache is full, or a
    /// preallocated spare, the previous current plan joining the cache.
    fn select_plan(&mut self, row_perm: &[usize]) -> bool {
        if self.plan.built && self.plan.row_perm == row_perm {
            return true;
        }
        if let Some(c) = self.spare_plans.iter().position(|p| p.row_perm == row_perm) {
            let mut plan = self.spare_plans.remove(c);
            std::mem::swap(&mut self.plan, &mut plan);
            self.spare_plans.insert(0, plan);
            return true;
        }
        let recycled = if self.spare_plans.len() + 1 >= PLAN_CACHE {
            self.spare_plans.pop()
        } else {
            None
        }
        .or_else(|| self.free_plans.pop())
        .unwrap_or_default();
        let previous = std::mem::replace(&mut self.plan, recycled);
        if previous.built && PLAN_CACHE > 1 {
            self.spare_plans.insert(0, previous);
        } else if previous.built {
            self.free_plans.push(previous);
        }
        false
    }

    /// Full factorisation with partial pivoting by faer, then its factors loaded into the
    /// factor array, with the plan of its pivot sequence (from the cache, else built).
    fn full_factorize(&mut self, values: &[f64]) -> Result<(), LuError> {
        self.has_structure = false;
        let a = SparseColMatRef::new(self.pattern.as_ref(), values);
        let stack = MemStack::new(&mut self.mem);
        simplicial::factorize_simplicial_numeric_lu(
            &mut self.row_perm,
            &mut self.row_perm_inv,
            &mut self.faer_lu,
            a,
            self.symbolic.col_perm(),
            stack,
        )
        .map_err(|e| match e {
            FaerLuError::SymbolicSingular { index } => LuError::Singular { step: index },
            FaerLuError::Generic(_) => LuError::OutOfMemory,
        })?;
        // faer's U has its rows in pivot order, unsorted, with the pivot last. faer picks the
        // largest candidate as pivot even when it is zero: detect that here.
        let u = self.faer_lu.u_factor_unsorted();
        self.scratch.pivots.resize(self.n, 0.0);
        self.scratch.inv.resize(self.n, 0.0);
        for j in 0..self.n {
            let pivot = u
                .row_idx_of_col_raw(j)
                .iter()
                .zip(u.val_of_col(j))
                .find(|e| *e.0 == j)
                .map_or(0.0, |e| *e.1);
            if pivot == 0.0 || !pivot.is_finite() {
                return Err(LuError::Singular { step: j });
            }
            self.scratch.pivots[j] = pivot;
            self.scratch.inv[j] = 1.0 / pivot;
        }

        // The plan of this pivot sequence: the current one, a cached one, or a new one.
        let row_perm = std::mem::take(&mut self.row_perm);
        let cached = self.select_plan(&row_perm);
        self.row_perm = row_perm;
        if !(cached && self.load_full_factors()) {
            self.build_plan()?;
            if !self.plans_reserved {
                // Sized like the first plan (with room to spare), so that the plans of later
                // pivot sequences usually need no allocation.
                self.plans_reserved = true;
                for _ in 1..PLAN_CACHE {
                    self.free_plans
                        .push(PivotPlan::with_capacity_like(&self.plan));
                }
            }
        }
        // The pivots, in the plan's order of the elimination steps.
        let diag = &mut self.factor[self.plan.layout.diag_start..];
        for ((&j, d), inv) in self.plan.step_col.iter().zip(diag).zip(&mut self.inv_pivot) {
            *d = self.scratch.pivots[j as usize];
            *inv = self.scratch.inv[j as usize];
        }
        self.has_structure = self.plan.can_refactor;
        Ok(())
    }

    /// Loads faer's factors into the factor array laid out by the current plan, which was
    /// built for the same pivot sequence. Returns `false` (and the plan must be rebuilt) if the
    /// factors' pattern is not the plan's.
    fn load_full_factors(&mut self) -> bool {
        let plan = &self.plan;
        let layout = plan.layout;
        let mark = &mut self.scratch.mark;
        mark.clear();
        mark.resize(self.n, NO_SLOT);
        self.factor.resize(layout.diag_start + self.n, 0.0);
        let f = &mut self.factor;
        let (l, u) = (
            self.faer_lu.l_factor_unsorted(),
            self.faer_lu.u_factor_unsorted(),
        );
        let mut consistent = true;
        for (j, col) in plan.columns.iter().enumerate() {
            for s in (col.l.0..col.l.1).chain(col.u.0..col.u.1) {
                mark[plan.slot_row[s] as usize] = s as u32;
            }
            // faer's L has its unit diagonal in each column; rows below j are L's, those above
            // j in U are U's: each must have a slot in the right range, and the counts must
            // match (rows are distinct, so the map is then one-to-one).
            let mut found = (0, 0);
            for (&i, &v) in l.row_idx_of_col_raw(j).iter().zip(l.val_of_col(j)) {
                if i != j {
                    let s = mark[i] as usize;
                    consistent &= i > j && (col.l.0..col.l.1).contains(&s);
                    if consistent {
                        f[s] = v;
                    }
                    found.0 += 1;
                }
            }
            for (&k, &v) in u.row_idx_of_col_raw(j).iter().zip(u.val_of_col(j)) {
                if k != j {
                    let s = mark[k] as usize;
                    consistent &= k < j && (col.u.0..col.u.1).contains(&s);
                    if consistent {
                        f[s] = v * self.scratch.inv[j];
                    }
                    found.1 += 1;
                }
            }
            consistent &= found == (col.l.1 - col.l.0, col.u.1 - col.u.0);
            for s in (col.l.0..col.l.1).chain(col.u.0..col.u.1) {
                mark[plan.slot_row[s] as usize] = NO_SLOT;
            }
            if !consistent {
                return false;
            }
        }
        consistent && plan.columns.len() == self.n
    }

    /// Builds the plan of the pivot sequence of faer's current factors into `self.plan` and
    /// loads the factors into the factor array.
    fn build_plan(&mut self) -> Result<(), LuError> {
        self.extract_faer_factors();
        self.plan_from_factors()
    }

    /// Copies the patterns and values of faer's current factors into the scratch (`L`
    /// strictly lower, `U` strictly upper with sorted rows, both in pivot order).
    fn extract_faer_factors(&mut self) {
        let n = self.n;
        let sc = &mut self.scratch;
        // faer's L has the unit diagonal first in each column and its rows in pivot order.
        let l = self.faer_lu.l_factor_unsorted();
        sc.l_col_ptr.clear();
        sc.l_col_ptr.push(0);
        sc.l_row.clear();
        sc.l_val.clear();
        for j in 0..n {
            for (&i, &v) in l.row_idx_of_col_raw(j).iter().zip(l.val_of_col(j)) {
                if i != j {
                    sc.l_row.push(i);
                    sc.l_val.push(v);
                }
            }
            sc.l_col_ptr.push(sc.l_row.len());
        }
        // U without its pivots, rows sorted in each column.
        let u = self.faer_lu.u_factor_unsorted();
        sc.u_col_ptr.clear();
        sc.u_col_ptr.push(0);
        sc.u_row.clear();
        sc.u_val.clear();
        for j in 0..n {
            sc.sort.clear();
            for (&k, &v) in u.row_idx_of_col_raw(j).iter().zip(u.val_of_col(j)) {
                if k != j {
                    sc.sort.push((k, v));
                }
            }
            sc.sort.sort_unstable_by_key(|e| e.0);
            for &(k, v) in &sc.sort {
                sc.u_row.push(k);
                sc.u_val.push(v);
            }
            sc.u_col_ptr.push(sc.u_row.len());
        }
    }

    /// The patterns of the factors of the pivot sequence `self.row_perm` (with the fixed
    /// column order), computed without values, into the scratch as
    /// [`SparseLu::extract_faer_factors`] leaves faer's: column `k` of `P A Q` has the
    /// nonzeros reachable from its entries through the columns of `L` already known (the
    /// structure of Gilbert and Peierls' left-looking LU, which is how faer computes its
    /// factors); the positions before `k` are `U`'s, those after `k` `L`'s. Values are zero and
    /// the pivots one: a plan built from them serves a refactorisation. Fails if a pivot is
    /// not in its column's reach (the sequence cannot occur).
    fn symbolic_factors(&mut self) -> Result<(), LuError> {
        let n = self.n;
        let sc = &mut self.scratch;
        let col_ptr = self.pattern.col_ptr();
        let rows = self.pattern.row_idx();
        // Pivot position of each row of A, and the DFS marks and stack.
        let position = &self.row_perm_inv;
        sc.mark.clear();
        sc.mark.resize(n, NO_SLOT);
        sc.natural.clear();
        sc.l_col_ptr.clear();
        sc.l_col_ptr.push(0);
        sc.l_row.clear();
        sc.u_col_ptr.clear();
        sc.u_col_ptr.push(0);
        sc.u_row.clear();
        let mut reach = std::mem::take(&mut sc.buckets);
        for (k, &col) in self.col_perm.iter().enumerate() {
            reach.clear();
            let stamp = k as u32;
            for &r in &rows[col_ptr[col]..col_ptr[col + 1]] {
                let start = position[r];
                if sc.mark[start] == stamp {
                    continue;
                }
                sc.mark[start] = stamp;
                sc.natural.push(start);
                while let Some(i) = sc.natural.pop() {
                    reach.push(i);
                    if i < k {
                        for &t in &sc.l_row[sc.l_col_ptr[i]..sc.l_col_ptr[i + 1]] {
                            if sc.mark[t] != stamp {
                                sc.mark[t] = stamp;
                                sc.natural.push(t);
                            }
                        }
                    }
                }
            }
            reach.sort_unstable();
            if reach.binary_search(&k).is_err() {
                sc.buckets = reach;
                return Err(LuError::InvalidPivotSequence {
                    reason: "a pivot outside its column's reach",
                });
            }
            sc.u_row.extend(reach.iter().copied().filter(|&i| i < k));
            sc.u_col_ptr.push(sc.u_row.len());
            sc.l_row.extend(reach.iter().copied().filter(|&i| i > k));
            sc.l_col_ptr.push(sc.l_row.len());
        }
        sc.buckets = reach;
        sc.l_val.clear();
        sc.l_val.resize(sc.l_row.len(), 0.0);
        sc.u_val.clear();
        sc.u_val.resize(sc.u_row.len(), 0.0);
        sc.pivots.clear();
        sc.pivots.resize(n, 1.0);
        sc.inv.clear();
        sc.inv.resize(n, 1.0);
        Ok(())
    }

    /// Builds the plan of the pivot sequence `self.row_perm` from the factors in the scratch
    /// into `self.plan`, and loads them into the factor array.
    fn plan_from_factors(&mut self) -> Result<(), LuError> {
        let n = self.n;
        let sc = &mut self.scratch;
        let plan = &mut self.plan;
        plan.built = false;
        let (l_len, u_len) = (sc.l_row.len(), sc.u_row.len());
        // Positions in the factor array are u32 (and so are the unknowns' indices).
        if l_len + u_len + n >= NO_SLOT as usize {
            return Err(LuError::OutOfMemory);
        }
        plan.layout = FactorLayout {
            l_len,
            u_start: l_len,
            diag_start: l_len + u_len,
        };
        plan.row_perm.clone_from(&self.row_perm);
        plan.columns.clear();
        plan.columns.resize(n, ColumnSlots::default());
        plan.slot_row.clear();
        plan.slot_row.resize(l_len + u_len, 0);
        // The programs work at positions row_perm[·] (see `SolvePlan`).
        let row_perm = &self.row_perm;
        let position = |i: usize| row_perm[i] as u32;
        plan.solve.moves.clear();
        for (&r, &c) in self.row_perm.iter().zip(&self.col_perm) {
            if r != c {
                plan.solve.moves.push((r as u32, c as u32));
            }
        }
        let moves = plan.solve.moves.len();
        plan.solve.move_buf.resize(moves, 0.0);

        // The order of the elimination steps in the refactorisation: by dependency level
        // (step j needs the columns of L in the pattern of U(:, j)).
        sc.level.clear();
        sc.level.resize(n, 0);
        for j in 0..n {
            for &k in &sc.u_row[sc.u_col_ptr[j]..sc.u_col_ptr[j + 1]] {
                sc.level[j] = sc.level[j].max(sc.level[k] + 1);
            }
        }
        sc.natural.clear();
        sc.natural.extend(0..n);
        sort_by_level(&sc.natural, &sc.level, &mut sc.buckets, &mut sc.step_order);
        sc.step_level.clone_from(&sc.level);
        plan.step_col.clear();
        plan.step_col
            .extend(sc.step_order.iter().map(|&j| j as u32));
        plan.step_of.clear();
        plan.step_of.resize(n, 0);
        for (k, &j) in sc.step_order.iter().enumerate() {
            plan.step_of[j] = k as u32;
        }
        plan.pivot_pos.clear();
        plan.pivot_pos
            .extend(sc.step_order.iter().map(|&j| self.row_perm[j] as u32));

        // Forward program and slots of L, in level order.
        solve_levels(
            &sc.l_col_ptr,
            &sc.l_row,
            0..n,
            LevelScratch {
                level: &mut sc.level,
                buckets: &mut sc.buckets,
                natural: &mut sc.natural,
            },
            &mut sc.l_order,
        );
        sc.l_slot.resize(l_len, 0);
        plan.solve.l_ops.clear();
        for &k in &sc.l_order {
            let start = plan.solve.l_ops.len();
            for p in sc.l_col_ptr[k]..sc.l_col_ptr[k + 1] {
                let s = plan.solve.l_ops.len();
                sc.l_slot[p] = s as u32;
                plan.slot_row[s] = sc.l_row[p] as u32;
                plan.solve.l_ops.push([position(sc.l_row[p]), position(k)]);
            }
            plan.columns[k].l = (start, plan.solve.l_ops.len());
        }
        // Backward program and slots of Ũ, in level order.
        solve_levels(
            &sc.u_col_ptr,
            &sc.u_row,
            (0..n).rev(),
            LevelScratch {
                level: &mut sc.level,
                buckets: &mut sc.buckets,
                natural: &mut sc.natural,
            },
            &mut sc.u_order,
        );
        sc.u_slot.resize(u_len, 0);
        plan.solve.u_ops.clear();
        for &j in &sc.u_order {
            let start = l_len + plan.solve.u_ops.len();
            for p in sc.u_col_ptr[j]..sc.u_col_ptr[j + 1] {
                let s = l_len + plan.solve.u_ops.len();
                sc.u_slot[p] = s as u32;
                plan.slot_row[s] = sc.u_row[p] as u32;
                plan.solve.u_ops.push([position(sc.u_row[p]), position(j)]);
            }
            plan.columns[j].u = (start, l_len + plan.solve.u_ops.len());
        }

        // The factor values of this factorisation.
        self.factor.resize(l_len + u_len + n, 0.0);
        for (&s, &v) in sc.l_slot.iter().zip(&sc.l_val) {
            self.factor[s as usize] = v;
        }
        for j in 0..n {
            for p in sc.u_col_ptr[j]..sc.u_col_ptr[j + 1] {
                self.factor[sc.u_slot[p] as usize] = sc.u_val[p] * sc.inv[j];
            }
        }

        plan.can_refactor = build_refactor_plan(
            &mut plan.refactor,
            sc,
            &plan.step_of,
            self.pattern.as_ref(),
            &self.col_perm,
            &self.row_perm_inv,
            l_len + u_len,
        );
        // The programs run without bounds checks (`solve_in_place`, `refactor`): every index
        // is checked here, once per pivot sequence.
        let factor_len = l_len + u_len + n;
        let within = |&[t, s]: &[u32; 2]| (t as usize) < n && (s as usize) < n;
        if !(plan.solve.l_ops.iter().all(within) && plan.solve.u_ops.iter().all(within)) {
            return Err(LuError::InconsistentPlan);
        }
        plan.can_refactor = plan.can_refactor && plan.refactor.indexes_within(factor_len, n);
        plan.built = true;
        Ok(())
    }

    /// Solves `A x = rhs` with the current factorisation, overwriting `rhs` with `x`.
    ///
    /// Returns [`LuError::NonFiniteSolution`] if the result contains NaN or infinities
    /// (numerically singular matrix); `rhs` is then garbage.
    pub fn solve_in_place(&mut self, rhs: &mut [f64]) -> Result<(), LuError> {
        if !self.factorized {
            return Err(LuError::NotFactorized);
        }
        if rhs.len() != self.n {
            return Err(LuError::LengthMismatch {
                expected: self.n,
                got: rhs.len(),
            });
        }
        let x = rhs;
        let f = &self.factor;
        let layout = self.plan.layout;
        let plan = &mut self.plan.solve;
        // L z = P b (unit lower triangular), then Ũ v = z (unit upper triangular), each as a
        // flat program in level order (see `solve_levels`): no per-column loop overhead, and
        // independent chains interleaved.
        //
        // Without bounds checks: every (t, s) was checked against n when the plan was built,
        // and x has n values (checked above). They were four of the fifteen instructions of
        // each operation, and the solve is the largest single cost of a cycling run
        // (benches/README.md).
        let (l_vals, u_vals) = (&f[..layout.l_len], &f[layout.u_start..layout.diag_start]);
        for (&[t, s], &v) in plan.l_ops.iter().zip(l_vals) {
            // SAFETY: t, s < n = x.len().
            unsafe { *x.get_unchecked_mut(t as usize) -= v * *x.get_unchecked(s as usize) };
        }
        for (&[t, s], &v) in plan.u_ops.iter().zip(u_vals) {
            // SAFETY: as above.
            unsafe { *x.get_unchecked_mut(t as usize) -= v * *x.get_unchecked(s as usize) };
        }
        // D⁻¹ v, still at positions row_perm[·] (a branch-free pass, vectorised).
        let mut finite = true;
        for (xi, &d) in x.iter_mut().zip(&self.solve_scale) {
            *xi *= d;
            finite &= xi.is_finite();
        }
        // x = Q D⁻¹ v: move the unknowns whose pivot was off the diagonal of A Q.
        for (buf, &(from, _)) in plan.move_buf.iter_mut().zip(&plan.moves) {
            *buf = x[from as usize];
        }
        for (&buf, &(_, to)) in plan.move_buf.iter().zip(&plan.moves) {
            x[to as usize] = buf;
        }
        if finite {
            Ok(())
        } else {
            Err(LuError::NonFiniteSolution)
        }
    }
}

/// Borrowed scratch of [`solve_levels`] and [`sort_by_level`].
struct LevelScratch<'a> {
    level: &'a mut Vec<usize>,
    buckets: &'a mut Vec<usize>,
    natural: &'a mut Vec<usize>,
}

/// Builds the [`RefactorPlan`] of the pivot sequence whose factors are in `sc` (CSC, rows in
/// pivot order, slots assigned, steps ordered by level in `sc.step_order` with their levels in
/// `sc.step_level`; `step_of[j]` is the position of step `j` in that order), for the pattern
/// `a` with column permutation `col_perm` and inverse row permutation `row_perm_inv`;
/// `diag_start` is where the pivots start in the factor array. Returns `false` if some update
/// or entry of `A` falls outside the factors' pattern (not expected from a left-looking LU,
/// whose column patterns are closed under the elimination; then no refactorisation is
/// attempted).
fn build_refactor_plan(
    plan: &mut RefactorPlan,
    sc: &mut PlanScratch,
    step_of: &[u32],
    a: faer::sparse::SymbolicSparseColMatRef<'_, usize>,
    col_perm: &[usize],
    row_perm_inv: &[usize],
    diag_start: usize,
) -> bool {
    let n = col_perm.len();
    let (a_col_ptr, a_row) = (a.col_ptr(), a.row_idx());
    plan.a_slot.resize(a_row.len(), 0);
    plan.ops.clear();
    plan.l_entries.clear();
    plan.u_entries.clear();
    plan.levels.clear();
    sc.mark.clear();
    sc.mark.resize(n, NO_SLOT);
    for (k, &j) in sc.step_order.iter().enumerate() {
        let (l0, l1) = (sc.l_col_ptr[j], sc.l_col_ptr[j + 1]);
        let (u0, u1) = (sc.u_col_ptr[j], sc.u_col_ptr[j + 1]);
        for p in u0..u1 {
            sc.mark[sc.u_row[p]] = sc.u_slot[p];
        }
        sc.mark[j] = (diag_start + step_of[j] as usize) as u32;
        for p in l0..l1 {
            sc.mark[sc.l_row[p]] = sc.l_slot[p];
        }
        let c = col_perm[j];
        for p in a_col_ptr[c]..a_col_ptr[c + 1] {
            let s = sc.mark[row_perm_inv[a_row[p]]];
            if s == NO_SLOT {
                return false;
            }
            plan.a_slot[p] = s;
        }
        // Rows of U ascending: each u_kj is final before it is used.
        for p in u0..u1 {
            let (row, u) = (sc.u_row[p], sc.u_slot[p]);
            for q in sc.l_col_ptr[row]..sc.l_col_ptr[row + 1] {
                let t = sc.mark[sc.l_row[q]];
                if t == NO_SLOT {
                    return false;
                }
                plan.ops.push(UpdateOp {
                    t,
                    l: sc.l_slot[q],
                    u,
                });
            }
        }
        let k32 = k as u32;
        plan.l_entries
            .extend(sc.l_slot[l0..l1].iter().map(|&s| (s, k32)));
        plan.u_entries
            .extend(sc.u_slot[u0..u1].iter().map(|&s| (s, k32)));
        // The level ends after its last step.
        let next = sc.step_order.get(k + 1);
        if next.is_none_or(|&next| sc.step_level[next] != sc.step_level[j]) {
            plan.levels.push(LevelPlan {
                ops: plan.ops.len(),
                steps: k + 1,
                l_entries: plan.l_entries.len(),
                u_entries: plan.u_entries.len(),
            });
        }
        for p in u0..u1 {
            sc.mark[sc.u_row[p]] = NO_SLOT;
        }
        sc.mark[j] = NO_SLOT;
        for p in l0..l1 {
            sc.mark[sc.l_row[p]] = NO_SLOT;
        }
    }
    true
}

/// Level schedule of a column-oriented triangular substitution with factor pattern
/// (`col_ptr`, `rows`), whose natural column order is `natural` (0..n forward for `L`,
/// n−1..0 backward for `U`).
///
/// A column has level 0 if no other column updates its entry, else one more than the highest
/// level among the columns that update it. `order` receives the columns sorted by level
/// (stably): a valid substitution order in which the columns of one level do not depend on
/// each other, so independent chains are interleaved.
fn solve_levels(
    col_ptr: &[usize],
    rows: &[usize],
    natural: impl Iterator<Item = usize>,
    scratch: LevelScratch<'_>,
    order: &mut Vec<usize>,
) {
    let n = col_ptr.len() - 1;
    let level = scratch.level;
    level.clear();
    level.resize(n, 0);
    scratch.natural.clear();
    for col in natural {
        scratch.natural.push(col);
        let next = level[col] + 1;
        for &r in &rows[col_ptr[col]..col_ptr[col + 1]] {
            level[r] = level[r].max(next);
        }
    }
    sort_by_level(scratch.natural, level, scratch.buckets, order);
}

/// Stable counting sort of `items` by `level[item]` into `order` (no allocation once the
/// buffers have grown).
fn sort_by_level(
    items: &[usize],
    level: &[usize],
    buckets: &mut Vec<usize>,
    order: &mut Vec<usize>,
) {
    let levels = items.iter().map(|&c| level[c] + 1).max().unwrap_or(0);
    buckets.clear();
    buckets.resize(levels + 1, 0);
    for &c in items {
        buckets[level[c] + 1] += 1;
    }
    for l in 0..levels {
        buckets[l + 1] += buckets[l];
    }
    order.clear();
    order.resize(items.len(), 0);
    for &c in items {
        let slot = &mut buckets[level[c]];
        order[*slot] = c;
        *slot += 1;
    }
}

/// Checks the invariants documented on [`SparsityPattern`] so faer never panics on them.
fn validate_pattern(p: &SparsityPattern) -> Result<(), LuError> {
    let bad = |reason: InvalidPattern| Err(LuError::InvalidPattern(reason));
    let n = p.n;
    if p.col_ptr.len() != n + 1 {
        return bad(InvalidPattern::ColPtrLength {
            len: p.col_ptr.len(),
            expected: n + 1,
        });
    }
    if p.col_ptr[0] != 0 {
        return bad(InvalidPattern::ColPtrStart {
            first: p.col_ptr[0],
        });
    }
    if p.col_ptr[n] != p.row_idx.len() {
        return bad(InvalidPattern::ColPtrEnd {
            last: p.col_ptr[n],
            entries: p.row_idx.len(),
        });
    }
    // faer's index type must be able to represent every index as a signed integer.
    if p.row_idx.len() > isize::MAX as usize {
        return bad(InvalidPattern::TooManyEntries);
    }
    for j in 0..n {
        let (a, b) = (p.col_ptr[j], p.col_ptr[j + 1]);
        if a > b {
            return bad(InvalidPattern::ColPtrDecreases { col: j });
        }
        let rows = &p.row_idx[a..b];
        if let Some(&r) = rows.iter().find(|&&r| r >= n) {
            return bad(InvalidPattern::RowOutOfRange { row: r, col: j, n });
        }
        if rows.windows(2).any(|w| w[0] >= w[1]) {
            return bad(InvalidPattern::RowsNotIncreasing { col: j });
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::needless_range_loop)] // index loops read best in dense reference algebra
mod tests {
    use super::*;

    /// Small deterministic pseudo-random generator (xorshift), to avoid a dependency.
    struct Rng(u64);
    impl Rng {
        fn next_f64(&mut self) -> f64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next_f64() * n as f64) as usize % n
        }
    }

    /// A random sparse pattern with a full diagonal plus `extra` off-diagonal entries per
    /// column on average.
    fn random_pattern(n: usize, extra: usize, rng: &mut Rng) -> SparsityPattern {
        let mut entries: Vec<(usize, usize)> = (0..n).map(|i| (i, i)).collect();
        for _ in 0..n * extra {
            entries.push((rng.below(n), rng.below(n)));
        }
        SparsityPattern::from_entries(n, entries)
    }

    /// Values making the matrix non-singular but not diagonally dominant in a trivial way
    /// (so that pivoting is actually exercised).
    fn random_values(p: &SparsityPattern, rng: &mut Rng) -> Vec<f64> {
        let mut v = Vec::with_capacity(p.nnz());
        for j in 0..p.n {
            for k in p.col_ptr[j]..p.col_ptr[j + 1] {
                let r = p.row_idx[k];
                let x = 2.0 * rng.next_f64() - 1.0;
                v.push(if r == j {
                    x + 0.5 * x.signum()
                } else {
                    3.0 * x
                });
            }
        }
        v
    }

    fn to_dense(p: &SparsityPattern, values: &[f64]) -> Vec<Vec<f64>> {
        let mut a = vec![vec![0.0; p.n]; p.n];
        for j in 0..p.n {
            for k in p.col_ptr[j]..p.col_ptr[j + 1] {
                a[p.row_idx[k]][j] = values[k];
            }
        }
        a
    }

    /// Dense Gaussian elimination with partial pivoting, as the reference.
    fn dense_solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Vec<f64> {
        let n = b.len();
        for k in 0..n {
            let p = (k..n)
                .max_by(|&i, &j| a[i][k].abs().total_cmp(&a[j][k].abs()))
                .unwrap();
            a.swap(k, p);
            b.swap(k, p);
            for i in k + 1..n {
                let f = a[i][k] / a[k][k];
                for j in k..n {
                    a[i][j] -= f * a[k][j];
                }
                b[i] -= f * b[k];
            }
        }
        let mut x = vec![0.0; n];
        for i in (0..n).rev() {
            let s: f64 = (i + 1..n).map(|j| a[i][j] * x[j]).sum();
            x[i] = (b[i] - s) / a[i][i];
        }
        x
    }

    fn matvec(p: &SparsityPattern, values: &[f64], x: &[f64]) -> Vec<f64> {
        let mut y = vec![0.0; p.n];
        for j in 0..p.n {
            for k in p.col_ptr[j]..p.col_ptr[j + 1] {
                y[p.row_idx[k]] += values[k] * x[j];
            }
        }
        y
    }

    fn max_rel_diff(a: &[f64], b: &[f64]) -> f64 {
        let scale = b.iter().fold(0.0_f64, |m, v| m.max(v.abs())).max(1e-300);
        a.iter()
            .zip(b)
            .fold(0.0_f64, |m, (x, y)| m.max((x - y).abs()))
            / scale
    }

    #[test]
    fn a_refactorisation_program_is_checked_against_its_arrays() {
        // What `refactor`'s unchecked accesses rely on: every index inside the factor array
        // and the pivots, and levels that partition the lists.
        let level = |ops, steps, l_entries, u_entries| LevelPlan {
            ops,
            steps,
            l_entries,
            u_entries,
        };
        let good = RefactorPlan {
            a_slot: vec![0, 4, 5],
            ops: vec![UpdateOp { t: 1, l: 0, u: 2 }],
            l_entries: vec![(0, 0)],
            u_entries: vec![(2, 1)],
            levels: vec![level(0, 1, 1, 0), level(1, 2, 1, 1)],
        };
        assert!(good.indexes_within(6, 2));
        assert!(!good.indexes_within(5, 2), "a_slot 5 outside 5 values");
        assert!(!good.indexes_within(6, 1), "step 1 outside 1 pivot");
        let mut bad = good.clone();
        bad.ops[0].u = 6;
        assert!(!bad.indexes_within(6, 2));
        let mut bad = good.clone();
        bad.levels = vec![level(1, 1, 1, 0), level(0, 2, 1, 1)];
        assert!(!bad.indexes_within(6, 2), "levels out of order");
        let mut bad = good;
        bad.levels.push(level(2, 2, 1, 1));
        assert!(
            !bad.indexes_within(6, 2),
            "a level past the end of the updates"
        );
    }

    #[test]
    fn matches_dense_solve_and_refactorizes() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for &(n, extra) in &[(1, 0), (5, 1), (40, 2), (200, 3)] {
            let p = random_pattern(n, extra, &mut rng);
            let mut lu = SparseLu::new(&p).unwrap();
            assert_eq!(lu.dim(), n);
            assert_eq!(lu.nnz(), p.nnz());
            // Several refactorisations with new values on the same pattern.
            for call in 1..=4 {
                let values = random_values(&p, &mut rng);
                lu.factorize(&values).unwrap();
                assert!(lu.is_factorized());
                assert!(lu.pivot_ratio() > 0.0 && lu.pivot_ratio() <= 1.0);
                assert!(lu.factor_nnz() >= n);
                let b: Vec<f64> = (0..n).map(|_| rng.next_f64() - 0.5).collect();
                let mut x = b.clone();
                lu.solve_in_place(&mut x).unwrap();
                let x_dense = dense_solve(to_dense(&p, &values), b.clone());
                assert!(
                    max_rel_diff(&x, &x_dense) < 1e-8,
                    "n = {n}: sparse and dense solutions differ"
                );
                let r = matvec(&p, &values, &x);
                assert!(max_rel_diff(&r, &b) < 1e-10, "n = {n}: residual too large");
                assert_eq!(lu.full_factorizations() + lu.refactorizations(), call);
                assert_eq!(lu.full_factorizations().min(1), 1);
            }
        }
    }

    #[test]
    fn refactorization_reuses_pivots_and_falls_back() {
        let mut rng = Rng(42);
        let n = 300;
        let p = random_pattern(n, 3, &mut rng);
        let base = random_values(&p, &mut rng);
        let mut lu = SparseLu::new(&p).unwrap();
        lu.factorize(&base).unwrap();
        assert_eq!((lu.full_factorizations(), lu.refactorizations()), (1, 0));
        // Small perturbations keep the pivot sequence acceptable: pure refactorisations.
        for k in 1..=5 {
            let values: Vec<f64> = base
                .iter()
                .map(|v| v * (1.0 + 1e-3 * (rng.next_f64() - 0.5)))
                .collect();
            lu.factorize(&values).unwrap();
            assert_eq!(lu.refactorizations(), k);
            let b: Vec<f64> = (0..n).map(|i| (i as f64).sin()).collect();
            let mut x = b.clone();
            lu.solve_in_place(&mut x).unwrap();
            let x_dense = dense_solve(to_dense(&p, &values), b);
            assert!(max_rel_diff(&x, &x_dense) < 1e-8);
        }
        assert_eq!(lu.full_factorizations(), 1);

        // A diagonally dominant matrix pivots on the diagonal; making the diagonal tiny makes
        // those pivots unacceptable, so a full factorisation with new pivots is done.
        let p2 = SparsityPattern::from_entries(2, [(0, 0), (1, 0), (0, 1), (1, 1)]);
        let mut lu = SparseLu::new(&p2).unwrap();
        lu.factorize(&[4.0, 1.0, 1.0, 4.0]).unwrap();
        lu.factorize(&[1e-12, 1.0, 1.0, 1e-12]).unwrap();
        assert_eq!((lu.full_factorizations(), lu.refactorizations()), (2, 0));
        let mut x = vec![1.0, 2.0];
        lu.solve_in_place(&mut x).unwrap();
        // [[1e-12, 1], [1, 1e-12]] x = [1, 2]  =>  x ≈ [2, 1]
        assert!((x[0] - 2.0).abs() < 1e-10 && (x[1] - 1.0).abs() < 1e-10);
        // The new pivots are reused for similar values.
        lu.factorize(&[2e-12, 1.0, 1.0, 3e-12]).unwrap();
        assert_eq!((lu.full_factorizations(), lu.refactorizations()), (2, 1));
        // A zero matrix fails the refactorisation and the full factorisation: singular.
        assert!(matches!(
            lu.factorize(&[0.0; 4]),
            Err(LuError::Singular { .. })
        ));
        lu.factorize(&[4.0, 1.0, 1.0, 4.0]).unwrap();
        let mut x = vec![5.0, 5.0];
        lu.solve_in_place(&mut x).unwrap();
        assert!((x[0] - 1.0).abs() < 1e-14 && (x[1] - 1.0).abs() < 1e-14);
    }

    #[test]
    fn a_restored_pivot_sequence_gives_the_factors_of_the_lu_it_was_taken_from() {
        // Two LUs of one pattern: the first factorises a matrix (fresh pivoting) and then a
        // second one (reusing those pivots); the second LU gets only the first's pivot
        // sequence and the second matrix. Their solutions must agree to the bit.
        let mut rng = Rng(7);
        for &(n, extra) in &[(6, 1), (60, 2), (300, 3)] {
            let p = random_pattern(n, extra, &mut rng);
            let first = random_values(&p, &mut rng);
            let second: Vec<f64> = first
                .iter()
                .map(|v| v * (1.0 + 1e-3 * (rng.next_f64() - 0.5)))
                .collect();
            let mut going_on = SparseLu::new(&p).unwrap();
            assert_eq!(going_on.pivot_sequence(), None);
            going_on.factorize(&first).unwrap();
            let sequence = going_on.pivot_sequence().unwrap().to_vec();
            going_on.factorize(&second).unwrap();
            assert_eq!(going_on.refactorizations(), 1);

            let mut restored = SparseLu::new(&p).unwrap();
            restored.restore_pivot_sequence(Some(&sequence)).unwrap();
            assert!(
                !restored.is_factorized(),
                "a restored sequence is not a factorisation"
            );
            assert_eq!(restored.pivot_sequence(), Some(sequence.as_slice()));
            restored.factorize(&second).unwrap();
            assert_eq!(
                (restored.full_factorizations(), restored.refactorizations()),
                (0, 1)
            );
            let b: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).cos()).collect();
            let (mut x, mut y) = (b.clone(), b.clone());
            going_on.solve_in_place(&mut x).unwrap();
            restored.solve_in_place(&mut y).unwrap();
            assert!(
                x.iter().zip(&y).all(|(a, b)| a.to_bits() == b.to_bits()),
                "n = {n}: solutions differ"
            );
            // Forgetting leaves no sequence to store.
            restored.forget();
            assert_eq!(restored.pivot_sequence(), None);
        }
    }

    #[test]
    fn a_pivot_sequence_that_does_not_fit_is_refused() {
        // [[a, b], [0, d]]: row 1 has no entry in column 0, so it cannot be the first pivot.
        let p = SparsityPattern::from_entries(2, [(0, 0), (0, 1), (1, 1)]);
        let mut lu = SparseLu::new(&p).unwrap();
        for (bad, reason) in [
            (vec![0], "wrong length"),
            (vec![1, 1], "not a permutation of the rows"),
            (vec![0, 2], "not a permutation of the rows"),
            (vec![1, 0], "a pivot outside its column's reach"),
        ] {
            let err = lu.restore_pivot_sequence(Some(&bad)).unwrap_err();
            assert!(
                matches!(err, LuError::InvalidPivotSequence { reason: r } if r == reason),
                "{bad:?}: {err}"
            );
            assert_eq!(lu.pivot_sequence(), None);
        }
        lu.restore_pivot_sequence(Some(&[0, 1])).unwrap();
        lu.factorize(&[2.0, 1.0, 4.0]).unwrap();
        let mut x = vec![4.0, 8.0];
        lu.solve_in_place(&mut x).unwrap();
        assert_eq!(x, vec![1.0, 2.0]);
    }

    #[test]
    fn requires_pivoting() {
        // [[0, 1], [1, 0]]: zero diagonal, needs a row exchange.
        let p = SparsityPattern::from_entries(2, [(1, 0), (0, 1)]);
        let mut lu = SparseLu::new(&p).unwrap();
        lu.factorize(&[1.0, 2.0]).unwrap();
        let mut x = vec![4.0, 3.0];
        lu.solve_in_place(&mut x).unwrap();
        // x1 * 2 = 4 (row 0), x0 * 1 = 3 (row 1)
        assert!((x[0] - 3.0).abs() < 1e-14 && (x[1] - 2.0).abs() < 1e-14);
    }

    #[test]
    fn singular_matrices_are_errors() {
        // Numerically singular: two equal columns.
        let p = SparsityPattern::from_entries(2, [(0, 0), (1, 0), (0, 1), (1, 1)]);
        let mut lu = SparseLu::new(&p).unwrap();
        assert!(matches!(
            lu.factorize(&[1.0, 2.0, 1.0, 2.0]),
            Err(LuError::Singular { .. })
        ));
        assert!(!lu.is_factorized());
        let mut x = vec![1.0, 1.0];
        assert_eq!(lu.solve_in_place(&mut x), Err(LuError::NotFactorized));
        // Exactly zero matrix.
        assert!(matches!(
            lu.factorize(&[0.0; 4]),
            Err(LuError::Singular { .. })
        ));
        // The same object recovers with good values.
        lu.factorize(&[2.0, 0.0, 0.0, 4.0]).unwrap();
        lu.solve_in_place(&mut x).unwrap();
        assert_eq!(x, vec![0.5, 0.25]);

        // Structurally singular: an empty column.
        let p = SparsityPattern::from_entries(3, [(0, 0), (1, 0), (2, 2), (1, 2)]);
        let mut lu = SparseLu::new(&p).unwrap();
        assert!(matches!(
            lu.factorize(&[1.0, 1.0, 1.0, 1.0]),
            Err(LuError::Singular { .. })
        ));
    }

    #[test]
    fn bad_inputs_are_errors() {
        let p = SparsityPattern::from_entries(2, [(0, 0), (1, 1), (0, 1)]);
        let mut lu = SparseLu::new(&p).unwrap();
        assert_eq!(
            lu.factorize(&[1.0]),
            Err(LuError::LengthMismatch {
                expected: 3,
                got: 1
            })
        );
        assert_eq!(
            lu.factorize(&[1.0, f64::NAN, 1.0]),
            Err(LuError::NonFiniteValue {
                position: 1,
                row: 0,
                col: 1
            })
        );
        lu.factorize(&[1.0, 1.0, 1.0]).unwrap();
        let mut short = vec![1.0];
        assert!(matches!(
            lu.solve_in_place(&mut short),
            Err(LuError::LengthMismatch { .. })
        ));

        let unsorted = SparsityPattern {
            n: 2,
            col_ptr: vec![0, 2, 2],
            row_idx: vec![1, 0],
        };
        let e = SparseLu::new(&unsorted).err().unwrap();
        assert_eq!(
            e,
            LuError::InvalidPattern(InvalidPattern::RowsNotIncreasing { col: 0 })
        );
        assert_eq!(
            e.to_string(),
            "invalid sparsity pattern: row indices of column 0 are not strictly increasing"
        );
        let out_of_range = SparsityPattern {
            n: 2,
            col_ptr: vec![0, 1, 2],
            row_idx: vec![0, 2],
        };
        let e = SparseLu::new(&out_of_range).err().unwrap();
        assert_eq!(
            e,
            LuError::InvalidPattern(InvalidPattern::RowOutOfRange {
                row: 2,
                col: 1,
                n: 2
            })
        );
        assert_eq!(
            e.to_string(),
            "invalid sparsity pattern: row index 2 out of range in column 1 (n = 2)"
        );
        let short_ptr = SparsityPattern {
            n: 2,
            col_ptr: vec![0, 1],
            row_idx: vec![0],
        };
        assert!(matches!(
            SparseLu::new(&short_ptr),
            Err(LuError::InvalidPattern(InvalidPattern::ColPtrLength {
                len: 2,
                expected: 3
            }))
        ));
    }

    #[test]
    fn empty_matrix() {
        let p = SparsityPattern::from_entries(0, []);
        let mut lu = SparseLu::new(&p).unwrap();
        lu.factorize(&[]).unwrap();
        lu.solve_in_place(&mut []).unwrap();
    }
}
