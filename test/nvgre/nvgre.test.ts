import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  NVGRE_ERR_FLAGS,
  NVGRE_ERR_PROTOCOL,
  NVGRE_ERR_TRUNCATED,
  NVGRE_FIRST_WORD,
  NVGRE_HEADER_LEN,
  NVGRE_OK,
  NvgreView,
  emitNvgre,
  isNvgre,
  isNvgreFields,
  isReservedVsid,
  nvgreError,
  nvgreFromGre,
  nvgreLength,
  parseGre,
  parseNvgre,
  type NvgreFields,
} from '../../src/nvgre/index.js';
import { nvgreFields } from '../../src/arbitraries/index.js';
import {
  GRE_CAPTURE_FIXTURES,
  GRE_COMPLETE_FIXTURES,
  GRE_MAL_BAD_CSUM,
  GRE_MAL_CUT_KEY,
  GRE_MAL_RESERVED_FLAGS,
  GRE_MAL_V1_TEB,
  GRE_VARIOUS_F11,
  GRE_ZEEK_F1,
  NVGRE_FIXTURES,
  NVGRE_RESERVED_VSID_0,
  NVGRE_RESERVED_VSID_FFFFFF,
  NVGRE_SCAPY_F7,
} from '../fixtures/gre.js';
import { asBuffer } from '../oracles/buf.js';
import { nvgreBl, nvgreBp, oracleIsNvgre } from '../oracles/gre.js';

const a5 = (n: number) => new Uint8Array(n).fill(0xa5);

describe('NVGRE fixtures (deconstruct / construct / parse / emit)', () => {
  it('covers the OVS, scapy and reserved-VSID captures', () => {
    expect(NVGRE_FIXTURES.map((f) => f.name)).toEqual([
      'ovs-nvgre-ipv6.pcap#1',
      'ovs-nvgre-ipv6.pcap#2',
      'scapy-nvgre.pcap#1',
      'scapy-nvgre.pcap#3',
      'scapy-nvgre.pcap#5',
      'scapy-nvgre.pcap#7',
      'scapy-nvgre.pcap#10',
      'scapy-nvgre.pcap#12',
      'scapy-malformed-gre.pcap#8',
      'scapy-malformed-gre.pcap#9',
    ]);
  });
  for (const fx of NVGRE_FIXTURES) {
    const { vsid, flow_id: flowId } = fx.tshark.nvgre!;
    it(`${fx.name}: VSID ${vsid.toString(16)} FlowID ${flowId.toString(16)}`, () => {
      // deconstruct
      const r = NvgreView.check(fx.bytes);
      expect(r.ok).toBe(true);
      const v = NvgreView.unchecked(fx.bytes);
      expect([v.flagsVersion, v.protocolType, v.vsid, v.flowId, v.key, v.headerLength, v.payloadOffset]).toEqual([
        0x2000, 0x6558, vsid, flowId, fx.tshark.key, 8, 8,
      ]);
      // construct
      const buf = a5(8);
      const w = NvgreView.unchecked(buf);
      w.flagsVersion = 0x2000;
      w.protocolType = 0x6558;
      w.vsid = vsid;
      w.flowId = flowId;
      expect(buf).toEqual(fx.bytes);
      // parse
      const p = parseNvgre(fx.bytes);
      expect(p).toEqual({ ok: true, value: { vsid, flowId, protocolType: 0x6558 } });
      // emit
      const out = a5(8);
      if (p.ok) expect(emitNvgre(p.value, out)).toBe(8);
      expect(out).toEqual(fx.bytes);
    });
  }
  it('the OVS capture carries key 0x000102fe = VSID 0x000102, FlowID 0xfe', () => {
    expect(parseNvgre(NVGRE_FIXTURES[0]!.bytes)).toEqual({ ok: true, value: { vsid: 0x000102, flowId: 0xfe, protocolType: 0x6558 } });
  });
});

describe('NVGRE classification agrees with the tshark oracle rule', () => {
  it('isNvgre / isNvgreFields match tshark type `nvgre` on every capture fixture', () => {
    for (const fx of GRE_CAPTURE_FIXTURES) {
      const want = fx.tshark.nvgre?.rfc7637_layout === true;
      if (fx.bytes === GRE_MAL_CUT_KEY) {
        // tshark derives its NVGRE view from gre.key, which this frame cuts: it stays `gre`. isNvgre classifies
        // the first word (0x20006558, NVGRE layout); parseNvgre then reports the cut.
        expect([isNvgre(fx.bytes), want]).toEqual([true, false]);
        expect(parseNvgre(fx.bytes)).toMatchObject({ ok: false, error: { kind: 'truncated', found: 6, allowed: '>= 8 bytes' } });
        continue;
      }
      expect(isNvgre(fx.bytes), fx.name).toBe(want);
      const g = parseGre(fx.bytes);
      if (g.ok) {
        expect(isNvgreFields(g.value), fx.name).toBe(want);
        expect(nvgreFromGre(g.value)).toEqual(want ? { vsid: fx.tshark.nvgre!.vsid, flowId: fx.tshark.nvgre!.flow_id, protocolType: 0x6558 } : undefined);
      }
    }
    const complete = GRE_COMPLETE_FIXTURES.filter((f) => f.tshark.k === 1).length;
    expect(complete).toBe(18); // K=1 everywhere except zeek and the TEB-without-key frame (and the cut frame)
  });
  it('isNvgre needs 4 bytes and never throws', () => {
    const b = Uint8Array.from([0xa5, 0x20, 0x00, 0x65, 0x58]);
    expect(isNvgre(b, 1)).toBe(true);
    expect(isNvgre(b, 1, 4)).toBe(false);
    expect(isNvgre(b, 2)).toBe(false);
    expect(isNvgre(b, -1)).toBe(false);
  });
});

describe('NVGRE errors and policy', () => {
  const at3 = (fx: Uint8Array) => {
    const b = a5(3 + fx.length);
    b.set(fx, 3);
    return b;
  };
  it('non-NVGRE layouts are bad-flags with the flags/version word', () => {
    for (const [fx, word] of [
      [GRE_MAL_V1_TEB, 0x2001],
      [GRE_MAL_RESERVED_FLAGS, 0x20f8],
    ] as const) {
      expect(parseNvgre(at3(fx), 3)).toEqual({ ok: false, error: { kind: 'bad-flags', layer: 'nvgre', at: 3, field: 'flagsVersion', found: word, allowed: '0x2000 (K only, version 0)' } });
    }
    const csum = parseNvgre(GRE_MAL_BAD_CSUM);
    expect(csum.ok ? null : [csum.error.kind, csum.error.found]).toEqual(['bad-flags', 0xa000]);
  });
  it('K-only GRE with another protocol (tcpdump various_gre, 0x8909) is bad-value on protocolType', () => {
    expect(parseNvgre(at3(GRE_VARIOUS_F11), 3)).toEqual({ ok: false, error: { kind: 'bad-value', layer: 'nvgre', at: 5, field: 'protocolType', found: 0x8909, allowed: '0x6558' } });
    expect(NvgreView.empty().wrap(GRE_VARIOUS_F11, 0)).toBe(NVGRE_ERR_PROTOCOL);
    expect(NvgreView.empty().wrap(GRE_MAL_V1_TEB, 0)).toBe(NVGRE_ERR_FLAGS);
    expect(NvgreView.empty().wrap(GRE_ZEEK_F1, 0)).toBe(NVGRE_ERR_TRUNCATED);
    expect(nvgreError(NVGRE_ERR_TRUNCATED, GRE_ZEEK_F1, 0)).toMatchObject({ kind: 'truncated', found: 4, allowed: '>= 8 bytes' });
  });
  it('reserved VSIDs: accepted by default, bad-value in strict mode (RFC 7637 §3.4)', () => {
    for (const [fx, vsid] of [
      [NVGRE_RESERVED_VSID_0, 0],
      [NVGRE_RESERVED_VSID_FFFFFF, 0xffffff],
    ] as const) {
      expect(parseNvgre(fx).ok).toBe(true);
      expect(parseNvgre(at3(fx), 3, 11, { strict: true })).toEqual({
        ok: false,
        error: { kind: 'bad-value', layer: 'nvgre', at: 7, field: 'vsid', found: vsid, allowed: '0x001000..0xfffffe (RFC 7637 §3.4)' },
      });
    }
    expect(parseNvgre(NVGRE_SCAPY_F7, 0, 8, { strict: true })).toEqual({ ok: true, value: { vsid: 0x001000, flowId: 1, protocolType: 0x6558 } });
    expect([0, 0xfff, 0x1000, 0xabcdef, 0xfffffe, 0xffffff].map(isReservedVsid)).toEqual([true, true, false, false, false, true]);
  });
  it('emit rejects out-of-range values', () => {
    const f: NvgreFields = { vsid: 1, flowId: 1, protocolType: 0x6558 };
    expect(() => emitNvgre({ ...f, vsid: 0x1000000 }, a5(8))).toThrow(RangeError);
    expect(() => emitNvgre({ ...f, flowId: 256 }, a5(8))).toThrow(RangeError);
    expect(() => emitNvgre({ ...f, protocolType: 0x0800 }, a5(8))).toThrow(RangeError);
    expect(() => emitNvgre(f, a5(8), 1)).toThrow(RangeError);
    expect(() => (NvgreView.unchecked(a5(8)).vsid = -1)).toThrow(RangeError);
    expect(nvgreLength()).toBe(NVGRE_HEADER_LEN);
  });
});

describe('NVGRE truncation sweep', () => {
  it('every prefix of every NVGRE fixture at offset 3 is truncated at 3', () => {
    for (const fx of NVGRE_FIXTURES) {
      for (let k = 0; k < fx.bytes.length; k++) {
        const big = a5(3 + k);
        big.set(fx.bytes.subarray(0, k), 3);
        const want = { kind: 'truncated', layer: 'nvgre', at: 3, field: 'header', found: k, allowed: '>= 8 bytes' };
        expect(parseNvgre(big, 3)).toEqual({ ok: false, error: want });
        expect(NvgreView.check(big, 3)).toEqual({ ok: false, error: want });
        expect(NvgreView.empty().wrap(big, 3)).toBe(NVGRE_ERR_TRUNCATED);
        expect(isNvgre(big, 3)).toBe(k >= 4);
      }
    }
  });
});

/** The published generator (`tunnelwire/arbitraries`): any 24-bit VSID, reserved ones included, any FlowID. */
const nvgreArb: fc.Arbitrary<NvgreFields> = nvgreFields();

/** Random 4-byte first words, biased towards NVGRE and its one-bit neighbours. */
const firstWord = fc.oneof(
  fc.integer({ min: 0, max: 0xffffffff }),
  fc.constant(NVGRE_FIRST_WORD),
  fc.integer({ min: 0, max: 31 }).map((bit) => (NVGRE_FIRST_WORD ^ (1 << bit)) >>> 0),
);

describe('NVGRE properties', () => {
  test.prop([nvgreArb, fc.nat(32), fc.boolean()])('emit then parse round-trips at any offset', (f, off, strict) => {
    const buf = a5(off + 8);
    expect(emitNvgre(f, buf, off)).toBe(8);
    const r = parseNvgre(buf, off, buf.length, { strict });
    expect(r).toEqual(strict && isReservedVsid(f.vsid) ? { ok: false, error: expect.objectContaining({ kind: 'bad-value', field: 'vsid' }) } : { ok: true, value: f });
    const g = parseGre(buf, off);
    expect(g.ok && isNvgreFields(g.value) && g.value.key).toBe(((f.vsid << 8) | f.flowId) >>> 0);
  });
  test.prop([fc.uint8Array({ maxLength: 300 }), fc.nat(310), fc.boolean()])('parse never throws on arbitrary bytes; ok results lie inside the input', (b, off, strict) => {
    const r = parseNvgre(b, off, b.length, { strict });
    if (r.ok) {
      expect(off + 8).toBeLessThanOrEqual(b.length);
      expect(isNvgre(b, off)).toBe(true);
    } else {
      expect(r.error.layer).toBe('nvgre');
    }
    expect(NvgreView.empty().wrap(b, off) === NVGRE_OK).toBe(parseNvgre(b, off).ok);
  });
  test.prop([fc.integer({ min: 0, max: 0xffffffff })])('emit(parse(b)) equals b on canonical inputs', (key) => {
    const b = Uint8Array.from([0x20, 0x00, 0x65, 0x58, key >>> 24, (key >>> 16) & 0xff, (key >>> 8) & 0xff, key & 0xff]);
    const r = parseNvgre(b);
    const out = a5(8);
    if (r.ok) emitNvgre(r.value, out);
    expect(out).toEqual(b);
  });
  test.prop([nvgreArb, fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 8 })])('offset invariance', (f, prefix, suffix) => {
    const alone = new Uint8Array(8);
    emitNvgre(f, alone);
    const big = Uint8Array.from([...prefix, ...alone, ...suffix]);
    expect(parseNvgre(big, prefix.length)).toEqual(parseNvgre(alone));
    expect(parseNvgre(big, prefix.length, prefix.length + 7)).toMatchObject({ ok: false, error: { at: prefix.length } });
  });
  test.prop([fc.uint8Array({ minLength: 8, maxLength: 8 })])('agrees with binary-parser and buffer-layout twins on random bytes', (b) => {
    const v = NvgreView.unchecked(b);
    const bp = nvgreBp.parse(asBuffer(b)) as Record<string, number>;
    const bl = nvgreBl.decode(asBuffer(b));
    expect([v.flagsVersion, v.protocolType, v.vsid, v.flowId]).toEqual([bp.flagsVersion, bp.protocolType, bp.vsid, bp.flowId]);
    expect([v.flagsVersion, v.protocolType, v.vsid, v.flowId]).toEqual([bl.flagsVersion, bl.protocolType, bl.vsid, bl.flowId]);
    expect(parseNvgre(b).ok).toBe(oracleIsNvgre(asBuffer(b)));
  });
  test.prop([firstWord, fc.integer({ min: 0, max: 0xffffffff })])('isNvgre agrees with the oracle rule on random 4-byte words', (word, key) => {
    const b = Uint8Array.from([word >>> 24, (word >>> 16) & 0xff, (word >>> 8) & 0xff, word & 0xff]);
    const want = oracleIsNvgre(asBuffer(b));
    expect(isNvgre(b)).toBe(want);
    const withKey = Uint8Array.from([...b, key >>> 24, (key >>> 16) & 0xff, (key >>> 8) & 0xff, key & 0xff, ...new Uint8Array(24)]);
    const g = parseGre(withKey);
    if (g.ok) expect(isNvgreFields(g.value)).toBe(want);
    else expect(want).toBe(false);
  });
});
