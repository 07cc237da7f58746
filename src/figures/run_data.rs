//! The plain data of a run's figures ([`super::run`], [`super::differential`]): one point per
//! finished cycle and the curves of the saved cycles, with what the figures need to know of the
//! cell (active mass, reference cycle, counter electrode). `output::PlotData` gathers them as a
//! run streams.

/// One saved cycle's voltage–capacity curve.
#[derive(Debug, Clone, PartialEq)]
pub struct CycleCurve {
    /// Cycle number, from 1.
    pub cycle: usize,
    /// Charge branch: (charge passed since the cycle's charging began \[A·h\], voltage \[V\]).
    pub charge: Vec<(f64, f64)>,
    /// Discharge branch: (charge delivered since the cycle's discharging began \[A·h\],
    /// voltage \[V\]).
    pub discharge: Vec<(f64, f64)>,
}

/// The figures of one finished cycle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CyclePoint {
    /// Cycle number, from 1.
    pub cycle: usize,
    /// Discharge capacity \[A·h\].
    pub discharge_capacity_ah: f64,
    /// Coulombic efficiency (discharge over charge capacity, a fraction).
    pub coulombic_efficiency: f64,
    /// Capacity-weighted mean charge voltage \[V\].
    pub mean_charge_voltage_v: f64,
    /// Capacity-weighted mean discharge voltage \[V\].
    pub mean_discharge_voltage_v: f64,
}

/// The data of a run's figures.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunFigureData {
    /// Active material mass \[kg\]: capacities are drawn per gram with it, in mA·h without.
    pub active_mass_kg: Option<f64>,
    /// One point per finished cycle, in order.
    pub cycles: Vec<CyclePoint>,
    /// The saved cycles' curves, in order (at most a bounded number, spread over the run).
    pub curves: Vec<CycleCurve>,
    /// Saved cycles in the run, of which `curves` holds some or all (0: as many as `curves`).
    pub saved_cycles: usize,
    /// The reference cycle of the retention and the cycle statistics (from 1; 0 counts as 1):
    /// cycles before it are formation, drawn but left out of the efficiency axis's range.
    pub reference_cycle: usize,
    /// The counter electrode's open-circuit potential vs Li/Li+ \[V\]: where it is not 0 the
    /// voltage figure has a second axis, the positive electrode vs Li/Li+ (cell voltage plus
    /// it, the convention of the experiment's "V vs Li/Li+" limits).
    pub counter_potential_v: f64,
}

impl RunFigureData {
    /// The factor from A·h to the capacity unit of the figures, and the unit: mA·h/g
    /// (·1/m\[kg\]) with an active-material mass, mA·h (·1000) without.
    pub fn capacity_scale(&self) -> (f64, &'static str) {
        match self.active_mass_kg {
            Some(m) => (1.0 / m, "mAh/g"),
            None => (1000.0, "mAh"),
        }
    }
}
