//! `report.html`: the validation's report as one self-contained page, beside `report.md`:
//! the verdict, the comparison table with pass and fail marked, the runs, the figures
//! (embedded) with their captions, and the sources.

use std::path::{Path, PathBuf};

use crate::html::{Cell, HtmlError, HtmlPage, Table};

use super::compare::Comparison;
use super::figures::VALIDATION_PLOTS;
use super::report::{
    comparison_grid, run_rows, sources, tally_line, ReportContent, BANDS_NOTE, ERROR_NOTE,
    FIGURES_NOTE, RUN_COLUMNS,
};
use super::ValidationError;

/// File name of the page.
pub const REPORT_PAGE_FILE: &str = "report.html";

/// The comparison table of `comparisons` for a page: the columns of the terminal table, the
/// verdict in green or red.
pub fn comparison_page_table(comparisons: &[Comparison]) -> Table {
    let grid = comparison_grid(comparisons);
    let numbers: Vec<usize> = (0..grid.numeric.len())
        .filter(|&k| grid.numeric[k])
        .collect();
    let mut table = Table::new(&grid.header).numbers_in(&numbers);
    for (row, c) in grid.rows.into_iter().zip(comparisons) {
        table.row(
            row.into_iter()
                .enumerate()
                .map(|(k, text)| {
                    if k == grid.verdict_column {
                        Cell::Verdict(c.pass)
                    } else {
                        Cell::Text(text)
                    }
                })
                .collect(),
        );
    }
    table
}

/// The caption of the validation figure `stem` (one of [`VALIDATION_PLOTS`]), on the pages of
/// validations and fits.
pub fn figure_caption(stem: &str) -> &'static str {
    match VALIDATION_PLOTS.iter().position(|&s| s == stem) {
        Some(0) => "Discharge capacity and capacity retention against cycle: measured (markers) and simulated (lines).",
        Some(1) => "Coulombic efficiency against cycle: measured (markers) and simulated (lines).",
        Some(2) => "Mean discharge voltage against cycle: measured (markers) and simulated (lines); voltage-decay targets below the simulated mean voltage of their reference cycle.",
        Some(3) => "Cell voltage against capacity of the compared cycles: measured curves (markers) over the simulated ones.",
        _ => "Validation figure.",
    }
}

/// Adds the validation figures among `figures` (their PNG files) to `page`, under a heading,
/// each with its caption; nothing without any.
pub fn add_figures(page: &mut HtmlPage, figures: &[PathBuf]) -> Result<(), HtmlError> {
    let pngs: Vec<&PathBuf> = figures
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "png"))
        .collect();
    if pngs.is_empty() {
        return Ok(());
    }
    page.heading("Figures");
    page.paragraph(FIGURES_NOTE);
    for png in pngs {
        let stem = png
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        page.figure(png, figure_caption(&stem))?;
    }
    Ok(())
}

/// Writes `<dir>/report.html` (atomically) with what `report.md` says, the figures (the PNG
/// files among `figures`) embedded.
pub fn write_report_page(
    dir: &Path,
    content: &ReportContent<'_>,
) -> Result<PathBuf, ValidationError> {
    let (spec, comparisons) = (content.spec, content.comparisons);
    let mut page = HtmlPage::new(&format!("Validation: {}", spec.name));
    if !spec.description.is_empty() {
        page.lead(spec.description.trim());
    }
    let failed = comparisons.iter().filter(|c| !c.pass).count();
    page.paragraph(&format!(
        "Validation file: {}. {}. Runs: {:.1} s wall time.",
        spec.path.display(),
        tally_line(comparisons),
        content.wall_time_s,
    ));
    page.heading(&if failed == 0 {
        "Comparisons: all within tolerance".to_string()
    } else {
        format!("Comparisons: {failed} out of tolerance")
    });
    page.table(&comparison_page_table(comparisons));
    page.paragraph(ERROR_NOTE);
    if comparisons.iter().any(|c| c.prediction_std.is_some()) {
        page.paragraph(BANDS_NOTE);
    }
    if let Some(note) = content.bands_note {
        page.paragraph(&format!("Note: {note}."));
    }
    page.heading("Runs");
    let mut table = Table::new(&RUN_COLUMNS).numbers_in(&[2, 3, 4, 5]);
    for [label, scenario, cycles, resolved, steps, wall, status] in run_rows(spec, content.runs) {
        table.row(vec![
            label.into(),
            Cell::Code(scenario),
            cycles.into(),
            resolved.into(),
            steps.into(),
            wall.into(),
            status.into(),
        ]);
    }
    page.table(&table);
    page.paragraph(
        "Each run's per-cycle figures: runs/<run>/summary.csv. Every comparison: comparison.csv.",
    );
    add_figures(&mut page, content.figures)?;
    page.heading("Sources");
    for s in sources(comparisons) {
        page.paragraph(&s);
    }
    Ok(page.write(&dir.join(REPORT_PAGE_FILE))?)
}
