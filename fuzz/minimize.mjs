// Corpus minimization for one target: libFuzzer's merge, driven from here.
// Jazzer.js 4.0.0's own `-merge=1` re-runs itself through a wrapper that passes --id_sync_file, whose
// lock-file id strategy fails for ES modules ("commitIdCount() is called before startForSourceFile()"),
// so the outer merge loops on failed attempts. Here the inner step (-merge_inner=1) runs in one
// process over every input (no id sync needed: one process numbers its own features), is resumed
// after a crash as libFuzzer does, and the greedy selection (smallest inputs first, keep an input when
// it adds a feature) is done below.
//   node fuzz/minimize.mjs TARGET OUT_DIR IN_DIR...
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, basename, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const [, , target, out, ...ins] = process.argv;
if (!target || !out || ins.length === 0) {
  console.error('usage: node fuzz/minimize.mjs TARGET OUT_DIR IN_DIR...');
  process.exit(2);
}
const files = [];
const byHash = new Set();
for (const d of ins) {
  let names = [];
  try {
    names = readdirSync(d).sort();
  } catch {
    continue;
  }
  for (const n of names) {
    const p = resolve(d, n);
    if (!statSync(p).isFile()) continue;
    const h = createHash('sha1').update(readFileSync(p)).digest('hex');
    if (byHash.has(h)) continue;
    byHash.add(h);
    files.push(p);
  }
}
// Smallest first: the inner step records, per input, only the features no earlier input had.
files.sort((a, b) => statSync(a).size - statSync(b).size || (a < b ? -1 : 1));
const tmp = mkdtempSync(join(tmpdir(), 'tw-merge-'));
const cf = join(tmp, 'control.txt');
writeFileSync(cf, `${files.length}\n0\n${files.join('\n')}\n`);
const jazzer = join(root, 'node_modules', '.bin', 'jazzer');
let done = 0;
for (let attempt = 1; attempt <= 20; attempt++) {
  spawnSync(process.execPath, [jazzer, `fuzz/targets/${target}.fuzz.js`, '--sync', '-i', 'dist/', '--timeout=10000', '--', `-merge_control_file=${cf}`, '-merge_inner=1'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  const text = readFileSync(cf, 'utf8');
  done = (text.match(/^FT /gm) ?? []).length;
  const started = (text.match(/^STARTED /gm) ?? []).length;
  if (started >= files.length) break;
}
// Parse the control file: FT <id> <features...>
const feats = new Map();
for (const line of readFileSync(cf, 'utf8').split('\n')) {
  const m = /^FT (\d+)(.*)$/.exec(line);
  if (m) feats.set(Number(m[1]), m[2].trim() ? m[2].trim().split(' ').map(Number) : []);
}
// Keep every input that brought a feature no smaller input had (libFuzzer's merge of a new corpus).
const keep = [...feats.keys()].filter((i) => feats.get(i).length > 0).sort((a, b) => a - b);
const seen = new Set([...feats.values()].flat());
const crashed = files.length - feats.size;
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
for (const i of keep) {
  const data = readFileSync(files[i]);
  const name = basename(files[i]);
  const keepName = /^seed-/.test(name) || /^[0-9a-f]{40}$/.test(name);
  writeFileSync(join(out, keepName ? name : createHash('sha1').update(data).digest('hex')), data);
}
rmSync(tmp, { recursive: true, force: true });
console.log(`minimize: ${target}: ${files.length} inputs (${done} run, ${crashed} crashed or not run) -> ${keep.length} kept, ${seen.size} features`);
if (crashed > 0) process.exitCode = 1;
