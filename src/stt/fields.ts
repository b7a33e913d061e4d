/**
 * Plain-object form of the 18-byte STT frame header: parse (never throws) and emit (writes all
 * 18 bytes, reserved and padding included). draft-davie-stt-08 §3.1.
 */
import { assertRoom, assertUint, put16, put64 } from '../net/bytes.js';
import { err, ok, wireError, type ParseOptions, type Result } from '../net/errors.js';
import {
  STT_FLAGS_RESERVED,
  STT_FLAG_CSUM_PARTIAL,
  STT_FLAG_CSUM_VERIFIED,
  STT_FLAG_IPV4,
  STT_FRAME_HEADER_LEN,
  SttView,
} from './header.js';

/** An STT frame header as a plain object. */
export interface SttFields {
  /** Version, 8 bits (0; parse rejects anything else). */
  readonly version: number;
  /** Flags byte, 8 bits: C `0x01`, P `0x02`, IPv4 `0x04`, TCP `0x08`, reserved `0xf0` (`STT_FLAG_*`). */
  readonly flags: number;
  /** L4 Offset in bytes from the start of the inner Ethernet frame, 0..255. */
  readonly l4Offset: number;
  /** Reserved byte (0 on transmit). */
  readonly reserved: number;
  /** Max. Segment Size in bytes, 0..65535 (0 without segmentation offload). */
  readonly mss: number;
  /** 802.1Q priority, 0..7. */
  readonly pcp: number;
  /** V bit: PCP and VLAN ID are valid. */
  readonly vlanValid: boolean;
  /** VLAN ID, 0..4095. */
  readonly vlanId: number;
  /** 64-bit Context ID, 0..2^64-1. */
  readonly contextId: bigint;
  /** Padding, 16 bits (0 on transmit). */
  readonly padding: number;
}

/**
 * Parse the STT frame header at `offset` (bounded by `end`): the first 18 bytes of the STT frame,
 * i.e. the data of the segment with fragment offset 0 (or of a reassembled frame). Never throws.
 *
 * Checks, in this order (OVS style): `truncated` (< 18 bytes); `bad-version` (version ≠ 0, which
 * draft-07/-08 say a version-0 implementation MUST discard). With `strict`: `reserved-nonzero` for
 * flag bits `0xf0` (field `flags`), the reserved byte (`reserved`) and the padding (`padding`);
 * `bad-flags` when C and P are both set (§3.1 "cannot both be set"); `bad-value` (field `l4Offset`)
 * when P is set and the L4 offset is below 14 + 20 (IPv4) or 14 + 40 (IPv6), which OVS
 * `set_offloads` drops. Without `strict` these are kept and ignored, as the draft says for receipt.
 */
export function parseStt(bytes: Uint8Array, offset = 0, end = bytes.length, opts: ParseOptions = {}): Result<SttFields> {
  const r = SttView.check(bytes, offset, end);
  if (!r.ok) return r;
  const v = r.value;
  if (v.version !== 0) return err(wireError('bad-version', 'stt', offset, 'version', v.version, '0'));
  if (opts.strict) {
    const flags = v.flags;
    if (flags & STT_FLAGS_RESERVED) return err(wireError('reserved-nonzero', 'stt', offset + 1, 'flags', flags, 'bits 0xf0 clear'));
    if ((flags & STT_FLAG_CSUM_VERIFIED) && (flags & STT_FLAG_CSUM_PARTIAL)) {
      return err(wireError('bad-flags', 'stt', offset + 1, 'flags', flags, 'C (0x01) and P (0x02) not both set'));
    }
    if (v.reserved) return err(wireError('reserved-nonzero', 'stt', offset + 3, 'reserved', v.reserved, '0'));
    if (v.padding) return err(wireError('reserved-nonzero', 'stt', offset + 16, 'padding', v.padding, '0'));
    if (flags & STT_FLAG_CSUM_PARTIAL) {
      const min = 14 + (flags & STT_FLAG_IPV4 ? 20 : 40);
      if (v.l4Offset < min) {
        return err(wireError('bad-value', 'stt', offset + 2, 'l4Offset', v.l4Offset, `>= ${min} when P is set (${flags & STT_FLAG_IPV4 ? 'IPv4' : 'IPv6'})`));
      }
    }
  }
  return ok({
    version: v.version,
    flags: v.flags,
    l4Offset: v.l4Offset,
    reserved: v.reserved,
    mss: v.mss,
    pcp: v.pcp,
    vlanValid: v.vlanValid,
    vlanId: v.vlanId,
    contextId: v.contextId,
    padding: v.padding,
  });
}

/** Bytes {@link emitStt} writes (18). */
export function sttLength(_f?: SttFields): number {
  return STT_FRAME_HEADER_LEN;
}

/**
 * Write all 18 bytes of `f` at `offset` (every field as given, reserved and padding included);
 * returns 18. The encoder does not apply policy (C+P, L4 offset): it writes what it is given.
 * @throws RangeError on a value out of range or no room.
 */
export function emitStt(f: SttFields, out: Uint8Array, offset = 0): number {
  assertUint(f.version, 8, 'version');
  assertUint(f.flags, 8, 'flags');
  assertUint(f.l4Offset, 8, 'l4Offset');
  assertUint(f.reserved, 8, 'reserved');
  assertUint(f.mss, 16, 'mss');
  assertUint(f.pcp, 3, 'pcp');
  assertUint(f.vlanId, 12, 'vlanId');
  assertUint(f.padding, 16, 'padding');
  if (f.contextId < 0n || f.contextId > 0xffffffffffffffffn) throw new RangeError(`contextId must be in 0..2^64-1, got ${f.contextId}`);
  assertRoom(out, offset, STT_FRAME_HEADER_LEN, 'STT frame header');
  out[offset] = f.version;
  out[offset + 1] = f.flags;
  out[offset + 2] = f.l4Offset;
  out[offset + 3] = f.reserved;
  put16(out, offset + 4, f.mss);
  put16(out, offset + 6, (f.pcp << 13) | (f.vlanValid ? 0x1000 : 0) | f.vlanId);
  put64(out, offset + 8, f.contextId);
  put16(out, offset + 16, f.padding);
  return STT_FRAME_HEADER_LEN;
}
