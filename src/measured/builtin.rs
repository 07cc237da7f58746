//! Import of a cycler export in a known format ([`super::formats`]) without a column mapping:
//! the export is read ([`super::export`]), its rows become a time series
//! ([`super::series`]), and the series gives per-cycle data and voltage curves with a
//! provenance that names the file, the format and the encoding.

use std::path::Path;

use super::curves::MeasuredCurves;
use super::cycles::MeasuredCycles;
use super::export::{read_export, Export};
use super::formats::Format;
use super::series::{read_series, Series};
use super::{MeasuredError, Provenance};

/// An export read in a known format.
#[derive(Debug, Clone)]
pub struct BuiltinImport {
    /// The export's data table and columns.
    pub export: Export,
    /// Its time series.
    pub series: Series,
}

impl BuiltinImport {
    /// The format of the export.
    pub fn format(&self) -> Format {
        self.export.layout.format
    }
}

/// Reads `path` in `format`, or in the format detected from its header row when `None`.
pub fn import_builtin(path: &Path, format: Option<Format>) -> Result<BuiltinImport, MeasuredError> {
    let export = read_export(path, format)?;
    let series = read_series(&export)?;
    Ok(BuiltinImport { export, series })
}

/// The provenance of data imported without a mapping: the file as the source, the format,
/// and that the conditions are not stated (a mapping's `[provenance]` gives them).
pub fn builtin_provenance(path: &Path, import: &BuiltinImport, mass_g: Option<f64>) -> Provenance {
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let mut extra = vec![
        ("imported_from".to_string(), name.clone()),
        ("format".to_string(), import.format().name().to_string()),
        ("read_as".to_string(), import.export.source.clone()),
    ];
    if let Some(m) = mass_g {
        extra.push(("active_mass_g".to_string(), m.to_string()));
    }
    Provenance {
        source: format!("cycler export {name}"),
        figure_or_table: format!("cycler export ({})", import.format().label()),
        conditions: "not stated (imported without a mapping; a mapping's [provenance] gives them)"
            .to_string(),
        extra,
    }
}

impl BuiltinImport {
    /// The per-cycle data ([`Series::summary`]) with [`builtin_provenance`], or `provenance`
    /// when given.
    pub fn cycles(
        &self,
        path: &Path,
        mass_g: Option<f64>,
        provenance: Option<Provenance>,
    ) -> Result<MeasuredCycles, MeasuredError> {
        let p = provenance.unwrap_or_else(|| builtin_provenance(path, self, mass_g));
        self.series.summary(path, mass_g, p)
    }

    /// The voltage curves ([`Series::curves`]) with [`builtin_provenance`], or `provenance`
    /// when given.
    pub fn curves(
        &self,
        path: &Path,
        mass_g: Option<f64>,
        provenance: Option<Provenance>,
    ) -> Result<MeasuredCurves, MeasuredError> {
        let p = provenance.unwrap_or_else(|| builtin_provenance(path, self, mass_g));
        self.series.curves(path, mass_g, p)
    }
}
