//! `asslb fit-impedance`: the table on standard output, the two CSV files, and the errors for
//! a bad circuit string and bad spectrum files (non-zero exit, message naming what is wrong).

use std::path::Path;

use asslb::impedance::{paper_circuit_example, Circuit, PAPER_CIRCUIT};

mod common;
use common::{asslb, describe, text};

/// The paper circuit's parameters: R0, then R, Q, n of three arcs peaking at 200 kHz, 2 kHz
/// and 1 Hz, then the Warburg σ.
fn truth() -> Vec<f64> {
    paper_circuit_example([0.9, 0.85, 0.8])
}

/// Writes the paper circuit's spectrum, 1 MHz down to 10 mHz, as a measured file: columns in
/// another order, an extra column, for each of `cycles` (with a `cycle` column if given).
fn write_spectrum(path: &Path, cycles: &[usize]) {
    let circuit = Circuit::parse(PAPER_CIRCUIT).unwrap();
    let p = truth();
    let mut csv = String::from(if cycles.is_empty() {
        "z_im_ohm,z_re_ohm,frequency_Hz,temperature_C\n"
    } else {
        "cycle,z_im_ohm,z_re_ohm,frequency_Hz,temperature_C\n"
    });
    for &cycle in cycles.iter().chain(cycles.is_empty().then_some(&0)) {
        for k in (0..=80).rev() {
            let f = 1e-2 * 10f64.powf(k as f64 / 10.0);
            let z = circuit.impedance(&p, f);
            if !cycles.is_empty() {
                csv.push_str(&format!("{cycle},"));
            }
            csv.push_str(&format!("{:e},{:e},{f:e},25\n", z.im, z.re));
        }
    }
    std::fs::write(path, csv).unwrap();
}

/// The fit table's R2 row shows the true 69 Ω.
fn assert_r2_is_the_truth(stdout: &str) {
    let r2 = stdout
        .lines()
        .find(|l| l.starts_with("R2 "))
        .unwrap_or_else(|| panic!("no R2 row:\n{stdout}"));
    let value: f64 = r2
        .split_whitespace()
        .nth(2)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no value in {r2}"));
    assert!((value - 69.0).abs() < 1e-4, "{r2}");
}

#[test]
fn fits_a_spectrum_prints_the_table_and_writes_both_files() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let spectrum = dir.path().join("measured.csv");
    write_spectrum(&spectrum, &[]);
    let out_dir = dir.path().join("fit");
    let out = asslb()
        .arg("fit-impedance")
        .arg(&spectrum)
        .arg("--out")
        .arg(&out_dir)
        .output()
        .expect("run asslb");
    assert!(out.status.success(), "{}", describe(&out));
    let stdout = text(&out.stdout);
    for part in [
        "circuit R0-p(R1,CPE1)-p(R2,CPE2)-p(R3,CPE3)-W1 fitted to 81 points",
        "frequencies decreasing",
        "element",
        "± std. err.",
        "CPE1_Q",
        "W1_sigma",
        "Ω·s^(-1/2)",
        "reduced χ² =",
        "impedance_fit.csv",
    ] {
        assert!(
            stdout.contains(part),
            "`{part}` missing:\n{}",
            describe(&out)
        );
    }
    // R2's row shows the true value.
    assert_r2_is_the_truth(&stdout);

    let fit = std::fs::read_to_string(out_dir.join("impedance_fit.csv")).unwrap();
    let mut lines = fit.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header.len(), 1 + 2 * 11 + 3);
    assert_eq!(&header[..3], ["cycle", "R0", "R0_stderr"]);
    assert_eq!(&header[23..], ["ssr", "reduced_chi2", "converged"]);
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(row.len(), header.len());
    assert_eq!(row[0], "0");
    let r0: f64 = row[1].parse().unwrap();
    assert!((r0 - 52.0).abs() < 1e-4, "{r0}");
    assert_eq!(row[25], "true");
    assert!(lines.next().is_none());

    let fitted = std::fs::read_to_string(out_dir.join("impedance_fitted.csv")).unwrap();
    let mut lines = fitted.lines();
    assert_eq!(
        lines.next(),
        Some("frequency_Hz,z_re_ohm,z_im_ohm,z_re_fit_ohm,z_im_fit_ohm")
    );
    let rows: Vec<Vec<f64>> = lines
        .map(|l| l.split(',').map(|v| v.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), 81);
    assert_eq!(rows[0][0], 1e6);
    for r in &rows {
        let scale = r[1].hypot(r[2]);
        assert!((r[1] - r[3]).abs() < 1e-6 * scale && (r[2] - r[4]).abs() < 1e-6 * scale);
    }
}

#[test]
fn a_cycle_is_chosen_from_a_file_with_several() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let spectrum = dir.path().join("cycles.csv");
    write_spectrum(&spectrum, &[1, 50]);
    let out = asslb()
        .arg("fit-impedance")
        .arg(&spectrum)
        .output()
        .expect("run asslb");
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("cycles.csv") && stderr.contains("cycles 1, 50: choose one with --cycle N"),
        "{stderr}"
    );
    let out_dir = dir.path().join("fit");
    let out = asslb()
        .args([
            "fit-impedance",
            "--cycle",
            "50",
            "--circuit",
            "R0-p(R1,CPE1)-W1",
            "--out",
        ])
        .arg(&out_dir)
        .arg(&spectrum)
        .output()
        .expect("run asslb");
    assert!(out.status.success(), "{}", describe(&out));
    assert!(text(&out.stdout).contains("(cycle 50;"));
    let fit = std::fs::read_to_string(out_dir.join("impedance_fit.csv")).unwrap();
    assert!(fit.lines().nth(1).unwrap().starts_with("50,"), "{fit}");
}

#[test]
fn a_bad_circuit_string_names_the_column() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let spectrum = dir.path().join("measured.csv");
    write_spectrum(&spectrum, &[]);
    let out_dir = dir.path().join("fit");
    let out = asslb()
        .arg("fit-impedance")
        .arg(&spectrum)
        .args(["--circuit", "R0-p(R1,CPE1-W1", "--out"])
        .arg(&out_dir)
        .output()
        .expect("run asslb");
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("invalid --circuit"), "{stderr}");
    assert!(
        stderr.contains("column 5: this `(` is never closed"),
        "{stderr}"
    );
    assert!(text(&out.stdout).is_empty());
    assert!(!out_dir.exists(), "nothing is written for bad input");

    let out = asslb()
        .arg("fit-impedance")
        .arg(&spectrum)
        .args(["--circuit", "R0-p(R1,X1)"])
        .output()
        .expect("run asslb");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("column 9: unknown element `X`"),
        "{}",
        describe(&out)
    );
}

#[test]
fn a_bad_spectrum_file_names_the_file_line_and_column() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let cases = [
        (
            "frequency_Hz,z_re_ohm\n1,2\n",
            "line 1: missing column `z_im_ohm`",
        ),
        (
            "frequency_Hz,z_re_ohm,z_im_ohm\n10,2,-1\n1,two,-1\n",
            "line 3, column `z_re_ohm`: expected a finite number, found `two`",
        ),
        (
            "frequency_Hz,z_re_ohm,z_im_ohm\n10,2,-1\n-1,2,-1\n",
            "line 3, column `frequency_Hz`: expected a positive frequency",
        ),
    ];
    for (k, (csv, expected)) in cases.into_iter().enumerate() {
        let path = dir.path().join(format!("bad{k}.csv"));
        std::fs::write(&path, csv).unwrap();
        let out = asslb()
            .arg("fit-impedance")
            .arg(&path)
            .output()
            .expect("run asslb");
        assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains(&format!("bad{k}.csv")) && stderr.contains(expected),
            "{stderr}"
        );
    }
}

/// `asslb impedance` fits the scenario's circuit (or `--circuit`) to the spectrum it computes:
/// the table, impedance_fit.csv with cycle 0 (the initial state) and impedance_fitted.csv.
#[test]
fn impedance_of_a_scenario_fits_its_circuit() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/wu2022_1c_1000.toml");
    let out = asslb()
        .arg("impedance")
        .arg(&scenario)
        .args([
            "--per-decade",
            "5",
            "--circuit",
            "R0-p(R1,C1)-p(R2,C2)-W1",
            "--out",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("circuit R0-p(R1,C1)-p(R2,C2)-W1 fitted"),
        "{stdout}"
    );
    let fit = std::fs::read_to_string(dir.path().join("impedance_fit.csv")).unwrap();
    let mut lines = fit.lines();
    assert!(lines.next().unwrap().starts_with("cycle,R0,R0_stderr,R1"));
    assert!(lines.next().unwrap().starts_with("0,"));
    let fitted = std::fs::read_to_string(dir.path().join("impedance_fitted.csv")).unwrap();
    assert_eq!(fitted.lines().count(), 1 + 41);
    // A circuit that does not parse: nothing computed, the column named.
    let bad = asslb()
        .arg("impedance")
        .arg(&scenario)
        .args(["--circuit", "R0-p(R1,C1", "--out"])
        .arg(dir.path().join("bad"))
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(text(&bad.stderr).contains("column"), "{}", describe(&bad));
    assert!(!dir.path().join("bad").exists());
}

#[test]
fn a_spectrum_stored_as_minus_z_im_is_refused_unless_said_so() {
    // Issue 16 item 3: an EC-Lab-style export stores −Im(Z) in the column; fitted as Z'' it
    // "converged" to nonsense with exit 0.
    let dir = tempfile::tempdir().expect("temporary folder");
    let plain = dir.path().join("plain.csv");
    write_spectrum(&plain, &[]);
    let negated = dir.path().join("negated.csv");
    let mut lines = std::fs::read_to_string(&plain)
        .expect("spectrum")
        .lines()
        .map(String::from)
        .collect::<Vec<_>>();
    for line in lines.iter_mut().skip(1) {
        let (im, rest) = line.split_once(',').expect("a field");
        let im: f64 = im.parse().expect("a number");
        *line = format!("{:e},{rest}", -im);
    }
    std::fs::write(&negated, lines.join("\n") + "\n").expect("write");
    let out = asslb()
        .arg("fit-impedance")
        .arg(&negated)
        .output()
        .expect("run asslb");
    assert!(!out.status.success(), "{}", describe(&out));
    let stderr = text(&out.stderr);
    for part in [
        "negated.csv",
        "looks like −Z''",
        "--negated-imaginary",
        "81 of 81 points",
    ] {
        assert!(
            stderr.contains(part),
            "`{part}` missing:\n{}",
            describe(&out)
        );
    }
    let out = asslb()
        .arg("fit-impedance")
        .arg(&negated)
        .arg("--negated-imaginary")
        .output()
        .expect("run asslb");
    assert!(out.status.success(), "{}", describe(&out));
    assert_r2_is_the_truth(&text(&out.stdout));
}
