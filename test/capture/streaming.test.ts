/**
 * Streaming: any split of the input into chunks gives the records of a single push, and the
 * parser's memory stays bounded by the largest record on an arbitrarily long stream.
 */
import { fc, test } from '@fast-check/vitest';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaptureParser, PcapWriter, isCaptureError } from '../../src/capture/index.js';
import { CAPTURES, PcapngBuilder, concat, corpusFiles, fakePacket, readAll, readBytes, readChunked } from './util.js';

const SMALL = ['scapy-geneve-l3.pcap', 'zeek-geneve-truncated.pcapng', 'zeek-vxlan.pcap', 'tcpdump-gre-heapoverflow-1.pcap'];

/** A pcapng with two sections of opposite byte order, skipped blocks and all packet block kinds. */
function mixedPcapng(): Uint8Array {
  const a = new PcapngBuilder(true);
  a.shb().idb(1, 0, [a.tsresol(9)]).block(5, new Uint8Array(12)).epb(0, 123n, fakePacket(61, 1)).spb(fakePacket(17, 2)).opb(0, 5n, fakePacket(3, 3));
  const b = new PcapngBuilder(false);
  b.shb(false).idb(101, 0, [b.tsresol(0x80 | 10)]).epb(0, 1025n, fakePacket(99, 4)).block(0x0bad, fakePacket(7, 5));
  return concat([a.bytes(), b.bytes()]);
}

const inputs: [string, () => Uint8Array][] = [...SMALL.map((f): [string, () => Uint8Array] => [f, () => readBytes(join(CAPTURES, f))]), ['mixed pcapng', mixedPcapng]];

describe('chunk boundaries do not matter', () => {
  for (const [name, bytes] of inputs) {
    const file = bytes();
    const whole = readAll(file);
    test.prop([fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 12 })], { numRuns: 60 })(`${name}: random chunk sizes`, (sizes) => {
      const got = readChunked(file, sizes);
      expect(got.error).toBeUndefined();
      expect(got.records).toEqual(whole.records);
    });
  }

  it('1-byte chunks over every corpus file and the mixed pcapng', () => {
    for (const f of corpusFiles().filter((n) => readBytes(join(CAPTURES, n)).length < 40_000)) {
      const file = readBytes(join(CAPTURES, f));
      expect(readChunked(file, [1]).records).toEqual(readAll(file).records);
    }
    const m = mixedPcapng();
    expect(readChunked(m, [1]).records).toEqual(readAll(m).records);
    expect(readAll(m).records.map((r) => r.source)).toEqual(['epb', 'spb', 'opb', 'epb']);
  });

  test.prop([fc.array(fc.tuple(fc.integer({ min: 1, max: 5000 }), fc.boolean()), { minLength: 1, maxLength: 30 })], { numRuns: 20 })('push and pushNoCopy mixed, whole corpus file', (plan) => {
    const file = readBytes(join(CAPTURES, 'kernel-vxlan-ipv6.pcap'));
    const want = readAll(file).records;
    const p = new CaptureParser();
    const got: unknown[] = [];
    let off = 0;
    let k = 0;
    while (off < file.length) {
      const [n, noCopy] = plan[k++ % plan.length]!;
      const chunk = file.slice(off, off + n);
      if (noCopy) p.pushNoCopy(chunk);
      else p.push(chunk);
      off += n;
      for (const item of p) got.push(isCaptureError(item) ? item : { ...item, data: item.data.slice() });
    }
    p.end();
    for (const item of p) got.push(item);
    expect(got).toEqual(want);
  });

  it('pushNoCopy reads in place and never writes into the caller array', () => {
    const file = readBytes(join(CAPTURES, 'zeek-vxlan.pcap')).slice();
    const copy = file.slice();
    const p = new CaptureParser();
    p.pushNoCopy(file.subarray(0, 1000));
    const first = p.next();
    expect(first !== null && 'data' in first && first.data.buffer).toBe(file.buffer); // aliases the input
    let n = 1 + [...p].length;
    p.push(file.subarray(1000));
    p.end();
    n += [...p].length;
    expect(n).toBe(10);
    expect(file).toEqual(copy);
  });
});

describe('bounded memory', () => {
  it('a 200 MB stream generated on the fly keeps the buffer within a few records', () => {
    const MAX_DATA = 64 * 1024;
    const MAX_RECORD = 16 + MAX_DATA;
    const w = new PcapWriter({ linkType: 1, nanosecond: true });
    // One ~1 MiB block of records of varied sizes (up to the maximum), repeated to 200 MB with
    // chunk boundaries anywhere; nothing but this block and the current chunk is ever held.
    const sizes = [MAX_DATA, 1, 1500, 40000, 0, 9000, MAX_DATA - 1, 333, 20000, 60, 65000, 128, 12345];
    const parts: Uint8Array[] = [];
    let blockRecords = 0;
    let blockCaplen = 0;
    for (let rep = 0; rep < 4; rep++) {
      for (const [k, n] of sizes.entries()) {
        parts.push(w.record(BigInt(rep * 100 + k), fakePacket(n, k)));
        blockRecords++;
        blockCaplen += n;
      }
    }
    const block = concat(parts);
    const TARGET = 200 * 1000 * 1000;
    const reps = Math.ceil(TARGET / block.length);

    const p = new CaptureParser();
    p.push(w.header());
    let records = 0;
    let caplen = 0;
    let maxBuffered = 0;
    let maxCapacity = 0;
    let rnd = 12345;
    let pos = 0;
    const total = reps * block.length;
    while (pos < total) {
      rnd = (rnd * 1103515245 + 12345) >>> 0;
      const n = 1 + (rnd % MAX_RECORD); // chunk sizes up to one largest record
      const at = pos % block.length;
      const end = Math.min(at + n, block.length, at + (total - pos));
      p.push(block.subarray(at, end));
      pos += end - at;
      maxBuffered = Math.max(maxBuffered, p.bufferedBytes);
      for (const item of p) {
        if (isCaptureError(item)) throw new Error(JSON.stringify(item.error));
        records++;
        caplen += item.caplen;
      }
      expect(p.bufferedBytes).toBeLessThan(MAX_RECORD); // only the partial record is left
      maxCapacity = Math.max(maxCapacity, p.capacityBytes);
    }
    p.end();
    expect(p.next()).toBeNull();
    expect(p.done).toBe(true);
    expect(records).toBe(reps * blockRecords);
    expect(caplen).toBe(reps * blockCaplen);
    expect(total).toBeGreaterThanOrEqual(TARGET);
    expect(maxBuffered).toBeLessThan(2 * MAX_RECORD);
    expect(maxCapacity).toBeLessThanOrEqual(3 * MAX_RECORD + 64 * 1024);
  });

  it('a pcapng stream (10k blocks, 1-64 KiB) stays within a few blocks, and the buffer shrinks after a huge record', () => {
    const b = new PcapngBuilder(true);
    const head = b.shb().idb(1, 0).bytes();
    const p = new CaptureParser();
    p.push(head);
    const pool = fakePacket(8 * 1024 * 1024, 7);
    const one = (n: number, k: number) => new PcapngBuilder(true).epb(0, BigInt(k), pool.subarray(0, n)).bytes();
    let maxCap = 0;
    p.push(one(8 * 1024 * 1024, 1));
    expect([...p]).toHaveLength(1);
    expect(p.capacityBytes).toBeGreaterThan(8 * 1024 * 1024);
    p.push(one(100, 2));
    expect([...p]).toHaveLength(1);
    expect(p.capacityBytes).toBeLessThanOrEqual(64 * 1024);
    for (let k = 0; k < 10_000; k++) {
      const blk = one(1024 + ((k * 7919) % (63 * 1024)), k);
      p.push(blk.subarray(0, 100));
      p.push(blk.subarray(100));
      const items = [...p];
      expect(items).toHaveLength(1);
      if (k > 10) maxCap = Math.max(maxCap, p.capacityBytes);
    }
    expect(maxCap).toBeLessThanOrEqual(4 * (64 * 1024 + 32) + 64 * 1024);
  });
});
