//! The figures, as PNG and SVG, drawn with `plotters`: plain data in, files out.
//!
//! Every figure function takes numbers and labels (slices and small structs of this module),
//! never the types of the layers above, so this module sits at the bottom of the stack and
//! every layer that draws calls it. What a layer keeps is the conversion of its own types into
//! these data.
//!
//! - [`text`]: the embedded font and the backends that draw text with it (the same pixels on
//!   every machine, SVGs that need no font);
//! - [`frame`]: the common frame: size, sizes of text, colours, axes, ticks, legends, notes,
//!   and [`frame::PLOT_WIDTH_PX`] by [`frame::PLOT_HEIGHT_PX`] PNG and SVG files written under
//!   temporary names;
//! - [`run`]: a run's voltage–capacity, capacity–efficiency and mean-voltage figures;
//! - [`differential`]: a run's dQ/dV and dV/dQ of the saved cycles;
//! - [`run_data`]: the plain data both draw from;
//! - [`impedance`]: Nyquist plots and fitted resistances against cycle;
//! - [`spectrum_fit`]: one spectrum with its model: Nyquist with decades marked, Bode, and
//!   relative residuals of the fit and of the Kramers–Kronig test;
//! - [`sweep`]: the comparison figures of a sweep and its figures of merit;
//! - [`validation`]: measured markers over simulated lines;
//! - [`error`]: [`FigureError`], why a figure could not be drawn or written.
//!
//! Odd data do not make the drawing fail: values that are not finite are left out, and empty
//! or single-valued ranges get a default span.

pub mod differential;
pub mod error;
pub mod frame;
pub mod impedance;
pub mod run;
pub mod run_data;
pub mod spectrum_fit;
pub mod sweep;
pub mod text;
pub mod validation;

pub use differential::DIFFERENTIAL_CAPACITY_PLOT;
pub use error::FigureError;
pub use frame::{PLOT_HEIGHT_PX, PLOT_WIDTH_PX};
pub use impedance::{
    plot_resistances_vs_cycle, write_nyquist, NyquistSpectrum, ResistanceSeries, NYQUIST_PLOT,
    RESISTANCE_PLOT,
};
/// A colour of a series (red, green, blue).
pub use plotters::style::RGBColor as Colour;
pub use run::{
    write_run_figures, CycleCurve, CyclePoint, RunFigureData, CAPACITY_EFFICIENCY_PLOT,
    MEAN_VOLTAGE_PLOT, VOLTAGE_CAPACITY_PLOT,
};
pub use spectrum_fit::{
    relative_residuals, write_spectrum_figures, Residuals, SpectrumFigures, SPECTRUM_BODE_PLOT,
    SPECTRUM_NYQUIST_PLOT, SPECTRUM_RESIDUALS_PLOT,
};
pub use sweep::{
    plot_figure_of_merit, plot_sweep_mean_voltage, plot_sweep_retention, MeritFigure, SweepAxis,
    SweepCurve, SWEEP_MEAN_VOLTAGE_PLOT, SWEEP_RETENTION_PLOT,
};
pub use text::xml_escape;
