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
import { parseGeneveLax } from '../geneve/fields.js';
import { formatIpv6, ipv6ZeroRun } from '../net/bytes.js';
import { onesSum } from '../net/checksum.js';
import { l4ChecksumValid } from '../net/udp.js';
import type { OptionRegistry } from '../tlv/registry.js';
import { TUNNEL_GENEVE, TUNNEL_NVGRE, TUNNEL_STT, TUNNEL_VXLAN, TUNNEL_VXLAN_GPE, TunnelDecoder } from '../walk/fast.js';
import { optionJson, optionText } from '../walk/format.js';
import { optionClassText, optionCountName } from './common.js';
import type { TcpTunnelKind, UdpTunnelKind } from '../walk/walker.js';

const enc = new TextEncoder();
const EMPTY = new Uint8Array(0);
const utf8 = new TextDecoder();
/** Layer openings by offset (see FastLine.at). */
const AT_MAX = 4096;
const AT_VXLAN: Array<Piece | undefined> = [];
const AT_GPE: Array<Piece | undefined> = [];
const AT_GENEVE: Array<Piece | undefined> = [];
const AT_NVGRE: Array<Piece | undefined> = [];
const AT_STT: Array<Piece | undefined> = [];
const AT_ARP: Array<Piece | undefined> = [];
const AT_ETH: Array<Piece | undefined> = [];
const AT_IPV4: Array<Piece | undefined> = [];
const AT_IPV6: Array<Piece | undefined> = [];
const AT_UDP: Array<Piece | undefined> = [];
const AT_TCP: Array<Piece | undefined> = [];
const AT_ICMP: Array<Piece | undefined> = [];
const AT_ICMPV6: Array<Piece | undefined> = [];
/** `,"dscp":D,"ecn":E` for each TOS / Traffic Class byte. */
const TOS: Piece[] = [];
/** `","protocol":P,"ttl":T` by protocol << 8 | TTL, made when first seen (a capture has few pairs). */
const PROTO_TTL: Array<Piece | undefined> = new Array<Piece | undefined>(65536);
function protoTtl(p: number, ttl: number): Piece {
  return (PROTO_TTL[(p << 8) | ttl] = piece(`","protocol":${p},"ttl":${ttl}`));
}
const lit = (s: string): Uint8Array => enc.encode(s);

/** A constant piece of output: its bytes, and the same bytes as little-endian 32-bit words for a 4-bytes-at-a-time copy. */
export interface Piece {
  readonly bytes: Uint8Array;
  readonly words: Uint32Array;
}
function piece(s: string): Piece {
  const bytes = lit(s);
  const words = new Uint32Array(bytes.length >>> 2);
  for (let k = 0; k < words.length; k++) words[k] = (bytes[4 * k]! | (bytes[4 * k + 1]! << 8) | (bytes[4 * k + 2]! << 16) | (bytes[4 * k + 3]! << 24)) >>> 0;
  return { bytes, words };
}
for (let t = 0; t < 256; t++) TOS.push(piece(`,"dscp":${t >>> 2},"ecn":${t & 3}`));
const HEXD = lit('0123456789abcdef');
/** "00" to "99": two ASCII digits per value. */
const DIGITS2 = lit(Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0')).join(''));

/**
 * An output buffer written byte by byte and handed to `sink` when full (or on {@link flush}).
 * Strings go in as UTF-8.
 */
export class ByteSink {
  readonly buf: Uint8Array;
  private readonly dv: DataView;
  pos = 0;
  constructor(
    private readonly sink: (bytes: Uint8Array) => void,
    size = 1 << 20,
  ) {
    this.buf = new Uint8Array(size);
    this.dv = new DataView(this.buf.buffer);
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

  /** Append a constant piece (the caller made room): whole 32-bit words (DataView stores take any alignment), then the tail. */
  put(c: Piece): void {
    const w = c.words;
    const dv = this.dv;
    let p = this.pos;
    for (let k = 0; k < w.length; k++, p += 4) dv.setUint32(p, w[k]!, true);
    const a = c.bytes;
    const b = this.buf;
    for (let i = w.length << 2; i < a.length; i++) b[p++] = a[i]!;
    this.pos = p;
  }

  /** Append bytes (the caller made room). */
  putBytes(a: Uint8Array): void {
    const n = a.length;
    const b = this.buf;
    const p = this.pos;
    if (n > 24) b.set(a, p);
    else for (let i = 0; i < n; i++) b[p + i] = a[i]!;
    this.pos = p + n;
  }

  /** A non-negative integer below 2^53 in decimal. */
  dec(n: number): void {
    const b = this.buf;
    if (n < 100) {
      if (n < 10) b[this.pos++] = 48 + n;
      else {
        b[this.pos] = DIGITS2[2 * n]!;
        b[this.pos + 1] = DIGITS2[2 * n + 1]!;
        this.pos += 2;
      }
      return;
    }
    if (n > 0xffffffff) {
      this.text(String(n)); // rare: 32-bit fields (STT frame-id, TCP seq/ack, NVGRE key) stay below
      return;
    }
    const digits = n < 1000 ? 3 : n < 10000 ? 4 : n < 100000 ? 5 : n < 1000000 ? 6 : n < 10000000 ? 7 : n < 100000000 ? 8 : n < 1000000000 ? 9 : 10;
    let i = this.pos + digits;
    this.pos = i;
    while (n >= 100) {
      const q = (n / 100) | 0;
      const r = 2 * (n - q * 100);
      b[--i] = DIGITS2[r + 1]!;
      b[--i] = DIGITS2[r]!;
      n = q;
    }
    if (n >= 10) {
      b[--i] = DIGITS2[2 * n + 1]!;
      b[--i] = DIGITS2[2 * n]!;
    } else b[--i] = 48 + n;
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

  /** 9 decimal digits, zero-padded (n < 10^9). */
  dec9(n: number): void {
    const b = this.buf;
    const p = this.pos;
    for (let i = p + 7; i > p; i -= 2) {
      const q = (n / 100) | 0;
      const r = 2 * (n - q * 100);
      b[i + 1] = DIGITS2[r + 1]!;
      b[i] = DIGITS2[r]!;
      n = q;
    }
    b[p] = 48 + n;
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
    const run = ipv6ZeroRun(src, o);
    const bestStart = run < 0 ? -1 : run >>> 4;
    const bestLen = run < 0 ? 0 : run & 15;
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

/** 32-bit FNV-1a of `b[start, end)`, its basis mixed with `salt` (a key's non-byte part, e.g. an offset). */
export function fnv1a(b: Uint8Array, start: number, end: number, salt: number): number {
  let h = 0x811c9dc5 ^ salt;
  for (let i = start; i < end; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h;
}

const TRUE = piece('true');
const FALSE = piece('false');

// Text pieces.
const T_SP = piece(' ');
const T_GT = piece(' > ');
const T_COLON = piece(' : ');
const T_LEN = piece(' len ');
const T_NAMES: Record<number, Piece> = {
  [TUNNEL_VXLAN]: piece(' VXLAN vni '),
  [TUNNEL_VXLAN_GPE]: piece(' VXLAN-GPE vni '),
  [TUNNEL_GENEVE]: piece(' GENEVE vni '),
  [TUNNEL_NVGRE]: piece(' NVGRE vsid 0x'),
  [TUNNEL_STT]: piece(' STT ctx 0x'),
};
const PROTO_TEXT: Record<number, Piece> = { 1: piece(' ICMP'), 6: piece(' TCP'), 17: piece(' UDP'), 58: piece(' ICMPv6') };

// JSON pieces.
const J = {
  frame: piece('{"frame":'),
  time: piece(',"time":"'),
  length: piece('Z","length":'),
  caplen: piece(',"caplen":'),
  layers: piece(',"layers":['),
  end: piece('],"errors":[],"warnings":[]}'),
  eth: piece('{"proto":"eth","offset":'),
  ethRest: piece(',"length":14,"dst":"'),
  src: piece('","src":"'),
  dst: piece('","dst":"'),
  etherType: piece('","etherType":'),
  ipv4: piece('},{"proto":"ipv4","offset":'),
  ipv4Len: piece(',"length":20,"src":"'),
  totalLength: piece(',"totalLength":'),
  identification: piece(',"identification":'),
  /** `dontFragment` and `checksumValid`, by DF × 2 + valid. */
  dfCsum: [0, 1, 2, 3].map((k) => piece(`,"dontFragment":${k >= 2},"checksumValid":${(k & 1) === 1}`)),
  ipv6: piece('},{"proto":"ipv6","offset":'),
  ipv6Len: piece(',"length":40,"src":"'),
  nextHeader: piece('","nextHeader":'),
  protocolN: piece(',"protocol":'),
  hopLimit: piece(',"hopLimit":'),
  flowLabel: piece(',"flowLabel":'),
  payloadLength: piece(',"payloadLength":'),
  udp: piece('},{"proto":"udp","offset":'),
  udpLen: piece(',"length":8,"srcPort":'),
  dstPort: piece(',"dstPort":'),
  udpLength: piece(',"udpLength":'),
  checksum: piece(',"checksum":'),
  status: [piece(',"checksumStatus":"none"'), piece(',"checksumStatus":"good"'), piece(',"checksumStatus":"bad"')],
  tcp: piece('},{"proto":"tcp","offset":'),
  lengthN: piece(',"length":'),
  srcPort: piece(',"srcPort":'),
  seq: piece(',"seq":'),
  ack: piece(',"ack":'),
  flags: piece(',"flags":'),
  window: piece(',"window":'),
  vxlan: piece('},{"proto":"vxlan","offset":'),
  len8vni: piece(',"length":8,"vni":'),
  vniValid: piece(',"vniValid":'),
  gbp: piece(',"gbp":{"groupPolicyId":'),
  dontLearn: piece(',"dontLearn":'),
  policyApplied: piece(',"policyApplied":'),
  close: piece('}'),
  gpe: piece('},{"proto":"vxlan-gpe","offset":'),
  version: piece(',"version":'),
  nextProtocolPresent: piece(',"nextProtocolPresent":'),
  bum: piece(',"bum":'),
  oam: piece(',"oam":'),
  nextProtocol: piece(',"nextProtocol":'),
  geneve: piece('},{"proto":"geneve","offset":'),
  vni: piece(',"vni":'),
  protocolType: piece(',"protocolType":'),
  critical: piece(',"critical":'),
  optionsLength: piece(',"optionsLength":'),
  options: piece(',"options":['),
  optionsEnd: piece(']'),
  nvgre: piece('},{"proto":"nvgre","offset":'),
  len8vsid: piece(',"length":8,"vsid":'),
  flowId: piece(',"flowId":'),
  key: piece(',"key":'),
  stt: piece('},{"proto":"stt","offset":'),
  len18: piece(',"length":18,"frameLength":'),
  fragmentOffset: piece(',"fragmentOffset":0,"frameId":'),
  segments: piece(',"segments":1,"version":'),
  l4Offset: piece(',"l4Offset":'),
  mss: piece(',"mss":'),
  pcp: piece(',"pcp":'),
  vlanValid: piece(',"vlanValid":'),
  vlanId: piece(',"vlanId":'),
  contextId: piece(',"contextId":"0x'),
  quoteClose: piece('"'),
  arp: piece('},{"proto":"arp","offset":'),
  arpLen: piece(',"length":28,"opcode":'),
  senderMac: piece(',"senderMac":"'),
  senderIp: piece('","senderIp":"'),
  targetMac: piece('","targetMac":"'),
  targetIp: piece('","targetIp":"'),
  icmp: piece('},{"proto":"icmp","offset":'),
  icmpv6: piece('},{"proto":"icmpv6","offset":'),
  len4type: piece(',"length":4,"type":'),
  code: piece(',"code":'),
};
const TEXT_ARP = [piece(' ARP who-has '), piece(' ARP reply '), piece(' ARP op '), piece(' tell ')];
const TEXT_TYPE = piece(' type ');
const TEXT_GBP = piece(' gbp ');
const TEXT_NP = piece(' next-proto ');
const TEXT_PROTO_TEB = piece(' proto TEB');
const TEXT_FLOW = piece(' flow 0x');
const TEXT_SEGS = piece(' segs 1 frame-id ');
const TEXT_IPV4 = piece('IPv4 ');
const TEXT_IPV6 = piece('IPv6 ');
const TEXT_OPTS = piece(' opts [');

/** Inner L4 kinds. */
const L4_NONE = 0;
const L4_ICMP = 1;
const L4_UDP = 2;
const L4_TCP = 3;

/** See the module doc. One instance per output stream; not re-entrant. */
export class FastLine {
  private readonly dec: TunnelDecoder;
  private secCached = -1;
  private dateBytes: Uint8Array = new Uint8Array(20);
  // Scan results.
  private s = 0;
  private ip = 0;
  private l4 = 0;
  private t = 0;
  private tOff = 0;
  private inner = 0;
  private iEt = 0;
  private iip = 0;
  private iProto = 0;
  private il4 = 0;
  private il4Kind = L4_NONE;
  private optText: Uint8Array = EMPTY;
  private optJson: Uint8Array = EMPTY;
  /** The Geneve options of the last accepted packet (undefined without options). */
  optEntry: OptionEntry | undefined;
  /** Rendered Geneve options by content (hash of the header and options, and their offset): flows repeat them. */
  private readonly optCache = new Map<number, OptionEntry>();

  constructor(
    private readonly registry: OptionRegistry,
    udpPorts: ReadonlyMap<number, UdpTunnelKind>,
    tcpPorts: ReadonlyMap<number, TcpTunnelKind>,
  ) {
    this.dec = new TunnelDecoder(udpPorts, tcpPorts);
  }

  /**
   * Write the text line (and its newline) of the frame at `b[start, start + caplen)`.
   * @returns false, having written nothing, when the frame needs the walker.
   */
  text(out: ByteSink, b: Uint8Array, start: number, caplen: number, origLen: number, frame: number, sec: number, nsec: number): boolean {
    if (caplen !== origLen || !this.scan(b, start, caplen) || !this.date(sec)) return false;
    out.room(1024 + this.optText.length);
    this.line(out, b, frame, nsec, origLen);
    return true;
  }

  /**
   * For `--summary`: check the frame as {@link text} would, writing nothing. After true, {@link tunnel},
   * {@link tunnelOffset}, {@link ipOffset} and {@link optEntry} describe it.
   */
  check(b: Uint8Array, start: number, caplen: number, origLen: number): boolean {
    return caplen === origLen && this.scan(b, start, caplen);
  }

  /** TUNNEL_* code, tunnel header and outer IP header offsets of the last accepted frame. */
  get tunnel(): number {
    return this.t;
  }
  get tunnelOffset(): number {
    return this.tOff;
  }
  get ipOffset(): number {
    return this.ip;
  }

  /** Write the `--json` record (and its newline); false as {@link text}. */
  json(out: ByteSink, b: Uint8Array, start: number, caplen: number, origLen: number, frame: number, sec: number, nsec: number): boolean {
    if (caplen !== origLen || !this.scan(b, start, caplen) || !this.date(sec)) return false;
    out.room(4096 + this.optJson.length);
    this.record(out, b, frame, nsec, origLen, caplen);
    return true;
  }

  /**
   * The Geneve options of the header at `t` rendered for text and JSON by the registry (as the walker's
   * output renders them), or `ok: false` when the receiver would warn (RFC 8926 §3.5: an unknown
   * critical option, a C bit that disagrees) or the options do not parse. Cached by content.
   */
  private geneveOptions(b: Uint8Array, t: number, end: number, rel: number): OptionEntry {
    const n = 8 + (b[t]! & 63) * 4;
    const h = fnv1a(b, t, t + n, rel);
    const hit = this.optCache.get(h);
    if (hit && hit.rel === rel && hit.bytes.length === n) {
      let same = true;
      for (let i = 0; i < n; i++) {
        if (hit.bytes[i] !== b[t + i]) {
          same = false;
          break;
        }
      }
      if (same) return hit;
    }
    const e = this.renderOptions(b, t, end, rel, n);
    if (this.optCache.size >= 4096) this.optCache.clear();
    this.optCache.set(h, e);
    return e;
  }

  private renderOptions(b: Uint8Array, t: number, end: number, rel: number, n: number): OptionEntry {
    const bytes = b.slice(t, t + n);
    const g = parseGeneveLax(b, t, end);
    if (g.error || !g.value) return { bytes, rel, ok: false, text: EMPTY, json: EMPTY, classes: [], names: [] };
    const opts = g.value.options;
    if (this.registry.checkCritical(g.value.critical, opts, t + 8, t + 1).warnings.length) return { bytes, rel, ok: false, text: EMPTY, json: EMPTY, classes: [], names: [] };
    // Options are stored by value: option data are copied so the cache does not alias the frame.
    let text = '';
    let json = '';
    let at = rel + 8; // JSON offsets count from the frame start, as the walker's do
    for (const o of opts) {
      text += (text ? ' ' : '') + optionText(o, this.registry);
      json += (json ? ',' : '') + JSON.stringify(optionJson(o, this.registry, at + 4));
      at += 4 + o.data.length;
    }
    const classes = [...new Set(opts.map((o) => optionClassText(o.optionClass)))];
    const names = opts.map((o) => optionCountName(this.registry, o.optionClass, o.type));
    return { bytes, rel, ok: true, text: lit(text), json: lit(json), classes, names };
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
    this.t = t;
    this.tOff = d.tunnelOffset;
    this.optText = EMPTY;
    this.optEntry = undefined;
    this.optJson = EMPTY;
    if (t === TUNNEL_STT) {
      // One whole frame in this segment: version 0 (the decoder checked), the frame fills the segment.
      if (d.innerEnd !== end) return false;
    } else if (t !== TUNNEL_NVGRE) {
      const ulen = (b[l4 + 4]! << 8) | b[l4 + 5]!;
      if (l4 + ulen !== end) return false;
      const tOff = d.tunnelOffset;
      if (t === TUNNEL_VXLAN_GPE) {
        // Ethernet payload (P set, Next Protocol 3) only.
        if ((b[tOff]! & 0x04) === 0 || b[tOff + 3] !== 3) return false;
      } else if (t === TUNNEL_GENEVE) {
        if (((b[tOff + 2]! << 8) | b[tOff + 3]!) !== 0x6558) return false;
        if ((b[tOff]! & 63) !== 0) {
          const e = this.geneveOptions(b, tOff, end, tOff - s);
          if (!e.ok) return false;
          this.optText = e.text;
          this.optEntry = e;
          this.optJson = e.json;
        } else if ((b[tOff + 1]! & 0x40) !== 0) return false; // C without options: a warning
      }
    }
    this.inner = d.innerOffset;
    return this.scanInner(b, d.innerOffset, end);
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
      if (this.dec.isUdpTunnelPort((b[l4 + 2]! << 8) | b[l4 + 3]!) || this.dec.isUdpTunnelPort((b[l4]! << 8) | b[l4 + 1]!)) return false;
      this.il4Kind = L4_UDP;
      return true;
    }
    if (proto === 6) {
      if (avail < 20) return false;
      const doff = (b[l4 + 12]! >>> 4) << 2;
      if (doff < 20 || doff > avail) return false;
      if (this.dec.isTcpTunnelPort((b[l4 + 2]! << 8) | b[l4 + 3]!) || this.dec.isTcpTunnelPort((b[l4]! << 8) | b[l4 + 1]!)) return false;
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

  private line(out: ByteSink, b: Uint8Array, frame: number, nsec: number, origLen: number): void {
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
      if (this.optText.length) {
        out.put(TEXT_OPTS);
        out.putBytes(this.optText);
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
      if (op === 1) out.put(TEXT_ARP[0]!);
      else if (op === 2) out.put(TEXT_ARP[1]!);
      else {
        out.put(TEXT_ARP[2]!);
        out.dec(op);
        out.put(T_SP);
      }
      out.ipv4(b, iip + 24);
      out.put(TEXT_ARP[3]!);
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
    this.ipJson(out, b, ip, b[ip]! >>> 4 === 4);
    if (t === TUNNEL_STT) this.tcpJson(out, b, l4);
    else if (t !== TUNNEL_NVGRE) this.udpJson(out, b, l4, ip);
    const tOff = this.tOff;
    const f = b[tOff]!;
    const vni = (b[tOff + 4]! << 16) | (b[tOff + 5]! << 8) | b[tOff + 6]!;
    if (t === TUNNEL_VXLAN) {
      out.put(this.at(AT_VXLAN, J.vxlan, J.len8vni, tOff - s));
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
      out.put(this.at(AT_GPE, J.gpe, J.len8vni, tOff - s));
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
      out.put(this.at(AT_GENEVE, J.geneve, J.lengthN, tOff - s));
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
      out.putBytes(this.optJson);
      out.put(J.optionsEnd);
    } else if (t === TUNNEL_NVGRE) {
      out.put(this.at(AT_NVGRE, J.nvgre, J.len8vsid, tOff - s));
      out.dec(vni);
      out.put(J.flowId);
      out.dec(b[tOff + 7]!);
      out.put(J.protocolType);
      out.dec(0x6558);
      out.put(J.key);
      out.dec(((b[tOff + 4]! << 24) | (b[tOff + 5]! << 16) | (b[tOff + 6]! << 8) | b[tOff + 7]!) >>> 0);
    } else {
      out.put(this.at(AT_STT, J.stt, J.len18, tOff - s));
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
      out.put(this.at(AT_ARP, J.arp, J.arpLen, iip - s));
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
      this.ipJson(out, b, iip, iv4);
      const k = this.il4Kind;
      if (k === L4_ICMP) {
        out.put(this.iProto === 1 ? this.at(AT_ICMP, J.icmp, J.len4type, il4 - s) : this.at(AT_ICMPV6, J.icmpv6, J.len4type, il4 - s));
        out.dec(b[il4]!);
        out.put(J.code);
        out.dec(b[il4 + 1]!);
      } else if (k === L4_UDP) this.udpJson(out, b, il4, iip);
      else this.tcpJson(out, b, il4);
    }
    out.put(J.close);
    out.put(J.end);
    out.buf[out.pos++] = 10;
  }

  /**
   * The opening of a layer's JSON with its offset: `prefix` + offset + `suffix` as one piece, made once
   * per offset (a layer sits at a handful of offsets in a capture).
   */
  private at(table: Array<Piece | undefined>, prefix: Piece, suffix: Piece, rel: number): Piece {
    if (rel < AT_MAX) return table[rel] ?? (table[rel] = piece(utf8.decode(prefix.bytes) + String(rel) + utf8.decode(suffix.bytes)));
    return piece(utf8.decode(prefix.bytes) + String(rel) + utf8.decode(suffix.bytes));
  }

  /** `{"proto":"eth",...` (open: the next layer's piece closes it). */
  private ethJson(out: ByteSink, b: Uint8Array, e: number, rel: number): void {
    out.put(this.at(AT_ETH, J.eth, J.ethRest, rel));
    out.mac(b, e);
    out.put(J.src);
    out.mac(b, e + 6);
    out.put(J.etherType);
    out.dec((b[e + 12]! << 8) | b[e + 13]!);
  }

  private ipJson(out: ByteSink, b: Uint8Array, ip: number, v4: boolean): void {
    const s = this.s;
    if (v4) {
      out.put(this.at(AT_IPV4, J.ipv4, J.ipv4Len, ip - s));
      out.ipv4(b, ip + 12);
      out.put(J.dst);
      out.ipv4(b, ip + 16);
      out.put(PROTO_TTL[(b[ip + 9]! << 8) | b[ip + 8]!] ?? protoTtl(b[ip + 9]!, b[ip + 8]!));
      out.put(TOS[b[ip + 1]!]!);
      out.put(J.totalLength);
      out.dec((b[ip + 2]! << 8) | b[ip + 3]!);
      out.put(J.identification);
      out.dec((b[ip + 4]! << 8) | b[ip + 5]!);
      out.put(J.dfCsum[((b[ip + 6]! & 0x40) !== 0 ? 2 : 0) + (onesSum(b, ip, ip + 20) === 0xffff ? 1 : 0)]!);
    } else {
      out.put(this.at(AT_IPV6, J.ipv6, J.ipv6Len, ip - s));
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
      out.put(TOS[tc]!);
      out.put(J.flowLabel);
      out.dec(((b[ip + 1]! & 15) << 16) | (b[ip + 2]! << 8) | b[ip + 3]!);
      out.put(J.payloadLength);
      out.dec((b[ip + 4]! << 8) | b[ip + 5]!);
    }
  }

  /**
   * The UDP layer; its checksum status is verified here, not in the scan (the text line does not show
   * it). The scan checked that the datagram lies whole in the frame.
   */
  private udpJson(out: ByteSink, b: Uint8Array, u: number, ip: number): void {
    const ulen = (b[u + 4]! << 8) | b[u + 5]!;
    const status = ((b[u + 6]! << 8) | b[u + 7]!) === 0 ? 0 : l4ChecksumValid(b, ip, 17, u, u + ulen) ? 1 : 2;
    out.put(this.at(AT_UDP, J.udp, J.udpLen, u - this.s));
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
    out.put(this.at(AT_TCP, J.tcp, J.lengthN, t - this.s));
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


export interface OptionEntry {
  readonly bytes: Uint8Array;
  readonly rel: number;
  readonly ok: boolean;
  readonly text: Uint8Array;
  readonly json: Uint8Array;
  /** Option classes (0x-hex, distinct) and option names (registry name or class:type), for `--summary`. */
  readonly classes: readonly string[];
  readonly names: readonly string[];
}
const lit_D = piece(' D');
const lit_A = piece(' A');
const lit_O = piece(' O');
const lit_C = piece(' C');
