//! The physics: parameters, material functions, kinetics, the open-circuit and degradation
//! submodels, and the P2D half-cell model.

pub mod anion_redox;
pub mod cracking;
pub mod interphase;
pub mod kinetics;
pub mod material;
pub mod msmr;
pub mod p2d;
pub mod parameters;
pub mod percolation;
