//! Range checks shared by the submodels' `validate` methods. Each returns the offending key
//! (relative to the submodel's section) and what was expected; the caller prefixes the section.

/// A failed range check: (key, message).
pub type RangeError = (&'static str, String);

/// `v` finite and > 0.
pub fn positive(key: &'static str, v: f64) -> Result<(), RangeError> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err((key, format!("expected a positive number, found {v}")))
    }
}

/// `v` finite and ≥ 0.
pub fn non_negative(key: &'static str, v: f64) -> Result<(), RangeError> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err((key, format!("expected a number ≥ 0, found {v}")))
    }
}

/// `v` finite.
pub fn finite(key: &'static str, v: f64) -> Result<(), RangeError> {
    if v.is_finite() {
        Ok(())
    } else {
        Err((key, format!("expected a finite number, found {v}")))
    }
}

/// `v` in [0, 1]; `what` names the kind of fraction in the message ("fraction", "mole
/// fraction").
pub fn unit_interval(key: &'static str, v: f64, what: &str) -> Result<(), RangeError> {
    if v.is_finite() && (0.0..=1.0).contains(&v) {
        Ok(())
    } else {
        Err((key, format!("expected a {what} in [0, 1], found {v}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checks_name_the_key_and_the_range() {
        assert!(positive("a", 1.0).is_ok());
        assert_eq!(
            positive("a", 0.0).unwrap_err(),
            ("a", "expected a positive number, found 0".to_string())
        );
        assert!(non_negative("b", 0.0).is_ok() && non_negative("b", f64::NAN).is_err());
        assert!(finite("c", -3.0).is_ok() && finite("c", f64::INFINITY).is_err());
        assert!(unit_interval("d", 1.0, "fraction").is_ok());
        assert_eq!(
            unit_interval("d", 1.5, "mole fraction").unwrap_err().1,
            "expected a mole fraction in [0, 1], found 1.5"
        );
    }
}
