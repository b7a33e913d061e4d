/**
 * Independent twins of the outer headers (Ethernet II + 802.1Q/802.1ad tags, ARP, IPv4, IPv6 and its
 * extension headers, UDP) written declaratively with binary-parser and buffer-layout, plus naive
 * references for the RFC 1071 checksum and the TCP/UDP pseudo-headers. Test-only: nothing here imports
 * src/. Layouts come from IEEE 802.1Q, RFC 826, RFC 791, RFC 8200 §3-§4 / RFC 4302 §2 and RFC 768 (the
 * tables in specs/outer-headers.md). binary-parser throws when it reads past the end; the walkers below
 * turn that into a `truncated` verdict.
 */
import { Parser } from 'binary-parser';
import * as BL from 'buffer-layout';

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');
/** Colon hex of a 6-byte MAC. */
export const macText = (b: ArrayLike<number>): string => Array.from(b, hex2).join(':');
/** Dotted quad of a 4-byte address. */
export const ipv4Text = (b: ArrayLike<number>): string => Array.from(b).join('.');

// ---------------------------------------------------------------- Ethernet / VLAN

/** Ethernet II fixed part (14 bytes). */
export const ethBp = new Parser()
  .endianness('big')
  .array('dst', { type: 'uint8', length: 6 })
  .array('src', { type: 'uint8', length: 6 })
  .uint16('type');

/** One VLAN tag read from its TPID: TPID, TCI as PCP/DEI/VID, and the following type (6 bytes). */
export const vlanTagBp = new Parser().endianness('big').uint16('tpid').bit3('pcp').bit1('dei').bit12('vid').uint16('next');

/** Tag protocol identifiers (IEEE 802.1Q 0x8100, 802.1ad 0x88a8, legacy QinQ 0x9100/0x9200/0x9300). */
export const ORACLE_TPIDS: ReadonlySet<number> = new Set([0x8100, 0x88a8, 0x9100, 0x9200, 0x9300]);

/** Result of {@link ethernetOracle}. */
export type EthOracle =
  | { ok: true; dst: string; src: string; vlans: { tpid: number; pcp: number; dei: boolean; vid: number }[]; etherType: number; headerLength: number }
  | { ok: false; kind: 'truncated' | 'depth-exceeded'; at: number };

/** Ethernet + tags with binary-parser; stops after `maxTags` tags with `depth-exceeded`. */
export function ethernetOracle(b: Buffer, maxTags = 8): EthOracle {
  let head: { dst: number[]; src: number[]; type: number };
  try {
    head = ethBp.parse(b) as typeof head;
  } catch {
    return { ok: false, kind: 'truncated', at: 0 };
  }
  const vlans: { tpid: number; pcp: number; dei: boolean; vid: number }[] = [];
  let at = 12;
  let type = head.type;
  while (ORACLE_TPIDS.has(type)) {
    if (vlans.length === maxTags) return { ok: false, kind: 'depth-exceeded', at };
    let t: { tpid: number; pcp: number; dei: number; vid: number; next: number };
    try {
      t = vlanTagBp.parse(b.subarray(at)) as typeof t;
    } catch {
      return { ok: false, kind: 'truncated', at };
    }
    vlans.push({ tpid: t.tpid, pcp: t.pcp, dei: t.dei === 1, vid: t.vid });
    at += 4;
    type = t.next;
  }
  return { ok: true, dst: macText(head.dst), src: macText(head.src), vlans, etherType: type, headerLength: at + 2 };
}

/** Ethernet fixed part with buffer-layout. */
export const ethBl = BL.struct<{ dst: Uint8Array; src: Uint8Array; type: number }>([BL.blob(6, 'dst'), BL.blob(6, 'src'), BL.u16be('type')]);

/** A VLAN tag (TPID + TCI bit fields, most significant first) with buffer-layout. */
export const vlanTagBl = (() => {
  const tci = BL.bits(BL.u16be(), true, 'tci');
  tci.addField(3, 'pcp');
  tci.addBoolean('dei');
  tci.addField(12, 'vid');
  return BL.struct<{ tpid: number; tci: { pcp: number; dei: boolean; vid: number } }>([BL.u16be('tpid'), tci]);
})();

// ---------------------------------------------------------------- ARP

/** RFC 826 ARP for Ethernet/IPv4 (28 bytes). */
export const arpBp = new Parser()
  .endianness('big')
  .uint16('htype')
  .uint16('ptype')
  .uint8('hlen')
  .uint8('plen')
  .uint16('oper')
  .array('sha', { type: 'uint8', length: 6 })
  .array('spa', { type: 'uint8', length: 4 })
  .array('tha', { type: 'uint8', length: 6 })
  .array('tpa', { type: 'uint8', length: 4 });

/** Shape of {@link arpBp}'s result. */
export interface ArpBp {
  htype: number;
  ptype: number;
  hlen: number;
  plen: number;
  oper: number;
  sha: number[];
  spa: number[];
  tha: number[];
  tpa: number[];
}

/** ARP with buffer-layout. */
export const arpBl = BL.struct<{ htype: number; ptype: number; hlen: number; plen: number; oper: number; sha: Uint8Array; spa: Uint8Array; tha: Uint8Array; tpa: Uint8Array }>([
  BL.u16be('htype'),
  BL.u16be('ptype'),
  BL.u8('hlen'),
  BL.u8('plen'),
  BL.u16be('oper'),
  BL.blob(6, 'sha'),
  BL.blob(4, 'spa'),
  BL.blob(6, 'tha'),
  BL.blob(4, 'tpa'),
]);

// ---------------------------------------------------------------- IPv4

/** RFC 791 §3.1 header, bit by bit as in the diagram, options as a buffer of IHL·4 − 20 bytes. */
export const ipv4Bp = new Parser()
  .endianness('big')
  .bit4('version')
  .bit4('ihl')
  .bit6('dscp')
  .bit2('ecn')
  .uint16('totalLength')
  .uint16('identification')
  .bit1('reserved')
  .bit1('df')
  .bit1('mf')
  .bit13('fragmentOffset')
  .uint8('ttl')
  .uint8('protocol')
  .uint16('checksum')
  .array('src', { type: 'uint8', length: 4 })
  .array('dst', { type: 'uint8', length: 4 })
  .buffer('options', {
    length: function (this: { ihl: number }) {
      return Math.max(0, this.ihl * 4 - 20);
    },
  });

/** Shape of {@link ipv4Bp}'s result (fragmentOffset in 8-byte units, as on the wire). */
export interface Ipv4Bp {
  version: number;
  ihl: number;
  dscp: number;
  ecn: number;
  totalLength: number;
  identification: number;
  reserved: number;
  df: number;
  mf: number;
  fragmentOffset: number;
  ttl: number;
  protocol: number;
  checksum: number;
  src: number[];
  dst: number[];
  options: Buffer;
}

/** Shape of {@link ipv4Bl}'s result. */
export interface Ipv4Bl {
  vihl: { version: number; ihl: number };
  tos: { dscp: number; ecn: number };
  totalLength: number;
  identification: number;
  ff: { reserved: boolean; df: boolean; mf: boolean; fragmentOffset: number };
  ttl: number;
  protocol: number;
  checksum: number;
  src: Uint8Array;
  dst: Uint8Array;
}

/** The 20-byte base header with buffer-layout bit structures (most significant bit first). */
export const ipv4Bl = (() => {
  const vihl = BL.bits(BL.u8(), true, 'vihl');
  vihl.addField(4, 'version');
  vihl.addField(4, 'ihl');
  const tos = BL.bits(BL.u8(), true, 'tos');
  tos.addField(6, 'dscp');
  tos.addField(2, 'ecn');
  const ff = BL.bits(BL.u16be(), true, 'ff');
  ff.addBoolean('reserved');
  ff.addBoolean('df');
  ff.addBoolean('mf');
  ff.addField(13, 'fragmentOffset');
  return BL.struct<Ipv4Bl>([vihl, tos, BL.u16be('totalLength'), BL.u16be('identification'), ff, BL.u8('ttl'), BL.u8('protocol'), BL.u16be('checksum'), BL.blob(4, 'src'), BL.blob(4, 'dst')]);
})();

// ---------------------------------------------------------------- IPv6

/** RFC 8200 §3 fixed header (40 bytes). */
export const ipv6Bp = new Parser()
  .endianness('big')
  .bit4('version')
  .bit8('trafficClass')
  .bit20('flowLabel')
  .uint16('payloadLength')
  .uint8('nextHeader')
  .uint8('hopLimit')
  .array('src', { type: 'uint8', length: 16 })
  .array('dst', { type: 'uint8', length: 16 });

/** Shape of {@link ipv6Bp}'s result. */
export interface Ipv6Bp {
  version: number;
  trafficClass: number;
  flowLabel: number;
  payloadLength: number;
  nextHeader: number;
  hopLimit: number;
  src: number[];
  dst: number[];
}

/** Shape of {@link ipv6Bl}'s result. */
export interface Ipv6Bl {
  w0: { version: number; trafficClass: number; flowLabel: number };
  payloadLength: number;
  nextHeader: number;
  hopLimit: number;
  src: Uint8Array;
  dst: Uint8Array;
}

/** The fixed header with buffer-layout (first word as bit fields). */
export const ipv6Bl = (() => {
  const w0 = BL.bits(BL.u32be(), true, 'w0');
  w0.addField(4, 'version');
  w0.addField(8, 'trafficClass');
  w0.addField(20, 'flowLabel');
  return BL.struct<Ipv6Bl>([w0, BL.u16be('payloadLength'), BL.u8('nextHeader'), BL.u8('hopLimit'), BL.blob(16, 'src'), BL.blob(16, 'dst')]);
})();

/** Generic extension header start (RFC 8200 §4.3-§4.6): Next Header, Hdr Ext Len (8-octet units after the first 8). */
export const ipv6ExtBp = new Parser().endianness('big').uint8('next').uint8('hdrExtLen').buffer('rest', { length: 6 });
/** Fragment header (RFC 8200 §4.5): offset in 8-octet units, 2 reserved bits, M, 32-bit id. */
export const ipv6FragBp = new Parser().endianness('big').uint8('next').uint8('reserved').bit13('offset').bit2('res').bit1('m').uint32('id');
/** First 8 bytes of an Authentication Header (RFC 4302 §2): Payload Len counts 4-octet units minus 2. */
export const ipv6AhBp = new Parser().endianness('big').uint8('next').uint8('payloadLen').uint16('reserved').uint32('spi');

/** Extension headers with the `(HdrExtLen + 1) × 8` rule (HBH, Routing, DstOpts, Mobility, HIP, Shim6). */
export const ORACLE_EXT_GENERIC: ReadonlySet<number> = new Set([0, 43, 60, 135, 139, 140]);

/** Result of {@link ipv6ChainOracle}. */
export type Ipv6ChainOracle =
  | {
      ok: true;
      protocol: number;
      upperOffset: number;
      extensions: number;
      fragment?: { offsetBytes: number; more: boolean; id: number; at: number };
    }
  | { ok: false; kind: 'truncated' | 'depth-exceeded'; at: number };

/**
 * Walk the extension chain after the fixed header at `offset` (bounded by the buffer end) with binary-parser.
 * Order of verdicts per header: the 8-byte minimum, then the `maxExt` depth limit, then the full length.
 * Stops after a Fragment header with a nonzero offset (its payload holds no upper-layer header).
 */
export function ipv6ChainOracle(b: Buffer, offset: number, maxExt = 16): Ipv6ChainOracle {
  let next = b[offset + 6]!;
  let at = offset + 40;
  let n = 0;
  let fragment: { offsetBytes: number; more: boolean; id: number; at: number } | undefined;
  for (;;) {
    let len: number;
    let nh: number;
    const view = b.subarray(at);
    if (ORACLE_EXT_GENERIC.has(next) || next === 44 || next === 51) {
      if (view.length < 8) return { ok: false, kind: 'truncated', at };
      if (++n > maxExt) return { ok: false, kind: 'depth-exceeded', at };
    }
    if (ORACLE_EXT_GENERIC.has(next)) {
      const h = ipv6ExtBp.parse(view) as { next: number; hdrExtLen: number };
      len = (h.hdrExtLen + 1) * 8;
      nh = h.next;
    } else if (next === 44) {
      const h = ipv6FragBp.parse(view) as { next: number; offset: number; m: number; id: number };
      len = 8;
      nh = h.next;
      fragment = { offsetBytes: h.offset * 8, more: h.m === 1, id: h.id, at };
    } else if (next === 51) {
      const h = ipv6AhBp.parse(view) as { next: number; payloadLen: number };
      len = (h.payloadLen + 2) * 4;
      nh = h.next;
    } else {
      break;
    }
    if (view.length < len) return { ok: false, kind: 'truncated', at };
    next = nh;
    at += len;
    if (fragment && fragment.offsetBytes !== 0) break;
  }
  return fragment ? { ok: true, protocol: next, upperOffset: at, extensions: n, fragment } : { ok: true, protocol: next, upperOffset: at, extensions: n };
}

// ---------------------------------------------------------------- UDP

/** RFC 768 header. */
export const udpBp = new Parser().endianness('big').uint16('srcPort').uint16('dstPort').uint16('length').uint16('checksum');
/** RFC 768 header with buffer-layout. */
export const udpBl = BL.struct<{ srcPort: number; dstPort: number; length: number; checksum: number }>([
  BL.u16be('srcPort'),
  BL.u16be('dstPort'),
  BL.u16be('length'),
  BL.u16be('checksum'),
]);

// ---------------------------------------------------------------- checksums

/**
 * RFC 1071 §4.1 reference: add 16-bit big-endian words (odd byte padded with a zero low byte) into a wide
 * accumulator, then fold the carries. Returns the folded, non-complemented sum.
 */
export function rfc1071Sum(data: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < data.length; i += 2) sum += data[i]! * 256 + (i + 1 < data.length ? data[i + 1]! : 0);
  while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  return sum;
}

/** RFC 1071 checksum: the complement of {@link rfc1071Sum}. */
export function rfc1071Checksum(data: ArrayLike<number>): number {
  return 0xffff - rfc1071Sum(data);
}

/** RFC 768 / RFC 9293 IPv4 pseudo-header bytes: src, dst, zero, protocol, 16-bit length. */
export function ipv4PseudoHeader(src: ArrayLike<number>, dst: ArrayLike<number>, protocol: number, length: number): number[] {
  return [...Array.from(src), ...Array.from(dst), 0, protocol, length >>> 8, length & 0xff];
}

/** RFC 8200 §8.1 IPv6 pseudo-header bytes: src, dst, 32-bit upper-layer length, 3 zero bytes, next header. */
export function ipv6PseudoHeader(src: ArrayLike<number>, dst: ArrayLike<number>, nextHeader: number, length: number): number[] {
  return [...Array.from(src), ...Array.from(dst), (length >>> 24) & 0xff, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff, 0, 0, 0, nextHeader];
}

// ---------------------------------------------------------------- addresses

/**
 * RFC 5952 text of a 16-byte address by way of the WHATWG URL parser, which serialises IPv6 hosts the same
 * way (longest run of ≥ 2 zero groups compressed, first on ties, lower case) except that it never prints a
 * dotted IPv4 tail. Callers skip IPv4-mapped addresses.
 */
export function whatwgIpv6Text(b: ArrayLike<number>): string {
  const groups: string[] = [];
  for (let k = 0; k < 8; k++) groups.push((b[2 * k]! * 256 + b[2 * k + 1]!).toString(16).padStart(4, '0'));
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}

/** Is this the IPv4-mapped prefix ::ffff:0:0/96 (printed with a dotted tail by RFC 5952 §5)? */
export function isIpv4Mapped(b: ArrayLike<number>): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}
