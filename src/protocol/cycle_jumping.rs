//! Cycle jumping: thousands of identical cycles without resolving each one.
//!
//! Degradation is slow against a cycle: the slow states of the model (interphase thickness,
//! anionic capacities, oxygen loss, migration, throughput, side charge, and the delivered charge
//! and energy counters) change little from one cycle to the next, while the fast states
//! (concentrations, potentials) repeat. Within a block of identical cycles the driver therefore
//! resolves a few cycles, takes the slow states at the end of the last three, and extrapolates
//! them linearly over J cycles (the cycle number is the independent variable, as in a forward
//! Euler step); the fast states are those at the end of the last resolved cycle, and the next
//! resolved cycle re-equilibrates them. The error of the linear extrapolation over J cycles is
//! estimated from the second difference D₂ of the slow states,
//! `E(J) = J (J + 1)/2 · |D₂|`, and J is the largest jump with `E ≤ tol · (|S| + s_floor)` for
//! every slow state S (curvature control: the jumps shrink where the states bend, during
//! activation or crack onset, and grow where they are straight). Jumps never leave fewer than
//! the resolved cycles before the end of the block, never exceed `max_jump` cycles, never
//! carry a controlled state across zero, and never take a state with a physical range (a
//! particle stoichiometry) more than half of the way to its bound.
//!
//! Cycles jumped over have no rows in `summary.csv` (their figures were not computed); the
//! resolved ones carry their true cycle numbers.

/// Settings of cycle jumping.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CycleJumping {
    /// Relative tolerance of the extrapolated slow states per jump \[-\].
    pub tolerance: f64,
    /// Largest jump \[cycles\].
    pub max_jump: usize,
    /// Cycles resolved between jumps (at least 3: the second difference needs three).
    pub resolved_cycles: usize,
}

impl Default for CycleJumping {
    fn default() -> Self {
        CycleJumping {
            tolerance: 1e-3,
            max_jump: 100,
            resolved_cycles: 3,
        }
    }
}

/// Floor added to |S| in the tolerance of every slow state (their units: Li per formula unit,
/// nm, V, A·h/m²), so that a state near zero is held to an absolute tolerance.
const STATE_FLOOR: f64 = 1e-2;

/// A planned jump.
#[derive(Debug, Clone, PartialEq)]
pub struct Jump {
    /// Cycles jumped over.
    pub cycles: usize,
    /// The slow states after the jump.
    pub states: Vec<f64>,
    /// Time after the jump \[s\].
    pub time_s: f64,
}

impl CycleJumping {
    /// The jump from the slow states `s` at the end of the last three resolved cycles (oldest
    /// first) and their end times `t`, with `remaining` cycles left in the block after the last
    /// resolved one; `None` when no jump of at least two cycles is allowed. Only the states
    /// marked in `controlled` limit the jump (all are extrapolated): counters such as the
    /// delivered charge carry the solver's noise in their second difference without any
    /// effect on the physics.
    pub fn plan(
        &self,
        s: [&[f64]; 3],
        t: [f64; 3],
        remaining: usize,
        controlled: &[bool],
    ) -> Option<Jump> {
        self.plan_resolving(s, t, remaining, None, controlled, &[])
    }

    /// As [`CycleJumping::plan`], with a cycle that must be resolved: `must_resolve` cycles
    /// after the last resolved one (1: the next cycle). The jump then ends before it, at most
    /// `must_resolve − 1` cycles long, so that cycle is the next resolved one or comes later
    /// in an episode (impedance spectra are taken on resolved cycles only). `ranges` gives, per
    /// state (missing entries: unbounded), the range the state must stay in (a particle
    /// stoichiometry inside its host's window): the jump takes a state at most half of its
    /// remaining room toward the bound its trend points at, and none is planned for a state
    /// already outside its range.
    pub fn plan_resolving(
        &self,
        s: [&[f64]; 3],
        t: [f64; 3],
        remaining: usize,
        must_resolve: Option<usize>,
        controlled: &[bool],
        ranges: &[(f64, f64)],
    ) -> Option<Jump> {
        let limit = remaining
            .saturating_sub(self.resolved_cycles)
            .min(self.max_jump)
            .min(must_resolve.map_or(usize::MAX, |c| c.saturating_sub(1)));
        if limit < 2 {
            return None;
        }
        // Largest J with J (J + 1)/2 · |D₂| ≤ tol (|S| + floor) for every state.
        let mut worst: f64 = 0.0;
        for (((&a, &b), &c), _) in s[0]
            .iter()
            .zip(s[1])
            .zip(s[2])
            .zip(controlled)
            .filter(|(_, &on)| on)
        {
            let second = (c - 2.0 * b + a).abs();
            worst = worst.max(second / (self.tolerance * (c.abs() + STATE_FLOOR)));
        }
        let mut jump = if worst > 0.0 {
            // J (J + 1) ≤ 2/worst.
            ((((1.0 + 8.0 / worst).sqrt() - 1.0) / 2.0).floor() as usize).min(limit)
        } else {
            limit
        };
        // No state may cross zero.
        for ((&b, &c), _) in s[1].iter().zip(s[2]).zip(controlled).filter(|(_, &on)| on) {
            let slope = c - b;
            if c != 0.0 && slope != 0.0 && slope.signum() != c.signum() {
                let cross = (c.abs() / slope.abs()).floor() as usize;
                jump = jump.min(cross.saturating_sub(1));
            }
        }
        // No state may leave its range, nor use more than half of its room toward it.
        for ((&b, &c), &(lo, hi)) in s[1].iter().zip(s[2]).zip(ranges) {
            let slope = c - b;
            let room = if slope > 0.0 { hi - c } else { c - lo };
            if room.is_nan() || room <= 0.0 {
                return None;
            }
            if slope != 0.0 {
                let allowed = 0.5 * room / slope.abs();
                if allowed < jump as f64 {
                    jump = allowed.floor() as usize;
                }
            }
        }
        if jump < 2 {
            return None;
        }
        let j = jump as f64;
        Some(Jump {
            cycles: jump,
            states: s[1]
                .iter()
                .zip(s[2])
                .map(|(&b, &c)| c + j * (c - b))
                .collect(),
            time_s: t[2] + j * (t[2] - t[1]),
        })
    }

    /// Checks the settings; returns (key, message) of the first violation.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if !(self.tolerance.is_finite() && self.tolerance > 0.0 && self.tolerance < 1.0) {
            return Err((
                "tolerance",
                format!("expected a number in (0, 1), found {}", self.tolerance),
            ));
        }
        if self.max_jump < 2 {
            return Err((
                "max_jump",
                format!("expected at least 2 cycles, found {}", self.max_jump),
            ));
        }
        if self.resolved_cycles < 3 {
            return Err((
                "resolved_cycles",
                format!(
                    "expected at least 3 (the curvature needs three cycles), found {}",
                    self.resolved_cycles
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn straight_states_jump_as_far_as_allowed() {
        let cj = CycleJumping::default();
        let (a, b, c) = ([1.0, 5.0], [1.1, 5.0], [1.2, 5.0]);
        let jump = cj
            .plan([&a, &b, &c], [0.0, 10.0, 20.0], 1000, &[true, true])
            .unwrap();
        assert_eq!(jump.cycles, 100);
        assert!((jump.states[0] - 11.2).abs() < 1e-9);
        assert_eq!(jump.states[1], 5.0);
        assert_eq!(jump.time_s, 1020.0);
        // Near the end of the block the resolved cycles are kept.
        assert_eq!(
            cj.plan([&a, &b, &c], [0.0, 1.0, 2.0], 10, &[true, true])
                .unwrap()
                .cycles,
            7
        );
        assert!(cj
            .plan([&a, &b, &c], [0.0, 1.0, 2.0], 4, &[true, true])
            .is_none());
    }

    #[test]
    fn curvature_shortens_the_jump() {
        let cj = CycleJumping::default();
        // Second difference 1e-3 on a state of 1: J (J + 1)/2 · 1e-3 ≤ 1e-3 · 1.01 → J = 1.
        let (a, b, c) = ([0.998], [0.999], [1.001]);
        assert!(cj
            .plan([&a, &b, &c], [0.0, 1.0, 2.0], 1000, &[true])
            .is_none());
        // A hundred times less curvature allows J (J + 1) ≤ 202 → J = 13.
        let (a, b, c) = ([0.99998], [0.99999], [1.00001]);
        assert_eq!(
            cj.plan([&a, &b, &c], [0.0, 1.0, 2.0], 1000, &[true])
                .unwrap()
                .cycles,
            13
        );
    }

    #[test]
    fn no_state_is_carried_across_zero() {
        let cj = CycleJumping::default();
        let (a, b, c) = ([0.3], [0.2], [0.1]);
        // Linear decline by 0.1 per cycle: zero after one more cycle, so no jump.
        assert!(cj
            .plan([&a, &b, &c], [0.0, 1.0, 2.0], 1000, &[true])
            .is_none());
        let (a, b, c) = ([0.3], [0.29], [0.28]);
        assert_eq!(
            cj.plan([&a, &b, &c], [0.0, 1.0, 2.0], 1000, &[true])
                .unwrap()
                .cycles,
            27
        );
    }

    #[test]
    fn uncontrolled_states_are_extrapolated_but_do_not_limit() {
        let cj = CycleJumping::default();
        let (a, b, c) = ([1.0, 0.0], [1.0, 5.0], [1.0, 4.0]);
        let jump = cj
            .plan([&a, &b, &c], [0.0, 1.0, 2.0], 1000, &[true, false])
            .unwrap();
        assert_eq!(jump.cycles, 100);
        assert_eq!(jump.states[1], 4.0 - 100.0);
    }

    #[test]
    fn jumps_end_before_a_cycle_that_must_be_resolved() {
        let cj = CycleJumping::default();
        let (a, b, c) = ([1.0], [1.1], [1.2]);
        let plan =
            |must| cj.plan_resolving([&a, &b, &c], [0.0, 1.0, 2.0], 1000, must, &[true], &[]);
        assert_eq!(plan(None).unwrap().cycles, 100);
        // The requested cycle is 40 cycles after the last resolved one: 39 are jumped over.
        assert_eq!(plan(Some(40)).unwrap().cycles, 39);
        // Too close for a jump of at least two cycles.
        assert!(plan(Some(2)).is_none());
        assert!(plan(Some(1)).is_none());
    }

    #[test]
    fn a_state_with_a_range_uses_at_most_half_of_its_room() {
        let cj = CycleJumping::default();
        // An uncontrolled stoichiometry falling by 1/16 per cycle from 0.5, inside (−0.75, 1):
        // its room toward −0.75 is 1.25, so at most 10 cycles; the controlled state allows 100.
        let (a, b, c) = ([1.0, 0.625], [1.0, 0.5625], [1.0, 0.5]);
        let plan = |range: (f64, f64)| {
            let ranges = [(f64::NEG_INFINITY, f64::INFINITY), range];
            cj.plan_resolving(
                [&a, &b, &c],
                [0.0, 1.0, 2.0],
                1000,
                None,
                &[true, false],
                &ranges,
            )
        };
        let jump = plan((-0.75, 1.0)).unwrap();
        assert_eq!(jump.cycles, 10);
        assert!((jump.states[1] + 0.125).abs() < 1e-12);
        // A state already outside its range allows no jump.
        assert!(plan((0.55, 1.0)).is_none());
    }

    #[test]
    fn settings_are_checked() {
        let bad = CycleJumping {
            resolved_cycles: 2,
            ..CycleJumping::default()
        };
        assert_eq!(bad.validate().unwrap_err().0, "resolved_cycles");
        assert!(CycleJumping::default().validate().is_ok());
    }
}
