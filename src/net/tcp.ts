/**
 * TCP header (RFC 9293 §3.1), as carried by STT's TCP-like segments (draft-davie-stt-08 §3.2).
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Source Port          |       Destination Port        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        Sequence Number                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Acknowledgment Number                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Data |     |N|C|E|U|A|P|R|S|F|                               |
 * | Offset| Rsv |S|W|C|R|C|S|S|Y|I|            Window             |
 * |       |     | |R|E|G|K|H|T|N|N|                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           Checksum            |         Urgent Pointer        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Options (Data Offset × 4 − 20 bytes)       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 * RFC 9293 draws 4 reserved bits; the lowest of them is NS (RFC 3540, historic since RFC 8311),
 * which this module keeps as flag `0x100` the way Wireshark's STT dissector models a 12-bit flag
 * field. So `flags` is 9 bits (NS + CWR..FIN) and `reserved` the 3 bits `0x0e` of byte 12.
 */
import { assertRoom, assertUint, put16, put32, u16, u32 } from './bytes.js';
import { err, ok, truncated, wireError, type ParseOptions, type Result, type WireError } from './errors.js';

/** TCP header length without options, in bytes (Data Offset 5). */
export const TCP_MIN_HEADER_LEN = 20;
/** TCP header length with the most options, in bytes (Data Offset 15). */
export const TCP_MAX_HEADER_LEN = 60;
/** Byte offsets. */
const O = { SRC_PORT: 0, DST_PORT: 2, SEQ: 4, ACK: 8, DATA_OFFSET: 12, FLAGS: 13, WINDOW: 14, CHECKSUM: 16, URGENT: 18, OPTIONS: 20 } as const;
/** Masks within byte 12. */
const M = { DATA_OFFSET: 0xf0, RESERVED: 0x0e, NS: 0x01 } as const;

/** FIN flag (`flags` bit 0x01). */
export const TCP_FLAG_FIN = 0x01;
/** SYN flag. */
export const TCP_FLAG_SYN = 0x02;
/** RST flag. */
export const TCP_FLAG_RST = 0x04;
/** PSH flag (STT: RECOMMENDED on the last segment of a frame). */
export const TCP_FLAG_PSH = 0x08;
/** ACK flag (STT: SHOULD be set so NICs examine the ACK field). */
export const TCP_FLAG_ACK = 0x10;
/** URG flag. */
export const TCP_FLAG_URG = 0x20;
/** ECE flag (RFC 3168). */
export const TCP_FLAG_ECE = 0x40;
/** CWR flag (RFC 3168). */
export const TCP_FLAG_CWR = 0x80;
/** NS flag (RFC 3540, historic): the low bit of byte 12, reported as `0x100` of the 9-bit `flags`. */
export const TCP_FLAG_NS = 0x100;

/** Numeric codes returned by {@link TcpView.wrap} (0 = ok). */
export const TCP_OK = 0;
/** Fewer than 20 bytes. */
export const TCP_ERR_TRUNCATED = 1;
/** Data Offset below 5 words. */
export const TCP_ERR_BAD_DATA_OFFSET = 2;
/** Data Offset × 4 exceeds the bytes available. */
export const TCP_ERR_HEADER_OVERRUN = 3;

/**
 * Zero-copy view over a TCP header at `(bytes, offset)`.
 * Accessors read the buffer directly; the `!` index assertions are safe only after
 * {@link TcpView.check} or a zero return from {@link TcpView.wrap} (the whole header, options
 * included, lies inside the buffer). Setting `dataOffsetWords` invalidates a previous check; no
 * other setter does.
 */
export class TcpView {
  private constructor(
    public bytes: Uint8Array,
    public offset: number,
  ) {}

  /** No checks: for buffers you are about to fill (emit), never for received bytes. */
  static unchecked(bytes: Uint8Array, offset = 0): TcpView {
    return new TcpView(bytes, offset);
  }

  /** A reusable empty view for {@link TcpView.wrap} (hot path, no allocation per packet). */
  static empty(): TcpView {
    return new TcpView(new Uint8Array(0), 0);
  }

  /**
   * Validate that a TCP header with its options fits in `bytes[offset..end)`, in this order:
   * 20 bytes present (`truncated`), Data Offset ≥ 5 (`bad-length`, field `dataOffset`),
   * Data Offset × 4 ≤ bytes available (`length-overrun`, field `dataOffset`).
   * @returns the view, or a {@link WireError} with absolute offsets.
   */
  static check(bytes: Uint8Array, offset = 0, end = bytes.length): Result<TcpView> {
    const code = checkTcp(bytes, offset, end);
    return code === TCP_OK ? ok(new TcpView(bytes, offset)) : err(tcpError(code, bytes, offset, end));
  }

  /** Re-point this view in place; returns {@link TCP_OK} or an error code (expand with {@link tcpError}). */
  wrap(bytes: Uint8Array, offset: number, end = bytes.length): number {
    this.bytes = bytes;
    this.offset = offset;
    return checkTcp(bytes, offset, end);
  }

  /** Source port, bytes 0–1. */
  get srcPort(): number {
    return u16(this.bytes, this.offset + O.SRC_PORT);
  }
  set srcPort(v: number) {
    assertUint(v, 16, 'srcPort');
    put16(this.bytes, this.offset + O.SRC_PORT, v);
  }
  /** Destination port, bytes 2–3. */
  get dstPort(): number {
    return u16(this.bytes, this.offset + O.DST_PORT);
  }
  set dstPort(v: number) {
    assertUint(v, 16, 'dstPort');
    put16(this.bytes, this.offset + O.DST_PORT, v);
  }
  /** 32-bit Sequence Number, bytes 4–7 (STT: frame length << 16 | fragment offset). */
  get seq(): number {
    return u32(this.bytes, this.offset + O.SEQ);
  }
  set seq(v: number) {
    assertUint(v, 32, 'seq');
    put32(this.bytes, this.offset + O.SEQ, v);
  }
  /** 32-bit Acknowledgment Number, bytes 8–11 (STT: frame identifier). */
  get ack(): number {
    return u32(this.bytes, this.offset + O.ACK);
  }
  set ack(v: number) {
    assertUint(v, 32, 'ack');
    put32(this.bytes, this.offset + O.ACK, v);
  }
  /** Data Offset in 32-bit words (high 4 bits of byte 12; valid 5..15). Setting it invalidates a previous check. */
  get dataOffsetWords(): number {
    return this.bytes[this.offset + O.DATA_OFFSET]! >>> 4;
  }
  set dataOffsetWords(v: number) {
    assertUint(v, 4, 'dataOffsetWords');
    const i = this.offset + O.DATA_OFFSET;
    this.bytes[i] = (v << 4) | (this.bytes[i]! & ~M.DATA_OFFSET & 0xff);
  }
  /** Header length in bytes including options (`dataOffsetWords × 4`). */
  get headerLength(): number {
    return this.dataOffsetWords * 4;
  }
  /** The 3 reserved bits (`0x0e` of byte 12) shifted down, 0..7. */
  get reserved(): number {
    return (this.bytes[this.offset + O.DATA_OFFSET]! & M.RESERVED) >>> 1;
  }
  set reserved(v: number) {
    assertUint(v, 3, 'reserved');
    const i = this.offset + O.DATA_OFFSET;
    this.bytes[i] = (this.bytes[i]! & ~M.RESERVED & 0xff) | (v << 1);
  }
  /** 9 flag bits: NS (`0x100`, byte 12 bit 0) and CWR..FIN (`0x80`..`0x01`, byte 13). */
  get flags(): number {
    return ((this.bytes[this.offset + O.DATA_OFFSET]! & M.NS) << 8) | this.bytes[this.offset + O.FLAGS]!;
  }
  set flags(v: number) {
    assertUint(v, 9, 'flags');
    const i = this.offset + O.DATA_OFFSET;
    this.bytes[i] = (this.bytes[i]! & ~M.NS & 0xff) | (v >>> 8);
    this.bytes[i + 1] = v & 0xff;
  }
  /** Window, bytes 14–15 (STT: SHOULD be 0; OVS sends 0xffff). */
  get window(): number {
    return u16(this.bytes, this.offset + O.WINDOW);
  }
  set window(v: number) {
    assertUint(v, 16, 'window');
    put16(this.bytes, this.offset + O.WINDOW, v);
  }
  /** Checksum, bytes 16–17 (IP pseudo-header + header + data; see `net/checksum`). */
  get checksum(): number {
    return u16(this.bytes, this.offset + O.CHECKSUM);
  }
  set checksum(v: number) {
    assertUint(v, 16, 'checksum');
    put16(this.bytes, this.offset + O.CHECKSUM, v);
  }
  /** Urgent Pointer, bytes 18–19. */
  get urgentPointer(): number {
    return u16(this.bytes, this.offset + O.URGENT);
  }
  set urgentPointer(v: number) {
    assertUint(v, 16, 'urgentPointer');
    put16(this.bytes, this.offset + O.URGENT, v);
  }
  /** Offset of the first option byte in `bytes`. */
  get optionsOffset(): number {
    return this.offset + O.OPTIONS;
  }
  /** Options length in bytes (`headerLength − 20`, 0..40). */
  get optionsLength(): number {
    return this.headerLength - TCP_MIN_HEADER_LEN;
  }
  /** The option bytes. Returns a subarray of the input (aliases it; copy before reusing the buffer). */
  options(): Uint8Array {
    return this.bytes.subarray(this.offset + O.OPTIONS, this.offset + this.headerLength);
  }
  /** Offset of the segment data in `bytes` (`offset + headerLength`). */
  get payloadOffset(): number {
    return this.offset + this.headerLength;
  }
}

function checkTcp(bytes: Uint8Array, offset: number, end: number): number {
  const available = Math.min(end, bytes.length) - offset;
  if (available < TCP_MIN_HEADER_LEN) return TCP_ERR_TRUNCATED;
  const words = bytes[offset + O.DATA_OFFSET]! >>> 4;
  if (words < 5) return TCP_ERR_BAD_DATA_OFFSET;
  if (words * 4 > available) return TCP_ERR_HEADER_OVERRUN;
  return TCP_OK;
}

/** Expand a {@link TcpView.wrap} code into a {@link WireError} (absolute offsets; `found` = measured value). */
export function tcpError(code: number, bytes: Uint8Array, offset: number, end = bytes.length): WireError {
  const available = Math.min(end, bytes.length) - offset;
  switch (code) {
    case TCP_ERR_TRUNCATED:
      return truncated('tcp', offset, TCP_MIN_HEADER_LEN, available);
    case TCP_ERR_BAD_DATA_OFFSET:
      return wireError('bad-length', 'tcp', offset + O.DATA_OFFSET, 'dataOffset', bytes[offset + O.DATA_OFFSET]! >>> 4, '5..15 words');
    case TCP_ERR_HEADER_OVERRUN:
      return wireError('length-overrun', 'tcp', offset + O.DATA_OFFSET, 'dataOffset', (bytes[offset + O.DATA_OFFSET]! >>> 4) * 4, `<= ${available} bytes`);
    default:
      return wireError('bad-value', 'tcp', offset, 'header', code, 'valid TCP header');
  }
}

/** A TCP header as a plain object. */
export interface TcpFields {
  /** 16-bit source port. */
  readonly srcPort: number;
  /** 16-bit destination port. */
  readonly dstPort: number;
  /** 32-bit Sequence Number. */
  readonly seq: number;
  /** 32-bit Acknowledgment Number. */
  readonly ack: number;
  /** 9 flag bits, NS = `0x100` … FIN = `0x01` (`TCP_FLAG_*`). */
  readonly flags: number;
  /** 16-bit Window. */
  readonly window: number;
  /** 16-bit Checksum as stored (not verified here). */
  readonly checksum: number;
  /** 16-bit Urgent Pointer. */
  readonly urgentPointer: number;
  /** Option bytes, 0..40, a multiple of 4 (Data Offset = 5 + length / 4). On parse: a subarray of the input. */
  readonly options: Uint8Array;
}

/**
 * Parse a TCP header at `offset` (bounded by `end`). Never throws.
 * Errors: `truncated` (< 20 bytes), `bad-length` (Data Offset < 5), `length-overrun` (options past
 * `end`); in strict mode `reserved-nonzero` (the 3 reserved bits of byte 12).
 * `options` aliases the input.
 */
export function parseTcp(bytes: Uint8Array, offset = 0, end = bytes.length, opts: ParseOptions = {}): Result<TcpFields> {
  const r = TcpView.check(bytes, offset, end);
  if (!r.ok) return r;
  const v = r.value;
  if (opts.strict && v.reserved) {
    return err(wireError('reserved-nonzero', 'tcp', offset + O.DATA_OFFSET, 'reserved', v.reserved, '0'));
  }
  return ok({
    srcPort: v.srcPort,
    dstPort: v.dstPort,
    seq: v.seq,
    ack: v.ack,
    flags: v.flags,
    window: v.window,
    checksum: v.checksum,
    urgentPointer: v.urgentPointer,
    options: v.options(),
  });
}

/** Bytes {@link emitTcp} writes: `20 + options.length`. */
export function tcpLength(f: TcpFields): number {
  return TCP_MIN_HEADER_LEN + f.options.length;
}

/**
 * Write the whole TCP header of `f` (reserved bits 0, Data Offset from `options.length`) at `offset`;
 * returns the bytes written. The checksum is written as given.
 * @throws RangeError on a value out of range, options not a multiple of 4 or longer than 40, or no room.
 */
export function emitTcp(f: TcpFields, out: Uint8Array, offset = 0): number {
  assertUint(f.srcPort, 16, 'srcPort');
  assertUint(f.dstPort, 16, 'dstPort');
  assertUint(f.seq, 32, 'seq');
  assertUint(f.ack, 32, 'ack');
  assertUint(f.flags, 9, 'flags');
  assertUint(f.window, 16, 'window');
  assertUint(f.checksum, 16, 'checksum');
  assertUint(f.urgentPointer, 16, 'urgentPointer');
  const optLen = f.options.length;
  if (optLen % 4 !== 0 || optLen > TCP_MAX_HEADER_LEN - TCP_MIN_HEADER_LEN) {
    throw new RangeError(`TCP options must be 0..40 bytes in multiples of 4, got ${optLen}`);
  }
  const len = TCP_MIN_HEADER_LEN + optLen;
  assertRoom(out, offset, len, 'TCP header');
  put16(out, offset + O.SRC_PORT, f.srcPort);
  put16(out, offset + O.DST_PORT, f.dstPort);
  put32(out, offset + O.SEQ, f.seq);
  put32(out, offset + O.ACK, f.ack);
  out[offset + O.DATA_OFFSET] = ((len / 4) << 4) | (f.flags >>> 8);
  out[offset + O.FLAGS] = f.flags & 0xff;
  put16(out, offset + O.WINDOW, f.window);
  put16(out, offset + O.CHECKSUM, f.checksum);
  put16(out, offset + O.URGENT, f.urgentPointer);
  out.set(f.options, offset + O.OPTIONS);
  return len;
}
