/**
 * The port's output read by an independent decoder: for every port type over IPv4 and IPv6 underlays,
 * encapsulated frames (inner IPv4/UDP, IPv6/UDP, ARP; VXLAN with GBP, Geneve with a critical OVN option
 * and a 64-byte option, VXLAN-GPE with Ethernet and L3 payloads, NVGRE with a FlowID, STT frames cut into
 * segments) are written with `writePcap` and decoded by tshark with IP/UDP checksum validation on. No
 * frame may be malformed or carry an expert warning or error, every checksum tshark checks is Good, and
 * tshark must find our tunnel fields. STT is a heuristic dissector (`-o ip.try_heuristic_first:TRUE`,
 * `-o ipv6.try_heuristic_first:TRUE`); its segments' TCP checksums are checked in a second pass where TCP
 * dissects port 7471. UDP 4790 is VXLAN-GPE in tshark by default.
 *
 * The MTU-exceeded replies: ICMP Destination Unreachable / Fragmentation needed with the next-hop MTU and
 * ICMPv6 Packet Too Big with the MTU, both with Good checksums (tshark always verifies ICMP/ICMPv6
 * checksums: `tshark -G defaultprefs` has no icmp check_checksum preference).
 *
 * tshark is a test dependency: when it is missing this file fails (it does not skip).
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { LINKTYPE_ETHERNET } from '../../src/capture/linktype.js';
import { writePcap } from '../../src/capture/writer.js';
import { TunnelPort, type EncapOptions } from '../../src/port/port.js';
import type { PortType } from '../../src/port/types.js';
import { put16 } from '../../src/net/bytes.js';
import { Ipv4View } from '../../src/net/ipv4.js';
import { udpChecksum } from '../../src/net/udp.js';
import { fold, onesSum, ipv6PseudoSum } from '../../src/net/checksum.js';
import { OptionRegistry } from '../../src/tlv/registry.js';
import type { TunnelMetadata } from '../../src/tlv/metadata.js';

const run = promisify(execFile);
if (spawnSync('tshark', ['-v'], { stdio: 'ignore' }).status !== 0) throw new Error('tshark is required (run tools/test-deps.sh): this test fails without it');
const PI_WARN = 0x600000;
const dir = mkdtempSync(join(tmpdir(), 'tunnelwire-port-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Run tshark over `frames`; one array of field values (split on '|') per frame. */
async function tshark(name: string, frames: Uint8Array[], fields: string[], prefs: string[] = []): Promise<string[][][]> {
  const path = join(dir, `${name}.pcap`);
  writeFileSync(path, writePcap(frames.map((data, i) => ({ timestampNs: BigInt(i) * 1000n, data })), LINKTYPE_ETHERNET));
  const args = ['-n', '-r', path, ...prefs, '-T', 'fields', '-E', 'aggregator=|', '-E', 'occurrence=a', ...fields.flatMap((f) => ['-e', f])];
  const { stdout } = await run('tshark', args, { maxBuffer: 64 * 1024 * 1024 });
  return stdout
    .split('\n')
    .filter((l) => l.length)
    .map((l) => l.split('\t').map((v) => (v ? v.split('|') : [])));
}

// ── inner packets ─────────────────────────────────────────────────────────────
const MACS = [2, 0, 0, 0, 0, 0xb, 2, 0, 0, 0, 0, 0xa];
function udp4(len: number, df = true): Uint8Array {
  const b = new Uint8Array(14 + 28 + len);
  b.set([...MACS, 8, 0]);
  b[14] = 0x45;
  b[15] = 0xb8 | 2;
  put16(b, 16, 28 + len);
  put16(b, 18, 0x4242);
  b[20] = df ? 0x40 : 0;
  b[22] = 63;
  b[23] = 17;
  b.set([10, 1, 0, 1], 26);
  b.set([10, 1, 0, 2], 30);
  Ipv4View.unchecked(b, 14).fillChecksum();
  put16(b, 34, 40001);
  put16(b, 36, 7000);
  put16(b, 38, 8 + len);
  for (let i = 0; i < len; i++) b[42 + i] = 0x41 + (i % 26);
  put16(b, 40, udpChecksum(b, 14, 34, b.length));
  return b;
}
function udp6(len: number): Uint8Array {
  const b = new Uint8Array(14 + 48 + len);
  b.set([...MACS, 0x86, 0xdd]);
  put16(b, 14, 0x6012);
  put16(b, 16, 0x3456);
  put16(b, 18, 8 + len);
  b[20] = 17;
  b[21] = 63;
  b.set([0xfd, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 22);
  b.set([0xfd, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2], 38);
  put16(b, 54, 40001);
  put16(b, 56, 7000);
  put16(b, 58, 8 + len);
  for (let i = 0; i < len; i++) b[62 + i] = 0x61 + (i % 26);
  put16(b, 60, ~fold(onesSum(b, 54) + ipv6PseudoSum(b, 22, 38, 17, 8 + len)) & 0xffff);
  return b;
}
const ARP = Uint8Array.from([...new Array(6).fill(0xff), 2, 0, 0, 0, 0, 0xa, 8, 6, 0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 0xa, 10, 1, 0, 1, 0, 0, 0, 0, 0, 0, 10, 1, 0, 2]);

const ovn = OptionRegistry.withBuiltins().encodeOption('ovn.ports', { ingressPort: 5, egressPort: 7 });
const big = { optionClass: 0xffff, type: 0x01, critical: false, rbits: 0, data: Uint8Array.from({ length: 64 }, (_, i) => i) };
const TYPES: PortType[] = ['vxlan', 'vxlan-gpe', 'geneve', 'nvgre', 'stt'];
const UNDERLAYS = [
  ['192.0.2.1', '192.0.2.2'],
  ['2001:db8::1', '2001:db8::2'],
] as const;

interface Sent {
  readonly type: PortType;
  readonly frames: Uint8Array[];
}

function encapAll(): Sent[] {
  const sent: Sent[] = [];
  for (const type of TYPES) {
    for (const [a, b] of UNDERLAYS) {
      const p = new TunnelPort({
        type,
        local: a,
        remote: b,
        tunnelId: type === 'stt' ? 0xdeadbeefcafef00dn : type === 'nvgre' ? 0x10203n : 0x123456n,
        ...(type === 'vxlan' ? { gbp: true } : {}),
        ...(type === 'geneve' ? { geneveOptions: [ovn, big], udpChecksum: true } : {}),
        ttl: 'inherit',
        dscp: 'inherit',
      });
      const jobs: Array<[Uint8Array, Partial<TunnelMetadata>, EncapOptions?]> = [
        [udp4(100), type === 'vxlan' ? { gbp: { id: 0x0abc, flags: 0x08 } } : type === 'nvgre' ? { flowId: 0xfe } : {}],
        [udp6(200), {}],
        [ARP, {}],
      ];
      if (type === 'stt') jobs.push([udp4(3500), {}]);
      if (type === 'vxlan-gpe' || type === 'geneve') {
        jobs.push([udp4(60).subarray(14), {}, { innerEtherType: 0x0800 }]);
        jobs.push([udp6(60).subarray(14), {}, { innerEtherType: 0x86dd }]);
      }
      const frames: Uint8Array[] = [];
      for (const [inner, meta, opts] of jobs) {
        const out = new Uint8Array(inner.length + 1000);
        const r = p.encapsulate(inner, meta, out, 0, opts);
        if (!r.ok) throw new Error(`${type}: ${r.message}`);
        let s = 0;
        for (const e of r.segments) {
          frames.push(out.slice(s, e));
          s = e;
        }
      }
      sent.push({ type, frames });
    }
  }
  return sent;
}

const HEUR = ['-o', 'ip.try_heuristic_first:TRUE', '-o', 'ipv6.try_heuristic_first:TRUE'];
const CHECK = ['-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE'];
const TUNNEL_FIELD: Record<PortType, string> = { vxlan: 'vxlan.vni', 'vxlan-gpe': 'vxlan.next_proto', geneve: 'geneve.vni', nvgre: 'gre.key', stt: 'stt.pkt_id' };

describe('tshark decodes what the port sends', () => {
  const sent = encapAll();
  const frames = sent.flatMap((s) => s.frames);
  const typeOf = sent.flatMap((s) => s.frames.map(() => s.type));

  it(`${frames.length} frames of every port type: no malformed packet, no expert warning or error, every checked checksum Good, tunnel fields found`, async () => {
    const fields = ['frame.number', '_ws.malformed', '_ws.expert.severity', '_ws.expert.message', 'ip.checksum.status', 'udp.checksum.status', 'frame.protocols', 'vxlan.vni', 'vxlan.next_proto', 'vxlan.gbp', 'geneve.vni', 'geneve.option.class', 'gre.key', 'stt.pkt_id', 'stt.context_id'];
    const rows = await tshark('encap', frames, fields, [...HEUR, ...CHECK]);
    expect(rows.length).toBe(frames.length);
    const col = (r: string[][], f: string): string[] => r[fields.indexOf(f)] ?? [];
    let sttContext = 0;
    rows.forEach((r, i) => {
      const where = `frame ${i + 1} (${typeOf[i]}): ${col(r, '_ws.expert.message').join('; ')}`;
      expect(col(r, '_ws.malformed'), where).toEqual([]);
      for (const sev of col(r, '_ws.expert.severity')) expect(Number(sev), where).toBeLessThan(PI_WARN);
      for (const s of col(r, 'ip.checksum.status')) expect(s, where).toBe('1');
      for (const s of col(r, 'udp.checksum.status')) expect(['1', '2', '3'], where).toContain(s);
      expect(col(r, TUNNEL_FIELD[typeOf[i]!]).length, where).toBeGreaterThan(0);
      const protos = col(r, 'frame.protocols').join(',');
      switch (typeOf[i]) {
        case 'vxlan':
          expect(col(r, 'vxlan.vni').map(Number)).toContain(0x123456);
          break;
        case 'geneve':
          expect(col(r, 'geneve.vni').map(Number)).toContain(0x123456);
          expect(col(r, 'geneve.option.class')).toEqual(['0x0102', '0xffff']);
          break;
        case 'nvgre':
          expect(protos).toContain(':gre:');
          expect(Number(col(r, 'gre.key')[0]) >>> 8).toBe(0x10203);
          break;
        case 'stt':
          if (col(r, 'stt.context_id').length) {
            expect(col(r, 'stt.context_id')[0]).toBe('0xdeadbeefcafef00d');
            sttContext++;
          }
          break;
      }
      if (typeOf[i] !== 'stt' || col(r, 'stt.context_id').length) expect(protos, where).toMatch(/:(eth:ethertype:)?(ip|ipv6|arp)/);
    });
    const gbp = rows.filter((r, i) => typeOf[i] === 'vxlan' && col(r, 'vxlan.gbp').length);
    // tshark shows bytes 2-3 as vxlan.gbp even with G clear (0 on the packets sent without GBP metadata).
    expect(gbp.map((r) => Number(col(r, 'vxlan.gbp')[0]))).toEqual([0x0abc, 0, 0, 0x0abc, 0, 0]);
    expect(sttContext).toBe(8); // 4 frames per underlay, each decoded once (the segmented one when reassembled)
  });

  it('STT segments carry Good TCP checksums (second pass: TCP dissects port 7471)', async () => {
    const stt = sent.filter((s) => s.type === 'stt').flatMap((s) => s.frames);
    expect(stt.length).toBe(2 * (3 + 3)); // per underlay: 3 one-segment frames + one frame of 3560 bytes in 3 segments
    const rows = await tshark('stt-tcp', stt, ['tcp.checksum.status', '_ws.malformed'], CHECK);
    for (const r of rows) {
      expect(r[0]).toEqual(['1']);
      expect(r[1]).toEqual([]);
    }
  });
});

describe('tshark decodes the MTU-exceeded replies', () => {
  it('ICMP Fragmentation needed (type 3 code 4) and ICMPv6 Packet Too Big (type 2) with the MTU, checksums Good', async () => {
    const replies: Uint8Array[] = [];
    const mtus: number[] = [];
    const kinds: Array<4 | 6> = [];
    for (const type of ['vxlan', 'geneve', 'nvgre', 'vxlan-gpe'] as const) {
      for (const [a, b] of UNDERLAYS) {
        const p = new TunnelPort({ type, local: a, remote: b, tunnelId: 0x1000n, ...(type === 'geneve' ? { geneveOptions: [ovn] } : {}) });
        for (const [inner, v, opts] of [
          [udp4(3000), 4, {}],
          [udp6(3000), 6, {}],
          ...(type === 'vxlan-gpe' ? ([[udp4(3000).subarray(14), 4, { innerEtherType: 0x0800 }]] as const) : []),
        ] as const) {
          const r = p.encapsulate(inner, {}, new Uint8Array(4000), 0, opts);
          if (r.ok || !r.icmpReply || r.mtu === undefined) throw new Error(`${type}: expected an ICMP reply`);
          if (inner[0] === 0x45) {
            // An L3 reply to an L3 payload: give tshark an Ethernet header to read it.
            const f = new Uint8Array(14 + r.icmpReply.length);
            f.set([...MACS, 8, 0]);
            f.set(r.icmpReply, 14);
            replies.push(f);
          } else replies.push(r.icmpReply);
          mtus.push(r.mtu);
          kinds.push(v);
        }
      }
    }
    const fields = ['_ws.malformed', '_ws.expert.severity', '_ws.expert.message', 'icmp.type', 'icmp.code', 'icmp.mtu', 'icmp.checksum.status', 'icmpv6.type', 'icmpv6.code', 'icmpv6.mtu', 'icmpv6.checksum.status', 'ip.checksum.status', '_ws.col.Info', 'ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst'];
    const rows = await tshark('icmp', replies, fields, CHECK);
    expect(rows.length).toBe(replies.length);
    const col = (r: string[][], f: string): string[] => r[fields.indexOf(f)] ?? [];
    rows.forEach((r, i) => {
      const where = `reply ${i + 1}: ${col(r, '_ws.col.Info').join(' ')} ${col(r, '_ws.expert.message').join('; ')}`;
      expect(col(r, '_ws.malformed'), where).toEqual([]);
      for (const sev of col(r, '_ws.expert.severity')) expect(Number(sev), where).toBeLessThan(PI_WARN);
      if (kinds[i] === 4) {
        expect([col(r, 'icmp.type')[0], col(r, 'icmp.code')[0], col(r, 'icmp.mtu')[0], col(r, 'icmp.checksum.status')[0]], where).toEqual(['3', '4', String(mtus[i]), '1']);
        expect(col(r, '_ws.col.Info').join(' '), where).toMatch(/Destination unreachable \(Fragmentation needed\)/);
        for (const s of col(r, 'ip.checksum.status')) expect(s, where).toBe('1');
        expect([col(r, 'ip.src')[0], col(r, 'ip.dst')[0]]).toEqual(['10.1.0.2', '10.1.0.1']);
      } else {
        expect([col(r, 'icmpv6.type')[0], col(r, 'icmpv6.code')[0], col(r, 'icmpv6.mtu')[0], col(r, 'icmpv6.checksum.status')[0]], where).toEqual(['2', '0', String(mtus[i]), '1']);
        expect(col(r, '_ws.col.Info').join(' '), where).toMatch(/Packet Too Big/);
        expect([col(r, 'ipv6.src')[0], col(r, 'ipv6.dst')[0]]).toEqual(['fd00:1::2', 'fd00:1::1']);
      }
    });
    // The figures: the inner IP MTU of each tunnel over a 1500-byte underlay (IPv4 / IPv6 underlay):
    // VXLAN and GPE 1450/1430, Geneve with an 8-byte option 1442/1422, NVGRE 1458/1438, GPE with L3
    // payloads (no inner Ethernet) 1464/1444.
    expect(new Set(mtus)).toEqual(new Set([1450, 1430, 1442, 1422, 1458, 1438, 1464, 1444]));
  });
});
