//! The one-screen summary of a finished run, as `asslb run` prints it: the first and last
//! cycle side by side, retention and efficiency over the run, the last cycle's steps, the
//! solver's figures and the files. Its length does not grow with the number of cycles.

use std::fmt;
use std::path::Path;

use crate::output::progress::format_rate;
use crate::output::CycleTally;
use crate::protocol::experiment::CellContext;
use crate::protocol::simulate::{StepEnd, NEAR_CUTOFF_V};
use crate::protocol::{CycleSummary, RunSummary};

use super::{describe_step, plural, RunReport, Scenario};

impl RunReport {
    /// The one-screen summary of this run of `scenario` into the folder `out`: `tally` is the
    /// run's per-cycle tally (`Progress::tally`), `total_s` \[s\] the wall time with the files.
    /// Every line ends with a newline.
    pub fn summary_text(
        &self,
        scenario: &Scenario,
        tally: &CycleTally,
        out: &Path,
        total_s: f64,
    ) -> String {
        SummaryText {
            scenario,
            report: self,
            tally,
            out,
            total_s,
        }
        .to_string()
    }
}

/// `x` \[-\] in percent with `digits` decimals, or `–` when not finite.
pub(super) fn percent(x: f64, digits: usize) -> String {
    if x.is_finite() {
        format!("{:.digits$} %", x * 100.0)
    } else {
        "–".to_string()
    }
}

/// The first and the last cycle of `s` side by side (one column for a one-cycle run, none
/// before the first cycle ended): a title row (`cycle 1`, `cycle N`), then the discharge and
/// charge capacities (per gram of active material too when the scenario gives a mass), the
/// coulombic efficiency and the mean discharge and charge voltages, one cell per column.
pub(super) fn cycle_rows(scenario: &Scenario, s: &RunSummary) -> Vec<(&'static str, Vec<String>)> {
    let mass_g = scenario.parameters.active_mass_kg().map(|m| m * 1e3);
    let capacity = |ah: f64| match mass_g {
        Some(g) => format!("{:.6} mAh ({:.2} mAh/g)", ah * 1e3, ah * 1e3 / g),
        None => format!("{:.6} mAh", ah * 1e3),
    };
    let volts = |v: f64| {
        if v.is_finite() {
            format!("{v:.4} V")
        } else {
            "–".to_string()
        }
    };
    let mut columns: Vec<&CycleSummary> = s.first_cycle.iter().collect();
    if let Some(last) = s.last_cycle.as_ref().filter(|l| l.cycle > 1) {
        columns.push(last);
    }
    if columns.is_empty() {
        return Vec::new();
    }
    let cells = |value: &dyn Fn(&CycleSummary) -> String| -> Vec<String> {
        columns.iter().map(|c| value(c)).collect()
    };
    vec![
        ("", cells(&|c| format!("cycle {}", c.cycle))),
        (
            "discharge capacity",
            cells(&|c| capacity(c.discharge_capacity_ah)),
        ),
        (
            "charge capacity",
            cells(&|c| capacity(c.charge_capacity_ah)),
        ),
        (
            "coulombic efficiency",
            cells(&|c| percent(c.coulombic_efficiency(), 3)),
        ),
        (
            "mean discharge voltage",
            cells(&|c| volts(c.mean_discharge_voltage_v())),
        ),
        (
            "mean charge voltage",
            cells(&|c| volts(c.mean_charge_voltage_v())),
        ),
    ]
}

/// [`RunReport::summary_text`] as a [`fmt::Display`].
struct SummaryText<'a> {
    scenario: &'a Scenario,
    report: &'a RunReport,
    tally: &'a CycleTally,
    out: &'a Path,
    total_s: f64,
}

impl fmt::Display for SummaryText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let SummaryText {
            scenario,
            report,
            tally,
            out,
            total_s,
        } = *self;
        let s = &report.summary;
        let p = &scenario.parameters;
        let rate = if s.wall_time_s > 0.0 {
            format!(" ({})", format_rate(s.cycles as f64 / s.wall_time_s))
        } else {
            String::new()
        };
        writeln!(
            f,
            "{} cycle{} finished in {:.3} s{rate}",
            s.cycles,
            plural(s.cycles as u64),
            s.wall_time_s
        )?;

        // The first and the last cycle side by side (one column for a one-cycle run).
        for (label, cells) in cycle_rows(scenario, s) {
            let mut line = format!("  {label:<23}");
            for (k, cell) in cells.iter().enumerate() {
                if k + 1 < cells.len() {
                    line.push_str(&format!("{cell:<30}"));
                } else {
                    line.push_str(cell);
                }
            }
            writeln!(f, "{}", line.trim_end())?;
        }
        let formation = match tally.reference_cycle() {
            1 => String::new(),
            r => format!(", the first after formation (cycles 1-{})", r - 1),
        };
        if let (Some(reference), Some(last)) = (tally.retention_reference(), s.last_cycle.as_ref())
        {
            if last.cycle > reference {
                let why = if reference == tally.reference_cycle() {
                    formation.clone()
                } else {
                    String::new()
                };
                writeln!(
                    f,
                    "capacity retention: {} at cycle {} (of cycle {reference}'s discharge capacity{why})",
                    percent(tally.capacity_retention(last), 2),
                    last.cycle,
                )?;
            }
        }
        let ce_cycles = tally.efficiency_cycles();
        if ce_cycles > 1 {
            let from = match tally.reference_cycle() {
                1 => String::new(),
                r => format!(" from cycle {r} (formation left out)"),
            };
            writeln!(
                f,
                "mean coulombic efficiency: {} over {ce_cycles} cycles with a charge{from}",
                percent(tally.mean_coulombic_efficiency(), 3)
            )?;
        }

        // The last cycle ran the last block's steps.
        let last_block = scenario.experiment.blocks.last();
        if let Some(last) = &s.last_cycle {
            if !s.last_cycle_steps.is_empty() {
                writeln!(f, "steps of cycle {}:", last.cycle)?;
            }
        }
        for step in &s.last_cycle_steps {
            let end = match step.end {
                StepEnd::VoltageLimit => "voltage cut-off",
                StepEnd::CurrentLimit => "current cut-off",
                StepEnd::Duration => "duration limit",
                StepEnd::Skipped => "skipped (its end condition held when it began)",
                StepEnd::CurrentUnsustainable => {
                    "skipped (the particle surfaces cannot carry this current at all)"
                }
                StepEnd::NearCutoff => {
                    "ended near its voltage cut-off (the solver could not go on)"
                }
            };
            let description = last_block
                .and_then(|b| b.steps.get(step.step.wrapping_sub(1)))
                .map(|st| describe_step(st, CellContext::from_parameters(p).one_c_current_a))
                .unwrap_or_default();
            writeln!(
                f,
                "  {}. {description}\n     {end} after {:.1} s: {:+.6} mAh, {:.4} V",
                step.step,
                step.duration_s,
                step.capacity_ah * 1e3,
                step.final_voltage_v
            )?;
        }
        if let Some(last) = s.last_cycle_steps.last() {
            writeln!(f, "final voltage: {:.4} V", last.final_voltage_v)?;
        }
        if s.skipped_steps > 0 {
            writeln!(
                f,
                "skipped steps: {} (the cell was already past the step's cut-off; the run went on with the next step)",
                s.skipped_steps
            )?;
        } else {
            writeln!(f, "skipped steps: none")?;
        }
        if s.jumps > 0 {
            writeln!(
                f,
                "cycle jumping: {} cycles jumped over in {} jumps; {} cycles resolved",
                s.jumped_cycles,
                s.jumps,
                s.cycles.saturating_sub(s.jumped_cycles)
            )?;
        }
        if s.impedance_spectra > 0 {
            writeln!(
                f,
                "impedance: {} spectr{} in {:.3} s ({:.1} % of the wall time)",
                s.impedance_spectra,
                if s.impedance_spectra == 1 { "um" } else { "a" },
                s.impedance_time_s,
                100.0 * s.impedance_time_s / s.wall_time_s.max(1e-300)
            )?;
        }
        if s.ended_near_cutoff > 0 {
            writeln!(
                f,
                "steps ended near their voltage cut-off: {} (the solver could not go on within {} V of it; see StepEnd::NearCutoff)",
                s.ended_near_cutoff,
                NEAR_CUTOFF_V
            )?;
        }
        writeln!(
            f,
            "solver: {} unknowns, {} internal steps; wall time {:.3} s, {:.3} s with the files",
            s.unknowns, s.solver_steps, s.wall_time_s, total_s
        )?;

        // The files, by name, in their folder; each figure once with its formats.
        let name = |path: &Path| {
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| path.display().to_string())
        };
        writeln!(f, "files in {}:", out.display())?;
        writeln!(
            f,
            "  {} ({} row{}), {} ({} cycle{}), {}",
            name(&report.timeseries),
            report.rows,
            plural(report.rows),
            name(&report.cycle_summary),
            s.cycles,
            plural(s.cycles as u64),
            name(&report.record)
        )?;
        match (&report.impedance, &report.impedance_fit) {
            (Some(spectra), Some(fits)) => writeln!(
                f,
                "  {} (impedance spectra), {} (their equivalent-circuit fits)",
                name(spectra),
                name(fits)
            ),
            (Some(spectra), None) => writeln!(f, "  {} (impedance spectra)", name(spectra)),
            _ => Ok(()),
        }?;
        let mut figures: Vec<(String, Vec<String>)> = Vec::new();
        for plot in &report.plots {
            let stem = plot
                .file_stem()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let ext = plot
                .extension()
                .map(|e| e.to_string_lossy().into_owned())
                .unwrap_or_default();
            match figures.iter_mut().find(|(s, _)| *s == stem) {
                Some((_, exts)) => exts.push(ext),
                None => figures.push((stem, vec![ext])),
            }
        }
        if !figures.is_empty() {
            let list: Vec<String> = figures
                .iter()
                .map(|(stem, exts)| format!("{stem}.{}", exts.join("/.")))
                .collect();
            writeln!(f, "  figures: {}", list.join(", "))?;
        }
        Ok(())
    }
}
