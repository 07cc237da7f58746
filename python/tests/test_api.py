"""The PyBaMM-like API end to end: parameter sets, ParameterValues, Simulation from parameter
values and an experiment, and errors as exceptions carrying the command line's messages."""

import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

import asslb


def test_parameter_sets_lists_names_cells_and_sources():
    sets = asslb.parameter_sets()
    assert list(sets.columns) == ["name", "cell", "source"]
    assert "wu2022_lro_lpscl" in set(sets["name"])
    row = sets[sets["name"] == "wu2022_lro_lpscl"].iloc[0]
    assert "Wu et al." in row["source"]


def test_parameter_values_read_and_update():
    p = asslb.ParameterValues("wu2022_lro_lpscl")
    assert p["cell.temperature_K"] == pytest.approx(333.15)
    assert "positive.thickness_m" in p
    assert isinstance(p["positive.msmr.cationic"], list)
    p.update({"cell.temperature_K": 298.15})
    assert p["cell.temperature_K"] == pytest.approx(298.15)
    p["positive.thickness_m"] = 3e-5
    assert p.overrides == {"cell.temperature_K": 298.15, "positive.thickness_m": 3e-5}
    del p["positive.thickness_m"]
    assert p["positive.thickness_m"] != 3e-5
    # A copy is independent.
    q = p.copy()
    q["cell.temperature_K"] = 310.0
    assert p["cell.temperature_K"] == pytest.approx(298.15)


def test_unknown_key_is_a_key_error_naming_it():
    p = asslb.ParameterValues("wu2022_lro_lpscl")
    with pytest.raises(KeyError, match="cell.bogus_K") as info:
        p.update({"cell.bogus_K": 1.0})
    assert isinstance(info.value, asslb.ScenarioError)
    assert "unknown key" in str(info.value) and "temperature_K" in str(info.value)
    # Nothing changed.
    assert "cell.bogus_K" not in p
    with pytest.raises(KeyError, match="no parameter `cell.nothing`"):
        p["cell.nothing"]


def test_value_out_of_range_is_a_scenario_error():
    p = asslb.ParameterValues("wu2022_lro_lpscl")
    with pytest.raises(asslb.ScenarioError, match="accepted range 200 to 500 K, found -3"):
        p["cell.temperature_K"] = -3
    assert p["cell.temperature_K"] == pytest.approx(333.15)


def test_simulation_from_parameter_values_and_experiment():
    p = asslb.ParameterValues("wu2022_lro_lpscl")
    p.update({"cell.temperature_K": 323.15})
    cycle = ("Charge at 1C until 4.3 V vs Li/Li+", "Discharge at 1C until 2.0 V vs Li/Li+")
    sim = asslb.Simulation(parameter_values=p, experiment=[cycle] * 3)
    assert sim.cycles == 3
    assert 'temperature_K" = 323.15' in sim.scenario_toml
    sol = sim.solve()
    summary = sol.summary
    assert isinstance(summary, pd.DataFrame)
    assert list(summary["cycle"]) == [1, 2, 3]
    assert (summary["discharge_capacity_mAh_g"] > 50).all()
    assert sol.stats["cycles"] == 3
    assert sol.impedance.empty and sol.impedance_fits is None


def test_strings_are_cycles_as_in_pybamm():
    sim = asslb.Simulation(
        parameter_values="wu2022_lro_lpscl",
        experiment=["Charge at 1C until 4.3 V vs Li/Li+", "Discharge at 1C until 2.0 V vs Li/Li+"] * 2,
    )
    assert sim.cycles == 4


def test_bad_step_is_a_scenario_error_naming_the_element():
    with pytest.raises(asslb.ScenarioError, match=r"experiment\[2\].*Dischrge"):
        asslb.Simulation(
            experiment=["Charge at 1C until 4.3 V vs Li/Li+", "Dischrge at 1C until 2 V"]
        )


def cli_error(asslb_bin, *args):
    run = subprocess.run([str(asslb_bin), *args], capture_output=True, text=True)
    assert run.returncode != 0
    assert run.stderr.startswith("error: ")
    return run.stderr[len("error: ") :].strip()


def test_bad_scenario_file_names_file_line_and_key_as_the_cli(tmp_path, asslb_bin):
    path = tmp_path / "bad.toml"
    path.write_text(
        'name = "bad"\nparameter_set = "wu2022_lro_lpscl"\n'
        'experiment = ["Discharge at 1C until 2.0 V vs Li/Li+"]\n\n'
        "[mesh]\npositive_x_cells = 8\nparticle_cells = 3\n"
    )
    with pytest.raises(asslb.ScenarioError) as info:
        asslb.Simulation.from_scenario(path)
    message = str(info.value)
    assert str(path) in message and "line 7" in message and "particle_cells" in message
    assert message == cli_error(asslb_bin, "check", str(path))


def test_bad_set_is_the_cli_message(root, asslb_bin):
    scenario = root / "scenarios" / "wu2022_1c_1000.toml"
    with pytest.raises(asslb.ScenarioError) as info:
        asslb.Simulation.from_scenario(scenario, set={"cell.temperature_K": 900.0})
    assert str(info.value) == cli_error(
        asslb_bin, "check", str(scenario), "--set", "cell.temperature_K=900.0"
    )


def test_missing_file_is_a_scenario_error(tmp_path):
    with pytest.raises(asslb.ScenarioError, match="cannot read"):
        asslb.Simulation.from_scenario(tmp_path / "missing.toml")


def test_a_failed_run_is_a_solver_error_with_its_files():
    # One step too long for the solver's step budget.
    sim = asslb.Simulation(
        experiment=["Discharge at 0.01C until 2.0 V vs Li/Li+"],
        solver={"max_steps": 5},
    )
    with pytest.raises(asslb.SolverError) as info:
        sim.solve()
    assert isinstance(info.value, asslb.AsslbError)
    assert "stopped before the end" in str(info.value)
    folder = Path(info.value.folder)
    assert str(folder) in str(info.value)
    assert (folder / "run_error.txt").exists()
    # The solver's failure as data: where, what the solver said, and what was near.
    e = info.value
    assert (e.cycle, e.step, e.flag) == (1, 1, "MAX_STEPS")
    assert e.time_s > 0.0 and e.voltage_v > 2.0 and e.current_a > 0.0
    assert e.limit == "numerical"
    assert "no physical limit was near" in str(e)
    shutil.rmtree(folder)


def test_pybamm_names_round_trip():
    p = asslb.ParameterValues("wu2022_lro_lpscl")
    names = asslb.to_pybamm(p)
    assert names["Positive electrode thickness [m]"] == p["positive.thickness_m"]
    assert names["Positive electrode Bruggeman coefficient (electrolyte)"] == 1.5
    assert names["Electrode width [m]"] * names["Electrode height [m]"] == p["cell.area_m2"]
    back = asslb.from_pybamm(names)
    for key, value in back.items():
        assert p[key] == pytest.approx(value) if not isinstance(value, dict) else p[key] == value
    p.update(back)  # every converted key is one the parameter files have


def test_pybamm_names_are_pybamm_parameters():
    pybamm = pytest.importorskip("pybamm")
    chen = pybamm.ParameterValues("Chen2020")
    # A full cell and PyBaMM's lithium-metal half-cell set.
    known = set(chen.keys()) | set(pybamm.ParameterValues("Xu2019").keys())
    missing = [n for n in asslb.PYBAMM_NAMES.values() if n not in known]
    assert missing == []
    converted = asslb.from_pybamm(chen)
    assert converted["positive.thickness_m"] == chen["Positive electrode thickness [m]"]


def test_docs_table_is_the_converters_table(root):
    text = (root / "docs" / "python.md").read_text()
    rows = {}
    for line in text.splitlines():
        parts = [p.strip().strip("`") for p in line.strip().strip("|").split("|")]
        if len(parts) == 2 and parts[0] in asslb.PYBAMM_NAMES:
            rows[parts[0]] = parts[1]
    assert rows == asslb.PYBAMM_NAMES
    for call in ("asslb.parameter_sets()", "Simulation.from_scenario", "sol.spectrum(",
                 "asslb.sweep(", "asslb.validate(", "asslb.fit(", "sol.save("):
        assert call in text, call
