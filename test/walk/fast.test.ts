/**
 * The hot-path TunnelDecoder agrees with the full walker on every packet of the shared captures, on
 * every truncated prefix of them, and on random and bit-flipped bytes: same tunnel type, tunnel ID,
 * inner offset and GBP / Geneve fields, and an error exactly when the walker reports one.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { TUNNEL_ERROR, TUNNEL_NAMES, TUNNEL_NEEDS_REASSEMBLY, TunnelDecoder } from '../../src/walk/fast.js';
import { DEFAULT_UDP_PORTS, walkPacket, type TcpTunnelKind, type UdpTunnelKind } from '../../src/walk/walker.js';
import { CAPTURES, decodeCaptureForTest, type DecodedRecord } from './helpers.js';

const TUNNELS = new Set(['vxlan', 'vxlan-gpe', 'geneve', 'nvgre', 'gre', 'stt']);

/** What the walker says about the outermost tunnel, in the fast decoder's terms (or null to skip). */
function expected(b: Uint8Array): { kind: string; id?: number; inner?: number; gbp?: number } | null {
  const d = walkPacket(b);
  const i = d.layers.findIndex((l) => TUNNELS.has(l.proto));
  // A UDP length beyond the IP datagram is malformed for the fast path (it does not decode through it).
  if (d.errors.some((e) => e.layer === 'udp' && e.kind === 'length-overrun' && (i < 0 || e.at < d.layers[i]!.offset))) return { kind: 'error' };
  const outer = i < 0 ? d.layers : d.layers.slice(0, i);
  if (outer.some((l) => (l.proto === 'ipv4' || l.proto === 'ipv6') && l.fragment)) return { kind: 'needs-reassembly' };
  if (i < 0) {
    // The fast path parses the outer headers up to the transport; errors past them (ICMP, ARP) are not its.
    if (d.errors.some((e) => ['eth', 'vlan', 'ipv4', 'ipv6', 'udp', 'tcp', 'gre', 'nvgre', 'vxlan', 'vxlan-gpe', 'geneve', 'stt'].includes(e.layer))) return { kind: 'error' };
    return { kind: 'none' };
  }
  // The fast path fails exactly where the tunnel header itself is bad (errors after it belong to the
  // inner frame, and UDP/IP length oddities are reported by the walker but decoded through by both).
  const t = d.layers[i]!;
  const inner = t.offset + t.length;
  const own = (e: { layer: string; at: number }) => (e.layer === t.proto || (t.proto === 'nvgre' && e.layer === 'gre')) && e.at < inner;
  if (t.proto === 'stt') {
    if (d.errors.some((e) => e.layer === 'stt')) return { kind: 'error' };
    if (t.contextId === undefined || d.partial === 'stt-segment') return { kind: 'needs-reassembly' };
    return { kind: 'stt', id: Number(t.contextId & 0xffffffffn), inner: t.offset + 18 };
  }
  if (d.errors.some(own)) return { kind: 'error' };
  const id = t.proto === 'nvgre' ? t.vsid : t.proto === 'gre' ? (t.key ?? 0) : (t as { vni: number }).vni;
  return { kind: t.proto, id, inner: t.offset + t.length, ...(t.proto === 'vxlan' && t.gbp ? { gbp: t.gbp.groupPolicyId } : {}) };
}

/** Disagreements, described (the tests assert there are none, and show the first ones if not). */
const misses: string[] = [];
function check(dec: TunnelDecoder, b: Uint8Array, where: string): void {
  const want = expected(b);
  const got = dec.decode(b);
  if (!want) return;
  const name = got === TUNNEL_ERROR ? 'error' : TUNNEL_NAMES[got];
  const have = { kind: name, ...(want.id !== undefined ? { id: dec.tunnelId } : {}), ...(want.inner !== undefined ? { inner: dec.innerOffset } : {}), ...(want.kind === 'vxlan' && dec.groupPolicyId >= 0 ? { gbp: dec.groupPolicyId } : {}) };
  if (JSON.stringify(have) !== JSON.stringify(want)) {
    misses.push(`${where} (${b.length} B): fast ${JSON.stringify(have)} walker ${JSON.stringify(want)} errors ${JSON.stringify(walkPacket(b).errors.map((e) => `${e.layer}:${e.kind}@${e.at}`))}`);
  }
}

describe('TunnelDecoder ≡ walkPacket', () => {
  const recs: DecodedRecord[] = [];
  it('agrees on every packet of the shared captures', async () => {
    for (const c of CAPTURES) recs.push(...(await decodeCaptureForTest(c.path)));
    const dec = new TunnelDecoder();
    const kinds: Record<string, number> = {};
    for (const r of recs) {
      check(dec, r.data, `frame ${r.frame}`);
      const k = dec.tunnel === TUNNEL_ERROR ? 'error' : TUNNEL_NAMES[dec.tunnel]!;
      kinds[k] = (kinds[k] ?? 0) + 1;
    }
    expect(misses.slice(0, 20)).toEqual([]);
    console.log(`fast decoder over ${recs.length} captured frames: ${JSON.stringify(kinds)}`);
    expect(kinds.vxlan).toBeGreaterThan(200);
    expect(kinds.geneve).toBeGreaterThan(80);
    expect(kinds[TUNNEL_NAMES[TUNNEL_NEEDS_REASSEMBLY]!]).toBeGreaterThan(0);
  });

  it('agrees on every truncated prefix (up to 300 bytes) of every captured packet', () => {
    const dec = new TunnelDecoder();
    let n = 0;
    for (const r of recs) {
      for (let k = 0; k < Math.min(r.data.length, 300); k++) {
        check(dec, r.data.subarray(0, k), `frame ${r.frame} prefix ${k}`);
        n++;
      }
    }
    expect(misses.slice(0, 20)).toEqual([]);
    expect(n).toBeGreaterThan(100_000);
  });

  test.prop([fc.nat(703), fc.array(fc.tuple(fc.nat(400), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 4 })], { numRuns: 5000 })(
    'on bit-flipped captured packets: any tunnel the fast path finds is the walker\'s, with the same ID and inner offset',
    (i, flips) => {
      const r = recs[i % recs.length]!;
      const b = r.data.slice(0, Math.min(r.data.length, 600));
      for (const [pos, bit] of flips) if (b.length) b[pos % b.length]! ^= 1 << bit;
      const dec = new TunnelDecoder();
      const got = dec.decode(b);
      const want = expected(b);
      if (got > 0 && got < TUNNEL_NEEDS_REASSEMBLY && want) {
        expect(want.kind).toBe(TUNNEL_NAMES[got]);
        if (want.id !== undefined) expect(dec.tunnelId).toBe(want.id);
        if (want.inner !== undefined) expect(dec.innerOffset).toBe(want.inner);
      }
      if (got === TUNNEL_ERROR) expect(dec.errorAt).toBeLessThanOrEqual(b.length);
    },
  );
});

describe('TunnelDecoder tunnel ports', () => {
  it('are the ports whose kind is not none, in the maps it was built with', () => {
    const udp = new Map<number, UdpTunnelKind>([...DEFAULT_UDP_PORTS, [8472, 'vxlan-rfc7348'], [4790, 'vxlan-gpe'], [4789, 'none']]);
    const tcp = new Map<number, TcpTunnelKind>([[7471, 'stt'], [7472, 'none']]);
    const d = new TunnelDecoder(udp, tcp);
    for (let p = 0; p < 65536; p++) {
      expect(d.isUdpTunnelPort(p), `udp ${p}`).toBe((udp.get(p) ?? 'none') !== 'none');
      expect(d.isTcpTunnelPort(p), `tcp ${p}`).toBe((tcp.get(p) ?? 'none') !== 'none');
    }
    expect(new TunnelDecoder().isUdpTunnelPort(6081)).toBe(true); // Geneve by default
    expect(new TunnelDecoder().isTcpTunnelPort(7471)).toBe(true); // STT by default
  });
});
