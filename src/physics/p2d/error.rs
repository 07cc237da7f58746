//! Why a cell cannot be discretised ([`super::P2dModel::new`]), and why a state lies outside
//! the model's domain ([`NonPhysicalState`]).

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
        reason: NonPhysicalState,
    },
}

/// Why the model's equations cannot be evaluated at a state: the state lies outside the
/// model's domain. The solver treats it as recoverable (a shorter step); the message reaches
/// the user in a failure's account. Carried through the solver as
/// [`crate::numerics::dae::EvalError::NonPhysical`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NonPhysicalState {
    /// The outermost shell of a cathode cell lies outside the host's window.
    #[error(
        "cathode cell {cell}: outermost shell stoichiometry {theta:.9} outside the host's window ({lower:.9}, {upper:.9})"
    )]
    ShellOutsideWindow {
        /// Cathode cell.
        cell: usize,
        /// Outermost shell stoichiometry \[-\].
        theta: f64,
        /// The window's lower end \[-\].
        lower: f64,
        /// The window's upper end \[-\].
        upper: f64,
    },
    /// A function OCP's surface stoichiometry or the electrolyte concentration is outside its
    /// range.
    #[error(
        "cathode cell {cell}: surface stoichiometry {theta_surf:.6} or electrolyte concentration {c_scale:.6} outside (0, 1) / (0, ∞)"
    )]
    SurfaceOutOfRange {
        /// Cathode cell.
        cell: usize,
        /// Surface stoichiometry \[-\].
        theta_surf: f64,
        /// Scaled electrolyte concentration \[-\].
        c_scale: f64,
    },
    /// No MSMR gallery can react at the surface potential, or the electrolyte is exhausted.
    #[error(
        "cathode cell {cell}: no gallery can react at {potential_v:.4} V (kinetic weight {kinetic_weight:.3e}) or electrolyte concentration {c_scale:.6} not positive"
    )]
    NoReactingGallery {
        /// Cathode cell.
        cell: usize,
        /// Surface potential U \[V\].
        potential_v: f64,
        /// Σ X_j (s_j (1 − s_j))^½ \[Li/f.u.\].
        kinetic_weight: f64,
        /// Scaled electrolyte concentration \[-\].
        c_scale: f64,
    },
    /// The galleries hold no lithium or no vacancy at the surface potential.
    #[error(
        "cathode cell {cell}: the galleries hold no lithium or no vacancy at the surface potential (surface lithium {surface_lithium:.6e} of {capacity:.6} Li per formula unit)"
    )]
    GalleriesExhausted {
        /// Cathode cell.
        cell: usize,
        /// Surface lithium f_s \[Li/f.u.\].
        surface_lithium: f64,
        /// The galleries' capacity C \[Li/f.u.\].
        capacity: f64,
    },
    /// A cathode overpotential overflows Butler–Volmer.
    #[error("cathode cell {cell}: overpotential {eta_v:.4} V overflows Butler–Volmer")]
    OverpotentialOverflow {
        /// Cathode cell.
        cell: usize,
        /// Overpotential η \[V\].
        eta_v: f64,
    },
    /// The scaled electrolyte concentration at the counter electrode is not positive.
    #[error(
        "electrolyte concentration {c_scale:.6} (scaled) at the counter electrode is not positive"
    )]
    CounterConcentration {
        /// Scaled concentration of the first electrolyte cell \[-\].
        c_scale: f64,
    },
    /// The electrolyte at the counter electrode's surface is depleted.
    #[error("electrolyte at the counter electrode depleted (scaled concentration {c_scale:.6})")]
    CounterDepleted {
        /// Scaled concentration at the surface \[-\].
        c_scale: f64,
    },
    /// The counter electrode's overpotential overflows Butler–Volmer.
    #[error("counter-electrode overpotential {eta_v:.4} V overflows Butler–Volmer")]
    CounterOverflow {
        /// Overpotential \[V\].
        eta_v: f64,
    },
    /// The residual has a value that is not finite.
    #[error("residual is not finite")]
    NotFinite,
}

impl From<NonPhysicalState> for crate::numerics::dae::EvalError {
    fn from(e: NonPhysicalState) -> Self {
        crate::numerics::dae::EvalError::NonPhysical(crate::numerics::dae::ModelError::new(e))
    }
}
