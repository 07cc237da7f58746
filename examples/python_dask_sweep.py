"""A parameter sweep with Dask: each case is a `Simulation.solve()`, which releases the GIL, so
the threads of one Dask worker solve cases in parallel (and the processes of a cluster, or
the nodes of a `dask_jobqueue` cluster, the same way).

    pip install ./python "dask[distributed]"
    python examples/python_dask_sweep.py

Sweeps the cathode thickness of the solid verification half-cell at 1C and prints one row per
case. For a sweep file, `asslb.sweep(path, jobs=N)` runs the cases in parallel by itself; Dask
is for fanning cases out over machines, or for mixing simulations with other Dask work.
"""

import os
import sys

import pandas as pd
from dask.distributed import Client, LocalCluster

import asslb

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCENARIO = os.path.join(ROOT, "scenarios", "solid_halfcell_discharge_1C.toml")


def solve_case(thickness_m):
    """One case: the scenario at one cathode thickness, reduced to its key figures."""
    sim = asslb.Simulation.from_scenario(SCENARIO, set={"positive.thickness_m": thickness_m})
    first = sim.solve().summary.iloc[0]
    return {
        "positive.thickness_m": thickness_m,
        "discharge_capacity_mAh_g": first["discharge_capacity_mAh_g"],
        "mean_discharge_voltage_V": first["mean_discharge_voltage_V"],
    }


def main(thicknesses=(1.5e-5, 2.0e-5, 2.7e-5, 3.5e-5)):
    # Threads, not processes: the solver releases the GIL. A real cluster (processes, or
    # dask_jobqueue.SLURMCluster) takes the same client code.
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        futures = client.map(solve_case, list(thicknesses))
        table = pd.DataFrame(client.gather(futures))
    print(table.to_string(index=False))
    return table


if __name__ == "__main__":
    main(*(tuple(float(x) for x in sys.argv[1:]) or ()))
