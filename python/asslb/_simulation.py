"""Parameter sets, simulations and their solutions: the PyBaMM-like face of the driver.

A :class:`Simulation` is a validated scenario (the library's ``Scenario``): read from a
scenario file (:meth:`Simulation.from_scenario`, as ``asslb run <file> --set ...``) or made from
a :class:`ParameterValues` and an experiment. :meth:`Simulation.solve` runs it through the
library's ``run_scenario``, the function behind ``asslb run``, into a private temporary folder,
and the :class:`Solution` reads that folder's files into pandas DataFrames;
:meth:`Solution.save` copies them, so they are the files ``asslb run`` writes.
"""

import os
import shutil
import tempfile
import weakref
from collections.abc import MutableMapping
from pathlib import Path

import pandas as pd

from . import _asslb
from ._asslb import ScenarioError

__all__ = [
    "ParameterKeyError",
    "ParameterValues",
    "Simulation",
    "Solution",
    "parameter_sets",
]

#: The experiment a parameter set is validated with when no experiment is at hand.
_PROBE_EXPERIMENT = ["Rest for 1 s"]


class ParameterKeyError(ScenarioError, KeyError):
    """A parameter key the parameter file format does not have (also a ``KeyError``)."""

    def __str__(self):
        # KeyError quotes its argument; the message reads better as it is.
        return str(self.args[0]) if self.args else ""


def parameter_sets():
    """The built-in parameter sets as a DataFrame: ``name``, ``cell``, ``source``."""
    rows = _asslb.parameter_sets()
    return pd.DataFrame(rows, columns=["name", "cell", "source"])


def _is_builtin(name):
    return name in {row[0] for row in _asslb.parameter_sets()}


class ParameterValues(MutableMapping):
    """The parameters of a cell, dict-like, in the keys of a parameter file.

    ``ParameterValues("wu2022_lro_lpscl")`` is a built-in set (:func:`parameter_sets`);
    ``ParameterValues("my_cell.toml")`` a parameter file. Keys are dotted paths as in a
    parameter file and in ``--set`` (``"positive.thickness_m"``, ``"cell.temperature_K"``),
    units in their names. A changed value is an override, validated by the library at once:
    a key the format does not have raises :class:`ParameterKeyError` (a ``KeyError``) naming
    it, a value out of range :class:`asslb.ScenarioError`, with the command line's message.
    Values that are tables in the file (``{table = "ocp.csv"}``, ``{bruggeman = 1.5}``) are
    dicts; lists (the MSMR galleries) are lists.
    """

    def __init__(self, name_or_path="wu2022_lro_lpscl", values=None):
        if isinstance(name_or_path, ParameterValues):
            self._base = name_or_path._base
            self._overrides = dict(name_or_path._overrides)
            self._values = dict(name_or_path._values)
        else:
            name = os.fspath(name_or_path)
            if _is_builtin(name):
                self._base = ("parameter_set", name)
            else:
                self._base = ("parameter_file", str(Path(name).resolve()))
            self._overrides = {}
            self._values = self._evaluate(self._overrides)
        if values:
            self.update(values)

    @property
    def name(self):
        """The built-in set's name or the parameter file's path."""
        return self._base[1]

    @property
    def overrides(self):
        """The values changed from the set, in the order they were set."""
        return dict(self._overrides)

    def _document(self, experiment=None):
        kind, name = self._base
        return {kind: name, "experiment": experiment or _PROBE_EXPERIMENT}

    def _evaluate(self, overrides):
        handle = _asslb.scenario_from_document(
            self._document(),
            f"parameter set `{self.name}`",
            os.getcwd(),
            list(overrides.items()),
        )
        return dict(handle.parameters())

    def __getitem__(self, key):
        try:
            return self._values[key]
        except KeyError:
            raise ParameterKeyError(
                f"no parameter `{key}` in {self.name}; keys are dotted paths as in a "
                "parameter file, e.g. `positive.thickness_m` (list them with .keys())"
            ) from None

    def __setitem__(self, key, value):
        self.update({key: value})

    def __delitem__(self, key):
        if key not in self._overrides:
            raise ParameterKeyError(
                f"`{key}` is not an override of {self.name}: only changed values can be "
                "removed (back to the set's value)"
            )
        overrides = dict(self._overrides)
        del overrides[key]
        self._values = self._evaluate(overrides)
        self._overrides = overrides

    def __iter__(self):
        return iter(self._values)

    def __len__(self):
        return len(self._values)

    def __repr__(self):
        changed = f", {len(self._overrides)} changed" if self._overrides else ""
        return f"<asslb.ParameterValues {self.name!r}: {len(self)} values{changed}>"

    def update(self, values=(), **kwargs):
        """Changes values (``{key: value}``); all or none: on an error nothing changes.

        A key the parameter file format does not have raises :class:`ParameterKeyError`
        naming it; keys the format has but the set leaves to their defaults may be set.
        """
        new = dict(values, **kwargs)
        overrides = dict(self._overrides)
        overrides.update(new)
        try:
            evaluated = self._evaluate(overrides)
        except ScenarioError as e:
            message = str(e)
            if "unknown key" in message:
                raise ParameterKeyError(message) from None
            raise
        self._overrides = overrides
        self._values = evaluated

    def copy(self):
        """An independent copy."""
        return ParameterValues(self)


def _experiment_elements(experiment):
    """The scenario's ``experiment`` list from a Python experiment.

    A string is one cycle of one step (as in PyBaMM, where every string of an experiment is a
    cycle); a tuple or list of strings is one cycle of those steps; a dict is a block as in a
    scenario file (``{"cycles": 100, "steps": [...]}``).
    """
    if isinstance(experiment, str):
        experiment = [experiment]
    elements = []
    for element in experiment:
        if isinstance(element, str):
            elements.append(element)
        elif isinstance(element, dict):
            elements.append(dict(element))
        elif isinstance(element, (tuple, list)):
            elements.append({"steps": list(element)})
        else:
            raise TypeError(
                "an experiment element is a step string, a tuple of step strings (one "
                f"cycle) or a dict {{'cycles': N, 'steps': [...]}}, not {type(element).__name__}"
            )
    return elements


class Simulation:
    """A scenario ready to solve, as PyBaMM's ``Simulation``.

    ``Simulation(parameter_values=p, experiment=[...])`` builds the scenario from a
    :class:`ParameterValues` (or a set's name) and an experiment in the step language
    (``"Charge at 0.1C until 4.3 V vs Li/Li+"``; a string is a cycle of one step, a tuple of
    strings one cycle of several steps, a dict ``{"cycles": N, "steps": [...]}`` a block of N
    identical cycles). ``mesh``, ``solver``, ``save_cycles`` and ``impedance`` are the scenario
    file's sections as dicts. :meth:`from_scenario` reads a scenario file.
    """

    def __init__(
        self,
        parameter_values="wu2022_lro_lpscl",
        experiment=None,
        *,
        name="python",
        description=None,
        mesh=None,
        solver=None,
        save_cycles=None,
        impedance=None,
        set=None,
        _handle=None,
    ):
        if _handle is not None:
            self._handle = _handle
            self._parameter_values = None
            return
        if experiment is None:
            raise TypeError(
                "an experiment is needed, e.g. ['Discharge at 0.1C until 2.0 V vs Li/Li+']"
            )
        if not isinstance(parameter_values, ParameterValues):
            parameter_values = ParameterValues(parameter_values)
        document = parameter_values._document(_experiment_elements(experiment))
        document["name"] = name
        for key, value in (
            ("description", description),
            ("mesh", mesh),
            ("solver", solver),
            ("save_cycles", save_cycles),
            ("impedance", impedance),
        ):
            if value is not None:
                document[key] = value
        sets = list(parameter_values.overrides.items()) + list((set or {}).items())
        self._handle = _asslb.scenario_from_document(document, name, os.getcwd(), sets)
        self._parameter_values = parameter_values.copy()

    @classmethod
    def from_scenario(cls, path, set=None):
        """The scenario file ``path`` with the overrides ``set`` (``{path: value}``, as
        ``asslb run <path> --set path=value``)."""
        sets = list((set or {}).items())
        return cls(_handle=_asslb.load_scenario(os.fspath(path), sets))

    @property
    def name(self):
        """The scenario's name."""
        return self._handle.name

    @property
    def cycles(self):
        """Cycles in the experiment."""
        return self._handle.cycles

    @property
    def scenario_toml(self):
        """The resolved scenario as TOML, as ``run.toml`` records it."""
        return self._handle.document

    @property
    def parameter_values(self):
        """The scenario's parameters (a :class:`ParameterValues`-like dict of every value)."""
        if self._parameter_values is not None:
            return self._parameter_values.copy()
        return dict(self._handle.parameters())

    def describe(self):
        """What the simulation would run, in words (``asslb check``)."""
        return self._handle.describe()

    def __repr__(self):
        return f"<asslb.Simulation {self.name!r}: {self.cycles} cycles>"

    def solve(self, progress=False):
        """Runs the scenario and returns its :class:`Solution`.

        The run is the library's ``asslb run``, into a temporary folder the solution owns;
        the GIL is released while it runs (threads solve in parallel). With ``progress``, the
        command line's progress is shown on standard error: a bar on a terminal, otherwise a
        plain line at most every 30 s.
        Ctrl-C stops the run after the cycle under way and raises ``KeyboardInterrupt``. A run
        that fails raises :class:`asslb.SolverError`; its partial files stay in the folder
        its message names (``error.folder``). A failure of the solver in a step says where and
        why as attributes: ``cycle``, ``step``, ``flag``, ``time_s``, ``voltage_v``,
        ``current_a`` and ``limit`` (what was near when the solver gave up:
        ``"electrolyte_depleted"``, ``"solid_diffusion"``, ``"interface_drop"``,
        ``"surface_current"`` or ``"numerical"``); ``None`` for other failures.
        """
        folder = tempfile.mkdtemp(prefix=f"asslb-{self.name}-")
        try:
            stats = self._handle.run(folder, progress)
        except _asslb.SolverError as e:
            e.folder = folder
            raise
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return Solution(folder, stats, self.name)


class Solution:
    """The result of :meth:`Simulation.solve`: the files of the run, as DataFrames.

    ``summary`` is ``summary.csv`` (one row per cycle), ``timeseries`` ``timeseries.csv`` (the
    saved cycles), ``impedance`` ``impedance.csv`` (the spectra, one row per frequency) and
    ``impedance_fits`` ``impedance_fit.csv`` (the circuit fits); each is read when first asked
    for. :meth:`spectrum` gives one spectrum as numpy arrays; :meth:`save` writes the files
    ``asslb run`` writes. ``stats`` holds the solver's statistics.
    """

    def __init__(self, folder, stats, name):
        self._folder = Path(folder)
        self._cache = {}
        self.stats = dict(stats)
        self.name = name
        self._cleanup = weakref.finalize(self, shutil.rmtree, folder, True)

    def __repr__(self):
        return f"<asslb.Solution {self.name!r}: {self.stats.get('cycles')} cycles>"

    @property
    def files(self):
        """The names of the run's files."""
        return sorted(p.name for p in self._folder.iterdir() if p.is_file())

    def _table(self, file_name):
        if file_name not in self._cache:
            path = self._folder / file_name
            self._cache[file_name] = pd.read_csv(path) if path.exists() else None
        table = self._cache[file_name]
        return None if table is None else table.copy()

    @property
    def summary(self):
        """``summary.csv``: one row per cycle, its columns."""
        return self._table("summary.csv")

    @property
    def timeseries(self):
        """``timeseries.csv``: the rows of the saved cycles (``save_cycles``)."""
        return self._table("timeseries.csv")

    @property
    def impedance(self):
        """``impedance.csv``: the spectra (cycle, frequency_Hz, z_re_ohm, z_im_ohm); an empty
        DataFrame when the scenario took none."""
        table = self._table("impedance.csv")
        if table is None:
            return pd.DataFrame(columns=["cycle", "frequency_Hz", "z_re_ohm", "z_im_ohm"])
        return table

    @property
    def impedance_fits(self):
        """``impedance_fit.csv``: the equivalent-circuit fit of each spectrum; ``None`` when
        the scenario names no circuit."""
        return self._table("impedance_fit.csv")

    @property
    def spectrum_cycles(self):
        """The cycles with a spectrum."""
        return sorted(int(c) for c in self.impedance["cycle"].unique())

    def spectrum(self, cycle):
        """The spectrum taken after cycle ``cycle`` as ``(f, Z)``: frequencies [Hz] and the
        complex impedance [Ω] (``Z = Z' + iZ''``), numpy arrays in the order measured, as
        impedance.py's ``CustomCircuit.fit(f, Z)`` takes them."""
        table = self.impedance
        rows = table[table["cycle"] == cycle]
        if rows.empty:
            raise KeyError(
                f"no spectrum at cycle {cycle}; spectra were taken at cycles "
                f"{self.spectrum_cycles}"
            )
        f = rows["frequency_Hz"].to_numpy(dtype=float)
        z = rows["z_re_ohm"].to_numpy(dtype=float) + 1j * rows["z_im_ohm"].to_numpy(dtype=float)
        return f, z

    def save(self, out_dir, overwrite=False):
        """Writes the run's files into ``out_dir`` (created if needed): the files ``asslb run``
        writes there. A folder that already holds files is refused unless ``overwrite``, whose
        files of the same names are then replaced. Returns the folder."""
        out = Path(out_dir)
        if out.exists() and any(out.iterdir()) and not overwrite:
            raise FileExistsError(
                f"{out} is not empty; save into another folder or pass overwrite=True"
            )
        out.mkdir(parents=True, exist_ok=True)
        for name in self.files:
            shutil.copyfile(self._folder / name, out / name)
        return out
