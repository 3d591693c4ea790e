#!/usr/bin/env bash
# Sets everything up, builds with warnings as errors, and runs every test (unit, integration against
# the stand-in provider service, the embedded model end to end, GUI offscreen).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export SDS_BUILD_DIR="${SDS_BUILD_DIR:-$root/build}"
export SDS_CMAKE_ARGS="${SDS_CMAKE_ARGS:--DSDS_WARNINGS_AS_ERRORS=ON}"
"$root/scripts/setup.sh"
export QT_QPA_PLATFORM=offscreen
cd "$SDS_BUILD_DIR"
ctest --output-on-failure --timeout 600 -j2 "$@"
