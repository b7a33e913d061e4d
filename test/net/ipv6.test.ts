import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { formatIpv6, put16, put32 } from '../../src/net/bytes.js';
import { IPV6_HEADER_LEN, IPV6_MAX_EXTENSIONS, Ipv6ExtWalker, Ipv6View, emitIpv6, parseIpv6, type Ipv6Fields } from '../../src/net/ipv6.js';
import { IPV6_EXT_CHAIN, IPV6_FIXTURES, IPV6_FRAG_NONFIRST, IPV6_KERNEL_MLD_HBH, type TsharkIpv6 } from '../fixtures/net.js';
import { asBuffer } from '../oracles/buf.js';
import { ipv6Bl, ipv6Bp, ipv6ChainOracle, type Ipv6Bp } from '../oracles/net.js';

const a5 = (n: number) => new Uint8Array(n).fill(0xa5);
const num = (h: string) => parseInt(h, 16);
const text16 = (b: ArrayLike<number>) => formatIpv6(Uint8Array.from(b), 0);

function expectedIpv6(t: TsharkIpv6): Ipv6Fields {
  return { trafficClass: num(t.tclass_hex), flowLabel: t.flow_label, payloadLength: t.plen, nextHeader: t.nxt, hopLimit: t.hlim, src: t.src, dst: t.dst };
}

/** Where each extension header starts and where the upper layer starts, from tshark's list. */
function layout(t: TsharkIpv6): { starts: number[]; upper: number; protocol: number } {
  const starts: number[] = [];
  let at = IPV6_HEADER_LEN;
  for (const e of t.ext) {
    starts.push(at);
    at += e.len_bytes;
  }
  return { starts, upper: at, protocol: t.ext.length ? t.ext[t.ext.length - 1]!.nxt : t.nxt };
}

describe('IPv6 fixtures (deconstruct / construct / parse / emit)', () => {
  for (const fx of IPV6_FIXTURES) {
    const t = fx.tshark;
    const fixed = fx.bytes.subarray(0, IPV6_HEADER_LEN);
    describe(fx.name, () => {
      it('deconstructs through the view getters (tshark ipv6.*)', () => {
        expect(Ipv6View.check(fx.bytes).ok).toBe(true);
        const v = Ipv6View.unchecked(fx.bytes);
        expect([v.version, v.trafficClass, v.dscp, v.ecn, v.flowLabel, v.payloadLength, v.nextHeader, v.hopLimit, v.src, v.dst, v.srcAt, v.dstAt]).toEqual([
          6, num(t.tclass_hex), num(t.tclass_hex) >> 2, num(t.tclass_hex) & 3, t.flow_label, t.plen, t.nxt, t.hlim, t.src, t.dst, 8, 24,
        ]);
        expect(v.payloadEnd()).toBe(Math.min(fx.bytes.length, IPV6_HEADER_LEN + t.plen));
      });
      it('constructs from the tshark description into 0xa5 (emit)', () => {
        const out = a5(IPV6_HEADER_LEN);
        expect(emitIpv6(expectedIpv6(t), out)).toBe(IPV6_HEADER_LEN);
        expect(out).toEqual(fixed);
      });
      it('constructs through the setters over a scrambled copy', () => {
        const b = Uint8Array.from(fixed);
        b[0] = (b[0]! & 0xf0) | 0x0a;
        b[1] = (b[1]! & 0x0f) | 0x50;
        b[4] = b[5] = b[7] = 0xa5;
        const v = Ipv6View.unchecked(b);
        v.trafficClass = num(t.tclass_hex);
        v.payloadLength = t.plen;
        v.hopLimit = t.hlim;
        expect(b).toEqual(fixed);
      });
      it('parses to the tshark fields', () => {
        expect(parseIpv6(fx.bytes)).toEqual({ ok: true, value: expectedIpv6(t) });
      });
      it('re-emits the parsed fields byte for byte at an offset', () => {
        const r = parseIpv6(fx.bytes);
        const out = a5(IPV6_HEADER_LEN + 4);
        if (r.ok) emitIpv6(r.value, out, 2);
        expect(out.subarray(2, 42)).toEqual(fixed);
        expect([out[0], out[1], out[42], out[43]]).toEqual([0xa5, 0xa5, 0xa5, 0xa5]);
      });
      it(`walks the extension chain as tshark does (${t.ext.map((e) => e.proto).join(' → ') || 'none'})`, () => {
        const w = new Ipv6ExtWalker();
        const { upper, protocol } = layout(t);
        expect(w.walk(fx.bytes, 0, fx.bytes.length)).toBe(0);
        expect([w.protocol, w.upperOffset, w.extensions]).toEqual([protocol, upper, t.ext.length]);
        const frag = t.ext.findIndex((e) => e.proto === 'ipv6.fraghdr');
        expect(w.hasFragment).toBe(frag >= 0);
        if (frag >= 0) expect(w.fragmentHeaderAt).toBe(layout(t).starts[frag]);
      });
    });
  }
  it('fragment fields: the atomic fragment in the chain and the non-first fragment', () => {
    const w = new Ipv6ExtWalker();
    w.walk(IPV6_EXT_CHAIN.bytes, 0, IPV6_EXT_CHAIN.bytes.length);
    expect([w.hasFragment, w.fragmentOffset, w.moreFragments, w.fragmentId, w.fragmentHeaderAt]).toEqual([true, 0, false, 0x0badcafe, 80]);
    w.walk(IPV6_FRAG_NONFIRST.bytes, 0, IPV6_FRAG_NONFIRST.bytes.length);
    // tshark: "Offset: 185 (1480 bytes)", More Fragments: No, id 0x12345678; the walk stops after it.
    expect([w.hasFragment, w.fragmentOffset, w.moreFragments, w.fragmentId, w.protocol, w.upperOffset]).toEqual([true, 1480, false, 0x12345678, 17, 48]);
    // A re-used walker forgets the fragment.
    w.walk(IPV6_KERNEL_MLD_HBH.bytes, 0, IPV6_KERNEL_MLD_HBH.bytes.length);
    expect([w.hasFragment, w.fragmentOffset, w.moreFragments, w.fragmentId, w.protocol]).toEqual([false, 0, false, 0, 58]);
  });
  it('a non-first fragment stops the walk even when its Next Header names another extension', () => {
    const b = Uint8Array.from(IPV6_FRAG_NONFIRST.bytes);
    b[40] = 60; // fragment's next header: Destination Options (in the unfragmentable part of a later fragment)
    const w = new Ipv6ExtWalker();
    expect(w.walk(b, 0, b.length)).toBe(0);
    expect([w.protocol, w.upperOffset, w.extensions]).toEqual([60, 48, 1]);
  });
  it('ESP (50) and No Next Header (59) end the walk; Mobility/HIP/Shim6 use the HdrExtLen rule', () => {
    const w = new Ipv6ExtWalker();
    for (const p of [50, 59, 6, 47, 58]) {
      const b = Uint8Array.from(IPV6_FIXTURES[0]!.bytes);
      b[6] = p;
      expect(w.walk(b, 0, b.length)).toBe(0);
      expect([w.protocol, w.upperOffset, w.extensions]).toEqual([p, 40, 0]);
    }
    for (const p of [135, 139, 140]) {
      const b = new Uint8Array(40 + 16 + 8);
      b.set(IPV6_FIXTURES[0]!.bytes.subarray(0, 40));
      b[6] = p;
      b[40] = 17;
      b[41] = 1; // 16 bytes
      expect(w.walk(b, 0, b.length)).toBe(0);
      expect([w.protocol, w.upperOffset, w.extensions]).toEqual([17, 56, 1]);
    }
  });
  it(`${IPV6_MAX_EXTENSIONS} extension headers are walked, one more is depth-exceeded at its offset`, () => {
    const chain = (n: number, at: number) => {
      const b = a5(at + 40 + 8 * n + 8);
      b.set(IPV6_FIXTURES[0]!.bytes.subarray(0, 40), at);
      b[at + 6] = 60;
      for (let i = 0; i < n; i++) {
        b[at + 40 + 8 * i] = i === n - 1 ? 17 : 60;
        b[at + 41 + 8 * i] = 0;
      }
      return b;
    };
    const w = new Ipv6ExtWalker();
    const ok = chain(IPV6_MAX_EXTENSIONS, 3);
    expect(w.walk(ok, 3, ok.length)).toBe(0);
    expect([w.extensions, w.protocol, w.upperOffset]).toEqual([16, 17, 3 + 40 + 128]);
    const deep = chain(IPV6_MAX_EXTENSIONS + 1, 3);
    const code = w.walk(deep, 3, deep.length);
    expect(code).toBe(2);
    expect(w.error(code, deep, deep.length)).toEqual({ kind: 'depth-exceeded', layer: 'ipv6', at: 3 + 40 + 128, field: 'extensionHeaders', found: 17, allowed: '<= 16' });
  });
  it('bad version is reported after the length check', () => {
    const b = a5(45);
    b.set(IPV6_FIXTURES[0]!.bytes.subarray(0, 40), 5);
    b[5] = 0x40;
    expect(parseIpv6(b, 5)).toEqual({ ok: false, error: { kind: 'bad-version', layer: 'ipv6', at: 5, field: 'version', found: 4, allowed: '6' } });
    expect(parseIpv6(b, 5, 44)).toEqual({ ok: false, error: { kind: 'truncated', layer: 'ipv6', at: 5, field: 'header', found: 39, allowed: '>= 40 bytes' } });
    const v = Ipv6View.empty();
    expect([v.wrap(b, 5), v.wrap(b, 6), v.wrap(IPV6_FIXTURES[0]!.bytes, 0)]).toEqual([2, 1, 0]);
  });
  it('payloadEnd: Payload Length clipped to the captured bytes; 0 (jumbo / BIG TCP) means "to the end"', () => {
    const b = a5(100);
    b.set(IPV6_FIXTURES[0]!.bytes.subarray(0, 40), 10); // payload length 58
    const v = Ipv6View.unchecked(b, 10);
    expect([v.payloadEnd(), v.payloadEnd(60)]).toEqual([100, 60]);
    v.payloadLength = 20;
    expect(v.payloadEnd()).toBe(70);
    v.payloadLength = 0;
    expect(v.payloadEnd(90)).toBe(90);
  });
  it('emit and setters reject out-of-range values with RangeError', () => {
    const f = expectedIpv6(IPV6_EXT_CHAIN.tshark);
    for (const p of [{ trafficClass: 256 }, { flowLabel: 0x100000 }, { payloadLength: -1 }, { nextHeader: 256 }, { hopLimit: 1.5 }, { src: '1::2::3' }, { dst: '10.0.0.1' }]) {
      expect(() => emitIpv6({ ...f, ...p }, a5(40)), JSON.stringify(p)).toThrow(RangeError);
    }
    expect(() => emitIpv6(f, a5(39))).toThrow(RangeError);
    expect(() => emitIpv6(f, a5(40), 1)).toThrow(RangeError);
    const v = Ipv6View.unchecked(a5(40));
    expect(() => (v.trafficClass = 256)).toThrow(RangeError);
    expect(() => (v.hopLimit = 256)).toThrow(RangeError);
    expect(() => (v.payloadLength = 0x10000)).toThrow(RangeError);
  });
});

describe('IPv6 truncation sweep', () => {
  it('every prefix shorter than the fixed header is a typed truncation at the absolute offset', () => {
    const off = 9;
    for (const fx of IPV6_FIXTURES) {
      for (let k = 0; k < IPV6_HEADER_LEN; k++) {
        const exact = a5(off + k);
        exact.set(fx.bytes.subarray(0, k), off);
        const e = { kind: 'truncated', layer: 'ipv6', at: off, field: 'header', found: k, allowed: '>= 40 bytes' };
        expect(parseIpv6(exact, off), `${fx.name} k=${k}`).toEqual({ ok: false, error: e });
        const big = a5(off + fx.bytes.length);
        big.set(fx.bytes, off);
        expect(parseIpv6(big, off, off + k)).toEqual({ ok: false, error: e });
        expect(Ipv6View.check(exact, off)).toEqual({ ok: false, error: e });
      }
    }
  });
  it('every prefix cut inside an extension header is truncated at that header, past the chain the walk succeeds', () => {
    const off = 9;
    const w = new Ipv6ExtWalker();
    for (const fx of IPV6_FIXTURES) {
      const { starts, upper } = layout(fx.tshark);
      for (let k = IPV6_HEADER_LEN; k <= fx.bytes.length; k++) {
        const exact = a5(off + k);
        exact.set(fx.bytes.subarray(0, k), off);
        const big = a5(off + fx.bytes.length + 5);
        big.set(fx.bytes, off);
        for (const [b, end] of [
          [exact, exact.length],
          [big, off + k],
        ] as const) {
          const code = w.walk(b, off, end);
          if (k >= upper) {
            expect(code, `${fx.name} k=${k}`).toBe(0);
            expect(w.upperOffset).toBe(off + upper);
            continue;
          }
          const hdr = starts.filter((s) => s <= k).pop()!;
          expect(code, `${fx.name} k=${k}`).toBe(1);
          const e = w.error(code, b, end);
          expect({ kind: e.kind, layer: e.layer, at: e.at, field: e.field, found: e.found }).toEqual({ kind: 'truncated', layer: 'ipv6', at: off + hdr, field: 'extensionHeader', found: k - hdr });
          // `allowed` is checked only while the cut is inside the 8-byte minimum (see the report on longer headers).
          if (k - hdr < 8) expect(e.allowed).toBe('>= 8 bytes');
        }
      }
    }
  });
});

// ---------------------------------------------------------------- properties

const addr6 = fc
  .array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 })
  .map((g) => {
    const b = new Uint8Array(16);
    g.forEach((x, k) => put16(b, 2 * k, x));
    return formatIpv6(b, 0);
  });
const ipv6Arb: fc.Arbitrary<Ipv6Fields> = fc.record({
  trafficClass: fc.integer({ min: 0, max: 255 }),
  flowLabel: fc.integer({ min: 0, max: 0xfffff }),
  payloadLength: fc.integer({ min: 0, max: 0xffff }),
  nextHeader: fc.integer({ min: 0, max: 255 }),
  hopLimit: fc.integer({ min: 0, max: 255 }),
  src: addr6,
  dst: addr6,
});

/** One extension header to build. */
type Ext =
  | { kind: 0 | 43 | 60 | 135 | 139 | 140; hdrExtLen: number; fill: number }
  | { kind: 44; offsetUnits: number; more: boolean; id: number }
  | { kind: 51; payloadLen: number; spi: number };

const extArb: fc.Arbitrary<Ext> = fc.oneof(
  fc.record({ kind: fc.constantFrom(0 as const, 43 as const, 60 as const, 135 as const, 139 as const, 140 as const), hdrExtLen: fc.integer({ min: 0, max: 4 }), fill: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant(44 as const), offsetUnits: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0x1fff })), more: fc.boolean(), id: fc.nat({ max: 0xffffffff }) }),
  fc.record({ kind: fc.constant(51 as const), payloadLen: fc.integer({ min: 1, max: 8 }), spi: fc.nat({ max: 0xffffffff }) }),
);
const upperArb = fc.integer({ min: 0, max: 255 }).filter((p) => ![0, 43, 44, 51, 60, 135, 139, 140].includes(p));

const extLen = (e: Ext) => (e.kind === 44 ? 8 : e.kind === 51 ? (e.payloadLen + 2) * 4 : (e.hdrExtLen + 1) * 8);

/** Build fixed header + chain + 8 upper-layer bytes; return the bytes and what a walk must find. */
function buildChain(fixed: Uint8Array, exts: readonly Ext[], upper: number) {
  const total = IPV6_HEADER_LEN + exts.reduce((s, e) => s + extLen(e), 0) + 8;
  const b = new Uint8Array(total).fill(0x5a);
  b.set(fixed.subarray(0, 40));
  b[0] = 0x60 | (b[0]! & 0x0f);
  b[6] = exts.length ? exts[0]!.kind : upper;
  let at = IPV6_HEADER_LEN;
  let expect: { protocol: number; upperOffset: number; extensions: number; fragment?: { offsetBytes: number; more: boolean; id: number; at: number } } | undefined;
  exts.forEach((e, i) => {
    const next = i + 1 < exts.length ? exts[i + 1]!.kind : upper;
    b[at] = next;
    if (e.kind === 44) {
      b[at + 1] = 0;
      put16(b, at + 2, (e.offsetUnits << 3) | (e.more ? 1 : 0));
      put32(b, at + 4, e.id);
    } else if (e.kind === 51) {
      b[at + 1] = e.payloadLen;
      put16(b, at + 2, 0);
      put32(b, at + 4, e.spi);
    } else {
      b[at + 1] = e.hdrExtLen;
      b.fill(e.fill, at + 2, at + extLen(e));
    }
    const start = at;
    at += extLen(e);
    if (!expect && e.kind === 44 && e.offsetUnits !== 0) {
      expect = { protocol: next, upperOffset: at, extensions: i + 1, fragment: { offsetBytes: e.offsetUnits * 8, more: e.more, id: e.id, at: start } };
    }
  });
  if (!expect) {
    const frags = exts.map((e, i) => [e, i] as const).filter(([e]) => e.kind === 44);
    const last = frags.length ? frags[frags.length - 1]! : undefined;
    let fragment: { offsetBytes: number; more: boolean; id: number; at: number } | undefined;
    if (last) {
      const [e, i] = last as [Extract<Ext, { kind: 44 }>, number];
      fragment = { offsetBytes: 0, more: e.more, id: e.id, at: IPV6_HEADER_LEN + exts.slice(0, i).reduce((s, x) => s + extLen(x), 0) };
    }
    expect = fragment ? { protocol: upper, upperOffset: at, extensions: exts.length, fragment } : { protocol: upper, upperOffset: at, extensions: exts.length };
  }
  return { bytes: b, expected: expect };
}

const fixedArb = fc.uint8Array({ minLength: 40, maxLength: 40 });
const chainArb = fc.tuple(fixedArb, fc.array(extArb, { maxLength: 10 }), upperArb).map(([f, e, u]) => buildChain(f, e, u));

interface WalkResult {
  protocol: number;
  upperOffset: number;
  extensions: number;
  fragment?: { offsetBytes: number; more: boolean; id: number; at: number };
}

function walkResult(w: Ipv6ExtWalker): WalkResult {
  const r = { protocol: w.protocol, upperOffset: w.upperOffset, extensions: w.extensions };
  return w.hasFragment ? { ...r, fragment: { offsetBytes: w.fragmentOffset, more: w.moreFragments, id: w.fragmentId, at: w.fragmentHeaderAt } } : r;
}

describe('IPv6 properties', () => {
  test.prop([ipv6Arb, fc.nat(24)])('emit then parse round-trips every traffic class, flow label, length, next header and hop limit', (f, off) => {
    const out = a5(off + 42);
    emitIpv6(f, out, off);
    expect(parseIpv6(out, off)).toEqual({ ok: true, value: f });
    const v = Ipv6View.unchecked(out, off);
    expect([v.version, v.dscp, v.ecn]).toEqual([6, f.trafficClass >> 2, f.trafficClass & 3]);
    expect([out[off + 40], out[off + 41]]).toEqual([0xa5, 0xa5]);
  });
  test.prop([fixedArb, fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 255 })])(
    'setters cover the whole domain and keep version, flow label and the rest',
    (raw, tc, pl, hl) => {
      const b = Uint8Array.from(raw);
      const v = Ipv6View.unchecked(b);
      const before = { version: v.version, flowLabel: v.flowLabel, nextHeader: v.nextHeader, src: v.src, dst: v.dst };
      v.trafficClass = tc;
      v.payloadLength = pl;
      v.hopLimit = hl;
      expect([v.trafficClass, v.payloadLength, v.hopLimit]).toEqual([tc, pl, hl]);
      expect({ version: v.version, flowLabel: v.flowLabel, nextHeader: v.nextHeader, src: v.src, dst: v.dst }).toEqual(before);
    },
  );
  test.prop([chainArb, fc.nat(16)])('the walker finds the upper layer of any Hop-by-Hop/Routing/DstOpts/Fragment/AH/Mobility/HIP/Shim6 chain', ({ bytes, expected }, off) => {
    const big = a5(off + bytes.length);
    big.set(bytes, off);
    const w = new Ipv6ExtWalker();
    expect(w.walk(big, off, big.length)).toBe(0);
    const got = walkResult(w);
    expect(got).toEqual({
      ...expected,
      upperOffset: expected.upperOffset + off,
      ...(expected.fragment ? { fragment: { ...expected.fragment, at: expected.fragment.at + off } } : {}),
    });
    expect(ipv6ChainOracle(asBuffer(bytes), 0)).toEqual({ ok: true, ...expected });
  });
  test.prop([chainArb, fc.nat()])('a chain cut anywhere is truncated at the header that was cut, like the oracle', ({ bytes, expected }, r) => {
    const k = IPV6_HEADER_LEN + (r % (expected.upperOffset - IPV6_HEADER_LEN + 1));
    const w = new Ipv6ExtWalker();
    const code = w.walk(bytes, 0, k);
    const o = ipv6ChainOracle(asBuffer(bytes.subarray(0, k)), 0);
    if (o.ok) {
      expect(code).toBe(0);
      expect(walkResult(w)).toEqual({ protocol: o.protocol, upperOffset: o.upperOffset, extensions: o.extensions, ...(o.fragment ? { fragment: o.fragment } : {}) });
    } else {
      expect(code).toBe(o.kind === 'truncated' ? 1 : 2);
      const e = w.error(code, bytes, k);
      expect([e.kind, e.at, e.found]).toEqual(['truncated', o.at, k - o.at]);
    }
  });
  test.prop([fc.uint8Array({ maxLength: 200 }), fc.nat(210), fc.nat(210)])('parse and the walker never throw on arbitrary bytes; ok results lie inside the input and match the oracle', (raw, off, endRaw) => {
    const b = Uint8Array.from(raw);
    if (off < b.length) b[off] = 0x60 | (b[off]! & 0x0f); // mostly valid versions, so the walker runs
    const w = new Ipv6ExtWalker();
    for (const end of [b.length, Math.min(endRaw, b.length)]) {
      const r = parseIpv6(b, off, end);
      if (!r.ok) continue;
      expect(off + IPV6_HEADER_LEN).toBeLessThanOrEqual(end);
      const code = w.walk(b, off, end);
      expect([0, 1, 2]).toContain(code);
      const o = ipv6ChainOracle(asBuffer(b.subarray(0, end)), off);
      if (code === 0) {
        expect(w.upperOffset).toBeLessThanOrEqual(end);
        expect(o).toEqual({ ok: true, protocol: w.protocol, upperOffset: w.upperOffset, extensions: w.extensions, ...(w.hasFragment ? { fragment: walkResult(w).fragment } : {}) });
      } else {
        const e = w.error(code, b, end);
        expect(o).toEqual({ ok: false, kind: e.kind, at: e.at });
      }
    }
  });
  test.prop([chainArb, fc.uint8Array({ maxLength: 24 }), fc.uint8Array({ maxLength: 24 })])('offset invariance: the same packet inside a bigger buffer decodes identically', ({ bytes }, pre, post) => {
    const big = Uint8Array.from([...pre, ...bytes, ...post]);
    expect(parseIpv6(big, pre.length)).toEqual(parseIpv6(bytes));
    const w1 = new Ipv6ExtWalker();
    const w2 = new Ipv6ExtWalker();
    expect(w2.walk(big, pre.length, pre.length + bytes.length)).toBe(w1.walk(bytes, 0, bytes.length));
    const a = walkResult(w1);
    const c = walkResult(w2);
    expect(c).toEqual({ ...a, upperOffset: a.upperOffset + pre.length, ...(a.fragment ? { fragment: { ...a.fragment, at: a.fragment.at + pre.length } } : {}) });
  });
  test.prop([fixedArb])('the fixed header agrees with the binary-parser and buffer-layout twins on random valid bytes', (raw) => {
    const b = Uint8Array.from(raw);
    b[0] = 0x60 | (b[0]! & 0x0f);
    const bp = ipv6Bp.parse(asBuffer(b)) as Ipv6Bp;
    const bl = ipv6Bl.decode(asBuffer(b));
    const r = parseIpv6(b);
    const fromBp: Ipv6Fields = { trafficClass: bp.trafficClass, flowLabel: bp.flowLabel, payloadLength: bp.payloadLength, nextHeader: bp.nextHeader, hopLimit: bp.hopLimit, src: text16(bp.src), dst: text16(bp.dst) };
    const fromBl: Ipv6Fields = {
      trafficClass: bl.w0.trafficClass,
      flowLabel: bl.w0.flowLabel,
      payloadLength: bl.payloadLength,
      nextHeader: bl.nextHeader,
      hopLimit: bl.hopLimit,
      src: text16(bl.src),
      dst: text16(bl.dst),
    };
    expect(r).toEqual({ ok: true, value: fromBp });
    expect(fromBl).toEqual(fromBp);
    expect([Ipv6View.unchecked(b).version, bl.w0.version]).toEqual([6, bp.version]);
  });
});


describe('extension-header truncation names the cut header\'s length', () => {
  it('a Routing header cut at 56 of 24 bytes needs 24 bytes', () => {
    const b = IPV6_EXT_CHAIN.bytes.subarray(0, 64);
    const w = new Ipv6ExtWalker();
    const code = w.walk(b, 0, b.length);
    expect(code).toBe(1);
    expect(w.error(code, b, b.length)).toEqual({ kind: 'truncated', layer: 'ipv6', at: 56, field: 'extensionHeader', found: 8, allowed: '>= 24 bytes' });
  });
});
