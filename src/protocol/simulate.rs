//! Runs a list of experiment steps on the P2D model with IDA, streaming a time series.

use std::time::Instant;

use crate::numerics::consistent_init::{ConsistentInit, ConsistentInitOptions};
use crate::numerics::dae::DaeSystem;
use crate::numerics::ida::{Ida, IdaOptions, SolverError, StepOutcome};
use crate::numerics::mesh::MeshSettings;
use crate::numerics::small_signal::FrequencyResponseError;
use crate::numerics::sparse_lu::LuError;
use crate::physics::p2d::{Control, ModelError, P2dModel, StateMismatch};
use crate::physics::parameters::CellParameters;

use super::checkpoint::{Checkpoint, PivotSequences, RunCounters, CHECKPOINT_VERSION};
use super::cycle::CycleSummary;
use super::cycle_jumping::{CycleJumping, StateControl, CHARGE_NOISE};
use super::failure::{explain_failure, FailureExplanation};
use super::impedance::{ImpedanceSettings, ImpedanceSettingsError, ImpedanceSpectrum, MIN_REST_S};
use super::step::{Direction, Experiment, Step};

/// Solver settings of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct SolverSettings {
    /// Relative tolerance of IDA's local error test \[-\]. Default 1e-4, as PyBaMM's
    /// IDAKLU solver; at the default mesh the verification cases then agree with their
    /// references as closely as at 1e-6 (the spatial error dominates).
    pub rtol: f64,
    /// Absolute tolerance of the model's scaled unknowns (stoichiometries, scaled electrolyte
    /// concentration, potentials in V, delivered charge in A·h/m²) \[-\]. Default 1e-6.
    /// Faradaic and applied current densities are not error-tested, see
    /// [`crate::physics::p2d::P2dModel::absolute_tolerances`].
    pub atol: f64,
    /// Maximum number of internal IDA steps within one experiment step. Default 100 000.
    pub max_steps: usize,
    /// Spacing of the output rows \[s\]; `None` writes one row per internal solver step.
    /// Default `None`.
    pub output_interval_s: Option<f64>,
    /// Cycle jumping within blocks of identical cycles (see [`super::cycle_jumping`]); `None`
    /// (the default) resolves every cycle.
    pub cycle_jumping: Option<CycleJumping>,
    /// Whether the double-layer and grain-boundary capacitances charge in the time
    /// integration (see [`P2dModel::set_capacitive_charging`]). Default `false`: quasi-static
    /// interfaces, which leave cycling results unchanged and save about a third of the solver
    /// steps; switch on to resolve transients shorter than a second (pulses, the sinusoidal
    /// current of a time-domain impedance). Spectra include the capacitances either way.
    pub capacitive_charging: bool,
}

impl Default for SolverSettings {
    fn default() -> Self {
        SolverSettings {
            rtol: 1e-4,
            atol: 1e-6,
            max_steps: 100_000,
            output_interval_s: None,
            cycle_jumping: None,
            capacitive_charging: false,
        }
    }
}

/// One row of the time series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeseriesRecord {
    /// Time since the start of the run \[s\].
    pub time_s: f64,
    /// Cycle number, from 1 across the whole experiment.
    pub cycle: usize,
    /// 1-based index of the step within its cycle.
    pub step: usize,
    /// Cell current \[A\], positive on discharge.
    pub current_a: f64,
    /// Cell voltage \[V\].
    pub voltage_v: f64,
    /// Charge delivered on discharge since the start of the run, net of charge \[A·h\].
    pub discharge_capacity_ah: f64,
}

/// Where a run streams its rows. Implementations write and flush as they go, so that a run
/// that fails late keeps what it computed.
pub trait TimeseriesSink {
    /// Whether the rows of cycle `cycle` are wanted (default: all). The driver does not
    /// produce rows for cycles that are not; their [`CycleSummary`] is still reported.
    fn wants_cycle(&self, _cycle: usize) -> bool {
        true
    }
    /// Records one row.
    fn record(&mut self, row: &TimeseriesRecord) -> std::io::Result<()>;
    /// Called when step `step` (1-based within its cycle) of cycle `cycle` has finished.
    fn step_finished(&mut self, _cycle: usize, _step: usize) -> std::io::Result<()> {
        Ok(())
    }
    /// Called when a cycle has finished, with its figures; implementations that write files
    /// flush here, so that a run that stops keeps every finished cycle.
    fn cycle_finished(&mut self, _summary: &CycleSummary) -> std::io::Result<()> {
        Ok(())
    }
    /// Whether a checkpoint should be taken after cycle `cycle` (default: never). It is
    /// taken after [`TimeseriesSink::cycle_finished`] for that cycle.
    fn checkpoint_due(&self, _cycle: usize) -> bool {
        false
    }
    /// Stores a checkpoint (after everything of its cycle has been written).
    fn save_checkpoint(&mut self, _checkpoint: &Checkpoint) -> std::io::Result<()> {
        Ok(())
    }
    /// Called with each impedance spectrum a run takes (see
    /// [`Simulation::measure_impedance`]), right after the step it follows and before that
    /// cycle's [`TimeseriesSink::cycle_finished`]. Default: ignored.
    fn impedance_measured(&mut self, _spectrum: &ImpedanceSpectrum) -> std::io::Result<()> {
        Ok(())
    }
}

/// A sink that wants nothing: no rows, and per-cycle figures discarded (the rest of an
/// impedance probe; benchmarks).
pub struct NoRows;

impl TimeseriesSink for NoRows {
    fn wants_cycle(&self, _cycle: usize) -> bool {
        false
    }
    fn record(&mut self, _row: &TimeseriesRecord) -> std::io::Result<()> {
        Ok(())
    }
}

/// A sink that keeps the rows in memory (tests, benchmarks, library use).
impl TimeseriesSink for Vec<TimeseriesRecord> {
    fn record(&mut self, row: &TimeseriesRecord) -> std::io::Result<()> {
        self.push(*row);
        Ok(())
    }
}

/// Why an experiment step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepEnd {
    /// The voltage cut-off was reached.
    VoltageLimit,
    /// The current of a constant-voltage hold fell to its cut-off.
    CurrentLimit,
    /// The duration limit was reached.
    Duration,
    /// The cell was already at or past the step's voltage cut-off when the step began (or, for
    /// a constant-voltage hold, its current was already at or below the end current), so the
    /// step was skipped (it lasted no time, passed no charge and left no time-series row) and
    /// the experiment went on with the next step from the state before it.
    Skipped,
    /// The particle surfaces cannot carry the step's current at all: above
    /// [`P2dModel::surface_current_limits`] of the state no state satisfies the kinetics (the
    /// on-load voltage would be beyond any cut-off from the first instant), so the
    /// constant-current step was skipped as [`StepEnd::Skipped`] is. A constant-voltage hold
    /// ends so when its voltage lies beyond what the cell reaches at 99 % of that bound (the
    /// hold would draw more at once). Counted in [`RunSummary::skipped_steps`] too.
    CurrentUnsustainable,
    /// The solver could not go on (after its restarts) where the voltage runs steeply into the
    /// step's cut-off: within [`NEAR_CUTOFF_V`] of it, or close enough that at its last rate
    /// of change it would get there within [`NEAR_CUTOFF_TIME`] of the step's elapsed time, or
    /// with the particle surfaces exhausted in the step's direction (within
    /// [`EXHAUSTED_FILLING`] of the end of the host's window, or at the current they can carry
    /// at most), where the voltage runs to infinity.
    /// The step was ended there, as if at the cut-off, and the experiment went on. Counted in
    /// [`RunSummary::ended_near_cutoff`].
    NearCutoff,
}

/// How close \[V\] to its voltage cut-off a constant-current step may be ended when the solver
/// fails there (see [`StepEnd::NearCutoff`]). At the steep ends of an open-circuit curve the
/// charge left in the last 0.15 V is a tiny fraction of the step's.
pub const NEAR_CUTOFF_V: f64 = 0.15;

/// The other near-cut-off condition: the voltage, at its last rate of change, would reach the
/// cut-off within this fraction of the time the step has run \[-\] (so at most this fraction
/// of the step's charge is left).
pub const NEAR_CUTOFF_TIME: f64 = 0.01;

/// How close to the end of the host's window \[fraction of the window\] the outermost shell of
/// some particle must be, in a constant-current step's direction, for a solver failure there to
/// count as the step reaching its cut-off (see [`StepEnd::NearCutoff`]): the surface has
/// nothing left to give (or room left to take), and the on-load voltage runs to infinity.
pub const EXHAUSTED_FILLING: f64 = 0.01;

/// What one experiment step did.
#[derive(Debug, Clone, PartialEq)]
pub struct StepSummary {
    /// Cycle number, from 1.
    pub cycle: usize,
    /// 1-based step index within the cycle.
    pub step: usize,
    /// Why it ended.
    pub end: StepEnd,
    /// Duration \[s\].
    pub duration_s: f64,
    /// Charge passed during the step, positive on discharge \[A·h\].
    pub capacity_ah: f64,
    /// Energy delivered during the step, positive on discharge \[W·h\].
    pub energy_wh: f64,
    /// Voltage at the end of the step \[V\].
    pub final_voltage_v: f64,
}

/// What a whole run did. Its size does not grow with the number of cycles: per-cycle figures
/// go to the sink as each cycle ends.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSummary {
    /// Cycles completed.
    pub cycles: usize,
    /// The first cycle's figures, if any cycle ran.
    pub first_cycle: Option<CycleSummary>,
    /// The last cycle's figures, if any cycle ran.
    pub last_cycle: Option<CycleSummary>,
    /// The steps of the last cycle.
    pub last_cycle_steps: Vec<StepSummary>,
    /// Steps skipped over the whole run because the cell was already past their cut-off.
    pub skipped_steps: usize,
    /// Steps ended near their voltage cut-off because the solver could not go on
    /// ([`StepEnd::NearCutoff`]).
    pub ended_near_cutoff: usize,
    /// Cycles jumped over by cycle jumping (not resolved; no figures).
    pub jumped_cycles: usize,
    /// Number of jumps.
    pub jumps: usize,
    /// Number of unknowns of the discretised model.
    pub unknowns: usize,
    /// Impedance spectra taken during the run (see [`Simulation::measure_impedance`]).
    pub impedance_spectra: usize,
    /// Wall-clock time spent on the impedance spectra, their rests included \[s\] (part of
    /// [`RunSummary::wall_time_s`]).
    pub impedance_time_s: f64,
    /// Internal solver steps over the whole run (the impedance probes' rests not included).
    pub solver_steps: u64,
    /// Wall-clock time of the run, excluding the set-up of the [`Simulation`] \[s\].
    pub wall_time_s: f64,
}

/// What failed in an impedance measurement ([`SimulationError::Impedance`]).
#[derive(Debug, thiserror::Error)]
pub enum ImpedanceFailure {
    /// The state does not fit the measuring model.
    #[error("{0}")]
    Transfer(StateMismatch),
    /// The solver of the open-circuit rest failed or could not be re-initialised.
    #[error("{0}")]
    Solver(SolverError),
    /// The rest's output could not be written.
    #[error("{0}")]
    Output(std::io::Error),
    /// The small-signal response could not be computed.
    #[error("{0}")]
    Spectrum(FrequencyResponseError),
}

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum SimulationError {
    /// The model could not be set up (bad mesh, a model that cannot be evaluated at rest).
    #[error("setting up the model: {0}")]
    Model(#[from] ModelError),
    /// Impedance settings that do not fit the experiment.
    #[error("setting up the model: {0}")]
    ImpedanceSettings(#[from] ImpedanceSettingsError),
    /// A checkpoint written for another mesh or model.
    #[error(
        "setting up the model: the checkpoint holds {held} unknowns, the model has {model}: it was written for another mesh or model"
    )]
    CheckpointMismatch {
        /// Unknowns in the checkpoint.
        held: usize,
        /// Unknowns of the model.
        model: usize,
    },
    /// A checkpoint whose pivot sequence does not fit the model's matrices.
    #[error("setting up the model: the checkpoint's {which} pivot sequence does not fit this model: {error}")]
    CheckpointPivots {
        /// Which factorisation's ("solver" or "step start").
        which: &'static str,
        /// Why it does not fit.
        error: LuError,
    },
    /// The consistent initialisation could not be set up on the model's Jacobian pattern.
    /// (The sparse LU's error is data, not a source: the message shows it once.)
    #[error("setting up the model: the Jacobian pattern: {0}")]
    Pattern(LuError),
    /// The solver could not be set up or re-initialised for a run.
    #[error("setting up the solver: {error}")]
    SolverSetup {
        /// The solver's error.
        error: SolverError,
    },
    /// The solver failed during a step. (The solver's error is part of the message rather
    /// than a separate cause, so that error chains do not print it twice.)
    #[error("cycle {cycle}, step {step}: {error}; {explanation}")]
    Solver {
        /// Cycle number, from 1.
        cycle: usize,
        /// 1-based step index within the cycle.
        step: usize,
        /// The solver's error (time, internal steps, reason, the failing callback as data).
        error: SolverError,
        /// What limited, in physical terms, from the last state the solver accepted
        /// ([`explain_failure`]).
        explanation: Box<FailureExplanation>,
    },
    /// An impedance measurement failed: its open-circuit rest (`stage` "impedance rest") or
    /// the spectrum itself (`stage` "impedance spectrum").
    #[error("cycle {cycle}, step {step}, {stage}: {error}")]
    Impedance {
        /// Cycle number, from 1.
        cycle: usize,
        /// 1-based index of the step the measurement follows.
        step: usize,
        /// Which part failed: "impedance rest" or "impedance spectrum".
        stage: &'static str,
        /// What went wrong.
        error: Box<ImpedanceFailure>,
    },
    /// Writing output failed.
    #[error("writing output: {0}")]
    Output(#[from] std::io::Error),
}

/// The IDA options a run of `model` uses under `settings`: its tolerances, with the
/// per-unknown absolute tolerances of [`P2dModel::absolute_tolerances`].
pub fn ida_options(model: &P2dModel, settings: &SolverSettings) -> IdaOptions {
    IdaOptions {
        rtol: settings.rtol,
        atol: settings.atol,
        atol_vector: Some(model.absolute_tolerances(settings.atol)),
        max_steps: settings.max_steps,
        ..IdaOptions::default()
    }
}

/// A discretised cell together with its DAE solver, ready to run experiments.
///
/// Building it discretises the model, records the Jacobian pattern, performs the symbolic LU
/// analysis and allocates the solver: work done once. Every [`Simulation::run`] then starts
/// from the rested cell at its initial concentrations.
pub struct Simulation {
    ida: Ida<P2dModel>,
    /// Consistent initialisation at step starts (see [`StepStart`]).
    init: StepStart,
    settings: SolverSettings,
    rest: Vec<f64>,
    probe: Option<ImpedanceProbe>,
    /// The cell and mesh, for the measuring model of impedance probes.
    params: CellParameters,
    mesh: MeshSettings,
    /// Cycles that cycle jumping must resolve (sorted; see [`Simulation::resolve_cycles`]).
    resolve: Vec<usize>,
}

/// The second solver of impedance measurements, on its own model of the cell (particle shells
/// refined toward the surface, see [`ImpedanceSettings::particle_surface_refinement`]), so that
/// a measurement leaves the cycling solver (its state, factorisation and statistics) untouched.
struct ImpedanceProbe {
    ida: Ida<P2dModel>,
    init: StepStart,
    /// The cycling model, whose states are moved onto the measuring one.
    cycling_model: P2dModel,
    settings: ImpedanceSettings,
    frequencies_hz: Vec<f64>,
}

impl Simulation {
    /// Discretises `params` on `mesh` and sets up the solver.
    pub fn new(
        params: &CellParameters,
        mesh: &MeshSettings,
        settings: &SolverSettings,
    ) -> Result<Self, SimulationError> {
        let mut model = P2dModel::new(params, mesh)?;
        model.set_capacitive_charging(settings.capacitive_charging);
        let rest = model.rest_state();
        let yp0 = vec![0.0; rest.len()];
        let options = ida_options(&model, settings);
        let init = StepStart::new(&model, settings)?;
        let ida = Ida::new(model, 0.0, &rest, &yp0, &options)
            .map_err(|error| SimulationError::SolverSetup { error })?;
        Ok(Simulation {
            ida,
            init,
            settings: settings.clone(),
            rest,
            probe: None,
            params: params.clone(),
            mesh: *mesh,
            resolve: Vec::new(),
        })
    }

    /// With cycle jumping, resolves the cycles `cycles` in the runs that follow: a jump never
    /// passes over one of them, so their figures (and rows) are computed, not extrapolated.
    /// Comparisons with measured cycles ask for this. Without cycle jumping every cycle is
    /// resolved anyway.
    pub fn resolve_cycles(&mut self, cycles: &[usize]) {
        self.resolve = cycles.to_vec();
        self.resolve.sort_unstable();
        self.resolve.dedup();
    }

    /// Takes impedance spectra during the runs that follow, as `settings` asks (`None`: no
    /// more spectra). Each spectrum is an off-trajectory probe: at the end of the chosen step
    /// of a requested cycle the state is copied, the copy rests at open circuit for
    /// [`ImpedanceSettings::rest_s`] on a second solver (set up here, once), and the
    /// linearised impedance at the end of that rest goes to
    /// [`TimeseriesSink::impedance_measured`]. The cycling itself is unchanged. With cycle
    /// jumping, jumps never pass over a requested cycle.
    ///
    /// Settings that do not fit the experiment of a run (a cycle it never reaches, a cycle
    /// without the chosen kind of step) make [`Simulation::run`] fail before anything is
    /// solved.
    pub fn measure_impedance(
        &mut self,
        settings: Option<ImpedanceSettings>,
    ) -> Result<(), SimulationError> {
        let Some(settings) = settings else {
            self.probe = None;
            return Ok(());
        };
        settings.validate()?;
        let mut model = P2dModel::new(&self.params, &settings.measuring_mesh(&self.mesh))?;
        model.set_capacitive_charging(self.settings.capacitive_charging);
        let rest = model.rest_state();
        let yp0 = vec![0.0; rest.len()];
        let options = ida_options(&model, &self.settings);
        let init = StepStart::new(&model, &self.settings)?;
        let ida = Ida::new(model, 0.0, &rest, &yp0, &options)
            .map_err(|error| SimulationError::SolverSetup { error })?;
        self.probe = Some(ImpedanceProbe {
            ida,
            init,
            cycling_model: self.ida.system().clone(),
            frequencies_hz: settings.frequencies_hz(),
            settings,
        });
        Ok(())
    }

    /// Number of unknowns of the discretised model.
    pub fn unknowns(&self) -> usize {
        self.rest.len()
    }

    /// Runs `experiment` from the rested cell at time 0, streaming rows and per-cycle figures
    /// to `sink`.
    ///
    /// Each step sets the control (current, voltage or open circuit), re-initialises IDA from
    /// the current state, computes consistent algebraic variables (IDACalcIC) and integrates
    /// until its voltage or current cut-off (IDA root functions) or its duration (an IDA stop
    /// time), whichever comes first. A constant-current step whose voltage cut-off is already
    /// reached when it begins is skipped ([`StepEnd::Skipped`]) and the experiment goes on.
    pub fn run(
        &mut self,
        experiment: &Experiment,
        sink: &mut dyn TimeseriesSink,
    ) -> Result<RunSummary, SimulationError> {
        self.run_from(experiment, None, sink)
    }

    /// Like [`Simulation::run`], but continuing from `checkpoint` when given: the cycles it
    /// completed are skipped and the run goes on from its state, time and pivot sequences.
    /// Because every step re-initialises the solver from the state and the factorisations go on
    /// with the same pivot sequences, the continued run takes the same steps as an
    /// uninterrupted one.
    pub fn run_from(
        &mut self,
        experiment: &Experiment,
        checkpoint: Option<&Checkpoint>,
        sink: &mut dyn TimeseriesSink,
    ) -> Result<RunSummary, SimulationError> {
        let started = Instant::now();
        if let Some(probe) = &self.probe {
            probe.settings.validate_against(experiment)?;
        }
        let steps_before = self.ida.stats().steps;
        let (mut y, mut yp, t0, done) = match checkpoint {
            Some(cp) => {
                if cp.y.len() != self.rest.len() || cp.yp.len() != self.rest.len() {
                    return Err(SimulationError::CheckpointMismatch {
                        held: cp.y.len(),
                        model: self.rest.len(),
                    });
                }
                (cp.y.clone(), cp.yp.clone(), cp.time_s, cp.cycles_done)
            }
            None => (self.rest.clone(), vec![0.0; self.rest.len()], 0.0, 0),
        };
        let ida = &mut self.ida;
        // What a cycle computes depends on its starting state and on the pivot sequences its
        // factorisations reuse: a run starts with fresh ones (whatever this simulation ran
        // before), a continued run with those of its checkpoint, so it repeats the
        // uninterrupted one exactly. (Cycles used to start from fresh factorisations: a full
        // pivot search costs ten refactorisations, and came to 4 % of a cycling run.)
        let pivots = checkpoint.map(|cp| cp.pivots.clone()).unwrap_or_default();
        let restore = |which: &'static str, result: Result<(), LuError>| {
            result.map_err(|error| SimulationError::CheckpointPivots { which, error })
        };
        restore(
            "solver",
            ida.restore_pivot_sequence(pivots.solver.as_deref()),
        )?;
        restore(
            "step start",
            self.init
                .newton
                .restore_pivot_sequence(pivots.step_start.as_deref()),
        )?;
        ida.reinit(t0, &y, &yp)
            .map_err(|error| SimulationError::SolverSetup { error })?;
        // A resumed run counts from the checkpoint's counters: its summary is the whole run's.
        let before = checkpoint.and_then(|cp| cp.counters).unwrap_or_default();
        let mut summary = RunSummary {
            cycles: done,
            first_cycle: checkpoint.and_then(|cp| cp.first_cycle),
            last_cycle: None,
            last_cycle_steps: Vec::new(),
            skipped_steps: before.skipped_steps,
            ended_near_cutoff: before.ended_near_cutoff,
            jumped_cycles: before.jumped_cycles,
            jumps: before.jumps,
            unknowns: self.rest.len(),
            impedance_spectra: before.impedance_spectra,
            impedance_time_s: 0.0,
            solver_steps: 0,
            wall_time_s: 0.0,
        };
        let mut cycle = 0;
        let (slow, controlled): (Vec<usize>, Vec<bool>) =
            ida.system().slow_indices().into_iter().unzip();
        for block in &experiment.blocks {
            // The step after which requested spectra are taken in this block's cycles.
            let measure_after = self
                .probe
                .as_ref()
                .and_then(|p| p.settings.after.step_index(&block.steps));
            // Cycle jumping: the slow states and end times of the resolved cycles of the
            // current episode (emptied at every jump and at every block start).
            let mut history: Vec<(Vec<f64>, f64)> = Vec::new();
            let mut index = 0;
            while index < block.cycles {
                index += 1;
                cycle += 1;
                let first_of_iteration = cycle;
                if cycle <= done {
                    continue;
                }
                let record_rows = sink.wants_cycle(cycle);
                let mut figures = CycleSummary::new(cycle, self.params.host_capacity_ah());
                summary.last_cycle_steps.clear();
                for (index, step) in block.steps.iter().enumerate() {
                    let at = Position {
                        cycle,
                        step: index + 1,
                        record_rows,
                    };
                    let step_started = ida.t();
                    let done = run_step(
                        ida,
                        &mut self.init,
                        &mut y,
                        &mut yp,
                        step,
                        at,
                        &self.settings,
                        sink,
                    )
                    .map_err(|e| match e {
                        StepError::Solver(error) => SimulationError::Solver {
                            cycle,
                            step: index + 1,
                            error,
                            explanation: Box::new(explain_failure(
                                ida.system(),
                                ida.y(),
                                step,
                                ida.t() - step_started,
                            )),
                        },
                        StepError::Output(e) => SimulationError::Output(e),
                    })?;
                    sink.step_finished(cycle, index + 1)?;
                    if let Some(probe) = self.probe.as_mut().filter(|p| {
                        measure_after == Some(index) && p.settings.cycles.contains(cycle)
                    }) {
                        let probe_started = Instant::now();
                        let spectrum =
                            probe.measure(ida.t(), &y, &yp, cycle, index + 1, &self.settings)?;
                        sink.impedance_measured(&spectrum)?;
                        summary.impedance_spectra += 1;
                        summary.impedance_time_s += probe_started.elapsed().as_secs_f64();
                    }
                    figures.add_step(done.capacity_ah, done.energy_wh);
                    if matches!(done.end, StepEnd::Skipped | StepEnd::CurrentUnsustainable) {
                        summary.skipped_steps += 1;
                    }
                    if done.end == StepEnd::NearCutoff {
                        summary.ended_near_cutoff += 1;
                    }
                    summary.last_cycle_steps.push(done);
                }
                figures.end_time_s = ida.t();
                figures.degradation = ida.system().degradation_state(&y);
                sink.cycle_finished(&figures)?;
                summary.cycles = cycle;
                summary.first_cycle.get_or_insert(figures);
                summary.last_cycle = Some(figures);
                if let Some(cj) = &self.settings.cycle_jumping {
                    history.push((slow.iter().map(|&k| y[k]).collect(), ida.t()));
                    if history.len() >= cj.resolved_cycles {
                        let n = history.len();
                        let (a, b, c) = (&history[n - 3], &history[n - 2], &history[n - 1]);
                        // A requested spectrum's cycle, or one asked for, must be resolved: the
                        // jump ends before it.
                        let must_resolve =
                            next_resolved_after(self.probe.as_ref(), &self.resolve, cycle)
                                .map(|c| c - cycle);
                        // The relaxation test: the net charge per cycle held steady to the
                        // tolerance of the cycle's capacity, beyond its noise (both in the
                        // counter's A·h/m²).
                        let capacity = figures
                            .charge_capacity_ah
                            .max(figures.discharge_capacity_ah)
                            / ida.system().area_m2();
                        let q = ida.system().layout().q;
                        let controls: Vec<StateControl> = slow
                            .iter()
                            .zip(&controlled)
                            .map(|(&k, &on)| {
                                if k == q {
                                    StateControl::Absolute {
                                        scale: capacity,
                                        noise: CHARGE_NOISE * self.settings.rtol * capacity,
                                    }
                                } else if on {
                                    StateControl::Relative
                                } else {
                                    StateControl::Free
                                }
                            })
                            .collect();
                        let plan = cj.plan_resolving(
                            [&a.0, &b.0, &c.0],
                            [a.1, b.1, c.1],
                            block.cycles - index,
                            must_resolve,
                            &controls,
                            &ida.system().extrapolation_ranges(&y),
                        );
                        match plan {
                            Some(jump) => {
                                for (&k, &v) in slow.iter().zip(&jump.states) {
                                    y[k] = v;
                                }
                                ida.reinit(jump.time_s, &y, &yp)
                                    .map_err(|error| SimulationError::SolverSetup { error })?;
                                cycle += jump.cycles;
                                index += jump.cycles;
                                summary.cycles = cycle;
                                summary.jumped_cycles += jump.cycles;
                                summary.jumps += 1;
                                history.clear();
                            }
                            // No jump allowed here: a new episode starts (so that episodes,
                            // and with them checkpoints, begin at fixed places).
                            None => history.clear(),
                        }
                    }
                }
                // A checkpoint holds no jump history, so with cycle jumping it is taken only
                // where an episode starts (after a jump): a continued run then repeats an
                // uninterrupted one. Any cycle due since the last one counts (a jump may pass
                // over it).
                let episode_start = self.settings.cycle_jumping.is_none() || history.is_empty();
                if episode_start && (first_of_iteration..=cycle).any(|c| sink.checkpoint_due(c)) {
                    sink.save_checkpoint(&Checkpoint {
                        version: CHECKPOINT_VERSION,
                        cycles_done: cycle,
                        time_s: ida.t(),
                        first_cycle: summary.first_cycle,
                        y: y.clone(),
                        yp: yp.clone(),
                        counters: Some(RunCounters {
                            skipped_steps: summary.skipped_steps,
                            ended_near_cutoff: summary.ended_near_cutoff,
                            jumped_cycles: summary.jumped_cycles,
                            jumps: summary.jumps,
                            impedance_spectra: summary.impedance_spectra,
                            solver_steps: before.solver_steps + ida.stats().steps - steps_before,
                        }),
                        pivots: PivotSequences {
                            solver: ida.pivot_sequence(),
                            step_start: self.init.newton.pivot_sequence(),
                        },
                    })?;
                }
            }
        }
        summary.solver_steps = before.solver_steps + ida.stats().steps - steps_before;
        summary.wall_time_s = started.elapsed().as_secs_f64();
        Ok(summary)
    }
}

/// Whether `voltage` \[V\] is at or past the voltage cut-off `cut` of a constant-current `step`
/// in the step's direction (at or below it on discharge, at or above it on charge).
fn past_cutoff(step: &Step, cut: Option<f64>, voltage: f64) -> bool {
    match (step, cut) {
        (Step::ConstantCurrent { direction, .. }, Some(cut)) => match direction {
            Direction::Discharge => voltage <= cut,
            Direction::Charge => voltage >= cut,
        },
        _ => false,
    }
}

/// Whether a step's end condition already holds at its consistent start (`first`): a
/// constant-current step at or past its voltage cut-off, or a constant-voltage hold whose
/// current is already at or below its end current (after a charge slower than that current
/// the hold would otherwise never end: its root function starts on the far side).
fn already_ended(step: &Step, limit: &super::step::StepLimit, first: &TimeseriesRecord) -> bool {
    match step {
        Step::ConstantVoltage { .. } => limit
            .current_a
            .is_some_and(|cut| first.current_a.abs() <= cut),
        _ => past_cutoff(step, limit.voltage_v, first.voltage_v),
    }
}

/// The first cycle after `cycle` that cycle jumping must resolve: a requested spectrum's
/// (`probe`) or one of `resolve` (sorted, [`Simulation::resolve_cycles`]).
fn next_resolved_after(
    probe: Option<&ImpedanceProbe>,
    resolve: &[usize],
    cycle: usize,
) -> Option<usize> {
    let spectrum = probe.and_then(|p| p.settings.cycles.next_after(cycle));
    let listed = resolve
        .get(resolve.partition_point(|&c| c <= cycle))
        .copied();
    match (spectrum, listed) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

impl ImpedanceProbe {
    /// The spectrum of the state (`y`, `yp`) at time `t` \[s\], the end of step `step` of cycle
    /// `cycle`, after the open-circuit rest of the settings. The probe's solver starts afresh
    /// (fresh factorisation, re-initialised at `t`), so the spectrum depends only on the state
    /// given: a resumed run measures exactly what an uninterrupted one does.
    fn measure(
        &mut self,
        t: f64,
        y: &[f64],
        yp: &[f64],
        cycle: usize,
        step: usize,
        solver: &SolverSettings,
    ) -> Result<ImpedanceSpectrum, SimulationError> {
        let failed = |stage: &'static str, error: ImpedanceFailure| SimulationError::Impedance {
            cycle,
            step,
            stage,
            error: Box::new(error),
        };
        // The state on the measuring model's shells (its rest relaxes the remapped surface).
        let transfer = |v: &[f64]| {
            self.ida
                .system()
                .transfer_state(&self.cycling_model, v)
                .map_err(|e| failed("impedance rest", ImpedanceFailure::Transfer(e)))
        };
        let (mut y, mut yp) = (transfer(y)?, transfer(yp)?);
        let ida = &mut self.ida;
        ida.forget_factorization();
        self.init.newton.forget_factorization();
        ida.reinit(t, &y, &yp)
            .map_err(|e| failed("impedance rest", ImpedanceFailure::Solver(e)))?;
        let rest = Step::Rest {
            limit: super::step::StepLimit {
                duration_s: Some(self.settings.rest_s.max(MIN_REST_S)),
                ..Default::default()
            },
        };
        let settings = SolverSettings {
            output_interval_s: None,
            cycle_jumping: None,
            ..solver.clone()
        };
        let at = Position {
            cycle,
            step,
            record_rows: false,
        };
        run_step(
            ida,
            &mut self.init,
            &mut y,
            &mut yp,
            &rest,
            at,
            &settings,
            &mut NoRows,
        )
        .map_err(|e| match e {
            StepError::Solver(error) => failed("impedance rest", ImpedanceFailure::Solver(error)),
            StepError::Output(error) => failed("impedance rest", ImpedanceFailure::Output(error)),
        })?;
        let model = ida.system_mut();
        let z_ohm = model
            .impedance(&y, &yp, &self.frequencies_hz)
            .map_err(|e| failed("impedance spectrum", ImpedanceFailure::Spectrum(e)))?;
        Ok(ImpedanceSpectrum {
            cycle,
            step,
            time_s: t,
            rest_s: self.settings.rest_s,
            voltage_v: model.voltage(&y),
            frequencies_hz: self.frequencies_hz.clone(),
            z_ohm,
            degradation: model.degradation_state(&y),
        })
    }
}

/// Runs `experiment` from a rested cell at the initial concentrations, streaming rows to
/// `sink`: [`Simulation::new`] followed by one [`Simulation::run`].
pub fn simulate(
    params: &CellParameters,
    mesh: &MeshSettings,
    solver: &SolverSettings,
    experiment: &Experiment,
    sink: &mut dyn TimeseriesSink,
) -> Result<RunSummary, SimulationError> {
    Simulation::new(params, mesh, solver)?.run(experiment, sink)
}

enum StepError {
    Solver(SolverError),
    Output(std::io::Error),
}

impl From<SolverError> for StepError {
    fn from(e: SolverError) -> Self {
        StepError::Solver(e)
    }
}

impl From<std::io::Error> for StepError {
    fn from(e: std::io::Error) -> Self {
        StepError::Output(e)
    }
}

/// Where in the experiment a step runs.
#[derive(Debug, Clone, Copy)]
struct Position {
    cycle: usize,
    step: usize,
    /// Whether the sink wants this cycle's rows.
    record_rows: bool,
}

/// The row of the solver's current state.
///
/// Under open circuit (a rest: the current is zero by the control) the row's current is 0
/// exactly, not the applied-current unknown, whose deviation from its control there is solver
/// noise (±1e-20 A) with a random sign that would otherwise make a rest row look like a
/// charge or a discharge to whatever sorts rows by the current's sign.
fn row(ida: &Ida<P2dModel>, at: Position) -> TimeseriesRecord {
    row_at(ida.system(), ida.y(), ida.t(), at)
}

/// The row of state `y` of `model` at time `t` \[s\] (see [`row`]).
fn row_at(model: &P2dModel, y: &[f64], t: f64, at: Position) -> TimeseriesRecord {
    let current_a = match model.control {
        Control::Current { i_a_m2: 0.0 } => 0.0,
        _ => model.current_a(y),
    };
    TimeseriesRecord {
        time_s: t,
        cycle: at.cycle,
        step: at.step,
        current_a,
        voltage_v: model.voltage(y),
        discharge_capacity_ah: model.discharge_capacity_ah(y),
    }
}

/// How many times one step may restart the solver after a convergence or error-test failure
/// (see [`run_step`]) before the failure is reported.
const MAX_RESTARTS: usize = 3;

/// Whether a solver failure may be retried by a restart from the last accepted state: repeated
/// corrector or error-test failures, not bad input or a failing model evaluation.
fn restartable(error: &SolverError) -> bool {
    matches!(
        error.flag,
        "IDA_CONV_FAIL" | "IDA_ERR_FAIL" | "IDA_REP_RES_ERR"
    )
}

/// Runs one step from the state (`y`, `yp`) at the solver's current time, and leaves the final
/// state in `y`, `yp`.
///
/// A solver failure inside the step is retried up to [`MAX_RESTARTS`] times by re-initialising
/// the solver from the last state it accepted; the run is deterministic either way (the same
/// failures happen at the same places), so a resumed run still repeats an uninterrupted one.
#[allow(clippy::too_many_arguments)]
fn run_step(
    ida: &mut Ida<P2dModel>,
    init: &mut StepStart,
    y: &mut [f64],
    yp: &mut [f64],
    step: &Step,
    at: Position,
    solver: &SolverSettings,
    sink: &mut dyn TimeseriesSink,
) -> Result<StepSummary, StepError> {
    let t_start = ida.t();
    let limit = step.limit();
    // The state before the step: a skipped step leaves it unchanged.
    let (y_before, yp_before) = (y.to_vec(), yp.to_vec());
    let skipped = |ida: &mut Ida<P2dModel>, y: &mut [f64], yp: &mut [f64], end: StepEnd| {
        y.copy_from_slice(&y_before);
        yp.copy_from_slice(&yp_before);
        ida.reinit(t_start, y, yp)?;
        Ok::<_, StepError>(StepSummary {
            cycle: at.cycle,
            step: at.step,
            end,
            duration_s: 0.0,
            capacity_ah: 0.0,
            energy_wh: 0.0,
            final_voltage_v: ida.system().voltage(y),
        })
    };
    {
        let model = ida.system_mut();
        let area = model.area_m2();
        match step {
            Step::ConstantCurrent {
                current_a,
                direction,
                ..
            } => {
                let i = current_a * direction.sign() / area;
                model.set_control(Control::Current { i_a_m2: i });
                model.guess_for_current(y, i);
                model.set_voltage_event(limit.voltage_v);
                model.set_current_event(None);
            }
            Step::ConstantVoltage { voltage_v, .. } => {
                model.set_control(Control::Voltage { v: *voltage_v });
                model.set_voltage_event(None);
                model.set_current_event(limit.current_a);
            }
            Step::Rest { .. } => {
                model.set_control(Control::Current { i_a_m2: 0.0 });
                model.guess_for_current(y, 0.0);
                model.set_voltage_event(None);
                model.set_current_event(None);
            }
        }
    }
    let t_end = limit.duration_s.map(|d| t_start + d);
    let first_output = t_start + limit.duration_s.unwrap_or(1.0).min(1.0);
    if let Err(error) = init.start(ida, t_start, y, yp, first_output) {
        // A constant current the particle surfaces cannot carry at all has no consistent
        // state: the step is skipped. Any other failure to start is an error.
        let limits = ida.system().surface_current_limits(&y_before);
        match step {
            Step::ConstantCurrent { direction, .. } => {
                let charge = *direction == Direction::Charge;
                let i = y[ida.system().layout().i_app].abs();
                if i > limits.toward(charge) {
                    return skipped(ida, y, yp, StepEnd::CurrentUnsustainable);
                }
                // Nor can a current whose ohmic drop across the interface alone takes the cell
                // past the step's cut-off (a cold cell with little contact at a high rate).
                if let Some(cutoff) = limit.voltage_v {
                    let drop = ida.system().interface_drop_v(&y_before, i);
                    let v_before = ida.system().voltage(&y_before);
                    let past = if charge {
                        v_before + drop > cutoff
                    } else {
                        v_before - drop < cutoff
                    };
                    if past {
                        return skipped(ida, y, yp, StepEnd::CurrentUnsustainable);
                    }
                }
            }
            // A hold whose voltage lies beyond what the cell reaches at the largest current its
            // surfaces can carry (99 % of the bound, in the hold's direction) cannot start
            // either: it would draw more than that at once.
            Step::ConstantVoltage { voltage_v, .. } => {
                let v_before = ida.system().voltage(&y_before);
                let charge = *voltage_v > v_before;
                // Positive on discharge.
                let bound = if charge { -1.0 } else { 1.0 } * limits.toward(charge);
                y.copy_from_slice(&y_before);
                yp.copy_from_slice(&yp_before);
                let model = ida.system_mut();
                model.set_control(Control::Current {
                    i_a_m2: 0.99 * bound,
                });
                model.guess_for_current(y, 0.99 * bound);
                let reach = init
                    .start(ida, t_start, y, yp, first_output)
                    .ok()
                    .map(|()| ida.system().voltage(y));
                let unreachable = reach.is_none_or(|v| {
                    if charge {
                        v < *voltage_v
                    } else {
                        v > *voltage_v
                    }
                });
                if unreachable {
                    return skipped(ida, y, yp, StepEnd::CurrentUnsustainable);
                }
            }
            Step::Rest { .. } => {}
        }
        return Err(error.into());
    }
    let first = row(ida, at);
    if already_ended(step, &limit, &first) {
        return skipped(ida, y, yp, StepEnd::Skipped);
    }
    if at.record_rows {
        sink.record(&first)?;
    }
    let q_start = first.discharge_capacity_ah;
    let w_start = ida.system().discharge_energy_wh(ida.y());

    let end: StepEnd;
    let mut last = first;
    // The row before `last` (the voltage's rate of change for the near-cut-off rule).
    let mut previous = first;
    {
        if let Some(t_end) = t_end {
            ida.set_stop_time(t_end)?;
        }
        // Without a duration limit, the target of a one-step call only sets the scale of
        // IDA's first step (it goes on past it); an hour is the natural scale of a step.
        let mut one_step_target = t_end.unwrap_or(t_start + 3600.0);
        // The solver takes its own steps whatever the output: with an output interval, the
        // rows of a saved cycle are the solution interpolated at the output times within each
        // internal step (IDA's dense output), so output costs no solver stop, a cycle's numbers
        // do not depend on whether it is saved, and an unsaved cycle computes no rows at all
        // (issue 15 item 7).
        let output_interval = solver.output_interval_s.filter(|_| at.record_rows);
        let mut next_output = output_interval.map(|dt| t_start + dt);
        let mut interpolated = vec![
            0.0;
            if output_interval.is_some() {
                y.len()
            } else {
                0
            }
        ];
        // Internal steps taken in this step: one per call (counted here, as reading IDA's
        // statistics costs a dozen calls).
        let mut one_step_calls = 0usize;
        let mut restarts = 0usize;
        loop {
            let attempt = ida.step(one_step_target);
            let outcome = match attempt {
                Ok(outcome) => outcome,
                Err(error) => {
                    // The last state the solver accepted (IDA returns it on failure).
                    let t = ida.t();
                    let (y_ok, yp_ok) = (ida.y().to_vec(), ida.yp().to_vec());
                    // Restart rule: re-initialise from that state (fresh history, order 1,
                    // small first step), recompute consistent algebraic variables and go on.
                    // IDA's multistep history can carry it into a corner (a steep end of an
                    // open-circuit plateau) where the corrector fails at every step size; a
                    // fresh start usually passes it.
                    if restarts < MAX_RESTARTS && restartable(&error) {
                        restarts += 1;
                        let (mut y_r, mut yp_r) = (y_ok.clone(), yp_ok.clone());
                        let restarted =
                            init.start(ida, t, &mut y_r, &mut yp_r, t + 1e-3)
                                .and_then(|()| match t_end {
                                    Some(t_end) => ida.set_stop_time(t_end),
                                    None => Ok(()),
                                });
                        if restarted.is_ok() {
                            // A restart whose consistent state is already past the step's
                            // voltage cut-off (the last millivolts of a charge that exhausts
                            // the particle surfaces, where the on-load voltage rises steeply)
                            // ends the step at the last accepted state, before the cut-off: no
                            // state beyond it is ever recorded.
                            if past_cutoff(step, limit.voltage_v, ida.system().voltage(ida.y())) {
                                ida.reinit(t, &y_ok, &yp_ok)?;
                                last = row(ida, at);
                                end = StepEnd::NearCutoff;
                                break;
                            }
                            // The one-step target must lie ahead of the restart time.
                            one_step_target = t_end.unwrap_or(t + 3600.0);
                            continue;
                        }
                    }
                    // Near-cut-off rule: a constant-current step that still fails within
                    // NEAR_CUTOFF_V of its voltage cut-off ends there, at the last accepted
                    // state.
                    ida.reinit(t, &y_ok, &yp_ok)?;
                    let voltage = ida.system().voltage(ida.y());
                    // Distance to the cut-off [V] in the step's direction, and the time
                    // [s] the voltage would take to cover it at its last rate of change.
                    let gap = match (step, limit.voltage_v) {
                        (Step::ConstantCurrent { direction, .. }, Some(cut)) => match direction {
                            Direction::Discharge => Some(voltage - cut),
                            Direction::Charge => Some(cut - voltage),
                        },
                        _ => None,
                    };
                    let dt = last.time_s - previous.time_s;
                    let closing = (previous.voltage_v - last.voltage_v).abs() / dt.max(1e-300);
                    let elapsed = t - t_start;
                    // Or the particle surfaces are exhausted in the step's direction: at the
                    // end of the host's window, or carrying the limit of what they can carry
                    // (`surface_current_limits`). The on-load voltage then runs to infinity:
                    // the cut-off is reached there, however far it still seems.
                    let exhausted = match step {
                        Step::ConstantCurrent { direction, .. } if gap.is_some() => {
                            let model = ida.system();
                            let state = model.surface_state(ida.y());
                            let i = ida.y()[model.layout().i_app].abs();
                            let charge = *direction == Direction::Charge;
                            state.room(charge) <= EXHAUSTED_FILLING
                                || i >= state.limits.toward(charge)
                        }
                        _ => false,
                    };
                    let near = exhausted
                        || gap.is_some_and(|gap| {
                            gap < NEAR_CUTOFF_V
                                || (closing > 0.0 && gap / closing < NEAR_CUTOFF_TIME * elapsed)
                        });
                    if near {
                        last = row(ida, at);
                        end = StepEnd::NearCutoff;
                        break;
                    }
                    return Err(error.into());
                }
            };
            previous = last;
            last = row(ida, at);
            // The rows: every internal step's state, or with an output interval the output
            // times this step passed (interpolated; one at the step's end is the end's row).
            match (output_interval, next_output) {
                (Some(dt), Some(mut t_out)) => {
                    while t_out < last.time_s {
                        ida.interpolate(t_out, &mut interpolated)?;
                        let output = row_at(ida.system(), &interpolated, t_out, at);
                        // (A cut-off crossed without a root, below, ends the step at this
                        // step's state: no row past the cut-off before it.)
                        if !past_cutoff(step, limit.voltage_v, output.voltage_v) {
                            sink.record(&output)?;
                        }
                        t_out += dt;
                    }
                    next_output = Some(t_out);
                }
                _ if at.record_rows => sink.record(&last)?,
                _ => {}
            }
            let ended = match outcome {
                StepOutcome::Root { roots, .. } => {
                    Some(if roots.first().is_some_and(|&r| r != 0) {
                        StepEnd::VoltageLimit
                    } else {
                        StepEnd::CurrentLimit
                    })
                }
                // A cut-off passed without a root: after a restart the re-initialised
                // algebraic variables can put the voltage on the far side of the cut-off
                // already, where the root function never changes sign again and the step
                // would run on into nonsense. The step ends at the first state past it.
                StepOutcome::Reached { .. } | StepOutcome::Step { .. }
                    if past_cutoff(step, limit.voltage_v, last.voltage_v) =>
                {
                    Some(StepEnd::VoltageLimit)
                }
                StepOutcome::Reached { .. } | StepOutcome::Step { .. }
                    if t_end.is_some_and(|te| ida.t() >= te) =>
                {
                    Some(StepEnd::Duration)
                }
                StepOutcome::Reached { .. } | StepOutcome::Step { .. } => None,
            };
            if let Some(ended) = ended {
                // With an output interval the step's end has a row of its own.
                if output_interval.is_some() {
                    sink.record(&last)?;
                }
                end = ended;
                break;
            }
            one_step_calls += 1;
            let taken = one_step_calls as u64;
            if taken > solver.max_steps as u64 {
                return Err(StepError::Solver(SolverError::new(
                    ida.t(),
                    ida.stats().steps,
                    "MAX_STEPS",
                    format!(
                        "the step did not reach its limit within {} solver steps",
                        solver.max_steps
                    ),
                )));
            }
        }
    }
    y.copy_from_slice(ida.y());
    yp.copy_from_slice(ida.yp());
    // A rest passes no charge: its current is zero by its control, and what the delivered-charge
    // unknown integrates there is solver noise (1e-20 A·h), which must not count as a charge
    // or discharge of the cycle (a cycle of rests and skipped steps would get a coulombic
    // efficiency of noise over noise).
    let (capacity_ah, energy_wh) = match step {
        Step::Rest { .. } => (0.0, 0.0),
        _ => (
            last.discharge_capacity_ah - q_start,
            ida.system().discharge_energy_wh(ida.y()) - w_start,
        ),
    };
    Ok(StepSummary {
        cycle: at.cycle,
        step: at.step,
        end,
        duration_s: ida.t() - t_start,
        capacity_ah,
        energy_wh,
        final_voltage_v: last.voltage_v,
    })
}

/// Consistent initialisation at the start of a step (and at a restart): the algebraic
/// unknowns and the derivatives are brought onto the new control's algebraic manifold by the
/// damped full Newton of [`ConsistentInit`], with every unknown error-weighted (the currents
/// too, which IDA's own error test leaves out); IDA is then re-initialised on that state. Only
/// where that Newton fails does IDA's `IDACalcIC` get the state, as IDA would have.
struct StepStart {
    newton: ConsistentInit,
    options: ConsistentInitOptions,
    differential: Vec<bool>,
}

impl StepStart {
    fn new(model: &P2dModel, settings: &SolverSettings) -> Result<Self, SimulationError> {
        let newton =
            ConsistentInit::new(model.jacobian_pattern()).map_err(SimulationError::Pattern)?;
        Ok(StepStart {
            newton,
            options: ConsistentInitOptions::new(settings.rtol, vec![settings.atol; model.len()]),
            differential: model.differential(),
        })
    }

    /// Makes (`y`, `yp`) consistent at `t` and re-initialises `ida` there; `first_output` is
    /// the scale of IDA's first step should `IDACalcIC` be needed. On success `y`, `yp` hold
    /// the solver's state.
    fn start(
        &mut self,
        ida: &mut Ida<P2dModel>,
        t: f64,
        y: &mut [f64],
        yp: &mut [f64],
        first_output: f64,
    ) -> Result<(), SolverError> {
        let guess = (y.to_vec(), yp.to_vec());
        let solved = self.newton.solve(
            ida.system_mut(),
            t,
            y,
            yp,
            &self.differential,
            &self.options,
        );
        if solved.is_ok() || self.by_continuation(ida.system_mut(), t, y, yp, &guess) {
            return ida.reinit(t, y, yp);
        }
        y.copy_from_slice(&guess.0);
        yp.copy_from_slice(&guess.1);
        ida.reinit(t, y, yp)?;
        ida.calc_ic(first_output)?;
        y.copy_from_slice(ida.y());
        yp.copy_from_slice(ida.yp());
        Ok(())
    }
}

impl StepStart {
    /// Continuation in the applied current, where the Newton from the step's guess fails: a
    /// constant current switched on at once needs every cell's overpotential, surface potential
    /// and share of the current to move together, and from a surface close to an end of its
    /// window (a fast discharge after a rest on a cold, diffusion-starved cell: robustness seed
    /// 12, case 86) the Newton from a uniform current leaves the region where its linearisation
    /// holds. The algebraic state is then found at `k/n` of the current for k = 1 … n, each
    /// from the one before (its currents scaled, the cells settled), with n = 4 and then 16.
    /// The differential unknowns do not move, so the state found at the full current is the
    /// one a converging Newton would have found. On failure (`false`) `y`, `yp` are the guess
    /// again; the control is the step's either way.
    fn by_continuation(
        &mut self,
        model: &mut P2dModel,
        t: f64,
        y: &mut [f64],
        yp: &mut [f64],
        guess: &(Vec<f64>, Vec<f64>),
    ) -> bool {
        let Control::Current { i_a_m2: target } = model.control() else {
            return false;
        };
        if target == 0.0 {
            return false;
        }
        let l = *model.layout();
        for stages in CONTINUATION_STAGES {
            y.copy_from_slice(&guess.0);
            yp.copy_from_slice(&guess.1);
            let mut previous = 0.0;
            let mut converged = true;
            for k in 1..=stages {
                let current = target * k as f64 / stages as f64;
                model.set_control(Control::Current { i_a_m2: current });
                if previous == 0.0 {
                    model.guess_for_current(y, current);
                } else {
                    let ratio = current / previous;
                    for cell in 0..l.np {
                        y[l.j(cell)] *= ratio;
                    }
                    y[l.i_app] = current;
                    model.settle_cells(y);
                }
                previous = current;
                let solved = self
                    .newton
                    .solve(model, t, y, yp, &self.differential, &self.options);
                if solved.is_err() {
                    converged = false;
                    break;
                }
            }
            model.set_control(Control::Current { i_a_m2: target });
            if converged {
                return true;
            }
        }
        y.copy_from_slice(&guess.0);
        yp.copy_from_slice(&guess.1);
        false
    }
}

/// The numbers of stages of [`StepStart::by_continuation`], tried in turn.
const CONTINUATION_STAGES: [usize; 2] = [4, 16];
