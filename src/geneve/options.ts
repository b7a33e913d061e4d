/**
 * Geneve option TLVs (RFC 8926 §3.5) and a non-allocating walker over them.
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Option Class         |C|    Type     |R|R|R| Length  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 Variable Option Data (Length * 4 bytes)       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 * C is the most significant bit of the Type byte (`0x80`, Linux/OVS `GENEVE_CRIT_OPT_TYPE`), not one
 * of the R bits; type numbers are quoted with it included (OVN `0x80`). Length counts 4-byte words
 * and excludes the 4-byte option header: an option spans `4 + 4 * Length` bytes (4..128). The options
 * must fill the base header's Opt Len exactly.
 */
import { assertUint, put16, u16 } from '../net/bytes.js';
import { truncated, wireError, type WireError } from '../net/errors.js';
import { GENEVE_MAX_OPTION_DATA_LEN, GENEVE_OPTION_HEADER_LEN } from './header.js';

/** Byte offsets from the option start. */
const O = { CLASS: 0, TYPE: 2, RBITS_LEN: 3, DATA: 4 } as const;
/** Masks: C in the Type byte; R bits and Length in byte 3. */
const M = { CRIT: 0x80, RBITS: 0xe0, LEN: 0x1f } as const;
/** Bit shift of the R bits in byte 3. */
const RBITS_SHIFT = 5;

/** The critical bit of an option Type byte (RFC 8926 §3.5). */
export const GENEVE_OPTION_CRITICAL = M.CRIT;
/** The three R bits of option byte 3. */
export const GENEVE_OPTION_RBITS_MASK = M.RBITS;
/** The 5-bit Length field of option byte 3 (words). */
export const GENEVE_OPTION_LEN_MASK = M.LEN;

/** {@link GeneveOptionCursor.next}: the walk reached the end exactly. */
export const GENEVE_OPT_DONE = 0;
/** {@link GeneveOptionCursor.next}: an option is current; read it through the accessors. */
export const GENEVE_OPT_CURRENT = 1;
/** {@link GeneveOptionCursor.next}: fewer than 4 bytes left for an option header. */
export const GENEVE_OPT_ERR_TRUNCATED = -1;
/** {@link GeneveOptionCursor.next}: the option's `4 + 4 * Length` runs past the end. */
export const GENEVE_OPT_ERR_OVERRUN = -2;

/**
 * Non-allocating walker over the options in `bytes[start..end)` (normally
 * `view.optionsOffset..view.payloadOffset` of a checked {@link GeneveView}).
 *
 * ```ts
 * const cur = new GeneveOptionCursor();            // once
 * cur.reset(bytes, view.optionsOffset, view.payloadOffset);
 * let c: number;
 * while ((c = cur.next()) === GENEVE_OPT_CURRENT) use(cur.optionClass, cur.type, cur.dataOffset, cur.dataLength);
 * if (c !== GENEVE_OPT_DONE) report(cur.error());
 * ```
 * Every step is bounded by `end` (clamped to `bytes.length`), so the accessors never read past it
 * while `next()` last returned {@link GENEVE_OPT_CURRENT}. After an error the cursor stays on it:
 * `offset` is the start of the bad option and further `next()` calls return the same code.
 * Setters check ranges and write the current option in place (to build options, point the cursor with
 * {@link GeneveOptionCursor.at}); setting `lengthWords`/`dataLength` invalidates the walk and any
 * check of the enclosing header (the options may no longer add up to Opt Len).
 */
export class GeneveOptionCursor {
  /** Buffer being walked. */
  bytes: Uint8Array = new Uint8Array(0);
  /** Absolute offset of the current option (or of the bad option after an error). */
  offset = 0;
  private pos = 0;
  private end = 0;
  private status = GENEVE_OPT_DONE;

  /** Start a walk over `bytes[start..end)`; `end` is clamped to `bytes.length`. Returns `this`. */
  reset(bytes: Uint8Array, start: number, end: number): this {
    this.bytes = bytes;
    this.offset = start;
    this.pos = start;
    this.end = Math.min(end, bytes.length);
    this.status = GENEVE_OPT_CURRENT;
    return this;
  }

  /**
   * Point the cursor at an option header at `offset` without any check, for writing it with the
   * setters (never for received bytes). A later `next()` walks on from this option to `bytes.length`.
   */
  at(bytes: Uint8Array, offset: number): this {
    this.reset(bytes, offset, bytes.length);
    return this;
  }

  /**
   * Move to the next option.
   * @returns {@link GENEVE_OPT_CURRENT} (1), {@link GENEVE_OPT_DONE} (0, exact fit), or a negative
   * error code ({@link GENEVE_OPT_ERR_TRUNCATED}, {@link GENEVE_OPT_ERR_OVERRUN}); expand it with
   * {@link GeneveOptionCursor.error}.
   */
  next(): number {
    if (this.status !== GENEVE_OPT_CURRENT) return this.status;
    const at = this.pos;
    const rem = this.end - at;
    if (rem <= 0) {
      this.offset = at;
      return (this.status = GENEVE_OPT_DONE);
    }
    this.offset = at;
    if (rem < GENEVE_OPTION_HEADER_LEN) return (this.status = GENEVE_OPT_ERR_TRUNCATED);
    const total = GENEVE_OPTION_HEADER_LEN + (this.bytes[at + O.RBITS_LEN]! & M.LEN) * 4;
    if (total > rem) return (this.status = GENEVE_OPT_ERR_OVERRUN);
    this.pos = at + total;
    return GENEVE_OPT_CURRENT;
  }

  /** Option Class: 16 bits, option bytes 0–1. */
  get optionClass(): number {
    return u16(this.bytes, this.offset + O.CLASS);
  }
  set optionClass(v: number) {
    assertUint(v, 16, 'optionClass');
    put16(this.bytes, this.offset + O.CLASS, v);
  }
  /** Type: the full 8-bit byte 2, critical bit included. */
  get type(): number {
    return this.bytes[this.offset + O.TYPE]!;
  }
  set type(v: number) {
    assertUint(v, 8, 'type');
    this.bytes[this.offset + O.TYPE] = v;
  }
  /** C: `type & 0x80`; an endpoint that does not know (class, type) must drop the packet. */
  get critical(): boolean {
    return (this.bytes[this.offset + O.TYPE]! & M.CRIT) !== 0;
  }
  set critical(v: boolean) {
    const i = this.offset + O.TYPE;
    this.bytes[i] = v ? this.bytes[i]! | M.CRIT : this.bytes[i]! & ~M.CRIT;
  }
  /** R bits: 3 bits (`0xe0` of byte 3) as 0..7 (must be 0 on transmit, ignored on receive). */
  get rbits(): number {
    return (this.bytes[this.offset + O.RBITS_LEN]! & M.RBITS) >>> RBITS_SHIFT;
  }
  set rbits(v: number) {
    assertUint(v, 3, 'rbits');
    const i = this.offset + O.RBITS_LEN;
    this.bytes[i] = (this.bytes[i]! & M.LEN) | (v << RBITS_SHIFT);
  }
  /** Length: 5 bits (`0x1f` of byte 3), data length in 4-byte words, 0..31. */
  get lengthWords(): number {
    return this.bytes[this.offset + O.RBITS_LEN]! & M.LEN;
  }
  set lengthWords(v: number) {
    assertUint(v, 5, 'lengthWords');
    const i = this.offset + O.RBITS_LEN;
    this.bytes[i] = (this.bytes[i]! & M.RBITS) | v;
  }
  /** Data length in bytes (`4 * lengthWords`), 0..124. @throws RangeError unless a multiple of 4 in range. */
  get dataLength(): number {
    return this.lengthWords * 4;
  }
  set dataLength(v: number) {
    if (!Number.isInteger(v) || v < 0 || v > GENEVE_MAX_OPTION_DATA_LEN || v % 4 !== 0) {
      throw new RangeError(`dataLength must be a multiple of 4 in 0..${GENEVE_MAX_OPTION_DATA_LEN}, got ${v}`);
    }
    this.lengthWords = v / 4;
  }
  /** Absolute offset of the option data in `bytes`. */
  get dataOffset(): number {
    return this.offset + O.DATA;
  }
  /** Whole option in bytes, header included (`4 + dataLength`), 4..128. */
  get totalLength(): number {
    return GENEVE_OPTION_HEADER_LEN + this.dataLength;
  }
  /** The option data. Allocates a view object; returns a subarray that aliases the input (copy before reusing the buffer). */
  data(): Uint8Array {
    return this.bytes.subarray(this.offset + O.DATA, this.offset + O.DATA + this.dataLength);
  }

  /** The {@link WireError} for the current error code, or `null` when the walk is not in error. */
  error(): WireError | null {
    return geneveOptionError(this.status, this.bytes, this.offset, this.end);
  }
}

/**
 * Expand a cursor code for the option starting at `at`, in an options area ending at `end`:
 * - {@link GENEVE_OPT_ERR_TRUNCATED} → `truncated`, layer `geneve`, field `option`, found = bytes left, allowed `>= 4 bytes`;
 * - {@link GENEVE_OPT_ERR_OVERRUN} → `length-overrun`, field `option.length`, found = the option's claimed
 *   total length `4 + 4 * Length` in bytes, allowed `<= N bytes` (N = bytes left before `end`);
 * - any other code → `null`.
 */
export function geneveOptionError(code: number, bytes: Uint8Array, at: number, end: number): WireError | null {
  const rem = Math.min(end, bytes.length) - at;
  if (code === GENEVE_OPT_ERR_TRUNCATED) return truncated('geneve', at, GENEVE_OPTION_HEADER_LEN, rem, 'option');
  if (code === GENEVE_OPT_ERR_OVERRUN) {
    const claimed = GENEVE_OPTION_HEADER_LEN + (bytes[at + O.RBITS_LEN]! & M.LEN) * 4;
    return wireError('length-overrun', 'geneve', at, 'option.length', claimed, `<= ${rem} bytes`);
  }
  return null;
}

/**
 * Check that the options in `bytes[start..end)` fit exactly (RFC 8926 §3.5: their lengths must add
 * up to Opt Len). Does not allocate on success.
 * @returns `null`, or a `truncated` (field `option`) / `length-overrun` (field `option.length`)
 * {@link WireError} at the start of the first bad option.
 */
export function checkGeneveOptions(bytes: Uint8Array, start: number, end: number): WireError | null {
  const stop = Math.min(end, bytes.length);
  let at = start;
  while (at < stop) {
    const rem = stop - at;
    if (rem < GENEVE_OPTION_HEADER_LEN) return geneveOptionError(GENEVE_OPT_ERR_TRUNCATED, bytes, at, stop);
    const total = GENEVE_OPTION_HEADER_LEN + (bytes[at + O.RBITS_LEN]! & M.LEN) * 4;
    if (total > rem) return geneveOptionError(GENEVE_OPT_ERR_OVERRUN, bytes, at, stop);
    at += total;
  }
  return null;
}
