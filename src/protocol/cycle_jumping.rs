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
//! every degradation state S (curvature control: the jumps shrink where the states bend, during
//! activation or crack onset, and grow where they are straight).
//!
//! The same control on the delivered-charge counter is a relaxation test. Its second
//! difference is the change of the net charge a cycle delivers (discharge minus charge) from
//! one cycle to the next: steady in a cell that degrades slowly, large in one still relaxing
//! toward its periodic state (after a fast first discharge, a formation block or any change of
//! protocol, lithium left in the particle cores comes back over tens of cycles, the net charge
//! per cycle decaying geometrically). Extrapolating such a transient linearly puts lithium into
//! the particles that the relaxed cell never holds (suite seed 3, case 278: 2.5 times the net
//! charge of the resolved run, efficiencies of 23 % to 56 000 %). The lithium the jump
//! misplaces, `J (J + 1)/2 · |D₂(q)|`, is held to `tol` of the last cycle's capacity, after
//! discounting the counter's solver noise (see [`StateControl::Absolute`]). Jumps never leave fewer than
//! the resolved cycles before the end of the block, never exceed `max_jump` cycles, never
//! carry a controlled state across zero (one already within its absolute tolerance of zero,
//! a latent capacity activated away, stops at zero instead of stopping the jump), and never take a state with a physical range (a
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

/// How a slow state limits a jump.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StateControl {
    /// Extrapolated, never limiting (the delivered-energy counter, the particle
    /// stoichiometries, whose cycle-to-cycle noise has no effect of its own on the physics).
    Free,
    /// Its extrapolation error held to `tol · (|S| + s_floor)` (the degradation states).
    Relative,
    /// Its extrapolation error held to `tol · scale`, after its second difference is reduced
    /// by `noise` (same units as the state): for a counter whose value is not a scale of
    /// itself, such as the delivered charge, whose second difference at a steady state is the
    /// solver's noise on the cycle's capacities, not a trend.
    Absolute {
        /// The state's scale (for the charge counter: the last cycle's capacity).
        scale: f64,
        /// The part of the second difference that is noise, not curvature.
        noise: f64,
    },
}

/// The noise on the second difference of the delivered-charge counter at the end of resolved
/// cycles, in multiples of the solver's relative tolerance times the cycle's capacity
/// (`rtol · Q`): the part of it [`StateControl::Absolute`] does not count as curvature.
///
/// Measured on 200 resolved 1C cycles of the degradation-free solid verification cell
/// (`rtol` = 1e-4, Q = 7.0e-4 A·h), where the cycle is periodic and the second difference is
/// noise only: |D₂(q)| has a median of 2 and a largest value of 9 in these units; on the paper
/// cell (`wu2022_1c_1000.toml`) it is 0.002–0.008. A relaxation ends below this value within a
/// few cycles of reaching it (the net charge per cycle falls by a factor of about 0.56 per
/// cycle in suite seed 3, case 278).
pub const CHARGE_NOISE: f64 = 3.0;

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
    /// resolved one; `None` when no jump of at least two cycles is allowed. Every state is
    /// extrapolated; `controls` says, per state, how it limits the jump (missing entries:
    /// [`StateControl::Free`]).
    pub fn plan(
        &self,
        s: [&[f64]; 3],
        t: [f64; 3],
        remaining: usize,
        controls: &[StateControl],
    ) -> Option<Jump> {
        self.plan_resolving(s, t, remaining, None, controls, &[])
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
        controls: &[StateControl],
        ranges: &[(f64, f64)],
    ) -> Option<Jump> {
        let limit = remaining
            .saturating_sub(self.resolved_cycles)
            .min(self.max_jump)
            .min(must_resolve.map_or(usize::MAX, |c| c.saturating_sub(1)));
        if limit < 2 {
            return None;
        }
        // Largest J with J (J + 1)/2 · |D₂| ≤ tol · scale for every controlled state.
        let mut worst: f64 = 0.0;
        for (((&a, &b), &c), control) in s[0].iter().zip(s[1]).zip(s[2]).zip(controls) {
            let second = (c - 2.0 * b + a).abs();
            let ratio = match *control {
                StateControl::Free => continue,
                StateControl::Relative => second / (self.tolerance * (c.abs() + STATE_FLOOR)),
                StateControl::Absolute { scale, noise } => {
                    let curvature = (second - noise).max(0.0);
                    if curvature == 0.0 {
                        0.0
                    } else if scale > 0.0 {
                        curvature / (self.tolerance * scale)
                    } else {
                        f64::INFINITY
                    }
                }
            };
            worst = worst.max(ratio);
        }
        let mut jump = if worst > 0.0 {
            // J (J + 1) ≤ 2/worst.
            ((((1.0 + 8.0 / worst).sqrt() - 1.0) / 2.0).floor() as usize).min(limit)
        } else {
            limit
        };
        // No degradation state may cross zero, unless it is already negligible, within its
        // absolute tolerance `tol · s_floor` of zero (a latent capacity decayed away, a state
        // at its solver noise): that one is extrapolated to zero at most (below).
        let negligible = self.tolerance * STATE_FLOOR;
        for ((&b, &c), _) in s[1]
            .iter()
            .zip(s[2])
            .zip(controls)
            .filter(|(_, &control)| control == StateControl::Relative)
        {
            let slope = c - b;
            if c.abs() > negligible && slope != 0.0 && slope.signum() != c.signum() {
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
                .zip(controls)
                .map(|((&b, &c), &control)| {
                    let next = c + j * (c - b);
                    if control == StateControl::Relative && next * c < 0.0 {
                        0.0
                    } else {
                        next
                    }
                })
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

    /// The jump cycles planned by `cj` over the unit-spaced resolved cycles `s` of states that
    /// are all held to the tolerance relative to themselves (`None`: no jump).
    fn relative_jump(cj: &CycleJumping, s: [&[f64]; 3], remaining: usize) -> Option<usize> {
        let controls = vec![StateControl::Relative; s[0].len()];
        cj.plan(s, [0.0, 1.0, 2.0], remaining, &controls)
            .map(|j| j.cycles)
    }

    #[test]
    fn straight_states_jump_as_far_as_allowed() {
        let cj = CycleJumping::default();
        let (a, b, c) = ([1.0, 5.0], [1.1, 5.0], [1.2, 5.0]);
        let jump = cj
            .plan(
                [&a, &b, &c],
                [0.0, 10.0, 20.0],
                1000,
                &[StateControl::Relative, StateControl::Relative],
            )
            .unwrap();
        assert_eq!(jump.cycles, 100);
        assert!((jump.states[0] - 11.2).abs() < 1e-9);
        assert_eq!(jump.states[1], 5.0);
        assert_eq!(jump.time_s, 1020.0);
        // Near the end of the block the resolved cycles are kept.
        assert_eq!(relative_jump(&cj, [&a, &b, &c], 10).unwrap(), 7);
        assert!(relative_jump(&cj, [&a, &b, &c], 4).is_none());
    }

    #[test]
    fn curvature_shortens_the_jump() {
        let cj = CycleJumping::default();
        // Second difference 1e-3 on a state of 1: J (J + 1)/2 · 1e-3 ≤ 1e-3 · 1.01 → J = 1.
        let (a, b, c) = ([0.998], [0.999], [1.001]);
        assert!(relative_jump(&cj, [&a, &b, &c], 1000).is_none());
        // A hundred times less curvature allows J (J + 1) ≤ 202 → J = 13.
        let (a, b, c) = ([0.99998], [0.99999], [1.00001]);
        assert_eq!(relative_jump(&cj, [&a, &b, &c], 1000).unwrap(), 13);
    }

    #[test]
    fn no_state_is_carried_across_zero() {
        let cj = CycleJumping::default();
        let (a, b, c) = ([0.3], [0.2], [0.1]);
        // Linear decline by 0.1 per cycle: zero after one more cycle, so no jump.
        assert!(relative_jump(&cj, [&a, &b, &c], 1000).is_none());
        let (a, b, c) = ([0.3], [0.29], [0.28]);
        assert_eq!(relative_jump(&cj, [&a, &b, &c], 1000).unwrap(), 27);
    }

    #[test]
    fn a_state_decayed_to_its_noise_does_not_stop_the_jump_and_stops_at_zero() {
        // A latent capacity activated away (1e-9 and falling by half each cycle) beside a
        // straight state: the straight one sets the jump, the decayed one ends at zero, not
        // below it. Above its absolute tolerance (1e-3 · 1e-2) the crossing still stops it.
        let cj = CycleJumping::default();
        let (a, b, c) = ([4e-9, 1.0], [2e-9, 1.1], [1e-9, 1.2]);
        let controls = [StateControl::Relative, StateControl::Relative];
        let jump = cj
            .plan([&a, &b, &c], [0.0, 1.0, 2.0], 1000, &controls)
            .expect("a jump");
        assert_eq!(jump.cycles, 100);
        assert_eq!(jump.states[0], 0.0);
        let (a, b, c) = ([6e-5, 1.0], [4e-5, 1.1], [2e-5, 1.2]);
        assert!(cj
            .plan([&a, &b, &c], [0.0, 1.0, 2.0], 1000, &controls)
            .is_none());
    }

    #[test]
    fn uncontrolled_states_are_extrapolated_but_do_not_limit() {
        let cj = CycleJumping::default();
        let (a, b, c) = ([1.0, 0.0], [1.0, 5.0], [1.0, 4.0]);
        let jump = cj
            .plan(
                [&a, &b, &c],
                [0.0, 1.0, 2.0],
                1000,
                &[StateControl::Relative, StateControl::Free],
            )
            .unwrap();
        assert_eq!(jump.cycles, 100);
        assert_eq!(jump.states[1], 4.0 - 100.0);
    }

    #[test]
    fn a_charge_counter_that_still_relaxes_allows_no_jump_and_its_noise_does_not_limit() {
        let cj = CycleJumping::default();
        // Suite seed 3, case 278, cycles 8–10 resolved: the net charge per cycle falls
        // 3.09e-5, 1.72e-5, 9.6e-6 A·h (a geometric relaxation), on a capacity of 3.1e-4 A·h.
        let q = |nets: [f64; 2]| ([0.0], [nets[0]], [nets[0] + nets[1]]);
        let control = |noise: f64| {
            [StateControl::Absolute {
                scale: 3.1e-4,
                noise,
            }]
        };
        let (a, b, c) = q([1.72e-5, 9.6e-6]);
        assert!(cj
            .plan([&a, &b, &c], [0.0, 1.0, 2.0], 1000, &control(3e-8))
            .is_none());
        // Relaxed to the noise (the verification cell at 1C: net charges of ±1e-7 A·h on
        // 7e-4 A·h): the second difference within the noise allows the longest jump.
        let (a, b, c) = q([-0.8e-7, 1.1e-7]);
        let control = [StateControl::Absolute {
            scale: 7e-4,
            noise: 2.1e-7,
        }];
        let jump = cj
            .plan([&a, &b, &c], [0.0, 1.0, 2.0], 1000, &control)
            .unwrap();
        assert_eq!(jump.cycles, 100);
        // Above the noise, the excess limits: 1e-7 A·h over it allows J (J + 1)/2 ≤ 7.
        let control = [StateControl::Absolute {
            scale: 7e-4,
            noise: 0.9e-7,
        }];
        let jump = cj
            .plan([&a, &b, &c], [0.0, 1.0, 2.0], 1000, &control)
            .unwrap();
        assert_eq!(jump.cycles, 3);
    }

    #[test]
    fn jumps_end_before_a_cycle_that_must_be_resolved() {
        let cj = CycleJumping::default();
        let (a, b, c) = ([1.0], [1.1], [1.2]);
        let plan = |must| {
            cj.plan_resolving(
                [&a, &b, &c],
                [0.0, 1.0, 2.0],
                1000,
                must,
                &[StateControl::Relative],
                &[],
            )
        };
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
                &[StateControl::Relative, StateControl::Free],
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
