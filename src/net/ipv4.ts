/**
 * IPv4 header (RFC 791 §3.1; DSCP RFC 2474; ECN RFC 3168).
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version|  IHL  |   DSCP    |ECN|          Total Length         |
 * |         Identification        |Flags|      Fragment Offset    |
 * |  Time to Live |    Protocol   |         Header Checksum       |
 * |                       Source Address                          |
 * |                    Destination Address                        |
 * |                    Options (IHL > 5)                          |
 * ```
 * IHL counts 4-byte words (5..15); Fragment Offset counts 8-byte units.
 */
import { assertRoom, assertUint, formatIpv4, ipv4FromText, put16, u16 } from './bytes.js';
import { internetChecksum, onesSum } from './checksum.js';
import { err, ok, truncated, wireError, type Result } from './errors.js';

/** Minimum IPv4 header length in bytes. */
export const IPV4_MIN_HEADER_LEN = 20;
/** IP protocol numbers used here. */
export const IpProto = { ICMP: 1, IPIP: 4, TCP: 6, UDP: 17, IPV6: 41, GRE: 47, ESP: 50, AH: 51, ICMPV6: 58 } as const;
/** Flag masks on the 16-bit flags/fragment word. */
export const IPV4_FLAG_DF = 0x4000;
export const IPV4_FLAG_MF = 0x2000;
export const IPV4_FRAG_OFFSET_MASK = 0x1fff;

const O = { VER_IHL: 0, TOS: 1, TOTAL_LEN: 2, ID: 4, FLAGS_FRAG: 6, TTL: 8, PROTO: 9, CSUM: 10, SRC: 12, DST: 16 } as const;

/**
 * Zero-copy IPv4 view. Accessors are safe only after {@link Ipv4View.check} / a zero {@link Ipv4View.wrap}.
 * Setting fields does not update the header checksum: call {@link Ipv4View.fillChecksum}.
 */
export class Ipv4View {
  private constructor(
    public bytes: Uint8Array,
    public offset: number,
  ) {}
  /** No checks: for buffers you are about to fill. */
  static unchecked(bytes: Uint8Array, offset = 0): Ipv4View {
    return new Ipv4View(bytes, offset);
  }
  /** A reusable view for {@link Ipv4View.wrap}. */
  static empty(): Ipv4View {
    return new Ipv4View(new Uint8Array(0), 0);
  }
  /**
   * Check in order: 20 bytes (`truncated`), version 4 (`bad-version`), IHL ≥ 5 (`bad-length`),
   * options present (`truncated`), Total Length ≥ IHL·4 unless 0 (BIG TCP / TSO: `bad-length`).
   * Total Length beyond the captured bytes is not an error here (snaplen); see {@link Ipv4View.payloadEnd}.
   */
  static check(bytes: Uint8Array, offset = 0, end = bytes.length): Result<Ipv4View> {
    const v = new Ipv4View(bytes, offset);
    const code = v.wrap(bytes, offset, end);
    if (code === 0) return ok(v);
    const avail = Math.min(end, bytes.length) - offset;
    switch (code) {
      case 1:
        return err(truncated('ipv4', offset, IPV4_MIN_HEADER_LEN, avail));
      case 2:
        return err(wireError('bad-version', 'ipv4', offset, 'version', v.version, '4'));
      case 3:
        return err(wireError('bad-length', 'ipv4', offset, 'ihl', v.ihl, '5..15 words'));
      case 4:
        return err(truncated('ipv4', offset, v.headerLength, avail, 'options'));
      default:
        return err(wireError('bad-length', 'ipv4', offset + O.TOTAL_LEN, 'totalLength', v.totalLength, `0 or >= ${v.headerLength}`));
    }
  }
  /** Re-point in place; 0 ok, 1 truncated, 2 version, 3 IHL, 4 options cut, 5 total length. */
  wrap(bytes: Uint8Array, offset: number, end = bytes.length): number {
    this.bytes = bytes;
    this.offset = offset;
    const avail = Math.min(end, bytes.length) - offset;
    if (avail < IPV4_MIN_HEADER_LEN) return 1;
    const b0 = bytes[offset]!;
    if (b0 >>> 4 !== 4) return 2;
    const hl = (b0 & 0x0f) * 4;
    if (hl < IPV4_MIN_HEADER_LEN) return 3;
    if (hl > avail) return 4;
    const tl = u16(bytes, offset + O.TOTAL_LEN);
    if (tl !== 0 && tl < hl) return 5;
    return 0;
  }
  get version(): number {
    return this.bytes[this.offset]! >>> 4;
  }
  /** Header length in 4-byte words. */
  get ihl(): number {
    return this.bytes[this.offset]! & 0x0f;
  }
  /** Header length in bytes. */
  get headerLength(): number {
    return (this.bytes[this.offset]! & 0x0f) * 4;
  }
  /** The former TOS byte (DSCP << 2 | ECN). */
  get tos(): number {
    return this.bytes[this.offset + O.TOS]!;
  }
  set tos(v: number) {
    assertUint(v, 8, 'tos');
    this.bytes[this.offset + O.TOS] = v;
  }
  get dscp(): number {
    return this.bytes[this.offset + O.TOS]! >>> 2;
  }
  get ecn(): number {
    return this.bytes[this.offset + O.TOS]! & 3;
  }
  /** Total Length in bytes (0 in BIG TCP / TSO super-frames). */
  get totalLength(): number {
    return u16(this.bytes, this.offset + O.TOTAL_LEN);
  }
  set totalLength(v: number) {
    assertUint(v, 16, 'totalLength');
    put16(this.bytes, this.offset + O.TOTAL_LEN, v);
  }
  get identification(): number {
    return u16(this.bytes, this.offset + O.ID);
  }
  set identification(v: number) {
    assertUint(v, 16, 'identification');
    put16(this.bytes, this.offset + O.ID, v);
  }
  /** The 3 flag bits (0x4 reserved, 0x2 DF, 0x1 MF). */
  get flags(): number {
    return this.bytes[this.offset + O.FLAGS_FRAG]! >>> 5;
  }
  get dontFragment(): boolean {
    return (u16(this.bytes, this.offset + O.FLAGS_FRAG) & IPV4_FLAG_DF) !== 0;
  }
  get moreFragments(): boolean {
    return (u16(this.bytes, this.offset + O.FLAGS_FRAG) & IPV4_FLAG_MF) !== 0;
  }
  /** Fragment offset in bytes (the field counts 8-byte units). */
  get fragmentOffset(): number {
    return (u16(this.bytes, this.offset + O.FLAGS_FRAG) & IPV4_FRAG_OFFSET_MASK) * 8;
  }
  /** True for any fragment (MF set or offset ≠ 0). */
  get isFragment(): boolean {
    return (u16(this.bytes, this.offset + O.FLAGS_FRAG) & (IPV4_FLAG_MF | IPV4_FRAG_OFFSET_MASK)) !== 0;
  }
  get ttl(): number {
    return this.bytes[this.offset + O.TTL]!;
  }
  set ttl(v: number) {
    assertUint(v, 8, 'ttl');
    this.bytes[this.offset + O.TTL] = v;
  }
  get protocol(): number {
    return this.bytes[this.offset + O.PROTO]!;
  }
  get checksum(): number {
    return u16(this.bytes, this.offset + O.CSUM);
  }
  /** Offset of the source address in `bytes`. */
  get srcAt(): number {
    return this.offset + O.SRC;
  }
  /** Offset of the destination address in `bytes`. */
  get dstAt(): number {
    return this.offset + O.DST;
  }
  /** Source address, dotted quad (allocates). */
  get src(): string {
    return formatIpv4(this.bytes, this.offset + O.SRC);
  }
  /** Destination address, dotted quad (allocates). */
  get dst(): string {
    return formatIpv4(this.bytes, this.offset + O.DST);
  }
  /** True when the header checksum verifies (sum over the header is 0xffff). */
  get checksumValid(): boolean {
    return onesSum(this.bytes, this.offset, this.offset + this.headerLength) === 0xffff;
  }
  /** Compute and store the header checksum. */
  fillChecksum(): void {
    put16(this.bytes, this.offset + O.CSUM, 0);
    put16(this.bytes, this.offset + O.CSUM, internetChecksum(this.bytes, this.offset, this.offset + this.headerLength));
  }
  /** Offset of the payload. */
  get payloadOffset(): number {
    return this.offset + this.headerLength;
  }
  /**
   * End of the payload: `offset + totalLength` clipped to `end`; a Total Length of 0 (BIG TCP /
   * TSO) means "to the end of the captured bytes".
   */
  payloadEnd(end = this.bytes.length): number {
    const tl = this.totalLength;
    const lim = Math.min(end, this.bytes.length);
    return tl === 0 ? lim : Math.min(lim, this.offset + tl);
  }
}

/** An IPv4 header as a plain object. */
export interface Ipv4Fields {
  readonly dscp: number;
  readonly ecn: number;
  readonly totalLength: number;
  readonly identification: number;
  readonly dontFragment: boolean;
  readonly moreFragments: boolean;
  /** In bytes (multiple of 8). */
  readonly fragmentOffset: number;
  readonly ttl: number;
  readonly protocol: number;
  readonly src: string;
  readonly dst: string;
  /** Options bytes (multiple of 4, ≤ 40); aliases the input on parse. */
  readonly options: Uint8Array;
}

/** Parse an IPv4 header (see {@link Ipv4View.check} for errors). */
export function parseIpv4(bytes: Uint8Array, offset = 0, end = bytes.length): Result<Ipv4Fields> {
  const r = Ipv4View.check(bytes, offset, end);
  if (!r.ok) return r;
  const v = r.value;
  return ok({
    dscp: v.dscp,
    ecn: v.ecn,
    totalLength: v.totalLength,
    identification: v.identification,
    dontFragment: v.dontFragment,
    moreFragments: v.moreFragments,
    fragmentOffset: v.fragmentOffset,
    ttl: v.ttl,
    protocol: v.protocol,
    src: v.src,
    dst: v.dst,
    options: bytes.subarray(offset + IPV4_MIN_HEADER_LEN, offset + v.headerLength),
  });
}

/** Bytes {@link emitIpv4} writes. */
export function ipv4Length(f: Pick<Ipv4Fields, 'options'>): number {
  return IPV4_MIN_HEADER_LEN + f.options.length;
}

/** Write the header (checksum computed, reserved flag 0); returns bytes written. @throws RangeError. */
export function emitIpv4(f: Ipv4Fields, out: Uint8Array, offset = 0): number {
  const hl = ipv4Length(f);
  if (f.options.length % 4 !== 0 || f.options.length > 40) throw new RangeError(`IPv4 options must be a multiple of 4 bytes up to 40, got ${f.options.length}`);
  assertRoom(out, offset, hl, 'IPv4 header');
  assertUint(f.dscp, 6, 'dscp');
  assertUint(f.ecn, 2, 'ecn');
  assertUint(f.totalLength, 16, 'totalLength');
  assertUint(f.identification, 16, 'identification');
  assertUint(f.ttl, 8, 'ttl');
  assertUint(f.protocol, 8, 'protocol');
  if (f.fragmentOffset % 8 !== 0) throw new RangeError(`fragmentOffset must be a multiple of 8, got ${f.fragmentOffset}`);
  assertUint(f.fragmentOffset / 8, 13, 'fragmentOffset/8');
  out[offset] = 0x40 | (hl / 4);
  out[offset + 1] = (f.dscp << 2) | f.ecn;
  put16(out, offset + 2, f.totalLength);
  put16(out, offset + 4, f.identification);
  put16(out, offset + 6, (f.dontFragment ? IPV4_FLAG_DF : 0) | (f.moreFragments ? IPV4_FLAG_MF : 0) | (f.fragmentOffset / 8));
  out[offset + 8] = f.ttl;
  out[offset + 9] = f.protocol;
  out.set(ipv4FromText(f.src), offset + 12);
  out.set(ipv4FromText(f.dst), offset + 16);
  out.set(f.options, offset + 20);
  Ipv4View.unchecked(out, offset).fillChecksum();
  return hl;
}
