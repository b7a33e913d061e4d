/**
 * The SIMD path of the Internet checksum: the embedded module is what tools/wasm/gen-checksum-wasm.ts
 * assembles from src/net/checksum-simd.wat, and every path (byte loop, masked words, SIMD with a
 * whole-view copy, SIMD with subarray chunks) is bit-exact with a naive RFC 1071 sum for lengths
 * 0..70000, every start alignment, odd lengths, `initial` values and subarray views.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { fold, internetChecksum, onesSum } from '../../src/net/checksum.js';
import { CHECKSUM_SIMD_WASM_HEX } from '../../src/net/checksum-simd.wasm.js';
import { assembleChecksumWat, renderWasmModule, OUT_PATH } from '../../tools/wasm/gen-checksum-wasm.js';
import { readFileSync } from 'node:fs';
import { fill, naiveSum } from '../offload/util.js';

describe('checksum SIMD module', () => {
  it('the embedded bytes are what the generator assembles from the .wat source', async () => {
    const bytes = await assembleChecksumWat();
    expect(Array.from(bytes, (x) => x.toString(16).padStart(2, '0')).join('')).toBe(CHECKSUM_SIMD_WASM_HEX);
    expect(readFileSync(OUT_PATH, 'utf8')).toBe(renderWasmModule(bytes));
  });

  it('compiles and sums in this runtime (so the fast path is really exercised below)', () => {
    const hex = CHECKSUM_SIMD_WASM_HEX;
    const W = (globalThis as unknown as { WebAssembly: { Module: new (b: Uint8Array) => object; Instance: new (m: object, i: object) => { exports: Record<string, unknown> } } }).WebAssembly;
    const mod = new W.Module(Uint8Array.from({ length: hex.length / 2 }, (_, i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16)));
    const inst = new W.Instance(mod, {});
    const mem = new Uint8Array((inst.exports.mem as { buffer: ArrayBuffer }).buffer);
    const sum = inst.exports.sum as (s: number, e: number) => number;
    mem.set([0x12, 0x34, 0x56], 1);
    expect(sum(1, 4)).toBe(0x3412 + 0x56); // little-endian words, odd byte low
    expect(mem.length).toBe(65536);
  });

  // Lengths biased to the thresholds (32, 256, 1024, 64 KiB) and up to 70000; start offsets 0..7
  // inside a backing buffer, with slack around the view to exercise the whole-view copy.
  const len = fc.oneof(fc.integer({ min: 0, max: 70_000 }), fc.integer({ min: 0, max: 1300 }), fc.constantFrom(31, 32, 33, 255, 256, 257, 1023, 1024, 1025, 65535, 65536, 65537, 69999));
  test.prop([len, fc.nat(7), fc.nat(2000), fc.nat(2000), fc.nat(0xffff), fc.integer({ min: 1, max: 0x7fffffff })], { numRuns: 300 })(
    'onesSum equals the naive byte-pair sum for any range, alignment and initial value',
    (n, shift, cutStart, extra, initial, seed) => {
      const backing = fill(n + 16 + extra, seed);
      const view = backing.subarray(shift, shift + n + extra); // byteOffset not 0 mod 4 for most shifts
      const start = Math.min(cutStart, n);
      const end = n;
      const want = naiveSum([view.subarray(start, end)]);
      expect(onesSum(view, start, end)).toBe(want);
      expect(onesSum(view, start, end, initial)).toBe(fold(want + initial));
      expect(internetChecksum(view, start, end)).toBe(~want & 0xffff);
    },
  );

  it('sums of all-zero and all-0xff ranges keep RFC 1071 zero semantics', () => {
    for (const n of [0, 1, 64, 1500, 65536, 70_000]) {
      expect(onesSum(new Uint8Array(n + 3), 3, n + 3)).toBe(0);
      const ff = new Uint8Array(n).fill(0xff);
      expect(onesSum(ff)).toBe(n >= 2 ? 0xffff : n === 1 ? 0xff00 : 0);
    }
  });

  it('ranges longer than one 64 KiB chunk of the module, at odd starts', () => {
    const b = fill(200_003, 99);
    for (const [s, e] of [[1, 200_003], [0, 131_072], [3, 131_075], [7, 65_543]] as const) expect(onesSum(b, s, e)).toBe(naiveSum([b.subarray(s, e)]));
  });
});
