#!/usr/bin/env bash
# Starts a local Kubernetes API for the e2e, on 127.0.0.1 only, from the binaries scripts/toolchain.sh
# built (it runs toolchain.sh first, which is a no-op when the cache is warm):
#   - etcd                      127.0.0.1:23790 (data in the state dir)
#   - kube-apiserver            https://127.0.0.1:16443 (certificates and service-account keys made here
#                               with openssl, kept in the state dir)
#   - kube-controller-manager   Deployments -> ReplicaSets -> Pods, Jobs, namespaces, service accounts
#   - kube-scheduler            binds Pods to the nodes
#   - kwok                      one fake node, kwok-node-0 (linux/amd64), whose Pods turn Running and
#                               whose Job Pods turn Succeeded. It is tainted kwok.x-k8s.io/node=fake:
#                               NoSchedule, so only Pods that tolerate that land there (a namespace
#                               annotated for kwok: see KWOK_ADMISSION)
#   - a real node, real-node-0  containerd (CRI), kubelet and kube-proxy: see scripts/cluster-node.sh
#   - buildkitd                 tcp://127.0.0.1:12340, the stand-in for a remote arm64 builder (README
#                               "Remote builders"): its OCI worker builds linux/amd64 and, through the
#                               qemu binfmt handler local-up.sh registers, linux/arm64; state in the
#                               state dir, its cache kept under 2 GB
# Writes the admin kubeconfig to $STATE_DIR/cluster/kubeconfig. Idempotent: whatever already answers
# with the same flags is left alone and reported; a process whose flags changed is restarted.
# scripts/cluster-down.sh stops it (--purge also removes etcd's data).
# IMAGE_RELEASE_PORT_OFFSET (default 0) moves every port, so a second cluster (its own
# IMAGE_RELEASE_STATE_DIR) can run beside the shared one; only one real node runs per machine.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
STATE_DIR="${IMAGE_RELEASE_STATE_DIR:-/var/tmp/image-release-local}"
C="$STATE_DIR/cluster"
PKI="$C/pki"
LOGS="$STATE_DIR/logs"
RUN="$STATE_DIR/run"
OFFSET="${IMAGE_RELEASE_PORT_OFFSET:-0}"
port() { echo $(($1 + OFFSET)); }
APISERVER="https://127.0.0.1:$(port 16443)"
ETCD="http://127.0.0.1:$(port 23790)"

say() { printf 'cluster-up: %s\n' "$*"; }
die() { printf 'cluster-up: %s\n' "$*" >&2; exit 1; }

command -v openssl >/dev/null || die "openssl is not on PATH"
bash "$HERE/toolchain.sh" | grep -v ': up to date$' || die "scripts/toolchain.sh failed"
# shellcheck source=toolchain/env.sh
. "$HERE/toolchain/env.sh"
mkdir -p "$PKI" "$C/etcd" "$LOGS" "$RUN"

# --- certificates ---------------------------------------------------------------------------------
# One CA signs the apiserver's serving cert and one admin client cert (O=system:masters) that kubectl,
# Pulumi and the controllers use; the service-account key pair signs and checks Pod tokens.
cert() { # name subject [san]
  local name=$1 subj=$2 san=${3:-}
  [ -s "$PKI/$name.crt" ] && return
  openssl genrsa -out "$PKI/$name.key" 2048 2>/dev/null
  openssl req -new -key "$PKI/$name.key" -subj "$subj" -out "$PKI/$name.csr" 2>/dev/null
  local ext="$PKI/$name.ext"
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n' >"$ext"
  if [ -n "$san" ]; then
    printf 'extendedKeyUsage=serverAuth\nsubjectAltName=%s\n' "$san" >>"$ext"
  else
    printf 'extendedKeyUsage=clientAuth\n' >>"$ext"
  fi
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 3650 -sha256 -extfile "$ext" -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$PKI/$name.csr" "$ext"
}
if [ ! -s "$PKI/ca.crt" ]; then
  openssl genrsa -out "$PKI/ca.key" 2048 2>/dev/null
  openssl req -x509 -new -key "$PKI/ca.key" -subj "/CN=image-release-local-ca" -days 3650 -sha256 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$PKI/ca.crt" 2>/dev/null
  find "$PKI" -name '*.crt' ! -name ca.crt -delete # everything the old CA signed
  say "made a local CA (pki: $PKI)"
fi
cert apiserver "/CN=kube-apiserver" \
  "IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc"
cert admin "/O=system:masters/CN=image-release-admin"
# The API server's client certificate for the kubelet's API (logs, exec, port-forward).
cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
if [ ! -s "$PKI/sa.key" ]; then
  openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
  openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
fi
chmod 600 "$PKI"/*.key

KUBECONFIG_FILE="$C/kubeconfig"
cat >"$KUBECONFIG_FILE.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: image-release-local
  cluster:
    server: $APISERVER
    certificate-authority: $PKI/ca.crt
users:
- name: image-release-admin
  user:
    client-certificate: $PKI/admin.crt
    client-key: $PKI/admin.key
contexts:
- name: image-release-local
  context:
    cluster: image-release-local
    user: image-release-admin
current-context: image-release-local
EOF
mv "$KUBECONFIG_FILE.tmp" "$KUBECONFIG_FILE"
export KUBECONFIG="$KUBECONFIG_FILE"

# The platforms of `buildctl debug workers` (its last column), once each.
workers_line() { awk 'NR > 1 { print $NF }' | tr ',' '\n' | sort -u | paste -sd, -; }

# --- processes ------------------------------------------------------------------------------------
alive() { [ -f "$RUN/$1.pid" ] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }
# start NAME READY-CHECK ARGS…: $RUN/NAME.args keeps the command line it was started with; a process
# that answers with the same one is left alone, one started differently (or by an older script) is
# restarted. When it never answers: the log's last lines, then one line naming it.
start() {
  local name=$1 check=$2
  shift 2
  local args="$*"
  if alive "$name" && [ "$(cat "$RUN/$name.args" 2>/dev/null)" = "$args" ] && eval "$check" >/dev/null 2>&1; then
    say "$name already runs (pid $(cat "$RUN/$name.pid"))"
    return
  fi
  if alive "$name"; then
    say "restarting $name (its flags changed, or it does not answer)"
    kill "$(cat "$RUN/$name.pid")" 2>/dev/null || true
    for _ in $(seq 1 40); do alive "$name" || break; sleep 0.25; done
  fi
  nohup "$@" >"$LOGS/$name.log" 2>&1 &
  echo $! >"$RUN/$name.pid"
  printf '%s\n' "$args" >"$RUN/$name.args"
  for _ in $(seq 1 240); do
    eval "$check" >/dev/null 2>&1 && break
    kill -0 "$(cat "$RUN/$name.pid")" 2>/dev/null || break
    sleep 0.25
  done
  if ! eval "$check" >/dev/null 2>&1; then
    tail -25 "$LOGS/$name.log" >&2
    die "$name did not become ready (log: $LOGS/$name.log)"
  fi
  say "started $name (pid $(cat "$RUN/$name.pid"), log: $LOGS/$name.log)"
}

start etcd "curl -sf $ETCD/health" \
  etcd --name image-release-local --data-dir "$C/etcd" \
  --listen-client-urls "$ETCD" --advertise-client-urls "$ETCD" \
  --listen-peer-urls "http://127.0.0.1:$(port 23800)" \
  --initial-advertise-peer-urls "http://127.0.0.1:$(port 23800)" \
  --initial-cluster "image-release-local=http://127.0.0.1:$(port 23800)" \
  --listen-metrics-urls "http://127.0.0.1:$(port 23810)" --quota-backend-bytes 1073741824

# A namespace that wants its Pods on kwok's node (images that do not run, many replicas) says so with
# two annotations that these admission plugins read: scheduler.alpha.kubernetes.io/node-selector
# "type=kwok" and scheduler.alpha.kubernetes.io/defaultTolerations, a toleration of the kwok taint.
KWOK_ADMISSION=PodNodeSelector,PodTolerationRestriction
start kube-apiserver "kubectl get --raw /readyz" \
  kube-apiserver --etcd-servers "$ETCD" --bind-address 127.0.0.1 --advertise-address 127.0.0.1 \
  --secure-port "$(port 16443)" --endpoint-reconciler-type none \
  --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
  --client-ca-file "$PKI/ca.crt" \
  --kubelet-client-certificate "$PKI/apiserver-kubelet-client.crt" \
  --kubelet-client-key "$PKI/apiserver-kubelet-client.key" \
  --kubelet-certificate-authority "$PKI/ca.crt" --kubelet-preferred-address-types InternalIP \
  --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-cluster-ip-range 10.96.0.0/16 --authorization-mode Node,RBAC --allow-privileged=true \
  --enable-priority-and-fairness=false --enable-admission-plugins "$KWOK_ADMISSION"

start kube-controller-manager "curl -sfk https://127.0.0.1:$(port 10257)/healthz" \
  kube-controller-manager --kubeconfig "$KUBECONFIG_FILE" --bind-address 127.0.0.1 \
  --secure-port "$(port 10257)" \
  --leader-elect=false --service-account-private-key-file "$PKI/sa.key" --root-ca-file "$PKI/ca.crt" \
  --controllers '*,-nodeipam,-cloud-node-lifecycle,-service-lb-controller,-route' \
  --concurrent-deployment-syncs 5 --concurrent-replicaset-syncs 5

start kube-scheduler "curl -sfk https://127.0.0.1:$(port 10259)/healthz" \
  kube-scheduler --kubeconfig "$KUBECONFIG_FILE" --bind-address 127.0.0.1 --secure-port "$(port 10259)" \
  --leader-elect=false

# kwok manages only the nodes annotated as its own: with --manage-all-nodes it would also fake the
# status of the real node's Pods.
start kwok "curl -sf http://127.0.0.1:$(port 10248)/healthz" \
  kwok --kubeconfig "$KUBECONFIG_FILE" --config "$TOOLCHAIN_DIR/kwok-stages.yaml" \
  --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
  --node-ip 127.0.0.1 --cidr 10.244.0.0/16 \
  --server-address "127.0.0.1:$(port 10248)" --node-name kwok-node-0

# --- the fake node --------------------------------------------------------------------------------
# Applied every time, so that a node an older script made gets its taint: only Pods that tolerate it
# land there (a namespace asks for that with the annotations below); every other Pod runs on the real
# node.
KWOK_TAINT=kwok.x-k8s.io/node
kubectl get node kwok-node-0 >/dev/null 2>&1 || say "creating node kwok-node-0"
kubectl apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-0
  annotations:
    node.alpha.kubernetes.io/ttl: "0"
    kwok.x-k8s.io/node: fake
  labels:
    kubernetes.io/arch: amd64
    kubernetes.io/os: linux
    kubernetes.io/hostname: kwok-node-0
    type: kwok
spec:
  taints: [{"key": "kwok.x-k8s.io/node", "value": "fake", "effect": "NoSchedule"}]
EOF
kubectl wait --for=condition=Ready node/kwok-node-0 --timeout=60s >/dev/null ||
  die "node kwok-node-0 is not Ready (kwok log: $LOGS/kwok.log)"
# A new node carries the node.kubernetes.io/not-ready taint until the node lifecycle controller sees it
# Ready; nothing schedules before that. wait_taints NODE KEYS: until the node's taint keys are KEYS.
wait_taints() {
  for _ in $(seq 1 120); do
    [ "$(kubectl get node "$1" -o jsonpath='{.spec.taints[*].key}')" = "$2" ] && return
    sleep 0.5
  done
  die "node $1 keeps the taints $(kubectl get node "$1" -o jsonpath='{.spec.taints}')"
}
wait_taints kwok-node-0 "$KWOK_TAINT"
for _ in $(seq 1 120); do
  kubectl get serviceaccount default -n default >/dev/null 2>&1 && break
  sleep 0.5
done
kubectl get serviceaccount default -n default >/dev/null 2>&1 ||
  die "the default service account never appeared (log: $LOGS/kube-controller-manager.log)"
# --- the real node --------------------------------------------------------------------------------
NODE_NAME=real-node-0
# shellcheck source=cluster-node.sh
. "$HERE/cluster-node.sh"

# --- a BuildKit daemon ----------------------------------------------------------------------------
# What `release --builder linux/arm64=tcp://127.0.0.1:12340` (or image-release:builders) builds on.
# Started after the real node, whose packages bring runc, the OCI worker's runtime.
BUILDKIT_ADDR="tcp://127.0.0.1:$(port 12340)"
mkdir -p "$STATE_DIR/buildkit"
start buildkitd "buildctl --addr $BUILDKIT_ADDR debug workers" \
  buildkitd --addr "$BUILDKIT_ADDR" --root "$STATE_DIR/buildkit" \
  --oci-worker=true --containerd-worker=false --oci-worker-gc --oci-worker-gc-keepstorage 2000

NODES="$NODE_NAME (real) and kwok-node-0 (taint $KWOK_TAINT)"
say "kubernetes $(kubectl version -o json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s).serverVersion.gitVersion))') answers at $APISERVER; nodes $NODES Ready"
say "kubeconfig: $KUBECONFIG_FILE"
say "buildkitd answers at $BUILDKIT_ADDR ($(buildctl --addr "$BUILDKIT_ADDR" debug workers | workers_line))"
