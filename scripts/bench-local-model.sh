#!/usr/bin/env bash
# Embedded model: generation speed through the app against the same runtime driven directly, in one run.
# Builds bench_local_model_speed (Release), starts it (the app: LocalProvider → launcher → llama.cpp) and
# bench/local_model_direct.py (xllamacpp in process, the launcher's settings) side by side, sends one
# warm-up request to each, then alternates them, app then direct, for ROUNDS rounds of REQUESTS
# identical requests each. Only one side generates at any time. Prints markdown (median tokens/s per
# side, the ratio app/direct, per-round ratios, where the time goes) on stdout, progress on stderr:
#   scripts/bench-local-model.sh > /tmp/local-model.md
#   SDS_LOCALBENCH_BUILD_DIR=dir   build somewhere else (default: build-localbench/)
#   LOCALBENCH_ROUNDS=5            rounds (each: app REQUESTS, then direct REQUESTS)
#   LOCALBENCH_REQUESTS=4          requests per side per round
#   LOCALBENCH_MAX_TOKENS=128      max_tokens of every request
#   LOCALBENCH_SCHEMA=1            ask for a question/solution JSON object (response_format json_schema),
#                                  as dataset generation does; lengths then end where the JSON ends
# Keep REQUESTS at 2 or more: the app's requests follow each other on one kept-alive connection, and
# only back-to-back requests show what that costs (see docs/benchmarks.md).
# Needs the embedded runtime: scripts/setup-local-model.sh. The raw JSON lines are kept in
# <build dir>/local-model-bench.jsonl.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${SDS_LOCALBENCH_BUILD_DIR:-$root/build-localbench}"
rounds="${LOCALBENCH_ROUNDS:-5}"
per_round="${LOCALBENCH_REQUESTS:-4}"
max_tokens="${LOCALBENCH_MAX_TOKENS:-128}"
schema="${LOCALBENCH_SCHEMA:-0}"
cache="${SDS_CACHE_DIR:-$HOME/.cache/synthetic-data-studio}"
manifest="$cache/local-runtime/current.json"

if [[ ! -f "$manifest" ]]; then
  echo "bench-local-model: error: $manifest not found; install the runtime with: bash $root/scripts/setup-local-model.sh" >&2
  exit 1
fi
runtime_python="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["python"])' "$manifest")"
runtime_name="$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m.get("runtime",""), m.get("model_package",""))' "$manifest")"

echo "bench-local-model: building in $build_dir" >&2
mkdir -p "$build_dir"
cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSDS_GUI=OFF >"$build_dir/configure.log" 2>&1 || {
  cat "$build_dir/configure.log" >&2
  echo "bench-local-model: error: CMake configure failed" >&2
  exit 1
}
cmake --build "$build_dir" --target bench_local_model_speed -j2 >&2

app_bin="$build_dir/bench/bench_local_model_speed"
direct_py="$root/bench/local_model_direct.py"
raw="$build_dir/local-model-bench.jsonl"
: >"$raw"
work="$(mktemp -d)"
app_pid=""
direct_pid=""

cleanup() {
  { exec 3>&- 4<&- 5>&- 6<&-; } 2>/dev/null || true
  for pid in $app_pid $direct_pid; do
    # quit was sent (or the pipes are closed): give each side a moment, then stop it
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Reads one side's JSON lines from fd $1 into the raw file until its batch_done; fails when the side
# exits or says error. Progress (one short line per request) goes to stderr.
collect() {
  local fd="$1" line
  while IFS= read -r -t 1800 -u "$fd" line; do
    printf '%s\n' "$line" >>"$raw"
    case "$line" in
      *'"event":"batch_done"'*) [[ "$line" == *'"ok":true'* ]] && return 0 || return 1 ;;
      *'"event":"error"'*) echo "bench-local-model: $line" >&2 ;;
      *'"event":"request"'*)
        python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print("  %-6s %-7s round %d  %3d tokens  %7.0f ms  %5.1f tok/s  (server %5.0f ms prompt, %6.0f ms decode)" % (d["side"], d["phase"], d["round"], d["completion_tokens"], d["wall_ms"], d["tok_per_s"], d["server_prompt_ms"], d["server_predicted_ms"]), file=sys.stderr)' "$line" ;;
    esac
  done
  echo "bench-local-model: error: a side stopped answering (see $raw and $work/*.err)" >&2
  return 1
}

app_args=(--stdin --max-tokens "$max_tokens")
[[ "$schema" == 1 ]] && app_args+=(--schema)

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
mkfifo "$work/app.in" "$work/app.out" "$work/direct.in" "$work/direct.out"

echo "bench-local-model: starting the app side (LocalProvider → launcher → llama.cpp)" >&2
"$app_bin" "${app_args[@]}" <"$work/app.in" >"$work/app.out" 2>"$work/app.err" &
app_pid=$!
exec 3>"$work/app.in" 4<"$work/app.out"
echo "warmup 1" >&3
collect 4

# The direct side sends the very body the app sent, to the same model with the launcher's settings as
# the launcher reported them (its READY line: slots, context per slot, threads).
direct_settings=()
while IFS= read -r word; do direct_settings+=("$word"); done < <(python3 -c 'import json,sys
body = launcher = None
for line in open(sys.argv[1]):
    d = json.loads(line)
    if d.get("event") == "request_body":
        body = d["body"]
    if d.get("event") == "ready":
        launcher = d.get("launcher")
if body is None:
    sys.exit("no request_body line from the app side")
json.dump(body, open(sys.argv[2], "w"))
if launcher:
    for flag, key in (("--model", "model"), ("--ctx", "ctx_per_slot"), ("--parallel", "parallel"), ("--threads", "threads")):
        print(flag); print(launcher[key])
else:
    print("bench-local-model: warning: the launcher READY line was not found; the direct side uses its defaults", file=sys.stderr)' "$raw" "$work/body.json")

echo "bench-local-model: starting the direct side (xllamacpp in process)" >&2
"$runtime_python" "$direct_py" --stdin --body "$work/body.json" "${direct_settings[@]}" <"$work/direct.in" >"$work/direct.out" 2>"$work/direct.err" &
direct_pid=$!
exec 5>"$work/direct.in" 6<"$work/direct.out"
echo "warmup 1" >&5
collect 6

for ((round = 1; round <= rounds; round++)); do
  echo "bench-local-model: round $round of $rounds" >&2
  echo "run $per_round $round" >&3
  collect 4
  echo "run $per_round $round" >&5
  collect 6
done
echo quit >&3
echo quit >&5
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

cpu_model="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
echo "Run $(date -u +%Y-%m-%dT%H:%MZ) at commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)," \
  "$(nproc) cores (${cpu_model:-unknown CPU}), $runtime_name; load average before: $load_before, after: $load_after."
echo
echo '```'
echo "$app_bin ${app_args[*]}"
echo "$runtime_python $direct_py --stdin --body <the app's request body> ${direct_settings[*]//$cache/<cache>}"
echo "# $rounds rounds × $per_round requests per side, alternating app, direct; 1 warm-up request each"
echo '```'
echo
python3 - "$raw" "$work/body.json" <<'PY'
import json, statistics, sys

rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
body = json.load(open(sys.argv[2]))
reqs = [r for r in rows if r.get("event") == "request" and r["phase"] == "measure"]
sides = ["app", "direct"]
by = {s: [r for r in reqs if r["side"] == s] for s in sides}
med = lambda xs: statistics.median(xs) if xs else float("nan")

def tokens(rs):
    t = sorted({r["completion_tokens"] for r in rs})
    return str(t[0]) if len(t) == 1 else f"{t[0]}–{t[-1]}"

settings = {k: v for k, v in body.items() if k not in ("messages", "model", "grammar", "response_format")}
if "response_format" in body:
    settings["response_format"] = body["response_format"]["type"]
print(f"<!-- request: {len(body['messages'])} messages, {json.dumps(settings)} -->")
print("| side | requests | completion tokens | median wall (ms) | **median tokens/s** | min–max tokens/s "
      "| median server prompt (ms) | median server decode (ms) | median server decode tokens/s "
      "| median wall − server (ms) |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for s in sides:
    rs = by[s]
    tps = [r["tok_per_s"] for r in rs]
    print(f"| {s} | {len(rs)} | {tokens(rs)} | {med([r['wall_ms'] for r in rs]):.0f} | **{med(tps):.2f}** "
          f"| {min(tps):.1f}–{max(tps):.1f} | {med([r['server_prompt_ms'] for r in rs]):.1f} "
          f"| {med([r['server_predicted_ms'] for r in rs]):.0f} "
          f"| {med([r['server_decode_tok_per_s'] for r in rs]):.2f} "
          f"| {med([r.get('overhead_ms', float('nan')) for r in rs]):.1f} |")
print()
ratio = med([r["tok_per_s"] for r in by["app"]]) / med([r["tok_per_s"] for r in by["direct"]])
decode_ratio = med([r["server_decode_tok_per_s"] for r in by["app"]]) / med(
    [r["server_decode_tok_per_s"] for r in by["direct"]])
rounds = sorted({r["round"] for r in reqs})
per_round = []
for n in rounds:
    a = med([r["tok_per_s"] for r in by["app"] if r["round"] == n])
    d = med([r["tok_per_s"] for r in by["direct"] if r["round"] == n])
    per_round.append((n, a, d, a / d))
print(f"**app/direct tokens/s = {ratio:.3f}** (median over all requests), i.e. the app takes "
      f"{(1 / ratio - 1) * 100:+.1f} % time per token (target: at most +5 %, ratio ≥ 0.952).")
print(f"Per-round ratios: {', '.join(f'{x[3]:.3f}' for x in per_round)} "
      f"(median {med([x[3] for x in per_round]):.3f}); decode speed inside llama.cpp, app/direct: {decode_ratio:.3f}.")
app_over = med([r.get("overhead_ms", float("nan")) for r in by["app"]])
dir_over = med([r.get("overhead_ms", float("nan")) for r in by["direct"]])
app_wall = med([r["wall_ms"] for r in by["app"]])
print(f"Time outside llama.cpp's prompt+decode per request: app {app_over:.1f} ms, direct {dir_over:.1f} ms; "
      f"the difference, {app_over - dir_over:.1f} ms, is {100 * (app_over - dir_over) / app_wall:.1f} % of the app's "
      f"median request ({app_wall:.0f} ms).")
first = {sd: med([r.get("overhead_ms", float("nan")) for r in by[sd] if r["i"] == 0]) for sd in sides}
later = {sd: med([r.get("overhead_ms", float("nan")) for r in by[sd] if r["i"] > 0]) for sd in sides}
print(f"Of that, first request of each round (its connection idle while the other side ran): app {first['app']:.1f} ms, "
      f"direct {first['direct']:.1f} ms; the following, back-to-back requests: app {later['app']:.1f} ms, "
      f"direct {later['direct']:.1f} ms.")
print()
print("| round | app median tokens/s | direct median tokens/s | app/direct |")
print("|---:|---:|---:|---:|")
for n, a, d, q in per_round:
    print(f"| {n} | {a:.2f} | {d:.2f} | {q:.3f} |")
counts = {(r["side"], r["completion_tokens"], r["finish_reason"]) for r in reqs}
if len({c[1] for c in counts}) != 1:
    print()
    print(f"WARNING: completion token counts differ between requests: {sorted(counts)}")
PY
echo
echo "Raw JSON lines: $raw" >&2
