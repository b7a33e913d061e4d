/**
 * The published arbitraries (`tunnelwire/arbitraries`, imported here through the source path):
 * every field arbitrary emits and parses back equal, every whole frame decodes with `walkPacket`
 * cleanly with the expected tunnel type and ID, and every near-valid mutation is decoded without an
 * exception, truncations and lying lengths being reported (an error, a partial decode, or a length
 * claim the bytes do not hold).
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  MUTATION_KINDS,
  TUNNEL_FRAME_TYPES,
  ethernetHeaderBytes,
  geneveHeaderBytes,
  geneveOptions,
  greHeaderBytes,
  innerEthernetFrame,
  innerIpPacket,
  ipv4HeaderBytes,
  ipv6HeaderBytes,
  mutated,
  nearValid,
  nvgreHeaderBytes,
  registeredOption,
  sttHeaderBytes,
  tcpHeaderBytes,
  tunnelFrame,
  udpHeaderBytes,
  vxlanFields,
  vxlanGpeHeaderBytes,
  vxlanHeaderBytes,
  type Mutation,
  type TunnelFrame,
} from '../../src/arbitraries/index.js';
import { parseEthernet } from '../../src/net/ethernet.js';
import type { WireError } from '../../src/net/errors.js';
import { parseGre } from '../../src/net/gre.js';
import { parseIpv4 } from '../../src/net/ipv4.js';
import { parseIpv6 } from '../../src/net/ipv6.js';
import { parseTcp } from '../../src/net/tcp.js';
import { parseUdp } from '../../src/net/udp.js';
import { emitGeneve, geneveHasCriticalOption, geneveLength, parseGeneve } from '../../src/geneve/fields.js';
import { parseNvgre } from '../../src/nvgre/fields.js';
import { parseStt } from '../../src/stt/fields.js';
import { SttReassembler } from '../../src/stt/reassembly.js';
import { OptionRegistry, defineOption } from '../../src/tlv/index.js';
import { parseVxlan, parseVxlanGpe } from '../../src/vxlan/fields.js';
import { TunnelPort } from '../../src/port/port.js';
import type { DropReason } from '../../src/port/types.js';
import { TUNNEL_PROTOS, type DecodedLayer } from '../../src/walk/layers.js';
import { walkPacket, type PacketDecode } from '../../src/walk/walker.js';

describe('field arbitraries: emit then parse gives the fields back', () => {
  test.prop([vxlanHeaderBytes()])('VXLAN and VXLAN-GBP', ({ fields, bytes }) => {
    expect(parseVxlan(bytes)).toEqual({ ok: true, value: fields });
  });
  test.prop([vxlanFields({ gbp: true }), vxlanFields({ gbp: false })])('vxlanFields({ gbp }) forces or forbids GBP', (g, p) => {
    expect(g.gbp).toBeDefined();
    expect(p.gbp).toBeUndefined();
  });
  test.prop([vxlanGpeHeaderBytes()])('VXLAN-GPE', ({ fields, bytes }) => {
    expect(parseVxlanGpe(bytes)).toEqual({ ok: true, value: fields });
  });
  test.prop([geneveHeaderBytes()])('Geneve, reserved bits and options over the whole domain', ({ fields, bytes }) => {
    expect(bytes.length).toBe(geneveLength(fields));
    expect(parseGeneve(bytes)).toEqual({ ok: true, value: fields });
  });
  test.prop([geneveHeaderBytes({ strict: true })])('Geneve strict: a strict parse accepts it and C says whether an option is critical', ({ fields, bytes }) => {
    expect(parseGeneve(bytes, 0, bytes.length, { strict: true })).toEqual({ ok: true, value: fields });
    expect(fields.critical).toBe(geneveHasCriticalOption(fields.options));
  });
  test.prop([fc.integer({ min: 0, max: 63 }).chain((w) => fc.tuple(fc.constant(w * 4), geneveOptions({ maxTotal: w * 4 })))])(
    'geneveOptions stays within maxTotal, each option ≤ 124 data bytes with a consistent critical bit',
    ([max, os]) => {
      let total = 0;
      for (const o of os) {
        total += 4 + o.data.length;
        expect(o.data.length % 4).toBe(0);
        expect(o.data.length).toBeLessThanOrEqual(124);
        expect(o.critical).toBe((o.type & 0x80) !== 0);
      }
      expect(total).toBeLessThanOrEqual(max);
    },
  );
  test.prop([greHeaderBytes()])('GRE, versions 0 and 1, every flag combination, routing', ({ fields, bytes }) => {
    expect(parseGre(bytes)).toEqual({ ok: true, value: fields });
  });
  test.prop([greHeaderBytes({ strict: true })])('GRE strict passes a strict parse', ({ fields, bytes }) => {
    expect(parseGre(bytes, 0, bytes.length, { strict: true })).toEqual({ ok: true, value: fields });
  });
  test.prop([nvgreHeaderBytes(), nvgreHeaderBytes({ strict: true })])('NVGRE', (any, strict) => {
    expect(parseNvgre(any.bytes)).toEqual({ ok: true, value: any.fields });
    expect(parseNvgre(strict.bytes, 0, 8, { strict: true })).toEqual({ ok: true, value: strict.fields });
  });
  test.prop([sttHeaderBytes(), sttHeaderBytes({ strict: true })])('STT (64-bit Context ID), and strict STT passes a strict parse', (any, strict) => {
    expect(parseStt(any.bytes)).toEqual({ ok: true, value: any.fields });
    expect(typeof any.fields.contextId).toBe('bigint');
    expect(parseStt(strict.bytes, 0, 18, { strict: true })).toEqual({ ok: true, value: strict.fields });
  });
  test.prop([tcpHeaderBytes()])('TCP', ({ fields, bytes }) => {
    expect(parseTcp(bytes)).toEqual({ ok: true, value: fields });
  });
  test.prop([ethernetHeaderBytes()])('Ethernet with 0..8 VLAN tags', ({ fields, bytes }) => {
    expect(parseEthernet(bytes)).toEqual({ ok: true, value: { fields, headerLength: bytes.length } });
  });
  test.prop([ipv4HeaderBytes(), ipv6HeaderBytes(), udpHeaderBytes()])('IPv4, IPv6, UDP', (v4, v6, udp) => {
    expect(parseIpv4(v4.bytes)).toEqual({ ok: true, value: v4.fields });
    expect(parseIpv6(v6.bytes)).toEqual({ ok: true, value: v6.fields });
    expect(parseUdp(udp.bytes)).toEqual({ ok: true, value: udp.fields });
  });
  test.prop([registeredOption()])('registeredOption: a built-in definition and a value that encodes and describes back', ({ name, value, option }) => {
    const reg = OptionRegistry.withBuiltins();
    const d = reg.describe(option);
    expect(d).toMatchObject({ known: true, name });
    expect(d.known && 'value' in d ? d.value : undefined).toEqual(value);
    expect(option.critical).toBe((option.type & 0x80) !== 0);
    const f = { version: 0, control: false, critical: option.critical, reservedFlags: 0, protocolType: 0x6558, vni: 1, reserved: 0, options: [option] };
    const out = new Uint8Array(geneveLength(f));
    emitGeneve(f, out);
    expect(parseGeneve(out)).toEqual({ ok: true, value: f });
  });
  it('registeredOption draws from a user registry, and refuses an empty one', () => {
    const reg = new OptionRegistry();
    reg.register(defineOption({ name: 'acme.tag', optionClass: 0xff01, type: 0x05, fields: [{ name: 'tag', bits: 32 }] }));
    for (const r of fc.sample(registeredOption(reg), 20)) expect([r.name, r.option.optionClass, r.option.data.length]).toEqual(['acme.tag', 0xff01, 4]);
    expect(() => registeredOption(new OptionRegistry())).toThrow(RangeError);
  });
});

describe('inner packets', () => {
  test.prop([innerEthernetFrame()])('an inner Ethernet frame decodes cleanly with valid checksums', (p) => {
    const d = walkPacket(p.bytes);
    expect(d.errors).toEqual([]);
    checksumsGood(d);
    expect(d.layers.map((l) => l.proto)).toContain(p.l3);
    if (p.l4) expect(d.layers.at(-1)).toMatchObject({ proto: p.l4, offset: p.l4Offset });
  });
  test.prop([innerIpPacket()])('a bare IP packet decodes cleanly from its EtherType', (p) => {
    const d = walkPacket(p.bytes, { link: { kind: 'l3', etherType: p.etherType } });
    expect(d.errors).toEqual([]);
    checksumsGood(d);
    expect(d.layers[0]?.proto).toBe(p.l3);
  });
});

/** Every IPv4 header checksum verifies and every UDP checksum is good or absent. */
function checksumsGood(d: PacketDecode): void {
  for (const l of d.layers) {
    if (l.proto === 'ipv4') expect(l.checksumValid).toBe(true);
    if (l.proto === 'udp') expect(['good', 'none']).toContain(l.checksumStatus);
  }
}

const PROTO: Record<TunnelFrame['type'], string> = { vxlan: 'vxlan', 'vxlan-gbp': 'vxlan', 'vxlan-gpe': 'vxlan-gpe', geneve: 'geneve', nvgre: 'nvgre', stt: 'stt' };

function tunnelLayer(d: PacketDecode): DecodedLayer | undefined {
  return d.layers.find((l) => TUNNEL_PROTOS.has(l.proto));
}
function tunnelIdOf(l: DecodedLayer | undefined): bigint | undefined {
  if (!l) return undefined;
  if (l.proto === 'vxlan' || l.proto === 'vxlan-gpe' || l.proto === 'geneve') return BigInt(l.vni);
  if (l.proto === 'nvgre') return BigInt(l.vsid);
  if (l.proto === 'stt') return l.contextId;
  return undefined;
}

/** Decode a frame (all STT segments through a reassembler) and check it against what was generated. */
function checkWholeFrame(f: TunnelFrame): void {
  const d = walkPacket(f.bytes);
  expect(d.errors).toEqual([]);
  if (!d.partial) checksumsGood(d);
  const t = tunnelLayer(d);
  expect(t?.proto).toBe(PROTO[f.type]);
  expect(t?.offset).toBe(f.offsets.tunnel);
  if (f.type === 'stt' && f.segments.length > 1) {
    // The first segment is a partial frame; the frame decodes once every segment went through a reassembler.
    expect(d.partial).toBe('stt-segment');
    const reasm = new SttReassembler();
    let last: PacketDecode | undefined;
    for (const s of f.segments) {
      last = walkPacket(s, { sttReassembler: reasm });
      expect(last.errors).toEqual([]);
    }
    checksumsGood(last!);
    expect(last?.inner?.bytes).toEqual(f.innerFrame);
    const frame = last?.layers.find((l) => l.proto === 'stt' && l.segments !== undefined);
    expect(frame).toMatchObject({ contextId: f.tunnelId, segments: f.segments.length });
    return;
  }
  expect(tunnelIdOf(t)).toBe(f.tunnelId);
  if (f.type === 'vxlan-gbp') expect(t).toMatchObject({ gbp: f.header.gbp });
  if (f.type === 'vxlan') expect(t && 'gbp' in t ? t.gbp : undefined).toBeUndefined();
  if (f.type === 'geneve') expect(t).toMatchObject({ options: f.header.options, critical: f.header.critical, protocolType: f.inner.etherType });
  expect(d.partial).toBeUndefined();
  expect(d.inner?.bytes).toEqual(f.innerFrame);
  expect(d.inner?.etherType).toBe(f.inner.etherType);
  expect(f.bytes.subarray(f.offsets.inner)).toEqual(f.innerFrame);
}

describe('whole frames', () => {
  for (const type of TUNNEL_FRAME_TYPES) {
    test.prop([tunnelFrame({ type, inner: 'any', sttSegments: 'any' })], { numRuns: 60 })(`${type}: walkPacket decodes it cleanly with the tunnel type and ID`, checkWholeFrame);
  }
  test.prop([tunnelFrame({ underlay: 6 }), tunnelFrame({ underlay: 4, outerVlans: 0 })])('underlay and outer VLAN options hold', (v6, v4) => {
    expect(walkPacket(v6.bytes).layers[v6.offsets.ip === 14 ? 1 : 2]?.proto).toBe('ipv6');
    expect(v6.underlay).toBe(6);
    expect(walkPacket(v4.bytes).layers.map((l) => l.proto).slice(0, 2)).toEqual(['eth', 'ipv4']);
  });
  test.prop([tunnelFrame({ type: ['geneve', 'vxlan-gpe'], inner: 'ip' })])('bare IP payloads over Geneve and VXLAN-GPE', (f) => {
    expect([0x0800, 0x86dd]).toContain(f.inner.etherType);
    checkWholeFrame(f);
  });
  test.prop([tunnelFrame({ type: 'stt', sttSegments: 'many' })])('STT in 2..8 segments reassembles to the inner frame', (f) => {
    expect(f.type === 'stt' && f.segments.length).toBeGreaterThanOrEqual(2);
    checkWholeFrame(f);
  });
  it('an Ethernet-only tunnel refuses a bare IP payload', () => {
    expect(() => fc.sample(tunnelFrame({ type: 'vxlan', inner: innerIpPacket() }), 1)).toThrow(/Ethernet frames only/);
  });
});

// ------------------------------------------------------------------------------------- mutations

function wellFormed(e: WireError, len: number): void {
  expect(typeof e.kind).toBe('string');
  expect(Number.isInteger(e.at)).toBe(true);
  expect(e.at).toBeGreaterThanOrEqual(0);
  expect(e.at).toBeLessThanOrEqual(len);
}

/** A length-claiming layer whose claimed extent runs past its container (the enclosing claim, or the bytes). */
function claimOverrun(layers: readonly DecodedLayer[], len: number): DecodedLayer | undefined {
  let limit = len;
  for (const l of layers) {
    if (l.buffer !== undefined) continue;
    let end: number | undefined;
    if (l.proto === 'ipv4' && l.totalLength !== 0) end = l.offset + l.totalLength;
    else if (l.proto === 'ipv6' && l.payloadLength !== 0) end = l.offset + 40 + l.payloadLength;
    else if (l.proto === 'udp' && l.udpLength !== 0) end = l.offset + l.udpLength;
    else if (l.proto === 'stt' && l.fragmentOffset === 0) end = l.offset + l.frameLength;
    if (end === undefined) continue;
    if (end > limit) return l;
    limit = end;
  }
  return undefined;
}

/** The walker shows the damage: an error, a partial decode, a claim the bytes do not hold, or another tunnel. */
function damageShown(d: PacketDecode, valid: PacketDecode, len: number): boolean {
  if (d.errors.length > 0 || d.partial !== undefined || claimOverrun(d.layers, len)) return true;
  const a = tunnelLayer(d);
  const b = tunnelLayer(valid);
  return a?.proto !== b?.proto || tunnelIdOf(a) !== tunnelIdOf(b);
}

const frames = tunnelFrame({ inner: 'any', sttSegments: 'any' });

describe('near-valid mutations', () => {
  test.prop([mutated(frames)], { numRuns: 2000 })('walkPacket never throws; truncations and lying lengths are reported', ({ bytes, mutation, original }) => {
    let d: PacketDecode | undefined;
    expect(() => {
      d = walkPacket(bytes);
      walkPacket(bytes, { strict: true });
    }).not.toThrow();
    for (const e of d!.errors) wellFormed(e, bytes.length);
    const valid = walkPacket(original.bytes);
    if (mutation.kind === 'truncate') {
      expect(bytes).toEqual(original.bytes.subarray(0, mutation.at));
      expect(damageShown(d!, valid, bytes.length), JSON.stringify(mutation)).toBe(true);
      // A cut inside a header the valid frame has is a truncated / length-overrun error at or before the cut
      // (unless the frame is a first STT segment, whose cut-off tail is expected).
      if (mutation.field === 'header' && valid.partial === undefined) {
        expect(d!.errors.some((e) => (e.kind === 'truncated' || e.kind === 'length-overrun') && e.at <= mutation.at), JSON.stringify(mutation)).toBe(true);
      }
    } else {
      expect(bytes.length).toBe(original.bytes.length);
      expect(bytes).not.toEqual(original.bytes);
      if (mutation.kind !== 'lying-length') expect(bytes[mutation.at]).not.toBe(original.bytes[mutation.at]);
      else {
        expect(mutation.value).not.toBe(mutation.original);
        expect(damageShown(d!, valid, bytes.length), JSON.stringify(mutation)).toBe(true);
      }
    }
  });

  test.prop([mutated(frames, { kinds: ['reserved-bits'] })], { numRuns: 500 })('reserved bits set in a tunnel header fail that header’s strict parse', ({ bytes, mutation, original }) => {
    expect(mutation.kind).toBe('reserved-bits');
    const layer = walkPacket(original.bytes).layers[mutation.layerIndex];
    expect(layer?.proto).toBe(mutation.layer);
    const o = layer!.offset;
    const strict = { strict: true };
    const kindOf = (r: { ok: boolean; error?: WireError }): string | undefined => (r.ok ? 'ok' : r.error?.kind);
    switch (mutation.layer) {
      case 'vxlan':
        expect(kindOf(parseVxlan(bytes, o, bytes.length, strict))).toBe('reserved-nonzero');
        expect(walkPacket(bytes, strict).errors.map((e) => e.kind)).toContain('reserved-nonzero');
        break;
      case 'vxlan-gpe':
        expect(kindOf(parseVxlanGpe(bytes, o, bytes.length, strict))).toBe('reserved-nonzero');
        expect(walkPacket(bytes, strict).errors.map((e) => e.kind)).toContain('reserved-nonzero');
        break;
      case 'geneve':
        expect(kindOf(parseGeneve(bytes, o, o + layer!.length, strict))).toBe('reserved-nonzero');
        break;
      case 'stt':
        expect(kindOf(parseStt(bytes, o, bytes.length, strict))).toBe('reserved-nonzero');
        break;
      case 'nvgre':
        expect(kindOf(parseNvgre(bytes, o))).toBe('bad-flags');
        expect(tunnelLayer(walkPacket(bytes))?.proto).toBe('gre');
        break;
      default:
        expect(['ipv4', 'tcp']).toContain(mutation.layer);
    }
  });

  test.prop([mutated(tunnelFrame(), { kinds: ['flip-flag', 'byte-flip'], fixChecksums: true })], { numRuns: 500 })(
    'with fixChecksums, a flip leaves every outer checksum valid (the defect is met first)',
    ({ bytes, mutation }) => {
      const d = walkPacket(bytes);
      const outerIp = d.layers[d.layers.findIndex((l) => l.proto === 'ipv4' || l.proto === 'ipv6')];
      // A flip in the outer Ethernet/IP header can change where the packet goes; only check the rest.
      if (!outerIp || mutation.at < outerIp.offset + outerIp.length) return;
      if (outerIp.proto === 'ipv4') expect(outerIp.checksumValid).toBe(true);
      const udp = d.layers.find((l) => l.proto === 'udp');
      if (udp?.proto === 'udp' && udp.offset === outerIp.offset + outerIp.length && !(mutation.at >= udp.offset && mutation.at < udp.offset + 8)) {
        expect(['good', 'none']).toContain(udp.checksumStatus);
      }
    },
  );

  it('covers every kind, and every lying-length field, over a sample', () => {
    const seen = new Set<string>();
    for (const m of fc.sample(nearValid(tunnelFrame({ inner: 'any' })), { numRuns: 4000, seed: 42 })) {
      const x: Mutation = m.mutation;
      seen.add(x.kind);
      if (x.kind === 'lying-length') seen.add(`${x.layer}.${x.field}`);
    }
    for (const k of MUTATION_KINDS) expect(seen).toContain(k);
    for (const f of ['ipv4.totalLength', 'ipv4.ihl', 'ipv6.payloadLength', 'udp.length', 'tcp.dataOffset', 'geneve.optLen', 'geneve.option.length', 'stt.frameLength', 'nvgre.flags.K']) {
      expect(seen).toContain(f);
    }
  });

  it('mutates plain byte frames too, and refuses an empty frame', () => {
    const raw = fc.sample(tunnelFrame({ type: 'vxlan' }).map((f) => f.bytes), 5);
    for (const m of fc.sample(mutated(fc.constantFrom(...raw)), 50)) expect(raw).toContain(m.original);
    expect(() => fc.sample(mutated(fc.constant(new Uint8Array(0))), 1)).toThrow(RangeError);
  });
});

// ---------------------------------------------------------- fuzzing a datapath (the README example)

/** Drops a receiving port may make of a valid frame by policy, not because the frame is broken. */
const POLICY_DROPS = new Set<DropReason>(['ecn-not-ect-ce', 'inner-vlan', 'unknown-critical-option']);

describe('fuzzing a datapath: TunnelPort.decapsulate', () => {
  for (const type of TUNNEL_FRAME_TYPES) {
    for (const local of ['192.0.2.2', '2001:db8::2']) {
      const port = new TunnelPort({
        type: type === 'vxlan-gbp' ? 'vxlan' : type,
        gbp: type === 'vxlan-gbp',
        local,
        remote: 'flow',
        tunnelId: 'flow',
        allowReservedVsid: true,
        udp6ZeroChecksumRx: false,
      });
      const valid = tunnelFrame({ type, inner: 'any', outer: { dst: local }, ...(type.startsWith('vxlan') && type !== 'vxlan-gpe' ? { dstPort: 4789 } : {}) });
      test.prop([valid], { numRuns: 40 })(`${type} over ${local}: valid frames are accepted (or dropped by policy) with the inner frame and tunnel ID`, (f) => {
        const r = port.decapsulate(f.bytes);
        if (!r.ok) {
          expect(POLICY_DROPS.has(r.reason), `${r.reason}: ${r.message}`).toBe(true);
          return;
        }
        expect(r.inner).toEqual(f.innerFrame);
        expect(r.metadata.tunnelId).toBe(f.tunnelId);
      });
      test.prop([nearValid(valid)], { numRuns: 150 })(`${type} over ${local}: near-valid frames never throw; a cut frame is dropped`, ({ bytes, mutation }) => {
        const r = port.decapsulate(bytes);
        if (mutation.kind === 'truncate') expect(r.ok).toBe(false);
      });
    }
  }
});
