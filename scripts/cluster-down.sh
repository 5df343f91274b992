#!/usr/bin/env bash
# Stops what cluster-up.sh started, newest first. etcd's data and the certificates are kept, so a later
# cluster-up.sh finds the same objects; pass --purge to remove the whole cluster state directory.
set -euo pipefail

STATE_DIR="${IMAGE_RELEASE_STATE_DIR:-/var/tmp/image-release-local}"
RUN="$STATE_DIR/run"
say() { printf 'cluster-down: %s\n' "$*"; }

for name in kwok kube-scheduler kube-controller-manager kube-apiserver etcd; do
  pidfile="$RUN/$name.pid"
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    kill "$(cat "$pidfile")"
    for _ in $(seq 1 40); do
      kill -0 "$(cat "$pidfile")" 2>/dev/null || break
      sleep 0.25
    done
    kill -9 "$(cat "$pidfile")" 2>/dev/null || true
    say "stopped $name"
  else
    say "$name was not running"
  fi
  rm -f "$pidfile"
done

if [ "${1:-}" = "--purge" ]; then
  rm -rf "$STATE_DIR/cluster"
  say "removed $STATE_DIR/cluster (etcd data, certificates, kubeconfig)"
fi
