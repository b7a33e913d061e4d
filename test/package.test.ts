/**
 * Packaging: every published subpath imports through the package name (ESM and CommonJS) from the
 * built dist/, each condition has its own type declarations, the core is free of Node APIs, and
 * publint finds nothing wrong.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const SUBPATHS = Object.keys(pkg.exports).filter((k) => k !== './package.json');

describe('package', () => {
  it('is named tunnelwire, side-effect free, with a tunnelwire bin and the card subpaths', () => {
    expect(pkg.name).toBe('tunnelwire');
    expect(pkg.sideEffects).toBe(false);
    expect(pkg.bin).toEqual({ tunnelwire: 'dist/cli.js' });
    for (const p of ['.', './geneve', './vxlan', './stt', './nvgre', './tlv', './offload-hints']) expect(SUBPATHS).toContain(p);
  });

  it('every subpath has ESM and CJS builds with their own .d.ts / .d.cts', () => {
    for (const p of SUBPATHS) {
      const e = pkg.exports[p];
      for (const f of [e.import.types, e.import.default, e.require.types, e.require.default]) expect(existsSync(join(ROOT, f)), `${p}: ${f}`).toBe(true);
      expect(e.import.types).toMatch(/\.d\.ts$/);
      expect(e.require.types).toMatch(/\.d\.cts$/);
    }
  });

  it('imports and requires through the package name', async () => {
    const req = createRequire(join(ROOT, 'package.json'));
    for (const p of SUBPATHS) {
      const spec = p === '.' ? 'tunnelwire' : `tunnelwire/${p.slice(2)}`;
      // A separate node process resolves the self-reference exactly as a user's code would.
      const esm = execFileSync(process.execPath, ['--input-type=module', '-e', `import * as m from '${spec}'; console.log(Object.keys(m).length)`], { cwd: ROOT, encoding: 'utf8' });
      expect(Number(esm), spec).toBeGreaterThan(0);
      const cjs = req(spec) as Record<string, unknown>;
      expect(Object.keys(cjs).length, spec).toBe(Number(esm));
    }
    const esmVx = execFileSync(process.execPath, ['--input-type=module', '-e', "import { parseVxlan } from 'tunnelwire/vxlan'; console.log(JSON.stringify(parseVxlan(Uint8Array.of(8,0,0,0,0,0,100,0))))"], { cwd: ROOT, encoding: 'utf8' });
    expect(JSON.parse(esmVx)).toEqual({ ok: true, value: { vniValid: true, vni: 100 } });
  });

  it('the library core imports no Node modules (only the CLI, capture/node.ts and port/node.ts do)', () => {
    const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]));
    const core = walk(join(ROOT, 'src')).filter((f) => f.endsWith('.ts') && !f.includes('/cli/') && !f.endsWith('capture/node.ts') && !f.endsWith('port/node.ts'));
    expect(core.length).toBeGreaterThan(20);
    for (const f of core) {
      const src = readFileSync(f, 'utf8');
      expect(src, f).not.toMatch(/from ['"]node:|require\(['"]node:|\bBuffer\.(from|alloc|concat|isBuffer)\b/);
    }
    // capture/index.ts must not pull node.ts in either
    expect(readFileSync(join(ROOT, 'src/capture/index.ts'), 'utf8')).not.toMatch(/node\.js/);
  });

  it('publint finds nothing to fix', () => {
    const out = execFileSync(process.execPath, [join(ROOT, 'node_modules/publint/src/cli.js'), '--strict'], { cwd: ROOT, encoding: 'utf8' });
    expect(out).toMatch(/All good!/);
  });
});
