// Run fuzz targets over files without the fuzzer (no instrumentation): the committed corpus, a crash
// file, or anything else. Exits 1 on the first violation and prints it with the input in hex.
//   node fuzz/replay.mjs                      every target over fuzz/corpus/<target>/
//   node fuzz/replay.mjs walk FILE_OR_DIR...  one target over the given files / directories
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, dirname, basename } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const targetsDir = join(here, 'targets');
const all = readdirSync(targetsDir).filter((f) => f.endsWith('.fuzz.js')).map((f) => f.replace(/\.fuzz\.js$/, '')).sort();

function filesOf(p) {
  if (statSync(p).isDirectory()) return readdirSync(p).sort().map((f) => join(p, f)).filter((f) => statSync(f).isFile());
  return [p];
}

async function replay(target, paths) {
  const { fuzz } = await import(pathToFileURL(join(targetsDir, `${target}.fuzz.js`)).href);
  let n = 0;
  for (const p of paths.flatMap(filesOf)) {
    const data = readFileSync(p);
    try {
      fuzz(data);
    } catch (e) {
      console.error(`replay: ${target}: ${basename(p)}: ${e && e.stack ? e.stack : e}`);
      console.error(`input (${data.length} bytes): ${data.toString('hex')}`);
      return false;
    }
    n++;
  }
  console.log(`replay: ${target}: ${n} inputs ok`);
  return true;
}

const [, , target, ...paths] = process.argv;
let ok = true;
if (target) {
  if (!all.includes(target)) {
    console.error(`replay: unknown target ${target} (have: ${all.join(', ')})`);
    process.exit(2);
  }
  ok = await replay(target, paths.length ? paths : [join(here, 'corpus', target)]);
} else {
  for (const t of all) ok = (await replay(t, [join(here, 'corpus', t)])) && ok;
}
process.exit(ok ? 0 : 1);
