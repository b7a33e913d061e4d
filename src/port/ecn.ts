/**
 * ECN across tunnels (RFC 6040): the ingress (encapsulation) and egress (decapsulation) rules, and the
 * in-place update of an inner IPv4/IPv6 header's ECN field. Source: shared/specs/outer-headers.md §7.
 *
 * Codepoints (2 bits, the low bits of the IPv4 TOS byte / IPv6 Traffic Class; Linux `INET_ECN_*`):
 * `00` Not-ECT, `01` ECT(1), `10` ECT(0), `11` CE.
 *
 * Encapsulation, RFC 6040 §4.1 normal mode: the outer ECN is a copy of the inner one (CE included).
 * Linux's `INET_ECN_encapsulate()` differs in one cell: an inner CE becomes outer ECT(0) (the RFC 3168
 * §9.1.1 "full functionality" option), selected here by `mode: 'linux'`. Compatibility mode (outer
 * always Not-ECT) is `'compat'`.
 *
 * Decapsulation, RFC 6040 §4.2 Figure 4 (rows = arriving inner, columns = arriving outer):
 *
 * | Inner \ Outer | Not-ECT | ECT(0)       | ECT(1)        | CE           |
 * |---------------|---------|--------------|---------------|--------------|
 * | Not-ECT       | Not-ECT | Not-ECT (!!!)| Not-ECT (!!!) | drop (!!!)   |
 * | ECT(0)        | ECT(0)  | ECT(0)       | ECT(1)        | CE           |
 * | ECT(1)        | ECT(1)  | ECT(1) (!)   | ECT(1)        | CE           |
 * | CE            | CE      | CE           | CE (!!!)      | CE           |
 *
 * Browser-safe: no `node:` imports.
 */
import { put16, u16 } from '../net/bytes.js';
import { fold } from '../net/checksum.js';
import { EtherType, isVlanTpid } from '../net/ethernet.js';

/** Not ECN-capable transport (`00`). */
export const ECN_NOT_ECT = 0;
/** ECN-capable transport, codepoint ECT(1) (`01`). */
export const ECN_ECT1 = 1;
/** ECN-capable transport, codepoint ECT(0) (`10`). */
export const ECN_ECT0 = 2;
/** Congestion experienced (`11`). */
export const ECN_CE = 3;

/** Returned by {@link ecnDecapsulate} for the one cell RFC 6040 §4.2 says MUST be dropped. */
export const ECN_DROP = -1;

/**
 * How the outer ECN is set on encapsulation: `'rfc6040'` normal mode (copy, CE stays CE; the
 * default), `'linux'` (copy, but inner CE → outer ECT(0), Linux `INET_ECN_encapsulate`), `'compat'`
 * (RFC 6040 compatibility mode: always Not-ECT).
 */
export type EcnEncapMode = 'rfc6040' | 'linux' | 'compat';

/** Codepoint name (`Not-ECT`, `ECT(1)`, `ECT(0)`, `CE`). */
export function ecnName(ecn: number): string {
  return ['Not-ECT', 'ECT(1)', 'ECT(0)', 'CE'][ecn & 3]!;
}

/** Outer ECN for an inner ECN on encapsulation (see {@link EcnEncapMode}). Non-IP inner packets: pass {@link ECN_NOT_ECT}. */
export function ecnEncapsulate(innerEcn: number, mode: EcnEncapMode = 'rfc6040'): number {
  const e = innerEcn & 3;
  if (mode === 'compat') return ECN_NOT_ECT;
  if (mode === 'linux' && e === ECN_CE) return ECN_ECT0;
  return e;
}

/**
 * The inner ECN to forward after decapsulation (RFC 6040 §4.2 Figure 4), or {@link ECN_DROP} for
 * inner Not-ECT with outer CE.
 */
export function ecnDecapsulate(innerEcn: number, outerEcn: number): number {
  const i = innerEcn & 3;
  const o = outerEcn & 3;
  if (i === ECN_NOT_ECT) return o === ECN_CE ? ECN_DROP : ECN_NOT_ECT;
  if (o === ECN_CE) return ECN_CE;
  if (i === ECN_ECT0 && o === ECN_ECT1) return ECN_ECT1;
  return i;
}

/**
 * Whether a decapsulation cell is one earlier tunnelling specifications never produce (the (!!!) and
 * (!) cells of Figure 4), which Linux logs as "something is broken".
 */
export function ecnDecapSuspicious(innerEcn: number, outerEcn: number): boolean {
  const i = innerEcn & 3;
  const o = outerEcn & 3;
  return (i === ECN_NOT_ECT && o !== ECN_NOT_ECT) || (i === ECN_ECT1 && o === ECN_ECT0) || (i === ECN_CE && o === ECN_ECT1);
}

/** Where an inner IP header is: its offset and version, or version 0 when the payload is not IP. */
export interface InnerIp {
  /** Offset of the IPv4/IPv6 header; meaningless when `version` is 0. */
  offset: number;
  /** 4, 6, or 0 (not IP, or the header is cut). */
  version: 0 | 4 | 6;
}

/**
 * Locate the IP header of a tunnel payload in `bytes[start..end)`: an Ethernet frame (`etherType`
 * 0x6558; VLAN tags skipped) or an L3 packet (0x0800 / 0x86dd). The header must be whole (20 bytes
 * with a valid IHL for IPv4, 40 for IPv6), else version 0. Writes into `out` (no allocation) and returns it.
 */
export function locateInnerIp(bytes: Uint8Array, start: number, end: number, etherType: number, out: InnerIp): InnerIp {
  out.version = 0;
  out.offset = start;
  let at = start;
  let type = etherType;
  if (type === EtherType.TEB) {
    if (end - at < 14) return out;
    type = u16(bytes, at + 12);
    at += 14;
    for (let tags = 0; isVlanTpid(type) && tags < 8; tags++) {
      if (end - at < 4) return out;
      type = u16(bytes, at + 2);
      at += 4;
    }
  }
  if (type === EtherType.IPV4) {
    if (end - at < 20 || bytes[at]! >>> 4 !== 4) return out;
    const hl = (bytes[at]! & 15) * 4;
    if (hl < 20 || end - at < hl) return out;
    out.offset = at;
    out.version = 4;
  } else if (type === EtherType.IPV6) {
    if (end - at < 40 || bytes[at]! >>> 4 !== 6) return out;
    out.offset = at;
    out.version = 6;
  }
  return out;
}

/** The TOS / Traffic Class byte of the IP header at `ipOffset` (version 4 or 6). */
export function ipTos(bytes: Uint8Array, ipOffset: number, version: 4 | 6): number {
  return version === 4 ? bytes[ipOffset + 1]! : (u16(bytes, ipOffset) >>> 4) & 0xff;
}

/**
 * Set the ECN field of the IP header at `ipOffset` in place. For IPv4 the header checksum is updated
 * incrementally (RFC 1624 Eqn. 3), so a header that verified before still verifies. IPv6 has no header
 * checksum; no L4 checksum covers the Traffic Class. Modifies `bytes`.
 */
export function setIpEcn(bytes: Uint8Array, ipOffset: number, version: 4 | 6, ecn: number): void {
  if (version === 4) {
    const oldWord = u16(bytes, ipOffset);
    const tos = (bytes[ipOffset + 1]! & 0xfc) | (ecn & 3);
    bytes[ipOffset + 1] = tos;
    const newWord = u16(bytes, ipOffset);
    if (newWord === oldWord) return;
    const hc = u16(bytes, ipOffset + 10);
    // HC' = ~(~HC + ~m + m')
    put16(bytes, ipOffset + 10, ~fold((~hc & 0xffff) + (~oldWord & 0xffff) + newWord) & 0xffff);
  } else {
    const w = u16(bytes, ipOffset);
    put16(bytes, ipOffset, (w & 0xffcf) | ((ecn & 3) << 4));
  }
}
