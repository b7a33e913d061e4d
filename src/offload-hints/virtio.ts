/**
 * virtio-net header (`struct virtio_net_hdr` and its successors), the metadata a TAP/vhost/virtio
 * queue carries in front of every frame, and its mapping to and from an {@link OffloadDescriptor}.
 * Sources: shared/specs/offload.md §1 (linux include/uapi/linux/virtio_net.h with the 2025 UDP-tunnel
 * GSO additions) and linux include/linux/virtio_net.h (`__virtio_net_hdr_to_skb`,
 * `virtio_net_hdr_tnl_to_skb`, `virtio_net_hdr_tnl_from_skb`, `virtio_net_handle_csum_offload`).
 *
 * ```
 * offset size  legacy (10)  mrg_rxbuf (12)  v1 (12)                       v1_hash (20)  v1_hash_tunnel (24)
 *   0     1    flags        hdr.flags       flags                         hdr           hash_hdr.hdr
 *   1     1    gso_type     hdr.gso_type    gso_type                        .             .
 *   2     2    hdr_len      hdr.hdr_len     hdr_len                         .             .
 *   4     2    gso_size     hdr.gso_size    gso_size                        .             .
 *   6     2    csum_start   hdr.csum_start  csum_start | rsc.segments       .             .
 *   8     2    csum_offset  hdr.csum_offset csum_offset | rsc.dup_acks      .             .
 *  10     2    -            num_buffers     num_buffers                     .             .
 *  12     4                                                               hash_value    hash_value (lo16, hi16)
 *  16     2                                                               hash_report   hash_report
 *  18     2                                                               padding       padding
 *  20     2                                                                             outer_th_offset (__le16)
 *  22     2                                                                             inner_nh_offset (__le16)
 * ```
 * `__virtio16` fields (bytes 0–11) are little-endian once VIRTIO_F_VERSION_1 is negotiated and in the
 * guest's native order for legacy devices; the fields from byte 12 on are always `__le16`/`__le32`.
 * All offsets are bytes from the start of the frame (the Ethernet header) that follows the header.
 */
import { assertRoom, assertUint } from '../net/bytes.js';
import { err, ok, truncated, wireError, type ParseOptions, type Result, type WireError } from '../net/errors.js';
import type { WalkOptions } from '../walk/walker.js';
import {
  deriveOffloadDescriptor,
  type ChecksumState,
  type GsoTunnel,
  type GsoType,
  type HeaderOffsets,
  type OffloadDescriptor,
  type OffloadTunnel,
} from './descriptor.js';

// ---------------------------------------------------------------------------------------------
// Constants (offload.md §1.1–§1.4)

/** flags: the device must complete the checksum from `csum_start`, storing it at `csum_start + csum_offset`. */
export const VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
/** flags: the checksum was verified (receive side). */
export const VIRTIO_NET_HDR_F_DATA_VALID = 2;
/** flags: `csum_start`/`csum_offset` carry RSC coalescing info (`rsc.segments`, `rsc.dup_acks`), not a checksum. */
export const VIRTIO_NET_HDR_F_RSC_INFO = 4;
/** flags: the outer UDP (tunnel) checksum is offloaded too (tunnel GSO), or verified (with DATA_VALID). */
export const VIRTIO_NET_HDR_F_UDP_TUNNEL_CSUM = 8;
/** Flag bits defined so far; the others are reserved. */
export const VIRTIO_NET_HDR_FLAGS_MASK = 0x0f;

/** gso_type: not GSO. */
export const VIRTIO_NET_HDR_GSO_NONE = 0;
/** gso_type: TSO over IPv4. */
export const VIRTIO_NET_HDR_GSO_TCPV4 = 1;
/** gso_type: UFO (IPv4 UDP fragmentation). */
export const VIRTIO_NET_HDR_GSO_UDP = 3;
/** gso_type: TSO over IPv6. */
export const VIRTIO_NET_HDR_GSO_TCPV6 = 4;
/** gso_type: USO, UDP segmentation over IPv4 or IPv6. */
export const VIRTIO_NET_HDR_GSO_UDP_L4 = 5;
/** gso_type bit: a UDP tunnel over IPv4 carries the inner GSO packet (OR-ed with the inner type). */
export const VIRTIO_NET_HDR_GSO_UDP_TUNNEL_IPV4 = 0x20;
/** gso_type bit: a UDP tunnel over IPv6 carries the inner GSO packet. */
export const VIRTIO_NET_HDR_GSO_UDP_TUNNEL_IPV6 = 0x40;
/** gso_type mask of the two tunnel bits. */
export const VIRTIO_NET_HDR_GSO_UDP_TUNNEL = 0x60;
/** gso_type bit: the TCP super-packet has CWR set (OR-ed with a TCP type). */
export const VIRTIO_NET_HDR_GSO_ECN = 0x80;

/** Linux `GSO_BY_FRAGS`: a gso_size value the kernel rejects from virtio (include/linux/netdevice.h). */
export const VIRTIO_GSO_BY_FRAGS = 0xffff;

/** Linux `UDP_MAX_SEGMENTS` (include/linux/udp.h): most segments a USO packet from virtio may become. */
export const VIRTIO_UDP_MAX_SEGMENTS = 128;

/** Length in bytes of `struct virtio_net_hdr` (legacy, no `num_buffers`). */
export const VIRTIO_NET_HDR_LEN = 10;
/** Length in bytes of `struct virtio_net_hdr_mrg_rxbuf` (legacy + VIRTIO_NET_F_MRG_RXBUF). */
export const VIRTIO_NET_HDR_MRG_RXBUF_LEN = 12;
/** Length in bytes of `struct virtio_net_hdr_v1` (VIRTIO 1.0). */
export const VIRTIO_NET_HDR_V1_LEN = 12;
/** Length in bytes of `struct virtio_net_hdr_v1_hash` (VIRTIO_NET_F_HASH_REPORT). */
export const VIRTIO_NET_HDR_V1_HASH_LEN = 20;
/** Length in bytes of `struct virtio_net_hdr_v1_hash_tunnel` (VIRTIO_NET_F_*_UDP_TUNNEL_GSO). */
export const VIRTIO_NET_HDR_V1_HASH_TUNNEL_LEN = 24;

/** `hash_report` values (v1_hash layouts). */
export const VirtioNetHashReport = {
  NONE: 0,
  IPV4: 1,
  TCPV4: 2,
  UDPV4: 3,
  IPV6: 4,
  TCPV6: 5,
  UDPV6: 6,
  IPV6_EX: 7,
  TCPV6_EX: 8,
  UDPV6_EX: 9,
} as const;

/**
 * virtio-net feature bit numbers (offload.md §1.4; VERSION_1 from linux include/uapi/linux/virtio_config.h).
 * Bits ≥ 64 live in the second feature word; `*_MAPPED` are their positions in the 64-bit
 * `VIRTIO_NET_CTRL_GUEST_OFFLOADS` bitmap.
 */
export const VirtioNetFeature = {
  CSUM: 0,
  GUEST_CSUM: 1,
  GUEST_TSO4: 7,
  GUEST_TSO6: 8,
  GUEST_ECN: 9,
  GUEST_UFO: 10,
  HOST_TSO4: 11,
  HOST_TSO6: 12,
  HOST_ECN: 13,
  HOST_UFO: 14,
  MRG_RXBUF: 15,
  VERSION_1: 32,
  GUEST_UDP_TUNNEL_GSO_MAPPED: 46,
  GUEST_UDP_TUNNEL_GSO_CSUM_MAPPED: 47,
  GUEST_USO4: 54,
  GUEST_USO6: 55,
  HOST_USO: 56,
  HASH_REPORT: 57,
  GUEST_HDRLEN: 59,
  RSC_EXT: 61,
  GUEST_UDP_TUNNEL_GSO: 65,
  GUEST_UDP_TUNNEL_GSO_CSUM: 66,
  HOST_UDP_TUNNEL_GSO: 67,
  HOST_UDP_TUNNEL_GSO_CSUM: 68,
} as const;

/**
 * Which header layout precedes each frame:
 * - `legacy`: `virtio_net_hdr`, 10 bytes, guest-native order;
 * - `mrg-rxbuf`: `virtio_net_hdr_mrg_rxbuf`, 12 bytes (legacy + `num_buffers`), guest-native order;
 * - `v1`: `virtio_net_hdr_v1`, 12 bytes, little-endian (VIRTIO 1.0);
 * - `v1-hash`: `virtio_net_hdr_v1_hash`, 20 bytes (hash report);
 * - `v1-hash-tunnel`: `virtio_net_hdr_v1_hash_tunnel`, 24 bytes (UDP tunnel GSO offsets).
 */
export type VirtioNetHdrLayout = 'legacy' | 'mrg-rxbuf' | 'v1' | 'v1-hash' | 'v1-hash-tunnel';

/** A layout and the byte order of its `__virtio16` fields. */
export interface VirtioNetHdrFormat {
  readonly layout: VirtioNetHdrLayout;
  /** Order of bytes 0–11: must be true (the default) for the `v1*` layouts; the guest's order for `legacy`/`mrg-rxbuf`. */
  readonly littleEndian?: boolean;
}

const LENGTHS: Readonly<Record<VirtioNetHdrLayout, number>> = {
  legacy: VIRTIO_NET_HDR_LEN,
  'mrg-rxbuf': VIRTIO_NET_HDR_MRG_RXBUF_LEN,
  v1: VIRTIO_NET_HDR_V1_LEN,
  'v1-hash': VIRTIO_NET_HDR_V1_HASH_LEN,
  'v1-hash-tunnel': VIRTIO_NET_HDR_V1_HASH_TUNNEL_LEN,
};

/** Header length in bytes of `layout`. @throws RangeError for an unknown layout. */
export function virtioNetHdrLength(layout: VirtioNetHdrLayout): number {
  const n = LENGTHS[layout];
  if (n === undefined) throw new RangeError(`unknown virtio-net header layout ${String(layout)}`);
  return n;
}

/**
 * The layout Linux `virtnet_probe` picks for a negotiated feature set (bit n of `features` = feature n):
 * UDP tunnel GSO (65/67) → `v1-hash-tunnel`; HASH_REPORT → `v1-hash`; VERSION_1 → `v1`; MRG_RXBUF →
 * `mrg-rxbuf`; else `legacy`. `littleEndian` is true exactly when VERSION_1 is negotiated (legacy
 * devices use the guest's order, which the caller must supply).
 */
export function virtioNetHdrFormatFor(features: bigint): { layout: VirtioNetHdrLayout; littleEndian: boolean | undefined } {
  const has = (bit: number): boolean => ((features >> BigInt(bit)) & 1n) === 1n;
  const v1 = has(VirtioNetFeature.VERSION_1);
  let layout: VirtioNetHdrLayout = 'legacy';
  if (has(VirtioNetFeature.GUEST_UDP_TUNNEL_GSO) || has(VirtioNetFeature.HOST_UDP_TUNNEL_GSO)) layout = 'v1-hash-tunnel';
  else if (has(VirtioNetFeature.HASH_REPORT)) layout = 'v1-hash';
  else if (v1) layout = 'v1';
  else if (has(VirtioNetFeature.MRG_RXBUF)) layout = 'mrg-rxbuf';
  return { layout, littleEndian: v1 ? true : undefined };
}

/** Byte offsets inside the header. */
const O = {
  FLAGS: 0,
  GSO_TYPE: 1,
  HDR_LEN: 2,
  GSO_SIZE: 4,
  CSUM_START: 6,
  CSUM_OFFSET: 8,
  NUM_BUFFERS: 10,
  HASH_VALUE: 12,
  HASH_REPORT: 16,
  PADDING: 18,
  OUTER_TH_OFFSET: 20,
  INNER_NH_OFFSET: 22,
} as const;

/** Numeric codes returned by {@link VirtioNetHdrView.wrap} (0 = ok). */
export const VIRTIO_NET_HDR_OK = 0;
export const VIRTIO_NET_HDR_ERR_TRUNCATED = 1;

function assertFormat(layout: VirtioNetHdrLayout, littleEndian: boolean): number {
  const n = virtioNetHdrLength(layout);
  if (!littleEndian && layout !== 'legacy' && layout !== 'mrg-rxbuf') {
    throw new RangeError(`virtio-net ${layout} headers are little-endian (VIRTIO_F_VERSION_1); big-endian is legacy only`);
  }
  return n;
}

function has(layout: VirtioNetHdrLayout, at: number): boolean {
  return at < LENGTHS[layout];
}

/**
 * Zero-copy view over a virtio-net header at `(bytes, offset)` in a given layout and byte order.
 * Accessors read the buffer directly; `!` index assertions are safe only after
 * {@link VirtioNetHdrView.check} or a zero return from {@link VirtioNetHdrView.wrap} (the whole
 * header present). Getters of fields the layout lacks return 0; their setters throw `RangeError`.
 * Setters validate ranges and never invalidate a previous check (no field changes the length).
 */
export class VirtioNetHdrView {
  private constructor(
    public bytes: Uint8Array,
    public offset: number,
    readonly layout: VirtioNetHdrLayout,
    readonly littleEndian: boolean,
  ) {}

  /** No checks: for buffers you are about to fill (emit), never for received bytes. @throws RangeError on a bad format. */
  static unchecked(bytes: Uint8Array, offset = 0, format: VirtioNetHdrFormat = { layout: 'v1' }): VirtioNetHdrView {
    const le = format.littleEndian ?? true;
    assertFormat(format.layout, le);
    return new VirtioNetHdrView(bytes, offset, format.layout, le);
  }

  /** A reusable empty view for {@link VirtioNetHdrView.wrap}. @throws RangeError on a bad format. */
  static empty(format: VirtioNetHdrFormat = { layout: 'v1' }): VirtioNetHdrView {
    return VirtioNetHdrView.unchecked(new Uint8Array(0), 0, format);
  }

  /**
   * Validate that a whole header of `format` fits in `bytes[offset..end)`.
   * @returns the view, or a `truncated` {@link WireError} (layer `link`, field `virtio_net_hdr`) at `offset`.
   * @throws RangeError for a `v1*` layout with `littleEndian: false` (a programmer error, not bad input).
   */
  static check(bytes: Uint8Array, offset = 0, format: VirtioNetHdrFormat = { layout: 'v1' }, end = bytes.length): Result<VirtioNetHdrView> {
    const v = VirtioNetHdrView.unchecked(bytes, offset, format);
    const code = v.wrap(bytes, offset, end);
    return code === VIRTIO_NET_HDR_OK ? ok(v) : err(virtioNetHdrError(code, bytes, offset, end, format.layout));
  }

  /** Re-point this view in place; returns {@link VIRTIO_NET_HDR_OK} or an error code (expand with {@link virtioNetHdrError}). */
  wrap(bytes: Uint8Array, offset: number, end = bytes.length): number {
    this.bytes = bytes;
    this.offset = offset;
    return Math.min(end, bytes.length) - offset < LENGTHS[this.layout] ? VIRTIO_NET_HDR_ERR_TRUNCATED : VIRTIO_NET_HDR_OK;
  }

  /** Header length in bytes (10, 12, 20 or 24). */
  get headerLength(): number {
    return LENGTHS[this.layout];
  }
  /** Offset of the frame that follows the header. */
  get payloadOffset(): number {
    return this.offset + LENGTHS[this.layout];
  }

  /** Byte 0: `VIRTIO_NET_HDR_F_*` bits. */
  get flags(): number {
    return this.bytes[this.offset]!;
  }
  set flags(v: number) {
    assertUint(v, 8, 'flags');
    this.bytes[this.offset] = v;
  }
  /** Byte 1: `VIRTIO_NET_HDR_GSO_*` (inner type | tunnel bits | ECN). */
  get gsoType(): number {
    return this.bytes[this.offset + O.GSO_TYPE]!;
  }
  set gsoType(v: number) {
    assertUint(v, 8, 'gsoType');
    this.bytes[this.offset + O.GSO_TYPE] = v;
  }
  /** gso_type without the tunnel and ECN bits (NONE, TCPV4, UDP, TCPV6, UDP_L4 or an unknown value). */
  get gsoInnerType(): number {
    return this.gsoType & ~(VIRTIO_NET_HDR_GSO_UDP_TUNNEL | VIRTIO_NET_HDR_GSO_ECN);
  }
  /** hdr_len (bytes 2–3): bytes of headers; for tunnel GSO up to and including the inner transport header. */
  get hdrLen(): number {
    return this.get16(O.HDR_LEN);
  }
  set hdrLen(v: number) {
    this.set16(O.HDR_LEN, v, 'hdrLen');
  }
  /** gso_size (bytes 4–5): payload bytes per segment (the MSS). */
  get gsoSize(): number {
    return this.get16(O.GSO_SIZE);
  }
  set gsoSize(v: number) {
    this.set16(O.GSO_SIZE, v, 'gsoSize');
  }
  /** csum_start (bytes 6–7): frame offset where checksumming starts (`rsc.segments` under RSC_INFO). */
  get csumStart(): number {
    return this.get16(O.CSUM_START);
  }
  set csumStart(v: number) {
    this.set16(O.CSUM_START, v, 'csumStart');
  }
  /** csum_offset (bytes 8–9): where after csum_start the result goes, 16 for TCP, 6 for UDP (`rsc.dup_acks` under RSC_INFO). */
  get csumOffset(): number {
    return this.get16(O.CSUM_OFFSET);
  }
  set csumOffset(v: number) {
    this.set16(O.CSUM_OFFSET, v, 'csumOffset');
  }
  /** num_buffers (bytes 10–11, not in `legacy`): receive buffers this packet spans (0 on transmit). */
  get numBuffers(): number {
    return has(this.layout, O.NUM_BUFFERS) ? this.get16(O.NUM_BUFFERS) : 0;
  }
  set numBuffers(v: number) {
    this.need(O.NUM_BUFFERS, 'numBuffers');
    this.set16(O.NUM_BUFFERS, v, 'numBuffers');
  }
  /** hash_value (bytes 12–15, `__le32`, i.e. hash_value_lo then hash_value_hi), v1_hash layouts only. */
  get hashValue(): number {
    if (!has(this.layout, O.HASH_VALUE)) return 0;
    const b = this.bytes;
    const i = this.offset + O.HASH_VALUE;
    return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
  }
  set hashValue(v: number) {
    this.need(O.HASH_VALUE, 'hashValue');
    assertUint(v, 32, 'hashValue');
    const b = this.bytes;
    const i = this.offset + O.HASH_VALUE;
    b[i] = v;
    b[i + 1] = v >>> 8;
    b[i + 2] = v >>> 16;
    b[i + 3] = v >>> 24;
  }
  /** hash_report (bytes 16–17, `__le16`): a {@link VirtioNetHashReport} value. */
  get hashReport(): number {
    return has(this.layout, O.HASH_REPORT) ? this.le16(O.HASH_REPORT) : 0;
  }
  set hashReport(v: number) {
    this.need(O.HASH_REPORT, 'hashReport');
    this.setLe16(O.HASH_REPORT, v, 'hashReport');
  }
  /** padding (bytes 18–19): reserved, written 0. */
  get padding(): number {
    return has(this.layout, O.PADDING) ? this.le16(O.PADDING) : 0;
  }
  set padding(v: number) {
    this.need(O.PADDING, 'padding');
    this.setLe16(O.PADDING, v, 'padding');
  }
  /** outer_th_offset (bytes 20–21, `__le16`): frame offset of the outer UDP header (tunnel layout only). */
  get outerThOffset(): number {
    return has(this.layout, O.OUTER_TH_OFFSET) ? this.le16(O.OUTER_TH_OFFSET) : 0;
  }
  set outerThOffset(v: number) {
    this.need(O.OUTER_TH_OFFSET, 'outerThOffset');
    this.setLe16(O.OUTER_TH_OFFSET, v, 'outerThOffset');
  }
  /** inner_nh_offset (bytes 22–23, `__le16`): frame offset of the inner network (IP) header (tunnel layout only). */
  get innerNhOffset(): number {
    return has(this.layout, O.INNER_NH_OFFSET) ? this.le16(O.INNER_NH_OFFSET) : 0;
  }
  set innerNhOffset(v: number) {
    this.need(O.INNER_NH_OFFSET, 'innerNhOffset');
    this.setLe16(O.INNER_NH_OFFSET, v, 'innerNhOffset');
  }

  private get16(at: number): number {
    const b = this.bytes;
    const i = this.offset + at;
    return this.littleEndian ? b[i]! | (b[i + 1]! << 8) : (b[i]! << 8) | b[i + 1]!;
  }
  private set16(at: number, v: number, name: string): void {
    assertUint(v, 16, name);
    const b = this.bytes;
    const i = this.offset + at;
    if (this.littleEndian) {
      b[i] = v;
      b[i + 1] = v >>> 8;
    } else {
      b[i] = v >>> 8;
      b[i + 1] = v;
    }
  }
  private le16(at: number): number {
    const i = this.offset + at;
    return this.bytes[i]! | (this.bytes[i + 1]! << 8);
  }
  private setLe16(at: number, v: number, name: string): void {
    assertUint(v, 16, name);
    const i = this.offset + at;
    this.bytes[i] = v;
    this.bytes[i + 1] = v >>> 8;
  }
  private need(at: number, name: string): void {
    if (!has(this.layout, at)) throw new RangeError(`${name} is not part of the ${this.layout} virtio-net header`);
  }
}

/** Expand a {@link VirtioNetHdrView.wrap} code into a {@link WireError} (layer `link`). */
export function virtioNetHdrError(code: number, bytes: Uint8Array, offset: number, end = bytes.length, layout: VirtioNetHdrLayout = 'v1'): WireError {
  if (code === VIRTIO_NET_HDR_ERR_TRUNCATED) return truncated('link', offset, LENGTHS[layout], Math.min(end, bytes.length) - offset, 'virtio_net_hdr');
  return wireError('bad-value', 'link', offset, 'virtio_net_hdr', code, 'valid virtio-net header');
}

// ---------------------------------------------------------------------------------------------
// Fields form

/**
 * A virtio-net header as a plain object. Every layout's fields are present; the ones a layout lacks
 * are 0 on parse and must be 0 on emit. Units: bytes (offsets from the frame start) unless noted.
 */
export interface VirtioNetHdrFields {
  /** `VIRTIO_NET_HDR_F_*` bits (8 bits). */
  readonly flags: number;
  /** `VIRTIO_NET_HDR_GSO_*` value (8 bits): inner type | UDP_TUNNEL_IPV4/IPV6 | ECN. */
  readonly gsoType: number;
  /** hdr_len (16 bits). */
  readonly hdrLen: number;
  /** gso_size (16 bits), payload bytes per segment. */
  readonly gsoSize: number;
  /** csum_start (16 bits); rsc.segments under RSC_INFO. */
  readonly csumStart: number;
  /** csum_offset (16 bits); rsc.dup_acks under RSC_INFO. */
  readonly csumOffset: number;
  /** num_buffers (16 bits; not in `legacy`). */
  readonly numBuffers: number;
  /** hash_value (32 bits; v1_hash layouts). */
  readonly hashValue: number;
  /** hash_report (16 bits; v1_hash layouts), a {@link VirtioNetHashReport} value. */
  readonly hashReport: number;
  /** outer_th_offset (16 bits; v1_hash_tunnel). */
  readonly outerThOffset: number;
  /** inner_nh_offset (16 bits; v1_hash_tunnel). */
  readonly innerNhOffset: number;
}

/** All-zero fields (no offload requested): a start for `{ ...VIRTIO_NET_HDR_EMPTY, ... }`. */
export const VIRTIO_NET_HDR_EMPTY: VirtioNetHdrFields = Object.freeze({
  flags: 0,
  gsoType: 0,
  hdrLen: 0,
  gsoSize: 0,
  csumStart: 0,
  csumOffset: 0,
  numBuffers: 0,
  hashValue: 0,
  hashReport: 0,
  outerThOffset: 0,
  innerNhOffset: 0,
});

/**
 * Parse a header of `format` at `offset` (bounded by `end`). Never throws on received bytes.
 * Errors: `truncated` (layer `link`); with `strict`, `reserved-nonzero` for flag bits outside
 * {@link VIRTIO_NET_HDR_FLAGS_MASK} or a nonzero `padding`. Semantic checks (the Linux rules) are
 * {@link validateVirtioNetHdr}'s job.
 * @throws RangeError only for a bad `format` (a `v1*` layout with `littleEndian: false`).
 */
export function parseVirtioNetHdr(
  bytes: Uint8Array,
  offset = 0,
  format: VirtioNetHdrFormat = { layout: 'v1' },
  opts: ParseOptions & { readonly end?: number } = {},
): Result<VirtioNetHdrFields> {
  const r = VirtioNetHdrView.check(bytes, offset, format, opts.end ?? bytes.length);
  if (!r.ok) return r;
  const v = r.value;
  if (opts.strict) {
    if (v.flags & ~VIRTIO_NET_HDR_FLAGS_MASK) return err(wireError('reserved-nonzero', 'link', offset + O.FLAGS, 'flags', v.flags, `bits 0x${VIRTIO_NET_HDR_FLAGS_MASK.toString(16)} only`));
    if (v.padding) return err(wireError('reserved-nonzero', 'link', offset + O.PADDING, 'padding', v.padding, '0'));
  }
  return ok({
    flags: v.flags,
    gsoType: v.gsoType,
    hdrLen: v.hdrLen,
    gsoSize: v.gsoSize,
    csumStart: v.csumStart,
    csumOffset: v.csumOffset,
    numBuffers: v.numBuffers,
    hashValue: v.hashValue,
    hashReport: v.hashReport,
    outerThOffset: v.outerThOffset,
    innerNhOffset: v.innerNhOffset,
  });
}

/**
 * Write every byte of a `format` header (padding 0) from `f` at `offset`; returns the header length.
 * @throws RangeError for a field out of range (8/16/32 bits), a nonzero field the layout lacks
 * (e.g. `hashValue` in `v1`), a bad format, or `out` too small.
 */
export function emitVirtioNetHdr(f: VirtioNetHdrFields, out: Uint8Array, offset = 0, format: VirtioNetHdrFormat = { layout: 'v1' }): number {
  const v = VirtioNetHdrView.unchecked(out, offset, format);
  const n = v.headerLength;
  const absent = (at: number, name: keyof VirtioNetHdrFields): void => {
    if (!has(format.layout, at) && f[name] !== 0) throw new RangeError(`${name} is not part of the ${format.layout} virtio-net header (got ${f[name]})`);
  };
  absent(O.NUM_BUFFERS, 'numBuffers');
  absent(O.HASH_VALUE, 'hashValue');
  absent(O.HASH_REPORT, 'hashReport');
  absent(O.OUTER_TH_OFFSET, 'outerThOffset');
  absent(O.INNER_NH_OFFSET, 'innerNhOffset');
  assertRoom(out, offset, n, 'virtio-net header');
  v.flags = f.flags;
  v.gsoType = f.gsoType;
  v.hdrLen = f.hdrLen;
  v.gsoSize = f.gsoSize;
  v.csumStart = f.csumStart;
  v.csumOffset = f.csumOffset;
  if (has(format.layout, O.NUM_BUFFERS)) v.numBuffers = f.numBuffers;
  if (has(format.layout, O.HASH_VALUE)) {
    v.hashValue = f.hashValue;
    v.hashReport = f.hashReport;
    v.padding = 0;
  }
  if (has(format.layout, O.OUTER_TH_OFFSET)) {
    v.outerThOffset = f.outerThOffset;
    v.innerNhOffset = f.innerNhOffset;
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// Validation (Linux include/linux/virtio_net.h)

/** What the receiving side negotiated, for {@link validateVirtioNetHdr}. */
export interface VirtioValidateOptions {
  /** VIRTIO_NET_F_*_UDP_TUNNEL_GSO_CSUM negotiated (default true): F_UDP_TUNNEL_CSUM is allowed. */
  readonly tunnelCsumNegotiated?: boolean;
}

const IPV4_MIN = 20;
const IPV6_MIN = 40;
const ETH_HLEN = 14;
const UDP_LEN = 8;

function hdrErr(kind: WireError['kind'], at: number, field: string, found: number, allowed: string): Result<never> {
  return err(wireError(kind, 'link', at, field, found, allowed));
}

/**
 * Check a received header the way Linux does before it builds an skb from it
 * (`__virtio_net_hdr_to_skb`, `virtio_net_hdr_tnl_to_skb`, `virtio_net_handle_csum_offload`), in
 * that order. Never throws. Errors (layer `link`, `at` = the field's byte offset inside the header):
 * - `unsupported` `gso_type`: UDP_TUNNEL bits in a layout without tunnel offsets;
 * - `bad-flags` `gso_type`: both UDP_TUNNEL_IPV4 and UDP_TUNNEL_IPV6;
 * - `bad-value` `gso_type`: unknown inner type, no inner type or UFO under a tunnel bit, ECN on UDP_L4;
 * - `bad-flags` `flags`: tunnel GSO without NEEDS_CSUM or with DATA_VALID; UDP_TUNNEL_CSUM not
 *   negotiated; RSC_INFO together with NEEDS_CSUM; UDP_L4 without NEEDS_CSUM;
 * - `bad-value` `gso_size`: 0 or GSO_BY_FRAGS (0xffff) with a GSO type;
 * - `bad-value` `csum_offset`: not 6 for UDP_L4, not 16 for TCP with NEEDS_CSUM;
 * - `bad-value` `csum_start`: before the minimum network header (20, or 40 for TCPV6), or (tunnel)
 *   before `inner_nh_offset` + minimum inner IP header;
 * - `bad-value` `outer_th_offset`: < 14 + minimum outer IP header; `inner_nh_offset`: < outer_th_offset + 8.
 * Checks that need the frame (csum_start inside it, the IP version of a USO inner packet) happen in
 * {@link virtioToDescriptor}.
 */
export function validateVirtioNetHdr(f: VirtioNetHdrFields, layout: VirtioNetHdrLayout, opts: VirtioValidateOptions = {}): Result<VirtioNetHdrFields> {
  const tunnelBits = f.gsoType & VIRTIO_NET_HDR_GSO_UDP_TUNNEL;
  const inner = f.gsoType & ~(VIRTIO_NET_HDR_GSO_UDP_TUNNEL | VIRTIO_NET_HDR_GSO_ECN);
  const needs = (f.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) !== 0;
  const valid = (f.flags & VIRTIO_NET_HDR_F_DATA_VALID) !== 0;
  const tnlCsum = (f.flags & VIRTIO_NET_HDR_F_UDP_TUNNEL_CSUM) !== 0;
  const csumNegotiated = opts.tunnelCsumNegotiated ?? true;
  if (tunnelBits) {
    if (layout !== 'v1-hash-tunnel') return hdrErr('unsupported', O.GSO_TYPE, 'gso_type', f.gsoType, 'no UDP_TUNNEL bits without the v1_hash_tunnel layout');
    if (tunnelBits === VIRTIO_NET_HDR_GSO_UDP_TUNNEL) return hdrErr('bad-flags', O.GSO_TYPE, 'gso_type', f.gsoType, 'one of UDP_TUNNEL_IPV4 (0x20), UDP_TUNNEL_IPV6 (0x40)');
    if (inner === VIRTIO_NET_HDR_GSO_NONE || inner === VIRTIO_NET_HDR_GSO_UDP) {
      return hdrErr('bad-value', O.GSO_TYPE, 'gso_type', f.gsoType, 'a TCPV4, TCPV6 or UDP_L4 inner type under a UDP tunnel (no UFO)');
    }
    if (!needs) return hdrErr('bad-flags', O.FLAGS, 'flags', f.flags, 'NEEDS_CSUM with UDP tunnel GSO');
    if (valid) return hdrErr('bad-flags', O.FLAGS, 'flags', f.flags, 'no DATA_VALID with UDP tunnel GSO');
    if (tnlCsum && !csumNegotiated) return hdrErr('bad-flags', O.FLAGS, 'flags', f.flags, 'no UDP_TUNNEL_CSUM (not negotiated)');
    const outerMin = ETH_HLEN + (tunnelBits === VIRTIO_NET_HDR_GSO_UDP_TUNNEL_IPV6 ? IPV6_MIN : IPV4_MIN);
    if (f.outerThOffset < outerMin) return hdrErr('bad-value', O.OUTER_TH_OFFSET, 'outer_th_offset', f.outerThOffset, `>= ${outerMin}`);
    if (f.innerNhOffset < f.outerThOffset + UDP_LEN) return hdrErr('bad-value', O.INNER_NH_OFFSET, 'inner_nh_offset', f.innerNhOffset, `>= outer_th_offset + 8 (${f.outerThOffset + UDP_LEN})`);
    const innerMin = f.innerNhOffset + (inner === VIRTIO_NET_HDR_GSO_TCPV6 ? IPV6_MIN : IPV4_MIN);
    if (f.csumStart < innerMin) return hdrErr('bad-value', O.CSUM_START, 'csum_start', f.csumStart, `>= inner_nh_offset + minimum inner IP header (${innerMin})`);
  } else if (valid && tnlCsum && !csumNegotiated) {
    return hdrErr('bad-flags', O.FLAGS, 'flags', f.flags, 'no UDP_TUNNEL_CSUM (not negotiated)');
  }
  if (inner !== VIRTIO_NET_HDR_GSO_NONE) {
    if (inner !== VIRTIO_NET_HDR_GSO_TCPV4 && inner !== VIRTIO_NET_HDR_GSO_TCPV6 && inner !== VIRTIO_NET_HDR_GSO_UDP && inner !== VIRTIO_NET_HDR_GSO_UDP_L4) {
      return hdrErr('bad-value', O.GSO_TYPE, 'gso_type', f.gsoType, 'inner type 0, 1 (TCPV4), 3 (UDP), 4 (TCPV6) or 5 (UDP_L4)');
    }
    if (f.gsoSize === 0 || f.gsoSize === VIRTIO_GSO_BY_FRAGS) return hdrErr('bad-value', O.GSO_SIZE, 'gso_size', f.gsoSize, '1..65534 with a GSO type');
  } else if (f.gsoType & VIRTIO_NET_HDR_GSO_ECN) {
    return hdrErr('bad-value', O.GSO_TYPE, 'gso_type', f.gsoType, 'ECN only with a TCP GSO type');
  }
  if ((f.flags & VIRTIO_NET_HDR_F_RSC_INFO) && needs) return hdrErr('bad-flags', O.FLAGS, 'flags', f.flags, 'RSC_INFO without NEEDS_CSUM (the csum fields carry RSC info)');
  if (needs) {
    const nhMin = inner === VIRTIO_NET_HDR_GSO_TCPV6 ? IPV6_MIN : IPV4_MIN;
    if (f.csumStart < nhMin) return hdrErr('bad-value', O.CSUM_START, 'csum_start', f.csumStart, `>= ${nhMin} (minimum network header)`);
  }
  if (inner === VIRTIO_NET_HDR_GSO_UDP_L4) {
    if (!needs) return hdrErr('bad-flags', O.FLAGS, 'flags', f.flags, 'NEEDS_CSUM with UDP_L4');
    if (f.csumOffset !== 6) return hdrErr('bad-value', O.CSUM_OFFSET, 'csum_offset', f.csumOffset, '6 (UDP checksum) with UDP_L4');
    if (f.gsoType & VIRTIO_NET_HDR_GSO_ECN) return hdrErr('bad-value', O.GSO_TYPE, 'gso_type', f.gsoType, 'no ECN with UDP_L4');
  }
  if ((inner === VIRTIO_NET_HDR_GSO_TCPV4 || inner === VIRTIO_NET_HDR_GSO_TCPV6) && needs && f.csumOffset !== 16) {
    return hdrErr('bad-value', O.CSUM_OFFSET, 'csum_offset', f.csumOffset, '16 (TCP checksum) with a TCP GSO type');
  }
  return ok(f);
}

// ---------------------------------------------------------------------------------------------
// Partial descriptors (shared with linux.ts and dpdk.ts)

/**
 * What an offload header tells about a frame without the frame: the descriptor fields the header
 * carries, every other one left out. `outerUdpCsum` and `gso.tunnel`/`gso.ecn` are absent when the
 * header cannot say. Complete it with {@link completeOffloadHints}.
 */
export interface OffloadHints {
  /** Tunnel kind, when the header names it (DPDK tunnel type); `gre` also covers NVGRE. */
  readonly tunnel?: OffloadTunnel;
  readonly csum: ChecksumState;
  readonly outerUdpCsum?: boolean;
  readonly gso?: {
    readonly type: GsoType;
    readonly tunnel?: GsoTunnel;
    readonly size: number;
    readonly segments?: number;
    readonly ecn?: boolean;
  };
  /** Outer header positions the header gives (present only for a tunnel it describes). */
  readonly outer?: Partial<HeaderOffsets>;
  /** Inner (or only) packet positions the header gives. */
  readonly inner: Partial<HeaderOffsets>;
  /** Bytes of headers before the payload (virtio hdr_len), when carried. */
  readonly headerLength?: number;
}

/** Options for turning hints plus a frame into a full descriptor. */
export interface CompleteOptions {
  /** Walker options used to find the headers (decode-as ports etc.). */
  readonly walk?: WalkOptions;
  /**
   * Also require a nonzero carried header length (virtio hdr_len) of a GSO packet to equal the end of
   * the inner transport header (default false: Linux treats hdr_len as a hint, and legacy guests send
   * the linear length).
   */
  readonly checkHeaderLength?: boolean;
}

function mismatch(field: string, found: number, expected: number | string): Result<never> {
  return err(wireError('bad-value', 'walk', 0, field, found, `${expected} (as the frame has it)`));
}

const TUNNEL_CODE: Readonly<Record<OffloadTunnel, number>> = { none: 0, vxlan: 1, 'vxlan-gpe': 2, geneve: 3, nvgre: 4, gre: 5, stt: 6 };

/**
 * Build the full descriptor of `frame` from `hints`: derive it from the frame
 * ({@link deriveOffloadDescriptor}, with the hint's checksum mode, gso_size and outer UDP checksum
 * request), check that every position the hints carry equals the frame's, then keep the hints'
 * checksum state and GSO type/ECN/tunnel variant where they carry them. As Linux does, a GSO hint on a
 * frame whose payload fits one segment yields no `gso`.
 * Errors: the derivation's errors; `bad-value` (layer `walk`, field such as `inner.l4Offset`,
 * `tunnel`, `gso.type`) when a hint contradicts the frame.
 */
export function completeOffloadHints(hints: OffloadHints, frame: Uint8Array, opts: CompleteOptions = {}): Result<OffloadDescriptor> {
  const partial = hints.csum.kind === 'partial';
  const d0 = deriveOffloadDescriptor(frame, {
    csum: partial ? 'partial' : 'none',
    ...(hints.gso ? { gsoSize: hints.gso.size } : {}),
    ...(hints.outerUdpCsum !== undefined ? { outerUdpCsum: hints.outerUdpCsum } : {}),
    ...(opts.walk ? { walk: opts.walk } : {}),
  });
  if (!d0.ok) return d0;
  const d = d0.value;
  if (hints.tunnel !== undefined && hints.tunnel !== d.tunnel && !(hints.tunnel === 'gre' && d.tunnel === 'nvgre')) {
    return mismatch('tunnel', TUNNEL_CODE[hints.tunnel], d.tunnel);
  }
  if (hints.outer) {
    if (!d.outer) return mismatch('outer', 1, 'no tunnel');
    for (const k of Object.keys(hints.outer) as (keyof HeaderOffsets)[]) {
      const hv = hints.outer[k];
      if (hv !== undefined && hv !== d.outer[k]) return mismatch(`outer.${k}`, hv, d.outer[k]);
    }
  }
  for (const k of Object.keys(hints.inner) as (keyof HeaderOffsets)[]) {
    const hv = hints.inner[k];
    if (hv !== undefined && hv !== d.inner[k]) return mismatch(`inner.${k}`, hv, d.inner[k]);
  }
  if (opts.checkHeaderLength && hints.headerLength !== undefined && hints.gso && hints.headerLength !== 0 && hints.headerLength !== d.inner.l4Offset + d.inner.l4Length) {
    return mismatch('headerLength', hints.headerLength, d.inner.l4Offset + d.inner.l4Length);
  }
  if (partial && d.csum.kind === 'partial') {
    const h = hints.csum as Extract<ChecksumState, { kind: 'partial' }>;
    if (h.csumStart !== d.csum.csumStart) return mismatch('csum.csumStart', h.csumStart, d.csum.csumStart);
    if (h.csumOffset !== d.csum.csumOffset) return mismatch('csum.csumOffset', h.csumOffset, d.csum.csumOffset);
  }
  let gso = d.gso;
  if (gso && hints.gso) {
    const h = hints.gso;
    const tcp = d.inner.l4Protocol === 6;
    const typeOk = h.type === 'udp' || h.type === 'udp-l4' ? !tcp : tcp && (h.type === 'tcpv4') === (d.inner.ipVersion === 4);
    if (!typeOk) return mismatch('gso.type', GSO_TYPE_CODE[h.type], gso.type);
    if (h.tunnel !== undefined && h.tunnel !== gso.tunnel) {
      const sameFamily = (h.tunnel.startsWith('gre') && gso.tunnel.startsWith('gre')) || (h.tunnel.startsWith('udp') && gso.tunnel.startsWith('udp'));
      if (!sameFamily) return mismatch('gso.tunnel', GSO_TUNNEL_CODE[h.tunnel], gso.tunnel);
    }
    gso = { ...gso, type: h.type, ...(h.tunnel !== undefined ? { tunnel: h.tunnel } : {}), ...(h.ecn !== undefined ? { ecn: h.ecn } : {}) };
  }
  const csum = partial ? d.csum : hints.csum;
  const { gso: _drop, ...base } = d;
  return ok({ ...base, csum, ...(gso ? { gso } : {}) });
}

const GSO_TYPE_CODE: Readonly<Record<GsoType, number>> = { tcpv4: VIRTIO_NET_HDR_GSO_TCPV4, udp: VIRTIO_NET_HDR_GSO_UDP, tcpv6: VIRTIO_NET_HDR_GSO_TCPV6, 'udp-l4': VIRTIO_NET_HDR_GSO_UDP_L4 };
const GSO_TUNNEL_CODE: Readonly<Record<GsoTunnel, number>> = { none: 0, 'udp-tunnel': 1, 'udp-tunnel-csum': 2, gre: 3, 'gre-csum': 4 };

// ---------------------------------------------------------------------------------------------
// Descriptor ↔ virtio-net header

function unrepresentable(field: string, found: number, allowed: string): Result<never> {
  return err(wireError('unsupported', 'walk', 0, field, found, allowed));
}

/**
 * The virtio-net header that asks a device to do `desc`'s offload work (what Linux
 * `virtio_net_hdr_tnl_from_skb` writes for the equivalent skb, with an exact hdr_len):
 * - `csum` partial → NEEDS_CSUM with its csum_start/csum_offset (for tunnels: the inner L4 checksum);
 *   unnecessary → DATA_VALID, plus UDP_TUNNEL_CSUM when `level ≥ 1` (Linux csum_level 1); none with
 *   `outerUdpCsum` on an unsegmented UDP tunnel → NEEDS_CSUM at the outer UDP header (offset 6);
 *   complete → no flag (virtio has no CHECKSUM_COMPLETE).
 * - `gso` → gso_type TCPV4/TCPV6/UDP/UDP_L4 (| ECN for TCP with CWR), gso_size = `gso.size`, hdr_len =
 *   end of the inner transport header (§1.3: 116 for Eth/IPv4/UDP/VXLAN/Eth/IPv4/TCP+12 option bytes);
 *   tunnel GSO adds UDP_TUNNEL_IPV4/IPV6 by the OUTER IP version, UDP_TUNNEL_CSUM for `udp-tunnel-csum`,
 *   and (tunnel layout) outer_th_offset = outer UDP, inner_nh_offset = inner IP header.
 * - no gso → hdr_len 0; num_buffers, hash fields 0.
 * Errors (`unsupported`, layer `walk`): GSO over a GRE/NVGRE/STT tunnel (no virtio type); UDP tunnel GSO
 * without the `v1-hash-tunnel` layout, with UFO inside, or without a partial checksum; UDP_L4 GSO
 * without a partial checksum or into more than {@link VIRTIO_UDP_MAX_SEGMENTS} segments (Linux drops it).
 */
export function descriptorToVirtio(desc: OffloadDescriptor, layout: VirtioNetHdrLayout): Result<VirtioNetHdrFields> {
  let flags = 0;
  let gsoType = VIRTIO_NET_HDR_GSO_NONE;
  let hdrLen = 0;
  let gsoSize = 0;
  let csumStart = 0;
  let csumOffset = 0;
  let outerThOffset = 0;
  let innerNhOffset = 0;
  const partial = desc.csum.kind === 'partial';
  const g = desc.gso;
  if (g) {
    gsoType = GSO_TYPE_CODE[g.type];
    if (g.ecn && (g.type === 'tcpv4' || g.type === 'tcpv6')) gsoType |= VIRTIO_NET_HDR_GSO_ECN;
    if (desc.outer) {
      if (g.tunnel !== 'udp-tunnel' && g.tunnel !== 'udp-tunnel-csum') {
        return unrepresentable('gso.tunnel', GSO_TUNNEL_CODE[g.tunnel], 'a UDP tunnel (virtio has no GRE or STT segmentation)');
      }
      if (layout !== 'v1-hash-tunnel') return unrepresentable('layout', virtioNetHdrLength(layout), 'the v1-hash-tunnel layout for UDP tunnel GSO');
      if (g.type === 'udp') return unrepresentable('gso.type', VIRTIO_NET_HDR_GSO_UDP, 'TCPV4, TCPV6 or UDP_L4 under a UDP tunnel (no UFO)');
      if (!partial) return unrepresentable('csum', 0, 'a partial checksum with UDP tunnel GSO');
      gsoType |= desc.outer.ipVersion === 4 ? VIRTIO_NET_HDR_GSO_UDP_TUNNEL_IPV4 : VIRTIO_NET_HDR_GSO_UDP_TUNNEL_IPV6;
      if (g.tunnel === 'udp-tunnel-csum') flags |= VIRTIO_NET_HDR_F_UDP_TUNNEL_CSUM;
      outerThOffset = desc.outer.l4Offset;
      innerNhOffset = desc.inner.l3Offset;
    }
    if (g.type === 'udp-l4' && !partial) return unrepresentable('csum', 0, 'a partial checksum with UDP_L4 GSO');
    if (g.type === 'udp-l4' && g.segments > VIRTIO_UDP_MAX_SEGMENTS) return unrepresentable('gso.segments', g.segments, `<= ${VIRTIO_UDP_MAX_SEGMENTS} UDP_L4 segments (Linux UDP_MAX_SEGMENTS)`);
    hdrLen = desc.inner.l4Offset + desc.inner.l4Length;
    gsoSize = g.size;
  }
  switch (desc.csum.kind) {
    case 'partial':
      flags |= VIRTIO_NET_HDR_F_NEEDS_CSUM;
      csumStart = desc.csum.csumStart;
      csumOffset = desc.csum.csumOffset;
      break;
    case 'unnecessary':
      flags |= VIRTIO_NET_HDR_F_DATA_VALID;
      if (desc.csum.level >= 1) flags |= VIRTIO_NET_HDR_F_UDP_TUNNEL_CSUM;
      break;
    case 'none':
      if (!g && desc.outer && desc.outerUdpCsum && desc.outer.l4Protocol === 17) {
        flags |= VIRTIO_NET_HDR_F_NEEDS_CSUM;
        csumStart = desc.outer.l4Offset;
        csumOffset = 6;
      }
      break;
    case 'complete':
      break;
  }
  return ok({ ...VIRTIO_NET_HDR_EMPTY, flags, gsoType, hdrLen, gsoSize, csumStart, csumOffset, outerThOffset, innerNhOffset });
}

/**
 * What a validated header alone says ({@link OffloadHints}):
 * - csum: NEEDS_CSUM → partial (csum_start/csum_offset as carried, which may be the outer UDP header of
 *   an unsegmented tunnel packet); DATA_VALID → unnecessary, level 1 with UDP_TUNNEL_CSUM; else none.
 * - gso: type from gso_type (UFO → `udp`), size, ECN; tunnel variant only for UDP tunnel GSO
 *   (`udp-tunnel[-csum]` from UDP_TUNNEL_CSUM, which is then also `outerUdpCsum`), else `none`.
 * - positions: tunnel GSO gives the outer IP version, outer L4 offset (UDP), inner IP offset and inner
 *   L4 offset (csum_start); TCPV4/TCPV6 give the inner IP version; partial csum gives the inner L4
 *   offset; hdr_len is `headerLength`.
 */
function virtioHints(f: VirtioNetHdrFields): OffloadHints {
  const tunnelBits = f.gsoType & VIRTIO_NET_HDR_GSO_UDP_TUNNEL;
  const innerType = f.gsoType & ~(VIRTIO_NET_HDR_GSO_UDP_TUNNEL | VIRTIO_NET_HDR_GSO_ECN);
  const tnlCsum = (f.flags & VIRTIO_NET_HDR_F_UDP_TUNNEL_CSUM) !== 0;
  let csum: ChecksumState = { kind: 'none' };
  if (f.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) csum = { kind: 'partial', csumStart: f.csumStart, csumOffset: f.csumOffset };
  else if (f.flags & VIRTIO_NET_HDR_F_DATA_VALID) csum = { kind: 'unnecessary', level: tnlCsum ? 1 : 0 };
  const type: GsoType | undefined =
    innerType === VIRTIO_NET_HDR_GSO_TCPV4 ? 'tcpv4' : innerType === VIRTIO_NET_HDR_GSO_TCPV6 ? 'tcpv6' : innerType === VIRTIO_NET_HDR_GSO_UDP ? 'udp' : innerType === VIRTIO_NET_HDR_GSO_UDP_L4 ? 'udp-l4' : undefined;
  const inner: Partial<Record<keyof HeaderOffsets, number>> = {};
  if (type === 'tcpv4' || type === 'tcpv6') {
    inner.ipVersion = type === 'tcpv4' ? 4 : 6;
    inner.l4Protocol = 6;
  } else if (type) inner.l4Protocol = 17;
  let outer: Partial<Record<keyof HeaderOffsets, number>> | undefined;
  if (tunnelBits) {
    outer = { ipVersion: tunnelBits === VIRTIO_NET_HDR_GSO_UDP_TUNNEL_IPV4 ? 4 : 6, l4Offset: f.outerThOffset, l4Protocol: 17 };
    inner.l3Offset = f.innerNhOffset;
    inner.l4Offset = f.csumStart;
  }
  return {
    csum,
    ...(tunnelBits ? { outerUdpCsum: tnlCsum } : {}),
    ...(type ? { gso: { type, tunnel: tunnelBits ? (tnlCsum ? 'udp-tunnel-csum' : 'udp-tunnel') : 'none', size: f.gsoSize, ecn: (f.gsoType & VIRTIO_NET_HDR_GSO_ECN) !== 0 } } : {}),
    ...(outer ? { outer: outer as Partial<HeaderOffsets> } : {}),
    inner: inner as Partial<HeaderOffsets>,
    headerLength: f.hdrLen,
  };
}

/** Options of {@link virtioToDescriptor}. */
export interface VirtioToDescriptorOptions extends VirtioValidateOptions, CompleteOptions {
  /** Layout the fields were parsed from (default `v1-hash-tunnel`, which allows every field). */
  readonly layout?: VirtioNetHdrLayout;
}

/**
 * Recover the descriptor a received header describes. The header is first checked with
 * {@link validateVirtioNetHdr}.
 *
 * Without `frame`: the {@link OffloadHints} the header carries (see there). With `frame` (the bytes
 * after the header): the full {@link OffloadDescriptor} — {@link completeOffloadHints} derives what
 * virtio cannot carry (tunnel kind and header lengths, L2/L3 lengths, IP versions of USO packets,
 * segment count, frame length) and checks the carried positions against the frame. NEEDS_CSUM at the
 * outer UDP header of an unsegmented tunnel packet comes back as `csum: none` with `outerUdpCsum`.
 *
 * Round trip `descriptorToVirtio` → `virtioToDescriptor(…, frame)` returns the descriptor unchanged
 * when the descriptor was derived from `frame` with the default outer-UDP-checksum choice, except:
 * `complete` → none; `unnecessary` levels > 1 → 1; on an unsegmented tunnel packet with a partial inner
 * checksum, `outerUdpCsum` comes from the frame (virtio carries one checksum there).
 * Errors: the validation errors (layer `link`); `truncated` (layer `link`, at 0, field `csum_start`)
 * when csum_start + csum_offset + 2 passes the frame end; `bad-value` `gso_size` when a UDP_L4 packet
 * would become more than {@link VIRTIO_UDP_MAX_SEGMENTS} segments; the derivation and consistency errors of
 * {@link completeOffloadHints}. Never throws.
 */
export function virtioToDescriptor(f: VirtioNetHdrFields, frame: Uint8Array, opts?: VirtioToDescriptorOptions): Result<OffloadDescriptor>;
export function virtioToDescriptor(f: VirtioNetHdrFields, frame?: undefined, opts?: VirtioToDescriptorOptions): Result<OffloadHints>;
export function virtioToDescriptor(f: VirtioNetHdrFields, frame?: Uint8Array, opts?: VirtioToDescriptorOptions): Result<OffloadDescriptor | OffloadHints>;
export function virtioToDescriptor(f: VirtioNetHdrFields, frame?: Uint8Array, opts: VirtioToDescriptorOptions = {}): Result<OffloadDescriptor | OffloadHints> {
  const v = validateVirtioNetHdr(f, opts.layout ?? 'v1-hash-tunnel', opts);
  if (!v.ok) return v;
  const hints = virtioHints(f);
  if (!frame) return ok(hints);
  if (f.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM && f.csumStart + f.csumOffset + 2 > frame.length) {
    return err(truncated('link', 0, f.csumStart + f.csumOffset + 2, frame.length, 'csum_start'));
  }
  // An unsegmented tunnel packet whose only offloaded checksum is the outer UDP one.
  if (hints.csum.kind === 'partial' && !hints.gso && hints.csum.csumOffset === 6) {
    const d = deriveOffloadDescriptor(frame, { csum: 'none', ...(opts.walk ? { walk: opts.walk } : {}) });
    if (d.ok && d.value.outer && d.value.outer.l4Protocol === 17 && d.value.outer.l4Offset === hints.csum.csumStart) {
      return ok({ ...d.value, outerUdpCsum: true });
    }
  }
  const r = completeOffloadHints(hints, frame, opts);
  if (r.ok && r.value.gso?.type === 'udp-l4' && r.value.gso.segments > VIRTIO_UDP_MAX_SEGMENTS) {
    return hdrErr('bad-value', O.GSO_SIZE, 'gso_size', f.gsoSize, `a UDP_L4 gso_size giving <= ${VIRTIO_UDP_MAX_SEGMENTS} segments (Linux UDP_MAX_SEGMENTS)`);
  }
  return r;
}
