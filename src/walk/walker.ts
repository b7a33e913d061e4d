/**
 * The packet walker: from a link-layer frame to its layers — outer Ethernet/VLAN, IPv4/IPv6, UDP/TCP/GRE,
 * the tunnel header with its options, and the inner frame — recursing into nested tunnels up to a depth
 * limit. Never throws on received bytes: problems become {@link WireError}s and the walk keeps what it
 * decoded before them (lax mode, as etherparse's `Lax*`).
 *
 * Which tunnel a UDP or TCP port carries is configuration ({@link WalkOptions.udpPorts}, decode-as),
 * never a guess from header bits. Defaults: VXLAN 4789 and 8472, VXLAN-GPE 4790, Geneve 6081, STT TCP
 * 7471; GRE with protocol 0x6558 and only K set is NVGRE (RFC 7637 §3.2).
 */
import { formatMac, u16, u32 } from '../net/bytes.js';
import { EtherType, isVlanTpid, ETH_HEADER_LEN, parseArp } from '../net/ethernet.js';
import { truncated, wireError, type WireError } from '../net/errors.js';
import { IpProto, Ipv4View } from '../net/ipv4.js';
import { Ipv6ExtWalker, Ipv6View, IPV6_HEADER_LEN } from '../net/ipv6.js';
import { l4ChecksumValid, pseudoHeaderSum, UdpView, UDP_HEADER_LEN } from '../net/udp.js';
import { fold, onesSum } from '../net/checksum.js';
import { TcpView } from '../net/tcp.js';
import { greLength, parseGreLax, verifyGreChecksum } from '../net/gre.js';
import { isNvgreFields } from '../nvgre/header.js';
import { parseVxlan, parseVxlanGpe } from '../vxlan/fields.js';
import { VXLAN_HEADER_LEN } from '../vxlan/header.js';
import { GpeNextProtocol, VxlanGpeView } from '../vxlan/gpe.js';
import { parseGeneve, parseGeneveLax } from '../geneve/fields.js';
import { parseStt } from '../stt/fields.js';
import { STT_FRAME_HEADER_LEN, SttView } from '../stt/header.js';
import type { SttReassembler } from '../stt/reassembly.js';
import { IpReassembler } from './ipfrag.js';
import type { DecodedLayer, SttLayer } from './layers.js';

/** What a UDP port can be decoded as. `vxlan` reads the GBP extension when G is set (as Linux `gbp` and Wireshark do); `vxlan-rfc7348` treats those bits as reserved. */
export type UdpTunnelKind = 'vxlan' | 'vxlan-rfc7348' | 'vxlan-gpe' | 'geneve' | 'none';
/** What a TCP port can be decoded as. */
export type TcpTunnelKind = 'stt' | 'none';

/** Default UDP port map. */
export const DEFAULT_UDP_PORTS: ReadonlyMap<number, UdpTunnelKind> = new Map<number, UdpTunnelKind>([
  [4789, 'vxlan'],
  [8472, 'vxlan'],
  [4790, 'vxlan-gpe'],
  [6081, 'geneve'],
]);
/** Default TCP port map. */
export const DEFAULT_TCP_PORTS: ReadonlyMap<number, TcpTunnelKind> = new Map<number, TcpTunnelKind>([[7471, 'stt']]);

/** How the first byte of a frame is to be read. */
export type LinkStart = { readonly kind: 'ethernet' } | { readonly kind: 'l3'; readonly etherType: number };

/** Options of {@link walkPacket}. */
export interface WalkOptions {
  /** UDP destination (or source) port → tunnel kind. Default {@link DEFAULT_UDP_PORTS}. */
  readonly udpPorts?: ReadonlyMap<number, UdpTunnelKind>;
  /** TCP port → tunnel kind. Default {@link DEFAULT_TCP_PORTS}. */
  readonly tcpPorts?: ReadonlyMap<number, TcpTunnelKind>;
  /** Most tunnels nested in one packet (default 4); deeper ones give `depth-exceeded`. */
  readonly maxDepth?: number;
  /** Reject reserved bits like Linux/OVS (default false: ignore them as the RFCs say). */
  readonly strict?: boolean;
  /** Where the frame starts: Ethernet (default) or an L3 header with its EtherType. */
  readonly link?: LinkStart;
  /** Reassemble outer IP fragments across calls (the caller keeps it per capture). */
  readonly ipReassembler?: IpReassembler;
  /** Reassemble STT segments across calls. */
  readonly sttReassembler?: SttReassembler;
  /** The packet's time in ms (for reassembly time-outs). */
  readonly nowMs?: number;
}

/** What {@link walkPacket} returns. */
export interface PacketDecode {
  readonly layers: DecodedLayer[];
  readonly errors: WireError[];
  /** Why decoding stopped short without an error (e.g. `ip-fragment` for a first fragment, `stt-segment`). */
  readonly partial?: string;
  /**
   * The innermost tunnel's payload when it is wholly present (not a first fragment or segment):
   * the bytes (a subarray of the input, or of a reassembled buffer) and their EtherType
   * (0x6558 for an Ethernet frame).
   */
  readonly inner?: InnerPayload;
}

/** A tunnel's payload. */
export interface InnerPayload {
  readonly bytes: Uint8Array;
  /** 0x6558 (Ethernet frame), 0x0800, 0x86dd, 0x0806, or another EtherType. */
  readonly etherType: number;
}

interface Ctx {
  readonly layers: DecodedLayer[];
  readonly errors: WireError[];
  readonly opts: WalkOptions;
  readonly udpPorts: ReadonlyMap<number, UdpTunnelKind>;
  readonly tcpPorts: ReadonlyMap<number, TcpTunnelKind>;
  readonly maxDepth: number;
  depth: number;
  /** Non-null while decoding bytes known to be cut short (first IP fragment, first STT segment). */
  partial: string | null;
  partialSeen: string | null;
  reassembled: boolean;
  inner: InnerPayload | null;
  /** The capture cut the current IP datagram short (snaplen): truncation is real, not segmentation. */
  captureCut: boolean;
  /** IPv6: where the pseudo-header destination is (final destination of a Routing header), else -1. */
  pseudoDstAt: number;
}

/**
 * Decode one frame. `bytes` is the captured data (`caplen` bytes); nothing is copied except for
 * reassembly. Layers alias nothing; Geneve option data are subarrays of `bytes` (copy to keep).
 */
export function walkPacket(bytes: Uint8Array, opts: WalkOptions = {}): PacketDecode {
  const ctx: Ctx = {
    layers: [],
    errors: [],
    opts,
    udpPorts: opts.udpPorts ?? DEFAULT_UDP_PORTS,
    tcpPorts: opts.tcpPorts ?? DEFAULT_TCP_PORTS,
    maxDepth: opts.maxDepth ?? 4,
    depth: 0,
    partial: null,
    partialSeen: null,
    reassembled: false,
    inner: null,
    captureCut: false,
    pseudoDstAt: -1,
  };
  const link = opts.link ?? { kind: 'ethernet' };
  if (link.kind === 'ethernet') walkEthernet(ctx, bytes, 0, bytes.length, true);
  else walkEtherType(ctx, link.etherType, bytes, 0, bytes.length, true);
  const out: { layers: DecodedLayer[]; errors: WireError[]; partial?: string; inner?: InnerPayload } = { layers: ctx.layers, errors: ctx.errors };
  if (ctx.partialSeen) out.partial = ctx.partialSeen;
  if (ctx.inner) out.inner = ctx.inner;
  return out;
}

function setInner(ctx: Ctx, b: Uint8Array, off: number, end: number, etherType: number): void {
  ctx.inner = ctx.partial || off > end ? null : { bytes: b.subarray(off, end), etherType };
}

function fail(ctx: Ctx, e: WireError): void {
  if (ctx.partial && e.kind === 'truncated') {
    ctx.partialSeen = ctx.partial;
    return;
  }
  ctx.errors.push(e);
}

function push(ctx: Ctx, layer: DecodedLayer): void {
  ctx.layers.push(ctx.reassembled ? ({ ...layer, buffer: 'reassembled' } as DecodedLayer) : layer);
}

function walkEthernet(ctx: Ctx, b: Uint8Array, off: number, end: number, outer: boolean): void {
  const avail = end - off;
  if (avail < ETH_HEADER_LEN) return fail(ctx, truncated('eth', off, ETH_HEADER_LEN, avail));
  let type = u16(b, off + 12);
  push(ctx, { proto: 'eth', offset: off, length: ETH_HEADER_LEN, dst: formatMac(b, off), src: formatMac(b, off + 6), etherType: type });
  let at = off + ETH_HEADER_LEN;
  let tags = 0;
  while (isVlanTpid(type)) {
    if (++tags > 8) return fail(ctx, wireError('depth-exceeded', 'vlan', at - 2, 'tags', tags, '<= 8 tags'));
    if (end - at < 4) return fail(ctx, truncated('vlan', at - 2, 4, end - at + 2));
    const tci = u16(b, at);
    const next = u16(b, at + 2);
    push(ctx, { proto: 'vlan', offset: at - 2, length: 4, tpid: type, pcp: tci >>> 13, dei: (tci & 0x1000) !== 0, vid: tci & 0xfff, etherType: next });
    type = next;
    at += 4;
  }
  walkEtherType(ctx, type, b, at, end, outer);
}

function walkEtherType(ctx: Ctx, type: number, b: Uint8Array, off: number, end: number, outer: boolean): void {
  switch (type) {
    case EtherType.IPV4:
      return walkIpv4(ctx, b, off, end, outer);
    case EtherType.IPV6:
      return walkIpv6(ctx, b, off, end, outer);
    case EtherType.ARP:
      return walkArp(ctx, b, off, end);
    case EtherType.TEB:
      return walkEthernet(ctx, b, off, end, false);
    default:
      if (off < end) push(ctx, { proto: 'unknown', offset: off, length: end - off, etherType: type });
  }
}

function walkArp(ctx: Ctx, b: Uint8Array, off: number, end: number): void {
  const r = parseArp(b, off, end);
  if (!r.ok) return fail(ctx, r.error);
  const a = r.value;
  push(ctx, { proto: 'arp', offset: off, length: 28, opcode: a.opcode, senderMac: a.senderMac, senderIp: a.senderIp, targetMac: a.targetMac, targetIp: a.targetIp });
}

function walkIpv4(ctx: Ctx, b: Uint8Array, off: number, end: number, outer: boolean): void {
  const r = Ipv4View.check(b, off, end);
  if (!r.ok) return fail(ctx, r.error);
  const v = r.value;
  const pend = v.payloadEnd(end);
  ctx.pseudoDstAt = -1;
  if (v.totalLength !== 0 && off + v.totalLength > end) ctx.captureCut = true;
  const base = {
    proto: 'ipv4' as const,
    offset: off,
    length: v.headerLength,
    src: v.src,
    dst: v.dst,
    protocol: v.protocol,
    ttl: v.ttl,
    dscp: v.dscp,
    ecn: v.ecn,
    totalLength: v.totalLength,
    identification: v.identification,
    dontFragment: v.dontFragment,
    checksumValid: v.checksumValid,
  };
  if (!v.isFragment) {
    push(ctx, base);
    return walkIpPayload(ctx, v.protocol, b, v.payloadOffset, pend, off, outer);
  }
  const payload = b.subarray(v.payloadOffset, pend);
  const whole = v.totalLength !== 0 && off + v.totalLength <= end;
  const key = `4|${v.src}|${v.dst}|${v.protocol}|${v.identification}`;
  handleFragment(ctx, base, key, v.fragmentOffset, v.moreFragments, payload, whole, v.protocol, b, v.payloadOffset, pend, off, outer);
}

const V6_WALKER = new Ipv6ExtWalker();

function walkIpv6(ctx: Ctx, b: Uint8Array, off: number, end: number, outer: boolean): void {
  const r = Ipv6View.check(b, off, end);
  if (!r.ok) return fail(ctx, r.error);
  const v = r.value;
  const pend = v.payloadEnd(end);
  if (v.payloadLength !== 0 && off + IPV6_HEADER_LEN + v.payloadLength > end) ctx.captureCut = true;
  // One walker for every packet: its results are read (into arguments) before any recursion.
  const w = V6_WALKER;
  const code = w.walk(b, off, pend);
  const base = {
    proto: 'ipv6' as const,
    offset: off,
    length: IPV6_HEADER_LEN,
    src: v.src,
    dst: v.dst,
    nextHeader: v.nextHeader,
    protocol: code === 0 ? w.protocol : v.nextHeader,
    hopLimit: v.hopLimit,
    dscp: v.dscp,
    ecn: v.ecn,
    flowLabel: v.flowLabel,
    payloadLength: v.payloadLength,
  };
  if (code !== 0) {
    push(ctx, base);
    return fail(ctx, w.error(code, b, pend));
  }
  ctx.pseudoDstAt = w.finalDstAt;
  if (!w.hasFragment) {
    push(ctx, { ...base, length: w.upperOffset - off });
    return walkIpPayload(ctx, w.protocol, b, w.upperOffset, pend, off, outer);
  }
  const payload = b.subarray(w.upperOffset, pend);
  const whole = v.payloadLength !== 0 && off + IPV6_HEADER_LEN + v.payloadLength <= end;
  const key = `6|${v.src}|${v.dst}|${w.fragmentId}`;
  handleFragment(ctx, { ...base, length: w.upperOffset - off }, key, w.fragmentOffset, w.moreFragments, payload, whole, w.protocol, b, w.upperOffset, pend, off, outer, w.fragmentId);
}

function handleFragment(
  ctx: Ctx,
  base: Record<string, unknown>,
  key: string,
  fragOffset: number,
  more: boolean,
  payload: Uint8Array,
  whole: boolean,
  protocol: number,
  b: Uint8Array,
  payOff: number,
  pend: number,
  ipOff: number,
  outer: boolean,
  id?: number,
): void {
  const frag: Record<string, unknown> = id === undefined ? { offset: fragOffset, more } : { offset: fragOffset, more, id };
  const reasm = ctx.opts.ipReassembler;
  let done: { payload: Uint8Array; fragments: number } | null = null;
  if (reasm && whole) {
    const res = reasm.push(key, fragOffset, more, payload, ctx.opts.nowMs ?? 0);
    if (res.status === 'complete') done = res;
  }
  if (done) {
    frag.reassembled = { fragments: done.fragments, length: done.payload.length };
    push(ctx, { ...base, fragment: frag } as DecodedLayer);
    // Decode the upper layer from the reassembled payload; the pseudo-header still comes from this header.
    const saved = ctx.reassembled;
    ctx.reassembled = true;
    walkIpPayload(ctx, protocol, done.payload, 0, done.payload.length, -1, outer, { bytes: b, ipOffset: ipOff });
    ctx.reassembled = saved;
    return;
  }
  push(ctx, { ...base, fragment: frag } as DecodedLayer);
  if (fragOffset !== 0) return; // no upper-layer header in a later fragment
  const saved = ctx.partial;
  ctx.partial = 'ip-fragment';
  ctx.partialSeen = 'ip-fragment';
  walkIpPayload(ctx, protocol, b, payOff, pend, ipOff, outer);
  ctx.partial = saved;
}

/** Where the IP header is when the L4 bytes live in another (reassembled) buffer. */
interface PseudoSrc {
  readonly bytes: Uint8Array;
  readonly ipOffset: number;
}

function walkIpPayload(ctx: Ctx, proto: number, b: Uint8Array, off: number, end: number, ipOff: number, outer: boolean, pseudo?: PseudoSrc): void {
  switch (proto) {
    case IpProto.UDP:
      return walkUdp(ctx, b, off, end, ipOff, outer, pseudo);
    case IpProto.TCP:
      return walkTcp(ctx, b, off, end, ipOff, pseudo);
    case IpProto.GRE:
      return walkGre(ctx, b, off, end);
    case IpProto.ICMP:
    case IpProto.ICMPV6: {
      const name = proto === IpProto.ICMP ? 'icmp' : 'icmpv6';
      if (end - off < 4) return fail(ctx, truncated(name, off, 4, end - off));
      return push(ctx, { proto: name, offset: off, length: 4, type: b[off]!, code: b[off + 1]! });
    }
    case IpProto.IPIP:
      return walkIpv4(ctx, b, off, end, false);
    case IpProto.IPV6:
      return walkIpv6(ctx, b, off, end, false);
    default:
      if (off < end) push(ctx, { proto: 'unknown', offset: off, length: end - off, ipProtocol: proto });
  }
}

function walkUdp(ctx: Ctx, b: Uint8Array, off: number, end: number, ipOff: number, _outer: boolean, pseudo?: PseudoSrc): void {
  const r = UdpView.check(b, off, end);
  if (!r.ok) return fail(ctx, r.error);
  const u = r.value;
  const uend = u.payloadEnd(end);
  const claimed = u.length;
  let status: 'none' | 'good' | 'bad' | 'unverified' = 'unverified';
  if (u.checksum === 0) status = 'none';
  else if (claimed !== 0 && off + claimed <= end && !ctx.partial) {
    if (pseudo) {
      const s = fold(onesSum(b, off, off + claimed) + pseudoHeaderSum(pseudo.bytes, pseudo.ipOffset, IpProto.UDP, claimed, ctx.pseudoDstAt));
      status = s === 0xffff ? 'good' : 'bad';
    } else if (ipOff >= 0) {
      status = l4ChecksumValid(b, ipOff, IpProto.UDP, off, off + claimed, ctx.pseudoDstAt) ? 'good' : 'bad';
    }
  }
  push(ctx, { proto: 'udp', offset: off, length: UDP_HEADER_LEN, srcPort: u.srcPort, dstPort: u.dstPort, udpLength: claimed, checksum: u.checksum, checksumStatus: status });
  if (claimed !== 0 && off + claimed > end && !ctx.partial && !ctx.captureCut) {
    // The length claims more than the IP datagram holds (not a capture cut short): report it and
    // decode what is there.
    fail(ctx, wireError('length-overrun', 'udp', off + 4, 'length', claimed, `<= ${end - off} bytes (IP payload)`));
  }
  const kind = ctx.udpPorts.get(u.dstPort) ?? ctx.udpPorts.get(u.srcPort);
  if (!kind || kind === 'none') return;
  if (!enterTunnel(ctx, off)) return;
  const t = u.payloadOffset;
  switch (kind) {
    case 'vxlan':
    case 'vxlan-rfc7348':
      return walkVxlan(ctx, b, t, uend, kind === 'vxlan' ? 'gbp' : 'none');
    case 'vxlan-gpe':
      return walkGpe(ctx, b, t, uend);
    case 'geneve':
      return walkGeneve(ctx, b, t, uend);
  }
}

function enterTunnel(ctx: Ctx, at: number): boolean {
  if (++ctx.depth > ctx.maxDepth) {
    fail(ctx, wireError('depth-exceeded', 'walk', at, 'tunnels', ctx.depth, `<= ${ctx.maxDepth} nested tunnels`));
    return false;
  }
  return true;
}

function walkVxlan(ctx: Ctx, b: Uint8Array, off: number, end: number, extension: 'gbp' | 'none'): void {
  const r = parseVxlan(b, off, end, { extension, strict: ctx.opts.strict ?? false });
  if (!r.ok) return fail(ctx, r.error);
  const f = r.value;
  push(ctx, f.gbp
    ? { proto: 'vxlan', offset: off, length: VXLAN_HEADER_LEN, vni: f.vni, flags: b[off]!, vniValid: f.vniValid, gbp: { groupPolicyId: f.gbp.groupPolicyId, dontLearn: f.gbp.dontLearn, policyApplied: f.gbp.policyApplied } }
    : { proto: 'vxlan', offset: off, length: VXLAN_HEADER_LEN, vni: f.vni, flags: b[off]!, vniValid: f.vniValid });
  setInner(ctx, b, off + VXLAN_HEADER_LEN, end, EtherType.TEB);
  walkEthernet(ctx, b, off + VXLAN_HEADER_LEN, end, false);
}

function walkGpe(ctx: Ctx, b: Uint8Array, off: number, end: number): void {
  const r = parseVxlanGpe(b, off, end, { strict: ctx.opts.strict ?? false });
  let f: { vni: number; version: number; nextProtocolPresent: boolean; bum: boolean; oam: boolean; nextProtocol: number };
  if (r.ok) f = r.value;
  else if (r.error.kind === 'bad-version') {
    // Lax: an unknown version is reported and read with the version-0 layout (as Wireshark does).
    fail(ctx, r.error);
    f = VxlanGpeView.unchecked(b, off);
  } else return fail(ctx, r.error);
  push(ctx, { proto: 'vxlan-gpe', offset: off, length: VXLAN_HEADER_LEN, vni: f.vni, flags: b[off]!, version: f.version, nextProtocolPresent: f.nextProtocolPresent, bum: f.bum, oam: f.oam, nextProtocol: f.nextProtocol });
  const p = off + VXLAN_HEADER_LEN;
  const np = f.nextProtocolPresent ? f.nextProtocol : GpeNextProtocol.ETHERNET;
  setInner(ctx, b, p, end, np === GpeNextProtocol.ETHERNET ? EtherType.TEB : np === GpeNextProtocol.IPV4 ? EtherType.IPV4 : np === GpeNextProtocol.IPV6 ? EtherType.IPV6 : 0);
  switch (np) {
    case GpeNextProtocol.ETHERNET:
      return walkEthernet(ctx, b, p, end, false);
    case GpeNextProtocol.IPV4:
      return walkIpv4(ctx, b, p, end, false);
    case GpeNextProtocol.IPV6:
      return walkIpv6(ctx, b, p, end, false);
    default:
      if (p < end) push(ctx, { proto: 'unknown', offset: p, length: end - p, nextProtocol: np });
  }
}

function walkGeneve(ctx: Ctx, b: Uint8Array, off: number, end: number): void {
  const r = parseGeneveLax(b, off, end);
  const f = r.value;
  const payload = off + 8 + (b[off]! & 0x3f) * 4;
  if (f) {
    push(ctx, { proto: 'geneve', offset: off, length: payload - off, vni: f.vni, version: f.version, protocolType: f.protocolType, oam: f.control, critical: f.critical, optionsLength: (b[off]! & 0x3f) * 4, options: f.options });
  }
  if (r.error) fail(ctx, r.error);
  else if (ctx.opts.strict && f) {
    // Strict mode (Linux/OVS): reserved bits in the header or options are an error too.
    const st = parseGeneve(b, off, end, { strict: true });
    if (!st.ok) fail(ctx, st.error);
  }
  // Lax: a bad option walk or an unknown version still has a payload where Opt Len says (as
  // Wireshark decodes it); a header or Opt Len that overruns the packet has none.
  if (!f || payload > end) return;
  setInner(ctx, b, payload, end, f.protocolType);
  walkEtherType(ctx, f.protocolType, b, payload, end, false);
}

function walkGre(ctx: Ctx, b: Uint8Array, off: number, end: number): void {
  if (!enterTunnel(ctx, off)) return;
  const r = parseGreLax(b, off, end);
  const g = r.value;
  if (!g) {
    if (r.error) fail(ctx, r.error);
    return;
  }
  const flagsWord = u16(b, off);
  if (!r.error && isNvgreFields(g)) {
    const key = g.key ?? 0;
    push(ctx, { proto: 'nvgre', offset: off, length: 8, vsid: key >>> 8, flowId: key & 0xff, protocolType: g.protocolType, key });
    setInner(ctx, b, off + 8, end, EtherType.TEB);
    return walkEthernet(ctx, b, off + 8, end, false);
  }
  const hlen = r.error ? 4 : greLength(g);
  const layer: Record<string, unknown> = { proto: 'gre', offset: off, length: hlen, flags: flagsWord, version: g.version, protocolType: g.protocolType };
  if (g.key !== undefined) layer.key = g.key;
  if (g.sequence !== undefined) layer.sequence = g.sequence;
  if (g.checksum !== undefined) {
    layer.checksum = g.checksum;
    if (!ctx.partial && end === b.length) layer.checksumValid = verifyGreChecksum(b, off, end);
  }
  push(ctx, layer as unknown as DecodedLayer);
  if (r.error) return fail(ctx, r.error);
  // Version 1 (PPTP) normally carries PPP (0x880b, shown as unknown); any EtherType is followed.
  walkGrePayload(ctx, g.protocolType, b, off + hlen, end);
}

/** Cisco MetaData (EtherType 0x8909) in GRE: EtherType(2) Version(1) Length(1) Options(2) SGT(2), then the payload (Wireshark packet-cisco-metadata.c). */
const ETHERTYPE_CISCO_METADATA = 0x8909;
const CMD_LEN = 8;

function walkGrePayload(ctx: Ctx, protocolType: number, b: Uint8Array, off: number, end: number): void {
  if (protocolType !== ETHERTYPE_CISCO_METADATA) {
    setInner(ctx, b, off, end, protocolType);
    return walkEtherType(ctx, protocolType, b, off, end, false);
  }
  if (end - off < CMD_LEN) return fail(ctx, truncated('gre', off, CMD_LEN, end - off, 'ciscoMetadata'));
  const next = u16(b, off);
  push(ctx, { proto: 'unknown', offset: off, length: CMD_LEN, etherType: ETHERTYPE_CISCO_METADATA, shim: 'cisco-metadata', sgt: u16(b, off + 6), nextEtherType: next } as DecodedLayer);
  setInner(ctx, b, off + CMD_LEN, end, next);
  walkEtherType(ctx, next, b, off + CMD_LEN, end, false);
}

function walkTcp(ctx: Ctx, b: Uint8Array, off: number, end: number, ipOff: number, pseudo?: PseudoSrc): void {
  void pseudo;
  void ipOff;
  const r = TcpView.check(b, off, end);
  if (!r.ok) return fail(ctx, r.error);
  const t = r.value;
  push(ctx, { proto: 'tcp', offset: off, length: t.headerLength, srcPort: t.srcPort, dstPort: t.dstPort, seq: t.seq, ack: t.ack, flags: t.flags, window: t.window });
  const kind = ctx.tcpPorts.get(t.dstPort) ?? ctx.tcpPorts.get(t.srcPort);
  if (kind !== 'stt') return;
  if (!enterTunnel(ctx, off)) return;
  walkStt(ctx, b, t.payloadOffset, end, t.seq, t.ack, ipOff >= 0 ? sttKey(b, ipOff) : 'reassembled');
}

function sttKey(b: Uint8Array, ipOff: number): string {
  if (b[ipOff]! >>> 4 === 4) return `4|${u32(b, ipOff + 12)}|${u32(b, ipOff + 16)}`;
  let k = '6';
  for (let i = 8; i < 40; i += 4) k += `|${u32(b, ipOff + i)}`;
  return k;
}

function walkStt(ctx: Ctx, b: Uint8Array, off: number, end: number, seq: number, ack: number, key: string): void {
  const frameLength = seq >>> 16;
  const fragmentOffset = seq & 0xffff;
  const seg = { proto: 'stt' as const, offset: off, length: 0, frameLength, fragmentOffset, frameId: ack };
  const dataLen = end - off;
  if (frameLength < STT_FRAME_HEADER_LEN) {
    push(ctx, seg);
    return fail(ctx, wireError('bad-length', 'stt', off - 16, 'frameLength', frameLength, `>= ${STT_FRAME_HEADER_LEN} bytes`));
  }
  if (fragmentOffset + dataLen > frameLength) {
    // The segment holds more than the frame length claims: report it; a first segment is still
    // decoded over its own bytes (as Wireshark does), a later one is not placed.
    fail(ctx, wireError('length-overrun', 'stt', off, 'segment', fragmentOffset + dataLen, `<= ${frameLength} bytes (frame length)`));
    if (fragmentOffset !== 0) return push(ctx, seg);
    return decodeSttFrame(ctx, seg, b, off, end, 1);
  }
  if (fragmentOffset === 0 && dataLen === frameLength) return decodeSttFrame(ctx, seg, b, off, end, 1);
  const reasm = ctx.opts.sttReassembler;
  if (reasm && end === b.length) {
    const res = reasm.push(key, ack, frameLength, fragmentOffset, b.subarray(off, end), ctx.opts.nowMs ?? 0);
    if (res.status === 'complete') {
      const saved = ctx.reassembled;
      ctx.reassembled = true;
      decodeSttFrame(ctx, { ...seg, offset: 0 }, res.frame, 0, res.frame.length, res.segments);
      ctx.reassembled = saved;
      return;
    }
  }
  if (fragmentOffset !== 0) return push(ctx, seg);
  if (ctx.captureCut) return decodeSttFrame(ctx, seg, b, off, end, undefined); // cut by the capture: truncation is reported
  const saved = ctx.partial;
  ctx.partial = 'stt-segment';
  ctx.partialSeen = 'stt-segment';
  decodeSttFrame(ctx, seg, b, off, end, undefined);
  ctx.partial = saved;
}

function decodeSttFrame(ctx: Ctx, seg: SttLayer, b: Uint8Array, off: number, end: number, segments: number | undefined): void {
  const r = parseStt(b, off, end, { strict: ctx.opts.strict ?? false });
  let f: { version: number; flags: number; l4Offset: number; mss: number; pcp: number; vlanValid: boolean; vlanId: number; contextId: bigint };
  if (r.ok) f = r.value;
  else if (r.error.kind === 'bad-version') {
    // Lax: an unknown version is reported, and its header read with the version-0 layout.
    fail(ctx, r.error);
    f = SttView.unchecked(b, off);
  } else {
    push(ctx, seg);
    return fail(ctx, r.error);
  }
  const layer: SttLayer = {
    ...seg,
    length: STT_FRAME_HEADER_LEN,
    ...(segments !== undefined ? { segments } : {}),
    version: f.version,
    flags: f.flags,
    l4Offset: f.l4Offset,
    mss: f.mss,
    pcp: f.pcp,
    vlanValid: f.vlanValid,
    vlanId: f.vlanId,
    contextId: f.contextId,
  };
  push(ctx, layer);
  setInner(ctx, b, off + STT_FRAME_HEADER_LEN, end, EtherType.TEB);
  walkEthernet(ctx, b, off + STT_FRAME_HEADER_LEN, end, false);
}

