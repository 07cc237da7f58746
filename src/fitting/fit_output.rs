//! What `asslb fit` prints and writes.
//!
//! Output folder (default `out/fit/<name>`):
//! - `fit_trials.csv`: every trial point (parameter values, sum of squares) and Jacobian, one
//!   line each, written and flushed as the fit goes ([`TrialLog`]): a fit that stops or is
//!   killed keeps its history;
//! - `fit_parameters.csv`: each parameter's path, scale, bounds, start, fitted value, standard
//!   uncertainty (absolute and relative) and whether it ended on a bound;
//! - `fit_correlation.csv`: the correlation matrix of the fitted parameters;
//! - `fitted/<run>/parameters.toml` (a complete parameter file with the fitted values, tables
//!   of a built-in set beside it) and `fitted/<run>/scenario.toml` (the run's scenario reading
//!   it): `asslb run fitted/<run>/scenario.toml` runs the fitted cell;
//! - `validation/`: the validation at the fitted values (`comparison.csv`, `report.md`, the
//!   figures, each run's `summary.csv`);
//! - `fit_residuals.csv`: every residual at the optimum (comparison, run, x = cycle or
//!   capacity, measured, simulated, residual in tolerances, and the residual's prediction
//!   uncertainty in tolerances);
//! - `prediction_bands.toml`: the fitted parameters and the standard uncertainty of every
//!   simulated value of the validation, propagated from their covariance
//!   ([`crate::validation::bands`]); a validation file names it with `bands = "<file>"`;
//! - `fit_report.md`: all of it in one page, and `fit_report.html` the same as one
//!   self-contained page with the validation's figures embedded.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::scenario::parameter_tree::{scenario_with_parameter_file, write_parameter_file};
use crate::validation::report::{markdown_table, write_atomically};
use crate::validation::{
    comparison_table, run_validation, BandParameter, PredictionBands, ValidateOptions,
    ValidationError, ValidationReport, BANDS_FILE,
};

use super::cell_fit::{CellFitReport, FitProgress};
use super::fit_page::write_fit_page;
use super::fit_spec::FitSpec;
use super::fit_text::{correlation_table, parameter_rows, parameter_table, scale_name, statistics};

/// File name of the trial log.
pub const TRIALS_FILE: &str = "fit_trials.csv";

/// `fit_trials.csv`, written line by line as the fit goes: `event, number, ssr, run_failed,
/// simulations` and the value of every parameter (`event` is `trial` for a trial point, with
/// its values and sum of squares, or `jacobian` for a Jacobian, with its simulations and, in
/// `run_failed`, how many of them failed). A write that fails is remembered
/// ([`TrialLog::error`]) and the fit goes on.
#[derive(Debug)]
pub struct TrialLog {
    file: std::fs::File,
    error: Option<std::io::Error>,
}

impl TrialLog {
    /// Creates `<dir>/fit_trials.csv` (the folder must exist) with its header for the
    /// parameters `paths`.
    pub fn create(dir: &Path, paths: &[&str]) -> std::io::Result<Self> {
        use std::io::Write as _;
        let mut file = std::fs::File::create(dir.join(TRIALS_FILE))?;
        writeln!(
            file,
            "event,number,ssr,run_failed,simulations,{}",
            paths.join(",")
        )?;
        Ok(TrialLog { file, error: None })
    }

    /// Appends the line of `event` and hands it to the operating system.
    pub fn record(&mut self, event: &FitProgress) {
        use std::io::Write as _;
        let line = match event {
            FitProgress::Evaluation {
                evaluation,
                values,
                ssr,
                failed,
            } => {
                let values: Vec<String> = values.iter().map(f64::to_string).collect();
                format!(
                    "trial,{evaluation},{ssr},{},,{}\n",
                    u8::from(*failed),
                    values.join(",")
                )
            }
            FitProgress::Jacobian {
                jacobian,
                simulations,
                failed,
            } => format!("jacobian,{jacobian},,{failed},{simulations}\n"),
        };
        if self.error.is_none() {
            if let Err(e) = self
                .file
                .write_all(line.as_bytes())
                .and_then(|()| self.file.flush())
            {
                self.error = Some(e);
            }
        }
    }

    /// The first write that failed, if any.
    pub fn error(&self) -> Option<&std::io::Error> {
        self.error.as_ref()
    }
}

/// The files a fit wrote, and the validation at its optimum.
#[derive(Debug, Clone)]
pub struct FitFiles {
    /// `fit_report.md`.
    pub report: PathBuf,
    /// `fit_report.html`.
    pub page: PathBuf,
    /// `fit_parameters.csv`.
    pub parameters: PathBuf,
    /// `fitted/<run>/scenario.toml` of every run.
    pub scenarios: Vec<PathBuf>,
    /// The validation at the fitted values.
    pub validation: ValidationReport,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ValidationError + '_ {
    move |source| ValidationError::Output {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes the files of the module documentation into `out` and validates the fitted runs
/// there (one more simulation of each run, in parallel with `jobs` threads).
pub fn write_fit_outputs(
    out: &Path,
    spec: &FitSpec,
    report: &CellFitReport,
    jobs: Option<usize>,
) -> Result<FitFiles, ValidationError> {
    std::fs::create_dir_all(out).map_err(io_err(out))?;
    let f = &report.fit;

    // Fitted parameter files and scenarios.
    let values: Vec<(String, f64)> = report
        .parameters
        .iter()
        .zip(&f.values)
        .map(|(p, &v)| (p.path.clone(), v))
        .collect();
    let mut scenarios = Vec::new();
    for (k, run) in spec.validation.runs.iter().enumerate() {
        let dir = out.join("fitted").join(&run.label);
        std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
        let mine: Vec<(String, f64)> = values
            .iter()
            .zip(&report.parameters)
            .filter(|(_, p)| p.runs.contains(&k))
            .map(|(v, _)| v.clone())
            .collect();
        let mut header = format!(
            "Parameters of run `{}` fitted by `asslb fit {}`.\nFitted (± 1σ):\n",
            run.label,
            spec.path.display()
        );
        for (j, p) in report.parameters.iter().enumerate() {
            if p.runs.contains(&k) {
                let _ = writeln!(
                    header,
                    "  {} = {:e} ± {:.3e}",
                    p.path, f.values[j], f.std_errors[j]
                );
            }
        }
        let _ = write!(
            header,
            "Reduced chi-square {:.4} over {} residuals (in tolerances); see fit_report.md.",
            f.reduced_chi2,
            f.residuals.len()
        );
        let base = &run.scenario;
        let parameters = dir.join("parameters.toml");
        write_parameter_file(base, &mine, &parameters, &header).map_err(|e| {
            ValidationError::Output {
                path: parameters.clone(),
                source: std::io::Error::other(e.to_string()),
            }
        })?;
        let mut doc = scenario_with_parameter_file(base, "parameters.toml");
        // Its own name, so that its default output folder is not the original run's.
        doc.insert(
            "name".into(),
            toml::Value::String(format!("{}_fitted", base.name)),
        );
        let text = toml::to_string(&doc).map_err(|e| ValidationError::Output {
            path: dir.join("scenario.toml"),
            source: std::io::Error::other(e.to_string()),
        })?;
        let scenario = dir.join("scenario.toml");
        write_atomically(
            &scenario,
            &format!(
                "# The scenario of run `{}` with the parameters fitted by `asslb fit {}`.\n\n{text}",
                run.label,
                spec.path.display()
            ),
        )?;
        scenarios.push(scenario);
    }

    // Parameters and correlations.
    let mut csv = String::from(
        "parameter,scale,lower,upper,initial,fitted,std_error,relative_std_error,at_bound\n",
    );
    for (k, p) in report.parameters.iter().enumerate() {
        let _ = writeln!(
            csv,
            "{},{},{},{},{},{},{},{},{}",
            p.path,
            scale_name(p.scale),
            p.lower,
            p.upper,
            p.initial,
            f.values[k],
            f.std_errors[k],
            f.std_errors[k] / f.values[k].abs(),
            f.at_bound[k]
        );
    }
    let parameters = out.join("fit_parameters.csv");
    write_atomically(&parameters, &csv)?;
    let mut csv = String::from("parameter");
    for p in &report.parameters {
        let _ = write!(csv, ",{}", p.path);
    }
    csv.push('\n');
    for (p, row) in report.parameters.iter().zip(&f.correlation) {
        csv.push_str(&p.path);
        for v in row {
            let _ = write!(csv, ",{v}");
        }
        csv.push('\n');
    }
    write_atomically(&out.join("fit_correlation.csv"), &csv)?;

    // The validation at the fitted values.
    // The validation at the fitted values, with the prediction bands of the fit.
    let mut fitted = spec.validation.clone();
    for (run, scenario) in fitted.runs.iter_mut().zip(&report.fitted_scenarios) {
        run.scenario = scenario.clone();
    }
    let validation = run_validation(
        &fitted,
        &ValidateOptions {
            out: out.join("validation"),
            jobs,
            residual_std_errors: Some(f.residual_std_errors.clone()),
        },
    )?;
    let bands = PredictionBands::from_comparisons(
        &spec.path.display().to_string(),
        report
            .parameters
            .iter()
            .enumerate()
            .map(|(k, p)| BandParameter {
                path: p.path.clone(),
                value: f.values[k],
                std_error: f.std_errors[k],
            })
            .collect(),
        &validation.comparisons,
    );
    let bands_path = out.join(BANDS_FILE);
    let text = bands.to_toml().map_err(|e| ValidationError::Output {
        path: bands_path.clone(),
        source: std::io::Error::other(e.to_string()),
    })?;
    write_atomically(&bands_path, &text)?;
    let mut csv =
        String::from("id,quantity,run,x,measured,simulated,residual,residual_std_error\n");
    let mut std = f.residual_std_errors.iter();
    for c in &validation.comparisons {
        for (&(x, m, s), r) in c.series.iter().zip(&c.residuals) {
            let sigma = std.next().copied().unwrap_or(f64::NAN);
            let _ = writeln!(
                csv,
                "{},{},{},{x},{m},{s},{r},{sigma}",
                c.id, c.quantity, c.run
            );
        }
    }
    write_atomically(&out.join("fit_residuals.csv"), &csv)?;

    // The report.
    let mut md = format!("# Fit `{}`\n\n", spec.name);
    if !spec.description.is_empty() {
        let _ = writeln!(md, "{}\n", spec.description.trim());
    }
    let _ = writeln!(
        md,
        "Fit file `{}`, data and runs from `{}`. Residuals are deviations divided by their tolerances.\n",
        spec.path.display(),
        spec.validation.path.display()
    );
    md.push_str("## Parameters\n\n| parameter | scale | bounds | start | fitted | ± 1σ | ± % | note |\n|---|---|---|---:|---:|---:|---:|---|\n");
    for [path, scale, bounds, start, fitted, sigma, percent, note] in parameter_rows(report) {
        let _ = writeln!(
            md,
            "| `{path}` | {scale} | {bounds} | {start} | {fitted} | {sigma} | {percent} | {note} |"
        );
    }
    md.push_str("\n## Correlations\n\n```text\n");
    md.push_str(&correlation_table(report));
    md.push_str("```\n\n## Statistics\n\n```text\n");
    md.push_str(&statistics(report));
    md.push_str("```\n\n## At the fitted values\n\n");
    md.push_str(&markdown_table(&validation.comparisons));
    md.push_str(
        "\nFigures and runs: [validation/report.md](validation/report.md). Fitted scenarios: ",
    );
    let names: Vec<String> = spec
        .validation
        .runs
        .iter()
        .map(|r| format!("`fitted/{}/scenario.toml`", r.label))
        .collect();
    md.push_str(&names.join(", "));
    md.push_str(".\n");
    let report_path = out.join("fit_report.md");
    write_atomically(&report_path, &md)?;
    let page = write_fit_page(out, spec, report, &validation)?;
    Ok(FitFiles {
        report: report_path,
        page,
        parameters,
        scenarios,
        validation,
    })
}

/// Everything `asslb fit` prints after the fit: parameters, correlations, statistics and the
/// comparisons at the fitted values.
pub fn fit_summary(report: &CellFitReport, files: &FitFiles) -> String {
    let mut out = parameter_table(report);
    out.push('\n');
    out.push_str(&correlation_table(report));
    out.push('\n');
    out.push_str(&statistics(report));
    out.push_str("\nat the fitted values:\n");
    out.push_str(&comparison_table(&files.validation.comparisons));
    out
}
