import { readFileSync } from 'node:fs';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { fromHex, put16, u16 } from '../../src/net/bytes.js';
import { fold, ipv4PseudoSum, ipv6PseudoSum, onesSum } from '../../src/net/checksum.js';
import { Ipv4View } from '../../src/net/ipv4.js';
import { Ipv6ExtWalker } from '../../src/net/ipv6.js';
import { UDP_HEADER_LEN, UdpView, emitUdp, l4ChecksumValid, parseUdp, pseudoHeaderSum, udpChecksum, type UdpFields } from '../../src/net/udp.js';
import {
  FRAME_KERNEL_VXLAN_IPV4_F1,
  FRAME_OVS_GENEVE_IPV6_F1,
  FRAME_ZEEK_GENEVE_IPV6_F1,
  IPV4_RR_PACKET,
  IPV6_EXT_CHAIN,
  IPV6_EXT_CHAIN_UDP,
  IPV6_KERNEL_MLD_HBH,
  KERNEL_FRAGMENTED_UDP,
  UDP_TCPDUMP_VXLAN_F1,
  type TsharkUdp,
} from '../fixtures/net.js';
import { asBuffer } from '../oracles/buf.js';
import { ipv4PseudoHeader, ipv6PseudoHeader, rfc1071Checksum, rfc1071Sum, udpBl, udpBp } from '../oracles/net.js';

const a5 = (n: number) => new Uint8Array(n).fill(0xa5);
const num = (h: string) => parseInt(h, 16);
const expectedUdp = (t: TsharkUdp): UdpFields => ({ srcPort: t.udp_src, dstPort: t.udp_dst, length: t.udp_len, checksum: num(t.udp_checksum) });

describe('UDP fixture (deconstruct / construct / parse / emit)', () => {
  const fx = UDP_TCPDUMP_VXLAN_F1;
  it('deconstructs through the view getters (tshark udp.*)', () => {
    const v = UdpView.unchecked(fx.bytes);
    expect(UdpView.check(fx.bytes).ok).toBe(true);
    expect([v.srcPort, v.dstPort, v.length, v.checksum, v.payloadOffset]).toEqual([45149, 4789, 114, 0, 8]);
  });
  it('constructs through the setters into 0xa5', () => {
    const b = a5(8);
    const v = UdpView.unchecked(b);
    v.srcPort = fx.tshark.udp_src;
    v.dstPort = fx.tshark.udp_dst;
    v.length = fx.tshark.udp_len;
    v.checksum = num(fx.tshark.udp_checksum);
    expect(b).toEqual(fx.bytes);
  });
  it('parses to the tshark fields and re-emits them byte for byte', () => {
    const r = parseUdp(fx.bytes);
    expect(r).toEqual({ ok: true, value: expectedUdp(fx.tshark) });
    const out = a5(12);
    if (r.ok) expect(emitUdp(r.value, out, 2)).toBe(UDP_HEADER_LEN);
    expect(out.subarray(2, 10)).toEqual(fx.bytes);
    expect([out[0], out[1], out[10], out[11]]).toEqual([0xa5, 0xa5, 0xa5, 0xa5]);
  });
  it('emit and setters reject out-of-range values with RangeError', () => {
    const f = expectedUdp(fx.tshark);
    for (const p of [{ srcPort: 0x10000 }, { dstPort: -1 }, { length: 1.5 }, { checksum: 0x10000 }]) expect(() => emitUdp({ ...f, ...p }, a5(8)), JSON.stringify(p)).toThrow(RangeError);
    expect(() => emitUdp(f, a5(7))).toThrow(RangeError);
    expect(() => emitUdp(f, a5(8), 1)).toThrow(RangeError);
    expect(() => (UdpView.unchecked(a5(8)).checksum = 0x10000)).toThrow(RangeError);
  });
});

describe('UDP in whole captured frames', () => {
  const frames = [FRAME_OVS_GENEVE_IPV6_F1, FRAME_ZEEK_GENEVE_IPV6_F1, FRAME_KERNEL_VXLAN_IPV4_F1];
  for (const f of frames) {
    it(`${f.name}: the UDP header parses to tshark's fields`, () => {
      expect(parseUdp(f.bytes, f.udpAt)).toEqual({ ok: true, value: expectedUdp(f.udp) });
      const v = UdpView.unchecked(f.bytes, f.udpAt);
      expect(v.payloadEnd()).toBe(Math.min(f.bytes.length, f.udpAt + f.udp.udp_len));
    });
    it(`${f.name}: udpChecksum computes tshark's ${f.udp.calculated} and l4ChecksumValid says ${f.udp.udp_checksum_status}`, () => {
      const end = f.udpAt + f.udp.udp_len;
      const before = Uint8Array.from(f.bytes);
      expect(udpChecksum(f.bytes, f.ipAt, f.udpAt, end)).toBe(num(f.udp.calculated!));
      expect(f.bytes).toEqual(before); // the checksum field is restored
      expect(l4ChecksumValid(f.bytes, f.ipAt, 17, f.udpAt, end)).toBe(f.udp.udp_checksum_status === 'Good');
    });
  }
  it('zeek-geneve-ipv6 inner IPv6/UDP: odd length 13, checksum 0x897b verifies', () => {
    const f = FRAME_ZEEK_GENEVE_IPV6_F1;
    expect(parseUdp(f.bytes, f.innerUdpAt)).toEqual({ ok: true, value: expectedUdp(f.innerUdp) });
    expect(l4ChecksumValid(f.bytes, f.innerIpAt, 17, f.innerUdpAt, f.innerUdpAt + 13)).toBe(true);
    expect(udpChecksum(f.bytes, f.innerIpAt, f.innerUdpAt, f.innerUdpAt + 13)).toBe(0x897b);
  });
  it('kernel-vxlan-ipv4 frame 1 carries the CHECKSUM_PARTIAL seed: the folded, non-complemented pseudo-header sum', () => {
    const f = FRAME_KERNEL_VXLAN_IPV4_F1;
    expect(pseudoHeaderSum(f.bytes, f.ipAt, 17, f.udp.udp_len)).toBe(num(f.udp.udp_checksum));
    expect(ipv4PseudoSum(f.bytes, f.ipAt + 12, f.ipAt + 16, 17, f.udp.udp_len)).toBe(0x8493);
    const v = Ipv4View.unchecked(f.bytes, f.ipAt);
    expect([v.checksumValid, v.checksum]).toEqual([true, 0x8b66]); // tshark: 0x8b66 [correct]
  });
  it('kernel-vxlan-ipv4 frame 1 inner MLDv2: the ICMPv6 checksum uses Next Header 58 from behind the Hop-by-Hop header', () => {
    const f = FRAME_KERNEL_VXLAN_IPV4_F1;
    expect(f.bytes.subarray(f.innerIpAt)).toEqual(IPV6_KERNEL_MLD_HBH.bytes);
    const w = new Ipv6ExtWalker();
    expect(w.walk(f.bytes, f.innerIpAt, f.bytes.length)).toBe(0);
    expect([w.protocol, w.upperOffset - f.innerIpAt]).toEqual([58, 48]);
    expect(l4ChecksumValid(f.bytes, f.innerIpAt, w.protocol, w.upperOffset, f.bytes.length)).toBe(true); // tshark: 0x6cc4 [correct]
    expect(l4ChecksumValid(f.bytes, f.innerIpAt, 0, w.upperOffset, f.bytes.length)).toBe(false);
  });
  it('synthetic IPv4 with 40 option bytes: options stay out of the pseudo-header (tshark 0x4055 [correct])', () => {
    const v = Ipv4View.unchecked(IPV4_RR_PACKET);
    const at = v.payloadOffset;
    expect(at).toBe(60);
    expect(parseUdp(IPV4_RR_PACKET, at)).toEqual({ ok: true, value: { srcPort: 5000, dstPort: 5001, length: 18, checksum: 0x4055 } });
    expect(l4ChecksumValid(IPV4_RR_PACKET, 0, 17, at, v.payloadEnd())).toBe(true);
    expect(udpChecksum(IPV4_RR_PACKET, 0, at, v.payloadEnd())).toBe(0x4055);
  });
  it('synthetic IPv6 extension chain: the walker finds UDP at 120 and its checksum verifies (tshark 0x38e6 [correct])', () => {
    const b = IPV6_EXT_CHAIN.bytes;
    const w = new Ipv6ExtWalker();
    expect(w.walk(b, 0, b.length)).toBe(0);
    expect([w.protocol, w.upperOffset]).toEqual([17, 120]);
    expect(parseUdp(b, w.upperOffset)).toEqual({ ok: true, value: expectedUdp(IPV6_EXT_CHAIN_UDP) });
    expect(l4ChecksumValid(b, 0, 17, 120, b.length)).toBe(true);
    expect(udpChecksum(b, 0, 120, b.length)).toBe(0x38e6);
  });
  it('kernel-vxlan-ipv4 frames 32+33 reassembled: the 1530-byte datagram verifies against its checksum 0x4e76', () => {
    const file = readFileSync(new URL(`../fixtures/captures/${KERNEL_FRAGMENTED_UDP.capture}`, import.meta.url));
    const cap = new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
    expect(new DataView(cap.buffer, cap.byteOffset).getUint32(0, true)).toBe(0xa1b2c3d4);
    const records: Uint8Array[] = [];
    for (let at = 24; at + 16 <= cap.length; ) {
      const len = new DataView(cap.buffer, cap.byteOffset + at + 8).getUint32(0, true);
      records.push(cap.subarray(at + 16, at + 16 + len));
      at += 16 + len;
    }
    const [first, last] = KERNEL_FRAGMENTED_UDP.frames.map((n) => records[n - 1]!);
    const f = Ipv4View.unchecked(first!, 14);
    const l = Ipv4View.unchecked(last!, 14);
    expect([f.moreFragments, f.fragmentOffset, l.moreFragments, l.fragmentOffset, f.identification]).toEqual([true, 0, false, 1480, l.identification]);
    const datagram = Uint8Array.from([...first!.subarray(14, 14 + 20), ...first!.subarray(f.payloadOffset, f.payloadEnd()), ...last!.subarray(l.payloadOffset, l.payloadEnd())]);
    expect(datagram.length).toBe(20 + KERNEL_FRAGMENTED_UDP.udp.udp_len);
    expect(parseUdp(datagram, 20)).toEqual({ ok: true, value: expectedUdp(KERNEL_FRAGMENTED_UDP.udp) });
    expect(l4ChecksumValid(datagram, 0, 17, 20, datagram.length)).toBe(true);
    expect(udpChecksum(datagram, 0, 20, datagram.length)).toBe(0x4e76);
  });
  it('a computed checksum of 0 is sent as 0xffff, which still verifies (RFC 768)', () => {
    const b = Uint8Array.from(FRAME_OVS_GENEVE_IPV6_F1.bytes);
    const { ipAt, udpAt } = FRAME_OVS_GENEVE_IPV6_F1;
    const end = udpAt + 58;
    const last = end - 2; // the last 2 payload bytes (ARP target address), even-aligned from the UDP start
    put16(b, last, 0);
    put16(b, udpAt + 6, 0);
    const s = fold(onesSum(b, udpAt, end) + pseudoHeaderSum(b, ipAt, 17, 58));
    put16(b, last, 0xffff - s);
    expect(udpChecksum(b, ipAt, udpAt, end)).toBe(0xffff);
    put16(b, udpAt + 6, 0xffff);
    expect(l4ChecksumValid(b, ipAt, 17, udpAt, end)).toBe(true);
  });
});

describe('UDP truncation sweep and length checks', () => {
  it('every prefix of the header at a nonzero offset is truncated with the absolute offset', () => {
    const off = 13;
    const sources = [UDP_TCPDUMP_VXLAN_F1.bytes, FRAME_OVS_GENEVE_IPV6_F1.bytes.subarray(54, 62), FRAME_ZEEK_GENEVE_IPV6_F1.bytes.subarray(90, 98)];
    for (const h of sources) {
      for (let k = 0; k < UDP_HEADER_LEN; k++) {
        const exact = a5(off + k);
        exact.set(h.subarray(0, k), off);
        const e = { kind: 'truncated', layer: 'udp', at: off, field: 'header', found: k, allowed: '>= 8 bytes' };
        expect(parseUdp(exact, off)).toEqual({ ok: false, error: e });
        const big = a5(off + 20);
        big.set(h, off);
        expect(parseUdp(big, off, off + k)).toEqual({ ok: false, error: e });
        expect(UdpView.check(exact, off)).toEqual({ ok: false, error: e });
        expect(UdpView.empty().wrap(exact, off)).toBe(1);
      }
    }
  });
  it('Length 1..7 is bad-length at the Length field; 0 (BIG TCP / GSO) and ≥ 8 are accepted', () => {
    const b = a5(20);
    b.set(UDP_TCPDUMP_VXLAN_F1.bytes, 4);
    for (let len = 0; len < 12; len++) {
      put16(b, 8, len);
      const r = parseUdp(b, 4);
      if (len >= 1 && len <= 7) {
        expect(r).toEqual({ ok: false, error: { kind: 'bad-length', layer: 'udp', at: 8, field: 'length', found: len, allowed: '0 or >= 8' } });
        expect(UdpView.empty().wrap(b, 4)).toBe(2);
      } else expect(r.ok).toBe(true);
    }
  });
  it('payloadEnd clips Length to the captured bytes; Length 0 means "to the end"', () => {
    const b = a5(40);
    b.set(UDP_TCPDUMP_VXLAN_F1.bytes, 4);
    const v = UdpView.unchecked(b, 4);
    expect(v.payloadEnd()).toBe(40); // 114 > captured
    v.length = 20;
    expect([v.payloadEnd(), v.payloadEnd(10)]).toEqual([24, 10]);
    v.length = 0;
    expect([v.payloadEnd(), v.payloadEnd(30)]).toEqual([40, 30]);
  });
});

// ---------------------------------------------------------------- properties

const u16Arb = fc.integer({ min: 0, max: 0xffff });
const udpArb: fc.Arbitrary<UdpFields> = fc.record({ srcPort: u16Arb, dstPort: u16Arb, length: u16Arb, checksum: u16Arb });

/** An IPv4 (20-byte) or IPv6 (40-byte) header with random addresses, then a UDP datagram of 8..300 bytes. */
const ipUdpArb = fc
  .tuple(fc.boolean(), fc.uint8Array({ minLength: 40, maxLength: 40 }), fc.uint8Array({ minLength: 8, maxLength: 300 }), fc.nat(12))
  .map(([v6, hdr, udp, off]) => {
    const ipLen = v6 ? 40 : 20;
    const b = new Uint8Array(off + ipLen + udp.length + 3).fill(0x5a);
    b.set(hdr.subarray(0, ipLen), off);
    b[off] = v6 ? 0x60 | (hdr[0]! & 0x0f) : 0x45;
    b.set(udp, off + ipLen);
    put16(b, off + ipLen + 4, udp.length);
    return { b, v6, ipAt: off, udpAt: off + ipLen, end: off + ipLen + udp.length };
  });

/** Naive checksum: build the pseudo-header bytes and run the RFC 1071 reference over them + the datagram. */
function naiveUdpChecksum(b: Uint8Array, v6: boolean, ipAt: number, udpAt: number, end: number): number {
  const seg = Array.from(b.subarray(udpAt, end));
  seg[6] = seg[7] = 0;
  const ph = v6
    ? ipv6PseudoHeader(b.subarray(ipAt + 8, ipAt + 24), b.subarray(ipAt + 24, ipAt + 40), 17, end - udpAt)
    : ipv4PseudoHeader(b.subarray(ipAt + 12, ipAt + 16), b.subarray(ipAt + 16, ipAt + 20), 17, end - udpAt);
  const c = rfc1071Checksum([...ph, ...seg]);
  return c === 0 ? 0xffff : c;
}

describe('UDP properties', () => {
  test.prop([udpArb, fc.nat(16)])('emit then parse round-trips every port, length and checksum (Length 1..7 is bad-length)', (f, off) => {
    const out = a5(off + 10);
    expect(emitUdp(f, out, off)).toBe(8);
    const r = parseUdp(out, off);
    if (f.length >= 1 && f.length <= 7) expect(r.ok ? null : [r.error.kind, r.error.at]).toEqual(['bad-length', off + 4]);
    else expect(r).toEqual({ ok: true, value: f });
    expect([out[off + 8], out[off + 9]]).toEqual([0xa5, 0xa5]);
  });
  test.prop([fc.uint8Array({ minLength: 8, maxLength: 8 }), udpArb])('setters cover the whole domain and touch only their own bytes', (raw, f) => {
    const b = Uint8Array.from(raw);
    const v = UdpView.unchecked(b);
    v.srcPort = f.srcPort;
    expect([u16(b, 2), u16(b, 4), u16(b, 6)]).toEqual([u16(raw, 2), u16(raw, 4), u16(raw, 6)]);
    v.dstPort = f.dstPort;
    v.length = f.length;
    v.checksum = f.checksum;
    expect([v.srcPort, v.dstPort, v.length, v.checksum]).toEqual([f.srcPort, f.dstPort, f.length, f.checksum]);
  });
  test.prop([fc.uint8Array({ maxLength: 40 }), fc.nat(48), fc.nat(48)])('parse never throws on arbitrary bytes, and ok results lie inside the input', (b, off, endRaw) => {
    for (const end of [b.length, Math.min(endRaw, b.length)]) {
      const r = parseUdp(b, off, end);
      if (r.ok) {
        expect(off + UDP_HEADER_LEN).toBeLessThanOrEqual(end);
        const v = UdpView.unchecked(b, off);
        expect(v.payloadEnd(end)).toBeLessThanOrEqual(end);
        expect(v.payloadEnd(end)).toBeGreaterThanOrEqual(off + (r.value.length === 0 ? UDP_HEADER_LEN : Math.min(r.value.length, end - off)));
      }
    }
  });
  test.prop([fc.uint8Array({ maxLength: 16 }), fc.uint8Array({ maxLength: 16 }), fc.uint8Array({ maxLength: 16 })])('offset invariance: the same header inside a bigger buffer decodes identically', (b, pre, post) => {
    const big = Uint8Array.from([...pre, ...b, ...post]);
    const here = parseUdp(b);
    const there = parseUdp(big, pre.length, pre.length + b.length);
    if (here.ok) expect(there).toEqual(here);
    else expect(there).toEqual({ ok: false, error: { ...here.error, at: here.error.at + pre.length } });
  });
  test.prop([fc.uint8Array({ minLength: 8, maxLength: 8 })])('agrees with the binary-parser and buffer-layout twins on random bytes', (b) => {
    const v = UdpView.unchecked(b);
    const bp = udpBp.parse(asBuffer(b)) as UdpFields;
    const bl = udpBl.decode(asBuffer(b));
    expect({ srcPort: v.srcPort, dstPort: v.dstPort, length: v.length, checksum: v.checksum }).toEqual({ ...bp });
    expect({ ...bl }).toEqual({ ...bp });
  });
  test.prop([ipUdpArb])('udpChecksum agrees with a naive pseudo-header + RFC 1071 reference over IPv4 and IPv6 (odd lengths too)', ({ b, v6, ipAt, udpAt, end }) => {
    expect(udpChecksum(b, ipAt, udpAt, end)).toBe(naiveUdpChecksum(b, v6, ipAt, udpAt, end));
  });
  test.prop([ipUdpArb, fc.nat()])('a stored checksum verifies, and any single flipped bit in the datagram or addresses is caught', ({ b, ipAt, udpAt, end, v6 }, r) => {
    put16(b, udpAt + 6, udpChecksum(b, ipAt, udpAt, end));
    expect(l4ChecksumValid(b, ipAt, 17, udpAt, end)).toBe(true);
    const addrStart = ipAt + (v6 ? 8 : 12);
    const covered = [...Array.from({ length: end - udpAt }, (_, i) => udpAt + i), ...Array.from({ length: v6 ? 32 : 8 }, (_, i) => addrStart + i)];
    const at = covered[r % covered.length]!;
    const bit = (r >>> 8) & 7;
    b[at]! ^= 1 << bit;
    expect(l4ChecksumValid(b, ipAt, 17, udpAt, end)).toBe(false);
  });
  test.prop([fc.boolean(), fc.uint8Array({ minLength: 40, maxLength: 40 }), fc.integer({ min: 0, max: 255 }), fc.nat({ max: 0xffffffff })])(
    'pseudoHeaderSum equals the naive RFC 768 / RFC 8200 §8.1 pseudo-header sum (IPv6 lengths up to 2^32 - 1)',
    (v6, hdr, proto, lenRaw) => {
      const b = Uint8Array.from(hdr);
      b[0] = v6 ? 0x60 : 0x45;
      const len = v6 ? lenRaw : lenRaw & 0xffff;
      const ph = v6 ? ipv6PseudoHeader(b.subarray(8, 24), b.subarray(24, 40), proto, len) : ipv4PseudoHeader(b.subarray(12, 16), b.subarray(16, 20), proto, len);
      expect(pseudoHeaderSum(b, 0, proto, len)).toBe(rfc1071Sum(ph));
      expect(v6 ? ipv6PseudoSum(b, 8, 24, proto, len) : ipv4PseudoSum(b, 12, 16, proto, len)).toBe(rfc1071Sum(ph));
    },
  );
});

describe('IPv6 pseudo-header with a Routing header uses the final destination (RFC 8200 §8.1)', () => {
  // IPv6 + SRH (Segments Left 1, Segment List[0] = 2001:db8:2::9) + UDP; tshark 4.0.17 reports the
  // UDP checksum 0x9064 correct.
  const p = fromHex(
    '6000000000232b4020010db8000100000000000000000001' +
      '20010db8000100000000000000000002' +
      '110204010000000020010db8000200000000000000000009' +
      '9c409c41000b9064737268',
  );
  it('the walker finds the final destination, and the checksum verifies and recomputes with it', () => {
    const w = new Ipv6ExtWalker();
    expect(w.walk(p, 0, p.length)).toBe(0);
    expect(w.protocol).toBe(17);
    expect(w.upperOffset).toBe(64);
    expect(w.finalDstAt).toBe(48);
    expect(l4ChecksumValid(p, 0, 17, 64, 75, w.finalDstAt)).toBe(true);
    expect(udpChecksum(p, 0, 64, 75, w.finalDstAt)).toBe(0x9064);
    expect(l4ChecksumValid(p, 0, 17, 64, 75)).toBe(false); // the fixed header's destination is the next segment, not the final one
  });
});
