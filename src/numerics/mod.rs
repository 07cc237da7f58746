//! Numerics that know nothing about batteries: the DAE abstraction, sparse LU, the IDA wrapper.

pub mod assembly;
pub mod dae;
#[allow(unsafe_code)]
pub mod ida;
pub mod mesh;
pub mod sparse_lu;
