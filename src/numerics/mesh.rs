//! Uniform finite-volume meshes in x (through-cell) and r (spherical particles).

/// Numbers of finite-volume cells in each domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeshSettings {
    /// Cells across the composite cathode (x).
    pub positive_x_cells: usize,
    /// Cells across the separator (x).
    pub separator_x_cells: usize,
    /// Cells along the particle radius (r), one particle per cathode cell.
    pub particle_r_cells: usize,
}

impl Default for MeshSettings {
    /// The project's default mesh: 20 / 10 / 20 (cathode x / separator x / particle r).
    fn default() -> Self {
        MeshSettings {
            positive_x_cells: 20,
            separator_x_cells: 10,
            particle_r_cells: 20,
        }
    }
}

/// A uniform finite-volume discretisation of a sphere of radius `radius` with `n` shells.
///
/// Shell k spans `[k h, (k+1) h]`, `h = R/n`. Volumes and face areas are divided by 4π, so the
/// shell volume is `((k+1)³ − k³) h³ / 3` and the face area at `r = k h` is `(k h)²`.
#[derive(Debug, Clone, PartialEq)]
pub struct SphereMesh {
    /// Particle radius R \[m\].
    pub radius: f64,
    /// Shell width h \[m\].
    pub h: f64,
    /// Shell volumes / 4π \[m³\].
    pub volume: Vec<f64>,
    /// Face areas / 4π at `r = k h`, k = 0..=n \[m²\].
    pub face_area: Vec<f64>,
}

impl SphereMesh {
    /// Builds the mesh of `n ≥ 1` shells.
    pub fn new(radius: f64, n: usize) -> Self {
        let h = radius / n as f64;
        let volume = (0..n)
            .map(|k| {
                let (a, b) = (k as f64 * h, (k + 1) as f64 * h);
                (b * b * b - a * a * a) / 3.0
            })
            .collect();
        let face_area = (0..=n).map(|k| (k as f64 * h).powi(2)).collect();
        SphereMesh {
            radius,
            h,
            volume,
            face_area,
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_volumes_sum_to_sphere() {
        let m = SphereMesh::new(2e-6, 17);
        let s: f64 = m.volume.iter().sum();
        assert!((s / m.total_volume() - 1.0).abs() < 1e-13);
        assert_eq!(m.face_area[0], 0.0);
        assert!((m.face_area[17] - 4e-12).abs() < 1e-25);
    }
}
