//! Every scenario shipped under `scenarios/` loads and validates (nothing is solved; `tests/cli.rs`
//! runs them), and the verification scenarios and built-in parameter sets are exactly the
//! reference cases in `validation/reference/`.

use std::path::{Path, PathBuf};

use asslb::physics::parameters::{CounterExchangeCurrent, Electrolyte, TransportEfficiency};
use asslb::protocol::{Block, Direction, Experiment, Step, StepLimit};
use asslb::scenario::{builtin_parameter_set, builtin_parameter_set_names, load_scenario};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn toml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            toml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
}

#[test]
fn every_shipped_scenario_loads_and_validates() {
    let mut files = Vec::new();
    toml_files(&root().join("scenarios"), &mut files);
    assert!(
        files.len() >= 8,
        "expected the shipped scenarios, found {files:?}"
    );
    for file in &files {
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with("sweep_") {
            // A sweep file: every case of it is loaded by tests/sweep.rs.
            asslb::sweep::load_sweep(file).unwrap_or_else(|e| panic!("{e}"));
            continue;
        }
        let scenario = load_scenario(file).unwrap_or_else(|e| panic!("{e}"));
        assert!(scenario.experiment.cycles() >= 1, "{}", file.display());
        assert_eq!(
            scenario.experiment.blocks.len(),
            scenario.experiment_spec.len(),
            "{}",
            file.display()
        );
        let stem = file
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        assert_eq!(
            scenario.name,
            stem,
            "{}: name should match the file name",
            file.display()
        );
    }
}

#[test]
fn main_scenario_discharges_then_charges_at_1c_in_one_cycle() {
    let s = load_scenario(&root().join("scenarios/solid_halfcell_discharge_1C.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let q = s.parameters.nominal_capacity_ah;
    let cc = |direction, v| Step::ConstantCurrent {
        current_a: q,
        direction,
        limit: StepLimit {
            voltage_v: Some(v),
            current_a: None,
            duration_s: None,
        },
    };
    assert_eq!(
        s.experiment,
        Experiment {
            blocks: vec![Block {
                cycles: 1,
                steps: vec![
                    cc(Direction::Discharge, s.parameters.lower_cutoff_v),
                    cc(Direction::Charge, s.parameters.upper_cutoff_v),
                ],
            }]
        }
    );
}

#[test]
fn cycling_scenario_has_formation_long_cycling_and_a_rate_test() {
    let s = load_scenario(&root().join("scenarios/solid_halfcell_cycling.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let blocks: Vec<(usize, usize)> = s
        .experiment
        .blocks
        .iter()
        .map(|b| (b.cycles, b.steps.len()))
        .collect();
    assert_eq!(blocks, [(2, 4), (100, 5), (1, 3), (1, 3), (1, 3), (1, 3)]);
    // 1C = 200 mA per gram of active material, cut-offs 2.0-4.3 V vs Li/Li+ = 1.38-3.68 V.
    let mass_kg = s.parameters.active_mass_kg().expect("active mass");
    match &s.experiment.blocks[1].steps[0] {
        Step::ConstantCurrent {
            current_a,
            direction: Direction::Discharge,
            limit,
        } => {
            assert_eq!(*current_a, 200.0 * mass_kg);
            assert_eq!(limit.voltage_v, Some(1.38));
        }
        other => panic!("{other:?}"),
    }
    match &s.experiment.blocks[1].steps[3] {
        Step::ConstantVoltage { voltage_v, limit } => {
            assert_eq!(*voltage_v, 3.68);
            assert_eq!(limit.current_a, Some(10.0 * mass_kg));
            assert_eq!(limit.duration_s, Some(3600.0));
        }
        other => panic!("{other:?}"),
    }
}
/// The `[[protocol]]` entries of a reference case: (name, current_A, direction).
fn reference_protocols(case: &toml::Table) -> Vec<(String, f64, String)> {
    case["protocol"]
        .as_array()
        .expect("[[protocol]]")
        .iter()
        .map(|p| {
            (
                p["name"].as_str().expect("name").to_string(),
                p["current_A"].as_float().expect("current_A"),
                p["direction"].as_str().expect("direction").to_string(),
            )
        })
        .collect()
}

fn read_case(case: &str) -> toml::Table {
    let path = root()
        .join("validation/reference")
        .join(case)
        .join("case.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.parse()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn float(t: &toml::Table, section: &str, key: &str) -> f64 {
    let v = &t[section][key];
    v.as_float()
        .or_else(|| v.as_integer().map(|i| i as f64))
        .unwrap_or_else(|| panic!("[{section}] {key}"))
}

#[test]
fn verification_scenarios_are_the_reference_protocols() {
    for (case, set) in [
        ("solid_halfcell_single_ion", "solid_halfcell_single_ion"),
        ("liquid_halfcell_xu2019", "xu2019_liquid_halfcell"),
    ] {
        let reference = read_case(case);
        let protocols = reference_protocols(&reference);
        assert_eq!(protocols.len(), 3, "{case}");
        for (name, current_a, direction) in protocols {
            let file = root().join(format!("scenarios/verification/{case}_{name}.toml"));
            let s = load_scenario(&file).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(s.parameters.name, set);
            assert_eq!(direction, "discharge");
            let blocks = &s.experiment.blocks;
            assert_eq!(blocks.len(), 1, "{}", file.display());
            assert_eq!(blocks[0].cycles, 1, "{}", file.display());
            assert_eq!(blocks[0].steps.len(), 1, "{}", file.display());
            match &blocks[0].steps[0] {
                Step::ConstantCurrent {
                    current_a: resolved,
                    direction: Direction::Discharge,
                    limit,
                } => {
                    // The step string gives the reference current in mA; the decimal shift is
                    // exact, and 1e-12 relative is the contract.
                    assert!(
                        ((resolved - current_a) / current_a).abs() <= 1e-12,
                        "{}: {resolved} A, reference {current_a} A",
                        file.display()
                    );
                    assert_eq!(
                        *limit,
                        StepLimit {
                            voltage_v: Some(float(&reference, "cell", "lower_cutoff_V")),
                            current_a: None,
                            duration_s: None
                        },
                        "{}",
                        file.display()
                    );
                }
                other => panic!("{}: {other:?}", file.display()),
            }
        }
    }
}

#[test]
fn builtin_sets_are_the_reference_cases() {
    for (case, set) in [
        ("solid_halfcell_single_ion", "solid_halfcell_single_ion"),
        ("liquid_halfcell_xu2019", "xu2019_liquid_halfcell"),
    ] {
        let r = read_case(case);
        let builtin = builtin_parameter_set(set).expect("built-in set");
        let p = builtin.load().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.temperature_k, float(&r, "cell", "temperature_K"), "{set}");
        assert_eq!(p.area_m2, float(&r, "cell", "area_m2"), "{set}");
        assert_eq!(
            p.nominal_capacity_ah,
            float(&r, "cell", "nominal_capacity_Ah"),
            "{set}"
        );
        assert_eq!(
            p.lower_cutoff_v,
            float(&r, "cell", "lower_cutoff_V"),
            "{set}"
        );
        assert_eq!(
            p.upper_cutoff_v,
            float(&r, "cell", "upper_cutoff_V"),
            "{set}"
        );
        let q = &p.positive;
        assert_eq!(q.thickness_m, float(&r, "positive", "thickness_m"));
        assert_eq!(
            q.active_material_volume_fraction,
            float(&r, "positive", "active_material_volume_fraction")
        );
        assert_eq!(
            q.electrolyte_volume_fraction,
            float(&r, "positive", "electrolyte_volume_fraction")
        );
        let b = TransportEfficiency::Bruggeman {
            exponent: float(&r, "positive", "bruggeman"),
        };
        assert_eq!(q.electrolyte_transport, b);
        assert_eq!(q.electronic_transport, b);
        assert_eq!(
            q.electronic_conductivity_s_m,
            float(&r, "positive", "electronic_conductivity_S_m")
        );
        assert_eq!(
            q.particle_radius_m,
            float(&r, "positive", "particle_radius_m")
        );
        assert_eq!(
            q.solid_diffusivity_m2_s.eval(0.5).0,
            float(&r, "positive", "solid_diffusivity_m2_s")
        );
        assert_eq!(
            q.max_concentration_mol_m3,
            float(&r, "positive", "max_concentration_mol_m3")
        );
        assert_eq!(
            q.initial_concentration_mol_m3,
            float(&r, "positive", "initial_concentration_mol_m3")
        );
        assert_eq!(
            q.exchange_current.k,
            float(&r, "positive", "exchange_current_k")
        );
        assert_eq!(q.film_resistance_ohm_m2, 0.0);
        // Not in the reference cases: only the solid set has the (optional) density of its
        // active material, for currents per gram; it does not enter the model.
        let density = match set {
            "solid_halfcell_single_ion" => Some(5150.0),
            _ => None,
        };
        assert_eq!(q.active_material_density_kg_m3, density, "{set}");
        assert_eq!(q.double_layer_capacitance_f_m2, 0.0);
        let s = &p.separator;
        assert_eq!(s.thickness_m, float(&r, "separator", "thickness_m"));
        assert_eq!(
            s.electrolyte_volume_fraction,
            float(&r, "separator", "electrolyte_volume_fraction")
        );
        assert_eq!(
            s.electrolyte_transport,
            TransportEfficiency::Bruggeman {
                exponent: float(&r, "separator", "bruggeman")
            }
        );
        match &p.electrolyte {
            Electrolyte::SingleIon {
                positive_conductivity_s_m,
                separator_conductivity_s_m,
                nominal_concentration_mol_m3,
                ..
            } => {
                assert_eq!(float(&r, "electrolyte", "cation_transference_number"), 1.0);
                assert_eq!(
                    *positive_conductivity_s_m,
                    float(&r, "electrolyte", "conductivity_S_m")
                );
                assert_eq!(
                    *separator_conductivity_s_m,
                    float(&r, "electrolyte", "conductivity_S_m")
                );
                assert_eq!(
                    *nominal_concentration_mol_m3,
                    float(&r, "electrolyte", "nominal_concentration_mol_m3")
                );
            }
            Electrolyte::Binary {
                initial_concentration_mol_m3,
                cation_transference_number,
                thermodynamic_factor,
                ..
            } => {
                assert_eq!(
                    *initial_concentration_mol_m3,
                    float(&r, "electrolyte", "initial_concentration_mol_m3")
                );
                assert_eq!(
                    *cation_transference_number,
                    float(&r, "electrolyte", "cation_transference_number")
                );
                assert_eq!(
                    thermodynamic_factor.eval(1000.0).0,
                    float(&r, "electrolyte", "thermodynamic_factor")
                );
            }
        }
        assert_eq!(
            p.negative.ocp_v,
            float(&r, "negative", "open_circuit_potential_V")
        );
        match p.negative.exchange_current {
            CounterExchangeCurrent::Constant { j0_a_m2, .. } => {
                assert_eq!(
                    j0_a_m2,
                    float(&r, "negative", "exchange_current_density_A_m2")
                )
            }
            CounterExchangeCurrent::LithiumMetal { k, c_li_mol_m3, .. } => {
                assert_eq!(k, float(&r, "negative", "exchange_current_k"));
                assert_eq!(
                    c_li_mol_m3,
                    float(&r, "negative", "li_metal_concentration_mol_m3")
                );
            }
        }
        // The embedded tables are byte-for-byte the reference's.
        for (file, text) in builtin.tables {
            let reference = root().join("validation/reference").join(case).join(file);
            let expected = std::fs::read_to_string(&reference)
                .unwrap_or_else(|e| panic!("{}: {e}", reference.display()));
            assert_eq!(*text, expected, "{set}: {file}");
        }
    }
    // The verification sets above, and the paper's two cells (checked by tests/wu2022.rs) with
    // the solid one as calibrated before the oxygen-state laws (its solver regression there).
    assert_eq!(
        builtin_parameter_set_names(),
        [
            "solid_halfcell_single_ion",
            "xu2019_liquid_halfcell",
            "wu2022_lro_lpscl",
            "wu2022_lro_lpscl_rigid_shift",
            "wu2022_lro_liquid"
        ]
    );
}
