"""The Python package's overhead against the command line on the paper run.

    pip install ./python && cargo build --release
    python benches/python_overhead.py [scenario] [repeats]

Times `asslb.Simulation.from_scenario(scenario).solve()` in this process against the process
`asslb run scenario --out <tmp> --quiet` (default scenarios/wu2022_1c_1000.toml, 3 repeats,
alternating), and prints the best and the median of each and the overhead of the package
(goal: under 5 %). Both run the same library function into a folder; the difference is the
interpreter's share and the process start-up, which is the command's. Run it on a quiet machine:
other processes on the cores move the numbers by more than the overhead.
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time

import asslb

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main(scenario=os.path.join(ROOT, "scenarios", "wu2022_1c_1000.toml"), repeats=3):
    repeats = int(repeats)
    binary = os.environ.get("ASSLB_BIN", os.path.join(ROOT, "target", "release", "asslb"))
    cli, python = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(repeats):
            start = time.perf_counter()
            subprocess.run(
                [binary, "run", scenario, "--out", os.path.join(tmp, f"cli{i}"), "--quiet"],
                check=True,
                stdout=subprocess.DEVNULL,
            )
            cli.append(time.perf_counter() - start)

            start = time.perf_counter()
            asslb.Simulation.from_scenario(scenario).solve()
            python.append(time.perf_counter() - start)
    print(f"scenario: {os.path.relpath(scenario, ROOT)}; {repeats} runs each, alternating")
    print(f"load average: {', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    for name, times in (("asslb run (process)", cli), ("Simulation.solve()", python)):
        print(f"{name:>22}: best {min(times):.3f} s, median {statistics.median(times):.3f} s  "
              f"({', '.join(f'{t:.3f}' for t in times)})")
    best = min(python) / min(cli) - 1.0
    median = statistics.median(python) / statistics.median(cli) - 1.0
    print(f"overhead of the package: {100 * best:+.1f} % (best), {100 * median:+.1f} % (median)")


if __name__ == "__main__":
    main(*sys.argv[1:])
