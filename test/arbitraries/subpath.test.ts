/**
 * Packaging of `tunnelwire/arbitraries`: the subpath is exported with its own ESM/CJS types, resolves
 * through the package name from the built dist/ (as a user's code would, in a separate Node process),
 * works with the user's own fast-check (a peer dependency, not bundled), and no other entry point pulls
 * fast-check in. Needs `npx tsup` first (`npm test` builds).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]));
const IMPORTS_FAST_CHECK = /from\s*["']fast-check["']|require\(\s*["']fast-check["']\s*\)|import\(\s*["']fast-check["']\s*\)/;
/** An import statement of fast-check in TypeScript source (not a mention in a doc comment). */
const SOURCE_IMPORTS_FAST_CHECK = /^\s*(import|export)\b[^\n;]*from\s*["']fast-check["']/m;

const node = (code: string, type: 'module' | 'commonjs'): string =>
  execFileSync(process.execPath, [`--input-type=${type}`, '-e', code], { cwd: ROOT, encoding: 'utf8' });

describe('tunnelwire/arbitraries', () => {
  it('is exported with ESM and CJS builds and their own type declarations; fast-check is a peer dependency', () => {
    const e = pkg.exports['./arbitraries'];
    expect(e).toBeDefined();
    for (const f of [e.import.types, e.import.default, e.require.types, e.require.default]) expect(existsSync(join(ROOT, f)), f).toBe(true);
    expect(e.import.types).toMatch(/\.d\.ts$/);
    expect(e.require.types).toMatch(/\.d\.cts$/);
    expect(pkg.peerDependencies?.['fast-check']).toBeDefined();
    expect(pkg.dependencies?.['fast-check']).toBeUndefined();
  });

  it('imports (ESM) through the package name and fuzzes with the user’s own fast-check', () => {
    const out = node(
      `import * as fc from 'fast-check';
       import * as arb from 'tunnelwire/arbitraries';
       import { walkPacket } from 'tunnelwire/walk';
       fc.assert(fc.property(arb.tunnelFrame(), (f) => walkPacket(f.bytes).errors.length === 0), { numRuns: 60 });
       let n = 0;
       fc.assert(fc.property(arb.nearValid(arb.tunnelFrame({ type: 'geneve' })), ({ bytes, mutation }) => { walkPacket(bytes); n += mutation.kind ? 1 : 0; }), { numRuns: 60 });
       fc.assert(fc.property(arb.geneveHeaderBytes(), ({ bytes }) => bytes.length >= 8), { numRuns: 20 });
       console.log(JSON.stringify({ keys: Object.keys(arb).length, n }));`,
      'module',
    );
    const r = JSON.parse(out) as { keys: number; n: number };
    expect(r.n).toBe(60);
    expect(r.keys).toBeGreaterThan(30);
  });

  it('requires (CJS) through the package name with the same exports', () => {
    const esmKeys = JSON.parse(node(`import * as m from 'tunnelwire/arbitraries'; console.log(JSON.stringify(Object.keys(m).sort()))`, 'module')) as string[];
    const cjs = createRequire(join(ROOT, 'package.json'))('tunnelwire/arbitraries') as Record<string, unknown>;
    expect(Object.keys(cjs).sort()).toEqual(esmKeys);
    const out = node(
      `const fc = require('fast-check');
       const { vxlanHeaderBytes, mutated, tunnelFrame } = require('tunnelwire/arbitraries');
       const { parseVxlan } = require('tunnelwire/vxlan');
       fc.assert(fc.property(vxlanHeaderBytes(), ({ fields, bytes }) => JSON.stringify(parseVxlan(bytes).value) === JSON.stringify(fields)), { numRuns: 50 });
       console.log(fc.sample(mutated(tunnelFrame({ type: 'nvgre' })), 5).length);`,
      'commonjs',
    );
    expect(out.trim()).toBe('5');
  });

  it('only the arbitraries entry imports fast-check: not bundled, and not reachable from the core', () => {
    const dist = walk(join(ROOT, 'dist')).filter((f) => /\.(c?js)$/.test(f));
    const importers = dist.filter((f) => IMPORTS_FAST_CHECK.test(readFileSync(f, 'utf8'))).map((f) => relative(join(ROOT, 'dist'), f));
    expect(importers.sort()).toEqual(['arbitraries/index.cjs', 'arbitraries/index.js']);
    // fast-check's own runner text would show up if it had been bundled instead of imported.
    for (const f of dist) expect(readFileSync(f, 'utf8'), f).not.toContain('Property failed after');
    const src = walk(join(ROOT, 'src')).filter((f) => f.endsWith('.ts') && !f.includes(`${join('src', 'arbitraries')}`));
    for (const f of src) expect(readFileSync(f, 'utf8'), f).not.toMatch(SOURCE_IMPORTS_FAST_CHECK);
    expect(readFileSync(join(ROOT, 'src/arbitraries/index.ts'), 'utf8') + readFileSync(join(ROOT, 'src/arbitraries/fields.ts'), 'utf8')).toMatch(SOURCE_IMPORTS_FAST_CHECK);
  });
});
