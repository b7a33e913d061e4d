/**
 * A minimal local host for the example datapath: it answers ARP requests (RFC 826) and IPv6 Neighbor
 * Solicitations (RFC 4861 §7.2.4) for its addresses, and ICMP / ICMPv6 echo requests (RFC 792,
 * RFC 4443 §4.2), with correct checksums. Everything else addressed to it is counted and ignored.
 */
import { formatIpv4, formatIpv6, ipv4FromText, ipv6FromText, macFromText, put16, u16 } from '../net/bytes.js';
import { fold, internetChecksum, onesSum } from '../net/checksum.js';
import { Ipv4View } from '../net/ipv4.js';
import type { Attachment } from './switch.js';

/** What the host answered. */
export interface HostStats {
  arpReplies: number;
  neighborAdvertisements: number;
  echoReplies: number;
  echo6Replies: number;
  ignored: number;
}

/** Host configuration. */
export interface HostConfig {
  readonly name?: string;
  readonly mac: string;
  /** IPv4 address (prefix length ignored). */
  readonly ipv4?: string;
  /** IPv6 address. */
  readonly ipv6?: string;
}

/** A host attached to a switch: `send` puts its replies back on the switch. */
export class LocalHost implements Attachment {
  readonly name: string;
  readonly stats: HostStats = { arpReplies: 0, neighborAdvertisements: 0, echoReplies: 0, echo6Replies: 0, ignored: 0 };
  private readonly mac: Uint8Array;
  private readonly ip4?: Uint8Array;
  private readonly ip6?: Uint8Array;

  constructor(
    cfg: HostConfig,
    private readonly send: (frame: Uint8Array) => void,
  ) {
    this.name = cfg.name ?? 'host';
    this.mac = macFromText(cfg.mac);
    if (cfg.ipv4) this.ip4 = ipv4FromText(cfg.ipv4.split('/')[0]!);
    if (cfg.ipv6) this.ip6 = ipv6FromText(cfg.ipv6.split('/')[0]!);
  }

  deliver(frame: Uint8Array): void {
    if (frame.length < 14) return void this.stats.ignored++;
    const type = u16(frame, 12);
    if (type === 0x0806) return this.arp(frame);
    if (type === 0x0800) return this.ipv4(frame);
    if (type === 0x86dd) return this.ipv6(frame);
    this.stats.ignored++;
  }

  private eq(b: Uint8Array, at: number, addr: Uint8Array | undefined): boolean {
    if (!addr || at + addr.length > b.length) return false;
    for (let i = 0; i < addr.length; i++) if (b[at + i] !== addr[i]) return false;
    return true;
  }

  private arp(f: Uint8Array): void {
    // Ethernet/IPv4 request for our address
    if (f.length < 42 || u16(f, 14) !== 1 || u16(f, 16) !== 0x0800 || f[18] !== 6 || f[19] !== 4 || u16(f, 20) !== 1 || !this.eq(f, 38, this.ip4)) {
      return void this.stats.ignored++;
    }
    const r = new Uint8Array(42);
    r.set(f.subarray(22, 28), 0); // to the sender's MAC
    r.set(this.mac, 6);
    put16(r, 12, 0x0806);
    r.set([0, 1, 8, 0, 6, 4, 0, 2], 14);
    r.set(this.mac, 22);
    r.set(this.ip4!, 28);
    r.set(f.subarray(22, 32), 32); // target = the requester's MAC and IP
    this.stats.arpReplies++;
    this.send(r);
  }

  private ipv4(f: Uint8Array): void {
    const v = Ipv4View.check(f, 14);
    if (!v.ok || !this.eq(f, 30, this.ip4) || v.value.protocol !== 1 || v.value.isFragment) return void this.stats.ignored++;
    const ip = v.value;
    const icmp = 14 + ip.headerLength;
    const end = Math.min(f.length, 14 + ip.totalLength);
    if (end - icmp < 8 || f[icmp] !== 8 || onesSum(f, icmp, end) !== 0xffff) return void this.stats.ignored++;
    const r = f.slice(0, end);
    r.set(f.subarray(6, 12), 0);
    r.set(this.mac, 6);
    r.set(f.subarray(26, 30), 30); // dst = their src
    r.set(this.ip4!, 26);
    Ipv4View.unchecked(r, 14).ttl = 64;
    Ipv4View.unchecked(r, 14).fillChecksum();
    r[icmp] = 0;
    put16(r, icmp + 2, 0);
    put16(r, icmp + 2, internetChecksum(r, icmp, end));
    this.stats.echoReplies++;
    this.send(r);
  }

  private ipv6(f: Uint8Array): void {
    if (f.length < 14 + 40 + 8 || f[14 + 6] !== 58) return void this.stats.ignored++;
    const plen = u16(f, 18);
    const end = Math.min(f.length, 54 + plen);
    const t = f[54]!;
    const valid = fold(onesSum(f, 54, end) + this.pseudo6(f, 22, 38, end - 54)) === 0xffff;
    if (!valid) return void this.stats.ignored++;
    if (t === 135 && end - 54 >= 24 && this.eq(f, 62, this.ip6)) return this.neighborAdvert(f);
    if (t === 128 && this.eq(f, 38, this.ip6)) {
      const r = f.slice(0, end);
      r.set(f.subarray(6, 12), 0);
      r.set(this.mac, 6);
      r.set(f.subarray(22, 38), 38);
      r.set(this.ip6!, 22);
      r[21] = 64;
      r[54] = 129;
      this.fillIcmp6(r, end);
      this.stats.echo6Replies++;
      return this.send(r);
    }
    this.stats.ignored++;
  }

  private neighborAdvert(f: Uint8Array): void {
    const unspecified = f.subarray(22, 38).every((x) => x === 0);
    const r = new Uint8Array(14 + 40 + 32);
    if (unspecified) r.set([0x33, 0x33, 0, 0, 0, 1], 0);
    else r.set(f.subarray(6, 12), 0);
    r.set(this.mac, 6);
    put16(r, 12, 0x86dd);
    r[14] = 0x60;
    put16(r, 18, 32);
    r[20] = 58;
    r[21] = 255;
    r.set(this.ip6!, 22);
    if (unspecified) r.set(ipv6FromText('ff02::1'), 38);
    else r.set(f.subarray(22, 38), 38);
    r[54] = 136;
    r[58] = unspecified ? 0x20 : 0x60; // S (solicited) unless DAD, O (override)
    r.set(this.ip6!, 62);
    r[78] = 2; // target link-layer address option
    r[79] = 1;
    r.set(this.mac, 80);
    this.fillIcmp6(r, r.length);
    this.stats.neighborAdvertisements++;
    this.send(r);
  }

  private pseudo6(b: Uint8Array, srcAt: number, dstAt: number, len: number): number {
    return fold(onesSum(b, srcAt, srcAt + 16) + onesSum(b, dstAt, dstAt + 16) + len + 58);
  }

  private fillIcmp6(r: Uint8Array, end: number): void {
    put16(r, 56, 0);
    put16(r, 56, ~fold(onesSum(r, 54, end) + this.pseudo6(r, 22, 38, end - 54)) & 0xffff);
  }

  /** Text form for logs. */
  describe(): string {
    return `${this.name} ${[this.ip4 && formatIpv4(this.ip4, 0), this.ip6 && formatIpv6(this.ip6, 0)].filter(Boolean).join(' ')}`;
  }
}
