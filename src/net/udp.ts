/**
 * UDP header (RFC 768) and its checksum over the IPv4 / IPv6 pseudo-header.
 *
 * ```
 * | Source Port (16) | Destination Port (16) | Length (16, header + data) | Checksum (16) |
 * ```
 * Over IPv4 a checksum of 0 means "none"; a computed 0 is sent as 0xFFFF. Over IPv6 zero is only
 * valid where a tunnel is configured for it (RFC 6935/6936). Length 0 appears in BIG TCP / GSO
 * super-frames (the real length is the IP payload's).
 */
import { assertRoom, assertUint, put16, u16 } from './bytes.js';
import { fold, ipv4PseudoSum, ipv6PseudoSum, onesSum } from './checksum.js';
import { err, ok, truncated, wireError, type Result } from './errors.js';

/** UDP header length in bytes. */
export const UDP_HEADER_LEN = 8;

/** Zero-copy UDP view; accessors are safe after {@link UdpView.check} / a zero {@link UdpView.wrap}. */
export class UdpView {
  private constructor(
    public bytes: Uint8Array,
    public offset: number,
  ) {}
  static unchecked(bytes: Uint8Array, offset = 0): UdpView {
    return new UdpView(bytes, offset);
  }
  static empty(): UdpView {
    return new UdpView(new Uint8Array(0), 0);
  }
  /** Errors: `truncated` (< 8 bytes), `bad-length` (Length 1..7). */
  static check(bytes: Uint8Array, offset = 0, end = bytes.length): Result<UdpView> {
    const v = new UdpView(bytes, offset);
    const code = v.wrap(bytes, offset, end);
    if (code === 1) return err(truncated('udp', offset, UDP_HEADER_LEN, Math.min(end, bytes.length) - offset));
    if (code === 2) return err(wireError('bad-length', 'udp', offset + 4, 'length', v.length, `0 or >= ${UDP_HEADER_LEN}`));
    return ok(v);
  }
  /** Re-point; 0 ok, 1 truncated, 2 bad length. */
  wrap(bytes: Uint8Array, offset: number, end = bytes.length): number {
    this.bytes = bytes;
    this.offset = offset;
    if (Math.min(end, bytes.length) - offset < UDP_HEADER_LEN) return 1;
    const len = u16(bytes, offset + 4);
    return len !== 0 && len < UDP_HEADER_LEN ? 2 : 0;
  }
  get srcPort(): number {
    return u16(this.bytes, this.offset);
  }
  set srcPort(v: number) {
    assertUint(v, 16, 'srcPort');
    put16(this.bytes, this.offset, v);
  }
  get dstPort(): number {
    return u16(this.bytes, this.offset + 2);
  }
  set dstPort(v: number) {
    assertUint(v, 16, 'dstPort');
    put16(this.bytes, this.offset + 2, v);
  }
  /** Length field in bytes (header + data). */
  get length(): number {
    return u16(this.bytes, this.offset + 4);
  }
  set length(v: number) {
    assertUint(v, 16, 'length');
    put16(this.bytes, this.offset + 4, v);
  }
  get checksum(): number {
    return u16(this.bytes, this.offset + 6);
  }
  set checksum(v: number) {
    assertUint(v, 16, 'checksum');
    put16(this.bytes, this.offset + 6, v);
  }
  get payloadOffset(): number {
    return this.offset + UDP_HEADER_LEN;
  }
  /** End of the datagram: Length clipped to `end`; Length 0 means "to `end`". */
  payloadEnd(end = this.bytes.length): number {
    const len = this.length;
    const lim = Math.min(end, this.bytes.length);
    return len === 0 ? lim : Math.min(lim, this.offset + len);
  }
}

/**
 * Sum of the pseudo-header for an L4 segment of `l4Length` bytes under the IP header at `ipOffset`
 * (version read from the first nibble). For IPv6, `dstAt` is where the destination to use is: the
 * fixed header's (default) or the final destination of a Routing header ({@link Ipv6ExtWalker.finalDstAt}).
 * Returns the folded, non-complemented sum.
 */
export function pseudoHeaderSum(bytes: Uint8Array, ipOffset: number, protocol: number, l4Length: number, dstAt = -1): number {
  return bytes[ipOffset]! >>> 4 === 4
    ? ipv4PseudoSum(bytes, ipOffset + 12, ipOffset + 16, protocol, l4Length)
    : ipv6PseudoSum(bytes, ipOffset + 8, dstAt >= 0 ? dstAt : ipOffset + 24, protocol, l4Length);
}

/**
 * Verify a UDP or TCP checksum: the sum of pseudo-header and segment must be 0xffff.
 * `l4End - l4Offset` is the segment length used in the pseudo-header; `dstAt` as for {@link pseudoHeaderSum}.
 */
export function l4ChecksumValid(bytes: Uint8Array, ipOffset: number, protocol: number, l4Offset: number, l4End: number, dstAt = -1): boolean {
  const len = l4End - l4Offset;
  return fold(onesSum(bytes, l4Offset, l4End) + pseudoHeaderSum(bytes, ipOffset, protocol, len, dstAt)) === 0xffff;
}

/**
 * Compute the UDP checksum to store (field treated as zero). A computed 0 becomes 0xFFFF (RFC 768).
 */
export function udpChecksum(bytes: Uint8Array, ipOffset: number, udpOffset: number, udpEnd: number, dstAt = -1): number {
  const saved = u16(bytes, udpOffset + 6);
  put16(bytes, udpOffset + 6, 0);
  const s = fold(onesSum(bytes, udpOffset, udpEnd) + pseudoHeaderSum(bytes, ipOffset, 17, udpEnd - udpOffset, dstAt));
  put16(bytes, udpOffset + 6, saved);
  const c = ~s & 0xffff;
  return c === 0 ? 0xffff : c;
}

/** A UDP header as a plain object. */
export interface UdpFields {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly length: number;
  readonly checksum: number;
}

/** Parse a UDP header (errors as {@link UdpView.check}). */
export function parseUdp(bytes: Uint8Array, offset = 0, end = bytes.length): Result<UdpFields> {
  const r = UdpView.check(bytes, offset, end);
  if (!r.ok) return r;
  const v = r.value;
  return ok({ srcPort: v.srcPort, dstPort: v.dstPort, length: v.length, checksum: v.checksum });
}

/** Write the 8-byte header as given; returns 8. @throws RangeError. */
export function emitUdp(f: UdpFields, out: Uint8Array, offset = 0): number {
  assertRoom(out, offset, UDP_HEADER_LEN, 'UDP header');
  const v = UdpView.unchecked(out, offset);
  v.srcPort = f.srcPort;
  v.dstPort = f.dstPort;
  v.length = f.length;
  v.checksum = f.checksum;
  return UDP_HEADER_LEN;
}
