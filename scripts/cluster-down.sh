#!/usr/bin/env bash
# Stops what cluster-up.sh started, newest first, and undoes what the real node left on the machine:
# its containers (killed through containerd), mounts under the state dir, network namespaces, the Pod
# bridge and the node's interface, kube-proxy's and the kubelet's iptables chains (KUBE-*), our
# IMAGE-RELEASE-FORWARD chain and the kubepods cgroups. etcd's data and the certificates are kept, so a
# later cluster-up.sh finds the same objects; pass --purge to remove the whole cluster state (etcd data,
# certificates, kubeconfig, the node's containerd and kubelet directories). --node-only stops and cleans
# up the real node (containerd, kubelet, kube-proxy) and leaves the control plane and kwok running.
set -euo pipefail
PURGE=0
NODE_ONLY=0
for a in "$@"; do
  case "$a" in
    --purge) PURGE=1 ;;
    --node-only) NODE_ONLY=1 ;;
    *) echo "cluster-down: unknown argument '$a' (expected --purge or --node-only)" >&2; exit 2 ;;
  esac
done

HERE="$(cd "$(dirname "$0")" && pwd)"
STATE_DIR="${IMAGE_RELEASE_STATE_DIR:-/var/tmp/image-release-local}"
RUN="$STATE_DIR/run"
N="$STATE_DIR/node"
CTRD_SOCK="$N/containerd/containerd.sock"
say() { printf 'cluster-down: %s\n' "$*"; }

# shellcheck source=stop-pidfile.sh
. "$HERE/stop-pidfile.sh"
# shellcheck source=toolchain/env.sh
. "$HERE/toolchain/env.sh"

NODE_PROCS="kube-proxy kubelet"
[ "$NODE_ONLY" = 1 ] || NODE_PROCS="buildkitd $NODE_PROCS kwok"
for name in $NODE_PROCS; do
  stop_pidfile "$name" "$RUN/$name.pid"
  rm -f "$RUN/$name.args"
done

# --- the node's containers: killed and removed while containerd still answers ---------------------
if [ -S "$CTRD_SOCK" ] && ctr -a "$CTRD_SOCK" version >/dev/null 2>&1; then
  ctrn() { ctr -a "$CTRD_SOCK" -n k8s.io "$@"; }
  tasks=$(ctrn tasks ls -q 2>/dev/null || true)
  for t in $tasks; do ctrn tasks kill -s SIGKILL "$t" >/dev/null 2>&1 || true; done
  for t in $tasks; do
    for _ in $(seq 1 20); do ctrn tasks delete "$t" >/dev/null 2>&1 && break; sleep 0.25; done
  done
  containers=$(ctrn containers ls -q 2>/dev/null || true)
  for c in $containers; do ctrn containers delete "$c" >/dev/null 2>&1 || true; done
  say "killed $(echo "$tasks" | grep -c . || true) containers of the real node"
fi
stop_pidfile containerd "$RUN/containerd.pid"
rm -f "$RUN/containerd.args"

# --- mounts and network namespaces under the node's directory (netns_mounts_under_state_dir) -------
if [ -d "$N" ]; then
  mounts=$(awk -v d="$N/" 'index($2, d) == 1 || $2 == substr(d, 1, length(d) - 1) { print $2 }' /proc/mounts | sort -r)
  for m in $mounts; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
  [ -z "$mounts" ] || say "unmounted $(echo "$mounts" | grep -c .) mounts under $N"
fi

# --- network --------------------------------------------------------------------------------------
for link in irbr0 irnode0; do
  if ip link show "$link" >/dev/null 2>&1; then
    ip link delete "$link"
    say "removed interface $link"
  fi
done
# kube-proxy removes its own rules; then every KUBE-* chain left (the kubelet's canaries and firewall)
# and ours go, with the rules of built-in chains that jump to them.
if command -v kube-proxy >/dev/null && command -v iptables >/dev/null; then
  kube-proxy --cleanup >/dev/null 2>&1 || true
fi
drop_chains() { # iptables-command
  local ipt=$1 table chain rule
  command -v "$ipt" >/dev/null || return 0
  for table in filter nat mangle; do
    { "$ipt" -t "$table" -S 2>/dev/null || true; } | { grep -E '^-A [A-Z]+ .*-j (KUBE-|IMAGE-RELEASE-)' || true; } |
      { grep -vE '^-A (KUBE-|IMAGE-RELEASE-)' || true; } | while read -r rule; do
      # shellcheck disable=SC2086 # the saved rule is split into its words on purpose
      "$ipt" -t "$table" ${rule/#-A/-D} 2>/dev/null || true
    done
    for chain in $("$ipt" -t "$table" -S 2>/dev/null | awk '$1 == "-N" && $2 ~ /^(KUBE-|IMAGE-RELEASE-)/ { print $2 }'); do
      "$ipt" -t "$table" -F "$chain" 2>/dev/null || true
    done
    for chain in $("$ipt" -t "$table" -S 2>/dev/null | awk '$1 == "-N" && $2 ~ /^(KUBE-|IMAGE-RELEASE-)/ { print $2 }'); do
      "$ipt" -t "$table" -X "$chain" 2>/dev/null || true
    done
  done
}
drop_chains iptables
drop_chains ip6tables
say "removed the KUBE-* and IMAGE-RELEASE-* iptables chains"

# --- cgroups the kubelet made (empty now) ---------------------------------------------------------
for d in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods; do
  [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
done

[ "$NODE_ONLY" = 1 ] && exit 0
for name in kube-scheduler kube-controller-manager kube-apiserver etcd; do
  stop_pidfile "$name" "$RUN/$name.pid"
  rm -f "$RUN/$name.args"
done

if [ "$PURGE" = 1 ]; then
  # buildkitd's cache holds mounts only while it runs; it is stopped above.
  rm -rf "$STATE_DIR/cluster" "$N" "$STATE_DIR/buildkit"
  say "removed $STATE_DIR/cluster (etcd data, certificates, kubeconfig), $N (containerd, kubelet) and $STATE_DIR/buildkit"
fi
