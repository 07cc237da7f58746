//! A parameter set in words: every parameter under its parameter-file key, with its value and
//! unit, and the source (`asslb params show <set>`).

use std::fmt::Write;

use crate::constants::FARADAY;
use crate::physics::anion_redox::{
    Activation, AnionRedox, FadeLaw, MigrationLaw, OxygenInstability,
};
use crate::physics::cracking::{ContactLossOrder, Cracking};
use crate::physics::interphase::{Interphase, SealingLaw};
use crate::physics::material::{Arrhenius, MaterialFunction};
use crate::physics::parameters::{
    CathodeOcp, CellParameters, CounterExchangeCurrent, Electrolyte, TransportEfficiency,
};

/// Every parameter of `p` under its parameter-file key (`[section]` then `key = value unit`),
/// optional ones with the value they take when absent, followed by a few derived quantities.
/// Arrhenius keys are listed only where a temperature dependence is set.
pub fn describe_parameters(p: &CellParameters) -> String {
    let mut out = Listing::default();
    out.text(&format!("parameter set `{}`", p.name));
    out.text(&format!("source: {}", p.source));

    out.section("cell");
    out.num("temperature_K", p.temperature_k, "K");
    out.num("area_m2", p.area_m2, "m²");
    out.num(
        "nominal_capacity_Ah",
        p.nominal_capacity_ah,
        "A·h (the current of 1C)",
    );
    if let Some(i) = p.one_c_specific_current_a_kg {
        out.num(
            "one_c_specific_current_mA_g",
            i,
            "mA/g (1C per gram of active material; C-rates use it)",
        );
    }
    out.num("lower_cutoff_V", p.lower_cutoff_v, "V (cell voltage)");
    out.num("upper_cutoff_V", p.upper_cutoff_v, "V (cell voltage)");

    let c = &p.positive;
    out.section("positive");
    out.num("thickness_m", c.thickness_m, "m");
    out.num(
        "active_material_volume_fraction",
        c.active_material_volume_fraction,
        "-",
    );
    out.num(
        "electrolyte_volume_fraction",
        c.electrolyte_volume_fraction,
        "-",
    );
    out.value(
        "electrolyte_transport",
        transport(&c.electrolyte_transport),
        "-",
    );
    out.value(
        "electronic_transport",
        transport(&c.electronic_transport),
        if c.carbon_network.is_some() {
            "- (applied to ε_s: the oxide's own conduction)"
        } else {
            "- (applied to 1 − ε_e)"
        },
    );
    out.num(
        "electronic_conductivity_S_m",
        c.electronic_conductivity_s_m,
        if c.carbon_network.is_some() {
            "S/m, of the active oxide"
        } else {
            "S/m, of the solid"
        },
    );
    out.arrhenius(
        "electronic_conductivity",
        &c.electronic_conductivity_arrhenius,
    );
    if let Some(n) = &c.carbon_network {
        out.num("carbon_network.volume_fraction", n.volume_fraction, "-");
        out.num("carbon_network.conductivity_S_m", n.conductivity_s_m, "S/m");
        out.num(
            "carbon_network.percolation_threshold",
            n.percolation_threshold,
            "-",
        );
        out.num(
            "carbon_network.percolation_exponent",
            n.percolation_exponent,
            "-",
        );
        out.num(
            "(carbon network's conductivity in the electrode)",
            n.conductivity_s_m(),
            "S/m",
        );
    }
    out.num(
        "(effective electronic conductivity σ_eff)",
        c.effective_electronic_conductivity_s_m(p.temperature_k),
        "S/m, at the cell's temperature",
    );
    out.num("particle_radius_m", c.particle_radius_m, "m");
    out.value(
        "solid_diffusivity_m2_s",
        function(&c.solid_diffusivity_m2_s),
        "m²/s, of the stoichiometry",
    );
    out.arrhenius("solid_diffusivity", &c.solid_diffusivity_arrhenius);
    out.num(
        "max_concentration_mol_m3",
        c.max_concentration_mol_m3,
        "mol/m³",
    );
    out.num(
        "initial_concentration_mol_m3",
        c.initial_concentration_mol_m3,
        "mol/m³",
    );
    if let CathodeOcp::Function(u) = &c.ocp {
        out.value("ocp_V", function(u), "V vs Li/Li+, of the stoichiometry");
    }
    out.num(
        "exchange_current_k",
        c.exchange_current.k,
        "A/m² (mol/m³)^-1.5",
    );
    out.arrhenius("exchange_current", &c.exchange_current.arrhenius);
    out.num(
        "film_resistance_ohm_m2",
        c.film_resistance_ohm_m2,
        if p.interphase.is_some() {
            "Ω·m² (not used: [interphase] gives the interface resistance)"
        } else {
            "Ω·m²"
        },
    );
    out.num(
        "double_layer_capacitance_F_m2",
        c.double_layer_capacitance_f_m2,
        "F/m² of contacted surface (0 = off)",
    );
    out.num(
        "contact_fraction",
        c.contact_fraction,
        "of the particle surface in contact with the electrolyte",
    );
    match c.active_material_density_kg_m3 {
        Some(rho) => out.num("active_material_density_kg_m3", rho, "kg/m³"),
        None => out.value(
            "active_material_density_kg_m3",
            "not given".into(),
            "kg/m³ (needed for mA/g currents and mAh/g capacities)",
        ),
    }

    if let CathodeOcp::Msmr(m) = &c.ocp {
        out.section("positive.msmr");
        out.num(
            "lithium_per_formula_max",
            m.lithium_per_formula_max,
            "Li per formula unit at c_s,max",
        );
        for (k, g) in m.cationic.iter().enumerate() {
            let key = |name: &str| format!("cationic[{}].{name}", k + 1);
            out.num(&key("capacity"), g.capacity, "Li per formula unit");
            out.num(
                &key("standard_potential_V"),
                g.standard_potential_v,
                "V vs Li/Li+",
            );
            out.num(&key("omega"), g.omega, "- (1 = ideal Nernstian)");
        }
    }

    let s = &p.separator;
    out.section("separator");
    out.num("thickness_m", s.thickness_m, "m");
    out.num(
        "electrolyte_volume_fraction",
        s.electrolyte_volume_fraction,
        "-",
    );
    out.value(
        "electrolyte_transport",
        transport(&s.electrolyte_transport),
        "-",
    );
    if let Some(gb) = &s.grain_boundary {
        out.num(
            "grain_boundary_resistance_ohm_m2",
            gb.resistance_ohm_m2,
            "Ω·m²",
        );
        out.num(
            "grain_boundary_capacitance_F_m2",
            gb.capacitance_f_m2,
            "F/m²",
        );
    }

    out.section("electrolyte");
    match &p.electrolyte {
        Electrolyte::SingleIon {
            positive_conductivity_s_m,
            separator_conductivity_s_m,
            conductivity_arrhenius,
            separator_conductivity_arrhenius,
            nominal_concentration_mol_m3,
        } => {
            out.value("kind", "\"single_ion\"".into(), "-");
            out.num(
                "positive_conductivity_S_m",
                *positive_conductivity_s_m,
                "S/m",
            );
            out.num(
                "separator_conductivity_S_m",
                *separator_conductivity_s_m,
                "S/m",
            );
            out.arrhenius("conductivity", conductivity_arrhenius);
            if let Some(a) = separator_conductivity_arrhenius {
                out.arrhenius("separator_conductivity", a);
            }
            out.num(
                "nominal_concentration_mol_m3",
                *nominal_concentration_mol_m3,
                "mol/m³",
            );
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
            out.value("kind", "\"binary\"".into(), "-");
            out.num(
                "initial_concentration_mol_m3",
                *initial_concentration_mol_m3,
                "mol/m³",
            );
            out.num(
                "cation_transference_number",
                *cation_transference_number,
                "-",
            );
            out.value(
                "thermodynamic_factor",
                function(thermodynamic_factor),
                "-, of c_e in mol/m³",
            );
            out.value(
                "conductivity_S_m",
                function(conductivity_s_m),
                "S/m, of c_e in mol/m³",
            );
            out.arrhenius("conductivity", conductivity_arrhenius);
            out.value(
                "diffusivity_m2_s",
                function(diffusivity_m2_s),
                "m²/s, of c_e in mol/m³",
            );
            out.arrhenius("diffusivity", diffusivity_arrhenius);
        }
    }

    let n = &p.negative;
    out.section("negative");
    out.num("ocp_V", n.ocp_v, "V vs Li/Li+");
    match &n.exchange_current {
        CounterExchangeCurrent::Constant { j0_a_m2, arrhenius } => {
            out.num("exchange_current_density_A_m2", *j0_a_m2, "A/m²");
            out.arrhenius("exchange_current", arrhenius);
        }
        CounterExchangeCurrent::LithiumMetal {
            k,
            c_li_mol_m3,
            arrhenius,
        } => {
            out.num("exchange_current_k", *k, "A/m² (mol/m³)^-1");
            out.num("li_metal_concentration_mol_m3", *c_li_mol_m3, "mol/m³");
            out.arrhenius("exchange_current", arrhenius);
        }
    }
    out.num(
        "double_layer_capacitance_F_m2",
        n.double_layer_capacitance_f_m2,
        "F/m² (0 = off)",
    );

    if let Some(a) = &p.anion_redox {
        anion_redox(&mut out, a);
    }
    if let Some(i) = &p.interphase {
        interphase(&mut out, i);
    }
    if let Some(k) = &p.cracking {
        cracking(&mut out, k);
    }

    out.section("derived");
    out.num(
        "specific surface area a = 3 ε_s / R_p",
        c.specific_surface_area_m(),
        "1/m",
    );
    out.num(
        "contacted surface a_c = χ a",
        c.contacted_surface_area_m(),
        "1/m (every interfacial current density is per contacted area)",
    );
    let stored_ah = c.active_material_volume_fraction
        * p.area_m2
        * c.thickness_m
        * c.max_concentration_mol_m3
        * FARADAY
        / 3600.0;
    out.num(
        "lithium sites ε_s A L_p c_s,max F",
        stored_ah,
        "A·h (0 to full stoichiometry)",
    );
    if let Some(m) = p.active_mass_kg() {
        out.num("active mass ε_s A L_p ρ", m * 1e6, "mg");
        out.num(
            "nominal specific capacity",
            p.nominal_capacity_ah * 1e3 / (m * 1e3),
            "mAh/g (1C per gram of active material, mA/g)",
        );
    }
    if let CathodeOcp::Msmr(m) = &c.ocp {
        out.num(
            "cationic gallery capacity Σ X_j",
            m.cationic_capacity(),
            "Li per formula unit",
        );
    }
    if let Some(i) = &p.interphase {
        out.num(
            "film electronic conductivity σ_e",
            i.electronic_conductivity_s_m(),
            "S/m",
        );
    }
    out.text("\nNo Arrhenius temperature dependence unless its keys are listed.");
    let off: Vec<&str> = [
        ("[anion_redox]", p.anion_redox.is_none()),
        ("[interphase]", p.interphase.is_none()),
        ("[cracking]", p.cracking.is_none()),
    ]
    .into_iter()
    .filter_map(|(name, absent)| absent.then_some(name))
    .collect();
    if !off.is_empty() {
        out.text(&format!(
            "Submodels off (their sections are not given): {}.",
            off.join(", ")
        ));
    }
    out.0
}

/// `[anion_redox]`: every key with its unit.
fn anion_redox(out: &mut Listing, a: &AnionRedox) {
    out.section("anion_redox");
    out.num(
        "standard_potential_V",
        a.standard_potential_v,
        "V vs Li/Li+ (mid-hysteresis)",
    );
    out.num("omega", a.omega, "- (gallery width)");
    out.num("hysteresis_V", a.hysteresis_v, "V (charge minus discharge)");
    out.num(
        "hysteresis_rate",
        a.hysteresis_rate,
        "- (h relaxes over 1/rate Li per formula unit passed)",
    );
    out.num(
        "hysteresis_growth_V",
        a.hysteresis_growth_v,
        "V per unit of migration (the discharge branch moves down with it)",
    );
    out.num(
        "exchange_current_ratio",
        a.exchange_current_ratio,
        "- (the anionic gallery's exchange current against a cationic one's)",
    );
    out.num(
        "lattice_capacity",
        a.lattice_capacity,
        "Li per formula unit",
    );
    out.num(
        "initial_active_capacity",
        a.initial_active_capacity,
        "Li per formula unit",
    );
    out.num("activation_rate_per_s", a.activation_rate_1_s, "1/s");
    match a.activation {
        Activation::Potential {
            potential_v,
            width_v,
        } => {
            out.value("activation_law", "\"potential\"".into(), "-");
            out.num("activation_potential_V", potential_v, "V vs Li/Li+");
            out.num("activation_width_V", width_v, "V");
        }
        Activation::OxidisedOnCharge => out.value(
            "activation_law",
            "\"oxidised_on_charge\"".into(),
            "- (while the oxygen is oxidised on charge)",
        ),
    }
    out.num(
        "irreversible_fraction",
        a.irreversible_fraction,
        "- (of the activated capacity)",
    );
    out.num(
        "oxygen_loss_bulk_per_Li",
        a.oxygen_loss_bulk_per_li,
        "- (per Li per formula unit exchanged)",
    );
    out.num(
        "oxygen_loss_surface_m2_C",
        a.oxygen_loss_surface_m2_c,
        "m²/C (1/s per A/m² of side-reaction current)",
    );
    out.num(
        "oxygen_loss_contact_m_s",
        a.oxygen_loss_contact_m_s,
        "m/s (release by contact with the electrolyte over the open surface)",
    );
    out.num(
        "densified_per_oxygen",
        a.densified_per_oxygen,
        "- (formula units densified per Li of anionic capacity lost with the oxygen)",
    );
    match a.instability {
        OxygenInstability::OxidisedOxygen => out.value(
            "oxygen_instability",
            "\"oxidised_oxygen\"".into(),
            "oxygen release and migration follow the oxidised fraction of the anionic gallery",
        ),
        OxygenInstability::Potential {
            potential_v,
            width_v,
        } => {
            out.value(
                "oxygen_instability",
                "\"potential\"".into(),
                "oxygen release and migration switch on at an absolute surface potential",
            );
            out.num("oxygen_loss_potential_V", potential_v, "V vs Li/Li+");
            out.num("oxygen_loss_width_V", width_v, "V");
        }
    }
    out.num(
        "fade_V_per_Li",
        a.fade_v_per_li,
        "V per Li per formula unit of oxygen lost",
    );
    match a.fade_law {
        FadeLaw::RigidShift => {
            out.value(
                "fade_law",
                "\"rigid_shift\"".into(),
                "every gallery shifts down by β X_O + M",
            );
            out.num(
                "migration_rate_V_per_s",
                a.migration_rate_v_s,
                "V/s (at full onset)",
            );
        }
        FadeLaw::LowerCouple(c) => {
            out.value(
                "fade_law",
                "\"lower_couple\"".into(),
                "oxygen loss and migration move capacity into a lower-voltage couple",
            );
            out.num(
                "lower_couple_potential_V",
                c.standard_potential_v,
                "V vs Li/Li+",
            );
            out.num("lower_couple_omega", c.omega, "- (gallery width)");
            out.num(
                "lower_couple_spread_V",
                c.spread_v,
                "V (standard potentials spread over [U0, U0 + spread])",
            );
            out.num(
                "reduced_metal_per_oxygen",
                c.reduced_metal_per_oxygen,
                "- (sites per Li of anionic capacity lost)",
            );
            out.num(
                "reduced_metal_potential_V",
                c.reduced_metal_potential_v,
                "V vs Li/Li+ (the reduced metal's sites)",
            );
            out.num(
                "migration_rate_per_s",
                c.migration_rate_1_s,
                "1/s (of the cationic capacity, at full drive)",
            );
        }
    }
    match a.migration {
        MigrationLaw::WhileOxidised => out.value(
            "migration_law",
            "\"while_oxidised\"".into(),
            "migration at once while the oxygen is oxidised",
        ),
        MigrationLaw::RearrangedOxygen(r) => {
            out.value(
                "migration_law",
                "\"rearranged_oxygen\"".into(),
                "migration through the rearranged oxygen, faster with oxygen vacancies",
            );
            out.num(
                "rearrangement_rate_per_s",
                r.rate_1_s,
                "1/s (fully oxidised oxygen)",
            );
            out.num(
                "rearrangement_reversal_rate_per_s",
                r.reversal_rate_1_s,
                "1/s (once reduced)",
            );
            out.num(
                "migration_vacancy_capacity",
                r.vacancy_capacity,
                "Li per formula unit of oxygen lost that doubles the migration rate",
            );
        }
    }
    out.arrhenius("kinetics", &a.kinetics_arrhenius);
}

/// `[interphase]`: every key with its unit.
fn interphase(out: &mut Listing, i: &Interphase) {
    out.section("interphase");
    out.num(
        "electronic_conductor_fraction",
        i.electronic_conductor_fraction,
        "- (mole fraction in the film)",
    );
    out.num("percolation_threshold", i.percolation_threshold, "-");
    out.num("percolation_exponent", i.percolation_exponent, "-");
    out.num(
        "conductor_conductivity_S_m",
        i.conductor_conductivity_s_m,
        "S/m",
    );
    out.num("tunnelling_current_A_m2", i.tunnelling_current_a_m2, "A/m²");
    out.num("tunnelling_length_m", i.tunnelling_length_m, "m");
    out.num(
        "solvent_diffusion_A_m",
        i.solvent_diffusion_a_m,
        "A/m (0 for a solid electrolyte)",
    );
    out.num(
        "oxidation_potential_V",
        i.oxidation_potential_v,
        "V vs Li/Li+",
    );
    out.num("onset_width_V", i.onset_width_v, "V");
    out.num(
        "product_volume_m3_mol",
        i.product_volume_m3_mol,
        "m³ per mol of electrons",
    );
    out.num("initial_thickness_m", i.initial_thickness_m, "m");
    out.num("ionic_conductivity_S_m", i.ionic_conductivity_s_m, "S/m");
    out.num(
        "native_resistance_ohm_m2",
        i.native_resistance_ohm_m2,
        "Ω·m²",
    );
    out.num(
        "native_conversion_throughput",
        i.native_conversion_throughput,
        "Li per formula unit exchanged",
    );
    out.num(
        "open_fraction",
        i.open_fraction,
        "- (surface left open to the electrolyte: the film's pores)",
    );
    out.num("sealing_thickness_m", i.sealing_thickness_m, "m");
    out.value(
        "sealing_law",
        match i.sealing_law {
            SealingLaw::RandomDeposition => "\"random_deposition\"".to_string(),
            SealingLaw::GrowthAtOpenSites => "\"growth_at_open_sites\"".to_string(),
        },
        &format!(
            "where a dense film's products land; covered-to-bare growth ratio r = {}",
            number(i.covered_growth_ratio())
        ),
    );
    out.arrhenius("growth", &i.growth_arrhenius);
    out.arrhenius("conduction", &i.conduction_arrhenius);
}

/// `[cracking]`: every key with its unit.
fn cracking(out: &mut Listing, c: &Cracking) {
    out.section("cracking");
    out.num(
        "onset_cycles",
        c.onset_cycles,
        "equivalent full cycles of 1 Li per formula unit",
    );
    out.num("width_cycles", c.width_cycles, "equivalent full cycles");
    out.num(
        "max_area_ratio",
        c.max_area_ratio,
        "- (crack surface per original particle surface)",
    );
    out.num(
        "area_growth_per_cycle",
        c.area_growth_per_cycle,
        "- per equivalent full cycle after the onset (propagating cracks)",
    );
    out.num(
        "wetting",
        c.wetting,
        "- (wetted fraction of the crack surface)",
    );
    out.num(
        "isolation_per_area",
        c.isolation_per_area,
        "- (active material isolated per unit wetted crack surface ratio)",
    );
    out.num(
        "contact_loss_per_cycle",
        c.contact_loss_per_cycle,
        "1/cycle (active material cut off per equivalent cycle where the electrolyte does not follow)",
    );
    out.value(
        "contact_loss_order",
        match c.contact_loss_order {
            ContactLossOrder::Any => "\"any\"".to_string(),
            ContactLossOrder::LeastContactedFirst => "\"least_contacted_first\"".to_string(),
        },
        "which particles the contact loss cuts off",
    );
}

/// Lines of `key = value  [unit]`.
#[derive(Default)]
struct Listing(String);

impl Listing {
    fn text(&mut self, line: &str) {
        self.0.push_str(line);
        self.0.push('\n');
    }

    fn section(&mut self, name: &str) {
        let _ = write!(self.0, "\n[{name}]\n");
    }

    fn value(&mut self, key: &str, value: String, unit: &str) {
        let _ = writeln!(self.0, "  {key:<44} = {value}  [{unit}]");
    }

    fn num(&mut self, key: &str, value: f64, unit: &str) {
        self.value(key, number(value), unit);
    }

    fn arrhenius(&mut self, prefix: &str, a: &Arrhenius) {
        if a.activation_energy_j_mol != 0.0 {
            self.num(
                &format!("{prefix}_activation_energy_J_mol"),
                a.activation_energy_j_mol,
                "J/mol",
            );
            self.num(
                &format!("{prefix}_reference_temperature_K"),
                a.reference_temperature_k,
                "K",
            );
        }
    }
}

/// A number in its shortest form, in scientific notation when it is very small or large.
fn number(v: f64) -> String {
    if v != 0.0 && (v.abs() < 1e-3 || v.abs() >= 1e6) {
        format!("{v:e}")
    } else {
        v.to_string()
    }
}

fn transport(t: &TransportEfficiency) -> String {
    match t {
        TransportEfficiency::Bruggeman { exponent } => format!("{{ bruggeman = {exponent} }}"),
        TransportEfficiency::Tortuosity { tortuosity } => {
            format!("{{ tortuosity = {tortuosity} }}")
        }
    }
}

fn function(f: &MaterialFunction) -> String {
    match f {
        MaterialFunction::Constant(v) => number(*v),
        MaterialFunction::Polynomial(c) => format!(
            "{{ polynomial = [{}] }}",
            c.iter().copied().map(number).collect::<Vec<_>>().join(", ")
        ),
        MaterialFunction::Table(t) => {
            let (x, y) = (t.x(), t.y());
            let (lo, hi) = y
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                    (lo.min(*v), hi.max(*v))
                });
            format!(
                "table ({}): {} points, x from {} to {}, values from {} to {}",
                t.source,
                x.len(),
                number(x.first().copied().unwrap_or(f64::NAN)),
                number(x.last().copied().unwrap_or(f64::NAN)),
                number(lo),
                number(hi)
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::builtin_parameter_set;

    #[test]
    fn every_key_of_the_solid_set_is_listed_with_its_unit() {
        let p = builtin_parameter_set("solid_halfcell_single_ion")
            .unwrap()
            .load()
            .unwrap();
        let text = describe_parameters(&p);
        for part in [
            "parameter set `solid_halfcell_single_ion`",
            "source: Verification case",
            "[cell]",
            "temperature_K",
            "= 333.15  [K]",
            "nominal_capacity_Ah",
            "[positive]",
            "electronic_transport",
            "{ bruggeman = 1.5 }",
            "ocp_V",
            "positive_ocp.csv",
            "points",
            "active_material_density_kg_m3",
            "= 5150  [kg/m³]",
            "[electrolyte]",
            "\"single_ion\"",
            "[negative]",
            "= 0.62  [V vs Li/Li+]",
            "exchange_current_density_A_m2",
            "[derived]",
            "active mass",
            "mAh/g",
            "Submodels off (their sections are not given): [anion_redox], [interphase], [cracking].",
        ] {
            assert!(text.contains(part), "missing {part:?} in\n{text}");
        }
    }

    #[test]
    fn binary_sets_list_their_functions() {
        let p = builtin_parameter_set("xu2019_liquid_halfcell")
            .unwrap()
            .load()
            .unwrap();
        let text = describe_parameters(&p);
        for part in [
            "\"binary\"",
            "cation_transference_number",
            "electrolyte_conductivity.csv",
            "li_metal_concentration_mol_m3",
            "not given",
        ] {
            assert!(text.contains(part), "missing {part:?} in\n{text}");
        }
    }
}
