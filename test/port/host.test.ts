/**
 * The example datapath's local host and learning switch: ARP, Neighbor Discovery and echo replies
 * with correct fields and checksums (checked by tshark too), and MAC learning / flooding.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fold, internetChecksum, onesSum } from '../../src/net/checksum.js';
import { fromHex, ipv6FromText, put16 } from '../../src/net/bytes.js';
import { Ipv4View } from '../../src/net/ipv4.js';
import { walkPacket } from '../../src/walk/walker.js';
import { writePcap } from '../../src/capture/writer.js';
import { LINKTYPE_ETHERNET } from '../../src/capture/linktype.js';
import { LocalHost } from '../../src/port/host.js';
import { LearningSwitch, type Attachment } from '../../src/port/switch.js';

const HOST_MAC = '02:00:00:00:99:02';
const PEER_MAC = fromHex('020000009901');

function arpRequest(): Uint8Array {
  return fromHex('ffffffffffff' + '020000009901' + '0806' + '0001080006040001' + '020000009901' + '0a630001' + '000000000000' + '0a630002');
}
function echoRequest(): Uint8Array {
  const f = new Uint8Array(14 + 20 + 16);
  f.set(fromHex('020000009902020000009901' + '0800'), 0);
  f.set(fromHex('45000024abcd40004001' + '0000' + '0a630001' + '0a630002'), 14);
  Ipv4View.unchecked(f, 14).fillChecksum();
  f.set(fromHex('08000000' + '1234' + '0001' + '6162636465666768'), 34);
  put16(f, 36, internetChecksum(f, 34, 50));
  return f;
}
function icmp6(type: number, src: string, dst: string, dstMac: string, body: Uint8Array): Uint8Array {
  const f = new Uint8Array(14 + 40 + 4 + body.length);
  f.set(fromHex(dstMac + '020000009901' + '86dd'), 0);
  f[14] = 0x60;
  put16(f, 18, 4 + body.length);
  f[20] = 58;
  f[21] = 255;
  f.set(ipv6FromText(src), 22);
  f.set(ipv6FromText(dst), 38);
  f[54] = type;
  f.set(body, 58);
  const s = fold(onesSum(f, 54, f.length) + onesSum(f, 22, 54) + 4 + body.length + 58);
  put16(f, 56, ~s & 0xffff);
  return f;
}

describe('LocalHost', () => {
  const out: Uint8Array[] = [];
  const host = new LocalHost({ mac: HOST_MAC, ipv4: '10.99.0.2/24', ipv6: 'fd00:99::2' }, (f) => out.push(f));

  it('answers an ARP request for its address, and only that', () => {
    host.deliver(arpRequest());
    const r = walkPacket(out.pop()!).layers;
    expect(r[0]).toMatchObject({ proto: 'eth', dst: '02:00:00:00:99:01', src: HOST_MAC, etherType: 0x0806 });
    expect(r[1]).toMatchObject({ proto: 'arp', opcode: 2, senderMac: HOST_MAC, senderIp: '10.99.0.2', targetMac: '02:00:00:00:99:01', targetIp: '10.99.0.1' });
    const other = arpRequest();
    other[41] = 3;
    host.deliver(other);
    expect(out).toHaveLength(0);
  });

  it('answers an ICMP echo with addresses swapped and valid checksums', () => {
    host.deliver(echoRequest());
    const r = out.pop()!;
    const d = walkPacket(r).layers;
    expect(d[1]).toMatchObject({ proto: 'ipv4', src: '10.99.0.2', dst: '10.99.0.1', checksumValid: true, ttl: 64 });
    expect(d[2]).toMatchObject({ proto: 'icmp', type: 0, code: 0 });
    expect(onesSum(r, 34, r.length)).toBe(0xffff);
    expect(r.subarray(38)).toEqual(echoRequest().subarray(38)); // id, seq and data echoed
  });

  it('answers a Neighbor Solicitation with a solicited Neighbor Advertisement, and an echo request', () => {
    const ns = icmp6(135, 'fd00:99::1', 'ff02::1:ff00:2', '3333ff000002', Uint8Array.from([...new Array(4).fill(0), ...ipv6FromText('fd00:99::2'), 1, 1, ...PEER_MAC]));
    host.deliver(ns);
    const na = out.pop()!;
    expect(walkPacket(na).layers.map((l) => l.proto)).toEqual(['eth', 'ipv6', 'icmpv6']);
    expect([na[54], na[58], na[21]]).toEqual([136, 0x60, 255]);
    host.deliver(icmp6(128, 'fd00:99::1', 'fd00:99::2', '020000009902', fromHex('00070001' + 'cafe')));
    const er = out.pop()!;
    expect(er[54]).toBe(129);
    const dir = mkdtempSync(join(tmpdir(), 'tw-host-'));
    const p = join(dir, 'replies.pcap');
    host.deliver(arpRequest());
    host.deliver(echoRequest());
    writeFileSync(p, writePcap([na, er, out.pop()!, out.pop()!].map((data, i) => ({ timestampNs: BigInt(i), data })), LINKTYPE_ETHERNET));
    const t = execFileSync('tshark', ['-r', p, '-o', 'ip.check_checksum:TRUE', '-T', 'fields', '-E', 'separator=|', '-e', '_ws.col.Info', '-e', 'icmpv6.checksum.status', '-e', 'icmp.checksum.status', '-e', 'ip.checksum.status', '-e', '_ws.malformed'], { encoding: 'utf8' }).trim().split('\n');
    expect(t[0]).toMatch(/^Neighbor Advertisement fd00:99::2 \(sol, ovr\) is at 02:00:00:00:99:02\|1\|\|\|$/);
    expect(t[1]).toMatch(/^Echo \(ping\) reply .*\|1\|\|\|$/);
    expect(t[2]).toMatch(/^Echo \(ping\) reply .*\|\|1\|1\|$/);
    expect(t[3]).toMatch(/^10\.99\.0\.2 is at 02:00:00:00:99:02\|/);
    expect(host.stats).toMatchObject({ arpReplies: 2, neighborAdvertisements: 1, echoReplies: 2, echo6Replies: 1 });
  });
});

describe('LearningSwitch', () => {
  it('floods unknown destinations, learns sources, then forwards to one port', () => {
    const got: Record<string, number> = { a: 0, b: 0, c: 0 };
    const sw = new LearningSwitch();
    for (const n of ['a', 'b', 'c']) sw.attach({ name: n, deliver: () => void got[n]!++ } as Attachment);
    const f = (dst: string, src: string) => fromHex(dst + src + '0800' + '00'.repeat(46));
    sw.receive('a', f('02000000000b', '02000000000a'));
    expect(got).toEqual({ a: 0, b: 1, c: 1 });
    sw.receive('b', f('02000000000a', '02000000000b'));
    expect(got).toEqual({ a: 1, b: 1, c: 1 });
    sw.receive('a', f('02000000000b', '02000000000a'));
    expect(got).toEqual({ a: 1, b: 2, c: 1 });
    sw.receive('a', f('ffffffffffff', '02000000000a'));
    expect(got).toEqual({ a: 1, b: 3, c: 2 });
    expect(sw.stats).toMatchObject({ forwarded: 2, flooded: 2, learned: 2 });
  });
});
