//! Moving a state of the model onto a model of the same cell with other particle shells
//! (for example shells refined toward the surface for an impedance spectrum): the particle
//! stoichiometries are remapped conservatively, every other unknown is copied.

use super::P2dModel;

impl P2dModel {
    /// The state `y` of `from` (the same cell and options, the same numbers of cells and
    /// shells, other shell widths) as a state of `self`: each particle's shell averages are
    /// remapped with [`crate::numerics::mesh::SphereMesh::remap_from`], which keeps its
    /// lithium content to rounding; all other unknowns are copied. The surface of the remapped
    /// profile is not in equilibrium with the other unknowns: let the state relax (a rest with
    /// a consistent initialisation) before using it.
    pub fn transfer_state(&self, from: &P2dModel, y: &[f64]) -> Result<Vec<f64>, String> {
        let (l, lf) = (&self.layout, &from.layout);
        if l.n != lf.n || l.np != lf.np || l.nr != lf.nr || y.len() != lf.n {
            return Err(format!(
                "cannot move a state of {} unknowns ({} cathode cells, {} shells) onto a model of {} unknowns ({} cells, {} shells)",
                lf.n, lf.np, lf.nr, l.n, l.np, l.nr
            ));
        }
        let mut out = y.to_vec();
        for i in 0..l.np {
            let shells: Vec<f64> = (0..lf.nr).map(|k| y[lf.theta(i, k)]).collect();
            let moved = self.sphere.remap_from(&from.sphere, &shells);
            for (k, v) in moved.into_iter().enumerate() {
                out[l.theta(i, k)] = v;
            }
        }
        Ok(out)
    }
}
