//! The impedance files labs have, detected by their content and read into a [`Spectrum`] with
//! Z = Z' + iZ'' (capacitive arcs with Z'' < 0) whatever sign the file stores.
//!
//! | format ([`SpectrumFormat`]) | signature | columns read | imaginary column |
//! | --- | --- | --- | --- |
//! | `asslb`: this program's CSV | a header with `frequency_Hz`, `z_re_ohm`, `z_im_ohm` | those (and `cycle`) | Z'' |
//! | `biologic`: EC-Lab text export (`.mpt`, `.txt`) | first line `EC-Lab ASCII FILE`, a line `Nb header lines : N` | `freq/Hz`, `Re(Z)/Ohm`, `-Im(Z)/Ohm` (tab-separated, on line N) | −Z'': negated |
//! | `gamry`: Gamry Framework `.DTA` | a line `ZCURVE<TAB>TABLE` | `Freq`, `Zreal`, `Zimag` (header row, units row, then rows starting with a tab) | Z'' |
//! | `zview`: ZView/ZPlot `.z` | a line `End Comments` | `Freq(Hz)`, `Z'(a)`, `Z''(b)` (named on the line before `End Comments`, else the 1st, 5th and 6th fields), comma- or tab-separated | Z'' |
//! | `autolab`: Autolab NOVA text/CSV export | a header with `Frequency (Hz)`, `Z' (Ω)` and `-Z'' (Ω)` (or `Z'' (Ω)`) | those, separated by `;`, tab or `,` | −Z'' (`-Z''`): negated; Z'' (`Z''`) as is |
//! | `impedance-py`: impedance.py's `preprocessing.readCSV` | no header: rows of at least 3 comma-separated numbers | 1st, 2nd, 3rd: f, Z', Z'' | Z'' |
//!
//! Detection looks at the content, in the order of the table but with `asslb` after the
//! instrument formats; the extension only sharpens the error when nothing matches. The text is
//! decoded by [`super::text_file`] (UTF-8 with or without a byte order mark, UTF-16 with one,
//! windows-1252); when the field delimiter is not a comma, numbers may have a decimal comma.
//! ZView stores Z'' with its sign (its Nyquist plot shows −Z''); the sign check of
//! [`Spectrum::check_capacitive`] stays as the safety net for a file that does not.
//!
//! The samples in `validation/examples/impedance/` are synthetic files of each format, written
//! by this project (not copies of instrument files). Errors name the file, the line and the
//! column.

use std::path::Path;
use std::str::FromStr;

use faer::c64;

use super::spectrum::{check_frequencies, read_spectra_csv_text, Spectrum, SpectrumError};
use super::text_file::{parse_number, read_text, split_fields, TextEncoding};

/// The formats of impedance files read (module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpectrumFormat {
    /// This program's CSV: `frequency_Hz, z_re_ohm, z_im_ohm` (and `cycle`).
    Asslb,
    /// BioLogic EC-Lab PEIS text export.
    BioLogic,
    /// Gamry Framework `.DTA`.
    Gamry,
    /// ZView/ZPlot `.z`.
    ZView,
    /// Autolab NOVA text or CSV export.
    Autolab,
    /// impedance.py's headerless CSV: f, Z', Z''.
    ImpedancePy,
}

impl SpectrumFormat {
    /// Every format, in the order of detection's table.
    pub const ALL: [SpectrumFormat; 6] = [
        SpectrumFormat::Asslb,
        SpectrumFormat::BioLogic,
        SpectrumFormat::Gamry,
        SpectrumFormat::ZView,
        SpectrumFormat::Autolab,
        SpectrumFormat::ImpedancePy,
    ];

    /// The name used by `--format`.
    pub fn name(self) -> &'static str {
        match self {
            SpectrumFormat::Asslb => "asslb",
            SpectrumFormat::BioLogic => "biologic",
            SpectrumFormat::Gamry => "gamry",
            SpectrumFormat::ZView => "zview",
            SpectrumFormat::Autolab => "autolab",
            SpectrumFormat::ImpedancePy => "impedance-py",
        }
    }

    /// A description for messages.
    pub fn description(self) -> &'static str {
        match self {
            SpectrumFormat::Asslb => "asslb CSV",
            SpectrumFormat::BioLogic => "BioLogic EC-Lab text export",
            SpectrumFormat::Gamry => "Gamry .DTA",
            SpectrumFormat::ZView => "ZView .z",
            SpectrumFormat::Autolab => "Autolab NOVA export",
            SpectrumFormat::ImpedancePy => "impedance.py headerless CSV",
        }
    }
}

impl FromStr for SpectrumFormat {
    type Err = SpectrumError;

    /// A format by its name ([`SpectrumFormat::name`], ignoring case).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SpectrumFormat::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| SpectrumError::UnknownFormatName {
                name: s.to_string(),
                known: SpectrumFormat::ALL
                    .iter()
                    .map(|f| f.name().to_string())
                    .collect(),
            })
    }
}

/// A spectrum read from a file, with how it was read.
#[derive(Debug, Clone, PartialEq)]
pub struct SpectrumFile {
    /// The format, detected or forced.
    pub format: SpectrumFormat,
    /// The text's encoding.
    pub encoding: TextEncoding,
    /// The spectrum's cycle (asslb CSV with a `cycle` column only).
    pub cycle: Option<usize>,
    /// Whether the file stores −Z'' (negated on reading).
    pub negated_in_file: bool,
    /// The spectrum, with Z = Z' + iZ''.
    pub spectrum: Spectrum,
}

/// The lines of a text with their 1-based numbers.
fn numbered(text: &str) -> Vec<(usize, &str)> {
    text.lines().enumerate().map(|(k, l)| (k + 1, l)).collect()
}

/// A header row's fields as keys: lower case, blanks dropped.
fn key(field: &str) -> String {
    field
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The format of `text` by its content (module documentation), None if no signature matches.
pub fn detect_format(text: &str) -> Option<SpectrumFormat> {
    let lines: Vec<&str> = text.lines().take(400).collect();
    let first = lines.iter().map(|l| l.trim()).find(|l| !l.is_empty())?;
    if first.starts_with("EC-Lab ASCII FILE") {
        return Some(SpectrumFormat::BioLogic);
    }
    if lines
        .iter()
        .any(|l| l.trim().eq_ignore_ascii_case("End Comments"))
    {
        return Some(SpectrumFormat::ZView);
    }
    if lines.iter().any(|l| {
        let f = split_fields(l, '\t');
        f.first() == Some(&"ZCURVE") && f.get(1) == Some(&"TABLE")
    }) {
        return Some(SpectrumFormat::Gamry);
    }
    let data_lines = || {
        lines
            .iter()
            .map(|l| l.trim())
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
    };
    if let Some(header) = data_lines().next() {
        let k = key(header);
        if k.contains("frequency_hz") && k.contains("z_re_ohm") {
            return Some(SpectrumFormat::Asslb);
        }
    }
    if lines.iter().any(|l| autolab_header(l).is_some()) {
        return Some(SpectrumFormat::Autolab);
    }
    let numeric = |l: &str| {
        let f = split_fields(l, ',');
        f.len() >= 3 && f.iter().all(|x| parse_number(x, false).is_some())
    };
    if data_lines().next().is_some_and(numeric) {
        return Some(SpectrumFormat::ImpedancePy);
    }
    None
}

/// What a file's extension suggests when its content matches no format.
fn extension_hint(path: &Path) -> String {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("mpt") => " (a .mpt file should start with `EC-Lab ASCII FILE`)".into(),
        Some("dta") => " (a .DTA file needs a `ZCURVE<TAB>TABLE` block)".into(),
        Some("z") => " (a .z file needs a header ending with `End Comments`)".into(),
        _ => String::new(),
    }
}

/// Reads the spectrum of `path` in `format`, or in the format detected from its content
/// (module documentation). `cycle` chooses a spectrum of an asslb CSV with a `cycle` column
/// (see [`super::spectrum::read_spectrum_csv`]); the other formats hold one spectrum and take
/// None. Imaginary parts stored as −Z'' are negated.
pub fn read_spectrum_file(
    path: &Path,
    format: Option<SpectrumFormat>,
    cycle: Option<usize>,
) -> Result<SpectrumFile, SpectrumError> {
    let (text, encoding) = read_text(path).map_err(|source| SpectrumError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let format = match format {
        Some(f) => f,
        None => detect_format(&text).ok_or_else(|| SpectrumError::UnknownFormat {
            path: path.to_path_buf(),
            hint: extension_hint(path),
        })?,
    };
    if format == SpectrumFormat::Asslb {
        let (cycle, spectrum) = choose_cycle(path, read_spectra_csv_text(&text, path)?, cycle)?;
        return Ok(SpectrumFile {
            format,
            encoding,
            cycle,
            negated_in_file: false,
            spectrum,
        });
    }
    if let Some(c) = cycle {
        return Err(SpectrumError::NoSuchCycle {
            path: path.to_path_buf(),
            cycle: c,
            cycles: Vec::new(),
        });
    }
    let lines = numbered(&text);
    let table = match format {
        SpectrumFormat::BioLogic => biologic(path, &lines)?,
        SpectrumFormat::Gamry => gamry(path, &lines)?,
        SpectrumFormat::ZView => zview(path, &lines)?,
        SpectrumFormat::Autolab => autolab(path, &lines)?,
        SpectrumFormat::ImpedancePy | SpectrumFormat::Asslb => impedance_py(&lines),
    };
    let negated_in_file = table.negated;
    let spectrum = table.read(path)?;
    Ok(SpectrumFile {
        format,
        encoding,
        cycle: None,
        negated_in_file,
        spectrum,
    })
}

/// The spectrum of `cycle` among those of an asslb CSV, as `read_spectrum_csv` chooses it.
fn choose_cycle(
    path: &Path,
    mut all: Vec<super::spectrum::FileSpectrum>,
    cycle: Option<usize>,
) -> Result<(Option<usize>, Spectrum), SpectrumError> {
    let cycles: Vec<usize> = all.iter().filter_map(|s| s.cycle).collect();
    match cycle {
        None if all.len() == 1 => {
            let s = all.remove(0);
            Ok((s.cycle, s.spectrum))
        }
        None => Err(SpectrumError::SeveralCycles {
            path: path.to_path_buf(),
            cycles,
        }),
        Some(c) => match all.into_iter().find(|s| s.cycle == Some(c)) {
            Some(s) => Ok((s.cycle, s.spectrum)),
            None => Err(SpectrumError::NoSuchCycle {
                path: path.to_path_buf(),
                cycle: c,
                cycles,
            }),
        },
    }
}

/// A located table of numbers: the data lines, how they are split, and which columns hold f,
/// Z' and Z'' (or −Z'').
struct Table<'t> {
    /// The data lines (1-based number, text); blank lines among them are skipped.
    rows: Vec<(usize, &'t str)>,
    delimiter: char,
    decimal_comma: bool,
    /// (index, name for messages) of the frequency, real and imaginary columns.
    columns: [(usize, String); 3],
    /// The imaginary column holds −Z''.
    negated: bool,
}

impl Table<'_> {
    fn read(self, path: &Path) -> Result<Spectrum, SpectrumError> {
        let mut f = Vec::with_capacity(self.rows.len());
        let mut z = Vec::with_capacity(self.rows.len());
        let mut lines = Vec::with_capacity(self.rows.len());
        for &(line, text) in &self.rows {
            if text.trim().is_empty() {
                continue;
            }
            let fields = split_fields(text, self.delimiter);
            let mut values = [0.0; 3];
            for (v, (k, name)) in values.iter_mut().zip(&self.columns) {
                let found = fields.get(*k).copied().unwrap_or("");
                *v = parse_number(found, self.decimal_comma).ok_or_else(|| {
                    SpectrumError::Value {
                        path: path.to_path_buf(),
                        line,
                        column: name.clone(),
                        found: found.to_string(),
                        expected: "a finite number".to_string(),
                    }
                })?;
            }
            let im = if self.negated { -values[2] } else { values[2] };
            f.push(values[0]);
            z.push(c64::new(values[1], im));
            lines.push(line);
        }
        if f.is_empty() {
            return Err(SpectrumError::Empty {
                path: path.to_path_buf(),
            });
        }
        let frequency = &self.columns[0].1;
        check_frequencies(&f, path, &|k| {
            format!("line {}, column `{frequency}`", lines[k])
        })
        .map_err(|e| match e {
            // The location already names the column.
            SpectrumError::Frequency {
                path,
                location,
                problem,
            } => SpectrumError::Layout {
                path,
                line: None,
                problem: format!("{location}: {problem}"),
            },
            other => other,
        })?;
        Ok(Spectrum { frequency_hz: f, z })
    }
}

fn layout(path: &Path, line: Option<usize>, problem: impl Into<String>) -> SpectrumError {
    SpectrumError::Layout {
        path: path.to_path_buf(),
        line,
        problem: problem.into(),
    }
}

/// The index of the column whose key (see [`key`]) is one of `wanted`, or a
/// [`SpectrumError::MissingColumn`] naming `shown`.
fn column(
    path: &Path,
    line: usize,
    header: &[&str],
    wanted: &[&str],
    shown: &str,
) -> Result<(usize, String), SpectrumError> {
    column_where(path, line, header, &|k| wanted.contains(&k), shown)
}

/// The frequency, real and imaginary columns by [`column`]: (keys wanted, name shown) each.
fn three_columns(
    path: &Path,
    line: usize,
    header: &[&str],
    wanted: [(&[&str], &str); 3],
) -> Result<[(usize, String); 3], SpectrumError> {
    let [f, re, im] = wanted.map(|(keys, shown)| column(path, line, header, keys, shown));
    Ok([f?, re?, im?])
}

/// The index of the first column whose key (see [`key`]) satisfies `matches`, or a
/// [`SpectrumError::MissingColumn`] naming `shown`.
fn column_where(
    path: &Path,
    line: usize,
    header: &[&str],
    matches: &dyn Fn(&str) -> bool,
    shown: &str,
) -> Result<(usize, String), SpectrumError> {
    header
        .iter()
        .position(|h| matches(&key(h)))
        .map(|k| (k, header[k].to_string()))
        .ok_or_else(|| SpectrumError::MissingColumn {
            path: path.to_path_buf(),
            line,
            column: shown.to_string(),
            found: header
                .iter()
                .filter(|h| !h.is_empty())
                .map(|h| h.to_string())
                .collect(),
        })
}

/// EC-Lab: `Nb header lines : N`, the column names on line N, data after it.
fn biologic<'t>(path: &Path, lines: &[(usize, &'t str)]) -> Result<Table<'t>, SpectrumError> {
    let (count_line, count) = lines
        .iter()
        .take(10)
        .find_map(|&(n, l)| {
            let (name, value) = l.split_once(':')?;
            (key(name) == "nbheaderlines").then(|| (n, value.trim().parse::<usize>().ok()))
        })
        .ok_or_else(|| {
            layout(
                path,
                None,
                "no line `Nb header lines : N` among the first 10: not an EC-Lab text export",
            )
        })?;
    let count = count
        .filter(|&c| c >= 2 && c <= lines.len())
        .ok_or_else(|| {
            layout(
                path,
                Some(count_line),
                format!(
                    "expected `Nb header lines : N` with N from 2 to the {} lines of the file",
                    lines.len()
                ),
            )
        })?;
    let (header_line, header_text) = lines[count - 1];
    let header = split_fields(header_text, '\t');
    let columns = three_columns(
        path,
        header_line,
        &header,
        [
            (&["freq/hz"], "freq/Hz"),
            (&["re(z)/ohm"], "Re(Z)/Ohm"),
            (&["-im(z)/ohm"], "-Im(Z)/Ohm"),
        ],
    )?;
    Ok(Table {
        rows: lines[count..].to_vec(),
        delimiter: '\t',
        decimal_comma: true,
        columns,
        negated: true,
    })
}

/// Gamry: `ZCURVE<TAB>TABLE`, then the column names, a units row, and data rows that start
/// with a tab, up to the first line that does not.
fn gamry<'t>(path: &Path, lines: &[(usize, &'t str)]) -> Result<Table<'t>, SpectrumError> {
    let start = lines
        .iter()
        .position(|(_, l)| {
            let f = split_fields(l, '\t');
            f.first() == Some(&"ZCURVE") && f.get(1) == Some(&"TABLE")
        })
        .ok_or_else(|| {
            layout(
                path,
                None,
                "no `ZCURVE<TAB>TABLE` block: not a Gamry EIS file",
            )
        })?;
    let (header_line, header_text) = *lines.get(start + 1).ok_or_else(|| {
        layout(
            path,
            Some(lines[start].0),
            "the ZCURVE table has no header row",
        )
    })?;
    let header = split_fields(header_text, '\t');
    let columns = three_columns(
        path,
        header_line,
        &header,
        [
            (&["freq"], "Freq"),
            (&["zreal"], "Zreal"),
            (&["zimag"], "Zimag"),
        ],
    )?;
    let rows = lines
        .iter()
        .skip(start + 3)
        .take_while(|(_, l)| l.starts_with('\t'))
        .copied()
        .collect();
    Ok(Table {
        rows,
        delimiter: '\t',
        decimal_comma: true,
        columns,
        negated: false,
    })
}

/// ZView: data after `End Comments`; the columns named on the line before it when it names
/// them, else the 1st, 5th and 6th fields (`Freq(Hz)`, `Z'(a)`, `Z''(b)`).
fn zview<'t>(path: &Path, lines: &[(usize, &'t str)]) -> Result<Table<'t>, SpectrumError> {
    let end = lines
        .iter()
        .position(|(_, l)| l.trim().eq_ignore_ascii_case("End Comments"))
        .ok_or_else(|| layout(path, None, "no line `End Comments`: not a ZView file"))?;
    let rows: Vec<(usize, &str)> = lines[end + 1..].to_vec();
    let delimiter = match rows.iter().find(|(_, l)| !l.trim().is_empty()) {
        Some((_, l)) if l.contains(',') => ',',
        _ => '\t',
    };
    let named = end
        .checked_sub(1)
        .map(|k| lines[k])
        .filter(|(_, l)| key(l).starts_with("freq"));
    let columns = match named {
        Some((header_line, text)) => {
            let header = split_fields(text, delimiter);
            [
                column(
                    path,
                    header_line,
                    &header,
                    &["freq(hz)", "freq"],
                    "Freq(Hz)",
                )?,
                column(path, header_line, &header, &["z'(a)", "z'"], "Z'(a)")?,
                column(path, header_line, &header, &["z''(b)", "z''"], "Z''(b)")?,
            ]
        }
        None => [
            (0, "Freq(Hz)".to_string()),
            (4, "Z'(a)".to_string()),
            (5, "Z''(b)".to_string()),
        ],
    };
    Ok(Table {
        rows,
        delimiter,
        decimal_comma: delimiter != ',',
        columns,
        negated: false,
    })
}

/// The delimiter of an Autolab header row and whether its imaginary column is −Z'', if `line`
/// is one.
fn autolab_header(line: &str) -> Option<(char, bool)> {
    [';', '\t', ',']
        .into_iter()
        .find_map(|d| {
            let keys: Vec<String> = split_fields(line, d).into_iter().map(key).collect();
            let has = |prefix: &str| keys.iter().any(|k| k.starts_with(prefix));
            (has("frequency") && has("z'(")).then(|| (d, has("-z''(")))
        })
        .filter(|_| line.contains("Z''") || line.contains("Z\"") || line.contains("Z′′"))
}

/// Autolab NOVA: a header row with `Frequency (Hz)`, `Z' (Ω)` and `-Z'' (Ω)` or `Z'' (Ω)`.
fn autolab<'t>(path: &Path, lines: &[(usize, &'t str)]) -> Result<Table<'t>, SpectrumError> {
    let (at, (delimiter, negated)) = lines
        .iter()
        .enumerate()
        .find_map(|(k, (_, l))| autolab_header(l).map(|h| (k, h)))
        .ok_or_else(|| {
            layout(
                path,
                None,
                "no header row with `Frequency (Hz)`, `Z' (Ω)` and `-Z'' (Ω)`: not an Autolab export",
            )
        })?;
    let (header_line, text) = lines[at];
    let header = split_fields(text, delimiter);
    let find = |prefix: &str, shown: &str| {
        column_where(
            path,
            header_line,
            &header,
            &|k| k.starts_with(prefix),
            shown,
        )
    };
    let columns = [
        find("frequency", "Frequency (Hz)")?,
        find("z'(", "Z' (Ω)")?,
        if negated {
            find("-z''(", "-Z'' (Ω)")?
        } else {
            find("z''(", "Z'' (Ω)")?
        },
    ];
    Ok(Table {
        rows: lines[at + 1..].to_vec(),
        delimiter,
        decimal_comma: delimiter != ',',
        columns,
        negated,
    })
}

/// impedance.py: every line that is not blank or a `#` comment is f, Z', Z'' (more fields are
/// ignored).
fn impedance_py<'t>(lines: &[(usize, &'t str)]) -> Table<'t> {
    Table {
        rows: lines
            .iter()
            .filter(|(_, l)| !l.trim_start().starts_with('#'))
            .copied()
            .collect(),
        delimiter: ',',
        decimal_comma: false,
        columns: [
            (0, "1 (frequency)".to_string()),
            (1, "2 (Z')".to_string()),
            (2, "3 (Z'')".to_string()),
        ],
        negated: false,
    }
}
