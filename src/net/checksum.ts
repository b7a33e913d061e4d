/**
 * Internet checksum (RFC 1071) and pseudo-header sums (RFC 768 / RFC 9293 / RFC 8200 §8.1).
 *
 * `onesSum` returns the folded 16-bit one's-complement sum (not complemented) so partial sums can be
 * combined; `internetChecksum` returns the complemented checksum to store in a header.
 *
 * Speed: past 64 bytes the sum reads aligned 32-bit words through a `Uint32Array` over the same
 * memory (no copy) and adds them in a double, which holds 2^21 words before a fold is needed. The
 * one's-complement sum is byte-order independent up to a final byte swap (RFC 1071 §2(B)), so
 * summing host-order (little-endian) words and swapping once at the end gives the big-endian result.
 */

/** Is this runtime little-endian (every mainstream one is)? */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Ranges shorter than this use the byte loop (a typed-array view costs more than it saves). */
const WORD_PATH_MIN = 32;
/** Words summed before folding the double accumulator (well under 2^53 / 2^32). */
const FOLD_EVERY_WORDS = 1 << 20;

// Cache of the last view seen: in Node 20 the `buffer` and `byteOffset` getters cost 10-16 ns each,
// as much as summing 64 bytes, and a datapath reuses the same buffers packet after packet.
let lastView: Uint8Array | null = null;
let lastViewOffset = 0;
let lastBuffer: ArrayBufferLike | null = null;
let lastWords: Uint32Array = new Uint32Array(0);

/** Point the cache at `b`: `lastWords` covers its buffer, `lastViewOffset` is its byte offset. */
function cacheView(b: Uint8Array): void {
  const buf = b.buffer;
  if (buf !== lastBuffer) {
    lastBuffer = buf;
    lastWords = new Uint32Array(buf, 0, buf.byteLength >>> 2);
  }
  lastView = b;
  lastViewOffset = b.byteOffset;
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
 * One's-complement sum of `b[start..end)` as big-endian 16-bit words, an odd last byte padded with
 * zero, added to `initial` (a previous folded sum). Returns a value in 0..0xffff (folded, not complemented).
 */
export function onesSum(b: Uint8Array, start = 0, end = b.length, initial = 0): number {
  const len = end - start;
  if (len < WORD_PATH_MIN || !LITTLE_ENDIAN) return sumBytes(b, start, end, initial);
  if (b !== lastView) cacheView(b);
  const absStart = lastViewOffset + start;
  const head = -absStart & 3; // 0..3 bytes before the first aligned word
  const words = (len - head) >>> 2;
  const k = (absStart + head) >>> 2;
  if (k + words > lastWords.length) {
    // The buffer grew (resizable) or was detached since it was cached: sum bytewise.
    lastView = null;
    return sumBytes(b, start, end, initial);
  }
  // Byte j (counted from `start`) weighs 256 when j is even (high byte of a pair), 1 when odd.
  let sum = initial;
  for (let j = 0; j < head; j++) sum += j & 1 ? b[start + j]! : b[start + j]! << 8;
  // Aligned words read little-endian: after folding, a byte at even distance p from the aligned start
  // weighs 1 and at odd p weighs 256. With an even head that is the swapped big-endian sum; with an
  // odd head the parities trade places and it is the big-endian sum as it stands.
  const wsum = words <= FOLD_EVERY_WORDS ? sumWords(lastWords, k, k + words) : sumManyWords(lastWords, k, k + words);
  sum += head & 1 ? wsum : ((wsum & 0xff) << 8) | (wsum >>> 8);
  for (let t = start + head + words * 4; t < end; t++) sum += (t - start) & 1 ? b[t]! : b[t]! << 8;
  return fold(sum);
}

/** Bytewise sum of b[start, end) with an odd last byte padded, folded. */
function sumBytes(b: Uint8Array, start: number, end: number, initial: number): number {
  const even = end - ((end - start) & 1);
  let sum = initial + bytePairs(b, start, even);
  if (even < end) sum += b[even]! << 8;
  return fold(sum);
}

/** Folded sum of w[k, kEnd) (at most FOLD_EVERY_WORDS words) as 32-bit words. */
function sumWords(w: Uint32Array, k: number, kEnd: number): number {
  let a0 = 0;
  let a1 = 0;
  for (; k + 8 <= kEnd; k += 8) {
    a0 += w[k]! + w[k + 1]! + w[k + 2]! + w[k + 3]!;
    a1 += w[k + 4]! + w[k + 5]! + w[k + 6]! + w[k + 7]!;
  }
  for (; k < kEnd; k++) a0 += w[k]!;
  return fold32(a0 + a1);
}

/** {@link sumWords} over any number of words, folding every FOLD_EVERY_WORDS. */
function sumManyWords(w: Uint32Array, k: number, kEnd: number): number {
  let s = 0;
  for (; k < kEnd; k += FOLD_EVERY_WORDS) s += sumWords(w, k, Math.min(kEnd, k + FOLD_EVERY_WORDS));
  return fold(s);
}

/** Fold a sum of 32-bit words (< 2^53) to 16 bits. */
function fold32(x: number): number {
  const lo = x >>> 0; // ToUint32 is exact modulo 2^32 for integers below 2^53
  let s = (lo >>> 16) + (lo & 0xffff) + (x - lo) / 4294967296;
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
  return ~onesSum(b, start, end, initial) & 0xffff;
}

/** Folded sum of the IPv4 pseudo-header: src, dst (4 bytes each at the given offsets), protocol, L4 length. */
export function ipv4PseudoSum(b: Uint8Array, srcAt: number, dstAt: number, protocol: number, l4Length: number): number {
  return fold(((b[srcAt]! << 8) | b[srcAt + 1]!) + ((b[srcAt + 2]! << 8) | b[srcAt + 3]!) + ((b[dstAt]! << 8) | b[dstAt + 1]!) + ((b[dstAt + 2]! << 8) | b[dstAt + 3]!) + protocol + l4Length);
}

/** Folded sum of the IPv6 pseudo-header: src, dst (16 bytes each), upper-layer length (32 bits), next header. */
export function ipv6PseudoSum(b: Uint8Array, srcAt: number, dstAt: number, nextHeader: number, l4Length: number): number {
  return fold(bytePairs(b, srcAt, srcAt + 16) + bytePairs(b, dstAt, dstAt + 16) + Math.floor(l4Length / 0x10000) + (l4Length & 0xffff) + nextHeader);
}
