//! The fit file of `asslb fit`: which parameters to fit (bounds, scale, start), against the
//! measured data and runs of a validation file, with the options of the optimiser and of its
//! finite differences (format in `docs/fitting.md`).
//!
//! Checked before anything runs: the validation file (its scenarios and measured data), that
//! every parameter path is a number of the runs' parameter files (not a scenario key, a string,
//! a table or a path that does not exist), that its bounds are in order with the start inside
//! them (and positive on a log scale), and that a parameter is named once.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::numerics::least_squares::ParameterScale;
use crate::scenario::parameter_tree::parameter_value;
use crate::toml_position::{key_position, IndexBase};
use crate::validation::{load_validation, ValidationError, ValidationSpec};

/// One parameter to fit.
#[derive(Debug, Clone, PartialEq)]
pub struct FitParameter {
    /// The parameter path as in `--set` (`anion_redox.oxygen_loss_bulk_per_Li`).
    pub path: String,
    /// The start value (the file's `initial`, else the value in the first run's parameters).
    pub initial: f64,
    /// Lower bound.
    pub lower: f64,
    /// Upper bound.
    pub upper: f64,
    /// Linear or logarithmic.
    pub scale: ParameterScale,
    /// Indices of the runs (of the validation file) whose parameters it sets.
    pub runs: Vec<usize>,
}

/// How the Jacobian's finite differences are taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Differences {
    /// (r(x + h) − r(x − h)) / 2h: two simulations per parameter, second-order accurate.
    Central,
    /// (r(x + h) − r(x)) / h: one simulation per parameter (r(x) is known), first order.
    Forward,
}

/// Options of a fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CellFitOptions {
    /// Finite differences of the Jacobian.
    pub differences: Differences,
    /// Step h: of ln x on a log scale, relative to |x| on a linear scale (to the bound range
    /// when x = 0).
    pub step: f64,
    /// Relative reduction of the sum of squares below which the fit stops.
    pub ftol: f64,
    /// Relative change of the parameters below which the fit stops.
    pub xtol: f64,
    /// Largest number of the optimiser's own residual evaluations (trial points; the
    /// simulations of the finite differences are not counted).
    pub max_evaluations: usize,
}

impl Default for CellFitOptions {
    /// Central differences with a step of 0.1 (10 % of x, or 0.1 in ln x), ftol = xtol = 1e-6,
    /// 40 evaluations.
    ///
    /// The step is large because a simulated residual is not a smooth function of the
    /// parameters at small scales: the solver's adaptive steps (relative tolerance 1e-4) and,
    /// with cycle jumping, the jump lengths (whole cycles) change discretely. On the paper
    /// cell's 1000-cycle capacity curve a change of 1e-6 in a parameter moves capacities by up
    /// to 0.03–0.13 mA·h/g, while a 10 % change moves them by about 1.5 mA·h/g
    /// (`benches/README.md`, "Fitting"): at 1 % the differences would be a third noise, at
    /// 10 % a few percent, and the truncation error of central differences, O(h²), stays
    /// below that for the smooth responses of degradation rates.
    fn default() -> Self {
        CellFitOptions {
            differences: Differences::Central,
            step: 0.1,
            ftol: 1e-6,
            xtol: 1e-6,
            max_evaluations: 40,
        }
    }
}

/// A fit file, read and checked.
#[derive(Debug, Clone)]
pub struct FitSpec {
    /// The file.
    pub path: PathBuf,
    /// Its name (`name`, or the file stem).
    pub name: String,
    /// Its description.
    pub description: String,
    /// The runs and measured data.
    pub validation: ValidationSpec,
    /// The parameters, in the file's order.
    pub parameters: Vec<FitParameter>,
    /// The options.
    pub options: CellFitOptions,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFit {
    name: Option<String>,
    description: Option<String>,
    validation: String,
    parameters: Vec<RawParameter>,
    #[serde(default)]
    options: RawOptions,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParameter {
    path: String,
    initial: Option<f64>,
    lower: f64,
    upper: f64,
    scale: Option<String>,
    runs: Option<Vec<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawOptions {
    differences: Option<String>,
    step: Option<f64>,
    ftol: Option<f64>,
    xtol: Option<f64>,
    max_evaluations: Option<usize>,
}

/// Reads and checks the fit file at `path` (see the module documentation).
pub fn load_fit(path: &Path) -> Result<FitSpec, ValidationError> {
    let text = std::fs::read_to_string(path).map_err(|source| ValidationError::Read {
        file: path.to_path_buf(),
        source,
    })?;
    let raw: RawFit = toml::from_str(&text).map_err(|e| ValidationError::Syntax {
        file: path.to_path_buf(),
        message: e.to_string().trim_end().to_string(),
    })?;
    let key_err = |key: String, expected: String| ValidationError::Key {
        file: path.to_path_buf(),
        position: key_position(&text, &key, IndexBase::Zero),
        key,
        expected,
    };
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let validation = load_validation(&dir.join(&raw.validation))?;
    if raw.parameters.is_empty() {
        return Err(key_err(
            "parameters".into(),
            "expected at least one parameter to fit: [[parameters]] with path, lower, upper".into(),
        ));
    }
    let mut parameters: Vec<FitParameter> = Vec::new();
    for (k, p) in raw.parameters.iter().enumerate() {
        let key = format!("parameters[{k}]");
        let err = |field: &str, expected: String| {
            key_err(
                format!("{key}.{field}"),
                format!("`{}`: {expected}", p.path),
            )
        };
        if parameters.iter().any(|q| q.path == p.path) {
            return Err(err("path", "named twice; fit each parameter once".into()));
        }
        let scale = match p.scale.as_deref() {
            None | Some("linear") => ParameterScale::Linear,
            Some("log") => ParameterScale::Log,
            Some(other) => {
                return Err(err(
                    "scale",
                    format!("expected \"linear\" or \"log\", found \"{other}\""),
                ))
            }
        };
        let runs: Vec<usize> = match &p.runs {
            None => (0..validation.runs.len()).collect(),
            Some(labels) => {
                let mut out = Vec::new();
                for label in labels {
                    let i = validation
                        .runs
                        .iter()
                        .position(|r| &r.label == label)
                        .ok_or_else(|| {
                            err(
                                "runs",
                                format!(
                                    "expected labels of runs of {} ({}), found `{label}`",
                                    validation.path.display(),
                                    validation
                                        .runs
                                        .iter()
                                        .map(|r| format!("`{}`", r.label))
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                ),
                            )
                        })?;
                    out.push(i);
                }
                if out.is_empty() {
                    return Err(err("runs", "expected at least one run".into()));
                }
                out
            }
        };
        // The parameter must be a number in every run it sets.
        let mut current = None;
        for &r in &runs {
            let run = &validation.runs[r];
            let value =
                parameter_value(&run.scenario, &p.path).map_err(|e| err("path", e.to_string()))?;
            match value {
                Some(toml::Value::Float(v)) => current = current.or(Some(v)),
                Some(toml::Value::Integer(v)) => current = current.or(Some(v as f64)),
                Some(other) => {
                    return Err(err(
                        "path",
                        format!(
                            "not fittable: in run `{}` it is {} ({other}), not a number",
                            run.label,
                            crate::scenario::parameter_tree::describe_type(&other)
                        ),
                    ))
                }
                None => {
                    return Err(err(
                        "path",
                        format!(
                            "not fittable: the parameters of run `{}` have no value there (a key that does not exist, or an optional parameter not given: give it in the scenario first)",
                            run.label
                        ),
                    ))
                }
            }
        }
        let initial = match (p.initial, current) {
            (Some(v), _) => v,
            (None, Some(v)) => v,
            (None, None) => return Err(err("initial", "expected a start value".into())),
        };
        if !(p.lower.is_finite() && p.upper.is_finite()) {
            return Err(err("lower", "expected finite bounds".into()));
        }
        if p.lower >= p.upper {
            return Err(err(
                "upper",
                format!(
                    "bounds in the wrong order: lower = {} must be below upper = {}",
                    p.lower, p.upper
                ),
            ));
        }
        if scale == ParameterScale::Log && p.lower <= 0.0 {
            return Err(err(
                "lower",
                format!(
                    "a parameter on a log scale needs a positive lower bound, found {}",
                    p.lower
                ),
            ));
        }
        if !(initial.is_finite() && (p.lower..=p.upper).contains(&initial)) {
            let which = if p.initial.is_some() {
                "initial"
            } else {
                "lower"
            };
            return Err(err(
                which,
                format!(
                    "the start value {initial}{} is outside [{}, {}]",
                    if p.initial.is_some() {
                        ""
                    } else {
                        " (the scenario's)"
                    },
                    p.lower,
                    p.upper
                ),
            ));
        }
        parameters.push(FitParameter {
            path: p.path.clone(),
            initial,
            lower: p.lower,
            upper: p.upper,
            scale,
            runs,
        });
    }
    let d = CellFitOptions::default();
    let o = &raw.options;
    let differences = match o.differences.as_deref() {
        None | Some("central") => Differences::Central,
        Some("forward") => Differences::Forward,
        Some(other) => {
            return Err(key_err(
                "options.differences".into(),
                format!("expected \"central\" or \"forward\", found \"{other}\""),
            ))
        }
    };
    let positive = |name: &str, v: Option<f64>, default: f64, max: f64| {
        let v = v.unwrap_or(default);
        if v.is_finite() && v > 0.0 && v < max {
            Ok(v)
        } else {
            Err(key_err(
                format!("options.{name}"),
                format!("expected a number in (0, {max}), found {v}"),
            ))
        }
    };
    let options = CellFitOptions {
        differences,
        step: positive("step", o.step, d.step, 0.5)?,
        ftol: positive("ftol", o.ftol, d.ftol, 1.0)?,
        xtol: positive("xtol", o.xtol, d.xtol, 1.0)?,
        max_evaluations: match o.max_evaluations {
            Some(0) => {
                return Err(key_err(
                    "options.max_evaluations".into(),
                    "expected at least 1".into(),
                ))
            }
            Some(n) => n,
            None => d.max_evaluations,
        },
    };
    let name = raw.name.unwrap_or_else(|| {
        path.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "fit".into())
    });
    Ok(FitSpec {
        path: path.to_path_buf(),
        name,
        description: raw.description.unwrap_or_default(),
        validation,
        parameters,
        options,
    })
}
