/**
 * Synchronous, complete writes to standard output for the CLI's byte buffers: `writeSync` until every
 * byte is out, waiting briefly when a non-blocking pipe is full (EAGAIN). A reader that went away
 * (EPIPE, e.g. `| head`) ends the process quietly with status 0, as tcpdump does.
 */
import { writeSync } from 'node:fs';

const pause = new Int32Array(new SharedArrayBuffer(4));

export function writeStdout(bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) {
    try {
      off += writeSync(1, bytes, off, bytes.length - off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        Atomics.wait(pause, 0, 0, 1);
        continue;
      }
      if (code === 'EPIPE') process.exit(0);
      throw e;
    }
  }
}
