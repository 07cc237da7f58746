#!/usr/bin/env bash
# Builds and installs the Python package from ./python (maturin, release mode, sharing the
# root target/ folder through the Cargo workspace, so the library is not compiled twice),
# then runs its tests (python/tests) with pytest. Exits non-zero when the build or a test
# fails, and when no test ran (pytest's exit code 5). Run ./scripts/setup.sh first.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
export CARGO_TARGET_DIR="$PWD/target"
"$python" -m pip install --quiet --disable-pip-version-check ./python

set +e
"$python" -m pytest -q python/tests "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
    echo "test_python: pytest collected no tests" >&2
    exit 1
fi
exit "$status"
