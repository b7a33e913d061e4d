/**
 * Software GSO: cut a (possibly tunneled) TCP or UDP super-packet into wire segments the way Linux does
 * when the device cannot: `inet_gso_segment` / `ipv6_gso_segment` (outer) → `skb_udp_tunnel_segment` or
 * `gre_gso_segment` → `inet_gso_segment` / `ipv6_gso_segment` (inner) → `tcp_gso_segment` or
 * `__udp_gso_segment` (USO). Source: shared/specs/offload.md §2.3, §3, §6.
 *
 * Every segment is `headers ‖ payload[i·mss .. (i+1)·mss)`, where `headers` are the super-packet's bytes up
 * to the end of the inner L4 header, copied, and then fixed innermost first:
 *
 * | Header | Field | Per segment i of n |
 * |---|---|---|
 * | inner TCP | seq | `seq0 + i·mss` (mod 2^32) |
 * | inner TCP | flags | FIN and PSH only on the last segment, CWR only on the first |
 * | inner TCP/UDP | checksum | computed from scratch (or the pseudo-header seed, `innerCsum: 'partial'`) |
 * | inner UDP (USO) | length, checksum | each segment a whole datagram; a computed 0 is sent as 0xFFFF |
 * | inner IPv4 | total length, ID, checksum | ID `id0 + i` unless `fixedId` (needs DF, as Linux) |
 * | inner IPv6 | payload length | |
 * | GRE | checksum | recomputed over GRE header + payload when C is set |
 * | outer UDP | length, checksum | checksum computed for `udp-tunnel-csum` (or a nonzero checksum over IPv6), else 0 |
 * | outer IPv4 | total length, ID, checksum | ID always `id0 + i` (Linux ignores FIXEDID for the outer header) |
 * | outer IPv6 | payload length | |
 *
 * Tunnel headers (VXLAN, VXLAN-GPE, Geneve with all its options, NVGRE/GRE) are copied verbatim. Input
 * checksums and length fields are never trusted: lengths of 0 (BIG TCP / GSO super-frames) are fine, and a
 * partial seed or garbage in a checksum field does not matter. Outer checksums always cover the inner
 * checksum as it will be on the wire: in `partial` mode they are computed with the completed inner checksum
 * (Linux local checksum offload) before the seed is stored.
 *
 * Browser-safe: no `node:` imports.
 */
import { put16, put32, u16, u32 } from '../net/bytes.js';
import { fold, internetChecksum, onesSum } from '../net/checksum.js';
import { err, ok, wireError, type Layer, type Result, type WireError } from '../net/errors.js';
import { fillGreChecksum, GRE_FLAG_C, GRE_FLAG_S } from '../net/gre.js';
import { IPV4_FLAG_DF, IPV4_FLAG_MF, IPV4_FRAG_OFFSET_MASK } from '../net/ipv4.js';
import { Ipv6ExtWalker, IPV6_HEADER_LEN } from '../net/ipv6.js';
import { TCP_FLAG_CWR, TCP_FLAG_FIN, TCP_FLAG_PSH, TCP_MIN_HEADER_LEN } from '../net/tcp.js';
import { pseudoHeaderSum, udpChecksum, UDP_HEADER_LEN } from '../net/udp.js';
import type { ChecksumState, HeaderOffsets, OffloadDescriptor } from './descriptor.js';

/** Options of {@link segmentFrame} and {@link segmentInto}. */
export interface SegmentOptions {
  /**
   * Inner TCP/UDP checksum of each segment: `complete` (default) computes it; `partial` stores the
   * non-complemented pseudo-header sum (segment length included) for a device to finish over
   * `csumStart..end` (CHECKSUM_PARTIAL, see {@link segmentChecksumState}).
   */
  readonly innerCsum?: 'complete' | 'partial';
  /** Keep the inner IPv4 ID of every TCP segment (Linux SKB_GSO_TCP_FIXEDID); requires DF (else `bad-flags`). */
  readonly fixedId?: boolean;
  /** Payload bytes per segment (MSS / gso_size), 1..65535. Default: `desc.gso.size`; without either the frame becomes one segment. */
  readonly mss?: number;
}

/** How a super-packet will be cut ({@link planSegments}). All lengths in bytes. */
export interface SegmentPlan {
  /** Segments the frame becomes (≥ 1; a frame without payload is one segment). */
  readonly count: number;
  /** Payload bytes per segment (the last one may carry fewer). */
  readonly mss: number;
  /** Header bytes copied into every segment: everything up to the end of the inner L4 header. */
  readonly headerLength: number;
  /** Inner L4 payload bytes of the super-packet. */
  readonly payloadLength: number;
  /** Sum of all segment lengths: `count · headerLength + payloadLength` (the room {@link segmentInto} needs). */
  readonly totalLength: number;
  /** Inner transport. */
  readonly l4: 'tcp' | 'udp';
  /** Which outer checksum is computed per segment. */
  readonly outerChecksum: 'none' | 'udp' | 'gre';
}

/** Everything the per-segment loop needs, as offsets relative to the segment start. */
interface Plan extends SegmentPlan {
  /** `frame[0, headerLength)`, made once per super-packet. */
  readonly headers: Uint8Array;
  readonly payloadStart: number;
  /** 0 = no outer IP (not tunneled). */
  readonly outerIpVersion: 0 | 4 | 6;
  readonly outerIpAt: number;
  readonly outerL4At: number;
  /** The outer L4 header is UDP (else GRE). */
  readonly outerUdp: boolean;
  /** IPv6 pseudo-header destination of the outer UDP (final destination of a Routing header), or -1. */
  readonly outerDstAt: number;
  readonly innerIpVersion: 4 | 6;
  readonly innerIpAt: number;
  readonly innerDstAt: number;
  readonly l4At: number;
  readonly keepInnerId: boolean;
  readonly partial: boolean;
  readonly outerId0: number;
  readonly innerId0: number;
  readonly seq0: number;
  readonly flags0: number;
}

const fail = (kind: WireError['kind'], layer: Layer, at: number, field: string, found: number, allowed: string): Result<never> =>
  err(wireError(kind, layer, at, field, found, allowed));

/** Checks one IP header of the descriptor against the bytes; returns the IPv6 pseudo-destination offset (or -1) or an error. */
function checkIp(frame: Uint8Array, h: HeaderOffsets): Result<number> {
  const at = h.l3Offset;
  const layer = h.ipVersion === 4 ? 'ipv4' : 'ipv6';
  if (at + (h.ipVersion === 4 ? 20 : IPV6_HEADER_LEN) > frame.length) return fail('truncated', layer, at, 'header', frame.length - at, 'a whole IP header');
  const version = frame[at]! >>> 4;
  if (version !== h.ipVersion) return fail('bad-version', layer, at, 'version', version, String(h.ipVersion));
  if (h.ipVersion === 4) {
    const hl = (frame[at]! & 0x0f) * 4;
    if (hl < 20 || hl !== h.l3Length || at + hl !== h.l4Offset) return fail('bad-length', 'ipv4', at, 'ihl', hl, `${h.l3Length} (descriptor)`);
    const ff = u16(frame, at + 6);
    if (ff & (IPV4_FLAG_MF | IPV4_FRAG_OFFSET_MASK)) return fail('unsupported', 'ipv4', at + 6, 'fragment', ff, 'an unfragmented packet');
    if (frame[at + 9] !== h.l4Protocol) return fail('bad-value', 'ipv4', at + 9, 'protocol', frame[at + 9]!, `${h.l4Protocol} (descriptor)`);
    return ok(-1);
  }
  const w = new Ipv6ExtWalker();
  const code = w.walk(frame, at, frame.length);
  if (code !== 0) return err(w.error(code, frame, frame.length));
  if (w.hasFragment) return fail('unsupported', 'ipv6', w.fragmentHeaderAt, 'fragment', 44, 'an unfragmented packet');
  if (w.upperOffset !== h.l4Offset || w.protocol !== h.l4Protocol) return fail('bad-value', 'ipv6', at + 6, 'nextHeader', w.protocol, `${h.l4Protocol} at ${h.l4Offset} (descriptor)`);
  return ok(w.finalDstAt);
}

/** End of the IP datagram at `h` as its length field claims, or -1 for a length of 0 (BIG TCP / GSO). */
function claimedEnd(frame: Uint8Array, h: HeaderOffsets): number {
  const at = h.l3Offset;
  if (h.ipVersion === 4) {
    const tl = u16(frame, at + 2);
    return tl === 0 ? -1 : at + tl;
  }
  const pl = u16(frame, at + 4);
  return pl === 0 ? -1 : at + IPV6_HEADER_LEN + pl;
}

function buildPlan(frame: Uint8Array, desc: OffloadDescriptor, opts: SegmentOptions): Result<Plan> {
  if (desc.frameLength !== frame.length) return fail('bad-value', 'walk', 0, 'frameLength', frame.length, `${desc.frameLength} (descriptor)`);
  if (desc.tunnel === 'stt') return fail('unsupported', 'stt', desc.outer?.l4Offset ?? 0, 'tunnel', 0, 'a UDP or GRE tunnel (STT: segmentSttFrame)');
  const inner = desc.inner;
  const tcp = inner.l4Protocol === 6;
  if (!tcp && inner.l4Protocol !== 17) return fail('unsupported', inner.ipVersion === 4 ? 'ipv4' : 'ipv6', inner.l3Offset, 'protocol', inner.l4Protocol, 'TCP (6) or UDP (17)');
  const gso = desc.gso;
  if (gso) {
    if (gso.type === 'udp') return fail('unsupported', 'udp', inner.l4Offset, 'gsoType', 0, 'tcpv4, tcpv6 or udp-l4 (UFO is not segmentation)');
    const want = tcp ? (inner.ipVersion === 4 ? 'tcpv4' : 'tcpv6') : 'udp-l4';
    if (gso.type !== want) return fail('bad-value', tcp ? 'tcp' : 'udp', inner.l4Offset, 'gsoType', 0, `${want} for this inner packet`);
  }
  // Outer headers.
  const outer = desc.outer;
  let outerDstAt = -1;
  let outerChecksum: SegmentPlan['outerChecksum'] = 'none';
  if (outer) {
    const r = checkIp(frame, outer);
    if (!r.ok) return r;
    outerDstAt = r.value;
    const l4 = outer.l4Offset;
    if (outer.l4Protocol === 17) {
      if (l4 + UDP_HEADER_LEN > frame.length) return fail('truncated', 'udp', l4, 'header', frame.length - l4, `>= ${UDP_HEADER_LEN} bytes`);
      const stored = u16(frame, l4 + 6);
      const csum = gso?.tunnel === 'udp-tunnel-csum' || desc.outerUdpCsum || (outer.ipVersion === 6 && stored !== 0);
      if (csum) outerChecksum = 'udp';
    } else if (outer.l4Protocol === 47) {
      if (l4 + 4 > frame.length) return fail('truncated', 'gre', l4, 'header', frame.length - l4, '>= 4 bytes');
      const fv = u16(frame, l4);
      // Linux never offers GSO on a GRE device that sends sequence numbers (ip_gre.c): one number per segment is needed.
      if (fv & GRE_FLAG_S) return fail('unsupported', 'gre', l4, 'flags.S', fv, 'no sequence numbers (GRE GSO copies the header)');
      if (fv & GRE_FLAG_C) outerChecksum = 'gre';
    } else {
      return fail('unsupported', 'walk', l4, 'outerProtocol', outer.l4Protocol, 'UDP (17) or GRE (47)');
    }
  }
  // Inner headers.
  const ri = checkIp(frame, inner);
  if (!ri.ok) return ri;
  const l4At = inner.l4Offset;
  let flags0 = 0;
  let seq0 = 0;
  if (tcp) {
    if (l4At + TCP_MIN_HEADER_LEN > frame.length) return fail('truncated', 'tcp', l4At, 'header', frame.length - l4At, `>= ${TCP_MIN_HEADER_LEN} bytes`);
    const hl = (frame[l4At + 12]! >>> 4) * 4;
    if (hl < TCP_MIN_HEADER_LEN || hl !== inner.l4Length) return fail('bad-length', 'tcp', l4At + 12, 'dataOffset', hl, `${inner.l4Length} (descriptor)`);
    seq0 = u32(frame, l4At + 4);
    flags0 = frame[l4At + 13]!;
  } else if (inner.l4Length !== UDP_HEADER_LEN) {
    return fail('bad-length', 'udp', l4At, 'header', inner.l4Length, `${UDP_HEADER_LEN} bytes`);
  }
  const headerLength = l4At + inner.l4Length;
  if (headerLength > frame.length) return fail('truncated', tcp ? 'tcp' : 'udp', l4At, 'header', frame.length - l4At, `>= ${inner.l4Length} bytes`);
  // Payload end: the outermost IP length when it is set (trims Ethernet padding), else the frame end.
  const outermost = outer ?? inner;
  let payloadEnd = frame.length;
  const claimed = claimedEnd(frame, outermost);
  if (claimed >= 0) {
    const layer = outermost.ipVersion === 4 ? 'ipv4' : 'ipv6';
    if (claimed > frame.length) return fail('length-overrun', layer, outermost.l3Offset + (outermost.ipVersion === 4 ? 2 : 4), 'length', claimed - outermost.l3Offset, `<= ${frame.length - outermost.l3Offset} bytes`);
    if (claimed < headerLength) return fail('bad-length', layer, outermost.l3Offset + (outermost.ipVersion === 4 ? 2 : 4), 'length', claimed - outermost.l3Offset, `>= ${headerLength - outermost.l3Offset} bytes (headers)`);
    payloadEnd = claimed;
  }
  const payloadLength = payloadEnd - headerLength;
  const mssIn = opts.mss ?? gso?.size ?? Math.max(1, payloadLength);
  if (!Number.isInteger(mssIn) || mssIn < 1 || mssIn > 0xffff) return fail('bad-value', 'walk', 0, 'mss', Number.isFinite(mssIn) ? mssIn : -1, '1..65535');
  const mss = mssIn;
  const count = Math.max(1, Math.ceil(payloadLength / mss));
  const biggest = headerLength + Math.min(mss, payloadLength);
  const ipLen = biggest - outermost.l3Offset - (outermost.ipVersion === 6 ? IPV6_HEADER_LEN : 0);
  if (ipLen > 0xffff) return fail('bad-length', outermost.ipVersion === 4 ? 'ipv4' : 'ipv6', outermost.l3Offset, 'length', ipLen, '<= 65535 bytes per segment');
  // Inner IPv4 ID policy (inet_gso_segment: fixed ID only for TCP GSO, and only with DF).
  let keepInnerId = false;
  if (opts.fixedId && tcp && inner.ipVersion === 4) {
    const ff = u16(frame, inner.l3Offset + 6);
    if (!(ff & IPV4_FLAG_DF)) return fail('bad-flags', 'ipv4', inner.l3Offset + 6, 'flags.DF', ff, 'DF set with fixedId (SKB_GSO_TCP_FIXEDID)');
    keepInnerId = true;
  }
  return ok({
    count,
    mss,
    headerLength,
    payloadLength,
    totalLength: count * headerLength + payloadLength,
    l4: tcp ? 'tcp' : 'udp',
    outerChecksum,
    headers: frame.subarray(0, headerLength),
    payloadStart: headerLength,
    outerIpVersion: outer ? outer.ipVersion : 0,
    outerIpAt: outer ? outer.l3Offset : 0,
    outerL4At: outer ? outer.l4Offset : 0,
    outerUdp: outer !== undefined && outer.l4Protocol === 17,
    outerDstAt,
    innerIpVersion: inner.ipVersion,
    innerIpAt: inner.l3Offset,
    innerDstAt: ri.value,
    l4At,
    keepInnerId,
    partial: (opts.innerCsum ?? 'complete') === 'partial',
    outerId0: outer && outer.ipVersion === 4 ? u16(frame, outer.l3Offset + 4) : 0,
    innerId0: inner.ipVersion === 4 ? u16(frame, inner.l3Offset + 4) : 0,
    seq0,
    flags0,
  });
}

/**
 * Check `frame` against `desc` and work out how it will be cut, without writing anything (use it to size
 * the buffer of {@link segmentInto}).
 * Errors (never thrown): `bad-value` (descriptor for another frame, `mss` outside 1..65535, a GSO type that
 * does not match the inner packet), `unsupported` (STT, UFO, an inner protocol other than TCP/UDP, an outer
 * protocol other than UDP/GRE, IPv4 or IPv6 fragments, GRE with sequence numbers), `bad-version`,
 * `bad-length` / `truncated` (headers that disagree with the descriptor, a segment over 65535 bytes of IP),
 * `length-overrun` (an outer IP length beyond the frame; a length of 0 is fine), `bad-flags` (`fixedId`
 * without DF).
 */
export function planSegments(frame: Uint8Array, desc: OffloadDescriptor, opts: SegmentOptions = {}): Result<SegmentPlan> {
  return buildPlan(frame, desc, opts);
}

function ipv4Fix(out: Uint8Array, at: number, totalLength: number, id: number): void {
  put16(out, at + 2, totalLength);
  put16(out, at + 4, id & 0xffff);
  put16(out, at + 10, 0);
  put16(out, at + 10, internetChecksum(out, at, at + (out[at]! & 0x0f) * 4));
}

/** Write segment `i` of `p` at `base` in `out`; returns its length. */
function writeSegment(frame: Uint8Array, p: Plan, i: number, out: Uint8Array, base: number): number {
  const hl = p.headerLength;
  const from = p.payloadStart + i * p.mss;
  const plen = Math.min(p.mss, p.payloadStart + p.payloadLength - from);
  const len = hl + plen;
  const end = base + len;
  out.set(p.headers, base);
  out.set(frame.subarray(from, from + plen), base + hl); // the only object made per segment: a view for the copy
  const last = i === p.count - 1;

  // Inner IP.
  const ip = base + p.innerIpAt;
  if (p.innerIpVersion === 4) ipv4Fix(out, ip, len - p.innerIpAt, p.keepInnerId ? p.innerId0 : p.innerId0 + i);
  else put16(out, ip + 4, len - p.innerIpAt - IPV6_HEADER_LEN);
  const innerDst = p.innerDstAt < 0 ? -1 : base + p.innerDstAt;

  // Inner L4, checksum computed in full (outer checksums must cover the value on the wire).
  const l4 = base + p.l4At;
  const l4Len = len - p.l4At;
  let csumAt: number;
  let proto: number;
  if (p.l4 === 'tcp') {
    put32(out, l4 + 4, (p.seq0 + i * p.mss) >>> 0);
    let f = p.flags0;
    if (!last) f &= ~(TCP_FLAG_FIN | TCP_FLAG_PSH);
    if (i > 0) f &= ~TCP_FLAG_CWR;
    out[l4 + 13] = f;
    csumAt = l4 + 16;
    proto = 6;
  } else {
    put16(out, l4 + 4, l4Len);
    csumAt = l4 + 6;
    proto = 17;
  }
  put16(out, csumAt, 0);
  const pseudo = pseudoHeaderSum(out, ip, proto, l4Len, innerDst);
  let c = ~fold(onesSum(out, l4, end) + pseudo) & 0xffff;
  if (proto === 17 && c === 0) c = 0xffff;
  put16(out, csumAt, c);

  // Tunnel and outer headers.
  if (p.outerIpVersion !== 0) {
    const oip = base + p.outerIpAt;
    const ol4 = base + p.outerL4At;
    if (p.outerUdp) {
      put16(out, ol4 + 4, len - p.outerL4At);
      put16(out, ol4 + 6, 0);
      if (p.outerChecksum === 'udp') put16(out, ol4 + 6, udpChecksum(out, oip, ol4, end, p.outerDstAt < 0 ? -1 : base + p.outerDstAt));
    } else if (p.outerChecksum === 'gre') {
      fillGreChecksum(out, ol4, end);
    }
    if (p.outerIpVersion === 4) ipv4Fix(out, oip, len - p.outerIpAt, p.outerId0 + i);
    else put16(out, oip + 4, len - p.outerIpAt - IPV6_HEADER_LEN);
  }

  // CHECKSUM_PARTIAL: leave the pseudo-header seed (segment length included) for the device.
  if (p.partial) put16(out, csumAt, pseudo);
  return len;
}

/**
 * Segment `frame` into a caller-owned buffer, with no buffer allocated per segment (one short-lived
 * subarray view per segment feeds the payload copy; the plan and result are one object each): segment `i` is
 * `out.subarray(offsets[i], offsets[i + 1])`, written back to back from `outOffset` (default 0).
 * Size `out` with {@link planSegments} (`totalLength`); `offsets` needs `count + 1` entries.
 * @returns the segment count, or the error of {@link planSegments} (nothing written then).
 * @throws RangeError when `out` or a typed `offsets` array is too small (programmer errors).
 */
export function segmentInto(
  frame: Uint8Array,
  desc: OffloadDescriptor,
  out: Uint8Array,
  offsets: Uint32Array | number[],
  opts: SegmentOptions = {},
  outOffset = 0,
): Result<number> {
  const r = buildPlan(frame, desc, opts);
  if (!r.ok) return r;
  const p = r.value;
  if (!Number.isInteger(outOffset) || outOffset < 0 || outOffset + p.totalLength > out.length) {
    throw new RangeError(`segmentInto: need ${p.totalLength} bytes at offset ${outOffset}, buffer has ${out.length}`);
  }
  if (offsets instanceof Uint32Array && offsets.length < p.count + 1) {
    throw new RangeError(`segmentInto: offsets needs ${p.count + 1} entries, has ${offsets.length}`);
  }
  let at = outOffset;
  for (let i = 0; i < p.count; i++) {
    offsets[i] = at;
    at += writeSegment(frame, p, i, out, at);
  }
  offsets[p.count] = at;
  return ok(p.count);
}

/**
 * Software GSO of `frame` as described by `desc` (from `deriveOffloadDescriptor(frame, { gsoSize })`).
 * Returns the wire segments in order. They are subarrays of one new buffer (one allocation for all):
 * copy a segment before keeping it apart from the others if that matters.
 * Errors: as {@link planSegments}. Never throws on frame contents.
 */
export function segmentFrame(frame: Uint8Array, desc: OffloadDescriptor, opts: SegmentOptions = {}): Result<Uint8Array[]> {
  const r = buildPlan(frame, desc, opts);
  if (!r.ok) return r;
  const p = r.value;
  const out = new Uint8Array(p.totalLength);
  const segs: Uint8Array[] = [];
  let at = 0;
  for (let i = 0; i < p.count; i++) {
    const n = writeSegment(frame, p, i, out, at);
    segs.push(out.subarray(at, at + n));
    at += n;
  }
  return ok(segs);
}

/**
 * The checksum state of every segment {@link segmentFrame} makes with `opts`: `none` (complete) or
 * `partial` with `csumStart` at the inner L4 header (the same offset in every segment, headers being
 * copied) and `csumOffset` 16 (TCP) or 6 (UDP), as virtio `NEEDS_CSUM` / Linux CHECKSUM_PARTIAL describe it.
 */
export function segmentChecksumState(desc: OffloadDescriptor, opts: SegmentOptions = {}): ChecksumState {
  if ((opts.innerCsum ?? 'complete') !== 'partial') return { kind: 'none' };
  return { kind: 'partial', csumStart: desc.inner.l4Offset, csumOffset: desc.inner.l4Protocol === 6 ? 16 : 6 };
}
