#!/usr/bin/env bash
# Stops what local-up.sh started. Registry data and the docker data root are kept, so a later
# local-up.sh finds the same images; pass --purge to remove the registry data too.
set -euo pipefail

STATE_DIR="${IMAGE_RELEASE_STATE_DIR:-/var/tmp/image-release-local}"
say() { printf 'local-down: %s\n' "$*"; }

# shellcheck source=stop-pidfile.sh
. "$(dirname "$0")/stop-pidfile.sh"

stop_pidfile "registry 127.0.0.1:5000" "$STATE_DIR/run/registry-5000.pid"
stop_pidfile "registry 127.0.0.1:5001" "$STATE_DIR/run/registry-5001.pid"
stop_pidfile dockerd "$STATE_DIR/run/dockerd.pid"

if [ "${1:-}" = "--purge" ]; then
  rm -rf "$STATE_DIR/registry-5000/data" "$STATE_DIR/registry-5001/data"
  say "removed registry data"
fi
