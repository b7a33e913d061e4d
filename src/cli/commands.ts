/**
 * The CLI's commands over the library: stream a capture, walk each packet, print or write.
 * Memory stays bounded: records are streamed, reassembly buffers are capped, the summary keeps one
 * row per tunnel.
 */
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { OptionRegistry, type RegistryFile } from '../tlv/registry.js';
import * as tlv from '../tlv/index.js';
import { formatWireError, type WireError } from '../net/errors.js';
import { EtherType } from '../net/ethernet.js';
import { linkLayerInfo, LINKTYPE_ETHERNET, LINKTYPE_RAW } from '../capture/linktype.js';
import { CaptureFileCursor, readCaptureFile, PcapFileWriter } from '../capture/node.js';
import { TUNNEL_NAMES, TUNNEL_STT } from '../walk/fast.js';
import { formatIpv4, formatIpv6 } from '../net/bytes.js';
import { SttReassembler } from '../stt/reassembly.js';
import { IpReassembler } from '../walk/ipfrag.js';
import { packetJson, packetLine, packetWarnings } from '../walk/format.js';
import { ByteSink, FastLine, fnv1a } from './fastline.js';
import { writeStdout } from './stdout.js';
import { CliError, mustBeReadable, optionClassText, optionCountName, portMaps, summaryIdText, summaryRowKey, usageExit, type CommonOptions } from './common.js';

export { CliError, type CommonOptions } from './common.js';
import type { DecodedLayer } from '../walk/layers.js';
import { walkPacket, type LinkStart, type PacketDecode, type TcpTunnelKind, type UdpTunnelKind, type WalkOptions } from '../walk/walker.js';


/**
 * The option registry for a run: the built-ins plus `--registry FILE`. A `.json` file holds a
 * {@link RegistryFile}; a JS module's default export is a RegistryFile, an array of option codecs, or a
 * function `(registry, tlv) => void` that registers what it likes (`tlv` is `tunnelwire/tlv`).
 */
export async function loadRegistry(file: string | undefined): Promise<OptionRegistry> {
  const reg = OptionRegistry.withBuiltins();
  if (!file) return reg;
  const path = resolve(file);
  try {
    if (/\.json$/i.test(path)) {
      reg.load(JSON.parse(readFileSync(path, 'utf8')) as RegistryFile);
      return reg;
    }
    const mod = (await import(pathToFileURL(path).href)) as { default?: unknown };
    const d = mod.default ?? mod;
    if (typeof d === 'function') await (d as (r: OptionRegistry, t: typeof tlv) => unknown)(reg, tlv);
    else if (Array.isArray(d)) for (const c of d) reg.register(c as tlv.OptionCodec);
    else reg.load(d as RegistryFile);
    return reg;
  } catch (e) {
    throw new CliError(`cannot load registry ${file}: ${(e as Error).message.split('\n')[0]}`);
  }
}


const TUNNELS = new Set(['vxlan', 'vxlan-gpe', 'geneve', 'nvgre', 'gre', 'stt']);

function tunnelId(l: DecodedLayer): bigint | undefined {
  switch (l.proto) {
    case 'vxlan':
    case 'vxlan-gpe':
    case 'geneve':
      return BigInt(l.vni);
    case 'nvgre':
      return BigInt(l.vsid);
    case 'gre':
      return l.key === undefined ? undefined : BigInt(l.key);
    case 'stt':
      return l.contextId;
    default:
      return undefined;
  }
}

/** Does a decoded packet pass `--type` / `--vni`? */
export function matches(d: PacketDecode, o: Pick<CommonOptions, 'type' | 'vni'>): boolean {
  if (o.type === undefined && o.vni === undefined) return true;
  return d.layers.some((l) => TUNNELS.has(l.proto) && (o.type === undefined || l.proto === o.type) && (o.vni === undefined || tunnelId(l) === o.vni));
}

interface Session {
  readonly walk: (data: Uint8Array, linkType: number, timeNs: bigint) => PacketDecode;
  readonly udpPorts: ReadonlyMap<number, UdpTunnelKind>;
  readonly tcpPorts: ReadonlyMap<number, TcpTunnelKind>;
  readonly ip: IpReassembler;
  readonly stt: SttReassembler;
  readonly registry: OptionRegistry;
}


function session(o: CommonOptions, registry: OptionRegistry): Session {
  const { udpPorts, tcpPorts } = portMaps(o);
  const ip = new IpReassembler();
  const stt = new SttReassembler();
  const base: WalkOptions = { udpPorts, tcpPorts, strict: o.strict, maxDepth: o.maxDepth, ipReassembler: ip, sttReassembler: stt };
  // One options object reused for every packet (only the time changes).
  const perPacket: { -readonly [K in keyof WalkOptions]: WalkOptions[K] } = { ...base, nowMs: 0 };
  const walk = (data: Uint8Array, linkType: number, timeNs: bigint): PacketDecode => {
    const nowMs = Number(timeNs / 1_000_000n);
    perPacket.nowMs = nowMs;
    if (linkType === LINKTYPE_ETHERNET) return walkPacket(data, perPacket);
    const li = linkLayerInfo(linkType, data);
    if (!li.ok) return { layers: [], errors: [li.error] };
    const info = li.value;
    const bytes = info.payloadOffset ? data.subarray(info.payloadOffset) : data;
    let link: LinkStart;
    if (info.next === 'ethernet') link = { kind: 'ethernet' };
    else if (info.next === 'ethertype' && info.etherType !== undefined) link = { kind: 'l3', etherType: info.etherType };
    else return { layers: [], errors: [{ kind: 'unsupported', layer: 'link', at: info.payloadOffset, field: 'protocol', found: info.protocol ?? -1, allowed: 'Ethernet or an EtherType' }] };
    const d = walkPacket(bytes, { ...base, nowMs, link });
    return info.payloadOffset ? shift(d, info.payloadOffset) : d;
  };
  return { walk, ip, stt, registry, udpPorts, tcpPorts };
}

/** Make offsets absolute in the record when the walk started after a link-layer header. */
function shift(d: PacketDecode, by: number): PacketDecode {
  const layers = d.layers.map((l) => (l.buffer === 'reassembled' ? l : ({ ...l, offset: l.offset + by } as DecodedLayer)));
  const errors = d.errors.map((e) => ({ ...e, at: e.at + by }));
  return { ...d, layers, errors };
}

async function* records(file: string): AsyncGenerator<{ index: number; timestampNs: bigint; caplen: number; origLen: number; linkType: number; data: Uint8Array } | { error: WireError }> {
  mustBeReadable(file);
  let first = true;
  for await (const r of readCaptureFile(file)) {
    if ('error' in r && first) throw new CliError(`${file} is not a readable capture: ${formatWireError(r.error)}`);
    first = false;
    yield r;
  }
}

async function progressBar(o: CommonOptions, file: string): Promise<{ tick: (bytes: number) => void; stop: () => void }> {
  if (!o.progress || !process.stderr.isTTY) return { tick: () => {}, stop: () => {} };
  // Loaded only for a terminal: it costs ~8 ms of start-up.
  const { SingleBar } = await import('cli-progress');
  const total = statSync(file).size;
  const bar = new SingleBar({ stream: process.stderr, format: 'decoding [{bar}] {percentage}% | {value}/{total} bytes | {packets} packets', hideCursor: true }, undefined);
  bar.start(total, 0, { packets: 0 });
  let seen = 0;
  let packets = 0;
  return {
    tick: (bytes: number) => {
      seen += bytes + 16;
      if (++packets % 4096 === 0) bar.update(Math.min(seen, total), { packets });
    },
    stop: () => {
      bar.update(total, { packets });
      bar.stop();
    },
  };
}

interface SummaryRow {
  type: string;
  id: string;
  src: string;
  dst: string;
  packets: number;
  bytes: number;
  classes: Set<string>;
}

function summaryKey(d: PacketDecode): SummaryRow | undefined {
  const L = d.layers;
  const i = L.findIndex((l) => TUNNELS.has(l.proto));
  if (i < 0) return undefined;
  const t = L[i]!;
  let ip: DecodedLayer | undefined;
  for (let k = i - 1; k >= 0; k--) {
    const l = L[k]!;
    if (l.proto === 'ipv4' || l.proto === 'ipv6') {
      ip = l;
      break;
    }
  }
  const id = tunnelId(t);
  const row: SummaryRow = {
    type: t.proto,
    id: id === undefined ? '-' : summaryIdText(t.proto, id),
    src: ip && (ip.proto === 'ipv4' || ip.proto === 'ipv6') ? ip.src : '?',
    dst: ip && (ip.proto === 'ipv4' || ip.proto === 'ipv6') ? ip.dst : '?',
    packets: 0,
    bytes: 0,
    classes: new Set(),
  };
  if (t.proto === 'geneve') for (const o of t.options) row.classes.add(optionClassText(o.optionClass));
  return row;
}

function countOptions(d: PacketDecode, reg: OptionRegistry, counts: Map<string, number>): void {
  for (const l of d.layers) {
    if (l.proto !== 'geneve') continue;
    for (const o of l.options) {
      const name = optionCountName(reg, o.optionClass, o.type);
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
  }
}

function printSummary(rows: Map<string, SummaryRow>, totals: { packets: number; tunneled: number; errors: number; warnings: number }, ip: IpReassembler, stt: SttReassembler, options: Map<string, number>): void {
  const header = ['type', 'id', 'outer src', 'outer dst', 'packets', 'bytes', 'option classes'];
  const body = [...rows.values()]
    .sort((a, b) => a.type.localeCompare(b.type) || a.id.localeCompare(b.id, undefined, { numeric: true }) || a.src.localeCompare(b.src))
    .map((r) => [r.type, r.id, r.src, r.dst, String(r.packets), String(r.bytes), [...r.classes].sort().join(',') || '-']);
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((r) => r[c]!.length)));
  const line = (cells: string[]): string => cells.map((s, c) => (c >= 4 && c <= 5 ? s.padStart(widths[c]!) : s.padEnd(widths[c]!))).join('  ').trimEnd();
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)];
  if (options.size) {
    const w = Math.max(6, ...[...options.keys()].map((k) => k.length));
    out.push('', `${'option'.padEnd(w)}  count`, `${'-'.repeat(w)}  -----`);
    for (const [k, n] of [...options.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) out.push(`${k.padEnd(w)}  ${String(n).padStart(5)}`);
    out.push('');
  }
  out.push(`${totals.packets} packets, ${totals.tunneled} in tunnels, ${totals.errors} with errors, ${totals.warnings} with warnings`);
  out.push(...incompleteReport(ip, stt));
  process.stdout.write(out.join('\n') + '\n');
}

function incompleteReport(ip: IpReassembler, stt: SttReassembler): string[] {
  const lines: string[] = [];
  const ipPending = ip.pendingDatagrams();
  const drops = Object.entries(ip.dropped).filter(([, n]) => n > 0);
  if (ipPending.length || drops.length) {
    lines.push(`ip reassembly: ${ip.completed} datagrams completed, ${ipPending.length} incomplete${drops.length ? `, dropped ${drops.map(([k, n]) => `${k} ${n}`).join(', ')}` : ''}`);
  }
  const sp = stt.pendingFrames();
  const st = stt.stats();
  const sdrops = Object.entries(st.dropped).filter(([, n]) => (n as number) > 0);
  if (sp.length || sdrops.length) {
    lines.push(`stt reassembly: ${st.completed} frames completed, ${sp.length} incomplete${sdrops.length ? `, dropped ${sdrops.map(([k, n]) => `${k} ${n}`).join(', ')}` : ''}`);
  }
  return lines;
}


/**
 * `--summary` without the walker for the packets {@link FastLine} takes (clean, common tunnel packets):
 * rows found by a hash of the tunnel type, ID and outer addresses (bytes compared on a hit), so strings
 * are made once per row, not per packet.
 */
class FastSummary {
  private readonly key = new Uint8Array(48);
  private readonly byHash = new Map<number, Array<{ key: Uint8Array; row: SummaryRow }>>();
  constructor(private readonly fl: FastLine) {}

  add(b: Uint8Array, start: number, caplen: number, origLen: number, rows: Map<string, SummaryRow>, optionCounts: Map<string, number>): boolean {
    const fl = this.fl;
    if (!fl.check(b, start, caplen, origLen)) return false;
    const t = fl.tunnel;
    const tOff = fl.tunnelOffset;
    const ip = fl.ipOffset;
    const k = this.key;
    let n = 0;
    k[n++] = t;
    const idAt = t === TUNNEL_STT ? tOff + 8 : tOff + 4;
    const idLen = t === TUNNEL_STT ? 8 : 3;
    for (let i = 0; i < idLen; i++) k[n++] = b[idAt + i]!;
    const v4 = b[ip]! >>> 4 === 4;
    const aAt = v4 ? ip + 12 : ip + 8;
    const aLen = v4 ? 8 : 32;
    for (let i = 0; i < aLen; i++) k[n++] = b[aAt + i]!;
    const h = fnv1a(k, 0, n, 0);
    let list = this.byHash.get(h);
    let row: SummaryRow | undefined;
    if (list) {
      for (const e of list) {
        if (e.key.length !== n) continue;
        let same = true;
        for (let i = 0; i < n && same; i++) same = e.key[i] === k[i];
        if (same) {
          row = e.row;
          break;
        }
      }
    } else this.byHash.set(h, (list = []));
    if (!row) {
      // The row the walker path would use (same key strings), shared with it.
      const type = TUNNEL_NAMES[t]!;
      let id = 0n;
      for (let i = 0; i < idLen; i++) id = (id << 8n) | BigInt(b[idAt + i]!);
      const idText = summaryIdText(type, id);
      const src = v4 ? formatIpv4(b, ip + 12) : formatIpv6(b, ip + 8);
      const dst = v4 ? formatIpv4(b, ip + 16) : formatIpv6(b, ip + 24);
      const key = summaryRowKey(type, idText, src, dst);
      row = rows.get(key);
      if (!row) rows.set(key, (row = { type, id: idText, src, dst, packets: 0, bytes: 0, classes: new Set() }));
      list.push({ key: k.slice(0, n), row });
    }
    row.packets++;
    row.bytes += origLen;
    const opts = fl.optEntry;
    if (opts) {
      for (const c of opts.classes) row.classes.add(c);
      for (const name of opts.names) optionCounts.set(name, (optionCounts.get(name) ?? 0) + 1);
    }
    return true;
  }
}

/** `tunnelwire decode FILE`. @returns the exit status. */
export async function runDecode(file: string, o: CommonOptions & { json: boolean; summary: boolean; walker?: boolean }): Promise<number> {
  try {
    const s = session(o, await loadRegistry(o.registry));
    const bar = await progressBar(o, file);
    const rows = new Map<string, SummaryRow>();
    const optionCounts = new Map<string, number>();
    const totals = { packets: 0, tunneled: 0, errors: 0, warnings: 0 };
    const sink = new ByteSink(writeStdout);
    // The fast path renders common clean tunnel packets straight to bytes (or into the summary); it is off when filtering.
    const fl = !o.walker && o.type === undefined && o.vni === undefined && !o.strict && o.maxDepth >= 1 ? new FastLine(s.registry, s.udpPorts, s.tcpPorts) : undefined;
    const fastSum = fl && o.summary ? new FastSummary(fl) : undefined;
    const fast = o.summary ? undefined : fl;
    mustBeReadable(file);
    const cur = new CaptureFileCursor(file);
    const p = cur.parser;
    try {
      for (;;) {
        const st = cur.next();
        if (st === 0) break;
        if (st === -1) {
          const err = p.error!;
          if (totals.packets === 0) throw new CliError(`${file} is not a readable capture: ${formatWireError(err)}`);
          const msg = `capture error: ${formatWireError(err)}`;
          if (o.json) sink.text(JSON.stringify({ captureError: { layer: err.layer, kind: err.kind, offset: err.at, message: msg } }) + '\n');
          else {
            sink.flush();
            process.stderr.write(`tunnelwire: ${msg}\n`);
          }
          totals.errors++;
          break;
        }
        bar.tick(p.recCaplen);
        totals.packets++;
        if (fast && p.recLinkType === LINKTYPE_ETHERNET) {
          const done = o.json
            ? fast.json(sink, p.recBytes, p.recStart, p.recCaplen, p.recOrigLen, p.recIndex, p.recSeconds, p.recNanos)
            : fast.text(sink, p.recBytes, p.recStart, p.recCaplen, p.recOrigLen, p.recIndex, p.recSeconds, p.recNanos);
          if (done) continue;
        }
        if (fastSum && p.recLinkType === LINKTYPE_ETHERNET && fastSum.add(p.recBytes, p.recStart, p.recCaplen, p.recOrigLen, rows, optionCounts)) {
          totals.tunneled++;
          continue;
        }
        const r = p.record();
        const d = s.walk(r.data, r.linkType, r.timestampNs);
        if (!matches(d, o)) continue;
        if (d.errors.length) totals.errors++;
        if (o.summary) {
          if (packetWarnings(d, s.registry).length) totals.warnings++;
          countOptions(d, s.registry, optionCounts);
          const row = summaryKey(d);
          if (!row) continue;
          totals.tunneled++;
          const key = summaryRowKey(row.type, row.id, row.src, row.dst);
          const have = rows.get(key);
          const target = have ?? row;
          if (!have) rows.set(key, row);
          target.packets++;
          target.bytes += r.origLen;
          for (const c of row.classes) target.classes.add(c);
          continue;
        }
        sink.text((o.json ? JSON.stringify(packetJson(r.index, r.timestampNs, r.origLen, r.caplen, d, s.registry)) : packetLine(r.index, r.timestampNs, r.origLen, d, s.registry)) + '\n');
      }
    } finally {
      cur.close();
    }
    sink.flush();
    bar.stop();
    if (o.summary) printSummary(rows, totals, s.ip, s.stt, optionCounts);
    else for (const l of incompleteReport(s.ip, s.stt)) process.stderr.write(`tunnelwire: ${l}\n`);
    return 0;
  } catch (e) {
    return usageExit(e);
  }
}


/** Link type for a decap output from the inner EtherTypes seen: Ethernet if any frame is Ethernet, else raw IP. */
function decapLinkType(kinds: Set<number>): number {
  return kinds.has(EtherType.TEB) || kinds.size === 0 ? LINKTYPE_ETHERNET : LINKTYPE_RAW;
}

/**
 * `tunnelwire decap IN -o OUT`: the innermost tunnel payload of each matching packet, timestamps kept.
 * Ethernet payloads are written as they are; L3 payloads (GPE, Geneve L3, GRE) are written raw
 * (LINKTYPE_RAW) when the capture has no Ethernet payloads, else behind a synthesized Ethernet header
 * (zero MACs, the payload's EtherType) so one file can hold both.
 */
export async function runDecap(file: string, o: CommonOptions & { output: string }): Promise<number> {
  try {
    // Pass 1: which inner kinds occur (decides the output link type).
    const kinds = new Set<number>();
    const registry = await loadRegistry(o.registry);
    {
      const s = session(o, registry);
      for await (const r of records(file)) {
        if ('error' in r) break;
        const d = s.walk(r.data, r.linkType, r.timestampNs);
        if (d.inner && matches(d, o) && (d.inner.etherType === EtherType.TEB || d.inner.etherType === EtherType.IPV4 || d.inner.etherType === EtherType.IPV6 || d.inner.etherType === EtherType.ARP)) {
          kinds.add(d.inner.etherType);
        }
      }
    }
    const linkType = decapLinkType(kinds);
    const s = session(o, registry);
    let w: PcapFileWriter;
    try {
      w = await PcapFileWriter.open(o.output, { linkType, nanosecond: true });
    } catch (e) {
      throw new CliError(`cannot write ${o.output}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    let written = 0;
    let packets = 0;
    const bar = await progressBar(o, file);
    for await (const r of records(file)) {
      if ('error' in r) {
        process.stderr.write(`tunnelwire: capture error: ${formatWireError(r.error)}\n`);
        break;
      }
      bar.tick(r.caplen);
      packets++;
      const d = s.walk(r.data, r.linkType, r.timestampNs);
      if (!d.inner || !matches(d, o)) continue;
      const et = d.inner.etherType;
      const lost = Math.max(0, r.origLen - r.caplen);
      if (et === EtherType.TEB) {
        await w.write(r.timestampNs, d.inner.bytes, d.inner.bytes.length + lost);
      } else if (et === EtherType.IPV4 || et === EtherType.IPV6 || et === EtherType.ARP) {
        if (linkType === LINKTYPE_RAW) {
          if (et === EtherType.ARP) continue;
          await w.write(r.timestampNs, d.inner.bytes, d.inner.bytes.length + lost);
        } else {
          const f = new Uint8Array(14 + d.inner.bytes.length);
          f[12] = et >>> 8;
          f[13] = et & 0xff;
          f.set(d.inner.bytes, 14);
          await w.write(r.timestampNs, f, f.length + lost);
        }
      } else continue;
      written++;
    }
    bar.stop();
    await w.close();
    process.stderr.write(`tunnelwire: ${written} inner frames of ${packets} packets written to ${o.output} (link type ${linkType === LINKTYPE_RAW ? 'RAW' : 'Ethernet'})\n`);
    return 0;
  } catch (e) {
    return usageExit(e);
  }
}
