// Shared helpers of the fuzz targets: invariant checks that throw, so that the fuzzer reports a finding.
// Targets import the built library from dist/ (run `npx tsup` first).

/** An invariant the library broke (a finding). */
export class Violation extends Error {
  constructor(message, detail) {
    super(detail === undefined ? message : `${message}\n${show(detail)}`);
    this.name = 'FuzzViolation';
  }
}

/** Throw a {@link Violation} unless `cond`. */
export function check(cond, message, detail) {
  if (!cond) throw new Violation(message, detail);
}

const KINDS = new Set([
  'truncated',
  'length-overrun',
  'bad-length',
  'bad-version',
  'bad-flags',
  'reserved-nonzero',
  'bad-checksum',
  'bad-value',
  'unsupported',
  'depth-exceeded',
]);
const LAYERS = new Set([
  'link', 'eth', 'vlan', 'sll', 'ipv4', 'ipv6', 'udp', 'tcp', 'gre', 'vxlan', 'vxlan-gpe', 'geneve', 'nvgre',
  'stt', 'arp', 'icmp', 'icmpv6', 'walk', 'pcap', 'pcapng',
]);

/**
 * A decoder error must be a plain WireError: a known kind and layer, `at` an integer in [lo, hi],
 * a string field and allowed text, a finite numeric `found`.
 */
export function checkWireError(e, lo, hi, what = 'error') {
  check(e !== null && typeof e === 'object' && !(e instanceof Error), `${what}: not a plain WireError object`, e);
  check(KINDS.has(e.kind), `${what}: unknown kind`, e);
  check(LAYERS.has(e.layer), `${what}: unknown layer`, e);
  check(Number.isInteger(e.at) && e.at >= lo && e.at <= hi, `${what}: at ${e.at} outside [${lo}, ${hi}]`, e);
  check(typeof e.field === 'string' && e.field.length > 0, `${what}: field`, e);
  check(typeof e.found === 'number' && Number.isFinite(e.found), `${what}: found not a finite number`, e);
  check(typeof e.allowed === 'string' && e.allowed.length > 0, `${what}: allowed`, e);
}

/** A Result is `{ ok: true, value }` or `{ ok: false, error: WireError }` with the error within [lo, hi]. */
export function checkResult(r, lo, hi, what) {
  check(r !== null && typeof r === 'object' && typeof r.ok === 'boolean', `${what}: not a Result`, r);
  if (!r.ok) checkWireError(r.error, lo, hi, what);
  return r;
}

/** A subarray that must lie inside `bytes[lo, hi)` (same buffer). */
export function checkAlias(sub, bytes, lo, hi, what) {
  check(sub instanceof Uint8Array, `${what}: not a Uint8Array`, sub);
  check(sub.buffer === bytes.buffer, `${what}: does not alias the input`);
  const start = sub.byteOffset - bytes.byteOffset;
  check(start >= lo && start + sub.length <= hi, `${what}: [${start}, ${start + sub.length}) outside [${lo}, ${hi})`);
}

/** Stable text of a value for equality checks (bigints, byte arrays, nested objects). */
export function show(v) {
  return JSON.stringify(v, function (k, x) {
    const orig = this[k]; // before toJSON (a Buffer would arrive as {type, data})
    if (typeof orig === 'bigint') return `${orig}n`;
    if (orig instanceof Uint8Array) return `hex:${Buffer.from(orig.buffer, orig.byteOffset, orig.length).toString('hex')}`;
    if (orig === undefined) return '<undefined>';
    return x;
  });
}

/** Deep equality through {@link show}. */
export function same(a, b) {
  return show(a) === show(b);
}

/** A copy of `bytes` with every byte outside [lo, hi) inverted: decoding [lo, hi) must not see them. */
export function invertOutside(bytes, lo, hi) {
  const c = Uint8Array.from(bytes);
  for (let i = 0; i < c.length; i++) if (i < lo || i >= hi) c[i] ^= 0xff;
  return c;
}

/**
 * Split a fuzz input into control bytes and the bytes to decode. Layout: byte 0 = mode bits, byte 1 =
 * offset (clamped to the data), byte 2 = bytes cut from the end; the rest is the data (whole data
 * decoded with `offset = 0, end = length` when bytes 1 and 2 are 0, as in the seeds).
 */
export function frame(data) {
  const mode = data.length > 0 ? data[0] : 0;
  const bytes = new Uint8Array(data.buffer, data.byteOffset + Math.min(3, data.length), Math.max(0, data.length - 3));
  const offset = data.length > 1 ? Math.min(data[1], bytes.length) : 0;
  const cut = data.length > 2 ? data[2] : 0;
  const end = Math.max(offset, bytes.length - cut);
  return { mode, bytes: Uint8Array.from(bytes), offset, end };
}

/** Read a little state machine of small integers from the bytes (for sequences of calls). */
export class Reader {
  constructor(bytes) {
    this.b = bytes;
    this.i = 0;
  }
  get left() {
    return this.b.length - this.i;
  }
  u8() {
    return this.i < this.b.length ? this.b[this.i++] : 0;
  }
  u16() {
    return (this.u8() << 8) | this.u8();
  }
  u32() {
    return ((this.u16() << 16) | this.u16()) >>> 0;
  }
  bytes(n) {
    const k = Math.min(n, this.left);
    const s = this.b.subarray(this.i, this.i + k);
    this.i += k;
    return s;
  }
}
