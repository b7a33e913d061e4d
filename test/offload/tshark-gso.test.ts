/**
 * The proof by an independent decoder: software-GSO segments of ~20 KB inner TCP super-packets, for every
 * tunnel type (VXLAN, VXLAN-GPE carrying Ethernet, Geneve with options, NVGRE, and GRE with checksum + key)
 * over IPv4 and IPv6 underlays (inner IPv4 and IPv6 alternating), written to pcap with `writePcap` and read by
 * tshark (Wireshark 4.0) with checksum validation on. Every checksum tshark reports must be Good (status 1),
 * with no malformed packet and no expert error, and the inner TCP byte stream tshark follows must equal the
 * original payload. STT: our segments reassemble in tshark into the same frame.
 *
 * tshark has no `gre.check_checksum` preference (`tshark -G defaultprefs`): it always verifies a GRE checksum
 * when C is set and reports `gre.checksum.status`. `stt.check_checksum` is not enabled: tshark 4.0.17 reports
 * every correct STT checksum as bad (MANIFEST "Oracle caveats"); the STT segments' TCP checksums are checked in
 * a second pass where TCP, not the STT heuristic, dissects port 7471.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { LINKTYPE_ETHERNET } from '../../src/capture/linktype.js';
import { writePcap } from '../../src/capture/writer.js';
import { emitGeneve, type GeneveOption } from '../../src/geneve/fields.js';
import { toHex } from '../../src/net/bytes.js';
import { emitEthernet } from '../../src/net/ethernet.js';
import { emitGre } from '../../src/net/gre.js';
import { emitIpv4 } from '../../src/net/ipv4.js';
import { emitIpv6 } from '../../src/net/ipv6.js';
import { emitTcp } from '../../src/net/tcp.js';
import { emitUdp, pseudoHeaderSum } from '../../src/net/udp.js';
import { fold, onesSum } from '../../src/net/checksum.js';
import { emitNvgre } from '../../src/nvgre/fields.js';
import { deriveOffloadDescriptor } from '../../src/offload-hints/descriptor.js';
import { segmentFrame } from '../../src/offload-hints/segment.js';
import { segmentSttFrame } from '../../src/offload-hints/stt-segment.js';
import { emitVxlan, emitVxlanGpe } from '../../src/vxlan/fields.js';
import { fill } from './util.js';

const run = promisify(execFile);
// tshark is a test dependency (tools/test-deps.sh installs it): a missing tshark fails, never skips.
if (spawnSync('tshark', ['-v'], { stdio: 'ignore' }).status !== 0) throw new Error('tshark is required (run tools/test-deps.sh)');
const CHECK = ['-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE'];
const EXPERT_ERROR = 0x800000; // _ws.expert.severity of PI_ERROR
const dir = mkdtempSync(join(tmpdir(), 'tunnelwire-gso-'));
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function tshark(args: string[]): Promise<string> {
  const { stdout } = await run('tshark', ['-n', ...args], { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}


type Tunnel = 'vxlan' | 'vxlan-gpe' | 'geneve' | 'nvgre' | 'gre-csum';
interface Case {
  readonly tunnel: Tunnel;
  readonly underlay: 4 | 6;
  readonly inner: 4 | 6;
}
const GENEVE_OPTIONS: GeneveOption[] = [
  { optionClass: 0x0102, type: 0x80, critical: true, rbits: 0, data: fill(4, 1) }, // OVN-style
  { optionClass: 0xffff, type: 0x01, critical: false, rbits: 0, data: fill(64, 2) }, // ≥ 16 words
];

/** Ethernet + outer IP + UDP/GRE + tunnel header + inner Ethernet + inner IP + TCP (seeded checksum) + payload. */
function superPacket(c: Case, payload: Uint8Array): Uint8Array {
  const gre = c.tunnel === 'nvgre' || c.tunnel === 'gre-csum';
  const tun = c.tunnel === 'geneve' ? 16 + GENEVE_OPTIONS.reduce((n, o) => n + 4 + o.data.length, 0) : c.tunnel === 'nvgre' ? 8 : c.tunnel === 'gre-csum' ? 12 : 16;
  const oip = c.underlay === 4 ? 20 : 40;
  const iip = c.inner === 4 ? 20 : 40;
  const tcpLen = 32; // with 12 option bytes (NOP NOP timestamp)
  const total = 14 + oip + tun + 14 + iip + tcpLen + payload.length;
  const b = new Uint8Array(total);
  let at = emitEthernet({ dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01', vlans: [], etherType: c.underlay === 4 ? 0x0800 : 0x86dd }, b, 0);
  const oproto = gre ? 47 : 17;
  if (c.underlay === 4)
    at += emitIpv4({ dscp: 0, ecn: 0, totalLength: total - at, identification: 0x4000, dontFragment: true, moreFragments: false, fragmentOffset: 0, ttl: 64, protocol: oproto, src: '192.0.2.1', dst: '192.0.2.2', options: new Uint8Array(0) }, b, at);
  else at += emitIpv6({ trafficClass: 0, flowLabel: 0xbeef, payloadLength: total - at - 40, nextHeader: oproto, hopLimit: 64, src: '2001:db8::1', dst: '2001:db8::2' }, b, at);
  if (gre) {
    if (c.tunnel === 'nvgre') at += emitNvgre({ vsid: 0x00abcd, flowId: 0x11, protocolType: 0x6558 }, b, at);
    else
      at += emitGre(
        { checksumPresent: true, routingPresent: false, keyPresent: true, sequencePresent: false, strictSourceRoute: false, recursion: 0, ackPresent: false, reservedFlags: 0, version: 0, protocolType: 0x6558, checksum: 0, offset: 0, key: 0x1234 },
        b,
        at,
      );
  } else {
    const port = c.tunnel === 'vxlan' ? 4789 : c.tunnel === 'geneve' ? 6081 : 4790;
    at += emitUdp({ srcPort: 51000, dstPort: port, length: total - at, checksum: 0xffff }, b, at); // nonzero: checksum requested
    if (c.tunnel === 'vxlan') at += emitVxlan({ vniValid: true, vni: 5001 }, b, at);
    else if (c.tunnel === 'geneve') at += emitGeneve({ version: 0, control: false, critical: true, reservedFlags: 0, protocolType: 0x6558, vni: 5002, reserved: 0, options: GENEVE_OPTIONS }, b, at);
    else at += emitVxlanGpe({ version: 0, vniValid: true, nextProtocolPresent: true, bum: false, oam: false, nextProtocol: 3, vni: 5003 }, b, at);
  }
  at += emitEthernet({ dst: '02:00:00:00:01:02', src: '02:00:00:00:01:01', vlans: [], etherType: c.inner === 4 ? 0x0800 : 0x86dd }, b, at);
  const innerIp = at;
  if (c.inner === 4)
    at += emitIpv4({ dscp: 0, ecn: 0, totalLength: total - at, identification: 0x100, dontFragment: true, moreFragments: false, fragmentOffset: 0, ttl: 64, protocol: 6, src: '10.0.0.1', dst: '10.0.0.2', options: new Uint8Array(0) }, b, at);
  else at += emitIpv6({ trafficClass: 0, flowLabel: 0, payloadLength: total - at - 40, nextHeader: 6, hopLimit: 64, src: 'fd00::1', dst: 'fd00::2' }, b, at);
  // The super-packet's TCP checksum holds the CHECKSUM_PARTIAL seed, as the stack hands it to GSO.
  const seed = pseudoHeaderSum(b, innerIp, 6, total - at);
  const opts = Uint8Array.from([1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2]);
  at += emitTcp({ srcPort: 43210, dstPort: 5201, seq: 1000, ack: 77, flags: 0x18, window: 502, checksum: seed, urgentPointer: 0, options: opts }, b, at);
  b.set(payload, at);
  return b;
}

const CASES: Case[] = [
  { tunnel: 'vxlan', underlay: 4, inner: 4 },
  { tunnel: 'vxlan', underlay: 6, inner: 6 },
  { tunnel: 'vxlan-gpe', underlay: 4, inner: 6 },
  { tunnel: 'vxlan-gpe', underlay: 6, inner: 4 },
  { tunnel: 'geneve', underlay: 4, inner: 4 },
  { tunnel: 'geneve', underlay: 6, inner: 6 },
  { tunnel: 'nvgre', underlay: 4, inner: 6 },
  { tunnel: 'nvgre', underlay: 6, inner: 4 },
  { tunnel: 'gre-csum', underlay: 4, inner: 4 },
  { tunnel: 'gre-csum', underlay: 6, inner: 6 },
];
const PAYLOAD_LEN = 20000;
const MSS = 1398;

/** Hex of the bytes node 0 sent in `-z follow,tcp,raw,0` output (node 1's lines are tab-indented). */
function followedHex(out: string): string {
  const lines = out.split('\n');
  const start = lines.findIndex((l) => l.startsWith('Node 1:'));
  let hex = '';
  for (const l of lines.slice(start + 1)) {
    if (l.startsWith('====')) break;
    if (l && !l.startsWith('\t')) hex += l.trim();
  }
  return hex;
}

interface Figures {
  name: string;
  segments: number;
  checksums: number;
  bytes: number;
}
const figures: Figures[] = [];
afterAll(() => {
  if (figures.length) console.log(figures.map((f) => `${f.name}: ${f.segments} segments, ${f.checksums} checksums Good, ${f.bytes} bytes compared`).join('\n'));
});

describe('tshark validates software-GSO segments', () => {
  it.concurrent.each(CASES.map((c) => [`${c.tunnel} over IPv${c.underlay}, inner IPv${c.inner}`, c] as const))('%s', async (name, c) => {
    const payload = fill(PAYLOAD_LEN, 17 + CASES.indexOf(c));
    const frame = superPacket(c, payload);
    const d = deriveOffloadDescriptor(frame, { gsoSize: MSS });
    if (!d.ok) throw new Error(JSON.stringify(d.error));
    const r = segmentFrame(frame, d.value);
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    const segs = r.value;
    expect(segs.length).toBe(Math.ceil(PAYLOAD_LEN / MSS));
    const file = join(dir, `${c.tunnel}-${c.underlay}-${c.inner}.pcap`);
    writeFileSync(file, writePcap(segs.map((data, i) => ({ timestampNs: 1_700_000_000_000_000_000n + BigInt(i) * 1000n, data })), LINKTYPE_ETHERNET));

    const fields = ['frame.number', 'frame.protocols', 'ip.checksum.status', 'udp.checksum.status', 'tcp.checksum.status', 'gre.checksum.status', '_ws.expert.severity', '_ws.expert.message', '_ws.malformed', 'vxlan.vni', 'geneve.vni', 'geneve.option.class', 'gre.key'];
    const [table, follow] = await Promise.all([
      tshark(['-r', file, ...CHECK, '-T', 'fields', '-E', 'separator=|', '-E', 'occurrence=a', '-E', 'aggregator=,', ...fields.flatMap((f) => ['-e', f])]),
      tshark(['-r', file, ...CHECK, '-q', '-z', 'follow,tcp,raw,0']),
    ]);
    const rows = table.trim().split('\n').map((l) => l.split('|'));
    expect(rows.length).toBe(segs.length);
    let checksums = 0;
    const udp = c.tunnel !== 'nvgre' && c.tunnel !== 'gre-csum';
    for (const [num, protocols, ip, udpS, tcpS, greS, severity, message, malformed, vxlanVni, geneveVni, optClasses, greKey] of rows) {
      const where = `${name} frame ${num}`;
      // The tunnel and the inner TCP are dissected (GPE does not add its name to frame.protocols).
      const tunnelProto = c.tunnel === 'vxlan' ? ':vxlan:' : c.tunnel === 'geneve' ? ':geneve:' : udp ? ':udp:' : ':gre:';
      expect(protocols, where).toContain(tunnelProto);
      expect(protocols, where).toMatch(/:eth:ethertype:ipv?6?:tcp/);
      // The tunnel header and every Geneve option are on every segment.
      const tunnelFields = [vxlanVni, geneveVni, optClasses, greKey];
      if (c.tunnel === 'vxlan') expect(tunnelFields, where).toEqual(['5001', '', '', '']);
      if (c.tunnel === 'vxlan-gpe') expect(tunnelFields, where).toEqual(['5003', '', '', '']);
      if (c.tunnel === 'geneve') expect(tunnelFields, where).toEqual(['', '0x00138a', '0x0102,0xffff', '']); // tshark prints geneve.vni in hex (5002)
      if (c.tunnel === 'nvgre') expect(tunnelFields, where).toEqual(['', '', '', '0x00abcd11']); // VSID 0xabcd << 8 | FlowID 0x11
      if (c.tunnel === 'gre-csum') expect(tunnelFields, where).toEqual(['', '', '', '0x00001234']);
      const want = (s: string | undefined, n: number, what: string): void => {
        const v = s ? s.split(',') : [];
        expect(v, `${where} ${what}`).toEqual(new Array(n).fill('1')); // 1 = Good
        checksums += v.length;
      };
      want(ip, (c.underlay === 4 ? 1 : 0) + (c.inner === 4 ? 1 : 0), 'ip.checksum.status');
      want(udpS, udp ? 1 : 0, 'udp.checksum.status');
      want(tcpS, 1, 'tcp.checksum.status');
      want(greS, c.tunnel === 'gre-csum' ? 1 : 0, 'gre.checksum.status');
      const sev = severity ? severity.split(',').map(Number) : [];
      expect(sev.filter((s) => s >= EXPERT_ERROR), `${where} expert: ${message}`).toEqual([]);
      expect(malformed, where).toBe('');
    }
    const hex = followedHex(follow);
    expect(hex.length / 2).toBe(PAYLOAD_LEN);
    expect(hex === toHex(payload)).toBe(true);
    figures.push({ name, segments: rows.length, checksums, bytes: hex.length / 2 });
  });

  it.concurrent.each([4, 6] as const)('STT over IPv%s: tshark reassembles our segments into the same frame', async (v) => {
    // Inner frame: Ethernet/IPv4/TCP with a correct checksum, ~20 KB.
    const total = 20000;
    const inner = fill(total, 99 + v);
    emitEthernet({ dst: '02:00:00:00:02:02', src: '02:00:00:00:02:01', vlans: [], etherType: 0x0800 }, inner, 0);
    emitIpv4({ dscp: 0, ecn: 0, totalLength: total - 14, identification: 9, dontFragment: true, moreFragments: false, fragmentOffset: 0, ttl: 64, protocol: 6, src: '10.1.0.1', dst: '10.1.0.2', options: new Uint8Array(0) }, inner, 14);
    emitTcp({ srcPort: 33000, dstPort: 80, seq: 1, ack: 2, flags: 0x18, window: 100, checksum: 0, urgentPointer: 0, options: new Uint8Array(0) }, inner, 34);
    const c = ~fold(onesSum(inner, 34, total) + pseudoHeaderSum(inner, 14, 6, total - 34)) & 0xffff;
    inner[50] = c >> 8;
    inner[51] = c & 0xff;
    const outer =
      v === 4
        ? ({ eth: { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }, ip: { version: 4, src: '198.51.100.1', dst: '198.51.100.2' } } as const)
        : ({ eth: { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }, ip: { version: 6, src: '2001:db8::a', dst: '2001:db8::b' } } as const);
    const stt = { version: 0, flags: 0x01, l4Offset: 0, reserved: 0, mss: 0, pcp: 0, vlanValid: false, vlanId: 0, contextId: 0x77n, padding: 0 };
    const segs = segmentSttFrame({ outer, srcPort: 49153, frameId: 0x1001, stt, innerFrame: inner, mss: 1400 });
    const file = join(dir, `stt-${v}.pcap`);
    writeFileSync(file, writePcap(segs.map((data, i) => ({ timestampNs: BigInt(i) * 1000n, data })), LINKTYPE_ETHERNET));
    const heur = ['-o', 'ip.try_heuristic_first:TRUE', '-o', 'ipv6.try_heuristic_first:TRUE', '-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE'];
    const [sttRows, tcpRows] = await Promise.all([
      tshark(['-r', file, ...heur, '-T', 'fields', '-E', 'separator=|', '-E', 'occurrence=a', '-E', 'aggregator=,', '-e', 'stt.pkt_len', '-e', 'stt.seg_off', '-e', 'stt.pkt_id', '-e', 'stt.reassembled.length', '-e', 'stt.segment.count', '-e', 'ip.checksum.status', '-e', 'tcp.checksum.status', '-e', 'tcp.payload', '-e', '_ws.expert.severity', '-e', '_ws.malformed']),
      // Second pass: TCP (not the STT heuristic) dissects port 7471 and checks the segments' TCP checksums.
      tshark(['-r', file, '-o', 'tcp.check_checksum:TRUE', '-T', 'fields', '-e', 'tcp.checksum.status']),
    ]);
    const rows = sttRows.trim().split('\n').map((l) => l.split('|'));
    expect(rows.length).toBe(segs.length);
    const frameLength = total + 18;
    let ipChecked = 0;
    rows.forEach(([pktLen, segOff, pktId, , , ipS, , , severity, malformed], i) => {
      expect([Number(pktLen), Number(segOff), pktId]).toEqual([frameLength, i * 1400, '0x00001001']);
      const ips = ipS ? ipS.split(',') : [];
      expect(ips.every((x) => x === '1')).toBe(true);
      ipChecked += ips.length;
      const sev = severity ? severity.split(',').map(Number) : [];
      expect(sev.filter((s) => s >= EXPERT_ERROR)).toEqual([]);
      expect(malformed).toBe('');
    });
    const last = rows[rows.length - 1]!;
    // Wireshark's reassembled buffer keeps the first segment's 20-byte TCP header in front of the frame.
    expect(Number(last[3])).toBe(frameLength + 20);
    expect(Number(last[4])).toBe(segs.length);
    expect(last[5]!.split(',')).toEqual(v === 4 ? ['1', '1'] : ['1']); // outer IPv4 (if any) and the inner IPv4 header
    expect(last[6]).toBe('1'); // the inner TCP checksum, over the reassembled frame
    const innerPayload = last[7]!.split(',').pop()!;
    expect(innerPayload === toHex(inner, 54)).toBe(true);
    const tcpStatus = tcpRows.trim().split('\n');
    expect(tcpStatus).toEqual(new Array(segs.length).fill('1'));
    figures.push({ name: `STT over IPv${v}`, segments: segs.length, checksums: tcpStatus.length + ipChecked + 1, bytes: innerPayload.length / 2 });
  });
});
