/**
 * Every drop reason of the tunnel port, each from a crafted packet: a good frame made by a port, then
 * one field changed (checksums fixed up where the case is not about them). Each drop is counted under
 * its reason and carries a message with the numbers measured. Also: what the options accept
 * (`udp6ZeroChecksumRx`, `vxlanReservedBits: 'ignore'`, `allowReservedVsid`), and unknown non-critical
 * Geneve options passing through decapsulation and re-encapsulation byte-exact.
 */
import { describe, expect, it } from 'vitest';
import { TunnelPort, type TunnelPortConfig } from '../../src/port/port.js';
import type { DropReason, PortType } from '../../src/port/types.js';
import { put16, put32, u16 } from '../../src/net/bytes.js';
import { fold, internetChecksum, onesSum } from '../../src/net/checksum.js';
import { pseudoHeaderSum } from '../../src/net/udp.js';
import { Ipv4View } from '../../src/net/ipv4.js';
import type { GeneveOption } from '../../src/geneve/fields.js';
import { OptionRegistry } from '../../src/tlv/registry.js';
import type { TunnelMetadata } from '../../src/tlv/metadata.js';

const V4 = ['192.0.2.1', '192.0.2.2'] as const;
const V6 = ['2001:db8::1', '2001:db8::2'] as const;

function udp4Inner(tos = 0, len = 16): Uint8Array {
  const b = new Uint8Array(14 + 20 + 8 + len);
  b.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0]);
  b[14] = 0x45;
  b[15] = tos;
  put16(b, 16, 28 + len);
  b[20] = 0x40;
  b[22] = 64;
  b[23] = 17;
  b.set([10, 0, 0, 1], 26);
  b.set([10, 0, 0, 2], 30);
  Ipv4View.unchecked(b, 14).fillChecksum();
  put16(b, 38, 8 + len);
  return b;
}
const INNER = udp4Inner();

function ports(type: PortType, u: typeof V4 | typeof V6, tx: Partial<TunnelPortConfig> = {}, rx: Partial<TunnelPortConfig> = {}): [TunnelPort, TunnelPort] {
  const id = type === 'nvgre' ? 0x1000n : 100n;
  return [
    new TunnelPort({ type, local: u[0], remote: u[1], tunnelId: id, ...tx } as TunnelPortConfig),
    new TunnelPort({ type, local: u[1], remote: u[0], tunnelId: id, ...rx } as TunnelPortConfig),
  ];
}

function wire(tx: TunnelPort, inner: Uint8Array = INNER, meta: Partial<TunnelMetadata> = {}): Uint8Array {
  const out = new Uint8Array(inner.length + 400);
  const r = tx.encapsulate(inner, meta, out, 0);
  if (!r.ok) throw new Error(r.message);
  return out.slice(0, r.length);
}

const ipLen = (f: Uint8Array): number => (f[14]! >>> 4 === 4 ? 20 : 40);
/** Offset of the outer L4 (UDP/GRE/TCP) header. */
const l4At = (f: Uint8Array): number => 14 + ipLen(f);
/** Offset of the tunnel header after UDP. */
const tunAt = (f: Uint8Array): number => l4At(f) + 8;

/** Recompute the outer IPv4 header checksum, and the UDP (if nonzero) or TCP checksum. */
function fix(f: Uint8Array): Uint8Array {
  const v4 = f[14]! >>> 4 === 4;
  const proto = v4 ? f[23]! : f[20]!;
  if (v4) {
    put16(f, 24, 0);
    put16(f, 24, internetChecksum(f, 14, 34));
  }
  const l4 = l4At(f);
  const at = proto === 17 ? l4 + 6 : proto === 6 ? l4 + 16 : -1;
  if (at >= 0 && (proto === 6 || u16(f, at) !== 0)) {
    put16(f, at, 0);
    const c = ~fold(onesSum(f, l4) + pseudoHeaderSum(f, 14, proto, f.length - l4)) & 0xffff;
    put16(f, at, c === 0 && proto === 17 ? 0xffff : c);
  }
  return f;
}

function expectDrop(rx: TunnelPort, f: Uint8Array, reason: DropReason, text?: string | RegExp): void {
  const before = rx.stats.drops[reason] ?? 0;
  const rxBefore = rx.stats.rxPackets;
  const d = rx.decapsulate(f);
  expect(d).toMatchObject({ ok: false, reason });
  if (d.ok) return;
  expect(d.message.length).toBeGreaterThan(15);
  if (text) expect(d.message).toMatch(text);
  expect(rx.stats.drops[reason]).toBe(before + 1);
  expect(rx.stats.rxPackets).toBe(rxBefore);
}

describe('receive drops, one crafted packet per reason', () => {
  it('truncated: at every layer (Ethernet, IP, UDP, tunnel header, Geneve options, inner Ethernet)', () => {
    const [tx, rx] = ports('geneve', V4, { geneveOptions: [OptionRegistry.withBuiltins().encodeOption('ovn.ports', { ingressPort: 1, egressPort: 2 })] });
    const f = wire(tx);
    expectDrop(rx, f.slice(0, 10), 'truncated', /Ethernet.*10 bytes/);
    expectDrop(rx, f.slice(0, 30), 'truncated', /IPv4 header.*16 bytes/);
    // Claimed lengths longer than the bytes: the IP total length, then the UDP length.
    expectDrop(rx, f.slice(0, f.length - 1), 'truncated', /total length \d+, frame holds/);
    const g = f.slice();
    put16(g, 38, u16(g, 38) + 4);
    expectDrop(rx, fix(g), 'truncated', /UDP length/);
    const short = (n: number): Uint8Array => {
      const h = f.slice(0, n);
      put16(h, 16, n - 14);
      put16(h, 38, n - 34);
      return fix(h);
    };
    expectDrop(rx, short(38), 'truncated', /UDP header.*4 bytes/);
    expectDrop(rx, short(46), 'truncated', /geneve header.*4 bytes/);
    expectDrop(rx, short(54), 'truncated', /Geneve header with 8 option bytes: 12 bytes present, need 16/);
    expectDrop(rx, short(64), 'truncated', /inner Ethernet frame: 6 bytes, need 14/);
    const [tx6, rx6] = ports('vxlan', V6);
    expectDrop(rx6, wire(tx6).slice(0, 40), 'truncated', /IPv6 header.*26 bytes/);
    expect(rx.stats.drops).toEqual({ truncated: 8 });
  });

  it('malformed: outer IPv4 fragment, bad IHL, Geneve option overrunning Opt Len, unsupported GPE next protocol', () => {
    const [tx, rx] = ports('vxlan', V4);
    const frag = wire(tx);
    put16(frag, 20, 0x2000); // MF
    expectDrop(rx, fix(frag), 'malformed', /fragment/);
    const ihl = wire(tx);
    ihl[14] = 0x44;
    expectDrop(rx, ihl, 'malformed', /IHL 4/);
    const [gtx, grx] = ports('geneve', V4, { geneveOptions: [{ optionClass: 0xffff, type: 1, critical: false, rbits: 0, data: new Uint8Array(4) }] });
    const g = wire(gtx);
    g[tunAt(g) + 8 + 3] = 2; // option claims 2 data words inside Opt Len 2 words
    expectDrop(grx, fix(g), 'malformed', /overruns Opt Len 8/);
    const [ptx, prx] = ports('vxlan-gpe', V4);
    const p = wire(ptx);
    p[tunAt(p) + 3] = 4; // NSH
    expectDrop(prx, fix(p), 'malformed', /next protocol 4/);
  });

  it('not-tunnel: not IP, not for the local address, another IP protocol, an unrelated UDP port, the other IP family', () => {
    const [tx, rx] = ports('vxlan', V4);
    const arp = wire(tx);
    put16(arp, 12, 0x0806);
    expectDrop(rx, arp, 'not-tunnel', /EtherType 0x0806/);
    const other = wire(tx);
    other[33] = 99;
    expectDrop(rx, fix(other), 'not-tunnel', /destination 192\.0\.2\.99 is not local 192\.0\.2\.2/);
    const tcp = wire(tx);
    tcp[23] = 6;
    expectDrop(rx, fix(tcp), 'not-tunnel', /IP protocol 6/);
    const dns = wire(tx);
    put16(dns, 36, 53);
    expectDrop(rx, fix(dns), 'not-tunnel', /port 53/);
    const [tx6] = ports('vxlan', V6);
    expectDrop(rx, wire(tx6), 'not-tunnel', /IPv6 packet/);
  });

  it('wrong-tunnel-type: another tunnel\'s UDP port; GRE that is not NVGRE', () => {
    const [tx, rx] = ports('vxlan', V4);
    const g = wire(tx);
    put16(g, 36, 6081);
    expectDrop(rx, fix(g), 'wrong-tunnel-type', /port 6081.*4789/);
    const [ntx, nrx] = ports('nvgre', V6);
    const n = wire(ntx);
    put16(n, l4At(n) + 2, 0x0800);
    expectDrop(nrx, n, 'wrong-tunnel-type', /protocol 0x0800 is not NVGRE/);
    const k = wire(ntx);
    put16(k, l4At(k), 0x0000);
    expectDrop(nrx, k, 'wrong-tunnel-type', /without key/);
  });

  it('bad-checksum: IPv4 header, nonzero UDP, zero UDP over IPv6, GRE, STT TCP', () => {
    const [tx, rx] = ports('vxlan', V4, { udpChecksum: true });
    const h = wire(tx);
    h[24] = h[24]! ^ 1;
    expectDrop(rx, h, 'bad-checksum', /IPv4 header checksum/);
    const u = wire(tx);
    u[u.length - 1] = u[u.length - 1]! ^ 0xff;
    expectDrop(rx, u, 'bad-checksum', /UDP checksum 0x[0-9a-f]{4} does not verify/);
    const [tx6, rx6] = ports('geneve', V6, { udpChecksum: false });
    const z = wire(tx6);
    expect(u16(z, tunAt(z) - 2)).toBe(0);
    expectDrop(rx6, z, 'bad-checksum', /zero UDP checksum over IPv6/);
    // The same packet is accepted when zero checksums are configured (RFC 6935/6936).
    const [, rx6z] = ports('geneve', V6, {}, { udp6ZeroChecksumRx: true });
    expect(rx6z.decapsulate(wire(tx6)).ok).toBe(true);
    // GRE with C set: 4 more bytes (checksum + reserved1) between the first word and the key.
    const [ntx, nrx] = ports('nvgre', V4);
    const n = wire(ntx);
    const l4 = l4At(n);
    const c = new Uint8Array(n.length + 4);
    c.set(n.subarray(0, l4 + 4));
    c.set(n.subarray(l4 + 4), l4 + 8);
    put16(c, 16, u16(c, 16) + 4);
    put16(c, l4, 0xa000);
    put16(c, l4 + 4, internetChecksum(c, l4));
    fix(c);
    expect(nrx.decapsulate(c.slice()).ok).toBe(true); // a correct GRE checksum is accepted (as OVS does)
    c[c.length - 1] = c[c.length - 1]! ^ 0x55;
    expectDrop(nrx, c, 'bad-checksum', /GRE checksum/);
    const [stx, srx] = ports('stt', V4);
    const s = wire(stx);
    s[s.length - 1] = s[s.length - 1]! ^ 0x55;
    expectDrop(srx, s, 'bad-checksum', /STT TCP checksum/);
  });

  it('bad-version: VXLAN-GPE, Geneve, GRE, STT', () => {
    const [ptx, prx] = ports('vxlan-gpe', V4);
    const p = wire(ptx);
    p[tunAt(p)] = p[tunAt(p)]! | 0x10;
    expectDrop(prx, fix(p), 'bad-version', /VXLAN-GPE version 1/);
    const [gtx, grx] = ports('geneve', V6);
    const g = wire(gtx);
    g[tunAt(g)] = g[tunAt(g)]! | 0x40;
    expectDrop(grx, fix(g), 'bad-version', /Geneve version 1/);
    const [ntx, nrx] = ports('nvgre', V4);
    const n = wire(ntx);
    n[l4At(n) + 1] = n[l4At(n) + 1]! | 1;
    expectDrop(nrx, n, 'bad-version', /GRE version 1/);
    const [stx, srx] = ports('stt', V6);
    const s = wire(stx);
    s[l4At(s) + 20] = 1;
    expectDrop(srx, fix(s), 'bad-version', /STT version 1/);
  });

  it('reserved-bits: VXLAN I clear, VXLAN reserved bits (and G on a non-GBP port), GPE reserved, GRE R flag; accepted with vxlanReservedBits: ignore', () => {
    const [tx, rx] = ports('vxlan', V4);
    const i = wire(tx);
    i[tunAt(i)] = 0;
    expectDrop(rx, fix(i), 'reserved-bits', /I flag \(0x08\) clear/);
    for (const [at, v] of [
      [0, 0x0c],
      [0, 0x88],
      [1, 0x40],
      [3, 1],
      [7, 1],
    ] as const) {
      const r = wire(tx);
      r[tunAt(r) + at] = v;
      expectDrop(rx, fix(r), 'reserved-bits', /reserved bits set/);
      const [, lax] = ports('vxlan', V4, {}, { vxlanReservedBits: 'ignore' });
      expect(lax.decapsulate(r).ok).toBe(true);
    }
    // GBP ports accept G, D, A and the policy ID but not other flag bits or byte 7.
    const [gtx, grx] = ports('vxlan', V4, { gbp: true }, { gbp: true });
    const gb = wire(gtx, INNER, { gbp: { id: 7, flags: 0x48 } });
    const ok = grx.decapsulate(gb.slice());
    expect(ok.ok && ok.metadata.gbp).toEqual({ id: 7, flags: 0x48 });
    gb[tunAt(gb)] = gb[tunAt(gb)]! | 0x04;
    expectDrop(grx, fix(gb), 'reserved-bits');
    const [ptx, prx] = ports('vxlan-gpe', V4);
    const p = wire(ptx);
    p[tunAt(p) + 1] = 1;
    expectDrop(prx, fix(p), 'reserved-bits', /VXLAN-GPE/);
    const [ntx, nrx] = ports('nvgre', V4);
    const n = wire(ntx);
    n[l4At(n)] = n[l4At(n)]! | 0x40;
    expectDrop(nrx, n, 'reserved-bits', /GRE flags 0x6000/);
  });

  it('sender-not-allowed: a sender that is neither remote nor in acceptRemotes', () => {
    for (const type of ['vxlan', 'nvgre', 'stt'] as const) {
      const [tx, rx] = ports(type, V4);
      const f = wire(tx);
      f[29] = 77;
      expectDrop(rx, fix(f), 'sender-not-allowed', /sender 192\.0\.2\.77 is not 192\.0\.2\.1/);
    }
    const [tx, rx] = ports('vxlan', V4, {}, { acceptRemotes: ['192.0.2.77'] });
    const f = wire(tx);
    f[29] = 77;
    expect(rx.decapsulate(fix(f)).ok).toBe(true);
  });

  it('wrong-tunnel-id: an ID not served; NVGRE reserved VSIDs unless allowed', () => {
    const [tx, rx] = ports('geneve', V4);
    const f = wire(tx);
    f[tunAt(f) + 6] = 101;
    expectDrop(rx, fix(f), 'wrong-tunnel-id', /tunnel ID 0x65 is not served \(0x64\)/);
    const ntx = new TunnelPort({ type: 'nvgre', local: V4[0], remote: V4[1], tunnelId: 0xfffn, allowReservedVsid: true });
    const nrx = new TunnelPort({ type: 'nvgre', local: V4[1], remote: V4[0], tunnelId: 'flow' });
    expectDrop(nrx, wire(ntx), 'wrong-tunnel-id', /VSID 0x000fff is reserved/);
    const nrx2 = new TunnelPort({ type: 'nvgre', local: V4[1], remote: V4[0], tunnelId: 'flow', allowReservedVsid: true });
    expect(nrx2.decapsulate(wire(ntx)).ok).toBe(true);
    const [stx, srx] = ports('stt', V6, { tunnelId: 0xdeadbeefcafef00dn });
    expectDrop(srx, wire(stx), 'wrong-tunnel-id', /0xdeadbeefcafef00d/);
  });

  it('unknown-critical-option: the message names the class and type; the OVN option is known', () => {
    const crit: GeneveOption = { optionClass: 0xff77, type: 0x99, critical: true, rbits: 0, data: Uint8Array.of(1, 2, 3, 4) };
    const [tx, rx] = ports('geneve', V6, { geneveOptions: [crit] });
    expectDrop(rx, wire(tx), 'unknown-critical-option', /class 0xff77.*type 0x99/);
    const ovn = OptionRegistry.withBuiltins().encodeOption('ovn.ports', { ingressPort: 3, egressPort: 4 });
    const [otx, orx] = ports('geneve', V6, { geneveOptions: [ovn] });
    const d = orx.decapsulate(wire(otx));
    expect(d.ok && d.metadata.geneveOptions).toEqual([ovn]);
  });

  it('unknown non-critical Geneve options pass through decapsulation and re-encapsulation byte-exact', () => {
    const opts: GeneveOption[] = [
      { optionClass: 0xff01, type: 0x05, critical: false, rbits: 0, data: Uint8Array.from({ length: 64 }, (_, i) => i * 3) },
      { optionClass: 0x0129, type: 0x7f, critical: false, rbits: 0, data: new Uint8Array(0) },
    ];
    const [tx, rx] = ports('geneve', V4, { geneveOptions: opts }, { acceptTunnelIds: [100n] });
    const f = wire(tx);
    const hdr = f.slice(tunAt(f), tunAt(f) + 8 + 72);
    const d = rx.decapsulate(f.slice());
    if (!d.ok) throw new Error(d.message);
    expect(d.metadata.geneveOptions).toEqual(opts);
    // Forward them on another, flow-based port: the tunnel header comes out the same bytes.
    const fwd = new TunnelPort({ type: 'geneve', local: V4[0], remote: 'flow', tunnelId: 'flow' });
    const g = wire(fwd, d.inner, { ipDst: V4[1], tunnelId: d.metadata.tunnelId, geneveOptions: d.metadata.geneveOptions });
    expect(g.slice(tunAt(g), tunAt(g) + 80)).toEqual(hdr);
    expect(g.slice(tunAt(g) + 80)).toEqual(INNER);
  });

  it('inner-vlan: NVGRE drops an inner 802.1Q-tagged frame (RFC 7637 §3.3); VXLAN carries it', () => {
    const tagged = new Uint8Array(INNER.length + 4);
    tagged.set(INNER.subarray(0, 12));
    tagged.set([0x81, 0x00, 0x20, 0x2a], 12);
    tagged.set(INNER.subarray(12), 16);
    const [tx, rx] = ports('nvgre', V6);
    expectDrop(rx, wire(tx, tagged), 'inner-vlan', /VLAN tag.*0x8100/);
    const [vtx, vrx] = ports('vxlan', V4);
    const d = vrx.decapsulate(wire(vtx, tagged));
    expect(d.ok && d.inner).toEqual(tagged);
  });

  it('ecn-not-ect-ce: inner Not-ECT under outer CE', () => {
    const [tx, rx] = ports('vxlan', V4);
    const f = wire(tx, udp4Inner(0));
    f[15] = f[15]! | 3;
    expectDrop(rx, fix(f), 'ecn-not-ect-ce', /Not-ECT under outer CE/);
  });

  it('stt-incomplete: segments that do not complete a frame are counted, not errors', () => {
    const [tx, rx] = ports('stt', V4);
    const out = new Uint8Array(6000);
    const r = tx.encapsulate(udp4Inner(0, 3000), {}, out, 0);
    if (!r.ok) throw new Error(r.message);
    expect(r.segments.length).toBe(3);
    const first = out.slice(0, r.segments[0]);
    expectDrop(rx, first, 'stt-incomplete', /frame 0x[0-9a-f]{8} \(3060 bytes\) buffered/);
    expect(rx.sttReassembler.stats().pending).toBe(1);
  });
});

describe('transmit drops', () => {
  it('no-route, malformed metadata, mtu-exceeded — counted with messages', () => {
    const p = new TunnelPort({ type: 'vxlan', local: V4[0], remote: 'flow', tunnelId: 'flow', mtu: 600 });
    const out = new Uint8Array(3000);
    const cases: Array<[Partial<TunnelMetadata>, Uint8Array, DropReason, RegExp, { innerEtherType?: number }?]> = [
      [{ tunnelId: 1n }, INNER, 'no-route', /no ipDst/],
      [{ ipDst: V4[1] }, INNER, 'no-route', /no tunnelId/],
      [{ ipDst: 'nonsense', tunnelId: 1n }, INNER, 'no-route', /not an address/],
      [{ ipDst: V4[1], tunnelId: -1n }, INNER, 'malformed', /out of range/],
      [{ ipDst: V4[1], tunnelId: 1n }, INNER.subarray(14), 'malformed', /Ethernet frames only/, { innerEtherType: 0x0800 }],
      [{ ipDst: V4[1], tunnelId: 1n }, udp4Inner(0, 1000), 'mtu-exceeded', /1078-byte IP packet \(underlay MTU 600\): inner IP MTU 550/],
    ];
    for (const [meta, inner, reason, text, opts] of cases) {
      const r = p.encapsulate(inner, meta, out, 0, opts);
      expect(r).toMatchObject({ ok: false, reason });
      if (!r.ok) expect(r.message).toMatch(text);
    }
    expect(p.stats.drops).toEqual({ 'no-route': 3, malformed: 2, 'mtu-exceeded': 1 });
    expect(p.stats.txPackets).toBe(0);
    const geneve = new TunnelPort({ type: 'geneve', local: V4[0], remote: V4[1], tunnelId: 1n });
    const many = Array.from({ length: 3 }, (_, i): GeneveOption => ({ optionClass: 0xffff, type: i, critical: false, rbits: 0, data: new Uint8Array(124) }));
    expect(geneve.encapsulate(INNER, { geneveOptions: many }, out, 0)).toMatchObject({ ok: false, reason: 'malformed', message: expect.stringContaining('more than 252') });
  });

  it('a GRE keyed frame (put32) stays unchanged otherwise', () => {
    const [tx] = ports('nvgre', V4);
    const f = wire(tx, INNER, { flowId: 0x5a });
    expect(u16(f, l4At(f))).toBe(0x2000);
    const key = new Uint8Array(4);
    put32(key, 0, (0x1000 << 8) | 0x5a);
    expect(f.slice(l4At(f) + 4, l4At(f) + 8)).toEqual(key);
  });
});
