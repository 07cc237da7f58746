//! The largest current the particle surfaces of a state can carry at all.
//!
//! In the discretised particle the surface stoichiometry follows the current at once, through
//! the surface-gradient term of the quadratic reconstruction (`local.rs`):
//! `θ_surf(j) = θ_last + α (θ_last − θ_prev) − β j / (F c_max D_s(θ_last))`. A current density j
//! that takes this quadratic past the end of the host's window (below the lithium no gallery
//! releases on charge, above the galleries' capacity on discharge; 0 and 1 for an OCP given as
//! a function) is more than the outermost shell can carry through its surface: the limited
//! reconstruction the model solves then puts the surface within a rounding error of the end of
//! the window, and the on-load voltage beyond any cut-off.
//! Summed over the cathode cells, `j_lim,i a Δx` bounds the applied current density. A
//! constant-current step above the bound cannot start; the experiment records it as skipped
//! ([`crate::protocol::simulate::StepEnd::CurrentUnsustainable`]) instead of failing in the
//! consistent-initialisation Newton.

use super::open_circuit::{AnionState, OcpModel};
use super::P2dModel;
use crate::constants::FARADAY;

/// Bounds on the applied current density of a state \[A/m², magnitudes\].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SurfaceCurrentLimits {
    /// On charge (delithiation of the cathode) \[A/m²\].
    pub charge_a_m2: f64,
    /// On discharge (lithiation of the cathode) \[A/m²\].
    pub discharge_a_m2: f64,
    /// The outermost-shell stoichiometry range over the cathode cells (min, max) \[-\].
    pub surface_range: (f64, f64),
}

impl SurfaceCurrentLimits {
    /// The bound in one direction: on charge (`charge`) or on discharge \[A/m²\].
    pub fn toward(&self, charge: bool) -> f64 {
        if charge {
            self.charge_a_m2
        } else {
            self.discharge_a_m2
        }
    }
}

impl SurfaceState {
    /// How far the outermost shells are from the end of the window a charge (`charge`) or a
    /// discharge runs toward, as a fraction of the window (the smallest over the cells).
    pub fn room(&self, charge: bool) -> f64 {
        if charge {
            self.filling.0
        } else {
            1.0 - self.filling.1
        }
    }
}

impl P2dModel {
    /// The host's window of stoichiometry at state `y`: from the lithium no gallery releases
    /// to the galleries full (MSMR), or \[0, 1\] for an OCP given as a function.
    pub(super) fn host_window(&self, y: &[f64]) -> (f64, f64) {
        self.host_window_of(&self.anion_state(y))
    }

    /// The host's window for the anion state `anion` already read from a state (see
    /// [`Self::host_window`]).
    pub(super) fn host_window_of(&self, anion: &AnionState) -> (f64, f64) {
        match &self.ocp {
            OcpModel::Function(_) => (0.0, 1.0),
            OcpModel::Msmr(m) => m.window(anion),
        }
    }

    /// The largest applied current densities the particle surfaces of state `y` can carry on
    /// charge and on discharge (see the module documentation). The side reaction, which can
    /// carry part of a charging current, is not counted: the bounds are for the
    /// intercalation current alone.
    pub fn surface_current_limits(&self, y: &[f64]) -> SurfaceCurrentLimits {
        let l = &self.layout;
        let (theta_min, theta_max) = self.host_window(y);
        let ctx = self.slow_context(y);
        let area = self.a_c * self.contacted_fraction(&ctx, y).0 * self.dx_p;
        let (alpha, beta) = self.surface_weights;
        let s = beta * self.contact * self.contact_gain(y).0 / (FARADAY * self.c_max);
        let mut limits = SurfaceCurrentLimits {
            charge_a_m2: 0.0,
            discharge_a_m2: 0.0,
            surface_range: (f64::INFINITY, f64::NEG_INFINITY),
        };
        for i in 0..l.np {
            let last = y[l.theta(i, l.nr - 1)];
            let prev = y[l.theta(i, l.nr - 2)];
            let d = self.d_s.eval(last).0 * self.d_s_arr;
            // θ_surf(j) = at_rest − (s/d) j.
            let at_rest = last + alpha * (last - prev);
            let per_j = s / d;
            limits.charge_a_m2 += area * ((at_rest - theta_min) / per_j).max(0.0);
            limits.discharge_a_m2 += area * ((theta_max - at_rest) / per_j).max(0.0);
            limits.surface_range.0 = limits.surface_range.0.min(last);
            limits.surface_range.1 = limits.surface_range.1.max(last);
        }
        limits
    }

    /// The ohmic drop across the cathode's interface \[V\] when the applied current density
    /// `i_app` \[A/m²\] flows through the contacted surface of state `y`:
    /// `|i_app| r_int / (a_c g L_p)`, r_int the interface resistance per contacted area (film
    /// and native layer, or the constant film resistance) and a_c g the contacted surface still
    /// reacting. A current whose drop alone carries the cell past its cut-off cannot run.
    pub fn interface_drop_v(&self, y: &[f64], i_app: f64) -> f64 {
        let ctx = self.slow_context(y);
        let (r_int, _, _) = self.interface_resistance(&ctx);
        let surface =
            self.a_c * self.contacted_fraction(&ctx, y).0 * self.dx_p * self.layout.np as f64;
        i_app.abs() * r_int / surface
    }
}

/// What limited a state, in physical terms, for the message of a failure that could not be
/// avoided (see `protocol::simulate`'s failure explanation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SurfaceState {
    /// The current bounds of the state.
    pub limits: SurfaceCurrentLimits,
    /// Where the outermost shells sit in the host's window, as fractions from the empty end
    /// (0: no lithium the galleries can release, 1: full) (min, max over the cathode cells).
    pub filling: (f64, f64),
    /// Diffusion time of the particles R²/D_s at their mean outermost-shell stoichiometry \[s\].
    pub diffusion_time_s: f64,
}

impl P2dModel {
    /// The surface state of `y` (see [`SurfaceState`]).
    pub fn surface_state(&self, y: &[f64]) -> SurfaceState {
        let l = &self.layout;
        let limits = self.surface_current_limits(y);
        let (lo, hi) = self.host_window(y);
        let span = (hi - lo).max(f64::MIN_POSITIVE);
        let (a, b) = limits.surface_range;
        let mean = (0..l.np).map(|i| y[l.theta(i, l.nr - 1)]).sum::<f64>() / l.np as f64;
        let d = self.d_s.eval(mean).0 * self.d_s_arr;
        SurfaceState {
            limits,
            filling: ((a - lo) / span, (b - lo) / span),
            diffusion_time_s: self.sphere.radius * self.sphere.radius / d,
        }
    }
}

impl P2dModel {
    /// The lowest scaled electrolyte concentration ĉ = c_e/c_e,0 of state `y` and the
    /// electrolyte cell it is in (0 at the counter electrode, the separator's cells, then the
    /// cathode's up to its current collector), with the number of electrolyte cells; `None`
    /// for a single-ion conductor, whose concentration does not change.
    pub fn electrolyte_minimum(&self, y: &[f64]) -> Option<(f64, usize, usize)> {
        let l = &self.layout;
        if !l.binary {
            return None;
        }
        (0..l.ne())
            .map(|m| (self.c_hat(y, m), m))
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(c, m)| (c, m, l.ne()))
    }
}
