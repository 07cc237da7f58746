"""Sweeps, validations and fits: ``asslb sweep``, ``asslb validate`` and ``asslb fit`` from
Python. Each calls the library function the command calls (without the GIL), writes the same
folder, and returns its main table as a pandas DataFrame."""

import os
import warnings

import pandas as pd

from . import _asslb

__all__ = ["FitResult", "fit", "sweep", "validate"]


def _path(p):
    return None if p is None else os.fspath(p)


def sweep(path, out=None, jobs=None, resume=False):
    """Runs the sweep file ``path`` as ``asslb sweep`` does, into ``out`` (default
    ``out/<sweep name>``: each case in ``cases/<case>/``), ``jobs`` cases at once (default: the
    number of cores). Returns ``sweep.csv`` as a DataFrame (``df.attrs["out"]`` is the
    folder). A case that failed raises :class:`asslb.SweepError`; ``resume=True`` reruns
    only the cases without a finished record."""
    result = _asslb.sweep(os.fspath(path), _path(out), jobs, resume)
    table = pd.read_csv(result["table"])
    table.attrs["out"] = result["out"]
    table.attrs["summary"] = result["summary"]
    return table


def validate(path, out=None, jobs=None):
    """Runs the validation file ``path`` as ``asslb validate`` does, into ``out`` (default
    ``out/validation/<name>``). Returns ``comparison.csv`` as a DataFrame, one row per
    measured quantity with its simulated value, error, tolerance and verdict;
    ``df.attrs`` holds ``passed``, ``report`` (report.md) and ``table`` (the printed table).
    Quantities out of tolerance are a result, not an exception; a run that failed is warned
    about (``RuntimeWarning``) and fails its comparisons."""
    result = _asslb.validate(os.fspath(path), _path(out), jobs)
    for label, error in result["run_errors"]:
        warnings.warn(f"run `{label}` failed: {error}", RuntimeWarning, stacklevel=2)
    table = pd.read_csv(result["comparison"])
    table.attrs.update(
        out=result["out"],
        passed=result["passed"],
        report=result["report"],
        table=result["table"],
    )
    return table


class FitResult:
    """What :func:`fit` produced: ``parameters`` (the fitted values with their
    uncertainties, a DataFrame), ``comparison`` (the validation at the fitted values),
    ``trials`` (every trial point), ``passed``, ``summary`` (the text ``asslb fit`` prints),
    and the paths ``out``, ``report`` and ``scenarios`` (the fitted scenario files)."""

    def __init__(self, result):
        self.out = result["out"]
        self.report = result["report"]
        self.scenarios = list(result["scenarios"])
        self.passed = result["passed"]
        self.summary = result["summary"]
        self.parameters = pd.read_csv(result["parameters"])
        self.comparison = pd.read_csv(result["comparison"])
        self.trials = pd.read_csv(result["trials"])

    def __repr__(self):
        return f"<asslb.FitResult {self.out}: {len(self.parameters)} parameters, passed={self.passed}>"


def fit(path, out=None, jobs=None):
    """Runs the fit file ``path`` as ``asslb fit`` does, into ``out`` (default
    ``out/fit/<name>``), ``jobs`` simulations at once. Returns a :class:`FitResult`. A fitted
    model that does not explain the data (comparisons out of tolerance at the fitted values)
    is a result (``passed`` false), not an exception."""
    return FitResult(_asslb.fit(os.fspath(path), _path(out), jobs))
