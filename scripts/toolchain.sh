#!/usr/bin/env bash
# Builds the e2e toolchain from published Go modules (scripts/toolchain/versions.env pins every one):
#   pulumi (CLI), pulumi-language-nodejs (our host, scripts/toolchain/pulumi-language-nodejs), the
#   pulumi-resource-pulumi-nodejs and pulumi-analyzer-policy launchers, pulumi-resource-kubernetes
#   (installed as a plugin), kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, the
#   real node's kubelet and kube-proxy, etcd and kwok; and
#   cosign, for the signature interop tests (test/fixtures/signing); actionlint, which checks the
#   GitHub Actions workflows of examples/ci/github; and buildkitd and buildctl, for remote builders
#   (cluster-up.sh runs one buildkitd).
# Output goes to a cache outside the repository: $IMAGE_RELEASE_TOOLCHAIN_DIR, default
# ~/.cache/image-release/toolchain/<12 hex of versions.env>/ (bin/, pulumi-home/, build/, times).
# Idempotent: a component whose inputs (its versions and our sources) are unchanged is skipped. Each
# build prints its wall time, which also goes to <dir>/build-times.tsv.
# scripts/toolchain/env.sh computes the same directory and exports the environment that uses it.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
SRC="$HERE/toolchain"
# shellcheck source=toolchain/versions.env
. "$SRC/versions.env"

say() { printf 'toolchain: %s\n' "$*"; }
die() { printf 'toolchain: %s\n' "$*" >&2; exit 1; }

command -v go >/dev/null || die "go is not on PATH (Go 1.26 is needed to build the e2e toolchain)"
command -v node >/dev/null || die "node is not on PATH"

# shellcheck source=toolchain/env.sh
. "$SRC/env.sh"
DIR="$TOOLCHAIN_DIR"
BIN="$DIR/bin"
mkdir -p "$BIN" "$DIR/build" "$DIR/stamps" "$DIR/logs"

export GOFLAGS=-mod=mod
export GOTOOLCHAIN=local

# inputs_hash <files…>: what decides whether a component is rebuilt (versions.env is always part).
inputs_hash() { cat "$SRC/versions.env" "$@" | sha256sum | cut -c1-16; }

# component NAME HASH OUTPUTS… -- CMD…: run CMD unless the stamp says NAME was built from HASH and
# every output exists.
component() {
  local name=$1 hash=$2
  shift 2
  local outputs=()
  while [ "$1" != "--" ]; do outputs+=("$1"); shift; done
  shift
  local stamp="$DIR/stamps/$name" ok=1
  for o in "${outputs[@]}"; do [ -e "$o" ] || ok=0; done
  if [ "$ok" = 1 ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ]; then
    say "$name: up to date"
    return
  fi
  say "$name: building (log: $DIR/logs/$name.log)"
  local start=$SECONDS
  if ! "$@" >"$DIR/logs/$name.log" 2>&1; then
    tail -30 "$DIR/logs/$name.log" >&2
    die "$name: build failed (full log: $DIR/logs/$name.log)"
  fi
  local took=$((SECONDS - start))
  printf '%s\t%s\t%ss\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$name" "$took" >>"$DIR/build-times.tsv"
  echo "$hash" >"$stamp"
  say "$name: built in ${took}s"
}

# gomod DIR MODULE GO_VERSION: a wrapper module of our own in the cache; requirements follow.
gomod() {
  mkdir -p "$1"
  printf 'module %s\n\ngo %s\n' "$2" "$3" >"$1/go.mod"
}

# --- Pulumi CLI -----------------------------------------------------------------------------------
# pkg/v3's go.mod replaces sdk/v3 with ../sdk and pins a clipboard fork; a dependency's replace lines
# are ignored, so the wrapper requires sdk/v3 at the same release and carries the fork itself.
build_pulumi() {
  local d="$DIR/build/pulumi"
  gomod "$d" image-release.local/toolchain/pulumi 1.25.11
  cat >>"$d/go.mod" <<EOF

require (
	github.com/pulumi/pulumi/pkg/v3 v$PULUMI_VERSION
	github.com/pulumi/pulumi/sdk/v3 v$PULUMI_VERSION
)

replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
EOF
  printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"\n' >"$d/tools.go"
  (cd "$d" && go mod tidy &&
    go build -o "$BIN/pulumi" \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
      github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
}
component pulumi "$(inputs_hash)" "$BIN/pulumi" -- build_pulumi

# --- Node.js language host (ours) -----------------------------------------------------------------
build_langhost() {
  local d="$DIR/build/pulumi-language-nodejs"
  gomod "$d" image-release.local/toolchain/pulumi-language-nodejs 1.25.11
  cat >>"$d/go.mod" <<EOF

require (
	github.com/google/shlex $GOOGLE_SHLEX_VERSION
	github.com/pulumi/pulumi/sdk/v3 v$PULUMI_VERSION
)
EOF
  cp "$SRC/pulumi-language-nodejs/main.go" "$d/main.go"
  (cd "$d" && go mod tidy && go vet . &&
    go build -o "$BIN/pulumi-language-nodejs" -ldflags "-s -w -X main.version=$PULUMI_VERSION" .)
}
component pulumi-language-nodejs "$(inputs_hash "$SRC/pulumi-language-nodejs/main.go")" \
  "$BIN/pulumi-language-nodejs" -- build_langhost

# --- plugin launchers (ours) ----------------------------------------------------------------------
install_launchers() {
  install -m 0755 "$SRC/pulumi-resource-pulumi-nodejs" "$SRC/pulumi-analyzer-policy" "$BIN/"
}
component launchers "$(inputs_hash "$SRC/pulumi-resource-pulumi-nodejs" "$SRC/pulumi-analyzer-policy")" \
  "$BIN/pulumi-resource-pulumi-nodejs" "$BIN/pulumi-analyzer-policy" -- install_launchers

# --- Kubernetes provider --------------------------------------------------------------------------
build_k8s_provider() {
  local d="$DIR/build/pulumi-resource-kubernetes" mod=github.com/pulumi/pulumi-kubernetes/provider/v4
  gomod "$d" image-release.local/toolchain/pulumi-resource-kubernetes 1.24.7
  printf '\nrequire %s %s\n' "$mod" "$KUBERNETES_PROVIDER_MODULE" >>"$d/go.mod"
  cp "$SRC/pulumi-resource-kubernetes/main.go" "$d/main.go"
  local moddir
  moddir=$(cd "$d" && go mod download -json "$mod@$KUBERNETES_PROVIDER_MODULE" |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s).Dir))')
  # The module's committed schema and mapping; upstream embeds copies that `go generate` writes.
  install -m 0644 "$moddir/cmd/pulumi-resource-kubernetes/schema.json" "$d/schema.json"
  install -m 0644 "$moddir/cmd/pulumi-resource-kubernetes/terraform-mapping.json" "$d/terraform-mapping.json"
  (cd "$d" && go mod tidy &&
    go build -o "$DIR/plugins/pulumi-resource-kubernetes" \
      -ldflags "-s -w -X $mod/pkg/version.Version=$KUBERNETES_PROVIDER_VERSION" .)
}
# Not on PATH: the engine would take an ambient binary over the installed plugin (and say so).
component pulumi-resource-kubernetes "$(inputs_hash "$SRC/pulumi-resource-kubernetes/main.go")" \
  "$DIR/plugins/pulumi-resource-kubernetes" -- build_k8s_provider

install_k8s_plugin() {
  "$BIN/pulumi" plugin install resource kubernetes "v$KUBERNETES_PROVIDER_VERSION" \
    --file "$DIR/plugins/pulumi-resource-kubernetes" --reinstall
}
component kubernetes-plugin "$(inputs_hash "$SRC/pulumi-resource-kubernetes/main.go")" \
  "$PULUMI_HOME/plugins/resource-kubernetes-v$KUBERNETES_PROVIDER_VERSION" -- install_k8s_plugin

# --- Kubernetes control plane and kubectl ---------------------------------------------------------
# k8s.io/kubernetes replaces every k8s.io/* staging module with ./staging/…; importing it means
# replacing each with the published v0.<minor>.<patch>. One wrapper module serves two components: the
# control plane (kube-apiserver, kube-controller-manager, kube-scheduler, kubectl) and the real node
# (kubelet, kube-proxy), so a machine that has the first builds only the second.
KUBE_CONTROL_PLANE_CMDS=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
KUBE_NODE_CMDS=(kubelet kube-proxy)
# kubernetes_module: (re)writes the wrapper module; the same bytes every time.
kubernetes_module() {
  local d="$DIR/build/kubernetes" staging="v0.${KUBERNETES_VERSION#1.}" cmd
  gomod "$d" image-release.local/toolchain/kubernetes 1.24.0
  printf '\nrequire k8s.io/kubernetes v%s\n' "$KUBERNETES_VERSION" >>"$d/go.mod"
  local upstream
  upstream=$(cd "$d" && go mod download -json "k8s.io/kubernetes@v$KUBERNETES_VERSION" |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s).GoMod))')
  {
    echo
    echo 'replace ('
    sed -nE 's#^[[:space:]]*(k8s\.io/[a-z0-9-]+) => \./staging/.*#\t\1 => \1 '"$staging"'#p' "$upstream"
    echo ')'
  } >>"$d/go.mod"
  {
    printf '//go:build tools\n\npackage tools\n\nimport (\n'
    for cmd in "${KUBE_CONTROL_PLANE_CMDS[@]}" "${KUBE_NODE_CMDS[@]}"; do printf '\t_ "k8s.io/kubernetes/cmd/%s"\n' "$cmd"; done
    printf ')\n'
  } >"$d/tools.go"
  (cd "$d" && go mod tidy)
}
# build_kubernetes CMD…: builds k8s.io/kubernetes/cmd/<CMD> for each into bin/.
build_kubernetes() {
  kubernetes_module
  # Without the version stamp the servers report v0.0.0-master, and clients (kubectl, the Pulumi
  # provider) gate features on the server version.
  local v="" pkg
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    v="$v -X $pkg.gitVersion=v$KUBERNETES_VERSION -X $pkg.gitMajor=${KUBERNETES_VERSION%%.*}"
    v="$v -X $pkg.gitMinor=$(echo "$KUBERNETES_VERSION" | cut -d. -f2) -X $pkg.gitTreeState=clean"
  done
  (cd "$DIR/build/kubernetes" && go build -ldflags "-s -w$v" -o "$BIN/" "${@/#/k8s.io/kubernetes/cmd/}")
}
component kubernetes "$(inputs_hash)" "${KUBE_CONTROL_PLANE_CMDS[@]/#/$BIN/}" \
  -- build_kubernetes "${KUBE_CONTROL_PLANE_CMDS[@]}"
component kubernetes-node "$(inputs_hash)" "${KUBE_NODE_CMDS[@]/#/$BIN/}" \
  -- build_kubernetes "${KUBE_NODE_CMDS[@]}"

# --- etcd -----------------------------------------------------------------------------------------
# server/v3 replaces its sibling modules with local paths; the wrapper takes their published releases.
build_etcd() {
  local d="$DIR/build/etcd"
  gomod "$d" image-release.local/toolchain/etcd 1.24.0
  printf '\nrequire go.etcd.io/etcd/server/v3 v%s\n' "$ETCD_VERSION" >>"$d/go.mod"
  printf '//go:build tools\n\npackage tools\n\nimport _ "go.etcd.io/etcd/server/v3"\n' >"$d/tools.go"
  (cd "$d" && go mod tidy && go build -ldflags "-s -w" -o "$BIN/etcd" go.etcd.io/etcd/server/v3)
}
component etcd "$(inputs_hash)" "$BIN/etcd" -- build_etcd

# --- kwok -----------------------------------------------------------------------------------------
build_kwok() {
  GOFLAGS= GOBIN="$BIN" go install -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@v$KWOK_VERSION"
}
component kwok "$(inputs_hash)" "$BIN/kwok" -- build_kwok

# kwok acts only through Stage objects. Its module ships the "fast" stages kwokctl uses (a node turns
# Ready and keeps a heartbeat; a Pod turns Running, a Job's Pod Succeeded, a deleted Pod goes away);
# they are joined into one --config file here, from the module cache, not from the repository.
write_kwok_stages() {
  local moddir
  moddir=$(cd "$DIR/build" && GOFLAGS= go mod download -json "sigs.k8s.io/kwok@v$KWOK_VERSION" |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s).Dir))')
  local out="$DIR/kwok-stages.yaml" f
  : >"$out.tmp"
  for f in node/fast/node-initialize.yaml node/heartbeat/node-heartbeat.yaml \
    pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    [ -f "$moddir/kustomize/stage/$f" ] || { echo "kwok v$KWOK_VERSION has no kustomize/stage/$f" >&2; return 1; }
    printf -- '---\n' >>"$out.tmp"
    cat "$moddir/kustomize/stage/$f" >>"$out.tmp"
  done
  mv "$out.tmp" "$out"
}
component kwok-stages "$(inputs_hash)" "$DIR/kwok-stages.yaml" -- write_kwok_stages

# --- cosign ---------------------------------------------------------------------------------------
# For interop tests of image signatures and attestations: what cosign pushes and verifies against the
# local registries. Its go.mod has no replace lines, so `go install …@version` builds it. The -X flags
# are the ones cosign's Makefile sets for `cosign version`; buildDate is the release commit's time as the
# proxy reports it (the Makefile's SOURCE_DATE_EPOCH). The commit hash is not known here and stays unset.
build_cosign() {
  local mod=github.com/sigstore/cosign/v2 rv=sigs.k8s.io/release-utils/version date
  date=$(cd "$DIR/build" && GOFLAGS= go list -m -json "$mod@v$COSIGN_VERSION" |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(new Date(JSON.parse(s).Time).toISOString().replace(/\.\d+Z$/,"Z")))')
  GOFLAGS= GOBIN="$BIN" go install \
    -ldflags "-s -w -X $rv.gitVersion=v$COSIGN_VERSION -X $rv.gitTreeState=clean -X $rv.buildDate=$date" \
    "$mod/cmd/cosign@v$COSIGN_VERSION"
}
component cosign "$(inputs_hash)" "$BIN/cosign" -- build_cosign

# --- actionlint -----------------------------------------------------------------------------------
# Checks the shipped GitHub Actions workflows (examples/ci/github). Its go.mod has no replace lines, so
# `go install …@version` builds it; `actionlint -version` reads the version from the build info.
build_actionlint() {
  GOFLAGS= GOBIN="$BIN" go install -ldflags "-s -w" "github.com/rhysd/actionlint/cmd/actionlint@v$ACTIONLINT_VERSION"
}
component actionlint "$(inputs_hash)" "$BIN/actionlint" -- build_actionlint

# --- BuildKit -------------------------------------------------------------------------------------
# buildkitd and buildctl, for remote builders: cluster-up.sh runs one buildkitd as the stand-in for a
# remote arm64 node. The module's go.mod has `exclude` lines, so `go install …@version` refuses it; a
# wrapper module requires it and copies those lines from the module's own go.mod (as the kubernetes
# wrapper copies its replaces). The -X flags are what `buildctl --version` and the daemon report.
build_buildkit() {
  local d="$DIR/build/buildkit" mod=github.com/moby/buildkit upstream
  gomod "$d" image-release.local/toolchain/buildkit 1.26.8
  printf '\nrequire %s v%s\n' "$mod" "$BUILDKIT_VERSION" >>"$d/go.mod"
  upstream=$(cd "$d" && go mod download -json "$mod@v$BUILDKIT_VERSION" |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s).GoMod))')
  # Both spellings: `exclude a v` lines and an `exclude ( … )` block.
  { echo; sed -nE '/^exclude \($/,/^\)$/p; /^exclude [^(]/p' "$upstream"; } >>"$d/go.mod"
  printf '//go:build tools\n\npackage tools\n\nimport (\n\t_ "%s/cmd/buildctl"\n\t_ "%s/cmd/buildkitd"\n)\n' \
    "$mod" "$mod" >"$d/tools.go"
  (cd "$d" && go mod tidy &&
    go build -ldflags "-s -w -X $mod/version.Version=v$BUILDKIT_VERSION -X $mod/version.Package=$mod" \
      -o "$BIN/" "$mod/cmd/buildkitd" "$mod/cmd/buildctl")
}
component buildkit "$(inputs_hash)" "$BIN/buildkitd" "$BIN/buildctl" -- build_buildkit

"$BIN/pulumi" version >/dev/null || die "the built pulumi does not run"
say "pulumi $("$BIN/pulumi" version), kubernetes plugin v$KUBERNETES_PROVIDER_VERSION, kube $KUBERNETES_VERSION (control plane, kubelet, kube-proxy), etcd $ETCD_VERSION, kwok $KWOK_VERSION, cosign $COSIGN_VERSION, actionlint $ACTIONLINT_VERSION, buildkit $BUILDKIT_VERSION"
say "dir $DIR"
