//! Prediction bands: the uncertainty of each simulated value of a validation, propagated from
//! the covariance of a fit of the model's parameters.
//!
//! A fit ([`crate::fitting::cell_fit`]) knows, at its optimum, the covariance of the fitted
//! parameters and the Jacobian of every residual; the uncertainty of the model's prediction of
//! residual i is σ_i = √(J_i cov J_iᵀ) (the delta method,
//! [`crate::numerics::least_squares::FitReport::residual_std_errors`]). A residual is the
//! deviation in its tolerance's terms divided by the tolerance, so σ_i times the tolerance is
//! the band of the simulated value in the error's terms (percent, points or the quantity's
//! unit); a series (a per-cycle column, a voltage curve) gets the root mean square of its
//! points' bands.
//!
//! `asslb fit` writes the bands of the validation at the fitted values to
//! `prediction_bands.toml` ([`PredictionBands`], the file in [`super::bands_file`]): the fitted parameters (path, value, σ) and
//! one band per comparison. A validation file that names such a file (`bands = "<file>"`)
//! shows every comparison with its band when its runs carry the fit's parameters: each fitted
//! parameter in every run within a tenth of its σ of the fitted value (a built-in set carries
//! the fitted values rounded to three digits, far inside that). When a parameter has moved
//! further (a `--set`, an edited set) the bands no longer describe the runs: none is shown and
//! the report says which parameter moved. The bands are linear: they hold while the model is
//! close to linear over ± 1σ of the parameters, which the wide σ of weakly identified
//! parameters may not satisfy (docs/validation.md).

use crate::scenario::parameter_tree::parameter_value;

use super::bands_file::{Band, BandParameter, PredictionBands};
use super::compare::Comparison;
use super::spec::RunSpec;

/// A fit's residuals and a validation's comparisons differ in number: the comparisons are not
/// those the fit was made on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the fit has {fit} residuals, the comparisons {comparisons}")]
pub struct BandCountMismatch {
    /// The fit's residuals.
    pub fit: usize,
    /// The comparisons' residuals.
    pub comparisons: usize,
}

/// Sets the band of every comparison from `residual_std_errors`, the prediction uncertainties
/// of a fit's residuals in the fit's order (every comparison's residuals in turn). Errors when
/// the counts differ (the comparisons are not those the fit was made on).
pub fn assign_bands(
    comparisons: &mut [Comparison],
    residual_std_errors: &[f64],
) -> Result<(), BandCountMismatch> {
    let expected: usize = comparisons.iter().map(|c| c.residuals.len()).sum();
    if expected != residual_std_errors.len() {
        return Err(BandCountMismatch {
            fit: residual_std_errors.len(),
            comparisons: expected,
        });
    }
    let mut k = 0;
    for c in comparisons {
        let n = c.residuals.len();
        let mine = &residual_std_errors[k..k + n];
        k += n;
        let mean_square = mine.iter().map(|s| s * s).sum::<f64>() / n.max(1) as f64;
        c.prediction_std = (n > 0).then(|| c.tolerance.value * mean_square.sqrt());
    }
    Ok(())
}

impl PredictionBands {
    /// The bands of `comparisons` (their `prediction_std` set by [`assign_bands`]) of the fit
    /// `fit` with the parameters `parameters`.
    pub fn from_comparisons(
        fit: &str,
        parameters: Vec<BandParameter>,
        comparisons: &[Comparison],
    ) -> Self {
        PredictionBands {
            fit: fit.to_string(),
            parameters,
            bands: comparisons
                .iter()
                .filter_map(|c| {
                    c.prediction_std.map(|s| Band {
                        id: c.id.clone(),
                        quantity: c.quantity.clone(),
                        run: c.run.clone(),
                        cycles: c.cycles.clone(),
                        simulated: c.simulated,
                        std_error: s,
                    })
                })
                .collect(),
        }
    }

    /// Why the bands do not describe `runs`: the first fitted parameter whose value in a run is
    /// further than a tenth of its σ from the fitted value (or missing, or not a number);
    /// `None` when they do.
    pub fn mismatch(&self, runs: &[RunSpec]) -> Option<String> {
        for p in &self.parameters {
            for run in runs {
                let value = match parameter_value(&run.scenario, &p.path) {
                    Ok(Some(toml::Value::Float(v))) => v,
                    Ok(Some(toml::Value::Integer(v))) => v as f64,
                    Ok(Some(other)) => {
                        return Some(format!(
                            "`{}` of run `{}` is {}, not a number",
                            p.path,
                            run.label,
                            crate::scenario::parameter_tree::describe_type(&other)
                        ))
                    }
                    Ok(None) => {
                        return Some(format!(
                            "run `{}` has no `{}` (the fit had {:e})",
                            run.label, p.path, p.value
                        ))
                    }
                    Err(e) => return Some(format!("run `{}`: {e}", run.label)),
                };
                let allowed = if p.std_error.is_finite() && p.std_error > 0.0 {
                    0.1 * p.std_error
                } else {
                    1e-9 * p.value.abs()
                };
                if (value - p.value).abs() > allowed {
                    return Some(format!(
                        "`{}` is {value:e} in run `{}`, the fit's {:e} ± {:.2e}: re-run the fit for bands at these values",
                        p.path, run.label, p.value, p.std_error
                    ));
                }
            }
        }
        None
    }

    /// Sets the band of every comparison that has one here (same id, quantity, run and
    /// cycles).
    pub fn apply(&self, comparisons: &mut [Comparison]) {
        for c in comparisons {
            c.prediction_std = self
                .bands
                .iter()
                .find(|b| {
                    b.id == c.id
                        && b.quantity == c.quantity
                        && b.run == c.run
                        && b.cycles == c.cycles
                })
                .map(|b| b.std_error);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measured::ToleranceKind;
    use crate::validation::spec::Tolerance;
    use crate::validation::ComparisonKind;

    fn comparison(id: &str, residuals: usize, tolerance: f64) -> Comparison {
        Comparison {
            kind: ComparisonKind::Point,
            id: id.into(),
            quantity: "q".into(),
            unit: "mAh/g".into(),
            run: "r".into(),
            cycles: "1".into(),
            reference_cycle: None,
            conditions: String::new(),
            source: String::new(),
            measured: 1.0,
            simulated: 1.0,
            error: 0.0,
            tolerance: Tolerance {
                value: tolerance,
                kind: ToleranceKind::Percent,
            },
            criterion: None,
            pass: true,
            residuals: vec![0.0; residuals],
            series: Vec::new(),
            prediction_std: None,
        }
    }

    #[test]
    fn bands_follow_the_residual_order_in_the_error_terms() {
        let mut c = vec![comparison("a", 1, 2.0), comparison("b", 2, 5.0)];
        assign_bands(&mut c, &[0.5, 0.3, 0.4]).unwrap();
        assert_eq!(c[0].prediction_std, Some(1.0));
        // RMS of 0.3 and 0.4 is √0.125; times the tolerance 5.
        let b = c[1].prediction_std.unwrap();
        assert!((b - 5.0 * 0.125f64.sqrt()).abs() < 1e-12);
        assert_eq!(
            assign_bands(&mut c, &[0.5, 0.3]),
            Err(BandCountMismatch {
                fit: 2,
                comparisons: 3
            })
        );

        let bands = PredictionBands::from_comparisons("fit.toml", Vec::new(), &c);
        let text = bands.to_toml().unwrap();
        let back: PredictionBands = toml::from_str(&text).unwrap();
        assert_eq!(back, bands);
        let mut fresh = vec![comparison("a", 1, 2.0), comparison("c", 1, 2.0)];
        back.apply(&mut fresh);
        assert_eq!(fresh[0].prediction_std, Some(1.0));
        assert_eq!(fresh[1].prediction_std, None);
    }
}
