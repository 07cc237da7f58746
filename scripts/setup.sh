#!/usr/bin/env bash
# Installs what building asslb needs besides a Rust toolchain, on Debian/Ubuntu:
#   cmake         builds the vendored SUNDIALS (sundials-sys, feature build_libraries)
#   clang, libclang-dev  bindgen generates the SUNDIALS bindings with libclang
#   a C compiler  (build-essential) for SUNDIALS itself
#   chromium      Debian's headless browser, in which tests/html_report.rs opens the HTML
#                 reports (set ASSLB_SKIP_BROWSER=1 to run the tests without it)
# and, for the Python package (python/, scripts/test_python.sh), with `python3 -m pip`:
#   maturin       builds the extension (PyO3) into a wheel: `pip install ./python`
#   pytest, pandas, numpy, dask[distributed]   its tests and what the package returns
#   impedance     impedance.py, whose CustomCircuit.fit the interoperability test feeds our spectra
# and, for tests/slurm.rs (scripts/test_slurm.sh starts a one-node Slurm cluster of its own):
#   slurm-wlm, munge   slurmctld, slurmd, sbatch and munged
# Anything already present is skipped; apt-get runs through sudo only when not root. Set
# PYTHON to use another interpreter than python3.
set -euo pipefail

missing=()
command -v cmake >/dev/null 2>&1 || missing+=(cmake)
command -v clang >/dev/null 2>&1 || missing+=(clang)
command -v cc >/dev/null 2>&1 || missing+=(build-essential)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if command -v dpkg-query >/dev/null 2>&1; then
    dpkg-query -W -f='${Status}' libclang-dev 2>/dev/null | grep -q "install ok installed" \
        || missing+=(libclang-dev)
elif ! ldconfig -p 2>/dev/null | grep -q 'libclang'; then
    missing+=(libclang-dev)
fi

# --- Slurm, for tests/slurm.rs: the daemons are in /usr/sbin, which a user's PATH may lack. ---
slurm_has() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }
{ slurm_has slurmctld && slurm_has slurmd && slurm_has sbatch; } || missing+=(slurm-wlm)
slurm_has munged || missing+=(munge)
# --- end of Slurm ---

# The Python side: install the modules the package's build and tests need, if missing.
python_setup() {
    local python=${PYTHON:-python3}
    if ! command -v "$python" >/dev/null 2>&1; then
        echo "setup: no $python; the Python package (python/) cannot be built or tested" >&2
        return 1
    fi
    local wanted=()
    "$python" -c "import maturin" >/dev/null 2>&1 || command -v maturin >/dev/null 2>&1 \
        || wanted+=(maturin)
    "$python" -c "import pytest" >/dev/null 2>&1 || wanted+=(pytest)
    "$python" -c "import pandas" >/dev/null 2>&1 || wanted+=(pandas)
    "$python" -c "import numpy" >/dev/null 2>&1 || wanted+=(numpy)
    "$python" -c "import dask.distributed" >/dev/null 2>&1 || wanted+=("dask[distributed]")
    "$python" -c "import impedance" >/dev/null 2>&1 || wanted+=(impedance)
    if [ ${#wanted[@]} -eq 0 ]; then
        echo "setup: maturin, pytest, pandas, numpy, dask and impedance are present for $python"
        return 0
    fi
    echo "setup: installing ${wanted[*]} for $python"
    "$python" -m pip install --quiet --disable-pip-version-check "${wanted[@]}"
}

if [ ${#missing[@]} -eq 0 ]; then
    echo "setup: cmake, clang, libclang, a C compiler, chromium and Slurm are present"
    python_setup
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: missing ${missing[*]}, and this is not a Debian/Ubuntu system (no apt-get);" \
        "install them with your package manager" >&2
    exit 1
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
fi
echo "setup: installing ${missing[*]}"
$sudo apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
python_setup
