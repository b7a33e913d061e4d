/** Helpers shared by the offload tests (independent of src/: a naive RFC 1071 sum, deterministic bytes). */

import { fakePacket } from '../capture/util.js';

/** Naive RFC 1071 §1 sum over concatenated parts: 16-bit big-endian words with end-around carry. */
export function naiveSum(parts: ArrayLike<number>[]): number {
  const all: number[] = [];
  for (const p of parts) for (let i = 0; i < p.length; i++) all.push(p[i]!);
  if (all.length % 2) all.push(0);
  let s = 0;
  for (let i = 0; i < all.length; i += 2) {
    s += all[i]! * 256 + all[i + 1]!;
    if (s > 0xffff) s = (s & 0xffff) + 1;
  }
  return s;
}

/** `b[s, e)` as a plain number array. */
export const slice = (b: Uint8Array, s: number, e: number): number[] => Array.from(b.subarray(s, e));

/** Byte equality without vitest's per-element diff (slow on 64 KiB). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** `len` deterministic pseudo-random bytes from `seed`: the capture tests' generator (xorshift32). */
export const fill: (len: number, seed: number) => Uint8Array = fakePacket;
