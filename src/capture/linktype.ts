/**
 * Link-layer header types (LINKTYPE_* values of pcap and pcapng, https://www.tcpdump.org/linktypes.html,
 * draft-ietf-opsawg-pcaplinktype) and where the network layer starts behind each of them.
 *
 * Linux cooked capture v1 (`LINKTYPE_LINUX_SLL`, 16 bytes, all fields big-endian):
 * ```
 *  0               2               4               6
 * +---------------+---------------+---------------+-------------------------------+
 * | packet type   | ARPHRD_ type  | LL addr len   | LL address (8, zero padded)   |
 * +---------------+---------------+---------------+-------------------------------+
 * 14
 * +---------------+
 * | protocol type |
 * +---------------+
 * ```
 * Linux cooked capture v2 (`LINKTYPE_LINUX_SLL2`, 20 bytes):
 * ```
 *  0               2               4                               8
 * +---------------+---------------+-------------------------------+---------------+
 * | protocol type | reserved (0)  | interface index               | ARPHRD_ type  |
 * +---------------+-------+-------+-------------------------------+---------------+
 * 10              11      12
 * +-------+-------+-------------------------------+
 * |pkttype|addrlen| LL address (8, zero padded)   |
 * +-------+-------+-------------------------------+
 * ```
 * The protocol type is the EtherType of the payload: the cooked header replaces the Ethernet header
 * (libpcap `pcap-linux.c`). Values below 0x0600 are Linux-internal `ETH_P_*` numbers instead
 * (`if_ether.h`; Wireshark `packet-sll.h`): 0x0003 means a whole Ethernet frame follows, 0x0004 an
 * 802.2 LLC header, 0x0001 Novell 802.3 without LLC. For some ARPHRD_ types the field means something
 * else (Netlink 824, radiotap 803, Frame Relay 770) and the payload is not an EtherType payload.
 *
 * `LINKTYPE_NULL`: a 4-byte BSD address family in the writer's host byte order (so it is read in
 * either order, as tcpdump `print-null.c` does); `LINKTYPE_LOOP`: the same in network byte order.
 * 2 is IPv4; 24, 28 and 30 are IPv6 (NetBSD/OpenBSD, FreeBSD, Darwin).
 */
import { u16, u32 } from '../net/bytes.js';
import { err, ok, truncated, wireError, type Result, type WireError } from '../net/errors.js';

/** BSD loopback: 4-byte address family in the capturing host's byte order. */
export const LINKTYPE_NULL = 0;
/** IEEE 802.3 Ethernet (DIX / 802.3 header, no preamble, usually no FCS). */
export const LINKTYPE_ETHERNET = 1;
/** Raw IP: the packet starts with an IPv4 or IPv6 header (version nibble tells which). */
export const LINKTYPE_RAW = 101;
/** OpenBSD loopback: 4-byte address family in network byte order. */
export const LINKTYPE_LOOP = 108;
/** Linux cooked capture v1 (16-byte header). */
export const LINKTYPE_LINUX_SLL = 113;
/** Raw IPv4 only. */
export const LINKTYPE_IPV4 = 228;
/** Raw IPv6 only. */
export const LINKTYPE_IPV6 = 229;
/** Linux cooked capture v2 (20-byte header). */
export const LINKTYPE_LINUX_SLL2 = 276;

/** SLL v1 header length in bytes. */
export const SLL_HEADER_LEN = 16;
/** SLL v2 header length in bytes. */
export const SLL2_HEADER_LEN = 20;
/** NULL / LOOP header length in bytes. */
export const NULL_HEADER_LEN = 4;
/** Ethernet II header length in bytes (without VLAN tags); `src/net/ethernet.ts` owns the public one. */
const ETHERNET_HEADER_LEN = 14;

/** EtherTypes this module returns for NULL/LOOP/RAW (kept private: `src/net` names EtherTypes). */
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;

/** Linux `ARPHRD_*` device types that change how the SLL protocol field reads. */
export const ARPHRD_ETHER = 1;
export const ARPHRD_LOOPBACK = 772;
export const ARPHRD_FRAD = 770;
export const ARPHRD_IPGRE = 778;
export const ARPHRD_IEEE80211_RADIOTAP = 803;
export const ARPHRD_NETLINK = 824;

/** Linux-internal protocol values (< 0x0600) in the SLL protocol field (`if_ether.h`). */
export const LINUX_SLL_P_802_3 = 0x0001;
export const LINUX_SLL_P_ETHERNET = 0x0003;
export const LINUX_SLL_P_802_2 = 0x0004;

/** SLL v1 byte offsets. */
const SLL = { PKTTYPE: 0, HATYPE: 2, HALEN: 4, ADDR: 6, PROTOCOL: 14 } as const;
/** SLL v2 byte offsets. */
const SLL2 = { PROTOCOL: 0, RESERVED: 2, IFINDEX: 4, HATYPE: 8, PKTTYPE: 10, HALEN: 11, ADDR: 12 } as const;

/** BSD address families for IPv4 / IPv6 in NULL and LOOP headers. */
const AF_INET = 2;
const AF_INET6_BSD = new Set([24, 28, 30]);

/** The link-layer framing of a capture record. */
export type LinkKind = 'ethernet' | 'sll' | 'sll2' | 'null' | 'loop' | 'ip';

/**
 * What starts at {@link LinkLayerInfo.payloadOffset}:
 * - `ethernet`: an Ethernet II / 802.3 header (the caller parses it, VLAN tags included);
 * - `ethertype`: the header named by {@link LinkLayerInfo.etherType} (IPv4, IPv6, ARP, a VLAN tag
 *   for 0x8100 as libpcap re-inserts it after a cooked header, TEB 0x6558 = Ethernet, ...);
 * - `llc`: an 802.2 LLC header;
 * - `other`: something this module does not name (Netlink, radiotap, an unknown address family).
 */
export type LinkNext = 'ethernet' | 'ethertype' | 'llc' | 'other';

/** Where the link-layer header ends and what follows, for one record. */
export interface LinkLayerInfo {
  readonly kind: LinkKind;
  readonly next: LinkNext;
  /** Absolute offset (in the `data` passed in) of the header that follows the link-layer header. */
  readonly payloadOffset: number;
  /**
   * For `next: 'ethertype'`: the EtherType of the header at `payloadOffset`.
   * For `next: 'ethernet'`: the type/length field of that Ethernet header (may be a VLAN TPID or
   * an 802.3 length, below 0x0600). Absent otherwise.
   */
  readonly etherType?: number;
  /** The raw protocol / family field of the link header (SLL protocol, NULL/LOOP family). */
  readonly protocol?: number;
  /** SLL/SLL2: packet type (0 to us, 1 broadcast, 2 multicast, 3 to someone else, 4 sent by us). */
  readonly packetType?: number;
  /** SLL/SLL2: Linux `ARPHRD_*` device type (1 Ethernet, 772 loopback, ...). */
  readonly arphrdType?: number;
  /** SLL2 only: the 1-based interface index (a signed 32-bit number on the wire). */
  readonly interfaceIndex?: number;
}

/**
 * Locate the network-layer (or Ethernet) header behind the link-layer header of one record.
 *
 * @param linkType the record's LINKTYPE_ value (already masked to 16 bits).
 * @param data the captured bytes; `offset` is where the link-layer header starts in it.
 * @returns `payloadOffset` and `etherType` as described on {@link LinkLayerInfo}; never throws.
 * Errors: `truncated` (layer `sll` for cooked headers, `link` otherwise) when the record is shorter
 * than the link header (plus 14 bytes when an Ethernet header must follow); `bad-version` (layer
 * `link`) for a LINKTYPE_RAW packet whose version nibble is neither 4 nor 6; `unsupported`
 * (layer `link`, field `linktype`) for link types not listed in this module.
 */
export function linkLayerInfo(linkType: number, data: Uint8Array, offset = 0): Result<LinkLayerInfo, WireError> {
  const avail = data.length - offset;
  switch (linkType) {
    case LINKTYPE_ETHERNET:
      return ethernetAt(data, offset, 'ethernet', {});
    case LINKTYPE_LINUX_SLL: {
      if (avail < SLL_HEADER_LEN) return err(truncated('sll', offset, SLL_HEADER_LEN, avail));
      const i = offset;
      return cooked(data, i, 'sll', SLL_HEADER_LEN, {
        protocol: u16(data, i + SLL.PROTOCOL),
        packetType: u16(data, i + SLL.PKTTYPE),
        arphrdType: u16(data, i + SLL.HATYPE),
      });
    }
    case LINKTYPE_LINUX_SLL2: {
      if (avail < SLL2_HEADER_LEN) return err(truncated('sll', offset, SLL2_HEADER_LEN, avail));
      const i = offset;
      return cooked(data, i, 'sll2', SLL2_HEADER_LEN, {
        protocol: u16(data, i + SLL2.PROTOCOL),
        packetType: data[i + SLL2.PKTTYPE]!,
        arphrdType: u16(data, i + SLL2.HATYPE),
        interfaceIndex: u32(data, i + SLL2.IFINDEX) | 0,
      });
    }
    case LINKTYPE_NULL:
    case LINKTYPE_LOOP: {
      if (avail < NULL_HEADER_LEN) return err(truncated('link', offset, NULL_HEADER_LEN, avail));
      const i = offset;
      let family: number;
      if (linkType === LINKTYPE_LOOP) {
        family = u32(data, i);
      } else {
        // Host byte order of the writer: read little-endian, swap if the value only makes sense swapped.
        family = ((data[i + 3]! << 24) | (data[i + 2]! << 16) | (data[i + 1]! << 8) | data[i]!) >>> 0;
        if ((family & 0xffff0000) !== 0) family = u32(data, i);
      }
      const kind: LinkKind = linkType === LINKTYPE_LOOP ? 'loop' : 'null';
      const payloadOffset = i + NULL_HEADER_LEN;
      if (family === AF_INET) return ok({ kind, next: 'ethertype', payloadOffset, etherType: ETHERTYPE_IPV4, protocol: family });
      if (AF_INET6_BSD.has(family)) {
        return ok({ kind, next: 'ethertype', payloadOffset, etherType: ETHERTYPE_IPV6, protocol: family });
      }
      return ok({ kind, next: 'other', payloadOffset, protocol: family });
    }
    case LINKTYPE_RAW: {
      if (avail < 1) return err(truncated('link', offset, 1, avail, 'ip-version'));
      const version = data[offset]! >>> 4;
      if (version === 4) return ok({ kind: 'ip', next: 'ethertype', payloadOffset: offset, etherType: ETHERTYPE_IPV4 });
      if (version === 6) return ok({ kind: 'ip', next: 'ethertype', payloadOffset: offset, etherType: ETHERTYPE_IPV6 });
      return err(wireError('bad-version', 'link', offset, 'ip-version', version, '4 or 6'));
    }
    case LINKTYPE_IPV4:
      return ok({ kind: 'ip', next: 'ethertype', payloadOffset: offset, etherType: ETHERTYPE_IPV4 });
    case LINKTYPE_IPV6:
      return ok({ kind: 'ip', next: 'ethertype', payloadOffset: offset, etherType: ETHERTYPE_IPV6 });
    default:
      return err(wireError('unsupported', 'link', offset, 'linktype', linkType, '0, 1, 101, 108, 113, 228, 229, 276'));
  }
}

interface CookedFields {
  protocol: number;
  packetType: number;
  arphrdType: number;
  interfaceIndex?: number;
}

/** The shared SLL/SLL2 protocol-field logic (Wireshark `dissect_sll_common`, libpcap `pcap-linux.c`). */
function cooked(data: Uint8Array, start: number, kind: 'sll' | 'sll2', hdrLen: number, f: CookedFields): Result<LinkLayerInfo, WireError> {
  const payloadOffset = start + hdrLen;
  const extra = { ...f };
  switch (f.arphrdType) {
    case ARPHRD_NETLINK:
    case ARPHRD_IEEE80211_RADIOTAP:
    case ARPHRD_FRAD:
      return ok({ kind, next: 'other', payloadOffset, ...extra });
    default:
      break;
  }
  if (f.protocol >= 0x0600) return ok({ kind, next: 'ethertype', payloadOffset, etherType: f.protocol, ...extra });
  switch (f.protocol) {
    case LINUX_SLL_P_ETHERNET:
      return ethernetAt(data, payloadOffset, kind, extra);
    case LINUX_SLL_P_802_2:
      return ok({ kind, next: 'llc', payloadOffset, ...extra });
    default:
      return ok({ kind, next: 'other', payloadOffset, ...extra });
  }
}

/** An Ethernet header at `at`: report its type/length field. */
function ethernetAt(data: Uint8Array, at: number, kind: LinkKind, extra: Partial<CookedFields>): Result<LinkLayerInfo, WireError> {
  const avail = data.length - at;
  if (avail < ETHERNET_HEADER_LEN) return err(truncated(kind === 'ethernet' ? 'link' : 'sll', at, ETHERNET_HEADER_LEN, avail, 'ethernet'));
  return ok({ kind, next: 'ethernet', payloadOffset: at, etherType: u16(data, at + 12), ...extra });
}

/** A readable name for a link type (`'ETHERNET'`, `'LINUX_SLL2'`, or the number). */
export function linkTypeName(linkType: number): string {
  return NAMES[linkType] ?? String(linkType);
}

const NAMES: Readonly<Record<number, string>> = {
  [LINKTYPE_NULL]: 'NULL',
  [LINKTYPE_ETHERNET]: 'ETHERNET',
  [LINKTYPE_RAW]: 'RAW',
  [LINKTYPE_LOOP]: 'LOOP',
  [LINKTYPE_LINUX_SLL]: 'LINUX_SLL',
  [LINKTYPE_IPV4]: 'IPV4',
  [LINKTYPE_IPV6]: 'IPV6',
  [LINKTYPE_LINUX_SLL2]: 'LINUX_SLL2',
};
