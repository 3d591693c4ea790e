#!/usr/bin/env bash
# Sets everything up, builds with warnings as errors, and runs every test (unit, integration against
# the stand-in provider service, the embedded model end to end, GUI offscreen). The tests run under
# strace (programs started and files opened only), and scripts/check_debian_packages.py then fails if
# the build or the tests used a file from a Debian package that scripts/setup.sh does not install.
#   SDS_SKIP_PACKAGE_CHECK=1   run the tests without strace and without the package check
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export SDS_BUILD_DIR="${SDS_BUILD_DIR:-$root/build}"
export SDS_CMAKE_ARGS="${SDS_CMAKE_ARGS:--DSDS_WARNINGS_AS_ERRORS=ON}"
# Debian's programs first (python3 above all), so the tests use what scripts/setup.sh installs and not
# whatever else this machine has on its PATH.
export PATH="/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
"$root/scripts/setup.sh"
export QT_QPA_PLATFORM=offscreen
cd "$SDS_BUILD_DIR"
if [[ "${SDS_SKIP_PACKAGE_CHECK:-0}" == 1 ]]; then
  exec ctest --output-on-failure --timeout 600 -j2 "$@"
fi
trace="$SDS_BUILD_DIR/tests-strace.log"
rm -f "$trace"
status=0
strace -f -qq --seccomp-bpf -e trace=execve,openat -e status=successful -o "$trace" \
  ctest --output-on-failure --timeout 600 -j2 "$@" || status=$?
/usr/bin/python3 "$root/scripts/check_debian_packages.py" --build-dir "$SDS_BUILD_DIR" --trace "$trace" \
  --allow "${SDS_CACHE_DIR:-$HOME/.cache/synthetic-data-studio}" || status=1
rm -f "$trace"
exit "$status"
