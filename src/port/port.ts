/**
 * A tunnel port (an Open vSwitch vport / a Linux VXLAN, Geneve or GRE device in userspace): it
 * encapsulates inner frames into wire frames and decapsulates received frames, applying the policy a
 * tunnel endpoint owes its peers, and counts what it did.
 *
 * Transmit ({@link TunnelPort.encapsulate}): remote and tunnel ID fixed or per packet (flow-based, OVS
 * `remote_ip=flow` / `key=flow`); header templates built once per flow and patched per packet
 * (template.ts, OVS `netdev_tnl_push_udp_header`); outer TTL and DSCP fixed or inherited from the inner
 * IPv4/IPv6 header (Linux `ttl inherit` / `tos inherit`, OVS `options:ttl|tos=inherit`; non-IP inner
 * packets get TTL 64 and DSCP 0); outer ECN by RFC 6040 normal mode, or Linux's `INET_ECN_encapsulate`
 * (inner CE → outer ECT(0)) with `ecnMode: 'linux'` (ecn.ts); IPv4 DF set, unset or inherited (Linux
 * `VXLAN_DF_INHERIT`: DF for an inner IPv4 packet with DF and for any inner IPv6 packet); UDP source port
 * from the inner flow hash; outer UDP checksum on or off (default on over IPv6 only, RFC 6935/6936). An
 * inner packet whose encapsulation exceeds the underlay MTU is dropped (`mtu-exceeded`, VTEPs MUST NOT
 * fragment: RFC 7348 §4.3, RFC 7637 §4.4, GPE-12 §4) with an ICMP "fragmentation needed" / ICMPv6
 * "packet too big" to send back (icmp.ts). STT frames are cut into segments in software
 * (`segmentSttFrame`, MSS = underlay MTU − IP − 20).
 *
 * Receive ({@link TunnelPort.decapsulate}) checks in Open vSwitch order and drops with a counted
 * reason and a message giving the measured numbers:
 * 1. outer Ethernet/VLAN, IP header and lengths (`truncated`, `malformed` for a bad IHL/length or an outer
 *    IP fragment, which a VTEP MAY discard: RFC 7348 §4.3), the IPv4 header checksum (`bad-checksum`);
 * 2. is it ours: IP family, destination = `local`, IP protocol (`not-tunnel`), UDP/TCP destination port
 *    (`wrong-tunnel-type` when the port is another tunnel's well-known port, else `not-tunnel`);
 * 3. L4 checksum: a nonzero UDP checksum must verify, a zero one is refused over IPv6 unless
 *    `udp6ZeroChecksumRx` (RFC 6936); GRE checksum (RFC 2784); the STT TCP checksum (`bad-checksum`);
 * 4. tunnel header: length (`truncated`), version (`bad-version`), flags and reserved bits
 *    (`reserved-bits`: VXLAN I clear always; reserved bits as Linux `vxlan_rcv` and OVS
 *    `netdev_vxlan_pop_header` drop them, unless `vxlanReservedBits: 'ignore'`; GPE likewise; GRE flags
 *    other than C/K/S), not NVGRE (`wrong-tunnel-type`: no key or protocol ≠ 0x6558);
 * 5. sender (`sender-not-allowed`), tunnel ID (`wrong-tunnel-id`, NVGRE reserved VSIDs included unless
 *    `allowReservedVsid`), Geneve critical options the registry does not know (`unknown-critical-option`,
 *    RFC 8926 §3.5), inner Ethernet header (`truncated`), NVGRE inner 802.1Q tag (`inner-vlan`, RFC 7637 §3.3);
 * 6. RFC 6040 §4.2: inner Not-ECT under outer CE is dropped (`ecn-not-ect-ce`); otherwise outer CE (and
 *    inner ECT(0) under outer ECT(1)) is written into the inner IPv4 header (checksum fixed
 *    incrementally) or IPv6 header **in place: decapsulation modifies the inner bytes of the frame it
 *    is given** (or of the reassembled STT frame).
 * STT segments go through an {@link SttReassembler} the port owns; a segment that does not complete a
 * frame is counted as `stt-incomplete` (not an error). If any segment of a frame carried CE, CE is
 * propagated (STT-08 §3.3.1).
 *
 * Allocation: per packet, encapsulation allocates only its result object (plus, for flow-based ports,
 * Geneve options from the metadata or GBP, the template-cache key string; a new flow builds its template
 * once). STT segmentation allocates the segments (`segmentSttFrame` builds them in a new buffer, then
 * they are copied into `out`). Decapsulation allocates the result, the {@link TunnelMetadata} with its
 * address strings and, for Geneve, the option objects (their data alias the frame). Views are reused.
 *
 * Browser-safe: no `node:` imports, no Buffer.
 */
import { formatIpv4, formatIpv6, ipFromText, macFromText, put16, toHex, u16, u24, u32, u64 } from '../net/bytes.js';
import { fold, internetChecksum, onesSum } from '../net/checksum.js';
import { EtherType, isVlanTpid } from '../net/ethernet.js';
import { GRE_FLAG_C, GRE_FLAG_K, GRE_FLAG_S, GRE_VERSION_MASK, verifyGreChecksum } from '../net/gre.js';
import { Ipv4View } from '../net/ipv4.js';
import { Ipv6ExtWalker, Ipv6View } from '../net/ipv6.js';
import { TcpView } from '../net/tcp.js';
import { l4ChecksumValid, pseudoHeaderSum } from '../net/udp.js';
import { geneveOptionsLength, emitGeneve, type GeneveOption } from '../geneve/fields.js';
import { GENEVE_MAX_OPTIONS_LEN, GENEVE_UDP_PORT } from '../geneve/header.js';
import { GENEVE_OPT_CURRENT, GeneveOptionCursor } from '../geneve/options.js';
import { VXLAN_GPE_UDP_PORT, GpeNextProtocol } from '../vxlan/gpe.js';
import { VXLAN_LINUX_UDP_PORT, VXLAN_UDP_PORT } from '../vxlan/header.js';
import { isReservedVsid } from '../nvgre/header.js';
import { emitStt } from '../stt/fields.js';
import { emitSttSegmentTcp, STT_FLAG_CSUM_PARTIAL, STT_FLAG_IPV4, STT_FLAG_TCP, STT_FRAME_HEADER_LEN, STT_MAX_FRAME_LEN, STT_TCP_PORT } from '../stt/header.js';
import { SttReassembler, type SttReassemblerOptions } from '../stt/reassembly.js';
import { OptionRegistry } from '../tlv/registry.js';
import type { TunnelMetadata, TunnelType } from '../tlv/metadata.js';
import { deriveOffloadDescriptor, type OffloadDescriptor } from '../offload-hints/descriptor.js';
import { segmentSttFrame } from '../offload-hints/stt-segment.js';
import type { UdpTunnelKind } from '../walk/walker.js';
import { buildTemplate, innerFlowHash, pushHeader, sourcePort, type HeaderTemplate, type InnerKind, type TemplateConfig } from './template.js';
import { ECN_CE, ECN_DROP, ecnDecapsulate, ecnEncapsulate, ecnName, ipTos, locateInnerIp, setIpEcn, type EcnEncapMode, type InnerIp } from './ecn.js';
import { mtuExceededReply } from './icmp.js';
import type { DecapResult, DropReason, EncapResult, PortConfig, PortStats, PortType, TunnelPortLike } from './types.js';

/**
 * {@link PortConfig} plus the options this implementation adds (candidates for `types.ts`).
 */
export interface TunnelPortConfig extends PortConfig {
  /** Outer ECN on encapsulation: RFC 6040 normal mode (default), or Linux `INET_ECN_encapsulate` (inner CE → outer ECT(0)). */
  readonly ecnMode?: EcnEncapMode;
  /**
   * VXLAN / VXLAN-GPE reserved bits on receive: `'drop'` (default, as Linux `vxlan_rcv` and OVS userspace)
   * or `'ignore'` (RFC 7348 §5). A clear I flag is always dropped (no valid VNI).
   */
  readonly vxlanReservedBits?: 'drop' | 'ignore';
  /** NVGRE: allow the reserved VSIDs 0x000000–0x000fff and 0xffffff (RFC 7637 §3.4) on transmit and receive. Default false. */
  readonly allowReservedVsid?: boolean;
  /**
   * Geneve: the most option bytes a packet carries, for MTU sizing (RFC 8926 §4.4.1: assume the
   * maximum). Default: the configured options' length (as Linux `options_len`). At most 252.
   */
  readonly geneveMaxOptionsLength?: number;
  /** Default of {@link EncapOptions.deviceOffload}. */
  readonly deviceOffload?: boolean;
  /** Most header templates kept (default 1024; the oldest is evicted). */
  readonly templateCacheLimit?: number;
  /** Limits of the STT reassembler (defaults as OVS: 4 MiB, 256 frames, 30 s). */
  readonly sttReassembly?: SttReassemblerOptions;
}

/** Per-call options of {@link TunnelPort.encapsulate}. */
export interface EncapOptions {
  /**
   * Leave checksums to the device: the outer UDP checksum field gets the non-complemented pseudo-header
   * sum (Linux/OVS `CHECKSUM_PARTIAL` seed, length included) and the result carries the
   * {@link OffloadDescriptor} (`deriveOffloadDescriptor` of the frame written). Only when the inner packet
   * is TCP or UDP over IP; otherwise checksums are completed in software and no descriptor is returned.
   * STT: one TCP super-segment (as OVS hands to the NIC's TSO) with the outer TCP checksum seeded, the STT
   * P/IPv4/TCP flags, L4 offset and MSS set from the descriptor; the device segments it at {@link TunnelPort.sttMss}.
   */
  readonly deviceOffload?: boolean;
  /** Inner L4 checksum state to describe in offload mode (default `'partial'`, as `deriveOffloadDescriptor`). */
  readonly innerCsum?: 'partial' | 'none';
  /** Offload mode: ask the device to segment the inner packet with this MSS (the MTU check then applies per segment). */
  readonly gsoSize?: number;
  /**
   * What `inner` is: 0x6558 (Ethernet, default), 0x0800 or 0x86dd (an L3 packet; VXLAN-GPE and Geneve
   * only). For VXLAN-GPE `meta.gpeNextProtocol` (1, 2, 3) says the same.
   */
  readonly innerEtherType?: number;
}

/** Per-call options of {@link TunnelPort.decapsulate}. */
export interface DecapOptions {
  /** The device verified the checksums (Linux `CHECKSUM_UNNECESSARY`): skip their software verification. */
  readonly checksumVerified?: boolean;
}

/** Result of {@link TunnelPort.encapsulatePayload}. */
export type PayloadEncapResult =
  | {
      readonly ok: true;
      /** Bytes written at `offset`: tunnel header + inner frame (the UDP payload). */
      readonly length: number;
      /** Address to send the datagram to (canonical text). */
      readonly remote: string;
      /** UDP destination port. */
      readonly dstPort: number;
      /** UDP source port to bind/send from for this flow (flow hash in `srcPortRange`). */
      readonly srcPort: number;
    }
  | Extract<EncapResult, { ok: false }>;

/** Sender of a datagram received on a UDP socket. */
export interface PayloadSender {
  readonly address: string;
  readonly port: number;
}

const DEFAULT_DST_PORT: Record<PortType, number> = { vxlan: VXLAN_UDP_PORT, 'vxlan-gpe': VXLAN_GPE_UDP_PORT, geneve: GENEVE_UDP_PORT, nvgre: 0, stt: STT_TCP_PORT };
/** Well-known ports of tunnel types, to tell "another tunnel" from "not a tunnel". */
const KNOWN_UDP_PORTS = new Set([VXLAN_UDP_PORT, VXLAN_LINUX_UDP_PORT, VXLAN_GPE_UDP_PORT, GENEVE_UDP_PORT]);
const MAX_24 = 0xffffffn;
const MAX_64 = 0xffffffffffffffffn;
const TCP_LEN = 20;
const NO_OPTIONS: readonly GeneveOption[] = [];
const NO_ENCAP_OPTS: EncapOptions = {};
const NO_DECAP_OPTS: DecapOptions = {};

type Drop = Extract<DecapResult, { ok: false }>;

/** What the outer headers said, filled per received packet (reused object). */
interface Outer {
  buf: Uint8Array;
  srcAt: number;
  /** 0 when the sender came from a socket (no IP header seen). */
  ipVersion: 0 | 4 | 6;
  ipSrc: string;
  tos: number;
  ttl: number;
  df: boolean;
  tpSrc: number;
  tpDst: number;
  checksum: boolean;
}

function sameBytes(a: Uint8Array, b: Uint8Array, at: number): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[at + i]) return false;
  return true;
}

function isUnspecified(a: Uint8Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i]) return false;
  return true;
}

function hex(n: number | bigint, w = 0): string {
  return `0x${n.toString(16).padStart(w, '0')}`;
}

/** The tunnel port. See the module comment for what it checks and in which order. */
export class TunnelPort implements TunnelPortLike {
  readonly config: TunnelPortConfig;
  readonly type: PortType;
  readonly tunnelType: TunnelType;
  readonly overhead: number;
  readonly innerMtu: number;
  readonly stats: PortStats = { rxPackets: 0, rxBytes: 0, txPackets: 0, txBytes: 0, drops: {} };
  /** The reassembler of received STT segments (STT ports). */
  readonly sttReassembler: SttReassembler;
  /** Option registry for the critical-option policy. */
  readonly registry: OptionRegistry;
  /** UDP (or STT TCP) destination port. */
  readonly dstPort: number;
  /** Underlay MTU (IP packet size). */
  readonly mtu: number;

  private readonly v6: boolean;
  private readonly ipLen: number;
  private readonly local: Uint8Array;
  private readonly localText: string;
  private readonly remote: Uint8Array | null;
  private readonly remoteText: string | null;
  private readonly senders: Uint8Array[] | null;
  private readonly fixedId: bigint | null;
  private readonly acceptIds: Set<bigint> | null;
  private readonly udpChecksum: boolean;
  private readonly ecnMode: EcnEncapMode;
  private readonly strictReserved: boolean;
  private readonly configOptions: readonly GeneveOption[];
  private readonly configOptionsLength: number;
  private readonly sizingOptionsLength: number;
  private readonly templateLimit: number;
  private readonly templates = new Map<string, HeaderTemplate>();
  private readonly fastKeys: Record<string, string> = {};
  private readonly sttOuter = new Map<string, Uint8Array>();
  private readonly sttCe = new Map<string, boolean>();
  private built = 0;
  private ipId = 0;
  private frameId = 1;
  // Reused per packet.
  private readonly v4view = Ipv4View.empty();
  private readonly v6view = Ipv6View.empty();
  private readonly ext = new Ipv6ExtWalker();
  private readonly tcp = TcpView.empty();
  private readonly cursor = new GeneveOptionCursor();
  private readonly innerIp: InnerIp = { offset: 0, version: 0 };
  private readonly outer: Outer = { buf: new Uint8Array(0), srcAt: 0, ipVersion: 0, ipSrc: '', tos: 0, ttl: 0, df: false, tpSrc: 0, tpDst: 0, checksum: false };
  private udpWalkPorts: ReadonlyMap<number, UdpTunnelKind> | undefined;
  private lastSenderText = '';
  private lastRouteText = '';
  private lastRoute = '';
  private lastSender: Uint8Array = new Uint8Array(0);

  /**
   * @throws RangeError on a bad configuration: an unknown type, unparsable or mixed-family addresses,
   * a tunnel ID outside 24 bits (STT: 64 bits) or a reserved NVGRE VSID, ports, TTL (8 bits), DSCP
   * (6 bits) or MTU out of range, GBP on a non-VXLAN port, Geneve options on a non-Geneve port or over
   * 252 bytes, VXLAN-GPE over IPv4 without DF (GPE-12 §4.2), bad MACs.
   */
  constructor(config: TunnelPortConfig) {
    this.config = config;
    const type = config.type;
    if (!(type in DEFAULT_DST_PORT)) throw new RangeError(`unknown port type ${String(type)}`);
    this.type = type;
    this.tunnelType = type;
    this.local = ipFromText(config.local);
    this.v6 = this.local.length === 16;
    this.localText = this.v6 ? formatIpv6(this.local, 0) : formatIpv4(this.local, 0);
    this.ipLen = this.v6 ? 40 : 20;
    const family = (s: string, what: string): Uint8Array => {
      const a = ipFromText(s);
      if (a.length !== this.local.length) throw new RangeError(`${what} ${s} is not of the family of local ${config.local}`);
      return a;
    };
    if (config.remote === 'flow') {
      this.remote = null;
      this.remoteText = null;
    } else {
      this.remote = family(config.remote, 'remote');
      if (isUnspecified(this.remote)) throw new RangeError(`remote ${config.remote} is unspecified`);
      this.remoteText = this.v6 ? formatIpv6(this.remote, 0) : formatIpv4(this.remote, 0);
    }
    const accept = (config.acceptRemotes ?? []).map((s) => family(s, 'acceptRemotes entry'));
    this.senders = this.remote ? [this.remote, ...accept] : accept.length ? accept : null;
    const maxId = type === 'stt' ? MAX_64 : MAX_24;
    const checkId = (id: unknown, what: string): bigint => {
      if (typeof id !== 'bigint' || id < 0n || id > maxId) throw new RangeError(`${what} must be a bigint in 0..${hex(maxId)} (${type === 'stt' ? 64 : 24} bits), got ${String(id)}`);
      if (type === 'nvgre' && !config.allowReservedVsid && isReservedVsid(Number(id))) {
        throw new RangeError(`${what} ${hex(id, 6)} is a reserved NVGRE VSID (RFC 7637 §3.4: 0x000000-0x000fff, 0xffffff); set allowReservedVsid`);
      }
      return id;
    };
    this.fixedId = config.tunnelId === 'flow' ? null : checkId(config.tunnelId, 'tunnelId');
    if (config.acceptTunnelIds) this.acceptIds = new Set(config.acceptTunnelIds.map((id, i) => checkId(id, `acceptTunnelIds[${i}]`)));
    else this.acceptIds = this.fixedId === null ? null : new Set([this.fixedId]);
    const dstPort = config.dstPort ?? DEFAULT_DST_PORT[type];
    if (!Number.isInteger(dstPort) || dstPort < 0 || dstPort > 0xffff) throw new RangeError(`dstPort must be 0..65535, got ${dstPort}`);
    this.dstPort = dstPort;
    const [pmin, pmax] = config.srcPortRange ?? [32768, 61000];
    if (!Number.isInteger(pmin) || !Number.isInteger(pmax) || pmin < 1 || pmax > 0xffff || pmin > pmax) throw new RangeError(`srcPortRange must be [min, max] within 1..65535, got [${pmin}, ${pmax}]`);
    if (config.ttl !== undefined && config.ttl !== 'inherit' && (!Number.isInteger(config.ttl) || config.ttl < 1 || config.ttl > 255)) throw new RangeError(`ttl must be 1..255 or 'inherit', got ${config.ttl}`);
    if (config.dscp !== undefined && config.dscp !== 'inherit' && (!Number.isInteger(config.dscp) || config.dscp < 0 || config.dscp > 63)) throw new RangeError(`dscp must be 0..63 (6 bits) or 'inherit', got ${config.dscp}`);
    if (config.df !== undefined && !['set', 'unset', 'inherit'].includes(config.df)) throw new RangeError(`df must be set, unset or inherit, got ${String(config.df)}`);
    if (type === 'vxlan-gpe' && !this.v6 && config.df !== undefined && config.df !== 'set') throw new RangeError(`VXLAN-GPE over IPv4 must set DF (GPE-12 §4.2), got df ${config.df}`);
    if (config.gbp && type !== 'vxlan') throw new RangeError(`gbp applies to vxlan ports only, not ${type}`);
    if (config.geneveOptions?.length && type !== 'geneve') throw new RangeError(`geneveOptions apply to geneve ports only, not ${type}`);
    if (config.ecnMode !== undefined && !['rfc6040', 'linux', 'compat'].includes(config.ecnMode)) throw new RangeError(`ecnMode must be rfc6040, linux or compat, got ${String(config.ecnMode)}`);
    this.ecnMode = config.ecnMode ?? 'rfc6040';
    this.strictReserved = (config.vxlanReservedBits ?? 'drop') === 'drop';
    this.configOptions = config.geneveOptions ?? [];
    this.configOptionsLength = geneveOptionsLength(this.configOptions);
    if (this.configOptions.length) emitGeneve({ version: 0, control: false, critical: false, reservedFlags: 0, protocolType: 0x6558, vni: 0, reserved: 0, options: this.configOptions }, new Uint8Array(8 + this.configOptionsLength)); // validates
    const sizing = config.geneveMaxOptionsLength ?? this.configOptionsLength;
    if (!Number.isInteger(sizing) || sizing < this.configOptionsLength || sizing > GENEVE_MAX_OPTIONS_LEN || sizing % 4) throw new RangeError(`geneveMaxOptionsLength must be a multiple of 4 in ${this.configOptionsLength}..${GENEVE_MAX_OPTIONS_LEN}, got ${sizing}`);
    this.sizingOptionsLength = type === 'geneve' ? sizing : 0;
    macFromText(config.localMac ?? '02:00:00:00:00:01');
    macFromText(config.remoteMac ?? '02:00:00:00:00:02');
    this.udpChecksum = config.udpChecksum ?? this.v6;
    this.registry = config.registry ?? OptionRegistry.withBuiltins();
    this.templateLimit = config.templateCacheLimit ?? 1024;
    if (!Number.isInteger(this.templateLimit) || this.templateLimit < 1) throw new RangeError(`templateCacheLimit must be a positive integer, got ${this.templateLimit}`);
    this.sttReassembler = new SttReassembler(config.sttReassembly ?? {});
    const mtu = config.mtu ?? 1500;
    const minMtu = this.v6 ? 1280 : 68;
    if (!Number.isInteger(mtu) || mtu < minMtu || mtu > 0xffff) throw new RangeError(`mtu must be an integer in ${minMtu}..65535 (IP packet size), got ${mtu}`);
    this.mtu = mtu;
    const l4 = type === 'nvgre' ? 0 : type === 'stt' ? TCP_LEN : 8;
    const tun = type === 'geneve' ? 8 + this.configOptionsLength : type === 'stt' ? STT_FRAME_HEADER_LEN : 8;
    this.overhead = 14 + this.ipLen + l4 + tun;
    this.innerMtu = type === 'stt' ? STT_MAX_FRAME_LEN - STT_FRAME_HEADER_LEN : mtu - this.ipLen - l4 - 8 - this.sizingOptionsLength;
    if (type !== 'stt' && this.innerMtu < 14) throw new RangeError(`mtu ${mtu} leaves no room for an inner frame (${this.innerMtu} bytes)`);
    if (type === 'stt' && this.sttMss < 1) throw new RangeError(`mtu ${mtu} leaves no room for STT segment data`);
  }

  /** STT: data bytes per segment, `mtu − IP header − 20` (OVS `gso_size = dst_mtu − 40` over IPv4). */
  get sttMss(): number {
    return this.mtu - this.ipLen - TCP_LEN;
  }

  /** Header templates built so far (a flow's template is built once and reused). */
  get templatesBuilt(): number {
    return this.built;
  }

  /** Templates in the cache now. */
  get templateCacheSize(): number {
    return this.templates.size + this.sttOuter.size;
  }

  // ───────────────────────────── transmit ─────────────────────────────

  /**
   * Encapsulate `inner` (an Ethernet frame, or an L3 packet for VXLAN-GPE/Geneve, see
   * {@link EncapOptions.innerEtherType}) and write the wire frame (or STT segments back to back) into
   * `out` at `offset`. `inner` may already sit in `out` at `offset + header length` (headroom): then it
   * is not copied. From `meta`: `ipDst` (flow-based remote), `tunnelId` (flow-based ID), `gbp` (GBP
   * ports), `geneveOptions` (after the configured ones), `flags.oam` (Geneve O bit), `flowId` (NVGRE;
   * default: the low byte of the inner flow hash), `gpeNextProtocol`.
   * Drops (counted): `no-route` (flow-based remote/ID missing or of the wrong family), `malformed` (an
   * ID, GBP value or options out of range, an L3 payload on an Ethernet-only tunnel), `mtu-exceeded`
   * (with `mtu` = the inner IP MTU and, for IP inner packets that may get one, `icmpReply`).
   * @throws RangeError when `out` is too small.
   */
  encapsulate(inner: Uint8Array, meta: Partial<TunnelMetadata>, out: Uint8Array, offset: number, opts: EncapOptions = NO_ENCAP_OPTS): EncapResult {
    const etherType = this.innerEtherTypeOf(meta, opts);
    if (typeof etherType === 'string') return this.txDrop('malformed', etherType);
    const route = this.route(meta);
    if (typeof route !== 'string') return this.txDrop('no-route', route.error);
    const id = this.txTunnelId(meta);
    if (typeof id === 'string') return this.txDrop(id.startsWith('no ') ? 'no-route' : 'malformed', id);
    const ip = locateInnerIp(inner, 0, inner.length, etherType, this.innerIp);
    const innerTos = ip.version ? ipTos(inner, ip.offset, ip.version) : 0;
    const c = this.config;
    const ttl = c.ttl === 'inherit' ? (ip.version === 4 ? inner[ip.offset + 8]! : ip.version === 6 ? inner[ip.offset + 7]! : 64) : (c.ttl ?? 64);
    const dscp = c.dscp === 'inherit' ? innerTos >>> 2 : (c.dscp ?? 0);
    const tos = (dscp << 2) | ecnEncapsulate(ip.version ? innerTos & 3 : 0, this.ecnMode);
    const df = this.dfFor(inner, ip);
    const offload = opts.deviceOffload ?? c.deviceOffload ?? false;
    if (this.type === 'stt') return this.encapStt(inner, route, id, tos, ttl, df, out, offset, offload, opts);

    const kind: InnerKind = etherType === EtherType.IPV4 ? 'ipv4' : etherType === EtherType.IPV6 ? 'ipv6' : 'ethernet';
    const t = this.template(route, id, kind, meta, offload);
    if (typeof t === 'string') return this.txDrop('malformed', t);
    const ipPacket = t.length - 14 + inner.length;
    const segmented = offload && opts.gsoSize !== undefined;
    if (ipPacket > this.mtu && !segmented) return this.mtuDrop(inner, etherType, t.length - 14, ip);
    const hash = innerFlowHash(inner, kind);
    const n = pushHeader(t, inner, out, offset, sourcePort(t, hash), this.ipId++ & 0xffff);
    const ipAt = offset + t.ipOffset;
    if (t.ipVersion === 4) {
      const b1 = out[ipAt + 1]!;
      const b8 = out[ipAt + 8]!;
      const b6 = out[ipAt + 6]!;
      const nb6 = df ? b6 | 0x40 : b6 & ~0x40;
      if (b1 !== tos || b8 !== ttl || b6 !== nb6) {
        out[ipAt + 1] = tos;
        out[ipAt + 8] = ttl;
        out[ipAt + 6] = nb6;
        put16(out, ipAt + 10, 0);
        put16(out, ipAt + 10, internetChecksum(out, ipAt, ipAt + 20));
      }
    } else {
      const w = u16(out, ipAt);
      put16(out, ipAt, (w & 0xf00f) | (tos << 4));
      out[ipAt + 7] = ttl;
    }
    if (this.type === 'nvgre') out[offset + t.tunnelOffset + 7] = meta.flowId !== undefined ? meta.flowId & 0xff : hash & 0xff;
    let offloadDesc: OffloadDescriptor | undefined;
    if (offload) {
      const frame = out.subarray(offset, offset + n);
      const d = deriveOffloadDescriptor(frame, {
        csum: opts.innerCsum ?? 'partial',
        outerUdpCsum: t.udp && this.udpChecksum,
        walk: { udpPorts: this.walkPorts() },
        ...(opts.gsoSize !== undefined ? { gsoSize: opts.gsoSize } : {}),
      });
      const udpAt = offset + t.l4Offset;
      if (d.ok) {
        offloadDesc = d.value;
        if (segmented) {
          // Largest wire segment (IP bytes): headers up to the inner payload + one MSS of payload.
          const hdrs = d.value.inner.l4Offset + d.value.inner.l4Length;
          const seg = hdrs - 14 + (d.value.gso ? d.value.gso.size : frame.length - hdrs);
          if (seg > this.mtu) return this.mtuDrop(inner, etherType, t.length - 14, ip, seg);
        }
        if (t.udp && this.udpChecksum) put16(out, udpAt + 6, fold(t.pseudoPartialSum + (n - t.l4Offset))); // non-complemented seed
      } else {
        if (ipPacket > this.mtu) return this.mtuDrop(inner, etherType, t.length - 14, ip);
        if (t.udp && this.udpChecksum) {
          const s = fold(pseudoHeaderSum(out, ipAt, 17, n - t.l4Offset) + onesSum(out, udpAt, offset + n));
          const cs = ~s & 0xffff;
          put16(out, udpAt + 6, cs === 0 ? 0xffff : cs);
        }
      }
    }
    this.stats.txPackets++;
    this.stats.txBytes += n;
    return offloadDesc ? { ok: true, length: n, segments: [n], offload: offloadDesc } : { ok: true, length: n, segments: [n] };
  }

  /**
   * Encapsulate for a UDP-socket transport: write only the tunnel header and `inner` (the UDP payload)
   * at `offset`, and say where to send it. Same metadata, drops and MTU rule as {@link TunnelPort.encapsulate}
   * (the kernel adds IP and UDP: the payload may be at most `mtu − IP header − 8` bytes).
   * @throws RangeError on an NVGRE or STT port (not UDP) or when `out` is too small.
   */
  encapsulatePayload(inner: Uint8Array, meta: Partial<TunnelMetadata>, out: Uint8Array, offset: number, opts: Pick<EncapOptions, 'innerEtherType'> = {}): PayloadEncapResult {
    if (this.type === 'nvgre' || this.type === 'stt') throw new RangeError(`${this.type} is not carried over UDP sockets`);
    const etherType = this.innerEtherTypeOf(meta, opts);
    if (typeof etherType === 'string') return this.txDrop('malformed', etherType);
    const route = this.route(meta);
    if (typeof route !== 'string') return this.txDrop('no-route', route.error);
    const id = this.txTunnelId(meta);
    if (typeof id === 'string') return this.txDrop(id.startsWith('no ') ? 'no-route' : 'malformed', id);
    const kind: InnerKind = etherType === EtherType.IPV4 ? 'ipv4' : etherType === EtherType.IPV6 ? 'ipv6' : 'ethernet';
    const t = this.template(route, id, kind, meta, false);
    if (typeof t === 'string') return this.txDrop('malformed', t);
    const hdr = t.length - t.tunnelOffset;
    if (t.length - 14 + inner.length > this.mtu) {
      return this.mtuDrop(inner, etherType, t.length - 14, locateInnerIp(inner, 0, inner.length, etherType, this.innerIp));
    }
    const total = hdr + inner.length;
    if (!Number.isInteger(offset) || offset < 0 || offset + total > out.length) throw new RangeError(`need ${total} bytes at ${offset}, buffer has ${out.length}`);
    out.set(t.bytes.subarray(t.tunnelOffset), offset);
    if (!(inner.buffer === out.buffer && inner.byteOffset === out.byteOffset + offset + hdr)) out.set(inner, offset + hdr);
    this.stats.txPackets++;
    this.stats.txBytes += total;
    return { ok: true, length: total, remote: route, dstPort: this.dstPort, srcPort: sourcePort(t, innerFlowHash(inner, kind)) };
  }

  private innerEtherTypeOf(meta: Partial<TunnelMetadata>, opts: Pick<EncapOptions, 'innerEtherType'>): number | string {
    let et = opts.innerEtherType;
    if (et === undefined && this.type === 'vxlan-gpe' && meta.gpeNextProtocol !== undefined) {
      const np = meta.gpeNextProtocol;
      et = np === GpeNextProtocol.IPV4 ? EtherType.IPV4 : np === GpeNextProtocol.IPV6 ? EtherType.IPV6 : np === GpeNextProtocol.ETHERNET ? EtherType.TEB : -1;
      if (et < 0) return `VXLAN-GPE next protocol ${np} is not supported (1 IPv4, 2 IPv6, 3 Ethernet)`;
    }
    et ??= EtherType.TEB;
    if (et !== EtherType.TEB && et !== EtherType.IPV4 && et !== EtherType.IPV6) return `inner EtherType ${hex(et, 4)} is not supported (0x6558, 0x0800, 0x86dd)`;
    if (et !== EtherType.TEB && this.type !== 'vxlan-gpe' && this.type !== 'geneve') return `${this.type} carries Ethernet frames only, not EtherType ${hex(et, 4)}`;
    return et;
  }

  /** The remote address text for this packet, or why there is none. */
  private route(meta: Partial<TunnelMetadata>): string | { readonly error: string } {
    if (this.remoteText !== null) return this.remoteText;
    const dst = meta.ipDst;
    if (dst === undefined) return { error: 'no remote: flow-based port and no ipDst in the metadata' };
    if (dst === this.lastRouteText) return this.lastRoute;
    let a: Uint8Array;
    try {
      a = ipFromText(dst);
    } catch {
      return { error: `no route: ipDst ${dst} is not an address` };
    }
    if (a.length !== this.local.length) return { error: `no route: ipDst ${dst} is not of the family of local ${this.localText}` };
    if (isUnspecified(a)) return { error: `no route: ipDst ${dst} is unspecified` };
    this.lastRouteText = dst;
    this.lastRoute = this.v6 ? formatIpv6(a, 0) : formatIpv4(a, 0);
    return this.lastRoute;
  }

  /** The tunnel ID for this packet, or a message ("no …" when missing). */
  private txTunnelId(meta: Partial<TunnelMetadata>): bigint | string {
    if (this.fixedId !== null) return this.fixedId;
    const id = meta.tunnelId;
    if (id === undefined) return 'no tunnel ID: flow-based port and no tunnelId in the metadata';
    const max = this.type === 'stt' ? MAX_64 : MAX_24;
    if (typeof id !== 'bigint' || id < 0n || id > max) return `tunnelId ${String(id)} out of range 0..${hex(max)}`;
    if (this.type === 'nvgre' && !this.config.allowReservedVsid && isReservedVsid(Number(id))) return `tunnelId ${hex(id, 6)} is a reserved NVGRE VSID (RFC 7637 §3.4)`;
    return id;
  }

  private dfFor(inner: Uint8Array, ip: InnerIp): boolean {
    const mode = this.config.df ?? 'set';
    if (this.type === 'vxlan-gpe' || mode === 'set') return true;
    if (mode === 'unset') return false;
    if (ip.version === 4) return (inner[ip.offset + 6]! & 0x40) !== 0;
    return ip.version === 6;
  }

  /** The template of this flow: cached by (remote, tunnel ID, payload kind, GBP, OAM, options, offload). */
  private template(remote: string, id: bigint, kind: InnerKind, meta: Partial<TunnelMetadata>, offload: boolean): HeaderTemplate | string {
    const gbp = this.config.gbp ? meta.gbp : undefined;
    const metaOptions = this.type === 'geneve' ? (meta.geneveOptions ?? NO_OPTIONS) : NO_OPTIONS;
    const oam = this.type === 'geneve' && meta.flags?.oam === true;
    const fixed = this.remoteText !== null && this.fixedId !== null && !gbp && metaOptions.length === 0 && !oam;
    let key: string;
    if (fixed) {
      const fk = offload ? `${kind}|o` : kind;
      key = this.fastKeys[fk] ??= `f|${fk}`;
    } else {
      key = `${remote}|${id}|${kind}|${offload ? 1 : 0}|${oam ? 1 : 0}|${gbp ? `${gbp.id}/${gbp.flags}` : '-'}`;
      for (const o of metaOptions) key += `|${o.optionClass}:${o.type}:${o.rbits}:${toHex(o.data)}`;
    }
    const have = this.templates.get(key);
    if (have) return have;
    const options = metaOptions.length ? [...this.configOptions, ...metaOptions] : this.configOptions;
    if (geneveOptionsLength(options) > GENEVE_MAX_OPTIONS_LEN) return `Geneve options total ${geneveOptionsLength(options)} bytes, more than ${GENEVE_MAX_OPTIONS_LEN}`;
    const c = this.config;
    const tc: { -readonly [K in keyof TemplateConfig]: TemplateConfig[K] } = {
      tunnel: this.type as TemplateConfig['tunnel'],
      vni: Number(id),
      src: this.localText,
      dst: remote,
      srcMac: c.localMac ?? '02:00:00:00:00:01',
      dstMac: c.remoteMac ?? '02:00:00:00:00:02',
      srcPortRange: c.srcPortRange ?? [32768, 61000],
      ttl: typeof c.ttl === 'number' ? c.ttl : 64,
      tos: typeof c.dscp === 'number' ? c.dscp << 2 : 0,
      df: (c.df ?? 'set') !== 'unset' || this.type === 'vxlan-gpe',
      udpChecksum: offload ? false : this.udpChecksum,
    };
    if (this.type !== 'nvgre') tc.dstPort = this.dstPort;
    if (options.length) tc.geneveOptions = options;
    if (oam) tc.oam = true;
    if (gbp) tc.gbp = { groupPolicyId: gbp.id, dontLearn: (gbp.flags & 0x40) !== 0, policyApplied: (gbp.flags & 0x08) !== 0 };
    let t: HeaderTemplate;
    try {
      t = buildTemplate(tc, kind);
    } catch (e) {
      return (e as Error).message;
    }
    if (this.templates.size >= this.templateLimit) this.templates.delete(this.templates.keys().next().value!);
    this.templates.set(key, t);
    this.built++;
    return t;
  }

  private walkPorts(): ReadonlyMap<number, UdpTunnelKind> {
    const kind: UdpTunnelKind = this.type === 'vxlan' ? 'vxlan' : this.type === 'vxlan-gpe' ? 'vxlan-gpe' : 'geneve';
    return (this.udpWalkPorts ??= new Map<number, UdpTunnelKind>([[this.dstPort, kind]]));
  }

  /**
   * Drop for size: `headerIp` = bytes the encapsulation adds to the IP packet (outer IP onwards, header
   * in front of `inner`). The reported MTU is the inner IP MTU: what fits, less the inner L2 header.
   */
  private mtuDrop(inner: Uint8Array, etherType: number, headerIp: number, ip: InnerIp, segmentIp = 0): Extract<EncapResult, { ok: false }> {
    const sizing = this.type === 'geneve' ? Math.max(headerIp, this.ipLen + 16 + this.sizingOptionsLength) : headerIp;
    const frameFit = this.type === 'stt' ? STT_MAX_FRAME_LEN - STT_FRAME_HEADER_LEN : this.mtu - sizing;
    const l2 = etherType === EtherType.TEB ? (ip.version ? ip.offset : 14) : 0;
    const mtu = Math.max(0, frameFit - l2);
    const icmp = mtuExceededReply(inner, etherType, mtu);
    const message = segmentIp
      ? `a segment of ${segmentIp} bytes exceeds the underlay MTU ${this.mtu}: inner IP MTU ${mtu}`
      : `inner ${etherType === EtherType.TEB ? 'frame' : 'packet'} of ${inner.length} bytes makes a ${this.type === 'stt' ? `${inner.length + STT_FRAME_HEADER_LEN}-byte STT frame (max ${STT_MAX_FRAME_LEN})` : `${headerIp + inner.length}-byte IP packet (underlay MTU ${this.mtu})`}: inner IP MTU ${mtu}`;
    this.count('mtu-exceeded');
    return icmp ? { ok: false, reason: 'mtu-exceeded', message, mtu, icmpReply: icmp } : { ok: false, reason: 'mtu-exceeded', message, mtu };
  }

  private encapStt(inner: Uint8Array, remote: string, id: bigint, tos: number, ttl: number, df: boolean, out: Uint8Array, offset: number, offload: boolean, opts: EncapOptions): EncapResult {
    const frameLength = STT_FRAME_HEADER_LEN + inner.length;
    const ip = this.innerIp;
    if (frameLength > STT_MAX_FRAME_LEN) return this.mtuDrop(inner, EtherType.TEB, this.ipLen + TCP_LEN + STT_FRAME_HEADER_LEN, ip);
    let tpl = this.sttOuter.get(remote);
    if (!tpl) {
      tpl = new Uint8Array(14 + this.ipLen);
      tpl.set(macFromText(this.config.remoteMac ?? '02:00:00:00:00:02'), 0);
      tpl.set(macFromText(this.config.localMac ?? '02:00:00:00:00:01'), 6);
      put16(tpl, 12, this.v6 ? EtherType.IPV6 : EtherType.IPV4);
      const r = ipFromText(remote);
      if (this.v6) {
        tpl[14] = 0x60;
        tpl[14 + 6] = 6;
        tpl.set(this.local, 14 + 8);
        tpl.set(r, 14 + 24);
      } else {
        tpl[14] = 0x45;
        tpl[14 + 9] = 6;
        tpl.set(this.local, 14 + 12);
        tpl.set(r, 14 + 16);
      }
      if (this.sttOuter.size >= this.templateLimit) this.sttOuter.delete(this.sttOuter.keys().next().value!);
      this.sttOuter.set(remote, tpl);
      this.built++;
    }
    // Per packet: TOS/TTL/DF/ID into the flow's outer template (segmentSttFrame rewrites lengths and checksums).
    if (this.v6) {
      put16(tpl, 14, 0x6000 | (tos << 4));
      tpl[14 + 7] = ttl;
    } else {
      tpl[15] = tos;
      put16(tpl, 14 + 4, this.ipId & 0xffff);
      tpl[14 + 6] = df ? 0x40 : 0;
      tpl[14 + 8] = ttl;
    }
    const [pmin, pmax] = this.config.srcPortRange ?? [32768, 61000];
    const hash = innerFlowHash(inner, 'ethernet');
    const srcPort = pmax <= pmin ? pmin : Math.floor((hash * (pmax - pmin)) / 4294967296) + pmin;
    const frameId = this.frameId >>> 0;
    this.frameId = (this.frameId + 1) >>> 0;
    const stt = { version: 0, flags: 0, l4Offset: 0, reserved: 0, mss: 0, pcp: 0, vlanValid: false, vlanId: 0, contextId: id, padding: 0 };
    if (offload) {
      const r = this.encapSttOffload(inner, tpl, srcPort, frameId, stt, out, offset, opts);
      if (r) return r;
    }
    const segs = segmentSttFrame({ outer: tpl, srcPort, dstPort: this.dstPort, frameId, stt, innerFrame: inner, mss: this.sttMss });
    this.ipId = (this.ipId + segs.length) & 0xffff;
    let total = 0;
    for (const s of segs) total += s.length;
    if (!Number.isInteger(offset) || offset < 0 || offset + total > out.length) throw new RangeError(`need ${total} bytes at ${offset}, buffer has ${out.length}`);
    const ends: number[] = [];
    let at = offset;
    for (const s of segs) {
      out.set(s, at);
      at += s.length;
      ends.push(at - offset);
    }
    this.stats.txPackets += segs.length;
    this.stats.txBytes += total;
    return { ok: true, length: total, segments: ends };
  }

  /** STT in offload mode: one super-segment, outer TCP checksum seeded; undefined when the inner packet cannot be offloaded. */
  private encapSttOffload(
    inner: Uint8Array,
    tpl: Uint8Array,
    srcPort: number,
    frameId: number,
    stt: { version: number; flags: number; l4Offset: number; reserved: number; mss: number; pcp: number; vlanValid: boolean; vlanId: number; contextId: bigint; padding: number },
    out: Uint8Array,
    offset: number,
    opts: EncapOptions,
  ): EncapResult | undefined {
    const frameLength = STT_FRAME_HEADER_LEN + inner.length;
    const tcpAt = offset + tpl.length;
    const total = tpl.length + TCP_LEN + frameLength;
    if (total - 14 > 0xffff) return undefined;
    if (!Number.isInteger(offset) || offset < 0 || offset + total > out.length) throw new RangeError(`need ${total} bytes at ${offset}, buffer has ${out.length}`);
    out.set(tpl, offset);
    const ipAt = offset + 14;
    if (this.v6) put16(out, ipAt + 4, total - 14 - 40);
    else {
      put16(out, ipAt + 2, total - 14);
      put16(out, ipAt + 10, 0);
      put16(out, ipAt + 10, internetChecksum(out, ipAt, ipAt + 20));
    }
    emitSttSegmentTcp({ srcPort, dstPort: this.dstPort, frameLength, fragmentOffset: 0, frameId, psh: true, window: 0, checksum: 0 }, out, tcpAt);
    emitStt(stt, out, tcpAt + TCP_LEN);
    out.set(inner, tcpAt + TCP_LEN + STT_FRAME_HEADER_LEN);
    const frame = out.subarray(offset, offset + total);
    const csum = opts.innerCsum ?? 'partial';
    const d = deriveOffloadDescriptor(frame, { csum, walk: { tcpPorts: new Map([[this.dstPort, 'stt' as const]]) } });
    if (!d.ok) return undefined;
    const innerAt = tpl.length + TCP_LEN + STT_FRAME_HEADER_LEN;
    const l4Offset = d.value.inner.l4Offset - innerAt;
    if (csum === 'partial') {
      if (l4Offset > 255) return undefined; // STT-08 §3.1: offload impossible
      const sttAt = tcpAt + TCP_LEN;
      out[sttAt + 1] = STT_FLAG_CSUM_PARTIAL | (d.value.inner.ipVersion === 4 ? STT_FLAG_IPV4 : 0) | (d.value.inner.l4Protocol === 6 ? STT_FLAG_TCP : 0);
      out[sttAt + 2] = l4Offset;
      put16(out, sttAt + 4, opts.gsoSize ?? 0);
    }
    put16(out, tcpAt + 16, fold(pseudoHeaderSum(out, ipAt, 6, total - tpl.length))); // non-complemented seed
    this.ipId = (this.ipId + 1) & 0xffff;
    this.stats.txPackets++;
    this.stats.txBytes += total;
    return { ok: true, length: total, segments: [total], offload: d.value };
  }

  // ───────────────────────────── receive ─────────────────────────────

  /**
   * Decapsulate a received Ethernet frame. On success `inner` is a subarray of `frame` (or of the
   * reassembled STT frame): copy it to keep it. **Modifies `frame` in place** when RFC 6040 propagates
   * CE (or ECT(1)) into the inner IP header. `nowMs` times STT reassembly (default 0).
   * Drops are counted under their reason; see the module comment for the order of the checks.
   */
  decapsulate(frame: Uint8Array, nowMs = 0, opts: DecapOptions = NO_DECAP_OPTS): DecapResult {
    const b = frame;
    const end = b.length;
    if (end < 14) return this.rxDrop('truncated', `outer Ethernet header: ${end} bytes, need 14`);
    let type = u16(b, 12);
    let at = 14;
    for (let tags = 0; isVlanTpid(type); tags++) {
      if (tags >= 8) return this.rxDrop('malformed', 'more than 8 outer VLAN tags');
      if (end - at < 4) return this.rxDrop('truncated', `outer VLAN tag at byte ${at - 2}: ${end - at + 2} bytes, need 4`);
      type = u16(b, at + 2);
      at += 4;
    }
    if (type !== EtherType.IPV4 && type !== EtherType.IPV6) return this.rxDrop('not-tunnel', `EtherType ${hex(type, 4)} is not IP`);
    const ipOff = at;
    const o = this.outer;
    o.buf = b;
    let proto: number;
    let l4: number;
    let pend: number;
    let dstAt = -1;
    if (type === EtherType.IPV4) {
      const v = this.v4view;
      const code = v.wrap(b, ipOff, end);
      if (code === 1 || code === 4) return this.rxDrop('truncated', `outer IPv4 header at byte ${ipOff}: ${end - ipOff} bytes, need ${code === 1 ? 20 : v.headerLength}`);
      if (code === 2) return this.rxDrop('malformed', `EtherType IPv4 with IP version ${v.version}`);
      if (code !== 0) return this.rxDrop('malformed', `outer IPv4 IHL ${v.ihl} / total length ${v.totalLength} invalid`);
      if (v.totalLength > end - ipOff) return this.rxDrop('truncated', `outer IPv4 total length ${v.totalLength}, frame holds ${end - ipOff}`);
      if (!opts.checksumVerified && !v.checksumValid) return this.rxDrop('bad-checksum', `outer IPv4 header checksum ${hex(v.checksum, 4)} does not verify`);
      if (this.v6) return this.rxDrop('not-tunnel', `IPv4 packet, port ${this.localText} is IPv6`);
      if (v.isFragment) return this.rxDrop('malformed', `outer IPv4 fragment (offset ${v.fragmentOffset}, MF ${v.moreFragments ? 1 : 0}): reassemble before decapsulating (a VTEP MAY discard fragments, RFC 7348 §4.3)`);
      if (!sameBytes(this.local, b, v.dstAt)) return this.rxDrop('not-tunnel', `destination ${v.dst} is not local ${this.localText}`);
      proto = v.protocol;
      l4 = v.payloadOffset;
      pend = v.payloadEnd(end);
      o.ipVersion = 4;
      o.srcAt = v.srcAt;
      o.tos = v.tos;
      o.ttl = v.ttl;
      o.df = v.dontFragment;
    } else {
      const v = this.v6view;
      const code = v.wrap(b, ipOff, end);
      if (code === 1) return this.rxDrop('truncated', `outer IPv6 header at byte ${ipOff}: ${end - ipOff} bytes, need 40`);
      if (code !== 0) return this.rxDrop('malformed', `EtherType IPv6 with IP version ${v.version}`);
      if (40 + v.payloadLength > end - ipOff) return this.rxDrop('truncated', `outer IPv6 payload length ${v.payloadLength}, frame holds ${end - ipOff - 40}`);
      if (!this.v6) return this.rxDrop('not-tunnel', `IPv6 packet, port ${this.localText} is IPv4`);
      pend = v.payloadEnd(end);
      const w = this.ext;
      const wc = w.walk(b, ipOff, pend);
      if (wc !== 0) return this.rxDrop(wc === 1 ? 'truncated' : 'malformed', `outer IPv6 extension headers: ${wc === 1 ? `cut at byte ${w.errorAt}` : 'too many'}`);
      if (w.hasFragment) return this.rxDrop('malformed', `outer IPv6 fragment (offset ${w.fragmentOffset}): reassemble before decapsulating (a VTEP MAY discard fragments, RFC 7348 §4.3)`);
      if (!sameBytes(this.local, b, v.dstAt)) return this.rxDrop('not-tunnel', `destination ${v.dst} is not local ${this.localText}`);
      proto = w.protocol;
      l4 = w.upperOffset;
      dstAt = w.finalDstAt;
      o.ipVersion = 6;
      o.srcAt = v.srcAt;
      o.tos = v.trafficClass;
      o.ttl = v.hopLimit;
      o.df = false;
    }
    o.ipSrc = '';
    const verify = !opts.checksumVerified;
    if (this.type === 'nvgre') return this.rxGre(b, ipOff, proto, l4, pend, verify, end);
    if (this.type === 'stt') return this.rxStt(b, ipOff, proto, l4, pend, dstAt, verify, nowMs, end);
    if (proto !== 17) return this.rxDrop('not-tunnel', `IP protocol ${proto}, ${this.type} uses UDP (17)`);
    if (pend - l4 < 8) return this.rxDrop('truncated', `UDP header at byte ${l4}: ${pend - l4} bytes, need 8`);
    const ulen = u16(b, l4 + 4);
    if (ulen !== 0 && ulen < 8) return this.rxDrop('malformed', `UDP length ${ulen} < 8`);
    if (ulen > pend - l4) return this.rxDrop('truncated', `UDP length ${ulen}, IP payload holds ${pend - l4}`);
    const uend = ulen ? l4 + ulen : pend;
    const dport = u16(b, l4 + 2);
    if (dport !== this.dstPort) return this.rxDrop(KNOWN_UDP_PORTS.has(dport) ? 'wrong-tunnel-type' : 'not-tunnel', `UDP destination port ${dport}, this ${this.type} port listens on ${this.dstPort}`);
    const csum = u16(b, l4 + 6);
    if (csum === 0) {
      if (this.v6 && !this.config.udp6ZeroChecksumRx) return this.rxDrop('bad-checksum', 'zero UDP checksum over IPv6 (RFC 6935/6936: allowed only with udp6ZeroChecksumRx)');
    } else if (verify && !l4ChecksumValid(b, ipOff, 17, l4, uend, dstAt)) {
      return this.rxDrop('bad-checksum', `UDP checksum ${hex(csum, 4)} does not verify over ${uend - l4} bytes`);
    }
    o.tpSrc = u16(b, l4);
    o.tpDst = dport;
    o.checksum = csum !== 0;
    return this.rxUdpTunnel(b, l4 + 8, uend, end);
  }

  /**
   * Decapsulate a datagram received on a UDP socket (the kernel has checked the UDP checksum and
   * stripped IP and UDP): `payload` starts with the tunnel header. The metadata has `ipSrc` = the
   * sender, `ipDst` = `local`, TOS/TTL 0 (unknown) and the ports. No ECN processing (the outer ECN is
   * not known). The inner frame is a subarray of `payload`.
   * @throws RangeError on an NVGRE or STT port.
   */
  decapsulatePayload(payload: Uint8Array, from: PayloadSender, nowMs = 0): DecapResult {
    void nowMs;
    if (this.type === 'nvgre' || this.type === 'stt') throw new RangeError(`${this.type} is not carried over UDP sockets`);
    let sender: Uint8Array;
    if (from.address === this.lastSenderText) sender = this.lastSender;
    else {
      let text = from.address;
      if (!this.v6 && /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(text)) text = text.slice(7); // IPv4-mapped (dual-stack socket)
      try {
        sender = ipFromText(text.replace(/%.*$/, ''));
      } catch {
        return this.rxDrop('sender-not-allowed', `sender ${from.address} is not an address`);
      }
      if (sender.length !== this.local.length) return this.rxDrop('sender-not-allowed', `sender ${from.address} is not of the family of ${this.localText}`);
      this.lastSenderText = from.address;
      this.lastSender = sender;
    }
    const o = this.outer;
    o.buf = sender;
    o.srcAt = 0;
    o.ipVersion = 0;
    o.ipSrc = '';
    o.tos = 0;
    o.ttl = 0;
    o.df = false;
    o.tpSrc = from.port;
    o.tpDst = this.dstPort;
    o.checksum = false;
    return this.rxUdpTunnel(payload, 0, payload.length, payload.length);
  }

  private senderAllowed(): string | null {
    const o = this.outer;
    const s = this.senders;
    if (s === null) return null;
    for (const a of s) if (sameBytes(a, o.buf, o.srcAt)) return null;
    return `sender ${this.senderText()} is not ${this.remoteText ?? 'an accepted remote'}${this.config.acceptRemotes?.length ? ` or in acceptRemotes` : ''}`;
  }

  private senderText(): string {
    const o = this.outer;
    if (o.ipSrc) return o.ipSrc;
    if (this.remote && sameBytes(this.remote, o.buf, o.srcAt)) o.ipSrc = this.remoteText!;
    else o.ipSrc = this.v6 ? formatIpv6(o.buf, o.srcAt) : formatIpv4(o.buf, o.srcAt);
    return o.ipSrc;
  }

  private idAllowed(id: bigint): string | null {
    if (this.type === 'nvgre' && !this.config.allowReservedVsid && isReservedVsid(Number(id))) return `VSID ${hex(id, 6)} is reserved (RFC 7637 §3.4)`;
    if (this.acceptIds === null || this.acceptIds.has(id)) return null;
    return `tunnel ID ${hex(id)} is not served (${[...this.acceptIds].map((x) => hex(x)).join(', ')})`;
  }

  private rxUdpTunnel(b: Uint8Array, t: number, uend: number, frameLength: number): DecapResult {
    const avail = uend - t;
    if (avail < 8) return this.rxDrop('truncated', `${this.type} header at byte ${t}: ${avail} bytes, need 8`);
    const b0 = b[t]!;
    let id: bigint;
    let innerStart = t + 8;
    let etherType: number = EtherType.TEB;
    let oam = false;
    let critical = false;
    let gbp: TunnelMetadata['gbp'];
    let gpeNextProtocol: number | undefined;
    const options: GeneveOption[] = [];
    if (this.type === 'vxlan') {
      if (!(b0 & 0x08)) return this.rxDrop('reserved-bits', `VXLAN flags ${hex(b0, 2)}: I flag (0x08) clear, no valid VNI`);
      const gbpOn = this.config.gbp === true;
      if (this.strictReserved) {
        const bad = gbpOn ? (b0 & ~0x88) || b[t + 7] : (b0 & ~0x08) || b[t + 1] || b[t + 2] || b[t + 3] || b[t + 7];
        if (bad) return this.rxDrop('reserved-bits', `VXLAN header ${toHex(b, t, t + 8)}: reserved bits set (allowed ${gbpOn ? 'G, I, GBP bytes 1-3' : 'I only'}; Linux/OVS drop these)`);
      }
      if (gbpOn && b0 & 0x80) gbp = { id: u16(b, t + 2), flags: b[t + 1]! & 0x48 };
      id = BigInt(u24(b, t + 4));
    } else if (this.type === 'vxlan-gpe') {
      const ver = (b0 >>> 4) & 3;
      if (ver !== 0) return this.rxDrop('bad-version', `VXLAN-GPE version ${ver}, expected 0 (GPE-12 §3.5)`);
      if (!(b0 & 0x08)) return this.rxDrop('reserved-bits', `VXLAN-GPE flags ${hex(b0, 2)}: I flag (0x08) clear, no valid VNI`);
      const p = (b0 & 0x04) !== 0;
      if (this.strictReserved && ((b0 & 0xc0) || b[t + 1] || b[t + 2] || b[t + 7] || (!p && b[t + 3]))) {
        return this.rxDrop('reserved-bits', `VXLAN-GPE header ${toHex(b, t, t + 8)}: reserved bits set${!p && b[t + 3] ? ' (next protocol without P)' : ''}`);
      }
      oam = (b0 & 0x01) !== 0;
      const np = p ? b[t + 3]! : GpeNextProtocol.ETHERNET;
      if (p) gpeNextProtocol = np;
      if (np === GpeNextProtocol.IPV4) etherType = EtherType.IPV4;
      else if (np === GpeNextProtocol.IPV6) etherType = EtherType.IPV6;
      else if (np !== GpeNextProtocol.ETHERNET) return this.rxDrop('malformed', `VXLAN-GPE next protocol ${np} not supported (1 IPv4, 2 IPv6, 3 Ethernet)`);
      id = BigInt(u24(b, t + 4));
    } else {
      const optLen = (b0 & 0x3f) * 4;
      if (avail < 8 + optLen) return this.rxDrop('truncated', `Geneve header with ${optLen} option bytes: ${avail} bytes present, need ${8 + optLen}`);
      const ver = b0 >>> 6;
      if (ver !== 0) return this.rxDrop('bad-version', `Geneve version ${ver}, expected 0 (RFC 8926 §3.4)`);
      const c = this.cursor.reset(b, t + 8, t + 8 + optLen);
      let st: number;
      while ((st = c.next()) === GENEVE_OPT_CURRENT) options.push({ optionClass: c.optionClass, type: c.type, critical: c.critical, rbits: c.rbits, data: c.data() });
      if (st !== 0) return this.rxDrop('malformed', `Geneve option at byte ${c.offset} overruns Opt Len ${optLen} (RFC 8926 §3.5: options must add up to Opt Len)`);
      oam = (b[t + 1]! & 0x80) !== 0;
      critical = (b[t + 1]! & 0x40) !== 0;
      etherType = u16(b, t + 2);
      id = BigInt(u24(b, t + 4));
      innerStart = t + 8 + optLen;
    }
    const who = this.senderAllowed();
    if (who) return this.rxDrop('sender-not-allowed', who);
    const bad = this.idAllowed(id);
    if (bad) return this.rxDrop('wrong-tunnel-id', bad);
    if (options.length) {
      const cc = this.registry.checkCritical(critical, options, t + 8);
      if (cc.action === 'drop') return this.rxDrop('unknown-critical-option', cc.reason!.message);
    }
    return this.rxInner(b, innerStart, uend, etherType, frameLength, id, oam, critical, { gbp, gpeNextProtocol, options });
  }

  private rxGre(b: Uint8Array, ipOff: number, proto: number, l4: number, pend: number, verify: boolean, frameLength: number): DecapResult {
    void ipOff;
    if (proto !== 47) return this.rxDrop('not-tunnel', `IP protocol ${proto}, NVGRE uses GRE (47)`);
    if (pend - l4 < 4) return this.rxDrop('truncated', `GRE header at byte ${l4}: ${pend - l4} bytes, need 4`);
    const fv = u16(b, l4);
    const ver = fv & GRE_VERSION_MASK;
    if (ver !== 0) return this.rxDrop('bad-version', `GRE version ${ver}, expected 0`);
    if (fv & ~(GRE_FLAG_C | GRE_FLAG_K | GRE_FLAG_S | GRE_VERSION_MASK)) return this.rxDrop('reserved-bits', `GRE flags ${hex(fv, 4)}: only C, K, S allowed (RFC 2784/2890; OVS drops the rest)`);
    const c = (fv & GRE_FLAG_C) !== 0;
    const hlen = 4 + (c ? 4 : 0) + (fv & GRE_FLAG_K ? 4 : 0) + (fv & GRE_FLAG_S ? 4 : 0);
    if (pend - l4 < hlen) return this.rxDrop('truncated', `GRE header at byte ${l4}: ${pend - l4} bytes, need ${hlen}`);
    if (c && verify && !verifyGreChecksum(b, l4, pend)) return this.rxDrop('bad-checksum', `GRE checksum ${hex(u16(b, l4 + 4), 4)} does not verify over ${pend - l4} bytes`);
    const pt = u16(b, l4 + 2);
    if (!(fv & GRE_FLAG_K) || pt !== EtherType.TEB) return this.rxDrop('wrong-tunnel-type', `GRE ${fv & GRE_FLAG_K ? '' : 'without key '}protocol ${hex(pt, 4)} is not NVGRE (K=1, 0x6558)`);
    const key = u32(b, l4 + 4 + (c ? 4 : 0));
    const o = this.outer;
    o.checksum = c;
    const who = this.senderAllowed();
    if (who) return this.rxDrop('sender-not-allowed', who);
    const id = BigInt(key >>> 8);
    const bad = this.idAllowed(id);
    if (bad) return this.rxDrop('wrong-tunnel-id', bad);
    const innerStart = l4 + hlen;
    if (pend - innerStart >= 14 && isVlanTpid(u16(b, innerStart + 12))) return this.rxDrop('inner-vlan', `inner frame carries a VLAN tag (TPID ${hex(u16(b, innerStart + 12), 4)}); RFC 7637 §3.3: the decapsulator MUST drop it`);
    return this.rxInner(b, innerStart, pend, EtherType.TEB, frameLength, id, false, false, { flowId: key & 0xff, options: [] });
  }

  private rxStt(b: Uint8Array, ipOff: number, proto: number, l4: number, pend: number, dstAt: number, verify: boolean, nowMs: number, frameLength: number): DecapResult {
    if (proto !== 6) return this.rxDrop('not-tunnel', `IP protocol ${proto}, STT uses TCP (6)`);
    const tcp = this.tcp;
    const code = tcp.wrap(b, l4, pend);
    if (code === 1 || code === 3) return this.rxDrop('truncated', `TCP header at byte ${l4}: ${pend - l4} bytes`);
    if (code !== 0) return this.rxDrop('malformed', `TCP data offset ${tcp.dataOffsetWords} words`);
    const dport = tcp.dstPort;
    if (dport !== this.dstPort) return this.rxDrop('not-tunnel', `TCP destination port ${dport}, this STT port listens on ${this.dstPort}`);
    if (verify && !l4ChecksumValid(b, ipOff, 6, l4, pend, dstAt)) return this.rxDrop('bad-checksum', `STT TCP checksum ${hex(tcp.checksum, 4)} does not verify over ${pend - l4} bytes`);
    const o = this.outer;
    o.tpSrc = tcp.srcPort;
    o.tpDst = dport;
    o.checksum = false;
    const who = this.senderAllowed();
    if (who) return this.rxDrop('sender-not-allowed', who);
    const seq = tcp.seq;
    const total = seq >>> 16;
    const fragOff = seq & 0xffff;
    const dataAt = tcp.payloadOffset;
    const len = pend - dataAt;
    if (total < STT_FRAME_HEADER_LEN) return this.rxDrop('malformed', `STT frame length ${total} < ${STT_FRAME_HEADER_LEN}`);
    if (len === 0 || fragOff + len > total) return this.rxDrop('malformed', `STT segment of ${len} bytes at offset ${fragOff} does not fit the ${total}-byte frame`);
    const ce = (o.tos & 3) === ECN_CE;
    let frame: Uint8Array;
    let anyCe = ce;
    if (fragOff === 0 && len === total) frame = b.subarray(dataAt, pend);
    else {
      const key = this.v6 ? toHex(b, o.srcAt, o.srcAt + 16) : toHex(b, o.srcAt, o.srcAt + 4);
      const frameId = tcp.ack;
      const ceKey = `${frameId}:${key}`;
      const r = this.sttReassembler.push(key, frameId, total, fragOff, b.subarray(dataAt, pend), nowMs);
      if (r.status === 'pending') {
        if (ce) {
          if (!this.sttCe.has(ceKey) && this.sttCe.size >= 4 * this.sttReassembler.maxFrames + 64) this.sttCe.delete(this.sttCe.keys().next().value!);
          this.sttCe.set(ceKey, true);
        }
        return this.rxDrop('stt-incomplete', `STT segment ${fragOff}..${fragOff + len} of frame ${hex(frameId, 8)} (${total} bytes) buffered`);
      }
      anyCe ||= this.sttCe.get(ceKey) === true;
      this.sttCe.delete(ceKey);
      if (r.status === 'dropped') return this.rxDrop('malformed', `STT segment of frame ${hex(frameId, 8)} dropped by reassembly: ${r.reason}`);
      frame = r.frame;
    }
    if (frame[0] !== 0) return this.rxDrop('bad-version', `STT version ${frame[0]}, expected 0 (STT-08 §3.1)`);
    const id = u64(frame, 8);
    const bad = this.idAllowed(id);
    if (bad) return this.rxDrop('wrong-tunnel-id', bad);
    if (anyCe) o.tos |= ECN_CE;
    return this.rxInner(frame, STT_FRAME_HEADER_LEN, frame.length, EtherType.TEB, frameLength, id, false, false, { options: [] });
  }

  /** Last checks on the inner packet, RFC 6040 decapsulation, metadata and counters. */
  private rxInner(
    b: Uint8Array,
    start: number,
    end: number,
    etherType: number,
    frameLength: number,
    id: bigint,
    oam: boolean,
    critical: boolean,
    extra: { gbp?: TunnelMetadata['gbp'] | undefined; gpeNextProtocol?: number | undefined; flowId?: number; options: GeneveOption[] },
  ): DecapResult {
    if (etherType === EtherType.TEB && end - start < 14) return this.rxDrop('truncated', `inner Ethernet frame: ${Math.max(0, end - start)} bytes, need 14`);
    const o = this.outer;
    if (o.ipVersion) {
      const ip = locateInnerIp(b, start, end, etherType, this.innerIp);
      if (ip.version) {
        const innerEcn = ipTos(b, ip.offset, ip.version) & 3;
        const r = ecnDecapsulate(innerEcn, o.tos & 3);
        if (r === ECN_DROP) return this.rxDrop('ecn-not-ect-ce', `inner ${ecnName(innerEcn)} under outer CE: RFC 6040 §4.2 says drop`);
        if (r !== innerEcn) setIpEcn(b, ip.offset, ip.version, r);
      }
    }
    const src = this.senderText();
    const tp = this.type === 'nvgre' ? {} : { tpSrc: o.tpSrc, tpDst: o.tpDst };
    const metadata: TunnelMetadata = {
      tunnelType: this.tunnelType,
      tunnelId: id,
      ipSrc: src,
      ipDst: this.localText,
      ipVersion: this.v6 ? 6 : 4,
      tos: o.tos,
      ttl: o.ttl,
      ...tp,
      flags: { oam, critical, dontFragment: o.df, checksum: o.checksum },
      ...(extra.gbp ? { gbp: extra.gbp } : {}),
      ...(extra.flowId !== undefined ? { flowId: extra.flowId } : {}),
      ...(extra.gpeNextProtocol !== undefined ? { gpeNextProtocol: extra.gpeNextProtocol } : {}),
      geneveOptions: extra.options,
    };
    this.stats.rxPackets++;
    this.stats.rxBytes += frameLength;
    return { ok: true, inner: b.subarray(start, end), innerEtherType: etherType, metadata };
  }

  // ───────────────────────────── counters ─────────────────────────────

  private count(reason: DropReason): void {
    this.stats.drops[reason] = (this.stats.drops[reason] ?? 0) + 1;
  }

  private rxDrop(reason: DropReason, message: string): Drop {
    this.count(reason);
    return { ok: false, reason, message };
  }

  private txDrop(reason: DropReason, message: string): Extract<EncapResult, { ok: false }> {
    this.count(reason);
    return { ok: false, reason, message };
  }
}

