/**
 * linkLayerInfo over every link type it knows. SLL and SLL2 files are built from corpus Ethernet
 * frames (the cooked header replaces the 14-byte Ethernet header, as libpcap's Linux capture does),
 * written with our PcapWriter, and checked against tshark's decode of the same files.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LINKTYPE_ETHERNET,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_LOOP,
  LINKTYPE_NULL,
  LINKTYPE_RAW,
  linkLayerInfo,
  linkTypeName,
  writePcap,
} from '../../src/capture/index.js';
import { CAPTURES, concat, readAll, readBytes, tempDir, toolAsync, type Rec } from './util.js';

let dir = '';
let cleanup = (): void => {};
beforeAll(() => {
  ({ dir, cleanup } = tempDir());
});
afterAll(() => cleanup());

/** Ethernet frames with IPv4 and IPv6 outer headers (the corpus has no outer ARP). */
function sourceFrames(): Rec[] {
  return ['kernel-vxlan-ipv4.pcap', 'kernel-vxlan-ipv6.pcap', 'ovs-vxlan-gpe.pcap'].flatMap((f) => readAll(readBytes(join(CAPTURES, f))).records.slice(0, 6));
}

const etherTypeOf = (frame: Uint8Array): number => (frame[12]! << 8) | frame[13]!;

/** SLL v1: packet type, ARPHRD_ETHER, address length 6, source MAC padded to 8, protocol. */
function sll(frame: Uint8Array, k: number): Uint8Array {
  const h = new Uint8Array(16);
  h[1] = k % 2 === 0 ? 0 : 4; // to us / sent by us
  h[3] = 1; // ARPHRD_ETHER
  h[5] = 6;
  h.set(frame.subarray(6, 12), 6);
  h[14] = frame[12]!;
  h[15] = frame[13]!;
  return concat([h, frame.subarray(14)]);
}

/** SLL v2: protocol, reserved, interface index, ARPHRD_ETHER, packet type, address length 6, address. */
function sll2(frame: Uint8Array, k: number): Uint8Array {
  const h = new Uint8Array(20);
  h[0] = frame[12]!;
  h[1] = frame[13]!;
  h[7] = 3 + (k % 3); // ifindex
  h[9] = 1; // ARPHRD_ETHER
  h[10] = k % 2 === 0 ? 0 : 4;
  h[11] = 6;
  h.set(frame.subarray(6, 12), 12);
  return concat([h, frame.subarray(14)]);
}

describe('Linux cooked captures (SLL, SLL2) written, read and checked against tshark', () => {
  it('SLL and SLL2 point at the L3 header with the EtherType of the frame they replace', async () => {
    const frames = sourceFrames();
    expect(new Set(frames.map((r) => etherTypeOf(r.data)))).toEqual(new Set([0x0800, 0x86dd]));
    const mk = (lt: number, f: (b: Uint8Array, k: number) => Uint8Array) =>
      writePcap(
        frames.map((r, k) => ({ timestampNs: r.timestampNs, data: f(r.data, k) })),
        lt,
      );
    const files = { [LINKTYPE_LINUX_SLL]: mk(LINKTYPE_LINUX_SLL, sll), [LINKTYPE_LINUX_SLL2]: mk(LINKTYPE_LINUX_SLL2, sll2) };
    for (const [lt, bytes] of Object.entries(files)) {
      const linkType = Number(lt);
      const hdrLen = linkType === LINKTYPE_LINUX_SLL ? 16 : 20;
      const { records, error } = readAll(bytes);
      expect(error).toBeUndefined();
      expect(records.length).toBe(frames.length);
      records.forEach((r, k) => {
        const src = frames[k]!.data;
        expect(r.linkType).toBe(linkType);
        const info = linkLayerInfo(r.linkType, r.data);
        expect(info.ok).toBe(true);
        if (!info.ok) return;
        expect(info.value).toMatchObject({ kind: linkType === LINKTYPE_LINUX_SLL ? 'sll' : 'sll2', next: 'ethertype', payloadOffset: hdrLen, etherType: etherTypeOf(src), arphrdType: 1, packetType: k % 2 === 0 ? 0 : 4 });
        if (linkType === LINKTYPE_LINUX_SLL2) expect(info.value.interfaceIndex).toBe(3 + (k % 3));
        expect(r.data.subarray(info.value.payloadOffset)).toEqual(src.subarray(14));
      });
    }
    const f1 = join(dir, 'sll.pcap');
    const f2 = join(dir, 'sll2.pcap');
    writeFileSync(f1, files[LINKTYPE_LINUX_SLL]);
    writeFileSync(f2, files[LINKTYPE_LINUX_SLL2]);
    const fields = ['-e', 'sll.etype', '-e', 'sll.pkttype', '-e', 'ip.src', '-e', 'ipv6.src', '-e', 'arp.src.proto_ipv4'];
    const l3Fields = (out: string) => out.split('\n').filter((l) => l !== '').map((l) => l.split('\t').slice(2).join('\t'));
    const [o1, o2, orig] = await Promise.all(
      [f1, f2, null].map((f) =>
        f === null
          ? Promise.all(['kernel-vxlan-ipv4.pcap', 'kernel-vxlan-ipv6.pcap', 'ovs-vxlan-gpe.pcap'].map((n) => toolAsync('tshark', ['-r', join(CAPTURES, n), '-c', '6', '-T', 'fields', ...fields]))).then((o) => o.join(''))
          : toolAsync('tshark', ['-r', f, '-T', 'fields', ...fields]),
      ),
    );
    for (const out of [o1!, o2!]) {
      const rows = out.trim().split('\n').map((l) => l.split('\t'));
      expect(rows.map((r) => Number(r[0]))).toEqual(frames.map((r) => etherTypeOf(r.data)));
      expect(rows.map((r) => Number(r[1]))).toEqual(frames.map((_, k) => (k % 2 === 0 ? 0 : 4)));
      expect(l3Fields(out)).toEqual(l3Fields(orig!)); // same inner addresses as the Ethernet originals
    }
  });

  it('SLL protocol 0x0003: a whole Ethernet frame follows the cooked header', () => {
    const frame = sourceFrames()[0]!.data;
    const h = new Uint8Array(16);
    h[3] = 1;
    h[15] = 3;
    expect(linkLayerInfo(LINKTYPE_LINUX_SLL, concat([h, frame]))).toEqual({
      ok: true,
      value: { kind: 'sll', next: 'ethernet', payloadOffset: 16, etherType: 0x0800, protocol: 3, packetType: 0, arphrdType: 1 },
    });
    const h2 = new Uint8Array(20);
    h2[1] = 3;
    h2[9] = 1;
    expect(linkLayerInfo(LINKTYPE_LINUX_SLL2, concat([h2, frame]))).toMatchObject({ ok: true, value: { kind: 'sll2', next: 'ethernet', payloadOffset: 20, etherType: 0x0800 } });
    // Too short for the Ethernet header that must follow.
    expect(linkLayerInfo(LINKTYPE_LINUX_SLL, concat([h, frame.subarray(0, 10)]))).toEqual({
      ok: false,
      error: { kind: 'truncated', layer: 'sll', at: 16, field: 'ethernet', found: 10, allowed: '>= 14 bytes' },
    });
  });

  it('SLL special protocols and device types', () => {
    const h = (proto: number, hatype: number) => Uint8Array.of(0, 0, hatype >> 8, hatype & 0xff, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, proto >> 8, proto & 0xff, 0xaa, 0xaa);
    expect(linkLayerInfo(LINKTYPE_LINUX_SLL, h(0x0004, 1))).toMatchObject({ ok: true, value: { next: 'llc', payloadOffset: 16 } });
    expect(linkLayerInfo(LINKTYPE_LINUX_SLL, h(0x0001, 1))).toMatchObject({ ok: true, value: { next: 'other', protocol: 1 } });
    expect(linkLayerInfo(LINKTYPE_LINUX_SLL, h(0x0800, 824))).toMatchObject({ ok: true, value: { next: 'other', arphrdType: 824 } }); // Netlink
    expect(linkLayerInfo(LINKTYPE_LINUX_SLL, h(0x86dd, 772))).toMatchObject({ ok: true, value: { next: 'ethertype', etherType: 0x86dd, arphrdType: 772 } }); // loopback
    expect(linkLayerInfo(LINKTYPE_LINUX_SLL, h(0x8100, 1))).toMatchObject({ ok: true, value: { next: 'ethertype', etherType: 0x8100 } }); // VLAN tag follows
    expect(linkLayerInfo(LINKTYPE_LINUX_SLL, new Uint8Array(15))).toEqual({ ok: false, error: { kind: 'truncated', layer: 'sll', at: 0, field: 'header', found: 15, allowed: '>= 16 bytes' } });
    expect(linkLayerInfo(LINKTYPE_LINUX_SLL2, new Uint8Array(19))).toMatchObject({ ok: false, error: { kind: 'truncated', layer: 'sll', found: 19, allowed: '>= 20 bytes' } });
  });
});

describe('other link types', () => {
  const ip4 = Uint8Array.of(0x45, 0, 0, 20);
  const ip6 = Uint8Array.of(0x60, 0, 0, 0);

  it('Ethernet: the header starts at the offset; its type field is reported', () => {
    const f = new Uint8Array(20);
    f[12] = 0x81;
    expect(linkLayerInfo(LINKTYPE_ETHERNET, concat([new Uint8Array(3), f]), 3)).toEqual({ ok: true, value: { kind: 'ethernet', next: 'ethernet', payloadOffset: 3, etherType: 0x8100 } });
    expect(linkLayerInfo(LINKTYPE_ETHERNET, new Uint8Array(13))).toMatchObject({ ok: false, error: { kind: 'truncated', layer: 'link' } });
  });

  it('NULL: family in either host byte order; LOOP: network order', () => {
    const le = (v: number) => Uint8Array.of(v & 0xff, (v >> 8) & 0xff, 0, 0);
    const be = (v: number) => Uint8Array.of(0, 0, (v >> 8) & 0xff, v & 0xff);
    for (const fam of [24, 28, 30]) {
      for (const enc of [le, be]) {
        expect(linkLayerInfo(LINKTYPE_NULL, concat([enc(fam), ip6]))).toEqual({ ok: true, value: { kind: 'null', next: 'ethertype', payloadOffset: 4, etherType: 0x86dd, protocol: fam } });
      }
      expect(linkLayerInfo(LINKTYPE_LOOP, concat([be(fam), ip6]))).toMatchObject({ ok: true, value: { kind: 'loop', etherType: 0x86dd } });
    }
    expect(linkLayerInfo(LINKTYPE_NULL, concat([le(2), ip4]))).toMatchObject({ ok: true, value: { etherType: 0x0800, payloadOffset: 4 } });
    expect(linkLayerInfo(LINKTYPE_NULL, concat([be(2), ip4]))).toMatchObject({ ok: true, value: { etherType: 0x0800 } });
    expect(linkLayerInfo(LINKTYPE_LOOP, concat([be(2), ip4]))).toMatchObject({ ok: true, value: { kind: 'loop', etherType: 0x0800 } });
    expect(linkLayerInfo(LINKTYPE_NULL, concat([le(7), ip4]))).toEqual({ ok: true, value: { kind: 'null', next: 'other', payloadOffset: 4, protocol: 7 } });
    expect(linkLayerInfo(LINKTYPE_LOOP, Uint8Array.of(0, 0, 2))).toMatchObject({ ok: false, error: { kind: 'truncated', layer: 'link', found: 3 } });
  });

  it('RAW by version nibble; IPV4 and IPV6 by link type', () => {
    expect(linkLayerInfo(LINKTYPE_RAW, ip4)).toEqual({ ok: true, value: { kind: 'ip', next: 'ethertype', payloadOffset: 0, etherType: 0x0800 } });
    expect(linkLayerInfo(LINKTYPE_RAW, ip6)).toMatchObject({ ok: true, value: { etherType: 0x86dd } });
    expect(linkLayerInfo(LINKTYPE_RAW, Uint8Array.of(0x55))).toEqual({ ok: false, error: { kind: 'bad-version', layer: 'link', at: 0, field: 'ip-version', found: 5, allowed: '4 or 6' } });
    expect(linkLayerInfo(LINKTYPE_RAW, new Uint8Array(0))).toMatchObject({ ok: false, error: { kind: 'truncated' } });
    expect(linkLayerInfo(LINKTYPE_IPV4, ip4)).toMatchObject({ ok: true, value: { etherType: 0x0800, payloadOffset: 0 } });
    expect(linkLayerInfo(LINKTYPE_IPV6, ip6)).toMatchObject({ ok: true, value: { etherType: 0x86dd, payloadOffset: 0 } });
  });

  it('unknown link types are unsupported, not guessed', () => {
    expect(linkLayerInfo(105, ip4)).toMatchObject({ ok: false, error: { kind: 'unsupported', layer: 'link', field: 'linktype', found: 105 } });
    expect(linkTypeName(LINKTYPE_LINUX_SLL2)).toBe('LINUX_SLL2');
    expect(linkTypeName(147)).toBe('147');
  });
});
