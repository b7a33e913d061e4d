/**
 * Encapsulation header templates, built once per flow and patched per packet, as Open vSwitch's
 * userspace tunnels do (`netdev_tnl_push_udp_header`): the outer Ethernet, IPv4/IPv6, UDP or GRE and
 * tunnel header bytes are prepared once; per packet only the lengths, the IPv4 ID and header
 * checksum, the UDP source port and (when enabled) the UDP checksum are written.
 *
 * Sources: RFC 7348 §5 (VXLAN), GBP-05 §2.1, GPE-12 §3, RFC 8926 §3 (Geneve), RFC 7637 §3.2 (NVGRE);
 * source-port formula of Linux `udp_flow_src_port` / OVS `netdev_tnl_get_src_port`
 * (`((u64)hash * (max - min) >> 32) + min`, OVS range 32768–61000); a computed UDP checksum of 0 is sent
 * as 0xFFFF; over IPv6 the UDP checksum is computed unless zero checksums are configured (RFC 6935/6936).
 */
import { assertUint, ipFromText, macFromText, put16, put32, u16 } from '../net/bytes.js';
import { fold, onesSum } from '../net/checksum.js';
import { emitGeneve, geneveLength, type GeneveOption } from '../geneve/fields.js';
import { emitVxlan, emitVxlanGpe } from '../vxlan/fields.js';
import { GpeNextProtocol, VXLAN_GPE_UDP_PORT } from '../vxlan/gpe.js';
import { VXLAN_UDP_PORT } from '../vxlan/header.js';
import { GENEVE_UDP_PORT } from '../geneve/header.js';

/** UDP-based tunnel types a template can be built for (STT segments are built by `segmentSttFrame`). */
export type TemplateTunnel = 'vxlan' | 'vxlan-gpe' | 'geneve' | 'nvgre';

/** What the tunnel payload is. */
export type InnerKind = 'ethernet' | 'ipv4' | 'ipv6';

/** Configuration of one tunnel flow (fixed per template). */
export interface TemplateConfig {
  readonly tunnel: TemplateTunnel;
  /** VNI (24 bits) or NVGRE VSID (24 bits). */
  readonly vni: number;
  /** Outer source and destination addresses, both IPv4 or both IPv6. */
  readonly src: string;
  readonly dst: string;
  /** Outer MACs (default 02:00:00:00:00:01 → 02:00:00:00:00:02). */
  readonly srcMac?: string;
  readonly dstMac?: string;
  /** UDP destination port (default per tunnel: 4789, 4790, 6081). */
  readonly dstPort?: number;
  /** UDP source-port range [min, max) for the flow hash (default OVS's 32768–61000). */
  readonly srcPortRange?: readonly [number, number];
  /** Outer TTL / hop limit (default 64). */
  readonly ttl?: number;
  /** Outer TOS / traffic class byte (DSCP << 2 | ECN; default 0). */
  readonly tos?: number;
  /** IPv4 DF (default true, as OVS's df_default). */
  readonly df?: boolean;
  /** Compute the outer UDP checksum (default: false over IPv4, true over IPv6). */
  readonly udpChecksum?: boolean;
  /** Geneve options, in wire order (the C bit is set when any is critical). */
  readonly geneveOptions?: readonly GeneveOption[];
  /** VXLAN-GBP fields (sets G). */
  readonly gbp?: { readonly groupPolicyId: number; readonly dontLearn?: boolean; readonly policyApplied?: boolean };
  /** NVGRE FlowID (default 0, RFC 7637 §3.2: MUST be 0 if not generated). */
  readonly flowId?: number;
  /** Geneve control (O) bit. */
  readonly oam?: boolean;
}

/** A prepared header and where to patch it. */
export interface HeaderTemplate {
  readonly config: TemplateConfig;
  readonly inner: InnerKind;
  /** The header bytes (outer Ethernet through the tunnel header). Read once at build time for the word path: do not modify. */
  readonly bytes: Uint8Array;
  readonly ipVersion: 4 | 6;
  readonly ipOffset: number;
  /** Offset of the UDP or GRE header. */
  readonly l4Offset: number;
  readonly tunnelOffset: number;
  /** Header length = offset of the inner frame. */
  readonly length: number;
  readonly udp: boolean;
  readonly udpChecksum: boolean;
  readonly srcPortMin: number;
  readonly srcPortMax: number;
  /** Partial sum of the IPv4 header with length, ID and checksum zero (for per-packet completion). */
  readonly ipv4PartialSum: number;
  /** Sum of the IPv6/IPv4 pseudo-header addresses + protocol (UDP checksum seed without the length). */
  readonly pseudoPartialSum: number;
}

/** Is this runtime little-endian (every mainstream one is)? The word paths below assume it. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The 50-byte header of an IPv4 + UDP template without UDP checksum (VXLAN, VXLAN-GBP, VXLAN-GPE,
 * Geneve without options) as 13 little-endian 32-bit words for one even start alignment (the
 * header's byte address in its ArrayBuffer modulo 4: 0 or 2), with the per-packet fields (IPv4
 * total length, ID and header checksum; UDP source port and length) zero. Bytes of word 0 before the
 * header and of word 12 after it are zero and kept from the destination (`headKeep`, `tailKeep`).
 */
interface AlignedHeader {
  readonly words: Int32Array;
  /** Bits of word 0 / word 12 that belong to the bytes before / after the header. */
  readonly headKeep: number;
  readonly tailKeep: number;
}

/** Symbol under which a template built by {@link buildTemplate} keeps its AlignedHeaders ([0] and [2]). */
const WORDS = Symbol('tunnelwire.headerWords');

function headerWords(t: HeaderTemplate): ReadonlyArray<AlignedHeader | undefined> | undefined {
  if (t.ipVersion !== 4 || !t.udp || t.udpChecksum || t.length !== 50 || t.ipOffset !== 14 || t.l4Offset !== 34) return undefined;
  const tpl = t.bytes.slice();
  for (const f of [16, 18, 24, 34, 38]) tpl[f] = tpl[f + 1] = 0;
  const out: Array<AlignedHeader | undefined> = [];
  for (let a = 0; a < 4; a++) {
    if (a & 1) {
      out.push(undefined);
      continue;
    }
    const bytes = new Uint8Array(new ArrayBuffer(52));
    bytes.set(tpl, a);
    out.push({ words: new Int32Array(bytes.buffer), headKeep: (1 << (a * 8)) - 1, tailKeep: a === 0 ? ~0xffff : 0 });
  }
  return out;
}

const DEFAULT_PORT: Record<Exclude<TemplateTunnel, 'nvgre'>, number> = { vxlan: VXLAN_UDP_PORT, 'vxlan-gpe': VXLAN_GPE_UDP_PORT, geneve: GENEVE_UDP_PORT };

function tunnelHeaderLength(c: TemplateConfig): number {
  if (c.tunnel === 'geneve') return geneveLength({ version: 0, control: false, critical: false, reservedFlags: 0, protocolType: 0, vni: 0, reserved: 0, options: c.geneveOptions ?? [] });
  return 8;
}

/**
 * Build the template for `config` carrying `inner` payloads. @throws RangeError (mixed address
 * families, out-of-range values, Ethernet-only tunnels given L3 payloads).
 */
export function buildTemplate(config: TemplateConfig, inner: InnerKind = 'ethernet'): HeaderTemplate {
  const src = ipFromText(config.src);
  const dst = ipFromText(config.dst);
  if (src.length !== dst.length) throw new RangeError(`outer addresses must both be IPv4 or both IPv6: ${config.src}, ${config.dst}`);
  assertUint(config.vni, 24, config.tunnel === 'nvgre' ? 'vsid' : 'vni');
  if ((config.tunnel === 'vxlan' || config.tunnel === 'nvgre') && inner !== 'ethernet') throw new RangeError(`${config.tunnel} carries Ethernet frames only`);
  const v6 = src.length === 16;
  const ipLen = v6 ? 40 : 20;
  const udp = config.tunnel !== 'nvgre';
  const l4Len = udp ? 8 : 0;
  const tLen = tunnelHeaderLength(config);
  const ipOffset = 14;
  const l4Offset = ipOffset + ipLen;
  const tunnelOffset = l4Offset + l4Len;
  const length = tunnelOffset + tLen;
  const b = new Uint8Array(length);
  b.set(macFromText(config.dstMac ?? '02:00:00:00:00:02'), 0);
  b.set(macFromText(config.srcMac ?? '02:00:00:00:00:01'), 6);
  put16(b, 12, v6 ? 0x86dd : 0x0800);
  const ttl = config.ttl ?? 64;
  const tos = config.tos ?? 0;
  assertUint(ttl, 8, 'ttl');
  assertUint(tos, 8, 'tos');
  const proto = udp ? 17 : 47;
  if (v6) {
    put32(b, ipOffset, ((6 << 28) | (tos << 20)) >>> 0);
    b[ipOffset + 6] = proto;
    b[ipOffset + 7] = ttl;
    b.set(src, ipOffset + 8);
    b.set(dst, ipOffset + 24);
  } else {
    b[ipOffset] = 0x45;
    b[ipOffset + 1] = tos;
    put16(b, ipOffset + 6, config.df ?? true ? 0x4000 : 0);
    b[ipOffset + 8] = ttl;
    b[ipOffset + 9] = proto;
    b.set(src, ipOffset + 12);
    b.set(dst, ipOffset + 16);
  }
  const [minPort, maxPort] = config.srcPortRange ?? [32768, 61000];
  assertUint(minPort, 16, 'srcPortRange min');
  assertUint(maxPort, 16, 'srcPortRange max');
  if (udp) {
    const dstPort = config.dstPort ?? DEFAULT_PORT[config.tunnel as Exclude<TemplateTunnel, 'nvgre'>];
    assertUint(dstPort, 16, 'dstPort');
    put16(b, l4Offset + 2, dstPort);
  }
  switch (config.tunnel) {
    case 'vxlan':
      emitVxlan(config.gbp ? { vniValid: true, vni: config.vni, gbp: { groupPolicyId: config.gbp.groupPolicyId, dontLearn: !!config.gbp.dontLearn, policyApplied: !!config.gbp.policyApplied } } : { vniValid: true, vni: config.vni }, b, tunnelOffset);
      break;
    case 'vxlan-gpe':
      emitVxlanGpe({ version: 0, vniValid: true, nextProtocolPresent: true, bum: false, oam: false, nextProtocol: inner === 'ethernet' ? GpeNextProtocol.ETHERNET : inner === 'ipv4' ? GpeNextProtocol.IPV4 : GpeNextProtocol.IPV6, vni: config.vni }, b, tunnelOffset);
      break;
    case 'geneve': {
      const options = config.geneveOptions ?? [];
      emitGeneve({ version: 0, control: !!config.oam, critical: options.some((o) => o.critical), reservedFlags: 0, protocolType: inner === 'ethernet' ? 0x6558 : inner === 'ipv4' ? 0x0800 : 0x86dd, vni: config.vni, reserved: 0, options }, b, tunnelOffset);
      break;
    }
    case 'nvgre': {
      const flowId = config.flowId ?? 0;
      assertUint(flowId, 8, 'flowId');
      put32(b, tunnelOffset, 0x20006558);
      put32(b, tunnelOffset + 4, ((config.vni << 8) | flowId) >>> 0);
      break;
    }
  }
  const udpChecksum = udp && (config.udpChecksum ?? v6);
  const ipv4PartialSum = v6 ? 0 : onesSum(b, ipOffset, ipOffset + 20);
  const pseudoPartialSum = fold(onesSum(b, v6 ? ipOffset + 8 : ipOffset + 12, v6 ? ipOffset + 40 : ipOffset + 20) + proto);
  const t: HeaderTemplate = { config, inner, bytes: b, ipVersion: v6 ? 6 : 4, ipOffset, l4Offset, tunnelOffset, length, udp, udpChecksum, srcPortMin: minPort, srcPortMax: maxPort, ipv4PartialSum, pseudoPartialSum };
  // Non-enumerable, so a template copied with `{ ...t, ... }` does not carry words that no longer match;
  // defined (possibly undefined) on every template so that they all share one shape.
  Object.defineProperty(t, WORDS, { value: LITTLE_ENDIAN ? headerWords(t) : undefined });
  return t;
}

/**
 * Flow hash of an inner frame for the UDP source port (FNV-1a over the inner MACs, EtherType and,
 * for IPv4/IPv6, addresses, protocol and ports). Deterministic per flow.
 */
export function innerFlowHash(inner: Uint8Array, kind: InnerKind = 'ethernet'): number {
  let h = 0x811c9dc5;
  const mix = (from: number, to: number): void => {
    for (let i = from; i < to && i < inner.length; i++) h = Math.imul(h ^ inner[i]!, 0x01000193);
  };
  let l3 = 0;
  let type = kind === 'ipv4' ? 0x0800 : kind === 'ipv6' ? 0x86dd : 0;
  if (kind === 'ethernet') {
    mix(0, 14);
    type = inner.length >= 14 ? u16(inner, 12) : 0;
    l3 = 14;
  }
  if (type === 0x0800 && inner.length >= l3 + 20) {
    const ihl = (inner[l3]! & 15) * 4;
    mix(l3 + 9, l3 + 10);
    mix(l3 + 12, l3 + 20);
    mix(l3 + ihl, l3 + ihl + 4);
  } else if (type === 0x86dd && inner.length >= l3 + 40) {
    mix(l3 + 6, l3 + 7);
    mix(l3 + 8, l3 + 40);
    mix(l3 + 40, l3 + 44);
  }
  return h >>> 0;
}

/** UDP source port for `hash` in the template's range: `((hash * (max - min)) >> 32) + min`. */
export function sourcePort(t: HeaderTemplate, hash: number): number {
  if (t.srcPortMax <= t.srcPortMin) return t.srcPortMin;
  return Math.floor(((hash >>> 0) * (t.srcPortMax - t.srcPortMin)) / 4294967296) + t.srcPortMin;
}

/**
 * Write template + inner frame into `out` at `offset` and patch the per-packet fields: IP length
 * (and IPv4 ID and header checksum), UDP length, source port and checksum. Returns the frame length
 * (`t.length + inner.length` bytes). To encapsulate a frame already sitting in headroom (no copy),
 * use {@link pushHeaderInPlace}.
 *
 * Speed: the inner frame is copied with `set` (memmove). The header takes a word path when the host
 * is little-endian, `t` came from {@link buildTemplate} as a 50-byte IPv4 + UDP header without UDP
 * checksum (VXLAN, GBP, GPE, Geneve without options), `out` was also the output view of the previous
 * call (its `buffer`/`byteOffset` are cached: those getters cost 10-16 ns each in Node 20), its buffer
 * is a plain non-resizable ArrayBuffer, and the header starts at an even byte address: the header is
 * then stored as 13 precomputed 32-bit words with the per-packet fields computed into them (about
 * 14 ns less than `set` then byte patches). Everything else takes the byte path; both give the same
 * bytes. The word path reads and writes back unchanged the up to 2 bytes of `out`'s buffer that share
 * the first and last word with the header.
 * @throws RangeError if `out` is too small or the result exceeds 65535 bytes of IP payload.
 */
export function pushHeader(t: HeaderTemplate, inner: Uint8Array, out: Uint8Array, offset: number, srcPort: number, ipId = 0): number {
  const total = t.length + inner.length;
  if (offset < 0 || offset + total > out.length) throw new RangeError(`need ${total} bytes at ${offset}, buffer has ${out.length}`);
  out.set(inner, offset + t.length);
  return wordPath(t, out, offset, total, srcPort, ipId) ? total : patch(t, out, offset, total, srcPort, ipId);
}

/**
 * Encapsulate an inner frame of `innerLength` bytes that already sits at `offset + t.length` in `out`
 * (the caller left headroom for the header): writes the header in front of it and patches it, without
 * touching the inner bytes. Returns the frame length (`t.length + innerLength` bytes). Takes the word
 * path described at {@link pushHeader} under the same conditions. @throws RangeError as {@link pushHeader}.
 */
export function pushHeaderInPlace(t: HeaderTemplate, out: Uint8Array, offset: number, innerLength: number, srcPort: number, ipId = 0): number {
  const total = t.length + innerLength;
  if (offset < 0 || offset + total > out.length) throw new RangeError(`need ${total} bytes at ${offset}, buffer has ${out.length}`);
  return wordPath(t, out, offset, total, srcPort, ipId) ? total : patch(t, out, offset, total, srcPort, ipId);
}

/** The word path of {@link pushHeader} when its conditions hold (then true, header written), else false. */
function wordPath(t: HeaderTemplate, out: Uint8Array, offset: number, total: number, srcPort: number, ipId: number): boolean {
  const aligned = (t as { readonly [WORDS]?: ReadonlyArray<AlignedHeader | undefined> })[WORDS];
  if (aligned === undefined || (offset | 0) !== offset || (total | 0) !== total || !(out === outView ? outWords !== null : cacheOut(out))) return false;
  const at = outByteOffset + offset;
  const h = aligned[at & 3];
  return h !== undefined && writeHeader(t, h, at, total, srcPort, ipId);
}

// Cache of the last output view. A view is cached the second time in a row it is seen, so views
// used once cost only a comparison. `outWords` is null when its buffer is not eligible (shared,
// resizable, from another realm).
let outView: Uint8Array | null = null;
let outSeen: Uint8Array | null = null;
let outBuffer: ArrayBufferLike | null = null;
let outByteOffset = 0;
let outWords: Int32Array | null = null;

function cacheOut(out: Uint8Array): boolean {
  if (out !== outSeen) {
    outSeen = out;
    return false;
  }
  const buf = out.buffer;
  if (buf !== outBuffer || outWords === null) {
    outWords = buf instanceof ArrayBuffer && (buf as { readonly resizable?: boolean }).resizable !== true ? new Int32Array(buf, 0, buf.byteLength >>> 2) : null;
  }
  outBuffer = buf;
  outByteOffset = out.byteOffset;
  outView = out;
  return outWords !== null;
}

/** The IPv4 header checksum for Total Length `tl` and Identification `id`, from the template's partial sum. */
function ipv4Checksum(t: HeaderTemplate, tl: number, id: number): number {
  const s = t.ipv4PartialSum + tl + id; // below 2^18: two folds suffice
  const f = (s & 0xffff) + (s >>> 16);
  return ~((f & 0xffff) + (f >>> 16)) & 0xffff;
}

/** The two bytes of the 16-bit value `v` in wire (big-endian) order, as a little-endian 16-bit word. */
function le16(v: number): number {
  return ((v & 0xff) << 8) | ((v >>> 8) & 0xff);
}

/**
 * Write the 50-byte header `h` at buffer byte `at` (even) as 13 words with the per-packet fields
 * computed into them, giving the bytes {@link patch} gives. Returns false (nothing written) when the
 * words would leave the word view (a buffer length not a multiple of 4) or the IPv4 total length
 * exceeds 65535 (the byte path then throws).
 */
function writeHeader(t: HeaderTemplate, h: AlignedHeader, at: number, total: number, srcPort: number, ipId: number): boolean {
  const w = outWords!;
  const b = at >>> 2;
  const tl = total - 14;
  if (b + 13 > w.length || tl > 0xffff) return false;
  const src = h.words;
  const id = ipId & 0xffff;
  const s = ipv4Checksum(t, tl, id);
  const ulen = total - 34;
  w[b] = (w[b]! & h.headKeep) | src[0]!;
  w[b + 12] = (w[b + 12]! & h.tailKeep) | src[12]!;
  w[b + 1] = src[1]!;
  w[b + 2] = src[2]!;
  w[b + 3] = src[3]!;
  w[b + 7] = src[7]!;
  w[b + 11] = src[11]!;
  if ((at & 2) === 0) {
    // Fields at header bytes 16 (length, ID: word 4), 24 (checksum: word 6), 34, 38 (word 8, 9 high halves).
    w[b + 4] = le16(tl) | (le16(id) << 16);
    w[b + 5] = src[5]!;
    w[b + 6] = src[6]! | le16(s);
    w[b + 8] = src[8]! | (le16(srcPort) << 16);
    w[b + 9] = src[9]! | (le16(ulen) << 16);
    w[b + 10] = src[10]!;
  } else {
    // Shifted by 2: length word 4 high, ID word 5 low, checksum word 6 high, port 9 low, length 10 low.
    w[b + 4] = src[4]! | (le16(tl) << 16);
    w[b + 5] = src[5]! | le16(id);
    w[b + 6] = src[6]! | (le16(s) << 16);
    w[b + 8] = src[8]!;
    w[b + 9] = src[9]! | le16(srcPort);
    w[b + 10] = src[10]! | le16(ulen);
  }
  return true;
}

/** The byte path: copy the template to `out` at `offset`, then store the per-packet fields bytewise. */
function patch(t: HeaderTemplate, out: Uint8Array, offset: number, total: number, srcPort: number, ipId: number): number {
  out.set(t.bytes, offset);
  const ip = offset + t.ipOffset;
  if (t.ipVersion === 4) {
    const tl = total - t.ipOffset;
    if (tl > 0xffff) throw new RangeError(`IPv4 total length ${tl} exceeds 65535`);
    const id = ipId & 0xffff;
    out[ip + 2] = tl >>> 8;
    out[ip + 3] = tl;
    out[ip + 4] = id >>> 8;
    out[ip + 5] = id;
    const s = ipv4Checksum(t, tl, id);
    out[ip + 10] = s >>> 8;
    out[ip + 11] = s;
  } else {
    const pl = total - t.ipOffset - 40;
    if (pl > 0xffff) throw new RangeError(`IPv6 payload length ${pl} exceeds 65535`);
    out[ip + 4] = pl >>> 8;
    out[ip + 5] = pl;
  }
  if (t.udp) {
    const l4 = offset + t.l4Offset;
    const ulen = total - t.l4Offset;
    out[l4] = srcPort >>> 8;
    out[l4 + 1] = srcPort;
    out[l4 + 4] = ulen >>> 8;
    out[l4 + 5] = ulen;
    if (t.udpChecksum) {
      const s = fold(onesSum(out, l4, offset + total) + t.pseudoPartialSum + ulen);
      const c = ~s & 0xffff;
      put16(out, l4 + 6, c === 0 ? 0xffff : c);
    }
  }
  return total;
}
