//! Equivalent-circuit fits of the impedance spectra a run takes: each spectrum is fitted as it
//! arrives ([`crate::impedance::fit_circuit`]), its row streamed to `impedance_fit.csv`, and
//! the fitted resistances kept for the figure of resistance against cycle (the paper's
//! Figure 3d).
//!
//! A spectrum is fitted from the previous spectrum's optimum alone (the spectra of a run change
//! little from one to the next), and from the automatic start (with its variations) as well
//! when that fit does not converge; the first spectrum from the automatic start. The lower sum of squares is kept.
//! The chain depends only on the spectra and the rows before, which a resumed run reads back
//! from `impedance_fit.csv`, so a resumed run writes the same rows as an uninterrupted one.
//! A fit that fails does not stop the run: its row holds NaN and `converged = false`.

use std::io;
use std::path::{Path, PathBuf};

use faer::c64;

use super::impedance_fit_csv::{FitRow, ImpedanceFitCsv};
use crate::figures::ResistanceSeries;
use crate::impedance::{
    fit_circuit, fit_circuit_with, Circuit, CircuitFit, CircuitFitOptions, Spectrum,
};

/// The fits of one run.
#[derive(Debug)]
pub struct SpectrumFits {
    circuit: Circuit,
    csv: ImpedanceFitCsv,
    /// The rows so far (resumed ones included).
    rows: Vec<FitRow>,
}

impl SpectrumFits {
    /// Starts `<dir>/impedance_fit.csv` for fits of `circuit`.
    pub fn create(dir: &Path, circuit: Circuit) -> io::Result<Self> {
        let csv = ImpedanceFitCsv::create(dir, &circuit)?;
        Ok(SpectrumFits {
            circuit,
            csv,
            rows: Vec::new(),
        })
    }

    /// Takes up `<dir>/impedance_fit.csv` of an interrupted run after `cycles_done` cycles
    /// (see [`ImpedanceFitCsv::resume`]).
    pub fn resume(dir: &Path, circuit: Circuit, cycles_done: usize) -> io::Result<Self> {
        let (csv, rows) = ImpedanceFitCsv::resume(dir, &circuit, cycles_done)?;
        Ok(SpectrumFits { circuit, csv, rows })
    }

    /// The file written to.
    pub fn path(&self) -> &Path {
        self.csv.path()
    }

    /// Fits the spectrum (`frequencies_hz`, `z_ohm`) taken after `cycle` cycles and appends
    /// its row. Returns the fit, or `None` when it failed (its row then holds NaN).
    pub fn fit(
        &mut self,
        cycle: usize,
        frequencies_hz: &[f64],
        z_ohm: &[c64],
    ) -> io::Result<Option<CircuitFit>> {
        let fit = Spectrum::new(frequencies_hz.to_vec(), z_ohm.to_vec())
            .ok()
            .and_then(|spectrum| self.fit_chained(&spectrum));
        match &fit {
            Some(f) => {
                self.csv.append(cycle, f)?;
                self.rows.push(FitRow {
                    cycle,
                    values: f.values.clone(),
                    std_errors: f.std_errors.clone(),
                    converged: f.converged,
                });
            }
            None => {
                self.csv.append_failed(cycle)?;
                let nan = vec![f64::NAN; self.circuit.parameter_count()];
                self.rows.push(FitRow {
                    cycle,
                    values: nan.clone(),
                    std_errors: nan,
                    converged: false,
                });
            }
        }
        Ok(fit)
    }

    /// The fit from the last good row's optimum, and from the automatic start when that one
    /// does not converge (or there is no good row); the lower sum of squares.
    fn fit_chained(&self, spectrum: &Spectrum) -> Option<CircuitFit> {
        let previous = self
            .rows
            .iter()
            .rev()
            .find(|r| r.converged && r.values.iter().all(|v| v.is_finite()));
        let warm = previous.and_then(|r| {
            let options = CircuitFitOptions {
                start: Some(r.values.clone()),
                start_only: true,
                ..CircuitFitOptions::default()
            };
            fit_circuit_with(&self.circuit, spectrum, &options).ok()
        });
        match warm {
            Some(f) if f.converged => Some(f),
            warm => {
                let cold = fit_circuit(&self.circuit, spectrum, None).ok();
                match (warm, cold) {
                    (Some(w), Some(c)) => Some(if w.ssr <= c.ssr { w } else { c }),
                    (w, c) => w.or(c),
                }
            }
        }
    }

    /// The fitted resistances against cycle, one series per resistance of the circuit (the
    /// failed fits left out), for [`crate::figures::plot_resistances_vs_cycle`].
    pub fn resistance_series(&self) -> Vec<ResistanceSeries> {
        let names = self.circuit.parameter_names();
        self.circuit
            .resistance_parameters()
            .into_iter()
            .map(|j| {
                let points = self
                    .rows
                    .iter()
                    .filter(|r| r.values[j].is_finite())
                    .map(|r| (r.cycle, r.values[j], r.std_errors[j]))
                    .collect();
                (names[j].clone(), points)
            })
            .collect()
    }

    /// Ends the fits: the file's path.
    pub fn finish(self) -> PathBuf {
        self.csv.path().to_path_buf()
    }
}
