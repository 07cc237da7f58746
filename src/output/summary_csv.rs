//! The per-cycle summary as CSV: `<dir>/summary.csv`, one row per cycle.
//!
//! Each row is written whole, in one write, and handed to the operating system as its cycle
//! ends, so the file is valid CSV (a header and whole rows) after every cycle: a run that stops
//! or is killed keeps every finished cycle. (Rows are not forced to the disk one by one, which
//! would cost milliseconds per cycle; [`SummaryCsv::finish`] does that once at the end.)
//!
//! Columns ([`SUMMARY_HEADER`]):
//!
//! | column | unit | meaning |
//! | --- | --- | --- |
//! | `cycle` | – | cycle number, from 1 |
//! | `charge_capacity_mAh_g` | mA·h/g | charge capacity per gram of active material |
//! | `discharge_capacity_mAh_g` | mA·h/g | discharge capacity per gram of active material |
//! | `coulombic_efficiency` | – | discharge over charge capacity (a fraction, not %) |
//! | `mean_charge_voltage_V` | V | charge energy over charge capacity |
//! | `mean_discharge_voltage_V` | V | discharge energy over discharge capacity |
//! | `discharge_energy_Wh_kg` | W·h/kg | discharge energy per kilogram of active material |
//! | `capacity_retention` | – | discharge capacity over that of the reference cycle (the scenario's `reference_cycle`: by default the first cycle after formation, [`crate::protocol::retention`]); empty before it |
//! | `charge_capacity_Ah` | A·h | charge capacity |
//! | `discharge_capacity_Ah` | A·h | discharge capacity |
//! | `charge_energy_Wh` | W·h | energy taken on charge |
//! | `discharge_energy_Wh` | W·h | energy delivered on discharge |
//! | `end_time_s` | s | time at the end of the cycle, from the start of the run |
//! | `interphase_thickness_nm` | nm | interphase (CEI) thickness at the end of the cycle |
//! | `interface_resistance_ohm` | Ω | cathode/electrolyte interface resistance of the cell |
//! | `anionic_capacity_mAh_g` | mA·h/g | active anionic (oxygen-redox) capacity |
//! | `latent_anionic_capacity_mAh_g` | mA·h/g | anionic capacity not yet activated |
//! | `oxygen_loss_mAh_g` | mA·h/g | anionic capacity lost by oxygen release since the start |
//! | `voltage_fade_V` | V | rigid downward shift of the open-circuit potential by oxygen loss and (rigid-shift fade law) migration |
//! | `crack_area_ratio` | – | crack surface per original particle surface |
//! | `side_reaction_charge_mAh_g` | mA·h/g | charge passed by the side reaction since the start |
//! | `anionic_capacity_Ah`, `latent_anionic_capacity_Ah`, `oxygen_loss_Ah`, `side_reaction_charge_Ah` | A·h | the same in A·h |
//! | `active_material_fraction` | – | fraction of the active material still in contact (fragments isolated behind flooded cracks are not) |
//! | `isolated_lithium_mAh_g`, `isolated_lithium_Ah` | mA·h/g, A·h | lithium the isolated fragments hold (part of the cathode's inventory, no longer cycled) |
//! | `migrated_fraction` | – | fraction of the cationic capacity moved into the lower-voltage couple by transition-metal migration (lower-couple fade law; 0 otherwise) |
//! | `densified_fraction` | – | fraction φ = d X_O of the host densified with the oxygen it lost, its sites gone from every gallery (`anion_redox.densified_per_oxygen`; 0 otherwise) |
//!
//! The degradation columns (from `interphase_thickness_nm` on) are the model's slow states at
//! the end of the cycle; they are empty for a model without degradation submodels.
//!
//! An empty field means the value is not defined: the per-mass columns when no active-material
//! mass was given, the efficiency of a cycle without a charge or with one below a millionth of
//! the cathode host's capacity ([`crate::protocol::NO_CHARGE_FRACTION`]), the mean charge
//! voltage of a cycle without a charge, the mean
//! discharge voltage of a cycle without a discharge, and the retention until a cycle has
//! delivered a discharge. Numbers are written in their shortest round-trip form.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::timeseries_csv::push_number;
use crate::physics::p2d::DegradationState;
use crate::protocol::{CycleSummary, Retention, TimeseriesRecord, TimeseriesSink};

/// File name of the per-cycle summary.
pub const SUMMARY_FILE: &str = "summary.csv";

/// The header row, from the one table of per-cycle quantities ([`crate::measured::QUANTITIES`]).
pub use crate::measured::SUMMARY_HEADER;

/// Number of columns before the degradation columns.
const CORE_COLUMNS: usize = 13;

/// Writes `<dir>/summary.csv` as cycles end.
///
/// It is also a [`TimeseriesSink`] that wants no rows (only the cycle ends), so that it can be
/// handed to the driver on its own; [`super::RunSink`] combines it with the time series.
#[derive(Debug)]
pub struct SummaryCsv {
    path: PathBuf,
    file: File,
    /// Mass of active material \[kg\], for the per-mass columns.
    active_mass_kg: Option<f64>,
    /// The reference of the `capacity_retention` column.
    retention: Retention,
    /// Bytes of whole lines in the file.
    written_bytes: u64,
    /// Data rows in the file.
    rows: u64,
    /// The line being assembled (kept to reuse its allocation).
    line: String,
}

impl SummaryCsv {
    /// Starts `<dir>/summary.csv` (replacing one left by an earlier run) with its header row.
    /// `dir` must exist.
    ///
    /// `active_mass_kg` is the mass of active material of the cell \[kg\] that the per-mass
    /// columns (`*_mAh_g`, `*_Wh_kg`) refer to; with `None` those columns are left empty.
    /// A mass that is not finite and positive is an `InvalidInput` error. `capacity_retention`
    /// is relative to `reference_cycle` ([`Retention`]; the scenario's `reference_cycle`).
    pub fn create(
        dir: &Path,
        active_mass_kg: Option<f64>,
        reference_cycle: usize,
    ) -> io::Result<Self> {
        if let Some(m) = active_mass_kg {
            if !(m.is_finite() && m > 0.0) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("active-material mass must be finite and positive, got {m} kg"),
                ));
            }
        }
        let path = dir.join(SUMMARY_FILE);
        let mut file = File::create(&path)?;
        let header = format!("{SUMMARY_HEADER}\n");
        file.write_all(header.as_bytes())?;
        file.flush()?;
        Ok(SummaryCsv {
            path,
            file,
            active_mass_kg,
            retention: Retention::from_cycle(reference_cycle),
            written_bytes: header.len() as u64,
            rows: 0,
            line: String::with_capacity(512),
        })
    }

    /// Takes up `<dir>/summary.csv` of an interrupted run after `cycles_done` cycles: rows of
    /// later cycles are dropped, new ones appended, and the retention reference is read back
    /// from the rows kept. Returns the summaries of the kept cycles too (from their A·h, W·h
    /// and time columns, written in shortest round-trip form, so exact; `host_capacity_ah`
    /// \[A·h\] is the cell's, see [`CycleSummary::host_capacity_ah`]).
    pub fn resume(
        dir: &Path,
        active_mass_kg: Option<f64>,
        reference_cycle: usize,
        host_capacity_ah: f64,
        cycles_done: usize,
    ) -> io::Result<(Self, Vec<CycleSummary>)> {
        let path = dir.join(SUMMARY_FILE);
        let (kept, rows, summaries) = kept_cycles(&path, host_capacity_ah, cycles_done)?;
        let tmp = dir.join(format!("{SUMMARY_FILE}.resume"));
        std::fs::write(&tmp, &kept)?;
        std::fs::rename(&tmp, &path)?;
        let file = std::fs::OpenOptions::new().append(true).open(&path)?;
        let mut summary = SummaryCsv {
            path,
            file,
            active_mass_kg,
            retention: Retention::from_cycle(reference_cycle),
            written_bytes: kept.len() as u64,
            rows,
            line: String::with_capacity(512),
        };
        for c in &summaries {
            summary.retention.observe(c);
        }
        Ok((summary, summaries))
    }

    /// The file written to (`<dir>/summary.csv`).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Data rows written so far (not counting the header).
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The active-material mass the per-mass columns refer to \[kg\].
    pub fn active_mass_kg(&self) -> Option<f64> {
        self.active_mass_kg
    }

    /// Capacity retention of `summary` \[-\] ([`Retention::of`], `summary` observed as the
    /// next cycle): NaN before the reference cycle and while no cycle from it on has delivered
    /// a discharge.
    pub fn capacity_retention(&self, summary: &CycleSummary) -> f64 {
        let mut retention = self.retention;
        retention.observe(summary);
        retention.of(summary)
    }

    /// Appends the row of `summary` and hands it to the operating system. On a failed write
    /// the file is cut back to its last whole row, so it stays valid CSV.
    pub fn write_cycle(&mut self, summary: &CycleSummary) -> io::Result<()> {
        use std::fmt::Write as _;
        let retention = self.capacity_retention(summary);
        let values = summary_values(summary, self.active_mass_kg, retention);
        let line = &mut self.line;
        line.clear();
        // Writing into a String cannot fail.
        let _ = write!(line, "{}", summary.cycle);
        for v in values {
            line.push(',');
            if v.is_finite() {
                push_number(line, v);
            }
        }
        line.push('\n');
        if let Err(e) = self
            .file
            .write_all(self.line.as_bytes())
            .and_then(|()| self.file.flush())
        {
            // A partial write may have left half a line: cut it off.
            let _ = self.file.set_len(self.written_bytes);
            return Err(e);
        }
        self.written_bytes += self.line.len() as u64;
        self.rows += 1;
        self.retention.observe(summary);
        Ok(())
    }

    /// Ends the file: forces it to the disk and returns its path. (A run that fails needs no
    /// special ending: the file holds every finished cycle as it is.)
    pub fn finish(self) -> io::Result<PathBuf> {
        self.file.sync_all()?;
        Ok(self.path)
    }
}

/// Number of value columns of a summary row (every column of [`SUMMARY_HEADER`] but `cycle`).
pub const SUMMARY_VALUES: usize = 29;

/// The values of the row of `summary` after its `cycle` column, in the order of
/// [`SUMMARY_HEADER`], with `retention` its capacity retention \[-\] and `active_mass_kg` the
/// mass the per-mass columns refer to. NaN stands for an empty field (a value not defined:
/// per-mass columns without a mass, the degradation columns of a model without degradation,
/// efficiencies of a cycle without a charge, …).
pub fn summary_values(
    summary: &CycleSummary,
    active_mass_kg: Option<f64>,
    retention: f64,
) -> [f64; SUMMARY_VALUES] {
    let per_mass = |v: f64| active_mass_kg.map_or(f64::NAN, |m| v / m);
    let d = summary.degradation;
    let slow = |f: fn(&DegradationState) -> f64| d.as_ref().map_or(f64::NAN, f);
    [
        // A·h/kg is mA·h/g.
        per_mass(summary.charge_capacity_ah),
        per_mass(summary.discharge_capacity_ah),
        summary.coulombic_efficiency(),
        summary.mean_charge_voltage_v(),
        summary.mean_discharge_voltage_v(),
        per_mass(summary.discharge_energy_wh),
        retention,
        summary.charge_capacity_ah,
        summary.discharge_capacity_ah,
        summary.charge_energy_wh,
        summary.discharge_energy_wh,
        summary.end_time_s,
        slow(|d| d.interphase_thickness_nm),
        slow(|d| d.interface_resistance_ohm),
        per_mass(slow(|d| d.anionic_capacity_ah)),
        per_mass(slow(|d| d.latent_anionic_capacity_ah)),
        per_mass(slow(|d| d.oxygen_loss_ah)),
        slow(|d| d.voltage_fade_v),
        slow(|d| d.crack_area_ratio),
        per_mass(slow(|d| d.side_reaction_charge_ah)),
        slow(|d| d.anionic_capacity_ah),
        slow(|d| d.latent_anionic_capacity_ah),
        slow(|d| d.oxygen_loss_ah),
        slow(|d| d.side_reaction_charge_ah),
        slow(|d| d.active_material_fraction),
        per_mass(slow(|d| d.isolated_lithium_ah)),
        slow(|d| d.isolated_lithium_ah),
        slow(|d| d.migrated_fraction),
        slow(|d| d.densified_fraction),
    ]
}

/// The index in [`summary_values`] of the column `name` of [`SUMMARY_HEADER`] (not `cycle`).
pub fn summary_column(name: &str) -> Option<usize> {
    SUMMARY_HEADER
        .split(',')
        .skip(1)
        .position(|column| column == name)
}

/// The figures of cycles 1..=`cycles_done` recorded in `<dir>/summary.csv` (from their A·h,
/// W·h and time columns, written in shortest round-trip form, so exact), for a cell whose
/// cathode host holds `host_capacity_ah` \[A·h\] (see [`CycleSummary::host_capacity_ah`]).
pub fn read_summary(
    dir: &Path,
    host_capacity_ah: f64,
    cycles_done: usize,
) -> io::Result<Vec<CycleSummary>> {
    Ok(kept_cycles(&dir.join(SUMMARY_FILE), host_capacity_ah, cycles_done)?.2)
}

/// Checks that `<dir>/summary.csv` of a run interrupted after `cycles_done` cycles (its
/// checkpoint) is there, has this asslb's header, and holds a whole row for each of the cycles
/// 1 to `cycles_done`, in order and without gaps (rows of later cycles may follow).
pub fn check_summary(dir: &Path, cycles_done: usize) -> Result<(), super::resume::RowsError> {
    super::resume::check_cycle_rows(&dir.join(SUMMARY_FILE), SUMMARY_HEADER, cycles_done)
}

/// The header and whole rows of cycles up to `cycles_done`, their count, and their figures.
fn kept_cycles(
    path: &Path,
    host_capacity_ah: f64,
    cycles_done: usize,
) -> io::Result<(String, u64, Vec<CycleSummary>)> {
    let mut summaries = Vec::new();
    let (kept, rows) = super::resume::rows_up_to_cycle(path, 0, cycles_done, |row| {
        // The degradation state, when its columns are filled (Ah columns for exactness).
        let optional = |k: usize| row.parse::<f64>(k);
        let c = CORE_COLUMNS;
        let degradation = (|| {
            Some(DegradationState {
                interphase_thickness_nm: optional(c)?,
                interface_resistance_ohm: optional(c + 1)?,
                voltage_fade_v: optional(c + 5)?,
                crack_area_ratio: optional(c + 6)?,
                anionic_capacity_ah: optional(c + 8)?,
                latent_anionic_capacity_ah: optional(c + 9)?,
                oxygen_loss_ah: optional(c + 10)?,
                side_reaction_charge_ah: optional(c + 11)?,
                active_material_fraction: optional(c + 12).unwrap_or(1.0),
                isolated_lithium_ah: optional(c + 14).unwrap_or(0.0),
                migrated_fraction: optional(c + 15).unwrap_or(0.0),
                densified_fraction: optional(c + 16).unwrap_or(0.0),
            })
        })();
        summaries.push(CycleSummary {
            cycle: row.count(0)?,
            charge_capacity_ah: row.number(8)?,
            discharge_capacity_ah: row.number(9)?,
            charge_energy_wh: row.number(10)?,
            discharge_energy_wh: row.number(11)?,
            end_time_s: row.number(12)?,
            degradation,
            host_capacity_ah,
        });
        Ok(())
    })?;
    Ok((kept, rows, summaries))
}

impl TimeseriesSink for SummaryCsv {
    /// No rows: the summary needs only the cycle ends.
    fn wants_cycle(&self, _cycle: usize) -> bool {
        false
    }

    fn record(&mut self, _row: &TimeseriesRecord) -> io::Result<()> {
        Ok(())
    }

    fn cycle_finished(&mut self, summary: &CycleSummary) -> io::Result<()> {
        self.write_cycle(summary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cycle(n: usize, charge_ah: f64, discharge_ah: f64) -> CycleSummary {
        CycleSummary {
            cycle: n,
            charge_capacity_ah: charge_ah,
            discharge_capacity_ah: discharge_ah,
            charge_energy_wh: charge_ah * 3.8,
            discharge_energy_wh: discharge_ah * 3.5,
            end_time_s: n as f64 * 7200.0,
            degradation: None,
            host_capacity_ah: 5e-3,
        }
    }

    fn read(path: &Path) -> Vec<Vec<String>> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|l| l.split(',').map(str::to_owned).collect())
            .collect()
    }

    fn column(rows: &[Vec<String>], name: &str) -> Vec<String> {
        let i = rows[0].iter().position(|h| h == name).unwrap();
        rows[1..].iter().map(|r| r[i].clone()).collect()
    }

    #[test]
    fn header_has_the_required_columns() {
        let required = [
            "cycle",
            "charge_capacity_mAh_g",
            "discharge_capacity_mAh_g",
            "coulombic_efficiency",
            "mean_charge_voltage_V",
            "mean_discharge_voltage_V",
            "discharge_energy_Wh_kg",
            "capacity_retention",
            "charge_capacity_Ah",
            "discharge_capacity_Ah",
            "charge_energy_Wh",
            "discharge_energy_Wh",
            "end_time_s",
            "interphase_thickness_nm",
            "interface_resistance_ohm",
            "anionic_capacity_mAh_g",
            "latent_anionic_capacity_mAh_g",
            "oxygen_loss_mAh_g",
            "voltage_fade_V",
            "crack_area_ratio",
            "side_reaction_charge_mAh_g",
            "anionic_capacity_Ah",
            "latent_anionic_capacity_Ah",
            "oxygen_loss_Ah",
            "side_reaction_charge_Ah",
            "active_material_fraction",
            "isolated_lithium_mAh_g",
            "isolated_lithium_Ah",
            "migrated_fraction",
            "densified_fraction",
        ];
        let header: Vec<&str> = SUMMARY_HEADER.split(',').collect();
        assert_eq!(header, required);
        assert_eq!(header[CORE_COLUMNS], "interphase_thickness_nm");
    }

    #[test]
    fn rows_are_on_disk_as_each_cycle_ends() {
        let dir = tempfile::tempdir().unwrap();
        // 10 mg of active material.
        let mut csv = SummaryCsv::create(dir.path(), Some(1e-5), 1).unwrap();
        let path = csv.path().to_path_buf();
        assert_eq!(read(&path).len(), 1);
        csv.cycle_finished(&cycle(1, 2.0e-3, 1.8e-3)).unwrap();
        let rows = read(&path);
        assert_eq!(rows.len(), 2);
        assert!(std::fs::read_to_string(&path).unwrap().ends_with('\n'));
        csv.cycle_finished(&cycle(2, 1.8e-3, 1.62e-3)).unwrap();
        assert_eq!(csv.rows(), 2);
        let path = csv.finish().unwrap();
        let rows = read(&path);
        assert_eq!(rows.len(), 3);
        assert!(rows.iter().all(|r| r.len() == 30));
        let num = |name: &str| -> Vec<f64> {
            column(&rows, name)
                .iter()
                .map(|v| v.parse().unwrap())
                .collect()
        };
        assert_eq!(num("cycle"), vec![1.0, 2.0]);
        // 1.8 mAh over 10 mg = 180 mAh/g.
        let q = num("discharge_capacity_mAh_g");
        assert!((q[0] - 180.0).abs() < 1e-9, "{q:?}");
        assert!((num("charge_capacity_mAh_g")[0] - 200.0).abs() < 1e-9);
        assert!((num("coulombic_efficiency")[0] - 0.9).abs() < 1e-12);
        assert!((num("mean_charge_voltage_V")[0] - 3.8).abs() < 1e-12);
        assert!((num("mean_discharge_voltage_V")[0] - 3.5).abs() < 1e-12);
        // 1.8 mAh · 3.5 V over 1e-5 kg = 630 Wh/kg.
        assert!((num("discharge_energy_Wh_kg")[0] - 630.0).abs() < 1e-9);
        let retention = num("capacity_retention");
        assert_eq!(retention[0], 1.0);
        assert!((retention[1] - 0.9).abs() < 1e-12);
        assert_eq!(num("discharge_capacity_Ah")[1], 1.62e-3);
        assert_eq!(num("end_time_s"), vec![7200.0, 14400.0]);
    }

    #[test]
    fn undefined_values_are_empty_fields() {
        let dir = tempfile::tempdir().unwrap();
        let mut csv = SummaryCsv::create(dir.path(), None, 1).unwrap();
        // A formation charge with no discharge, then a full cycle.
        csv.write_cycle(&cycle(1, 2.0e-3, 0.0)).unwrap();
        csv.write_cycle(&cycle(2, 0.0, 2e-3)).unwrap();
        csv.write_cycle(&cycle(3, 1.6e-3, 1e-3)).unwrap();
        let rows = read(&csv.finish().unwrap());
        assert!(rows.iter().all(|r| r.len() == 30));
        for name in [
            "charge_capacity_mAh_g",
            "discharge_capacity_mAh_g",
            "discharge_energy_Wh_kg",
        ] {
            assert!(column(&rows, name).iter().all(String::is_empty), "{name}");
        }
        // Retention refers to the first cycle that had a discharge (cycle 2).
        assert_eq!(column(&rows, "capacity_retention"), vec!["", "1", "0.5"]);
        assert_eq!(column(&rows, "coulombic_efficiency")[1], "");
        assert_eq!(column(&rows, "mean_charge_voltage_V")[1], "");
        assert_eq!(column(&rows, "mean_discharge_voltage_V")[0], "");
        assert_eq!(column(&rows, "charge_capacity_Ah")[0], "0.002");
        // No degradation model: its columns are empty.
        assert!(column(&rows, "interphase_thickness_nm")
            .iter()
            .all(String::is_empty));
    }

    #[test]
    fn degradation_columns_round_trip_through_resume() {
        let dir = tempfile::tempdir().unwrap();
        let mut csv = SummaryCsv::create(dir.path(), Some(1e-5), 1).unwrap();
        let state = DegradationState {
            interphase_thickness_nm: 3.25,
            interface_resistance_ohm: 61.5,
            anionic_capacity_ah: 0.9e-3,
            latent_anionic_capacity_ah: 0.1e-3,
            oxygen_loss_ah: 0.01e-3,
            voltage_fade_v: 0.012,
            crack_area_ratio: 0.5,
            side_reaction_charge_ah: 2e-5,
            active_material_fraction: 0.75,
            isolated_lithium_ah: 0.05e-3,
            migrated_fraction: 0.125,
            densified_fraction: 0.0625,
        };
        let mut c = cycle(1, 2.0e-3, 1.8e-3);
        c.degradation = Some(state);
        csv.write_cycle(&c).unwrap();
        csv.write_cycle(&cycle(2, 2.0e-3, 1.8e-3)).unwrap();
        let rows = read(&csv.finish().unwrap());
        let anionic: f64 = column(&rows, "anionic_capacity_mAh_g")[0].parse().unwrap();
        assert!((anionic - 90.0).abs() < 1e-9);
        assert_eq!(column(&rows, "interface_resistance_ohm")[0], "61.5");
        let back = read_summary(dir.path(), 5e-3, 2).unwrap();
        assert_eq!(back[0].degradation, Some(state));
        assert_eq!(back[1].degradation, None);
    }

    #[test]
    fn a_new_run_replaces_the_file_and_bad_masses_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut csv = SummaryCsv::create(dir.path(), None, 1).unwrap();
        csv.write_cycle(&cycle(1, 1.0, 1.0)).unwrap();
        drop(csv);
        let csv = SummaryCsv::create(dir.path(), None, 1).unwrap();
        assert_eq!(read(csv.path()).len(), 1);
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let err = SummaryCsv::create(dir.path(), Some(bad), 1).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        }
    }

    #[test]
    fn it_wants_no_rows() {
        let dir = tempfile::tempdir().unwrap();
        let csv = SummaryCsv::create(dir.path(), None, 1).unwrap();
        assert!(!csv.wants_cycle(1));
    }
}
