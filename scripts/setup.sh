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

started=$SECONDS
elapsed() { echo "$(((SECONDS - started) / 60)) min $(((SECONDS - started) % 60)) s"; }

# The whole list is in scripts/debian-packages.txt (scripts/check_debian_packages.py checks it against
# what the build and the tests use).
mapfile -t packages < <(sed 's/#.*//' "$root/scripts/debian-packages.txt" | tr -s ' \t' '\n' | sed '/^$/d')

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "setup: installing ${#missing[@]} Debian packages and what they depend on (a first run on a bare machine"
  echo "setup: downloads about 400 MB: a few minutes): ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  if ! "${sudo_cmd[@]}" apt-get update -q >/tmp/sds-apt-update.log 2>&1; then
    echo "setup: error: apt-get update failed (see /tmp/sds-apt-update.log); retry: scripts/setup.sh" >&2
    exit 1
  fi
  # apt's own output goes to the log; a line every 25 packages (and at each phase) shows it is moving.
  set +o pipefail
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" 2>&1 |
    tee /tmp/sds-apt-install.log | awk '
      / newly installed/ { total = $3; print "setup: apt: " total " packages to install"; fflush() }
      /^Get:/ { got++; if (got % 25 == 0) { print "setup: apt: downloaded " got "/" total; fflush() } }
      /^Fetched / { print "setup: apt: " $0; fflush() }
      /^Setting up / { done++; if (done % 25 == 0) { print "setup: apt: set up " done "/" total; fflush() } }'
  apt_status=${PIPESTATUS[0]}
  set -o pipefail
  if [[ $apt_status -ne 0 ]]; then
    tail -5 /tmp/sds-apt-install.log >&2
    echo "setup: error: apt-get install failed (see /tmp/sds-apt-install.log): ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: Debian packages installed ($(elapsed) so far)"
else
  echo "setup: Debian packages already installed"
fi

if [[ "${SDS_SKIP_LOCAL_MODEL:-0}" != 1 ]]; then
  "$root/scripts/setup-local-model.sh"
fi

echo "setup: building in $build_dir (a first build takes about 15 minutes on 2 cores; later ones only what changed)"
# shellcheck disable=SC2086
mkdir -p "$build_dir"
cmake -S "$root" -B "$build_dir" -G Ninja ${SDS_CMAKE_ARGS:-} >"$build_dir/configure.log" 2>&1 || {
  cat "$build_dir/configure.log" >&2
  echo "setup: error: CMake configure failed" >&2
  exit 1
}
NINJA_STATUS="setup: build [%p, %f/%t, %e s] " cmake --build "$build_dir" -j"$(nproc)"
echo "setup: done in $(elapsed). Programs: $build_dir/sds (command line), $build_dir/sds-studio (desktop app)"
