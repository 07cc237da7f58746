#!/usr/bin/env bash
# Installs what building asslb needs besides a Rust toolchain, on Debian/Ubuntu:
#   cmake         builds the vendored SUNDIALS (sundials-sys, feature build_libraries)
#   clang, libclang-dev  bindgen generates the SUNDIALS bindings with libclang
#   a C compiler  (build-essential) for SUNDIALS itself
# Anything already present is skipped; apt-get runs through sudo only when not root.
set -euo pipefail

missing=()
command -v cmake >/dev/null 2>&1 || missing+=(cmake)
command -v clang >/dev/null 2>&1 || missing+=(clang)
command -v cc >/dev/null 2>&1 || missing+=(build-essential)
if command -v dpkg-query >/dev/null 2>&1; then
    dpkg-query -W -f='${Status}' libclang-dev 2>/dev/null | grep -q "install ok installed" \
        || missing+=(libclang-dev)
elif ! ldconfig -p 2>/dev/null | grep -q 'libclang'; then
    missing+=(libclang-dev)
fi

if [ ${#missing[@]} -eq 0 ]; then
    echo "setup: cmake, clang, libclang and a C compiler are present"
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
