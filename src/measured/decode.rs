//! The text of a cycler export in whatever encoding the tester wrote it
//! ([`crate::text_decode`]), with the errors of measured data.

use std::path::Path;

use super::{invalid, MeasuredError, Problem};
use crate::text_decode::{self, TextEncoding};

/// Decodes the bytes of the file `path` ([`text_decode::decode`]).
pub fn decode(bytes: &[u8], path: &Path) -> Result<(String, TextEncoding), MeasuredError> {
    text_decode::decode(bytes).map_err(|e| invalid(path, None, None, Problem::Value, e.to_string()))
}

/// Reads and decodes the file `path` ([`decode`]).
pub fn read_decoded(path: &Path) -> Result<(String, TextEncoding), MeasuredError> {
    let bytes = std::fs::read(path).map_err(|source| MeasuredError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    decode(&bytes, path)
}
