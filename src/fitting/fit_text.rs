//! The fit as text for a terminal and for the reports: the fitted parameters with their
//! uncertainties, the correlation matrix, and the fit's statistics.

use std::fmt::Write as _;

use super::cell_fit::CellFitReport;
use super::ParameterScale;
use crate::validation::report::format_value;

/// The name of a parameter's scale, as the fit file writes it.
pub fn scale_name(s: ParameterScale) -> &'static str {
    match s {
        ParameterScale::Linear => "linear",
        ParameterScale::Log => "log",
    }
}

/// The fitted parameters as a table for a terminal: path, start, fitted value ± standard
/// uncertainty, relative uncertainty, bounds, scale, and a note for a parameter on a bound.
pub fn parameter_table(report: &CellFitReport) -> String {
    let f = &report.fit;
    let width = report
        .parameters
        .iter()
        .map(|p| p.path.len())
        .max()
        .unwrap_or(9)
        .max(9);
    let mut out = format!(
        "{:width$}  {:>11}  {:>11}  {:>11}  {:>8}  {:>23}  scale\n",
        "parameter", "start", "fitted", "± 1σ", "± %", "bounds"
    );
    for (k, p) in report.parameters.iter().enumerate() {
        let sigma = f.std_errors[k];
        let relative = 100.0 * sigma / f.values[k].abs();
        let _ = writeln!(
            out,
            "{:width$}  {:>11.4e}  {:>11.4e}  {:>11}  {:>8}  {:>23}  {}{}",
            p.path,
            p.initial,
            f.values[k],
            if sigma.is_finite() {
                format!("{sigma:.3e}")
            } else {
                "—".into()
            },
            if relative.is_finite() {
                format!("{relative:.2}")
            } else {
                "—".into()
            },
            format!("[{:.3e}, {:.3e}]", p.lower, p.upper),
            scale_name(p.scale),
            if f.at_bound[k] {
                "  (on a bound: not determined by the data within it)"
            } else {
                ""
            }
        );
    }
    out
}

/// The correlation matrix as a table, parameters numbered as in [`parameter_table`].
pub fn correlation_table(report: &CellFitReport) -> String {
    let c = &report.fit.correlation;
    let mut out = String::from("correlation");
    for k in 0..c.len() {
        let _ = write!(out, "  {:>6}", format!("[{}]", k + 1));
    }
    out.push('\n');
    for (k, row) in c.iter().enumerate() {
        let _ = write!(out, "{:>11}", format!("[{}]", k + 1));
        for v in row {
            let _ = write!(
                out,
                "  {:>6}",
                if v.is_finite() {
                    format!("{v:+.3}")
                } else {
                    "—".into()
                }
            );
        }
        let _ = writeln!(out, "  {}", report.parameters[k].path);
    }
    out
}

/// The fit's statistics in a few lines: residuals, sums of squares, reduced χ², RMS residual,
/// termination, evaluations, simulations, wall time, cycle jumping.
pub fn statistics(report: &CellFitReport) -> String {
    let f = &report.fit;
    format!(
        "residuals: {m} (in tolerances); SSR {ssr:.4} (start {start:.4}); reduced χ² {chi:.4} ({dof} degrees of freedom); RMS residual {rms:.3} tolerances\n\
         termination: {term}{conv}\n\
         evaluations: {ev} trial points, {jac} Jacobians, {sims} simulations{failed}; wall time {wall:.1} s; cycle jumping {jump}\n",
        m = f.residuals.len(),
        ssr = f.ssr,
        start = report.initial_ssr,
        chi = f.reduced_chi2,
        dof = f.degrees_of_freedom,
        rms = report.rms_residual(),
        term = f.termination,
        conv = if f.converged {
            ""
        } else {
            " (not converged: raise options.max_evaluations, or check the bounds)"
        },
        ev = f.evaluations,
        jac = f.jacobian_evaluations,
        sims = report.simulations,
        failed = if report.failed_points > 0 {
            format!(", {} trial points where a run failed", report.failed_points)
        } else {
            String::new()
        },
        wall = report.wall_time_s,
        jump = if report.cycle_jumping { "on" } else { "off" },
    )
}

/// The column titles of [`parameter_rows`].
pub const PARAMETER_COLUMNS: [&str; 8] = [
    "parameter",
    "scale",
    "bounds",
    "start",
    "fitted",
    "± 1σ",
    "± %",
    "note",
];

/// One row per fitted parameter ([`PARAMETER_COLUMNS`]): path, scale, bounds, start, fitted
/// value, standard uncertainty, relative uncertainty in percent, and `on a bound` for a
/// parameter the data do not determine within its bounds.
pub fn parameter_rows(report: &CellFitReport) -> Vec<[String; 8]> {
    let f = &report.fit;
    report
        .parameters
        .iter()
        .enumerate()
        .map(|(k, p)| {
            [
                p.path.clone(),
                scale_name(p.scale).to_string(),
                format!("[{:e}, {:e}]", p.lower, p.upper),
                format!("{:.4e}", p.initial),
                format!("{:.4e}", f.values[k]),
                format!("{:.3e}", f.std_errors[k]),
                format_value(100.0 * f.std_errors[k] / f.values[k].abs()),
                if f.at_bound[k] { "on a bound" } else { "" }.to_string(),
            ]
        })
        .collect()
}
