//! Bad input: one test per kind of mistake in a scenario, its experiment, a parameter file, a
//! table or a `--set`. Each asserts that the error (with its causes) names the file (or the
//! `--set`), the key and what was expected, and all of them fail in `load_scenario`, before
//! anything is solved or written.

use std::error::Error;
use std::path::PathBuf;

use asslb::scenario::{builtin_parameter_set, load_scenario, load_scenario_with, SetOverride};

/// The error and its causes, as the CLI prints them.
fn chain(e: &dyn Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str("\ncaused by: ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

/// A temporary folder with a scenario and, where needed, a parameter file and tables.
struct Case {
    dir: tempfile::TempDir,
}

/// A parameter file with `[positive.msmr]`, `[anion_redox]`, `[interphase]` and `[cracking]`.
const SECTIONS_FILE: &str = include_str!("data/parameter_sections/cell.toml");

const GOOD_EXPERIMENT: &str = r#"experiment = ["Discharge at 0.72 mA until 1.38 V"]"#;

impl Case {
    fn new() -> Self {
        Case {
            dir: tempfile::tempdir().expect("temporary folder"),
        }
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write test file");
        path
    }

    /// Writes the solid built-in set as `cell.toml` + `positive_ocp.csv`, with `edit` applied
    /// to the parameter file text.
    fn parameter_file(&self, edit: impl FnOnce(String) -> String) {
        let set = builtin_parameter_set("solid_halfcell_single_ion").expect("built-in set");
        self.write("cell.toml", &edit(set.parameter_file.to_string()));
        self.write(
            "positive_ocp.csv",
            set.table("positive_ocp.csv").expect("embedded table"),
        );
    }

    /// Writes `tests/data/parameter_sections/cell.toml` (MSMR open-circuit potential and every
    /// submodel section) as `cell.toml`, with `edit` applied to its text.
    fn sections_file(&self, edit: impl FnOnce(String) -> String) {
        self.write("cell.toml", &edit(SECTIONS_FILE.to_string()));
    }

    /// Loads `scenario.toml` with `text`, expecting an error; returns the full chain.
    fn error(&self, text: &str) -> String {
        self.error_with(text, &[])
    }

    /// As [`Case::error`], with `--set` arguments.
    fn error_with(&self, text: &str, sets: &[&str]) -> String {
        let path = self.write("scenario.toml", text);
        let sets: Vec<SetOverride> = sets
            .iter()
            .map(|s| SetOverride::parse(s).expect("well-formed --set"))
            .collect();
        match load_scenario_with(&path, &sets) {
            Ok(s) => panic!("expected an error, got a valid scenario: {s:?}"),
            Err(e) => chain(&e),
        }
    }
}

/// Replaces `from` (which must occur) by `to`.
fn replace(text: String, from: &str, to: &str) -> String {
    assert!(text.contains(from), "test setup: `{from}` not in the text");
    text.replacen(from, to, 1)
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

/// A scenario of the built-in solid set with `extra` (top-level keys, then tables) after its
/// experiment.
fn builtin_scenario(extra: &str) -> String {
    format!("parameter_set = \"solid_halfcell_single_ion\"\n{GOOD_EXPERIMENT}\n{extra}")
}

fn file_scenario(extra: &str) -> String {
    format!("parameter_file = \"cell.toml\"\n{GOOD_EXPERIMENT}\n{extra}")
}

/// A scenario of the built-in solid set with `experiment` as its experiment.
fn experiment(experiment: &str) -> String {
    format!("parameter_set = \"solid_halfcell_single_ion\"\nexperiment = {experiment}\n")
}

// ------------------------------------------------------------------------------------------
// Files and TOML syntax
// ------------------------------------------------------------------------------------------

#[test]
fn scenario_file_that_does_not_exist() {
    let case = Case::new();
    let path = case.dir.path().join("nope.toml");
    let e = chain(&load_scenario(&path).unwrap_err());
    assert_contains_all(&e, &["cannot read", "nope.toml", "caused by:"]);
}

#[test]
fn scenario_that_is_not_toml() {
    let e = Case::new().error("parameter_set = \"solid_halfcell_single_ion\nexperiment = []\n");
    assert_contains_all(&e, &["scenario.toml", "not valid TOML", "line 1"]);
}

#[test]
fn parameter_file_that_does_not_exist() {
    let e = Case::new().error(&file_scenario(""));
    assert_contains_all(&e, &["cannot read", "cell.toml", "caused by:"]);
}

#[test]
fn parameter_file_that_is_not_toml() {
    let case = Case::new();
    case.parameter_file(|t| replace(t, "[cell]", "[cell"));
    let e = case.error(&file_scenario(""));
    assert_contains_all(&e, &["cell.toml", "not valid TOML"]);
}

// ------------------------------------------------------------------------------------------
// Missing keys
// ------------------------------------------------------------------------------------------

#[test]
fn parameter_file_without_a_required_key() {
    let case = Case::new();
    case.parameter_file(|t| replace(t, "area_m2 = 7.853981634e-05", ""));
    let e = case.error(&file_scenario(""));
    assert_contains_all(&e, &["cell.toml", "cell.area_m2", "missing required key"]);
}

#[test]
fn scenario_without_a_parameter_set() {
    let e = Case::new().error(GOOD_EXPERIMENT);
    assert_contains_all(
        &e,
        &[
            "scenario.toml",
            "parameter_set",
            "missing required key",
            "parameter_file",
        ],
    );
}

#[test]
fn scenario_without_an_experiment() {
    let e = Case::new().error("parameter_set = \"solid_halfcell_single_ion\"\n");
    assert_contains_all(
        &e,
        &[
            "scenario.toml",
            "`experiment`",
            "missing required key",
            "Discharge at 1C until 2.0 V",
        ],
    );
}

#[test]
fn old_steps_tables_are_unknown_keys() {
    let e = Case::new().error(
        "parameter_set = \"solid_halfcell_single_ion\"\n[[steps]]\ndirection = \"discharge\"\nc_rate = 1.0\n",
    );
    assert_contains_all(
        &e,
        &["scenario.toml", "`steps`", "unknown key", "`experiment`"],
    );
}

#[test]
fn arrhenius_activation_energy_without_reference_temperature() {
    let case = Case::new();
    case.parameter_file(|t| {
        replace(
            t,
            "particle_radius_m = 1e-06",
            "particle_radius_m = 1e-06\nsolid_diffusivity_activation_energy_J_mol = 30000.0",
        )
    });
    let e = case.error(&file_scenario(""));
    assert_contains_all(
        &e,
        &[
            "cell.toml",
            "positive.solid_diffusivity_reference_temperature_K",
            "missing required key",
            "solid_diffusivity_activation_energy_J_mol",
        ],
    );
}

// ------------------------------------------------------------------------------------------
// Malformed values
// ------------------------------------------------------------------------------------------

#[test]
fn parameter_of_the_wrong_type() {
    let case = Case::new();
    case.parameter_file(|t| replace(t, "thickness_m = 2.7e-05", "thickness_m = \"thick\""));
    let e = case.error(&file_scenario(""));
    assert_contains_all(
        &e,
        &[
            "cell.toml",
            "positive.thickness_m",
            "expected a number",
            "\"thick\"",
        ],
    );
}

#[test]
fn material_function_in_no_known_form() {
    let case = Case::new();
    case.parameter_file(|t| {
        replace(
            t,
            "ocp_V = { table = \"positive_ocp.csv\" }",
            "ocp_V = \"positive_ocp.csv\"",
        )
    });
    let e = case.error(&file_scenario(""));
    assert_contains_all(
        &e,
        &[
            "cell.toml",
            "positive.ocp_V",
            "expected a number, { table = \"file.csv\" } or { polynomial",
        ],
    );
}

#[test]
fn mesh_cells_not_an_integer() {
    let e = Case::new().error(&builtin_scenario("[mesh]\npositive_x_cells = -3\n"));
    assert_contains_all(
        &e,
        &[
            "scenario.toml",
            "mesh.positive_x_cells",
            "expected a non-negative integer",
            "-3",
        ],
    );
}

#[test]
fn electrolyte_kind_unknown() {
    let case = Case::new();
    case.parameter_file(|t| replace(t, "kind = \"single_ion\"", "kind = \"gel\""));
    let e = case.error(&file_scenario(""));
    assert_contains_all(
        &e,
        &[
            "cell.toml",
            "electrolyte.kind",
            "`single_ion`",
            "`binary`",
            "gel",
        ],
    );
}

#[test]
fn electrolyte_key_of_the_other_kind() {
    let case = Case::new();
    case.parameter_file(|t| {
        replace(
            t,
            "kind = \"single_ion\"",
            "kind = \"single_ion\"\ncation_transference_number = 0.4",
        )
    });
    let e = case.error(&file_scenario(""));
    assert_contains_all(
        &e,
        &[
            "cell.toml",
            "electrolyte.cation_transference_number",
            "not a key of kind = \"single_ion\"",
        ],
    );
}

#[test]
fn transport_given_both_ways() {
    let case = Case::new();
    case.parameter_file(|t| {
        replace(
            t,
            "electronic_transport = { bruggeman = 1.5 }",
            "electronic_transport = { bruggeman = 1.5, tortuosity = 2.0 }",
        )
    });
    let e = case.error(&file_scenario(""));
    assert_contains_all(
        &e,
        &[
            "cell.toml",
            "positive.electronic_transport",
            "exactly one of `bruggeman` or `tortuosity`",
        ],
    );
}

#[test]
fn counter_electrode_exchange_current_in_both_forms() {
    let case = Case::new();
    case.parameter_file(|t| {
        replace(
            t,
            "exchange_current_density_A_m2 = 20.0",
            "exchange_current_density_A_m2 = 20.0\nexchange_current_k = 0.003\nli_metal_concentration_mol_m3 = 76923.0",
        )
    });
    let e = case.error(&file_scenario(""));
    assert_contains_all(
        &e,
        &[
            "cell.toml",
            "negative.exchange_current_density_A_m2",
            "either",
            "found both",
        ],
    );
}

// ------------------------------------------------------------------------------------------
// Unknown keys
// ------------------------------------------------------------------------------------------

#[test]
fn unknown_key_in_the_scenario() {
    let e = Case::new().error(&builtin_scenario("[solver]\nrtoll = 1e-6\n"));
    assert_contains_all(
        &e,
        &["scenario.toml", "solver.rtoll", "unknown key", "`rtol`"],
    );
}

#[test]
fn unknown_top_level_key_in_the_scenario() {
    let e = Case::new().error(&builtin_scenario("temperature = 300\n"));
    assert_contains_all(
        &e,
        &[
            "scenario.toml",
            "`temperature`",
            "unknown key",
            "`parameter_set`",
        ],
    );
}

#[test]
fn unknown_key_in_a_block() {
    let e = Case::new().error(&experiment(
        "[{ cycle = 3, steps = [\"Discharge at 1C until 1.4 V\"] }]",
    ));
    assert_contains_all(
        &e,
        &[
            "scenario.toml",
            "experiment[1].cycle",
            "unknown key",
            "`cycles` and `steps`",
        ],
    );
}

#[test]
fn unknown_key_in_the_parameter_file() {
    let case = Case::new();
    case.parameter_file(|t| replace(t, "particle_radius_m = 1e-06", "particle_radius_um = 1.0"));
    let e = case.error(&file_scenario(""));
    assert_contains_all(
        &e,
        &[
            "cell.toml",
            "positive.particle_radius_um",
            "unknown key",
            "`particle_radius_m`",
        ],
    );
}

#[test]
fn override_of_a_path_that_does_not_exist() {
    let e = Case::new().error(&builtin_scenario(
        "[parameters]\n\"positive.particle_radius\" = 1.2e-6\n",
    ));
    assert_contains_all(
        &e,
        &[
            "scenario.toml",
            "parameters.\"positive.particle_radius\"",
            "unknown key",
            "`particle_radius_m`",
        ],
    );
}

#[test]
fn override_of_a_section_that_does_not_exist() {
    let e = Case::new().error(&builtin_scenario(
        "[parameters]\n\"postive.thickness_m\" = 1e-5\n",
    ));
    assert_contains_all(
        &e,
        &[
            "scenario.toml",
            "parameters.\"postive.thickness_m\"",
            "unknown key",
            "`positive`",
        ],
    );
}

#[test]
fn override_of_the_wrong_type() {
    let e = Case::new().error(&builtin_scenario(
        "[parameters]\n\"cell.temperature_K\" = \"hot\"\n",
    ));
    assert_contains_all(
        &e,
        &[
            "scenario.toml",
            "parameters.\"cell.temperature_K\"",
            "expected a number",
        ],
    );
}

#[test]
fn unknown_parameter_set() {
    let e = Case::new().error(&format!(
        "parameter_set = \"solid_halfcell\"\n{GOOD_EXPERIMENT}\n"
    ));
    assert_contains_all(
        &e,
        &[
            "scenario.toml",
            "parameter_set",
            "expected the name of a built-in parameter set",
            "\"solid_halfcell_single_ion\"",
            "\"solid_halfcell\"",
        ],
    );
}

#[test]
fn both_parameter_set_and_parameter_file() {
    let e = Case::new().error(&builtin_scenario("parameter_file = \"cell.toml\"\n"));
    assert_contains_all(
        &e,
        &[
            "scenario.toml",
            "parameter_set",
            "exactly one",
            "found both",
        ],
    );
}

// ------------------------------------------------------------------------------------------
// Table files
// ------------------------------------------------------------------------------------------

#[test]
fn table_file_that_does_not_exist() {
    let case = Case::new();
    case.parameter_file(|t| replace(t, "\"positive_ocp.csv\"", "\"missing_ocp.csv\""));
    let e = case.error(&file_scenario(""));
    assert_contains_all(
        &e,
        &[
            "cell.toml",
            "positive.ocp_V.table",
            "cannot read table file",
            "missing_ocp.csv",
            "caused by:",
        ],
    );
}

#[test]
fn table_file_with_three_columns() {
    let case = Case::new();
    case.parameter_file(|t| t);
    case.write(
        "positive_ocp.csv",
        "stoichiometry,ocp_V\n0,4.5\n0.5,3.5,1\n1,2.0\n",
    );
    let e = case.error(&file_scenario(""));
    assert_contains_all(
        &e,
        &[
            "cell.toml",
            "positive.ocp_V.table",
            "positive_ocp.csv",
            "line 3",
            "expected 2 comma-separated numbers",
        ],
    );
}

#[test]
fn table_file_with_text_where_a_number_belongs() {
    let case = Case::new();
    case.parameter_file(|t| t);
    case.write(
        "positive_ocp.csv",
        "stoichiometry,ocp_V\n0,4.5\n0.5,three\n1,2.0\n",
    );
    let e = case.error(&file_scenario(""));
    assert_contains_all(
        &e,
        &[
            "positive_ocp.csv",
            "line 3",
            "expected a finite number",
            "`three`",
            "positive.ocp_V.table",
        ],
    );
}

#[test]
fn table_file_not_increasing() {
    let case = Case::new();
    case.parameter_file(|t| t);
    case.write(
        "positive_ocp.csv",
        "stoichiometry,ocp_V\n0,4.5\n0.5,3.5\n0.4,3.4\n1,2.0\n",
    );
    let e = case.error(&file_scenario(""));
    assert_contains_all(
        &e,
        &[
            "cell.toml",
            "positive.ocp_V.table",
            "positive_ocp.csv",
            "line 4",
            "strictly increasing",
        ],
    );
}

#[test]
fn table_named_in_an_override_resolves_against_the_scenario() {
    let case = Case::new();
    case.write(
        "my_ocp.csv",
        "stoichiometry,ocp_V\n0,4.5\n0.5,3.5\n0.5,3.4\n",
    );
    let e = case.error(&builtin_scenario(
        "[parameters]\n\"positive.ocp_V\" = { table = \"my_ocp.csv\" }\n",
    ));
    assert_contains_all(
        &e,
        &[
            "scenario.toml",
            "parameters.\"positive.ocp_V.table\"",
            "my_ocp.csv",
            "line 4",
            "strictly increasing",
        ],
    );
}

// ------------------------------------------------------------------------------------------
// Non-physical parameters
// ------------------------------------------------------------------------------------------

#[test]
fn negative_thickness() {
    let case = Case::new();
    case.parameter_file(|t| replace(t, "thickness_m = 2.7e-05", "thickness_m = -2.7e-05"));
    let e = case.error(&file_scenario(""));
    assert_contains_all(
        &e,
        &[
            "cell.toml",
            "positive.thickness_m",
            "expected a positive number",
            "-0.000027",
        ],
    );
}

#[test]
fn negative_thickness_by_override() {
    let e = Case::new().error(&builtin_scenario(
        "[parameters]\n\"separator.thickness_m\" = -1e-4\n",
    ));
    assert_contains_all(
        &e,
        &[
            "scenario.toml",
            "parameters.\"separator.thickness_m\"",
            "expected a positive number",
        ],
    );
}

#[test]
fn volume_fractions_summing_above_one() {
    let case = Case::new();
    case.parameter_file(|t| {
        replace(
            t,
            "active_material_volume_fraction = 0.3",
            "active_material_volume_fraction = 0.5",
        )
    });
    let e = case.error(&file_scenario(""));
    assert_contains_all(
        &e,
        &[
            "cell.toml",
            "positive.electrolyte_volume_fraction",
            "≤ 1",
            "1.1",
        ],
    );
}

#[test]
fn cut_offs_in_the_wrong_order() {
    let e = Case::new().error(&builtin_scenario(
        "[parameters]\n\"cell.lower_cutoff_V\" = 3.9\n",
    ));
    assert_contains_all(
        &e,
        &[
            "scenario.toml",
            "cell.lower_cutoff_V",
            "below the upper cut-off",
        ],
    );
}

#[test]
fn cut_offs_in_the_wrong_order_in_a_parameter_file() {
    let case = Case::new();
    case.parameter_file(|t| replace(t, "upper_cutoff_V = 3.68", "upper_cutoff_V = 1.0"));
    let e = case.error(&file_scenario(""));
    assert_contains_all(
        &e,
        &[
            "cell.toml",
            "cell.lower_cutoff_V",
            "below the upper cut-off",
        ],
    );
}

// ------------------------------------------------------------------------------------------
// The experiment
// ------------------------------------------------------------------------------------------

#[test]
fn misspelt_step() {
    let e = Case::new().error(&experiment(
        "[\"Discharge at 1C until 1.38 V\", \"Dischrge at 1C until 2 V\"]",
    ));
    assert_contains_all(
        &e,
        &[
            "scenario.toml",
            "experiment[2]",
            "\"Dischrge at 1C until 2 V\"",
            "expected a step starting with Charge, Discharge, Hold or Rest",
            "found `Dischrge`",
        ],
    );
}

#[test]
fn misspelt_step_in_a_block() {
    let e = Case::new().error(&experiment(
        "[{ cycles = 10, steps = [\"Charge at 1C until 3.6 V\", \"Discharge at 1C untill 1.4 V\"] }]",
    ));
    assert_contains_all(
        &e,
        &[
            "scenario.toml",
            "experiment[1].steps[2]",
            "\"Discharge at 1C untill 1.4 V\"",
            "expected `until <voltage or current>` or `for <duration>`",
            "found `untill`",
        ],
    );
}

#[test]
fn step_with_an_unknown_unit() {
    let e = Case::new().error(&experiment("[\"Discharge at 1 mAh until 1.4 V\"]"));
    assert_contains_all(
        &e,
        &[
            "experiment[1]",
            "\"Discharge at 1 mAh until 1.4 V\"",
            "expected a current",
            "unknown unit `mAh`",
        ],
    );
    let e = Case::new().error(&experiment("[\"Rest for 2 weeks\"]"));
    assert_contains_all(&e, &["expected a duration", "unknown unit `weeks`"]);
    let e = Case::new().error(&experiment("[\"Charge at 1C until 3.6 Volt\"]"));
    assert_contains_all(&e, &["expected a voltage", "unknown unit `Volt`"]);
}

#[test]
fn current_per_mass_without_a_density() {
    let e = Case::new().error(
        "parameter_set = \"xu2019_liquid_halfcell\"\nexperiment = [\"Discharge at 150 mA/g until 3.5 V\"]\n",
    );
    assert_contains_all(
        &e,
        &[
            "scenario.toml",
            "experiment[1]",
            "\"Discharge at 150 mA/g until 3.5 V\"",
            "per mass of active material",
            "positive.active_material_density_kg_m3",
        ],
    );
}

#[test]
fn active_material_density_not_positive() {
    let e = Case::new().error(&builtin_scenario(
        "[parameters]\n\"positive.active_material_density_kg_m3\" = 0.0\n",
    ));
    assert_contains_all(
        &e,
        &[
            "scenario.toml",
            "parameters.\"positive.active_material_density_kg_m3\"",
            "expected a positive number",
        ],
    );
}

#[test]
fn hold_without_a_limit() {
    let e = Case::new().error(&experiment("[\"Hold at 3.6 V\"]"));
    assert_contains_all(
        &e,
        &[
            "experiment[1]",
            "\"Hold at 3.6 V\"",
            "a hold needs an end",
            "until C/50",
        ],
    );
}

#[test]
fn rest_without_a_duration() {
    let e = Case::new().error(&experiment("[\"Rest\"]"));
    assert_contains_all(
        &e,
        &[
            "experiment[1]",
            "\"Rest\"",
            "a rest needs a duration",
            "Rest for 30 minutes",
        ],
    );
}

#[test]
fn step_current_not_positive() {
    let e = Case::new().error(&experiment("[\"Discharge at -0.72 mA until 1.38 V\"]"));
    assert_contains_all(
        &e,
        &[
            "scenario.toml",
            "experiment[1]",
            "expected a current > 0",
            "-0.00072 A",
        ],
    );
}

#[test]
fn discharge_cut_off_above_the_window() {
    let e = Case::new().error(&experiment(
        "[\"Discharge at 1C until 1.38 V\", \"Discharge at 1C until 3.68 V\"]",
    ));
    // The second step is the bad one.
    assert_contains_all(
        &e,
        &[
            "scenario.toml",
            "experiment[2]",
            "discharge cut-off in [1.38, 3.68)",
            "found 3.68 V",
        ],
    );
}

#[test]
fn charge_cut_off_at_the_lower_cut_off() {
    let e = Case::new().error(&experiment("[\"Charge at 1C until 1.38 V\"]"));
    assert_contains_all(
        &e,
        &[
            "scenario.toml",
            "experiment[1]",
            "charge cut-off in (1.38, 3.68]",
        ],
    );
}

#[test]
fn cut_off_vs_lithium_outside_the_window() {
    // 4.4 V vs Li/Li+ is 3.78 V against Li-In, above the cell's 3.68 V.
    let e = Case::new().error(&experiment("[\"Charge at 1C until 4.4 V vs Li/Li+\"]"));
    assert_contains_all(
        &e,
        &[
            "experiment[1]",
            "charge cut-off in (1.38, 3.68]",
            "4.4 V vs Li/Li+ = 3.78 V cell voltage",
        ],
    );
}

#[test]
fn hold_outside_the_window() {
    let e = Case::new().error(&experiment("[\"Hold at 4.3 V until C/50\"]"));
    assert_contains_all(&e, &["experiment[1]", "hold voltage in [1.38, 3.68]"]);
}

#[test]
fn step_duration_not_positive() {
    let e = Case::new().error(&experiment("[\"Discharge at 1C for 0 s\"]"));
    assert_contains_all(&e, &["scenario.toml", "experiment[1]", "duration > 0 s"]);
}

#[test]
fn experiment_that_is_not_a_list() {
    let e = Case::new().error(&experiment("\"Discharge at 1C\""));
    assert_contains_all(&e, &["scenario.toml", "`experiment`", "expected a list"]);
    let e = Case::new().error(&experiment("[{ cycles = 0, steps = [\"Rest for 1 h\"] }]"));
    assert_contains_all(&e, &["experiment[1].cycles", "≥ 1, found 0"]);
}

// ------------------------------------------------------------------------------------------
// Open-circuit forms and submodel sections
// ------------------------------------------------------------------------------------------

/// The `[anion_redox]` section of the sections file, heading included.
fn anion_redox_section() -> String {
    let start = SECTIONS_FILE
        .find("[anion_redox]")
        .expect("test setup: [anion_redox] in the sections file");
    let end = SECTIONS_FILE[start..]
        .find("\n[interphase]")
        .map_or(SECTIONS_FILE.len(), |e| start + e);
    SECTIONS_FILE[start..end].to_string()
}

#[test]
fn interphase_fraction_out_of_range() {
    let case = Case::new();
    case.sections_file(|t| {
        replace(
            t,
            "electronic_conductor_fraction = 0",
            "electronic_conductor_fraction = 1.5",
        )
    });
    let e = case.error(&file_scenario(""));
    assert_contains_all(
        &e,
        &[
            "cell.toml",
            "key `interphase.electronic_conductor_fraction`",
            "expected a mole fraction in [0, 1]",
            "1.5",
        ],
    );
}

#[test]
fn interphase_fraction_out_of_range_by_set() {
    let case = Case::new();
    case.sections_file(|t| t);
    let e = case.error_with(
        &file_scenario(""),
        &["interphase.electronic_conductor_fraction=-0.1"],
    );
    assert_contains_all(
        &e,
        &[
            "--set interphase.electronic_conductor_fraction=-0.1",
            "parameters.\"interphase.electronic_conductor_fraction\"",
            "expected a mole fraction in [0, 1]",
        ],
    );
}

#[test]
fn anion_redox_negative_rate() {
    let case = Case::new();
    case.sections_file(|t| {
        replace(
            t,
            "oxygen_loss_bulk_per_Li = 1e-3",
            "oxygen_loss_bulk_per_Li = -1",
        )
    });
    let e = case.error(&file_scenario(""));
    assert_contains_all(
        &e,
        &[
            "cell.toml",
            "key `anion_redox.oxygen_loss_bulk_per_Li`",
            "expected a number ≥ 0",
            "-1",
        ],
    );
}

#[test]
fn anionic_capacity_larger_than_the_lattice_allows() {
    // Host: 2 Li per formula unit; the cationic galleries take 0.5 + 0.5, leaving 1.
    let case = Case::new();
    case.sections_file(|t| replace(t, "lattice_capacity = 0.9", "lattice_capacity = 1.5"));
    let e = case.error(&file_scenario(""));
    assert_contains_all(
        &e,
        &[
            "cell.toml",
            "key `anion_redox.lattice_capacity`",
            "expected at most 1 lithium per formula unit",
            "found 1.5",
        ],
    );
}

#[test]
fn anion_redox_without_msmr() {
    let case = Case::new();
    case.parameter_file(|t| format!("{t}\n{}", anion_redox_section()));
    let e = case.error(&file_scenario(""));
    assert_contains_all(
        &e,
        &[
            "cell.toml",
            "key `anion_redox`",
            "expected an MSMR open-circuit potential (`positive.msmr`)",
        ],
    );
}

#[test]
fn anion_redox_without_msmr_by_override() {
    let e = Case::new().error(&builtin_scenario(&format!(
        "[parameters.{}",
        anion_redox_section().trim_start_matches('[')
    )));
    assert_contains_all(
        &e,
        &[
            "scenario.toml",
            "parameters.\"anion_redox.",
            "expected an MSMR open-circuit potential (`positive.msmr`)",
        ],
    );
}

#[test]
fn open_circuit_potential_in_both_forms() {
    let case = Case::new();
    case.sections_file(|t| {
        replace(
            t,
            "exchange_current_k = 2e-06",
            "exchange_current_k = 2e-06\nocp_V = 3.5",
        )
    });
    let e = case.error(&file_scenario(""));
    assert_contains_all(
        &e,
        &[
            "cell.toml",
            "key `positive.msmr`",
            "expected either `positive.ocp_V` (a function of the stoichiometry) or a `[positive.msmr]` table",
            "found both",
        ],
    );
}

#[test]
fn open_circuit_potential_in_both_forms_by_override() {
    // The built-in set has `ocp_V`; an override cannot remove it.
    let e = Case::new().error(&builtin_scenario(
        "[parameters]\n\"positive.msmr\" = { lithium_per_formula_max = 2.0, cationic = [{ capacity = 1.0, standard_potential_V = 3.5, omega = 1.0 }] }\n",
    ));
    assert_contains_all(
        &e,
        &[
            "scenario.toml",
            "parameters.\"positive.msmr.",
            "`positive.ocp_V`",
            "found both",
            "write a parameter file",
        ],
    );
}

#[test]
fn open_circuit_potential_in_neither_form() {
    let case = Case::new();
    case.sections_file(|t| {
        let start = t.find("[positive.msmr]").expect("test setup: msmr table");
        let end = t.find("[separator]").expect("test setup: separator");
        format!("{}{}", &t[..start], &t[end..])
    });
    let e = case.error(&file_scenario(""));
    assert_contains_all(
        &e,
        &[
            "cell.toml",
            "key `positive.ocp_V`",
            "missing required key",
            "or a `[positive.msmr]` table",
        ],
    );
}

#[test]
fn submodel_section_without_a_key() {
    let case = Case::new();
    case.sections_file(|t| replace(t, "wetting = 0.0\n", ""));
    let e = case.error(&file_scenario(""));
    assert_contains_all(
        &e,
        &[
            "cell.toml",
            "key `cracking.wetting`",
            "missing required key",
        ],
    );
    let case = Case::new();
    case.sections_file(|t| replace(t, "native_resistance_ohm_m2 = 0.1\n", ""));
    let e = case.error(&file_scenario(""));
    assert_contains_all(
        &e,
        &[
            "cell.toml",
            "key `interphase.native_resistance_ohm_m2`",
            "missing required key",
        ],
    );
}

#[test]
fn gallery_without_a_key() {
    let case = Case::new();
    case.sections_file(|t| replace(t, ", omega = 1.2 }", " }"));
    let e = case.error(&file_scenario(""));
    assert_contains_all(
        &e,
        &[
            "cell.toml",
            "key `positive.msmr.cationic[2].omega`",
            "missing required key",
        ],
    );
}

#[test]
fn override_that_adds_part_of_a_section() {
    let e = Case::new().error_with(&builtin_scenario(""), &["cracking.wetting=1"]);
    assert_contains_all(
        &e,
        &[
            "--set cracking.wetting=1",
            "parameters.\"cracking.onset_cycles\"",
            "missing required key",
            "the parameter file has no `[cracking]`",
            "every key",
        ],
    );
}

#[test]
fn unknown_key_in_a_submodel_section() {
    let case = Case::new();
    case.sections_file(|t| replace(t, "hysteresis_V = 0.6", "hysteresis_mV = 600"));
    let e = case.error(&file_scenario(""));
    assert_contains_all(
        &e,
        &[
            "cell.toml",
            "key `anion_redox.hysteresis_mV`",
            "unknown key",
            "`hysteresis_V`",
        ],
    );
    let case = Case::new();
    case.sections_file(|t| replace(t, ", omega = 1.2 }", ", omega = 1.2, width = 1 }"));
    let e = case.error(&file_scenario(""));
    assert_contains_all(
        &e,
        &[
            "cell.toml",
            "key `positive.msmr.cationic[2].width`",
            "unknown key",
            "`standard_potential_V`",
        ],
    );
}

#[test]
fn empty_list_of_galleries() {
    let case = Case::new();
    case.sections_file(|t| {
        let start = t.find("cationic = [").expect("test setup: cationic");
        let end = start + t[start..].find("]\n").expect("test setup: end of cationic");
        format!("{}cationic = []{}", &t[..start], &t[end + 1..])
    });
    let e = case.error(&file_scenario(""));
    assert_contains_all(
        &e,
        &[
            "cell.toml",
            "key `positive.msmr.cationic`",
            "expected at least one gallery",
        ],
    );
}

#[test]
fn gallery_that_is_not_a_table_or_has_a_bad_width() {
    let case = Case::new();
    case.sections_file(|t| t);
    let e = case.error(&file_scenario(
        "[parameters]\n\"positive.msmr.cationic\" = [{ capacity = 0.5, standard_potential_V = 3.4, omega = 1.0 }, 0.5]\n",
    ));
    assert_contains_all(
        &e,
        &[
            "scenario.toml",
            "parameters.\"positive.msmr.cationic[2]\"",
            "expected a gallery { capacity = …",
            "found a number",
        ],
    );
    let e = case.error(&file_scenario(
        "[parameters]\n\"positive.msmr.cationic\" = [{ capacity = 0.5, standard_potential_V = 3.4, omega = 0 }]\n",
    ));
    assert_contains_all(
        &e,
        &[
            "scenario.toml",
            "parameters.\"positive.msmr.cationic[1].omega\"",
            "expected a positive number",
        ],
    );
}

// ------------------------------------------------------------------------------------------
// --set
// ------------------------------------------------------------------------------------------

#[test]
fn set_with_an_unknown_first_key() {
    let e = Case::new().error_with(&builtin_scenario(""), &["temperature_K=300"]);
    assert_contains_all(
        &e,
        &[
            "--set temperature_K=300",
            "key `temperature_K`",
            "unknown key",
            "a scenario key",
            "`cell.`",
        ],
    );
}

#[test]
fn set_of_a_scenario_key_that_does_not_exist() {
    let e = Case::new().error_with(&builtin_scenario(""), &["mesh.particle_cells=10"]);
    assert_contains_all(
        &e,
        &[
            "--set mesh.particle_cells=10",
            "mesh.particle_cells",
            "unknown key",
            "`particle_r_cells`",
        ],
    );
}

#[test]
fn set_of_a_parameter_that_does_not_exist() {
    let e = Case::new().error_with(&builtin_scenario(""), &["positive.thickness=3e-5"]);
    assert_contains_all(
        &e,
        &[
            "--set positive.thickness=3e-5",
            "parameters.\"positive.thickness\"",
            "unknown key",
            "`thickness_m`",
        ],
    );
}

#[test]
fn set_with_a_bad_value() {
    let e = Case::new().error_with(&builtin_scenario(""), &["mesh.particle_r_cells=1"]);
    assert_contains_all(&e, &["--set mesh.particle_r_cells=1", "at least 2 cells"]);
    let e = Case::new().error_with(
        &builtin_scenario(""),
        &["experiment=[\"Discharge at 1C until 5 V\"]"],
    );
    assert_contains_all(
        &e,
        &["--set experiment=", "experiment[1]", "discharge cut-off"],
    );
    let e = Case::new().error_with(&builtin_scenario(""), &["parameter_set=solid"]);
    assert_contains_all(
        &e,
        &[
            "--set parameter_set=solid",
            "expected the name of a built-in parameter set",
        ],
    );
}

#[test]
fn set_that_is_not_path_equals_value() {
    for (arg, part) in [
        ("mesh.particle_r_cells", "expected <path>=<value>"),
        ("=3", "expected a key path"),
        ("experiment=[\"Rest for 1 h\"", "expected a TOML value"),
    ] {
        let e = SetOverride::parse(arg).expect_err(arg).to_string();
        assert_contains_all(&e, &[&format!("--set {arg}"), part]);
    }
}

// ------------------------------------------------------------------------------------------
// Mesh and solver
// ------------------------------------------------------------------------------------------

#[test]
fn mesh_with_zero_cells() {
    let e = Case::new().error(&builtin_scenario("[mesh]\nseparator_x_cells = 0\n"));
    assert_contains_all(
        &e,
        &["scenario.toml", "mesh.separator_x_cells", "at least 1 cell"],
    );
}

#[test]
fn particle_mesh_with_one_shell() {
    let e = Case::new().error(&builtin_scenario("[mesh]\nparticle_r_cells = 1\n"));
    assert_contains_all(
        &e,
        &["scenario.toml", "mesh.particle_r_cells", "at least 2 cells"],
    );
}

#[test]
fn tolerance_not_positive() {
    let e = Case::new().error(&builtin_scenario("[solver]\nrtol = 0.0\n"));
    assert_contains_all(
        &e,
        &["scenario.toml", "solver.rtol", "expected a positive number"],
    );
    let e = Case::new().error(&builtin_scenario("[solver]\natol = -1e-8\n"));
    assert_contains_all(
        &e,
        &["scenario.toml", "solver.atol", "expected a positive number"],
    );
}

#[test]
fn c_rate_per_gram_without_a_density() {
    let e = Case::new().error(
        "parameter_set = \"xu2019_liquid_halfcell\"\nexperiment = [\"Discharge at 1C until 3.5 V\"]\n[parameters]\n\"cell.one_c_specific_current_mA_g\" = 200.0\n",
    );
    assert_contains_all(
        &e,
        &[
            "scenario.toml",
            "cell.one_c_specific_current_mA_g",
            "positive.active_material_density_kg_m3",
        ],
    );
}

#[test]
fn cycle_jumping_settings_out_of_range() {
    let e = Case::new().error(&builtin_scenario(
        "[solver.cycle_jumping]\nresolved_cycles = 2\n",
    ));
    assert_contains_all(
        &e,
        &[
            "scenario.toml",
            "solver.cycle_jumping.resolved_cycles",
            "at least 3",
        ],
    );
    let e = Case::new().error(&builtin_scenario(
        "[solver.cycle_jumping]\ntolerance = 2.0\n",
    ));
    assert_contains_all(
        &e,
        &["scenario.toml", "solver.cycle_jumping.tolerance", "(0, 1)"],
    );
    let e = Case::new().error(&builtin_scenario("[solver.cycle_jumping]\njump = 5\n"));
    assert_contains_all(&e, &["scenario.toml", "jump", "unknown"]);
}

#[test]
fn grain_boundary_needs_both_elements() {
    let e = Case::new().error(&builtin_scenario(
        "[parameters]\n\"separator.grain_boundary_resistance_ohm_m2\" = 2e-3\n",
    ));
    assert_contains_all(
        &e,
        &[
            "separator.grain_boundary_capacitance_F_m2",
            "grain_boundary_resistance_ohm_m2",
        ],
    );
    let e = Case::new().error(&builtin_scenario(
        "[parameters]\n\"separator.grain_boundary_resistance_ohm_m2\" = -1.0\n\"separator.grain_boundary_capacitance_F_m2\" = 3e-4\n",
    ));
    assert_contains_all(
        &e,
        &[
            "separator.grain_boundary_resistance_ohm_m2",
            "expected a positive number",
        ],
    );
}

/// The anion-redox parameters of the parameter file with `law` written in place of its rigid
/// migration rate (a valid file).
fn anion_redox_with(law: &str) -> asslb::physics::anion_redox::AnionRedox {
    let case = Case::new();
    case.sections_file(|t| replace(t, "migration_rate_V_per_s = 1e-8", law));
    let path = case.write("scenario.toml", &file_scenario(""));
    let scenario = load_scenario_with(&path, &[]).expect("valid scenario");
    scenario.parameters.anion_redox.expect("anion redox")
}

/// With `law` written in place of the rigid migration rate of the parameter file, removing
/// any one of its `keys` (each as written in `law`) is an error naming the file, the key and
/// the law (`label`).
fn each_key_of_the_law_is_required(law: &str, keys: &[&str], label: &str) {
    each_key_is_required(
        &|t| replace(t, "migration_rate_V_per_s = 1e-8", law),
        keys,
        label,
    );
}

/// With the parameter file edited by `edit`, removing any one of `keys` (each as written in
/// the edited file) is an error naming the file, the key and the law (`label`).
fn each_key_is_required(edit: &dyn Fn(String) -> String, keys: &[&str], label: &str) {
    for key in keys {
        let case = Case::new();
        case.sections_file(|t| replace(edit(t), key, ""));
        let e = case.error(&file_scenario(""));
        let name = key.trim().split(' ').next().unwrap_or_default();
        assert_contains_all(
            &e,
            &[
                "cell.toml",
                &format!("anion_redox.{name}"),
                "missing required key",
                label,
            ],
        );
    }
}

#[test]
fn migration_law_keys_follow_the_law() {
    const LAW: &str = "migration_rate_V_per_s = 1e-8\nmigration_law = \"rearranged_oxygen\"\nrearrangement_rate_per_s = 1e-4\nrearrangement_reversal_rate_per_s = 5e-4\nmigration_vacancy_capacity = 0.01";
    // The rearranged-oxygen law with its three keys is a valid parameter file.
    let law = anion_redox_with(LAW).migration;
    assert!(
        matches!(law, asslb::physics::anion_redox::MigrationLaw::RearrangedOxygen(r) if r.vacancy_capacity == 0.01),
        "{law:?}"
    );
    each_key_of_the_law_is_required(
        LAW,
        &[
            "rearrangement_rate_per_s = 1e-4\n",
            "rearrangement_reversal_rate_per_s = 5e-4\n",
            "\nmigration_vacancy_capacity = 0.01",
        ],
        "migration_law = \"rearranged_oxygen\"",
    );
    // Without the law (the default), its keys are not keys.
    let case = Case::new();
    case.sections_file(|t| {
        replace(
            t,
            "migration_rate_V_per_s = 1e-8",
            "migration_rate_V_per_s = 1e-8\nrearrangement_rate_per_s = 1e-4",
        )
    });
    let e = case.error(&file_scenario(""));
    assert_contains_all(
        &e,
        &[
            "anion_redox.rearrangement_rate_per_s",
            "not a key of migration_law = \"while_oxidised\"",
        ],
    );
    // Out of range: named with the range.
    let case = Case::new();
    case.sections_file(|t| {
        replace(
            replace(t, "migration_rate_V_per_s = 1e-8", LAW),
            "migration_vacancy_capacity = 0.01",
            "migration_vacancy_capacity = 0",
        )
    });
    let e = case.error(&file_scenario(""));
    assert_contains_all(&e, &["anion_redox.migration_vacancy_capacity", "1e-6"]);
}

#[test]
fn activation_law_keys_follow_the_law() {
    const ONSET: &str = "activation_potential_V = 4.1\nactivation_width_V = 0.03";
    let on_charge = |t: String| replace(t, ONSET, "activation_law = \"oxidised_on_charge\"");
    // The law without the onset's keys is a valid parameter file.
    let case = Case::new();
    case.sections_file(on_charge);
    let path = case.write("scenario.toml", &file_scenario(""));
    let scenario = load_scenario_with(&path, &[]).expect("valid scenario");
    assert_eq!(
        scenario.parameters.anion_redox.map(|a| a.activation),
        Some(asslb::physics::anion_redox::Activation::OxidisedOnCharge)
    );
    // With it, an onset key is not a key.
    let case = Case::new();
    case.sections_file(|t| {
        replace(
            on_charge(t),
            "irreversible_fraction",
            "activation_width_V = 0.03\nirreversible_fraction",
        )
    });
    let e = case.error(&file_scenario(""));
    assert_contains_all(
        &e,
        &[
            "cell.toml",
            "anion_redox.activation_width_V",
            "not a key of activation_law = \"oxidised_on_charge\"",
        ],
    );
    // Without it (the default onset law), each onset key is required.
    each_key_is_required(
        &|t| t,
        &[
            "activation_potential_V = 4.1\n",
            "\nactivation_width_V = 0.03",
        ],
        "activation_law = \"potential\"",
    );
}

#[test]
fn fade_law_keys_follow_the_law() {
    const LAW: &str = "fade_law = \"lower_couple\"\nlower_couple_potential_V = 2.9\nlower_couple_omega = 1.5\nreduced_metal_per_oxygen = 0.5\nmigration_rate_per_s = 1e-6";
    // The lower couple with its four keys, and without the rigid law's rate, is valid.
    let law = anion_redox_with(LAW).fade_law;
    assert!(
        matches!(law, asslb::physics::anion_redox::FadeLaw::LowerCouple(c) if c.reduced_metal_per_oxygen == 0.5 && c.migration_rate_1_s == 1e-6 && c.reduced_metal_potential_v == 2.9),
        "{law:?}"
    );
    // The reduced metal's sites may sit at a potential of their own.
    let own = anion_redox_with(&format!("{LAW}\nreduced_metal_potential_V = 2.3")).fade_law;
    assert!(
        matches!(own, asslb::physics::anion_redox::FadeLaw::LowerCouple(c) if c.reduced_metal_potential_v == 2.3 && c.standard_potential_v == 2.9),
        "{own:?}"
    );
    // Its potentials may spread into a band (0, one gallery, by default).
    let band = anion_redox_with(&format!("{LAW}\nlower_couple_spread_V = 0.6")).fade_law;
    assert!(
        matches!(band, asslb::physics::anion_redox::FadeLaw::LowerCouple(c) if c.spread_v == 0.6),
        "{band:?}"
    );
    assert!(
        matches!(law, asslb::physics::anion_redox::FadeLaw::LowerCouple(c) if c.spread_v == 0.0),
        "{law:?}"
    );
    each_key_of_the_law_is_required(
        LAW,
        &[
            "lower_couple_potential_V = 2.9\n",
            "lower_couple_omega = 1.5\n",
            "reduced_metal_per_oxygen = 0.5\n",
            "\nmigration_rate_per_s = 1e-6",
        ],
        "fade_law = \"lower_couple\"",
    );
    // The rigid law's rate in volts per second is not a key of the lower couple.
    let case = Case::new();
    case.sections_file(|t| {
        replace(
            t,
            "migration_rate_V_per_s = 1e-8",
            &format!("migration_rate_V_per_s = 1e-8\n{LAW}"),
        )
    });
    let e = case.error(&file_scenario(""));
    assert_contains_all(
        &e,
        &[
            "anion_redox.migration_rate_V_per_s",
            "not a key of fade_law = \"lower_couple\"",
        ],
    );
    // Without the law (the default), its keys are not keys, and the rigid rate is required.
    let case = Case::new();
    case.sections_file(|t| {
        replace(
            t,
            "migration_rate_V_per_s = 1e-8",
            "migration_rate_V_per_s = 1e-8\nlower_couple_omega = 1.5",
        )
    });
    let e = case.error(&file_scenario(""));
    assert_contains_all(
        &e,
        &[
            "anion_redox.lower_couple_omega",
            "not a key of fade_law = \"rigid_shift\"",
        ],
    );
    let case = Case::new();
    case.sections_file(|t| replace(t, "migration_rate_V_per_s = 1e-8", ""));
    let e = case.error(&file_scenario(""));
    assert_contains_all(
        &e,
        &["anion_redox.migration_rate_V_per_s", "missing required key"],
    );
    // Out of range: named with the range.
    let case = Case::new();
    case.sections_file(|t| {
        replace(
            replace(t, "migration_rate_V_per_s = 1e-8", LAW),
            "reduced_metal_per_oxygen = 0.5",
            "reduced_metal_per_oxygen = 1.5",
        )
    });
    let e = case.error(&file_scenario(""));
    assert_contains_all(&e, &["anion_redox.reduced_metal_per_oxygen", "1.5"]);
    let case = Case::new();
    case.sections_file(|t| {
        replace(
            t,
            "migration_rate_V_per_s = 1e-8",
            &format!("{LAW}\nlower_couple_spread_V = -0.1"),
        )
    });
    let e = case.error(&file_scenario(""));
    assert_contains_all(&e, &["anion_redox.lower_couple_spread_V", "-0.1"]);
    // The spread is a key of the lower couple only.
    let case = Case::new();
    case.sections_file(|t| {
        replace(
            t,
            "migration_rate_V_per_s = 1e-8",
            "migration_rate_V_per_s = 1e-8\nlower_couple_spread_V = 0.6",
        )
    });
    let e = case.error(&file_scenario(""));
    assert_contains_all(
        &e,
        &[
            "anion_redox.lower_couple_spread_V",
            "not a key of fade_law = \"rigid_shift\"",
        ],
    );
}

#[test]
fn oxygen_instability_keys_follow_the_law() {
    // The oxidised-oxygen law has no onset potential of its own.
    let case = Case::new();
    case.sections_file(|t| {
        replace(
            t,
            "oxygen_loss_potential_V = 4.2",
            "oxygen_instability = \"oxidised_oxygen\"\noxygen_loss_potential_V = 4.2",
        )
    });
    let e = case.error(&file_scenario(""));
    assert_contains_all(
        &e,
        &[
            "cell.toml",
            "anion_redox.oxygen_loss_potential_V",
            "not a key of oxygen_instability = \"oxidised_oxygen\"",
        ],
    );
    // The potential law (the default) needs both of its keys.
    let case = Case::new();
    case.sections_file(|t| replace(t, "oxygen_loss_width_V = 0.05\n", ""));
    let e = case.error(&file_scenario(""));
    assert_contains_all(
        &e,
        &[
            "cell.toml",
            "anion_redox.oxygen_loss_width_V",
            "missing required key",
            "oxygen_instability = \"potential\"",
        ],
    );
    // An unknown law names the two.
    let case = Case::new();
    case.sections_file(|t| {
        replace(
            t,
            "oxygen_loss_potential_V = 4.2",
            "oxygen_instability = \"voltage\"\noxygen_loss_potential_V = 4.2",
        )
    });
    let e = case.error(&file_scenario(""));
    assert_contains_all(
        &e,
        &[
            "anion_redox.oxygen_instability",
            "oxidised_oxygen",
            "potential",
        ],
    );
}

#[test]
fn a_top_level_key_written_after_a_table_header() {
    // Issue 16 item 9: `experiment` after `[parameters]` is, for TOML, `parameters.experiment`.
    let e = Case::new().error(
        "parameter_set = \"solid_halfcell_single_ion\"\n\n[parameters]\ncell.temperature_K = 300.0\n\nexperiment = [\"Discharge at 1C until 1.38 V\"]\n",
    );
    assert_contains_all(
        &e,
        &[
            "scenario.toml, line 6, column 1: key `parameters.\"experiment\"`: unknown key",
            "move `experiment` above the first `[…]` header",
        ],
    );
}

/// Issue 16 item 7: a key error in a sweep, a validation and a mapping file names the line and
/// (for TOML files read whole) the column, the position of the value inside an inline table or
/// an array included.
#[test]
fn key_errors_in_every_toml_file_name_line_and_column() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let sweep = dir.path().join("sweep.toml");
    std::fs::write(
        &sweep,
        "scenario = \"s.toml\"\n\n[outputs]\nretention_at = [10, 0]\n\n[sweep]\n\"cell.temperature_K\" = [300.0]\n",
    )
    .expect("write");
    let e = asslb::sweep::load_sweep(&sweep).expect_err("retention_at 0");
    assert!(
        e.to_string()
            .contains("sweep.toml, line 4, column 21: key `outputs.retention_at[2]`"),
        "{e}"
    );
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let validation = dir.path().join("validation.toml");
    std::fs::write(
        &validation,
        format!(
            "[runs.a]\nscenario = {:?}\n\n[[points]]\nfile = {:?}\n\n[points.at]\nF1 = {{ run = \"a\", cycle = 1 }}\nF10 = {{ run = \"a\", cycle = 1 }}\nL1 = {{ run = \"a\", cycle = 1 }}\nL1000 = {{ run = \"a\", cycle = 1, reference_cycle = 1 }}\nQ1 = {{ run = \"a\", cycle = 1, reference_cycle = 1 }}\nQ2 = {{ run = \"a\", cycle = 1, reference_cycle = 1 }}\nZ0 = {{ run = \"a\", cycle = 1, impedance = \"R2\" }}\nC0 = {{ run = \"b\" }}\n",
            root.join("scenarios/solid_halfcell_discharge_1C.toml"),
            root.join("validation/wu2022_targets.csv"),
        ),
    )
    .expect("write");
    let e = asslb::validation::load_validation(&validation).expect_err("unknown run");
    assert!(
        e.to_string()
            .contains("validation.toml, line 15, column 8: key `points[0].at.C0.run`"),
        "{e}"
    );
    let mapping = dir.path().join("mapping.toml");
    std::fs::write(
        &mapping,
        "format = \"x\"\n[columns]\ncycle = \"Cycle_Index\"\ndischarge_capacity_mAh_g = { column = \"D\", aggregate = \"maxx\" }\n",
    )
    .expect("write");
    let e = asslb::measured::load_mapping(&mapping).expect_err("bad aggregate");
    assert!(
        e.to_string()
            .contains("mapping.toml, line 4: `columns.discharge_capacity_mAh_g`"),
        "{e}"
    );
}

#[test]
fn a_key_error_in_a_parameter_file_names_its_line() {
    let case = Case::new();
    case.parameter_file(|t| replace(t, "area_m2 = 7.853981634e-05", "area_m2 = -1.0"));
    let e = case.error(&file_scenario(""));
    let line = builtin_parameter_set("solid_halfcell_single_ion")
        .expect("built-in set")
        .parameter_file
        .lines()
        .position(|l| l.starts_with("area_m2"))
        .expect("area_m2 in the set")
        + 1;
    assert_contains_all(
        &e,
        &[&format!(
            "cell.toml, line {line}, column 1: key `cell.area_m2`"
        )],
    );
}
