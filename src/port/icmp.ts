/**
 * ICMP replies a tunnel port sends back into the inner network when an inner packet is too big for the
 * underlay (path MTU discovery through a tunnel, as Linux `iptunnel_pmtud_check_icmp` /
 * `iptunnel_pmtud_check_icmpv6` and OVS `tnl_port_send_icmp` do):
 *
 * - inner IPv4 with DF: ICMP Destination Unreachable, code 4 "fragmentation needed and DF set"
 *   (RFC 792; RFC 1191 §4 puts the next-hop MTU in bytes 6–7), quoting the IPv4 header and the leading
 *   payload bytes so the whole reply is at most 576 bytes (RFC 1812 §4.3.2.3);
 * - inner IPv6: ICMPv6 Packet Too Big, type 2 code 0 (RFC 4443 §3.2) with the 32-bit MTU, quoting as
 *   much of the packet as fits in 1280 bytes (the IPv6 minimum MTU).
 *
 * The reply goes from the inner destination back to the inner source (hop limit / TTL 64), inside an
 * Ethernet header with the MACs swapped and any VLAN tags kept (or as a bare L3 packet when the tunnel
 * carries L3 payloads). Checksums are complete. No reply (undefined) where RFC 1122 §3.2.2 / RFC 4443 §2.4
 * forbid one: to an ICMP/ICMPv6 error, to a non-first IPv4 fragment, to an unspecified, multicast or
 * broadcast source, or (IPv4) to a multicast/broadcast destination; and none for IPv4 without DF (a router
 * would fragment it instead).
 *
 * Each reply is a new buffer (it outlives the call). Browser-safe: no `node:` imports.
 */
import { put16, put32, u16 } from '../net/bytes.js';
import { fold, internetChecksum, ipv6PseudoSum, onesSum } from '../net/checksum.js';
import { EtherType, isVlanTpid } from '../net/ethernet.js';

/** ICMP Destination Unreachable. */
export const ICMP_DEST_UNREACHABLE = 3;
/** ICMP Destination Unreachable code 4: fragmentation needed and DF set. */
export const ICMP_FRAG_NEEDED = 4;
/** ICMPv6 Packet Too Big. */
export const ICMPV6_PACKET_TOO_BIG = 2;
/** Largest IPv4 ICMP error datagram (RFC 1812 §4.3.2.3). */
export const ICMP_ERROR_MAX_LEN = 576;
/** Largest ICMPv6 error packet: the IPv6 minimum MTU (RFC 4443 §2.4 (c)). */
export const ICMPV6_ERROR_MAX_LEN = 1280;

const IPV4_ERROR_TYPES = new Set([3, 4, 5, 11, 12]);

function ipv4IsUnicastSource(b: Uint8Array, at: number): boolean {
  const a = b[at]!;
  if (a === 0 || a >= 224) return false; // unspecified "this network", multicast, class E, broadcast
  return true;
}

/**
 * The IPv4 ICMP "fragmentation needed" datagram (IPv4 header + ICMP) answering the IPv4 packet at
 * `bytes[ipOffset..end)`, with `mtu` as the next-hop MTU; undefined when no reply is allowed (see the
 * module comment). The packet must have a whole IPv4 header.
 */
export function icmpFragNeeded(bytes: Uint8Array, ipOffset: number, end: number, mtu: number): Uint8Array | undefined {
  if (end - ipOffset < 20 || bytes[ipOffset]! >>> 4 !== 4) return undefined;
  const hl = (bytes[ipOffset]! & 15) * 4;
  if (hl < 20 || end - ipOffset < hl) return undefined;
  const frag = u16(bytes, ipOffset + 6);
  if (!(frag & 0x4000) || frag & 0x1fff) return undefined; // no DF, or a later fragment
  if (!ipv4IsUnicastSource(bytes, ipOffset + 12) || bytes[ipOffset + 16]! >= 224) return undefined;
  const proto = bytes[ipOffset + 9]!;
  if (proto === 1 && (end - ipOffset < hl + 1 || IPV4_ERROR_TYPES.has(bytes[ipOffset + hl]!))) return undefined;
  const tl = u16(bytes, ipOffset + 2);
  const packetEnd = tl >= hl ? Math.min(end, ipOffset + tl) : end;
  const quote = Math.min(packetEnd - ipOffset, ICMP_ERROR_MAX_LEN - 20 - 8);
  const out = new Uint8Array(20 + 8 + quote);
  out[0] = 0x45;
  put16(out, 2, out.length);
  out[8] = 64;
  out[9] = 1;
  out.set(bytes.subarray(ipOffset + 16, ipOffset + 20), 12); // from the inner destination
  out.set(bytes.subarray(ipOffset + 12, ipOffset + 16), 16); // to the inner source
  put16(out, 10, internetChecksum(out, 0, 20));
  out[20] = ICMP_DEST_UNREACHABLE;
  out[21] = ICMP_FRAG_NEEDED;
  put16(out, 26, Math.min(mtu, 0xffff));
  out.set(bytes.subarray(ipOffset, ipOffset + quote), 28);
  put16(out, 22, internetChecksum(out, 20, out.length));
  return out;
}

/**
 * The ICMPv6 Packet Too Big packet (IPv6 header + ICMPv6) answering the IPv6 packet at
 * `bytes[ipOffset..end)` with `mtu`; undefined when no reply is allowed (see the module comment).
 */
export function icmpv6PacketTooBig(bytes: Uint8Array, ipOffset: number, end: number, mtu: number): Uint8Array | undefined {
  if (end - ipOffset < 40 || bytes[ipOffset]! >>> 4 !== 6) return undefined;
  const src = ipOffset + 8;
  let unspecified = true;
  for (let i = 0; i < 16; i++) if (bytes[src + i]) unspecified = false;
  if (unspecified || bytes[src] === 0xff) return undefined;
  if (bytes[ipOffset + 6] === 58 && end - ipOffset > 40 && bytes[ipOffset + 40]! < 128) return undefined; // an ICMPv6 error
  const pl = u16(bytes, ipOffset + 4);
  const packetEnd = pl ? Math.min(end, ipOffset + 40 + pl) : end;
  const quote = Math.min(packetEnd - ipOffset, ICMPV6_ERROR_MAX_LEN - 40 - 8);
  const out = new Uint8Array(40 + 8 + quote);
  out[0] = 0x60;
  put16(out, 4, 8 + quote);
  out[6] = 58;
  out[7] = 64;
  out.set(bytes.subarray(ipOffset + 24, ipOffset + 40), 8); // from the inner destination
  out.set(bytes.subarray(ipOffset + 8, ipOffset + 24), 24); // to the inner source
  out[40] = ICMPV6_PACKET_TOO_BIG;
  out[41] = 0;
  put32(out, 44, mtu >>> 0);
  out.set(bytes.subarray(ipOffset, ipOffset + quote), 48);
  const sum = fold(onesSum(out, 40, out.length) + ipv6PseudoSum(out, 8, 24, 58, 8 + quote));
  put16(out, 42, ~sum & 0xffff);
  return out;
}

/**
 * The reply to an inner packet too big for the tunnel: `inner` is what the tunnel carries, an Ethernet
 * frame (`innerEtherType` 0x6558) or an IPv4/IPv6 packet (0x0800 / 0x86dd); `mtu` is the inner IP MTU to
 * announce. Returns an Ethernet frame (MACs swapped, VLAN tags kept) or a bare L3 packet matching
 * `inner`, or undefined when the inner packet is not IP or no reply is allowed.
 */
export function mtuExceededReply(inner: Uint8Array, innerEtherType: number, mtu: number): Uint8Array | undefined {
  let l2 = 0;
  let type = innerEtherType;
  if (type === EtherType.TEB) {
    if (inner.length < 14) return undefined;
    type = u16(inner, 12);
    l2 = 14;
    for (let tags = 0; isVlanTpid(type) && tags < 8; tags++) {
      if (inner.length < l2 + 4) return undefined;
      type = u16(inner, l2 + 2);
      l2 += 4;
    }
  }
  let l3: Uint8Array | undefined;
  if (type === EtherType.IPV4) l3 = icmpFragNeeded(inner, l2, inner.length, mtu);
  else if (type === EtherType.IPV6) l3 = icmpv6PacketTooBig(inner, l2, inner.length, mtu);
  if (!l3) return undefined;
  if (l2 === 0) return l3;
  const out = new Uint8Array(l2 + l3.length);
  out.set(inner.subarray(6, 12), 0); // to the inner source MAC
  out.set(inner.subarray(0, 6), 6); // from the inner destination MAC
  out.set(inner.subarray(12, l2), 12); // VLAN tags and EtherType as they were
  out.set(l3, l2);
  return out;
}
