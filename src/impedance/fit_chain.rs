//! The one circuit-fit chaining policy of a run's impedance spectra, shared by every sink of the
//! driver (the run folder's `impedance_fit.csv` and the in-memory result that validation and
//! fitting read).
//!
//! A spectrum is fitted from the previous good fit's optimum alone (the spectra of a run change
//! little from one to the next), and from the automatic start (with its variations) as well
//! when that fit does not converge; the first spectrum from the automatic start alone. The
//! lower sum of squares is kept. A fit is *good*, and the next one starts from it, when it
//! converged and all its values are finite.
//!
//! The chain depends only on the spectra before, so a resumed run (whose chain is taken up
//! from the fits it wrote, [`FitChain::take_up`]) fits as an uninterrupted one. A fit that
//! fails does not stop a run: it is a [`FitFailure`], which carries the reason.

use faer::c64;

use super::circuit::Circuit;
use super::circuit_fit::{
    fit_circuit, fit_circuit_with, CircuitFit, CircuitFitError, CircuitFitOptions,
};
use super::spectrum::{InvalidSpectrum, Spectrum};

/// Why a spectrum of a run has no circuit fit.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitFailure {
    /// The spectrum is not one a circuit can be fitted to. (The reason is data, not a source:
    /// the message shows it once.)
    #[error("the spectrum cannot be fitted: {0}")]
    Spectrum(InvalidSpectrum),
    /// The fit failed from every start (the error of the automatic start).
    #[error("the circuit fit failed: {0}")]
    Fit(#[from] CircuitFitError),
}

impl From<InvalidSpectrum> for FitFailure {
    fn from(e: InvalidSpectrum) -> Self {
        FitFailure::Spectrum(e)
    }
}

/// The outcome of one spectrum's fit in a chain.
pub type ChainedFit = Result<CircuitFit, FitFailure>;

/// The chain of circuit fits of one run.
#[derive(Debug, Clone)]
pub struct FitChain {
    circuit: Circuit,
    /// The optimum of the last good fit, where the next one starts.
    previous: Option<Vec<f64>>,
}

impl FitChain {
    /// A chain of fits of `circuit`, before the first spectrum.
    pub fn new(circuit: Circuit) -> Self {
        FitChain {
            circuit,
            previous: None,
        }
    }

    /// The circuit fitted.
    pub fn circuit(&self) -> &Circuit {
        &self.circuit
    }

    /// Takes up the chain after fits already made (a resumed run's, read back from its file):
    /// `values` and `converged` of each, in order.
    pub fn take_up<'a>(&mut self, fits: impl IntoIterator<Item = (&'a [f64], bool)>) {
        for (values, converged) in fits {
            self.advance(values, converged);
        }
    }

    /// Fits the spectrum (`frequencies_hz`, `z_ohm`) that comes next in the run, and moves the
    /// chain on to it.
    pub fn fit(&mut self, frequencies_hz: &[f64], z_ohm: &[c64]) -> ChainedFit {
        let fit = self.fit_aside(frequencies_hz, z_ohm);
        if let Ok(f) = &fit {
            self.advance(&f.values, f.converged);
        }
        fit
    }

    /// Fits a spectrum as [`FitChain::fit`] does, without moving the chain on: for a spectrum
    /// that is not one of the run's own (a validation's extra cycle), so that the run's own fits
    /// stay those of the run without it.
    pub fn fit_aside(&self, frequencies_hz: &[f64], z_ohm: &[c64]) -> ChainedFit {
        Spectrum::check(frequencies_hz, z_ohm)?;
        let spectrum = Spectrum {
            frequency_hz: frequencies_hz.to_vec(),
            z: z_ohm.to_vec(),
        };
        let warm = self.previous.as_ref().and_then(|start| {
            let options = CircuitFitOptions {
                start: Some(start.clone()),
                start_only: true,
                ..CircuitFitOptions::default()
            };
            fit_circuit_with(&self.circuit, &spectrum, &options).ok()
        });
        match warm {
            Some(f) if f.converged => Ok(f),
            warm => {
                let cold = fit_circuit(&self.circuit, &spectrum, None);
                match (warm, cold) {
                    (Some(w), Ok(c)) => Ok(if w.ssr <= c.ssr { w } else { c }),
                    (Some(w), Err(_)) => Ok(w),
                    (None, cold) => Ok(cold?),
                }
            }
        }
    }

    /// Moves the chain on past a fit with `values`, which the next fit starts from if it is good.
    fn advance(&mut self, values: &[f64], converged: bool) {
        if converged && values.iter().all(|v| v.is_finite()) {
            self.previous = Some(values.to_vec());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The impedance of `R0-p(R1,C1)` with `p` at 1 Hz to 10 kHz.
    fn spectrum(circuit: &Circuit, p: &[f64]) -> (Vec<f64>, Vec<c64>) {
        let f: Vec<f64> = (0..=20).map(|k| 10f64.powf(k as f64 / 5.0)).collect();
        let z = f.iter().map(|&f| circuit.impedance(p, f)).collect();
        (f, z)
    }

    #[test]
    fn the_chain_moves_on_past_its_own_spectra_only() {
        let circuit = Circuit::parse("R0-p(R1,C1)").unwrap();
        let mut chain = FitChain::new(circuit.clone());
        let (f, z) = spectrum(&circuit, &[2.0, 10.0, 1e-4]);
        let first = chain.fit(&f, &z).unwrap();
        assert!(first.converged);
        assert_eq!(chain.previous.as_deref(), Some(first.values.as_slice()));
        // A spectrum fitted aside starts where the chain is and leaves it there.
        let (f2, z2) = spectrum(&circuit, &[2.1, 11.0, 1e-4]);
        let aside = chain.fit_aside(&f2, &z2).unwrap();
        assert!(aside.converged);
        assert_eq!(chain.previous.as_deref(), Some(first.values.as_slice()));
        // A spectrum that cannot be fitted is a typed failure and does not move the chain.
        let failed = chain.fit(&[1.0], &[c64::new(1.0, 0.0)]).unwrap_err();
        assert!(matches!(failed, FitFailure::Fit(_)), "{failed}");
        let failed = chain.fit(&[1.0, 2.0], &[c64::new(1.0, 0.0)]).unwrap_err();
        assert_eq!(
            failed,
            FitFailure::Spectrum(InvalidSpectrum::LengthMismatch {
                frequencies: 2,
                impedances: 1
            })
        );
        assert_eq!(
            failed.to_string(),
            "the spectrum cannot be fitted: 2 frequencies but 1 impedances: expected one impedance per frequency"
        );
        assert_eq!(chain.previous.as_deref(), Some(first.values.as_slice()));
        // Taking the chain up from the fits made gives the chain that made them.
        let mut resumed = FitChain::new(circuit);
        resumed.take_up([(first.values.as_slice(), true), (&[f64::NAN; 3][..], false)]);
        assert_eq!(resumed.fit(&f2, &z2), chain.fit(&f2, &z2));
    }
}
