//! An impedance spectrum as CSV: `<dir>/impedance.csv` with the columns `cycle, frequency_Hz,
//! z_re_ohm, z_im_ohm` (the cycle after which the spectrum was taken, 0 for the initial state;
//! Z = Z' + i Z'', capacitive arcs with Z'' < 0). Written to a temporary file and renamed, so
//! the file is either whole or absent.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use faer::c64;

use super::timeseries_csv::push_number;

/// File name of the impedance spectra.
pub const IMPEDANCE_FILE: &str = "impedance.csv";

/// The header row.
pub const IMPEDANCE_HEADER: &str = "cycle,frequency_Hz,z_re_ohm,z_im_ohm";

/// Writes `<dir>/impedance.csv` with the spectrum `z` at `frequencies_hz`, taken after `cycle`
/// cycles (0: the initial state). `dir` must exist. Returns the path.
pub fn write_impedance(
    dir: &Path,
    cycle: usize,
    frequencies_hz: &[f64],
    z: &[c64],
) -> io::Result<PathBuf> {
    if frequencies_hz.len() != z.len() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{} frequencies but {} impedance values",
                frequencies_hz.len(),
                z.len()
            ),
        ));
    }
    let mut text = String::with_capacity(64 * (z.len() + 1));
    text.push_str(IMPEDANCE_HEADER);
    text.push('\n');
    for (&f, zf) in frequencies_hz.iter().zip(z) {
        text.push_str(&cycle.to_string());
        for v in [f, zf.re, zf.im] {
            text.push(',');
            push_number(&mut text, v);
        }
        text.push('\n');
    }
    let path = dir.join(IMPEDANCE_FILE);
    let tmp = dir.join(format!("{IMPEDANCE_FILE}.partial"));
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spectrum_is_written_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_impedance(
            dir.path(),
            0,
            &[0.01, 1e6],
            &[c64::new(120.5, -30.25), c64::new(30.0, -0.5)],
        )
        .unwrap();
        let text = std::fs::read_to_string(path).unwrap();
        assert_eq!(
            text,
            "cycle,frequency_Hz,z_re_ohm,z_im_ohm\n0,0.01,120.5,-30.25\n0,1000000,30,-0.5\n"
        );
        assert!(write_impedance(dir.path(), 0, &[1.0], &[]).is_err());
    }
}
