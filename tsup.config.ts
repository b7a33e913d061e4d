import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'net/index': 'src/net/index.ts',
    'geneve/index': 'src/geneve/index.ts',
    'vxlan/index': 'src/vxlan/index.ts',
    'stt/index': 'src/stt/index.ts',
    'nvgre/index': 'src/nvgre/index.ts',
    'tlv/index': 'src/tlv/index.ts',
    'offload-hints/index': 'src/offload-hints/index.ts',
    'walk/index': 'src/walk/index.ts',
    'capture/index': 'src/capture/index.ts',
    'capture/node': 'src/capture/node.ts',
    'port/index': 'src/port/index.ts',
    'port/node': 'src/port/node.ts',
    'arbitraries/index': 'src/arbitraries/index.ts',
    cli: 'src/cli/main.ts',
    // Not a public subpath: built for the fuzz target of the CLI's byte-level output path.
    'cli/fastline': 'src/cli/fastline.ts',
  },
  format: ['esm', 'cjs'],
  // Node types for the CLI and capture/node entries; the core is checked without them by `tsc -p tsconfig.json`.
  dts: { compilerOptions: { types: ['node'] } },
  sourcemap: true,
  clean: true,
  target: 'es2020',
  splitting: true,
  shims: false,
});
