/**
 * STT frame header (draft-davie-stt-08 §3.1) and the STT use of the TCP-like segment header (§3.2).
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Version      | Flags         |  L4 Offset    |  Reserved     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |    Max. Segment Size          | PCP |V|     VLAN ID           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                     Context ID (64 bits)                      |
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Padding (16)              |  inner Ethernet frame ...     |
 * ```
 * The header starts the STT frame, i.e. the first byte of TCP data of the segment whose fragment
 * offset is 0; only that segment carries it. Flags use the values of Open vSwitch and Wireshark
 * (C = 0x01, P = 0x02, IPv4 = 0x04, TCP = 0x08), not the MSB-first reading of the draft's Figure 4.
 *
 * TCP-like header (§3.2): SEQ = STT frame length (header included) << 16 | byte offset of this
 * segment's data in the STT frame; ACK = frame identifier; destination port 7471.
 */
import { assertRoom, assertUint, put16, put32, put64, u16, u32, u64 } from '../net/bytes.js';
import { err, ok, truncated, wireError, type Result, type WireError } from '../net/errors.js';
import { TCP_FLAG_ACK, TCP_FLAG_PSH, TCP_MIN_HEADER_LEN, type TcpView } from '../net/tcp.js';

/** STT frame header length in bytes: 16 + 2 padding (OVS `STT_BASE_HLEN`). */
export const STT_FRAME_HEADER_LEN = 18;
/** IANA TCP destination port for STT (draft-davie-stt-07 and later). */
export const STT_TCP_PORT = 7471;
/** Largest STT frame (SEQ carries the length in 16 bits). */
export const STT_MAX_FRAME_LEN = 0xffff;
/** Flag C: the sender verified the inner checksum (OVS `STT_CSUM_VERIFIED`). */
export const STT_FLAG_CSUM_VERIFIED = 0x01;
/** Flag P: the inner L4 checksum holds only the pseudo-header sum (OVS `STT_CSUM_PARTIAL`). */
export const STT_FLAG_CSUM_PARTIAL = 0x02;
/** Flag IPv4: the inner L3 is IPv4 (clear: IPv6) (OVS `STT_PROTO_IPV4`). */
export const STT_FLAG_IPV4 = 0x04;
/** Flag TCP: the inner L4 is TCP (clear: UDP) (OVS `STT_PROTO_TCP`). */
export const STT_FLAG_TCP = 0x08;
/** Reserved flag bits, MUST be 0 on transmit, ignored on receipt. */
export const STT_FLAGS_RESERVED = 0xf0;

/** Byte offsets. */
const O = { VERSION: 0, FLAGS: 1, L4_OFFSET: 2, RESERVED: 3, MSS: 4, VLAN_TCI: 6, CONTEXT_ID: 8, PADDING: 16 } as const;
/** Masks of the 16-bit VLAN TCI (Wireshark `stt.pcp/v/vlan_id`). */
const M = { PCP: 0xe000, V: 0x1000, VLAN_ID: 0x0fff } as const;

/** Numeric codes returned by {@link SttView.wrap} (0 = ok). */
export const STT_OK = 0;
/** Fewer than 18 bytes. */
export const STT_ERR_TRUNCATED = 1;

/**
 * Zero-copy view over an STT frame header at `(bytes, offset)`.
 * Accessors read the buffer directly; the `!` index assertions are safe only after
 * {@link SttView.check} or a zero return from {@link SttView.wrap} (18 bytes present).
 * Setters validate ranges and never invalidate a previous check (the header has no length field).
 */
export class SttView {
  private constructor(
    public bytes: Uint8Array,
    public offset: number,
  ) {}

  /** No checks: for buffers you are about to fill (emit), never for received bytes. */
  static unchecked(bytes: Uint8Array, offset = 0): SttView {
    return new SttView(bytes, offset);
  }

  /** A reusable empty view for {@link SttView.wrap} (hot path, no allocation per packet). */
  static empty(): SttView {
    return new SttView(new Uint8Array(0), 0);
  }

  /**
   * Validate that an STT frame header fits in `bytes[offset..end)`.
   * @returns the view, or a `truncated` {@link WireError} at `offset`.
   */
  static check(bytes: Uint8Array, offset = 0, end = bytes.length): Result<SttView> {
    const code = checkStt(bytes, offset, end);
    return code === STT_OK ? ok(new SttView(bytes, offset)) : err(sttError(code, bytes, offset, end));
  }

  /** Re-point this view in place; returns {@link STT_OK} or an error code (expand with {@link sttError}). */
  wrap(bytes: Uint8Array, offset: number, end = bytes.length): number {
    this.bytes = bytes;
    this.offset = offset;
    return checkStt(bytes, offset, end);
  }

  /** Version, byte 0 (0 is the only defined value). */
  get version(): number {
    return this.bytes[this.offset + O.VERSION]!;
  }
  set version(v: number) {
    assertUint(v, 8, 'version');
    this.bytes[this.offset + O.VERSION] = v;
  }
  /** Flags, byte 1 (`STT_FLAG_*`; `0xf0` reserved). */
  get flags(): number {
    return this.bytes[this.offset + O.FLAGS]!;
  }
  set flags(v: number) {
    assertUint(v, 8, 'flags');
    this.bytes[this.offset + O.FLAGS] = v;
  }
  /** C flag (`0x01`): checksum verified. */
  get csumVerified(): boolean {
    return (this.bytes[this.offset + O.FLAGS]! & STT_FLAG_CSUM_VERIFIED) !== 0;
  }
  set csumVerified(v: boolean) {
    this.setFlag(STT_FLAG_CSUM_VERIFIED, v);
  }
  /** P flag (`0x02`): checksum partial (segmentation offload in use). */
  get csumPartial(): boolean {
    return (this.bytes[this.offset + O.FLAGS]! & STT_FLAG_CSUM_PARTIAL) !== 0;
  }
  set csumPartial(v: boolean) {
    this.setFlag(STT_FLAG_CSUM_PARTIAL, v);
  }
  /** IPv4 flag (`0x04`): inner L3 is IPv4 (clear: IPv6). */
  get ipv4(): boolean {
    return (this.bytes[this.offset + O.FLAGS]! & STT_FLAG_IPV4) !== 0;
  }
  set ipv4(v: boolean) {
    this.setFlag(STT_FLAG_IPV4, v);
  }
  /** TCP flag (`0x08`): inner L4 is TCP (clear: UDP). */
  get tcp(): boolean {
    return (this.bytes[this.offset + O.FLAGS]! & STT_FLAG_TCP) !== 0;
  }
  set tcp(v: boolean) {
    this.setFlag(STT_FLAG_TCP, v);
  }
  /** L4 Offset, byte 2: bytes from the start of the inner Ethernet frame to the inner L4 header (0..255). */
  get l4Offset(): number {
    return this.bytes[this.offset + O.L4_OFFSET]!;
  }
  set l4Offset(v: number) {
    assertUint(v, 8, 'l4Offset');
    this.bytes[this.offset + O.L4_OFFSET] = v;
  }
  /** Reserved, byte 3 (MUST be 0 on transmit). */
  get reserved(): number {
    return this.bytes[this.offset + O.RESERVED]!;
  }
  set reserved(v: number) {
    assertUint(v, 8, 'reserved');
    this.bytes[this.offset + O.RESERVED] = v;
  }
  /** Max. Segment Size in bytes, bytes 4–5 (0 unless segmentation offload is in use). */
  get mss(): number {
    return u16(this.bytes, this.offset + O.MSS);
  }
  set mss(v: number) {
    assertUint(v, 16, 'mss');
    put16(this.bytes, this.offset + O.MSS, v);
  }
  /** Bytes 6–7 as one 16-bit TCI (PCP | V | VLAN ID), as OVS stores `vlan_tci`. */
  get vlanTci(): number {
    return u16(this.bytes, this.offset + O.VLAN_TCI);
  }
  set vlanTci(v: number) {
    assertUint(v, 16, 'vlanTci');
    put16(this.bytes, this.offset + O.VLAN_TCI, v);
  }
  /** PCP (`0xe000` of bytes 6–7), 0..7; meaningful only when {@link SttView.vlanValid}. */
  get pcp(): number {
    return this.bytes[this.offset + O.VLAN_TCI]! >>> 5;
  }
  set pcp(v: number) {
    assertUint(v, 3, 'pcp');
    this.vlanTci = (this.vlanTci & ~M.PCP & 0xffff) | (v << 13);
  }
  /** V (`0x1000` of bytes 6–7): PCP and VLAN ID are valid; tag with TPID 0x8100 on egress. */
  get vlanValid(): boolean {
    return (this.bytes[this.offset + O.VLAN_TCI]! & (M.V >>> 8)) !== 0;
  }
  set vlanValid(v: boolean) {
    this.vlanTci = v ? this.vlanTci | M.V : this.vlanTci & ~M.V & 0xffff;
  }
  /** VLAN ID (`0x0fff` of bytes 6–7), 0..4095 (any value including 0 is valid). */
  get vlanId(): number {
    return this.vlanTci & M.VLAN_ID;
  }
  set vlanId(v: number) {
    assertUint(v, 12, 'vlanId');
    this.vlanTci = (this.vlanTci & ~M.VLAN_ID & 0xffff) | v;
  }
  /** 64-bit Context ID, bytes 8–15, as a bigint (allocates; see `contextIdHigh`/`contextIdLow`). */
  get contextId(): bigint {
    return u64(this.bytes, this.offset + O.CONTEXT_ID);
  }
  set contextId(v: bigint) {
    put64(this.bytes, this.offset + O.CONTEXT_ID, v);
  }
  /** Upper 32 bits of the Context ID (bytes 8–11) as a number, without a bigint. */
  get contextIdHigh(): number {
    return u32(this.bytes, this.offset + O.CONTEXT_ID);
  }
  /** Lower 32 bits of the Context ID (bytes 12–15) as a number, without a bigint. */
  get contextIdLow(): number {
    return u32(this.bytes, this.offset + O.CONTEXT_ID + 4);
  }
  /** Padding, bytes 16–17 (MUST be 0 on transmit). */
  get padding(): number {
    return u16(this.bytes, this.offset + O.PADDING);
  }
  set padding(v: number) {
    assertUint(v, 16, 'padding');
    put16(this.bytes, this.offset + O.PADDING, v);
  }
  /** Header length in bytes (always 18). */
  get headerLength(): number {
    return STT_FRAME_HEADER_LEN;
  }
  /** Offset of the inner Ethernet frame in `bytes`. */
  get payloadOffset(): number {
    return this.offset + STT_FRAME_HEADER_LEN;
  }

  private setFlag(mask: number, v: boolean): void {
    const i = this.offset + O.FLAGS;
    this.bytes[i] = v ? this.bytes[i]! | mask : this.bytes[i]! & ~mask;
  }
}

function checkStt(bytes: Uint8Array, offset: number, end: number): number {
  return Math.min(end, bytes.length) - offset < STT_FRAME_HEADER_LEN ? STT_ERR_TRUNCATED : STT_OK;
}

/** Expand a {@link SttView.wrap} code into a {@link WireError}. */
export function sttError(code: number, bytes: Uint8Array, offset: number, end = bytes.length): WireError {
  if (code === STT_ERR_TRUNCATED) return truncated('stt', offset, STT_FRAME_HEADER_LEN, Math.min(end, bytes.length) - offset);
  return wireError('bad-value', 'stt', offset, 'header', code, 'valid STT frame header');
}

/** The STT meaning of one segment's TCP-like SEQ and ACK (draft-davie-stt-08 §3.2). */
export interface SttSegmentInfo {
  /** Total STT frame length in bytes, 18-byte header included (SEQ >>> 16). */
  readonly frameLength: number;
  /** Byte offset of this segment's data within the STT frame (SEQ & 0xffff); 0 = carries the STT header. */
  readonly fragmentOffset: number;
  /** Frame identifier (ACK), the same for every segment of a frame. */
  readonly frameId: number;
}

/** STT frame length (header included) from a checked TCP view: `seq >>> 16`. */
export function sttFrameLength(tcp: TcpView): number {
  return tcp.seq >>> 16;
}

/** Byte offset of the segment's data within the STT frame: `seq & 0xffff`. */
export function sttFragmentOffset(tcp: TcpView): number {
  return tcp.seq & 0xffff;
}

/** Frame identifier: `ack`. */
export function sttFrameId(tcp: TcpView): number {
  return tcp.ack;
}

/** SEQ/ACK of a checked TCP view read as STT segment fields (allocates one object). */
export function sttSegmentInfo(tcp: TcpView): SttSegmentInfo {
  const seq = tcp.seq;
  return { frameLength: seq >>> 16, fragmentOffset: seq & 0xffff, frameId: tcp.ack };
}

/** Inputs of {@link emitSttSegmentTcp}. */
export interface SttSegmentTcpOptions {
  /** Source port (constant for all segments of a frame; usually a hash of the inner flow). */
  readonly srcPort: number;
  /** Destination port (default {@link STT_TCP_PORT}). */
  readonly dstPort?: number;
  /** STT frame length including the 18-byte header (valid frames: 18..65535; 0..17 allowed to craft malformed input). */
  readonly frameLength: number;
  /** Byte offset of this segment's data in the STT frame, 0..65535. */
  readonly fragmentOffset: number;
  /** 32-bit frame identifier (ACK). */
  readonly frameId: number;
  /** Set PSH (default true; the draft RECOMMENDS it on the last segment, OVS sets it on the super-segment). */
  readonly psh?: boolean;
  /** Window (default 0 as the draft says; OVS sends 0xffff). */
  readonly window?: number;
  /** Checksum to store (default 0; fill it afterwards or leave it to offload). */
  readonly checksum?: number;
}

/**
 * Write the 20-byte TCP-like header of one STT segment: Data Offset 5, ACK set (+ PSH),
 * SEQ = frameLength << 16 | fragmentOffset, ACK = frameId, urgent pointer 0; returns 20.
 * @throws RangeError on a value out of range or no room.
 */
export function emitSttSegmentTcp(o: SttSegmentTcpOptions, out: Uint8Array, offset = 0): number {
  const dstPort = o.dstPort ?? STT_TCP_PORT;
  const window = o.window ?? 0;
  const checksum = o.checksum ?? 0;
  assertUint(o.srcPort, 16, 'srcPort');
  assertUint(dstPort, 16, 'dstPort');
  assertUint(o.frameLength, 16, 'frameLength');
  assertUint(o.fragmentOffset, 16, 'fragmentOffset');
  assertUint(o.frameId, 32, 'frameId');
  assertUint(window, 16, 'window');
  assertUint(checksum, 16, 'checksum');
  assertRoom(out, offset, TCP_MIN_HEADER_LEN, 'STT segment TCP header');
  put16(out, offset, o.srcPort);
  put16(out, offset + 2, dstPort);
  put16(out, offset + 4, o.frameLength);
  put16(out, offset + 6, o.fragmentOffset);
  put32(out, offset + 8, o.frameId);
  out[offset + 12] = 5 << 4;
  out[offset + 13] = TCP_FLAG_ACK | ((o.psh ?? true) ? TCP_FLAG_PSH : 0);
  put16(out, offset + 14, window);
  put16(out, offset + 16, checksum);
  put16(out, offset + 18, 0);
  return TCP_MIN_HEADER_LEN;
}
