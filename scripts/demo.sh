#!/usr/bin/env bash
# Sets everything up, then generates a small Code Generation dataset with the embedded local model
# (no network, no credentials) into the project folder (~/SyntheticDataStudio, or SDS_PROJECT_DIR).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
build_dir="${SDS_BUILD_DIR:-$root/build}"
exec "$build_dir/sds" generate --template code_generation --provider local --size 10 \
  --seed "Python Basics" --seed "Web Development with Flask" --seed "Algorithms for Operations Research" \
  --name "Demo: code generation with the embedded model" "$@"
