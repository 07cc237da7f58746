//! `fit_report.html`: the fit's report as one self-contained page, beside `fit_report.md`: the
//! fitted parameters with their uncertainties, the correlation matrix, the statistics, the
//! comparisons at the fitted values with pass and fail marked, and the validation's figures
//! (embedded).

use std::path::{Path, PathBuf};

use crate::html::{Cell, HtmlPage, Table};
use crate::validation::report::{tally_line, ERROR_NOTE};
use crate::validation::report_page::{add_figures, comparison_page_table};
use crate::validation::{ValidationError, ValidationReport};

use super::cell_fit::CellFitReport;
use super::fit_spec::FitSpec;
use super::fit_text::{parameter_rows, statistics, PARAMETER_COLUMNS};

/// File name of the page.
pub const FIT_PAGE_FILE: &str = "fit_report.html";

/// The correlation matrix as a table: a row and a column per parameter, numbered as in the
/// parameter table.
fn correlation_page_table(report: &CellFitReport) -> Table {
    let n = report.parameters.len();
    let numbers: Vec<String> = (1..=n).map(|k| format!("[{k}]")).collect();
    let mut header = vec!["parameter"];
    header.extend(numbers.iter().map(String::as_str));
    let mut table = Table::new(&header).numbers_in(&(1..=n).collect::<Vec<_>>());
    for (k, (p, row)) in report
        .parameters
        .iter()
        .zip(&report.fit.correlation)
        .enumerate()
    {
        let mut cells = vec![Cell::Code(format!("[{}] {}", k + 1, p.path))];
        cells.extend(row.iter().map(|v| {
            Cell::Text(if v.is_finite() {
                format!("{v:+.3}")
            } else {
                "—".into()
            })
        }));
        table.row(cells);
    }
    table
}

/// Writes `<out>/fit_report.html` (atomically) for the fit `report` of `spec`, with the
/// validation at the fitted values `validation` (its figures embedded).
pub fn write_fit_page(
    out: &Path,
    spec: &FitSpec,
    report: &CellFitReport,
    validation: &ValidationReport,
) -> Result<PathBuf, ValidationError> {
    let mut page = HtmlPage::new(&format!("Fit: {}", spec.name));
    if !spec.description.is_empty() {
        page.lead(spec.description.trim());
    }
    page.paragraph(&format!(
        "Fit file {}, data and runs from {}. Residuals are deviations divided by their tolerances. At the fitted values: {}.",
        spec.path.display(),
        spec.validation.path.display(),
        tally_line(&validation.comparisons),
    ));
    page.heading("Fitted parameters");
    let mut table = Table::new(&PARAMETER_COLUMNS).numbers_in(&[3, 4, 5, 6]);
    for (k, [path, scale, bounds, start, fitted, sigma, percent, note]) in
        parameter_rows(report).into_iter().enumerate()
    {
        table.row(vec![
            Cell::Code(format!("[{}] {path}", k + 1)),
            scale.into(),
            bounds.into(),
            start.into(),
            fitted.into(),
            sigma.into(),
            percent.into(),
            note.into(),
        ]);
    }
    page.table(&table);
    page.paragraph("± 1σ: the standard uncertainty of the fitted value from the covariance at the optimum (linearised); ± %: the same in percent of the value.");
    page.heading("Correlations");
    page.table(&correlation_page_table(report));
    page.heading("Statistics");
    page.preformatted(&statistics(report));
    page.heading("Comparisons at the fitted values");
    page.table(&comparison_page_table(&validation.comparisons));
    page.paragraph(ERROR_NOTE);
    add_figures(&mut page, &validation.figures)?;
    let fitted: Vec<String> = spec
        .validation
        .runs
        .iter()
        .map(|r| format!("fitted/{}/scenario.toml", r.label))
        .collect();
    page.paragraph(&format!(
        "Runs and figures of the validation: validation/report.html. Fitted scenarios: {}.",
        fitted.join(", ")
    ));
    Ok(page.write(&out.join(FIT_PAGE_FILE))?)
}
