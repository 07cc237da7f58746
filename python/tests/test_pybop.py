"""The PyBOP-style adapter: simulate(inputs, t_eval) -> {"Voltage [V]": ...}."""

import math

import numpy as np
import pytest

import asslb

CHARGE = ["Charge at 1C until 4.3 V vs Li/Li+"]
D_S = "positive.solid_diffusivity_m2_s"


def test_simulate_interpolates_the_runs_time_series_at_t_eval():
    model = asslb.PybopModel("wu2022_lro_lpscl", CHARGE)
    series = (
        asslb.Simulation(parameter_values="wu2022_lro_lpscl", experiment=CHARGE, save_cycles="all")
        .solve()
        .timeseries
    )
    end = series["time_s"].iloc[-1]
    t_eval = np.linspace(0.0, end, 37)
    out = model.simulate({}, t_eval)
    assert set(out) == {"Time [s]", *asslb._pybop.VARIABLES}
    for name, values in out.items():
        assert values.shape == t_eval.shape, name
    expected = np.interp(t_eval, series["time_s"], series["voltage_V"])
    np.testing.assert_allclose(out["Voltage [V]"], expected, rtol=0, atol=1e-12)
    # Charging: the current is negative (positive on discharge, as in PyBaMM), the voltage
    # rises to the cut-off, and vs Li/Li+ is the Li-In cell's voltage plus 0.62 V.
    assert (out["Current [A]"][1:] < 0).all()
    assert out["Voltage [V]"][-1] > out["Voltage [V]"][1]
    np.testing.assert_allclose(
        out["Positive electrode potential vs Li/Li+ [V]"] - out["Voltage [V]"], 0.62, atol=1e-9
    )


def test_inputs_move_the_output_and_unknown_keys_raise():
    model = asslb.PybopModel("wu2022_lro_lpscl", CHARGE)
    d = model.parameter_values[D_S]
    t_eval = np.linspace(0.0, 1500.0, 16)
    slow = model.simulate({D_S: d / 4}, t_eval)
    fast = model.simulate({D_S: d * 4}, t_eval)
    # Slower solid diffusion polarises the charge more: a higher voltage at every time.
    assert (slow["Voltage [V]"][1:] > fast["Voltage [V]"][1:]).all()
    # The model's own parameters are not changed by a call.
    assert model.parameter_values[D_S] == d
    with pytest.raises(KeyError) as err:
        model.simulate({"positive.solid_diffusivity": 1e-16}, t_eval)
    assert "positive.solid_diffusivity" in str(err.value)


def test_times_past_the_end_of_the_run_are_nan():
    model = asslb.PybopModel("wu2022_lro_lpscl", CHARGE)
    out = model.simulate({}, [0.0, 60.0, 1e7])
    assert not math.isnan(out["Voltage [V]"][1])
    assert math.isnan(out["Voltage [V]"][2]) and math.isnan(out["Current [A]"][2])
