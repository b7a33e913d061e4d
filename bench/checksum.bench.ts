/** Internet checksum (RFC 1071) at 64 B, 1500 B and 64 KiB, beside a plain memory copy of the same bytes. */
import { internetChecksum } from '../src/net/checksum.js';
import type { Suite } from './harness.js';

function naive(b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < b.length; i += 2) s += (b[i]! << 8) | (b[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

export function checksumSuites(): Suite[] {
  return [64, 1500, 65536].map((n) => {
    const backing = new Uint8Array(n + 64).map((_, i) => (i * 131 + 7) & 0xff);
    const data = backing.subarray(2, 2 + n); // not 4-byte aligned, like a header after Ethernet
    const copyTo = new Uint8Array(n);
    const want = naive(data);
    return {
      name: `checksum/${n === 65536 ? '64KiB' : `${n}B`}`,
      baseline: 'memcpy',
      cases: [
        { name: 'memcpy', bytes: n, fn: () => (copyTo.set(data), copyTo[n - 1]!) },
        { name: 'internetChecksum', bytes: n, fn: () => internetChecksum(data), expect: want },
        { name: 'naive byte loop', bytes: n, fn: () => naive(data), expect: want },
      ],
    };
  });
}
