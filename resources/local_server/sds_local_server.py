#!/usr/bin/env python3
"""Synthetic Data Studio - embedded local model server.

Started by the C++ app as a child process (the venv python and a copy of this
script are recorded in ``local-runtime/current.json`` by
``scripts/setup-local-model.sh``). It loads a GGUF model with xllamacpp
(llama.cpp's native C++ server, in-process, listening on an internal
127.0.0.1 ephemeral port) and serves its OpenAI-compatible HTTP API on
HOST:PORT through a thin pass-through front end:

    GET  /health               503 while loading, 200 {"status":"ok"} once loaded
    GET  /v1/models            the loaded model (id = --alias)
    POST /v1/chat/completions  OpenAI chat completions (also streaming); the reply
                               carries "usage" token counts
    ... every other llama.cpp endpoint is forwarded unchanged.

Why a front end: llama.cpp turns ``response_format: json_schema`` into a GBNF
grammar whose JSON whitespace is free, and small models then emit runs of
"\\n \\t \\t ..." until max_tokens (invalid JSON, and GBNF rejection sampling
over Gemma's 262k vocabulary drops speed to ~3 tok/s). The front end rewrites
``response_format`` {json_schema|json_object} into an LLGuidance grammar
(``%llguidance`` + ``%json`` with fixed ", " / ": " separators), which is
still strict schema-constrained decoding but with compact whitespace. If that
grammar is rejected the original request is retried unchanged.
``--no-json-rewrite`` turns this off.

stdout protocol (one line, flushed, when the model is loaded and /health is 200):
    SDS_LOCAL_SERVER_READY {"url": "http://127.0.0.1:PORT", "port": PORT, ...}
stderr: "sds_local_server: ..." one-liners (+ llama.cpp logs with --verbose).

Exit codes: 0 = stopped by SIGTERM/SIGINT or because the parent died,
2 = bad arguments, 3 = model file missing, 4 = port unavailable,
5 = runtime failed to import / load the model / start.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import struct
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

EXIT_OK = 0
EXIT_BAD_ARGS = 2
EXIT_MODEL_MISSING = 3
EXIT_PORT = 4
EXIT_RUNTIME = 5

PROG = "sds_local_server"

# Gemma 3 chat template (the turn format of google/gemma-3-*-it). The packaged
# GGUF is the *base* gemma-3-270m and carries no tokenizer.chat_template, in
# which case llama.cpp would fall back to ChatML (<|im_start|>), which Gemma's
# tokenizer does not know. BOS is added by the tokenizer, so it is not here.
GEMMA_TEMPLATE = (
    "{%- if messages[0]['role'] == 'system' -%}"
    "{%- set first_user_prefix = messages[0]['content'] + '\\n\\n' -%}"
    "{%- set loop_messages = messages[1:] -%}"
    "{%- else -%}"
    "{%- set first_user_prefix = '' -%}"
    "{%- set loop_messages = messages -%}"
    "{%- endif -%}"
    "{%- for message in loop_messages -%}"
    "{%- if message['role'] == 'assistant' -%}{%- set role = 'model' -%}"
    "{%- else -%}{%- set role = message['role'] -%}{%- endif -%}"
    "{{- '<start_of_turn>' + role + '\\n' + (first_user_prefix if loop.first else '') -}}"
    "{{- message['content'] | trim -}}"
    "{{- '<end_of_turn>\\n' -}}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- '<start_of_turn>model\\n' -}}{%- endif -%}"
)

# Plain-text layout (messages separated by blank lines) for base models. The
# default: with the base gemma-3-270m it gave 8/8 on-topic rows vs 4/8 with the
# Gemma turn template in our measurements (docs/local-model.md).
PLAIN_TEMPLATE = (
    "{%- for message in messages -%}"
    "{{- message['content'] | trim + '\\n\\n' -}}"
    "{%- endfor -%}"
)

BUILTIN_TEMPLATES = {"gemma": GEMMA_TEMPLATE, "plain": PLAIN_TEMPLATE}

# GGUF value types (ggml's gguf.h): the fixed sizes, and the two variable-length ones.
GGUF_FIXED_SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
GGUF_STRING, GGUF_ARRAY = 8, 9

CHAT_PATHS = {"/v1/chat/completions", "/chat/completions", "/v1/completions", "/completions", "/completion"}
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
              "transfer-encoding", "upgrade", "content-length", "host"}


def log(message: str) -> None:
    sys.stderr.write(f"{PROG}: {message}\n")
    sys.stderr.flush()


def die(code: int, message: str):
    log(f"error: {message}")
    os._exit(code)


def parse_args(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog=PROG, description="Local OpenAI-compatible model server (xllamacpp).")
    ap.add_argument("--model", required=True, help="path to the .gguf model file")
    ap.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    ap.add_argument("--port", type=int, required=True, help="TCP port; 0 = pick a free one (see READY line)")
    ap.add_argument("--ctx", type=int, default=4096,
                    help="context tokens PER SLOT (prompt + completion); total KV = ctx * parallel (default 4096)")
    ap.add_argument("--parallel", type=int, default=1, help="concurrent request slots (default 1)")
    ap.add_argument("--threads", type=int, default=0,
                    help="CPU threads; 0 (default) = half the logical CPUs, 1..4 (1 on a 2-core machine)")
    ap.add_argument("--parent-pid", type=int, default=0, help="exit when this process dies")
    ap.add_argument("--max-tokens", type=int, default=2048,
                    help="server-side cap on generated tokens per request (default 2048)")
    ap.add_argument("--chat-template", default="auto",
                    help="'auto' (default: the GGUF's own template when it has one, as instruction-tuned "
                         "models do, else 'plain'), 'plain' (messages joined by blank lines; best for the "
                         "base gemma-3-270m), 'gemma' (<start_of_turn> turns, for -it models), 'model' (the "
                         "GGUF's own template, else llama.cpp's ChatML fallback) or a Jinja file path")
    ap.add_argument("--alias", default="", help="model id reported by /v1/models (default: file stem)")
    ap.add_argument("--no-json-rewrite", action="store_true",
                    help="forward response_format to llama.cpp unchanged (GBNF, free whitespace)")
    ap.add_argument("--verbose", action="store_true", help="let llama.cpp log to stderr")
    args = ap.parse_args(argv)
    if not (0 <= args.port <= 65535):
        ap.error("--port must be 0..65535")
    if args.ctx < 256:
        ap.error("--ctx must be >= 256")
    if args.parallel < 1:
        ap.error("--parallel must be >= 1")
    if args.threads < 0:
        ap.error("--threads must be >= 0")
    return args


# ---------------------------------------------------------------- parent watch
def set_pdeathsig() -> None:
    """Linux: have the kernel SIGKILL us as soon as the parent exits.

    NB: the kernel fires this when the *thread* that spawned us exits, so the
    app must start this process from a long-lived thread (the GUI thread).
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    except Exception:  # pragma: no cover - best effort
        pass


def pid_alive(pid: int) -> bool:
    if sys.platform == "win32":
        import ctypes

        SYNCHRONIZE = 0x00100000
        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        handle = kernel32.OpenProcess(SYNCHRONIZE, False, pid)
        if not handle:
            return False
        try:
            return kernel32.WaitForSingleObject(handle, 0) == 0x102  # WAIT_TIMEOUT
        finally:
            kernel32.CloseHandle(handle)
    try:
        os.kill(pid, 0)  # never on Windows: there it terminates the process
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def watch_parent(parent_pid: int, original_ppid: int) -> None:
    while True:
        time.sleep(0.5)
        gone = not pid_alive(parent_pid)
        # Reparented (to init or a subreaper) => the parent is gone even if its
        # pid is still a not-yet-reaped zombie.
        if not gone and sys.platform != "win32" and original_ppid == parent_pid \
                and os.getppid() != parent_pid:
            gone = True
        if gone:
            log(f"parent process {parent_pid} exited; shutting down")
            os._exit(EXIT_OK)


# ---------------------------------------------------------------- request rewrite
def rewrite_response_format(req: dict) -> dict | None:
    """Return a copy of an OpenAI request whose response_format is replaced by
    an equivalent LLGuidance grammar with compact whitespace, or None."""
    rf = req.get("response_format")
    if not isinstance(rf, dict) or "grammar" in req or "json_schema" in req:
        return None
    kind = rf.get("type")
    if kind == "json_schema":
        js = rf.get("json_schema")
        schema = js.get("schema") if isinstance(js, dict) else None
        if schema is None:
            schema = rf.get("schema")
    elif kind == "json_object":
        schema = rf.get("schema") or {"type": "object"}
    else:
        return None
    if not isinstance(schema, dict):
        return None
    schema = dict(schema)
    guidance = dict(schema.get("x-guidance") or {})
    guidance.setdefault("whitespace_flexible", False)
    guidance.setdefault("lenient", True)  # ignore unknown "format"s etc. instead of failing
    guidance.setdefault("item_separator", ", ")
    guidance.setdefault("key_separator", ": ")
    schema["x-guidance"] = guidance
    out = dict(req)
    del out["response_format"]
    out["grammar"] = "%llguidance {}\nstart: %json " + json.dumps(schema, ensure_ascii=False)
    return out


def _starts_with(reply: bytes, first: str) -> bool:
    try:
        obj = json.loads(reply)
        choice = obj["choices"][0]
        text = choice["message"]["content"] if "message" in choice else choice.get("text", "")
    except (ValueError, KeyError, IndexError, TypeError):
        return True  # not a completion we understand: pass it through
    return not isinstance(text, str) or text.lstrip()[:1] in ("", first)


# ---------------------------------------------------------------- front end
class State:
    def __init__(self) -> None:
        self.upstream: tuple[str, int] | None = None  # set once the model is loaded
        self.json_rewrite = True


STATE = State()


class FrontEnd(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = sys.platform != "win32"  # on Windows it would allow port stealing
    request_queue_size = 64

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if not isinstance(exc, (BrokenPipeError, ConnectionResetError, TimeoutError)):
            log(f"request from {client_address[0]} failed: {type(exc).__name__}: {exc}")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "sds-local-server"
    # Headers and body go out in two writes; with Nagle on, a kept-alive connection waits ~40 ms for
    # the delayed ACK of the first (docs/benchmarks.md, "Embedded model: app vs runtime").
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):  # quiet
        pass

    def do_GET(self):
        self._forward()

    def do_POST(self):
        self._forward()

    def do_PUT(self):
        self._forward()

    def do_DELETE(self):
        self._forward()

    def do_OPTIONS(self):
        self._forward()

    def _send_json(self, status: int, obj: dict) -> None:
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _forward(self) -> None:
        if STATE.upstream is None:
            self._send_json(503, {"error": {"code": 503, "message": "Loading model", "type": "unavailable_error"}})
            return
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self._send_json(411, {"error": {"code": 411, "message": "Content-Length required",
                                            "type": "invalid_request_error"}})
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        path = self.path.split("?", 1)[0]

        bodies = [body]
        expect_first = None  # "{" / "[" the constrained reply must start with
        if STATE.json_rewrite and self.command == "POST" and path in CHAT_PATHS and body:
            try:
                req = json.loads(body)
                rewritten = rewrite_response_format(req) if isinstance(req, dict) else None
            except ValueError:
                rewritten = None
            if rewritten is not None:
                bodies = [json.dumps(rewritten).encode(), body]
                if not req.get("stream"):
                    rf = req["response_format"]
                    schema = (rf.get("json_schema") or {}).get("schema") or rf.get("schema") or {}
                    kind = schema.get("type", "object") if isinstance(schema, dict) else None
                    expect_first = {"object": "{", "array": "["}.get(kind) if rf.get("type") == "json_schema" else "{"

        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        for attempt, payload in enumerate(bodies):
            conn = http.client.HTTPConnection(*STATE.upstream, timeout=None)
            try:
                hdrs = dict(headers)
                if payload or self.command in ("POST", "PUT"):
                    hdrs["Content-Length"] = str(len(payload))
                conn.request(self.command, self.path, body=payload or None, headers=hdrs)
                resp = conn.getresponse()
                if attempt + 1 < len(bodies):
                    if resp.status in (400, 500):
                        detail = resp.read()[:300]
                        log(f"grammar rewrite rejected ({resp.status}: {detail!r}); retrying with response_format")
                        continue
                    if expect_first and resp.status == 200:
                        # llama.cpp only logs LLGuidance compile errors and then
                        # samples UNCONSTRAINED; detect that and fall back.
                        data = resp.read()
                        if not _starts_with(data, expect_first):
                            log("LLGuidance grammar not applied (see llama.cpp log); retrying with response_format")
                            continue
                        self._send_bytes(resp, data)
                        return
                self._relay(resp)
                return
            except (BrokenPipeError, ConnectionResetError):
                return  # client went away; closing conn aborts the upstream request
            except OSError as e:
                try:
                    self._send_json(502, {"error": {"code": 502, "message": f"upstream error: {e}",
                                                    "type": "server_error"}})
                except OSError:
                    pass
                return
            finally:
                conn.close()

    def _send_bytes(self, resp: http.client.HTTPResponse, data: bytes) -> None:
        self.send_response(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() not in HOP_BY_HOP:
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _relay(self, resp: http.client.HTTPResponse) -> None:
        self.send_response(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() not in HOP_BY_HOP:
                self.send_header(k, v)
        clen = resp.getheader("Content-Length")
        if clen is not None and resp.getheader("Transfer-Encoding") is None:
            data = resp.read()
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        # streaming (SSE) or unknown length: re-chunk as it arrives
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        while True:
            chunk = resp.read1(65536)
            if not chunk:
                break
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


# ---------------------------------------------------------------- helpers
def gguf_chat_template(path: str) -> str | None:
    """The tokenizer.chat_template of a GGUF file (v2/v3 header), or None when it has none.

    Reads the key/value header only; arrays (the vocabulary) are skipped by seeking."""
    with open(path, "rb") as f:
        file_size = os.fstat(f.fileno()).st_size

        def read(fmt: str):
            size = struct.calcsize(fmt)
            data = f.read(size)
            if len(data) != size:
                raise ValueError("truncated GGUF header")
            return struct.unpack(fmt, data)

        def read_string() -> bytes:
            (length,) = read("<Q")
            data = f.read(length)
            if len(data) != length:
                raise ValueError("truncated GGUF header")
            return data

        def skip_value(kind: int) -> None:
            if kind in GGUF_FIXED_SIZES:
                f.seek(GGUF_FIXED_SIZES[kind], os.SEEK_CUR)
            elif kind == GGUF_STRING:
                (length,) = read("<Q")
                f.seek(length, os.SEEK_CUR)
            elif kind == GGUF_ARRAY:
                item_kind, count = read("<IQ")
                if item_kind in GGUF_FIXED_SIZES:
                    f.seek(GGUF_FIXED_SIZES[item_kind] * count, os.SEEK_CUR)
                else:
                    for _ in range(count):
                        skip_value(item_kind)
            else:
                raise ValueError(f"unknown GGUF value type {kind}")

        if f.read(4) != b"GGUF":
            raise ValueError("not a GGUF file")
        (version,) = read("<I")
        if version < 2:
            raise ValueError(f"GGUF version {version} is not supported")
        _tensors, kv_count = read("<QQ")
        for _ in range(kv_count):
            key = read_string()
            (kind,) = read("<I")
            if key == b"tokenizer.chat_template" and kind == GGUF_STRING:
                return read_string().decode("utf-8", errors="replace")
            skip_value(kind)
            if f.tell() > file_size:
                raise ValueError("truncated GGUF header")
    return None


def resolve_template(name: str, model: str) -> str | None:
    """The Jinja template to set, or None to keep the GGUF's own."""
    if name == "auto":
        # An instruction-tuned GGUF brings its own turn format; a base model (like the packaged
        # gemma-3-270m) has none, and llama.cpp's ChatML fallback is unknown to it.
        try:
            return None if gguf_chat_template(model) else PLAIN_TEMPLATE
        except (OSError, ValueError) as e:
            log(f"cannot read the chat template of {model} ({e}); using 'plain'")
            return PLAIN_TEMPLATE
    if name == "model":
        return None
    if name in BUILTIN_TEMPLATES:
        return BUILTIN_TEMPLATES[name]
    try:
        with open(name, encoding="utf-8") as f:
            return f.read()
    except OSError as e:
        die(EXIT_BAD_ARGS, f"cannot read --chat-template file {name}: {e.strerror}")


def wait_healthy(base_url: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base_url + "/health", timeout=2) as r:
                if r.status == 200:
                    return True
        except Exception:
            pass
        time.sleep(0.05)
    return False


# ---------------------------------------------------------------- main
def main(argv: list[str]) -> int:
    args = parse_args(argv)
    STATE.json_rewrite = not args.no_json_rewrite

    if args.parent_pid > 0:
        set_pdeathsig()
        original_ppid = os.getppid()
        if not pid_alive(args.parent_pid):
            die(EXIT_OK, f"parent process {args.parent_pid} is not running")
        threading.Thread(target=watch_parent, args=(args.parent_pid, original_ppid), daemon=True).start()

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    model = os.path.abspath(args.model)
    if not os.path.isfile(model):
        die(EXIT_MODEL_MISSING, f"model file not found: {model}")

    # Bind the public port first: a taken port fails in milliseconds, and
    # /health can answer 503 while the model loads.
    try:
        front = FrontEnd((args.host, args.port), Handler)
    except OSError as e:
        die(EXIT_PORT, f"port {args.port} on {args.host} is not available ({e.strerror or e})")
    port = front.server_address[1]
    url_host = f"[{args.host}]" if ":" in args.host else args.host
    threading.Thread(target=front.serve_forever, kwargs={"poll_interval": 0.25}, daemon=True).start()

    # llama.cpp's OpenMP workers spin-wait by default; when another process
    # holds a core (a compiler, the GUI) a 2-thread decode on 2 cores dropped
    # from ~50 to ~2 tok/s. PASSIVE (or 1 thread) keeps it at ~25-40 tok/s.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        import xllamacpp as xlc
    except Exception as e:
        die(EXIT_RUNTIME, f"cannot import xllamacpp ({type(e).__name__}: {e}); run scripts/setup-local-model.sh")

    p = xlc.CommonParams()
    p.model.path = model
    p.hostnames = ["127.0.0.1"]
    p.port = 0  # internal, ephemeral
    p.n_parallel = args.parallel
    p.n_ctx = args.ctx * args.parallel  # llama.cpp splits n_ctx evenly across slots
    p.n_predict = args.max_tokens  # caps max_tokens of every request
    threads = args.threads or max(1, min(4, (os.cpu_count() or 2) // 2))
    p.cpuparams.n_threads = threads
    p.cpuparams_batch.n_threads = threads
    p.cache_ram_mib = 256  # host-RAM prompt cache (llama.cpp default: 8 GiB)
    p.ui = False
    p.endpoint_props = True
    p.endpoint_metrics = True
    p.use_jinja = True
    template = resolve_template(args.chat_template, model)
    if template is not None:
        p.chat_template = template
    alias = args.alias or os.path.splitext(os.path.basename(model))[0]
    p.model_alias = {alias}
    if not args.verbose:
        p.verbosity = 0

    t0 = time.monotonic()
    try:
        # Blocks until the model is loaded and llama.cpp's HTTP is up. It holds
        # the GIL meanwhile, so /health requests made during the load are
        # answered only when it returns (the kernel queues the connections).
        server = xlc.Server(p)
    except Exception as e:
        die(EXIT_RUNTIME, f"failed to load model {model} or start llama.cpp ({e})")
    upstream = server.listening_address  # "http://127.0.0.1:NNNNN"
    up_host, up_port = upstream.split("//", 1)[1].rsplit(":", 1)
    if not wait_healthy(upstream, 60):
        die(EXIT_RUNTIME, f"llama.cpp at {upstream} did not become healthy")
    STATE.upstream = (up_host, int(up_port.rstrip("/")))
    load_s = time.monotonic() - t0

    ready = {"url": f"http://{url_host}:{port}", "port": port, "model": model, "alias": alias,
             "ctx_per_slot": args.ctx, "parallel": args.parallel, "threads": threads, "json_rewrite": STATE.json_rewrite,
             "load_seconds": round(load_s, 3), "pid": os.getpid()}
    sys.stdout.write("SDS_LOCAL_SERVER_READY " + json.dumps(ready) + "\n")
    sys.stdout.flush()

    while not stop.wait(0.5):
        pass
    log("stopping")
    # llama.cpp's threads are not joined: exiting the process is the fastest
    # clean shutdown and frees the port at once.
    os._exit(EXIT_OK)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
