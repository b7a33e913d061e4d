/**
 * The built CLI (dist/cli.js, made by `npm run build` before the tests) on real captures: text, --json,
 * --summary, filters, decode-as, reassembly, malformed input, exit statuses, decap read back by tshark,
 * other link types, and progress on a terminal.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readCaptureAll } from '../../src/capture/reader.js';
import { PcapWriter } from '../../src/capture/writer.js';
import { LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2 } from '../../src/capture/linktype.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'dist/cli.js');
const CAP = (n: string) => join(ROOT, 'test/fixtures/captures', n);
const tmp = mkdtempSync(join(tmpdir(), 'tw-cli-'));

function run(args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 256 << 20 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
function json(args: string[]): any[] {
  const r = run(['decode', '--json', ...args]);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}
function tshark(args: string[]): string {
  return execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

const PROTOS = new Set(['eth', 'vlan', 'ipv4', 'ipv6', 'udp', 'tcp', 'gre', 'vxlan', 'vxlan-gpe', 'geneve', 'nvgre', 'stt', 'arp', 'icmp', 'icmpv6', 'unknown']);

describe('tunnelwire decode', () => {
  it('prints one line per packet with endpoints, tunnel, VNI and the inner frame', () => {
    const r = run(['decode', CAP('tcpdump-vxlan.pcap')]);
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(10);
    for (const l of lines) expect(l).toMatch(/ > .* VXLAN vni 100 : .* len \d+$/);
    expect(lines[0]).toMatch(/^1 \d\d:\d\d:\d\d\.\d{9}Z 192\.168\.\d+\.\d+\.\d+ > 192\.168\.\d+\.\d+\.4789 VXLAN vni 100 : /);
    expect(r.stdout).toMatch(/ARP who-has/);
    expect(r.stdout).toMatch(/IPv4 .* ICMP/);
  });

  it('--json follows the documented schema on every capture', () => {
    for (const name of ['ovs-geneve-options.pcap', 'scapy-nvgre.pcap', 'scapy-stt-basic.pcap', 'kernel-vxlan-gbp-ipv6.pcap', 'ovs-vxlan-gpe.pcap', 'zeek-geneve-truncated.pcapng', 'scapy-malformed-gre.pcap']) {
      for (const rec of json([CAP(name)])) {
        expect(Object.keys(rec).slice(0, 7)).toEqual(['frame', 'time', 'length', 'caplen', 'layers', 'errors', 'warnings']);
        expect(rec.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
        for (const l of rec.layers) {
          expect(PROTOS.has(l.proto)).toBe(true);
          expect(Number.isInteger(l.offset)).toBe(true);
        }
        for (const e of rec.errors) expect(Object.keys(e)).toEqual(['layer', 'kind', 'offset', 'field', 'found', 'allowed', 'message']);
      }
    }
  });

  it('--json Geneve options, GBP, GPE, NVGRE and STT fields carry the values tshark shows', () => {
    const g = json([CAP('ovs-geneve-options.pcap')])[1].layers.find((l: any) => l.proto === 'geneve');
    expect(g).toMatchObject({ vni: 0x123456, protocolType: 0x6558, oam: false, critical: true, optionsLength: 20 });
    expect(g.options).toEqual([
      { class: 0x0102, type: 0x80, critical: true, length: 4, data: '00010002', rbits: 0, className: 'Open Virtual Networking (OVN)', name: 'ovn.ports', value: { ingressPort: 1, egressPort: 2 } },
      { class: 0xffff, type: 0x01, critical: false, length: 8, data: '1122334455667788', rbits: 0, className: 'Experimental' },
    ]);
    const gbp = json([CAP('kernel-vxlan-gbp-ipv6.pcap')]).map((r) => r.layers.find((l: any) => l.proto === 'vxlan')).filter((l: any) => l?.gbp);
    expect(gbp.map((l: any) => l.gbp.groupPolicyId)).toEqual(expect.arrayContaining([100, 5, 2748]));
    expect(gbp.find((l: any) => l.gbp.groupPolicyId === 2748).gbp).toEqual({ groupPolicyId: 2748, dontLearn: false, policyApplied: true });
    const gpe = json([CAP('ovs-vxlan-gpe.pcap')]).map((r) => r.layers.find((l: any) => l.proto === 'vxlan-gpe'));
    expect(new Set(gpe.map((l: any) => l.nextProtocol))).toEqual(new Set([1, 2, 3]));
    const nv = json([CAP('ovs-nvgre-ipv6.pcap')])[0].layers.find((l: any) => l.proto === 'nvgre');
    expect(nv).toMatchObject({ vsid: 0x000102, flowId: 0xfe, protocolType: 0x6558 });
    const stt = json([CAP('scapy-stt-basic.pcap')]).flatMap((r) => r.layers.filter((l: any) => l.proto === 'stt' && l.contextId));
    expect(stt.map((l: any) => l.contextId)).toEqual(expect.arrayContaining(['0x0000000000000001', '0xdeadbeefcafef00d']));
    const tso = stt.find((l: any) => l.segments === 2);
    expect(tso).toMatchObject({ flags: 0x0e, l4Offset: 34, mss: 1400, frameLength: 2472 });
  });

  it('--summary prints a table per tunnel with packets, bytes and option classes', () => {
    const r = run(['decode', '--summary', CAP('ovs-geneve-options.pcap')]);
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^type\s+id\s+outer src\s+outer dst\s+packets\s+bytes\s+option classes$/);
    const rows = lines.filter((l) => l.startsWith('geneve'));
    expect(rows).toHaveLength(2);
    expect(rows.join('\n')).toMatch(/geneve\s+1193046\s+192\.0\.2\.1\s+192\.0\.2\.2\s+\d+\s+\d+\s+0x0102,0xffff/);
    expect(rows.join('\n')).toMatch(/geneve\s+1193046\s+192\.0\.2\.2\s+192\.0\.2\.1\s+\d+\s+\d+\s+0x0101,0x0102/);
    const total = rows.map((l) => Number(l.trim().split(/\s+/)[4])).reduce((a, b) => a + b);
    expect(total).toBe(29);
    expect(lines[lines.length - 1]).toBe('29 packets, 29 in tunnels, 0 with errors, 0 with warnings');
    expect(r.stdout).toMatch(/^ovn\.ports\s+29$/m);
  });

  it('--type and --vni filter packets', () => {
    const mixed = CAP('scapy-nvgre.pcap');
    const all = json([mixed]);
    const only = json(['--vni', '0xabcdef', mixed]);
    expect(only.length).toBeGreaterThan(0);
    expect(only.length).toBeLessThan(all.length);
    for (const r of only) expect(r.layers.find((l: any) => l.proto === 'nvgre').vsid).toBe(0xabcdef);
    expect(json(['--type', 'geneve', mixed])).toEqual([]);
    expect(json(['--type', 'nvgre', mixed]).length).toBe(all.filter((r) => r.layers.some((l: any) => l.proto === 'nvgre')).length);
  });

  it('--decode-as maps another port to a tunnel type', () => {
    const without = json([CAP('kernel-vxlan-ports.pcap')]).filter((r) => r.layers.some((l: any) => l.proto === 'vxlan' && l.vni === 0xffffff));
    const withRule = json(['--decode-as', 'udp.port=4444:vxlan', CAP('kernel-vxlan-ports.pcap')]).filter((r) => r.layers.some((l: any) => l.proto === 'vxlan' && l.vni === 0xffffff));
    expect(without).toHaveLength(0);
    expect(withRule.length).toBeGreaterThan(0);
    const gpeAsNone = json(['--decode-as', 'udp.port=4790:none', CAP('kernel-vxlan-gpe.pcap')]);
    expect(gpeAsNone.every((r) => !r.layers.some((l: any) => l.proto === 'vxlan-gpe'))).toBe(true);
  });

  it('reassembles outer IPv4 fragments and STT segments, and reports what stays incomplete', () => {
    const frags = json([CAP('kernel-vxlan-ipv4.pcap')]).filter((r) => r.layers[1]?.fragment);
    expect(frags.length).toBe(4);
    const done = frags.filter((r) => r.layers[1].fragment.reassembled);
    expect(done.length).toBe(2);
    for (const r of done) {
      expect(r.layers.some((l: any) => l.proto === 'vxlan' && l.vni === 100 && l.buffer === 'reassembled')).toBe(true);
      expect(r.errors).toEqual([]);
    }
    const s = run(['decode', '--summary', CAP('scapy-malformed-stt.pcap')]);
    expect(s.stdout).toMatch(/stt reassembly: \d+ frames completed, [1-9]\d* incomplete/);
  });

  it('reports malformed packets with what and where, and keeps going', () => {
    const recs = json([CAP('scapy-malformed-geneve.pcap')]);
    expect(recs).toHaveLength(8);
    const kinds = recs.map((r) => r.errors.map((e: any) => `${e.layer}:${e.kind}`));
    expect(kinds[0]).toContain('geneve:length-overrun');
    expect(kinds[1]).toContain('geneve:length-overrun');
    expect(kinds[3]).toContain('geneve:bad-version');
    expect(kinds[4]).toContain('geneve:truncated');
    const e = recs[4].errors[0];
    expect(e.message).toBe(`${e.layer}: ${e.kind} at byte ${e.offset} (${e.field}): found ${e.found}, allowed ${e.allowed}`);
    const text = run(['decode', CAP('scapy-malformed-geneve.pcap')]);
    expect(text.status).toBe(0);
    expect(text.stdout.split('\n').filter((l) => l.includes(' !! geneve: ')).length).toBeGreaterThanOrEqual(4);
  });

  it('exits 2 with a one-line message on usage errors and unreadable files', () => {
    const cases = [
      ['decode', join(tmp, 'missing.pcap')],
      ['decode', join(ROOT, 'package.json')],
      ['decode', '--decode-as', 'udp.port=99999:vxlan', CAP('tcpdump-vxlan.pcap')],
      ['decode', '--type', 'ipsec', CAP('tcpdump-vxlan.pcap')],
      ['frobnicate'],
      ['decode'],
    ];
    for (const c of cases) {
      const r = run(c);
      expect(r.status, c.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('decodes captures with Linux cooked (SLL, SLL2) link types like their Ethernet originals', () => {
    const recs = readCaptureAll(readFileSync(CAP('tcpdump-vxlan.pcap'))).records;
    for (const [lt, hdr] of [
      [LINKTYPE_LINUX_SLL, 16],
      [LINKTYPE_LINUX_SLL2, 20],
    ] as const) {
      const w = new PcapWriter({ linkType: lt, nanosecond: true });
      const parts: Uint8Array[] = [w.header()];
      for (const r of recs) {
        const f = new Uint8Array(hdr + r.data.length - 14);
        if (lt === LINKTYPE_LINUX_SLL) {
          f[1] = 0; // packet type: to us
          f[3] = 1; // ARPHRD_ETHER
          f[5] = 6;
          f.set(r.data.subarray(6, 12), 6);
          f.set(r.data.subarray(12, 14), 14); // protocol = EtherType
        } else {
          f.set(r.data.subarray(12, 14), 0); // protocol
          f[11] = 1; // interface index
          f[13] = 1; // ARPHRD_ETHER
          f[15] = 6;
          f.set(r.data.subarray(6, 12), 16);
        }
        f.set(r.data.subarray(14), hdr);
        parts.push(w.record(r.timestampNs, f));
      }
      const path = join(tmp, `sll-${lt}.pcap`);
      writeFileSync(path, Buffer.concat(parts));
      const ours = json([path]);
      const ref = json([CAP('tcpdump-vxlan.pcap')]);
      // The cooked header replaces the outer Ethernet header; everything after it decodes the same.
      expect(ours.map((r) => r.layers.map((l: any) => [l.proto, l.vni ?? l.src ?? null]))).toEqual(
        ref.map((r) => r.layers.slice(1).map((l: any) => [l.proto, l.vni ?? l.src ?? null])),
      );
      expect(ours.map((r) => r.layers[0].offset)).toEqual(ours.map(() => hdr));
    }
  });

  it('shows progress on stderr when it is a terminal, never otherwise', () => {
    const plain = run(['decode', CAP('kernel-vxlan-ipv4-tcp-gso.pcap')]);
    expect(plain.stderr).toBe('');
    const pty = spawnSync('script', ['-qfec', `${process.execPath} ${CLI} decode ${CAP('kernel-vxlan-ipv4-tcp-gso.pcap')} >/dev/null`, '/dev/null'], { encoding: 'utf8' });
    expect(pty.status).toBe(0);
    expect(pty.stdout).toMatch(/decoding \[.*\] 100% \| \d+\/\d+ bytes \| \d+ packets/);
  });
});

describe('tunnelwire decap', () => {
  it('writes the inner Ethernet frames, timestamps kept, and tshark reads them', () => {
    const out = join(tmp, 'inner.pcap');
    const r = run(['decap', CAP('tcpdump-vxlan.pcap'), '-o', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/10 inner frames of 10 packets written/);
    const src = readCaptureAll(readFileSync(CAP('tcpdump-vxlan.pcap'))).records;
    const got = readCaptureAll(readFileSync(out)).records;
    expect(got.map((g) => g.timestampNs)).toEqual(src.map((s) => s.timestampNs));
    // inner frame = outer bytes after Ethernet(14) + IPv4(20) + UDP(8) + VXLAN(8)
    got.forEach((g, i) => expect(Buffer.from(g.data).equals(Buffer.from(src[i]!.data.subarray(50)))).toBe(true));
    const t = tshark(['-r', out, '-T', 'fields', '-e', 'frame.protocols']).trim().split('\n');
    expect(t).toHaveLength(10);
    for (const p of t) expect(p).toMatch(/^eth:ethertype:(arp|ip:icmp)/);
  });

  it('writes L3 payloads (GPE next protocol IPv4/IPv6) as raw IP that tshark decodes', () => {
    const out = join(tmp, 'gpe-inner.pcap');
    const r = run(['decap', CAP('kernel-vxlan-gpe.pcap'), '-o', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/link type RAW/);
    const t = tshark(['-r', out, '-T', 'fields', '-e', 'frame.protocols']).trim().split('\n');
    expect(t.length).toBeGreaterThan(10);
    for (const p of t) expect(p).toMatch(/^raw:(ip|ipv6)/);
  });

  it('applies the same filters as decode', () => {
    const out = join(tmp, 'nv.pcap');
    const r = run(['decap', '--vni', '0xabcdef', CAP('scapy-nvgre.pcap'), '-o', out]);
    expect(r.status).toBe(0);
    expect(existsSync(out)).toBe(true);
    const n = json(['--vni', '0xabcdef', CAP('scapy-nvgre.pcap')]).length;
    expect(readCaptureAll(readFileSync(out)).records).toHaveLength(n);
  });
});
