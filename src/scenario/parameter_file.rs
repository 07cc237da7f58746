//! Parameter files (TOML) into validated [`CellParameters`].
//!
//! The file is parsed into a TOML tree, the scenario's overrides are merged into the tree, the
//! tree is read into the raw structs of [`super::raw`] (unknown keys rejected), material
//! functions are built (tables loaded from CSV), and finally
//! [`CellParameters::validate`] checks the physics. Every error names the file that has to
//! change (the parameter file, or the scenario for an overridden key), the key and what was
//! expected. The format is documented in `docs/scenario.md`.

use std::path::{Path, PathBuf};

use crate::physics::anion_redox::{
    Activation, AnionRedox, FadeLaw, LowerCouple, MigrationLaw, OxygenInstability,
    OxygenRearrangement,
};
use crate::physics::cracking::{ContactLossOrder, Cracking};
use crate::physics::interphase::{Interphase, SealingLaw};
use crate::physics::material::{Arrhenius, MaterialFunction};
use crate::physics::msmr::Gallery;
use crate::physics::parameters::{
    CathodeExchangeCurrent, CathodeOcp, CellParameters, CounterElectrode, CounterExchangeCurrent,
    Electrolyte, GrainBoundary, MsmrOcp, PositiveElectrode, Separator, TransportEfficiency,
};
use crate::physics::percolation::CarbonNetwork;

use super::builtin::BuiltinParameterSet;
use super::error::{from_toml_de, toml_table, Origin, ScenarioError};
use super::overrides::{override_key, type_name, Overrides};
use super::raw::{
    RawActivationLaw, RawAnionRedox, RawCell, RawContactLossOrder, RawCracking, RawElectrolyte,
    RawElectrolyteKind, RawFadeLaw, RawFunction, RawGallery, RawInterphase, RawMigrationLaw,
    RawMsmr, RawNegative, RawOxygenInstability, RawParameterFile, RawPositive, RawSealingLaw,
    RawSeparator, RawTransport,
};
use super::table_csv::parse_table;

/// Where relative table file names of a parameter file resolve.
enum TableBase {
    /// The folder of a parameter file on disk.
    Dir(PathBuf),
    /// The embedded files of a built-in set.
    Builtin(&'static BuiltinParameterSet),
}

/// Reads the parameter file at `path` with `overrides` applied.
pub(crate) fn load_file(
    path: &Path,
    overrides: &Overrides,
) -> Result<CellParameters, ScenarioError> {
    let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
        file: path.to_path_buf(),
        source,
    })?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let origin = Origin::File(path.to_path_buf());
    let ctx = Ctx {
        origin: origin.clone(),
        tables: TableBase::Dir(dir),
        overrides,
    };
    // An error about a key of this file names its line.
    ctx.load(&text).map_err(|e| e.located(&origin, &text))
}

impl BuiltinParameterSet {
    /// Reads and validates the set (here, not beside the set's data in `builtin`, so that the
    /// embedded sets depend on nothing and the reader on them).
    pub fn load(&'static self) -> Result<CellParameters, ScenarioError> {
        load_builtin(self, &Overrides::none())
    }
}

/// Reads a built-in set with `overrides` applied.
pub(crate) fn load_builtin(
    set: &'static BuiltinParameterSet,
    overrides: &Overrides,
) -> Result<CellParameters, ScenarioError> {
    let ctx = Ctx {
        origin: Origin::Builtin(set.name),
        tables: TableBase::Builtin(set),
        overrides,
    };
    ctx.load(set.parameter_file)
}

struct Ctx<'a> {
    origin: Origin,
    tables: TableBase,
    overrides: &'a Overrides,
}

impl Ctx<'_> {
    fn load(&self, text: &str) -> Result<CellParameters, ScenarioError> {
        let mut tree: toml::Table = toml_table(text, &self.origin)?;
        let file_tree = tree.clone();
        self.overrides.apply(&mut tree)?;
        let raw: RawParameterFile = toml::Value::Table(tree).try_into().map_err(|e| {
            self.missing_in_created_table(&file_tree, from_toml_de(&self.origin, "", &e))
        })?;
        let params = self.convert(raw)?;
        params
            .validate()
            .map_err(|e| self.err(&file_key(&e.path), e.message))?;
        Ok(params)
    }

    /// A key error, attributed to the scenario if an override set the key. A key inside an
    /// array (`positive.msmr.cationic[2].omega`) is blamed on whoever set the array, which
    /// overrides replace as a whole.
    fn err(&self, key: &str, expected: impl Into<String>) -> ScenarioError {
        let blamed = match key.split_once('[') {
            Some((array, _)) => self
                .overrides
                .blame(array)
                .map(|(origin, _)| (origin, override_key(key))),
            None => self.overrides.blame(key),
        };
        let (origin, key) = blamed.unwrap_or_else(|| (self.origin.clone(), key.to_string()));
        ScenarioError::Key {
            origin,
            position: None,
            key,
            expected: expected.into(),
        }
    }

    fn reblame(&self, e: ScenarioError) -> ScenarioError {
        match e {
            ScenarioError::Key { key, expected, .. } => self.err(&key, expected),
            other => other,
        }
    }

    /// As [`Self::reblame`], but a key missing from a table that the parameter file does not
    /// have (`file_tree`: the file before the overrides) is blamed on the overrides that
    /// created the table, with the reason: an override that adds a section has to give all of
    /// its keys.
    fn missing_in_created_table(&self, file_tree: &toml::Table, e: ScenarioError) -> ScenarioError {
        let ScenarioError::Key { key, expected, .. } = &e else {
            return e;
        };
        if expected != "missing required key" {
            return self.reblame(e);
        }
        let Some(created) = created_table(file_tree, key) else {
            return self.reblame(e);
        };
        match self.overrides.blame(&created) {
            Some((origin, _)) => ScenarioError::Key {
                origin,
                position: None,
                key: override_key(key),
                expected: format!(
                    "missing required key: the parameter file has no `[{created}]`, so the overrides that add it have to give every key of it"
                ),
            },
            None => self.reblame(e),
        }
    }

    fn convert(&self, raw: RawParameterFile) -> Result<CellParameters, ScenarioError> {
        if raw.name.trim().is_empty() {
            return Err(self.err("name", "expected a non-empty name"));
        }
        let RawCell {
            temperature_k,
            area_m2,
            nominal_capacity_ah,
            one_c_specific_current_ma_g,
            lower_cutoff_v,
            upper_cutoff_v,
        } = raw.cell;
        Ok(CellParameters {
            name: raw.name,
            source: raw.source,
            temperature_k,
            area_m2,
            nominal_capacity_ah,
            one_c_specific_current_a_kg: one_c_specific_current_ma_g,
            lower_cutoff_v,
            upper_cutoff_v,
            positive: self.positive(raw.positive)?,
            separator: self.separator(raw.separator)?,
            electrolyte: self.electrolyte(raw.electrolyte)?,
            negative: self.negative(raw.negative)?,
            anion_redox: raw.anion_redox.map(|a| self.anion_redox(a)).transpose()?,
            interphase: raw.interphase.map(|i| self.interphase(i)).transpose()?,
            cracking: raw.cracking.map(cracking),
        })
    }

    /// `positive.ocp_V` or `[positive.msmr]`: exactly one.
    fn ocp(
        &self,
        ocp_v: Option<RawFunction>,
        msmr: Option<RawMsmr>,
    ) -> Result<CathodeOcp, ScenarioError> {
        const FORMS: &str = "either `positive.ocp_V` (a function of the stoichiometry) or a `[positive.msmr]` table (MSMR galleries)";
        match (ocp_v, msmr) {
            (Some(f), None) => Ok(CathodeOcp::Function(self.function("positive.ocp_V", f)?)),
            (None, Some(m)) => Ok(CathodeOcp::Msmr(self.msmr(m)?)),
            (Some(_), Some(_)) => {
                // Name the form an override added, if one did, so that the scenario is blamed.
                let by_override = (
                    self.overrides.blame("positive.ocp_V").is_some(),
                    self.overrides.blame("positive.msmr").is_some(),
                );
                let key = match by_override {
                    (true, false) => "positive.ocp_V",
                    _ => "positive.msmr",
                };
                let hint = if by_override.0 || by_override.1 {
                    " (an override cannot remove the other form: to switch forms, write a parameter file)"
                } else {
                    ""
                };
                Err(self.err(key, format!("expected {FORMS}, found both{hint}")))
            }
            (None, None) => Err(self.err(
                "positive.ocp_V",
                format!("missing required key; expected {FORMS}"),
            )),
        }
    }

    /// `[positive.msmr]`, its galleries read one by one (numbered from 1 in errors).
    fn msmr(&self, m: RawMsmr) -> Result<MsmrOcp, ScenarioError> {
        let cationic = m
            .cationic
            .into_iter()
            .enumerate()
            .map(|(k, value)| {
                let prefix = format!("positive.msmr.cationic[{}]", k + 1);
                if !value.is_table() {
                    return Err(self.err(
                        &prefix,
                        format!(
                            "expected a gallery {{ capacity = …, standard_potential_V = …, omega = … }}, found {}",
                            type_name(&value)
                        ),
                    ));
                }
                value
                    .try_into::<RawGallery>()
                    .map(|g| Gallery {
                        capacity: g.capacity,
                        standard_potential_v: g.standard_potential_v,
                        omega: g.omega,
                    })
                    .map_err(|e| self.reblame(from_toml_de(&self.origin, &prefix, &e)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(MsmrOcp {
            lithium_per_formula_max: m.lithium_per_formula_max,
            cationic,
        })
    }

    fn positive(&self, p: RawPositive) -> Result<PositiveElectrode, ScenarioError> {
        let solid_diffusivity_m2_s =
            self.function("positive.solid_diffusivity_m2_s", p.solid_diffusivity_m2_s)?;
        Ok(PositiveElectrode {
            thickness_m: p.thickness_m,
            active_material_volume_fraction: p.active_material_volume_fraction,
            electrolyte_volume_fraction: p.electrolyte_volume_fraction,
            electrolyte_transport: self
                .transport("positive.electrolyte_transport", &p.electrolyte_transport)?,
            electronic_transport: self
                .transport("positive.electronic_transport", &p.electronic_transport)?,
            electronic_conductivity_s_m: p.electronic_conductivity_s_m,
            electronic_conductivity_arrhenius: self.arrhenius(
                "positive.electronic_conductivity",
                p.electronic_conductivity_activation_energy_j_mol,
                p.electronic_conductivity_reference_temperature_k,
            )?,
            particle_radius_m: p.particle_radius_m,
            solid_diffusivity_m2_s,
            solid_diffusivity_arrhenius: self.arrhenius(
                "positive.solid_diffusivity",
                p.solid_diffusivity_activation_energy_j_mol,
                p.solid_diffusivity_reference_temperature_k,
            )?,
            max_concentration_mol_m3: p.max_concentration_mol_m3,
            initial_concentration_mol_m3: p.initial_concentration_mol_m3,
            ocp: self.ocp(p.ocp_v, p.msmr)?,
            exchange_current: CathodeExchangeCurrent {
                k: p.exchange_current_k,
                arrhenius: self.arrhenius(
                    "positive.exchange_current",
                    p.exchange_current_activation_energy_j_mol,
                    p.exchange_current_reference_temperature_k,
                )?,
            },
            film_resistance_ohm_m2: p.film_resistance_ohm_m2.unwrap_or(0.0),
            double_layer_capacitance_f_m2: p.double_layer_capacitance_f_m2.unwrap_or(0.0),
            contact_fraction: p.contact_fraction.unwrap_or(1.0),
            active_material_density_kg_m3: p.active_material_density_kg_m3,
            carbon_network: p.carbon_network.map(|c| CarbonNetwork {
                volume_fraction: c.volume_fraction,
                conductivity_s_m: c.conductivity_s_m,
                percolation_threshold: c.percolation_threshold,
                percolation_exponent: c.percolation_exponent,
            }),
        })
    }

    fn separator(&self, s: RawSeparator) -> Result<Separator, ScenarioError> {
        let grain_boundary = match (
            s.grain_boundary_resistance_ohm_m2,
            s.grain_boundary_capacitance_f_m2,
        ) {
            (None, None) => None,
            (Some(r), Some(c)) => Some(GrainBoundary {
                resistance_ohm_m2: r,
                capacitance_f_m2: c,
            }),
            (Some(_), None) => {
                return Err(self.err(
                    "separator.grain_boundary_capacitance_F_m2",
                    "expected it with separator.grain_boundary_resistance_ohm_m2 (the grain boundaries are a resistance in parallel with a capacitance)",
                ))
            }
            (None, Some(_)) => {
                return Err(self.err(
                    "separator.grain_boundary_resistance_ohm_m2",
                    "expected it with separator.grain_boundary_capacitance_F_m2 (the grain boundaries are a resistance in parallel with a capacitance)",
                ))
            }
        };
        Ok(Separator {
            thickness_m: s.thickness_m,
            electrolyte_volume_fraction: s.electrolyte_volume_fraction,
            electrolyte_transport: self
                .transport("separator.electrolyte_transport", &s.electrolyte_transport)?,
            grain_boundary,
        })
    }

    fn electrolyte(&self, e: RawElectrolyte) -> Result<Electrolyte, ScenarioError> {
        let conductivity_arrhenius = self.arrhenius(
            "electrolyte.conductivity",
            e.conductivity_activation_energy_j_mol,
            e.conductivity_reference_temperature_k,
        )?;
        let present = |v: bool, key: &'static str| if v { Some(key) } else { None };
        match e.kind {
            RawElectrolyteKind::SingleIon => {
                let foreign = [
                    present(
                        e.initial_concentration_mol_m3.is_some(),
                        "initial_concentration_mol_m3",
                    ),
                    present(
                        e.cation_transference_number.is_some(),
                        "cation_transference_number",
                    ),
                    present(e.thermodynamic_factor.is_some(), "thermodynamic_factor"),
                    present(e.conductivity_s_m.is_some(), "conductivity_S_m"),
                    present(e.diffusivity_m2_s.is_some(), "diffusivity_m2_s"),
                    present(
                        e.diffusivity_activation_energy_j_mol.is_some(),
                        "diffusivity_activation_energy_J_mol",
                    ),
                    present(
                        e.diffusivity_reference_temperature_k.is_some(),
                        "diffusivity_reference_temperature_K",
                    ),
                ];
                self.reject_foreign(&foreign, "single_ion", SINGLE_ION_KEYS)?;
                let separator_conductivity_arrhenius = match (
                    e.separator_conductivity_activation_energy_j_mol,
                    e.separator_conductivity_reference_temperature_k,
                ) {
                    (None, None) => None,
                    (ea, tref) => {
                        Some(self.arrhenius("electrolyte.separator_conductivity", ea, tref)?)
                    }
                };
                Ok(Electrolyte::SingleIon {
                    positive_conductivity_s_m: self.required(
                        "electrolyte.positive_conductivity_S_m",
                        e.positive_conductivity_s_m,
                        "single_ion",
                    )?,
                    separator_conductivity_s_m: self.required(
                        "electrolyte.separator_conductivity_S_m",
                        e.separator_conductivity_s_m,
                        "single_ion",
                    )?,
                    conductivity_arrhenius,
                    separator_conductivity_arrhenius,
                    nominal_concentration_mol_m3: self.required(
                        "electrolyte.nominal_concentration_mol_m3",
                        e.nominal_concentration_mol_m3,
                        "single_ion",
                    )?,
                })
            }
            RawElectrolyteKind::Binary => {
                let foreign = [
                    present(
                        e.positive_conductivity_s_m.is_some(),
                        "positive_conductivity_S_m",
                    ),
                    present(
                        e.separator_conductivity_s_m.is_some(),
                        "separator_conductivity_S_m",
                    ),
                    present(
                        e.nominal_concentration_mol_m3.is_some(),
                        "nominal_concentration_mol_m3",
                    ),
                ];
                self.reject_foreign(&foreign, "binary", BINARY_KEYS)?;
                let initial_concentration_mol_m3 = self.required(
                    "electrolyte.initial_concentration_mol_m3",
                    e.initial_concentration_mol_m3,
                    "binary",
                )?;
                let cation_transference_number = self.required(
                    "electrolyte.cation_transference_number",
                    e.cation_transference_number,
                    "binary",
                )?;
                let thermodynamic_factor = self.function(
                    "electrolyte.thermodynamic_factor",
                    self.required(
                        "electrolyte.thermodynamic_factor",
                        e.thermodynamic_factor,
                        "binary",
                    )?,
                )?;
                let conductivity_s_m = self.function(
                    "electrolyte.conductivity_S_m",
                    self.required("electrolyte.conductivity_S_m", e.conductivity_s_m, "binary")?,
                )?;
                let diffusivity_m2_s = self.function(
                    "electrolyte.diffusivity_m2_s",
                    self.required("electrolyte.diffusivity_m2_s", e.diffusivity_m2_s, "binary")?,
                )?;
                Ok(Electrolyte::Binary {
                    initial_concentration_mol_m3,
                    cation_transference_number,
                    thermodynamic_factor,
                    conductivity_s_m,
                    conductivity_arrhenius,
                    diffusivity_m2_s,
                    diffusivity_arrhenius: self.arrhenius(
                        "electrolyte.diffusivity",
                        e.diffusivity_activation_energy_j_mol,
                        e.diffusivity_reference_temperature_k,
                    )?,
                })
            }
        }
    }

    fn reject_foreign(
        &self,
        foreign: &[Option<&'static str>],
        kind: &str,
        keys: &[&str],
    ) -> Result<(), ScenarioError> {
        if let Some(key) = foreign.iter().flatten().next() {
            return Err(self.err(
                &format!("electrolyte.{key}"),
                format!(
                    "not a key of kind = \"{kind}\"; expected only {}",
                    keys.iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        Ok(())
    }

    /// `[anion_redox]`: the keys of its `activation_law`, required or forbidden.
    fn activation_law(&self, a: &RawAnionRedox) -> Result<Activation, ScenarioError> {
        match a.activation_law {
            Some(RawActivationLaw::OxidisedOnCharge) => {
                for (key, given) in [
                    ("activation_potential_V", a.activation_potential_v.is_some()),
                    ("activation_width_V", a.activation_width_v.is_some()),
                ] {
                    if given {
                        return Err(self.err(
                            &format!("anion_redox.{key}"),
                            "not a key of activation_law = \"oxidised_on_charge\" (activation follows the oxidised oxygen on charge, not a potential); remove it, or set activation_law = \"potential\"".to_string(),
                        ));
                    }
                }
                Ok(Activation::OxidisedOnCharge)
            }
            None | Some(RawActivationLaw::Potential) => {
                let required = |key: &str, value: Option<f64>| {
                    value.ok_or_else(|| {
                        self.err(
                            &format!("anion_redox.{key}"),
                            "missing required key (for activation_law = \"potential\", the default; or set activation_law = \"oxidised_on_charge\")".to_string(),
                        )
                    })
                };
                Ok(Activation::Potential {
                    potential_v: required("activation_potential_V", a.activation_potential_v)?,
                    width_v: required("activation_width_V", a.activation_width_v)?,
                })
            }
        }
    }

    /// `[anion_redox]`: the keys of its `oxygen_instability` law, required or forbidden.
    fn anion_redox(&self, a: RawAnionRedox) -> Result<AnionRedox, ScenarioError> {
        let instability = match a.oxygen_instability {
            Some(RawOxygenInstability::OxidisedOxygen) => {
                for (key, given) in [
                    (
                        "oxygen_loss_potential_V",
                        a.oxygen_loss_potential_v.is_some(),
                    ),
                    ("oxygen_loss_width_V", a.oxygen_loss_width_v.is_some()),
                ] {
                    if given {
                        return Err(self.err(
                            &format!("anion_redox.{key}"),
                            "not a key of oxygen_instability = \"oxidised_oxygen\" (the instability follows the anionic gallery's own potential); remove it, or set oxygen_instability = \"potential\"".to_string(),
                        ));
                    }
                }
                OxygenInstability::OxidisedOxygen
            }
            None | Some(RawOxygenInstability::Potential) => {
                let required = |key: &str, value: Option<f64>| {
                    value.ok_or_else(|| {
                        self.err(
                            &format!("anion_redox.{key}"),
                            "missing required key (for oxygen_instability = \"potential\", the default; or set oxygen_instability = \"oxidised_oxygen\")".to_string(),
                        )
                    })
                };
                OxygenInstability::Potential {
                    potential_v: required("oxygen_loss_potential_V", a.oxygen_loss_potential_v)?,
                    width_v: required("oxygen_loss_width_V", a.oxygen_loss_width_v)?,
                }
            }
        };
        let activation = self.activation_law(&a)?;
        let migration = self.migration_law(&a)?;
        let (fade_law, migration_rate_v_s) = self.fade_law(&a)?;
        let kinetics_arrhenius = self.arrhenius(
            "anion_redox.kinetics",
            a.kinetics_activation_energy_j_mol,
            a.kinetics_reference_temperature_k,
        )?;
        Ok(anion_redox(
            a,
            activation,
            instability,
            migration,
            fade_law,
            migration_rate_v_s,
            kinetics_arrhenius,
        ))
    }

    /// `[interphase]`, with its optional Arrhenius laws.
    fn interphase(&self, i: RawInterphase) -> Result<Interphase, ScenarioError> {
        let growth_arrhenius = self.arrhenius(
            "interphase.growth",
            i.growth_activation_energy_j_mol,
            i.growth_reference_temperature_k,
        )?;
        let conduction_arrhenius = self.arrhenius(
            "interphase.conduction",
            i.conduction_activation_energy_j_mol,
            i.conduction_reference_temperature_k,
        )?;
        Ok(interphase(i, growth_arrhenius, conduction_arrhenius))
    }

    /// `anion_redox.fade_law` and its keys, required or forbidden, with the rigid law's
    /// migration rate \[V/s\] (0 with the lower couple, whose rate is its own).
    fn fade_law(&self, a: &RawAnionRedox) -> Result<(FadeLaw, f64), ScenarioError> {
        let keys = [
            ("lower_couple_potential_V", a.lower_couple_potential_v),
            ("lower_couple_omega", a.lower_couple_omega),
            ("reduced_metal_per_oxygen", a.reduced_metal_per_oxygen),
            ("migration_rate_per_s", a.migration_rate_per_s),
        ];
        match a.fade_law {
            None | Some(RawFadeLaw::RigidShift) => {
                let optional = [
                    ("reduced_metal_potential_V", a.reduced_metal_potential_v),
                    ("lower_couple_spread_V", a.lower_couple_spread_v),
                ];
                if let Some((key, _)) = keys.iter().chain(&optional).find(|(_, v)| v.is_some()) {
                    return Err(self.err(
                        &format!("anion_redox.{key}"),
                        "not a key of fade_law = \"rigid_shift\" (the default: every gallery shifts by β X_O + M); remove it, or set fade_law = \"lower_couple\"".to_string(),
                    ));
                }
                let rate = a.migration_rate_v_per_s.ok_or_else(|| {
                    self.err(
                        "anion_redox.migration_rate_V_per_s",
                        "missing required key (for fade_law = \"rigid_shift\", the default; with fade_law = \"lower_couple\" the rate is migration_rate_per_s)".to_string(),
                    )
                })?;
                Ok((FadeLaw::RigidShift, rate))
            }
            Some(RawFadeLaw::LowerCouple) => {
                // 0 is accepted, so that a parameter set of the rigid law can be switched by
                // overrides (which cannot remove a key).
                if a.migration_rate_v_per_s.is_some_and(|v| v != 0.0) {
                    return Err(self.err(
                        "anion_redox.migration_rate_V_per_s",
                        "not a key of fade_law = \"lower_couple\" (migration moves a fraction of the cationic capacity, at migration_rate_per_s in 1/s); remove it or set it to 0, or set fade_law = \"rigid_shift\"".to_string(),
                    ));
                }
                let mut values = [0.0; 4];
                for ((key, value), out) in keys.iter().zip(values.iter_mut()) {
                    *out = value.ok_or_else(|| {
                        self.err(
                            &format!("anion_redox.{key}"),
                            "missing required key (for fade_law = \"lower_couple\")".to_string(),
                        )
                    })?;
                }
                Ok((
                    FadeLaw::LowerCouple(LowerCouple {
                        standard_potential_v: values[0],
                        omega: values[1],
                        reduced_metal_per_oxygen: values[2],
                        reduced_metal_potential_v: a.reduced_metal_potential_v.unwrap_or(values[0]),
                        spread_v: a.lower_couple_spread_v.unwrap_or(0.0),
                        migration_rate_1_s: values[3],
                    }),
                    0.0,
                ))
            }
        }
    }

    /// `anion_redox.migration_law` and its keys, required or forbidden.
    fn migration_law(&self, a: &RawAnionRedox) -> Result<MigrationLaw, ScenarioError> {
        let keys = [
            ("rearrangement_rate_per_s", a.rearrangement_rate_per_s),
            (
                "rearrangement_reversal_rate_per_s",
                a.rearrangement_reversal_rate_per_s,
            ),
            ("migration_vacancy_capacity", a.migration_vacancy_capacity),
        ];
        match a.migration_law {
            None | Some(RawMigrationLaw::WhileOxidised) => {
                if let Some((key, _)) = keys.iter().find(|(_, v)| v.is_some()) {
                    return Err(self.err(
                        &format!("anion_redox.{key}"),
                        "not a key of migration_law = \"while_oxidised\" (the default: migration at once while the oxygen is oxidised); remove it, or set migration_law = \"rearranged_oxygen\"".to_string(),
                    ));
                }
                Ok(MigrationLaw::WhileOxidised)
            }
            Some(RawMigrationLaw::RearrangedOxygen) => {
                let mut values = [0.0; 3];
                for ((key, value), out) in keys.iter().zip(values.iter_mut()) {
                    *out = value.ok_or_else(|| {
                        self.err(
                            &format!("anion_redox.{key}"),
                            "missing required key (for migration_law = \"rearranged_oxygen\")"
                                .to_string(),
                        )
                    })?;
                }
                Ok(MigrationLaw::RearrangedOxygen(OxygenRearrangement {
                    rate_1_s: values[0],
                    reversal_rate_1_s: values[1],
                    vacancy_capacity: values[2],
                }))
            }
        }
    }

    fn required<T>(&self, key: &str, value: Option<T>, kind: &str) -> Result<T, ScenarioError> {
        value.ok_or_else(|| self.err(key, format!("missing required key (for kind = \"{kind}\")")))
    }

    fn negative(&self, n: RawNegative) -> Result<CounterElectrode, ScenarioError> {
        let arrhenius = self.arrhenius(
            "negative.exchange_current",
            n.exchange_current_activation_energy_j_mol,
            n.exchange_current_reference_temperature_k,
        )?;
        const FORMS: &str = "either `exchange_current_density_A_m2` (a constant j0) or `exchange_current_k` with `li_metal_concentration_mol_m3` (lithium metal, j0 = k c_Li^0.7 c_e^0.3)";
        let exchange_current = match (
            n.exchange_current_density_a_m2,
            n.exchange_current_k,
            n.li_metal_concentration_mol_m3,
        ) {
            (Some(j0_a_m2), None, None) => CounterExchangeCurrent::Constant { j0_a_m2, arrhenius },
            (None, Some(k), Some(c_li_mol_m3)) => CounterExchangeCurrent::LithiumMetal {
                k,
                c_li_mol_m3,
                arrhenius,
            },
            (Some(_), _, _) => {
                return Err(self.err(
                    "negative.exchange_current_density_A_m2",
                    format!("expected {FORMS}, found both forms"),
                ))
            }
            (None, Some(_), None) => {
                return Err(self.err(
                    "negative.li_metal_concentration_mol_m3",
                    "missing required key (required with `exchange_current_k`)",
                ))
            }
            (None, None, Some(_)) => {
                return Err(self.err(
                    "negative.exchange_current_k",
                    "missing required key (required with `li_metal_concentration_mol_m3`)",
                ))
            }
            (None, None, None) => {
                return Err(self.err(
                    "negative.exchange_current_density_A_m2",
                    format!("missing required key; expected {FORMS}"),
                ))
            }
        };
        Ok(CounterElectrode {
            ocp_v: n.ocp_v,
            exchange_current,
            double_layer_capacitance_f_m2: n.double_layer_capacitance_f_m2.unwrap_or(0.0),
        })
    }

    fn transport(&self, key: &str, t: &RawTransport) -> Result<TransportEfficiency, ScenarioError> {
        match (t.bruggeman, t.tortuosity) {
            (Some(exponent), None) => Ok(TransportEfficiency::Bruggeman { exponent }),
            (None, Some(tortuosity)) => Ok(TransportEfficiency::Tortuosity { tortuosity }),
            (Some(_), Some(_)) => Err(self.err(
                key,
                "expected exactly one of `bruggeman` or `tortuosity`, found both",
            )),
            (None, None) => Err(self.err(
                key,
                "expected exactly one of `bruggeman` or `tortuosity`, found neither",
            )),
        }
    }

    /// Arrhenius keys `<prefix>_activation_energy_J_mol` and `<prefix>_reference_temperature_K`.
    fn arrhenius(
        &self,
        prefix: &str,
        activation_energy: Option<f64>,
        reference_temperature: Option<f64>,
    ) -> Result<Arrhenius, ScenarioError> {
        let ea_key = format!("{prefix}_activation_energy_J_mol");
        let t_key = format!("{prefix}_reference_temperature_K");
        match (activation_energy, reference_temperature) {
            (None, None) => Ok(Arrhenius::NONE),
            // The ranges are checked by `CellParameters::validate`.
            (Some(ea), Some(t)) => Ok(Arrhenius {
                activation_energy_j_mol: ea,
                reference_temperature_k: t,
            }),
            (Some(_), None) => Err(self.err(
                &t_key,
                format!(
                    "missing required key (required with `{}`)",
                    last_segment(&ea_key)
                ),
            )),
            (None, Some(_)) => Err(self.err(
                &ea_key,
                format!(
                    "missing required key (`{}` has no effect without an activation energy)",
                    last_segment(&t_key)
                ),
            )),
        }
    }

    fn function(&self, key: &str, raw: RawFunction) -> Result<MaterialFunction, ScenarioError> {
        match raw {
            // Its range (which excludes NaN and ±∞) is checked by `CellParameters::validate`.
            RawFunction::Constant(v) => Ok(MaterialFunction::Constant(v)),
            RawFunction::Polynomial(c) => {
                if c.is_empty() {
                    Err(self.err(
                        &format!("{key}.polynomial"),
                        "expected at least one coefficient [c0, c1, ...], found an empty array",
                    ))
                } else if let Some(bad) = c.iter().find(|v| !v.is_finite()) {
                    Err(self.err(
                        &format!("{key}.polynomial"),
                        format!("expected finite coefficients, found {bad}"),
                    ))
                } else {
                    Ok(MaterialFunction::Polynomial(c))
                }
            }
            RawFunction::Table(name) => self.table(&format!("{key}.table"), &name),
        }
    }

    fn table(&self, key: &str, name: &str) -> Result<MaterialFunction, ScenarioError> {
        let (origin, shown_key) = self
            .overrides
            .blame(key)
            .unwrap_or_else(|| (self.origin.clone(), key.to_string()));
        let as_path = Path::new(name);
        let (text, table_path, source): (std::borrow::Cow<'_, str>, PathBuf, String) = match &self
            .tables
        {
            TableBase::Builtin(set) if !as_path.is_absolute() => match set.table(name) {
                Some(text) => (
                    text.into(),
                    PathBuf::from(name),
                    format!("built-in parameter set `{}`: {name}", set.name),
                ),
                None => {
                    let known: Vec<String> =
                        set.tables.iter().map(|(n, _)| format!("`{n}`")).collect();
                    return Err(ScenarioError::Key {
                        origin,
                        position: None,
                        key: shown_key,
                        expected: format!(
                            "expected one of the set's tables {}, found \"{name}\"",
                            known.join(", ")
                        ),
                    });
                }
            },
            tables => {
                let path = match tables {
                    TableBase::Dir(dir) => dir.join(as_path),
                    TableBase::Builtin(_) => as_path.to_path_buf(),
                };
                let text =
                    std::fs::read_to_string(&path).map_err(|source| ScenarioError::TableRead {
                        origin: origin.clone(),
                        key: shown_key.clone(),
                        table: path.clone(),
                        source,
                    })?;
                let source = path.display().to_string();
                (text.into(), path, source)
            }
        };
        parse_table(&text, &source)
            .map(MaterialFunction::Table)
            .map_err(|e| ScenarioError::Table {
                origin,
                key: shown_key,
                table: table_path,
                line: e.line,
                expected: e.expected,
            })
    }
}

const SINGLE_ION_KEYS: &[&str] = &[
    "kind",
    "positive_conductivity_S_m",
    "separator_conductivity_S_m",
    "nominal_concentration_mol_m3",
    "conductivity_activation_energy_J_mol",
    "conductivity_reference_temperature_K",
    "separator_conductivity_activation_energy_J_mol",
    "separator_conductivity_reference_temperature_K",
];

const BINARY_KEYS: &[&str] = &[
    "kind",
    "initial_concentration_mol_m3",
    "cation_transference_number",
    "thermodynamic_factor",
    "conductivity_S_m",
    "conductivity_activation_energy_J_mol",
    "conductivity_reference_temperature_K",
    "diffusivity_m2_s",
    "diffusivity_activation_energy_J_mol",
    "diffusivity_reference_temperature_K",
];

/// `[anion_redox]` as read, with the instability law's keys (ranges are checked by
/// [`CellParameters::validate`]).
#[allow(clippy::too_many_arguments)]
fn anion_redox(
    a: RawAnionRedox,
    activation: Activation,
    instability: OxygenInstability,
    migration: MigrationLaw,
    fade_law: FadeLaw,
    migration_rate_v_s: f64,
    kinetics_arrhenius: Arrhenius,
) -> AnionRedox {
    AnionRedox {
        standard_potential_v: a.standard_potential_v,
        omega: a.omega,
        hysteresis_v: a.hysteresis_v,
        hysteresis_rate: a.hysteresis_rate,
        hysteresis_growth_v: a.hysteresis_growth_v.unwrap_or(0.0),
        exchange_current_ratio: a.exchange_current_ratio.unwrap_or(1.0),
        lattice_capacity: a.lattice_capacity,
        initial_active_capacity: a.initial_active_capacity,
        activation_rate_1_s: a.activation_rate_per_s,
        activation,
        irreversible_fraction: a.irreversible_fraction,
        oxygen_loss_bulk_per_li: a.oxygen_loss_bulk_per_li,
        oxygen_loss_surface_m2_c: a.oxygen_loss_surface_m2_c,
        oxygen_loss_contact_m_s: a.oxygen_loss_contact_m_s.unwrap_or(0.0),
        densified_per_oxygen: a.densified_per_oxygen.unwrap_or(0.0),
        instability,
        fade_v_per_li: a.fade_v_per_li,
        migration_rate_v_s,
        migration,
        fade_law,
        kinetics_arrhenius,
    }
}

/// The sealing thickness of a film when `sealing_thickness_m` is absent \[m\]: a dense
/// film closes over the surface within a few monolayers of product (about 1 nm).
const DEFAULT_SEALING_THICKNESS_M: f64 = 1e-9;

/// `[interphase]` as read (ranges are checked by [`CellParameters::validate`]).
fn interphase(
    i: RawInterphase,
    growth_arrhenius: Arrhenius,
    conduction_arrhenius: Arrhenius,
) -> Interphase {
    Interphase {
        electronic_conductor_fraction: i.electronic_conductor_fraction,
        percolation_threshold: i.percolation_threshold,
        percolation_exponent: i.percolation_exponent,
        conductor_conductivity_s_m: i.conductor_conductivity_s_m,
        tunnelling_current_a_m2: i.tunnelling_current_a_m2,
        tunnelling_length_m: i.tunnelling_length_m,
        solvent_diffusion_a_m: i.solvent_diffusion_a_m,
        oxidation_potential_v: i.oxidation_potential_v,
        onset_width_v: i.onset_width_v,
        product_volume_m3_mol: i.product_volume_m3_mol,
        initial_thickness_m: i.initial_thickness_m,
        ionic_conductivity_s_m: i.ionic_conductivity_s_m,
        native_resistance_ohm_m2: i.native_resistance_ohm_m2,
        native_conversion_throughput: i.native_conversion_throughput,
        open_fraction: i.open_fraction.unwrap_or(0.0),
        sealing_thickness_m: i.sealing_thickness_m.unwrap_or(DEFAULT_SEALING_THICKNESS_M),
        sealing_law: match i.sealing_law {
            None | Some(RawSealingLaw::RandomDeposition) => SealingLaw::RandomDeposition,
            Some(RawSealingLaw::GrowthAtOpenSites) => SealingLaw::GrowthAtOpenSites,
        },
        growth_arrhenius,
        conduction_arrhenius,
    }
}

/// `[cracking]` as read (ranges are checked by [`CellParameters::validate`]).
fn cracking(c: RawCracking) -> Cracking {
    Cracking {
        onset_cycles: c.onset_cycles,
        width_cycles: c.width_cycles,
        max_area_ratio: c.max_area_ratio,
        area_growth_per_cycle: c.area_growth_per_cycle.unwrap_or(0.0),
        wetting: c.wetting,
        isolation_per_area: c.isolation_per_area,
        contact_loss_per_cycle: c.contact_loss_per_cycle.unwrap_or(0.0),
        contact_loss_order: match c.contact_loss_order {
            None | Some(RawContactLossOrder::Any) => ContactLossOrder::Any,
            Some(RawContactLossOrder::LeastContactedFirst) => ContactLossOrder::LeastContactedFirst,
        },
    }
}

/// The outermost table on the way to `key` (dotted; array indices ignored) that `file_tree`
/// does not have, if any: a table that only the overrides created.
fn created_table(file_tree: &toml::Table, key: &str) -> Option<String> {
    let path = key.split_once('[').map_or(key, |(array, _)| array);
    let segments: Vec<&str> = path.split('.').collect();
    let mut table = file_tree;
    for (depth, segment) in segments[..segments.len().saturating_sub(1)]
        .iter()
        .enumerate()
    {
        match table.get(*segment) {
            Some(toml::Value::Table(t)) => table = t,
            Some(_) => return None,
            None => return Some(segments[..=depth].join(".")),
        }
    }
    None
}

fn last_segment(key: &str) -> &str {
    key.rsplit('.').next().unwrap_or(key)
}

/// The key in the parameter file for a path reported by [`CellParameters::validate`] (which
/// uses the Rust field names). The submodel sections already report their file keys; only the
/// galleries are renumbered from 1, as elsewhere in error messages
/// (`positive.msmr.cationic[0].omega` → `positive.msmr.cationic[1].omega`).
pub(crate) fn file_key(path: &str) -> String {
    const GALLERIES: &str = "positive.msmr.cationic[";
    if let Some(rest) = path.strip_prefix(GALLERIES) {
        if let Some((index, tail)) = rest.split_once(']') {
            if let Ok(k) = index.parse::<usize>() {
                return format!("{GALLERIES}{}]{tail}", k + 1);
            }
        }
    }
    let mapped = match path {
        "temperature_k" => "cell.temperature_K",
        "area_m2" => "cell.area_m2",
        "nominal_capacity_ah" => "cell.nominal_capacity_Ah",
        "one_c_specific_current_a_kg" => "cell.one_c_specific_current_mA_g",
        "lower_cutoff_v" => "cell.lower_cutoff_V",
        "upper_cutoff_v" => "cell.upper_cutoff_V",
        "positive.electronic_conductivity_s_m" => "positive.electronic_conductivity_S_m",
        "positive.carbon_network.conductivity_s_m" => "positive.carbon_network.conductivity_S_m",
        "positive.exchange_current.k" => "positive.exchange_current_k",
        "positive.ocp_v" => "positive.ocp_V",
        "positive.double_layer_capacitance_f_m2" => "positive.double_layer_capacitance_F_m2",
        "electrolyte.positive_conductivity_s_m" => "electrolyte.positive_conductivity_S_m",
        "electrolyte.separator_conductivity_s_m" => "electrolyte.separator_conductivity_S_m",
        "electrolyte.conductivity_s_m" => "electrolyte.conductivity_S_m",
        "negative.ocp_v" => "negative.ocp_V",
        "negative.exchange_current_density_a_m2" => "negative.exchange_current_density_A_m2",
        "negative.double_layer_capacitance_f_m2" => "negative.double_layer_capacitance_F_m2",
        "separator.grain_boundary_capacitance_f_m2" => "separator.grain_boundary_capacitance_F_m2",
        other => other,
    };
    mapped.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_paths_map_to_file_keys() {
        assert_eq!(file_key("temperature_k"), "cell.temperature_K");
        assert_eq!(file_key("positive.thickness_m"), "positive.thickness_m");
        assert_eq!(
            file_key("positive.exchange_current.k"),
            "positive.exchange_current_k"
        );
        assert_eq!(
            file_key("negative.exchange_current_density_a_m2"),
            "negative.exchange_current_density_A_m2"
        );
    }

    #[test]
    fn submodel_paths_pass_through_and_galleries_count_from_one() {
        for key in [
            "anion_redox",
            "anion_redox.lattice_capacity",
            "interphase.electronic_conductor_fraction",
            "cracking.wetting",
            "positive.msmr.lithium_per_formula_max",
            "positive.msmr.cationic",
        ] {
            assert_eq!(file_key(key), key);
        }
        assert_eq!(
            file_key("positive.msmr.cationic[0].omega"),
            "positive.msmr.cationic[1].omega"
        );
        assert_eq!(
            file_key("positive.msmr.cationic[11].capacity"),
            "positive.msmr.cationic[12].capacity"
        );
    }

    #[test]
    fn tables_only_the_overrides_create_are_found() {
        let file: toml::Table =
            toml::from_str("[positive]\nocp_V = 3.0\n[cell]\narea_m2 = 1.0").unwrap();
        assert_eq!(
            created_table(&file, "cracking.wetting").as_deref(),
            Some("cracking")
        );
        assert_eq!(
            created_table(&file, "positive.msmr.cationic[2].omega").as_deref(),
            Some("positive.msmr")
        );
        assert_eq!(created_table(&file, "positive.thickness_m"), None);
        assert_eq!(created_table(&file, "positive.ocp_V.table"), None);
        assert_eq!(created_table(&file, "name"), None);
    }
}
