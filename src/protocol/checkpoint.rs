//! Checkpoints: the full model state at the end of a cycle and the pivot sequences its
//! factorisations go on with, enough to continue a run exactly where it was (every step
//! re-initialises the solver from the state, and the next factorisations reuse the same pivot
//! sequences, so a run continued from a checkpoint takes the same steps as one that never
//! stopped).

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::cycle::CycleSummary;

/// Format version written into checkpoint files.
///
/// - 1: the state, time and counters.
/// - 2: also the pivot sequences of the solver's and the step starts' LU factorisations
///   ([`PivotSequences`]), which a cycle's rounding depends on since cycles no longer start
///   from a fresh factorisation.
pub const CHECKPOINT_VERSION: u32 = 2;

/// The state of a run after `cycles_done` complete cycles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// File format version ([`CHECKPOINT_VERSION`]).
    pub version: u32,
    /// Cycles completed; the run continues with cycle `cycles_done + 1`.
    pub cycles_done: usize,
    /// Time at the end of the last completed cycle \[s\].
    pub time_s: f64,
    /// The first cycle's figures (kept for the run's summary).
    pub first_cycle: Option<CycleSummary>,
    /// The DAE state y (scaled unknowns of the model).
    pub y: Vec<f64>,
    /// Its time derivative y' \[1/s\].
    pub yp: Vec<f64>,
    /// The run's counters up to the checkpoint, so that a resumed run reports those of the
    /// whole run (absent in checkpoints written before they were kept: the resumed run then
    /// counts its own segment only).
    #[serde(default)]
    pub counters: Option<RunCounters>,
    /// The pivot sequences the next factorisations reuse, restored on resume so that the
    /// continued run repeats the uninterrupted one exactly.
    #[serde(default)]
    pub pivots: PivotSequences,
}

/// The pivot sequences of a run's two LU factorisations at a checkpoint, each as the row
/// permutation of its last full factorisation
/// ([`crate::numerics::sparse_lu::SparseLu::pivot_sequence`]); `None` where the next
/// factorisation is a full one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PivotSequences {
    /// Of IDA's iteration matrix.
    pub solver: Option<Vec<usize>>,
    /// Of the consistent initialisation at each step's start.
    pub step_start: Option<Vec<usize>>,
}

/// Counters of a run up to a checkpoint (see [`crate::protocol::RunSummary`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct RunCounters {
    /// Steps skipped because the cell was already past their cut-off.
    pub skipped_steps: usize,
    /// Steps ended near their voltage cut-off.
    pub ended_near_cutoff: usize,
    /// Cycles jumped over by cycle jumping.
    pub jumped_cycles: usize,
    /// Number of jumps.
    pub jumps: usize,
    /// Impedance spectra taken.
    pub impedance_spectra: usize,
    /// Internal solver steps.
    pub solver_steps: u64,
}

/// Why a checkpoint could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// File system error.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a checkpoint of this format.
    #[error("{path}: not a valid asslb checkpoint: {reason}")]
    Format {
        /// The file.
        path: String,
        /// What was wrong.
        reason: String,
    },
}

impl Checkpoint {
    /// Writes the checkpoint to `path` atomically (a temporary file renamed over it), so a
    /// run killed while writing leaves the previous checkpoint intact. Floats are written in
    /// Rust's shortest round-trip form, so reading gives back exactly the same state.
    pub fn write(&self, path: &Path) -> Result<(), CheckpointError> {
        let io = |source| CheckpointError::Io {
            path: path.display().to_string(),
            source,
        };
        let text = toml::to_string(self).map_err(|e| CheckpointError::Format {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        let tmp = path.with_extension("toml.partial");
        {
            let mut f = std::fs::File::create(&tmp).map_err(io)?;
            f.write_all(b"# asslb checkpoint: the model state after `cycles_done` cycles.\n")
                .map_err(io)?;
            f.write_all(text.as_bytes()).map_err(io)?;
            f.sync_all().map_err(io)?;
        }
        std::fs::rename(&tmp, path).map_err(io)
    }

    /// Reads a checkpoint written by [`Checkpoint::write`].
    pub fn read(path: &Path) -> Result<Self, CheckpointError> {
        let text = std::fs::read_to_string(path).map_err(|source| CheckpointError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let format = |reason: String| CheckpointError::Format {
            path: path.display().to_string(),
            reason,
        };
        let cp: Checkpoint = toml::from_str(&text).map_err(|e| format(e.to_string()))?;
        if cp.version != CHECKPOINT_VERSION {
            return Err(format(format!(
                "format version {} (this asslb reads version {CHECKPOINT_VERSION})",
                cp.version
            )));
        }
        if cp.y.len() != cp.yp.len() || cp.y.iter().chain(&cp.yp).any(|v| !v.is_finite()) {
            return Err(format(
                "state vectors of unequal length or not finite".into(),
            ));
        }
        Ok(cp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_is_exact() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("checkpoint.toml");
        let cp = Checkpoint {
            version: CHECKPOINT_VERSION,
            cycles_done: 7,
            time_s: 12345.678901234567,
            first_cycle: Some(CycleSummary {
                cycle: 1,
                charge_capacity_ah: 6.956792601276087e-4,
                discharge_capacity_ah: 6.732335260357008e-4,
                charge_energy_wh: 1.8469267813568454e-3,
                discharge_energy_wh: 1.5991230666194745e-3,
                end_time_s: 6842.592478235036,
                degradation: None,
                host_capacity_ah: 7.2e-4,
            }),
            y: (0..50).map(|k| (k as f64 * 0.731).sin() / 3.0).collect(),
            yp: (0..50).map(|k| 1e-17 * (k as f64).exp()).collect(),
            counters: Some(RunCounters {
                skipped_steps: 1,
                ended_near_cutoff: 2,
                jumped_cycles: 30,
                jumps: 3,
                impedance_spectra: 4,
                solver_steps: 123_456,
            }),
            pivots: PivotSequences {
                solver: Some(vec![2, 0, 1]),
                step_start: None,
            },
        };
        cp.write(&path).unwrap();
        assert_eq!(Checkpoint::read(&path).unwrap(), cp);
        assert!(!path.with_extension("toml.partial").exists());
    }

    #[test]
    fn garbage_is_a_format_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("checkpoint.toml");
        std::fs::write(&path, "version = 1\ncycles_done = 'x'\n").unwrap();
        assert!(matches!(
            Checkpoint::read(&path),
            Err(CheckpointError::Format { .. })
        ));
    }
}
