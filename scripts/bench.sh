#!/usr/bin/env bash
# Builds the benchmarks (Release) and runs them against the in-process stand-in service, printing
# markdown tables for docs/benchmarks.md. Progress goes to stderr, the tables to stdout:
#   scripts/bench.sh > /tmp/bench.md
#   SDS_BENCH_BUILD_DIR=dir          build somewhere else (default: build-bench/)
#   BENCH_LATENCY_MS=100             stand-in latency of the throughput runs
#   BENCH_LEVELS=1,4,16,64,128,256   requests in flight to measure
#   BENCH_REQUESTS_PER_SLOT=50       requests per level = in flight × this
#   BENCH_SIZES=1000,10000,100000    rows of the memory runs (the first is the baseline)
#   BENCH_SKIP_SPLIT=1               skip the second throughput run with the stand-in in its own process
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${SDS_BENCH_BUILD_DIR:-$root/build-bench}"
latency="${BENCH_LATENCY_MS:-100}"
levels="${BENCH_LEVELS:-1,4,16,64,128,256}"
per_slot="${BENCH_REQUESTS_PER_SLOT:-50}"
sizes="${BENCH_SIZES:-1000,10000,100000}"

echo "bench: building in $build_dir" >&2
mkdir -p "$build_dir"
cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSDS_GUI=OFF >"$build_dir/configure.log" 2>&1 || {
  cat "$build_dir/configure.log" >&2
  echo "bench: error: CMake configure failed" >&2
  exit 1
}
cmake --build "$build_dir" --target bench_engine_throughput bench_engine_memory -j2 >&2

throughput="$build_dir/bench/bench_engine_throughput"
memory="$build_dir/bench/bench_engine_memory"
throughput_args=(--latency-ms "$latency" --levels "$levels" --requests-per-slot "$per_slot")

cpu_model="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
echo "Run $(date -u +%Y-%m-%dT%H:%MZ) at commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)," \
  "$(nproc) cores (${cpu_model:-unknown CPU}), load average before: $(cut -d' ' -f1-3 /proc/loadavg)."
echo

echo "### Throughput: stand-in in the same process"
echo
echo '```'
echo "$throughput ${throughput_args[*]}"
echo '```'
echo
"$throughput" "${throughput_args[@]}"
echo

if [[ "${BENCH_SKIP_SPLIT:-0}" != 1 ]]; then
  echo "### Throughput: stand-in in a child process (CPU split between engine and stand-in)"
  echo
  echo '```'
  echo "$throughput ${throughput_args[*]} --standin-in-child"
  echo '```'
  echo
  "$throughput" "${throughput_args[@]}" --standin-in-child
  echo
fi

echo "### Peak memory against rows (concurrency 64, latency 0)"
echo
echo '```'
echo "$memory --sizes $sizes --concurrency 64 --latency-ms 0"
echo '```'
echo
"$memory" --sizes "$sizes" --concurrency 64 --latency-ms 0
echo
echo "Load average after: $(cut -d' ' -f1-3 /proc/loadavg)."
