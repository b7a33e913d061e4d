/**
 * Geneve base header (RFC 8926 §3.4). All lengths are in bytes unless the name says Words.
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Ver|  Opt Len  |O|C|    Rsvd.  |          Protocol Type        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |        Virtual Network Identifier (VNI)       |    Reserved   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Variable-Length Options                    |
 * |                     (Opt Len * 4 bytes)                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 * Opt Len counts 4-byte words and excludes the 8 fixed bytes, so the payload starts at
 * `8 + 4 * OptLen` (at most 260). The options themselves are walked by `GeneveOptionCursor`
 * (options.ts); {@link GeneveView.check} validates only the base header and the Opt Len claim.
 */
import { assertUint, put16, put24, u16, u24 } from '../net/bytes.js';
import { err, ok, truncated, wireError, type Result, type WireError } from '../net/errors.js';

/** Bytes before the options (RFC 8926 §3.4). */
export const GENEVE_FIXED_LEN = 8;
/** Largest options area in bytes: the 6-bit Opt Len (63 words) × 4. */
export const GENEVE_MAX_OPTIONS_LEN = 252;
/** Largest base header plus options in bytes (8 + 252). */
export const GENEVE_MAX_HEADER_LEN = GENEVE_FIXED_LEN + GENEVE_MAX_OPTIONS_LEN;
/** IANA UDP destination port for Geneve (RFC 8926 §3.3). */
export const GENEVE_UDP_PORT = 6081;
/** Bytes of an option TLV header (class, type, R bits + Length) (RFC 8926 §3.5). */
export const GENEVE_OPTION_HEADER_LEN = 4;
/** Largest option data in bytes: the 5-bit option Length (31 words) × 4 (OVS `TLV_MAX_OPT_SIZE`). */
export const GENEVE_MAX_OPTION_DATA_LEN = 124;
/** Protocol Type of an Ethernet payload (Transparent Ethernet Bridging). */
export const GENEVE_PROTOCOL_TYPE_ETHERNET = 0x6558;

/** Byte offsets from the header start (RFC 8926 §3.4 diagram). */
const O = { VER_OPTLEN: 0, FLAGS: 1, PROTOCOL_TYPE: 2, VNI: 4, RSVD2: 7, OPTIONS: 8 } as const;
/** Masks within bytes 0 and 1. */
const M = { VER: 0xc0, OPT_LEN: 0x3f, O_BIT: 0x80, C_BIT: 0x40, RSVD: 0x3f } as const;
/** Bit shift of Ver in byte 0. */
const VER_SHIFT = 6;

/** O (control / OAM) bit in byte 1. */
export const GENEVE_FLAG_O = M.O_BIT;
/** C (critical options present) bit in byte 1. */
export const GENEVE_FLAG_C = M.C_BIT;
/** The 6 reserved bits of byte 1. */
export const GENEVE_FLAGS_RESERVED_MASK = M.RSVD;

/** {@link GeneveView.wrap} code: the header is usable. */
export const GENEVE_OK = 0;
/** Code: fewer than 8 bytes from the offset. */
export const GENEVE_ERR_TRUNCATED = 1;
/** Code: `8 + 4 * OptLen` runs past the end. */
export const GENEVE_ERR_OPT_LEN = 2;
/** Code: Ver ≠ 0. */
export const GENEVE_ERR_VERSION = 3;

/**
 * Zero-copy view over a Geneve base header at `(bytes, offset)` (RFC 8926 §3.4).
 *
 * Accessors read the buffer directly; their `!` index assertions are safe only after
 * {@link GeneveView.check} or a zero return from {@link GeneveView.wrap} (the 8 fixed bytes and the
 * `OptLen * 4` option bytes are present). Setters check ranges (typed arrays wrap silently). Setting
 * {@link GeneveView.optLenWords} / {@link GeneveView.optionsLength} or {@link GeneveView.version}
 * invalidates a previous check (the claim may no longer fit, or the version is no longer 0); the
 * other setters do not.
 */
export class GeneveView {
  private constructor(
    public bytes: Uint8Array,
    public offset: number,
  ) {}

  /** No checks: for buffers you are about to fill (emit), never for received bytes. */
  static unchecked(bytes: Uint8Array, offset = 0): GeneveView {
    return new GeneveView(bytes, offset);
  }

  /** A reusable empty view for {@link GeneveView.wrap} (hot path, no allocation per packet). */
  static empty(): GeneveView {
    return new GeneveView(new Uint8Array(0), 0);
  }

  /**
   * Validate a Geneve base header in `bytes[offset..end)`, in OVS order: 8 fixed bytes →
   * Opt Len claim vs the bytes available → version. Options are not walked (see `checkGeneveOptions`).
   * @returns the view, or a {@link WireError}: `truncated` (field `header`), `length-overrun`
   * (field `optLen`), `bad-version` (field `version`), all at `offset`.
   */
  static check(bytes: Uint8Array, offset = 0, end = bytes.length): Result<GeneveView> {
    const code = checkGeneve(bytes, offset, end);
    return code === GENEVE_OK ? ok(new GeneveView(bytes, offset)) : err(geneveError(code, bytes, offset, end));
  }

  /**
   * Re-point this view in place and check it like {@link GeneveView.check}, without allocating.
   * @returns {@link GENEVE_OK} or a `GENEVE_ERR_*` code (expand with {@link geneveError}).
   */
  wrap(bytes: Uint8Array, offset: number, end = bytes.length): number {
    this.bytes = bytes;
    this.offset = offset;
    return checkGeneve(bytes, offset, end);
  }

  /** Ver: 2 bits (`0xc0` of byte 0); only 0 is defined. Setting it invalidates a check. */
  get version(): number {
    return (this.bytes[this.offset]! & M.VER) >>> VER_SHIFT;
  }
  set version(v: number) {
    assertUint(v, 2, 'version');
    const i = this.offset + O.VER_OPTLEN;
    this.bytes[i] = (this.bytes[i]! & M.OPT_LEN) | (v << VER_SHIFT);
  }
  /** Opt Len: 6 bits (`0x3f` of byte 0), options length in 4-byte words, 0..63. Setting it invalidates a check. */
  get optLenWords(): number {
    return this.bytes[this.offset]! & M.OPT_LEN;
  }
  set optLenWords(v: number) {
    assertUint(v, 6, 'optLenWords');
    const i = this.offset + O.VER_OPTLEN;
    this.bytes[i] = (this.bytes[i]! & M.VER) | v;
  }
  /** Options length in bytes (`4 * optLenWords`), 0..252. @throws RangeError unless a multiple of 4 in range. */
  get optionsLength(): number {
    return this.optLenWords * 4;
  }
  set optionsLength(v: number) {
    if (!Number.isInteger(v) || v < 0 || v > GENEVE_MAX_OPTIONS_LEN || v % 4 !== 0) {
      throw new RangeError(`optionsLength must be a multiple of 4 in 0..${GENEVE_MAX_OPTIONS_LEN}, got ${v}`);
    }
    this.optLenWords = v / 4;
  }
  /** Byte 1 as a whole (O, C and the 6 reserved bits). */
  get flags(): number {
    return this.bytes[this.offset + O.FLAGS]!;
  }
  set flags(v: number) {
    assertUint(v, 8, 'flags');
    this.bytes[this.offset + O.FLAGS] = v;
  }
  /**
   * O bit (`0x80` of byte 1): a control packet whose payload endpoints must not forward.
   * Linux, OVS and gopacket call it "OAM" (`oam`, `FLOW_TNL_F_OAM`); Cilium calls it `control`.
   */
  get control(): boolean {
    return (this.bytes[this.offset + O.FLAGS]! & M.O_BIT) !== 0;
  }
  set control(v: boolean) {
    this.setBit(O.FLAGS, M.O_BIT, v);
  }
  /** C bit (`0x40` of byte 1): critical options are present (must be set if any option's type has `0x80`). */
  get critical(): boolean {
    return (this.bytes[this.offset + O.FLAGS]! & M.C_BIT) !== 0;
  }
  set critical(v: boolean) {
    this.setBit(O.FLAGS, M.C_BIT, v);
  }
  /** Rsvd: the 6 low bits of byte 1 (must be 0 on transmit, ignored on receive). */
  get reservedFlags(): number {
    return this.bytes[this.offset + O.FLAGS]! & M.RSVD;
  }
  set reservedFlags(v: number) {
    assertUint(v, 6, 'reservedFlags');
    const i = this.offset + O.FLAGS;
    this.bytes[i] = (this.bytes[i]! & ~M.RSVD) | v;
  }
  /** Protocol Type: 16 bits, bytes 2–3, an EtherType (0x6558 = Ethernet). */
  get protocolType(): number {
    return u16(this.bytes, this.offset + O.PROTOCOL_TYPE);
  }
  set protocolType(v: number) {
    assertUint(v, 16, 'protocolType');
    put16(this.bytes, this.offset + O.PROTOCOL_TYPE, v);
  }
  /** Virtual Network Identifier: 24 bits, bytes 4–6. */
  get vni(): number {
    return u24(this.bytes, this.offset + O.VNI);
  }
  set vni(v: number) {
    assertUint(v, 24, 'vni');
    put24(this.bytes, this.offset + O.VNI, v);
  }
  /** Reserved: byte 7 (must be 0 on transmit, ignored on receive). */
  get reserved(): number {
    return this.bytes[this.offset + O.RSVD2]!;
  }
  set reserved(v: number) {
    assertUint(v, 8, 'reserved');
    this.bytes[this.offset + O.RSVD2] = v;
  }
  /** Base header plus options in bytes: `8 + optionsLength` (8..260). */
  get headerLength(): number {
    return GENEVE_FIXED_LEN + this.optionsLength;
  }
  /** Absolute offset of the first option in `bytes` (`offset + 8`). */
  get optionsOffset(): number {
    return this.offset + O.OPTIONS;
  }
  /** Absolute offset of the payload in `bytes` (`offset + headerLength`), also the end of the options. */
  get payloadOffset(): number {
    return this.offset + this.headerLength;
  }

  private setBit(at: number, mask: number, v: boolean): void {
    const i = this.offset + at;
    this.bytes[i] = v ? this.bytes[i]! | mask : this.bytes[i]! & ~mask;
  }
}

function checkGeneve(bytes: Uint8Array, offset: number, end: number): number {
  const avail = Math.min(end, bytes.length) - offset;
  if (avail < GENEVE_FIXED_LEN) return GENEVE_ERR_TRUNCATED;
  const b0 = bytes[offset]!;
  if (GENEVE_FIXED_LEN + (b0 & M.OPT_LEN) * 4 > avail) return GENEVE_ERR_OPT_LEN;
  if ((b0 & M.VER) !== 0) return GENEVE_ERR_VERSION;
  return GENEVE_OK;
}

/**
 * Expand a {@link GeneveView.wrap} code into a {@link WireError} (layer `geneve`, `at` = `offset`):
 * - {@link GENEVE_ERR_TRUNCATED} → `truncated`, field `header`, found = bytes available, allowed `>= 8 bytes`;
 * - {@link GENEVE_ERR_OPT_LEN} → `length-overrun`, field `optLen`, found = claimed header length
 *   `8 + 4 * OptLen` in bytes, allowed `<= N bytes` (N = bytes available);
 * - {@link GENEVE_ERR_VERSION} → `bad-version`, field `version`, found = Ver, allowed `0`.
 */
export function geneveError(code: number, bytes: Uint8Array, offset: number, end = bytes.length): WireError {
  const avail = Math.min(end, bytes.length) - offset;
  switch (code) {
    case GENEVE_ERR_TRUNCATED:
      return truncated('geneve', offset, GENEVE_FIXED_LEN, avail);
    case GENEVE_ERR_OPT_LEN:
      return wireError('length-overrun', 'geneve', offset, 'optLen', GENEVE_FIXED_LEN + (bytes[offset]! & M.OPT_LEN) * 4, `<= ${avail} bytes`);
    case GENEVE_ERR_VERSION:
      return wireError('bad-version', 'geneve', offset, 'version', (bytes[offset]! & M.VER) >>> VER_SHIFT, '0');
    default:
      return wireError('bad-value', 'geneve', offset, 'header', code, 'valid Geneve header');
  }
}
