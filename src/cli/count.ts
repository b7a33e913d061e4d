/**
 * `tunnelwire decode --count`: its own module, loaded without the rest of the CLI's commands (the
 * walker's output, the registry, the byte-level printer), since start-up is a fair part of its run.
 */
import { LINKTYPE_ETHERNET } from '../capture/linktype.js';
import { CaptureFileCursor } from '../capture/node.js';
import { formatWireError } from '../net/errors.js';
import { TUNNEL_ERROR, TUNNEL_GRE, TUNNEL_NAMES, TUNNEL_STT, TUNNEL_VXLAN, TunnelDecoder } from '../walk/fast.js';
import { CliError, mustBeReadable, portMaps, usageExit, type CommonOptions } from './common.js';

interface Counter {
  n: number;
}

function bump(m: Map<number, Counter>, id: number): void {
  const c = m.get(id);
  if (c) c.n++;
  else m.set(id, { n: 1 });
}

/**
 * `tunnelwire decode --count FILE`: the hot path. Every Ethernet record goes through the
 * non-allocating {@link TunnelDecoder} (no layer objects, no reassembly); prints packets per tunnel type
 * and tunnel ID, and how many were malformed or need reassembly. `--type` / `--vni` filter.
 */
export function runCount(file: string, o: CommonOptions): number {
  try {
    return count(file, o);
  } catch (e) {
    return usageExit(e);
  }
}

function count(file: string, o: CommonOptions): number {
  mustBeReadable(file);
  const { udpPorts, tcpPorts } = portMaps(o);
  const dec = new TunnelDecoder(udpPorts, tcpPorts);
  const perType = new Array<number>(TUNNEL_NAMES.length).fill(0);
  // Per tunnel ID without a string or bigint per packet: one map per type keyed by the ID (a small
  // integer key, no heap number), and STT by the Context ID's high then low 32 bits. A counter object
  // per ID, so that a packet costs one lookup.
  const perId = TUNNEL_NAMES.map(() => new Map<number, Counter>());
  const perStt = new Map<number, Map<number, Counter>>();
  let packets = 0;
  let other = 0;
  let errors = 0;
  const wantType = o.type === undefined ? -2 : TUNNEL_NAMES.indexOf(o.type as (typeof TUNNEL_NAMES)[number]);
  const wantHigh = o.vni === undefined ? -1 : Number((o.vni >> 32n) & 0xffffffffn);
  const wantLow = o.vni === undefined ? -1 : Number(o.vni & 0xffffffffn);
  const wantWide = o.vni !== undefined && o.vni > 0xffffffffn;
  const cur = new CaptureFileCursor(file);
  const p = cur.parser;
  try {
    for (let st = cur.next(); ; st = cur.next()) {
      if (st === 0) break;
      if (st === -1) {
        if (packets === 0) throw new CliError(`${file} is not a readable capture: ${formatWireError(p.error!)}`);
        process.stderr.write(`tunnelwire: capture error: ${formatWireError(p.error!)}\n`);
        errors++;
        break;
      }
      packets++;
      if (p.recLinkType !== LINKTYPE_ETHERNET) {
        other++;
        continue;
      }
      const t = dec.decodeAt(p.recBytes, p.recStart, p.recStart + p.recCaplen);
      if (t === TUNNEL_ERROR) {
        errors++;
        continue;
      }
      if (wantType !== -2 && t !== wantType) continue;
      if (wantLow !== -1 && (dec.tunnelId !== wantLow || (t === TUNNEL_STT ? dec.tunnelIdHigh !== wantHigh : wantWide))) continue;
      perType[t]!++;
      if (t === TUNNEL_STT) {
        const hi = dec.tunnelIdHigh;
        let m = perStt.get(hi);
        if (!m) perStt.set(hi, (m = new Map()));
        bump(m, dec.tunnelId);
      } else if (t >= TUNNEL_VXLAN && t <= TUNNEL_GRE) {
        bump(perId[t]!, dec.tunnelId);
      }
    }
  } finally {
    cur.close();
  }
  const ids: Array<[string, number]> = [];
  perId.forEach((m, t) => {
    for (const [id, v] of m) ids.push([`${TUNNEL_NAMES[t]} ${id}`, v.n]);
  });
  for (const [hi, m] of perStt) for (const [lo, v] of m) ids.push([`stt 0x${hi.toString(16).padStart(8, '0')}${lo.toString(16).padStart(8, '0')}`, v.n]);
  ids.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  const lines = [`${packets} packets`];
  TUNNEL_NAMES.forEach((n, i) => {
    if (perType[i]) lines.push(`${n.padEnd(17)} ${String(perType[i]).padStart(10)}`);
  });
  for (const [k, v] of ids) lines.push(`  ${k.padEnd(30)} ${String(v).padStart(10)}`);
  if (other) lines.push(`${'not ethernet'.padEnd(17)} ${String(other).padStart(10)}`);
  lines.push(`${'malformed'.padEnd(17)} ${String(errors).padStart(10)}`);
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
