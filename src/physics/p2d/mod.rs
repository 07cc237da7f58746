//! The pseudo-two-dimensional (Doyle–Fuller–Newman) half-cell model: a porous composite
//! cathode and a separator on a finite-volume mesh in x, spherical particles on a
//! finite-volume mesh in r, a planar counter electrode at x = 0.
//!
//! Governing equations (x from the counter electrode, current positive on discharge):
//!
//! - particles: `∂c_s/∂t = (1/r²) ∂/∂r (r² D_s ∂c_s/∂r)`, `−D_s ∂c_s/∂r |_R = j/F`;
//! - kinetics: `j = 2 j0 sinh(F η / 2RT)`, `η = φ_s − φ_e − U(c_s,surf/c_s,max) − R_film j`,
//!   `j0 = k c_e^½ c_s,surf^½ (c_s,max − c_s,surf)^½`;
//! - double layer: total interfacial current density `j_tot = j + C_dl ∂(φ_s − φ_e)/∂t`;
//! - solid: `∂i_s/∂x = −a j_tot`, `i_s = −σ_eff ∂φ_s/∂x`, `i_s = 0` at the separator,
//!   `i_s = I/A` at the current collector;
//! - electrolyte: `∂i_e/∂x = a j_tot`, `i_e = −κ_eff ∂φ_e/∂x + (2RT/F)(1 − t+) κ_eff χ ∂ln c_e/∂x`
//!   (χ the thermodynamic factor; for the single-ion conductor t+ = 1 and c_e is uniform, so
//!   the second term vanishes); binary salt balance
//!   `ε_e ∂c_e/∂t = ∂/∂x (D_eff ∂c_e/∂x) + (1 − t+) a j_tot / F`, with
//!   `−D_eff ∂c_e/∂x = (1 − t+) I/(A F)` at x = 0 and no flux at x = L;
//! - counter electrode: `I/A = 2 j0,n sinh(F η_n / 2RT) + C_dl,n ∂Δφ_n/∂t`,
//!   `η_n = φ_n − φ_e(0) − U_n`;
//! - cell voltage `V = φ_s(L) − φ_n`.
//!
//! Discretisation: cell-centred finite volumes, uniform in each domain; face conductances are
//! harmonic combinations at the separator/cathode interface; the particle surface
//! concentration comes from a quadratic reconstruction through the two outermost shell
//! averages and the known surface flux (see `local.rs`; at a 20/10/20 mesh it halves the
//! voltage error against the converged reference compared with a linear extrapolation).
//! The residual and the analytic Jacobian are in `residual.rs` and `jacobian.rs`.

mod degradation;
mod error;
mod impedance;
mod initial;
mod jacobian;
mod jacobian_reference;
pub mod layout;
mod limits;
mod local;
mod open_circuit;
mod remesh;
pub use remesh::StateMismatch;
mod residual;

use crate::constants::{FARADAY, GAS_CONSTANT, SECONDS_PER_HOUR};
use crate::numerics::assembly::{AssemblyTape, PatternRecorder};
use crate::numerics::dae::{DaeSystem, EvalError, SparsityPattern};
use crate::numerics::mesh::{MeshSettings, SphereMesh};
use crate::physics::anion_redox::MigrationLaw;
use crate::physics::material::MaterialFunction;
use crate::physics::parameters::{CathodeOcp, CellParameters, CounterExchangeCurrent, Electrolyte};

pub use degradation::DegradationState;
use degradation::SlowModel;
pub use error::{ModelError, NonPhysicalState};
pub use layout::{Layout, Slow};
pub use limits::{SurfaceCurrentLimits, SurfaceState};
use open_circuit::{MsmrModel, OcpModel};

/// What the cell is held at.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Control {
    /// Constant applied current density i_app \[A/m²\], positive on discharge.
    Current {
        /// i_app = I/A \[A/m²\].
        i_a_m2: f64,
    },
    /// Constant cell voltage \[V\]; the current is an unknown solved with the rest.
    Voltage {
        /// Held cell voltage V \[V\].
        v: f64,
    },
    /// A sinusoidal current density `i_app = i0 + a sin(ω t)` \[A/m²\] (the time-domain
    /// check of the impedance).
    SineCurrent {
        /// Mean i0 \[A/m²\].
        i0_a_m2: f64,
        /// Amplitude a \[A/m²\].
        amplitude_a_m2: f64,
        /// Angular frequency ω \[rad/s\].
        omega_rad_s: f64,
    },
}

/// Binary-electrolyte coefficients.
#[derive(Debug, Clone)]
pub(crate) struct BinaryCoefficients {
    /// Reference (initial) concentration c_e,0 \[mol/m³\].
    pub c0: f64,
    /// (1 − t+)/(F c_e,0) \[m³/(C)·…\]: converts a current density to a scaled salt flux.
    pub p: f64,
    /// 2 (1 − t+) R T / F \[V\].
    pub b_scale: f64,
    /// Thermodynamic factor χ(c_e).
    pub tdf: MaterialFunction,
    /// Conductivity κ(c_e) \[S/m\] times its Arrhenius factor.
    pub kappa: MaterialFunction,
    /// Arrhenius factor of κ.
    pub kappa_arr: f64,
    /// Diffusivity D_e(c_e) \[m²/s\].
    pub diff: MaterialFunction,
    /// Arrhenius factor of D_e.
    pub diff_arr: f64,
    /// Electrolyte volume fraction per electrolyte cell \[-\].
    pub eps: Vec<f64>,
}

/// Electrolyte model, discretised.
#[derive(Debug, Clone)]
pub(crate) enum ElectrolyteCoefficients {
    /// Single-ion conductor: fixed face conductances \[S/m²\].
    SingleIon {
        /// c_e used in j0 \[mol/m³\].
        c_e: f64,
    },
    /// Binary electrolyte.
    Binary(Box<BinaryCoefficients>),
}

/// The capacitances at the cell's interfaces, as the parameters give them, and whether they
/// charge in the time integration (see [`P2dModel::set_capacitive_charging`]).
#[derive(Debug, Clone, Copy)]
struct Capacitances {
    /// Cathode double layer \[F/m² of particle surface\].
    c_dl: f64,
    /// Counter-electrode double layer \[F/m² of cell area\].
    c_dl_n: f64,
    /// Separator grain boundaries \[F/m² of cell area\].
    c_gb: f64,
    /// Whether they are in the residual.
    charging: bool,
}

/// The discretised P2D half-cell, ready for the DAE solver.
#[derive(Debug, Clone)]
pub struct P2dModel {
    pub(crate) layout: Layout,
    /// Cathode cell width \[m\].
    pub(crate) dx_p: f64,
    /// Separator cell width \[m\].
    pub(crate) dx_s: f64,
    /// Particle mesh.
    pub(crate) sphere: SphereMesh,
    /// Per shell face k (k = 0..nr): `A_k · Arrhenius(D_s) / h` \[m\] (areas / 4π).
    pub(crate) shell_face_coef: Vec<f64>,
    /// (α, β) of the surface reconstruction, [`SphereMesh::surface_weights`].
    pub(crate) surface_weights: (f64, f64),
    /// Per shell k: `1 / V_k` \[1/m³\] (volumes / 4π).
    pub(crate) shell_inv_volume: Vec<f64>,
    /// Scratch for the residual: the face fluxes of one particle (nr + 1).
    pub(crate) shell_flux: Vec<f64>,
    /// Scratch for the residual: the side-reaction current of each cathode cell.
    pub(crate) side_scratch: Vec<degradation::CellSide>,
    /// The derivatives of the last iteration matrix that steer the surface potentials (MSMR
    /// only), per cathode cell: see [`jacobian_reference::JacobianReference`].
    pub(crate) jacobian_reference: Vec<jacobian_reference::JacobianReference>,
    /// Whether the last residual found the iteration matrix outdated
    /// ([`DaeSystem::jacobian_outdated`]).
    pub(crate) jacobian_outdated: bool,
    /// F/(R T) \[1/V\].
    pub(crate) f: f64,
    /// Specific interfacial area a \[1/m\]: the particles' whole surface.
    pub(crate) a: f64,
    /// Contacted specific surface a_c = χ a \[1/m\] ([`PositiveElectrode::contact_fraction`]):
    /// every interfacial current density (intercalation, double layer, side reactions) is per
    /// contacted area and flows through a_c.
    pub(crate) a_c: f64,
    /// Contact fraction χ \[-\]: the lithium of a current density j enters the particle as
    /// the surface flux χ j/F spread over the sphere.
    pub(crate) contact: f64,
    /// Effective electronic conductivity σ_eff \[S/m\].
    pub(crate) sigma_eff: f64,
    pub(crate) c_max: f64,
    pub(crate) theta0: f64,
    pub(crate) d_s: MaterialFunction,
    pub(crate) d_s_arr: f64,
    pub(crate) ocp: OcpModel,
    /// Degradation submodels and their electrode-averaged states, if any.
    pub(crate) slow: Option<SlowModel>,
    /// Temperature-corrected rate constant k \[A/m² (mol/m³)^−1.5\].
    pub(crate) k_p: f64,
    pub(crate) r_film: f64,
    pub(crate) c_dl: f64,
    /// Electrolyte face factors, faces 0..=ne: for the single-ion conductor the conductance
    /// κ_eff/Δx \[S/m²\]; for the binary electrolyte the geometric factor ε^b/Δx \[1/m\]
    /// (harmonic at the separator/cathode interface, half cell at x = 0, zero at x = L).
    pub(crate) face: Vec<f64>,
    pub(crate) electrolyte: ElectrolyteCoefficients,
    pub(crate) u_n: f64,
    /// Counter-electrode j0 prefactor \[A/m²\] (constant) or k c_Li^0.7 (c_e,0)^0.3 (Li metal).
    pub(crate) j0_n: f64,
    /// Whether j0,n depends on the local electrolyte concentration (Li metal, binary).
    pub(crate) j0_n_exponent: f64,
    pub(crate) c_dl_n: f64,
    /// The separator's grain boundaries (r_gb ∥ c_gb in series with the bulk), if modelled.
    pub(crate) grain_boundary: Option<crate::physics::parameters::GrainBoundary>,
    /// Grain-boundary capacitance in the residual \[F/m²\]: c_gb of [`Self::grain_boundary`]
    /// while the capacitances charge in time, 0 otherwise.
    pub(crate) c_gb: f64,
    /// The interface capacitances of the parameters (double layers and grain boundaries);
    /// `c_dl`, `c_dl_n` and `c_gb` above are the ones the residual uses.
    capacitances: Capacitances,
    pub(crate) area: f64,
    pub(crate) control: Control,
    /// Voltage at which the first root function changes sign, or `None` for no voltage event.
    pub(crate) voltage_event: Option<f64>,
    /// Current-density magnitude \[A/m²\] at which the second root function changes sign
    /// (end of a constant-voltage hold), or `None`.
    pub(crate) current_event: Option<f64>,
    tape: AssemblyTape,
}

impl P2dModel {
    /// Whether the double-layer and grain-boundary capacitances charge in the time integration
    /// (`true` after [`P2dModel::new`]). With `false` the residual leaves their currents out:
    /// the interface potentials and the grain-boundary voltage follow the current at once
    /// (quasi-static interfaces, PyBaMM's default too). Their time constants (µs for grain
    /// boundaries, ms–0.2 s for the interfaces of the paper cell) are far below a cycling
    /// step's, so cycling results do not change, while resolving them after every change of
    /// current costs about a third more solver steps (docs/impedance.md). The impedance
    /// always includes them. Call before handing the model to the solver: the algebraic and
    /// differential components change.
    pub fn set_capacitive_charging(&mut self, on: bool) {
        let c = &mut self.capacitances;
        c.charging = on;
        let scale = if on { 1.0 } else { 0.0 };
        self.c_dl = scale * c.c_dl;
        self.c_dl_n = scale * c.c_dl_n;
        self.c_gb = scale * c.c_gb;
    }

    /// See [`P2dModel::set_capacitive_charging`].
    pub fn capacitive_charging(&self) -> bool {
        self.capacitances.charging
    }

    /// Discretises the cell on `mesh`. The parameters must have passed
    /// [`CellParameters::validate`]; an invalid mesh is an error.
    pub fn new(p: &CellParameters, mesh: &MeshSettings) -> Result<Self, ModelError> {
        let (np, ns, nr) = (
            mesh.positive_x_cells,
            mesh.separator_x_cells,
            mesh.particle_r_cells,
        );
        if np == 0 || ns == 0 || nr < 2 {
            return Err(ModelError::Mesh {
                positive: np,
                separator: ns,
                particle: nr,
            });
        }
        let t = p.temperature_k;
        // The degradation laws at the cell's temperature (their Arrhenius factors applied).
        let anion_redox = p.anion_redox.map(|a| a.at_temperature(t));
        let interphase = p.interphase.map(|f| f.at_temperature(t));
        let pos = &p.positive;
        let sep = &p.separator;
        let binary = matches!(p.electrolyte, Electrolyte::Binary { .. });
        let msmr = matches!(pos.ocp, CathodeOcp::Msmr(_));
        let has_slow = p.anion_redox.is_some() || p.interphase.is_some() || p.cracking.is_some();
        let layout = Layout::new(
            np,
            ns,
            nr,
            binary,
            msmr,
            has_slow,
            sep.grain_boundary.is_some(),
            p.anion_redox
                .is_some_and(|a| matches!(a.migration, MigrationLaw::RearrangedOxygen(_))),
            p.cracking.is_some_and(|c| c.isolates()),
        );
        let dx_p = pos.thickness_m / np as f64;
        let dx_s = sep.thickness_m / ns as f64;
        let ne = ns + np;

        // Electrolyte weights per region: the efficiency factor (binary) or κ_eff (single ion).
        let eff_s = sep
            .electrolyte_transport
            .factor(sep.electrolyte_volume_fraction);
        let eff_p = pos
            .electrolyte_transport
            .factor(pos.electrolyte_volume_fraction);
        let (w_s, w_p, electrolyte) = match &p.electrolyte {
            Electrolyte::SingleIon {
                positive_conductivity_s_m,
                separator_conductivity_s_m,
                conductivity_arrhenius,
                separator_conductivity_arrhenius,
                nominal_concentration_mol_m3,
            } => {
                let arr = conductivity_arrhenius.factor(t);
                let arr_s = separator_conductivity_arrhenius.map_or(arr, |a| a.factor(t));
                (
                    separator_conductivity_s_m * arr_s * eff_s,
                    positive_conductivity_s_m * arr * eff_p,
                    ElectrolyteCoefficients::SingleIon {
                        c_e: *nominal_concentration_mol_m3,
                    },
                )
            }
            Electrolyte::Binary {
                initial_concentration_mol_m3,
                cation_transference_number,
                thermodynamic_factor,
                conductivity_s_m,
                conductivity_arrhenius,
                diffusivity_m2_s,
                diffusivity_arrhenius,
            } => {
                let c0 = *initial_concentration_mol_m3;
                let tp = *cation_transference_number;
                let eps = (0..ne)
                    .map(|m| {
                        if m < ns {
                            sep.electrolyte_volume_fraction
                        } else {
                            pos.electrolyte_volume_fraction
                        }
                    })
                    .collect();
                (
                    eff_s,
                    eff_p,
                    ElectrolyteCoefficients::Binary(Box::new(BinaryCoefficients {
                        c0,
                        p: (1.0 - tp) / (FARADAY * c0),
                        b_scale: 2.0 * (1.0 - tp) * GAS_CONSTANT * t / FARADAY,
                        tdf: thermodynamic_factor.clone(),
                        kappa: conductivity_s_m.clone(),
                        kappa_arr: conductivity_arrhenius.factor(t),
                        diff: diffusivity_m2_s.clone(),
                        diff_arr: diffusivity_arrhenius.factor(t),
                        eps,
                    })),
                )
            }
        };
        let mut face = vec![0.0; ne + 1];
        face[0] = w_s / (0.5 * dx_s);
        for (f, value) in face.iter_mut().enumerate().take(ne).skip(1) {
            *value = if f < ns {
                w_s / dx_s
            } else if f == ns {
                1.0 / (0.5 * dx_s / w_s + 0.5 * dx_p / w_p)
            } else {
                w_p / dx_p
            };
        }

        let (j0_n, j0_n_exponent) = match p.negative.exchange_current {
            CounterExchangeCurrent::Constant { j0_a_m2, arrhenius } => {
                (j0_a_m2 * arrhenius.factor(t), 0.0)
            }
            CounterExchangeCurrent::LithiumMetal {
                k,
                c_li_mol_m3,
                arrhenius,
            } => {
                let c_e0 = match &electrolyte {
                    ElectrolyteCoefficients::Binary(b) => b.c0,
                    ElectrolyteCoefficients::SingleIon { c_e } => *c_e,
                };
                let exponent = if binary { 0.3 } else { 0.0 };
                (
                    k * arrhenius.factor(t) * c_li_mol_m3.powf(0.7) * c_e0.powf(0.3),
                    exponent,
                )
            }
        };

        let sphere =
            SphereMesh::refined(pos.particle_radius_m, nr, mesh.particle_surface_refinement);
        let d_s_arr = pos.solid_diffusivity_arrhenius.factor(t);
        let shell_face_coef = sphere
            .face_area
            .iter()
            .zip(&sphere.face_distance)
            .map(|(a, d)| a * d_s_arr / d)
            .collect();
        let surface_weights = sphere.surface_weights();
        let shell_inv_volume = sphere.volume.iter().map(|v| 1.0 / v).collect();
        let mut model = P2dModel {
            layout,
            dx_p,
            dx_s,
            sphere,
            shell_face_coef,
            surface_weights,
            shell_inv_volume,
            shell_flux: vec![0.0; nr + 1],
            side_scratch: Vec::with_capacity(np),
            jacobian_reference: Vec::new(),
            jacobian_outdated: false,
            f: FARADAY / (GAS_CONSTANT * t),
            a: pos.specific_surface_area_m(),
            a_c: pos.contacted_surface_area_m(),
            contact: pos.contact_fraction,
            sigma_eff: pos.effective_electronic_conductivity_s_m(t),
            c_max: pos.max_concentration_mol_m3,
            theta0: pos.initial_concentration_mol_m3 / pos.max_concentration_mol_m3,
            d_s: pos.solid_diffusivity_m2_s.clone(),
            d_s_arr,
            ocp: match &pos.ocp {
                CathodeOcp::Function(u) => OcpModel::Function(u.clone()),
                CathodeOcp::Msmr(m) => OcpModel::Msmr(MsmrModel {
                    x_max: m.lithium_per_formula_max,
                    cationic: m.cationic.clone(),
                    x_cat: m.cationic_capacity(),
                    anion: anion_redox,
                }),
            },
            slow: has_slow.then(|| {
                let x_max = match &pos.ocp {
                    CathodeOcp::Msmr(m) => m.lithium_per_formula_max,
                    CathodeOcp::Function(_) => 1.0,
                };
                let sigma_e = interphase.map_or(0.0, |f| f.electronic_conductivity_s_m());
                SlowModel {
                    anion: anion_redox,
                    interphase,
                    sigma_e,
                    cracking: p.cracking,
                    q1: FARADAY * pos.max_concentration_mol_m3 / x_max
                        * pos.active_material_volume_fraction
                        * pos.thickness_m,
                    surface_per_area: pos.contacted_surface_area_m() * pos.thickness_m,
                    contact_fraction: pos.contact_fraction,
                    contact_release_1_s: anion_redox.map_or(0.0, |a| {
                        3.0 * a.oxygen_loss_contact_m_s / pos.particle_radius_m
                    }),
                    sealing_ratio: interphase.map_or(1.0, |f| f.covered_growth_ratio()),
                }
            }),
            k_p: pos.exchange_current.k * pos.exchange_current.arrhenius.factor(t),
            r_film: pos.film_resistance_ohm_m2,
            c_dl: pos.double_layer_capacitance_f_m2,
            face,
            electrolyte,
            u_n: p.negative.ocp_v,
            j0_n,
            j0_n_exponent,
            c_dl_n: p.negative.double_layer_capacitance_f_m2,
            grain_boundary: sep.grain_boundary,
            c_gb: sep.grain_boundary.map_or(0.0, |gb| gb.capacitance_f_m2),
            capacitances: Capacitances {
                c_dl: pos.double_layer_capacitance_f_m2,
                c_dl_n: p.negative.double_layer_capacitance_f_m2,
                c_gb: sep.grain_boundary.map_or(0.0, |gb| gb.capacitance_f_m2),
                charging: true,
            },
            area: p.area_m2,
            control: Control::Current { i_a_m2: 0.0 },
            voltage_event: None,
            current_event: None,
            tape: AssemblyTape::from_recording(0, PatternRecorder::default()),
        };
        let mut recorder = PatternRecorder::default();
        let y = model.rest_state();
        let yp = vec![0.0; layout.n];
        model
            .assemble_jacobian(1.0, &y, &yp, &mut recorder, None)
            .map_err(|reason| ModelError::RestState { reason })?;
        model.tape = AssemblyTape::from_recording(layout.n, recorder);
        Ok(model)
    }

    /// The state layout.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Sets the control (applied current). Call the solver's `reinit` afterwards.
    pub fn set_control(&mut self, control: Control) {
        self.control = control;
    }

    /// What the cell is held at.
    pub fn control(&self) -> Control {
        self.control
    }

    /// Sets the voltage at which the solver's first root function fires (`None` = no voltage
    /// event).
    pub fn set_voltage_event(&mut self, v: Option<f64>) {
        self.voltage_event = v;
    }

    /// Sets the current magnitude \[A\] at which the solver's second root function fires
    /// (`None` = no current event), for the end of constant-voltage holds.
    pub fn set_current_event(&mut self, current_a: Option<f64>) {
        self.current_event = current_a.map(|i| i / self.area);
    }

    /// Indices of the slow unknowns, what cycle jumping extrapolates, each with whether it is
    /// a degradation state (whose curvature limits a jump) rather than one of the delivered
    /// charge and energy counters or the particles' stoichiometries. The hysteresis state is
    /// not among them: it follows the current within a cycle and ends every cycle where the
    /// protocol leaves it.
    ///
    /// The stoichiometry of every particle shell at the end of a cycle drifts from cycle to
    /// cycle as the galleries' capacity fades (the end of discharge is reached with the
    /// particles a little less full each time): it is extrapolated with the degradation states,
    /// so that the lithium the particles hold after a jump matches the capacity the jumped
    /// cycles leave. Keeping the last resolved cycle's stoichiometries instead put more lithium
    /// at the surface than the faded galleries can hold, and the first charge after every jump
    /// started below the lower cut-off (docs/robustness.md, "Cycle jumping with holds").
    pub fn slow_indices(&self) -> Vec<(usize, bool)> {
        let l = &self.layout;
        let mut out = vec![(l.q, false), (l.w, false)];
        out.extend((0..l.np * l.nr).map(|k| (k, false)));
        if l.has_slow() {
            // The hysteresis and the rearranged oxygen follow each cycle's oxygen redox and
            // repeat from cycle to cycle: not extrapolated.
            let hysteresis = l.slow(Slow::Hysteresis);
            out.extend(
                (l.w + 1..l.n)
                    .filter(|&k| k != hysteresis && Some(k) != l.rearranged_oxygen)
                    .map(|k| (k, true)),
            );
        }
        out
    }

    /// The range each state of [`Self::slow_indices`] must stay in when extrapolated, in the
    /// same order: the particle stoichiometries inside the host's window of state `y`
    /// (`host_window`), every other state unbounded.
    pub fn extrapolation_ranges(&self, y: &[f64]) -> Vec<(f64, f64)> {
        let l = &self.layout;
        let window = self.host_window(y);
        self.slow_indices()
            .into_iter()
            .map(|(k, _)| {
                if k < l.np * l.nr {
                    window
                } else {
                    (f64::NEG_INFINITY, f64::INFINITY)
                }
            })
            .collect()
    }

    /// Electrode area A \[m²\].
    pub fn area_m2(&self) -> f64 {
        self.area
    }

    /// Per-unknown absolute tolerances for IDA's local error test and corrector convergence
    /// test, from the scalar `atol` of the (scaled) differential unknowns and potentials.
    ///
    /// The faradaic current densities j and the applied current density are tested like every
    /// other unknown (in A/m²) with MSMR galleries, and left out (a tolerance of 1e30) with an
    /// open-circuit potential given as a function of θ_surf:
    /// - with a function OCP, j inherits every kink of a tabulated potential, which would
    ///   collapse the step size (measured: up to 6× slower verification cells) while j is fixed
    ///   by its kinetics row from unknowns that are tested;
    /// - with MSMR, the surface potential U is a second algebraic unknown of each cell, and
    ///   the MSMR row depends on j through the surface reconstruction. A correction invisible to
    ///   the convergence test then lets a Newton iteration with a stale Jacobian "converge"
    ///   while the cell's j and U drift apart from its galleries: one cell drains its outermost
    ///   shell at twice its neighbours' current until the corrector fails at every step size
    ///   (docs/robustness.md, "The empty end of the window"). The kinetics are smooth there,
    ///   and the paper run takes 3 % more steps.
    pub fn absolute_tolerances(&self, atol: f64) -> Vec<f64> {
        let l = &self.layout;
        let mut tol = vec![atol; l.n];
        if matches!(self.ocp, OcpModel::Function(_)) {
            for i in 0..l.np {
                tol[l.j(i)] = 1e30;
            }
            tol[l.i_app] = 1e30;
        }
        tol
    }

    /// Cell voltage V = φ_s(L) − φ_n \[V\] of state `y`.
    pub fn voltage(&self, y: &[f64]) -> f64 {
        let l = &self.layout;
        let gb = l.grain_boundary.map_or(0.0, |k| y[k]);
        y[l.phi_s(l.np - 1)] - y[l.i_app] * 0.5 * self.dx_p / self.sigma_eff - gb
    }

    /// Cell current I \[A\] (positive on discharge) of state `y`.
    pub fn current_a(&self, y: &[f64]) -> f64 {
        y[self.layout.i_app] * self.area
    }

    /// Net charge delivered since the start \[A·h\] of state `y` (positive on discharge).
    pub fn discharge_capacity_ah(&self, y: &[f64]) -> f64 {
        y[self.layout.q] * self.area
    }

    /// Net energy delivered since the start \[W·h\] of state `y` (positive on discharge).
    pub fn discharge_energy_wh(&self, y: &[f64]) -> f64 {
        y[self.layout.w] * self.area
    }

    /// Lithium held by the cathode \[mol\] in state `y`: the volume integral of c_s over the
    /// particles still in contact (the active fraction f of the material,
    /// [`crate::physics::cracking`]) plus the lithium the isolated fragments took with them.
    pub fn cathode_lithium_mol(&self, y: &[f64]) -> f64 {
        let l = &self.layout;
        let eps_s = self.a * self.sphere.radius / 3.0;
        let fraction = self.active_fraction(&self.slow_context(y)).0;
        let isolated = l.isolated_lithium.map_or(0.0, |k| y[k]) * l.np as f64;
        let contacted = self.mean_particle_stoichiometry(y) * l.np as f64 * fraction;
        (contacted + isolated) * self.c_max * eps_s * self.area * self.dx_p
    }

    /// The particles' volume-averaged stoichiometry, averaged over the cathode cells ⟨θ̄⟩ \[-\].
    pub(crate) fn mean_particle_stoichiometry(&self, y: &[f64]) -> f64 {
        let l = &self.layout;
        let per_particle_volume = self.sphere.total_volume();
        let mut total = 0.0;
        for i in 0..l.np {
            for k in 0..l.nr {
                total += y[l.theta(i, k)] * self.sphere.volume[k];
            }
        }
        total / (per_particle_volume * l.np as f64)
    }

    /// Charge per unit of `q` \[C\]: converts the delivered-charge unknown to coulombs.
    pub fn coulombs_per_q(&self) -> f64 {
        self.area * SECONDS_PER_HOUR
    }
}

/// The largest change of a surface open-circuit potential in one bounded Newton iteration of
/// consistent initialisation \[V\]: a few gallery widths' worth of f = F/RT (ω/f ≈ 30–70 mV
/// at 60 °C), small enough that the galleries' slopes hold over the step.
const SURFACE_POTENTIAL_STEP_V: f64 = 0.05;

impl DaeSystem for P2dModel {
    fn len(&self) -> usize {
        self.layout.n
    }

    fn differential(&self) -> Vec<bool> {
        let l = &self.layout;
        let mut d = vec![false; l.n];
        for i in 0..l.np {
            for k in 0..l.nr {
                d[l.theta(i, k)] = true;
            }
            d[l.dphi(i)] = self.c_dl > 0.0;
        }
        if l.binary {
            for m in 0..l.ne() {
                d[l.c_e(m)] = true;
            }
        }
        d[l.dphi_n] = self.c_dl_n > 0.0;
        d[l.q] = true;
        d[l.w] = true;
        if l.has_slow() {
            d[l.w + 1..].fill(true);
        }
        // After the slow states' fill: the grain-boundary voltage sits between w and them.
        if let Some(k) = l.grain_boundary {
            d[k] = self.c_gb > 0.0;
        }
        d
    }

    fn residual(&mut self, _t: f64, y: &[f64], yp: &[f64], r: &mut [f64]) -> Result<(), EvalError> {
        self.evaluate_residual(_t, y, yp, r)
    }

    fn jacobian_pattern(&self) -> SparsityPattern {
        self.tape.pattern.clone()
    }

    /// With MSMR galleries only (see [`Self::tolerance_scale`]).
    fn scales_tolerances(&self) -> bool {
        matches!(self.ocp, OcpModel::Msmr(_))
    }

    /// The shells' stoichiometries are resolved relative to their distance from the nearer end
    /// of the host's window (the lithium no gallery releases, or the galleries full; 0 and 1
    /// for an OCP given as a function), every other unknown relative to its size. Near an end
    /// the quantity the physics responds to is the lithium (or vacancy) left there, not θ:
    /// at the top of a charge the surface holds 1e-4 to 1e-6 of the galleries' capacity, while a
    /// tolerance relative to θ ≈ 0.4 is worth 4e-7, so an accepted step could leave the
    /// outermost shell on either side of empty and the surface potential, which follows the
    /// logarithm of that lithium, tens of millivolts off (docs/robustness.md, "The empty end of
    /// the window").
    ///
    /// Used with MSMR galleries only ([`DaeSystem::scales_tolerances`]). An open-circuit
    /// potential given as a function of θ_surf is a bounded table whose end is not a logarithm
    /// of the lithium left, and there the scaling only tightened the error test near θ = 1: the
    /// 1000-cycle benchmark of the solid verification cell took 301 913 solver steps against
    /// 262 103 without it (+15 %, benches/README.md).
    ///
    /// Called after every step, so written as two straight loops over the shells (the first
    /// `np·nr` unknowns, [`Layout::theta`]) and the rest. With the error weights' loop in
    /// `numerics::ida` made branch-free too, the two took 1.1e8 instructions of the paper cell's
    /// formation and first 100 cycles (callgrind) against 3.0e8 as a loop over `theta(i, k)`, and
    /// 1.0e9 of the whole paper run against 2.7e9.
    fn tolerance_scale(&self, y: &[f64], scale: &mut [f64]) {
        let l = &self.layout;
        let shells = l.np * l.nr;
        debug_assert!(l.theta(0, 0) == 0 && l.theta(l.np - 1, l.nr - 1) == shells - 1);
        let (lo, hi) = self.host_window(y);
        let (y_shells, y_rest) = y.split_at(shells);
        let (s_shells, s_rest) = scale.split_at_mut(shells);
        for (s, theta) in s_shells.iter_mut().zip(y_shells) {
            *s = (theta - lo).abs().min((hi - theta).abs());
        }
        for (s, v) in s_rest.iter_mut().zip(y_rest) {
            *s = v.abs();
        }
    }

    fn jacobian(
        &mut self,
        t: f64,
        c_j: f64,
        y: &[f64],
        yp: &[f64],
        values: &mut [f64],
    ) -> Result<(), EvalError> {
        let _ = t;
        let mut writer = self.tape.writer(values);
        let mut reference = std::mem::take(&mut self.jacobian_reference);
        let assembled = self.assemble_jacobian(c_j, y, yp, &mut writer, Some(&mut reference));
        self.jacobian_reference = reference;
        self.jacobian_outdated = false;
        assembled.map_err(EvalError::from)?;
        debug_assert!(writer.is_complete());
        Ok(())
    }

    fn jacobian_outdated(&self) -> bool {
        self.jacobian_outdated
    }

    /// The surface open-circuit potentials (MSMR) move by at most
    /// [`SURFACE_POTENTIAL_STEP_V`] per bounded Newton iteration of consistent initialisation:
    /// they sit in the exponential tails of the galleries, where a correction taken from the
    /// starting state's slopes overshoots past every gallery (a surface with no lithium or no
    /// vacancy left).
    fn newton_step_bounds(&self, bound: &mut [f64]) {
        let l = &self.layout;
        if l.msmr {
            for i in 0..l.np {
                bound[l.u(i)] = SURFACE_POTENTIAL_STEP_V;
            }
        }
    }

    /// `y'` enters the residual linearly: θ', ε ĉ', q', w' and the slow states' derivatives
    /// with constant coefficients, the double layers' C_dl Δφ' and the grain boundaries'
    /// c_gb v' with the specific surface of the particles still in contact, which depends on
    /// the lithium throughput, a differential state.
    fn derivative_jacobian_fixed(&self) -> bool {
        true
    }

    fn num_roots(&self) -> usize {
        2
    }

    fn roots(&mut self, _t: f64, y: &[f64], _yp: &[f64], g: &mut [f64]) -> Result<(), EvalError> {
        g[0] = match self.voltage_event {
            Some(v) => self.voltage(y) - v,
            None => 1.0,
        };
        g[1] = match self.current_event {
            Some(i) => y[self.layout.i_app].abs() - i,
            None => 1.0,
        };
        Ok(())
    }
}

#[cfg(test)]
mod tests;
