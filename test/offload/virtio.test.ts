import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import type { OffloadDescriptor } from '../../src/offload-hints/descriptor.js';
import { deriveOffloadDescriptor } from '../../src/offload-hints/descriptor.js';
import {
  VIRTIO_NET_HDR_EMPTY,
  VIRTIO_NET_HDR_F_DATA_VALID,
  VIRTIO_NET_HDR_F_NEEDS_CSUM,
  VIRTIO_NET_HDR_F_RSC_INFO,
  VIRTIO_NET_HDR_F_UDP_TUNNEL_CSUM,
  VIRTIO_NET_HDR_GSO_ECN,
  VIRTIO_NET_HDR_GSO_NONE,
  VIRTIO_NET_HDR_GSO_TCPV4,
  VIRTIO_NET_HDR_GSO_TCPV6,
  VIRTIO_NET_HDR_GSO_UDP,
  VIRTIO_NET_HDR_GSO_UDP_L4,
  VIRTIO_NET_HDR_GSO_UDP_TUNNEL,
  VIRTIO_NET_HDR_GSO_UDP_TUNNEL_IPV4,
  VIRTIO_NET_HDR_GSO_UDP_TUNNEL_IPV6,
  VIRTIO_NET_HDR_LEN,
  VIRTIO_NET_HDR_MRG_RXBUF_LEN,
  VIRTIO_NET_HDR_V1_HASH_LEN,
  VIRTIO_NET_HDR_V1_HASH_TUNNEL_LEN,
  VIRTIO_NET_HDR_V1_LEN,
  VirtioNetFeature,
  VirtioNetHashReport,
  VirtioNetHdrView,
  descriptorToVirtio,
  emitVirtioNetHdr,
  parseVirtioNetHdr,
  validateVirtioNetHdr,
  virtioNetHdrFormatFor,
  virtioNetHdrLength,
  virtioToDescriptor,
  type VirtioNetHdrFields,
  type VirtioNetHdrFormat,
  type VirtioNetHdrLayout,
} from '../../src/offload-hints/virtio.js';
import {
  CHECKSUM_COMPLETE,
  CHECKSUM_NONE,
  CHECKSUM_PARTIAL,
  CHECKSUM_UNNECESSARY,
  ENCAP_TYPE_ETHER,
  ETH_P_TEB,
  SKB_GSO_DODGY,
  SKB_GSO_ESP,
  SKB_GSO_GRE,
  SKB_GSO_TCP_ECN,
  SKB_GSO_TCPV4,
  SKB_GSO_TCPV6,
  SKB_GSO_UDP,
  SKB_GSO_UDP_L4,
  SKB_GSO_UDP_TUNNEL,
  SKB_GSO_UDP_TUNNEL_CSUM,
  descriptorToLinuxGso,
  linuxToDescriptor,
  validateLinuxSkbOffload,
  type LinuxSkbOffload,
} from '../../src/offload-hints/linux.js';
import { KERNEL_VXLAN_TCP_GSO, VIRTIO_GENEVE_USO, VIRTIO_LEGACY_BE_TCPV4, VIRTIO_VXLAN_TCP_WORKED, buildFrame, captureFrame, frameSpecArb, mssArb, type FrameSpec } from '../fixtures/offload.js';
import { asBuffer } from '../oracles/buf.js';
import { virtioLegacyBl, virtioLegacyBp, virtioV1Bl, virtioV1Bp, virtioV1HashBl, virtioV1HashBp, virtioV1HashTunnelBl, virtioV1HashTunnelBp, type VirtioTwin } from '../oracles/offload.js';

const a5 = (n: number): Uint8Array => new Uint8Array(n).fill(0xa5);
const LAYOUTS: VirtioNetHdrLayout[] = ['legacy', 'mrg-rxbuf', 'v1', 'v1-hash', 'v1-hash-tunnel'];
const FORMATS: VirtioNetHdrFormat[] = [
  { layout: 'legacy', littleEndian: true },
  { layout: 'legacy', littleEndian: false },
  { layout: 'mrg-rxbuf', littleEndian: true },
  { layout: 'mrg-rxbuf', littleEndian: false },
  { layout: 'v1' },
  { layout: 'v1-hash' },
  { layout: 'v1-hash-tunnel' },
];

function derive(spec: FrameSpec, gsoSize?: number): { frame: Uint8Array; desc: OffloadDescriptor } {
  const b = buildFrame(spec);
  const r = deriveOffloadDescriptor(b.frame, gsoSize === undefined ? {} : { gsoSize });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return { frame: b.frame, desc: r.value };
}

function toVirtio(desc: OffloadDescriptor, layout: VirtioNetHdrLayout): VirtioNetHdrFields {
  const r = descriptorToVirtio(desc, layout);
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
}

/** Fields restricted to what a layout has (others 0). */
function fitLayout(f: VirtioNetHdrFields, layout: VirtioNetHdrLayout): VirtioNetHdrFields {
  const n = virtioNetHdrLength(layout);
  return {
    ...f,
    numBuffers: n > 10 ? f.numBuffers : 0,
    hashValue: n > 12 ? f.hashValue : 0,
    hashReport: n > 12 ? f.hashReport : 0,
    outerThOffset: n > 20 ? f.outerThOffset : 0,
    innerNhOffset: n > 20 ? f.innerNhOffset : 0,
  };
}

const fieldsArb: fc.Arbitrary<VirtioNetHdrFields> = fc.record({
  flags: fc.integer({ min: 0, max: 0xff }),
  gsoType: fc.integer({ min: 0, max: 0xff }),
  hdrLen: fc.integer({ min: 0, max: 0xffff }),
  gsoSize: fc.integer({ min: 0, max: 0xffff }),
  csumStart: fc.integer({ min: 0, max: 0xffff }),
  csumOffset: fc.integer({ min: 0, max: 0xffff }),
  numBuffers: fc.integer({ min: 0, max: 0xffff }),
  hashValue: fc.integer({ min: 0, max: 0xffffffff }),
  hashReport: fc.integer({ min: 0, max: 0xffff }),
  outerThOffset: fc.integer({ min: 0, max: 0xffff }),
  innerNhOffset: fc.integer({ min: 0, max: 0xffff }),
});
const formatArb = fc.constantFrom(...FORMATS);

describe('virtio-net constants (offload.md §1.1–§1.4)', () => {
  it('flags, GSO types, lengths, hash reports and feature bits', () => {
    expect([VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_F_DATA_VALID, VIRTIO_NET_HDR_F_RSC_INFO, VIRTIO_NET_HDR_F_UDP_TUNNEL_CSUM]).toEqual([1, 2, 4, 8]);
    expect([VIRTIO_NET_HDR_GSO_NONE, VIRTIO_NET_HDR_GSO_TCPV4, VIRTIO_NET_HDR_GSO_UDP, VIRTIO_NET_HDR_GSO_TCPV6, VIRTIO_NET_HDR_GSO_UDP_L4]).toEqual([0, 1, 3, 4, 5]);
    expect([VIRTIO_NET_HDR_GSO_UDP_TUNNEL_IPV4, VIRTIO_NET_HDR_GSO_UDP_TUNNEL_IPV6, VIRTIO_NET_HDR_GSO_UDP_TUNNEL, VIRTIO_NET_HDR_GSO_ECN]).toEqual([0x20, 0x40, 0x60, 0x80]);
    expect([VIRTIO_NET_HDR_LEN, VIRTIO_NET_HDR_MRG_RXBUF_LEN, VIRTIO_NET_HDR_V1_LEN, VIRTIO_NET_HDR_V1_HASH_LEN, VIRTIO_NET_HDR_V1_HASH_TUNNEL_LEN]).toEqual([10, 12, 12, 20, 24]);
    expect(LAYOUTS.map(virtioNetHdrLength)).toEqual([10, 12, 12, 20, 24]);
    expect(Object.values(VirtioNetHashReport)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(VirtioNetFeature).toMatchObject({ CSUM: 0, GUEST_CSUM: 1, GUEST_TSO4: 7, HOST_TSO4: 11, MRG_RXBUF: 15, GUEST_USO4: 54, HOST_USO: 56, HASH_REPORT: 57, GUEST_HDRLEN: 59, RSC_EXT: 61 });
    expect(VirtioNetFeature).toMatchObject({ GUEST_UDP_TUNNEL_GSO: 65, GUEST_UDP_TUNNEL_GSO_CSUM: 66, HOST_UDP_TUNNEL_GSO: 67, HOST_UDP_TUNNEL_GSO_CSUM: 68, GUEST_UDP_TUNNEL_GSO_MAPPED: 46, GUEST_UDP_TUNNEL_GSO_CSUM_MAPPED: 47 });
  });
  it('the layout Linux picks for a feature set', () => {
    const bit = (n: number): bigint => 1n << BigInt(n);
    expect(virtioNetHdrFormatFor(0n)).toEqual({ layout: 'legacy', littleEndian: undefined });
    expect(virtioNetHdrFormatFor(bit(15))).toEqual({ layout: 'mrg-rxbuf', littleEndian: undefined });
    expect(virtioNetHdrFormatFor(bit(32) | bit(15))).toEqual({ layout: 'v1', littleEndian: true });
    expect(virtioNetHdrFormatFor(bit(32) | bit(57))).toEqual({ layout: 'v1-hash', littleEndian: true });
    expect(virtioNetHdrFormatFor(bit(32) | bit(57) | bit(65))).toEqual({ layout: 'v1-hash-tunnel', littleEndian: true });
    expect(virtioNetHdrFormatFor(bit(32) | bit(67))).toEqual({ layout: 'v1-hash-tunnel', littleEndian: true });
  });
});

describe('virtio-net fixtures (deconstruct / construct / parse / emit)', () => {
  it('§1.3 worked example: VXLAN TCP, hdr_len 116, byte-exact from the descriptor', () => {
    const { frame, desc } = derive(VIRTIO_VXLAN_TCP_WORKED.spec, VIRTIO_VXLAN_TCP_WORKED.gsoSize);
    const f = toVirtio(desc, 'v1-hash-tunnel');
    expect(f).toEqual({
      ...VIRTIO_NET_HDR_EMPTY,
      flags: VIRTIO_NET_HDR_F_NEEDS_CSUM,
      gsoType: VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_UDP_TUNNEL_IPV4,
      hdrLen: 116,
      gsoSize: 1398,
      csumStart: 84,
      csumOffset: 16,
      outerThOffset: 34,
      innerNhOffset: 64,
    });
    const out = a5(24);
    expect(emitVirtioNetHdr(f, out, 0, { layout: 'v1-hash-tunnel' })).toBe(24);
    expect(out).toEqual(VIRTIO_VXLAN_TCP_WORKED.header);
    expect(parseVirtioNetHdr(VIRTIO_VXLAN_TCP_WORKED.header, 0, { layout: 'v1-hash-tunnel' })).toEqual({ ok: true, value: f });
    expect(virtioToDescriptor(f, frame)).toEqual({ ok: true, value: desc });
  });

  it('§1.3 Geneve USO example: outer_th 34, inner_nh 64, csum_start 84, csum_offset 6, gso_type 0x25', () => {
    const { frame, desc } = derive(VIRTIO_GENEVE_USO.spec, VIRTIO_GENEVE_USO.gsoSize);
    const f = toVirtio(desc, 'v1-hash-tunnel');
    const out = a5(24);
    emitVirtioNetHdr(f, out, 0, { layout: 'v1-hash-tunnel' });
    expect(out).toEqual(VIRTIO_GENEVE_USO.header);
    const v = VirtioNetHdrView.check(VIRTIO_GENEVE_USO.header, 0, { layout: 'v1-hash-tunnel' });
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    const h = v.value;
    expect([h.flags, h.gsoType, h.gsoInnerType, h.hdrLen, h.gsoSize, h.csumStart, h.csumOffset, h.outerThOffset, h.innerNhOffset]).toEqual([1, 0x25, 5, 92, 1000, 84, 6, 34, 64]);
    expect(virtioToDescriptor(f, frame)).toEqual({ ok: true, value: desc });
  });

  it('constructs the Geneve header through setters over 0xa5', () => {
    const buf = a5(24);
    const v = VirtioNetHdrView.unchecked(buf, 0, { layout: 'v1-hash-tunnel' });
    v.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    v.gsoType = VIRTIO_NET_HDR_GSO_UDP_L4 | VIRTIO_NET_HDR_GSO_UDP_TUNNEL_IPV4;
    v.hdrLen = 92;
    v.gsoSize = 1000;
    v.csumStart = 84;
    v.csumOffset = 6;
    v.numBuffers = 0;
    v.hashValue = 0;
    v.hashReport = 0;
    v.padding = 0;
    v.outerThOffset = 34;
    v.innerNhOffset = 64;
    expect(buf).toEqual(VIRTIO_GENEVE_USO.header);
  });

  it('legacy big-endian guest: 10 bytes in network order', () => {
    const { frame, desc } = derive(VIRTIO_LEGACY_BE_TCPV4.spec, VIRTIO_LEGACY_BE_TCPV4.gsoSize);
    const f = toVirtio(desc, 'legacy');
    const fmt = { layout: 'legacy', littleEndian: false } as const;
    const out = a5(10);
    expect(emitVirtioNetHdr(f, out, 0, fmt)).toBe(10);
    expect(out).toEqual(VIRTIO_LEGACY_BE_TCPV4.header);
    const p = parseVirtioNetHdr(VIRTIO_LEGACY_BE_TCPV4.header, 0, fmt);
    expect(p).toEqual({ ok: true, value: f });
    expect(p.ok && [p.value.hdrLen, p.value.gsoSize, p.value.csumStart]).toEqual([54, 1448, 34]);
    // Read as little-endian the same bytes mean something else.
    const le = parseVirtioNetHdr(VIRTIO_LEGACY_BE_TCPV4.header, 0, { layout: 'legacy' });
    expect(le.ok && le.value.hdrLen).toBe(0x3600);
    expect(virtioToDescriptor(f, frame, { layout: 'legacy' })).toEqual({ ok: true, value: desc });
  });

  it('kernel-vxlan-ipv4-tcp-gso.pcap frame 5: the header Linux writes for a real GSO super-frame', async () => {
    const frame = await captureFrame(KERNEL_VXLAN_TCP_GSO.capture, KERNEL_VXLAN_TCP_GSO.frame);
    const r = deriveOffloadDescriptor(frame, { gsoSize: KERNEL_VXLAN_TCP_GSO.gsoSize });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const f = toVirtio(r.value, 'v1-hash-tunnel');
    const out = a5(24);
    emitVirtioNetHdr(f, out, 0, { layout: 'v1-hash-tunnel' });
    expect(out).toEqual(KERNEL_VXLAN_TCP_GSO.header);
    expect(virtioToDescriptor(f, frame)).toEqual({ ok: true, value: r.value });
  });

  it('truncation sweep: every prefix of every fixture is a typed truncated error at the right place', () => {
    const fx: [Uint8Array, VirtioNetHdrFormat][] = [
      [VIRTIO_VXLAN_TCP_WORKED.header, { layout: 'v1-hash-tunnel' }],
      [VIRTIO_GENEVE_USO.header, { layout: 'v1-hash-tunnel' }],
      [VIRTIO_LEGACY_BE_TCPV4.header, { layout: 'legacy', littleEndian: false }],
      [VIRTIO_VXLAN_TCP_WORKED.header.subarray(0, 12), { layout: 'v1' }],
      [VIRTIO_VXLAN_TCP_WORKED.header.subarray(0, 20), { layout: 'v1-hash' }],
    ];
    for (const [bytes, fmt] of fx) {
      for (let k = 0; k < bytes.length; k++) {
        const big = a5(k + 3);
        big.set(bytes.subarray(0, k), 3);
        expect(parseVirtioNetHdr(big, 3, fmt)).toEqual({
          ok: false,
          error: { kind: 'truncated', layer: 'link', at: 3, field: 'virtio_net_hdr', found: k, allowed: `>= ${bytes.length} bytes` },
        });
        expect(VirtioNetHdrView.empty(fmt).wrap(big, 3)).toBe(1);
      }
      expect(parseVirtioNetHdr(bytes, 0, fmt).ok).toBe(true);
    }
  });
});

describe('VirtioNetHdrView and the fields form', () => {
  it('absent fields read 0 and refuse writes; v1 layouts refuse big-endian; setters check ranges', () => {
    const v = VirtioNetHdrView.unchecked(a5(10), 0, { layout: 'legacy' });
    expect([v.numBuffers, v.hashValue, v.hashReport, v.padding, v.outerThOffset, v.innerNhOffset]).toEqual([0, 0, 0, 0, 0, 0]);
    expect(() => (v.numBuffers = 1)).toThrow(RangeError);
    expect(() => (v.hashValue = 1)).toThrow(RangeError);
    expect(() => (v.outerThOffset = 1)).toThrow(RangeError);
    expect(() => VirtioNetHdrView.unchecked(a5(12), 0, { layout: 'v1', littleEndian: false })).toThrow(RangeError);
    expect(() => parseVirtioNetHdr(a5(24), 0, { layout: 'v1-hash-tunnel', littleEndian: false })).toThrow(RangeError);
    const w = VirtioNetHdrView.unchecked(a5(24), 0, { layout: 'v1-hash-tunnel' });
    expect(() => (w.flags = 256)).toThrow(RangeError);
    expect(() => (w.hdrLen = 0x10000)).toThrow(RangeError);
    expect(() => (w.hashValue = 2 ** 32)).toThrow(RangeError);
    expect(() => (w.csumStart = -1)).toThrow(RangeError);
    expect(w.headerLength).toBe(24);
    expect(w.payloadOffset).toBe(24);
  });
  it('emit refuses fields a layout lacks and short buffers', () => {
    expect(() => emitVirtioNetHdr({ ...VIRTIO_NET_HDR_EMPTY, hashValue: 1 }, a5(12), 0, { layout: 'v1' })).toThrow(RangeError);
    expect(() => emitVirtioNetHdr({ ...VIRTIO_NET_HDR_EMPTY, numBuffers: 1 }, a5(10), 0, { layout: 'legacy' })).toThrow(RangeError);
    expect(() => emitVirtioNetHdr({ ...VIRTIO_NET_HDR_EMPTY, innerNhOffset: 1 }, a5(20), 0, { layout: 'v1-hash' })).toThrow(RangeError);
    expect(() => emitVirtioNetHdr(VIRTIO_NET_HDR_EMPTY, a5(23), 0, { layout: 'v1-hash-tunnel' })).toThrow(RangeError);
    expect(() => emitVirtioNetHdr({ ...VIRTIO_NET_HDR_EMPTY, gsoSize: 0x10000 }, a5(12), 0, { layout: 'v1' })).toThrow(RangeError);
  });
  it('strict parse rejects reserved flag bits and nonzero padding; default ignores them', () => {
    const b = Uint8Array.from(VIRTIO_GENEVE_USO.header);
    b[0] = 0x11;
    expect(parseVirtioNetHdr(b, 0, { layout: 'v1-hash-tunnel' }).ok).toBe(true);
    const s = parseVirtioNetHdr(b, 0, { layout: 'v1-hash-tunnel' }, { strict: true });
    expect(s.ok ? null : [s.error.kind, s.error.field, s.error.found]).toEqual(['reserved-nonzero', 'flags', 0x11]);
    const c = Uint8Array.from(VIRTIO_GENEVE_USO.header);
    c[18] = 1;
    const t = parseVirtioNetHdr(c, 0, { layout: 'v1-hash-tunnel' }, { strict: true });
    expect(t.ok ? null : [t.error.kind, t.error.field, t.error.at]).toEqual(['reserved-nonzero', 'padding', 18]);
  });

  test.prop([fieldsArb, formatArb], { numRuns: 500 })('emit then parse returns the fields over the whole domain (every layout, both orders)', (f0, fmt) => {
    const f = fitLayout(f0, fmt.layout);
    const n = virtioNetHdrLength(fmt.layout);
    const out = a5(n + 7);
    expect(emitVirtioNetHdr(f, out, 7, fmt)).toBe(n);
    expect(parseVirtioNetHdr(out, 7, fmt)).toEqual({ ok: true, value: f });
  });

  test.prop([fc.uint8Array({ maxLength: 40 }), formatArb, fc.nat(8)], { numRuns: 500 })('parse of random bytes never throws; an ok result lies inside the input', (bytes, fmt, off) => {
    const r = parseVirtioNetHdr(bytes, off, fmt);
    if (r.ok) expect(off + virtioNetHdrLength(fmt.layout)).toBeLessThanOrEqual(bytes.length);
    else expect(r.error.kind).toBe('truncated');
  });

  test.prop([fc.uint8Array({ minLength: 24, maxLength: 24 }), formatArb], { numRuns: 500 })('emit(parse(b)) equals b on canonical input (padding 0)', (b, fmt) => {
    const n = virtioNetHdrLength(fmt.layout);
    const bytes = Uint8Array.from(b.subarray(0, n));
    if (n >= 20) bytes[18] = bytes[19] = 0;
    const r = parseVirtioNetHdr(bytes, 0, fmt);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const out = a5(n);
    emitVirtioNetHdr(r.value, out, 0, fmt);
    expect(out).toEqual(bytes);
  });

  test.prop([fc.uint8Array({ minLength: 24, maxLength: 24 }), formatArb, fc.nat(50)], { numRuns: 300 })('offset invariance', (b, fmt, k) => {
    const big = a5(k + 30);
    big.set(b, k);
    expect(parseVirtioNetHdr(big, k, fmt)).toEqual(parseVirtioNetHdr(b, 0, fmt));
  });

  test.prop([fc.uint8Array({ minLength: 24, maxLength: 24 })], { numRuns: 500 })('binary-parser and buffer-layout twins agree with the view on random bytes', (b) => {
    const buf = asBuffer(b);
    const pick = (layout: VirtioNetHdrLayout, le = true): VirtioTwin => {
      const v = VirtioNetHdrView.unchecked(b, 0, { layout, littleEndian: le });
      const t: VirtioTwin = { flags: v.flags, gsoType: v.gsoType, hdrLen: v.hdrLen, gsoSize: v.gsoSize, csumStart: v.csumStart, csumOffset: v.csumOffset };
      if (layout !== 'legacy') t.numBuffers = v.numBuffers;
      if (layout === 'v1-hash' || layout === 'v1-hash-tunnel') Object.assign(t, { hashValue: v.hashValue, hashReport: v.hashReport, padding: v.padding });
      if (layout === 'v1-hash-tunnel') Object.assign(t, { outerThOffset: v.outerThOffset, innerNhOffset: v.innerNhOffset });
      return t;
    };
    expect(virtioLegacyBp.little.parse(buf)).toEqual(pick('legacy'));
    expect(virtioLegacyBp.big.parse(buf)).toEqual(pick('legacy', false));
    expect(virtioV1Bp.little.parse(buf)).toEqual(pick('v1'));
    expect(virtioV1Bp.big.parse(buf)).toEqual(pick('mrg-rxbuf', false));
    expect(virtioV1HashBp.parse(buf)).toEqual(pick('v1-hash'));
    const t = virtioV1HashTunnelBp.parse(buf) as VirtioTwin & { hashValueLo: number; hashValueHi: number };
    const { hashValueLo, hashValueHi, ...rest } = t;
    expect({ ...rest, hashValue: (hashValueLo | (hashValueHi << 16)) >>> 0 }).toEqual(pick('v1-hash-tunnel'));
    expect(virtioLegacyBl.decode(buf)).toEqual(pick('legacy'));
    expect(virtioV1Bl.decode(buf)).toEqual(pick('v1'));
    expect(virtioV1HashBl.decode(buf)).toEqual(pick('v1-hash'));
    expect(virtioV1HashTunnelBl.decode(buf)).toEqual(pick('v1-hash-tunnel'));
  });
});

describe('validateVirtioNetHdr (Linux virtio_net_hdr_tnl_to_skb / __virtio_net_hdr_to_skb)', () => {
  const tnl: VirtioNetHdrFields = { ...VIRTIO_NET_HDR_EMPTY, flags: 1, gsoType: 0x21, hdrLen: 116, gsoSize: 1398, csumStart: 84, csumOffset: 16, outerThOffset: 34, innerNhOffset: 64 };
  const uso: VirtioNetHdrFields = { ...VIRTIO_NET_HDR_EMPTY, flags: 1, gsoType: 5, hdrLen: 42, gsoSize: 1000, csumStart: 34, csumOffset: 6 };
  const fail = (f: VirtioNetHdrFields, layout: VirtioNetHdrLayout = 'v1-hash-tunnel', opts = {}) => {
    const r = validateVirtioNetHdr(f, layout, opts);
    return r.ok ? null : [r.error.kind, r.error.field];
  };
  it('accepts the fixtures', () => {
    expect(fail(tnl)).toBeNull();
    expect(fail(uso, 'v1')).toBeNull();
    expect(fail(VIRTIO_NET_HDR_EMPTY, 'legacy')).toBeNull();
  });
  it.each([
    ['both tunnel bits', { ...tnl, gsoType: 0x61 }, 'v1-hash-tunnel', ['bad-flags', 'gso_type']],
    ['UFO as the inner type of a tunnel', { ...tnl, gsoType: 0x23 }, 'v1-hash-tunnel', ['bad-value', 'gso_type']],
    ['a tunnel bit with no inner type', { ...tnl, gsoType: 0x20 }, 'v1-hash-tunnel', ['bad-value', 'gso_type']],
    ['tunnel GSO in a layout without tunnel offsets', tnl, 'v1-hash', ['unsupported', 'gso_type']],
    ['tunnel GSO without NEEDS_CSUM', { ...tnl, flags: 0 }, 'v1-hash-tunnel', ['bad-flags', 'flags']],
    ['tunnel GSO with DATA_VALID', { ...tnl, flags: 3 }, 'v1-hash-tunnel', ['bad-flags', 'flags']],
    ['outer_th_offset before Ethernet + IPv4', { ...tnl, outerThOffset: 33 }, 'v1-hash-tunnel', ['bad-value', 'outer_th_offset']],
    ['outer_th_offset before Ethernet + IPv6', { ...tnl, gsoType: 0x41, outerThOffset: 53 }, 'v1-hash-tunnel', ['bad-value', 'outer_th_offset']],
    ['inner_nh_offset inside the outer UDP header', { ...tnl, innerNhOffset: 41 }, 'v1-hash-tunnel', ['bad-value', 'inner_nh_offset']],
    ['csum_start inside the inner IPv6 minimum', { ...tnl, gsoType: 0x24, csumStart: 100 }, 'v1-hash-tunnel', ['bad-value', 'csum_start']],
    ['an unknown inner type', { ...uso, gsoType: 2 }, 'v1', ['bad-value', 'gso_type']],
    ['gso_size 0', { ...uso, gsoSize: 0 }, 'v1', ['bad-value', 'gso_size']],
    ['gso_size GSO_BY_FRAGS', { ...uso, gsoSize: 0xffff }, 'v1', ['bad-value', 'gso_size']],
    ['ECN without a GSO type', { ...VIRTIO_NET_HDR_EMPTY, gsoType: 0x80 }, 'v1', ['bad-value', 'gso_type']],
    ['ECN with UDP_L4', { ...uso, gsoType: 0x85 }, 'v1', ['bad-value', 'gso_type']],
    ['UDP_L4 without NEEDS_CSUM', { ...uso, flags: 0 }, 'v1', ['bad-flags', 'flags']],
    ['UDP_L4 with csum_offset 16', { ...uso, csumOffset: 16 }, 'v1', ['bad-value', 'csum_offset']],
    ['TCPV4 with csum_offset 6', { ...uso, gsoType: 1, csumOffset: 6 }, 'v1', ['bad-value', 'csum_offset']],
    ['csum_start before a minimal IPv4 header', { ...uso, csumStart: 19 }, 'v1', ['bad-value', 'csum_start']],
    ['RSC_INFO with NEEDS_CSUM', { ...uso, flags: 5 }, 'v1', ['bad-flags', 'flags']],
  ] as const)('%s', (_n, f, layout, expected) => {
    expect(fail(f as VirtioNetHdrFields, layout)).toEqual(expected);
  });
  it('UDP_TUNNEL_CSUM when not negotiated, with tunnel GSO and with DATA_VALID', () => {
    expect(fail({ ...tnl, flags: 9 }, 'v1-hash-tunnel', { tunnelCsumNegotiated: false })).toEqual(['bad-flags', 'flags']);
    expect(fail({ ...VIRTIO_NET_HDR_EMPTY, flags: 10 }, 'v1', { tunnelCsumNegotiated: false })).toEqual(['bad-flags', 'flags']);
    expect(fail({ ...VIRTIO_NET_HDR_EMPTY, flags: 10 }, 'v1')).toBeNull();
  });
  test.prop([fc.uint8Array({ minLength: 24, maxLength: 24 }), formatArb, fc.uint8Array({ maxLength: 200 })], { numRuns: 1000 })(
    'random headers over random frames never throw',
    (b, fmt, frame) => {
      const p = parseVirtioNetHdr(b, 0, fmt);
      if (!p.ok) return;
      expect(() => validateVirtioNetHdr(p.value, fmt.layout)).not.toThrow();
      expect(() => virtioToDescriptor(p.value, undefined, { layout: fmt.layout })).not.toThrow();
      expect(() => virtioToDescriptor(p.value, frame, { layout: fmt.layout })).not.toThrow();
    },
  );
});

describe('descriptorToVirtio / virtioToDescriptor', () => {
  it('checksum states: unnecessary → DATA_VALID (+UDP_TUNNEL_CSUM at level 1), complete → nothing, outer-only → NEEDS_CSUM at the outer UDP', () => {
    const { frame, desc } = derive({ tunnel: 'vxlan', outerIp: 4, innerIp: 4, l4: 'tcp', payloadLength: 100 });
    const f = (d: OffloadDescriptor) => toVirtio(d, 'v1');
    expect(f({ ...desc, csum: { kind: 'unnecessary', level: 0 } }).flags).toBe(VIRTIO_NET_HDR_F_DATA_VALID);
    expect(f({ ...desc, csum: { kind: 'unnecessary', level: 1 } }).flags).toBe(VIRTIO_NET_HDR_F_DATA_VALID | VIRTIO_NET_HDR_F_UDP_TUNNEL_CSUM);
    expect(f({ ...desc, csum: { kind: 'complete', value: 0x1234 } })).toEqual(VIRTIO_NET_HDR_EMPTY);
    const outerOnly = { ...desc, csum: { kind: 'none' } as const, outerUdpCsum: true };
    expect(f(outerOnly)).toEqual({ ...VIRTIO_NET_HDR_EMPTY, flags: 1, csumStart: 34, csumOffset: 6 });
    expect(virtioToDescriptor(f(outerOnly), frame, { layout: 'v1' })).toEqual({ ok: true, value: outerOnly });
    const back = virtioToDescriptor(f({ ...desc, csum: { kind: 'unnecessary', level: 1 } }), frame, { layout: 'v1' });
    expect(back.ok && back.value.csum).toEqual({ kind: 'unnecessary', level: 1 });
  });

  it('what virtio cannot carry', () => {
    const nv = derive({ tunnel: 'nvgre', outerIp: 4, innerIp: 4, l4: 'tcp', payloadLength: 3000 }, 1000).desc;
    expect(descriptorToVirtio(nv, 'v1-hash-tunnel')).toMatchObject({ ok: false, error: { kind: 'unsupported', field: 'gso.tunnel' } });
    const vx = derive({ tunnel: 'vxlan', outerIp: 6, innerIp: 6, l4: 'tcp', payloadLength: 3000 }, 1000).desc;
    expect(descriptorToVirtio(vx, 'v1-hash')).toMatchObject({ ok: false, error: { kind: 'unsupported', field: 'layout' } });
    expect(descriptorToVirtio({ ...vx, csum: { kind: 'none' } }, 'v1-hash-tunnel')).toMatchObject({ ok: false, error: { kind: 'unsupported', field: 'csum' } });
    expect(descriptorToVirtio({ ...vx, gso: { ...vx.gso!, type: 'udp' } }, 'v1-hash-tunnel')).toMatchObject({ ok: false, error: { kind: 'unsupported', field: 'gso.type' } });
    const uso = derive({ tunnel: 'none', outerIp: 4, innerIp: 4, l4: 'udp', payloadLength: 5000 }, 10).desc;
    expect(descriptorToVirtio(uso, 'v1')).toMatchObject({ ok: false, error: { kind: 'unsupported', field: 'gso.segments', found: 500 } });
    expect(descriptorToVirtio({ ...uso, csum: { kind: 'none' } }, 'v1')).toMatchObject({ ok: false, error: { kind: 'unsupported', field: 'csum' } });
  });

  it('hints without a frame: what the tunnel header carries', () => {
    const r = virtioToDescriptor(fieldsOf(VIRTIO_GENEVE_USO.header));
    expect(r).toEqual({
      ok: true,
      value: {
        csum: { kind: 'partial', csumStart: 84, csumOffset: 6 },
        outerUdpCsum: false,
        gso: { type: 'udp-l4', tunnel: 'udp-tunnel', size: 1000, ecn: false },
        outer: { ipVersion: 4, l4Offset: 34, l4Protocol: 17 },
        inner: { l3Offset: 64, l4Offset: 84, l4Protocol: 17 },
        headerLength: 92,
      },
    });
  });

  it('a header that contradicts the frame is an error', () => {
    const { frame } = derive(VIRTIO_VXLAN_TCP_WORKED.spec);
    const f = fieldsOf(VIRTIO_VXLAN_TCP_WORKED.header);
    const e = (g: VirtioNetHdrFields) => {
      const r = virtioToDescriptor(g, frame);
      return r.ok ? null : [r.error.kind, r.error.field];
    };
    expect(e(f)).toBeNull();
    expect(e({ ...f, innerNhOffset: 60 })).toEqual(['bad-value', 'inner.l3Offset']);
    expect(e({ ...f, outerThOffset: 38 })).toEqual(['bad-value', 'outer.l4Offset']);
    expect(e({ ...f, gsoType: 0x41 })).toEqual(['bad-value', 'outer_th_offset']); // 34 < 14 + 40
    const v6 = derive({ ...VIRTIO_VXLAN_TCP_WORKED.spec, outerIp: 6 }, 1398);
    const f6 = toVirtio(v6.desc, 'v1-hash-tunnel');
    expect(f6.gsoType).toBe(0x41);
    const m = virtioToDescriptor({ ...f6, gsoType: 0x21 }, v6.frame);
    expect(m.ok ? null : [m.error.kind, m.error.field]).toEqual(['bad-value', 'outer.ipVersion']);
    expect(e({ ...f, gsoType: 0x24 })).toEqual(['bad-value', 'csum_start']); // 84 < 64 + 40
    const i6 = derive({ ...VIRTIO_VXLAN_TCP_WORKED.spec, innerIp: 6 }, 1398);
    const g6 = toVirtio(i6.desc, 'v1-hash-tunnel');
    expect(g6.gsoType).toBe(0x24);
    const w = virtioToDescriptor({ ...g6, gsoType: 0x21 }, i6.frame);
    expect(w.ok ? null : [w.error.kind, w.error.field]).toEqual(['bad-value', 'inner.ipVersion']);
    expect(e({ ...f, gsoType: 0, flags: 1, csumStart: 90 })).toEqual(['bad-value', 'csum.csumStart']);
    expect(e({ ...f, gsoType: 0, flags: 1, csumStart: 8000 })).toEqual(['truncated', 'csum_start']);
    const hl = virtioToDescriptor({ ...f, hdrLen: 100 }, frame, { checkHeaderLength: true });
    expect(hl.ok ? null : hl.error.field).toBe('headerLength');
    expect(virtioToDescriptor({ ...f, hdrLen: 100 }, frame).ok).toBe(true);
    const uso = derive({ tunnel: 'none', outerIp: 4, innerIp: 4, l4: 'udp', payloadLength: 5000 });
    const many = virtioToDescriptor({ ...VIRTIO_NET_HDR_EMPTY, flags: 1, gsoType: 5, gsoSize: 10, csumStart: 34, csumOffset: 6 }, uso.frame);
    expect(many.ok ? null : [many.error.kind, many.error.field]).toEqual(['bad-value', 'gso_size']);
  });

  test.prop([frameSpecArb, mssArb, fc.constantFrom<'partial' | 'none'>('partial', 'none'), formatArb], { numRuns: 400 })(
    'descriptor → virtio → bytes → descriptor over built frames',
    (spec, mss, csum, fmt) => {
      const b = buildFrame(spec);
      const d = deriveOffloadDescriptor(b.frame, { gsoSize: mss, csum });
      expect(d.ok).toBe(true);
      if (!d.ok) return;
      const desc = d.value;
      const r = descriptorToVirtio(desc, fmt.layout);
      const g = desc.gso;
      const representable =
        !g ||
        ((!desc.outer || ((g.tunnel === 'udp-tunnel' || g.tunnel === 'udp-tunnel-csum') && fmt.layout === 'v1-hash-tunnel' && csum === 'partial')) &&
          (g.type !== 'udp-l4' || (csum === 'partial' && g.segments <= 128)));
      expect(r.ok).toBe(representable);
      if (!r.ok) {
        expect(r.error.kind).toBe('unsupported');
        return;
      }
      const n = virtioNetHdrLength(fmt.layout);
      const out = a5(n);
      emitVirtioNetHdr(r.value, out, 0, fmt);
      const p = parseVirtioNetHdr(out, 0, fmt);
      expect(p).toEqual({ ok: true, value: r.value });
      if (!p.ok) return;
      expect(validateVirtioNetHdr(p.value, fmt.layout).ok).toBe(true);
      expect(virtioToDescriptor(p.value, b.frame, { layout: fmt.layout })).toEqual({ ok: true, value: desc });
      const h = virtioToDescriptor(p.value, undefined, { layout: fmt.layout });
      expect(h.ok).toBe(true);
      if (!h.ok) return;
      if (g) expect(h.value.gso).toMatchObject({ type: g.type, size: g.size, ecn: g.ecn });
      if (g && desc.outer) expect(h.value.outer).toEqual({ ipVersion: desc.outer.ipVersion, l4Offset: desc.outer.l4Offset, l4Protocol: 17 });
      if (csum === 'partial') expect(h.value.csum).toEqual(desc.csum);
    },
  );
});

function fieldsOf(bytes: Uint8Array, layout: VirtioNetHdrLayout = 'v1-hash-tunnel'): VirtioNetHdrFields {
  const r = parseVirtioNetHdr(bytes, 0, { layout });
  if (!r.ok) throw new Error('fixture does not parse');
  return r.value;
}

describe('Linux skb offload state (offload.md §2)', () => {
  it('constants', () => {
    expect([CHECKSUM_NONE, CHECKSUM_UNNECESSARY, CHECKSUM_COMPLETE, CHECKSUM_PARTIAL]).toEqual([0, 1, 2, 3]);
    expect([SKB_GSO_TCPV4, SKB_GSO_DODGY, SKB_GSO_TCP_ECN, SKB_GSO_TCPV6, SKB_GSO_GRE, SKB_GSO_UDP_TUNNEL, SKB_GSO_UDP_TUNNEL_CSUM, SKB_GSO_ESP, SKB_GSO_UDP, SKB_GSO_UDP_L4]).toEqual([
      0x1, 0x2, 0x4, 0x10, 0x40, 0x400, 0x800, 0x8000, 0x10000, 0x20000,
    ]);
  });

  it('the kernel GSO super-frame: TCPV4 | UDP_TUNNEL_CSUM, CHECKSUM_PARTIAL at the inner TCP, ETH_P_TEB', async () => {
    const frame = await captureFrame(KERNEL_VXLAN_TCP_GSO.capture, KERNEL_VXLAN_TCP_GSO.frame);
    const d = deriveOffloadDescriptor(frame, { gsoSize: KERNEL_VXLAN_TCP_GSO.gsoSize });
    if (!d.ok) throw new Error('derive');
    const s = descriptorToLinuxGso(d.value);
    expect(s).toEqual({
      gsoType: SKB_GSO_TCPV4 | SKB_GSO_UDP_TUNNEL_CSUM,
      gsoSize: 1398,
      gsoSegs: 5,
      ipSummed: CHECKSUM_PARTIAL,
      csumStart: 84,
      csumOffset: 16,
      encapsulation: true,
      innerMacHeader: 50,
      innerNetworkHeader: 64,
      innerTransportHeader: 84,
      innerProtocol: ETH_P_TEB,
      innerProtocolType: ENCAP_TYPE_ETHER,
    } satisfies LinuxSkbOffload);
    expect(linuxToDescriptor(s, frame)).toEqual({ ok: true, value: d.value });
  });

  it('other states: ECN, GRE, UNNECESSARY with csum_level, COMPLETE, an L3 tunnel payload, the outer checksum alone', () => {
    const a = derive({ tunnel: 'none', outerIp: 4, innerIp: 6, l4: 'tcp', payloadLength: 3000, cwr: true }, 1000);
    expect(descriptorToLinuxGso(a.desc)).toMatchObject({ gsoType: SKB_GSO_TCPV6 | SKB_GSO_TCP_ECN, gsoSegs: 3, encapsulation: false });
    const n = derive({ tunnel: 'nvgre', outerIp: 6, innerIp: 4, l4: 'udp', payloadLength: 3000 }, 1000);
    expect(descriptorToLinuxGso(n.desc).gsoType).toBe(SKB_GSO_UDP_L4 | SKB_GSO_GRE);
    expect(descriptorToLinuxGso({ ...n.desc, csum: { kind: 'unnecessary', level: 2 } })).toMatchObject({ ipSummed: CHECKSUM_UNNECESSARY, csumLevel: 2 });
    expect(descriptorToLinuxGso({ ...n.desc, csum: { kind: 'complete', value: 0xbeef } })).toMatchObject({ ipSummed: CHECKSUM_COMPLETE, csum: 0xbeef });
    const u = linuxToDescriptor({ ...descriptorToLinuxGso(n.desc), ipSummed: CHECKSUM_UNNECESSARY, csumLevel: 2 }, n.frame);
    expect(u.ok && u.value.csum).toEqual({ kind: 'unnecessary', level: 2 });
    const g = derive({ tunnel: 'vxlan-gpe', outerIp: 4, innerIp: 6, l4: 'tcp', payloadLength: 100, gpeInnerEthernet: false });
    const gs = descriptorToLinuxGso(g.desc);
    expect([gs.innerMacHeader, gs.innerNetworkHeader, gs.innerProtocol]).toEqual([50, 50, 0x86dd]);
    expect(linuxToDescriptor(gs, g.frame)).toEqual({ ok: true, value: g.desc });
    const o = { ...g.desc, csum: { kind: 'none' } as const, outerUdpCsum: true };
    const os = descriptorToLinuxGso(o);
    expect([os.ipSummed, os.csumStart, os.csumOffset]).toEqual([CHECKSUM_PARTIAL, 34, 6]);
    expect(linuxToDescriptor(os, g.frame)).toEqual({ ok: true, value: o });
  });

  it('validation', () => {
    const ok: LinuxSkbOffload = { gsoType: SKB_GSO_TCPV4, gsoSize: 1000, gsoSegs: 3, ipSummed: 3, csumStart: 34, csumOffset: 16, encapsulation: false };
    const field = (s: LinuxSkbOffload) => {
      const r = validateLinuxSkbOffload(s);
      return r.ok ? null : [r.error.kind, r.error.field];
    };
    expect(field(ok)).toBeNull();
    expect(field({ ...ok, gsoType: ok.gsoType | SKB_GSO_DODGY })).toBeNull();
    expect(field({ ...ok, ipSummed: 4 })).toEqual(['bad-value', 'ip_summed']);
    expect(field({ ...ok, csumLevel: 4 })).toEqual(['bad-value', 'csum_level']);
    expect(field({ ...ok, gsoType: SKB_GSO_TCPV4 | SKB_GSO_ESP })).toEqual(['unsupported', 'gso_type']);
    expect(field({ ...ok, gsoType: SKB_GSO_TCPV4 | SKB_GSO_TCPV6 })).toEqual(['bad-value', 'gso_type']);
    expect(field({ ...ok, gsoType: SKB_GSO_TCPV4 | SKB_GSO_UDP_TUNNEL | SKB_GSO_GRE })).toEqual(['bad-value', 'gso_type']);
    expect(field({ ...ok, gsoType: SKB_GSO_UDP | SKB_GSO_TCP_ECN })).toEqual(['bad-value', 'gso_type']);
    expect(field({ ...ok, gsoSize: 0 })).toEqual(['bad-value', 'gso_size']);
    expect(field({ ...ok, gsoType: 0, gsoSize: 1000 })).toEqual(['bad-value', 'gso_type']);
    expect(field({ ...ok, encapsulation: true })).toEqual(['bad-value', 'inner_network_header']);
    expect(linuxToDescriptor({ ...ok, ipSummed: 9 }).ok).toBe(false);
  });

  test.prop([frameSpecArb, mssArb, fc.constantFrom<'partial' | 'none'>('partial', 'none')], { numRuns: 300 })('descriptor → skb state → descriptor over built frames', (spec, mss, csum) => {
    const b = buildFrame(spec);
    const d = deriveOffloadDescriptor(b.frame, { gsoSize: mss, csum });
    if (!d.ok) throw new Error('derive');
    const s = descriptorToLinuxGso(d.value);
    expect(validateLinuxSkbOffload(s).ok).toBe(true);
    expect(linuxToDescriptor(s, b.frame)).toEqual({ ok: true, value: d.value });
    const h = linuxToDescriptor(s);
    expect(h.ok).toBe(true);
    if (h.ok && d.value.outer) expect(h.value.inner).toMatchObject({ l3Offset: d.value.inner.l3Offset, l4Offset: d.value.inner.l4Offset, l3Length: d.value.inner.l3Length });
  });
});
