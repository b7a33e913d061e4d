/**
 * PcapWriter / writePcap and the Node file helpers (readCaptureFile, PcapFileWriter). Written files
 * are read back by our reader and by libpcap (tcpdump -r) and Wireshark's capinfos.
 */
import { fc, test } from '@fast-check/vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LINKTYPE_ETHERNET, LINKTYPE_RAW, PcapWriter, writePcap, type CaptureItem } from '../../src/capture/index.js';
import { PcapFileWriter, readCaptureFile } from '../../src/capture/node.js';
import { CAPTURES, fakePacket, readAll, readBytes, tcpdumpTimes, tempDir, tool, type Rec } from './util.js';

let dir = '';
let cleanup = (): void => {};
beforeAll(() => {
  ({ dir, cleanup } = tempDir());
});
afterAll(() => cleanup());

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('PcapWriter bytes', () => {
  it('writes every header byte (µs and ns magic, little-endian)', () => {
    expect(hex(new PcapWriter({ linkType: LINKTYPE_ETHERNET }).header())).toBe('d4c3b2a1' + '0200' + '0400' + '00000000' + '00000000' + '00000400' + '01000000');
    expect(hex(new PcapWriter({ linkType: 276, snaplen: 96, nanosecond: true }).header())).toBe('4d3cb2a1' + '0200' + '0400' + '00000000' + '00000000' + '60000000' + '14010000');
  });

  it('writes a record; µs files truncate the nanoseconds; snaplen cuts the data', () => {
    const us = new PcapWriter({ linkType: 1, snaplen: 4 });
    expect(hex(us.record(1_999_999_999n, Uint8Array.of(1, 2, 3, 4, 5, 6)))).toBe('01000000' + '3f420f00' + '04000000' + '06000000' + '01020304');
    const ns = new PcapWriter({ linkType: 1, nanosecond: true });
    expect(hex(ns.record(1_999_999_999n, Uint8Array.of(9), 60))).toBe('01000000' + 'ff c9 9a 3b'.replace(/ /g, '') + '01000000' + '3c000000' + '09');
    const out = new Uint8Array(40).fill(0xa5);
    expect(ns.recordInto(out, 3, 0n, Uint8Array.of(7, 7))).toBe(18);
    expect(out[2]).toBe(0xa5);
    expect(out[21]).toBe(0xa5);
  });

  it('throws RangeError for values out of range', () => {
    const w = new PcapWriter({ linkType: 1 });
    expect(() => w.record(-1n, new Uint8Array(1))).toThrow(RangeError);
    expect(() => w.record(0x1_0000_0000n * 1_000_000_000n, new Uint8Array(1))).toThrow(RangeError);
    expect(() => w.record(0n, new Uint8Array(10), 9)).toThrow(RangeError);
    expect(() => w.record(0n, new Uint8Array(10), 2 ** 32)).toThrow(RangeError);
    expect(() => w.recordInto(new Uint8Array(20), 0, 0n, new Uint8Array(10))).toThrow(RangeError);
    expect(() => new PcapWriter({ linkType: 0x10000 })).toThrow(RangeError);
    expect(() => new PcapWriter({ linkType: 1, snaplen: 0 })).toThrow(RangeError);
  });

  const recordArb = fc.record({
    timestampNs: fc.bigInt({ min: 0n, max: 0xffff_ffffn * 1_000_000_000n + 999_999_999n }),
    data: fc.uint8Array({ maxLength: 300 }),
    extra: fc.nat({ max: 70000 }),
  });
  test.prop([fc.array(recordArb, { maxLength: 20 }), fc.boolean(), fc.integer({ min: 0, max: 0xffff })])('writePcap → reader round trip (any timestamps, lengths, link types)', (recs, nanosecond, linkType) => {
    const bytes = writePcap(
      recs.map((r) => ({ timestampNs: r.timestampNs, data: r.data, origLen: r.data.length + r.extra })),
      linkType,
      { nanosecond, snaplen: 200 },
    );
    const { records, error } = readAll(bytes);
    expect(error).toBeUndefined();
    expect(records.length).toBe(recs.length);
    records.forEach((r, k) => {
      const w = recs[k]!;
      expect(r.timestampNs).toBe(nanosecond ? w.timestampNs : w.timestampNs - (w.timestampNs % 1000n));
      expect(r.data).toEqual(w.data.subarray(0, 200));
      expect(r.origLen).toBe(w.data.length + w.extra);
      expect(r.linkType).toBe(linkType);
    });
  });
});

describe('written files read by tcpdump and capinfos', () => {
  const source = (): Rec[] => readAll(readBytes(join(CAPTURES, 'kernel-vxlan-ipv6.pcap'))).records;

  it.each([false, true])('nanosecond=%s: same packet count and timestamps', (nanosecond) => {
    const src = source();
    const path = join(dir, `written-${nanosecond}.pcap`);
    writeFileSync(path, writePcap(src, LINKTYPE_ETHERNET, { nanosecond }));
    expect(tcpdumpTimes(path)).toEqual(src.map((r) => r.timestampNs));
    const [, count] = tool('capinfos', ['-c', '-M', '-T', '-r', path]).trim().split('\t');
    expect(Number(count)).toBe(src.length);
    expect(tool('capinfos', ['-t', '-T', '-r', path]).trim().split('\t')[1]).toBe(nanosecond ? 'nsecpcap' : 'pcap');
    expect(readAll(readBytes(path)).records.map((r) => r.data)).toEqual(src.map((r) => r.data));
  });
});

describe('node file helpers', () => {
  it('PcapFileWriter writes what readCaptureFile streams back (small chunks, tiny buffer)', async () => {
    const src = readAll(readBytes(join(CAPTURES, 'kernel-vxlan-ipv4-tcp-gso.pcap'))).records;
    const path = join(dir, 'file-writer.pcap');
    const w = await PcapFileWriter.open(path, { linkType: LINKTYPE_ETHERNET, nanosecond: true, bufferBytes: 3000 });
    for (const r of src) await w.write(r.timestampNs, r.data, r.origLen);
    await w.close();
    await w.close();
    await expect(w.write(0n, new Uint8Array(1))).rejects.toThrow(/after close/);
    const back: Rec[] = [];
    for await (const item of readCaptureFile(path, { chunkSize: 777 })) {
      if ('error' in item) throw new Error('unexpected error item');
      back.push({ ...item, data: item.data.slice() });
    }
    expect(back.map((r) => [r.timestampNs, r.origLen, r.data])).toEqual(src.map((r) => [r.timestampNs, r.origLen, r.data]));
    expect(tcpdumpTimes(path)).toEqual(src.map((r) => r.timestampNs));
  });

  it('readCaptureFile: the corpus in 1 MiB and 100-byte reads; a truncated file ends with an error item', async () => {
    for (const name of ['zeek-geneve-truncated.pcapng', 'tcpdump-various-gre.pcap']) {
      const path = join(CAPTURES, name);
      const want = readAll(readBytes(path)).records;
      for (const chunkSize of [undefined, 100]) {
        const got: number[] = [];
        for await (const item of readCaptureFile(path, chunkSize === undefined ? {} : { chunkSize })) got.push('error' in item ? -1 : item.caplen);
        expect(got).toEqual(want.map((r) => r.caplen));
      }
    }
    const cut = join(dir, 'cut.pcap');
    writeFileSync(cut, readBytes(join(CAPTURES, 'zeek-vxlan.pcap')).subarray(0, 500));
    const items: CaptureItem[] = [];
    for await (const item of readCaptureFile(cut, { chunkSize: 64 })) items.push(item);
    expect(items.at(-1)).toMatchObject({ error: { kind: 'truncated', layer: 'pcap' } });
    expect(items.filter((i) => !('error' in i))).toHaveLength(3);
  });

  it('readCaptureFile rejects on I/O errors and bad options', async () => {
    const it1 = readCaptureFile(join(dir, 'missing.pcap'));
    await expect(it1.next()).rejects.toThrow(/ENOENT/);
    await expect(readCaptureFile(join(dir, 'x'), { chunkSize: 0 }).next()).rejects.toThrow(RangeError);
  });

  it('PcapFileWriter with a record larger than its buffer, raw IP link type', async () => {
    const path = join(dir, 'big.pcap');
    const w = await PcapFileWriter.open(path, { linkType: LINKTYPE_RAW, bufferBytes: 100 });
    const big = Uint8Array.of(0x45, ...fakePacket(5000, 3));
    await w.write(5n * 1_000_000_000n, Uint8Array.of(0x45, 0, 0, 0));
    await w.write(6n * 1_000_000_000n, big);
    await w.write(7n * 1_000_000_000n, Uint8Array.of(0x60, 1));
    await w.close();
    const { records } = readAll(readBytes(path));
    expect(records.map((r) => [r.timestampNs, r.caplen, r.linkType])).toEqual([
      [5_000_000_000n, 4, 101],
      [6_000_000_000n, 5001, 101],
      [7_000_000_000n, 2, 101],
    ]);
    expect(records[1]!.data).toEqual(big);
  });
});
