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
//! | counter-electrode potential difference | 1 | Δφ_n = φ_n − φ_e(0) | V | differential if C_dl,n > 0 |
//! | applied current density | 1 | i_app = I/A | A/m² | algebraic |
//! | delivered charge | 1 | q = ∫ i_app dt / 3600 | A·h/m² | differential |
//! | delivered energy | 1 | w = ∫ i_app V dt / 3600 | W·h/m² | differential |
//!
//! The counter-electrode metal is the potential reference, φ_n = 0.

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
    /// The layout for the given mesh and electrolyte kind.
    pub fn new(np: usize, ns: usize, nr: usize, binary: bool) -> Self {
        let c_e_start = np * nr;
        let phi_e_start = c_e_start + if binary { ns + np } else { 0 };
        let cathode_start = phi_e_start + ns;
        let dphi_n = cathode_start + 3 * np;
        Layout {
            np,
            ns,
            nr,
            binary,
            c_e_start,
            phi_e_start,
            cathode_start,
            dphi_n,
            i_app: dphi_n + 1,
            q: dphi_n + 2,
            w: dphi_n + 3,
            n: dphi_n + 4,
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
        self.cathode_start + 3 * i
    }

    /// Δφ in cathode cell i.
    #[inline]
    pub fn dphi(&self, i: usize) -> usize {
        self.cathode_start + 3 * i + 1
    }

    /// j in cathode cell i.
    #[inline]
    pub fn j(&self, i: usize) -> usize {
        self.cathode_start + 3 * i + 2
    }
}
