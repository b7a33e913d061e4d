#!/usr/bin/env bash
# Open vSwitch (userspace / netdev datapath) as a live tunnel peer for tunnelwire's tests.
#
# Usage: tools/ovs/ovs_peer.sh install
#        tools/ovs/ovs_peer.sh up NAME        # < 30 s; prints nothing on stdout, progress on stderr
#        tools/ovs/ovs_peer.sh down NAME      # idempotent; safe when 'up' failed half-way
#        tools/ovs/ovs_peer.sh status NAME    # human-readable state: ports, TLV map, flows+counters, tnl/neigh
#        tools/ovs/ovs_peer.sh info [NAME]    # JSON: namespaces, addresses, MACs, VNI/options/keys, cookies
#        tools/ovs/ovs_peer.sh neigh NAME [GNV_MAC [GRE_MAC] | clear]  # static overlay neighbours (no inner ARP)
#        tools/ovs/ovs_peer.sh selfcheck NAME [--wrong] [--only geneve|gre]  # scapy round trip, JSON
#        tools/ovs/ovs_peer.sh counters NAME  # JSON lines: br-tun flows {kind:flow,name,cookie,n_packets,n_bytes},
#                                             # then non-zero OVS drop counters {kind:coverage,name,n_packets}
#        tools/ovs/ovs_peer.sh purge NAME     # drop OVS's cached datapath flows (see README, "megaflow cache")
#        tools/ovs/ovs_peer.sh vsctl|ofctl|appctl NAME ARGS...   # run an OVS tool against this instance
#
# 'up NAME' creates two network namespaces joined by a veth pair (the underlay):
#   tw-ovs-NAME: ovsdb-server + ovs-vswitchd (--disable-system: netdev datapath only), with their
#                own run/db/log dirs under $TW_OVS_STATE_ROOT/tw-ovs-NAME (default /tmp), so a system
#                Open vSwitch (if any) is never touched; bridges br-phy (underlay, veth-ovs +
#                192.0.2.1 / 2001:db8:1::1) and br-tun (ovs-host 10.20.0.1/24, ovs-gre 10.30.0.1/24,
#                Geneve port gnv0, GRE port gre0, both remote_ip=192.0.2.2 key=flow).
#   tw-our-NAME: only veth-our (192.0.2.2 / 2001:db8:1::2); this is where the code under test runs.
# Addresses, MACs, keys and flows: see tools/ovs/README.md or 'info'.
#
# Needs root, iproute2, and openvswitch-switch (Debian 12: 3.1.0), which 'install' adds without
# starting the system service. Exit status is non-zero with "ovs_peer.sh: ERROR: ..." on stderr
# when something fails; a failed 'up' tears down what it created.
set -euo pipefail

SELF=${0##*/}
die() { echo "$SELF: ERROR: $*" >&2; exit 1; }
log() { echo "$SELF: $*" >&2; }

# ---------------------------------------------------------------------------------------------
# Fixed topology (documented in README.md; 'info' prints it as JSON)
OVS_IP4=192.0.2.1;      OUR_IP4=192.0.2.2
OVS_IP6=2001:db8:1::1;  OUR_IP6=2001:db8:1::2
BRPHY_MAC=02:00:c0:00:02:01      # br-phy: outer source MAC of OVS's tunnel packets, owns 192.0.2.1
VETH_OVS_MAC=02:00:c0:00:02:11   # veth-ovs: an OVS port of br-phy (no address, never a source)
VETH_OUR_MAC=02:00:c0:00:02:02   # veth-our: our side's underlay interface
GNV_OVS_IP=10.20.0.1;  GNV_OVS_MAC=02:00:0a:14:00:01   # ovs-host (internal port, Geneve side)
GNV_OUR_IP=10.20.0.2;  GNV_OUR_MAC=02:00:0a:14:00:02   # suggested for our side (any MAC works)
GRE_OVS_IP=10.30.0.1;  GRE_OVS_MAC=02:00:0a:1e:00:01   # ovs-gre (internal port, GRE side)
GRE_OUR_IP=10.30.0.2;  GRE_OUR_MAC=02:00:0a:1e:00:02   # suggested for our side (any MAC works)
GNV_VNI=5001
GNV_OPT_CLASS=0x0102; GNV_OPT_TYPE=0x80; GNV_OPT_LEN=4  # OVN option, critical type
GNV_MD_OUT=0x00010002   # OVS -> us  (OVN: ingress port 1, egress port 2)
GNV_MD_IN=0x00020001    # us -> OVS  (must match exactly to reach ovs-host)
GNV_MD_WRONG=0x00010002 # us -> OVS  with the OVS->us value echoed back: has its own (drop) flow
GRE_VSID=0x00138a       # 5002
GRE_FLOWID=0x7f
GRE_KEY_OUT=0x00138a7f  # OVS -> us: (VSID << 8) | FlowID
GRE_KEY_IN_MATCH=0x00138a00/0xffffff00  # us -> OVS: VSID 5002, any FlowID
GRE_KEY_WRONG=0x0000138a                # us -> OVS: the VSID un-shifted (a typical bug): drop flow
OFP_OVS_HOST=1; OFP_OVS_GRE=2; OFP_GNV=10; OFP_GRE=20; OFP_VETH_OVS=1
# name cookie (br-tun flows; 'counters' reports them)
FLOW_NAMES=(gnv-out gnv-in gnv-in-wrong gnv-in-miss gre-out gre-in gre-in-wrong gre-in-miss table-miss)
FLOW_COOKIES=(0x11 0x12 0x13 0x14 0x21 0x22 0x23 0x24 0xff)

STATE_ROOT=${TW_OVS_STATE_ROOT:-/tmp}
UP_TIMEOUT=${TW_OVS_UP_TIMEOUT:-25}   # seconds for the whole 'up'
T=10                                   # per-command limit, seconds

# ---------------------------------------------------------------------------------------------
need_root() { [[ $(id -u) -eq 0 ]] || die "must run as root (network namespaces, OVS daemons)"; }
need_ovs() {
  local t
  for t in ovsdb-server ovs-vswitchd ovsdb-tool ovs-vsctl ovs-ofctl ovs-appctl; do
    command -v "$t" >/dev/null || die "'$t' not found; run '$SELF install' (Debian package openvswitch-switch)"
  done
  command -v ip >/dev/null || die "'ip' (iproute2) not found"
  [[ -r /usr/share/openvswitch/vswitch.ovsschema ]] || die "/usr/share/openvswitch/vswitch.ovsschema missing"
}
check_name() {
  [[ ${1:-} =~ ^[A-Za-z0-9][A-Za-z0-9_-]{0,15}$ ]] \
    || die "NAME must match [A-Za-z0-9][A-Za-z0-9_-]{0,15} (got '${1:-}')"
}
set_vars() {
  NAME=$1
  NS_OVS=tw-ovs-$NAME
  NS_OUR=tw-our-$NAME
  DIR=$STATE_ROOT/tw-ovs-$NAME
  RUN=$DIR/run; DB=$DIR/db; LOGD=$DIR/log
  export OVS_RUNDIR=$RUN OVS_DBDIR=$DB OVS_LOGDIR=$LOGD OVS_SYSCONFDIR=$DIR/etc
  VSCTL=(timeout $T ovs-vsctl --timeout=$T --db="unix:$RUN/db.sock")
  OFCTL=(timeout $T ovs-ofctl)
  APPCTL=(timeout $T ovs-appctl --timeout=$T -t "$RUN/ovs-vswitchd.ctl")
}
ns_exists() { ip netns list 2>/dev/null | awk '{print $1}' | grep -qxF -- "$1"; }
inovs() { ip netns exec "$NS_OVS" "$@"; }
inour() { ip netns exec "$NS_OUR" "$@"; }
nsysctl() { ip netns exec "$1" sh -c 'echo "$1" >"/proc/sys/$2"' sh "$3" "${2//.//}"; }
# run CMD... or fail naming the step and the command's stderr
STEP=""
must() {
  local err
  if ! err=$("$@" 2>&1 >/dev/null); then die "step '$STEP': command failed: $* -- $(echo "$err" | tr '\n' ' ')"; fi
}

# ---------------------------------------------------------------------------------------------
cmd_install() {
  if command -v ovs-vswitchd >/dev/null && command -v ovsdb-server >/dev/null && command -v ovs-vsctl >/dev/null; then
    log "openvswitch-switch already installed ($(ovs-vswitchd --version | head -1))"
    return 0
  fi
  need_root
  command -v apt-get >/dev/null || die "openvswitch-switch missing and apt-get unavailable"
  # Keep the package's maintainer scripts from starting the system service: a temporary
  # policy-rc.d (honoured by invoke-rc.d and deb-systemd-invoke) unless one exists already.
  local policy=/usr/sbin/policy-rc.d made_policy=0 was_running=0
  pgrep -x ovs-vswitchd >/dev/null 2>&1 && was_running=1
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\n# temporary, from tunnelwire tools/ovs/ovs_peer.sh install\nexit 101\n' >"$policy"
    chmod 755 "$policy"; made_policy=1
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  export DEBIAN_FRONTEND=noninteractive
  log "installing openvswitch-switch"
  if ! apt-get install -y -q --no-install-recommends openvswitch-switch >&2; then
    log "install failed; running apt-get update and retrying"
    apt-get update -q >&2 || die "apt-get update failed"
    apt-get install -y -q --no-install-recommends openvswitch-switch >&2 || die "apt-get install openvswitch-switch failed"
  fi
  if [[ $made_policy -eq 1 ]]; then rm -f "$policy"; trap - EXIT; fi
  # Belt and braces: if the package still started the system daemons, stop them (only when they
  # were not running before we installed).
  if [[ $was_running -eq 0 ]] && { pgrep -x ovs-vswitchd >/dev/null 2>&1 || pgrep -x ovsdb-server >/dev/null 2>&1; }; then
    log "the package started the system Open vSwitch service; stopping it"
    if [[ -d /run/systemd/system ]]; then systemctl stop openvswitch-switch ovs-vswitchd ovsdb-server >&2 || true
    else /usr/share/openvswitch/scripts/ovs-ctl stop >&2 || true; fi
  fi
  command -v ovs-vswitchd >/dev/null || die "ovs-vswitchd still missing after install"
  log "installed $(ovs-vswitchd --version | head -1)"
}

# ---------------------------------------------------------------------------------------------
kill_pidfiles() {  # kill_pidfiles FILE...: TERM all at once, wait up to 3 s, then KILL
  local f pid pids=() i alive
  for f in "$@"; do
    [[ -r $f ]] || continue
    pid=$(cat "$f" 2>/dev/null || true)
    [[ $pid =~ ^[0-9]+$ ]] || continue
    kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
  done
  [[ ${#pids[@]} -gt 0 ]] || return 0
  for ((i = 0; i < 60; i++)); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [[ $alive -eq 1 ]] || return 0
    sleep 0.05
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  for ((i = 0; i < 20; i++)); do
    alive=0
    for pid in "${pids[@]}"; do [[ -d /proc/$pid ]] && [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) != Z ]] && alive=1; done
    [[ $alive -eq 1 ]] || return 0
    sleep 0.05
  done
}
kill_ns_pids() {  # any process still inside namespace $1 (all of them were started for this peer)
  local ns=$1 pids i
  ns_exists "$ns" || return 0
  pids=$(ip netns pids "$ns" 2>/dev/null || true)
  [[ -n $pids ]] || return 0
  # shellcheck disable=SC2086
  kill -TERM $pids 2>/dev/null || true
  for ((i = 0; i < 30; i++)); do
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    [[ -n $pids ]] || return 0
    sleep 0.1
  done
  # shellcheck disable=SC2086
  kill -KILL $pids 2>/dev/null || true
  for ((i = 0; i < 20; i++)); do
    [[ -n $(ip netns pids "$ns" 2>/dev/null) ]] || return 0
    sleep 0.05
  done
  log "warning: processes still in $ns after SIGKILL: $(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')"
}
cmd_down() {
  check_name "${1:-}"; need_root; set_vars "$1"
  kill_pidfiles "$RUN/ovs-vswitchd.pid" "$RUN/ovsdb-server.pid"
  kill_ns_pids "$NS_OVS"
  kill_ns_pids "$NS_OUR"
  ns_exists "$NS_OVS" && { ip netns del "$NS_OVS" 2>/dev/null || log "warning: could not delete netns $NS_OVS"; }
  ns_exists "$NS_OUR" && { ip netns del "$NS_OUR" 2>/dev/null || log "warning: could not delete netns $NS_OUR"; }
  if [[ -d $DIR ]]; then
    [[ -f $DIR/.tw-ovs-peer ]] || die "$DIR exists but was not made by $SELF; not removing it"
    rm -rf -- "$DIR"
  fi
  ! ns_exists "$NS_OVS" && ! ns_exists "$NS_OUR" && [[ ! -e $DIR ]] || die "down $NAME: something was left behind"
  return 0
}

# ---------------------------------------------------------------------------------------------
UP_OK=0
WATCHDOG=""
stop_watchdog() {
  [[ -n $WATCHDOG ]] || return 0
  kill "$WATCHDOG" 2>/dev/null || true; wait "$WATCHDOG" 2>/dev/null || true
  WATCHDOG=""
}
up_fail() {
  local rc=$?
  trap - EXIT
  stop_watchdog
  if [[ $UP_OK -ne 1 ]]; then
    [[ $rc -ne 0 ]] || rc=1
    if [[ -d ${LOGD:-/nonexistent} ]]; then
      for f in "$LOGD"/*.log; do
        [[ -s $f ]] || continue
        echo "---- tail of ${f##*/}" >&2; tail -n 15 "$f" >&2 || true
      done
    fi
    log "up $NAME failed (exit $rc); tearing down"
    ( cmd_down "$NAME" ) || true
  fi
  exit "$rc"
}
wait_for() {  # wait_for SECONDS DESCRIPTION CMD...
  local secs=$1 what=$2 i; shift 2
  for ((i = 0; i < secs * 10; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  die "step '$STEP': timed out after ${secs}s waiting for $what"
}

cmd_up() {
  check_name "${1:-}"; need_root; need_ovs; set_vars "$1"
  ns_exists "$NS_OVS" && die "namespace $NS_OVS already exists (run '$SELF down $NAME' first)"
  ns_exists "$NS_OUR" && die "namespace $NS_OUR already exists (run '$SELF down $NAME' first)"
  [[ -e $DIR ]] && die "$DIR already exists (run '$SELF down $NAME' first)"
  trap up_fail EXIT
  trap 'exit 130' INT; trap 'exit 129' HUP
  trap 'echo "$SELF: ERROR: up $NAME: SIGTERM (the ${UP_TIMEOUT}s limit of up, or an external signal)" >&2; exit 143' TERM
  # overall deadline: a watchdog that interrupts us if 'up' takes too long
  # (no inherited stdio, so a caller reading our stderr pipe is never held open by it)
  local me=$$
  ( exec </dev/null >/dev/null 2>&1; trap 'kill $sp 2>/dev/null; exit 0' TERM
    sleep "$UP_TIMEOUT" & sp=$!; wait $sp && kill -TERM "$me" ) &
  WATCHDOG=$!
  local t0=$SECONDS

  STEP=dirs
  mkdir -p -- "$RUN" "$DB" "$LOGD" "$DIR/etc"
  : >"$DIR/.tw-ovs-peer"
  chmod 700 "$DIR"

  STEP=netns
  must ip netns add "$NS_OVS"
  must ip netns add "$NS_OUR"
  must ip link add veth-ovs address "$VETH_OVS_MAC" netns "$NS_OVS" type veth \
    peer name veth-our address "$VETH_OUR_MAC" netns "$NS_OUR"
  must ip -n "$NS_OVS" link set lo up
  must ip -n "$NS_OUR" link set lo up
  # OVS side: no IPv6 on anything OVS creates (internal taps would otherwise send RS/MLD/ND
  # through the tunnels); br-phy gets it back explicitly below.
  must nsysctl "$NS_OVS" net.ipv6.conf.default.disable_ipv6 1
  must nsysctl "$NS_OVS" net.ipv6.conf.veth-ovs.disable_ipv6 1
  must ip -n "$NS_OVS" link set veth-ovs up
  # Our side: the underlay addresses; no checksum offload on veth-our (see README: OVS's
  # userspace datapath drops tunnel packets whose UDP checksum was left to "hardware").
  must ip -n "$NS_OUR" addr add "$OUR_IP4/24" dev veth-our
  must ip -n "$NS_OUR" addr add "$OUR_IP6/64" dev veth-our nodad
  must ip -n "$NS_OUR" link set veth-our up
  if command -v ethtool >/dev/null; then
    must ip netns exec "$NS_OUR" ethtool -K veth-our tx off
  else
    # no ethtool: the same ETHTOOL_STXCSUM ioctl from python3's stdlib
    must ip netns exec "$NS_OUR" /usr/bin/python3 -c '
import ctypes, fcntl, socket, struct
val = ctypes.create_string_buffer(struct.pack("II", 0x17, 0), 8)   # ETHTOOL_STXCSUM, off
ifr = struct.pack("16sP", b"veth-our", ctypes.addressof(val))
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
fcntl.ioctl(sock.fileno(), 0x8946, ifr)  # SIOCETHTOOL
'
  fi

  STEP=ovsdb
  must ovsdb-tool create "$DB/conf.db" /usr/share/openvswitch/vswitch.ovsschema
  must inovs ovsdb-server "$DB/conf.db" --remote="punix:$RUN/db.sock" \
    --pidfile="$RUN/ovsdb-server.pid" --unixctl="$RUN/ovsdb-server.ctl" \
    --log-file="$LOGD/ovsdb-server.log" -vconsole:off --no-chdir --detach
  wait_for 5 "ovsdb-server socket" test -S "$RUN/db.sock"
  must "${VSCTL[@]}" --no-wait init

  STEP=ovs-vswitchd
  must inovs ovs-vswitchd "unix:$RUN/db.sock" --disable-system \
    --pidfile="$RUN/ovs-vswitchd.pid" --unixctl="$RUN/ovs-vswitchd.ctl" \
    --log-file="$LOGD/ovs-vswitchd.log" -vconsole:off --no-chdir --detach
  wait_for 5 "ovs-vswitchd control socket" test -S "$RUN/ovs-vswitchd.ctl"

  STEP=br-phy
  must "${VSCTL[@]}" add-br br-phy -- set bridge br-phy datapath_type=netdev fail-mode=standalone \
    other_config:hwaddr=\""$BRPHY_MAC"\" \
    -- add-port br-phy veth-ovs -- set interface veth-ovs ofport_request=$OFP_VETH_OVS
  wait_for 5 "br-phy device" ip -n "$NS_OVS" link show br-phy
  must nsysctl "$NS_OVS" net.ipv6.conf.br-phy.disable_ipv6 0
  must ip -n "$NS_OVS" link set br-phy address "$BRPHY_MAC"
  must ip -n "$NS_OVS" addr add "$OVS_IP4/24" dev br-phy
  must ip -n "$NS_OVS" addr add "$OVS_IP6/64" dev br-phy nodad
  must ip -n "$NS_OVS" link set br-phy up

  STEP=br-tun
  must "${VSCTL[@]}" add-br br-tun -- set bridge br-tun datapath_type=netdev fail-mode=secure \
    -- add-port br-tun ovs-host -- set interface ovs-host type=internal mac=\""$GNV_OVS_MAC"\" ofport_request=$OFP_OVS_HOST \
    -- add-port br-tun ovs-gre -- set interface ovs-gre type=internal mac=\""$GRE_OVS_MAC"\" ofport_request=$OFP_OVS_GRE \
    -- add-port br-tun gnv0 -- set interface gnv0 type=geneve ofport_request=$OFP_GNV \
         options:remote_ip=$OUR_IP4 options:key=flow \
    -- add-port br-tun gre0 -- set interface gre0 type=gre ofport_request=$OFP_GRE \
         options:remote_ip=$OUR_IP4 options:key=flow
  wait_for 5 "ovs-host device" ip -n "$NS_OVS" link show ovs-host
  wait_for 5 "ovs-gre device" ip -n "$NS_OVS" link show ovs-gre
  must ip -n "$NS_OVS" addr add "$GNV_OVS_IP/24" dev ovs-host
  must ip -n "$NS_OVS" link set ovs-host up
  must ip -n "$NS_OVS" addr add "$GRE_OVS_IP/24" dev ovs-gre
  must ip -n "$NS_OVS" link set ovs-gre up
  local p ofp
  for p in ovs-host:$OFP_OVS_HOST ovs-gre:$OFP_OVS_GRE gnv0:$OFP_GNV gre0:$OFP_GRE; do
    ofp=$("${VSCTL[@]}" get interface "${p%%:*}" ofport)
    [[ $ofp == "${p#*:}" ]] || die "step '$STEP': port ${p%%:*} got ofport '$ofp', wanted ${p#*:} ($("${VSCTL[@]}" get interface "${p%%:*}" error))"
  done

  STEP=tlv-map
  must "${OFCTL[@]}" add-tlv-map br-tun "{class=$GNV_OPT_CLASS,type=$GNV_OPT_TYPE,len=$GNV_OPT_LEN}->tun_metadata0"

  STEP=flows
  cat >"$DIR/br-tun.flows" <<EOF
cookie=0x11,table=0,priority=100,in_port=$OFP_OVS_HOST,actions=set_field:$GNV_VNI->tun_id,set_field:$GNV_MD_OUT->tun_metadata0,output:$OFP_GNV
cookie=0x12,table=0,priority=100,in_port=$OFP_GNV,tun_id=$GNV_VNI,tun_metadata0=$GNV_MD_IN,actions=output:$OFP_OVS_HOST
cookie=0x13,table=0,priority=100,in_port=$OFP_GNV,tun_id=$GNV_VNI,tun_metadata0=$GNV_MD_WRONG,actions=drop
cookie=0x14,table=0,priority=10,in_port=$OFP_GNV,actions=drop
cookie=0x21,table=0,priority=100,in_port=$OFP_OVS_GRE,actions=set_field:$GRE_KEY_OUT->tun_id,output:$OFP_GRE
cookie=0x22,table=0,priority=100,in_port=$OFP_GRE,tun_id=$GRE_KEY_IN_MATCH,actions=output:$OFP_OVS_GRE
cookie=0x23,table=0,priority=100,in_port=$OFP_GRE,tun_id=$GRE_KEY_WRONG,actions=drop
cookie=0x24,table=0,priority=10,in_port=$OFP_GRE,actions=drop
cookie=0xff,table=0,priority=0,actions=drop
EOF
  must "${OFCTL[@]}" del-flows br-tun
  must "${OFCTL[@]}" add-flows br-tun "$DIR/br-tun.flows"

  STEP=tunnel-route
  # ovs-vswitchd learns the netns routes over netlink; wait until 192.0.2.2 resolves to br-phy.
  wait_for 5 "ovs/route/lookup $OUR_IP4 -> br-phy" sh -c "$(printf '%q ' "${APPCTL[@]}") ovs/route/lookup $OUR_IP4 | grep -q 'dev br-phy'"
  # Static underlay neighbours so the first tunnel packet is not lost to ARP/ND (OVS would also
  # learn them by snooping br-phy's own ARP/ND, and sends ARP itself on a miss).
  must "${APPCTL[@]}" tnl/neigh/set br-phy "$OUR_IP4" "$VETH_OUR_MAC"
  must "${APPCTL[@]}" tnl/neigh/set br-phy "$OUR_IP6" "$VETH_OUR_MAC"
  # and in the kernels, so neither side needs to ARP on the underlay either
  must ip -n "$NS_OVS" neigh replace "$OUR_IP4" lladdr "$VETH_OUR_MAC" dev br-phy nud permanent
  must ip -n "$NS_OUR" neigh replace "$OVS_IP4" lladdr "$BRPHY_MAC" dev veth-our nud permanent
  must ip -n "$NS_OVS" neigh replace "$OUR_IP6" lladdr "$VETH_OUR_MAC" dev br-phy nud permanent
  must ip -n "$NS_OUR" neigh replace "$OVS_IP6" lladdr "$BRPHY_MAC" dev veth-our nud permanent

  STEP=check
  local ports
  ports=$("${APPCTL[@]}" tnl/ports/show 2>&1) || die "step '$STEP': tnl/ports/show failed: $ports"
  grep -q 'genev_sys_6081' <<<"$ports" && grep -q 'gre_sys' <<<"$ports" \
    || die "step '$STEP': geneve/gre tunnel ports not listening: $(tr '\n' ' ' <<<"$ports")"
  # underlay reachability through br-phy (kernel of tw-ovs <-> kernel of tw-our)
  if command -v ping >/dev/null; then must inour ping -c 1 -W 2 -q "$OVS_IP4"; fi

  stop_watchdog
  UP_OK=1
  trap - EXIT INT TERM HUP
  log "up $NAME: ready in $((SECONDS - t0))s (netns $NS_OVS / $NS_OUR, state $DIR)"
}

# ---------------------------------------------------------------------------------------------
need_up() {
  check_name "${1:-}"; need_root; need_ovs; set_vars "$1"
  [[ -S $RUN/ovs-vswitchd.ctl && -S $RUN/db.sock ]] || die "peer '$NAME' is not up (no $RUN/ovs-vswitchd.ctl)"
}
cmd_status() {
  need_up "$1"
  echo "== $NAME: namespaces $NS_OVS, $NS_OUR; state $DIR"
  echo "== ovs-vsctl show"; "${VSCTL[@]}" show
  echo "== ovs-ofctl dump-tlv-map br-tun"; "${OFCTL[@]}" dump-tlv-map br-tun
  "${APPCTL[@]}" revalidator/wait >/dev/null 2>&1 || true
  echo "== ovs-ofctl dump-flows br-tun"; "${OFCTL[@]}" dump-flows br-tun
  echo "== ovs-ofctl dump-flows br-phy"; "${OFCTL[@]}" dump-flows br-phy
  echo "== tnl/neigh/show"; "${APPCTL[@]}" tnl/neigh/show
  echo "== tnl/ports/show"; "${APPCTL[@]}" tnl/ports/show
  echo "== ovs/route/show"; "${APPCTL[@]}" ovs/route/show
  echo "== dpif/show"; "${APPCTL[@]}" dpif/show
  echo "== ip addr ($NS_OVS)"; ip -n "$NS_OVS" -br addr
  echo "== ip addr ($NS_OUR)"; ip -n "$NS_OUR" -br addr
  echo "== ip neigh ($NS_OVS)"; ip -n "$NS_OVS" neigh
}
cmd_counters() {
  need_up "$1"
  local out i c line np nb
  # datapath flow stats reach the OpenFlow counters on the revalidators' next pass (up to ~0.5 s
  # later); revalidator/wait forces that pass, so the numbers include every packet already handled
  "${APPCTL[@]}" revalidator/wait >/dev/null 2>&1 || true
  out=$("${OFCTL[@]}" dump-flows br-tun) || die "dump-flows br-tun failed"
  for i in "${!FLOW_NAMES[@]}"; do
    c=${FLOW_COOKIES[$i]}
    line=$(grep -E "cookie=$c," <<<"$out" | head -1 || true)
    [[ -n $line ]] || die "flow ${FLOW_NAMES[$i]} (cookie $c) missing from br-tun"
    np=$(sed -nE 's/.*n_packets=([0-9]+).*/\1/p' <<<"$line")
    nb=$(sed -nE 's/.*n_bytes=([0-9]+).*/\1/p' <<<"$line")
    printf '{"kind":"flow","name":"%s","cookie":"%s","n_packets":%s,"n_bytes":%s}\n' "${FLOW_NAMES[$i]}" "$c" "${np:-0}" "${nb:-0}"
  done
  # Packets OVS dropped before or outside the OpenFlow table (bad tunnel header/checksum, options
  # it cannot translate, ...), from ovs-vswitchd's coverage counters (non-zero ones only; they
  # are folded in about once a second, so they can lag by ~1 s).
  "${APPCTL[@]}" coverage/show 2>/dev/null \
    | awk '$1 ~ /^(datapath_drop_|drop_action_)/ && $1 != "drop_action_of_pipeline" && $NF+0 > 0 {
             printf "{\"kind\":\"coverage\",\"name\":\"%s\",\"n_packets\":%d}\n", $1, $NF }'
}
cmd_info() {
  local n=${1:-NAME}
  [[ $n == NAME ]] || check_name "$n"
  local cookies="" i
  for i in "${!FLOW_NAMES[@]}"; do cookies+="${cookies:+,}\"${FLOW_NAMES[$i]}\":\"${FLOW_COOKIES[$i]}\""; done
  cat <<EOF
{"name":"$n","nsOvs":"tw-ovs-$n","nsOur":"tw-our-$n","stateDir":"$STATE_ROOT/tw-ovs-$n",
 "underlay":{"ovsIfname":"veth-ovs","ourIfname":"veth-our","ovsBridge":"br-phy",
  "ovsIp4":"$OVS_IP4","ourIp4":"$OUR_IP4","ovsIp6":"$OVS_IP6","ourIp6":"$OUR_IP6",
  "ovsMac":"$BRPHY_MAC","ourMac":"$VETH_OUR_MAC","vethOvsMac":"$VETH_OVS_MAC"},
 "geneve":{"port":"gnv0","ofport":$OFP_GNV,"udpDstPort":6081,"vni":$GNV_VNI,
  "option":{"class":$((GNV_OPT_CLASS)),"type":$((GNV_OPT_TYPE)),"dataLen":$GNV_OPT_LEN},
  "optionDataFromOvs":"$GNV_MD_OUT","optionDataToOvs":"$GNV_MD_IN","optionDataWrong":"$GNV_MD_WRONG",
  "ovsIp":"$GNV_OVS_IP","ovsMac":"$GNV_OVS_MAC","ovsIfname":"ovs-host","ourIp":"$GNV_OUR_IP","ourMac":"$GNV_OUR_MAC","prefixLen":24},
 "gre":{"port":"gre0","ofport":$OFP_GRE,"ipProto":47,"protocolType":"0x6558","keyFromOvs":"$GRE_KEY_OUT",
  "vsid":$((GRE_VSID)),"flowIdFromOvs":$((GRE_FLOWID)),"keyMatchToOvs":"$GRE_KEY_IN_MATCH","keyWrong":"$GRE_KEY_WRONG",
  "ovsIp":"$GRE_OVS_IP","ovsMac":"$GRE_OVS_MAC","ovsIfname":"ovs-gre","ourIp":"$GRE_OUR_IP","ourMac":"$GRE_OUR_MAC","prefixLen":24},
 "flowCookies":{$cookies}}
EOF
}
cmd_neigh() {
  # Optional: static neighbours in OVS's namespace for our overlay addresses, so the kernel behind
  # ovs-host / ovs-gre never ARPs for 10.20.0.2 / 10.30.0.2 (by default it does, through the
  # tunnels, and our side must answer). Args: NAME [GENEVE_MAC [GRE_MAC]] | NAME clear
  need_up "$1"
  STEP=neigh
  if [[ ${2:-} == clear ]]; then
    ip -n "$NS_OVS" neigh del "$GNV_OUR_IP" dev ovs-host 2>/dev/null || true
    ip -n "$NS_OVS" neigh del "$GRE_OUR_IP" dev ovs-gre 2>/dev/null || true
    return 0
  fi
  local gm=${2:-$GNV_OUR_MAC} rm=${3:-$GRE_OUR_MAC}
  must ip -n "$NS_OVS" neigh replace "$GNV_OUR_IP" lladdr "$gm" dev ovs-host nud permanent
  must ip -n "$NS_OVS" neigh replace "$GRE_OUR_IP" lladdr "$rm" dev ovs-gre nud permanent
}
cmd_selfcheck() {
  # scapy self-check from our namespace (tools/ovs/selfcheck.py): Geneve and GRE echo through OVS,
  # inner ARP answered through the tunnels. Flushes OVS's overlay neighbours first so the ARP path
  # is exercised (static entries from 'neigh' are kept). Prints the selfcheck JSON on stdout and
  # the flow counters on stderr.
  need_up "$1"; shift
  local here rc=0
  here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
  /usr/bin/python3 -c 'import scapy' 2>/dev/null || die "python3-scapy is not installed (tools/test-deps.sh installs it)"
  ip -n "$NS_OVS" neigh flush dev ovs-host 2>/dev/null || true
  ip -n "$NS_OVS" neigh flush dev ovs-gre 2>/dev/null || true
  inour timeout 30 /usr/bin/python3 "$here/selfcheck.py" "$@" || rc=$?
  cmd_counters "$NAME" >&2
  return "$rc"
}

usage() {
  sed -n '4,14p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
[[ $# -ge 1 ]] || usage
cmd=$1; shift
case $cmd in
  install) cmd_install ;;
  up) [[ $# -eq 1 ]] || usage; cmd_up "$1" ;;
  down) [[ $# -eq 1 ]] || usage; cmd_down "$1" ;;
  status) [[ $# -eq 1 ]] || usage; cmd_status "$1" ;;
  counters) [[ $# -eq 1 ]] || usage; cmd_counters "$1" ;;
  info) [[ $# -le 1 ]] || usage; cmd_info "${1:-NAME}" ;;
  neigh) [[ $# -ge 1 && $# -le 3 ]] || usage; cmd_neigh "$@" ;;
  selfcheck) [[ $# -ge 1 ]] || usage; cmd_selfcheck "$@" ;;
  purge) [[ $# -eq 1 ]] || usage; need_up "$1"; "${APPCTL[@]}" revalidator/purge >/dev/null ;;
  vsctl) [[ $# -ge 1 ]] || usage; need_up "$1"; shift; exec "${VSCTL[@]}" "$@" ;;
  ofctl) [[ $# -ge 1 ]] || usage; need_up "$1"; shift; exec "${OFCTL[@]}" "$@" ;;
  appctl) [[ $# -ge 1 ]] || usage; need_up "$1"; shift; exec "${APPCTL[@]}" "$@" ;;
  -h|--help|help) usage ;;
  *) echo "$SELF: unknown command '$cmd'" >&2; usage ;;
esac
