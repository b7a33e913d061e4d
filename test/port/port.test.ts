/**
 * The tunnel port: encapsulate → decapsulate round trips for every port type over IPv4 and IPv6
 * underlays (fast-check over inner frames, tunnel IDs, Geneve options and GBP values), the metadata it
 * returns equal to `tunnelMetadataFromLayers` of the walker, flow-based remote and ID, TTL/DSCP
 * inheritance, DF modes, ECN on encapsulation, device-offload mode against `deriveOffloadDescriptor`
 * (and the software GSO fallback completing what it left), statistics, the template cache, the
 * UDP-socket payload API, configuration errors, and decapsulation of every shared capture's tunnel
 * packets against the walker's inner frames.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { TunnelPort, type TunnelPortConfig } from '../../src/port/port.js';
import type { PortType } from '../../src/port/types.js';
import { walkPacket, type UdpTunnelKind } from '../../src/walk/walker.js';
import type { DecodedLayer } from '../../src/walk/layers.js';
import { tunnelMetadataFromLayers, type TunnelMetadata } from '../../src/tlv/metadata.js';
import { OptionRegistry } from '../../src/tlv/registry.js';
import { defineOption } from '../../src/tlv/definition.js';
import { SttReassembler } from '../../src/stt/reassembly.js';
import { Ipv4View } from '../../src/net/ipv4.js';
import { put16, u16 } from '../../src/net/bytes.js';
import { fold, onesSum } from '../../src/net/checksum.js';
import { pseudoHeaderSum, udpChecksum } from '../../src/net/udp.js';
import { deriveOffloadDescriptor } from '../../src/offload-hints/descriptor.js';
import { segmentFrame } from '../../src/offload-hints/segment.js';
import { readCaptureAll } from '../../src/capture/reader.js';
import type { GeneveOption } from '../../src/geneve/fields.js';

const TYPES: PortType[] = ['vxlan', 'vxlan-gpe', 'geneve', 'nvgre', 'stt'];
const UNDERLAYS = [
  ['192.0.2.1', '192.0.2.2'],
  ['2001:db8::1', '2001:db8::2'],
] as const;
const reg = OptionRegistry.withBuiltins();
const OVN = reg.encodeOption('ovn.ports', { ingressPort: 5, egressPort: 7 });

// ── inner packets ─────────────────────────────────────────────────────────────
const MAC_A = [2, 0, 0, 0, 0, 0xa];
const MAC_B = [2, 0, 0, 0, 0, 0xb];

/** Ethernet + IPv4 + UDP (payload of `len` bytes), checksums valid. */
function udp4(o: { tos?: number; ttl?: number; df?: boolean; len?: number; proto?: number } = {}): Uint8Array {
  const len = o.len ?? 32;
  const b = new Uint8Array(14 + 20 + 8 + len);
  b.set([...MAC_B, ...MAC_A, 8, 0]);
  b[14] = 0x45;
  b[15] = o.tos ?? 0;
  put16(b, 16, 28 + len);
  put16(b, 18, 0x1234);
  b[20] = o.df === false ? 0 : 0x40;
  b[22] = o.ttl ?? 64;
  b[23] = 17;
  b.set([10, 0, 0, 1], 26);
  b.set([10, 0, 0, 2], 30);
  Ipv4View.unchecked(b, 14).fillChecksum();
  put16(b, 34, 40000);
  put16(b, 36, 9999);
  put16(b, 38, 8 + len);
  for (let i = 0; i < len; i++) b[42 + i] = (i * 7) & 0xff;
  put16(b, 40, udpChecksum(b, 14, 34, b.length));
  return b;
}

/** Ethernet + IPv6 + UDP. */
function udp6(o: { tc?: number; hop?: number; len?: number } = {}): Uint8Array {
  const len = o.len ?? 32;
  const b = new Uint8Array(14 + 40 + 8 + len);
  b.set([...MAC_B, ...MAC_A, 0x86, 0xdd]);
  put16(b, 14, 0x6000 | ((o.tc ?? 0) << 4));
  put16(b, 18, 8 + len);
  b[20] = 17;
  b[21] = o.hop ?? 64;
  b.set([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 22);
  b.set([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2], 38);
  put16(b, 54, 40000);
  put16(b, 56, 9999);
  put16(b, 58, 8 + len);
  for (let i = 0; i < len; i++) b[62 + i] = (i * 5) & 0xff;
  put16(b, 60, udpChecksum(b, 14, 54, b.length));
  return b;
}

const ARP = Uint8Array.from([...new Array(6).fill(0xff), ...MAC_A, 0x08, 0x06, 0, 1, 8, 0, 6, 4, 0, 1, ...MAC_A, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2]);

/** Ethernet + IPv4/IPv6 + TCP with a partial (seeded) checksum, `len` payload bytes. */
function tcpPartial(v: 4 | 6, len: number): Uint8Array {
  const ipl = v === 4 ? 20 : 40;
  const b = new Uint8Array(14 + ipl + 20 + len);
  b.set([...MAC_B, ...MAC_A, ...(v === 4 ? [8, 0] : [0x86, 0xdd])]);
  if (v === 4) {
    b[14] = 0x45;
    put16(b, 16, ipl + 20 + len);
    b[20] = 0x40;
    b[22] = 64;
    b[23] = 6;
    b.set([10, 0, 0, 1], 26);
    b.set([10, 0, 0, 2], 30);
    Ipv4View.unchecked(b, 14).fillChecksum();
  } else {
    b[14] = 0x60;
    put16(b, 18, 20 + len);
    b[20] = 6;
    b[21] = 64;
    b[22] = 0xfd;
    b[37] = 1;
    b[38] = 0xfd;
    b[53] = 2;
  }
  const t = 14 + ipl;
  put16(b, t, 40000);
  put16(b, t + 2, 80);
  b[t + 12] = 0x50;
  b[t + 13] = 0x18;
  put16(b, t + 14, 512);
  for (let i = 0; i < len; i++) b[t + 20 + i] = (i * 13) & 0xff;
  put16(b, t + 16, fold(pseudoHeaderSum(b, 14, 6, 20 + len)));
  return b;
}

// ── helpers ───────────────────────────────────────────────────────────────────
const big = (k: string, v: unknown): unknown => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? Array.from(v) : v);
const norm = (m: TunnelMetadata | undefined): unknown => JSON.parse(JSON.stringify(m, big));

function pair(type: PortType, u: 0 | 1, extra: Partial<TunnelPortConfig> = {}, rxExtra: Partial<TunnelPortConfig> = {}): [TunnelPort, TunnelPort] {
  const [a, b] = UNDERLAYS[u];
  const id = type === 'nvgre' ? 0x1234n : 0x123456n;
  const tx = new TunnelPort({ type, local: a, remote: b, tunnelId: id, ...extra } as TunnelPortConfig);
  const rx = new TunnelPort({ type, local: b, remote: a, tunnelId: id, ...extra, ...rxExtra } as TunnelPortConfig);
  return [tx, rx];
}

/** Split an EncapResult's bytes into wire frames (copies). */
function frames(out: Uint8Array, offset: number, segments: readonly number[]): Uint8Array[] {
  const res: Uint8Array[] = [];
  let s = 0;
  for (const e of segments) {
    res.push(out.slice(offset + s, offset + e));
    s = e;
  }
  return res;
}

const layer = <P extends DecodedLayer['proto']>(d: { layers: DecodedLayer[] }, p: P): Extract<DecodedLayer, { proto: P }> | undefined =>
  d.layers.find((l) => l.proto === p) as Extract<DecodedLayer, { proto: P }> | undefined;

/** Decapsulate every frame with `rx`; the last must succeed. Also walk them and compare metadata. */
function receive(rx: TunnelPort, fs: Uint8Array[]): { inner: Uint8Array; meta: TunnelMetadata; etherType: number; walked: TunnelMetadata | undefined } {
  const reasm = new SttReassembler();
  let last: ReturnType<TunnelPort['decapsulate']> | undefined;
  let walked: TunnelMetadata | undefined;
  fs.forEach((f, i) => {
    const w = walkPacket(f.slice(), { sttReassembler: reasm });
    last = rx.decapsulate(f);
    if (i < fs.length - 1) expect(last).toMatchObject({ ok: false, reason: 'stt-incomplete' });
    else walked = tunnelMetadataFromLayers(w.layers);
  });
  if (!last || !last.ok) throw new Error(`decapsulation failed: ${last && !last.ok ? `${last.reason}: ${last.message}` : 'nothing'}`);
  return { inner: last.inner.slice(), meta: last.metadata, etherType: last.innerEtherType, walked };
}

// ── arbitraries ───────────────────────────────────────────────────────────────
const innerFrame = fc
  .tuple(fc.uint8Array({ minLength: 12, maxLength: 12 }), fc.constantFrom(0x0800, 0x86dd, 0x0806, 0x88cc, 0x0600), fc.uint8Array({ maxLength: 1400 }))
  .map(([macs, et, rest]) => Uint8Array.from([...macs, et >> 8, et & 0xff, ...rest]));
const geneveOption: fc.Arbitrary<GeneveOption> = fc.oneof(
  fc.constant(OVN),
  fc.record({
    optionClass: fc.constantFrom(0xffff, 0x0101, 0xff01),
    type: fc.integer({ min: 0, max: 0x7f }),
    critical: fc.constant(false),
    rbits: fc.constant(0),
    data: fc.integer({ min: 0, max: 8 }).chain((w) => fc.uint8Array({ minLength: 4 * w, maxLength: 4 * w })),
  }),
);

describe('round trips', () => {
  for (const type of TYPES) {
    for (const u of [0, 1] as const) {
      const maxId = type === 'stt' ? 0xffffffffffffffffn : type === 'nvgre' ? 0xfffffen : 0xffffffn;
      const minId = type === 'nvgre' ? 0x1000n : 0n;
      test.prop(
        [
          innerFrame,
          fc.bigInt({ min: minId, max: maxId }),
          fc.array(geneveOption, { maxLength: 4 }),
          fc.option(fc.record({ id: fc.nat(0xffff), flags: fc.constantFrom(0, 0x08, 0x40, 0x48) }), { nil: undefined }),
          fc.nat(0xff),
          fc.boolean(),
        ],
        { numRuns: type === 'stt' ? 40 : 60 },
      )(`${type} over IPv${u ? 6 : 4}: flow-based encap → decap returns the inner frame, ID, options, GBP; metadata = walker's`, (inner, id, options, gbp, flowId, flowRemote) => {
        const [a, b] = UNDERLAYS[u];
        const tx = new TunnelPort({ type, local: a, remote: flowRemote ? 'flow' : b, tunnelId: 'flow', gbp: type === 'vxlan', mtu: 9000, ...(type === 'geneve' ? { geneveOptions: [OVN] } : {}) });
        const rx = new TunnelPort({ type, local: b, remote: a, tunnelId: 'flow', gbp: type === 'vxlan', mtu: 9000 });
        const meta: Partial<TunnelMetadata> = { tunnelId: id, ...(flowRemote ? { ipDst: b } : {}), geneveOptions: options, flowId, ...(gbp ? { gbp } : {}) };
        const out = new Uint8Array(inner.length + 600).fill(0xa5);
        const r = tx.encapsulate(inner, meta, out, 3);
        if (!r.ok) throw new Error(r.message);
        const got = receive(rx, frames(out, 3, r.segments));
        expect(got.inner).toEqual(inner);
        expect(got.etherType).toBe(0x6558);
        expect(got.meta.tunnelId).toBe(id);
        expect(got.meta.ipSrc).toBe(a);
        expect(norm(got.meta)).toEqual(norm(got.walked));
        if (type === 'geneve') {
          expect(got.meta.geneveOptions).toEqual([OVN, ...options]);
          expect(got.meta.flags.critical).toBe(true);
        } else expect(got.meta.geneveOptions).toEqual([]);
        if (type === 'vxlan') expect(got.meta.gbp).toEqual(gbp);
        if (type === 'nvgre') expect(got.meta.flowId).toBe(flowId);
        expect(rx.stats.rxPackets).toBe(1);
        expect(tx.stats.txPackets).toBe(r.segments.length);
      });
    }
  }

  for (const type of ['vxlan-gpe', 'geneve'] as const) {
    it(`${type}: L3 payloads (IPv4, IPv6) round trip with their EtherType`, () => {
      const [tx, rx] = pair(type, 0);
      for (const [pkt, et] of [
        [udp4().subarray(14), 0x0800],
        [udp6().subarray(14), 0x86dd],
      ] as const) {
        const out = new Uint8Array(400);
        const r = tx.encapsulate(pkt, type === 'vxlan-gpe' ? { gpeNextProtocol: et === 0x0800 ? 1 : 2 } : {}, out, 0, type === 'geneve' ? { innerEtherType: et } : {});
        if (!r.ok) throw new Error(r.message);
        const d = rx.decapsulate(out.slice(0, r.length));
        if (!d.ok) throw new Error(d.message);
        expect(d.inner).toEqual(pkt);
        expect(d.innerEtherType).toBe(et);
        const w = walkPacket(out.slice(0, r.length));
        expect(w.inner?.etherType).toBe(et);
      }
    });
  }

  it('an inner frame already in the headroom of out is not copied (and comes out the same)', () => {
    const [tx, rx] = pair('vxlan', 0);
    const inner = udp4();
    const out = new Uint8Array(200);
    out.set(inner, 50);
    const r = tx.encapsulate(out.subarray(50, 50 + inner.length), {}, out, 0);
    if (!r.ok) throw new Error(r.message);
    expect(r.length).toBe(50 + inner.length);
    const d = rx.decapsulate(out.slice(0, r.length));
    expect(d.ok && d.inner).toEqual(inner);
  });
});

describe('flow-based remote and tunnel ID', () => {
  it('a flow-based port needs ipDst and tunnelId in the metadata, else no-route', () => {
    const p = new TunnelPort({ type: 'geneve', local: '192.0.2.1', remote: 'flow', tunnelId: 'flow' });
    const out = new Uint8Array(200);
    expect(p.encapsulate(ARP, { tunnelId: 5n }, out, 0)).toMatchObject({ ok: false, reason: 'no-route' });
    expect(p.encapsulate(ARP, { ipDst: '192.0.2.9' }, out, 0)).toMatchObject({ ok: false, reason: 'no-route' });
    expect(p.encapsulate(ARP, { ipDst: '2001:db8::9', tunnelId: 5n }, out, 0)).toMatchObject({ ok: false, reason: 'no-route', message: expect.stringContaining('family') });
    expect(p.encapsulate(ARP, { ipDst: '0.0.0.0', tunnelId: 5n }, out, 0)).toMatchObject({ ok: false, reason: 'no-route' });
    expect(p.encapsulate(ARP, { ipDst: '192.0.2.9', tunnelId: 1n << 24n }, out, 0)).toMatchObject({ ok: false, reason: 'malformed' });
    expect(p.stats.drops).toEqual({ 'no-route': 4, malformed: 1 });
    const r = p.encapsulate(ARP, { ipDst: '192.0.2.9', tunnelId: 77n }, out, 0);
    expect(r.ok).toBe(true);
    const d = walkPacket(out.subarray(0, r.ok ? r.length : 0));
    expect(layer(d, 'ipv4')?.dst).toBe('192.0.2.9');
    expect(layer(d, 'geneve')?.vni).toBe(77);
  });

  it('templates are built once per flow and reused (cache size and build counter)', () => {
    const p = new TunnelPort({ type: 'vxlan', local: '192.0.2.1', remote: 'flow', tunnelId: 'flow', gbp: true });
    const out = new Uint8Array(200);
    const flows: Partial<TunnelMetadata>[] = [
      { ipDst: '192.0.2.2', tunnelId: 1n },
      { ipDst: '192.0.2.3', tunnelId: 1n },
      { ipDst: '192.0.2.2', tunnelId: 2n },
      { ipDst: '192.0.2.2', tunnelId: 2n, gbp: { id: 9, flags: 0 } },
    ];
    for (let i = 0; i < 400; i++) expect(p.encapsulate(udp4({ len: i % 50 }), flows[i % 4]!, out, 0).ok).toBe(true);
    expect(p.templatesBuilt).toBe(4);
    expect(p.templateCacheSize).toBe(4);
    const fixed = new TunnelPort({ type: 'geneve', local: '192.0.2.1', remote: '192.0.2.2', tunnelId: 3n, geneveOptions: [OVN] });
    for (let i = 0; i < 100; i++) fixed.encapsulate(i % 2 ? ARP : udp6(), {}, out, 0);
    expect(fixed.templatesBuilt).toBe(1);
    const small = new TunnelPort({ type: 'vxlan', local: '192.0.2.1', remote: 'flow', tunnelId: 1n, templateCacheLimit: 2 });
    for (let i = 0; i < 10; i++) small.encapsulate(ARP, { ipDst: `192.0.2.${10 + i}` }, out, 0);
    expect(small.templateCacheSize).toBe(2);
  });

  it('acceptTunnelIds and acceptRemotes widen what a fixed port receives', () => {
    const tx1 = new TunnelPort({ type: 'vxlan', local: '192.0.2.7', remote: '192.0.2.2', tunnelId: 10n });
    const tx2 = new TunnelPort({ type: 'vxlan', local: '192.0.2.1', remote: '192.0.2.2', tunnelId: 11n });
    const rx = new TunnelPort({ type: 'vxlan', local: '192.0.2.2', remote: '192.0.2.1', tunnelId: 10n, acceptTunnelIds: [10n, 11n], acceptRemotes: ['192.0.2.7'] });
    const out = new Uint8Array(200);
    for (const tx of [tx1, tx2]) {
      const r = tx.encapsulate(ARP, {}, out, 0);
      expect(rx.decapsulate(out.slice(0, r.ok ? r.length : 0)).ok).toBe(true);
    }
  });
});

describe('outer TTL, DSCP, ECN and DF', () => {
  const outerIp = (f: Uint8Array) => {
    const d = walkPacket(f);
    return (layer(d, 'ipv4') ?? layer(d, 'ipv6'))!;
  };
  const encap = (p: TunnelPort, inner: Uint8Array): Uint8Array => {
    const out = new Uint8Array(inner.length + 200);
    const r = p.encapsulate(inner, {}, out, 0);
    if (!r.ok) throw new Error(r.message);
    return out.slice(0, r.length);
  };

  for (const u of [0, 1] as const) {
    it(`inherit over IPv${u ? 6 : 4}: TTL and DSCP from inner IPv4/IPv6, 64 and 0 for ARP; ECN by RFC 6040 normal mode`, () => {
      const p = new TunnelPort({ type: 'geneve', local: UNDERLAYS[u][0], remote: UNDERLAYS[u][1], tunnelId: 1n, ttl: 'inherit', dscp: 'inherit' });
      const a = outerIp(encap(p, udp4({ ttl: 17, tos: (46 << 2) | 2 })));
      expect([a.proto === 'ipv4' ? a.ttl : a.hopLimit, a.dscp, a.ecn]).toEqual([17, 46, 2]);
      const b = outerIp(encap(p, udp6({ hop: 3, tc: (10 << 2) | 3 })));
      expect([b.proto === 'ipv4' ? b.ttl : b.hopLimit, b.dscp, b.ecn]).toEqual([3, 10, 3]);
      const c = outerIp(encap(p, ARP));
      expect([c.proto === 'ipv4' ? c.ttl : c.hopLimit, c.dscp, c.ecn]).toEqual([64, 0, 0]);
      if (a.proto === 'ipv4') expect(a.checksumValid).toBe(true);
    });
  }

  it('fixed TTL and DSCP; ECN still follows the inner packet; Linux mode maps CE to ECT(0)', () => {
    const p = new TunnelPort({ type: 'vxlan', local: '192.0.2.1', remote: '192.0.2.2', tunnelId: 1n, ttl: 9, dscp: 10 });
    for (const ecn of [0, 1, 2, 3]) {
      const ip = outerIp(encap(p, udp4({ ttl: 200, tos: (46 << 2) | ecn })));
      expect(ip).toMatchObject({ ttl: 9, dscp: 10, ecn, checksumValid: true });
    }
    const l = new TunnelPort({ type: 'vxlan', local: '192.0.2.1', remote: '192.0.2.2', tunnelId: 1n, ecnMode: 'linux' });
    expect(outerIp(encap(l, udp4({ tos: 3 })))).toMatchObject({ ecn: 2 });
    expect(outerIp(encap(l, udp4({ tos: 1 })))).toMatchObject({ ecn: 1 });
  });

  it('DF set / unset / inherit (inner IPv4 DF, any inner IPv6 → DF, ARP → no DF); GPE always DF', () => {
    const df = (mode: 'set' | 'unset' | 'inherit', inner: Uint8Array, type: PortType = 'vxlan'): boolean => {
      const p = new TunnelPort({ type, local: '192.0.2.1', remote: '192.0.2.2', tunnelId: 0x1000n, df: mode });
      const ip = outerIp(encap(p, inner));
      if (ip.proto !== 'ipv4') throw new Error('expected IPv4');
      expect(ip.checksumValid).toBe(true);
      return ip.dontFragment;
    };
    expect([df('set', ARP), df('unset', udp4()), df('inherit', udp4({ df: true })), df('inherit', udp4({ df: false })), df('inherit', udp6()), df('inherit', ARP)]).toEqual([true, false, true, false, true, false]);
    expect([df('unset', ARP, 'nvgre'), df('inherit', udp4({ df: false }), 'stt'), df('inherit', udp4({ df: true }), 'stt')]).toEqual([false, false, true]);
    expect(() => new TunnelPort({ type: 'vxlan-gpe', local: '192.0.2.1', remote: '192.0.2.2', tunnelId: 1n, df: 'unset' })).toThrow(RangeError);
  });

  it('UDP checksum: off over IPv4 and on over IPv6 by default, configurable, valid when on', () => {
    for (const [u, cfg, want] of [
      [0, undefined, 'none'],
      [0, true, 'good'],
      [1, undefined, 'good'],
      [1, false, 'none'],
    ] as const) {
      const p = new TunnelPort({ type: 'vxlan', local: UNDERLAYS[u][0], remote: UNDERLAYS[u][1], tunnelId: 1n, ...(cfg !== undefined ? { udpChecksum: cfg } : {}) });
      expect(layer(walkPacket(encap(p, udp4())), 'udp')?.checksumStatus).toBe(want);
    }
  });

  it('the UDP source port follows the inner flow hash within srcPortRange and is stable per flow', () => {
    const p = new TunnelPort({ type: 'vxlan', local: '192.0.2.1', remote: '192.0.2.2', tunnelId: 1n, srcPortRange: [50000, 50010] });
    const ports = new Set<number>();
    for (let i = 0; i < 50; i++) {
      const inner = udp4();
      put16(inner, 34, 1000 + i);
      const sp = layer(walkPacket(encap(p, inner)), 'udp')!.srcPort;
      expect(sp).toBeGreaterThanOrEqual(50000);
      expect(sp).toBeLessThan(50010);
      expect(layer(walkPacket(encap(p, inner)), 'udp')!.srcPort).toBe(sp);
      ports.add(sp);
    }
    expect(ports.size).toBeGreaterThan(3);
  });
});

describe('MTU', () => {
  it('overhead and innerMtu per type and underlay (Geneve counts configured options; RFC 8926 §4.4.1 sizing)', () => {
    const o = (type: PortType, u: 0 | 1, extra: Partial<TunnelPortConfig> = {}) => {
      const p = new TunnelPort({ type, local: UNDERLAYS[u][0], remote: UNDERLAYS[u][1], tunnelId: 0x1000n, ...extra });
      return [p.overhead, p.innerMtu];
    };
    expect(o('vxlan', 0)).toEqual([50, 1464]);
    expect(o('vxlan', 1)).toEqual([70, 1444]);
    expect(o('vxlan-gpe', 0)).toEqual([50, 1464]);
    expect(o('nvgre', 0)).toEqual([42, 1472]);
    expect(o('nvgre', 1)).toEqual([62, 1452]);
    expect(o('geneve', 0, { geneveOptions: [OVN] })).toEqual([58, 1456]);
    expect(o('geneve', 0, { geneveOptions: [OVN], geneveMaxOptionsLength: 252 })).toEqual([58, 1212]);
    expect(o('stt', 0)).toEqual([72, 65517]);
    expect(o('vxlan', 0, { mtu: 9000 })).toEqual([50, 8964]);
  });

  for (const type of ['vxlan', 'geneve', 'nvgre'] as const) {
    for (const u of [0, 1] as const) {
      it(`${type} over IPv${u ? 6 : 4}: the largest fitting frame passes, one byte more is dropped with the inner MTU and an ICMP reply`, () => {
        const [tx] = pair(type, u);
        const out = new Uint8Array(3000);
        const fits = udp4({ len: tx.innerMtu - 42 });
        expect(fits.length).toBe(tx.innerMtu);
        expect(tx.encapsulate(fits, {}, out, 0)).toMatchObject({ ok: true, length: tx.overhead + tx.innerMtu });
        const r4 = tx.encapsulate(udp4({ len: tx.innerMtu - 41 }), {}, out, 0);
        expect(r4).toMatchObject({ ok: false, reason: 'mtu-exceeded', mtu: tx.innerMtu - 14 });
        const icmp = walkPacket((r4 as { icmpReply: Uint8Array }).icmpReply);
        expect(icmp.errors).toEqual([]);
        expect(layer(icmp, 'icmp')).toMatchObject({ type: 3, code: 4 });
        expect(layer(icmp, 'ipv4')).toMatchObject({ src: '10.0.0.2', dst: '10.0.0.1', checksumValid: true });
        expect(layer(icmp, 'eth')).toMatchObject({ dst: '02:00:00:00:00:0a', src: '02:00:00:00:00:0b' });
        const r6 = tx.encapsulate(udp6({ len: tx.innerMtu - 61 }), {}, out, 0);
        expect(r6).toMatchObject({ ok: false, reason: 'mtu-exceeded', mtu: tx.innerMtu - 14 });
        expect(layer(walkPacket((r6 as { icmpReply: Uint8Array }).icmpReply), 'icmpv6')).toMatchObject({ type: 2, code: 0 });
        expect(tx.encapsulate(udp4({ len: 2000, df: false }), {}, out, 0)).not.toHaveProperty('icmpReply');
        expect(tx.stats.drops['mtu-exceeded']).toBe(3);
        expect(tx.stats.txPackets).toBe(1);
      });
    }
  }

  it('STT frames above the MTU are segmented at mtu − IP − 20 and reassemble', () => {
    for (const u of [0, 1] as const) {
      const [tx, rx] = pair('stt', u);
      const inner = udp4({ len: 5000 });
      const out = new Uint8Array(8000);
      const r = tx.encapsulate(inner, {}, out, 0);
      if (!r.ok) throw new Error(r.message);
      const fs = frames(out, 0, r.segments);
      expect(fs.length).toBe(Math.ceil((inner.length + 18) / tx.sttMss));
      for (const f of fs) expect(f.length - 14).toBeLessThanOrEqual(1500);
      expect(receive(rx, fs.reverse()).inner).toEqual(inner);
      expect(rx.stats.drops['stt-incomplete']).toBe(fs.length - 1);
    }
  });
});

describe('device offload', () => {
  for (const type of ['vxlan', 'vxlan-gpe', 'geneve', 'nvgre'] as const) {
    for (const u of [0, 1] as const) {
      it(`${type} over IPv${u ? 6 : 4}: the descriptor equals deriveOffloadDescriptor; the outer UDP field holds the seed; software GSO completes it`, () => {
        const [tx, rx] = pair(type, u, { udpChecksum: true, ...(type === 'geneve' ? { geneveOptions: [OVN] } : {}) });
        const inner = tcpPartial(u ? 6 : 4, 6000);
        const out = new Uint8Array(8000);
        const r = tx.encapsulate(inner, {}, out, 0, { deviceOffload: true, gsoSize: 1200 });
        if (!r.ok) throw new Error(r.message);
        const frame = out.slice(0, r.length);
        const d = deriveOffloadDescriptor(frame, { csum: 'partial', outerUdpCsum: type !== 'nvgre', gsoSize: 1200 });
        expect(d.ok && d.value).toEqual(r.offload);
        expect(r.offload?.gso).toMatchObject({ size: 1200, segments: 5, type: u ? 'tcpv6' : 'tcpv4' });
        if (type !== 'nvgre') {
          const at = r.offload!.outer!.l4Offset;
          expect(u16(frame, at + 6)).toBe(fold(pseudoHeaderSum(frame, r.offload!.outer!.l3Offset, 17, frame.length - at)));
        }
        const segs = segmentFrame(frame, r.offload!);
        if (!segs.ok) throw new Error(JSON.stringify(segs.error));
        for (const s of segs.value) {
          const w = walkPacket(s);
          expect(w.errors).toEqual([]);
          const udps = w.layers.filter((l) => l.proto === 'udp');
          if (type !== 'nvgre') expect(udps[0]).toMatchObject({ checksumStatus: 'good' });
          expect(s.length - 14).toBeLessThanOrEqual(1500);
          expect(rx.decapsulate(s).ok).toBe(true);
        }
      });
    }
  }

  it('an inner packet that is not TCP/UDP gets software checksums and no descriptor', () => {
    const [tx] = pair('geneve', 1);
    const out = new Uint8Array(300);
    const r = tx.encapsulate(ARP, {}, out, 0, { deviceOffload: true });
    expect(r.ok && r.offload).toBe(undefined);
    expect(layer(walkPacket(out.subarray(0, r.ok ? r.length : 0)), 'udp')?.checksumStatus).toBe('good');
  });

  it('a super-packet with a too large gsoSize is dropped as mtu-exceeded', () => {
    const [tx] = pair('vxlan', 0);
    const out = new Uint8Array(8000);
    expect(tx.encapsulate(tcpPartial(4, 6000), {}, out, 0, { deviceOffload: true, gsoSize: 1500 })).toMatchObject({ ok: false, reason: 'mtu-exceeded', mtu: 1450 });
  });

  for (const u of [0, 1] as const) {
    it(`STT over IPv${u ? 6 : 4}: one super-segment with the TCP checksum seeded, P/IPv4/TCP flags, L4 offset and MSS; descriptor = deriveOffloadDescriptor`, () => {
      const [tx, rx] = pair('stt', u, { deviceOffload: true });
      const inner = tcpPartial(4, 4000);
      const out = new Uint8Array(8000);
      const r = tx.encapsulate(inner, {}, out, 0, { gsoSize: 1400 });
      if (!r.ok) throw new Error(r.message);
      expect(r.segments).toEqual([r.length]);
      const frame = out.slice(0, r.length);
      const d = deriveOffloadDescriptor(frame, { csum: 'partial' });
      expect(d.ok && d.value).toEqual(r.offload);
      const stt = layer(walkPacket(frame), 'stt')!;
      expect(stt).toMatchObject({ flags: 0x0e, l4Offset: 34, mss: 1400 });
      const ipl = u ? 40 : 20;
      expect(u16(frame, 14 + ipl + 16)).toBe(fold(pseudoHeaderSum(frame, 14, 6, frame.length - 14 - ipl)));
      // Complete the outer TCP checksum as the device would, then it decapsulates.
      put16(frame, 14 + ipl + 16, 0);
      put16(frame, 14 + ipl + 16, ~fold(onesSum(frame, 14 + ipl) + pseudoHeaderSum(frame, 14, 6, frame.length - 14 - ipl)) & 0xffff);
      const dec = rx.decapsulate(frame);
      expect(dec.ok && dec.inner).toEqual(inner);
    });
  }
});

describe('UDP-socket payloads', () => {
  it('encapsulatePayload writes tunnel header + inner and names the destination; decapsulatePayload reverses it', () => {
    for (const type of ['vxlan', 'vxlan-gpe', 'geneve'] as const) {
      const [tx, rx] = pair(type, 0, { gbp: type === 'vxlan', ...(type === 'geneve' ? { geneveOptions: [OVN] } : {}) });
      const out = new Uint8Array(300);
      const r = tx.encapsulatePayload(udp4(), type === 'vxlan' ? { gbp: { id: 42, flags: 0x08 } } : {}, out, 4);
      if (!r.ok) throw new Error(r.message);
      expect(r).toMatchObject({ remote: '192.0.2.2', dstPort: type === 'vxlan' ? 4789 : type === 'vxlan-gpe' ? 4790 : 6081 });
      expect(r.srcPort).toBeGreaterThanOrEqual(32768);
      expect(r.length).toBe(udp4().length + (type === 'geneve' ? 16 : 8));
      const d = rx.decapsulatePayload(out.slice(4, 4 + r.length), { address: '::ffff:192.0.2.1', port: r.srcPort });
      if (!d.ok) throw new Error(d.message);
      expect(d.inner).toEqual(udp4());
      expect(d.metadata).toMatchObject({ ipSrc: '192.0.2.1', ipDst: '192.0.2.2', tunnelId: 0x123456n, tpSrc: r.srcPort, tpDst: r.dstPort });
      if (type === 'vxlan') expect(d.metadata.gbp).toEqual({ id: 42, flags: 0x08 });
      if (type === 'geneve') expect(d.metadata.geneveOptions).toEqual([OVN]);
      expect(rx.decapsulatePayload(out.slice(4, 4 + r.length), { address: '192.0.2.99', port: 1 })).toMatchObject({ ok: false, reason: 'sender-not-allowed' });
    }
    expect(() => new TunnelPort({ type: 'nvgre', local: '192.0.2.1', remote: '192.0.2.2', tunnelId: 0x1000n }).encapsulatePayload(ARP, {}, new Uint8Array(99), 0)).toThrow(RangeError);
  });
});

describe('statistics', () => {
  it('counts rx/tx packets and bytes and drops by reason', () => {
    const [tx, rx] = pair('geneve', 0);
    const out = new Uint8Array(400);
    let txBytes = 0;
    for (let i = 0; i < 5; i++) {
      const r = tx.encapsulate(udp4({ len: i }), {}, out, 0);
      if (!r.ok) throw new Error(r.message);
      txBytes += r.length;
      expect(rx.decapsulate(out.slice(0, r.length)).ok).toBe(true);
    }
    rx.decapsulate(new Uint8Array(10));
    rx.decapsulate(out.slice(0, 30));
    expect(tx.stats).toEqual({ rxPackets: 0, rxBytes: 0, txPackets: 5, txBytes, drops: {} });
    expect(rx.stats).toEqual({ rxPackets: 5, rxBytes: txBytes, txPackets: 0, txBytes: 0, drops: { truncated: 2 } });
  });
});

describe('configuration', () => {
  const base = { type: 'vxlan' as const, local: '192.0.2.1', remote: '192.0.2.2', tunnelId: 1n };
  it.each<[string, Partial<TunnelPortConfig>]>([
    ['mixed families', { remote: '2001:db8::2' }],
    ['bad address', { local: '192.0.2' }],
    ['24-bit VNI', { tunnelId: 1n << 24n }],
    ['negative ID', { tunnelId: -1n }],
    ['reserved VSID', { type: 'nvgre', tunnelId: 0xfffn }],
    ['STT 64-bit ID', { type: 'stt', tunnelId: 1n << 64n }],
    ['acceptTunnelIds out of range', { acceptTunnelIds: [1n << 24n] }],
    ['acceptRemotes family', { acceptRemotes: ['2001:db8::3'] }],
    ['TTL', { ttl: 256 }],
    ['DSCP', { dscp: 64 }],
    ['dstPort', { dstPort: 70000 }],
    ['srcPortRange', { srcPortRange: [5000, 4000] }],
    ['GBP on Geneve', { type: 'geneve', gbp: true }],
    ['options on VXLAN', { geneveOptions: [OVN] }],
    ['MTU', { mtu: 40 }],
    ['IPv6 MTU below 1280', { local: '2001:db8::1', remote: '2001:db8::2', mtu: 1000 }],
    ['MAC', { localMac: 'nope' }],
    ['geneveMaxOptionsLength', { type: 'geneve', geneveMaxOptionsLength: 256 }],
  ])('%s → RangeError', (_name, extra) => {
    expect(() => new TunnelPort({ ...base, ...extra } as TunnelPortConfig)).toThrow(RangeError);
  });
  it('STT takes 64-bit IDs, NVGRE reserved VSIDs with allowReservedVsid', () => {
    expect(new TunnelPort({ ...base, type: 'stt', tunnelId: 0xdeadbeefcafef00dn }).tunnelType).toBe('stt');
    expect(new TunnelPort({ ...base, type: 'nvgre', tunnelId: 0x102n, allowReservedVsid: true }).innerMtu).toBe(1472);
  });
});

// ── shared captures ─────────────────────────────────────────────────────────
describe('shared captures: the port decapsulates the tunnel packets to the walker\'s inner frames', () => {
  const dir = fileURLToPath(new URL('../fixtures/captures', import.meta.url));
  const files = readdirSync(dir).filter((f) => /\.pcap(ng)?$/.test(f));
  const udpPorts = new Map<number, UdpTunnelKind>([[4789, 'vxlan'], [8472, 'vxlan'], [4790, 'vxlan-gpe'], [6081, 'geneve'], [4444, 'vxlan']]);
  const registry = OptionRegistry.withBuiltins();
  // tcpdump-geneve.pcap carries a critical option of class 0x0000 type 0x80: this port understands it.
  registry.register(defineOption({ name: 'test.class0-crit', optionClass: 0x0000, type: 0x80, fields: [{ name: 'data', bytes: 'rest' }] }));
  const required: Record<string, number> = {
    'tcpdump-vxlan.pcap': 10,
    'ovs-geneve-options.pcap': 29,
    'ovs-nvgre-ipv6.pcap': 28,
    'scapy-stt-basic.pcap': 7,
    'kernel-vxlan-gpe.pcap': 18,
    'kernel-vxlan-gbp-ipv6.pcap': 40,
    'tcpdump-geneve.pcap': 39,
    'ovs-vxlan-gpe.pcap': 28,
    'kernel-vxlan-ipv4.pcap': 38, // + 2 first fragments of outer IPv4 datagrams (dropped: reassemble first)
    'zeek-geneve-many-options.pcap': 10,
  };
  for (const file of files) {
    it(file, () => {
      const { records } = readCaptureAll(new Uint8Array(readFileSync(join(dir, file))));
      const ports = new Map<string, TunnelPort>();
      const walkReasm = new SttReassembler();
      let same = 0;
      const why: Record<string, number> = {};
      records.forEach((rec, i) => {
        const w = walkPacket(rec.data.slice(), { udpPorts, sttReassembler: walkReasm, nowMs: i });
        const tl = w.layers.find((l) => ['vxlan', 'vxlan-gpe', 'geneve', 'nvgre', 'stt', 'gre'].includes(l.proto));
        if (!tl) return;
        const ip = w.layers.find((l) => l.proto === 'ipv4' || l.proto === 'ipv6') as { src: string; dst: string };
        const l4 = w.layers.find((l) => l.proto === 'udp' || l.proto === 'tcp') as { dstPort: number } | undefined;
        const type = (tl.proto === 'gre' ? 'nvgre' : tl.proto) as PortType;
        const key = `${type}|${ip.src}|${ip.dst}|${l4?.dstPort}`;
        let port = ports.get(key);
        if (!port) {
          port = new TunnelPort({ type, local: ip.dst, remote: ip.src, tunnelId: 'flow', registry, gbp: type === 'vxlan', allowReservedVsid: true, udp6ZeroChecksumRx: true, mtu: 65535, ...(l4 && type !== 'stt' ? { dstPort: l4.dstPort } : {}) });
          ports.set(key, port);
        }
        let d = port.decapsulate(rec.data.slice(), i);
        const udp = layer(w, 'udp');
        // UDP length 0 (BIG TCP super-frame): the walker does not verify; its checksum is a partial seed.
        const badSum = udp?.checksumStatus === 'bad' || (udp?.checksumStatus === 'unverified' && udp.udpLength === 0) || layer(w, 'ipv4')?.checksumValid === false || (layer(w, 'gre') as { checksumValid?: boolean } | undefined)?.checksumValid === false;
        if (!d.ok && d.reason === 'bad-checksum') {
          // The walker calls them bad too (tshark agrees): checksums left partial by the sender's offload,
          // captured before completion. A device that verified them would pass them on.
          expect(badSum || (udp?.checksum === 0 && layer(w, 'ipv6') !== undefined)).toBe(true);
          if (tl.proto !== 'gre') d = port.decapsulate(rec.data.slice(), i, { checksumVerified: true });
        }
        if (d.ok) {
          expect(w.inner, `${file} #${i + 1}: the walker found no inner frame`).toBeDefined();
          expect(d.inner, `${file} #${i + 1}`).toEqual(w.inner!.bytes);
          expect(d.innerEtherType).toBe(w.inner!.etherType);
          if (tl.proto !== 'gre') expect(norm(d.metadata)).toEqual(norm(tunnelMetadataFromLayers(w.layers)));
          same++;
        } else {
          why[d.reason] = (why[d.reason] ?? 0) + 1;
          expect(d.message.length).toBeGreaterThan(10);
          // A packet the walker decoded cleanly is dropped only by policy.
          const policy = ['unknown-critical-option', 'inner-vlan', 'wrong-tunnel-type', 'reserved-bits', 'bad-version', 'stt-incomplete', 'truncated', 'malformed', ...(badSum ? ['bad-checksum'] : [])];
          if (w.errors.length === 0 && w.inner && !w.partial) expect(policy, `${file} #${i + 1}: ${d.message}`).toContain(d.reason);
        }
      });
      if (required[file] !== undefined) expect(same, JSON.stringify(why)).toBeGreaterThanOrEqual(required[file]!);
    });
  }
});
