"""The Python package's overhead against the command line on the paper run.

    pip install ./python && cargo build --release
    python benches/python_overhead.py [scenario] [repeats]

Times `asslb.Simulation.from_scenario(scenario).solve()` in this process against the process
`asslb run scenario --out <tmp> --quiet` (default scenarios/wu2022_1c_1000.toml, 3 repeats,
alternating), and prints the best and the median of each, in wall time and in CPU time (the
child's, and this process's), and the overhead of the package (goal: under 5 %). CPU time
moves less than wall time when other processes share the cores. Both run the same library function into a folder; the difference is the
interpreter's share and the process start-up, which is the command's. Run it on a quiet machine:
other processes on the cores move the numbers by more than the overhead.
"""

import os
import resource
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
    wall = {"cli": [], "python": []}
    cpu = {"cli": [], "python": []}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(repeats):
            children = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run(
                [binary, "run", scenario, "--out", os.path.join(tmp, f"cli{i}"), "--quiet"],
                check=True,
                stdout=subprocess.DEVNULL,
            )
            wall["cli"].append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu["cli"].append(
                after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
            )

            start, start_cpu = time.perf_counter(), time.process_time()
            asslb.Simulation.from_scenario(scenario).solve()
            wall["python"].append(time.perf_counter() - start)
            cpu["python"].append(time.process_time() - start_cpu)
    print(f"scenario: {os.path.relpath(scenario, ROOT)}; {repeats} runs each, alternating")
    print(f"load average: {', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    for kind, times in (("wall", wall), ("CPU", cpu)):
        for name, key in (("asslb run (process)", "cli"), ("Simulation.solve()", "python")):
            t = times[key]
            print(f"{kind:>4} {name:>20}: best {min(t):.3f} s, median {statistics.median(t):.3f} s"
                  f"  ({', '.join(f'{x:.3f}' for x in t)})")
        best = min(times["python"]) / min(times["cli"]) - 1.0
        median = statistics.median(times["python"]) / statistics.median(times["cli"]) - 1.0
        print(f"{kind:>4} overhead of the package: {100 * best:+.1f} % (best), "
              f"{100 * median:+.1f} % (median)")

if __name__ == "__main__":
    main(*sys.argv[1:])
