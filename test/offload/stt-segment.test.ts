/**
 * STT transmit segmentation (src/offload-hints/stt-segment.ts) against draft-davie-stt-08 §3.2 (shared/specs/stt.md):
 * SEQ = frame length << 16 | offset, ACK = frame ID, ACK flag, PSH only on the last segment, STT header only in
 * the first, valid TCP and IPv4 header checksums (independent naive RFC 1071 sums), outer IPv4 ID +1 per segment;
 * the segments reassemble with SttReassembler and through the walker to the same frame, in any order.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { u16, u32 } from '../../src/net/bytes.js';
import { emitEthernet } from '../../src/net/ethernet.js';
import { emitIpv4 } from '../../src/net/ipv4.js';
import { emitIpv6 } from '../../src/net/ipv6.js';
import { emitTcp } from '../../src/net/tcp.js';
import { l4ChecksumValid } from '../../src/net/udp.js';
import { segmentSttFrame, type SttOuterFields, type SttSegmentFrameOptions } from '../../src/offload-hints/stt-segment.js';
import { emitStt, parseStt, type SttFields } from '../../src/stt/fields.js';
import { SttReassembler } from '../../src/stt/reassembly.js';
import { walkPacket } from '../../src/walk/walker.js';
import { fill, naiveSum, sameBytes, slice } from './util.js';

function tcpOk(b: Uint8Array, ip: number, tcp: number): boolean {
  const len = b.length - tcp;
  const pseudo =
    b[ip]! >> 4 === 4
      ? [...slice(b, ip + 12, ip + 20), 0, 6, len >> 8, len & 0xff]
      : [...slice(b, ip + 8, ip + 40), 0, 0, len >> 8, len & 0xff, 0, 0, 0, 6];
  return naiveSum([pseudo, slice(b, tcp, b.length)]) === 0xffff;
}
/** A permutation of 0..n-1 from a seed (Fisher–Yates over xorshift). */
function permutation(n: number, seed: number): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  let x = seed | 1;
  for (let i = n - 1; i > 0; i--) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const j = (x >>> 0) % (i + 1);
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p;
}

/** An inner Ethernet/IPv4-or-IPv6/TCP frame of `total` bytes (≥ 74 / 94). */
function innerFrame(total: number, v: 4 | 6, seed: number): Uint8Array {
  const b = fill(total, seed);
  emitEthernet({ dst: '02:00:00:00:02:02', src: '02:00:00:00:02:01', vlans: [], etherType: v === 4 ? 0x0800 : 0x86dd }, b, 0);
  const l3 = total - 14;
  if (v === 4)
    emitIpv4({ dscp: 0, ecn: 0, totalLength: l3, identification: 9, dontFragment: true, moreFragments: false, fragmentOffset: 0, ttl: 64, protocol: 6, src: '10.1.0.1', dst: '10.1.0.2', options: new Uint8Array(0) }, b, 14);
  else emitIpv6({ trafficClass: 0, flowLabel: 0, payloadLength: l3 - 40, nextHeader: 6, hopLimit: 64, src: 'fd01::1', dst: 'fd01::2' }, b, 14);
  emitTcp({ srcPort: 33000, dstPort: 80, seq: 1, ack: 2, flags: 0x18, window: 100, checksum: 0, urgentPointer: 0, options: new Uint8Array(0) }, b, v === 4 ? 34 : 54);
  return b;
}

const OUTER4: SttOuterFields = { eth: { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }, ip: { version: 4, src: '198.51.100.1', dst: '198.51.100.2', identification: 0xfff0 } };
const OUTER6: SttOuterFields = { eth: { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }, ip: { version: 6, src: '2001:db8::a', dst: '2001:db8::b' } };

const sttArb: fc.Arbitrary<SttFields> = fc.record({
  version: fc.constant(0),
  flags: fc.integer({ min: 0, max: 0x0f }),
  l4Offset: fc.integer({ min: 0, max: 255 }),
  reserved: fc.constant(0),
  mss: fc.integer({ min: 0, max: 0xffff }),
  pcp: fc.integer({ min: 0, max: 7 }),
  vlanValid: fc.boolean(),
  vlanId: fc.integer({ min: 0, max: 4095 }),
  contextId: fc.bigInt({ min: 0n, max: 0xffffffffffffffffn }),
  padding: fc.constant(0),
});

/** Check every per-segment rule; returns the STT frame the segments carry (in offset order). */
function verify(o: SttSegmentFrameOptions, segs: Uint8Array[], ipAt: number, id0: number): Uint8Array {
  const frameLength = 18 + o.innerFrame.length;
  const n = Math.ceil(frameLength / o.mss);
  expect(segs.length).toBe(n);
  const v = segs[0]![ipAt]! >> 4;
  const tcp = ipAt + (v === 4 ? (segs[0]![ipAt]! & 15) * 4 : 40);
  const parts: Uint8Array[] = [];
  segs.forEach((s, i) => {
    const off = i * o.mss;
    const dlen = Math.min(o.mss, frameLength - off);
    expect(s.length).toBe(tcp + 20 + dlen);
    if (v === 4) {
      expect(u16(s, ipAt + 2)).toBe(s.length - ipAt);
      expect(u16(s, ipAt + 4)).toBe((id0 + i) & 0xffff);
      expect(naiveSum([slice(s, ipAt, tcp)])).toBe(0xffff);
    } else {
      expect(u16(s, ipAt + 4)).toBe(s.length - ipAt - 40);
    }
    expect(u16(s, tcp)).toBe(o.srcPort);
    expect(u16(s, tcp + 2)).toBe(o.dstPort ?? 7471);
    expect(u32(s, tcp + 4)).toBe(((frameLength << 16) | off) >>> 0); // SEQ = frame length << 16 | offset
    expect(u32(s, tcp + 8)).toBe(o.frameId); // ACK = frame ID
    expect(s[tcp + 12]).toBe(0x50);
    expect(s[tcp + 13]).toBe(i === n - 1 ? 0x18 : 0x10); // ACK always, PSH on the last only
    expect(u16(s, tcp + 14)).toBe(o.window ?? 0);
    expect(u16(s, tcp + 18)).toBe(0);
    expect(tcpOk(s, ipAt, tcp)).toBe(true);
    expect(l4ChecksumValid(s, ipAt, 6, tcp, s.length)).toBe(true);
    parts.push(s.subarray(tcp + 20));
  });
  const frame = new Uint8Array(frameLength);
  let p = 0;
  for (const d of parts) {
    frame.set(d, p);
    p += d.length;
  }
  // Only the first segment starts with the STT header: it is the frame's first 18 bytes.
  const hdr = new Uint8Array(18);
  emitStt(o.stt, hdr, 0);
  expect(sameBytes(frame.subarray(0, 18), hdr)).toBe(true);
  expect(sameBytes(frame.subarray(18), o.innerFrame)).toBe(true);
  return frame;
}

/** Push the segments in `order` through a reassembler; the last push completes the frame. */
function reassemble(segs: Uint8Array[], order: number[], ipAt: number): Uint8Array {
  const r = new SttReassembler();
  const tcp = ipAt + (segs[0]![ipAt]! >> 4 === 4 ? 20 : 40);
  let done: Uint8Array | undefined;
  order.forEach((k, j) => {
    const s = segs[k]!;
    const seq = u32(s, tcp + 4);
    const res = r.push('a>b', u32(s, tcp + 8), seq >>> 16, seq & 0xffff, s.subarray(tcp + 20), 0);
    if (j < order.length - 1) expect(res.status).toBe('pending');
    else if (res.status === 'complete') done = res.frame.slice();
  });
  if (!done) throw new Error('not reassembled');
  return done;
}

describe('segmentSttFrame (property)', () => {
  test.prop(
    [
      fc.integer({ min: 0, max: 65535 - 18 }),
      fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 9000 }), fc.constantFrom(1460, 1448, 8960)),
      fc.constantFrom<4 | 6>(4, 6),
      fc.constantFrom<4 | 6>(4, 6),
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.integer({ min: 0, max: 0xffff }),
      fc.integer({ min: 0, max: 0xffff }),
      sttArb,
      fc.integer(),
    ],
    { numRuns: 120 },
  )('fields, checksums, STT header once, reassembly in any order (reassembler and walker)', (lenIn, mss, outerV, innerV, frameId, srcPort, window, stt, seed) => {
    const len = Math.max(innerV === 4 ? 54 : 74, Math.min(lenIn, mss * 300 - 18));
    const o: SttSegmentFrameOptions = { outer: outerV === 4 ? OUTER4 : OUTER6, srcPort, frameId, stt, innerFrame: innerFrame(len, innerV, seed), mss, window };
    const segs = segmentSttFrame(o);
    const frame = verify(o, segs, 14, outerV === 4 ? 0xfff0 : 0);
    const order = permutation(segs.length, seed);
    expect(sameBytes(reassemble(segs, order, 14), frame)).toBe(true);
    // The walker with a reassembler: no errors on any segment; the completing one decodes the inner frame.
    const reasm = new SttReassembler();
    let inner: Uint8Array | undefined;
    for (const k of order) {
      const w = walkPacket(segs[k]!, { sttReassembler: reasm });
      expect(w.errors).toEqual([]);
      if (w.inner && w.layers.some((l) => l.proto === 'stt' && l.buffer === 'reassembled')) inner = w.inner.bytes.slice();
      else if (segs.length === 1 && w.inner) inner = w.inner.bytes.slice();
    }
    expect(inner && sameBytes(inner, o.innerFrame)).toBe(true);
    const sttLayer = parseStt(frame, 0);
    expect(sttLayer).toEqual({ ok: true, value: stt });
  });
});

describe('segmentSttFrame: examples and errors', () => {
  const stt: SttFields = { version: 0, flags: 0x0e, l4Offset: 34, reserved: 0, mss: 1448, pcp: 5, vlanValid: true, vlanId: 100, contextId: 0x0102030405060708n, padding: 0 };

  it('a 20000-byte inner frame at mss 1460: 14 segments, SEQ 20018 << 16 | k·1460', () => {
    const o: SttSegmentFrameOptions = { outer: OUTER4, srcPort: 49153, frameId: 0x1001, stt, innerFrame: innerFrame(20000, 4, 1), mss: 1460 };
    const segs = segmentSttFrame(o);
    expect(segs.length).toBe(14);
    expect(segs.map((s) => u32(s, 38) & 0xffff)).toEqual(Array.from({ length: 14 }, (_, i) => i * 1460));
    expect(segs.every((s) => u32(s, 38) >>> 16 === 20018)).toBe(true);
    verify(o, segs, 14, 0xfff0);
    expect(sameBytes(reassemble(segs, [...segs.keys()].reverse(), 14), verify(o, segs, 14, 0xfff0))).toBe(true);
  });

  it('a byte template (VLAN tag, IPv4 options) gives the same segments as the equivalent fields', () => {
    const tpl = new Uint8Array(18 + 24);
    emitEthernet({ dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01', vlans: [{ tpid: 0x8100, pcp: 0, dei: false, vid: 7 }], etherType: 0x0800 }, tpl, 0);
    emitIpv4({ dscp: 10, ecn: 0, totalLength: 0, identification: 5, dontFragment: true, moreFragments: false, fragmentOffset: 0, ttl: 9, protocol: 6, src: '198.51.100.1', dst: '198.51.100.2', options: new Uint8Array([1, 1, 1, 0]) }, tpl, 18);
    const o: SttSegmentFrameOptions = { outer: tpl, srcPort: 1, frameId: 2, stt, innerFrame: innerFrame(3000, 6, 2), mss: 1000 };
    const segs = segmentSttFrame(o);
    verify(o, segs, 18, 5);
    expect(walkPacket(segs[0]!).errors).toEqual([]);
    const fields = segmentSttFrame({ ...o, outer: { eth: { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02', vlans: [{ tpid: 0x8100, pcp: 0, dei: false, vid: 7 }] }, ip: { version: 4, src: '198.51.100.1', dst: '198.51.100.2', identification: 5, ttl: 9, dscp: 10 } } });
    // Same except the 4 option bytes (fields form has none): compare the TCP parts.
    expect(fields.map((s) => Array.from(s.subarray(38)))).toEqual(segs.map((s) => Array.from(s.subarray(42))));
  });

  it('throws RangeError for programmer errors', () => {
    const o: SttSegmentFrameOptions = { outer: OUTER4, srcPort: 1, frameId: 2, stt, innerFrame: new Uint8Array(100), mss: 1000 };
    expect(() => segmentSttFrame({ ...o, mss: 0 })).toThrow(RangeError);
    expect(() => segmentSttFrame({ ...o, innerFrame: new Uint8Array(65535 - 17) })).toThrow(RangeError);
    expect(() => segmentSttFrame({ ...o, outer: new Uint8Array(20) })).toThrow(RangeError);
    const udpTpl = new Uint8Array(34);
    emitEthernet({ dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01', vlans: [], etherType: 0x0800 }, udpTpl, 0);
    emitIpv4({ dscp: 0, ecn: 0, totalLength: 0, identification: 0, dontFragment: true, moreFragments: false, fragmentOffset: 0, ttl: 9, protocol: 17, src: '1.2.3.4', dst: '1.2.3.5', options: new Uint8Array(0) }, udpTpl, 14);
    expect(() => segmentSttFrame({ ...o, outer: udpTpl })).toThrow(/protocol 17/);
    expect(() => segmentSttFrame({ ...o, frameId: -1 })).toThrow(RangeError);
  });
});
