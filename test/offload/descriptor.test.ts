import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { Ipv4View } from '../../src/net/ipv4.js';
import { pseudoHeaderSum } from '../../src/net/udp.js';
import { deriveOffloadDescriptor } from '../../src/offload-hints/descriptor.js';
import { KERNEL_VXLAN_TCP_GSO, VIRTIO_GENEVE_USO, VIRTIO_VXLAN_TCP_WORKED, buildFrame, captureFrame, frameSpecArb, mssArb, type FrameSpec } from '../fixtures/offload.js';

const tunnelName = (s: FrameSpec): string => (s.tunnel === 'none' ? 'none' : s.tunnel);

describe('deriveOffloadDescriptor: offsets are where the headers were built', () => {
  const cases: FrameSpec[] = [];
  for (const tunnel of ['none', 'vxlan', 'vxlan-gpe', 'geneve', 'nvgre'] as const)
    for (const outerIp of [4, 6] as const)
      for (const innerIp of [4, 6] as const)
        for (const l4 of ['tcp', 'udp'] as const) cases.push({ tunnel, outerIp, innerIp, l4, payloadLength: 100, tcpOptionsLength: 12 });
  it.each(cases.map((c) => [`${c.tunnel} outer v${c.outerIp} inner v${c.innerIp} ${c.l4}`, c] as const))('%s', (_name, spec) => {
    const b = buildFrame(spec);
    const r = deriveOffloadDescriptor(b.frame);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const d = r.value;
    expect(d.tunnel).toBe(tunnelName(spec));
    expect(d.inner).toEqual(b.inner);
    expect(d.outer).toEqual(b.outer);
    expect(d.frameLength).toBe(b.frame.length);
    expect(d.csum).toEqual({ kind: 'partial', csumStart: b.inner.l4Offset, csumOffset: spec.l4 === 'tcp' ? 16 : 6 });
    expect(d.gso).toBeUndefined();
  });

  test.prop([frameSpecArb], { numRuns: 300 })('every built frame: outer and inner offsets, lengths, versions, protocols', (spec) => {
    const b = buildFrame(spec);
    const r = deriveOffloadDescriptor(b.frame);
    expect(r.ok ? null : r.error).toBeNull();
    if (!r.ok) return;
    expect(r.value.inner).toEqual(b.inner);
    expect(r.value.outer).toEqual(b.outer);
    expect(r.value.tunnel).toBe(tunnelName(spec));
    // Without an explicit request, the outer UDP checksum is "requested" exactly when the frame has one.
    expect(r.value.outerUdpCsum).toBe(spec.tunnel !== 'none' && spec.tunnel !== 'nvgre' && spec.outerUdpChecksum === true);
  });
});

describe('deriveOffloadDescriptor: segmentation', () => {
  test.prop([frameSpecArb, mssArb], { numRuns: 300 })('segments = ceil(payload / mss); no gso when it fits one segment', (spec, mss) => {
    const b = buildFrame(spec);
    const r = deriveOffloadDescriptor(b.frame, { gsoSize: mss });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const segs = Math.ceil(spec.payloadLength / mss);
    if (segs <= 1) {
      expect(r.value.gso).toBeUndefined();
      return;
    }
    const tcp = spec.l4 === 'tcp';
    const tunnel = spec.tunnel === 'none' ? 'none' : spec.tunnel === 'nvgre' ? 'gre' : spec.outerUdpChecksum ? 'udp-tunnel-csum' : 'udp-tunnel';
    expect(r.value.gso).toEqual({
      type: tcp ? (spec.innerIp === 4 ? 'tcpv4' : 'tcpv6') : 'udp-l4',
      tunnel,
      size: mss,
      segments: segs,
      ecn: tcp && spec.cwr === true,
    });
  });

  it('ECN comes from the inner TCP CWR flag, and only for TCP', () => {
    const base: FrameSpec = { tunnel: 'geneve', outerIp: 6, innerIp: 4, l4: 'tcp', payloadLength: 3000 };
    const ecn = (s: FrameSpec): boolean | undefined => {
      const r = deriveOffloadDescriptor(buildFrame(s).frame, { gsoSize: 1000 });
      return r.ok ? r.value.gso?.ecn : undefined;
    };
    expect(ecn({ ...base, cwr: true })).toBe(true);
    expect(ecn({ ...base, cwr: false })).toBe(false);
    expect(ecn({ ...base, l4: 'udp', cwr: true })).toBe(false);
  });

  it('the §1.3 frame and the Geneve USO frame: headers end at 116 and 92', () => {
    const v = buildFrame(VIRTIO_VXLAN_TCP_WORKED.spec);
    expect(v.inner.l4Offset + v.inner.l4Length).toBe(116);
    const g = buildFrame(VIRTIO_GENEVE_USO.spec);
    expect([g.outer?.l4Offset, g.inner.l3Offset, g.inner.l4Offset, g.inner.l4Offset + g.inner.l4Length]).toEqual([34, 64, 84, 92]);
  });

  it('csum: none and an explicit outer UDP checksum request', () => {
    const b = buildFrame({ tunnel: 'vxlan', outerIp: 4, innerIp: 6, l4: 'udp', payloadLength: 10 });
    const r = deriveOffloadDescriptor(b.frame, { csum: 'none', outerUdpCsum: true });
    expect(r.ok && [r.value.csum, r.value.outerUdpCsum]).toEqual([{ kind: 'none' }, true]);
  });

  it('kernel-vxlan-ipv4-tcp-gso.pcap frame 5 (a Linux GSO super-frame): 5 segments of 1398, headers end at 116', async () => {
    const f = await captureFrame(KERNEL_VXLAN_TCP_GSO.capture, KERNEL_VXLAN_TCP_GSO.frame);
    expect(f.length).toBe(KERNEL_VXLAN_TCP_GSO.length);
    const r = deriveOffloadDescriptor(f, { gsoSize: KERNEL_VXLAN_TCP_GSO.gsoSize });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const d = r.value;
    expect(d.tunnel).toBe('vxlan');
    expect([d.outer?.l4Offset, d.inner.l3Offset, d.inner.l4Offset, d.inner.l4Offset + d.inner.l4Length]).toEqual([34, 64, 84, 116]);
    expect(d.outerUdpCsum).toBe(true);
    expect(d.gso).toEqual({ type: 'tcpv4', tunnel: 'udp-tunnel-csum', size: 1398, segments: 5, ecn: false });
    // The kernel left CHECKSUM_PARTIAL seeds in the frame: pseudo-header sums that include the length.
    expect(pseudoHeaderSum(f, d.inner.l3Offset, 6, f.length - d.inner.l4Offset)).toBe(KERNEL_VXLAN_TCP_GSO.tcpSeed);
    expect((f[d.inner.l4Offset + 16]! << 8) | f[d.inner.l4Offset + 17]!).toBe(KERNEL_VXLAN_TCP_GSO.tcpSeed);
    expect((f[d.outer!.l4Offset + 6]! << 8) | f[d.outer!.l4Offset + 7]!).toBe(KERNEL_VXLAN_TCP_GSO.udpSeed);
    expect(pseudoHeaderSum(f, d.outer!.l3Offset, 17, f.length - d.outer!.l4Offset)).toBe(KERNEL_VXLAN_TCP_GSO.udpSeed);
  });
});

describe('deriveOffloadDescriptor: errors', () => {
  const errOf = (frame: Uint8Array, gsoSize?: number) => {
    const r = deriveOffloadDescriptor(frame, gsoSize === undefined ? {} : { gsoSize });
    return r.ok ? null : r.error;
  };
  it('an inner packet that is neither TCP nor UDP (ICMP over IPv4, ICMPv6 over IPv6)', () => {
    const b = buildFrame({ tunnel: 'vxlan', outerIp: 4, innerIp: 4, l4: 'udp', payloadLength: 20 });
    b.frame[b.inner.l3Offset + 9] = 1;
    Ipv4View.unchecked(b.frame, b.inner.l3Offset).fillChecksum();
    expect(errOf(b.frame)).toMatchObject({ kind: 'unsupported', field: 'inner', found: 1 });
    const c = buildFrame({ tunnel: 'geneve', outerIp: 6, innerIp: 6, l4: 'udp', payloadLength: 20 });
    c.frame[c.inner.l3Offset + 6] = 58;
    expect(errOf(c.frame)).toMatchObject({ kind: 'unsupported', field: 'inner', found: 58 });
  });
  it('kernel-vxlan-ipv4.pcap frame 1 (inner MLDv2): unsupported, found 58', async () => {
    const f = await captureFrame('kernel-vxlan-ipv4.pcap', 1);
    expect(errOf(f)).toMatchObject({ kind: 'unsupported', field: 'inner', found: 58 });
  });
  it('inner and outer IPv4 fragments', () => {
    const b = buildFrame({ tunnel: 'vxlan', outerIp: 4, innerIp: 4, l4: 'tcp', payloadLength: 200 });
    const inner = Uint8Array.from(b.frame);
    inner[b.inner.l3Offset + 6] = 0x20; // MF, DF clear
    Ipv4View.unchecked(inner, b.inner.l3Offset).fillChecksum();
    expect(errOf(inner)).toMatchObject({ kind: 'unsupported', field: 'fragment' });
    const outer = Uint8Array.from(b.frame);
    outer[b.outer!.l3Offset + 6] = 0x20;
    Ipv4View.unchecked(outer, b.outer!.l3Offset).fillChecksum();
    expect(errOf(outer)).toMatchObject({ kind: 'unsupported' });
  });
  it('no IP packet at all (ARP)', () => {
    const f = new Uint8Array(42);
    f.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06, 0, 1, 8, 0, 6, 4, 0, 1]);
    expect(errOf(f)).toMatchObject({ kind: 'unsupported' });
  });
  it('gsoSize must be an integer in 1..65535', () => {
    const b = buildFrame({ tunnel: 'none', outerIp: 4, innerIp: 4, l4: 'tcp', payloadLength: 200 });
    for (const g of [0, -1, 1.5, 65536]) expect(errOf(b.frame, g)).toMatchObject({ kind: 'bad-value', field: 'gsoSize', found: g });
  });
  test.prop([fc.uint8Array({ maxLength: 300 }), fc.option(fc.integer({ min: -5, max: 70000 }), { nil: undefined })], { numRuns: 500 })('random bytes never throw', (bytes, g) => {
    expect(() => deriveOffloadDescriptor(bytes, g === undefined ? {} : { gsoSize: g })).not.toThrow();
  });
});
