"""asslb: physics-based simulation of all-solid-state lithium battery cells, from Python.

The package is another front of the one driver the ``asslb`` command line uses (a Rust
library, called through the extension module ``asslb._asslb``): a scenario solved here gives
the files ``asslb run`` writes, byte for byte, and every error the command line reports arrives
as an exception with the same message.

    >>> import asslb
    >>> sim = asslb.Simulation.from_scenario("scenarios/wu2022_1c_1000.toml")
    >>> sol = sim.solve()
    >>> sol.summary.tail()

See docs/python.md for the whole API.
"""

from ._asslb import (
    AsslbError,
    FitError,
    OutputError,
    ScenarioError,
    SolverError,
    SweepError,
    ValidationError,
    __version__,
)
from ._simulation import (
    ParameterKeyError,
    ParameterValues,
    Simulation,
    Solution,
    parameter_sets,
)
from ._tasks import FitResult, fit, sweep, validate
from ._pybamm import PYBAMM_NAMES, from_pybamm, to_pybamm
from ._pybop import PybopModel

__all__ = [
    "AsslbError",
    "FitError",
    "FitResult",
    "OutputError",
    "PYBAMM_NAMES",
    "ParameterKeyError",
    "ParameterValues",
    "PybopModel",
    "ScenarioError",
    "Simulation",
    "Solution",
    "SolverError",
    "SweepError",
    "ValidationError",
    "__version__",
    "fit",
    "from_pybamm",
    "parameter_sets",
    "sweep",
    "to_pybamm",
    "validate",
]
