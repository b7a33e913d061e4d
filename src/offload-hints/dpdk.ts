/**
 * DPDK rte_mbuf transmit offload metadata: the `ol_flags` TX bits, the packed `tx_offload` length
 * bitfield, `rte_validate_tx_offload`, `rte_net_intel_cksum_flags_prepare`, and the mapping to and
 * from an {@link OffloadDescriptor}.
 * Sources: shared/specs/offload.md §4 (DPDK lib/mbuf/rte_mbuf_core.h, rte_mbuf.h, lib/net/rte_net.h,
 * rte_ip4.h, rte_ip6.h; doc/guides/prog_guide/mbuf_lib.rst), and for the bitfield order
 * DPDK/dpdk lib/mbuf/rte_mbuf_core.h (commit 03b57eb7ab9a) `enum { RTE_MBUF_L2_LEN_BITS = 7, … }`:
 *
 * ```
 * tx_offload (uint64_t, little-endian host; RTE_MBUF_*_OFS):
 *  bits  0..6   l2_len        7   L2 header; for a tunnel: outer L4 + tunnel header + inner L2
 *  bits  7..15  l3_len        9   (inner) L3 header incl. options / extension headers
 *  bits 16..23  l4_len        8   (inner) L4 header (TSO)
 *  bits 24..39  tso_segsz    16   payload bytes per segment (TSO/USO)
 *  bits 40..48  outer_l3_len  9   outer L3 header (tunnel offloads only)
 *  bits 49..55  outer_l2_len  7   outer L2 header (tunnel offloads only)
 *  bits 56..63  unused        8
 * ```
 * (On a big-endian host the same fields are packed from bit 63 down; `rte_mbuf_tx_offload()` builds
 * the little-endian form shown.) All lengths are bytes. Flags are bigints (bits 41–60).
 */
import { ipv4PseudoSum, ipv6PseudoSum } from '../net/checksum.js';
import { err, ok, wireError, type Result } from '../net/errors.js';
import type { ChecksumState, GsoTunnel, GsoType, HeaderOffsets, OffloadDescriptor, OffloadTunnel } from './descriptor.js';
import { completeOffloadHints, type CompleteOptions, type OffloadHints } from './virtio.js';

// ---------------------------------------------------------------------------------------------
// ol_flags TX bits (offload.md §4.1)

/** Outer UDP checksum offload (needs outer_l2_len, outer_l3_len, OUTER_IPV4/IPV6). */
export const RTE_MBUF_F_TX_OUTER_UDP_CKSUM = 1n << 41n;
/** UDP segmentation ("UDP Fragmentation Offload" in DPDK's words); MSS in tso_segsz. */
export const RTE_MBUF_F_TX_UDP_SEG = 1n << 42n;
/** Security offload processing. */
export const RTE_MBUF_F_TX_SEC_OFFLOAD = 1n << 43n;
/** MACsec offload. */
export const RTE_MBUF_F_TX_MACSEC = 1n << 44n;
/** Shift of the 4-bit tunnel type field (bits 45–48). */
export const RTE_MBUF_F_TX_TUNNEL_SHIFT = 45n;
/** Tunnel type field mask. */
export const RTE_MBUF_F_TX_TUNNEL_MASK = 0xfn << RTE_MBUF_F_TX_TUNNEL_SHIFT;
/** Tunnel type field values (`RTE_MBUF_F_TX_TUNNEL_*` >> 45). */
export const DpdkTunnelType = { NONE: 0, VXLAN: 0x1, GRE: 0x2, IPIP: 0x3, GENEVE: 0x4, MPLSINUDP: 0x5, VXLAN_GPE: 0x6, GTP: 0x7, ESP: 0x8, IP: 0xd, UDP: 0xe } as const;
export const RTE_MBUF_F_TX_TUNNEL_VXLAN = 0x1n << 45n;
export const RTE_MBUF_F_TX_TUNNEL_GRE = 0x2n << 45n;
export const RTE_MBUF_F_TX_TUNNEL_IPIP = 0x3n << 45n;
export const RTE_MBUF_F_TX_TUNNEL_GENEVE = 0x4n << 45n;
export const RTE_MBUF_F_TX_TUNNEL_MPLSINUDP = 0x5n << 45n;
export const RTE_MBUF_F_TX_TUNNEL_VXLAN_GPE = 0x6n << 45n;
export const RTE_MBUF_F_TX_TUNNEL_GTP = 0x7n << 45n;
export const RTE_MBUF_F_TX_TUNNEL_ESP = 0x8n << 45n;
export const RTE_MBUF_F_TX_TUNNEL_IP = 0xdn << 45n;
export const RTE_MBUF_F_TX_TUNNEL_UDP = 0xen << 45n;
/** Double VLAN insertion. */
export const RTE_MBUF_F_TX_QINQ = 1n << 49n;
/** TCP segmentation (implies the TCP checksum). */
export const RTE_MBUF_F_TX_TCP_SEG = 1n << 50n;
/** IEEE 1588 timestamp. */
export const RTE_MBUF_F_TX_IEEE1588_TMST = 1n << 51n;
/** L4 checksum field (bits 52–53): none. */
export const RTE_MBUF_F_TX_L4_NO_CKSUM = 0n;
/** L4 checksum field: TCP. */
export const RTE_MBUF_F_TX_TCP_CKSUM = 1n << 52n;
/** L4 checksum field: SCTP. */
export const RTE_MBUF_F_TX_SCTP_CKSUM = 2n << 52n;
/** L4 checksum field: UDP. */
export const RTE_MBUF_F_TX_UDP_CKSUM = 3n << 52n;
/** L4 checksum field mask. */
export const RTE_MBUF_F_TX_L4_MASK = 3n << 52n;
/** Inner (or only) IPv4 header checksum. */
export const RTE_MBUF_F_TX_IP_CKSUM = 1n << 54n;
/** Inner (or only) packet is IPv4. */
export const RTE_MBUF_F_TX_IPV4 = 1n << 55n;
/** Inner (or only) packet is IPv6. */
export const RTE_MBUF_F_TX_IPV6 = 1n << 56n;
/** VLAN insertion. */
export const RTE_MBUF_F_TX_VLAN = 1n << 57n;
/** Outer IPv4 header checksum. */
export const RTE_MBUF_F_TX_OUTER_IP_CKSUM = 1n << 58n;
/** Outer header is IPv4. */
export const RTE_MBUF_F_TX_OUTER_IPV4 = 1n << 59n;
/** Outer header is IPv6. */
export const RTE_MBUF_F_TX_OUTER_IPV6 = 1n << 60n;
/** Every TX offload bit (`RTE_MBUF_F_TX_OFFLOAD_MASK`). */
export const RTE_MBUF_F_TX_OFFLOAD_MASK =
  RTE_MBUF_F_TX_OUTER_IPV6 |
  RTE_MBUF_F_TX_OUTER_IPV4 |
  RTE_MBUF_F_TX_OUTER_IP_CKSUM |
  RTE_MBUF_F_TX_VLAN |
  RTE_MBUF_F_TX_IPV6 |
  RTE_MBUF_F_TX_IPV4 |
  RTE_MBUF_F_TX_IP_CKSUM |
  RTE_MBUF_F_TX_L4_MASK |
  RTE_MBUF_F_TX_IEEE1588_TMST |
  RTE_MBUF_F_TX_TCP_SEG |
  RTE_MBUF_F_TX_QINQ |
  RTE_MBUF_F_TX_TUNNEL_MASK |
  RTE_MBUF_F_TX_MACSEC |
  RTE_MBUF_F_TX_SEC_OFFLOAD |
  RTE_MBUF_F_TX_UDP_SEG |
  RTE_MBUF_F_TX_OUTER_UDP_CKSUM;

/** Port capability bits `RTE_ETH_TX_OFFLOAD_*` that matter here (bit numbers, offload.md §4.1). */
export const DpdkTxOffloadCapa = {
  TCP_TSO: 5,
  UDP_TSO: 6,
  OUTER_IPV4_CKSUM: 7,
  VXLAN_TNL_TSO: 9,
  GRE_TNL_TSO: 10,
  IPIP_TNL_TSO: 11,
  GENEVE_TNL_TSO: 12,
  UDP_TNL_TSO: 18,
  IP_TNL_TSO: 19,
  OUTER_UDP_CKSUM: 20,
} as const;

// ---------------------------------------------------------------------------------------------
// tx_offload bitfield

/** Bit widths of the `tx_offload` fields (`RTE_MBUF_*_BITS`). */
export const DPDK_TX_OFFLOAD_BITS = { l2Len: 7, l3Len: 9, l4Len: 8, tsoSegsz: 16, outerL3Len: 9, outerL2Len: 7 } as const;
/** Bit offsets on a little-endian host (`RTE_MBUF_*_OFS`). */
export const DPDK_TX_OFFLOAD_SHIFT = { l2Len: 0, l3Len: 7, l4Len: 16, tsoSegsz: 24, outerL3Len: 40, outerL2Len: 49 } as const;

/** The TX offload part of an mbuf: `ol_flags` and the `tx_offload` lengths (bytes). */
export interface DpdkTxOffload {
  /** `RTE_MBUF_F_TX_*` bits. */
  readonly olFlags: bigint;
  /** Non-tunnel: L2 header length. Tunnel: outer L4 + tunnel header + inner L2 (UDP 8 + VXLAN 8 + Ethernet 14 = 30). 7 bits. */
  readonly l2Len: number;
  /** (Inner) L3 header length incl. IPv4 options / IPv6 extension headers. 9 bits. */
  readonly l3Len: number;
  /** (Inner) L4 header length. 8 bits. */
  readonly l4Len: number;
  /** MSS: payload bytes per segment for TCP_SEG/UDP_SEG. 16 bits. */
  readonly tsoSegsz: number;
  /** Outer L2 length (tunnel offloads only). 7 bits. */
  readonly outerL2Len: number;
  /** Outer L3 length (tunnel offloads only). 9 bits. */
  readonly outerL3Len: number;
}

type Lengths = Omit<DpdkTxOffload, 'olFlags'>;
const FIELDS = ['l2Len', 'l3Len', 'l4Len', 'tsoSegsz', 'outerL3Len', 'outerL2Len'] as const;

/**
 * Pack the lengths into the 64-bit `tx_offload` word (little-endian host layout, unused bits 0),
 * like `rte_mbuf_tx_offload()`. @throws RangeError when a length does not fit its bit width.
 */
export function encodeTxOffload(tx: Lengths): bigint {
  let v = 0n;
  for (const k of FIELDS) {
    const bits = DPDK_TX_OFFLOAD_BITS[k];
    const x = tx[k];
    if (!Number.isInteger(x) || x < 0 || x >= 2 ** bits) throw new RangeError(`${k} must be an integer in 0..${2 ** bits - 1} (${bits} bits), got ${x}`);
    v |= BigInt(x) << BigInt(DPDK_TX_OFFLOAD_SHIFT[k]);
  }
  return v;
}

/** Unpack a `tx_offload` word (bits 56–63, unused, are ignored). @throws RangeError outside 0..2^64-1. */
export function decodeTxOffload(word: bigint): Lengths {
  if (word < 0n || word > 0xffffffffffffffffn) throw new RangeError(`tx_offload must fit in 64 bits, got ${word}`);
  const get = (k: (typeof FIELDS)[number]): number => Number((word >> BigInt(DPDK_TX_OFFLOAD_SHIFT[k])) & ((1n << BigInt(DPDK_TX_OFFLOAD_BITS[k])) - 1n));
  return { l2Len: get('l2Len'), l3Len: get('l3Len'), l4Len: get('l4Len'), tsoSegsz: get('tsoSegsz'), outerL3Len: get('outerL3Len'), outerL2Len: get('outerL2Len') };
}

/** The tunnel type field (0..15) of `olFlags`. */
export function dpdkTunnelType(olFlags: bigint): number {
  return Number((olFlags & RTE_MBUF_F_TX_TUNNEL_MASK) >> RTE_MBUF_F_TX_TUNNEL_SHIFT);
}

// ---------------------------------------------------------------------------------------------
// Validation (rte_validate_tx_offload)

/** Which rule a TX offload breaks. */
export type DpdkTxRule =
  | 'ip-cksum-with-ipv6'
  | 'l4-without-ip-type'
  | 'tso-segsz-zero'
  | 'tso-ipv4-without-ip-cksum'
  | 'outer-ip-cksum-without-outer-ipv4'
  | 'headers-not-contiguous'
  | 'outer-udp-cksum-not-udp'
  | 'field-width';

/** A failed DPDK check: `errno` is what DPDK returns (-EINVAL -22, -ENOTSUP -95). */
export interface DpdkTxOffloadError {
  readonly kind: 'invalid' | 'not-supported';
  readonly errno: -22 | -95;
  readonly rule: DpdkTxRule;
  /** The field or flag concerned, e.g. `tso_segsz`, `ol_flags`. */
  readonly field: string;
  /** Human text saying what was found and what is allowed. */
  readonly message: string;
}

function invalid(rule: DpdkTxRule, field: string, message: string): Result<never, DpdkTxOffloadError> {
  return err({ kind: 'invalid', errno: -22, rule, field, message });
}
function notSupported(rule: DpdkTxRule, field: string, message: string): Result<never, DpdkTxOffloadError> {
  return err({ kind: 'not-supported', errno: -95, rule, field, message });
}

/** Options of {@link validateTxOffload}. */
export interface ValidateTxOptions {
  /** Bytes in the first segment (`rte_pktmbuf_data_len`); when given, the headers must lie within it (older DPDK's -ENOTSUP check). */
  readonly dataLength?: number;
}

/**
 * `rte_validate_tx_offload()` (lib/mbuf/rte_mbuf.h), typed. No offload bit → ok. Then, in DPDK's order:
 * - `field-width` (-EINVAL): a length exceeds its bitfield (the C struct would truncate it);
 * - `headers-not-contiguous` (-ENOTSUP): with `dataLength`, inner L3 offset + l3_len + l4_len past it
 *   (inner L3 offset = l2_len, plus outer_l2_len + outer_l3_len when OUTER_IP_CKSUM is set, as DPDK);
 * - `ip-cksum-with-ipv6`: IP_CKSUM together with IPV6;
 * - `l4-without-ip-type`: an L4 checksum or TCP_SEG without IPV4/IPV6;
 * - `tso-segsz-zero`: TCP_SEG with tso_segsz 0; `tso-ipv4-without-ip-cksum`: IPv4 TCP_SEG without IP_CKSUM;
 * - `outer-ip-cksum-without-outer-ipv4`: OUTER_IP_CKSUM without OUTER_IPV4.
 * DPDK checks UDP_SEG for none of these; neither does this.
 */
export function validateTxOffload(tx: DpdkTxOffload, opts: ValidateTxOptions = {}): Result<DpdkTxOffload, DpdkTxOffloadError> {
  const f = tx.olFlags;
  if (!(f & RTE_MBUF_F_TX_OFFLOAD_MASK)) return ok(tx);
  for (const k of FIELDS) {
    const bits = DPDK_TX_OFFLOAD_BITS[k];
    const x = tx[k];
    if (!Number.isInteger(x) || x < 0 || x >= 2 ** bits) return invalid('field-width', k, `${k} ${x} does not fit in ${bits} bits`);
  }
  if (opts.dataLength !== undefined) {
    const innerL3 = tx.l2Len + (f & RTE_MBUF_F_TX_OUTER_IP_CKSUM ? tx.outerL2Len + tx.outerL3Len : 0);
    if (opts.dataLength < innerL3 + tx.l3Len + tx.l4Len) {
      return notSupported('headers-not-contiguous', 'data_len', `headers end at ${innerL3 + tx.l3Len + tx.l4Len}, first segment has ${opts.dataLength} bytes`);
    }
  }
  if (f & RTE_MBUF_F_TX_IP_CKSUM && f & RTE_MBUF_F_TX_IPV6) return invalid('ip-cksum-with-ipv6', 'ol_flags', 'IP_CKSUM with IPV6: only IPv4 has a header checksum');
  if (f & (RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_TCP_SEG) && !(f & (RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IPV6))) {
    return invalid('l4-without-ip-type', 'ol_flags', 'an L4 checksum or TCP_SEG needs IPV4 or IPV6');
  }
  if (f & RTE_MBUF_F_TX_TCP_SEG) {
    if (tx.tsoSegsz === 0) return invalid('tso-segsz-zero', 'tso_segsz', 'TCP_SEG with tso_segsz 0');
    if (f & RTE_MBUF_F_TX_IPV4 && !(f & RTE_MBUF_F_TX_IP_CKSUM)) return invalid('tso-ipv4-without-ip-cksum', 'ol_flags', 'IPv4 TCP_SEG needs IP_CKSUM');
  }
  if (f & RTE_MBUF_F_TX_OUTER_IP_CKSUM && !(f & RTE_MBUF_F_TX_OUTER_IPV4)) {
    return invalid('outer-ip-cksum-without-outer-ipv4', 'ol_flags', 'OUTER_IP_CKSUM needs OUTER_IPV4');
  }
  return ok(tx);
}

// ---------------------------------------------------------------------------------------------
// Pseudo-header preparation (rte_net_intel_cksum_flags_prepare)

const INNER_REQUESTS = RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_UDP_SEG;
const OUTER_REQUESTS = RTE_MBUF_F_TX_OUTER_IP_CKSUM | RTE_MBUF_F_TX_OUTER_UDP_CKSUM;
const SEG = RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_UDP_SEG;

/**
 * Non-complemented pseudo-header sum DPDK seeds an L4 checksum with (`rte_ipv4_phdr_cksum`,
 * `rte_ipv6_phdr_cksum`) for the IP header at `ipAt` of `l3Len` bytes: length 0 under TCP_SEG/UDP_SEG,
 * else the L4 length (IPv4 total length − IHL·4; IPv6 payload length − extension headers).
 * For IPv6 the protocol is `protocol` (DPDK reads the fixed header's Next Header, which equals it when
 * there are no extension headers).
 */
function phdr(frame: Uint8Array, ipAt: number, l3Len: number, protocol: number, seg: boolean): number {
  if (frame[ipAt]! >>> 4 === 4) {
    const len = seg ? 0 : (((frame[ipAt + 2]! << 8) | frame[ipAt + 3]!) - (frame[ipAt]! & 0x0f) * 4) & 0xffff;
    return ipv4PseudoSum(frame, ipAt + 12, ipAt + 16, frame[ipAt + 9]!, len);
  }
  const len = seg ? 0 : (((frame[ipAt + 4]! << 8) | frame[ipAt + 5]!) - (l3Len - 40)) & 0xffff;
  return ipv6PseudoSum(frame, ipAt + 8, ipAt + 24, protocol, len);
}

function put16(b: Uint8Array, i: number, v: number): void {
  b[i] = v >>> 8;
  b[i + 1] = v;
}

/**
 * Do in `frame` what `rte_net_intel_cksum_flags_prepare(m, tx.olFlags)` (lib/net/rte_net.h) does before
 * an Intel-style NIC transmits:
 * - nothing when no inner (IP_CKSUM, L4 checksum, TCP_SEG, UDP_SEG) or outer (OUTER_IP_CKSUM,
 *   OUTER_UDP_CKSUM) offload is requested;
 * - with OUTER_IPV4/OUTER_IPV6: OUTER_IP_CKSUM zeroes the outer IPv4 checksum; if OUTER_UDP_CKSUM or
 *   any inner offload is requested, the outer UDP checksum becomes the pseudo-header seed
 *   (OUTER_UDP_CKSUM, length 0 under TCP_SEG/UDP_SEG as in DPDK, which passes the mbuf's flags) or 0
 *   (when the outer protocol is UDP);
 * - IPV4 with IP_CKSUM: the inner IPv4 checksum becomes 0;
 * - UDP checksum or UDP_SEG / TCP checksum or TCP_SEG: the inner L4 checksum becomes the non-complemented
 *   pseudo-header sum, with length 0 under TCP_SEG/UDP_SEG (`rte_ipv4_phdr_cksum`/`rte_ipv6_phdr_cksum`).
 * Inner L3 is at l2_len (+ outer_l2_len + outer_l3_len with an OUTER_IPV* flag), inner L4 at + l3_len.
 * Differences from DPDK: every position is checked before anything is written (DPDK zeroes outer fields
 * before its -ENOTSUP check), OUTER_UDP_CKSUM on a non-UDP outer header is refused instead of written
 * over the GRE header, and IPv6 seeds use the L4 protocol and length after extension headers.
 * @returns the number of 16-bit fields written, or `headers-not-contiguous` (-ENOTSUP) when the
 * headers pass the end of `frame`, or `outer-udp-cksum-not-udp` (-EINVAL). Never throws.
 */
export function prepareChecksums(frame: Uint8Array, tx: DpdkTxOffload): Result<number, DpdkTxOffloadError> {
  const f = tx.olFlags;
  if (!(f & (INNER_REQUESTS | OUTER_REQUESTS))) return ok(0);
  const seg = (f & SEG) !== 0n;
  const outerFlagged = (f & (RTE_MBUF_F_TX_OUTER_IPV4 | RTE_MBUF_F_TX_OUTER_IPV6)) !== 0n;
  const innerL3 = tx.l2Len + (outerFlagged ? tx.outerL2Len + tx.outerL3Len : 0);
  const l4 = innerL3 + tx.l3Len;
  const l4Mask = f & RTE_MBUF_F_TX_L4_MASK;
  const udp = l4Mask === RTE_MBUF_F_TX_UDP_CKSUM || (f & RTE_MBUF_F_TX_UDP_SEG) !== 0n;
  const tcp = !udp && (l4Mask === RTE_MBUF_F_TX_TCP_CKSUM || (f & RTE_MBUF_F_TX_TCP_SEG) !== 0n);
  const need = Math.max(innerL3 + tx.l3Len + tx.l4Len, udp ? l4 + 8 : tcp ? l4 + 18 : f & RTE_MBUF_F_TX_IP_CKSUM ? innerL3 + 12 : 0);
  if (frame.length < need) return notSupported('headers-not-contiguous', 'data_len', `headers end at ${need}, frame has ${frame.length} bytes`);
  const outerIpAt = tx.outerL2Len;
  const outerL4At = tx.outerL2Len + tx.outerL3Len;
  const outerUdpTouched = outerFlagged && (f & RTE_MBUF_F_TX_OUTER_UDP_CKSUM || f & INNER_REQUESTS);
  const outerIsV4 = (f & RTE_MBUF_F_TX_OUTER_IPV4) !== 0n;
  const outerProto = outerIsV4 ? frame[outerIpAt + 9] : frame[outerIpAt + 6];
  if (outerFlagged) {
    if (frame.length < outerL4At + 8) return notSupported('headers-not-contiguous', 'data_len', `outer headers end at ${outerL4At + 8}, frame has ${frame.length} bytes`);
    if (f & RTE_MBUF_F_TX_OUTER_UDP_CKSUM && (outerIsV4 || tx.outerL3Len === 40) && outerProto !== 17) {
      return invalid('outer-udp-cksum-not-udp', 'ol_flags', `OUTER_UDP_CKSUM but the outer IP protocol is ${outerProto}`);
    }
  }
  let written = 0;
  if (outerFlagged) {
    if (f & RTE_MBUF_F_TX_OUTER_IP_CKSUM) {
      put16(frame, outerIpAt + 10, 0);
      written++;
    }
    if (outerUdpTouched) {
      if (f & RTE_MBUF_F_TX_OUTER_UDP_CKSUM) {
        put16(frame, outerL4At + 6, phdr(frame, outerIpAt, tx.outerL3Len, 17, seg));
        written++;
      } else if (outerProto === 17) {
        put16(frame, outerL4At + 6, 0);
        written++;
      }
    }
  }
  if (f & RTE_MBUF_F_TX_IPV4 && f & RTE_MBUF_F_TX_IP_CKSUM) {
    put16(frame, innerL3 + 10, 0);
    written++;
  }
  if (udp || tcp) {
    put16(frame, l4 + (udp ? 6 : 16), phdr(frame, innerL3, tx.l3Len, udp ? 17 : 6, seg));
    written++;
  }
  return ok(written);
}

// ---------------------------------------------------------------------------------------------
// Descriptor ↔ DPDK

const TUNNEL_TYPE: Readonly<Partial<Record<OffloadTunnel, bigint>>> = {
  vxlan: RTE_MBUF_F_TX_TUNNEL_VXLAN,
  'vxlan-gpe': RTE_MBUF_F_TX_TUNNEL_VXLAN_GPE,
  geneve: RTE_MBUF_F_TX_TUNNEL_GENEVE,
  nvgre: RTE_MBUF_F_TX_TUNNEL_GRE,
  gre: RTE_MBUF_F_TX_TUNNEL_GRE,
};
const TUNNEL_CODE: Readonly<Record<OffloadTunnel, number>> = { none: 0, vxlan: 1, 'vxlan-gpe': 2, geneve: 3, nvgre: 4, gre: 5, stt: 6 };

/** Options of {@link descriptorToDpdk}. */
export interface DescriptorToDpdkOptions {
  /**
   * Request IPv4 header checksums (IP_CKSUM, OUTER_IP_CKSUM) for every IPv4 header, not only when
   * segmenting (default false: only with TCP_SEG/UDP_SEG, where lengths change per segment and DPDK
   * requires IP_CKSUM for IPv4 TSO).
   */
  readonly ipChecksums?: boolean;
}

function unsupported(field: string, found: number, allowed: string): Result<never> {
  return err(wireError('unsupported', 'walk', 0, field, found, allowed));
}

/**
 * The mbuf TX offload request for `desc` (the tunnel form of mbuf_lib.rst for tunneled packets):
 * - non-tunnel: l2_len = inner L3 offset (L2 incl. VLAN tags), l3_len, l4_len; IPV4/IPV6;
 * - tunnel: outer_l2_len = outer L3 offset, outer_l3_len, l2_len = inner L3 offset − outer L4 offset
 *   (outer UDP/GRE + tunnel header + inner L2), OUTER_IPV4/IPV6, the tunnel type (VXLAN, VXLAN_GPE,
 *   GENEVE, GRE for NVGRE/GRE), OUTER_UDP_CKSUM when `outerUdpCsum` on a UDP outer;
 * - csum partial (or any GSO) → TCP_CKSUM/UDP_CKSUM; GSO → TCP_SEG (tcpv4/tcpv6) or UDP_SEG
 *   (udp-l4, udp), tso_segsz = `gso.size`, and IP_CKSUM/OUTER_IP_CKSUM on IPv4 headers.
 * Not carried (round trip needs the frame, see {@link dpdkToDescriptor}): ECN, frame length, segment
 * count, the GRE checksum variant, `unnecessary`/`complete` states (DPDK TX has none: they map to no
 * checksum request), the split of l2_len into tunnel header and inner L2.
 * Errors (`unsupported`, layer `walk`): an STT tunnel (no DPDK tunnel type); a length that does not fit
 * its bitfield (e.g. Geneve with more than ~100 option bytes makes l2_len > 127).
 */
export function descriptorToDpdk(desc: OffloadDescriptor, opts: DescriptorToDpdkOptions = {}): Result<DpdkTxOffload> {
  const i = desc.inner;
  const o = desc.outer;
  const g = desc.gso;
  let f = i.ipVersion === 4 ? RTE_MBUF_F_TX_IPV4 : RTE_MBUF_F_TX_IPV6;
  let l2Len = i.l3Offset;
  let outerL2Len = 0;
  let outerL3Len = 0;
  if (o) {
    const tt = TUNNEL_TYPE[desc.tunnel];
    if (tt === undefined) return unsupported('tunnel', TUNNEL_CODE[desc.tunnel], 'VXLAN, VXLAN-GPE, Geneve, NVGRE or GRE (DPDK has no STT tunnel type)');
    f |= tt | (o.ipVersion === 4 ? RTE_MBUF_F_TX_OUTER_IPV4 : RTE_MBUF_F_TX_OUTER_IPV6);
    outerL2Len = o.l3Offset;
    outerL3Len = o.l3Length;
    l2Len = i.l3Offset - o.l4Offset;
    if (desc.outerUdpCsum && o.l4Protocol === 17) f |= RTE_MBUF_F_TX_OUTER_UDP_CKSUM;
    if (o.ipVersion === 4 && (g || opts.ipChecksums)) f |= RTE_MBUF_F_TX_OUTER_IP_CKSUM;
  }
  if (i.ipVersion === 4 && (g || opts.ipChecksums)) f |= RTE_MBUF_F_TX_IP_CKSUM;
  const tcp = i.l4Protocol === 6;
  if (desc.csum.kind === 'partial' || g) f |= tcp ? RTE_MBUF_F_TX_TCP_CKSUM : RTE_MBUF_F_TX_UDP_CKSUM;
  if (g) f |= g.type === 'tcpv4' || g.type === 'tcpv6' ? RTE_MBUF_F_TX_TCP_SEG : RTE_MBUF_F_TX_UDP_SEG;
  const tx: DpdkTxOffload = { olFlags: f, l2Len, l3Len: i.l3Length, l4Len: i.l4Length, tsoSegsz: g ? g.size : 0, outerL2Len, outerL3Len };
  for (const k of FIELDS) {
    const bits = DPDK_TX_OFFLOAD_BITS[k];
    if (tx[k] >= 2 ** bits) return unsupported(k, tx[k], `0..${2 ** bits - 1} (${bits}-bit tx_offload field)`);
  }
  return ok(tx);
}

const TUNNEL_FROM_TYPE: Readonly<Record<number, OffloadTunnel>> = {
  [DpdkTunnelType.VXLAN]: 'vxlan',
  [DpdkTunnelType.VXLAN_GPE]: 'vxlan-gpe',
  [DpdkTunnelType.GENEVE]: 'geneve',
  [DpdkTunnelType.GRE]: 'gre',
};

/**
 * Recover the descriptor an mbuf TX request describes. It is first checked with
 * {@link validateTxOffload} (errors there come back as `bad-value` WireErrors, layer `walk`, field =
 * the rule, found = errno).
 *
 * Without `frame`: the {@link OffloadHints} the request carries — tunnel kind (VXLAN, VXLAN-GPE,
 * Geneve; GRE covers NVGRE), outer L3 offset/length/IP version and L4 offset/protocol (tunnel form),
 * inner L3 offset/length/IP version, L4 offset/length/protocol, csum partial at the inner L4 header
 * (L4 checksum flag or SEG), `outerUdpCsum` (OUTER_UDP_CKSUM, tunnel form), GSO type and size.
 * A tunnel type without OUTER_IPV* flags is the inner-only form of mbuf_lib.rst (l2_len reaches from the
 * frame start to the inner IP header). With `frame`: the full {@link OffloadDescriptor}
 * ({@link completeOffloadHints}: ECN, segments, GRE checksum variant, lengths DPDK cannot split come
 * from the frame; every carried length is checked against it).
 *
 * Round trip `descriptorToDpdk` → `dpdkToDescriptor(…, frame)` returns the descriptor unchanged when it
 * was derived from `frame`, except that a GSO descriptor with csum `none` comes back `partial` (TSO
 * implies the checksum) and `unnecessary`/`complete` come back `none`. Never throws.
 */
export function dpdkToDescriptor(tx: DpdkTxOffload, frame: Uint8Array, opts?: CompleteOptions): Result<OffloadDescriptor>;
export function dpdkToDescriptor(tx: DpdkTxOffload, frame?: undefined, opts?: CompleteOptions): Result<OffloadHints>;
export function dpdkToDescriptor(tx: DpdkTxOffload, frame?: Uint8Array, opts?: CompleteOptions): Result<OffloadDescriptor | OffloadHints>;
export function dpdkToDescriptor(tx: DpdkTxOffload, frame?: Uint8Array, opts: CompleteOptions = {}): Result<OffloadDescriptor | OffloadHints> {
  const v = validateTxOffload(tx, frame ? { dataLength: frame.length } : {});
  if (!v.ok) return err(wireError('bad-value', 'walk', 0, v.error.rule, v.error.errno, v.error.message));
  const f = tx.olFlags;
  const tt = dpdkTunnelType(f);
  if (tt !== 0 && TUNNEL_FROM_TYPE[tt] === undefined) return unsupported('tunnel_type', tt, 'VXLAN (1), GRE (2), GENEVE (4) or VXLAN_GPE (6)');
  const outerForm = (f & (RTE_MBUF_F_TX_OUTER_IPV4 | RTE_MBUF_F_TX_OUTER_IPV6)) !== 0n;
  const innerV4 = (f & RTE_MBUF_F_TX_IPV4) !== 0n;
  const innerV6 = (f & RTE_MBUF_F_TX_IPV6) !== 0n;
  const l4Mask = f & RTE_MBUF_F_TX_L4_MASK;
  const tcpSeg = (f & RTE_MBUF_F_TX_TCP_SEG) !== 0n;
  const udpSeg = (f & RTE_MBUF_F_TX_UDP_SEG) !== 0n;
  if (l4Mask === RTE_MBUF_F_TX_SCTP_CKSUM) return unsupported('ol_flags', 2, 'TCP or UDP checksum (no SCTP descriptor)');
  if (tcpSeg && udpSeg) return err(wireError('bad-flags', 'walk', 0, 'ol_flags', 3, 'one of TCP_SEG, UDP_SEG'));
  const tcp = l4Mask === RTE_MBUF_F_TX_TCP_CKSUM || tcpSeg;
  const udp = l4Mask === RTE_MBUF_F_TX_UDP_CKSUM || udpSeg;
  if ((tcp && udp) || (tcpSeg && l4Mask === RTE_MBUF_F_TX_UDP_CKSUM)) return err(wireError('bad-flags', 'walk', 0, 'ol_flags', Number(l4Mask >> 52n), 'an L4 checksum that matches the SEG flag'));
  const outerStart = outerForm ? tx.outerL2Len + tx.outerL3Len : 0;
  const l3Offset = outerStart + tx.l2Len;
  const inner: Partial<Record<keyof HeaderOffsets, number>> = { l3Offset, l3Length: tx.l3Len, l4Offset: l3Offset + tx.l3Len };
  if (innerV4 !== innerV6) inner.ipVersion = innerV4 ? 4 : 6;
  if (tcp || udp) {
    inner.l4Protocol = tcp ? 6 : 17;
    inner.l4Length = tx.l4Len;
  }
  let outer: Partial<Record<keyof HeaderOffsets, number>> | undefined;
  if (outerForm) {
    outer = { l2Offset: 0, l3Offset: tx.outerL2Len, l3Length: tx.outerL3Len, l4Offset: outerStart };
    const ov4 = (f & RTE_MBUF_F_TX_OUTER_IPV4) !== 0n;
    if (ov4 !== ((f & RTE_MBUF_F_TX_OUTER_IPV6) !== 0n)) outer.ipVersion = ov4 ? 4 : 6;
    if (tt === DpdkTunnelType.GRE) outer.l4Protocol = 47;
    else if (tt !== 0) outer.l4Protocol = 17;
  }
  const tunnel = tt !== 0 ? TUNNEL_FROM_TYPE[tt] : undefined;
  const csum: ChecksumState = tcp || udp ? { kind: 'partial', csumStart: l3Offset + tx.l3Len, csumOffset: tcp ? 16 : 6 } : { kind: 'none' };
  let gso: OffloadHints['gso'];
  if (tcpSeg || udpSeg) {
    const type: GsoType = udpSeg ? 'udp-l4' : innerV6 ? 'tcpv6' : 'tcpv4';
    // Only the tunnel form of a UDP tunnel says which variant; GRE (checksum or not) and requests
    // without OUTER_IPV* flags (possibly the inner-only form over a tunnel) leave it to the frame.
    const gtun: GsoTunnel | undefined = outerForm && tt !== 0 && tt !== DpdkTunnelType.GRE ? (f & RTE_MBUF_F_TX_OUTER_UDP_CKSUM ? 'udp-tunnel-csum' : 'udp-tunnel') : undefined;
    gso = { type, size: tx.tsoSegsz, ...(gtun !== undefined ? { tunnel: gtun } : {}) };
  }
  const hints: OffloadHints = {
    ...(tunnel ? { tunnel } : {}),
    csum,
    ...(outerForm && tt !== DpdkTunnelType.GRE ? { outerUdpCsum: (f & RTE_MBUF_F_TX_OUTER_UDP_CKSUM) !== 0n } : {}),
    ...(gso ? { gso } : {}),
    ...(outer ? { outer: outer as Partial<HeaderOffsets> } : {}),
    inner: inner as Partial<HeaderOffsets>,
  };
  if (!frame) return ok(hints);
  return completeOffloadHints(hints, frame, opts);
}
