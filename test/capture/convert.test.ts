/**
 * Conversions made at test time by independent tools (editcap, mergecap, a Python struct rewrite)
 * read back with the same data and timestamps as the original; tshark / tcpdump confirm the
 * converted files themselves.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureParser, LINKTYPE_ETHERNET, LINKTYPE_RAW, linkLayerInfo } from '../../src/capture/index.js';
import { CAPTURES, concat, readAll, readBytes, tcpdumpTimes, tempDir, tool, tsharkFrames, type Rec } from './util.js';

/** Rewrite a little-endian pcap as big-endian (header and record headers; packet bytes unchanged). */
const PY_SWAP = `
import struct, sys
src, dst = sys.argv[1], sys.argv[2]
d = open(src, 'rb').read()
assert struct.unpack('<I', d[:4])[0] in (0xa1b2c3d4, 0xa1b23c4d)
out = [struct.pack('>IHHiIII', *struct.unpack('<IHHiIII', d[:24]))]
p = 24
while p < len(d):
    ts, tf, cl, ol = struct.unpack('<IIII', d[p:p + 16])
    out.append(struct.pack('>IIII', ts, tf, cl, ol))
    out.append(d[p + 16:p + 16 + cl])
    p += 16 + cl
open(dst, 'wb').write(b''.join(out))
`;

const SOURCES = ['zeek-vxlan.pcap', 'kernel-vxlan-ipv6.pcap', 'scapy-geneve-l3.pcap', 'kernel-vxlan-ipv4-snap96.pcap'];

let dir = '';
let cleanup = (): void => {};
beforeAll(() => {
  ({ dir, cleanup } = tempDir());
});
afterAll(() => cleanup());

const same = (a: Rec[], b: Rec[]): void => {
  expect(a.length).toBe(b.length);
  a.forEach((r, k) => {
    const o = b[k]!;
    expect({ ts: r.timestampNs, caplen: r.caplen, origLen: r.origLen, linkType: r.linkType }).toEqual({
      ts: o.timestampNs,
      caplen: o.caplen,
      origLen: o.origLen,
      linkType: o.linkType,
    });
    expect(r.data).toEqual(o.data);
  });
};

describe.each(SOURCES)('conversions of %s', (name) => {
  const src = join(CAPTURES, name);
  const original = (): Rec[] => readAll(readBytes(src)).records;

  it('editcap -F pcapng: same records, from EPBs', () => {
    const out = join(dir, `${name}.pcapng`);
    tool('editcap', ['-F', 'pcapng', src, out]);
    const { records, error } = readAll(readBytes(out));
    expect(error).toBeUndefined();
    same(records, original());
    expect(records.every((r) => r.source === 'epb' && r.interfaceId === 0)).toBe(true);
  });

  it('editcap -F nsecpcap: nanosecond magic, same records', () => {
    const out = join(dir, `${name}.ns.pcap`);
    tool('editcap', ['-F', 'nsecpcap', src, out]);
    const bytes = readBytes(out);
    expect(Array.from(bytes.subarray(0, 4))).toEqual([0x4d, 0x3c, 0xb2, 0xa1]);
    const p = new CaptureParser();
    p.push(bytes);
    p.end();
    const recs = [...p].map((i) => ('data' in i ? { ...i, data: i.data.slice() } : i));
    expect(p.pcapHeader?.nanosecond).toBe(true);
    same(recs as Rec[], original());
  });

  it('big-endian rewrite (python struct), µs and ns: same records; tcpdump agrees on the times', () => {
    const be = join(dir, `${name}.be.pcap`);
    tool('/usr/bin/python3', ['-c', PY_SWAP, src, be]);
    const bytes = readBytes(be);
    expect(Array.from(bytes.subarray(0, 4))).toEqual([0xa1, 0xb2, 0xc3, 0xd4]);
    const { records, error } = readAll(bytes);
    expect(error).toBeUndefined();
    same(records, original());
    expect(records.map((r) => r.timestampNs)).toEqual(tcpdumpTimes(be));

    const ns = join(dir, `${name}.ns2.pcap`);
    const nsBe = join(dir, `${name}.ns.be.pcap`);
    tool('editcap', ['-F', 'nsecpcap', src, ns]);
    tool('/usr/bin/python3', ['-c', PY_SWAP, ns, nsBe]);
    expect(Array.from(readBytes(nsBe).subarray(0, 4))).toEqual([0xa1, 0xb2, 0x3c, 0x4d]);
    same(readAll(readBytes(nsBe)).records, original());
  });

  it('editcap -s 60 (snaplen): caplen cut, origLen kept', () => {
    const out = join(dir, `${name}.s60.pcap`);
    tool('editcap', ['-F', 'pcap', '-s', '60', src, out]);
    const { records, error } = readAll(readBytes(out));
    expect(error).toBeUndefined();
    const orig = original();
    records.forEach((r, k) => {
      const o = orig[k]!;
      expect(r.caplen).toBe(Math.min(60, o.caplen));
      expect(r.origLen).toBe(o.origLen);
      expect(r.data).toEqual(o.data.subarray(0, 60));
    });
  });
});

describe('multi-interface and multi-section pcapng', () => {
  it('mergecap of an Ethernet pcap and a raw-IP pcap: two IDBs with different link types', async () => {
    const eth = join(CAPTURES, 'zeek-vxlan.pcap');
    const l3src = join(CAPTURES, 'scapy-geneve-l3.pcap');
    const raw = join(dir, 'raw.pcap');
    const merged = join(dir, 'merged.pcapng');
    tool('editcap', ['-F', 'pcap', '-C', '14', '-T', 'rawip', l3src, raw]);
    tool('mergecap', ['-F', 'pcapng', '-w', merged, eth, raw]);
    const p = new CaptureParser();
    p.push(readBytes(merged));
    p.end();
    const recs = [...p].map((i) => ('data' in i ? { ...i, data: i.data.slice() } : i)) as Rec[];
    expect(p.interfaces.map((i) => i.linkType)).toEqual([LINKTYPE_ETHERNET, LINKTYPE_RAW]);
    const ethRecs = recs.filter((r) => r.interfaceId === 0);
    const rawRecs = recs.filter((r) => r.interfaceId === 1);
    same(ethRecs, readAll(readBytes(eth)).records);
    const l3 = readAll(readBytes(l3src)).records;
    expect(rawRecs.length).toBe(l3.length);
    rawRecs.forEach((r, k) => {
      expect(r.linkType).toBe(LINKTYPE_RAW);
      expect(r.timestampNs).toBe(l3[k]!.timestampNs);
      expect(r.data).toEqual(l3[k]!.data.subarray(14));
      const origEtherType = (l3[k]!.data[12]! << 8) | l3[k]!.data[13]!; // the Ethernet type the chop removed
      expect(linkLayerInfo(r.linkType, r.data)).toEqual({ ok: true, value: { kind: 'ip', next: 'ethertype', payloadOffset: 0, etherType: origEtherType } });
    });
    const ts = await tsharkFrames(merged);
    expect(recs.map((r) => [r.timestampNs, r.caplen, r.origLen, r.interfaceId])).toEqual(ts.map((f) => [f.ns, f.capLen, f.len, f.iface]));
  });

  it('two concatenated pcapng files are two sections; interface ids restart per section', () => {
    const a = join(dir, 'a.pcapng');
    const b = join(dir, 'b.pcapng');
    tool('editcap', ['-F', 'pcapng', join(CAPTURES, 'zeek-vxlan.pcap'), a]);
    tool('editcap', ['-F', 'pcapng', join(CAPTURES, 'zeek-geneve-ipv6.pcap'), b]);
    const both = join(dir, 'ab.pcapng');
    writeFileSync(both, concat([readBytes(a), readBytes(b)]));
    const p = new CaptureParser();
    p.push(readBytes(both));
    p.end();
    const recs = [...p] as Rec[];
    expect(p.sections).toBe(2);
    expect(p.done).toBe(true);
    expect(recs.map((r) => r.index)).toEqual(Array.from({ length: 12 }, (_, k) => k + 1));
    expect(recs.every((r) => r.interfaceId === 0)).toBe(true);
    expect(Number(tool('capinfos', ['-c', '-M', '-T', '-r', both]).trim().split('\t')[1])).toBe(12);
  });
});
