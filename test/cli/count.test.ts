/**
 * `tunnelwire decode --count` (the built CLI) on every shared capture: its totals per tunnel type and per
 * tunnel ID, not-Ethernet and malformed counts must be what TunnelDecoder finds in the same records
 * (TunnelDecoder itself is checked against the walker in test/walk/fast.test.ts); `--type` and `--vni`
 * filter; a cut capture counts what it holds and reports the damage; a missing file exits 2.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readCaptureAll } from '../../src/capture/reader.js';
import { LINKTYPE_ETHERNET } from '../../src/capture/linktype.js';
import { TUNNEL_ERROR, TUNNEL_NAMES, TUNNEL_STT, TunnelDecoder } from '../../src/walk/fast.js';
import { CAPTURES } from '../walk/helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'dist/cli.js');

function run(args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The counts `--count` printed, as `name -> n` (`packets`, each type, `type id`, `not ethernet`, `malformed`). */
function parse(out: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of out.trimEnd().split('\n')) {
    const total = /^(\d+) packets$/.exec(line);
    if (total) m.set('packets', Number(total[1]));
    else {
      const row = /^\s*(.+?)\s+(\d+)$/.exec(line);
      if (!row) throw new Error(`unexpected --count line: ${JSON.stringify(line)}`);
      m.set(row[1]!, Number(row[2]));
    }
  }
  return m;
}

/** The same counts from TunnelDecoder over the records, with the CLI's filters. */
function expected(data: Uint8Array, decodeAs: Array<[number, string]>, type?: string, vni?: bigint): Map<string, number> {
  const udp = new Map([[4789, 'vxlan'], [8472, 'vxlan'], [4790, 'vxlan-gpe'], [6081, 'geneve'], ...decodeAs] as Array<[number, 'vxlan']>);
  const dec = new TunnelDecoder(udp);
  const m = new Map<string, number>();
  const add = (k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  const { records } = readCaptureAll(data);
  m.set('packets', records.length);
  let malformed = 0;
  for (const r of records) {
    if (r.linkType !== LINKTYPE_ETHERNET) {
      add('not ethernet');
      continue;
    }
    const t = dec.decode(r.data);
    if (t === TUNNEL_ERROR) {
      malformed++;
      continue;
    }
    const name = TUNNEL_NAMES[t]!;
    const id = t === TUNNEL_STT ? (BigInt(dec.tunnelIdHigh) << 32n) | BigInt(dec.tunnelId) : BigInt(dec.tunnelId);
    if (type !== undefined && name !== type) continue;
    if (vni !== undefined && id !== vni) continue;
    add(name);
    if (t >= 1 && t <= 6) add(t === TUNNEL_STT ? `stt 0x${id.toString(16).padStart(16, '0')}` : `${name} ${id}`);
  }
  m.set('malformed', malformed);
  return m;
}

/** A 64-bit Context ID of scapy-stt-basic.pcap (from the tshark decode beside it). */
const STT_ID = 0xdeadbeefcafef00dn;

const sorted = (m: Map<string, number>) => [...m].sort((a, b) => (a[0] < b[0] ? -1 : 1));

describe('tunnelwire decode --count', () => {
  it('counts what TunnelDecoder finds, per type and per tunnel ID, on every shared capture', () => {
    let tunnels = 0;
    for (const c of CAPTURES) {
      const args = ['decode', '--count', ...c.decodeAs.flatMap(([p, k]) => ['--decode-as', `udp.port=${p}:${k}`]), c.path];
      const r = run(args);
      expect(r.status, `${c.name}: ${r.stderr}`).toBe(0);
      const want = expected(readFileSync(c.path), c.decodeAs);
      expect(sorted(parse(r.stdout)), c.name).toEqual(sorted(want));
      for (const n of TUNNEL_NAMES.slice(1, 7)) tunnels += want.get(n) ?? 0;
    }
    expect(tunnels).toBeGreaterThan(400);
  });

  it('filters by --type and --vni (a 64-bit STT Context ID included)', () => {
    const cap = (n: string) => CAPTURES.find((c) => c.name === n)!;
    for (const [name, type, vni] of [
      ['tcpdump-vxlan', 'vxlan', undefined],
      ['zeek-vxlan', undefined, 123n],
      ['ovs-geneve-options', 'geneve', undefined],
      ['scapy-stt-basic', 'stt', undefined],
      ['scapy-stt-basic', undefined, STT_ID],
    ] as Array<[string, string | undefined, bigint | undefined]>) {
      const c = cap(name);
      const r = run(['decode', '--count', ...(type ? ['--type', type] : []), ...(vni !== undefined ? ['--vni', String(vni)] : []), c.path]);
      expect(r.status, r.stderr).toBe(0);
      expect(sorted(parse(r.stdout)), `${name} ${type} ${vni}`).toEqual(sorted(expected(readFileSync(c.path), c.decodeAs, type, vni)));
    }
  });

  it('counts the records of a cut capture, reports the cut, and exits 2 for a missing file', () => {
    const c = CAPTURES.find((x) => x.name === 'tcpdump-vxlan')!;
    const whole = readFileSync(c.path);
    const dir = mkdtempSync(join(tmpdir(), 'tw-count-'));
    const cut = join(dir, 'cut.pcap');
    writeFileSync(cut, whole.subarray(0, whole.length - 7));
    const r = run(['decode', '--count', cut]);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/capture error/);
    const got = parse(r.stdout);
    const full = expected(whole, c.decodeAs);
    expect(got.get('packets')).toBe(full.get('packets')! - 1);
    expect(got.get('malformed')).toBe(1); // the cut record
    const missing = run(['decode', '--count', join(dir, 'nope.pcap')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/cannot read .*nope\.pcap: ENOENT/);
  });
});
