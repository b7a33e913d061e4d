/**
 * One offload descriptor for a (possibly tunneled) frame: where its headers are, what checksum work
 * is pending, and how to cut it into wire segments. It is derived from the frame itself
 * ({@link deriveOffloadDescriptor}), never typed by hand, and maps both ways to Linux `virtio_net_hdr`,
 * skb GSO type bits and DPDK mbuf offload fields (see `virtio.ts`, `linux.ts`, `dpdk.ts`).
 *
 * All offsets are bytes from the start of the frame (the outer Ethernet header); lengths are bytes.
 * Sources: shared/specs/offload.md §1–§5.
 */
import { err, ok, wireError, type Result } from '../net/errors.js';
import { walkPacket, type WalkOptions } from '../walk/walker.js';
import type { DecodedLayer } from '../walk/layers.js';

/** Tunnel kinds a descriptor distinguishes. */
export type OffloadTunnel = 'none' | 'vxlan' | 'vxlan-gpe' | 'geneve' | 'nvgre' | 'gre' | 'stt';

/**
 * Checksum state (Linux `ip_summed`, virtio `flags`):
 * - `none`: nothing pending (transmit: checksums already complete);
 * - `partial`: the L4 checksum at `csumStart + csumOffset` holds the non-complemented pseudo-header
 *   sum and must be completed over `csumStart..end` (CHECKSUM_PARTIAL, VIRTIO_NET_HDR_F_NEEDS_CSUM);
 * - `unnecessary`: verified by hardware, `level` extra checksums beyond the first (CHECKSUM_UNNECESSARY);
 * - `complete`: `value` is the one's-complement sum of the packet data (CHECKSUM_COMPLETE).
 */
export type ChecksumState =
  | { readonly kind: 'none' }
  | { readonly kind: 'partial'; readonly csumStart: number; readonly csumOffset: number }
  | { readonly kind: 'unnecessary'; readonly level: number }
  | { readonly kind: 'complete'; readonly value: number };

/** Inner segmentation type (Linux SKB_GSO_TCPV4/TCPV6/UDP/UDP_L4). */
export type GsoType = 'tcpv4' | 'tcpv6' | 'udp' | 'udp-l4';
/** Tunnel segmentation variant (Linux SKB_GSO_UDP_TUNNEL[_CSUM], SKB_GSO_GRE[_CSUM]). */
export type GsoTunnel = 'none' | 'udp-tunnel' | 'udp-tunnel-csum' | 'gre' | 'gre-csum';

/** Segmentation request. */
export interface GsoInfo {
  readonly type: GsoType;
  readonly tunnel: GsoTunnel;
  /** gso_size: payload bytes per segment (the MSS for TCP). */
  readonly size: number;
  /** Segments the frame becomes. */
  readonly segments: number;
  /** TCP CWR set on the super-packet (VIRTIO_NET_HDR_GSO_ECN, SKB_GSO_TCP_ECN). */
  readonly ecn: boolean;
}

/** Where one packet's headers are. */
export interface HeaderOffsets {
  readonly l2Offset: number;
  /** Ethernet header length including VLAN tags; 0 for an L3 tunnel payload. */
  readonly l2Length: number;
  readonly l3Offset: number;
  /** IPv4 header (with options) or IPv6 header with extension headers. */
  readonly l3Length: number;
  readonly ipVersion: 4 | 6;
  readonly l4Offset: number;
  readonly l4Length: number;
  /** IP protocol of the L4 header (6 TCP, 17 UDP, 47 GRE). */
  readonly l4Protocol: number;
}

/** The offload descriptor. */
export interface OffloadDescriptor {
  readonly tunnel: OffloadTunnel;
  /** Outer headers when tunneled: L4 is the outer UDP/GRE/TCP(STT) header. */
  readonly outer?: HeaderOffsets & {
    /** Tunnel header length in bytes (VXLAN 8, Geneve 8 + options, NVGRE/GRE as its flags say, STT 18). */
    readonly tunnelHeaderLength: number;
  };
  /** The innermost packet (the only one when not tunneled). */
  readonly inner: HeaderOffsets;
  /** Frame length in bytes. */
  readonly frameLength: number;
  /** Inner L4 checksum state. */
  readonly csum: ChecksumState;
  /** Outer UDP checksum must be computed (VIRTIO_NET_HDR_F_UDP_TUNNEL_CSUM, DPDK OUTER_UDP_CKSUM). */
  readonly outerUdpCsum: boolean;
  /** Segmentation, when the frame is larger than one segment. */
  readonly gso?: GsoInfo;
}

/** How {@link deriveOffloadDescriptor} should describe the frame. */
export interface DeriveOptions {
  /** Request segmentation with this payload size per segment (MSS). */
  readonly gsoSize?: number;
  /** Inner checksum state to describe: `partial` (default: the device completes it) or `none`. */
  readonly csum?: 'partial' | 'none';
  /** Ask for the outer UDP checksum too (default: as the frame has it — nonzero means requested). */
  readonly outerUdpCsum?: boolean;
  /** Walker options (decode-as ports etc.). */
  readonly walk?: WalkOptions;
}

const TUNNELS = new Set(['vxlan', 'vxlan-gpe', 'geneve', 'nvgre', 'gre', 'stt']);

function offsetsAt(layers: readonly DecodedLayer[], from: number, to: number): HeaderOffsets | undefined {
  let l2Offset = -1;
  let l2Length = 0;
  let ip: DecodedLayer | undefined;
  let l4: DecodedLayer | undefined;
  for (let i = from; i < to; i++) {
    const l = layers[i]!;
    if (l.proto === 'eth' && !ip) {
      l2Offset = l.offset;
      l2Length = l.length;
    } else if (l.proto === 'vlan' && !ip) l2Length += l.length;
    else if ((l.proto === 'ipv4' || l.proto === 'ipv6') && !ip) ip = l;
    else if ((l.proto === 'udp' || l.proto === 'tcp' || l.proto === 'gre' || l.proto === 'nvgre') && ip && !l4) l4 = l;
  }
  if (!ip || (ip.proto !== 'ipv4' && ip.proto !== 'ipv6')) return undefined;
  const l4Protocol = ip.protocol;
  return {
    l2Offset: l2Offset < 0 ? ip.offset : l2Offset,
    l2Length,
    l3Offset: ip.offset,
    l3Length: ip.length,
    ipVersion: ip.proto === 'ipv4' ? 4 : 6,
    l4Offset: l4 ? l4.offset : ip.offset + ip.length,
    l4Length: l4 ? l4.length : 0,
    l4Protocol,
  };
}

/**
 * Derive the descriptor of `frame` (an Ethernet frame; a tunnel is found by the walker's port map).
 * Errors: the walker's first error; `unsupported` when there is no IP packet, the innermost L4 is not
 * TCP/UDP, the frame is a fragment or reassembly was needed, or `gsoSize` is not a positive integer.
 */
export function deriveOffloadDescriptor(frame: Uint8Array, opts: DeriveOptions = {}): Result<OffloadDescriptor> {
  const d = walkPacket(frame, opts.walk ?? {});
  if (d.errors.length) return err(d.errors[0]!);
  const L = d.layers;
  if (L.some((l) => l.buffer === 'reassembled' || ((l.proto === 'ipv4' || l.proto === 'ipv6') && l.fragment))) {
    return err(wireError('unsupported', 'walk', 0, 'fragment', 1, 'an unfragmented frame'));
  }
  const ti = L.findIndex((l) => TUNNELS.has(l.proto));
  const tunnel = (ti < 0 ? 'none' : L[ti]!.proto) as OffloadTunnel;
  let outer: OffloadDescriptor['outer'];
  let innerFrom = 0;
  if (ti >= 0) {
    const o = offsetsAt(L, 0, ti);
    if (!o) return err(wireError('unsupported', 'walk', 0, 'outer', 0, 'an IP underlay'));
    const t = L[ti]!;
    outer = { ...o, tunnelHeaderLength: t.length };
    innerFrom = ti + 1;
  }
  const inner = offsetsAt(L, innerFrom, L.length);
  if (!inner || (inner.l4Protocol !== 6 && inner.l4Protocol !== 17) || inner.l4Length === 0) {
    return err(wireError('unsupported', 'walk', 0, 'inner', inner?.l4Protocol ?? 0, 'an inner TCP or UDP packet'));
  }
  const tcp = inner.l4Protocol === 6;
  const csum: ChecksumState = (opts.csum ?? 'partial') === 'partial' ? { kind: 'partial', csumStart: inner.l4Offset, csumOffset: tcp ? 16 : 6 } : { kind: 'none' };
  const udpOuter = outer && outer.l4Protocol === 17 ? L.find((l) => l.proto === 'udp' && l.offset === outer!.l4Offset) : undefined;
  const outerUdpCsum = opts.outerUdpCsum ?? (udpOuter !== undefined && udpOuter.proto === 'udp' && udpOuter.checksum !== 0);
  const base = { tunnel, ...(outer ? { outer } : {}), inner, frameLength: frame.length, csum, outerUdpCsum };
  if (opts.gsoSize === undefined) return ok(base);
  if (!Number.isInteger(opts.gsoSize) || opts.gsoSize < 1 || opts.gsoSize > 0xffff) return err(wireError('bad-value', 'walk', 0, 'gsoSize', opts.gsoSize, '1..65535'));
  const payload = frame.length - (inner.l4Offset + inner.l4Length);
  const segments = Math.max(1, Math.ceil(payload / opts.gsoSize));
  if (segments <= 1) return ok(base);
  const type: GsoType = tcp ? (inner.ipVersion === 4 ? 'tcpv4' : 'tcpv6') : 'udp-l4';
  let gtun: GsoTunnel = 'none';
  if (outer) {
    if (tunnel === 'nvgre' || tunnel === 'gre') {
      const g = L[ti]!;
      gtun = g.proto === 'gre' && g.checksum !== undefined ? 'gre-csum' : 'gre';
    } else if (tunnel !== 'stt') gtun = outerUdpCsum ? 'udp-tunnel-csum' : 'udp-tunnel';
  }
  const tcpLayer = tcp ? L.find((l) => l.proto === 'tcp' && l.offset === inner.l4Offset) : undefined;
  const ecn = tcpLayer !== undefined && tcpLayer.proto === 'tcp' && (tcpLayer.flags & 0x80) !== 0;
  return ok({ ...base, gso: { type, tunnel: gtun, size: opts.gsoSize, segments, ecn } });
}
