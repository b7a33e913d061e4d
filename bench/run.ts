/**
 * `npm run bench [filter]`: runs every suite (or those whose name contains `filter`), prints each
 * table, and rewrites bench/RESULTS.md with the figures and the machine they ran on.
 */
import { writeFileSync } from 'node:fs';
import { cpus, totalmem, platform, release } from 'node:os';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { rowsMarkdown, runSuite, sinkValue, type Row, type Suite } from './harness.js';
import { checksumSuites } from './checksum.bench.js';
import { segmentSuites } from './segment.bench.js';
import { captureFigures } from './captures.bench.js';
import { allocationFigures, decodeSuites, encapSuites, optionWalkSuite, sttReassemblySuite } from './decode.bench.js';

function allSuites(): Suite[] {
  return [...decodeSuites(), optionWalkSuite(), ...encapSuites(), ...checksumSuites(), ...segmentSuites(), sttReassemblySuite()];
}

/**
 * Each suite runs in its own Node process (as JMH forks per benchmark): the JIT's type feedback and
 * inlining decisions from one frame type or buffer size do not leak into the next suite's figures.
 * The child prints its table and hands its rows back as JSON on the last line of stdout.
 */
function runSuiteForked(name: string, detached = false): { rows: Row[]; notes: string[] } {
  const args = [...process.execArgv, fileURLToPath(import.meta.url), '--suite', name, ...(detached ? ['--detached'] : [])];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`suite ${name} failed (exit ${r.status})`);
  const lines = r.stdout.trimEnd().split('\n');
  const last = lines.pop()!;
  process.stdout.write(lines.join('\n') + '\n');
  return JSON.parse(last) as { rows: Row[]; notes: string[] };
}

/** Per case, the row with the median ns/op over the forks; ratios against the baseline's median. */
function medianRows(forks: Row[][], baseline: string): Row[] {
  const med = (name: string): Row => {
    const rs = forks.map((f) => f.find((r) => r.name === name)!).sort((a, b) => a.nsPerOp - b.nsPerOp);
    return rs[(rs.length - 1) >> 1]!;
  };
  const base = med(baseline).nsPerOp;
  return forks[0]!.map((r) => {
    const m = med(r.name);
    return { ...m, ratio: m.nsPerOp / base };
  });
}

/** Suites that are also measured after a detach (the checksum: its cost is typed-array loads). */
const DETACHED_VARIANT_PREFIX = 'checksum/';
const DETACHED_SUFFIX = ', after a buffer detach';

/**
 * Detach one ArrayBuffer (transfer it away), as a process does when it transfers buffers to a worker
 * or when its module loader does (tsx's does). The first detach in a process invalidates V8's
 * ArrayBuffer-detaching protector: from then on every typed-array load in optimised code also checks
 * that its buffer is still attached. The benchmarks run without it, as a process that never detaches
 * a buffer does; the checksum suites are measured in both states.
 */
function detachOneBuffer(): void {
  const b = new ArrayBuffer(8);
  structuredClone(b, { transfer: [b] });
  if (b.byteLength !== 0) throw new Error('the buffer was not detached');
}

async function main(): Promise<void> {
  if (process.argv[2] === '--suite') {
    const s = allSuites().find((x) => x.name === process.argv[3]);
    if (!s) throw new Error(`no suite ${process.argv[3]}`);
    if (process.argv[4] === '--detached') detachOneBuffer();
    const rows = await runSuite(s);
    console.log(`(sink ${sinkValue() & 1})`);
    console.log(JSON.stringify({ rows, notes: s.notes ?? [] }));
    return;
  }
  const filter = process.argv[2] ?? '';
  const suites: Suite[] = allSuites().filter((s) => s.name.includes(filter));
  const md: string[] = [];
  for (const s of suites) {
    // Three forks, the median of each case: one process's figures move by 10-20% with where the JIT
    // happened to place its code (JMH forks for the same reason).
    const forks = [1, 2, 3].map(() => runSuiteForked(s.name));
    const rows = medianRows(forks.map((f) => f.rows), s.baseline);
    if (s.name.startsWith(DETACHED_VARIANT_PREFIX)) {
      // The same cases in processes where an ArrayBuffer has been detached (see detachOneBuffer).
      const det = medianRows([1, 2, 3].map(() => runSuiteForked(s.name, true).rows), s.baseline);
      const base = rows.find((r) => r.name === s.baseline)!.nsPerOp;
      for (const r of det) if (r.name !== s.baseline) rows.push({ ...r, name: `${r.name}${DETACHED_SUFFIX}`, ratio: r.nsPerOp / base });
    }
    const m = rowsMarkdown({ ...s, notes: forks[0]!.notes }, rows);
    console.log(`\n(median of ${forks.length} processes)\n${m}`);
    md.push(m);
  }
  if (!filter || 'alloc'.includes(filter) || filter === 'alloc') {
    const lines = ['## alloc/10M-operations', '', ...allocationFigures()];
    console.log('\n' + lines.join('\n'));
    md.push(lines.join('\n'));
  }
  if (!filter || filter === 'captures') md.push((await captureFigures(Number(process.env.TW_BENCH_PACKETS ?? 1_000_000))).join('\n'));
  const machine = `${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${platform()} ${release()}, Node ${process.version}`;
  const out = [
    '# Benchmark results',
    '',
    `Regenerated by \`npm run bench\` on ${new Date().toISOString()}.`,
    '',
    `Machine: ${machine}.`,
    '',
    'Each case runs many operations per sample (tinybench) and checks its own result; ratios compare with the',
    "suite's baseline measured in the same run. Each suite runs in three processes of its own and each figure is the median of",
    'the three; each case runs in its own compiled loop.',
    '',
    ...md.flatMap((m) => [m, '']),
  ].join('\n');
  if (!filter) writeFileSync(fileURLToPath(new URL('./RESULTS.md', import.meta.url)), out);
  console.log(`\n(sink ${sinkValue() & 1})`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
