import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { onesSum } from '../../src/net/checksum.js';
import {
  TCP_ERR_BAD_DATA_OFFSET,
  TCP_ERR_HEADER_OVERRUN,
  TCP_ERR_TRUNCATED,
  TCP_FLAG_ACK,
  TCP_FLAG_CWR,
  TCP_FLAG_ECE,
  TCP_FLAG_FIN,
  TCP_FLAG_NS,
  TCP_FLAG_PSH,
  TCP_FLAG_RST,
  TCP_FLAG_SYN,
  TCP_FLAG_URG,
  TCP_MIN_HEADER_LEN,
  TCP_OK,
  TcpView,
  emitTcp,
  parseTcp,
  tcpError,
  tcpLength,
  type TcpFields,
} from '../../src/net/tcp.js';
import { STT_BASIC_SEGMENTS, STT_MALFORMED_SEGMENTS, TCP_STT_BASIC_F1, TCP_STT_MALFORMED_F6_OPTIONS } from '../fixtures/stt.js';
import { asBuffer } from '../oracles/buf.js';
import { tcpBl, tcpBp } from '../oracles/stt.js';

const a5 = (n: number) => new Uint8Array(n).fill(0xa5);
const dottedQuad = (s: string) => Uint8Array.from(s.split('.').map(Number));
const ALL_SEGMENTS = [...STT_BASIC_SEGMENTS, ...STT_MALFORMED_SEGMENTS];

const F1_FIELDS = {
  srcPort: 49153,
  dstPort: 7471,
  seq: (108 << 16) | 0,
  ack: 0x1001,
  flags: TCP_FLAG_PSH | TCP_FLAG_ACK,
  window: 0xffff,
  checksum: 0x5fe4,
  urgentPointer: 0,
  options: new Uint8Array(0),
};
const F6_FIELDS = {
  srcPort: 54005,
  dstPort: 7471,
  seq: 108 << 16,
  ack: 0xe005,
  flags: 0x18,
  window: 0xffff,
  checksum: 0x6ae5,
  urgentPointer: 0,
  options: Uint8Array.of(1, 1, 1, 1),
};

describe('TCP fixtures (deconstruct / construct / parse / emit)', () => {
  it('flag constants have the RFC 9293 / RFC 3540 values', () => {
    expect([TCP_FLAG_FIN, TCP_FLAG_SYN, TCP_FLAG_RST, TCP_FLAG_PSH, TCP_FLAG_ACK, TCP_FLAG_URG, TCP_FLAG_ECE, TCP_FLAG_CWR, TCP_FLAG_NS]).toEqual([
      0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x100,
    ]);
  });
  it('fixtures are the bytes of the captures', () => {
    expect(STT_BASIC_SEGMENTS[0]!.segment.subarray(0, 20)).toEqual(TCP_STT_BASIC_F1);
    expect(STT_MALFORMED_SEGMENTS[5]!.segment.subarray(0, 24)).toEqual(TCP_STT_MALFORMED_F6_OPTIONS);
  });
  it('deconstructs scapy-stt-basic frame 1', () => {
    const r = TcpView.check(TCP_STT_BASIC_F1);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const v = r.value;
    expect([v.srcPort, v.dstPort, v.seq, v.ack, v.dataOffsetWords, v.headerLength, v.reserved, v.flags]).toEqual([
      49153, 7471, 0x006c0000, 0x1001, 5, 20, 0, 0x18,
    ]);
    expect([v.window, v.checksum, v.urgentPointer, v.optionsLength, v.payloadOffset]).toEqual([0xffff, 0x5fe4, 0, 0, 20]);
  });
  it('deconstructs the data-offset-6 header of scapy-malformed-stt frame 6', () => {
    const v = TcpView.unchecked(TCP_STT_MALFORMED_F6_OPTIONS);
    expect(TcpView.check(TCP_STT_MALFORMED_F6_OPTIONS).ok).toBe(true);
    expect([v.dataOffsetWords, v.headerLength, v.optionsOffset, v.optionsLength, v.payloadOffset]).toEqual([6, 24, 20, 4, 24]);
    expect(v.options()).toEqual(Uint8Array.of(1, 1, 1, 1));
    expect(v.options().buffer).toBe(TCP_STT_MALFORMED_F6_OPTIONS.buffer);
  });
  it('constructs frame 1 through setters over 0xa5', () => {
    const buf = a5(20);
    const v = TcpView.unchecked(buf);
    v.srcPort = 49153;
    v.dstPort = 7471;
    v.seq = 108 << 16;
    v.ack = 0x1001;
    v.dataOffsetWords = 5;
    v.reserved = 0;
    v.flags = TCP_FLAG_ACK | TCP_FLAG_PSH;
    v.window = 0xffff;
    v.checksum = 0x5fe4;
    v.urgentPointer = 0;
    expect(buf).toEqual(TCP_STT_BASIC_F1);
  });
  it('constructs the options header through setters over 0xa5', () => {
    const buf = a5(24);
    const v = TcpView.unchecked(buf);
    v.srcPort = 54005;
    v.dstPort = 7471;
    v.seq = 108 << 16;
    v.ack = 0xe005;
    v.dataOffsetWords = 6;
    v.reserved = 0;
    v.flags = 0x18;
    v.window = 0xffff;
    v.checksum = 0x6ae5;
    v.urgentPointer = 0;
    buf.set([1, 1, 1, 1], v.optionsOffset);
    expect(buf).toEqual(TCP_STT_MALFORMED_F6_OPTIONS);
  });
  it('parses both fixtures to the expected fields', () => {
    expect(parseTcp(TCP_STT_BASIC_F1)).toEqual({ ok: true, value: F1_FIELDS });
    expect(parseTcp(TCP_STT_MALFORMED_F6_OPTIONS)).toEqual({ ok: true, value: F6_FIELDS });
  });
  it('emits both fixtures byte-exact over 0xa5', () => {
    const out = a5(20);
    expect(emitTcp(F1_FIELDS, out)).toBe(20);
    expect(out).toEqual(TCP_STT_BASIC_F1);
    const out6 = a5(24);
    expect(emitTcp(F6_FIELDS, out6)).toBe(24);
    expect(out6).toEqual(TCP_STT_MALFORMED_F6_OPTIONS);
    expect([tcpLength(F1_FIELDS), tcpLength(F6_FIELDS)]).toEqual([20, 24]);
  });
});

describe('TCP against the captures and tshark', () => {
  it('every captured segment agrees with tshark (ports, SEQ/ACK, data offset, flags, window, checksum)', () => {
    expect(ALL_SEGMENTS).toHaveLength(16);
    for (const s of ALL_SEGMENTS) {
      const r = parseTcp(s.segment);
      expect(r.ok, `${s.file}#${s.frame}`).toBe(true);
      if (!r.ok) continue;
      const t = s.tshark;
      const v = TcpView.unchecked(s.segment);
      expect([r.value.srcPort, r.value.dstPort, r.value.seq, r.value.ack, v.headerLength, r.value.flags, r.value.window, r.value.checksum]).toEqual([
        t.src_port,
        t.dst_port,
        ((t.pkt_len << 16) | t.seg_off) >>> 0,
        Number(t.pkt_id),
        t.tcp_data_offset,
        Number(t.tcp_flags_hex),
        t.tcp_window,
        Number(t.checksum_hex),
      ]);
    }
  });
  it('every captured segment checksums to 0xffff over the IPv4 pseudo-header (fixtures are byte-exact)', () => {
    for (const s of ALL_SEGMENTS) {
      const pseudo = new Uint8Array(12);
      pseudo.set(dottedQuad(s.src), 0);
      pseudo.set(dottedQuad(s.dst), 4);
      pseudo[9] = 6;
      pseudo[10] = s.segment.length >>> 8;
      pseudo[11] = s.segment.length & 0xff;
      expect(onesSum(s.segment, 0, s.segment.length, onesSum(pseudo)), `${s.file}#${s.frame}`).toBe(0xffff);
    }
  });
});

describe('TCP errors', () => {
  it('truncation sweep: every prefix at offset 7 is a typed error, never a throw', () => {
    for (const fx of [TCP_STT_BASIC_F1, TCP_STT_MALFORMED_F6_OPTIONS]) {
      for (let k = 0; k < fx.length; k++) {
        const big = a5(7 + k);
        big.set(fx.subarray(0, k), 7);
        const r = parseTcp(big, 7);
        const expected =
          k < 20
            ? { kind: 'truncated', layer: 'tcp', at: 7, field: 'header', found: k, allowed: '>= 20 bytes' }
            : { kind: 'length-overrun', layer: 'tcp', at: 19, field: 'dataOffset', found: fx.length, allowed: `<= ${k} bytes` };
        expect(r).toEqual({ ok: false, error: expected });
        const view = TcpView.empty();
        expect(view.wrap(big, 7)).toBe(k < 20 ? TCP_ERR_TRUNCATED : TCP_ERR_HEADER_OVERRUN);
      }
    }
  });
  it('`end` bounds the header even when the buffer is longer', () => {
    const big = a5(40);
    big.set(TCP_STT_MALFORMED_F6_OPTIONS, 3);
    expect(parseTcp(big, 3, 3 + 23).ok).toBe(false);
    expect(parseTcp(big, 3, 3 + 24).ok).toBe(true);
    expect(parseTcp(big, 41)).toEqual({ ok: false, error: { kind: 'truncated', layer: 'tcp', at: 41, field: 'header', found: 0, allowed: '>= 20 bytes' } });
  });
  it('data offset below 5 is bad-length on field dataOffset', () => {
    for (let words = 0; words < 5; words++) {
      const b = Uint8Array.from(TCP_STT_BASIC_F1);
      b[12] = (words << 4) | (b[12]! & 0x0f);
      expect(parseTcp(b)).toEqual({ ok: false, error: { kind: 'bad-length', layer: 'tcp', at: 12, field: 'dataOffset', found: words, allowed: '5..15 words' } });
      expect(TcpView.empty().wrap(b, 0)).toBe(TCP_ERR_BAD_DATA_OFFSET);
    }
  });
  it('wrap codes expand to the same errors check returns', () => {
    const v = TcpView.empty();
    const b = Uint8Array.from(TCP_STT_BASIC_F1);
    expect(v.wrap(b, 0)).toBe(TCP_OK);
    expect(v.srcPort).toBe(49153);
    b[12] = 0xf0;
    const code = v.wrap(b, 0);
    const c = TcpView.check(b);
    expect(c.ok ? null : c.error).toEqual(tcpError(code, b, 0));
    expect(tcpError(code, b, 0)).toEqual({ kind: 'length-overrun', layer: 'tcp', at: 12, field: 'dataOffset', found: 60, allowed: '<= 20 bytes' });
  });
  it('strict mode rejects reserved bits; the default ignores them', () => {
    const b = Uint8Array.from(TCP_STT_BASIC_F1);
    b[12]! |= 0x0e;
    expect(parseTcp(b).ok).toBe(true);
    expect(parseTcp(b, 0, 20, { strict: true })).toEqual({
      ok: false,
      error: { kind: 'reserved-nonzero', layer: 'tcp', at: 12, field: 'reserved', found: 7, allowed: '0' },
    });
  });
  it('emit rejects out-of-range values', () => {
    const out = a5(64);
    expect(() => emitTcp({ ...F1_FIELDS, srcPort: 0x10000 }, out)).toThrow(RangeError);
    expect(() => emitTcp({ ...F1_FIELDS, seq: 2 ** 32 }, out)).toThrow(RangeError);
    expect(() => emitTcp({ ...F1_FIELDS, flags: 0x200 }, out)).toThrow(RangeError);
    expect(() => emitTcp({ ...F1_FIELDS, options: new Uint8Array(3) }, out)).toThrow(RangeError);
    expect(() => emitTcp({ ...F1_FIELDS, options: new Uint8Array(44) }, out)).toThrow(RangeError);
    expect(() => emitTcp(F6_FIELDS, a5(23))).toThrow(RangeError);
    expect(() => (TcpView.unchecked(out).flags = 0x200)).toThrow(RangeError);
    expect(() => (TcpView.unchecked(out).dataOffsetWords = 16)).toThrow(RangeError);
  });
});

const optionsArb = fc.integer({ min: 0, max: 10 }).chain((n) => fc.uint8Array({ minLength: 4 * n, maxLength: 4 * n }));
const tcpArb: fc.Arbitrary<TcpFields> = fc.record({
  srcPort: fc.integer({ min: 0, max: 0xffff }),
  dstPort: fc.integer({ min: 0, max: 0xffff }),
  seq: fc.integer({ min: 0, max: 0xffffffff }),
  ack: fc.integer({ min: 0, max: 0xffffffff }),
  flags: fc.integer({ min: 0, max: 0x1ff }),
  window: fc.integer({ min: 0, max: 0xffff }),
  checksum: fc.integer({ min: 0, max: 0xffff }),
  urgentPointer: fc.integer({ min: 0, max: 0xffff }),
  options: optionsArb,
});
/** Random bytes made into a valid header: data offset 5..15, reserved 0 (canonical), whole header present. */
const canonicalTcpArb = fc
  .tuple(fc.integer({ min: 5, max: 15 }), fc.uint8Array({ minLength: 60, maxLength: 80 }))
  .map(([words, raw]) => {
    const b = Uint8Array.from(raw);
    b[12] = (words << 4) | (b[12]! & 0x01);
    return b;
  });

describe('TCP properties', () => {
  test.prop([tcpArb, fc.nat(32)])('emit then parse round-trips over the whole domain at any offset', (f, off) => {
    const buf = a5(off + 60);
    expect(emitTcp(f, buf, off)).toBe(tcpLength(f));
    const r = parseTcp(buf, off, off + tcpLength(f));
    expect(r).toEqual({ ok: true, value: f });
    expect(TcpView.unchecked(buf, off).dataOffsetWords).toBe(5 + f.options.length / 4);
  });
  test.prop([fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 0x1ff }), fc.uint8Array({ minLength: 20, maxLength: 20 })])(
    'byte-12 setters keep each other: data offset, reserved and 9 flag bits',
    (words, rsv, flags, raw) => {
      const v = TcpView.unchecked(Uint8Array.from(raw));
      v.flags = flags;
      v.dataOffsetWords = words;
      v.reserved = rsv;
      expect([v.dataOffsetWords, v.reserved, v.flags]).toEqual([words, rsv, flags]);
      v.flags = flags ^ 0x1ff;
      expect([v.dataOffsetWords, v.reserved, v.flags]).toEqual([words, rsv, flags ^ 0x1ff]);
    },
  );
  test.prop([fc.uint8Array({ maxLength: 90 }), fc.nat(100), fc.nat(100), fc.boolean()])('parse never throws on arbitrary bytes and stays inside them', (b, off, endDelta, strict) => {
    const end = Math.min(b.length, off + endDelta);
    const r = parseTcp(b, off, end, { strict });
    if (r.ok) {
      expect(off + 20 + r.value.options.length).toBeLessThanOrEqual(end);
    } else {
      expect(['truncated', 'bad-length', 'length-overrun', 'reserved-nonzero']).toContain(r.error.kind);
    }
  });
  test.prop([canonicalTcpArb])('emit(parse(b)) equals b on canonical inputs', (b) => {
    const r = parseTcp(b);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const hl = tcpLength(r.value);
    const out = a5(hl);
    emitTcp(r.value, out);
    expect(out).toEqual(b.subarray(0, hl));
  });
  test.prop([canonicalTcpArb, fc.nat(40)])('offset invariance', (b, k) => {
    const big = a5(k + b.length + 3);
    big.set(b, k);
    const at0 = parseTcp(b);
    const atK = parseTcp(big, k);
    expect(atK).toEqual(at0);
  });
  test.prop([canonicalTcpArb])('agrees with the binary-parser and buffer-layout twins on random bytes', (b) => {
    const v = TcpView.unchecked(b);
    const bp = tcpBp.parse(asBuffer(b)) as Record<string, number> & { options: Uint8Array };
    const bl = tcpBl.decode(asBuffer(b));
    const bpFlags =
      (bp.ns! << 8) | (bp.cwr! << 7) | (bp.ece! << 6) | (bp.urg! << 5) | (bp.ack_! << 4) | (bp.psh! << 3) | (bp.rst! << 2) | (bp.syn! << 1) | bp.fin!;
    expect([v.srcPort, v.dstPort, v.seq, v.ack, v.dataOffsetWords, v.reserved, v.flags, v.window, v.checksum, v.urgentPointer]).toEqual([
      bp.srcPort, bp.dstPort, bp.seq, bp.ack, bp.dataOffset, bp.reserved, bpFlags, bp.window, bp.checksum, bp.urgentPointer,
    ]);
    expect(Uint8Array.from(v.options())).toEqual(Uint8Array.from(bp.options));
    expect([v.srcPort, v.dstPort, v.seq, v.ack, v.headerLength, v.flags, v.window, v.checksum, v.urgentPointer]).toEqual([
      bl.srcPort, bl.dstPort, ((bl.seqHi << 16) | bl.seqLo) >>> 0, bl.ack, (bl.offRes >>> 4) * 4, ((bl.offRes & 1) << 8) | bl.flagByte, bl.window, bl.checksum, bl.urgentPointer,
    ]);
  });
});
