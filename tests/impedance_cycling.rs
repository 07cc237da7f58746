//! Impedance spectra during cycling (`[impedance]`): the scenario section and its bad input,
//! spectra at the requested cycles, a cycling trajectory unchanged by the measurements,
//! resumed runs, cycle jumping landing on requested cycles, and `asslb impedance` taking its
//! frequencies from the section.

use std::path::Path;

mod common;
use common::asslb;

use asslb::protocol::{
    ImpedanceCycles, ImpedanceSpectrum, MeasureAfter, Simulation, TimeseriesRecord, TimeseriesSink,
};
use asslb::scenario::{
    load_interrupted_run, parse_scenario, parse_scenario_with, resume_run, run_scenario,
    ExistingFiles, Scenario, ScenarioError, SetOverride,
};

/// A fast cell (a few ms per cycle) cycled `cycles` times, with `extra` appended (sections).
fn scenario_text(cycles: usize, extra: &str) -> String {
    format!(
        r#"
name = "z"
parameter_set = "solid_halfcell_single_ion"
save_cycles = [1]
experiment = [
  {{ cycles = {cycles}, steps = ["Discharge at 1C until 1.38 V", "Charge at 1C until 3.68 V"] }},
]
{extra}
"#
    )
}

fn parse(text: &str) -> Result<Scenario, ScenarioError> {
    parse_scenario(text, Path::new("dir/z.toml"), Path::new("dir"))
}

fn parse_set(text: &str, sets: &[&str]) -> Result<Scenario, ScenarioError> {
    let sets: Vec<SetOverride> = sets
        .iter()
        .map(|s| SetOverride::parse(s).unwrap())
        .collect();
    parse_scenario_with(text, Path::new("dir/z.toml"), Path::new("dir"), &sets)
}

#[test]
fn the_section_is_read_with_its_defaults() {
    let s = parse(&scenario_text(
        100,
        "[impedance]\ncycles = [11, 61]\nafter = \"charge\"\nrest_minutes = 0\nf_min_Hz = 1\nf_max_Hz = 1e4\npoints_per_decade = 5\ncircuit = \"R0-p(R1,CPE1)-W1\"",
    ))
    .unwrap();
    let z = s.impedance.clone().unwrap();
    assert_eq!(z.cycles, ImpedanceCycles::List(vec![11, 61]));
    assert_eq!(z.after, MeasureAfter::Charge);
    assert_eq!(z.rest_s, 0.0);
    assert_eq!(z.frequencies_hz().len(), 21);
    assert_eq!(z.circuit(), Some("R0-p(R1,CPE1)-W1"));
    assert!(s
        .describe()
        .contains("impedance: at cycles 11, 61, after charge"));

    let s = parse(&scenario_text(100, "[impedance]\nevery_cycles = 50")).unwrap();
    let z = s.impedance.clone().unwrap();
    assert_eq!(z.cycles, ImpedanceCycles::Every(50));
    assert_eq!(z.after, MeasureAfter::Discharge);
    assert_eq!(z.rest_s, 1800.0);
    assert_eq!(
        (z.f_min_hz, z.f_max_hz, z.points_per_decade),
        (0.01, 1e6, 10)
    );
    assert_eq!(z.circuit, None);
    // The document records every default and reads back as the same settings.
    let again = parse(&toml::to_string(&s.document).unwrap()).unwrap();
    assert_eq!(again.impedance, s.impedance);
    assert!(parse(&scenario_text(100, "")).unwrap().impedance.is_none());
}

#[test]
fn bad_sections_name_the_file_and_the_key() {
    for (section, key, part) in [
        (
            "nonsense = 1\nevery_cycles = 5",
            "impedance.nonsense",
            "unknown key",
        ),
        ("every_cycles = \"5\"", "impedance.every_cycles", "string"),
        ("every_cycles = 0", "impedance.every_cycles", "≥ 1, found 0"),
        (
            "every_cycles = 5\ncycles = [5]",
            "impedance.every_cycles",
            "found both",
        ),
        (
            "after = \"discharge\"",
            "impedance.every_cycles",
            "missing required key",
        ),
        (
            "cycles = [10, 5]",
            "impedance.cycles",
            "strictly increasing",
        ),
        ("cycles = [5, 5]", "impedance.cycles", "strictly increasing"),
        ("cycles = []", "impedance.cycles", "at least one cycle"),
        ("cycles = [0, 5]", "impedance.cycles", "≥ 1"),
        (
            "cycles = [5, 13]",
            "impedance.cycles",
            "cycle 13 is never reached: the experiment has 12 cycles",
        ),
        (
            "every_cycles = 5\nafter = \"sideways\"",
            "impedance.after",
            "\"discharge\" or \"charge\"",
        ),
        (
            "every_cycles = 5\nrest_minutes = -1",
            "impedance.rest_minutes",
            "0 minutes or more",
        ),
        (
            "every_cycles = 5\nf_min_Hz = 0",
            "impedance.f_min_Hz",
            "positive frequency",
        ),
        (
            "every_cycles = 5\nf_min_Hz = -1",
            "impedance.f_min_Hz",
            "positive frequency",
        ),
        (
            "every_cycles = 5\nf_max_Hz = 0.001",
            "impedance.f_max_Hz",
            "must increase",
        ),
        (
            "every_cycles = 5\nf_min_Hz = 10\nf_max_Hz = 10",
            "impedance.f_max_Hz",
            "must increase",
        ),
        (
            "every_cycles = 5\npoints_per_decade = 0",
            "impedance.points_per_decade",
            "at least 1",
        ),
        (
            "every_cycles = 5\ncircuit = \" \"",
            "impedance.circuit",
            "circuit string is empty",
        ),
        (
            "every_cycles = 5\ncircuit = \"R0-p(R1,CPE1\"",
            "impedance.circuit",
            "column",
        ),
        (
            "every_cycles = 5\ncircuit = \"R0-X1\"",
            "impedance.circuit",
            "X1",
        ),
        (
            "every_cycles = 5\nfirst_cycle = 0",
            "impedance.first_cycle",
            "≥ 1",
        ),
        (
            "cycles = [5]\nfirst_cycle = 2",
            "impedance.first_cycle",
            "only with `every_cycles`",
        ),
        (
            "every_cycles = 5\ncircuit = 3",
            "impedance.circuit",
            "integer",
        ),
    ] {
        let e = parse(&scenario_text(12, &format!("[impedance]\n{section}"))).unwrap_err();
        assert_eq!(e.key(), Some(key), "{section}: {e}");
        let text = e.to_string();
        // The file, the key's line where the file writes it, the key.
        assert!(text.starts_with("dir/z.toml"), "{section}: {text}");
        assert!(
            text.contains(&format!(": key `{key}`")),
            "{section}: {text}"
        );
        assert!(text.contains(part), "{section}: {text}");
    }
    // A state the run never reaches: a charge in a cycle that only discharges.
    let text = r#"
parameter_set = "solid_halfcell_single_ion"
experiment = [
  { cycles = 2, steps = ["Discharge at 1C until 1.38 V"] },
  { cycles = 3, steps = ["Discharge at 1C until 1.38 V", "Charge at 1C until 3.68 V"] },
]
[impedance]
cycles = [2, 4]
after = "charge"
"#;
    let e = parse(text).unwrap_err();
    assert_eq!(e.key(), Some("impedance.after"), "{e}");
    assert!(
        e.to_string()
            .contains("cycle 2 (experiment block 1) has no charge step"),
        "{e}"
    );
    assert!(parse(&text.replace("[2, 4]", "[3, 4]")).is_ok());
    // A period longer than the experiment is no state: the run takes no spectrum, and
    // `asslb check` says so.
    let s = parse(&scenario_text(12, "[impedance]\nevery_cycles = 13")).unwrap();
    assert!(
        s.describe().contains("0 spectra in this experiment"),
        "{}",
        s.describe()
    );
}

#[test]
fn sets_reach_the_section() {
    let text = scenario_text(100, "[impedance]\ncycles = [11, 61]");
    let s = parse_set(
        &text,
        &["impedance.every_cycles=25", "impedance.rest_minutes=5"],
    )
    .unwrap();
    let z = s.impedance.unwrap();
    assert_eq!(z.cycles, ImpedanceCycles::Every(25));
    assert_eq!(z.rest_s, 300.0);
    let s = parse_set(&scenario_text(100, ""), &["impedance.cycles=[7]"]).unwrap();
    assert_eq!(s.impedance.unwrap().cycles, ImpedanceCycles::List(vec![7]));
    let e = parse_set(&text, &["impedance.f_max_Hz=-3"])
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("--set impedance.f_max_Hz=-3: key `impedance.f_max_Hz`"),
        "{e}"
    );
    let e = parse_set(&text, &["impedance.cycles=[500]"])
        .unwrap_err()
        .to_string();
    assert!(e.contains("cycle 500 is never reached"), "{e}");
}

/// Collects the spectra of a run (and no rows).
#[derive(Default)]
struct Spectra(Vec<ImpedanceSpectrum>);

impl TimeseriesSink for Spectra {
    fn wants_cycle(&self, _cycle: usize) -> bool {
        false
    }
    fn record(&mut self, _row: &TimeseriesRecord) -> std::io::Result<()> {
        Ok(())
    }
    fn impedance_measured(&mut self, spectrum: &ImpedanceSpectrum) -> std::io::Result<()> {
        self.0.push(spectrum.clone());
        Ok(())
    }
}

#[test]
fn spectra_are_taken_at_the_requested_cycles_after_the_chosen_step() {
    let s = parse(&scenario_text(
        12,
        "[impedance]\nevery_cycles = 5\nrest_minutes = 10\npoints_per_decade = 4",
    ))
    .unwrap();
    let mut sim = Simulation::new(&s.parameters, &s.mesh, &s.solver).unwrap();
    sim.measure_impedance(s.impedance.clone()).unwrap();
    let mut sink = Spectra::default();
    let summary = sim.run(&s.experiment, &mut sink).unwrap();
    assert_eq!(summary.cycles, 12);
    assert_eq!(summary.impedance_spectra, 2);
    assert!(summary.impedance_time_s > 0.0 && summary.impedance_time_s < summary.wall_time_s);
    let cycles: Vec<(usize, usize)> = sink.0.iter().map(|z| (z.cycle, z.step)).collect();
    assert_eq!(cycles, [(5, 1), (10, 1)]);
    for z in &sink.0 {
        assert_eq!(z.frequencies_hz.len(), 33);
        assert_eq!(z.z_ohm.len(), 33);
        assert_eq!(z.rest_s, 600.0);
        // After a discharge to 1.38 V and a rest the cell relaxes upwards, at open circuit.
        assert!(z.voltage_v > 1.38 && z.voltage_v < 3.0, "{}", z.voltage_v);
        // A positive resistance at low frequency, falling towards high frequency.
        let (lo, hi) = (z.z_ohm[0], z.z_ohm[32]);
        assert!(lo.re > hi.re && hi.re > 0.0, "{lo:?} {hi:?}");
        assert!(z.z_ohm.iter().all(|v| v.re.is_finite() && v.im.is_finite()));
    }
    // "after charge" takes them at the end of step 2, at a different state.
    let mut s2 = s.clone();
    if let Some(z) = s2.impedance.as_mut() {
        z.after = MeasureAfter::Charge;
    }
    let mut sim = Simulation::new(&s2.parameters, &s2.mesh, &s2.solver).unwrap();
    sim.measure_impedance(s2.impedance.clone()).unwrap();
    let mut charged = Spectra::default();
    sim.run(&s2.experiment, &mut charged).unwrap();
    assert_eq!(charged.0[0].step, 2);
    assert!(charged.0[0].voltage_v > sink.0[0].voltage_v + 0.5);
}

#[test]
fn measurements_leave_the_cycling_unchanged() {
    let plain = parse(&scenario_text(12, "")).unwrap();
    let measured = parse(&scenario_text(
        12,
        "[impedance]\nevery_cycles = 5\nafter = \"discharge\"\nrest_minutes = 30",
    ))
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("plain"), tmp.path().join("measured"));
    let ra = run_scenario(&plain, &a, ExistingFiles::Refuse, &mut ()).unwrap();
    let rb = run_scenario(&measured, &b, ExistingFiles::Refuse, &mut ()).unwrap();
    assert!(ra.impedance.is_none() && !a.join("impedance.csv").exists());
    assert!(!a.join("nyquist.png").exists());
    for file in ["summary.csv", "timeseries.csv"] {
        let (x, y) = (
            std::fs::read(a.join(file)).unwrap(),
            std::fs::read(b.join(file)).unwrap(),
        );
        assert!(x == y, "{file} differs with impedance measurements");
    }
    assert_eq!(ra.summary.solver_steps, rb.summary.solver_steps);
    // impedance.csv: the header, then 81 rows for cycle 5 and 81 for cycle 10.
    let text = std::fs::read_to_string(rb.impedance.unwrap()).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("cycle,frequency_Hz,z_re_ohm,z_im_ohm"));
    let cycles: Vec<&str> = lines.map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(cycles.len(), 162);
    assert!(cycles[..81].iter().all(|&c| c == "5") && cycles[81..].iter().all(|&c| c == "10"));
    for stem in ["nyquist.png", "nyquist.svg"] {
        assert!(
            std::fs::metadata(b.join(stem)).unwrap().len() > 1000,
            "{stem}"
        );
    }
    let record = std::fs::read_to_string(b.join("run.toml")).unwrap();
    assert!(record.contains("impedance_spectra = 2"), "{record}");
    assert!(record.contains("impedance_time_s = "), "{record}");
    // A later run without measurements in the same folder leaves no stale spectra.
    run_scenario(&plain, &b, ExistingFiles::Replace, &mut ()).unwrap();
    assert!(!b.join("impedance.csv").exists() && !b.join("nyquist.png").exists());
}

#[test]
fn a_resumed_run_writes_the_same_spectra() {
    // Checkpoints every 50 cycles: the last at cycle 100, so the resumed run recomputes the
    // spectrum of cycle 120.
    let s = parse(&scenario_text(
        120,
        "[impedance]\nevery_cycles = 30\nrest_minutes = 5\npoints_per_decade = 3",
    ))
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let (whole, resumed) = (tmp.path().join("whole"), tmp.path().join("resumed"));
    run_scenario(&s, &whole, ExistingFiles::Refuse, &mut ()).unwrap();
    run_scenario(&s, &resumed, ExistingFiles::Refuse, &mut ()).unwrap();
    // Make `resumed` look killed after cycle 120's spectrum, mid-way through a later row.
    let record = resumed.join("run.toml");
    let text = std::fs::read_to_string(&record).unwrap();
    std::fs::write(
        &record,
        text.replace("status = \"finished\"", "status = \"running\""),
    )
    .unwrap();
    let csv = resumed.join("impedance.csv");
    let mut text = std::fs::read_to_string(&csv).unwrap();
    text.push_str("150,0.01,12.5");
    std::fs::write(&csv, text).unwrap();
    let (scenario, checkpoint) = load_interrupted_run(&resumed).unwrap();
    assert_eq!(checkpoint.cycles_done, 100);
    assert_eq!(scenario.impedance, s.impedance);
    let report = resume_run(&scenario, &checkpoint, &resumed, &mut ()).unwrap();
    // The whole run's count: 30, 60 and 90 from the checkpoint, 120 taken again.
    assert_eq!(report.summary.impedance_spectra, 4);
    for file in ["impedance.csv", "summary.csv"] {
        let (x, y) = (
            std::fs::read(whole.join(file)).unwrap(),
            std::fs::read(resumed.join(file)).unwrap(),
        );
        assert!(x == y, "{file} of the resumed run differs");
    }
    let text = std::fs::read_to_string(whole.join("impedance.csv")).unwrap();
    let mut cycles: Vec<&str> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    cycles.dedup();
    assert_eq!(cycles, ["30", "60", "90", "120"]);
}

#[test]
fn cycle_jumping_lands_on_requested_cycles() {
    let jumping = "[solver.cycle_jumping]\nmax_jump = 20\n";
    let resolved = |dir: &Path| -> Vec<usize> {
        std::fs::read_to_string(dir.join("summary.csv"))
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap().parse().unwrap())
            .collect()
    };
    let tmp = tempfile::tempdir().unwrap();
    let plain = parse(&scenario_text(200, jumping)).unwrap();
    run_scenario(
        &plain,
        &tmp.path().join("plain"),
        ExistingFiles::Refuse,
        &mut (),
    )
    .unwrap();
    let plain_cycles = resolved(&tmp.path().join("plain"));
    // Two cycles that the jumps pass over without measurements.
    let skipped: Vec<usize> = (1..=200).filter(|c| !plain_cycles.contains(c)).collect();
    assert!(
        skipped.len() > 100,
        "cycle jumping did not jump: {plain_cycles:?}"
    );
    let wanted = [skipped[5], skipped[skipped.len() / 2]];
    let measured = parse(&scenario_text(
        200,
        &format!(
            "{jumping}[impedance]\ncycles = [{}, {}]\npoints_per_decade = 2",
            wanted[0], wanted[1]
        ),
    ))
    .unwrap();
    let dir = tmp.path().join("measured");
    let report = run_scenario(&measured, &dir, ExistingFiles::Refuse, &mut ()).unwrap();
    assert!(report.summary.jumps > 0);
    let cycles = resolved(&dir);
    for c in wanted {
        assert!(cycles.contains(&c), "cycle {c} was jumped over: {cycles:?}");
    }
    let text = std::fs::read_to_string(dir.join("impedance.csv")).unwrap();
    let mut spectra: Vec<usize> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().parse().unwrap())
        .collect();
    spectra.dedup();
    assert_eq!(spectra, wanted);
}

#[test]
fn the_impedance_command_reads_the_section_and_checks_its_flags() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tmp.path().join("z.toml");
    std::fs::write(
        &scenario,
        scenario_text(
            12,
            "[impedance]\nevery_cycles = 5\nf_min_Hz = 1\nf_max_Hz = 1000\npoints_per_decade = 2",
        ),
    )
    .unwrap();
    let rows = |args: &[&str]| {
        let out = tmp.path().join("out");
        let result = asslb()
            .arg("impedance")
            .arg(&scenario)
            .arg("--out")
            .arg(&out)
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&result.stderr).into_owned();
        if !result.status.success() {
            return Err(stderr);
        }
        let text = std::fs::read_to_string(out.join("impedance.csv")).unwrap();
        Ok(text.lines().count() - 1)
    };
    // 1 Hz – 1 kHz at 2 per decade: 7 frequencies; the flags override the section.
    assert_eq!(rows(&[]), Ok(7));
    assert_eq!(rows(&["--f-max", "100"]), Ok(5));
    assert_eq!(rows(&["--per-decade", "1"]), Ok(4));
    let e = rows(&["--f-min", "0"]).unwrap_err();
    assert!(e.contains("--f-min: expected a positive frequency"), "{e}");
    let e = rows(&["--f-max", "0.5"]).unwrap_err();
    assert!(e.contains("--f-max") && e.contains("must increase"), "{e}");
    let e = rows(&["--per-decade", "0"]).unwrap_err();
    assert!(e.contains("--per-decade"), "{e}");
    // The library's checks, named by the flags given and the section's keys they meet.
    let e = rows(&["--f-min", "10", "--f-max", "5"]).unwrap_err();
    assert!(
        e.contains("error: --f-min and --f-max: expected a frequency above f_min_Hz = 10 Hz"),
        "{e}"
    );
    let e = rows(&["--f-min", "1e4"]).unwrap_err();
    assert!(
        e.contains(
            "error: --f-min and impedance.f_max_Hz: expected a frequency above f_min_Hz = 10000 Hz"
        ),
        "{e}"
    );
}
