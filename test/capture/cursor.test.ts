/**
 * CaptureFileCursor (one buffer refilled in place, records parsed where they lie) against the
 * object-per-record reader, on every shared capture, with read sizes that split records and blocks
 * anywhere (7 bytes, 64, 1000, and the 4 MiB default), and on a file cut short.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureFileCursor } from '../../src/capture/node.js';
import { readCaptureAll } from '../../src/capture/reader.js';
import { CAPTURES } from '../walk/helpers.js';

interface Rec {
  index: number;
  timestampNs: bigint;
  caplen: number;
  origLen: number;
  linkType: number;
  interfaceId: number;
  fileOffset: number;
  data: Uint8Array;
}

function viaCursor(path: string, chunkSize?: number): { records: Rec[]; error?: string; secondsOk: boolean } {
  const cur = new CaptureFileCursor(path, chunkSize === undefined ? {} : { chunkSize });
  const p = cur.parser;
  const records: Rec[] = [];
  let secondsOk = true;
  try {
    for (;;) {
      const s = cur.next();
      if (s === 0) return { records, secondsOk };
      if (s === -1) return { records, error: `${p.error!.kind}@${p.error!.at}`, secondsOk };
      const ts = p.recTimestampNs;
      // The split form agrees with the bigint: seconds floored, nanoseconds in 0..1e9-1.
      if (BigInt(p.recSeconds) * 1_000_000_000n + BigInt(p.recNanos) !== ts || p.recNanos < 0 || p.recNanos >= 1e9) secondsOk = false;
      records.push({
        index: p.recIndex,
        timestampNs: ts,
        caplen: p.recCaplen,
        origLen: p.recOrigLen,
        linkType: p.recLinkType,
        interfaceId: p.recInterfaceId,
        fileOffset: p.recFileOffset,
        data: p.recBytes.slice(p.recStart, p.recStart + p.recCaplen),
      });
    }
  } finally {
    cur.close();
  }
}

function reference(bytes: Uint8Array): { records: Rec[]; error?: string } {
  const r = readCaptureAll(bytes);
  return {
    records: r.records.map((x) => ({ index: x.index, timestampNs: x.timestampNs, caplen: x.caplen, origLen: x.origLen, linkType: x.linkType, interfaceId: x.interfaceId, fileOffset: x.fileOffset, data: x.data })),
    ...(r.error ? { error: `${r.error.kind}@${r.error.at}` } : {}),
  };
}

describe('CaptureFileCursor', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tw-cursor-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads every shared capture as the record reader does, at any read size', () => {
    let total = 0;
    for (const c of CAPTURES) {
      const want = reference(new Uint8Array(readFileSync(c.path)));
      for (const size of [7, 64, 1000, undefined]) {
        const got = viaCursor(c.path, size);
        expect(got.secondsOk, `${c.name} chunk ${size}`).toBe(true);
        expect(got.error, `${c.name} chunk ${size}`).toBe(want.error);
        expect(got.records, `${c.name} chunk ${size}`).toEqual(want.records);
      }
      total += want.records.length;
    }
    expect(total).toBeGreaterThan(700);
  });

  it('reports a file cut inside a record once, after the records before it', () => {
    const c = CAPTURES.find((x) => x.name === 'ovs-geneve-options')!;
    const bytes = new Uint8Array(readFileSync(c.path));
    const cut = join(dir, 'cut.pcap');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 10));
    const want = reference(bytes.subarray(0, bytes.length - 10));
    expect(want.error).toMatch(/^truncated@/);
    for (const size of [5, 100, undefined]) {
      const got = viaCursor(cut, size);
      expect(got.records).toEqual(want.records);
      expect(got.error).toBe(want.error);
    }
  });
});
