"""Shared fixtures: the repository's root, the `asslb` binary the package is compared with,
and a short scenario with impedance spectra (the paper run, shortened)."""

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: The paper run (scenarios/wu2022_1c_1000.toml) cut to one formation cycle and four cycles
#: at 1C, with spectra after cycles 2 and 4 fitted with the paper's circuit: every kind of
#: file `asslb run` writes, in about a second.
SHORT_PAPER_RUN = """\
name = "wu2022_short"
description = "The paper cell, shortened for the Python tests."
parameter_set = "wu2022_lro_lpscl"
save_cycles = [1, 2, 5]
experiment = [
  { cycles = 1, steps = ["Charge at 0.1C until 4.3 V vs Li/Li+", "Discharge at 0.1C until 2.0 V vs Li/Li+"] },
  { cycles = 4, steps = ["Charge at 1C until 4.3 V vs Li/Li+", "Discharge at 1C until 2.0 V vs Li/Li+"] },
]

[mesh]
positive_x_cells = 8
separator_x_cells = 5
particle_r_cells = 20

[impedance]
cycles = [2, 4]
after = "discharge"
rest_minutes = 30.0
circuit = "R0-p(R1,CPE1)-p(R2,CPE2)-p(R3,CPE3)-W1"
"""


@pytest.fixture(scope="session")
def root():
    return ROOT


@pytest.fixture(scope="session")
def asslb_bin():
    """The command-line binary of the same checkout (built by `cargo build --release`)."""
    path = Path(os.environ.get("ASSLB_BIN", ROOT / "target" / "release" / "asslb"))
    if not path.exists():
        subprocess.run(
            ["cargo", "build", "--release", "--bin", "asslb"], cwd=ROOT, check=True
        )
    return path


@pytest.fixture(scope="session")
def short_scenario(tmp_path_factory):
    path = tmp_path_factory.mktemp("scenario") / "wu2022_short.toml"
    path.write_text(SHORT_PAPER_RUN)
    return path
