/**
 * Whole frames: inner packets (ARP, IPv4/IPv6 with TCP, UDP or ICMP) and complete encapsulated Ethernet
 * frames of every tunnel type, built with the library's emitters (`emitEthernet`, `emitIpv4`/`emitIpv6`,
 * `emitUdp`, the tunnel emitters) and, for STT, `segmentSttFrame`. Every length field is exact and every
 * checksum is correct (outer IPv4 header, outer UDP when used, inner IPv4, TCP, UDP and ICMP), so
 * `walkPacket` decodes each frame with no error.
 */
import * as fc from 'fast-check';
import { ipFromText, put16 } from '../net/bytes.js';
import { fold, internetChecksum, onesSum } from '../net/checksum.js';
import { emitEthernet, ethernetLength, EtherType, type EthernetFields, type VlanTag } from '../net/ethernet.js';
import { emitIpv4, IpProto, type Ipv4Fields } from '../net/ipv4.js';
import { emitIpv6, IPV6_HEADER_LEN, type Ipv6Fields } from '../net/ipv6.js';
import { emitTcp, type TcpFields } from '../net/tcp.js';
import { emitUdp, pseudoHeaderSum, udpChecksum, UDP_HEADER_LEN, type UdpFields } from '../net/udp.js';
import { emitGeneve, geneveLength, type GeneveFields, type GeneveOption } from '../geneve/fields.js';
import { GENEVE_UDP_PORT } from '../geneve/header.js';
import { emitNvgre, type NvgreFields } from '../nvgre/fields.js';
import { NVGRE_HEADER_LEN } from '../nvgre/header.js';
import { segmentSttFrame } from '../offload-hints/stt-segment.js';
import type { SttFields } from '../stt/fields.js';
import { STT_FRAME_HEADER_LEN, STT_TCP_PORT } from '../stt/header.js';
import { OptionRegistry } from '../tlv/registry.js';
import { emitVxlan, emitVxlanGpe, type VxlanFields, type VxlanGpeFields } from '../vxlan/fields.js';
import { GpeNextProtocol, VXLAN_GPE_UDP_PORT } from '../vxlan/gpe.js';
import { VXLAN_HEADER_LEN, VXLAN_LINUX_UDP_PORT, VXLAN_UDP_PORT } from '../vxlan/header.js';
import { bytesOf, geneveFields, geneveOption, geneveOptions, ipv4Address, ipv6Address, macAddress, nvgreFields, sttFields, tcpFields, uint, vlanTag, vxlanFields, vxlanGpeFields } from './fields.js';
import { registeredOption } from './options.js';

/** UDP ports the walker maps to a tunnel by default, and the STT TCP port: inner packets never use them. */
const TUNNEL_UDP_PORTS = new Set([VXLAN_UDP_PORT, VXLAN_LINUX_UDP_PORT, VXLAN_GPE_UDP_PORT, GENEVE_UDP_PORT]);

/** What an inner packet carries at layer 3. */
export type InnerL3 = 'arp' | 'ipv4' | 'ipv6';
/** What an inner IP packet carries at layer 4. */
export type InnerL4 = 'tcp' | 'udp' | 'icmp' | 'icmpv6';

/** A tunnel payload: an Ethernet frame, or a bare IP packet (VXLAN-GPE and Geneve can carry those). */
export interface InnerPacket {
  /** The bytes (a new buffer). */
  readonly bytes: Uint8Array;
  /** 0x6558 for an Ethernet frame; 0x0800 or 0x86dd for a bare IPv4/IPv6 packet. */
  readonly etherType: number;
  readonly l3: InnerL3;
  /** The upper layer of an IP packet. */
  readonly l4?: InnerL4;
  /** Offset of the L4 header from the start of `bytes` (what STT's L4 Offset holds). */
  readonly l4Offset?: number;
  /** Bytes of headers before the L4 payload (the whole packet for ARP). */
  readonly headerLength: number;
}

/** Options of {@link innerEthernetFrame} and {@link innerIpPacket}. */
export interface InnerPacketOptions {
  /** Most L4 payload bytes (default 64). */
  readonly maxPayloadLength?: number;
  /** Which layer-3 kinds (default all; `arp` applies to Ethernet frames only). */
  readonly l3?: readonly InnerL3[];
  /** Most VLAN tags on an inner Ethernet frame (default 2). */
  readonly maxVlans?: number;
}

/** Well-formed IPv4 options: whole words of NOPs or Router Alert (RFC 2113), 0..40 bytes. */
function ipv4Options(): fc.Arbitrary<Uint8Array> {
  const word = fc.constantFrom([1, 1, 1, 1], [0x94, 0x04, 0, 0]);
  return fc.oneof({ weight: 3, arbitrary: fc.constant(new Uint8Array(0)) }, { weight: 1, arbitrary: fc.array(word, { maxLength: 10 }).map((ws) => Uint8Array.from(ws.flat())) });
}

/** Well-formed TCP options in whole words: NOPs, MSS, window scale, SACK permitted, timestamps; 0..40 bytes. */
function tcpOptions(): fc.Arbitrary<Uint8Array> {
  const chunk = fc.oneof(
    fc.constant([1, 1, 1, 1]),
    uint(16).map((m) => [2, 4, m >>> 8, m & 0xff]),
    fc.integer({ min: 0, max: 14 }).map((s) => [1, 3, 3, s]),
    fc.constant([1, 1, 4, 2]),
    fc.tuple(bytesOf(4), bytesOf(4)).map(([ts, ecr]) => [1, 1, 8, 10, ...ts, ...ecr]),
  );
  return fc.array(chunk, { maxLength: 6 }).map((cs) => {
    const out: number[] = [];
    for (const c of cs) if (out.length + c.length <= 40) out.push(...c);
    return Uint8Array.from(out);
  });
}

const udpPort = (): fc.Arbitrary<number> => uint(16).filter((p) => !TUNNEL_UDP_PORTS.has(p));
const tcpPort = (): fc.Arbitrary<number> => uint(16).filter((p) => p !== STT_TCP_PORT);

type L4Spec =
  | { readonly kind: 'tcp'; readonly tcp: TcpFields }
  | { readonly kind: 'udp'; readonly srcPort: number; readonly dstPort: number; readonly zeroChecksum: boolean }
  | { readonly kind: 'icmp'; readonly type: number; readonly code: number; readonly rest: Uint8Array };

function l4Spec(): fc.Arbitrary<L4Spec> {
  return fc.oneof(
    tcpFields({ port: tcpPort(), options: tcpOptions() }).map((tcp): L4Spec => ({ kind: 'tcp', tcp })),
    fc.record({ srcPort: udpPort(), dstPort: udpPort(), zeroChecksum: fc.boolean() }).map((u): L4Spec => ({ kind: 'udp', ...u })),
    fc.record({ type: uint(8), code: uint(8), rest: bytesOf(4) }).map((i): L4Spec => ({ kind: 'icmp', ...i })),
  );
}

type Ip4Spec = Omit<Ipv4Fields, 'totalLength' | 'protocol' | 'moreFragments' | 'fragmentOffset'>;
type Ip6Spec = Omit<Ipv6Fields, 'payloadLength' | 'nextHeader'>;

function ip4Spec(options = ipv4Options(), src = ipv4Address(), dst = ipv4Address()): fc.Arbitrary<Ip4Spec> {
  return fc.record({
    dscp: uint(6),
    ecn: uint(2),
    identification: uint(16),
    dontFragment: fc.boolean(),
    ttl: fc.integer({ min: 1, max: 255 }),
    src,
    dst,
    options,
  });
}

function ip6Spec(src = ipv6Address(), dst = ipv6Address()): fc.Arbitrary<Ip6Spec> {
  return fc.record({ trafficClass: uint(8), flowLabel: uint(20), hopLimit: fc.integer({ min: 1, max: 255 }), src, dst });
}

/** Write an IP packet (header, L4 header, payload) with exact lengths and correct checksums. */
function buildIp(ip: { readonly v: 4; readonly f: Ip4Spec } | { readonly v: 6; readonly f: Ip6Spec }, l4: L4Spec, payload: Uint8Array): { bytes: Uint8Array; l4: InnerL4; l4Offset: number; headerLength: number } {
  const v4 = ip.v === 4;
  const hl = v4 ? 20 + ip.f.options.length : IPV6_HEADER_LEN;
  const l4Len = l4.kind === 'tcp' ? 20 + l4.tcp.options.length : 8;
  const total = hl + l4Len + payload.length;
  const protocol = l4.kind === 'tcp' ? IpProto.TCP : l4.kind === 'udp' ? IpProto.UDP : v4 ? IpProto.ICMP : IpProto.ICMPV6;
  const b = new Uint8Array(total);
  if (ip.v === 4) emitIpv4({ ...ip.f, totalLength: total, moreFragments: false, fragmentOffset: 0, protocol }, b, 0);
  else emitIpv6({ ...ip.f, payloadLength: total - IPV6_HEADER_LEN, nextHeader: protocol }, b, 0);
  b.set(payload, hl + l4Len);
  // TCP / ICMPv6: pseudo-header + segment, the checksum field still 0 when this runs.
  const l4Checksum = (): number => ~fold(onesSum(b, hl, total) + pseudoHeaderSum(b, 0, protocol, total - hl)) & 0xffff;
  if (l4.kind === 'tcp') {
    emitTcp({ ...l4.tcp, checksum: 0 }, b, hl);
    put16(b, hl + 16, l4Checksum());
    return { bytes: b, l4: 'tcp', l4Offset: hl, headerLength: hl + l4Len };
  }
  if (l4.kind === 'udp') {
    emitUdp({ srcPort: l4.srcPort, dstPort: l4.dstPort, length: total - hl, checksum: 0 }, b, hl);
    if (!(v4 && l4.zeroChecksum)) put16(b, hl + 6, udpChecksum(b, 0, hl, total));
    return { bytes: b, l4: 'udp', l4Offset: hl, headerLength: hl + l4Len };
  }
  b[hl] = l4.type;
  b[hl + 1] = l4.code;
  b.set(l4.rest, hl + 4);
  put16(b, hl + 2, v4 ? internetChecksum(b, hl, total) : l4Checksum());
  return { bytes: b, l4: v4 ? 'icmp' : 'icmpv6', l4Offset: hl, headerLength: hl + l4Len };
}

function ipPacket(l3: readonly ('ipv4' | 'ipv6')[], maxPayload: number): fc.Arbitrary<InnerPacket> {
  const ip = fc.oneof(
    ...l3.map((k) =>
      k === 'ipv4'
        ? ip4Spec().map((f) => ({ v: 4 as const, f }))
        : ip6Spec().map((f) => ({ v: 6 as const, f })),
    ),
  );
  return fc.tuple(ip, l4Spec(), fc.uint8Array({ maxLength: maxPayload })).map(([i, l4, payload]) => {
    const p = buildIp(i, l4, payload);
    return { bytes: p.bytes, etherType: i.v === 4 ? EtherType.IPV4 : EtherType.IPV6, l3: i.v === 4 ? 'ipv4' : 'ipv6', l4: p.l4, l4Offset: p.l4Offset, headerLength: p.headerLength };
  });
}

/**
 * A bare IPv4 or IPv6 packet (no Ethernet header) carrying TCP (well-formed options), UDP (never a
 * tunnel port) or ICMP/ICMPv6, with exact lengths and correct checksums: a payload for VXLAN-GPE
 * (Next Protocol 1/2) or Geneve (Protocol Type 0x0800/0x86dd).
 */
export function innerIpPacket(opts: InnerPacketOptions = {}): fc.Arbitrary<InnerPacket> {
  const l3 = (opts.l3 ?? ['ipv4', 'ipv6']).filter((k): k is 'ipv4' | 'ipv6' => k !== 'arp');
  if (l3.length === 0) throw new RangeError('innerIpPacket: l3 must include ipv4 or ipv6');
  return ipPacket(l3, opts.maxPayloadLength ?? 64);
}

/** 28 bytes of an Ethernet/IPv4 ARP packet (RFC 826). */
function arpPacket(): fc.Arbitrary<Uint8Array> {
  return fc
    .record({ opcode: fc.oneof(fc.constantFrom(1, 2), uint(16)), senderMac: bytesOf(6), senderIp: bytesOf(4), targetMac: bytesOf(6), targetIp: bytesOf(4) })
    .map((a) => {
      const b = Uint8Array.of(0, 1, 8, 0, 6, 4, a.opcode >>> 8, a.opcode & 0xff, ...a.senderMac, ...a.senderIp, ...a.targetMac, ...a.targetIp);
      return b;
    });
}

/**
 * An inner Ethernet frame (no FCS): any MACs, 0..`maxVlans` VLAN tags, carrying ARP, or IPv4/IPv6 with
 * TCP, UDP or ICMP/ICMPv6 and up to `maxPayloadLength` payload bytes. Lengths and checksums are correct;
 * inner UDP/TCP ports are never the tunnel ports a walker would decode as a nested tunnel.
 */
export function innerEthernetFrame(opts: InnerPacketOptions = {}): fc.Arbitrary<InnerPacket> {
  const kinds = opts.l3 ?? ['arp', 'ipv4', 'ipv6'];
  const ipKinds = kinds.filter((k): k is 'ipv4' | 'ipv6' => k !== 'arp');
  const l3: fc.Arbitrary<{ bytes: Uint8Array; l3: InnerL3; l4?: InnerL4; l4Offset?: number; headerLength: number }>[] = [];
  if (kinds.includes('arp')) l3.push(arpPacket().map((bytes) => ({ bytes, l3: 'arp' as const, headerLength: bytes.length })));
  if (ipKinds.length) l3.push(ipPacket(ipKinds, opts.maxPayloadLength ?? 64));
  if (l3.length === 0) throw new RangeError('innerEthernetFrame: l3 must not be empty');
  const eth = fc.record({ dst: macAddress(), src: macAddress(), vlans: fc.array(vlanTag(), { maxLength: opts.maxVlans ?? 2 }) });
  return fc.tuple(eth, fc.oneof(...l3)).map(([e, p]) => {
    const etherType = p.l3 === 'arp' ? EtherType.ARP : p.l3 === 'ipv4' ? EtherType.IPV4 : EtherType.IPV6;
    const f: EthernetFields = { ...e, etherType };
    const l2 = ethernetLength(f);
    const bytes = new Uint8Array(l2 + p.bytes.length);
    emitEthernet(f, bytes, 0);
    bytes.set(p.bytes, l2);
    const base = { bytes, etherType: EtherType.TEB, l3: p.l3, headerLength: l2 + p.headerLength };
    return p.l4 === undefined ? base : { ...base, l4: p.l4, l4Offset: l2 + p.l4Offset! };
  });
}

// ------------------------------------------------------------------------------------- tunnel frames

/** Tunnel types {@link tunnelFrame} builds (`vxlan-gbp`: VXLAN with the G bit and a Group Policy ID). */
export type TunnelFrameType = 'vxlan' | 'vxlan-gbp' | 'vxlan-gpe' | 'geneve' | 'nvgre' | 'stt';
/** Every {@link TunnelFrameType}. */
export const TUNNEL_FRAME_TYPES: readonly TunnelFrameType[] = ['vxlan', 'vxlan-gbp', 'vxlan-gpe', 'geneve', 'nvgre', 'stt'];

/** Options of {@link tunnelFrame}. */
export interface TunnelFrameOptions {
  /** One type or a list to pick from (default all of {@link TUNNEL_FRAME_TYPES}). */
  readonly type?: TunnelFrameType | readonly TunnelFrameType[];
  /** Outer IP version (default either). */
  readonly underlay?: 4 | 6;
  /**
   * The tunnel payload: `'ethernet'` (default), `'ip'` or `'any'` (bare IP packets where the tunnel can
   * carry them: VXLAN-GPE and Geneve; the other types always carry Ethernet), or an arbitrary of
   * payloads (a bare IP packet for an Ethernet-only type is a `RangeError`).
   */
  readonly inner?: 'ethernet' | 'ip' | 'any' | fc.Arbitrary<InnerPacket>;
  /** Most L4 payload bytes of the generated inner packets (default 64). */
  readonly maxPayloadLength?: number;
  /** Most VLAN tags on the outer Ethernet header (default 1). */
  readonly outerVlans?: number;
  /**
   * Fixed outer addresses (IPv4 or IPv6 text; the underlay follows their family) and MACs, e.g. your
   * VTEP's, so that the frames reach your datapath's tunnel code instead of its "not for me" check.
   */
  readonly outer?: { readonly src?: string; readonly dst?: string; readonly srcMac?: string; readonly dstMac?: string };
  /** A fixed tunnel ID (VNI / VSID: 24 bits; STT Context ID: 64 bits) instead of any. */
  readonly tunnelId?: bigint;
  /**
   * UDP destination port of VXLAN, VXLAN-GPE and Geneve frames (default VXLAN 4789 or 8472, VXLAN-GPE 4790,
   * Geneve 6081). Decode other ports with `walkPacket(bytes, { udpPorts })` (and `mutated(..., { walk })`).
   */
  readonly dstPort?: number;
  /** Geneve options (default: raw options over the whole domain mixed with typed ones from `registry`, R bits 0). */
  readonly geneveOptions?: fc.Arbitrary<readonly GeneveOption[]>;
  /** Registry of the typed Geneve options mixed in (default the built-ins). */
  readonly registry?: OptionRegistry;
  /** STT: `'one'` segment (default: `bytes` is the whole frame), `'many'` (2..8 segments) or `'any'`. */
  readonly sttSegments?: 'one' | 'many' | 'any';
}

/** Byte offsets inside {@link TunnelFrame.bytes}. */
export interface TunnelFrameOffsets {
  /** Outer IP header. */
  readonly ip: number;
  /** Outer UDP, GRE or (STT) TCP header. */
  readonly l4: number;
  /** Tunnel header (for NVGRE the GRE header, so equal to `l4`). */
  readonly tunnel: number;
  /** Tunnel payload (STT: in the first segment). */
  readonly inner: number;
}

interface TunnelFrameBase {
  /** The complete Ethernet frame (no FCS). STT: the first (or only) segment. */
  readonly bytes: Uint8Array;
  /** VNI, VSID or STT Context ID. */
  readonly tunnelId: bigint;
  /** The tunnel payload (an Ethernet frame, or a bare IP packet when `inner.etherType` is 0x0800/0x86dd). */
  readonly innerFrame: Uint8Array;
  /** What the payload is. */
  readonly inner: InnerPacket;
  readonly underlay: 4 | 6;
  /** Outer headers as emitted (STT: those of the first segment). */
  readonly outer: { readonly eth: EthernetFields; readonly ip: Ipv4Fields | Ipv6Fields; readonly udp?: UdpFields };
  readonly offsets: TunnelFrameOffsets;
}

/** A whole encapsulated frame and what went into it; `header` is the tunnel header as emitted. */
export type TunnelFrame =
  | (TunnelFrameBase & { readonly type: 'vxlan' | 'vxlan-gbp'; readonly header: VxlanFields })
  | (TunnelFrameBase & { readonly type: 'vxlan-gpe'; readonly header: VxlanGpeFields })
  | (TunnelFrameBase & { readonly type: 'geneve'; readonly header: GeneveFields })
  | (TunnelFrameBase & { readonly type: 'nvgre'; readonly header: NvgreFields })
  | (TunnelFrameBase & {
      readonly type: 'stt';
      readonly header: SttFields;
      /** Every segment in offset order, each a complete Ethernet frame (`segments[0] === bytes`). */
      readonly segments: readonly Uint8Array[];
      /** Frame identifier (TCP ACK of every segment). */
      readonly frameId: number;
      /** Most STT frame bytes per segment used to cut it. */
      readonly mss: number;
    });

interface OuterSpec {
  readonly eth: { readonly dst: string; readonly src: string; readonly vlans: readonly VlanTag[] };
  readonly ip: { readonly v: 4; readonly f: Ip4Spec } | { readonly v: 6; readonly f: Ip6Spec };
}

function outerSpec(o: TunnelFrameOptions, ipOptions: boolean): fc.Arbitrary<OuterSpec> {
  const fixed = o.outer ?? {};
  const families = [fixed.src, fixed.dst].filter((a): a is string => a !== undefined).map((a) => (ipFromText(a).length === 4 ? 4 : 6));
  if (families.some((f) => f !== families[0]) || (o.underlay !== undefined && families.length && families[0] !== o.underlay)) {
    throw new RangeError(`tunnelFrame: outer addresses ${fixed.src ?? ''} ${fixed.dst ?? ''} and underlay ${o.underlay ?? ''} disagree`);
  }
  const underlay = o.underlay ?? (families[0] as 4 | 6 | undefined);
  const addr = (a: string | undefined, any: fc.Arbitrary<string>): fc.Arbitrary<string> => (a === undefined ? any : fc.constant(a));
  const options = ipOptions ? ipv4Options() : fc.constant(new Uint8Array(0));
  const v4 = ip4Spec(options, addr(fixed.src, ipv4Address()), addr(fixed.dst, ipv4Address())).map((f) => ({ v: 4 as const, f }));
  const v6 = ip6Spec(addr(fixed.src, ipv6Address()), addr(fixed.dst, ipv6Address())).map((f) => ({ v: 6 as const, f }));
  return fc.record({
    eth: fc.record({ dst: addr(fixed.dstMac, macAddress()), src: addr(fixed.srcMac, macAddress()), vlans: fc.array(vlanTag(), { maxLength: o.outerVlans ?? 1 }) }),
    ip: underlay === 4 ? v4 : underlay === 6 ? v6 : fc.oneof(v4, v6),
  });
}

/** Outer Ethernet + IP for `payloadLength` bytes of `protocol`; returns the buffer and where the payload goes. */
function emitOuter(o: OuterSpec, protocol: number, payloadLength: number): { bytes: Uint8Array; ipAt: number; l4At: number; eth: EthernetFields; ip: Ipv4Fields | Ipv6Fields } {
  const eth: EthernetFields = { ...o.eth, etherType: o.ip.v === 4 ? EtherType.IPV4 : EtherType.IPV6 };
  const l2 = ethernetLength(eth);
  const hl = o.ip.v === 4 ? 20 + o.ip.f.options.length : IPV6_HEADER_LEN;
  const bytes = new Uint8Array(l2 + hl + payloadLength);
  emitEthernet(eth, bytes, 0);
  let ip: Ipv4Fields | Ipv6Fields;
  if (o.ip.v === 4) {
    ip = { ...o.ip.f, totalLength: hl + payloadLength, moreFragments: false, fragmentOffset: 0, protocol };
    emitIpv4(ip, bytes, l2);
  } else {
    ip = { ...o.ip.f, payloadLength, nextHeader: protocol };
    emitIpv6(ip, bytes, l2);
  }
  return { bytes, ipAt: l2, l4At: l2 + hl, eth, ip };
}

type UdpTunnel =
  | { readonly type: 'vxlan' | 'vxlan-gbp'; readonly header: VxlanFields }
  | { readonly type: 'vxlan-gpe'; readonly header: VxlanGpeFields }
  | { readonly type: 'geneve'; readonly header: GeneveFields };

function udpTunnelFrame(t: UdpTunnel, o: OuterSpec, srcPort: number, dstPort: number, zeroChecksum: boolean, inner: InnerPacket): TunnelFrame {
  const tLen = t.type === 'geneve' ? geneveLength(t.header) : VXLAN_HEADER_LEN;
  const udpLen = UDP_HEADER_LEN + tLen + inner.bytes.length;
  const { bytes, ipAt, l4At, eth, ip } = emitOuter(o, IpProto.UDP, udpLen);
  const tunnelAt = l4At + UDP_HEADER_LEN;
  emitUdp({ srcPort, dstPort, length: udpLen, checksum: 0 }, bytes, l4At);
  if (t.type === 'geneve') emitGeneve(t.header, bytes, tunnelAt);
  else if (t.type === 'vxlan-gpe') emitVxlanGpe(t.header, bytes, tunnelAt);
  else emitVxlan(t.header, bytes, tunnelAt);
  bytes.set(inner.bytes, tunnelAt + tLen);
  const checksum = o.ip.v === 4 && zeroChecksum ? 0 : udpChecksum(bytes, ipAt, l4At, bytes.length);
  put16(bytes, l4At + 6, checksum);
  const base = {
    bytes,
    tunnelId: BigInt(t.header.vni),
    innerFrame: bytes.subarray(tunnelAt + tLen),
    inner,
    underlay: o.ip.v,
    outer: { eth, ip, udp: { srcPort, dstPort, length: udpLen, checksum } },
    offsets: { ip: ipAt, l4: l4At, tunnel: tunnelAt, inner: tunnelAt + tLen },
  };
  return { ...base, ...t } as TunnelFrame;
}

function nvgreFrame(header: NvgreFields, o: OuterSpec, inner: InnerPacket): TunnelFrame {
  const { bytes, ipAt, l4At, eth, ip } = emitOuter(o, IpProto.GRE, NVGRE_HEADER_LEN + inner.bytes.length);
  emitNvgre(header, bytes, l4At);
  bytes.set(inner.bytes, l4At + NVGRE_HEADER_LEN);
  return {
    type: 'nvgre',
    header,
    bytes,
    tunnelId: BigInt(header.vsid),
    innerFrame: bytes.subarray(l4At + NVGRE_HEADER_LEN),
    inner,
    underlay: o.ip.v,
    outer: { eth, ip },
    offsets: { ip: ipAt, l4: l4At, tunnel: l4At, inner: l4At + NVGRE_HEADER_LEN },
  };
}

function sttFrame(header: SttFields, o: OuterSpec, srcPort: number, frameId: number, window: number, mssPick: number, many: boolean, inner: InnerPacket): TunnelFrame {
  const frameLength = STT_FRAME_HEADER_LEN + inner.bytes.length;
  // many: 2..8 segments; one: the whole frame in one segment.
  const minMss = Math.max(1, Math.ceil(frameLength / 8));
  let mss = many ? minMss + (mssPick % Math.max(1, frameLength - minMss)) : frameLength + (mssPick % (0x10000 - frameLength));
  if (many && inner.l4 === 'tcp') {
    // The first segment ends outside the inner TCP options: a first segment is decoded as a partial
    // frame, and a TCP header cut inside its options reads as a lying Data Offset, not as a cut.
    const tcpAt = STT_FRAME_HEADER_LEN + inner.l4Offset!;
    const tcpEnd = STT_FRAME_HEADER_LEN + inner.headerLength;
    if (mss >= tcpAt + 20 && mss < tcpEnd) mss = tcpEnd < frameLength ? tcpEnd : tcpAt + 19;
  }
  const ipOut =
    o.ip.v === 4
      ? { version: 4 as const, src: o.ip.f.src, dst: o.ip.f.dst, ttl: o.ip.f.ttl, dscp: o.ip.f.dscp, ecn: o.ip.f.ecn, identification: o.ip.f.identification, dontFragment: o.ip.f.dontFragment }
      : { version: 6 as const, src: o.ip.f.src, dst: o.ip.f.dst, hopLimit: o.ip.f.hopLimit, trafficClass: o.ip.f.trafficClass, flowLabel: o.ip.f.flowLabel };
  const segments = segmentSttFrame({ outer: { eth: o.eth, ip: ipOut }, srcPort, frameId, stt: header, innerFrame: inner.bytes, mss, window });
  const first = segments[0]!;
  const eth: EthernetFields = { ...o.eth, etherType: o.ip.v === 4 ? EtherType.IPV4 : EtherType.IPV6 };
  const ipAt = ethernetLength(eth);
  const hl = o.ip.v === 4 ? 20 : IPV6_HEADER_LEN;
  const l4At = ipAt + hl;
  const segPayload = first.length - l4At;
  const ip: Ipv4Fields | Ipv6Fields =
    o.ip.v === 4
      ? { ...o.ip.f, options: new Uint8Array(0), totalLength: hl + segPayload, moreFragments: false, fragmentOffset: 0, protocol: IpProto.TCP }
      : { ...o.ip.f, payloadLength: segPayload, nextHeader: IpProto.TCP };
  const tunnelAt = l4At + 20;
  const innerAt = tunnelAt + STT_FRAME_HEADER_LEN;
  const innerFrame = segments.length === 1 ? first.subarray(innerAt) : inner.bytes;
  return {
    type: 'stt',
    header,
    segments,
    frameId,
    mss,
    bytes: first,
    tunnelId: header.contextId,
    innerFrame,
    inner,
    underlay: o.ip.v,
    outer: { eth, ip },
    offsets: { ip: ipAt, l4: l4At, tunnel: tunnelAt, inner: innerAt },
  };
}

/** STT frame header fields that describe `inner` (IPv4/TCP flags, L4 offset; P clear: checksums are complete). */
function sttHeaderFor(inner: InnerPacket): fc.Arbitrary<SttFields> {
  return fc.tuple(sttFields({ strict: true }), fc.boolean()).map(([f, verified]) => ({
    ...f,
    flags: (verified ? 0x01 : 0) | (inner.l3 === 'ipv4' ? 0x04 : 0) | (inner.l4 === 'tcp' ? 0x08 : 0),
    l4Offset: inner.l4Offset ?? 0,
  }));
}

const ETHERNET_ONLY: ReadonlySet<TunnelFrameType> = new Set(['vxlan', 'vxlan-gbp', 'nvgre', 'stt']);

/**
 * A complete encapsulated Ethernet frame of one tunnel type: outer Ethernet (0..`outerVlans` tags), outer
 * IPv4 (well-formed options sometimes) or IPv6, UDP (VXLAN 4789/8472, VXLAN-GPE 4790, Geneve 6081; the
 * checksum computed, or 0 over IPv4), GRE (NVGRE) or STT's TCP-like segments (port 7471), the tunnel
 * header (I flag set, any VNI/VSID/Context ID, any GBP policy, GPE B/O flags, Geneve O bit and options with
 * the C bit consistent, STT flags describing the inner packet) and the payload, every length exact and
 * every checksum correct. Decodes with `walkPacket` with no error.
 */
export function tunnelFrame(opts: TunnelFrameOptions = {}): fc.Arbitrary<TunnelFrame> {
  const types = opts.type === undefined ? TUNNEL_FRAME_TYPES : typeof opts.type === 'string' ? [opts.type] : opts.type;
  if (types.length === 0) throw new RangeError('tunnelFrame: type must name at least one tunnel type');
  const maxPayloadLength = opts.maxPayloadLength ?? 64;
  const id = opts.tunnelId;
  if (id !== undefined && (id < 0n || id > (types.every((t) => t === 'stt') ? 0xffffffffffffffffn : 0xffffffn))) {
    throw new RangeError(`tunnelFrame: tunnelId ${id} does not fit (24 bits; 64 bits for STT only)`);
  }
  /** The header with the fixed tunnel ID, when there is one. */
  const withId = <H extends { readonly vni: number } | { readonly vsid: number }>(h: H): H =>
    id === undefined ? h : 'vni' in h ? { ...h, vni: Number(id) } : { ...h, vsid: Number(id) };
  const eth = innerEthernetFrame({ maxPayloadLength });
  const innerFor = (type: TunnelFrameType): fc.Arbitrary<InnerPacket> => {
    const inner = opts.inner ?? 'ethernet';
    if (typeof inner !== 'string') return inner;
    if (inner === 'ethernet' || ETHERNET_ONLY.has(type)) return eth;
    const ip = innerIpPacket({ maxPayloadLength });
    return inner === 'ip' ? ip : fc.oneof(eth, ip);
  };
  const checkInner = (type: TunnelFrameType, p: InnerPacket): void => {
    if (ETHERNET_ONLY.has(type) && p.etherType !== EtherType.TEB) throw new RangeError(`tunnelFrame: ${type} carries Ethernet frames only, got EtherType 0x${p.etherType.toString(16)}`);
  };
  const options = (): fc.Arbitrary<readonly GeneveOption[]> =>
    opts.geneveOptions ??
    geneveOptions({ strict: true, option: fc.oneof(geneveOption({ strict: true }), registeredOption(opts.registry ?? OptionRegistry.withBuiltins()).map((r) => r.option)) });
  const one = (type: TunnelFrameType): fc.Arbitrary<TunnelFrame> => {
    const outer = outerSpec(opts, type !== 'stt');
    return innerFor(type).chain((inner) => {
      checkInner(type, inner);
      switch (type) {
        case 'vxlan':
        case 'vxlan-gbp': {
          const header = vxlanFields({ gbp: type === 'vxlan-gbp' }).map((f) => withId({ ...f, vniValid: true }));
          return fc
            .record({ header, outer, srcPort: uint(16), dstPort: opts.dstPort === undefined ? fc.constantFrom(VXLAN_UDP_PORT, VXLAN_LINUX_UDP_PORT) : fc.constant(opts.dstPort), zero: fc.boolean() })
            .map((r) => udpTunnelFrame({ type, header: r.header }, r.outer, r.srcPort, r.dstPort, r.zero, inner));
        }
        case 'vxlan-gpe': {
          const np = inner.etherType === EtherType.TEB ? GpeNextProtocol.ETHERNET : inner.etherType === EtherType.IPV4 ? GpeNextProtocol.IPV4 : GpeNextProtocol.IPV6;
          const header = vxlanGpeFields().map((f) => withId({ ...f, vniValid: true, nextProtocolPresent: true, nextProtocol: np }));
          return fc
            .record({ header, outer, srcPort: uint(16), zero: fc.boolean() })
            .map((r) => udpTunnelFrame({ type, header: r.header }, r.outer, r.srcPort, opts.dstPort ?? VXLAN_GPE_UDP_PORT, r.zero, inner));
        }
        case 'geneve': {
          const header = geneveFields({ strict: true, protocolType: fc.constant(inner.etherType), options: options() }).map(withId);
          return fc
            .record({ header, outer, srcPort: uint(16), zero: fc.boolean() })
            .map((r) => udpTunnelFrame({ type, header: r.header }, r.outer, r.srcPort, opts.dstPort ?? GENEVE_UDP_PORT, r.zero, inner));
        }
        case 'nvgre':
          return fc.record({ header: nvgreFields().map(withId), outer }).map((r) => nvgreFrame(r.header, r.outer, inner));
        case 'stt': {
          const seg = opts.sttSegments ?? 'one';
          return fc
            .record({
              header: sttHeaderFor(inner).map((h) => (id === undefined ? h : { ...h, contextId: id })),
              outer,
              srcPort: uint(16),
              frameId: uint(32),
              window: fc.oneof(fc.constant(0), fc.constant(0xffff), uint(16)),
              mssPick: fc.nat(),
              many: seg === 'one' ? fc.constant(false) : seg === 'many' ? fc.constant(true) : fc.boolean(),
            })
            .map((r) => sttFrame(r.header, r.outer, r.srcPort, r.frameId, r.window, r.mssPick, r.many, inner));
        }
      }
    });
  };
  return fc.oneof(...types.map(one));
}

