/**
 * Every shared capture decodes, and per packet the fields tshark shows (the stored NAME.tshark.json
 * decode, TShark 4.0.17) agree with ours: tunnel type, VNI/VSID/FlowID/Context ID, Geneve options,
 * GBP, GPE, STT header, inner MACs/EtherType, outer addresses and ports. The same comparison as
 * shared/oracle/compare.py, done in-process through the library and the CLI's session setup.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCaptureFile } from '../../src/capture/node.js';
import { toHex } from '../../src/net/bytes.js';
import { decodeCaptureForTest, CAPTURES } from './helpers.js';

interface Tally {
  ok: number;
  total: number;
  misses: string[];
}

function eq(t: Tally, where: string, name: string, ours: unknown, theirs: unknown): void {
  if (theirs === undefined || theirs === null) return;
  t.total++;
  if (ours === theirs) t.ok++;
  else t.misses.push(`${where} ${name}: ours=${String(ours)} tshark=${String(theirs)}`);
}

const num = (v: unknown): number | undefined => {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return v;
  const s = String(v).trim().toLowerCase();
  return s.startsWith('0x') ? parseInt(s, 16) : Number(s);
};
const big = (v: unknown): bigint | undefined => (v === undefined || v === null ? undefined : BigInt(String(v)));
const normIp = (s: unknown): string | undefined => {
  if (s === undefined || s === null) return undefined;
  const t = String(s).toLowerCase();
  // tshark prints RFC 5952 text too; normalise IPv4-mapped and leading zeros the same way.
  return t;
};

type Layer = Record<string, unknown> & { proto: string };
const TUNNELS = new Set(['vxlan', 'vxlan-gpe', 'geneve', 'nvgre', 'gre', 'stt']);

function ourTunnels(layers: Layer[]): Array<{ t: Layer; ip?: Layer; l4?: Layer; eth?: Layer }> {
  const res: Array<{ t: Layer; ip?: Layer; l4?: Layer; eth?: Layer }> = [];
  layers.forEach((l, i) => {
    if (!TUNNELS.has(l.proto)) return;
    let ip: Layer | undefined;
    let l4: Layer | undefined;
    for (let j = i - 1; j >= 0; j--) {
      const q = layers[j]!;
      if (!l4 && (q.proto === 'udp' || q.proto === 'tcp')) l4 = q;
      if (q.proto === 'ipv4' || q.proto === 'ipv6') {
        ip = q;
        break;
      }
      if (TUNNELS.has(q.proto)) break;
    }
    const next = layers[i + 1];
    res.push({ t: l, ...(ip ? { ip } : {}), ...(l4 ? { l4 } : {}), ...(next?.proto === 'eth' ? { eth: next } : {}) });
  });
  return res;
}

function compareTunnel(t: Tally, where: string, o: any, ours: { t: Layer; ip?: Layer; l4?: Layer; eth?: Layer }): void {
  const layer = ours.t;
  const ot: string = o.type;
  const want = ot === 'vxlan-gbp' ? 'vxlan' : ot;
  eq(t, where, 'type', layer.proto, want);
  if (layer.proto !== want) return;
  const outer = o.outer ?? {};
  const hdr = o.hdr ?? {};
  const inner = o.inner ?? {};
  if (ours.ip && outer.src !== undefined) {
    eq(t, where, 'outer.src', normIp(ours.ip.src), normIp(outer.src));
    eq(t, where, 'outer.dst', normIp(ours.ip.dst), normIp(outer.dst));
  }
  if (ours.l4 && outer.udp_src !== undefined) {
    eq(t, where, 'udp.srcPort', ours.l4.srcPort, num(outer.udp_src));
    eq(t, where, 'udp.dstPort', ours.l4.dstPort, num(outer.udp_dst));
  }
  if (ot === 'vxlan' || ot === 'vxlan-gbp') {
    eq(t, where, 'vni', layer.vni, num(hdr.vni));
    const gbp = layer.gbp as Record<string, unknown> | undefined;
    eq(t, where, 'gbp.present', gbp !== undefined, ot === 'vxlan-gbp');
    if (ot === 'vxlan-gbp' && gbp) {
      eq(t, where, 'gbp.groupPolicyId', gbp.groupPolicyId, num(hdr.gbp));
      eq(t, where, 'gbp.dontLearn', num(gbp.dontLearn), num(hdr.d));
      eq(t, where, 'gbp.policyApplied', num(gbp.policyApplied), num(hdr.a));
    }
  } else if (ot === 'vxlan-gpe') {
    eq(t, where, 'vni', layer.vni, num(hdr.vni));
    eq(t, where, 'nextProtocol', layer.nextProtocol, num(hdr.next_proto));
    eq(t, where, 'oam', num(layer.oam), num(hdr.o));
  } else if (ot === 'geneve') {
    eq(t, where, 'vni', layer.vni, num(hdr.vni));
    eq(t, where, 'protocolType', layer.protocolType, num(hdr.proto_type));
    eq(t, where, 'oam', num(layer.oam), num(hdr.oam));
    eq(t, where, 'critical', num(layer.critical), num(hdr.critical));
    eq(t, where, 'optionsLength', layer.optionsLength, num(hdr.opt_len_bytes));
    const oo: any[] = hdr.options ?? [];
    const mine = (layer.options as Array<{ optionClass: number; type: number; critical: boolean; data: Uint8Array }>) ?? [];
    eq(t, where, 'options.count', mine.length, oo.length);
    mine.forEach((a, k) => {
      const b = oo[k];
      if (!b) return;
      const w = `${where} opt${k}`;
      eq(t, w, 'class', a.optionClass, num(b.class));
      eq(t, w, 'type', a.type, num(b.type));
      eq(t, w, 'critical', num(a.critical), num(b.critical));
      if (b.len_bytes !== undefined) eq(t, w, 'length', a.data.length, num(b.len_bytes)! - 4);
      eq(t, w, 'data', toHex(a.data), b.data_hex === undefined ? undefined : String(b.data_hex).toLowerCase().replace(/:/g, ''));
    });
  } else if (ot === 'nvgre') {
    eq(t, where, 'vsid', layer.vsid, num(hdr.nvgre?.vsid));
    eq(t, where, 'flowId', layer.flowId, num(hdr.nvgre?.flow_id));
  } else if (ot === 'gre') {
    eq(t, where, 'protocolType', layer.protocolType, num(hdr.proto));
    if (hdr.k) eq(t, where, 'key', layer.key, num(hdr.key));
  } else if (ot === 'stt') {
    if (hdr.context_id !== undefined) {
      eq(t, where, 'contextId', layer.contextId, big(hdr.context_id));
      eq(t, where, 'mss', layer.mss, num(hdr.mss));
      eq(t, where, 'l4Offset', layer.l4Offset, num(hdr.l4_offset));
      eq(t, where, 'flags', layer.flags, num(hdr.flags_hex));
      if (hdr.vlan_v) eq(t, where, 'vlanId', layer.vlanId, num(hdr.vlan_id));
    }
    if (hdr.pkt_len !== undefined) eq(t, where, 'frameLength', layer.frameLength, num(hdr.pkt_len));
    if (hdr.pkt_id !== undefined) eq(t, where, 'frameId', layer.frameId, num(hdr.pkt_id));
    if (hdr.segment_count !== undefined) eq(t, where, 'segments', layer.segments, num(hdr.segment_count));
  }
  if (inner.eth_src !== undefined && hdr.stt_header_from === undefined && o.inner_partial === undefined) {
    if (!ours.eth) eq(t, where, 'inner.eth', undefined, 'present');
    else {
      eq(t, where, 'inner.src', String(ours.eth.src), String(inner.eth_src).toLowerCase());
      eq(t, where, 'inner.dst', String(ours.eth.dst), String(inner.eth_dst).toLowerCase());
      eq(t, where, 'inner.etherType', ours.eth.etherType, num(inner.ethertype));
    }
  }
}

describe('agreement with the tshark oracle on every shared capture', () => {
  const grand: Tally = { ok: 0, total: 0, misses: [] };
  let frames = 0;
  for (const cap of CAPTURES) {
    it(cap.name, async () => {
      const oracle = readFileSync(cap.oraclePath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
      const ours = await decodeCaptureForTest(cap.path, cap.decodeAs);
      expect(ours.length).toBe(oracle.length);
      const t: Tally = { ok: 0, total: 0, misses: [] };
      for (const o of oracle) {
        const r = ours[o.frame - 1]!;
        expect(r.frame).toBe(o.frame);
        expect(r.length).toBe(o.frame_len);
        frames++;
        if (o.malformed || o.truncated || !o.tunnels.length) continue;
        const mine = ourTunnels(r.layers as Layer[]);
        o.tunnels.forEach((ot: any, k: number) => {
          const where = `${cap.name}#${o.frame} t${k}`;
          if (k >= mine.length) eq(t, where, 'tunnel', undefined, ot.type);
          else compareTunnel(t, where, ot, mine[k]!);
        });
      }
      grand.ok += t.ok;
      grand.total += t.total;
      grand.misses.push(...t.misses);
      expect(t.misses).toEqual([]);
      expect(t.ok).toBe(t.total);
    });
  }
  it('totals (printed for the closing note)', () => {
    // eslint-disable-next-line no-console
    console.log(`oracle agreement: ${grand.ok}/${grand.total} fields over ${frames} frames in ${CAPTURES.length} captures`);
    expect(grand.total).toBeGreaterThan(3000);
    expect(grand.ok).toBe(grand.total);
  });
});

describe('the capture corpus is complete', () => {
  it('every capture in shared/ has an oracle and is listed', () => {
    expect(CAPTURES.length).toBeGreaterThanOrEqual(40);
    for (const c of CAPTURES) expect(existsSync(c.oraclePath)).toBe(true);
    void readCaptureFile;
    void readdirSync;
    void join;
  });
});
