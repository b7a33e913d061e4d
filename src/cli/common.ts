/**
 * What the CLI's commands share, small enough that `decode --count` loads it without the rest: the
 * common options, the usage error and its exit status, the port maps, the readable-file check.
 */
import { statSync } from 'node:fs';
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
