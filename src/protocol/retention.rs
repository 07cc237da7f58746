//! The one definition of capacity retention and of the cycle statistics, used by `summary.csv`,
//! the run summary, sweeps and the Python package alike.
//!
//! A run's figures are taken from its reference cycle on ([`Retention::from_cycle`]): by
//! default the first cycle of the experiment's longest block
//! ([`crate::protocol::Experiment::reference_cycle`]), so that formation cycles at a slower
//! rate count neither as the 100 % of the retention nor in the mean coulombic efficiency. The
//! retention of a cycle is its discharge capacity over that of the reference cycle, or, where
//! the reference cycle delivered none (a charge-only cycle), of the first cycle after it that
//! did; a cycle before the reference has none.

use super::cycle::CycleSummary;

/// Capacity retention against a reference cycle \[-\], kept as cycles end.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Retention {
    from_cycle: usize,
    /// The cycle and discharge capacity \[A·h\] that are 100 %, once seen.
    reference: Option<(usize, f64)>,
}

impl Retention {
    /// Retention against `from_cycle` (from 1; 0 is taken as 1).
    pub fn from_cycle(from_cycle: usize) -> Self {
        Retention {
            from_cycle: from_cycle.max(1),
            reference: None,
        }
    }

    /// The reference cycle asked for.
    pub fn reference_cycle(&self) -> usize {
        self.from_cycle
    }

    /// Whether `summary` is at or after the reference cycle (it counts in the statistics).
    pub fn counts(&self, summary: &CycleSummary) -> bool {
        summary.cycle >= self.from_cycle
    }

    /// Takes note of a finished cycle (in order).
    pub fn observe(&mut self, summary: &CycleSummary) {
        self.observe_discharge(summary.cycle, summary.discharge_capacity_ah);
    }

    /// [`Retention::observe`] of the cycle `cycle` with the discharge capacity
    /// `discharge_capacity_ah` \[A·h\], as a row of `summary.csv` read back gives them.
    pub fn observe_discharge(&mut self, cycle: usize, discharge_capacity_ah: f64) {
        if self.reference.is_none() && cycle >= self.from_cycle && discharge_capacity_ah > 0.0 {
            self.reference = Some((cycle, discharge_capacity_ah));
        }
    }

    /// The cycle whose discharge capacity is 100 %, once one has delivered a discharge.
    pub fn reference(&self) -> Option<usize> {
        self.reference.map(|(cycle, _)| cycle)
    }

    /// The discharge capacity that is 100 % \[A·h\], once a cycle has delivered it.
    pub fn reference_capacity_ah(&self) -> Option<f64> {
        self.reference.map(|(_, q0)| q0)
    }

    /// The retention of `summary` \[-\] (observed first): NaN before the reference cycle, and
    /// while no cycle from it on has delivered a discharge.
    pub fn of(&self, summary: &CycleSummary) -> f64 {
        self.of_discharge(summary.cycle, summary.discharge_capacity_ah)
    }

    /// [`Retention::of`] of the cycle `cycle` with the discharge capacity
    /// `discharge_capacity_ah` \[A·h\].
    pub fn of_discharge(&self, cycle: usize, discharge_capacity_ah: f64) -> f64 {
        match self.reference {
            Some((_, q0)) if cycle >= self.from_cycle => discharge_capacity_ah / q0,
            _ => f64::NAN,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cycle(n: usize, discharge_ah: f64) -> CycleSummary {
        let mut c = CycleSummary::new(n, 1.0);
        if discharge_ah > 0.0 {
            c.add_step(discharge_ah, 3.5 * discharge_ah);
        }
        c
    }

    #[test]
    fn retention_counts_from_the_reference_cycle() {
        let mut r = Retention::from_cycle(3);
        let cycles = [cycle(1, 5.0), cycle(2, 4.0), cycle(3, 2.0), cycle(4, 1.5)];
        let mut seen = Vec::new();
        for c in &cycles {
            r.observe(c);
            seen.push(r.of(c));
        }
        assert!(seen[0].is_nan() && seen[1].is_nan());
        assert_eq!(seen[2], 1.0);
        assert_eq!(seen[3], 0.75);
        assert_eq!(r.reference(), Some(3));
    }

    #[test]
    fn a_reference_cycle_without_discharge_hands_on_to_the_next() {
        let mut r = Retention::from_cycle(1);
        let only_charge = cycle(1, 0.0);
        r.observe(&only_charge);
        assert!(r.of(&only_charge).is_nan());
        let c2 = cycle(2, 2.0);
        r.observe(&c2);
        assert_eq!(r.of(&c2), 1.0);
        assert_eq!(r.reference(), Some(2));
        assert_eq!(Retention::from_cycle(0).reference_cycle(), 1);
    }
}
