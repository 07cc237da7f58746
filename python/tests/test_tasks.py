"""Sweeps, validations and fits from Python: the library functions of `asslb sweep`,
`validate` and `fit`, their tables as DataFrames, their errors as exceptions."""

import subprocess

import pandas as pd
import pytest

import asslb

TARGETS = """\
id,cell,protocol,cycle,quantity,value,unit,tolerance,tolerance_kind,source,figure_or_table,conditions
Q1,solid,1C,1,discharge_capacity_mAh_g,{value},mAh/g,1,percent,synthetic: python/tests,none,1C discharge
"""

VALIDATION = """\
name = "tiny"
[runs.cell]
scenario = "{scenario}"
[[points]]
file = "targets.csv"
[points.at]
Q1 = {{ run = "cell", cycle = 1 }}
"""

FIT = """\
name = "tiny_fit"
validation = "validation.toml"
[[parameters]]
path = "positive.thickness_m"
initial = 2.7e-5
lower = 1e-5
upper = 6e-5
"""


SWEEP = """\
name = "tiny_sweep"
scenario = "{scenario}"
mode = "grid"
[sweep]
"positive.thickness_m" = [2.0e-5, 3.0e-5]
"cell.temperature_K" = [318.15, 333.15]
"""


def write_validation(dir, root, value):
    (dir / "targets.csv").write_text(TARGETS.format(value=value))
    scenario = root / "scenarios" / "solid_halfcell_discharge_1C.toml"
    path = dir / "validation.toml"
    path.write_text(VALIDATION.format(scenario=scenario.as_posix()))
    return path


def test_sweep_returns_sweep_csv(root, tmp_path):
    path = tmp_path / "sweep.toml"
    scenario = root / "scenarios" / "solid_halfcell_discharge_1C.toml"
    path.write_text(SWEEP.format(scenario=scenario.as_posix()))
    table = asslb.sweep(path, out=tmp_path / "s", jobs=2)
    expected = pd.read_csv(tmp_path / "s" / "sweep.csv")
    pd.testing.assert_frame_equal(table, expected)
    assert len(table) == 4 and (table["status"] == "ok").all()
    assert table.attrs["out"] == tmp_path / "s"
    # The cases differ.
    by_thickness = table.groupby("positive.thickness_m")["initial_discharge_capacity_mAh_g"].mean()
    assert by_thickness.loc[3.0e-5] != pytest.approx(by_thickness.loc[2.0e-5], rel=1e-4)
    # The folder holds a sweep now: a second run is refused, as by the command line.
    with pytest.raises(asslb.SweepError, match="resume"):
        asslb.sweep(path, out=tmp_path / "s")


def test_sweep_file_errors_are_the_cli_messages(tmp_path, asslb_bin):
    bad = tmp_path / "sweep.toml"
    bad.write_text('name = "x"\nscenario = "missing.toml"\n[sweep]\ncases = 3\n')
    with pytest.raises(asslb.SweepError) as info:
        asslb.sweep(bad, out=tmp_path / "out")
    run = subprocess.run(
        [str(asslb_bin), "sweep", str(bad), "--out", str(tmp_path / "out2")],
        capture_output=True,
        text=True,
    )
    assert run.returncode != 0
    assert str(info.value) == run.stderr.strip()[len("error: ") :]


def test_validate_returns_the_comparison(root, tmp_path):
    path = write_validation(tmp_path, root, value=150)
    table = asslb.validate(path, out=tmp_path / "v", jobs=1)
    pd.testing.assert_frame_equal(table, pd.read_csv(tmp_path / "v" / "comparison.csv"))
    assert list(table["id"]) == ["Q1"]
    # 150 mAh/g is far from what the cell gives: a verdict, not an exception.
    assert not table.attrs["passed"] and not table["pass"].iloc[0]
    assert table["simulated"].iloc[0] > 180


def test_validation_file_errors_are_exceptions(tmp_path):
    bad = tmp_path / "validation.toml"
    bad.write_text('name = "x"\n[runs.cell]\nscenario = "missing.toml"\n')
    with pytest.raises(asslb.ValidationError, match="missing.toml"):
        asslb.validate(bad, out=tmp_path / "v")


def test_fit_finds_the_thickness(root, tmp_path):
    write_validation(tmp_path, root, value=200)
    (tmp_path / "fit.toml").write_text(FIT)
    result = asslb.fit(tmp_path / "fit.toml", out=tmp_path / "f", jobs=1)
    assert list(result.parameters["parameter"]) == ["positive.thickness_m"]
    fitted = result.parameters["fitted"].iloc[0]
    assert 1e-5 < fitted < 6e-5 and fitted != pytest.approx(2.7e-5)
    assert result.passed and result.comparison["pass"].all()
    assert len(result.trials) >= 2
    assert "positive.thickness_m" in result.summary
    assert all(p.endswith("scenario.toml") for p in map(str, result.scenarios))


def test_fit_file_errors_are_exceptions(tmp_path):
    (tmp_path / "fit.toml").write_text(FIT.replace("validation.toml", "missing.toml"))
    with pytest.raises(asslb.FitError, match="missing.toml"):
        asslb.fit(tmp_path / "fit.toml", out=tmp_path / "f")
