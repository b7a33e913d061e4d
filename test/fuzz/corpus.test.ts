/**
 * Fuzz regression: every input of the committed fuzz corpus (fuzz/corpus/<target>/, seeded from the
 * shared captures and grown by Jazzer.js, see fuzz/README.md) still passes its target's invariants.
 * The targets run on the built dist/ (as they do under the fuzzer), without instrumentation.
 * Findings the fuzzer makes get their own tests next to this one, expecting the correct behaviour.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TARGETS = join(ROOT, 'fuzz', 'targets');
const CORPUS = join(ROOT, 'fuzz', 'corpus');
const targets = readdirSync(TARGETS)
  .filter((f) => f.endsWith('.fuzz.js'))
  .map((f) => f.replace(/\.fuzz\.js$/, ''))
  .sort();

describe('fuzz corpus replay', () => {
  it('has a target per fuzzed part and a corpus per target', () => {
    for (const t of ['capture', 'fastline', 'geneve', 'gre', 'net', 'stt', 'stt-reassembly', 'tlv', 'vxlan', 'walk']) expect(targets).toContain(t);
    for (const t of targets) expect(existsSync(join(CORPUS, t)), `fuzz/corpus/${t}`).toBe(true);
  });

  for (const t of targets) {
    it(`${t}: every corpus input passes the target's invariants`, async () => {
      expect(existsSync(join(ROOT, 'dist', 'walk', 'index.js')), 'dist/ is built (npx tsup)').toBe(true);
      const url: string = pathToFileURL(join(TARGETS, `${t}.fuzz.js`)).href;
      const mod = (await import(url)) as { fuzz: (data: Buffer) => void };
      const files = readdirSync(join(CORPUS, t)).sort();
      expect(files.length).toBeGreaterThan(0);
      for (const f of files) {
        const data = readFileSync(join(CORPUS, t, f));
        expect(() => mod.fuzz(data), `${t}/${f} (${data.toString('hex')})`).not.toThrow();
      }
    });
  }
});
