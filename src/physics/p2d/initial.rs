//! Initial states: the rested cell at its initial concentrations.

use super::degradation::NM;
use super::layout::Slow;
use super::open_circuit::{AnionState, OcpModel};
use super::P2dModel;

impl P2dModel {
    /// The cell at rest (zero current) at the initial concentrations: uniform θ_0 and ĉ = 1,
    /// every overpotential zero, so φ_e = −U_n and φ_s = U(θ_0) − U_n; the slow states at
    /// their initial values (h = −1: an as-made, lithiated host sits on its discharge branch).
    pub fn rest_state(&self) -> Vec<f64> {
        let l = &self.layout;
        let mut y = vec![0.0; l.n];
        if let Some(m) = &self.slow {
            y[l.slow(Slow::Film)] = m.interphase.map_or(0.0, |f| f.initial_thickness_m / NM);
            if let Some(a) = &m.anion {
                y[l.slow(Slow::Hysteresis)] = -1.0;
                y[l.slow(Slow::ActiveAnionic)] = a.initial_active_capacity;
                y[l.slow(Slow::LatentAnionic)] = a.lattice_capacity - a.initial_active_capacity;
            }
        }
        let u0 = match &self.ocp {
            OcpModel::Function(u) => u.eval(self.theta0).0,
            OcpModel::Msmr(m) => {
                let anion = if m.anion.is_some() {
                    self.anion_state(&y)
                } else {
                    AnionState::default()
                };
                // Validation guarantees an initial content inside the galleries' range; the
                // fallback only guards against round-off at its edge.
                m.potential_at(m.x_max * self.theta0, &anion, self.f)
                    .unwrap_or(m.cationic[0].standard_potential_v)
            }
        };
        for i in 0..l.np {
            if l.msmr {
                y[l.u(i)] = u0;
            }
            for k in 0..l.nr {
                y[l.theta(i, k)] = self.theta0;
            }
            y[l.phi_s(i)] = u0 - self.u_n;
            y[l.dphi(i)] = u0;
            y[l.j(i)] = 0.0;
        }
        if l.binary {
            for m in 0..l.ne() {
                y[l.c_e(m)] = 1.0;
            }
        }
        for m in 0..l.ns {
            y[l.phi_e_sep(m)] = -self.u_n;
        }
        y[l.dphi_n] = self.u_n;
        y
    }

    /// A starting guess for the algebraic unknowns when the applied current density becomes
    /// `i_app` \[A/m²\]: the current is set and the faradaic current spread uniformly over the
    /// cathode's contacted surface (`j = −i_app/(a_c L_p)`, the contact lost in cycling not
    /// counted); consistent initialisation refines the rest.
    pub fn guess_for_current(&self, y: &mut [f64], i_app: f64) {
        let l = &self.layout;
        y[l.i_app] = i_app;
        let j = -i_app / (self.a_c * self.dx_p * l.np as f64);
        for i in 0..l.np {
            y[l.j(i)] = j;
        }
        self.settle_cells(y);
    }

    /// Brings each cathode cell's local unknowns to its own equations at the current j: the
    /// surface potential U to the MSMR equilibrium, then Δφ (and φ_s, keeping φ_e) to the
    /// kinetics, by a few scalar Newton steps per cell. A current switched on a nearly full or
    /// empty surface needs an overpotential of a few hundred millivolts at once, too far for
    /// the consistent-initialisation Newton to find from the old values; from here it only
    /// has to couple the cells. A cell whose equations cannot be evaluated is left as it was.
    pub fn settle_cells(&self, y: &mut [f64]) {
        let l = self.layout;
        let ctx = self.slow_context(y);
        for i in 0..l.np {
            if let OcpModel::Msmr(msmr) = &self.ocp {
                // The logit is close to linear in U: steps capped at 0.2 V.
                newton_1d(y, l.u(i), 20, 0.2, |y| self.msmr_logit(y, i, msmr));
            }
            let phi_e = y[l.phi_s(i)] - y[l.dphi(i)];
            // Butler–Volmer is convex in Δφ: steps capped at 0.1 V.
            newton_1d(y, l.dphi(i), 30, 0.1, |y| {
                self.cell_kinetics(y, i, &ctx)
                    .ok()
                    .map(|kin| (kin.residual, kin.d_dphi))
            });
            y[l.phi_s(i)] = phi_e + y[l.dphi(i)];
        }
    }
}

/// Scalar Newton iteration on unknown `k` of `y`: `row(y)` gives (residual, its derivative in
/// y\[k\]), or `None` where it cannot be evaluated. At most `iterations` steps, each capped at
/// `max_step`; stops at a step below 1e-12, an unusable derivative or a failed evaluation.
fn newton_1d(
    y: &mut [f64],
    k: usize,
    iterations: usize,
    max_step: f64,
    row: impl Fn(&[f64]) -> Option<(f64, f64)>,
) {
    for _ in 0..iterations {
        let Some((residual, derivative)) = row(y) else {
            break;
        };
        if derivative == 0.0 || !derivative.is_finite() {
            break;
        }
        let step = (-residual / derivative).clamp(-max_step, max_step);
        y[k] += step;
        if step.abs() < 1e-12 {
            break;
        }
    }
}
