//! Running a sweep (in parallel, sharded, resumable), its records, `sweep.csv`, and merging
//! shards.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error_chain::error_chain;
use crate::output::FolderLock;
use crate::scenario::{run_scenario, ExistingFiles};

use super::figures::{
    case_curves, csv_field, key_figures, number, read_cycles, CaseCurves, KeyFigures,
};
use super::{Sweep, SweepError};

/// The record of the expanded sweep in an output folder.
pub const SWEEP_RECORD_FILE: &str = "sweep.toml";
/// The one-row-per-case table.
pub const SWEEP_CSV_FILE: &str = "sweep.csv";
/// A case's record, in its folder.
pub const CASE_RECORD_FILE: &str = "case.toml";
/// The folder of the cases' folders.
pub const CASES_DIR: &str = "cases";

/// `--shard i/n`: the cases whose index `k` (from 1) has `(k − 1) mod n = i − 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// Which shard, from 1.
    pub index: usize,
    /// How many shards.
    pub count: usize,
}

impl Shard {
    /// Whether case `index` (from 1) belongs to this shard (never for 0).
    pub fn contains(&self, index: usize) -> bool {
        index
            .checked_sub(1)
            .is_some_and(|k| k % self.count.max(1) == self.index.wrapping_sub(1))
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = SweepError;

    fn from_str(s: &str) -> Result<Self, SweepError> {
        let fail = |expected: &str| SweepError::Shard {
            arg: s.to_string(),
            expected: expected.to_string(),
        };
        let (i, n) = s
            .split_once('/')
            .ok_or_else(|| fail("expected i/n, such as 1/4"))?;
        let (Ok(index), Ok(count)) = (i.trim().parse::<usize>(), n.trim().parse::<usize>()) else {
            return Err(fail("expected i/n with whole numbers, such as 1/4"));
        };
        if count == 0 {
            return Err(fail("the number of shards n must be at least 1"));
        }
        if index == 0 || index > count {
            return Err(fail(&format!(
                "the shard index i must be between 1 and {count}"
            )));
        }
        Ok(Shard { index, count })
    }
}

/// How to run a sweep.
#[derive(Debug, Clone)]
pub struct SweepOptions {
    /// The output folder.
    pub out: PathBuf,
    /// Rerun only the cases without an `ok` record in `out` (which must hold this sweep).
    pub resume: bool,
    /// Run only this shard's cases.
    pub shard: Option<Shard>,
    /// Cases run at once (`None`: one per core).
    pub jobs: Option<usize>,
}

/// How a case stands in a sweep (`case.toml` and `sweep.csv` write it in lower case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CaseStatus {
    /// Ran to the end.
    Ok,
    /// Stopped by an error.
    Failed,
    /// Never run, or killed while running (no record): `sweep.csv` only.
    Missing,
}

impl std::fmt::Display for CaseStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CaseStatus::Ok => "ok",
            CaseStatus::Failed => "failed",
            CaseStatus::Missing => "missing",
        })
    }
}

/// How a case ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseRecord {
    /// The case's index, from 1.
    pub index: usize,
    /// The case id.
    pub id: String,
    /// The sweep's identity.
    pub identity: String,
    /// `ok` or `failed`.
    pub status: CaseStatus,
    /// The error and its causes, one per line (failed cases).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Wall time of the case \[s\].
    pub wall_time_s: f64,
}

/// What `run_sweep` did.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepReport {
    /// The records of the cases run now, in case order.
    pub ran: Vec<CaseRecord>,
    /// Cases of the selection skipped because they had finished (`--resume`).
    pub skipped: usize,
    /// Cases with status `failed` in `sweep.csv`.
    pub failed: usize,
    /// `<out>/sweep.csv`.
    pub table: PathBuf,
    /// The comparison figures (PNG and SVG, see [`super::write_sweep_figures`]).
    pub figures: Vec<PathBuf>,
}

impl SweepReport {
    /// The summary `asslb sweep` ends with: the cases run, already finished and failed, the
    /// table, and the figures by name. Every line ends with a newline.
    pub fn summary_text(&self) -> String {
        let mut text = format!(
            "{} case{} run, {} already finished, {} failed; table: {}\n",
            self.ran.len(),
            if self.ran.len() == 1 { "" } else { "s" },
            self.skipped,
            self.failed,
            self.table.display()
        );
        if !self.figures.is_empty() {
            let names: Vec<String> = self
                .figures
                .iter()
                .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                .collect();
            text.push_str(&format!("figures: {}\n", names.join(", ")));
        }
        text
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(super) struct RecordHeader {
    name: String,
    file: String,
    scenario: String,
    mode: String,
    identity: String,
    pub(super) axes: Vec<String>,
    pub(super) retention_at: Vec<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    shard: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct RecordCase {
    index: usize,
    id: String,
    folder: String,
    labels: Vec<String>,
    overrides: Vec<String>,
    reference_cycle: usize,
    /// The case's counter electrode open-circuit potential vs Li/Li+ \[V\]
    /// (`negative.ocp_v`): the comparison figures draw voltages vs Li/Li+, so that cells with
    /// different counter electrodes compare by their chemistry (0 in records written before
    /// it was kept: Li metal).
    #[serde(default)]
    counter_potential_v: f64,
    /// Where the case's folder is, when not `<this folder>/cases/<folder>` (merged sweeps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    dir: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(super) struct SweepRecord {
    pub(super) sweep: RecordHeader,
    case: Vec<RecordCase>,
}

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> SweepError + '_ {
    move |source| SweepError::Output {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `text` to `path` through a temporary file and a rename, so that the file is either
/// the old one or whole.
fn write_atomically(path: &Path, text: &str) -> Result<(), SweepError> {
    let tmp = path.with_extension("toml.tmp");
    std::fs::write(&tmp, text).map_err(io_error(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io_error(path))
}

pub(super) fn read_record(dir: &Path) -> Result<SweepRecord, SweepError> {
    let path = dir.join(SWEEP_RECORD_FILE);
    let not = |reason: String| SweepError::NotASweep {
        dir: dir.to_path_buf(),
        reason,
    };
    let text =
        std::fs::read_to_string(&path).map_err(|e| not(format!("{}: {e}", path.display())))?;
    toml::from_str(&text).map_err(|e| not(format!("{}: {}", path.display(), e.message().trim())))
}

fn read_case_record(dir: &Path) -> Option<CaseRecord> {
    let text = std::fs::read_to_string(dir.join(CASE_RECORD_FILE)).ok()?;
    toml::from_str(&text).ok()
}

fn record_of(sweep: &Sweep, shard: Option<Shard>) -> SweepRecord {
    SweepRecord {
        sweep: RecordHeader {
            name: sweep.name.clone(),
            file: sweep.file.display().to_string(),
            scenario: sweep.scenario_file.display().to_string(),
            mode: sweep.mode.as_str().to_string(),
            identity: sweep.identity.clone(),
            axes: sweep.axes.iter().map(|a| a.name.clone()).collect(),
            retention_at: sweep.retention_at.clone(),
            shard: shard.map(|s| s.to_string()),
        },
        case: sweep
            .cases
            .iter()
            .map(|c| RecordCase {
                index: c.index,
                id: c.id.clone(),
                folder: c.folder.clone(),
                labels: c.labels.clone(),
                overrides: c.overrides.iter().map(|o| o.arg().to_string()).collect(),
                reference_cycle: c.reference_cycle,
                counter_potential_v: c.scenario.parameters.negative.ocp_v,
                dir: None,
            })
            .collect(),
    }
}

/// Runs the cases of `sweep` (those of the shard, and with `resume` only those without an `ok`
/// record) into `<out>/cases/<folder>/`, in parallel, then writes `<out>/sweep.csv`.
///
/// Before any case runs: `out` must not hold a sweep record already unless `resume` is set,
/// and with `resume` it must hold this sweep's (same identity); then `sweep.toml` is written.
/// A case that fails (or panics) is recorded as failed and the others go on. `on_case` hears of
/// each case as it ends (from the worker threads).
pub fn run_sweep(
    sweep: &Sweep,
    options: &SweepOptions,
    on_case: &(dyn Fn(&CaseRecord) + Sync),
) -> Result<SweepReport, SweepError> {
    let out = &options.out;
    let record_path = out.join(SWEEP_RECORD_FILE);
    if record_path.exists() {
        if !options.resume {
            return Err(SweepError::OutputExists { dir: out.clone() });
        }
        let old = read_record(out)?;
        if old.sweep.identity != sweep.identity {
            return Err(SweepError::DifferentSweep {
                first: out.clone(),
                second: sweep.file.clone(),
            });
        }
    }
    if options.jobs == Some(0) {
        return Err(SweepError::Jobs);
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.jobs.unwrap_or(0))
        .build()
        .map_err(SweepError::ThreadPool)?;
    // The sweep owns its folder while it runs: a second sweep into it is refused at once.
    std::fs::create_dir_all(out).map_err(io_error(out))?;
    let _lock = FolderLock::acquire(out)?;
    let cases_dir = out.join(CASES_DIR);
    std::fs::create_dir_all(&cases_dir).map_err(io_error(&cases_dir))?;
    let record = record_of(sweep, options.shard);
    let text = toml::to_string(&record).map_err(SweepError::Record)?;
    write_atomically(&record_path, &text)?;

    let selected: Vec<&super::Case> = sweep
        .cases
        .iter()
        .filter(|c| options.shard.is_none_or(|s| s.contains(c.index)))
        .collect();
    let todo: Vec<&super::Case> = selected
        .iter()
        .copied()
        .filter(|c| {
            !options.resume
                || read_case_record(&cases_dir.join(&c.folder))
                    .is_none_or(|r| r.status != CaseStatus::Ok || r.identity != sweep.identity)
        })
        .collect();
    let skipped = selected.len() - todo.len();
    let ran: Vec<Result<CaseRecord, SweepError>> = pool.install(|| {
        todo.par_iter()
            .map(|case| {
                let dir = cases_dir.join(&case.folder);
                // A stale record must not outlive a rerun that is killed.
                let _ = std::fs::remove_file(dir.join(CASE_RECORD_FILE));
                let started = Instant::now();
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    // The sweep owns its cases' folders (it refuses an existing output folder
                    // unless resuming), so a case rerun replaces the case's earlier files.
                    run_scenario(&case.scenario, &dir, ExistingFiles::Replace, &mut ())
                }));
                let error = match result {
                    Ok(Ok(_)) => None,
                    Ok(Err(e)) => Some(error_chain(&e)),
                    Err(panic) => Some(format!(
                        "the case panicked: {}",
                        panic
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                            .unwrap_or_default()
                    )),
                };
                let record = CaseRecord {
                    index: case.index,
                    id: case.id.clone(),
                    identity: sweep.identity.clone(),
                    status: if error.is_some() {
                        CaseStatus::Failed
                    } else {
                        CaseStatus::Ok
                    },
                    error,
                    wall_time_s: started.elapsed().as_secs_f64(),
                };
                std::fs::create_dir_all(&dir).map_err(io_error(&dir))?;
                let text = toml::to_string(&record).map_err(SweepError::Record)?;
                write_atomically(&dir.join(CASE_RECORD_FILE), &text)?;
                on_case(&record);
                Ok(record)
            })
            .collect()
    });
    let ran = ran.into_iter().collect::<Result<Vec<_>, _>>()?;
    let rows: Vec<(&RecordCase, PathBuf)> = record
        .case
        .iter()
        .filter(|c| options.shard.is_none_or(|s| s.contains(c.index)))
        .map(|c| (c, cases_dir.join(&c.folder)))
        .collect();
    let (table, failed) = write_table(out, &record.sweep, &rows)?;
    let figures = super::write_sweep_figures(out)?;
    Ok(SweepReport {
        ran,
        skipped,
        failed,
        table,
        figures,
    })
}

/// One row of `sweep.csv`, as plain values.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseSummary {
    /// The case's index, from 1.
    pub index: usize,
    /// The case id.
    pub id: String,
    /// The label on each axis.
    pub labels: Vec<String>,
    /// `ok`, `failed`, or `missing` (never run, or killed while running).
    pub status: CaseStatus,
    /// The last line of the error chain, its root cause (failed cases).
    pub error: Option<String>,
    /// The key figures (from whatever cycles were written).
    pub figures: KeyFigures,
    /// Wall time \[s\] (`None` for a missing case).
    pub wall_time_s: Option<f64>,
}

fn summarise(
    header: &RecordHeader,
    case: &RecordCase,
    dir: &Path,
) -> Result<(CaseSummary, Vec<super::figures::CycleFigures>), SweepError> {
    let record = read_case_record(dir).filter(|r| r.identity == header.identity);
    let cycles = read_cycles(dir).map_err(io_error(dir))?;
    let figures = key_figures(&cycles, case.reference_cycle, &header.retention_at);
    Ok((
        CaseSummary {
            index: case.index,
            id: case.id.clone(),
            labels: case.labels.clone(),
            status: record.as_ref().map_or(CaseStatus::Missing, |r| r.status),
            error: record
                .as_ref()
                .and_then(|r| r.error.as_ref())
                .map(|e| e.lines().last().unwrap_or("").to_string()),
            figures,
            wall_time_s: record.map(|r| r.wall_time_s),
        },
        cycles,
    ))
}

/// Writes `<out>/sweep.csv`; returns its path and the number of failed cases.
fn write_table(
    out: &Path,
    header: &RecordHeader,
    rows: &[(&RecordCase, PathBuf)],
) -> Result<(PathBuf, usize), SweepError> {
    let mut text = String::from("index,case");
    for a in &header.axes {
        text.push(',');
        text.push_str(&csv_field(a));
    }
    text.push_str(",status,error,reference_cycle,initial_discharge_capacity_mAh_g");
    for n in &header.retention_at {
        text.push_str(&format!(",retention_pct_at_{n}"));
    }
    text.push_str(",cycle_at_80pct_retention,mean_discharge_voltage_decay_V,final_interface_resistance_ohm,cycles_run,wall_time_s\n");
    let mut failed = 0;
    for (case, dir) in rows {
        let (s, _) = summarise(header, case, dir)?;
        failed += usize::from(s.status == CaseStatus::Failed);
        let f = &s.figures;
        let mut fields = vec![s.index.to_string(), csv_field(&s.id)];
        fields.extend(s.labels.iter().map(|l| csv_field(l)));
        fields.push(s.status.to_string());
        fields.push(csv_field(s.error.as_deref().unwrap_or("")));
        fields.push(f.reference_cycle.to_string());
        fields.push(number(f.initial_capacity_mah_g));
        fields.extend(f.retention_pct.iter().map(|r| number(*r)));
        fields.push(f.cycle_at_80pct.map(|n| n.to_string()).unwrap_or_default());
        fields.push(number(f.mean_voltage_decay_v));
        fields.push(number(f.final_interface_resistance_ohm));
        fields.push(f.cycles_run.to_string());
        fields.push(number(s.wall_time_s));
        text.push_str(&fields.join(","));
        text.push('\n');
    }
    let path = out.join(SWEEP_CSV_FILE);
    let tmp = out.join(format!("{SWEEP_CSV_FILE}.tmp"));
    std::fs::write(&tmp, text).map_err(io_error(&tmp))?;
    std::fs::rename(&tmp, &path).map_err(io_error(&path))?;
    Ok((path, failed))
}

/// The cases of a sweep's output folder (run, sharded or merged): where each case's folder is.
fn case_dirs(dir: &Path, record: &SweepRecord) -> Vec<(RecordCase, PathBuf)> {
    record
        .case
        .iter()
        .map(|c| {
            let d = c
                .dir
                .as_ref()
                .map(PathBuf::from)
                .unwrap_or_else(|| dir.join(CASES_DIR).join(&c.folder));
            (c.clone(), d)
        })
        .collect()
}

/// Per case of the sweep in `dir` (an output folder of `asslb sweep` or `asslb sweep merge`),
/// its row of `sweep.csv` and its curves against cycle, for comparison plots. Every case of
/// the sweep is there; one that has not run has status `missing` and empty curves.
pub fn sweep_results(dir: &Path) -> Result<Vec<(CaseSummary, CaseCurves)>, SweepError> {
    let record = read_record(dir)?;
    let mut results = Vec::new();
    for (case, case_dir) in case_dirs(dir, &record) {
        let (summary, cycles) = summarise(&record.sweep, &case, &case_dir)?;
        let curves = case_curves(
            &case.id,
            &cycles,
            case.reference_cycle,
            case.counter_potential_v,
        );
        results.push((summary, curves));
    }
    Ok(results)
}

/// Merges the output folders of shards of one sweep into `out`: checks that all hold the same
/// sweep (identity), then writes `<out>/sweep.toml`, which points at each case's folder where
/// it is (nothing is copied), and `<out>/sweep.csv` with every case of the sweep (`missing`
/// for a case no shard ran). For a case in several folders, an `ok` record wins, then the
/// first folder given. The comparison figures are drawn from the merged cases. Nothing is
/// written if any check fails.
pub fn merge_sweeps(dirs: &[PathBuf], out: &Path) -> Result<PathBuf, SweepError> {
    let Some(first_dir) = dirs.first() else {
        return Err(SweepError::NothingToMerge);
    };
    let records = dirs
        .iter()
        .map(|d| read_record(d))
        .collect::<Result<Vec<_>, _>>()?;
    for (d, r) in dirs.iter().zip(&records).skip(1) {
        if r.sweep.identity != records[0].sweep.identity {
            return Err(SweepError::DifferentSweep {
                first: first_dir.clone(),
                second: d.clone(),
            });
        }
    }
    if out.join(SWEEP_RECORD_FILE).exists() {
        let existing = read_record(out)?;
        if existing.sweep.identity != records[0].sweep.identity {
            return Err(SweepError::DifferentSweep {
                first: first_dir.clone(),
                second: out.to_path_buf(),
            });
        }
    }
    let mut merged = records[0].clone();
    merged.sweep.shard = None;
    for case in &mut merged.case {
        let mut chosen: Option<PathBuf> = None;
        for (d, r) in dirs.iter().zip(&records) {
            let Some((_, dir)) = case_dirs(d, r)
                .into_iter()
                .find(|(c, _)| c.index == case.index)
            else {
                continue;
            };
            let status = read_case_record(&dir)
                .filter(|c| c.identity == merged.sweep.identity)
                .map(|c| c.status);
            match status {
                Some(CaseStatus::Ok) => {
                    chosen = Some(dir);
                    break;
                }
                Some(_) if chosen.is_none() => chosen = Some(dir),
                _ => {}
            }
        }
        let dir = chosen.unwrap_or_else(|| first_dir.join(CASES_DIR).join(&case.folder));
        let dir = std::path::absolute(&dir).unwrap_or(dir);
        case.dir = Some(dir.display().to_string());
    }
    std::fs::create_dir_all(out).map_err(io_error(out))?;
    let rows: Vec<(&RecordCase, PathBuf)> = merged
        .case
        .iter()
        .map(|c| (c, PathBuf::from(c.dir.clone().unwrap_or_default())))
        .collect();
    let (table, _) = write_table(out, &merged.sweep, &rows)?;
    let text = toml::to_string(&merged).map_err(SweepError::Record)?;
    write_atomically(&out.join(SWEEP_RECORD_FILE), &text)?;
    super::write_sweep_figures(out)?;
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_cases() {
        let shards: Vec<Shard> = (1..=3)
            .map(|i| format!("{i}/3").parse().expect("shard"))
            .collect();
        for k in 1..=10 {
            assert_eq!(
                shards.iter().filter(|s| s.contains(k)).count(),
                1,
                "case {k}"
            );
        }
        assert!(shards[0].contains(1) && shards[0].contains(4) && shards[2].contains(9));
        assert_eq!(shards[1].to_string(), "2/3");
        for bad in ["0/3", "4/3", "1/0", "1", "a/3", "1/-2", ""] {
            let e = bad.parse::<Shard>().expect_err(bad).to_string();
            assert!(e.starts_with(&format!("--shard {bad}:")), "{e}");
        }
    }
}
