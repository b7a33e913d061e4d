/**
 * Classic pcap writer (draft-ietf-opsawg-pcap §4), little-endian, microsecond (magic 0xa1b2c3d4)
 * or nanosecond (0xa1b23c4d) timestamps. Produces bytes only: where they go (a file, a socket, a
 * Blob) is the caller's business, so this runs in browsers too (see `node.ts` for files).
 *
 * Every byte is written, reserved fields included (thiszone = sigfigs = 0). Programmer errors
 * (values out of range) throw `RangeError`.
 */
import { assertRoom, assertUint } from '../net/bytes.js';
import { PCAP_FILE_HEADER_LEN, PCAP_MAGIC_NSEC, PCAP_MAGIC_USEC, PCAP_RECORD_HEADER_LEN, PCAP_VERSION_MAJOR, PCAP_VERSION_MINOR } from './pcap.js';

/** Default snapshot length written in the header (tcpdump's default). */
export const PCAP_DEFAULT_SNAPLEN = 262144;

/** Options for {@link PcapWriter}. */
export interface PcapWriterOptions {
  /** LINKTYPE_ value, 0..0xffff (e.g. `LINKTYPE_ETHERNET`). */
  readonly linkType: number;
  /** Snapshot length, 1..2^32-1 (default 262144). Longer packets are cut to it. */
  readonly snaplen?: number;
  /** Nanosecond timestamps (magic 0xa1b23c4d); default false: microseconds, truncated from ns. */
  readonly nanosecond?: boolean;
}

/** A packet to write: timestamp in Unix-epoch ns, the bytes, and optionally the on-wire length. */
export interface PcapWriteRecord {
  readonly timestampNs: bigint;
  readonly data: Uint8Array;
  readonly origLen?: number;
}

const NS_PER_SEC = 1_000_000_000n;
const MAX_TS_NS = 0x1_0000_0000n * NS_PER_SEC - 1n;

function put32le(b: Uint8Array, i: number, v: number): void {
  b[i] = v;
  b[i + 1] = v >>> 8;
  b[i + 2] = v >>> 16;
  b[i + 3] = v >>> 24;
}

function put16le(b: Uint8Array, i: number, v: number): void {
  b[i] = v;
  b[i + 1] = v >>> 8;
}

/** Builds a pcap file header and record bytes. Stateless apart from its options. */
export class PcapWriter {
  readonly linkType: number;
  readonly snaplen: number;
  readonly nanosecond: boolean;

  /** @throws RangeError for a link type outside 0..0xffff or a snaplen outside 1..2^32-1. */
  constructor(opts: PcapWriterOptions) {
    assertUint(opts.linkType, 16, 'linkType');
    const snaplen = opts.snaplen ?? PCAP_DEFAULT_SNAPLEN;
    assertUint(snaplen, 32, 'snaplen');
    if (snaplen === 0) throw new RangeError('snaplen must be at least 1');
    this.linkType = opts.linkType;
    this.snaplen = snaplen;
    this.nanosecond = opts.nanosecond ?? false;
  }

  /** The 24-byte file header. */
  header(): Uint8Array {
    const h = new Uint8Array(PCAP_FILE_HEADER_LEN);
    put32le(h, 0, this.nanosecond ? PCAP_MAGIC_NSEC : PCAP_MAGIC_USEC);
    put16le(h, 4, PCAP_VERSION_MAJOR);
    put16le(h, 6, PCAP_VERSION_MINOR);
    put32le(h, 8, 0); // thiszone
    put32le(h, 12, 0); // sigfigs
    put32le(h, 16, this.snaplen);
    put32le(h, 20, this.linkType);
    return h;
  }

  /** Bytes {@link record} returns for `dataLength` bytes of packet (16 + min(dataLength, snaplen)). */
  recordLength(dataLength: number): number {
    return PCAP_RECORD_HEADER_LEN + Math.min(dataLength, this.snaplen);
  }

  /**
   * One record (16-byte header + data cut to `snaplen`), as a new array to append to the file.
   * @param tsNs Unix-epoch nanoseconds, 0..2^32 s - 1 ns (microsecond files truncate to µs).
   * @param origLen on-wire length (default `data.length`), at least `data.length`, below 2^32.
   * @throws RangeError for values out of range.
   */
  record(tsNs: bigint, data: Uint8Array, origLen: number = data.length): Uint8Array {
    const out = new Uint8Array(this.recordLength(data.length));
    this.recordInto(out, 0, tsNs, data, origLen);
    return out;
  }

  /**
   * Write one record into `out` at `offset` (no allocation). @returns the bytes written.
   * @throws RangeError as {@link record}, and when `out` is too small.
   */
  recordInto(out: Uint8Array, offset: number, tsNs: bigint, data: Uint8Array, origLen: number = data.length): number {
    if (tsNs < 0n || tsNs > MAX_TS_NS) throw new RangeError(`timestamp ${tsNs} ns is outside 0..${MAX_TS_NS} (32-bit seconds)`);
    assertUint(origLen, 32, 'origLen');
    if (origLen < data.length) throw new RangeError(`origLen ${origLen} is below the data length ${data.length}`);
    const caplen = Math.min(data.length, this.snaplen);
    const n = PCAP_RECORD_HEADER_LEN + caplen;
    assertRoom(out, offset, n, 'pcap record');
    const sec = tsNs / NS_PER_SEC;
    const ns = tsNs - sec * NS_PER_SEC;
    put32le(out, offset, Number(sec));
    put32le(out, offset + 4, this.nanosecond ? Number(ns) : Number(ns / 1000n));
    put32le(out, offset + 8, caplen);
    put32le(out, offset + 12, origLen);
    out.set(caplen === data.length ? data : data.subarray(0, caplen), offset + PCAP_RECORD_HEADER_LEN);
    return n;
  }
}

/**
 * A whole pcap file in one array (for tests and small captures).
 * @throws RangeError as {@link PcapWriter}.
 */
export function writePcap(records: Iterable<PcapWriteRecord>, linkType: number, opts: Omit<PcapWriterOptions, 'linkType'> = {}): Uint8Array {
  const w = new PcapWriter({ ...opts, linkType });
  const list = Array.from(records);
  let total = PCAP_FILE_HEADER_LEN;
  for (const r of list) total += w.recordLength(r.data.length);
  const out = new Uint8Array(total);
  out.set(w.header(), 0);
  let p = PCAP_FILE_HEADER_LEN;
  for (const r of list) p += w.recordInto(out, p, r.timestampNs, r.data, r.origLen ?? r.data.length);
  return out;
}
