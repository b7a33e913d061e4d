/**
 * Malformed input: every truncated prefix, random bytes, corrupted lengths and flipped bytes give
 * records then at most one error item (or a clean end): never a throw, never a buffer sized from a
 * claimed length, and the same outcome whatever the chunking.
 */
import { fc, test } from '@fast-check/vitest';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaptureParser, isCaptureError, writePcap, type CaptureItem } from '../../src/capture/index.js';
import { CAPTURES, PcapngBuilder, concat, fakePacket, readAll, readBytes, readChunked } from './util.js';

/** Unit boundaries of a capture, found by an independent walk: [start, end, isPacket]. */
function units(file: Uint8Array): [number, number, boolean][] {
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const out: [number, number, boolean][] = [];
  if (v.getUint32(0, false) === 0x0a0d0d0a) {
    let le = true;
    for (let p = 0; p < file.length; ) {
      let type = v.getUint32(p, le);
      if (type === 0x0a0d0d0a) le = v.getUint32(p + 8, true) === 0x1a2b3c4d;
      type = v.getUint32(p, le);
      const n = v.getUint32(p + 4, le);
      out.push([p, p + n, type === 2 || type === 3 || type === 6]);
      p += n;
    }
    return out;
  }
  const le = v.getUint32(0, true) === 0xa1b2c3d4 || v.getUint32(0, true) === 0xa1b23c4d;
  out.push([0, 24, false]);
  for (let p = 24; p < file.length; ) {
    const n = 16 + v.getUint32(p + 8, le);
    out.push([p, p + n, true]);
    p += n;
  }
  return out;
}

const mixed = (): Uint8Array => {
  const a = new PcapngBuilder(true);
  a.shb().idb(1, 0, [a.tsresol(9)]).epb(0, 1n, fakePacket(21, 1)).block(0x77, new Uint8Array(8)).spb(fakePacket(9, 2));
  const b = new PcapngBuilder(false);
  b.shb(false).idb(113, 0).opb(0, 2n, fakePacket(30, 3)).epb(0, 3n, fakePacket(1, 4));
  return concat([a.bytes(), b.bytes()]);
};

const SMALL: [string, Uint8Array][] = [
  ['scapy-geneve-l3.pcap', readBytes(join(CAPTURES, 'scapy-geneve-l3.pcap'))],
  ['zeek-geneve-truncated.pcapng', readBytes(join(CAPTURES, 'zeek-geneve-truncated.pcapng'))],
  ['mixed pcapng', mixed()],
  ['big-endian ns pcap', (() => {
    const le = writePcap([{ timestampNs: 5n, data: fakePacket(50, 1) }, { timestampNs: 6n, data: fakePacket(3, 2), origLen: 9 }], 1, { nanosecond: true });
    // Swap to big-endian by hand: header fields, then each record header.
    const v = new DataView(le.buffer);
    const out = le.slice();
    const o = new DataView(out.buffer);
    for (const [at, size] of [[0, 4], [4, 2], [6, 2], [8, 4], [12, 4], [16, 4], [20, 4]] as const) {
      if (size === 4) o.setUint32(at, v.getUint32(at, true), false);
      else o.setUint16(at, v.getUint16(at, true), false);
    }
    for (let p = 24; p < le.length; ) {
      const cap = v.getUint32(p + 8, true);
      for (let f = 0; f < 16; f += 4) o.setUint32(p + f, v.getUint32(p + f, true), false);
      p += 16 + cap;
    }
    return out;
  })()],
];

/** Parse while checking the invariants; returns the items. */
function parseChecked(bytes: Uint8Array, chunk = bytes.length || 1): CaptureItem[] {
  const p = new CaptureParser();
  const items: CaptureItem[] = [];
  let maxCap = 0;
  for (let off = 0; off < bytes.length; off += chunk) {
    p.push(bytes.subarray(off, off + chunk));
    maxCap = Math.max(maxCap, p.capacityBytes);
    for (const it of p) items.push(isCaptureError(it) ? it : { ...it, data: it.data.slice() });
  }
  p.end();
  for (const it of p) items.push(it);
  expect(p.next()).toBeNull();
  expect(maxCap).toBeLessThanOrEqual(64 * 1024 + 2 * bytes.length); // never sized from a claimed length
  const errors = items.filter(isCaptureError);
  expect(errors.length).toBeLessThanOrEqual(1);
  if (errors.length === 1) {
    expect(items.at(-1)).toBe(errors[0]);
    const e = errors[0]!.error;
    expect(['pcap', 'pcapng']).toContain(e.layer);
    expect(e.at).toBeGreaterThanOrEqual(0);
    expect(e.at).toBeLessThanOrEqual(bytes.length);
    expect(p.done).toBe(false);
  } else {
    expect(p.done).toBe(true);
  }
  for (const it of items) if (!isCaptureError(it)) expect(it.data.length).toBe(it.caplen);
  return items;
}

describe('every truncated prefix', () => {
  it.each(SMALL)('%s: records of the complete units, then a truncation at the cut unit', (_name, file) => {
    const u = units(file);
    expect(u.at(-1)![1]).toBe(file.length);
    for (let k = 0; k <= file.length; k++) {
      const items = parseChecked(file.subarray(0, k));
      const complete = u.filter(([, end, pkt]) => pkt && end <= k).length;
      const records = items.filter((i) => !isCaptureError(i));
      expect(records.length).toBe(complete);
      const boundary = k > 0 && u.some(([, end]) => end === k);
      const last = items.at(-1);
      if (boundary) {
        expect(last === undefined || !isCaptureError(last)).toBe(true);
      } else {
        expect(last !== undefined && isCaptureError(last)).toBe(true);
        if (last === undefined || !isCaptureError(last)) continue;
        const cut = k === 0 ? 0 : u.find(([s, end]) => s < k && k < end)![0];
        expect(last.error.kind).toBe('truncated');
        expect(last.error.at).toBe(k < 4 ? 0 : cut);
      }
    }
  });
});

const PREFIXES = [
  new Uint8Array(0),
  writePcap([], 1),
  writePcap([], 276, { nanosecond: true, snaplen: 100 }),
  new PcapngBuilder(true).shb().idb(1, 0).bytes(),
  new PcapngBuilder(false).shb(false).idb(1, 64).idb(101, 0).bytes(),
];

describe('random and corrupted input never throws', () => {
  test.prop([fc.uint8Array({ maxLength: 3000 })], { numRuns: 300 })('random bytes', (bytes) => {
    parseChecked(bytes);
  });

  test.prop([fc.constantFrom(...PREFIXES), fc.uint8Array({ maxLength: 2000 }), fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 5 })], { numRuns: 300 })(
    'a valid header then random bytes, same outcome in any chunking',
    (prefix, tail, sizes) => {
      const bytes = concat([prefix, tail]);
      const whole = parseChecked(bytes);
      const chunked = readChunked(bytes, sizes);
      expect(chunked.items.map((i) => (isCaptureError(i) ? i : { ...i, data: i.data.slice() }))).toEqual(whole);
    },
  );

  test.prop([fc.constantFrom(...SMALL.map(([, f]) => f)), fc.nat(), fc.nat(), fc.integer({ min: 0, max: 0xffffffff }), fc.boolean()], { numRuns: 300 })(
    'a corrupted length field (block total length or its trailer, caplen, origLen) anywhere',
    (file, pick, which, value, le) => {
      const u = units(file);
      const [start, end] = u[pick % u.length]!;
      // pcapng: leading and trailing total length, EPB/OPB caplen; pcap: caplen, origLen (snaplen, link type in the header).
      const fields = file[0] === 0x0a ? [start + 4, end - 4, start + 20] : start === 0 ? [16, 20] : [start + 8, start + 12];
      const at = fields[which % fields.length]!;
      const bad = file.slice();
      if (at + 4 <= end) new DataView(bad.buffer).setUint32(at, value, le);
      parseChecked(bad);
      parseChecked(bad, 13);
    },
  );

  test.prop([fc.constantFrom(...SMALL.map(([, f]) => f)), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 })], { numRuns: 300 })('flipped bytes', (file, flips) => {
    const bad = file.slice();
    for (const [pos, val] of flips) bad[pos % bad.length] = val;
    parseChecked(bad);
  });

  it('a huge claimed pcapng block or pcap record that never arrives: truncation, small buffer', () => {
    const ng = concat([new PcapngBuilder(true).shb().idb(1, 0).bytes(), Uint8Array.of(6, 0, 0, 0, 0, 0, 0, 0x08)]); // 128 MiB block
    expect(parseChecked(ng).at(-1)).toMatchObject({ error: { kind: 'truncated', layer: 'pcapng', found: 8, allowed: `>= ${0x08000000} bytes` } });
    const pc = concat([writePcap([], 1, { snaplen: 0xffffffff }), Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0f, 0, 0, 0, 0x0f)]);
    expect(parseChecked(pc).at(-1)).toMatchObject({ error: { kind: 'truncated', layer: 'pcap', at: 24, found: 16 } });
    expect(readAll(pc).records).toHaveLength(0);
  });
});
