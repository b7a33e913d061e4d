/**
 * One tunnel-agnostic representation of what a tunnel header says about a packet, modelled on Open
 * vSwitch's `struct flow_tnl` (the `tun_*` match fields of ovs-fields(7)) and Linux's
 * `struct ip_tunnel_info`: tunnel ID, outer addresses, TOS/TTL, flags, VXLAN-GBP, and the raw Geneve
 * options (which {@link TunMetadataTable} maps onto `tun_metadata0..63`).
 *
 * Built from the packet walker's layers ({@link tunnelMetadataFromLayers}); plain data, with a
 * JSON-safe form ({@link tunnelMetadataJson}). Sources: shared/specs/geneve.md §8–§9,
 * vxlan.md §5 (GBP), outer-headers.md §8 (TOS/TTL).
 */
import type { GeneveOption } from '../geneve/fields.js';
import { toHex } from '../net/bytes.js';
import type { DecodedLayer, Ipv4Layer, Ipv6Layer, TcpLayer, UdpLayer } from '../walk/layers.js';

/** Tunnel types {@link TunnelMetadata} describes (the walker's tunnel layer names). */
export type TunnelType = 'vxlan' | 'vxlan-gpe' | 'geneve' | 'nvgre' | 'gre' | 'stt';

/** OVS `tun_gbp_flags` bit D (Don't Learn): byte 1 of the VXLAN-GBP header, `0x40` (vxlan.md §5). */
export const TUN_GBP_FLAG_DONT_LEARN = 0x40;
/** OVS `tun_gbp_flags` bit A (Policy Applied): byte 1 of the VXLAN-GBP header, `0x08` (vxlan.md §5). */
export const TUN_GBP_FLAG_POLICY_APPLIED = 0x08;

/** Tunnel flags, OVS `tun_flags` / `FLOW_TNL_F_*` and Linux `TUNNEL_*` (`IP_TUNNEL_*_BIT`). */
export interface TunnelFlags {
  /** OAM / control packet: Geneve O bit, VXLAN-GPE O bit. OVS `tun_flags=+oam` (`FLOW_TNL_F_OAM`), Linux `TUNNEL_OAM`. */
  readonly oam: boolean;
  /** Geneve C bit (critical options present). Linux `TUNNEL_CRIT_OPT`; OVS derives it from the options on transmit. */
  readonly critical: boolean;
  /** Outer IPv4 DF bit (always false for IPv6). OVS `FLOW_TNL_F_DONT_FRAGMENT`, Linux `TUNNEL_DONT_FRAGMENT`. */
  readonly dontFragment: boolean;
  /**
   * Outer UDP checksum present (nonzero) or GRE C bit set. OVS `FLOW_TNL_F_CSUM`, Linux `TUNNEL_CSUM`.
   * False for STT: its TCP-like checksum is always there and is not a tunnel option.
   */
  readonly checksum: boolean;
}

/** VXLAN Group Based Policy (draft-smith-vxlan-group-policy-05 §2.1; vxlan.md §5). */
export interface TunnelGbp {
  /** 16-bit Group Policy ID. OVS `tun_gbp_id` (NXM_NX_TUN_GBP_ID). */
  readonly id: number;
  /**
   * 8-bit flags, byte 1 of the VXLAN header: D = `0x40` ({@link TUN_GBP_FLAG_DONT_LEARN}),
   * A = `0x08` ({@link TUN_GBP_FLAG_POLICY_APPLIED}). OVS `tun_gbp_flags` (NXM_NX_TUN_GBP_FLAGS).
   */
  readonly flags: number;
}

/**
 * What a tunnel carries about a packet, for every tunnel type (OVS `struct flow_tnl`). Plain data;
 * `geneveOptions` data are subarrays of the packet the layers were decoded from (copy to keep).
 */
export interface TunnelMetadata {
  /** Which tunnel header this came from. */
  readonly tunnelType: TunnelType;
  /**
   * Tunnel ID, OVS `tun_id` (NXM_NX_TUN_ID, 64 bits): VXLAN / VXLAN-GPE / Geneve 24-bit VNI; NVGRE
   * 24-bit VSID (the FlowID is in {@link TunnelMetadata.flowId}; an OVS GRE port sees the whole
   * 32-bit key instead); GRE 32-bit key (0 without K); STT 64-bit Context ID.
   */
  readonly tunnelId: bigint;
  /** Outer source address (dotted quad or RFC 5952 text). OVS `tun_src` (IPv4) / `tun_ipv6_src` (IPv6). */
  readonly ipSrc: string;
  /** Outer destination address. OVS `tun_dst` / `tun_ipv6_dst`. */
  readonly ipDst: string;
  /** Outer IP version: which of `tun_src`/`tun_ipv6_src` OVS would set. */
  readonly ipVersion: 4 | 6;
  /** Outer TOS / Traffic Class byte, `DSCP << 2 | ECN` (0..255). OVS `tun_tos`. */
  readonly tos: number;
  /** Outer TTL / Hop Limit (0..255). OVS `tun_ttl`. */
  readonly ttl: number;
  /** Outer UDP (or STT TCP) source port; absent for GRE/NVGRE. OVS `tp_src` of `flow_tnl` (not a match field). */
  readonly tpSrc?: number;
  /** Outer UDP (or STT TCP) destination port; absent for GRE/NVGRE. OVS `flow_tnl.tp_dst`. */
  readonly tpDst?: number;
  /** Tunnel flags. OVS `tun_flags` (only `oam` is matchable there) and `flow_tnl.flags`. */
  readonly flags: TunnelFlags;
  /** VXLAN-GBP, present when the G bit was set. OVS `tun_gbp_id` / `tun_gbp_flags`. */
  readonly gbp?: TunnelGbp;
  /** NVGRE 8-bit FlowID (RFC 7637 §3.2): the low byte of the GRE key. */
  readonly flowId?: number;
  /** VXLAN-GPE Next Protocol (draft-ietf-nvo3-vxlan-gpe-12 §3.2), present when the P bit was set. */
  readonly gpeNextProtocol?: number;
  /**
   * Geneve options, raw and in wire order (RFC 8926 §3.5); empty for other tunnels. OVS keeps them
   * raw too (`FLOW_TNL_F_UDPIF`) until a TLV map translates them to `tun_metadataN`
   * ({@link TunMetadataTable.fromGeneve}).
   */
  readonly geneveOptions: readonly GeneveOption[];
}

/** JSON-safe form of one Geneve option: numbers, and data as lower-case hex. */
export interface TunnelOptionJson {
  readonly class: number;
  readonly type: number;
  readonly critical: boolean;
  /** Data length in bytes (without the 4-byte option header), as OVS's TLV map `len`. */
  readonly length: number;
  readonly data: string;
}

/** JSON-safe form of {@link TunnelMetadata}: `tunnelId` as `"0x…"` (lower-case, no padding), options as {@link TunnelOptionJson}. */
export type TunnelMetadataJson = Omit<TunnelMetadata, 'tunnelId' | 'geneveOptions'> & {
  readonly tunnelId: string;
  readonly geneveOptions: readonly TunnelOptionJson[];
};

const NO_FLAGS: TunnelFlags = { oam: false, critical: false, dontFragment: false, checksum: false };

/**
 * A {@link TunnelMetadata} with every field zero: tunnel ID 0, unspecified addresses (`0.0.0.0` or
 * `::`), no flags, no options; then `overrides` on top. Useful to build the transmit side by hand.
 */
export function emptyTunnelMetadata(tunnelType: TunnelType, overrides: Partial<TunnelMetadata> = {}): TunnelMetadata {
  const ipVersion = overrides.ipVersion ?? 4;
  const unspecified = ipVersion === 4 ? '0.0.0.0' : '::';
  return {
    tunnelType,
    tunnelId: 0n,
    ipSrc: unspecified,
    ipDst: unspecified,
    ipVersion,
    tos: 0,
    ttl: 0,
    flags: NO_FLAGS,
    geneveOptions: [],
    ...overrides,
  };
}

function isTunnelLayer(l: DecodedLayer): boolean {
  switch (l.proto) {
    case 'vxlan':
    case 'vxlan-gpe':
    case 'geneve':
    case 'nvgre':
    case 'gre':
    case 'stt':
      return true;
    default:
      return false;
  }
}

/**
 * The metadata of the `tunnelIndex`-th tunnel (0 = outermost) in the walker's layers
 * (`walkPacket(bytes).layers`): the tunnel layer itself, the last IPv4/IPv6 layer before it
 * (outer addresses, TOS, TTL, DF) and, for UDP/TCP tunnels, the UDP/TCP layer between the two
 * (ports, UDP checksum presence).
 * @returns undefined when there is no such tunnel, no IP layer before it, or the tunnel has no
 * identifier decoded (an STT segment other than the first, which carries no frame header).
 * Geneve option data alias the walked bytes (copy to keep).
 */
export function tunnelMetadataFromLayers(layers: readonly DecodedLayer[], tunnelIndex = 0): TunnelMetadata | undefined {
  let seen = -1;
  let ip: Ipv4Layer | Ipv6Layer | undefined;
  let l4: UdpLayer | TcpLayer | undefined;
  for (const l of layers) {
    if (l.proto === 'ipv4' || l.proto === 'ipv6') {
      ip = l;
      l4 = undefined;
      continue;
    }
    if (l.proto === 'udp' || l.proto === 'tcp') {
      l4 = l;
      continue;
    }
    if (!isTunnelLayer(l)) continue;
    if (++seen < tunnelIndex) continue;
    return ip ? fromTunnelLayer(l, ip, l4) : undefined;
  }
  return undefined;
}

function fromTunnelLayer(t: DecodedLayer, ip: Ipv4Layer | Ipv6Layer, l4: UdpLayer | TcpLayer | undefined): TunnelMetadata | undefined {
  const udp = l4?.proto === 'udp' ? l4 : undefined;
  let tunnelId: bigint;
  let oam = false;
  let critical = false;
  let greChecksum = false;
  let geneveOptions: readonly GeneveOption[] = [];
  const extra: { gbp?: TunnelGbp; flowId?: number; gpeNextProtocol?: number } = {};
  switch (t.proto) {
    case 'vxlan':
      tunnelId = BigInt(t.vni);
      if (t.gbp) {
        extra.gbp = {
          id: t.gbp.groupPolicyId,
          flags: (t.gbp.dontLearn ? TUN_GBP_FLAG_DONT_LEARN : 0) | (t.gbp.policyApplied ? TUN_GBP_FLAG_POLICY_APPLIED : 0),
        };
      }
      break;
    case 'vxlan-gpe':
      tunnelId = BigInt(t.vni);
      oam = t.oam;
      if (t.nextProtocolPresent) extra.gpeNextProtocol = t.nextProtocol;
      break;
    case 'geneve':
      tunnelId = BigInt(t.vni);
      oam = t.oam;
      critical = t.critical;
      geneveOptions = t.options;
      break;
    case 'nvgre':
      tunnelId = BigInt(t.vsid);
      extra.flowId = t.flowId;
      break;
    case 'gre':
      tunnelId = BigInt(t.key ?? 0);
      greChecksum = t.checksum !== undefined;
      break;
    case 'stt':
      if (t.contextId === undefined) return undefined;
      tunnelId = t.contextId;
      break;
    default:
      return undefined;
  }
  const v4 = ip.proto === 'ipv4';
  const m: TunnelMetadata = {
    tunnelType: t.proto,
    tunnelId,
    ipSrc: ip.src,
    ipDst: ip.dst,
    ipVersion: v4 ? 4 : 6,
    tos: (ip.dscp << 2) | ip.ecn,
    ttl: v4 ? ip.ttl : ip.hopLimit,
    ...(l4 ? { tpSrc: l4.srcPort, tpDst: l4.dstPort } : {}),
    flags: { oam, critical, dontFragment: v4 && ip.dontFragment, checksum: greChecksum || (udp !== undefined && udp.checksum !== 0) },
    ...extra,
    geneveOptions,
  };
  return m;
}

/** JSON-safe form of one Geneve option (see {@link TunnelOptionJson}). */
export function tunnelOptionJson(o: GeneveOption): TunnelOptionJson {
  return { class: o.optionClass, type: o.type, critical: o.critical, length: o.data.length, data: toHex(o.data) };
}

/** JSON-safe copy of `m`: `tunnelId` as `"0x…"`, options as `{class, type, critical, length, data(hex)}`. */
export function tunnelMetadataJson(m: TunnelMetadata): TunnelMetadataJson {
  return { ...m, tunnelId: `0x${m.tunnelId.toString(16)}`, flags: { ...m.flags }, geneveOptions: m.geneveOptions.map(tunnelOptionJson) };
}
