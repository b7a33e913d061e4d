/**
 * Emitted header bytes next to the fields they came from: `{ fields, bytes }`, where `bytes` is exactly
 * what the library's `emitXxx` writes for `fields` (every byte, reserved ones included).
 */
import type * as fc from 'fast-check';
import { emitEthernet, ethernetLength, type EthernetFields } from '../net/ethernet.js';
import { emitGre, greLength, type GreFields } from '../net/gre.js';
import { emitIpv4, ipv4Length, type Ipv4Fields } from '../net/ipv4.js';
import { emitIpv6, IPV6_HEADER_LEN, type Ipv6Fields } from '../net/ipv6.js';
import { emitTcp, tcpLength, type TcpFields } from '../net/tcp.js';
import { emitUdp, UDP_HEADER_LEN, type UdpFields } from '../net/udp.js';
import { emitGeneve, geneveLength, type GeneveFields } from '../geneve/fields.js';
import { emitNvgre, type NvgreFields } from '../nvgre/fields.js';
import { NVGRE_HEADER_LEN } from '../nvgre/header.js';
import { emitStt, type SttFields } from '../stt/fields.js';
import { STT_FRAME_HEADER_LEN } from '../stt/header.js';
import { emitVxlan, emitVxlanGpe, type VxlanFields, type VxlanGpeFields } from '../vxlan/fields.js';
import { VXLAN_HEADER_LEN } from '../vxlan/header.js';
import {
  ethernetFields,
  geneveFields,
  greFields,
  ipv4Fields,
  ipv6Fields,
  nvgreFields,
  sttFields,
  tcpFields,
  udpFields,
  vxlanFields,
  vxlanGpeFields,
  type EthernetFieldsOptions,
  type GeneveFieldsOptions,
  type GreFieldsOptions,
  type NvgreFieldsOptions,
  type SttFieldsOptions,
  type TcpFieldsOptions,
  type VxlanFieldsOptions,
} from './fields.js';

/** A header as fields and as the bytes the library emits for them. */
export interface HeaderBytes<F> {
  readonly fields: F;
  /** A new buffer holding exactly the emitted header. */
  readonly bytes: Uint8Array;
}

/** Pair every value of `fields` with its emitted bytes. */
export function withEmitted<F>(fields: fc.Arbitrary<F>, length: (f: F) => number, emit: (f: F, out: Uint8Array, offset: number) => number): fc.Arbitrary<HeaderBytes<F>> {
  return fields.map((f) => {
    const bytes = new Uint8Array(length(f));
    emit(f, bytes, 0);
    return { fields: f, bytes };
  });
}

/** VXLAN (or VXLAN-GBP) header bytes, 8. */
export function vxlanHeaderBytes(opts?: VxlanFieldsOptions): fc.Arbitrary<HeaderBytes<VxlanFields>> {
  return withEmitted(vxlanFields(opts), () => VXLAN_HEADER_LEN, emitVxlan);
}
/** VXLAN-GPE header bytes, 8. */
export function vxlanGpeHeaderBytes(): fc.Arbitrary<HeaderBytes<VxlanGpeFields>> {
  return withEmitted(vxlanGpeFields(), () => VXLAN_HEADER_LEN, emitVxlanGpe);
}
/** Geneve header bytes with options, 8..260. */
export function geneveHeaderBytes(opts?: GeneveFieldsOptions): fc.Arbitrary<HeaderBytes<GeneveFields>> {
  return withEmitted(geneveFields(opts), geneveLength, emitGeneve);
}
/** GRE header bytes (optional words and SRE list included). */
export function greHeaderBytes(opts?: GreFieldsOptions): fc.Arbitrary<HeaderBytes<GreFields>> {
  return withEmitted(greFields(opts), greLength, emitGre);
}
/** NVGRE header bytes, 8. */
export function nvgreHeaderBytes(opts?: NvgreFieldsOptions): fc.Arbitrary<HeaderBytes<NvgreFields>> {
  return withEmitted(nvgreFields(opts), () => NVGRE_HEADER_LEN, emitNvgre);
}
/** STT frame header bytes, 18. */
export function sttHeaderBytes(opts?: SttFieldsOptions): fc.Arbitrary<HeaderBytes<SttFields>> {
  return withEmitted(sttFields(opts), () => STT_FRAME_HEADER_LEN, emitStt);
}
/** TCP header bytes with options, 20..60. */
export function tcpHeaderBytes(opts?: TcpFieldsOptions): fc.Arbitrary<HeaderBytes<TcpFields>> {
  return withEmitted(tcpFields(opts), tcpLength, emitTcp);
}
/** Ethernet header bytes with VLAN tags, 14 + 4 per tag. */
export function ethernetHeaderBytes(opts?: EthernetFieldsOptions): fc.Arbitrary<HeaderBytes<EthernetFields>> {
  return withEmitted(ethernetFields(opts), ethernetLength, emitEthernet);
}
/** IPv4 header bytes (checksum filled), 20..60. */
export function ipv4HeaderBytes(): fc.Arbitrary<HeaderBytes<Ipv4Fields>> {
  return withEmitted(ipv4Fields(), ipv4Length, emitIpv4);
}
/** IPv6 fixed header bytes, 40. */
export function ipv6HeaderBytes(): fc.Arbitrary<HeaderBytes<Ipv6Fields>> {
  return withEmitted(ipv6Fields(), () => IPV6_HEADER_LEN, emitIpv6);
}
/** UDP header bytes, 8. */
export function udpHeaderBytes(): fc.Arbitrary<HeaderBytes<UdpFields>> {
  return withEmitted(udpFields(), () => UDP_HEADER_LEN, emitUdp);
}
