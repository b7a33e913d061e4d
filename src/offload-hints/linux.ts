/**
 * Linux sk_buff offload state: `skb->ip_summed`/`csum_*`, `skb_shinfo(skb)->gso_*`, and the
 * encapsulation fields, as plain numbers, mapped to and from an {@link OffloadDescriptor}.
 * Sources: shared/specs/offload.md §2 (linux include/linux/skbuff.h, net/ipv4/udp_offload.c,
 * include/net/vxlan.h) and linux include/linux/virtio_net.h (how the virtio helpers fill these).
 *
 * Offsets here count from the start of the frame (the outer Ethernet header), as virtio-net reports
 * them; in the kernel `csum_start` and `inner_*_header` count from `skb->head`, so subtract
 * `skb_mac_header(skb) - skb->head` (or add `skb_headroom` as `virtio_net_hdr_tnl_to_skb` does).
 */
import { err, ok, wireError, type Result } from '../net/errors.js';
import type { ChecksumState, GsoTunnel, GsoType, HeaderOffsets, OffloadDescriptor } from './descriptor.js';
import { completeOffloadHints, type CompleteOptions, type OffloadHints } from './virtio.js';

/** `skb->ip_summed`: no checksum information (receive) / checksum complete or not needed (transmit). */
export const CHECKSUM_NONE = 0;
/** `skb->ip_summed`: hardware verified the checksum; `csum_level` counts further verified ones. */
export const CHECKSUM_UNNECESSARY = 1;
/** `skb->ip_summed`: `skb->csum` holds the one's-complement sum of the packet data. */
export const CHECKSUM_COMPLETE = 2;
/** `skb->ip_summed`: the device must checksum from csum_start to the end, storing at csum_start + csum_offset. */
export const CHECKSUM_PARTIAL = 3;
/** Largest `csum_level` (`SKB_MAX_CSUM_LEVEL`). */
export const SKB_MAX_CSUM_LEVEL = 3;

/** `skb_shinfo(skb)->gso_type` bits (offload.md §2.3, linux include/linux/skbuff.h). */
export const SKB_GSO_TCPV4 = 1 << 0;
export const SKB_GSO_DODGY = 1 << 1;
export const SKB_GSO_TCP_ECN = 1 << 2;
export const SKB_GSO_TCP_FIXEDID = 1 << 3;
export const SKB_GSO_TCPV6 = 1 << 4;
export const SKB_GSO_FCOE = 1 << 5;
export const SKB_GSO_GRE = 1 << 6;
export const SKB_GSO_GRE_CSUM = 1 << 7;
export const SKB_GSO_IPXIP4 = 1 << 8;
export const SKB_GSO_IPXIP6 = 1 << 9;
export const SKB_GSO_UDP_TUNNEL = 1 << 10;
export const SKB_GSO_UDP_TUNNEL_CSUM = 1 << 11;
export const SKB_GSO_PARTIAL = 1 << 12;
export const SKB_GSO_TUNNEL_REMCSUM = 1 << 13;
export const SKB_GSO_SCTP = 1 << 14;
export const SKB_GSO_ESP = 1 << 15;
export const SKB_GSO_UDP = 1 << 16;
export const SKB_GSO_UDP_L4 = 1 << 17;
export const SKB_GSO_FRAGLIST = 1 << 18;

/** `skb->inner_protocol_type`: `inner_protocol` is an EtherType (`skb_set_inner_protocol`). */
export const ENCAP_TYPE_ETHER = 0;
/** `skb->inner_protocol_type`: `inner_protocol` is an IP protocol number (`skb_set_inner_ipproto`). */
export const ENCAP_TYPE_IPPROTO = 1;
/** `ETH_P_TEB`: the inner protocol of an Ethernet-in-tunnel packet (VXLAN, Geneve, NVGRE). */
export const ETH_P_TEB = 0x6558;

/** The bits this module can express in a descriptor; DODGY and FIXEDID are accepted and dropped. */
const GSO_BASE = SKB_GSO_TCPV4 | SKB_GSO_TCPV6 | SKB_GSO_UDP | SKB_GSO_UDP_L4;
const GSO_TUNNELS = SKB_GSO_UDP_TUNNEL | SKB_GSO_UDP_TUNNEL_CSUM | SKB_GSO_GRE | SKB_GSO_GRE_CSUM;
const GSO_KNOWN = GSO_BASE | GSO_TUNNELS | SKB_GSO_TCP_ECN | SKB_GSO_DODGY | SKB_GSO_TCP_FIXEDID;

/**
 * The offload part of an sk_buff as plain numbers. Offsets are bytes from the frame start.
 */
export interface LinuxSkbOffload {
  /** `SKB_GSO_*` bits; 0 when not GSO. */
  readonly gsoType: number;
  /** `gso_size`: payload bytes per segment (0 when not GSO). */
  readonly gsoSize: number;
  /** `gso_segs`: segments the packet becomes (0 when not GSO, or unknown as after virtio: DODGY). */
  readonly gsoSegs: number;
  /** `ip_summed`: CHECKSUM_NONE/UNNECESSARY/COMPLETE/PARTIAL (0..3). */
  readonly ipSummed: number;
  /** CHECKSUM_PARTIAL: where checksumming starts (frame offset); 0 otherwise. */
  readonly csumStart: number;
  /** CHECKSUM_PARTIAL: where after csumStart the result goes (16 TCP, 6 UDP); 0 otherwise. */
  readonly csumOffset: number;
  /** CHECKSUM_UNNECESSARY: further verified checksums (0..3). */
  readonly csumLevel?: number;
  /** CHECKSUM_COMPLETE: `skb->csum`, the one's-complement sum of the packet data (16 bits folded). */
  readonly csum?: number;
  /** `skb->encapsulation`: the inner_* fields are valid. */
  readonly encapsulation: boolean;
  /** `inner_mac_header` (frame offset); the inner IP header when the tunnel carries no Ethernet. */
  readonly innerMacHeader?: number;
  /** `inner_network_header` (frame offset). */
  readonly innerNetworkHeader?: number;
  /** `inner_transport_header` (frame offset). */
  readonly innerTransportHeader?: number;
  /** `inner_protocol`: an EtherType (ETH_P_TEB for Ethernet, 0x0800/0x86dd for an IP payload). */
  readonly innerProtocol?: number;
  /** `inner_protocol_type`: ENCAP_TYPE_ETHER (0) or ENCAP_TYPE_IPPROTO (1). */
  readonly innerProtocolType?: number;
}

const BASE_BIT: Readonly<Record<GsoType, number>> = { tcpv4: SKB_GSO_TCPV4, tcpv6: SKB_GSO_TCPV6, udp: SKB_GSO_UDP, 'udp-l4': SKB_GSO_UDP_L4 };
const TUNNEL_BIT: Readonly<Record<GsoTunnel, number>> = {
  none: 0,
  'udp-tunnel': SKB_GSO_UDP_TUNNEL,
  'udp-tunnel-csum': SKB_GSO_UDP_TUNNEL_CSUM,
  gre: SKB_GSO_GRE,
  'gre-csum': SKB_GSO_GRE_CSUM,
};

/**
 * The skb offload state a tunnel driver (and the TCP/UDP stack under it) leaves on a packet that
 * `desc` describes:
 * - gso: `gsoType` = base bit (TCPV4/TCPV6/UDP/UDP_L4) | TCP_ECN (CWR set) | the tunnel variant
 *   (UDP_TUNNEL[_CSUM], GRE[_CSUM]); `gsoSize`, `gsoSegs` = `gso.size`, `gso.segments`. STT has no skb
 *   GSO type: only the inner bits are set.
 * - csum: partial → CHECKSUM_PARTIAL at the inner L4 checksum (as the virtio helpers see a tunnel GSO
 *   skb; skbuff.h words it as "the outermost checksum being offloaded" — the outer UDP one of a GSO
 *   packet is seeded and finished per segment, see `gsoType`); none with `outerUdpCsum` on an
 *   unsegmented UDP tunnel → CHECKSUM_PARTIAL at the outer UDP header, offset 6 (`udp_set_csum`);
 *   unnecessary → CHECKSUM_UNNECESSARY with `csumLevel`; complete → CHECKSUM_COMPLETE with `csum`.
 * - encapsulation: with `desc.outer`, `innerMacHeader` (inner Ethernet, or the inner IP header when
 *   there is none), `innerNetworkHeader`, `innerTransportHeader`, and `innerProtocol` = ETH_P_TEB or
 *   the inner IP EtherType, type ENCAP_TYPE_ETHER (what `skb_set_inner_protocol` in the VXLAN, Geneve
 *   and GRE drivers records).
 */
export function descriptorToLinuxGso(desc: OffloadDescriptor): LinuxSkbOffload {
  let gsoType = 0;
  let gsoSize = 0;
  let gsoSegs = 0;
  const g = desc.gso;
  if (g) {
    gsoType = BASE_BIT[g.type] | TUNNEL_BIT[g.tunnel];
    if (g.ecn && (g.type === 'tcpv4' || g.type === 'tcpv6')) gsoType |= SKB_GSO_TCP_ECN;
    gsoSize = g.size;
    gsoSegs = g.segments;
  }
  let ipSummed = CHECKSUM_NONE;
  let csumStart = 0;
  let csumOffset = 0;
  let extra: { csumLevel: number } | { csum: number } | Record<string, never> = {};
  switch (desc.csum.kind) {
    case 'partial':
      ipSummed = CHECKSUM_PARTIAL;
      csumStart = desc.csum.csumStart;
      csumOffset = desc.csum.csumOffset;
      break;
    case 'unnecessary':
      ipSummed = CHECKSUM_UNNECESSARY;
      extra = { csumLevel: desc.csum.level };
      break;
    case 'complete':
      ipSummed = CHECKSUM_COMPLETE;
      extra = { csum: desc.csum.value };
      break;
    case 'none':
      if (!g && desc.outer && desc.outerUdpCsum && desc.outer.l4Protocol === 17) {
        ipSummed = CHECKSUM_PARTIAL;
        csumStart = desc.outer.l4Offset;
        csumOffset = 6;
      }
      break;
  }
  const base = { gsoType, gsoSize, gsoSegs, ipSummed, csumStart, csumOffset, ...extra };
  if (!desc.outer) return { ...base, encapsulation: false };
  const i = desc.inner;
  const ether = i.l2Length > 0;
  return {
    ...base,
    encapsulation: true,
    innerMacHeader: ether ? i.l2Offset : i.l3Offset,
    innerNetworkHeader: i.l3Offset,
    innerTransportHeader: i.l4Offset,
    innerProtocol: ether ? ETH_P_TEB : i.ipVersion === 4 ? 0x0800 : 0x86dd,
    innerProtocolType: ENCAP_TYPE_ETHER,
  };
}

function bad(field: string, found: number, allowed: string): Result<never> {
  return err(wireError('bad-value', 'walk', 0, field, found, allowed));
}

/**
 * Check an skb offload state: `ipSummed` 0..3; `csumLevel` 0..3; with `gsoSize` > 0 exactly one base
 * type (TCPV4, TCPV6, UDP, UDP_L4) and at most one tunnel variant; TCP_ECN only with TCP; no bits this
 * module cannot express (FCOE, IPXIP*, PARTIAL, TUNNEL_REMCSUM, SCTP, ESP, FRAGLIST: `unsupported`);
 * GSO bits need a nonzero `gsoSize`; encapsulation needs the three inner offsets in order.
 * Errors are `bad-value`/`unsupported` WireErrors (layer `walk`, field named after the skb field).
 */
export function validateLinuxSkbOffload(s: LinuxSkbOffload): Result<LinuxSkbOffload> {
  if (!Number.isInteger(s.ipSummed) || s.ipSummed < 0 || s.ipSummed > 3) return bad('ip_summed', s.ipSummed, '0..3');
  if (s.csumLevel !== undefined && (!Number.isInteger(s.csumLevel) || s.csumLevel < 0 || s.csumLevel > SKB_MAX_CSUM_LEVEL)) return bad('csum_level', s.csumLevel, `0..${SKB_MAX_CSUM_LEVEL}`);
  const t = s.gsoType;
  if (t & ~GSO_KNOWN) return err(wireError('unsupported', 'walk', 0, 'gso_type', t, `only bits 0x${GSO_KNOWN.toString(16)} (TCPV4/6, UDP, UDP_L4, TCP_ECN, UDP_TUNNEL[_CSUM], GRE[_CSUM], DODGY, FIXEDID)`));
  if (s.gsoSize > 0 || (t & (GSO_BASE | GSO_TUNNELS | SKB_GSO_TCP_ECN))) {
    if (!Number.isInteger(s.gsoSize) || s.gsoSize < 1 || s.gsoSize > 0xffff) return bad('gso_size', s.gsoSize, '1..65535 with GSO bits');
    const base = t & GSO_BASE;
    if (base === 0 || (base & (base - 1)) !== 0) return bad('gso_type', t, 'exactly one of TCPV4, TCPV6, UDP, UDP_L4');
    const tun = t & GSO_TUNNELS;
    if ((tun & (tun - 1)) !== 0) return bad('gso_type', t, 'at most one of UDP_TUNNEL, UDP_TUNNEL_CSUM, GRE, GRE_CSUM');
    if (t & SKB_GSO_TCP_ECN && !(t & (SKB_GSO_TCPV4 | SKB_GSO_TCPV6))) return bad('gso_type', t, 'TCP_ECN only with TCPV4/TCPV6');
    if (!Number.isInteger(s.gsoSegs) || s.gsoSegs < 0 || s.gsoSegs > 0xffff) return bad('gso_segs', s.gsoSegs, '0..65535');
  }
  if (s.encapsulation) {
    const m = s.innerMacHeader;
    const n = s.innerNetworkHeader;
    const tr = s.innerTransportHeader;
    if (m === undefined || n === undefined || tr === undefined || !(m <= n && n < tr)) {
      return bad('inner_network_header', n ?? -1, 'inner_mac_header <= inner_network_header < inner_transport_header');
    }
  }
  return ok(s);
}

/**
 * Recover the descriptor an skb state describes (validated first with {@link validateLinuxSkbOffload}).
 *
 * Without `frame`: the {@link OffloadHints} the state carries — csum state (PARTIAL at the inner
 * transport header → partial; PARTIAL elsewhere on an encapsulated, non-GSO skb with offset 6 → the
 * outer UDP checksum: csum none, `outerUdpCsum`), GSO type/variant/size/segments/ECN
 * (`outerUdpCsum` from UDP_TUNNEL_CSUM vs UDP_TUNNEL), inner L2/L3/L4 offsets (encapsulation) and the
 * inner IP version (from TCPV4/TCPV6 or `innerProtocol`). With `frame`: the full
 * {@link OffloadDescriptor}, what the skb cannot carry (outer positions, tunnel kind, lengths, frame
 * length) derived from the frame and checked against the carried offsets
 * ({@link completeOffloadHints}). `gsoSegs` is recomputed from the frame (DODGY semantics).
 *
 * Round trip `descriptorToLinuxGso` → `linuxToDescriptor(…, frame)` returns the descriptor unchanged
 * when it was derived from `frame` with the default outer-UDP-checksum choice; a partial inner checksum
 * on an unsegmented tunnel packet takes `outerUdpCsum` from the frame (the skb keeps one offset).
 */
export function linuxToDescriptor(s: LinuxSkbOffload, frame: Uint8Array, opts?: CompleteOptions): Result<OffloadDescriptor>;
export function linuxToDescriptor(s: LinuxSkbOffload, frame?: undefined, opts?: CompleteOptions): Result<OffloadHints>;
export function linuxToDescriptor(s: LinuxSkbOffload, frame?: Uint8Array, opts?: CompleteOptions): Result<OffloadDescriptor | OffloadHints>;
export function linuxToDescriptor(s: LinuxSkbOffload, frame?: Uint8Array, opts: CompleteOptions = {}): Result<OffloadDescriptor | OffloadHints> {
  const v = validateLinuxSkbOffload(s);
  if (!v.ok) return v;
  const t = s.gsoType;
  const isGso = (t & GSO_BASE) !== 0;
  let csum: ChecksumState = { kind: 'none' };
  let outerUdpCsum: boolean | undefined;
  let outerCsumOnly = false;
  if (s.ipSummed === CHECKSUM_PARTIAL) {
    if (s.encapsulation && !isGso && s.csumStart !== s.innerTransportHeader && s.csumOffset === 6 && s.csumStart < (s.innerMacHeader ?? 0)) {
      outerCsumOnly = true;
      outerUdpCsum = true;
    } else csum = { kind: 'partial', csumStart: s.csumStart, csumOffset: s.csumOffset };
  } else if (s.ipSummed === CHECKSUM_UNNECESSARY) csum = { kind: 'unnecessary', level: s.csumLevel ?? 0 };
  else if (s.ipSummed === CHECKSUM_COMPLETE) csum = { kind: 'complete', value: s.csum ?? 0 };
  let gso: OffloadHints['gso'];
  const inner: Partial<Record<keyof HeaderOffsets, number>> = {};
  if (isGso) {
    const type: GsoType = t & SKB_GSO_TCPV4 ? 'tcpv4' : t & SKB_GSO_TCPV6 ? 'tcpv6' : t & SKB_GSO_UDP ? 'udp' : 'udp-l4';
    const tunnel: GsoTunnel =
      t & SKB_GSO_UDP_TUNNEL_CSUM ? 'udp-tunnel-csum' : t & SKB_GSO_UDP_TUNNEL ? 'udp-tunnel' : t & SKB_GSO_GRE_CSUM ? 'gre-csum' : t & SKB_GSO_GRE ? 'gre' : 'none';
    if (tunnel === 'udp-tunnel-csum' || tunnel === 'udp-tunnel') outerUdpCsum = tunnel === 'udp-tunnel-csum';
    gso = { type, tunnel, size: s.gsoSize, ...(s.gsoSegs > 0 ? { segments: s.gsoSegs } : {}), ecn: (t & SKB_GSO_TCP_ECN) !== 0 };
    if (type === 'tcpv4' || type === 'tcpv6') {
      inner.ipVersion = type === 'tcpv4' ? 4 : 6;
      inner.l4Protocol = 6;
    } else inner.l4Protocol = 17;
  }
  if (s.encapsulation) {
    inner.l3Offset = s.innerNetworkHeader!;
    inner.l4Offset = s.innerTransportHeader!;
    if (s.innerMacHeader! < s.innerNetworkHeader!) {
      inner.l2Offset = s.innerMacHeader!;
      inner.l2Length = s.innerNetworkHeader! - s.innerMacHeader!;
    }
    inner.l3Length = s.innerTransportHeader! - s.innerNetworkHeader!;
    if (s.innerProtocolType === ENCAP_TYPE_ETHER && (s.innerProtocol === 0x0800 || s.innerProtocol === 0x86dd)) inner.ipVersion = s.innerProtocol === 0x0800 ? 4 : 6;
  }
  const hints: OffloadHints = {
    csum,
    ...(outerUdpCsum !== undefined ? { outerUdpCsum } : {}),
    ...(gso ? { gso } : {}),
    ...(s.encapsulation ? { outer: outerCsumOnly ? { l4Offset: s.csumStart, l4Protocol: 17 } : {} } : {}),
    inner: inner as Partial<HeaderOffsets>,
  };
  if (!frame) return ok(hints);
  return completeOffloadHints(hints, frame, opts);
}
