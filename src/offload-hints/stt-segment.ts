/**
 * STT transmit in software (draft-davie-stt-08 §3.2; what a NIC's TSO does to Open vSwitch's STT
 * super-segment, stt.md §4): build the STT frame (18-byte frame header + inner Ethernet frame) and cut it
 * into TCP-like segments of at most `mss` data bytes.
 *
 * Per segment i (data at frame offset `off = i·mss`):
 * - TCP-like header: SEQ = frameLength << 16 | off, ACK = frameId, ACK flag always, PSH on the last segment
 *   only, Data Offset 5, window as given (draft: 0), urgent 0, checksum computed over the IP pseudo-header
 *   + header + data (no partial seed: the segments are final);
 * - only segment 0 carries the STT frame header (it is the frame's first 18 bytes);
 * - outer IPv4: total length, ID `id0 + i`, header checksum; outer IPv6: payload length.
 *
 * Segments reassemble with `SttReassembler` (src/stt/reassembly.ts) to the same frame in any order.
 * Browser-safe: no `node:` imports.
 */
import { put16, u16 } from '../net/bytes.js';
import { emitEthernet, EtherType, isVlanTpid, type VlanTag } from '../net/ethernet.js';
import { fold, internetChecksum, onesSum } from '../net/checksum.js';
import { emitIpv4, IPV4_FLAG_MF, IPV4_FRAG_OFFSET_MASK } from '../net/ipv4.js';
import { emitIpv6, Ipv6ExtWalker, IPV6_HEADER_LEN } from '../net/ipv6.js';
import { TCP_MIN_HEADER_LEN } from '../net/tcp.js';
import { pseudoHeaderSum } from '../net/udp.js';
import { emitStt, type SttFields } from '../stt/fields.js';
import { emitSttSegmentTcp, STT_FRAME_HEADER_LEN, STT_MAX_FRAME_LEN, STT_TCP_PORT } from '../stt/header.js';

/** Outer headers of STT segments given as fields (the template is built from them). */
export interface SttOuterFields {
  /** Outer Ethernet: MACs as `aa:bb:cc:dd:ee:ff`, optional VLAN tags (outermost first). */
  readonly eth: { readonly src: string; readonly dst: string; readonly vlans?: readonly VlanTag[] };
  /** Outer IP. IPv4 defaults: TTL 64, DSCP/ECN 0, DF set, ID 0 (then +1 per segment). IPv6: hop limit 64, class/label 0. */
  readonly ip:
    | {
        readonly version: 4;
        readonly src: string;
        readonly dst: string;
        readonly ttl?: number;
        readonly dscp?: number;
        readonly ecn?: number;
        readonly identification?: number;
        readonly dontFragment?: boolean;
      }
    | {
        readonly version: 6;
        readonly src: string;
        readonly dst: string;
        readonly hopLimit?: number;
        readonly trafficClass?: number;
        readonly flowLabel?: number;
      };
}

/** Inputs of {@link segmentSttFrame}. */
export interface SttSegmentFrameOptions {
  /**
   * Outer headers: fields, or a template of bytes = Ethernet (+ VLAN tags) + IPv4 header (protocol 6,
   * options allowed) or IPv6 header (+ extension headers, upper protocol 6), ending where the TCP header
   * starts. Template length fields and checksums are ignored (rewritten); the IPv4 ID is the first segment's.
   */
  readonly outer: Uint8Array | SttOuterFields;
  /** TCP source port, the same for every segment (usually a hash of the inner flow). */
  readonly srcPort: number;
  /** TCP destination port (default 7471). */
  readonly dstPort?: number;
  /** Frame identifier (ACK), 32 bits. */
  readonly frameId: number;
  /** The STT frame header, written as given. */
  readonly stt: SttFields;
  /** The inner Ethernet frame (without FCS); at most 65535 − 18 bytes. */
  readonly innerFrame: Uint8Array;
  /** Most STT frame bytes (TCP data) per segment, 1..65535. */
  readonly mss: number;
  /** TCP window (default 0 as the draft says; Open vSwitch sends 0xffff). */
  readonly window?: number;
}

/** Parsed template: where the IP header is and its version. */
interface Template {
  readonly bytes: Uint8Array;
  readonly ipAt: number;
  readonly version: 4 | 6;
  /** IPv6 pseudo-header destination (final destination of a Routing header), or -1. */
  readonly dstAt: number;
}

function templateFromFields(f: SttOuterFields): Uint8Array {
  const vlans = f.eth.vlans ?? [];
  const l2 = 14 + 4 * vlans.length;
  const out = new Uint8Array(l2 + (f.ip.version === 4 ? 20 : IPV6_HEADER_LEN));
  emitEthernet({ dst: f.eth.dst, src: f.eth.src, vlans, etherType: f.ip.version === 4 ? EtherType.IPV4 : EtherType.IPV6 }, out, 0);
  if (f.ip.version === 4) {
    const ip = f.ip;
    emitIpv4(
      {
        dscp: ip.dscp ?? 0,
        ecn: ip.ecn ?? 0,
        totalLength: 0,
        identification: ip.identification ?? 0,
        dontFragment: ip.dontFragment ?? true,
        moreFragments: false,
        fragmentOffset: 0,
        ttl: ip.ttl ?? 64,
        protocol: 6,
        src: ip.src,
        dst: ip.dst,
        options: new Uint8Array(0),
      },
      out,
      l2,
    );
  } else {
    const ip = f.ip;
    emitIpv6({ trafficClass: ip.trafficClass ?? 0, flowLabel: ip.flowLabel ?? 0, payloadLength: 0, nextHeader: 6, hopLimit: ip.hopLimit ?? 64, src: ip.src, dst: ip.dst }, out, l2);
  }
  return out;
}

/** @throws RangeError when the template is not Ethernet + IPv4/IPv6 carrying TCP, ending at the TCP header. */
function parseTemplate(t: Uint8Array): Template {
  const bad = (why: string): never => {
    throw new RangeError(`STT outer template: ${why}`);
  };
  if (t.length < 14) bad(`${t.length} bytes, shorter than an Ethernet header`);
  let at = 12;
  let type = u16(t, at);
  for (let tags = 0; isVlanTpid(type); tags++) {
    if (tags >= 8 || at + 6 > t.length) bad('VLAN tags cut or more than 8');
    at += 4;
    type = u16(t, at);
  }
  const ipAt = at + 2;
  if (type === EtherType.IPV4) {
    if (ipAt + 20 > t.length || t[ipAt]! >>> 4 !== 4) bad('no IPv4 header after the Ethernet header');
    const hl = (t[ipAt]! & 0x0f) * 4;
    if (hl < 20 || ipAt + hl !== t.length) bad(`IPv4 header of ${hl} bytes must end the template (${t.length - ipAt} bytes given)`);
    if (t[ipAt + 9] !== 6) bad(`IPv4 protocol ${t[ipAt + 9]}, expected 6 (TCP)`);
    if (u16(t, ipAt + 6) & (IPV4_FLAG_MF | IPV4_FRAG_OFFSET_MASK)) bad('IPv4 fragment fields set');
    return { bytes: t, ipAt, version: 4, dstAt: -1 };
  }
  if (type === EtherType.IPV6) {
    if (ipAt + IPV6_HEADER_LEN > t.length || t[ipAt]! >>> 4 !== 6) bad('no IPv6 header after the Ethernet header');
    const w = new Ipv6ExtWalker();
    if (w.walk(t, ipAt, t.length) !== 0 || w.hasFragment) bad('IPv6 extension headers cut or a Fragment header');
    if (w.protocol !== 6 || w.upperOffset !== t.length) bad(`IPv6 upper protocol ${w.protocol} at ${w.upperOffset}, expected 6 (TCP) at the template end ${t.length}`);
    return { bytes: t, ipAt, version: 6, dstAt: w.finalDstAt };
  }
  return bad(`EtherType 0x${type.toString(16)}, expected IPv4 or IPv6`);
}

/**
 * Segment one STT frame for the wire (see the module comment for the per-segment rules).
 * Returns the segments in offset order, each a complete frame (outer Ethernet/IP, TCP-like header,
 * data); they are subarrays of one new buffer.
 * @throws RangeError for programmer errors: a bad template, STT fields out of range, an inner frame
 * making the STT frame longer than 65535 bytes, `mss` outside 1..65535, a segment whose IP length would
 * exceed 65535, ports or frame ID out of range.
 */
export function segmentSttFrame(o: SttSegmentFrameOptions): Uint8Array[] {
  const tpl = parseTemplate(o.outer instanceof Uint8Array ? o.outer : templateFromFields(o.outer));
  if (!Number.isInteger(o.mss) || o.mss < 1 || o.mss > 0xffff) throw new RangeError(`mss must be an integer in 1..65535, got ${o.mss}`);
  const frameLength = STT_FRAME_HEADER_LEN + o.innerFrame.length;
  if (frameLength > STT_MAX_FRAME_LEN) throw new RangeError(`STT frame of ${frameLength} bytes exceeds ${STT_MAX_FRAME_LEN} (SEQ holds the length in 16 bits)`);
  const frame = new Uint8Array(frameLength);
  emitStt(o.stt, frame, 0);
  frame.set(o.innerFrame, STT_FRAME_HEADER_LEN);

  const t = tpl.bytes;
  const tcpAt = t.length;
  const hl = tcpAt + TCP_MIN_HEADER_LEN;
  const count = Math.ceil(frameLength / o.mss);
  const biggest = hl + Math.min(o.mss, frameLength) - tpl.ipAt - (tpl.version === 6 ? IPV6_HEADER_LEN : 0);
  if (biggest > 0xffff) throw new RangeError(`a segment of ${biggest} IP bytes exceeds 65535: lower mss`);
  const id0 = tpl.version === 4 ? u16(t, tpl.ipAt + 4) : 0;
  const out = new Uint8Array(count * hl + frameLength);
  const segs: Uint8Array[] = [];
  let base = 0;
  for (let i = 0; i < count; i++) {
    const off = i * o.mss;
    const dlen = Math.min(o.mss, frameLength - off);
    const len = hl + dlen;
    const end = base + len;
    out.set(t, base);
    const ip = base + tpl.ipAt;
    if (tpl.version === 4) {
      put16(out, ip + 2, len - tpl.ipAt);
      put16(out, ip + 4, (id0 + i) & 0xffff);
      put16(out, ip + 10, 0);
      put16(out, ip + 10, internetChecksum(out, ip, ip + (out[ip]! & 0x0f) * 4));
    } else {
      put16(out, ip + 4, len - tpl.ipAt - IPV6_HEADER_LEN);
    }
    const tcp = base + tcpAt;
    emitSttSegmentTcp(
      { srcPort: o.srcPort, dstPort: o.dstPort ?? STT_TCP_PORT, frameLength, fragmentOffset: off, frameId: o.frameId, psh: i === count - 1, window: o.window ?? 0, checksum: 0 },
      out,
      tcp,
    );
    out.set(frame.subarray(off, off + dlen), tcp + TCP_MIN_HEADER_LEN);
    const pseudo = pseudoHeaderSum(out, ip, 6, end - tcp, tpl.dstAt < 0 ? -1 : base + tpl.dstAt);
    put16(out, tcp + 16, ~fold(onesSum(out, tcp, end) + pseudo) & 0xffff);
    segs.push(out.subarray(base, end));
    base = end;
  }
  return segs;
}
