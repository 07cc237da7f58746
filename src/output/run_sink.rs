//! The sink of a run with files: it hands each row and cycle end to the time series
//! ([`TimeseriesCsv`]), the per-cycle summary ([`SummaryCsv`]) and the plot data ([`PlotData`]).
//!
//! Only the cycles chosen by the [`SaveCycles`] selection get rows, in the time series and in
//! the plot data alike; every cycle gets its summary row. Memory therefore grows only by one
//! [`CycleSummary`] per cycle (a few dozen bytes), whatever the number of unsaved cycles: the
//! plot data keep a bounded number of saved cycles' curves (see [`PlotData`]).

use std::io;
use std::path::{Path, PathBuf};

use super::impedance_csv::{ImpedanceCsv, IMPEDANCE_FILE};
use super::impedance_fit_csv::IMPEDANCE_FIT_FILE;
use super::plot_data::PlotData;
use super::spectrum_fits::SpectrumFits;
use super::summary_csv::SummaryCsv;
use super::timeseries_csv::{SaveCycles, TimeseriesCsv};
use crate::figures::{
    NyquistSpectrum, ResistanceSeries, CAPACITY_EFFICIENCY_PLOT, DIFFERENTIAL_CAPACITY_PLOT,
    MEAN_VOLTAGE_PLOT, NYQUIST_PLOT, RESISTANCE_PLOT, VOLTAGE_CAPACITY_PLOT,
};
use crate::impedance::Circuit;
use crate::protocol::{
    Checkpoint, CycleSummary, ImpedanceSpectrum, TimeseriesRecord, TimeseriesSink,
};

/// The checkpoint file of a run folder.
pub const CHECKPOINT_FILE: &str = "checkpoint.toml";

/// The report page of a finished run (`crate::scenario`'s `RunReport::write_report_files`).
pub const RUN_PAGE_FILE: &str = "report.html";

/// The Markdown report of a finished run, beside its page.
pub const RUN_REPORT_FILE: &str = "report.md";

/// Time series, summary and plot data of one run, written into one folder.
#[derive(Debug)]
pub struct RunSink {
    dir: PathBuf,
    timeseries: TimeseriesCsv,
    summary: SummaryCsv,
    plot: PlotData,
    /// `impedance.csv`, started at the first spectrum (or taken up on resume).
    impedance: Option<ImpedanceCsv>,
    /// The spectra so far, for the Nyquist figure (a few dozen of ~100 points in a run).
    spectra: Vec<NyquistSpectrum>,
    /// Equivalent-circuit fits of the spectra, when the run asks for them.
    fits: Option<SpectrumFits>,
    /// The cycles a resumed run's files already held (`None` for a new run).
    resumed_after: Option<usize>,
    /// Cycles between checkpoints.
    checkpoint_every: Option<usize>,
}

/// What a run left in its folder.
#[derive(Debug, Clone)]
pub struct RunFiles {
    /// `<dir>/timeseries.csv`.
    pub timeseries: PathBuf,
    /// `<dir>/summary.csv`.
    pub summary: PathBuf,
    /// `<dir>/run_error.txt` when the run failed.
    pub error_file: Option<PathBuf>,
    /// Rows of the time series (not counting the header).
    pub timeseries_rows: u64,
    /// Rows of the summary: the cycles finished.
    pub cycles: u64,
    /// The data for [`super::plot_data::write_plots`].
    pub plot_data: PlotData,
    /// `<dir>/impedance.csv`, when the run took impedance spectra.
    pub impedance: Option<PathBuf>,
    /// The impedance spectra of the run (resumed ones included), for
    /// [`crate::figures::write_nyquist`].
    pub spectra: Vec<NyquistSpectrum>,
    /// `<dir>/impedance_fit.csv`, when the spectra were fitted.
    pub impedance_fit: Option<PathBuf>,
    /// The fitted resistances against cycle, for
    /// [`crate::figures::plot_resistances_vs_cycle`] (empty without fits).
    pub resistances: Vec<ResistanceSeries>,
}

impl RunSink {
    /// Starts the files of a run in `dir` (which must exist): `timeseries.csv` (rows of the
    /// cycles `save_cycles` selects) and `summary.csv` (per-mass columns referring to
    /// `active_mass_kg`, the mass of active material \[kg\], left empty with `None`). Output
    /// files of an earlier run in `dir` (time series, error record, summary, figures) are
    /// removed or replaced, so the folder never mixes two runs.
    ///
    /// A mass that is not finite and positive is an `InvalidInput` error, raised before any
    /// file is touched. The retention counts from `reference_cycle` ([`SummaryCsv::create`]).
    pub fn create(
        dir: &Path,
        save_cycles: SaveCycles,
        active_mass_kg: Option<f64>,
        reference_cycle: usize,
        counter_potential_v: f64,
    ) -> io::Result<Self> {
        let summary = SummaryCsv::create(dir, active_mass_kg, reference_cycle)?;
        for stem in [
            VOLTAGE_CAPACITY_PLOT,
            CAPACITY_EFFICIENCY_PLOT,
            MEAN_VOLTAGE_PLOT,
            DIFFERENTIAL_CAPACITY_PLOT,
            NYQUIST_PLOT,
            RESISTANCE_PLOT,
        ] {
            for ext in ["png", "svg"] {
                match std::fs::remove_file(dir.join(format!("{stem}.{ext}"))) {
                    Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                    _ => {}
                }
            }
        }
        // A checkpoint (or spectra) of an earlier run must not be taken up by this one, nor its
        // reports shown as this one's.
        for file in [
            CHECKPOINT_FILE,
            IMPEDANCE_FILE,
            IMPEDANCE_FIT_FILE,
            RUN_PAGE_FILE,
            RUN_REPORT_FILE,
        ] {
            match std::fs::remove_file(dir.join(file)) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        let timeseries = TimeseriesCsv::create_saving(dir, save_cycles)?
            .with_counter_potential(counter_potential_v);
        Ok(RunSink {
            dir: dir.to_path_buf(),
            timeseries,
            summary,
            plot: PlotData::new(active_mass_kg).for_cell(reference_cycle, counter_potential_v),
            impedance: None,
            spectra: Vec::new(),
            fits: None,
            resumed_after: None,
            checkpoint_every: None,
        })
    }

    /// Takes up the files of an interrupted run in `dir` after `cycles_done` cycles (the
    /// checkpoint it continues from): the CSV files (`impedance.csv` too, if the run has one)
    /// keep the rows of those cycles and grow from there, and the plot data start from the
    /// kept cycles' summaries and spectra. `host_capacity_ah` \[A·h\] is the cell's
    /// (`CellParameters::host_capacity_ah`), which the kept summaries carry.
    pub fn resume(
        dir: &Path,
        save_cycles: SaveCycles,
        active_mass_kg: Option<f64>,
        reference_cycle: usize,
        counter_potential_v: f64,
        host_capacity_ah: f64,
        cycles_done: usize,
    ) -> io::Result<Self> {
        let (summary, kept) = SummaryCsv::resume(
            dir,
            active_mass_kg,
            reference_cycle,
            host_capacity_ah,
            cycles_done,
        )?;
        let (timeseries, rows) = TimeseriesCsv::resume(dir, save_cycles, cycles_done)?;
        let timeseries = timeseries.with_counter_potential(counter_potential_v);
        // The figures show the whole run: each kept cycle's rows, then its summary, in the
        // order an uninterrupted run adds them.
        let mut plot = PlotData::new(active_mass_kg).for_cell(reference_cycle, counter_potential_v);
        let mut rows = rows.iter().peekable();
        for c in &kept {
            while let Some(row) = rows.next_if(|r| r.cycle <= c.cycle) {
                plot.add_row(row);
            }
            plot.add_cycle(c);
        }
        let (impedance, spectra) = if dir.join(IMPEDANCE_FILE).exists() {
            let (csv, kept) = ImpedanceCsv::resume(dir, cycles_done)?;
            let spectra = kept
                .into_iter()
                .map(|(cycle, rows)| NyquistSpectrum {
                    cycle,
                    frequency_hz: rows.iter().map(|&(f, _, _)| f).collect(),
                    z_ohm: rows.into_iter().map(|(_, re, im)| (re, im)).collect(),
                })
                .collect();
            (Some(csv), spectra)
        } else {
            (None, Vec::new())
        };
        Ok(RunSink {
            dir: dir.to_path_buf(),
            timeseries,
            summary,
            plot,
            impedance,
            spectra,
            fits: None,
            resumed_after: Some(cycles_done),
            checkpoint_every: None,
        })
    }

    /// Fits `circuit` to every spectrum the run takes from now on, streaming the rows to
    /// `<dir>/impedance_fit.csv` (see [`SpectrumFits`]); a resumed run takes up the rows of
    /// its checkpointed cycles.
    pub fn fit_spectra_with(&mut self, circuit: Circuit) -> io::Result<()> {
        self.fits = Some(match self.resumed_after {
            None => SpectrumFits::create(&self.dir, circuit)?,
            Some(cycles_done) => SpectrumFits::resume(&self.dir, circuit, cycles_done)?,
        });
        Ok(())
    }

    /// Writes a checkpoint (`checkpoint.toml`) after every `every` cycles (`None`: never).
    pub fn set_checkpoint_every(&mut self, every: Option<usize>) {
        self.checkpoint_every = every.filter(|&n| n > 0);
    }

    /// The folder written to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The cycles whose rows are saved.
    pub fn save_cycles(&self) -> &SaveCycles {
        self.timeseries.save_cycles()
    }

    /// The summaries of the cycles finished so far.
    pub fn summaries(&self) -> &[CycleSummary] {
        self.plot.summaries()
    }

    /// The plot data collected so far.
    pub fn plot_data(&self) -> &PlotData {
        &self.plot
    }

    /// The impedance spectra written so far (resumed ones included).
    pub fn spectra(&self) -> &[NyquistSpectrum] {
        &self.spectra
    }

    /// Ends a successful run: `timeseries.csv` gets its final name and both files are forced
    /// to the disk.
    pub fn finish(self) -> io::Result<RunFiles> {
        let timeseries_rows = self.timeseries.rows();
        let cycles = self.summary.rows();
        let timeseries = self.timeseries.finish()?;
        let summary = self.summary.finish()?;
        let impedance = self.impedance.map(ImpedanceCsv::finish).transpose()?;
        let resistances = self
            .fits
            .as_ref()
            .map(SpectrumFits::resistance_series)
            .unwrap_or_default();
        Ok(RunFiles {
            timeseries,
            summary,
            error_file: None,
            timeseries_rows,
            cycles,
            plot_data: self.plot,
            impedance,
            spectra: self.spectra,
            impedance_fit: self.fits.map(SpectrumFits::finish),
            resistances,
        })
    }

    /// Ends a failed run: keeps every row computed in `timeseries.csv` and every finished
    /// cycle in `summary.csv`, and writes `reason` (the full error) to `run_error.txt`.
    pub fn abandon(self, reason: &str) -> io::Result<RunFiles> {
        let cycles = self.summary.rows();
        let summary_path = self.summary.path().to_path_buf();
        // Best effort: the summary already holds every finished cycle as it is.
        let _ = self.summary.finish();
        let impedance = self.impedance.and_then(|csv| csv.finish().ok());
        let kept = self.timeseries.abandon(reason)?;
        Ok(RunFiles {
            timeseries: kept.timeseries,
            summary: summary_path,
            error_file: Some(kept.error_file),
            timeseries_rows: kept.rows,
            cycles,
            plot_data: self.plot,
            impedance,
            spectra: self.spectra,
            impedance_fit: self.fits.map(SpectrumFits::finish),
            resistances: Vec::new(),
        })
    }
}

impl TimeseriesSink for RunSink {
    fn wants_cycle(&self, cycle: usize) -> bool {
        self.timeseries.save_cycles().contains(cycle)
    }

    /// Records `row` in the time series and the plot data, unless its cycle is not saved.
    fn record(&mut self, row: &TimeseriesRecord) -> io::Result<()> {
        if !self.timeseries.save_cycles().contains(row.cycle) {
            return Ok(());
        }
        self.plot.add_row(row);
        self.timeseries.record(row)
    }

    fn step_finished(&mut self, cycle: usize, step: usize) -> io::Result<()> {
        self.timeseries.step_finished(cycle, step)
    }

    fn cycle_finished(&mut self, summary: &CycleSummary) -> io::Result<()> {
        self.plot.add_cycle(summary);
        self.timeseries.cycle_finished(summary)?;
        self.summary.write_cycle(summary)
    }

    fn checkpoint_due(&self, cycle: usize) -> bool {
        self.checkpoint_every.is_some_and(|n| cycle % n == 0)
    }

    /// Appends the spectrum to `<dir>/impedance.csv` (started at the first one) and keeps it
    /// for the Nyquist figure.
    fn impedance_measured(&mut self, spectrum: &ImpedanceSpectrum) -> io::Result<()> {
        let csv = match &mut self.impedance {
            Some(csv) => csv,
            None => self.impedance.insert(ImpedanceCsv::create(&self.dir)?),
        };
        csv.write_spectrum(spectrum.cycle, &spectrum.frequencies_hz, &spectrum.z_ohm)?;
        self.spectra.push(NyquistSpectrum {
            cycle: spectrum.cycle,
            z_ohm: spectrum.z_ohm.iter().map(|z| (z.re, z.im)).collect(),
            frequency_hz: spectrum.frequencies_hz.clone(),
        });
        if let Some(fits) = &mut self.fits {
            fits.fit(spectrum.cycle, &spectrum.frequencies_hz, &spectrum.z_ohm)?;
        }
        Ok(())
    }

    /// Writes `<dir>/checkpoint.toml` (atomically). Everything of the checkpoint's cycle is
    /// already in the files: the driver calls this after `cycle_finished`, which flushes both.
    fn save_checkpoint(&mut self, checkpoint: &Checkpoint) -> io::Result<()> {
        checkpoint
            .write(&self.dir.join(CHECKPOINT_FILE))
            .map_err(io::Error::other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::{RUN_ERROR_FILE, SUMMARY_FILE, TIMESERIES_FILE};

    fn run_cycles(sink: &mut RunSink, cycles: usize) {
        let mut q = 0.0;
        for cycle in 1..=cycles {
            let mut summary = CycleSummary::new(cycle, 1.0);
            for (step, sign) in [(1, -1.0), (2, 1.0)] {
                if sink.wants_cycle(cycle) {
                    for k in 0..=10 {
                        let f = k as f64 / 10.0;
                        sink.record(&TimeseriesRecord {
                            time_s: (cycle * 2 + step) as f64 * 3600.0 + f,
                            cycle,
                            step,
                            current_a: sign * 1e-3,
                            voltage_v: 3.5 - sign * 0.3 * f,
                            discharge_capacity_ah: q + sign * 1e-3 * f,
                        })
                        .unwrap();
                    }
                }
                q += sign * 1e-3;
                summary.add_step(sign * 1e-3, sign * 3.5e-3);
                sink.step_finished(cycle, step).unwrap();
            }
            sink.cycle_finished(&summary).unwrap();
        }
    }

    fn cycles_in_timeseries(path: &Path) -> Vec<usize> {
        let text = std::fs::read_to_string(path).unwrap();
        let mut cycles: Vec<usize> = text
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(1).unwrap().parse().unwrap())
            .collect();
        cycles.dedup();
        cycles
    }

    #[test]
    fn fans_out_to_files_and_plot_data() {
        let dir = tempfile::tempdir().unwrap();
        let mut sink =
            RunSink::create(dir.path(), SaveCycles::List(vec![1, 4]), Some(1e-5), 1, 0.0).unwrap();
        assert_eq!(sink.dir(), dir.path());
        run_cycles(&mut sink, 5);
        assert_eq!(sink.summaries().len(), 5);
        // Summary rows are on disk before the run ends.
        let summary = std::fs::read_to_string(dir.path().join(SUMMARY_FILE)).unwrap();
        assert_eq!(summary.lines().count(), 6);
        let files = sink.finish().unwrap();
        assert_eq!(files.cycles, 5);
        assert_eq!(files.timeseries_rows, 44);
        assert!(files.error_file.is_none());
        assert_eq!(cycles_in_timeseries(&files.timeseries), vec![1, 4]);
        let curves = files.plot_data.curves();
        let saved: Vec<usize> = curves.iter().map(|c| c.cycle).collect();
        assert_eq!(saved, vec![1, 4]);
        assert_eq!(files.plot_data.summaries().len(), 5);
    }

    #[test]
    fn abandon_keeps_finished_cycles() {
        let dir = tempfile::tempdir().unwrap();
        let mut sink = RunSink::create(dir.path(), SaveCycles::Every(2), None, 1, 0.0).unwrap();
        run_cycles(&mut sink, 3);
        let files = sink
            .abandon("cycle 4, step 1: solver failed at t = 5 s")
            .unwrap();
        assert_eq!(files.cycles, 3);
        assert_eq!(files.error_file, Some(dir.path().join(RUN_ERROR_FILE)));
        assert_eq!(files.timeseries, dir.path().join(TIMESERIES_FILE));
        assert_eq!(cycles_in_timeseries(&files.timeseries), vec![1, 3]);
        let summary = std::fs::read_to_string(&files.summary).unwrap();
        assert_eq!(summary.lines().count(), 4);
    }

    #[test]
    fn a_new_run_clears_old_figures_and_bad_masses_touch_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join(format!("{VOLTAGE_CAPACITY_PLOT}.png"));
        std::fs::write(&old, b"old").unwrap();
        // The earlier run's reports go too: a run that fails writes none of its own.
        let reports = [RUN_PAGE_FILE, RUN_REPORT_FILE].map(|f| dir.path().join(f));
        for r in &reports {
            std::fs::write(r, b"old").unwrap();
        }
        let err = RunSink::create(dir.path(), SaveCycles::All, Some(-1.0), 1, 0.0).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(old.exists());
        let sink = RunSink::create(dir.path(), SaveCycles::All, None, 1, 0.0).unwrap();
        assert!(!old.exists());
        assert!(reports.iter().all(|r| !r.exists()));
        sink.finish().unwrap();
    }
}
