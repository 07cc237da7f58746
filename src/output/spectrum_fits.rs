//! Equivalent-circuit fits of the impedance spectra a run takes, in its folder: each spectrum is
//! fitted as it arrives, by the run's one chaining policy ([`FitChain`]), its row streamed to
//! `impedance_fit.csv`, and the fitted resistances kept for the figure of resistance against
//! cycle (the paper's Figure 3d).
//!
//! A resumed run takes the chain up from the rows of `impedance_fit.csv`, so it writes the same
//! rows as an uninterrupted one. A fit that fails ([`crate::impedance::FitFailure`]) does not
//! stop the run: its row holds NaN and `converged = false`.

use std::io;
use std::path::{Path, PathBuf};

use faer::c64;

use super::impedance_fit_csv::{FitRow, ImpedanceFitCsv};
use crate::figures::ResistanceSeries;
use crate::impedance::paper_resistance_name;
use crate::impedance::{Circuit, FitChain};

/// The fits of one run.
#[derive(Debug)]
pub struct SpectrumFits {
    chain: FitChain,
    csv: ImpedanceFitCsv,
    /// The rows so far (resumed ones included).
    rows: Vec<FitRow>,
}

impl SpectrumFits {
    /// Starts `<dir>/impedance_fit.csv` for fits of `circuit`.
    pub fn create(dir: &Path, circuit: Circuit) -> io::Result<Self> {
        let csv = ImpedanceFitCsv::create(dir, &circuit)?;
        Ok(SpectrumFits {
            chain: FitChain::new(circuit),
            csv,
            rows: Vec::new(),
        })
    }

    /// Takes up `<dir>/impedance_fit.csv` of an interrupted run after `cycles_done` cycles
    /// (see [`ImpedanceFitCsv::resume`]).
    pub fn resume(dir: &Path, circuit: Circuit, cycles_done: usize) -> io::Result<Self> {
        let (csv, rows) = ImpedanceFitCsv::resume(dir, &circuit, cycles_done)?;
        let mut chain = FitChain::new(circuit);
        chain.take_up(rows.iter().map(|r| (r.values.as_slice(), r.converged)));
        Ok(SpectrumFits { chain, csv, rows })
    }

    /// The file written to.
    pub fn path(&self) -> &Path {
        self.csv.path()
    }

    /// Fits the spectrum (`frequencies_hz`, `z_ohm`) taken after `cycle` cycles, next in the
    /// chain, and appends its row (NaN when the fit failed).
    pub fn fit(&mut self, cycle: usize, frequencies_hz: &[f64], z_ohm: &[c64]) -> io::Result<()> {
        let fit = self.chain.fit(frequencies_hz, z_ohm);
        match fit {
            Ok(f) => {
                self.csv.append(cycle, &f)?;
                self.rows.push(FitRow {
                    cycle,
                    values: f.values.clone(),
                    std_errors: f.std_errors.clone(),
                    converged: f.converged,
                });
            }
            Err(_) => {
                self.csv.append_failed(cycle)?;
                let nan = vec![f64::NAN; self.chain.circuit().parameter_count()];
                self.rows.push(FitRow {
                    cycle,
                    values: nan.clone(),
                    std_errors: nan,
                    converged: false,
                });
            }
        }
        Ok(())
    }

    /// The fitted resistances against cycle, one series per resistance of the circuit (the
    /// failed fits left out), for [`crate::figures::plot_resistances_vs_cycle`]; with the
    /// paper's circuit each is labelled by the paper's name ("R_SE/LRO (R2)").
    pub fn resistance_series(&self) -> Vec<ResistanceSeries> {
        let circuit = self.chain.circuit();
        let names: Vec<String> = circuit
            .parameter_names()
            .into_iter()
            .map(|n| match paper_resistance_name(circuit.text(), &n) {
                Some(paper) => format!("{paper} ({n})"),
                None => n,
            })
            .collect();
        circuit
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
