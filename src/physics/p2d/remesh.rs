//! Moving a state of the model onto a model of the same cell with other particle shells
//! (for example shells refined toward the surface for an impedance spectrum): the particle
//! stoichiometries are remapped conservatively, every other unknown is copied.

use super::P2dModel;

/// A state that does not fit the model it is moved from or onto: the two models' sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "cannot move a state of {from_unknowns} unknowns ({from_cells} cathode cells, {from_shells} shells) onto a model of {to_unknowns} unknowns ({to_cells} cells, {to_shells} shells)"
)]
pub struct StateMismatch {
    /// Unknowns of the state's model (or of the state itself, when it has another length).
    pub from_unknowns: usize,
    /// Cathode cells of the state's model.
    pub from_cells: usize,
    /// Particle shells of the state's model.
    pub from_shells: usize,
    /// Unknowns of the target model.
    pub to_unknowns: usize,
    /// Cathode cells of the target model.
    pub to_cells: usize,
    /// Particle shells of the target model.
    pub to_shells: usize,
}

impl P2dModel {
    /// The state `y` of `from` (the same cell and options, the same numbers of cells and
    /// shells, other shell widths) as a state of `self`: each particle's shell averages are
    /// remapped with [`crate::numerics::mesh::SphereMesh::remap_from`], which keeps its
    /// lithium content to rounding; all other unknowns are copied. The surface of the remapped
    /// profile is not in equilibrium with the other unknowns: let the state relax (a rest with
    /// a consistent initialisation) before using it.
    pub fn transfer_state(&self, from: &P2dModel, y: &[f64]) -> Result<Vec<f64>, StateMismatch> {
        let (l, lf) = (&self.layout, &from.layout);
        if l.n != lf.n || l.np != lf.np || l.nr != lf.nr || y.len() != lf.n {
            return Err(StateMismatch {
                from_unknowns: lf.n,
                from_cells: lf.np,
                from_shells: lf.nr,
                to_unknowns: l.n,
                to_cells: l.np,
                to_shells: l.nr,
            });
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
