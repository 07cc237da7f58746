//! The physics: parameters, material functions, kinetics and the P2D half-cell model.

pub mod kinetics;
pub mod material;
pub mod p2d;
pub mod parameters;
