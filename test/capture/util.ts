/** Shared helpers for the capture tests: corpus access, external tools, a hand pcapng builder. */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CaptureParser, isCaptureError, readCapture, type CaptureItem, type CaptureRecord } from '../../src/capture/index.js';
import type { WireError } from '../../src/net/errors.js';

/**
 * The capture corpus: the in-repo copy (test/fixtures/captures, see its PROVENANCE.md), else the
 * shared corpus beside the repository (../shared/captures). Both hold the same files.
 */
export const CAPTURES = [fileURLToPath(new URL('../fixtures/captures', import.meta.url)), fileURLToPath(new URL('../../../shared/captures', import.meta.url))].find((d) =>
  existsSync(join(d, 'zeek-vxlan.pcap')),
)!;

/** Every capture file of the shared corpus (`*.pcap`, `*.pcapng`), sorted. */
export function corpusFiles(): string[] {
  return readdirSync(CAPTURES)
    .filter((n) => /\.pcap(ng)?$/.test(n))
    .sort();
}

export function readBytes(path: string): Uint8Array {
  const b = readFileSync(path);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** The tshark oracle lines of a capture (`NAME.tshark.json`). */
export interface OracleFrame {
  frame: number;
  frame_len: number;
  cap_len: number;
}
export function oracle(file: string): OracleFrame[] {
  const text = readFileSync(join(CAPTURES, file.replace(/\.pcap(ng)?$/, '.tshark.json')), 'utf8');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as OracleFrame);
}

/** A record with its data copied (safe to keep) and nothing aliasing the parser. */
export type Rec = CaptureRecord;
export function copyRecord(r: CaptureRecord): Rec {
  return { ...r, data: r.data.slice() };
}

/** Read a whole buffer: copied records and the error, if any. */
export function readAll(bytes: Uint8Array): { records: Rec[]; error: WireError | undefined } {
  const records: Rec[] = [];
  for (const item of readCapture(bytes)) {
    if (isCaptureError(item)) return { records, error: item.error };
    records.push(copyRecord(item));
  }
  return { records, error: undefined };
}

/** Feed `bytes` in the given chunk sizes (cycled), draining after each push. */
export function readChunked(bytes: Uint8Array, sizes: readonly number[]): { records: Rec[]; error: WireError | undefined; items: CaptureItem[] } {
  const p = new CaptureParser();
  const records: Rec[] = [];
  const items: CaptureItem[] = [];
  let error: WireError | undefined;
  const take = (): void => {
    for (const item of p) {
      items.push(item);
      if (isCaptureError(item)) error = item.error;
      else records.push(copyRecord(item));
    }
  };
  let off = 0;
  let k = 0;
  while (off < bytes.length) {
    const n = Math.max(1, sizes[k++ % sizes.length]!);
    p.push(bytes.subarray(off, off + n));
    off += n;
    take();
  }
  p.end();
  take();
  return { records, error, items };
}

/** Run an external tool synchronously; stdout as text (stderr ignored: tshark warns about root). */
export function tool(cmd: string, args: readonly string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 });
}

const execFileP = promisify(execFile);
/** Same, asynchronous (to run slow tools such as tshark in parallel). */
export async function toolAsync(cmd: string, args: readonly string[]): Promise<string> {
  const { stdout } = await execFileP(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  return stdout;
}

/** Per-frame `[epoch ns, cap_len, frame_len, interface_id]` from tshark. */
export async function tsharkFrames(path: string): Promise<{ ns: bigint; capLen: number; len: number; iface: number }[]> {
  const out = await toolAsync('tshark', ['-r', path, '-T', 'fields', '-E', 'separator=,', '-e', 'frame.time_epoch', '-e', 'frame.cap_len', '-e', 'frame.len', '-e', 'frame.interface_id']);
  return out
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [t, c, n, i] = l.split(',');
      return { ns: epochToNs(t!), capLen: Number(c), len: Number(n), iface: i === '' || i === undefined ? 0 : Number(i) };
    });
}

/** Per-frame epoch ns from `tcpdump -tt --time-stamp-precision=nano -nn -r` (fast, libpcap's reader). */
export function tcpdumpTimes(path: string): bigint[] {
  const out = tool('tcpdump', ['-tt', '--time-stamp-precision=nano', '-nn', '-r', path]);
  return out
    .split('\n')
    .map((l) => /^(\d+\.\d+) /.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => epochToNs(m[1]!));
}

/** `"1700000000.001000000"` → ns. */
export function epochToNs(text: string): bigint {
  const [s, frac = ''] = text.split('.');
  return BigInt(s!) * 1_000_000_000n + BigInt((frac + '000000000').slice(0, 9));
}

/** A fresh temporary directory and its remover. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tw-capture-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

// ---- hand-built pcapng --------------------------------------------------------------------

export interface Opt {
  code: number;
  value: Uint8Array;
}

/** Builds pcapng blocks by hand (either byte order, switchable per section). */
export class PcapngBuilder {
  private readonly parts: Uint8Array[] = [];
  constructor(public le = true) {}

  private u16(v: number): Uint8Array {
    const b = new Uint8Array(2);
    new DataView(b.buffer).setUint16(0, v, this.le);
    return b;
  }
  u32(v: number): Uint8Array {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, this.le);
    return b;
  }
  u64(v: bigint): Uint8Array {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), this.le);
    return b;
  }
  private options(opts: readonly Opt[]): Uint8Array {
    if (opts.length === 0) return new Uint8Array(0);
    const parts: Uint8Array[] = [];
    for (const o of opts) {
      parts.push(this.u16(o.code), this.u16(o.value.length), pad4(o.value));
    }
    parts.push(this.u16(0), this.u16(0));
    return concat(parts);
  }
  /** Any block from its type and body (body padded to 4). */
  block(type: number, body: Uint8Array, trailerOverride?: number): this {
    const b = pad4(body);
    const total = 12 + b.length;
    this.parts.push(concat([this.u32(type), this.u32(total), b, this.u32(trailerOverride ?? total)]));
    return this;
  }
  shb(le = this.le, opts: readonly Opt[] = []): this {
    this.le = le;
    return this.block(0x0a0d0d0a, concat([this.u32(0x1a2b3c4d), this.u16(1), this.u16(0), this.u64(-1n), this.options(opts)]));
  }
  idb(linkType: number, snaplen = 0, opts: readonly Opt[] = []): this {
    return this.block(1, concat([this.u16(linkType), this.u16(0), this.u32(snaplen), this.options(opts)]));
  }
  epb(iface: number, ts: bigint, data: Uint8Array, origLen = data.length, opts: readonly Opt[] = []): this {
    const t = BigInt.asUintN(64, ts);
    return this.block(6, concat([this.u32(iface), this.u32(Number(t >> 32n)), this.u32(Number(t & 0xffffffffn)), this.u32(data.length), this.u32(origLen), pad4(data), this.options(opts)]));
  }
  spb(data: Uint8Array, origLen = data.length): this {
    return this.block(3, concat([this.u32(origLen), data]));
  }
  opb(iface: number, ts: bigint, data: Uint8Array, origLen = data.length): this {
    const t = BigInt.asUintN(64, ts);
    return this.block(2, concat([this.u16(iface), this.u16(0), this.u32(Number(t >> 32n)), this.u32(Number(t & 0xffffffffn)), this.u32(data.length), this.u32(origLen), pad4(data)]));
  }
  /** `if_tsresol` option. */
  tsresol(v: number): Opt {
    return { code: 9, value: Uint8Array.of(v) };
  }
  /** `if_tsoffset` option (signed seconds). */
  tsoffset(sec: bigint): Opt {
    return { code: 14, value: this.u64(sec) };
  }
  bytes(): Uint8Array {
    return concat(this.parts);
  }
}

export function pad4(b: Uint8Array): Uint8Array {
  const n = (b.length + 3) & ~3;
  if (n === b.length) return b;
  const out = new Uint8Array(n);
  out.set(b);
  return out;
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A deterministic packet of `n` bytes (not a real protocol; for container tests). */
export function fakePacket(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}
