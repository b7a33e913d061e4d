/**
 * Independent twins of the virtio-net header layouts (linux include/uapi/linux/virtio_net.h, offload.md
 * §1.1) and of the DPDK `tx_offload` bitfield (DPDK lib/mbuf/rte_mbuf_core.h), written declaratively
 * with binary-parser and buffer-layout (test-only reference decoders; neither shares code with src/).
 */
import { Parser } from 'binary-parser';
import * as BL from 'buffer-layout';

// buffer-layout's little-endian integers, which the shared declaration file leaves out.
declare module 'buffer-layout' {
  export function u16(property?: string): Layout<number>;
  export function u32(property?: string): Layout<number>;
}

/** Field names every twin decodes to (absent fields are not produced). */
export interface VirtioTwin {
  flags: number;
  gsoType: number;
  hdrLen: number;
  gsoSize: number;
  csumStart: number;
  csumOffset: number;
  numBuffers?: number;
  hashValue?: number;
  hashReport?: number;
  padding?: number;
  outerThOffset?: number;
  innerNhOffset?: number;
}

function base(endian: 'little' | 'big'): Parser {
  return new Parser().endianness(endian).uint8('flags').uint8('gsoType').uint16('hdrLen').uint16('gsoSize').uint16('csumStart').uint16('csumOffset');
}

/** `struct virtio_net_hdr` (10 bytes) in either order (legacy devices use the guest's). */
export const virtioLegacyBp = { little: base('little'), big: base('big') };
/** `struct virtio_net_hdr_mrg_rxbuf` / `virtio_net_hdr_v1` (12 bytes). */
export const virtioV1Bp = { little: base('little').uint16('numBuffers'), big: base('big').uint16('numBuffers') };
/** `struct virtio_net_hdr_v1_hash` (20 bytes, little-endian: VIRTIO 1.0 only). */
export const virtioV1HashBp = base('little').uint16('numBuffers').uint32('hashValue').uint16('hashReport').uint16('padding');
/** `struct virtio_net_hdr_v1_hash_tunnel` (24 bytes, little-endian). */
export const virtioV1HashTunnelBp = base('little')
  .uint16('numBuffers')
  .uint16('hashValueLo')
  .uint16('hashValueHi')
  .uint16('hashReport')
  .uint16('padding')
  .uint16('outerThOffset')
  .uint16('innerNhOffset');

const blBase = (): BL.Layout<number>[] => [BL.u8('flags'), BL.u8('gsoType'), BL.u16('hdrLen'), BL.u16('gsoSize'), BL.u16('csumStart'), BL.u16('csumOffset')];

/** buffer-layout twins (little-endian layouts). */
export const virtioLegacyBl = BL.struct<VirtioTwin>(blBase());
export const virtioV1Bl = BL.struct<VirtioTwin>([...blBase(), BL.u16('numBuffers')]);
export const virtioV1HashBl = BL.struct<VirtioTwin>([...blBase(), BL.u16('numBuffers'), BL.u32('hashValue'), BL.u16('hashReport'), BL.u16('padding')]);
export const virtioV1HashTunnelBl = BL.struct<VirtioTwin>([
  ...blBase(),
  BL.u16('numBuffers'),
  BL.u32('hashValue'),
  BL.u16('hashReport'),
  BL.u16('padding'),
  BL.u16('outerThOffset'),
  BL.u16('innerNhOffset'),
]);

/**
 * The `tx_offload` word written most-significant byte first, read as MSB-first bitfields: unused 8,
 * outer_l2_len 7, outer_l3_len 9, tso_segsz 16, l4_len 8, l3_len 9, l2_len 7 (the little-endian host
 * layout of rte_mbuf_core.h read from the top: RTE_MBUF_OUTL2_LEN_OFS 49 … RTE_MBUF_L2_LEN_OFS 0).
 */
export const txOffloadBp = new Parser().endianness('big').bit8('unused').bit7('outerL2Len').bit9('outerL3Len').bit16('tsoSegsz').bit8('l4Len').bit9('l3Len').bit7('l2Len');
