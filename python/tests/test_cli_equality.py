"""The package is a front of the command line's driver: the same scenario gives the same files
and the same tables through `Simulation.from_scenario(...).solve()` as through `asslb run`."""

import subprocess

import numpy as np
import pandas as pd
import pytest

import asslb

#: Lines of run.toml that hold wall-clock times and dates, which differ between any two runs.
WALL_TIME_KEYS = ("wall_time_s", "impedance_time_s", "written_at")

#: The run's reports: they print wall times and the run's folder, which differ between any two
#: runs; both fronts write them.
REPORTS = {"report.html": "<title>Run: ", "report.md": "## Key numbers"}


def run_toml_without_times(path):
    return [
        line
        for line in path.read_text().splitlines()
        if not line.strip().startswith(WALL_TIME_KEYS)
    ]


@pytest.fixture(scope="module")
def both(short_scenario, asslb_bin, tmp_path_factory):
    """The CLI's folder and the package's solution of the same scenario."""
    cli = tmp_path_factory.mktemp("cli") / "run"
    subprocess.run(
        [str(asslb_bin), "run", str(short_scenario), "--out", str(cli), "--quiet"],
        check=True,
        capture_output=True,
    )
    sol = asslb.Simulation.from_scenario(short_scenario).solve()
    return cli, sol


def test_saved_files_are_those_of_asslb_run(both, tmp_path):
    cli, sol = both
    saved = sol.save(tmp_path / "py")
    cli_files = sorted(p.name for p in cli.iterdir())
    assert len(run_toml_without_times(cli / "run.toml")) == len((cli / "run.toml").read_text().splitlines()) - 3
    assert sorted(p.name for p in saved.iterdir()) == cli_files
    assert "impedance_fit.csv" in cli_files and "nyquist.svg" in cli_files
    assert set(REPORTS) <= set(cli_files)
    for name in cli_files:
        if name == "run.toml":
            assert run_toml_without_times(saved / name) == run_toml_without_times(cli / name)
        elif name in REPORTS:
            assert REPORTS[name] in (saved / name).read_text(), name
        else:
            assert (saved / name).read_bytes() == (cli / name).read_bytes(), name


def test_tables_are_the_cli_files(both):
    cli, sol = both
    summary = sol.summary
    expected = pd.read_csv(cli / "summary.csv")
    assert list(summary.columns) == list(expected.columns)
    assert len(summary) == 5
    pd.testing.assert_frame_equal(summary, expected)
    pd.testing.assert_frame_equal(sol.timeseries, pd.read_csv(cli / "timeseries.csv"))
    assert sorted(sol.timeseries["cycle"].unique()) == [1, 2, 5]
    pd.testing.assert_frame_equal(sol.impedance, pd.read_csv(cli / "impedance.csv"))
    pd.testing.assert_frame_equal(sol.impedance_fits, pd.read_csv(cli / "impedance_fit.csv"))


def test_spectrum_is_complex_numpy(both):
    cli, sol = both
    assert sol.spectrum_cycles == [2, 4]
    f, z = sol.spectrum(4)
    table = pd.read_csv(cli / "impedance.csv")
    rows = table[table["cycle"] == 4]
    assert isinstance(f, np.ndarray) and f.dtype == np.float64
    assert isinstance(z, np.ndarray) and np.iscomplexobj(z)
    np.testing.assert_array_equal(f, rows["frequency_Hz"].to_numpy())
    np.testing.assert_array_equal(z.real, rows["z_re_ohm"].to_numpy())
    np.testing.assert_array_equal(z.imag, rows["z_im_ohm"].to_numpy())
    with pytest.raises(KeyError, match="cycles \\[2, 4\\]"):
        sol.spectrum(3)


def test_save_refuses_a_folder_with_files(both, tmp_path):
    _, sol = both
    (tmp_path / "other.txt").write_text("x")
    with pytest.raises(FileExistsError):
        sol.save(tmp_path)
    sol.save(tmp_path, overwrite=True)
    assert (tmp_path / "summary.csv").exists()


def test_impedance_py_fits_our_spectrum_to_our_fit(both):
    # impedance.py takes (f, Z) as spectrum() gives them, and its fit of the paper's circuit,
    # started from asslb's, lands on asslb's resistances.
    pytest.importorskip("impedance")
    from impedance.models.circuits import CustomCircuit

    _, sol = both
    f, z = sol.spectrum(4)
    row = sol.impedance_fits.set_index("cycle").loc[4]
    names = ["R0", "R1", "CPE1_Q", "CPE1_n", "R2", "CPE2_Q", "CPE2_n", "R3", "CPE3_Q",
             "CPE3_n", "W1_sigma"]
    circuit = CustomCircuit(
        "R0-p(R1,CPE1)-p(R2,CPE2)-p(R3,CPE3)-W1", initial_guess=[float(row[n]) for n in names]
    )
    circuit.fit(f, z)
    fitted = dict(zip(names, circuit.parameters_))
    for r in ("R0", "R1", "R2"):
        assert fitted[r] == pytest.approx(row[r], rel=0.02), r
