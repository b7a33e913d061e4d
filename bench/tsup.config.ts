/**
 * The benchmarks run as bundled JavaScript under plain Node, as users run the library, not through
 * tsx: tsx's module loader runs on a worker thread and transfers each module's source to the main
 * thread, which detaches ArrayBuffers. One detach anywhere in a process invalidates V8's
 * ArrayBuffer-detaching protector, and from then on every typed-array load in optimised code checks
 * whether its buffer was detached (a 64-byte checksum goes from about 15 to 18 ns). run.ts measures
 * the checksum in that state too and prints it as a note.
 */
import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { 'run.built': 'bench/run.ts' },
  outDir: 'bench',
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  splitting: false,
  sourcemap: false,
  dts: false,
  clean: false,
  // The peers load from node_modules as they would in a user's process.
  external: ['tinybench', 'binary-parser', 'buffer-layout'],
});
