//! The slow (degradation) states of the cathode, electrode-averaged, and their coupling to the
//! cells: the side-reaction current of the interphase, activation and loss of the anionic
//! capacity, hysteresis, cracking and the charge passed by the side reaction.
//!
//! The cathode is thin against its transport lengths at the rates studied (its reaction is
//! nearly uniform in x), so one set of slow states serves the whole electrode; the rates that
//! drive them are averages of the local rates over the cathode cells. The laws are those of
//! [`crate::physics::anion_redox`], [`crate::physics::interphase`] and
//! [`crate::physics::cracking`]; the state list is [`Slow`].
//!
//! Rows (⟨·⟩ the average over cathode cells, U_i the surface open-circuit potential,
//! Δφ_i the interface potential difference, i the applied current density, |i|_ε a smooth
//! absolute value):
//!
//! - `h' = κ_h (−i − |i|_ε h)/Q_1`;
//! - `X_l' = −k_act X_l ⟨σ_act(U)⟩`, `X_a' = (1 − φ_irr) k_act X_l ⟨σ_act⟩ − r_O`,
//!   `X_O' = r_O`, `r_O = X_a (1 − d X_O) ⟨o(U, h, ΔU) (k_b |i|_ε/Q_1 + k_s j_side,total + k_c (3/R_p)
//!   A_open)⟩` (bulk release per lithium exchanged, surface release following the local
//!   side-reaction current, and release by contact with the electrolyte over the open surface
//!   `A_open = s_open(δ) + w a_c s_open(δ_c)` of
//!   [`crate::physics::interphase::Interphase::open_surface`]: sealed behind a dense film,
//!   the pores of a porous one, flooded crack faces),
//!   `M' = r_M ⟨o(U, h, ΔU)⟩` (transition-metal migration), with o the instability factor of
//!   [`crate::physics::anion_redox::OxygenInstability`] and `ΔU = β X_O + M` the fade; or,
//!   with the rearranged-oxygen law, `ζ' = k_r ⟨o⟩ (1 − ζ) − k_v (1 − ⟨o⟩) ζ` and
//!   `M' = r_M ζ (1 + X_O/X_v)` ([`crate::physics::anion_redox::OxygenRearrangement`]); with
//!   the lower-couple fade law M is the migrated fraction m, `m' = r_m D (1 − m)` (D the drive
//!   ⟨o⟩ or ζ (1 + X_O/X_v)) and `ΔU = β X_O`
//!   ([`crate::physics::anion_redox::LowerCouple`]);
//! - `δ' = V_e ⟨j_side(δ, Δφ)⟩/F` (nm/s in the state's unit);
//! - `Θ' = |i|_ε/Q_1`;
//! - `v_c' = w a_c(Θ/2) V_e ⟨j_side(δ_c, Δφ)⟩/F`, `δ_c = δ_0 + v_c/(w a_c + a_ε)`;
//! - `q_side' = a L ⟨j_side,total⟩/3600`;
//! - with isolation behind flooded cracks or by contact loss (active fraction
//!   `f = exp(−κ_iso w a_c − κ_v (1 − w) Θ/2)`), `θ_iso' = −(df/dΘ) (|i|_ε/Q_1) ⟨θ̄⟩`: the
//!   lithium of the fragments isolated at the contacted particles' mean stoichiometry ⟨θ̄⟩;
//!
//! so oxygen release slows behind a passivating film (its side current and its open surface
//! fall) and speeds up with flooded cracks.

use super::layout::{Slow, SLOW_STATES};
use super::P2dModel;
use crate::constants::{FARADAY, SECONDS_PER_HOUR};
use crate::numerics::assembly::JacobianSink;
use crate::physics::anion_redox::{Activation, AnionRedox, Instability, MigrationLaw};
use crate::physics::cracking::Cracking;
use crate::physics::interphase::Interphase;
use crate::physics::msmr::logistic;

/// Metres per nanometre: the film states are kept in nm so that IDA's tolerances see them.
pub(crate) const NM: f64 = 1e-9;

/// Smoothing of |i| \[A/m²\]: far below any current a cell is cycled at.
const ABS_EPS: f64 = 1e-6;

/// Crack surface floor a_ε in the crack-film thickness (keeps δ_c finite before cracks form).
const CRACK_AREA_FLOOR: f64 = 1e-6;

/// The slow-state submodels of a discretised cell.
#[derive(Debug, Clone)]
pub(crate) struct SlowModel {
    pub anion: Option<AnionRedox>,
    pub interphase: Option<Interphase>,
    /// Electronic conductivity of the film from the percolation law \[S/m\].
    pub sigma_e: f64,
    pub cracking: Option<Cracking>,
    /// Charge of one lithium per formula unit per electrode area Q_1 \[C/m²\].
    pub q1: f64,
    /// a_c L: contacted particle surface per electrode area \[-\].
    pub surface_per_area: f64,
    /// Contact fraction χ \[-\]: the part of the original particle surface an electrolyte
    /// touches ([`crate::physics::parameters::PositiveElectrode::contact_fraction`]).
    pub contact_fraction: f64,
    /// The release by contact per unit open surface, k_c · 3/R_p \[1/s\]
    /// ([`AnionRedox::oxygen_loss_contact_m_s`]; 0 without anion redox).
    pub contact_release_1_s: f64,
    /// Covered-to-bare growth ratio r of the film's closing law
    /// ([`Interphase::covered_growth_ratio`]; 1 without a film).
    pub sealing_ratio: f64,
}

/// Smooth |i| − ε-offset: `sqrt(i² + ε²) − ε`, and its derivative.
#[inline]
fn smooth_abs(i: f64) -> (f64, f64) {
    let r = (i * i + ABS_EPS * ABS_EPS).sqrt();
    (r - ABS_EPS, i / r)
}

/// Film and crack quantities shared by every cell in one evaluation.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SlowContext {
    /// Film thickness δ \[m\].
    pub delta: f64,
    /// Lithium throughput Θ \[Li per formula unit\].
    pub throughput: f64,
    /// Wetted crack surface per original surface w a_c \[-\] and its derivative in Θ.
    pub wet_area: f64,
    pub d_wet_area_dthroughput: f64,
    /// d²(w a_c)/dΘ² (for the isolated fragments' lithium row).
    pub d2_wet_area_dthroughput2: f64,
    /// Crack-film thickness δ_c \[m\] and its derivatives in v_c (nm state) and Θ.
    pub delta_c: f64,
    pub d_delta_c_dvc: f64,
    pub d_delta_c_dthroughput: f64,
    /// Surface open to the electrolyte per original particle surface,
    /// `A_open = s_open(δ) + w a_c s_open(δ_c)` \[-\] (1 + w a_c without an interphase model;
    /// 0, not computed, without a release by contact), and its derivatives in the film state (per nm), the crack-film state (per nm) and Θ.
    pub open_area: f64,
    pub d_open_area_dfilm: f64,
    pub d_open_area_dvc: f64,
    pub d_open_area_dthroughput: f64,
}

/// The side-reaction current of one cell (main film plus wetted cracks, per original particle
/// surface, anodic positive) and its partial derivatives.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CellSide {
    /// Main-film part j_side(δ, Δφ) \[A/m²\].
    pub main: f64,
    pub main_d_dphi: f64,
    /// ∂main/∂δ per nm.
    pub main_d_film: f64,
    /// Crack part j_side(δ_c, Δφ) per crack surface \[A/m²\] (not yet weighted by w a_c).
    pub crack: f64,
    pub crack_d_dphi: f64,
    /// ∂crack/∂δ_c \[A/m³\].
    pub crack_d_delta_c: f64,
}

impl CellSide {
    /// The cell's total side current density `main + w a_c crack` \[A/m²\].
    #[inline]
    pub fn total(&self, ctx: &SlowContext) -> f64 {
        self.main + ctx.wet_area * self.crack
    }
}

/// Partials of a cell's total side current with respect to the unknowns it depends on.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SideTotalPartials {
    pub d_dphi: f64,
    pub d_film: f64,
    pub d_crack_film: f64,
    pub d_throughput: f64,
}

impl P2dModel {
    /// The shared film and crack quantities of state `y` (model with slow states).
    pub(crate) fn slow_context(&self, y: &[f64]) -> SlowContext {
        let (Some(m), l) = (&self.slow, &self.layout) else {
            return SlowContext::default();
        };
        let mut ctx = SlowContext::default();
        let delta0 = m.interphase.map_or(0.0, |f| f.initial_thickness_m);
        ctx.delta = y[l.slow(Slow::Film)] * NM;
        ctx.throughput = y[l.slow(Slow::Throughput)];
        if let Some(c) = &m.cracking {
            let (a_c, da_c) = c.area_ratio(0.5 * y[l.slow(Slow::Throughput)]);
            ctx.wet_area = c.wetting * a_c;
            ctx.d_wet_area_dthroughput = 0.5 * c.wetting * da_c;
            ctx.d2_wet_area_dthroughput2 =
                0.25 * c.wetting * c.area_ratio_curvature(0.5 * y[l.slow(Slow::Throughput)]);
        }
        let vc = y[l.slow(Slow::CrackFilm)] * NM;
        let denominator = ctx.wet_area + CRACK_AREA_FLOOR;
        ctx.delta_c = delta0 + vc / denominator;
        ctx.d_delta_c_dvc = NM / denominator;
        ctx.d_delta_c_dthroughput = -vc / (denominator * denominator) * ctx.d_wet_area_dthroughput;
        // The open surface only where a release by contact needs it (two exponentials per
        // evaluation otherwise spent for nothing).
        if m.contact_release_1_s == 0.0 {
            return ctx;
        }
        let ((main, d_main), (crack, d_crack)) = match &m.interphase {
            Some(f) => (
                f.open_surface(ctx.delta, m.sealing_ratio),
                f.open_surface(ctx.delta_c, m.sealing_ratio),
            ),
            None => ((1.0, 0.0), (1.0, 0.0)),
        };
        // The original surface reaches the electrolyte only where it touches it: χ q of it
        // (q, the remaining particles' contact relative to the original, rises when the least
        // contacted are cut off first); the flooded crack surface is wet by construction.
        let (q, dq) = self.contact_gain(y);
        let chi = m.contact_fraction * q;
        ctx.open_area = chi * main + ctx.wet_area * crack;
        ctx.d_open_area_dfilm = chi * d_main * NM;
        ctx.d_open_area_dvc = ctx.wet_area * d_crack * ctx.d_delta_c_dvc;
        ctx.d_open_area_dthroughput = m.contact_fraction * dq * main
            + ctx.d_wet_area_dthroughput * crack
            + ctx.wet_area * d_crack * ctx.d_delta_c_dthroughput;
        ctx
    }

    /// The side-reaction current of cathode cell i (zero without an interphase model).
    #[inline]
    pub(crate) fn cell_side(&self, y: &[f64], i: usize, ctx: &SlowContext) -> CellSide {
        let Some(film) = self.slow.as_ref().and_then(|m| m.interphase) else {
            return CellSide::default();
        };
        let sigma_e = self.slow.as_ref().map_or(0.0, |m| m.sigma_e);
        let dphi = y[self.layout.dphi(i)];
        let main = film.side_current(sigma_e, ctx.delta, dphi);
        let crack = if ctx.wet_area > 0.0 {
            film.side_current(sigma_e, ctx.delta_c, dphi)
        } else {
            Default::default()
        };
        CellSide {
            main: main.j,
            main_d_dphi: main.d_eta,
            main_d_film: main.d_delta * NM,
            crack: crack.j,
            crack_d_dphi: crack.d_eta,
            crack_d_delta_c: crack.d_delta,
        }
    }

    /// Partials of [`CellSide::total`].
    #[inline]
    pub(crate) fn side_partials(side: &CellSide, ctx: &SlowContext) -> SideTotalPartials {
        SideTotalPartials {
            d_dphi: side.main_d_dphi + ctx.wet_area * side.crack_d_dphi,
            d_film: side.main_d_film,
            d_crack_film: ctx.wet_area * side.crack_d_delta_c * ctx.d_delta_c_dvc,
            d_throughput: ctx.d_wet_area_dthroughput * side.crack
                + ctx.wet_area * side.crack_d_delta_c * ctx.d_delta_c_dthroughput,
        }
    }

    /// Active fraction of the electrode `f = exp(−κ_iso w a_c − κ_v (1 − w) Θ/2)` (fragments
    /// isolated behind flooded cracks and by contact loss where the electrolyte does not
    /// follow the particles, see [`crate::physics::cracking`]) and df/dΘ.
    #[inline]
    pub(crate) fn active_fraction(&self, ctx: &SlowContext) -> (f64, f64) {
        match self.slow.as_ref().and_then(|m| m.cracking) {
            Some(c) if c.isolates() => {
                let v = 0.5 * c.contact_loss_rate();
                let f = (-c.isolation_per_area * ctx.wet_area - v * ctx.throughput).exp();
                (
                    f,
                    -f * (c.isolation_per_area * ctx.d_wet_area_dthroughput + v),
                )
            }
            _ => (1.0, 0.0),
        }
    }

    /// The remaining particles' mean contact relative to the original, q, and dq/dΘ
    /// ([`crate::physics::cracking::Cracking::contact_gain`]; 1 and 0 without the law), from
    /// the throughput of state `y`.
    #[inline]
    pub(crate) fn contact_gain(&self, y: &[f64]) -> (f64, f64) {
        self.slow
            .as_ref()
            .and_then(|m| m.cracking)
            .map_or((1.0, 0.0), |c| {
                c.contact_gain(y[self.layout.slow(Slow::Throughput)])
            })
    }

    /// Whether [`Self::contact_gain`] varies with the throughput (a structural property: the
    /// Jacobian's pattern holds its entries when it does).
    #[inline]
    pub(crate) fn contact_gains(&self) -> bool {
        self.slow
            .as_ref()
            .and_then(|m| m.cracking)
            .is_some_and(|c| c.contact_gains())
    }

    /// The contacted surface still reacting, relative to the original: g = f q (particles
    /// still in contact f, [`Self::active_fraction`], times their mean contact q,
    /// [`Self::contact_gain`]), and dg/dΘ. Every interfacial current flows through `a_c g`.
    #[inline]
    pub(crate) fn contacted_fraction(&self, ctx: &SlowContext, y: &[f64]) -> (f64, f64) {
        let (f, df) = self.active_fraction(ctx);
        let (q, dq) = self.contact_gain(y);
        (f * q, df * q + f * dq)
    }

    /// d²f/dΘ² of [`Self::active_fraction`]: with f = exp(−E), E = κ_iso W + v Θ, W = w a_c,
    /// `f'' = −(f' E' + f κ_iso W'')`.
    #[inline]
    fn active_fraction_curvature(&self, ctx: &SlowContext) -> f64 {
        match self.slow.as_ref().and_then(|m| m.cracking) {
            Some(c) if c.isolates() => {
                let (f, df) = self.active_fraction(ctx);
                let de =
                    c.isolation_per_area * ctx.d_wet_area_dthroughput + 0.5 * c.contact_loss_rate();
                -(df * de + f * c.isolation_per_area * ctx.d2_wet_area_dthroughput2)
            }
            _ => 0.0,
        }
    }

    /// Surface open-circuit potential of cell i for the onset laws: the MSMR unknown.
    #[inline]
    fn onset_potential(&self, y: &[f64], i: usize) -> f64 {
        y[self.layout.u(i)]
    }

    /// Residual rows of the slow states, from the cells' side currents `cells` (see
    /// [`Self::cell_side`]).
    pub(crate) fn slow_residual(
        &self,
        y: &[f64],
        yp: &[f64],
        ctx: &SlowContext,
        cells: &[CellSide],
        r: &mut [f64],
    ) {
        let Some(m) = &self.slow else { return };
        let l = &self.layout;
        let idx = |s: Slow| l.slow(s);
        let np = l.np as f64;
        let i_app = y[l.i_app];
        let (abs_i, _) = smooth_abs(i_app);

        // Side reaction and film growth.
        let mut main = 0.0;
        let mut crack = 0.0;
        let mut total = 0.0;
        for side in cells {
            main += side.main;
            crack += side.crack;
            total += side.total(ctx);
        }
        let (main, crack, total) = (main / np, crack / np, total / np);
        // Only the contacted surface of the particles still in contact reacts.
        let fraction = self.contacted_fraction(ctx, y).0;
        let growth = m
            .interphase
            .map_or(0.0, |f| f.product_volume_m3_mol / FARADAY / NM);
        r[idx(Slow::Film)] = yp[idx(Slow::Film)] - growth * main;
        r[idx(Slow::CrackFilm)] = yp[idx(Slow::CrackFilm)] - growth * ctx.wet_area * crack;
        r[idx(Slow::SideCharge)] =
            yp[idx(Slow::SideCharge)] - m.surface_per_area * fraction * total / SECONDS_PER_HOUR;
        r[idx(Slow::Throughput)] = yp[idx(Slow::Throughput)] - abs_i / m.q1;
        // Fragments leave with the contacted particles' mean stoichiometry:
        // θ_iso' = −f' ⟨θ̄⟩ with f' = (df/dΘ) Θ' and Θ' = |i|_ε/Q_1 (the throughput's rate,
        // not y', so that the residual stays linear in y' with constant coefficients).
        if let Some(k) = l.isolated_lithium {
            let (_, df) = self.active_fraction(ctx);
            r[k] = yp[k] + df * abs_i / m.q1 * self.mean_particle_stoichiometry(y);
        }

        // Anion redox.
        match &m.anion {
            Some(a) => {
                let h = y[idx(Slow::Hysteresis)];
                r[idx(Slow::Hysteresis)] =
                    yp[idx(Slow::Hysteresis)] - a.hysteresis_rate * (-i_app - abs_i * h) / m.q1;
                let (mut s_act, mut s_o, mut s_m) = (0.0, 0.0, 0.0);
                // Per lithium exchanged (bulk) and by contact with the electrolyte.
                let bulk = a.oxygen_loss_bulk_per_li * abs_i / m.q1
                    + m.contact_release_1_s * ctx.open_area;
                let fade = a.fade(y[idx(Slow::OxygenLost)], y[idx(Slow::Migration)]);
                let terms = a.fade_terms(y[idx(Slow::Migration)]);
                for i in 0..l.np {
                    let u = self.onset_potential(y, i);
                    let mig = y[idx(Slow::Migration)];
                    s_act += a.activation_factor(u, h, fade, mig, self.f).value;
                    let onset = a.instability(u, h, fade, mig, self.f).value;
                    // No list without an interphase model: no side current then.
                    let side = cells.get(i).map_or(0.0, |c| c.total(ctx));
                    s_o += onset * (bulk + a.oxygen_loss_surface_m2_c * side);
                    s_m += onset;
                }
                let (s_act, s_o, s_m) = (s_act / np, s_o / np, s_m / np);
                let migration = match (&a.migration, l.rearranged_oxygen) {
                    (MigrationLaw::RearrangedOxygen(law), Some(rz)) => {
                        let zeta = y[rz];
                        r[rz] = yp[rz] - law.rate(s_m, zeta).value;
                        let (vacancies, _) = law.vacancy_factor(y[idx(Slow::OxygenLost)]);
                        zeta * vacancies
                    }
                    _ => s_m,
                };
                r[idx(Slow::Migration)] =
                    yp[idx(Slow::Migration)] - terms.migration_rate * migration * terms.room;
                let x_l = y[idx(Slow::LatentAnionic)];
                let x_a = y[idx(Slow::ActiveAnionic)];
                let activation = a.activation_rate_1_s * x_l * s_act;
                // Only the undensified anionic capacity X_a (1 − φ) releases oxygen.
                let densified = a.densified_fraction(y[idx(Slow::OxygenLost)]);
                let release = x_a * (1.0 - densified) * s_o;
                r[idx(Slow::LatentAnionic)] = yp[idx(Slow::LatentAnionic)] + activation;
                r[idx(Slow::ActiveAnionic)] = yp[idx(Slow::ActiveAnionic)]
                    - (1.0 - a.irreversible_fraction) * activation
                    + release;
                r[idx(Slow::OxygenLost)] = yp[idx(Slow::OxygenLost)] - release;
            }
            None => {
                for s in [
                    Slow::Hysteresis,
                    Slow::LatentAnionic,
                    Slow::ActiveAnionic,
                    Slow::OxygenLost,
                    Slow::Migration,
                ] {
                    r[idx(s)] = yp[idx(s)];
                }
                // (No rearranged oxygen without anion redox: the layout has it only with the
                // law.)
            }
        }
    }

    /// Jacobian rows of the slow states (fixed entry order for a given model), from the cells'
    /// side currents `cells` (see [`Self::cell_side`]; empty without an interphase model).
    pub(crate) fn slow_jacobian<S: JacobianSink>(
        &self,
        c_j: f64,
        y: &[f64],
        ctx: &SlowContext,
        cells: &[CellSide],
        sink: &mut S,
    ) {
        let Some(m) = &self.slow else { return };
        let l = &self.layout;
        let idx = |s: Slow| l.slow(s);
        let np = l.np as f64;
        let i_app = y[l.i_app];
        let (abs_i, d_abs_i) = smooth_abs(i_app);
        for s in SLOW_ORDER {
            let row = l.slow(s);
            sink.add(row, row, c_j);
        }
        if let Some(rz) = l.rearranged_oxygen {
            sink.add(rz, rz, c_j);
        }

        if let Some(film) = &m.interphase {
            let growth = film.product_volume_m3_mol / FARADAY / NM;
            let mut d_main_film = 0.0;
            let mut crack = 0.0;
            let mut d_crack_vc = 0.0;
            let mut d_crack_thr = 0.0;
            let mut total = SideTotalPartials::default();
            let (rf, rc, rq) = (idx(Slow::Film), idx(Slow::CrackFilm), idx(Slow::SideCharge));
            let (fraction, df) = self.contacted_fraction(ctx, y);
            let q_scale = m.surface_per_area * fraction / SECONDS_PER_HOUR / np;
            let mut total_side = 0.0;
            for (i, side) in cells.iter().enumerate() {
                let p = Self::side_partials(side, ctx);
                let dphi = l.dphi(i);
                sink.add(rf, dphi, -growth * side.main_d_dphi / np);
                sink.add(rc, dphi, -growth * ctx.wet_area * side.crack_d_dphi / np);
                sink.add(rq, dphi, -q_scale * p.d_dphi);
                d_main_film += side.main_d_film;
                total_side += side.total(ctx);
                crack += side.crack;
                d_crack_vc += side.crack_d_delta_c * ctx.d_delta_c_dvc;
                d_crack_thr += side.crack_d_delta_c * ctx.d_delta_c_dthroughput;
                total.d_film += p.d_film;
                total.d_crack_film += p.d_crack_film;
                total.d_throughput += p.d_throughput;
            }
            sink.add(rf, rf, -growth * d_main_film / np);
            sink.add(rc, rc, -growth * ctx.wet_area * d_crack_vc / np);
            sink.add(
                rc,
                idx(Slow::Throughput),
                -growth * (ctx.d_wet_area_dthroughput * crack + ctx.wet_area * d_crack_thr) / np,
            );
            sink.add(rq, idx(Slow::Film), -q_scale * total.d_film);
            sink.add(rq, idx(Slow::CrackFilm), -q_scale * total.d_crack_film);
            sink.add(
                rq,
                idx(Slow::Throughput),
                -q_scale * total.d_throughput
                    - m.surface_per_area * df / SECONDS_PER_HOUR / np * total_side,
            );
        }
        sink.add(idx(Slow::Throughput), l.i_app, -d_abs_i / m.q1);
        if let Some(row) = l.isolated_lithium {
            let (_, df) = self.active_fraction(ctx);
            let d2f = self.active_fraction_curvature(ctx);
            let mean = self.mean_particle_stoichiometry(y);
            let rate = abs_i / m.q1;
            sink.add(row, row, c_j);
            let per_shell = df * rate / (self.sphere.total_volume() * np);
            for i in 0..l.np {
                for k in 0..l.nr {
                    sink.add(row, l.theta(i, k), per_shell * self.sphere.volume[k]);
                }
            }
            sink.add(row, l.i_app, df * d_abs_i / m.q1 * mean);
            sink.add(row, idx(Slow::Throughput), d2f * rate * mean);
        }

        if let Some(a) = &m.anion {
            let rh = idx(Slow::Hysteresis);
            let h = y[rh];
            sink.add(rh, rh, a.hysteresis_rate * abs_i / m.q1);
            sink.add(
                rh,
                l.i_app,
                -a.hysteresis_rate * (-1.0 - d_abs_i * h) / m.q1,
            );
            let x_l = y[idx(Slow::LatentAnionic)];
            let (mut s_act, mut s_o) = (0.0, 0.0);
            let (rl, ra, ro) = (
                idx(Slow::LatentAnionic),
                idx(Slow::ActiveAnionic),
                idx(Slow::OxygenLost),
            );
            // The anionic capacity that releases, X_a (1 − φ), φ = d X_O densified; every
            // release partial below is taken with it.
            let x_a_state = y[ra];
            let undensified = 1.0 - a.densified_fraction(y[ro]);
            let x_a = x_a_state * undensified;
            let keep = 1.0 - a.irreversible_fraction;
            // Release partials in the film, crack-film and throughput states, summed over cells.
            let mut d_slow = [0.0; 3];
            let bulk =
                a.oxygen_loss_bulk_per_li * abs_i / m.q1 + m.contact_release_1_s * ctx.open_area;
            let mut onset_sum = 0.0;
            let rm = idx(Slow::Migration);
            let fade = a.fade(y[ro], y[rm]);
            let terms = a.fade_terms(y[rm]);
            let rate_m = terms.migration_rate * terms.room;
            // The migration row's coefficient of ⟨o⟩ (at once while oxidised), or the
            // rearranged oxygen's (through which the migration then accrues), with its row.
            let rearrangement = match (&a.migration, l.rearranged_oxygen) {
                (MigrationLaw::RearrangedOxygen(law), Some(rz)) => Some((law, rz)),
                _ => None,
            };
            // (row, coefficient of ⟨o⟩ in that row's rate; ζ's does not depend on ⟨o⟩).
            let (o_row, o_coeff) = match rearrangement {
                Some((law, rz)) => (rz, law.rate(0.0, y[rz]).d_o),
                None => (rm, rate_m),
            };
            // Partials of the release sum Σ o k and of the migration sum Σ o in h and the fade.
            let (mut rel_h, mut rel_fade, mut mig_h, mut mig_fade) = (0.0, 0.0, 0.0, 0.0);
            // … and in M through the hysteresis growth.
            let (mut rel_m, mut mig_m) = (0.0, 0.0);
            // … and the activation sum Σ a in h, the fade and M.
            let (mut act_h, mut act_fade, mut act_m) = (0.0, 0.0, 0.0);
            for i in 0..l.np {
                let u = self.onset_potential(y, i);
                let (sa, d_act, act) = match a.activation {
                    // (In the onset's own order of operations: the shipped runs unchanged.)
                    Activation::Potential {
                        potential_v,
                        width_v,
                    } => {
                        let (sa, dsa) = logistic((u - potential_v) / width_v);
                        let d_act = a.activation_rate_1_s * x_l * dsa / width_v / np;
                        (sa, d_act, Instability::default())
                    }
                    Activation::OxidisedOnCharge => {
                        let act = a.activation_factor(u, h, fade, y[rm], self.f);
                        (act.value, a.activation_rate_1_s * x_l * act.d_u / np, act)
                    }
                };
                act_h += act.d_h;
                act_fade += act.d_fade;
                act_m += act.d_m;
                let o = a.instability(u, h, fade, y[rm], self.f);
                // No list without an interphase model: no side current then.
                let side = cells.get(i).copied().unwrap_or_default();
                let p = Self::side_partials(&side, ctx);
                let k = bulk + a.oxygen_loss_surface_m2_c * side.total(ctx);
                onset_sum += o.value;
                s_act += sa;
                s_o += o.value * k;
                rel_h += o.d_h * k;
                rel_fade += o.d_fade * k;
                rel_m += o.d_m * k;
                mig_h += o.d_h;
                mig_fade += o.d_fade;
                mig_m += o.d_m;
                let d_rel = x_a * o.d_u * k / np;
                let col = l.u(i);
                sink.add(rl, col, d_act);
                sink.add(ra, col, -keep * d_act + d_rel);
                sink.add(ro, col, -d_rel);
                sink.add(o_row, col, -o_coeff * o.d_u / np);
                let ks = x_a * o.value * a.oxygen_loss_surface_m2_c / np;
                if m.interphase.is_some() {
                    let col = l.dphi(i);
                    sink.add(ra, col, ks * p.d_dphi);
                    sink.add(ro, col, -ks * p.d_dphi);
                }
                // The release by contact through the open surface A_open(δ, v_c, Θ).
                let kc = x_a * o.value * m.contact_release_1_s / np;
                d_slow[0] += ks * p.d_film + kc * ctx.d_open_area_dfilm;
                d_slow[1] += ks * p.d_crack_film + kc * ctx.d_open_area_dvc;
                d_slow[2] += ks * p.d_throughput + kc * ctx.d_open_area_dthroughput;
            }
            // Through the gallery's potential (the oxidised-oxygen instability and activation
            // only; zero sums otherwise, but the entries are kept so the pattern does not depend
            // on the law).
            let beta = a.fade_v_per_li;
            let sp = terms.shift_per_migration;
            let act_rate = a.activation_rate_1_s * x_l / np;
            let follows_gallery = matches!(a.activation, Activation::OxidisedOnCharge);
            for (col, rel, mig, act) in [
                (rh, rel_h, mig_h, act_h),
                (ro, rel_fade * beta, mig_fade * beta, act_fade * beta),
                (
                    rm,
                    rel_fade * sp + rel_m,
                    mig_fade * sp + mig_m,
                    act_fade * sp + act_m,
                ),
            ] {
                // (Only a law that follows the gallery has these entries in the latent row.)
                if follows_gallery {
                    sink.add(rl, col, act_rate * act);
                }
                sink.add(ra, col, x_a * rel / np - keep * act_rate * act);
                sink.add(ro, col, -x_a * rel / np);
                sink.add(o_row, col, -o_coeff * mig / np);
            }
            if let Some((law, rz)) = rearrangement {
                // ζ' = k_r ⟨o⟩ (1 − ζ) − k_v (1 − ⟨o⟩) ζ; M' = r_M ζ (1 + X_O/X_v).
                let zeta = y[rz];
                sink.add(rz, rz, -law.rate(onset_sum / np, zeta).d_zeta);
                let (vacancies, d_vacancies) = law.vacancy_factor(y[ro]);
                sink.add(rm, rz, -rate_m * vacancies);
                sink.add(rm, ro, -rate_m * zeta * d_vacancies);
                // The room left to migrate, (1 − m) with a lower couple.
                sink.add(
                    rm,
                    rm,
                    -terms.migration_rate * zeta * vacancies * terms.d_room,
                );
            } else {
                sink.add(
                    rm,
                    rm,
                    -terms.migration_rate * onset_sum / np * terms.d_room,
                );
            }
            let (s_act, s_o) = (s_act / np, s_o / np);
            let k_act = a.activation_rate_1_s * s_act;
            sink.add(rl, rl, k_act);
            sink.add(ra, rl, -keep * k_act);
            sink.add(ra, ra, s_o * undensified);
            sink.add(ro, ra, -s_o * undensified);
            // ∂(X_a (1 − d X_O) s_o)/∂X_O = −d X_a s_o.
            let d_densified = a.densified_per_oxygen * x_a_state * s_o;
            sink.add(ra, ro, -d_densified);
            sink.add(ro, ro, d_densified);
            // The bulk release follows |i|.
            let d_bulk_di = x_a * a.oxygen_loss_bulk_per_li * d_abs_i / m.q1 * onset_sum / np;
            sink.add(ra, l.i_app, d_bulk_di);
            sink.add(ro, l.i_app, -d_bulk_di);
            // (Without an interphase model the open surface depends on Θ alone, through the
            // flooded cracks.)
            if m.interphase.is_none() {
                let col = idx(Slow::Throughput);
                sink.add(ra, col, d_slow[2]);
                sink.add(ro, col, -d_slow[2]);
            }
            if m.interphase.is_some() {
                for (col, d) in [
                    (idx(Slow::Film), d_slow[0]),
                    (idx(Slow::CrackFilm), d_slow[1]),
                    (idx(Slow::Throughput), d_slow[2]),
                ] {
                    sink.add(ra, col, d);
                    sink.add(ro, col, -d);
                }
            }
        }
    }
}

/// The slow (degradation) state of the cell at one instant, in cell-level units: what
/// `summary.csv` reports per cycle.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DegradationState {
    /// Interphase thickness on the original particle surface δ \[nm\].
    pub interphase_thickness_nm: f64,
    /// Cathode/electrolyte interface resistance of the cell, R_int/(a L A) \[Ω\].
    pub interface_resistance_ohm: f64,
    /// Accessible active anionic capacity X_a (1 − φ) as a charge \[A·h\] (φ the densified
    /// fraction).
    pub anionic_capacity_ah: f64,
    /// Latent (not yet activated) anionic capacity X_l \[A·h\] (its integration noise about
    /// zero, once activated away, reported as zero: `LATENT_NOISE`).
    pub latent_anionic_capacity_ah: f64,
    /// Capacity lost by oxygen release after activation X_O \[A·h\].
    pub oxygen_loss_ah: f64,
    /// Rigid downward shift of the galleries ΔU \[V\]: β X_O + M with the rigid-shift fade
    /// law, β X_O with the lower couple (whose fade moves capacity instead; see
    /// `migrated_fraction`).
    pub voltage_fade_v: f64,
    /// Fraction m of the cationic capacity moved into the lower couple by migration \[-\]
    /// (0 with the rigid-shift fade law and for states written before it).
    #[serde(default)]
    pub migrated_fraction: f64,
    /// Fraction φ = d X_O of the host densified with the oxygen it lost \[-\] (0 without
    /// densification and for states written before it).
    #[serde(default)]
    pub densified_fraction: f64,
    /// Crack surface per original particle surface a_c \[-\].
    pub crack_area_ratio: f64,
    /// Charge passed by the side reaction since the start \[A·h\].
    pub side_reaction_charge_ah: f64,
    /// Fraction of the active material still in contact (fragments isolated behind flooded
    /// cracks are not) \[-\].
    #[serde(default = "one")]
    pub active_material_fraction: f64,
    /// Lithium held by the isolated fragments \[A·h\] (0 for states written before it).
    #[serde(default)]
    pub isolated_lithium_ah: f64,
}

/// Serde default of [`DegradationState::active_material_fraction`] (states written before it).
fn one() -> f64 {
    1.0
}

/// Noise about zero of the latent anionic capacity \[Li per formula unit\]: once activation
/// has taken it all (it decays as `exp(−k_act t)` while the oxygen is oxidised on charge), the
/// integrator leaves it within its error of zero, on either side (−3e-13 Li per formula unit
/// in the liquid cell's 0.1C run, against absolute tolerances of 1e-6 and more).
const LATENT_NOISE: f64 = 1e-9;

/// The latent capacity X_l as reported: values within [`LATENT_NOISE`] below zero are zero.
#[inline]
fn activated_away(x_l: f64) -> f64 {
    if x_l < 0.0 && x_l > -LATENT_NOISE {
        0.0
    } else {
        x_l
    }
}

impl P2dModel {
    /// The slow state of `y` in cell-level units, if the model carries slow states.
    pub fn degradation_state(&self, y: &[f64]) -> Option<DegradationState> {
        let m = self.slow.as_ref()?;
        let l = &self.layout;
        let ctx = self.slow_context(y);
        let (r_int, _, _) = self.interface_resistance(&ctx);
        let per_li_ah = m.q1 * self.area / SECONDS_PER_HOUR;
        let (x_o, mig) = (y[l.slow(Slow::OxygenLost)], y[l.slow(Slow::Migration)]);
        Some(DegradationState {
            interphase_thickness_nm: y[l.slow(Slow::Film)],
            interface_resistance_ohm: r_int / (m.surface_per_area * self.area),
            // Accessible: the densified fraction's anionic capacity excluded.
            anionic_capacity_ah: y[l.slow(Slow::ActiveAnionic)]
                * m.anion.map_or(1.0, |a| 1.0 - a.densified_fraction(x_o))
                * per_li_ah,
            latent_anionic_capacity_ah: activated_away(y[l.slow(Slow::LatentAnionic)]) * per_li_ah,
            oxygen_loss_ah: y[l.slow(Slow::OxygenLost)] * per_li_ah,
            voltage_fade_v: m.anion.map_or(0.0, |a| a.fade(x_o, mig)),
            migrated_fraction: m
                .anion
                .filter(|a| a.lower_couple().is_some())
                .map_or(0.0, |_| mig),
            densified_fraction: m.anion.map_or(0.0, |a| a.densified_fraction(x_o)),
            crack_area_ratio: m
                .cracking
                .map_or(0.0, |c| c.area_ratio(0.5 * y[l.slow(Slow::Throughput)]).0),
            side_reaction_charge_ah: y[l.slow(Slow::SideCharge)] * self.area,
            active_material_fraction: self.active_fraction(&ctx).0,
            isolated_lithium_ah: l.isolated_lithium.map_or(0.0, |k| {
                y[k] * l.np as f64
                    * self.c_max
                    * (self.a * self.sphere.radius / 3.0)
                    * self.area
                    * self.dx_p
                    * FARADAY
                    / SECONDS_PER_HOUR
            }),
        })
    }
}

/// The slow states in layout order.
const SLOW_ORDER: [Slow; SLOW_STATES] = [
    Slow::Hysteresis,
    Slow::ActiveAnionic,
    Slow::LatentAnionic,
    Slow::OxygenLost,
    Slow::Film,
    Slow::Throughput,
    Slow::CrackFilm,
    Slow::SideCharge,
    Slow::Migration,
];

#[cfg(test)]
mod latent_noise_tests {
    use super::activated_away;

    #[test]
    fn only_the_noise_about_zero_is_reported_as_zero() {
        assert_eq!(activated_away(-3e-13), 0.0);
        assert_eq!(activated_away(2e-13), 2e-13);
        // A real negative latent capacity stays visible (the robustness suite flags it).
        assert_eq!(activated_away(-1e-6), -1e-6);
    }
}
