/**
 * The Internet checksum where WebAssembly is missing (or forbidden): the masked word loop then serves
 * every length, including ranges over 4 MiB, which it sums in 4 MiB pieces. The module is loaded
 * afresh with `WebAssembly` undefined, and every result is checked against a naive RFC 1071 sum.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fill, naiveSum } from '../offload/util.js';

describe('checksum without WebAssembly', () => {
  let cs: typeof import('../../src/net/checksum.js');
  beforeAll(async () => {
    vi.stubGlobal('WebAssembly', undefined);
    vi.resetModules();
    cs = await import('../../src/net/checksum.js');
  });
  afterAll(() => {
    vi.unstubAllGlobals();
    vi.resetModules();
  });

  it('sums every length class at every start alignment', () => {
    const b = fill(70_100, 7);
    for (const n of [31, 32, 33, 64, 255, 256, 1023, 1024, 1500, 65_536, 70_000]) {
      for (let s = 0; s < 8; s++) {
        const want = naiveSum([b.subarray(s, s + n)]);
        expect(cs.onesSum(b, s, s + n), `${n} B at ${s}`).toBe(want);
        expect(cs.onesSum(b, s, s + n, 0xfedc), `${n} B at ${s}, initial`).toBe(cs.fold(want + 0xfedc));
      }
    }
  });

  it('sums ranges over 4 MiB (more words than one accumulator holds) in pieces', () => {
    const b = fill(9_000_011, 3);
    for (const [s, e] of [[0, 9_000_011], [1, 8_388_610], [3, 4_194_307], [2, 4_194_306]] as const) {
      expect(cs.onesSum(b, s, e), `[${s}, ${e})`).toBe(naiveSum([b.subarray(s, e)]));
    }
  });
});
