//! Impedance spectra as CSV: `<dir>/impedance.csv` with the columns `cycle, frequency_Hz,
//! z_re_ohm, z_im_ohm` (the cycle after which the spectrum was taken, 0 for the initial state;
//! Z = Z' + i Z'', capacitive arcs with Z'' < 0), one row per frequency, spectra in cycle order.
//!
//! [`ImpedanceCsv`] streams: each spectrum is appended in one write and handed to the
//! operating system at once, so the file holds a header and whole spectra after every one (a
//! run that stops keeps every spectrum taken; should a kill cut a write short, the cut line is
//! dropped when the run is resumed, as are spectra of cycles after its checkpoint).
//! [`write_impedance`] writes a single spectrum as a whole file (under a temporary name, then
//! renamed, so the file is either whole or absent).

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use faer::c64;

use super::timeseries_csv::push_number;

/// File name of the impedance spectra.
pub const IMPEDANCE_FILE: &str = "impedance.csv";

/// The header row.
pub const IMPEDANCE_HEADER: &str = "cycle,frequency_Hz,z_re_ohm,z_im_ohm";

/// One spectrum as read back from an `impedance.csv`: the cycle, and per frequency
/// (f \[Hz\], Z' \[Ω\], Z'' \[Ω\]).
pub type SpectrumRows = (usize, Vec<(f64, f64, f64)>);

/// Appends spectra to an `impedance.csv`.
#[derive(Debug)]
pub struct ImpedanceCsv {
    path: PathBuf,
    file: File,
    /// Bytes of whole lines in the file.
    written_bytes: u64,
    /// Spectra written (resumed ones included).
    spectra: usize,
    /// The text of the spectrum being written (kept to reuse its allocation).
    text: String,
}

impl ImpedanceCsv {
    /// Starts `<dir>/impedance.csv` (replacing one left by an earlier run) with its header row.
    /// `dir` must exist.
    pub fn create(dir: &Path) -> io::Result<Self> {
        Self::create_at(&dir.join(IMPEDANCE_FILE))
    }

    /// Starts the file at `path` with its header row.
    fn create_at(path: &Path) -> io::Result<Self> {
        let mut file = File::create(path)?;
        let header = format!("{IMPEDANCE_HEADER}\n");
        file.write_all(header.as_bytes())?;
        file.flush()?;
        Ok(ImpedanceCsv {
            path: path.to_path_buf(),
            file,
            written_bytes: header.len() as u64,
            spectra: 0,
            text: String::new(),
        })
    }

    /// Takes up `<dir>/impedance.csv` of an interrupted run after `cycles_done` cycles: rows of
    /// later cycles (and a line cut short) are dropped, new spectra appended. Returns the kept
    /// spectra too. A missing file is started afresh (the run took no spectrum before its
    /// checkpoint).
    pub fn resume(dir: &Path, cycles_done: usize) -> io::Result<(Self, Vec<SpectrumRows>)> {
        let path = dir.join(IMPEDANCE_FILE);
        if !path.exists() {
            return Ok((Self::create(dir)?, Vec::new()));
        }
        let mut spectra: Vec<SpectrumRows> = Vec::new();
        let (kept, _) = super::resume::rows_up_to_cycle(&path, 0, cycles_done, |row| {
            let cycle = row.count(0)?;
            let point = (row.number(1)?, row.number(2)?, row.number(3)?);
            match spectra.last_mut() {
                Some((c, points)) if *c == cycle => points.push(point),
                _ => spectra.push((cycle, vec![point])),
            }
            Ok(())
        })?;
        let tmp = dir.join(format!("{IMPEDANCE_FILE}.resume"));
        std::fs::write(&tmp, &kept)?;
        std::fs::rename(&tmp, &path)?;
        let file = std::fs::OpenOptions::new().append(true).open(&path)?;
        Ok((
            ImpedanceCsv {
                path,
                file,
                written_bytes: kept.len() as u64,
                spectra: spectra.len(),
                text: String::new(),
            },
            spectra,
        ))
    }

    /// The file written to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Spectra in the file.
    pub fn spectra(&self) -> usize {
        self.spectra
    }

    /// Appends the spectrum `z` \[Ω\] at `frequencies_hz` \[Hz\] taken at cycle `cycle` (0: the
    /// initial state), in one write, and hands it to the operating system. On a failed write
    /// the file is cut back to its last whole spectrum.
    pub fn write_spectrum(
        &mut self,
        cycle: usize,
        frequencies_hz: &[f64],
        z: &[c64],
    ) -> io::Result<()> {
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
        let text = &mut self.text;
        text.clear();
        let cycle = cycle.to_string();
        for (&f, zf) in frequencies_hz.iter().zip(z) {
            text.push_str(&cycle);
            for v in [f, zf.re, zf.im] {
                text.push(',');
                push_number(text, v);
            }
            text.push('\n');
        }
        if let Err(e) = self
            .file
            .write_all(self.text.as_bytes())
            .and_then(|()| self.file.flush())
        {
            let _ = self.file.set_len(self.written_bytes);
            return Err(e);
        }
        self.written_bytes += self.text.len() as u64;
        self.spectra += 1;
        Ok(())
    }

    /// Ends the file: forces it to the disk and returns its path.
    pub fn finish(self) -> io::Result<PathBuf> {
        self.file.sync_all()?;
        Ok(self.path)
    }
}

/// Writes `<dir>/impedance.csv` with the single spectrum `z` \[Ω\] at `frequencies_hz`
/// \[Hz\], taken after `cycle` cycles (0: the initial state), as a whole file. `dir` must
/// exist. Returns the path.
pub fn write_impedance(
    dir: &Path,
    cycle: usize,
    frequencies_hz: &[f64],
    z: &[c64],
) -> io::Result<PathBuf> {
    let path = dir.join(IMPEDANCE_FILE);
    let tmp = dir.join(format!("{IMPEDANCE_FILE}.partial"));
    let mut csv = ImpedanceCsv::create_at(&tmp)?;
    let written = csv
        .write_spectrum(cycle, frequencies_hz, z)
        .and_then(|()| csv.finish());
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
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
        assert!(!dir.path().join("impedance.csv.partial").exists());
    }

    #[test]
    fn spectra_stream_and_resume_keeps_the_checkpointed_cycles() {
        let dir = tempfile::tempdir().unwrap();
        let mut csv = ImpedanceCsv::create(dir.path()).unwrap();
        let f = [1.0, 10.0];
        for cycle in [5, 10, 15] {
            let z = [c64::new(cycle as f64, -1.0), c64::new(2.0, -0.5)];
            csv.write_spectrum(cycle, &f, &z).unwrap();
            // Whole spectra on disk after each one.
            let text = std::fs::read_to_string(dir.path().join(IMPEDANCE_FILE)).unwrap();
            assert_eq!(text.lines().count(), 1 + 2 * csv.spectra());
        }
        assert!(csv.write_spectrum(20, &f, &[]).is_err());
        drop(csv);
        // A kill may cut the last line short.
        let path = dir.path().join(IMPEDANCE_FILE);
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("20,1,3");
        std::fs::write(&path, &text).unwrap();
        let (mut csv, kept) = ImpedanceCsv::resume(dir.path(), 12).unwrap();
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[1], (10, vec![(1.0, 10.0, -1.0), (10.0, 2.0, -0.5)]));
        assert_eq!(csv.spectra(), 2);
        csv.write_spectrum(15, &f, &[c64::new(15.0, -1.0), c64::new(2.0, -0.5)])
            .unwrap();
        csv.finish().unwrap();
        let resumed = std::fs::read_to_string(&path).unwrap();
        assert_eq!(resumed, text.strip_suffix("20,1,3").unwrap());
        // No file yet: started afresh.
        let empty = tempfile::tempdir().unwrap();
        let (csv, kept) = ImpedanceCsv::resume(empty.path(), 50).unwrap();
        assert!(kept.is_empty());
        assert_eq!(
            std::fs::read_to_string(csv.finish().unwrap()).unwrap(),
            format!("{IMPEDANCE_HEADER}\n")
        );
    }
}
