/**
 * Every prefix of every packet of the shared captures goes through the walker: it never throws, every
 * error is a well-formed typed WireError inside the bytes given, and a prefix that cuts a header the
 * full packet has yields a `truncated` / `length-overrun` error naming that layer's place.
 * Also: random bytes and bit flips in real packets never throw, and neither do near-valid generated tunnel
 * frames (`mutated(tunnelFrame())` from `tunnelwire/arbitraries`).
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { DEFAULT_UDP_PORTS, walkPacket, type PacketDecode, type UdpTunnelKind, type WalkOptions } from '../../src/walk/walker.js';
import type { WireError } from '../../src/net/errors.js';
import { mutated, tunnelFrame } from '../../src/arbitraries/index.js';
import { CAPTURES, decodeCaptureForTest, type DecodedRecord } from './helpers.js';

const KINDS = new Set(['truncated', 'length-overrun', 'bad-length', 'bad-version', 'bad-flags', 'reserved-nonzero', 'bad-checksum', 'bad-value', 'unsupported', 'depth-exceeded']);
const MAX_PREFIX = 600;

function wellFormed(e: WireError, k: number): void {
  expect(KINDS.has(e.kind)).toBe(true);
  expect(typeof e.layer).toBe('string');
  expect(Number.isInteger(e.at)).toBe(true);
  expect(e.at).toBeGreaterThanOrEqual(0);
  expect(e.at).toBeLessThanOrEqual(Math.max(k, 0));
  expect(typeof e.field).toBe('string');
  expect(typeof e.allowed).toBe('string');
}

const all: DecodedRecord[] = [];
/** The walk options of each record's capture (its decode-as ports), by record. */
const portsOf = new Map<DecodedRecord, WalkOptions>();

describe('truncation sweep over the shared captures', () => {
  it('loads every capture', async () => {
    for (const c of CAPTURES) {
      const recs = await decodeCaptureForTest(c.path, c.decodeAs);
      const udpPorts = new Map<number, UdpTunnelKind>(DEFAULT_UDP_PORTS);
      for (const [p, k] of c.decodeAs) udpPorts.set(p, k);
      for (const r of recs) portsOf.set(r, { udpPorts });
      all.push(...recs);
    }
    expect(all.length).toBe(704);
  });

  it('every prefix decodes to typed errors, never an exception', () => {
    let prefixes = 0;
    let cutInHeader = 0;
    for (const r of all) {
      const full = r.decode;
      const clean = full.errors.length === 0 && !full.partial;
      const layers = full.layers.filter((l) => l.buffer === undefined);
      const n = Math.min(r.data.length, MAX_PREFIX);
      for (let k = 0; k < n; k++) {
        let d: PacketDecode | undefined;
        expect(() => {
          d = walkPacket(r.data.subarray(0, k), portsOf.get(r));
        }).not.toThrow();
        prefixes++;
        for (const e of d!.errors) wellFormed(e, k);
        if (!clean) continue;
        const cut = layers.find((l) => l.offset < k && k < l.offset + l.length && l.proto !== 'unknown');
        if (cut) {
          cutInHeader++;
          const hit = d!.errors.some((e) => (e.kind === 'truncated' || e.kind === 'length-overrun') && e.at <= k);
          expect(hit, `frame ${r.frame} prefix ${k} cuts ${cut.proto}@${cut.offset}+${cut.length}`).toBe(true);
        }
      }
    }
    console.log(`truncation sweep: ${prefixes} prefixes, ${cutInHeader} cutting a header, 0 exceptions`);
    expect(prefixes).toBeGreaterThan(100_000);
  });

  test.prop([fc.nat(703), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 8 })], { numRuns: 3000 })(
    'bit flips in real packets never throw and keep errors typed',
    (i, flips) => {
      const r = all[i % all.length]!;
      const b = r.data.slice(0, Math.min(r.data.length, 2048));
      for (const [pos, bit] of flips) if (b.length) b[pos % b.length]! ^= 1 << bit;
      const d = walkPacket(b);
      for (const e of d.errors) wellFormed(e, b.length);
    },
  );

  test.prop([fc.uint8Array({ maxLength: 400 })], { numRuns: 3000 })('random bytes never throw', (b) => {
    const d = walkPacket(b);
    for (const e of d.errors) wellFormed(e, b.length);
  });

  test.prop([mutated(tunnelFrame({ inner: 'any', sttSegments: 'any' }))], { numRuns: 3000 })(
    'near-valid tunnel frames (cut, lying lengths, flipped flags, reserved bits, byte flips) never throw and keep errors typed',
    ({ bytes, mutation, original }) => {
      let d: PacketDecode | undefined;
      expect(() => {
        d = walkPacket(bytes);
      }).not.toThrow();
      for (const e of d!.errors) wellFormed(e, bytes.length);
      for (const e of walkPacket(bytes, { strict: true }).errors) wellFormed(e, bytes.length);
      // As in the capture sweep: a cut inside a header the clean full frame has is a truncated / length-overrun error.
      const full = walkPacket(original.bytes);
      if (mutation.kind === 'truncate' && mutation.field === 'header' && mutation.layer !== 'unknown' && full.errors.length === 0 && !full.partial) {
        const hit = d!.errors.some((e) => (e.kind === 'truncated' || e.kind === 'length-overrun') && e.at <= mutation.at);
        expect(hit, `${original.type} cut at ${mutation.at} in ${mutation.layer}`).toBe(true);
      }
    },
  );
});
