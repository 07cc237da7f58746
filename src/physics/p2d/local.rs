//! Pointwise closures shared by the residual and the Jacobian: the kinetics of one cathode
//! cell, the electrolyte current and salt flux through one face, and the counter electrode.

use super::degradation::{SlowContext, NM};
use super::error::NonPhysicalState;
use super::open_circuit::{AnionState, GalleryFill, MsmrModel, OcpModel};
use crate::physics::material::MaterialFunction;
use crate::physics::msmr::{ln_softplus, softplus};

/// Floor of the surface lithium and vacancies in the MSMR row \[Li per formula unit\]: far below
/// anything the window reaches at the cut-offs (1e-4 and above), and above the rounding of
/// `x_max θ_surf − x_fixed` (about 1e-16). The floor caps the surface potential the row can
/// give: where the galleries hold `SURFACE_FLOOR·ln 2`, about `U0 + (ω/f) ln(X/SURFACE_FLOOR)`
/// above the highest gallery. It must lie above every hold voltage, or an emptied surface
/// keeps charging at the capped potential and drains its shell through the window's end. With
/// 1e-7 the cap was only about 0.4 ω V above the highest gallery (X = 0.5, 298 K), below 4.3 V
/// once the voltage fade had moved the galleries down (seed 4 of the robustness suite: CV holds
/// at 4.3 V that stalled at 1e-15 s steps, and steps that started below empty); 1e-12 puts it
/// about 0.7 ω V above (docs/robustness.md, root cause 9).
const SURFACE_FLOOR: f64 = 1e-12;

/// How far past an end of the host's window an outermost shell may sit, as a fraction of the
/// window's width, before the state counts as non-physical: rounding errors of re-initialised
/// states (1e-16) pass, a step that overshoots the end (1e-3 in suite seed 4, case 142) does not.
const WINDOW_SLACK: f64 = 1e-9;
use super::{BinaryCoefficients, ElectrolyteCoefficients, P2dModel};
use crate::constants::FARADAY;
use crate::physics::kinetics::{butler_volmer, intercalation_j0};

/// Surface stoichiometry θ_surf of one cell and its partials.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct SurfaceStoichiometry {
    pub value: f64,
    /// ∂θ_surf/∂θ of the outermost shell.
    pub d_last: f64,
    /// ∂θ_surf/∂θ of the second-outermost shell.
    pub d_prev: f64,
    /// ∂θ_surf/∂j.
    pub d_j: f64,
    /// ∂θ_surf/∂Θ, the throughput: the surface flux χ q(Θ) j grows with the remaining
    /// particles' contact q when the least contacted are cut off first (0 otherwise).
    pub d_throughput: f64,
    /// ∂θ_surf/∂θ_min, the lower end of the window (non-zero only when the surface points
    /// at it).
    pub d_lower: f64,
    /// ∂θ_surf/∂θ_max, the upper end of the window (non-zero only when the surface points at
    /// it).
    pub d_upper: f64,
}

/// Partials of the kinetics row with respect to the MSMR unknowns (and of j0 on the way).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct MsmrKineticsPartials {
    pub dj0_du: f64,
    pub dj0_dxa: f64,
    pub dj0_dh: f64,
    pub dj0_dxo: f64,
    pub dj0_dm: f64,
    /// ∂R/∂U of the cell.
    pub d_u: f64,
    /// ∂R/∂X_a, ∂R/∂h, ∂R/∂X_O.
    pub d_xa: f64,
    pub d_h: f64,
    pub d_xo: f64,
    /// ∂R/∂M.
    pub d_m: f64,
}

/// Kinetics of cathode cell i, with the partial derivatives of the Butler–Volmer residual
/// `R = j − 2 j0 sinh(f η/2)`, `η = Δφ − U − R_int j`.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct CellKinetics {
    /// Residual of the kinetics row \[A/m²\].
    pub residual: f64,
    /// ∂R/∂θ of the outermost shell (function OCP only).
    pub d_theta_last: f64,
    /// ∂R/∂θ of the second-outermost shell (function OCP only).
    pub d_theta_prev: f64,
    /// ∂R/∂j.
    pub d_j: f64,
    /// ∂R/∂Δφ.
    pub d_dphi: f64,
    /// ∂R/∂ĉ of the cell's electrolyte (binary only; 0 otherwise).
    pub d_c_hat: f64,
    /// ∂R/∂δ per nm (interphase model).
    pub d_film: f64,
    /// ∂R/∂Θ (interphase model).
    pub d_throughput: f64,
    /// (dU/dθs, dj0/dθs, θs) for a function OCP.
    pub u_partials: Option<(f64, f64, SurfaceStoichiometry)>,
    /// Partials in the MSMR unknowns.
    pub msmr_partials: Option<MsmrKineticsPartials>,
    /// The gallery filling and surface stoichiometry it used (MSMR), for the cell's MSMR row.
    pub surface: Option<(GalleryFill, SurfaceStoichiometry)>,
}

/// The MSMR row of one cell and its partials.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct MsmrRow {
    pub residual: f64,
    pub d_u: f64,
    pub d_theta_last: f64,
    pub d_theta_prev: f64,
    pub d_j: f64,
    /// ∂r/∂Θ through the surface flux (the remaining particles' contact).
    pub d_throughput: f64,
    pub d_xl: f64,
    pub d_xa: f64,
    pub d_h: f64,
    pub d_xo: f64,
    pub d_m: f64,
}

/// Electrolyte quantities through one face, with partials with respect to the potentials and
/// scaled concentrations of the two neighbouring cells (left = m − 1, right = m).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct FaceFlux {
    /// Ionic current density i_e \[A/m²\].
    pub i_e: f64,
    /// ∂i_e/∂φ_e,left (= −∂i_e/∂φ_e,right).
    pub di_dphi_left: f64,
    /// ∂i_e/∂ĉ_left.
    pub di_dc_left: f64,
    /// ∂i_e/∂ĉ_right.
    pub di_dc_right: f64,
    /// Scaled salt flux D_eff ∂ĉ/∂x \[1/s · m\].
    pub n: f64,
    /// ∂n/∂ĉ_left.
    pub dn_dc_left: f64,
    /// ∂n/∂ĉ_right.
    pub dn_dc_right: f64,
}

/// Counter-electrode quantities (face x = 0).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct CounterFace {
    /// i_e at x = 0 from the electrolyte side \[A/m²\].
    pub i_e: f64,
    /// ∂i_e/∂φ_e,0 (= ∂i_e/∂Δφ_n).
    pub di_dphi: f64,
    /// ∂i_e/∂ĉ_0.
    pub di_dc0: f64,
    /// ∂i_e/∂i_app.
    pub di_dapp: f64,
    /// Faradaic current density of the counter electrode 2 j0,n sinh(f η_n/2) \[A/m²\].
    pub j_n: f64,
    /// ∂j_n/∂Δφ_n.
    pub dj_n_ddphi: f64,
    /// ∂j_n/∂ĉ_0.
    pub dj_n_dc0: f64,
    /// ∂j_n/∂i_app.
    pub dj_n_dapp: f64,
}

/// Binary-electrolyte transport through a face, with derivatives with respect to the scaled
/// concentration ĉ at the face.
#[derive(Debug, Clone, Copy)]
pub(super) struct BinaryFace {
    /// Conductance κ(c) · g \[S/m²\].
    pub kappa: f64,
    /// ∂(κ g)/∂ĉ.
    pub d_kappa: f64,
    /// Diffusion-potential factor B = 2 (1 − t+) (R T/F) χ(c) \[V\].
    pub b: f64,
    /// ∂B/∂ĉ.
    pub d_b: f64,
    /// Diffusion conductance D_e(c) · g \[m/s\].
    pub diffusion: f64,
    /// ∂(D_e g)/∂ĉ.
    pub d_diffusion: f64,
}

impl BinaryCoefficients {
    /// Transport through a face of geometric factor `g` \[1/m\] at scaled concentration `c_hat`.
    #[inline]
    pub(super) fn face(&self, c_hat: f64, g: f64) -> BinaryFace {
        let c = self.c0 * c_hat;
        let (kappa, d_kappa) = self.kappa.eval(c);
        let (chi, d_chi) = self.tdf.eval(c);
        let (diff, d_diff) = self.diff.eval(c);
        let (kg, dg) = (self.kappa_arr * g, self.diff_arr * g);
        BinaryFace {
            kappa: kappa * kg,
            d_kappa: d_kappa * kg * self.c0,
            b: self.b_scale * chi,
            d_b: self.b_scale * d_chi * self.c0,
            diffusion: diff * dg,
            d_diffusion: d_diff * dg * self.c0,
        }
    }
}

impl P2dModel {
    /// Scaled electrolyte concentration ĉ in cell m (1 for the single-ion conductor).
    #[inline]
    pub(super) fn c_hat(&self, y: &[f64], m: usize) -> f64 {
        if self.layout.binary {
            y[self.layout.c_e(m)]
        } else {
            1.0
        }
    }

    /// Electrolyte potential in cell m.
    #[inline]
    pub(super) fn phi_e(&self, y: &[f64], m: usize) -> f64 {
        let l = &self.layout;
        if m < l.ns {
            y[l.phi_e_sep(m)]
        } else {
            let i = m - l.ns;
            y[l.phi_s(i)] - y[l.dphi(i)]
        }
    }

    /// Surface stoichiometry of cathode cell i, bounded by the host's `window` (θ_min, θ_max)
    /// of state `y` ([`Self::host_window`]).
    ///
    /// Reconstruction: a quadratic through the two outermost shell averages with the known
    /// surface gradient g = ∂θ/∂r|_R = −χ j/(F c_max D_s(θ_last)) gives the offset of the surface
    /// from the outermost shell, `δ = α (θ_last − θ_prev) + β g`, with the weights of
    /// [`crate::numerics::mesh::SphereMesh::surface_weights`] (uniform shells of width h:
    /// α = 1/6, β = h/3; third order near the surface, the cell-average offsets of the
    /// quadratic accounted for).
    ///
    /// Limiter: the offset is taken as a fraction x = |δ|/ρ of the room ρ the outermost shell
    /// has toward the end of the window it points at (θ_last − θ_min when δ < 0, θ_max −
    /// θ_last when δ > 0), and `θ_surf = θ_last ± ρ L(x)` with `L(x) = x (1 + x⁸)^(−1/8)`, so
    /// that the surface stays strictly inside the window whenever the shell is. L(x) = x to
    /// within 0.3 % up to x = 0.7 (the quadratic, unchanged wherever it is a good description);
    /// it saturates below 1 only where the quadratic would put the surface past the end of the
    /// window, a profile steeper than one shell can resolve (the last minutes of a charge that
    /// exhausts the surface, a long hold at the top of charge). There the quadratic has no
    /// state with lithium at the surface at all (the surface potential would have to be
    /// infinite), and Newton iterates and accepted steps could leave the algebraic rows
    /// violated by many orders of magnitude (docs/robustness.md, "The empty end of the
    /// window"); with the limiter the surface empties only as the outermost shell does, a
    /// bound the shell's own balance keeps. The surface moves with the end of the window it
    /// points at by `∂θ_surf/∂θ_end = L − x L' = x⁹ (1 + x⁸)^(−9/8)` (`d_lower`, `d_upper`): below
    /// 2e-3 for x < 0.5, but close to 1 at an exhausted surface (x ≫ 1), where the surface
    /// sits at the window's end and follows it as the slow states move it. Leaving that
    /// partial out there gave the MSMR row a derivative −1 in the latent anionic capacity
    /// where the true one is about 0, and the consistent initialisation at a discharge start
    /// from an exhausted surface (and then IDA) failed to converge (robustness seed 12,
    /// case 86; docs/robustness.md, root cause 13).
    #[inline]
    pub(super) fn surface_stoichiometry(
        &self,
        y: &[f64],
        i: usize,
        window: (f64, f64),
    ) -> SurfaceStoichiometry {
        self.bounded_surface(y, i, window)
    }

    /// The value of [`Self::surface_stoichiometry`] alone, for the residual's lean path: the
    /// same code inlined, so that the partials it does not use are never computed (two
    /// divisions and a dozen operations of the limiter; 1 % of the verification cell's
    /// 1000-cycle benchmark).
    #[inline(always)]
    pub(super) fn surface_stoichiometry_value(
        &self,
        y: &[f64],
        i: usize,
        window: (f64, f64),
    ) -> f64 {
        self.bounded_surface(y, i, window).value
    }

    /// [`Self::surface_stoichiometry`], always inlined.
    #[inline(always)]
    fn bounded_surface(&self, y: &[f64], i: usize, window: (f64, f64)) -> SurfaceStoichiometry {
        let l = &self.layout;
        let theta_last = y[l.theta(i, l.nr - 1)];
        let theta_prev = y[l.theta(i, l.nr - 2)];
        let j = y[l.j(i)];
        let (d, dd) = self.d_s.eval(theta_last);
        let d = d * self.d_s_arr;
        let dd = dd * self.d_s_arr;
        let (alpha, beta) = self.surface_weights;
        // The surface flux is χ q j (the current flows through the contacted surface only).
        let (q, dq) = self.contact_gain(y);
        let s = beta * self.contact * q / (FARADAY * self.c_max);
        // The quadratic's offset δ and its partials.
        let delta = alpha * (theta_last - theta_prev) - s * j / d;
        let d_delta_last = alpha + s * j * dd / (d * d);
        let d_delta_j = -s / d;
        let d_delta_thr = -beta * self.contact * dq / (FARADAY * self.c_max) * j / d;
        let room = if delta < 0.0 {
            theta_last - window.0
        } else {
            window.1 - theta_last
        };
        if room.is_nan() || room <= 0.0 {
            // The shell itself is outside the window: no bound to keep (the kinetics reject
            // the state as non-physical).
            return SurfaceStoichiometry {
                value: theta_last + delta,
                d_last: 1.0 + d_delta_last,
                d_prev: -alpha,
                d_j: d_delta_j,
                d_throughput: d_delta_thr,
                d_lower: 0.0,
                d_upper: 0.0,
            };
        }
        let x = delta.abs() / room;
        let x8 = {
            let x2 = x * x;
            let x4 = x2 * x2;
            x4 * x4
        };
        let root = limiter_root(x8);
        let lim = x * root;
        // L'(x) = (1 + x⁸)^(−9/8); ∂θ_surf/∂δ = L'; through the room, ∂θ_surf/∂θ_last gains
        // −(L − x L') on either side.
        let d_lim = root / (1.0 + x8);
        let through_room = lim - x * d_lim;
        // Past x = 1 the surface is measured from the bound, with the gap 1 − L(x) =
        // 1 − (1 + x⁻⁸)^(−1/8) computed without cancellation: the lithium left at an exhausted
        // surface is resolved to its last digits, not to those of θ.
        let value = if x > 1.0 {
            let gap = -(-(1.0 / x8).ln_1p() / 8.0).exp_m1();
            if delta < 0.0 {
                window.0 + room * gap
            } else {
                window.1 - room * gap
            }
        } else {
            theta_last + delta.signum() * room * lim
        };
        let (d_lower, d_upper) = if delta < 0.0 {
            (through_room, 0.0)
        } else {
            (0.0, through_room)
        };
        SurfaceStoichiometry {
            value,
            d_last: 1.0 + d_lim * d_delta_last - through_room,
            d_prev: -alpha * d_lim,
            d_j: d_delta_j * d_lim,
            d_throughput: d_delta_thr * d_lim,
            d_lower,
            d_upper,
        }
    }

    /// The electrolyte concentration in the exchange current of cathode cell i: the reference
    /// c_e,ref \[mol/m³\] and the scaled concentration ĉ (1 for the single-ion conductor).
    #[inline]
    fn exchange_concentration(&self, y: &[f64], i: usize) -> (f64, f64) {
        match &self.electrolyte {
            ElectrolyteCoefficients::SingleIon { c_e } => (*c_e, 1.0),
            ElectrolyteCoefficients::Binary(b) => (b.c0, self.c_hat(y, self.layout.ns + i)),
        }
    }

    /// Resistance in series with the charge transfer \[Ω m²\] and its derivatives with
    /// respect to the film state (per nm) and the throughput state: the interphase model's
    /// R_int(δ, Θ), or the constant film resistance.
    #[inline]
    pub(super) fn interface_resistance(&self, ctx: &SlowContext) -> (f64, f64, f64) {
        match self.slow.as_ref().and_then(|m| m.interphase) {
            Some(film) => {
                let (r, dr, dr_dthr) = film.resistance(ctx.delta, ctx.throughput);
                (r, dr * NM, dr_dthr)
            }
            None => (self.r_film, 0.0, 0.0),
        }
    }

    /// The kinetics residual of cathode cell i for an OCP given as a function of the surface
    /// stoichiometry: the value of [`Self::cell_kinetics`]'s residual without its partials (the
    /// residual's fast path).
    #[inline]
    pub(super) fn cell_kinetics_value(
        &self,
        y: &[f64],
        i: usize,
        ocp: &MaterialFunction,
        ctx: &SlowContext,
    ) -> Result<f64, NonPhysicalState> {
        let l = &self.layout;
        let j = y[l.j(i)];
        let theta_surf = self.surface_stoichiometry_value(y, i, (0.0, 1.0));
        let (c_e_ref, c_scale) = self.exchange_concentration(y, i);
        let (j0, _, _) = intercalation_j0(self.k_p, self.c_max, c_e_ref, theta_surf, c_scale)
            .ok_or_else(|| surface_out_of_range(i, theta_surf, c_scale))?;
        let (r_int, _, _) = self.interface_resistance(ctx);
        let eta = y[l.dphi(i)] - ocp.eval(theta_surf).0 - r_int * j;
        let (bv, _, dbv_deta) = butler_volmer(j0, eta, self.f);
        if !bv.is_finite() || !dbv_deta.is_finite() {
            return Err(overpotential_overflow(i, eta));
        }
        Ok(j - bv)
    }

    /// Kinetics of cathode cell i.
    pub(super) fn cell_kinetics(
        &self,
        y: &[f64],
        i: usize,
        ctx: &SlowContext,
    ) -> Result<CellKinetics, NonPhysicalState> {
        let l = &self.layout;
        let j = y[l.j(i)];
        let dphi = y[l.dphi(i)];
        let anion = self.anion_state(y);
        let window = self.host_window_of(&anion);
        // An outermost shell past an end of the host's window holds lithium (or vacancies)
        // the galleries do not have: no physical state. With MSMR the row's floor would still
        // give it a surface potential, and an accepted step there leaves the next step's start
        // without a consistent state (suite seed 4, case 142: shells 0.4 % below empty after
        // a charge); rejecting it makes IDA shorten the step instead. A shell within
        // `WINDOW_SLACK` of the width past an end is a rounding error and passes.
        if let OcpModel::Msmr(_) = &self.ocp {
            let theta_last = y[l.theta(i, l.nr - 1)];
            let slack = WINDOW_SLACK * (window.1 - window.0);
            if !(theta_last >= window.0 - slack && theta_last <= window.1 + slack) {
                return Err(NonPhysicalState::ShellOutsideWindow {
                    cell: i,
                    theta: theta_last,
                    lower: window.0,
                    upper: window.1,
                });
            }
        }
        let ts = self.surface_stoichiometry(y, i, window);
        let (c_e_ref, c_scale) = self.exchange_concentration(y, i);
        let (r_int, dr_int, dr_int_dthr) = self.interface_resistance(ctx);
        let mut out = CellKinetics::default();
        // Open-circuit potential, exchange current and their partials: (U, j0) and, per
        // unknown they depend on, (∂U, ∂j0).
        let (u, j0, dj0_dc) = match &self.ocp {
            OcpModel::Function(ocp) => {
                let (j0, dj0_dts, dj0_dc) =
                    intercalation_j0(self.k_p, self.c_max, c_e_ref, ts.value, c_scale)
                        .ok_or_else(|| surface_out_of_range(i, ts.value, c_scale))?;
                let (u, du) = ocp.eval(ts.value);
                out.u_partials = Some((du, dj0_dts, ts));
                (u, j0, dj0_dc)
            }
            OcpModel::Msmr(msmr) => {
                let u = y[l.u(i)];
                let fill = msmr.fill(u, &anion, self.f);
                out.surface = Some((fill, ts));
                // j0 = k c_e^½ c_max K/A, K = Σ X_j (s_j (1 − s_j))^½, A = Σ X_j.
                if !(fill.kin > 0.0 && c_scale > 0.0) {
                    return Err(NonPhysicalState::NoReactingGallery {
                        cell: i,
                        potential_v: u,
                        kinetic_weight: fill.kin,
                        c_scale,
                    });
                }
                let inv = 1.0 / fill.capacity;
                let ce = (c_e_ref * c_scale).sqrt();
                let scale = self.k_p * ce * self.c_max * inv;
                let j0 = scale * fill.kin;
                out.msmr_partials = Some(MsmrKineticsPartials {
                    dj0_du: scale * fill.kin_d_u,
                    // X_a adds capacity too: ∂(K/A)/∂X_a = g_a/A − K ∂A/∂X_a/A².
                    dj0_dxa: scale * (fill.kin_d_xa - fill.kin * inv * fill.capacity_d_xa),
                    dj0_dh: scale * fill.kin_d_h,
                    // X_O shifts the galleries (β) and, with a lower couple, adds its
                    // capacity γ; M shifts them (rigid law) or moves capacity (lower couple).
                    dj0_dxo: scale
                        * (fill.kin_d_shift * msmr.fade_coefficient() + fill.kin_d_xo
                            - fill.kin * inv * fill.capacity_d_xo),
                    dj0_dm: scale * (fill.kin_d_shift * msmr.shift_per_migration() + fill.kin_d_m),
                    d_u: 0.0,
                    d_xa: 0.0,
                    d_h: 0.0,
                    d_xo: 0.0,
                    d_m: 0.0,
                });
                (u, j0, 0.5 * j0 / c_scale)
            }
        };
        let eta = dphi - u - r_int * j;
        let (bv, dbv_dj0, dbv_deta) = butler_volmer(j0, eta, self.f);
        if !bv.is_finite() || !dbv_deta.is_finite() {
            return Err(overpotential_overflow(i, eta));
        }
        out.residual = j - bv;
        out.d_j = 1.0 + dbv_deta * r_int;
        out.d_dphi = -dbv_deta;
        out.d_film = dbv_deta * j * dr_int;
        out.d_throughput = dbv_deta * j * dr_int_dthr;
        out.d_c_hat = if self.layout.binary {
            -dbv_dj0 * dj0_dc
        } else {
            0.0
        };
        if let Some((du, dj0_dts, ts)) = out.u_partials {
            // R = j − BV(j0(θs), Δφ − U(θs) − R j), θs(θ_last, θ_prev, j).
            let d_ts = -(dbv_dj0 * dj0_dts - dbv_deta * du);
            out.d_theta_last = d_ts * ts.d_last;
            out.d_theta_prev = d_ts * ts.d_prev;
            out.d_j += d_ts * ts.d_j;
            out.d_throughput += d_ts * ts.d_throughput;
        }
        if let Some(p) = out.msmr_partials.as_mut() {
            p.d_u = -(dbv_dj0 * p.dj0_du - dbv_deta);
            p.d_xa = -dbv_dj0 * p.dj0_dxa;
            p.d_h = -dbv_dj0 * p.dj0_dh;
            p.d_xo = -dbv_dj0 * p.dj0_dxo;
            p.d_m = -dbv_dj0 * p.dj0_dm;
        }
        Ok(out)
    }

    /// The MSMR row of cathode cell i from its gallery filling and surface stoichiometry.
    ///
    /// The row states that the galleries at the surface potential U hold the surface lithium
    /// the particle has there, in the balanced form
    /// `r = (f̃_s E(U) − ṽ_s F(U)) / C = 0`, with F and E the lithium and vacancies the
    /// galleries hold at U, C = F + E their capacity, and f̃_s, ṽ_s the surface lithium
    /// `f_s = x_max θ_surf − x_fixed` and vacancies `v_s = C − f_s`, each floored smoothly at
    /// [`SURFACE_FLOOR`] (ε softplus(x/ε)). Inside the window f̃_s + ṽ_s = C, so r = f_s − F(U):
    /// a fraction of the capacity, linear in the shell stoichiometries and in j.
    ///
    /// Why not the logit form `ln(F/E) − ln(f_s/v_s)` (same root, used by
    /// [`Self::msmr_logit`] for the scalar settling Newton): its derivative in θ is
    /// `x_max/f_s`, which grows by orders of magnitude as the surface empties (a long hold at
    /// the top of charge takes f_s to 1e-6 of the capacity). IDA keeps a Jacobian over many
    /// steps; one taken at a depleted surface then turns an O(1) residual of this row into a
    /// stoichiometry correction far below the tolerance, the corrector declares convergence,
    /// and U drifts off its equilibrium by tens of millivolts per step until the corrector
    /// fails at every step size (docs/robustness.md, "CV holds on the paper cells"). In the
    /// balanced form the derivatives in θ and j are constant, and the one that varies with the
    /// state, ∂r/∂U, belongs to an unknown whose corrections are error-tested: a stale value
    /// shows as a large correction and makes IDA refresh the Jacobian.
    pub(super) fn msmr_row(
        msmr: &MsmrModel,
        anion: &AnionState,
        fill: &GalleryFill,
        ts: &SurfaceStoichiometry,
        i: usize,
    ) -> Result<MsmrRow, NonPhysicalState> {
        let c = fill.capacity;
        let f_s = msmr.x_max * ts.value - msmr.fixed_lithium(anion);
        let v_s = c - f_s;
        if !(fill.filled > 0.0 && fill.empty > 0.0 && c > 0.0) {
            return Err(NonPhysicalState::GalleriesExhausted {
                cell: i,
                surface_lithium: f_s,
                capacity: c,
            });
        }
        let (sf, dsf) = softplus(f_s / SURFACE_FLOOR);
        let (sv, dsv) = softplus(v_s / SURFACE_FLOOR);
        let (ft, vt) = (SURFACE_FLOOR * sf, SURFACE_FLOOR * sv);
        let inv_c = 1.0 / c;
        let residual = (ft * fill.empty - vt * fill.filled) * inv_c;
        // ∂r/∂f_s (v_s = C − f_s), and the factor of every derivative of F (E = C − F).
        let d_fs = (dsf * fill.empty + dsv * fill.filled) * inv_c;
        let d_filled = -(ft + vt) * inv_c;
        Ok(MsmrRow {
            residual,
            d_u: d_filled * fill.d_u,
            d_theta_last: d_fs * msmr.x_max * ts.d_last,
            d_theta_prev: d_fs * msmr.x_max * ts.d_prev,
            d_j: d_fs * msmr.x_max * ts.d_j,
            d_throughput: d_fs * msmr.x_max * ts.d_throughput,
            // x_fixed grows with X_l, and both ends of the window with it (by 1/x_max each),
            // which an exhausted surface follows (f_s = x_max θ_surf − x_fixed).
            d_xl: d_fs * (ts.d_lower + ts.d_upper - 1.0),
            // X_a adds capacity (C and v_s by ∂C/∂X_a, 1 or 1 − φ with densification, F by
            // its occupancy, E by the rest) and moves the window's upper end by
            // (∂C/∂X_a)/x_max.
            d_xa: (ft * (fill.capacity_d_xa - fill.d_xa)
                - vt * fill.d_xa
                - dsv * fill.filled * fill.capacity_d_xa)
                * inv_c
                - residual * inv_c * fill.capacity_d_xa
                + d_fs * ts.d_upper * fill.capacity_d_xa,
            d_h: d_filled * fill.d_h,
            // The shift β X_O, and with a lower couple its capacity γ X_O, filled by γ s_L
            // (as X_a's, scaled by γ).
            d_xo: d_filled * fill.d_shift * msmr.fade_coefficient()
                + (ft * (fill.capacity_d_xo - fill.d_xo)
                    - vt * fill.d_xo
                    - dsv * fill.filled * fill.capacity_d_xo)
                    * inv_c
                - residual * inv_c * fill.capacity_d_xo
                // The window's upper end moves with the capacity γ X_O (by γ/x_max).
                + d_fs * ts.d_upper * fill.capacity_d_xo,
            // M shifts (rigid law) or moves capacity at constant C (lower couple).
            d_m: d_filled * (fill.d_shift * msmr.shift_per_migration() + fill.d_m),
        })
    }

    /// The MSMR equilibrium of cell i in logit form, `ln(F/E) − ln(f_s/v_s)`, and its
    /// derivative in U: the same root as [`Self::msmr_row`], close to linear in U (slope
    /// ≈ f/ω), which suits the scalar Newton that settles U before a step
    /// ([`Self::settle_cells`]). `None` where the galleries are empty or full.
    pub(super) fn msmr_logit(&self, y: &[f64], i: usize, msmr: &MsmrModel) -> Option<(f64, f64)> {
        let l = &self.layout;
        let anion = self.anion_state(y);
        let fill = msmr.fill(y[l.u(i)], &anion, self.f);
        let ts = self.surface_stoichiometry(y, i, msmr.window(&anion));
        let f_s = msmr.x_max * ts.value - msmr.fixed_lithium(&anion);
        let v_s = fill.capacity - f_s;
        if !(fill.filled > 0.0 && fill.empty > 0.0) {
            return None;
        }
        let (lf, _) = ln_softplus(f_s / SURFACE_FLOOR);
        let (lv, _) = ln_softplus(v_s / SURFACE_FLOOR);
        let residual = (fill.filled / fill.empty).ln() - lf + lv;
        let d_u = fill.d_u * (1.0 / fill.filled + 1.0 / fill.empty);
        residual.is_finite().then_some((residual, d_u))
    }

    /// Current and salt flux through internal face f (1 ≤ f < ne), between cells f−1 and f.
    pub(super) fn face_flux(&self, y: &[f64], f: usize) -> FaceFlux {
        let dphi_e = self.phi_e(y, f) - self.phi_e(y, f - 1);
        let g = self.face[f];
        match &self.electrolyte {
            ElectrolyteCoefficients::SingleIon { .. } => FaceFlux {
                i_e: -g * dphi_e,
                di_dphi_left: g,
                ..FaceFlux::default()
            },
            ElectrolyteCoefficients::Binary(b) => {
                let (cl, cr) = (self.c_hat(y, f - 1), self.c_hat(y, f));
                let cf = 0.5 * (cl + cr);
                let BinaryFace {
                    kappa: kap,
                    d_kappa: dkap,
                    b: bb,
                    d_b: dbb,
                    diffusion: dif,
                    d_diffusion: ddif,
                } = b.face(cf, g);
                let dc = cr - cl;
                // i_e = −κ Δφ + B κ Δĉ/ĉ_f
                let i_e = -kap * dphi_e + bb * kap * dc / cf;
                let di_dcf =
                    -dkap * dphi_e + (dbb * kap + bb * dkap) * dc / cf - bb * kap * dc / (cf * cf);
                let n = dif * dc;
                let dn_dcf = ddif * dc;
                FaceFlux {
                    i_e,
                    di_dphi_left: kap,
                    di_dc_left: 0.5 * di_dcf - bb * kap / cf,
                    di_dc_right: 0.5 * di_dcf + bb * kap / cf,
                    n,
                    dn_dc_left: 0.5 * dn_dcf - dif,
                    dn_dc_right: 0.5 * dn_dcf + dif,
                }
            }
        }
    }

    /// The counter-electrode face: electrolyte current into cell 0 and the faradaic current.
    pub(super) fn counter_face(&self, y: &[f64]) -> Result<CounterFace, NonPhysicalState> {
        let l = &self.layout;
        let dphi_n = y[l.dphi_n];
        let i_app = y[l.i_app];
        let phi0 = self.phi_e(y, 0);
        let g = self.face[0];
        let mut out = CounterFace::default();
        // Boundary electrolyte concentration ĉ_b = ĉ_0 − δ, δ = P i_app / (D_eff/Δ)_0.
        let mut c_b = (1.0, 0.0, 0.0); // (value, ∂/∂ĉ_0, ∂/∂i_app)
        match &self.electrolyte {
            ElectrolyteCoefficients::SingleIon { .. } => {
                out.i_e = -g * (phi0 + dphi_n);
                out.di_dphi = -g;
            }
            ElectrolyteCoefficients::Binary(b) => {
                let c0h = self.c_hat(y, 0);
                let BinaryFace {
                    kappa: kap,
                    d_kappa: dkap,
                    b: bb,
                    d_b: dbb,
                    diffusion: dg,
                    d_diffusion: ddg,
                } = b.face(c0h, g);
                if !(dg > 0.0 && c0h > 0.0) {
                    return Err(NonPhysicalState::CounterConcentration { c_scale: c0h });
                }
                // T = B κ δ / ĉ_0 with δ = P i_app / D_g.
                let delta = b.p * i_app / dg;
                let term = bb * kap * delta / c0h;
                let dterm_dc = b.p
                    * i_app
                    * ((dbb * kap + bb * dkap) / (dg * c0h)
                        - bb * kap * (ddg * c0h + dg) / (dg * c0h).powi(2));
                let dterm_dapp = bb * kap * b.p / (dg * c0h);
                out.i_e = -kap * (phi0 + dphi_n) + term;
                out.di_dphi = -kap;
                out.di_dc0 = -dkap * (phi0 + dphi_n) + dterm_dc;
                out.di_dapp = dterm_dapp;
                c_b = (c0h - delta, 1.0 + b.p * i_app * ddg / (dg * dg), -b.p / dg);
            }
        }
        let (j0, dj0_dcb) = if self.j0_n_exponent == 0.0 {
            (self.j0_n, 0.0)
        } else {
            if c_b.0 <= 0.0 {
                return Err(NonPhysicalState::CounterDepleted { c_scale: c_b.0 });
            }
            let j0 = self.j0_n * c_b.0.powf(self.j0_n_exponent);
            (j0, self.j0_n_exponent * j0 / c_b.0)
        };
        let (jn, djn_dj0, djn_deta) = butler_volmer(j0, dphi_n - self.u_n, self.f);
        if !jn.is_finite() || !djn_deta.is_finite() {
            return Err(NonPhysicalState::CounterOverflow {
                eta_v: dphi_n - self.u_n,
            });
        }
        out.j_n = jn;
        out.dj_n_ddphi = djn_deta;
        out.dj_n_dc0 = djn_dj0 * dj0_dcb * c_b.1;
        out.dj_n_dapp = djn_dj0 * dj0_dcb * c_b.2;
        Ok(out)
    }
}

/// The error of a surface stoichiometry or electrolyte concentration outside the exchange
/// current's domain in cathode cell `i`.
fn surface_out_of_range(cell: usize, theta_surf: f64, c_scale: f64) -> NonPhysicalState {
    NonPhysicalState::SurfaceOutOfRange {
        cell,
        theta_surf,
        c_scale,
    }
}

/// `(1 + u)^(−1/8)` for the surface limiter, u = x⁸ ≥ 0 \[-\].
///
/// Below u = 1e-4 (x < 0.32, where the limiter is the identity to 1e-5 and where a cycling cell
/// spends nearly all of its time) by the binomial series to u³: the first term left out,
/// (969/32768) u⁴, is below 3e-18, under half an ulp of the result, so the value is that of
/// `powf` to its last bit or the next one. `powf` costs about 90 instructions and was 2 % of
/// the verification cell's 1000-cycle benchmark (callgrind, `examples/time_cycling`); the
/// series costs four multiply-adds.
#[inline]
fn limiter_root(u: f64) -> f64 {
    if u < 1e-4 {
        // 1 − u/8 + 9u²/128 − 51u³/1024.
        1.0 + u * (-0.125 + u * (9.0 / 128.0 - u * (51.0 / 1024.0)))
    } else {
        (1.0 + u).powf(-0.125)
    }
}

/// The error of an overpotential that overflows Butler–Volmer in cathode cell `i`.
fn overpotential_overflow(cell: usize, eta_v: f64) -> NonPhysicalState {
    NonPhysicalState::OverpotentialOverflow { cell, eta_v }
}

#[cfg(test)]
mod tests {
    use super::limiter_root;

    #[test]
    fn the_limiter_series_is_powf_to_the_last_bit() {
        for k in 0..=4000 {
            // u from 0 to just above the switch, logarithmically below it.
            let u = if k == 0 {
                0.0
            } else {
                1e-4 * 10f64.powf(-(4000 - k) as f64 / 250.0) * 1.0001
            };
            let exact = (1.0 + u).powf(-0.125);
            let ulps = (limiter_root(u).to_bits() as i64 - exact.to_bits() as i64).abs();
            assert!(
                ulps <= 1,
                "u = {u:e}: {} against {exact} ({ulps} ulp)",
                limiter_root(u)
            );
        }
    }
}
