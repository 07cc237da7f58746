//! The Robertson chemical kinetics DAE, solved with the IDA wrapper:
//!
//! ```text
//! y1' = -0.04 y1 + 1e4 y2 y3
//! y2' =  0.04 y1 - 1e4 y2 y3 - 3e7 y2²
//!   0 =  y1 + y2 + y3 - 1,            y(0) = (1, 0, 0)
//! ```
//!
//! Reference values: the output table of the SUNDIALS example `idaRoberts_dns` (4 digits,
//! computed with rtol = 1e-4) and, for the tight-tolerance runs, a Radau IIA solution with
//! rtol = 1e-12 (SciPy), which agrees with the example table to better than 3e-4.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use asslb::numerics::dae::{DaeSystem, EvalError, ModelError, SparsityPattern};
use asslb::numerics::ida::{Ida, IdaOptions, StepOutcome};

/// The test system's own error type (a fatal residual), to be handed back as data.
#[derive(Debug, thiserror::Error)]
#[error("catalyst exploded")]
struct Exploded;

// ---------------------------------------------------------------------------------------------
// Allocation counting (per thread), to check that the integration hot path does not allocate.

struct CountingAlloc;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count_allocation() {
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
}

fn allocations() -> u64 {
    ALLOCATIONS.with(|c| c.get())
}

// SAFETY: every method forwards to the system allocator with the same arguments; counting
// touches only a const-initialised thread-local `Cell` (no allocation, no destructor).
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_allocation();
        // SAFETY: forwarded contract.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count_allocation();
        // SAFETY: forwarded contract.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_allocation();
        // SAFETY: forwarded contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded contract.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

// ---------------------------------------------------------------------------------------------
// The system.

/// How the residual misbehaves, to test error handling.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Fault {
    None,
    /// Return `NonPhysical` on every `period`-th call.
    NonPhysicalEvery(u64),
    /// Return `Fatal` once `t` exceeds this time.
    FatalAfter(f64),
    /// Panic once `t` exceeds this time.
    PanicAfter(f64),
    /// The Jacobian is identically zero (singular iteration matrix).
    ZeroJacobian,
}

struct Robertson {
    /// Rate constant k1 (0.04), changeable between steps.
    k1: f64,
    roots: Vec<f64>,
    fault: Fault,
    calls: u64,
    non_physical_returned: u64,
}

impl Robertson {
    fn new() -> Self {
        Robertson {
            k1: 0.04,
            roots: Vec::new(),
            fault: Fault::None,
            calls: 0,
            non_physical_returned: 0,
        }
    }
}

impl DaeSystem for Robertson {
    fn len(&self) -> usize {
        3
    }

    fn differential(&self) -> Vec<bool> {
        vec![true, true, false]
    }

    fn residual(&mut self, t: f64, y: &[f64], yp: &[f64], r: &mut [f64]) -> Result<(), EvalError> {
        self.calls += 1;
        match self.fault {
            Fault::NonPhysicalEvery(p) if self.calls % p == 0 => {
                self.non_physical_returned += 1;
                return Err(EvalError::NonPhysical("synthetic hiccup".into()));
            }
            Fault::FatalAfter(t1) if t > t1 => {
                return Err(EvalError::Fatal(ModelError::new(Exploded)));
            }
            Fault::PanicAfter(t1) if t > t1 => panic!("residual bug at t = {t}"),
            _ => {}
        }
        let k1 = self.k1;
        r[0] = yp[0] + k1 * y[0] - 1e4 * y[1] * y[2];
        r[1] = yp[1] - k1 * y[0] + 1e4 * y[1] * y[2] + 3e7 * y[1] * y[1];
        r[2] = y[0] + y[1] + y[2] - 1.0;
        Ok(())
    }

    fn jacobian_pattern(&self) -> SparsityPattern {
        SparsityPattern::from_entries(3, (0..3).flat_map(|c| (0..3).map(move |r| (r, c))))
    }

    fn jacobian(
        &mut self,
        _t: f64,
        c_j: f64,
        y: &[f64],
        _yp: &[f64],
        v: &mut [f64],
    ) -> Result<(), EvalError> {
        if self.fault == Fault::ZeroJacobian {
            v.fill(0.0);
            return Ok(());
        }
        let k1 = self.k1;
        // Column 0 (y1).
        v[0] = k1 + c_j;
        v[1] = -k1;
        v[2] = 1.0;
        // Column 1 (y2).
        v[3] = -1e4 * y[2];
        v[4] = 1e4 * y[2] + 6e7 * y[1] + c_j;
        v[5] = 1.0;
        // Column 2 (y3).
        v[6] = -1e4 * y[1];
        v[7] = 1e4 * y[1];
        v[8] = 1.0;
        Ok(())
    }

    fn num_roots(&self) -> usize {
        self.roots.len()
    }

    fn roots(&mut self, _t: f64, y: &[f64], _yp: &[f64], g: &mut [f64]) -> Result<(), EvalError> {
        // Root k: y1 - roots[0], then y3 - roots[k] for k >= 1.
        for (k, (gk, level)) in g.iter_mut().zip(&self.roots).enumerate() {
            *gk = if k == 0 { y[0] - level } else { y[2] - level };
        }
        Ok(())
    }
}

const Y0: [f64; 3] = [1.0, 0.0, 0.0];
const YP0: [f64; 3] = [-0.04, 0.04, 0.0];

/// The settings of `idaRoberts_dns`.
fn example_options() -> IdaOptions {
    IdaOptions {
        rtol: 1e-4,
        atol_vector: Some(vec![1e-8, 1e-6, 1e-6]),
        ..IdaOptions::default()
    }
}

fn tight_options() -> IdaOptions {
    IdaOptions {
        rtol: 1e-9,
        atol_vector: Some(vec![1e-14, 1e-18, 1e-14]),
        ..IdaOptions::default()
    }
}

/// Output table of `idaRoberts_dns` (as given in the SUNDIALS distribution).
const EXAMPLE_TABLE: [(f64, [f64; 3]); 3] = [
    (0.4, [9.8517e-01, 3.3864e-05, 1.4794e-02]),
    (4e1, [7.1582e-01, 9.1851e-06, 2.8417e-01]),
    (4e5, [4.9394e-03, 1.9854e-08, 9.9506e-01]),
];

/// Radau IIA, rtol = 1e-12.
const ACCURATE_TABLE: [(f64, [f64; 3]); 11] = [
    (
        4e-1,
        [9.851_721_138_6e-1, 3.386_395_379_0e-5, 1.479_402_218_5e-2],
    ),
    (
        4e0,
        [9.055_186_785_8e-1, 2.240_475_687_6e-5, 9.445_891_665_9e-2],
    ),
    (
        4e1,
        [7.158_270_687_2e-1, 9.185_534_764_6e-6, 2.841_637_457_5e-1],
    ),
    (
        4e2,
        [4.505_186_684_7e-1, 3.222_901_441_7e-6, 5.494_781_086_3e-1],
    ),
    (
        4e3,
        [1.832_022_577_8e-1, 8.942_371_252_8e-7, 8.167_968_479_9e-1],
    ),
    (
        4e4,
        [3.898_337_708_5e-2, 1.621_768_315_9e-7, 9.610_164_607_4e-1],
    ),
    (
        4e5,
        [4.938_274_521_0e-3, 1.984_994_088_0e-8, 9.950_617_056_3e-1],
    ),
    (
        4e6,
        [5.168_096_014_9e-4, 2.068_294_491_2e-9, 9.994_831_883_3e-1],
    ),
    (
        4e7,
        [5.203_071_844_1e-5, 2.081_335_731_9e-10, 9.999_479_690_7e-1],
    ),
    (
        4e8,
        [5.207_702_103_6e-6, 2.083_091_559_4e-11, 9.999_947_922_8e-1],
    ),
    (
        4e9,
        [5.208_276_611_4e-7, 2.083_311_716_6e-12, 9.999_994_791_7e-1],
    ),
];

fn assert_close(t: f64, y: &[f64], reference: &[f64; 3], rel: f64) {
    for i in 0..3 {
        let err = (y[i] - reference[i]).abs() / reference[i].abs();
        assert!(
            err < rel,
            "t = {t:e}: y{} = {:e}, reference {:e} (relative error {err:e})",
            i + 1,
            y[i],
            reference[i]
        );
    }
}

#[test]
fn matches_example_table_with_example_settings() {
    let mut ida = Ida::new(Robertson::new(), 0.0, &Y0, &YP0, &example_options()).unwrap();
    for (t, reference) in EXAMPLE_TABLE {
        let out = ida.advance_to(t).unwrap();
        assert_eq!(out, StepOutcome::Reached { t });
        assert_eq!(ida.t(), t);
        assert_close(t, ida.y(), &reference, 1e-3);
    }
    let stats = ida.stats();
    assert!(stats.steps > 50 && stats.steps < 1000, "{stats:?}");
    assert!(stats.jacobian_evals > 0 && stats.jacobian_evals <= stats.linear_setups);
    assert!(stats.linear_solves >= stats.nonlinear_iters);
    assert!(stats.residual_evals >= stats.nonlinear_iters);
    assert_eq!(
        stats.lu_full_factorizations + stats.lu_refactorizations,
        stats.jacobian_evals
    );
    assert!(stats.lu_refactorizations > stats.lu_full_factorizations);
}

#[test]
fn matches_accurate_solution_with_tight_tolerances() {
    let mut ida = Ida::new(Robertson::new(), 0.0, &Y0, &YP0, &tight_options()).unwrap();
    for (t, reference) in ACCURATE_TABLE {
        ida.advance_to(t).unwrap();
        assert_close(t, ida.y(), &reference, 1e-4);
    }
    // The example table agrees with the accurate solution to its printed precision.
    for (t, reference) in EXAMPLE_TABLE {
        let accurate = ACCURATE_TABLE.iter().find(|(ta, _)| *ta == t).unwrap().1;
        assert_close(t, &accurate, &reference, 1e-3);
    }
    // The LU really factorised something.
    let (fill, pivot_ratio) = ida.lu_info();
    assert!(fill >= 9 && pivot_ratio > 0.0);
}

#[test]
fn roots_stop_integration_at_the_crossing() {
    let mut system = Robertson::new();
    // g0 = y1 - 1e-4 (decreasing), g1 = y3 - 0.01 (increasing), g2 = y3 - 0.5 (increasing).
    system.roots = vec![1e-4, 0.01, 0.5];
    let mut ida = Ida::new(system, 0.0, &Y0, &YP0, &tight_options()).unwrap();
    let expected = [
        (0.264_019_078_19, vec![0, 1, 0]),
        (268.333_254_83, vec![0, 0, 1]),
        (20_795_496.883, vec![-1, 0, 0]),
    ];
    let mut found = Vec::new();
    while found.len() < expected.len() {
        match ida.advance_to(4e10).unwrap() {
            StepOutcome::Root { t, roots } => {
                assert_eq!(ida.t(), t);
                found.push((t, roots, ida.y().to_vec()));
            }
            other => panic!("expected a root, got {other:?}"),
        }
    }
    for ((t, roots, y), (t_ref, roots_ref)) in found.iter().zip(&expected) {
        assert!(
            ((t - t_ref) / t_ref).abs() < 1e-4,
            "root at {t:e}, expected {t_ref:e}"
        );
        assert_eq!(roots, roots_ref);
        let g = [y[0] - 1e-4, y[2] - 0.01, y[2] - 0.5];
        let k = roots.iter().position(|&r| r != 0).unwrap();
        assert!(g[k].abs() < 1e-6, "g{k} = {:e} at the root", g[k]);
    }
    // Afterwards integration continues normally to the end.
    assert_eq!(
        ida.advance_to(4e10).unwrap(),
        StepOutcome::Reached { t: 4e10 }
    );
    assert!(ida.stats().root_evals > 0);
}

#[test]
fn one_step_mode_and_stop_time() {
    let mut ida = Ida::new(Robertson::new(), 0.0, &Y0, &YP0, &example_options()).unwrap();
    ida.set_stop_time(4.0).unwrap();
    let mut steps = 0;
    let mut t_prev = 0.0;
    loop {
        match ida.step(4.0).unwrap() {
            StepOutcome::Step { t } => {
                assert!(t > t_prev && t < 4.0);
                t_prev = t;
                steps += 1;
            }
            StepOutcome::Reached { t } => {
                assert_eq!(t, 4.0);
                break;
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(steps < 10_000);
    }
    assert!(steps > 10);
    assert_close(4.0, ida.y(), &ACCURATE_TABLE[1].1, 1e-3);
    // IDA cleared the stop time: the next call may go past 4.
    match ida.step(40.0).unwrap() {
        StepOutcome::Step { t } => assert!(t > 4.0),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn calc_ic_makes_the_initial_state_consistent() {
    // y3 (algebraic) and y' are wrong; IDA_YA_YDP_INIT fixes them.
    let y0 = [1.0, 0.0, 0.3];
    let yp0 = [0.0; 3];
    let mut ida = Ida::new(Robertson::new(), 0.0, &y0, &yp0, &tight_options()).unwrap();
    ida.calc_ic(0.4).unwrap();
    let (y, yp) = (ida.y(), ida.yp());
    assert_eq!(y[0], 1.0);
    assert_eq!(y[1], 0.0);
    assert!(y[2].abs() < 1e-10, "y3 = {}", y[2]);
    assert!((yp[0] + 0.04).abs() < 1e-8 && (yp[1] - 0.04).abs() < 1e-8);
    ida.advance_to(0.4).unwrap();
    assert_close(0.4, ida.y(), &ACCURATE_TABLE[0].1, 1e-4);
}

#[test]
fn reinit_after_changing_the_system() {
    let mut ida = Ida::new(Robertson::new(), 0.0, &Y0, &YP0, &tight_options()).unwrap();
    ida.advance_to(4.0).unwrap();
    let steps_before = ida.stats().steps;

    // Same parameters: restarting from the current state reproduces the solution.
    let (t, y, yp) = (ida.t(), ida.y().to_vec(), ida.yp().to_vec());
    ida.reinit(t, &y, &yp).unwrap();
    ida.advance_to(40.0).unwrap();
    assert_close(40.0, ida.y(), &ACCURATE_TABLE[2].1, 1e-4);
    let stats = ida.stats();
    assert_eq!(stats.reinits, 1);
    assert!(
        stats.steps > steps_before,
        "stats are cumulative across reinit"
    );

    // Switch the first reaction off: y1 can then only grow (y1' = 1e4 y2 y3 >= 0), whereas
    // with k1 = 0.04 it decreases.
    ida.system_mut().k1 = 0.0;
    let (t, y) = (ida.t(), ida.y().to_vec());
    ida.reinit(t, &y, &[0.0; 3]).unwrap();
    ida.calc_ic(t + 1.0).unwrap();
    assert!(ida.yp()[0] > 0.0);
    ida.advance_to(400.0).unwrap();
    let y_end = ida.y();
    assert!(y_end[0] > y[0], "y1 = {} should exceed {}", y_end[0], y[0]);
    assert!((y_end.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    assert_eq!(ida.system().k1, 0.0);

    // Wrong lengths are errors, not panics.
    let err = ida.reinit(t, &[1.0], &[0.0]).unwrap_err();
    assert_eq!(err.flag, "IDA_ILL_INPUT");
    let system = ida.into_system();
    assert_eq!(system.k1, 0.0);
}

#[test]
fn non_physical_residual_is_recovered_from() {
    let mut system = Robertson::new();
    system.fault = Fault::NonPhysicalEvery(13);
    let mut ida = Ida::new(system, 0.0, &Y0, &YP0, &tight_options()).unwrap();
    for (t, reference) in ACCURATE_TABLE.iter().take(7) {
        ida.advance_to(*t).unwrap();
        assert_close(*t, ida.y(), reference, 1e-4);
    }
    assert!(ida.system().non_physical_returned > 10);
}

#[test]
fn fatal_residual_gives_an_error_with_the_time() {
    let mut system = Robertson::new();
    system.fault = Fault::FatalAfter(1.0);
    let mut ida = Ida::new(system, 0.0, &Y0, &YP0, &example_options()).unwrap();
    let err = ida.advance_to(40.0).unwrap_err();
    assert_eq!(err.flag, "IDA_RES_FAIL");
    assert!(err.time >= 0.5 && err.time <= 1.0, "time {}", err.time);
    assert!(err.steps > 0);
    // The callback's message ends the error's.
    assert!(err.to_string().contains("catalyst exploded"), "{err}");
    // The system's own error comes back as data, behind the callback that failed.
    let callback = err.callback.as_ref().expect("the failing callback");
    assert_eq!(callback.origin, "residual");
    assert!(matches!(
        callback.detail,
        asslb::numerics::ida::FailureDetail::Eval(EvalError::Fatal(_))
    ));
    assert!(err.model_error::<Exploded>().is_some());
    assert!(err.model_error::<std::fmt::Error>().is_none());
    let shown = err.to_string();
    assert!(shown.starts_with("IDA_RES_FAIL at t = "), "{shown}");
    assert!(
        shown.contains(&format!("after {} steps", err.steps)),
        "{shown}"
    );
    // The solver reports the last good state.
    assert_eq!(ida.t(), err.time);
    assert!(ida.y().iter().all(|v| v.is_finite()));
}

#[test]
fn panicking_residual_gives_an_error() {
    let mut system = Robertson::new();
    system.fault = Fault::PanicAfter(1.0);
    let mut ida = Ida::new(system, 0.0, &Y0, &YP0, &example_options()).unwrap();
    let err = ida.advance_to(40.0).unwrap_err();
    assert_eq!(err.flag, "IDA_RES_FAIL");
    assert!(err.time <= 1.0);
    let callback = err.callback.as_ref().expect("the failing callback");
    assert_eq!(callback.origin, "residual");
    let shown = err.to_string();
    assert!(shown.contains("panicked"), "{shown}");
    assert!(shown.contains("residual bug"), "{shown}");
}

#[test]
fn singular_jacobian_gives_an_error() {
    let mut system = Robertson::new();
    system.fault = Fault::ZeroJacobian;
    let mut ida = Ida::new(system, 0.0, &Y0, &YP0, &example_options()).unwrap();
    let err = ida.advance_to(1.0).unwrap_err();
    assert!(err.to_string().contains("singular"), "{err}");
}

#[test]
fn invalid_inputs_are_errors() {
    let err = Ida::new(Robertson::new(), 0.0, &[1.0, 0.0], &YP0, &example_options()).unwrap_err();
    assert_eq!(err.flag, "IDA_ILL_INPUT");
    let bad = IdaOptions {
        atol_vector: Some(vec![1e-8]),
        ..IdaOptions::default()
    };
    assert!(Ida::new(Robertson::new(), 0.0, &Y0, &YP0, &bad).is_err());
    let bad = IdaOptions {
        max_order: 6,
        ..IdaOptions::default()
    };
    assert!(Ida::new(Robertson::new(), 0.0, &Y0, &YP0, &bad).is_err());
    // t_out equal to t0 is rejected by IDA, with its message.
    let mut ida = Ida::new(Robertson::new(), 0.0, &Y0, &YP0, &example_options()).unwrap();
    let err = ida.advance_to(0.0).unwrap_err();
    assert_eq!(err.flag, "IDA_ILL_INPUT");
    // SUNDIALS' own message, as data and in the error's.
    assert!(err.sundials_message.is_some(), "{err}");
    assert!(err.to_string().contains("[SUNDIALS: "), "{err}");
    // The solver is still usable.
    ida.advance_to(0.4).unwrap();
}

#[test]
fn integration_hot_path_does_not_allocate() {
    let mut ida = Ida::new(Robertson::new(), 0.0, &Y0, &YP0, &tight_options()).unwrap();
    ida.advance_to(0.4).unwrap(); // warm-up: first factorisation sizes the LU storage
    let before = allocations();
    for (t, _) in ACCURATE_TABLE.iter().skip(1) {
        ida.advance_to(*t).unwrap();
    }
    let _ = ida.stats();
    assert_eq!(
        allocations() - before,
        0,
        "Rust allocations during integration"
    );
}
