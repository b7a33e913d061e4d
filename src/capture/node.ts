/**
 * Node-only file helpers for capture I/O (the one module of `src/capture/` importing `node:*`).
 *
 * {@link readCaptureFile} streams a file through {@link CaptureParser} in fixed-size reads, so its
 * memory stays at one read buffer plus the parser's (largest record + one chunk), whatever the
 * file size. I/O failures (missing file, permissions) reject as usual; malformed contents never
 * throw and arrive as one `{ error }` item.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { CaptureParser, type CaptureItem, type CaptureParserOptions } from './reader.js';
import { PCAP_FILE_HEADER_LEN } from './pcap.js';
import { PcapWriter, type PcapWriterOptions } from './writer.js';

/** Options for {@link readCaptureFile}. */
export interface ReadCaptureFileOptions extends CaptureParserOptions {
  /** Bytes per read (default 1 MiB). */
  readonly chunkSize?: number;
}

/** Bytes per read: `opts.chunkSize` or 1 MiB. @throws RangeError when it is not a positive integer. */
function chunkSizeOf(opts: ReadCaptureFileOptions): number {
  const chunkSize = opts.chunkSize ?? 1 << 20;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new RangeError(`chunkSize must be a positive integer, got ${chunkSize}`);
  return chunkSize;
}

/**
 * Stream the records of a pcap or pcapng file, then at most one error item.
 *
 * Aliasing: a record's `data` is valid until the generator is resumed; copy it to keep it.
 * @throws (rejects) on I/O errors, or RangeError for a `chunkSize` that is not a positive integer.
 */
export async function* readCaptureFile(path: string, opts: ReadCaptureFileOptions = {}): AsyncGenerator<CaptureItem, void, undefined> {
  const chunkSize = chunkSizeOf(opts);
  const parser = new CaptureParser(opts);
  const fh = await open(path, 'r');
  try {
    const chunk = new Uint8Array(chunkSize);
    for (;;) {
      const { bytesRead } = await fh.read(chunk, 0, chunkSize, null);
      if (bytesRead === 0) break;
      parser.push(chunk.subarray(0, bytesRead)); // copied: `chunk` is reused by the next read
      for (const item of parser) {
        yield item;
        if ('error' in item) return;
      }
    }
    parser.end();
    yield* parser;
  } finally {
    await fh.close();
  }
}

/**
 * Synchronous variant of {@link readCaptureFile} for tight loops (no promise per record): reads
 * `path` in `chunkSize` chunks with `readSync`. Memory stays bounded by the largest record.
 */
export function* readCaptureFileSync(path: string, opts: ReadCaptureFileOptions = {}): Generator<CaptureItem, void, undefined> {
  const chunkSize = chunkSizeOf(opts);
  const parser = new CaptureParser(opts);
  const fd = openSync(path, 'r');
  try {
    const chunk = new Uint8Array(chunkSize);
    for (;;) {
      const n = readSync(fd, chunk, 0, chunkSize, null);
      if (n === 0) break;
      parser.push(chunk.subarray(0, n));
      for (let item = parser.next(); item; item = parser.next()) {
        yield item;
        if ('error' in item) return;
      }
    }
    parser.end();
    yield* parser;
  } finally {
    closeSync(fd);
  }
}

/**
 * A synchronous, non-allocating cursor over a capture file for hot loops: one read buffer is refilled
 * in place (the unconsumed tail of a record moved to its front) and parsed where it lies, so no record
 * object, subarray or bigint is made per pcap record. After {@link next} returns 1 the record is in
 * `parser.rec*` (`parser.recBytes[parser.recStart, parser.recStart + parser.recCaplen)`), valid until
 * the next call. Memory: the read buffer (grown only for a record longer than half of it).
 *
 * ```ts
 * const c = new CaptureFileCursor(path);
 * try { for (let s = c.next(); s === 1; s = c.next()) use(c.parser.recBytes, c.parser.recStart, c.parser.recCaplen); }
 * finally { c.close(); }
 * ```
 * @throws on I/O errors (open/read); malformed contents are reported by `next()` returning -1.
 */
export class CaptureFileCursor {
  readonly parser: CaptureParser;
  private readonly fd: number;
  private buf: Uint8Array;
  private filled = 0;
  private eof = false;
  private closed = false;

  constructor(path: string, opts: ReadCaptureFileOptions = {}) {
    const chunkSize = chunkSizeOf(opts);
    this.parser = new CaptureParser(opts);
    this.buf = new Uint8Array(chunkSize);
    this.fd = openSync(path, 'r');
  }

  /** 1: a record (in `parser.rec*`); 0: end of the file; -1: malformed input (`parser.error`), reported once. */
  next(): number {
    for (;;) {
      const s = this.parser.advance();
      if (s !== 0 || this.eof) return s;
      this.refill();
    }
  }

  private refill(): void {
    const carried = this.parser.bufferedBytes;
    if (carried > this.buf.length >>> 1) {
      const bigger = new Uint8Array(Math.max(carried * 2, this.buf.length * 2));
      bigger.set(this.buf.subarray(this.filled - carried, this.filled));
      this.buf = bigger;
    } else if (carried > 0) {
      this.buf.copyWithin(0, this.filled - carried, this.filled);
    }
    const n = this.closed ? 0 : readSync(this.fd, this.buf, carried, this.buf.length - carried, null);
    if (n === 0) {
      this.eof = true;
      this.parser.end();
      return;
    }
    this.filled = carried + n;
    this.parser.pushContinued(this.buf.subarray(0, this.filled), carried);
  }

  /** Close the file (idempotent). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}

/** Writes a pcap file record by record through {@link PcapWriter}, with buffered writes. */
export class PcapFileWriter {
  private pending: Uint8Array;
  private used = 0;
  private closed = false;
  private constructor(
    private readonly fh: FileHandle,
    /** The record encoder (its options are the file's). */
    readonly writer: PcapWriter,
    bufferBytes: number,
  ) {
    this.pending = new Uint8Array(bufferBytes);
  }

  /**
   * Create (truncate) `path` and write the file header.
   * @throws RangeError for bad writer options; rejects on I/O errors.
   */
  static async open(path: string, opts: PcapWriterOptions & { readonly bufferBytes?: number }): Promise<PcapFileWriter> {
    const writer = new PcapWriter(opts);
    const fh = await open(path, 'w');
    const w = new PcapFileWriter(fh, writer, Math.max(PCAP_FILE_HEADER_LEN, opts.bufferBytes ?? 1 << 16));
    w.append(writer.header());
    return w;
  }

  /**
   * Append one record (see {@link PcapWriter.record} for ranges); flushes when the buffer fills.
   * @throws Error after {@link close}; RangeError for values out of range.
   */
  async write(tsNs: bigint, data: Uint8Array, origLen: number = data.length): Promise<void> {
    if (this.closed) throw new Error('PcapFileWriter.write() after close()');
    const n = this.writer.recordLength(data.length);
    if (this.used + n > this.pending.length) await this.flush();
    if (n > this.pending.length) {
      await this.writeAll(this.writer.record(tsNs, data, origLen));
      return;
    }
    this.used += this.writer.recordInto(this.pending, this.used, tsNs, data, origLen);
  }

  /** Write buffered bytes to the file. */
  async flush(): Promise<void> {
    if (this.used === 0) return;
    const bytes = this.pending.subarray(0, this.used);
    this.used = 0;
    await this.writeAll(bytes); // `pending` is reused only after this write completes
  }

  /** Flush and close the file (idempotent). */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    await this.fh.close();
  }

  private append(bytes: Uint8Array): void {
    this.pending.set(bytes, this.used);
    this.used += bytes.length;
  }

  private async writeAll(bytes: Uint8Array): Promise<void> {
    let off = 0;
    while (off < bytes.length) {
      const { bytesWritten } = await this.fh.write(bytes, off, bytes.length - off);
      off += bytesWritten;
    }
  }
}
