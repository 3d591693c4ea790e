#!/usr/bin/env bash
# Regenerates docs/screenshots/: builds sds-studio and the screenshot tool, then drives the app against an
# in-process stand-in provider service under the offscreen platform and saves a PNG of every page.
#   scripts/screenshots.sh            build in build/, write docs/screenshots/
#   SDS_BUILD_DIR=dir                 build somewhere else
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${SDS_BUILD_DIR:-$root/build}"
if [[ ! -f "$build_dir/build.ninja" ]]; then
  cmake -S "$root" -B "$build_dir" -G Ninja -DSDS_GUI=ON -DSDS_TESTING=ON ${SDS_CMAKE_ARGS:-}
fi
cmake --build "$build_dir" --target sds-screenshots -j "$(nproc)"
QT_QPA_PLATFORM=offscreen "$build_dir/sds-screenshots" "$root/docs/screenshots"
