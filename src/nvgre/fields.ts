/**
 * Plain-object form of the NVGRE header (RFC 7637 §3.2): parse (never throws) and emit (writes all 8 bytes).
 */
import { assertRoom, assertUint, put16, put24 } from '../net/bytes.js';
import { err, ok, wireError, type ParseOptions, type Result } from '../net/errors.js';
import type { GreFields } from '../net/gre.js';
import { NVGRE_FLAGS_VERSION, NVGRE_HEADER_LEN, NVGRE_PROTOCOL_TYPE, NvgreView, isNvgreFields, isReservedVsid } from './header.js';

/** An NVGRE header as a plain object. */
export interface NvgreFields {
  /** 24-bit Virtual Subnet ID. */
  readonly vsid: number;
  /** 8-bit FlowID. */
  readonly flowId: number;
  /** Protocol type: always 0x6558 (Transparent Ethernet Bridging). */
  readonly protocolType: number;
}

/**
 * Parse an NVGRE header at `offset` (bounded by `end`). Never throws.
 * Errors: `truncated` (< 8 bytes); `bad-flags` when the flags/version word is not 0x2000 (found = that word,
 * allowed `0x2000 (K only, version 0)`); `bad-value` when the protocol type is not 0x6558; in strict mode
 * `bad-value` on a reserved VSID (0x000000–0x000FFF, 0xFFFFFF; RFC 7637 §3.4).
 */
export function parseNvgre(bytes: Uint8Array, offset = 0, end = bytes.length, opts: ParseOptions = {}): Result<NvgreFields> {
  const r = NvgreView.check(bytes, offset, end);
  if (!r.ok) return r;
  const v = r.value;
  const vsid = v.vsid;
  if (opts.strict && isReservedVsid(vsid)) {
    return err(wireError('bad-value', 'nvgre', offset + 4, 'vsid', vsid, '0x001000..0xfffffe (RFC 7637 §3.4)'));
  }
  return ok({ vsid, flowId: v.flowId, protocolType: v.protocolType });
}

/** NVGRE fields from parsed GRE fields, or undefined when they are not NVGRE ({@link isNvgreFields}). */
export function nvgreFromGre(g: GreFields): NvgreFields | undefined {
  if (!isNvgreFields(g) || g.key === undefined) return undefined;
  return { vsid: g.key >>> 8, flowId: g.key & 0xff, protocolType: g.protocolType };
}

/** Bytes {@link emitNvgre} writes (8). */
export function nvgreLength(_f?: NvgreFields): number {
  return NVGRE_HEADER_LEN;
}

/**
 * Write all 8 bytes of `f` into `out` at `offset` (`20 00 65 58 | VSID | FlowID`); returns 8.
 * Reserved VSIDs are written as given (check {@link isReservedVsid} for policy).
 * @throws RangeError when vsid > 0xFFFFFF, flowId > 0xFF, protocolType ≠ 0x6558, or `out` is too small.
 */
export function emitNvgre(f: NvgreFields, out: Uint8Array, offset = 0): number {
  assertUint(f.vsid, 24, 'vsid');
  assertUint(f.flowId, 8, 'flowId');
  if (f.protocolType !== NVGRE_PROTOCOL_TYPE) throw new RangeError(`NVGRE protocolType must be 0x6558, got ${f.protocolType}`);
  assertRoom(out, offset, NVGRE_HEADER_LEN, 'NVGRE header');
  put16(out, offset, NVGRE_FLAGS_VERSION);
  put16(out, offset + 2, NVGRE_PROTOCOL_TYPE);
  put24(out, offset + 4, f.vsid);
  out[offset + 7] = f.flowId;
  return NVGRE_HEADER_LEN;
}
