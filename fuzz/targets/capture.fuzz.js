// The pcap / pcapng reader: CaptureParser over the input in fuzzed chunk sizes (push and pushNoCopy,
// records drained after every chunk), against readCaptureAll over the whole input.
// Checks: no exception; the records and the final error do not depend on the chunking; records are
// numbered 1, 2, ...; their data are the file's bytes at the record's offset; the error is a WireError
// inside the file; the parser ends either done or failed; its buffer stays within 4x what it holds
// (at least 64 KiB) after every push.
// Input: [ctl][seed u16] then the capture file; seeds are the shared captures (whole, and their heads).
import { CaptureParser, readCaptureAll, isCaptureError } from '../../dist/capture/index.js';
import { Reader, check, checkWireError, same } from './common.js';

const HEADER = { pcap: 16, epb: 28, spb: 12, opb: 28 };
const MIN_CAPACITY = 64 * 1024;

function chunkSizes(mode, seed, n) {
  let x = seed | 1;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  const sizes = [];
  let left = n;
  while (left > 0) {
    let s;
    switch (mode) {
      case 0: s = left; break;
      case 1: s = 1; break;
      case 2: s = 1 + (next() % 64); break;
      default: s = 1 + (next() % 4096); break;
    }
    s = Math.min(s, left);
    sizes.push(s);
    left -= s;
  }
  return sizes;
}

export function fuzz(data) {
  const rd = new Reader(data);
  const ctl = rd.u8();
  const seed = rd.u16();
  const file = Uint8Array.from(rd.bytes(rd.left));
  const maxRecordBytes = [undefined, 64, 1500, 70000][(ctl >>> 4) & 3];
  const opts = maxRecordBytes === undefined ? {} : { maxRecordBytes };

  const ref = readCaptureAll(file, opts);
  if (ref.error) {
    checkWireError(ref.error, 0, file.length, 'readCaptureAll error');
    check(ref.error.layer === 'pcap' || ref.error.layer === 'pcapng', 'capture error layer', ref.error);
  }
  let lastOffset = -1;
  ref.records.forEach((r, k) => {
    check(r.index === k + 1, 'records not numbered 1, 2, ...', { index: r.index, k });
    check(r.caplen === r.data.length, 'caplen != data length', r);
    check(r.fileOffset > lastOffset && r.fileOffset < file.length, 'record offsets not increasing inside the file', r);
    lastOffset = r.fileOffset;
    const at = r.fileOffset + HEADER[r.source];
    check(at + r.caplen <= file.length, 'record data past the end of the file', r);
    for (let i = 0; i < r.caplen; i++) check(r.data[i] === file[at + i], `record ${r.index} data differs from the file at byte ${i}`, { source: r.source });
  });

  // The same file in chunks.
  const p = new CaptureParser(opts);
  const got = [];
  let error;
  const drain = () => {
    for (let item = p.next(); item !== null; item = p.next()) {
      check(error === undefined, 'an item after the error');
      if (isCaptureError(item)) error = item.error;
      else got.push({ ...item, data: item.data.slice() });
    }
  };
  const noCopy = (ctl & 4) !== 0;
  let at = 0;
  for (const s of chunkSizes(ctl & 3, seed, file.length)) {
    const chunk = file.slice(at, at + s);
    at += s;
    if (noCopy) p.pushNoCopy(chunk);
    else p.push(chunk);
    if (p.capacityBytes > 0) {
      check(p.capacityBytes <= 4 * Math.max(p.bufferedBytes, MIN_CAPACITY), 'parser buffer over 4x what it holds', { cap: p.capacityBytes, buffered: p.bufferedBytes });
    }
    drain();
  }
  p.end();
  drain();
  check(p.next() === null && p.next() === null, 'next() after the end is not null');
  check(p.done !== (p.error !== undefined), 'parser neither done nor failed (or both)', { done: p.done, error: p.error });
  check(same(got, ref.records), 'records depend on the chunking', { got: got.length, ref: ref.records.length });
  check(same(error, ref.error), 'final error depends on the chunking', { error, ref: ref.error });
  check(p.recordCount === got.length, 'recordCount');
}
