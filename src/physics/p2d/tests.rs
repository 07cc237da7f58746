//! Unit tests of the discretised model: analytic Jacobian against finite differences for both
//! electrolytes with every optional term switched on, and the rest state as an equilibrium.

use super::open_circuit::{AnionState, OcpModel};
use super::{Control, P2dModel};
use crate::numerics::dae::DaeSystem;
use crate::numerics::mesh::MeshSettings;
use crate::physics::anion_redox::{
    Activation, FadeLaw, LowerCouple, MigrationLaw, OxygenInstability, OxygenRearrangement,
};
use crate::physics::material::{Arrhenius, MaterialFunction, Table1D};
use crate::physics::parameters::*;

/// A cell exercising every term: concentration-dependent D_s, tabulated OCP, film resistance,
/// double layers, Arrhenius factors.
fn fixture(binary: bool) -> CellParameters {
    let ocp = Table1D::new(
        (0..=20).map(|k| k as f64 / 20.0).collect(),
        (0..=20)
            .map(|k| 4.3 - 1.5 * (k as f64 / 20.0) - 0.2 * (k as f64 / 20.0).powi(4))
            .collect(),
        "fixture",
    )
    .unwrap();
    let arr = Arrhenius {
        activation_energy_j_mol: 20e3,
        reference_temperature_k: 298.15,
    };
    let electrolyte = if binary {
        Electrolyte::Binary {
            initial_concentration_mol_m3: 1000.0,
            cation_transference_number: 0.38,
            thermodynamic_factor: MaterialFunction::Polynomial(vec![1.2, 1e-4]),
            conductivity_s_m: MaterialFunction::Polynomial(vec![0.1, 1.5e-3, -4e-7]),
            conductivity_arrhenius: arr,
            diffusivity_m2_s: MaterialFunction::Polynomial(vec![4e-10, -1e-13]),
            diffusivity_arrhenius: arr,
        }
    } else {
        Electrolyte::SingleIon {
            positive_conductivity_s_m: 0.24,
            separator_conductivity_s_m: 0.12,
            conductivity_arrhenius: arr,
            separator_conductivity_arrhenius: Some(Arrhenius {
                activation_energy_j_mol: 15e3,
                reference_temperature_k: 298.15,
            }),
            nominal_concentration_mol_m3: 1000.0,
        }
    };
    CellParameters {
        name: "fixture".into(),
        source: "unit test".into(),
        temperature_k: 318.0,
        area_m2: 1e-4,
        nominal_capacity_ah: 1e-3,
        one_c_specific_current_a_kg: None,
        lower_cutoff_v: 2.0,
        upper_cutoff_v: 4.3,
        positive: PositiveElectrode {
            thickness_m: 30e-6,
            active_material_volume_fraction: 0.35,
            electrolyte_volume_fraction: 0.55,
            electrolyte_transport: TransportEfficiency::Bruggeman { exponent: 1.5 },
            electronic_transport: TransportEfficiency::Tortuosity { tortuosity: 2.0 },
            electronic_conductivity_s_m: 5.0,
            electronic_conductivity_arrhenius: arr,
            particle_radius_m: 1e-6,
            solid_diffusivity_m2_s: MaterialFunction::Polynomial(vec![5e-16, 2e-16]),
            solid_diffusivity_arrhenius: arr,
            max_concentration_mol_m3: 48000.0,
            initial_concentration_mol_m3: 15000.0,
            ocp: CathodeOcp::Function(MaterialFunction::Table(ocp)),
            exchange_current: CathodeExchangeCurrent {
                k: 2e-6,
                arrhenius: arr,
            },
            film_resistance_ohm_m2: 0.01,
            double_layer_capacitance_f_m2: 0.2,
            // Partial contact, so that every check sees χ where it enters.
            contact_fraction: 0.7,
            active_material_density_kg_m3: Some(5200.0),
            carbon_network: None,
        },
        separator: Separator {
            thickness_m: 100e-6,
            electrolyte_volume_fraction: if binary { 0.4 } else { 1.0 },
            electrolyte_transport: TransportEfficiency::Bruggeman { exponent: 1.5 },
            grain_boundary: None,
        },
        electrolyte,
        negative: CounterElectrode {
            ocp_v: if binary { 0.0 } else { 0.62 },
            exchange_current: if binary {
                CounterExchangeCurrent::LithiumMetal {
                    k: 3e-3,
                    c_li_mol_m3: 76923.0,
                    arrhenius: arr,
                }
            } else {
                CounterExchangeCurrent::Constant {
                    j0_a_m2: 20.0,
                    arrhenius: arr,
                }
            },
            double_layer_capacitance_f_m2: 0.1,
        },
        anion_redox: None,
        interphase: None,
        cracking: None,
    }
}

/// The fixture with the Li2RuO3-type physics: MSMR galleries with an anionic gallery of
/// variable capacity and hysteresis, a mixed conducting interphase that grows (every film
/// term on), wetted cracks.
fn lro_fixture(binary: bool) -> CellParameters {
    use crate::physics::anion_redox::AnionRedox;
    use crate::physics::cracking::{ContactLossOrder, Cracking};
    use crate::physics::interphase::Interphase;
    use crate::physics::msmr::Gallery;
    let mut p = fixture(binary);
    p.positive.ocp = CathodeOcp::Msmr(MsmrOcp {
        lithium_per_formula_max: 2.0,
        cationic: vec![
            Gallery {
                capacity: 0.5,
                standard_potential_v: 3.45,
                omega: 1.2,
            },
            Gallery {
                capacity: 0.5,
                standard_potential_v: 3.7,
                omega: 0.9,
            },
        ],
    });
    p.positive.initial_concentration_mol_m3 = 0.7 * 48000.0;
    p.anion_redox = Some(AnionRedox {
        standard_potential_v: 3.6,
        omega: 2.0,
        hysteresis_v: 0.5,
        hysteresis_rate: 6.0,
        hysteresis_growth_v: 0.0,
        exchange_current_ratio: 0.3,
        lattice_capacity: 0.8,
        initial_active_capacity: 0.3,
        activation_rate_1_s: 2e-4,
        activation: Activation::Potential {
            potential_v: 3.55,
            width_v: 0.05,
        },
        irreversible_fraction: 0.3,
        oxygen_loss_bulk_per_li: 2e-2,
        oxygen_loss_surface_m2_c: 2e-3,
        oxygen_loss_contact_m_s: 1e-9,
        // Densification on in every check built on this fixture.
        densified_per_oxygen: 0.5,
        instability: OxygenInstability::Potential {
            potential_v: 3.6,
            width_v: 0.08,
        },
        fade_v_per_li: 0.8,
        migration_rate_v_s: 1e-6,
        migration: MigrationLaw::WhileOxidised,
        fade_law: FadeLaw::RigidShift,
        kinetics_arrhenius: Arrhenius {
            activation_energy_j_mol: 40e3,
            reference_temperature_k: 298.15,
        },
    });
    p.interphase = Some(Interphase {
        electronic_conductor_fraction: 0.336,
        percolation_threshold: 0.16,
        percolation_exponent: 2.0,
        conductor_conductivity_s_m: 1e-5,
        tunnelling_current_a_m2: 1e-2,
        tunnelling_length_m: 0.8e-9,
        solvent_diffusion_a_m: 1e-11,
        oxidation_potential_v: 3.0,
        onset_width_v: 0.1,
        product_volume_m3_mol: 2.9e-5,
        initial_thickness_m: 1e-9,
        ionic_conductivity_s_m: 1e-7,
        native_resistance_ohm_m2: 0.05,
        native_conversion_throughput: 300.0,
        open_fraction: 0.2,
        sealing_thickness_m: 0.7e-9,
        // Growth at the open sites: the implicit closing law and its derivative in every
        // Jacobian check.
        sealing_law: crate::physics::interphase::SealingLaw::GrowthAtOpenSites,
        growth_arrhenius: Arrhenius {
            activation_energy_j_mol: 30e3,
            reference_temperature_k: 298.15,
        },
        conduction_arrhenius: Arrhenius {
            activation_energy_j_mol: 50e3,
            reference_temperature_k: 298.15,
        },
    });
    if !binary {
        p.separator.grain_boundary = Some(GrainBoundary {
            resistance_ohm_m2: 2e-3,
            capacitance_f_m2: 3e-4,
        });
    }
    p.cracking = Some(Cracking {
        onset_cycles: 300.0,
        width_cycles: 40.0,
        max_area_ratio: 1.5,
        // Propagating cracks too, so that the Jacobian checks cover both terms.
        area_growth_per_cycle: 0.01,
        // Part-wetted, so that both the flooded cracks and the contact loss isolate.
        wetting: 0.7,
        isolation_per_area: 0.05,
        contact_loss_per_cycle: 0.02,
        contact_loss_order: ContactLossOrder::LeastContactedFirst,
    });
    p
}

/// A non-trivial state: graded concentrations and potentials, non-zero current.
fn perturbed_state(model: &P2dModel) -> (Vec<f64>, Vec<f64>) {
    let l = *model.layout();
    let mut y = model.rest_state();
    let mut yp = vec![0.0; l.n];
    for (k, v) in y.iter_mut().enumerate() {
        *v += 1e-3 * ((k as f64 * 0.7).sin());
    }
    for i in 0..l.np {
        for k in 0..l.nr {
            y[l.theta(i, k)] = 0.3 + 0.01 * i as f64 + 0.004 * k as f64;
        }
        y[l.j(i)] = -0.4 + 0.02 * i as f64;
    }
    if l.binary {
        for m in 0..l.ne() {
            y[l.c_e(m)] = 1.2 - 0.02 * m as f64;
        }
    }
    y[l.i_app] = 9.0;
    if l.msmr {
        for i in 0..l.np {
            y[l.u(i)] = 3.5 + 0.01 * i as f64;
            y[l.dphi(i)] = 3.6 + 0.01 * i as f64;
        }
    }
    if l.has_slow() {
        use super::Slow;
        for (s, v) in [
            (Slow::Hysteresis, 0.3),
            (Slow::ActiveAnionic, 0.3),
            (Slow::LatentAnionic, 0.4),
            (Slow::OxygenLost, 0.05),
            (Slow::Film, 3.0),
            (Slow::Throughput, 700.0),
            (Slow::CrackFilm, 0.5),
            (Slow::SideCharge, 0.01),
            (Slow::Migration, 0.02),
        ] {
            y[l.slow(s)] = v;
        }
    }
    if let Some(k) = l.rearranged_oxygen {
        y[k] = 0.35;
    }
    for (k, v) in yp.iter_mut().enumerate() {
        *v = 1e-3 * ((k as f64 * 0.3).cos());
    }
    (y, yp)
}

fn check_jacobian(binary: bool, control: Control) {
    check_jacobian_of(&fixture(binary), control);
}

fn check_jacobian_of(p: &CellParameters, control: Control) {
    // Uniform shells, and shells refined toward the surface.
    for particle_surface_refinement in [1, 5] {
        check_jacobian_on(p, control, particle_surface_refinement);
    }
}

fn check_jacobian_on(p: &CellParameters, control: Control, particle_surface_refinement: usize) {
    let binary = matches!(p.electrolyte, Electrolyte::Binary { .. });
    p.validate().unwrap();
    let mesh = MeshSettings {
        positive_x_cells: 5,
        separator_x_cells: 3,
        particle_r_cells: 4,
        particle_surface_refinement,
    };
    let mut model = P2dModel::new(p, &mesh).unwrap();
    model.set_control(control);
    let (y, yp) = perturbed_state(&model);
    check_jacobian_at(&mut model, &y, &yp, binary);
}

/// The analytic iteration matrix of `model` at (`y`, `yp`) against central finite differences.
fn check_jacobian_at(model: &mut P2dModel, y: &[f64], yp: &[f64], binary: bool) {
    let n = model.len();
    let (y, yp) = (y.to_vec(), yp.to_vec());
    let c_j = 37.0;
    let pattern = model.jacobian_pattern();
    let mut values = vec![0.0; pattern.nnz()];
    model.jacobian(0.0, c_j, &y, &yp, &mut values).unwrap();

    let mut r0 = vec![0.0; n];
    model.residual(0.0, &y, &yp, &mut r0).unwrap();
    let mut dense = vec![vec![0.0; n]; n]; // dense[row][col]
    for col in 0..n {
        let h = 1e-6 * y[col].abs().max(1e-3);
        let (mut yh, mut yph) = (y.clone(), yp.clone());
        yh[col] += h;
        yph[col] += c_j * h;
        let mut r1 = vec![0.0; n];
        model.residual(0.0, &yh, &yph, &mut r1).unwrap();
        let mut rm = vec![0.0; n];
        yh[col] -= 2.0 * h;
        yph[col] -= 2.0 * c_j * h;
        model.residual(0.0, &yh, &yph, &mut rm).unwrap();
        for (row, dense_row) in dense.iter_mut().enumerate() {
            dense_row[col] = (r1[row] - rm[row]) / (2.0 * h);
        }
    }
    let mut worst = 0.0f64;
    for (row, dense_row) in dense.iter().enumerate() {
        let scale = dense_row
            .iter()
            .fold(0.0f64, |a, v| a.max(v.abs()))
            .max(1e-12);
        for (col, &fd) in dense_row.iter().enumerate() {
            let analytic = pattern.position(row, col).map_or(0.0, |p| values[p]);
            let err = (analytic - fd).abs() / scale;
            assert!(
                err < 1e-5,
                "J[{row},{col}]: analytic {analytic:e}, finite difference {fd:e} (binary = {binary})"
            );
            worst = worst.max(err);
        }
    }
    assert!(worst < 1e-5);
}

#[test]
fn jacobian_matches_finite_differences_single_ion() {
    check_jacobian(false, Control::Current { i_a_m2: 9.5 });
    check_jacobian(false, Control::Voltage { v: 3.1 });
}

#[test]
fn jacobian_matches_finite_differences_binary() {
    check_jacobian(true, Control::Current { i_a_m2: 9.5 });
    check_jacobian(true, Control::Voltage { v: 3.9 });
}

#[test]
fn jacobian_matches_finite_differences_with_the_lro_physics() {
    for binary in [false, true] {
        let p = lro_fixture(binary);
        check_jacobian_of(&p, Control::Current { i_a_m2: -9.5 });
        check_jacobian_of(&p, Control::Voltage { v: 3.9 });
    }
}

#[test]
fn jacobian_matches_finite_differences_with_the_oxidised_oxygen_instability() {
    for binary in [false, true] {
        let mut p = lro_fixture(binary);
        if let Some(a) = p.anion_redox.as_mut() {
            a.instability = OxygenInstability::OxidisedOxygen;
        }
        check_jacobian_of(&p, Control::Current { i_a_m2: -9.5 });
        check_jacobian_of(&p, Control::Voltage { v: 3.9 });
        // Anion redox without an interphase model: no side current, the same release law.
        p.interphase = None;
        check_jacobian_of(&p, Control::Current { i_a_m2: -9.5 });
    }
}

#[test]
fn jacobian_matches_finite_differences_with_the_rearranged_oxygen_migration() {
    for binary in [false, true] {
        for instability in [
            OxygenInstability::OxidisedOxygen,
            OxygenInstability::Potential {
                potential_v: 3.6,
                width_v: 0.08,
            },
        ] {
            let mut p = lro_fixture(binary);
            if let Some(a) = p.anion_redox.as_mut() {
                a.instability = instability;
                // Rates far above the cell's so that the slow rows' entries stand out against
                // their c_j diagonal (37), which sets the check's scale per row: a 1 % error in
                // any of them fails it.
                a.migration_rate_v_s = 0.05;
                a.migration = MigrationLaw::RearrangedOxygen(OxygenRearrangement {
                    rate_1_s: 0.2,
                    reversal_rate_1_s: 0.7,
                    vacancy_capacity: 0.03,
                });
            }
            check_jacobian_of(&p, Control::Current { i_a_m2: -9.5 });
            check_jacobian_of(&p, Control::Voltage { v: 3.9 });
        }
    }
}

/// Row `row` of the analytic iteration matrix of `model` at (`y`, `yp`) against central
/// finite differences, entry by entry: a slow row's entries are tiny beside its c_j diagonal,
/// which scales the full check, so each entry, the diagonal's part beside c_j included, is
/// compared against the largest off-diagonal one.
fn check_row_entry_by_entry(model: &mut P2dModel, y: &[f64], yp: &[f64], row: usize, what: &str) {
    let n = model.len();
    let c_j = 37.0;
    let pattern = model.jacobian_pattern();
    let mut values = vec![0.0; pattern.nnz()];
    model.jacobian(0.0, c_j, y, yp, &mut values).unwrap();
    let mut fd = vec![0.0; n];
    for (col, d) in fd.iter_mut().enumerate() {
        let h = 1e-6 * y[col].abs().max(1e-3);
        let mut r = [vec![0.0; n], vec![0.0; n]];
        for (sign, out) in [(1.0, 0), (-1.0, 1)] {
            let (mut yh, mut yph) = (y.to_vec(), yp.to_vec());
            yh[col] += sign * h;
            yph[col] += sign * c_j * h;
            model.residual(0.0, &yh, &yph, &mut r[out]).unwrap();
        }
        *d = (r[0][row] - r[1][row]) / (2.0 * h);
    }
    let analytic = |col: usize| pattern.position(row, col).map_or(0.0, |k| values[k]);
    let scale = (0..n)
        .filter(|&c| c != row)
        .fold(0.0f64, |a, c| a.max(fd[c].abs()));
    assert!(scale > 0.0, "the row depends on the state ({what})");
    for (col, &d) in fd.iter().enumerate() {
        // The diagonal's own part beside c_j is held to the same scale.
        let err = (analytic(col) - d).abs() / scale;
        assert!(
            err < 1e-5,
            "J[{row},{col}]: analytic {:e}, finite difference {d:e} ({what})",
            analytic(col)
        );
    }
}

/// [`check_row_entry_by_entry`] for each of `rows` (row, name), each with its y' at 0 (the
/// row's small entries are then not lost in the rounding of a residual of order one).
fn check_rows_entry_by_entry(
    model: &mut P2dModel,
    y: &[f64],
    yp: &mut [f64],
    rows: &[(usize, &str)],
    binary: bool,
) {
    for &(row, what) in rows {
        yp[row] = 0.0;
        check_row_entry_by_entry(model, y, yp, row, &format!("{what}, binary = {binary}"));
    }
}

/// The small mesh of the entry-by-entry checks.
const ROW_CHECK_MESH: MeshSettings = MeshSettings {
    positive_x_cells: 4,
    separator_x_cells: 3,
    particle_r_cells: 4,
    particle_surface_refinement: 1,
};

#[test]
fn the_isolated_lithium_row_matches_finite_differences_entry_by_entry() {
    for binary in [false, true] {
        let p = lro_fixture(binary);
        let mut model = P2dModel::new(&p, &ROW_CHECK_MESH).unwrap();
        model.set_control(Control::Current { i_a_m2: -9.5 });
        let (y, mut yp) = perturbed_state(&model);
        let row = model
            .layout()
            .isolated_lithium
            .expect("the fixture isolates fragments");
        yp[row] = 0.0;
        check_row_entry_by_entry(&mut model, &y, &yp, row, &format!("binary = {binary}"));
    }
}

#[test]
fn the_release_by_contact_rows_match_finite_differences_entry_by_entry() {
    use crate::physics::p2d::Slow;
    // A dense film (sealing), a porous one, an open one (the flooded cracks alone move the
    // open surface), and no interphase model (bare surface and flooded
    // cracks only); the release by contact far above the cell's so that it dominates the rows.
    for (open_fraction, with_film) in [(0.0, true), (0.4, true), (1.0, true), (0.0, false)] {
        for binary in [false, true] {
            let mut p = lro_fixture(binary);
            if let Some(a) = p.anion_redox.as_mut() {
                // An instability that hardly depends on the potential (o ≈ 1/2), so that the
                // entries of the open surface are not hidden behind those of the potential.
                a.instability = OxygenInstability::Potential {
                    potential_v: 3.6,
                    width_v: 100.0,
                };
                a.oxygen_loss_bulk_per_li = 0.0;
                a.oxygen_loss_surface_m2_c = 0.0;
                a.oxygen_loss_contact_m_s = 1e-6;
            }
            match p.interphase.as_mut() {
                Some(f) if with_film => f.open_fraction = open_fraction,
                _ => p.interphase = None,
            }
            // Cracks that open fast from a sharp onset, so that the entries in Θ stand out
            // while the crack surface is still of the order of the particle surface.
            if let Some(c) = p.cracking.as_mut() {
                c.width_cycles = 1.0;
                c.area_growth_per_cycle = 5.0;
            }
            let mut model = P2dModel::new(&p, &ROW_CHECK_MESH).unwrap();
            model.set_control(Control::Current { i_a_m2: -9.5 });
            let (mut y, mut yp) = perturbed_state(&model);
            let l = *model.layout();
            // At the crack onset (Θ/2 = 300 equivalent cycles), with a film grown beyond δ_0
            // and on the cracks.
            y[l.slow(Slow::Throughput)] = 600.0;
            y[l.slow(Slow::Film)] = 1.8;
            y[l.slow(Slow::CrackFilm)] = 0.6;
            for s in [Slow::ActiveAnionic, Slow::OxygenLost] {
                let row = l.slow(s);
                yp[row] = 0.0;
                check_row_entry_by_entry(
                    &mut model,
                    &y,
                    &yp,
                    row,
                    &format!("{s:?}, open {open_fraction}, film {with_film}, binary {binary}"),
                );
            }
        }
    }
}

#[test]
fn the_rows_the_remaining_particles_contact_enters_match_finite_differences_entry_by_entry() {
    use crate::physics::p2d::Slow;
    // The least-contacted particles cut off first: the remaining particles' contact q(Θ)
    // scales their surface flux (particle surface rows, and through the surface stoichiometry
    // the kinetics and MSMR rows), the contacted surface of the charge balances, the side
    // charge and the release by contact. A contact loss far above the cell's and a throughput
    // at which q = 2, so that the entries in Θ stand out.
    for binary in [false, true] {
        let mut p = lro_fixture(binary);
        if let Some(c) = p.cracking.as_mut() {
            c.wetting = 0.0;
            c.contact_loss_per_cycle = 0.1;
            c.contact_loss_order = crate::physics::cracking::ContactLossOrder::LeastContactedFirst;
        }
        if let Some(a) = p.anion_redox.as_mut() {
            a.oxygen_loss_contact_m_s = 1e-6;
        }
        let mut model = P2dModel::new(&p, &ROW_CHECK_MESH).unwrap();
        assert!(model.contact_gains());
        model.set_control(Control::Current { i_a_m2: -9.5 });
        let (mut y, mut yp) = perturbed_state(&model);
        let l = *model.layout();
        y[l.slow(Slow::Throughput)] = 20.0;
        assert!((model.contact_gain(&y).0 - 2.0).abs() < 1e-12);
        let mut rows = Vec::new();
        for i in [0, l.np - 1] {
            rows.push((l.theta(i, l.nr - 1), format!("particle surface, cell {i}")));
            rows.push((l.j(i), format!("kinetics, cell {i}")));
            rows.push((l.u(i), format!("MSMR, cell {i}")));
            rows.push((l.dphi(i), format!("electrolyte charge, cell {i}")));
            rows.push((l.phi_s(i), format!("solid charge, cell {i}")));
        }
        rows.push((l.slow(Slow::SideCharge), "side charge".to_string()));
        rows.push((
            l.slow(Slow::ActiveAnionic),
            "release by contact".to_string(),
        ));
        let rows: Vec<(usize, &str)> = rows.iter().map(|(r, w)| (*r, w.as_str())).collect();
        check_rows_entry_by_entry(&mut model, &y, &mut yp, &rows, binary);
    }
}

/// The fixture with oxygen loss and migration moving capacity into a lower couple, at rates
/// far above the cell's so that the slow rows' entries stand out; `spread_v` spreads the
/// couple's potentials into a band.
fn lower_couple_fixture(binary: bool, migration: MigrationLaw, spread_v: f64) -> CellParameters {
    let mut p = lro_fixture(binary);
    if let Some(a) = p.anion_redox.as_mut() {
        a.instability = OxygenInstability::OxidisedOxygen;
        a.fade_v_per_li = 0.3;
        a.migration_rate_v_s = 0.0;
        a.migration = migration;
        a.fade_law = FadeLaw::LowerCouple(LowerCouple {
            standard_potential_v: 3.3,
            omega: 1.1,
            reduced_metal_per_oxygen: 0.6,
            reduced_metal_potential_v: 3.1,
            spread_v,
            migration_rate_1_s: 0.08,
        });
    }
    p
}

/// Migration through rearranged oxygen at rates far above the cell's (the lower-couple checks).
const FAST_REARRANGEMENT: MigrationLaw = MigrationLaw::RearrangedOxygen(OxygenRearrangement {
    rate_1_s: 0.2,
    reversal_rate_1_s: 0.7,
    vacancy_capacity: 0.03,
});

#[test]
fn jacobian_matches_finite_differences_with_the_lower_couple() {
    let rearranged = FAST_REARRANGEMENT;
    for binary in [false, true] {
        // One gallery with the first law, a band with the second.
        for (migration, spread) in [(MigrationLaw::WhileOxidised, 0.0), (rearranged, 0.45)] {
            let p = lower_couple_fixture(binary, migration, spread);
            check_jacobian_of(&p, Control::Current { i_a_m2: -9.5 });
            check_jacobian_of(&p, Control::Voltage { v: 3.9 });
            // The migration row, entry by entry (its (1 − m) and drive terms are small beside
            // c_j).
            let mut model = P2dModel::new(&p, &ROW_CHECK_MESH).unwrap();
            model.set_control(Control::Current { i_a_m2: -9.5 });
            let (y, yp) = perturbed_state(&model);
            let row = model.layout().slow(super::Slow::Migration);
            check_row_entry_by_entry(
                &mut model,
                &y,
                &yp,
                row,
                &format!("migration row, binary = {binary}, {migration:?}, spread {spread} V"),
            );
        }
    }
}

#[test]
fn jacobian_matches_finite_differences_with_the_hysteresis_growth() {
    let rearranged = FAST_REARRANGEMENT;
    for binary in [false, true] {
        let mut p = lower_couple_fixture(binary, rearranged, 0.45);
        if let Some(a) = p.anion_redox.as_mut() {
            // Far more than a cell's, so that the entries in M stand out.
            a.hysteresis_growth_v = 2.0;
        }
        check_jacobian_of(&p, Control::Current { i_a_m2: -9.5 });
        check_jacobian_of(&p, Control::Voltage { v: 3.9 });
        let mut model = P2dModel::new(&p, &ROW_CHECK_MESH).unwrap();
        model.set_control(Control::Current { i_a_m2: 9.5 });
        let (mut y, mut yp) = perturbed_state(&model);
        let l = *model.layout();
        // A third migrated, on the discharge branch, where the growth moves the gallery, with
        // the surfaces near the gallery's potential (3.6 − 0.05 − 0.36 − 0.015 V), where the
        // oxidised fraction is neither 0 nor 1 and the entries are not lost in rounding.
        y[l.slow(super::Slow::Migration)] = 0.3;
        y[l.slow(super::Slow::Hysteresis)] = -0.2;
        for i in 0..l.np {
            y[l.u(i)] = 3.2 + 0.01 * i as f64;
        }
        let rz = l.rearranged_oxygen.expect("the rearranged-oxygen law");
        // The rows that see the gallery through M: the surface potential of a cell (the
        // gallery's filling), the oxygen release and the rearranged oxygen (its instability).
        check_rows_entry_by_entry(
            &mut model,
            &y,
            &mut yp,
            &[
                (l.u(0), "surface potential"),
                (l.slow(super::Slow::OxygenLost), "oxygen lost"),
                (rz, "rearranged oxygen"),
            ],
            binary,
        );
    }
}

#[test]
fn jacobian_matches_finite_differences_with_activation_on_charge() {
    for binary in [false, true] {
        let mut p = lower_couple_fixture(binary, FAST_REARRANGEMENT, 0.45);
        if let Some(a) = p.anion_redox.as_mut() {
            a.activation = Activation::OxidisedOnCharge;
            a.hysteresis_growth_v = 1.0;
            // Far above the cell's, so that the latent rows stand out against c_j.
            a.activation_rate_1_s = 5.0;
        }
        check_jacobian_of(&p, Control::Current { i_a_m2: -9.5 });
        check_jacobian_of(&p, Control::Voltage { v: 3.9 });
        let mut model = P2dModel::new(&p, &ROW_CHECK_MESH).unwrap();
        model.set_control(Control::Current { i_a_m2: -9.5 });
        let (mut y, mut yp) = perturbed_state(&model);
        let l = *model.layout();
        // Partly migrated, between the branches, the surfaces near the gallery's potential.
        y[l.slow(super::Slow::Migration)] = 0.3;
        y[l.slow(super::Slow::Hysteresis)] = 0.2;
        for i in 0..l.np {
            y[l.u(i)] = 3.55 + 0.01 * i as f64;
        }
        check_rows_entry_by_entry(
            &mut model,
            &y,
            &mut yp,
            &[
                (l.slow(super::Slow::LatentAnionic), "latent"),
                (l.slow(super::Slow::ActiveAnionic), "active"),
            ],
            binary,
        );
    }
}

#[test]
fn the_lower_couple_moves_capacity_without_adding_any_and_takes_up_the_lost_oxygen() {
    // At a potential far below every gallery all sites are filled: the filled capacity is the
    // window's capacity, whatever the migrated fraction, and γ X_O adds to it.
    for spread in [0.0, 0.45] {
        let mut p = lower_couple_fixture(false, MigrationLaw::WhileOxidised, spread);
        // Without densification (its own test below).
        if let Some(a) = p.anion_redox.as_mut() {
            a.densified_per_oxygen = 0.0;
        }
        let model = P2dModel::new(&p, &ROW_CHECK_MESH).unwrap();
        let OcpModel::Msmr(msmr) = &model.ocp else {
            panic!("the LRO fixture has MSMR galleries")
        };
        let state = |m: f64, x_o: f64| AnionState {
            h: 0.0,
            x_a: 0.3,
            x_l: 0.4,
            x_o,
            m,
        };
        let f = model.f;
        let fresh = msmr.fill(-1.0, &state(0.0, 0.0), f);
        let migrated = msmr.fill(-1.0, &state(0.4, 0.0), f);
        assert!((fresh.filled - migrated.filled).abs() < 1e-12);
        assert!((fresh.capacity - migrated.capacity).abs() < 1e-15);
        let lost = msmr.fill(-1.0, &state(0.4, 0.1), f);
        assert!((lost.capacity - fresh.capacity - 0.06).abs() < 1e-12);
        // Above the couple (3.3 V) the migrated capacity holds less lithium than it did in the
        // cationic galleries (3.45 and 3.7 V): the same lithium sits at a lower potential.
        let u = 3.45;
        assert!(
            msmr.fill(u, &state(0.4, 0.0), f).filled < msmr.fill(u, &state(0.0, 0.0), f).filled
        );
        // The window grows by γ X_O, and the rigid shift is β X_O only.
        let (lo, hi) = msmr.window(&state(0.4, 0.1));
        let (lo0, hi0) = msmr.window(&state(0.0, 0.0));
        assert!((lo - lo0).abs() < 1e-15);
        assert!(((hi - hi0) * msmr.x_max - 0.06).abs() < 1e-12);
        let a = p.anion_redox.unwrap();
        assert!((a.fade(0.1, 0.4) - 0.03).abs() < 1e-15);
    }
}

#[test]
fn densification_takes_every_gallery_of_the_densified_host_with_the_lost_oxygen() {
    // d = 0.5: the oxygen lost densifies φ = 0.5 X_O of the host, whose sites (cationic,
    // migrated, reduced-metal and anionic) all go; the lithium no gallery releases stays.
    let p = lower_couple_fixture(false, MigrationLaw::WhileOxidised, 0.45);
    let model = P2dModel::new(&p, &ROW_CHECK_MESH).unwrap();
    let OcpModel::Msmr(msmr) = &model.ocp else {
        panic!("the LRO fixture has MSMR galleries")
    };
    let mut undensified = msmr.clone();
    if let Some(a) = undensified.anion.as_mut() {
        a.densified_per_oxygen = 0.0;
    }
    let f = model.f;
    for (m, x_o) in [(0.0, 0.0), (0.4, 0.1), (0.2, 0.3)] {
        let s = AnionState {
            h: 0.2,
            x_a: 0.3,
            x_l: 0.1,
            x_o,
            m,
        };
        let keep = 1.0 - 0.5 * x_o;
        for u in [-1.0, 3.4, 3.7, 9.0] {
            let (with, without) = (msmr.fill(u, &s, f), undensified.fill(u, &s, f));
            for (a, b, what) in [
                (with.capacity, without.capacity, "capacity"),
                (with.filled, without.filled, "filled"),
                (with.empty, without.empty, "empty"),
                (with.kin, without.kin, "kinetic weight"),
                (with.d_xa, without.d_xa, "∂F/∂X_a"),
            ] {
                assert!((a - keep * b).abs() < 1e-14, "{what} at U {u}, X_O {x_o}");
            }
            // The X_O partials gain −d times the sums.
            assert!(
                (with.capacity_d_xo - (keep * without.capacity_d_xo - 0.5 * without.capacity))
                    .abs()
                    < 1e-14
            );
        }
        let ((lo, hi), (lo0, hi0)) = (msmr.window(&s), undensified.window(&s));
        assert!((lo - lo0).abs() < 1e-15, "the fixed lithium stays");
        assert!(((hi - lo) - keep * (hi0 - lo0)).abs() < 1e-14);
    }
    // The host cannot densify beyond itself: d X_O,max < 1.
    let mut a = msmr.anion.unwrap();
    a.densified_per_oxygen = 1.0 / a.lattice_capacity;
    let err = a.validate(msmr.x_cat, msmr.x_max).unwrap_err();
    assert_eq!(err.0, "densified_per_oxygen");
}

#[test]
fn rest_state_is_an_equilibrium() {
    for binary in [false, true] {
        let p = fixture(binary);
        let mut model = P2dModel::new(&p, &MeshSettings::default()).unwrap();
        let y = model.rest_state();
        let yp = vec![0.0; y.len()];
        let mut r = vec![0.0; y.len()];
        model.residual(0.0, &y, &yp, &mut r).unwrap();
        let worst = r.iter().fold(0.0f64, |a, v| a.max(v.abs()));
        assert!(worst < 1e-10, "rest residual {worst:e} (binary = {binary})");
    }
}

/// A model of the single-ion fixture on a small mesh, with the outermost shells of every cell
/// at `room` from the empty end and a charging current density `j` in each.
fn near_empty_state(room: f64, j: f64) -> (P2dModel, Vec<f64>, Vec<f64>) {
    let p = fixture(false);
    let mesh = MeshSettings {
        positive_x_cells: 5,
        separator_x_cells: 3,
        particle_r_cells: 4,
        particle_surface_refinement: 1,
    };
    let mut model = P2dModel::new(&p, &mesh).unwrap();
    model.set_control(Control::Current { i_a_m2: -9.5 });
    let (mut y, yp) = perturbed_state(&model);
    let l = *model.layout();
    for i in 0..l.np {
        for k in 0..l.nr {
            y[l.theta(i, k)] = room * (1.0 + 3.0 * (l.nr - 1 - k) as f64);
        }
        y[l.j(i)] = j;
    }
    (model, y, yp)
}

#[test]
fn surface_reconstruction_is_the_quadratic_inside_the_window() {
    // Offsets far from the end of the window: the limiter leaves the quadratic alone.
    let (model, mut y, _) = near_empty_state(0.05, 1e-2);
    let l = *model.layout();
    for i in 0..l.np {
        y[l.theta(i, l.nr - 2)] = 0.06;
    }
    let (alpha, beta) = model.surface_weights;
    for i in 0..l.np {
        let (last, prev, j) = (y[l.theta(i, l.nr - 1)], y[l.theta(i, l.nr - 2)], y[l.j(i)]);
        let d = model.d_s.eval(last).0 * model.d_s_arr;
        // The surface flux is χ j: the current flows through the contacted surface.
        let delta = alpha * (last - prev)
            - beta * model.contact / (crate::constants::FARADAY * model.c_max) * j / d;
        let x = delta.abs() / last;
        assert!(delta < 0.0 && x < 0.5, "offset fraction {x}");
        let ts = model.surface_stoichiometry(&y, i, (0.0, 1.0));
        // L(x) = x (1 + x⁸)^(−1/8) = x (1 − x⁸/8 + …).
        assert!(
            (ts.value - (last + delta)).abs() <= 0.2 * x.powi(8) * delta.abs() + 1e-16,
            "θ_surf {:e} against the quadratic {:e}",
            ts.value,
            last + delta
        );
        assert!((ts.d_prev + alpha).abs() < 1e-3 * alpha);
    }
}

#[test]
fn surface_reconstruction_stays_inside_the_window_at_any_current() {
    // A charging current many times what the outermost shell could deliver through the
    // quadratic: the surface approaches the empty end but never reaches or passes it, and is
    // monotone in the current.
    for room in [1e-2, 1e-5, 1e-9] {
        let mut previous = f64::INFINITY;
        for j in [1e-3, 1e-1, 1.0, 10.0, 1e3, 1e6] {
            let (model, y, _) = near_empty_state(room, j);
            let ts = model.surface_stoichiometry(&y, 0, (0.0, 1.0));
            let last = y[model.layout().theta(0, model.layout().nr - 1)];
            assert!(
                ts.value > 0.0 && ts.value < last,
                "room {room:e}, j {j:e}: θ_surf {:e} outside (0, θ_last = {last:e})",
                ts.value
            );
            assert!(ts.value <= previous, "not monotone in j at room {room:e}");
            previous = ts.value;
        }
    }
}

#[test]
fn surface_reconstruction_partials_match_finite_differences_when_limited() {
    let l_of = |m: &P2dModel| *m.layout();
    for (room, j) in [(1e-3, 0.05), (1e-3, 0.5), (1e-4, 5.0)] {
        let (model, y, _) = near_empty_state(room, j);
        let l = l_of(&model);
        let ts = model.surface_stoichiometry(&y, 0, (0.0, 1.0));
        let fd = |k: usize| {
            let h = 1e-7 * y[k].abs().max(1e-12);
            let (mut a, mut b) = (y.clone(), y.clone());
            a[k] += h;
            b[k] -= h;
            (model.surface_stoichiometry(&a, 0, (0.0, 1.0)).value
                - model.surface_stoichiometry(&b, 0, (0.0, 1.0)).value)
                / (2.0 * h)
        };
        for (analytic, k) in [
            (ts.d_last, l.theta(0, l.nr - 1)),
            (ts.d_prev, l.theta(0, l.nr - 2)),
            (ts.d_j, l.j(0)),
        ] {
            let numeric = fd(k);
            assert!(
                (analytic - numeric).abs() <= 1e-5 * numeric.abs().max(1e-12),
                "room {room:e}, j {j}: partial in unknown {k}: analytic {analytic:e}, finite difference {numeric:e}"
            );
        }
    }
}

#[test]
fn jacobian_matches_finite_differences_with_limited_surfaces() {
    // The outermost shells near empty under a charging current that saturates the limiter.
    let (mut model, y, yp) = near_empty_state(1e-3, 0.5);
    let l = *model.layout();
    let ts = model.surface_stoichiometry(&y, 0, (0.0, 1.0));
    assert!(
        ts.value < 0.5 * y[l.theta(0, l.nr - 1)],
        "the limiter is not active"
    );
    check_jacobian_at(&mut model, &y, &yp, false);
}

#[test]
fn the_lowest_electrolyte_concentration_and_where_it_is() {
    let model = P2dModel::new(&fixture(false), &MeshSettings::default()).unwrap();
    assert_eq!(model.electrolyte_minimum(&model.rest_state()), None);
    let model = P2dModel::new(&fixture(true), &MeshSettings::default()).unwrap();
    let l = *model.layout();
    let mut y = model.rest_state();
    for m in 0..l.ne() {
        y[l.c_e(m)] = 1.5 - m as f64 / l.ne() as f64;
    }
    let (c, m, ne) = model.electrolyte_minimum(&y).unwrap();
    assert_eq!((m, ne), (l.ne() - 1, l.ne()));
    assert!((c - (0.5 + 1.0 / l.ne() as f64)).abs() < 1e-12);
}

/// At an exhausted surface (the outermost shell close to an end of the host's window and the
/// quadratic pointing past it, x = |δ|/ρ ≫ 1) the surface stoichiometry sits at the window's
/// end and follows it as the slow states move it (X_l both ends, X_a and γ X_O the upper one):
/// the MSMR rows' derivatives in those states include it. Without, the row's derivative in X_l
/// was −1 times its scale where the true one is about 0 (robustness seed 12, case 86).
#[test]
fn jacobian_matches_finite_differences_at_an_exhausted_surface() {
    for binary in [false, true] {
        for p in [
            lro_fixture(binary),
            lower_couple_fixture(binary, FAST_REARRANGEMENT, 0.45),
        ] {
            for upper in [false, true] {
                let mut model = P2dModel::new(&p, &ROW_CHECK_MESH).unwrap();
                model.set_control(Control::Current {
                    i_a_m2: if upper { 9.5 } else { -9.5 },
                });
                let (mut y, yp) = perturbed_state(&model);
                let l = *model.layout();
                let (lo, hi) = model.host_window(&y);
                for i in 0..l.np {
                    // The outermost shell 1e-3 from the end, the one below 0.2 from it: the
                    // quadratic's offset is about 30 times the room left.
                    let (last, prev) = if upper {
                        (hi - 1e-3, hi - 0.2)
                    } else {
                        (lo + 1e-3, lo + 0.2)
                    };
                    y[l.theta(i, l.nr - 1)] = last;
                    y[l.theta(i, l.nr - 2)] = prev;
                    y[l.j(i)] = 0.0;
                    let ts = model.surface_stoichiometry(&y, i, (lo, hi));
                    let gap = if upper { hi - ts.value } else { ts.value - lo };
                    assert!(gap > 0.0 && gap < 1e-4, "cell {i}: not exhausted ({gap:e})");
                }
                check_jacobian_at(&mut model, &y, &yp, binary);
            }
        }
    }
}

#[test]
fn a_non_physical_state_reaches_the_solver_as_the_models_own_error() {
    // A residual at a state with a non-finite entry is refused as non-physical, and the
    // solver's error carries the model's typed reason (not its text).
    use crate::numerics::dae::{DaeSystem, EvalError};
    let p = fixture(false);
    let mut model = P2dModel::new(&p, &MeshSettings::default()).unwrap();
    let mut y = model.rest_state();
    let yp = vec![0.0; y.len()];
    let l = *model.layout();
    y[l.i_app] = f64::NAN;
    let mut r = vec![0.0; y.len()];
    let err = model.residual(0.0, &y, &yp, &mut r).unwrap_err();
    let EvalError::NonPhysical(reason) = &err else {
        panic!("expected a non-physical state, found {err}")
    };
    let state = reason
        .downcast_ref::<super::NonPhysicalState>()
        .unwrap_or_else(|| panic!("not the model's own error: {reason}"));
    assert_eq!(err.to_string(), format!("non-physical state: {state}"));
}
