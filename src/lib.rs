//! # asslb — all-solid-state lithium battery simulator
//!
//! A pseudo-two-dimensional (P2D, Doyle–Fuller–Newman type) cell model for composite cathodes
//! with a single-ion solid electrolyte (or a binary liquid electrolyte for comparison), solved as
//! a differential-algebraic system with SUNDIALS IDA and a `faer` sparse direct LU.
//!
//! Layout, following the pipeline *parameters → mesh → model → solver → solution*:
//! - [`physics`]: parameters, material functions, kinetics and the P2D residual/Jacobian;
//! - [`numerics`]: meshes, the DAE abstraction, the sparse LU and the IDA wrapper (the only
//!   module allowed to use `unsafe`, for the FFI);
//! - [`protocol`]: experiment steps and the driver that runs them on the solver;
//! - [`scenario`]: TOML scenario and parameter files, parsed and validated;
//! - [`output`]: CSV writers that read only solutions;
//! - [`fitting`]: bounded non-linear least squares (Levenberg–Marquardt) with uncertainties;
//! - [`impedance`]: equivalent circuits, measured spectra and circuit fits to them;
//! - [`sweep`]: parameter sweeps over a scenario, run in parallel, sharded and merged;
//! - [`measured`]: measured results as data (target points, per-cycle data, voltage curves)
//!   and the import of cycler exports;
//! - [`validation`]: scenarios run against measured data, with the verdicts as a table, a
//!   report and figures (`asslb validate`);
//! - [`robustness`]: the robustness suite, random plausible cases run as child processes and
//!   classified by how they ended (`asslb robustness`).
#![deny(unsafe_code)]

pub mod constants;
pub mod fitting;
pub mod impedance;
pub mod measured;
pub mod numerics;
pub mod output;
pub mod physics;
pub mod protocol;
pub mod robustness;
pub mod scenario;
pub mod sweep;
pub mod validation;
