//! Equivalent-circuit analysis of impedance spectra, simulated or measured.
//!
//! - [`circuit`]: circuit strings in impedance.py notation (`R0-p(R1,CPE1)-W1`), parsed into a
//!   [`Circuit`] whose impedance can be evaluated; [`PAPER_CIRCUIT`] is the paper's circuit;
//! - [`spectrum`]: a validated [`Spectrum`] and the CSV reader for measured or simulated files
//!   (`frequency_Hz, z_re_ohm, z_im_ohm`, optionally `cycle`);
//! - [`formats`]: the instruments' files (EC-Lab, Gamry, ZView, Autolab, impedance.py),
//!   detected by content and read with Z'' of the right sign; [`text_file`] decodes them;
//! - [`guesses`]: initial guesses and fixed constants (in the circuit string, as `NAME=VALUE`,
//!   or in a TOML file), checked against the circuit;
//! - [`lin_kk`]: the Kramers–Kronig validity check of a spectrum (Schönleber et al. 2014);
//! - [`circuit_fit`]: [`fit_circuit`], modulus-weighted bounded least squares of a circuit to a
//!   spectrum with an automatic start, reporting each parameter with its uncertainty;
//! - [`fit_chain`]: the one policy by which the spectra of a run are fitted one after another,
//!   each from the previous fit's optimum ([`FitChain`]), and a failed fit as a [`FitFailure`].

pub mod circuit;
pub mod circuit_fit;
pub mod fit_chain;
pub mod formats;
pub mod guesses;
pub mod lin_kk;
pub mod spectrum;
pub mod text_file;

pub use circuit::{
    cpe_q_for_peak, paper_circuit_example, paper_resistance_name, Circuit, CircuitError, Element,
    ElementKind, Node, PAPER_CIRCUIT, PAPER_RESISTANCE_NAMES,
};
pub use circuit_fit::{
    default_parameters, fit_circuit, fit_circuit_with, initial_guess, CircuitFit, CircuitFitError,
    CircuitFitOptions,
};
pub use fit_chain::{ChainedFit, FitChain, FitFailure};
pub use formats::{detect_format, read_spectrum_file, SpectrumFile, SpectrumFormat};
pub use guesses::{
    parse_assignment, read_guesses_toml, split_inline_guesses, GuessError, ParameterValues,
    ResolvedValues,
};
pub use lin_kk::{lin_kk, LinKk, LinKkError, LinKkOptions};
pub use spectrum::{
    read_spectra_csv, read_spectra_csv_text, read_spectrum_csv, FileSpectrum, FrequencyOrder,
    FrequencyProblem, InvalidSpectrum, Spectrum, SpectrumError,
};
