import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  GRE_ERR_BAD_VERSION,
  GRE_ERR_TRUNCATED,
  GRE_ERR_TRUNCATED_FIELDS,
  GRE_ERR_TRUNCATED_ROUTING,
  GRE_OK,
  GreSreCursor,
  GreView,
  computeGreChecksum,
  emitGre,
  emitGreRouting,
  fillGreChecksum,
  greError,
  greLength,
  isNvgre,
  parseGre,
  parseGreLax,
  verifyGreChecksum,
  type GreFields,
  type GreSre,
} from '../../src/nvgre/index.js';
import {
  GRE_CAPTURE_FIXTURES,
  GRE_COMPLETE_FIXTURES,
  GRE_GOOD_CSUM_PACKET,
  GRE_MAL_BAD_CSUM,
  GRE_MAL_BAD_CSUM_PACKET,
  GRE_MAL_CUT_KEY,
  GRE_MAL_RESERVED_FLAGS,
  GRE_MAL_ROUTING,
  GRE_MAL_SSR_RECUR,
  GRE_MAL_V1_TEB,
  GRE_ZEEK_F1,
  NVGRE_OVS_F1,
  type TsharkGreHdr,
} from '../fixtures/gre.js';
import { asBuffer } from '../oracles/buf.js';
import { greBl, greBp, type GreBpResult } from '../oracles/gre.js';

const a5 = (n: number) => new Uint8Array(n).fill(0xa5);
const hex = (n: number, w: number) => `0x${n.toString(16).padStart(w, '0')}`;
const colonHex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':');

/** Rebuild the flags/version word from parsed fields (so the tshark hex also checks every flag decode). */
function flagsWord(f: GreFields): number {
  return (
    (f.checksumPresent ? 0x8000 : 0) |
    (f.routingPresent ? 0x4000 : 0) |
    (f.keyPresent ? 0x2000 : 0) |
    (f.sequencePresent ? 0x1000 : 0) |
    (f.strictSourceRoute ? 0x0800 : 0) |
    (f.recursion << 8) |
    (f.ackPresent ? 0x0080 : 0) |
    (f.reservedFlags << 3) |
    f.version
  );
}

/** Our fields in the oracle JSON's shape (MANIFEST.md schema). */
function asTshark(f: GreFields, bytes: Uint8Array, checksumStatus?: string): TsharkGreHdr {
  const h: Record<string, unknown> = {
    flags_version_hex: hex(flagsWord(f), 4),
    c: +f.checksumPresent,
    r: +f.routingPresent,
    k: +f.keyPresent,
    s: +f.sequencePresent,
    ssr: +f.strictSourceRoute,
    recursion: f.recursion,
    flags_reserved: f.reservedFlags,
    version: f.version,
    proto: hex(f.protocolType, 4),
  };
  if (f.checksum !== undefined) {
    h.checksum_hex = hex(f.checksum, 4);
    h.checksum_status = checksumStatus ?? 'Unverified';
    h.offset = f.offset;
  }
  if (f.key !== undefined) h.key = f.key;
  if (f.sequence !== undefined) h.seq = f.sequence;
  if (f.routing) {
    h.routing = [
      ...f.routing.map((s) => ({ address_family: String(s.addressFamily), sre_offset: String(s.sreOffset), src_length: String(s.data.length), information: colonHex(s.data) })),
      { address_family: '0', sre_offset: '0', src_length: '0' },
    ];
  }
  if (f.key !== undefined) h.nvgre = { vsid: f.key >>> 8, flow_id: f.key & 0xff, derived: true, rfc7637_layout: isNvgre(bytes) };
  return h as unknown as TsharkGreHdr;
}

describe('GRE fixtures agree with the pinned tshark decode', () => {
  for (const fx of GRE_CAPTURE_FIXTURES) {
    it(fx.name, () => {
      const r = parseGreLax(fx.bytes);
      expect(r.value).toBeDefined();
      const status = fx.bytes === GRE_MAL_BAD_CSUM ? (verifyGreChecksum(GRE_MAL_BAD_CSUM_PACKET, 0) ? 'Good' : 'Bad') : undefined;
      expect(asTshark(r.value!, fx.bytes, status)).toEqual(fx.tshark);
      // Only the cut-key frame (tshark: malformed) is an error.
      expect(r.error?.kind).toBe(fx.bytes === GRE_MAL_CUT_KEY ? 'truncated' : undefined);
    });
  }
});

describe('GRE quartet (deconstruct / construct / parse / emit)', () => {
  it('deconstructs the RFC 1701 routing header (scapy-malformed-gre #1)', () => {
    const r = GreView.check(GRE_MAL_ROUTING);
    expect(r.ok).toBe(true);
    const v = GreView.unchecked(GRE_MAL_ROUTING);
    expect([v.checksumPresent, v.routingPresent, v.keyPresent, v.sequencePresent, v.strictSourceRoute]).toEqual([false, true, true, false, false]);
    expect([v.recursion, v.reservedFlags, v.version, v.protocolType]).toEqual([0, 0, 0, 0x6558]);
    expect([v.checksum, v.offsetField, v.key, v.sequence, v.ack]).toEqual([0, 0, 0x00010001, undefined, undefined]);
    expect([v.routingOffset, v.routingLength, v.headerLength, v.payloadOffset]).toEqual([12, 16, 28, 28]);
    const c = new GreSreCursor();
    const seen: [number, number, number, string][] = [];
    for (let more = c.first(v); more; more = c.next()) seen.push([c.addressFamily, c.sreOffset, c.sreLength, colonHex(c.data())]);
    expect(seen).toEqual([[0x0800, 0, 8, 'c0:00:02:01:c0:00:02:02']]);
  });
  it('deconstructs PPTP version 1 (scapy-malformed-gre #2): key = payload length | call ID', () => {
    const v = GreView.unchecked(GRE_MAL_V1_TEB);
    expect(GreView.check(GRE_MAL_V1_TEB).ok).toBe(true);
    expect([v.version, v.keyPresent, v.ackPresent, v.key, v.pptpPayloadLength, v.pptpCallId, v.headerLength]).toEqual([1, true, false, 0x00010002, 1, 2, 8]);
  });
  it('deconstructs key+seq+s+recursion 3 and reserved flags', () => {
    const v = GreView.unchecked(GRE_MAL_SSR_RECUR);
    expect([v.strictSourceRoute, v.recursion, v.key, v.sequence, v.headerLength, v.pptpCallId]).toEqual([true, 3, 0x00010006, 7, 12, undefined]);
    const w = GreView.unchecked(GRE_MAL_RESERVED_FLAGS);
    expect([w.reservedFlags, w.ackPresent, w.recursion, w.headerLength]).toEqual([31, false, 0, 8]);
    const z = GreView.unchecked(GRE_ZEEK_F1);
    expect([z.flagsVersion, z.protocolType, z.headerLength, z.key, z.checksum]).toEqual([0, 0x0800, 4, undefined, undefined]);
  });

  it('constructs every complete fixture through setters over 0xa5', () => {
    for (const fx of GRE_COMPLETE_FIXTURES) {
      const t = fx.tshark;
      const buf = a5(fx.bytes.length);
      const v = GreView.unchecked(buf);
      v.flagsVersion = 0;
      v.version = t.version;
      v.checksumPresent = t.c === 1;
      v.routingPresent = t.r === 1;
      v.keyPresent = t.k === 1;
      v.sequencePresent = t.s === 1;
      v.strictSourceRoute = t.ssr === 1;
      v.recursion = t.recursion;
      v.reservedFlags = t.flags_reserved;
      v.protocolType = parseInt(t.proto, 16);
      if (t.checksum_hex !== undefined) {
        v.checksum = parseInt(t.checksum_hex, 16);
        v.offsetField = t.offset!;
      }
      if (t.key !== undefined) v.key = t.key;
      if (t.seq !== undefined) v.sequence = t.seq;
      if (t.routing) {
        const sres: GreSre[] = t.routing
          .filter((s) => s.information !== undefined)
          .map((s) => ({ addressFamily: Number(s.address_family), sreOffset: Number(s.sre_offset), data: Uint8Array.from(s.information!.split(':'), (h) => parseInt(h, 16)) }));
        emitGreRouting(sres, buf, v.routingOffset);
      }
      expect(buf, fx.name).toEqual(fx.bytes);
    }
  });
  it('constructs a version 1 header with A through setters', () => {
    const buf = a5(16);
    const v = GreView.unchecked(buf);
    v.flagsVersion = 0;
    v.version = 1;
    v.keyPresent = true;
    v.sequencePresent = true;
    v.ackPresent = true;
    v.protocolType = 0x880b;
    v.key = 0x00200007;
    v.sequence = 9;
    v.ack = 8;
    expect(buf).toEqual(Uint8Array.from([0x30, 0x81, 0x88, 0x0b, 0, 0x20, 0, 7, 0, 0, 0, 9, 0, 0, 0, 8]));
    expect([v.ackPresent, v.ack, v.headerLength, v.reservedFlags]).toEqual([true, 8, 16, 0]);
    expect(() => GreView.unchecked(a5(8)).key).not.toThrow();
    const z = GreView.unchecked(Uint8Array.from([0, 0, 8, 0]));
    expect(() => (z.key = 1)).toThrow(RangeError);
    expect(() => (z.ack = 1)).toThrow(RangeError);
    expect(() => (z.recursion = 8)).toThrow(RangeError);
  });

  it('parses fixtures to the expected fields', () => {
    expect(parseGre(GRE_MAL_ROUTING)).toEqual({
      ok: true,
      value: {
        checksumPresent: false, routingPresent: true, keyPresent: true, sequencePresent: false, strictSourceRoute: false,
        recursion: 0, ackPresent: false, reservedFlags: 0, version: 0, protocolType: 0x6558, checksum: 0, offset: 0, key: 0x00010001,
        routing: [{ addressFamily: 0x0800, sreOffset: 0, data: Uint8Array.from([192, 0, 2, 1, 192, 0, 2, 2]) }],
      },
    });
    expect(parseGre(GRE_MAL_SSR_RECUR)).toEqual({
      ok: true,
      value: {
        checksumPresent: false, routingPresent: false, keyPresent: true, sequencePresent: true, strictSourceRoute: true,
        recursion: 3, ackPresent: false, reservedFlags: 0, version: 0, protocolType: 0x6558, key: 0x00010006, sequence: 7,
      },
    });
    expect(parseGre(GRE_ZEEK_F1)).toEqual({
      ok: true,
      value: {
        checksumPresent: false, routingPresent: false, keyPresent: false, sequencePresent: false, strictSourceRoute: false,
        recursion: 0, ackPresent: false, reservedFlags: 0, version: 0, protocolType: 0x0800,
      },
    });
  });
  it('routing data alias the input (subarray, no copy)', () => {
    const r = parseGre(GRE_MAL_ROUTING);
    const d = r.ok ? r.value.routing![0]!.data : new Uint8Array(0);
    expect(d.buffer).toBe(GRE_MAL_ROUTING.buffer);
    expect(d.byteOffset - GRE_MAL_ROUTING.byteOffset).toBe(16);
  });
  it('emits every complete fixture byte-exact over 0xa5', () => {
    for (const fx of GRE_COMPLETE_FIXTURES) {
      const r = parseGre(fx.bytes);
      expect(r.ok, fx.name).toBe(true);
      if (!r.ok) continue;
      expect(greLength(r.value)).toBe(fx.bytes.length);
      const out = a5(fx.bytes.length + 4);
      expect(emitGre(r.value, out, 2)).toBe(fx.bytes.length);
      expect(out.subarray(2, 2 + fx.bytes.length), fx.name).toEqual(fx.bytes);
      expect([out[0], out[1], out[out.length - 1]]).toEqual([0xa5, 0xa5, 0xa5]);
    }
  });
});

describe('GRE checksum', () => {
  it('the wrong-checksum capture fails and tshark\'s value passes', () => {
    expect(verifyGreChecksum(GRE_MAL_BAD_CSUM_PACKET, 0)).toBe(false);
    expect(computeGreChecksum(GRE_MAL_BAD_CSUM_PACKET, 0)).toBe(0xed2e);
    expect(verifyGreChecksum(GRE_GOOD_CSUM_PACKET, 0)).toBe(true);
  });
  it('fill then verify, at an offset, with an odd-length payload', () => {
    const big = a5(7 + GRE_MAL_BAD_CSUM_PACKET.length - 1);
    big.set(GRE_MAL_BAD_CSUM_PACKET.subarray(0, -1), 7);
    const end = big.length;
    const c = fillGreChecksum(big, 7, end);
    expect(c).toBe((big[11]! << 8) | big[12]!);
    expect(verifyGreChecksum(big, 7, end)).toBe(true);
    big[40]! ^= 1;
    expect(verifyGreChecksum(big, 7, end)).toBe(false);
  });
  it('nothing to verify without C; cut headers never verify; compute rejects a bad range', () => {
    expect(verifyGreChecksum(GRE_ZEEK_F1, 0)).toBe(true);
    expect(verifyGreChecksum(GRE_MAL_CUT_KEY, 0)).toBe(false);
    expect(verifyGreChecksum(GRE_GOOD_CSUM_PACKET, 0, 10)).toBe(false);
    expect(() => computeGreChecksum(GRE_ZEEK_F1, 0)).toThrow(RangeError);
  });
});

describe('GRE policy and errors', () => {
  it('default mode accepts all malformed-but-complete frames; strict mode rejects them in bit order', () => {
    for (const fx of GRE_COMPLETE_FIXTURES) expect(parseGre(fx.bytes).ok, fx.name).toBe(true);
    const strict = (b: Uint8Array) => {
      const r = parseGre(b, 0, b.length, { strict: true });
      return r.ok ? 'ok' : r.error;
    };
    expect(strict(GRE_MAL_ROUTING)).toEqual({ kind: 'bad-flags', layer: 'gre', at: 0, field: 'flags.R', found: 0x6000, allowed: 'R clear (RFC 2784 §2.1)' });
    expect(strict(GRE_MAL_SSR_RECUR)).toEqual({ kind: 'reserved-nonzero', layer: 'gre', at: 0, field: 'strictSourceRoute', found: 1, allowed: '0' });
    expect(strict(GRE_MAL_RESERVED_FLAGS)).toEqual({ kind: 'reserved-nonzero', layer: 'gre', at: 1, field: 'reservedFlags', found: 31, allowed: '0' });
    expect(strict(GRE_MAL_V1_TEB)).toBe('ok');
    expect(strict(NVGRE_OVS_F1)).toBe('ok');
    const rec = Uint8Array.from(GRE_MAL_SSR_RECUR);
    rec[0]! &= ~0x08;
    expect(strict(rec)).toEqual({ kind: 'reserved-nonzero', layer: 'gre', at: 0, field: 'recursion', found: 3, allowed: '0' });
    const v1c = Uint8Array.from([0xa0, 0x01, 0x88, 0x0b, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect(strict(v1c)).toMatchObject({ kind: 'bad-flags', field: 'flags', found: 0xa001 });
    const rsvd1 = Uint8Array.from(GRE_MAL_BAD_CSUM);
    rsvd1[7] = 1;
    expect(strict(rsvd1)).toEqual({ kind: 'reserved-nonzero', layer: 'gre', at: 6, field: 'reserved1', found: 1, allowed: '0' });
    const lax = parseGreLax(GRE_MAL_ROUTING, 0, GRE_MAL_ROUTING.length, { strict: true });
    expect([lax.value?.key, lax.error?.kind]).toEqual([0x00010001, 'bad-flags']);
  });
  it('versions 2..7 are bad-version with the found version', () => {
    for (let ver = 2; ver <= 7; ver++) {
      const b = a5(12);
      b.set([0x20, ver, 0x65, 0x58], 3);
      expect(parseGre(b, 3)).toEqual({ ok: false, error: { kind: 'bad-version', layer: 'gre', at: 4, field: 'version', found: ver, allowed: '0 or 1' } });
      const lax = parseGreLax(b, 3);
      expect([lax.value?.version, lax.value?.protocolType, lax.error?.kind]).toEqual([ver, 0x6558, 'bad-version']);
      expect(GreView.empty().wrap(b, 3)).toBe(GRE_ERR_BAD_VERSION);
    }
  });
  it('lax parse of the cut-key capture returns the fixed part and the truncation', () => {
    expect(parseGreLax(GRE_MAL_CUT_KEY)).toEqual({
      value: {
        checksumPresent: false, routingPresent: false, keyPresent: true, sequencePresent: false, strictSourceRoute: false,
        recursion: 0, ackPresent: false, reservedFlags: 0, version: 0, protocolType: 0x6558,
      },
      error: { kind: 'truncated', layer: 'gre', at: 0, field: 'key', found: 6, allowed: '>= 8 bytes' },
    });
    expect(parseGreLax(GRE_MAL_CUT_KEY, 0, 3)).toEqual({ error: { kind: 'truncated', layer: 'gre', at: 0, field: 'header', found: 3, allowed: '>= 4 bytes' } });
  });
  it('a routing list without terminator is truncated, never a loop', () => {
    const b = new Uint8Array(4 + 4 + 200 * 4);
    b.set([0x40, 0x00, 0x08, 0x00]);
    for (let i = 8; i < b.length; i += 4) b.set([0x00, 0x01, 0x00, 0x00], i); // AF 1, length 0: never the terminator
    const r = parseGre(b);
    expect(r).toEqual({ ok: false, error: { kind: 'truncated', layer: 'gre', at: 0, field: 'routing', found: b.length, allowed: `>= ${b.length + 4} bytes` } });
    const c = new GreSreCursor();
    let n = 0;
    for (let more = c.first(GreView.unchecked(b)); more; more = c.next()) n++;
    expect(n).toBe(200);
  });
  it('wrap returns codes that greError expands; the empty view is reusable', () => {
    const v = GreView.empty();
    expect(v.wrap(GRE_MAL_ROUTING, 0)).toBe(GRE_OK);
    expect(v.headerLength).toBe(28);
    expect(v.wrap(GRE_MAL_ROUTING, 0, 20)).toBe(GRE_ERR_TRUNCATED_ROUTING);
    expect(greError(GRE_ERR_TRUNCATED_ROUTING, GRE_MAL_ROUTING, 0, 20)).toMatchObject({ field: 'routing', found: 20, allowed: '>= 24 bytes' });
    expect(v.wrap(GRE_MAL_CUT_KEY, 0)).toBe(GRE_ERR_TRUNCATED_FIELDS);
    expect(v.wrap(GRE_MAL_CUT_KEY, 3)).toBe(GRE_ERR_TRUNCATED);
    expect(v.wrap(NVGRE_OVS_F1, 0)).toBe(GRE_OK);
    expect(v.key).toBe(0x000102fe);
  });
  it('emit rejects out-of-range and inconsistent fields without writing', () => {
    const base: GreFields = {
      checksumPresent: false, routingPresent: false, keyPresent: true, sequencePresent: false, strictSourceRoute: false,
      recursion: 0, ackPresent: false, reservedFlags: 0, version: 0, protocolType: 0x6558, key: 1,
    };
    const out = a5(64);
    for (const bad of [
      { ...base, version: 2 },
      { ...base, recursion: 8 },
      { ...base, reservedFlags: 32 },
      { ...base, version: 1, reservedFlags: 16 },
      { ...base, ackPresent: true, ack: 1 },
      { ...base, protocolType: 0x10000 },
      { ...base, key: 2 ** 32 },
      { ...base, keyPresent: false },
      { ...base, sequence: 1 },
      { ...base, routingPresent: true, checksum: 0, offset: 0 },
      { ...base, routingPresent: true, checksum: 0, offset: 0, routing: [{ addressFamily: 0, sreOffset: 0, data: new Uint8Array(0) }] },
      { ...base, routingPresent: true, checksum: 0, offset: 0, routing: [{ addressFamily: 1, sreOffset: 0, data: new Uint8Array(256) }] },
    ]) {
      expect(() => emitGre(bad, out), JSON.stringify(bad)).toThrow(RangeError);
    }
    expect(() => emitGre(base, a5(7))).toThrow(RangeError);
    expect(out).toEqual(a5(64));
  });
});

/** Expected truncation for a cut at `k` bytes of a complete header, derived from its tshark flags. */
function expectedCut(fx: (typeof GRE_CAPTURE_FIXTURES)[number], k: number): { field: string; required: number } {
  const t = fx.tshark;
  if (k < 4) return { field: 'header', required: 4 };
  const words: string[] = [];
  if (t.c || t.r) words.push('checksum');
  if (t.k) words.push('key');
  if (t.s) words.push('sequence');
  const fixed = 4 + 4 * words.length;
  if (k < fixed) return { field: words[Math.floor((k - 4) / 4)]!, required: fixed };
  // Routing (RFC 1701): each SRE header, then its data, then the terminator.
  let at = fixed;
  for (const s of t.routing ?? []) {
    if (k < at + 4) return { field: 'routing', required: at + 4 };
    at += 4;
    const len = Number(s.src_length);
    if (k < at + len) return { field: 'routing', required: at + len };
    at += len;
  }
  throw new Error(`cut at ${k} is past the header of ${fx.name}`);
}

describe('GRE truncation sweep', () => {
  it('every prefix of every fixture at offset 5 is a typed truncated error at 5', () => {
    let cases = 0;
    for (const fx of GRE_CAPTURE_FIXTURES) {
      const len = fx.bytes === GRE_MAL_CUT_KEY ? 7 : fx.bytes.length; // the cut-key frame claims 8; sweep it to its end
      for (let k = 0; k < len; k++) {
        if (k > fx.bytes.length) break;
        const big = a5(k + 5);
        big.set(fx.bytes.subarray(0, k), 5);
        const { field, required } = expectedCut(fx, k);
        const want = { kind: 'truncated', layer: 'gre', at: 5, field, found: k, allowed: `>= ${required} bytes` };
        expect(parseGre(big, 5), `${fx.name} k=${k}`).toEqual({ ok: false, error: want });
        expect(parseGreLax(big, 5).error).toEqual(want);
        expect(GreView.check(big, 5)).toEqual({ ok: false, error: want });
        expect(GreView.empty().wrap(big, 5)).not.toBe(GRE_OK);
        expect(verifyGreChecksum(big, 5)).toBe(false);
        // The same cut expressed through `end` inside a longer buffer.
        const long = a5(5 + fx.bytes.length + 3);
        long.set(fx.bytes, 5);
        expect(parseGre(long, 5, 5 + k)).toEqual({ ok: false, error: want });
        cases++;
      }
    }
    expect(cases).toBeGreaterThan(150);
  });
  it('wrap codes name the failing stage', () => {
    expect(GreView.empty().wrap(GRE_MAL_ROUTING, 0, 3)).toBe(GRE_ERR_TRUNCATED);
    expect(GreView.empty().wrap(GRE_MAL_ROUTING, 0, 9)).toBe(GRE_ERR_TRUNCATED_FIELDS);
    expect(GreView.empty().wrap(GRE_MAL_ROUTING, 0, 27)).toBe(GRE_ERR_TRUNCATED_ROUTING);
  });
});

// ---- property tests ----

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const sreArb: fc.Arbitrary<GreSre> = fc
  .record({ addressFamily: u16, sreOffset: fc.integer({ min: 0, max: 255 }), data: fc.uint8Array({ maxLength: 24 }) })
  .filter((s) => !(s.addressFamily === 0 && s.data.length === 0));

/** Every GRE header this codec can emit: versions 0 and 1, all flags, routing lists. */
const greArb: fc.Arbitrary<GreFields> = fc
  .record({
    version: fc.constantFrom(0, 1),
    checksumPresent: fc.boolean(),
    routingPresent: fc.boolean(),
    keyPresent: fc.boolean(),
    sequencePresent: fc.boolean(),
    strictSourceRoute: fc.boolean(),
    recursion: fc.integer({ min: 0, max: 7 }),
    a: fc.boolean(),
    rsvd: fc.integer({ min: 0, max: 31 }),
    protocolType: u16,
    checksum: u16,
    offset: u16,
    key: u32,
    sequence: u32,
    ack: u32,
    routing: fc.array(sreArb, { maxLength: 3 }),
  })
  .map((r) => {
    const v1 = r.version === 1;
    const ackPresent = v1 && r.a;
    return {
      checksumPresent: r.checksumPresent,
      routingPresent: r.routingPresent,
      keyPresent: r.keyPresent,
      sequencePresent: r.sequencePresent,
      strictSourceRoute: r.strictSourceRoute,
      recursion: r.recursion,
      ackPresent,
      reservedFlags: v1 ? r.rsvd & 0x0f : r.rsvd,
      version: r.version,
      protocolType: r.protocolType,
      ...(r.checksumPresent || r.routingPresent ? { checksum: r.checksum, offset: r.offset } : {}),
      ...(r.keyPresent ? { key: r.key } : {}),
      ...(r.sequencePresent ? { sequence: r.sequence } : {}),
      ...(ackPresent ? { ack: r.ack } : {}),
      ...(r.routingPresent ? { routing: r.routing } : {}),
    };
  });

/**
 * Valid GRE bytes assembled by hand (independent of src): a random first word with version 0/1, the optional
 * words it announces taken from random bytes, an SRE list with terminator when R, then a random payload.
 */
const validGreBytes = fc
  .record({
    word: u16,
    v1: fc.boolean(),
    proto: u16,
    opt: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    sres: fc.array(sreArb, { maxLength: 3 }),
    payload: fc.uint8Array({ maxLength: 16 }),
  })
  .map(({ word, v1, proto, opt, sres, payload }) => {
    const fv = (word & ~7) | (v1 ? 1 : 0);
    const words = (fv & 0xc000 ? 1 : 0) + (fv & 0x2000 ? 1 : 0) + (fv & 0x1000 ? 1 : 0) + (v1 && fv & 0x80 ? 1 : 0);
    const parts: number[] = [fv >>> 8, fv & 0xff, proto >>> 8, proto & 0xff, ...opt.subarray(0, 4 * words)];
    if (fv & 0x4000) {
      for (const s of sres) parts.push(s.addressFamily >>> 8, s.addressFamily & 0xff, s.sreOffset, s.data.length, ...s.data);
      parts.push(0, 0, 0, 0);
    }
    return { header: Uint8Array.from(parts), payload };
  });

function agreeWithTwins(b: Uint8Array, f: GreFields, headerLength: number): void {
  const bp = greBp.parse(asBuffer(b)) as GreBpResult;
  const bl = greBl(asBuffer(b));
  const flags = { c: f.checksumPresent, r: f.routingPresent, k: f.keyPresent, s: f.sequencePresent, ssr: f.strictSourceRoute };
  expect(flags).toEqual({ c: bp.c === 1, r: bp.r === 1, k: bp.k === 1, s: bp.s === 1, ssr: bp.ssr === 1 });
  expect(flags).toEqual({ c: bl.fv.c, r: bl.fv.r, k: bl.fv.k, s: bl.fv.s, ssr: bl.fv.ssr });
  const rsvdBp = bp.version === 1 ? bp.flags : (bp.a << 4) | bp.flags;
  expect([f.recursion, f.reservedFlags, f.version, f.protocolType, f.ackPresent]).toEqual([bp.recursion, rsvdBp, bp.version, bp.protocolType, bp.ack.length === 1]);
  expect([f.recursion, f.version, f.protocolType]).toEqual([bl.fv.recursion, bl.fv.version, bl.protocolType]);
  expect([f.checksum, f.offset, f.key, f.sequence, f.ack]).toEqual([bp.csum[0]?.checksum, bp.csum[0]?.offset, bp.key[0], bp.sequence[0], bp.ack[0]]);
  expect([f.checksum, f.offset, f.key, f.sequence, f.ack]).toEqual([bl.checksum, bl.offset, bl.key, bl.sequence, bl.ack]);
  const bpRouting = bp.routing[0]?.sres.filter((s) => !(s.addressFamily === 0 && s.sreLength === 0)).map((s) => ({ addressFamily: s.addressFamily, sreOffset: s.sreOffset, data: Uint8Array.from(s.data) }));
  const norm = (l?: readonly GreSre[]) => l?.map((s) => ({ addressFamily: s.addressFamily, sreOffset: s.sreOffset, data: Uint8Array.from(s.data) }));
  expect(norm(f.routing)).toEqual(bpRouting);
  expect(norm(f.routing)).toEqual(norm(bl.routing));
  expect(headerLength).toBe(bp.headerLength);
  expect(headerLength).toBe(bl.headerLength);
}

describe('GRE properties', () => {
  test.prop([greArb, fc.nat(16), fc.nat(8)])('emit then parse round-trips over the whole domain at any offset', (f, off, tail) => {
    const len = greLength(f);
    const buf = a5(off + len + tail);
    expect(emitGre(f, buf, off)).toBe(len);
    expect(parseGre(buf, off, off + len)).toEqual({ ok: true, value: f });
    const v = GreView.check(buf, off, off + len);
    expect(v.ok && [v.value.headerLength, v.value.payloadOffset]).toEqual([len, off + len]);
  });
  test.prop([fc.integer({ min: 0, max: 7 }), u16])('the version setter covers all 3-bit values and leaves the flags', (ver, word) => {
    const v = GreView.unchecked(a5(4));
    v.flagsVersion = word;
    v.version = ver;
    expect([v.version, v.flagsVersion & ~7]).toEqual([ver, word & ~7]);
    expect(GreView.empty().wrap(v.bytes, 0) === GRE_ERR_BAD_VERSION).toBe(ver > 1);
  });
  test.prop([fc.uint8Array({ maxLength: 300 }), fc.nat(310), fc.boolean()])('parse never throws on arbitrary bytes; ok results lie inside the input', (b, off, strict) => {
    const r = parseGre(b, off, b.length, { strict });
    const lax = parseGreLax(b, off, b.length, { strict });
    expect(lax.error === undefined).toBe(r.ok);
    const code = GreView.empty().wrap(b, off);
    expect(code === GRE_OK).toBe(parseGre(b, off).ok);
    if (!r.ok) {
      expect(r.error.layer).toBe('gre');
      if (r.error.kind === 'truncated') expect(r.error.at).toBe(off);
      return;
    }
    const len = greLength(r.value);
    expect(off + len).toBeLessThanOrEqual(b.length);
    expect(GreView.unchecked(b, off).headerLength).toBe(len);
    for (const s of r.value.routing ?? []) {
      expect(s.data.buffer).toBe(b.buffer);
      expect(s.data.byteOffset).toBeGreaterThanOrEqual(b.byteOffset + off);
      expect(s.data.byteOffset + s.data.length).toBeLessThanOrEqual(b.byteOffset + off + len);
    }
  });
  test.prop([validGreBytes])('emit(parse(b)) equals b on canonical inputs', ({ header }) => {
    const r = parseGre(header);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const out = a5(header.length);
    expect(emitGre(r.value, out)).toBe(header.length);
    expect(out).toEqual(header);
  });
  test.prop([validGreBytes, fc.uint8Array({ maxLength: 40 })])('offset invariance', ({ header, payload }, prefix) => {
    const alone = Uint8Array.from([...header, ...payload]);
    const big = Uint8Array.from([...prefix, ...header, ...payload, 0xa5, 0xa5]);
    const k = prefix.length;
    const a = parseGre(alone);
    const b = parseGre(big, k, k + alone.length);
    expect(b).toEqual(a);
    expect(parseGreLax(big, k, k + header.length - 1).error?.at).toBe(k);
    expect(GreView.unchecked(big, k).payloadOffset - k).toBe(GreView.unchecked(alone).payloadOffset);
  });
  test.prop([validGreBytes])('agrees with the binary-parser and buffer-layout twins on random valid bytes', ({ header, payload }) => {
    const b = Uint8Array.from([...header, ...payload]);
    const r = parseGre(b);
    expect(r.ok).toBe(true);
    if (r.ok) agreeWithTwins(b, r.value, GreView.unchecked(b).headerLength);
  });
});
