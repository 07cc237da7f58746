#!/usr/bin/env python3
"""Regenerate the ablation table of the two Wu 2022 cells (solid Li6PS5Cl and liquid LiPF6).

The table goes into docs/wu2022_cell.md §4, "### Ablations: where the differences between the
two cells come from". Each row switches one mechanism off alone (the `--set`s of ABLATIONS
below), in both cells with everything else as shipped, and runs the four shipped protocols:

    solid 1C     asslb run scenarios/wu2022_1c_1000.toml
    liquid 1C    asslb run scenarios/wu2022_liquid_1c_1000.toml
    solid 0.1C   asslb run scenarios/wu2022_0p1c_200.toml
    liquid 0.1C  asslb run scenarios/wu2022_0p1c_200.toml --set parameter_set=wu2022_lro_liquid

(each with the row's `--set`s appended). From each run's summary.csv:

- retention 1C: discharge capacity at cycle 1005 against cycle 11 (the first 1C cycle after
  the ten formation cycles), in %;
- mean CE 1C: the mean coulombic efficiency of cycles 12-1005, in %;
- fade 0.1C: mean discharge voltage at cycle 11 minus at cycle 210, in mV;
- fade 1C: mean discharge voltage at cycle 11 minus at cycle 1005, in mV;
- R_int: the model's interface resistance per original surface (`interface_resistance_ohm`)
  at cycle 1005, in Ω.

Every cell of the table is "solid / liquid / difference", the difference liquid - solid
(computed before rounding).

Usage, from the repository root (needs `cargo build --release` first, or `--asslb PATH`):

    python3 scripts/ablation.py --jobs 2 > /tmp/ablation.md

The markdown table and a line with the number of runs and the wall time go to standard
output, progress to standard error. The run folders are temporary and removed at the end
unless `--keep DIR` is given. If a run fails, its command and standard error are printed and
the script exits with status 1. Python 3 standard library only.
"""

import argparse
import concurrent.futures
import csv
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# The rows of the table: (label, `--set` overrides applied to all four runs).
ABLATIONS = [
    ("all mechanisms on", []),
    ("no release by contact with the electrolyte (k_c = 0)", ["anion_redox.oxygen_loss_contact_m_s=0"]),
    ("the liquid's film seals like the sulfide's (ε_o = 0)", ["interphase.open_fraction=0"]),
    ("bulk oxygen release of the earlier calibration (k_b = 1.09e-3, against RIXS)", ["anion_redox.oxygen_loss_bulk_per_Li=1.09e-3"]),
    ("no contact loss (κ_v = 0)", ["cracking.contact_loss_per_cycle=0"]),
    ("no densification with the lost oxygen (d = 0)", ["anion_redox.densified_per_oxygen=0"]),
    ("no reduced-metal sites (γ = 0)", ["anion_redox.reduced_metal_per_oxygen=0"]),
    ("no migration (r_m = 0)", ["anion_redox.migration_rate_per_s=0"]),
    ("no hysteresis growth with migration (κ_M = 0)", ["anion_redox.hysteresis_growth_V=0"]),
    ("migration without vacancy speed-up (X_v = 10)", ["anion_redox.migration_vacancy_capacity=10"]),
    ("no isolation behind flooded cracks (κ_iso = 0)", ["cracking.isolation_per_area=0"]),
    ("neither densification nor isolation (d = 0, κ_iso = 0)", ["anion_redox.densified_per_oxygen=0", "cracking.isolation_per_area=0"]),
    ("an electrolyte that flows nowhere in both (wetting = 0)", ["cracking.wetting=0"]),
    ("a mixed-conducting interphase in both (x_e = 0.336)", ["interphase.electronic_conductor_fraction=0.336"]),
    ("no oxygen rearrangement memory (k_v = 1/s: reverts at once)", ["anion_redox.rearrangement_reversal_rate_per_s=1"]),
]

# The four runs of every row: (case name, scenario file, `--set`s before the row's own).
CASES = [
    ("solid_1c", "scenarios/wu2022_1c_1000.toml", []),
    ("liquid_1c", "scenarios/wu2022_liquid_1c_1000.toml", []),
    ("solid_0p1c", "scenarios/wu2022_0p1c_200.toml", []),
    ("liquid_0p1c", "scenarios/wu2022_0p1c_200.toml", ["parameter_set=wu2022_lro_liquid"]),
]

FIRST_CYCLE = 11  # the first 1C (or 0.1C) cycle after the ten formation cycles
LAST_1C = 1005  # 995 cycles at 1C (the paper's Q1 count)
LAST_0P1C = 210  # 200 cycles at 0.1C

HEADER = (
    "| ablation | retention 1C (solid / liquid / difference) | mean CE 1C, cycles 12–1005 "
    "| fade 0.1C, 200 cycles | fade 1C, 995 cycles | R_int at cycle 1005 |\n"
    "|---|---|---|---|---|---|"
)

ROOT = Path(__file__).resolve().parent.parent


def default_asslb():
    path = ROOT / "target" / "release" / "asslb"
    return path if path.is_file() else None


def run_one(asslb, row, case, out_dir):
    """Runs one case; returns (row, case name, command, completed process, seconds)."""
    name, scenario, pre_sets = case
    command = [str(asslb), "run", scenario, "--out", str(out_dir), "--quiet"]
    for s in pre_sets + ABLATIONS[row][1]:
        command += ["--set", s]
    start = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    return row, name, command, done, time.monotonic() - start


def read_summary(path):
    """summary.csv as {cycle: row dict of floats} (an empty field, such as the retention before
    the reference cycle, is NaN)."""
    with open(path, newline="") as f:
        return {
            int(r["cycle"]): {k: float(v) if v != "" else float("nan") for k, v in r.items()}
            for r in csv.DictReader(f)
        }


def column(summary, cycle, key, where):
    if cycle not in summary:
        raise SystemExit(f"{where}: summary.csv has no cycle {cycle} (last: {max(summary)})")
    return summary[cycle][key]


def quantities(summary, where):
    """The table's quantities of one run (those the run's protocol has)."""
    q = {}
    v11 = column(summary, FIRST_CYCLE, "mean_discharge_voltage_V", where)
    if max(summary) >= LAST_1C:
        q["retention"] = 100.0 * (
            column(summary, LAST_1C, "discharge_capacity_Ah", where)
            / column(summary, FIRST_CYCLE, "discharge_capacity_Ah", where)
        )
        ces = [
            column(summary, n, "coulombic_efficiency", where)
            for n in range(FIRST_CYCLE + 1, LAST_1C + 1)
        ]
        q["ce"] = 100.0 * sum(ces) / len(ces)
        q["fade_1c"] = 1e3 * (v11 - column(summary, LAST_1C, "mean_discharge_voltage_V", where))
        q["r_int"] = column(summary, LAST_1C, "interface_resistance_ohm", where)
    else:
        q["fade_0p1c"] = 1e3 * (v11 - column(summary, LAST_0P1C, "mean_discharge_voltage_V", where))
    return q


def fmt(value, decimals, signed=False):
    """Fixed decimals, no "-0" (a value that rounds to zero is written 0, or +0 if signed)."""
    text = f"{value:{'+' if signed else ''}.{decimals}f}"
    if float(text) == 0.0:
        text = f"{0.0:{'+' if signed else ''}.{decimals}f}"
    return text


def cell(solid, liquid, decimals, unit):
    return (
        f"{fmt(solid, decimals)} / {fmt(liquid, decimals)} / "
        f"{fmt(liquid - solid, decimals, signed=True)} {unit}"
    )


def table(results):
    lines = [HEADER]
    for row, (label, _) in enumerate(ABLATIONS):
        r = results[row]
        s1, l1, s01, l01 = r["solid_1c"], r["liquid_1c"], r["solid_0p1c"], r["liquid_0p1c"]
        lines.append(
            "| "
            + " | ".join(
                [
                    label,
                    cell(s1["retention"], l1["retention"], 1, "pt"),
                    cell(s1["ce"], l1["ce"], 3, "pt"),
                    cell(s01["fade_0p1c"], l01["fade_0p1c"], 0, "mV"),
                    cell(s1["fade_1c"], l1["fade_1c"], 0, "mV"),
                    cell(s1["r_int"], l1["r_int"], 0, "Ω"),
                ]
            )
            + " |"
        )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(
        description="Regenerate the ablation table of docs/wu2022_cell.md §4 (four runs of asslb per row)."
    )
    parser.add_argument(
        "--asslb",
        type=Path,
        help="the asslb binary (default: target/release/asslb of the repository)",
    )
    parser.add_argument("--jobs", type=int, default=2, help="runs in parallel (default 2)")
    parser.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        help="write the run folders into DIR/<row>/<case> and keep them",
    )
    args = parser.parse_args()

    asslb = args.asslb or default_asslb()
    if asslb is None:
        sys.exit(
            f"error: no asslb binary at {ROOT / 'target/release/asslb'}: "
            "run `cargo build --release` first, or pass --asslb PATH"
        )
    asslb = asslb.resolve()
    if not asslb.is_file():
        sys.exit(f"error: --asslb {asslb}: no such file")
    if args.jobs < 1:
        sys.exit("error: --jobs must be at least 1")

    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        base = args.keep.resolve()
    else:
        base = Path(tempfile.mkdtemp(prefix="asslb_ablation_"))

    jobs = [(row, case) for row in range(len(ABLATIONS)) for case in CASES]
    results = {row: {} for row in range(len(ABLATIONS))}
    failures = []
    start = time.monotonic()
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            futures = [
                pool.submit(run_one, asslb, row, case, base / f"row{row:02d}" / case[0])
                for row, case in jobs
            ]
            for k, future in enumerate(concurrent.futures.as_completed(futures), 1):
                row, name, command, done, seconds = future.result()
                status = "ok" if done.returncode == 0 else f"FAILED (exit {done.returncode})"
                print(
                    f"[{k}/{len(jobs)}] {ABLATIONS[row][0]}: {name} {status} in {seconds:.0f} s",
                    file=sys.stderr,
                )
                if done.returncode != 0:
                    failures.append((command, done))
                    continue
                where = shlex.join(command)
                summary = read_summary(base / f"row{row:02d}" / name / "summary.csv")
                results[row][name] = quantities(summary, where)
        if failures:
            for command, done in failures:
                print(f"\nrun failed (exit {done.returncode}): {shlex.join(command)}", file=sys.stderr)
                print(done.stderr.rstrip(), file=sys.stderr)
            sys.exit(1)
        wall = time.monotonic() - start
        print(table(results))
        print(f"\n{len(jobs)} runs in {wall:.0f} s with {args.jobs} jobs ({asslb})")
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
