//! The suite's reports: `cases.csv` (one row per case, with the command line that reproduces
//! it), `report.md` (counts per class, per set, per feature, the solver failures by flag and
//! by the kind of step they happened in, and every case that did not complete with its command
//! line), and a one-screen summary for standard output.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use super::case::Feature;
use super::classify::Class;
use super::generator::SET_NAMES;
use super::runner::{CaseResult, SuiteReport};
use super::RobustnessError;

/// The per-case table in the output folder.
pub const CASES_CSV_FILE: &str = "cases.csv";

/// The Markdown report in the output folder.
pub const REPORT_FILE: &str = "report.md";

/// The columns of `cases.csv`.
pub const CASES_CSV_HEADER: [&str; 12] = [
    "index",
    "seed",
    "set",
    "class",
    "detail",
    "flag",
    "failed_step",
    "wall_time_s",
    "cycles",
    "features",
    "folder",
    "command",
];

/// Writes `cases.csv` at `path`: [`CASES_CSV_HEADER`], one row per case in index order
/// (`folder` empty when the folder was deleted after a completed case).
pub fn write_cases_csv(path: &Path, report: &SuiteReport) -> Result<(), RobustnessError> {
    let csv_error = |source| RobustnessError::Csv {
        path: path.to_path_buf(),
        source,
    };
    let mut w = csv::Writer::from_path(path).map_err(csv_error)?;
    w.write_record(CASES_CSV_HEADER).map_err(csv_error)?;
    for r in &report.results {
        let flag = r
            .outcome
            .failure
            .as_ref()
            .and_then(|f| f.flag.clone())
            .unwrap_or_default();
        let folder = if r.dir.exists() {
            r.dir.display().to_string()
        } else {
            String::new()
        };
        w.write_record([
            r.case.index.to_string(),
            r.case.seed.to_string(),
            r.case.set.clone(),
            r.outcome.class.name().to_string(),
            r.outcome.detail.clone(),
            flag,
            r.failed_step_kind().unwrap_or("").to_string(),
            format!("{:.3}", r.wall_s),
            r.case.cycles.to_string(),
            r.case.feature_list(),
            folder,
            r.command.clone(),
        ])
        .map_err(csv_error)?;
    }
    w.flush().map_err(|source| RobustnessError::Io {
        path: path.to_path_buf(),
        action: "cannot write",
        source,
    })
}

/// Counts of `key(r)` over the results whose class is `class` (or over all with `None`).
fn tally<'a>(
    results: &'a [CaseResult],
    class: Option<Class>,
    key: impl Fn(&'a CaseResult) -> Option<String>,
) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for r in results
        .iter()
        .filter(|r| class.is_none_or(|c| r.outcome.class == c))
    {
        if let Some(k) = key(r) {
            *counts.entry(k).or_insert(0) += 1;
        }
    }
    counts
}

/// The classes that occur, in report order (completed always).
fn classes_seen(report: &SuiteReport) -> Vec<Class> {
    Class::ALL
        .into_iter()
        .filter(|&c| c == Class::Completed || report.count(c) > 0)
        .collect()
}

fn percent(n: usize, of: usize) -> String {
    if of == 0 {
        "-".to_string()
    } else {
        format!("{:.0} %", 100.0 * n as f64 / of as f64)
    }
}

/// The Markdown report (module documentation).
pub fn report_markdown(report: &SuiteReport) -> String {
    let n = report.results.len();
    let mut md = String::new();
    let _ = writeln!(md, "# Robustness suite: seed {}, {n} cases\n", report.seed);
    let _ = writeln!(
        md,
        "{n} cases, {} at once, timeout {:.0} s per case, {:.1} s in all; output in `{}`.\n",
        report.jobs,
        report.timeout_s,
        report.wall_s,
        report.out.display()
    );
    let verdict = if report.all_acceptable() {
        "every case completed or was rejected before solving"
    } else {
        "some cases failed"
    };
    let _ = writeln!(md, "Verdict: **{verdict}**.\n");

    let _ = writeln!(
        md,
        "## Outcomes\n\n| class | cases | share |\n|---|---:|---:|"
    );
    for c in Class::ALL {
        let k = report.count(c);
        let _ = writeln!(md, "| {} | {k} | {} |", c.name(), percent(k, n));
    }

    let seen = classes_seen(report);
    let header = |md: &mut String, first: &str| {
        let _ = write!(md, "| {first} | cases |");
        for c in &seen {
            let _ = write!(md, " {} |", c.name());
        }
        let _ = write!(md, "\n|---|---:|");
        for _ in &seen {
            let _ = write!(md, "---:|");
        }
        md.push('\n');
    };
    let row = |md: &mut String, name: &str, rows: Vec<&CaseResult>| {
        let _ = write!(md, "| {name} | {} |", rows.len());
        for c in &seen {
            let k = rows.iter().filter(|r| r.outcome.class == *c).count();
            let _ = write!(md, " {k} |");
        }
        md.push('\n');
    };

    let _ = writeln!(md, "\n## By parameter set\n");
    header(&mut md, "set");
    let mut sets: Vec<String> = SET_NAMES.iter().map(|s| s.to_string()).collect();
    for r in &report.results {
        if !sets.contains(&r.case.set) {
            sets.push(r.case.set.clone());
        }
    }
    for set in &sets {
        let rows: Vec<&CaseResult> = report
            .results
            .iter()
            .filter(|r| &r.case.set == set)
            .collect();
        row(&mut md, &format!("`{set}`"), rows);
    }

    let _ = writeln!(
        md,
        "\n## By step kind and option\n\nA case counts in every row whose step kind or option it has (`cc` and `temperature`: every case).\n"
    );
    header(&mut md, "feature");
    for f in Feature::ALL {
        let rows: Vec<&CaseResult> = report.results.iter().filter(|r| r.case.has(f)).collect();
        row(&mut md, f.name(), rows);
    }

    let _ = writeln!(
        md,
        "\n## Constant-voltage holds by set\n\n| set | cases with a hold | not completed | cases without | not completed |\n|---|---:|---:|---:|---:|"
    );
    for set in &sets {
        let of = |hold: bool| {
            let rows: Vec<&CaseResult> = report
                .results
                .iter()
                .filter(|r| &r.case.set == set && r.case.has(Feature::Hold) == hold)
                .collect();
            let bad = rows
                .iter()
                .filter(|r| r.outcome.class != Class::Completed)
                .count();
            (rows.len(), bad)
        };
        let ((with, with_bad), (without, without_bad)) = (of(true), of(false));
        let _ = writeln!(
            md,
            "| `{set}` | {with} | {with_bad} | {without} | {without_bad} |"
        );
    }

    let failures = report.count(Class::SolverFailure);
    if failures > 0 {
        let _ = writeln!(md, "\n## Solver failures\n");
        let flags = tally(&report.results, Some(Class::SolverFailure), |r| {
            Some(
                r.outcome
                    .failure
                    .as_ref()
                    .and_then(|f| f.flag.clone())
                    .unwrap_or_else(|| "(no SUNDIALS flag)".to_string()),
            )
        });
        let _ = writeln!(md, "| SUNDIALS flag | cases |\n|---|---:|");
        for (k, v) in &flags {
            let _ = writeln!(md, "| {k} | {v} |");
        }
        let kinds = tally(&report.results, Some(Class::SolverFailure), |r| {
            Some(r.failed_step_kind().unwrap_or("(unknown)").to_string())
        });
        let _ = writeln!(md, "\n| failed in a step of kind | cases |\n|---|---:|");
        for (k, v) in &kinds {
            let _ = writeln!(md, "| {k} | {v} |");
        }
        let at_start = report
            .results
            .iter()
            .filter(|r| {
                r.outcome
                    .failure
                    .as_ref()
                    .is_some_and(|f| f.time_s == Some(0.0))
            })
            .count();
        let _ = writeln!(md, "\n{at_start} of the {failures} failed at t = 0 s.");
    }

    let failed: Vec<&CaseResult> = report
        .results
        .iter()
        .filter(|r| r.outcome.class != Class::Completed)
        .collect();
    let _ = writeln!(md, "\n## Cases that did not complete ({})\n", failed.len());
    if failed.is_empty() {
        let _ = writeln!(md, "None.");
    }
    for r in failed {
        let step = r
            .outcome
            .failure
            .as_ref()
            .and_then(|f| r.case.step_text(f.cycle?, f.step?))
            .map(|s| format!(" in \"{s}\""))
            .unwrap_or_default();
        let _ = writeln!(
            md,
            "- case {} (`{}`, {} cycles, {}): **{}** {}{step}\n\n  ```sh\n  {}\n  ```\n",
            r.case.index,
            r.case.set,
            r.case.cycles,
            r.case.feature_list(),
            r.outcome.class.name(),
            r.outcome.detail.replace('\n', " "),
            r.command
        );
    }
    md
}

/// Writes [`report_markdown`] to `path`.
pub fn write_report_md(path: &Path, report: &SuiteReport) -> Result<(), RobustnessError> {
    std::fs::write(path, report_markdown(report)).map_err(|source| RobustnessError::Io {
        path: path.to_path_buf(),
        action: "cannot write",
        source,
    })
}

/// The one-screen summary: counts per class, per set, the solver failures' flags and step
/// kinds, up to ten cases that failed, and where the reports are.
pub fn summary_text(report: &SuiteReport) -> String {
    let n = report.results.len();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "robustness: seed {}, {n} cases in {:.1} s ({} at once)",
        report.seed, report.wall_s, report.jobs
    );
    let counts: Vec<String> = Class::ALL
        .into_iter()
        .map(|c| format!("{} {}", c.name(), report.count(c)))
        .collect();
    let _ = writeln!(s, "  {}", counts.join(", "));
    for set in SET_NAMES {
        let rows: Vec<&CaseResult> = report
            .results
            .iter()
            .filter(|r| r.case.set == set)
            .collect();
        if rows.is_empty() {
            continue;
        }
        let bad: Vec<String> = Class::ALL
            .into_iter()
            .filter(|&c| c != Class::Completed)
            .filter_map(|c| {
                let k = rows.iter().filter(|r| r.outcome.class == c).count();
                (k > 0).then(|| format!("{} {k}", c.name()))
            })
            .collect();
        let completed = rows
            .iter()
            .filter(|r| r.outcome.class == Class::Completed)
            .count();
        let _ = writeln!(
            s,
            "  {set:<26} {completed:>4}/{:<4} completed{}{}",
            rows.len(),
            if bad.is_empty() { "" } else { "; " },
            bad.join(", ")
        );
    }
    let flags = tally(&report.results, Some(Class::SolverFailure), |r| {
        Some(
            r.outcome
                .failure
                .as_ref()
                .and_then(|f| f.flag.clone())
                .unwrap_or_else(|| "(no flag)".to_string()),
        )
    });
    if !flags.is_empty() {
        let list: Vec<String> = flags.iter().map(|(k, v)| format!("{k} {v}")).collect();
        let _ = writeln!(s, "  solver failures by flag: {}", list.join(", "));
        let kinds = tally(&report.results, Some(Class::SolverFailure), |r| {
            Some(r.failed_step_kind().unwrap_or("(unknown)").to_string())
        });
        let list: Vec<String> = kinds.iter().map(|(k, v)| format!("{k} {v}")).collect();
        let _ = writeln!(s, "  solver failures by step kind: {}", list.join(", "));
    }
    let bad: Vec<&CaseResult> = report
        .results
        .iter()
        .filter(|r| !r.outcome.class.is_acceptable())
        .collect();
    for r in bad.iter().take(10) {
        let mut detail = r.outcome.detail.replace('\n', " ");
        if detail.chars().count() > 90 {
            detail = detail.chars().take(89).collect::<String>() + "…";
        }
        let _ = writeln!(
            s,
            "  case {:>4} {:<26} {:<14} {detail}",
            r.case.index,
            r.case.set,
            r.outcome.class.name()
        );
    }
    if bad.len() > 10 {
        let _ = writeln!(s, "  … and {} more", bad.len() - 10);
    }
    let _ = writeln!(
        s,
        "report: {}; table: {}",
        report.out.join(REPORT_FILE).display(),
        report.out.join(CASES_CSV_FILE).display()
    );
    s
}
