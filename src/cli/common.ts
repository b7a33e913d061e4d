/**
 * What the CLI's commands share, small enough that `decode --count` loads it without the rest: the
 * common options, the usage error and its exit status, the port maps, the readable-file check, the summary's labels.
 */
import { statSync } from 'node:fs';
import type { OptionRegistry } from '../tlv/registry.js';
import { DEFAULT_TCP_PORTS, DEFAULT_UDP_PORTS, type TcpTunnelKind, type UdpTunnelKind } from '../walk/walker.js';

/** Options shared by `decode` and `decap`. */
export interface CommonOptions {
  type?: string;
  vni?: bigint;
  decodeAs: Array<{ proto: 'udp' | 'tcp'; port: number; kind: string }>;
  strict: boolean;
  maxDepth: number;
  progress: boolean;
  /** User option definitions (`--registry FILE`, JSON or a JS module). */
  registry?: string;
}

/** A usage or I/O problem that ends the run with exit status 2 and a one-line message. */
export class CliError extends Error {}

/** Exit status 2 with a one-line message for a {@link CliError}; anything else is a bug and propagates. */
export function usageExit(e: unknown): number {
  if (!(e instanceof CliError)) throw e;
  process.stderr.write(`tunnelwire: ${e.message}\n`);
  return 2;
}

/** The default port → tunnel maps with the `--decode-as` rules applied. */
export function portMaps(o: CommonOptions): { udpPorts: Map<number, UdpTunnelKind>; tcpPorts: Map<number, TcpTunnelKind> } {
  const udpPorts = new Map<number, UdpTunnelKind>(DEFAULT_UDP_PORTS);
  const tcpPorts = new Map<number, TcpTunnelKind>(DEFAULT_TCP_PORTS);
  for (const r of o.decodeAs) {
    if (r.proto === 'udp') udpPorts.set(r.port, r.kind as UdpTunnelKind);
    else tcpPorts.set(r.port, r.kind as TcpTunnelKind);
  }
  return { udpPorts, tcpPorts };
}

/** A {@link CliError} naming the file when it cannot be read. */
export function mustBeReadable(file: string): void {
  try {
    statSync(file);
  } catch (e) {
    throw new CliError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

// `--summary` labels. The walker path (commands.ts) and the fast path (fastline.ts) each make rows and
// share them by these strings, so both must write them the same way.

/** A summary row's tunnel ID: the STT Context ID as 16 hex digits, the NVGRE VSID as 6, else decimal. */
export function summaryIdText(type: string, id: bigint): string {
  return type === 'stt' ? `0x${id.toString(16).padStart(16, '0')}` : type === 'nvgre' ? `0x${id.toString(16).padStart(6, '0')}` : id.toString();
}

/** The key of a summary row: one row per tunnel type, ID and outer addresses. */
export function summaryRowKey(type: string, id: string, src: string, dst: string): string {
  return `${type}|${id}|${src}|${dst}`;
}

/** A Geneve option class as the summary lists it (`0x0102`). */
export function optionClassText(optionClass: number): string {
  return `0x${optionClass.toString(16).padStart(4, '0')}`;
}

/** A Geneve option as the summary counts it: its registry name, else `class:type` in hex (`0x0102:0x80`). */
export function optionCountName(registry: OptionRegistry, optionClass: number, type: number): string {
  return registry.lookup(optionClass, type)?.name ?? `${optionClassText(optionClass)}:0x${type.toString(16).padStart(2, '0')}`;
}
