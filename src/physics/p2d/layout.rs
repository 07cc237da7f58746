//! Where each unknown of the discretised P2D model lives in the state vector.
//!
//! The electrolyte mesh has `ns` separator cells followed by `np` cathode cells (x from the
//! counter electrode at x = 0 to the cathode current collector at x = L). Unknowns, in order:
//!
//! | block | count | symbol | unit | kind |
//! |---|---|---|---|---|
//! | particle stoichiometry | np·nr | θ = c_s/c_s,max | - | differential |
//! | electrolyte concentration (binary only) | ns+np | ĉ = c_e/c_e,0 | - | differential |
//! | separator electrolyte potential | ns | φ_e | V | algebraic |
//! | per cathode cell: solid potential | np | φ_s | V | algebraic |
//! | per cathode cell: interface potential difference | np | Δφ = φ_s − φ_e | V | differential if C_dl > 0 |
//! | per cathode cell: faradaic current density | np | j | A/m² | algebraic |
//! | per cathode cell: surface open-circuit potential (MSMR only) | np | U | V | algebraic |
//! | counter-electrode potential difference | 1 | Δφ_n = φ_n − φ_e(0) | V | differential if C_dl,n > 0 |
//! | applied current density | 1 | i_app = I/A | A/m² | algebraic |
//! | delivered charge | 1 | q = ∫ i_app dt / 3600 | A·h/m² | differential |
//! | delivered energy | 1 | w = ∫ i_app V dt / 3600 | W·h/m² | differential |
//! | separator grain-boundary voltage (if modelled) | 1 | v_gb | V | differential |
//! | degradation states (with any degradation submodel) | 9 | see [`Slow`] | | differential |
//! | rearranged oxygen (with the rearranged-oxygen migration law) | 1 | ζ | - | differential |
//! | lithium of isolated fragments (with isolation behind flooded cracks) | 1 | θ_iso | - | differential |
//!
//! The counter-electrode metal is the potential reference, φ_n = 0.

/// The electrode-averaged slow (degradation) states, in their order after `w`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slow {
    /// Hysteresis state of the anionic gallery h \[-\].
    Hysteresis = 0,
    /// Active anionic capacity X_a \[Li per formula unit\].
    ActiveAnionic,
    /// Latent anionic capacity X_l \[Li per formula unit\].
    LatentAnionic,
    /// Capacity lost by oxygen release X_O \[Li per formula unit\].
    OxygenLost,
    /// Interphase thickness on the original particle surface δ \[nm\].
    Film,
    /// Lithium throughput Θ \[Li per formula unit exchanged\].
    Throughput,
    /// Film volume on wetted crack surface per original surface v_c \[nm\].
    CrackFilm,
    /// Charge passed by the side reaction q_side \[A·h/m² of electrode\].
    SideCharge,
    /// Transition-metal migration as the downward shift of the galleries M \[V\].
    Migration,
}

/// Number of [`Slow`] states.
pub const SLOW_STATES: usize = 9;

/// Index map of the state vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Cathode cells in x.
    pub np: usize,
    /// Separator cells in x.
    pub ns: usize,
    /// Particle shells in r.
    pub nr: usize,
    /// Whether the electrolyte concentration is an unknown (binary electrolyte).
    pub binary: bool,
    /// Whether each cathode cell carries its surface open-circuit potential (MSMR).
    pub msmr: bool,
    /// Unknowns per cathode cell (3, or 4 with MSMR).
    stride: usize,
    /// Index of the first slow state, if the model has them.
    slow_start: Option<usize>,
    /// Index of the grain-boundary voltage, if the separator has grain boundaries.
    pub grain_boundary: Option<usize>,
    /// Index of the rearranged oxygen ζ, after the slow states, if the migration law has it
    /// ([`crate::physics::anion_redox::MigrationLaw::RearrangedOxygen`]).
    pub rearranged_oxygen: Option<usize>,
    /// Index of the lithium in isolated fragments θ_iso (per c_max and the cathode's solid
    /// volume), after the rearranged oxygen, if fragments can be isolated
    /// ([`crate::physics::cracking`]).
    pub isolated_lithium: Option<usize>,
    c_e_start: usize,
    phi_e_start: usize,
    cathode_start: usize,
    /// Index of Δφ_n.
    pub dphi_n: usize,
    /// Index of i_app.
    pub i_app: usize,
    /// Index of q.
    pub q: usize,
    /// Index of w.
    pub w: usize,
    /// Number of unknowns.
    pub n: usize,
}

impl Layout {
    /// The layout for the given mesh and electrolyte kind, with per-cell open-circuit
    /// potentials when `msmr`, the slow states when `slow` and after them the rearranged
    /// oxygen when `slow && rearranged_oxygen`, then the isolated fragments' lithium when
    /// `slow && isolation`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        np: usize,
        ns: usize,
        nr: usize,
        binary: bool,
        msmr: bool,
        slow: bool,
        grain_boundary: bool,
        rearranged_oxygen: bool,
        isolation: bool,
    ) -> Self {
        let c_e_start = np * nr;
        let phi_e_start = c_e_start + if binary { ns + np } else { 0 };
        let cathode_start = phi_e_start + ns;
        let stride = if msmr { 4 } else { 3 };
        let dphi_n = cathode_start + stride * np;
        let gb = dphi_n + 4;
        let n = gb + usize::from(grain_boundary);
        let rearranged_oxygen = slow && rearranged_oxygen;
        let isolation = slow && isolation;
        let after_slow = n + SLOW_STATES;
        Layout {
            np,
            ns,
            nr,
            binary,
            msmr,
            stride,
            slow_start: slow.then_some(n),
            grain_boundary: grain_boundary.then_some(gb),
            rearranged_oxygen: rearranged_oxygen.then_some(after_slow),
            isolated_lithium: isolation.then_some(after_slow + usize::from(rearranged_oxygen)),
            c_e_start,
            phi_e_start,
            cathode_start,
            dphi_n,
            i_app: dphi_n + 1,
            q: dphi_n + 2,
            w: dphi_n + 3,
            n: n + if slow { SLOW_STATES } else { 0 }
                + usize::from(rearranged_oxygen)
                + usize::from(isolation),
        }
    }

    /// Electrolyte cells (separator + cathode).
    #[inline]
    pub fn ne(&self) -> usize {
        self.ns + self.np
    }

    /// θ in shell k of the particle of cathode cell i.
    #[inline]
    pub fn theta(&self, i: usize, k: usize) -> usize {
        i * self.nr + k
    }

    /// ĉ in electrolyte cell m (binary only).
    #[inline]
    pub fn c_e(&self, m: usize) -> usize {
        debug_assert!(self.binary);
        self.c_e_start + m
    }

    /// φ_e in separator cell m < ns.
    #[inline]
    pub fn phi_e_sep(&self, m: usize) -> usize {
        self.phi_e_start + m
    }

    /// φ_s in cathode cell i.
    #[inline]
    pub fn phi_s(&self, i: usize) -> usize {
        self.cathode_start + self.stride * i
    }

    /// Δφ in cathode cell i.
    #[inline]
    pub fn dphi(&self, i: usize) -> usize {
        self.cathode_start + self.stride * i + 1
    }

    /// j in cathode cell i.
    #[inline]
    pub fn j(&self, i: usize) -> usize {
        self.cathode_start + self.stride * i + 2
    }

    /// Surface open-circuit potential U in cathode cell i (MSMR only).
    #[inline]
    pub fn u(&self, i: usize) -> usize {
        debug_assert!(self.msmr);
        self.cathode_start + self.stride * i + 3
    }

    /// Whether the model carries the slow states.
    #[inline]
    pub fn has_slow(&self) -> bool {
        self.slow_start.is_some()
    }

    /// Index of slow state `s` (the model must carry them).
    #[inline]
    pub fn slow(&self, s: Slow) -> usize {
        self.slow_start.expect("the model has no slow states") + s as usize
    }
}
