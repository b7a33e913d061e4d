import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { formatIpv4 } from '../../src/net/bytes.js';
import { internetChecksum, onesSum } from '../../src/net/checksum.js';
import { IPV4_MIN_HEADER_LEN, IpProto, Ipv4View, emitIpv4, ipv4Length, parseIpv4, type Ipv4Fields } from '../../src/net/ipv4.js';
import { IPV4_FIXTURES, IPV4_KERNEL_FRAG_F32, IPV4_KERNEL_FRAG_F33, IPV4_RA_PACKET, IPV4_ROUTER_ALERT, type TsharkIpv4 } from '../fixtures/net.js';
import { asBuffer } from '../oracles/buf.js';
import { ipv4Bl, ipv4Bp, ipv4Text, rfc1071Checksum, type Ipv4Bp } from '../oracles/net.js';

const a5 = (n: number) => new Uint8Array(n).fill(0xa5);
const num = (h: string) => parseInt(h, 16);

/** The fields tshark's decode describes; options are the only bytes it does not spell out as numbers. */
function expectedIpv4(t: TsharkIpv4, bytes: Uint8Array): Ipv4Fields {
  return {
    dscp: num(t.tos_hex) >> 2,
    ecn: num(t.tos_hex) & 3,
    totalLength: t.len,
    identification: num(t.ip_id),
    dontFragment: t.df === 1,
    moreFragments: t.mf === 1,
    fragmentOffset: t.offset_8byte_units * 8,
    ttl: t.ttl,
    protocol: t.ip_proto,
    src: t.src,
    dst: t.dst,
    options: bytes.subarray(IPV4_MIN_HEADER_LEN, t.hdr_len),
  };
}

describe('IPv4 fixtures (deconstruct / construct / parse / emit)', () => {
  for (const fx of IPV4_FIXTURES) {
    const t = fx.tshark;
    describe(fx.name, () => {
      it('deconstructs through the view getters (tshark ip.*)', () => {
        expect(fx.bytes.length).toBe(t.hdr_len);
        const r = Ipv4View.check(fx.bytes);
        expect(r.ok).toBe(true);
        const v = Ipv4View.unchecked(fx.bytes);
        expect({
          version: v.version,
          headerLength: v.headerLength,
          ihl: v.ihl,
          tos: v.tos,
          dscp: v.dscp,
          ecn: v.ecn,
          totalLength: v.totalLength,
          identification: v.identification,
          flags: v.flags,
          dontFragment: v.dontFragment,
          moreFragments: v.moreFragments,
          fragmentOffset: v.fragmentOffset,
          isFragment: v.isFragment,
          ttl: v.ttl,
          protocol: v.protocol,
          checksum: v.checksum,
          src: v.src,
          dst: v.dst,
          srcAt: v.srcAt,
          dstAt: v.dstAt,
          payloadOffset: v.payloadOffset,
        }).toEqual({
          version: 4,
          headerLength: t.hdr_len,
          ihl: t.hdr_len / 4,
          tos: num(t.tos_hex),
          dscp: num(t.tos_hex) >> 2,
          ecn: num(t.tos_hex) & 3,
          totalLength: t.len,
          identification: num(t.ip_id),
          flags: (t.df << 1) | t.mf,
          dontFragment: t.df === 1,
          moreFragments: t.mf === 1,
          fragmentOffset: t.offset_8byte_units * 8,
          isFragment: t.mf === 1 || t.offset_8byte_units !== 0,
          ttl: t.ttl,
          protocol: t.ip_proto,
          checksum: num(t.checksum_hex),
          src: t.src,
          dst: t.dst,
          srcAt: 12,
          dstAt: 16,
          payloadOffset: t.hdr_len,
        });
      });
      it(`the real header checksum verifies (tshark: ${t.checksum_hex} ${t.checksum_status})`, () => {
        const v = Ipv4View.unchecked(fx.bytes);
        expect(v.checksumValid).toBe(true);
        const zeroed = Uint8Array.from(fx.bytes);
        zeroed[10] = zeroed[11] = 0;
        expect(internetChecksum(zeroed)).toBe(num(t.checksum_hex));
        expect(rfc1071Checksum(zeroed)).toBe(num(t.checksum_hex));
      });
      it('constructs from the tshark description into 0xa5 (emit computes the real checksum)', () => {
        const out = a5(fx.bytes.length);
        expect(emitIpv4(expectedIpv4(t, fx.bytes), out)).toBe(fx.bytes.length);
        expect(out).toEqual(fx.bytes);
      });
      it('constructs through the setters and fillChecksum over a scrambled copy', () => {
        const b = Uint8Array.from(fx.bytes);
        for (const i of [1, 2, 3, 4, 5, 8, 10, 11]) b[i] = 0xa5;
        const v = Ipv4View.unchecked(b);
        v.tos = num(t.tos_hex);
        v.totalLength = t.len;
        v.identification = num(t.ip_id);
        v.ttl = t.ttl;
        v.fillChecksum();
        expect(b).toEqual(fx.bytes);
      });
      it('parses to the tshark fields (options alias the input)', () => {
        const r = parseIpv4(fx.bytes);
        expect(r).toEqual({ ok: true, value: expectedIpv4(t, fx.bytes) });
        if (r.ok) expect(r.value.options.buffer).toBe(fx.bytes.buffer);
      });
      it('re-emits the parsed fields byte for byte at an offset', () => {
        const r = parseIpv4(fx.bytes);
        const out = a5(fx.bytes.length + 6);
        if (r.ok) expect(emitIpv4(r.value, out, 3)).toBe(ipv4Length(r.value));
        expect(out.subarray(3, 3 + fx.bytes.length)).toEqual(fx.bytes);
        expect(Array.from(out.subarray(0, 3)).concat(Array.from(out.subarray(3 + fx.bytes.length)))).toEqual(new Array(6).fill(0xa5));
      });
      it('any single flipped bit breaks the header checksum', () => {
        for (let bit = 0; bit < fx.bytes.length * 8; bit++) {
          const b = Uint8Array.from(fx.bytes);
          b[bit >> 3]! ^= 0x80 >> (bit & 7);
          if (bit >> 3 === 0) continue; // version/IHL: header length changes, different question
          expect(Ipv4View.unchecked(b).checksumValid, `bit ${bit}`).toBe(false);
        }
      });
    });
  }
  it('fragments: the first has MF and offset 0, the last offset 1480 (kernel-vxlan-ipv4 frames 32/33)', () => {
    const f = Ipv4View.unchecked(IPV4_KERNEL_FRAG_F32.bytes);
    const l = Ipv4View.unchecked(IPV4_KERNEL_FRAG_F33.bytes);
    expect([f.isFragment, f.moreFragments, f.fragmentOffset, f.identification]).toEqual([true, true, 0, 0x6c3d]);
    expect([l.isFragment, l.moreFragments, l.fragmentOffset, l.identification]).toEqual([true, false, 1480, 0x6c3d]);
    // The first fragment carries 1480 payload bytes: exactly where the last one starts.
    expect(f.totalLength - f.headerLength).toBe(l.fragmentOffset);
  });
  it('Router Alert: options are the 4 bytes 94 04 00 00 and the payload starts at 24', () => {
    const r = parseIpv4(IPV4_RA_PACKET);
    expect(r.ok && Array.from(r.value.options)).toEqual([0x94, 0x04, 0, 0]);
    const v = Ipv4View.unchecked(IPV4_RA_PACKET);
    expect([v.payloadOffset, v.payloadEnd(), v.protocol]).toEqual([24, 40, 2]);
    expect(onesSum(IPV4_RA_PACKET, 24, 40)).toBe(0xffff); // tshark: IGMP checksum 0xe8f9 [correct]
    expect(IPV4_ROUTER_ALERT.bytes).toEqual(IPV4_RA_PACKET.subarray(0, 24));
  });
  it('payloadEnd clips Total Length to the captured bytes, and 0 (BIG TCP) means "to the end"', () => {
    const b = a5(100);
    b.set(IPV4_KERNEL_FRAG_F33.bytes, 10); // total length 70
    const v = Ipv4View.unchecked(b, 10);
    expect([v.payloadEnd(), v.payloadEnd(50)]).toEqual([80, 50]);
    v.totalLength = 0;
    expect(Ipv4View.check(b, 10).ok).toBe(true);
    expect([v.payloadEnd(), v.payloadEnd(60)]).toEqual([100, 60]);
    v.totalLength = 5000;
    expect(v.payloadEnd()).toBe(100);
  });
  it('checks in order: length, version, IHL, options present, Total Length', () => {
    const at = 4;
    const put = (bytes: ArrayLike<number>, len = 40) => {
      const b = a5(at + len);
      b.set(bytes, at);
      return b;
    };
    const base = IPV4_FIXTURES[0]!.bytes;
    const v6 = Uint8Array.from(base);
    v6[0] = 0x65;
    expect(parseIpv4(put(v6), at)).toEqual({ ok: false, error: { kind: 'bad-version', layer: 'ipv4', at, field: 'version', found: 6, allowed: '4' } });
    const ihl4 = Uint8Array.from(base);
    ihl4[0] = 0x44;
    expect(parseIpv4(put(ihl4), at)).toEqual({ ok: false, error: { kind: 'bad-length', layer: 'ipv4', at, field: 'ihl', found: 4, allowed: '5..15 words' } });
    const ihl15 = Uint8Array.from(base);
    ihl15[0] = 0x4f;
    expect(parseIpv4(put(ihl15, 59), at)).toEqual({ ok: false, error: { kind: 'truncated', layer: 'ipv4', at, field: 'options', found: 59, allowed: '>= 60 bytes' } });
    const short = Uint8Array.from(base);
    short[2] = 0;
    short[3] = 19;
    expect(parseIpv4(put(short), at)).toEqual({ ok: false, error: { kind: 'bad-length', layer: 'ipv4', at: at + 2, field: 'totalLength', found: 19, allowed: '0 or >= 20' } });
    short[3] = 20;
    expect(parseIpv4(put(short), at).ok).toBe(true);
    // version is checked before IHL
    const both = Uint8Array.from(base);
    both[0] = 0x00;
    const r0 = parseIpv4(put(both), at);
    expect(r0.ok ? null : r0.error.kind).toBe('bad-version');
  });
  it('wrap returns 0..5 in the documented order and re-points the view', () => {
    const v = Ipv4View.empty();
    const b = a5(64);
    b.set(IPV4_FIXTURES[0]!.bytes, 8);
    expect(v.wrap(b, 8)).toBe(0);
    expect(v.dst).toBe(IPV4_FIXTURES[0]!.tshark.dst);
    expect(v.wrap(b, 8, 27)).toBe(1);
    b[8] = 0x55;
    expect(v.wrap(b, 8)).toBe(2);
    b[8] = 0x43;
    expect(v.wrap(b, 8)).toBe(3);
    b[8] = 0x4f;
    expect(v.wrap(b, 8, 67)).toBe(4);
    b[8] = 0x45;
    b[10] = 0;
    b[11] = 10;
    expect(v.wrap(b, 8)).toBe(5);
  });
  it('emit rejects out-of-range fields and short buffers with RangeError', () => {
    const f = expectedIpv4(IPV4_FIXTURES[0]!.tshark, IPV4_FIXTURES[0]!.bytes);
    const bad: Partial<Record<keyof Ipv4Fields, unknown>>[] = [
      { dscp: 64 },
      { ecn: 4 },
      { totalLength: 0x10000 },
      { identification: -1 },
      { ttl: 256 },
      { protocol: 256 },
      { fragmentOffset: 4 },
      { fragmentOffset: 8192 * 8 },
      { src: '1.2.3' },
      { dst: '1.2.3.256' },
      { options: new Uint8Array(3) },
      { options: new Uint8Array(44) },
    ];
    for (const p of bad) expect(() => emitIpv4({ ...f, ...p } as Ipv4Fields, a5(64)), JSON.stringify(p)).toThrow(RangeError);
    expect(() => emitIpv4(f, a5(19))).toThrow(RangeError);
    expect(() => emitIpv4({ ...f, options: new Uint8Array(40) }, a5(59))).toThrow(RangeError);
    const v = Ipv4View.unchecked(a5(20));
    expect(() => (v.ttl = 256)).toThrow(RangeError);
    expect(() => (v.tos = -1)).toThrow(RangeError);
    expect(() => (v.totalLength = 65536)).toThrow(RangeError);
    expect(() => (v.identification = 1.5)).toThrow(RangeError);
  });
  it('emit writes the reserved flag as 0 and the largest fragment offset', () => {
    const f = { ...expectedIpv4(IPV4_FIXTURES[0]!.tshark, IPV4_FIXTURES[0]!.bytes), dontFragment: false, moreFragments: true, fragmentOffset: 8191 * 8 };
    const out = a5(20);
    emitIpv4(f, out);
    expect([out[6], out[7]]).toEqual([0x3f, 0xff]);
    expect(Ipv4View.unchecked(out).flags).toBe(1);
  });
  it('IpProto numbers match the IANA registry', () => {
    expect(IpProto).toEqual({ ICMP: 1, IPIP: 4, TCP: 6, UDP: 17, IPV6: 41, GRE: 47, ESP: 50, AH: 51, ICMPV6: 58 });
  });
});

describe('IPv4 truncation sweep', () => {
  it('every prefix of every fixture, at a nonzero offset, is truncated with the absolute offset', () => {
    const off = 11;
    for (const fx of IPV4_FIXTURES) {
      for (let k = 0; k < fx.bytes.length; k++) {
        const exact = a5(off + k);
        exact.set(fx.bytes.subarray(0, k), off);
        const bounded = a5(off + fx.bytes.length + 7);
        bounded.set(fx.bytes, off);
        const e =
          k < IPV4_MIN_HEADER_LEN
            ? { kind: 'truncated', layer: 'ipv4', at: off, field: 'header', found: k, allowed: '>= 20 bytes' }
            : { kind: 'truncated', layer: 'ipv4', at: off, field: 'options', found: k, allowed: `>= ${fx.bytes.length} bytes` };
        expect(parseIpv4(exact, off), `${fx.name} k=${k}`).toEqual({ ok: false, error: e });
        expect(parseIpv4(bounded, off, off + k), `${fx.name} k=${k} (end)`).toEqual({ ok: false, error: e });
        expect(Ipv4View.check(exact, off)).toEqual({ ok: false, error: e });
      }
    }
  });
});

// ---------------------------------------------------------------- properties

const addr = fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => formatIpv4(b, 0));
const optionsArb = fc.integer({ min: 0, max: 10 }).chain((w) => fc.uint8Array({ minLength: 4 * w, maxLength: 4 * w }));
const ipv4Arb: fc.Arbitrary<Ipv4Fields> = optionsArb.chain((options) =>
  fc.record({
    dscp: fc.integer({ min: 0, max: 63 }),
    ecn: fc.integer({ min: 0, max: 3 }),
    totalLength: fc.oneof(fc.constant(0), fc.integer({ min: 20 + options.length, max: 0xffff })),
    identification: fc.integer({ min: 0, max: 0xffff }),
    dontFragment: fc.boolean(),
    moreFragments: fc.boolean(),
    fragmentOffset: fc.integer({ min: 0, max: 0x1fff }).map((u) => u * 8),
    ttl: fc.integer({ min: 0, max: 255 }),
    protocol: fc.integer({ min: 0, max: 255 }),
    src: addr,
    dst: addr,
    options: fc.constant(options),
  }),
);

/** Random bytes shaped like an IPv4 header: version 4, any IHL 5..15, a consistent Total Length. */
const headerish = fc.tuple(fc.uint8Array({ minLength: 60, maxLength: 80 }), fc.integer({ min: 5, max: 15 })).map(([raw, ihl]) => {
  const b = Uint8Array.from(raw);
  b[0] = 0x40 | ihl;
  if (((b[2]! << 8) | b[3]!) < ihl * 4) b[2] = 0x01;
  return b;
});

describe('IPv4 properties', () => {
  test.prop([ipv4Arb, fc.nat(24)])('emit then parse round-trips every DSCP/ECN/flag/TTL/id/fragment offset and 0..40 option bytes', (f, off) => {
    const out = a5(off + ipv4Length(f) + 2);
    expect(emitIpv4(f, out, off)).toBe(20 + f.options.length);
    expect(parseIpv4(out, off)).toEqual({ ok: true, value: f });
    const v = Ipv4View.unchecked(out, off);
    expect([v.checksumValid, v.flags & 4, v.ihl]).toEqual([true, 0, 5 + f.options.length / 4]);
    expect(Array.from(out.subarray(off + ipv4Length(f)))).toEqual([0xa5, 0xa5]);
  });
  test.prop([headerish, fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 255 })])(
    'setters cover the whole domain and touch only their bytes',
    (raw, tos, tl, id, ttl) => {
      const b = Uint8Array.from(raw);
      const v = Ipv4View.unchecked(b);
      v.tos = tos;
      v.totalLength = tl;
      v.identification = id;
      v.ttl = ttl;
      expect([v.tos, v.dscp, v.ecn, v.totalLength, v.identification, v.ttl]).toEqual([tos, tos >> 2, tos & 3, tl, id, ttl]);
      const untouched = [0, 6, 7, ...Array.from({ length: raw.length - 9 }, (_, i) => i + 9)];
      for (const i of untouched) expect(b[i]).toBe(raw[i]);
      v.fillChecksum();
      expect(v.checksumValid).toBe(true);
    },
  );
  test.prop([fc.uint8Array({ maxLength: 80 }), fc.nat(90), fc.nat(90)])('parse never throws on arbitrary bytes, and ok results lie inside the input', (b, off, endRaw) => {
    for (const end of [b.length, Math.min(endRaw, b.length)]) {
      const r = parseIpv4(b, off, end);
      if (r.ok) {
        const v = Ipv4View.unchecked(b, off);
        expect(off + v.headerLength).toBeLessThanOrEqual(end);
        expect(r.value.options.byteOffset + r.value.options.length).toBeLessThanOrEqual(b.byteOffset + end);
        expect(v.payloadOffset).toBeLessThanOrEqual(v.payloadEnd(end));
      }
    }
  });
  test.prop([headerish, fc.uint8Array({ maxLength: 20 }), fc.uint8Array({ maxLength: 20 })])('offset invariance: the same header inside a bigger buffer decodes identically', (b, pre, post) => {
    const big = Uint8Array.from([...pre, ...b, ...post]);
    const here = parseIpv4(b);
    const there = parseIpv4(big, pre.length);
    if (here.ok) expect(there).toEqual(here);
    else expect(there).toEqual({ ok: false, error: { ...here.error, at: here.error.at + pre.length } });
    expect(Ipv4View.unchecked(big, pre.length).checksumValid).toBe(Ipv4View.unchecked(b).checksumValid);
  });
  test.prop([headerish])('agrees with the binary-parser and buffer-layout twins on random valid bytes', (b) => {
    const v = Ipv4View.unchecked(b);
    expect(Ipv4View.check(b).ok).toBe(true);
    const bp = ipv4Bp.parse(asBuffer(b)) as Ipv4Bp;
    const bl = ipv4Bl.decode(asBuffer(b));
    const got = [v.version, v.ihl, v.dscp, v.ecn, v.totalLength, v.identification, v.flags, v.dontFragment, v.moreFragments, v.fragmentOffset, v.ttl, v.protocol, v.checksum, v.src, v.dst];
    expect(got).toEqual([
      bp.version, bp.ihl, bp.dscp, bp.ecn, bp.totalLength, bp.identification, (bp.reserved << 2) | (bp.df << 1) | bp.mf, bp.df === 1, bp.mf === 1,
      bp.fragmentOffset * 8, bp.ttl, bp.protocol, bp.checksum, ipv4Text(bp.src), ipv4Text(bp.dst),
    ]);
    expect(got).toEqual([
      bl.vihl.version, bl.vihl.ihl, bl.tos.dscp, bl.tos.ecn, bl.totalLength, bl.identification,
      (Number(bl.ff.reserved) << 2) | (Number(bl.ff.df) << 1) | Number(bl.ff.mf), bl.ff.df, bl.ff.mf, bl.ff.fragmentOffset * 8,
      bl.ttl, bl.protocol, bl.checksum, ipv4Text(bl.src), ipv4Text(bl.dst),
    ]);
    const r = parseIpv4(b);
    expect(r.ok && Array.from(r.value.options)).toEqual(Array.from(bp.options));
    const zeroed = Uint8Array.from(b.subarray(0, v.headerLength));
    zeroed[10] = zeroed[11] = 0;
    const c = rfc1071Checksum(zeroed);
    expect(v.checksumValid).toBe(c === bp.checksum || (c === 0 && bp.checksum === 0xffff)); // ±0 in one's complement
  });
});
