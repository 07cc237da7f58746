"""A model adapter in PyBOP's terms: ``simulate(inputs, t_eval) -> {"Voltage [V]": ...}``.

PyBOP fits a model by calling it with a dict of parameter values (its *inputs*) and the times
of the measured data, and comparing the returned arrays with the data. :class:`PybopModel`
gives asslb that face: each call is an :class:`asslb.Simulation` of the adapter's experiment
with the inputs set on its :class:`asslb.ParameterValues` (keys as in parameter files, an
unknown key raises :class:`asslb.ParameterKeyError`), solved with every cycle saved, its time
series interpolated linearly at ``t_eval``. Times past the end of the run (a cut-off reached
early, as for a cell with less capacity) give NaN, which PyBOP's costs treat as an infeasible
point. Use it with a PyBOP optimiser on a Python cost, or with SciPy:

    >>> model = asslb.PybopModel("wu2022_lro_lpscl", ["Charge at 1C until 4.3 V vs Li/Li+"])
    >>> out = model.simulate({"positive.solid_diffusivity_m2_s": 1e-16}, t_eval)
    >>> out["Voltage [V]"]
"""

import math

import numpy as np

from ._simulation import ParameterValues, Simulation

# The variables returned: PyBaMM's names, the time series' columns (current positive on
# discharge in both).
VARIABLES = {
    "Voltage [V]": "voltage_V",
    "Current [A]": "current_A",
    "Discharge capacity [A.h]": "discharge_capacity_Ah",
    "Positive electrode potential vs Li/Li+ [V]": "voltage_vs_li_V",
}


class PybopModel:
    """``simulate(inputs, t_eval)`` of an experiment on a parameter set (see the module docs).

    ``parameter_values`` is a set's name, a parameter file's path or a
    :class:`asslb.ParameterValues`; ``experiment`` the step language of
    :class:`asslb.Simulation`; ``mesh`` and ``solver`` the scenario file's sections as dicts.
    """

    def __init__(self, parameter_values="wu2022_lro_lpscl", experiment=None, *, mesh=None, solver=None):
        if experiment is None:
            raise TypeError("an experiment is needed, e.g. ['Charge at 1C until 4.3 V vs Li/Li+']")
        if not isinstance(parameter_values, ParameterValues):
            parameter_values = ParameterValues(parameter_values)
        self._parameter_values = parameter_values.copy()
        self._experiment = list(experiment)
        self._mesh = mesh
        self._solver = solver

    @property
    def parameter_values(self):
        """A copy of the parameters the inputs are set on."""
        return self._parameter_values.copy()

    def simulate(self, inputs, t_eval):
        """The variables of :data:`VARIABLES` at the times ``t_eval`` [s from the start] of a
        run with ``inputs`` (``{key: value}``) set: a dict of numpy arrays of ``len(t_eval)``,
        ``"Time [s]"`` included; NaN past the end of the run."""
        p = self._parameter_values.copy()
        p.update(dict(inputs or {}))
        sim = Simulation(
            parameter_values=p,
            experiment=self._experiment,
            name="pybop",
            save_cycles="all",
            mesh=self._mesh,
            solver=self._solver,
        )
        series = sim.solve().timeseries
        t = series["time_s"].to_numpy(dtype=float)
        t_eval = np.asarray(t_eval, dtype=float)
        out = {"Time [s]": t_eval.copy()}
        for name, column in VARIABLES.items():
            out[name] = np.interp(t_eval, t, series[column].to_numpy(dtype=float), left=math.nan, right=math.nan)
        return out
