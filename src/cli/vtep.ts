/**
 * `tunnelwire vtep`: a userspace VTEP over a UDP socket — one tunnel port and one local host on a
 * learning switch. The host answers ARP/NDP and ICMP echo; the VTEP runs until interrupted and then
 * prints its port statistics (drops by reason included), the GBP policy IDs it received, and the
 * host's and switch's counters.
 */
import { TunnelPort } from '../port/port.js';
import { Datapath } from '../port/datapath.js';
import { createUdpTransport } from '../port/node.js';
import { parseOptionText } from '../tlv/registry.js';
import type { GeneveOption } from '../geneve/fields.js';
import { CliError } from './common.js';

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
  const dp = new Datapath();
  if (o.gbp !== undefined) dp.egressMetadata = { gbp: { id: o.gbp, flags: 0 } };
  const listenPort = port.dstPort;
  let transport: Awaited<ReturnType<typeof createUdpTransport>>;
  try {
    transport = await createUdpTransport(o.local, listenPort);
  } catch (e) {
    throw new CliError(`cannot listen on ${o.local}:${listenPort}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  dp.addTunnelPort('tunnel', port, transport);
  const host = dp.addHost({ name: 'host', mac: o.hostMac ?? '02:00:00:00:00:10', ...(v6host ? { ipv6: hostIp! } : { ipv4: hostIp! }) });
  process.stdout.write(`vtep: ${o.type} vni ${o.vni} listening on ${o.local}:${listenPort}, remote ${o.remote}, host ${host.describe()}\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await dp.close();
  const gbpSeen = dp.observed.gbpReceived;
  const optionsSeen = dp.observed.optionsReceived;
  const stats = {
    port: port.stats,
    gbpReceived: Object.fromEntries(gbpSeen),
    optionsReceived: Object.fromEntries([...optionsSeen].map(([k, v]) => [k, v.count])),
    optionValues: Object.fromEntries([...optionsSeen].filter(([, v]) => v.value).map(([k, v]) => [k, v.value])),
    host: host.stats,
    switch: dp.switch.stats,
    sendErrors: transport.sendErrors,
  };
  const drops = Object.entries(port.stats.drops).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  process.stdout.write(
    [
      `vtep: rx ${port.stats.rxPackets} packets ${port.stats.rxBytes} bytes, tx ${port.stats.txPackets} packets ${port.stats.txBytes} bytes`,
      `vtep: drops: ${drops}`,
      `vtep: GBP policy IDs received: ${[...gbpSeen].map(([k, v]) => `${k} (${v})`).join(', ') || 'none'}`,
      `vtep: Geneve options received: ${[...optionsSeen].map(([k, v]) => `${k}${v.value ? JSON.stringify(v.value) : ''} (${v.count})`).join(', ') || 'none'}`,
      `vtep: host: ${host.stats.arpReplies} ARP replies, ${host.stats.neighborAdvertisements} neighbor advertisements, ${host.stats.echoReplies} echo replies, ${host.stats.echo6Replies} echo6 replies`,
      ...(o.statsJson ? [`vtep-stats ${JSON.stringify(stats)}`] : []),
    ].join('\n') + '\n',
  );
  return 0;
}
