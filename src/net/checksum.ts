/**
 * Internet checksum (RFC 1071) and pseudo-header sums (RFC 768 / RFC 9293 / RFC 8200 §8.1).
 *
 * `onesSum` returns the folded 16-bit one's-complement sum (not complemented) so partial sums can be
 * combined (RFC 1071 §2(C), §4.1); `internetChecksum` returns the complemented checksum to store in a
 * header.
 *
 * Speed. The sum is byte-order independent up to a final byte swap (RFC 1071 §2(B)), so every fast
 * path adds host-order (little-endian) words over the same memory and swaps once at the end:
 * - under 32 bytes: a byte loop (building a typed-array view would cost more than it saves);
 * - from 1 KiB (256 bytes when the range is the whole view), when WebAssembly SIMD is available:
 *   the bytes are copied into a small wasm module's memory (~50 GB/s) and summed there with
 *   `i32x4.extadd_pairwise_i16x8_u` (src/net/checksum-simd.wat), 64 KiB at a time;
 * - otherwise aligned 32-bit words through a `Uint32Array` over the buffer, added in a double,
 *   which holds 2^21 words before a fold is needed; the partial words at both ends are masked
 *   rather than summed bytewise.
 * All paths give the same bits for every length, start alignment and `initial` (test/net/checksum*.test.ts).
 */
import { CHECKSUM_SIMD_WASM_HEX } from './checksum-simd.wasm.js';

/** Is this runtime little-endian (every mainstream one is)? The word path is used only if so. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// Thresholds as a const enum, so that they compile to literals: module-level constants are loads
// from the module's context in optimised code, one more load each on the 64-byte path.
const enum C {
  /** Ranges shorter than this use the byte loop (a typed-array view costs more than it saves). */
  WordPathMin = 32,
  /** Whole views from this length go to the SIMD module when it is available. */
  SimdMinView = 256,
  /** Sub-ranges from this length go to the SIMD module (a `subarray` for the copy costs ~35 ns). */
  SimdMinRange = 1024,
  /** A range is copied with the rest of its view (no `subarray`) when the view is at most this much longer. */
  SimdSlack = 1024,
  /** Bytes summed per call into the module: its one 64 KiB page. Even, so chunks keep the byte parity. */
  SimdChunk = 65536,
  /** Words summed before folding the double accumulator (well under 2^53 / 2^32). */
  FoldEveryWords = 1 << 20,
}

/** State of the SIMD module: not tried yet, ready, or unavailable here. */
const enum Simd {
  Untried = 0,
  Ready = 1,
  None = 2,
}

// Cache of the last view seen: in Node 20 the `buffer` and `byteOffset` getters cost 10-16 ns each,
// as much as summing 64 bytes, and a datapath reuses the same buffers packet after packet. The word
// view over its buffer is built on first use (NO_WORDS until then). One constant object rather than
// module-level `let`s: V8 loads each of those with a check, about 2 ns apiece at 64 bytes.
const NO_WORDS: Uint32Array = new Uint32Array(0);
const cache = { view: null as Uint8Array | null, offset: 0, buffer: null as ArrayBufferLike | null, words: NO_WORDS, simd: Simd.Untried as Simd };

/** Point the cache at `b`: its byte offset and buffer (the word view is built when wordSum needs it). */
function cacheView(b: Uint8Array): void {
  const buf = b.buffer;
  if (buf !== cache.buffer) {
    cache.buffer = buf;
    cache.words = NO_WORDS;
  }
  cache.view = b;
  cache.offset = b.byteOffset;
}

/** Byte-loop sum of big-endian 16-bit words of b[start, end) (end - start even), unfolded. */
function bytePairs(b: Uint8Array, start: number, end: number): number {
  let sum = 0;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    sum += ((b[i]! << 8) | b[i + 1]!) + ((b[i + 2]! << 8) | b[i + 3]!) + ((b[i + 4]! << 8) | b[i + 5]!) + ((b[i + 6]! << 8) | b[i + 7]!);
  }
  for (; i < end; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  return sum;
}

/**
 * One's-complement sum of `b[start, end)` (byte indices into the view `b`) as big-endian 16-bit words,
 * an odd last byte padded with a zero byte (RFC 1071 §1, §4.1), added to `initial` (a previous folded
 * sum, 0..0xffff, or any non-negative integer below 2^53). Returns the sum folded to 0..0xffff, not
 * complemented. Splitting a range at even offsets and combining with `fold(a + b)` or `initial` gives
 * the same result (RFC 1071 §2(C)). Indices are not checked: keep 0 <= start <= end <= b.length.
 */
export function onesSum(b: Uint8Array, start = 0, end = b.length, initial = 0): number {
  return sumRange(b, start, end, initial);
}

/** onesSum without default arguments (what internetChecksum calls: less bytecode for V8 to inline). */
function sumRange(b: Uint8Array, start: number, end: number, initial: number): number {
  const len = end - start;
  if (len < C.WordPathMin) return sumBytes(b, start, end, initial);
  if (b !== cache.view) cacheView(b);
  if (len >= C.SimdMinView && cache.simd !== Simd.None) {
    const s = simdSum(b, start, end, len, initial);
    if (s >= 0) return s;
  }
  return wordSum(b, start, end, initial);
}

/**
 * Aligned 32-bit words of the buffer, added in a double. The first and last words may hold bytes
 * outside `[start, end)` (but inside the buffer): the first word's leading bytes are subtracted and
 * the last word is masked, which avoids byte loops at both ends. Read little-endian and folded, a
 * byte weighs 1 at an even absolute address and 256 at an odd one (2^16 = 1 modulo 0xffff), so with
 * an even absolute start the folded sum is the byte-swapped big-endian sum, and with an odd start it
 * is the big-endian sum as it stands.
 */
function wordSum(b: Uint8Array, start: number, end: number, initial: number): number {
  const w = cache.words;
  const abs = cache.offset + start;
  const stop = abs + (end - start);
  let j = abs >>> 2;
  const jEnd = stop >>> 2;
  if ((stop + 3) >>> 2 > w.length || jEnd - j > C.FoldEveryWords) return wordSumOther(b, start, end, initial);
  // Kept small (in bytecode) so that V8 inlines it, with onesSum, into the caller: short ranges are
  // common (headers, small packets) and a call would cost as much as the sum.
  let a0 = -(w[j]! & ((1 << ((abs & 3) << 3)) - 1)); // bytes of the first word before `start`
  let a1 = (stop & 3) === 0 ? 0 : w[jEnd]! & ((1 << ((stop & 3) << 3)) - 1); // bytes of the last word before `end`
  // Eight words in one expression: V8 adds them in 64-bit integers and converts once to the double
  // accumulator (64 B: 16.4 -> 15.1 ns against two accumulators of two words each).
  for (; j + 8 <= jEnd; j += 8) a0 += w[j]! + w[j + 1]! + w[j + 2]! + w[j + 3]! + w[j + 4]! + w[j + 5]! + w[j + 6]! + w[j + 7]!;
  for (; j < jEnd; j++) a1 += w[j]!;
  const s = fold32(a0 + a1); // >= 0: the first word, counted whole, holds the bytes subtracted
  return fold(((abs & 1) === 0 ? ((s & 0xff) << 8) | (s >>> 8) : s) + initial);
}

/**
 * The cases wordSum leaves: the word view not built yet (built here, then wordSum), a buffer that
 * shrank or was detached since it was cached (summed bytewise), and ranges over FoldEveryWords words
 * (4 MiB, without the SIMD module): summed by wordSum in 4 MiB pieces, whose sums combine because
 * each piece has an even length (RFC 1071 §2(C)).
 */
function wordSumOther(b: Uint8Array, start: number, end: number, initial: number): number {
  const stop = cache.offset + end;
  if (cache.words === NO_WORDS && LITTLE_ENDIAN) {
    const buf = cache.buffer!;
    cache.words = new Uint32Array(buf, 0, buf.byteLength >>> 2);
    if ((stop + 3) >>> 2 <= cache.words.length) return wordSum(b, start, end, initial);
  }
  if ((stop + 3) >>> 2 > cache.words.length) {
    cache.view = null;
    return sumBytes(b, start, end, initial);
  }
  let s = initial;
  for (let at = start; at < end; at += C.FoldEveryWords * 4) s = wordSum(b, at, Math.min(end, at + C.FoldEveryWords * 4), s);
  return s;
}

// The SIMD module, instantiated synchronously on first use (318 bytes: well under the 4 KiB that
// browsers allow on the main thread). Where WebAssembly or its SIMD proposal is missing, or a policy
// forbids compiling, the word loop serves instead.
let simdMem: Uint8Array = new Uint8Array(0);
let simdFn: (start: number, end: number) => number = () => -1;

/** The part of the WebAssembly JS API used here (the library's `lib` setting has no DOM types). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
}
declare const WebAssembly: WasmApi | undefined;

function simdInit(): boolean {
  cache.simd = Simd.None;
  try {
    const hex = CHECKSUM_SIMD_WASM_HEX;
    const bytes = new Uint8Array(hex.length >>> 1);
    for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
    const api = typeof WebAssembly === 'undefined' ? undefined : WebAssembly;
    if (!api) return false;
    const inst = new api.Instance(new api.Module(bytes), {});
    simdMem = new Uint8Array((inst.exports.mem as { readonly buffer: ArrayBuffer }).buffer);
    simdFn = inst.exports.sum as (start: number, end: number) => number;
    if (simdMem.length < C.SimdChunk || simdFn(0, 0) !== 0) return false;
    cache.simd = Simd.Ready;
    return true;
  } catch {
    return false;
  }
}

/**
 * Sum of b[start, end) (len = end - start >= 256) in the SIMD module, big-endian, added to `initial`
 * and folded; -1 when the module is unavailable or the range is too short for it to pay.
 */
function simdSum(b: Uint8Array, start: number, end: number, len: number, initial: number): number {
  if (cache.simd !== Simd.Ready && !simdInit()) return -1;
  const mem = simdMem;
  const view = b.length;
  let s: number;
  if (view <= C.SimdChunk && view - len <= Math.min(C.SimdSlack, len)) {
    // Copy the whole view (no allocation) and sum the range where it landed.
    mem.set(b);
    s = simdFn(start, end);
  } else if (len < C.SimdMinRange) {
    return -1;
  } else {
    s = 0;
    for (let at = start; at < end; at += C.SimdChunk) {
      const n = Math.min(C.SimdChunk, end - at);
      mem.set(b.subarray(at, at + n));
      s += simdFn(0, n);
    }
    s = fold(s);
  }
  return fold((((s & 0xff) << 8) | (s >>> 8)) + initial);
}

/** Bytewise sum of b[start, end) with an odd last byte padded, folded. */
function sumBytes(b: Uint8Array, start: number, end: number, initial: number): number {
  const even = end - ((end - start) & 1);
  let sum = initial + bytePairs(b, start, even);
  if (even < end) sum += b[even]! << 8;
  return fold(sum);
}

/** Fold a sum of 32-bit words (< 2^53) to 16 bits. */
function fold32(x: number): number {
  const lo = x >>> 0; // ToUint32 is exact modulo 2^32 for integers below 2^53
  let s = (lo >>> 16) + (lo & 0xffff) + (x - lo) * 2.3283064365386963e-10; // exact: 2^-32
  s = (s >>> 16) + (s & 0xffff);
  return (s >>> 16) + (s & 0xffff);
}

/** Fold a wide sum (a non-negative integer below 2^53) to 16 bits with end-around carry. */
export function fold(sum: number): number {
  if (sum > 0xffffffff) sum = fold32(sum);
  sum = (sum >>> 16) + (sum & 0xffff);
  return (sum >>> 16) + (sum & 0xffff);
}

/** The checksum to store: `~onesSum(...) & 0xffff`. */
export function internetChecksum(b: Uint8Array, start = 0, end = b.length, initial = 0): number {
  return ~sumRange(b, start, end, initial) & 0xffff;
}

/** Folded sum of the IPv4 pseudo-header: src, dst (4 bytes each at the given offsets), protocol, L4 length. */
export function ipv4PseudoSum(b: Uint8Array, srcAt: number, dstAt: number, protocol: number, l4Length: number): number {
  return fold(((b[srcAt]! << 8) | b[srcAt + 1]!) + ((b[srcAt + 2]! << 8) | b[srcAt + 3]!) + ((b[dstAt]! << 8) | b[dstAt + 1]!) + ((b[dstAt + 2]! << 8) | b[dstAt + 3]!) + protocol + l4Length);
}

/** Folded sum of the IPv6 pseudo-header: src, dst (16 bytes each), upper-layer length (32 bits), next header. */
export function ipv6PseudoSum(b: Uint8Array, srcAt: number, dstAt: number, nextHeader: number, l4Length: number): number {
  return fold(bytePairs(b, srcAt, srcAt + 16) + bytePairs(b, dstAt, dstAt + 16) + Math.floor(l4Length / 0x10000) + (l4Length & 0xffff) + nextHeader);
}
