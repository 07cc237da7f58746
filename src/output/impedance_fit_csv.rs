//! Equivalent-circuit fits as CSV.
//!
//! - `<dir>/impedance_fit.csv`: one row per fitted spectrum, written as the fits come
//!   ([`ImpedanceFitCsv`]): `cycle`, then for each parameter of the circuit `<name>` and
//!   `<name>_stderr` (in the parameter's unit, see [`Circuit::parameter_units`]; NaN when the
//!   parameter ended at a bound, 0 when fixed), then `ssr`, `reduced_chi2` (the variance of the
//!   relative misfit, see [`crate::impedance::circuit_fit`]) and `converged` (`true`/`false`).
//!   Each row is flushed when appended, so a run that stops keeps every row written.
//! - `<dir>/impedance_fitted.csv` ([`write_fitted_spectrum`]): the data and the fitted circuit
//!   at each frequency, `frequency_Hz, z_re_ohm, z_im_ohm, z_re_fit_ohm, z_im_fit_ohm`.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::impedance::{Circuit, CircuitFit, Spectrum};

use super::timeseries_csv::push_number;

/// File name of the fitted parameters.
pub const IMPEDANCE_FIT_FILE: &str = "impedance_fit.csv";

/// File name of the data and the fitted spectrum.
pub const IMPEDANCE_FITTED_FILE: &str = "impedance_fitted.csv";

/// The header row of the fitted spectrum.
pub const IMPEDANCE_FITTED_HEADER: &str =
    "frequency_Hz,z_re_ohm,z_im_ohm,z_re_fit_ohm,z_im_fit_ohm";

/// The header row of `impedance_fit.csv` for `circuit`.
pub fn impedance_fit_header(circuit: &Circuit) -> String {
    let mut header = String::from("cycle");
    for name in circuit.parameter_names() {
        header.push_str(&format!(",{name},{name}_stderr"));
    }
    header.push_str(",ssr,reduced_chi2,converged");
    header
}

/// One row of `impedance_fit.csv` read back.
#[derive(Debug, Clone, PartialEq)]
pub struct FitRow {
    /// The cycle after which the spectrum was taken.
    pub cycle: usize,
    /// The fitted parameters, in the circuit's order.
    pub values: Vec<f64>,
    /// Their standard errors.
    pub std_errors: Vec<f64>,
    /// Whether the fit converged.
    pub converged: bool,
}

/// The streaming writer of `<dir>/impedance_fit.csv`: the header on creation, then one row per
/// [`ImpedanceFitCsv::append`], flushed at once.
#[derive(Debug)]
pub struct ImpedanceFitCsv {
    path: PathBuf,
    names: Vec<String>,
    file: BufWriter<File>,
}

impl ImpedanceFitCsv {
    /// Creates (or replaces) `<dir>/impedance_fit.csv` for fits of `circuit` and writes its
    /// header. `dir` must exist.
    pub fn create(dir: &Path, circuit: &Circuit) -> io::Result<Self> {
        let path = dir.join(IMPEDANCE_FIT_FILE);
        let mut file = BufWriter::new(File::create(&path)?);
        writeln!(file, "{}", impedance_fit_header(circuit))?;
        file.flush()?;
        Ok(ImpedanceFitCsv {
            path,
            names: circuit.parameter_names(),
            file,
        })
    }

    /// Takes up `<dir>/impedance_fit.csv` of an interrupted run after `cycles_done` cycles:
    /// rows of later cycles (and a line cut short) are dropped, new rows appended. Returns the
    /// kept rows as (cycle, values, standard errors, converged). A missing file is started
    /// afresh; a file written for another circuit (another header) is an `InvalidData` error.
    pub fn resume(
        dir: &Path,
        circuit: &Circuit,
        cycles_done: usize,
    ) -> io::Result<(Self, Vec<FitRow>)> {
        let path = dir.join(IMPEDANCE_FIT_FILE);
        if !path.exists() {
            return Ok((Self::create(dir, circuit)?, Vec::new()));
        }
        let header = impedance_fit_header(circuit);
        let p = circuit.parameter_count();
        let mut rows = Vec::new();
        let (kept, _) = super::resume::checked_rows_up_to_cycle(
            &path,
            0,
            cycles_done,
            |names| {
                if names.join(",") == header {
                    return Ok(());
                }
                Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "{}: the header is not that of the circuit {} ({header})",
                        path.display(),
                        circuit.text()
                    ),
                ))
            },
            |row| {
                rows.push(FitRow {
                    cycle: row.count(0)?,
                    values: (0..p)
                        .map(|j| row.number(1 + 2 * j))
                        .collect::<Result<_, _>>()?,
                    std_errors: (0..p)
                        .map(|j| row.number(2 + 2 * j))
                        .collect::<Result<_, _>>()?,
                    converged: row.get(1 + 2 * p + 2) == Some("true"),
                });
                Ok(())
            },
        )?;
        let tmp = dir.join(format!("{IMPEDANCE_FIT_FILE}.resume"));
        std::fs::write(&tmp, &kept)?;
        std::fs::rename(&tmp, &path)?;
        let file = BufWriter::new(std::fs::OpenOptions::new().append(true).open(&path)?);
        Ok((
            ImpedanceFitCsv {
                path,
                names: circuit.parameter_names(),
                file,
            },
            rows,
        ))
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends the row of a spectrum taken after `cycle` cycles whose fit failed: every value
    /// NaN, `converged` false.
    pub fn append_failed(&mut self, cycle: usize) -> io::Result<()> {
        let mut row = cycle.to_string();
        for _ in 0..2 * self.names.len() + 2 {
            row.push_str(",NaN");
        }
        row.push_str(",false\n");
        self.file.write_all(row.as_bytes())?;
        self.file.flush()
    }

    /// Appends the row of `fit`, taken after `cycle` cycles, and flushes it. The fit must be of
    /// a circuit with the parameters of the one the file was created for.
    pub fn append(&mut self, cycle: usize, fit: &CircuitFit) -> io::Result<()> {
        if fit.names != self.names {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{}: the fit's parameters ({}) are not the file's ({})",
                    self.path.display(),
                    fit.names.join(", "),
                    self.names.join(", ")
                ),
            ));
        }
        let mut row = cycle.to_string();
        for (&v, &s) in fit.values.iter().zip(&fit.std_errors) {
            for x in [v, s] {
                row.push(',');
                push_number(&mut row, x);
            }
        }
        for x in [fit.ssr, fit.reduced_chi2] {
            row.push(',');
            push_number(&mut row, x);
        }
        row.push_str(if fit.converged { ",true\n" } else { ",false\n" });
        self.file.write_all(row.as_bytes())?;
        self.file.flush()
    }
}

/// Writes `<dir>/impedance_fitted.csv`: the spectrum and `fit` evaluated at its frequencies,
/// in the spectrum's order. `dir` must exist. Returns the path.
pub fn write_fitted_spectrum(
    dir: &Path,
    spectrum: &Spectrum,
    fit: &CircuitFit,
) -> io::Result<PathBuf> {
    let mut text = String::with_capacity(96 * (spectrum.len() + 1));
    text.push_str(IMPEDANCE_FITTED_HEADER);
    text.push('\n');
    for (&f, z) in spectrum.frequency_hz.iter().zip(&spectrum.z) {
        let m = fit.impedance(f);
        push_number(&mut text, f);
        for v in [z.re, z.im, m.re, m.im] {
            text.push(',');
            push_number(&mut text, v);
        }
        text.push('\n');
    }
    // Written to a temporary file and renamed: the file is whole or absent.
    let path = dir.join(IMPEDANCE_FITTED_FILE);
    let tmp = dir.join(format!("{IMPEDANCE_FITTED_FILE}.partial"));
    let mut file = File::create(&tmp)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::impedance::fit_circuit;
    use faer::c64;

    #[test]
    fn rows_are_appended_and_the_fitted_spectrum_written() {
        let circuit = Circuit::parse("R0-p(R1,C1)").unwrap();
        let truth = [5.0, 40.0, 2e-6];
        let f: Vec<f64> = (0..30).map(|k| 10f64.powf(k as f64 / 5.0)).collect();
        let z: Vec<c64> = f.iter().map(|&f| circuit.impedance(&truth, f)).collect();
        let spectrum = Spectrum::new(f, z).unwrap();
        let fit = fit_circuit(&circuit, &spectrum, None).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut csv = ImpedanceFitCsv::create(dir.path(), &circuit).unwrap();
        csv.append(0, &fit).unwrap();
        // Flushed row by row: readable before the writer is dropped.
        let text = std::fs::read_to_string(csv.path()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "cycle,R0,R0_stderr,R1,R1_stderr,C1,C1_stderr,ssr,reduced_chi2,converged"
        );
        let row: Vec<&str> = lines[1].split(',').collect();
        assert_eq!(row.len(), 10);
        assert_eq!(row[0], "0");
        assert!((row[3].parse::<f64>().unwrap() - 40.0).abs() < 1e-6);
        assert_eq!(row[9], "true");
        csv.append(7, &fit).unwrap();
        let text = std::fs::read_to_string(csv.path()).unwrap();
        assert!(text.lines().nth(2).unwrap().starts_with("7,"));
        let other = fit_circuit(&Circuit::parse("p(R1,C1)").unwrap(), &spectrum, None).unwrap();
        assert!(csv.append(8, &other).is_err());

        let path = write_fitted_spectrum(dir.path(), &spectrum, &fit).unwrap();
        let text = std::fs::read_to_string(path).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some(IMPEDANCE_FITTED_HEADER));
        let first: Vec<f64> = lines
            .next()
            .unwrap()
            .split(',')
            .map(|v| v.parse().unwrap())
            .collect();
        assert_eq!(first[0], 1.0);
        assert!((first[1] - first[3]).abs() < 1e-6 * first[1].abs());
        assert!((first[2] - first[4]).abs() < 1e-6 * first[2].abs());
        assert_eq!(text.lines().count(), 31);
    }
}
