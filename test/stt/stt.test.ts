import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { TcpView } from '../../src/net/tcp.js';
import {
  STT_ERR_TRUNCATED,
  STT_FLAGS_RESERVED,
  STT_FLAG_CSUM_PARTIAL,
  STT_FLAG_CSUM_VERIFIED,
  STT_FLAG_IPV4,
  STT_FLAG_TCP,
  STT_FRAME_HEADER_LEN,
  STT_OK,
  STT_TCP_PORT,
  SttView,
  emitStt,
  emitSttSegmentTcp,
  parseStt,
  sttError,
  sttFragmentOffset,
  sttFrameId,
  sttFrameLength,
  sttLength,
  sttSegmentInfo,
  type SttFields,
} from '../../src/stt/index.js';
import { sttFields } from '../../src/arbitraries/index.js';
import {
  STT_BASIC_SEGMENTS,
  STT_HDR_CONTEXT1,
  STT_HDR_DEADBEEF_VLAN,
  STT_HDR_TSO,
  STT_MALFORMED_SEGMENTS,
  TCP_STT_BASIC_F1,
  type SttCapturedSegment,
  type SttTsharkHdr,
} from '../fixtures/stt.js';
import { asBuffer } from '../oracles/buf.js';
import { sttBl, sttBp } from '../oracles/stt.js';

const a5 = (n: number) => new Uint8Array(n).fill(0xa5);
const ALL_SEGMENTS = [...STT_BASIC_SEGMENTS, ...STT_MALFORMED_SEGMENTS];

const CONTEXT1: SttFields = { version: 0, flags: 0, l4Offset: 0, reserved: 0, mss: 0, pcp: 0, vlanValid: false, vlanId: 0, contextId: 1n, padding: 0 };
const DEADBEEF: SttFields = { ...CONTEXT1, flags: STT_FLAG_CSUM_VERIFIED, pcp: 3, vlanValid: true, vlanId: 100, contextId: 0xdeadbeefcafef00dn };
const TSO: SttFields = { ...CONTEXT1, flags: STT_FLAG_CSUM_PARTIAL | STT_FLAG_IPV4 | STT_FLAG_TCP, l4Offset: 34, mss: 1400, contextId: 0x42n };

/** tshark's STT frame header fields in the shape of {@link SttFields}. */
function fromTshark(t: SttTsharkHdr): SttFields {
  return {
    version: t.version!,
    flags: Number(t.flags_hex),
    l4Offset: t.l4_offset!,
    reserved: t.reserved!,
    mss: t.mss!,
    pcp: t.vlan_pcp!,
    vlanValid: t.vlan_v === 1,
    vlanId: t.vlan_id!,
    contextId: BigInt(t.context_id!),
    padding: t.padding!,
  };
}
/** The STT header read through the view with no version check (to compare frames tshark decodes with version ≠ 0). */
function viewFields(b: Uint8Array, off: number): SttFields {
  const v = SttView.unchecked(b, off);
  return { version: v.version, flags: v.flags, l4Offset: v.l4Offset, reserved: v.reserved, mss: v.mss, pcp: v.pcp, vlanValid: v.vlanValid, vlanId: v.vlanId, contextId: v.contextId, padding: v.padding };
}
const tcpOf = (s: SttCapturedSegment) => {
  const r = TcpView.check(s.segment);
  if (!r.ok) throw new Error(`fixture ${s.file}#${s.frame} has no valid TCP header`);
  return r.value;
};

describe('STT fixtures (deconstruct / construct / parse / emit)', () => {
  it('flag constants use the OVS/Wireshark LSB-first values, not the draft figure', () => {
    expect([STT_FLAG_CSUM_VERIFIED, STT_FLAG_CSUM_PARTIAL, STT_FLAG_IPV4, STT_FLAG_TCP, STT_FLAGS_RESERVED]).toEqual([0x01, 0x02, 0x04, 0x08, 0xf0]);
    expect([STT_FRAME_HEADER_LEN, STT_TCP_PORT]).toEqual([18, 7471]);
  });
  it('header fixtures are bytes 20..38 of the captured first segments', () => {
    expect(STT_BASIC_SEGMENTS[0]!.segment.subarray(20, 38)).toEqual(STT_HDR_CONTEXT1);
    expect(STT_BASIC_SEGMENTS[4]!.segment.subarray(20, 38)).toEqual(STT_HDR_DEADBEEF_VLAN);
    expect(STT_BASIC_SEGMENTS[6]!.segment.subarray(20, 38)).toEqual(STT_HDR_TSO);
  });
  it('deconstructs the context-0xdeadbeefcafef00d header (C flag, V=1 PCP 3 VID 100)', () => {
    const r = SttView.check(STT_HDR_DEADBEEF_VLAN);
    expect(r.ok).toBe(true);
    const v = SttView.unchecked(STT_HDR_DEADBEEF_VLAN);
    expect([v.version, v.flags, v.csumVerified, v.csumPartial, v.ipv4, v.tcp, v.l4Offset, v.reserved, v.mss]).toEqual([0, 1, true, false, false, false, 0, 0, 0]);
    expect([v.vlanTci, v.pcp, v.vlanValid, v.vlanId, v.contextId, v.contextIdHigh, v.contextIdLow, v.padding]).toEqual([
      0x7064, 3, true, 100, 0xdeadbeefcafef00dn, 0xdeadbeef, 0xcafef00d, 0,
    ]);
    expect([v.headerLength, v.payloadOffset]).toEqual([18, 18]);
  });
  it('deconstructs the TSO header (flags 0x0e, L4 offset 34, MSS 1400)', () => {
    const v = SttView.unchecked(STT_HDR_TSO);
    expect([v.flags, v.csumVerified, v.csumPartial, v.ipv4, v.tcp, v.l4Offset, v.mss, v.vlanValid, v.contextId]).toEqual([
      0x0e, false, true, true, true, 34, 1400, false, 0x42n,
    ]);
  });
  it('constructs all three headers through setters over 0xa5', () => {
    const build = (set: (v: SttView) => void) => {
      const buf = a5(18);
      const v = SttView.unchecked(buf);
      v.version = 0;
      v.flags = 0;
      v.l4Offset = 0;
      v.reserved = 0;
      v.mss = 0;
      v.vlanTci = 0;
      v.padding = 0;
      set(v);
      return buf;
    };
    expect(build((v) => (v.contextId = 1n))).toEqual(STT_HDR_CONTEXT1);
    expect(
      build((v) => {
        v.csumVerified = true;
        v.pcp = 3;
        v.vlanValid = true;
        v.vlanId = 100;
        v.contextId = 0xdeadbeefcafef00dn;
      }),
    ).toEqual(STT_HDR_DEADBEEF_VLAN);
    expect(
      build((v) => {
        v.csumPartial = true;
        v.ipv4 = true;
        v.tcp = true;
        v.l4Offset = 34;
        v.mss = 1400;
        v.contextId = 0x42n;
      }),
    ).toEqual(STT_HDR_TSO);
  });
  it('parses the fixtures to the expected fields (strict too)', () => {
    expect(parseStt(STT_HDR_CONTEXT1)).toEqual({ ok: true, value: CONTEXT1 });
    expect(parseStt(STT_HDR_DEADBEEF_VLAN)).toEqual({ ok: true, value: DEADBEEF });
    expect(parseStt(STT_HDR_TSO, 0, 18, { strict: true })).toEqual({ ok: true, value: TSO });
  });
  it('emits the fixtures byte-exact over 0xa5', () => {
    for (const [f, fx] of [[CONTEXT1, STT_HDR_CONTEXT1], [DEADBEEF, STT_HDR_DEADBEEF_VLAN], [TSO, STT_HDR_TSO]] as const) {
      const out = a5(18);
      expect(emitStt(f, out)).toBe(18);
      expect(out).toEqual(fx);
      expect(sttLength(f)).toBe(18);
    }
  });
});

describe('STT against the captures and tshark', () => {
  it('segment info (frame length, fragment offset, frame id) agrees with tshark on all 16 segments', () => {
    for (const s of ALL_SEGMENTS) {
      const t = tcpOf(s);
      const info = sttSegmentInfo(t);
      expect(info, `${s.file}#${s.frame}`).toEqual({ frameLength: s.tshark.pkt_len, fragmentOffset: s.tshark.seg_off, frameId: Number(s.tshark.pkt_id) });
      expect([sttFrameLength(t), sttFragmentOffset(t), sttFrameId(t)]).toEqual([info.frameLength, info.fragmentOffset, info.frameId]);
      expect(t.dstPort).toBe(STT_TCP_PORT);
    }
  });
  it('scapy-stt-basic: every first segment parses (strict) to tshark’s header fields', () => {
    for (const s of STT_BASIC_SEGMENTS.filter((x) => x.tshark.seg_off === 0)) {
      const t = tcpOf(s);
      expect(parseStt(s.segment, t.payloadOffset, s.segment.length, { strict: true }), `frame ${s.frame}`).toEqual({ ok: true, value: fromTshark(s.tshark) });
    }
    // Frame 8 is a continuation: tshark shows the header of the reassembled frame, i.e. frame 7's.
    expect(fromTshark(STT_BASIC_SEGMENTS[7]!.tshark)).toEqual(TSO);
    expect(STT_BASIC_SEGMENTS[7]!.tshark.segment_count).toBe(2);
  });
  it('flag booleans agree with tshark’s flag_* fields', () => {
    for (const s of STT_BASIC_SEGMENTS.filter((x) => x.tshark.seg_off === 0)) {
      const v = SttView.unchecked(s.segment, 20);
      const t = s.tshark;
      expect([v.csumVerified, v.csumPartial, v.ipv4, v.tcp, v.flags & STT_FLAGS_RESERVED]).toEqual([
        t.flag_csum_verified === 1, t.flag_csum_partial === 1, t.flag_ipv4 === 1, t.flag_tcp === 1, t.flags_reserved,
      ]);
    }
  });
  it('malformed 1: version 1 is bad-version at the STT header; tshark says "Unknown version 1"', () => {
    const s = STT_MALFORMED_SEGMENTS[0]!;
    const t = tcpOf(s);
    expect(parseStt(s.segment, t.payloadOffset)).toEqual({ ok: false, error: { kind: 'bad-version', layer: 'stt', at: 20, field: 'version', found: 1, allowed: '0' } });
    expect(viewFields(s.segment, t.payloadOffset)).toEqual(fromTshark(s.tshark));
  });
  it('malformed 2-5, 7: headers well-formed on the wire and equal to tshark’s', () => {
    for (const i of [1, 2, 3, 6]) {
      const s = STT_MALFORMED_SEGMENTS[i]!;
      const t = tcpOf(s);
      expect(parseStt(s.segment, t.payloadOffset), `frame ${s.frame}`).toEqual({ ok: true, value: fromTshark(s.tshark) });
    }
    expect(sttSegmentInfo(tcpOf(STT_MALFORMED_SEGMENTS[1]!))).toEqual({ frameLength: 30, fragmentOffset: 0, frameId: 0xe002 });
    expect(STT_MALFORMED_SEGMENTS[1]!.segment.length - 20).toBe(108);
  });
  it('malformed 6: data offset 6 puts the STT header at TCP+24; tshark read it at TCP+20', () => {
    const s = STT_MALFORMED_SEGMENTS[5]!;
    const t = tcpOf(s);
    expect([t.headerLength, t.payloadOffset, s.tshark.tcp_data_offset]).toEqual([24, 24, 24]);
    expect(parseStt(s.segment, t.payloadOffset, s.segment.length, { strict: true })).toEqual({ ok: true, value: CONTEXT1 });
    // tshark's (wrong) decode is exactly the 18 bytes at TCP+20: NOP options + the first 14 STT bytes.
    expect(viewFields(s.segment, 20)).toEqual(fromTshark(s.tshark));
    expect(fromTshark(s.tshark)).toMatchObject({ version: 1, flags: 1, l4Offset: 1, reserved: 1, contextId: 0n });
  });
  it('malformed 7: P with L4 offset 6 parses by default and is bad-value in strict mode (OVS needs >= 34)', () => {
    const s = STT_MALFORMED_SEGMENTS[6]!;
    const r = parseStt(s.segment, 20);
    expect(r.ok && [r.value.flags, r.value.l4Offset]).toEqual([0x0e, 6]);
    expect(parseStt(s.segment, 20, s.segment.length, { strict: true })).toEqual({
      ok: false,
      error: { kind: 'bad-value', layer: 'stt', at: 22, field: 'l4Offset', found: 6, allowed: '>= 34 when P is set (IPv4)' },
    });
  });
  it('malformed 8: a 10-byte payload is truncated (tshark: malformed)', () => {
    const s = STT_MALFORMED_SEGMENTS[7]!;
    expect(s.segment.length).toBe(30);
    expect(parseStt(s.segment, tcpOf(s).payloadOffset)).toEqual({
      ok: false,
      error: { kind: 'truncated', layer: 'stt', at: 20, field: 'header', found: 10, allowed: '>= 18 bytes' },
    });
  });
});

describe('STT errors and strict mode', () => {
  it('truncation sweep: every prefix of every header fixture at offset 5 is a typed error', () => {
    for (const fx of [STT_HDR_CONTEXT1, STT_HDR_DEADBEEF_VLAN, STT_HDR_TSO]) {
      for (let k = 0; k < fx.length; k++) {
        const big = a5(5 + k);
        big.set(fx.subarray(0, k), 5);
        expect(parseStt(big, 5)).toEqual({ ok: false, error: { kind: 'truncated', layer: 'stt', at: 5, field: 'header', found: k, allowed: '>= 18 bytes' } });
        expect(parseStt(a5(64).fill(0), 5, 5 + k).ok).toBe(false);
        expect(SttView.empty().wrap(big, 5)).toBe(STT_ERR_TRUNCATED);
      }
    }
    expect(sttError(STT_ERR_TRUNCATED, new Uint8Array(3), 9)).toEqual({ kind: 'truncated', layer: 'stt', at: 9, field: 'header', found: 0, allowed: '>= 18 bytes' });
  });
  it('wrap re-points one view without allocation', () => {
    const v = SttView.empty();
    expect(v.wrap(STT_HDR_DEADBEEF_VLAN, 0)).toBe(STT_OK);
    expect(v.vlanId).toBe(100);
    expect(v.wrap(STT_HDR_TSO, 0)).toBe(STT_OK);
    expect(v.mss).toBe(1400);
  });
  it('strict mode reports reserved flag bits, C+P, reserved byte, padding in that order; default ignores them', () => {
    const at = 7;
    const mk = (patch: (b: Uint8Array) => void) => {
      const b = a5(at + 18);
      b.set(STT_HDR_CONTEXT1, at);
      patch(b);
      return b;
    };
    const cases: [Uint8Array, object][] = [
      [mk((b) => (b[at + 1] = 0x10)), { kind: 'reserved-nonzero', layer: 'stt', at: at + 1, field: 'flags', found: 0x10, allowed: 'bits 0xf0 clear' }],
      [mk((b) => (b[at + 1] = 0x03)), { kind: 'bad-flags', layer: 'stt', at: at + 1, field: 'flags', found: 3, allowed: 'C (0x01) and P (0x02) not both set' }],
      [mk((b) => (b[at + 3] = 0x80)), { kind: 'reserved-nonzero', layer: 'stt', at: at + 3, field: 'reserved', found: 0x80, allowed: '0' }],
      [mk((b) => (b[at + 17] = 1)), { kind: 'reserved-nonzero', layer: 'stt', at: at + 16, field: 'padding', found: 1, allowed: '0' }],
      [mk((b) => ((b[at + 1] = 0x02), (b[at + 2] = 53))), { kind: 'bad-value', layer: 'stt', at: at + 2, field: 'l4Offset', found: 53, allowed: '>= 54 when P is set (IPv6)' }],
      [mk((b) => ((b[at + 1] = 0xf3), (b[at + 3] = 1))), { kind: 'reserved-nonzero', layer: 'stt', at: at + 1, field: 'flags', found: 0xf3, allowed: 'bits 0xf0 clear' }],
    ];
    for (const [b, e] of cases) {
      expect(parseStt(b, at, b.length, { strict: true })).toEqual({ ok: false, error: e });
      expect(parseStt(b, at).ok).toBe(true);
    }
    expect(parseStt(mk((b) => ((b[at + 1] = 0x02), (b[at + 2] = 54))), at, at + 18, { strict: true }).ok).toBe(true);
  });
  it('version is checked before everything else', () => {
    const b = Uint8Array.from(STT_HDR_CONTEXT1);
    b[0] = 0xff;
    b[1] = 0xff;
    expect(parseStt(b, 0, 18, { strict: true })).toEqual({ ok: false, error: { kind: 'bad-version', layer: 'stt', at: 0, field: 'version', found: 255, allowed: '0' } });
  });
  it('emit and setters reject out-of-range values', () => {
    const out = a5(18);
    expect(() => emitStt({ ...CONTEXT1, contextId: 2n ** 64n }, out)).toThrow(RangeError);
    expect(() => emitStt({ ...CONTEXT1, contextId: -1n }, out)).toThrow(RangeError);
    expect(() => emitStt({ ...CONTEXT1, pcp: 8 }, out)).toThrow(RangeError);
    expect(() => emitStt({ ...CONTEXT1, vlanId: 4096 }, out)).toThrow(RangeError);
    expect(() => emitStt({ ...CONTEXT1, flags: 256 }, out)).toThrow(RangeError);
    expect(() => emitStt({ ...CONTEXT1, mss: 65536 }, out)).toThrow(RangeError);
    expect(() => emitStt(CONTEXT1, a5(17))).toThrow(RangeError);
    expect(() => emitStt(CONTEXT1, a5(18), 1)).toThrow(RangeError);
    const v = SttView.unchecked(out);
    expect(() => (v.vlanId = 0x1000)).toThrow(RangeError);
    expect(() => (v.contextId = 2n ** 64n)).toThrow(RangeError);
  });
});

describe('STT segment TCP header', () => {
  it('emitSttSegmentTcp reproduces scapy-stt-basic frame 1’s TCP header', () => {
    const out = a5(20);
    expect(emitSttSegmentTcp({ srcPort: 49153, frameLength: 108, fragmentOffset: 0, frameId: 0x1001, window: 0xffff, checksum: 0x5fe4 }, out)).toBe(20);
    expect(out).toEqual(TCP_STT_BASIC_F1);
  });
  it('defaults follow the draft: port 7471, ACK|PSH, window 0, checksum 0, data offset 5', () => {
    const out = a5(24);
    emitSttSegmentTcp({ srcPort: 1, frameLength: 2472, fragmentOffset: 1448, frameId: 0xffffffff, psh: false }, out, 4);
    const t = TcpView.unchecked(out, 4);
    expect([t.dstPort, t.flags, t.window, t.checksum, t.urgentPointer, t.headerLength]).toEqual([7471, 0x10, 0, 0, 0, 20]);
    expect(sttSegmentInfo(t)).toEqual({ frameLength: 2472, fragmentOffset: 1448, frameId: 0xffffffff });
    expect(out.subarray(0, 4)).toEqual(a5(4));
    expect(() => emitSttSegmentTcp({ srcPort: 1, frameLength: 0x10000, fragmentOffset: 0, frameId: 0 }, a5(20))).toThrow(RangeError);
    expect(() => emitSttSegmentTcp({ srcPort: 1, frameLength: 18, fragmentOffset: 0, frameId: 2 ** 32 }, a5(20))).toThrow(RangeError);
  });
  test.prop([
    fc.integer({ min: 0, max: 0xffff }),
    fc.integer({ min: 0, max: 0xffff }),
    fc.integer({ min: 0, max: 0xffff }),
    fc.integer({ min: 0, max: 0xffffffff }),
    fc.boolean(),
    fc.nat(16),
  ])('segment fields round-trip through the TCP view', (srcPort, frameLength, fragmentOffset, frameId, psh, off) => {
    const out = a5(off + 20);
    emitSttSegmentTcp({ srcPort, frameLength, fragmentOffset, frameId, psh }, out, off);
    const r = TcpView.check(out, off);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(sttSegmentInfo(r.value)).toEqual({ frameLength, fragmentOffset, frameId });
    expect([r.value.srcPort, r.value.seq, r.value.flags]).toEqual([srcPort, ((frameLength << 16) | fragmentOffset) >>> 0, psh ? 0x18 : 0x10]);
  });
});

/** The published generator (`tunnelwire/arbitraries`): version 0, every flag byte, reserved byte and padding, 64-bit Context ID. */
const sttArb: fc.Arbitrary<SttFields> = sttFields();
const canonicalSttArb = fc.uint8Array({ minLength: 18, maxLength: 40 }).map((raw) => {
  const b = Uint8Array.from(raw);
  b[0] = 0;
  return b;
});

describe('STT properties', () => {
  test.prop([sttArb, fc.nat(32)])('emit then parse round-trips over the whole domain at any offset', (f, off) => {
    const buf = a5(off + 18 + 3);
    expect(emitStt(f, buf, off)).toBe(18);
    expect(parseStt(buf, off)).toEqual({ ok: true, value: f });
    expect(buf.subarray(off + 18)).toEqual(a5(3));
    expect(buf.subarray(0, off)).toEqual(a5(off));
  });
  test.prop([
    fc.integer({ min: 0, max: 0xff }),
    fc.integer({ min: 0, max: 0xff }),
    fc.integer({ min: 0, max: 7 }),
    fc.boolean(),
    fc.integer({ min: 0, max: 0xfff }),
    fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    fc.uint8Array({ minLength: 18, maxLength: 18 }),
  ])('view setters cover every version, flag bit, VLAN field and context ID without disturbing neighbours', (version, flags, pcp, vv, vid, ctx, raw) => {
    const b = Uint8Array.from(raw);
    const v = SttView.unchecked(b);
    v.version = version;
    v.flags = 0;
    v.csumVerified = (flags & 1) !== 0;
    v.csumPartial = (flags & 2) !== 0;
    v.ipv4 = (flags & 4) !== 0;
    v.tcp = (flags & 8) !== 0;
    expect(v.flags).toBe(flags & 0x0f);
    v.flags = flags;
    v.vlanId = vid;
    v.pcp = pcp;
    v.vlanValid = vv;
    v.contextId = ctx;
    expect([v.version, v.flags, v.pcp, v.vlanValid, v.vlanId, v.vlanTci, v.contextId]).toEqual([version, flags, pcp, vv, vid, (pcp << 13) | (vv ? 0x1000 : 0) | vid, ctx]);
    expect([v.contextIdHigh, v.contextIdLow]).toEqual([Number(ctx >> 32n), Number(ctx & 0xffffffffn)]);
    expect([v.l4Offset, v.reserved, v.mss, v.padding]).toEqual([raw[2], raw[3], (raw[4]! << 8) | raw[5]!, (raw[16]! << 8) | raw[17]!]);
  });
  test.prop([fc.uint8Array({ maxLength: 64 }), fc.nat(70), fc.nat(70), fc.boolean()])('parse never throws on arbitrary bytes', (b, off, endDelta, strict) => {
    const end = Math.min(b.length, off + endDelta);
    const r = parseStt(b, off, end, { strict });
    if (r.ok) expect(off + 18).toBeLessThanOrEqual(end);
    else expect(['truncated', 'bad-version', 'reserved-nonzero', 'bad-flags', 'bad-value']).toContain(r.error.kind);
  });
  test.prop([fc.uint8Array({ minLength: 18, maxLength: 18 })])('strict parse accepts exactly the headers the draft + OVS allow', (b) => {
    const flags = b[1]!;
    const p = (flags & 2) !== 0;
    const allowed =
      b[0] === 0 && (flags & 0xf0) === 0 && !((flags & 1) && p) && b[3] === 0 && b[16] === 0 && b[17] === 0 && (!p || b[2]! >= ((flags & 4) ? 34 : 54));
    expect(parseStt(b, 0, 18, { strict: true }).ok).toBe(allowed);
    expect(parseStt(b).ok).toBe(b[0] === 0);
  });
  test.prop([canonicalSttArb])('emit(parse(b)) equals b on canonical inputs', (b) => {
    const r = parseStt(b);
    expect(r.ok).toBe(true);
    const out = a5(18);
    if (r.ok) emitStt(r.value, out);
    expect(out).toEqual(b.subarray(0, 18));
  });
  test.prop([fc.uint8Array({ minLength: 18, maxLength: 30 }), fc.nat(40), fc.boolean()])('offset invariance', (b, k, strict) => {
    const big = a5(k + b.length);
    big.set(b, k);
    const at0 = parseStt(b, 0, b.length, { strict });
    const atK = parseStt(big, k, big.length, { strict });
    if (at0.ok) expect(atK).toEqual(at0);
    else expect(atK).toEqual({ ok: false, error: { ...at0.error, at: at0.error.at + k } });
  });
  test.prop([fc.uint8Array({ minLength: 18, maxLength: 18 })])('agrees with the binary-parser and buffer-layout twins on random bytes', (b) => {
    const v = SttView.unchecked(b);
    const bp = sttBp.parse(asBuffer(b)) as Record<string, number> & { contextId: bigint };
    const bl = sttBl.decode(asBuffer(b));
    expect([v.version, v.csumVerified, v.csumPartial, v.ipv4, v.tcp, v.flags >>> 4, v.l4Offset, v.reserved, v.mss, v.pcp, v.vlanValid, v.vlanId, v.contextId, v.padding]).toEqual([
      bp.version, bp.csumVerified === 1, bp.csumPartial === 1, bp.ipv4 === 1, bp.tcp === 1, bp.flagsReserved, bp.l4Offset, bp.reserved, bp.mss, bp.pcp, bp.v === 1, bp.vlanId, bp.contextId, bp.padding,
    ]);
    expect([v.version, v.flags, v.l4Offset, v.reserved, v.mss, v.vlanTci, v.contextIdHigh, v.contextIdLow, v.padding]).toEqual([
      bl.version, bl.flags, bl.l4Offset, bl.reserved, bl.mss, bl.vlanTci, bl.keyHi, bl.keyLo, bl.padding,
    ]);
    if (b[0] === 0) {
      const r = parseStt(b);
      expect(r.ok && r.value.contextId).toBe((BigInt(bl.keyHi) << 32n) | BigInt(bl.keyLo));
    }
  });
});
