/**
 * `tunnelwire encap`: the inner TCP super-packet of a real GSO capture is re-encapsulated in every
 * tunnel type with `--segment`, and tshark checks every checksum of the result and reassembles the
 * same TCP payload; plain encapsulation of a whole capture decodes in tshark with no malformed or
 * expert-error markers; usage errors exit 2.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readCaptureAll } from '../../src/capture/reader.js';
import { walkPacket } from '../../src/walk/walker.js';
import { toHex } from '../../src/net/bytes.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'dist/cli.js');
const CAP = (n: string) => join(ROOT, 'test/fixtures/captures', n);
const tmp = mkdtempSync(join(tmpdir(), 'tw-encap-'));

function cli(args: string[]): { status: number; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { status: r.status ?? -1, stderr: r.stderr };
}
function tshark(args: string[]): string {
  return execFileSync('tshark', ['-o', 'ip.try_heuristic_first:TRUE', '-o', 'ipv6.try_heuristic_first:TRUE', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 });
}

/** The inner TCP payload of a decoded capture, in frame order (innermost TCP layer of each frame). */
function innerTcpPayload(path: string, decodeAs?: Map<number, 'vxlan' | 'vxlan-gpe' | 'geneve'>): string {
  let hex = '';
  for (const r of readCaptureAll(readFileSync(path)).records) {
    const d = walkPacket(r.data, decodeAs ? { udpPorts: decodeAs } : {});
    const tcps = d.layers.filter((l) => l.proto === 'tcp');
    const t = tcps[tcps.length - 1];
    if (!t || t.buffer) continue;
    const ip = [...d.layers].reverse().find((l) => (l.proto === 'ipv4' || l.proto === 'ipv6') && l.offset < t.offset)!;
    const end = ip.proto === 'ipv4' ? ip.offset + ip.totalLength : ip.proto === 'ipv6' ? ip.offset + 40 + ip.payloadLength : r.data.length;
    hex += toHex(r.data, t.offset + t.length, Math.min(end, r.data.length));
  }
  return hex;
}

describe('tunnelwire encap --segment (software GSO checked by tshark)', () => {
  // The inner frame of a real Linux GSO super-frame: a 7 KB TCP segment with a partial checksum.
  const inner = join(tmp, 'inner.pcap');
  expect(cli(['decap', CAP('tcpdump-gso-ipv4-vxlan-ipv4.pcap'), '-o', inner]).status).toBe(0);
  const original = innerTcpPayload(inner);

  for (const [type, src, dst] of [
    ['vxlan', '198.51.100.1', '198.51.100.2'],
    ['vxlan-gpe', '2001:db8::1', '2001:db8::2'],
    ['geneve', '198.51.100.1', '198.51.100.2'],
    ['nvgre', '2001:db8::1', '2001:db8::2'],
    ['stt', '198.51.100.1', '198.51.100.2'],
  ] as const) {
    it(`${type} over ${src.includes(':') ? 'IPv6' : 'IPv4'}: every checksum good, inner TCP payload intact`, () => {
      const out = join(tmp, `seg-${type}.pcap`);
      const extra = type === 'geneve' ? ['--option', '0102:80:00050007', '--option', 'ffff:01:1122334455667788', '--udp-checksum'] : type === 'vxlan' ? ['--udp-checksum'] : [];
      const r = cli(['encap', inner, '-o', out, '--type', type, '--vni', '5001', '--src', src, '--dst', dst, '--segment', '1398', ...extra]);
      expect(r.status, r.stderr).toBe(0);
      const fields = tshark(['-r', out, '-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-T', 'fields', '-E', 'separator=|', '-e', 'ip.checksum.status', '-e', 'udp.checksum.status', '-e', 'tcp.checksum.status', '-e', '_ws.malformed', '-e', '_ws.expert.severity'])
        .trim()
        .split('\n');
      const statuses = fields.flatMap((l) => l.split('|').slice(0, 3).join(',').split(',')).filter(Boolean);
      expect(statuses.length).toBeGreaterThan(fields.length);
      expect(new Set(statuses)).toEqual(new Set(['1'])); // 1 = Good; 2 would be Bad
      for (const l of fields) expect(l.split('|')[3]).toBe('');
      if (type === 'stt') {
        // tshark reassembles the STT segments; the inner TCP payload is that of the reassembled frames
        // STT carries the super-packet whole (its checksum completed): 7044-byte frame in 6 segments
        expect(tshark(['-r', out, '-T', 'fields', '-e', 'stt.segment.count']).trim().split('\n').filter(Boolean).map(Number)).toEqual([6]);
        expect(tshark(['-r', out, '-T', 'fields', '-e', 'stt.flags', '-e', 'stt.l4offset', '-e', 'stt.mss']).trim().split('\n')[0]).toBe('0x0c\t34\t1398');
      } else {
        expect(fields.length).toBe(5); // 6990 payload bytes / 1398
      }
      const ports = new Map([[4789, 'vxlan' as const], [4790, 'vxlan-gpe' as const], [6081, 'geneve' as const]]);
      if (type !== 'stt') expect(innerTcpPayload(out, ports)).toBe(original);
    });
  }

  it('the payload survived: the decapsulated super-packet carries 6990 TCP payload bytes', () => {
    expect(original.length / 2).toBe(6990);
  });
});

describe('tunnelwire encap of a whole capture', () => {
  for (const type of ['vxlan', 'vxlan-gpe', 'geneve', 'nvgre', 'stt']) {
    it(`${type}: tshark decodes every frame with no malformed or expert-error markers`, () => {
      const out = join(tmp, `all-${type}.pcap`);
      const r = cli(['encap', CAP('zeek-geneve-47101.pcap'), '-o', out, '--type', type, '--vni', '77', '--src', '192.0.2.10', '--dst', '192.0.2.20']);
      expect(r.status, r.stderr).toBe(0);
      const lines = tshark(['-r', out, '-T', 'fields', '-E', 'separator=|', '-e', 'frame.protocols', '-e', '_ws.malformed', '-e', '_ws.expert.severity']).trim().split('\n');
      expect(lines).toHaveLength(24);
      const want = { vxlan: ':udp:vxlan:eth:', 'vxlan-gpe': ':udp:eth:', geneve: ':udp:geneve:eth:', nvgre: ':gre:eth:', stt: ':stt:eth:' }[type]!;
      for (const l of lines) {
        const [protos, malformed, severity] = l.split('|');
        expect(protos).toContain(want);
        expect(malformed).toBe('');
        // 8388608 = PI_ERROR; warnings/notes of the inner TLS session are not about our headers
        expect(severity!.split(',')).not.toContain('8388608');
      }
    });
  }

  it('refuses bad arguments with exit status 2', () => {
    for (const args of [
      ['--type', 'vxlan', '--vni', '16777216', '--src', '10.0.0.1', '--dst', '10.0.0.2'],
      ['--type', 'vxlan', '--vni', '1', '--src', '10.0.0.1', '--dst', '2001:db8::2'],
      ['--type', 'vxlan', '--vni', '1', '--src', '10.0.0.1', '--dst', '10.0.0.2', '--option', '0102:80:00'],
      ['--type', 'ipip', '--vni', '1', '--src', '10.0.0.1', '--dst', '10.0.0.2'],
      ['--type', 'geneve', '--vni', '1', '--src', '10.0.0.1', '--dst', '10.0.0.2', '--option', 'zz'],
    ]) {
      const r = cli(['encap', CAP('tcpdump-vxlan.pcap'), '-o', join(tmp, 'x.pcap'), ...args]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
