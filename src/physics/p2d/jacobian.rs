//! The analytic iteration matrix `J = ∂F/∂y + c_j ∂F/∂y'` of the P2D residual, written as a
//! sequence of contributions whose (row, column) order never depends on the state, so that one
//! recording gives the sparsity pattern (see [`crate::numerics::assembly`]).

use super::degradation::{CellSide, SideTotalPartials};
use super::error::NonPhysicalState;
use super::jacobian_reference::JacobianReference;
use super::layout::Slow;
use super::open_circuit::OcpModel;
use super::{Control, ElectrolyteCoefficients, P2dModel};
use crate::constants::{FARADAY, SECONDS_PER_HOUR};
use crate::numerics::assembly::JacobianSink;

impl P2dModel {
    /// Adds `coeff · ∂φ_e(m)/∂y` to row `row`: φ_e is an unknown in the separator and
    /// φ_s − Δφ in the cathode.
    #[inline]
    fn add_phi_e<S: JacobianSink>(&self, sink: &mut S, row: usize, m: usize, coeff: f64) {
        let l = &self.layout;
        if m < l.ns {
            sink.add(row, l.phi_e_sep(m), coeff);
        } else {
            let i = m - l.ns;
            sink.add(row, l.phi_s(i), coeff);
            sink.add(row, l.dphi(i), -coeff);
        }
    }

    /// The values of one particle's block in the order of its entries: per shell k, `c_j` on
    /// the diagonal, then for each inner face the four partials of the face flux
    /// `G = A D_s((θ_k + θ_{k+1})/2) (θ_{k+1} − θ_k)/h` (rows k and k + 1, columns k and
    /// k + 1); at the surface shell `d_surface_dj`, the partial in the reaction current `j`.
    /// With a constant D_s they do not depend on θ (`dD_s/dθ = 0`).
    fn particle_block(&self, c_j: f64, theta: &[f64], d_surface_dj: f64, out: &mut Vec<f64>) {
        let sph = &self.sphere;
        let nr = theta.len();
        out.clear();
        for k in 0..nr - 1 {
            let (t0, t1) = (theta[k], theta[k + 1]);
            let (d, dd) = self.d_s.eval(0.5 * (t0 + t1));
            let a = self.shell_face_coef[k + 1];
            let dg_dt1 = a * (d + 0.5 * dd * (t1 - t0));
            let dg_dt0 = a * (-d + 0.5 * dd * (t1 - t0));
            out.extend_from_slice(&[
                c_j,
                -dg_dt0 / sph.volume[k],
                -dg_dt1 / sph.volume[k],
                dg_dt0 / sph.volume[k + 1],
                dg_dt1 / sph.volume[k + 1],
            ]);
        }
        out.extend_from_slice(&[c_j, d_surface_dj]);
    }

    pub(super) fn assemble_jacobian<S: JacobianSink>(
        &self,
        c_j: f64,
        y: &[f64],
        yp: &[f64],
        sink: &mut S,
        mut reference: Option<&mut Vec<JacobianReference>>,
    ) -> Result<(), NonPhysicalState> {
        let l = &self.layout;
        let (np, ns, nr) = (l.np, l.ns, l.nr);
        let ne = l.ne();
        let sph = &self.sphere;
        let flux_scale = 1.0 / (FARADAY * self.c_max);

        // Particles: the surface flux χ q j, q(Θ) the remaining particles' contact. Each
        // particle's block is written as one run of values (see `particle_block`), computed
        // once for all particles when D_s is constant.
        let (gain, d_gain) = self.contact_gain(y);
        let gains = self.contact_gains();
        let constant_d = self.d_s.is_constant();
        // The surface shell's flux per reaction current density, per unit volume.
        let surface = sph.face_area[nr] * flux_scale * self.contact / sph.volume[nr - 1];
        let mut block = Vec::with_capacity(5 * nr);
        for i in 0..np {
            let theta = &y[l.theta(i, 0)..=l.theta(i, nr - 1)];
            if i == 0 || !constant_d {
                self.particle_block(c_j, theta, surface * gain, &mut block);
            }
            let entries = (0..nr - 1)
                .flat_map(|k| {
                    let (row, next) = (l.theta(i, k), l.theta(i, k + 1));
                    [
                        (row, row),
                        (row, row),
                        (row, next),
                        (next, row),
                        (next, next),
                    ]
                })
                .chain({
                    let last = l.theta(i, nr - 1);
                    [(last, last), (last, l.j(i))]
                });
            sink.add_run(entries, &block);
            if gains {
                sink.add(
                    l.theta(i, nr - 1),
                    l.slow(Slow::Throughput),
                    surface * y[l.j(i)] * d_gain,
                );
            }
        }

        // Kinetics and the MSMR rows.
        let ctx = self.slow_context(y);
        let film = self.slow.as_ref().is_some_and(|m| m.interphase.is_some());
        let anion = self.slow.as_ref().is_some_and(|m| m.anion.is_some());
        let anion_state = self.anion_state(y);
        let mut msmr_rows = Vec::with_capacity(if l.msmr { np } else { 0 });
        if let Some(r) = reference.as_deref_mut() {
            r.clear();
        }
        for i in 0..np {
            let kin = self.cell_kinetics(y, i, &ctx)?;
            if let (OcpModel::Msmr(msmr), Some((fill, ts))) = (&self.ocp, &kin.surface) {
                let row = Self::msmr_row(msmr, &anion_state, fill, ts, i)?;
                if let Some(r) = reference.as_deref_mut() {
                    r.push(JacobianReference::of(&row, &kin));
                }
                msmr_rows.push(row);
            }
            let row = l.j(i);
            match &kin.msmr_partials {
                None => {
                    sink.add(row, l.theta(i, nr - 2), kin.d_theta_prev);
                    sink.add(row, l.theta(i, nr - 1), kin.d_theta_last);
                }
                Some(p) => {
                    sink.add(row, l.u(i), p.d_u);
                    if anion {
                        self.add_anion(sink, row, [p.d_xa, p.d_h, p.d_xo, p.d_m]);
                    }
                }
            }
            sink.add(row, l.j(i), kin.d_j);
            sink.add(row, l.dphi(i), kin.d_dphi);
            if l.binary {
                sink.add(row, l.c_e(ns + i), kin.d_c_hat);
            }
            if film {
                sink.add(row, l.slow(Slow::Film), kin.d_film);
            }
            if film || gains {
                sink.add(row, l.slow(Slow::Throughput), kin.d_throughput);
            }
        }
        if l.msmr {
            for (i, m) in msmr_rows.iter().enumerate() {
                let row = l.u(i);
                sink.add(row, row, m.d_u);
                sink.add(row, l.theta(i, nr - 1), m.d_theta_last);
                sink.add(row, l.theta(i, nr - 2), m.d_theta_prev);
                sink.add(row, l.j(i), m.d_j);
                if gains {
                    sink.add(row, l.slow(Slow::Throughput), m.d_throughput);
                }
                if anion {
                    sink.add(row, l.slow(Slow::LatentAnionic), m.d_xl);
                    self.add_anion(sink, row, [m.d_xa, m.d_h, m.d_xo, m.d_m]);
                }
            }
        }
        // Specific surface of the particles still in contact and its derivative in Θ; the total
        // interfacial current density of each cell (for that derivative).
        let cracks = self.slow.as_ref().is_some_and(|m| m.cracking.is_some());
        let (fraction, df) = self.contacted_fraction(&ctx, y);
        let a_eff = self.a_c * fraction;
        // Side-reaction currents per cell, evaluated once (none without an interphase model),
        // and their partials.
        let cells: Vec<CellSide> = if film {
            (0..np).map(|i| self.cell_side(y, i, &ctx)).collect()
        } else {
            Vec::new()
        };
        let side: Vec<SideTotalPartials> =
            cells.iter().map(|c| Self::side_partials(c, &ctx)).collect();
        let j_tot = |i: usize| {
            let side = cells.get(i).map_or(0.0, |c| c.total(&ctx));
            y[l.j(i)] + side + self.c_dl * yp[l.dphi(i)]
        };

        // Electrolyte charge (and salt) balances.
        let counter = self.counter_face(y)?;
        let binary = match &self.electrolyte {
            ElectrolyteCoefficients::Binary(b) => Some(b),
            ElectrolyteCoefficients::SingleIon { .. } => None,
        };
        for m in 0..ne {
            let dx = if m < ns { self.dx_s } else { self.dx_p };
            let row = if m < ns {
                l.phi_e_sep(m)
            } else {
                l.dphi(m - ns)
            };
            let salt_row = binary.map(|_| l.c_e(m));
            // Left face.
            if m == 0 {
                sink.add(row, l.phi_e_sep(0), -counter.di_dphi);
                sink.add(row, l.dphi_n, -counter.di_dphi);
                if let (Some(b), Some(srow)) = (binary, salt_row) {
                    sink.add(row, l.c_e(0), -counter.di_dc0);
                    sink.add(row, l.i_app, -counter.di_dapp);
                    sink.add(srow, l.i_app, -b.p);
                }
            } else {
                let face = self.face_flux(y, m);
                self.add_phi_e(sink, row, m - 1, -face.di_dphi_left);
                self.add_phi_e(sink, row, m, face.di_dphi_left);
                if let Some(srow) = salt_row {
                    sink.add(row, l.c_e(m - 1), -face.di_dc_left);
                    sink.add(row, l.c_e(m), -face.di_dc_right);
                    sink.add(srow, l.c_e(m - 1), face.dn_dc_left);
                    sink.add(srow, l.c_e(m), face.dn_dc_right);
                }
            }
            // Right face.
            if m + 1 < ne {
                let face = self.face_flux(y, m + 1);
                self.add_phi_e(sink, row, m, face.di_dphi_left);
                self.add_phi_e(sink, row, m + 1, -face.di_dphi_left);
                if let Some(srow) = salt_row {
                    sink.add(row, l.c_e(m), face.di_dc_left);
                    sink.add(row, l.c_e(m + 1), face.di_dc_right);
                    sink.add(srow, l.c_e(m), -face.dn_dc_left);
                    sink.add(srow, l.c_e(m + 1), -face.dn_dc_right);
                }
            }
            // Interfacial source in the cathode.
            if m >= ns {
                let i = m - ns;
                sink.add(row, l.j(i), -dx * a_eff);
                sink.add(row, l.dphi(i), -dx * a_eff * self.c_dl * c_j);
                if let Some(p) = side.get(i) {
                    self.add_side(sink, row, i, p, -dx * a_eff);
                }
                if cracks {
                    sink.add(
                        row,
                        l.slow(Slow::Throughput),
                        -dx * self.a_c * df * j_tot(i),
                    );
                }
                if let (Some(b), Some(srow)) = (binary, salt_row) {
                    sink.add(srow, l.j(i), -dx * b.p * a_eff);
                    sink.add(srow, l.dphi(i), -dx * b.p * a_eff * self.c_dl * c_j);
                    if let Some(p) = side.get(i) {
                        self.add_side(sink, srow, i, p, -dx * b.p * a_eff);
                    }
                    if cracks {
                        sink.add(
                            srow,
                            l.slow(Slow::Throughput),
                            -dx * b.p * self.a_c * df * j_tot(i),
                        );
                    }
                }
            }
            if let (Some(b), Some(srow)) = (binary, salt_row) {
                sink.add(srow, srow, dx * b.eps[m] * c_j);
            }
        }

        // Solid phase.
        let s = self.sigma_eff / self.dx_p;
        for i in 0..np {
            let row = l.phi_s(i);
            if i + 1 < np {
                sink.add(row, l.phi_s(i), s);
                sink.add(row, l.phi_s(i + 1), -s);
            } else {
                sink.add(row, l.i_app, 1.0);
            }
            if i > 0 {
                sink.add(row, l.phi_s(i), s);
                sink.add(row, l.phi_s(i - 1), -s);
            }
            sink.add(row, l.j(i), self.dx_p * a_eff);
            sink.add(row, l.dphi(i), self.dx_p * a_eff * self.c_dl * c_j);
            if let Some(p) = side.get(i) {
                self.add_side(sink, row, i, p, self.dx_p * a_eff);
            }
            if cracks {
                sink.add(
                    row,
                    l.slow(Slow::Throughput),
                    self.dx_p * self.a_c * df * j_tot(i),
                );
            }
        }

        // Counter electrode.
        let row = l.dphi_n;
        sink.add(row, l.i_app, 1.0 - counter.dj_n_dapp);
        sink.add(row, l.dphi_n, -counter.dj_n_ddphi - self.c_dl_n * c_j);
        if l.binary {
            sink.add(row, l.c_e(0), -counter.dj_n_dc0);
        }

        // Control, delivered charge and energy. V = φ_s,last − i_app Δx/(2σ_eff); the control
        // row has the same two entries for either control (the pattern is fixed).
        let dv_dapp = -0.5 * self.dx_p / self.sigma_eff;
        let (c_phi, c_app) = match self.control {
            Control::Current { .. } | Control::SineCurrent { .. } => (0.0, 1.0),
            Control::Voltage { .. } => (1.0, dv_dapp),
        };
        sink.add(l.i_app, l.phi_s(np - 1), c_phi);
        sink.add(l.i_app, l.i_app, c_app);
        sink.add(l.q, l.q, c_j);
        sink.add(l.q, l.i_app, -1.0 / SECONDS_PER_HOUR);
        let i_app = y[l.i_app];
        let voltage = self.voltage(y);
        sink.add(l.w, l.w, c_j);
        sink.add(l.w, l.phi_s(np - 1), -i_app / SECONDS_PER_HOUR);
        sink.add(
            l.w,
            l.i_app,
            -(voltage + i_app * dv_dapp) / SECONDS_PER_HOUR,
        );
        if let (Some(k), Some(gb)) = (l.grain_boundary, &self.grain_boundary) {
            sink.add(k, k, self.c_gb * c_j + 1.0 / gb.resistance_ohm_m2);
            sink.add(k, l.i_app, -1.0);
            // V = … − v_gb: the voltage control row and the energy row.
            let dv = match self.control {
                Control::Voltage { .. } => -1.0,
                _ => 0.0,
            };
            sink.add(l.i_app, k, dv);
            sink.add(l.w, k, i_app / SECONDS_PER_HOUR);
        }
        self.slow_jacobian(c_j, y, &ctx, &cells, sink);
        Ok(())
    }

    /// Adds the partials of row `row` in the anion-redox states that shape the open-circuit
    /// potential and the exchange current: `d` = ∂/∂(X_a, h, X_O, M).
    #[inline]
    fn add_anion<S: JacobianSink>(&self, sink: &mut S, row: usize, d: [f64; 4]) {
        let l = &self.layout;
        for (s, v) in [
            Slow::ActiveAnionic,
            Slow::Hysteresis,
            Slow::OxygenLost,
            Slow::Migration,
        ]
        .into_iter()
        .zip(d)
        {
            sink.add(row, l.slow(s), v);
        }
    }

    /// Adds `coeff · ∂j_side,i/∂y` (the cell's side-reaction current) to row `row`.
    #[inline]
    fn add_side<S: JacobianSink>(
        &self,
        sink: &mut S,
        row: usize,
        i: usize,
        p: &SideTotalPartials,
        coeff: f64,
    ) {
        let l = &self.layout;
        sink.add(row, l.dphi(i), coeff * p.d_dphi);
        sink.add(row, l.slow(Slow::Film), coeff * p.d_film);
        sink.add(row, l.slow(Slow::CrackFilm), coeff * p.d_crack_film);
        sink.add(row, l.slow(Slow::Throughput), coeff * p.d_throughput);
    }
}
