/**
 * Whole captures: generate a large capture of mixed tunnel traffic, then time `tunnelwire decode`
 * (text, --json, --summary, --count) against `tcpdump -nn -r` and `tshark -r` (and `tshark -T ek` for
 * JSON) on the same file: packets/s, the ratio, and peak memory (max RSS). Also the CLI's start-up time.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildTemplate, innerFlowHash, pushHeader, sourcePort, type HeaderTemplate } from '../src/port/template.js';
import { segmentSttFrame } from '../src/offload-hints/stt-segment.js';
import { PcapWriter } from '../src/capture/writer.js';
import { LINKTYPE_ETHERNET } from '../src/capture/linktype.js';
import { OptionRegistry } from '../src/tlv/registry.js';
import { Ipv4View } from '../src/net/ipv4.js';
import { internetChecksum } from '../src/net/checksum.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const CLI = join(ROOT, 'dist/cli.js');

/** Inner Ethernet/IPv4/ICMP echo frames of a few sizes, with valid checksums. */
function innerFrames(): Uint8Array[] {
  return [64, 128, 512, 1400].map((size, k) => {
    const f = new Uint8Array(size);
    f.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00], 0);
    f[14] = 0x45;
    f[16] = (size - 14) >> 8;
    f[17] = (size - 14) & 0xff;
    f[22] = 64;
    f[23] = 1;
    f.set([10, 0, k, 1, 10, 0, k, 2], 26);
    Ipv4View.unchecked(f, 14).fillChecksum();
    f[34] = 8;
    for (let i = 42; i < size; i++) f[i] = i & 0xff;
    const c = internetChecksum(f, 34, size);
    f[36] = c >> 8;
    f[37] = c & 0xff;
    return f;
  });
}

/** Write `n` mixed tunnel packets (VXLAN, GBP, Geneve with options, GPE, NVGRE, STT) to `path`. */
export function generateCapture(path: string, n: number): void {
  const reg = OptionRegistry.withBuiltins();
  const tpl: HeaderTemplate[] = [
    buildTemplate({ tunnel: 'vxlan', vni: 100, src: '192.0.2.1', dst: '192.0.2.2' }),
    buildTemplate({ tunnel: 'vxlan', vni: 200, src: '192.0.2.3', dst: '192.0.2.2', gbp: { groupPolicyId: 42 } }),
    buildTemplate({ tunnel: 'geneve', vni: 5001, src: '2001:db8::1', dst: '2001:db8::2', geneveOptions: [reg.encodeOption('ovn.ports', { ingressPort: 1, egressPort: 2 })] }),
    buildTemplate({ tunnel: 'vxlan-gpe', vni: 300, src: '192.0.2.5', dst: '192.0.2.2' }),
    buildTemplate({ tunnel: 'nvgre', vni: 0x1234, src: '192.0.2.6', dst: '192.0.2.2', flowId: 7 }),
  ];
  const inners = innerFrames();
  const w = new PcapWriter({ linkType: LINKTYPE_ETHERNET, nanosecond: true });
  const fd = openSync(path, 'w');
  writeSync(fd, w.header());
  const chunk = new Uint8Array(1 << 22);
  let used = 0;
  const emit = (ts: bigint, frame: Uint8Array): void => {
    const rec = w.record(ts, frame);
    if (used + rec.length > chunk.length) {
      writeSync(fd, chunk, 0, used);
      used = 0;
    }
    chunk.set(rec, used);
    used += rec.length;
  };
  const frame = new Uint8Array(2048);
  let ts = 1_700_000_000_000_000_000n;
  for (let i = 0; i < n; i++) {
    const inner = inners[i % inners.length]!;
    ts += 1000n;
    const kind = i % 6;
    if (kind === 5) {
      const segs = segmentSttFrame({
        outer: { eth: { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }, ip: { version: 4, src: '192.0.2.7', dst: '192.0.2.2', identification: i & 0xffff } },
        srcPort: 40000,
        frameId: i,
        stt: { version: 0, flags: 0, l4Offset: 0, reserved: 0, mss: 0, pcp: 0, vlanValid: false, vlanId: 0, contextId: 0xabcdefn, padding: 0 },
        innerFrame: inner,
        mss: 1448,
      });
      emit(ts, segs[0]!);
      continue;
    }
    const t = tpl[kind]!;
    const len = pushHeader(t, inner, frame, 0, sourcePort(t, innerFlowHash(inner)), i & 0xffff);
    emit(ts, frame.subarray(0, len));
  }
  writeSync(fd, chunk, 0, used);
  closeSync(fd);
}

interface Timing {
  tool: string;
  seconds: number;
  packetsPerSec: number;
  maxRssMiB: number;
  ok: boolean;
}

/** Run a command with stdout discarded; wall time and peak RSS (GNU time, or /proc polling). */
function timeCommand(tool: string, cmd: string[], packets: number): Promise<Timing> {
  const gnuTime = existsSync('/usr/bin/time');
  const args = gnuTime ? ['-f', 'TW_MAXRSS %M', ...cmd] : cmd.slice(1);
  const bin = gnuTime ? '/usr/bin/time' : cmd[0]!;
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    let peakKb = 0;
    const poll = gnuTime
      ? undefined
      : setInterval(() => {
          try {
            const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
            if (m) peakKb = Math.max(peakKb, Number(m[1]));
          } catch {
            /* exited */
          }
        }, 20);
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => {
      if (poll) clearInterval(poll);
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      const m = /TW_MAXRSS (\d+)/.exec(err);
      if (m) peakKb = Number(m[1]);
      resolve({ tool, seconds: s, packetsPerSec: packets / s, maxRssMiB: peakKb / 1024, ok: code === 0 });
    });
  });
}

/** Start-up: `tunnelwire --help` and decoding a one-packet capture, best of 10. */
function startupMs(): { help: number; onePacket: number } {
  const best = (args: string[]): number => {
    let b = Infinity;
    for (let i = 0; i < 10; i++) {
      const t0 = process.hrtime.bigint();
      spawnSync(process.execPath, [CLI, ...args], { stdio: 'ignore' });
      b = Math.min(b, Number(process.hrtime.bigint() - t0) / 1e6);
    }
    return b;
  };
  return { help: best(['--help']), onePacket: best(['decode', join(ROOT, 'test/fixtures/captures/tcpdump-geneve-gcp.pcap')]) };
}

/** Generate the capture, time every tool, return the markdown lines (also printed). */
export async function captureFigures(packets = 1_000_000): Promise<string[]> {
  const path = join(tmpdir(), `tunnelwire-bench-${packets}.pcap`);
  if (!existsSync(path)) generateCapture(path, packets);
  const size = statSync(path).size;
  const runs: Array<[string, string[]]> = [
    ['tunnelwire decode --count', [process.execPath, CLI, 'decode', '--count', path]],
    ['tunnelwire decode (text)', [process.execPath, CLI, 'decode', '--no-progress', path]],
    ['tunnelwire decode --summary', [process.execPath, CLI, 'decode', '--summary', '--no-progress', path]],
    ['tunnelwire decode --json', [process.execPath, CLI, 'decode', '--json', '--no-progress', path]],
    ['tcpdump -nn -r', ['tcpdump', '-nn', '-r', path]],
    ['tshark -r', ['tshark', '-r', path, '-d', 'udp.port==4790,vxlan']],
    ['tshark -r -T ek', ['tshark', '-r', path, '-T', 'ek']],
  ];
  const res: Timing[] = [];
  // Every tool reads the file from the page cache: read it once before the first timing.
  const warm = openSync(path, 'r');
  const scratch = new Uint8Array(1 << 22);
  while (readSync(warm, scratch, 0, scratch.length, null) > 0);
  closeSync(warm);
  for (const [tool, cmd] of runs) {
    if (spawnSync('which', [cmd[0]!]).status !== 0 && cmd[0] !== process.execPath) {
      res.push({ tool: `${tool} (not installed)`, seconds: NaN, packetsPerSec: NaN, maxRssMiB: NaN, ok: false });
      continue;
    }
    // The median of several runs (one for the slowest peer): a single run of a sub-second command
    // moves by 10% on this kind of machine. Peak memory is the highest of the runs.
    const n = tool.includes('-T ek') ? 1 : cmd[0] === process.execPath ? 5 : 3;
    const times: Timing[] = [];
    for (let i = 0; i < n; i++) times.push(await timeCommand(tool, cmd, packets));
    times.sort((a, b) => a.seconds - b.seconds);
    const mid = times[(n - 1) >> 1]!;
    res.push({ ...mid, tool: n > 1 ? `${tool} (median of ${n})` : tool, maxRssMiB: Math.max(...times.map((t) => t.maxRssMiB)), ok: times.every((t) => t.ok) });
  }
  const by = (t: string): Timing | undefined => res.find((r) => r.tool === t || r.tool.startsWith(`${t} (median`));
  const rel = (a?: Timing, b?: Timing): string => (a && b && a.ok && b.ok ? `${(b.seconds / a.seconds).toFixed(2)}x` : '');
  const st = startupMs();
  const lines = [
    `## captures/${packets.toLocaleString('en')}-mixed-tunnel-packets`,
    '',
    `A generated capture of ${packets.toLocaleString('en')} packets (${(size / 2 ** 20).toFixed(0)} MiB): VXLAN, VXLAN-GBP, Geneve with an option over IPv6, VXLAN-GPE, NVGRE and single-segment STT, inner ICMP of 64–1400 bytes.`,
    '',
    '| tool | seconds | packets/s | max RSS (MiB) | exit ok |',
    '|---|---:|---:|---:|---|',
    ...res.map((r) => `| ${r.tool} | ${r.seconds.toFixed(2)} | ${Number.isFinite(r.packetsPerSec) ? Math.round(r.packetsPerSec).toLocaleString('en') : ''} | ${r.maxRssMiB.toFixed(0)} | ${r.ok} |`),
    '',
    `Ratios: text decode vs \`tcpdump -nn\`: ${rel(by('tunnelwire decode (text)'), by('tcpdump -nn -r'))} (above 1 = we are faster); \`--json\` vs \`tshark -T ek\`: ${rel(by('tunnelwire decode --json'), by('tshark -r -T ek'))}; text vs \`tshark -r\`: ${rel(by('tunnelwire decode (text)'), by('tshark -r'))}.`,
    '',
    `Start-up (best of 10): \`tunnelwire --help\` ${st.help.toFixed(0)} ms, decoding a one-packet capture ${st.onePacket.toFixed(0)} ms.`,
  ];
  console.log('\n' + lines.join('\n'));
  return lines;
}
