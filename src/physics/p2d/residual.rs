//! The residual F(t, y, y') of the discretised P2D model. Row i holds the equation that
//! "belongs" to unknown i of the [`super::Layout`].

use super::error::NonPhysicalState;
use super::{Control, ElectrolyteCoefficients, P2dModel};
use crate::constants::{FARADAY, SECONDS_PER_HOUR};
use crate::numerics::dae::EvalError;
use crate::numerics::finite::all_finite;
use crate::physics::material::MaterialFunction;

impl P2dModel {
    pub(super) fn evaluate_residual(
        &mut self,
        t: f64,
        y: &[f64],
        yp: &[f64],
        r: &mut [f64],
    ) -> Result<(), EvalError> {
        let l = self.layout;
        let (np, ns, nr) = (l.np, l.ns, l.nr);
        let ne = l.ne();
        let sph = &self.sphere;
        let flux_scale = 1.0 / (FARADAY * self.c_max);

        // Particles: V_k θ'_k = A_{k+1} G_{k+1} − A_k G_k, G = D_s ∂θ/∂r on faces, written as
        // θ'_k − (A_{k+1} G_{k+1} − A_k G_k)/V_k.
        // The current density j flows through the contacted surface, χ q of the sphere's (q:
        // the remaining particles' mean contact, rising when the least contacted go first).
        let surface = sph.face_area[nr] * flux_scale * self.contact * self.contact_gain(y).0;
        let constant_d = match self.d_s {
            MaterialFunction::Constant(d) => Some(d),
            _ => None,
        };
        // Face fluxes A_k G_k, k = 0..=nr (zero at the centre, the reaction at the surface),
        // then the balances: two simple loops over slices of one length, taken before the
        // loops so that the compiler vectorises them and keeps no bounds check or field reload
        // inside (the fluxes used to be written through `self`, whose coefficients it then
        // reloaded at every face: a quarter of the residual's time on the 1000-cycle benchmark).
        let mut flux_buffer = std::mem::take(&mut self.shell_flux);
        let flux = &mut flux_buffer[..=nr];
        let coef = &self.shell_face_coef[..=nr];
        let inv_volume = &self.shell_inv_volume[..nr];
        for i in 0..np {
            let base = l.theta(i, 0);
            let theta = &y[base..base + nr];
            match constant_d {
                Some(d) => {
                    for ((f, c), (t1, t0)) in flux[1..nr]
                        .iter_mut()
                        .zip(&coef[1..nr])
                        .zip(theta[1..].iter().zip(&theta[..nr - 1]))
                    {
                        *f = c * d * (t1 - t0);
                    }
                }
                None => {
                    for k in 1..nr {
                        let d = self.d_s.eval(0.5 * (theta[k - 1] + theta[k])).0;
                        flux[k] = coef[k] * d * (theta[k] - theta[k - 1]);
                    }
                }
            }
            flux[0] = 0.0;
            flux[nr] = -surface * y[l.j(i)];
            let theta_dot = &yp[base..base + nr];
            for ((out, td), ((f1, f0), v)) in r[base..base + nr]
                .iter_mut()
                .zip(theta_dot)
                .zip(flux[1..].iter().zip(&flux[..nr]).zip(inv_volume))
            {
                *out = td - (f1 - f0) * v;
            }
        }
        self.shell_flux = flux_buffer;

        // Cathode kinetics and the interfacial current density per cell; the MSMR rows; the
        // side-reaction current density per cell (zero without an interphase model).
        let ctx = self.slow_context(y);
        let anion = self.anion_state(y);
        let mut outdated = false;
        for i in 0..np {
            match &self.ocp {
                // The lean path of a tabulated or analytic OCP: values only.
                super::open_circuit::OcpModel::Function(ocp) => {
                    r[l.j(i)] = self
                        .cell_kinetics_value(y, i, ocp, &ctx)
                        .map_err(EvalError::from)?;
                }
                super::open_circuit::OcpModel::Msmr(msmr) => {
                    let kin = self.cell_kinetics(y, i, &ctx).map_err(EvalError::from)?;
                    r[l.j(i)] = kin.residual;
                    if let Some((fill, ts)) = &kin.surface {
                        let row =
                            Self::msmr_row(msmr, &anion, fill, ts, i).map_err(EvalError::from)?;
                        r[l.u(i)] = row.residual;
                        outdated |= self
                            .jacobian_reference
                            .get(i)
                            .is_some_and(|reference| reference.outdated_by(&row, &kin));
                    }
                }
            }
        }
        self.jacobian_outdated = outdated;
        // Side-reaction currents (zero without an interphase model: no list then).
        let mut cells = std::mem::take(&mut self.side_scratch);
        cells.clear();
        let film = self.slow.as_ref().is_some_and(|m| m.interphase.is_some());
        if film {
            cells.extend((0..np).map(|i| self.cell_side(y, i, &ctx)));
        }
        let side = |i: usize| cells.get(i).map_or(0.0, |c| c.total(&ctx));
        // Contacted surface of the particles still in contact (isolation behind flooded cracks,
        // contact loss).
        let a_eff = self.a_c * self.contacted_fraction(&ctx, y).0;

        // Electrolyte current (and salt flux) through every face; face 0 from the counter
        // electrode, face ne (current collector) carries nothing.
        let counter = self.counter_face(y).map_err(EvalError::from)?;
        let i_app = y[l.i_app];
        let mut ie_left = counter.i_e;
        let mut n_left = match &self.electrolyte {
            ElectrolyteCoefficients::Binary(b) => -b.p * i_app,
            ElectrolyteCoefficients::SingleIon { .. } => 0.0,
        };
        for m in 0..ne {
            let (ie_right, n_right) = if m + 1 < ne {
                let face = self.face_flux(y, m + 1);
                (face.i_e, face.n)
            } else {
                (0.0, 0.0)
            };
            let (dx, j_tot) = if m < ns {
                (self.dx_s, 0.0)
            } else {
                let i = m - ns;
                (self.dx_p, y[l.j(i)] + side(i) + self.c_dl * yp[l.dphi(i)])
            };
            let row = if m < ns {
                l.phi_e_sep(m)
            } else {
                l.dphi(m - ns)
            };
            // Rows are multiplied by the cell width: current densities [A/m²].
            r[row] = (ie_right - ie_left) - dx * a_eff * j_tot;
            if let ElectrolyteCoefficients::Binary(b) = &self.electrolyte {
                r[l.c_e(m)] =
                    dx * b.eps[m] * yp[l.c_e(m)] - (n_right - n_left) - dx * b.p * a_eff * j_tot;
            }
            ie_left = ie_right;
            n_left = n_right;
        }

        // Solid phase: (i_s,right − i_s,left) + Δx a j_tot = 0 [A/m²].
        let mut is_left = 0.0;
        for i in 0..np {
            let is_right = if i + 1 < np {
                -self.sigma_eff * (y[l.phi_s(i + 1)] - y[l.phi_s(i)]) / self.dx_p
            } else {
                i_app
            };
            let j_tot = y[l.j(i)] + side(i) + self.c_dl * yp[l.dphi(i)];
            r[l.phi_s(i)] = (is_right - is_left) + self.dx_p * a_eff * j_tot;
            is_left = is_right;
        }

        // Counter electrode: i_app = j_n + C_dl,n Δφ_n'.
        r[l.dphi_n] = i_app - counter.j_n - self.c_dl_n * yp[l.dphi_n];

        // Control and delivered charge.
        let voltage = self.voltage(y);
        r[l.i_app] = match self.control {
            Control::Current { i_a_m2 } => i_app - i_a_m2,
            Control::Voltage { v } => voltage - v,
            Control::SineCurrent {
                i0_a_m2,
                amplitude_a_m2,
                omega_rad_s,
            } => i_app - (i0_a_m2 + amplitude_a_m2 * (omega_rad_s * t).sin()),
        };
        r[l.q] = yp[l.q] - i_app / SECONDS_PER_HOUR;
        r[l.w] = yp[l.w] - i_app * voltage / SECONDS_PER_HOUR;
        // Grain boundaries of the separator: c_gb v' + v/r_gb = i_app.
        if let (Some(k), Some(gb)) = (l.grain_boundary, &self.grain_boundary) {
            r[k] = self.c_gb * yp[k] + y[k] / gb.resistance_ohm_m2 - i_app;
        }
        self.slow_residual(y, yp, &ctx, &cells, r);
        self.side_scratch = cells;

        if !all_finite(r) {
            return Err(NonPhysicalState::NotFinite.into());
        }
        Ok(())
    }
}
