"""Solving releases the GIL: threads solve cases in parallel, Dask fans them out, Ctrl-C stops
a run cleanly. And the examples in examples/ run."""

import _thread
import os
import runpy
import subprocess
import sys
import threading
import time

import pytest

import asslb


def one_second_case(root):
    # About a second of solver work: 106 cycles of the solid verification half-cell.
    return asslb.Simulation.from_scenario(root / "scenarios" / "solid_halfcell_cycling.toml")


def timed(f):
    start = time.perf_counter()
    f()
    return time.perf_counter() - start


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs two cores")
def test_two_threads_take_clearly_less_than_twice_one(root):
    sim = one_second_case(root)

    def two_threads():
        threads = [threading.Thread(target=sim.solve) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    # The machine may be busy with other work: the best of a few tries on either side.
    ones, twos = [], []
    for _ in range(5):
        ones.append(timed(sim.solve))
        twos.append(timed(two_threads))
        if min(twos) < 1.6 * min(ones):
            break
    message = f"one solve {ones} s, two threads {twos} s"
    if min(twos) >= 1.6 * min(ones) and os.getloadavg()[0] > (os.cpu_count() or 1):
        # Other processes hold the cores: two threads cannot get two of them. The GIL's
        # release is still checked by test_python_runs_while_a_thread_solves.
        pytest.skip(f"machine busy (load {os.getloadavg()[0]:.1f}): {message}")
    assert min(twos) < 1.6 * min(ones), message


def test_python_runs_while_a_thread_solves(root):
    # Independent of the machine's load: with the GIL held for the whole solve, the main
    # thread would not get through its loop while the solving thread runs.
    sim = one_second_case(root)
    worker = threading.Thread(target=sim.solve)
    worker.start()
    turns = 0
    while worker.is_alive():
        turns += 1
        time.sleep(0.001)
    worker.join()
    assert turns > 50, f"the main thread ran {turns} times during the solve"


def test_threads_give_the_results_of_one(root):
    sim = one_second_case(root)
    alone = sim.solve().summary
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda _: sim.solve().summary, range(2)))
    for summary in results:
        assert summary.equals(alone)


def test_ctrl_c_stops_a_run_cleanly(root):
    # The paper run takes several seconds; Ctrl-C (SIGINT to the main thread) after 0.5 s.
    sim = asslb.Simulation.from_scenario(root / "scenarios" / "wu2022_1c_1000.toml")
    timer = threading.Timer(0.5, _thread.interrupt_main)
    before = set(os.listdir(_tmp_dir()))
    start = time.perf_counter()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        sim.solve()
    elapsed = time.perf_counter() - start
    timer.join()
    assert elapsed < 4.0, f"the run went on for {elapsed:.1f} s after Ctrl-C"
    # Its temporary folder is gone.
    left = {d for d in set(os.listdir(_tmp_dir())) - before if d.startswith("asslb-")}
    assert left == set()
    # The package still works.
    assert len(one_second_case(root).solve().summary) == 106


def _tmp_dir():
    import tempfile

    return tempfile.gettempdir()


def test_dask_example(root, capsys):
    pytest.importorskip("dask.distributed")
    module = runpy.run_path(str(root / "examples" / "python_dask_sweep.py"))
    table = module["main"]((2.0e-5, 3.0e-5))
    assert list(table["positive.thickness_m"]) == [2.0e-5, 3.0e-5]
    direct = asslb.Simulation.from_scenario(
        root / "scenarios" / "solid_halfcell_discharge_1C.toml",
        set={"positive.thickness_m": 3.0e-5},
    ).solve().summary
    assert table["discharge_capacity_mAh_g"].iloc[1] == direct["discharge_capacity_mAh_g"].iloc[0]


def test_quickstart_example_runs(root, tmp_path):
    run = subprocess.run(
        [sys.executable, str(root / "examples" / "python_quickstart.py"), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    assert "spectrum after cycle 6" in run.stdout
    assert (tmp_path / "out" / "summary.csv").exists()
    assert (tmp_path / "out" / "impedance_fit.csv").exists()
