/**
 * NVGRE header (RFC 7637 §3.2): a GRE header with only K set, version 0, protocol type 0x6558 (Transparent
 * Ethernet Bridging), whose 32-bit key carries a 24-bit Virtual Subnet ID and an 8-bit FlowID.
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |0| |1|0|   Reserved0     | Ver |   Protocol Type 0x6558        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |               Virtual Subnet ID (VSID)        |    FlowID     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 * So the first word is always `0x20006558`, the header is 8 bytes and `key = VSID << 8 | FlowID`.
 * VSIDs 0x000000–0x000FFF are reserved for future use and 0xFFFFFF for vendor-specific NVE-to-NVE
 * communication (RFC 7637 §3.4). The inner frame is Ethernet without FCS and without an 802.1Q tag (§3.3).
 */
import { assertUint, put16, put24, u16, u24, u32 } from '../net/bytes.js';
import { err, ok, truncated, wireError, type Result, type WireError } from '../net/errors.js';
import { ETHERTYPE_TEB, GRE_FLAG_K, type GreFields } from '../net/gre.js';

/** NVGRE header length in bytes (GRE fixed part + key). */
export const NVGRE_HEADER_LEN = 8;
/** The only flags/version word NVGRE allows: K set, everything else 0, version 0. */
export const NVGRE_FLAGS_VERSION = GRE_FLAG_K;
/** Protocol type of NVGRE: Transparent Ethernet Bridging. */
export const NVGRE_PROTOCOL_TYPE = ETHERTYPE_TEB;
/** The first 32-bit word of every NVGRE header. */
export const NVGRE_FIRST_WORD = 0x20006558;
/** Highest VSID of the low reserved range 0x000000–0x000FFF (RFC 7637 §3.4). */
export const NVGRE_VSID_RESERVED_MAX = 0x000fff;
/** VSID reserved for vendor-specific NVE-to-NVE communication (RFC 7637 §3.4). */
export const NVGRE_VSID_VENDOR = 0xffffff;
/** Lowest VSID open to tenant networks. */
export const NVGRE_VSID_MIN = 0x001000;
/** Highest VSID open to tenant networks. */
export const NVGRE_VSID_MAX = 0xfffffe;

/** Numeric codes returned by {@link NvgreView.wrap} (0 = ok); expand with {@link nvgreError}. */
export const NVGRE_OK = 0;
/** Fewer than 8 bytes. */
export const NVGRE_ERR_TRUNCATED = 1;
/** Flags/version word is not 0x2000. */
export const NVGRE_ERR_FLAGS = 2;
/** Protocol type is not 0x6558. */
export const NVGRE_ERR_PROTOCOL = 3;

/** Byte offsets. */
const O = { FLAGS_VERSION: 0, PROTOCOL_TYPE: 2, VSID: 4, FLOW_ID: 7 } as const;

/** True for the reserved VSIDs 0x000000–0x000FFF and 0xFFFFFF (RFC 7637 §3.4). */
export function isReservedVsid(vsid: number): boolean {
  return vsid <= NVGRE_VSID_RESERVED_MAX || vsid === NVGRE_VSID_VENDOR;
}

/**
 * Whether the GRE header at `bytes[offset..end)` has the NVGRE layout: K=1, C=R=S=0, s=0, recursion 0,
 * reserved flags 0, version 0 and protocol 0x6558 — i.e. first word `0x20006558` (tshark oracle's rule).
 * Needs only the first 4 bytes; false when fewer are present. Never throws.
 */
export function isNvgre(bytes: Uint8Array, offset = 0, end = bytes.length): boolean {
  return offset >= 0 && Math.min(end, bytes.length) - offset >= 4 && u32(bytes, offset) === NVGRE_FIRST_WORD;
}

/** {@link isNvgre} on parsed GRE fields (for the packet walker). */
export function isNvgreFields(g: GreFields): boolean {
  return (
    g.keyPresent &&
    !g.checksumPresent &&
    !g.routingPresent &&
    !g.sequencePresent &&
    !g.strictSourceRoute &&
    !g.ackPresent &&
    g.recursion === 0 &&
    g.reservedFlags === 0 &&
    g.version === 0 &&
    g.protocolType === NVGRE_PROTOCOL_TYPE
  );
}

function checkNvgre(bytes: Uint8Array, offset: number, end: number): number {
  if (!(offset >= 0) || Math.min(end, bytes.length) - offset < NVGRE_HEADER_LEN) return NVGRE_ERR_TRUNCATED;
  if (u16(bytes, offset) !== NVGRE_FLAGS_VERSION) return NVGRE_ERR_FLAGS;
  if (u16(bytes, offset + O.PROTOCOL_TYPE) !== NVGRE_PROTOCOL_TYPE) return NVGRE_ERR_PROTOCOL;
  return NVGRE_OK;
}

/**
 * Expand a {@link NvgreView.wrap} code into a {@link WireError}:
 * `truncated` (at = header start, found = bytes available, `>= 8 bytes`); `bad-flags` (at = start,
 * found = the 16-bit flags/version word, allowed `0x2000 (K only, version 0)`); `bad-value` on the protocol
 * type (at = start + 2, allowed `0x6558`).
 */
export function nvgreError(code: number, bytes: Uint8Array, offset: number, end = bytes.length): WireError {
  if (code === NVGRE_ERR_TRUNCATED) return truncated('nvgre', offset, NVGRE_HEADER_LEN, Math.min(end, bytes.length) - offset);
  if (code === NVGRE_ERR_FLAGS) return wireError('bad-flags', 'nvgre', offset, 'flagsVersion', u16(bytes, offset), '0x2000 (K only, version 0)');
  if (code === NVGRE_ERR_PROTOCOL) {
    return wireError('bad-value', 'nvgre', offset + O.PROTOCOL_TYPE, 'protocolType', u16(bytes, offset + O.PROTOCOL_TYPE), '0x6558');
  }
  return wireError('bad-value', 'nvgre', offset, 'header', code, 'valid NVGRE header');
}

/**
 * Zero-copy view over an NVGRE header at `(bytes, offset)`.
 * The `!` index assertions are safe only after {@link NvgreView.check} or a zero return from
 * {@link NvgreView.wrap} (8 bytes present, first word 0x20006558). Setters validate ranges; the
 * `flagsVersion` and `protocolType` setters can make the header non-NVGRE and so invalidate a previous check.
 */
export class NvgreView {
  private constructor(
    public bytes: Uint8Array,
    public offset: number,
  ) {}

  /** No checks: for buffers you are about to fill (emit), never for received bytes. */
  static unchecked(bytes: Uint8Array, offset = 0): NvgreView {
    return new NvgreView(bytes, offset);
  }

  /** A reusable empty view for {@link NvgreView.wrap} (hot path, no allocation per packet). */
  static empty(): NvgreView {
    return new NvgreView(new Uint8Array(0), 0);
  }

  /**
   * Validate an NVGRE header in `bytes[offset..end)`: length first, then layout.
   * @returns the view, or a `truncated` / `bad-flags` / `bad-value` {@link WireError} (see {@link nvgreError}).
   */
  static check(bytes: Uint8Array, offset = 0, end = bytes.length): Result<NvgreView> {
    const code = checkNvgre(bytes, offset, end);
    return code === NVGRE_OK ? ok(new NvgreView(bytes, offset)) : err(nvgreError(code, bytes, offset, end));
  }

  /** Re-point this view in place; returns {@link NVGRE_OK} or an error code (expand with {@link nvgreError}). */
  wrap(bytes: Uint8Array, offset: number, end = bytes.length): number {
    this.bytes = bytes;
    this.offset = offset;
    return checkNvgre(bytes, offset, end);
  }

  /** Bytes 0–1: GRE flags/version word (0x2000 in NVGRE). */
  get flagsVersion(): number {
    return u16(this.bytes, this.offset + O.FLAGS_VERSION);
  }
  set flagsVersion(v: number) {
    assertUint(v, 16, 'flagsVersion');
    put16(this.bytes, this.offset + O.FLAGS_VERSION, v);
  }
  /** Bytes 2–3: protocol type (0x6558 in NVGRE). */
  get protocolType(): number {
    return u16(this.bytes, this.offset + O.PROTOCOL_TYPE);
  }
  set protocolType(v: number) {
    assertUint(v, 16, 'protocolType');
    put16(this.bytes, this.offset + O.PROTOCOL_TYPE, v);
  }
  /** 24-bit Virtual Subnet ID, bytes 4–6. */
  get vsid(): number {
    return u24(this.bytes, this.offset + O.VSID);
  }
  set vsid(v: number) {
    assertUint(v, 24, 'vsid');
    put24(this.bytes, this.offset + O.VSID, v);
  }
  /** 8-bit FlowID, byte 7 (per-flow entropy; 0 when not generated). */
  get flowId(): number {
    return this.bytes[this.offset + O.FLOW_ID]!;
  }
  set flowId(v: number) {
    assertUint(v, 8, 'flowId');
    this.bytes[this.offset + O.FLOW_ID] = v;
  }
  /** The whole 32-bit GRE key, bytes 4–7 (`vsid << 8 | flowId`). */
  get key(): number {
    return u32(this.bytes, this.offset + O.VSID);
  }
  /** Header length in bytes (always 8). */
  get headerLength(): number {
    return NVGRE_HEADER_LEN;
  }
  /** Offset of the inner Ethernet frame in `bytes`. */
  get payloadOffset(): number {
    return this.offset + NVGRE_HEADER_LEN;
  }
}
