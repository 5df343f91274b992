#!/usr/bin/env bash
# Stops what cluster-up.sh started, newest first. etcd's data and the certificates are kept, so a later
# cluster-up.sh finds the same objects; pass --purge to remove the whole cluster state directory.
set -euo pipefail

STATE_DIR="${IMAGE_RELEASE_STATE_DIR:-/var/tmp/image-release-local}"
RUN="$STATE_DIR/run"
say() { printf 'cluster-down: %s\n' "$*"; }

# shellcheck source=stop-pidfile.sh
. "$(dirname "$0")/stop-pidfile.sh"
for name in kwok kube-scheduler kube-controller-manager kube-apiserver etcd; do
  stop_pidfile "$name" "$RUN/$name.pid"
done

if [ "${1:-}" = "--purge" ]; then
  rm -rf "$STATE_DIR/cluster"
  say "removed $STATE_DIR/cluster (etcd data, certificates, kubeconfig)"
fi
