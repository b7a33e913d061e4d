import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  VXLAN_HEADER_LEN,
  VxlanGpeView,
  VxlanView,
  emitVxlan,
  emitVxlanGpe,
  parseVxlan,
  parseVxlanGpe,
  type VxlanFields,
  type VxlanGpeFields,
} from '../../src/vxlan/index.js';
import { vxlanFields, vxlanGpeFields } from '../../src/arbitraries/index.js';
import { VXLAN_GBP_A_KERNEL, VXLAN_GPE_KERNEL_IPV4, VXLAN_TCPDUMP_F1 } from '../fixtures/vxlan.js';
import { asBuffer } from '../oracles/buf.js';
import { vxlanBl, vxlanBp, vxlanGpeBp } from '../oracles/vxlan.js';

const a5 = (n: number) => new Uint8Array(n).fill(0xa5);

describe('VXLAN fixtures (deconstruct / construct / parse / emit)', () => {
  it('deconstructs the tcpdump capture header', () => {
    const v = VxlanView.check(VXLAN_TCPDUMP_F1).ok ? VxlanView.unchecked(VXLAN_TCPDUMP_F1) : undefined;
    expect(v?.vniValid).toBe(true);
    expect(v?.vni).toBe(100);
    expect(v?.gbp).toBe(false);
  });
  it('constructs the tcpdump header through setters over 0xa5', () => {
    const buf = a5(8);
    const v = VxlanView.unchecked(buf);
    v.flags = 0;
    v.vniValid = true;
    buf[1] = buf[2] = buf[3] = buf[7] = 0;
    v.vni = 100;
    expect(buf).toEqual(VXLAN_TCPDUMP_F1);
  });
  it('parses and re-emits the kernel GBP header with A set', () => {
    const r = parseVxlan(VXLAN_GBP_A_KERNEL);
    expect(r).toEqual({ ok: true, value: { vniValid: true, vni: 401, gbp: { dontLearn: false, policyApplied: true, groupPolicyId: 0x0abc } } });
    const out = a5(8);
    if (r.ok) emitVxlan(r.value, out);
    expect(out).toEqual(VXLAN_GBP_A_KERNEL);
  });
  it('reads G/D/A bits as reserved when the GBP extension is off', () => {
    expect(parseVxlan(VXLAN_GBP_A_KERNEL, 0, 8, { extension: 'none' })).toEqual({ ok: true, value: { vniValid: true, vni: 401 } });
    const s = parseVxlan(VXLAN_GBP_A_KERNEL, 0, 8, { extension: 'none', strict: true });
    expect(s.ok ? null : s.error.kind).toBe('reserved-nonzero');
  });
  it('parses and re-emits the kernel GPE header', () => {
    const r = parseVxlanGpe(VXLAN_GPE_KERNEL_IPV4);
    expect(r.ok && r.value).toEqual({ version: 0, vniValid: true, nextProtocolPresent: true, bum: false, oam: false, nextProtocol: 1, vni: 500 });
    const out = a5(8);
    if (r.ok) emitVxlanGpe(r.value, out);
    expect(out).toEqual(VXLAN_GPE_KERNEL_IPV4);
  });
  it('strict mode rejects a clear I flag; default accepts it (RFC 7348 ignore)', () => {
    const b = Uint8Array.from(VXLAN_TCPDUMP_F1);
    b[0] = 0;
    expect(parseVxlan(b).ok).toBe(true);
    const s = parseVxlan(b, 0, 8, { strict: true });
    expect(s.ok ? null : s.error).toEqual({ kind: 'bad-flags', layer: 'vxlan', at: 0, field: 'flags.I', found: 0, allowed: 'I flag (0x08) set' });
  });
  it('GPE version 1 is bad-version', () => {
    const b = Uint8Array.from(VXLAN_GPE_KERNEL_IPV4);
    b[0] = b[0]! | 0x10;
    const r = parseVxlanGpe(b);
    expect(r.ok ? null : [r.error.kind, r.error.found]).toEqual(['bad-version', 1]);
  });
  it('emit rejects out-of-range values', () => {
    expect(() => emitVxlan({ vniValid: true, vni: 0x1000000 }, a5(8))).toThrow(RangeError);
    expect(() => emitVxlan({ vniValid: true, vni: 1 }, a5(7))).toThrow(RangeError);
  });
});

describe('VXLAN truncation sweep', () => {
  it('every prefix of every fixture is a typed truncated error at the right place', () => {
    for (const fx of [VXLAN_TCPDUMP_F1, VXLAN_GBP_A_KERNEL, VXLAN_GPE_KERNEL_IPV4]) {
      for (let k = 0; k < fx.length; k++) {
        const big = a5(k + 5);
        big.set(fx.subarray(0, k), 5);
        const r = parseVxlan(big, 5);
        expect(r).toEqual({ ok: false, error: { kind: 'truncated', layer: 'vxlan', at: 5, field: 'header', found: k, allowed: `>= ${VXLAN_HEADER_LEN} bytes` } });
        const g = parseVxlanGpe(big, 5);
        expect(g.ok ? null : g.error.layer).toBe('vxlan-gpe');
      }
    }
  });
});

/** The published generators (`tunnelwire/arbitraries`): every flag, VNI and GBP field; GPE version 0 with every flag and Next Protocol. */
const vxlanArb: fc.Arbitrary<VxlanFields> = vxlanFields();
const gpeArb: fc.Arbitrary<VxlanGpeFields> = vxlanGpeFields();

describe('VXLAN properties', () => {
  test.prop([vxlanArb, fc.nat(32)])('emit then parse round-trips at any offset', (f, off) => {
    const buf = a5(off + 8);
    expect(emitVxlan(f, buf, off)).toBe(8);
    expect(parseVxlan(buf, off)).toEqual({ ok: true, value: f });
  });
  test.prop([gpeArb, fc.nat(32)])('GPE emit then parse round-trips at any offset', (f, off) => {
    const buf = a5(off + 8);
    emitVxlanGpe(f, buf, off);
    expect(parseVxlanGpe(buf, off)).toEqual({ ok: true, value: f });
  });
  test.prop([fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 255 })])('GPE version setter covers all 2-bit values', (ver, flags) => {
    const v = VxlanGpeView.unchecked(a5(8));
    v.flags = flags;
    v.version = ver;
    expect(v.version).toBe(ver);
    expect(v.flags & 0xcf).toBe(flags & 0xcf);
  });
  test.prop([fc.uint8Array({ maxLength: 64 }), fc.nat(70), fc.boolean()])('parse never throws on arbitrary bytes', (b, off, strict) => {
    const r = parseVxlan(b, off, b.length, { strict });
    const g = parseVxlanGpe(b, off, b.length, { strict });
    if (r.ok) expect(off + 8).toBeLessThanOrEqual(b.length);
    if (g.ok) expect(off + 8).toBeLessThanOrEqual(b.length);
  });
  test.prop([fc.uint8Array({ minLength: 8, maxLength: 8 })])('agrees with binary-parser and buffer-layout twins on random bytes', (b) => {
    const v = VxlanView.unchecked(b);
    const bp = vxlanBp.parse(asBuffer(b)) as Record<string, number>;
    const bl = vxlanBl.decode(asBuffer(b));
    expect([v.gbp, v.vniValid, v.dontLearn, v.policyApplied, v.groupPolicyId, v.vni, v.reserved2]).toEqual([
      bp.g === 1, bp.i === 1, bp.d === 1, bp.a === 1, bp.groupPolicyId, bp.vni, bp.reserved2,
    ]);
    expect([v.flags, v.gbpFlags, v.groupPolicyId, v.vni]).toEqual([bl.flags, bl.gbpFlags, bl.groupPolicyId, bl.vniWord >>> 8]);
    const g = VxlanGpeView.unchecked(b);
    const gp = vxlanGpeBp.parse(asBuffer(b)) as Record<string, number>;
    expect([g.version, g.vniValid, g.nextProtocolPresent, g.bum, g.oam, g.reserved1, g.nextProtocol, g.vni]).toEqual([
      gp.ver, gp.i === 1, gp.p === 1, gp.b === 1, gp.o === 1, gp.reserved1, gp.nextProtocol, gp.vni,
    ]);
  });
  test.prop([fc.uint8Array({ minLength: 8, maxLength: 8 })])('emit(parse(b)) equals b on canonical inputs', (raw) => {
    const b = Uint8Array.from(raw);
    b[0]! &= 0x88; // canonical: only G and I may be set
    b[1]! &= b[0]! & 0x80 ? 0x48 : 0;
    if (!(b[0]! & 0x80)) b[2] = b[3] = 0;
    b[7] = 0;
    const r = parseVxlan(b);
    const out = a5(8);
    if (r.ok) emitVxlan(r.value, out);
    expect(out).toEqual(b);
  });
});
