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
# Namespaces of e2e runs that ended more than two hours ago (a killed or failed run leaves its stacks'
# Pods behind): a long-lived cluster would otherwise fill the real node's 110 Pods, and a later run's
# Pods would stay Pending ("Too many pods"). A run in progress is younger than that.
cutoff=$(($(date +%s) - 7200))
stale=$(kubectl get namespaces -o jsonpath='{range .items[*]}{.metadata.name} {.metadata.creationTimestamp}{"\n"}{end}' |
  while read -r name created; do
    case "$name" in
      e2e-*) if [ "$(date -d "$created" +%s)" -lt "$cutoff" ]; then echo "$name"; fi ;;
    esac
  done)
if [ -n "$stale" ]; then
  echo "e2e: deleting $(echo "$stale" | wc -l) namespace(s) of runs older than two hours"
  # shellcheck disable=SC2086
  kubectl delete namespace --wait=false $stale >/dev/null
fi
# With no arguments the whole suite; else what the arguments name (a file, --grep …).
if [ "$#" -eq 0 ] || [ "${1#-}" != "$1" ]; then set -- "test/e2e/**/*.test.ts" "$@"; fi
exec npx mocha --config "${E2E_MOCHARC:-test/e2e/.mocharc.json}" "$@"
