#!/usr/bin/env node
/**
 * `tunnelwire` command-line tool: decode tunnel captures (`decode`), and write the traffic inside the
 * tunnels to a new capture (`decap`). The only part of the package (with src/capture/node.ts) that
 * uses Node APIs. Argument parsing: commander; progress on a terminal: cli-progress.
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import type { CommonOptions } from './common.js';
import type { EncapOptions } from './encap.js';
import type { VtepOptions } from './vtep.js';

// Commands are loaded when run, so `--help` and usage errors start without the library.
const commands = (): Promise<typeof import('./commands.js')> => import('./commands.js');

const TUNNEL_TYPES = ['vxlan', 'vxlan-gpe', 'geneve', 'nvgre', 'gre', 'stt'];
const DECODE_AS_KINDS = ['vxlan', 'vxlan-rfc7348', 'vxlan-gpe', 'geneve', 'stt', 'none'];

function collectDecodeAs(v: string, prev: Array<{ proto: 'udp' | 'tcp'; port: number; kind: string }>) {
  const m = /^(udp|tcp)\.port=(\d{1,5}):([a-z0-9-]+)$/.exec(v);
  if (!m || Number(m[2]) > 65535 || !DECODE_AS_KINDS.includes(m[3]!)) {
    throw new InvalidArgumentError(`expected udp.port=N:KIND or tcp.port=N:stt with KIND one of ${DECODE_AS_KINDS.join(', ')}`);
  }
  if (m[3] !== 'none' && (m[1] === 'tcp') !== (m[3] === 'stt')) throw new InvalidArgumentError(`${m[3]} cannot be decoded on ${m[1]}`);
  return [...prev, { proto: m[1] as 'udp' | 'tcp', port: Number(m[2]), kind: m[3]! }];
}

function parseId(v: string): bigint {
  try {
    const n = BigInt(v);
    if (n < 0n) throw new Error();
    return n;
  } catch {
    throw new InvalidArgumentError('expected a non-negative integer (decimal or 0x-hex)');
  }
}

function parseType(v: string): string {
  if (!TUNNEL_TYPES.includes(v)) throw new InvalidArgumentError(`expected one of ${TUNNEL_TYPES.join(', ')}`);
  return v;
}

function parseDepth(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 16) throw new InvalidArgumentError('expected 1..16');
  return n;
}

function addCommon(c: Command): Command {
  return c
    .option('--type <type>', `only packets with this tunnel type (${TUNNEL_TYPES.join(', ')})`, parseType)
    .option('--vni <id>', 'only packets whose tunnel ID (VNI, VSID or STT Context ID) is this', parseId)
    .option('--decode-as <rule>', 'map a port to a tunnel type, e.g. udp.port=4444:vxlan (repeatable)', collectDecodeAs, [])
    .option('--strict', 'reject reserved bits that are set, as Linux and Open vSwitch do', false)
    .option('--max-depth <n>', 'most nested tunnels decoded in one packet', parseDepth, 4)
    .option('--registry <file>', 'Geneve option definitions to load (JSON, or a JS module; see README)')
    .option('--no-progress', 'never show progress on stderr');
}

export function main(argv: string[]): Promise<number> {
  const program = new Command();
  program
    .name('tunnelwire')
    .description('Decode overlay tunnel captures (VXLAN, VXLAN-GBP, VXLAN-GPE, Geneve, STT, NVGRE/GRE) from pcap and pcapng files.')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });
  let result: Promise<number> = Promise.resolve(0);
  addCommon(
    program
      .command('decode')
      .description('print one line (or one JSON object) per packet, or a per-tunnel summary')
      .argument('<file>', 'pcap or pcapng capture')
      .option('--json', 'one JSON object per packet (schema in README.md)', false)
      .option('--summary', 'a table per tunnel instead of one line per packet', false)
      .option('--count', 'only count packets per tunnel type and ID, on the non-allocating fast path (no reassembly)', false)
      .option('--walker', 'decode every packet with the full packet walker (the reference for the faster byte-level output path; same output)', false),
  ).action((file: string, o: CommonOptions & { json: boolean; summary: boolean; count: boolean; walker: boolean }) => {
    // --count has its own small module: most of its run is start-up when the capture is small.
    result = o.count ? import('./count.js').then((c) => c.runCount(file, o)) : commands().then((c) => c.runDecode(file, o));
  });
  addCommon(
    program
      .command('decap')
      .description('write the frames carried inside the tunnels to a new pcap (timestamps kept)')
      .argument('<in>', 'pcap or pcapng capture')
      .requiredOption('-o, --output <file>', 'pcap file to write'),
  ).action((file: string, o: CommonOptions & { output: string }) => {
    result = commands().then((c) => c.runDecap(file, o));
  });
  program
    .command('encap')
    .description('wrap every frame of a capture in a tunnel (outer lengths and checksums computed); --segment cuts super-packets by software GSO')
    .argument('<in>', 'pcap or pcapng capture (Ethernet, or raw IP for vxlan-gpe/geneve L3 payloads)')
    .requiredOption('-o, --output <file>', 'pcap file to write')
    .requiredOption('--type <type>', 'vxlan, vxlan-gpe, geneve, nvgre or stt', (v: string) => {
      if (!['vxlan', 'vxlan-gpe', 'geneve', 'nvgre', 'stt'].includes(v)) throw new InvalidArgumentError('expected vxlan, vxlan-gpe, geneve, nvgre or stt');
      return v;
    })
    .requiredOption('--vni <id>', 'VNI, NVGRE VSID (24 bits) or STT Context ID (64 bits)', parseId)
    .requiredOption('--src <ip>', 'outer source address (IPv4 or IPv6)')
    .requiredOption('--dst <ip>', 'outer destination address')
    .option('--option <class:type:hex>', 'Geneve option, tc geneve_opts form, e.g. 0102:80:00050007 (repeatable)', (v: string, prev: string[]) => [...prev, v], [])
    .option('--segment <mss>', 'cut TCP/UDP super-packets (and STT frames) into segments of this payload size', (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError('expected 1..65535');
      return n;
    })
    .option('--port <n>', 'outer UDP destination port (default per type)', (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError('expected 1..65535');
      return n;
    })
    .option('--udp-checksum', 'compute the outer UDP checksum (default: over IPv6 only)')
    .option('--no-udp-checksum', 'send a zero outer UDP checksum')
    .option('--gbp <id>', 'VXLAN-GBP Group Policy ID', (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new InvalidArgumentError('expected 0..65535');
      return n;
    })
    .option('--flow-id <n>', 'NVGRE FlowID', (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 255) throw new InvalidArgumentError('expected 0..255');
      return n;
    })
    .action((file: string, o: EncapOptions) => {
      result = Promise.all([commands(), import('./encap.js')]).then(([c, m]) =>
        m.runEncap(file, o).catch((e: unknown) => {
        if (e instanceof c.CliError) {
          process.stderr.write(`tunnelwire: ${e.message}\n`);
          return 2;
        }
        throw e;
      }));
    });
  program
    .command('vtep')
    .description('a userspace VTEP over a UDP socket: one tunnel port and one local host (ARP/NDP, ICMP echo) on a learning switch; prints port statistics on exit')
    .requiredOption('--type <type>', 'vxlan, vxlan-gpe or geneve', (v: string) => {
      if (!['vxlan', 'vxlan-gpe', 'geneve'].includes(v)) throw new InvalidArgumentError('expected vxlan, vxlan-gpe or geneve');
      return v;
    })
    .requiredOption('--vni <id>', 'VNI (24 bits)', parseId)
    .requiredOption('--local <ip>', 'underlay address to listen on')
    .requiredOption('--remote <ip>', 'remote VTEP address')
    .requiredOption('--host <ip/prefix>', 'address of the local host on the overlay')
    .option('--host-mac <mac>', 'MAC of the local host (default 02:00:00:00:00:10)')
    .option('--port <n>', 'UDP port (default per type)', (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError('expected 1..65535');
      return n;
    })
    .option('--gbp <id>', 'VXLAN-GBP Group Policy ID to send (turns GBP on)', (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new InvalidArgumentError('expected 0..65535');
      return n;
    })
    .option('--option <class:type:hex>', 'Geneve option to send (repeatable)', (v: string, prev: string[]) => [...prev, v], [])
    .option('--udp-checksum', 'compute outer UDP checksums (default: over IPv6 only)')
    .option('--stats-json', 'also print the statistics as one JSON line on exit')
    .action((o: VtepOptions) => {
      result = Promise.all([commands(), import('./vtep.js')]).then(([c, m]) =>
        m.runVtep(o).catch((e: unknown) => {
        if (e instanceof c.CliError) {
          process.stderr.write(`tunnelwire: ${e.message}\n`);
          return 2;
        }
        throw e;
      }));
    });
  try {
    program.parse(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return Promise.resolve(0);
      return Promise.resolve(2);
    }
    throw e;
  }
  return result;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`tunnelwire: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 2;
  },
);
