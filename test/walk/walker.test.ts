/**
 * Walker behaviour not covered by the capture corpus: nested tunnels and the depth limit, decode-as,
 * L3 link starts, and the bounded outer-IP reassembler.
 */
import { fc, test } from '@fast-check/vitest';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { emitEthernet } from '../../src/net/ethernet.js';
import { emitIpv4, Ipv4View } from '../../src/net/ipv4.js';
import { emitUdp, udpChecksum, UdpView } from '../../src/net/udp.js';
import { emitVxlan } from '../../src/vxlan/fields.js';
import { emitGeneve } from '../../src/geneve/fields.js';
import { walkPacket, DEFAULT_UDP_PORTS, type UdpTunnelKind } from '../../src/walk/walker.js';
import { IpReassembler } from '../../src/walk/ipfrag.js';

const MAC_A = '02:00:00:00:00:0a';
const MAC_B = '02:00:00:00:00:0b';

/** Ethernet/IPv4/UDP(dst port)/tunnel header/payload, lengths and checksums filled. */
function udpTunnel(port: number, tunnelHeader: Uint8Array, payload: Uint8Array, src = '192.0.2.1', dst = '192.0.2.2'): Uint8Array {
  const total = 14 + 20 + 8 + tunnelHeader.length + payload.length;
  const b = new Uint8Array(total);
  emitEthernet({ dst: MAC_B, src: MAC_A, vlans: [], etherType: 0x0800 }, b, 0);
  emitIpv4({ dscp: 0, ecn: 0, totalLength: total - 14, identification: 1, dontFragment: true, moreFragments: false, fragmentOffset: 0, ttl: 64, protocol: 17, src, dst, options: new Uint8Array(0) }, b, 14);
  emitUdp({ srcPort: 50000, dstPort: port, length: total - 34, checksum: 0 }, b, 34);
  b.set(tunnelHeader, 42);
  b.set(payload, 42 + tunnelHeader.length);
  UdpView.unchecked(b, 34).checksum = udpChecksum(b, 14, 34, total);
  return b;
}
function vxlanHdr(vni: number): Uint8Array {
  const h = new Uint8Array(8);
  emitVxlan({ vniValid: true, vni }, h);
  return h;
}
function geneveHdr(vni: number): Uint8Array {
  const h = new Uint8Array(16);
  emitGeneve({ version: 0, control: false, critical: false, reservedFlags: 0, protocolType: 0x6558, vni, reserved: 0, options: [{ optionClass: 0xffff, type: 1, critical: false, rbits: 0, data: Uint8Array.of(1, 2, 3, 4) }] }, h);
  return h;
}
const innerArp = Uint8Array.from([...[0xff, 0xff, 0xff, 0xff, 0xff, 0xff], ...[2, 0, 0, 0, 0, 1], 0x08, 0x06, 0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2]);

describe('nested tunnels', () => {
  it('decodes VXLAN inside Geneve inside VXLAN, outermost first', () => {
    const inner = udpTunnel(4789, vxlanHdr(3), innerArp, '10.0.0.5', '10.0.0.6');
    const mid = udpTunnel(6081, geneveHdr(2), inner, '172.16.0.1', '172.16.0.2');
    const outer = udpTunnel(4789, vxlanHdr(1), mid);
    const d = walkPacket(outer);
    expect(d.errors).toEqual([]);
    expect(d.layers.map((l) => l.proto)).toEqual(['eth', 'ipv4', 'udp', 'vxlan', 'eth', 'ipv4', 'udp', 'geneve', 'eth', 'ipv4', 'udp', 'vxlan', 'eth', 'arp']);
    expect(d.layers.filter((l) => l.proto === 'vxlan' || l.proto === 'geneve').map((l) => (l as { vni: number }).vni)).toEqual([1, 2, 3]);
    expect(d.layers.filter((l) => l.proto === 'udp').map((l) => (l as { checksumStatus: string }).checksumStatus)).toEqual(['good', 'good', 'good']);
    expect(d.inner?.etherType).toBe(0x6558);
    expect(d.inner?.bytes).toEqual(innerArp);
  });

  it('stops at the depth limit with a depth-exceeded error', () => {
    let p: Uint8Array = innerArp;
    for (let i = 0; i < 6; i++) p = udpTunnel(4789, vxlanHdr(i), p);
    const d = walkPacket(p, { maxDepth: 4 });
    expect(d.layers.filter((l) => l.proto === 'vxlan')).toHaveLength(4);
    expect(d.errors).toHaveLength(1);
    expect(d.errors[0]).toMatchObject({ kind: 'depth-exceeded', layer: 'walk', found: 5, allowed: '<= 4 nested tunnels' });
    expect(walkPacket(p, { maxDepth: 6 }).errors).toEqual([]);
  });
});

describe('decode-as', () => {
  it('decodes a port only when configured, and a configured port as the kind given', () => {
    const pkt = udpTunnel(4444, vxlanHdr(77), innerArp);
    expect(walkPacket(pkt).layers.map((l) => l.proto)).toEqual(['eth', 'ipv4', 'udp']);
    const ports = new Map<number, UdpTunnelKind>([...DEFAULT_UDP_PORTS, [4444, 'vxlan']]);
    expect(walkPacket(pkt, { udpPorts: ports }).layers.map((l) => l.proto)).toEqual(['eth', 'ipv4', 'udp', 'vxlan', 'eth', 'arp']);
    const none = new Map<number, UdpTunnelKind>([[4789, 'none']]);
    expect(walkPacket(udpTunnel(4789, vxlanHdr(1), innerArp), { udpPorts: none }).layers).toHaveLength(3);
  });

  it('reads G/D/A as GBP on a vxlan port and as reserved on a vxlan-rfc7348 port', () => {
    const h = Uint8Array.of(0x88, 0x40, 0x00, 0x05, 0, 0, 9, 0);
    const pkt = udpTunnel(4789, h, innerArp);
    const gbp = walkPacket(pkt).layers.find((l) => l.proto === 'vxlan');
    expect(gbp).toMatchObject({ vni: 9, gbp: { groupPolicyId: 5, dontLearn: true, policyApplied: false } });
    const plain = walkPacket(pkt, { udpPorts: new Map([[4789, 'vxlan-rfc7348' as const]]) }).layers.find((l) => l.proto === 'vxlan');
    expect(plain).toMatchObject({ vni: 9 });
    expect(plain && 'gbp' in plain).toBe(false);
    const strict = walkPacket(pkt, { udpPorts: new Map([[4789, 'vxlan-rfc7348' as const]]), strict: true });
    expect(strict.errors[0]).toMatchObject({ kind: 'reserved-nonzero', layer: 'vxlan', at: 42 });
  });

  it('starts at an L3 header when told the EtherType', () => {
    const pkt = udpTunnel(4789, vxlanHdr(5), innerArp).subarray(14);
    const d = walkPacket(pkt, { link: { kind: 'l3', etherType: 0x0800 } });
    expect(d.layers.map((l) => l.proto)).toEqual(['ipv4', 'udp', 'vxlan', 'eth', 'arp']);
  });
});

/** Split an IPv4 datagram (header at 14) into fragments with `size`-byte payloads (multiple of 8). */
function fragment(frame: Uint8Array, size: number): Uint8Array[] {
  const v = Ipv4View.unchecked(frame, 14);
  const hl = v.headerLength;
  const payload = frame.subarray(14 + hl);
  const out: Uint8Array[] = [];
  for (let off = 0; off < payload.length; off += size) {
    const part = payload.subarray(off, Math.min(payload.length, off + size));
    const f = new Uint8Array(14 + hl + part.length);
    f.set(frame.subarray(0, 14 + hl));
    f.set(part, 14 + hl);
    emitIpv4({ dscp: 0, ecn: 0, totalLength: hl + part.length, identification: 0x1234, dontFragment: false, moreFragments: off + size < payload.length, fragmentOffset: off, ttl: 64, protocol: 17, src: '192.0.2.1', dst: '192.0.2.2', options: new Uint8Array(0) }, f, 14);
    out.push(f);
  }
  return out;
}

describe('outer IPv4 fragment reassembly', () => {
  const big = udpTunnel(4789, vxlanHdr(42), new Uint8Array(1400).map((_, i) => i & 0xff).map((x, i) => (i < innerArp.length ? innerArp[i]! : x)));

  test.prop([fc.integer({ min: 1, max: 60 }).map((n) => n * 8), fc.infiniteStream(fc.nat())])('any fragment size and arrival order reassembles to the original tunnel packet', (size, seeds) => {
    const frags = fragment(big, size);
    const order = frags.map((f, i) => ({ f, k: seeds.next().value as number, i })).sort((a, b) => a.k - b.k || a.i - b.i);
    const ipReassembler = new IpReassembler();
    const results = order.map(({ f }) => walkPacket(f, { ipReassembler }));
    const done = results.filter((d) => d.layers.some((l) => l.proto === 'vxlan' && l.buffer === 'reassembled'));
    expect(done).toHaveLength(1);
    expect(done[0]!.errors).toEqual([]);
    expect(done[0]!.layers.find((l) => l.proto === 'udp')).toMatchObject({ checksumStatus: 'good', buffer: 'reassembled' });
    expect(done[0]!.inner?.bytes).toEqual(big.subarray(50));
    expect(ipReassembler.bufferedBytes).toBe(0);
  });

  it('duplicates are harmless; conflicting overlaps drop the datagram with its reason', () => {
    const frags = fragment(big, 256);
    const r = new IpReassembler();
    walkPacket(frags[0]!, { ipReassembler: r });
    walkPacket(frags[0]!, { ipReassembler: r });
    const bad = frags[1]!.slice();
    bad[bad.length - 1]! ^= 0xff;
    walkPacket(frags[1]!, { ipReassembler: r });
    walkPacket(bad, { ipReassembler: r });
    expect(r.dropped['overlap-conflict']).toBe(1);
    expect(r.bufferedBytes).toBe(0);
  });

  it('a last fragment that ends before a fragment already buffered drops the datagram (fuzz finding walk-ipfrag-overrun)', () => {
    const r = new IpReassembler();
    expect(r.push('k', 16, true, new Uint8Array(16), 0)).toEqual({ status: 'pending' });
    expect(() => r.push('k', 0, false, new Uint8Array(8), 0)).not.toThrow();
    expect(r.dropped['bad-offset']).toBe(1);
    expect(r.bufferedBytes).toBe(0);
    // and the same through the walker, with the bytes the fuzzer found
    const bytes = Uint8Array.from(readFileSync(new URL('../../fuzz/findings/walk-ipfrag-overrun', import.meta.url)));
    expect(bytes.length).toBe(172);
  });

  it('never buffers more than its cap and times out what stays incomplete', () => {
    const r = new IpReassembler({ maxBytes: 4096, maxDatagrams: 8, timeoutMs: 1000 });
    for (let id = 0; id < 200; id++) {
      const f = fragment(big, 512)[0]!;
      Ipv4View.unchecked(f, 14).identification = id;
      Ipv4View.unchecked(f, 14).fillChecksum();
      walkPacket(f, { ipReassembler: r, nowMs: id });
      expect(r.bufferedBytes).toBeLessThanOrEqual(4096);
    }
    expect(r.dropped['memory-limit'] + r.dropped['too-many-datagrams']).toBeGreaterThan(0);
    // a good datagram still completes under pressure
    const ok = fragment(big, 512);
    let completed = false;
    for (const f of ok) completed ||= walkPacket(f, { ipReassembler: r, nowMs: 300 }).layers.some((l) => l.proto === 'vxlan' && l.buffer === 'reassembled');
    expect(completed).toBe(true);
    expect(r.expire(5000)).toBeGreaterThan(0);
    expect(r.dropped.timeout).toBeGreaterThan(0);
    expect(r.bufferedBytes).toBe(0);
  });

  it('decodes the tunnel header from a first fragment without reassembly, marked partial', () => {
    const d = walkPacket(fragment(big, 512)[0]!);
    expect(d.partial).toBe('ip-fragment');
    expect(d.errors).toEqual([]);
    expect(d.layers.find((l) => l.proto === 'vxlan')).toMatchObject({ vni: 42 });
    expect(d.inner).toBeUndefined();
  });
});
