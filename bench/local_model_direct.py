#!/usr/bin/env python3
"""Generation speed of the embedded model's runtime driven directly, for comparison with
bench_local_model_speed (the same model through the app).

Run it with the runtime's own python (the "python" of local-runtime/current.json). It loads the same
GGUF with xllamacpp in this process, with the CommonParams that the launcher
(resources/local_server/sds_local_server.py, the copy named by the manifest's "server_script") sets
for the app's LocalServerOptions (--ctx 4096 --parallel 2 --threads 0), the launcher's chat template
and OMP_WAIT_POLICY, and calls server.handle_chat_completions(body) in process: no HTTP, no front
end. The body is the one the app sent (bench_local_model_speed prints it as its "request_body"
line); if it carries response_format, it is rewritten with the launcher's own
rewrite_response_format, as the launcher does before llama.cpp sees it.

Prints one JSON line per request with the same fields as bench_local_model_speed ("side": "direct").

    local_model_direct.py --body body.json [--requests 5] [--warmup 1]
    local_model_direct.py --body body.json --stdin     # commands: warmup N | run N ROUND | quit
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time

SIDE = "direct"

# What LocalProvider asks the launcher for (src/providers/local/LocalServer.h, LocalServerOptions).
APP_CTX_PER_SLOT = 4096
APP_PARALLEL = 2
APP_THREADS = 0  # the launcher then picks half the logical CPUs, clamped to 1..4


def emit(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def manifest_path() -> str:
    cache = os.environ.get("SDS_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache",
                                                            "synthetic-data-studio")
    return os.path.join(cache, "local-runtime", "current.json")


def load_launcher(path: str):
    spec = importlib.util.spec_from_file_location("sds_local_server", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # defines constants and functions only; main() is not run
    return module


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--body", required=True, help="JSON file with the chat request body the app sent")
    ap.add_argument("--manifest", default=manifest_path(), help="local-runtime/current.json")
    ap.add_argument("--model", default="", help="GGUF file (default: the manifest's model)")
    ap.add_argument("--chat-template", default="plain", help="as the launcher's --chat-template (default plain)")
    ap.add_argument("--ctx", type=int, default=APP_CTX_PER_SLOT)
    ap.add_argument("--parallel", type=int, default=APP_PARALLEL)
    ap.add_argument("--threads", type=int, default=APP_THREADS)
    ap.add_argument("--max-tokens", type=int, default=2048, help="launcher's server-side cap (n_predict)")
    ap.add_argument("--requests", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--stdin", action="store_true", help="read 'warmup N' / 'run N ROUND' / 'quit' from stdin")
    args = ap.parse_args(argv)

    with open(args.manifest, encoding="utf-8") as f:
        manifest = json.load(f)
    launcher = load_launcher(manifest["server_script"])
    model = os.path.abspath(args.model or manifest["model"])
    with open(args.body, encoding="utf-8") as f:
        body = json.load(f)
    rewritten = launcher.rewrite_response_format(body)
    if rewritten is not None:
        body = rewritten

    # The launcher's settings (sds_local_server.py main()), for the app's options.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import xllamacpp as xlc

    p = xlc.CommonParams()
    p.model.path = model
    p.hostnames = ["127.0.0.1"]
    p.port = 0
    p.n_parallel = args.parallel
    p.n_ctx = args.ctx * args.parallel
    p.n_predict = args.max_tokens
    threads = args.threads or max(1, min(4, (os.cpu_count() or 2) // 2))
    p.cpuparams.n_threads = threads
    p.cpuparams_batch.n_threads = threads
    p.cache_ram_mib = 256
    p.ui = False
    p.endpoint_props = True
    p.endpoint_metrics = True
    p.use_jinja = True
    template = launcher.resolve_template(args.chat_template)
    if template is not None:
        p.chat_template = template
    p.model_alias = {os.path.splitext(os.path.basename(model))[0]}
    p.verbosity = 0

    t0 = time.monotonic()
    server = xlc.Server(p)
    emit({"side": SIDE, "event": "ready", "start_ms": (time.monotonic() - t0) * 1000.0, "model": model,
          "threads": threads, "parallel": args.parallel, "n_ctx": p.n_ctx, "runtime": manifest.get("runtime")})

    def one(phase: str, rnd: int, index: int) -> bool:
        start = time.perf_counter()
        try:
            answer = server.handle_chat_completions(body)
        except Exception as e:  # noqa: BLE001 - reported as a line
            emit({"side": SIDE, "event": "error", "phase": phase, "message": f"{type(e).__name__}: {e}"})
            return False
        wall_ms = (time.perf_counter() - start) * 1000.0
        if not isinstance(answer, dict) or "choices" not in answer:
            emit({"side": SIDE, "event": "error", "phase": phase, "message": json.dumps(answer)[:300]})
            return False
        usage = answer.get("usage") or {}
        timings = answer.get("timings") or {}
        choice = answer["choices"][0]
        tokens = usage.get("completion_tokens", 0)
        line = {"side": SIDE, "event": "request", "phase": phase, "round": rnd, "i": index,
                "prompt_tokens": usage.get("prompt_tokens", 0), "completion_tokens": tokens,
                "finish_reason": choice.get("finish_reason", ""), "wall_ms": wall_ms,
                "tok_per_s": tokens / (wall_ms / 1000.0) if wall_ms > 0 else 0.0,
                "server_prompt_ms": timings.get("prompt_ms", -1.0),
                "server_predicted_ms": timings.get("predicted_ms", -1.0),
                "server_cached_tokens": timings.get("cache_n", -1.0),
                "server_decode_tok_per_s": timings.get("predicted_per_second", -1.0)}
        if "prompt_ms" in timings and "predicted_ms" in timings:
            line["overhead_ms"] = wall_ms - timings["prompt_ms"] - timings["predicted_ms"]
        line["text_chars"] = len((choice.get("message") or {}).get("content") or "")
        emit(line)
        return True

    def batch(phase: str, rnd: int, count: int) -> bool:
        return all(one(phase, rnd, i) for i in range(count))

    if not args.stdin:
        ok = batch("warmup", 0, args.warmup) and batch("measure", 1, args.requests)
        os._exit(0 if ok else 1)
    for command in sys.stdin:
        words = command.split()
        if not words:
            continue
        verb = words[0]
        if verb == "quit":
            break
        count = int(words[1]) if len(words) > 1 else 1
        rnd = int(words[2]) if len(words) > 2 else 0
        ok = True
        if verb == "warmup":
            ok = batch("warmup", 0, count)
        elif verb == "run":
            ok = batch("measure", rnd, count)
        else:
            emit({"side": SIDE, "event": "error", "phase": "command", "message": f"unknown: {command.strip()}"})
        emit({"side": SIDE, "event": "batch_done", "ok": ok})
        if not ok:
            os._exit(1)
    # As the launcher does: llama.cpp's threads are not joined, exiting is the clean shutdown.
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
