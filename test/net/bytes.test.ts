import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  assertRoom,
  assertUint,
  formatIpv4,
  formatIpv6,
  formatMac,
  fromHex,
  ipFromText,
  ipv4FromText,
  ipv6FromText,
  macFromText,
  put16,
  put24,
  put32,
  put64,
  toHex,
  u16,
  u24,
  u32,
  u64,
} from '../../src/net/bytes.js';
import { fold, internetChecksum, onesSum } from '../../src/net/checksum.js';
import { RFC1071_EXAMPLE } from '../fixtures/net.js';
import { isIpv4Mapped, rfc1071Checksum, rfc1071Sum, whatwgIpv6Text } from '../oracles/net.js';

const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
const swap16 = (x: number) => ((x & 0xff) << 8) | (x >>> 8);

/** 16-byte addresses with many zero groups, so that runs of zeros and ties are common. */
const ipv6Bytes = fc
  .array(fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 1, max: 0xf })), { minLength: 8, maxLength: 8 })
  .map((groups) => {
    const b = new Uint8Array(16);
    groups.forEach((g, k) => dv(b).setUint16(2 * k, g));
    return b;
  });

describe('big-endian reads and writes', () => {
  test.prop([fc.uint8Array({ minLength: 8, maxLength: 40 }), fc.nat()])('u16/u24/u32/u64 agree with DataView', (b, r) => {
    const i = r % (b.length - 7);
    const d = dv(b);
    expect(u16(b, i)).toBe(d.getUint16(i));
    expect(u24(b, i)).toBe((d.getUint16(i) << 8) | d.getUint8(i + 2));
    expect(u32(b, i)).toBe(d.getUint32(i));
    expect(u64(b, i)).toBe(d.getBigUint64(i));
  });
  test.prop([fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffffff }), fc.nat({ max: 0xffffffff }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.nat(8)])(
    'put16/put24/put32/put64 write exactly their bytes and read back',
    (a, b, c, d, off) => {
      const buf = new Uint8Array(off + 20).fill(0xa5);
      put16(buf, off, a);
      put24(buf, off + 2, b);
      put32(buf, off + 5, c);
      put64(buf, off + 9, d);
      expect([u16(buf, off), u24(buf, off + 2), u32(buf, off + 5), u64(buf, off + 9)]).toEqual([a, b, c, d]);
      expect(dv(buf).getBigUint64(off + 9)).toBe(d);
      expect(Array.from(buf.subarray(0, off))).toEqual(new Array(off).fill(0xa5));
      expect(Array.from(buf.subarray(off + 17))).toEqual([0xa5, 0xa5, 0xa5]);
    },
  );
  it('put64 rejects values outside 0..2^64-1', () => {
    expect(() => put64(new Uint8Array(8), 0, -1n)).toThrow(RangeError);
    expect(() => put64(new Uint8Array(8), 0, 2n ** 64n)).toThrow(RangeError);
  });
});

describe('range assertions', () => {
  test.prop([fc.integer({ min: 1, max: 32 })])('assertUint accepts 0 and 2^bits-1 and rejects 2^bits, -1 and fractions', (bits) => {
    expect(() => assertUint(0, bits, 'v')).not.toThrow();
    expect(() => assertUint(2 ** bits - 1, bits, 'v')).not.toThrow();
    expect(() => assertUint(2 ** bits, bits, 'v')).toThrow(RangeError);
    expect(() => assertUint(-1, bits, 'v')).toThrow(RangeError);
    expect(() => assertUint(0.5, bits, 'v')).toThrow(RangeError);
  });
  it('assertUint rejects NaN and infinities and names the field', () => {
    for (const v of [NaN, Infinity, -Infinity]) expect(() => assertUint(v, 8, 'ttl')).toThrow(/ttl/);
  });
  it('assertRoom checks offset and length', () => {
    const b = new Uint8Array(10);
    expect(() => assertRoom(b, 2, 8, 'x')).not.toThrow();
    expect(() => assertRoom(b, 3, 8, 'x')).toThrow(RangeError);
    expect(() => assertRoom(b, -1, 1, 'x')).toThrow(RangeError);
    expect(() => assertRoom(b, 1.5, 1, 'x')).toThrow(RangeError);
  });
});

describe('hex and address text', () => {
  test.prop([fc.uint8Array({ maxLength: 64 })])('fromHex(toHex(b)) = b, lower case', (b) => {
    const h = toHex(b);
    expect(h).toMatch(/^[0-9a-f]*$/);
    expect(fromHex(h)).toEqual(b);
    expect(fromHex(h.toUpperCase())).toEqual(b);
    expect(h).toBe(Buffer.from(b).toString('hex'));
  });
  it('fromHex ignores spaces, colons and a 0x prefix and rejects odd or non-hex input', () => {
    expect(fromHex('0x0a:0b 0c')).toEqual(Uint8Array.of(10, 11, 12));
    expect(() => fromHex('abc')).toThrow(RangeError);
    expect(() => fromHex('zz')).toThrow(RangeError);
  });
  it('toHex honours start/end', () => {
    expect(toHex(Uint8Array.of(1, 2, 3, 4), 1, 3)).toBe('0203');
  });
  test.prop([fc.uint8Array({ minLength: 6, maxLength: 6 })])('formatMac / macFromText round trip', (b) => {
    const s = formatMac(b, 0);
    expect(s).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    expect(macFromText(s)).toEqual(b);
    expect(macFromText(s.replace(/:/g, '-').toUpperCase())).toEqual(b);
  });
  it('macFromText rejects malformed text', () => {
    for (const s of ['', '00:11:22:33:44', '00:11:22:33:44:55:66', '00:11:22:33:44:5g', '000:11:22:33:44:55']) expect(() => macFromText(s)).toThrow(RangeError);
  });
  test.prop([fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.nat(4)])('formatIpv4 / ipv4FromText round trip at any offset', (a, off) => {
    const b = new Uint8Array(off + 4);
    b.set(a, off);
    const s = formatIpv4(b, off);
    expect(s).toBe(Array.from(a).join('.'));
    expect(ipv4FromText(s)).toEqual(a);
    expect(ipFromText(s)).toEqual(a);
  });
  it('ipv4FromText rejects malformed text', () => {
    for (const s of ['', '1.2.3', '1.2.3.4.5', '256.0.0.1', '1.2.3.-4', '1.2.3.4 ', 'a.b.c.d']) expect(() => ipv4FromText(s)).toThrow(RangeError);
  });
});

describe('IPv6 text (RFC 5952)', () => {
  it('formats the RFC 5952 §4 examples', () => {
    const f = (s: string) => formatIpv6(ipv6FromText(s), 0);
    expect(f('2001:0db8:0000:0000:0000:0000:0000:0001')).toBe('2001:db8::1'); // §4.1, §4.2.1
    expect(f('2001:db8:0:1:1:1:1:1')).toBe('2001:db8:0:1:1:1:1:1'); // §4.2.2: one 0 group is not compressed
    expect(f('2001:0:0:1:0:0:0:1')).toBe('2001:0:0:1::1'); // §4.2.3: longest run
    expect(f('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1'); // §4.2.3: first of equal runs
    expect(f('2001:DB8::AAAA')).toBe('2001:db8::aaaa'); // §4.3
    expect(f('::')).toBe('::');
    expect(f('::1')).toBe('::1');
    expect(f('1::')).toBe('1::');
    expect(f('::ffff:192.0.2.1')).toBe('::ffff:192.0.2.1'); // §5
  });
  test.prop([ipv6Bytes, fc.nat(8)])('ipv6FromText(formatIpv6(x)) = x at any offset', (a, off) => {
    const b = new Uint8Array(off + 16).fill(0xa5);
    b.set(a, off);
    const s = formatIpv6(b, off);
    expect(ipv6FromText(s)).toEqual(a);
    expect(ipFromText(s)).toEqual(a);
  });
  test.prop([ipv6Bytes])('formatIpv6 equals the WHATWG URL serialisation (IPv4-mapped excluded)', (a) => {
    fc.pre(!isIpv4Mapped(a));
    expect(formatIpv6(a, 0)).toBe(whatwgIpv6Text(a));
  });
  test.prop([fc.uint8Array({ minLength: 16, maxLength: 16 })])('formatIpv6 equals the WHATWG URL serialisation on uniform bytes', (a) => {
    fc.pre(!isIpv4Mapped(a));
    expect(formatIpv6(a, 0)).toBe(whatwgIpv6Text(a));
  });
  test.prop([fc.uint8Array({ minLength: 4, maxLength: 4 })])('IPv4-mapped addresses keep the dotted tail and round-trip', (v4) => {
    const a = new Uint8Array(16);
    a[10] = a[11] = 0xff;
    a.set(v4, 12);
    expect(formatIpv6(a, 0)).toBe(`::ffff:${Array.from(v4).join('.')}`);
    expect(ipv6FromText(formatIpv6(a, 0))).toEqual(a);
  });
  test.prop([ipv6Bytes])('ipv6FromText reads the full uncompressed form and the URL-parsed form alike', (a) => {
    const full = Array.from({ length: 8 }, (_, k) => ((a[2 * k]! << 8) | a[2 * k + 1]!).toString(16).padStart(4, '0')).join(':');
    expect(ipv6FromText(full)).toEqual(a);
    expect(ipv6FromText(new URL(`http://[${full}]/`).hostname.slice(1, -1))).toEqual(a);
  });
  it('accepts an IPv4 tail in other positions', () => {
    expect(toHex(ipv6FromText('::192.0.2.1'))).toBe('000000000000000000000000c0000201');
    expect(toHex(ipv6FromText('1:2:3:4:5:6:1.2.3.4'))).toBe('00010002000300040005000601020304');
    expect(toHex(ipv6FromText('1::2:3:4:5:6:7'))).toBe('00010000000200030004000500060007');
  });
  it('rejects malformed text with RangeError', () => {
    for (const s of [
      '',
      ':',
      ':::',
      '1::2::3',
      '1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:8:9',
      '::1:2:3:4:5:6:7:8',
      '12345::',
      'g::',
      ':1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:1.2.3.4',
      '::1.2.3',
      '::1.2.3.256',
      '1.2.3.4::',
    ]) {
      expect(() => ipv6FromText(s), s).toThrow(RangeError);
    }
  });
});

describe('Internet checksum (RFC 1071)', () => {
  it('reproduces the RFC 1071 §3 numerical example', () => {
    expect(onesSum(RFC1071_EXAMPLE)).toBe(0xddf2);
    expect(internetChecksum(RFC1071_EXAMPLE)).toBe(0x220d);
    // Byte-order independence (§2(B)): the swapped data sums to the swapped result.
    const swapped = RFC1071_EXAMPLE.map((_, i, b) => b[i ^ 1]!);
    expect(onesSum(swapped)).toBe(swap16(0xddf2));
  });
  it('edge values: empty data, all-ones, carries', () => {
    expect(onesSum(new Uint8Array(0))).toBe(0);
    expect(internetChecksum(new Uint8Array(0))).toBe(0xffff);
    expect(onesSum(Uint8Array.of(0xff, 0xff))).toBe(0xffff);
    expect(onesSum(Uint8Array.of(0xff, 0xff, 0x00, 0x01))).toBe(0x0001);
    expect(onesSum(Uint8Array.of(0x12))).toBe(0x1200);
    expect(fold(0x1fffe)).toBe(0xffff);
    expect(fold(0x10000)).toBe(1);
    expect(fold(0xffff)).toBe(0xffff);
    expect(fold(2 ** 40 - 1)).toBe(fold(0xff + 0xffff + 0xffff));
  });
  test.prop([fc.uint8Array({ maxLength: 600 })])('agrees with the naive RFC 1071 reference (odd lengths too)', (b) => {
    expect(onesSum(b)).toBe(rfc1071Sum(b));
    expect(internetChecksum(b)).toBe(rfc1071Checksum(b));
  });
  test.prop([fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.nat(), fc.nat()])('start/end select a range like a subarray', (b, r1, r2) => {
    const s = r1 % (b.length + 1);
    const e = s + (r2 % (b.length - s + 1));
    expect(onesSum(b, s, e)).toBe(rfc1071Sum(b.subarray(s, e)));
  });
  test.prop([fc.uint8Array({ maxLength: 300 }), fc.nat()])('partial sums combine at even split points (associativity)', (b, r) => {
    const k = (r % (b.length + 1)) & ~1;
    const whole = onesSum(b);
    expect(fold(onesSum(b, 0, k) + onesSum(b, k))).toBe(whole);
    expect(onesSum(b, k, b.length, onesSum(b, 0, k))).toBe(whole);
    expect(internetChecksum(b, k, b.length, onesSum(b, 0, k))).toBe(rfc1071Checksum(b));
  });
  test.prop([fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.nat()])('at odd split points the second partial sum is byte-swapped (RFC 1071 §2(B))', (b, r) => {
    const k = (r % b.length) | 1;
    fc.pre(k <= b.length);
    expect(fold(onesSum(b, 0, k) + swap16(onesSum(b, k)))).toBe(onesSum(b));
  });
  test.prop([fc.array(fc.uint8Array({ maxLength: 40 }).map((a) => (a.length % 2 ? a.subarray(1) : a)), { maxLength: 8 }), fc.uint8Array({ maxLength: 41 })])(
    'chaining through `initial` over many even chunks equals one pass',
    (chunks, last) => {
      const all = Uint8Array.from([...chunks.flatMap((c) => Array.from(c)), ...last]);
      let s = 0;
      for (const c of [...chunks, last]) s = onesSum(c, 0, c.length, s);
      expect(s).toBe(onesSum(all));
    },
  );
  test.prop([fc.uint8Array({ minLength: 2, maxLength: 200 }), fc.nat()])('data with its checksum stored in a zeroed even-aligned word verifies to 0xffff', (raw, r) => {
    const b = Uint8Array.from(raw);
    const at = (r % (b.length - 1)) & ~1;
    b[at] = b[at + 1] = 0;
    put16(b, at, internetChecksum(b));
    expect(onesSum(b)).toBe(0xffff);
  });
});
