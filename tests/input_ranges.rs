//! Bad input never reaches the solver (issue 13, item 6): every numeric parameter and setting
//! has an accepted range (`asslb::range`), and `check` and `run` reject a value
//! outside it before any file or folder is written, naming the key, the value and the range.
//! Sizes (mesh cells, frequencies, sweep cases, time-series rows) are bounded by what a machine
//! can hold. NaN and ±∞ are in no range.
//!
//! - the reproductions of the issue, through the command line, `check` and `run`;
//! - one out-of-range value for every documented key, through `load_scenario_with`;
//! - `nan` and `inf` written in files;
//! - the table of `docs/robustness.md` against the ranges in the code;
//! - every shipped scenario and sweep inside the ranges.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use asslb::range::{self, Limit, ACCEPTED};
use asslb::scenario::{load_scenario_with, SetOverride};

mod common;
use common::{asslb, describe, root, text};

/// The paper cell: MSMR, anion redox, interphase, cracking, single-ion electrolyte, grain
/// boundaries, impedance spectra.
const PAPER: &str = "scenarios/wu2022_1c_1000.toml";
/// The solid verification cell: an open-circuit potential as a function of θ.
const SOLID: &str = "scenarios/solid_halfcell_discharge_1C.toml";
/// The liquid verification cell: binary electrolyte, lithium metal.
const LIQUID: &str = "scenarios/verification/liquid_halfcell_xu2019_discharge_1C.toml";

fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str("\ncaused by: ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

/// Loads `scenario` (relative to the project root) with `sets`, expecting an error.
fn load_error(scenario: &str, sets: &[&str]) -> String {
    let sets: Vec<SetOverride> = sets
        .iter()
        .map(|s| SetOverride::parse(s).unwrap_or_else(|e| panic!("--set {s}: {e}")))
        .collect();
    match load_scenario_with(&root().join(scenario), &sets) {
        Ok(_) => panic!("{scenario} with {sets:?}: expected an error, the scenario loaded"),
        Err(e) => chain(&e),
    }
}

#[track_caller]
fn assert_contains_all(message: &str, parts: &[&str]) {
    for part in parts {
        assert!(
            message.contains(part),
            "expected the error to contain {part:?}:\n{message}"
        );
    }
}

/// Runs `asslb` with `args` in the project root.
fn run_asslb(args: &[&str]) -> Output {
    asslb()
        .current_dir(root())
        .args(args)
        .output()
        .expect("run asslb")
}

// ------------------------------------------------------------------------------------------
// The reproductions of the issue
// ------------------------------------------------------------------------------------------

/// `--set` value, scenario, and what the message must show (key, value, range).
const REPRODUCTIONS: &[(&str, &str, &[&str])] = &[
    (
        "cell.temperature_K=1e308",
        PAPER,
        &["cell.temperature_K", "1e308", "accepted range 200 to 500 K"],
    ),
    (
        "positive.particle_radius_m=1e-300",
        PAPER,
        &[
            "positive.particle_radius_m",
            "1e-300 is outside the accepted range 1e-9 to 1e-3 m",
        ],
    ),
    (
        "positive.particle_radius_m=1e308",
        PAPER,
        &[
            "positive.particle_radius_m",
            "1e308 is outside the accepted range 1e-9 to 1e-3 m",
        ],
    ),
    (
        "positive.solid_diffusivity_m2_s=1e308",
        PAPER,
        &[
            "positive.solid_diffusivity_m2_s",
            "1e308",
            "accepted range 1e-25 to 1e-5 m²/s",
        ],
    ),
    (
        "separator.thickness_m=1e308",
        PAPER,
        &[
            "separator.thickness_m",
            "1e308",
            "accepted range 1e-7 to 1e-2 m",
        ],
    ),
    (
        "solver.rtol=1e308",
        PAPER,
        &["solver.rtol", "1e308", "accepted range 1e-10 to 1e-2"],
    ),
    (
        r#"experiment=[{cycles=1, steps=["Charge at 1e308C until 4.3 V vs Li/Li+"]}]"#,
        PAPER,
        &[
            "experiment[1].steps[1]",
            "1e308C",
            "accepted range 1e-6 to 1000 C",
        ],
    ),
    (
        "positive.ocp_V={polynomial=[1e308, 1e308, 1e308]}",
        SOLID,
        &[
            "positive.ocp_V.polynomial",
            "1e308",
            "accepted range -5 to 10 V",
        ],
    ),
    (
        "positive.solid_diffusivity_m2_s={polynomial=[1e308, 1e308]}",
        PAPER,
        &[
            "positive.solid_diffusivity_m2_s.polynomial",
            "1e308",
            "accepted range 0 to 1e-5 m²/s",
        ],
    ),
    (
        "solver.output_interval_s=1e-300",
        PAPER,
        &[
            "solver.output_interval_s",
            "1e-300",
            "accepted range 1e-3 to 1e9 s",
        ],
    ),
    (
        "mesh.positive_x_cells=9223372036854775807",
        PAPER,
        &[
            "mesh.positive_x_cells",
            "9223372036854775807",
            "accepted range 1 to 1000 cells",
        ],
    ),
    (
        "impedance.points_per_decade=1000000000",
        PAPER,
        &[
            "impedance.points_per_decade",
            "1000000000",
            "accepted range 1 to 1000 frequencies per decade",
        ],
    ),
    (
        "mesh.particle_r_cells=100000000",
        PAPER,
        &[
            "mesh.particle_r_cells",
            "100000000",
            "accepted range 2 to 1000 cells",
        ],
    ),
];

/// `asslb check` and `asslb run` reject each reproduction with exit code 1, name the key, the
/// value and the range, and `run` writes nothing: the output folder does not exist afterwards.
#[test]
fn the_reproductions_are_rejected_by_check_and_run_before_anything_is_written() {
    let dir = tempfile::tempdir().expect("temporary folder");
    for (k, (set, scenario, parts)) in REPRODUCTIONS.iter().enumerate() {
        let started = Instant::now();
        let check = run_asslb(&["check", scenario, "--set", set]);
        assert_eq!(
            check.status.code(),
            Some(1),
            "check --set {set}\n{}",
            describe(&check)
        );
        let stderr = text(&check.stderr);
        assert_contains_all(&stderr, parts);
        assert_contains_all(&stderr, &[&format!("--set {set}")]);
        assert!(!stderr.contains("panicked"), "{stderr}");

        let out = dir.path().join(format!("run_{k}"));
        let out_arg = out.to_string_lossy().into_owned();
        let run = run_asslb(&["run", scenario, "--out", &out_arg, "--set", set]);
        assert_eq!(
            run.status.code(),
            Some(1),
            "run --set {set}\n{}",
            describe(&run)
        );
        assert_contains_all(&text(&run.stderr), parts);
        assert!(!out.exists(), "run --set {set} created {}", out.display());
        // Rejected up front, not after a long allocation.
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "--set {set} took {:?}",
            started.elapsed()
        );
    }
}

/// `asslb impedance` checks its frequency flags before it makes a single frequency.
#[test]
fn impedance_flags_have_the_same_ranges() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let out = dir.path().join("z");
    let out_arg = out.to_string_lossy().into_owned();
    for (flags, parts) in [
        (
            &["--per-decade", "1000000000"][..],
            &["--per-decade", "1000000000", "accepted range 1 to 1000"][..],
        ),
        (
            &["--f-min", "1e-12"][..],
            &["--f-min", "accepted range 1e-6 to 1e9 Hz"][..],
        ),
        (
            &["--f-min", "1e-6", "--f-max", "1e9", "--per-decade", "1000"][..],
            &["15001 frequencies", "accepted range 1 to 1e4 frequencies"][..],
        ),
    ] {
        let mut args = vec!["impedance", SOLID, "--out", &out_arg];
        args.extend_from_slice(flags);
        let o = run_asslb(&args);
        assert_eq!(o.status.code(), Some(1), "{flags:?}\n{}", describe(&o));
        assert_contains_all(&text(&o.stderr), parts);
        assert!(!out.exists(), "{flags:?} created the output folder");
    }
}

/// A sweep grid of 5 axes of 300 values (2.43e12 cases) is rejected with the limit, without
/// making its cases, and without writing anything.
#[test]
fn a_sweep_of_300_to_the_fifth_cases_is_rejected_before_its_cases_are_made() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let scenario = root().join(SOLID);
    let values = |start: f64, step: f64| {
        (0..300)
            .map(|k| format!("{:e}", start + step * k as f64))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let sweep = format!(
        "scenario = {:?}\n[sweep]\n\"cell.temperature_K\" = [{}]\n\"positive.thickness_m\" = [{}]\n\"positive.particle_radius_m\" = [{}]\n\"separator.thickness_m\" = [{}]\n\"positive.solid_diffusivity_m2_s\" = [{}]\n",
        scenario.to_string_lossy(),
        values(300.0, 0.1),
        values(2e-5, 1e-8),
        values(1e-6, 1e-9),
        values(7e-4, 1e-7),
        values(5e-16, 1e-18),
    );
    let file = dir.path().join("huge.toml");
    std::fs::write(&file, sweep).expect("write sweep");
    let out = dir.path().join("out");
    let started = Instant::now();
    let o = asslb()
        .arg("sweep")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run asslb");
    assert_eq!(o.status.code(), Some(1), "{}", describe(&o));
    assert_contains_all(
        &text(&o.stderr),
        &[
            "huge.toml",
            "key `sweep`",
            "300 × 300 × 300 × 300 × 300 = 2430000000000 cases",
            "outside the accepted range 1 to 1e5 cases",
        ],
    );
    assert!(!out.exists(), "the sweep created {}", out.display());
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
}

// ------------------------------------------------------------------------------------------
// Every documented range is enforced
// ------------------------------------------------------------------------------------------

/// (documented key, scenario, `--set`s, parts of the message besides the range itself).
type RangeCase = (
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
);

const CASES: &[RangeCase] = &[
    ("cell.temperature_K", PAPER, &["cell.temperature_K=501"], &["cell.temperature_K", "501"]),
    ("cell.area_m2", PAPER, &["cell.area_m2=1e3"], &["cell.area_m2"]),
    ("cell.nominal_capacity_Ah", PAPER, &["cell.nominal_capacity_Ah=1e5"], &["cell.nominal_capacity_Ah"]),
    ("cell.one_c_specific_current_mA_g", PAPER, &["cell.one_c_specific_current_mA_g=1e6"], &["cell.one_c_specific_current_mA_g"]),
    ("cell.lower_cutoff_V", PAPER, &["cell.lower_cutoff_V=-1"], &["cell.lower_cutoff_V", "expected a positive number"]),
    ("cell.upper_cutoff_V", PAPER, &["cell.upper_cutoff_V=11"], &["cell.upper_cutoff_V", "11 is outside"]),
    ("positive.thickness_m", PAPER, &["positive.thickness_m=0.1"], &["positive.thickness_m", "0.1 is outside"]),
    ("separator.thickness_m", PAPER, &["separator.thickness_m=1e-8"], &["separator.thickness_m", "1e-8 is outside"]),
    ("*.electrolyte_volume_fraction", PAPER, &["separator.electrolyte_volume_fraction=1.5"], &["separator.electrolyte_volume_fraction", "1.5"]),
    ("positive.active_material_volume_fraction", PAPER, &["positive.active_material_volume_fraction=0"], &["positive.active_material_volume_fraction"]),
    ("*_transport.bruggeman", PAPER, &["positive.electrolyte_transport={bruggeman=11}"], &["positive.electrolyte_transport", "Bruggeman exponent"]),
    ("*_transport.tortuosity", PAPER, &["separator.electrolyte_transport={tortuosity=0.5}"], &["separator.electrolyte_transport", "tortuosity factor"]),
    ("positive.electronic_conductivity_S_m", PAPER, &["positive.electronic_conductivity_S_m=1e9"], &["positive.electronic_conductivity_S_m"]),
    ("positive.carbon_network.volume_fraction", PAPER, &["positive.carbon_network.volume_fraction=1.5"], &["positive.carbon_network.volume_fraction", "1.5"]),
    ("positive.carbon_network.conductivity_S_m", PAPER, &["positive.carbon_network.conductivity_S_m=1e9"], &["positive.carbon_network.conductivity_S_m"]),
    ("positive.carbon_network.percolation_threshold", PAPER, &["positive.carbon_network.percolation_threshold=1"], &["positive.carbon_network.percolation_threshold"]),
    ("positive.carbon_network.percolation_exponent", PAPER, &["positive.carbon_network.percolation_exponent=11"], &["positive.carbon_network.percolation_exponent"]),
    ("positive.particle_radius_m", PAPER, &["positive.particle_radius_m=1e-2"], &["positive.particle_radius_m"]),
    ("positive.solid_diffusivity_m2_s", PAPER, &["positive.solid_diffusivity_m2_s=1e-4"], &["positive.solid_diffusivity_m2_s", "1e-4"]),
    ("positive.solid_diffusivity_m2_s.table / .polynomial", PAPER, &["positive.solid_diffusivity_m2_s={polynomial=[1e-16, -1e-15]}"], &["positive.solid_diffusivity_m2_s.polynomial", "at θ = 0.1"]),
    ("positive.max_concentration_mol_m3", PAPER, &["positive.max_concentration_mol_m3=1e7"], &["positive.max_concentration_mol_m3"]),
    ("positive.initial_concentration_mol_m3", PAPER, &["positive.initial_concentration_mol_m3=1e6"], &["positive.initial_concentration_mol_m3", "(0, max_concentration_mol_m3 = 94815)"]),
    ("positive.ocp_V", SOLID, &["positive.ocp_V=11"], &["positive.ocp_V", "11 is outside"]),
    ("positive.exchange_current_k", PAPER, &["positive.exchange_current_k=10"], &["positive.exchange_current_k"]),
    ("positive.film_resistance_ohm_m2", PAPER, &["positive.film_resistance_ohm_m2=1e3"], &["positive.film_resistance_ohm_m2"]),
    ("*.double_layer_capacitance_F_m2", PAPER, &["negative.double_layer_capacitance_F_m2=1e5"], &["negative.double_layer_capacitance_F_m2"]),
    ("positive.contact_fraction", PAPER, &["positive.contact_fraction=0"], &["positive.contact_fraction"]),
    ("positive.active_material_density_kg_m3", PAPER, &["positive.active_material_density_kg_m3=10"], &["positive.active_material_density_kg_m3"]),
    ("positive.msmr.lithium_per_formula_max", PAPER, &["positive.msmr.lithium_per_formula_max=1000"], &["positive.msmr.lithium_per_formula_max"]),
    ("positive.msmr.cationic[].capacity", PAPER, &["positive.msmr.cationic=[{capacity=5, standard_potential_V=3.4, omega=1}]"], &["positive.msmr.cationic[1].capacity", "at most lithium_per_formula_max = 3"]),
    ("positive.msmr.cationic[].standard_potential_V", PAPER, &["positive.msmr.cationic=[{capacity=0.5, standard_potential_V=20, omega=1}]"], &["positive.msmr.cationic[1].standard_potential_V"]),
    ("positive.msmr.cationic[].omega", PAPER, &["positive.msmr.cationic=[{capacity=0.5, standard_potential_V=3.4, omega=1e3}]"], &["positive.msmr.cationic[1].omega"]),
    ("*_activation_energy_J_mol", PAPER, &["electrolyte.conductivity_activation_energy_J_mol=1e6"], &["electrolyte.conductivity_activation_energy_J_mol"]),
    ("*_reference_temperature_K", PAPER, &["electrolyte.separator_conductivity_reference_temperature_K=100"], &["electrolyte.separator_conductivity_reference_temperature_K"]),
    ("separator.grain_boundary_resistance_ohm_m2", PAPER, &["separator.grain_boundary_resistance_ohm_m2=1e3"], &["separator.grain_boundary_resistance_ohm_m2"]),
    ("separator.grain_boundary_capacitance_F_m2", PAPER, &["separator.grain_boundary_capacitance_F_m2=1e5"], &["separator.grain_boundary_capacitance_F_m2"]),
    ("electrolyte.positive_conductivity_S_m", PAPER, &["electrolyte.positive_conductivity_S_m=1e4"], &["electrolyte.positive_conductivity_S_m"]),
    ("electrolyte.separator_conductivity_S_m", PAPER, &["electrolyte.separator_conductivity_S_m=0"], &["electrolyte.separator_conductivity_S_m", "expected a positive number"]),
    ("electrolyte.nominal_concentration_mol_m3", PAPER, &["electrolyte.nominal_concentration_mol_m3=1e6"], &["electrolyte.nominal_concentration_mol_m3"]),
    ("electrolyte.initial_concentration_mol_m3", LIQUID, &["electrolyte.initial_concentration_mol_m3=1e5"], &["electrolyte.initial_concentration_mol_m3"]),
    ("electrolyte.cation_transference_number", LIQUID, &["electrolyte.cation_transference_number=1"], &["electrolyte.cation_transference_number"]),
    ("electrolyte.conductivity_S_m", LIQUID, &["electrolyte.conductivity_S_m=1e4"], &["electrolyte.conductivity_S_m"]),
    ("electrolyte.conductivity_S_m.table / .polynomial", LIQUID, &["electrolyte.conductivity_S_m={polynomial=[1, -1e-3]}"], &["electrolyte.conductivity_S_m.polynomial", "checked for c_e from 0 to 2000"]),
    ("electrolyte.diffusivity_m2_s", LIQUID, &["electrolyte.diffusivity_m2_s=1"], &["electrolyte.diffusivity_m2_s"]),
    ("electrolyte.diffusivity_m2_s.table / .polynomial", LIQUID, &["electrolyte.diffusivity_m2_s={polynomial=[1e-4]}"], &["electrolyte.diffusivity_m2_s.polynomial"]),
    ("electrolyte.thermodynamic_factor", LIQUID, &["electrolyte.thermodynamic_factor=0"], &["electrolyte.thermodynamic_factor"]),
    ("*.polynomial", LIQUID, &["electrolyte.thermodynamic_factor={polynomial=[1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]}"], &["electrolyte.thermodynamic_factor.polynomial", "65"]),
    ("negative.ocp_V", PAPER, &["negative.ocp_V=-6"], &["negative.ocp_V"]),
    ("negative.exchange_current_density_A_m2", PAPER, &["negative.exchange_current_density_A_m2=1e7"], &["negative.exchange_current_density_A_m2"]),
    ("negative.exchange_current_k", LIQUID, &["negative.exchange_current_k=1e3"], &["negative.exchange_current_k"]),
    ("negative.li_metal_concentration_mol_m3", LIQUID, &["negative.li_metal_concentration_mol_m3=1e7"], &["negative.li_metal_concentration_mol_m3"]),
    ("anion_redox.*_potential_V", PAPER, &["anion_redox.lower_couple_potential_V=11"], &["anion_redox.lower_couple_potential_V"]),
    ("anion_redox.omega", PAPER, &["anion_redox.omega=1e-3"], &["anion_redox.omega"]),
    ("anion_redox.hysteresis_V", PAPER, &["anion_redox.hysteresis_V=6"], &["anion_redox.hysteresis_V"]),
    ("anion_redox.hysteresis_rate", PAPER, &["anion_redox.hysteresis_rate=1e5"], &["anion_redox.hysteresis_rate"]),
    ("anion_redox.hysteresis_growth_V", PAPER, &["anion_redox.hysteresis_growth_V=6"], &["anion_redox.hysteresis_growth_V"]),
    ("anion_redox.exchange_current_ratio", PAPER, &["anion_redox.exchange_current_ratio=0"], &["anion_redox.exchange_current_ratio"]),
    ("anion_redox.lattice_capacity", PAPER, &["anion_redox.lattice_capacity=5"], &["anion_redox.lattice_capacity", "expected at most"]),
    ("anion_redox.initial_active_capacity", PAPER, &["anion_redox.initial_active_capacity=2"], &["anion_redox.initial_active_capacity", "expected at most lattice_capacity"]),
    ("anion_redox.activation_rate_per_s", PAPER, &["anion_redox.activation_rate_per_s=1e4"], &["anion_redox.activation_rate_per_s"]),
    ("anion_redox.*_width_V", PAPER, &["parameter_set=wu2022_lro_lpscl_rigid_shift", "anion_redox.oxygen_loss_width_V=0"], &["anion_redox.oxygen_loss_width_V"]),
    ("anion_redox.irreversible_fraction", PAPER, &["anion_redox.irreversible_fraction=2"], &["anion_redox.irreversible_fraction"]),
    ("anion_redox.oxygen_loss_bulk_per_Li", PAPER, &["anion_redox.oxygen_loss_bulk_per_Li=11"], &["anion_redox.oxygen_loss_bulk_per_Li"]),
    ("anion_redox.oxygen_loss_surface_m2_C", PAPER, &["anion_redox.oxygen_loss_surface_m2_C=1e4"], &["anion_redox.oxygen_loss_surface_m2_C"]),
    ("anion_redox.oxygen_loss_contact_m_s", PAPER, &["anion_redox.oxygen_loss_contact_m_s=1e-3"], &["anion_redox.oxygen_loss_contact_m_s"]),
    ("anion_redox.densified_per_oxygen", PAPER, &["anion_redox.densified_per_oxygen=11"], &["anion_redox.densified_per_oxygen"]),
    ("anion_redox.fade_V_per_Li", PAPER, &["anion_redox.fade_V_per_Li=1e3"], &["anion_redox.fade_V_per_Li"]),
    ("anion_redox.migration_rate_V_per_s", PAPER, &["parameter_set=wu2022_lro_lpscl_rigid_shift", "anion_redox.migration_rate_V_per_s=1"], &["anion_redox.migration_rate_V_per_s"]),
    ("anion_redox.rearrangement_*rate_per_s", PAPER, &[r#"anion_redox.migration_law="rearranged_oxygen""#, "anion_redox.rearrangement_rate_per_s=1e-4", "anion_redox.rearrangement_reversal_rate_per_s=2", "anion_redox.migration_vacancy_capacity=0.01"], &["anion_redox.rearrangement_reversal_rate_per_s", "0 to 1 1/s"]),
    ("anion_redox.migration_vacancy_capacity", PAPER, &[r#"anion_redox.migration_law="rearranged_oxygen""#, "anion_redox.rearrangement_rate_per_s=1e-4", "anion_redox.rearrangement_reversal_rate_per_s=1e-3", "anion_redox.migration_vacancy_capacity=20"], &["anion_redox.migration_vacancy_capacity", "20"]),
    ("anion_redox.lower_couple_potential_V", PAPER, &[r#"anion_redox.fade_law="lower_couple""#, "anion_redox.migration_rate_V_per_s=0", "anion_redox.lower_couple_potential_V=11", "anion_redox.lower_couple_omega=1.5", "anion_redox.reduced_metal_per_oxygen=0.5", "anion_redox.migration_rate_per_s=1e-7"], &["anion_redox.lower_couple_potential_V", "11"]),
    ("anion_redox.lower_couple_omega", PAPER, &[r#"anion_redox.fade_law="lower_couple""#, "anion_redox.migration_rate_V_per_s=0", "anion_redox.lower_couple_potential_V=2.9", "anion_redox.lower_couple_omega=0", "anion_redox.reduced_metal_per_oxygen=0.5", "anion_redox.migration_rate_per_s=1e-7"], &["anion_redox.lower_couple_omega"]),
    ("anion_redox.reduced_metal_potential_V", PAPER, &[r#"anion_redox.fade_law="lower_couple""#, "anion_redox.migration_rate_V_per_s=0", "anion_redox.lower_couple_potential_V=2.9", "anion_redox.lower_couple_omega=1.5", "anion_redox.reduced_metal_per_oxygen=0.5", "anion_redox.reduced_metal_potential_V=-6", "anion_redox.migration_rate_per_s=1e-7"], &["anion_redox.reduced_metal_potential_V", "-6"]),
    ("anion_redox.lower_couple_spread_V", PAPER, &[r#"anion_redox.fade_law="lower_couple""#, "anion_redox.migration_rate_V_per_s=0", "anion_redox.lower_couple_potential_V=2.9", "anion_redox.lower_couple_omega=1.5", "anion_redox.lower_couple_spread_V=3.5", "anion_redox.reduced_metal_per_oxygen=0.5", "anion_redox.migration_rate_per_s=1e-7"], &["anion_redox.lower_couple_spread_V", "3.5"]),
    ("anion_redox.reduced_metal_per_oxygen", PAPER, &[r#"anion_redox.fade_law="lower_couple""#, "anion_redox.migration_rate_V_per_s=0", "anion_redox.lower_couple_potential_V=2.9", "anion_redox.lower_couple_omega=1.5", "anion_redox.reduced_metal_per_oxygen=2", "anion_redox.migration_rate_per_s=1e-7"], &["anion_redox.reduced_metal_per_oxygen"]),
    ("anion_redox.migration_rate_per_s", PAPER, &[r#"anion_redox.fade_law="lower_couple""#, "anion_redox.migration_rate_V_per_s=0", "anion_redox.lower_couple_potential_V=2.9", "anion_redox.lower_couple_omega=1.5", "anion_redox.reduced_metal_per_oxygen=0.5", "anion_redox.migration_rate_per_s=1"], &["anion_redox.migration_rate_per_s", "0 to 0.1 1/s"]),
    ("interphase.electronic_conductor_fraction", PAPER, &["interphase.electronic_conductor_fraction=2"], &["interphase.electronic_conductor_fraction"]),
    ("interphase.percolation_threshold", PAPER, &["interphase.percolation_threshold=1"], &["interphase.percolation_threshold"]),
    ("interphase.percolation_exponent", PAPER, &["interphase.percolation_exponent=11"], &["interphase.percolation_exponent"]),
    ("interphase.conductor_conductivity_S_m", PAPER, &["interphase.conductor_conductivity_S_m=1e9"], &["interphase.conductor_conductivity_S_m"]),
    ("interphase.tunnelling_current_A_m2", PAPER, &["interphase.tunnelling_current_A_m2=1e7"], &["interphase.tunnelling_current_A_m2"]),
    ("interphase.open_fraction", PAPER, &["interphase.open_fraction=1.5"], &["interphase.open_fraction"]),
    ("interphase.sealing_thickness_m", PAPER, &["interphase.sealing_thickness_m=1e-3"], &["interphase.sealing_thickness_m"]),
    ("interphase.tunnelling_length_m", PAPER, &["interphase.tunnelling_length_m=1e-3"], &["interphase.tunnelling_length_m"]),
    ("interphase.solvent_diffusion_A_m", PAPER, &["interphase.solvent_diffusion_A_m=2"], &["interphase.solvent_diffusion_A_m"]),
    ("interphase.oxidation_potential_V", PAPER, &["interphase.oxidation_potential_V=1e308"], &["interphase.oxidation_potential_V"]),
    ("interphase.onset_width_V", PAPER, &["interphase.onset_width_V=1e-9"], &["interphase.onset_width_V"]),
    ("interphase.product_volume_m3_mol", PAPER, &["interphase.product_volume_m3_mol=1"], &["interphase.product_volume_m3_mol"]),
    ("interphase.initial_thickness_m", PAPER, &["interphase.initial_thickness_m=1e-3"], &["interphase.initial_thickness_m"]),
    ("interphase.ionic_conductivity_S_m", PAPER, &["interphase.ionic_conductivity_S_m=1e4"], &["interphase.ionic_conductivity_S_m"]),
    ("interphase.native_resistance_ohm_m2", PAPER, &["interphase.native_resistance_ohm_m2=1e3"], &["interphase.native_resistance_ohm_m2"]),
    ("interphase.native_conversion_throughput", PAPER, &["interphase.native_conversion_throughput=1e8"], &["interphase.native_conversion_throughput"]),
    ("cracking.onset_cycles", PAPER, &["cracking.onset_cycles=1e8"], &["cracking.onset_cycles"]),
    ("cracking.width_cycles", PAPER, &["cracking.width_cycles=0"], &["cracking.width_cycles"]),
    ("cracking.max_area_ratio", PAPER, &["cracking.max_area_ratio=1e4"], &["cracking.max_area_ratio"]),
    ("cracking.area_growth_per_cycle", PAPER, &["cracking.area_growth_per_cycle=11"], &["cracking.area_growth_per_cycle"]),
    ("cracking.isolation_per_area", PAPER, &["cracking.isolation_per_area=1e3"], &["cracking.isolation_per_area"]),
    ("cracking.contact_loss_per_cycle", PAPER, &["cracking.contact_loss_per_cycle=0.5"], &["cracking.contact_loss_per_cycle"]),
    ("cracking.wetting", PAPER, &["cracking.wetting=-0.5"], &["cracking.wetting"]),
    ("mesh.positive_x_cells", PAPER, &["mesh.positive_x_cells=1001"], &["mesh.positive_x_cells", "1001 is outside"]),
    ("mesh.separator_x_cells", PAPER, &["mesh.separator_x_cells=0"], &["mesh.separator_x_cells", "at least 1 cell"]),
    ("mesh.particle_r_cells", PAPER, &["mesh.particle_r_cells=1"], &["mesh.particle_r_cells", "at least 2 cells"]),
    ("mesh.particle_surface_refinement", PAPER, &["mesh.particle_surface_refinement=1001"], &["mesh.particle_surface_refinement"]),
    ("(unknowns of the model)", PAPER, &["mesh.positive_x_cells=1000", "mesh.particle_r_cells=1000"], &["mesh.positive_x_cells", "= 1000 × 1005 +", "unknowns"]),
    ("solver.rtol", PAPER, &["solver.rtol=0.1"], &["solver.rtol"]),
    ("solver.atol", PAPER, &["solver.atol=1e-15"], &["solver.atol"]),
    ("solver.max_steps", PAPER, &["solver.max_steps=1000000000"], &["solver.max_steps"]),
    ("solver.output_interval_s", PAPER, &["solver.output_interval_s=1e-4"], &["solver.output_interval_s"]),
    ("solver.cycle_jumping.tolerance", PAPER, &["solver.cycle_jumping={tolerance=1}"], &["solver.cycle_jumping.tolerance"]),
    ("solver.cycle_jumping.max_jump", PAPER, &["solver.cycle_jumping={max_jump=2000000}"], &["solver.cycle_jumping.max_jump"]),
    ("solver.cycle_jumping.resolved_cycles", PAPER, &["solver.cycle_jumping={resolved_cycles=20000}"], &["solver.cycle_jumping.resolved_cycles"]),
    ("experiment: currents", PAPER, &[r#"experiment=["Discharge at 2000C"]"#], &["experiment[1]", "= 2000C"]),
    ("experiment: voltages", PAPER, &[r#"experiment=["Discharge at 1C until 9 V"]"#], &["experiment[1]", "discharge cut-off in [1.38, 3.68)"]),
    ("experiment: durations", PAPER, &[r#"experiment=["Rest for 1e10 s"]"#], &["experiment[1]", "duration: 1e10 is outside"]),
    ("experiment: cycles", PAPER, &[r#"experiment=[{cycles=600000, steps=["Rest for 1 s"]}, {cycles=600000, steps=["Rest for 2 s"]}]"#], &["key `experiment`", "1200000 is outside", "all blocks together"]),
    ("(time-series rows)", PAPER, &["solver.output_interval_s=1e-3"], &["solver.output_interval_s", "15 saved cycles", "rows"]),
    ("impedance.f_min_Hz, f_max_Hz", PAPER, &["impedance.f_max_Hz=1e10"], &["impedance.f_max_Hz"]),
    ("impedance.points_per_decade", PAPER, &["impedance.points_per_decade=1001"], &["impedance.points_per_decade"]),
    ("(frequencies of a spectrum)", PAPER, &["impedance.f_min_Hz=1e-6", "impedance.f_max_Hz=1e9", "impedance.points_per_decade=1000"], &["impedance.points_per_decade", "15001 frequencies"]),
    ("impedance.rest_minutes", PAPER, &["impedance.rest_minutes=1e7"], &["impedance.rest_minutes"]),
    ("impedance.every_cycles, first_cycle", PAPER, &["impedance.first_cycle=9223372036854775807"], &["impedance.first_cycle", "9223372036854775807 is outside"]),
];

/// What a message must show of a limit: the range as written (the fractions of the
/// submodels keep their `[0, 1]`).
fn shown_limit(limit: &Limit) -> Option<String> {
    match limit {
        Limit::Real(r) if *r == range::FRACTION => Some("[0, 1]".into()),
        Limit::Real(r) => Some(r.to_string()),
        Limit::Count(c) => Some(c.to_string()),
        Limit::Relative(_) => None,
    }
}

/// Every documented key has a case, and each case's out-of-range value is rejected with the
/// key, the range and the value.
#[test]
fn every_documented_range_is_enforced() {
    for accepted in ACCEPTED {
        if accepted.key == "(cases of a sweep)" {
            // `a_sweep_of_300_to_the_fifth_cases_is_rejected_before_its_cases_are_made`.
            continue;
        }
        assert!(
            CASES.iter().any(|c| c.0 == accepted.key),
            "no case for the documented key `{}`",
            accepted.key
        );
    }
    for (key, scenario, sets, parts) in CASES {
        let accepted = ACCEPTED
            .iter()
            .find(|a| a.key == *key)
            .unwrap_or_else(|| panic!("`{key}` is not documented in ACCEPTED"));
        let e = load_error(scenario, sets);
        assert_contains_all(&e, parts);
        if let Some(limit) = shown_limit(&accepted.limit) {
            assert_contains_all(&e, &[&limit]);
        }
        assert!(
            e.contains("--set "),
            "`{key}`: the error should be blamed on the --set:\n{e}"
        );
    }
}

/// The ranges' ends are inside: the smallest and largest accepted values load.
#[test]
fn the_ends_of_the_ranges_are_accepted() {
    let sets: &[(&str, &[&str])] = &[
        (PAPER, &["cell.temperature_K=200"]),
        (PAPER, &["cell.temperature_K=500"]),
        (PAPER, &["positive.particle_radius_m=1e-9"]),
        (PAPER, &["positive.particle_radius_m=1e-3"]),
        (PAPER, &["separator.thickness_m=1e-2"]),
        (PAPER, &["solver.rtol=1e-10", "solver.atol=1e-14"]),
        (PAPER, &["solver.rtol=1e-2", "solver.atol=1e-2"]),
        (
            PAPER,
            &[r#"experiment=["Charge at 1000C until 4.3 V vs Li/Li+"]"#],
        ),
        (
            PAPER,
            &["mesh.positive_x_cells=190", "mesh.particle_r_cells=1000"],
        ),
        (
            PAPER,
            &[
                "impedance.points_per_decade=1000",
                "impedance.f_min_Hz=1e-1",
            ],
        ),
        (
            LIQUID,
            &["electrolyte.conductivity_S_m={polynomial=[0.1, 1.5e-3, -4e-7]}"],
        ),
    ];
    for (scenario, sets) in sets {
        let sets: Vec<SetOverride> = sets
            .iter()
            .map(|s| SetOverride::parse(s).expect("well-formed --set"))
            .collect();
        if let Err(e) = load_scenario_with(&root().join(scenario), &sets) {
            panic!("{scenario} with {sets:?}: {}", chain(&e));
        }
    }
}

// ------------------------------------------------------------------------------------------
// NaN and infinity
// ------------------------------------------------------------------------------------------

/// TOML has `nan` and `inf`: written in a scenario's keys, its `[parameters]` or a `--set`,
/// they are rejected with the key and the range.
#[test]
fn nan_and_infinity_are_in_no_range() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let base = "parameter_set = \"wu2022_lro_lpscl\"\nexperiment = [\"Discharge at 1C until 2.0 V vs Li/Li+\"]\n";
    for (extra, parts) in [
        (
            "[parameters]\n\"cell.temperature_K\" = nan\n",
            &[
                "parameters.\"cell.temperature_K\"",
                "finite number",
                "found NaN",
            ][..],
        ),
        (
            "[parameters]\n\"positive.particle_radius_m\" = inf\n",
            &["positive.particle_radius_m", "found inf"][..],
        ),
        (
            "[parameters]\n\"separator.thickness_m\" = -inf\n",
            &["separator.thickness_m", "found -inf"][..],
        ),
        (
            "[parameters]\n\"positive.solid_diffusivity_m2_s\" = { polynomial = [1e-16, nan] }\n",
            &["positive.solid_diffusivity_m2_s.polynomial", "finite"][..],
        ),
        (
            "[parameters]\n\"interphase.tunnelling_length_m\" = nan\n",
            &["interphase.tunnelling_length_m", "NaN"][..],
        ),
        (
            "[parameters]\n\"anion_redox.omega\" = inf\n",
            &["anion_redox.omega", "inf"][..],
        ),
        (
            "[parameters]\n\"electrolyte.conductivity_activation_energy_J_mol\" = nan\n",
            &["electrolyte.conductivity_activation_energy_J_mol", "NaN"][..],
        ),
        ("[solver]\nrtol = nan\n", &["solver.rtol", "NaN"][..]),
        (
            "[solver]\noutput_interval_s = inf\n",
            &["solver.output_interval_s", "inf"][..],
        ),
        (
            "[solver.cycle_jumping]\ntolerance = nan\n",
            &["solver.cycle_jumping.tolerance", "NaN"][..],
        ),
        (
            "[impedance]\nevery_cycles = 1\nf_max_Hz = inf\n",
            &["impedance.f_max_Hz", "inf"][..],
        ),
        (
            "[impedance]\nevery_cycles = 1\nrest_minutes = nan\n",
            &["impedance.rest_minutes", "NaN"][..],
        ),
    ] {
        let path = dir.path().join("s.toml");
        std::fs::write(&path, format!("{base}{extra}")).expect("write scenario");
        let e = match asslb::scenario::load_scenario(&path) {
            Ok(_) => panic!("{extra}: expected an error"),
            Err(e) => chain(&e),
        };
        assert_contains_all(&e, &["s.toml"]);
        assert_contains_all(&e, parts);
    }
    for set in [
        "cell.temperature_K=nan",
        "solver.atol=-inf",
        "positive.thickness_m=inf",
    ] {
        let e = load_error(PAPER, &[set]);
        assert_contains_all(&e, &[&format!("--set {set}"), "accepted range"]);
    }
    // A step's numbers: words are not numbers, and an overflowing one is not finite.
    let e = load_error(PAPER, &[r#"experiment=["Discharge at 1e999C"]"#]);
    assert_contains_all(&e, &["expected a finite number"]);
}

// ------------------------------------------------------------------------------------------
// The documentation
// ------------------------------------------------------------------------------------------

/// The rows of the table in `docs/robustness.md`, as the code has them.
fn table_rows() -> Vec<String> {
    ACCEPTED
        .iter()
        .map(|a| format!("| `{}` | {} | {} |", a.key, a.limit, a.note).replace(" |  |", " | |"))
        .collect()
}

/// The table "Accepted input ranges" of `docs/robustness.md` is the list in the code.
#[test]
fn the_documented_table_is_the_code() {
    let path = root().join("docs/robustness.md");
    let doc = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let section = doc
        .split("\n## ")
        .find(|s| s.starts_with("Accepted input ranges"))
        .expect("docs/robustness.md has a section `## Accepted input ranges`");
    let documented: Vec<&str> = section.lines().filter(|l| l.starts_with("| `")).collect();
    let expected = table_rows();
    assert!(
        documented == expected,
        "docs/robustness.md is not the list in src/range.rs; the rows should read:\n{}",
        expected.join("\n")
    );
}

// ------------------------------------------------------------------------------------------
// What ships is inside the ranges
// ------------------------------------------------------------------------------------------

fn toml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            toml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
}

/// Every scenario and sweep under `scenarios/` and `benches/` loads: the ranges leave room for
/// everything shipped (the built-in sets with it; validation and fit files load theirs in
/// `tests/validation.rs`, `tests/fit.rs` and `tests/wu2022.rs`).
#[test]
fn every_shipped_scenario_and_sweep_is_inside_the_ranges() {
    let mut files = Vec::new();
    for dir in ["scenarios", "benches"] {
        toml_files(&root().join(dir), &mut files);
    }
    let mut scenarios = 0;
    let mut sweeps = 0;
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read toml");
        let table: toml::Table = text.parse().expect("valid TOML");
        if table.contains_key("sweep") {
            if let Err(e) = asslb::sweep::load_sweep(&file) {
                panic!("{}: {}", file.display(), chain(&e));
            }
            sweeps += 1;
        } else if table.contains_key("experiment") {
            if let Err(e) = asslb::scenario::load_scenario(&file) {
                panic!("{}: {}", file.display(), chain(&e));
            }
            scenarios += 1;
        }
    }
    assert!(
        scenarios >= 10 && sweeps >= 3,
        "{scenarios} scenarios, {sweeps} sweeps"
    );
    for name in asslb::scenario::builtin_parameter_set_names() {
        asslb::scenario::load_parameter_set(name).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}
