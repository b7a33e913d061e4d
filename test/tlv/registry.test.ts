/**
 * The Geneve option registry: declarative definitions (reader, writer, validation, JSON, arbitrary),
 * the built-ins against the layouts in the spec digest and the captures, the critical-option policy on
 * crafted packets, and unknown options passing through byte for byte.
 */
import * as fcAll from 'fast-check';
import { fc, test } from '@fast-check/vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/net/bytes.js';
import { emitGeneve, geneveLength, parseGeneve, type GeneveFields, type GeneveOption } from '../../src/geneve/fields.js';
import { readCaptureAll } from '../../src/capture/reader.js';
import { walkPacket } from '../../src/walk/walker.js';
import {
  BUILTIN_OPTIONS,
  CILIUM_DSR,
  CPACKET_METADATA,
  defineOption,
  GCP_ENDPOINT,
  GCP_PROFILE,
  GCP_VNID,
  OVN_PORTS,
  OptionRegistry,
  optionClassName,
  optionClassRange,
  parseOptionText,
  formatOptionText,
  type OptionCodec,
} from '../../src/tlv/index.js';

const CAP = (n: string) => fileURLToPath(new URL(`../fixtures/captures/${n}`, import.meta.url));

/** Reference bit reader over a bigint of the whole data (independent of the registry's byte walker). */
function refField(data: Uint8Array, bitAt: number, width: number): bigint {
  const all = BigInt(`0x${toHex(data) || '0'}`);
  const total = data.length * 8;
  return (all >> BigInt(total - bitAt - width)) & ((1n << BigInt(width)) - 1n);
}

describe('declarative definitions', () => {
  const ACME = defineOption({
    name: 'acme.tag',
    optionClass: 0xff01,
    type: 0x05,
    fields: [
      { name: 'tenant', bits: 24 },
      { name: 'flags', bits: 3 },
      { name: 'pad', bits: 5, reserved: true },
      { name: 'label', bits: 64 },
      { name: 'small', bits: 1 },
      { name: 'rest31', bits: 31 },
      { name: 'blob', bytes: 'rest' },
    ],
  });

  it('compiles the layout: bit offsets, widths and data lengths', () => {
    expect(ACME.layout.map((f) => [f.name, f.at, f.width])).toEqual([
      ['tenant', 0, 24],
      ['flags', 24, 3],
      ['pad', 27, 5],
      ['label', 32, 64],
      ['small', 96, 1],
      ['rest31', 97, 31],
      ['blob', 16, 0],
    ]);
    expect([ACME.minLength, ACME.maxLength, ACME.critical]).toEqual([16, 124, false]);
  });

  test.prop([ACME.arbitrary(fcAll) as fc.Arbitrary<Record<string, any>>])('round-trips every value, and every field agrees with a bigint reference reader', (v) => {
    const n = ACME.encodedLength(v);
    const buf = new Uint8Array(n + 8).fill(0xa5);
    expect(ACME.encode(v, buf, 4)).toBe(n);
    const data = buf.subarray(4, 4 + n);
    expect(ACME.decode(buf, 4, n)).toEqual({ ok: true, value: v });
    expect(refField(data, 0, 24)).toBe(BigInt(v.tenant));
    expect(refField(data, 24, 3)).toBe(BigInt(v.flags));
    expect(refField(data, 27, 5)).toBe(0n); // reserved written as 0
    expect(refField(data, 32, 64)).toBe(v.label);
    expect(refField(data, 96, 1)).toBe(BigInt(v.small));
    expect(refField(data, 97, 31)).toBe(BigInt(v.rest31));
    expect(toHex(data.subarray(16))).toBe(toHex(v.blob));
    expect(ACME.readField(buf, 4, 'label')).toBe(v.label);
    expect(ACME.readField(buf, 4, 'rest31')).toBe(v.rest31);
    expect(ACME.fromJson(JSON.parse(JSON.stringify(ACME.toJson(v))))).toEqual(v);
  });

  test.prop([fc.uint8Array({ maxLength: 140 }), fc.nat(140)])('decode never throws and rejects lengths the layout cannot have', (b, len) => {
    const r = ACME.decode(b, 0, len);
    if (r.ok) expect(len >= 16 && len <= 124 && len % 4 === 0 && len <= b.length).toBe(true);
    else expect(r.error.kind).toBe('bad-length');
  });

  it('validates values and refuses bad layouts', () => {
    expect(ACME.validate({ tenant: 2 ** 24, flags: 0, label: 0n, small: 0, rest31: 0, blob: new Uint8Array(0) })).toMatch(/tenant: 16777216 does not fit in 24 bits/);
    expect(ACME.validate({ tenant: 1, flags: 0, label: 1, small: 0, rest31: 0, blob: new Uint8Array(0) } as never)).toMatch(/label: expected a bigint/);
    expect(ACME.validate({ tenant: 1, flags: 0, label: 0n, small: 0, rest31: 0, blob: new Uint8Array(3) })).toMatch(/multiple of 4/);
    expect(ACME.validate({ tenant: 1, flags: 0, label: 0n, small: 0, rest31: 0, blob: new Uint8Array(0), extra: 1 })).toMatch(/unknown field extra/);
    expect(() => defineOption({ name: 'x', optionClass: 1, type: 1, fields: [{ name: 'a', bits: 12 }] })).toThrow(/multiple of 32/);
    expect(() => defineOption({ name: 'x', optionClass: 0x10000, type: 1, fields: [] })).toThrow(RangeError);
    expect(() => defineOption({ name: 'x', optionClass: 1, type: 1, fields: [{ name: 'a', bytes: 'rest' }, { name: 'b', bits: 32 }] })).toThrow(/last/);
    expect(() => defineOption({ name: 'x', optionClass: 1, type: 1, fields: [{ name: 'a', bits: 65 }] })).toThrow(/1..64/);
    expect(() => defineOption({ name: 'big', optionClass: 1, type: 1, fields: [{ name: 'a', bytes: 128 }] })).toThrow(/124/);
  });
});

describe('built-in definitions', () => {
  for (const def of BUILTIN_OPTIONS as OptionCodec<any>[]) {
    test.prop([def.arbitrary(fcAll) as fc.Arbitrary<any>])(`${def.name} (${optionClassName(def.optionClass)}) round-trips over its whole domain`, (v) => {
      const n = def.encodedLength(v);
      const out = new Uint8Array(n + 3).fill(0xa5);
      expect(def.encode(v, out, 3)).toBe(n);
      expect(n % 4).toBe(0);
      expect(def.decode(out, 3, n)).toEqual({ ok: true, value: v });
      expect(def.validate(v)).toBeNull();
    });
  }

  it('OVN: the worked example of geneve.md §7.1 (ingress 5, egress 7 → 00050007), bit 31 reserved', () => {
    const out = new Uint8Array(4);
    OVN_PORTS.encode({ ingressPort: 5, egressPort: 7 }, out, 0);
    expect(toHex(out)).toBe('00050007');
    expect(OVN_PORTS.decode(fromHex('80050007'), 0, 4)).toEqual({ ok: true, value: { ingressPort: 5, egressPort: 7 } });
    expect(OVN_PORTS.decode(fromHex('fffffffe'), 0, 4)).toEqual({ ok: true, value: { ingressPort: 0x7fff, egressPort: 0xfffe } });
    expect([OVN_PORTS.optionClass, OVN_PORTS.type, OVN_PORTS.critical, OVN_PORTS.minLength]).toEqual([0x0102, 0x80, true, 4]);
  });

  it('Google Cloud: the three options of tcpdump-geneve-gcp.pcap decode to tshark\'s values', () => {
    const oracle = JSON.parse(readFileSync(CAP('tcpdump-geneve-gcp.tshark.json'), 'utf8').split('\n')[0]!);
    const [vnid, endpoint, profile] = oracle.tunnels[0].hdr.options;
    const r1 = GCP_VNID.decode(fromHex(vnid.data_hex), 0, 4);
    expect(r1.ok && r1.value).toEqual({ vnid: Number(vnid.decoded['gcp.vnid']), direction: Number(vnid.decoded['gcp.direction']) });
    const r2 = GCP_ENDPOINT.decode(fromHex(endpoint.data_hex), 0, 16);
    expect(r2.ok && toHex(r2.value.endpoint as Uint8Array)).toBe(endpoint.decoded['gcp.endpoint'].replace(/:/g, ''));
    const r3 = GCP_PROFILE.decode(fromHex(profile.data_hex), 0, 8);
    expect(r3.ok && r3.value.profileId).toBe(BigInt(profile.decoded['gcp.profile']));
  });

  it('cPacket: fields sit at the byte offsets of geneve.md §7.4', () => {
    const v = { packetId: 0x01020304, originalLength: 0x0506, version: 0x08, timestampSeconds: 0x090a0b0c0d0e, timestampNanoseconds: 0x0f101112, timestampFractionalNs: 0x1314, deviceId: 0x1516, portId: 0x1718 };
    const out = new Uint8Array(24);
    CPACKET_METADATA.encode(v, out, 0);
    expect(toHex(out)).toBe('010203040506' + '00' + '08' + '090a0b0c0d0e' + '0f101112' + '1314' + '1516' + '1718');
  });

  it('Cilium DSR: IPv4 (Length 2) and IPv6 (Length 5) layouts of bpf/lib/tunnel.h', () => {
    const out = new Uint8Array(20);
    expect(CILIUM_DSR.encode({ address: '10.0.0.7', port: 8080 }, out, 0)).toBe(8);
    expect(toHex(out.subarray(0, 8))).toBe('0a0000071f900000');
    expect(CILIUM_DSR.encode({ address: '2001:db8::7', port: 443 }, out, 0)).toBe(20);
    expect(toHex(out)).toBe('20010db8000000000000000000000007' + '01bb0000');
    expect(CILIUM_DSR.decode(out, 0, 12).ok).toBe(false);
  });
});

describe('registry', () => {
  it('names classes from the IANA table, user registrations and the ranges', () => {
    const r = OptionRegistry.withBuiltins();
    expect(r.className(0x0102)).toBe('Open Virtual Networking (OVN)');
    expect(r.className(0x0133)).toBe('Google LLC');
    expect(r.className(0xff42)).toBe('Experimental');
    expect(r.className(0x0200)).toBeUndefined();
    r.registerClass(0x0200, 'ACME Networks');
    expect(r.className(0x0200)).toBe('ACME Networks');
    expect([optionClassRange(0x0010), optionClassRange(0x0100), optionClassRange(0xff00)]).toEqual(['ietf-review', 'first-come-first-served', 'experimental']);
  });

  it('refuses a second definition of the same (class, type) or name unless replacing', () => {
    const r = OptionRegistry.withBuiltins();
    const clash = defineOption({ name: 'mine', optionClass: 0x0102, type: 0x80, fields: [{ name: 'x', bits: 32 }] });
    expect(() => r.register(clash)).toThrow(/already registered as ovn.ports/);
    r.register(clash, true);
    expect(r.lookup(0x0102, 0x80)?.name).toBe('mine');
    expect(r.get('ovn.ports')).toBeUndefined();
  });

  it('loads the JSON registry form and encodes by name', () => {
    const r = OptionRegistry.withBuiltins().load({
      classes: [{ class: '0xff01', name: 'ACME' }],
      options: [{ name: 'acme.ports', class: '0xff01', type: '0x85', fields: [{ name: 'ingress', bits: 15 }, { name: 'r', bits: 1, reserved: true }, { name: 'egress', bits: 16 }] }],
    });
    const o = r.encodeOption('acme.ports', { ingress: 0x7fff, egress: 2 });
    expect(o).toEqual({ optionClass: 0xff01, type: 0x85, critical: true, rbits: 0, data: fromHex('fffe0002') });
    expect(r.describe(o)).toEqual({ known: true, name: 'acme.ports', value: { ingress: 0x7fff, egress: 2 }, json: { ingress: 0x7fff, egress: 2 } });
    expect(r.className(0xff01)).toBe('ACME');
  });

  it('parses and prints the tc geneve_opts CLASS:TYPE:HEX form', () => {
    const o = parseOptionText('0102:80:00800022');
    expect(o).toEqual({ optionClass: 0x0102, type: 0x80, critical: true, rbits: 0, data: fromHex('00800022') });
    expect(formatOptionText(o)).toBe('0102:80:00800022');
    expect(() => parseOptionText('0102:80:008000')).toThrow(RangeError);
  });
});

/** A Geneve header (8 + options) with the given C bit. */
function geneve(critical: boolean, options: GeneveOption[]): Uint8Array {
  const f: GeneveFields = { version: 0, control: false, critical, reservedFlags: 0, protocolType: 0x6558, vni: 7, reserved: 0, options };
  const out = new Uint8Array(geneveLength(f));
  emitGeneve(f, out, 0);
  return out;
}

describe('critical-option policy (RFC 8926 §3.5)', () => {
  const reg = OptionRegistry.withBuiltins();
  const ovn = reg.encodeOption('ovn.ports', { ingressPort: 1, egressPort: 2 });
  const unknownCrit: GeneveOption = { optionClass: 0x0105, type: 0x91, critical: true, rbits: 0, data: fromHex('deadbeef') };
  const unknownPlain: GeneveOption = { optionClass: 0xff00, type: 0x11, critical: false, rbits: 3, data: fromHex('0102030405060708') };

  it('drops a packet with an unknown critical option, naming its class and type', () => {
    const h = geneve(true, [ovn, unknownPlain, unknownCrit]);
    const p = parseGeneve(h);
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    const c = reg.checkCritical(p.value.critical, p.value.options, 8, 1);
    expect(c.action).toBe('drop');
    expect(c.reason).toMatchObject({ optionClass: 0x0105, type: 0x91, offset: 8 + 8 + 12 });
    expect(c.reason?.message).toMatch(/unknown critical option class 0x0105 \(Amazon.com, Inc.\) type 0x91/);
    expect(c.warnings.map((w) => w.kind)).toEqual(['unknown-critical-option']);
  });

  it('accepts unknown non-critical options, which pass through byte for byte in their order', () => {
    const h = geneve(true, [unknownPlain, ovn, { ...unknownPlain, optionClass: 0x0200, data: new Uint8Array(0) }]);
    const p = parseGeneve(h);
    if (!p.ok) throw new Error('parse');
    expect(reg.checkCritical(p.value.critical, p.value.options, 8, 1)).toEqual({ action: 'accept', warnings: [] });
    const out = new Uint8Array(h.length).fill(0xa5);
    emitGeneve(p.value, out, 0);
    expect(toHex(out)).toBe(toHex(h));
    expect(p.value.options.map((o) => o.optionClass)).toEqual([0xff00, 0x0102, 0x0200]);
  });

  it('reports a C bit that disagrees with the options, both ways', () => {
    const noCrit = parseGeneve(geneve(true, [unknownPlain]));
    const clear = parseGeneve(geneve(false, [ovn]));
    if (!noCrit.ok || !clear.ok) throw new Error('parse');
    const a = reg.checkCritical(noCrit.value.critical, noCrit.value.options, 8, 1);
    expect(a.action).toBe('accept');
    expect(a.warnings).toEqual([{ layer: 'geneve', kind: 'critical-flag-mismatch', offset: 1, message: 'C bit set but no option is critical (RFC 8926 §3.4)' }]);
    const b = reg.checkCritical(clear.value.critical, clear.value.options, 8, 1);
    expect(b.warnings.map((w) => [w.kind, w.offset])).toEqual([['critical-flag-mismatch', 1]]);
  });

  it('flags a known option whose data does not fit its definition', () => {
    const bad: GeneveOption = { ...ovn, data: fromHex('0000000100000002') };
    const c = reg.checkCritical(true, [bad], 50, 43);
    expect(c.action).toBe('accept');
    expect(c.warnings).toEqual([{ layer: 'geneve', kind: 'bad-option-value', offset: 50, message: 'ovn.ports: ovn.ports.length 8, allowed 4 bytes' }]);
  });
});

describe('the shared captures with Geneve options, named and typed', () => {
  const reg = OptionRegistry.withBuiltins();
  it('ovs-geneve-options.pcap: every OVN option decodes to its logical ports', () => {
    const recs = readCaptureAll(readFileSync(CAP('ovs-geneve-options.pcap'))).records;
    const seen = new Set<string>();
    for (const r of recs) {
      const g = walkPacket(r.data).layers.find((l) => l.proto === 'geneve');
      if (!g || g.proto !== 'geneve') throw new Error('no geneve');
      const o = g.options.find((x) => x.optionClass === 0x0102)!;
      const d = reg.describe(o);
      expect(d.known && 'json' in d && d.name).toBe('ovn.ports');
      if (d.known && 'json' in d) seen.add(JSON.stringify(d.json));
      expect(reg.checkCritical(g.critical, g.options, g.offset + 8, g.offset + 1).action).toBe('accept');
    }
    expect([...seen].sort()).toEqual(['{"ingressPort":1,"egressPort":2}', '{"ingressPort":2,"egressPort":1}']);
  });

  it('tcpdump-geneve.pcap: the class 0x0000 type 0x80 option is an unknown critical option a receiver drops', () => {
    const recs = readCaptureAll(readFileSync(CAP('tcpdump-geneve.pcap'))).records;
    let drops = 0;
    for (const r of recs) {
      const g = walkPacket(r.data).layers.find((l) => l.proto === 'geneve');
      if (!g || g.proto !== 'geneve') continue;
      const c = reg.checkCritical(g.critical, g.options, g.offset + 8, g.offset + 1);
      if (c.action === 'drop') {
        drops++;
        expect(c.reason).toMatchObject({ optionClass: 0, type: 0x80 });
      }
    }
    expect(drops).toBe(19);
  });
});
