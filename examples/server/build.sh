#!/usr/bin/env bash
# Builds the example server for linux/amd64 and linux/arm64, byte for byte reproducibly, and copies
# the same bytes into every build context that ships it (git stores each content once).
#   bash examples/server/build.sh            rebuild and update the committed copies
#   bash examples/server/build.sh OUT_DIR    only write OUT_DIR/{amd64,arm64}/server (the test uses this)
# The bytes depend on the Go release, so the one named by go.mod's toolchain line is required.
set -euo pipefail

SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
EXAMPLES="$(dirname "$SRC")"
# Every context whose Dockerfile COPYs rootfs/${TARGETARCH}/server.
CONTEXTS=(hello shop/api shop/worker)
ARCHES=(amd64 arm64)

want="$(sed -n 's/^toolchain //p' "$SRC/go.mod")"
have="$(GOTOOLCHAIN=local go env GOVERSION 2>/dev/null || true)"
if [ "$have" != "$want" ]; then
  echo "build.sh: go.mod names toolchain ${want:-?}, but this machine's go is ${have:-missing}; the committed binaries are $want's bytes" >&2
  exit 1
fi

out="${1:-}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for arch in "${ARCHES[@]}"; do
  mkdir -p "$tmp/$arch"
  # Pinned so a developer's go env cannot change the bytes: no cgo, no paths, no VCS stamp, no build id.
  (cd "$SRC" && env GOTOOLCHAIN=local GOFLAGS= GOWORK=off GOPROXY=off GOEXPERIMENT= \
    CGO_ENABLED=0 GOOS=linux GOARCH="$arch" GOAMD64=v1 GOARM64=v8.0 \
    go build -trimpath -buildvcs=false -ldflags "-s -w -buildid=" -o "$tmp/$arch/server" .)
done

if [ -n "$out" ]; then
  for arch in "${ARCHES[@]}"; do
    mkdir -p "$out/$arch"
    cp "$tmp/$arch/server" "$out/$arch/server"
  done
  exit 0
fi
for ctx in "${CONTEXTS[@]}"; do
  for arch in "${ARCHES[@]}"; do
    mkdir -p "$EXAMPLES/$ctx/rootfs/$arch"
    install -m 0755 "$tmp/$arch/server" "$EXAMPLES/$ctx/rootfs/$arch/server"
  done
done
for arch in "${ARCHES[@]}"; do
  echo "build.sh: linux/$arch $(wc -c <"$tmp/$arch/server") bytes sha256:$(sha256sum "$tmp/$arch/server" | cut -d' ' -f1)"
done
