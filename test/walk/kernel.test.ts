/**
 * Live captures of the Linux kernel's own VXLAN devices (plain, GBP, GPE, IPv6 underlay), made now
 * in network namespaces by tools/captures/kernel_vxlan.sh (needs root, as CI has), decoded by the
 * walker and checked against what the script configured (its expect.json).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCaptureForTest, type DecodedRecord } from './helpers.js';

const SCRIPT = fileURLToPath(new URL('../../tools/captures/kernel_vxlan.sh', import.meta.url));
let dir = '';
let expectJson: any;
const decoded = new Map<string, DecodedRecord[]>();

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('the kernel VXLAN capture test needs root (network namespaces); CI runs as root');
  dir = mkdtempSync(join(tmpdir(), 'tw-kernel-'));
  execFileSync('bash', [SCRIPT, dir], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 180_000 });
  expectJson = JSON.parse(readFileSync(join(dir, 'expect.json'), 'utf8'));
  for (const name of Object.keys(expectJson.captures)) decoded.set(name, await decodeCaptureForTest(join(dir, name)));
}, 240_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

type L = Record<string, any> & { proto: string };
const tunnelPackets = (recs: DecodedRecord[], proto: string) =>
  recs.map((r) => ({ r, i: r.layers.findIndex((l) => l.proto === proto) })).filter((x) => x.i >= 0).map(({ r, i }) => ({ r, layers: r.layers as L[], i }));

describe('Linux kernel VXLAN devices, captured live', () => {
  it('decodes every frame of every capture without errors', () => {
    for (const [name, recs] of decoded) {
      expect(recs.length, name).toBeGreaterThan(0);
      for (const r of recs) expect(r.decode.errors, `${name}#${r.frame}`).toEqual([]);
    }
  });

  for (const name of ['plain-ipv4.pcap', 'plain-ipv6.pcap']) {
    it(`${name}: VNI, outer and inner addresses, echo requests and replies`, () => {
      const e = expectJson.captures[name];
      const t = tunnelPackets(decoded.get(name)!, 'vxlan');
      expect(t.length).toBeGreaterThanOrEqual(e.minTunnelPackets);
      let requests = 0;
      let replies = 0;
      for (const { layers, i } of t) {
        const vx = layers[i]!;
        expect(e.vnis).toContain(vx.vni);
        expect(vx.gbp).toBeUndefined();
        const outer = layers.slice(0, i).reverse().find((l) => l.proto === 'ipv4' || l.proto === 'ipv6')!;
        expect(outer.proto).toBe(e.outer.ipVersion === 4 ? 'ipv4' : 'ipv6');
        expect([e.outer.a, e.outer.b]).toContain(outer.src);
        const udp = layers[i - 1]!;
        expect(udp.proto).toBe('udp');
        expect(udp.dstPort).toBe(e.udpDstPort);
        const ieth = layers[i + 1]!;
        expect(ieth.proto).toBe('eth');
        expect([e.inner.aMac, e.inner.bMac, 'ff:ff:ff:ff:ff:ff']).toContain(ieth.dst);
        const icmp = layers.find((l, k) => k > i && l.proto === 'icmp');
        const iip = layers.find((l, k) => k > i && l.proto === 'ipv4');
        if (icmp && iip) {
          if (icmp.type === 8) {
            requests++;
            expect([iip.src, iip.dst]).toEqual([e.inner.a, e.inner.b]);
          }
          if (icmp.type === 0) {
            replies++;
            expect([iip.src, iip.dst]).toEqual([e.inner.b, e.inner.a]);
          }
        }
      }
      expect(requests).toBe(e.echoRequests);
      expect(replies).toBe(e.echoReplies);
    });
  }

  it('gbp-ipv4.pcap: every Group Policy ID and D/A combination the kernel was told to send', () => {
    const e = expectJson.captures['gbp-ipv4.pcap'];
    const t = tunnelPackets(decoded.get('gbp-ipv4.pcap')!, 'vxlan');
    expect(t.length).toBeGreaterThanOrEqual(e.minTunnelPackets);
    const requests = t
      .map(({ layers, i }) => ({ vx: layers[i]!, icmp: layers.find((l, k) => k > i && l.proto === 'icmp') }))
      .filter((x) => x.icmp?.type === 8);
    const seen = requests.map((x) => (x.vx.gbp ? `${x.vx.gbp.groupPolicyId}/${x.vx.gbp.dontLearn}/${x.vx.gbp.policyApplied}` : 'none'));
    const want = e.gbp.requestsAtoB.flatMap((g: any) => new Array(g.echoRequests).fill(g.gbp ? `${g.groupPolicyId}/${g.dontLearn}/${g.policyApplied}` : 'none'));
    expect(seen).toEqual(want);
    const replies = t.filter(({ layers, i }) => layers.find((l, k) => k > i && l.proto === 'icmp')?.type === 0);
    expect(replies.length).toBe(e.gbp.repliesBtoA.count);
    for (const { layers, i } of replies) expect(layers[i]!.gbp).toBeUndefined();
    for (const { layers, i } of t) expect(layers[i]!.vni).toBe(400);
  });

  it('gpe-ipv4.pcap: Next Protocol IPv4 and IPv6 with no inner Ethernet, per VNI', () => {
    const e = expectJson.captures['gpe-ipv4.pcap'];
    const t = tunnelPackets(decoded.get('gpe-ipv4.pcap')!, 'vxlan-gpe');
    expect(t.length).toBeGreaterThanOrEqual(e.minTunnelPackets);
    for (const flow of e.gpe.flows) {
      const mine = t.filter(({ layers, i }) => layers[i]!.vni === flow.vni);
      let req = 0;
      let rep = 0;
      for (const { layers, i } of mine) {
        const g = layers[i]!;
        expect(g.nextProtocol).toBe(flow.nextProtocol);
        expect(g.nextProtocolPresent).toBe(true);
        const inner = layers[i + 1]!;
        expect(inner.proto).toBe(flow.nextProtocol === 1 ? 'ipv4' : 'ipv6');
        const icmp = layers[i + 2]!;
        if (icmp.type === 8 || icmp.type === 128) {
          req++;
          expect([inner.src, inner.dst]).toEqual([flow.innerSrc, flow.innerDst]);
        }
        if (icmp.type === 0 || icmp.type === 129) {
          rep++;
          expect([inner.src, inner.dst]).toEqual([flow.innerDst, flow.innerSrc]);
        }
      }
      expect([req, rep]).toEqual([flow.echoRequests, flow.echoReplies]);
    }
  });
});
