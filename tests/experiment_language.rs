//! The experiment language through the public API: every step string of issue 3 (and the forms
//! PyBaMM users write) parses and resolves against real parameter sets to the right step with
//! the right numbers; the cell context comes from the parameters.

use asslb::protocol::experiment::{
    parse, parse_step, resolve, CellContext, CurrentSpec, StepKind, VoltageReference,
};
use asslb::protocol::{Direction, Step, StepLimit};
use asslb::scenario::load_parameter_set;

/// The solid verification cell (Li-In counter electrode, 1.38–3.68 V, LRO density given).
fn solid() -> CellContext {
    let p = load_parameter_set("solid_halfcell_single_ion").unwrap_or_else(|e| panic!("{e}"));
    CellContext::from_parameters(&p)
}

/// The liquid verification cell (Li metal), with the 2.0–4.3 V window of the issue's examples.
fn li_metal() -> CellContext {
    let p = load_parameter_set("xu2019_liquid_halfcell").unwrap_or_else(|e| panic!("{e}"));
    CellContext {
        lower_cutoff_v: 2.0,
        upper_cutoff_v: 4.3,
        active_mass_kg: Some(1e-5),
        ..CellContext::from_parameters(&p)
    }
}

fn step(text: &str, cell: &CellContext) -> Step {
    parse_step(text, cell).unwrap_or_else(|e| panic!("{e}"))
}

fn limit(voltage_v: Option<f64>, current_a: Option<f64>, duration_s: Option<f64>) -> StepLimit {
    StepLimit {
        voltage_v,
        current_a,
        duration_s,
    }
}

fn cc(current_a: f64, direction: Direction, l: StepLimit) -> Step {
    Step::ConstantCurrent {
        current_a,
        direction,
        limit: l,
    }
}

#[test]
fn context_comes_from_the_parameters() {
    let p = load_parameter_set("solid_halfcell_single_ion").unwrap_or_else(|e| panic!("{e}"));
    let c = CellContext::from_parameters(&p);
    assert_eq!(c.nominal_capacity_ah, 0.0007202074427);
    assert_eq!(c.area_m2, 7.853981634e-05);
    assert_eq!(c.counter_ocp_v, 0.62);
    assert_eq!((c.lower_cutoff_v, c.upper_cutoff_v), (1.38, 3.68));
    // ε_s · A · L_p · ρ = 0.3 · 7.854e-5 m² · 27 µm · 5150 kg/m³ = 3.28 mg.
    let m = c.active_mass_kg.expect("the solid set gives a density");
    assert_eq!(m, 0.3 * 7.853981634e-05 * 2.7e-05 * 5150.0);
    assert!((m - 3.2763e-6).abs() < 1e-9, "{m}");
    let liquid = load_parameter_set("xu2019_liquid_halfcell").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(CellContext::from_parameters(&liquid).active_mass_kg, None);
}

#[test]
fn issue_examples_on_a_li_metal_cell() {
    let c = li_metal();
    let q = c.nominal_capacity_ah;
    let m = c.active_mass_kg.unwrap_or_default();
    let cases = [
        (
            "Charge at 0.05C until 4.3 V",
            cc(q * 0.05, Direction::Charge, limit(Some(4.3), None, None)),
        ),
        (
            "Discharge at 1C until 2.0 V",
            cc(q, Direction::Discharge, limit(Some(2.0), None, None)),
        ),
        (
            "Discharge at 5C until 2.0 V",
            cc(q * 5.0, Direction::Discharge, limit(Some(2.0), None, None)),
        ),
        (
            "Charge at C/20 until 4.3 V",
            cc(q / 20.0, Direction::Charge, limit(Some(4.3), None, None)),
        ),
        (
            "Hold at 4.3 V until C/50",
            Step::ConstantVoltage {
                voltage_v: 4.3,
                limit: limit(None, Some(q / 50.0), None),
            },
        ),
        (
            "Hold at 4.3 V until 0.01 mA",
            Step::ConstantVoltage {
                voltage_v: 4.3,
                limit: limit(None, Some(1e-5), None),
            },
        ),
        (
            "Hold at 4.3 V until 5 mA/g",
            Step::ConstantVoltage {
                voltage_v: 4.3,
                limit: limit(None, Some(5.0 * m), None),
            },
        ),
        (
            "Rest for 30 minutes",
            Step::Rest {
                limit: limit(None, None, Some(1800.0)),
            },
        ),
        (
            // No voltage given: the cell's lower cut-off is the safety limit.
            "Discharge at 0.5 mA for 1 hour",
            cc(
                0.0005,
                Direction::Discharge,
                limit(Some(2.0), None, Some(3600.0)),
            ),
        ),
        (
            "Charge at 2 mA/cm2 until 3.7 V",
            cc(
                20.0 * c.area_m2,
                Direction::Charge,
                limit(Some(3.7), None, None),
            ),
        ),
        (
            "Discharge at 200 mA/g until 2.0 V",
            cc(
                200.0 * m,
                Direction::Discharge,
                limit(Some(2.0), None, None),
            ),
        ),
        (
            "Discharge at 1C for 10 hours or until 3.3 V",
            cc(
                q,
                Direction::Discharge,
                limit(Some(3.3), None, Some(36000.0)),
            ),
        ),
        (
            "Charge at 1C until 4.3 V or 2 hours",
            cc(q, Direction::Charge, limit(Some(4.3), None, Some(7200.0))),
        ),
        (
            // No limit at all: to the cell's upper cut-off.
            "Charge at 1C",
            cc(q, Direction::Charge, limit(Some(4.3), None, None)),
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(step(text, &c), expected, "{text}");
    }
}

#[test]
fn issue_examples_on_the_li_in_cell_against_li() {
    let c = solid();
    // The paper's window, 2.0–4.3 V vs Li/Li+, is the cell's 1.38–3.68 V against Li-In.
    assert_eq!(
        step("Discharge at 1C until 2.0 V vs Li/Li+", &c).limit(),
        limit(Some(1.38), None, None)
    );
    assert_eq!(
        step("Charge at 0.05C until 4.3 V vs Li/Li+", &c).limit(),
        limit(Some(3.68), None, None)
    );
    match step("Hold at 4.3 V vs Li until C/50", &c) {
        Step::ConstantVoltage {
            voltage_v,
            limit: l,
        } => {
            assert_eq!(voltage_v, 3.68);
            assert_eq!(l.current_a, Some(c.nominal_capacity_ah / 50.0));
        }
        other => panic!("{other:?}"),
    }
    // The paper's 1C = 200 mA/g, on the stand-in cell's 3.28 mg of active material.
    match step("Discharge at 200 mA/g until 2.0 V vs Li/Li+", &c) {
        Step::ConstantCurrent { current_a, .. } => {
            assert!((current_a - 6.5526e-4).abs() < 1e-8, "{current_a}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn specs_keep_what_was_written() {
    let spec =
        parse("Charge at 2 mA/cm2 until 3.7 V vs Li/Li+ or 3 h").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(spec.text, "Charge at 2 mA/cm2 until 3.7 V vs Li/Li+ or 3 h");
    match &spec.kind {
        StepKind::ConstantCurrent {
            direction,
            current,
            until_voltage,
            duration_s,
        } => {
            assert_eq!(*direction, Direction::Charge);
            assert_eq!(*current, CurrentSpec::PerArea(20.0));
            let v = until_voltage.expect("a voltage");
            assert_eq!(v.volts, 3.7);
            assert_eq!(v.reference, VoltageReference::Lithium);
            assert_eq!(*duration_s, Some(10800.0));
        }
        other => panic!("{other:?}"),
    }
    // Resolving the same spec against two cells gives two currents.
    let a = resolve(&spec, &solid()).unwrap_or_else(|e| panic!("{e}"));
    let b = resolve(&spec, &li_metal()).unwrap_or_else(|e| panic!("{e}"));
    assert_ne!(a, b);
}

#[test]
fn errors_quote_the_step_and_say_what_was_expected() {
    let c = solid();
    let e = parse_step("Dischrge at 1C until 2 V", &c)
        .expect_err("misspelt")
        .to_string();
    assert_eq!(
        e,
        "\"Dischrge at 1C until 2 V\": expected a step starting with Charge, Discharge, Hold or Rest, found `Dischrge`"
    );
    for (text, part) in [
        (
            "Charge at 1C until 3.6 V or 1 fortnight",
            "unknown unit `fortnight`",
        ),
        ("Hold at 3.6 V", "a hold needs an end"),
        ("Rest", "a rest needs a duration"),
        ("Charge at 1C until 3.9 V", "charge cut-off in (1.38, 3.68]"),
    ] {
        let e = parse_step(text, &c).expect_err(text).to_string();
        assert!(e.starts_with(&format!("\"{text}\": ")), "{e}");
        assert!(e.contains(part), "{text}: {e}");
    }
    let no_mass = CellContext {
        active_mass_kg: None,
        ..c
    };
    let e = parse_step("Discharge at 200 mA/g", &no_mass)
        .expect_err("no density")
        .to_string();
    assert!(e.contains("positive.active_material_density_kg_m3"), "{e}");
}

#[test]
fn a_c_rate_is_echoed_as_the_c_rate_it_was_resolved_with() {
    // Issue 16 item 6: the paper cell defines 1C per gram (200 mA/g), which follows the
    // loading; the echo divided by the set's fixed nominal capacity instead: "Charge at 1C"
    // showed as (0.9996 C), and C/20 on a 50 µm cathode as (0.1024 C).
    use asslb::scenario::{load_scenario_with, SetOverride};
    let file =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/wu2022_1c_1000.toml");
    for thickness in ["2.5e-5", "5e-5"] {
        let sets: Vec<SetOverride> = [
            format!("positive.thickness_m={thickness}"),
            r#"experiment=["Charge at 1C until 4.3 V vs Li/Li+", "Discharge at C/20 until 2.0 V vs Li/Li+"]"#.to_string(),
        ]
        .iter()
        .map(|s| SetOverride::parse(s).unwrap_or_else(|e| panic!("{e}")))
        .collect();
        let scenario = load_scenario_with(&file, &sets).unwrap_or_else(|e| panic!("{e}"));
        let text = scenario.describe();
        assert!(
            text.contains("(1.0000 C) until 3.68 V"),
            "{thickness}: {text}"
        );
        assert!(
            text.contains("(0.0500 C) until 1.38 V"),
            "{thickness}: {text}"
        );
    }
}
