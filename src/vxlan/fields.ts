/**
 * Plain-object forms of VXLAN, VXLAN-GBP and VXLAN-GPE headers: parse (never throws) and emit
 * (writes all 8 bytes, reserved ones as 0). RFC 7348 §5; GBP-05 §2.1; GPE-12 §3.
 */
import { assertRoom, assertUint, put16, put24, u16 } from '../net/bytes.js';
import { err, ok, wireError, type ParseOptions, type Result } from '../net/errors.js';
import {
  VXLAN_FLAG_I,
  VXLAN_GBP_FLAG_A,
  VXLAN_GBP_FLAG_D,
  VXLAN_GBP_FLAG_G,
  VXLAN_HEADER_LEN,
  VxlanView,
} from './header.js';
import { GPE_FLAG_B, GPE_FLAG_I, GPE_FLAG_O, GPE_FLAG_P, VxlanGpeView } from './gpe.js';

/** How to read VXLAN bytes 0–3: plain RFC 7348, or with the GBP extension (Linux `gbp`, OVS `exts=gbp`). */
export type VxlanExtension = 'none' | 'gbp';

/** Group Based Policy fields (present when G is set and the GBP extension is on). */
export interface VxlanGbp {
  /** D bit. */
  readonly dontLearn: boolean;
  /** A bit. */
  readonly policyApplied: boolean;
  /** 16-bit Group Policy ID. */
  readonly groupPolicyId: number;
}

/** A VXLAN header as a plain object. */
export interface VxlanFields {
  /** I flag (must be true on transmit). */
  readonly vniValid: boolean;
  /** 24-bit VNI. */
  readonly vni: number;
  /** GBP fields when G is set under the GBP extension; absent otherwise. */
  readonly gbp?: VxlanGbp;
}

/** Options of {@link parseVxlan}. */
export interface VxlanParseOptions extends ParseOptions {
  /** Interpret G/D/A and the Group Policy ID (default `'gbp'`, as Wireshark does). */
  readonly extension?: VxlanExtension;
}

/**
 * Parse a VXLAN header at `offset` (bounded by `end`).
 * Errors: `truncated` (< 8 bytes); in strict mode `bad-flags` (I clear) and `reserved-nonzero`
 * (reserved bits set, as Linux and OVS userspace drop them).
 */
export function parseVxlan(bytes: Uint8Array, offset = 0, end = bytes.length, opts: VxlanParseOptions = {}): Result<VxlanFields> {
  const r = VxlanView.check(bytes, offset, end);
  if (!r.ok) return r;
  const v = r.value;
  const useGbp = (opts.extension ?? 'gbp') === 'gbp' && v.gbp;
  if (opts.strict) {
    if (!v.vniValid) return err(wireError('bad-flags', 'vxlan', offset, 'flags.I', v.flags, 'I flag (0x08) set'));
    const reservedFlags = v.flags & ~(VXLAN_FLAG_I | (useGbp ? VXLAN_GBP_FLAG_G : 0));
    if (reservedFlags) return err(wireError('reserved-nonzero', 'vxlan', offset, 'flags', v.flags, '0x08 (or 0x88 with GBP)'));
    const r1 = useGbp ? v.gbpFlags & ~(VXLAN_GBP_FLAG_D | VXLAN_GBP_FLAG_A) : v.reserved1;
    if (r1) return err(wireError('reserved-nonzero', 'vxlan', offset + 1, 'reserved1', r1, '0'));
    if (v.reserved2) return err(wireError('reserved-nonzero', 'vxlan', offset + 7, 'reserved2', v.reserved2, '0'));
  }
  if (useGbp) {
    return ok({
      vniValid: v.vniValid,
      vni: v.vni,
      gbp: { dontLearn: v.dontLearn, policyApplied: v.policyApplied, groupPolicyId: v.groupPolicyId },
    });
  }
  return ok({ vniValid: v.vniValid, vni: v.vni });
}

/** Bytes {@link emitVxlan} writes (8). */
export function vxlanLength(_f?: VxlanFields): number {
  return VXLAN_HEADER_LEN;
}

/** Write all 8 bytes of `f` into `out` at `offset`; returns 8. @throws RangeError (vni, policy ID, room). */
export function emitVxlan(f: VxlanFields, out: Uint8Array, offset = 0): number {
  assertUint(f.vni, 24, 'vni');
  assertRoom(out, offset, VXLAN_HEADER_LEN, 'VXLAN header');
  let b0 = f.vniValid ? VXLAN_FLAG_I : 0;
  let b1 = 0;
  let gpid = 0;
  if (f.gbp) {
    assertUint(f.gbp.groupPolicyId, 16, 'groupPolicyId');
    b0 |= VXLAN_GBP_FLAG_G;
    b1 = (f.gbp.dontLearn ? VXLAN_GBP_FLAG_D : 0) | (f.gbp.policyApplied ? VXLAN_GBP_FLAG_A : 0);
    gpid = f.gbp.groupPolicyId;
  }
  out[offset] = b0;
  out[offset + 1] = b1;
  put16(out, offset + 2, gpid);
  put24(out, offset + 4, f.vni);
  out[offset + 7] = 0;
  return VXLAN_HEADER_LEN;
}

/** A VXLAN-GPE header as a plain object. */
export interface VxlanGpeFields {
  /** 2-bit version (0). */
  readonly version: number;
  /** I flag. */
  readonly vniValid: boolean;
  /** P flag. */
  readonly nextProtocolPresent: boolean;
  /** B flag. */
  readonly bum: boolean;
  /** O flag. */
  readonly oam: boolean;
  /** Next Protocol byte (raw; meaningful with P). */
  readonly nextProtocol: number;
  /** 24-bit VNI. */
  readonly vni: number;
}

/**
 * Parse a VXLAN-GPE header. Errors: `truncated`; `bad-version` when version ≠ 0 (GPE-12 §3.5 says
 * drop); in strict mode `reserved-nonzero`.
 */
export function parseVxlanGpe(bytes: Uint8Array, offset = 0, end = bytes.length, opts: ParseOptions = {}): Result<VxlanGpeFields> {
  const r = VxlanGpeView.check(bytes, offset, end);
  if (!r.ok) return r;
  const v = r.value;
  if (v.version !== 0) return err(wireError('bad-version', 'vxlan-gpe', offset, 'version', v.version, '0'));
  if (opts.strict) {
    if (v.flags & 0xc0) return err(wireError('reserved-nonzero', 'vxlan-gpe', offset, 'flags', v.flags, 'bits 0xc0 clear'));
    if (v.reserved1) return err(wireError('reserved-nonzero', 'vxlan-gpe', offset + 1, 'reserved1', v.reserved1, '0'));
    if (v.reserved2) return err(wireError('reserved-nonzero', 'vxlan-gpe', offset + 7, 'reserved2', v.reserved2, '0'));
  }
  return ok({
    version: v.version,
    vniValid: v.vniValid,
    nextProtocolPresent: v.nextProtocolPresent,
    bum: v.bum,
    oam: v.oam,
    nextProtocol: v.nextProtocol,
    vni: v.vni,
  });
}

/** Write all 8 bytes of a GPE header; returns 8. @throws RangeError. */
export function emitVxlanGpe(f: VxlanGpeFields, out: Uint8Array, offset = 0): number {
  assertUint(f.version, 2, 'version');
  assertUint(f.vni, 24, 'vni');
  assertUint(f.nextProtocol, 8, 'nextProtocol');
  assertRoom(out, offset, VXLAN_HEADER_LEN, 'VXLAN-GPE header');
  out[offset] =
    (f.version << 4) |
    (f.vniValid ? GPE_FLAG_I : 0) |
    (f.nextProtocolPresent ? GPE_FLAG_P : 0) |
    (f.bum ? GPE_FLAG_B : 0) |
    (f.oam ? GPE_FLAG_O : 0);
  put16(out, offset + 1, 0);
  out[offset + 3] = f.nextProtocol;
  put24(out, offset + 4, f.vni);
  out[offset + 7] = 0;
  return VXLAN_HEADER_LEN;
}

/** Raw 16-bit reading of bytes 2–3 (Wireshark labels it `vxlan.gbp` even with G clear). */
export function vxlanBytes2to3(bytes: Uint8Array, offset: number): number {
  return u16(bytes, offset + 2);
}
