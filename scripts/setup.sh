#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine for Synthetic Data Studio and builds it. Safe to run again: it
# installs only what is missing and rebuilds only what changed.
#   scripts/setup.sh            packages, embedded model, build (build/)
#   SDS_BUILD_DIR=dir           build somewhere else
#   SDS_SKIP_LOCAL_MODEL=1      do not install the embedded model
#   SDS_CMAKE_ARGS="..."        extra CMake arguments
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${SDS_BUILD_DIR:-$root/build}"

packages=(
  cmake ninja-build g++ pkg-config git
  qt6-base-dev qt6-charts-dev libqt6opengl6-dev qtkeychain-qt6-dev libgl-dev
  libcurl4-openssl-dev libssl-dev nlohmann-json3-dev libspdlog-dev libcli11-dev libsqlite3-dev
  libgtest-dev libgmock-dev
  libpoppler-cpp-dev libzip-dev libpugixml-dev
  clang-format xvfb xauth
  python3 python3-venv
)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "setup: installing ${#missing[@]} Debian packages: ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  if ! "${sudo_cmd[@]}" apt-get update -q >/tmp/sds-apt-update.log 2>&1; then
    echo "setup: error: apt-get update failed (see /tmp/sds-apt-update.log); retry: scripts/setup.sh" >&2
    exit 1
  fi
  if ! DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" \
      >/tmp/sds-apt-install.log 2>&1; then
    echo "setup: error: apt-get install failed (see /tmp/sds-apt-install.log): ${missing[*]}" >&2
    exit 1
  fi
else
  echo "setup: Debian packages already installed"
fi

if [[ "${SDS_SKIP_LOCAL_MODEL:-0}" != 1 ]]; then
  "$root/scripts/setup-local-model.sh"
fi

echo "setup: building in $build_dir"
# shellcheck disable=SC2086
mkdir -p "$build_dir"
cmake -S "$root" -B "$build_dir" -G Ninja ${SDS_CMAKE_ARGS:-} >"$build_dir/configure.log" 2>&1 || {
  cat "$build_dir/configure.log" >&2
  echo "setup: error: CMake configure failed" >&2
  exit 1
}
cmake --build "$build_dir" -j"$(nproc)"
echo "setup: done. Programs: $build_dir/sds (command line), $build_dir/sds-studio (desktop app)"
