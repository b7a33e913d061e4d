/**
 * The word path of pushHeader / pushHeaderInPlace (header stored as precomputed 32-bit words into a
 * cached output view) gives exactly the bytes of a straightforward reference (template `set`, then
 * the per-packet fields stored bytewise), for every template type, underlay, UDP checksum setting,
 * buffer alignment, offset, inner length, IP ID and source port, and leaves the rest of the buffer alone.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { buildTemplate, pushHeader, pushHeaderInPlace, type HeaderTemplate, type InnerKind, type TemplateConfig } from '../../src/port/template.js';
import { fold, onesSum } from '../../src/net/checksum.js';

/** Reference: copy the template, then write each per-packet field bytewise (RFC 791, RFC 768, RFC 8200). */
function reference(t: HeaderTemplate, out: Uint8Array, offset: number, innerLength: number, srcPort: number, ipId: number): number {
  const total = t.length + innerLength;
  out.set(t.bytes, offset);
  const ip = offset + t.ipOffset;
  if (t.ipVersion === 4) {
    const tl = total - t.ipOffset;
    const id = ipId & 0xffff;
    out[ip + 2] = tl >>> 8;
    out[ip + 3] = tl & 0xff;
    out[ip + 4] = id >>> 8;
    out[ip + 5] = id & 0xff;
    out[ip + 10] = 0;
    out[ip + 11] = 0;
    const c = ~onesSum(out, ip, ip + 20) & 0xffff;
    out[ip + 10] = c >>> 8;
    out[ip + 11] = c & 0xff;
  } else {
    const pl = total - t.ipOffset - 40;
    out[ip + 4] = pl >>> 8;
    out[ip + 5] = pl & 0xff;
  }
  if (t.udp) {
    const l4 = offset + t.l4Offset;
    const ulen = total - t.l4Offset;
    const port = srcPort & 0xffff;
    out[l4] = port >>> 8;
    out[l4 + 1] = port & 0xff;
    out[l4 + 4] = ulen >>> 8;
    out[l4 + 5] = ulen & 0xff;
    if (t.udpChecksum) {
      out[l4 + 6] = out[l4 + 7] = 0;
      const c = ~fold(onesSum(out, l4, offset + total) + t.pseudoPartialSum + ulen) & 0xffff;
      const v = c === 0 ? 0xffff : c;
      out[l4 + 6] = v >>> 8;
      out[l4 + 7] = v & 0xff;
    }
  }
  return total;
}

const opt = (cls: number, type: number, words: number) => ({ optionClass: cls, type, critical: (type & 0x80) !== 0, rbits: 0, data: new Uint8Array(words * 4).fill(0x5a) });
const configs: Array<[TemplateConfig, InnerKind]> = [];
for (const [src, dst] of [['192.0.2.1', '198.51.100.7'], ['2001:db8::1', '2001:db8:ffff::2']] as const) {
  for (const udpChecksum of [undefined, false, true]) {
    const u = udpChecksum === undefined ? {} : { udpChecksum };
    configs.push([{ tunnel: 'vxlan', vni: 0xabcdef, src, dst, ...u }, 'ethernet']);
    configs.push([{ tunnel: 'vxlan', vni: 5, src, dst, gbp: { groupPolicyId: 0xbeef, dontLearn: true }, tos: 0xb8, ttl: 3, df: false, ...u }, 'ethernet']);
    configs.push([{ tunnel: 'vxlan-gpe', vni: 500, src, dst, ...u }, 'ipv4']);
    configs.push([{ tunnel: 'vxlan-gpe', vni: 501, src, dst, dstPort: 4791, ...u }, 'ipv6']);
    configs.push([{ tunnel: 'geneve', vni: 0x123456, src, dst, ...u }, 'ethernet']);
    configs.push([{ tunnel: 'geneve', vni: 7, src, dst, geneveOptions: [opt(0x0102, 0x80, 1), opt(0xffff, 0x01, 3)], oam: true, ...u }, 'ipv4']);
  }
  configs.push([{ tunnel: 'nvgre', vni: 0x102, src, dst, flowId: 0xfe }, 'ethernet']);
}
const templates = configs.map(([c, k]) => buildTemplate(c, k));

const pushArgs = fc.record({
  ti: fc.nat(templates.length - 1),
  bufferSlack: fc.nat(7), // byteOffset of the view in its buffer
  offset: fc.nat(9),
  after: fc.nat(6),
  innerLength: fc.oneof(fc.nat(70), fc.integer({ min: 0, max: 1600 })),
  srcPort: fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: -0x20000, max: 0x2ffff })),
  ipId: fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: -0x7fffffff, max: 0x7fffffff })),
  seed: fc.nat(255),
  roundBuffer: fc.boolean(), // buffer length a multiple of 4, or not
});

function setup(a: { bufferSlack: number; offset: number; after: number; innerLength: number; seed: number; roundBuffer: boolean }, t: HeaderTemplate) {
  const viewLength = a.offset + t.length + a.innerLength + a.after;
  let bufLength = a.bufferSlack + viewLength + 3;
  if (a.roundBuffer) bufLength = (bufLength + 3) & ~3;
  else if ((bufLength & 3) === 0) bufLength += 1;
  const fill = (b: Uint8Array) => {
    for (let i = 0; i < b.length; i++) b[i] = (i * 73 + a.seed) & 0xff;
    return b;
  };
  const got = fill(new Uint8Array(new ArrayBuffer(bufLength)));
  const want = fill(new Uint8Array(bufLength));
  const inner = fill(new Uint8Array(a.innerLength)).map((x) => x ^ 0x3c);
  return { got, want, inner, view: got.subarray(a.bufferSlack, a.bufferSlack + viewLength), wantView: want.subarray(a.bufferSlack, a.bufferSlack + viewLength) };
}

describe('header word path', () => {
  test.prop([pushArgs], { numRuns: 2000 })('pushHeaderInPlace = reference, whole buffer', (a) => {
    const t = templates[a.ti]!;
    const { got, want, inner, view, wantView } = setup(a, t);
    view.set(inner, a.offset + t.length);
    wantView.set(inner, a.offset + t.length);
    // Twice with the same view: the first call takes the byte path, the second the cached word path.
    for (let k = 0; k < 2; k++) {
      const id = a.ipId + k;
      expect(pushHeaderInPlace(t, view, a.offset, a.innerLength, a.srcPort, id)).toBe(reference(t, wantView, a.offset, a.innerLength, a.srcPort, id));
      expect(got).toEqual(want);
    }
  });

  test.prop([pushArgs], { numRuns: 2000 })('pushHeader = reference, whole buffer', (a) => {
    const t = templates[a.ti]!;
    const { got, want, inner, view, wantView } = setup(a, t);
    for (let k = 0; k < 3; k++) {
      const id = a.ipId + k;
      wantView.set(inner, a.offset + t.length);
      expect(pushHeader(t, inner, view, a.offset, a.srcPort + k, id)).toBe(reference(t, wantView, a.offset, a.innerLength, a.srcPort + k, id));
      expect(got).toEqual(want);
    }
  });

  it('a template copied with spread keeps working (byte path)', () => {
    const t = buildTemplate({ tunnel: 'vxlan', vni: 9, src: '10.0.0.1', dst: '10.0.0.2' });
    const copy: HeaderTemplate = { ...t };
    const a = new Uint8Array(200);
    const b = new Uint8Array(200);
    for (let k = 0; k < 3; k++) {
      pushHeaderInPlace(t, a, 2, 100, 40000, k);
      pushHeaderInPlace(copy, b, 2, 100, 40000, k);
      expect(a).toEqual(b);
    }
  });

  it('too-small buffers and oversize frames still throw RangeError, on both paths', () => {
    const t = buildTemplate({ tunnel: 'vxlan', vni: 9, src: '10.0.0.1', dst: '10.0.0.2' });
    const out = new Uint8Array(100);
    for (let k = 0; k < 3; k++) {
      pushHeaderInPlace(t, out, 0, 50, 1, 1); // warm the view cache
      expect(() => pushHeaderInPlace(t, out, 0, 51, 1, 1)).toThrow(RangeError);
      expect(() => pushHeaderInPlace(t, out, -2, 10, 1, 1)).toThrow(RangeError);
      expect(() => pushHeader(t, new Uint8Array(51), out, 0, 1, 1)).toThrow(RangeError);
      expect(() => pushHeader(t, new Uint8Array(10), out, 46, 1, 1)).toThrow(RangeError);
    }
    const big = new Uint8Array(70000);
    for (let k = 0; k < 3; k++) {
      pushHeaderInPlace(t, big, 0, 1000, 1, 1);
      expect(() => pushHeaderInPlace(t, big, 0, 65536 - 36 + 1, 1, 1)).toThrow(/total length/);
    }
  });
});
