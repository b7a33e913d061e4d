/**
 * Byte helpers shared by every codec: big-endian reads and writes on `Uint8Array` with shifts
 * (no per-call `DataView`), range assertions for encoders, and text forms of addresses.
 *
 * Reads do not bounds-check (a `Uint8Array` read past the end yields `undefined`, 0 in bit
 * operations): callers check lengths first. Writes assert ranges because typed arrays wrap silently.
 */

/** Read a big-endian 16-bit unsigned integer at `i`. */
export function u16(b: Uint8Array, i: number): number {
  return (b[i]! << 8) | b[i + 1]!;
}

/** Read a big-endian 24-bit unsigned integer at `i`. */
export function u24(b: Uint8Array, i: number): number {
  return (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
}

/** Read a big-endian 32-bit unsigned integer at `i`. */
export function u32(b: Uint8Array, i: number): number {
  return ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
}

/** Read a big-endian 64-bit unsigned integer at `i` as a bigint. */
export function u64(b: Uint8Array, i: number): bigint {
  return (BigInt(u32(b, i)) << 32n) | BigInt(u32(b, i + 4));
}

/** Write a big-endian 16-bit value (caller asserts the range). */
export function put16(b: Uint8Array, i: number, v: number): void {
  b[i] = v >>> 8;
  b[i + 1] = v;
}

/** Write a big-endian 24-bit value (caller asserts the range). */
export function put24(b: Uint8Array, i: number, v: number): void {
  b[i] = v >>> 16;
  b[i + 1] = v >>> 8;
  b[i + 2] = v;
}

/** Write a big-endian 32-bit value (caller asserts the range). */
export function put32(b: Uint8Array, i: number, v: number): void {
  b[i] = v >>> 24;
  b[i + 1] = v >>> 16;
  b[i + 2] = v >>> 8;
  b[i + 3] = v;
}

/** Write a big-endian 64-bit bigint. @throws RangeError outside 0..2^64-1. */
export function put64(b: Uint8Array, i: number, v: bigint): void {
  if (v < 0n || v > 0xffffffffffffffffn) throw new RangeError(`value ${v} does not fit in 64 bits`);
  put32(b, i, Number(v >> 32n));
  put32(b, i + 4, Number(v & 0xffffffffn));
}

/** @throws RangeError unless `v` is an integer in `0 .. 2^bits - 1`. */
export function assertUint(v: number, bits: number, name: string): void {
  if (!Number.isInteger(v) || v < 0 || v > 2 ** bits - 1) {
    throw new RangeError(`${name} must be an integer in 0..${2 ** bits - 1} (${bits} bits), got ${v}`);
  }
}

/** @throws RangeError unless `out` has `need` bytes from `offset`. */
export function assertRoom(out: Uint8Array, offset: number, need: number, what: string): void {
  if (!Number.isInteger(offset) || offset < 0 || offset + need > out.length) {
    throw new RangeError(`${what}: need ${need} bytes at offset ${offset}, buffer has ${out.length}`);
  }
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lower-case hex of `b[start..end)` without separators. */
export function toHex(b: Uint8Array, start = 0, end = b.length): string {
  let s = '';
  for (let i = start; i < end; i++) s += HEX[b[i]!]!;
  return s;
}

/** Parse even-length hex (spaces and colons ignored). @throws RangeError on bad input. */
export function fromHex(hex: string): Uint8Array {
  const s = hex.replace(/[\s:]/g, '').replace(/^0x/i, '');
  if (s.length % 2 !== 0 || /[^0-9a-f]/i.test(s)) throw new RangeError(`not an even-length hex string: ${hex}`);
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.substr(i * 2, 2), 16);
  return out;
}

/** A MAC address at `i` as lower-case colon hex (`00:11:22:aa:bb:cc`). */
export function formatMac(b: Uint8Array, i: number): string {
  return `${HEX[b[i]!]}:${HEX[b[i + 1]!]}:${HEX[b[i + 2]!]}:${HEX[b[i + 3]!]}:${HEX[b[i + 4]!]}:${HEX[b[i + 5]!]}`;
}

/** Parse `aa:bb:cc:dd:ee:ff` (or `-` separators) into 6 bytes. @throws RangeError. */
export function macFromText(s: string): Uint8Array {
  const parts = s.split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-f]{1,2}$/i.test(p))) throw new RangeError(`not a MAC address: ${s}`);
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

/** An IPv4 address at `i` in dotted-quad form. */
export function formatIpv4(b: Uint8Array, i: number): string {
  return `${b[i]}.${b[i + 1]}.${b[i + 2]}.${b[i + 3]}`;
}

/** Parse a dotted-quad IPv4 address. @throws RangeError. */
export function ipv4FromText(s: string): Uint8Array {
  const parts = s.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) throw new RangeError(`not an IPv4 address: ${s}`);
  return Uint8Array.from(parts.map(Number));
}

/**
 * The run of zero 16-bit groups that RFC 5952 §4.2 compresses to `::` in the IPv6 address at `i`: the
 * longest run of two or more (the first of equal ones), as `start << 4 | length` (start 0..7 in
 * groups, length 2..8), or -1 when no run of two groups is zero. Allocates nothing.
 */
export function ipv6ZeroRun(b: Uint8Array, i: number): number {
  let bestStart = -1;
  let bestLen = 1;
  for (let k = 0; k < 8; ) {
    if (b[i + 2 * k] !== 0 || b[i + 2 * k + 1] !== 0) {
      k++;
      continue;
    }
    let j = k;
    while (j < 8 && b[i + 2 * j] === 0 && b[i + 2 * j + 1] === 0) j++;
    if (j - k > bestLen) {
      bestStart = k;
      bestLen = j - k;
    }
    k = j;
  }
  return bestStart < 0 ? -1 : (bestStart << 4) | bestLen;
}

/** An IPv6 address at `i` in RFC 5952 canonical text (longest zero run compressed, lower case). */
export function formatIpv6(b: Uint8Array, i: number): string {
  const w: number[] = [];
  for (let k = 0; k < 8; k++) w.push(u16(b, i + 2 * k));
  const run = ipv6ZeroRun(b, i);
  const bestStart = run < 0 ? -1 : run >>> 4;
  const bestLen = run < 0 ? 0 : run & 15;
  // IPv4-mapped (::ffff:a.b.c.d) keeps the dotted tail, as inet_ntop does.
  if (bestStart === 0 && bestLen === 5 && w[5] === 0xffff) return `::ffff:${formatIpv4(b, i + 12)}`;
  const hex = (k: number): string => w[k]!.toString(16);
  if (bestStart < 0) return w.map((_, k) => hex(k)).join(':');
  const head = w.slice(0, bestStart).map((_, k) => hex(k)).join(':');
  const tail = w.slice(bestStart + bestLen).map((_, k) => hex(bestStart + bestLen + k)).join(':');
  return `${head}::${tail}`;
}

/** Parse IPv6 text (with `::` and an optional dotted IPv4 tail). @throws RangeError. */
export function ipv6FromText(s: string): Uint8Array {
  const bad = (): never => {
    throw new RangeError(`not an IPv6 address: ${s}`);
  };
  let text = s;
  const tail: number[] = [];
  const dot = text.lastIndexOf('.');
  if (dot >= 0) {
    const colon = text.lastIndexOf(':');
    const v4 = ipv4FromText(text.slice(colon + 1));
    tail.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    text = text.slice(0, colon + 1) + '0';
    tail.length === 2 || bad();
  }
  const halves = text.split('::');
  if (halves.length > 2) bad();
  const parse = (h: string): number[] =>
    h === '' ? [] : h.split(':').map((p) => (/^[0-9a-f]{1,4}$/i.test(p) ? parseInt(p, 16) : bad()));
  const head = parse(halves[0]!);
  let words: number[];
  if (halves.length === 2) {
    const rest = parse(halves[1]!);
    if (tail.length) rest.pop();
    const fill = 8 - head.length - rest.length - tail.length;
    if (fill < 1) bad();
    words = [...head, ...new Array<number>(fill).fill(0), ...rest, ...tail];
  } else {
    if (tail.length) head.pop();
    words = [...head, ...tail];
  }
  if (words.length !== 8) bad();
  const out = new Uint8Array(16);
  words.forEach((w, k) => put16(out, 2 * k, w));
  return out;
}

/** Parse an IPv4 or IPv6 address; returns 4 or 16 bytes. @throws RangeError. */
export function ipFromText(s: string): Uint8Array {
  return s.includes(':') ? ipv6FromText(s) : ipv4FromText(s);
}
