//! A parameter set in words: every parameter under its parameter-file key, with its value and
//! unit, and the source (`asslb params show <set>`).

use std::fmt::Write;

use crate::constants::FARADAY;
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
        "- (applied to 1 − ε_e)",
    );
    out.num(
        "electronic_conductivity_S_m",
        c.electronic_conductivity_s_m,
        "S/m",
    );
    out.arrhenius(
        "electronic_conductivity",
        &c.electronic_conductivity_arrhenius,
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
    match &c.ocp {
        CathodeOcp::Function(u) => {
            out.value("ocp_V", function(u), "V vs Li/Li+, of the stoichiometry")
        }
        CathodeOcp::Msmr(m) => out.value(
            "msmr",
            format!(
                "{} cationic galleries, {} Li per formula unit at c_max",
                m.cationic.len(),
                m.lithium_per_formula_max
            ),
            "MSMR open-circuit potential",
        ),
    }
    out.num(
        "exchange_current_k",
        c.exchange_current.k,
        "A/m² (mol/m³)^-1.5",
    );
    out.arrhenius("exchange_current", &c.exchange_current.arrhenius);
    out.num("film_resistance_ohm_m2", c.film_resistance_ohm_m2, "Ω·m²");
    out.num(
        "double_layer_capacitance_F_m2",
        c.double_layer_capacitance_f_m2,
        "F/m² (0 = off)",
    );
    match c.active_material_density_kg_m3 {
        Some(rho) => out.num("active_material_density_kg_m3", rho, "kg/m³"),
        None => out.value(
            "active_material_density_kg_m3",
            "not given".into(),
            "kg/m³ (needed for mA/g currents and mAh/g capacities)",
        ),
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

    out.section("electrolyte");
    match &p.electrolyte {
        Electrolyte::SingleIon {
            positive_conductivity_s_m,
            separator_conductivity_s_m,
            conductivity_arrhenius,
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

    out.section("derived");
    out.num(
        "specific surface area a = 3 ε_s / R_p",
        c.specific_surface_area_m(),
        "1/m",
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
    out.text("\nNo Arrhenius temperature dependence unless its keys are listed.");
    out.0
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
