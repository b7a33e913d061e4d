/**
 * General GRE header: RFC 2784 (base), RFC 2890 (key, sequence), RFC 1701 (legacy routing,
 * strict source route, recursion) and PPTP enhanced GRE, version 1 (RFC 2637 §4.1).
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |C|R|K|S|s|Recur|A| Flags   | Ver |         Protocol Type         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |      Checksum (optional)      |  Reserved1 / Offset (optional)|  if C or R (RFC 1701)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                         Key (optional)                        |  if K (ver 1: payload length | call ID)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 Sequence Number (optional)                    |  if S
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |              Acknowledgment Number (optional)                 |  if A and ver 1 (PPTP)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |            Routing (optional): list of SREs                   |  if R (RFC 1701)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * SRE (RFC 1701 §2.2); the list ends with an SRE of address family 0 and length 0:
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |       Address Family          |  SRE Offset   |  SRE Length   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 Routing Information (SRE Length bytes) ...
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 * Flag masks are those of tcpdump `gre.h` and OVS `packets.h`. The A bit (0x0080) is a flag only in
 * version 1; in version 0 it is the top bit of the 5 reserved flag bits (as tshark reads it).
 * Field order (checksum/offset, key, sequence, ack, routing) follows RFC 1701 §2.1 and Wireshark
 * `packet-gre.c`. Versions 2..7 have no defined layout and are reported as `bad-version`.
 */
import { assertRoom, assertUint, put16, put32, u16, u32 } from './bytes.js';
import { onesSum, fold } from './checksum.js';
import { err, ok, truncated, wireError, type ParseOptions, type Result, type WireError } from './errors.js';

/** IPv4 protocol / IPv6 next-header number of GRE (IANA). */
export const IP_PROTO_GRE = 47;
/** EtherType of Transparent Ethernet Bridging (an Ethernet frame follows; NVGRE, gretap). */
export const ETHERTYPE_TEB = 0x6558;

/** Bytes of the fixed part (flags/version word + protocol type). */
export const GRE_FIXED_LEN = 4;
/** Bytes of an SRE header (address family, SRE offset, SRE length) before its routing information. */
export const GRE_SRE_HEADER_LEN = 4;
/** Checksum present (RFC 2784). With R, RFC 1701 also carries checksum + offset. */
export const GRE_FLAG_C = 0x8000;
/** Routing present (RFC 1701; reserved in RFC 2784). */
export const GRE_FLAG_R = 0x4000;
/** Key present (RFC 2890). */
export const GRE_FLAG_K = 0x2000;
/** Sequence number present (RFC 2890). */
export const GRE_FLAG_S = 0x1000;
/** Strict source route, "s" (RFC 1701). */
export const GRE_FLAG_SSR = 0x0800;
/** Recursion control, 3 bits (RFC 1701). */
export const GRE_RECUR_MASK = 0x0700;
/** Acknowledgment number present: PPTP, version 1 only (RFC 2637 §4.1). */
export const GRE_FLAG_A = 0x0080;
/** Reserved flag bits 8–12 for version 0 (includes the A position). */
export const GRE_FLAGS_RESERVED_MASK = 0x00f8;
/** Reserved flag bits 9–12 for version 1 (bit 8 is A). */
export const GRE_FLAGS_RESERVED_MASK_V1 = 0x0078;
/** Version, 3 bits: 0 = GRE, 1 = PPTP enhanced GRE. */
export const GRE_VERSION_MASK = 0x0007;
/** Version number of PPTP enhanced GRE (RFC 2637). */
export const GRE_VERSION_PPTP = 1;

/** Numeric codes returned by {@link GreView.wrap} (0 = ok); expand with {@link greError}. */
export const GRE_OK = 0;
/** Fewer than 4 bytes. */
export const GRE_ERR_TRUNCATED = 1;
/** Version 2..7. */
export const GRE_ERR_BAD_VERSION = 2;
/** The checksum/offset, key, sequence or ack word is cut. */
export const GRE_ERR_TRUNCATED_FIELDS = 3;
/** The SRE list runs past `end` before its terminator. */
export const GRE_ERR_TRUNCATED_ROUTING = 4;

/** Byte offsets. */
const O = { FLAGS_VERSION: 0, PROTOCOL_TYPE: 2, OPTIONAL: 4 } as const;

/** Bytes of the optional 32-bit words (checksum/offset, key, sequence, ack) for a flags/version word. */
function optionalWordsLength(fv: number): number {
  return (
    (fv & (GRE_FLAG_C | GRE_FLAG_R) ? 4 : 0) +
    (fv & GRE_FLAG_K ? 4 : 0) +
    (fv & GRE_FLAG_S ? 4 : 0) +
    ((fv & GRE_VERSION_MASK) === GRE_VERSION_PPTP && fv & GRE_FLAG_A ? 4 : 0)
  );
}

/**
 * Walk the SRE list starting at `at`, never reading at or past `limit`.
 * @returns the list length in bytes (terminator included, ≥ 4), or `-need` where `need` is the number of
 * bytes from `at` the list claims so far (> `limit - at`) when it is cut. Terminates: each step moves ≥ 4 bytes.
 */
function sreListLength(b: Uint8Array, at: number, limit: number): number {
  let i = at;
  for (;;) {
    if (limit - i < GRE_SRE_HEADER_LEN) return -(i - at + GRE_SRE_HEADER_LEN);
    const af = u16(b, i);
    const len = b[i + 3]!;
    if (af === 0 && len === 0) return i - at + GRE_SRE_HEADER_LEN;
    const next = i + GRE_SRE_HEADER_LEN + len;
    if (next > limit) return -(next - at);
    i = next;
  }
}

function checkGre(bytes: Uint8Array, offset: number, end: number): number {
  const limit = Math.min(end, bytes.length);
  if (!(offset >= 0) || limit - offset < GRE_FIXED_LEN) return GRE_ERR_TRUNCATED;
  const fv = u16(bytes, offset);
  if ((fv & GRE_VERSION_MASK) > GRE_VERSION_PPTP) return GRE_ERR_BAD_VERSION;
  const fixed = GRE_FIXED_LEN + optionalWordsLength(fv);
  if (limit - offset < fixed) return GRE_ERR_TRUNCATED_FIELDS;
  if (fv & GRE_FLAG_R && sreListLength(bytes, offset + fixed, limit) < 0) return GRE_ERR_TRUNCATED_ROUTING;
  return GRE_OK;
}

/**
 * Expand a {@link GreView.wrap} code into a {@link WireError} (slow path; allocates).
 * - `truncated` (at = GRE start, found = bytes available): field `header` (< 4 bytes), `checksum` / `key` /
 *   `sequence` / `ack` (the first optional word cut; required = 4 + optional words), or `routing`
 *   (required = bytes the SRE list claims up to the cut).
 * - `bad-version` (at = GRE start + 1, found = version, allowed `0 or 1`).
 */
export function greError(code: number, bytes: Uint8Array, offset: number, end = bytes.length): WireError {
  const limit = Math.min(end, bytes.length);
  const avail = limit - offset;
  if (code === GRE_ERR_TRUNCATED) return truncated('gre', offset, GRE_FIXED_LEN, avail);
  const fv = u16(bytes, offset);
  if (code === GRE_ERR_BAD_VERSION) return wireError('bad-version', 'gre', offset + 1, 'version', fv & GRE_VERSION_MASK, '0 or 1');
  const fixed = GRE_FIXED_LEN + optionalWordsLength(fv);
  if (code === GRE_ERR_TRUNCATED_FIELDS) {
    let at = GRE_FIXED_LEN;
    const words: [boolean, string][] = [
      [(fv & (GRE_FLAG_C | GRE_FLAG_R)) !== 0, 'checksum'],
      [(fv & GRE_FLAG_K) !== 0, 'key'],
      [(fv & GRE_FLAG_S) !== 0, 'sequence'],
      [(fv & GRE_VERSION_MASK) === GRE_VERSION_PPTP && (fv & GRE_FLAG_A) !== 0, 'ack'],
    ];
    let field = 'header';
    for (const [present, name] of words) {
      if (!present) continue;
      at += 4;
      if (at > avail) {
        field = name;
        break;
      }
    }
    return truncated('gre', offset, fixed, avail, field);
  }
  if (code === GRE_ERR_TRUNCATED_ROUTING) {
    const r = sreListLength(bytes, offset + fixed, limit);
    return truncated('gre', offset, fixed + Math.abs(r), avail, 'routing');
  }
  return wireError('bad-value', 'gre', offset, 'header', code, 'valid GRE header');
}

/**
 * Zero-copy view over a GRE header at `(bytes, offset)`.
 * Accessors read the buffer directly; the `!` index assertions are safe only after {@link GreView.check}
 * or a zero return from {@link GreView.wrap}, which guarantee that the fixed part, every optional word the
 * flags announce and (with R) the whole SRE list up to its terminator lie inside the bytes checked.
 * Optional-field getters return `undefined` when their flag is clear.
 *
 * Setters validate ranges. The flag and version setters (C, R, K, S, A, `version`, `flagsVersion`) move or
 * add optional fields and so invalidate a previous check; set the flags first, then the field values.
 * The other setters leave a check valid.
 */
export class GreView {
  private constructor(
    public bytes: Uint8Array,
    public offset: number,
  ) {}

  /** No checks: for buffers you are about to fill (emit), never for received bytes. */
  static unchecked(bytes: Uint8Array, offset = 0): GreView {
    return new GreView(bytes, offset);
  }

  /** A reusable empty view for {@link GreView.wrap} (hot path, no allocation per packet). */
  static empty(): GreView {
    return new GreView(new Uint8Array(0), 0);
  }

  /**
   * Validate a GRE header in `bytes[offset..end)`: fixed part, version, optional words, SRE list.
   * @returns the view, or a `truncated` / `bad-version` {@link WireError} (see {@link greError}).
   */
  static check(bytes: Uint8Array, offset = 0, end = bytes.length): Result<GreView> {
    const code = checkGre(bytes, offset, end);
    return code === GRE_OK ? ok(new GreView(bytes, offset)) : err(greError(code, bytes, offset, end));
  }

  /** Re-point this view in place; returns {@link GRE_OK} or an error code (expand with {@link greError}). */
  wrap(bytes: Uint8Array, offset: number, end = bytes.length): number {
    this.bytes = bytes;
    this.offset = offset;
    return checkGre(bytes, offset, end);
  }

  /** Bytes 0–1: the 16-bit flags/recursion/version word. Invalidates a previous check. */
  get flagsVersion(): number {
    return u16(this.bytes, this.offset + O.FLAGS_VERSION);
  }
  set flagsVersion(v: number) {
    assertUint(v, 16, 'flagsVersion');
    put16(this.bytes, this.offset + O.FLAGS_VERSION, v);
  }
  /** C: checksum present (RFC 2784 §2.1). */
  get checksumPresent(): boolean {
    return (this.flagsVersion & GRE_FLAG_C) !== 0;
  }
  set checksumPresent(v: boolean) {
    this.setFlag(GRE_FLAG_C, v);
  }
  /** R: routing present (RFC 1701; must be 0 under RFC 2784). */
  get routingPresent(): boolean {
    return (this.flagsVersion & GRE_FLAG_R) !== 0;
  }
  set routingPresent(v: boolean) {
    this.setFlag(GRE_FLAG_R, v);
  }
  /** K: key present (RFC 2890 §2). */
  get keyPresent(): boolean {
    return (this.flagsVersion & GRE_FLAG_K) !== 0;
  }
  set keyPresent(v: boolean) {
    this.setFlag(GRE_FLAG_K, v);
  }
  /** S: sequence number present (RFC 2890 §2). */
  get sequencePresent(): boolean {
    return (this.flagsVersion & GRE_FLAG_S) !== 0;
  }
  set sequencePresent(v: boolean) {
    this.setFlag(GRE_FLAG_S, v);
  }
  /** s: strict source route (RFC 1701; reserved, 0, in RFC 2784). */
  get strictSourceRoute(): boolean {
    return (this.flagsVersion & GRE_FLAG_SSR) !== 0;
  }
  set strictSourceRoute(v: boolean) {
    this.setFlag(GRE_FLAG_SSR, v);
  }
  /** Recursion control, 3 bits, 0..7 (RFC 1701; reserved in RFC 2784). */
  get recursion(): number {
    return (this.flagsVersion & GRE_RECUR_MASK) >>> 8;
  }
  set recursion(v: number) {
    assertUint(v, 3, 'recursion');
    this.flagsVersion = (this.flagsVersion & ~GRE_RECUR_MASK) | (v << 8);
  }
  /** A: acknowledgment number present. True only in version 1 (PPTP); in version 0 the bit is reserved. */
  get ackPresent(): boolean {
    return this.version === GRE_VERSION_PPTP && (this.flagsVersion & GRE_FLAG_A) !== 0;
  }
  /** Sets the raw A bit (0x0080); it becomes a flag only once `version` is 1. */
  set ackPresent(v: boolean) {
    this.setFlag(GRE_FLAG_A, v);
  }
  /**
   * Reserved flag bits as a number, shifted down (tshark `gre.flags.reserved`): bits 8–12 (`0x00F8 >> 3`,
   * 0..31) in version 0; bits 9–12 (`0x0078 >> 3`, 0..15) in version 1. The setter follows the current version.
   */
  get reservedFlags(): number {
    return (this.flagsVersion & this.reservedMask()) >>> 3;
  }
  set reservedFlags(v: number) {
    const mask = this.reservedMask();
    assertUint(v, mask === GRE_FLAGS_RESERVED_MASK ? 5 : 4, 'reservedFlags');
    this.flagsVersion = (this.flagsVersion & ~mask) | (v << 3);
  }
  /** Version, 3 bits (0 = GRE, 1 = PPTP; 2..7 fail {@link GreView.check}). */
  get version(): number {
    return this.bytes[this.offset + 1]! & GRE_VERSION_MASK;
  }
  set version(v: number) {
    assertUint(v, 3, 'version');
    this.flagsVersion = (this.flagsVersion & ~GRE_VERSION_MASK) | v;
  }
  /** Bytes 2–3: EtherType of the payload (0x0800, 0x86DD, 0x6558 TEB, 0x880B PPP...). */
  get protocolType(): number {
    return u16(this.bytes, this.offset + O.PROTOCOL_TYPE);
  }
  set protocolType(v: number) {
    assertUint(v, 16, 'protocolType');
    put16(this.bytes, this.offset + O.PROTOCOL_TYPE, v);
  }
  /** 16-bit checksum as stored, bytes 4–5 (present when C or R; meaningful only when C). */
  get checksum(): number | undefined {
    return this.flagsVersion & (GRE_FLAG_C | GRE_FLAG_R) ? u16(this.bytes, this.offset + O.OPTIONAL) : undefined;
  }
  /** @throws RangeError when neither C nor R is set, or outside 0..0xffff. */
  set checksum(v: number) {
    assertUint(v, 16, 'checksum');
    put16(this.bytes, this.fieldAt(GRE_FLAG_C | GRE_FLAG_R, 'checksum'), v);
  }
  /** Bytes 6–7: RFC 1701 Offset (to the active SRE), Reserved1 in RFC 2784; present when C or R. */
  get offsetField(): number | undefined {
    return this.flagsVersion & (GRE_FLAG_C | GRE_FLAG_R) ? u16(this.bytes, this.offset + O.OPTIONAL + 2) : undefined;
  }
  /** @throws RangeError when neither C nor R is set, or outside 0..0xffff. */
  set offsetField(v: number) {
    assertUint(v, 16, 'offsetField');
    put16(this.bytes, this.fieldAt(GRE_FLAG_C | GRE_FLAG_R, 'offsetField') + 2, v);
  }
  /** 32-bit key (present when K). Version 1 reads it as payload length (16) | call ID (16). */
  get key(): number | undefined {
    return this.keyPresent ? u32(this.bytes, this.keyAt()) : undefined;
  }
  /** @throws RangeError when K is clear, or outside 0..2^32-1. */
  set key(v: number) {
    assertUint(v, 32, 'key');
    put32(this.bytes, this.fieldAt(GRE_FLAG_K, 'key'), v);
  }
  /** PPTP (version 1) payload length: upper 16 bits of the key field; undefined unless version 1 with K. */
  get pptpPayloadLength(): number | undefined {
    return this.version === GRE_VERSION_PPTP && this.keyPresent ? u16(this.bytes, this.keyAt()) : undefined;
  }
  /** PPTP (version 1) call ID: lower 16 bits of the key field; undefined unless version 1 with K. */
  get pptpCallId(): number | undefined {
    return this.version === GRE_VERSION_PPTP && this.keyPresent ? u16(this.bytes, this.keyAt() + 2) : undefined;
  }
  /** 32-bit sequence number (present when S). */
  get sequence(): number | undefined {
    return this.sequencePresent ? u32(this.bytes, this.sequenceAt()) : undefined;
  }
  /** @throws RangeError when S is clear, or outside 0..2^32-1. */
  set sequence(v: number) {
    assertUint(v, 32, 'sequence');
    put32(this.bytes, this.fieldAt(GRE_FLAG_S, 'sequence'), v);
  }
  /** 32-bit acknowledgment number (present when version 1 and A). */
  get ack(): number | undefined {
    return this.ackPresent ? u32(this.bytes, this.ackAt()) : undefined;
  }
  /** @throws RangeError unless version 1 with A, or outside 0..2^32-1. */
  set ack(v: number) {
    assertUint(v, 32, 'ack');
    if (!this.ackPresent) throw new RangeError('ack: A flag clear or version is not 1');
    put32(this.bytes, this.ackAt(), v);
  }
  /** Absolute offset of the first SRE (where routing would start); meaningful when R is set. */
  get routingOffset(): number {
    return this.offset + GRE_FIXED_LEN + optionalWordsLength(this.flagsVersion);
  }
  /**
   * Bytes of the SRE list including its terminator (0 when R is clear). Walks the list (bounded by
   * `bytes.length`); on an unchecked view over a cut list, the length claimed so far.
   */
  get routingLength(): number {
    if (!this.routingPresent) return 0;
    return Math.abs(sreListLength(this.bytes, this.routingOffset, this.bytes.length));
  }
  /** Header length in bytes: 4 + 4·(C|R) + 4·K + 4·S + 4·(A, version 1) + routing list (R). */
  get headerLength(): number {
    return GRE_FIXED_LEN + optionalWordsLength(this.flagsVersion) + this.routingLength;
  }
  /** Absolute offset of the payload in `bytes`. */
  get payloadOffset(): number {
    return this.offset + this.headerLength;
  }
  /** The payload `bytes[payloadOffset..end)`. Returns a subarray of the input: copy before reusing the buffer. */
  payload(end = this.bytes.length): Uint8Array {
    return this.bytes.subarray(this.payloadOffset, end);
  }

  private reservedMask(): number {
    return this.version === GRE_VERSION_PPTP ? GRE_FLAGS_RESERVED_MASK_V1 : GRE_FLAGS_RESERVED_MASK;
  }
  private setFlag(mask: number, v: boolean): void {
    const fv = this.flagsVersion;
    this.flagsVersion = v ? fv | mask : fv & ~mask;
  }
  private keyAt(): number {
    return this.offset + O.OPTIONAL + (this.flagsVersion & (GRE_FLAG_C | GRE_FLAG_R) ? 4 : 0);
  }
  private sequenceAt(): number {
    return this.keyAt() + (this.keyPresent ? 4 : 0);
  }
  private ackAt(): number {
    return this.sequenceAt() + (this.sequencePresent ? 4 : 0);
  }
  private fieldAt(flags: number, name: string): number {
    if (!(this.flagsVersion & flags)) throw new RangeError(`${name}: its presence flag is clear`);
    if (flags === GRE_FLAG_K) return this.keyAt();
    if (flags === GRE_FLAG_S) return this.sequenceAt();
    return this.offset + O.OPTIONAL;
  }
}

/**
 * Non-allocating cursor over the SREs of a checked {@link GreView} (terminator excluded).
 * ```ts
 * const c = new GreSreCursor();
 * for (let more = c.first(view); more; more = c.next()) use(c.addressFamily, c.data());
 * ```
 * Each position is validated against the limit before it is exposed, so it is safe on unchecked views too.
 */
export class GreSreCursor {
  /** Buffer walked. */
  bytes: Uint8Array = new Uint8Array(0);
  /** Absolute offset of the current SRE. */
  at = 0;
  private limit = 0;

  /** Move to the first SRE of `view` (bounded by `end`); false when R is clear, the list is empty or cut. */
  first(view: GreView, end = view.bytes.length): boolean {
    this.bytes = view.bytes;
    this.limit = Math.min(end, view.bytes.length);
    if (!view.routingPresent) return false;
    this.at = view.routingOffset;
    return this.valid();
  }
  /** Move to the next SRE; false at the terminator or when the list is cut. */
  next(): boolean {
    this.at += GRE_SRE_HEADER_LEN + this.sreLength;
    return this.valid();
  }
  /** 16-bit address family (0x0800 IP, 0xFFFE ASN per RFC 1701 §2.2). */
  get addressFamily(): number {
    return u16(this.bytes, this.at);
  }
  /** 8-bit SRE offset (to the active entry in the routing information). */
  get sreOffset(): number {
    return this.bytes[this.at + 2]!;
  }
  /** 8-bit SRE length: bytes of routing information. */
  get sreLength(): number {
    return this.bytes[this.at + 3]!;
  }
  /** The routing information. Returns a subarray of the input: copy before reusing the buffer. */
  data(): Uint8Array {
    return this.bytes.subarray(this.at + GRE_SRE_HEADER_LEN, this.at + GRE_SRE_HEADER_LEN + this.sreLength);
  }
  private valid(): boolean {
    if (this.limit - this.at < GRE_SRE_HEADER_LEN) return false;
    if (this.addressFamily === 0 && this.sreLength === 0) return false;
    return this.at + GRE_SRE_HEADER_LEN + this.sreLength <= this.limit;
  }
}

/** One RFC 1701 Source Route Entry (the terminating entry is implicit). */
export interface GreSre {
  /** 16-bit address family. */
  readonly addressFamily: number;
  /** 8-bit SRE offset. */
  readonly sreOffset: number;
  /** Routing information, 0..255 bytes (parse: a subarray of the input). */
  readonly data: Uint8Array;
}

/**
 * A GRE header as a plain object. Each optional value is present exactly when its flag says so:
 * `checksum`/`offset` when C or R, `key` when K, `sequence` when S, `ack` when `ackPresent`, `routing` when R.
 */
export interface GreFields {
  /** C flag. */
  readonly checksumPresent: boolean;
  /** R flag (RFC 1701). */
  readonly routingPresent: boolean;
  /** K flag. */
  readonly keyPresent: boolean;
  /** S flag. */
  readonly sequencePresent: boolean;
  /** s flag (RFC 1701). */
  readonly strictSourceRoute: boolean;
  /** Recursion control, 0..7 (RFC 1701). */
  readonly recursion: number;
  /** A flag; only true in version 1. */
  readonly ackPresent: boolean;
  /** Reserved flag bits, shifted: 0..31 (version 0, bits 8–12) or 0..15 (version 1, bits 9–12). */
  readonly reservedFlags: number;
  /** 0 (GRE) or 1 (PPTP). */
  readonly version: number;
  /** 16-bit EtherType of the payload. */
  readonly protocolType: number;
  /** Stored checksum (C or R). */
  readonly checksum?: number;
  /** RFC 1701 Offset / RFC 2784 Reserved1 (C or R). */
  readonly offset?: number;
  /** 32-bit key (K); version 1: payload length << 16 | call ID. */
  readonly key?: number;
  /** 32-bit sequence number (S). */
  readonly sequence?: number;
  /** 32-bit acknowledgment number (version 1 with A). */
  readonly ack?: number;
  /** SRE list without its terminator (R). */
  readonly routing?: readonly GreSre[];
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function fixedFields(v: GreView): Mutable<GreFields> {
  return {
    checksumPresent: v.checksumPresent,
    routingPresent: v.routingPresent,
    keyPresent: v.keyPresent,
    sequencePresent: v.sequencePresent,
    strictSourceRoute: v.strictSourceRoute,
    recursion: v.recursion,
    ackPresent: v.ackPresent,
    reservedFlags: v.reservedFlags,
    version: v.version,
    protocolType: v.protocolType,
  };
}

function fullFields(v: GreView): GreFields {
  const f = fixedFields(v);
  if (f.checksumPresent || f.routingPresent) {
    f.checksum = v.checksum!;
    f.offset = v.offsetField!;
  }
  if (f.keyPresent) f.key = v.key!;
  if (f.sequencePresent) f.sequence = v.sequence!;
  if (f.ackPresent) f.ack = v.ack!;
  if (f.routingPresent) {
    const list: GreSre[] = [];
    const c = new GreSreCursor();
    for (let more = c.first(v); more; more = c.next()) list.push({ addressFamily: c.addressFamily, sreOffset: c.sreOffset, data: c.data() });
    f.routing = list;
  }
  return f;
}

/** Policy checks of strict mode, in bit order; undefined when the header passes. */
function strictError(v: GreView): WireError | undefined {
  const at = v.offset;
  const fv = v.flagsVersion;
  if (v.routingPresent) return wireError('bad-flags', 'gre', at, 'flags.R', fv, 'R clear (RFC 2784 §2.1)');
  if (v.strictSourceRoute) return wireError('reserved-nonzero', 'gre', at, 'strictSourceRoute', 1, '0');
  if (v.recursion) return wireError('reserved-nonzero', 'gre', at, 'recursion', v.recursion, '0');
  if (v.reservedFlags) return wireError('reserved-nonzero', 'gre', at + 1, 'reservedFlags', v.reservedFlags, '0');
  if (v.version === GRE_VERSION_PPTP && (v.checksumPresent || !v.keyPresent)) {
    return wireError('bad-flags', 'gre', at, 'flags', fv, 'C clear and K set for version 1 (RFC 2637 §4.1)');
  }
  if (v.checksumPresent && v.offsetField) return wireError('reserved-nonzero', 'gre', at + 6, 'reserved1', v.offsetField, '0');
  return undefined;
}

/** Result of {@link parseGreLax}: what was decoded, and the error that stopped decoding (if any). */
export interface GreLaxResult {
  /** Full fields when only a strict-mode check failed; the fixed 4-byte part when later fields are cut or the version is unknown. */
  readonly value?: GreFields;
  /** The error that stopped decoding. */
  readonly error?: WireError;
}

/**
 * Lax parse for capture tools (etherparse `Lax*`): never throws. Returns `{ value }` on success;
 * `{ error }` when the fixed part is cut; `{ value: fixed part, error }` on `bad-version` or a cut optional
 * word / SRE list; `{ value: all fields, error }` when only a strict-mode check fails.
 * Routing data are subarrays of the input.
 */
export function parseGreLax(bytes: Uint8Array, offset = 0, end = bytes.length, opts: ParseOptions = {}): GreLaxResult {
  const code = checkGre(bytes, offset, end);
  if (code === GRE_ERR_TRUNCATED) return { error: greError(code, bytes, offset, end) };
  const v = GreView.unchecked(bytes, offset);
  if (code !== GRE_OK) return { value: fixedFields(v), error: greError(code, bytes, offset, end) };
  const value = fullFields(v);
  const e = opts.strict ? strictError(v) : undefined;
  return e ? { value, error: e } : { value };
}

/**
 * Parse a GRE header at `offset`, bounded by `end`. Never throws.
 * Errors: `truncated` (fixed part, an optional word or the SRE list cut; see {@link greError}); `bad-version`
 * (version 2..7). Strict mode (Linux/OVS style) adds, in bit order: `bad-flags` when R is set (RFC 2784
 * receivers discard it), `reserved-nonzero` for s, recursion, reserved flag bits, `bad-flags` for version 1
 * without K or with C (RFC 2637 §4.1), and `reserved-nonzero` for a nonzero Reserved1 next to a checksum.
 * Checks run fixed length → version → optional words and SRE list → policy: the version comes before the
 * claimed length because the A word exists only in version 1.
 * Routing data are subarrays of the input: copy before reusing the buffer.
 */
export function parseGre(bytes: Uint8Array, offset = 0, end = bytes.length, opts: ParseOptions = {}): Result<GreFields> {
  const r = parseGreLax(bytes, offset, end, opts);
  return r.error ? err(r.error) : ok(r.value!);
}

function assertSres(list: readonly GreSre[]): void {
  for (const s of list) {
    assertUint(s.addressFamily, 16, 'sre.addressFamily');
    assertUint(s.sreOffset, 8, 'sre.sreOffset');
    assertUint(s.data.length, 8, 'sre.data.length');
    if (s.addressFamily === 0 && s.data.length === 0) throw new RangeError('an SRE with address family 0 and no data would end the list');
  }
}

function sresLength(list: readonly GreSre[]): number {
  let n = GRE_SRE_HEADER_LEN;
  for (const s of list) n += GRE_SRE_HEADER_LEN + s.data.length;
  return n;
}

function writeSres(list: readonly GreSre[], out: Uint8Array, offset: number): number {
  let i = offset;
  for (const s of list) {
    put16(out, i, s.addressFamily);
    out[i + 2] = s.sreOffset;
    out[i + 3] = s.data.length;
    out.set(s.data, i + GRE_SRE_HEADER_LEN);
    i += GRE_SRE_HEADER_LEN + s.data.length;
  }
  put32(out, i, 0); // terminator: address family 0, SRE offset 0, length 0
  return i + GRE_SRE_HEADER_LEN - offset;
}

/**
 * Write an RFC 1701 SRE list and its terminator at `offset` (e.g. at {@link GreView.routingOffset} when building
 * a header through a view); returns the bytes written (4 per entry + data, + 4).
 * @throws RangeError on out-of-range entries, an entry that would read as the terminator, or too little room.
 */
export function emitGreRouting(list: readonly GreSre[], out: Uint8Array, offset: number): number {
  assertSres(list);
  assertRoom(out, offset, sresLength(list), 'GRE routing');
  return writeSres(list, out, offset);
}

/** Bytes {@link emitGre} writes for `f` (also the parsed header length). */
export function greLength(f: GreFields): number {
  let n = GRE_FIXED_LEN;
  if (f.checksumPresent || f.routingPresent) n += 4;
  if (f.keyPresent) n += 4;
  if (f.sequencePresent) n += 4;
  if (f.ackPresent) n += 4;
  if (f.routingPresent && f.routing) n += sresLength(f.routing);
  return n;
}

function assertPresence(present: boolean, value: unknown, name: string): void {
  if (present !== (value !== undefined)) {
    throw new RangeError(`${name} must be given exactly when its flag is set (flag ${present}, value ${String(value)})`);
  }
}

/**
 * Write every byte of `f` into `out` at `offset` (the terminating SRE included); returns the bytes written.
 * The checksum is written as given: fill it afterwards with {@link fillGreChecksum}.
 * @throws RangeError when a value is out of range (version not 0/1, recursion > 7, reserved flags too wide for
 * the version, A with version 0, 16/32-bit fields, SRE data > 255 bytes or an SRE that would read as the
 * terminator), when an optional value is missing for a set flag or given for a clear one, or when `out` is too small.
 */
export function emitGre(f: GreFields, out: Uint8Array, offset = 0): number {
  if (f.version !== 0 && f.version !== GRE_VERSION_PPTP) throw new RangeError(`version must be 0 or 1, got ${f.version}`);
  assertUint(f.recursion, 3, 'recursion');
  assertUint(f.reservedFlags, f.version === GRE_VERSION_PPTP ? 4 : 5, 'reservedFlags');
  if (f.ackPresent && f.version !== GRE_VERSION_PPTP) throw new RangeError('ackPresent requires version 1');
  assertUint(f.protocolType, 16, 'protocolType');
  const cr = f.checksumPresent || f.routingPresent;
  assertPresence(cr, f.checksum, 'checksum');
  assertPresence(cr, f.offset, 'offset');
  assertPresence(f.keyPresent, f.key, 'key');
  assertPresence(f.sequencePresent, f.sequence, 'sequence');
  assertPresence(f.ackPresent, f.ack, 'ack');
  assertPresence(f.routingPresent, f.routing, 'routing');
  if (cr) {
    assertUint(f.checksum!, 16, 'checksum');
    assertUint(f.offset!, 16, 'offset');
  }
  if (f.keyPresent) assertUint(f.key!, 32, 'key');
  if (f.sequencePresent) assertUint(f.sequence!, 32, 'sequence');
  if (f.ackPresent) assertUint(f.ack!, 32, 'ack');
  if (f.routing) assertSres(f.routing);
  const len = greLength(f);
  assertRoom(out, offset, len, 'GRE header');
  // All values are validated above: nothing below throws, so a failed emit leaves `out` untouched.
  const fv =
    (f.checksumPresent ? GRE_FLAG_C : 0) |
    (f.routingPresent ? GRE_FLAG_R : 0) |
    (f.keyPresent ? GRE_FLAG_K : 0) |
    (f.sequencePresent ? GRE_FLAG_S : 0) |
    (f.strictSourceRoute ? GRE_FLAG_SSR : 0) |
    (f.recursion << 8) |
    (f.ackPresent ? GRE_FLAG_A : 0) |
    (f.reservedFlags << 3) |
    f.version;
  put16(out, offset, fv);
  put16(out, offset + 2, f.protocolType);
  let i = offset + GRE_FIXED_LEN;
  if (cr) {
    put16(out, i, f.checksum!);
    put16(out, i + 2, f.offset!);
    i += 4;
  }
  if (f.keyPresent) {
    put32(out, i, f.key!);
    i += 4;
  }
  if (f.sequencePresent) {
    put32(out, i, f.sequence!);
    i += 4;
  }
  if (f.ackPresent) {
    put32(out, i, f.ack!);
    i += 4;
  }
  if (f.routing) i += writeSres(f.routing, out, i);
  return i - offset;
}

/**
 * The checksum to store for the GRE packet `bytes[greOffset..end)` (header + payload): the Internet checksum
 * (RFC 1071) computed with the checksum field taken as 0 and no pseudo-header (RFC 2784 §2.2).
 * @throws RangeError when the range is shorter than 6 bytes or lies outside `bytes`.
 */
export function computeGreChecksum(bytes: Uint8Array, greOffset: number, end = bytes.length): number {
  if (!Number.isInteger(greOffset) || greOffset < 0 || end > bytes.length || end - greOffset < 6) {
    throw new RangeError(`GRE checksum range ${greOffset}..${end} invalid for a buffer of ${bytes.length}`);
  }
  const sum = onesSum(bytes, greOffset, greOffset + 4) + onesSum(bytes, greOffset + 6, end);
  return ~fold(sum) & 0xffff;
}

/** Compute and store the checksum of `bytes[greOffset..end)` in bytes 4–5; returns it. @throws RangeError as {@link computeGreChecksum}. */
export function fillGreChecksum(bytes: Uint8Array, greOffset: number, end = bytes.length): number {
  const c = computeGreChecksum(bytes, greOffset, end);
  put16(bytes, greOffset + 4, c);
  return c;
}

/**
 * Verify the checksum of the GRE packet `bytes[greOffset..end)` as OVS does: the one's-complement sum over
 * the whole range, checksum field as stored, must be 0xffff. Never throws.
 * @returns false when the header does not check (cut, bad version) or C is set and the sum is wrong; true when
 * C is clear (nothing to verify, as Linux and OVS accept) or the checksum is right.
 */
export function verifyGreChecksum(bytes: Uint8Array, greOffset: number, end = bytes.length): boolean {
  if (checkGre(bytes, greOffset, end) !== GRE_OK) return false;
  if (!(u16(bytes, greOffset) & GRE_FLAG_C)) return true;
  return onesSum(bytes, greOffset, Math.min(end, bytes.length)) === 0xffff;
}
