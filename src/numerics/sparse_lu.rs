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
//!   or is zero, a full factorisation with fresh partial pivoting is done instead.
//! - **Solve**: sparse forward/backward substitution on the extracted factors.
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
    /// The sparsity pattern is not a valid square CSC pattern.
    #[error("invalid sparsity pattern: {0}")]
    InvalidPattern(String),
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
    /// Row permutation: row `k` of `P A` is row `row_perm[k]` of `A`.
    row_perm: Vec<usize>,
    /// Inverse row permutation: row `i` of `A` is row `row_perm_inv[i]` of `P A`.
    row_perm_inv: Vec<usize>,
    /// Strictly lower part of `L` (unit diagonal implied), CSC, rows in pivot order.
    l_col_ptr: Vec<usize>,
    l_row: Vec<usize>,
    l_val: Vec<f64>,
    /// Strictly upper part of `U`, CSC, rows in pivot order and ascending in each column.
    u_col_ptr: Vec<usize>,
    u_row: Vec<usize>,
    u_val: Vec<f64>,
    /// Diagonal of `U` (the pivots) and its inverse.
    u_diag: Vec<f64>,
    u_inv_diag: Vec<f64>,
    /// Order in which the forward substitution visits the columns of `L`: by dependency level,
    /// so that independent chains (for example the separate particles of a P2D model) are
    /// interleaved and the processor can overlap them. Any order that visits a column after
    /// every column it depends on gives the same result; see [`solve_levels`].
    l_order: Vec<usize>,
    /// Order in which the backward substitution visits the columns of `U`, by level likewise.
    u_order: Vec<usize>,
    /// Level scratch for [`solve_levels`].
    level_buf: Vec<usize>,
    /// The forward substitution as a flat program in level order: `y[t] -= v · y[s]`.
    l_prog: SubstitutionProgram,
    /// The backward substitution with the unit upper triangular `Ũ = U D⁻¹` (columns of `U`
    /// divided by their pivots) as a flat program in level order; the division by the pivots
    /// follows in the final scatter.
    u_prog: SubstitutionProgram,
    /// Dense work vector of length `n`, kept all-zero between calls.
    work: Vec<f64>,
    /// Scratch used to sort the columns of `U` after a full factorisation.
    sort_buf: Vec<(usize, f64)>,
    /// Scratch memory for faer.
    mem: MemBuffer,
    /// Whether `L`/`U` patterns and the row permutation of a full factorisation are available.
    has_structure: bool,
    factorized: bool,
    pivot_ratio: f64,
    full_factorizations: u64,
    refactorizations: u64,
}

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
            l_col_ptr: vec![0; n + 1],
            l_row: Vec::new(),
            l_val: Vec::new(),
            u_col_ptr: vec![0; n + 1],
            u_row: Vec::new(),
            u_val: Vec::new(),
            u_diag: vec![0.0; n],
            u_inv_diag: vec![0.0; n],
            work: vec![0.0; n],
            sort_buf: Vec::new(),
            l_order: Vec::new(),
            u_order: Vec::new(),
            level_buf: Vec::new(),
            l_prog: SubstitutionProgram::default(),
            u_prog: SubstitutionProgram::default(),
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
            self.l_row.len() + self.u_row.len() + 2 * self.n
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
        if let Some(position) = values.iter().position(|v| !v.is_finite()) {
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
        let (mut min_piv, mut max_piv) = (f64::INFINITY, 0.0_f64);
        for d in &self.u_diag {
            min_piv = min_piv.min(d.abs());
            max_piv = max_piv.max(d.abs());
        }
        self.pivot_ratio = if self.n == 0 { 1.0 } else { min_piv / max_piv };
        self.l_prog.load(&self.l_val, None);
        self.u_prog.load(&self.u_val, Some(&self.u_inv_diag));
        self.factorized = true;
        Ok(())
    }

    /// Numeric refactorisation with the row permutation and `L`/`U` patterns of the last full
    /// factorisation (left-looking, column by column). Returns `false`, leaving the work vector
    /// zeroed, if a pivot is unacceptable.
    fn refactor(&mut self, values: &[f64]) -> bool {
        let col_ptr = self.pattern.col_ptr();
        let row_idx = self.pattern.row_idx();
        let x = &mut self.work;
        for j in 0..self.n {
            // Scatter column j of P A Q into x (pivot-order rows). The pattern of A is contained
            // in that of L + U, so every touched position is cleared below.
            let c = self.col_perm[j];
            for p in col_ptr[c]..col_ptr[c + 1] {
                x[self.row_perm_inv[row_idx[p]]] = values[p];
            }
            // U(0..j, j) by a sparse triangular solve; rows ascending = topological order.
            let (u0, u1) = (self.u_col_ptr[j], self.u_col_ptr[j + 1]);
            for (&k, u) in self.u_row[u0..u1].iter().zip(&mut self.u_val[u0..u1]) {
                let ukj = x[k];
                x[k] = 0.0;
                *u = ukj;
                // (No test for a zero: the branch costs more than the few products it saves.)
                let (a, b) = (self.l_col_ptr[k], self.l_col_ptr[k + 1]);
                for (&i, &l) in self.l_row[a..b].iter().zip(&self.l_val[a..b]) {
                    x[i] -= l * ukj;
                }
            }
            let pivot = x[j];
            x[j] = 0.0;
            let (l0, l1) = (self.l_col_ptr[j], self.l_col_ptr[j + 1]);
            let col_max = self.l_row[l0..l1]
                .iter()
                .fold(0.0_f64, |m, &i| m.max(x[i].abs()));
            let acceptable =
                pivot != 0.0 && pivot.is_finite() && pivot.abs() >= PIVOT_TOLERANCE * col_max;
            if !acceptable {
                x.fill(0.0);
                return false;
            }
            let inv = 1.0 / pivot;
            self.u_diag[j] = pivot;
            self.u_inv_diag[j] = inv;
            for (&i, l) in self.l_row[l0..l1].iter().zip(&mut self.l_val[l0..l1]) {
                *l = x[i] * inv;
                x[i] = 0.0;
            }
        }
        true
    }

    /// Full factorisation with partial pivoting by faer, then extraction of the factors into
    /// the refactorisation/solve layout.
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

        // faer's L has the unit diagonal first in each column and its rows in pivot order.
        let l = self.faer_lu.l_factor_unsorted();
        self.l_row.clear();
        self.l_val.clear();
        for j in 0..self.n {
            for (&i, &v) in l.row_idx_of_col_raw(j).iter().zip(l.val_of_col(j)) {
                if i != j {
                    self.l_row.push(i);
                    self.l_val.push(v);
                }
            }
            self.l_col_ptr[j + 1] = self.l_row.len();
        }
        // faer's U has its rows in pivot order, unsorted, with the pivot last. faer picks the
        // largest candidate as pivot even when it is zero: detect that here.
        let u = self.faer_lu.u_factor_unsorted();
        self.u_row.clear();
        self.u_val.clear();
        for j in 0..self.n {
            self.sort_buf.clear();
            let mut pivot = 0.0;
            for (&k, &v) in u.row_idx_of_col_raw(j).iter().zip(u.val_of_col(j)) {
                if k == j {
                    pivot = v;
                } else {
                    self.sort_buf.push((k, v));
                }
            }
            if pivot == 0.0 || !pivot.is_finite() {
                return Err(LuError::Singular { step: j });
            }
            self.u_diag[j] = pivot;
            self.u_inv_diag[j] = 1.0 / pivot;
            self.sort_buf.sort_unstable_by_key(|e| e.0);
            for &(k, v) in &self.sort_buf {
                self.u_row.push(k);
                self.u_val.push(v);
            }
            self.u_col_ptr[j + 1] = self.u_row.len();
        }
        solve_levels(
            &self.l_col_ptr,
            &self.l_row,
            0..self.n,
            &mut self.level_buf,
            &mut self.l_order,
        );
        solve_levels(
            &self.u_col_ptr,
            &self.u_row,
            (0..self.n).rev(),
            &mut self.level_buf,
            &mut self.u_order,
        );
        self.l_prog.clear();
        for &k in &self.l_order {
            for p in self.l_col_ptr[k]..self.l_col_ptr[k + 1] {
                self.l_prog.push(self.l_row[p], k, p);
            }
        }
        self.u_prog.clear();
        for &j in &self.u_order {
            for p in self.u_col_ptr[j]..self.u_col_ptr[j + 1] {
                self.u_prog.push(self.u_row[p], j, p);
            }
        }
        self.has_structure = true;
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
        let y = &mut self.work;
        // y = P b
        for (yk, &r) in y.iter_mut().zip(&self.row_perm) {
            *yk = rhs[r];
        }
        // L z = y (unit lower triangular), then U w = z, each as a flat program in level
        // order (see `solve_levels`): no per-column loop overhead, and independent chains
        // interleaved.
        self.l_prog.run(y);
        // U = Ũ D with Ũ unit upper triangular (columns divided by their pivots): solve
        // Ũ v = z, then x = D⁻¹ v while scattering.
        self.u_prog.run(y);
        // x = Q D⁻¹ v
        let mut finite = true;
        for ((yj, &c), &d) in y.iter_mut().zip(&self.col_perm).zip(&self.u_inv_diag) {
            let x = *yj * d;
            finite &= x.is_finite();
            rhs[c] = x;
            *yj = 0.0;
        }
        if finite {
            Ok(())
        } else {
            Err(LuError::NonFiniteSolution)
        }
    }
}

/// A unit triangular substitution flattened into operations `y[t] −= v · y[s]`, in level
/// order. Only the numbers `v` are reloaded after each factorisation.
#[derive(Debug, Default)]
struct SubstitutionProgram {
    /// (t, s, v) per operation, together for locality.
    ops: Vec<SubstitutionOp>,
    /// Position in the factor's value array of each operation's `v`.
    value_source: Vec<u32>,
}

/// One operation `y[t] −= v · y[s]` of a [`SubstitutionProgram`].
#[derive(Debug, Clone, Copy)]
struct SubstitutionOp {
    t: u32,
    s: u32,
    v: f64,
}

impl SubstitutionProgram {
    fn clear(&mut self) {
        self.ops.clear();
        self.value_source.clear();
    }

    /// Appends `y[target] −= v · y[source]` with `v` at `value_index` of the factor values.
    fn push(&mut self, target: usize, source: usize, value_index: usize) {
        // Dimensions and factor sizes are far below u32::MAX (such a factor would not fit in
        // memory), so the narrowing is exact.
        self.ops.push(SubstitutionOp {
            t: target as u32,
            s: source as u32,
            v: 0.0,
        });
        self.value_source.push(value_index as u32);
    }

    /// Loads the factor values; with `column_scale`, each value is multiplied by the scale of
    /// its source column (used to make `U` unit triangular).
    fn load(&mut self, values: &[f64], column_scale: Option<&[f64]>) {
        for (op, &p) in self.ops.iter_mut().zip(&self.value_source) {
            op.v = values[p as usize] * column_scale.map_or(1.0, |c| c[op.s as usize]);
        }
    }

    /// Runs the program on `y`.
    #[inline]
    fn run(&self, y: &mut [f64]) {
        for op in &self.ops {
            y[op.t as usize] -= op.v * y[op.s as usize];
        }
    }
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
    level: &mut Vec<usize>,
    order: &mut Vec<usize>,
) {
    let n = col_ptr.len() - 1;
    level.clear();
    level.resize(n, 0);
    order.clear();
    for col in natural {
        order.push(col);
        let next = level[col] + 1;
        for &r in &rows[col_ptr[col]..col_ptr[col + 1]] {
            level[r] = level[r].max(next);
        }
    }
    order.sort_by_key(|&c| level[c]);
}

/// Checks the invariants documented on [`SparsityPattern`] so faer never panics on them.
fn validate_pattern(p: &SparsityPattern) -> Result<(), LuError> {
    let bad = |msg: String| Err(LuError::InvalidPattern(msg));
    let n = p.n;
    if p.col_ptr.len() != n + 1 {
        return bad(format!(
            "col_ptr has length {}, expected n + 1 = {}",
            p.col_ptr.len(),
            n + 1
        ));
    }
    if p.col_ptr[0] != 0 {
        return bad(format!("col_ptr[0] = {}, expected 0", p.col_ptr[0]));
    }
    if p.col_ptr[n] != p.row_idx.len() {
        return bad(format!(
            "col_ptr[n] = {} but row_idx has length {}",
            p.col_ptr[n],
            p.row_idx.len()
        ));
    }
    // faer's index type must be able to represent every index as a signed integer.
    if p.row_idx.len() > isize::MAX as usize {
        return bad("too many entries".to_string());
    }
    for j in 0..n {
        let (a, b) = (p.col_ptr[j], p.col_ptr[j + 1]);
        if a > b {
            return bad(format!("col_ptr decreases at column {j}"));
        }
        let rows = &p.row_idx[a..b];
        if let Some(&r) = rows.iter().find(|&&r| r >= n) {
            return bad(format!(
                "row index {r} out of range in column {j} (n = {n})"
            ));
        }
        if rows.windows(2).any(|w| w[0] >= w[1]) {
            return bad(format!(
                "row indices of column {j} are not strictly increasing"
            ));
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
        assert!(matches!(
            SparseLu::new(&unsorted),
            Err(LuError::InvalidPattern(_))
        ));
        let out_of_range = SparsityPattern {
            n: 2,
            col_ptr: vec![0, 1, 2],
            row_idx: vec![0, 2],
        };
        assert!(matches!(
            SparseLu::new(&out_of_range),
            Err(LuError::InvalidPattern(_))
        ));
        let short_ptr = SparsityPattern {
            n: 2,
            col_ptr: vec![0, 1],
            row_idx: vec![0],
        };
        assert!(matches!(
            SparseLu::new(&short_ptr),
            Err(LuError::InvalidPattern(_))
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
