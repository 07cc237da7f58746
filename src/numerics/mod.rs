//! Numerics that know nothing about batteries: the DAE abstraction, sparse LU, the IDA wrapper,
//! the small-signal frequency response.

pub mod assembly;
pub mod consistent_init;
pub mod dae;
pub mod finite;
#[allow(unsafe_code)]
pub mod ida;
pub mod least_squares;
pub mod mesh;
pub mod small_signal;
// Unchecked indexing in the LU's solve and refactorisation programs, whose indices are
// checked once when a program is built.
#[allow(unsafe_code)]
pub mod sparse_lu;
