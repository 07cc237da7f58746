//! A solver failure's physical account: where the cell was when the solver gave up and which
//! physical limit was near, as data ([`FailureExplanation`], [`PhysicalLimit`]) with a message
//! that names the parameters that move the limit. Where no limit was near it says so: the
//! failure is then numerical, not the cell's.
//!
//! The account is read from the last state the solver accepted, in this order (the first that
//! holds is the one named):
//!
//! 1. electrolyte depleted below [`ELECTROLYTE_DEPLETED`] of its initial concentration (the
//!    limiting current of the salt's transport);
//! 2. particle surfaces within 2 % of empty or full (solid diffusion, R²/D_s);
//! 3. an ohmic drop above 1 V across the cathode's interface (film, native layer, contact);
//! 4. a current above half of what the particle surfaces can carry;
//! 5. none of these: numerical.

use std::fmt;

use crate::physics::p2d::P2dModel;

use super::step::Step;

/// A scaled electrolyte concentration below this is depleted \[-\].
pub const ELECTROLYTE_DEPLETED: f64 = 0.05;

/// Particle surfaces closer than this to empty or full (fraction of the host's window) are
/// where solid diffusion limits \[-\].
const SURFACE_NEAR_END: f64 = 0.02;

/// An ohmic drop across the cathode's interface above this is what limits \[V\].
const INTERFACE_DROP_LIMIT_V: f64 = 1.0;

/// A current above this share of the largest the surfaces can carry is what limits \[-\].
const SURFACE_CURRENT_SHARE: f64 = 0.5;

/// The parameters that move the solid-diffusion limits.
const DIFFUSION_PARAMETERS: &str =
    "a lower current, smaller particles (positive.particle_radius_m) \
     or a higher positive.solid_diffusivity_m2_s";

/// Where the cell was when the solver failed, and what limited it.
#[derive(Debug, Clone, PartialEq)]
pub struct FailureExplanation {
    /// Cell voltage \[V\].
    pub voltage_v: f64,
    /// Cell current \[A\] (positive on discharge).
    pub current_a: f64,
    /// Time into the step \[s\].
    pub elapsed_s: f64,
    /// The physical limit that was near, or none ([`PhysicalLimit::Numerical`]).
    pub limit: PhysicalLimit,
    /// The hold's voltage \[V\] and current limit \[A\], when the step was a constant-voltage
    /// hold.
    pub hold: Option<(f64, Option<f64>)>,
}

/// Which physical limit was near when the solver failed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PhysicalLimit {
    /// The electrolyte was depleted to `fraction` of its initial concentration at `place`.
    ElectrolyteDepleted {
        /// ĉ = c_e/c_e,0 at its lowest \[-\].
        fraction: f64,
        /// Where.
        place: DepletionPlace,
    },
    /// The particle surfaces were `fraction` of the host's window from `end`.
    SolidDiffusion {
        /// Which end of the window.
        end: WindowEnd,
        /// Distance from it, as a fraction of the window \[-\].
        fraction: f64,
        /// R²/D_s at the surfaces' mean stoichiometry \[h\].
        diffusion_time_h: f64,
    },
    /// The ohmic drop across the cathode's interface at the current \[V\].
    InterfaceDrop {
        /// The drop \[V\].
        volts: f64,
    },
    /// The current was `share` of the largest the particle surfaces can carry.
    SurfaceCurrent {
        /// |i| over the bound \[-\].
        share: f64,
        /// The bound \[A/m²\].
        bound_a_m2: f64,
        /// R²/D_s \[h\].
        diffusion_time_h: f64,
    },
    /// No physical limit was near.
    Numerical {
        /// The particle surfaces' filling, min and max over the cathode cells \[-\].
        filling: (f64, f64),
        /// |i| over the surfaces' bound \[-\].
        share: f64,
    },
}

impl PhysicalLimit {
    /// The limit's name, one word for scripts: `"electrolyte_depleted"`, `"solid_diffusion"`,
    /// `"interface_drop"`, `"surface_current"` or `"numerical"`.
    pub fn name(&self) -> &'static str {
        match self {
            PhysicalLimit::ElectrolyteDepleted { .. } => "electrolyte_depleted",
            PhysicalLimit::SolidDiffusion { .. } => "solid_diffusion",
            PhysicalLimit::InterfaceDrop { .. } => "interface_drop",
            PhysicalLimit::SurfaceCurrent { .. } => "surface_current",
            PhysicalLimit::Numerical { .. } => "numerical",
        }
    }
}

/// Which end of the host's window the particle surfaces were near.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowEnd {
    /// No lithium left to release.
    Empty,
    /// No room left for lithium.
    Full,
}

/// Where the electrolyte was depleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DepletionPlace {
    /// In the separator.
    Separator,
    /// In the cathode's last cell, at its current collector.
    CurrentCollector,
    /// In the cathode, `cell` of `cells` from the separator (1-based).
    Cathode {
        /// The cell, from 1 at the separator.
        cell: usize,
        /// The cathode's cells.
        cells: usize,
    },
}

/// A failure's physical account from the last state the solver accepted (`y`, `elapsed_s`
/// into `step`); see the module doc.
pub fn explain_failure(
    model: &P2dModel,
    y: &[f64],
    step: &Step,
    elapsed_s: f64,
) -> FailureExplanation {
    let state = model.surface_state(y);
    let current = model.current_a(y);
    let i_density = y[model.layout().i_app].abs();
    let diffusion_time_h = state.diffusion_time_s / 3600.0;
    let (empty, full) = (state.room(true), state.room(false));
    let bound = state.limits.toward(current < 0.0);
    let share = i_density / bound.max(f64::MIN_POSITIVE);
    let interface_drop = model.interface_drop_v(y, i_density);
    let depleted = model
        .electrolyte_minimum(y)
        .filter(|&(c, _, _)| c < ELECTROLYTE_DEPLETED);
    let limit = if let Some((c, m, ne)) = depleted {
        let ns = model.layout().ns;
        let place = if m < ns {
            DepletionPlace::Separator
        } else if m + 1 == ne {
            DepletionPlace::CurrentCollector
        } else {
            DepletionPlace::Cathode {
                cell: m - ns + 1,
                cells: ne - ns,
            }
        };
        PhysicalLimit::ElectrolyteDepleted { fraction: c, place }
    } else if empty < SURFACE_NEAR_END || full < SURFACE_NEAR_END {
        let (end, fraction) = if empty < full {
            (WindowEnd::Empty, empty)
        } else {
            (WindowEnd::Full, full)
        };
        PhysicalLimit::SolidDiffusion {
            end,
            fraction,
            diffusion_time_h,
        }
    } else if interface_drop > INTERFACE_DROP_LIMIT_V {
        PhysicalLimit::InterfaceDrop {
            volts: interface_drop,
        }
    } else if i_density > SURFACE_CURRENT_SHARE * bound {
        PhysicalLimit::SurfaceCurrent {
            share,
            bound_a_m2: bound,
            diffusion_time_h,
        }
    } else {
        PhysicalLimit::Numerical {
            filling: state.filling,
            share,
        }
    };
    let hold = match step {
        Step::ConstantVoltage { voltage_v, limit } => Some((*voltage_v, limit.current_a)),
        _ => None,
    };
    FailureExplanation {
        voltage_v: model.voltage(y),
        current_a: current,
        elapsed_s,
        limit,
        hold,
    }
}

impl fmt::Display for FailureExplanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the cell was at {:.4} V and {:.4e} A, {:.1} s into the step; {}",
            self.voltage_v, self.current_a, self.elapsed_s, self.limit
        )?;
        if let Some((voltage_v, current_a)) = self.hold {
            write!(f, " (a hold at {voltage_v} V")?;
            if let Some(c) = current_a {
                write!(f, " until {c:.4e} A")?;
            }
            write!(f, ")")?;
        }
        Ok(())
    }
}

impl fmt::Display for PhysicalLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            PhysicalLimit::ElectrolyteDepleted { fraction, place } => write!(
                f,
                "the electrolyte was depleted to {:.2} % of its initial concentration {place}: \
                 the salt cannot reach the back of the cathode fast enough at this current (its \
                 limiting current): a lower current, a thinner cathode (positive.thickness_m), a \
                 higher temperature or a more conductive, faster-diffusing electrolyte moves it",
                100.0 * fraction
            ),
            PhysicalLimit::SolidDiffusion {
                end,
                fraction,
                diffusion_time_h,
            } => write!(
                f,
                "the particle surfaces were {:.2} % from {} while solid diffusion (R²/D = \
                 {diffusion_time_h:.3} h) refills them slowly: what limited is diffusion in the \
                 particles at this current ({DIFFUSION_PARAMETERS} moves it)",
                100.0 * fraction,
                match end {
                    WindowEnd::Empty => "empty",
                    WindowEnd::Full => "full",
                }
            ),
            PhysicalLimit::InterfaceDrop { volts } => write!(
                f,
                "the ohmic drop across the cathode's interface at this current was {volts:.3} V \
                 (film, native layer and contact): a lower current, a higher temperature or more \
                 contact (positive.contact_fraction) lowers it"
            ),
            PhysicalLimit::SurfaceCurrent {
                share,
                bound_a_m2,
                diffusion_time_h,
            } => write!(
                f,
                "the current was {:.0} % of the largest the particle surfaces can carry \
                 ({bound_a_m2:.4e} A/m²; R²/D = {diffusion_time_h:.3} h): {DIFFUSION_PARAMETERS} \
                 raises that bound",
                100.0 * share
            ),
            PhysicalLimit::Numerical { filling, share } => write!(
                f,
                "no physical limit was near (surfaces {:.1}–{:.1} % full, current {:.0} % of what \
                 they can carry): the failure is numerical, not the cell's — please report it with \
                 the command line",
                100.0 * filling.0,
                100.0 * filling.1,
                100.0 * share
            ),
        }
    }
}

impl fmt::Display for DepletionPlace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            DepletionPlace::Separator => write!(f, "in the separator"),
            DepletionPlace::CurrentCollector => write!(f, "at the cathode's current collector"),
            DepletionPlace::Cathode { cell, cells } => write!(
                f,
                "in the cathode, {cell} of {cells} cells from the separator"
            ),
        }
    }
}
