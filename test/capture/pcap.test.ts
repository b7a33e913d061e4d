/** Classic pcap: header forms (both byte orders, µs/ns, FCS bits) and every record-level error. */
import { describe, expect, it } from 'vitest';
import {
  CAPTURE_MAX_RECORD_BYTES,
  CaptureParser,
  parsePcapHeader,
  pcapMagic,
  pcapTimestampNs,
  writePcap,
} from '../../src/capture/index.js';
import { formatWireError } from '../../src/net/errors.js';
import { concat, fakePacket, readAll, readChunked } from './util.js';

/** A pcap file header with the given fields (DataView, independent of the code under test). */
function header(le: boolean, magic: number, { major = 2, minor = 4, snaplen = 65535, linkType = 1 } = {}): Uint8Array {
  const b = new Uint8Array(24);
  const v = new DataView(b.buffer);
  v.setUint32(0, magic, le);
  v.setUint16(4, major, le);
  v.setUint16(6, minor, le);
  v.setUint32(16, snaplen, le);
  v.setUint32(20, linkType >>> 0, le);
  return b;
}

function rec(le: boolean, sec: number, frac: number, data: Uint8Array, { caplen = data.length, origLen = data.length } = {}): Uint8Array {
  const h = new Uint8Array(16);
  const v = new DataView(h.buffer);
  v.setUint32(0, sec, le);
  v.setUint32(4, frac, le);
  v.setUint32(8, caplen, le);
  v.setUint32(12, origLen, le);
  return concat([h, data]);
}

describe('pcap header', () => {
  it.each([
    [true, 0xa1b2c3d4, false],
    [false, 0xa1b2c3d4, false],
    [true, 0xa1b23c4d, true],
    [false, 0xa1b23c4d, true],
  ])('little-endian=%s magic=%s: byte order and resolution', (le, magic, ns) => {
    const h = header(le, magic, { snaplen: 1234, linkType: 276 });
    expect(pcapMagic(h)).toEqual({ littleEndian: le, nanosecond: ns });
    expect(parsePcapHeader(h)).toEqual({
      ok: true,
      value: { littleEndian: le, nanosecond: ns, versionMajor: 2, versionMinor: 4, thiszone: 0, sigfigs: 0, snaplen: 1234, linkType: 276, linkTypeField: 276 },
    });
    const file = concat([h, rec(le, 1_700_000_000, 999_999, fakePacket(10, 1)), rec(le, 0xffffffff, 5, fakePacket(3, 2), { origLen: 9000 })]);
    const { records, error } = readAll(file);
    expect(error).toBeUndefined();
    expect(records.map((r) => [r.timestampNs, r.caplen, r.origLen, r.linkType])).toEqual([
      [1_700_000_000n * 1_000_000_000n + (ns ? 999_999n : 999_999_000n), 10, 10, 276],
      [0xffffffffn * 1_000_000_000n + (ns ? 5n : 5000n), 3, 9000, 276],
    ]);
  });

  it('link type is the low 16 bits; the FCS length counts only with the P bit (0x04000000)', () => {
    const withP = parsePcapHeader(header(true, 0xa1b2c3d4, { linkType: 0x24000001 }));
    expect(withP).toMatchObject({ ok: true, value: { linkType: 1, linkTypeField: 0x24000001, fcsLength: 4 } });
    const noP = parsePcapHeader(header(false, 0xa1b2c3d4, { linkType: 0x30000001 }));
    expect(noP.ok && noP.value.linkType === 1 && noP.value.fcsLength === undefined).toBe(true);
    // 0x0fffffff alone would keep the P bit: 0x04000001 is not a link type.
    const reserved = parsePcapHeader(header(true, 0xa1b2c3d4, { linkType: 0x07ff0071 }));
    expect(reserved.ok && reserved.value.linkType).toBe(113);
  });

  it('errors: bad magic, bad version, truncated header, empty input', () => {
    expect(readAll(Uint8Array.of(1, 2, 3, 4, 5)).error).toEqual({ kind: 'bad-value', layer: 'pcap', at: 0, field: 'magic', found: 0x01020304, allowed: expect.stringContaining('0xa1b2c3d4') });
    expect(readAll(header(true, 0xa1b2c3d4, { major: 1 })).error).toMatchObject({ kind: 'bad-version', layer: 'pcap', at: 4, field: 'version-major', found: 1 });
    expect(readAll(header(false, 0xa1b2c3d4).subarray(0, 10)).error).toEqual({ kind: 'truncated', layer: 'pcap', at: 0, field: 'file-header', found: 10, allowed: '>= 24 bytes' });
    expect(readAll(new Uint8Array(0)).error).toEqual({ kind: 'truncated', layer: 'pcap', at: 0, field: 'magic', found: 0, allowed: '>= 4 bytes' });
    expect(parsePcapHeader(new Uint8Array(30).fill(0xa5), 2, 102)).toMatchObject({ ok: false, error: { kind: 'bad-value', at: 102 } });
  });

  it('a header alone is an empty, valid capture', () => {
    const p = new CaptureParser();
    p.push(header(true, 0xa1b23c4d));
    expect(p.next()).toBeNull();
    expect(p.format).toBe('pcap');
    expect(p.interfaces).toEqual([{ id: 0, linkType: 1, snaplen: 65535, tsresol: 9, unitsPerSecond: 1_000_000_000n, tsOffsetSeconds: 0n }]);
    p.end();
    expect(p.next()).toBeNull();
    expect(p.done).toBe(true);
  });
});

describe('pcap record errors', () => {
  const h = header(true, 0xa1b2c3d4, { snaplen: 100 });
  const r1 = rec(true, 1, 2, fakePacket(40, 1));

  it('caplen above snaplen is refused before the data is awaited', () => {
    const file = concat([h, r1, rec(true, 1, 2, fakePacket(4, 2), { caplen: 101 })]);
    const out = readChunked(file, [5]);
    expect(out.records).toHaveLength(1);
    expect(out.error).toEqual({ kind: 'length-overrun', layer: 'pcap', at: 24 + 56 + 8, field: 'caplen', found: 101, allowed: '<= snaplen 100' });
    expect(formatWireError(out.error!)).toBe('pcap: length-overrun at byte 88 (caplen): found 101, allowed <= snaplen 100');
  });

  it('an absurd caplen (> 256 MiB) is a bad-length error, with no allocation', () => {
    const file = concat([header(false, 0xa1b2c3d4, { snaplen: 0xffffffff }), rec(false, 1, 2, new Uint8Array(0), { caplen: 0xfffffff0 })]);
    const p = new CaptureParser();
    p.push(file);
    expect(p.next()).toEqual({ error: { kind: 'bad-length', layer: 'pcap', at: 32, field: 'caplen', found: 0xfffffff0, allowed: `<= ${CAPTURE_MAX_RECORD_BYTES} bytes` } });
    expect(p.capacityBytes).toBeLessThanOrEqual(64 * 1024);
    // snaplen 0 ("not stated"): only the absolute bound applies.
    const zero = concat([header(true, 0xa1b2c3d4, { snaplen: 0 }), rec(true, 1, 2, fakePacket(300, 3))]);
    expect(readAll(zero).records).toHaveLength(1);
    const small = new CaptureParser({ maxRecordBytes: 200 });
    small.push(zero);
    expect(small.next()).toMatchObject({ error: { kind: 'bad-length', field: 'caplen', found: 300, allowed: '<= 200 bytes' } });
  });

  it('a record cut by the end of input: truncated at the record start, with the bytes it needed', () => {
    const file = concat([h, r1, r1]).subarray(0, 24 + 56 + 30);
    expect(readAll(file)).toEqual({
      records: [expect.objectContaining({ index: 1, caplen: 40 })],
      error: { kind: 'truncated', layer: 'pcap', at: 80, field: 'record', found: 30, allowed: '>= 56 bytes' },
    });
    const headerCut = concat([h, r1]).subarray(0, 24 + 9);
    expect(readAll(headerCut).error).toEqual({ kind: 'truncated', layer: 'pcap', at: 24, field: 'record-header', found: 9, allowed: '>= 16 bytes' });
  });

  it('stops after an error: later pushes are ignored, next() stays null', () => {
    const p = new CaptureParser();
    p.push(Uint8Array.of(0, 0, 0, 0));
    expect(p.next()).toMatchObject({ error: { field: 'magic' } });
    p.push(writePcap([], 1));
    expect(p.next()).toBeNull();
    expect(p.bufferedBytes).toBe(0);
    expect(p.error?.field).toBe('magic');
    p.end();
    expect(() => p.push(Uint8Array.of(1))).toThrow(/after end/);
  });

  it('pcapTimestampNs', () => {
    expect(pcapTimestampNs(1, 500_000, false)).toBe(1_500_000_000n);
    expect(pcapTimestampNs(1, 500_000, true)).toBe(1_000_500_000n);
  });
});
