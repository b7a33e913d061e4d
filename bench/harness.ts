/**
 * Benchmark harness on tinybench: every case runs `batch` operations per sample so ns-scale work is
 * not drowned by timer overhead, reports ns/op, ops/s, bytes/s where a case moves bytes, and its ratio
 * to the suite's baseline measured in the same run. Each case checks its own result (msgpack's "wrong
 * result!") so a broken fast path cannot look fast.
 */
import { Bench } from 'tinybench';

export interface Case {
  readonly name: string;
  /** One operation; returns a value that is accumulated into a sink and checked. */
  readonly fn: () => number;
  /** Bytes one operation processes (for GB/s). */
  readonly bytes?: number;
  /** Expected value of one `fn()` call (checked before timing). */
  readonly expect?: number;
}

export interface Suite {
  readonly name: string;
  /** Name of the case the others are compared with. */
  readonly baseline: string;
  readonly cases: readonly Case[];
  /** Operations per sample (default: enough for ~20 µs). */
  readonly batch?: number;
  /** Extra lines printed under the table (e.g. heap growth). */
  notes?: string[];
}

export interface Row {
  suite: string;
  name: string;
  nsPerOp: number;
  opsPerSec: number;
  gbPerSec?: number;
  ratio: number;
  baseline: string;
}

let sink = 0;

/** How long each case's calls run before its batch size is measured (long enough for TurboFan). */
const CALIBRATE_WARM_MS = 50;
/** How long the timed calibration calls run (ns). */
const CALIBRATE_NS = 2_000_000;

/** Run one suite; prints its table and returns its rows. */
export async function runSuite(s: Suite, timeMs = 400): Promise<Row[]> {
  for (const c of s.cases) {
    const v = c.fn();
    if (c.expect !== undefined && v !== c.expect) throw new Error(`${s.name}/${c.name}: wrong result ${v}, expected ${c.expect}`);
  }
  const rows: Row[] = [];
  const bench = new Bench({ time: timeMs, warmupTime: 100 });
  const batches = new Map<string, number>();
  for (const c of s.cases) {
    // Size the batch so one sample takes ~20 µs, from the speed of optimised code: calls are warmed
    // up for CALIBRATE_WARM_MS first. Timed cold, the first calls run in the interpreter at 1-5 µs
    // each, which gave batches of 4-25 operations, and the timer's ~100 ns per sample was then
    // charged to a handful of operations (a 64-byte checksum read 20-46 ns instead of ~15).
    const warmEnd = performance.now() + CALIBRATE_WARM_MS;
    do sink += c.fn();
    while (performance.now() < warmEnd);
    let calls = 0;
    let elapsed = 0;
    const t0 = process.hrtime.bigint();
    do {
      for (let i = 0; i < 100; i++) sink += c.fn();
      calls += 100;
      elapsed = Number(process.hrtime.bigint() - t0);
    } while (elapsed < CALIBRATE_NS);
    const per = elapsed / calls;
    const batch = s.batch ?? Math.max(1, Math.min(100_000, Math.round(20_000 / Math.max(per, 0.5))));
    batches.set(c.name, batch);
    // Each case gets its own compiled batch loop (as benchmark.js compiles each test): a loop shared
    // by every case would see every case's function at one call site, stop inlining any of them, and
    // charge each the same call overhead.
    // The source names the case: V8 caches compiled `new Function` code by its source text, and
    // identical sources would share one feedback vector (one call site seeing every case's function).
    // The per-sample wrapper that tinybench times is compiled the same way, for the same reason.
    const tag = JSON.stringify(`${s.name}/${c.name}`).replace(/\*\//g, '');
    const loop = new Function('fn', 'batch', `/* ${tag} */ return function batchLoop() { let acc = 0; for (let i = 0; i < batch; i++) acc += fn(); return acc; };`)(c.fn, batch) as () => number;
    const sample = new Function('loop', 'add', `/* ${tag} */ return function sample() { add(loop()); };`)(loop, (x: number) => {
      sink += x;
    }) as () => void;
    bench.add(c.name, sample);
  }
  await bench.run();
  const ns = new Map<string, number>();
  for (const t of bench.tasks) {
    const r = t.result as { state: string; latency?: { mean: number } };
    if (r.state !== 'completed' || !r.latency) throw new Error(`${s.name}/${t.name}: ${r.state}`);
    ns.set(t.name, (r.latency.mean * 1e6) / batches.get(t.name)!);
  }
  const base = ns.get(s.baseline)!;
  for (const c of s.cases) {
    const n = ns.get(c.name)!;
    const row: Row = { suite: s.name, name: c.name, nsPerOp: n, opsPerSec: 1e9 / n, ratio: n / base, baseline: s.baseline };
    if (c.bytes) row.gbPerSec = c.bytes / n;
    rows.push(row);
  }
  printRows(s, rows);
  return rows;
}

export function fmtNum(x: number): string {
  if (x >= 1e9) return `${(x / 1e9).toFixed(2)}G`;
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)}k`;
  return x.toFixed(1);
}

function printRows(s: Suite, rows: Row[]): void {
  const lines = [`\n## ${s.name}`, '', '| case | ns/op | ops/s | GB/s | vs ' + s.baseline + ' |', '|---|---:|---:|---:|---:|'];
  for (const r of rows) {
    const rel = r.name === s.baseline ? 'baseline' : r.ratio >= 1 ? `${r.ratio.toFixed(2)}x slower` : `${(1 / r.ratio).toFixed(2)}x faster`;
    lines.push(`| ${r.name} | ${r.nsPerOp.toFixed(1)} | ${fmtNum(r.opsPerSec)} | ${r.gbPerSec ? r.gbPerSec.toFixed(2) : ''} | ${rel} |`);
  }
  for (const n of s.notes ?? []) lines.push('', n);
  console.log(lines.join('\n'));
}

/** Markdown of a suite's rows (for RESULTS.md). */
export function rowsMarkdown(s: Suite, rows: Row[]): string {
  const lines = [`## ${s.name}`, '', `| case | ns/op | ops/s | GB/s | vs ${s.baseline} |`, '|---|---:|---:|---:|---:|'];
  for (const r of rows) {
    const rel = r.name === s.baseline ? 'baseline' : r.ratio >= 1 ? `${r.ratio.toFixed(2)}x slower` : `${(1 / r.ratio).toFixed(2)}x faster`;
    lines.push(`| ${r.name} | ${r.nsPerOp.toFixed(1)} | ${fmtNum(r.opsPerSec)} | ${r.gbPerSec ? r.gbPerSec.toFixed(2) : ''} | ${rel} |`);
  }
  for (const n of s.notes ?? []) lines.push('', n);
  return lines.join('\n');
}

/** Keep the sink observable so no case is optimised away. */
export function sinkValue(): number {
  return sink;
}
