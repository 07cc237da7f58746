//! # asslb — all-solid-state lithium battery simulator
//!
//! A pseudo-two-dimensional (P2D, Doyle–Fuller–Newman type) cell model for composite cathodes
//! with a single-ion solid electrolyte (or a binary liquid electrolyte for comparison), solved as
//! a differential-algebraic system with SUNDIALS IDA and a `faer` sparse direct LU.
//!
//! Layers, bottom first; each uses only lower ones (`docs/architecture.md`, checked by
//! `tests/layers.rs`):
//! - [`constants`], [`range`], [`csv_table`], [`figures`], [`error_chain`]: physical
//!   constants; the accepted input ranges; the one reader of CSV tables; every figure, drawn
//!   from plain data; an error and its causes as text;
//! - [`numerics`]: meshes, the DAE abstraction, the sparse LU, the IDA wrapper (the only
//!   module allowed to use `unsafe`, for the FFI) and bounded least squares; [`html`]:
//!   self-contained HTML report pages;
//! - [`physics`]: parameters, material functions, kinetics and the P2D residual/Jacobian;
//! - [`protocol`]: experiment steps and the driver that runs them on the solver;
//! - [`impedance`]: equivalent circuits, measured spectra and circuit fits to them;
//!   [`measured`]: measured results as data and the import of cycler exports;
//! - [`output`]: the run's files and the data of its figures;
//! - [`scenario`]: TOML scenario and parameter files, parsed and validated, the run driver and
//!   the run's summary;
//! - [`validation`]: scenarios run against measured data, with the verdicts as a table, a
//!   report and figures (`asslb validate`);
//! - [`fitting`]: cell fits to validation targets (`asslb fit`);
//! - [`sweep`]: parameter sweeps over a scenario, run in parallel, sharded and merged;
//!   [`robustness`]: the robustness suite, random plausible cases run as child processes and
//!   classified by how they ended (`asslb robustness`).
#![deny(unsafe_code)]

pub mod constants;
pub mod csv_table;
pub mod error_chain;
pub mod figures;
pub mod fitting;
pub mod html;
pub mod impedance;
pub mod measured;
pub mod numerics;
pub mod output;
pub mod physics;
pub mod protocol;
pub mod range;
pub mod robustness;
pub mod scenario;
pub mod sweep;
pub mod text_decode;
pub mod toml_position;
pub mod validation;
