/**
 * Types of the tunnel port: the abstraction a datapath plugs in (like an Open vSwitch vport or a Linux
 * tunnel device): configuration, what encapsulation and decapsulation return, drop reasons and
 * statistics. Implemented by `TunnelPort` (port.ts).
 */
import type { GeneveOption } from '../geneve/fields.js';
import type { TunnelMetadata, TunnelType } from '../tlv/metadata.js';
import type { OptionRegistry } from '../tlv/registry.js';
import type { OffloadDescriptor } from '../offload-hints/descriptor.js';

/** Tunnel types a port can be. */
export type PortType = 'vxlan' | 'vxlan-gpe' | 'geneve' | 'nvgre' | 'stt';

/** Fixed value or taken per packet from the metadata (flow-based, OVS `options:remote_ip=flow`). */
export type FixedOrFlow<T> = T | 'flow';
/** Fixed value or copied from the inner packet (Linux `ttl inherit`, OVS `options:tos=inherit`). */
export type FixedOrInherit<T> = T | 'inherit';

/** Port configuration, in the terms Linux `ip link add type vxlan|geneve` and OVS tunnel options use. */
export interface PortConfig {
  readonly type: PortType;
  /** Local (source) address of the underlay, IPv4 or IPv6. */
  readonly local: string;
  /** Remote VTEP address, or `'flow'` to take `ipDst` from each packet's metadata. */
  readonly remote: FixedOrFlow<string>;
  /** Tunnel ID (VNI / VSID / STT Context ID), or `'flow'` to take it from the metadata. */
  readonly tunnelId: FixedOrFlow<bigint>;
  /** Tunnel IDs accepted on receive (default: the fixed tunnelId, or any when flow-based). */
  readonly acceptTunnelIds?: readonly bigint[];
  /** Senders accepted on receive besides `remote` (a datapath may widen it; flow-based: any if unset). */
  readonly acceptRemotes?: readonly string[];
  /** UDP destination port (default per type: 4789, 4790, 6081; STT TCP 7471). */
  readonly dstPort?: number;
  /** UDP source-port range for the flow hash (default OVS 32768–61000). */
  readonly srcPortRange?: readonly [number, number];
  /** Outer TTL / hop limit (default 64). */
  readonly ttl?: FixedOrInherit<number>;
  /** Outer DSCP (6 bits; default 0). ECN is always set by RFC 6040 normal mode from the inner packet. */
  readonly dscp?: FixedOrInherit<number>;
  /** IPv4 DF: set (default, OVS df_default=true), unset, or inherit from the inner IPv4 header. */
  readonly df?: 'set' | 'unset' | 'inherit';
  /** Outer UDP checksum on transmit (default: false over IPv4, true over IPv6). */
  readonly udpChecksum?: boolean;
  /** Accept zero UDP checksums over IPv6 on receive (RFC 6935/6936; Linux udp6zerocsumrx). Default false. */
  readonly udp6ZeroChecksumRx?: boolean;
  /** VXLAN extension: Group Based Policy (reads/writes G/D/A and the policy ID). */
  readonly gbp?: boolean;
  /** Geneve: options added to every packet (besides those in the metadata), in wire order. */
  readonly geneveOptions?: readonly GeneveOption[];
  /** Option registry used for the critical-option policy and typed options (default: built-ins). */
  readonly registry?: OptionRegistry;
  /** Underlay MTU in bytes (IP packet size; default 1500). */
  readonly mtu?: number;
  /** Outer MACs of the underlay link (default 02:00:00:00:00:01 → 02:00:00:00:00:02). */
  readonly localMac?: string;
  readonly remoteMac?: string;
}

/** Why a port dropped a packet. Every drop is counted under its reason. */
export type DropReason =
  | 'truncated'
  | 'malformed'
  | 'not-tunnel'
  | 'wrong-tunnel-type'
  | 'wrong-tunnel-id'
  | 'sender-not-allowed'
  | 'bad-checksum'
  | 'unknown-critical-option'
  | 'bad-version'
  | 'reserved-bits'
  | 'ecn-not-ect-ce'
  | 'inner-vlan'
  | 'mtu-exceeded'
  | 'no-route'
  | 'stt-incomplete';

/** Result of {@link TunnelPortLike.decapsulate}. */
export type DecapResult =
  | {
      readonly ok: true;
      /** The inner frame (a subarray of the input, or of a reassembled STT frame): copy to keep. */
      readonly inner: Uint8Array;
      /** 0x6558 for an Ethernet frame, or the EtherType of an L3 payload (GPE, Geneve). */
      readonly innerEtherType: number;
      readonly metadata: TunnelMetadata;
    }
  | { readonly ok: false; readonly reason: DropReason; readonly message: string };

/** Result of {@link TunnelPortLike.encapsulate}. */
export type EncapResult =
  | {
      readonly ok: true;
      /** Bytes written in `out` from `offset` (the wire frame, or STT segments back to back). */
      readonly length: number;
      /** End offset of each segment relative to `offset` (one segment: `[length]`; STT: one per TCP segment). */
      readonly segments: readonly number[];
      /** When the device was said to finish checksums/segmentation: what it must do. */
      readonly offload?: OffloadDescriptor;
    }
  | {
      readonly ok: false;
      readonly reason: DropReason;
      readonly message: string;
      /** MTU exceeded: the inner IP MTU that would have fitted (the value the ICMP reply carries), and an ICMP/ICMPv6 reply to send back inside the tunnel's inner network. */
      readonly mtu?: number;
      readonly icmpReply?: Uint8Array;
    };

/** Per-port statistics. */
export interface PortStats {
  rxPackets: number;
  rxBytes: number;
  txPackets: number;
  txBytes: number;
  /** Drops by reason (only reasons seen). */
  readonly drops: Partial<Record<DropReason, number>>;
}

/** What a datapath needs of a port. */
export interface TunnelPortLike {
  readonly config: PortConfig;
  readonly tunnelType: TunnelType;
  /** Bytes the encapsulation adds in front of an inner Ethernet frame (outer Ethernet included). */
  readonly overhead: number;
  /** Largest inner Ethernet frame (L2 header included) that fits the underlay MTU. */
  readonly innerMtu: number;
  readonly stats: PortStats;
  encapsulate(inner: Uint8Array, meta: Partial<TunnelMetadata>, out: Uint8Array, offset: number): EncapResult;
  decapsulate(frame: Uint8Array, nowMs?: number): DecapResult;
}
