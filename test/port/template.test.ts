/**
 * Header templates built once and patched per packet: every tunnel type over both underlays decodes
 * back to its configuration, lengths and checksums verify, the source port follows the flow hash
 * formula, and inner frames placed in headroom are not copied.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { buildTemplate, innerFlowHash, pushHeader, pushHeaderInPlace, sourcePort, type TemplateConfig, type InnerKind } from '../../src/port/template.js';
import { walkPacket } from '../../src/walk/walker.js';
import { Ipv4View } from '../../src/net/ipv4.js';
import { OptionRegistry } from '../../src/tlv/registry.js';

const reg = OptionRegistry.withBuiltins();
const ovn = reg.encodeOption('ovn.ports', { ingressPort: 4, egressPort: 9 });
const arp = Uint8Array.from([...new Array(6).fill(0xff), 2, 0, 0, 0, 0, 7, 0x08, 0x06, 0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 7, 10, 0, 0, 7, 0, 0, 0, 0, 0, 0, 10, 0, 0, 8]);
const ipv4Icmp = (() => {
  const b = new Uint8Array(28);
  b[0] = 0x45; b[3] = 28; b[8] = 64; b[9] = 1; b.set([10, 1, 0, 1], 12); b.set([10, 1, 0, 2], 16); b[20] = 8;
  Ipv4View.unchecked(b, 0).fillChecksum();
  return b;
})();

const cases: Array<[string, TemplateConfig, InnerKind, Uint8Array]> = [];
for (const [src, dst] of [['192.0.2.1', '192.0.2.2'], ['2001:db8::1', '2001:db8::2']] as const) {
  cases.push([`vxlan ${src}`, { tunnel: 'vxlan', vni: 0xabcdef, src, dst }, 'ethernet', arp]);
  cases.push([`vxlan-gbp ${src}`, { tunnel: 'vxlan', vni: 5, src, dst, gbp: { groupPolicyId: 0x0abc, policyApplied: true } }, 'ethernet', arp]);
  cases.push([`vxlan-gpe ipv4 ${src}`, { tunnel: 'vxlan-gpe', vni: 500, src, dst }, 'ipv4', ipv4Icmp]);
  cases.push([`geneve opts ${src}`, { tunnel: 'geneve', vni: 0x123456, src, dst, geneveOptions: [ovn], udpChecksum: true }, 'ethernet', arp]);
  cases.push([`nvgre ${src}`, { tunnel: 'nvgre', vni: 0x102, src, dst, flowId: 0xfe }, 'ethernet', arp]);
}

describe('templates', () => {
  for (const [name, cfg, kind, inner] of cases) {
    it(`${name}: decodes back to its configuration with valid lengths and checksums`, () => {
      const t = buildTemplate(cfg, kind);
      const out = new Uint8Array(t.length + inner.length + 10).fill(0xa5);
      const port = sourcePort(t, innerFlowHash(inner, kind));
      const n = pushHeader(t, inner, out, 5, port, 77);
      const frame = out.subarray(5, 5 + n);
      const d = walkPacket(frame);
      expect(d.errors).toEqual([]);
      const tl = d.layers.find((l) => l.proto === (cfg.tunnel === 'nvgre' ? 'nvgre' : cfg.tunnel))!;
      expect(tl).toMatchObject(cfg.tunnel === 'nvgre' ? { vsid: cfg.vni, flowId: cfg.flowId } : { vni: cfg.vni });
      if (cfg.gbp) expect(tl).toMatchObject({ gbp: { groupPolicyId: 0x0abc, policyApplied: true, dontLearn: false } });
      if (cfg.tunnel === 'geneve') expect(tl).toMatchObject({ critical: true, options: [ovn] });
      const ip = d.layers[1]!;
      if (ip.proto === 'ipv4') expect([ip.checksumValid, ip.identification, ip.dontFragment, ip.ttl]).toEqual([true, 77, true, 64]);
      const udp = d.layers.find((l) => l.proto === 'udp');
      if (udp && udp.proto === 'udp') {
        expect(udp.srcPort).toBe(port);
        expect(udp.srcPort).toBeGreaterThanOrEqual(32768);
        expect(udp.srcPort).toBeLessThan(61000);
        expect(udp.checksumStatus).toBe(t.udpChecksum ? 'good' : 'none');
        expect(t.udpChecksum).toBe(cfg.udpChecksum ?? ip.proto === 'ipv6');
      }
      expect(d.inner?.bytes).toEqual(inner);
    });
  }

  test.prop([fc.uint8Array({ minLength: 14, maxLength: 1500 }), fc.nat(0xffff), fc.boolean()])('any inner frame, any IP ID: the IPv4 header checksum and UDP checksum verify', (inner, id, v6) => {
    const t = buildTemplate({ tunnel: 'geneve', vni: 1, src: v6 ? '2001:db8::1' : '10.0.0.1', dst: v6 ? '2001:db8::2' : '10.0.0.2', udpChecksum: true });
    const out = new Uint8Array(t.length + inner.length);
    pushHeader(t, inner, out, 0, 40000, id);
    const d = walkPacket(out, { udpPorts: new Map([[6081, 'geneve']]) });
    const ip = d.layers[1]!;
    if (ip.proto === 'ipv4') expect(ip.checksumValid).toBe(true);
    expect(d.layers.find((l) => l.proto === 'udp')).toMatchObject({ checksumStatus: 'good' });
  });

  it('an inner frame already in the headroom is not copied', () => {
    const t = buildTemplate({ tunnel: 'vxlan', vni: 9, src: '10.0.0.1', dst: '10.0.0.2' });
    const buf = new Uint8Array(t.length + arp.length);
    buf.set(arp, t.length);
    const n = pushHeaderInPlace(t, buf, 0, arp.length, 50000, 1);
    expect(n).toBe(buf.length);
    expect(walkPacket(buf).inner?.bytes).toEqual(arp);
  });

  it('the source port follows ((hash * (max - min)) >> 32) + min and is stable per flow', () => {
    const t = buildTemplate({ tunnel: 'vxlan', vni: 1, src: '10.0.0.1', dst: '10.0.0.2', srcPortRange: [49152, 65535] });
    expect(sourcePort(t, 0)).toBe(49152);
    expect(sourcePort(t, 0xffffffff)).toBe(65534);
    expect(sourcePort(t, 0x80000000)).toBe(49152 + Math.floor((65535 - 49152) / 2));
    expect(innerFlowHash(arp)).toBe(innerFlowHash(Uint8Array.from(arp)));
  });

  it('refuses what cannot be built', () => {
    expect(() => buildTemplate({ tunnel: 'vxlan', vni: 1, src: '10.0.0.1', dst: '2001:db8::1' })).toThrow(/must both be IPv4 or both IPv6/);
    expect(() => buildTemplate({ tunnel: 'vxlan', vni: 0x1000000, src: '10.0.0.1', dst: '10.0.0.2' })).toThrow(RangeError);
    expect(() => buildTemplate({ tunnel: 'nvgre', vni: 1, src: '10.0.0.1', dst: '10.0.0.2' }, 'ipv4')).toThrow(/Ethernet frames only/);
  });
});
