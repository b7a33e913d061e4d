#!/usr/bin/env bash
# Real captures of the Linux kernel's own VXLAN devices (plain, GBP, GPE, IPv6 underlay).
#
# Usage: tools/captures/kernel_vxlan.sh OUTDIR
#
# Builds two throw-away network namespaces joined by a veth pair (the "underlay"), configures
# kernel vxlan devices on both sides, and records the underlay traffic with tcpdump on the veth
# of namespace A. Writes into OUTDIR (created if missing, files overwritten):
#   plain-ipv4.pcap  gbp-ipv4.pcap  gpe-ipv4.pcap  plain-ipv6.pcap  expect.json
# expect.json lists what the script configured (VNIs, ports, addresses, GBP marks/IDs/flags,
# GPE next protocols, minimum tunnel packet counts); see tools/captures/README.md.
#
# Needs root, a kernel with the vxlan module, iproute2, tcpdump and iputils ping (installed with
# apt-get when missing). Touches nothing outside the namespaces it creates; they are always
# deleted on exit. Exit status is non-zero, with a message on stderr, if any step fails.
set -euo pipefail

SELF=${0##*/}
T_START=$SECONDS

die() { echo "$SELF: ERROR: $*" >&2; exit 1; }
log() { echo "$SELF: $*" >&2; }

[[ $# -eq 1 && -n $1 && $1 != -* ]] || { echo "usage: $SELF OUTDIR" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || die "must run as root (network namespaces, vxlan devices, tcpdump)"

# ---------------------------------------------------------------------------------------------
# Tools
if ! command -v tcpdump >/dev/null || ! command -v ip >/dev/null || ! command -v ping >/dev/null; then
  command -v apt-get >/dev/null || die "tcpdump/ip/ping missing and apt-get unavailable"
  log "installing tcpdump iproute2 iputils-ping"
  (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y tcpdump iproute2 iputils-ping) \
    >&2 || die "apt-get install of tcpdump iproute2 iputils-ping failed"
fi
for t in ip tcpdump ping; do command -v "$t" >/dev/null || die "required tool '$t' not found"; done
modprobe vxlan 2>/dev/null || true

mkdir -p -- "$1" || die "cannot create OUTDIR '$1'"
OUT=$(cd -- "$1" && pwd -P)
FILES=(plain-ipv4.pcap gbp-ipv4.pcap gpe-ipv4.pcap plain-ipv6.pcap expect.json)
for f in "${FILES[@]}"; do rm -f -- "$OUT/$f"; done

# ---------------------------------------------------------------------------------------------
# Namespaces and cleanup
NSA="tw-vxa-$$"
NSB="tw-vxb-$$"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/tw-kernel-vxlan.XXXXXX")
TCPDUMP_PID=""
OK=0

cleanup() {
  local rc=$?
  if [[ -n $TCPDUMP_PID ]]; then
    kill -INT "$TCPDUMP_PID" 2>/dev/null || true
    wait "$TCPDUMP_PID" 2>/dev/null || true
  fi
  ip netns del "$NSA" 2>/dev/null || true
  ip netns del "$NSB" 2>/dev/null || true
  rm -rf -- "$TMP"
  if [[ $OK -ne 1 ]]; then
    rm -f -- "$OUT/expect.json"
    [[ $rc -ne 0 ]] || rc=1
    echo "$SELF: FAILED (exit $rc); namespaces removed" >&2
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

ina() { ip netns exec "$NSA" "$@"; }
# nsysctl NS KEY VALUE: write a per-namespace sysctl through /proc (no procps needed)
nsysctl() { ip netns exec "$1" sh -c 'echo "$1" >"/proc/sys/$2"' sh "$3" "${2//.//}"; }
# run CMD... or fail with the command line in the message
must() { "$@" 2>"$TMP/err" || die "step '$STEP': command failed: $* -- $(tr '\n' ' ' <"$TMP/err")"; }

STEP=setup
ip netns add "$NSA" || die "cannot create namespace $NSA"
ip netns add "$NSB" || die "cannot create namespace $NSB"

# Underlay MACs / addresses (documentation ranges only)
UA_MAC=02:00:00:00:0a:01; UB_MAC=02:00:00:00:0b:01
UA4=192.0.2.1; UB4=192.0.2.2
UA6=2001:db8:1::1; UB6=2001:db8:1::2
# Overlay MACs (same on every L2 vxlan device: the devices of one scenario are deleted before the next)
OA_MAC=02:00:00:aa:00:01; OB_MAC=02:00:00:bb:00:01

for ns in "$NSA" "$NSB"; do
  # fewer unrelated frames on the veth: no router solicitations
  must nsysctl "$ns" net.ipv6.conf.default.router_solicitations 0
  must nsysctl "$ns" net.ipv4.conf.all.rp_filter 0
  must nsysctl "$ns" net.ipv4.conf.default.rp_filter 0
  must ip -n "$ns" link set lo up
done
# veth created inside namespace A with its peer moved straight into B: the host never sees it
must ip -n "$NSA" link add vethA address "$UA_MAC" type veth peer name vethB address "$UB_MAC" netns "$NSB"
must ip -n "$NSA" addr add "$UA4/24" dev vethA
must ip -n "$NSB" addr add "$UB4/24" dev vethB
must ip -n "$NSA" addr add "$UA6/64" dev vethA nodad
must ip -n "$NSB" addr add "$UB6/64" dev vethB nodad
must ip -n "$NSA" link set vethA up
must ip -n "$NSB" link set vethB up

# Wait (max ~5 s) until the underlay works in both address families.
underlay_ok=0
for _ in $(seq 1 10); do
  if [[ -z $(ip -n "$NSA" -6 addr show dev vethA tentative) && -z $(ip -n "$NSB" -6 addr show dev vethB tentative) ]] \
     && ina ping -n -q -c 1 -W 1 "$UB4" >/dev/null 2>&1 \
     && ina ping -6 -n -q -c 1 -W 1 "$UB6" >/dev/null 2>&1; then
    underlay_ok=1; break
  fi
  sleep 0.5
done
[[ $underlay_ok -eq 1 ]] || die "underlay veth ($UA4/$UA6 <-> $UB4/$UB6) not usable after 5 s"

# ---------------------------------------------------------------------------------------------
# Capture helpers
start_capture() { # FILE
  local file=$OUT/$1 i
  : >"$TMP/tcpdump.log"
  ip netns exec "$NSA" tcpdump -i vethA -w "$file" -U --immediate-mode -nn -Z root -s 262144 >"$TMP/tcpdump.log" 2>&1 &
  TCPDUMP_PID=$!
  for i in $(seq 1 50); do
    grep -q 'listening on' "$TMP/tcpdump.log" && return 0
    kill -0 "$TCPDUMP_PID" 2>/dev/null || break
    sleep 0.1
  done
  die "step '$STEP': tcpdump did not start: $(tr '\n' ' ' <"$TMP/tcpdump.log")"
}

stop_capture() { # FILE
  local file=$OUT/$1 rc=0
  sleep 0.5                       # let the last replies reach the veth and the buffer
  kill -INT "$TCPDUMP_PID" 2>/dev/null || true
  wait "$TCPDUMP_PID" || rc=$?
  TCPDUMP_PID=""
  [[ $rc -eq 0 ]] || die "step '$STEP': tcpdump exited with $rc: $(tr '\n' ' ' <"$TMP/tcpdump.log")"
  [[ -s $file ]] || die "step '$STEP': capture file $file is empty"
  log "$1: $(grep -E 'packets captured' "$TMP/tcpdump.log" || echo '? packets captured')"
}

# check_capture FILE UDP-DST-PORT MIN : the file holds at least MIN tunnel packets
check_capture() {
  local n
  n=$(tcpdump -nn -r "$OUT/$1" "udp dst port $2" 2>/dev/null | wc -l)
  [[ $n -ge $3 ]] || die "step '$STEP': $1 holds $n packets to UDP port $2, expected at least $3"
}

PING_COUNT=3
# ping_ok NS DESCRIPTION PING-ARGS... : PING_COUNT echo requests, every one must be answered
ping_ok() {
  local ns=$1 what=$2 out rc=0 got
  shift 2
  out=$(ip netns exec "$ns" ping -n -c "$PING_COUNT" -i 0.2 -W 1 "$@" 2>&1) || rc=$?
  got=$(sed -n 's/.* \([0-9][0-9]*\) received.*/\1/p' <<<"$out")
  [[ $rc -eq 0 && $got == "$PING_COUNT" ]] ||
    die "step '$STEP': $what: ping $* got ${got:-0}/$PING_COUNT replies (exit $rc): $(tail -n 3 <<<"$out" | tr '\n' ' ')"
}

# L2 vxlan device on both sides: mk_l2 NAME "ip-link-args-A" "ip-link-args-B" OVERLAY_A OVERLAY_B
mk_l2() {
  local name=$1 argsA=$2 argsB=$3 oa=$4 ob=$5
  # shellcheck disable=SC2086
  must ip -n "$NSA" link add "$name" address "$OA_MAC" type vxlan $argsA
  # shellcheck disable=SC2086
  must ip -n "$NSB" link add "$name" address "$OB_MAC" type vxlan $argsB
  # IPv4-only overlay: no IPv6 link-local, DAD, MLD or RS frames inside the tunnel
  must nsysctl "$NSA" "net.ipv6.conf.$name.disable_ipv6" 1
  must nsysctl "$NSB" "net.ipv6.conf.$name.disable_ipv6" 1
  must ip -n "$NSA" addr add "$oa/24" dev "$name"
  must ip -n "$NSB" addr add "$ob/24" dev "$name"
  must ip -n "$NSA" link set "$name" up
  must ip -n "$NSB" link set "$name" up
}
del_dev() { ip -n "$NSA" link del "$1" 2>/dev/null || true; ip -n "$NSB" link del "$1" 2>/dev/null || true; }

# ---------------------------------------------------------------------------------------------
# 1. plain VXLAN over IPv4
STEP=plain-ipv4
mk_l2 vx100 "id 100 dstport 4789 local $UA4 remote $UB4 dev vethA" \
            "id 100 dstport 4789 local $UB4 remote $UA4 dev vethB" 10.100.0.1 10.100.0.2
start_capture plain-ipv4.pcap
ping_ok "$NSA" "overlay 10.100.0.1 -> 10.100.0.2" 10.100.0.2
stop_capture plain-ipv4.pcap
check_capture plain-ipv4.pcap 4789 $((2 * PING_COUNT))
del_dev vx100

# ---------------------------------------------------------------------------------------------
# 2. VXLAN-GBP over IPv4: skb->mark -> Group Policy ID / D / A (vxlan.md §5)
STEP=gbp-ipv4
mk_l2 vx400 "id 400 dstport 4789 local $UA4 remote $UB4 dev vethA gbp" \
            "id 400 dstport 4789 local $UB4 remote $UA4 dev vethB gbp" 10.40.0.1 10.40.0.2
# Static neighbours: no ARP inside the tunnel, so every A->B frame is a (marked) echo request.
must ip -n "$NSA" neigh replace 10.40.0.2 lladdr "$OB_MAC" dev vx400 nud permanent
must ip -n "$NSB" neigh replace 10.40.0.1 lladdr "$OA_MAC" dev vx400 nud permanent
# Marks, in the order the pings run: ID 100; D + ID 5; A + ID 0x0abc; D + A + ID 7;
# a bit outside the GBP mask only (kernel still sets G, ID 0); unmarked (G clear).
GBP_MARKS=(100 4194309 527036 4718599 16777216 0)
start_capture gbp-ipv4.pcap
for m in "${GBP_MARKS[@]}"; do
  if [[ $m -eq 0 ]]; then
    ping_ok "$NSA" "gbp unmarked" 10.40.0.2
  else
    ping_ok "$NSA" "gbp mark $m" -m "$m" 10.40.0.2
  fi
done
stop_capture gbp-ipv4.pcap
check_capture gbp-ipv4.pcap 4789 $((2 * PING_COUNT * ${#GBP_MARKS[@]}))
del_dev vx400

# ---------------------------------------------------------------------------------------------
# 3. VXLAN-GPE (L3, collect-metadata) over IPv4: next protocol 1 (IPv4), 2 (IPv6)
STEP=gpe-ipv4
for side in A B; do
  if [[ $side == A ]]; then ns=$NSA me4=10.50.0.1 peer4=10.50.0.2 me6=fd00:500::1 peer6=fd00:500::2 dst=$UB4
  else                      ns=$NSB me4=10.50.0.2 peer4=10.50.0.1 me6=fd00:500::2 peer6=fd00:500::1 dst=$UA4; fi
  must ip -n "$ns" link add vxg type vxlan dstport 4790 gpe external
  must ip -n "$ns" link set vxg up
  must ip -n "$ns" addr add "$me4/32" dev vxg
  must ip -n "$ns" route add "$peer4/32" encap ip id 500 dst "$dst" dev vxg
done
GPE_V6=1
for side in A B; do
  if [[ $side == A ]]; then ns=$NSA me6=fd00:500::1 peer6=fd00:500::2 dst=$UB4
  else                      ns=$NSB me6=fd00:500::2 peer6=fd00:500::1 dst=$UA4; fi
  if ! { nsysctl "$ns" net.ipv6.conf.vxg.disable_ipv6 0 &&
         ip -n "$ns" addr add "$me6/128" dev vxg nodad &&
         ip -n "$ns" -6 route add "$peer6/128" encap ip id 501 dst "$dst" dev vxg; } 2>"$TMP/err"; then
    log "gpe-ipv4: IPv6 inner (next protocol 2) not supported here, skipped: $(tr '\n' ' ' <"$TMP/err")"
    GPE_V6=0
    break
  fi
done
start_capture gpe-ipv4.pcap
ping_ok "$NSA" "gpe overlay 10.50.0.1 -> 10.50.0.2 (VNI 500)" 10.50.0.2
[[ $GPE_V6 -eq 1 ]] && ping_ok "$NSA" "gpe overlay fd00:500::1 -> fd00:500::2 (VNI 501)" -6 fd00:500::2
stop_capture gpe-ipv4.pcap
check_capture gpe-ipv4.pcap 4790 $((2 * PING_COUNT * (1 + GPE_V6)))
del_dev vxg

# ---------------------------------------------------------------------------------------------
# 4. plain VXLAN over an IPv6 underlay
STEP=plain-ipv6
mk_l2 vx200 "id 200 dstport 4789 local $UA6 remote $UB6 dev vethA" \
            "id 200 dstport 4789 local $UB6 remote $UA6 dev vethB" 10.200.0.1 10.200.0.2
start_capture plain-ipv6.pcap
ping_ok "$NSA" "overlay 10.200.0.1 -> 10.200.0.2 over IPv6" 10.200.0.2
stop_capture plain-ipv6.pcap
check_capture plain-ipv6.pcap 4789 $((2 * PING_COUNT))
del_dev vx200

# ---------------------------------------------------------------------------------------------
# expect.json
STEP=expect.json
N=$PING_COUNT
gbp_entries=""
for m in "${GBP_MARKS[@]}"; do
  if [[ $m -eq 0 ]]; then g=false; else g=true; fi
  d=$(( (m & 0x00400000) ? 1 : 0 )); a=$(( (m & 0x00080000) ? 1 : 0 ))
  [[ $d -eq 1 ]] && d=true || d=false
  [[ $a -eq 1 ]] && a=true || a=false
  gbp_entries+=$(printf '%s\n        {"mark": %d, "markHex": "0x%08x", "gbp": %s, "groupPolicyId": %d, "dontLearn": %s, "policyApplied": %s, "echoRequests": %d}' \
    "${gbp_entries:+,}" "$m" "$m" "$g" $(( m & 0xffff )) "$d" "$a" "$N")
done
gpe_flows=$(printf '\n        {"nextProtocol": 1, "vni": 500, "innerSrc": "10.50.0.1", "innerDst": "10.50.0.2", "echoRequests": %d, "echoReplies": %d}' "$N" "$N")
gpe_vnis="500"
if [[ $GPE_V6 -eq 1 ]]; then
  gpe_flows+=$(printf ',\n        {"nextProtocol": 2, "vni": 501, "innerSrc": "fd00:500::1", "innerDst": "fd00:500::2", "echoRequests": %d, "echoReplies": %d}' "$N" "$N")
  gpe_vnis="500, 501"
fi

cat >"$TMP/expect.json" <<EOF
{
  "schema": 1,
  "generator": "tools/captures/kernel_vxlan.sh",
  "kernel": "$(uname -r)",
  "linkType": 1,
  "captureSide": {"interface": "vethA", "namespace": "A", "mac": "$UA_MAC", "peerMac": "$UB_MAC"},
  "notes": "A is the side that pings (echo requests A->B, replies B->A). Pings run in the order listed. Frames that are not tunnel packets (underlay ARP/ND/MLD) may appear. Outer UDP checksums may be left partial by veth offload and are not asserted.",
  "captures": {
    "plain-ipv4.pcap": {
      "encap": "vxlan",
      "udpDstPort": 4789,
      "vnis": [100],
      "outer": {"ipVersion": 4, "a": "$UA4", "b": "$UB4"},
      "innerEthernet": true,
      "inner": {"ipVersion": 4, "a": "10.100.0.1", "b": "10.100.0.2", "aMac": "$OA_MAC", "bMac": "$OB_MAC"},
      "echoRequests": $N,
      "echoReplies": $N,
      "gbp": null,
      "minTunnelPackets": $((2 * N))
    },
    "gbp-ipv4.pcap": {
      "encap": "vxlan-gbp",
      "udpDstPort": 4789,
      "vnis": [400],
      "outer": {"ipVersion": 4, "a": "$UA4", "b": "$UB4"},
      "innerEthernet": true,
      "inner": {"ipVersion": 4, "a": "10.40.0.1", "b": "10.40.0.2", "aMac": "$OA_MAC", "bMac": "$OB_MAC"},
      "staticNeighbours": true,
      "gbp": {
        "mapping": "mark & 0xffff = Group Policy ID, 0x00400000 = D, 0x00080000 = A, G set iff mark != 0",
        "requestsAtoB": [$gbp_entries
        ],
        "repliesBtoA": {"gbp": false, "count": $(( N * ${#GBP_MARKS[@]} ))}
      },
      "echoRequests": $(( N * ${#GBP_MARKS[@]} )),
      "echoReplies": $(( N * ${#GBP_MARKS[@]} )),
      "minTunnelPackets": $(( 2 * N * ${#GBP_MARKS[@]} ))
    },
    "gpe-ipv4.pcap": {
      "encap": "vxlan-gpe",
      "udpDstPort": 4790,
      "vnis": [$gpe_vnis],
      "outer": {"ipVersion": 4, "a": "$UA4", "b": "$UB4"},
      "innerEthernet": false,
      "gpe": {
        "flows": [$gpe_flows
        ]
      },
      "gbp": null,
      "minTunnelPackets": $(( 2 * N * (1 + GPE_V6) ))
    },
    "plain-ipv6.pcap": {
      "encap": "vxlan",
      "udpDstPort": 4789,
      "vnis": [200],
      "outer": {"ipVersion": 6, "a": "$UA6", "b": "$UB6"},
      "innerEthernet": true,
      "inner": {"ipVersion": 4, "a": "10.200.0.1", "b": "10.200.0.2", "aMac": "$OA_MAC", "bMac": "$OB_MAC"},
      "echoRequests": $N,
      "echoReplies": $N,
      "gbp": null,
      "minTunnelPackets": $((2 * N))
    }
  }
}
EOF
if command -v node >/dev/null; then
  node -e 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))' "$TMP/expect.json" ||
    die "generated expect.json is not valid JSON"
fi
mv -f -- "$TMP/expect.json" "$OUT/expect.json"
OK=1
log "wrote ${FILES[*]} to $OUT in $(( SECONDS - T_START )) s"
