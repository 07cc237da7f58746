//! The raw, unvalidated shapes of scenario and parameter files, as serde reads them. Every struct
//! rejects unknown keys. Key names carry their units as written in the files (`temperature_K`,
//! `conductivity_S_m`); the conversion into the validated types lives in
//! [`super::parameter_file`] and [`super::scenario_file`].

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::output::SaveCycles;

// ---------------------------------------------------------------------------------------------
// Parameter file
// ---------------------------------------------------------------------------------------------

/// A whole parameter file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawParameterFile {
    pub name: String,
    pub source: String,
    pub cell: RawCell,
    pub positive: RawPositive,
    pub separator: RawSeparator,
    pub electrolyte: RawElectrolyte,
    pub negative: RawNegative,
    /// `[anion_redox]`; absent = submodel off.
    pub anion_redox: Option<RawAnionRedox>,
    /// `[interphase]`; absent = submodel off.
    pub interphase: Option<RawInterphase>,
    /// `[cracking]`; absent = submodel off.
    pub cracking: Option<RawCracking>,
}

/// `[cell]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCell {
    #[serde(rename = "temperature_K")]
    pub temperature_k: f64,
    pub area_m2: f64,
    #[serde(rename = "nominal_capacity_Ah")]
    pub nominal_capacity_ah: f64,
    #[serde(rename = "one_c_specific_current_mA_g")]
    pub one_c_specific_current_ma_g: Option<f64>,
    #[serde(rename = "lower_cutoff_V")]
    pub lower_cutoff_v: f64,
    #[serde(rename = "upper_cutoff_V")]
    pub upper_cutoff_v: f64,
}

/// `[positive]`: the composite cathode.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPositive {
    pub thickness_m: f64,
    pub active_material_volume_fraction: f64,
    pub electrolyte_volume_fraction: f64,
    pub electrolyte_transport: RawTransport,
    pub electronic_transport: RawTransport,
    #[serde(rename = "electronic_conductivity_S_m")]
    pub electronic_conductivity_s_m: f64,
    #[serde(rename = "electronic_conductivity_activation_energy_J_mol")]
    pub electronic_conductivity_activation_energy_j_mol: Option<f64>,
    #[serde(rename = "electronic_conductivity_reference_temperature_K")]
    pub electronic_conductivity_reference_temperature_k: Option<f64>,
    pub particle_radius_m: f64,
    pub solid_diffusivity_m2_s: RawFunction,
    #[serde(rename = "solid_diffusivity_activation_energy_J_mol")]
    pub solid_diffusivity_activation_energy_j_mol: Option<f64>,
    #[serde(rename = "solid_diffusivity_reference_temperature_K")]
    pub solid_diffusivity_reference_temperature_k: Option<f64>,
    pub max_concentration_mol_m3: f64,
    pub initial_concentration_mol_m3: f64,
    /// One of the two open-circuit forms: a function of the stoichiometry …
    #[serde(rename = "ocp_V")]
    pub ocp_v: Option<RawFunction>,
    /// … or MSMR galleries (exactly one; checked in the conversion).
    pub msmr: Option<RawMsmr>,
    pub exchange_current_k: f64,
    #[serde(rename = "exchange_current_activation_energy_J_mol")]
    pub exchange_current_activation_energy_j_mol: Option<f64>,
    #[serde(rename = "exchange_current_reference_temperature_K")]
    pub exchange_current_reference_temperature_k: Option<f64>,
    pub film_resistance_ohm_m2: Option<f64>,
    #[serde(rename = "double_layer_capacitance_F_m2")]
    pub double_layer_capacitance_f_m2: Option<f64>,
    pub contact_fraction: Option<f64>,
    pub active_material_density_kg_m3: Option<f64>,
    /// `[positive.carbon_network]`: the carbon as a percolating network of its own.
    pub carbon_network: Option<RawCarbonNetwork>,
}

/// `[positive.carbon_network]`: every key required (meanings in
/// [`crate::physics::percolation::CarbonNetwork`]).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCarbonNetwork {
    pub volume_fraction: f64,
    #[serde(rename = "conductivity_S_m")]
    pub conductivity_s_m: f64,
    pub percolation_threshold: f64,
    pub percolation_exponent: f64,
}

/// `[positive.msmr]`: the MSMR open-circuit potential. The galleries stay TOML values here and
/// are read one by one, so that an error can name its gallery (`positive.msmr.cationic[2]`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMsmr {
    pub lithium_per_formula_max: f64,
    pub cationic: Vec<toml::Value>,
}

/// One element of `positive.msmr.cationic`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawGallery {
    pub capacity: f64,
    #[serde(rename = "standard_potential_V")]
    pub standard_potential_v: f64,
    pub omega: f64,
}

/// `[anion_redox]`: every key required (meanings in [`crate::physics::anion_redox`]).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAnionRedox {
    #[serde(rename = "standard_potential_V")]
    pub standard_potential_v: f64,
    pub omega: f64,
    #[serde(rename = "hysteresis_V")]
    pub hysteresis_v: f64,
    pub hysteresis_rate: f64,
    /// Optional (default 0: no growth of the hysteresis with migration).
    #[serde(rename = "hysteresis_growth_V")]
    pub hysteresis_growth_v: Option<f64>,
    /// Optional (default 1: the anionic gallery exchanges like a cationic one).
    pub exchange_current_ratio: Option<f64>,
    pub lattice_capacity: f64,
    pub initial_active_capacity: f64,
    pub activation_rate_per_s: f64,
    /// `"potential"` or `"oxidised_on_charge"` (absent: `"potential"`, as parameter files
    /// written before the oxidised-on-charge law).
    pub activation_law: Option<RawActivationLaw>,
    /// Only with `activation_law = "potential"`.
    #[serde(rename = "activation_potential_V")]
    pub activation_potential_v: Option<f64>,
    /// Only with `activation_law = "potential"`.
    #[serde(rename = "activation_width_V")]
    pub activation_width_v: Option<f64>,
    pub irreversible_fraction: f64,
    #[serde(rename = "oxygen_loss_bulk_per_Li")]
    pub oxygen_loss_bulk_per_li: f64,
    #[serde(rename = "oxygen_loss_surface_m2_C")]
    pub oxygen_loss_surface_m2_c: f64,
    /// Optional (default 0: no release by contact).
    #[serde(rename = "oxygen_loss_contact_m_s")]
    pub oxygen_loss_contact_m_s: Option<f64>,
    /// Optional (default 0: no densification).
    pub densified_per_oxygen: Option<f64>,
    /// `"oxidised_oxygen"` or `"potential"` (absent: `"potential"`, as parameter files written
    /// before the oxidised-oxygen law).
    pub oxygen_instability: Option<RawOxygenInstability>,
    /// Only with `oxygen_instability = "potential"`.
    #[serde(rename = "oxygen_loss_potential_V")]
    pub oxygen_loss_potential_v: Option<f64>,
    /// Only with `oxygen_instability = "potential"`.
    #[serde(rename = "oxygen_loss_width_V")]
    pub oxygen_loss_width_v: Option<f64>,
    #[serde(rename = "fade_V_per_Li")]
    pub fade_v_per_li: f64,
    /// Required with `fade_law = "rigid_shift"` (the default); absent or 0 with
    /// `"lower_couple"`.
    #[serde(rename = "migration_rate_V_per_s")]
    pub migration_rate_v_per_s: Option<f64>,
    /// `"while_oxidised"` or `"rearranged_oxygen"` (absent: `"while_oxidised"`, as parameter
    /// files written before the rearranged-oxygen law).
    pub migration_law: Option<RawMigrationLaw>,
    /// Only with `migration_law = "rearranged_oxygen"`.
    pub rearrangement_rate_per_s: Option<f64>,
    /// Only with `migration_law = "rearranged_oxygen"`.
    pub rearrangement_reversal_rate_per_s: Option<f64>,
    /// Only with `migration_law = "rearranged_oxygen"`.
    pub migration_vacancy_capacity: Option<f64>,
    /// `"rigid_shift"` or `"lower_couple"` (absent: `"rigid_shift"`, as parameter files written
    /// before the lower-voltage couple).
    pub fade_law: Option<RawFadeLaw>,
    /// Only with `fade_law = "lower_couple"`.
    #[serde(rename = "lower_couple_potential_V")]
    pub lower_couple_potential_v: Option<f64>,
    /// Only with `fade_law = "lower_couple"`.
    pub lower_couple_omega: Option<f64>,
    /// Only with `fade_law = "lower_couple"`.
    pub reduced_metal_per_oxygen: Option<f64>,
    /// Only with `fade_law = "lower_couple"`, optional (default `lower_couple_potential_V`).
    #[serde(rename = "reduced_metal_potential_V")]
    pub reduced_metal_potential_v: Option<f64>,
    /// Only with `fade_law = "lower_couple"`, optional (default 0: one gallery per part).
    #[serde(rename = "lower_couple_spread_V")]
    pub lower_couple_spread_v: Option<f64>,
    /// Only with `fade_law = "lower_couple"`.
    pub migration_rate_per_s: Option<f64>,
    /// Optional, with `kinetics_reference_temperature_K`.
    #[serde(rename = "kinetics_activation_energy_J_mol")]
    pub kinetics_activation_energy_j_mol: Option<f64>,
    #[serde(rename = "kinetics_reference_temperature_K")]
    pub kinetics_reference_temperature_k: Option<f64>,
}

/// `[interphase]`: every key required (meanings in [`crate::physics::interphase`]).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawInterphase {
    pub electronic_conductor_fraction: f64,
    pub percolation_threshold: f64,
    pub percolation_exponent: f64,
    #[serde(rename = "conductor_conductivity_S_m")]
    pub conductor_conductivity_s_m: f64,
    #[serde(rename = "tunnelling_current_A_m2")]
    pub tunnelling_current_a_m2: f64,
    pub tunnelling_length_m: f64,
    #[serde(rename = "solvent_diffusion_A_m")]
    pub solvent_diffusion_a_m: f64,
    #[serde(rename = "oxidation_potential_V")]
    pub oxidation_potential_v: f64,
    #[serde(rename = "onset_width_V")]
    pub onset_width_v: f64,
    pub product_volume_m3_mol: f64,
    pub initial_thickness_m: f64,
    #[serde(rename = "ionic_conductivity_S_m")]
    pub ionic_conductivity_s_m: f64,
    pub native_resistance_ohm_m2: f64,
    pub native_conversion_throughput: f64,
    /// Optional (default 0: a dense film).
    pub open_fraction: Option<f64>,
    /// Optional (default 1 nm).
    pub sealing_thickness_m: Option<f64>,
    /// Optional (default random deposition).
    pub sealing_law: Option<RawSealingLaw>,
    #[serde(rename = "growth_activation_energy_J_mol")]
    pub growth_activation_energy_j_mol: Option<f64>,
    #[serde(rename = "growth_reference_temperature_K")]
    pub growth_reference_temperature_k: Option<f64>,
    #[serde(rename = "conduction_activation_energy_J_mol")]
    pub conduction_activation_energy_j_mol: Option<f64>,
    #[serde(rename = "conduction_reference_temperature_K")]
    pub conduction_reference_temperature_k: Option<f64>,
}

/// `[cracking]`: every key required but `area_growth_per_cycle` and `contact_loss_per_cycle` (meanings in [`crate::physics::cracking`]).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCracking {
    pub onset_cycles: f64,
    pub width_cycles: f64,
    pub max_area_ratio: f64,
    pub area_growth_per_cycle: Option<f64>,
    pub wetting: f64,
    pub isolation_per_area: f64,
    pub contact_loss_per_cycle: Option<f64>,
    pub contact_loss_order: Option<RawContactLossOrder>,
}

/// `interphase.sealing_law`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RawSealingLaw {
    RandomDeposition,
    GrowthAtOpenSites,
}

/// `cracking.contact_loss_order`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RawContactLossOrder {
    Any,
    LeastContactedFirst,
}

/// `[separator]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSeparator {
    pub thickness_m: f64,
    pub electrolyte_volume_fraction: f64,
    pub electrolyte_transport: RawTransport,
    pub grain_boundary_resistance_ohm_m2: Option<f64>,
    #[serde(rename = "grain_boundary_capacitance_F_m2")]
    pub grain_boundary_capacitance_f_m2: Option<f64>,
}

/// `[electrolyte]`: one flat table for both kinds, so that every key error carries its path;
/// which keys a kind requires or forbids is checked in the conversion.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawElectrolyte {
    pub kind: RawElectrolyteKind,
    // single_ion
    #[serde(rename = "positive_conductivity_S_m")]
    pub positive_conductivity_s_m: Option<f64>,
    #[serde(rename = "separator_conductivity_S_m")]
    pub separator_conductivity_s_m: Option<f64>,
    pub nominal_concentration_mol_m3: Option<f64>,
    // binary
    pub initial_concentration_mol_m3: Option<f64>,
    pub cation_transference_number: Option<f64>,
    pub thermodynamic_factor: Option<RawFunction>,
    #[serde(rename = "conductivity_S_m")]
    pub conductivity_s_m: Option<RawFunction>,
    pub diffusivity_m2_s: Option<RawFunction>,
    #[serde(rename = "diffusivity_activation_energy_J_mol")]
    pub diffusivity_activation_energy_j_mol: Option<f64>,
    #[serde(rename = "diffusivity_reference_temperature_K")]
    pub diffusivity_reference_temperature_k: Option<f64>,
    // both
    #[serde(rename = "conductivity_activation_energy_J_mol")]
    pub conductivity_activation_energy_j_mol: Option<f64>,
    #[serde(rename = "conductivity_reference_temperature_K")]
    pub conductivity_reference_temperature_k: Option<f64>,
    #[serde(rename = "separator_conductivity_activation_energy_J_mol")]
    pub separator_conductivity_activation_energy_j_mol: Option<f64>,
    #[serde(rename = "separator_conductivity_reference_temperature_K")]
    pub separator_conductivity_reference_temperature_k: Option<f64>,
}

/// `anion_redox.activation_law`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RawActivationLaw {
    Potential,
    OxidisedOnCharge,
}

/// `anion_redox.oxygen_instability`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RawOxygenInstability {
    OxidisedOxygen,
    Potential,
}

/// `anion_redox.migration_law`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RawMigrationLaw {
    WhileOxidised,
    RearrangedOxygen,
}

/// `anion_redox.fade_law`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RawFadeLaw {
    RigidShift,
    LowerCouple,
}

/// `electrolyte.kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RawElectrolyteKind {
    SingleIon,
    Binary,
}

/// `[negative]`: the planar counter electrode.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawNegative {
    #[serde(rename = "ocp_V")]
    pub ocp_v: f64,
    #[serde(rename = "exchange_current_density_A_m2")]
    pub exchange_current_density_a_m2: Option<f64>,
    pub exchange_current_k: Option<f64>,
    pub li_metal_concentration_mol_m3: Option<f64>,
    #[serde(rename = "exchange_current_activation_energy_J_mol")]
    pub exchange_current_activation_energy_j_mol: Option<f64>,
    #[serde(rename = "exchange_current_reference_temperature_K")]
    pub exchange_current_reference_temperature_k: Option<f64>,
    #[serde(rename = "double_layer_capacitance_F_m2")]
    pub double_layer_capacitance_f_m2: Option<f64>,
}

/// `{ bruggeman = b }` or `{ tortuosity = tau }` (exactly one; checked in the conversion).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTransport {
    pub bruggeman: Option<f64>,
    pub tortuosity: Option<f64>,
}

/// A material function as written: a number, `{ table = "file.csv" }` or
/// `{ polynomial = [c0, c1, ...] }`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RawFunction {
    Constant(f64),
    Table(String),
    Polynomial(Vec<f64>),
}

const FUNCTION_KEYS: &[&str] = &["table", "polynomial"];

impl<'de> Deserialize<'de> for RawFunction {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RawFunctionVisitor)
    }
}

struct RawFunctionVisitor;

impl<'de> Visitor<'de> for RawFunctionVisitor {
    type Value = RawFunction;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number, { table = \"file.csv\" } or { polynomial = [c0, c1, ...] }")
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawFunction, E> {
        Ok(RawFunction::Constant(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawFunction, E> {
        Ok(RawFunction::Constant(v as f64))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawFunction, E> {
        Ok(RawFunction::Constant(v as f64))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawFunction, A::Error> {
        let mut found: Option<RawFunction> = None;
        while let Some(key) = map.next_key::<String>()? {
            if found.is_some() {
                return Err(de::Error::custom(
                    "expected exactly one of `table` or `polynomial`, found more than one key",
                ));
            }
            found = Some(match key.as_str() {
                "table" => RawFunction::Table(map.next_value()?),
                "polynomial" => RawFunction::Polynomial(map.next_value()?),
                other => return Err(de::Error::unknown_field(other, FUNCTION_KEYS)),
            });
        }
        found.ok_or_else(|| {
            de::Error::custom("expected exactly one of `table` or `polynomial`, found none")
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Scenario file
// ---------------------------------------------------------------------------------------------

/// A whole scenario file. `parameters` (the overrides) and `experiment` stay as TOML values
/// here: overrides are merged into the parameter tree before it is read, and the experiment is
/// read element by element so that an error can name its element.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawScenario {
    pub name: Option<String>,
    pub description: Option<String>,
    pub parameter_set: Option<String>,
    pub parameter_file: Option<String>,
    pub parameters: Option<toml::Table>,
    pub mesh: Option<RawMesh>,
    pub solver: Option<RawSolver>,
    pub experiment: Option<toml::Value>,
    pub save_cycles: Option<SaveCycles>,
    pub reference_cycle: Option<i64>,
    pub impedance: Option<RawImpedance>,
}

/// The keys of a scenario file, in the order the documentation gives them.
pub(crate) const SCENARIO_KEYS: &[&str] = &[
    "name",
    "description",
    "parameter_set",
    "parameter_file",
    "parameters",
    "mesh",
    "solver",
    "experiment",
    "save_cycles",
    "reference_cycle",
    "impedance",
];

/// The sections of a parameter file.
pub(crate) const PARAMETER_SECTIONS: &[&str] = &[
    "cell",
    "positive",
    "separator",
    "electrolyte",
    "negative",
    "anion_redox",
    "interphase",
    "cracking",
];

/// `[mesh]`; every key optional (defaults from `MeshSettings::default()`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMesh {
    /// Cells across the cathode, 1 to 1000.
    pub positive_x_cells: Option<usize>,
    /// Cells across the separator, 1 to 1000.
    pub separator_x_cells: Option<usize>,
    /// Shells along the particle radius, 2 to 1000. With the others: at most 200 000 unknowns,
    /// `positive_x_cells × (particle_r_cells + 5) + 2 separator_x_cells + 14`.
    pub particle_r_cells: Option<usize>,
    /// Refinement of the outermost shell, 1 to 1000.
    pub particle_surface_refinement: Option<usize>,
}

/// `[solver]`; every key optional (defaults from `SolverSettings::default()`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSolver {
    /// Relative tolerance \[-\], 1e-10 to 1e-2.
    pub rtol: Option<f64>,
    /// Absolute tolerance \[-\], 1e-14 to 1e-2.
    pub atol: Option<f64>,
    /// Internal steps per experiment step, 1 to 1e8.
    pub max_steps: Option<usize>,
    /// Spacing of the output rows \[s\], 1e-3 to 1e9 s, and at most 1e8 rows estimated over
    /// the saved cycles.
    pub output_interval_s: Option<f64>,
    pub capacitive_charging: Option<bool>,
    pub cycle_jumping: Option<RawCycleJumping>,
}

/// `[solver.cycle_jumping]`: its presence switches cycle jumping on; every key optional
/// (defaults from `CycleJumping::default()`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCycleJumping {
    /// Relative tolerance per jump \[-\], in (0, 1).
    pub tolerance: Option<f64>,
    /// Largest jump, 2 to 1e6 cycles.
    pub max_jump: Option<usize>,
    /// Cycles resolved between jumps, 3 to 10 000.
    pub resolved_cycles: Option<usize>,
}

/// `[impedance]`: spectra during the run. Exactly one of `every_cycles` and `cycles` (checked
/// in the conversion, `super::impedance_request`); the others optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawImpedance {
    pub every_cycles: Option<usize>,
    pub first_cycle: Option<usize>,
    pub cycles: Option<Vec<usize>>,
    pub after: Option<String>,
    /// Rest before a spectrum \[min\], 0 to 1e6.
    pub rest_minutes: Option<f64>,
    /// Lowest frequency \[Hz\], 1e-6 to 1e9 Hz.
    #[serde(rename = "f_min_Hz")]
    pub f_min_hz: Option<f64>,
    /// Highest frequency \[Hz\], above `f_min_Hz`, at most 1e9 Hz.
    #[serde(rename = "f_max_Hz")]
    pub f_max_hz: Option<f64>,
    /// Frequencies per decade, 1 to 1000, and at most 10 000 frequencies in all.
    pub points_per_decade: Option<usize>,
    /// Refinement of the measuring model's outermost shell, 1 to 1000.
    pub particle_surface_refinement: Option<usize>,
    pub circuit: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn function(text: &str) -> Result<RawFunction, toml::de::Error> {
        #[derive(Deserialize)]
        struct W {
            f: RawFunction,
        }
        let v: toml::Value = toml::from_str(&format!("f = {text}")).unwrap();
        v.try_into::<W>().map(|w| w.f)
    }

    #[test]
    fn functions_in_all_three_forms() {
        assert_eq!(function("2").unwrap(), RawFunction::Constant(2.0));
        assert_eq!(function("2.5e-3").unwrap(), RawFunction::Constant(2.5e-3));
        assert_eq!(
            function("{ table = \"a.csv\" }").unwrap(),
            RawFunction::Table("a.csv".into())
        );
        assert_eq!(
            function("{ polynomial = [1, 2.0] }").unwrap(),
            RawFunction::Polynomial(vec![1.0, 2.0])
        );
    }

    #[test]
    fn malformed_functions_say_what_is_expected() {
        let e = function("\"x\"").unwrap_err().to_string();
        assert!(e.contains("a number, { table"), "{e}");
        let e = function("{ tabel = \"a.csv\" }").unwrap_err().to_string();
        assert!(e.contains("unknown field `tabel`"), "{e}");
        let e = function("{ table = \"a.csv\", polynomial = [1] }")
            .unwrap_err()
            .to_string();
        assert!(e.contains("exactly one"), "{e}");
    }
}
