/**
 * The CLI's fast output path: the text line or `--json` record of a common, clean tunnel packet,
 * written as bytes straight from the frame, without the walker's layer objects or strings.
 *
 * It takes only what it can render exactly as the walker + {@link packetLine} / {@link packetJson} do
 * (the tests compare both paths on every captured packet): an Ethernet frame, whole (caplen = length),
 * untagged, outer IPv4 without options or IPv6 without extension headers, one VXLAN (GBP), VXLAN-GPE
 * (Ethernet payload), Geneve (Ethernet payload), NVGRE or single-segment STT tunnel whose lengths
 * fill the datagram exactly, then an untagged inner Ethernet frame carrying ARP, or IPv4 (no options,
 * not a fragment) / IPv6 (no extension headers) with ICMP, ICMPv6, UDP or TCP that is not itself a
 * tunnel. No errors, no warnings. Anything else returns false and the caller uses the walker.
 */
import { parseGeneveLax, type GeneveOption } from '../geneve/fields.js';
import { formatIpv6 } from '../net/bytes.js';
import { onesSum } from '../net/checksum.js';
import { l4ChecksumValid } from '../net/udp.js';
import type { OptionRegistry } from '../tlv/registry.js';
import { TUNNEL_GENEVE, TUNNEL_NVGRE, TUNNEL_STT, TUNNEL_VXLAN, TUNNEL_VXLAN_GPE, TunnelDecoder } from '../walk/fast.js';
import { optionJson, optionText } from '../walk/format.js';
import type { TcpTunnelKind, UdpTunnelKind } from '../walk/walker.js';

const enc = new TextEncoder();
const lit = (s: string): Uint8Array => enc.encode(s);
const HEXD = lit('0123456789abcdef');

/**
 * An output buffer written byte by byte and handed to `sink` when full (or on {@link flush}).
 * Strings go in as UTF-8.
 */
export class ByteSink {
  readonly buf: Uint8Array;
  pos = 0;
  constructor(
    private readonly sink: (bytes: Uint8Array) => void,
    size = 1 << 20,
  ) {
    this.buf = new Uint8Array(size);
  }

  /** Make room for `n` more bytes (flushes when the buffer cannot hold them). */
  room(n: number): void {
    if (this.pos + n > this.buf.length) this.flush();
  }

  flush(): void {
    if (this.pos === 0) return;
    this.sink(this.buf.subarray(0, this.pos));
    this.pos = 0;
  }

  /** Append a string as UTF-8. */
  text(s: string): void {
    if (s.length * 3 > this.buf.length - this.pos) {
      this.flush();
      if (s.length * 3 > this.buf.length) {
        this.sink(enc.encode(s));
        return;
      }
    }
    this.pos += enc.encodeInto(s, this.buf.subarray(this.pos)).written;
  }

  /** Append bytes (the caller made room). */
  put(a: Uint8Array): void {
    const n = a.length;
    const b = this.buf;
    let p = this.pos;
    if (n > 24) b.set(a, p);
    else for (let i = 0; i < n; i++) b[p + i] = a[i]!;
    this.pos = p + n;
  }

  /** A non-negative integer below 2^53 in decimal. */
  dec(n: number): void {
    const b = this.buf;
    if (n < 10) {
      b[this.pos++] = 48 + n;
      return;
    }
    let digits = 2;
    for (let x = 100; x <= n && digits < 16; x *= 10) digits++;
    const p = this.pos;
    this.pos = p + digits;
    for (let i = p + digits - 1; i >= p; i--) {
      const q = Math.floor(n / 10);
      b[i] = 48 + n - q * 10;
      n = q;
    }
  }

  /** `n` (< 2^32) as exactly `digits` lower-case hex digits. */
  hex(n: number, digits: number): void {
    const b = this.buf;
    const p = this.pos;
    for (let i = digits - 1; i >= 0; i--) {
      b[p + i] = HEXD[n & 15]!;
      n >>>= 4;
    }
    this.pos = p + digits;
  }

  /** A number in hex without leading zeros (JavaScript's `toString(16)`). */
  hexMin(n: number): void {
    let d = 1;
    while (d < 8 && n >>> (4 * d) !== 0) d++;
    this.hex(n, d);
  }

  /** 9 decimal digits, zero-padded. */
  dec9(n: number): void {
    const b = this.buf;
    const p = this.pos;
    for (let i = p + 8; i >= p; i--) {
      const q = Math.floor(n / 10);
      b[i] = 48 + n - q * 10;
      n = q;
    }
    this.pos = p + 9;
  }

  mac(src: Uint8Array, o: number): void {
    const b = this.buf;
    let p = this.pos;
    for (let k = 0; k < 6; k++) {
      if (k) b[p++] = 58;
      const v = src[o + k]!;
      b[p] = HEXD[v >>> 4]!;
      b[p + 1] = HEXD[v & 15]!;
      p += 2;
    }
    this.pos = p;
  }

  ipv4(src: Uint8Array, o: number): void {
    this.dec(src[o]!);
    this.buf[this.pos++] = 46;
    this.dec(src[o + 1]!);
    this.buf[this.pos++] = 46;
    this.dec(src[o + 2]!);
    this.buf[this.pos++] = 46;
    this.dec(src[o + 3]!);
  }

  /** RFC 5952 text, as {@link formatIpv6} writes it. */
  ipv6(src: Uint8Array, o: number): void {
    let bestStart = -1;
    let bestLen = 0;
    for (let k = 0; k < 8; ) {
      if (src[o + 2 * k] !== 0 || src[o + 2 * k + 1] !== 0) {
        k++;
        continue;
      }
      let j = k;
      while (j < 8 && src[o + 2 * j] === 0 && src[o + 2 * j + 1] === 0) j++;
      if (j - k > bestLen) {
        bestStart = k;
        bestLen = j - k;
      }
      k = j;
    }
    if (bestLen < 2) bestStart = -1;
    if (bestStart === 0 && bestLen === 5 && src[o + 10] === 0xff && src[o + 11] === 0xff) {
      this.text(formatIpv6(src, o));
      return;
    }
    const b = this.buf;
    for (let k = 0; k < 8; k++) {
      if (k === bestStart) {
        b[this.pos++] = 58;
        b[this.pos++] = 58;
        k += bestLen - 1;
        continue;
      }
      if (k > 0 && k !== bestStart + bestLen) b[this.pos++] = 58;
      this.hexMin((src[o + 2 * k]! << 8) | src[o + 2 * k + 1]!);
    }
  }

  bool(v: boolean): void {
    this.put(v ? TRUE : FALSE);
  }
}

const TRUE = lit('true');
const FALSE = lit('false');

// Text pieces.
const T_SP = lit(' ');
const T_GT = lit(' > ');
const T_COLON = lit(' : ');
const T_LEN = lit(' len ');
const T_NAMES: Record<number, Uint8Array> = {
  [TUNNEL_VXLAN]: lit(' VXLAN vni '),
  [TUNNEL_VXLAN_GPE]: lit(' VXLAN-GPE vni '),
  [TUNNEL_GENEVE]: lit(' GENEVE vni '),
  [TUNNEL_NVGRE]: lit(' NVGRE vsid 0x'),
  [TUNNEL_STT]: lit(' STT ctx 0x'),
};
const PROTO_TEXT: Record<number, Uint8Array> = { 1: lit(' ICMP'), 6: lit(' TCP'), 17: lit(' UDP'), 58: lit(' ICMPv6') };

// JSON pieces.
const J = {
  frame: lit('{"frame":'),
  time: lit(',"time":"'),
  length: lit('Z","length":'),
  caplen: lit(',"caplen":'),
  layers: lit(',"layers":['),
  end: lit('],"errors":[],"warnings":[]}'),
  eth: lit('{"proto":"eth","offset":'),
  ethRest: lit(',"length":14,"dst":"'),
  src: lit('","src":"'),
  dst: lit('","dst":"'),
  etherType: lit('","etherType":'),
  ipv4: lit('},{"proto":"ipv4","offset":'),
  ipv4Len: lit(',"length":20,"src":"'),
  protocol: lit('","protocol":'),
  ttl: lit(',"ttl":'),
  dscp: lit(',"dscp":'),
  ecn: lit(',"ecn":'),
  totalLength: lit(',"totalLength":'),
  identification: lit(',"identification":'),
  dontFragment: lit(',"dontFragment":'),
  checksumValid: lit(',"checksumValid":'),
  ipv6: lit('},{"proto":"ipv6","offset":'),
  ipv6Len: lit(',"length":40,"src":"'),
  nextHeader: lit('","nextHeader":'),
  protocolN: lit(',"protocol":'),
  hopLimit: lit(',"hopLimit":'),
  flowLabel: lit(',"flowLabel":'),
  payloadLength: lit(',"payloadLength":'),
  udp: lit('},{"proto":"udp","offset":'),
  udpLen: lit(',"length":8,"srcPort":'),
  dstPort: lit(',"dstPort":'),
  udpLength: lit(',"udpLength":'),
  checksum: lit(',"checksum":'),
  status: [lit(',"checksumStatus":"none"'), lit(',"checksumStatus":"good"'), lit(',"checksumStatus":"bad"')],
  tcp: lit('},{"proto":"tcp","offset":'),
  lengthN: lit(',"length":'),
  srcPort: lit(',"srcPort":'),
  seq: lit(',"seq":'),
  ack: lit(',"ack":'),
  flags: lit(',"flags":'),
  window: lit(',"window":'),
  vxlan: lit('},{"proto":"vxlan","offset":'),
  len8vni: lit(',"length":8,"vni":'),
  vniValid: lit(',"vniValid":'),
  gbp: lit(',"gbp":{"groupPolicyId":'),
  dontLearn: lit(',"dontLearn":'),
  policyApplied: lit(',"policyApplied":'),
  close: lit('}'),
  gpe: lit('},{"proto":"vxlan-gpe","offset":'),
  version: lit(',"version":'),
  nextProtocolPresent: lit(',"nextProtocolPresent":'),
  bum: lit(',"bum":'),
  oam: lit(',"oam":'),
  nextProtocol: lit(',"nextProtocol":'),
  geneve: lit('},{"proto":"geneve","offset":'),
  vni: lit(',"vni":'),
  protocolType: lit(',"protocolType":'),
  critical: lit(',"critical":'),
  optionsLength: lit(',"optionsLength":'),
  options: lit(',"options":['),
  optionsEnd: lit(']'),
  nvgre: lit('},{"proto":"nvgre","offset":'),
  len8vsid: lit(',"length":8,"vsid":'),
  flowId: lit(',"flowId":'),
  key: lit(',"key":'),
  stt: lit('},{"proto":"stt","offset":'),
  len18: lit(',"length":18,"frameLength":'),
  fragmentOffset: lit(',"fragmentOffset":0,"frameId":'),
  segments: lit(',"segments":1,"version":'),
  l4Offset: lit(',"l4Offset":'),
  mss: lit(',"mss":'),
  pcp: lit(',"pcp":'),
  vlanValid: lit(',"vlanValid":'),
  vlanId: lit(',"vlanId":'),
  contextId: lit(',"contextId":"0x'),
  quoteClose: lit('"'),
  arp: lit('},{"proto":"arp","offset":'),
  arpLen: lit(',"length":28,"opcode":'),
  senderMac: lit(',"senderMac":"'),
  senderIp: lit('","senderIp":"'),
  targetMac: lit('","targetMac":"'),
  targetIp: lit('","targetIp":"'),
  icmp: lit('},{"proto":"icmp","offset":'),
  icmpv6: lit('},{"proto":"icmpv6","offset":'),
  len4type: lit(',"length":4,"type":'),
  code: lit(',"code":'),
  layersEnd: lit('}'),
};
const TEXT_ARP = [lit(' : '), lit(' ARP who-has '), lit(' ARP reply '), lit(' ARP op '), lit(' tell ')];
const TEXT_TYPE = lit(' type ');
const TEXT_GBP = lit(' gbp ');
const TEXT_NP = lit(' next-proto ');
const TEXT_PROTO_TEB = lit(' proto TEB');
const TEXT_FLOW = lit(' flow 0x');
const TEXT_SEGS = lit(' segs 1 frame-id ');
const TEXT_IPV4 = lit('IPv4 ');
const TEXT_IPV6 = lit('IPv6 ');
const TEXT_OPTS = lit(' opts [');

/** Inner L4 kinds. */
const L4_NONE = 0;
const L4_ICMP = 1;
const L4_UDP = 2;
const L4_TCP = 3;

/** See the module doc. One instance per output stream; not re-entrant. */
export class FastLine {
  private readonly dec: TunnelDecoder;
  private readonly udpTunnel = new Uint8Array(65536);
  private readonly tcpTunnel = new Uint8Array(65536);
  private secCached = -1;
  private dateBytes: Uint8Array = new Uint8Array(20);
  // Scan results.
  private s = 0;
  private ip = 0;
  private l4 = 0;
  private ipEnd = 0;
  private udpStatus = 0;
  private t = 0;
  private tOff = 0;
  private inner = 0;
  private innerEnd = 0;
  private iEt = 0;
  private iip = 0;
  private iProto = 0;
  private il4 = 0;
  private il4Kind = L4_NONE;
  private il4Status = 0;
  private options: readonly GeneveOption[] = [];

  constructor(
    private readonly registry: OptionRegistry,
    udpPorts: ReadonlyMap<number, UdpTunnelKind>,
    tcpPorts: ReadonlyMap<number, TcpTunnelKind>,
  ) {
    this.dec = new TunnelDecoder(udpPorts, tcpPorts);
    for (const [p, k] of udpPorts) if (k !== 'none') this.udpTunnel[p] = 1;
    for (const [p, k] of tcpPorts) if (k === 'stt') this.tcpTunnel[p] = 1;
  }

  /**
   * Write the text line (and its newline) of the frame at `b[start, start + caplen)`.
   * @returns false, having written nothing, when the frame needs the walker.
   */
  text(out: ByteSink, b: Uint8Array, start: number, caplen: number, origLen: number, frame: number, sec: number, nsec: number): boolean {
    if (caplen !== origLen || !this.scan(b, start, caplen) || !this.date(sec)) return false;
    out.room(1024);
    if (this.options.length) {
      // Options are rendered by the registry (strings); the rest is bytes.
      let opts = '';
      for (const o of this.options) opts += (opts ? ' ' : '') + optionText(o, this.registry);
      this.line(out, b, frame, nsec, origLen, opts);
    } else this.line(out, b, frame, nsec, origLen, '');
    return true;
  }

  /** Write the `--json` record (and its newline); false as {@link text}. */
  json(out: ByteSink, b: Uint8Array, start: number, caplen: number, origLen: number, frame: number, sec: number, nsec: number): boolean {
    if (caplen !== origLen || !this.scan(b, start, caplen) || !this.date(sec)) return false;
    out.room(4096);
    this.record(out, b, frame, nsec, origLen, caplen);
    return true;
  }

  /** The "YYYY-MM-DDTHH:MM:SS" of `sec`, cached per second; false outside years 1970-9999. */
  private date(sec: number): boolean {
    if (sec === this.secCached) return true;
    if (!(sec >= 0 && sec <= 253402300799)) return false;
    this.dateBytes = lit(new Date(sec * 1000).toISOString().slice(0, 19));
    this.secCached = sec;
    return true;
  }

  /** Validate the frame and note where everything is; false when the walker must decode it. */
  private scan(b: Uint8Array, s: number, caplen: number): boolean {
    const end = s + caplen;
    const d = this.dec;
    const t = d.decodeAt(b, s, end);
    if (t !== TUNNEL_VXLAN && t !== TUNNEL_VXLAN_GPE && t !== TUNNEL_GENEVE && t !== TUNNEL_NVGRE && t !== TUNNEL_STT) return false;
    const ip = s + 14;
    if (d.ipOffset !== ip) return false;
    const v4 = b[ip]! >>> 4 === 4;
    let ipEnd: number;
    if (v4) {
      ipEnd = ip + ((b[ip + 2]! << 8) | b[ip + 3]!);
      if (d.l4Offset !== ip + 20) return false;
    } else {
      ipEnd = ip + 40 + ((b[ip + 4]! << 8) | b[ip + 5]!);
      if (d.l4Offset !== ip + 40) return false;
    }
    if (ipEnd !== end) return false;
    const l4 = d.l4Offset;
    this.s = s;
    this.ip = ip;
    this.l4 = l4;
    this.ipEnd = ipEnd;
    this.t = t;
    this.tOff = d.tunnelOffset;
    this.options = NO_OPTIONS;
    let inner: number;
    if (t === TUNNEL_NVGRE) inner = l4 + 8;
    else if (t === TUNNEL_STT) {
      // One whole frame in this segment: version 0 (the decoder checked), the frame fills the segment.
      if (d.innerEnd !== end) return false;
      inner = d.innerOffset;
    } else {
      const ulen = (b[l4 + 4]! << 8) | b[l4 + 5]!;
      if (l4 + ulen !== end) return false;
      const ck = (b[l4 + 6]! << 8) | b[l4 + 7]!;
      this.udpStatus = ck === 0 ? 0 : l4ChecksumValid(b, ip, 17, l4, end) ? 1 : 2;
      const tOff = d.tunnelOffset;
      if (t === TUNNEL_VXLAN_GPE) {
        // Ethernet payload (P set, Next Protocol 3) only.
        if ((b[tOff]! & 0x04) === 0 || b[tOff + 3] !== 3) return false;
      } else if (t === TUNNEL_GENEVE) {
        if (((b[tOff + 2]! << 8) | b[tOff + 3]!) !== 0x6558) return false;
        if ((b[tOff]! & 63) !== 0) {
          const g = parseGeneveLax(b, tOff, end);
          if (g.error || !g.value) return false;
          const opts = g.value.options;
          if (this.registry.checkCritical(g.value.critical, opts, tOff + 8, tOff + 1).warnings.length) return false;
          this.options = opts;
        } else if ((b[tOff + 1]! & 0x40) !== 0) return false; // C without options: a warning
      }
      inner = d.innerOffset;
    }
    this.inner = inner;
    this.innerEnd = end;
    return this.scanInner(b, inner, end);
  }

  private scanInner(b: Uint8Array, e: number, end: number): boolean {
    if (end - e < 14) return false;
    const et = (b[e + 12]! << 8) | b[e + 13]!;
    this.iEt = et;
    const ip = e + 14;
    this.iip = ip;
    this.il4Kind = L4_NONE;
    let proto: number;
    let l4: number;
    let pend: number;
    if (et === 0x0806) {
      return end - ip >= 28 && b[ip + 4] === 6 && b[ip + 5] === 4;
    } else if (et === 0x0800) {
      if (end - ip < 20 || b[ip] !== 0x45) return false;
      const tl = (b[ip + 2]! << 8) | b[ip + 3]!;
      if (tl < 20 || ip + tl > end || ((b[ip + 6]! & 0x3f) | b[ip + 7]!) !== 0) return false;
      proto = b[ip + 9]!;
      l4 = ip + 20;
      pend = ip + tl;
    } else if (et === 0x86dd) {
      if (end - ip < 40 || b[ip]! >>> 4 !== 6) return false;
      const pl = (b[ip + 4]! << 8) | b[ip + 5]!;
      if (pl === 0 || ip + 40 + pl > end) return false;
      proto = b[ip + 6]!;
      l4 = ip + 40;
      pend = ip + 40 + pl;
    } else return false;
    this.iProto = proto;
    this.il4 = l4;
    const avail = pend - l4;
    if (proto === 1 || proto === 58) {
      if (avail < 4) return false;
      this.il4Kind = L4_ICMP;
      return true;
    }
    if (proto === 17) {
      if (avail < 8) return false;
      const ulen = (b[l4 + 4]! << 8) | b[l4 + 5]!;
      if (ulen < 8 || ulen > avail) return false;
      if (this.udpTunnel[(b[l4 + 2]! << 8) | b[l4 + 3]!] || this.udpTunnel[(b[l4]! << 8) | b[l4 + 1]!]) return false;
      const ck = (b[l4 + 6]! << 8) | b[l4 + 7]!;
      this.il4Status = ck === 0 ? 0 : l4ChecksumValid(b, ip, 17, l4, l4 + ulen) ? 1 : 2;
      this.il4Kind = L4_UDP;
      return true;
    }
    if (proto === 6) {
      if (avail < 20) return false;
      const doff = (b[l4 + 12]! >>> 4) << 2;
      if (doff < 20 || doff > avail) return false;
      if (this.tcpTunnel[(b[l4 + 2]! << 8) | b[l4 + 3]!] || this.tcpTunnel[(b[l4]! << 8) | b[l4 + 1]!]) return false;
      this.il4Kind = L4_TCP;
      return true;
    }
    return false;
  }

  private time(out: ByteSink, nsec: number, full: boolean): void {
    const d = this.dateBytes;
    const b = out.buf;
    let p = out.pos;
    for (let i = full ? 0 : 11; i < 19; i++) b[p++] = d[i]!;
    b[p++] = 46;
    out.pos = p;
    out.dec9(nsec);
  }

  private endpoint(out: ByteSink, b: Uint8Array, ip: number, v4: boolean, port: number, dst: boolean): void {
    if (v4) {
      out.ipv4(b, ip + (dst ? 16 : 12));
      if (port >= 0) {
        out.buf[out.pos++] = 46;
        out.dec(port);
      }
    } else if (port >= 0) {
      out.buf[out.pos++] = 91;
      out.ipv6(b, ip + (dst ? 24 : 8));
      out.buf[out.pos++] = 93;
      out.buf[out.pos++] = 46;
      out.dec(port);
    } else out.ipv6(b, ip + (dst ? 24 : 8));
  }

  private line(out: ByteSink, b: Uint8Array, frame: number, nsec: number, origLen: number, opts: string): void {
    const t = this.t;
    const ip = this.ip;
    const l4 = this.l4;
    const tOff = this.tOff;
    out.dec(frame);
    out.put(T_SP);
    this.time(out, nsec, false);
    out.buf[out.pos++] = 90; // Z
    out.put(T_SP);
    const v4 = b[ip]! >>> 4 === 4;
    const sp = t === TUNNEL_NVGRE ? -1 : (b[l4]! << 8) | b[l4 + 1]!;
    const dp = t === TUNNEL_NVGRE ? -1 : (b[l4 + 2]! << 8) | b[l4 + 3]!;
    this.endpoint(out, b, ip, v4, sp, false);
    out.put(T_GT);
    this.endpoint(out, b, ip, v4, dp, true);
    out.put(T_NAMES[t]!);
    const f = b[tOff]!;
    if (t === TUNNEL_VXLAN) {
      out.dec((b[tOff + 4]! << 16) | (b[tOff + 5]! << 8) | b[tOff + 6]!);
      if (this.dec.groupPolicyId >= 0) {
        out.put(TEXT_GBP);
        out.dec(this.dec.groupPolicyId);
        const g = b[tOff + 1]!;
        if (g & 0x40) out.put(lit_D);
        if (g & 0x08) out.put(lit_A);
      }
    } else if (t === TUNNEL_VXLAN_GPE) {
      out.dec((b[tOff + 4]! << 16) | (b[tOff + 5]! << 8) | b[tOff + 6]!);
      out.put(TEXT_NP);
      out.dec(b[tOff + 3]!);
      if (f & 0x01) out.put(lit_O);
    } else if (t === TUNNEL_GENEVE) {
      out.dec((b[tOff + 4]! << 16) | (b[tOff + 5]! << 8) | b[tOff + 6]!);
      out.put(TEXT_PROTO_TEB);
      const g = b[tOff + 1]!;
      if (g & 0x80) out.put(lit_O);
      if (g & 0x40) out.put(lit_C);
      if (opts) {
        out.put(TEXT_OPTS);
        out.text(opts);
        out.buf[out.pos++] = 93;
      }
    } else if (t === TUNNEL_NVGRE) {
      out.hex((b[tOff + 4]! << 16) | (b[tOff + 5]! << 8) | b[tOff + 6]!, 6);
      out.put(TEXT_FLOW);
      out.hex(b[tOff + 7]!, 2);
    } else {
      out.hex(((b[tOff + 8]! << 24) | (b[tOff + 9]! << 16) | (b[tOff + 10]! << 8) | b[tOff + 11]!) >>> 0, 8);
      out.hex(((b[tOff + 12]! << 24) | (b[tOff + 13]! << 16) | (b[tOff + 14]! << 8) | b[tOff + 15]!) >>> 0, 8);
      out.put(TEXT_SEGS);
      out.dec(((b[l4 + 8]! << 24) | (b[l4 + 9]! << 16) | (b[l4 + 10]! << 8) | b[l4 + 11]!) >>> 0);
    }
    const e = this.inner;
    out.put(T_COLON);
    out.mac(b, e + 6);
    out.put(T_GT);
    out.mac(b, e);
    out.put(T_SP);
    const iip = this.iip;
    if (this.iEt === 0x0806) {
      const op = (b[iip + 6]! << 8) | b[iip + 7]!;
      out.pos--; // "ARP ..." follows the MACs after one space
      if (op === 1) out.put(TEXT_ARP[1]!);
      else if (op === 2) out.put(TEXT_ARP[2]!);
      else {
        out.put(TEXT_ARP[3]!);
        out.dec(op);
        out.put(T_SP);
      }
      out.ipv4(b, iip + 24);
      out.put(TEXT_ARP[4]!);
      out.ipv4(b, iip + 14);
    } else {
      const iv4 = this.iEt === 0x0800;
      out.put(iv4 ? TEXT_IPV4 : TEXT_IPV6);
      const k = this.il4Kind;
      const il4 = this.il4;
      const ports = k === L4_UDP || k === L4_TCP;
      this.endpoint(out, b, iip, iv4, ports ? (b[il4]! << 8) | b[il4 + 1]! : -1, false);
      out.put(T_GT);
      this.endpoint(out, b, iip, iv4, ports ? (b[il4 + 2]! << 8) | b[il4 + 3]! : -1, true);
      out.put(PROTO_TEXT[this.iProto]!);
      if (k === L4_ICMP) {
        out.put(TEXT_TYPE);
        out.dec(b[il4]!);
      }
    }
    out.put(T_LEN);
    out.dec(origLen);
    out.buf[out.pos++] = 10;
  }

  private record(out: ByteSink, b: Uint8Array, frame: number, nsec: number, origLen: number, caplen: number): void {
    const s = this.s;
    const t = this.t;
    out.put(J.frame);
    out.dec(frame);
    out.put(J.time);
    this.time(out, nsec, true);
    out.put(J.length);
    out.dec(origLen);
    out.put(J.caplen);
    out.dec(caplen);
    out.put(J.layers);
    this.ethJson(out, b, s, 0);
    const ip = this.ip;
    const l4 = this.l4;
    this.ipJson(out, b, ip, b[ip]! >>> 4 === 4, this.ipEnd);
    if (t === TUNNEL_STT) this.tcpJson(out, b, l4);
    else if (t !== TUNNEL_NVGRE) this.udpJson(out, b, l4, this.udpStatus);
    const tOff = this.tOff;
    const f = b[tOff]!;
    const vni = (b[tOff + 4]! << 16) | (b[tOff + 5]! << 8) | b[tOff + 6]!;
    if (t === TUNNEL_VXLAN) {
      out.put(J.vxlan);
      out.dec(tOff - s);
      out.put(J.len8vni);
      out.dec(vni);
      out.put(J.flags);
      out.dec(f);
      out.put(J.vniValid);
      out.bool((f & 0x08) !== 0);
      if (this.dec.groupPolicyId >= 0) {
        const g = b[tOff + 1]!;
        out.put(J.gbp);
        out.dec(this.dec.groupPolicyId);
        out.put(J.dontLearn);
        out.bool((g & 0x40) !== 0);
        out.put(J.policyApplied);
        out.bool((g & 0x08) !== 0);
        out.put(J.close);
      }
    } else if (t === TUNNEL_VXLAN_GPE) {
      out.put(J.gpe);
      out.dec(tOff - s);
      out.put(J.len8vni);
      out.dec(vni);
      out.put(J.flags);
      out.dec(f);
      out.put(J.version);
      out.dec((f & 0x30) >>> 4);
      out.put(J.nextProtocolPresent);
      out.bool((f & 0x04) !== 0);
      out.put(J.bum);
      out.bool((f & 0x02) !== 0);
      out.put(J.oam);
      out.bool((f & 0x01) !== 0);
      out.put(J.nextProtocol);
      out.dec(b[tOff + 3]!);
    } else if (t === TUNNEL_GENEVE) {
      const g = b[tOff + 1]!;
      const optLen = (f & 63) * 4;
      out.put(J.geneve);
      out.dec(tOff - s);
      out.put(J.lengthN);
      out.dec(8 + optLen);
      out.put(J.vni);
      out.dec(vni);
      out.put(J.version);
      out.dec(f >>> 6);
      out.put(J.protocolType);
      out.dec((b[tOff + 2]! << 8) | b[tOff + 3]!);
      out.put(J.oam);
      out.bool((g & 0x80) !== 0);
      out.put(J.critical);
      out.bool((g & 0x40) !== 0);
      out.put(J.optionsLength);
      out.dec(optLen);
      out.put(J.options);
      let at = tOff + 8;
      for (let i = 0; i < this.options.length; i++) {
        const o = this.options[i]!;
        if (i) out.buf[out.pos++] = 44;
        out.text(JSON.stringify(optionJson(o, this.registry, at + 4)));
        at += 4 + o.data.length;
      }
      out.put(J.optionsEnd);
    } else if (t === TUNNEL_NVGRE) {
      out.put(J.nvgre);
      out.dec(tOff - s);
      out.put(J.len8vsid);
      out.dec(vni);
      out.put(J.flowId);
      out.dec(b[tOff + 7]!);
      out.put(J.protocolType);
      out.dec(0x6558);
      out.put(J.key);
      out.dec(((b[tOff + 4]! << 24) | (b[tOff + 5]! << 16) | (b[tOff + 6]! << 8) | b[tOff + 7]!) >>> 0);
    } else {
      out.put(J.stt);
      out.dec(tOff - s);
      out.put(J.len18);
      out.dec((b[l4 + 4]! << 8) | b[l4 + 5]!);
      out.put(J.fragmentOffset);
      out.dec(((b[l4 + 8]! << 24) | (b[l4 + 9]! << 16) | (b[l4 + 10]! << 8) | b[l4 + 11]!) >>> 0);
      out.put(J.segments);
      out.dec(f);
      out.put(J.flags);
      out.dec(b[tOff + 1]!);
      out.put(J.l4Offset);
      out.dec(b[tOff + 2]!);
      out.put(J.mss);
      out.dec((b[tOff + 4]! << 8) | b[tOff + 5]!);
      out.put(J.pcp);
      out.dec(b[tOff + 6]! >>> 5);
      out.put(J.vlanValid);
      out.bool((b[tOff + 6]! & 0x10) !== 0);
      out.put(J.vlanId);
      out.dec(((b[tOff + 6]! << 8) | b[tOff + 7]!) & 0xfff);
      out.put(J.contextId);
      out.hex(((b[tOff + 8]! << 24) | (b[tOff + 9]! << 16) | (b[tOff + 10]! << 8) | b[tOff + 11]!) >>> 0, 8);
      out.hex(((b[tOff + 12]! << 24) | (b[tOff + 13]! << 16) | (b[tOff + 14]! << 8) | b[tOff + 15]!) >>> 0, 8);
      out.put(J.quoteClose);
    }
    out.put(J.close);
    // Inner frame.
    out.buf[out.pos++] = 44;
    const e = this.inner;
    this.ethJson(out, b, e, e - s);
    const iip = this.iip;
    if (this.iEt === 0x0806) {
      out.put(J.arp);
      out.dec(iip - s);
      out.put(J.arpLen);
      out.dec((b[iip + 6]! << 8) | b[iip + 7]!);
      out.put(J.senderMac);
      out.mac(b, iip + 8);
      out.put(J.senderIp);
      out.ipv4(b, iip + 14);
      out.put(J.targetMac);
      out.mac(b, iip + 18);
      out.put(J.targetIp);
      out.ipv4(b, iip + 24);
      out.put(J.quoteClose);
    } else {
      const iv4 = this.iEt === 0x0800;
      const il4 = this.il4;
      this.ipJson(out, b, iip, iv4, iv4 ? iip + ((b[iip + 2]! << 8) | b[iip + 3]!) : iip + 40 + ((b[iip + 4]! << 8) | b[iip + 5]!));
      const k = this.il4Kind;
      if (k === L4_ICMP) {
        out.put(this.iProto === 1 ? J.icmp : J.icmpv6);
        out.dec(il4 - s);
        out.put(J.len4type);
        out.dec(b[il4]!);
        out.put(J.code);
        out.dec(b[il4 + 1]!);
      } else if (k === L4_UDP) this.udpJson(out, b, il4, this.il4Status);
      else this.tcpJson(out, b, il4);
    }
    out.put(J.close);
    out.put(J.end);
    out.buf[out.pos++] = 10;
  }

  /** `{"proto":"eth",...` (open: the next layer's piece closes it). */
  private ethJson(out: ByteSink, b: Uint8Array, e: number, rel: number): void {
    out.put(J.eth);
    out.dec(rel);
    out.put(J.ethRest);
    out.mac(b, e);
    out.put(J.src);
    out.mac(b, e + 6);
    out.put(J.etherType);
    out.dec((b[e + 12]! << 8) | b[e + 13]!);
  }

  private ipJson(out: ByteSink, b: Uint8Array, ip: number, v4: boolean, _end: number): void {
    const s = this.s;
    if (v4) {
      out.put(J.ipv4);
      out.dec(ip - s);
      out.put(J.ipv4Len);
      out.ipv4(b, ip + 12);
      out.put(J.dst);
      out.ipv4(b, ip + 16);
      out.put(J.protocol);
      out.dec(b[ip + 9]!);
      out.put(J.ttl);
      out.dec(b[ip + 8]!);
      out.put(J.dscp);
      out.dec(b[ip + 1]! >>> 2);
      out.put(J.ecn);
      out.dec(b[ip + 1]! & 3);
      out.put(J.totalLength);
      out.dec((b[ip + 2]! << 8) | b[ip + 3]!);
      out.put(J.identification);
      out.dec((b[ip + 4]! << 8) | b[ip + 5]!);
      out.put(J.dontFragment);
      out.bool((b[ip + 6]! & 0x40) !== 0);
      out.put(J.checksumValid);
      out.bool(onesSum(b, ip, ip + 20) === 0xffff);
    } else {
      out.put(J.ipv6);
      out.dec(ip - s);
      out.put(J.ipv6Len);
      out.ipv6(b, ip + 8);
      out.put(J.dst);
      out.ipv6(b, ip + 24);
      out.put(J.nextHeader);
      out.dec(b[ip + 6]!);
      out.put(J.protocolN);
      out.dec(b[ip + 6]!);
      out.put(J.hopLimit);
      out.dec(b[ip + 7]!);
      const tc = ((b[ip]! & 15) << 4) | (b[ip + 1]! >>> 4);
      out.put(J.dscp);
      out.dec(tc >>> 2);
      out.put(J.ecn);
      out.dec(tc & 3);
      out.put(J.flowLabel);
      out.dec(((b[ip + 1]! & 15) << 16) | (b[ip + 2]! << 8) | b[ip + 3]!);
      out.put(J.payloadLength);
      out.dec((b[ip + 4]! << 8) | b[ip + 5]!);
    }
  }

  private udpJson(out: ByteSink, b: Uint8Array, u: number, status: number): void {
    out.put(J.udp);
    out.dec(u - this.s);
    out.put(J.udpLen);
    out.dec((b[u]! << 8) | b[u + 1]!);
    out.put(J.dstPort);
    out.dec((b[u + 2]! << 8) | b[u + 3]!);
    out.put(J.udpLength);
    out.dec((b[u + 4]! << 8) | b[u + 5]!);
    out.put(J.checksum);
    out.dec((b[u + 6]! << 8) | b[u + 7]!);
    out.put(J.status[status]!);
  }

  private tcpJson(out: ByteSink, b: Uint8Array, t: number): void {
    out.put(J.tcp);
    out.dec(t - this.s);
    out.put(J.lengthN);
    out.dec((b[t + 12]! >>> 4) << 2);
    out.put(J.srcPort);
    out.dec((b[t]! << 8) | b[t + 1]!);
    out.put(J.dstPort);
    out.dec((b[t + 2]! << 8) | b[t + 3]!);
    out.put(J.seq);
    out.dec(((b[t + 4]! << 24) | (b[t + 5]! << 16) | (b[t + 6]! << 8) | b[t + 7]!) >>> 0);
    out.put(J.ack);
    out.dec(((b[t + 8]! << 24) | (b[t + 9]! << 16) | (b[t + 10]! << 8) | b[t + 11]!) >>> 0);
    out.put(J.flags);
    out.dec(((b[t + 12]! & 1) << 8) | b[t + 13]!);
    out.put(J.window);
    out.dec((b[t + 14]! << 8) | b[t + 15]!);
  }
}

const NO_OPTIONS: readonly GeneveOption[] = [];
const lit_D = lit(' D');
const lit_A = lit(' A');
const lit_O = lit(' O');
const lit_C = lit(' C');
