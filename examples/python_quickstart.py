"""The asslb Python package in a few lines: a built-in parameter set, a changed value, an
experiment in the step language, the per-cycle summary and an impedance spectrum.

    pip install ./python
    python examples/python_quickstart.py [out_dir]

Writes the run's files (those `asslb run` writes) into out_dir (default out/python_quickstart).
"""

import sys

import asslb


def main(out_dir="out/python_quickstart"):
    print(asslb.parameter_sets()[["name", "cell"]].to_string(index=False))

    p = asslb.ParameterValues("wu2022_lro_lpscl")
    p.update({"cell.temperature_K": 318.15})
    formation = ("Charge at 0.1C until 4.3 V vs Li/Li+", "Discharge at 0.1C until 2.0 V vs Li/Li+")
    cycling = {
        "cycles": 5,
        "steps": ["Charge at 1C until 4.3 V vs Li/Li+", "Discharge at 1C until 2.0 V vs Li/Li+"],
    }
    sim = asslb.Simulation(
        parameter_values=p,
        experiment=[formation, cycling],
        mesh={"positive_x_cells": 8, "separator_x_cells": 5, "particle_r_cells": 20},
        impedance={"cycles": [2, 6], "after": "discharge", "rest_minutes": 30.0,
                   "circuit": "R0-p(R1,CPE1)-p(R2,CPE2)-p(R3,CPE3)-W1"},
    )
    sol = sim.solve(progress=True)
    print(sol.summary[["cycle", "discharge_capacity_mAh_g", "coulombic_efficiency"]])

    f, z = sol.spectrum(6)
    print(f"spectrum after cycle 6: {len(f)} frequencies, |Z| from {abs(z).min():.1f} "
          f"to {abs(z).max():.1f} ohm")
    print(sol.impedance_fits[["cycle", "R0", "R1", "R2", "R3"]])
    print("files:", sol.save(out_dir, overwrite=True))
    return sol


if __name__ == "__main__":
    main(*sys.argv[1:])
