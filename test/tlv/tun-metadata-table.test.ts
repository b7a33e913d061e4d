/**
 * TunMetadataTable: OVS's TLV map limits and errors (shared/specs/geneve.md §9; OVS lib/tun-metadata.c,
 * lib/ofp-match.c), receive/transmit translation, matching, and the OVS-emitted capture
 * test/fixtures/captures/ovs-geneve-options.pcap (OVS 3.1.0, TLV map from MANIFEST.md).
 */
import { readFileSync } from 'node:fs';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { readCaptureAll } from '../../src/capture/reader.js';
import { emitGeneve, parseGeneve, type GeneveOption } from '../../src/geneve/fields.js';
import { fromHex } from '../../src/net/bytes.js';
import type { Result } from '../../src/net/errors.js';
import {
  criticalFlag,
  TUN_METADATA_MAX_OPT_LEN,
  TUN_METADATA_NUM_OPTS,
  TUN_METADATA_TOT_OPT_LEN,
  TunMetadataTable,
  type TlvMapRequest,
  type TunMetadataError,
} from '../../src/tlv/tun-metadata-table.js';
import { walkPacket } from '../../src/walk/walker.js';

function value<T>(r: Result<T, TunMetadataError>): T {
  if (!r.ok) throw new Error(`expected ok, got ${r.error.kind}: ${r.error.message}`);
  return r.value;
}
function error<T>(r: Result<T, TunMetadataError>): TunMetadataError {
  if (r.ok) throw new Error('expected an error');
  return r.error;
}
function opt(optionClass: number, type: number, data: Uint8Array | string): GeneveOption {
  return { optionClass, type, critical: (type & 0x80) !== 0, rbits: 0, data: typeof data === 'string' ? fromHex(data) : data };
}
/** Entries of `n` distinct keys (class 0x0100 + i, type 0) of `length` bytes each. */
function keys(n: number, length: number, classBase = 0x0100): TlvMapRequest[] {
  return Array.from({ length: n }, (_, i) => ({ optionClass: classBase + i, type: 0, length }));
}
/** A table change must leave nothing behind on failure: same published map object, same entries. */
function expectUnchanged(t: TunMetadataTable, f: () => void): void {
  const before = t.map;
  const entries = t.entries();
  f();
  expect(t.map).toBe(before);
  expect(t.entries()).toEqual(entries);
}

describe('limits (exactly at the limit, then one past)', () => {
  it('binds 64 fields, then refuses a 65th with table-full', () => {
    const t = new TunMetadataTable();
    const added = value(t.add(keys(TUN_METADATA_NUM_OPTS, 0)));
    expect(added.map((m) => m.index)).toEqual(Array.from({ length: 64 }, (_, i) => i));
    expect(t.size).toBe(64);
    expectUnchanged(t, () => {
      const e = error(t.add([{ optionClass: 0x0200, type: 0, length: 0 }]));
      expect(e).toMatchObject({ kind: 'table-full', ofperr: 'NXTTMFC_TABLE_FULL', entry: { optionClass: 0x0200, type: 0, length: 0 } });
      expect(e.message).toContain('all 64');
    });
  });

  it('binds 63 × 4 bytes + 1 × 0 bytes into all 64 fields (252 bytes)', () => {
    const t = new TunMetadataTable();
    value(t.add([...keys(63, 4), { optionClass: 0x0300, type: 0, length: 0 }]));
    expect(t.size).toBe(64);
    expect(t.totalLength).toBe(TUN_METADATA_TOT_OPT_LEN);
  });

  it('accepts a 124-byte option and rejects 128 with bad-opt-len', () => {
    const t = new TunMetadataTable();
    expect(value(t.add([{ optionClass: 1, type: 1, length: TUN_METADATA_MAX_OPT_LEN }]))).toHaveLength(1);
    expectUnchanged(t, () => {
      expect(error(t.add([{ optionClass: 1, type: 2, length: 128 }]))).toMatchObject({ kind: 'bad-opt-len', ofperr: 'NXTTMFC_BAD_OPT_LEN', entry: { length: 128 } });
    });
  });

  it.each([1, 2, 3, 5, 6, 7, 123, 125, -4, 2.5])('rejects length %d (not a multiple of 4 in 0..124)', (length) => {
    const t = new TunMetadataTable();
    expectUnchanged(t, () => expect(error(t.add([{ optionClass: 1, type: 1, length }])).kind).toBe('bad-opt-len'));
  });

  it('accepts a zero-length (header-only) option, as OVS decodes len=0', () => {
    const t = new TunMetadataTable();
    expect(value(t.add([{ optionClass: 1, type: 1, length: 0 }]))[0]).toEqual({ optionClass: 1, type: 1, length: 0, index: 0 });
  });

  it('accepts a total of exactly 252 bytes and rejects 4 more, in a later request or in the same one', () => {
    const t = new TunMetadataTable();
    value(t.add([{ optionClass: 1, type: 0, length: 124 }, { optionClass: 2, type: 0, length: 124 }, { optionClass: 3, type: 0, length: 4 }]));
    expect(t.totalLength).toBe(252);
    expectUnchanged(t, () => {
      const e = error(t.add([{ optionClass: 4, type: 0, length: 4 }]));
      expect(e).toMatchObject({ kind: 'table-full', ofperr: 'NXTTMFC_TABLE_FULL', entry: { optionClass: 4, index: 3 } });
      expect(e.message).toContain('256 bytes');
    });
    // a zero-length option still fits
    value(t.add([{ optionClass: 5, type: 0, length: 0 }]));
    const u = new TunMetadataTable();
    expectUnchanged(u, () => expect(error(u.add([...keys(2, 124), { optionClass: 9, type: 0, length: 8 }])).kind).toBe('table-full'));
  });

  it('accepts index 63 and rejects 64 (and other non-indices) with bad-field-idx', () => {
    const t = new TunMetadataTable();
    expect(value(t.add([{ optionClass: 1, type: 0, length: 4, index: 63 }]))[0]!.index).toBe(63);
    for (const index of [64, 65, 1000, -1, 1.5, NaN]) {
      expectUnchanged(t, () => expect(error(t.add([{ optionClass: 2, type: 0, length: 4, index }]))).toMatchObject({ kind: 'bad-field-idx', ofperr: 'NXTTMFC_BAD_FIELD_IDX' }));
    }
  });

  it('rejects a class or type that does not fit 16 / 8 bits with bad-key', () => {
    const t = new TunMetadataTable();
    expect(error(t.add([{ optionClass: 0x10000, type: 0, length: 4 }])).kind).toBe('bad-key');
    expect(error(t.add([{ optionClass: 0, type: 0x100, length: 4 }])).kind).toBe('bad-key');
    expect(value(t.add([{ optionClass: 0xffff, type: 0xff, length: 4 }]))).toHaveLength(1);
  });
});

describe('conflicts', () => {
  it('reports the same key twice in one request as dup-entry', () => {
    const t = new TunMetadataTable();
    expectUnchanged(t, () => {
      const e = error(t.add([{ optionClass: 0x0102, type: 0x80, length: 4 }, { optionClass: 0x0102, type: 0x80, length: 8 }]));
      expect(e).toMatchObject({ kind: 'dup-entry', ofperr: 'NXTTMFC_DUP_ENTRY', entry: { optionClass: 0x0102, type: 0x80, length: 8 } });
    });
  });

  it('reports the same index twice in one request as dup-entry', () => {
    const t = new TunMetadataTable();
    expectUnchanged(t, () => {
      expect(error(t.add([{ optionClass: 1, type: 0, length: 4, index: 7 }, { optionClass: 2, type: 0, length: 4, index: 7 }]))).toMatchObject({ kind: 'dup-entry', entry: { index: 7 } });
    });
  });

  it('reports a key already bound as already-mapped (OVS code: NXTTMFC_DUP_ENTRY)', () => {
    const t = new TunMetadataTable();
    value(t.add([{ optionClass: 0x0102, type: 0x80, length: 4, index: 0 }]));
    expectUnchanged(t, () => {
      const e = error(t.add([{ optionClass: 0x0102, type: 0x80, length: 4, index: 1 }]));
      expect(e).toMatchObject({ kind: 'already-mapped', ofperr: 'NXTTMFC_DUP_ENTRY' });
      expect(e.message).toContain('tun_metadata0');
    });
  });

  it('reports an index already bound as already-mapped (NXTTMFC_ALREADY_MAPPED)', () => {
    const t = new TunMetadataTable();
    value(t.add([{ optionClass: 1, type: 0, length: 4, index: 5 }]));
    expectUnchanged(t, () => expect(error(t.add([{ optionClass: 2, type: 0, length: 4, index: 5 }]))).toMatchObject({ kind: 'already-mapped', ofperr: 'NXTTMFC_ALREADY_MAPPED' }));
  });

  it('treats the critical bit as part of the type: 0x80 and 0x00 are different keys', () => {
    const t = new TunMetadataTable();
    value(t.add([{ optionClass: 0x0102, type: 0x80, length: 4 }, { optionClass: 0x0102, type: 0x00, length: 8 }]));
    expect(t.lookup(0x0102, 0x80)).toEqual({ optionClass: 0x0102, type: 0x80, length: 4, index: 0 });
    expect(t.lookup(0x0102, 0x00)).toEqual({ optionClass: 0x0102, type: 0x00, length: 8, index: 1 });
  });

  it('is atomic: a failing last entry leaves the earlier ones unbound', () => {
    const t = new TunMetadataTable();
    value(t.add([{ optionClass: 9, type: 9, length: 4, index: 9 }]));
    const bad: TlvMapRequest[][] = [
      [...keys(3, 4), { optionClass: 1, type: 0, length: 6 }],
      [...keys(3, 4), { optionClass: 1, type: 0, length: 4, index: 64 }],
      [...keys(3, 4), { optionClass: 0x0100, type: 0, length: 4 }],
      [...keys(3, 4), { optionClass: 9, type: 9, length: 4 }],
      [...keys(3, 4), { optionClass: 7, type: 0, length: 4, index: 9 }],
      [...keys(3, 124)],
      keys(64, 0),
    ];
    for (const b of bad) expectUnchanged(t, () => expect(t.add(b).ok).toBe(false));
    expect(t.entries()).toEqual([{ optionClass: 9, type: 9, length: 4, index: 9 }]);
  });

  it('validates every entry before any conflict, as OVS decodes the whole request first', () => {
    const t = new TunMetadataTable();
    const e = error(t.add([{ optionClass: 1, type: 0, length: 4 }, { optionClass: 1, type: 0, length: 4 }, { optionClass: 2, type: 0, length: 3 }]));
    expect(e.kind).toBe('bad-opt-len');
  });
});

describe('index choice, delete, re-add, clear', () => {
  it('chooses the lowest free index (as OVN), skipping indices claimed in the same request', () => {
    const t = new TunMetadataTable();
    value(t.add([{ optionClass: 1, type: 0, length: 4, index: 0 }, { optionClass: 2, type: 0, length: 4, index: 2 }]));
    const added = value(t.add([{ optionClass: 3, type: 0, length: 4 }, { optionClass: 4, type: 0, length: 4, index: 1 }, { optionClass: 5, type: 0, length: 4 }]));
    expect(added.map((m) => m.index)).toEqual([3, 1, 4]);
    expect(t.entries().map((m) => m.index)).toEqual([0, 1, 2, 3, 4]);
    expect(t.slot(3)).toEqual({ optionClass: 3, type: 0, length: 4, index: 3 });
    expect(t.slot(64)).toBeUndefined();
  });

  it('deletes by index or by key, ignores what is not bound, and frees index, key and bytes', () => {
    const t = new TunMetadataTable();
    value(t.add([{ optionClass: 1, type: 0, length: 124 }, { optionClass: 2, type: 0, length: 124 }, { optionClass: 3, type: 0, length: 4 }]));
    expect(error(t.add([{ optionClass: 4, type: 0, length: 4 }])).kind).toBe('table-full');
    const removed = value(t.delete([{ index: 0 }, { optionClass: 3, type: 0 }, { index: 40 }, { optionClass: 99, type: 1 }]));
    expect(removed.map((m) => m.optionClass)).toEqual([1, 3]);
    expect(t.totalLength).toBe(124);
    expect(t.lookup(1, 0)).toBeUndefined();
    const re = value(t.add([{ optionClass: 1, type: 0, length: 124 }, { optionClass: 4, type: 0, length: 4 }]));
    expect(re.map((m) => m.index)).toEqual([0, 2]);
    expect(t.totalLength).toBe(252);
  });

  it('deleting the same field twice in one request removes it once', () => {
    const t = new TunMetadataTable();
    value(t.add([{ optionClass: 1, type: 0, length: 4 }]));
    expect(value(t.delete([{ index: 0 }, { optionClass: 1, type: 0 }]))).toHaveLength(1);
    expect(t.size).toBe(0);
  });

  it('rejects a delete with a bad index or length before changing anything', () => {
    const t = new TunMetadataTable();
    value(t.add([{ optionClass: 1, type: 0, length: 4 }]));
    expectUnchanged(t, () => expect(error(t.delete([{ index: 0 }, { index: 64 }])).kind).toBe('bad-field-idx'));
    expectUnchanged(t, () => expect(error(t.delete([{ index: 0, optionClass: 1, type: 0, length: 5 }])).kind).toBe('bad-opt-len'));
  });

  it('clears everything', () => {
    const t = new TunMetadataTable();
    value(t.add(keys(10, 8)));
    t.clear();
    expect(t.entries()).toEqual([]);
    expect(t.totalLength).toBe(0);
    expect(value(t.add(keys(1, 4)))[0]!.index).toBe(0);
  });
});

describe('fromGeneve (receive, tun_metadata_from_geneve_udpif)', () => {
  const ovnTable = (): TunMetadataTable => {
    const t = new TunMetadataTable();
    value(t.add([{ optionClass: 0x0102, type: 0x80, length: 4, index: 0 }, { optionClass: 0xffff, type: 0x01, length: 8, index: 1 }]));
    return t;
  };

  it('stores bound options by index and ignores unbound non-critical ones', () => {
    const t = ovnTable();
    const s = value(t.fromGeneve([opt(0xffff, 0x01, '1122334455667788'), opt(0x0123, 0x05, '0000000a'), opt(0x0102, 0x80, '00010002')]));
    expect(s.present).toBe(0b11n);
    expect(s.indices()).toEqual([0, 1]);
    expect(s.get(0)).toEqual(fromHex('00010002'));
    expect(s.get(1)).toEqual(fromHex('1122334455667788'));
    expect(s.get(2)).toBeUndefined();
  });

  it('copies the data (the slots do not alias the packet)', () => {
    const t = ovnTable();
    const data = fromHex('00010002');
    const s = value(t.fromGeneve([opt(0x0102, 0x80, data)]));
    data.fill(0xa5);
    expect(s.get(0)).toEqual(fromHex('00010002'));
  });

  it('rejects an unbound critical option, naming its class and type', () => {
    const t = ovnTable();
    const e = error(t.fromGeneve([opt(0x0102, 0x80, '00010002'), opt(0x014b, 0x81, '0a0000010050 0000')]));
    expect(e).toMatchObject({ kind: 'unknown-critical-option', entry: { optionClass: 0x014b, type: 0x81, length: 8 } });
    expect(e.message).toContain('class 0x014b type 0x81');
    expect(e.ofperr).toBeUndefined();
  });

  it('rejects a bound option whose length differs from the binding', () => {
    const t = ovnTable();
    for (const data of ['', '0001000200000000', '00010002000000000000000000000000']) {
      const e = error(t.fromGeneve([opt(0x0102, 0x80, data)]));
      expect(e).toMatchObject({ kind: 'length-mismatch', entry: { optionClass: 0x0102, type: 0x80, length: data.length / 2, index: 0 } });
    }
  });

  it('keeps the later data of an option received twice (OVS overwrites)', () => {
    const s = value(ovnTable().fromGeneve([opt(0x0102, 0x80, '00000001'), opt(0x0102, 0x80, '00000002')]));
    expect(s.get(0)).toEqual(fromHex('00000002'));
  });

  it('with an empty table: ok for non-critical options, error for any critical one', () => {
    const t = new TunMetadataTable();
    expect(value(t.fromGeneve([opt(1, 0x7f, '')])).present).toBe(0n);
    expect(error(t.fromGeneve([opt(1, 0x80, '')])).kind).toBe('unknown-critical-option');
  });
});

describe('toGeneve (transmit, tun_metadata_to_geneve__) and criticalFlag', () => {
  it('emits present fields in index order with R bits 0, and C = OR of the critical bits', () => {
    const t = new TunMetadataTable();
    value(t.add([{ optionClass: 0xffff, type: 0x01, length: 8, index: 5 }, { optionClass: 0x0102, type: 0x80, length: 4, index: 2 }, { optionClass: 7, type: 7, length: 0, index: 60 }]));
    const s = value(t.fromGeneve([{ ...opt(0xffff, 0x01, '0102030405060708'), rbits: 7 }, opt(7, 7, ''), opt(0x0102, 0x80, '00050007')]));
    const out = t.toGeneve(s);
    expect(out).toEqual([opt(0x0102, 0x80, '00050007'), opt(0xffff, 0x01, '0102030405060708'), opt(7, 7, '')]);
    expect(criticalFlag(out)).toBe(true);
    expect(criticalFlag(out.slice(1))).toBe(false);
    expect(criticalFlag([])).toBe(false);
    s.unset(2);
    expect(t.toGeneve(s).map((o) => o.optionClass)).toEqual([0xffff, 7]);
  });

  it('keeps the map the slots were made under when the table changes afterwards', () => {
    const t = new TunMetadataTable();
    value(t.add([{ optionClass: 1, type: 0, length: 4, index: 0 }]));
    const s = value(t.fromGeneve([opt(1, 0, 'aabbccdd')]));
    t.clear();
    value(t.add([{ optionClass: 2, type: 0, length: 8, index: 0 }]));
    expect(t.toGeneve(s)).toEqual([opt(1, 0, 'aabbccdd')]);
  });

  it('hand-filled slots may exceed the 252-byte options area (emitGeneve then throws RangeError)', () => {
    const t = new TunMetadataTable();
    value(t.add([...keys(2, 124), { optionClass: 9, type: 0, length: 4 }]));
    const s = t.emptySlots();
    for (const m of t.entries()) value(s.set(m.index, new Uint8Array(m.length)));
    const out = t.toGeneve(s);
    expect(out.reduce((n, o) => n + 4 + o.data.length, 0)).toBe(264);
    const f = { version: 0, control: false, critical: criticalFlag(out), reservedFlags: 0, protocolType: 0x6558, vni: 1, reserved: 0, options: out };
    expect(() => emitGeneve(f, new Uint8Array(300))).toThrow(RangeError);
  });
});

describe('slots', () => {
  it('set checks index, binding and length; present is a 64-bit bitmap', () => {
    const t = new TunMetadataTable();
    value(t.add([{ optionClass: 1, type: 0, length: 4, index: 0 }, { optionClass: 2, type: 0, length: 8, index: 63 }]));
    const s = t.emptySlots();
    expect(error(s.set(64, new Uint8Array(4)))).toMatchObject({ kind: 'bad-field-idx', entry: { index: 64 } });
    expect(error(s.set(5, new Uint8Array(4)))).toMatchObject({ kind: 'not-mapped', entry: { index: 5 } });
    expect(error(s.set(63, new Uint8Array(4)))).toMatchObject({ kind: 'length-mismatch', entry: { index: 63, length: 4 } });
    expect(s.present).toBe(0n);
    value(s.set(63, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8)));
    value(s.set(0, Uint8Array.of(9, 9, 9, 9)));
    expect(s.present).toBe((1n << 63n) | 1n);
    expect(s.has(63)).toBe(true);
    expect(s.has(64)).toBe(false);
    expect(s.get(63)).toEqual(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
    s.unset(63);
    expect(s.present).toBe(1n);
    expect(s.get(63)).toBeUndefined();
  });
});

describe('match (ovs-fields: not received or not bound matches as all zeros)', () => {
  const t = new TunMetadataTable();
  value(t.add([{ optionClass: 0x0102, type: 0x80, length: 4, index: 0 }, { optionClass: 0xffff, type: 1, length: 8, index: 1 }]));
  const s = value(t.fromGeneve([opt(0x0102, 0x80, '00010002')]));

  it('matches the received value exactly, as bytes or as a number', () => {
    expect(t.match(s, 0, fromHex('00010002'))).toBe(true);
    expect(t.match(s, 0, 0x00010002n)).toBe(true);
    expect(t.match(s, 0, fromHex('0000000000010002'))).toBe(true);
    expect(t.match(s, 0, 0x00010003n)).toBe(false);
    expect(t.match(s, 0, 0x100010002n)).toBe(false);
  });

  it('applies a mask', () => {
    expect(t.match(s, 0, 0x00010000n, 0xffff0000n)).toBe(true);
    expect(t.match(s, 0, 0x00020000n, 0xffff0000n)).toBe(false);
    expect(t.match(s, 0, 0xffff0002n, 0x0000ffffn)).toBe(true);
    expect(t.match(s, 0, 0n, 0n)).toBe(true);
  });

  it('reads a bound field not received, and an unbound field, as zeros', () => {
    expect(t.match(s, 1, 0n)).toBe(true);
    expect(t.match(s, 1, new Uint8Array(8))).toBe(true);
    expect(t.match(s, 1, 1n)).toBe(false);
    expect(t.match(s, 40, 0n)).toBe(true);
    expect(t.match(s, 40, 5n, 4n)).toBe(false);
  });

  it('throws RangeError for an index outside 0..63 or a value wider than 124 bytes', () => {
    expect(() => t.match(s, 64, 0n)).toThrow(RangeError);
    expect(() => t.match(s, 0, new Uint8Array(125))).toThrow(RangeError);
    expect(() => t.match(s, 0, 1n << 992n)).toThrow(RangeError);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties over random tables and option sets.

interface RandomCase {
  /** Bindings with distinct keys and indices, total ≤ 252 bytes. */
  table: { optionClass: number; type: number; length: number; index: number }[];
  /** Which bindings the packet carries (by position in `table`), in wire order. */
  carried: number[];
  /** Unbound non-critical options mixed in. */
  noise: GeneveOption[];
}

const lengthArb = fc.integer({ min: 0, max: 31 }).map((w) => w * 4);
const caseArb: fc.Arbitrary<RandomCase> = fc
  .uniqueArray(fc.record({ optionClass: fc.integer({ min: 0, max: 0xffff }), type: fc.integer({ min: 0, max: 0xff }), length: lengthArb }), {
    maxLength: 12,
    selector: (e) => e.optionClass * 256 + e.type,
  })
  .chain((entries) => {
    // keep within 252 bytes
    let total = 0;
    const kept = entries.filter((e) => (total + e.length <= 252 ? ((total += e.length), true) : false));
    return fc.record({
      indices: fc.shuffledSubarray(Array.from({ length: 64 }, (_, i) => i), { minLength: kept.length, maxLength: kept.length }),
      carried: fc.shuffledSubarray(Array.from({ length: kept.length }, (_, i) => i)),
      noise: fc.array(
        fc.record({ optionClass: fc.integer({ min: 0, max: 0xffff }), type: fc.integer({ min: 0, max: 0x7f }), data: fc.uint8Array({ maxLength: 3 }).map((b) => new Uint8Array(b.length * 4)) }),
        { maxLength: 3 },
      ),
    }).map(({ indices, carried, noise }) => ({
      table: kept.map((e, i) => ({ ...e, index: indices[i]! })),
      carried,
      noise: noise
        .filter((n) => !kept.some((k) => k.optionClass === n.optionClass && k.type === n.type))
        .map((n) => opt(n.optionClass, n.type, n.data)),
    }));
  });

function build(c: RandomCase): { t: TunMetadataTable; options: GeneveOption[]; bound: GeneveOption[] } {
  const t = new TunMetadataTable();
  value(t.add(c.table));
  const bound = c.carried.map((i) => {
    const e = c.table[i]!;
    const data = Uint8Array.from({ length: e.length }, (_, k) => (k * 7 + i + 1) & 0xff);
    return opt(e.optionClass, e.type, data);
  });
  // interleave noise deterministically
  const options = [...bound];
  c.noise.forEach((n, k) => options.splice((k * 3) % (options.length + 1), 0, n));
  return { t, options, bound };
}

describe('properties', () => {
  test.prop([caseArb])('fromGeneve → toGeneve gives the bound options in slot order, C = OR of their critical bits', (c) => {
    const { t, options, bound } = build(c);
    const slots = value(t.fromGeneve(options));
    const out = t.toGeneve(slots);
    const idx = (o: GeneveOption): number => t.lookup(o.optionClass, o.type)!.index;
    const expected = [...bound].sort((a, b) => idx(a) - idx(b));
    expect(out).toEqual(expected);
    expect(out.map(idx)).toEqual([...out.map(idx)].sort((a, b) => a - b));
    expect(criticalFlag(out)).toBe(bound.some((o) => o.critical));
    expect(slots.present).toBe(bound.reduce((m, o) => m | (1n << BigInt(idx(o))), 0n));
    // and back again: same slots
    const again = value(t.fromGeneve(out));
    expect(again.present).toBe(slots.present);
    for (const i of slots.indices()) expect(again.get(i)).toEqual(slots.get(i));
  });

  test.prop([caseArb])('received options always fit a Geneve header again, and emit/parse round-trips them', (c) => {
    const { t, options } = build(c);
    const wire = options.reduce((n, o) => n + 4 + o.data.length, 0);
    fc.pre(wire <= 252);
    const out = t.toGeneve(value(t.fromGeneve(options)));
    const f = { version: 0, control: false, critical: criticalFlag(out), reservedFlags: 0, protocolType: 0x6558, vni: 0x123456, reserved: 0, options: out };
    const buf = new Uint8Array(8 + 252).fill(0xa5);
    const n = emitGeneve(f, buf);
    const p = parseGeneve(buf.subarray(0, n));
    expect(p.ok && p.value.options).toEqual(out);
    expect(p.ok && p.value.critical).toBe(criticalFlag(out));
  });

  test.prop([caseArb, fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0x80, max: 0xff }), fc.nat()])(
    'an unbound critical option anywhere fails the packet with its class and type',
    (c, cls, type, at) => {
      const { t, options } = build(c);
      fc.pre(!t.lookup(cls, type));
      const bad = opt(cls, type, new Uint8Array(4));
      options.splice(at % (options.length + 1), 0, bad);
      const e = error(t.fromGeneve(options));
      expect(e.kind).toBe('unknown-critical-option');
      expect(e.entry).toMatchObject({ optionClass: cls, type });
    },
  );

  test.prop([caseArb, fc.nat(), fc.integer({ min: 1, max: 31 })])('a bound option with another length fails with length-mismatch', (c, pick, delta) => {
    fc.pre(c.table.length > 0);
    const { t, options } = build(c);
    const e = c.table[pick % c.table.length]!;
    const len = (e.length + delta * 4) % 128;
    const wrong = opt(e.optionClass, e.type, new Uint8Array(len));
    options.push(wrong);
    expect(error(t.fromGeneve(options))).toMatchObject({ kind: 'length-mismatch', entry: { optionClass: e.optionClass, type: e.type, length: len, index: e.index } });
  });

  test.prop([caseArb, fc.array(fc.record({ optionClass: fc.integer({ min: 0, max: 3 }), type: fc.integer({ min: 0, max: 3 }), length: fc.integer({ min: 0, max: 130 }), index: fc.option(fc.integer({ min: 0, max: 66 }), { nil: undefined }) }), { maxLength: 6 })])(
    'add is all or nothing',
    (c, extra) => {
      const { t } = build(c);
      const before = t.entries();
      const req = extra.map((e) => (e.index === undefined ? { optionClass: e.optionClass, type: e.type, length: e.length } : e)) as TlvMapRequest[];
      const r = t.add(req);
      if (r.ok) {
        expect(t.entries()).toEqual([...before, ...r.value].sort((a, b) => a.index - b.index));
        expect(t.totalLength).toBeLessThanOrEqual(252);
      } else {
        expect(t.entries()).toEqual(before);
      }
    },
  );
});

// ---------------------------------------------------------------------------------------------
// A real OVS capture: OVS 3.1.0 emits options in tun_metadata index order, so toGeneve(fromGeneve(x)) = x.

describe('ovs-geneve-options.pcap (OVS 3.1.0; MANIFEST.md: add-tlv-map {0x0102,0x80,4}->0, {0xffff,0x01,8}->1, {0x0101,0x03,12}->2)', () => {
  const bytes = new Uint8Array(readFileSync(new URL('../fixtures/captures/ovs-geneve-options.pcap', import.meta.url)));
  const frames = readCaptureAll(bytes).records.map((r) => walkPacket(r.data).layers.find((l) => l.proto === 'geneve')!);
  const t = new TunMetadataTable();
  value(t.add([
    { optionClass: 0x0102, type: 0x80, length: 4, index: 0 },
    { optionClass: 0xffff, type: 0x01, length: 8, index: 1 },
    { optionClass: 0x0101, type: 0x03, length: 12, index: 2 },
  ]));

  it('has 29 Geneve frames', () => {
    expect(frames).toHaveLength(29);
    expect(frames.every((g) => g !== undefined)).toBe(true);
  });

  it('translates every frame and transmits exactly what OVS sent (order, C bit)', () => {
    for (const g of frames) {
      const s = value(t.fromGeneve(g.options));
      const out = t.toGeneve(s);
      expect(out).toEqual(g.options);
      expect(criticalFlag(out)).toBe(g.critical);
    }
  });

  it('matches tun_metadata0 (OVN ingress/egress ports) per direction', () => {
    const ports = frames.map((g) => {
      const s = value(t.fromGeneve(g.options));
      return t.match(s, 0, 0x00010002n) ? 'A->B' : t.match(s, 0, 0x00020001n) ? 'B->A' : '?';
    });
    expect(ports.filter((p) => p === '?')).toEqual([]);
    expect(ports.filter((p) => p === 'A->B').length).toBeGreaterThan(0);
    expect(ports.filter((p) => p === 'B->A').length).toBeGreaterThan(0);
    // A->B frames carry tun_metadata1, B->A frames tun_metadata2; the other reads as zeros
    for (const g of frames) {
      const s = value(t.fromGeneve(g.options));
      if (t.match(s, 0, 0x00010002n)) {
        expect(s.get(1)).toEqual(fromHex('1122334455667788'));
        expect(t.match(s, 2, 0n)).toBe(true);
      } else {
        expect(s.get(2)).toEqual(fromHex('00000000aabbccddeeff0011'));
        expect(t.match(s, 1, 0n)).toBe(true);
      }
    }
  });

  it('without the 0x0102/0x80 binding, the critical OVN option makes every frame fail', () => {
    const u = new TunMetadataTable();
    value(u.add([{ optionClass: 0xffff, type: 0x01, length: 8 }]));
    for (const g of frames) expect(error(u.fromGeneve(g.options))).toMatchObject({ kind: 'unknown-critical-option', entry: { optionClass: 0x0102, type: 0x80 } });
  });
});
