//! Finite-volume meshes: uniform in x (through-cell); uniform or refined toward the surface in
//! r (spherical particles).

/// Numbers of finite-volume cells in each domain. The accepted ranges
/// ([`MeshSettings::validate`], `crate::range`) bound the model's size by what a
/// machine can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeshSettings {
    /// Cells across the composite cathode (x), 1 to 1000.
    pub positive_x_cells: usize,
    /// Cells across the separator (x), 1 to 1000.
    pub separator_x_cells: usize,
    /// Cells along the particle radius (r), one particle per cathode cell, 2 to 1000 (the
    /// surface reconstruction uses the two outermost shells).
    pub particle_r_cells: usize,
    /// How many times thinner the outermost particle shell is than a uniform one (1: uniform
    /// shells), 1 to 1000; the widths grow geometrically inward (see [`SphereMesh::refined`]).
    pub particle_surface_refinement: usize,
}

impl MeshSettings {
    /// The most unknowns the model can have on this mesh, with every optional unknown
    /// (binary electrolyte, MSMR, grain boundaries, degradation states):
    /// `np (nr + 5) + 2 ns + 14` (see `crate::physics::p2d::Layout`), saturating.
    pub fn max_unknowns(&self) -> u64 {
        let n = |c: usize| u64::try_from(c).unwrap_or(u64::MAX);
        let (np, ns, nr) = (
            n(self.positive_x_cells),
            n(self.separator_x_cells),
            n(self.particle_r_cells),
        );
        np.saturating_mul(nr.saturating_add(5))
            .saturating_add(ns.saturating_mul(2))
            .saturating_add(14)
    }

    /// Checks every count against its accepted range (`crate::range`: 1 to 1000 cells
    /// in x, 2 to 1000 in r, a refinement of 1 to 1000) and the model's size against
    /// [`crate::range::UNKNOWNS`]; returns (key, message) of the first violation.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        use crate::range::{R_CELLS, SURFACE_REFINEMENT, UNKNOWNS, X_CELLS};
        for (key, n, range) in [
            ("positive_x_cells", self.positive_x_cells, &X_CELLS),
            ("separator_x_cells", self.separator_x_cells, &X_CELLS),
            ("particle_r_cells", self.particle_r_cells, &R_CELLS),
            (
                "particle_surface_refinement",
                self.particle_surface_refinement,
                &SURFACE_REFINEMENT,
            ),
        ] {
            range.check_usize(n).map_err(|m| (key, m.to_string()))?;
        }
        let unknowns = self.max_unknowns();
        UNKNOWNS.check_value(unknowns).map_err(|m| {
            (
                "positive_x_cells",
                format!(
                    "positive_x_cells × (particle_r_cells + 5) + 2 separator_x_cells + 14 = {} × {} + {} + 14 = {unknowns} unknowns; {m}",
                    self.positive_x_cells,
                    self.particle_r_cells + 5,
                    2 * self.separator_x_cells
                ),
            )
        })
    }
}

impl Default for MeshSettings {
    /// The project's default mesh: 20 / 10 / 20 (cathode x / separator x / particle r).
    fn default() -> Self {
        MeshSettings {
            positive_x_cells: 20,
            separator_x_cells: 10,
            particle_r_cells: 20,
            particle_surface_refinement: 1,
        }
    }
}

/// A finite-volume discretisation of a sphere of radius `radius` with `n` shells, uniform or
/// refined toward the surface.
///
/// Shell k spans `[r_k, r_{k+1}]` (r_0 = 0, r_n = R). Uniform: `r_k = k R/n`. Refined by a
/// factor m ≥ 1: the widths grow geometrically from the surface inward, `w_k = w_{n−1}
/// q^{n−1−k}`, with the outermost shell m times thinner than a uniform one, `w_{n−1} = R/(n m)`,
/// and q ≥ 1 from `Σ w_k = R`. Fine shells at the surface carry the steep concentration
/// gradients of fast transients (the impedance at Hz–kHz sees a diffusion length of nanometres);
/// coarse ones inside carry the slow ones. Volumes and face areas are divided by 4π: the shell
/// volume is `(r_{k+1}³ − r_k³)/3` and the face area at `r_k` is `r_k²`.
#[derive(Debug, Clone, PartialEq)]
pub struct SphereMesh {
    /// Particle radius R \[m\].
    pub radius: f64,
    /// Face radii r_k, k = 0..=n \[m\].
    pub faces: Vec<f64>,
    /// Shell volumes / 4π \[m³\].
    pub volume: Vec<f64>,
    /// Face areas / 4π at `r = r_k`, k = 0..=n \[m²\].
    pub face_area: Vec<f64>,
    /// Distance between the midpoints of shells k − 1 and k, the length of the flux through
    /// face k, k = 1..n (entries 0 and n are the shell half widths) \[m\].
    pub face_distance: Vec<f64>,
}

impl SphereMesh {
    /// Builds the uniform mesh of `n ≥ 1` shells.
    pub fn new(radius: f64, n: usize) -> Self {
        Self::refined(radius, n, 1)
    }

    /// Builds the mesh of `n ≥ 1` shells whose outermost shell is `refinement` (≥ 1) times
    /// thinner than a uniform one, the widths growing geometrically inward.
    pub fn refined(radius: f64, n: usize, refinement: usize) -> Self {
        let n = n.max(1);
        let m = refinement.max(1) as f64;
        let q = geometric_ratio(n, m);
        // Widths from the surface inward, then faces from the centre outward.
        let w_last = radius / (n as f64 * m);
        let mut widths: Vec<f64> = (0..n).map(|i| w_last * q.powi(i as i32)).collect();
        widths.reverse();
        let total: f64 = widths.iter().sum();
        let mut faces = Vec::with_capacity(n + 1);
        let mut r = 0.0;
        faces.push(0.0);
        for w in &widths {
            r += w * radius / total;
            faces.push(r);
        }
        faces[n] = radius;
        let volume = faces
            .windows(2)
            .map(|f| (f[1].powi(3) - f[0].powi(3)) / 3.0)
            .collect();
        let face_area = faces.iter().map(|r| r * r).collect();
        let half = |k: usize| 0.5 * (faces[k + 1] - faces[k]);
        let face_distance = (0..=n)
            .map(|k| match k {
                0 => half(0),
                k if k == n => half(n - 1),
                k => half(k - 1) + half(k),
            })
            .collect();
        SphereMesh {
            radius,
            faces,
            volume,
            face_area,
            face_distance,
        }
    }

    /// Weights (α, β) of the surface value of a quadratic profile θ(s) = θ_R − g s + c s² in the
    /// distance from the surface s, fixed by the averages of the two outermost shells (widths a
    /// outer, b inner) and the surface gradient g = ∂θ/∂r at R:
    /// `θ_R = θ_{n−1} + α (θ_{n−1} − θ_{n−2}) + β g` with `α = a²/((2a + b)(a + b))` and
    /// `β = a (a + b)/(2 (2a + b))` \[m\]; uniform shells (a = b = h) give α = 1/6, β = h/3.
    /// (Planar averages: the curvature of the outer shells is neglected.)
    pub fn surface_weights(&self) -> (f64, f64) {
        let n = self.volume.len();
        let a = self.width(n - 1);
        let b = if n >= 2 { self.width(n - 2) } else { a };
        (
            a * a / ((2.0 * a + b) * (a + b)),
            a * (a + b) / (2.0 * (2.0 * a + b)),
        )
    }

    /// Shell averages on this mesh of the piecewise-constant profile with shell averages
    /// `values` on `from` (same radius): each new shell takes the volume-weighted mean of the
    /// old shells it overlaps, so the particle's content `Σ V_k θ_k` is kept to rounding.
    pub fn remap_from(&self, from: &SphereMesh, values: &[f64]) -> Vec<f64> {
        let cube = |r: f64| r * r * r / 3.0;
        (0..self.len())
            .map(|k| {
                let (a, b) = (self.faces[k], self.faces[k + 1]);
                let mut sum = 0.0;
                for (j, v) in values.iter().enumerate() {
                    let (lo, hi) = (from.faces[j].max(a), from.faces[j + 1].min(b));
                    if hi > lo {
                        sum += v * (cube(hi) - cube(lo));
                    }
                }
                sum / self.volume[k]
            })
            .collect()
    }

    /// Width of shell k \[m\].
    pub fn width(&self, k: usize) -> f64 {
        self.faces[k + 1] - self.faces[k]
    }

    /// Number of shells.
    pub fn len(&self) -> usize {
        self.volume.len()
    }

    /// Whether the mesh has no shells.
    pub fn is_empty(&self) -> bool {
        self.volume.is_empty()
    }

    /// Total volume / 4π = R³/3 \[m³\].
    pub fn total_volume(&self) -> f64 {
        self.radius.powi(3) / 3.0
    }
}

/// The ratio q ≥ 1 of a geometric series of n terms whose sum is n m times its smallest term:
/// `(q^n − 1)/(q − 1) = n m` (q = 1 for m = 1), by bisection.
fn geometric_ratio(n: usize, m: f64) -> f64 {
    if n < 2 || m <= 1.0 {
        return 1.0;
    }
    let target = n as f64 * m;
    let sum = |q: f64| (0..n).map(|i| q.powi(i as i32)).sum::<f64>();
    let (mut lo, mut hi) = (1.0, 2.0);
    while sum(hi) < target {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if sum(mid) < target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mesh_settings_are_bounded() {
        assert!(MeshSettings::default().validate().is_ok());
        assert_eq!(MeshSettings::default().max_unknowns(), 20 * 25 + 20 + 14);
        let huge = MeshSettings {
            positive_x_cells: usize::MAX,
            ..MeshSettings::default()
        };
        assert_eq!(huge.validate().unwrap_err().0, "positive_x_cells");
        let big = MeshSettings {
            positive_x_cells: 1000,
            particle_r_cells: 1000,
            ..MeshSettings::default()
        };
        let (key, message) = big.validate().unwrap_err();
        assert_eq!(key, "positive_x_cells");
        assert!(message.contains("1005034 unknowns"), "{message}");
        let one_shell = MeshSettings {
            particle_r_cells: 1,
            ..MeshSettings::default()
        };
        assert!(one_shell
            .validate()
            .unwrap_err()
            .1
            .contains("at least 2 cells"));
    }

    #[test]
    fn shell_volumes_sum_to_sphere() {
        let m = SphereMesh::new(2e-6, 17);
        let s: f64 = m.volume.iter().sum();
        assert!((s / m.total_volume() - 1.0).abs() < 1e-13);
        assert_eq!(m.face_area[0], 0.0);
        assert!((m.face_area[17] - 4e-12).abs() < 1e-25);
        assert!((m.width(3) - 2e-6 / 17.0).abs() < 1e-18);
    }

    #[test]
    fn a_refined_mesh_has_thin_shells_at_the_surface() {
        let (r, n, refinement) = (7.5e-7, 20, 10);
        let m = SphereMesh::refined(r, n, refinement);
        let s: f64 = m.volume.iter().sum();
        assert!((s / m.total_volume() - 1.0).abs() < 1e-13);
        assert_eq!(m.faces[n], r);
        // The outermost shell is `refinement` times thinner than a uniform one ...
        let uniform = r / n as f64;
        assert!((m.width(n - 1) * refinement as f64 / uniform - 1.0).abs() < 1e-9);
        // ... and the widths grow by one ratio inward.
        let q = m.width(n - 2) / m.width(n - 1);
        assert!(q > 1.1);
        for k in 1..n {
            assert!((m.width(k - 1) / m.width(k) / q - 1.0).abs() < 1e-9);
        }
        // Flux lengths: midpoint to midpoint.
        let mid = |k: usize| 0.5 * (m.faces[k] + m.faces[k + 1]);
        assert!((m.face_distance[5] - (mid(5) - mid(4))).abs() < 1e-18);
        // A profile moved onto it keeps the particle's content.
        let uniform_mesh = SphereMesh::new(r, n);
        let profile: Vec<f64> = (0..n).map(|k| 0.3 + 0.02 * k as f64).collect();
        let moved = m.remap_from(&uniform_mesh, &profile);
        let content = |mesh: &SphereMesh, v: &[f64]| -> f64 {
            mesh.volume.iter().zip(v).map(|(a, b)| a * b).sum()
        };
        let (before, after) = (content(&uniform_mesh, &profile), content(&m, &moved));
        assert!((after / before - 1.0).abs() < 1e-13, "{before} {after}");
        assert!((moved[n - 1] - profile[n - 1]).abs() < 1e-12);
        // Refinement 1 is the uniform mesh.
        assert_eq!(SphereMesh::refined(r, n, 1), SphereMesh::new(r, n));
    }
}
