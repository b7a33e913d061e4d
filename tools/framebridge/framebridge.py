#!/usr/bin/env python3
"""framebridge: Ethernet frames of one interface <-> a length-prefixed stream on stdin/stdout.

Lets a process that cannot open raw sockets (Node.js) send and receive whole Ethernet frames,
e.g. GRE/NVGRE (IP protocol 47) on a veth in a test network namespace.

    ip netns exec tw-our-t1 python3 tools/framebridge/framebridge.py --iface veth-our --ip-proto 47

Stream format, both directions: a 4-byte big-endian unsigned length N, then N bytes: one complete
Ethernet frame (destination MAC first, no FCS). A zero-length record is ignored on input.
  stdout: every frame received on the interface that passes the filter
  stdin:  every frame is transmitted on the interface as-is (AF_PACKET, no checksum or padding
          changes; the kernel does not pad short frames on veth)
  stderr: one line "framebridge: ready iface=IF ifindex=N mac=MAC" once the socket is bound (frames
          arriving from then on are delivered), then only warnings/errors.

Filter (evaluated in Python, no BPF; options combine with AND, repeated values with OR):
  --ethertype 0x0800   EtherType after any 802.1Q/802.1ad tags
  --ip-proto 47        IPv4 protocol / IPv6 next header (after IPv6 extension headers); non-IP
                       frames are dropped when given
  --udp-port 6081      UDP source or destination port (implies IP, protocol 17)
By default only frames *received* by the interface are delivered; --outgoing also delivers frames
this network namespace transmits on it (never the frames written by this process itself).
VLAN tags stripped by the kernel (PACKET_AUXDATA) are put back, so frames arrive as on the wire.

--claim-ip-proto additionally opens a raw IP socket (IPv4 and IPv6) per --ip-proto value and
discards what it reads: while it is open the kernel no longer answers those packets with ICMP
"protocol unreachable". This has no effect when the kernel has its own handler for the protocol
(e.g. ip_gre loaded, which answers unmatched GRE with ICMP port unreachable).

Exits with status 0 on stdin EOF, SIGTERM, SIGINT or when stdout is closed; status 2 on usage
errors, 1 on socket errors (message on stderr). Python 3 standard library only; needs
CAP_NET_RAW (root).
"""
import argparse
import errno
import os
import selectors
import signal
import socket
import struct
import sys

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_ADD_MEMBERSHIP = 1
PACKET_MR_PROMISC = 1
PACKET_AUXDATA = 8
PACKET_OUTGOING = 4
TP_STATUS_VLAN_VALID = 0x10
TP_STATUS_VLAN_TPID_VALID = 0x40
AUXDATA_FMT = "IIIHHHH"  # struct tpacket_auxdata
AUXDATA_LEN = struct.calcsize(AUXDATA_FMT)
VLAN_TPIDS = (0x8100, 0x88A8, 0x9100)
IPV6_EXT_HEADERS = (0, 43, 60, 135, 139, 140)  # hop-by-hop, routing, dest opts, mobility, HIP, shim6
MAX_FRAME = 262144
PROG = "framebridge"


def warn(msg):
    try:
        sys.stderr.write(f"{PROG}: {msg}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def int_auto(s):
    return int(s, 0)


def parse_args(argv):
    p = argparse.ArgumentParser(prog=PROG, description="Bridge Ethernet frames of an interface to "
                                "stdin/stdout as u32-big-endian-length-prefixed records.")
    p.add_argument("--iface", "-i", required=True, help="interface in the current network namespace")
    p.add_argument("--ethertype", type=int_auto, action="append", default=[],
                   help="pass only this EtherType (after VLAN tags); repeatable")
    p.add_argument("--ip-proto", type=int_auto, action="append", default=[],
                   help="pass only IPv4/IPv6 packets with this protocol / next header; repeatable")
    p.add_argument("--udp-port", type=int_auto, action="append", default=[],
                   help="pass only UDP packets with this source or destination port; repeatable")
    p.add_argument("--outgoing", action="store_true",
                   help="also deliver frames the local stack transmits on the interface")
    p.add_argument("--promisc", action="store_true", help="put the interface in promiscuous mode")
    p.add_argument("--claim-ip-proto", action="store_true",
                   help="open raw IP sockets for the --ip-proto values (suppresses ICMP protocol unreachable)")
    a = p.parse_args(argv)
    for v in a.ethertype:
        if not 0 <= v <= 0xFFFF:
            p.error(f"--ethertype {v:#x} out of range")
    for v in a.ip_proto:
        if not 0 <= v <= 255:
            p.error(f"--ip-proto {v} out of range")
    for v in a.udp_port:
        if not 0 <= v <= 0xFFFF:
            p.error(f"--udp-port {v} out of range")
    if a.claim_ip_proto and not a.ip_proto:
        p.error("--claim-ip-proto needs --ip-proto")
    return a


def l3_info(frame):
    """Return (ethertype, l3_offset) after VLAN tags, or (None, None) for a runt frame."""
    if len(frame) < 14:
        return None, None
    off = 12
    et = struct.unpack_from("!H", frame, off)[0]
    while et in VLAN_TPIDS and len(frame) >= off + 6:
        off += 4
        et = struct.unpack_from("!H", frame, off)[0]
    return et, off + 2


def ip_proto_and_l4(frame, et, off):
    """Return (protocol, l4_offset or None) for IPv4/IPv6, else (None, None)."""
    if et == 0x0800 and len(frame) >= off + 20:
        ihl = (frame[off] & 0x0F) * 4
        frag = struct.unpack_from("!H", frame, off + 6)[0] & 0x1FFF
        l4 = off + ihl if frag == 0 and ihl >= 20 else None  # no L4 header in non-first fragments
        return frame[off + 9], l4
    if et == 0x86DD and len(frame) >= off + 40:
        nh = frame[off + 6]
        p = off + 40
        for _ in range(8):
            if nh in IPV6_EXT_HEADERS and len(frame) >= p + 2:
                nh, p = frame[p], p + (frame[p + 1] + 1) * 8
            elif nh == 44 and len(frame) >= p + 8:  # fragment header
                first = (struct.unpack_from("!H", frame, p + 2)[0] & 0xFFF8) == 0
                nh, p = frame[p], (p + 8 if first else None)
                if p is None:
                    return nh, None
            elif nh == 51 and len(frame) >= p + 2:  # AH: length in 4-byte units minus 2
                nh, p = frame[p], p + (frame[p + 1] + 2) * 4
            else:
                break
        return nh, p
    return None, None


def make_filter(a):
    ets, protos, ports = set(a.ethertype), set(a.ip_proto), set(a.udp_port)
    if not (ets or protos or ports):
        return None

    def keep(frame):
        et, off = l3_info(frame)
        if et is None:
            return False
        if ets and et not in ets:
            return False
        if protos or ports:
            proto, l4 = ip_proto_and_l4(frame, et, off)
            if proto is None:
                return False
            if protos and proto not in protos:
                return False
            if ports:
                if proto != 17 or l4 is None or len(frame) < l4 + 4:
                    return False
                sp, dp = struct.unpack_from("!HH", frame, l4)
                if sp not in ports and dp not in ports:
                    return False
        return True

    return keep


class Bridge:
    def __init__(self, a):
        self.a = a
        self.keep = make_filter(a)
        self.inbuf = bytearray()
        self.claim = []
        try:
            self.ifindex = socket.if_nametoindex(a.iface)
        except OSError:
            raise SystemExit(f"{PROG}: no interface '{a.iface}' in this network namespace") from None
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.sock = s
        s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
        for size in (8 << 20, 1 << 20):
            try:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)
                break
            except OSError:
                continue
        if a.promisc:
            mreq = struct.pack("iHH8s", self.ifindex, PACKET_MR_PROMISC, 0, b"")
            s.setsockopt(SOL_PACKET, PACKET_ADD_MEMBERSHIP, mreq)
        s.bind((a.iface, ETH_P_ALL))
        # drop whatever was queued between socket() and bind() from other interfaces
        s.setblocking(False)
        while True:
            try:
                s.recv(MAX_FRAME)
            except (BlockingIOError, InterruptedError):
                break
        if a.claim_ip_proto:
            for proto in a.ip_proto:
                for fam in (socket.AF_INET, socket.AF_INET6):
                    try:
                        r = socket.socket(fam, socket.SOCK_RAW, proto)
                        r.setblocking(False)
                        self.claim.append(r)
                    except OSError as e:
                        warn(f"warning: raw socket family {fam} proto {proto}: {e}")
        self.mac = ":".join(f"{b:02x}" for b in s.getsockname()[4][:6])

    # -- interface -> stdout
    def on_packet(self):
        for _ in range(256):  # bounded burst so stdin is not starved
            try:
                data, anc, _flags, addr = self.sock.recvmsg(MAX_FRAME, socket.CMSG_SPACE(AUXDATA_LEN))
            except (BlockingIOError, InterruptedError):
                return
            except OSError as e:
                if e.errno in (errno.ENETDOWN, errno.ENXIO, errno.ENODEV):
                    raise SystemExit(f"{PROG}: interface {self.a.iface} went away: {e}") from None
                raise
            if addr[2] == PACKET_OUTGOING and not self.a.outgoing:
                continue
            for level, ctype, cdata in anc:
                if level == SOL_PACKET and ctype == PACKET_AUXDATA and len(cdata) >= AUXDATA_LEN:
                    status, _len, _snap, _mac, _net, tci, tpid = struct.unpack_from(AUXDATA_FMT, cdata)
                    if status & TP_STATUS_VLAN_VALID and len(data) >= 12:
                        if not status & TP_STATUS_VLAN_TPID_VALID:
                            tpid = 0x8100
                        data = data[:12] + struct.pack("!HH", tpid, tci) + data[12:]
            if self.keep is not None and not self.keep(data):
                continue
            write_all(1, struct.pack("!I", len(data)) + data)

    def drain_claim(self, r):
        for _ in range(256):
            try:
                r.recv(MAX_FRAME)
            except (BlockingIOError, InterruptedError):
                return

    # -- stdin -> interface
    def on_stdin(self):
        try:
            chunk = os.read(0, 1 << 20)
        except (BlockingIOError, InterruptedError):
            return True
        if not chunk:
            if self.inbuf:
                warn(f"warning: {len(self.inbuf)} trailing bytes on stdin (incomplete record) ignored")
            return False
        self.inbuf += chunk
        while len(self.inbuf) >= 4:
            n = struct.unpack_from("!I", self.inbuf)[0]
            if n > MAX_FRAME:
                raise SystemExit(f"{PROG}: record length {n} on stdin exceeds {MAX_FRAME}; stream out of sync")
            if len(self.inbuf) < 4 + n:
                break
            frame = bytes(self.inbuf[4:4 + n])
            del self.inbuf[:4 + n]
            if n == 0:
                continue
            if n < 14:
                warn(f"warning: dropped a {n}-byte record from stdin (shorter than an Ethernet header)")
                continue
            self.send(frame)
        return True

    def send(self, frame):
        for _ in range(100):
            try:
                self.sock.send(frame)
                return
            except (BlockingIOError, InterruptedError):
                selectors.DefaultSelector().select(0.01)
            except OSError as e:
                warn(f"warning: send of a {len(frame)}-byte frame failed: {e}")
                return
        warn(f"warning: send of a {len(frame)}-byte frame timed out (socket buffer full)")


def write_all(fd, buf):
    view = memoryview(buf)
    while view:
        try:
            n = os.write(fd, view)
        except InterruptedError:
            continue
        except BlockingIOError:
            selectors.DefaultSelector().select(0.01)
            continue
        view = view[n:]


class Stop(Exception):
    pass


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)

    def on_signal(_sig, _frm):
        raise Stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        br = Bridge(a)
    except PermissionError as e:
        warn(f"error: {e} (needs CAP_NET_RAW / root)")
        return 1
    except OSError as e:
        warn(f"error: cannot open AF_PACKET socket on {a.iface}: {e}")
        return 1
    os.set_blocking(0, False)
    sel = selectors.DefaultSelector()
    sel.register(br.sock, selectors.EVENT_READ, "pkt")
    sel.register(0, selectors.EVENT_READ, "stdin")
    for r in br.claim:
        sel.register(r, selectors.EVENT_READ, r)
    warn(f"ready iface={a.iface} ifindex={br.ifindex} mac={br.mac}")
    try:
        while True:
            for key, _ in sel.select():
                if key.data == "pkt":
                    br.on_packet()
                elif key.data == "stdin":
                    if not br.on_stdin():
                        return 0
                else:
                    br.drain_claim(key.data)
    except Stop:
        return 0
    except BrokenPipeError:
        return 0
    except SystemExit as e:
        if isinstance(e.code, str):
            warn(e.code.removeprefix(f"{PROG}: "))
            return 1
        raise
    except OSError as e:
        if e.errno == errno.EPIPE:
            return 0
        warn(f"error: {e}")
        return 1
    finally:
        try:
            br.sock.close()
        except OSError:
            pass
        for r in br.claim:
            r.close()


if __name__ == "__main__":
    sys.exit(main())
