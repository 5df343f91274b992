#!/usr/bin/env bash
# Starts everything the tests and the local release need, on this machine only (127.0.0.1):
#   - dockerd (the Debian docker.io engine; we always drive it with /usr/bin/docker, the 20.10 client
#     with built-in BuildKit, because /usr/local/bin/docker refuses BuildKit without buildx)
#   - an OCI registry on 127.0.0.1:5000 (anonymous, delete enabled)
#   - an OCI registry on 127.0.0.1:5001 (htpasswd basic auth, delete enabled)
#   - binfmt_misc with qemu-aarch64, so linux/arm64 RUN steps work
# Idempotent: whatever already runs is left alone and reported as such.
set -euo pipefail

STATE_DIR="${IMAGE_RELEASE_STATE_DIR:-/var/tmp/image-release-local}"
DOCKER=/usr/bin/docker
REGISTRY_USER="${IMAGE_RELEASE_TEST_USER:-imagerelease}"
REGISTRY_PASSWORD="${IMAGE_RELEASE_TEST_PASSWORD:-local-only-password}"

say() { printf 'local-up: %s\n' "$*"; }
need_root() {
  if [ "$(id -u)" != 0 ]; then
    echo "local-up: must run as root (it installs packages, starts dockerd and mounts binfmt_misc)" >&2
    exit 1
  fi
}

need_root
mkdir -p "$STATE_DIR"/{docker,registry-5000,registry-5001,logs,run}

# --- packages -------------------------------------------------------------------------------------
missing=()
[ -x /usr/sbin/dockerd ] && [ -x "$DOCKER" ] || missing+=(docker.io)
command -v docker-registry >/dev/null || missing+=(docker-registry)
[ -e /usr/libexec/qemu-binfmt/aarch64-binfmt-P ] || [ -x /usr/bin/qemu-aarch64-static ] || missing+=(qemu-user-static)
command -v htpasswd >/dev/null || missing+=(apache2-utils)
command -v curl >/dev/null || missing+=(curl)
# The bench's peers: skopeo (registry-to-registry copy) and buildah (daemonless multi-arch build).
command -v skopeo >/dev/null || missing+=(skopeo)
command -v buildah >/dev/null || missing+=(buildah)
# gitlab-ci-local (the e2e runs examples/ci/gitlab's pipeline) copies the tracked files with rsync.
command -v rsync >/dev/null || missing+=(rsync)
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing ${missing[*]} from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >"$STATE_DIR/logs/apt.log" 2>&1 || {
    tail -20 "$STATE_DIR/logs/apt.log" >&2
    exit 1
  }
else
  say "packages present: docker.io docker-registry qemu-user-static apache2-utils curl skopeo buildah rsync"
fi

# --- binfmt_misc + qemu-aarch64 -------------------------------------------------------------------
if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  say "mounted binfmt_misc"
fi
if [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
  say "qemu-aarch64 already registered"
else
  conf=/usr/lib/binfmt.d/qemu-aarch64.conf
  if [ -f "$conf" ]; then
    # The F flag makes the kernel open the interpreter now, so it works inside build containers too.
    cat "$conf" >/proc/sys/fs/binfmt_misc/register
  else
    printf '%s' ':qemu-aarch64:M::\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:/usr/bin/qemu-aarch64-static:OCF' \
      >/proc/sys/fs/binfmt_misc/register
  fi
  say "registered qemu-aarch64 in binfmt_misc"
fi

# --- dockerd --------------------------------------------------------------------------------------
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
if "$DOCKER" info >/dev/null 2>&1; then
  say "dockerd already answers"
else
  if alive "$STATE_DIR/run/dockerd.pid"; then
    say "dockerd process exists but does not answer yet; waiting"
  else
    say "starting dockerd (log: $STATE_DIR/logs/dockerd.log)"
    nohup /usr/sbin/dockerd --pidfile "$STATE_DIR/run/dockerd.pid" \
      >"$STATE_DIR/logs/dockerd.log" 2>&1 &
  fi
  for _ in $(seq 1 120); do
    "$DOCKER" info >/dev/null 2>&1 && break
    sleep 0.5
  done
  if ! "$DOCKER" info >/dev/null 2>&1; then
    echo "local-up: dockerd did not answer within 60s; last log lines:" >&2
    tail -20 "$STATE_DIR/logs/dockerd.log" >&2
    exit 1
  fi
  say "dockerd answers ($("$DOCKER" version --format '{{.Server.Version}}'))"
fi

# --- registries -----------------------------------------------------------------------------------
htpasswd_file="$STATE_DIR/registry-5001/htpasswd"
if [ ! -s "$htpasswd_file" ]; then
  htpasswd -Bbn "$REGISTRY_USER" "$REGISTRY_PASSWORD" >"$htpasswd_file"
fi
printf '%s\n%s\n' "$REGISTRY_USER" "$REGISTRY_PASSWORD" >"$STATE_DIR/registry-5001/credentials"
chmod 600 "$STATE_DIR/registry-5001/credentials"

write_registry_config() { # port auth_block
  local port=$1 auth=$2 dir="$STATE_DIR/registry-$1"
  cat >"$dir/config.yml" <<EOF
version: 0.1
log:
  level: warn
  fields:
    service: registry-$port
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:$port
  secret: image-release-local-$port
  headers:
    X-Content-Type-Options: [nosniff]
$auth
EOF
}

start_registry() { # port auth_block
  local port=$1 dir="$STATE_DIR/registry-$1"
  if curl -s -o /dev/null "http://127.0.0.1:$port/v2/"; then
    say "registry on 127.0.0.1:$port already answers"
    return
  fi
  write_registry_config "$@"
  nohup docker-registry serve "$dir/config.yml" >"$STATE_DIR/logs/registry-$port.log" 2>&1 &
  echo $! >"$STATE_DIR/run/registry-$port.pid"
  for _ in $(seq 1 60); do
    curl -s -o /dev/null "http://127.0.0.1:$port/v2/" && break
    sleep 0.25
  done
  if ! curl -s -o /dev/null "http://127.0.0.1:$port/v2/"; then
    echo "local-up: registry on 127.0.0.1:$port did not start; log:" >&2
    tail -20 "$STATE_DIR/logs/registry-$port.log" >&2
    exit 1
  fi
  say "started registry on 127.0.0.1:$port (data: $dir/data)"
}

start_registry 5000 ""
start_registry 5001 "auth:
  htpasswd:
    realm: image-release-local
    path: $htpasswd_file"

code_5000=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:5000/v2/)
code_5001=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:5001/v2/)
say "GET /v2/ -> 127.0.0.1:5000 $code_5000, 127.0.0.1:5001 $code_5001 (401 expected without credentials)"
say "state dir: $STATE_DIR (credentials for 5001 in registry-5001/credentials)"
