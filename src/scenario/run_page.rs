//! The reports of a finished run, `report.html` (one self-contained page, the figures
//! embedded) and `report.md` beside it: what was run (scenario, parameters, experiment), the
//! key numbers (capacities, retention, coulombic efficiency, voltages, solver), the figures
//! with captions, and the summary `asslb run` prints.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::figures::{
    CAPACITY_EFFICIENCY_PLOT, DIFFERENTIAL_CAPACITY_PLOT, MEAN_VOLTAGE_PLOT, NYQUIST_PLOT,
    RESISTANCE_PLOT, VOLTAGE_CAPACITY_PLOT,
};
use crate::html::{write_file, Cell, HtmlPage, Table};
use crate::output::{CycleTally, FolderLock, RUN_PAGE_FILE, RUN_REPORT_FILE};

use super::run_summary::{cycle_rows, percent};
use super::{RunError, RunReport, Scenario};

/// The caption of the run figure `stem`.
fn caption(stem: &str) -> &'static str {
    match stem {
        VOLTAGE_CAPACITY_PLOT => "Cell voltage against capacity of the saved cycles (charge and discharge).",
        CAPACITY_EFFICIENCY_PLOT => "Discharge capacity and coulombic efficiency against cycle.",
        MEAN_VOLTAGE_PLOT => "Mean charge and discharge voltages against cycle.",
        DIFFERENTIAL_CAPACITY_PLOT => "Differential capacity dQ/dV (and dV/dQ) of the saved cycles.",
        NYQUIST_PLOT => "Impedance spectra (Nyquist), with their equivalent-circuit fits when the scenario names a circuit.",
        RESISTANCE_PLOT => "Fitted resistances of the equivalent circuit against cycle.",
        _ => "Run figure.",
    }
}

/// What the run is of: scenario, its file, the parameters (built-in set or file), the mass of
/// active material and the experiment's cycles, as (label, value) pairs.
fn what_was_run(scenario: &Scenario) -> Vec<(&'static str, String)> {
    let mut rows = vec![("scenario", scenario.name.clone())];
    if let Some(path) = &scenario.path {
        rows.push(("scenario file", path.display().to_string()));
    }
    for (key, label) in [
        ("parameter_set", "parameter set"),
        ("parameter_file", "parameter file"),
    ] {
        if let Some(v) = scenario.document.get(key).and_then(|v| v.as_str()) {
            rows.push((label, v.to_string()));
        }
    }
    if let Some(m) = scenario.parameters.active_mass_kg() {
        rows.push(("active mass", format!("{:.4} mg", m * 1e6)));
    }
    rows.push((
        "experiment",
        format!(
            "{} cycles; retention and mean coulombic efficiency from cycle {}",
            scenario.experiment.cycles(),
            scenario.reference_cycle
        ),
    ));
    rows
}

/// The key numbers of the run beyond the first and last cycle: retention, mean coulombic
/// efficiency, solver, as (label, value) pairs.
fn run_numbers(report: &RunReport, tally: &CycleTally, total_s: f64) -> Vec<(String, String)> {
    let s = &report.summary;
    let mut rows = vec![("cycles run".to_string(), s.cycles.to_string())];
    if let (Some(reference), Some(last)) = (tally.retention_reference(), s.last_cycle.as_ref()) {
        if last.cycle > reference {
            rows.push((
                format!(
                    "capacity retention at cycle {} (of cycle {reference})",
                    last.cycle
                ),
                percent(tally.capacity_retention(last), 2),
            ));
        }
    }
    if tally.efficiency_cycles() > 1 {
        rows.push((
            format!(
                "mean coulombic efficiency ({} cycles from cycle {})",
                tally.efficiency_cycles(),
                tally.reference_cycle()
            ),
            percent(tally.mean_coulombic_efficiency(), 3),
        ));
    }
    if s.jumps > 0 {
        rows.push((
            "cycles jumped over (cycle jumping)".to_string(),
            format!("{} in {} jumps", s.jumped_cycles, s.jumps),
        ));
    }
    rows.push(("skipped steps".to_string(), s.skipped_steps.to_string()));
    rows.push((
        "solver".to_string(),
        format!("{} unknowns, {} internal steps", s.unknowns, s.solver_steps),
    ));
    rows.push((
        "wall time".to_string(),
        format!("{:.3} s ({total_s:.3} s with the files)", s.wall_time_s),
    ));
    rows
}

impl RunReport {
    /// Writes `<out>/report.html` and `<out>/report.md` (each atomically, holding the folder's
    /// lock) for this finished run of `scenario`; `summary` is the printed summary
    /// ([`RunReport::summary_text`]), `tally` the run's per-cycle tally, `total_s` \[s\] the wall
    /// time with the files. Returns both paths, the page first.
    pub fn write_report_files(
        &self,
        scenario: &Scenario,
        tally: &CycleTally,
        summary: &str,
        out: &Path,
        total_s: f64,
    ) -> Result<[PathBuf; 2], RunError> {
        let _lock = FolderLock::acquire(out)?;
        let page_error = |source| RunError::Report {
            path: out.to_path_buf(),
            source,
        };
        let title = format!("Run: {}", scenario.name);
        let mut page = HtmlPage::new(&title);
        let mut md = format!("# Run `{}`\n\n", scenario.name);
        if !scenario.description.is_empty() {
            page.lead(scenario.description.trim());
            let _ = writeln!(md, "{}\n", scenario.description.trim());
        }
        let mut what = Table::new(&["", ""]);
        for (label, value) in what_was_run(scenario) {
            what.row(vec![label.into(), Cell::Code(value.clone())]);
            let _ = writeln!(md, "- {label}: `{value}`");
        }
        page.table(&what);

        page.heading("Key numbers");
        md.push_str("\n## Key numbers\n\n");
        let rows = cycle_rows(scenario, &self.summary);
        if let Some(((_, titles), rest)) = rows.split_first() {
            let mut header = vec![""];
            header.extend(titles.iter().map(String::as_str));
            let mut table = Table::new(&header).numbers_in(&(1..header.len()).collect::<Vec<_>>());
            let _ = writeln!(md, "| | {} |", titles.join(" | "));
            let _ = writeln!(md, "|---|{}", "---:|".repeat(titles.len()));
            for (label, cells) in rest {
                let mut row = vec![Cell::from(*label)];
                row.extend(cells.iter().map(|c| Cell::from(c.clone())));
                table.row(row);
                let _ = writeln!(md, "| {label} | {} |", cells.join(" | "));
            }
            page.table(&table);
            md.push('\n');
        }
        let mut table = Table::new(&["", ""]).numbers_in(&[1]);
        for (label, value) in run_numbers(self, tally, total_s) {
            let _ = writeln!(md, "- {label}: {value}");
            table.row(vec![label.into(), value.into()]);
        }
        page.table(&table);

        let pngs: Vec<&PathBuf> = self
            .plots
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "png"))
            .collect();
        if !pngs.is_empty() {
            page.heading("Figures");
            md.push_str("\n## Figures\n\n");
            for png in pngs {
                let stem = png
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                page.figure(png, caption(&stem)).map_err(page_error)?;
                let _ = writeln!(
                    md,
                    "![{}]({stem}.png)\n\n{}\n",
                    caption(&stem),
                    caption(&stem)
                );
            }
        }
        page.heading("Summary");
        page.paragraph("As asslb run prints it.");
        page.preformatted(summary);
        let _ = write!(md, "\n## Summary\n\n```text\n{}\n```\n", summary.trim_end());

        let html = page.write(&out.join(RUN_PAGE_FILE)).map_err(page_error)?;
        let markdown = out.join(RUN_REPORT_FILE);
        write_file(&markdown, &md).map_err(page_error)?;
        Ok([html, markdown])
    }
}
