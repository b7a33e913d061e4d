import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  GENEVE_ERR_OPT_LEN,
  GENEVE_ERR_TRUNCATED,
  GENEVE_ERR_VERSION,
  GENEVE_FIXED_LEN,
  GENEVE_MAX_OPTION_DATA_LEN,
  GENEVE_MAX_OPTIONS_LEN,
  GENEVE_OK,
  GENEVE_OPT_CURRENT,
  GENEVE_OPT_DONE,
  GENEVE_OPT_ERR_OVERRUN,
  GENEVE_OPT_ERR_TRUNCATED,
  GENEVE_OPTION_HEADER_LEN,
  GENEVE_UDP_PORT,
  GeneveOptionCursor,
  GeneveView,
  checkGeneveOptions,
  emitGeneve,
  geneveError,
  geneveHasCriticalOption,
  geneveLength,
  geneveOptionsLength,
  parseGeneve,
  parseGeneveLax,
  type GeneveFields,
  type GeneveOption,
} from '../../src/geneve/index.js';
import { geneveFields, geneveOptions } from '../../src/arbitraries/index.js';
import { fromHex, toHex } from '../../src/net/bytes.js';
import type { WireError } from '../../src/net/errors.js';
import * as FX from '../fixtures/geneve.js';
import { asBuffer } from '../oracles/buf.js';
import { geneveBl, geneveBp, geneveOptionBl, geneveOptionBp } from '../oracles/geneve.js';

const a5 = (n: number) => new Uint8Array(n).fill(0xa5);
const hx = (v: number, digits: number) => `0x${v.toString(16).padStart(digits, '0')}`;
const opt = (optionClass: number, type: number, rbits: number, data: string): GeneveOption => ({
  optionClass,
  type,
  critical: (type & 0x80) !== 0,
  rbits,
  data: fromHex(data),
});
const base = { version: 0, control: false, critical: false, reservedFlags: 0, protocolType: 0x6558, reserved: 0 };
const range = (from: number, n: number, step = 1) => Array.from({ length: n }, (_, i) => (from + i * step) & 0xff);

/** Expected decodes of every valid fixture, written out by hand from the provenance notes. */
const EXPECTED: ReadonlyArray<readonly [Uint8Array, GeneveFields]> = [
  [FX.GENEVE_OVN_RFC_EXAMPLE, { ...base, critical: true, vni: 0x000123, options: [opt(0x0102, 0x80, 0, '00050007')] }],
  [
    FX.GENEVE_OVS_OPTIONS_F1,
    { ...base, critical: true, vni: 0x123456, options: [opt(0x0102, 0x80, 0, '00020001'), opt(0x0101, 0x03, 0, '00000000aabbccddeeff0011')] },
  ],
  [
    FX.GENEVE_OVS_OPTIONS_F2,
    { ...base, critical: true, vni: 0x123456, options: [opt(0x0102, 0x80, 0, '00010002'), opt(0xffff, 0x01, 0, '1122334455667788')] },
  ],
  [
    FX.GENEVE_ZEEK_MANY_OPTIONS_F1,
    {
      ...base,
      vni: 786734,
      options: [
        opt(0x0100, 0x01, 0, '31323334353637383930616263646500'),
        opt(0x0100, 0x02, 0, '303132333435363738396162636465663031323334353637383961626364656630000000'),
        opt(0x0100, 0x03, 0, '303132333435363738390000'),
      ],
    },
  ],
  [FX.GENEVE_TCPDUMP_F1, { ...base, critical: true, vni: 10, options: [opt(0x0000, 0x80, 0, '0000000c')] }],
  [FX.GENEVE_TCPDUMP_F2, { ...base, vni: 11, options: [] }],
  [
    FX.GENEVE_SCAPY_L3_F4,
    {
      ...base,
      vni: 1,
      options: [opt(0x0101, 0x01, 7, 'aaaaaaaaaaaaaaaa'), opt(0x0103, 0x7e, 0, '000102030405060708090a0b0c0d0e0f101112131415161718191a1b')],
    },
  ],
  [FX.GENEVE_SCAPY_L3_F5, { ...base, critical: true, vni: 0xfffffe, options: [opt(0x0102, 0x80, 0, '00000003')] }],
  [FX.GENEVE_SCAPY_MALFORMED_F6, { ...base, critical: true, reservedFlags: 0x3f, vni: 105, options: [opt(0xffff, 0x01, 0, '00000000')] }],
  [
    FX.GENEVE_MAX_OPTIONS,
    {
      ...base,
      control: true,
      critical: true,
      vni: 0xabcdef,
      options: [
        { optionClass: 0xff00, type: 0x85, critical: true, rbits: 0, data: Uint8Array.from(range(0, 124)) },
        { optionClass: 0x0100, type: 0x7f, critical: false, rbits: 5, data: Uint8Array.from(range(0xff, 116, -1)) },
        { optionClass: 0xfffe, type: 0x00, critical: false, rbits: 0, data: new Uint8Array(0) },
      ],
    },
  ],
];

/** Option walk of a checked header at `offset`, through the cursor. */
function walk(bytes: Uint8Array, v: GeneveView): { options: GeneveOption[]; code: number } {
  const c = new GeneveOptionCursor().reset(bytes, v.optionsOffset, v.payloadOffset);
  const options: GeneveOption[] = [];
  let code: number;
  while ((code = c.next()) === GENEVE_OPT_CURRENT) {
    expect(c.totalLength).toBe(GENEVE_OPTION_HEADER_LEN + c.dataLength);
    expect(c.dataOffset).toBe(c.offset + 4);
    expect(c.dataLength).toBe(c.lengthWords * 4);
    options.push({ optionClass: c.optionClass, type: c.type, critical: c.critical, rbits: c.rbits, data: Uint8Array.from(c.data()) });
  }
  return { options, code };
}

describe('Geneve constants', () => {
  it('match RFC 8926 and OVS limits', () => {
    expect([GENEVE_FIXED_LEN, GENEVE_MAX_OPTIONS_LEN, GENEVE_UDP_PORT, GENEVE_OPTION_HEADER_LEN, GENEVE_MAX_OPTION_DATA_LEN]).toEqual([8, 252, 6081, 4, 124]);
  });
});

describe('Geneve fixtures agree with the tshark oracle', () => {
  it.each(FX.GENEVE_FIXTURES.map((f) => [f.name, f] as const))('%s', (_name, fx) => {
    const r = parseGeneve(fx.bytes);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const f = r.value;
    const t = fx.tshark;
    expect(geneveLength(f)).toBe(fx.bytes.length);
    expect({
      ver: f.version,
      opt_len_bytes: geneveOptionsLength(f.options),
      oam: f.control ? 1 : 0,
      critical: f.critical ? 1 : 0,
      flags_reserved: f.reservedFlags !== 0 ? 1 : 0,
      proto_type: hx(f.protocolType, 4),
      vni: f.vni,
      reserved: f.reserved,
      options: f.options.map((o) => ({
        class: hx(o.optionClass, 4),
        type: hx(o.type, 2),
        critical: o.critical ? 1 : 0,
        rbits: o.rbits !== 0 ? 1 : 0,
        len_bytes: 4 + o.data.length,
        data_hex: toHex(o.data),
      })),
    }).toEqual(t);
  });
});

describe('Geneve fixtures (deconstruct / construct / parse / emit)', () => {
  describe.each(EXPECTED.map(([b, f], i) => [FX.GENEVE_FIXTURES[i]!.name, b, f] as const))('%s', (_name, fx, want) => {
    it('deconstructs through the view getters and the option cursor', () => {
      const r = GeneveView.check(fx);
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      const v = r.value;
      expect([v.version, v.control, v.critical, v.reservedFlags, v.protocolType, v.vni, v.reserved]).toEqual([
        want.version, want.control, want.critical, want.reservedFlags, want.protocolType, want.vni, want.reserved,
      ]);
      expect(v.optionsLength).toBe(geneveOptionsLength(want.options));
      expect(v.optLenWords * 4).toBe(v.optionsLength);
      expect(v.headerLength).toBe(fx.length);
      expect(v.payloadOffset).toBe(fx.length);
      expect(v.optionsOffset).toBe(8);
      expect(v.flags).toBe(fx[1]);
      expect(walk(fx, v)).toEqual({ options: want.options, code: GENEVE_OPT_DONE });
      expect(checkGeneveOptions(fx, 8, fx.length)).toBeNull();
    });
    it('constructs through the setters over 0xa5', () => {
      const buf = a5(fx.length);
      const v = GeneveView.unchecked(buf);
      v.version = want.version;
      v.optionsLength = geneveOptionsLength(want.options);
      v.control = want.control;
      v.critical = want.critical;
      v.reservedFlags = want.reservedFlags;
      v.protocolType = want.protocolType;
      v.vni = want.vni;
      v.reserved = want.reserved;
      const c = new GeneveOptionCursor();
      let at = v.optionsOffset;
      for (const o of want.options) {
        c.at(buf, at);
        c.optionClass = o.optionClass;
        c.type = o.type & 0x7f;
        c.critical = o.critical;
        c.rbits = o.rbits;
        c.dataLength = o.data.length;
        buf.set(o.data, c.dataOffset);
        at += c.totalLength;
      }
      expect(at).toBe(fx.length);
      expect(toHex(buf)).toBe(toHex(fx));
    });
    it('parses to the expected fields, with data aliasing the input', () => {
      const r = parseGeneve(fx);
      expect(r).toEqual({ ok: true, value: want });
      if (!r.ok) return;
      for (const o of r.value.options) expect(o.data.buffer).toBe(fx.buffer);
      expect(parseGeneveLax(fx)).toEqual({ value: want });
    });
    it('emits the fixture bytes into a 0xa5 buffer, touching nothing else', () => {
      const out = a5(fx.length + 6);
      expect(emitGeneve(Object.freeze(want), out, 3)).toBe(fx.length);
      expect(toHex(out.subarray(3, 3 + fx.length))).toBe(toHex(fx));
      expect([...out.subarray(0, 3), ...out.subarray(3 + fx.length)]).toEqual([0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5]);
    });
  });

  it('the C bit of each capture fixture matches its options, except the crafted malformed one', () => {
    for (const [fx, want] of EXPECTED) {
      expect(geneveHasCriticalOption(want.options) === want.critical, toHex(fx.subarray(0, 8))).toBe(fx !== FX.GENEVE_SCAPY_MALFORMED_F6);
    }
  });
});

describe('Geneve strict mode', () => {
  it('rejects reserved flag bits (scapy malformed frame 6) but accepts them by default', () => {
    expect(parseGeneve(FX.GENEVE_SCAPY_MALFORMED_F6).ok).toBe(true);
    expect(parseGeneve(FX.GENEVE_SCAPY_MALFORMED_F6, 0, undefined, { strict: true })).toEqual({
      ok: false,
      error: { kind: 'reserved-nonzero', layer: 'geneve', at: 1, field: 'flags', found: 0x3f, allowed: '0' },
    });
  });
  it('rejects a nonzero byte 7', () => {
    const b = Uint8Array.from(FX.GENEVE_TCPDUMP_F1);
    b[7] = 0x42;
    expect(parseGeneve(b).ok).toBe(true);
    expect(parseGeneve(b, 0, b.length, { strict: true })).toEqual({
      ok: false,
      error: { kind: 'reserved-nonzero', layer: 'geneve', at: 7, field: 'reserved', found: 0x42, allowed: '0' },
    });
  });
  it('rejects option R bits at the option byte 3 (scapy L3 frame 4, constructed max fixture)', () => {
    const r = parseGeneve(FX.GENEVE_SCAPY_L3_F4, 0, undefined, { strict: true });
    expect(r).toEqual({ ok: false, error: { kind: 'reserved-nonzero', layer: 'geneve', at: 11, field: 'option.rbits', found: 7, allowed: '0' } });
    const m = parseGeneve(FX.GENEVE_MAX_OPTIONS, 0, undefined, { strict: true });
    expect(m.ok ? null : [m.error.at, m.error.found]).toEqual([8 + 128 + 3, 5]);
  });
  it('accepts clean fixtures', () => {
    for (const fx of [FX.GENEVE_OVN_RFC_EXAMPLE, FX.GENEVE_OVS_OPTIONS_F1, FX.GENEVE_ZEEK_MANY_OPTIONS_F1, FX.GENEVE_TCPDUMP_F2]) {
      expect(parseGeneve(fx, 0, fx.length, { strict: true }).ok).toBe(true);
    }
  });
});

/** Expected option-walk error for the options area cut to `k` bytes of the header (header at `at0`). */
function expectedOptionCut(want: GeneveFields, at0: number, k: number): WireError | null {
  let s = GENEVE_FIXED_LEN;
  for (const o of want.options) {
    if (s >= k) return null; // the cut falls on an option boundary: the walk just ends early
    const t = 4 + o.data.length;
    if (s + t > k) {
      const rem = k - s;
      if (rem < 4) return { kind: 'truncated', layer: 'geneve', at: at0 + s, field: 'option', found: rem, allowed: '>= 4 bytes' };
      return { kind: 'length-overrun', layer: 'geneve', at: at0 + s, field: 'option.length', found: t, allowed: `<= ${rem} bytes` };
    }
    s += t;
  }
  return null;
}

describe('Geneve truncation sweep', () => {
  it('every prefix of every fixture, at offset 5 of a bigger buffer, is a typed error at the right place', () => {
    const at0 = 5;
    let cases = 0;
    for (const [fx, want] of EXPECTED) {
      const big = a5(at0 + fx.length + 3);
      big.set(fx, at0); // the bytes past `end` are the real rest of the header: only `end` may stop the decode
      for (let k = 0; k < fx.length; k++) {
        const end = at0 + k;
        const r = parseGeneve(big, at0, end);
        const lax = parseGeneveLax(big, at0, end);
        if (k < GENEVE_FIXED_LEN) {
          const e: WireError = { kind: 'truncated', layer: 'geneve', at: at0, field: 'header', found: k, allowed: '>= 8 bytes' };
          expect(r).toEqual({ ok: false, error: e });
          expect(lax).toEqual({ error: e });
          expect(GeneveView.empty().wrap(big, at0, end)).toBe(GENEVE_ERR_TRUNCATED);
        } else {
          const e: WireError = { kind: 'length-overrun', layer: 'geneve', at: at0, field: 'optLen', found: fx.length, allowed: `<= ${k} bytes` };
          expect(r).toEqual({ ok: false, error: e });
          // lax keeps the base header and every whole option within the k bytes present
          let s = GENEVE_FIXED_LEN;
          const kept = want.options.filter((o) => (s += 4 + o.data.length) <= k);
          expect(lax).toEqual({ value: { ...want, options: kept }, error: e });
          expect(checkGeneveOptions(big, at0 + 8, end)).toEqual(expectedOptionCut(want, at0, k));
        }
        cases++;
      }
    }
    expect(cases).toBe(EXPECTED.reduce((n, [fx]) => n + fx.length, 0));
  });
});

describe('Geneve malformed captures (scapy-malformed-geneve.pcap)', () => {
  // Each frame's UDP payload sits at byte 42 of a frame-sized buffer followed by junk past `end`.
  const place = (payload: Uint8Array) => {
    const buf = a5(42 + payload.length + 64);
    buf.set(payload, 42);
    return { buf, end: 42 + payload.length };
  };
  const header = (vni: number, extra: Partial<GeneveFields> = {}): GeneveFields => ({ ...base, vni, options: [], ...extra });

  it('frame 1: option claiming 3 words inside Opt Len 2 → option.length overrun', () => {
    const { buf, end } = place(FX.GENEVE_MALFORMED_F1);
    const e: WireError = { kind: 'length-overrun', layer: 'geneve', at: 50, field: 'option.length', found: 16, allowed: '<= 8 bytes' };
    const v = GeneveView.check(buf, 42, end);
    expect(v.ok && v.value.headerLength).toBe(16);
    expect(parseGeneve(buf, 42, end)).toEqual({ ok: false, error: e });
    expect(checkGeneveOptions(buf, 50, 58)).toEqual(e);
    expect(parseGeneveLax(buf, 42, end)).toEqual({ value: header(100, { critical: true }), error: e });
    const c = new GeneveOptionCursor().reset(buf, 50, 58);
    expect([c.next(), c.next(), c.offset, c.error()]).toEqual([GENEVE_OPT_ERR_OVERRUN, GENEVE_OPT_ERR_OVERRUN, 50, e]);
  });
  it('frame 2: Opt Len 63 with 16 option bytes → optLen overrun; lax keeps the whole option present', () => {
    const { buf, end } = place(FX.GENEVE_MALFORMED_F2);
    const e: WireError = { kind: 'length-overrun', layer: 'geneve', at: 42, field: 'optLen', found: 260, allowed: '<= 24 bytes' };
    expect(parseGeneve(buf, 42, end)).toEqual({ ok: false, error: e });
    expect(GeneveView.empty().wrap(buf, 42, end)).toBe(GENEVE_ERR_OPT_LEN);
    expect(parseGeneveLax(buf, 42, end)).toEqual({ value: header(101, { options: [opt(0xffff, 0x01, 0, '111111111111111111111111')] }), error: e });
  });
  it('frame 3: option header cut after 2 bytes → optLen overrun, and option truncated inside the 2 bytes', () => {
    const { buf, end } = place(FX.GENEVE_MALFORMED_F3);
    const e: WireError = { kind: 'length-overrun', layer: 'geneve', at: 42, field: 'optLen', found: 12, allowed: '<= 10 bytes' };
    expect(parseGeneve(buf, 42, end)).toEqual({ ok: false, error: e });
    expect(parseGeneveLax(buf, 42, end)).toEqual({ value: header(102), error: e });
    const cut: WireError = { kind: 'truncated', layer: 'geneve', at: 50, field: 'option', found: 2, allowed: '>= 4 bytes' };
    expect(checkGeneveOptions(buf, 50, end)).toEqual(cut);
    const c = new GeneveOptionCursor().reset(buf, 50, end);
    expect([c.next(), c.error()]).toEqual([GENEVE_OPT_ERR_TRUNCATED, cut]);
  });
  it('frame 4: version 1 → bad-version; lax returns the base header without options', () => {
    const { buf, end } = place(FX.GENEVE_MALFORMED_F4);
    const e: WireError = { kind: 'bad-version', layer: 'geneve', at: 42, field: 'version', found: 1, allowed: '0' };
    expect(parseGeneve(buf, 42, end)).toEqual({ ok: false, error: e });
    expect(GeneveView.empty().wrap(buf, 42, end)).toBe(GENEVE_ERR_VERSION);
    expect(parseGeneveLax(buf, 42, end)).toEqual({ value: header(103, { version: 1 }), error: e });
  });
  it('frame 5: 6-byte base header → truncated, lax has no value', () => {
    const { buf, end } = place(FX.GENEVE_MALFORMED_F5);
    const e: WireError = { kind: 'truncated', layer: 'geneve', at: 42, field: 'header', found: 6, allowed: '>= 8 bytes' };
    expect(parseGeneve(buf, 42, end)).toEqual({ ok: false, error: e });
    const lax = parseGeneveLax(buf, 42, end);
    expect(lax).toEqual({ error: e });
    expect('value' in lax).toBe(false);
  });
  it('frame 6: C without a critical option and reserved flags → ok by default, reserved-nonzero when strict', () => {
    const { buf, end } = place(FX.GENEVE_MALFORMED_F6);
    const want = header(105, { critical: true, reservedFlags: 0x3f, options: [opt(0xffff, 0x01, 0, '00000000')] });
    expect(parseGeneve(buf, 42, end)).toEqual({ ok: true, value: want });
    expect(geneveHasCriticalOption(want.options)).toBe(false);
    expect(parseGeneve(buf, 42, end, { strict: true })).toEqual({
      ok: false,
      error: { kind: 'reserved-nonzero', layer: 'geneve', at: 43, field: 'flags', found: 0x3f, allowed: '0' },
    });
    expect(parseGeneveLax(buf, 42, end)).toEqual({ value: want });
  });
  it('frame 7: inner frame cut at 10 bytes is still a valid Geneve header', () => {
    const { buf, end } = place(FX.GENEVE_MALFORMED_F7);
    expect(parseGeneve(buf, 42, end)).toEqual({ ok: true, value: header(106) });
    const v = GeneveView.check(buf, 42, end);
    expect(v.ok && [v.value.payloadOffset, end - v.value.payloadOffset]).toEqual([50, 10]);
  });
  it('frame 8: option data past the end of the packet → optLen overrun; the option itself overruns the bytes present', () => {
    const { buf, end } = place(FX.GENEVE_MALFORMED_F8);
    const e: WireError = { kind: 'length-overrun', layer: 'geneve', at: 42, field: 'optLen', found: 28, allowed: '<= 18 bytes' };
    expect(parseGeneve(buf, 42, end)).toEqual({ ok: false, error: e });
    expect(parseGeneveLax(buf, 42, end)).toEqual({ value: header(107, { critical: true }), error: e });
    expect(checkGeneveOptions(buf, 50, end)).toEqual({ kind: 'length-overrun', layer: 'geneve', at: 50, field: 'option.length', found: 20, allowed: '<= 10 bytes' });
  });
});

describe('Geneve view and emit errors', () => {
  it('wrap re-points one view and geneveError expands each code', () => {
    const v = GeneveView.empty();
    expect(v.wrap(FX.GENEVE_TCPDUMP_F1, 0)).toBe(GENEVE_OK);
    expect([v.vni, v.headerLength]).toEqual([10, 16]);
    expect(v.wrap(FX.GENEVE_OVS_OPTIONS_F2, 0, 20)).toBe(GENEVE_ERR_OPT_LEN);
    expect(geneveError(GENEVE_ERR_OPT_LEN, FX.GENEVE_OVS_OPTIONS_F2, 0, 20)).toEqual({
      kind: 'length-overrun', layer: 'geneve', at: 0, field: 'optLen', found: 28, allowed: '<= 20 bytes',
    });
    expect(geneveError(99, FX.GENEVE_TCPDUMP_F1, 0).kind).toBe('bad-value');
    expect(v.wrap(FX.GENEVE_TCPDUMP_F1, 20)).toBe(GENEVE_ERR_TRUNCATED);
    expect(geneveError(GENEVE_ERR_TRUNCATED, FX.GENEVE_TCPDUMP_F1, 20).found).toBe(0);
  });
  it('setters reject out-of-range values', () => {
    const v = GeneveView.unchecked(a5(8));
    expect(() => (v.version = 4)).toThrow(RangeError);
    expect(() => (v.optLenWords = 64)).toThrow(RangeError);
    expect(() => (v.optionsLength = 6)).toThrow(RangeError);
    expect(() => (v.optionsLength = 256)).toThrow(RangeError);
    expect(() => (v.reservedFlags = 64)).toThrow(RangeError);
    expect(() => (v.protocolType = 0x10000)).toThrow(RangeError);
    expect(() => (v.vni = 0x1000000)).toThrow(RangeError);
    expect(() => (v.vni = -1)).toThrow(RangeError);
    expect(() => (v.reserved = 256)).toThrow(RangeError);
    expect(() => (v.flags = 1.5)).toThrow(RangeError);
    const c = new GeneveOptionCursor().at(a5(8), 0);
    expect(() => (c.optionClass = 0x10000)).toThrow(RangeError);
    expect(() => (c.type = 256)).toThrow(RangeError);
    expect(() => (c.rbits = 8)).toThrow(RangeError);
    expect(() => (c.lengthWords = 32)).toThrow(RangeError);
    expect(() => (c.dataLength = 128)).toThrow(RangeError);
    expect(() => (c.dataLength = 2)).toThrow(RangeError);
  });
  it('emit throws RangeError for programmer errors', () => {
    const f: GeneveFields = { ...base, vni: 1, options: [opt(0x0102, 0x80, 0, '00000001')] };
    const out = a5(300);
    expect(emitGeneve(f, out)).toBe(16);
    const bad: Array<[string, GeneveFields]> = [
      ['vni', { ...f, vni: 0x1000000 }],
      ['version', { ...f, version: 4 }],
      ['reservedFlags', { ...f, reservedFlags: 0x40 }],
      ['protocolType', { ...f, protocolType: -1 }],
      ['reserved', { ...f, reserved: 256 }],
      ['critical mismatch', { ...f, options: [{ ...opt(0x0102, 0x80, 0, '00000001'), critical: false }] }],
      ['critical mismatch 2', { ...f, options: [{ ...opt(0x0102, 0x01, 0, '00000001'), critical: true }] }],
      ['class', { ...f, options: [opt(0x10000, 0x01, 0, '')] }],
      ['type', { ...f, options: [{ ...opt(1, 0, 0, ''), type: 256, critical: true }] }],
      ['rbits', { ...f, options: [opt(1, 1, 8, '')] }],
      ['data not multiple of 4', { ...f, options: [opt(1, 1, 0, '010203')] }],
      ['data > 124', { ...f, options: [{ ...opt(1, 1, 0, ''), data: new Uint8Array(128) }] }],
      ['options > 252', { ...f, options: [{ ...opt(1, 1, 0, ''), data: new Uint8Array(124) }, { ...opt(1, 1, 0, ''), data: new Uint8Array(124) }] }],
    ];
    for (const [name, g] of bad) expect(() => emitGeneve(g, out), name).toThrow(RangeError);
    expect(() => emitGeneve(f, a5(15))).toThrow(RangeError);
    expect(() => emitGeneve(f, a5(20), 5)).toThrow(RangeError);
    expect(() => emitGeneve(f, a5(20), -1)).toThrow(RangeError);
    const max: GeneveFields = { ...f, options: [{ ...opt(1, 1, 0, ''), data: new Uint8Array(124) }, { ...opt(1, 1, 0, ''), data: new Uint8Array(120) }] };
    expect(emitGeneve(max, out)).toBe(260);
    expect(out[0]).toBe(63);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

/**
 * The published generators (`tunnelwire/arbitraries`): options of any class, type (critical bit consistent),
 * R bits and 0..31 data words, lists of a few long or up to 63 short options within 252 bytes; the base
 * header with every flag, the reserved bits and byte 7, any Protocol Type and VNI.
 */
const optionsArb: fc.Arbitrary<GeneveOption[]> = geneveOptions();
const fieldsArb: fc.Arbitrary<GeneveFields> = geneveFields({ options: optionsArb });

/**
 * Canonical wire bytes built directly (not through emit): random base header bytes with version 0 and
 * Opt Len set from the options, each option a random 4-byte header whose Length is set from its data.
 */
const canonicalArb: fc.Arbitrary<Uint8Array> = fc
  .record({
    head: fc.uint8Array({ minLength: 8, maxLength: 8 }),
    opts: fc.array(fc.record({ h: fc.uint8Array({ minLength: 4, maxLength: 4 }), words: fc.integer({ min: 0, max: 31 }), fill: fc.nat(255) }), { maxLength: 10 }),
  })
  .map(({ head, opts }) => {
    const parts: number[] = [];
    for (const { h, words, fill } of opts) {
      if (parts.length + 4 + words * 4 > GENEVE_MAX_OPTIONS_LEN) break;
      parts.push(h[0]!, h[1]!, h[2]!, (h[3]! & 0xe0) | words, ...range(fill, words * 4, 7));
    }
    const b = Uint8Array.from([...head, ...parts]);
    b[0] = parts.length / 4;
    return b;
  });

describe('Geneve properties', () => {
  test.prop([fieldsArb, fc.nat(40)])('emit then parse round-trips over the whole field domain, at any offset', (f, off) => {
    const n = geneveLength(f);
    const buf = a5(off + n + 4);
    expect(emitGeneve(f, buf, off)).toBe(n);
    expect(parseGeneve(buf, off, off + n)).toEqual({ ok: true, value: f });
    expect(parseGeneve(buf, off)).toEqual({ ok: true, value: f }); // trailing payload bytes are not options
    expect([...buf.subarray(off + n)]).toEqual([0xa5, 0xa5, 0xa5, 0xa5]);
    const clean = f.reservedFlags === 0 && f.reserved === 0 && f.options.every((o) => o.rbits === 0);
    expect(parseGeneve(buf, off, off + n, { strict: true }).ok).toBe(clean);
    const v = GeneveView.check(buf, off, off + n);
    expect(v.ok && [v.value.optLenWords, v.value.headerLength]).toEqual([(n - 8) / 4, n]);
  });

  test.prop([
    fc.integer({ min: 0, max: 3 }),
    fc.integer({ min: 0, max: 63 }),
    fc.boolean(),
    fc.boolean(),
    fc.integer({ min: 0, max: 63 }),
    fc.integer({ min: 0, max: 0xffff }),
    fc.integer({ min: 0, max: 0xffffff }),
    fc.integer({ min: 0, max: 0xff }),
  ])('view setters cover every value, every 2-bit version included, and agree with binary-parser', (ver, optLen, o, c, rsvd, proto, vni, r) => {
    const buf = a5(8);
    const v = GeneveView.unchecked(buf);
    v.reserved = r;
    v.vni = vni;
    v.protocolType = proto;
    v.reservedFlags = rsvd;
    v.critical = c;
    v.control = o;
    v.optLenWords = optLen;
    v.version = ver; // last: must not disturb Opt Len (gopacket's version-shift bug)
    expect([v.version, v.optLenWords, v.optionsLength, v.control, v.critical, v.reservedFlags, v.protocolType, v.vni, v.reserved]).toEqual([
      ver, optLen, optLen * 4, o, c, rsvd, proto, vni, r,
    ]);
    const bp = geneveBp.parse(asBuffer(buf)) as Record<string, number>;
    expect([bp.ver, bp.optLen, bp.o === 1, bp.c === 1, bp.rsvd, bp.protocolType, bp.vni, bp.reserved]).toEqual([ver, optLen, o, c, rsvd, proto, vni, r]);
    const code = GeneveView.empty().wrap(buf, 0);
    expect(code).toBe(optLen > 0 ? GENEVE_ERR_OPT_LEN : ver !== 0 ? GENEVE_ERR_VERSION : GENEVE_OK);
  });

  test.prop([fc.uint8Array({ maxLength: 300 }), fc.oneof(fc.nat(8), fc.nat(310)), fc.boolean()])('parse never throws on arbitrary bytes; an ok result lies inside the input', (b, off, strict) => {
    const r = parseGeneve(b, off, b.length, { strict });
    const lax = parseGeneveLax(b, off, b.length);
    if (!r.ok) {
      expect(r.error.layer).toBe('geneve');
      expect(r.error.at).toBeGreaterThanOrEqual(off);
      if (!strict) expect(lax.error).toEqual(r.error);
      return;
    }
    const hl = geneveLength(r.value);
    expect(off + hl).toBeLessThanOrEqual(b.length);
    let at = off + 8;
    for (const o of r.value.options) {
      expect(o.data.buffer).toBe(b.buffer);
      expect(o.data.byteOffset - b.byteOffset).toBe(at + 4);
      at += 4 + o.data.length;
    }
    expect(at).toBe(off + hl);
    expect(lax).toEqual({ value: r.value });
  });

  test.prop([fc.uint8Array({ minLength: 8, maxLength: 40 }), fc.nat(3)])('near-valid random bytes (version 0, small Opt Len) never throw and lax agrees', (raw, words) => {
    const b = Uint8Array.from(raw);
    b[0] = words;
    const r = parseGeneve(b);
    const lax = parseGeneveLax(b);
    if (r.ok) expect(lax).toEqual({ value: r.value });
    else {
      expect(lax.error).toEqual(r.error);
      expect(lax.value?.vni).toBe(GeneveView.unchecked(b).vni);
    }
  });

  test.prop([canonicalArb, fc.uint8Array({ maxLength: 20 })])('emit(parse(b)) equals b on canonical inputs', (b, payload) => {
    const withPayload = Uint8Array.from([...b, ...payload]);
    const r = parseGeneve(withPayload);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const out = a5(b.length);
    expect(emitGeneve(r.value, out)).toBe(b.length);
    expect(toHex(out)).toBe(toHex(b));
    emitGeneve(r.value, withPayload); // over the very bytes the options alias
    expect(toHex(withPayload.subarray(0, b.length))).toBe(toHex(b));
  });

  test.prop([fc.oneof(canonicalArb, fc.uint8Array({ maxLength: 80 })), fc.uint8Array({ minLength: 1, maxLength: 24 }), fc.uint8Array({ maxLength: 8 })])(
    'offset invariance: the same bytes at offset 0 and at offset k decode identically',
    (b, before, after) => {
      const k = before.length;
      const big = Uint8Array.from([...before, ...b, ...after]);
      const shift = (e: WireError): WireError => ({ ...e, at: e.at + k });
      const r0 = parseGeneve(b);
      const rk = parseGeneve(big, k, k + b.length);
      expect(rk).toEqual(r0.ok ? r0 : { ok: false, error: shift(r0.error) });
      const l0 = parseGeneveLax(b);
      const lk = parseGeneveLax(big, k, k + b.length);
      expect(lk).toEqual(l0.error ? { ...l0, error: shift(l0.error) } : l0);
      expect(checkGeneveOptions(big, k + 8, k + b.length)).toEqual(((e) => (e ? shift(e) : null))(checkGeneveOptions(b, 8, b.length)));
    },
  );

  test.prop([fc.uint8Array({ minLength: 8, maxLength: 8 })])('base header agrees with binary-parser and buffer-layout twins', (b) => {
    const v = GeneveView.unchecked(b);
    const bp = geneveBp.parse(asBuffer(b)) as Record<string, number>;
    expect([v.version, v.optLenWords, v.control, v.critical, v.reservedFlags, v.protocolType, v.vni, v.reserved]).toEqual([
      bp.ver, bp.optLen, bp.o === 1, bp.c === 1, bp.rsvd, bp.protocolType, bp.vni, bp.reserved,
    ]);
    const bl = geneveBl.decode(asBuffer(b));
    expect([v.version, v.optLenWords, v.control, v.critical, v.reservedFlags, v.protocolType, v.vni, v.reserved]).toEqual([
      bl.b0.ver, bl.b0.optLen, bl.b1.o, bl.b1.c, bl.b1.rsvd, bl.protocolType, bl.vniWord >>> 8, bl.vniWord & 0xff,
    ]);
  });

  test.prop([canonicalArb])('every option header agrees with binary-parser and buffer-layout twins', (b) => {
    const v = GeneveView.check(b);
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    const c = new GeneveOptionCursor().reset(b, v.value.optionsOffset, v.value.payloadOffset);
    let n = 0;
    while (c.next() === GENEVE_OPT_CURRENT) {
      const bp = geneveOptionBp.parse(asBuffer(b.subarray(c.offset))) as Record<string, number>;
      expect([c.optionClass, c.critical, c.type & 0x7f, c.rbits, c.lengthWords]).toEqual([bp.optionClass, bp.c === 1, bp.typeLow, bp.r, bp.length]);
      const bl = geneveOptionBl.decode(asBuffer(b), c.offset);
      expect([c.optionClass, c.type, c.rbits, c.lengthWords]).toEqual([bl.optionClass, bl.type, bl.b3.r, bl.b3.length]);
      n++;
    }
    expect(c.next()).toBe(GENEVE_OPT_DONE);
    expect(n * 4).toBeLessThanOrEqual(v.value.optionsLength);
  });

  test.prop([fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xff }), fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 31 })])(
    'option setters write only their bits and agree with the twins',
    (raw, cls, type, rbits, words) => {
      const b = Uint8Array.from(raw);
      const c = new GeneveOptionCursor().at(b, 0);
      c.lengthWords = words;
      c.rbits = rbits;
      c.type = type;
      c.optionClass = cls;
      const bp = geneveOptionBp.parse(asBuffer(b)) as Record<string, number>;
      expect([bp.optionClass, (bp.c! << 7) | bp.typeLow!, bp.r, bp.length]).toEqual([cls, type, rbits, words]);
      expect([c.critical, c.dataLength, c.totalLength]).toEqual([(type & 0x80) !== 0, words * 4, 4 + words * 4]);
    },
  );
});
