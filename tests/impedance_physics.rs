//! Needs the solver: the paper's impedance observations (CELL.md §2.5, target Z0) from the
//! spectra the two 1000-cycle paper scenarios take, fitted with their equivalent circuits —
//! the same runs, and the same physics, that give the capacity fade.
//!
//! Solid cell (`R0-p(R1,CPE1)-p(R2,CPE2)-p(R3,CPE3)-W1`: bulk, grain boundaries, LRO
//! interface, Li-In interface): R_SE/LRO starts at 69 Ω, falls over the first ~250 cycles and
//! then stays flat; R_SE,gb and the bulk stay constant. Liquid cell (`R0-p(R1,CPE1)-p(R2,CPE2)-
//! W1`: electrolyte, lithium foil, LRO interface): the interface resistance rises steadily.

use std::path::{Path, PathBuf};

use asslb::scenario::{load_scenario, run_scenario, ExistingFiles};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs a bundled scenario as shipped and returns the rows of its impedance_fit.csv:
/// (cycle, the named columns' values).
fn fitted(file: &str, columns: &[&str]) -> Vec<(usize, Vec<f64>)> {
    let scenario = load_scenario(&root().join("scenarios").join(file)).unwrap();
    let out = tempfile::tempdir().unwrap();
    let report = run_scenario(&scenario, out.path(), ExistingFiles::Refuse, &mut ())
        .unwrap_or_else(|e| panic!("{e}"));
    let path = report.impedance_fit.expect("the scenario fits its spectra");
    read(&path, columns)
}

fn read(path: &Path, columns: &[&str]) -> Vec<(usize, Vec<f64>)> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let index: Vec<usize> = columns
        .iter()
        .map(|c| header.iter().position(|h| h == c).unwrap())
        .collect();
    let converged = header.iter().position(|h| *h == "converged").unwrap();
    lines
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            assert_eq!(f[converged], "true", "a fit did not converge: {line}");
            (
                f[0].parse().unwrap(),
                index.iter().map(|&i| f[i].parse().unwrap()).collect(),
            )
        })
        .collect()
}

#[test]
fn fitted_resistances_follow_the_paper_over_1000_cycles() {
    let solid = fitted("wu2022_1c_1000.toml", &["R0", "R1", "R2"]);
    for (cycle, r) in &solid {
        eprintln!(
            "solid cycle {cycle:4}: bulk {:.2} Ω, grain boundaries {:.2} Ω, LRO interface {:.2} Ω",
            r[0], r[1], r[2]
        );
    }
    let at = |cycle: usize| -> &Vec<f64> {
        &solid
            .iter()
            .find(|(c, _)| *c == cycle)
            .unwrap_or_else(|| panic!("no spectrum at cycle {cycle}"))
            .1
    };
    // Z0: 69 Ω at the start of 1C cycling (cycle 11), within the target's 10 %.
    let z0 = at(11)[2];
    assert!(
        (z0 / 69.0 - 1.0).abs() < 0.10,
        "R_SE/LRO at cycle 11: {z0} Ω"
    );
    // Falls over the first ~250 cycles: by more than half, every spectrum lower than the one
    // before ...
    for w in solid.windows(2).filter(|w| w[1].0 <= 261) {
        assert!(w[1].1[2] < w[0].1[2], "R_SE/LRO rose: {w:?}");
    }
    assert!(
        at(261)[2] < 0.5 * z0,
        "R_SE/LRO at cycle 261: {}",
        at(261)[2]
    );
    // ... then flat: within 10 % of its value at cycle 311 to the end.
    let plateau = at(311)[2];
    for (cycle, r) in solid.iter().filter(|(c, _)| *c >= 311) {
        assert!(
            (r[2] / plateau - 1.0).abs() < 0.10,
            "R_SE/LRO at cycle {cycle}: {} Ω against {plateau} Ω at 311",
            r[2]
        );
    }
    // The separator does not change: bulk and grain boundaries within 1 %.
    for (cycle, r) in &solid {
        for k in [0, 1] {
            assert!(
                (r[k] / solid[0].1[k] - 1.0).abs() < 0.01,
                "cycle {cycle}: {r:?} against {:?}",
                solid[0].1
            );
        }
    }

    let liquid = fitted("wu2022_liquid_1c_1000.toml", &["R2"]);
    for (cycle, r) in &liquid {
        eprintln!("liquid cycle {cycle:4}: LRO interface {:.2} Ω", r[0]);
    }
    // The liquid cell's interface resistance rises steadily: every spectrum above the one
    // before, by more than half over the run.
    for w in liquid.windows(2) {
        assert!(
            w[1].1[0] > w[0].1[0],
            "the interface resistance fell: {w:?}"
        );
    }
    let (first, last) = (liquid[0].1[0], liquid[liquid.len() - 1].1[0]);
    assert!(last > 1.5 * first, "from {first} Ω to {last} Ω");
}
