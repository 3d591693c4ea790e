#!/usr/bin/env bash
# Runs the README's commands on a bare Debian 12 system, the way a new user's machine starts: debootstraps
# a minimal Debian 12 (bookworm) into a folder, clones this checkout's HEAD into it, and runs
# scripts/demo.sh (and, with --tests, scripts/test.sh) there as root. Nothing installed on this machine
# can hide a missing line in scripts/debian-packages.txt. Each step's time is printed.
#   scripts/fresh-machine.sh [--tests] [--keep]
#   SDS_FRESH_ROOT=dir     where the bare system goes (default /var/tmp/sds-fresh-machine)
#   SDS_FRESH_CCACHE=dir   share this ccache folder with the bare system (faster, not a first-run time)
# Needs root (debootstrap, chroot, mounts) and Debian's package mirror, read from this machine's apt
# sources.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fresh="${SDS_FRESH_ROOT:-/var/tmp/sds-fresh-machine}"
run_tests=0
keep=0
for argument in "$@"; do
  case "$argument" in
    --tests) run_tests=1 ;;
    --keep) keep=1 ;;
    *) echo "fresh-machine: error: unknown argument '$argument' (use --tests, --keep)" >&2; exit 2 ;;
  esac
done
[[ $(id -u) -eq 0 ]] || { echo "fresh-machine: error: run as root (debootstrap and chroot need it)" >&2; exit 2; }

step_started=$SECONDS
step() {
  echo "fresh-machine: [$(date -u +%H:%M:%S)] $*"
  step_started=$SECONDS
}
step_done() { echo "fresh-machine: ... $(((SECONDS - step_started) / 60)) min $(((SECONDS - step_started) % 60)) s"; }

mirror="$(sed -n 's/^URIs: *\([^ ]*\/debian\)$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)"
[[ -n "$mirror" ]] || mirror="$(sed -n 's/^deb \([^ ]*\/debian\) bookworm .*/\1/p' /etc/apt/sources.list 2>/dev/null | head -1)"
[[ -n "$mirror" ]] || { echo "fresh-machine: error: no Debian mirror found in /etc/apt/sources*" >&2; exit 1; }

unmount_all() {
  for mount in dev/pts dev proc sys work/ccache; do
    mountpoint -q "$fresh/$mount" 2>/dev/null && umount -l "$fresh/$mount" || true
  done
}
cleanup() {
  unmount_all
  if [[ $keep -eq 0 ]]; then rm -rf "$fresh"; fi
}
trap cleanup EXIT

unmount_all
rm -rf "$fresh"
if ! command -v debootstrap >/dev/null; then
  step "installing debootstrap on this machine"
  apt-get install -y -q --no-install-recommends debootstrap >/dev/null
fi
step "debootstrap a minimal Debian 12 into $fresh"
debootstrap --variant=minbase bookworm "$fresh" "$mirror" >/tmp/sds-fresh-debootstrap.log 2>&1 || {
  tail -20 /tmp/sds-fresh-debootstrap.log >&2
  echo "fresh-machine: error: debootstrap failed (see /tmp/sds-fresh-debootstrap.log)" >&2
  exit 1
}
step_done
echo "fresh-machine: the bare system has $(chroot "$fresh" dpkg-query -W -f='.\n' | wc -l) packages"

mount --bind /dev "$fresh/dev"
mount --bind /dev/pts "$fresh/dev/pts"
mount -t proc proc "$fresh/proc"
mount -t sysfs sysfs "$fresh/sys"
cp /etc/resolv.conf "$fresh/etc/resolv.conf"
# debootstrap writes a one-line sources.list; add the same updates and security suites as this machine.
if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
  cp /etc/apt/sources.list.d/debian.sources "$fresh/etc/apt/sources.list.d/" && rm -f "$fresh/etc/apt/sources.list"
fi

mkdir -p "$fresh/work"
git -C "$root" rev-parse HEAD >/dev/null
git clone -q --no-hardlinks "$root" "$fresh/work/sds"
echo "fresh-machine: cloned $(git -C "$root" rev-parse --short HEAD) (uncommitted changes are not included)"
# A network that inspects TLS (this machine's, for one) signs with its own authority: hand pip the same
# bundle this machine trusts. A new user's machine needs nothing of the kind.
network_env=()
host_ca_bundle="${PIP_CERT:-${SSL_CERT_FILE:-}}"
if [[ -n "$host_ca_bundle" && -f "$host_ca_bundle" ]]; then
  cp "$host_ca_bundle" "$fresh/etc/host-ca-bundle.crt"
  network_env=(PIP_CERT=/etc/host-ca-bundle.crt)
fi
ccache_env=()
if [[ -n "${SDS_FRESH_CCACHE:-}" ]]; then
  mkdir -p "$fresh/work/ccache"
  mount --bind "$SDS_FRESH_CCACHE" "$fresh/work/ccache"
  ccache_env=(CCACHE_DIR=/work/ccache CCACHE_BASEDIR=/work CCACHE_NOHASHDIR=true)
fi

in_fresh() {
  chroot "$fresh" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 TERM=dumb "${network_env[@]}" "${ccache_env[@]}" "$@"
}

step "scripts/demo.sh (the README's first command) on the bare system"
in_fresh bash -c 'cd /work/sds && scripts/demo.sh' 2>&1 | tee /tmp/sds-fresh-demo.log
demo_status=${PIPESTATUS[0]}
step_done
[[ $demo_status -eq 0 ]] || { echo "fresh-machine: error: scripts/demo.sh failed on the bare system (exit $demo_status)" >&2; exit 1; }

if [[ $run_tests -eq 1 ]]; then
  step "scripts/test.sh (the README's second command) on the bare system"
  in_fresh bash -c 'cd /work/sds && scripts/test.sh' 2>&1 | tee /tmp/sds-fresh-test.log
  test_status=${PIPESTATUS[0]}
  step_done
  [[ $test_status -eq 0 ]] || { echo "fresh-machine: error: scripts/test.sh failed on the bare system (exit $test_status)" >&2; exit 1; }
fi
echo "fresh-machine: passed in $((SECONDS / 60)) min $((SECONDS % 60)) s"
