//! Anion (lattice-oxygen) redox of a lithium-rich cathode: an MSMR gallery whose capacity is a
//! state, activated over the first cycles, partly lost at activation and later by oxygen
//! release, with charge/discharge hysteresis and a voltage fade that follows the oxygen lost.
//!
//! State variables (electrode averages, in lithium per formula unit of the host):
//!
//! - X_a, active anionic capacity: the capacity of the anionic gallery;
//! - X_l, latent anionic capacity: lithium bound to lattice oxygen that is not yet redox-active
//!   (held in the host, not released inside the window);
//! - X_O, capacity lost by oxygen release after activation;
//! - M, transition-metal migration expressed as the downward shift it gives the galleries \[V\];
//! - h ∈ [−1, 1], hysteresis state of the anionic gallery.
//!
//! Laws (f = F/RT, σ the logistic function, U the local open-circuit potential at the particle
//! surface averaged over the electrode):
//!
//! - activation `dX_l/dt = −k_act X_l a`, with a = σ((U − U_act)/w_act) at an absolute
//!   onset or a = o (1 + h)/2 while the oxygen is oxidised on charge ([`Activation`]); of
//!   the activated capacity the
//!   fraction φ_irr is lost at once (oxygen that leaves the lattice or forms species not
//!   reduced inside the window: the first-cycle loss of Li-rich oxides), the rest joins X_a:
//!   `dX_a/dt = (1 − φ_irr) k_act X_l a − r_O`;
//! - oxygen release `r_O = X_a ⟨o(U) (k_b |i|/Q_1 + k_s j_side + k_c (3/R_p) A_open)⟩`,
//!   `dX_O/dt = r_O`: a bulk part k_b per lithium exchanged while the lattice oxygen is
//!   oxidised (irreversible O–O dimerisation in every deep cycle, independent of the
//!   interface) and a surface part proportional to the local side-reaction current density
//!   j_side of the interphase model (oxygen released where the electrolyte is oxidised: it falls
//!   as a passivating film stops the side reaction and is sustained against an electrolyte that
//!   keeps reacting, or on flooded crack surface) and a part by contact k_c, the oxidised
//!   surface oxygen reacting with, or leaving into, the electrolyte that touches it over the
//!   surface A_open that the film leaves open (see [`AnionRedox::oxygen_loss_contact_m_s`]);
//! - transition-metal migration `dM/dt = r_M ⟨o(U)⟩`: cations move into the lithium layer
//!   while the oxygen is oxidised, so it accrues with the time the lattice oxygen is held
//!   oxidised (voltage decay of Li-rich oxides depends on time at high voltage and temperature,
//!   not only on cycle count; Sathiya et al., Nat. Mater. 14 (2015) 230); or
//!   ([`MigrationLaw::RearrangedOxygen`]) through a rearranged-oxygen state ζ that builds with
//!   the time the oxygen is held oxidised and reverts once it is reduced,
//!   `dζ/dt = k_r ⟨o⟩ (1 − ζ) − k_v (1 − ⟨o⟩) ζ`, `dM/dt = r_M ζ (1 + X_O/X_v)`, faster with
//!   the oxygen vacancies the loss X_O leaves ([`OxygenRearrangement`]);
//! - the instability factor o(U) of oxygen release and migration ([`OxygenInstability`]):
//!   either the oxidised fraction of the anionic gallery at the surface, `o = 1 − s_a(U)` with
//!   the gallery at `U0_a` below (it moves with the hysteresis and with the fade, so a faded
//!   cell keeps its oxygen oxidised for as long as a fresh one), or, as first calibrated, a
//!   logistic onset `σ((U − U_O)/w_O)` at an absolute surface potential (which the fade moves
//!   the galleries away from: the more a cell has faded, the less time it spends above U_O and
//!   the slower it degrades);
//! - hysteresis (Axen et al., J. Energy Storage 2022, doi:10.1016/j.est.2022.103985, in
//!   the form `dh/dt = S (1 ∓ h)`): `dh/dt = κ_h (−i − |i| h)/Q_1`, i the applied current
//!   density (positive on discharge), Q_1 the charge of one lithium per formula unit per
//!   electrode area, so h → +1 on charge and −1 on discharge after about 1/κ_h lithium;
//! - the voltage fade `ΔU = β X_O + M`: the anionic gallery's standard potential is
//!   `U0_a = U_mid + h ΔU_h/2 − ΔU` and every cationic gallery shifts by `−ΔU` (the lattice
//!   after oxygen loss and migration).

use crate::physics::material::Arrhenius;
use crate::physics::msmr::{logistic, occupancy_pair};
use crate::range::{self, non_negative, unit_interval, RangeError};

/// What makes the oxidised lattice oxygen unstable: the factor o ∈ [0, 1] of oxygen release and
/// transition-metal migration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OxygenInstability {
    /// The oxidised fraction of the anionic gallery at the particle surface,
    /// `o = 1 − s_a(U) = 1/(1 + exp(−f (U − U0_a)/ω))` with `U0_a = U_mid + h ΔU_h/2 − ΔU`
    /// (`oxygen_instability = "oxidised_oxygen"`). The oxygen is unstable while it is oxidised:
    /// from the top of charge through the early discharge, until the discharge branch of the
    /// hysteresis reduces it (Li-rich oxides lose oxygen and migrate cations in the charged,
    /// oxidised state; Hu et al., Nat. Energy 3 (2018) 690; Yan et al., Nat. Nanotechnol. 14
    /// (2019) 602). No parameter of its own: the gallery's potential, width and hysteresis.
    OxidisedOxygen,
    /// A logistic onset at an absolute surface potential, `o = σ((U − U_O)/w_O)`
    /// (`oxygen_instability = "potential"`, the default for parameter files written before the
    /// oxidised-oxygen law).
    Potential {
        /// Onset potential U_O \[V\]. Accepted range: −5 to 10 V.
        potential_v: f64,
        /// Width w_O of the onset \[V\]. Accepted range: 1e-4 to 10 V.
        width_v: f64,
    },
}

/// What drives the activation of the latent anionic capacity, the factor a of
/// `dX_l/dt = −k_act X_l ⟨a⟩`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Activation {
    /// A logistic onset at an absolute surface potential, `a = σ((U − U_act)/w_act)`
    /// (`activation_law = "potential"`, the default): the first charge's activation plateau.
    /// The more anionic capacity is active, the longer its own plateau holds the charge below
    /// U_act, so activation slows cycle after cycle and some latent capacity outlives a
    /// formation of a few cycles.
    Potential {
        /// Onset potential U_act \[V\]. Accepted range: −5 to 10 V.
        potential_v: f64,
        /// Width w_act of the onset \[V\]. Accepted range: 1e-4 to 10 V.
        width_v: f64,
    },
    /// While the lattice oxygen is oxidised on charge, `a = o (1 + h)/2`
    /// (`activation_law = "oxidised_on_charge"`), o the oxidised fraction of the anionic
    /// gallery (as [`OxygenInstability::OxidisedOxygen`]) and (1 + h)/2 the charge branch of
    /// the hysteresis. Physics: latent lattice oxygen (the Li2MnO3-like, C2/c domains of the
    /// as-made oxide) becomes redox-active as the oxide around it is taken to the oxidised,
    /// R-3 state on charge (Wu 2022: C2/c → R-3 near 4.05 V, the oxygen-redox signature from
    /// the 11th charge on), a fraction per charge set by the time the oxygen is held
    /// oxidised, not by an absolute potential: activation builds over the formation cycles
    /// and is complete by their end, and it stops on discharge, where nothing is oxidised.
    OxidisedOnCharge,
}

/// The instability factor o at one surface and its partials.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Instability {
    /// o \[-\].
    pub value: f64,
    /// ∂o/∂U \[1/V\].
    pub d_u: f64,
    /// ∂o/∂h \[-\].
    pub d_h: f64,
    /// ∂o/∂ΔU, ΔU the voltage fade \[1/V\].
    pub d_fade: f64,
    /// ∂o/∂M, M the migration state (through the hysteresis growth).
    pub d_m: f64,
}

/// Parameters of the anion-redox submodel. Potentials in V vs Li/Li+, capacities in lithium
/// per formula unit of the host, rates per second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AnionRedox {
    /// Mid-hysteresis standard potential U_mid of the anionic gallery \[V\].
    /// Accepted range: −5 to 10 V.
    pub standard_potential_v: f64,
    /// Width ω of the anionic gallery \[-\]. Accepted range: 1e-2 to 100.
    pub omega: f64,
    /// Hysteresis ΔU_h: standard potential on charge minus that on discharge \[V\].
    /// Accepted range: 0 to 5 V.
    pub hysteresis_v: f64,
    /// Hysteresis rate κ_h \[-\]: h relaxes over 1/κ_h lithium per formula unit passed.
    /// Accepted range: 0 to 1e4.
    pub hysteresis_rate: f64,
    /// Growth κ_M of the hysteresis with transition-metal migration \[V per unit of M\]
    /// (`hysteresis_growth_V`, absent: 0): the discharge branch of the anionic gallery moves
    /// down by κ_M M while the charge branch stays, `U0_a = U_mid + h ΔU_h/2 − κ_M M (1 − h)/2
    /// − ΔU` (M the migrated fraction m with the lower couple, volts with the rigid shift).
    /// Physics: the voltage hysteresis of oxygen redox comes from the transition metal that
    /// migrates into the lithium layer when the oxygen is oxidised and returns, or not, on
    /// reduction (Gent et al., Nat. Commun. 8 (2017) 2091), and from molecular O2 trapped in
    /// the voids the migration leaves, reduced only at low potential (House et al., Nature 577
    /// (2020) 502): the more metal has migrated for good, the lower the potential at which the
    /// oxidised oxygen is reduced on discharge, while its oxidation on charge is unchanged.
    /// Voltage decay of lithium-rich oxides is mostly such a lowering of the discharge curve.
    /// Accepted range: 0 to 5 V.
    pub hysteresis_growth_v: f64,
    /// Exchange-current ratio ρ_a of the anionic gallery \[-\] (`exchange_current_ratio`,
    /// absent: 1): its part of the exchange current, `ρ_a X_a (s_a (1 − s_a))^½`, against a
    /// cationic gallery's `X_j (s_j (1 − s_j))^½` (MSMR kinetics, each gallery with an exchange
    /// current of its own: Baker & Verbrugge, J. Electrochem. Soc. 165 (2018) A3952). Lithium
    /// exchange coupled to oxygen redox is slow: it needs the metal–oxygen bonds to rearrange
    /// (the rearrangement and hysteresis of [`OxygenRearrangement`]), and oxygen-redox
    /// capacity is known to fall with rate faster than the cationic (Assat et al., Nat.
    /// Commun. 8 (2017) 2219), so ρ_a < 1 makes the accessible anionic capacity fall with the
    /// current. Accepted range: 1e-6 to 1e3.
    pub exchange_current_ratio: f64,
    /// Capacity the lattice oxygen can give, X_O,max = X_a + X_l at the start \[Li/f.u.\].
    /// Accepted range: 0 to what the cationic galleries leave.
    pub lattice_capacity: f64,
    /// Active anionic capacity X_a at the start \[Li/f.u.\] (the rest is latent).
    /// Accepted range: 0 to `lattice_capacity`.
    pub initial_active_capacity: f64,
    /// Activation rate k_act \[1/s\] at full onset. Accepted range: 0 to 1000 1/s.
    pub activation_rate_1_s: f64,
    /// What drives the activation of the latent capacity.
    pub activation: Activation,
    /// Fraction φ_irr of activated capacity lost at activation \[-\]. Accepted range: 0 to 1.
    pub irreversible_fraction: f64,
    /// What drives oxygen release and migration (the factor o of both).
    pub instability: OxygenInstability,
    /// Bulk oxygen release k_b per lithium per formula unit exchanged at full onset \[-\].
    /// Accepted range: 0 to 10.
    pub oxygen_loss_bulk_per_li: f64,
    /// Surface oxygen release per side-reaction current density k_s \[1/s per A/m² = m²/C\].
    /// Accepted range: 0 to 1000 m²/C.
    pub oxygen_loss_surface_m2_c: f64,
    /// Release of oxidised surface oxygen into the electrolyte in contact, k_c \[m/s\]: the depth
    /// of lattice per second whose oxidised oxygen leaves where the electrolyte touches it
    /// (`oxygen_loss_contact_m_s`, absent: 0). The rate of the anionic capacity is
    /// `X_a ⟨o⟩ k_c (3/R_p) A_open`, A_open the surface open to the electrolyte per original
    /// particle surface (the film's pores or the surface it has not yet sealed, plus flooded
    /// crack faces; [`crate::physics::interphase::Interphase::open_surface`]) and 3/R_p the
    /// surface per volume of a sphere, so smaller particles lose more. Physics: oxidised
    /// lattice oxygen at the surface is unstable; where an electrolyte touches it, it leaves
    /// (as O2 or singlet oxygen that the liquid dissolves and that oxidises the carbonates;
    /// Wandt et al., Mater. Today 21 (2018) 825; Jung et al., J. Electrochem. Soc. 164 (2017)
    /// A1361) or is taken into the sulfate and phosphate of a sulfide's interphase (Wu 2022
    /// XPS). It is a chemical reaction with the electrolyte in contact, at a rate set by the
    /// oxidised oxygen and the contact, not by the side current: behind a dense, sealed film
    /// it stops; in a liquid's porous film and on flooded cracks it continues for as long as
    /// the oxygen is held oxidised. Accepted range: 0 to 1e-6 m/s.
    pub oxygen_loss_contact_m_s: f64,
    /// Formula units of the host that densify per lithium of anionic capacity lost with the
    /// oxygen, d \[-\] (`densified_per_oxygen`, absent: 0). The densified fraction
    /// `φ = d X_O` takes no lithium inside the window: every gallery of the host keeps
    /// `(1 − φ)` of its capacity (cationic, migrated, reduced-metal and anionic alike), and
    /// only the undensified anionic capacity `X_a (1 − φ)` can release oxygen. Physics: a
    /// layered oxide whose surface loses oxygen does not keep the lost oxygen's neighbours
    /// in the layered lattice; the under-coordinated metal moves into the lithium layer and
    /// the surface reconstructs into a densified, lithium-poor phase (spinel and rock-salt
    /// layers on layered and lithium-rich oxides cycled against a liquid: Xu et al., Energy
    /// Environ. Sci. 4 (2011) 2223; Lin et al., Nat. Commun. 5 (2014) 3529), so the lost
    /// oxygen takes cationic capacity with it, not only its own anionic capacity. For
    /// Li2RuO3 the product of a charged Li_xRuO3 that loses one oxygen per formula unit is
    /// rutile-type RuO2, which takes lithium only below about 1.2 V vs Li/Li+ (Balaya et al.,
    /// Adv. Funct. Mater. 13 (2003) 621), outside the 2.0–4.3 V window; each lithium of
    /// anionic capacity lost being one oxide ion's hole (O²⁻/O⁻), one oxygen lost densifies
    /// one formula unit: d = 1 \[derived\]. A stoichiometry, not a rate: it has no Arrhenius
    /// factor. Accepted range: 0 to 10, with `d × lattice_capacity < 1` (the oxygen lost
    /// cannot densify more than the whole host).
    pub densified_per_oxygen: f64,
    /// Voltage fade β: downward shift of every gallery per lithium per formula unit of oxygen
    /// released \[V per Li/f.u.\]. Accepted range: 0 to 100 V.
    pub fade_v_per_li: f64,
    /// Transition-metal migration rate r_M at full onset \[V/s\]. Accepted range: 0 to 0.1 V/s.
    pub migration_rate_v_s: f64,
    /// How the migration accrues: at once while the oxygen is oxidised, or through the
    /// rearranged oxygen.
    pub migration: MigrationLaw,
    /// What oxygen loss and migration do to the open-circuit potential: shift every gallery,
    /// or move capacity into a lower-voltage couple.
    pub fade_law: FadeLaw,
    /// Temperature dependence of every degradation rate of the lattice oxygen (the release
    /// coefficients k_b and k_s, migration r_M or r_m, rearrangement k_r and its reversal
    /// k_v), one Arrhenius factor for all: each is a thermally activated rearrangement of the
    /// oxygen sublattice and its metal neighbours (`kinetics_activation_energy_J_mol`,
    /// `kinetics_reference_temperature_K`; absent: none). Activation k_act is not among them:
    /// it is the electrochemical oxidation of the oxygen on the first charges' plateau, driven
    /// by the potential, and Li-rich oxides activate within their first charge at room
    /// temperature as at 60 °C. The rates above hold at the reference temperature;
    /// [`AnionRedox::at_temperature`] gives them at the cell's.
    pub kinetics_arrhenius: Arrhenius,
}

/// The ranges of a logistic onset's keys (potential, width).
fn check_onset(
    (potential_key, width_key): (&'static str, &'static str),
    potential_v: f64,
    width_v: f64,
) -> Result<(), RangeError> {
    range::POTENTIAL_V.check(potential_key, potential_v)?;
    range::ONSET_WIDTH_V.check(width_key, width_v)
}

/// A logistic onset σ((U − U_0)/w) at surface potential `u` \[V\] and its partial in U (none in
/// the gallery's state).
#[inline]
fn onset(u: f64, potential_v: f64, width_v: f64) -> Instability {
    let (value, d) = logistic((u - potential_v) / width_v);
    Instability {
        value,
        d_u: d / width_v,
        ..Instability::default()
    }
}

/// What oxygen loss and transition-metal migration do to the host's open-circuit potential.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FadeLaw {
    /// Every gallery shifts down rigidly by `ΔU = β X_O + M`, M in volts
    /// (`fade_law = "rigid_shift"`, the default for parameter files written before the
    /// lower-voltage couple).
    RigidShift,
    /// Capacity moves into a lower-voltage couple ([`LowerCouple`], `fade_law =
    /// "lower_couple"`); M is then the migrated fraction m of the capacity of the cationic
    /// galleries above the couple, and the
    /// galleries keep their potentials (up to the rigid part β X_O, 0 in this law's intended
    /// use).
    LowerCouple(LowerCouple),
}

/// The lower-voltage couple that oxygen loss and transition-metal migration create (`fade_law =
/// "lower_couple"`): an MSMR gallery at `U0_L` of width ω_L and capacity
///
/// `X_L = m X_mig + γ X_O` (the reduced metal's part γ X_O at a potential of its own U0_R if
/// one is given),
///
/// with the capacities of the cationic galleries above the couple (X_mig their sum; a
/// deep-discharge gallery below it keeps its own) scaled by `(1 − m)` and the migrated fraction
/// `dm/dt = r_m D (1 − m)`, D the migration drive of the [`MigrationLaw`] (⟨o⟩, or
/// `ζ (1 + X_O/X_v)` through the rearranged oxygen).
///
/// Physics: voltage fade of lithium-rich oxides is not a rigid shift of the curve. The
/// discharge capacity moves from the high-voltage couples into a couple near 3 V that grows
/// cycle after cycle (the growing low-voltage peak of dQ/dV): transition-metal ions that
/// migrated into the lithium layer (tetrahedral and octahedral sites of the lithium layer,
/// trapped there) change the environment of the sites they neighbour and lower their potential
/// (Sathiya et al., Nat. Mater. 14 (2015) 230, on Li2Ru(1−y)Ti(y)O3 and Li2Ru(1−y)Sn(y)O3;
/// Gent et al., Nat. Commun. 8 (2017) 2091), and the oxygen vacancies that oxygen release
/// leaves reduce the metal next to them, whose lower couple then takes up lithium on discharge
/// (Hu et al., Nat. Energy 3 (2018) 690; Yan et al., Nat. Nanotechnol. 14 (2019) 602). The
/// capacity the fade moves stays bounded by the host's (m ≤ 1, γ X_O ≤ X_O), so a faded cell's
/// voltage cannot run away below the couple; the couple's capacity, unlike a potential shift,
/// does not move the anionic gallery, so the oxygen of a faded cell is reduced on discharge as
/// in a fresh one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LowerCouple {
    /// Standard potential U0_L of the lower couple \[V vs Li/Li+\]. Not measured for Li2RuO3:
    /// faded lithium-rich oxides grow theirs near 3 V (the references above); accepted range
    /// −5 to 10 V.
    pub standard_potential_v: f64,
    /// Width ω_L of the couple \[-\]. Accepted range: 1e-2 to 100.
    pub omega: f64,
    /// Lithium sites γ the reduced metal offers per lithium of anionic capacity lost with
    /// the oxygen \[-\]. Accepted range: 0 to 1 (the lost oxygen's own capacity at most).
    pub reduced_metal_per_oxygen: f64,
    /// Standard potential U0_R of the reduced metal's sites \[V vs Li/Li+\], the couple's own
    /// potential unless given (`reduced_metal_potential_V`): the metal reduced next to oxygen
    /// vacancies need not sit where the migrated metal does. Accepted range: −5 to 10 V.
    pub reduced_metal_potential_v: f64,
    /// Spread Δ_L of the couple's standard potentials \[V\] (`lower_couple_spread_V`, default
    /// 0): each part's sites spread uniformly over `[U0, U0 + Δ_L]` rather than sitting at one
    /// potential ([`crate::physics::msmr::band_occupancy`]). The migrated and reduced metal
    /// sit in many environments (distances to the vacancies and to each other, tetrahedral and
    /// octahedral sites of the lithium layer), so the low-voltage capacity of a faded
    /// lithium-rich oxide is a broad hump in dQ/dV that fills the range up to the upper
    /// couples rather than a peak of its own (Sathiya et al. 2015, Gent et al. 2017 and Hu et
    /// al. 2018 above, who show the low-voltage dQ/dV of faded lithium-rich oxides as broad
    /// features; the band's width for Li2RuO3 is assumed, docs/wu2022_cell.md §4). Accepted
    /// range: 0 to 3 V.
    pub spread_v: f64,
    /// Migration rate r_m of the cationic capacity at full drive \[1/s\]. Accepted range: 0 to
    /// 0.1 1/s.
    pub migration_rate_1_s: f64,
}

/// The rigid shift of the galleries ΔU and the factors of the migration row of one fade law.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FadeTerms {
    /// ∂ΔU/∂M: 1 when M is a shift in volts, 0 when it is the migrated fraction.
    pub shift_per_migration: f64,
    /// The migration rate coefficient: r_M \[V/s\] or r_m \[1/s\].
    pub migration_rate: f64,
    /// The room left to migrate, 1 or `1 − m`, and its derivative in M.
    pub room: f64,
    pub d_room: f64,
}

/// How transition-metal migration, the part M of the voltage fade, accrues.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MigrationLaw {
    /// `dM/dt = r_M ⟨o⟩`: at the rate of the instability factor, whatever the time the oxygen
    /// has been held oxidised (`migration_law = "while_oxidised"`, the default for parameter
    /// files written before the rearranged-oxygen law).
    WhileOxidised,
    /// Through the rearranged oxygen ζ (`migration_law = "rearranged_oxygen"`), see
    /// [`OxygenRearrangement`]: `dM/dt = r_M ζ (1 + X_O/X_v)`.
    RearrangedOxygen(OxygenRearrangement),
}

/// The rearrangement of oxidised lattice oxygen that transition-metal migration proceeds
/// through, a state ζ ∈ [0, 1] (the fraction of the anionic oxygen in the rearranged
/// configuration, electrode average):
///
/// `dζ/dt = k_r ⟨o⟩ (1 − ζ) − k_v (1 − ⟨o⟩) ζ`,  `dM/dt = r_M ζ (1 + X_O/X_v)`.
///
/// Physics: oxidised lattice oxygen is not stable in place. Its holes localise into O–O
/// dimers (trapped molecular O2 in Li-rich layered oxides; House et al., Nature 577 (2020)
/// 502), and the transition-metal ions next to it move into the vacated lithium layer, a
/// migration coupled to the oxygen redox (Gent et al., Nat. Commun. 8 (2017) 2091). The
/// rearrangement has kinetics of its own, slower than lithium exchange: it builds with the
/// time the oxygen is held oxidised (rate k_r while oxidised) and partly reverts once the
/// oxygen is reduced (rate k_v), so a slow cycle, which holds the oxygen oxidised for hours,
/// rearranges far more of it per hour oxidised than a fast one (voltage decay of Li-rich
/// oxides follows the time at high state of charge, not the cycle count; Sathiya et al., Nat.
/// Mater. 14 (2015) 230; CELL.md §2.7). What stays migrated is irreversible: M accrues at r_M
/// per unit of rearranged oxygen, faster where oxygen vacancies (the oxygen lost, X_O) open
/// paths for the cations (oxygen vacancies lower the migration barriers of the transition
/// metals and drive the voltage decay; Hu et al., Nat. Energy 3 (2018) 690; Yan et al., Nat.
/// Nanotechnol. 14 (2019) 602). Unlike the law at once while oxidised, the fade then depends
/// on the oxygen's state and history, not on an absolute potential the fade moves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OxygenRearrangement {
    /// Rearrangement rate k_r of fully oxidised oxygen \[1/s\]. Accepted range: 0 to 1 1/s.
    pub rate_1_s: f64,
    /// Reversal rate k_v of rearranged oxygen once reduced \[1/s\]. Accepted range: 0 to
    /// 1 1/s.
    pub reversal_rate_1_s: f64,
    /// Oxygen loss X_v that doubles the migration rate \[Li/f.u.\]. Accepted range: 1e-6 to
    /// 10.
    pub vacancy_capacity: f64,
}

/// The rate of the rearranged oxygen ζ and its partials.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RearrangementRate {
    /// dζ/dt \[1/s\].
    pub value: f64,
    /// ∂(dζ/dt)/∂⟨o⟩ \[1/s\].
    pub d_o: f64,
    /// ∂(dζ/dt)/∂ζ \[1/s\].
    pub d_zeta: f64,
}

impl OxygenRearrangement {
    /// `dζ/dt = k_r o (1 − ζ) − k_v (1 − o) ζ` at the mean instability factor `o` and `zeta`.
    #[inline]
    pub fn rate(&self, o: f64, zeta: f64) -> RearrangementRate {
        let (k_r, k_v) = (self.rate_1_s, self.reversal_rate_1_s);
        RearrangementRate {
            value: k_r * o * (1.0 - zeta) - k_v * (1.0 - o) * zeta,
            d_o: k_r * (1.0 - zeta) + k_v * zeta,
            d_zeta: -k_r * o - k_v * (1.0 - o),
        }
    }

    /// The vacancy factor `1 + X_O/X_v` of the migration rate at oxygen loss `x_o`
    /// \[Li/f.u.\], and its derivative in X_O.
    #[inline]
    pub fn vacancy_factor(&self, x_o: f64) -> (f64, f64) {
        (
            1.0 + x_o / self.vacancy_capacity,
            1.0 / self.vacancy_capacity,
        )
    }
}

impl AnionRedox {
    /// The law at temperature `t_k` \[K\]: every degradation rate of the lattice oxygen (see
    /// [`AnionRedox::kinetics_arrhenius`]) times its Arrhenius factor, which is then set to
    /// none. Potentials, capacities and the hysteresis (per lithium passed) do not change.
    pub fn at_temperature(&self, t_k: f64) -> AnionRedox {
        let f = self.kinetics_arrhenius.factor(t_k);
        let migration = match self.migration {
            MigrationLaw::RearrangedOxygen(r) => {
                MigrationLaw::RearrangedOxygen(OxygenRearrangement {
                    rate_1_s: f * r.rate_1_s,
                    reversal_rate_1_s: f * r.reversal_rate_1_s,
                    ..r
                })
            }
            law => law,
        };
        let fade_law = match self.fade_law {
            FadeLaw::LowerCouple(c) => FadeLaw::LowerCouple(LowerCouple {
                migration_rate_1_s: f * c.migration_rate_1_s,
                ..c
            }),
            law => law,
        };
        AnionRedox {
            oxygen_loss_bulk_per_li: f * self.oxygen_loss_bulk_per_li,
            oxygen_loss_surface_m2_c: f * self.oxygen_loss_surface_m2_c,
            oxygen_loss_contact_m_s: f * self.oxygen_loss_contact_m_s,
            migration_rate_v_s: f * self.migration_rate_v_s,
            migration,
            fade_law,
            kinetics_arrhenius: Arrhenius::NONE,
            ..*self
        }
    }

    /// Checks ranges. `cationic_capacity` is the summed capacity of the cationic galleries and
    /// `lithium_max` the host's lithium per formula unit at c_max; the anionic capacity cannot
    /// exceed what the lattice has left after the cations. Returns (key, message).
    pub fn validate(&self, cationic_capacity: f64, lithium_max: f64) -> Result<(), RangeError> {
        range::POTENTIAL_V.check("standard_potential_V", self.standard_potential_v)?;
        range::GALLERY_OMEGA.check("omega", self.omega)?;
        range::HYSTERESIS_V.check("hysteresis_V", self.hysteresis_v)?;
        range::HYSTERESIS_RATE.check("hysteresis_rate", self.hysteresis_rate)?;
        range::HYSTERESIS_V.check("hysteresis_growth_V", self.hysteresis_growth_v)?;
        range::EXCHANGE_CURRENT_RATIO
            .check("exchange_current_ratio", self.exchange_current_ratio)?;
        non_negative("lattice_capacity", self.lattice_capacity)?;
        let room = lithium_max - cationic_capacity;
        if self.lattice_capacity > room + 1e-12 {
            return Err((
                "lattice_capacity",
                format!(
                    "expected at most {room} lithium per formula unit: the host holds {lithium_max} and the cationic galleries already take {cationic_capacity}; found {}",
                    self.lattice_capacity
                ),
            ));
        }
        non_negative("initial_active_capacity", self.initial_active_capacity)?;
        if self.initial_active_capacity > self.lattice_capacity {
            return Err((
                "initial_active_capacity",
                format!(
                    "expected at most lattice_capacity = {}, found {}",
                    self.lattice_capacity, self.initial_active_capacity
                ),
            ));
        }
        range::ACTIVATION_RATE_1_S.check("activation_rate_per_s", self.activation_rate_1_s)?;
        if let Activation::Potential {
            potential_v,
            width_v,
        } = self.activation
        {
            check_onset(
                ("activation_potential_V", "activation_width_V"),
                potential_v,
                width_v,
            )?;
        }
        unit_interval(
            "irreversible_fraction",
            self.irreversible_fraction,
            "fraction",
        )?;
        range::OXYGEN_LOSS_BULK_PER_LI
            .check("oxygen_loss_bulk_per_Li", self.oxygen_loss_bulk_per_li)?;
        range::OXYGEN_LOSS_SURFACE_M2_C
            .check("oxygen_loss_surface_m2_C", self.oxygen_loss_surface_m2_c)?;
        range::OXYGEN_LOSS_CONTACT_M_S
            .check("oxygen_loss_contact_m_s", self.oxygen_loss_contact_m_s)?;
        range::DENSIFIED_PER_OXYGEN.check("densified_per_oxygen", self.densified_per_oxygen)?;
        if self.densified_per_oxygen * self.lattice_capacity >= 1.0 {
            return Err((
                "densified_per_oxygen",
                format!(
                    "expected less than 1 / lattice_capacity = {}: the oxygen the lattice can lose would densify more than the whole host; found {}",
                    1.0 / self.lattice_capacity,
                    self.densified_per_oxygen
                ),
            ));
        }
        if let OxygenInstability::Potential {
            potential_v,
            width_v,
        } = self.instability
        {
            check_onset(
                ("oxygen_loss_potential_V", "oxygen_loss_width_V"),
                potential_v,
                width_v,
            )?;
        }
        range::FADE_V_PER_LI.check("fade_V_per_Li", self.fade_v_per_li)?;
        range::MIGRATION_RATE_V_S.check("migration_rate_V_per_s", self.migration_rate_v_s)?;
        if let MigrationLaw::RearrangedOxygen(r) = &self.migration {
            range::REARRANGEMENT_RATE_1_S.check("rearrangement_rate_per_s", r.rate_1_s)?;
            range::REARRANGEMENT_RATE_1_S
                .check("rearrangement_reversal_rate_per_s", r.reversal_rate_1_s)?;
            range::MIGRATION_VACANCY_CAPACITY
                .check("migration_vacancy_capacity", r.vacancy_capacity)?;
        }
        if let FadeLaw::LowerCouple(c) = &self.fade_law {
            range::POTENTIAL_V.check("lower_couple_potential_V", c.standard_potential_v)?;
            range::POTENTIAL_V.check("reduced_metal_potential_V", c.reduced_metal_potential_v)?;
            range::GALLERY_OMEGA.check("lower_couple_omega", c.omega)?;
            range::COUPLE_SPREAD_V.check("lower_couple_spread_V", c.spread_v)?;
            unit_interval(
                "reduced_metal_per_oxygen",
                c.reduced_metal_per_oxygen,
                "fraction of the lost oxygen's capacity",
            )?;
            range::MIGRATION_RATE_1_S.check("migration_rate_per_s", c.migration_rate_1_s)?;
        }
        Ok(())
    }

    /// The densified fraction of the host `φ = d X_O` at oxygen loss `x_o` \[Li/f.u.\] (see
    /// [`AnionRedox::densified_per_oxygen`]); `∂φ/∂X_O = d`.
    #[inline]
    pub fn densified_fraction(&self, x_o: f64) -> f64 {
        self.densified_per_oxygen * x_o
    }

    /// The rigid shift ΔU of every gallery \[V\] at oxygen loss `x_o` \[Li/f.u.\] and migration
    /// `m` (V with the rigid shift; the migrated fraction with the lower couple, which shifts
    /// nothing): `β X_O + M`, or `β X_O`.
    #[inline]
    pub fn fade(&self, x_o: f64, m: f64) -> f64 {
        self.fade_v_per_li * x_o + self.fade_terms(m).shift_per_migration * m
    }

    /// The migration row's factors at migration `m`: `M' = rate · D · room`.
    #[inline]
    pub fn fade_terms(&self, m: f64) -> FadeTerms {
        match &self.fade_law {
            FadeLaw::RigidShift => FadeTerms {
                shift_per_migration: 1.0,
                migration_rate: self.migration_rate_v_s,
                room: 1.0,
                d_room: 0.0,
            },
            FadeLaw::LowerCouple(c) => FadeTerms {
                shift_per_migration: 0.0,
                migration_rate: c.migration_rate_1_s,
                room: 1.0 - m,
                d_room: -1.0,
            },
        }
    }

    /// The lower-voltage couple, if the fade law has one.
    #[inline]
    pub fn lower_couple(&self) -> Option<&LowerCouple> {
        match &self.fade_law {
            FadeLaw::RigidShift => None,
            FadeLaw::LowerCouple(c) => Some(c),
        }
    }

    /// Standard potential of the anionic gallery U0_a = U_mid + h ΔU_h/2 − κ_M M (1 − h)/2 − ΔU
    /// \[V\], with the rigid shift `fade` = ΔU of [`Self::fade`] and the migration state `m`.
    #[inline]
    pub fn gallery_potential(&self, h: f64, fade: f64, m: f64) -> f64 {
        self.standard_potential_v + 0.5 * self.hysteresis_v * h
            - 0.5 * self.hysteresis_growth_v * m * (1.0 - h)
            - fade
    }

    /// ∂U0_a/∂h and ∂U0_a/∂M of [`Self::gallery_potential`] at hysteresis `h` and migration
    /// `m`.
    #[inline]
    pub fn gallery_potential_partials(&self, h: f64, m: f64) -> (f64, f64) {
        (
            0.5 * (self.hysteresis_v + self.hysteresis_growth_v * m),
            -0.5 * self.hysteresis_growth_v * (1.0 - h),
        )
    }

    /// The activation factor a at surface potential `u` \[V\], hysteresis `h`, voltage fade
    /// `fade` \[V\] and migration `m`: its value and its partials in U, h, ΔU and M (the
    /// last two zero for the potential onset).
    #[inline]
    pub fn activation_factor(&self, u: f64, h: f64, fade: f64, m: f64, f: f64) -> Instability {
        match self.activation {
            Activation::Potential {
                potential_v,
                width_v,
            } => onset(u, potential_v, width_v),
            Activation::OxidisedOnCharge => {
                let o = self.oxidised_fraction(u, h, fade, m, f);
                let charge = 0.5 * (1.0 + h);
                Instability {
                    value: o.value * charge,
                    d_u: o.d_u * charge,
                    d_h: o.d_h * charge + 0.5 * o.value,
                    d_fade: o.d_fade * charge,
                    d_m: o.d_m * charge,
                }
            }
        }
    }

    /// The oxidised fraction of the anionic gallery at the surface, `1 − s_a(U)`, and its
    /// partials (the gallery at [`Self::gallery_potential`]).
    #[inline]
    fn oxidised_fraction(&self, u: f64, h: f64, fade: f64, m: f64, f: f64) -> Instability {
        let u0 = self.gallery_potential(h, fade, m);
        let (du0_dh, du0_dm) = self.gallery_potential_partials(h, m);
        let (_, vacancy, ds_du, _) = occupancy_pair(u, u0, self.omega, f);
        // o = 1 − s: ∂o/∂U = −∂s/∂U, ∂o/∂U0 = ∂s/∂U; ∂U0/∂ΔU = −1.
        Instability {
            value: vacancy,
            d_u: -ds_du,
            d_h: ds_du * du0_dh,
            d_fade: -ds_du,
            d_m: ds_du * du0_dm,
        }
    }

    /// The instability factor o of oxygen release and migration at surface potential `u` \[V\],
    /// hysteresis state `h`, voltage fade `fade` \[V\] and migration state `m`, `f = F/RT`
    /// \[1/V\].
    #[inline]
    pub fn instability(&self, u: f64, h: f64, fade: f64, m: f64, f: f64) -> Instability {
        match self.instability {
            OxygenInstability::OxidisedOxygen => self.oxidised_fraction(u, h, fade, m, f),
            OxygenInstability::Potential {
                potential_v,
                width_v,
            } => onset(u, potential_v, width_v),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::constants::GAS_CONSTANT;

    fn lro() -> AnionRedox {
        AnionRedox {
            standard_potential_v: 3.6,
            omega: 2.0,
            hysteresis_v: 0.6,
            hysteresis_rate: 8.0,
            hysteresis_growth_v: 0.0,
            exchange_current_ratio: 1.0,
            lattice_capacity: 0.9,
            initial_active_capacity: 0.05,
            activation_rate_1_s: 1e-4,
            activation: Activation::Potential {
                potential_v: 4.1,
                width_v: 0.03,
            },
            irreversible_fraction: 0.4,
            oxygen_loss_bulk_per_li: 1e-3,
            oxygen_loss_surface_m2_c: 1e-3,
            oxygen_loss_contact_m_s: 1e-13,
            densified_per_oxygen: 0.0,
            instability: OxygenInstability::Potential {
                potential_v: 4.2,
                width_v: 0.05,
            },
            fade_v_per_li: 1.0,
            migration_rate_v_s: 1e-8,
            migration: MigrationLaw::WhileOxidised,
            fade_law: FadeLaw::RigidShift,
            kinetics_arrhenius: Arrhenius::NONE,
        }
    }

    #[test]
    fn temperature_scales_every_degradation_rate_and_nothing_else() {
        let rearrangement = OxygenRearrangement {
            rate_1_s: 9.3e-5,
            reversal_rate_1_s: 5.6e-4,
            vacancy_capacity: 0.05,
        };
        let couple = LowerCouple {
            standard_potential_v: 2.3,
            omega: 1.5,
            reduced_metal_per_oxygen: 0.5,
            reduced_metal_potential_v: 2.3,
            spread_v: 0.6,
            migration_rate_1_s: 7e-8,
        };
        let a = AnionRedox {
            migration: MigrationLaw::RearrangedOxygen(rearrangement),
            fade_law: FadeLaw::LowerCouple(couple),
            kinetics_arrhenius: Arrhenius {
                activation_energy_j_mol: 50e3,
                reference_temperature_k: 333.15,
            },
            ..lro()
        };
        assert_eq!(
            a.at_temperature(333.15).oxygen_loss_bulk_per_li,
            a.oxygen_loss_bulk_per_li
        );
        let t = 298.15;
        let f = (-50e3 / GAS_CONSTANT * (1.0 / t - 1.0 / 333.15)).exp();
        assert!((f - 0.120).abs() < 0.002, "{f}");
        let cold = a.at_temperature(t);
        let close = |x: f64, y: f64| (x / y - 1.0).abs() < 1e-12;
        assert!(close(
            cold.oxygen_loss_bulk_per_li,
            f * a.oxygen_loss_bulk_per_li
        ));
        assert!(close(
            cold.oxygen_loss_surface_m2_c,
            f * a.oxygen_loss_surface_m2_c
        ));
        assert!(close(
            cold.oxygen_loss_contact_m_s,
            f * a.oxygen_loss_contact_m_s
        ));
        assert!(close(cold.migration_rate_v_s, f * a.migration_rate_v_s));
        let MigrationLaw::RearrangedOxygen(r) = cold.migration else {
            panic!("law changed")
        };
        assert!(close(r.rate_1_s, f * rearrangement.rate_1_s));
        assert!(close(
            r.reversal_rate_1_s,
            f * rearrangement.reversal_rate_1_s
        ));
        assert_eq!(r.vacancy_capacity, rearrangement.vacancy_capacity);
        let FadeLaw::LowerCouple(c) = cold.fade_law else {
            panic!("law changed")
        };
        assert!(close(c.migration_rate_1_s, f * couple.migration_rate_1_s));
        assert_eq!(c.standard_potential_v, couple.standard_potential_v);
        // Activation (electrochemical, on the plateau), potentials, capacities, hysteresis:
        // unchanged; the law is spent.
        assert_eq!(cold.activation_rate_1_s, a.activation_rate_1_s);
        assert_eq!(cold.hysteresis_rate, a.hysteresis_rate);
        assert_eq!(cold.standard_potential_v, a.standard_potential_v);
        assert_eq!(cold.kinetics_arrhenius, Arrhenius::NONE);
    }

    #[test]
    fn rearranged_oxygen_builds_while_oxidised_and_reverts_once_reduced() {
        let r = OxygenRearrangement {
            rate_1_s: 1e-4,
            reversal_rate_1_s: 1e-3,
            vacancy_capacity: 0.05,
        };
        // Fully oxidised: ζ → 1 at k_r; fully reduced: ζ → 0 at k_v.
        assert!((r.rate(1.0, 0.0).value - 1e-4).abs() < 1e-18);
        assert_eq!(r.rate(1.0, 1.0).value, 0.0);
        assert!((r.rate(0.0, 1.0).value + 1e-3).abs() < 1e-18);
        assert_eq!(r.rate(0.0, 0.0).value, 0.0);
        // The steady state of a constant o: k_r o (1 − ζ) = k_v (1 − o) ζ.
        let o = 0.3;
        let zeta = 1e-4 * o / (1e-4 * o + 1e-3 * (1.0 - o));
        assert!(r.rate(o, zeta).value.abs() < 1e-18);
        // Partials against central differences.
        let (o, zeta, e) = (0.4, 0.2, 1e-7);
        let p = r.rate(o, zeta);
        let d_o = (r.rate(o + e, zeta).value - r.rate(o - e, zeta).value) / (2.0 * e);
        let d_z = (r.rate(o, zeta + e).value - r.rate(o, zeta - e).value) / (2.0 * e);
        assert!((p.d_o - d_o).abs() < 1e-12 && (p.d_zeta - d_z).abs() < 1e-12);
        // X_v of oxygen lost doubles the migration rate.
        assert_eq!(r.vacancy_factor(0.05).0, 2.0);
        let bad = AnionRedox {
            migration: MigrationLaw::RearrangedOxygen(OxygenRearrangement {
                vacancy_capacity: 0.0,
                ..r
            }),
            ..lro()
        };
        assert_eq!(
            bad.validate(1.0, 2.0).unwrap_err().0,
            "migration_vacancy_capacity"
        );
    }

    #[test]
    fn the_lattice_bounds_the_anionic_capacity() {
        assert!(lro().validate(1.0, 2.0).is_ok());
        let too_big = AnionRedox {
            lattice_capacity: 1.2,
            ..lro()
        };
        let (key, message) = too_big.validate(1.0, 2.0).unwrap_err();
        assert_eq!(key, "lattice_capacity");
        assert!(message.contains("at most 1"), "{message}");
        let negative_rate = AnionRedox {
            oxygen_loss_bulk_per_li: -1.0,
            ..lro()
        };
        assert_eq!(
            negative_rate.validate(1.0, 2.0).unwrap_err().0,
            "oxygen_loss_bulk_per_Li"
        );
    }

    /// The partials of a factor `g(U, h, ΔU, M)` at `x` against central differences.
    fn assert_partials(
        name: &str,
        g: &dyn Fn(f64, f64, f64, f64) -> Instability,
        (u, h, fade, m): (f64, f64, f64, f64),
    ) {
        let p = g(u, h, fade, m);
        let e = 1e-6;
        let fd = |d: [f64; 4]| {
            let at = |s: f64| g(u + s * d[0], h + s * d[1], fade + s * d[2], m + s * d[3]).value;
            (at(e) - at(-e)) / (2.0 * e)
        };
        for (what, analytic, direction) in [
            ("U", p.d_u, [1.0, 0.0, 0.0, 0.0]),
            ("h", p.d_h, [0.0, 1.0, 0.0, 0.0]),
            ("fade", p.d_fade, [0.0, 0.0, 1.0, 0.0]),
            ("m", p.d_m, [0.0, 0.0, 0.0, 1.0]),
        ] {
            let numeric = fd(direction);
            assert!(
                (analytic - numeric).abs() < 1e-6 * numeric.abs().max(1.0),
                "∂{name}/∂{what}: {analytic} {numeric}"
            );
        }
    }

    #[test]
    fn the_oxidised_oxygen_moves_with_the_gallery_and_its_partials_are_exact() {
        let a = AnionRedox {
            instability: OxygenInstability::OxidisedOxygen,
            hysteresis_growth_v: 0.8,
            ..lro()
        };
        let f = 96485.33212 / (8.314462618 * 333.15);
        // Half oxidised at the gallery's potential, on either branch, after any fade and any
        // migration.
        for (h, fade, m) in [(1.0, 0.0, 0.0), (-1.0, 0.0, 0.3), (0.3, 0.2, 0.5)] {
            let u0 = a.gallery_potential(h, fade, m);
            assert!((a.instability(u0, h, fade, m, f).value - 0.5).abs() < 1e-12);
        }
        // A fade of 0.1 V gives at U − 0.1 V what the fresh gallery gives at U.
        let fresh = a.instability(3.95, 1.0, 0.0, 0.0, f).value;
        assert!((a.instability(3.85, 1.0, 0.1, 0.0, f).value - fresh).abs() < 1e-12);
        let (u, h, fade, m) = (3.8, 0.4, 0.05, 0.3);
        let o = a.instability(u, h, fade, m, f);
        assert_partials(
            "o",
            &|u, h, fade, m| a.instability(u, h, fade, m, f),
            (u, h, fade, m),
        );
        assert!(o.d_m.abs() > 1e-3, "the migration moves the gallery");
        // The potential onset ignores the gallery.
        let p = lro().instability(4.2, 1.0, 0.3, 0.2, f);
        assert!((p.value - 0.5).abs() < 1e-12);
        assert_eq!((p.d_h, p.d_fade, p.d_m), (0.0, 0.0, 0.0));
    }

    #[test]
    fn activation_on_charge_follows_the_oxidised_oxygen_and_stops_on_discharge() {
        let a = AnionRedox {
            activation: Activation::OxidisedOnCharge,
            hysteresis_growth_v: 0.5,
            ..lro()
        };
        let f = 96485.33212 / (8.314462618 * 333.15);
        // Fully oxidised on charge: full rate; on the discharge branch: none, at any potential.
        assert!((a.activation_factor(4.9, 1.0, 0.0, 0.0, f).value - 1.0).abs() < 1e-6);
        assert_eq!(a.activation_factor(4.5, -1.0, 0.0, 0.0, f).value, 0.0);
        // No absolute threshold: half oxidised at the charge branch's potential.
        let u0 = a.gallery_potential(1.0, 0.1, 0.2);
        assert!((a.activation_factor(u0, 1.0, 0.1, 0.2, f).value - 0.5).abs() < 1e-12);
        let (u, h, fade, m) = (3.8, 0.3, 0.05, 0.2);
        assert_partials(
            "a",
            &|u, h, fade, m| a.activation_factor(u, h, fade, m, f),
            (u, h, fade, m),
        );
        // The potential onset: σ((U − U_act)/w_act), nothing else.
        let onset = lro().activation_factor(4.1, -1.0, 0.3, 0.2, f);
        assert!((onset.value - 0.5).abs() < 1e-12);
        assert_eq!((onset.d_h, onset.d_fade, onset.d_m), (0.0, 0.0, 0.0));
    }

    #[test]
    fn hysteresis_fade_and_migration_shift_the_gallery() {
        let a = lro();
        assert!((a.gallery_potential(1.0, 0.0, 0.0) - 3.9).abs() < 1e-12);
        assert!((a.gallery_potential(-1.0, 0.0, 0.0) - 3.3).abs() < 1e-12);
        assert!((a.gallery_potential(0.0, 0.1, 0.0) - 3.5).abs() < 1e-12);
        // The hysteresis grows with migration on the discharge branch only.
        let grown = AnionRedox {
            hysteresis_growth_v: 0.5,
            ..lro()
        };
        assert!((grown.gallery_potential(1.0, 0.0, 0.4) - 3.9).abs() < 1e-12);
        assert!((grown.gallery_potential(-1.0, 0.0, 0.4) - 3.1).abs() < 1e-12);
    }
}
