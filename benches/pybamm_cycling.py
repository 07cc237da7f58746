#!/usr/bin/env python3
"""Time N 1C discharge/charge cycles of `solid_halfcell_single_ion` in PyBaMM and in asslb.

Both tools cycle the same P2D problem (the model of benches/pybamm_compare.py:
PyBaMM DFN, {"working electrode": "positive"}, parameters from
validation/reference/solid_halfcell_single_ion/case.toml, 20/10/20 mesh), on
this machine, in one run. One cycle is

    1C constant-current discharge until 1.38 V, then 1C charge until 3.68 V

with 1C = 7.202074427e-4 A ("Nominal cell capacity [A.h]"), starting from rest
at the initial concentrations. The script

1. builds the PyBaMM `Simulation` with `pybamm.Experiment([(discharge, charge)] * N)`
   and `IDAKLUSolver()` at its default tolerances (rtol 1e-4, atol 1e-6, also
   asslb's defaults), builds it (`build_for_experiment`: parameterisation, mesh,
   discretisation; timed separately) and times one `sim.solve()`;
2. checks that PyBaMM's first discharge capacity matches the 1C reference
   capacity (reference_discharge_1C.csv, 6.7332e-4 Ah);
3. builds the asslb binary (`cargo build --release`, not timed) and times
   `target/release/asslb run benches/cycling_verification.toml --quiet` as a whole
   process: start-up, reading the scenario, building the model, solving, and writing
   every file and figure (summary.csv, the rows of cycle 1, run.toml, the PNG and SVG
   figures); the capacities are read back from its summary.csv and the solver steps
   from its run.toml. This is what a user runs, and the headline ratio is of it;
4. also runs `cargo run --release --quiet --example time_cycling -- N` (the library's
   `Simulation::run` alone, no files) for comparison with earlier measurements;
With `--repeat N` steps 3 and 1 alternate for N rounds (PyBaMM in a fresh Python process
each round) and the table shows the median run of each, the ratio that of
the medians; the
machine's run-to-run spread (tens of per cent) makes a single run of each no measurement.
The Python row runs the installed package, and a warning says so when its capacities are not
the CLI's (a package built from older code).

5. prints a table and the PyBaMM/asslb ratios, of PyBaMM's `sim.solve()` and of its
   whole process (import, build and solve) against the asslb process.

Not used by the test suite. See benches/README.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# The model and parameter construction is shared with pybamm_compare.py.
sys.path.insert(0, str(Path(__file__).resolve().parent))
import pybamm_compare as pc  # noqa: E402

REPO = pc.REPO
CASE_DIR = pc.CASE_DIR
MESH = pc.MESH
ASSLB_EXAMPLE = "time_cycling"

DISCHARGE = "Discharge at 1C until {v_min} V"
CHARGE = "Charge at 1C until {v_max} V"


def rss_kb() -> int:
    """Peak resident set size of this process so far [kB] (Linux units)."""
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def step_capacity_ah(step_solution) -> float:
    q = step_solution["Discharge capacity [A.h]"].entries
    return float(q[-1] - q[0])


# --------------------------------------------------------------------------- #
# PyBaMM
# --------------------------------------------------------------------------- #
def run_pybamm(args, case: dict) -> dict:
    rss_start_kb = rss_kb()
    t0 = time.perf_counter()
    pybamm = pc.ensure_pybamm(not args.no_install)
    import_s = time.perf_counter() - t0

    cell = case["cell"]
    v_min, v_max = float(cell["lower_cutoff_V"]), float(cell["upper_cutoff_V"])
    ocp = pc.load_csv(CASE_DIR / case["positive"]["ocp_table"])
    ref = pc.load_csv(CASE_DIR / "reference_discharge_1C.csv")
    ref_cap = float(ref[-1, 2])

    pv, i_1c = pc.pybamm_parameters(pybamm, case, ocp)
    if abs(float(pv["Nominal cell capacity [A.h]"]) - i_1c) > 1e-15:
        raise RuntimeError("nominal capacity is not the 1C current")

    cycle = (DISCHARGE.format(v_min=f"{v_min:g}"), CHARGE.format(v_max=f"{v_max:g}"))
    experiment = pybamm.Experiment([cycle] * args.cycles)
    model = pybamm.lithium_ion.DFN(options={"working electrode": "positive"})
    var_pts = dict(model.default_var_pts)
    var_pts.update(MESH)
    solver = pybamm.IDAKLUSolver()  # defaults: rtol 1e-4, atol 1e-6
    solver_desc = f"IDAKLUSolver(rtol={solver.rtol:g}, atol={solver.atol:g})"

    t0 = time.perf_counter()
    sim = pybamm.Simulation(
        model, parameter_values=pv, experiment=experiment, var_pts=var_pts, solver=solver
    )
    # Parameterisation + mesh + discretisation of the step models; sim.solve()
    # would do it itself, it is done (and timed) here so it is not in the solve time.
    sim.build_for_experiment()
    build_s = time.perf_counter() - t0
    rss_built_kb = rss_kb()

    class CycleClock(pybamm.callbacks.Callback):
        """Wall-clock time at the end of every cycle (cheap: one perf_counter)."""

        def __init__(self):
            self.t_start = None
            self.ends = []

        def on_experiment_start(self, logs):
            self.t_start = time.perf_counter()

        def on_cycle_end(self, logs):
            self.ends.append(time.perf_counter())

    clock = CycleClock()
    print(
        f"[pybamm] {pybamm.__version__}: solving {args.cycles} cycles of {cycle} with {solver_desc}"
        + (f", save_at_cycles={args.save_at_cycles}" if args.save_at_cycles else "")
        + " ...",
        flush=True,
    )
    t0 = time.perf_counter()
    sol = sim.solve(save_at_cycles=args.save_at_cycles, callbacks=[clock])
    total_s = time.perf_counter() - t0
    rss_end_kb = rss_kb()

    # ---- results -----------------------------------------------------------
    cycles_done = len(sol.cycles)
    first, last = sol.cycles[0], sol.cycles[-1]
    first_cap = step_capacity_ah(first.steps[0])
    last_cap = step_capacity_ah(last.steps[0]) if last is not None else float("nan")
    stats = getattr(sol, "solver_statistics", None)
    steps = int(stats.number_of_steps) if stats is not None else None
    terminations = [s.termination for s in last.steps] if last is not None else []
    complete = cycles_done == args.cycles and len(terminations) == 2 and all(
        "[experiment]" in t for t in terminations
    )
    if not complete:
        print(
            f"[pybamm] WARNING: stopped after {cycles_done}/{args.cycles} cycles "
            f"(last cycle step terminations {terminations}, solution termination {sol.termination!r})",
            flush=True,
        )
    first_cycle_s = clock.ends[0] - clock.t_start if clock.ends else float("nan")
    rest_ms = (
        1e3 * (clock.ends[-1] - clock.ends[0]) / (len(clock.ends) - 1)
        if len(clock.ends) > 1
        else float("nan")
    )
    cap_rel = first_cap / ref_cap - 1.0
    sanity_ok = abs(cap_rel) <= pc.MAX_CAPACITY_REL
    print(
        f"[pybamm] sanity: first-cycle 1C discharge capacity {first_cap:.7e} Ah vs reference "
        f"{ref_cap:.7e} Ah ({100 * cap_rel:+.4f} %) -> {'OK' if sanity_ok else 'MISMATCH'}",
        flush=True,
    )

    return {
        "tool": "PyBaMM",
        "version": pybamm.__version__,
        "cycles": cycles_done,
        "cycles_requested": args.cycles,
        "complete": complete,
        "total_s": total_s,
        "s_per_100_cycles": 100.0 * total_s / max(cycles_done, 1),
        "ms_per_cycle": 1e3 * total_s / max(cycles_done, 1),
        "first_cycle_s": first_cycle_s,
        "ms_per_cycle_after_first": rest_ms,
        "solver_steps": steps,
        "first_discharge_Ah": first_cap,
        "last_discharge_Ah": last_cap,
        "reference_1C_Ah": ref_cap,
        "first_discharge_rel": cap_rel,
        "sanity_ok": sanity_ok,
        "peak_rss_kB": rss_end_kb,
        "rss_after_import_build_kB": rss_built_kb,
        "rss_at_start_kB": rss_start_kb,
        "import_s": import_s,
        "build_s": build_s,
        "solver": solver_desc,
        "save_at_cycles": args.save_at_cycles,
        "last_termination": str(sol.termination),
    }


def run_pybamm_child(args) -> dict:
    """`run_pybamm` in a fresh Python process (this script with `--skip-asslb --json`), for
    the rounds of `--repeat`: every PyBaMM time is then of a cold process."""
    with tempfile.TemporaryDirectory(prefix="pybamm_round_") as tmp:
        out = Path(tmp) / "pybamm.json"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--skip-asslb", "--no-install",
               "--cycles", str(args.cycles), "--json", str(out)]
        if args.save_at_cycles:
            cmd += ["--save-at-cycles", str(args.save_at_cycles)]
        r = subprocess.run(cmd, capture_output=True, text=True, close_fds=False)
        if r.returncode != 0 or not out.exists():
            tail = "\n".join((r.stderr or r.stdout).strip().splitlines()[-8:])
            raise RuntimeError(f"PyBaMM child process exited with {r.returncode}:\n{tail}")
        with open(out) as f:
            run = json.load(f)["pybamm"]
    if run is None:
        raise RuntimeError("PyBaMM child process gave no result")
    return run


# --------------------------------------------------------------------------- #
# asslb
# --------------------------------------------------------------------------- #
def parse_asslb_json(stdout: str) -> dict:
    """The last JSON object line of `stdout` that has "total_s"."""
    for line in reversed(stdout.splitlines()):
        line = line.strip()
        if not (line.startswith("{") and line.endswith("}")):
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(obj, dict) and "total_s" in obj:
            return dict(obj)
    raise ValueError('no JSON line with "total_s" in the example\'s output')


CLI_SCENARIO = REPO / "benches" / "cycling_verification.toml"


def run_asslb_cli(args) -> dict:
    """Times `asslb run` on the benchmark scenario as a whole process, files included."""
    cargo = shutil.which("cargo")
    if cargo is None:
        raise RuntimeError("cargo not found on PATH")
    build = subprocess.run(
        [cargo, "build", "--release", "--quiet", "--bin", "asslb"],
        cwd=REPO, capture_output=True, text=True, timeout=args.cargo_timeout,
    )
    if build.returncode != 0:
        tail = "\n".join(build.stderr.strip().splitlines()[-8:])
        raise RuntimeError(f"cargo build exited with {build.returncode}:\n{tail}")
    binary = REPO / "target" / "release" / "asslb"
    experiment = (
        f'experiment=[{{cycles={args.cycles}, steps=["Discharge at 1C until 1.38 V", '
        f'"Charge at 1C until 3.68 V"]}}]'
    )
    with tempfile.TemporaryDirectory(prefix="asslb_cycling_") as tmp:
        out = Path(tmp) / "run"
        cmd = [str(binary), "run", str(CLI_SCENARIO), "--out", str(out), "--quiet",
               "--set", experiment]
        print(f"[asslb] {' '.join(cmd[:3])} --out <tmp> --quiet --set '{experiment}'", flush=True)
        # No cwd and close_fds=False let CPython start the child with posix_spawn: a fork
        # would copy the page tables of this process (gigabytes once PyBaMM has run) into the
        # timed figure and the child's peak RSS.
        # os.wait4 gives this child's own resource usage (its peak RSS), not the largest of
        # every child so far (the cargo build's).
        log = Path(tmp) / "output.txt"
        with open(log, "w") as sink:
            t0 = time.perf_counter()
            child = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.STDOUT, close_fds=False)
            _, status, usage = os.wait4(child.pid, 0)
            total = time.perf_counter() - t0
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            tail = "\n".join(log.read_text().strip().splitlines()[-8:])
            raise RuntimeError(f"asslb run exited with {child.returncode}:\n{tail}")
        with open(out / "summary.csv", newline="") as f:
            summary = list(csv.DictReader(f))
        record = pc.load_toml(out / "run.toml")
    steps = record.get("solver_stats", {}).get("solver_steps")
    return {
        "tool": "asslb",
        "version": pc.asslb_version(),
        "cycles": len(summary),
        "total_s": total,
        "s_per_100_cycles": 100.0 * total / max(len(summary), 1),
        "solver_steps": steps,
        "first_discharge_Ah": float(summary[0]["discharge_capacity_Ah"]),
        "last_discharge_Ah": float(summary[-1]["discharge_capacity_Ah"]),
        "peak_rss_kB": int(usage.ru_maxrss),
    }


def run_asslb_python(args) -> dict:
    """Times asslb's Python package in this process, as a PyBaMM user would call it:
    `asslb.Simulation.from_scenario(...).solve()` of the benchmark scenario (files in the
    solution's temporary folder included), beside PyBaMM's `sim.solve()`: the Python-to-Python
    row. Needs the package installed (`pip install ./python`)."""
    import asslb  # noqa: PLC0415 (only when the package is installed)

    experiment = [{
        "cycles": args.cycles,
        "steps": ["Discharge at 1C until 1.38 V", "Charge at 1C until 3.68 V"],
    }]
    sim = asslb.Simulation.from_scenario(str(CLI_SCENARIO), set={"experiment": experiment})
    t0 = time.perf_counter()
    sol = sim.solve()
    total = time.perf_counter() - t0
    summary = sol.summary
    return {
        "tool": "asslb-py",
        "version": getattr(asslb, "__version__", "?"),
        "cycles": len(summary),
        "total_s": total,
        "s_per_100_cycles": 100.0 * total / max(len(summary), 1),
        "solver_steps": None,
        "first_discharge_Ah": float(summary["discharge_capacity_Ah"].iloc[0]),
        "last_discharge_Ah": float(summary["discharge_capacity_Ah"].iloc[-1]),
        "peak_rss_kB": None,
    }


def run_asslb(args) -> dict:
    cargo = shutil.which("cargo")
    if cargo is None:
        raise RuntimeError("cargo not found on PATH")
    ex = REPO / "examples" / f"{ASSLB_EXAMPLE}.rs"
    ex_dir = REPO / "examples" / ASSLB_EXAMPLE / "main.rs"
    if not ex.exists() and not ex_dir.exists():
        raise RuntimeError(f"example not found (examples/{ASSLB_EXAMPLE}.rs does not exist yet)")
    cmd = [cargo, "run", "--release", "--quiet", "--example", ASSLB_EXAMPLE, "--", str(args.cycles)]
    print(f"[asslb] cargo {' '.join(cmd[1:])}  (cwd {REPO})", flush=True)
    try:
        r = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=args.cargo_timeout)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"cargo run timed out after {args.cargo_timeout} s")
    if r.returncode != 0:
        tail = "\n".join((r.stderr or r.stdout).strip().splitlines()[-8:])
        raise RuntimeError(f"cargo run exited with {r.returncode}:\n{tail}")
    res = parse_asslb_json(r.stdout)
    res["tool"] = "asslb-lib"
    res["version"] = pc.asslb_version()
    cycles = int(res.get("cycles") or 0)
    if res.get("total_s") is not None and cycles > 0:
        res["s_per_100_cycles"] = 100.0 * float(res["total_s"]) / cycles
    return res


def median_run(runs: list[dict]) -> dict | None:
    """The run whose total time is the median of `runs` (the lower middle one for an even
    count), with the number of runs; `None` for no runs."""
    if not runs:
        return None
    ordered = sorted(runs, key=lambda r: r["total_s"])
    chosen = dict(ordered[(len(ordered) - 1) // 2])
    chosen["runs"] = len(runs)
    chosen["all_total_s"] = [r["total_s"] for r in runs]
    return chosen


# --------------------------------------------------------------------------- #
# main
# --------------------------------------------------------------------------- #
def fnum(x, spec: str) -> str:
    try:
        if x is None:
            return "n/a"
        return pc.fmt(float(x), spec)
    except (TypeError, ValueError):
        return "n/a"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cycles", type=int, default=1000, help="number of cycles (default 1000)")
    ap.add_argument("--no-install", action="store_true", help="do not pip install pybamm if it is missing")
    ap.add_argument("--skip-pybamm", action="store_true")
    ap.add_argument("--skip-asslb", action="store_true")
    ap.add_argument(
        "--save-at-cycles", type=int, default=None, metavar="K",
        help="PyBaMM solve(save_at_cycles=K): keep the full solution of cycle 1, the last "
        "cycle and every K-th cycle only (default: PyBaMM's default, keep every cycle)",
    )
    ap.add_argument("--cargo-timeout", type=float, default=3600.0, help="seconds for cargo build + run")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    ap.add_argument(
        "--repeat", type=int, default=1, metavar="N",
        help="time the asslb process and PyBaMM's sim.solve() N times, alternating (asslb, then "
        "PyBaMM, N rounds, PyBaMM in a fresh Python process each round), and report the median "
        "of each and the ratio of the medians (default 1). On a machine whose wall times vary "
        "by tens of per cent from run to run, one run of each is not a measurement",
    )
    args = ap.parse_args(argv)
    if args.cycles < 1:
        ap.error("--cycles must be >= 1")
    if args.repeat < 1:
        ap.error("--repeat must be >= 1")

    case = pc.load_toml(CASE_DIR / "case.toml")
    cell = case["cell"]
    print(
        f"case solid_halfcell_single_ion, {args.cycles} x [1C = {cell['nominal_capacity_Ah']:.10g} A "
        f"discharge to {cell['lower_cutoff_V']} V, 1C charge to {cell['upper_cutoff_V']} V], "
        f"mesh x_p/x_s/r_p = {MESH['x_p']}/{MESH['x_s']}/{MESH['r_p']}; "
        f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        flush=True,
    )

    # asslb first: its process is then started from a small Python process, before PyBaMM's
    # solution occupies gigabytes. A half that fails is reported and the rest goes on. With
    # --repeat, the asslb process and PyBaMM alternate for N rounds; the library and Python
    # rows are timed once.
    asl = lib = py_row = None
    pyb = None
    asl_runs: list[dict] = []
    pyb_runs: list[dict] = []
    for round_ in range(1, args.repeat + 1):
        if args.repeat > 1:
            print(f"--- round {round_} of {args.repeat}", flush=True)
        if not args.skip_asslb:
            timers = (("asslb", run_asslb_cli),)
            if round_ == 1:
                timers += (
                    ("asslb library", run_asslb),
                    ("asslb Python package", run_asslb_python),
                )
            for what, timer in timers:
                try:
                    result = timer(args)
                except Exception as e:
                    print(f"{what} timing unavailable: {type(e).__name__}: {e}", flush=True)
                    continue
                if timer is run_asslb_cli:
                    asl_runs.append(result)
                elif timer is run_asslb:
                    lib = result
                else:
                    py_row = result
        if not args.skip_pybamm:
            try:
                # With --repeat, each round's PyBaMM in a process of its own, as a user runs
                # it: a second solve in the same process was 20-25 % faster (measured: 46 s,
                # then 36 and 34 s), its memory and casadi functions already warm; and this
                # process stays small, so the asslb processes it starts do not inherit its
                # gigabytes in their peak RSS.
                run = run_pybamm(args, case) if args.repeat == 1 else run_pybamm_child(args)
                pyb_runs.append(run)
                print(
                    f"[pybamm] {run['solver']}: import {run['import_s']:.2f} s, build (not timed) "
                    f"{run['build_s']:.2f} s; sim.solve() {run['total_s']:.2f} s for {run['cycles']} cycles "
                    f"(cycle 1 incl. solver set-up {run['first_cycle_s']:.3f} s, then "
                    f"{run['ms_per_cycle_after_first']:.2f} ms/cycle), {run['solver_steps']} IDA steps; "
                    f"ru_maxrss {run['rss_at_start_kB'] / 1024:.0f} MB at start, "
                    f"{run['rss_after_import_build_kB'] / 1024:.0f} MB after import+build, "
                    f"{run['peak_rss_kB'] / 1024:.0f} MB after solve",
                    flush=True,
                )
            except Exception as e:  # keep going: the asslb half may still be useful
                print(f"PyBaMM timing unavailable: {type(e).__name__}: {e}", flush=True)
    asl = median_run(asl_runs)
    if asl is not None:
        # A process started after this one has grown (the library and Python rows of round 1)
        # reports the parent's resident size in its peak: the smallest is the process's own.
        asl["peak_rss_kB"] = min(r["peak_rss_kB"] for r in asl_runs)
    pyb = median_run(pyb_runs)
    if pyb is not None and pyb_runs:
        # The import is paid once, in the first round.
        pyb["import_s"] = pyb_runs[0]["import_s"]
    if len(asl_runs) > 1 or len(pyb_runs) > 1:
        print()
        for name, runs in (("asslb process", asl_runs), ("PyBaMM sim.solve()", pyb_runs)):
            times = ", ".join(f"{r['total_s']:.2f}" for r in runs)
            print(f"{name}: {times} s (median of {len(runs)} shown below)")
        if len(asl_runs) == len(pyb_runs):
            per_round = ", ".join(
                f"{p['total_s'] / a['total_s']:.2f}x" for a, p in zip(asl_runs, pyb_runs)
            )
            print(f"ratio per round: {per_round}")
    if py_row is not None and asl is not None:
        # The Python row runs the installed package, which may be older than this tree.
        for key in ("first_discharge_Ah", "last_discharge_Ah"):
            a, b = asl.get(key), py_row.get(key)
            if a is not None and b is not None and abs(float(a) - float(b)) > 1e-7 * abs(float(a)):
                print(
                    f"WARNING: the installed Python package gives another {key} "
                    f"({float(b):.7e} against {float(a):.7e} Ah): it is not built from this tree "
                    "(pip install ./python); its row times other code",
                    flush=True,
                )
                break

    rows = [r for r in (pyb, asl, lib, py_row) if r]

    # ---- table --------------------------------------------------------------
    print()
    hdr = (
        f"{'tool':<8} {'version':<16} {'cycles':>7} {'total s':>9} {'s/100 cyc':>10} "
        f"{'steps':>9} {'1st dis. Ah':>13} {'last dis. Ah':>13} {'peak RSS MB':>12}"
    )
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        rss = r.get("peak_rss_kB")
        print(
            f"{r['tool']:<8} {str(r.get('version', '?')):<16} {fnum(r.get('cycles'), '7.0f')} "
            f"{fnum(r.get('total_s'), '9.3f')} {fnum(r.get('s_per_100_cycles'), '10.4f')} "
            f"{fnum(r.get('solver_steps'), '9.0f')} "
            f"{fnum(r.get('first_discharge_Ah'), '13.6e')} {fnum(r.get('last_discharge_Ah'), '13.6e')} "
            f"{fnum(None if rss is None else float(rss) / 1024, '12.1f')}"
        )
    if not rows:
        print("(no results)")
    ratio = None
    if pyb and asl and asl.get("total_s"):
        if int(asl.get("cycles") or 0) == pyb["cycles"]:
            ratio = pyb["total_s"] / float(asl["total_s"])
            median = " (medians)" if args.repeat > 1 else ""
            print(f"\nratio PyBaMM sim.solve() / asslb process{median}: {ratio:.2f}x")
            whole = pyb["import_s"] + pyb["build_s"] + pyb["total_s"]
            print(
                f"ratio PyBaMM process (import {pyb['import_s']:.2f} s + build {pyb['build_s']:.2f} s "
                f"+ solve) / asslb process: {whole / float(asl['total_s']):.2f}x"
            )
            if lib and lib.get("total_s"):
                print(
                    f"ratio PyBaMM sim.solve() / asslb Simulation::run (library, no files): "
                    f"{pyb['total_s'] / float(lib['total_s']):.2f}x"
                )
            if py_row and py_row.get("total_s"):
                print(
                    f"ratio PyBaMM sim.solve() / asslb.Simulation.solve() (Python to Python, "
                    f"files included): {pyb['total_s'] / float(py_row['total_s']):.2f}x"
                )
        else:
            print(f"\nratio PyBaMM/asslb: n/a (cycle counts differ: {pyb['cycles']} vs {asl.get('cycles')})")
        for key, label in (("first_discharge_Ah", "first"), ("last_discharge_Ah", "last")):
            if asl.get(key) is not None and pyb.get(key):
                print(f"{label} discharge capacity asslb vs PyBaMM: {100 * (float(asl[key]) / pyb[key] - 1):+.4f} %")
    else:
        print("\nratio PyBaMM/asslb: n/a")
    if pyb:
        print(
            f"PyBaMM reference check: first 1C discharge {pyb['first_discharge_Ah']:.5e} Ah vs "
            f"reference {pyb['reference_1C_Ah']:.5e} Ah ({100 * pyb['first_discharge_rel']:+.3f} %)."
        )
        print(
            "PyBaMM time = one sim.solve() of the already built (parameterised, meshed, "
            "discretised) Simulation: casadi/IDAKLU solver set-up (in cycle 1), IDA integration "
            "of every step to its experiment voltage event, Solution assembly (every internal "
            "step of every saved cycle) and per-cycle summary variables; excludes the Python/pybamm "
            "import and the model build. Peak RSS is ru_maxrss of the whole Python process "
            "(interpreter, numpy, casadi, pybamm included)."
        )

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"pybamm": pyb, "asslb": asl, "asslb_python": py_row, "ratio_total": ratio,
                       "repeat": args.repeat},
                      f, indent=2, default=str)

    if pyb is not None and not pyb["sanity_ok"]:
        print("ERROR: PyBaMM's first discharge does not match the reference capacity; timings are not comparable")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
