/**
 * The hot-path decoder: from an Ethernet frame to its tunnel type, tunnel ID and inner-frame offset,
 * with every length bounds-checked, and nothing allocated per packet. One reusable instance holds the
 * results of the last {@link TunnelDecoder.decode} in plain fields (smoltcp/msgpack style: a cursor, not
 * an object per packet). For the full layer list, typed errors and reassembly use {@link walkPacket};
 * {@link TunnelDecoder.explain} expands a failure into the same {@link WireError} the walker reports.
 *
 * What it checks is what the codecs check: Ethernet/802.1Q/802.1ad, IPv4 (version, IHL, options,
 * Total Length), IPv6 (extension headers), UDP length, the tunnel header's fixed part and its claimed
 * lengths (Geneve Opt Len and every option TLV, GRE flags, STT frame header). Fragments and STT
 * continuation segments report `TUNNEL_NEEDS_REASSEMBLY`.
 */
import type { WireError } from '../net/errors.js';
import { Ipv6ExtWalker } from '../net/ipv6.js';
import { DEFAULT_TCP_PORTS, DEFAULT_UDP_PORTS, walkPacket, type TcpTunnelKind, type UdpTunnelKind, type WalkOptions } from './walker.js';

/** No tunnel found (a valid frame of something else). */
export const TUNNEL_NONE = 0;
export const TUNNEL_VXLAN = 1;
export const TUNNEL_VXLAN_GPE = 2;
export const TUNNEL_GENEVE = 3;
export const TUNNEL_NVGRE = 4;
export const TUNNEL_GRE = 5;
export const TUNNEL_STT = 6;
/** The frame is an IP fragment or an STT continuation segment: reassemble first ({@link walkPacket}). */
export const TUNNEL_NEEDS_REASSEMBLY = 7;
/** The frame is malformed or cut: {@link TunnelDecoder.explain} says what and where. */
export const TUNNEL_ERROR = -1;

/** Names of the TUNNEL_* codes. */
export const TUNNEL_NAMES = ['none', 'vxlan', 'vxlan-gpe', 'geneve', 'nvgre', 'gre', 'stt', 'needs-reassembly'] as const;

/**
 * The TUNNEL_* codes again, as a const enum so that the compiler writes them as literals into the
 * decoder (smaller bytecode, which decides whether V8 inlines the decoder into its caller).
 */
const enum T {
  None = 0,
  Vxlan = 1,
  VxlanGpe = 2,
  Geneve = 3,
  Nvgre = 4,
  Gre = 5,
  Stt = 6,
  NeedsReassembly = 7,
  Error = -1,
  /** udpFast's answer for a frame it leaves to decodeGeneral (never returned by the decoder). */
  NotFast = -2,
}

/** Tunnel kinds of the UDP port table (GPE last: the fast path takes the kinds below it). */
const enum K {
  Vxlan = 1,
  VxlanRfc = 2,
  Geneve = 3,
  Gpe = 4,
}

/** A reusable, non-allocating tunnel decoder (see the module doc). Not re-entrant. */
export class TunnelDecoder {
  /** TUNNEL_* code of the last decode. */
  tunnel: number = T.None;
  /** VNI (VXLAN, GPE, Geneve), VSID (NVGRE), GRE key, or the low 32 bits of the STT Context ID. */
  tunnelId = 0;
  /** Offset of the inner frame (Ethernet, or the L3 packet for GPE/Geneve L3 payloads). */
  innerOffset = 0;
  /** End of the inner frame (the tunnel's datagram end, clipped to the captured length). */
  innerEnd = 0;
  /** Offset of the outer IP header (addresses: +12/+16 for IPv4, +8/+24 for IPv6). */
  ipOffset = 0;
  /** Offset of the outer UDP, GRE or TCP header. */
  l4Offset = 0;
  /** Offset of the tunnel header. */
  tunnelOffset = 0;
  /** Where the failure was found (an index into the bytes: from the frame start for `decode`), for a quick message. */
  errorAt = 0;
  /** The bytes of the last decode (the getters below read them: valid until those bytes change). */
  bytes: Uint8Array = new Uint8Array(0);

  /** 4 or 6. */
  get ipVersion(): number {
    return this.bytes[this.ipOffset]! >>> 4;
  }
  /** Outer UDP ports (0 for GRE). */
  get srcPort(): number {
    return this.tunnel === T.Nvgre || this.tunnel === T.Gre ? 0 : (this.bytes[this.l4Offset]! << 8) | this.bytes[this.l4Offset + 1]!;
  }
  get dstPort(): number {
    return this.tunnel === T.Nvgre || this.tunnel === T.Gre ? 0 : (this.bytes[this.l4Offset + 2]! << 8) | this.bytes[this.l4Offset + 3]!;
  }
  /** VXLAN-GBP Group Policy ID, or -1 (G clear, or the port decodes plain RFC 7348). */
  get groupPolicyId(): number {
    const b = this.bytes;
    const t = this.tunnelOffset;
    return this.tunnel === T.Vxlan && this.gbpPort && (b[t]! & 0x80) !== 0 ? (b[t + 2]! << 8) | b[t + 3]! : -1;
  }
  /** VXLAN-GBP flags byte (D 0x40, A 0x08). */
  get gbpFlags(): number {
    return this.groupPolicyId < 0 ? 0 : this.bytes[this.tunnelOffset + 1]!;
  }
  /** Geneve: offset and length (bytes) of the options; C and O bits. */
  get optionsOffset(): number {
    return this.tunnelOffset + 8;
  }
  get optionsLength(): number {
    return this.tunnel === T.Geneve ? (this.bytes[this.tunnelOffset]! & 63) << 2 : 0;
  }
  get critical(): boolean {
    return this.tunnel === T.Geneve && (this.bytes[this.tunnelOffset + 1]! & 0x40) !== 0;
  }
  get oam(): boolean {
    return this.tunnel === T.Geneve && (this.bytes[this.tunnelOffset + 1]! & 0x80) !== 0;
  }
  /** NVGRE FlowID. */
  get flowId(): number {
    return this.tunnel === T.Nvgre ? this.bytes[this.tunnelOffset + 7]! : 0;
  }
  /** GPE Next Protocol (3, Ethernet, when P is clear). */
  get nextProtocol(): number {
    const f = this.bytes[this.tunnelOffset]!;
    return this.tunnel === T.VxlanGpe ? (f & 0x04 ? this.bytes[this.tunnelOffset + 3]! : 3) : 0;
  }
  /** EtherType of the inner payload (0x6558 = Ethernet frame). */
  get innerEtherType(): number {
    const b = this.bytes;
    const t = this.tunnelOffset;
    switch (this.tunnel) {
      case T.Geneve:
      case T.Gre:
        return (b[t + 2]! << 8) | b[t + 3]!;
      case T.VxlanGpe: {
        const np = this.nextProtocol;
        return np === 3 ? 0x6558 : np === 1 ? 0x0800 : np === 2 ? 0x86dd : 0;
      }
      default:
        return 0x6558;
    }
  }
  /** STT: high 32 bits of the Context ID. */
  get tunnelIdHigh(): number {
    const b = this.bytes;
    const s = this.tunnelOffset;
    return this.tunnel === T.Stt ? ((b[s + 8]! << 24) | (b[s + 9]! << 16) | (b[s + 10]! << 8) | b[s + 11]!) >>> 0 : 0;
  }

  /** Does this decoder take UDP port `port` (source or destination) as a tunnel port? */
  isUdpTunnelPort(port: number): boolean {
    return this.udp[port] !== 0;
  }
  /** Does this decoder take TCP port `port` as an STT port? */
  isTcpTunnelPort(port: number): boolean {
    return this.tcp[port] !== 0;
  }

  private gbpPort = false;
  private readonly udp = new Uint8Array(65536);
  private readonly tcp = new Uint8Array(65536);
  private readonly v6 = new Ipv6ExtWalker();
  private readonly walkOpts: WalkOptions;

  constructor(udpPorts: ReadonlyMap<number, UdpTunnelKind> = DEFAULT_UDP_PORTS, tcpPorts: ReadonlyMap<number, TcpTunnelKind> = DEFAULT_TCP_PORTS) {
    for (const [p, k] of udpPorts) this.udp[p] = k === 'vxlan' ? K.Vxlan : k === 'vxlan-rfc7348' ? K.VxlanRfc : k === 'vxlan-gpe' ? K.Gpe : k === 'geneve' ? K.Geneve : 0;
    for (const [p, k] of tcpPorts) this.tcp[p] = k === 'stt' ? 1 : 0;
    this.walkOpts = { udpPorts, tcpPorts };
  }

  /**
   * Decode `b[0, length)`. @returns a TUNNEL_* code; results are in this object's fields until the
   * next call. Never throws, never allocates.
   */
  decode(b: Uint8Array, length = b.length): number {
    return this.decodeAt(b, 0, length);
  }

  /**
   * Decode the frame at `b[start, end)` (`end` is clipped to `b.length`): for frames that sit in a
   * larger buffer (a capture chunk, a ring), without a subarray. Every offset the decoder reports
   * (`ipOffset`, `innerOffset`, `errorAt`, ...) is then an index into `b`. @returns a TUNNEL_* code.
   */
  decodeAt(b: Uint8Array, start: number, end: number): number {
    const len = end < b.length ? end : b.length;
    // Fast path: untagged IPv4 without options, not a fragment, the datagram whole in the capture. It
    // is kept small (in bytecode) so that V8 inlines it into the caller's loop; a frame it does not
    // finish goes to decodeGeneral, which decodes every frame from the start.
    if (len - start >= 34 && ((b[start + 12]! << 16) | (b[start + 13]! << 8) | b[start + 14]!) === 0x080045 && ((b[start + 20]! & 0x3f) | b[start + 21]!) === 0) {
      const e = start + 14 + ((b[start + 16]! << 8) | b[start + 17]!);
      const u = start + 34;
      if (e <= len && e >= u) {
        const p = b[start + 23];
        this.bytes = b;
        this.ipOffset = start + 14;
        this.l4Offset = u;
        if (p === 17 || p === 6) {
          const r = p === 17 ? this.udpFast(b, u, e) : this.sttFast(b, u, e);
          if (r !== T.NotFast) return r;
        } else if (p === 47) return this.greTunnel(b, u, e);
      }
    }
    return this.decodeGeneral(b, start, len);
  }

  /**
   * VXLAN and Geneve by destination port, UDP length from 16 to the end of the IP datagram `e`; T.NotFast
   * for anything else (decodeGeneral then takes the frame from the start).
   */
  private udpFast(b: Uint8Array, u: number, e: number): number {
    const ue = u + ((b[u + 4]! << 8) | b[u + 5]!);
    const k = ue >= u + 16 && ue <= e ? this.udp[(b[u + 2]! << 8) | b[u + 3]!]! : 0;
    if (k === 0 || k === K.Gpe) return T.NotFast;
    this.tunnelOffset = u + 8;
    this.innerEnd = ue;
    this.tunnelId = (b[u + 12]! << 16) | (b[u + 13]! << 8) | b[u + 14]!; // the VNI (VXLAN and Geneve)
    if (k === K.Geneve) return this.geneveTunnel(b, u + 8, ue);
    this.innerOffset = u + 16;
    this.gbpPort = k === K.Vxlan;
    return (this.tunnel = T.Vxlan);
  }

  /**
   * STT on a tunnel port: a whole frame in one segment (no fragment offset, the frame length is the
   * segment's payload), version 0, TCP Data Offset from 20 bytes. T.NotFast for anything else (errors,
   * segments of a larger frame, TCP that is not STT), which decodeGeneral then takes from the start.
   */
  private sttFast(b: Uint8Array, t: number, end: number): number {
    if (t + 20 > end) return T.NotFast;
    const s = t + ((b[t + 12]! >>> 4) << 2);
    if (s < t + 20 || s + 18 > end || ((b[t + 6]! << 8) | b[t + 7]!) !== 0 || ((b[t + 4]! << 8) | b[t + 5]!) !== end - s || b[s] !== 0) return T.NotFast;
    if ((this.tcp[(b[t + 2]! << 8) | b[t + 3]!]! | this.tcp[(b[t]! << 8) | b[t + 1]!]!) === 0) return T.NotFast;
    this.tunnelOffset = s;
    this.innerEnd = end;
    this.tunnelId = ((b[s + 12]! << 24) | (b[s + 13]! << 16) | (b[s + 14]! << 8) | b[s + 15]!) >>> 0;
    this.innerOffset = s + 18;
    return (this.tunnel = T.Stt);
  }

  /**
   * The whole decoder, for every frame (`len` already clipped to `b.length`): 802.1Q/802.1ad tags, IPv4
   * options, IPv6 extension headers, fragments, cut datagrams, GPE, bad lengths. The fast path in
   * {@link decodeAt} returns what this would for the frames it takes (a test checks they agree).
   */
  protected decodeGeneral(b: Uint8Array, start: number, len: number): number {
    this.bytes = b;
    if (len - start < 14) return this.fail(start);
    let et = (b[start + 12]! << 8) | b[start + 13]!;
    let off = start + 14;
    let tags = 0;
    while (et === 0x8100 || et === 0x88a8 || et === 0x9100) {
      if (off + 4 > len || ++tags > 8) return this.fail(off);
      et = (b[off + 2]! << 8) | b[off + 3]!;
      off += 4;
    }
    let proto: number;
    let l4: number;
    let end: number;
    let cut: boolean; // the capture holds less than the IP datagram claims
    this.ipOffset = off;
    if (et === 0x0800) {
      if (off + 20 > len) return this.fail(off);
      const vihl = b[off]!;
      const ihl = (vihl & 15) << 2;
      if (vihl >>> 4 !== 4 || ihl < 20 || off + ihl > len) return this.fail(off);
      const tl = (b[off + 2]! << 8) | b[off + 3]!;
      if (tl !== 0 && tl < ihl) return this.fail(off + 2);
      if (((b[off + 6]! & 0x3f) | b[off + 7]!) !== 0) return (this.tunnel = T.NeedsReassembly);
      proto = b[off + 9]!;
      l4 = off + ihl;
      cut = tl !== 0 && off + tl > len;
      end = tl === 0 || cut ? len : off + tl;
    } else if (et === 0x86dd) {
      if (off + 40 > len) return this.fail(off);
      if (b[off]! >>> 4 !== 6) return this.fail(off);
      const pl = (b[off + 4]! << 8) | b[off + 5]!;
      cut = pl !== 0 && off + 40 + pl > len;
      end = pl === 0 || cut ? len : off + 40 + pl;
      proto = b[off + 6]!;
      l4 = off + 40;
      if (proto !== 17 && proto !== 6 && proto !== 47) {
        const w = this.v6;
        if (w.walk(b, off, end) !== 0) return this.fail(w.errorAt);
        if (w.hasFragment) return (this.tunnel = T.NeedsReassembly);
        proto = w.protocol;
        l4 = w.upperOffset;
      }
    } else return (this.tunnel = T.None);
    this.l4Offset = l4;
    if (proto === 17) return this.udpTunnel(b, l4, end, cut);
    if (proto === 47) return this.greTunnel(b, l4, end);
    if (proto === 6) return this.sttTunnel(b, l4, end, cut);
    return (this.tunnel = T.None);
  }

  private udpTunnel(b: Uint8Array, u: number, end: number, cut: boolean): number {
    if (u + 8 > end) return this.fail(u);
    const ulen = (b[u + 4]! << 8) | b[u + 5]!;
    // A length below 8, or beyond an IP datagram the capture holds whole, is malformed (a kernel drops it).
    if ((ulen !== 0 && ulen < 8) || (!cut && u + ulen > end)) return this.fail(u + 4);
    const uend = ulen === 0 || u + ulen > end ? end : u + ulen;
    const sp = (b[u]! << 8) | b[u + 1]!;
    const dp = (b[u + 2]! << 8) | b[u + 3]!;
    const kind = this.udp[dp] || this.udp[sp]!;
    if (kind === 0) return (this.tunnel = T.None);
    const t = u + 8;
    this.tunnelOffset = t;
    if (t + 8 > uend) return this.fail(t);
    this.innerEnd = uend;
    this.tunnelId = (b[t + 4]! << 16) | (b[t + 5]! << 8) | b[t + 6]!; // the VNI, at the same place in all three
    if (kind === K.Geneve) return this.geneveTunnel(b, t, uend);
    this.innerOffset = t + 8;
    if (kind === K.Gpe) {
      const f = b[t]!;
      if ((f & 0x30) !== 0) return this.fail(t);
      return (this.tunnel = T.VxlanGpe);
    }
    this.gbpPort = kind === K.Vxlan;
    return (this.tunnel = T.Vxlan);
  }

  /** The Geneve header at `t` (the caller has set the VNI): version, Opt Len and the option TLVs. */
  private geneveTunnel(b: Uint8Array, t: number, uend: number): number {
    const p = t + 8 + ((b[t]! & 63) << 2);
    if (b[t]! > 63 || p > uend) return this.fail(t); // version not 0, or Opt Len beyond the datagram
    // Walk the option TLVs: each must fit, and they must fill Opt Len exactly (every length is in
    // 4-byte words, so the walk ends on p or past it).
    let o = t + 8;
    let at = o;
    while (o < p) {
      at = o;
      o += 4 + ((b[o + 3]! & 31) << 2);
    }
    if (o !== p) return this.fail(at);
    this.innerOffset = p;
    return (this.tunnel = T.Geneve);
  }

  private greTunnel(b: Uint8Array, g: number, end: number): number {
    if (g + 4 > end) return this.fail(g);
    const fv = (b[g]! << 8) | b[g + 1]!;
    this.tunnelOffset = g;
    this.innerEnd = end;
    if (fv === 0x2000 && ((b[g + 2]! << 8) | b[g + 3]!) === 0x6558) {
      if (g + 8 > end) return this.fail(g);
      this.tunnelId = (b[g + 4]! << 16) | (b[g + 5]! << 8) | b[g + 6]!;
      this.innerOffset = g + 8;
      return (this.tunnel = T.Nvgre);
    }
    return this.greGeneral(b, g, end, fv);
  }

  /** GRE other than NVGRE: RFC 2784/2890 optional fields, RFC 1701 routing, version 1 (PPTP). */
  private greGeneral(b: Uint8Array, g: number, end: number, fv: number): number {
    const ver = fv & 7;
    if (ver > 1 || (fv & 0x4000) !== 0) {
      // Versions 2..7 are errors; RFC 1701 routing needs the SRE walk of the full decoder.
      if (ver > 1) return this.fail(g + 1);
    }
    let h = 4 + (fv & 0xc000 ? 4 : 0);
    const keyAt = g + h;
    if (fv & 0x2000) h += 4;
    if (fv & 0x1000) h += 4;
    if (ver === 1 && fv & 0x0080) h += 4;
    if (g + h > end) return this.fail(g);
    if (fv & 0x4000) {
      // RFC 1701 SRE list: address family (2) SRE offset (1) SRE length (1) data, until AF 0 and length 0.
      let o = g + h;
      for (;;) {
        if (o + 4 > end) return this.fail(o);
        const af = (b[o]! << 8) | b[o + 1]!;
        const sl = b[o + 3]!;
        if (o + 4 + sl > end) return this.fail(o);
        o += 4 + sl;
        if (af === 0 && sl === 0) break;
      }
      h = o - g;
    }
    if (g + h > end) return this.fail(g);
    this.tunnelId = fv & 0x2000 ? ((b[keyAt]! << 24) | (b[keyAt + 1]! << 16) | (b[keyAt + 2]! << 8) | b[keyAt + 3]!) >>> 0 : 0;
    this.innerOffset = g + h;
    return (this.tunnel = T.Gre);
  }

  /**
   * STT for the general path (every case the fast path's sttFast leaves), in the walker's order of
   * checks: TCP header, ports, frame length, segment inside the frame, frame header. A segment that
   * does not start the frame, or a first segment of a longer frame, needs reassembly, unless the capture
   * cut the datagram (`cut`): then what is there is decoded.
   */
  private sttTunnel(b: Uint8Array, t: number, end: number, cut: boolean): number {
    if (t + 20 > end) return this.fail(t);
    const doff = (b[t + 12]! >>> 4) << 2;
    if (doff < 20 || t + doff > end) return this.fail(t + 12);
    if (this.tcp[(b[t + 2]! << 8) | b[t + 3]!] === 0 && this.tcp[(b[t]! << 8) | b[t + 1]!] === 0) return (this.tunnel = T.None);
    const s = t + doff;
    const frameLength = (b[t + 4]! << 8) | b[t + 5]!;
    const fragOff = (b[t + 6]! << 8) | b[t + 7]!;
    this.tunnelOffset = s;
    this.innerEnd = end;
    const data = end - s;
    if (frameLength < 18 || fragOff + data > frameLength) return this.fail(s);
    if (fragOff !== 0) return (this.tunnel = T.NeedsReassembly);
    if (data < 18 || b[s]! !== 0) return this.fail(s);
    if (data < frameLength && !cut) return (this.tunnel = T.NeedsReassembly);
    this.tunnelId = ((b[s + 12]! << 24) | (b[s + 13]! << 16) | (b[s + 14]! << 8) | b[s + 15]!) >>> 0;
    this.innerOffset = s + 18;
    this.innerEnd = data < frameLength ? end : s + frameLength;
    return (this.tunnel = T.Stt);
  }

  private fail(at: number): number {
    this.errorAt = at;
    return (this.tunnel = T.Error);
  }

  /** The 64-bit STT Context ID (allocates a bigint). */
  get contextId(): bigint {
    return (BigInt(this.tunnelIdHigh) << 32n) | BigInt(this.tunnelId);
  }

  /** Slow path: the typed error(s) of a frame this decoder rejected, as the walker reports them. */
  explain(b: Uint8Array, length = b.length): WireError[] {
    return walkPacket(b.subarray(0, length), this.walkOpts).errors;
  }
}
