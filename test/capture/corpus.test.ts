/**
 * Every capture of the shared corpus reads completely and agrees with two independent readers:
 * tshark (the `NAME.tshark.json` oracle: frame count, cap_len, frame_len) and libpcap (tcpdump's
 * per-frame timestamps at nanosecond precision).
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { CaptureParser, LINKTYPE_ETHERNET, linkLayerInfo, readCapture } from '../../src/capture/index.js';
import { CAPTURES, corpusFiles, oracle, readAll, readBytes, tcpdumpTimes } from './util.js';

const files = corpusFiles();

describe('shared capture corpus', () => {
  it('has pcap and pcapng files to read', () => {
    expect(files.length).toBeGreaterThanOrEqual(40);
    expect(files.some((f) => f.endsWith('.pcapng'))).toBe(true);
  });

  it.each(files)('%s: count, caplen and origLen match tshark; timestamps match tcpdump', (file) => {
    const path = join(CAPTURES, file);
    const { records, error } = readAll(readBytes(path));
    expect(error).toBeUndefined();
    const frames = oracle(file);
    expect(records.length).toBe(frames.length);
    records.forEach((r, k) => {
      const f = frames[k]!;
      expect(r.index).toBe(f.frame);
      expect(r.caplen).toBe(f.cap_len);
      expect(r.origLen).toBe(f.frame_len);
      expect(r.data.length).toBe(r.caplen);
      expect(r.linkType).toBe(LINKTYPE_ETHERNET);
      const link = linkLayerInfo(r.linkType, r.data);
      expect(link.ok && link.value.next === 'ethernet' && link.value.payloadOffset === 0).toBe(true);
    });
    expect(records.map((r) => r.timestampNs)).toEqual(tcpdumpTimes(path));
  });

  it('masks the FCS bits of the link-type field (tcpdump gre-heapoverflow-1: 0x30000001)', () => {
    const p = new CaptureParser();
    p.push(readBytes(join(CAPTURES, 'tcpdump-gre-heapoverflow-1.pcap')));
    p.end();
    const items = [...p];
    expect(p.pcapHeader?.linkTypeField).toBe(0x30000001);
    expect(p.pcapHeader?.linkType).toBe(LINKTYPE_ETHERNET);
    expect(p.pcapHeader?.fcsLength).toBeUndefined(); // P bit (0x04000000) clear: FCS length unknown
    expect(items.every((i) => 'data' in i && i.linkType === 1)).toBe(true);
  });

  it('records of the pcapng corpus file come from an EPB with its interface and section', () => {
    const p = new CaptureParser();
    p.push(readBytes(join(CAPTURES, 'zeek-geneve-truncated.pcapng')));
    p.end();
    const items = [...p];
    expect(items).toHaveLength(1);
    expect(p.format).toBe('pcapng');
    expect(p.sections).toBe(1);
    expect(p.interfaces).toHaveLength(1);
    expect(p.interfaces[0]?.snaplen).toBe(65535);
    expect(p.done).toBe(true);
    const r = items[0]!;
    expect('source' in r && r.source).toBe('epb');
    expect('fileOffset' in r && r.fileOffset).toBe(88 + 20); // after the 88-byte SHB and the 20-byte IDB
  });

  it('readCapture over the whole corpus yields no error item', () => {
    for (const f of files) {
      for (const item of readCapture(readBytes(join(CAPTURES, f)))) expect('error' in item).toBe(false);
    }
  });
});
