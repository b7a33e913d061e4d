/**
 * RFC 6040 through the port: the encapsulation table (normal mode, compatibility mode, and Linux's
 * inner CE → outer ECT(0)) and the full 4×4 decapsulation table of RFC 6040 §4.2 Figure 4 as copied in
 * shared/specs/outer-headers.md §7, both on the pure functions and end to end (outer ECN rewritten on
 * the wire, then decapsulated: the inner IPv4/IPv6 header gets the table's codepoint with its checksum
 * still valid, or the packet is dropped as `ecn-not-ect-ce`). STT: CE on any segment marks the frame.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { ECN_CE, ECN_DROP, ECN_ECT0, ECN_ECT1, ECN_NOT_ECT, ecnDecapsulate, ecnDecapSuspicious, ecnEncapsulate, setIpEcn, type EcnEncapMode } from '../../src/port/ecn.js';
import { TunnelPort } from '../../src/port/port.js';
import type { PortType } from '../../src/port/types.js';
import { Ipv4View } from '../../src/net/ipv4.js';
import { put16, u16 } from '../../src/net/bytes.js';
import { internetChecksum, onesSum } from '../../src/net/checksum.js';
import { walkPacket } from '../../src/walk/walker.js';

const NOT = ECN_NOT_ECT;
const E0 = ECN_ECT0;
const E1 = ECN_ECT1;
const CE = ECN_CE;
const D = ECN_DROP;
const CODES = [NOT, E0, E1, CE] as const;
const NAME: Record<number, string> = { [NOT]: 'Not-ECT', [E0]: 'ECT(0)', [E1]: 'ECT(1)', [CE]: 'CE', [D]: 'drop' };

/** outer-headers.md §7, egress table: DECAP[inner][outer] with inner/outer in the order Not-ECT, ECT(0), ECT(1), CE. */
const DECAP: number[][] = [
  [NOT, NOT, NOT, D],
  [E0, E0, E1, CE],
  [E1, E1, E1, CE],
  [CE, CE, CE, CE],
];
/** Cells marked (!!!) or (!) in Figure 4. */
const SUSPICIOUS: boolean[][] = [
  [false, true, true, true],
  [false, false, false, false],
  [false, true, false, false],
  [false, false, true, false],
];
/** Ingress table: outer ECN per mode for inner Not-ECT, ECT(0), ECT(1), CE. */
const ENCAP: Record<EcnEncapMode, number[]> = {
  rfc6040: [NOT, E0, E1, CE],
  compat: [NOT, NOT, NOT, NOT],
  linux: [NOT, E0, E1, E0],
};

describe('RFC 6040 tables (pure functions)', () => {
  CODES.forEach((inner, i) =>
    CODES.forEach((outer, o) => {
      it(`decap: inner ${NAME[inner]} under outer ${NAME[outer]} → ${NAME[DECAP[i]![o]!]}`, () => {
        expect(ecnDecapsulate(inner, outer)).toBe(DECAP[i]![o]);
        expect(ecnDecapSuspicious(inner, outer)).toBe(SUSPICIOUS[i]![o]);
      });
    }),
  );
  for (const mode of ['rfc6040', 'compat', 'linux'] as const) {
    it(`encap (${mode})`, () => {
      expect(CODES.map((c) => ecnEncapsulate(c, mode))).toEqual(ENCAP[mode]);
    });
  }

  test.prop([fc.uint8Array({ minLength: 20, maxLength: 20 }), fc.integer({ min: 0, max: 3 })])('setIpEcn on IPv4 keeps the header checksum valid and touches only the ECN bits and the checksum', (h, ecn) => {
    h[0] = 0x45;
    Ipv4View.unchecked(h, 0).fillChecksum();
    const before = h.slice();
    setIpEcn(h, 0, 4, ecn);
    expect(onesSum(h, 0, 20)).toBe(0xffff);
    expect(h[1]! & 3).toBe(ecn);
    expect(h[1]! & 0xfc).toBe(before[1]! & 0xfc);
    for (const i of [0, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 14, 15, 16, 17, 18, 19]) expect(h[i]).toBe(before[i]);
  });

  test.prop([fc.uint8Array({ minLength: 40, maxLength: 40 }), fc.integer({ min: 0, max: 3 })])('setIpEcn on IPv6 touches only the ECN bits of the Traffic Class', (h, ecn) => {
    h[0] = 0x60 | (h[0]! & 15);
    const before = h.slice();
    setIpEcn(h, 0, 6, ecn);
    expect((u16(h, 0) >>> 4) & 3).toBe(ecn);
    expect(u16(h, 0) & ~0x30).toBe(u16(before, 0) & ~0x30);
    expect(h.subarray(2)).toEqual(before.subarray(2));
  });
});

// ── end to end ────────────────────────────────────────────────────────────────

function inner4(ecn: number): Uint8Array {
  const b = new Uint8Array(14 + 20 + 8 + 16);
  b.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0]);
  b[14] = 0x45;
  b[15] = (26 << 2) | ecn;
  put16(b, 16, 44);
  b[20] = 0x40;
  b[22] = 64;
  b[23] = 17;
  b.set([10, 0, 0, 1], 26);
  b.set([10, 0, 0, 2], 30);
  Ipv4View.unchecked(b, 14).fillChecksum();
  put16(b, 38, 24);
  return b;
}
function inner6(ecn: number): Uint8Array {
  const b = new Uint8Array(14 + 40 + 8);
  b.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x86, 0xdd]);
  put16(b, 14, 0x6000 | (((10 << 2) | ecn) << 4) | 0xa);
  put16(b, 16, 0xbcde);
  put16(b, 18, 8);
  b[20] = 17;
  b[21] = 64;
  b[22] = 0xfd;
  b[37] = 1;
  b[38] = 0xfd;
  b[53] = 2;
  put16(b, 58, 8);
  return b;
}

/** Rewrite the outer ECN of a wire frame (IPv4: fix the header checksum). */
function setOuterEcn(f: Uint8Array, ecn: number): void {
  if (f[14]! >>> 4 === 4) {
    f[15] = (f[15]! & 0xfc) | ecn;
    put16(f, 24, 0);
    put16(f, 24, internetChecksum(f, 14, 34));
  } else put16(f, 14, (u16(f, 14) & 0xffcf) | (ecn << 4));
}

function innerEcnOf(bytes: Uint8Array, kind: 4 | 6, at: number): number {
  return kind === 4 ? bytes[at + 1]! & 3 : (u16(bytes, at) >>> 4) & 3;
}

const CASES: Array<[PortType, string, string]> = [
  ['vxlan', '192.0.2.1', '192.0.2.2'],
  ['vxlan', '2001:db8::1', '2001:db8::2'],
  ['geneve', '2001:db8::1', '2001:db8::2'],
  ['nvgre', '192.0.2.1', '192.0.2.2'],
  ['stt', '192.0.2.1', '192.0.2.2'],
  ['vxlan-gpe', '192.0.2.1', '192.0.2.2'],
];

describe('RFC 6040 end to end', () => {
  for (const [type, a, b] of CASES) {
    for (const v of [4, 6] as const) {
      it(`${type} over ${a.includes(':') ? 'IPv6' : 'IPv4'}, inner IPv${v}: every cell of the decapsulation table`, () => {
        const tx = new TunnelPort({ type, local: a, remote: b, tunnelId: 0x1000n });
        const rx = new TunnelPort({ type, local: b, remote: a, tunnelId: 0x1000n });
        let drops = 0;
        CODES.forEach((ie, i) =>
          CODES.forEach((oe, o) => {
            const inner = v === 4 ? inner4(ie) : inner6(ie);
            const out = new Uint8Array(300);
            const r = tx.encapsulate(inner, {}, out, 0);
            if (!r.ok) throw new Error(r.message);
            const f = out.slice(0, r.length);
            // The encapsulator copied the inner ECN (normal mode).
            expect(f[14]! >>> 4 === 4 ? f[15]! & 3 : (u16(f, 14) >>> 4) & 3).toBe(ie);
            setOuterEcn(f, oe);
            const d = rx.decapsulate(f);
            const want = DECAP[i]![o]!;
            if (want === D) {
              expect(d).toMatchObject({ ok: false, reason: 'ecn-not-ect-ce', message: expect.stringContaining('Not-ECT under outer CE') });
              drops++;
              return;
            }
            if (!d.ok) throw new Error(d.message);
            expect(innerEcnOf(d.inner, v, 14)).toBe(want);
            const w = walkPacket(d.inner.slice());
            const ip = w.layers.find((l) => l.proto === 'ipv4' || l.proto === 'ipv6')!;
            expect(ip).toMatchObject({ ecn: want, dscp: v === 4 ? 26 : 10 });
            if (ip.proto === 'ipv4') expect(ip.checksumValid).toBe(true);
            if (ip.proto === 'ipv6') expect(ip.flowLabel).toBe(0xabcde);
            // Only the ECN bits (and the IPv4 checksum) may differ from what was sent.
            const sent = v === 4 ? inner4(want) : inner6(want);
            if (v === 4) Ipv4View.unchecked(sent, 14).fillChecksum();
            expect(d.inner).toEqual(sent);
          }),
        );
        expect(drops).toBe(1);
        expect(rx.stats.drops).toEqual({ 'ecn-not-ect-ce': 1 });
      });
    }
  }

  it('non-IP inner frames (ARP) are forwarded under any outer ECN', () => {
    const tx = new TunnelPort({ type: 'vxlan', local: '192.0.2.1', remote: '192.0.2.2', tunnelId: 1n });
    const rx = new TunnelPort({ type: 'vxlan', local: '192.0.2.2', remote: '192.0.2.1', tunnelId: 1n });
    const arp = new Uint8Array(42);
    arp.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 8, 6]);
    for (const oe of CODES) {
      const out = new Uint8Array(200);
      const r = tx.encapsulate(arp, {}, out, 0);
      const f = out.slice(0, r.ok ? r.length : 0);
      expect(f[15]! & 3).toBe(NOT);
      setOuterEcn(f, oe);
      const d = rx.decapsulate(f);
      expect(d.ok && d.inner).toEqual(arp);
    }
  });

  for (const mode of ['rfc6040', 'compat', 'linux'] as const) {
    it(`encapsulation table through the port (${mode}), IPv4 and IPv6 inner`, () => {
      const p = new TunnelPort({ type: 'geneve', local: '192.0.2.1', remote: '192.0.2.2', tunnelId: 1n, ecnMode: mode });
      for (const v of [4, 6] as const) {
        const got = CODES.map((c) => {
          const out = new Uint8Array(300);
          const r = p.encapsulate(v === 4 ? inner4(c) : inner6(c), {}, out, 0);
          if (!r.ok) throw new Error(r.message);
          return out[15]! & 3;
        });
        expect(got).toEqual(ENCAP[mode]);
      }
    });
  }

  it('STT: CE on any one segment of a frame gives the reassembled inner packet CE (STT-08 §3.3.1)', () => {
    const tx = new TunnelPort({ type: 'stt', local: '192.0.2.1', remote: '192.0.2.2', tunnelId: 9n });
    const rx = new TunnelPort({ type: 'stt', local: '192.0.2.2', remote: '192.0.2.1', tunnelId: 9n });
    const inner = new Uint8Array(4000);
    inner.set(inner4(E0).subarray(0, 34));
    put16(inner, 16, 4000 - 14);
    Ipv4View.unchecked(inner, 14).fillChecksum();
    for (const marked of [0, 1, 2]) {
      const out = new Uint8Array(6000);
      const r = tx.encapsulate(inner, {}, out, 0);
      if (!r.ok) throw new Error(r.message);
      const segs = r.segments.map((e, i) => out.slice(i ? r.segments[i - 1]! : 0, e));
      expect(segs.length).toBe(3);
      setOuterEcn(segs[marked]!, CE);
      let d;
      for (const s of segs) d = rx.decapsulate(s);
      if (!d || !d.ok) throw new Error('not reassembled');
      expect(d.inner[15]! & 3).toBe(CE);
      expect(onesSum(d.inner, 14, 34)).toBe(0xffff);
    }
  });
});
