//! The optional parts of a parameter file: the MSMR open-circuit potential
//! (`[positive.msmr]`) and the submodel sections `[anion_redox]`, `[interphase]` and
//! `[cracking]`. A file with all of them loads to the expected parameters, overrides and
//! `--set` reach their keys (a list of galleries, a whole new section), and
//! `asslb params show` lists them with units. The bad-input cases are in `bad_input.rs`.

use std::path::{Path, PathBuf};
use std::process::Command;

use asslb::physics::anion_redox::{AnionRedox, FadeLaw, MigrationLaw};
use asslb::physics::cracking::Cracking;
use asslb::physics::interphase::{Interphase, SealingLaw};
use asslb::physics::material::Arrhenius;
use asslb::physics::msmr::Gallery;
use asslb::physics::parameters::{CathodeOcp, MsmrOcp};
use asslb::scenario::{load_parameter_file, parse_scenario_with, Scenario, SetOverride};

/// The test parameter file with every section.
fn sections_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/parameter_sections/cell.toml")
}

fn expected_anion_redox() -> AnionRedox {
    AnionRedox {
        standard_potential_v: 3.6,
        omega: 2.0,
        hysteresis_v: 0.6,
        hysteresis_rate: 8.0,
        hysteresis_growth_v: 0.25,
        exchange_current_ratio: 0.05,
        lattice_capacity: 0.9,
        initial_active_capacity: 0.05,
        activation_rate_1_s: 1e-4,
        activation: asslb::physics::anion_redox::Activation::Potential {
            potential_v: 4.1,
            width_v: 0.03,
        },
        irreversible_fraction: 0.4,
        oxygen_loss_bulk_per_li: 1e-3,
        oxygen_loss_surface_m2_c: 1e-3,
        oxygen_loss_contact_m_s: 2e-13,
        densified_per_oxygen: 0.7,
        instability: asslb::physics::anion_redox::OxygenInstability::Potential {
            potential_v: 4.2,
            width_v: 0.05,
        },
        fade_v_per_li: 1.0,
        migration_rate_v_s: 1e-8,
        migration: MigrationLaw::WhileOxidised,
        fade_law: FadeLaw::RigidShift,
        kinetics_arrhenius: Arrhenius {
            activation_energy_j_mol: 45000.0,
            reference_temperature_k: 333.15,
        },
    }
}

fn expected_interphase() -> Interphase {
    Interphase {
        electronic_conductor_fraction: 0.0,
        percolation_threshold: 0.16,
        percolation_exponent: 2.0,
        conductor_conductivity_s_m: 1e-3,
        tunnelling_current_a_m2: 1e-3,
        tunnelling_length_m: 0.5e-9,
        solvent_diffusion_a_m: 0.0,
        oxidation_potential_v: 2.5,
        onset_width_v: 0.1,
        product_volume_m3_mol: 2.9e-5,
        initial_thickness_m: 1e-9,
        ionic_conductivity_s_m: 1e-7,
        native_resistance_ohm_m2: 0.1,
        native_conversion_throughput: 150.0,
        open_fraction: 0.25,
        sealing_thickness_m: 2e-9,
        sealing_law: SealingLaw::GrowthAtOpenSites,
        growth_arrhenius: Arrhenius {
            activation_energy_j_mol: 38000.0,
            reference_temperature_k: 333.15,
        },
        conduction_arrhenius: Arrhenius {
            activation_energy_j_mol: 52100.0,
            reference_temperature_k: 298.15,
        },
    }
}

fn gallery(capacity: f64, standard_potential_v: f64, omega: f64) -> Gallery {
    Gallery {
        capacity,
        standard_potential_v,
        omega,
    }
}

/// A scenario of `parameter` (a `parameter_set = …` or `parameter_file = …` line) with `extra`
/// after it, read with the `--set`s `sets`.
fn scenario(parameter: &str, extra: &str, sets: &[&str]) -> Scenario {
    let text =
        format!("{parameter}\nexperiment = [\"Discharge at 0.72 mA until 1.38 V\"]\n{extra}");
    let sets: Vec<SetOverride> = sets
        .iter()
        .map(|s| SetOverride::parse(s).expect("well-formed --set"))
        .collect();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/parameter_sections");
    parse_scenario_with(&text, &dir.join("scenario.toml"), &dir, &sets)
        .unwrap_or_else(|e| panic!("scenario should be valid: {e}"))
}

#[test]
fn a_file_with_every_section_loads_to_the_expected_parameters() {
    let p = load_parameter_file(&sections_file()).expect("valid parameter file");
    assert_eq!(
        p.positive.ocp,
        CathodeOcp::Msmr(MsmrOcp {
            lithium_per_formula_max: 2.0,
            cationic: vec![gallery(0.5, 3.45, 1.0), gallery(0.5, 3.70, 1.2)],
        })
    );
    assert_eq!(p.anion_redox, Some(expected_anion_redox()));
    assert_eq!(p.interphase, Some(expected_interphase()));
    assert_eq!(
        p.cracking,
        Some(Cracking {
            onset_cycles: 300.0,
            width_cycles: 40.0,
            max_area_ratio: 1.5,
            area_growth_per_cycle: 0.0,
            wetting: 0.0,
            isolation_per_area: 0.0,
            contact_loss_per_cycle: 0.0,
            contact_loss_order: Default::default(),
        })
    );
    // The rest of the file is read as before.
    assert_eq!(p.positive.initial_concentration_mol_m3, 47000.0);
    assert_eq!(p.negative.ocp_v, 0.62);
}

#[test]
fn sets_without_the_sections_have_the_submodels_off() {
    let p = asslb::scenario::builtin_parameter_set("solid_halfcell_single_ion")
        .expect("built-in set")
        .load()
        .expect("valid set");
    assert!(matches!(p.positive.ocp, CathodeOcp::Function(_)));
    assert_eq!(
        (p.anion_redox, p.interphase, p.cracking),
        (None, None, None)
    );
}

#[test]
fn overrides_reach_the_new_keys() {
    let file = format!(
        "parameter_file = {:?}",
        sections_file().display().to_string()
    );
    let s = scenario(
        &file,
        "[parameters]\n\"anion_redox.fade_V_per_Li\" = 0.5\n\"cracking.wetting\" = 1\n\"positive.msmr.cationic\" = [{ capacity = 0.8, standard_potential_V = 3.5, omega = 1.5 }]\n\"positive.msmr.lithium_per_formula_max\" = 1.9\n",
        &["interphase.electronic_conductor_fraction=0.336"],
    );
    let p = &s.parameters;
    assert_eq!(
        p.positive.ocp,
        CathodeOcp::Msmr(MsmrOcp {
            lithium_per_formula_max: 1.9,
            cationic: vec![gallery(0.8, 3.5, 1.5)],
        })
    );
    assert_eq!(
        p.anion_redox,
        Some(AnionRedox {
            fade_v_per_li: 0.5,
            ..expected_anion_redox()
        })
    );
    assert_eq!(
        p.interphase,
        Some(Interphase {
            electronic_conductor_fraction: 0.336,
            ..expected_interphase()
        })
    );
    assert_eq!(p.cracking.map(|c| c.wetting), Some(1.0));
}

#[test]
fn an_override_can_add_a_whole_section() {
    let builtin = "parameter_set = \"solid_halfcell_single_ion\"";
    let cracking = Cracking {
        onset_cycles: 300.0,
        width_cycles: 40.0,
        max_area_ratio: 1.0,
        area_growth_per_cycle: 0.0,
        wetting: 1.0,
        isolation_per_area: 0.0,
        contact_loss_per_cycle: 0.0,
        contact_loss_order: Default::default(),
    };
    // On the command line, as one inline table …
    let s = scenario(
        builtin,
        "",
        &["cracking={onset_cycles=300.0, width_cycles=40.0, max_area_ratio=1.0, wetting=1.0, isolation_per_area=0.0}"],
    );
    assert_eq!(s.parameters.cracking, Some(cracking));
    assert_eq!(s.parameters.interphase, None);
    // … and in the scenario, as a nested table of `[parameters]`.
    let mut text = String::from("[parameters.interphase]\n");
    for line in [
        "electronic_conductor_fraction = 0.0",
        "percolation_threshold = 0.16",
        "percolation_exponent = 2.0",
        "conductor_conductivity_S_m = 1e-3",
        "tunnelling_current_A_m2 = 1e-3",
        "tunnelling_length_m = 0.5e-9",
        "solvent_diffusion_A_m = 0.0",
        "oxidation_potential_V = 2.5",
        "onset_width_V = 0.1",
        "product_volume_m3_mol = 2.9e-5",
        "initial_thickness_m = 1e-9",
        "ionic_conductivity_S_m = 1e-7",
        "native_resistance_ohm_m2 = 0.1",
        "native_conversion_throughput = 150.0",
    ] {
        text.push_str(line);
        text.push('\n');
    }
    let s = scenario(builtin, &text, &[]);
    // Without the optional Arrhenius keys: no temperature dependence; without the open
    // fraction, the sealing thickness and law: a dense film sealing over 1 nm by random
    // deposition.
    let no_arrhenius = Interphase {
        open_fraction: 0.0,
        sealing_thickness_m: 1e-9,
        sealing_law: SealingLaw::RandomDeposition,
        growth_arrhenius: Arrhenius::NONE,
        conduction_arrhenius: Arrhenius::NONE,
        ..expected_interphase()
    };
    assert_eq!(s.parameters.interphase, Some(no_arrhenius));
    // The scenario as recorded (`run.toml`) reads back to the same parameters.
    let again = scenario(
        builtin,
        &format!(
            "[parameters]\n{}",
            toml::to_string(
                s.document["parameters"]
                    .as_table()
                    .expect("parameters table")
            )
            .expect("serialisable")
        ),
        &[],
    );
    assert_eq!(again.parameters, s.parameters);
}

#[test]
fn params_show_lists_the_sections_with_units() {
    let out = Command::new(env!("CARGO_BIN_EXE_asslb"))
        .args(["params", "show"])
        .arg(sections_file())
        .output()
        .expect("run asslb");
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    for part in [
        "[positive.msmr]",
        "lithium_per_formula_max",
        "cationic[1].capacity",
        "= 0.5  [Li per formula unit]",
        "cationic[2].standard_potential_V",
        "= 3.7  [V vs Li/Li+]",
        "cationic[2].omega",
        "= 1.2  [-",
        "[anion_redox]",
        "oxygen_loss_bulk_per_Li",
        "= 0.001  [- (per Li per formula unit exchanged)]",
        "migration_rate_V_per_s",
        "fade_V_per_Li",
        "[interphase]",
        "electronic_conductor_fraction",
        "tunnelling_length_m",
        "= 5e-10  [m]",
        "native_conversion_throughput",
        "[cracking]",
        "onset_cycles",
        "= 300  [equivalent full cycles",
        "wetting",
        "cationic gallery capacity",
        "film_resistance_ohm_m2",
        "not used: [interphase] gives the interface resistance",
    ] {
        assert!(text.contains(part), "missing {part:?} in\n{text}");
    }
    // The galleries replace `ocp_V` in `[positive]`.
    let positive = text
        .split("\n[positive]\n")
        .nth(1)
        .and_then(|rest| rest.split("\n[positive.msmr]\n").next())
        .expect("a [positive] section before [positive.msmr]");
    assert!(!positive.contains("ocp_V"), "{text}");
    assert!(!text.contains("Submodels off"), "{text}");
}
