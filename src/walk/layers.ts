/**
 * The decoded layers the packet walker returns: plain objects, JSON-ready (numbers as numbers,
 * camelCase names), outermost first. `offset` is the layer's first byte in the buffer it was decoded
 * from and `length` its header length in bytes; layers decoded from a reassembled datagram or STT
 * frame carry `buffer: 'reassembled'` and their offsets count from the start of that reassembled
 * payload.
 */
import type { GeneveOption } from '../geneve/fields.js';

interface Base {
  readonly offset: number;
  readonly length: number;
  /** Set on layers decoded from reassembled bytes (offsets are into the reassembled payload). */
  readonly buffer?: 'reassembled';
}

export interface EthLayer extends Base {
  readonly proto: 'eth';
  readonly src: string;
  readonly dst: string;
  /** EtherType (or the first VLAN TPID). */
  readonly etherType: number;
}
export interface VlanLayer extends Base {
  readonly proto: 'vlan';
  readonly tpid: number;
  readonly pcp: number;
  readonly dei: boolean;
  readonly vid: number;
  readonly etherType: number;
}
export interface Ipv4Layer extends Base {
  readonly proto: 'ipv4';
  readonly src: string;
  readonly dst: string;
  readonly protocol: number;
  readonly ttl: number;
  readonly dscp: number;
  readonly ecn: number;
  readonly totalLength: number;
  readonly identification: number;
  readonly dontFragment: boolean;
  readonly checksumValid: boolean;
  /** Present on fragments: offset in bytes, MF flag, and whether this frame completed reassembly. */
  readonly fragment?: { readonly offset: number; readonly more: boolean; readonly reassembled?: { readonly fragments: number; readonly length: number } };
}
export interface Ipv6Layer extends Base {
  readonly proto: 'ipv6';
  readonly src: string;
  readonly dst: string;
  /** Next Header of the fixed header. */
  readonly nextHeader: number;
  /** Upper-layer protocol after extension headers. */
  readonly protocol: number;
  readonly hopLimit: number;
  readonly dscp: number;
  readonly ecn: number;
  readonly flowLabel: number;
  readonly payloadLength: number;
  readonly fragment?: Ipv4Layer['fragment'] & { readonly id: number };
}
export interface UdpLayer extends Base {
  readonly proto: 'udp';
  readonly srcPort: number;
  readonly dstPort: number;
  /** Length field (bytes). */
  readonly udpLength: number;
  readonly checksum: number;
  /** `none` (0), `good`, `bad`, or `unverified` (datagram not wholly captured). */
  readonly checksumStatus: 'none' | 'good' | 'bad' | 'unverified';
}
export interface TcpLayer extends Base {
  readonly proto: 'tcp';
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  readonly ack: number;
  /** 9 flag bits (NS..FIN). */
  readonly flags: number;
  readonly window: number;
}
export interface GreLayer extends Base {
  readonly proto: 'gre';
  /** The 16-bit flags-and-version word. */
  readonly flags: number;
  readonly version: number;
  readonly protocolType: number;
  readonly key?: number;
  readonly sequence?: number;
  readonly checksum?: number;
  readonly checksumValid?: boolean;
}
export interface NvgreLayer extends Base {
  readonly proto: 'nvgre';
  readonly vsid: number;
  readonly flowId: number;
  readonly protocolType: number;
  /** The 32-bit GRE key (VSID << 8 | FlowID). */
  readonly key: number;
}
export interface VxlanLayer extends Base {
  readonly proto: 'vxlan';
  readonly vni: number;
  readonly flags: number;
  readonly vniValid: boolean;
  readonly gbp?: { readonly groupPolicyId: number; readonly dontLearn: boolean; readonly policyApplied: boolean };
}
export interface VxlanGpeLayer extends Base {
  readonly proto: 'vxlan-gpe';
  readonly vni: number;
  readonly flags: number;
  readonly version: number;
  readonly nextProtocolPresent: boolean;
  readonly bum: boolean;
  readonly oam: boolean;
  readonly nextProtocol: number;
}
export interface GeneveLayer extends Base {
  readonly proto: 'geneve';
  readonly vni: number;
  readonly version: number;
  readonly protocolType: number;
  /** O bit (control / OAM). */
  readonly oam: boolean;
  /** C bit. */
  readonly critical: boolean;
  /** Options length in bytes (Opt Len × 4). */
  readonly optionsLength: number;
  readonly options: readonly GeneveOption[];
}
export interface SttLayer extends Base {
  readonly proto: 'stt';
  /** Total STT frame length in bytes (TCP SEQ >>> 16), 18-byte header included. */
  readonly frameLength: number;
  /** This segment's byte offset in the frame (SEQ & 0xffff). */
  readonly fragmentOffset: number;
  /** Frame identifier (TCP ACK). */
  readonly frameId: number;
  /** Segments the frame came in (1 when unsegmented; set when the frame is complete here). */
  readonly segments?: number;
  /** Frame header fields: present on the first segment and on the frame that completes. */
  readonly version?: number;
  readonly flags?: number;
  readonly l4Offset?: number;
  readonly mss?: number;
  readonly pcp?: number;
  readonly vlanValid?: boolean;
  readonly vlanId?: number;
  readonly contextId?: bigint;
}
export interface ArpLayer extends Base {
  readonly proto: 'arp';
  readonly opcode: number;
  readonly senderMac: string;
  readonly senderIp: string;
  readonly targetMac: string;
  readonly targetIp: string;
}
export interface IcmpLayer extends Base {
  readonly proto: 'icmp' | 'icmpv6';
  readonly type: number;
  readonly code: number;
}
export interface UnknownLayer extends Base {
  readonly proto: 'unknown';
  /** What announced it: an EtherType, IP protocol or GPE Next Protocol. */
  readonly etherType?: number;
  readonly ipProtocol?: number;
  readonly nextProtocol?: number;
}

/** Any decoded layer. */
export type DecodedLayer =
  | EthLayer
  | VlanLayer
  | Ipv4Layer
  | Ipv6Layer
  | UdpLayer
  | TcpLayer
  | GreLayer
  | NvgreLayer
  | VxlanLayer
  | VxlanGpeLayer
  | GeneveLayer
  | SttLayer
  | ArpLayer
  | IcmpLayer
  | UnknownLayer;

/** Tunnel layer protocols. */
export const TUNNEL_PROTOS = new Set(['vxlan', 'vxlan-gpe', 'geneve', 'nvgre', 'gre', 'stt']);
