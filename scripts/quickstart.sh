#!/usr/bin/env bash
# The README's first quick-start command: install dependencies, start the local engine and registries,
# and run the main job on local defaults (release the bundled example app into 127.0.0.1:5000).
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --no-audit --no-fund
bash scripts/local-up.sh
npm run --silent release -- "$@"
