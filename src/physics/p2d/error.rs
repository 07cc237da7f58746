//! Why a cell cannot be discretised ([`super::P2dModel::new`]).

/// Why [`super::P2dModel::new`] cannot build the model.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    /// Too few cells for the finite volumes.
    #[error(
        "mesh needs at least 1 cathode cell, 1 separator cell and 2 particle shells, got {positive}/{separator}/{particle}"
    )]
    Mesh {
        /// Cathode cells in x.
        positive: usize,
        /// Separator cells in x.
        separator: usize,
        /// Particle shells in r.
        particle: usize,
    },
    /// The model cannot be evaluated at its own rest state, where the Jacobian's pattern is
    /// recorded (parameters that passed validation but give no finite state there).
    #[error("the model cannot be evaluated at its rest state: {reason}")]
    RestState {
        /// What the evaluation reported.
        reason: String,
    },
}
