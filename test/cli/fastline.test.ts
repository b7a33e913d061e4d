/**
 * The CLI's byte-level output path (src/cli/fastline.ts) against the reference path (the walker with
 * packetLine / packetJson): on every packet of every shared capture, on generated tunnel frames of every
 * type, on near-valid mutations of them, and through the built CLI (`decode` vs `decode --walker`) on
 * the captures and on a generated capture of mixed tunnels. Whenever the fast path takes a packet, its
 * bytes must equal the reference's; it must also take the common clean packets (counted).
 */
import { fc, test } from '@fast-check/vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { mutated, tunnelFrame } from '../../src/arbitraries/index.js';
import { readCaptureFile } from '../../src/capture/node.js';
import { ByteSink, FastLine } from '../../src/cli/fastline.js';
import { OptionRegistry } from '../../src/tlv/registry.js';
import { packetJson, packetLine } from '../../src/walk/format.js';
import { DEFAULT_TCP_PORTS, DEFAULT_UDP_PORTS, walkPacket, type UdpTunnelKind } from '../../src/walk/walker.js';
import { generateCapture } from '../../bench/captures.bench.js';
import { CAPTURES } from '../walk/helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'dist/cli.js');
const registry = OptionRegistry.withBuiltins();
const dec = new TextDecoder();

/** Fast output of one frame as a string, or null when the fast path declines it. */
function fastOut(fl: FastLine, json: boolean, b: Uint8Array, frame: number, timeNs: bigint, origLen = b.length): string | null {
  const chunks: Uint8Array[] = [];
  const sink = new ByteSink((c) => chunks.push(c.slice()), 1 << 16);
  const sec = Number(timeNs / 1_000_000_000n);
  const nsec = Number(timeNs % 1_000_000_000n);
  // Put the frame at an offset inside a larger buffer, as the capture cursor does.
  const big = new Uint8Array(b.length + 37);
  big.set(b, 29);
  const ok = json ? fl.json(sink, big, 29, b.length, origLen, frame, sec, nsec) : fl.text(sink, big, 29, b.length, origLen, frame, sec, nsec);
  if (!ok) {
    expect(sink.pos).toBe(0);
    return null;
  }
  sink.flush();
  return chunks.map((c) => dec.decode(c)).join('');
}

function slowOut(json: boolean, b: Uint8Array, frame: number, timeNs: bigint, udpPorts = DEFAULT_UDP_PORTS): string {
  const d = walkPacket(b, { udpPorts });
  return (json ? JSON.stringify(packetJson(frame, timeNs, b.length, b.length, d, registry)) : packetLine(frame, timeNs, b.length, d, registry)) + '\n';
}

const taken = { captures: 0, generated: 0, mutated: 0 };

describe('fast output path = walker output', () => {
  it('on every packet of the shared captures', async () => {
    let packets = 0;
    for (const c of CAPTURES) {
      const udpPorts = new Map<number, UdpTunnelKind>(DEFAULT_UDP_PORTS);
      for (const [p, k] of c.decodeAs) udpPorts.set(p, k);
      const fl = new FastLine(registry, udpPorts, DEFAULT_TCP_PORTS);
      for await (const r of readCaptureFile(c.path)) {
        if ('error' in r) break;
        if (r.linkType !== 1 || r.caplen !== r.origLen) continue;
        packets++;
        const data = r.data.slice();
        for (const json of [false, true]) {
          const got = fastOut(fl, json, data, r.index, r.timestampNs);
          if (got === null) continue;
          if (!json) taken.captures++;
          expect(got, `${c.name} frame ${r.index}`).toBe(slowOut(json, data, r.index, r.timestampNs, udpPorts));
        }
      }
    }
    expect(packets).toBeGreaterThan(600);
    // Most captured tunnel packets are plain and clean: the fast path must take them.
    expect(taken.captures).toBeGreaterThan(250);
  });

  test.prop([tunnelFrame({ maxPayloadLength: 200 }), fc.nat(1_000_000), fc.bigInt({ min: 0n, max: 4_000_000_000n * 1_000_000_000n })], { numRuns: 3000 })(
    'on generated frames of every tunnel type',
    (f, frame, timeNs) => {
      const fl = new FastLine(registry, DEFAULT_UDP_PORTS, DEFAULT_TCP_PORTS);
      for (const json of [false, true]) {
        const got = fastOut(fl, json, f.bytes, frame, timeNs);
        if (got === null) continue;
        if (!json) taken.generated++;
        expect(got).toBe(slowOut(json, f.bytes, frame, timeNs));
      }
    },
  );

  test.prop([mutated(tunnelFrame({ maxPayloadLength: 120 })), fc.nat(1000)], { numRuns: 3000 })('on near-valid mutations of them (never a different output)', (m, frame) => {
    const fl = new FastLine(registry, DEFAULT_UDP_PORTS, DEFAULT_TCP_PORTS);
    for (const json of [false, true]) {
      const got = fastOut(fl, json, m.bytes, frame, 1_700_000_000_123_456_789n);
      if (got === null) continue;
      if (!json) taken.mutated++;
      expect(got).toBe(slowOut(json, m.bytes, frame, 1_700_000_000_123_456_789n));
    }
  });

  it('took a share of the generated frames', () => {
    // Clean generated frames with no outer VLAN tag or IPv4 options are the fast path's to take.
    expect(taken.generated).toBeGreaterThan(300);
    expect(taken.mutated).toBeGreaterThan(0);
  });
});

describe('the built CLI: decode (text, --json, --summary) = the same with --walker, byte for byte', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tw-fastline-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = (args: string[]): string => {
    const r = spawnSync(process.execPath, [CLI, 'decode', '--no-progress', ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
    expect(r.status).toBe(0);
    return r.stdout;
  };

  it('on every shared capture (text and --json)', () => {
    for (const c of CAPTURES) {
      const da = c.decodeAs.flatMap(([p, k]) => ['--decode-as', `udp.port=${p}:${k}`]);
      for (const mode of [[], ['--json'], ['--summary']]) {
        expect(run([...mode, ...da, c.path]), `${c.name} ${mode.join(' ')}`).toBe(run([...mode, ...da, '--walker', c.path]));
      }
    }
  });

  it('on a generated capture of 6,000 mixed tunnel packets (VXLAN, GBP, Geneve+option over IPv6, GPE, NVGRE, STT)', () => {
    const path = join(dir, 'mixed.pcap');
    generateCapture(path, 6000);
    for (const mode of [[], ['--json'], ['--summary']]) {
      const fast = run([...mode, path]);
      if (mode[0] === '--summary') expect(fast).toContain('6000 packets, 6000 in tunnels, 0 with errors, 0 with warnings');
      else expect(fast.split('\n').length).toBe(6001);
      expect(fast).toBe(run([...mode, '--walker', path]));
    }
  });
});

describe('ByteSink.dec', () => {
  const n = fc.oneof(fc.nat(0xffff), fc.integer({ min: 0x7fff_ff00, max: 0x1_0000_00ff }), fc.nat(0xffffffff), fc.maxSafeNat());
  test.prop([fc.array(n, { maxLength: 40 })])('writes every integer below 2^53 as String() does', (xs) => {
    const chunks: Uint8Array[] = [];
    const sink = new ByteSink((c) => chunks.push(c.slice()), 1 << 12);
    for (const x of xs) {
      sink.room(20);
      sink.dec(x);
      sink.text(' ');
    }
    sink.flush();
    expect(chunks.map((c) => dec.decode(c)).join('')).toBe(xs.map((x) => `${x} `).join(''));
  });
});
