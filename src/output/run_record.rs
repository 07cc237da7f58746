//! `run.toml`: what was run, with which asslb, and how the solver fared, so that every result
//! can be reproduced.
//!
//! ```toml
//! [asslb]
//! version = "0.1.0"
//! git_commit = "…"            # only when the build recorded one (ASSLB_GIT_COMMIT)
//! written_at = 2025-01-31T12:00:00Z
//! status = "finished"         # "running", "finished" or "failed"
//! error = "…"                 # only when failed
//! scenario_digest = "fnv1a64:…"  # of [scenario], checked by `--resume` (scenario_digest)
//!
//! [scenario]                  # the fully resolved scenario, every default filled in
//! # …
//!
//! [solver_stats]              # as the caller names them, e.g. steps = 1234, wall_time_s = 2.5
//! ```
//!
//! The file is written under a temporary name and renamed into place, so it is never seen
//! half-written; writing it again (at the start of a run with status "running", then at the
//! end) replaces it whole.

use std::io;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use toml::value::{Date, Datetime, Offset, Time};
use toml::{Table, Value};

/// File name of the run record.
pub const RUN_RECORD_FILE: &str = "run.toml";

/// The asslb version recorded (`CARGO_PKG_VERSION`).
pub const ASSLB_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The git commit recorded, when the build set `ASSLB_GIT_COMMIT` (e.g. from a build script).
pub const ASSLB_GIT_COMMIT: Option<&str> = option_env!("ASSLB_GIT_COMMIT");

/// How the run stands when the record is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus<'a> {
    /// Started, not finished (written before solving, so that a killed run keeps its record).
    Running,
    /// Finished.
    Finished,
    /// Stopped by an error, with its full message.
    Failed(&'a str),
}

/// Writes `<dir>/run.toml` (`dir` must exist) and returns its path.
///
/// `scenario` is the fully resolved scenario, as a TOML table that reads back as the same
/// scenario (written under `[scenario]`, e.g. `Scenario::document`); `solver_stats` are
/// named figures (written under `[solver_stats]`, whole numbers below 2⁵³ as TOML integers,
/// the names being the caller's and carrying their unit, e.g. `wall_time_s`); `status` tells
/// how the run stands.
pub fn write_run_record(
    dir: &Path,
    scenario: &Table,
    solver_stats: &[(String, f64)],
    status: RunStatus<'_>,
) -> io::Result<PathBuf> {
    let text = run_record_toml(scenario, solver_stats, status, SystemTime::now())?;
    let path = dir.join(RUN_RECORD_FILE);
    let tmp = dir.join(format!("{RUN_RECORD_FILE}.partial"));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

/// The text of the record, written at `now`.
fn run_record_toml(
    scenario: &Table,
    solver_stats: &[(String, f64)],
    status: RunStatus<'_>,
    now: SystemTime,
) -> io::Result<String> {
    let mut asslb = Table::new();
    asslb.insert("version".into(), Value::String(ASSLB_VERSION.into()));
    if let Some(commit) = ASSLB_GIT_COMMIT {
        asslb.insert("git_commit".into(), Value::String(commit.into()));
    }
    asslb.insert("written_at".into(), Value::Datetime(utc_datetime(now)));
    let (status, error) = match status {
        RunStatus::Running => ("running", None),
        RunStatus::Finished => ("finished", None),
        RunStatus::Failed(e) => ("failed", Some(e)),
    };
    asslb.insert("status".into(), Value::String(status.into()));
    if let Some(e) = error {
        asslb.insert("error".into(), Value::String(e.into()));
    }
    asslb.insert(
        "scenario_digest".into(),
        Value::String(scenario_digest(scenario)?),
    );

    let mut stats = Table::new();
    for (name, v) in solver_stats {
        let value = if v.fract() == 0.0 && v.abs() < 9_007_199_254_740_992.0 {
            Value::Integer(*v as i64)
        } else {
            Value::Float(*v)
        };
        stats.insert(name.clone(), value);
    }

    let mut root = Table::new();
    root.insert("asslb".into(), Value::Table(asslb));
    root.insert("scenario".into(), Value::Table(scenario.clone()));
    root.insert("solver_stats".into(), Value::Table(stats));
    let body = toml::to_string(&root).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    Ok(format!(
        "# Written by asslb: the fully resolved scenario of this run, the asslb version and the\n\
         # solver statistics.\n\n{body}"
    ))
}

/// The digest of a scenario table, recorded as `scenario_digest` in `run.toml` so that
/// `--resume` can tell an edited `[scenario]` from the one the run started with: FNV-1a
/// (64 bits) of the table's TOML text, `fnv1a64:` and 16 hex digits. It guards against
/// accidental edits, not against forgery.
pub fn scenario_digest(scenario: &Table) -> io::Result<String> {
    let text =
        toml::to_string(scenario).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    Ok(format!("fnv1a64:{hash:016x}"))
}

/// `t` as a UTC date-time, to the second.
pub(crate) fn utc_datetime(t: SystemTime) -> Datetime {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    Datetime {
        date: Some(Date {
            year: year.clamp(0, 9999) as u16,
            month,
            day,
        }),
        time: Some(Time {
            hour: (rem / 3600) as u8,
            minute: (rem % 3600 / 60) as u8,
            second: (rem % 60) as u8,
            nanosecond: 0,
        }),
        offset: Some(Offset::Z),
    }
}

/// The proleptic Gregorian (year, month, day) of `days` since 1970-01-01 (H. Hinnant's
/// algorithm).
fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn scenario() -> Table {
        toml::from_str(
            r#"
            parameter_set = "Example2024"
            temperature_K = 298.15
            experiment = ["Charge at 0.1C until 4.3 V", "Discharge at 0.1C until 2.5 V"]
            [mesh]
            n = 20
            "#,
        )
        .unwrap()
    }

    #[test]
    fn dates_are_civil_utc() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(19_753), (2024, 1, 31));
        let t = UNIX_EPOCH + Duration::from_secs(19_753 * 86_400 + 12 * 3600 + 34 * 60 + 56);
        assert_eq!(utc_datetime(t).to_string(), "2024-01-31T12:34:56Z");
    }

    #[test]
    fn record_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let stats = vec![
            ("steps".to_string(), 1234.0),
            ("wall_time_s".to_string(), 2.5),
            ("unknowns".to_string(), 311.0),
        ];
        let path = write_run_record(dir.path(), &scenario(), &stats, RunStatus::Finished).unwrap();
        assert_eq!(path, dir.path().join(RUN_RECORD_FILE));
        assert!(!dir.path().join("run.toml.partial").exists());
        let text = std::fs::read_to_string(&path).unwrap();
        let record: Table = toml::from_str(&text).unwrap();
        assert_eq!(record["scenario"], Value::Table(scenario()));
        assert_eq!(record["asslb"]["version"].as_str(), Some(ASSLB_VERSION));
        assert_eq!(record["asslb"]["status"].as_str(), Some("finished"));
        assert!(record["asslb"].get("error").is_none());
        assert!(record["asslb"]["written_at"].as_datetime().is_some());
        let digest = scenario_digest(&scenario()).unwrap();
        assert_eq!(record["asslb"]["scenario_digest"].as_str(), Some(&*digest));
        // The digest survives the round trip through the file, and sees any edit.
        let read_back = record["scenario"].as_table().unwrap();
        assert_eq!(scenario_digest(read_back).unwrap(), digest);
        let mut edited = read_back.clone();
        edited.insert("temperature_K".into(), Value::Float(298.16));
        assert_ne!(scenario_digest(&edited).unwrap(), digest);
        assert_eq!(record["solver_stats"]["steps"].as_integer(), Some(1234));
        assert_eq!(record["solver_stats"]["wall_time_s"].as_float(), Some(2.5));
    }

    #[test]
    fn a_failed_run_records_its_error_and_replaces_the_old_record() {
        let dir = tempfile::tempdir().unwrap();
        write_run_record(dir.path(), &scenario(), &[], RunStatus::Running).unwrap();
        let stats = vec![("nan_stat".to_string(), f64::NAN)];
        let path = write_run_record(
            dir.path(),
            &scenario(),
            &stats,
            RunStatus::Failed("cycle 3, step 2: solver failed at t = 10 s"),
        )
        .unwrap();
        let record: Table = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        assert_eq!(record["asslb"]["status"].as_str(), Some("failed"));
        assert!(record["asslb"]["error"]
            .as_str()
            .is_some_and(|e| e.contains("cycle 3")));
        assert!(record["solver_stats"]["nan_stat"]
            .as_float()
            .is_some_and(f64::is_nan));
    }
}
