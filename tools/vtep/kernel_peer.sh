#!/usr/bin/env bash
# A Linux kernel VXLAN peer for the userspace VTEP, in network namespaces (root needed).
#
#   kernel_peer.sh up NAME MODE      MODE: plain | gbp | ipv6
#   kernel_peer.sh down NAME
#
# Topology:   netns tw-k-NAME (kernel)                      netns tw-u-NAME (userspace VTEP)
#             vx0 (vxlan id 100 [gbp], 10.99.0.1/24)
#             veth-k  192.0.2.1/24, 2001:db8:99::1/64 <---> veth-u  192.0.2.2/24, 2001:db8:99::2/64
# The userspace VTEP runs in tw-u-NAME (ip netns exec), listens on 192.0.2.2:4789 (or [2001:db8:99::2]:4789
# for ipv6) and puts its host at 10.99.0.2. Only addresses inside these namespaces are used.
set -euo pipefail
cmd=${1:-}; name=${2:-}
[ -n "$cmd" ] && [ -n "$name" ] || { echo "usage: $0 up NAME plain|gbp|ipv6 | down NAME" >&2; exit 2; }
K=tw-k-$name; U=tw-u-$name
down() {
  ip netns del "$K" 2>/dev/null || true
  ip netns del "$U" 2>/dev/null || true
}
case "$cmd" in
  down) down; exit 0 ;;
  up) ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
mode=${3:-plain}
command -v ip >/dev/null && command -v ping >/dev/null || {
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2 iputils-ping >/dev/null
}
down
ip netns add "$K"; ip netns add "$U"
ip -n "$K" link add veth-k type veth peer name veth-u netns "$U"
ip -n "$K" link set lo up; ip -n "$U" link set lo up
ip -n "$K" link set veth-k address 02:00:00:00:0a:01; ip -n "$U" link set veth-u address 02:00:00:00:0b:01
ip -n "$K" addr add 192.0.2.1/24 dev veth-k; ip -n "$U" addr add 192.0.2.2/24 dev veth-u
ip -n "$K" addr add 2001:db8:99::1/64 dev veth-k nodad; ip -n "$U" addr add 2001:db8:99::2/64 dev veth-u nodad
ip -n "$K" link set veth-k up; ip -n "$U" link set veth-u up
case "$mode" in
  plain) ip -n "$K" link add vx0 type vxlan id 100 dstport 4789 local 192.0.2.1 remote 192.0.2.2 ;;
  gbp)   ip -n "$K" link add vx0 type vxlan id 100 dstport 4789 local 192.0.2.1 remote 192.0.2.2 gbp ;;
  ipv6)  ip -n "$K" link add vx0 type vxlan id 100 dstport 4789 local 2001:db8:99::1 remote 2001:db8:99::2 ;;
  *) echo "unknown mode $mode" >&2; down; exit 2 ;;
esac
ip -n "$K" link set vx0 address 02:00:00:00:99:01
ip -n "$K" addr add 10.99.0.1/24 dev vx0
ip -n "$K" link set vx0 up
# The underlay neighbours are static so that ping counts only overlay traffic.
ip -n "$K" neigh replace 192.0.2.2 lladdr 02:00:00:00:0b:01 dev veth-k
ip -n "$U" neigh replace 192.0.2.1 lladdr 02:00:00:00:0a:01 dev veth-u
ip -n "$K" neigh replace 2001:db8:99::2 lladdr 02:00:00:00:0b:01 dev veth-k
ip -n "$U" neigh replace 2001:db8:99::1 lladdr 02:00:00:00:0a:01 dev veth-u
echo "kernel_peer: $mode up ($K, $U)"
