import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { fold, onesSum } from '../../src/net/checksum.js';
import { Ipv4View } from '../../src/net/ipv4.js';
import { l4ChecksumValid } from '../../src/net/udp.js';
import { deriveOffloadDescriptor, type OffloadDescriptor } from '../../src/offload-hints/descriptor.js';
import {
  DPDK_TX_OFFLOAD_BITS,
  DpdkTunnelType,
  RTE_MBUF_F_TX_IEEE1588_TMST,
  RTE_MBUF_F_TX_IP_CKSUM,
  RTE_MBUF_F_TX_IPV4,
  RTE_MBUF_F_TX_IPV6,
  RTE_MBUF_F_TX_L4_MASK,
  RTE_MBUF_F_TX_MACSEC,
  RTE_MBUF_F_TX_OFFLOAD_MASK,
  RTE_MBUF_F_TX_OUTER_IP_CKSUM,
  RTE_MBUF_F_TX_OUTER_IPV4,
  RTE_MBUF_F_TX_OUTER_IPV6,
  RTE_MBUF_F_TX_OUTER_UDP_CKSUM,
  RTE_MBUF_F_TX_QINQ,
  RTE_MBUF_F_TX_SCTP_CKSUM,
  RTE_MBUF_F_TX_SEC_OFFLOAD,
  RTE_MBUF_F_TX_TCP_CKSUM,
  RTE_MBUF_F_TX_TCP_SEG,
  RTE_MBUF_F_TX_TUNNEL_GENEVE,
  RTE_MBUF_F_TX_TUNNEL_GRE,
  RTE_MBUF_F_TX_TUNNEL_IP,
  RTE_MBUF_F_TX_TUNNEL_IPIP,
  RTE_MBUF_F_TX_TUNNEL_MASK,
  RTE_MBUF_F_TX_TUNNEL_UDP,
  RTE_MBUF_F_TX_TUNNEL_VXLAN,
  RTE_MBUF_F_TX_TUNNEL_VXLAN_GPE,
  RTE_MBUF_F_TX_UDP_CKSUM,
  RTE_MBUF_F_TX_UDP_SEG,
  RTE_MBUF_F_TX_VLAN,
  decodeTxOffload,
  descriptorToDpdk,
  dpdkToDescriptor,
  dpdkTunnelType,
  encodeTxOffload,
  prepareChecksums,
  validateTxOffload,
  type DpdkTxOffload,
} from '../../src/offload-hints/dpdk.js';
import { DPDK_GENEVE_USO, DPDK_NVGRE_IPV6_TSO, DPDK_VXLAN_TSO, KERNEL_VXLAN_TCP_GSO, VIRTIO_VXLAN_TCP_WORKED, buildFrame, captureFrame, frameSpecArb, mssArb, type FrameSpec } from '../fixtures/offload.js';
import { txOffloadBp } from '../oracles/offload.js';

function derive(spec: FrameSpec, gsoSize?: number, extra: { outerUdpCsum?: boolean } = {}): { frame: Uint8Array; desc: OffloadDescriptor } {
  const b = buildFrame(spec);
  const r = deriveOffloadDescriptor(b.frame, { ...(gsoSize === undefined ? {} : { gsoSize }), ...extra });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return { frame: b.frame, desc: r.value };
}
function toDpdk(desc: OffloadDescriptor): DpdkTxOffload {
  const r = descriptorToDpdk(desc);
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
}
const be64 = (w: bigint): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(w);
  return b;
};
const word16 = (b: Uint8Array, i: number): number => (b[i]! << 8) | b[i + 1]!;

/** An independent pseudo-header sum straight from the bytes (RFC 768 / RFC 8200 §8.1), `len` as given. */
function refPseudo(b: Uint8Array, ipAt: number, proto: number, len: number): number {
  const v6 = b[ipAt]! >>> 4 === 6;
  const [src, n] = v6 ? [ipAt + 8, 32] : [ipAt + 12, 8];
  let s = proto + (len >>> 16) + (len & 0xffff);
  for (let k = 0; k < n; k += 2) s += word16(b, src + k);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

describe('DPDK constants (offload.md §4.1)', () => {
  it('ol_flags bits', () => {
    expect([RTE_MBUF_F_TX_OUTER_UDP_CKSUM, RTE_MBUF_F_TX_UDP_SEG, RTE_MBUF_F_TX_SEC_OFFLOAD, RTE_MBUF_F_TX_MACSEC]).toEqual([1n << 41n, 1n << 42n, 1n << 43n, 1n << 44n]);
    expect([RTE_MBUF_F_TX_QINQ, RTE_MBUF_F_TX_TCP_SEG, RTE_MBUF_F_TX_IEEE1588_TMST]).toEqual([1n << 49n, 1n << 50n, 1n << 51n]);
    expect([RTE_MBUF_F_TX_TCP_CKSUM, RTE_MBUF_F_TX_SCTP_CKSUM, RTE_MBUF_F_TX_UDP_CKSUM, RTE_MBUF_F_TX_L4_MASK]).toEqual([1n << 52n, 2n << 52n, 3n << 52n, 3n << 52n]);
    expect([RTE_MBUF_F_TX_IP_CKSUM, RTE_MBUF_F_TX_IPV4, RTE_MBUF_F_TX_IPV6, RTE_MBUF_F_TX_VLAN]).toEqual([1n << 54n, 1n << 55n, 1n << 56n, 1n << 57n]);
    expect([RTE_MBUF_F_TX_OUTER_IP_CKSUM, RTE_MBUF_F_TX_OUTER_IPV4, RTE_MBUF_F_TX_OUTER_IPV6]).toEqual([1n << 58n, 1n << 59n, 1n << 60n]);
    expect(RTE_MBUF_F_TX_TUNNEL_MASK).toBe(0xfn << 45n);
    const tunnels = [RTE_MBUF_F_TX_TUNNEL_VXLAN, RTE_MBUF_F_TX_TUNNEL_GRE, RTE_MBUF_F_TX_TUNNEL_IPIP, RTE_MBUF_F_TX_TUNNEL_GENEVE, RTE_MBUF_F_TX_TUNNEL_VXLAN_GPE, RTE_MBUF_F_TX_TUNNEL_IP, RTE_MBUF_F_TX_TUNNEL_UDP];
    expect(tunnels.map(dpdkTunnelType)).toEqual([1, 2, 3, 4, 6, 0xd, 0xe]);
    expect(DpdkTunnelType).toMatchObject({ VXLAN: 1, GRE: 2, IPIP: 3, GENEVE: 4, MPLSINUDP: 5, VXLAN_GPE: 6, GTP: 7, ESP: 8, IP: 0xd, UDP: 0xe });
    // Bits 41..60 are all TX bits.
    expect(RTE_MBUF_F_TX_OFFLOAD_MASK).toBe(((1n << 61n) - 1n) ^ ((1n << 41n) - 1n));
  });
});

describe('tx_offload bitfield (rte_mbuf_core.h RTE_MBUF_*_OFS)', () => {
  it('fixtures pack to the words worked by hand, and the binary-parser twin reads them back', () => {
    for (const fx of [DPDK_VXLAN_TSO, DPDK_NVGRE_IPV6_TSO, DPDK_GENEVE_USO]) {
      const { olFlags: _f, ...lengths } = fx.tx;
      expect(encodeTxOffload(fx.tx)).toBe(fx.word);
      expect(decodeTxOffload(fx.word)).toEqual(lengths);
      expect(txOffloadBp.parse(be64(fx.word))).toEqual({ unused: 0, ...lengths });
    }
    // In host memory (little-endian x86/ARM) l2_len is the low 7 bits of byte 0.
    const mem = Buffer.alloc(8);
    mem.writeBigUInt64LE(DPDK_VXLAN_TSO.word);
    expect(mem[0]! & 0x7f).toBe(30);
    expect(Array.from(mem)).toEqual([0x1e, 0x0a, 0x20, 0x76, 0x05, 0x14, 0x1c, 0x00]);
  });
  const lengthsArb = fc.record({
    l2Len: fc.integer({ min: 0, max: 127 }),
    l3Len: fc.integer({ min: 0, max: 511 }),
    l4Len: fc.integer({ min: 0, max: 255 }),
    tsoSegsz: fc.integer({ min: 0, max: 0xffff }),
    outerL3Len: fc.integer({ min: 0, max: 511 }),
    outerL2Len: fc.integer({ min: 0, max: 127 }),
  });
  test.prop([lengthsArb], { numRuns: 1000 })('encode then decode over the whole domain; the twin agrees', (l) => {
    const w = encodeTxOffload(l);
    expect(w >> 56n).toBe(0n);
    expect(decodeTxOffload(w)).toEqual(l);
    expect(txOffloadBp.parse(be64(w))).toEqual({ unused: 0, ...l });
  });
  test.prop([fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })], { numRuns: 1000 })('decode of any 64-bit word agrees with the twin (unused bits ignored)', (w) => {
    const { unused, ...rest } = txOffloadBp.parse(be64(w)) as Record<string, number>;
    expect(decodeTxOffload(w)).toEqual(rest);
    expect(unused).toBe(Number(w >> 56n));
    expect(encodeTxOffload(decodeTxOffload(w))).toBe(w & ((1n << 56n) - 1n));
  });
  it('encode and decode refuse values out of range', () => {
    const z = { l2Len: 0, l3Len: 0, l4Len: 0, tsoSegsz: 0, outerL3Len: 0, outerL2Len: 0 };
    for (const [k, bits] of Object.entries(DPDK_TX_OFFLOAD_BITS)) {
      expect(() => encodeTxOffload({ ...z, [k]: 2 ** bits })).toThrow(RangeError);
      expect(() => encodeTxOffload({ ...z, [k]: -1 })).toThrow(RangeError);
    }
    expect(() => decodeTxOffload(-1n)).toThrow(RangeError);
    expect(() => decodeTxOffload(1n << 64n)).toThrow(RangeError);
  });
});

describe('descriptorToDpdk fixtures (tunnel meaning of l2_len)', () => {
  it('VXLAN TSO over the §1.3 frame: l2_len 30 = UDP 8 + VXLAN 8 + Ethernet 14', () => {
    const { frame, desc } = derive(VIRTIO_VXLAN_TCP_WORKED.spec, 1398);
    expect(toDpdk(desc)).toEqual(DPDK_VXLAN_TSO.tx);
    expect(dpdkToDescriptor(DPDK_VXLAN_TSO.tx, frame)).toEqual({ ok: true, value: desc });
    expect(validateTxOffload(DPDK_VXLAN_TSO.tx, { dataLength: frame.length }).ok).toBe(true);
  });
  it('NVGRE over IPv6, IPv6/TCP TSO: l2_len 22 = GRE 8 + Ethernet 14', () => {
    const { frame, desc } = derive(DPDK_NVGRE_IPV6_TSO.spec, 1440);
    expect(toDpdk(desc)).toEqual(DPDK_NVGRE_IPV6_TSO.tx);
    expect(dpdkToDescriptor(DPDK_NVGRE_IPV6_TSO.tx, frame)).toEqual({ ok: true, value: desc });
  });
  it('Geneve with an 8-byte option and an outer VLAN, USO: outer_l2_len 18, l2_len 38', () => {
    const { frame, desc } = derive(DPDK_GENEVE_USO.spec, 1000);
    expect(toDpdk(desc)).toEqual(DPDK_GENEVE_USO.tx);
    expect(dpdkToDescriptor(DPDK_GENEVE_USO.tx, frame)).toEqual({ ok: true, value: desc });
  });
  it('outer UDP checksum, VXLAN-GPE, checksum-only and untunneled requests', () => {
    const v = derive({ tunnel: 'vxlan', outerIp: 6, innerIp: 4, l4: 'udp', payloadLength: 300, outerUdpChecksum: true }).desc;
    expect(toDpdk(v)).toEqual({
      olFlags: RTE_MBUF_F_TX_UDP_CKSUM | RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_OUTER_IPV6 | RTE_MBUF_F_TX_OUTER_UDP_CKSUM | RTE_MBUF_F_TX_TUNNEL_VXLAN,
      l2Len: 30,
      l3Len: 20,
      l4Len: 8,
      tsoSegsz: 0,
      outerL2Len: 14,
      outerL3Len: 40,
    });
    const g = derive({ tunnel: 'vxlan-gpe', outerIp: 4, innerIp: 6, l4: 'tcp', payloadLength: 300, gpeInnerEthernet: false }).desc;
    expect(toDpdk(g)).toMatchObject({ olFlags: RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_OUTER_IPV4 | RTE_MBUF_F_TX_TUNNEL_VXLAN_GPE, l2Len: 16 });
    const n = derive({ tunnel: 'none', outerIp: 4, innerIp: 4, l4: 'tcp', payloadLength: 300, outerVlans: 2 }).desc;
    expect(toDpdk(n)).toEqual({ olFlags: RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_IPV4, l2Len: 22, l3Len: 20, l4Len: 20, tsoSegsz: 0, outerL2Len: 0, outerL3Len: 0 });
    expect(descriptorToDpdk(n, { ipChecksums: true })).toMatchObject({ ok: true, value: { olFlags: RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM } });
    expect(toDpdk({ ...n, csum: { kind: 'unnecessary', level: 0 } }).olFlags).toBe(RTE_MBUF_F_TX_IPV4);
  });
  it('what DPDK cannot carry: STT, and lengths beyond their bitfields', () => {
    const { desc } = derive({ tunnel: 'vxlan', outerIp: 4, innerIp: 4, l4: 'tcp', payloadLength: 100 });
    expect(descriptorToDpdk({ ...desc, tunnel: 'stt' })).toMatchObject({ ok: false, error: { kind: 'unsupported', field: 'tunnel' } });
    const big = derive({
      tunnel: 'geneve',
      outerIp: 4,
      innerIp: 4,
      l4: 'tcp',
      payloadLength: 100,
      geneveOptions: [0, 1, 2, 3].map((k) => ({ optionClass: k, type: 1, critical: false, rbits: 0, data: new Uint8Array(24) })),
    }).desc;
    expect(descriptorToDpdk(big)).toMatchObject({ ok: false, error: { kind: 'unsupported', field: 'l2Len', found: 8 + 8 + 112 + 14 } });
  });
  it('hints without a frame', () => {
    expect(dpdkToDescriptor(DPDK_VXLAN_TSO.tx)).toEqual({
      ok: true,
      value: {
        tunnel: 'vxlan',
        csum: { kind: 'partial', csumStart: 84, csumOffset: 16 },
        outerUdpCsum: false,
        gso: { type: 'tcpv4', size: 1398, tunnel: 'udp-tunnel' },
        outer: { l2Offset: 0, l3Offset: 14, l3Length: 20, l4Offset: 34, ipVersion: 4, l4Protocol: 17 },
        inner: { l3Offset: 64, l3Length: 20, l4Offset: 84, ipVersion: 4, l4Protocol: 6, l4Length: 32 },
      },
    });
  });
  it('the inner-only form of mbuf_lib.rst (no OUTER flags): l2_len reaches the inner IP header', () => {
    const { frame, desc } = derive(VIRTIO_VXLAN_TCP_WORKED.spec, 1398);
    const inner: DpdkTxOffload = {
      olFlags: RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_TCP_SEG,
      l2Len: 64,
      l3Len: 20,
      l4Len: 32,
      tsoSegsz: 1398,
      outerL2Len: 0,
      outerL3Len: 0,
    };
    expect(dpdkToDescriptor(inner, frame)).toEqual({ ok: true, value: desc });
  });
  it('errors: invalid requests, unknown tunnel types, SCTP, requests that contradict the frame', () => {
    const { frame } = derive(VIRTIO_VXLAN_TCP_WORKED.spec, 1398);
    const e = (tx: DpdkTxOffload, f?: Uint8Array) => {
      const r = f ? dpdkToDescriptor(tx, f) : dpdkToDescriptor(tx);
      return r.ok ? null : [r.error.kind, r.error.field];
    };
    const t = DPDK_VXLAN_TSO.tx;
    expect(e({ ...t, tsoSegsz: 0 })).toEqual(['bad-value', 'tso-segsz-zero']);
    expect(e({ ...t, olFlags: (t.olFlags & ~RTE_MBUF_F_TX_TUNNEL_MASK) | RTE_MBUF_F_TX_TUNNEL_IPIP })).toEqual(['unsupported', 'tunnel_type']);
    expect(e({ ...t, olFlags: (t.olFlags & ~(RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_TCP_SEG)) | RTE_MBUF_F_TX_SCTP_CKSUM })).toEqual(['unsupported', 'ol_flags']);
    expect(e({ ...t, olFlags: t.olFlags | RTE_MBUF_F_TX_UDP_SEG })).toEqual(['bad-flags', 'ol_flags']);
    expect(e({ ...t, l2Len: 26 }, frame)).toEqual(['bad-value', 'inner.l3Offset']);
    expect(e({ ...t, l4Len: 20 }, frame)).toEqual(['bad-value', 'inner.l4Length']);
    expect(e({ ...t, olFlags: (t.olFlags & ~RTE_MBUF_F_TX_TUNNEL_MASK) | RTE_MBUF_F_TX_TUNNEL_GENEVE }, frame)).toEqual(['bad-value', 'tunnel']);
    expect(e(t, frame.subarray(0, 100))).toEqual(['bad-value', 'headers-not-contiguous']);
  });
});

describe('validateTxOffload (rte_validate_tx_offload)', () => {
  const base: DpdkTxOffload = { olFlags: 0n, l2Len: 14, l3Len: 20, l4Len: 20, tsoSegsz: 1448, outerL2Len: 0, outerL3Len: 0 };
  const rule = (tx: DpdkTxOffload, dataLength?: number) => {
    const r = validateTxOffload(tx, dataLength === undefined ? {} : { dataLength });
    return r.ok ? null : [r.error.rule, r.error.errno];
  };
  it.each([
    ['no offload bit at all (even absurd lengths)', { ...base, l2Len: 999 }, null],
    ['IP_CKSUM with IPV6', { ...base, olFlags: RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_IPV6 }, ['ip-cksum-with-ipv6', -22]],
    ['L4 checksum without IPV4/IPV6', { ...base, olFlags: RTE_MBUF_F_TX_UDP_CKSUM }, ['l4-without-ip-type', -22]],
    ['TCP_SEG without IPV4/IPV6', { ...base, olFlags: RTE_MBUF_F_TX_TCP_SEG }, ['l4-without-ip-type', -22]],
    ['TSO with tso_segsz 0', { ...base, tsoSegsz: 0, olFlags: RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV6 }, ['tso-segsz-zero', -22]],
    ['IPv4 TSO without IP_CKSUM', { ...base, olFlags: RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV4 }, ['tso-ipv4-without-ip-cksum', -22]],
    ['IPv4 TSO with IP_CKSUM', { ...base, olFlags: RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM }, null],
    ['OUTER_IP_CKSUM without OUTER_IPV4', { ...base, olFlags: RTE_MBUF_F_TX_OUTER_IP_CKSUM | RTE_MBUF_F_TX_OUTER_IPV6 }, ['outer-ip-cksum-without-outer-ipv4', -22]],
    ['UDP_SEG is not checked (as DPDK)', { ...base, tsoSegsz: 0, olFlags: RTE_MBUF_F_TX_UDP_SEG }, null],
    ['a length wider than its bitfield', { ...base, l2Len: 128, olFlags: RTE_MBUF_F_TX_IPV4 }, ['field-width', -22]],
  ] as const)('%s', (_n, tx, expected) => {
    expect(rule(tx)).toEqual(expected);
  });
  it('headers past the first segment are -ENOTSUP (outer lengths count only with OUTER_IP_CKSUM, as DPDK)', () => {
    const t = { ...base, olFlags: RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM };
    expect(rule(t, 54)).toBeNull();
    expect(rule(t, 53)).toEqual(['headers-not-contiguous', -95]);
    expect(rule(DPDK_VXLAN_TSO.tx, 115)).toEqual(['headers-not-contiguous', -95]);
    expect(rule(DPDK_VXLAN_TSO.tx, 116)).toBeNull();
  });
  test.prop([frameSpecArb, mssArb, fc.constantFrom<'partial' | 'none'>('partial', 'none')], { numRuns: 300 })('every request descriptorToDpdk makes validates', (spec, mss, csum) => {
    const b = buildFrame(spec);
    const d = deriveOffloadDescriptor(b.frame, { gsoSize: mss, csum });
    if (!d.ok) throw new Error('derive');
    const tx = descriptorToDpdk(d.value);
    if (tx.ok) expect(validateTxOffload(tx.value, { dataLength: b.frame.length })).toEqual({ ok: true, value: tx.value });
  });
});

describe('descriptor → DPDK → descriptor', () => {
  test.prop([frameSpecArb, mssArb, fc.constantFrom<'partial' | 'none'>('partial', 'none')], { numRuns: 400 })('over built frames (VXLAN, VXLAN-GPE, Geneve with options, NVGRE, none)', (spec, mss, csum) => {
    const b = buildFrame(spec);
    const d = deriveOffloadDescriptor(b.frame, { gsoSize: mss, csum });
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    const desc = d.value;
    const r = descriptorToDpdk(desc);
    const l2 = desc.outer ? desc.inner.l3Offset - desc.outer.l4Offset : desc.inner.l3Offset;
    expect(r.ok).toBe(l2 <= 127);
    if (!r.ok) {
      expect(r.error).toMatchObject({ kind: 'unsupported', field: 'l2Len', found: l2 });
      return;
    }
    // TSO implies the L4 checksum: a GSO descriptor without a partial checksum comes back partial.
    const expected: OffloadDescriptor = desc.gso && desc.csum.kind === 'none' ? { ...desc, csum: { kind: 'partial', csumStart: desc.inner.l4Offset, csumOffset: desc.inner.l4Protocol === 6 ? 16 : 6 } } : desc;
    expect(dpdkToDescriptor(r.value, b.frame)).toEqual({ ok: true, value: expected });
    const h = dpdkToDescriptor(r.value);
    expect(h.ok).toBe(true);
    if (!h.ok) return;
    const { l2Offset: _a, l2Length: _b, ...innerCarried } = desc.inner;
    expect(h.value.inner).toEqual(expected.csum.kind === 'partial' ? innerCarried : { ...innerCarried, l4Protocol: undefined, l4Length: undefined });
    if (desc.outer) expect(h.value.outer).toMatchObject({ l3Offset: desc.outer.l3Offset, l3Length: desc.outer.l3Length, l4Offset: desc.outer.l4Offset, ipVersion: desc.outer.ipVersion });
  });
});

describe('prepareChecksums (rte_net_intel_cksum_flags_prepare)', () => {
  it('kernel GSO super-frame: DPDK TSO seeds (length 0) differ from the Linux seeds (with length) by exactly the length', async () => {
    const frame = await captureFrame(KERNEL_VXLAN_TCP_GSO.capture, KERNEL_VXLAN_TCP_GSO.frame);
    const d = deriveOffloadDescriptor(frame, { gsoSize: KERNEL_VXLAN_TCP_GSO.gsoSize });
    if (!d.ok) throw new Error('derive');
    const tx = toDpdk(d.value);
    expect(tx).toEqual({ ...DPDK_VXLAN_TSO.tx, olFlags: DPDK_VXLAN_TSO.tx.olFlags | RTE_MBUF_F_TX_OUTER_UDP_CKSUM });
    const f = Uint8Array.from(frame);
    expect(prepareChecksums(f, tx)).toEqual({ ok: true, value: 4 });
    expect(word16(f, 14 + 10)).toBe(0); // outer IPv4 checksum
    expect(word16(f, 64 + 10)).toBe(0); // inner IPv4 checksum
    const tcpSeed = word16(f, 84 + 16);
    const udpSeed = word16(f, 34 + 6);
    expect(tcpSeed).toBe(refPseudo(f, 64, 6, 0));
    expect(udpSeed).toBe(refPseudo(f, 14, 17, 0));
    expect(fold(tcpSeed + (f.length - 84))).toBe(KERNEL_VXLAN_TCP_GSO.tcpSeed);
    expect(fold(udpSeed + (f.length - 34))).toBe(KERNEL_VXLAN_TCP_GSO.udpSeed);
    // Nothing else changed.
    const diff = [...f].flatMap((x, k) => (x !== frame[k] ? [k] : []));
    expect(diff.every((k) => [24, 25, 74, 75, 100, 101, 40, 41].includes(k))).toBe(true);
  });

  // The example: a frame whose inner IPv4 header checksum is 0x0000 and valid (found by CI's seed 1923826859).
  const zeroIpChecksum = { tunnel: 'none', outerIp: 4, innerIp: 4, l4: 'udp', payloadLength: 3725, tcpOptionsLength: 0, outerIpv4OptionsLength: 0, innerIpv4OptionsLength: 8, outerVlans: 0, innerVlans: 0, geneveOptions: [], gpeInnerEthernet: false, cwr: false, outerUdpChecksum: false } as unknown as FrameSpec;
  test.prop([frameSpecArb, fc.boolean(), fc.boolean()], { numRuns: 300, examples: [[zeroIpChecksum, false, false]] })(
    'checksum-only: the seed lets a device that sums csum_start..end produce a checksum that verifies',
    (spec, outerUdpCsum, ipChecksums) => {
      const b = buildFrame(spec);
      const d = deriveOffloadDescriptor(b.frame, { outerUdpCsum });
      if (!d.ok) throw new Error('derive');
      const tx = descriptorToDpdk(d.value, { ipChecksums });
      if (!tx.ok) return;
      const f = Uint8Array.from(b.frame);
      expect(prepareChecksums(f, tx.value).ok).toBe(true);
      const i = d.value.inner;
      const at = i.l4Offset + (i.l4Protocol === 6 ? 16 : 6);
      expect(word16(f, at)).toBe(refPseudo(f, i.l3Offset, i.l4Protocol, f.length - i.l4Offset));
      // Device: sum from csum_start to the end over the seeded field, store the complement.
      const c = ~onesSum(f, i.l4Offset, f.length) & 0xffff;
      f[at] = c >>> 8;
      f[at + 1] = c;
      expect(l4ChecksumValid(f, i.l3Offset, i.l4Protocol, i.l4Offset, f.length)).toBe(true);
      // IP checksums: zeroed for the device when it computes them, else left as they were (a valid
      // header checksum can itself be 0, so compare with the frame's own value).
      if (i.ipVersion === 4) expect(word16(f, i.l3Offset + 10)).toBe(ipChecksums ? 0 : word16(b.frame, i.l3Offset + 10));
      const o = d.value.outer;
      if (o && o.l4Protocol === 17) {
        const u = word16(f, o.l4Offset + 6);
        expect(u).toBe(outerUdpCsum ? refPseudo(f, o.l3Offset, 17, f.length - o.l4Offset) : 0);
      }
      if (o && o.ipVersion === 4) expect(word16(f, o.l3Offset + 10)).toBe(ipChecksums ? 0 : word16(b.frame, o.l3Offset + 10));
    },
  );

  it('no request: nothing written; headers past the frame: -ENOTSUP and nothing written; OUTER_UDP_CKSUM over GRE: -EINVAL', () => {
    const { frame, desc } = derive(DPDK_NVGRE_IPV6_TSO.spec);
    const f = Uint8Array.from(frame);
    expect(prepareChecksums(f, { ...toDpdk(desc), olFlags: RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_OUTER_IPV6 })).toEqual({ ok: true, value: 0 });
    expect(f).toEqual(frame);
    const v = derive(VIRTIO_VXLAN_TCP_WORKED.spec, 1398);
    const cut = Uint8Array.from(v.frame.subarray(0, 110));
    const r = prepareChecksums(cut, DPDK_VXLAN_TSO.tx);
    expect(r.ok ? null : [r.error.rule, r.error.errno]).toEqual(['headers-not-contiguous', -95]);
    expect(cut).toEqual(v.frame.subarray(0, 110));
    const n4 = derive({ ...DPDK_NVGRE_IPV6_TSO.spec, outerIp: 4 });
    const g = prepareChecksums(Uint8Array.from(n4.frame), { ...toDpdk(n4.desc), olFlags: toDpdk(n4.desc).olFlags | RTE_MBUF_F_TX_OUTER_UDP_CKSUM });
    expect(g.ok ? null : [g.error.rule, g.error.errno]).toEqual(['outer-udp-cksum-not-udp', -22]);
  });

  it('an inner request zeroes a UDP outer checksum but leaves a GRE header alone', () => {
    const v = derive({ tunnel: 'vxlan', outerIp: 4, innerIp: 4, l4: 'udp', payloadLength: 50, outerUdpChecksum: true }, undefined, { outerUdpCsum: false });
    expect(word16(v.frame, 40)).not.toBe(0);
    const f = Uint8Array.from(v.frame);
    prepareChecksums(f, toDpdk(v.desc));
    expect(word16(f, 40)).toBe(0);
    const n = derive({ tunnel: 'nvgre', outerIp: 4, innerIp: 4, l4: 'udp', payloadLength: 50 });
    const g = Uint8Array.from(n.frame);
    prepareChecksums(g, toDpdk(n.desc));
    expect(g.subarray(34, 42)).toEqual(n.frame.subarray(34, 42));
    expect(Ipv4View.unchecked(g, 14).checksumValid).toBe(true);
  });

  test.prop([fc.uint8Array({ maxLength: 200 }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.nat(200), fc.nat(200)], { numRuns: 500 })('random frames and requests never throw', (f, flags, l2, l3) => {
    expect(() => prepareChecksums(f, { olFlags: flags, l2Len: l2 & 127, l3Len: l3, l4Len: 20, tsoSegsz: 100, outerL2Len: 14, outerL3Len: 20 })).not.toThrow();
    expect(() => dpdkToDescriptor({ olFlags: flags, l2Len: l2 & 127, l3Len: l3, l4Len: 20, tsoSegsz: 100, outerL2Len: 14, outerL3Len: 20 }, f)).not.toThrow();
  });
});
