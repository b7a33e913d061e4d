/**
 * The word-at-a-time Internet checksum against a naive RFC 1071 reference: any length, any start
 * parity, any alignment of the underlying buffer (subarray views), and partial sums combined.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { fold, internetChecksum, onesSum } from '../../src/net/checksum.js';

/** RFC 1071 §4.1 style: big-endian 16-bit words, odd byte padded, end-around carry. */
function naive(b: Uint8Array, start: number, end: number): number {
  let s = 0;
  for (let i = start; i < end; i += 2) s += (b[i]! << 8) | (i + 1 < end ? b[i + 1]! : 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

describe('onesSum / internetChecksum', () => {
  test.prop([fc.uint8Array({ minLength: 0, maxLength: 4000 }), fc.nat(7), fc.nat(4000), fc.nat(4000)], { numRuns: 2000 })(
    'equals the naive sum for every start, end and buffer alignment',
    (raw, shift, a, c) => {
      const backing = new Uint8Array(raw.length + 8);
      backing.set(raw, shift);
      const b = backing.subarray(shift, shift + raw.length); // a view whose byteOffset is not 0 mod 4
      const start = Math.min(a, b.length);
      const end = Math.max(start, Math.min(c, b.length));
      expect(onesSum(b, start, end)).toBe(naive(b, start, end));
      expect(internetChecksum(b, start, end)).toBe(~naive(b, start, end) & 0xffff);
    },
  );
  test.prop([fc.uint8Array({ minLength: 1, maxLength: 3000 }), fc.nat(3000)], { numRuns: 500 })('partial sums combine when split at an even point', (b, cut) => {
    const m = Math.min(b.length, cut) & ~1;
    expect(fold(onesSum(b, 0, m) + onesSum(b, m, b.length))).toBe(naive(b, 0, b.length));
  });
  test.prop([fc.integer({ min: 64, max: 70_000 })], { numRuns: 20 })('a verified buffer sums to 0xffff at any size', (n) => {
    const b = new Uint8Array(n).map((_, i) => (i * 131 + 7) & 0xff);
    b[0] = b[1] = 0;
    const c = internetChecksum(b);
    b[0] = c >>> 8;
    b[1] = c & 0xff;
    expect(onesSum(b)).toBe(0xffff);
  });
});
