/**
 * `tunnelwire vtep`: a userspace VTEP over a UDP socket — one tunnel port and one local host on a
 * learning switch. The host answers ARP/NDP and ICMP echo; the VTEP runs until interrupted and then
 * prints its port statistics (drops by reason included), the GBP policy IDs it received, and the
 * host's and switch's counters.
 */
import { createSocket, type Socket } from 'node:dgram';
import { TunnelPort } from '../port/port.js';
import { LearningSwitch } from '../port/switch.js';
import { LocalHost } from '../port/host.js';
import { parseOptionText } from '../tlv/registry.js';
import type { TunnelMetadata } from '../tlv/metadata.js';
import type { GeneveOption } from '../geneve/fields.js';
import { CliError } from './commands.js';

/** Options of `vtep`. */
export interface VtepOptions {
  type: 'vxlan' | 'vxlan-gpe' | 'geneve';
  vni: bigint;
  local: string;
  remote: string;
  port?: number;
  gbp?: number;
  option: string[];
  host: string;
  hostMac?: string;
  statsJson?: boolean;
  udpChecksum?: boolean;
}

/** Run the VTEP until SIGINT/SIGTERM; resolves with the exit status. */
export async function runVtep(o: VtepOptions): Promise<number> {
  let options: GeneveOption[];
  try {
    options = o.option.map(parseOptionText);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  if (o.vni > 0xffffffn) throw new CliError(`--vni ${o.vni} does not fit in 24 bits`);
  if (o.gbp !== undefined && o.type !== 'vxlan') throw new CliError('--gbp applies to --type vxlan only');
  if (options.length && o.type !== 'geneve') throw new CliError('--option applies to --type geneve only');
  let port: TunnelPort;
  try {
    port = new TunnelPort({
      type: o.type,
      local: o.local,
      remote: o.remote,
      tunnelId: o.vni,
      ...(o.port !== undefined ? { dstPort: o.port } : {}),
      ...(o.gbp !== undefined ? { gbp: true } : {}),
      ...(options.length ? { geneveOptions: options } : {}),
      ...(o.udpChecksum !== undefined ? { udpChecksum: o.udpChecksum } : {}),
    });
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  const [hostIp] = o.host.split('/');
  const v6host = hostIp!.includes(':');
  const sw = new LearningSwitch();
  const socket: Socket = createSocket({ type: o.local.includes(':') ? 'udp6' : 'udp4', reuseAddr: true });
  const out = new Uint8Array(65536);
  const gbpSeen = new Map<number, number>();
  const optionsSeen = new Map<string, number>();
  const optionValues = new Map<string, Record<string, unknown>>();
  let sendErrors = 0;
  const egressMeta: Partial<TunnelMetadata> = o.gbp !== undefined ? { gbp: { id: o.gbp, flags: 0 } } : {};
  sw.attach({
    name: 'tunnel',
    deliver(frame: Uint8Array): void {
      const r = port.encapsulatePayload(frame, egressMeta, out, 0);
      if (!r.ok) return;
      socket.send(out.subarray(0, r.length), r.dstPort, r.remote, (err) => {
        if (err) sendErrors++;
      });
    },
  });
  const host = new LocalHost({ mac: o.hostMac ?? '02:00:00:00:00:10', ...(v6host ? { ipv6: hostIp! } : { ipv4: hostIp! }) }, (f) => sw.receive('host', f));
  sw.attach(host);
  socket.on('message', (msg, rinfo) => {
    const r = port.decapsulatePayload(new Uint8Array(msg.buffer, msg.byteOffset, msg.length), { address: rinfo.address, port: rinfo.port }, Date.now());
    if (!r.ok) return;
    if (r.metadata.gbp) gbpSeen.set(r.metadata.gbp.id, (gbpSeen.get(r.metadata.gbp.id) ?? 0) + 1);
    for (const opt of r.metadata.geneveOptions) {
      const d = port.registry.describe(opt);
      const k = d.known ? d.name : `${opt.optionClass.toString(16).padStart(4, '0')}:${opt.type.toString(16).padStart(2, '0')}`;
      optionsSeen.set(k, (optionsSeen.get(k) ?? 0) + 1);
      if (d.known && 'json' in d) optionValues.set(k, d.json);
    }
    if (r.innerEtherType !== 0x6558) return; // L3 payloads have no place on an Ethernet switch
    sw.receive('tunnel', r.inner, r.metadata);
  });
  const listenPort = o.port ?? (o.type === 'vxlan' ? 4789 : o.type === 'vxlan-gpe' ? 4790 : 6081);
  await new Promise<void>((resolve, reject) => {
    socket.once('error', (e) => reject(new CliError(`cannot listen on ${o.local}:${listenPort}: ${(e as NodeJS.ErrnoException).code ?? e.message}`)));
    socket.bind(listenPort, o.local, () => resolve());
  });
  process.stdout.write(`vtep: ${o.type} vni ${o.vni} listening on ${o.local}:${listenPort}, remote ${o.remote}, host ${host.describe()}\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  socket.close();
  const stats = {
    port: port.stats,
    gbpReceived: Object.fromEntries(gbpSeen),
    optionsReceived: Object.fromEntries(optionsSeen),
    optionValues: Object.fromEntries(optionValues),
    host: host.stats,
    switch: sw.stats,
    sendErrors,
  };
  const drops = Object.entries(port.stats.drops).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  process.stdout.write(
    [
      `vtep: rx ${port.stats.rxPackets} packets ${port.stats.rxBytes} bytes, tx ${port.stats.txPackets} packets ${port.stats.txBytes} bytes`,
      `vtep: drops: ${drops}`,
      `vtep: GBP policy IDs received: ${[...gbpSeen].map(([k, v]) => `${k} (${v})`).join(', ') || 'none'}`,
      `vtep: Geneve options received: ${[...optionsSeen].map(([k, v]) => `${k}${optionValues.has(k) ? JSON.stringify(optionValues.get(k)) : ''} (${v})`).join(', ') || 'none'}`,
      `vtep: host: ${host.stats.arpReplies} ARP replies, ${host.stats.neighborAdvertisements} neighbor advertisements, ${host.stats.echoReplies} echo replies, ${host.stats.echo6Replies} echo6 replies`,
      ...(o.statsJson ? [`vtep-stats ${JSON.stringify(stats)}`] : []),
    ].join('\n') + '\n',
  );
  return 0;
}
