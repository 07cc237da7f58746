//! The accepted range of every numeric input, in one place, and the checks that use them.
//!
//! Every parameter of a cell and every setting of a scenario (mesh, solver, experiment,
//! impedance, sweep) has a range it must lie in: physical where physics bounds it (volume
//! fractions, transference numbers), practical elsewhere — wide enough for every real cell and
//! study, narrow enough that a value outside it is a mistake (a unit slip, an exponent typed
//! wrong) that would otherwise reach the solver, make it fail far from the cause, or ask the
//! machine for more memory or disk than it has. The checks run when a scenario or parameter file
//! is read ([`crate::scenario`]), before anything is solved or written; each failure names the
//! key, the value and the range.
//!
//! The ranges are the constants below; [`ACCEPTED`] lists them by key for the documentation
//! (the table "Accepted input ranges" in `docs/robustness.md`, checked against this list by
//! `tests/input_ranges.rs`, which also checks that each is enforced).

use std::fmt;

/// A failed range check: (key, message).
pub type RangeError = (&'static str, String);

/// A value outside its accepted range: what was expected and found, naming the range.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum OutOfRange {
    /// Not even of the range's kind: not finite, or of the wrong sign.
    #[error("expected {what} in the accepted range {range}, found {}", shown(*value))]
    WrongKind {
        /// What kind of number was expected (`"a positive number"`).
        what: &'static str,
        /// The range.
        range: Range,
        /// The value found.
        value: f64,
    },
    /// Of the range's kind but outside it.
    #[error("{} is outside the accepted range {range}", shown(*value))]
    Outside {
        /// The range.
        range: Range,
        /// The value found.
        value: f64,
    },
    /// A count below its range's least.
    #[error("expected at least {} {}, found {found} (accepted range {count})", count.min, count.noun(count.min))]
    TooFew {
        /// The range.
        count: Count,
        /// The count found.
        found: u64,
    },
    /// A count above its range's most.
    #[error("{found} is outside the accepted range {count}: {}", count.why)]
    TooMany {
        /// The range.
        count: Count,
        /// The count found.
        found: u64,
    },
}

/// The accepted range of a real-valued input: `min` to `max` (either end may be excluded), in
/// `unit`. NaN and ±∞ are never in a range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    /// Lower end.
    pub min: f64,
    /// Upper end.
    pub max: f64,
    /// Whether `min` itself is excluded.
    pub min_excluded: bool,
    /// Whether `max` itself is excluded.
    pub max_excluded: bool,
    /// Unit as shown in messages (`"m"`, `"m²/s"`; empty for a pure number).
    pub unit: &'static str,
}

impl Range {
    /// `[min, max]`.
    pub const fn closed(min: f64, max: f64, unit: &'static str) -> Self {
        Range {
            min,
            max,
            min_excluded: false,
            max_excluded: false,
            unit,
        }
    }

    /// `(min, max]`.
    pub const fn above(min: f64, max: f64, unit: &'static str) -> Self {
        Range {
            min_excluded: true,
            ..Range::closed(min, max, unit)
        }
    }

    /// `[min, max)`.
    pub const fn below(min: f64, max: f64, unit: &'static str) -> Self {
        Range {
            max_excluded: true,
            ..Range::closed(min, max, unit)
        }
    }

    /// `(min, max)`.
    pub const fn open(min: f64, max: f64, unit: &'static str) -> Self {
        Range {
            min_excluded: true,
            max_excluded: true,
            ..Range::closed(min, max, unit)
        }
    }

    /// Whether `v` lies in the range (never for NaN or ±∞).
    pub fn contains(&self, v: f64) -> bool {
        v.is_finite()
            && (if self.min_excluded {
                v > self.min
            } else {
                v >= self.min
            })
            && (if self.max_excluded {
                v < self.max
            } else {
                v <= self.max
            })
    }

    /// `Ok` if `v` is in the range; else what was expected and found, naming the range:
    /// `1e-300 is outside the accepted range 1e-9 to 1e-3 m`, or, for a value of the wrong sign
    /// or not a number at all, `expected a positive number in the accepted range …, found -1`.
    pub fn check_value(&self, v: f64) -> Result<(), OutOfRange> {
        if self.contains(v) {
            return Ok(());
        }
        let positive_only = self.min > 0.0 || (self.min == 0.0 && self.min_excluded);
        let what = if !v.is_finite() {
            Some("a finite number")
        } else if positive_only && v <= 0.0 {
            Some("a positive number")
        } else if self.min == 0.0 && v < 0.0 {
            Some("a number ≥ 0")
        } else {
            None
        };
        Err(match what {
            Some(what) => OutOfRange::WrongKind {
                what,
                range: *self,
                value: v,
            },
            None => OutOfRange::Outside {
                range: *self,
                value: v,
            },
        })
    }

    /// [`Range::check_value`] with the key for the caller's error.
    pub fn check(&self, key: &'static str, v: f64) -> Result<(), RangeError> {
        self.check_value(v).map_err(|e| (key, e.to_string()))
    }
}

impl fmt::Display for Range {
    /// `1e-9 to 1e-3 m` for a closed range, interval notation (`(0, 1]`) when an end is
    /// excluded.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (lo, hi) = (bound(self.min), bound(self.max));
        if self.min_excluded || self.max_excluded {
            let open = if self.min_excluded { '(' } else { '[' };
            let close = if self.max_excluded { ')' } else { ']' };
            write!(f, "{open}{lo}, {hi}{close}")?;
        } else {
            write!(f, "{lo} to {hi}")?;
        }
        if !self.unit.is_empty() {
            write!(f, " {}", self.unit)?;
        }
        Ok(())
    }
}

/// The accepted range of a size or count: `min` to `max` of `unit` (a plural noun such as
/// `"cells"`), with why there is an upper limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    /// Smallest accepted value.
    pub min: u64,
    /// Largest accepted value.
    pub max: u64,
    /// What is counted, plural (`"cells"`, `"frequencies per decade"`).
    pub unit: &'static str,
    /// Why the upper limit is there, for the message (`"the model must fit in memory"`).
    pub why: &'static str,
}

impl Count {
    /// `Ok` if `n` is in the range; else `expected at least 2 cells, found 1 (accepted range 2
    /// to 1000 cells)` or `9223372036854775807 is outside the accepted range 1 to 1000 cells:
    /// the model must fit in memory`.
    pub fn check_value(&self, n: u64) -> Result<(), OutOfRange> {
        if n < self.min {
            Err(OutOfRange::TooFew {
                count: *self,
                found: n,
            })
        } else if n > self.max {
            Err(OutOfRange::TooMany {
                count: *self,
                found: n,
            })
        } else {
            Ok(())
        }
    }

    /// [`Count::check_value`] for a `usize`.
    pub fn check_usize(&self, n: usize) -> Result<(), OutOfRange> {
        self.check_value(u64::try_from(n).unwrap_or(u64::MAX))
    }

    /// The unit, singular for 1 when it is one word (`"cells"` → `"cell"`).
    fn noun(&self, n: u64) -> &'static str {
        if n == 1 && !self.unit.contains(' ') {
            self.unit.strip_suffix('s').unwrap_or(self.unit)
        } else {
            self.unit
        }
    }
}

impl fmt::Display for Count {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} to {} {}",
            self.min,
            bound(self.max as f64),
            self.unit
        )
    }
}

/// A bound as written in a range: exponent notation below 0.1 and from 1e4 up (`1e-9`,
/// `1e-2`, `3e5`), plain in between (`0.5`, `200`, `1000`).
fn bound(x: f64) -> String {
    if x != 0.0 && (x.abs() < 0.1 || x.abs() >= 1e4) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

/// A value as shown in a message: plain unless that is long or much longer than exponent
/// notation (`1e-300`, `1e308`, `1e-9` in exponent notation; `-0.000027`, `298.15` and
/// `100000` as written).
pub fn shown(v: f64) -> String {
    let plain = format!("{v}");
    let exp = format!("{v:e}");
    if plain.len() <= 12 && plain.len() <= exp.len() + 4 {
        plain
    } else {
        exp
    }
}

/// A computed value as shown in a message: to 4 significant digits (`1388.5`, `6.24e304`).
pub fn approx(v: f64) -> String {
    match format!("{v:.3e}").parse::<f64>() {
        Ok(rounded) => shown(rounded),
        Err(_) => shown(v),
    }
}

// ---------------------------------------------------------------------------------------------
// Physical parameters
// ---------------------------------------------------------------------------------------------

/// Temperatures: the cell's and the reference temperatures of Arrhenius laws \[K\].
pub const TEMPERATURE_K: Range = Range::closed(200.0, 500.0, "K");
/// Electrode area \[m²\].
pub const AREA_M2: Range = Range::closed(1e-8, 100.0, "m²");
/// Nominal capacity \[A·h\].
pub const NOMINAL_CAPACITY_AH: Range = Range::closed(1e-9, 1e4, "A·h");
/// The 1C current per mass of active material \[mA/g = A/kg\].
pub const ONE_C_SPECIFIC_CURRENT_MA_G: Range = Range::closed(1e-3, 1e5, "mA/g");
/// The cell's voltage cut-offs \[V\].
pub const CUTOFF_V: Range = Range::above(0.0, 10.0, "V");
/// Potentials against Li/Li+ (open-circuit potentials, gallery and onset potentials) \[V\].
pub const POTENTIAL_V: Range = Range::closed(-5.0, 10.0, "V");
/// Thicknesses of the cathode and the separator \[m\].
pub const THICKNESS_M: Range = Range::closed(1e-7, 1e-2, "m");
/// Volume fractions \[-\].
pub const VOLUME_FRACTION: Range = Range::above(0.0, 1.0, "");
/// Contact fraction of the particle surface with the electrolyte \[-\]: below 1e-4 no cell
/// carries a current.
pub const CONTACT_FRACTION: Range = Range::closed(1e-4, 1.0, "");
/// Bruggeman exponents \[-\].
pub const BRUGGEMAN_EXPONENT: Range = Range::closed(0.0, 10.0, "");
/// Tortuosity factors \[-\].
pub const TORTUOSITY: Range = Range::closed(1.0, 1e3, "");
/// Electronic conductivity of the cathode \[S/m\].
pub const ELECTRONIC_CONDUCTIVITY_S_M: Range = Range::closed(1e-10, 1e8, "S/m");
/// Particle radius \[m\].
pub const PARTICLE_RADIUS_M: Range = Range::closed(1e-9, 1e-3, "m");
/// A diffusivity given as a constant \[m²/s\].
pub const DIFFUSIVITY_M2_S: Range = Range::closed(1e-25, 1e-5, "m²/s");
/// The values of a diffusivity given as a table or polynomial \[m²/s\] (0 allowed at a point).
pub const DIFFUSIVITY_VALUES_M2_S: Range = Range::closed(0.0, 1e-5, "m²/s");
/// Ionic conductivity given as a constant \[S/m\].
pub const IONIC_CONDUCTIVITY_S_M: Range = Range::closed(1e-10, 1e3, "S/m");
/// The values of an ionic conductivity given as a table or polynomial \[S/m\].
pub const IONIC_CONDUCTIVITY_VALUES_S_M: Range = Range::closed(0.0, 1e3, "S/m");
/// Thermodynamic factor of a binary electrolyte (every value of its function) \[-\].
pub const THERMODYNAMIC_FACTOR: Range = Range::closed(1e-3, 100.0, "");
/// Lithium concentrations in solids (c_s,max, the lithium metal) \[mol/m³\].
pub const SOLID_CONCENTRATION_MOL_M3: Range = Range::closed(1.0, 1e6, "mol/m³");
/// Salt concentration of a binary electrolyte \[mol/m³\].
pub const ELECTROLYTE_CONCENTRATION_MOL_M3: Range = Range::closed(1.0, 1e4, "mol/m³");
/// Nominal concentration of a single-ion conductor in the exchange current \[mol/m³\].
pub const NOMINAL_CONCENTRATION_MOL_M3: Range = Range::closed(1e-3, 1e5, "mol/m³");
/// Cation transference number of a binary electrolyte \[-\].
pub const TRANSFERENCE_NUMBER: Range = Range::below(0.0, 1.0, "");
/// Rate constant of the cathode's exchange current \[A/m² (mol/m³)^−1.5\].
pub const CATHODE_RATE_CONSTANT: Range = Range::closed(1e-15, 1.0, "A/m² (mol/m³)^-1.5");
/// Rate constant of lithium metal's exchange current \[A/m² (mol/m³)^−1\].
pub const LITHIUM_RATE_CONSTANT: Range = Range::closed(1e-15, 100.0, "A/m² (mol/m³)^-1");
/// A constant exchange-current density \[A/m²\].
pub const EXCHANGE_CURRENT_DENSITY_A_M2: Range = Range::closed(1e-10, 1e6, "A/m²");
/// Area-specific resistances that may be zero (film, native layer) \[Ω m²\].
pub const AREA_RESISTANCE_OHM_M2: Range = Range::closed(0.0, 100.0, "Ω m²");
/// The grain-boundary resistance (present, so positive) \[Ω m²\].
pub const GRAIN_BOUNDARY_RESISTANCE_OHM_M2: Range = Range::above(0.0, 100.0, "Ω m²");
/// Double-layer capacitances (0 = off) \[F/m²\].
pub const CAPACITANCE_F_M2: Range = Range::closed(0.0, 1e4, "F/m²");
/// The grain-boundary capacitance (present, so positive) \[F/m²\].
pub const GRAIN_BOUNDARY_CAPACITANCE_F_M2: Range = Range::above(0.0, 1e4, "F/m²");
/// Density of the active material \[kg/m³\].
pub const DENSITY_KG_M3: Range = Range::closed(100.0, 3e4, "kg/m³");
/// Activation energies \[J/mol\] (0: no temperature dependence; 3e5 J/mol is 3.1 eV).
pub const ACTIVATION_ENERGY_J_MOL: Range = Range::closed(0.0, 3e5, "J/mol");
/// Lithium per formula unit of the MSMR host at c_s,max \[-\].
pub const LITHIUM_PER_FORMULA: Range = Range::closed(1e-3, 100.0, "");
/// Widths ω of MSMR galleries \[-\].
pub const GALLERY_OMEGA: Range = Range::closed(1e-2, 100.0, "");
/// Spread of a band of gallery potentials \[V\] (0: one gallery).
pub const COUPLE_SPREAD_V: Range = Range::closed(0.0, 3.0, "V");
/// Smooth-onset widths of the degradation laws \[V\].
pub const ONSET_WIDTH_V: Range = Range::closed(1e-4, 10.0, "V");
/// The anionic gallery's hysteresis \[V\].
pub const HYSTERESIS_V: Range = Range::closed(0.0, 5.0, "V");
/// Rate of the hysteresis state per lithium exchanged \[1/Li\].
pub const HYSTERESIS_RATE: Range = Range::closed(0.0, 1e4, "");
/// Activation rate of the latent anionic capacity \[1/s\].
pub const ACTIVATION_RATE_1_S: Range = Range::closed(0.0, 1e3, "1/s");
/// Bulk oxygen loss per lithium exchanged \[Li/Li\].
pub const OXYGEN_LOSS_BULK_PER_LI: Range = Range::closed(0.0, 10.0, "");
/// Surface oxygen loss per side-reaction charge \[m²/C\].
pub const OXYGEN_LOSS_SURFACE_M2_C: Range = Range::closed(0.0, 1e3, "m²/C");
/// Exchange-current ratio of the anionic gallery to a cationic one \[-\].
pub const EXCHANGE_CURRENT_RATIO: Range = Range::closed(1e-6, 1e3, "");
/// Surface oxygen release by contact with the electrolyte \[m/s\].
pub const OXYGEN_LOSS_CONTACT_M_S: Range = Range::closed(0.0, 1e-6, "m/s");
/// Formula units densified per lithium of anionic capacity lost with the oxygen \[-\].
pub const DENSIFIED_PER_OXYGEN: Range = Range::closed(0.0, 10.0, "");
/// Voltage fade per lithium of oxygen lost \[V/Li\].
pub const FADE_V_PER_LI: Range = Range::closed(0.0, 100.0, "V");
/// Transition-metal migration rate \[V/s\].
pub const MIGRATION_RATE_V_S: Range = Range::closed(0.0, 0.1, "V/s");
/// Migration rate of the cationic capacity into the lower couple \[1/s\].
pub const MIGRATION_RATE_1_S: Range = Range::closed(0.0, 0.1, "1/s");
/// Rearrangement and reversal rates of oxidised oxygen \[1/s\]: up to once a second, far
/// faster than any rearrangement of a lattice.
pub const REARRANGEMENT_RATE_1_S: Range = Range::closed(0.0, 1.0, "1/s");
/// Oxygen loss that doubles the migration rate \[Li/f.u.\]: from a millionth of a lithium
/// (every vacancy counts) to 10 (vacancies barely matter).
pub const MIGRATION_VACANCY_CAPACITY: Range = Range::closed(1e-6, 10.0, "");
/// Percolation threshold of the interphase's conducting products \[-\].
pub const PERCOLATION_THRESHOLD: Range = Range::open(0.0, 1.0, "");
/// Percolation exponent \[-\].
pub const PERCOLATION_EXPONENT: Range = Range::above(0.0, 10.0, "");
/// Conductivity of the interphase's conducting products \[S/m\].
pub const FILM_CONDUCTOR_CONDUCTIVITY_S_M: Range = Range::closed(0.0, 1e8, "S/m");
/// Tunnelling current prefactor \[A/m²\].
pub const TUNNELLING_CURRENT_A_M2: Range = Range::closed(0.0, 1e6, "A/m²");
/// Tunnelling length \[m\].
pub const TUNNELLING_LENGTH_M: Range = Range::closed(1e-12, 1e-6, "m");
/// Solvent-diffusion prefactor of a liquid's interphase growth \[A/m\].
pub const SOLVENT_DIFFUSION_A_M: Range = Range::closed(0.0, 1.0, "A/m");
/// Molar volume of the interphase products \[m³/mol\].
pub const PRODUCT_VOLUME_M3_MOL: Range = Range::closed(1e-7, 1e-2, "m³/mol");
/// Initial interphase thickness \[m\].
pub const FILM_THICKNESS_M: Range = Range::closed(1e-12, 1e-5, "m");
/// Ionic conductivity of the interphase \[S/m\].
pub const FILM_IONIC_CONDUCTIVITY_S_M: Range = Range::closed(1e-20, 1e3, "S/m");
/// Lithium throughput over which the native layer converts \[Li per formula unit\].
pub const CONVERSION_THROUGHPUT: Range = Range::closed(1e-3, 1e7, "");
/// Cycle counts of the cracking law (onset) \[cycles\].
pub const CRACKING_ONSET_CYCLES: Range = Range::closed(0.0, 1e7, "cycles");
/// Width of the cracking onset \[cycles\].
pub const CRACKING_WIDTH_CYCLES: Range = Range::closed(1e-3, 1e7, "cycles");
/// Fresh surface per original surface after cracking \[-\].
pub const CRACK_AREA_RATIO: Range = Range::closed(0.0, 1e3, "");
/// Crack surface added per equivalent cycle by propagating cracks \[-\].
pub const CRACK_GROWTH_PER_CYCLE: Range = Range::closed(0.0, 10.0, "");
/// Fragments isolated per crack area \[-\].
pub const ISOLATION_PER_AREA: Range = Range::closed(0.0, 100.0, "");
/// Contact lost per equivalent full cycle \[1/cycle\]: at 0.1 a tenth of the material per cycle.
pub const CONTACT_LOSS_PER_CYCLE: Range = Range::closed(0.0, 0.1, "");
/// Fractions in \[0, 1\] (mole fractions, wetting, irreversible fraction) \[-\].
pub const FRACTION: Range = Range::closed(0.0, 1.0, "");

/// The stoichiometry θ = c_s/c_s,max over which a function of it (open-circuit potential,
/// solid diffusivity) must stay in its range.
pub const STOICHIOMETRY_DOMAIN: (f64, f64) = (0.0, 1.0);
/// Over which multiple of the initial salt concentration, from 0, a function of the
/// concentration (conductivity, diffusivity, thermodynamic factor) must stay in its range.
pub const CONCENTRATION_DOMAIN_FACTOR: f64 = 2.0;
/// Most coefficients of a polynomial material function.
pub const POLYNOMIAL_COEFFICIENTS: Count = Count {
    min: 1,
    max: 64,
    unit: "coefficients",
    why: "a fit of more than 63rd degree is not a material function",
};

// ---------------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------------

/// Relative tolerance of the solver \[-\].
pub const RTOL: Range = Range::closed(1e-10, 1e-2, "");
/// Absolute tolerance of the solver \[-\].
pub const ATOL: Range = Range::closed(1e-14, 1e-2, "");
/// Internal solver steps per experiment step.
pub const MAX_STEPS: Count = Count {
    min: 1,
    max: 100_000_000,
    unit: "steps",
    why: "a step that needs more internal steps than this does not end",
};
/// Spacing of the output rows \[s\].
pub const OUTPUT_INTERVAL_S: Range = Range::closed(1e-3, 1e9, "s");
/// Tolerance of cycle jumping \[-\].
pub const CYCLE_JUMPING_TOLERANCE: Range = Range::open(0.0, 1.0, "");
/// Largest cycle jump.
pub const MAX_JUMP: Count = Count {
    min: 2,
    max: 1_000_000,
    unit: "cycles",
    why: "no experiment has more cycles",
};
/// Cycles resolved between jumps.
pub const RESOLVED_CYCLES: Count = Count {
    min: 3,
    max: 10_000,
    unit: "cycles",
    why: "more resolved cycles than this is a resolved run: switch cycle jumping off",
};
/// Cells across the cathode and the separator (x).
pub const X_CELLS: Count = Count {
    min: 1,
    max: 1000,
    unit: "cells",
    why: "finer meshes do not change the result and take more memory than a machine has",
};
/// Shells along the particle radius (the surface reconstruction needs two).
pub const R_CELLS: Count = Count {
    min: 2,
    max: 1000,
    unit: "cells",
    why: "finer meshes do not change the result and take more memory than a machine has",
};
/// Refinement of the outermost particle shell (mesh and impedance).
pub const SURFACE_REFINEMENT: Count = Count {
    min: 1,
    max: 1000,
    unit: "times thinner",
    why: "the shell would be thinner than the diffusion length of any measured frequency",
};
/// Unknowns of the discretised model, np (nr + 5) + 2 ns + 14 at most (the layout of
/// [`crate::physics::p2d`] with every optional unknown).
pub const UNKNOWNS: Count = Count {
    min: 1,
    max: 200_000,
    unit: "unknowns",
    why: "a run takes about 6.5 kB of memory per unknown (3.2 GB at 490 000), and sweeps run several at once",
};
/// Currents of charges, discharges and hold ends, as multiples of the cell's 1C current.
pub const C_RATE: Range = Range::closed(1e-6, 1000.0, "C");
/// Durations of steps (`for …`, rests) \[s\].
pub const DURATION_S: Range = Range::closed(1e-3, 1e9, "s");
/// Cycles of one block, and of the whole experiment.
pub const CYCLES: Count = Count {
    min: 1,
    max: 1_000_000,
    unit: "cycles",
    why: "a summary row and a record are kept per cycle",
};
/// Rows of the time series estimated from `solver.output_interval_s`, the saved cycles and
/// the step durations (about 80 bytes each on disk).
pub const TIMESERIES_ROWS: Count = Count {
    min: 0,
    max: 100_000_000,
    unit: "rows",
    why: "about 8 GB of time series",
};
/// Impedance frequencies \[Hz\].
pub const FREQUENCY_HZ: Range = Range::closed(1e-6, 1e9, "Hz");
/// Impedance frequencies per decade.
pub const POINTS_PER_DECADE: Count = Count {
    min: 1,
    max: 1000,
    unit: "frequencies per decade",
    why:
        "a spectrum is smooth on a far coarser grid, and each frequency is a complex factorisation",
};
/// Frequencies of one spectrum.
pub const FREQUENCIES: Count = Count {
    min: 1,
    max: 10_000,
    unit: "frequencies",
    why: "each frequency is a complex factorisation and a row of impedance.csv",
};
/// Open-circuit rest before a spectrum \[min\].
pub const IMPEDANCE_REST_MIN: Range = Range::closed(0.0, 1e6, "min");
/// Cases of a sweep (the product of the axis lengths in a grid).
pub const SWEEP_CASES: Count = Count {
    min: 1,
    max: 100_000,
    unit: "cases",
    why: "every case is loaded and checked before the first one runs; split the study into several sweeps",
};

/// A documented limit: a real range, a count, or a rule relative to other inputs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Limit {
    /// A real-valued range.
    Real(Range),
    /// A size or count.
    Count(Count),
    /// A rule relative to other inputs, in words.
    Relative(&'static str),
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Limit::Real(r) => write!(f, "{r}"),
            Limit::Count(c) => write!(f, "{c}"),
            Limit::Relative(text) => f.write_str(text),
        }
    }
}

/// One row of the documented ranges: the key (as in the files; `*` stands for several
/// prefixes), the limit, and a note.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Accepted {
    /// The key, as in parameter and scenario files.
    pub key: &'static str,
    /// Its accepted range.
    pub limit: Limit,
    /// Where it applies, or why.
    pub note: &'static str,
}

const fn real(key: &'static str, range: Range, note: &'static str) -> Accepted {
    Accepted {
        key,
        limit: Limit::Real(range),
        note,
    }
}

const fn count(key: &'static str, count: Count, note: &'static str) -> Accepted {
    Accepted {
        key,
        limit: Limit::Count(count),
        note,
    }
}

const fn relative(key: &'static str, rule: &'static str, note: &'static str) -> Accepted {
    Accepted {
        key,
        limit: Limit::Relative(rule),
        note,
    }
}

/// Every documented range, in the order of `docs/robustness.md`.
pub const ACCEPTED: &[Accepted] = &[
    real("cell.temperature_K", TEMPERATURE_K, "−73 to 227 °C"),
    real("cell.area_m2", AREA_M2, ""),
    real("cell.nominal_capacity_Ah", NOMINAL_CAPACITY_AH, ""),
    real(
        "cell.one_c_specific_current_mA_g",
        ONE_C_SPECIFIC_CURRENT_MA_G,
        "",
    ),
    real("cell.lower_cutoff_V", CUTOFF_V, "below the upper cut-off"),
    real("cell.upper_cutoff_V", CUTOFF_V, ""),
    real("positive.thickness_m", THICKNESS_M, ""),
    real("separator.thickness_m", THICKNESS_M, ""),
    real(
        "*.electrolyte_volume_fraction",
        VOLUME_FRACTION,
        "cathode: with the active material's at most 1 in all",
    ),
    real(
        "positive.active_material_volume_fraction",
        VOLUME_FRACTION,
        "",
    ),
    real("*_transport.bruggeman", BRUGGEMAN_EXPONENT, ""),
    real("*_transport.tortuosity", TORTUOSITY, ""),
    real(
        "positive.electronic_conductivity_S_m",
        ELECTRONIC_CONDUCTIVITY_S_M,
        "of the whole solid; with a carbon network, of the active oxide alone",
    ),
    real("positive.carbon_network.volume_fraction", FRACTION, ""),
    real(
        "positive.carbon_network.conductivity_S_m",
        ELECTRONIC_CONDUCTIVITY_S_M,
        "the carbon phase itself",
    ),
    real(
        "positive.carbon_network.percolation_threshold",
        PERCOLATION_THRESHOLD,
        "",
    ),
    real(
        "positive.carbon_network.percolation_exponent",
        PERCOLATION_EXPONENT,
        "",
    ),
    real("positive.particle_radius_m", PARTICLE_RADIUS_M, ""),
    real(
        "positive.solid_diffusivity_m2_s",
        DIFFUSIVITY_M2_S,
        "a constant",
    ),
    real(
        "positive.solid_diffusivity_m2_s.table / .polynomial",
        DIFFUSIVITY_VALUES_M2_S,
        "every value for θ in [0, 1]",
    ),
    real(
        "positive.max_concentration_mol_m3",
        SOLID_CONCENTRATION_MOL_M3,
        "",
    ),
    relative(
        "positive.initial_concentration_mol_m3",
        "(0, max_concentration_mol_m3)",
        "with MSMR: more than the galleries cannot release",
    ),
    real(
        "positive.ocp_V",
        POTENTIAL_V,
        "every value for θ in [0, 1] (constant, table or polynomial)",
    ),
    real("positive.exchange_current_k", CATHODE_RATE_CONSTANT, ""),
    real(
        "positive.film_resistance_ohm_m2",
        AREA_RESISTANCE_OHM_M2,
        "",
    ),
    real(
        "*.double_layer_capacitance_F_m2",
        CAPACITANCE_F_M2,
        "0 = off",
    ),
    real("positive.contact_fraction", CONTACT_FRACTION, "absent: 1"),
    real("positive.active_material_density_kg_m3", DENSITY_KG_M3, ""),
    real(
        "positive.msmr.lithium_per_formula_max",
        LITHIUM_PER_FORMULA,
        "",
    ),
    relative(
        "positive.msmr.cationic[].capacity",
        "(0, lithium_per_formula_max], all galleries together too",
        "",
    ),
    real(
        "positive.msmr.cationic[].standard_potential_V",
        POTENTIAL_V,
        "",
    ),
    real("positive.msmr.cationic[].omega", GALLERY_OMEGA, ""),
    real(
        "*_activation_energy_J_mol",
        ACTIVATION_ENERGY_J_MOL,
        "every Arrhenius law",
    ),
    real(
        "*_reference_temperature_K",
        TEMPERATURE_K,
        "every Arrhenius law",
    ),
    real(
        "separator.grain_boundary_resistance_ohm_m2",
        GRAIN_BOUNDARY_RESISTANCE_OHM_M2,
        "",
    ),
    real(
        "separator.grain_boundary_capacitance_F_m2",
        GRAIN_BOUNDARY_CAPACITANCE_F_M2,
        "",
    ),
    real(
        "electrolyte.positive_conductivity_S_m",
        IONIC_CONDUCTIVITY_S_M,
        "single ion",
    ),
    real(
        "electrolyte.separator_conductivity_S_m",
        IONIC_CONDUCTIVITY_S_M,
        "single ion",
    ),
    real(
        "electrolyte.nominal_concentration_mol_m3",
        NOMINAL_CONCENTRATION_MOL_M3,
        "single ion",
    ),
    real(
        "electrolyte.initial_concentration_mol_m3",
        ELECTROLYTE_CONCENTRATION_MOL_M3,
        "binary",
    ),
    real(
        "electrolyte.cation_transference_number",
        TRANSFERENCE_NUMBER,
        "binary",
    ),
    real(
        "electrolyte.conductivity_S_m",
        IONIC_CONDUCTIVITY_S_M,
        "binary, a constant",
    ),
    real(
        "electrolyte.conductivity_S_m.table / .polynomial",
        IONIC_CONDUCTIVITY_VALUES_S_M,
        "binary, every value for c_e in [0, 2 c_e,0]",
    ),
    real(
        "electrolyte.diffusivity_m2_s",
        DIFFUSIVITY_M2_S,
        "binary, a constant",
    ),
    real(
        "electrolyte.diffusivity_m2_s.table / .polynomial",
        DIFFUSIVITY_VALUES_M2_S,
        "binary, every value for c_e in [0, 2 c_e,0]",
    ),
    real(
        "electrolyte.thermodynamic_factor",
        THERMODYNAMIC_FACTOR,
        "binary, every value for c_e in [0, 2 c_e,0]",
    ),
    count(
        "*.polynomial",
        POLYNOMIAL_COEFFICIENTS,
        "any material function",
    ),
    real("negative.ocp_V", POTENTIAL_V, ""),
    real(
        "negative.exchange_current_density_A_m2",
        EXCHANGE_CURRENT_DENSITY_A_M2,
        "",
    ),
    real(
        "negative.exchange_current_k",
        LITHIUM_RATE_CONSTANT,
        "lithium metal",
    ),
    real(
        "negative.li_metal_concentration_mol_m3",
        SOLID_CONCENTRATION_MOL_M3,
        "lithium metal",
    ),
    real(
        "anion_redox.*_potential_V",
        POTENTIAL_V,
        "standard, activation, oxygen loss",
    ),
    real("anion_redox.omega", GALLERY_OMEGA, ""),
    real("anion_redox.hysteresis_V", HYSTERESIS_V, ""),
    real("anion_redox.hysteresis_rate", HYSTERESIS_RATE, ""),
    real("anion_redox.hysteresis_growth_V", HYSTERESIS_V, "optional"),
    real(
        "anion_redox.exchange_current_ratio",
        EXCHANGE_CURRENT_RATIO,
        "optional",
    ),
    relative(
        "anion_redox.lattice_capacity",
        "[0, lithium_per_formula_max − the cationic galleries]",
        "",
    ),
    relative(
        "anion_redox.initial_active_capacity",
        "[0, lattice_capacity]",
        "",
    ),
    real("anion_redox.activation_rate_per_s", ACTIVATION_RATE_1_S, ""),
    real(
        "anion_redox.*_width_V",
        ONSET_WIDTH_V,
        "activation, oxygen loss",
    ),
    real("anion_redox.irreversible_fraction", FRACTION, ""),
    real(
        "anion_redox.oxygen_loss_bulk_per_Li",
        OXYGEN_LOSS_BULK_PER_LI,
        "",
    ),
    real(
        "anion_redox.oxygen_loss_surface_m2_C",
        OXYGEN_LOSS_SURFACE_M2_C,
        "",
    ),
    real(
        "anion_redox.oxygen_loss_contact_m_s",
        OXYGEN_LOSS_CONTACT_M_S,
        "optional",
    ),
    real(
        "anion_redox.densified_per_oxygen",
        DENSIFIED_PER_OXYGEN,
        "optional; below 1 / lattice_capacity",
    ),
    real("anion_redox.fade_V_per_Li", FADE_V_PER_LI, ""),
    real("anion_redox.migration_rate_V_per_s", MIGRATION_RATE_V_S, ""),
    real(
        "anion_redox.rearrangement_*rate_per_s",
        REARRANGEMENT_RATE_1_S,
        "rearrangement, reversal; with migration_law = \"rearranged_oxygen\"",
    ),
    real(
        "anion_redox.migration_vacancy_capacity",
        MIGRATION_VACANCY_CAPACITY,
        "with migration_law = \"rearranged_oxygen\"",
    ),
    real(
        "anion_redox.lower_couple_potential_V",
        POTENTIAL_V,
        "with fade_law = \"lower_couple\"",
    ),
    real(
        "anion_redox.lower_couple_omega",
        GALLERY_OMEGA,
        "with fade_law = \"lower_couple\"",
    ),
    real(
        "anion_redox.reduced_metal_potential_V",
        POTENTIAL_V,
        "optional, with fade_law = \"lower_couple\"",
    ),
    real(
        "anion_redox.lower_couple_spread_V",
        COUPLE_SPREAD_V,
        "optional, with fade_law = \"lower_couple\"",
    ),
    real(
        "anion_redox.reduced_metal_per_oxygen",
        FRACTION,
        "with fade_law = \"lower_couple\"",
    ),
    real(
        "anion_redox.migration_rate_per_s",
        MIGRATION_RATE_1_S,
        "with fade_law = \"lower_couple\"",
    ),
    real("interphase.electronic_conductor_fraction", FRACTION, ""),
    real(
        "interphase.percolation_threshold",
        PERCOLATION_THRESHOLD,
        "",
    ),
    real("interphase.percolation_exponent", PERCOLATION_EXPONENT, ""),
    real(
        "interphase.conductor_conductivity_S_m",
        FILM_CONDUCTOR_CONDUCTIVITY_S_M,
        "",
    ),
    real(
        "interphase.tunnelling_current_A_m2",
        TUNNELLING_CURRENT_A_M2,
        "",
    ),
    real("interphase.tunnelling_length_m", TUNNELLING_LENGTH_M, ""),
    real(
        "interphase.solvent_diffusion_A_m",
        SOLVENT_DIFFUSION_A_M,
        "",
    ),
    real("interphase.oxidation_potential_V", POTENTIAL_V, ""),
    real("interphase.onset_width_V", ONSET_WIDTH_V, ""),
    real(
        "interphase.product_volume_m3_mol",
        PRODUCT_VOLUME_M3_MOL,
        "",
    ),
    real("interphase.initial_thickness_m", FILM_THICKNESS_M, ""),
    real(
        "interphase.ionic_conductivity_S_m",
        FILM_IONIC_CONDUCTIVITY_S_M,
        "",
    ),
    real(
        "interphase.native_resistance_ohm_m2",
        AREA_RESISTANCE_OHM_M2,
        "",
    ),
    real(
        "interphase.native_conversion_throughput",
        CONVERSION_THROUGHPUT,
        "",
    ),
    real("interphase.open_fraction", FRACTION, "optional"),
    real(
        "interphase.sealing_thickness_m",
        TUNNELLING_LENGTH_M,
        "optional",
    ),
    real("cracking.onset_cycles", CRACKING_ONSET_CYCLES, ""),
    real("cracking.width_cycles", CRACKING_WIDTH_CYCLES, ""),
    real("cracking.max_area_ratio", CRACK_AREA_RATIO, ""),
    real("cracking.area_growth_per_cycle", CRACK_GROWTH_PER_CYCLE, ""),
    real("cracking.isolation_per_area", ISOLATION_PER_AREA, ""),
    real(
        "cracking.contact_loss_per_cycle",
        CONTACT_LOSS_PER_CYCLE,
        "",
    ),
    real("cracking.wetting", FRACTION, ""),
    count("mesh.positive_x_cells", X_CELLS, ""),
    count("mesh.separator_x_cells", X_CELLS, ""),
    count("mesh.particle_r_cells", R_CELLS, ""),
    count(
        "mesh.particle_surface_refinement",
        SURFACE_REFINEMENT,
        "also `impedance.particle_surface_refinement`",
    ),
    count(
        "(unknowns of the model)",
        UNKNOWNS,
        "np (nr + 5) + 2 ns + 14 for np, ns, nr cells",
    ),
    real("solver.rtol", RTOL, ""),
    real("solver.atol", ATOL, ""),
    count("solver.max_steps", MAX_STEPS, ""),
    real("solver.output_interval_s", OUTPUT_INTERVAL_S, ""),
    real(
        "solver.cycle_jumping.tolerance",
        CYCLE_JUMPING_TOLERANCE,
        "",
    ),
    count("solver.cycle_jumping.max_jump", MAX_JUMP, ""),
    count("solver.cycle_jumping.resolved_cycles", RESOLVED_CYCLES, ""),
    real(
        "experiment: currents",
        C_RATE,
        "charge, discharge and hold-end currents in any unit, against the cell's 1C",
    ),
    relative(
        "experiment: voltages",
        "within [cell.lower_cutoff_V, cell.upper_cutoff_V]",
        "cut-offs and holds, after conversion from vs Li/Li+",
    ),
    real("experiment: durations", DURATION_S, "`for …` and rests"),
    count(
        "experiment: cycles",
        CYCLES,
        "of one block and of the whole experiment",
    ),
    count(
        "(time-series rows)",
        TIMESERIES_ROWS,
        "estimated with `solver.output_interval_s` over the saved cycles",
    ),
    real(
        "impedance.f_min_Hz, f_max_Hz",
        FREQUENCY_HZ,
        "f_min_Hz < f_max_Hz",
    ),
    count("impedance.points_per_decade", POINTS_PER_DECADE, ""),
    count("(frequencies of a spectrum)", FREQUENCIES, ""),
    real("impedance.rest_minutes", IMPEDANCE_REST_MIN, ""),
    count(
        "impedance.every_cycles, first_cycle",
        CYCLES,
        "a period or first cycle past the experiment takes no spectrum",
    ),
    count(
        "(cases of a sweep)",
        SWEEP_CASES,
        "a grid's axis lengths multiplied, before any case is built",
    ),
];

/// `v` finite and > 0.
pub fn positive(key: &'static str, v: f64) -> Result<(), RangeError> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err((key, format!("expected a positive number, found {v}")))
    }
}

/// `v` finite and ≥ 0.
pub fn non_negative(key: &'static str, v: f64) -> Result<(), RangeError> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err((key, format!("expected a number ≥ 0, found {v}")))
    }
}

/// `v` finite.
pub fn finite(key: &'static str, v: f64) -> Result<(), RangeError> {
    if v.is_finite() {
        Ok(())
    } else {
        Err((key, format!("expected a finite number, found {v}")))
    }
}

/// `v` in [0, 1]; `what` names the kind of fraction in the message ("fraction", "mole
/// fraction").
pub fn unit_interval(key: &'static str, v: f64, what: &str) -> Result<(), RangeError> {
    if FRACTION.contains(v) {
        Ok(())
    } else {
        Err((key, format!("expected a {what} in [0, 1], found {v}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checks_name_the_key_and_the_range() {
        assert!(positive("a", 1.0).is_ok());
        assert_eq!(
            positive("a", 0.0).unwrap_err(),
            ("a", "expected a positive number, found 0".to_string())
        );
        assert!(non_negative("b", 0.0).is_ok() && non_negative("b", f64::NAN).is_err());
        assert!(finite("c", -3.0).is_ok() && finite("c", f64::INFINITY).is_err());
        assert!(unit_interval("d", 1.0, "fraction").is_ok());
        assert_eq!(
            unit_interval("d", 1.5, "mole fraction").unwrap_err().1,
            "expected a mole fraction in [0, 1], found 1.5"
        );
    }

    #[test]
    fn ranges_say_what_they_accept() {
        let r = PARTICLE_RADIUS_M;
        assert!(r.contains(1e-6) && r.contains(1e-9) && r.contains(1e-3));
        assert!(!r.contains(f64::NAN) && !r.contains(f64::INFINITY));
        assert_eq!(
            r.check_value(1e-300).unwrap_err().to_string(),
            "1e-300 is outside the accepted range 1e-9 to 1e-3 m"
        );
        assert_eq!(
            r.check_value(1e308).unwrap_err().to_string(),
            "1e308 is outside the accepted range 1e-9 to 1e-3 m"
        );
        assert_eq!(
            r.check_value(-2.7e-5).unwrap_err().to_string(),
            "expected a positive number in the accepted range 1e-9 to 1e-3 m, found -0.000027"
        );
        assert_eq!(
            r.check_value(f64::NAN).unwrap_err().to_string(),
            "expected a finite number in the accepted range 1e-9 to 1e-3 m, found NaN"
        );
        assert_eq!(
            CAPACITANCE_F_M2.check_value(-1.0).unwrap_err().to_string(),
            "expected a number ≥ 0 in the accepted range 0 to 1e4 F/m², found -1"
        );
        assert_eq!(TEMPERATURE_K.to_string(), "200 to 500 K");
        assert_eq!(VOLUME_FRACTION.to_string(), "(0, 1]");
        assert_eq!(TRANSFERENCE_NUMBER.to_string(), "[0, 1)");
        assert_eq!(RTOL.to_string(), "1e-10 to 1e-2");
        assert!(VOLUME_FRACTION.contains(1.0) && !VOLUME_FRACTION.contains(0.0));
    }

    #[test]
    fn counts_say_what_they_accept() {
        assert!(X_CELLS.check_value(20).is_ok());
        assert_eq!(
            R_CELLS.check_value(1).unwrap_err().to_string(),
            "expected at least 2 cells, found 1 (accepted range 2 to 1000 cells)"
        );
        assert_eq!(
            X_CELLS.check_value(0).unwrap_err().to_string(),
            "expected at least 1 cell, found 0 (accepted range 1 to 1000 cells)"
        );
        let e = X_CELLS.check_usize(usize::MAX).unwrap_err();
        assert!(matches!(e, OutOfRange::TooMany { found, .. } if found == u64::MAX));
        let e = e.to_string();
        assert!(
            e.starts_with(&format!(
                "{} is outside the accepted range 1 to 1000 cells: ",
                usize::MAX
            )),
            "{e}"
        );
        assert_eq!(SWEEP_CASES.to_string(), "1 to 1e5 cases");
    }

    #[test]
    fn every_documented_key_is_listed_once() {
        let mut keys: Vec<&str> = ACCEPTED.iter().map(|a| a.key).collect();
        keys.sort_unstable();
        let n = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), n, "a key is listed twice");
    }
}
