//! The prediction-bands file (`prediction_bands.toml`) that `asslb fit` writes and a
//! validation file names: its format, reading and writing. How bands are computed from a fit
//! and applied to comparisons is in [`super::bands`].

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// File name of the bands a fit writes.
pub const BANDS_FILE: &str = "prediction_bands.toml";

/// A fitted parameter behind the bands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BandParameter {
    /// Its path, as in `--set`.
    pub path: String,
    /// The fitted value.
    pub value: f64,
    /// Its standard uncertainty.
    pub std_error: f64,
}

/// The band of one comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    /// The comparison's id (target id or data file name).
    pub id: String,
    /// Its quantity.
    pub quantity: String,
    /// Its run.
    pub run: String,
    /// Its cycles, as the comparison shows them.
    pub cycles: String,
    /// The simulated value at the fitted parameters.
    pub simulated: f64,
    /// The standard uncertainty of the simulated value, in the error's terms (see the module
    /// docs).
    pub std_error: f64,
}

/// Why a prediction-bands file cannot be read. The text names the file and, whole, the reason.
#[derive(Debug, thiserror::Error)]
pub enum BandsFileError {
    /// The file cannot be read.
    #[error("cannot read {}: {error}", .path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        error: std::io::Error,
    },
    /// The file is not a bands file.
    #[error("{} is not the prediction_bands.toml of an `asslb fit`: {message}", .path.display())]
    NotBands {
        /// The file.
        path: PathBuf,
        /// The TOML parser's message (with line and column).
        message: String,
    },
}

/// The prediction bands of a fit (`prediction_bands.toml`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PredictionBands {
    /// The fit file they come from.
    pub fit: String,
    /// The fitted parameters.
    pub parameters: Vec<BandParameter>,
    /// One band per comparison.
    pub bands: Vec<Band>,
}

impl PredictionBands {
    /// Reads a bands file; the error names the file (and the line of a bad key or value).
    pub fn load(path: &Path) -> Result<Self, BandsFileError> {
        let text = std::fs::read_to_string(path).map_err(|error| BandsFileError::Read {
            path: path.to_path_buf(),
            error,
        })?;
        toml::from_str(&text).map_err(|e| BandsFileError::NotBands {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().to_string(),
        })
    }

    /// The file's text, with a comment header saying what it is.
    pub fn to_toml(&self) -> Result<String, toml::ser::Error> {
        Ok(format!(
            "# Prediction bands of `asslb fit {}`: the standard uncertainty of each simulated value\n\
             # (in the error's terms: %, pt or the quantity's unit), propagated from the fitted\n\
             # covariance. A validation file names it with `bands = \"<file>\"`.\n\n{}",
            self.fit,
            toml::to_string(self)?
        ))
    }
}

/// The bands a validation file names, read: the file and its contents.
#[derive(Debug, Clone, PartialEq)]
pub struct BandsFile {
    /// The file.
    pub path: PathBuf,
    /// Its bands.
    pub bands: PredictionBands,
}
