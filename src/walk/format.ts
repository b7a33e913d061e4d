/**
 * Output forms of a decoded packet: the stable `--json` record and the one-line text summary.
 *
 * JSON schema (one object per packet; names are stable, documented in README.md):
 * `{frame, time, length, caplen, layers: [{proto, offset, length, ...fields}], errors: [{layer, kind, offset, field, found, allowed, message}], partial?}`.
 * Geneve options become `{class, type, critical, length (data bytes), data (hex), rbits}`; the STT
 * Context ID becomes `"0x"` + 16 hex digits.
 */
import { toHex } from '../net/bytes.js';
import { formatWireError, type WireError } from '../net/errors.js';
import type { GeneveOption } from '../geneve/fields.js';
import type { OptionRegistry, OptionWarning } from '../tlv/registry.js';
import type { DecodedLayer } from './layers.js';
import type { PacketDecode } from './walker.js';

/** JSON form of one Geneve option; with a registry, `name` and `value` (or `error`) are added. */
export function optionJson(o: GeneveOption, registry?: OptionRegistry, dataOffset = 0): Record<string, unknown> {
  const j: Record<string, unknown> = { class: o.optionClass, type: o.type, critical: o.critical, length: o.data.length, data: toHex(o.data), rbits: o.rbits };
  if (!registry) return j;
  const cn = registry.className(o.optionClass);
  if (cn) j.className = cn;
  const d = registry.describe(o, dataOffset);
  if (!d.known) return j;
  j.name = d.name;
  if ('json' in d) j.value = d.json;
  else j.error = formatWireError(d.error);
  return j;
}

/**
 * The receiver's warnings for a decoded packet (RFC 8926 §3.5): for every Geneve layer, unknown
 * critical options (a receiver drops the packet), a C bit that disagrees with the options, and
 * registered options whose data does not fit their definition.
 */
export function packetWarnings(d: PacketDecode, registry: OptionRegistry): OptionWarning[] {
  const out: OptionWarning[] = [];
  for (const l of d.layers) {
    if (l.proto !== 'geneve' || l.version !== 0) continue;
    out.push(...registry.checkCritical(l.critical, l.options, l.offset + 8, l.offset + 1).warnings);
  }
  return out;
}

/** ISO-8601 UTC time with nanoseconds from Unix-epoch nanoseconds. */
export function isoTimeNs(ns: bigint): string {
  const sec = ns >= 0n ? ns / 1_000_000_000n : (ns - 999_999_999n) / 1_000_000_000n;
  const frac = Number(ns - sec * 1_000_000_000n);
  if (sec !== lastSec) {
    const d = new Date(Number(sec) * 1000);
    if (Number.isNaN(d.getTime())) return `invalid-time(${ns})`;
    lastSec = sec;
    lastSecText = d.toISOString().slice(0, 19);
  }
  return `${lastSecText}.${FRAC_PAD.slice(0, 9 - String(frac).length)}${frac}Z`;
}
// Packets of one second share the date part: cache it (toISOString costs more than the rest).
let lastSec = -1n;
let lastSecText = '';
const FRAC_PAD = '000000000';

/** JSON form of a {@link WireError}. */
export function errorJson(e: WireError): Record<string, unknown> {
  return { layer: e.layer, kind: e.kind, offset: e.at, field: e.field, found: e.found, allowed: e.allowed, message: formatWireError(e) };
}

/** JSON form of one layer (a new plain object; Uint8Array → hex, bigint → 0x-hex). */
export function layerJson(l: DecodedLayer, registry?: OptionRegistry): Record<string, unknown> {
  if (l.proto === 'geneve') {
    let at = l.offset + 8;
    return {
      ...l,
      options: l.options.map((o) => {
        const j = optionJson(o, registry, at + 4);
        at += 4 + o.data.length;
        return j;
      }),
    };
  }
  if (l.proto === 'stt' && l.contextId !== undefined) {
    return { ...l, contextId: `0x${l.contextId.toString(16).padStart(16, '0')}` };
  }
  return { ...l };
}

/**
 * The `--json` record of one packet. With a registry, Geneve options gain `name`/`value` and the record
 * gains `warnings` ({@link packetWarnings}).
 */
export function packetJson(frame: number, timeNs: bigint, length: number, caplen: number, d: PacketDecode, registry?: OptionRegistry): Record<string, unknown> {
  const rec: Record<string, unknown> = {
    frame,
    time: isoTimeNs(timeNs),
    length,
    caplen,
    layers: d.layers.map((l) => layerJson(l, registry)),
    errors: d.errors.map(errorJson),
  };
  if (registry) rec.warnings = packetWarnings(d, registry);
  if (d.partial) rec.partial = d.partial;
  return rec;
}

function etherTypeName(t: number): string {
  switch (t) {
    case 0x0800:
      return 'IPv4';
    case 0x86dd:
      return 'IPv6';
    case 0x0806:
      return 'ARP';
    case 0x6558:
      return 'TEB';
    case 0x8100:
      return '802.1Q';
    case 0x88a8:
      return '802.1ad';
    default:
      return `0x${t.toString(16).padStart(4, '0')}`;
  }
}

const IP_PROTO_NAMES: Record<number, string> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 47: 'GRE', 58: 'ICMPv6', 4: 'IPIP', 41: 'IPv6', 50: 'ESP', 51: 'AH' };

/** The tunnel identifier of a tunnel layer in text form (`vni 100`, `vsid 0x000102 flow 0xfe`, ...). */
export function tunnelIdText(l: DecodedLayer, registry?: OptionRegistry): string {
  switch (l.proto) {
    case 'vxlan':
      return `vni ${l.vni}${l.gbp ? ` gbp ${l.gbp.groupPolicyId}${l.gbp.dontLearn ? ' D' : ''}${l.gbp.policyApplied ? ' A' : ''}` : ''}`;
    case 'vxlan-gpe':
      return `vni ${l.vni} next-proto ${l.nextProtocolPresent ? l.nextProtocol : 'eth'}${l.oam ? ' O' : ''}`;
    case 'geneve':
      return `vni ${l.vni} proto ${etherTypeName(l.protocolType)}${l.oam ? ' O' : ''}${l.critical ? ' C' : ''}${
        l.options.length ? ` opts [${l.options.map((o) => optionText(o, registry)).join(' ')}]` : ''
      }`;
    case 'nvgre':
      return `vsid 0x${l.vsid.toString(16).padStart(6, '0')} flow 0x${hex2n(l.flowId)}`;
    case 'gre':
      return `proto ${etherTypeName(l.protocolType)}${l.key !== undefined ? ` key ${l.key}` : ''}${l.version ? ` v${l.version}` : ''}`;
    case 'stt':
      return l.contextId !== undefined
        ? `ctx 0x${l.contextId.toString(16).padStart(16, '0')}${l.segments ? ` segs ${l.segments}` : ''} frame-id ${l.frameId}`
        : `segment off ${l.fragmentOffset}/${l.frameLength} frame-id ${l.frameId}`;
    default:
      return '';
  }
}

/** `ovn.ports{ingressPort=1,egressPort=2}!` with a registry match, else `0x0102:0x80!=00010002` (`!` = critical). */
export function optionText(o: GeneveOption, registry?: OptionRegistry): string {
  const d = registry?.describe(o);
  const crit = o.critical ? '!' : '';
  if (d?.known && 'json' in d) return `${d.name}${crit}{${Object.entries(d.json).map(([k, v]) => `${k}=${String(v)}`).join(',')}}`;
  return `${hex4(o.optionClass)}:${hex2(o.type)}${crit}=${toHex(o.data)}`;
}

const hex2n = (n: number): string => n.toString(16).padStart(2, '0');
const hex2 = (n: number): string => `0x${hex2n(n)}`;
const hex4 = (n: number): string => `0x${n.toString(16).padStart(4, '0')}`;

function endpoint(ip: DecodedLayer | undefined, l4: DecodedLayer | undefined, side: 'src' | 'dst'): string {
  if (!ip || (ip.proto !== 'ipv4' && ip.proto !== 'ipv6')) return '?';
  const a = ip[side];
  const port = l4 && (l4.proto === 'udp' || l4.proto === 'tcp') ? (side === 'src' ? l4.srcPort : l4.dstPort) : undefined;
  if (port === undefined) return a;
  return ip.proto === 'ipv6' ? `[${a}].${port}` : `${a}.${port}`;
}

/**
 * One text line: time, outer endpoints, tunnel type and ID (with options), then the inner frame's
 * addresses, EtherType and protocol; errors appended as `!! ...`.
 */
export function packetLine(frame: number, timeNs: bigint, length: number, d: PacketDecode, registry?: OptionRegistry): string {
  const L = d.layers;
  const parts: string[] = [`${frame} ${isoTimeNs(timeNs).slice(11)}`];
  const tIdx = L.findIndex((l) => l.proto === 'vxlan' || l.proto === 'vxlan-gpe' || l.proto === 'geneve' || l.proto === 'nvgre' || l.proto === 'gre' || l.proto === 'stt');
  const outerEnd = tIdx < 0 ? L.length : tIdx;
  let ip: DecodedLayer | undefined;
  let l4: DecodedLayer | undefined;
  for (let i = 0; i < outerEnd; i++) {
    const l = L[i]!;
    if (l.proto === 'ipv4' || l.proto === 'ipv6') {
      ip = l;
      l4 = undefined;
    } else if (l.proto === 'udp' || l.proto === 'tcp') l4 = l;
  }
  if (ip) parts.push(`${endpoint(ip, l4, 'src')} > ${endpoint(ip, l4, 'dst')}`);
  if (tIdx < 0) {
    const last = L[L.length - 1];
    parts.push(last ? `no tunnel (${last.proto})` : 'no tunnel');
  } else {
    const tunnels = L.filter((l) => l.proto === 'vxlan' || l.proto === 'vxlan-gpe' || l.proto === 'geneve' || l.proto === 'nvgre' || l.proto === 'gre' || l.proto === 'stt');
    parts.push(tunnels.map((t) => `${t.proto.toUpperCase()} ${tunnelIdText(t, registry)}`).join(' / '));
    // Inner: after the last tunnel.
    const lastT = L.lastIndexOf(tunnels[tunnels.length - 1]!);
    const inner = L.slice(lastT + 1);
    const eth = inner.find((l) => l.proto === 'eth');
    const vlans = inner.filter((l) => l.proto === 'vlan');
    const iip = inner.find((l) => l.proto === 'ipv4' || l.proto === 'ipv6' || l.proto === 'arp');
    const il4 = inner.find((l) => l.proto === 'udp' || l.proto === 'tcp' || l.proto === 'icmp' || l.proto === 'icmpv6');
    const seg: string[] = [];
    if (eth && eth.proto === 'eth') seg.push(`${eth.src} > ${eth.dst}`);
    for (const v of vlans) if (v.proto === 'vlan') seg.push(`vlan ${v.vid}${v.pcp ? ` p${v.pcp}` : ''}`);
    if (iip && (iip.proto === 'ipv4' || iip.proto === 'ipv6')) {
      seg.push(`${iip.proto === 'ipv4' ? 'IPv4' : 'IPv6'} ${endpoint(iip, il4, 'src')} > ${endpoint(iip, il4, 'dst')} ${IP_PROTO_NAMES[iip.protocol] ?? `proto ${iip.protocol}`}`);
      if (il4 && (il4.proto === 'icmp' || il4.proto === 'icmpv6')) seg.push(`type ${il4.type}`);
    } else if (iip && iip.proto === 'arp') {
      seg.push(`ARP ${iip.opcode === 1 ? 'who-has' : iip.opcode === 2 ? 'reply' : `op ${iip.opcode}`} ${iip.targetIp} tell ${iip.senderIp}`);
    } else if (eth && eth.proto === 'eth') {
      seg.push(etherTypeName(vlans.length ? (vlans[vlans.length - 1] as { etherType: number }).etherType : eth.etherType));
    }
    if (seg.length) parts.push(`: ${seg.join(' ')}`);
  }
  parts.push(`len ${length}`);
  if (d.partial) parts.push(`(${d.partial})`);
  let line = parts.join(' ');
  for (const e of d.errors) line += ` !! ${formatWireError(e)}`;
  if (registry) for (const w of packetWarnings(d, registry)) line += ` ?? ${w.kind}: ${w.message}`;
  return line;
}
