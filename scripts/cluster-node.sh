# Sourced by scripts/cluster-up.sh once the control plane answers: the real node, real-node-0.
#   - containerd (Debian's 1.6) with its own config, socket, root and state under $STATE_DIR/node, the
#     CRI plugin on, restrict_oom_score_adj (else runc cannot write oom_score_adj here and every sandbox
#     fails), plain-http mirrors for 127.0.0.1:5000 and :5001, CNI bridge irbr0 from /usr/lib/cni
#   - a pause image built here from scripts/node/pause.go (static, FROM scratch) and pushed to
#     127.0.0.1:5000: no public registry is reachable
#   - the node's address, 192.168.213.1/32 on the interface irnode0 made here (the kubelet refuses a
#     loopback node IP); Pods get 10.246.0.0/24 on irbr0. Nothing routes off the machine
#   - kubelet: cgroupfs, serves https on the node address with the cluster CA as client CA, so the API
#     server's `kubectl logs`, `exec` and `port-forward` reach it
#   - kube-proxy, iptables mode: Service ClusterIPs (10.96.0.0/16) answer from this machine
# Uses cluster-up.sh's say/die/start/port/cert and its variables. Any failing check ends cluster-up.sh
# with one line naming it: the e2e never falls back to fake Pods.
# Overrides: IMAGE_RELEASE_NODE_IP, IMAGE_RELEASE_POD_CIDR (a /24), IMAGE_RELEASE_PORT_OFFSET.

NODE_NAME=real-node-0
NODE_IP="${IMAGE_RELEASE_NODE_IP:-192.168.213.1}"
NODE_IF=irnode0
BRIDGE=irbr0
POD_CIDR="${IMAGE_RELEASE_POD_CIDR:-10.246.0.0/24}"
N="$STATE_DIR/node"
CTRD_SOCK="$N/containerd/containerd.sock"
PAUSE_REPO=127.0.0.1:5000/image-release/pause

node_die() { die "the real node cannot run: $*"; }

# --- checks and packages --------------------------------------------------------------------------
[ "$(id -u)" = 0 ] || node_die "not root (containerd, the kubelet and kube-proxy need root)"
node_missing=()
command -v containerd >/dev/null && command -v containerd-shim-runc-v2 >/dev/null && command -v ctr >/dev/null ||
  node_missing+=(containerd)
command -v runc >/dev/null || node_missing+=(runc)
[ -x /usr/lib/cni/bridge ] && [ -x /usr/lib/cni/host-local ] && [ -x /usr/lib/cni/loopback ] ||
  node_missing+=(containernetworking-plugins)
command -v iptables >/dev/null || node_missing+=(iptables)
command -v conntrack >/dev/null || node_missing+=(conntrack)
if [ "${#node_missing[@]}" -gt 0 ]; then
  say "installing ${node_missing[*]} from Debian (log: $LOGS/apt-node.log)"
  { DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${node_missing[@]}"; } >"$LOGS/apt-node.log" 2>&1 ||
    node_die "apt-get install ${node_missing[*]} failed (log: $LOGS/apt-node.log)"
fi
[ -d /sys/fs/cgroup/memory ] || [ -f /sys/fs/cgroup/cgroup.controllers ] ||
  node_die "no cgroup memory controller at /sys/fs/cgroup/memory or a cgroup v2 /sys/fs/cgroup"
[ "$(cat /proc/sys/net/ipv4/ip_forward)" = 1 ] || echo 1 >/proc/sys/net/ipv4/ip_forward 2>/dev/null ||
  node_die "net.ipv4.ip_forward is 0 and cannot be set"
command -v go >/dev/null || node_die "go is not on PATH (it builds the pause program)"
curl -sf -o /dev/null http://127.0.0.1:5000/v2/ ||
  node_die "the registry 127.0.0.1:5000 does not answer (run scripts/local-up.sh): it serves the pause image"
mkdir -p "$N"/{containerd,net.d,cni-ipam,kubelet,pods,pki,pause}

# --- the node's address ---------------------------------------------------------------------------
# A dummy interface where the kernel has the module, else a bridge without ports (kernels built
# without CONFIG_DUMMY, like this VM's, answer "Unknown device type"): either holds a local address.
if ! ip link show "$NODE_IF" >/dev/null 2>&1; then
  if ip link add "$NODE_IF" type dummy 2>/dev/null; then
    say "created interface $NODE_IF (dummy)"
  else
    ip link add "$NODE_IF" type bridge 2>"$LOGS/node-net.log" ||
      node_die "cannot create the interface $NODE_IF (dummy or bridge): $(head -1 "$LOGS/node-net.log")"
    say "created interface $NODE_IF (a bridge without ports: this kernel has no dummy links)"
  fi
fi
ip addr replace "$NODE_IP/32" dev "$NODE_IF" && ip link set "$NODE_IF" up ||
  node_die "cannot put $NODE_IP on $NODE_IF"
# The bridge's forwarded traffic (Pod to Pod, Pod to Service) passes the filter FORWARD chain, whose
# policy docker sets to DROP; one chain of ours accepts it, and cluster-down.sh removes it.
iptables -N IMAGE-RELEASE-FORWARD 2>/dev/null || iptables -F IMAGE-RELEASE-FORWARD
iptables -A IMAGE-RELEASE-FORWARD -i "$BRIDGE" -j ACCEPT
iptables -A IMAGE-RELEASE-FORWARD -o "$BRIDGE" -j ACCEPT
iptables -C FORWARD -j IMAGE-RELEASE-FORWARD 2>/dev/null || iptables -I FORWARD -j IMAGE-RELEASE-FORWARD
say "node address $NODE_IP on $NODE_IF; Pods on $BRIDGE ($POD_CIDR)"

# --- certificates ---------------------------------------------------------------------------------
cert kubelet "/O=system:nodes/CN=system:node:$NODE_NAME"
cert kubelet-serving "/CN=$NODE_NAME" "IP:$NODE_IP,DNS:$NODE_NAME"
cert kube-proxy "/CN=system:kube-proxy"
chmod 600 "$PKI"/*.key
kubeconfig_for() { # user file: a kubeconfig with that client certificate
  sed -e "s#$PKI/admin\.#$PKI/$1.#g" -e "s#image-release-admin#$1#g" "$KUBECONFIG_FILE" >"$2"
}
kubeconfig_for kubelet "$N/kubelet.kubeconfig"
kubeconfig_for kube-proxy "$N/kube-proxy.kubeconfig"

# --- the pause image ------------------------------------------------------------------------------
# Tagged by the binary's hash: the same source gives the same tag, which is pushed once.
( cd "$HERE/node" && CGO_ENABLED=0 GOFLAGS= go build -trimpath -buildvcs=false -ldflags "-s -w" \
  -o "$N/pause/pause" pause.go ) >"$LOGS/pause-build.log" 2>&1 ||
  node_die "building scripts/node/pause.go failed (log: $LOGS/pause-build.log)"
PAUSE_IMAGE="$PAUSE_REPO:$(sha256sum "$N/pause/pause" | cut -c1-12)"
if curl -sf -o /dev/null -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
  "http://127.0.0.1:5000/v2/image-release/pause/manifests/${PAUSE_IMAGE##*:}"; then
  say "pause image $PAUSE_IMAGE already in the registry"
else
  printf 'FROM scratch\nCOPY pause /pause\nENTRYPOINT ["/pause"]\n' >"$N/pause/Dockerfile"
  { DOCKER_BUILDKIT=1 /usr/bin/docker build -q -t "$PAUSE_IMAGE" "$N/pause" &&
    /usr/bin/docker push -q "$PAUSE_IMAGE"; } >"$LOGS/pause-image.log" 2>&1 ||
    node_die "building or pushing the pause image failed (log: $LOGS/pause-image.log)"
  say "pushed pause image $PAUSE_IMAGE"
fi

# --- containerd (CRI) -----------------------------------------------------------------------------
cat >"$N/net.d/10-image-release.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "image-release-node",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "$POD_CIDR" }]],
        "routes": [{ "dst": "0.0.0.0/0" }],
        "dataDir": "$N/cni-ipam"
      }
    }
  ]
}
EOF
mirror() { # host: a plain-http mirror entry
  printf '  [plugins."io.containerd.grpc.v1.cri".registry.mirrors."%s"]\n    endpoint = ["http://%s"]\n' "$1" "$1"
}
cat >"$N/containerd/config.toml" <<EOF
version = 2
root = "$N/containerd/root"
state = "$N/containerd/state"
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs"]
[grpc]
  address = "$CTRD_SOCK"
[ttrpc]
  address = "$CTRD_SOCK.ttrpc"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$N/net.d"
    max_conf_num = 1
$(mirror 127.0.0.1:5000)
$(mirror 127.0.0.1:5001)
EOF
# Ready once its CRI server is: `ctr version` answers before the CRI plugin has initialized, and a
# kubelet started in that moment exits ("server is not initialized yet"). containerd 1.6 logs
# "Start streaming server" once CRI serves; its log starts afresh with each start.
start containerd "ctr -a $CTRD_SOCK version && grep -q 'Start streaming server' '$LOGS/containerd.log'" \
  containerd --config "$N/containerd/config.toml"

# --- kubelet --------------------------------------------------------------------------------------
cat >"$N/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# The machine has hybrid cgroup v1 and may have swap.
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
containerRuntimeEndpoint: unix://$CTRD_SOCK
imageServiceEndpoint: unix://$CTRD_SOCK
# The API server's calls (logs, exec, port-forward) come with a client certificate of the cluster CA
# and are authorized by the API server (SubjectAccessReview).
address: $NODE_IP
port: $(port 10250)
tlsCertFile: $PKI/kubelet-serving.crt
tlsPrivateKeyFile: $PKI/kubelet-serving.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: Webhook}
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $(port 10246)
# No cluster DNS, and Pods never use this machine's resolver.
resolvConf: ""
clusterDomain: cluster.local
staticPodPath: ""
podLogsDir: $N/pods
volumePluginDir: $N/kubelet/volume-plugins
cgroupsPerQOS: true
enforceNodeAllocatable: ["pods"]
# No eviction and no image GC: a test machine's disk is what it is.
evictionHard: {}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
EOF
start kubelet "curl -sf http://127.0.0.1:$(port 10246)/healthz" \
  kubelet --config "$N/kubelet.yaml" --kubeconfig "$N/kubelet.kubeconfig" --root-dir "$N/kubelet" \
  --cert-dir "$N/pki" --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" \
  --node-labels image-release.local/node=real
for _ in $(seq 1 120); do
  [ "$(kubectl get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ] &&
    break
  sleep 0.5
done
[ "$(kubectl get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ] ||
  node_die "node $NODE_NAME is not Ready: $(kubectl get node "$NODE_NAME" \
    -o jsonpath='{.status.conditions[?(@.type=="Ready")].message}' 2>&1 | head -1) (log: $LOGS/kubelet.log)"
wait_taints "$NODE_NAME" ""

# --- kube-proxy -----------------------------------------------------------------------------------
# conntrack sysctls (max, tcp timeouts) and route_localnet may be denied here; zero means leave alone.
cat >"$N/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $N/kube-proxy.kubeconfig}
mode: iptables
hostnameOverride: $NODE_NAME
clusterCIDR: $POD_CIDR
healthzBindAddress: 127.0.0.1:$(port 10256)
metricsBindAddress: 127.0.0.1:$(port 10249)
nodePortAddresses: ["$NODE_IP/32"]
iptables: {localhostNodePorts: false}
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
EOF
start kube-proxy "curl -sf http://127.0.0.1:$(port 10256)/livez" \
  kube-proxy --config "$N/kube-proxy.yaml"
