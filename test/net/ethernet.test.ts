import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { formatMac, macFromText } from '../../src/net/bytes.js';
import {
  ARP_ETH_IPV4_LEN,
  ETH_HEADER_LEN,
  EtherType,
  EthernetView,
  MAX_VLAN_TAGS,
  VLAN_TAG_LEN,
  emitEthernet,
  ethernetLength,
  isVlanTpid,
  parseArp,
  parseEthernet,
  type ArpFields,
  type EthernetFields,
  type VlanTag,
} from '../../src/net/ethernet.js';
import { ARP_FIXTURES, ETH_FIXTURES, ETH_OVS_QINQ_F3, type TsharkArp, type TsharkEth } from '../fixtures/net.js';
import { asBuffer } from '../oracles/buf.js';
import { ORACLE_TPIDS, arpBl, arpBp, ethBl, ethernetOracle, ipv4Text, macText, vlanTagBl, type ArpBp } from '../oracles/net.js';

const a5 = (n: number) => new Uint8Array(n).fill(0xa5);
const num = (h: string) => parseInt(h, 16);

/** The fields tshark's decode describes. */
function expectedEth(t: TsharkEth): EthernetFields {
  return {
    dst: t.eth_dst,
    src: t.eth_src,
    vlans: t.vlans.map((v) => ({ tpid: num(v.tpid), pcp: v.pcp, dei: v.dei === 1, vid: v.id })),
    etherType: num(t.payload_ethertype),
  };
}

function expectedArp(t: TsharkArp): ArpFields {
  return {
    hardwareType: t.hw_type,
    protocolType: num(t.proto_type),
    opcode: t.opcode,
    senderMac: t.src_hw_mac,
    senderIp: t.src_proto_ipv4,
    targetMac: t.dst_hw_mac,
    targetIp: t.dst_proto_ipv4,
  };
}

describe('Ethernet fixtures (deconstruct / construct / parse / emit)', () => {
  for (const fx of ETH_FIXTURES) {
    describe(fx.name, () => {
      it('deconstructs through the view getters (tshark eth.*)', () => {
        const r = EthernetView.check(fx.bytes);
        expect(r.ok).toBe(true);
        const v = EthernetView.unchecked(fx.bytes);
        expect([v.dst, v.src, v.etherType, v.payloadOffset]).toEqual([fx.tshark.eth_dst, fx.tshark.eth_src, num(fx.tshark.ethertype), ETH_HEADER_LEN]);
      });
      it('constructs from the tshark description into 0xa5 (emit) and through the etherType setter', () => {
        const out = a5(fx.bytes.length);
        expect(emitEthernet(expectedEth(fx.tshark), out)).toBe(fx.bytes.length);
        expect(out).toEqual(fx.bytes);
        const head = a5(ETH_HEADER_LEN);
        head.set(macFromText(fx.tshark.eth_dst), 0);
        head.set(macFromText(fx.tshark.eth_src), 6);
        EthernetView.unchecked(head).etherType = num(fx.tshark.ethertype);
        expect(head).toEqual(fx.bytes.subarray(0, ETH_HEADER_LEN));
      });
      it('parses to the tshark fields', () => {
        expect(parseEthernet(fx.bytes)).toEqual({ ok: true, value: { fields: expectedEth(fx.tshark), headerLength: fx.bytes.length } });
      });
      it('re-emits the parsed fields byte for byte', () => {
        const r = parseEthernet(fx.bytes);
        const out = a5(fx.bytes.length + 3);
        if (r.ok) expect(emitEthernet(r.value.fields, out, 3)).toBe(ethernetLength(r.value.fields));
        expect(out.subarray(3)).toEqual(fx.bytes);
        expect(Array.from(out.subarray(0, 3))).toEqual([0xa5, 0xa5, 0xa5]);
      });
    });
  }
  it('QinQ: the S-tag is outermost, the C-tag inner, and DEI/PCP come from the TCI', () => {
    const r = parseEthernet(ETH_OVS_QINQ_F3.bytes);
    expect(r.ok && r.value.fields.vlans.map((t) => t.tpid)).toEqual([EtherType.QINQ, EtherType.VLAN]);
    const b = Uint8Array.from(ETH_OVS_QINQ_F3.bytes);
    b[14] = 0xf0 | b[14]!; // PCP 7, DEI 1 on the S-tag
    const s = parseEthernet(b);
    expect(s.ok && s.value.fields.vlans[0]).toEqual({ tpid: 0x88a8, pcp: 7, dei: true, vid: 100 });
  });
  it('every known TPID is walked (802.1Q, 802.1ad, legacy 0x9100/0x9200/0x9300), other types are not', () => {
    for (const tpid of [0x8100, 0x88a8, 0x9100, 0x9200, 0x9300]) {
      expect(isVlanTpid(tpid)).toBe(true);
      const b = Uint8Array.from([...ETH_OVS_QINQ_F3.bytes.subarray(0, 12), tpid >> 8, tpid & 0xff, 0x20, 0x05, 0x86, 0xdd]);
      expect(parseEthernet(b)).toEqual({
        ok: true,
        value: { fields: { dst: '02:00:00:bb:00:02', src: '02:00:00:aa:00:02', vlans: [{ tpid, pcp: 1, dei: false, vid: 5 }], etherType: 0x86dd }, headerLength: 18 },
      });
    }
    for (const t of [0x0800, 0x86dd, 0x0806, 0x6558, 0x894f, 0x0000, 0x05dc, 0x9000, 0xffff]) expect(isVlanTpid(t)).toBe(false);
  });
  it('an 802.3 length (< 0x0600) is reported as the type, not walked', () => {
    const b = Uint8Array.from(ETH_FIXTURES[0]!.bytes);
    b[12] = 0x00;
    b[13] = 0x2e;
    const r = parseEthernet(b);
    expect(r.ok && r.value.fields.etherType).toBe(0x2e);
  });
  it(`more than ${MAX_VLAN_TAGS} tags is depth-exceeded at the offending TPID`, () => {
    const tags = (n: number): VlanTag[] => Array.from({ length: n }, (_, i) => ({ tpid: 0x8100, pcp: 0, dei: false, vid: i }));
    const eight: EthernetFields = { dst: '00:00:00:00:00:01', src: '00:00:00:00:00:02', vlans: tags(8), etherType: 0x0800 };
    const b8 = a5(ethernetLength(eight));
    emitEthernet(eight, b8);
    expect(parseEthernet(b8).ok).toBe(true);
    const nine = { ...eight, vlans: tags(9) };
    const b9 = a5(ethernetLength(nine) + 4);
    emitEthernet(nine, b9, 4);
    expect(parseEthernet(b9, 4)).toEqual({ ok: false, error: { kind: 'depth-exceeded', layer: 'vlan', at: 4 + 12 + 8 * 4, field: 'tags', found: 9, allowed: '<= 8 tags' } });
  });
  it('emit rejects out-of-range values and short buffers with RangeError', () => {
    const f: EthernetFields = { dst: '00:00:00:00:00:01', src: '00:00:00:00:00:02', vlans: [{ tpid: 0x8100, pcp: 0, dei: false, vid: 1 }], etherType: 0x0800 };
    expect(() => emitEthernet(f, a5(17))).toThrow(RangeError);
    expect(() => emitEthernet(f, a5(18), 1)).toThrow(RangeError);
    expect(() => emitEthernet({ ...f, dst: '00:00:00:00:01' }, a5(18))).toThrow(RangeError);
    expect(() => emitEthernet({ ...f, etherType: 0x10000 }, a5(18))).toThrow(RangeError);
    for (const t of [{ pcp: 8 }, { vid: 4096 }, { tpid: 0x10000 }, { vid: -1 }]) {
      expect(() => emitEthernet({ ...f, vlans: [{ ...f.vlans[0]!, ...t }] }, a5(18))).toThrow(RangeError);
    }
    expect(() => (EthernetView.unchecked(a5(14)).etherType = 0x10000)).toThrow(RangeError);
  });
  it('wrap re-points a reusable view (0 ok, 1 truncated)', () => {
    const v = EthernetView.unchecked(new Uint8Array(0));
    const big = a5(40);
    big.set(ETH_FIXTURES[0]!.bytes, 20);
    expect(v.wrap(big, 20)).toBe(0);
    expect([v.dst, v.etherType]).toEqual([ETH_FIXTURES[0]!.tshark.eth_dst, 0x0800]);
    expect(v.wrap(big, 27)).toBe(1);
    expect(v.wrap(big, 20, 33)).toBe(1);
    expect(v.wrap(big, 20, 34)).toBe(0);
  });
});

describe('Ethernet truncation sweep', () => {
  it('every prefix of every fixture, at a nonzero offset, is a typed truncation with the absolute offset', () => {
    const off = 7;
    for (const fx of ETH_FIXTURES) {
      for (let k = 0; k < fx.bytes.length; k++) {
        const exact = a5(off + k);
        exact.set(fx.bytes.subarray(0, k), off);
        const bounded = a5(off + fx.bytes.length + 9);
        bounded.set(fx.bytes, off);
        let expected;
        if (k < ETH_HEADER_LEN) {
          expected = { kind: 'truncated', layer: 'eth', at: off, field: 'header', found: k, allowed: '>= 14 bytes' };
        } else {
          const tagAt = 12 + VLAN_TAG_LEN * Math.floor((k - 14) / VLAN_TAG_LEN);
          expected = { kind: 'truncated', layer: 'vlan', at: off + tagAt, field: 'header', found: k - tagAt, allowed: '>= 6 bytes' };
        }
        expect(parseEthernet(exact, off), `${fx.name} k=${k}`).toEqual({ ok: false, error: expected });
        expect(parseEthernet(bounded, off, off + k), `${fx.name} k=${k} (end)`).toEqual({ ok: false, error: expected });
        if (k < ETH_HEADER_LEN) expect(EthernetView.check(exact, off)).toEqual({ ok: false, error: expected });
      }
    }
  });
  it('an offset past the end reports 0 bytes found', () => {
    expect(parseEthernet(a5(4), 9)).toEqual({ ok: false, error: { kind: 'truncated', layer: 'eth', at: 9, field: 'header', found: 0, allowed: '>= 14 bytes' } });
  });
});

describe('ARP (RFC 826) fixtures', () => {
  for (const fx of ARP_FIXTURES) {
    it(`${fx.name}: parses to the tshark fields`, () => {
      expect(parseArp(fx.bytes)).toEqual({ ok: true, value: expectedArp(fx.tshark) });
      expect([fx.bytes[4], fx.bytes[5]]).toEqual([fx.tshark.hw_size, fx.tshark.proto_size]);
    });
    it(`${fx.name}: every prefix at a nonzero offset is truncated (8-byte fixed part, then 28)`, () => {
      const off = 5;
      for (let k = 0; k < fx.bytes.length; k++) {
        const b = a5(off + k);
        b.set(fx.bytes.subarray(0, k), off);
        const need = k < 8 ? 8 : ARP_ETH_IPV4_LEN;
        const e = { kind: 'truncated', layer: 'arp', at: off, field: 'header', found: k, allowed: `>= ${need} bytes` };
        expect(parseArp(b, off), `k=${k}`).toEqual({ ok: false, error: e });
        const big = a5(off + 40);
        big.set(fx.bytes, off);
        expect(parseArp(big, off, off + k)).toEqual({ ok: false, error: e });
      }
    });
  }
  it('other hardware/protocol sizes are bad-value at the size bytes', () => {
    const b = a5(40);
    b.set(ARP_FIXTURES[0]!.bytes, 3);
    b[3 + 4] = 8;
    expect(parseArp(b, 3)).toEqual({ ok: false, error: { kind: 'bad-value', layer: 'arp', at: 7, field: 'hlen/plen', found: 0x0804, allowed: '6/4 (Ethernet/IPv4)' } });
  });
});

// ---------------------------------------------------------------- properties

const macArb = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => formatMac(b, 0));
const tagArb: fc.Arbitrary<VlanTag> = fc.record({
  tpid: fc.constantFrom(0x8100, 0x88a8, 0x9100, 0x9200, 0x9300),
  pcp: fc.integer({ min: 0, max: 7 }),
  dei: fc.boolean(),
  vid: fc.integer({ min: 0, max: 0xfff }),
});
const etherTypeArb = fc.integer({ min: 0, max: 0xffff }).filter((t) => !ORACLE_TPIDS.has(t));
const ethArb = (maxTags: number): fc.Arbitrary<EthernetFields> =>
  fc.record({ dst: macArb, src: macArb, vlans: fc.array(tagArb, { maxLength: maxTags }), etherType: etherTypeArb });

/** Random bytes whose type words are forced to TPIDs `tags` times, so that tags are actually walked. */
const taggedBytes = fc
  .tuple(fc.uint8Array({ minLength: 0, maxLength: 60 }), fc.integer({ min: 0, max: 10 }), fc.array(fc.constantFrom(...ORACLE_TPIDS), { minLength: 10, maxLength: 10 }))
  .map(([raw, tags, tpids]) => {
    const b = Uint8Array.from(raw);
    for (let i = 0; i < tags; i++) {
      const at = 12 + 4 * i;
      if (at + 1 < b.length) {
        b[at] = tpids[i]! >> 8;
        b[at + 1] = tpids[i]! & 0xff;
      }
    }
    return b;
  });

describe('Ethernet properties', () => {
  test.prop([ethArb(MAX_VLAN_TAGS), fc.nat(16)])('emit then parse round-trips 0..8 tags over every PCP/DEI/VID/TPID, at any offset', (f, off) => {
    const out = a5(off + ethernetLength(f) + 3);
    expect(emitEthernet(f, out, off)).toBe(ETH_HEADER_LEN + 4 * f.vlans.length);
    expect(parseEthernet(out, off)).toEqual({ ok: true, value: { fields: f, headerLength: ethernetLength(f) } });
    expect(Array.from(out.subarray(off + ethernetLength(f)))).toEqual([0xa5, 0xa5, 0xa5]);
  });
  test.prop([ethArb(12).filter((f) => f.vlans.length > MAX_VLAN_TAGS)])('9..12 tags is depth-exceeded', (f) => {
    const out = a5(ethernetLength(f));
    emitEthernet(f, out);
    const r = parseEthernet(out);
    expect(r.ok ? null : [r.error.kind, r.error.at, r.error.found]).toEqual(['depth-exceeded', 12 + 4 * MAX_VLAN_TAGS, MAX_VLAN_TAGS + 1]);
  });
  test.prop([taggedBytes, fc.nat(70), fc.nat(80)])('parseEthernet / parseArp never throw, and ok results lie inside the input', (b, off, endRaw) => {
    const end = Math.min(b.length, endRaw);
    for (const e of [b.length, end]) {
      const r = parseEthernet(b, off, e);
      if (r.ok) {
        expect(off + r.value.headerLength).toBeLessThanOrEqual(e);
        expect(r.value.headerLength).toBe(ETH_HEADER_LEN + VLAN_TAG_LEN * r.value.fields.vlans.length);
      }
      const a = parseArp(b, off, e);
      if (a.ok) expect(off + ARP_ETH_IPV4_LEN).toBeLessThanOrEqual(e);
    }
  });
  test.prop([taggedBytes, fc.uint8Array({ maxLength: 20 }), fc.uint8Array({ maxLength: 20 })])('offset invariance: the same bytes inside a bigger buffer decode identically', (b, pre, post) => {
    const big = Uint8Array.from([...pre, ...b, ...post]);
    const here = parseEthernet(b);
    const there = parseEthernet(big, pre.length, pre.length + b.length);
    if (here.ok) expect(there).toEqual(here);
    else expect(there).toEqual({ ok: false, error: { ...here.error, at: here.error.at + pre.length } });
    const ah = parseArp(b);
    const at = parseArp(big, pre.length, pre.length + b.length);
    if (ah.ok) expect(at).toEqual(ah);
    else expect(at).toEqual({ ok: false, error: { ...ah.error, at: ah.error.at + pre.length } });
  });
  test.prop([taggedBytes])('agrees with the binary-parser walker and the buffer-layout structs', (b) => {
    const o = ethernetOracle(asBuffer(b));
    const r = parseEthernet(b);
    if (o.ok) {
      expect(r).toEqual({ ok: true, value: { fields: { dst: o.dst, src: o.src, vlans: o.vlans, etherType: o.etherType }, headerLength: o.headerLength } });
      const head = ethBl.decode(asBuffer(b));
      const v = EthernetView.unchecked(b);
      expect([v.dst, v.src, v.etherType]).toEqual([macText(head.dst), macText(head.src), head.type]);
      o.vlans.forEach((t, i) => {
        const bl = vlanTagBl.decode(asBuffer(b), 12 + 4 * i);
        expect(t).toEqual({ tpid: bl.tpid, pcp: bl.tci.pcp, dei: bl.tci.dei, vid: bl.tci.vid });
      });
    } else {
      expect(r.ok ? null : [r.error.kind, r.error.at]).toEqual([o.kind, o.at]);
    }
  });
  test.prop([fc.uint8Array({ minLength: 28, maxLength: 28 })])('ARP agrees with the binary-parser and buffer-layout twins', (raw) => {
    const b = Uint8Array.from(raw);
    b[4] = 6;
    b[5] = 4;
    const bp = arpBp.parse(asBuffer(b)) as ArpBp;
    const bl = arpBl.decode(asBuffer(b));
    const want: ArpFields = {
      hardwareType: bp.htype,
      protocolType: bp.ptype,
      opcode: bp.oper,
      senderMac: macText(bp.sha),
      senderIp: ipv4Text(bp.spa),
      targetMac: macText(bp.tha),
      targetIp: ipv4Text(bp.tpa),
    };
    expect(parseArp(b)).toEqual({ ok: true, value: want });
    expect(want).toEqual({
      hardwareType: bl.htype,
      protocolType: bl.ptype,
      opcode: bl.oper,
      senderMac: macText(bl.sha),
      senderIp: ipv4Text(bl.spa),
      targetMac: macText(bl.tha),
      targetIp: ipv4Text(bl.tpa),
    });
  });
  test.prop([fc.uint8Array({ minLength: 8, maxLength: 40 })])('ARP with other sizes is bad-value, never ok', (raw) => {
    fc.pre(raw[4] !== 6 || raw[5] !== 4);
    const r = parseArp(raw);
    expect(r.ok ? null : r.error.kind).toBe('bad-value');
  });
});
