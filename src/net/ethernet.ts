/**
 * Ethernet II header and 802.1Q / 802.1ad VLAN tags (IEEE 802.3, 802.1Q; outer-headers.md §1).
 *
 * ```
 * | dst MAC (6) | src MAC (6) | EtherType or TPID (2) | [TCI (2) | EtherType or TPID (2)]* | payload
 * TCI: PCP (3 bits, 0xE000) | DEI (1 bit, 0x1000) | VID (12 bits, 0x0FFF)
 * ```
 * The captured frame excludes the FCS. Values below 0x0600 are 802.3 lengths, not EtherTypes.
 */
import { assertRoom, assertUint, formatMac, macFromText, put16, u16 } from './bytes.js';
import { err, ok, truncated, wireError, type Result, type WireError } from './errors.js';

/** Ethernet II header length in bytes (no tags). */
export const ETH_HEADER_LEN = 14;
/** VLAN tag length in bytes (TPID + TCI). */
export const VLAN_TAG_LEN = 4;
/** Most tags walked before giving up (`depth-exceeded`). */
export const MAX_VLAN_TAGS = 8;

/** EtherTypes used in this library (linux if_ether.h). */
export const EtherType = {
  IPV4: 0x0800,
  ARP: 0x0806,
  TEB: 0x6558,
  VLAN: 0x8100,
  IPV6: 0x86dd,
  QINQ: 0x88a8,
  NSH: 0x894f,
  QINQ_9100: 0x9100,
  QINQ_9200: 0x9200,
  QINQ_9300: 0x9300,
} as const;

/** Is `t` a VLAN TPID (802.1Q, 802.1ad, or the legacy 0x9100/0x9200/0x9300)? */
export function isVlanTpid(t: number): boolean {
  return t === 0x8100 || t === 0x88a8 || t === 0x9100 || t === 0x9200 || t === 0x9300;
}

/**
 * Zero-copy view of an Ethernet II header. Accessors are safe only after {@link EthernetView.check}
 * or a zero return from {@link EthernetView.wrap}.
 */
export class EthernetView {
  private constructor(
    public bytes: Uint8Array,
    public offset: number,
  ) {}
  /** No checks: for buffers you are about to fill. */
  static unchecked(bytes: Uint8Array, offset = 0): EthernetView {
    return new EthernetView(bytes, offset);
  }
  /** Validate 14 bytes are present. @returns the view or `truncated`. */
  static check(bytes: Uint8Array, offset = 0, end = bytes.length): Result<EthernetView> {
    const avail = Math.min(end, bytes.length) - offset;
    return avail < ETH_HEADER_LEN ? err(truncated('eth', offset, ETH_HEADER_LEN, avail)) : ok(new EthernetView(bytes, offset));
  }
  /** Re-point in place; 0 = ok, 1 = truncated. */
  wrap(bytes: Uint8Array, offset: number, end = bytes.length): number {
    this.bytes = bytes;
    this.offset = offset;
    return Math.min(end, bytes.length) - offset < ETH_HEADER_LEN ? 1 : 0;
  }
  /** Destination MAC as lower-case colon hex (allocates a string). */
  get dst(): string {
    return formatMac(this.bytes, this.offset);
  }
  /** Source MAC as lower-case colon hex (allocates a string). */
  get src(): string {
    return formatMac(this.bytes, this.offset + 6);
  }
  /** EtherType (or TPID of the first VLAN tag), bytes 12–13. */
  get etherType(): number {
    return u16(this.bytes, this.offset + 12);
  }
  set etherType(v: number) {
    assertUint(v, 16, 'etherType');
    put16(this.bytes, this.offset + 12, v);
  }
  /** Offset of the byte after the 14-byte header. */
  get payloadOffset(): number {
    return this.offset + ETH_HEADER_LEN;
  }
}

/** One VLAN tag. */
export interface VlanTag {
  /** Tag protocol identifier (0x8100 C-tag, 0x88a8 S-tag, ...). */
  readonly tpid: number;
  /** Priority code point, 3 bits. */
  readonly pcp: number;
  /** Drop eligible indicator (formerly CFI). */
  readonly dei: boolean;
  /** VLAN ID, 12 bits. */
  readonly vid: number;
}

/** An Ethernet header with its VLAN tags, as a plain object. */
export interface EthernetFields {
  readonly dst: string;
  readonly src: string;
  /** Tags outermost first. */
  readonly vlans: readonly VlanTag[];
  /** EtherType after the last tag. */
  readonly etherType: number;
}

/**
 * Parse Ethernet II plus any VLAN tags (up to {@link MAX_VLAN_TAGS}).
 * Errors: `truncated` (header or a tag cut), `depth-exceeded` (too many tags).
 * @returns the fields and the header length in bytes (14 + 4 per tag).
 */
export function parseEthernet(
  bytes: Uint8Array,
  offset = 0,
  end = bytes.length,
): Result<{ fields: EthernetFields; headerLength: number }> {
  const r = EthernetView.check(bytes, offset, end);
  if (!r.ok) return r;
  const lim = Math.min(end, bytes.length);
  const vlans: VlanTag[] = [];
  let at = offset + 12;
  let type = u16(bytes, at);
  while (isVlanTpid(type)) {
    if (vlans.length >= MAX_VLAN_TAGS) return err(wireError('depth-exceeded', 'vlan', at, 'tags', vlans.length + 1, `<= ${MAX_VLAN_TAGS} tags`));
    if (lim - at < 6) return err(truncated('vlan', at, 6, lim - at));
    const tci = u16(bytes, at + 2);
    vlans.push({ tpid: type, pcp: tci >>> 13, dei: (tci & 0x1000) !== 0, vid: tci & 0x0fff });
    at += VLAN_TAG_LEN;
    type = u16(bytes, at);
  }
  return ok({ fields: { dst: formatMac(bytes, offset), src: formatMac(bytes, offset + 6), vlans, etherType: type }, headerLength: at + 2 - offset });
}

/** Bytes {@link emitEthernet} writes. */
export function ethernetLength(f: EthernetFields): number {
  return ETH_HEADER_LEN + VLAN_TAG_LEN * f.vlans.length;
}

/** Write the header and tags; returns bytes written. @throws RangeError (bad MAC, values, room). */
export function emitEthernet(f: EthernetFields, out: Uint8Array, offset = 0): number {
  const n = ethernetLength(f);
  assertRoom(out, offset, n, 'Ethernet header');
  assertUint(f.etherType, 16, 'etherType');
  out.set(macFromText(f.dst), offset);
  out.set(macFromText(f.src), offset + 6);
  let at = offset + 12;
  for (const t of f.vlans) {
    assertUint(t.tpid, 16, 'tpid');
    assertUint(t.pcp, 3, 'pcp');
    assertUint(t.vid, 12, 'vid');
    put16(out, at, t.tpid);
    put16(out, at + 2, (t.pcp << 13) | (t.dei ? 0x1000 : 0) | t.vid);
    at += VLAN_TAG_LEN;
  }
  put16(out, at, f.etherType);
  return n;
}

/** ARP for IPv4 over Ethernet (RFC 826), as a plain object. */
export interface ArpFields {
  readonly hardwareType: number;
  readonly protocolType: number;
  readonly opcode: number;
  readonly senderMac: string;
  readonly senderIp: string;
  readonly targetMac: string;
  readonly targetIp: string;
}

/** ARP header length for Ethernet/IPv4. */
export const ARP_ETH_IPV4_LEN = 28;

/** Parse an Ethernet/IPv4 ARP packet. Errors: `truncated`, `bad-value` (other hardware/protocol sizes). */
export function parseArp(bytes: Uint8Array, offset = 0, end = bytes.length): Result<ArpFields> {
  const avail = Math.min(end, bytes.length) - offset;
  if (avail < 8) return err(truncated('arp', offset, 8, avail));
  const hlen = bytes[offset + 4]!;
  const plen = bytes[offset + 5]!;
  if (hlen !== 6 || plen !== 4) return err(wireError('bad-value', 'arp', offset + 4, 'hlen/plen', (hlen << 8) | plen, '6/4 (Ethernet/IPv4)'));
  if (avail < ARP_ETH_IPV4_LEN) return err(truncated('arp', offset, ARP_ETH_IPV4_LEN, avail));
  const ip = (i: number): string => `${bytes[i]}.${bytes[i + 1]}.${bytes[i + 2]}.${bytes[i + 3]}`;
  return ok({
    hardwareType: u16(bytes, offset),
    protocolType: u16(bytes, offset + 2),
    opcode: u16(bytes, offset + 6),
    senderMac: formatMac(bytes, offset + 8),
    senderIp: ip(offset + 14),
    targetMac: formatMac(bytes, offset + 18),
    targetIp: ip(offset + 24),
  });
}

/** Build a truncation error for a layer (re-exported convenience). */
export function ethTruncated(at: number, avail: number): WireError {
  return truncated('eth', at, ETH_HEADER_LEN, avail);
}
