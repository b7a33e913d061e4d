/**
 * Hand-built pcapng files (test/capture/util.ts PcapngBuilder): several interfaces with different
 * link types and resolutions (10^-9, 2^-20, default 10^-6 with if_tsoffset), SPB, OPB, unknown and
 * skipped blocks, both byte orders, several sections; then every block-level error. tshark reads
 * the same files as the oracle for timestamps and lengths.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CaptureParser,
  LINKTYPE_ETHERNET,
  LINKTYPE_RAW,
  parseInterfaceBlock,
  timestampToNs,
  type CaptureRecord,
} from '../../src/capture/index.js';
import type { WireError } from '../../src/net/errors.js';
import { PcapngBuilder, concat, fakePacket, readAll, readChunked, tempDir, tsharkFrames } from './util.js';

const P0 = fakePacket(60, 1);
const P1 = Uint8Array.of(0x45, ...fakePacket(40, 2));
const P2 = fakePacket(64, 3);
const P3 = fakePacket(70, 4);
const P4 = fakePacket(50, 5);
const P5 = fakePacket(33, 6);

/** One section with three interfaces, skipped blocks, and EPB / SPB / OPB records. */
function handBuilt(le: boolean): Uint8Array {
  const b = new PcapngBuilder(le);
  b.shb(le, [{ code: 4, value: new TextEncoder().encode('tunnelwire test') }]) // shb_userappl
    .idb(LINKTYPE_ETHERNET, 0, [b.tsresol(9), { code: 2, value: new TextEncoder().encode('eth0') }])
    .idb(LINKTYPE_RAW, 0, [b.tsresol(0x80 | 20)])
    .block(0x0bad_cafe & 0x7fffffff, fakePacket(13, 9)) // unknown block type: skipped by its length
    .idb(LINKTYPE_ETHERNET, 64, [b.tsoffset(1000n)])
    .epb(0, 1_700_000_000_123_456_789n, P0)
    .block(4, concat([b.u32(0)])) // NRB with only nrb_record_end
    .epb(1, (1_700_000_000n << 20n) + (1n << 19n), P1) // 2^-20 s units: .5 s
    .epb(2, 5_000_001n, P2, 100) // µs units + 1000 s offset
    .spb(P3)
    .block(5, concat([b.u32(0), b.u32(0), b.u32(0)])) // ISB
    .opb(0, 1_700_000_001_000_000_000n, P4)
    .epb(0, 1n, P5, 33, [{ code: 1, value: new TextEncoder().encode('a comment') }]); // EPB with options
  return b.bytes();
}

const EXPECTED = [
  { ts: 1_700_000_000_123_456_789n, iface: 0, linkType: 1, data: P0, origLen: 60, source: 'epb' },
  { ts: 1_700_000_000_500_000_000n, iface: 1, linkType: 101, data: P1, origLen: 41, source: 'epb' },
  { ts: 1_005_000_001_000n, iface: 2, linkType: 1, data: P2, origLen: 100, source: 'epb' },
  { ts: 0n, iface: 0, linkType: 1, data: P3, origLen: 70, source: 'spb' },
  { ts: 1_700_000_001_000_000_000n, iface: 0, linkType: 1, data: P4, origLen: 50, source: 'opb' },
  { ts: 1n, iface: 0, linkType: 1, data: P5, origLen: 33, source: 'epb' },
];

const shape = (r: CaptureRecord) => ({ ts: r.timestampNs, iface: r.interfaceId, linkType: r.linkType, data: r.data, origLen: r.origLen, source: r.source });

let dir = '';
let cleanup = (): void => {};
beforeAll(() => {
  ({ dir, cleanup } = tempDir());
});
afterAll(() => cleanup());

describe('hand-built pcapng', () => {
  it.each([true, false])('little-endian=%s: every record, interface and resolution', (le) => {
    const { records, error } = readAll(handBuilt(le));
    expect(error).toBeUndefined();
    expect(records.map(shape)).toEqual(EXPECTED);
    expect(records.map((r) => r.index)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(records.map((r) => r.caplen)).toEqual(EXPECTED.map((e) => e.data.length));
  });

  it('tshark reads the same files with the same times, lengths and interfaces', async () => {
    const le = join(dir, 'hand-le.pcapng');
    const be = join(dir, 'hand-be.pcapng');
    writeFileSync(le, handBuilt(true));
    writeFileSync(be, handBuilt(false));
    const [a, b] = await Promise.all([tsharkFrames(le), tsharkFrames(be)]);
    for (const frames of [a, b]) {
      expect(frames.length).toBe(EXPECTED.length);
      frames.forEach((f, k) => {
        const e = EXPECTED[k]!;
        expect(f.capLen).toBe(e.data.length);
        expect(f.len).toBe(e.origLen);
        if (e.source !== 'spb') {
          expect(f.ns).toBe(e.ts); // tshark leaves the SPB time empty
          expect(f.iface).toBe(e.iface);
        }
      });
    }
  });

  it('exposes the interfaces with their resolution and offset', () => {
    const p = new CaptureParser();
    p.push(handBuilt(false));
    p.end();
    expect([...p]).toHaveLength(6);
    expect(p.section).toEqual({ littleEndian: false, versionMajor: 1, versionMinor: 0, sectionLength: -1n });
    expect(p.interfaces.map((i) => [i.linkType, i.snaplen, i.tsresol, i.unitsPerSecond, i.tsOffsetSeconds])).toEqual([
      [1, 0, 9, 1_000_000_000n, 0n],
      [101, 0, 0x94, 1n << 20n, 0n],
      [1, 64, 6, 1_000_000n, 1000n],
    ]);
  });

  it('SPB: caplen = min(origLen, snaplen of interface 0, block room)', () => {
    const b = new PcapngBuilder(true);
    b.shb().idb(1, 64).spb(fakePacket(64, 1), 1500); // writer stored snaplen bytes of a 1500-byte packet
    b.spb(fakePacket(20, 2), 20); // fully captured, padded to 20 in the block
    b.spb(fakePacket(12, 3), 4000); // block shorter than snaplen: room wins
    const { records, error } = readAll(b.bytes());
    expect(error).toBeUndefined();
    expect(records.map((r) => [r.caplen, r.origLen])).toEqual([
      [64, 1500],
      [20, 20],
      [12, 4000],
    ]);
  });

  it('several sections, each with its own byte order and interfaces', () => {
    const a = new PcapngBuilder(true).shb(true).idb(1, 0).epb(0, 10n, P0).bytes();
    const c = new PcapngBuilder(false).shb(false).idb(101, 0, []).idb(1, 0, [new PcapngBuilder(false).tsresol(3)]).epb(1, 7n, P4).epb(0, 9n, P1).bytes();
    const p = new CaptureParser();
    p.push(concat([a, c, a]));
    p.end();
    const recs = [...p] as CaptureRecord[];
    expect(recs.map((r) => [r.index, r.interfaceId, r.linkType, r.timestampNs])).toEqual([
      [1, 0, 1, 10_000n],
      [2, 1, 1, 7_000_000n],
      [3, 0, 101, 9_000n],
      [4, 0, 1, 10_000n],
    ]);
    expect(p.sections).toBe(3);
    expect(p.section?.littleEndian).toBe(true);
  });

  it('timestamp conversion: 10^-n and 2^-n resolutions, finer than 1 ns floored, negative offsets', () => {
    const mk = (tsresol: number, off = 0n) => timestampToNs({ id: 0, linkType: 1, snaplen: 0, tsresol, unitsPerSecond: (tsresol & 0x80 ? 2n : 10n) ** BigInt(tsresol & 0x7f), tsOffsetSeconds: off });
    expect(mk(0)(3n)).toBe(3_000_000_000n);
    expect(mk(3)(1234n)).toBe(1_234_000_000n);
    expect(mk(12)(1_234_567_891_234n)).toBe(1_234_567_891n); // picoseconds, floored
    expect(mk(0x80)(5n)).toBe(5_000_000_000n); // 2^0
    expect(mk(0x80 | 30)(1n << 30n)).toBe(1_000_000_000n);
    expect(mk(0x80 | 10)(1n)).toBe(976_562n); // 1/1024 s = 976562.5 ns, floored
    expect(mk(6, -10n)(20_000_000n)).toBe(10_000_000_000n);
  });
});

/** Expect exactly one error item, after `records` records, and the parser to stop there. */
function expectError(bytes: Uint8Array, want: Partial<WireError>, records = 0): void {
  const whole = readAll(bytes);
  expect(whole.records.length).toBe(records);
  expect(whole.error).toMatchObject(want);
  // Streaming in 7-byte chunks gives the same outcome.
  const chunked = readChunked(bytes, [7]);
  expect(chunked.records.length).toBe(records);
  expect(chunked.error).toEqual(whole.error);
}

describe('pcapng errors (layer pcapng, absolute offsets)', () => {
  const head = () => new PcapngBuilder(true).shb().idb(1, 0);
  const headLen = head().bytes().length;

  it('block total length not a multiple of 4', () => {
    const good = head().epb(0, 1n, P0).bytes();
    const bad = good.slice();
    new DataView(bad.buffer).setUint32(headLen + 4, 94, true);
    expectError(bad, { kind: 'bad-length', layer: 'pcapng', at: headLen + 4, field: 'block-total-length', found: 94, allowed: 'a multiple of 4' });
  });

  it('block total length below 12, and below an EPB minimum', () => {
    const bytes = concat([head().bytes(), Uint8Array.of(0x99, 0, 0, 0, 8, 0, 0, 0, 8, 0, 0, 0)]);
    expectError(bytes, { kind: 'bad-length', at: headLen + 4, found: 8 });
    const epb = concat([head().bytes(), Uint8Array.of(6, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0)]);
    expectError(epb, { kind: 'bad-length', at: headLen + 4, found: 16 });
  });

  it('trailing total length differs from the leading one', () => {
    const b = head();
    b.block(6, concat([b.u32(0), b.u32(0), b.u32(0), b.u32(4), b.u32(4), Uint8Array.of(1, 2, 3, 4)]), 40);
    expectError(b.bytes(), { kind: 'bad-length', at: headLen + 36 - 4, field: 'block-total-length-trailer', found: 40 });
  });

  it('bad byte-order magic, bad major version', () => {
    const bom = head().bytes();
    bom[8] = 0x00;
    expectError(bom, { kind: 'bad-value', at: 8, field: 'byte-order-magic' });
    const ver = head().bytes();
    ver[12] = 2;
    expectError(ver, { kind: 'bad-version', at: 12, field: 'version-major', found: 2 });
  });

  it('EPB of an undescribed interface; SPB before any IDB', () => {
    expectError(head().epb(0, 1n, P0).epb(3, 1n, P0).bytes(), { kind: 'bad-value', field: 'interface-id', found: 3 }, 1);
    const spb = new PcapngBuilder(true).shb().spb(P0).bytes();
    expectError(spb, { kind: 'bad-value', at: 28, found: 0 });
  });

  it('EPB captured length larger than the block', () => {
    const b = head();
    b.block(6, concat([b.u32(0), b.u32(0), b.u32(0), b.u32(9), b.u32(9), Uint8Array.of(1, 2, 3, 4)]));
    expectError(b.bytes(), { kind: 'length-overrun', at: headLen + 20, field: 'caplen', found: 9 });
  });

  it('IDB option running past the block; if_tsresol of the wrong size', () => {
    const b = head();
    b.block(1, concat([Uint8Array.of(1, 0, 0, 0), b.u32(0), Uint8Array.of(9, 0, 40, 0), Uint8Array.of(6, 0, 0, 0)]));
    expectError(b.bytes(), { kind: 'length-overrun', field: 'option-length', found: 40, at: headLen + 18 });
    const c = head().idb(1, 0, [{ code: 9, value: Uint8Array.of(6, 6) }]);
    expectError(c.bytes(), { kind: 'bad-length', field: 'if_tsresol', found: 2, at: headLen + 16 + 2 });
  });

  it('a block claiming more than maxRecordBytes is refused before its bytes arrive', () => {
    const bytes = concat([head().bytes(), Uint8Array.of(6, 0, 0, 0, 0, 0, 0, 0x40)]); // claims 1 GiB
    const p = new CaptureParser();
    p.push(bytes);
    expect(p.next()).toEqual({ error: expect.objectContaining({ kind: 'bad-length', at: headLen + 4, found: 0x40000000 }) });
    expect(p.capacityBytes).toBeLessThan(1 << 20);
    expect(p.next()).toBeNull();
    const q = new CaptureParser({ maxRecordBytes: 1000 });
    q.push(head().epb(0, 1n, fakePacket(70_000, 1)).bytes());
    expect(q.next()).toMatchObject({ error: { kind: 'bad-length', field: 'block-total-length' } });
  });

  it('an IDB with a bad option in a later block reports its offset', () => {
    const good = head().epb(0, 1n, P0).bytes();
    const bad = concat([good, new PcapngBuilder(true).idb(1, 0, [{ code: 14, value: Uint8Array.of(1) }]).bytes()]);
    const whole = readAll(bad);
    expect(whole.records).toHaveLength(1);
    expect(whole.error).toMatchObject({ kind: 'bad-length', field: 'if_tsoffset', at: good.length + 18 });
  });

  it('parseInterfaceBlock on its own', () => {
    const b = new PcapngBuilder(false);
    const idb = b.idb(276, 1234, [b.tsresol(0x80 | 3), { code: 13, value: Uint8Array.of(4) }]).bytes();
    const r = parseInterfaceBlock(idb, 0, idb.length, false, 7, 500);
    expect(r).toEqual({ ok: true, value: { id: 7, linkType: 276, snaplen: 1234, tsresol: 0x83, unitsPerSecond: 8n, tsOffsetSeconds: 0n, fcsLength: 4 } });
  });
});
