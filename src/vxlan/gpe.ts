/**
 * VXLAN-GPE header (draft-ietf-nvo3-vxlan-gpe-12 §3).
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |R|R|Ver|I|P|B|O|       Reserved (16)           | Next Protocol |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                VNI (24)                       | Reserved (8)  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 * Ver `0x30`, I `0x08`, P `0x04` (Next Protocol present), B `0x02` (BUM), O `0x01` (OAM) of byte 0.
 * Port 4790. With P clear the payload is Ethernet (GPE-12 §3.2).
 */
import { assertRoom, assertUint, put24, u16, u24 } from '../net/bytes.js';
import { err, ok, type Result } from '../net/errors.js';
import { VXLAN_ERR_TRUNCATED, VXLAN_HEADER_LEN, VXLAN_OK, vxlanError } from './header.js';

/** IANA UDP port for VXLAN-GPE (GPE-12 §4). */
export const VXLAN_GPE_UDP_PORT = 4790;
/** GPE flag masks in byte 0. */
export const GPE_VER_MASK = 0x30;
export const GPE_FLAG_I = 0x08;
export const GPE_FLAG_P = 0x04;
export const GPE_FLAG_B = 0x02;
export const GPE_FLAG_O = 0x01;

/** Next Protocol values (GPE-12 §3.2; 5 = MPLS from earlier drafts, kept by Linux). */
export const GpeNextProtocol = { IPV4: 1, IPV6: 2, ETHERNET: 3, NSH: 4, MPLS: 5 } as const;

/**
 * Zero-copy view over a VXLAN-GPE header. Accessor indexes are safe only after {@link VxlanGpeView.check}
 * or a zero return from {@link VxlanGpeView.wrap}.
 */
export class VxlanGpeView {
  private constructor(
    public bytes: Uint8Array,
    public offset: number,
  ) {}

  /** No checks: for buffers you are about to fill. */
  static unchecked(bytes: Uint8Array, offset = 0): VxlanGpeView {
    return new VxlanGpeView(bytes, offset);
  }

  /** A reusable empty view for {@link VxlanGpeView.wrap}. */
  static empty(): VxlanGpeView {
    return new VxlanGpeView(new Uint8Array(0), 0);
  }

  /** Validate that 8 bytes are present. @returns the view or a `truncated` error. */
  static check(bytes: Uint8Array, offset = 0, end = bytes.length): Result<VxlanGpeView> {
    return Math.min(end, bytes.length) - offset < VXLAN_HEADER_LEN
      ? err(vxlanError(VXLAN_ERR_TRUNCATED, bytes, offset, end, 'vxlan-gpe'))
      : ok(new VxlanGpeView(bytes, offset));
  }

  /** Re-point in place; returns 0 or {@link VXLAN_ERR_TRUNCATED}. */
  wrap(bytes: Uint8Array, offset: number, end = bytes.length): number {
    this.bytes = bytes;
    this.offset = offset;
    return Math.min(end, bytes.length) - offset < VXLAN_HEADER_LEN ? VXLAN_ERR_TRUNCATED : VXLAN_OK;
  }

  /** Byte 0 flags. */
  get flags(): number {
    return this.bytes[this.offset]!;
  }
  set flags(v: number) {
    assertUint(v, 8, 'flags');
    this.bytes[this.offset] = v;
  }
  /** 2-bit version (0 today; receivers drop others). */
  get version(): number {
    return (this.bytes[this.offset]! & GPE_VER_MASK) >>> 4;
  }
  set version(v: number) {
    assertUint(v, 2, 'version');
    this.bytes[this.offset] = (this.bytes[this.offset]! & ~GPE_VER_MASK) | (v << 4);
  }
  /** I flag. */
  get vniValid(): boolean {
    return (this.bytes[this.offset]! & GPE_FLAG_I) !== 0;
  }
  /** P flag: Next Protocol field present. */
  get nextProtocolPresent(): boolean {
    return (this.bytes[this.offset]! & GPE_FLAG_P) !== 0;
  }
  /** B flag: ingress-replicated BUM traffic. */
  get bum(): boolean {
    return (this.bytes[this.offset]! & GPE_FLAG_B) !== 0;
  }
  /** O flag: OAM packet. */
  get oam(): boolean {
    return (this.bytes[this.offset]! & GPE_FLAG_O) !== 0;
  }
  /** Bytes 1–2, reserved. */
  get reserved1(): number {
    return u16(this.bytes, this.offset + 1);
  }
  /** Byte 3: Next Protocol (meaningful when P is set). */
  get nextProtocol(): number {
    return this.bytes[this.offset + 3]!;
  }
  set nextProtocol(v: number) {
    assertUint(v, 8, 'nextProtocol');
    this.bytes[this.offset + 3] = v;
  }
  /** 24-bit VNI, bytes 4–6. */
  get vni(): number {
    return u24(this.bytes, this.offset + 4);
  }
  set vni(v: number) {
    assertUint(v, 24, 'vni');
    put24(this.bytes, this.offset + 4, v);
  }
  /** Byte 7, reserved. */
  get reserved2(): number {
    return this.bytes[this.offset + 7]!;
  }
  /** The protocol of the payload: Next Protocol when P is set, else Ethernet (3). */
  get payloadProtocol(): number {
    return this.nextProtocolPresent ? this.nextProtocol : GpeNextProtocol.ETHERNET;
  }
  /** Offset of the payload in `bytes`. */
  get payloadOffset(): number {
    return this.offset + VXLAN_HEADER_LEN;
  }
}

/** Write a GPE header: I and P set, version 0, given flags; returns 8. @throws RangeError. */
export function emitVxlanGpeHeader(
  out: Uint8Array,
  offset: number,
  vni: number,
  nextProtocol: number,
  flags: { bum?: boolean; oam?: boolean } = {},
): number {
  assertUint(vni, 24, 'vni');
  assertUint(nextProtocol, 8, 'nextProtocol');
  assertRoom(out, offset, VXLAN_HEADER_LEN, 'VXLAN-GPE header');
  out[offset] = GPE_FLAG_I | GPE_FLAG_P | (flags.bum ? GPE_FLAG_B : 0) | (flags.oam ? GPE_FLAG_O : 0);
  out[offset + 1] = 0;
  out[offset + 2] = 0;
  out[offset + 3] = nextProtocol;
  put24(out, offset + 4, vni);
  out[offset + 7] = 0;
  return VXLAN_HEADER_LEN;
}
