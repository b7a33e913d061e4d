/**
 * Plain-object form of a Geneve header with its options (RFC 8926 §3.4, §3.5): parse (never throws),
 * a lax parse that keeps what was decoded before an error, and emit (writes every byte).
 */
import { assertRoom, assertUint, put16, put24 } from '../net/bytes.js';
import { err, ok, wireError, type ParseOptions, type Result, type WireError } from '../net/errors.js';
import {
  GENEVE_ERR_OPT_LEN,
  GENEVE_ERR_TRUNCATED,
  GENEVE_FIXED_LEN,
  GENEVE_FLAG_C,
  GENEVE_FLAG_O,
  GENEVE_MAX_OPTION_DATA_LEN,
  GENEVE_MAX_OPTIONS_LEN,
  GENEVE_OK,
  GENEVE_OPTION_HEADER_LEN,
  GeneveView,
  geneveError,
} from './header.js';
import { GENEVE_OPT_CURRENT, GENEVE_OPTION_CRITICAL, GeneveOptionCursor } from './options.js';

/** One option TLV as a plain object (RFC 8926 §3.5). */
export interface GeneveOption {
  /** Option Class, 16 bits (IANA registry; 0x0102 = OVN, 0xff00–0xffff experimental). */
  readonly optionClass: number;
  /** Type, the full 8-bit byte with the critical bit `0x80` included (OVN's is `0x80`). */
  readonly type: number;
  /** The critical bit; always equals `(type & 0x80) !== 0` (emit throws `RangeError` otherwise). */
  readonly critical: boolean;
  /** The three R bits as 0..7 (0 on transmit; kept so that emit(parse(b)) is byte-exact). */
  readonly rbits: number;
  /**
   * Option data, `4 * Length` bytes (0..124, a multiple of 4), without the 4-byte option header.
   * On parse this is a subarray that aliases the input: copy it before reusing the buffer.
   */
  readonly data: Uint8Array;
}

/** A Geneve base header and its options as a plain object (RFC 8926 §3.4). */
export interface GeneveFields {
  /** Ver, 2 bits; parse returns only 0 (other versions are `bad-version`). */
  readonly version: number;
  /** O bit: control packet ("OAM" in Linux/OVS/gopacket). */
  readonly control: boolean;
  /** C bit: critical options present. Emit writes it as given (Linux style); see {@link geneveHasCriticalOption}. */
  readonly critical: boolean;
  /** The 6 reserved bits of byte 1 (0 on transmit). */
  readonly reservedFlags: number;
  /** Protocol Type, an EtherType (0x6558 = Ethernet); unknown values are kept. */
  readonly protocolType: number;
  /** 24-bit VNI. */
  readonly vni: number;
  /** Byte 7 (0 on transmit). */
  readonly reserved: number;
  /** Options in wire order (order is meaningful to transit devices, §3.5.1). Opt Len is derived from them. */
  readonly options: readonly GeneveOption[];
}

/** Result of {@link parseGeneveLax}: what was decoded, and the error that stopped the decode if any. */
export interface GeneveLaxResult {
  /** Absent only when the 8 fixed bytes are missing. */
  readonly value?: GeneveFields;
  /** The first error met; absent when the header decoded cleanly. */
  readonly error?: WireError;
}

function baseFields(v: GeneveView, options: readonly GeneveOption[]): GeneveFields {
  return {
    version: v.version,
    control: v.control,
    critical: v.critical,
    reservedFlags: v.reservedFlags,
    protocolType: v.protocolType,
    vni: v.vni,
    reserved: v.reserved,
    options,
  };
}

function optionOf(c: GeneveOptionCursor): GeneveOption {
  return { optionClass: c.optionClass, type: c.type, critical: c.critical, rbits: c.rbits, data: c.data() };
}

/**
 * Parse a Geneve header and its options at `offset`, bounded by `end` (normally the UDP payload end).
 * Checks in OVS order: fixed length → Opt Len vs available → version → (strict) reserved bits →
 * options (exact fit; strict: R bits). Option data aliases the input.
 * Unknown classes, types and protocol types are kept; the C bit is not cross-checked against the options
 * (that and "drop unknown critical options" are policy for the caller).
 * Errors: `truncated` (header or `option`), `length-overrun` (`optLen`, `option.length`), `bad-version`;
 * with `strict`, `reserved-nonzero` (fields `flags`, `reserved`, `option.rbits`).
 */
export function parseGeneve(bytes: Uint8Array, offset = 0, end = bytes.length, opts: ParseOptions = {}): Result<GeneveFields> {
  const r = GeneveView.check(bytes, offset, end);
  if (!r.ok) return r;
  const v = r.value;
  if (opts.strict) {
    if (v.reservedFlags) return err(wireError('reserved-nonzero', 'geneve', offset + 1, 'flags', v.reservedFlags, '0'));
    if (v.reserved) return err(wireError('reserved-nonzero', 'geneve', offset + 7, 'reserved', v.reserved, '0'));
  }
  const options: GeneveOption[] = [];
  const c = new GeneveOptionCursor().reset(bytes, v.optionsOffset, v.payloadOffset);
  while (c.next() === GENEVE_OPT_CURRENT) {
    if (opts.strict && c.rbits) return err(wireError('reserved-nonzero', 'geneve', c.offset + 3, 'option.rbits', c.rbits, '0'));
    options.push(optionOf(c));
  }
  const e = c.error();
  if (e) return err(e);
  return ok(baseFields(v, options));
}

/**
 * Lax parse for captures (etherparse `Lax*`): never throws, returns the base header plus the options
 * decoded before an error, with that error.
 * - fewer than 8 bytes: `{ error }` only (`truncated`);
 * - `bad-version`: `{ value, error }` with `options: []` (the option format is defined for version 0 only);
 * - Opt Len past `end`: `{ value, error }` with the whole options that fit in the bytes present;
 * - bad option: `{ value, error }` with the options before it;
 * - otherwise `{ value }`. Reserved bits are never rejected here. Option data aliases the input.
 */
export function parseGeneveLax(bytes: Uint8Array, offset = 0, end = bytes.length): GeneveLaxResult {
  const v = GeneveView.empty();
  const code = v.wrap(bytes, offset, end);
  if (code === GENEVE_ERR_TRUNCATED) return { error: geneveError(code, bytes, offset, end) };
  const headerError = code === GENEVE_OK ? null : geneveError(code, bytes, offset, end);
  const options: GeneveOption[] = [];
  let optionError: WireError | null = null;
  if (v.version === 0) {
    const stop = code === GENEVE_ERR_OPT_LEN ? Math.min(end, bytes.length) : v.payloadOffset;
    const c = new GeneveOptionCursor().reset(bytes, v.optionsOffset, stop);
    while (c.next() === GENEVE_OPT_CURRENT) options.push(optionOf(c));
    optionError = c.error();
  }
  const value = baseFields(v, options);
  const error = headerError ?? optionError;
  return error ? { value, error } : { value };
}

/** Bytes the options take on the wire: the sum of `4 + data.length` (no validation; see {@link emitGeneve}). */
export function geneveOptionsLength(options: readonly GeneveOption[]): number {
  let n = 0;
  for (const o of options) n += GENEVE_OPTION_HEADER_LEN + o.data.length;
  return n;
}

/** Bytes {@link emitGeneve} writes: `8 + geneveOptionsLength(f.options)`. */
export function geneveLength(f: GeneveFields): number {
  return GENEVE_FIXED_LEN + geneveOptionsLength(f.options);
}

/** Whether any option has the critical bit: the value the C bit must have (RFC 8926 §3.4; OVS computes it so). */
export function geneveHasCriticalOption(options: readonly GeneveOption[]): boolean {
  for (const o of options) if (o.type & GENEVE_OPTION_CRITICAL) return true;
  return false;
}

function assertOption(o: GeneveOption, i: number): void {
  assertUint(o.optionClass, 16, `options[${i}].optionClass`);
  assertUint(o.type, 8, `options[${i}].type`);
  assertUint(o.rbits, 3, `options[${i}].rbits`);
  if (o.critical !== ((o.type & GENEVE_OPTION_CRITICAL) !== 0)) {
    throw new RangeError(`options[${i}].critical (${o.critical}) disagrees with type 0x${o.type.toString(16)} (critical bit 0x80)`);
  }
  const n = o.data.length;
  if (n % 4 !== 0 || n > GENEVE_MAX_OPTION_DATA_LEN) {
    throw new RangeError(`options[${i}].data must be a multiple of 4 bytes in 0..${GENEVE_MAX_OPTION_DATA_LEN}, got ${n}`);
  }
}

/**
 * Write `f` into `out` at `offset`: the 8-byte base header (Opt Len computed from the options, every
 * other field as given, reserved ones included) followed by each option. Writes every byte of the
 * returned length, so a reused buffer comes out byte-exact. Emitting over the very bytes the options
 * alias (same buffer, same offset) is safe; other overlaps of `out` with option data are not.
 * @returns bytes written (`geneveLength(f)`).
 * @throws RangeError for a field out of range (version 2 bits, reservedFlags 6, protocolType 16,
 * vni 24, reserved 8; per option class 16, type 8, rbits 3), `critical` disagreeing with `type & 0x80`,
 * option data not a multiple of 4 or over 124 bytes, options over 252 bytes, or `out` too small.
 */
export function emitGeneve(f: GeneveFields, out: Uint8Array, offset = 0): number {
  assertUint(f.version, 2, 'version');
  assertUint(f.reservedFlags, 6, 'reservedFlags');
  assertUint(f.protocolType, 16, 'protocolType');
  assertUint(f.vni, 24, 'vni');
  assertUint(f.reserved, 8, 'reserved');
  f.options.forEach(assertOption);
  const optLen = geneveOptionsLength(f.options);
  if (optLen > GENEVE_MAX_OPTIONS_LEN) throw new RangeError(`Geneve options total ${optLen} bytes, more than ${GENEVE_MAX_OPTIONS_LEN}`);
  const total = GENEVE_FIXED_LEN + optLen;
  assertRoom(out, offset, total, 'Geneve header');
  out[offset] = (f.version << 6) | (optLen / 4);
  out[offset + 1] = (f.control ? GENEVE_FLAG_O : 0) | (f.critical ? GENEVE_FLAG_C : 0) | f.reservedFlags;
  put16(out, offset + 2, f.protocolType);
  put24(out, offset + 4, f.vni);
  out[offset + 7] = f.reserved;
  let at = offset + GENEVE_FIXED_LEN;
  for (const o of f.options) {
    put16(out, at, o.optionClass);
    out[at + 2] = o.type;
    out[at + 3] = (o.rbits << 5) | (o.data.length / 4);
    out.set(o.data, at + GENEVE_OPTION_HEADER_LEN);
    at += GENEVE_OPTION_HEADER_LEN + o.data.length;
  }
  return total;
}
