/**
 * Software GSO (src/offload-hints/segment.ts) against the Linux per-segment rules (shared/specs/offload.md §3):
 * fast-check over tunnel types × underlays × inner IP versions × Geneve option sets × MSS × payload sizes up
 * to 64 KiB, with every checksum re-verified by an independent naive RFC 1071 sum and by the library helpers,
 * and every segment decoded by the walker; plus the real GSO / BIG TCP super-frames of the capture corpus.
 */
import { readFileSync } from 'node:fs';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { readCaptureAll } from '../../src/capture/reader.js';
import { geneveHasCriticalOption, emitGeneve, type GeneveOption } from '../../src/geneve/fields.js';
import { u16, u32 } from '../../src/net/bytes.js';
import { emitEthernet } from '../../src/net/ethernet.js';
import { emitGre } from '../../src/net/gre.js';
import { emitIpv4 } from '../../src/net/ipv4.js';
import { emitIpv6, Ipv6ExtWalker } from '../../src/net/ipv6.js';
import { emitTcp } from '../../src/net/tcp.js';
import { emitUdp, l4ChecksumValid, pseudoHeaderSum } from '../../src/net/udp.js';
import { emitNvgre } from '../../src/nvgre/fields.js';
import { deriveOffloadDescriptor, type OffloadDescriptor } from '../../src/offload-hints/descriptor.js';
import { planSegments, segmentChecksumState, segmentFrame, segmentInto, type SegmentOptions } from '../../src/offload-hints/segment.js';
import { emitVxlan, emitVxlanGpe } from '../../src/vxlan/fields.js';
import { walkPacket } from '../../src/walk/walker.js';
import { fill, naiveSum, sameBytes, slice } from './util.js';

// ---------------------------------------------------------------------------------------------------
// Independent checksum arithmetic (RFC 1071 §1, written out naively: no shared code with src/net).

/** Pseudo-header bytes (RFC 768 / RFC 8200 §8.1) for an L4 segment under the IP header at `ip`. */
function naivePseudo(b: Uint8Array, ip: number, proto: number, len: number, dstAt = -1): number[] {
  if (b[ip]! >> 4 === 4) return [...slice(b, ip + 12, ip + 20), 0, proto, len >> 8, len & 0xff];
  const d = dstAt >= 0 ? dstAt : ip + 24;
  return [...slice(b, ip + 8, ip + 24), ...slice(b, d, d + 16), (len >>> 24) & 0xff, (len >> 16) & 0xff, (len >> 8) & 0xff, len & 0xff, 0, 0, 0, proto];
}
const naiveL4Ok = (b: Uint8Array, ip: number, proto: number, l4: number, dstAt = -1): boolean =>
  naiveSum([naivePseudo(b, ip, proto, b.length - l4, dstAt), slice(b, l4, b.length)]) === 0xffff;


// ---------------------------------------------------------------------------------------------------
// Super-packet builder (library emitters only).

type Tunnel = 'none' | 'vxlan' | 'gpe' | 'gpe-l3' | 'geneve' | 'nvgre' | 'gre-csum';
interface Spec {
  tunnel: Tunnel;
  underlay: 4 | 6;
  inner: 4 | 6;
  l4: 'tcp' | 'udp';
  options: GeneveOption[];
  outerCsum: boolean;
  /** Write 0 in every IP/UDP length field (BIG TCP / GSO style); forced when a length does not fit. */
  zeroLengths: boolean;
  payload: Uint8Array;
  seq: number;
  tcpFlags: number;
  tcpOptions: Uint8Array;
  ipv4Options: Uint8Array;
  innerId: number;
  outerId: number;
  df: boolean;
  /** Whatever the super-packet has in its inner L4 checksum (a seed, garbage): must not matter. */
  junk: number;
}
const MAC_A = '02:00:00:00:00:01';
const MAC_B = '02:00:00:00:00:02';
const ethernetInside = (t: Tunnel): boolean => t !== 'gpe-l3';

function tunnelLength(s: Spec): number {
  switch (s.tunnel) {
    case 'none':
      return 0;
    case 'vxlan':
    case 'gpe':
    case 'gpe-l3':
      return 16;
    case 'geneve':
      return 16 + s.options.reduce((n, o) => n + 4 + o.data.length, 0);
    case 'nvgre':
      return 8;
    case 'gre-csum':
      return 12;
  }
}

function emitIp(v: 4 | 6, out: Uint8Array, at: number, proto: number, l3Len: number, s: Spec, id: number, options: Uint8Array, outer: boolean): number {
  if (v === 4) {
    const tl = s.zeroLengths || l3Len > 0xffff ? 0 : l3Len;
    return emitIpv4(
      { dscp: 0, ecn: 0, totalLength: tl, identification: id, dontFragment: outer || s.df, moreFragments: false, fragmentOffset: 0, ttl: 64, protocol: proto, src: outer ? '192.0.2.1' : '10.0.0.1', dst: outer ? '192.0.2.2' : '10.0.0.2', options },
      out,
      at,
    );
  }
  const pl = l3Len - 40;
  return emitIpv6(
    { trafficClass: 0, flowLabel: outer ? 0x12345 : 0, payloadLength: s.zeroLengths || pl > 0xffff ? 0 : pl, nextHeader: proto, hopLimit: 64, src: outer ? '2001:db8::1' : 'fd00::1', dst: outer ? '2001:db8::2' : 'fd00::2' },
    out,
    at,
  );
}

function buildSuperPacket(s: Spec): Uint8Array {
  const l4Len = s.l4 === 'tcp' ? 20 + s.tcpOptions.length : 8;
  const innerIpHl = s.inner === 4 ? 20 + s.ipv4Options.length : 40;
  const innerL3Len = innerIpHl + l4Len + s.payload.length;
  const innerEthLen = s.tunnel === 'none' || ethernetInside(s.tunnel) ? 14 : 0;
  const outerIpHl = s.underlay === 4 ? 20 : 40;
  const tun = tunnelLength(s);
  const total = s.tunnel === 'none' ? 14 + innerL3Len : 14 + outerIpHl + tun + innerEthLen + innerL3Len;
  const b = new Uint8Array(total);
  let at = 0;
  const innerType = s.inner === 4 ? 0x0800 : 0x86dd;
  if (s.tunnel !== 'none') {
    at += emitEthernet({ dst: MAC_B, src: MAC_A, vlans: [], etherType: s.underlay === 4 ? 0x0800 : 0x86dd }, b, at);
    const gre = s.tunnel === 'nvgre' || s.tunnel === 'gre-csum';
    at += emitIp(s.underlay, b, at, gre ? 47 : 17, total - at, s, s.outerId, new Uint8Array(0), true);
    if (gre) {
      if (s.tunnel === 'nvgre') at += emitNvgre({ vsid: 0x123456, flowId: 0x78, protocolType: 0x6558 }, b, at);
      else
        at += emitGre(
          { checksumPresent: true, routingPresent: false, keyPresent: true, sequencePresent: false, strictSourceRoute: false, recursion: 0, ackPresent: false, reservedFlags: 0, version: 0, protocolType: 0x6558, checksum: 0x1234, offset: 0, key: 0xabcdef01 },
          b,
          at,
        );
    } else {
      const port = s.tunnel === 'vxlan' ? 4789 : s.tunnel === 'geneve' ? 6081 : 4790;
      const ulen = total - at;
      at += emitUdp({ srcPort: 49320, dstPort: port, length: s.zeroLengths || ulen > 0xffff ? 0 : ulen, checksum: s.outerCsum ? 0xbeef : 0 }, b, at);
      if (s.tunnel === 'vxlan') at += emitVxlan({ vniValid: true, vni: 0xabcdef }, b, at);
      else if (s.tunnel === 'geneve')
        at += emitGeneve({ version: 0, control: false, critical: geneveHasCriticalOption(s.options), reservedFlags: 0, protocolType: 0x6558, vni: 0x10203, reserved: 0, options: s.options }, b, at);
      else at += emitVxlanGpe({ version: 0, vniValid: true, nextProtocolPresent: true, bum: false, oam: false, nextProtocol: s.tunnel === 'gpe' ? 3 : s.inner === 4 ? 1 : 2, vni: 77 }, b, at);
    }
  }
  if (innerEthLen) at += emitEthernet({ dst: '02:00:00:00:01:02', src: '02:00:00:00:01:01', vlans: [], etherType: innerType }, b, at);
  at += emitIp(s.inner, b, at, s.l4 === 'tcp' ? 6 : 17, innerL3Len, s, s.innerId, s.inner === 4 ? s.ipv4Options : new Uint8Array(0), false);
  if (s.l4 === 'tcp') {
    at += emitTcp({ srcPort: 40000, dstPort: 5201, seq: s.seq, ack: 0x01020304, flags: s.tcpFlags, window: 512, checksum: s.junk, urgentPointer: 0, options: s.tcpOptions }, b, at);
  } else {
    const ulen = l4Len + s.payload.length;
    at += emitUdp({ srcPort: 40001, dstPort: 5202, length: s.zeroLengths || ulen > 0xffff ? 0 : ulen, checksum: s.junk }, b, at);
  }
  b.set(s.payload, at);
  return b;
}

// ---------------------------------------------------------------------------------------------------
// Verification of one segmentation against the Linux rules, reading the originals from the frame.

interface Expect {
  /** Outer UDP checksum expected computed (else 0). */
  outerCsum?: boolean;
}

function payloadEnd(frame: Uint8Array, d: OffloadDescriptor): number {
  const o = d.outer ?? d.inner;
  const at = o.l3Offset;
  const claimed = o.ipVersion === 4 ? u16(frame, at + 2) : u16(frame, at + 4);
  return claimed === 0 ? frame.length : at + claimed + (o.ipVersion === 6 ? 40 : 0);
}

function dstAtOf(b: Uint8Array, ip: number): number {
  if (b[ip]! >> 4 === 4) return -1;
  const w = new Ipv6ExtWalker();
  w.walk(b, ip, b.length);
  return w.finalDstAt;
}

function verifySegments(frame: Uint8Array, d: OffloadDescriptor, segs: Uint8Array[], opts: SegmentOptions, ex: Expect = {}): void {
  const inner = d.inner;
  const outer = d.outer;
  const hl = inner.l4Offset + inner.l4Length;
  const pend = payloadEnd(frame, d);
  const payload = frame.subarray(hl, pend);
  const mss = opts.mss ?? d.gso?.size ?? Math.max(1, payload.length);
  const n = Math.max(1, Math.ceil(payload.length / mss));
  expect(segs.length).toBe(n);
  const tcp = inner.l4Protocol === 6;
  const partial = opts.innerCsum === 'partial';
  const flags0 = tcp ? frame[inner.l4Offset + 13]! : 0;
  const gre = outer && outer.l4Protocol === 47;
  const greC = gre && (u16(frame, outer.l4Offset) & 0x8000) !== 0;
  const outerUdpCsum =
    ex.outerCsum ?? (outer && outer.l4Protocol === 17 && (d.gso?.tunnel === 'udp-tunnel-csum' || d.outerUdpCsum || (outer.ipVersion === 6 && u16(frame, outer.l4Offset + 6) !== 0)));
  // Mutable fields: [offset, length] relative to the segment start.
  const mutable: [number, number][] = [];
  const ipFields = (ip: number, v: 4 | 6): void => {
    if (v === 4) mutable.push([ip + 2, 4], [ip + 10, 2]);
    else mutable.push([ip + 4, 2]);
  };
  if (outer) {
    ipFields(outer.l3Offset, outer.ipVersion);
    if (outer.l4Protocol === 17) mutable.push([outer.l4Offset + 4, 4]);
    if (greC) mutable.push([outer.l4Offset + 4, 2]);
  }
  ipFields(inner.l3Offset, inner.ipVersion);
  if (tcp) mutable.push([inner.l4Offset + 4, 4], [inner.l4Offset + 13, 1], [inner.l4Offset + 16, 2]);
  else mutable.push([inner.l4Offset + 4, 4]);
  const masked = (b: Uint8Array): Uint8Array => {
    const c = b.slice(0, hl);
    for (const [o, l] of mutable) c.fill(0, o, o + l);
    return c;
  };
  const frameMasked = masked(frame);
  const got: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const seg = segs[i]!;
    const plen = Math.min(mss, payload.length - i * mss);
    expect(seg.length).toBe(hl + plen);
    got.push(seg.subarray(hl));
    // Tunnel header with all options, MACs, addresses, ports...: byte-identical to the super-packet.
    expect(sameBytes(masked(seg), frameMasked)).toBe(true);
    const last = i === n - 1;
    // Outer headers.
    if (outer) {
      const ip = outer.l3Offset;
      if (outer.ipVersion === 4) {
        expect(u16(seg, ip + 2)).toBe(seg.length - ip);
        expect(u16(seg, ip + 4)).toBe((u16(frame, ip + 4) + i) & 0xffff); // always +i, FIXEDID or not
        expect(naiveSum([slice(seg, ip, ip + 20)])).toBe(0xffff);
      } else {
        expect(u16(seg, ip + 4)).toBe(seg.length - ip - 40);
      }
      if (outer.l4Protocol === 17) {
        const u = outer.l4Offset;
        expect(u16(seg, u + 4)).toBe(seg.length - u);
        const c = u16(seg, u + 6);
        if (outerUdpCsum) {
          const complete = seg.slice();
          if (partial) completeInner(complete, d);
          expect(c).not.toBe(0);
          expect(naiveL4Ok(complete, ip, 17, u, dstAtOf(complete, ip))).toBe(true);
          expect(l4ChecksumValid(complete, ip, 17, u, complete.length, dstAtOf(complete, ip))).toBe(true);
        } else {
          expect(c).toBe(0);
        }
      }
      if (greC) {
        const complete = seg.slice();
        if (partial) completeInner(complete, d);
        expect(naiveSum([slice(complete, outer.l4Offset, complete.length)])).toBe(0xffff);
      }
    }
    // Inner IP.
    const iip = inner.l3Offset;
    if (inner.ipVersion === 4) {
      expect(u16(seg, iip + 2)).toBe(seg.length - iip);
      const keep = opts.fixedId === true && tcp;
      expect(u16(seg, iip + 4)).toBe((u16(frame, iip + 4) + (keep ? 0 : i)) & 0xffff);
      expect(naiveSum([slice(seg, iip, iip + (seg[iip]! & 15) * 4)])).toBe(0xffff);
    } else {
      expect(u16(seg, iip + 4)).toBe(seg.length - iip - 40);
    }
    // Inner L4.
    const l4 = inner.l4Offset;
    const idst = dstAtOf(seg, iip);
    if (tcp) {
      expect(u32(seg, l4 + 4)).toBe((u32(frame, l4 + 4) + i * mss) >>> 0);
      let f = flags0;
      if (!last) f &= ~0x09; // FIN, PSH only on the last
      if (i > 0) f &= ~0x80; // CWR only on the first
      expect(seg[l4 + 13]).toBe(f);
    } else {
      expect(u16(seg, l4 + 4)).toBe(seg.length - l4);
    }
    const proto = tcp ? 6 : 17;
    const csumAt = l4 + (tcp ? 16 : 6);
    if (partial) {
      // CHECKSUM_PARTIAL: the folded, non-complemented pseudo-header sum with this segment's length.
      expect(u16(seg, csumAt)).toBe(naiveSum([naivePseudo(seg, iip, proto, seg.length - l4, idst)]));
      expect(pseudoHeaderSum(seg, iip, proto, seg.length - l4, idst)).toBe(u16(seg, csumAt));
    } else {
      expect(naiveL4Ok(seg, iip, proto, l4, idst)).toBe(true);
      expect(l4ChecksumValid(seg, iip, proto, l4, seg.length, idst)).toBe(true);
      if (!tcp) expect(u16(seg, csumAt)).not.toBe(0);
    }
    // The walker decodes every segment without errors, tunnel and inner transport included.
    const w = walkPacket(seg);
    expect(w.errors).toEqual([]);
    const protos = w.layers.map((l) => l.proto);
    expect(protos[protos.length - 1]).toBe(tcp ? 'tcp' : 'udp');
    if (d.tunnel !== 'none') expect(protos).toContain(d.tunnel);
    for (const l of w.layers) {
      if (l.proto === 'ipv4') expect(l.checksumValid).toBe(true);
      if (partial) continue; // the outer checksums cover the completed inner checksum (checked above)
      if (l.proto === 'gre' && l.checksum !== undefined) expect(l.checksumValid).toBe(true);
      if (l.proto === 'udp') expect(l.checksumStatus).toBe(l.checksum === 0 ? 'none' : 'good');
    }
  }
  // Concatenated inner payloads are the original payload.
  let total = 0;
  for (const g of got) total += g.length;
  const cat = new Uint8Array(total);
  let p = 0;
  for (const g of got) {
    cat.set(g, p);
    p += g.length;
  }
  expect(sameBytes(cat, payload)).toBe(true);
}

/** What a device does with CHECKSUM_PARTIAL: complete the inner L4 checksum from csum_start. */
function completeInner(seg: Uint8Array, d: OffloadDescriptor): void {
  const st = segmentChecksumState(d, { innerCsum: 'partial' });
  if (st.kind !== 'partial') throw new Error('not partial');
  const at = st.csumStart + st.csumOffset;
  const withSeed = naiveSum([slice(seg, st.csumStart, seg.length)]); // the field holds the seed: the sum includes it
  const c = ~withSeed & 0xffff;
  seg[at] = c >> 8;
  seg[at + 1] = c & 0xff;
}

// ---------------------------------------------------------------------------------------------------
// Arbitraries.

const optionArb: fc.Arbitrary<GeneveOption> = fc
  .record({ optionClass: fc.integer({ min: 0, max: 0xffff }), low: fc.integer({ min: 0, max: 0x7f }), critical: fc.boolean(), words: fc.integer({ min: 0, max: 31 }), seed: fc.integer() })
  .map(({ optionClass, low, critical, words, seed }) => ({ optionClass, type: low | (critical ? 0x80 : 0), critical, rbits: 0, data: fill(words * 4, seed) }));
const optionsArb = fc.array(optionArb, { maxLength: 8 }).map((os) => {
  const out: GeneveOption[] = [];
  let n = 0;
  for (const o of os) {
    if (n + 4 + o.data.length > 252) break;
    n += 4 + o.data.length;
    out.push(o);
  }
  return out;
});

const specArb = fc
  .record({
    tunnel: fc.constantFrom<Tunnel>('none', 'vxlan', 'gpe', 'gpe-l3', 'geneve', 'nvgre', 'gre-csum'),
    underlay: fc.constantFrom<4 | 6>(4, 6),
    inner: fc.constantFrom<4 | 6>(4, 6),
    l4: fc.constantFrom<'tcp' | 'udp'>('tcp', 'tcp', 'udp'),
    options: optionsArb,
    outerCsum: fc.boolean(),
    zeroLengths: fc.boolean(),
    payloadLen: fc.oneof(fc.integer({ min: 0, max: 4000 }), fc.integer({ min: 0, max: 65536 })),
    seed: fc.integer(),
    mss: fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 9000 }), fc.constantFrom(1448, 1400, 536)),
    seq: fc.integer({ min: 0, max: 0xffffffff }),
    tcpFlags: fc.integer({ min: 0, max: 0xff }),
    tcpOptWords: fc.integer({ min: 0, max: 10 }),
    ipv4OptWords: fc.integer({ min: 0, max: 10 }),
    innerId: fc.integer({ min: 0, max: 0xffff }),
    outerId: fc.integer({ min: 0, max: 0xffff }),
    df: fc.boolean(),
    junk: fc.integer({ min: 0, max: 0xffff }),
  })
  .map((r) => {
    // At most 400 segments per case (keeps the run short), payload up to 64 KiB.
    const payloadLen = Math.min(r.payloadLen, r.mss * 400);
    const s: Spec = {
      tunnel: r.tunnel,
      underlay: r.underlay,
      inner: r.inner,
      l4: r.l4,
      options: r.tunnel === 'geneve' ? r.options : [],
      outerCsum: r.outerCsum,
      zeroLengths: r.zeroLengths,
      payload: fill(payloadLen, r.seed),
      seq: r.seq,
      tcpFlags: r.tcpFlags,
      // NOP-padded options (kind 1): valid TCP / IPv4 option bytes.
      tcpOptions: new Uint8Array(r.tcpOptWords * 4).fill(1),
      ipv4Options: new Uint8Array(r.ipv4OptWords * 4).fill(1),
      innerId: r.innerId,
      outerId: r.outerId,
      df: r.df,
      junk: r.junk,
    };
    return { spec: s, mss: r.mss };
  });

// ---------------------------------------------------------------------------------------------------

describe('segmentFrame: Linux software GSO per-segment rules (property)', () => {
  test.prop([specArb, fc.constantFrom<'complete' | 'partial'>('complete', 'complete', 'partial'), fc.boolean()], { numRuns: 250 })(
    'tunnel × underlay × inner IP × options × MSS × payload: counts, payload, fields, checksums, walker',
    ({ spec, mss }, innerCsum, fixedId) => {
      const frame = buildSuperPacket(spec);
      const dr = deriveOffloadDescriptor(frame, { gsoSize: mss, outerUdpCsum: spec.outerCsum });
      expect(dr.ok).toBe(true);
      if (!dr.ok) return;
      const d = dr.value;
      const opts: SegmentOptions = { innerCsum, fixedId };
      const r = segmentFrame(frame, d, opts);
      if (fixedId && spec.l4 === 'tcp' && spec.inner === 4 && !spec.df) {
        // inet_gso_segment: a fixed ID without DF fails segmentation.
        expect(r.ok ? undefined : [r.error.kind, r.error.field]).toEqual(['bad-flags', 'flags.DF']);
        return;
      }
      if (!r.ok) throw new Error(JSON.stringify(r.error));
      const isUdpTunnel = spec.tunnel === 'vxlan' || spec.tunnel === 'gpe' || spec.tunnel === 'gpe-l3' || spec.tunnel === 'geneve';
      verifySegments(frame, d, r.value, opts, isUdpTunnel ? { outerCsum: spec.outerCsum } : {});
      // The no-allocation variant writes the same bytes.
      const plan = planSegments(frame, d, opts);
      if (!plan.ok) throw new Error('plan');
      const out = new Uint8Array(plan.value.totalLength + 7).fill(0xa5);
      const offsets = new Uint32Array(plan.value.count + 1);
      const c = segmentInto(frame, d, out, offsets, opts, 7);
      expect(c).toEqual({ ok: true, value: r.value.length });
      expect(offsets[0]).toBe(7);
      expect(offsets[plan.value.count]).toBe(out.length);
      for (let i = 0; i < r.value.length; i++) expect(sameBytes(out.subarray(offsets[i]!, offsets[i + 1]!), r.value[i]!)).toBe(true);
    },
  );
});

describe('segmentFrame: worked examples', () => {
  const base: Spec = {
    tunnel: 'vxlan',
    underlay: 4,
    inner: 4,
    l4: 'tcp',
    options: [],
    outerCsum: true,
    zeroLengths: false,
    payload: fill(20000, 7),
    seq: 0xfffff000,
    tcpFlags: 0x80 | 0x10 | 0x08 | 0x01, // CWR ACK PSH FIN
    tcpOptions: new Uint8Array(12).fill(1),
    ipv4Options: new Uint8Array(0),
    innerId: 0xfffe,
    outerId: 0xfffd,
    df: true,
    junk: 0,
  };

  it('VXLAN/IPv4 20000 B, mss 1448: 14 segments; IDs, seq and flags as Linux; the checksums verify', () => {
    const frame = buildSuperPacket(base);
    const d = deriveOffloadDescriptor(frame, { gsoSize: 1448 });
    if (!d.ok) throw new Error('derive');
    expect(d.value.gso).toMatchObject({ type: 'tcpv4', tunnel: 'udp-tunnel-csum', size: 1448, segments: 14, ecn: true });
    const r = segmentFrame(frame, d.value);
    if (!r.ok) throw new Error('segment');
    const segs = r.value;
    expect(segs.map((s) => s.length)).toEqual([...new Array(13).fill(14 + 20 + 8 + 8 + 14 + 20 + 32 + 1448), 14 + 20 + 8 + 8 + 14 + 20 + 32 + 20000 - 13 * 1448]);
    const ip = 14, iip = 64, l4 = 84;
    expect(segs.map((s) => u16(s, ip + 4))).toEqual(Array.from({ length: 14 }, (_, i) => (0xfffd + i) & 0xffff)); // wraps
    expect(segs.map((s) => u16(s, iip + 4))).toEqual(Array.from({ length: 14 }, (_, i) => (0xfffe + i) & 0xffff));
    expect(segs.map((s) => u32(s, l4 + 4))).toEqual(Array.from({ length: 14 }, (_, i) => (0xfffff000 + i * 1448) >>> 0)); // wraps mod 2^32
    expect(segs.map((s) => s[l4 + 13])).toEqual([0x90, ...new Array(12).fill(0x10), 0x19]);
    verifySegments(frame, d.value, segs, {});
  });

  it('partial inner checksum: every segment carries the seed; the state names csum_start/csum_offset', () => {
    const frame = buildSuperPacket({ ...base, tunnel: 'geneve', underlay: 6, inner: 6, options: [{ optionClass: 0x0102, type: 0x80, critical: true, rbits: 0, data: fill(8, 3) }] });
    const d = deriveOffloadDescriptor(frame, { gsoSize: 1400 });
    if (!d.ok) throw new Error('derive');
    expect(segmentChecksumState(d.value, { innerCsum: 'partial' })).toEqual({ kind: 'partial', csumStart: d.value.inner.l4Offset, csumOffset: 16 });
    expect(segmentChecksumState(d.value)).toEqual({ kind: 'none' });
    const r = segmentFrame(frame, d.value, { innerCsum: 'partial' });
    if (!r.ok) throw new Error('segment');
    verifySegments(frame, d.value, r.value, { innerCsum: 'partial' });
  });

  it('fixedId with DF keeps the inner IPv4 ID; the outer ID still increments', () => {
    const frame = buildSuperPacket(base);
    const d = deriveOffloadDescriptor(frame, { gsoSize: 3000 });
    if (!d.ok) throw new Error('derive');
    const r = segmentFrame(frame, d.value, { fixedId: true });
    if (!r.ok) throw new Error('segment');
    expect(r.value.map((s) => u16(s, 64 + 4))).toEqual(new Array(7).fill(0xfffe));
    expect(r.value.map((s) => u16(s, 14 + 4))).toEqual(Array.from({ length: 7 }, (_, i) => (0xfffd + i) & 0xffff));
    verifySegments(frame, d.value, r.value, { fixedId: true });
  });

  it('VXLAN over IPv4 without a UDP checksum: 0 stays 0', () => {
    const frame = buildSuperPacket({ ...base, outerCsum: false });
    const d = deriveOffloadDescriptor(frame, { gsoSize: 1448 });
    if (!d.ok) throw new Error('derive');
    expect(d.value.gso?.tunnel).toBe('udp-tunnel');
    const r = segmentFrame(frame, d.value);
    if (!r.ok) throw new Error('segment');
    expect(r.value.every((s) => u16(s, 34 + 6) === 0)).toBe(true);
    verifySegments(frame, d.value, r.value, {}, { outerCsum: false });
  });

  it('a UDP checksum that computes to 0 is sent as 0xFFFF (USO inner and outer)', () => {
    // Inner (USO, no tunnel): choose the first payload word so that the datagram sums to 0xffff.
    const zeroField = (seg: Uint8Array, ip: number, u: number): number => {
      const c = seg.slice();
      c[u + 6] = 0;
      c[u + 7] = 0;
      return naiveSum([naivePseudo(c, ip, 17, c.length - u), slice(c, u, c.length)]);
    };
    const uso = (k: number) => {
      const payload = fill(64, 11);
      payload[0] = k >> 8;
      payload[1] = k & 0xff;
      const frame = buildSuperPacket({ ...base, tunnel: 'none', l4: 'udp', payload, tcpOptions: new Uint8Array(0) });
      const d = deriveOffloadDescriptor(frame, {});
      if (!d.ok) throw new Error('derive');
      const r = segmentFrame(frame, d.value);
      if (!r.ok) throw new Error('segment');
      return r.value[0]!;
    };
    const k1 = 0xffff - zeroField(uso(0), 14, 34);
    const s1 = uso(k1);
    expect(zeroField(s1, 14, 34)).toBe(0xffff); // the checksum computes to 0 ...
    expect(u16(s1, 34 + 6)).toBe(0xffff); // ... and is sent as 0xFFFF
    // Outer UDP: with a valid inner checksum the outer sum does not depend on the payload (LCO), so vary the VNI.
    const vx = (k: number) => {
      const frame = buildSuperPacket(base);
      frame[46] = k >> 8; // VXLAN VNI bytes 4-5: a 16-bit word at an even offset from the UDP header
      frame[47] = k & 0xff;
      const d = deriveOffloadDescriptor(frame, { gsoSize: 1448 });
      if (!d.ok) throw new Error('derive');
      const r = segmentFrame(frame, d.value);
      if (!r.ok) throw new Error('segment');
      return r.value[0]!;
    };
    const k2 = 0xffff - zeroField(vx(0), 14, 34);
    const s2 = vx(k2);
    expect(zeroField(s2, 14, 34)).toBe(0xffff);
    expect(u16(s2, 34 + 6)).toBe(0xffff);
  });

  it('no tunnel, TCP over IPv6 and USO over IPv4 with BIG TCP zero lengths', () => {
    for (const s of [
      { ...base, tunnel: 'none' as const, inner: 6 as const, zeroLengths: true, payload: fill(65536, 5) },
      { ...base, tunnel: 'none' as const, l4: 'udp' as const, zeroLengths: true, payload: fill(65536, 6) },
    ]) {
      const frame = buildSuperPacket(s);
      const d = deriveOffloadDescriptor(frame, { gsoSize: 1448 });
      if (!d.ok) throw new Error('derive');
      const r = segmentFrame(frame, d.value);
      if (!r.ok) throw new Error('segment');
      expect(r.value.length).toBe(Math.ceil(65536 / 1448));
      verifySegments(frame, d.value, r.value, {});
    }
  });

  it('a frame that fits one segment is one fixed segment (no gso in the descriptor)', () => {
    const frame = buildSuperPacket({ ...base, payload: fill(100, 1), junk: 0x1111 });
    const d = deriveOffloadDescriptor(frame, { gsoSize: 1448 });
    if (!d.ok) throw new Error('derive');
    expect(d.value.gso).toBeUndefined();
    const r = segmentFrame(frame, d.value);
    if (!r.ok) throw new Error('segment');
    expect(r.value.length).toBe(1);
    expect(r.value[0]![84 + 13]).toBe(base.tcpFlags); // the only segment is first and last: all flags kept
    verifySegments(frame, d.value, r.value, {});
  });

  it('segmentInto throws RangeError when the caller buffer is too small', () => {
    const frame = buildSuperPacket(base);
    const d = deriveOffloadDescriptor(frame, { gsoSize: 1448 });
    if (!d.ok) throw new Error('derive');
    expect(() => segmentInto(frame, d.value, new Uint8Array(100), new Uint32Array(15))).toThrow(RangeError);
    expect(() => segmentInto(frame, d.value, new Uint8Array(100000), new Uint32Array(3))).toThrow(RangeError);
    const offs: number[] = [];
    expect(segmentInto(frame, d.value, new Uint8Array(100000), offs)).toEqual({ ok: true, value: 14 });
    expect(offs.length).toBe(15);
  });
});

describe('segmentFrame: typed errors for unsupported input', () => {
  const s: Spec = {
    tunnel: 'vxlan',
    underlay: 4,
    inner: 4,
    l4: 'tcp',
    options: [],
    outerCsum: false,
    zeroLengths: false,
    payload: fill(5000, 2),
    seq: 1,
    tcpFlags: 0x10,
    tcpOptions: new Uint8Array(0),
    ipv4Options: new Uint8Array(0),
    innerId: 1,
    outerId: 1,
    df: false,
    junk: 0,
  };
  const setup = (spec: Spec = s) => {
    const frame = buildSuperPacket(spec);
    const d = deriveOffloadDescriptor(frame, { gsoSize: 1000 });
    if (!d.ok) throw new Error('derive');
    return { frame, d: d.value };
  };
  const errorOf = (r: { ok: boolean; error?: { kind: string; field: string } }) => (r.ok ? 'ok' : `${r.error!.kind}:${r.error!.field}`);

  it('mss 0, fractional or above 65535', () => {
    const { frame, d } = setup();
    for (const mss of [0, 1.5, 65536, Number.NaN]) expect(errorOf(segmentFrame(frame, d, { mss }))).toBe('bad-value:mss');
  });
  it('inner and outer fragments', () => {
    for (const at of [64 + 6, 14 + 6]) {
      const { frame, d } = setup();
      frame[at] = frame[at]! | 0x20; // MF
      expect(errorOf(segmentFrame(frame, d))).toBe('unsupported:fragment');
    }
  });
  it('inner protocol other than TCP/UDP, STT, UFO, another frame', () => {
    const { frame, d } = setup();
    expect(errorOf(segmentFrame(frame, { ...d, inner: { ...d.inner, l4Protocol: 1 } }))).toBe('unsupported:protocol');
    expect(errorOf(segmentFrame(frame, { ...d, tunnel: 'stt' }))).toBe('unsupported:tunnel');
    expect(errorOf(segmentFrame(frame, { ...d, gso: { ...d.gso!, type: 'udp' } }))).toBe('unsupported:gsoType');
    expect(errorOf(segmentFrame(frame, { ...d, gso: { ...d.gso!, type: 'tcpv6' } }))).toBe('bad-value:gsoType');
    expect(errorOf(segmentFrame(frame.subarray(0, 200), d))).toBe('bad-value:frameLength');
  });
  it('fixedId without DF (Linux fails the segmentation)', () => {
    const { frame, d } = setup();
    expect(errorOf(segmentFrame(frame, d, { fixedId: true }))).toBe('bad-flags:flags.DF');
  });
  it('an outer length beyond the frame; 0 is fine', () => {
    const { frame, d } = setup();
    frame[16] = 0xff;
    frame[17] = 0xff;
    expect(errorOf(segmentFrame(frame, d))).toBe('length-overrun:length');
    frame[16] = 0;
    frame[17] = 0;
    expect(errorOf(segmentFrame(frame, d))).toBe('ok');
  });
  it('GRE with sequence numbers (Linux offers no GSO for it)', () => {
    const { frame, d } = setup({ ...s, tunnel: 'gre-csum' });
    frame[34] = frame[34]! | 0x10; // S
    expect(errorOf(segmentFrame(frame, d))).toBe('unsupported:flags.S');
  });
  it('a segment that would exceed 65535 IP bytes', () => {
    const { frame, d } = setup({ ...s, payload: fill(70000, 1), zeroLengths: true });
    expect(errorOf(segmentFrame(frame, d, { mss: 65535 }))).toBe('bad-length:length');
  });
});

// ---------------------------------------------------------------------------------------------------
// Real super-frames: the GSO and BIG TCP captures of the corpus (tcpdump tests, Linux 6.18 veth).

const CAPS = new URL('../fixtures/captures/', import.meta.url);
const realFrames = (name: string, min = 1515): Uint8Array[] => {
  const { records } = readCaptureAll(new Uint8Array(readFileSync(new URL(name, CAPS))));
  return records.filter((r) => r.caplen === r.origLen && r.data.length >= min).map((r) => r.data.slice());
};

describe('segmentFrame on captured super-frames', () => {
  const names = [
    'tcpdump-gso-ipv4-geneve-ipv4.pcap',
    'tcpdump-gso-ipv4-geneve-ipv6.pcap',
    'tcpdump-gso-ipv4-vxlan-ipv4.pcap',
    'tcpdump-gso-ipv6-geneve-ipv6.pcap',
    'tcpdump-gso-ipv6-vxlan-ipv4.pcap',
    'tcpdump-gso-ipv6-vxlan-ipv6.pcap',
    'tcpdump-bigtcp-ipv4-geneve-ipv4.pcap',
    'tcpdump-bigtcp-ipv4-vxlan-ipv4.pcap',
    'tcpdump-bigtcp-ipv4-vxlan-ipv6.pcap',
    'tcpdump-bigtcp-ipv6-geneve-ipv4.pcap',
    'tcpdump-bigtcp-ipv6-vxlan-ipv6.pcap',
    'kernel-vxlan-ipv4-tcp-gso.pcap',
  ];
  for (const name of names) {
    it(`${name}: every super-frame segments into frames whose checksums verify`, () => {
      const frames = realFrames(name);
      expect(frames.length).toBeGreaterThan(0);
      for (const frame of frames) {
        for (const innerCsum of ['complete', 'partial'] as const) {
          const d = deriveOffloadDescriptor(frame, { gsoSize: 1398 });
          if (!d.ok) throw new Error(`${name}: ${JSON.stringify(d.error)}`);
          const r = segmentFrame(frame, d.value, { innerCsum });
          if (!r.ok) throw new Error(`${name}: ${JSON.stringify(r.error)}`);
          expect(r.value.length).toBeGreaterThan(1);
          verifySegments(frame, d.value, r.value, { innerCsum });
        }
      }
    });
  }
});
