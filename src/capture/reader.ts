/**
 * Push-based, incremental capture reader for pcap and pcapng, format detected from the first bytes.
 *
 * Feed bytes with {@link CaptureParser.push} in chunks of any size (1 byte is fine), pull records
 * with {@link CaptureParser.next} until it returns `null` ("need more bytes"), and call
 * {@link CaptureParser.end} at end of input; then drain `next()` once more. The parser keeps only
 * the bytes not consumed yet, so its memory is bounded by the largest record (pcap) or block
 * (pcapng) plus one chunk, whatever the file size. Claimed lengths are checked before any byte of
 * the record is awaited, and nothing is ever allocated from a claimed length: a record that claims
 * 200 MiB only grows the buffer as its bytes actually arrive.
 *
 * Malformed input never throws. It yields one `{ error: WireError }` item, after which the parser
 * stops (`next()` returns `null` for ever). The error's `at` is an absolute file offset, its
 * `layer` is `pcap` or `pcapng`, so a CLI can say what was wrong and where.
 */
import { truncated, wireError, type WireError } from '../net/errors.js';
import {
  CAPTURE_MAX_RECORD_BYTES,
  PCAP_FILE_HEADER_LEN,
  PCAP_RECORD,
  PCAP_RECORD_HEADER_LEN,
  checkPcapCaplen,
  parsePcapHeader,
  pcapMagic,
  rd32,
  type PcapHeader,
} from './pcap.js';
import {
  PCAPNG_EPB_TYPE,
  PCAPNG_IDB_TYPE,
  PCAPNG_OPB_TYPE,
  PCAPNG_SHB_TYPE,
  PCAPNG_SPB_TYPE,
  checkBlockLength,
  checkBlockTrailer,
  parseInterfaceBlock,
  parsePacketBlock,
  parseSectionHeader,
  sectionByteOrder,
  timestampToNs,
  type PcapngInterface,
  type PcapngSection,
} from './pcapng.js';

/** Which block a record came from: a pcap record, or a pcapng Enhanced / Simple / Obsolete Packet Block. */
export type CaptureRecordSource = 'pcap' | 'epb' | 'spb' | 'opb';

/**
 * One captured packet.
 *
 * Aliasing: `data` is a subarray of the parser's internal buffer (or of the bytes given to
 * {@link readCapture}); it is valid until the next `push`/`next` call. Copy it (`data.slice()`) to keep it.
 */
export interface CaptureRecord {
  /** 1-based frame number across the whole file (all sections), as tshark and tcpdump count. */
  readonly index: number;
  /**
   * Unix-epoch nanoseconds. pcap: seconds + µs or ns by magic. pcapng: converted with the
   * interface's `if_tsresol` (floored below 1 ns) plus `if_tsoffset`. A Simple Packet Block has no
   * timestamp: `0n` (see `source`).
   */
  readonly timestampNs: bigint;
  /** Bytes captured (= `data.length`). */
  readonly caplen: number;
  /** Length of the packet on the wire (may exceed `caplen` when the capture was cut at a snaplen). */
  readonly origLen: number;
  /** LINKTYPE_ value of the record's interface (low 16 bits). */
  readonly linkType: number;
  /** pcapng interface number within its section; 0 for pcap. */
  readonly interfaceId: number;
  /** The captured bytes (aliasing: see the interface doc). */
  readonly data: Uint8Array;
  /** Absolute file offset of the record header / block start. */
  readonly fileOffset: number;
  readonly source: CaptureRecordSource;
}

/** A malformed-input report; the parser yields at most one and stops after it. */
export interface CaptureErrorItem {
  readonly error: WireError;
}

/** What the parser yields. */
export type CaptureItem = CaptureRecord | CaptureErrorItem;

/** Narrow a {@link CaptureItem} to the error case. */
export function isCaptureError(item: CaptureItem): item is CaptureErrorItem {
  return 'error' in item;
}

/** The container format detected from the first 4 bytes. */
export type CaptureFormat = 'pcap' | 'pcapng';

/** An interface: pcapng IDB fields; for pcap, one interface built from the file header. */
export type CaptureInterface = PcapngInterface;

/** Options for {@link CaptureParser}. */
export interface CaptureParserOptions {
  /**
   * Largest accepted captured length of one record, in bytes (default 256 MiB). pcapng blocks may
   * exceed it by 64 KiB of headers and options. Larger claims are a `bad-length` error.
   */
  readonly maxRecordBytes?: number;
}

/** Parser states (a plain object rather than a `const enum`, for isolated-module builds). */
const State = { Magic: 0, PcapHeader: 1, PcapRecord: 2, Block: 3, Done: 4, Failed: 5 } as const;
type State = (typeof State)[keyof typeof State];

const CONTINUE = 1;
/** A record was read into the `rec*` fields. */
const RECORD = 2;
type Step = CaptureErrorItem | null | typeof CONTINUE | typeof RECORD;
const NS_PER_SEC_N = 1_000_000_000n;

const MIN_CAPACITY = 64 * 1024;
const EMPTY = new Uint8Array(0);
const BLOCK_SLACK = 64 * 1024;

/**
 * Incremental pcap / pcapng parser (push bytes, pull records). See the module doc for the contract.
 *
 * ```ts
 * const p = new CaptureParser();
 * for await (const chunk of source) { p.push(chunk); for (const item of p) handle(item); }
 * p.end(); for (const item of p) handle(item);   // remaining records, then a truncation error if any
 * ```
 */
export class CaptureParser implements Iterable<CaptureItem> {
  private buf: Uint8Array = EMPTY;
  /** False while `buf` is the caller's array (taken by {@link CaptureParser.pushNoCopy}): never written to. */
  private owned = true;
  private start = 0;
  private end_ = 0;
  /** File offset of `buf[0]`. */
  private base = 0;
  private state: State = State.Magic;
  private ended = false;
  private failure: WireError | undefined;
  private readonly maxRecordBytes: number;
  private count = 0;
  private detected: CaptureFormat | undefined;
  private pcap: PcapHeader | undefined;
  private le = true;
  private sectionHeader: PcapngSection | undefined;
  private sectionCount = 0;
  private ifaces: CaptureInterface[] = [];
  private toNs: ((ts: bigint) => bigint)[] = [];

  // ---- the last record read by advance() (the cursor API: nothing allocated per pcap record) ----
  /** The buffer holding the record's bytes: `recBytes[recStart, recStart + recCaplen)` (valid until the next push). */
  recBytes: Uint8Array = EMPTY;
  /** Offset of the record's data in {@link recBytes}. */
  recStart = 0;
  /** Bytes captured. */
  recCaplen = 0;
  /** Length on the wire (bytes). */
  recOrigLen = 0;
  /** LINKTYPE_ value of the record's interface. */
  recLinkType = 0;
  /** pcapng interface number (0 for pcap). */
  recInterfaceId = 0;
  /** 1-based frame number. */
  recIndex = 0;
  /** Absolute file offset of the record header / block. */
  recFileOffset = 0;
  /** Timestamp as whole Unix seconds (floored; may be negative after a pcapng if_tsoffset) and nanoseconds 0..999,999,999. */
  recSeconds = 0;
  recNanos = 0;
  /** Which block the record came from. */
  recSource: CaptureRecordSource = 'pcap';
  private recTsNs: bigint | undefined;

  constructor(opts: CaptureParserOptions = {}) {
    const max = opts.maxRecordBytes ?? CAPTURE_MAX_RECORD_BYTES;
    if (!Number.isInteger(max) || max < 0 || max > 0xffffffff) throw new RangeError(`maxRecordBytes must be an integer in 0..2^32-1, got ${max}`);
    this.maxRecordBytes = max;
  }

  /**
   * Append input bytes. The chunk is copied (the caller may reuse it at once). This may move the
   * buffered bytes: `data` of records returned before becomes invalid.
   * @throws Error when called after {@link end} (a programmer error). Ignored after a reported error.
   */
  push(chunk: Uint8Array): void {
    if (this.ended) throw new Error('CaptureParser.push() after end()');
    if (this.state === State.Failed || chunk.length === 0) return;
    const live = this.end_ - this.start;
    const need = live + chunk.length;
    const cap = this.buf.length;
    // Shrink as soon as the buffer is over 4x what is needed (after a huge record), else grow 1.5x.
    const oversized = cap > 4 * Math.max(need, MIN_CAPACITY);
    if (!this.owned || this.end_ + chunk.length > cap || oversized) {
      if (!this.owned || need > cap || oversized) {
        const next = new Uint8Array(Math.max(MIN_CAPACITY, need + (need >>> 1)));
        next.set(this.buf.subarray(this.start, this.end_));
        this.buf = next;
        this.owned = true;
      } else {
        this.buf.copyWithin(0, this.start, this.end_);
      }
      this.base += this.start;
      this.start = 0;
      this.end_ = live;
    }
    this.buf.set(chunk, this.end_);
    this.end_ += chunk.length;
  }

  /**
   * Like {@link push} but without a copy when nothing is buffered: the parser then reads `chunk` in
   * place (records alias it) and never writes into it. The caller must leave `chunk` unchanged until
   * the next `push`. With bytes already buffered it copies, as `push` does.
   */
  pushNoCopy(chunk: Uint8Array): void {
    if (this.ended || this.state === State.Failed || chunk.length === 0 || this.end_ !== this.start) {
      this.push(chunk);
      return;
    }
    this.base += this.start;
    this.buf = chunk;
    this.owned = false;
    this.start = 0;
    this.end_ = chunk.length;
  }

  /**
   * Zero-copy refill for a reader that reuses one buffer: the caller moved the parser's unconsumed
   * bytes ({@link bufferedBytes} of them, the tail of the previous chunk) to `chunk[0, carried)` and
   * read new input after them. The parser then reads `chunk` in place, as {@link pushNoCopy} does.
   * @throws Error when `carried` is not the number of unconsumed bytes, or after {@link end}.
   */
  pushContinued(chunk: Uint8Array, carried: number): void {
    if (this.ended) throw new Error('CaptureParser.pushContinued() after end()');
    if (this.state === State.Failed || this.state === State.Done) return;
    if (carried !== this.end_ - this.start || carried > chunk.length) throw new Error(`pushContinued: ${carried} bytes carried, the parser holds ${this.end_ - this.start}`);
    this.base += this.start;
    this.buf = chunk;
    this.owned = false;
    this.start = 0;
    this.end_ = chunk.length;
  }

  /**
   * Mark the end of input. Afterwards `next()` returns the remaining complete records, then one
   * `truncated` error item if bytes of an incomplete header, record or block are left (or the input
   * was empty), then `null`.
   */
  end(): void {
    this.ended = true;
  }

  /**
   * The next record, an error item, or `null` when more input is needed (or the input is finished,
   * see {@link done}). Never throws on malformed input.
   */
  next(): CaptureItem | null {
    const s = this.advance();
    if (s === 1) return this.record();
    if (s === -1) return { error: this.failure! };
    return null;
  }

  /**
   * The cursor form of {@link next}: reads the next record into the `rec*` fields without allocating
   * (pcap; a pcapng block allocates its parse). @returns 1 for a record, -1 for the error (see
   * {@link error}; reported once), 0 when more input is needed or the input is finished.
   */
  advance(): number {
    for (;;) {
      let step: Step;
      switch (this.state) {
        case State.Done:
        case State.Failed:
          return 0;
        case State.Magic:
          step = this.detect();
          break;
        case State.PcapHeader:
          step = this.readPcapHeader();
          break;
        case State.PcapRecord:
          step = this.pcapRecord();
          break;
        case State.Block:
          step = this.block();
          break;
      }
      if (step === RECORD) return 1;
      if (step === null) return 0;
      if (step !== CONTINUE) return -1;
    }
  }

  /** Unix-epoch nanoseconds of the last record read by {@link advance} (allocates a bigint). */
  get recTimestampNs(): bigint {
    return this.recTsNs ?? BigInt(this.recSeconds) * NS_PER_SEC_N + BigInt(this.recNanos);
  }

  /** The last record read by {@link advance} as a {@link CaptureRecord} (its `data` aliases the buffer). */
  record(): CaptureRecord {
    return {
      index: this.recIndex,
      timestampNs: this.recTimestampNs,
      caplen: this.recCaplen,
      origLen: this.recOrigLen,
      linkType: this.recLinkType,
      interfaceId: this.recInterfaceId,
      data: this.recBytes.subarray(this.recStart, this.recStart + this.recCaplen),
      fileOffset: this.recFileOffset,
      source: this.recSource,
    };
  }

  /** Iterate `next()` until it returns `null`. */
  *[Symbol.iterator](): Iterator<CaptureItem> {
    for (;;) {
      const item = this.next();
      if (item === null) return;
      yield item;
    }
  }

  /** Bytes received and not consumed yet (the partial record awaiting its remaining bytes). */
  get bufferedBytes(): number {
    return this.end_ - this.start;
  }

  /** Size of the internal buffer in bytes (at most about 1.5x the largest record plus one chunk). */
  get capacityBytes(): number {
    return this.owned ? this.buf.length : 0;
  }

  /** File offset of the first unconsumed byte. */
  get offset(): number {
    return this.base + this.start;
  }

  /** The detected format, once 4 bytes have been seen. */
  get format(): CaptureFormat | undefined {
    return this.detected;
  }

  /** The pcap file header (pcap files only). */
  get pcapHeader(): PcapHeader | undefined {
    return this.pcap;
  }

  /** The current pcapng section header (pcapng files only). */
  get section(): PcapngSection | undefined {
    return this.sectionHeader;
  }

  /** Number of pcapng sections seen so far. */
  get sections(): number {
    return this.sectionCount;
  }

  /** The interfaces of the current section (one for pcap). */
  get interfaces(): readonly CaptureInterface[] {
    return this.ifaces;
  }

  /** Records returned so far. */
  get recordCount(): number {
    return this.count;
  }

  /** True once the input ended cleanly and every record was returned. */
  get done(): boolean {
    return this.state === State.Done;
  }

  /** The error reported, if any. */
  get error(): WireError | undefined {
    return this.failure;
  }

  // ---- internals -------------------------------------------------------------------------

  private fail(e: WireError): CaptureErrorItem {
    this.failure = e;
    this.state = State.Failed;
    this.release();
    return { error: e };
  }

  private release(): void {
    this.base += this.start;
    this.buf = EMPTY;
    this.owned = true;
    this.start = this.end_ = 0;
  }

  /**
   * Not enough bytes for the item at `start`: wait for more, or, at end of input, finish cleanly
   * (nothing left at a record boundary) or report a truncation.
   */
  private short(required: number, field: string): CaptureErrorItem | null {
    if (!this.ended) return null;
    const avail = this.end_ - this.start;
    const atBoundary = this.state === State.PcapRecord || this.state === State.Block;
    if (avail === 0 && atBoundary) {
      this.state = State.Done;
      this.release();
      return null;
    }
    return this.fail(truncated(this.detected ?? 'pcap', this.offset, required, avail, field));
  }

  private detect(): Step {
    const avail = this.end_ - this.start;
    if (avail < 4) return this.short(4, 'magic');
    const b = this.buf;
    const i = this.start;
    if (pcapMagic(b, i)) {
      this.detected = 'pcap';
      this.state = State.PcapHeader;
      return CONTINUE;
    }
    if (rd32(b, i, false) === PCAPNG_SHB_TYPE) {
      this.detected = 'pcapng';
      this.state = State.Block;
      return CONTINUE;
    }
    return this.fail(wireError('bad-value', 'pcap', this.offset, 'magic', rd32(b, i, false), 'pcap 0xa1b2c3d4 / 0xa1b23c4d (either byte order) or pcapng 0x0a0d0d0a'));
  }

  private readPcapHeader(): Step {
    if (this.end_ - this.start < PCAP_FILE_HEADER_LEN) return this.short(PCAP_FILE_HEADER_LEN, 'file-header');
    const r = parsePcapHeader(this.buf, this.start, this.offset);
    if (!r.ok) return this.fail(r.error);
    const h = r.value;
    this.pcap = h;
    this.le = h.littleEndian;
    const iface: CaptureInterface = {
      id: 0,
      linkType: h.linkType,
      snaplen: h.snaplen,
      tsresol: h.nanosecond ? 9 : 6,
      unitsPerSecond: h.nanosecond ? 1_000_000_000n : 1_000_000n,
      tsOffsetSeconds: 0n,
      ...(h.fcsLength === undefined ? {} : { fcsLength: h.fcsLength }),
    };
    this.ifaces = [iface];
    this.start += PCAP_FILE_HEADER_LEN;
    this.state = State.PcapRecord;
    return CONTINUE;
  }

  private pcapRecord(): Step {
    const avail = this.end_ - this.start;
    if (avail < PCAP_RECORD_HEADER_LEN) return this.short(PCAP_RECORD_HEADER_LEN, 'record-header');
    const b = this.buf;
    const i = this.start;
    const le = this.le;
    const h = this.pcap!;
    const caplen = rd32(b, i + PCAP_RECORD.CAPLEN, le);
    const bad = checkPcapCaplen(caplen, h.snaplen, this.offset, this.maxRecordBytes);
    if (bad) return this.fail(bad);
    const total = PCAP_RECORD_HEADER_LEN + caplen;
    if (avail < total) return this.short(total, 'record');
    this.recFileOffset = this.offset;
    this.recBytes = b;
    this.recStart = i + PCAP_RECORD_HEADER_LEN;
    this.recCaplen = caplen;
    this.recOrigLen = rd32(b, i + PCAP_RECORD.ORIGLEN, le);
    this.recLinkType = h.linkType;
    this.recInterfaceId = 0;
    this.recIndex = ++this.count;
    this.recSource = 'pcap';
    this.recTsNs = undefined;
    // Seconds + a fraction in µs or ns; a fraction of a second or more (malformed, but legal to store) carries.
    const frac = rd32(b, i + PCAP_RECORD.TS_FRAC, le);
    const ns = h.nanosecond ? frac : frac * 1000;
    const carry = ns >= 1_000_000_000 ? Math.floor(ns / 1_000_000_000) : 0;
    this.recSeconds = rd32(b, i + PCAP_RECORD.TS_SEC, le) + carry;
    this.recNanos = ns - carry * 1_000_000_000;
    this.start += total;
    return RECORD;
  }

  /** Process one pcapng block: a record, an error, `null` (need bytes / done) or CONTINUE (block skipped). */
  private block(): Step {
    const avail = this.end_ - this.start;
    if (avail < 8) return this.short(8, 'block-header');
    const b = this.buf;
    const i = this.start;
    const at = this.offset;
    let le = this.le;
    const type = rd32(b, i, le);
    if (type === PCAPNG_SHB_TYPE) {
      if (avail < 12) return this.short(12, 'section-header');
      const order = sectionByteOrder(b, i);
      if (order === undefined) {
        return this.fail(wireError('bad-value', 'pcapng', at + 8, 'byte-order-magic', rd32(b, i + 8, false), '0x1a2b3c4d in either byte order'));
      }
      le = order;
    } else if (this.sectionCount === 0) {
      // Unreachable after detection, kept as a guard: every pcapng file starts with a section header.
      return this.fail(wireError('bad-value', 'pcapng', at, 'block-type', type, 'a section header block (0x0a0d0d0a) first'));
    }
    const totalLength = rd32(b, i + 4, le);
    const badLen = checkBlockLength(type, totalLength, at, this.maxRecordBytes + BLOCK_SLACK);
    if (badLen) return this.fail(badLen);
    if (avail < totalLength) return this.short(totalLength, 'block');
    const badTrailer = checkBlockTrailer(b, i, totalLength, le, at);
    if (badTrailer) return this.fail(badTrailer);

    switch (type) {
      case PCAPNG_SHB_TYPE: {
        const r = parseSectionHeader(b, i, totalLength, le, at);
        if (!r.ok) return this.fail(r.error);
        this.le = le;
        this.sectionHeader = r.value;
        this.sectionCount++;
        this.ifaces = [];
        this.toNs = [];
        break;
      }
      case PCAPNG_IDB_TYPE: {
        const r = parseInterfaceBlock(b, i, totalLength, le, this.ifaces.length, at);
        if (!r.ok) return this.fail(r.error);
        this.ifaces.push(r.value);
        this.toNs.push(timestampToNs(r.value));
        break;
      }
      case PCAPNG_EPB_TYPE:
      case PCAPNG_SPB_TYPE:
      case PCAPNG_OPB_TYPE: {
        const r = parsePacketBlock(type, b, i, totalLength, le, this.ifaces, at);
        if (!r.ok) return this.fail(r.error);
        const p = r.value;
        this.start += totalLength;
        const iface = this.ifaces[p.interfaceId]!;
        const ts = p.timestamp === undefined ? 0n : this.toNs[p.interfaceId]!(p.timestamp);
        const sec = ts >= 0n ? ts / NS_PER_SEC_N : (ts - NS_PER_SEC_N + 1n) / NS_PER_SEC_N;
        this.recTsNs = ts;
        this.recSeconds = Number(sec);
        this.recNanos = Number(ts - sec * NS_PER_SEC_N);
        this.recIndex = ++this.count;
        this.recCaplen = p.caplen;
        this.recOrigLen = p.origLen;
        this.recLinkType = iface.linkType;
        this.recInterfaceId = p.interfaceId;
        this.recBytes = b;
        this.recStart = p.dataOffset;
        this.recFileOffset = at;
        this.recSource = type === PCAPNG_EPB_TYPE ? 'epb' : type === PCAPNG_SPB_TYPE ? 'spb' : 'opb';
        return RECORD;
      }
      default:
        break; // NRB, ISB, DSB, custom and unknown blocks: skipped by their length.
    }
    this.start += totalLength;
    return CONTINUE;
  }
}

/**
 * Read a whole in-memory capture (no copy: records alias `bytes`).
 * Yields records, then at most one error item.
 */
export function* readCapture(bytes: Uint8Array, opts: CaptureParserOptions = {}): Generator<CaptureItem, void, undefined> {
  const p = new CaptureParser(opts);
  p.pushNoCopy(bytes);
  p.end();
  yield* p;
}

/** Read a whole in-memory capture into an array of records with copied data, plus the error if any. */
export function readCaptureAll(bytes: Uint8Array, opts: CaptureParserOptions = {}): { records: CaptureRecord[]; error?: WireError } {
  const records: CaptureRecord[] = [];
  for (const item of readCapture(bytes, opts)) {
    if (isCaptureError(item)) return { records, error: item.error };
    records.push({ ...item, data: item.data.slice() });
  }
  return { records };
}
