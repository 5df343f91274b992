#!/usr/bin/env bash
# `npm run e2e`: the README's flows under a real `pulumi up`. Starts (idempotently) dockerd and the
# registries (local-up.sh) and the local Kubernetes API (cluster-up.sh, which builds the toolchain if
# its cache is cold), then runs test/e2e with the toolchain first on PATH. Extra args go to mocha.
set -euo pipefail
cd "$(dirname "$0")/.."
STATE_DIR="${IMAGE_RELEASE_STATE_DIR:-/var/tmp/image-release-local}"
bash scripts/local-up.sh
bash scripts/cluster-up.sh
# The stacks' program starts from dist/ when it was built from this src/ (bin/program.js): build it once
# here, so no `pulumi up` of the suite type-checks src/ again (copyCheckout copies dist/ too).
npm run build >/dev/null
# shellcheck source=toolchain/env.sh
. scripts/toolchain/env.sh
export KUBECONFIG="$STATE_DIR/cluster/kubeconfig"
# With no arguments the whole suite; else what the arguments name (a file, --grep …).
if [ "$#" -eq 0 ] || [ "${1#-}" != "$1" ]; then set -- "test/e2e/**/*.test.ts" "$@"; fi
exec npx mocha --config "${E2E_MOCHARC:-test/e2e/.mocharc.json}" "$@"
