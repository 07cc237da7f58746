//! The cell's small-signal impedance `Z(ω) = −V̂/Î` from the linearised model (see
//! [`crate::numerics::small_signal`]): the current is the input (the control row
//! `i_app − u = 0`), the cell voltage the output. The sign makes Z a positive resistance at
//! low frequency with the usual convention that current is positive on discharge.
//!
//! The arcs come from the model's own elements: the double-layer capacitances of the cathode
//! and counter-electrode interfaces against their charge-transfer and interface resistances,
//! the electrolyte and electronic resistances of the composite (a transmission line), and solid
//! diffusion (the low-frequency tail); for a binary electrolyte also salt diffusion. A model
//! without double layers has no capacitance at its interfaces, so its high-frequency
//! impedance does not fall to the ohmic resistance.

use faer::c64;

use super::{Control, P2dModel};
use crate::numerics::dae::DaeSystem;
use crate::numerics::small_signal::{FrequencyResponse, FrequencyResponseError};

impl P2dModel {
    /// The impedance \[Ω\] at the steady state `y` (with `yp` its time derivative, zero at
    /// rest) at each frequency \[Hz\]. The control is set to a constant current equal to the
    /// state's. The interface capacitances are in the linearised model whether or not they
    /// charge in the model's time integration ([`P2dModel::set_capacitive_charging`]).
    pub fn impedance(
        &mut self,
        y: &[f64],
        yp: &[f64],
        frequencies_hz: &[f64],
    ) -> Result<Vec<c64>, FrequencyResponseError> {
        let charging = self.capacitive_charging();
        self.set_capacitive_charging(true);
        let z = self.linearised_impedance(y, yp, frequencies_hz);
        self.set_capacitive_charging(charging);
        z
    }

    fn linearised_impedance(
        &mut self,
        y: &[f64],
        yp: &[f64],
        frequencies_hz: &[f64],
    ) -> Result<Vec<c64>, FrequencyResponseError> {
        let l = *self.layout();
        self.set_control(Control::Current { i_a_m2: y[l.i_app] });
        let pattern = self.jacobian_pattern();
        let nnz = pattern.row_idx.len();
        let (mut d_y, mut j1) = (vec![0.0; nnz], vec![0.0; nnz]);
        let failed = FrequencyResponseError::Jacobian;
        self.jacobian(0.0, 0.0, y, yp, &mut d_y).map_err(failed)?;
        self.jacobian(0.0, 1.0, y, yp, &mut j1).map_err(failed)?;
        // The Jacobian is linear in c_j: J(1) − J(0) = ∂F/∂y'.
        let d_yp: Vec<f64> = j1.iter().zip(&d_y).map(|(a, b)| a - b).collect();
        let response = FrequencyResponse::new(&pattern, d_y, d_yp)?;
        // Input: F_i_app = i_app − u, so ∂F/∂u = −1 there. Output: V = φ_s(L) − i_app Δx/(2σ).
        let mut input = vec![0.0; l.n];
        input[l.i_app] = -1.0;
        let mut output = vec![0.0; l.n];
        output[l.phi_s(l.np - 1)] = 1.0;
        output[l.i_app] = -0.5 * self.dx_p / self.sigma_eff;
        if let Some(k) = l.grain_boundary {
            output[k] = -1.0;
        }
        let h = response.transfer(&input, &output, frequencies_hz)?;
        // V̂/î per area → Z = −V̂/(A î).
        Ok(h.into_iter().map(|v| -v / self.area).collect())
    }
}
