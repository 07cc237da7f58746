#!/usr/bin/env python3
"""Time one full 1C discharge of `solid_halfcell_single_ion` in PyBaMM and in asslb.

Both tools solve the same P2D problem at a 20/10/20 mesh (positive electrode x
cells / separator x cells / positive particle r cells), on this machine, in one
run. The script

1. builds the case in PyBaMM (DFN, {"working electrode": "positive"}) from
   validation/reference/solid_halfcell_single_ion/case.toml and checks that its
   1C curve matches reference_discharge_1C.csv (the proof that the problem is
   the same one);
2. times N warm `IDAKLUSolver.solve(model, [0, t_end])` calls (the model is
   built, parameterised and discretised once, and solved once beforehand so the
   casadi functions and the IDAKLU solver object are set up);
3. runs `cargo run --release --example time_discharge` in the repository root
   and reads the JSON line it prints;
4. prints a table and the PyBaMM/asslb ratio.

Not used by the test suite. See benches/README.md.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CASE_DIR = REPO / "validation" / "reference" / "solid_halfcell_single_ion"
ASSLB_EXAMPLE = "time_discharge"

# PyBaMM release the reference curves were generated with ("26.10"); the newest
# patch release of that line is preferred, any newer release is the fallback.
PYBAMM_PIN = "pybamm==26.10.*"

# Sanity thresholds for "the PyBaMM model is the reference problem".
MAX_RMS_MV = 5.0
MAX_CAPACITY_REL = 2e-3

# Mesh: positive electrode x cells / separator x cells / positive particle r cells.
MESH = {"x_p": 20, "x_s": 10, "r_p": 20}


# --------------------------------------------------------------------------- #
# small helpers
# --------------------------------------------------------------------------- #
def load_toml(path: Path) -> dict:
    try:
        import tomllib  # Python >= 3.11
    except ModuleNotFoundError:  # pragma: no cover - older Pythons
        import tomli as tomllib  # type: ignore
    with open(path, "rb") as f:
        return tomllib.load(f)


def load_csv(path: Path):
    import numpy as np

    return np.loadtxt(path, delimiter=",", skiprows=1)


def fmt(x, spec: str) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return format(x, spec)


# --------------------------------------------------------------------------- #
# PyBaMM
# --------------------------------------------------------------------------- #
def ensure_pybamm(allow_install: bool):
    """Import pybamm, pip-installing it first if allowed. Returns the module or
    raises RuntimeError with the reason."""
    # PyBaMM may otherwise prompt for / send usage telemetry.
    os.environ.setdefault("PYBAMM_DISABLE_TELEMETRY", "true")
    try:
        return importlib.import_module("pybamm")
    except ModuleNotFoundError:
        pass
    if not allow_install:
        raise RuntimeError("pybamm is not installed and --no-install was given")
    for spec in (PYBAMM_PIN, "pybamm"):
        print(f"[setup] python3 -m pip install {spec}", flush=True)
        r = subprocess.run([sys.executable, "-m", "pip", "install", "-q", spec])
        if r.returncode == 0:
            break
    else:
        raise RuntimeError("pip install pybamm failed")
    importlib.invalidate_caches()
    return importlib.import_module("pybamm")


def pybamm_parameters(pybamm, case: dict, ocp_table):
    """ParameterValues for the half-cell DFN that reproduce case.toml.

    Mapping notes (PyBaMM half-cell, "working electrode": "positive"):
    * The counter electrode is the planar "negative electrode" (lithium metal
      submodel). Its exchange current is the function parameter
      "Exchange-current density for lithium metal electrode [A.m-2]" (here a
      constant 20 A/m2), its kinetics is the same symmetric Butler-Volmer form
      (alpha = 0.5, "Negative electrode charge transfer coefficient") and its
      ohmic drop is i * "Negative electrode thickness [m]" /
      "Negative electrode conductivity [S.m-1]" (made negligible here).
    * PyBaMM hard-codes the open-circuit potential of the lithium metal
      reaction to 0 V (SingleOpenCircuitPotential, "lithium metal plating";
      "Negative electrode OCP [V]" is not used by that reaction). So the Li-In
      counter electrode at 0.62 V vs Li/Li+ is represented by shifting the
      whole potential scale: U_p(PyBaMM) = U_p(table, vs Li/Li+) - 0.62 V.
      Then V = phi_p - phi_n with eta_n = phi_n - phi_e(0) - 0 in PyBaMM is
      exactly V = phi_p - phi_n with eta_n = phi_n - phi_e(0) - 0.62 in
      case.toml (phi_e is offset by 0.62 V, all overpotentials unchanged).
    * t+ = 1 makes the electrolyte concentration stay at its initial value;
      the diffusivity must exist but has no effect.
    """
    import numpy as np

    cell = case["cell"]
    pos = case["positive"]
    sep = case["separator"]
    ele = case["electrolyte"]
    neg = case["negative"]

    u_ce = float(neg["open_circuit_potential_V"])
    sto = np.asarray(ocp_table[:, 0], dtype=float)
    u_vs_ce = np.asarray(ocp_table[:, 1], dtype=float) - u_ce
    k = float(pos["exchange_current_k"])
    ce_fixed = float(ele["nominal_concentration_mol_m3"])
    j0_n = float(neg["exchange_current_density_A_m2"])
    d_s = float(pos["solid_diffusivity_m2_s"])
    kappa = float(ele["conductivity_S_m"])
    T = float(cell["temperature_K"])
    area = float(cell["area_m2"])
    i_1c = float(cell["nominal_capacity_Ah"])  # 1C current [A] = capacity [Ah] / 1 h

    def U_p(s):
        # "linear interpolation, clamped at the ends" (the stoichiometry stays
        # inside the table's [0, 1] range in this discharge)
        return pybamm.Interpolant(sto, u_vs_ce, s, name="U_p_vs_LiIn", interpolator="linear")

    def j0_p(c_e, c_s_surf, c_s_max, T):
        # j0 = k ce^0.5 cs^0.5 (cmax - cs)^0.5 with ce = 1000 mol/m3 fixed
        # (ce stays exactly uniform at 1000 because t+ = 1).
        return k * ce_fixed**0.5 * c_s_surf**0.5 * (c_s_max - c_s_surf) ** 0.5

    def j0_li(c_e, c_li, T):
        return pybamm.Scalar(j0_n)

    def D_p(sto, T):
        return pybamm.Scalar(d_s)

    def kappa_e(c_e, T):
        return pybamm.Scalar(kappa)

    def D_e(c_e, T):
        return pybamm.Scalar(1e-10)  # irrelevant: t+ = 1 keeps c_e uniform

    values = {
        "chemistry": "lithium_ion",
        # geometry; area = height * width
        "Negative electrode thickness [m]": 1e-5,  # Li-In foil, only in its ohmic drop
        "Separator thickness [m]": float(sep["thickness_m"]),
        "Positive electrode thickness [m]": float(pos["thickness_m"]),
        "Electrode height [m]": 1.0,
        "Electrode width [m]": area,
        "Nominal cell capacity [A.h]": i_1c,
        "Current function [A]": i_1c,
        "Contact resistance [Ohm]": 0.0,
        "Number of electrodes connected in parallel to make a cell": 1.0,
        "Number of cells connected in series to make a battery": 1.0,
        # counter electrode (planar lithium-metal submodel)
        "Negative electrode OCP [V]": 0.0,  # not used by the Li-metal reaction (fixed 0)
        "Negative electrode OCP entropic change [V.K-1]": 0.0,
        "Negative electrode conductivity [S.m-1]": 1e10,  # no ohmic drop in the foil
        "Lithium metal partial molar volume [m3.mol-1]": 1.3e-05,  # only enters j0 inputs
        "Exchange-current density for lithium metal electrode [A.m-2]": j0_li,
        "Negative electrode charge transfer coefficient": float(neg["charge_transfer_coefficient"]),
        "Negative electrode double-layer capacity [F.m-2]": 0.2,  # unused (no surface form)
        # positive electrode
        "Positive electrode conductivity [S.m-1]": float(pos["electronic_conductivity_S_m"]),
        "Maximum concentration in positive electrode [mol.m-3]": float(pos["max_concentration_mol_m3"]),
        "Initial concentration in positive electrode [mol.m-3]": float(pos["initial_concentration_mol_m3"]),
        "Positive particle diffusivity [m2.s-1]": D_p,
        "Positive electrode OCP [V]": U_p,
        "Positive electrode OCP entropic change [V.K-1]": 0.0,
        "Positive electrode porosity": float(pos["electrolyte_volume_fraction"]),
        "Positive electrode active material volume fraction": float(pos["active_material_volume_fraction"]),
        "Positive particle radius [m]": float(pos["particle_radius_m"]),
        # kappa_eff = kappa eps^b ; sigma_eff = sigma (1 - eps)^b
        "Positive electrode Bruggeman coefficient (electrolyte)": float(pos["bruggeman"]),
        "Positive electrode Bruggeman coefficient (electrode)": float(pos["bruggeman"]),
        "Positive electrode charge transfer coefficient": float(pos["charge_transfer_coefficient"]),
        "Positive electrode exchange-current density [A.m-2]": j0_p,
        "Positive electrode double-layer capacity [F.m-2]": 0.2,  # unused
        # separator
        "Separator porosity": float(sep["electrolyte_volume_fraction"]),
        "Separator Bruggeman coefficient (electrolyte)": float(sep["bruggeman"]),
        "Separator Bruggeman coefficient (electrode)": float(sep["bruggeman"]),
        # single-ion electrolyte
        "Initial concentration in electrolyte [mol.m-3]": ce_fixed,
        "Cation transference number": float(ele["cation_transference_number"]),
        "Thermodynamic factor": 1.0,
        "Electrolyte conductivity [S.m-1]": kappa_e,
        "Electrolyte diffusivity [m2.s-1]": D_e,
        # isothermal
        "Ambient temperature [K]": T,
        "Reference temperature [K]": T,
        "Initial temperature [K]": T,
        "Heat transfer coefficient [W.m-2.K-1]": 10.0,  # unused (isothermal)
        # cut-offs
        "Lower voltage cut-off [V]": float(cell["lower_cutoff_V"]),
        "Upper voltage cut-off [V]": float(cell["upper_cutoff_V"]),
        "Open-circuit voltage at 0% SOC [V]": float(cell["lower_cutoff_V"]),
        "Open-circuit voltage at 100% SOC [V]": float(cell["upper_cutoff_V"]),
    }
    return pybamm.ParameterValues(values), i_1c


def run_pybamm(args, case: dict) -> dict:
    import numpy as np

    pybamm = ensure_pybamm(not args.no_install)
    ocp = load_csv(CASE_DIR / case["positive"]["ocp_table"])
    ref = load_csv(CASE_DIR / "reference_discharge_1C.csv")
    protocol = next(p for p in case["protocol"] if p["name"] == "discharge_1C")

    pv, i_1c = pybamm_parameters(pybamm, case, ocp)
    if abs(float(protocol["current_A"]) - i_1c) > 1e-12:
        raise RuntimeError("1C protocol current differs from the nominal capacity")

    t0 = time.perf_counter()
    model = pybamm.lithium_ion.DFN(options={"working electrode": "positive"})
    geometry = model.default_geometry
    pv.process_model(model)
    pv.process_geometry(geometry)
    var_pts = dict(model.default_var_pts)
    var_pts.update(MESH)
    mesh = pybamm.Mesh(geometry, model.default_submesh_types, var_pts)
    disc = pybamm.Discretisation(mesh, model.default_spatial_methods)
    disc.process_model(model)
    build_s = time.perf_counter() - t0

    options = {"compile": True} if args.pybamm_compile else None
    solver = pybamm.IDAKLUSolver(rtol=args.rtol, atol=args.atol, options=options)
    # 1C nominally lasts 3600 s; the "Minimum voltage [V]" event at 1.38 V
    # (a root of the IDA integration) ends the discharge before t_end.
    t_span = [0.0, 1.2 * 3600.0]

    t0 = time.perf_counter()
    sol = solver.solve(model, t_span)  # warm-up: sets up casadi functions + IDAKLU
    first_s = time.perf_counter() - t0

    # ---- sanity check against the reference curve --------------------------
    t = sol["Time [s]"].entries
    v = sol["Voltage [V]"].entries
    q = sol["Discharge capacity [A.h]"].entries
    if sol.termination != "event: Minimum voltage [V]":
        print(f"[pybamm] WARNING: termination = {sol.termination!r}")
    t_ref, v_ref, q_ref = ref[:, 0], ref[:, 1], ref[:, 2]
    common = t_ref <= t[-1]
    dv = sol["Voltage [V]"](t_ref[common]) - v_ref[common]
    rms_mv = 1e3 * float(np.sqrt(np.mean(dv**2)))
    max_mv = 1e3 * float(np.max(np.abs(dv)))
    cap = float(q[-1])
    cap_rel = cap / float(q_ref[-1]) - 1.0
    ok = rms_mv <= MAX_RMS_MV and abs(cap_rel) <= MAX_CAPACITY_REL
    print(
        f"[pybamm] sanity vs reference_discharge_1C.csv: RMS {rms_mv:.3f} mV, "
        f"max |dV| {max_mv:.3f} mV over {int(common.sum())}/{len(t_ref)} reference points; "
        f"capacity {cap:.7e} Ah vs {q_ref[-1]:.7e} Ah ({100 * cap_rel:+.4f} %); "
        f"end time {t[-1]:.2f} s vs {t_ref[-1]:.2f} s; V(0) {v[0]:.6f} vs {v_ref[0]:.6f} V "
        f"-> {'OK' if ok else 'MISMATCH'}",
        flush=True,
    )

    # ---- warm timing --------------------------------------------------------
    times = []
    for _ in range(args.runs):
        gc.collect()
        t0 = time.perf_counter()
        s = solver.solve(model, t_span)
        times.append(time.perf_counter() - t0)
        if abs(float(s["Discharge capacity [A.h]"].entries[-1]) - cap) > 1e-9 * max(cap, 1e-30):
            raise RuntimeError("repeated PyBaMM solve gave a different capacity")

    return {
        "tool": "PyBaMM",
        "version": pybamm.__version__,
        "median_ms": 1e3 * statistics.median(times),
        "min_ms": 1e3 * min(times),
        "runs": args.runs,
        "capacity_Ah": cap,
        "rms_mV": rms_mv,
        "max_mV": max_mv,
        "capacity_rel": cap_rel,
        "sanity_ok": ok,
        "unknowns": int(model.len_rhs_and_alg),
        "steps": int(len(t) - 1),
        "build_s": build_s,
        "first_solve_s": first_s,
        "solver": f"IDAKLUSolver(rtol={args.rtol:g}, atol={args.atol:g}"
        + (", compile=True" if args.pybamm_compile else "")
        + ")",
    }


# --------------------------------------------------------------------------- #
# asslb
# --------------------------------------------------------------------------- #
def parse_asslb_json(stdout: str) -> dict:
    """Return the last JSON object line of `stdout` that has "median_ms".

    Expected: {"median_ms": 1.23, "min_ms": 1.1, "runs": 200,
               "capacity_Ah": ..., "unknowns": ...}  (extra keys are kept).
    """
    for line in reversed(stdout.splitlines()):
        line = line.strip()
        if not (line.startswith("{") and line.endswith("}")):
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(obj, dict) and "median_ms" in obj:
            out = dict(obj)
            for key in ("median_ms", "min_ms", "capacity_Ah"):
                if out.get(key) is not None:
                    out[key] = float(out[key])
            for key in ("runs", "unknowns"):
                if out.get(key) is not None:
                    out[key] = int(out[key])
            return out
    raise ValueError("no JSON line with \"median_ms\" in the example's output")


def asslb_version() -> str:
    try:
        v = load_toml(REPO / "Cargo.toml")["package"]["version"]
    except Exception:
        v = "?"
    try:
        h = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, timeout=10,
        )
        if h.returncode == 0 and h.stdout.strip():
            v += "+" + h.stdout.strip()
    except Exception:
        pass
    return v


def asslb_rms_vs_reference(res: dict):
    """RMS [mV] vs the reference if the example reports it (any of a few
    plausible key names) or prints its curve as [[t, V], ...]."""
    for key in ("rms_mV", "rms_vs_reference_mV", "rms_mv", "rms_voltage_mV"):
        if res.get(key) is not None:
            return float(res[key])
    curve = res.get("curve") or res.get("voltage_curve")
    if curve:
        try:
            import numpy as np

            ref = load_csv(CASE_DIR / "reference_discharge_1C.csv")
            c = np.asarray(curve, dtype=float)
            m = ref[:, 0] <= c[-1, 0]
            dv = np.interp(ref[m, 0], c[:, 0], c[:, 1]) - ref[m, 1]
            return 1e3 * float(np.sqrt(np.mean(dv**2)))
        except Exception:
            return None
    return None


def run_asslb(args) -> dict:
    cargo = shutil.which("cargo")
    if cargo is None:
        raise RuntimeError("cargo not found on PATH")
    ex = REPO / "examples" / f"{ASSLB_EXAMPLE}.rs"
    ex_dir = REPO / "examples" / ASSLB_EXAMPLE / "main.rs"
    if not ex.exists() and not ex_dir.exists():
        raise RuntimeError(f"example not found ({ex.relative_to(REPO)} does not exist yet)")
    cmd = [cargo, "run", "--release", "--quiet", "--example", ASSLB_EXAMPLE]
    if args.asslb_args:
        cmd += ["--"] + args.asslb_args
    print(f"[asslb] cargo {' '.join(cmd[1:])}  (cwd {REPO})", flush=True)
    try:
        r = subprocess.run(
            cmd, cwd=REPO, capture_output=True, text=True, timeout=args.cargo_timeout
        )
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"cargo run timed out after {args.cargo_timeout} s")
    if r.returncode != 0:
        tail = "\n".join((r.stderr or r.stdout).strip().splitlines()[-8:])
        raise RuntimeError(f"cargo run exited with {r.returncode}:\n{tail}")
    res = parse_asslb_json(r.stdout)
    res["tool"] = "asslb"
    res["version"] = asslb_version()
    res["rms_mV"] = asslb_rms_vs_reference(res)
    return res


# --------------------------------------------------------------------------- #
# main
# --------------------------------------------------------------------------- #
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--no-install", action="store_true", help="do not pip install pybamm if it is missing")
    ap.add_argument("--runs", type=int, default=20, help="timed warm PyBaMM solves (default 20)")
    ap.add_argument("--rtol", type=float, default=1e-4, help="IDAKLU rtol (default 1e-4: IDAKLU's own default, and asslb's)")
    ap.add_argument("--atol", type=float, default=1e-6, help="IDAKLU atol (default 1e-6: IDAKLU's own default, and asslb's)")
    ap.add_argument("--pybamm-compile", action="store_true",
                    help="IDAKLU option compile=True (ahead-of-time C compilation of the casadi functions; needs a C compiler)")
    ap.add_argument("--skip-pybamm", action="store_true")
    ap.add_argument("--skip-asslb", action="store_true")
    ap.add_argument("--cargo-timeout", type=float, default=3600.0, help="seconds for cargo build + run")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    ap.add_argument("asslb_args", nargs="*", help="arguments passed to the example after `--`")
    args = ap.parse_args(argv)

    case = load_toml(CASE_DIR / "case.toml")
    print(
        f"case solid_halfcell_single_ion, 1C = {case['cell']['nominal_capacity_Ah']:.10g} A to "
        f"{case['cell']['lower_cutoff_V']} V, mesh x_p/x_s/r_p = {MESH['x_p']}/{MESH['x_s']}/{MESH['r_p']}; "
        f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        flush=True,
    )

    rows = []
    pyb = None
    if not args.skip_pybamm:
        try:
            pyb = run_pybamm(args, case)
            rows.append(pyb)
            print(
                f"[pybamm] {pyb['solver']}: {pyb['unknowns']} unknowns, {pyb['steps']} steps; "
                f"build+discretise {pyb['build_s']:.2f} s, first solve {pyb['first_solve_s']:.2f} s; "
                f"warm solve over {pyb['runs']} runs: median {pyb['median_ms']:.2f} ms, min {pyb['min_ms']:.2f} ms",
                flush=True,
            )
        except Exception as e:  # keep going: the asslb half may still be useful
            print(f"PyBaMM timing unavailable: {e}", flush=True)

    asl = None
    if not args.skip_asslb:
        try:
            asl = run_asslb(args)
            rows.append(asl)
        except Exception as e:
            print(f"asslb timing unavailable: {e}", flush=True)

    # ---- table --------------------------------------------------------------
    print()
    hdr = f"{'tool':<8} {'version':<16} {'median ms':>10} {'min ms':>10} {'capacity Ah':>13} {'RMS vs ref mV':>14} {'unknowns':>9}"
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        print(
            f"{r['tool']:<8} {str(r.get('version', '?')):<16} {fmt(r.get('median_ms'), '10.3f')} "
            f"{fmt(r.get('min_ms'), '10.3f')} {fmt(r.get('capacity_Ah'), '13.7e')} "
            f"{fmt(r.get('rms_mV'), '14.3f')} {fmt(r.get('unknowns'), '9d')}"
        )
    if not rows:
        print("(no results)")
    ratio = None
    if pyb and asl and asl.get("median_ms"):
        ratio = pyb["median_ms"] / asl["median_ms"]
        ratio_min = pyb["min_ms"] / asl["min_ms"] if asl.get("min_ms") else float("nan")
        print(f"\nratio PyBaMM/asslb: {ratio:.2f}x (median), {ratio_min:.2f}x (min)")
        if asl.get("capacity_Ah") is not None:
            print(f"capacity asslb vs PyBaMM: {100 * (asl['capacity_Ah'] / pyb['capacity_Ah'] - 1):+.4f} %")
    else:
        print("\nratio PyBaMM/asslb: n/a")
    if pyb:
        print(
            "PyBaMM time = one IDAKLUSolver.solve(model, [0, 4320 s]) on the already built, "
            "parameterised and discretised model after one warm-up solve: consistent initial "
            "conditions + IDA integration to the 1.38 V event + pybamm.Solution assembly "
            "(full state at every step); excludes model build/discretisation, casadi/solver setup "
            "(in the warm-up) and variable post-processing."
        )

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"pybamm": pyb, "asslb": asl, "ratio_median": ratio}, f, indent=2, default=str)

    if pyb is not None and not pyb["sanity_ok"]:
        print("ERROR: the PyBaMM model does not reproduce the reference curve; timings are not comparable")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
