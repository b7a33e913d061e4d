/**
 * IPv6 header (RFC 8200 §3) and the extension-header walk to the upper-layer protocol (RFC 8200 §4).
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version| Traffic Class |           Flow Label                  |
 * |         Payload Length        |  Next Header  |   Hop Limit   |
 * |                Source Address (16 bytes)                      |
 * |             Destination Address (16 bytes)                    |
 * ```
 * Extension headers: Hop-by-Hop (0), Routing (43), Destination Options (60), Mobility (135), HIP (139),
 * Shim6 (140): `(HdrExtLen + 1) × 8` bytes; Fragment (44): 8 bytes; AH (51): `(PayloadLen + 2) × 4` bytes.
 * ESP (50) and No Next Header (59) end the walk.
 */
import { assertRoom, assertUint, formatIpv6, ipv6FromText, put16, u16, u32 } from './bytes.js';
import { err, ok, truncated, wireError, type Result, type WireError } from './errors.js';

/** IPv6 fixed header length in bytes. */
export const IPV6_HEADER_LEN = 40;
/** Most extension headers walked before `depth-exceeded`. */
export const IPV6_MAX_EXTENSIONS = 16;

const O = { VER_TC_FL: 0, PAYLOAD_LEN: 4, NEXT: 6, HOP: 7, SRC: 8, DST: 24 } as const;

/** Zero-copy IPv6 view; accessors are safe after {@link Ipv6View.check} / a zero {@link Ipv6View.wrap}. */
export class Ipv6View {
  private constructor(
    public bytes: Uint8Array,
    public offset: number,
  ) {}
  static unchecked(bytes: Uint8Array, offset = 0): Ipv6View {
    return new Ipv6View(bytes, offset);
  }
  static empty(): Ipv6View {
    return new Ipv6View(new Uint8Array(0), 0);
  }
  /** Errors: `truncated` (< 40 bytes), `bad-version`. */
  static check(bytes: Uint8Array, offset = 0, end = bytes.length): Result<Ipv6View> {
    const v = new Ipv6View(bytes, offset);
    const code = v.wrap(bytes, offset, end);
    if (code === 1) return err(truncated('ipv6', offset, IPV6_HEADER_LEN, Math.min(end, bytes.length) - offset));
    if (code === 2) return err(wireError('bad-version', 'ipv6', offset, 'version', v.version, '6'));
    return ok(v);
  }
  /** Re-point; 0 ok, 1 truncated, 2 version. */
  wrap(bytes: Uint8Array, offset: number, end = bytes.length): number {
    this.bytes = bytes;
    this.offset = offset;
    if (Math.min(end, bytes.length) - offset < IPV6_HEADER_LEN) return 1;
    return bytes[offset]! >>> 4 === 6 ? 0 : 2;
  }
  get version(): number {
    return this.bytes[this.offset]! >>> 4;
  }
  /** Traffic Class (DSCP << 2 | ECN). */
  get trafficClass(): number {
    return (u16(this.bytes, this.offset) >>> 4) & 0xff;
  }
  set trafficClass(v: number) {
    assertUint(v, 8, 'trafficClass');
    const w = u16(this.bytes, this.offset);
    put16(this.bytes, this.offset, (w & 0xf00f) | (v << 4));
  }
  get dscp(): number {
    return this.trafficClass >>> 2;
  }
  get ecn(): number {
    return this.trafficClass & 3;
  }
  /** 20-bit flow label. */
  get flowLabel(): number {
    return u32(this.bytes, this.offset) & 0xfffff;
  }
  /** Payload Length in bytes (extension headers included; 0 for jumbograms / BIG TCP). */
  get payloadLength(): number {
    return u16(this.bytes, this.offset + O.PAYLOAD_LEN);
  }
  set payloadLength(v: number) {
    assertUint(v, 16, 'payloadLength');
    put16(this.bytes, this.offset + O.PAYLOAD_LEN, v);
  }
  get nextHeader(): number {
    return this.bytes[this.offset + O.NEXT]!;
  }
  get hopLimit(): number {
    return this.bytes[this.offset + O.HOP]!;
  }
  set hopLimit(v: number) {
    assertUint(v, 8, 'hopLimit');
    this.bytes[this.offset + O.HOP] = v;
  }
  get srcAt(): number {
    return this.offset + O.SRC;
  }
  get dstAt(): number {
    return this.offset + O.DST;
  }
  /** Source address, RFC 5952 text (allocates). */
  get src(): string {
    return formatIpv6(this.bytes, this.offset + O.SRC);
  }
  /** Destination address, RFC 5952 text (allocates). */
  get dst(): string {
    return formatIpv6(this.bytes, this.offset + O.DST);
  }
  /** End of the payload: Payload Length clipped to `end`; 0 means "to the end of the captured bytes". */
  payloadEnd(end = this.bytes.length): number {
    const pl = this.payloadLength;
    const lim = Math.min(end, this.bytes.length);
    return pl === 0 ? lim : Math.min(lim, this.offset + IPV6_HEADER_LEN + pl);
  }
}

/**
 * Reusable, non-allocating walker over the extension-header chain. After {@link Ipv6ExtWalker.walk}
 * returns 0, `protocol` and `upperOffset` locate the upper-layer header and the fragment fields
 * describe a Fragment header if one was crossed.
 */
export class Ipv6ExtWalker {
  /** Upper-layer protocol (e.g. 17 UDP, 6 TCP, 47 GRE, 58 ICMPv6, 50 ESP, 59 none). */
  protocol = 0;
  /** Offset of the upper-layer header. */
  upperOffset = 0;
  /** A Fragment header was crossed. */
  hasFragment = false;
  /** Fragment offset in bytes. */
  fragmentOffset = 0;
  /** M flag. */
  moreFragments = false;
  /** 32-bit fragment identification. */
  fragmentId = 0;
  /** Offset of the byte holding the Next Header that names the fragment's upper protocol. */
  fragmentHeaderAt = 0;
  /** Number of extension headers crossed. */
  extensions = 0;
  /** Where an error was found (absolute offset). */
  errorAt = 0;
  /** Bytes the cut extension header needed (for the error). */
  errorRequired = 0;
  /**
   * Offset of the address a TCP/UDP pseudo-header uses as destination (RFC 8200 §8.1): the fixed
   * header's destination, or the final destination named by a Routing header with segments left
   * (type 0: last address; type 2: home address; type 4 SRH: Segment List[0]).
   */
  finalDstAt = 0;

  /**
   * Walk from the fixed header at `offset` to the first non-extension header, bounded by `end`.
   * Stops at a non-first fragment (its payload has no upper header) with code 0 and `protocol` set.
   * @returns 0 ok, 1 an extension header is cut (`truncated`), 2 too many extensions.
   */
  walk(bytes: Uint8Array, offset: number, end: number): number {
    this.hasFragment = false;
    this.fragmentOffset = 0;
    this.moreFragments = false;
    this.fragmentId = 0;
    this.extensions = 0;
    this.finalDstAt = offset + O.DST;
    let next = bytes[offset + O.NEXT]!;
    let at = offset + IPV6_HEADER_LEN;
    const lim = Math.min(end, bytes.length);
    for (;;) {
      let len: number;
      if (next === 0 || next === 43 || next === 60 || next === 135 || next === 139 || next === 140) {
        if (lim - at < 8) return this.fail(at, 1);
        len = (bytes[at + 1]! + 1) * 8;
      } else if (next === 44) {
        if (lim - at < 8) return this.fail(at, 1);
        len = 8;
        this.hasFragment = true;
        const fw = u16(bytes, at + 2);
        this.fragmentOffset = fw & 0xfff8;
        this.moreFragments = (fw & 1) !== 0;
        this.fragmentId = u32(bytes, at + 4);
        this.fragmentHeaderAt = at;
      } else if (next === 51) {
        if (lim - at < 8) return this.fail(at, 1);
        len = (bytes[at + 1]! + 2) * 4;
      } else {
        break;
      }
      if (++this.extensions > IPV6_MAX_EXTENSIONS) return this.fail(at, 2);
      if (lim - at < len) return this.fail(at, 1, len);
      if (next === 43 && bytes[at + 3]! > 0) this.routingDestination(bytes, at, len);
      next = bytes[at]!;
      at += len;
      if (this.hasFragment && this.fragmentOffset !== 0) break;
    }
    this.protocol = next;
    this.upperOffset = at;
    return 0;
  }

  private fail(at: number, code: number, required = 8): number {
    this.errorAt = at;
    this.errorRequired = required;
    return code;
  }

  private routingDestination(bytes: Uint8Array, at: number, len: number): void {
    const type = bytes[at + 2]!;
    if (type === 4 && len >= 24) this.finalDstAt = at + 8; // SRH: Segment List[0] is the final segment (RFC 8754 §2)
    else if (type === 2 && len >= 24) this.finalDstAt = at + 8; // Mobile IPv6 home address (RFC 6275 §6.4)
    else if (type === 0 && len >= 24) this.finalDstAt = at + 8 + 16 * (Math.floor((len - 8) / 16) - 1); // last address
  }

  /** Expand a non-zero code from {@link Ipv6ExtWalker.walk}. */
  error(code: number, bytes: Uint8Array, end: number): WireError {
    const avail = Math.min(end, bytes.length) - this.errorAt;
    if (code === 2) return wireError('depth-exceeded', 'ipv6', this.errorAt, 'extensionHeaders', this.extensions, `<= ${IPV6_MAX_EXTENSIONS}`);
    return truncated('ipv6', this.errorAt, this.errorRequired, avail, 'extensionHeader');
  }
}

/** An IPv6 fixed header as a plain object. */
export interface Ipv6Fields {
  readonly trafficClass: number;
  readonly flowLabel: number;
  readonly payloadLength: number;
  readonly nextHeader: number;
  readonly hopLimit: number;
  readonly src: string;
  readonly dst: string;
}

/** Parse the 40-byte fixed header (extension headers: {@link Ipv6ExtWalker}). */
export function parseIpv6(bytes: Uint8Array, offset = 0, end = bytes.length): Result<Ipv6Fields> {
  const r = Ipv6View.check(bytes, offset, end);
  if (!r.ok) return r;
  const v = r.value;
  return ok({
    trafficClass: v.trafficClass,
    flowLabel: v.flowLabel,
    payloadLength: v.payloadLength,
    nextHeader: v.nextHeader,
    hopLimit: v.hopLimit,
    src: v.src,
    dst: v.dst,
  });
}

/** Write the 40-byte fixed header; returns 40. @throws RangeError. */
export function emitIpv6(f: Ipv6Fields, out: Uint8Array, offset = 0): number {
  assertRoom(out, offset, IPV6_HEADER_LEN, 'IPv6 header');
  assertUint(f.trafficClass, 8, 'trafficClass');
  assertUint(f.flowLabel, 20, 'flowLabel');
  assertUint(f.payloadLength, 16, 'payloadLength');
  assertUint(f.nextHeader, 8, 'nextHeader');
  assertUint(f.hopLimit, 8, 'hopLimit');
  const w = ((6 << 28) | (f.trafficClass << 20) | f.flowLabel) >>> 0;
  out[offset] = w >>> 24;
  out[offset + 1] = w >>> 16;
  out[offset + 2] = w >>> 8;
  out[offset + 3] = w;
  put16(out, offset + 4, f.payloadLength);
  out[offset + 6] = f.nextHeader;
  out[offset + 7] = f.hopLimit;
  out.set(ipv6FromText(f.src), offset + 8);
  out.set(ipv6FromText(f.dst), offset + 24);
  return IPV6_HEADER_LEN;
}
