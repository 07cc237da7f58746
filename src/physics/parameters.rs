//! The validated parameters of a half-cell: porous composite cathode (the working, "positive"
//! electrode), separator, electrolyte and planar counter electrode. SI units throughout; every
//! field name carries its unit.
//!
//! These are the types the simulation runs on. They are produced from scenario and parameter
//! files by [`crate::scenario`], which validates them first; the model may assume the checks
//! listed in [`CellParameters::validate`] hold.

use super::anion_redox::AnionRedox;
use super::cracking::Cracking;
use super::interphase::Interphase;
use super::material::{Arrhenius, MaterialFunction};
use super::msmr::Gallery;
use super::percolation::CarbonNetwork;
use crate::range::{self, Range};

/// Open-circuit potential of the cathode's active material.
#[derive(Debug, Clone, PartialEq)]
pub enum CathodeOcp {
    /// U(θ) \[V vs Li/Li+\] as a function of the stoichiometry θ = c_s/c_s,max.
    Function(MaterialFunction),
    /// Multi-species, multi-reaction galleries (see [`crate::physics::msmr`]); with the
    /// anion-redox submodel an anionic gallery of variable capacity joins them.
    Msmr(MsmrOcp),
}

/// MSMR description of the cathode host.
#[derive(Debug, Clone, PartialEq)]
pub struct MsmrOcp {
    /// Lithium per formula unit at c_s,max \[-\] (Li2RuO3: 2). Accepted range: 1e-3 to 100.
    pub lithium_per_formula_max: f64,
    /// Cationic (transition-metal redox) galleries of fixed capacity.
    pub cationic: Vec<Gallery>,
}

impl MsmrOcp {
    /// Summed capacity of the cationic galleries \[Li/f.u.\].
    pub fn cationic_capacity(&self) -> f64 {
        self.cationic.iter().map(|g| g.capacity).sum()
    }
}

/// How an effective transport property of a porous phase follows from its volume fraction ε.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TransportEfficiency {
    /// Bruggeman relation: `P_eff = P · ε^b` (b = 1.5 for random spheres).
    Bruggeman {
        /// Bruggeman exponent b \[-\]. Accepted range: 0 to 10.
        exponent: f64,
    },
    /// Tortuosity factor: `P_eff = P · ε / τ`.
    Tortuosity {
        /// Tortuosity factor τ ≥ 1 \[-\]. Accepted range: 1 to 1000.
        tortuosity: f64,
    },
}

impl TransportEfficiency {
    /// The factor `P_eff / P` for a phase of volume fraction `eps` \[-\].
    pub fn factor(&self, eps: f64) -> f64 {
        match *self {
            TransportEfficiency::Bruggeman { exponent } => eps.powf(exponent),
            TransportEfficiency::Tortuosity { tortuosity } => eps / tortuosity,
        }
    }
}

/// Exchange-current density at the cathode particle surface,
/// `j0 = k · (c_e/c_e,ref)^… ` in the symmetric mass-action form used by PyBaMM/DFN:
/// `j0 = k · c_e^0.5 · c_s^0.5 · (c_s,max − c_s)^0.5` \[A/m²\], concentrations in mol/m³.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CathodeExchangeCurrent {
    /// Rate constant k \[A/m² · (mol/m³)^−1.5\] at the reference temperature.
    /// Accepted range: 1e-15 to 1.
    pub k: f64,
    /// Temperature dependence of k.
    pub arrhenius: Arrhenius,
}

/// Exchange-current density at the planar counter electrode.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CounterExchangeCurrent {
    /// A constant j0 \[A/m²\] (for example a Li-In alloy with a single-ion conductor).
    Constant {
        /// j0 \[A/m²\] at the reference temperature. Accepted range: 1e-10 to 1e6 A/m².
        j0_a_m2: f64,
        /// Temperature dependence.
        arrhenius: Arrhenius,
    },
    /// Lithium metal against a binary electrolyte: `j0 = k · c_Li^0.7 · c_e^0.3` \[A/m²\]
    /// (the form of Xu et al. 2019 as implemented in PyBaMM).
    LithiumMetal {
        /// Rate constant k \[A/m² · (mol/m³)^−1\]. Accepted range: 1e-15 to 100.
        k: f64,
        /// Molar concentration of lithium in the metal c_Li \[mol/m³\].
        /// Accepted range: 1 to 1e6 mol/m³.
        c_li_mol_m3: f64,
        /// Temperature dependence.
        arrhenius: Arrhenius,
    },
}

/// The porous composite cathode.
#[derive(Debug, Clone, PartialEq)]
pub struct PositiveElectrode {
    /// Thickness L_p \[m\]. Accepted range: 1e-7 to 1e-2 m.
    pub thickness_m: f64,
    /// Volume fraction of active material ε_s \[-\]. Accepted range: (0, 1].
    pub active_material_volume_fraction: f64,
    /// Volume fraction of the electrolyte phase ε_e \[-\] (the solid electrolyte in a composite).
    /// Accepted range: (0, 1], with ε_s at most 1 in all.
    pub electrolyte_volume_fraction: f64,
    /// Effective-property relation for ionic transport in the electrolyte phase.
    pub electrolyte_transport: TransportEfficiency,
    /// Effective-property relation for electronic conduction: applied to the whole solid
    /// fraction (1 − ε_e) without a carbon network, to the active fraction ε_s with one.
    pub electronic_transport: TransportEfficiency,
    /// Bulk electronic conductivity σ \[S/m\]: of the whole solid (carbon and active lumped)
    /// without a carbon network; of the active oxide alone with one.
    /// Accepted range: 1e-10 to 1e8 S/m.
    pub electronic_conductivity_s_m: f64,
    /// Temperature dependence of σ.
    pub electronic_conductivity_arrhenius: Arrhenius,
    /// The conductive carbon as a network of its own, conducting by percolation in parallel
    /// with the oxide ([`crate::physics::percolation`]); `None`: the solid conducts as one.
    pub carbon_network: Option<CarbonNetwork>,
    /// Active particle radius R_p \[m\]. Accepted range: 1e-9 to 1e-3 m.
    pub particle_radius_m: f64,
    /// Solid diffusivity D_s(θ) \[m²/s\] as a function of stoichiometry θ = c_s/c_s,max.
    /// Accepted range: 1e-25 to 1e-5 m²/s as a constant; a table or polynomial 0 to 1e-5 m²/s for θ
    /// in [0, 1].
    pub solid_diffusivity_m2_s: MaterialFunction,
    /// Temperature dependence of D_s.
    pub solid_diffusivity_arrhenius: Arrhenius,
    /// Maximum lithium concentration in the active material c_s,max \[mol/m³\].
    /// Accepted range: 1 to 1e6 mol/m³.
    pub max_concentration_mol_m3: f64,
    /// Initial, uniform lithium concentration c_s,0 \[mol/m³\]. Accepted range: (0, c_s,max).
    pub initial_concentration_mol_m3: f64,
    /// Open-circuit potential \[V vs Li/Li+\].
    /// Accepted range: −5 to 10 V for θ in [0, 1] (a function).
    pub ocp: CathodeOcp,
    /// Exchange-current density.
    pub exchange_current: CathodeExchangeCurrent,
    /// Interphase (film) resistance in series with the charge transfer R_film \[Ω·m²\].
    /// Accepted range: 0 to 100 Ω·m².
    pub film_resistance_ohm_m2: f64,
    /// Double-layer capacitance of the particle/electrolyte interface C_dl \[F/m²\] of contacted
    /// surface; 0 = off. Accepted range: 0 to 1e4 F/m².
    pub double_layer_capacitance_f_m2: f64,
    /// Contact fraction χ \[-\]: the part of the particle surface in ionic contact with the
    /// electrolyte (`contact_fraction`; absent: 1, a wetted surface). A liquid wets the whole
    /// surface; a cold-pressed solid electrolyte touches the oxide in patches (Koerver et al.,
    /// Chem. Mater. 29 (2017) 5574; Shi et al., J. Mater. Chem. A 8 (2020) 17399, FIB-SEM).
    ///
    /// It is the one quantity behind every interfacial term: the intercalation, double-layer
    /// and side currents flow through the contacted surface a_c = χ a only, so the exchange
    /// current, the double-layer capacitance, the film and native-layer resistances and the
    /// side-reaction rates are all per contacted area, and the lithium enters each particle
    /// through it (spread over the sphere: the particle model is spherically symmetric, the
    /// contact patches are not resolved). The release of surface oxygen by contact reaches
    /// only the contacted surface. Stack pressure or the particles' volume change act on the
    /// cell through χ alone. Accepted range: 1e-4 to 1.
    pub contact_fraction: f64,
    /// Density of the active material ρ_active \[kg/m³\], if known. Optional: it does not
    /// enter the model; it gives the active mass ε_s · A · L_p · ρ_active used for currents and
    /// capacities per gram of active material (`200 mA/g`, mAh/g).
    /// Accepted range: 100 to 3e4 kg/m³.
    pub active_material_density_kg_m3: Option<f64>,
}

impl PositiveElectrode {
    /// Effective electronic conductivity of the electrode σ_eff \[S/m\] at temperature `t_k`
    /// \[K\]: `σ τ(1 − ε_e)` without a carbon network; with one, the network's percolation
    /// conductivity in parallel with the oxide's own, `σ_C,eff + σ_ox τ(ε_s)`
    /// ([`crate::physics::percolation`]). The Arrhenius law applies to σ (the oxide's own with
    /// a network: carbon's conduction is nearly athermal).
    pub fn effective_electronic_conductivity_s_m(&self, t_k: f64) -> f64 {
        let sigma =
            self.electronic_conductivity_s_m * self.electronic_conductivity_arrhenius.factor(t_k);
        match &self.carbon_network {
            None => {
                sigma
                    * self
                        .electronic_transport
                        .factor(1.0 - self.electrolyte_volume_fraction)
            }
            Some(c) => {
                c.conductivity_s_m()
                    + sigma
                        * self
                            .electronic_transport
                            .factor(self.active_material_volume_fraction)
            }
        }
    }

    /// Specific interfacial area `a = 3 ε_s / R_p` \[1/m\].
    pub fn specific_surface_area_m(&self) -> f64 {
        3.0 * self.active_material_volume_fraction / self.particle_radius_m
    }

    /// Contacted specific surface `a_c = χ a` \[1/m\]: the particle surface per electrode
    /// volume through which the interfacial currents flow.
    pub fn contacted_surface_area_m(&self) -> f64 {
        self.contact_fraction * self.specific_surface_area_m()
    }
}

/// The separator.
#[derive(Debug, Clone, PartialEq)]
pub struct Separator {
    /// Thickness L_s \[m\]. Accepted range: 1e-7 to 1e-2 m.
    pub thickness_m: f64,
    /// Volume fraction of the electrolyte ε_e \[-\] (1 for a dense solid-electrolyte pellet).
    /// Accepted range: (0, 1].
    pub electrolyte_volume_fraction: f64,
    /// Effective-property relation for ionic transport.
    pub electrolyte_transport: TransportEfficiency,
    /// Grain boundaries of a pressed solid-electrolyte pellet, if modelled.
    pub grain_boundary: Option<GrainBoundary>,
}

/// The grain boundaries of a pressed solid-electrolyte separator: a resistance in parallel with
/// a capacitance, in series with the bulk (the arc at 0.1–1 MHz in the impedance of a cold-pressed
/// sulfide pellet; Wu 2022's R_SE,gb). Per unit electrode area.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GrainBoundary {
    /// Resistance r_gb \[Ω m²\]. Accepted range: (0, 100] Ω m².
    pub resistance_ohm_m2: f64,
    /// Capacitance c_gb \[F/m²\]. Accepted range: (0, 1e4] F/m².
    pub capacitance_f_m2: f64,
}

/// The electrolyte: single-ion solid conductor or binary liquid.
// One value per run: the size difference between the variants costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Electrolyte {
    /// Single-ion conductor (transference number 1): the concentration stays uniform and the
    /// phase conducts by Ohm's law.
    SingleIon {
        /// Bulk ionic conductivity of the electrolyte in the cathode composite κ_p \[S/m\]
        /// (before the porous-medium correction). Accepted range: 1e-10 to 1000 S/m.
        positive_conductivity_s_m: f64,
        /// Bulk ionic conductivity of the separator's electrolyte κ_s \[S/m\].
        /// Accepted range: 1e-10 to 1000 S/m.
        separator_conductivity_s_m: f64,
        /// Temperature dependence of the cathode's electrolyte conductivity (and of the
        /// separator's, unless `separator_conductivity_arrhenius` is given).
        conductivity_arrhenius: Arrhenius,
        /// Temperature dependence of the separator's conductivity when its electrolyte differs
        /// from the cathode's (Wu 2022: Li7P3S11 separator, Li6PS5Cl in the composite).
        separator_conductivity_arrhenius: Option<Arrhenius>,
        /// Concentration used in the exchange-current expression c_e \[mol/m³\].
        /// Accepted range: 1e-3 to 1e5 mol/m³.
        nominal_concentration_mol_m3: f64,
    },
    /// Binary electrolyte by concentrated-solution theory.
    Binary {
        /// Initial, uniform salt concentration c_e,0 \[mol/m³\]. Accepted range: 1 to 1e4 mol/m³.
        initial_concentration_mol_m3: f64,
        /// Cation transference number t+ \[-\]. Accepted range: [0, 1).
        cation_transference_number: f64,
        /// Thermodynamic factor 1 + d ln f± / d ln c_e \[-\] as a function of c_e \[mol/m³\].
        /// Accepted range: 1e-3 to 100 for c_e in [0, 2 c_e,0].
        thermodynamic_factor: MaterialFunction,
        /// Ionic conductivity κ(c_e) \[S/m\], c_e in mol/m³.
        /// Accepted range: 1e-10 to 1000 S/m as a constant; a table or polynomial 0 to 1000 S/m for
        /// c_e in [0, 2 c_e,0].
        conductivity_s_m: MaterialFunction,
        /// Temperature dependence of κ.
        conductivity_arrhenius: Arrhenius,
        /// Salt diffusivity D_e(c_e) \[m²/s\], c_e in mol/m³.
        /// Accepted range: 1e-25 to 1e-5 m²/s as a constant; a table or polynomial 0 to 1e-5 m²/s
        /// for c_e in [0, 2 c_e,0].
        diffusivity_m2_s: MaterialFunction,
        /// Temperature dependence of D_e.
        diffusivity_arrhenius: Arrhenius,
    },
}

/// The planar counter electrode (Li metal or Li-In alloy) at x = 0.
#[derive(Debug, Clone, PartialEq)]
pub struct CounterElectrode {
    /// Open-circuit potential U_n \[V vs Li/Li+\] (0 for Li, 0.62 for Li-In).
    /// Accepted range: −5 to 10 V.
    pub ocp_v: f64,
    /// Exchange-current density.
    pub exchange_current: CounterExchangeCurrent,
    /// Double-layer capacitance C_dl,n \[F/m²\]; 0 = off. Accepted range: 0 to 1e4 F/m².
    pub double_layer_capacitance_f_m2: f64,
}

/// Everything the half-cell model needs.
#[derive(Debug, Clone, PartialEq)]
pub struct CellParameters {
    /// Name of the parameter set (for output and messages).
    pub name: String,
    /// Citation or description of where the values come from.
    pub source: String,
    /// Cell temperature T \[K\] (isothermal). Accepted range: 200 to 500 K.
    pub temperature_k: f64,
    /// Electrode area A \[m²\]. Accepted range: 1e-8 to 100 m².
    pub area_m2: f64,
    /// Nominal capacity used for C-rates \[A·h\]. Accepted range: 1e-9 to 1e4 A·h.
    pub nominal_capacity_ah: f64,
    /// When given, C-rates refer to the mass of active material instead of the nominal
    /// capacity: 1C is this current per mass \[A/kg = mA/g\] (Wu 2022 define 1C = 200 mA/g of
    /// Li2RuO3). Needs `positive.active_material_density_kg_m3`. Accepted range: 1e-3 to 1e5 mA/g.
    pub one_c_specific_current_a_kg: Option<f64>,
    /// Lower voltage cut-off of the cell \[V\] (cell voltage, against the counter electrode).
    /// Accepted range: (0, 10] V, below the upper cut-off.
    pub lower_cutoff_v: f64,
    /// Upper voltage cut-off of the cell \[V\]. Accepted range: (0, 10] V.
    pub upper_cutoff_v: f64,
    /// Composite cathode.
    pub positive: PositiveElectrode,
    /// Separator.
    pub separator: Separator,
    /// Electrolyte.
    pub electrolyte: Electrolyte,
    /// Counter electrode.
    pub negative: CounterElectrode,
    /// Anion-redox submodel (needs an MSMR open-circuit potential); `None` = off.
    pub anion_redox: Option<AnionRedox>,
    /// Interphase-growth submodel; `None` = off (a constant film resistance only).
    pub interphase: Option<Interphase>,
    /// Particle-cracking submodel; `None` = off.
    pub cracking: Option<Cracking>,
}

/// A parameter that failed a physical check: which one (dotted path) and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ParameterError {
    /// Dotted parameter path, for example `positive.thickness_m`.
    pub path: String,
    /// What was expected.
    pub message: String,
}

impl CellParameters {
    /// Mass of active material in the cathode, ε_s · A · L_p · ρ_active \[kg\], if the
    /// active-material density is given.
    pub fn active_mass_kg(&self) -> Option<f64> {
        let p = &self.positive;
        p.active_material_density_kg_m3
            .map(|rho| p.active_material_volume_fraction * self.area_m2 * p.thickness_m * rho)
    }

    /// The charge of the cathode's host fully lithiated, `c_max ε_s L A F` \[A·h\]: an upper
    /// bound on the charge any state of the cell can deliver (every stoichiometry in [0, 1]).
    pub fn host_capacity_ah(&self) -> f64 {
        let p = &self.positive;
        p.max_concentration_mol_m3
            * p.active_material_volume_fraction
            * p.thickness_m
            * self.area_m2
            * crate::constants::FARADAY
            / crate::constants::SECONDS_PER_HOUR
    }

    /// The lithium the cathode can still take from its initial state,
    /// `(c_max − c_0) ε_s L A F` \[A·h\]: an upper bound on the net charge (discharges less
    /// charges) any protocol can draw from the cell, whatever its cut-offs.
    pub fn lithium_room_ah(&self) -> f64 {
        let p = &self.positive;
        self.host_capacity_ah()
            * (1.0 - p.initial_concentration_mol_m3 / p.max_concentration_mol_m3)
    }

    /// Capacity of the cationic MSMR galleries whose standard potential lies inside the
    /// cell's voltage window \[mA·h/g of active material\]: the cation-only capacity that the
    /// anionic capacity is measured against (C0 of `docs/wu2022_cell.md`, 164 mA·h/g for one
    /// Li per Li2RuO3).
    ///
    /// The window vs Li/Li+ is the cut-offs plus the counter electrode's potential,
    /// \[V_min + U_neg, V_max + U_neg\]; one Li per formula unit is F/(3.6 M) mA·h/g with the
    /// molar mass of the formula unit M = x_max ρ / c_s,max \[kg/mol\] (x_max Li per formula
    /// unit at c_s,max). `None` without MSMR galleries or without an active-material density.
    pub fn cationic_capacity_mah_g(&self) -> Option<f64> {
        let CathodeOcp::Msmr(m) = &self.positive.ocp else {
            return None;
        };
        let rho = self.positive.active_material_density_kg_m3?;
        let molar_mass_kg_mol =
            m.lithium_per_formula_max * rho / self.positive.max_concentration_mol_m3;
        let per_li = crate::constants::FARADAY / 3.6 / (molar_mass_kg_mol * 1e3);
        let window =
            self.lower_cutoff_v + self.negative.ocp_v..=self.upper_cutoff_v + self.negative.ocp_v;
        let li: f64 = m
            .cationic
            .iter()
            .filter(|g| window.contains(&g.standard_potential_v))
            .map(|g| g.capacity)
            .sum();
        Some(li * per_li)
    }

    /// Checks the open-circuit model and the degradation submodels that depend on it.
    fn validate_open_circuit(&self) -> Result<(), ParameterError> {
        let err = |path: String, message: String| Err(ParameterError { path, message });
        let msmr = match &self.positive.ocp {
            CathodeOcp::Function(f) => {
                if self.anion_redox.is_some() {
                    return err(
                        "anion_redox".into(),
                        "expected an MSMR open-circuit potential (`positive.msmr`): the anionic gallery is one of its galleries".into(),
                    );
                }
                check_function(
                    "positive.ocp_V",
                    f,
                    &range::POTENTIAL_V,
                    &range::POTENTIAL_V,
                    range::STOICHIOMETRY_DOMAIN,
                    "θ",
                )?;
                None
            }
            CathodeOcp::Msmr(m) => Some(m),
        };
        if let Some(m) = msmr {
            let x_max = m.lithium_per_formula_max;
            in_range(
                "positive.msmr.lithium_per_formula_max",
                &range::LITHIUM_PER_FORMULA,
                x_max,
            )?;
            if m.cationic.is_empty() {
                return err(
                    "positive.msmr.cationic".into(),
                    "expected at least one gallery".into(),
                );
            }
            for (k, g) in m.cationic.iter().enumerate() {
                let at = |key: &str| format!("positive.msmr.cationic[{k}].{key}");
                if !(g.capacity.is_finite() && g.capacity > 0.0 && g.capacity <= x_max) {
                    return err(
                        at("capacity"),
                        format!(
                            "expected a positive number of lithium per formula unit, at most lithium_per_formula_max = {x_max}, found {}",
                            range::shown(g.capacity)
                        ),
                    );
                }
                in_range(
                    &at("standard_potential_V"),
                    &range::POTENTIAL_V,
                    g.standard_potential_v,
                )?;
                in_range(&at("omega"), &range::GALLERY_OMEGA, g.omega)?;
            }
            let x_c = m.cationic_capacity();
            if x_c > x_max + 1e-12 {
                return err(
                    "positive.msmr.cationic".into(),
                    format!("expected galleries holding at most lithium_per_formula_max = {x_max} lithium per formula unit, found {x_c}"),
                );
            }
            let active_anionic = match &self.anion_redox {
                Some(a) => {
                    a.validate(x_c, x_max)
                        .map_err(|(key, message)| ParameterError {
                            path: format!("anion_redox.{key}"),
                            message,
                        })?;
                    arrhenius("anion_redox.kinetics", &a.kinetics_arrhenius)?;
                    a.initial_active_capacity
                }
                None => 0.0,
            };
            // Lithium no gallery releases: the host minus the accessible galleries.
            let x_fixed = x_max - x_c - active_anionic;
            let x0 = x_max * self.positive.initial_concentration_mol_m3
                / self.positive.max_concentration_mol_m3;
            if x0 <= x_fixed + 1e-9 {
                return err(
                    "positive.initial_concentration_mol_m3".into(),
                    format!("expected more than {:.6} lithium per formula unit (what the galleries cannot release), found {x0:.6}", x_fixed),
                );
            }
        }
        if let Some(i) = &self.interphase {
            i.validate().map_err(|(key, message)| ParameterError {
                path: format!("interphase.{key}"),
                message,
            })?;
            arrhenius("interphase.growth", &i.growth_arrhenius)?;
            arrhenius("interphase.conduction", &i.conduction_arrhenius)?;
        }
        if let Some(c) = &self.cracking {
            c.validate().map_err(|(key, message)| ParameterError {
                path: format!("cracking.{key}"),
                message,
            })?;
        }
        Ok(())
    }

    /// Checks the parameters: every value inside its accepted range ([`crate::range`]:
    /// lengths, conductivities, diffusivities, potentials, rates, the values of material
    /// functions over their argument's domain, …), volume fractions in (0, 1] that sum to at
    /// most 1, initial concentrations inside (0, c_max), cut-offs in order, and so on. NaN and
    /// ±∞ are in no range. The first violation is returned with the parameter's path.
    pub fn validate(&self) -> Result<(), ParameterError> {
        let err = |path: &str, message: String| {
            Err(ParameterError {
                path: path.to_string(),
                message,
            })
        };
        let fraction = |path: &str, v: f64| -> Result<(), ParameterError> {
            if range::VOLUME_FRACTION.contains(v) {
                Ok(())
            } else {
                err(
                    path,
                    format!(
                        "expected a volume fraction in (0, 1], found {}",
                        range::shown(v)
                    ),
                )
            }
        };
        let transport = |path: &str, t: &TransportEfficiency| -> Result<(), ParameterError> {
            match *t {
                TransportEfficiency::Bruggeman { exponent } => {
                    in_range(path, &range::BRUGGEMAN_EXPONENT, exponent).map_err(|e| {
                        ParameterError {
                            message: format!("Bruggeman exponent: {}", e.message),
                            ..e
                        }
                    })
                }
                TransportEfficiency::Tortuosity { tortuosity } => {
                    in_range(path, &range::TORTUOSITY, tortuosity).map_err(|e| ParameterError {
                        message: format!("tortuosity factor: {}", e.message),
                        ..e
                    })
                }
            }
        };
        in_range("temperature_k", &range::TEMPERATURE_K, self.temperature_k)?;
        in_range("area_m2", &range::AREA_M2, self.area_m2)?;
        in_range(
            "nominal_capacity_ah",
            &range::NOMINAL_CAPACITY_AH,
            self.nominal_capacity_ah,
        )?;
        if let Some(i) = self.one_c_specific_current_a_kg {
            in_range(
                "one_c_specific_current_a_kg",
                &range::ONE_C_SPECIFIC_CURRENT_MA_G,
                i,
            )?;
            if self.positive.active_material_density_kg_m3.is_none() {
                return err(
                    "one_c_specific_current_a_kg",
                    "expected `positive.active_material_density_kg_m3` too: a C-rate per gram needs the mass of active material".to_string(),
                );
            }
        }
        in_range("lower_cutoff_v", &range::CUTOFF_V, self.lower_cutoff_v)?;
        in_range("upper_cutoff_v", &range::CUTOFF_V, self.upper_cutoff_v)?;
        if self.lower_cutoff_v >= self.upper_cutoff_v {
            return err(
                "lower_cutoff_v",
                format!(
                    "expected the lower cut-off ({} V) below the upper cut-off ({} V)",
                    self.lower_cutoff_v, self.upper_cutoff_v
                ),
            );
        }
        let p = &self.positive;
        in_range("positive.thickness_m", &range::THICKNESS_M, p.thickness_m)?;
        fraction(
            "positive.active_material_volume_fraction",
            p.active_material_volume_fraction,
        )?;
        fraction(
            "positive.electrolyte_volume_fraction",
            p.electrolyte_volume_fraction,
        )?;
        let sum = p.active_material_volume_fraction + p.electrolyte_volume_fraction;
        if sum > 1.0 + 1e-12 {
            return err(
                "positive.electrolyte_volume_fraction",
                format!(
                    "expected active_material_volume_fraction + electrolyte_volume_fraction ≤ 1, found {sum}"
                ),
            );
        }
        transport("positive.electrolyte_transport", &p.electrolyte_transport)?;
        transport("positive.electronic_transport", &p.electronic_transport)?;
        in_range(
            "positive.electronic_conductivity_s_m",
            &range::ELECTRONIC_CONDUCTIVITY_S_M,
            p.electronic_conductivity_s_m,
        )?;
        arrhenius(
            "positive.electronic_conductivity",
            &p.electronic_conductivity_arrhenius,
        )?;
        if let Some(c) = &p.carbon_network {
            c.validate().map_err(|(key, message)| ParameterError {
                path: format!("positive.carbon_network.{key}"),
                message,
            })?;
            let sum = p.active_material_volume_fraction
                + p.electrolyte_volume_fraction
                + c.volume_fraction;
            if sum > 1.0 + 1e-12 {
                return err(
                    "positive.carbon_network.volume_fraction",
                    format!(
                        "expected active_material_volume_fraction + electrolyte_volume_fraction + carbon_network.volume_fraction ≤ 1, found {sum}"
                    ),
                );
            }
        }
        in_range(
            "positive.particle_radius_m",
            &range::PARTICLE_RADIUS_M,
            p.particle_radius_m,
        )?;
        in_range(
            "positive.max_concentration_mol_m3",
            &range::SOLID_CONCENTRATION_MOL_M3,
            p.max_concentration_mol_m3,
        )?;
        let c0 = p.initial_concentration_mol_m3;
        if !(c0.is_finite() && c0 > 0.0 && c0 < p.max_concentration_mol_m3) {
            return err(
                "positive.initial_concentration_mol_m3",
                format!(
                    "expected a value in (0, max_concentration_mol_m3 = {}), found {}",
                    p.max_concentration_mol_m3,
                    range::shown(c0)
                ),
            );
        }
        check_function(
            "positive.solid_diffusivity_m2_s",
            &p.solid_diffusivity_m2_s,
            &range::DIFFUSIVITY_M2_S,
            &range::DIFFUSIVITY_VALUES_M2_S,
            range::STOICHIOMETRY_DOMAIN,
            "θ",
        )?;
        arrhenius("positive.solid_diffusivity", &p.solid_diffusivity_arrhenius)?;
        in_range(
            "positive.exchange_current.k",
            &range::CATHODE_RATE_CONSTANT,
            p.exchange_current.k,
        )?;
        arrhenius("positive.exchange_current", &p.exchange_current.arrhenius)?;
        in_range(
            "positive.film_resistance_ohm_m2",
            &range::AREA_RESISTANCE_OHM_M2,
            p.film_resistance_ohm_m2,
        )?;
        in_range(
            "positive.double_layer_capacitance_f_m2",
            &range::CAPACITANCE_F_M2,
            p.double_layer_capacitance_f_m2,
        )?;
        in_range(
            "positive.contact_fraction",
            &range::CONTACT_FRACTION,
            p.contact_fraction,
        )?;
        if let Some(rho) = p.active_material_density_kg_m3 {
            in_range(
                "positive.active_material_density_kg_m3",
                &range::DENSITY_KG_M3,
                rho,
            )?;
        }
        self.validate_open_circuit()?;
        let s = &self.separator;
        in_range("separator.thickness_m", &range::THICKNESS_M, s.thickness_m)?;
        fraction(
            "separator.electrolyte_volume_fraction",
            s.electrolyte_volume_fraction,
        )?;
        transport("separator.electrolyte_transport", &s.electrolyte_transport)?;
        if let Some(gb) = &s.grain_boundary {
            in_range(
                "separator.grain_boundary_resistance_ohm_m2",
                &range::GRAIN_BOUNDARY_RESISTANCE_OHM_M2,
                gb.resistance_ohm_m2,
            )?;
            in_range(
                "separator.grain_boundary_capacitance_f_m2",
                &range::GRAIN_BOUNDARY_CAPACITANCE_F_M2,
                gb.capacitance_f_m2,
            )?;
        }
        match &self.electrolyte {
            Electrolyte::SingleIon {
                positive_conductivity_s_m,
                separator_conductivity_s_m,
                conductivity_arrhenius,
                separator_conductivity_arrhenius,
                nominal_concentration_mol_m3,
            } => {
                in_range(
                    "electrolyte.positive_conductivity_s_m",
                    &range::IONIC_CONDUCTIVITY_S_M,
                    *positive_conductivity_s_m,
                )?;
                in_range(
                    "electrolyte.separator_conductivity_s_m",
                    &range::IONIC_CONDUCTIVITY_S_M,
                    *separator_conductivity_s_m,
                )?;
                arrhenius("electrolyte.conductivity", conductivity_arrhenius)?;
                if let Some(a) = separator_conductivity_arrhenius {
                    arrhenius("electrolyte.separator_conductivity", a)?;
                }
                in_range(
                    "electrolyte.nominal_concentration_mol_m3",
                    &range::NOMINAL_CONCENTRATION_MOL_M3,
                    *nominal_concentration_mol_m3,
                )?;
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
                in_range(
                    "electrolyte.initial_concentration_mol_m3",
                    &range::ELECTROLYTE_CONCENTRATION_MOL_M3,
                    c0,
                )?;
                let t = *cation_transference_number;
                if !range::TRANSFERENCE_NUMBER.contains(t) {
                    return err(
                        "electrolyte.cation_transference_number",
                        format!(
                            "expected a value in [0, 1) for a binary electrolyte, found {}",
                            range::shown(t)
                        ),
                    );
                }
                let domain = (0.0, range::CONCENTRATION_DOMAIN_FACTOR * c0);
                check_function(
                    "electrolyte.thermodynamic_factor",
                    thermodynamic_factor,
                    &range::THERMODYNAMIC_FACTOR,
                    &range::THERMODYNAMIC_FACTOR,
                    domain,
                    "c_e",
                )?;
                check_function(
                    "electrolyte.conductivity_S_m",
                    conductivity_s_m,
                    &range::IONIC_CONDUCTIVITY_S_M,
                    &range::IONIC_CONDUCTIVITY_VALUES_S_M,
                    domain,
                    "c_e",
                )?;
                arrhenius("electrolyte.conductivity", conductivity_arrhenius)?;
                check_function(
                    "electrolyte.diffusivity_m2_s",
                    diffusivity_m2_s,
                    &range::DIFFUSIVITY_M2_S,
                    &range::DIFFUSIVITY_VALUES_M2_S,
                    domain,
                    "c_e",
                )?;
                arrhenius("electrolyte.diffusivity", diffusivity_arrhenius)?;
            }
        }
        let n = &self.negative;
        in_range("negative.ocp_v", &range::POTENTIAL_V, n.ocp_v)?;
        match &n.exchange_current {
            CounterExchangeCurrent::Constant {
                j0_a_m2,
                arrhenius: a,
            } => {
                in_range(
                    "negative.exchange_current_density_a_m2",
                    &range::EXCHANGE_CURRENT_DENSITY_A_M2,
                    *j0_a_m2,
                )?;
                arrhenius("negative.exchange_current", a)?;
            }
            CounterExchangeCurrent::LithiumMetal {
                k,
                c_li_mol_m3,
                arrhenius: a,
            } => {
                in_range(
                    "negative.exchange_current_k",
                    &range::LITHIUM_RATE_CONSTANT,
                    *k,
                )?;
                in_range(
                    "negative.li_metal_concentration_mol_m3",
                    &range::SOLID_CONCENTRATION_MOL_M3,
                    *c_li_mol_m3,
                )?;
                arrhenius("negative.exchange_current", a)?;
            }
        }
        in_range(
            "negative.double_layer_capacitance_f_m2",
            &range::CAPACITANCE_F_M2,
            n.double_layer_capacitance_f_m2,
        )?;
        Ok(())
    }
}

/// `v` in `r`, else the error at `path`.
fn in_range(path: &str, r: &Range, v: f64) -> Result<(), ParameterError> {
    r.check_value(v).map_err(|e| ParameterError {
        path: path.to_string(),
        message: e.to_string(),
    })
}

/// The two keys of an Arrhenius law, `<prefix>_activation_energy_J_mol` and
/// `<prefix>_reference_temperature_K` (file keys).
fn arrhenius(prefix: &str, a: &Arrhenius) -> Result<(), ParameterError> {
    in_range(
        &format!("{prefix}_activation_energy_J_mol"),
        &range::ACTIVATION_ENERGY_J_MOL,
        a.activation_energy_j_mol,
    )?;
    in_range(
        &format!("{prefix}_reference_temperature_K"),
        &range::TEMPERATURE_K,
        a.reference_temperature_k,
    )
}

/// A material function at `key` (its file key): a constant in `constant`; a table's or a
/// polynomial's values for its argument (`arg`, shown in the message) in `domain` in
/// `values` (the error at `<key>.table` or `<key>.polynomial`), a polynomial of at most
/// [`range::POLYNOMIAL_COEFFICIENTS`] coefficients.
fn check_function(
    key: &str,
    f: &MaterialFunction,
    constant: &Range,
    values: &Range,
    domain: (f64, f64),
    arg: &str,
) -> Result<(), ParameterError> {
    let (form, r) = match f {
        MaterialFunction::Constant(v) => return in_range(key, constant, *v),
        MaterialFunction::Table(_) => ("table", values),
        MaterialFunction::Polynomial(c) => {
            range::POLYNOMIAL_COEFFICIENTS
                .check_usize(c.len())
                .map_err(|e| ParameterError {
                    path: format!("{key}.polynomial"),
                    message: e.to_string(),
                })?;
            ("polynomial", values)
        }
    };
    match f.value_outside(domain, r) {
        None => Ok(()),
        Some((x, v)) => Err(ParameterError {
            path: format!("{key}.{form}"),
            message: format!(
                "the {form} gives {} at {arg} = {}, outside the accepted range {r} (checked for {arg} from {} to {})",
                range::shown(v),
                range::shown(x),
                range::shown(domain.0),
                range::shown(domain.1)
            ),
        }),
    }
}
