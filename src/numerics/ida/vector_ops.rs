//! IDA's hot serial `N_Vector` operations as Rust kernels: linear sums, scaling, norms and the
//! fused linear combinations of IDA's predictor and divided-difference updates, installed in a
//! vector's operation table by [`use_fast_vector_ops`] and compiled for AVX2 when the processor
//! has it.

use sundials_sys::N_Vector;

/// Replaces the hot operations of a serial vector's operation table by the Rust versions of
/// [`plain`] or, when the processor supports AVX2 (detected at run time, so the binary stays
/// portable), of [`avx2`]: the same code compiled for 256-bit vectors.
///
/// - The weighted-norm reductions keep sixteen partial sums ([`weighted_square_sum`], with
///   AVX2 intrinsics in [`weighted_square_sum_avx2`]) so that they vectorise and overlap
///   (SUNDIALS' serial loop is a single dependent chain of additions); their result differs
///   from SUNDIALS' only by the order of the additions, and is the same in both versions.
/// - The element-wise operations (`linearsum`, `scale`, `const`, `inv`, `abs`) compute exactly
///   what the serial SUNDIALS ones compute, element by element, with the same IEEE operations
///   (in particular `linearsum` keeps SUNDIALS' `a (x ± y)` forms for `a = ±b`, see
///   [`LinearSumKind`]): results are bit-identical.
/// - The two multi-vector operations IDA calls every step, `linearcombination` (the
///   predictor and the error estimates) and `linearsumvectorarray` (the update of the
///   divided differences), are *fused*: one pass over the elements instead of one pass per
///   vector, each element going through the same operations, in the same order, as in
///   SUNDIALS' fallback for vectors without fused operations (a `scale` then a chain of
///   `linearsum`, or a loop of `linearsum`), which is what IDA ran before: bit-identical too.
///
/// Vectors may alias each other (IDA passes `z = x`, `z = y`, shifted arrays): the kernels
/// work through raw pointers, read a block of elements of every input before writing that
/// block of the output, and rely only on distinct serial vectors never overlapping.
///
/// # Safety
/// `v` must be a valid serial `N_Vector` with a valid operation table.
pub(super) unsafe fn use_fast_vector_ops(v: N_Vector) {
    // SAFETY: the caller guarantees `v` and its `ops` are valid.
    let ops = unsafe { &mut *(*v).ops };
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        install_vector_ops!(ops, avx2);
        return;
    }
    install_vector_ops!(ops, plain);
}

/// Writes the operations of module `$m` (one made by `vector_ops!`) into the operation table
/// `$ops`.
macro_rules! install_vector_ops {
    ($ops:ident, $m:ident) => {{
        $ops.nvwrmsnorm = Some($m::wrms_norm);
        $ops.nvwsqrsumlocal = Some($m::wsqr_sum);
        $ops.nvlinearsum = Some($m::linear_sum);
        $ops.nvscale = Some($m::scale);
        $ops.nvconst = Some($m::constant);
        $ops.nvinv = Some($m::inv);
        $ops.nvabs = Some($m::abs);
        $ops.nvlinearcombination = Some($m::linear_combination);
        $ops.nvlinearsumvectorarray = Some($m::linear_sum_vector_array);
    }};
}
use install_vector_ops;

/// Defines a module of `extern "C"` serial vector operations for SUNDIALS' operation table,
/// each a thin wrapper around the `#[inline(always)]` kernel of the same name below, compiled
/// with the given target features (none for [`plain`]).
macro_rules! vector_ops {
    ($(#[$feature:meta])* $m:ident, $sum:path) => {
        /// Serial vector operations (see [`use_fast_vector_ops`]).
        mod $m {
            use super::{kernels, N_Vector};
            use std::ffi::c_int;
            use sundials_sys::SUNErrCode;

            /// `nvwrmsnorm`: `sqrt(Σ (x_i w_i)² / n)`.
            $(#[$feature])*
            pub(super) unsafe extern "C" fn wrms_norm(x: N_Vector, w: N_Vector) -> f64 {
                // SAFETY: IDA passes valid serial vectors of equal length; this function has
                // the sum's target features.
                unsafe {
                    let (x, w) = kernels::pair(x, w);
                    if x.is_empty() {
                        return 0.0;
                    }
                    ($sum(x, w) / x.len() as f64).sqrt()
                }
            }

            /// `nvwsqrsumlocal`: `Σ (x_i w_i)²`.
            $(#[$feature])*
            pub(super) unsafe extern "C" fn wsqr_sum(x: N_Vector, w: N_Vector) -> f64 {
                // SAFETY: as for `wrms_norm`.
                unsafe {
                    let (x, w) = kernels::pair(x, w);
                    $sum(x, w)
                }
            }

            /// `nvlinearsum`: `z = a x + b y`.
            $(#[$feature])*
            pub(super) unsafe extern "C" fn linear_sum(
                a: f64,
                x: N_Vector,
                b: f64,
                y: N_Vector,
                z: N_Vector,
            ) {
                // SAFETY: IDA passes valid serial vectors of equal length.
                unsafe { kernels::linear_sum(a, x, b, y, z) }
            }

            /// `nvscale`: `z = c x`.
            $(#[$feature])*
            pub(super) unsafe extern "C" fn scale(c: f64, x: N_Vector, z: N_Vector) {
                // SAFETY: as for `linear_sum`.
                unsafe { kernels::scale(c, x, z) }
            }

            /// `nvconst`: `z = c`.
            $(#[$feature])*
            pub(super) unsafe extern "C" fn constant(c: f64, z: N_Vector) {
                // SAFETY: IDA passes a valid serial vector.
                unsafe { kernels::constant(c, z) }
            }

            /// `nvinv`: `z = 1 / x`.
            $(#[$feature])*
            pub(super) unsafe extern "C" fn inv(x: N_Vector, z: N_Vector) {
                // SAFETY: as for `linear_sum`.
                unsafe { kernels::inv(x, z) }
            }

            /// `nvabs`: `z = |x|`.
            $(#[$feature])*
            pub(super) unsafe extern "C" fn abs(x: N_Vector, z: N_Vector) {
                // SAFETY: as for `linear_sum`.
                unsafe { kernels::abs(x, z) }
            }

            /// `nvlinearcombination`: `z = Σ c_i X_i`.
            $(#[$feature])*
            pub(super) unsafe extern "C" fn linear_combination(
                nvec: c_int,
                c: *mut f64,
                xs: *mut N_Vector,
                z: N_Vector,
            ) -> SUNErrCode {
                // SAFETY: IDA passes `nvec` coefficients and `nvec` valid serial vectors of the
                // length of `z`.
                unsafe { kernels::linear_combination(nvec, c, xs, z) }
            }

            /// `nvlinearsumvectorarray`: `Z_i = a X_i + b Y_i` for i = 0, 1, … in turn.
            $(#[$feature])*
            pub(super) unsafe extern "C" fn linear_sum_vector_array(
                nvec: c_int,
                a: f64,
                xs: *mut N_Vector,
                b: f64,
                ys: *mut N_Vector,
                zs: *mut N_Vector,
            ) -> SUNErrCode {
                // SAFETY: IDA passes three arrays of `nvec` valid serial vectors of equal
                // length.
                unsafe { kernels::linear_sum_vector_array(nvec, a, xs, b, ys, zs) }
            }
        }
    };
}

vector_ops!(plain, super::weighted_square_sum);
#[cfg(target_arch = "x86_64")]
vector_ops!(
    #[target_feature(enable = "avx2")]
    avx2,
    super::weighted_square_sum_avx2
);

/// `Σ (x_i w_i)²` with sixteen partial sums: four independent chains, each of four lanes
/// (one 256-bit register in [`weighted_square_sum_avx2`]), so that the additions overlap
/// instead of waiting for each other. This is the reference of the order of the additions,
/// which both versions follow exactly, so that every build gives the same norm.
///
/// # Safety
/// None (`unsafe` only to share its signature with [`weighted_square_sum_avx2`]).
#[inline(always)]
unsafe fn weighted_square_sum(x: &[f64], w: &[f64]) -> f64 {
    let n = x.len().min(w.len());
    let (x, w) = (&x[..n], &w[..n]);
    let mut acc = [[0.0f64; 4]; 4];
    let (xc, wc) = (x.chunks_exact(16), w.chunks_exact(16));
    let (xr, wr) = (xc.remainder(), wc.remainder());
    for (a, b) in xc.zip(wc) {
        for (chain, (a, b)) in acc.iter_mut().zip(a.chunks_exact(4).zip(b.chunks_exact(4))) {
            for k in 0..4 {
                let p = a[k] * b[k];
                chain[k] += p * p;
            }
        }
    }
    let (x4, w4) = (xr.chunks_exact(4), wr.chunks_exact(4));
    let (x1, w1) = (x4.remainder(), w4.remainder());
    for (a, b) in x4.zip(w4) {
        for k in 0..4 {
            let p = a[k] * b[k];
            acc[0][k] += p * p;
        }
    }
    combine_square_sums(&acc, x1, w1)
}

/// The end of [`weighted_square_sum`]: the four chains added lane by lane, the lanes
/// pairwise, and the last `n mod 4` squares one by one.
#[inline(always)]
fn combine_square_sums(acc: &[[f64; 4]; 4], x1: &[f64], w1: &[f64]) -> f64 {
    let mut tail = 0.0;
    for (a, b) in x1.iter().zip(w1) {
        let p = a * b;
        tail += p * p;
    }
    let mut lanes = [0.0f64; 4];
    for k in 0..4 {
        lanes[k] = (acc[0][k] + acc[1][k]) + (acc[2][k] + acc[3][k]);
    }
    (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]) + tail
}

/// [`weighted_square_sum`] with AVX2 registers, written with intrinsics: compiled from the
/// plain code, the chains came out as 128-bit additions fed by lane permutations, which kept
/// the norm at 6 % of a cycling run. The same operations in the same order: bit-identical.
///
/// # Safety
/// The processor must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn weighted_square_sum_avx2(x: &[f64], w: &[f64]) -> f64 {
    use std::arch::x86_64::{
        __m256d, _mm256_add_pd, _mm256_loadu_pd, _mm256_mul_pd, _mm256_setzero_pd, _mm256_storeu_pd,
    };
    let n = x.len().min(w.len());
    let (x, w) = (&x[..n], &w[..n]);
    let mut acc: [__m256d; 4] = [_mm256_setzero_pd(); 4];
    let (xc, wc) = (x.chunks_exact(16), w.chunks_exact(16));
    let (xr, wr) = (xc.remainder(), wc.remainder());
    for (a, b) in xc.zip(wc) {
        for (c, chain) in acc.iter_mut().enumerate() {
            // SAFETY: `a` and `b` hold 16 values, so lanes 4c..4c+4 are in bounds.
            unsafe {
                let p = _mm256_mul_pd(
                    _mm256_loadu_pd(a.as_ptr().add(4 * c)),
                    _mm256_loadu_pd(b.as_ptr().add(4 * c)),
                );
                *chain = _mm256_add_pd(*chain, _mm256_mul_pd(p, p));
            }
        }
    }
    let (x4, w4) = (xr.chunks_exact(4), wr.chunks_exact(4));
    let (x1, w1) = (x4.remainder(), w4.remainder());
    for (a, b) in x4.zip(w4) {
        // SAFETY: `a` and `b` hold 4 values.
        unsafe {
            let p = _mm256_mul_pd(_mm256_loadu_pd(a.as_ptr()), _mm256_loadu_pd(b.as_ptr()));
            acc[0] = _mm256_add_pd(acc[0], _mm256_mul_pd(p, p));
        }
    }
    let mut lanes = [[0.0f64; 4]; 4];
    for (out, chain) in lanes.iter_mut().zip(&acc) {
        // SAFETY: `out` holds 4 values.
        unsafe { _mm256_storeu_pd(out.as_mut_ptr(), *chain) };
    }
    combine_square_sums(&lanes, x1, w1)
}

/// Which formula SUNDIALS' serial `linearsum` evaluates for the coefficients `(a, b)`. All its
/// special cases (`x + y`, `x − y`, `a x + y`, `a x − y`, …) give exactly `a x + b y` in IEEE
/// arithmetic (a product by ±1 is exact, and `u − v = u + (−v)`), except the two that factor
/// the coefficient out.
#[derive(Debug, Clone, Copy, PartialEq)]
enum LinearSumKind {
    /// `a (x + y)`: `a = b`, `a ≠ ±1`.
    ScaledSum,
    /// `a (x − y)`: `a = −b`, `a ≠ ±1`, `b ≠ ±1`.
    ScaledDifference,
    /// `a x + b y`, computed as `x + y` when `a = b = 1` (the same value).
    Sum,
    /// `a x + b y`.
    General,
}

impl LinearSumKind {
    /// The formula of `N_VLinearSum_Serial` for `(a, b)`, following its order of tests.
    #[inline(always)]
    fn of(a: f64, b: f64) -> Self {
        let unit = |c: f64| c == 1.0 || c == -1.0;
        if a == 1.0 && b == 1.0 {
            LinearSumKind::Sum
        } else if unit(a) || unit(b) {
            LinearSumKind::General
        } else if a == b {
            LinearSumKind::ScaledSum
        } else if a == -b {
            LinearSumKind::ScaledDifference
        } else {
            LinearSumKind::General
        }
    }
}

/// The kernels behind [`plain`] and [`avx2`], on raw serial vectors. Each is
/// `#[inline(always)]` so that it is compiled with the target features of its caller.
mod kernels {
    use std::ffi::c_int;
    use std::ptr;

    use super::{LinearSumKind, N_Vector};
    use sundials_sys as sys;

    /// Elements per block: every input's block is read before the output's block is written,
    /// which keeps aliased vectors exact; 8 doubles are two AVX2 registers.
    const BLOCK: usize = 8;
    /// Most vectors a fused operation handles in one pass (IDA uses at most 6).
    const MAX_FUSED: usize = 8;

    /// Data pointer and length of a serial vector, read from its content (what
    /// `N_VGetArrayPointer_Serial` and `N_VGetLength_Serial` return, without the calls).
    ///
    /// # Safety
    /// `v` must be a valid serial vector.
    #[inline(always)]
    unsafe fn raw(v: N_Vector) -> (*mut f64, usize) {
        // SAFETY: guaranteed by the caller: the content of a serial vector is an
        // `_N_VectorContent_Serial`.
        unsafe {
            let content = &*(*v).content.cast::<sys::_N_VectorContent_Serial>();
            (content.data, usize::try_from(content.length).unwrap_or(0))
        }
    }

    /// The data of a serial vector as a slice.
    ///
    /// # Safety
    /// `v` must be a valid serial vector that outlives the slice and is not written while it
    /// lives.
    #[inline(always)]
    unsafe fn slice<'a>(v: N_Vector) -> &'a [f64] {
        // SAFETY: guaranteed by the caller; a serial vector owns `length` contiguous reals.
        unsafe {
            let (p, n) = raw(v);
            if p.is_null() || n == 0 {
                &[]
            } else {
                std::slice::from_raw_parts(p, n)
            }
        }
    }

    /// Reads `BLOCK` values at `p`.
    ///
    /// # Safety
    /// `p .. p + BLOCK` must be readable.
    #[inline(always)]
    unsafe fn load(p: *const f64) -> [f64; BLOCK] {
        // SAFETY: guaranteed by the caller.
        unsafe { ptr::read_unaligned(p.cast::<[f64; BLOCK]>()) }
    }

    /// Writes `BLOCK` values at `p`.
    ///
    /// # Safety
    /// `p .. p + BLOCK` must be writable.
    #[inline(always)]
    unsafe fn store(p: *mut f64, v: [f64; BLOCK]) {
        // SAFETY: guaranteed by the caller.
        unsafe { ptr::write_unaligned(p.cast::<[f64; BLOCK]>(), v) }
    }

    /// `z_i = f(x_i)` for `i < n`; `z` may be `x`.
    ///
    /// # Safety
    /// `x` must be readable and `z` writable for `n` elements, and equal or disjoint; no
    /// other reference to them may be live.
    #[inline(always)]
    unsafe fn map1(n: usize, x: *const f64, z: *mut f64, f: impl Fn(f64) -> f64) {
        if n == 0 || z.is_null() || x.is_null() {
            return;
        }
        // SAFETY: guaranteed by the caller; the mutable slice is the only view of `z`'s data
        // (in place when `x` is `z`).
        unsafe {
            let zs = std::slice::from_raw_parts_mut(z, n);
            if ptr::eq(x, z) {
                for v in zs {
                    *v = f(*v);
                }
            } else {
                let xs = std::slice::from_raw_parts(x, n);
                for (v, &u) in zs.iter_mut().zip(xs) {
                    *v = f(u);
                }
            }
        }
    }

    /// `z_i = f(x_i, y_i)` for `i < n`; any two of `x`, `y`, `z` may be the same vector.
    ///
    /// # Safety
    /// `x`, `y` must be readable and `z` writable for `n` elements, each pair equal or
    /// disjoint; no other reference to them may be live.
    #[inline(always)]
    unsafe fn map2(
        n: usize,
        x: *const f64,
        y: *const f64,
        z: *mut f64,
        f: impl Fn(f64, f64) -> f64,
    ) {
        if n == 0 || z.is_null() || x.is_null() || y.is_null() {
            return;
        }
        // SAFETY: guaranteed by the caller. Each case makes the mutable slice the only view of
        // `z`'s data: an input that is `z` is read through it, the others (disjoint from `z`)
        // through shared slices.
        unsafe {
            let zs = std::slice::from_raw_parts_mut(z, n);
            match (ptr::eq(x, z), ptr::eq(y, z)) {
                (true, true) => {
                    for v in zs {
                        *v = f(*v, *v);
                    }
                }
                (true, false) => {
                    let ys = std::slice::from_raw_parts(y, n);
                    for (v, &b) in zs.iter_mut().zip(ys) {
                        *v = f(*v, b);
                    }
                }
                (false, true) => {
                    let xs = std::slice::from_raw_parts(x, n);
                    for (v, &a) in zs.iter_mut().zip(xs) {
                        *v = f(a, *v);
                    }
                }
                (false, false) => {
                    let (xs, ys) = (
                        std::slice::from_raw_parts(x, n),
                        std::slice::from_raw_parts(y, n),
                    );
                    for ((v, &a), &b) in zs.iter_mut().zip(xs).zip(ys) {
                        *v = f(a, b);
                    }
                }
            }
        }
    }

    /// The values of two serial vectors (for the norms).
    ///
    /// # Safety
    /// Valid serial vectors of equal length, not written while the slices live.
    #[inline(always)]
    pub(super) unsafe fn pair<'a>(x: N_Vector, w: N_Vector) -> (&'a [f64], &'a [f64]) {
        // SAFETY: guaranteed by the caller.
        unsafe { (slice(x), slice(w)) }
    }

    /// `z = a x + b y` with the formula of [`LinearSumKind`].
    ///
    /// # Safety
    /// Valid serial vectors of equal length (any of them may be the same vector).
    #[inline(always)]
    pub(super) unsafe fn linear_sum(a: f64, x: N_Vector, b: f64, y: N_Vector, z: N_Vector) {
        // SAFETY: guaranteed by the caller.
        unsafe {
            let ((xp, n), (yp, _), (zp, _)) = (raw(x), raw(y), raw(z));
            match LinearSumKind::of(a, b) {
                LinearSumKind::Sum => map2(n, xp, yp, zp, |u, v| u + v),
                LinearSumKind::ScaledSum => map2(n, xp, yp, zp, |u, v| a * (u + v)),
                LinearSumKind::ScaledDifference => map2(n, xp, yp, zp, |u, v| a * (u - v)),
                LinearSumKind::General => map2(n, xp, yp, zp, |u, v| a * u + b * v),
            }
        }
    }

    /// `z = c x` (a copy for `c = 1`, nothing to do for `c = 1` in place).
    ///
    /// # Safety
    /// As for [`linear_sum`].
    #[inline(always)]
    pub(super) unsafe fn scale(c: f64, x: N_Vector, z: N_Vector) {
        // SAFETY: guaranteed by the caller; distinct serial vectors do not overlap.
        unsafe {
            let ((xp, n), (zp, _)) = (raw(x), raw(z));
            if c == 1.0 {
                if xp != zp && n > 0 {
                    ptr::copy_nonoverlapping(xp, zp, n);
                }
            } else if c == -1.0 {
                map1(n, xp, zp, |u| -u);
            } else {
                map1(n, xp, zp, |u| c * u);
            }
        }
    }

    /// `z = c`.
    ///
    /// # Safety
    /// A valid serial vector.
    #[inline(always)]
    pub(super) unsafe fn constant(c: f64, z: N_Vector) {
        // SAFETY: guaranteed by the caller.
        unsafe {
            let (zp, n) = raw(z);
            map1(n, zp, zp, |_| c);
        }
    }

    /// `z = 1 / x`.
    ///
    /// # Safety
    /// As for [`linear_sum`].
    #[inline(always)]
    pub(super) unsafe fn inv(x: N_Vector, z: N_Vector) {
        // SAFETY: guaranteed by the caller.
        unsafe {
            let ((xp, n), (zp, _)) = (raw(x), raw(z));
            map1(n, xp, zp, |u| 1.0 / u);
        }
    }

    /// `z = |x|`.
    ///
    /// # Safety
    /// As for [`linear_sum`].
    #[inline(always)]
    pub(super) unsafe fn abs(x: N_Vector, z: N_Vector) {
        // SAFETY: guaranteed by the caller.
        unsafe {
            let ((xp, n), (zp, _)) = (raw(x), raw(z));
            map1(n, xp, zp, f64::abs);
        }
    }

    /// `z = Σ_i c_i X_i`, element by element `z = c_0 x_0`, then `z += c_i x_i` for i = 1, 2, …
    /// (SUNDIALS' fallback: `scale`, then `linearsum(c_i, X_i, 1, z, z)`).
    ///
    /// # Safety
    /// `c` and `xs` must hold `nvec` coefficients and valid serial vectors of the length of
    /// the valid serial vector `z`.
    #[inline(always)]
    pub(super) unsafe fn linear_combination(
        nvec: c_int,
        c: *mut f64,
        xs: *mut N_Vector,
        z: N_Vector,
    ) -> sys::SUNErrCode {
        let nvec = usize::try_from(nvec).unwrap_or(0);
        if nvec == 0 {
            return sys::SUN_ERR_ARG_OUTOFRANGE;
        }
        // SAFETY: guaranteed by the caller.
        unsafe {
            let c = std::slice::from_raw_parts(c, nvec);
            let xs = std::slice::from_raw_parts(xs, nvec);
            let (zp, n) = raw(z);
            let mut x = [ptr::null::<f64>(); MAX_FUSED];
            // One pass keeps the running sum in registers: valid unless z is also a later
            // term, which then must see the partial sum (sequential fallback).
            let fused = nvec <= MAX_FUSED
                && xs.iter().enumerate().all(|(i, &v)| {
                    let p = raw(v).0;
                    if i < MAX_FUSED {
                        x[i] = p;
                    }
                    i == 0 || p != zp
                });
            if !fused {
                scale(c[0], xs[0], z);
                for (&ci, &xi) in c.iter().zip(xs).skip(1) {
                    linear_sum(ci, xi, 1.0, z, z);
                }
                return 0;
            }
            let mut i = 0;
            while i + BLOCK <= n {
                let mut acc = load(x[0].add(i)).map(|u| c[0] * u);
                for k in 1..nvec {
                    let u = load(x[k].add(i));
                    for e in 0..BLOCK {
                        acc[e] += c[k] * u[e];
                    }
                }
                store(zp.add(i), acc);
                i += BLOCK;
            }
            while i < n {
                let mut acc = c[0] * *x[0].add(i);
                for k in 1..nvec {
                    acc += c[k] * *x[k].add(i);
                }
                *zp.add(i) = acc;
                i += 1;
            }
        }
        0
    }

    /// `Z_i = a X_i + b Y_i` for i = 0, 1, … in turn (SUNDIALS' fallback: a loop of
    /// `linearsum`), in one pass over the elements: each block of elements goes through the
    /// vectors in order, reading and writing memory exactly as the loop would for those
    /// elements, so any aliasing between the arrays (IDA passes `Z = X` and `Y` shifted by
    /// one) gives the loop's result.
    ///
    /// # Safety
    /// `xs`, `ys`, `zs` must each hold `nvec` valid serial vectors of equal length.
    #[inline(always)]
    pub(super) unsafe fn linear_sum_vector_array(
        nvec: c_int,
        a: f64,
        xs: *mut N_Vector,
        b: f64,
        ys: *mut N_Vector,
        zs: *mut N_Vector,
    ) -> sys::SUNErrCode {
        let nvec = usize::try_from(nvec).unwrap_or(0);
        if nvec == 0 {
            return sys::SUN_ERR_ARG_OUTOFRANGE;
        }
        // SAFETY: guaranteed by the caller.
        unsafe {
            let xs = std::slice::from_raw_parts(xs, nvec);
            let ys = std::slice::from_raw_parts(ys, nvec);
            let zs = std::slice::from_raw_parts(zs, nvec);
            if nvec > MAX_FUSED {
                for ((&x, &y), &z) in xs.iter().zip(ys).zip(zs) {
                    linear_sum(a, x, b, y, z);
                }
                return 0;
            }
            let mut ptrs = [(
                ptr::null::<f64>(),
                ptr::null::<f64>(),
                ptr::null_mut::<f64>(),
            ); MAX_FUSED];
            for (p, ((&x, &y), &z)) in ptrs.iter_mut().zip(xs.iter().zip(ys).zip(zs)) {
                *p = (raw(x).0, raw(y).0, raw(z).0);
            }
            let n = raw(zs[0]).1;
            let ptrs = &ptrs[..nvec];
            match LinearSumKind::of(a, b) {
                LinearSumKind::Sum => fused_map2(n, ptrs, |u, v| u + v),
                LinearSumKind::ScaledSum => fused_map2(n, ptrs, |u, v| a * (u + v)),
                LinearSumKind::ScaledDifference => fused_map2(n, ptrs, |u, v| a * (u - v)),
                LinearSumKind::General => fused_map2(n, ptrs, |u, v| a * u + b * v),
            }
        }
        0
    }

    /// `z_k = f(x_k, y_k)` for each `(x_k, y_k, z_k)` of `ptrs` in turn, block of elements by
    /// block of elements.
    ///
    /// # Safety
    /// Each pointer must be valid for `n` elements; any two vectors equal or disjoint.
    #[inline(always)]
    unsafe fn fused_map2(
        n: usize,
        ptrs: &[(*const f64, *const f64, *mut f64)],
        f: impl Fn(f64, f64) -> f64,
    ) {
        let mut i = 0;
        // SAFETY: every access is below `n`; within a block, each vector's inputs are read
        // before its output is written, and the vectors follow one another in order.
        unsafe {
            while i + BLOCK <= n {
                for &(x, y, z) in ptrs {
                    let (u, v) = (load(x.add(i)), load(y.add(i)));
                    let mut w = [0.0; BLOCK];
                    for k in 0..BLOCK {
                        w[k] = f(u[k], v[k]);
                    }
                    store(z.add(i), w);
                }
                i += BLOCK;
            }
            while i < n {
                for &(x, y, z) in ptrs {
                    *z.add(i) = f(*x.add(i), *y.add(i));
                }
                i += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::c_int;
    use std::ptr;

    use sundials_sys as sys;
    use sys::{sunindextype, SUNContext};

    use super::*;
    use crate::numerics::ida::nvec_slice_mut;

    #[test]
    fn fast_weighted_square_sum_matches_the_plain_sum() {
        for n in [0usize, 1, 3, 4, 7, 15, 16, 17, 20, 35, 473, 474] {
            let x: Vec<f64> = (0..n).map(|k| (k as f64 * 0.37).sin()).collect();
            let w: Vec<f64> = (0..n).map(|k| 1.0 + (k % 5) as f64).collect();
            let plain: f64 = x.iter().zip(&w).map(|(a, b)| (a * b) * (a * b)).sum();
            // SAFETY: no requirement.
            let fast = unsafe { weighted_square_sum(&x, &w) };
            assert!((fast - plain).abs() <= 1e-14 * plain.max(1.0), "n = {n}");
            // The AVX2 version adds in exactly the same order.
            #[cfg(target_arch = "x86_64")]
            if std::is_x86_feature_detected!("avx2") {
                // SAFETY: the processor has AVX2.
                let avx2 = unsafe { weighted_square_sum_avx2(&x, &w) };
                assert_eq!(avx2.to_bits(), fast.to_bits(), "n = {n}");
            }
        }
    }

    /// The serial vector operations under test: the plain ones, and the AVX2 ones when the
    /// processor has AVX2.
    fn variants() -> Vec<(&'static str, sys::_generic_N_Vector_Ops)> {
        let ctx = TestContext::new();
        let v = ctx.vector(1);
        let mut out = Vec::new();
        // SAFETY: `v.0` is a valid serial vector; its operation table is copied, then
        // overwritten with each variant's operations.
        unsafe {
            let ops = &mut *(*v.0).ops;
            install_vector_ops!(ops, plain);
            out.push(("plain", *ops));
            #[cfg(target_arch = "x86_64")]
            if std::is_x86_feature_detected!("avx2") {
                install_vector_ops!(ops, avx2);
                out.push(("avx2", *ops));
            }
        }
        out
    }

    /// A SUNDIALS context for tests that create vectors.
    struct TestContext(SUNContext);

    /// A serial vector with SUNDIALS' own operations, freed on drop.
    struct TestVector(N_Vector);

    impl TestContext {
        fn new() -> Self {
            let mut ctx = ptr::null_mut();
            // SAFETY: `ctx` is a valid out-pointer; no MPI.
            assert_eq!(
                unsafe { sys::SUNContext_Create(sys::SUN_COMM_NULL, &mut ctx) },
                0
            );
            TestContext(ctx)
        }

        /// A vector of length `n` with deterministic values (signed zeros, tiny and large
        /// values included), different for each `seed`.
        fn vector_with(&self, n: usize, seed: u64) -> TestVector {
            let v = self.vector(n);
            let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
            for (k, x) in v.data().iter_mut().enumerate() {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                let r = (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
                *x = match k % 11 {
                    3 => -0.0,
                    5 => r * 1e-300,
                    7 => r * 1e12,
                    _ => r,
                };
            }
            v
        }

        fn vector(&self, n: usize) -> TestVector {
            // SAFETY: the context is valid.
            let v = unsafe { sys::N_VNew_Serial(n as sunindextype, self.0) };
            assert!(!v.is_null());
            let v = TestVector(v);
            v.data().fill(0.0);
            v
        }
    }

    impl Drop for TestContext {
        fn drop(&mut self) {
            // SAFETY: created in `new`; every vector of the test has been dropped before.
            unsafe { sys::SUNContext_Free(&mut self.0) };
        }
    }

    impl TestVector {
        #[allow(clippy::mut_from_ref)] // test helper: the vector is owned by the C side
        fn data(&self) -> &mut [f64] {
            // SAFETY: a valid serial vector; tests do not hold two views at once.
            unsafe { nvec_slice_mut(self.0, sys::N_VGetLength_Serial(self.0) as usize) }
        }

        fn bits(&self) -> Vec<u64> {
            self.data().iter().map(|x| x.to_bits()).collect()
        }

        fn set(&self, from: &TestVector) {
            self.data().copy_from_slice(from.data());
        }
    }

    impl Drop for TestVector {
        fn drop(&mut self) {
            // SAFETY: created by `N_VNew_Serial`, freed once.
            unsafe { sys::N_VDestroy(self.0) };
        }
    }

    const LENGTHS: [usize; 6] = [1, 7, 8, 9, 17, 474];
    const COEFFICIENTS: [f64; 8] = [1.0, -1.0, 0.5, -0.5, 2.0, 0.0, -2.0, 1e-3];

    /// Runs `op` on fresh copies of `inputs` (the vectors named by `args`, possibly repeated)
    /// both with SUNDIALS' serial operation and with each variant, and compares every
    /// vector bit for bit.
    #[test]
    fn element_wise_vector_ops_are_bit_identical_to_sundials() {
        let ctx = TestContext::new();
        for (name, ops) in variants() {
            for n in LENGTHS {
                // (x, y, z) as indices into three vectors: distinct, z = x, z = y, x = y, all one.
                for (xi, yi, zi) in [(0, 1, 2), (0, 1, 0), (0, 1, 1), (0, 0, 2), (0, 0, 0)] {
                    for a in COEFFICIENTS {
                        for b in COEFFICIENTS {
                            let base: Vec<TestVector> =
                                (0..3).map(|k| ctx.vector_with(n, k + 1)).collect();
                            let want: Vec<TestVector> = (0..3).map(|_| ctx.vector(n)).collect();
                            let got: Vec<TestVector> = (0..3).map(|_| ctx.vector(n)).collect();
                            for k in 0..3 {
                                want[k].set(&base[k]);
                                got[k].set(&base[k]);
                            }
                            // SAFETY: valid serial vectors of length n.
                            unsafe {
                                sys::N_VLinearSum_Serial(a, want[xi].0, b, want[yi].0, want[zi].0);
                                (ops.nvlinearsum.unwrap())(a, got[xi].0, b, got[yi].0, got[zi].0);
                            }
                            for k in 0..3 {
                                assert_eq!(
                                    got[k].bits(),
                                    want[k].bits(),
                                    "{name} linearsum({a}, {b}) n={n} alias {xi}{yi}{zi}"
                                );
                            }
                        }
                    }
                }
                for c in COEFFICIENTS {
                    for in_place in [false, true] {
                        let x = ctx.vector_with(n, 7);
                        let (want_x, want_z) = (ctx.vector(n), ctx.vector_with(n, 8));
                        let (got_x, got_z) = (ctx.vector(n), ctx.vector_with(n, 8));
                        want_x.set(&x);
                        got_x.set(&x);
                        let (wz, gz) = if in_place {
                            (want_x.0, got_x.0)
                        } else {
                            (want_z.0, got_z.0)
                        };
                        // SAFETY: valid serial vectors of length n.
                        unsafe {
                            sys::N_VScale_Serial(c, want_x.0, wz);
                            (ops.nvscale.unwrap())(c, got_x.0, gz);
                        }
                        assert_eq!(got_x.bits(), want_x.bits(), "{name} scale({c}) n={n}");
                        assert_eq!(got_z.bits(), want_z.bits(), "{name} scale({c}) n={n}");
                        // SAFETY: as above.
                        unsafe {
                            sys::N_VConst_Serial(c, want_z.0);
                            (ops.nvconst.unwrap())(c, got_z.0);
                        }
                        assert_eq!(got_z.bits(), want_z.bits(), "{name} const({c}) n={n}");
                    }
                }
                for in_place in [false, true] {
                    let x = ctx.vector_with(n, 9);
                    let (want_x, want_z, got_x, got_z) =
                        (ctx.vector(n), ctx.vector(n), ctx.vector(n), ctx.vector(n));
                    type Unary = unsafe extern "C" fn(N_Vector, N_Vector);
                    let pairs: [(Unary, Unary); 2] = [
                        (sys::N_VInv_Serial, ops.nvinv.unwrap()),
                        (sys::N_VAbs_Serial, ops.nvabs.unwrap()),
                    ];
                    for (reference, fast) in pairs {
                        want_x.set(&x);
                        got_x.set(&x);
                        let (wz, gz) = if in_place {
                            (want_x.0, got_x.0)
                        } else {
                            (want_z.0, got_z.0)
                        };
                        // SAFETY: valid serial vectors of length n.
                        unsafe {
                            reference(want_x.0, wz);
                            fast(got_x.0, gz);
                        }
                        assert_eq!(got_x.bits(), want_x.bits(), "{name} inv/abs n={n}");
                        assert_eq!(got_z.bits(), want_z.bits(), "{name} inv/abs n={n}");
                    }
                }
            }
        }
    }

    /// The fused operations against SUNDIALS' fallback for vectors without fused operations
    /// (what IDA ran before they were installed), with IDA's aliasing patterns.
    #[test]
    fn fused_vector_ops_are_bit_identical_to_the_sundials_fallback() {
        let ctx = TestContext::new();
        for (name, ops) in variants() {
            for n in LENGTHS {
                for nvec in 1..=7usize {
                    // z distinct, z = X[0], z = X[1] (a later term: the sequential path).
                    for z_is in [None, Some(0), Some(1)] {
                        if z_is.is_some_and(|k| k >= nvec) {
                            continue;
                        }
                        let c: Vec<f64> = (0..nvec)
                            .map(|k| COEFFICIENTS[(3 * k + nvec) % 8])
                            .collect();
                        let base: Vec<TestVector> = (0..=nvec)
                            .map(|k| ctx.vector_with(n, 20 + k as u64))
                            .collect();
                        let run = |fast: bool| -> Vec<Vec<u64>> {
                            let v: Vec<TestVector> = base
                                .iter()
                                .map(|b| {
                                    let t = ctx.vector(n);
                                    t.set(b);
                                    t
                                })
                                .collect();
                            let mut xs: Vec<N_Vector> = v[..nvec].iter().map(|t| t.0).collect();
                            let z = z_is.map_or(v[nvec].0, |k| v[k].0);
                            let mut cs = c.clone();
                            // SAFETY: valid serial vectors of length n, nvec coefficients.
                            unsafe {
                                if fast {
                                    (ops.nvlinearcombination.unwrap())(
                                        nvec as c_int,
                                        cs.as_mut_ptr(),
                                        xs.as_mut_ptr(),
                                        z,
                                    );
                                } else {
                                    sys::N_VScale_Serial(cs[0], xs[0], z);
                                    for k in 1..nvec {
                                        sys::N_VLinearSum_Serial(cs[k], xs[k], 1.0, z, z);
                                    }
                                }
                            }
                            v.iter().map(TestVector::bits).collect()
                        };
                        assert_eq!(
                            run(true),
                            run(false),
                            "{name} linearcombination n={n} nvec={nvec} z={z_is:?}"
                        );
                    }
                    // IDA's update of the divided differences: X = [phi_k … phi_0] updated in
                    // place with Y = [ee, phi_k, …, phi_1]; and three distinct arrays.
                    for ida_pattern in [true, false] {
                        for (a, b) in [
                            (1.0, 1.0),
                            (0.5, 0.5),
                            (2.0, -2.0),
                            (0.5, -1.0),
                            (3.0, 0.25),
                        ] {
                            let base: Vec<TestVector> = (0..3 * nvec + 1)
                                .map(|k| ctx.vector_with(n, 40 + k as u64))
                                .collect();
                            let run = |fast: bool| -> Vec<Vec<u64>> {
                                let v: Vec<TestVector> = base
                                    .iter()
                                    .map(|b| {
                                        let t = ctx.vector(n);
                                        t.set(b);
                                        t
                                    })
                                    .collect();
                                let (mut xs, mut ys, mut zs): (Vec<_>, Vec<_>, Vec<_>) =
                                    if ida_pattern {
                                        let xs: Vec<N_Vector> =
                                            v[..nvec].iter().map(|t| t.0).collect();
                                        let mut ys = vec![v[nvec].0];
                                        ys.extend(&xs[..nvec - 1]);
                                        (xs.clone(), ys, xs)
                                    } else {
                                        (
                                            v[..nvec].iter().map(|t| t.0).collect(),
                                            v[nvec..2 * nvec].iter().map(|t| t.0).collect(),
                                            v[2 * nvec..3 * nvec].iter().map(|t| t.0).collect(),
                                        )
                                    };
                                // SAFETY: valid serial vectors of length n, nvec of each.
                                unsafe {
                                    if fast {
                                        (ops.nvlinearsumvectorarray.unwrap())(
                                            nvec as c_int,
                                            a,
                                            xs.as_mut_ptr(),
                                            b,
                                            ys.as_mut_ptr(),
                                            zs.as_mut_ptr(),
                                        );
                                    } else {
                                        for k in 0..nvec {
                                            sys::N_VLinearSum_Serial(a, xs[k], b, ys[k], zs[k]);
                                        }
                                    }
                                }
                                v.iter().map(TestVector::bits).collect()
                            };
                            assert_eq!(
                                run(true),
                                run(false),
                                "{name} linearsumvectorarray({a}, {b}) n={n} nvec={nvec}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn vector_norms_match_the_plain_sums() {
        let ctx = TestContext::new();
        for (name, ops) in variants() {
            for n in LENGTHS {
                let (x, w) = (ctx.vector_with(n, 3), ctx.vector_with(n, 4));
                // SAFETY: no requirement.
                let plain = unsafe { weighted_square_sum(x.data(), w.data()) };
                // SAFETY: valid serial vectors of length n.
                let (sum, norm) = unsafe {
                    (
                        (ops.nvwsqrsumlocal.unwrap())(x.0, w.0),
                        (ops.nvwrmsnorm.unwrap())(x.0, w.0),
                    )
                };
                assert_eq!(sum.to_bits(), plain.to_bits(), "{name} n={n}");
                assert_eq!(
                    norm.to_bits(),
                    (plain / n as f64).sqrt().to_bits(),
                    "{name}"
                );
            }
        }
    }
}
