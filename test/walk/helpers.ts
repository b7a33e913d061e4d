/** Shared test helpers: the capture corpus (copied into test/fixtures/captures) and a decode loop like the CLI's. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCaptureFile } from '../../src/capture/node.js';
import { packetJson } from '../../src/walk/format.js';
import { OptionRegistry } from '../../src/tlv/registry.js';
import { SttReassembler } from '../../src/stt/reassembly.js';
import { IpReassembler } from '../../src/walk/ipfrag.js';
import { DEFAULT_TCP_PORTS, DEFAULT_UDP_PORTS, walkPacket, type PacketDecode, type UdpTunnelKind } from '../../src/walk/walker.js';

export const CAPTURE_DIR = fileURLToPath(new URL('../fixtures/captures/', import.meta.url));

export interface CaptureCase {
  name: string;
  path: string;
  oraclePath: string;
  decodeAs: Array<[number, UdpTunnelKind]>;
}

/** Decode-as rules recorded in MANIFEST.md (`-d udp.port==N,vxlan`), as compare.py reads them. */
function manifestDecodeAs(): Map<string, Array<[number, UdpTunnelKind]>> {
  const out = new Map<string, Array<[number, UdpTunnelKind]>>();
  for (const line of readFileSync(join(CAPTURE_DIR, 'MANIFEST.md'), 'utf8').split('\n')) {
    const m = /^\|\s*`([^`]+)`/.exec(line);
    if (!m) continue;
    const rules = [...line.matchAll(/-d udp\.port==(\d+),([a-z-]+)/g)].map((x) => [Number(x[1]), x[2] as UdpTunnelKind] as [number, UdpTunnelKind]);
    if (rules.length) out.set(m[1]!, rules);
  }
  return out;
}

export const CAPTURES: CaptureCase[] = (() => {
  const da = manifestDecodeAs();
  return readdirSync(CAPTURE_DIR)
    .filter((f) => /\.pcap(ng)?$/.test(f))
    .sort()
    .map((f) => {
      const name = f.replace(/\.pcap(ng)?$/, '');
      return { name, path: join(CAPTURE_DIR, f), oraclePath: join(CAPTURE_DIR, `${name}.tshark.json`), decodeAs: da.get(f) ?? [] };
    });
})();

export interface DecodedRecord {
  frame: number;
  length: number;
  caplen: number;
  timestampNs: bigint;
  data: Uint8Array;
  decode: PacketDecode;
  layers: Array<Record<string, unknown> & { proto: string }>;
  json: Record<string, unknown>;
}

/** Decode a whole capture the way the CLI does (reassembly on), keeping the library objects. */
export async function decodeCaptureForTest(path: string, decodeAs: Array<[number, UdpTunnelKind]> = []): Promise<DecodedRecord[]> {
  const udpPorts = new Map(DEFAULT_UDP_PORTS);
  for (const [p, k] of decodeAs) udpPorts.set(p, k);
  const ipReassembler = new IpReassembler();
  const sttReassembler = new SttReassembler();
  const out: DecodedRecord[] = [];
  for await (const r of readCaptureFile(path)) {
    if ('error' in r) throw new Error(`capture error in ${path}: ${JSON.stringify(r.error)}`);
    const data = r.data.slice();
    const decode = walkPacket(data, { udpPorts, tcpPorts: DEFAULT_TCP_PORTS, ipReassembler, sttReassembler, nowMs: Number(r.timestampNs / 1_000_000n) });
    out.push({
      frame: r.index,
      length: r.origLen,
      caplen: r.caplen,
      timestampNs: r.timestampNs,
      data,
      decode,
      layers: decode.layers as unknown as DecodedRecord['layers'],
      json: packetJson(r.index, r.timestampNs, r.origLen, r.caplen, decode, OptionRegistry.withBuiltins()),
    });
  }
  return out;
}
