//! Material functions: constants, tables with linear interpolation, closed forms, and Arrhenius
//! temperature scaling. Every function returns its value and its derivative with respect to its
//! argument, so the model's Jacobian is analytic.

use crate::constants::GAS_CONSTANT;
use crate::range::Range;

/// A tabulated function `y(x)` with strictly increasing abscissae, linearly interpolated and
/// clamped (constant) outside the table.
#[derive(Debug, Clone, PartialEq)]
pub struct Table1D {
    x: Vec<f64>,
    y: Vec<f64>,
    /// `1/Δx` when the abscissae are uniformly spaced (to 1e-9 relative), for a direct index
    /// computation instead of a binary search; 0 otherwise.
    inv_uniform_step: f64,
    /// The slope of each interval, `(y_{k+1} − y_k)/(x_{k+1} − x_k)`, computed once: `eval`
    /// runs in every residual of every cell, and the division was most of its time.
    slope: Vec<f64>,
    /// Where the table came from (file name or built-in set), for messages and provenance.
    pub source: String,
}

/// Why a table could not be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TableError {
    /// Fewer than two points.
    #[error("a table needs at least two points, found {0}")]
    TooShort(usize),
    /// x and y of different lengths.
    #[error("x has {0} values but y has {1}")]
    LengthMismatch(usize, usize),
    /// A non-finite value.
    #[error("non-finite value at row {0}")]
    NotFinite(usize),
    /// Abscissae not strictly increasing.
    #[error("the first column must be strictly increasing, but row {row} ({x}) does not exceed the row before it ({prev})")]
    NotIncreasing {
        /// 1-based data row.
        row: usize,
        /// Value found.
        x: f64,
        /// Value of the previous row.
        prev: f64,
    },
}

impl Table1D {
    /// Builds a table, checking lengths, finiteness and strict monotonicity of `x`.
    pub fn new(x: Vec<f64>, y: Vec<f64>, source: impl Into<String>) -> Result<Self, TableError> {
        if x.len() != y.len() {
            return Err(TableError::LengthMismatch(x.len(), y.len()));
        }
        if x.len() < 2 {
            return Err(TableError::TooShort(x.len()));
        }
        for (i, (a, b)) in x.iter().zip(&y).enumerate() {
            if !a.is_finite() || !b.is_finite() {
                return Err(TableError::NotFinite(i + 1));
            }
        }
        for i in 1..x.len() {
            if x[i] <= x[i - 1] {
                return Err(TableError::NotIncreasing {
                    row: i + 1,
                    x: x[i],
                    prev: x[i - 1],
                });
            }
        }
        let n = x.len();
        let step = (x[n - 1] - x[0]) / (n - 1) as f64;
        let uniform = x
            .iter()
            .enumerate()
            .all(|(k, &xk)| (xk - (x[0] + k as f64 * step)).abs() <= 1e-9 * step);
        let slope = x
            .windows(2)
            .zip(y.windows(2))
            .map(|(x, y)| (y[1] - y[0]) / (x[1] - x[0]))
            .collect();
        Ok(Table1D {
            x,
            y,
            inv_uniform_step: if uniform { 1.0 / step } else { 0.0 },
            slope,
            source: source.into(),
        })
    }

    /// Abscissae.
    pub fn x(&self) -> &[f64] {
        &self.x
    }

    /// Ordinates.
    pub fn y(&self) -> &[f64] {
        &self.y
    }

    /// Value and slope at `x`; clamped outside the table (slope 0 there).
    pub fn eval(&self, x: f64) -> (f64, f64) {
        let n = self.x.len();
        if x <= self.x[0] {
            return (self.y[0], 0.0);
        }
        if x >= self.x[n - 1] {
            return (self.y[n - 1], 0.0);
        }
        // First index with self.x[k] > x; k in 1..n.
        let k = if self.inv_uniform_step > 0.0 {
            // Direct guess on a uniform grid, corrected for rounding at the nodes.
            let mut k = (((x - self.x[0]) * self.inv_uniform_step) as usize + 1).clamp(1, n - 1);
            while k > 1 && self.x[k - 1] > x {
                k -= 1;
            }
            while k < n - 1 && self.x[k] <= x {
                k += 1;
            }
            k
        } else {
            self.x.partition_point(|&xi| xi <= x)
        };
        let slope = self.slope[k - 1];
        (self.y[k - 1] + slope * (x - self.x[k - 1]), slope)
    }
}

/// A scalar material function of one argument (stoichiometry, concentration, …).
#[derive(Debug, Clone, PartialEq)]
pub enum MaterialFunction {
    /// A constant value.
    Constant(f64),
    /// Linear interpolation in a table, clamped at the ends.
    Table(Table1D),
    /// A polynomial `Σ c_k x^k` (coefficients in increasing power).
    Polynomial(Vec<f64>),
}

impl MaterialFunction {
    /// Value and derivative with respect to the argument.
    pub fn eval(&self, x: f64) -> (f64, f64) {
        match self {
            MaterialFunction::Constant(v) => (*v, 0.0),
            MaterialFunction::Table(t) => t.eval(x),
            MaterialFunction::Polynomial(c) => {
                // Horner for value and derivative together.
                let mut v = 0.0;
                let mut d = 0.0;
                for &ck in c.iter().rev() {
                    d = d * x + v;
                    v = v * x + ck;
                }
                (v, d)
            }
        }
    }

    /// Whether the function is a constant.
    pub fn is_constant(&self) -> bool {
        matches!(self, MaterialFunction::Constant(_))
    }

    /// The first argument in `domain` (`[lo, hi]`) at which the function's value leaves
    /// `range`, with that value; `None` if it stays inside. A constant is its value; a table is
    /// checked at its points inside the domain and at the domain's ends (it is linear between
    /// points and constant beyond them); a polynomial at 1001 evenly spaced points of the
    /// domain.
    pub fn value_outside(&self, domain: (f64, f64), range: &Range) -> Option<(f64, f64)> {
        let (lo, hi) = domain;
        let outside = |x: f64, v: f64| (!range.contains(v)).then_some((x, v));
        match self {
            MaterialFunction::Constant(v) => outside(lo, *v),
            MaterialFunction::Table(t) => std::iter::once((lo, t.eval(lo).0))
                .chain(
                    t.x()
                        .iter()
                        .zip(t.y())
                        .filter(|(x, _)| (lo..=hi).contains(*x))
                        .map(|(&x, &y)| (x, y)),
                )
                .chain(std::iter::once((hi, t.eval(hi).0)))
                .find_map(|(x, v)| outside(x, v)),
            MaterialFunction::Polynomial(_) => {
                const POINTS: usize = 1001;
                (0..POINTS).find_map(|k| {
                    let x = lo + (hi - lo) * k as f64 / (POINTS - 1) as f64;
                    outside(x, self.eval(x).0)
                })
            }
        }
    }
}

/// Arrhenius temperature dependence `p(T) = p_ref · exp(−E_a/R · (1/T − 1/T_ref))`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Arrhenius {
    /// Activation energy E_a \[J/mol\]; zero means no temperature dependence.
    /// Accepted range: 0 to 3e5 J/mol.
    pub activation_energy_j_mol: f64,
    /// Temperature at which the reference value holds, T_ref \[K\]. Accepted range: 200 to 500 K.
    pub reference_temperature_k: f64,
}

impl Arrhenius {
    /// No temperature dependence.
    pub const NONE: Arrhenius = Arrhenius {
        activation_energy_j_mol: 0.0,
        reference_temperature_k: 298.15,
    };

    /// The factor `exp(−E_a/R · (1/T − 1/T_ref))` \[-\] at temperature `t_k` \[K\].
    pub fn factor(&self, t_k: f64) -> f64 {
        if self.activation_energy_j_mol == 0.0 {
            return 1.0;
        }
        (-self.activation_energy_j_mol / GAS_CONSTANT
            * (1.0 / t_k - 1.0 / self.reference_temperature_k))
            .exp()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_interpolates_and_clamps() {
        let t = Table1D::new(vec![0.0, 1.0, 3.0], vec![1.0, 3.0, 7.0], "t").unwrap();
        assert_eq!(t.eval(0.5), (2.0, 2.0));
        assert_eq!(t.eval(2.0), (5.0, 2.0));
        assert_eq!(t.eval(-1.0), (1.0, 0.0));
        assert_eq!(t.eval(4.0), (7.0, 0.0));
        assert_eq!(t.eval(1.0).0, 3.0);
    }

    #[test]
    fn uniform_and_general_tables_agree() {
        let xs: Vec<f64> = (0..=400).map(|k| k as f64 * 0.0025).collect();
        let ys: Vec<f64> = xs.iter().map(|x| (3.0 * x).sin()).collect();
        let uniform = Table1D::new(xs.clone(), ys.clone(), "u").unwrap();
        let mut general = uniform.clone();
        general.inv_uniform_step = 0.0;
        assert!(uniform.inv_uniform_step > 0.0);
        for k in 0..=4000 {
            let x = -0.01 + k as f64 * 1.02 / 4000.0;
            assert_eq!(uniform.eval(x), general.eval(x), "at x = {x}");
        }
        for &x in &xs {
            assert_eq!(uniform.eval(x), general.eval(x), "at node {x}");
        }
    }

    #[test]
    fn table_rejects_non_monotone() {
        let e = Table1D::new(vec![0.0, 1.0, 1.0], vec![0.0; 3], "t").unwrap_err();
        assert!(matches!(e, TableError::NotIncreasing { row: 3, .. }));
    }

    #[test]
    fn polynomial_value_and_derivative() {
        let p = MaterialFunction::Polynomial(vec![1.0, 2.0, 3.0]);
        let (v, d) = p.eval(2.0);
        assert_eq!(v, 1.0 + 4.0 + 12.0);
        assert_eq!(d, 2.0 + 12.0);
    }

    #[test]
    fn values_outside_a_range_are_found() {
        let r = Range::closed(0.0, 10.0, "V");
        let p = MaterialFunction::Polynomial(vec![4.0, -2.0]);
        assert_eq!(p.value_outside((0.0, 1.0), &r), None);
        let (x, v) = p.value_outside((0.0, 3.0), &r).unwrap();
        assert!((x - 2.001).abs() < 1e-12 && v < 0.0, "{x} {v}");
        let huge = MaterialFunction::Polynomial(vec![1e308, 1e308]);
        assert_eq!(huge.value_outside((0.0, 1.0), &r), Some((0.0, 1e308)));
        let t = Table1D::new(vec![0.0, 0.5, 2.0], vec![1.0, 20.0, -1.0], "t").unwrap();
        let t = MaterialFunction::Table(t);
        assert_eq!(t.value_outside((0.0, 1.0), &r), Some((0.5, 20.0)));
        let t2 = Table1D::new(vec![0.0, 1.0, 2.0], vec![1.0, 2.0, -1.0], "t").unwrap();
        // The point at x = 2 is outside the domain and never used.
        assert_eq!(
            MaterialFunction::Table(t2).value_outside((0.0, 1.0), &r),
            None
        );
        assert!(MaterialFunction::Constant(f64::NAN)
            .value_outside((0.0, 1.0), &r)
            .is_some());
    }

    #[test]
    fn arrhenius_is_one_at_reference() {
        let a = Arrhenius {
            activation_energy_j_mol: 30e3,
            reference_temperature_k: 300.0,
        };
        assert!((a.factor(300.0) - 1.0).abs() < 1e-15);
        assert!(a.factor(330.0) > 1.0);
    }
}
