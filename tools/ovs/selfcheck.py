#!/usr/bin/env python3
"""Self-check of an ovs_peer.sh peer with scapy, run in our namespace (tw-our-NAME).

    ip netns exec tw-our-NAME python3 tools/ovs/selfcheck.py [--only geneve|gre] [--wrong] [--timeout S]
    (or: tools/ovs/ovs_peer.sh selfcheck NAME [...], which also prints the flow counters)

For each tunnel it sends, on veth-our, an ICMP echo request to OVS's internal port and waits for the
echo reply to come back through the same tunnel, answering OVS's inner ARP requests on the way
(through the tunnel, as our library must):
  geneve: UDP 192.0.2.2 -> 192.0.2.1:6081, VNI 5001, option class 0x0102 type 0x80 (critical, C bit
          set) data 00020001, inner 02:00:0a:14:00:02/10.20.0.2 -> 02:00:0a:14:00:01/10.20.0.1.
          The reply must carry VNI 5001 and the option with data 00010002.
  gre:    IP protocol 47, GRE K bit, key 0x00138a01 (VSID 0x00138a, FlowID 0x01), protocol 0x6558,
          inner 02:00:0a:1e:00:02/10.30.0.2 -> 02:00:0a:1e:00:01/10.30.0.1. The reply must carry
          key 0x00138a7f and protocol 0x6558.
--wrong additionally sends one Geneve echo with option data 00010002 and one GRE echo with key
0x0000138a (both have drop flows in OVS) and requires that no reply arrives.
Prints one JSON object (results) on stdout; exit status 0 only if every check passed.
"""
import argparse
import json
import select
import sys
import time

from scapy.config import conf

conf.verb = 0
from scapy.contrib.geneve import GENEVE, GeneveOptions  # noqa: E402
from scapy.layers.inet import ICMP, IP, UDP  # noqa: E402
from scapy.layers.l2 import ARP, GRE, Ether  # noqa: E402

IFACE = "veth-our"
OUR_IP, OVS_IP = "192.0.2.2", "192.0.2.1"
OUR_UL_MAC, OVS_UL_MAC = "02:00:c0:00:02:02", "02:00:c0:00:02:01"
VNI = 5001
OPT_CLASS, OPT_TYPE = 0x0102, 0x80
MD_TO_OVS, MD_FROM_OVS, MD_WRONG = bytes.fromhex("00020001"), bytes.fromhex("00010002"), bytes.fromhex("00010002")
GRE_KEY_TO_OVS, GRE_KEY_FROM_OVS, GRE_KEY_WRONG = 0x00138A01, 0x00138A7F, 0x0000138A
CASES = {
    "geneve": dict(our_ip="10.20.0.2", our_mac="02:00:0a:14:00:02", ovs_ip="10.20.0.1", ovs_mac="02:00:0a:14:00:01"),
    "gre": dict(our_ip="10.30.0.2", our_mac="02:00:0a:1e:00:02", ovs_ip="10.30.0.1", ovs_mac="02:00:0a:1e:00:01"),
}


def encap(kind, inner, wrong=False):
    outer = Ether(src=OUR_UL_MAC, dst=OVS_UL_MAC) / IP(src=OUR_IP, dst=OVS_IP, ttl=64)
    if kind == "geneve":
        opt = GeneveOptions(classid=OPT_CLASS, type=OPT_TYPE, length=1, data=MD_WRONG if wrong else MD_TO_OVS)
        return outer / UDP(sport=49152 + (VNI & 0x3FFF), dport=6081) / GENEVE(
            vni=VNI, proto=0x6558, critical=1, options=[opt]) / inner
    return outer / GRE(key_present=1, key=GRE_KEY_WRONG if wrong else GRE_KEY_TO_OVS, proto=0x6558) / inner


def decap(kind, pkt):
    """Return (tunnel header info, inner Ether) if pkt is a tunnel packet of this kind from OVS."""
    if not pkt.haslayer(IP) or pkt[IP].src != OVS_IP or pkt[IP].dst != OUR_IP:
        return None, None
    if kind == "geneve" and pkt.haslayer(GENEVE):
        g = pkt[GENEVE]
        info = dict(vni=g.vni, critical=int(g.critical), proto=hex(g.proto), udp_sport=pkt[UDP].sport,
                    udp_dport=pkt[UDP].dport, udp_chksum=pkt[UDP].chksum,
                    options=[dict(cls=hex(o.classid), type=hex(o.type), data=bytes(o.data).hex()) for o in g.options])
        return info, g.payload if isinstance(g.payload, Ether) else Ether(bytes(g.payload))
    if kind == "gre" and pkt.haslayer(GRE) and pkt[IP].proto == 47:
        g = pkt[GRE]
        info = dict(key=None if g.key is None else f"0x{g.key:08x}", proto=hex(g.proto),
                    flags=dict(C=g.chksum_present, K=g.key_present, S=g.seqnum_present))
        return info, g.payload if isinstance(g.payload, Ether) else Ether(bytes(g.payload))
    return None, None


def run_case(sock, kind, timeout, wrong=False):
    c = CASES[kind]
    ident, seq = 0x7477, (2 if wrong else 1)
    req = Ether(src=c["our_mac"], dst=c["ovs_mac"]) / IP(src=c["our_ip"], dst=c["ovs_ip"]) / ICMP(
        type=8, id=ident, seq=seq) / (b"tunnelwire-selfcheck-" + kind.encode())
    res = dict(sent=dict(wrong=wrong), arp_requests_answered=0, echo_reply=False, reply_header=None, errors=[])
    if kind == "geneve":
        res["sent"].update(vni=VNI, option_data=(MD_WRONG if wrong else MD_TO_OVS).hex())
    else:
        res["sent"].update(key=f"0x{(GRE_KEY_WRONG if wrong else GRE_KEY_TO_OVS):08x}")
    sock.send(encap(kind, req, wrong))
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        if not select.select([sock], [], [], min(left, 0.2))[0]:
            continue
        pkt = sock.recv()
        if pkt is None:
            continue
        info, inner = decap(kind, pkt)
        if info is None:
            continue
        if inner.haslayer(ARP) and inner[ARP].op == 1 and inner[ARP].pdst == c["our_ip"]:
            res["arp_requests_answered"] += 1
            res["arp_request_header"] = info
            rep = Ether(src=c["our_mac"], dst=inner[ARP].hwsrc) / ARP(
                op=2, hwsrc=c["our_mac"], psrc=c["our_ip"], hwdst=inner[ARP].hwsrc, pdst=inner[ARP].psrc)
            sock.send(encap(kind, rep))  # always with the matching option/key
            continue
        if inner.haslayer(ICMP) and inner[ICMP].type == 0 and inner[ICMP].id == ident and inner[ICMP].seq == seq:
            res["echo_reply"] = True
            res["reply_header"] = info
            res["reply_inner"] = dict(src=inner[IP].src, dst=inner[IP].dst, eth_src=inner.src, eth_dst=inner.dst)
            break
    if wrong:
        res["ok"] = not res["echo_reply"]
        if res["echo_reply"]:
            res["errors"].append("got an echo reply for a packet that should have been dropped")
        return res
    h = res["reply_header"]
    if not res["echo_reply"]:
        res["errors"].append(f"no echo reply within {timeout}s")
    elif kind == "geneve":
        if h["vni"] != VNI:
            res["errors"].append(f"reply VNI {h['vni']} != {VNI}")
        want = [dict(cls=hex(OPT_CLASS), type=hex(OPT_TYPE), data=MD_FROM_OVS.hex())]
        if h["options"] != want:
            res["errors"].append(f"reply options {h['options']} != {want}")
        if not h["critical"]:
            res["errors"].append("reply Geneve C bit not set")
    else:
        if h["key"] != f"0x{GRE_KEY_FROM_OVS:08x}" or h["proto"] != "0x6558":
            res["errors"].append(f"reply GRE key/proto {h['key']}/{h['proto']} != 0x{GRE_KEY_FROM_OVS:08x}/0x6558")
    res["ok"] = not res["errors"]
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", choices=sorted(CASES))
    ap.add_argument("--wrong", action="store_true", help="also check that mismatching option/key get no reply")
    ap.add_argument("--timeout", type=float, default=3.0)
    a = ap.parse_args()
    sock = conf.L2socket(iface=IFACE)
    out = {}
    try:
        for kind in ([a.only] if a.only else ["geneve", "gre"]):
            out[kind] = run_case(sock, kind, a.timeout)
            if a.wrong:
                out[kind + "-wrong"] = run_case(sock, kind, min(a.timeout, 1.5), wrong=True)
    finally:
        sock.close()
    out["ok"] = all(v["ok"] for v in out.values())
    print(json.dumps(out, indent=1))
    return 0 if out["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
