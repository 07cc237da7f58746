//! Parameter sets built into the binary. Each is a parameter file in the same format users write,
//! with its CSV tables, kept in `src/physics/parameter_sets/<name>/` and embedded with
//! `include_str!`; a table named in a built-in set resolves among that set's embedded files.

/// A built-in parameter set: its parameter file and tables, as embedded text.
#[derive(Debug)]
pub struct BuiltinParameterSet {
    /// Name, as written in a scenario's `parameter_set = "…"`.
    pub name: &'static str,
    /// What cell it is, in one line (`asslb params list`).
    pub description: &'static str,
    /// Text of the parameter file (TOML).
    pub parameter_file: &'static str,
    /// Embedded table files: `(file name, CSV text)`.
    pub tables: &'static [(&'static str, &'static str)],
}

impl BuiltinParameterSet {
    /// The embedded CSV text of table `file_name`, if the set has it.
    pub fn table(&self, file_name: &str) -> Option<&'static str> {
        self.tables
            .iter()
            .find(|(name, _)| *name == file_name)
            .map(|(_, text)| *text)
    }
}

static SETS: [BuiltinParameterSet; 5] = [
    BuiltinParameterSet {
        name: "solid_halfcell_single_ion",
        description: "LRO-like composite cathode | single-ion solid electrolyte (750 µm) | Li-In at 0.62 V vs Li/Li+, 60 °C; the solid verification cell",
        parameter_file: include_str!(
            "../physics/parameter_sets/solid_halfcell_single_ion/parameters.toml"
        ),
        tables: &[(
            "positive_ocp.csv",
            include_str!("../physics/parameter_sets/solid_halfcell_single_ion/positive_ocp.csv"),
        )],
    },
    BuiltinParameterSet {
        name: "xu2019_liquid_halfcell",
        description: "NMC532 | 1 M LiPF6 in EC:DMC | Li metal, 25 °C (Xu et al. 2019); the liquid verification cell",
        parameter_file: include_str!(
            "../physics/parameter_sets/xu2019_liquid_halfcell/parameters.toml"
        ),
        tables: &[
            (
                "positive_ocp.csv",
                include_str!("../physics/parameter_sets/xu2019_liquid_halfcell/positive_ocp.csv"),
            ),
            (
                "electrolyte_conductivity.csv",
                include_str!(
                    "../physics/parameter_sets/xu2019_liquid_halfcell/electrolyte_conductivity.csv"
                ),
            ),
            (
                "electrolyte_diffusivity.csv",
                include_str!(
                    "../physics/parameter_sets/xu2019_liquid_halfcell/electrolyte_diffusivity.csv"
                ),
            ),
        ],
    },
    BuiltinParameterSet {
        name: "wu2022_lro_lpscl",
        description: "Li2RuO3:Li6PS5Cl:AB 60:38:2 | Li7P3S11 (750 µm) | Li-In, 60 °C (Wu et al. 2022): the paper cell, with anion redox, interphase and cracking",
        parameter_file: include_str!("../physics/parameter_sets/wu2022_lro_lpscl/parameters.toml"),
        tables: &[],
    },
    BuiltinParameterSet {
        name: "wu2022_lro_lpscl_rigid_shift",
        description: "the paper cell as calibrated before the oxygen-state laws: potential-switched oxygen loss and migration, rigid voltage fade (for comparison)",
        parameter_file: include_str!(
            "../physics/parameter_sets/wu2022_lro_lpscl_rigid_shift/parameters.toml"
        ),
        tables: &[],
    },
    BuiltinParameterSet {
        name: "wu2022_lro_liquid",
        description: "the same Li2RuO3 cathode | 1 M LiPF6 in EC:DMC | Li metal, 60 °C: the paper's liquid-electrolyte comparison",
        parameter_file: include_str!("../physics/parameter_sets/wu2022_lro_liquid/parameters.toml"),
        tables: &[
            (
                "electrolyte_conductivity.csv",
                include_str!(
                    "../physics/parameter_sets/wu2022_lro_liquid/electrolyte_conductivity.csv"
                ),
            ),
            (
                "electrolyte_diffusivity.csv",
                include_str!(
                    "../physics/parameter_sets/wu2022_lro_liquid/electrolyte_diffusivity.csv"
                ),
            ),
        ],
    },
];

static NAMES: [&str; 5] = [
    "solid_halfcell_single_ion",
    "xu2019_liquid_halfcell",
    "wu2022_lro_lpscl",
    "wu2022_lro_lpscl_rigid_shift",
    "wu2022_lro_liquid",
];

/// The built-in parameter set called `name`, if there is one.
pub fn builtin_parameter_set(name: &str) -> Option<&'static BuiltinParameterSet> {
    SETS.iter().find(|s| s.name == name)
}

/// Names of all built-in parameter sets.
pub fn builtin_parameter_set_names() -> &'static [&'static str] {
    &NAMES
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::physics::parameters::{CounterExchangeCurrent, Electrolyte, TransportEfficiency};

    #[test]
    fn names_list_matches_the_sets() {
        let names: Vec<&str> = SETS.iter().map(|s| s.name).collect();
        assert_eq!(names, NAMES);
        assert!(builtin_parameter_set("nope").is_none());
    }

    #[test]
    fn every_set_loads_and_validates() {
        for name in builtin_parameter_set_names() {
            let set = builtin_parameter_set(name).unwrap();
            let p = set.load().unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(p.name, *name);
            assert!(!p.source.is_empty());
            p.validate().unwrap();
        }
    }

    #[test]
    fn solid_set_is_the_verification_case() {
        let p = builtin_parameter_set("solid_halfcell_single_ion")
            .unwrap()
            .load()
            .unwrap();
        assert_eq!(p.temperature_k, 333.15);
        assert_eq!(p.area_m2, 7.853981634e-05);
        assert_eq!(p.nominal_capacity_ah, 0.0007202074427);
        assert_eq!((p.lower_cutoff_v, p.upper_cutoff_v), (1.38, 3.68));
        assert_eq!(p.positive.thickness_m, 2.7e-5);
        assert_eq!(
            p.positive.electronic_transport,
            TransportEfficiency::Bruggeman { exponent: 1.5 }
        );
        assert_eq!(p.positive.exchange_current.k, 2e-6);
        assert_eq!(p.separator.thickness_m, 7.5e-4);
        match p.electrolyte {
            Electrolyte::SingleIon {
                positive_conductivity_s_m,
                separator_conductivity_s_m,
                nominal_concentration_mol_m3,
                ..
            } => {
                assert_eq!(positive_conductivity_s_m, 0.3);
                assert_eq!(separator_conductivity_s_m, 0.3);
                assert_eq!(nominal_concentration_mol_m3, 1000.0);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(p.negative.ocp_v, 0.62);
        assert!(matches!(
            p.negative.exchange_current,
            CounterExchangeCurrent::Constant { j0_a_m2, .. } if j0_a_m2 == 20.0
        ));
        // First and last rows of the OCP table.
        let crate::physics::parameters::CathodeOcp::Function(u) = &p.positive.ocp else {
            panic!("the verification set has a tabulated OCP");
        };
        assert_eq!(u.eval(0.0).0, 4.524857407);
        assert_eq!(u.eval(1.0).0, 1.22505313);
    }

    #[test]
    fn xu2019_set_is_the_verification_case() {
        let p = builtin_parameter_set("xu2019_liquid_halfcell")
            .unwrap()
            .load()
            .unwrap();
        assert_eq!(p.temperature_k, 298.15);
        assert_eq!(p.positive.exchange_current.k, 5.55755513e-06);
        match &p.electrolyte {
            Electrolyte::Binary {
                cation_transference_number,
                thermodynamic_factor,
                conductivity_s_m,
                diffusivity_m2_s,
                ..
            } => {
                assert_eq!(*cation_transference_number, 0.38);
                assert!(thermodynamic_factor.is_constant());
                assert_eq!(conductivity_s_m.eval(0.0).0, 0.0);
                assert_eq!(conductivity_s_m.eval(10.0).0, 0.02867217206);
                assert_eq!(diffusivity_m2_s.eval(0.0).0, 6.153028647e-10);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            p.negative.exchange_current,
            CounterExchangeCurrent::LithiumMetal { k, c_li_mol_m3, .. }
                if k == 0.003376986624 && c_li_mol_m3 == 76923.07692
        ));
    }
}
