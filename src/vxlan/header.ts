/**
 * VXLAN header (RFC 7348 §5) with the Group Based Policy extension (draft-smith-vxlan-group-policy-05 §2.1).
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |G|R|R|R|I|R|R|R|R|D|R|R|A|R|R|R|   Group Policy ID (GBP) / Rsvd |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                VNI (24)                       | Reserved (8)  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 * Plain VXLAN: only I (`0x08` of byte 0) and the VNI are defined; the rest is reserved.
 * GBP reuses G (`0x80` of byte 0), D (`0x40` of byte 1), A (`0x08` of byte 1) and bytes 2–3
 * (Group Policy ID). Whether those bits mean GBP is configuration (the port / decode-as), never a guess.
 */
import { assertRoom, assertUint, put16, put24, u16, u24 } from '../net/bytes.js';
import { err, ok, truncated, wireError, type Result, type WireError } from '../net/errors.js';

/** VXLAN header length in bytes. */
export const VXLAN_HEADER_LEN = 8;
/** IANA UDP destination port for VXLAN (RFC 7348 §5). */
export const VXLAN_UDP_PORT = 4789;
/** Linux kernel's default VXLAN port, kept for early adopters (linux vxlan_core.c). */
export const VXLAN_LINUX_UDP_PORT = 8472;
/** Byte offsets. */
const O = { FLAGS: 0, GBP_FLAGS: 1, GROUP_POLICY_ID: 2, VNI: 4, RSVD2: 7 } as const;
/** Masks. */
export const VXLAN_FLAG_I = 0x08;
/** GBP G bit in byte 0. */
export const VXLAN_GBP_FLAG_G = 0x80;
/** GBP Don't Learn bit in byte 1. */
export const VXLAN_GBP_FLAG_D = 0x40;
/** GBP Policy Applied bit in byte 1 (Linux `VXLAN_GBP_POLICY_APPLIED = BIT(3) << 16`). */
export const VXLAN_GBP_FLAG_A = 0x08;

/** Numeric error codes returned by {@link VxlanView.wrap} (0 = ok). */
export const VXLAN_OK = 0;
export const VXLAN_ERR_TRUNCATED = 1;

/**
 * Zero-copy view over a VXLAN header at `(bytes, offset)`.
 * Accessors read the buffer directly; the `!` index assertions are safe only after
 * {@link VxlanView.check} or a zero return from {@link VxlanView.wrap} (8 bytes present).
 * Setters validate ranges and never invalidate a previous check (the header has no length field).
 */
export class VxlanView {
  private constructor(
    public bytes: Uint8Array,
    public offset: number,
  ) {}

  /** No checks: for buffers you are about to fill (emit), never for received bytes. */
  static unchecked(bytes: Uint8Array, offset = 0): VxlanView {
    return new VxlanView(bytes, offset);
  }

  /** A reusable empty view for {@link VxlanView.wrap} (hot path, no allocation per packet). */
  static empty(): VxlanView {
    return new VxlanView(new Uint8Array(0), 0);
  }

  /**
   * Validate that a VXLAN header fits in `bytes[offset..end)`.
   * @returns the view, or a `truncated` {@link WireError} at `offset`.
   */
  static check(bytes: Uint8Array, offset = 0, end = bytes.length): Result<VxlanView> {
    const code = checkVxlan(bytes, offset, end);
    return code === VXLAN_OK ? ok(new VxlanView(bytes, offset)) : err(vxlanError(code, bytes, offset, end));
  }

  /** Re-point this view in place; returns {@link VXLAN_OK} or an error code (expand with {@link vxlanError}). */
  wrap(bytes: Uint8Array, offset: number, end = bytes.length): number {
    this.bytes = bytes;
    this.offset = offset;
    return checkVxlan(bytes, offset, end);
  }

  /** Byte 0 (8 flag bits). */
  get flags(): number {
    return this.bytes[this.offset]!;
  }
  set flags(v: number) {
    assertUint(v, 8, 'flags');
    this.bytes[this.offset] = v;
  }
  /** I flag: the VNI is valid (RFC 7348 §5; must be 1). */
  get vniValid(): boolean {
    return (this.bytes[this.offset]! & VXLAN_FLAG_I) !== 0;
  }
  set vniValid(v: boolean) {
    this.setBit(O.FLAGS, VXLAN_FLAG_I, v);
  }
  /** 24-bit VXLAN Network Identifier, bytes 4–6. */
  get vni(): number {
    return u24(this.bytes, this.offset + O.VNI);
  }
  set vni(v: number) {
    assertUint(v, 24, 'vni');
    put24(this.bytes, this.offset + O.VNI, v);
  }
  /** Bytes 1–3 as a 24-bit number: reserved in RFC 7348 (GBP flags + policy ID under GBP). */
  get reserved1(): number {
    return u24(this.bytes, this.offset + 1);
  }
  /** Byte 7: reserved (Linux RCO data when remote checksum offload is on). */
  get reserved2(): number {
    return this.bytes[this.offset + O.RSVD2]!;
  }
  /** GBP G bit: a Group Policy ID is carried. */
  get gbp(): boolean {
    return (this.bytes[this.offset]! & VXLAN_GBP_FLAG_G) !== 0;
  }
  set gbp(v: boolean) {
    this.setBit(O.FLAGS, VXLAN_GBP_FLAG_G, v);
  }
  /** GBP byte 1 (OVS `tun_gbp_flags`): D = 0x40, A = 0x08. */
  get gbpFlags(): number {
    return this.bytes[this.offset + O.GBP_FLAGS]!;
  }
  /** GBP D bit: the egress VTEP must not learn the inner source address. */
  get dontLearn(): boolean {
    return (this.bytes[this.offset + O.GBP_FLAGS]! & VXLAN_GBP_FLAG_D) !== 0;
  }
  set dontLearn(v: boolean) {
    this.setBit(O.GBP_FLAGS, VXLAN_GBP_FLAG_D, v);
  }
  /** GBP A bit: policy has already been applied. */
  get policyApplied(): boolean {
    return (this.bytes[this.offset + O.GBP_FLAGS]! & VXLAN_GBP_FLAG_A) !== 0;
  }
  set policyApplied(v: boolean) {
    this.setBit(O.GBP_FLAGS, VXLAN_GBP_FLAG_A, v);
  }
  /** GBP 16-bit Group Policy ID, bytes 2–3. */
  get groupPolicyId(): number {
    return u16(this.bytes, this.offset + O.GROUP_POLICY_ID);
  }
  set groupPolicyId(v: number) {
    assertUint(v, 16, 'groupPolicyId');
    put16(this.bytes, this.offset + O.GROUP_POLICY_ID, v);
  }
  /** Header length in bytes (always 8). */
  get headerLength(): number {
    return VXLAN_HEADER_LEN;
  }
  /** Offset of the inner frame in `bytes`. */
  get payloadOffset(): number {
    return this.offset + VXLAN_HEADER_LEN;
  }

  private setBit(at: number, mask: number, v: boolean): void {
    const i = this.offset + at;
    this.bytes[i] = v ? this.bytes[i]! | mask : this.bytes[i]! & ~mask;
  }
}

function checkVxlan(bytes: Uint8Array, offset: number, end: number): number {
  return Math.min(end, bytes.length) - offset < VXLAN_HEADER_LEN ? VXLAN_ERR_TRUNCATED : VXLAN_OK;
}

/** Expand a {@link VxlanView.wrap} code into a {@link WireError}. */
export function vxlanError(code: number, bytes: Uint8Array, offset: number, end = bytes.length, layer: 'vxlan' | 'vxlan-gpe' = 'vxlan'): WireError {
  if (code === VXLAN_ERR_TRUNCATED) return truncated(layer, offset, VXLAN_HEADER_LEN, Math.min(end, bytes.length) - offset);
  return wireError('bad-value', layer, offset, 'header', code, 'valid VXLAN header');
}

/** Write the 8-byte header of plain VXLAN (I set, everything else 0) with `vni`; returns 8. @throws RangeError. */
export function emitVxlanHeader(out: Uint8Array, offset: number, vni: number): number {
  assertUint(vni, 24, 'vni');
  assertRoom(out, offset, VXLAN_HEADER_LEN, 'VXLAN header');
  out[offset] = VXLAN_FLAG_I;
  out[offset + 1] = 0;
  out[offset + 2] = 0;
  out[offset + 3] = 0;
  put24(out, offset + 4, vni);
  out[offset + 7] = 0;
  return VXLAN_HEADER_LEN;
}
