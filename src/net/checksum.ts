/**
 * Internet checksum (RFC 1071) and pseudo-header sums (RFC 768 / RFC 9293 / RFC 8200 §8.1).
 *
 * `onesSum` returns the folded 16-bit one's-complement sum (not complemented) so partial sums can be
 * combined; `internetChecksum` returns the complemented checksum to store in a header.
 */

/**
 * One's-complement sum of `b[start..end)` as big-endian 16-bit words, an odd last byte padded with
 * zero, added to `initial` (a previous folded sum). Returns a value in 0..0xffff (folded, not complemented).
 */
export function onesSum(b: Uint8Array, start = 0, end = b.length, initial = 0): number {
  let sum = initial;
  let i = start;
  const even = end - ((end - start) & 1);
  // Accumulate in a double: 2^53 leaves room for ~2^37 words before folding is needed.
  for (; i + 8 <= even; i += 8) {
    sum += ((b[i]! << 8) | b[i + 1]!) + ((b[i + 2]! << 8) | b[i + 3]!) + ((b[i + 4]! << 8) | b[i + 5]!) + ((b[i + 6]! << 8) | b[i + 7]!);
  }
  for (; i < even; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  if (i < end) sum += b[i]! << 8;
  return fold(sum);
}

/** Fold a wide sum to 16 bits with end-around carry. */
export function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  return sum;
}

/** The checksum to store: `~onesSum(...) & 0xffff`. */
export function internetChecksum(b: Uint8Array, start = 0, end = b.length, initial = 0): number {
  return ~onesSum(b, start, end, initial) & 0xffff;
}

/** Folded sum of the IPv4 pseudo-header: src, dst (4 bytes each at the given offsets), protocol, L4 length. */
export function ipv4PseudoSum(b: Uint8Array, srcAt: number, dstAt: number, protocol: number, l4Length: number): number {
  return fold(onesSum(b, srcAt, srcAt + 4) + onesSum(b, dstAt, dstAt + 4) + protocol + l4Length);
}

/** Folded sum of the IPv6 pseudo-header: src, dst (16 bytes each), upper-layer length (32 bits), next header. */
export function ipv6PseudoSum(b: Uint8Array, srcAt: number, dstAt: number, nextHeader: number, l4Length: number): number {
  return fold(onesSum(b, srcAt, srcAt + 16) + onesSum(b, dstAt, dstAt + 16) + Math.floor(l4Length / 0x10000) + (l4Length & 0xffff) + nextHeader);
}
