#!/usr/bin/env python3
"""Writes the synthetic cycler exports of validation/examples/ from one known truth.

Every file is written by this script for asslb (none is copied from a tester or another
project); the numbers are synthetic, not a measurement. The truth: a cell of 5 mg active
material, 3 cycles, each a 0.2 mA constant-current charge to 4.3 V, a rest, a 0.2 mA
constant-current discharge to 2.0 V and a rest, with the per-cycle capacities below and the
voltage curves `charge_voltage` / `discharge_voltage` of the fraction x of the step's capacity,
sampled at x = 0, 0.1, ..., 1. tests/measured_formats.rs holds the same truth and checks that
each file imports to it.

Usage: python3 scripts/make_measured_examples.py  (needs openpyxl for the .xlsx file)
"""

import os
from datetime import datetime, timedelta

MASS_G = 0.005
CURRENT_MA = 0.2
CHARGE_MAH_G = [262.6, 240.4, 236.8]
DISCHARGE_MAH_G = [222.3, 231.5, 230.2]
POINTS = 11  # per step, x = k / 10
REST_ROWS = 3
REST_STEP_S = 600.0
# Rest currents within the importer's rest threshold (0.1 % of 0.2 mA), as tester noise.
REST_NOISE_MA = [5e-5, -5e-5, 0.0]
START = datetime(2024, 5, 1, 12, 0, 0)
NOTE = "synthetic export written by asslb (scripts/make_measured_examples.py), not a measurement"

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "validation", "examples")


def charge_voltage(x):
    return round(3.60 + 0.55 * x + 0.15 * x**4, 4)


def discharge_voltage(x):
    return round(4.20 - 0.90 * x - 1.30 * x**6, 4)


def rows():
    """The truth as data rows: dicts with cycle (1-based), step index, kind (charge,
    discharge, rest), time [s], voltage [V], current [mA, signed], step capacity [mAh]."""
    out = []
    t = 0.0
    step = 0
    for c in range(3):
        for kind, cap_g, volt in (
            ("charge", CHARGE_MAH_G[c], charge_voltage),
            ("discharge", DISCHARGE_MAH_G[c], discharge_voltage),
        ):
            step += 1
            q_end = cap_g * MASS_G  # mAh
            duration = q_end / CURRENT_MA * 3600.0
            sign = 1.0 if kind == "charge" else -1.0
            for k in range(POINTS):
                x = k / (POINTS - 1)
                out.append(dict(cycle=c + 1, step=step, kind=kind, time=t + x * duration,
                                voltage=volt(x), current=sign * CURRENT_MA, q=x * q_end))
            t += duration
            step += 1
            v_end = volt(1.0)
            relax = -0.05 if kind == "charge" else 0.3
            for k in range(REST_ROWS):
                t += REST_STEP_S
                out.append(dict(cycle=c + 1, step=step, kind="rest", time=t,
                                voltage=round(v_end + relax * (k + 1) / REST_ROWS, 4),
                                current=REST_NOISE_MA[k], q=0.0))
    return out


def cumulative(per_cycle):
    """The charge and discharge capacity [mAh] passed up to each row of rows(): from the start
    of the cycle (per_cycle) or of the test."""
    out = []
    done = [0.0, 0.0]  # capacity of the finished steps
    cycle = 1
    for r in rows():
        if per_cycle and r["cycle"] != cycle:
            cycle, done = r["cycle"], [0.0, 0.0]
        now = list(done)
        if r["kind"] in ("charge", "discharge"):
            k = 0 if r["kind"] == "charge" else 1
            now[k] += r["q"]
            if r["q"] == (CHARGE_MAH_G if k == 0 else DISCHARGE_MAH_G)[r["cycle"] - 1] * MASS_G:
                done[k] = now[k]  # the step's last point
        out.append(tuple(now))
    return out


def hms(seconds):
    h, rest = divmod(seconds, 3600.0)
    m, s = divmod(rest, 60.0)
    return f"{int(h):02d}:{int(m):02d}:{s:06.3f}"


def date(seconds):
    return (START + timedelta(seconds=seconds)).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


NEWARE_TYPES = {"charge": "CC_Chg", "discharge": "CC_DChg", "rest": "Rest"}
NEWARE_TYPES_ZH = {"charge": "恒流充电", "discharge": "恒流放电", "rest": "搁置"}


def neware_table(chinese=False):
    header = (["数据序号", "循环号", "工步号", "工步类型", "总时间", "绝对时间", "电压(V)", "电流(mA)", "容量(mAh)"]
              if chinese else
              ["Record Index", "Cycle Index", "Step Index", "Step Type", "Total Time", "Date",
               "Voltage(V)", "Current(mA)", "Capacity(mAh)"])
    types = NEWARE_TYPES_ZH if chinese else NEWARE_TYPES
    table = [header]
    for i, r in enumerate(rows()):
        table.append([str(i + 1), str(r["cycle"]), str(r["step"]), types[r["kind"]],
                      hms(r["time"]), date(r["time"]), f"{r['voltage']:.4f}",
                      f"{r['current']:.5f}", f"{r['q']:.6f}"])
    return table


def write(name, text, encoding="utf-8"):
    with open(os.path.join(OUT, name), "w", encoding=encoding, newline="") as f:
        f.write(text)


def lines(table, delimiter=","):
    return "".join(delimiter.join(row) + "\r\n" for row in table)


def main():
    neware = neware_table()
    write("neware_export.csv", f"# {NOTE}\r\n" + lines(neware))
    # UTF-16 LE with a byte order mark, as Windows tools write "Unicode" text.
    write("neware_export_utf16.csv", f"# {NOTE}\r\n" + lines(neware, "\t"), "utf-16")
    write("neware_export_gbk.csv", f"# 合成数据: {NOTE}\r\n" + lines(neware_table(True)), "gbk")

    try:
        import openpyxl
    except ImportError:
        print("openpyxl is missing: neware_export.xlsx not written")
    else:
        book = openpyxl.Workbook()
        info = book.active
        info.title = "Info"
        info.append(["Note", NOTE])
        info.append(["Active mass (g)", MASS_G])
        # A per-step sheet with the record's column names, before the record: the importer
        # must read the sheet with the most rows.
        steps = book.create_sheet("Statis")
        steps.append(["Cycle Index", "Step Index", "Step Type", "Voltage(V)", "Current(mA)",
                      "Capacity(mAh)"])
        for row, nxt in zip(neware[1:], neware[2:] + [None]):
            if nxt is None or nxt[2] != row[2]:
                steps.append([int(row[1]), int(row[2]), row[3], float(row[6]), float(row[7]),
                              float(row[8])])
        record = book.create_sheet("Record")
        record.append([NOTE])
        record.append([])
        record.append(neware[0])
        for row in neware[1:]:
            record.append([int(row[0]), int(row[1]), int(row[2]), row[3], row[4], row[5],
                           float(row[6]), float(row[7]), float(row[8])])
        book.save(os.path.join(OUT, "neware_export.xlsx"))

    # Arbin: capacities and energies cumulative within each cycle, in A·h and W·h; current in A
    # with its sign; written in Windows-1252 with a °C in the preamble.
    arbin = [["Data_Point", "Test_Time(s)", "Date_Time", "Step_Index", "Cycle_Index", "Current(A)",
              "Voltage(V)", "Charge_Capacity(Ah)", "Discharge_Capacity(Ah)"]]
    for i, (r, (c, d)) in enumerate(zip(rows(), cumulative(per_cycle=True))):
        arbin.append([str(i + 1), f"{r['time']:.3f}", date(r["time"]), str(r["step"]), str(r["cycle"]),
                      f"{r['current'] / 1000:.8f}", f"{r['voltage']:.4f}",
                      f"{c / 1000:.9f}", f"{d / 1000:.9f}"])
    write("arbin_export_cp1252.csv", f"# {NOTE}, 25 °C\r\n" + lines(arbin), "cp1252")

    # Maccor text export: tab separated, a preamble, Amp-hr per step, State C/D/R, current
    # written positive in both directions.
    states = {"charge": "C", "discharge": "D", "rest": "R"}
    maccor = [["Rec#", "Cyc#", "Step", "TestTime", "StepTime", "Amp-hr", "Amps", "Volts", "State",
               "DPt Time"]]
    step_start = {}
    for i, r in enumerate(rows()):
        step_start.setdefault(r["step"], r["time"])
        maccor.append([str(i + 1), str(r["cycle"]), str(r["step"]), f"{r['time']:.2f}",
                       f"{r['time'] - step_start[r['step']]:.2f}", f"{r['q'] / 1000:.9f}",
                       f"{abs(r['current']) / 1000:.8f}", f"{r['voltage']:.4f}", states[r["kind"]],
                       (START + timedelta(seconds=r["time"])).strftime("%m/%d/%Y %I:%M:%S %p")])
    write("maccor_export.txt",
          f"Today's Date\t05/01/2024\r\nFilename:\tsynthetic.001\r\nComment:\t{NOTE}\r\n"
          + lines(maccor, "\t"))

    # EC-Lab .mpt: header block with its line count, tab separated, decimal comma, cycle number
    # from 0, Q charge/discharge signed per half cycle, ox/red 1 in charge and 0 in discharge.
    columns = ["mode", "ox/red", "error", "control changes", "Ns", "time/s", "Ewe/V", "I/mA",
               "(Q-Qo)/mA.h", "Q charge/discharge/mA.h", "cycle number"]
    preamble = ["EC-Lab ASCII FILE", "Nb header lines : {n}", "",
                "Galvanostatic Cycling with Potential Limitation", "", NOTE,
                "Characteristic mass : 5,000 mg", ""]
    preamble[1] = preamble[1].format(n=len(preamble) + 1)
    ox = "1"
    body = []
    for r, (c, d) in zip(rows(), cumulative(per_cycle=False)):
        if r["kind"] == "charge":
            ox, q_half, mode = "1", r["q"], "1"
        elif r["kind"] == "discharge":
            ox, q_half, mode = "0", -r["q"], "1"
        else:
            q_half, mode = 0.0, "3"
        numbers = [f"{r['time']:.4f}", f"{r['voltage']:.4f}", f"{r['current']:.6f}",
                   f"{c - d:.6f}", f"{q_half:.6f}"]
        body.append([mode, ox, "0", "0", str(r["step"])]
                    + [n.replace(".", ",") for n in numbers] + [str(r["cycle"] - 1)])
    text = "".join(line + "\r\n" for line in preamble) + lines([columns] + body, "\t")
    write("eclab_export.mpt", text, "cp1252")

    # BDF: preferred labels, capacities cumulative since the test start, cycle count from 0,
    # no step type (the direction comes from the current's sign).
    bdf = [["Test Time / s", "Voltage / V", "Current / A", "Cycle Count / 1", "Step Count / 1",
            "Charging Capacity / Ah", "Discharging Capacity / Ah"]]
    for r, (c, d) in zip(rows(), cumulative(per_cycle=False)):
        bdf.append([f"{r['time']:.3f}", f"{r['voltage']:.4f}", f"{r['current'] / 1000:.8f}",
                    str(r["cycle"] - 1), str(r["step"]), f"{c / 1000:.9f}", f"{d / 1000:.9f}"])
    write("bdf_export.csv", lines(bdf))


if __name__ == "__main__":
    main()
