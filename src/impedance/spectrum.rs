//! Impedance spectra: frequencies and complex impedances, validated, and read from CSV files.
//!
//! A spectrum file has a header row naming its columns, then one row per frequency. The
//! columns `frequency_Hz`, `z_re_ohm` and `z_im_ohm` (Z = Z' + iZ'', capacitive arcs with
//! Z'' < 0) are required, in any order; names are matched ignoring case. Other columns are
//! ignored, except `cycle`: when present, the file may hold one spectrum per cycle (as
//! `impedance.csv` written by [`crate::output::impedance_csv`]), and one is chosen by its
//! number. The file is read by [`crate::csv_table`]: blank lines and lines starting with `#`
//! are skipped, fields may be quoted (and then hold commas), blanks around fields are dropped,
//! and every row has as many fields as the header. Errors name the file, the 1-based line of
//! the file and the column.

use std::path::{Path, PathBuf};

use faer::c64;

use crate::csv_table::{CsvError, CsvFormat, CsvProblem, CsvReader};

/// The direction of a spectrum's frequencies, in the order the points are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrequencyOrder {
    /// From low to high frequency.
    Increasing,
    /// From high to low frequency (the usual order of measured files).
    Decreasing,
}

/// A validated impedance spectrum: positive, finite, strictly monotone frequencies (either
/// direction, kept in the order given) and finite impedances.
#[derive(Debug, Clone, PartialEq)]
pub struct Spectrum {
    /// Frequencies \[Hz\].
    pub frequency_hz: Vec<f64>,
    /// Impedances \[Ω\], Z = Z' + iZ''.
    pub z: Vec<c64>,
}

/// Why a spectrum is not valid or a spectrum file cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum SpectrumError {
    /// The file cannot be read.
    #[error("{}: cannot read the file: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error of the system.
        #[source]
        source: std::io::Error,
    },
    /// The file has no header row.
    #[error(
        "{}: no header row: expected the columns frequency_Hz, z_re_ohm, z_im_ohm",
        path.display()
    )]
    NoHeader {
        /// The file.
        path: PathBuf,
    },
    /// The file is not CSV as [`crate::csv_table`] reads it (quotes, field counts).
    #[error(transparent)]
    Csv(#[from] CsvError),
    /// A required column is missing from the header row.
    #[error(
        "{}, line {line}: missing column `{column}` in the header (found {})",
        path.display(),
        quoted(found)
    )]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The line of the header row.
        line: usize,
        /// The missing column.
        column: String,
        /// The columns found.
        found: Vec<String>,
    },
    /// A column name appears twice in the header row.
    #[error("{}, line {line}: column `{column}` appears twice in the header", path.display())]
    DuplicateColumn {
        /// The file.
        path: PathBuf,
        /// The line of the header row.
        line: usize,
        /// The column.
        column: String,
    },
    /// A field is missing, not a number or not finite.
    #[error(
        "{}, line {line}, column `{column}`: expected {expected}, found {}",
        path.display(),
        if found.is_empty() { "nothing".to_string() } else { format!("`{found}`") }
    )]
    Value {
        /// The file.
        path: PathBuf,
        /// The 1-based line.
        line: usize,
        /// The column's name.
        column: String,
        /// What was found (empty for a missing field).
        found: String,
        /// What was expected.
        expected: String,
    },
    /// The frequencies of a file are not positive, finite and strictly monotone.
    #[error("{}, {location}, column `frequency_Hz`: {problem}", path.display())]
    Frequency {
        /// The file.
        path: PathBuf,
        /// Where: `line N` of the file.
        location: String,
        /// What is wrong.
        problem: FrequencyProblem,
    },
    /// A file without data (or without data for the chosen cycle).
    #[error("{}: no data rows", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// Frequencies and impedances built in memory are not a spectrum ([`Spectrum::new`]).
    #[error(transparent)]
    Invalid(#[from] InvalidSpectrum),
    /// Most imaginary parts are positive: the column looks like −Z'' (as EC-Lab's `-Im(Z)`
    /// and many exports store it), which a fit would read as an inductive cell.
    #[error(
        "{}: the imaginary part is positive at {positive} of {total} points: the column `z_im_ohm` looks like −Z'' (capacitive arcs have Z'' < 0). If the file stores −Z'' (EC-Lab's -Im(Z), ZView's −Z''), pass --negated-imaginary; if it is Z'', the cell is inductive at most frequencies, which no battery spectrum is",
        path.display()
    )]
    LooksNegated {
        /// The file.
        path: PathBuf,
        /// Points with Z'' > 0.
        positive: usize,
        /// Points.
        total: usize,
    },
    /// No reader recognises the file.
    #[error(
        "{}: not an impedance file this program recognises{hint}: expected an asslb CSV (frequency_Hz, z_re_ohm, z_im_ohm), a BioLogic EC-Lab text export, a Gamry .DTA, a ZView .z, an Autolab/NOVA export or impedance.py's headerless 3-column CSV (or name one with --format)",
        path.display()
    )]
    UnknownFormat {
        /// The file.
        path: PathBuf,
        /// What its extension suggested (`` (a .DTA file needs a ZCURVE table)``), or empty.
        hint: String,
    },
    /// The file is of a known format but its layout is not as expected.
    #[error("{}{}: {problem}", path.display(), line.map(|l| format!(", line {l}")).unwrap_or_default())]
    Layout {
        /// The file.
        path: PathBuf,
        /// The 1-based line, where there is one.
        line: Option<usize>,
        /// What was expected and found.
        problem: String,
    },
    /// A format name that is not one of the readers'.
    #[error("unknown spectrum format `{name}` (known: {})", known.join(", "))]
    UnknownFormatName {
        /// The name given.
        name: String,
        /// The known names.
        known: Vec<String>,
    },
    /// The file holds the spectra of several cycles and none was chosen.
    #[error(
        "{}: the file holds the spectra of cycles {}: choose one",
        path.display(),
        cycle_list(cycles)
    )]
    SeveralCycles {
        /// The file.
        path: PathBuf,
        /// The cycles in the file.
        cycles: Vec<usize>,
    },
    /// The chosen cycle is not in the file (or the file has no `cycle` column).
    #[error("{}", no_such_cycle(path, *cycle, cycles))]
    NoSuchCycle {
        /// The file.
        path: PathBuf,
        /// The cycle asked for.
        cycle: usize,
        /// The cycles in the file (empty without a `cycle` column).
        cycles: Vec<usize>,
    },
}

/// Why frequencies and impedances built in memory are not a spectrum ([`Spectrum::check`]).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InvalidSpectrum {
    /// Different numbers of frequencies and impedances.
    #[error(
        "{frequencies} frequencies but {impedances} impedances: expected one impedance per frequency"
    )]
    LengthMismatch {
        /// The number of frequencies.
        frequencies: usize,
        /// The number of impedances.
        impedances: usize,
    },
    /// No points.
    #[error("the spectrum has no points")]
    Empty,
    /// The frequencies are not positive, finite and strictly monotone.
    #[error("point {point}: {problem}")]
    Frequency {
        /// The 1-based point.
        point: usize,
        /// What is wrong.
        problem: FrequencyProblem,
    },
    /// An impedance is not finite.
    #[error("point {point}: the impedance {value} is not finite")]
    Impedance {
        /// The 1-based point.
        point: usize,
        /// The value.
        value: c64,
    },
}

/// What is wrong with a spectrum's frequency at one point.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum FrequencyProblem {
    /// Not positive or not finite.
    #[error("expected a positive frequency, found {value}")]
    NotPositive {
        /// The frequency \[Hz\].
        value: f64,
    },
    /// Equal to the frequency before.
    #[error("the frequency {value} Hz is repeated from the row before")]
    Repeated {
        /// The frequency \[Hz\].
        value: f64,
    },
    /// The frequencies turn back here.
    #[error(
        "the frequencies must be strictly monotone: they were {}, but {} from {from} to {to} Hz here",
        order_words(*order).0,
        order_words(*order).1
    )]
    NotMonotone {
        /// The order of the frequencies before.
        order: FrequencyOrder,
        /// The frequency before \[Hz\].
        from: f64,
        /// The frequency here \[Hz\].
        to: f64,
    },
}

/// How the message of [`FrequencyProblem::NotMonotone`] says the order before and the turn.
fn order_words(order: FrequencyOrder) -> (&'static str, &'static str) {
    match order {
        FrequencyOrder::Increasing => ("increasing", "falls"),
        FrequencyOrder::Decreasing => ("decreasing", "rises"),
    }
}

fn cycle_list(cycles: &[usize]) -> String {
    cycles
        .iter()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `` `a`, `b` `` for the columns found.
fn quoted(columns: &[String]) -> String {
    columns
        .iter()
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The message of [`SpectrumError::NoSuchCycle`].
fn no_such_cycle(path: &std::path::Path, cycle: usize, cycles: &[usize]) -> String {
    if cycles.is_empty() {
        format!(
            "{}: cycle {cycle} was asked for but the file has no `cycle` column",
            path.display()
        )
    } else {
        format!(
            "{}: no spectrum of cycle {cycle} (the file holds cycles {})",
            path.display(),
            cycle_list(cycles)
        )
    }
}

/// Why frequencies are not a spectrum's: none, or a problem at a 0-based index.
enum FrequencyFault {
    Empty,
    At(usize, FrequencyProblem),
}

/// The order of the frequencies `f`, if they are positive, finite and strictly monotone.
fn frequency_order(f: &[f64]) -> Result<FrequencyOrder, FrequencyFault> {
    if f.is_empty() {
        return Err(FrequencyFault::Empty);
    }
    for (k, &value) in f.iter().enumerate() {
        if !(value.is_finite() && value > 0.0) {
            return Err(FrequencyFault::At(
                k,
                FrequencyProblem::NotPositive { value },
            ));
        }
    }
    let order = match f.get(1) {
        Some(&f1) if f1 < f[0] => FrequencyOrder::Decreasing,
        _ => FrequencyOrder::Increasing,
    };
    for k in 1..f.len() {
        if f[k] == f[k - 1] {
            return Err(FrequencyFault::At(
                k,
                FrequencyProblem::Repeated { value: f[k] },
            ));
        }
        let increasing = f[k] > f[k - 1];
        if increasing != (order == FrequencyOrder::Increasing) {
            return Err(FrequencyFault::At(
                k,
                FrequencyProblem::NotMonotone {
                    order,
                    from: f[k - 1],
                    to: f[k],
                },
            ));
        }
    }
    Ok(order)
}

/// Checks the frequencies of the file `path`; `location(k)` names point k in messages.
pub(super) fn check_frequencies(
    f: &[f64],
    path: &Path,
    location: &dyn Fn(usize) -> String,
) -> Result<FrequencyOrder, SpectrumError> {
    frequency_order(f).map_err(|fault| match fault {
        FrequencyFault::Empty => SpectrumError::Empty {
            path: path.to_path_buf(),
        },
        FrequencyFault::At(k, problem) => SpectrumError::Frequency {
            path: path.to_path_buf(),
            location: location(k),
            problem,
        },
    })
}

impl Spectrum {
    /// A spectrum from frequencies \[Hz\] and impedances \[Ω\], validated (see the type).
    pub fn new(frequency_hz: Vec<f64>, z: Vec<c64>) -> Result<Spectrum, SpectrumError> {
        Spectrum::check(&frequency_hz, &z)?;
        Ok(Spectrum { frequency_hz, z })
    }

    /// Whether frequencies \[Hz\] and impedances \[Ω\] are a valid spectrum (see the type):
    /// what [`Spectrum::new`] checks.
    pub fn check(frequency_hz: &[f64], z: &[c64]) -> Result<(), InvalidSpectrum> {
        if frequency_hz.len() != z.len() {
            return Err(InvalidSpectrum::LengthMismatch {
                frequencies: frequency_hz.len(),
                impedances: z.len(),
            });
        }
        frequency_order(frequency_hz).map_err(|fault| match fault {
            FrequencyFault::Empty => InvalidSpectrum::Empty,
            FrequencyFault::At(k, problem) => InvalidSpectrum::Frequency {
                point: k + 1,
                problem,
            },
        })?;
        if let Some((k, value)) = z
            .iter()
            .enumerate()
            .find(|(_, v)| !(v.re.is_finite() && v.im.is_finite()))
        {
            return Err(InvalidSpectrum::Impedance {
                point: k + 1,
                value: *value,
            });
        }
        Ok(())
    }

    /// The number of points.
    pub fn len(&self) -> usize {
        self.z.len()
    }

    /// Whether there are no points (never true for a validated spectrum).
    pub fn is_empty(&self) -> bool {
        self.z.is_empty()
    }

    /// The number of points with a positive imaginary part (inductive).
    pub fn inductive_points(&self) -> usize {
        self.z.iter().filter(|z| z.im > 0.0).count()
    }

    /// `Ok` unless more than half the points have Z'' > 0, which in a battery's spectrum means
    /// the file stores −Z'' ([`SpectrumError::LooksNegated`], naming `path`). A battery is
    /// capacitive over its arcs and its diffusion tail; only cable and winding inductance
    /// above some 10–100 kHz makes Z'' positive, a minority of a spectrum's points.
    pub fn check_capacitive(&self, path: &Path) -> Result<(), SpectrumError> {
        let positive = self.inductive_points();
        if 2 * positive > self.len() {
            return Err(SpectrumError::LooksNegated {
                path: path.to_path_buf(),
                positive,
                total: self.len(),
            });
        }
        Ok(())
    }

    /// The spectrum with every imaginary part negated: from a file that stores −Z''.
    pub fn negate_imaginary(mut self) -> Spectrum {
        for z in &mut self.z {
            z.im = -z.im;
        }
        self
    }

    /// The direction of the frequencies.
    pub fn order(&self) -> FrequencyOrder {
        match self.frequency_hz.as_slice() {
            [a, b, ..] if b < a => FrequencyOrder::Decreasing,
            _ => FrequencyOrder::Increasing,
        }
    }
}

/// One spectrum of a file: its cycle (None without a `cycle` column) and its points.
#[derive(Debug, Clone, PartialEq)]
pub struct FileSpectrum {
    /// The value of the `cycle` column, if the file has one.
    pub cycle: Option<usize>,
    /// The spectrum.
    pub spectrum: Spectrum,
}

/// Reads every spectrum of a CSV file (module documentation for the format): one per value of
/// the `cycle` column, in the order of their first row, or one if there is no such column.
pub fn read_spectra_csv(path: &Path) -> Result<Vec<FileSpectrum>, SpectrumError> {
    let (text, _) = super::text_file::read_text(path).map_err(|source| SpectrumError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    read_spectra_csv_text(&text, path)
}

/// [`read_spectra_csv`] of a file's text already decoded; `path` names the file in errors.
pub fn read_spectra_csv_text(text: &str, path: &Path) -> Result<Vec<FileSpectrum>, SpectrumError> {
    let mut reader =
        CsvReader::new(text, path, CsvFormat::default()).map_err(|e| match e.problem {
            CsvProblem::NoHeader => SpectrumError::NoHeader {
                path: path.to_path_buf(),
            },
            _ => SpectrumError::Csv(e),
        })?;
    let line = reader.header_line();
    let names = reader.header().to_vec();
    let keys: Vec<String> = names.iter().map(|n| n.to_ascii_lowercase()).collect();
    for (k, key) in keys.iter().enumerate() {
        if !key.is_empty() && keys[..k].contains(key) {
            return Err(SpectrumError::DuplicateColumn {
                path: path.to_path_buf(),
                line,
                column: names[k].clone(),
            });
        }
    }
    const REQUIRED: [&str; 3] = ["frequency_Hz", "z_re_ohm", "z_im_ohm"];
    let mut columns = [0usize; 3];
    for (slot, name) in columns.iter_mut().zip(REQUIRED) {
        *slot = keys
            .iter()
            .position(|k| *k == name.to_ascii_lowercase())
            .ok_or_else(|| SpectrumError::MissingColumn {
                path: path.to_path_buf(),
                line,
                column: name.to_string(),
                found: names.clone(),
            })?;
    }
    let cycle_column = keys.iter().position(|k| k == "cycle");
    // (cycle, frequencies, impedances, lines)
    type Group = (Option<usize>, Vec<f64>, Vec<c64>, Vec<usize>);
    let mut groups: Vec<Group> = Vec::new();
    for row in reader.by_ref() {
        let row = row?;
        let line = row.line;
        let field = |k: usize, expected: &str| -> Result<&str, SpectrumError> {
            match row.get(k) {
                Some(f) if !f.is_empty() => Ok(f),
                _ => Err(SpectrumError::Value {
                    path: path.to_path_buf(),
                    line,
                    column: names[k].clone(),
                    found: String::new(),
                    expected: expected.to_string(),
                }),
            }
        };
        let mut values = [0.0; 3];
        for (v, &k) in values.iter_mut().zip(&columns) {
            let text = field(k, "a finite number")?;
            *v = match text.parse::<f64>() {
                Ok(n) if n.is_finite() => n,
                _ => {
                    return Err(SpectrumError::Value {
                        path: path.to_path_buf(),
                        line,
                        column: names[k].clone(),
                        found: text.to_string(),
                        expected: "a finite number".to_string(),
                    })
                }
            };
        }
        let cycle = match cycle_column {
            None => None,
            Some(k) => {
                let text = field(k, "a cycle number (a whole number ≥ 0)")?;
                Some(text.parse::<usize>().map_err(|_| SpectrumError::Value {
                    path: path.to_path_buf(),
                    line,
                    column: names[k].clone(),
                    found: text.to_string(),
                    expected: "a cycle number (a whole number ≥ 0)".to_string(),
                })?)
            }
        };
        let group = match groups.iter().position(|g| g.0 == cycle) {
            Some(g) => g,
            None => {
                groups.push((cycle, Vec::new(), Vec::new(), Vec::new()));
                groups.len() - 1
            }
        };
        let g = &mut groups[group];
        g.1.push(values[0]);
        g.2.push(c64::new(values[1], values[2]));
        g.3.push(line);
    }
    if groups.is_empty() {
        return Err(SpectrumError::Empty {
            path: path.to_path_buf(),
        });
    }
    let mut out = Vec::with_capacity(groups.len());
    for (cycle, f, z, lines) in groups {
        check_frequencies(&f, path, &|k| format!("line {}", lines[k]))?;
        out.push(FileSpectrum {
            cycle,
            spectrum: Spectrum { frequency_hz: f, z },
        });
    }
    Ok(out)
}

/// Reads one spectrum from a CSV file (module documentation for the format). With a `cycle`
/// column, `cycle` chooses the spectrum; it may be None only when the file holds a single
/// cycle. Without a `cycle` column, `cycle` must be None.
pub fn read_spectrum_csv(path: &Path, cycle: Option<usize>) -> Result<Spectrum, SpectrumError> {
    let mut all = read_spectra_csv(path)?;
    let cycles: Vec<usize> = all.iter().filter_map(|s| s.cycle).collect();
    match cycle {
        None if all.len() == 1 => Ok(all.remove(0).spectrum),
        None => Err(SpectrumError::SeveralCycles {
            path: path.to_path_buf(),
            cycles,
        }),
        Some(c) => match all.into_iter().find(|s| s.cycle == Some(c)) {
            Some(s) => Ok(s.spectrum),
            None => Err(SpectrumError::NoSuchCycle {
                path: path.to_path_buf(),
                cycle: c,
                cycles,
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, text: &str) -> PathBuf {
        let path = dir.join("s.csv");
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn reads_any_column_order_with_extra_columns_and_comments() {
        let dir = tempfile::tempdir().unwrap();
        let texts = [
            "# measured\nZ_IM_OHM, note ,\"frequency_Hz\",z_re_ohm\n-1.5,a,1000,10\n\n-2.5,b,100,12\r\n",
            // Quoted fields and names, one holding a comma (part of the field, not a
            // delimiter: split at every comma, the note shifted each number one column on),
            // and a byte order mark.
            "\u{feff}# instrument: potentiostat, channel 3\n\"note, if any\",\"frequency_Hz\",z_re_ohm,\"z_im_ohm\"\n\"fresh, 25 °C\",1000,\"10\",-1.5\n\"\",100, 12 ,\"-2.5\"\n",
        ];
        for text in texts {
            let path = write(dir.path(), text);
            let s = read_spectrum_csv(&path, None).unwrap();
            assert_eq!(s.frequency_hz, vec![1000.0, 100.0]);
            assert_eq!(s.z, vec![c64::new(10.0, -1.5), c64::new(12.0, -2.5)]);
            assert_eq!(s.order(), FrequencyOrder::Decreasing);
            let e = read_spectrum_csv(&path, Some(1)).unwrap_err().to_string();
            assert!(e.contains("no `cycle` column"), "{e}");
        }
    }

    #[test]
    fn file_errors_name_the_file_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            (
                "frequency_Hz,z_re_ohm\n1,2\n",
                "line 1: missing column `z_im_ohm`",
            ),
            (
                "frequency_Hz,z_re_ohm,z_im_ohm\n1,2,3\n2,x,3\n",
                "line 3, column `z_re_ohm`: expected a finite number, found `x`",
            ),
            (
                "frequency_Hz,z_re_ohm,z_im_ohm\n1,2,3\n2,2,\n",
                "line 3, column `z_im_ohm`: expected a finite number, found nothing",
            ),
            (
                "frequency_Hz,z_re_ohm,z_im_ohm\n1,2,3\n2,2\n",
                "line 3: expected 3 fields as in the header row, found 2",
            ),
            (
                "# cell: 7\n\n# free comment\nfrequency_Hz,z_re_ohm,z_im_ohm\n1,2,3\n2,\"2,3\n",
                "line 6: a quoted field is not closed on its line",
            ),
            (
                "frequency_Hz,z_re_ohm,z_im_ohm\n1,2,inf\n",
                "line 2, column `z_im_ohm`",
            ),
            (
                "frequency_Hz,z_re_ohm,z_im_ohm\n1,2,3\n0,2,3\n",
                "line 3, column `frequency_Hz`: expected a positive frequency, found 0",
            ),
            (
                "frequency_Hz,z_re_ohm,z_im_ohm\n1,2,3\n1,2,3\n",
                "line 3, column `frequency_Hz`: the frequency 1 Hz is repeated",
            ),
            (
                "frequency_Hz,z_re_ohm,z_im_ohm\n1,2,3\n2,2,3\n1.5,2,3\n",
                "line 4, column `frequency_Hz`: the frequencies must be strictly monotone",
            ),
            (
                "frequency_Hz,z_re_ohm,z_im_ohm,frequency_hz\n",
                "column `frequency_hz` appears twice",
            ),
            ("# only a comment\n", "no header row"),
            ("frequency_Hz,z_re_ohm,z_im_ohm\n", "no data rows"),
            (
                "cycle,frequency_Hz,z_re_ohm,z_im_ohm\n1.5,1,2,3\n",
                "line 2, column `cycle`: expected a cycle number",
            ),
        ];
        for (text, expected) in cases {
            let path = write(dir.path(), text);
            let e = read_spectrum_csv(&path, None).unwrap_err().to_string();
            assert!(e.starts_with(&path.display().to_string()), "{e}");
            assert!(e.contains(expected), "{text:?}: {e}");
        }
        let e = read_spectrum_csv(&dir.path().join("absent.csv"), None).unwrap_err();
        assert!(matches!(e, SpectrumError::Io { .. }));
        assert!(e.to_string().contains("absent.csv"));
    }

    #[test]
    fn cycles_are_chosen() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "cycle,frequency_Hz,z_re_ohm,z_im_ohm\n0,10,1,-1\n0,1,2,-1\n5,10,3,-1\n5,1,4,-1\n",
        );
        let e = read_spectrum_csv(&path, None).unwrap_err().to_string();
        assert!(e.contains("cycles 0, 5: choose one"), "{e}");
        let s = read_spectrum_csv(&path, Some(5)).unwrap();
        assert_eq!(s.z[1], c64::new(4.0, -1.0));
        let e = read_spectrum_csv(&path, Some(2)).unwrap_err().to_string();
        assert!(e.contains("no spectrum of cycle 2"), "{e}");
        let all = read_spectra_csv(&path).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[1].cycle, Some(5));
    }

    #[test]
    fn spectra_in_memory_are_validated() {
        let z = vec![c64::new(1.0, 0.0); 3];
        assert!(Spectrum::new(vec![1.0, 2.0, 3.0], z.clone()).is_ok());
        let e = Spectrum::new(vec![1.0, -2.0, 3.0], z.clone()).unwrap_err();
        assert!(
            e.to_string().starts_with("point 2: expected a positive"),
            "{e}"
        );
        let e = Spectrum::new(vec![1.0, 2.0], z.clone()).unwrap_err();
        assert!(matches!(
            e,
            SpectrumError::Invalid(InvalidSpectrum::LengthMismatch {
                frequencies: 2,
                impedances: 3
            })
        ));
        let e = Spectrum::new(vec![3.0, 2.0, 2.0], z.clone()).unwrap_err();
        assert!(matches!(
            e,
            SpectrumError::Invalid(InvalidSpectrum::Frequency {
                point: 3,
                problem: FrequencyProblem::Repeated { value: 2.0 }
            })
        ));
        assert_eq!(
            e.to_string(),
            "point 3: the frequency 2 Hz is repeated from the row before"
        );
        let e = Spectrum::check(&[1.0, 2.0, 1.5], &z).unwrap_err();
        assert_eq!(
            e.to_string(),
            "point 3: the frequencies must be strictly monotone: they were increasing, but falls from 2 to 1.5 Hz here"
        );
        let e = Spectrum::new(vec![1.0, 2.0, 3.0], vec![c64::new(f64::NAN, 0.0); 3]);
        assert!(matches!(
            e,
            Err(SpectrumError::Invalid(InvalidSpectrum::Impedance {
                point: 1,
                ..
            }))
        ));
        let e = Spectrum::new(vec![], vec![]).unwrap_err();
        assert!(matches!(e, SpectrumError::Invalid(InvalidSpectrum::Empty)));
        assert_eq!(e.to_string(), "the spectrum has no points");
    }
}
