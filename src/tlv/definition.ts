/**
 * Typed Geneve option definitions (RFC 8926 §3.5): one description of an option's data, from which the
 * registry derives a zero-copy field reader, a writer, validation, a JSON form and a fast-check
 * arbitrary.
 *
 * A declarative definition lists named fields with bit widths, most significant first, exactly as a
 * user describes a tag ("1 reserved bit, 15-bit ingress port, 16-bit egress port"):
 *
 * ```ts
 * defineOption({ name: 'ovn.ports', optionClass: 0x0102, type: 0x80,
 *   fields: [{ name: 'reserved', bits: 1, reserved: true }, { name: 'ingressPort', bits: 15 }, { name: 'egressPort', bits: 16 }] });
 * ```
 * Bit fields pack MSB-first with no padding; their total must be a multiple of 32 (option data is
 * counted in 4-byte words). A field of up to 53 bits is a `number`, 54..64 bits a `bigint`. One last
 * `{ name, bytes: 'rest' }` field takes the remaining data (variable length, a multiple of 4 bytes);
 * `{ name, bytes: N }` is fixed opaque bytes. Reserved fields are written as 0 and not part of the value.
 * Odd formats can be written by hand as an {@link OptionCodec}.
 */
import { toHex, fromHex } from '../net/bytes.js';
import { err, ok, wireError, type Result } from '../net/errors.js';

/** A bit field of a declarative definition. */
export interface BitFieldSpec {
  readonly name: string;
  /** Width in bits, 1..64. */
  readonly bits: number;
  /** Written as 0, ignored on read, not part of the value. */
  readonly reserved?: boolean;
}
/** An opaque byte field: a fixed count, or the rest of the option data (last field only). */
export interface BytesFieldSpec {
  readonly name: string;
  readonly bytes: number | 'rest';
}
/** A field of a declarative definition. */
export type FieldSpec = BitFieldSpec | BytesFieldSpec;

/** The typed value of an option: field name → number, bigint (wide fields) or Uint8Array (bytes fields). */
export type OptionValue = Record<string, number | bigint | Uint8Array>;

/** What every option codec provides, declarative or hand-written. */
export interface OptionCodec<V = OptionValue> {
  /** Registry name, e.g. `ovn.ports` (printed by the CLI). */
  readonly name: string;
  /** 16-bit option class. */
  readonly optionClass: number;
  /** 8-bit type including the critical bit (0x80). */
  readonly type: number;
  /** `(type & 0x80) !== 0`. */
  readonly critical: boolean;
  /** Smallest and largest data length in bytes (multiples of 4, 0..124). */
  readonly minLength: number;
  readonly maxLength: number;
  /** Human description and the source of the format. */
  readonly description?: string;
  /**
   * Decode the option data `bytes[offset, offset + length)`. Never throws; bytes fields alias the input.
   * Errors: `bad-length` (length outside min..max or not a multiple of 4), `bad-value`.
   */
  decode(bytes: Uint8Array, offset: number, length: number): Result<V>;
  /** Data length in bytes that {@link OptionCodec.encode} writes for `value`. @throws RangeError if invalid. */
  encodedLength(value: V): number;
  /** Write the data; returns bytes written. @throws RangeError (invalid value, room). */
  encode(value: V, out: Uint8Array, offset: number): number;
  /** `null` if `value` is valid, else what is wrong. */
  validate(value: V): string | null;
  /** JSON form of a value (numbers stay numbers; bigints → decimal strings; bytes → hex). */
  toJson(value: V): Record<string, unknown>;
  /** Inverse of {@link OptionCodec.toJson} (for `--option` style input). @throws RangeError. */
  fromJson(json: Record<string, unknown>): V;
  /** A fast-check arbitrary of valid values over the whole domain; `fc` is passed in so the core does not depend on fast-check. */
  arbitrary(fc: FastCheckLike): unknown;
}

/** The parts of fast-check the derived arbitraries use (pass `import * as fc from 'fast-check'`). */
export interface FastCheckLike {
  integer(c: { min: number; max: number }): unknown;
  bigInt(c: { min: bigint; max: bigint }): unknown;
  uint8Array(c: { minLength: number; maxLength: number }): unknown;
  record(r: Record<string, unknown>): unknown;
  constant(v: unknown): unknown;
  nat(max: number): unknown;
  tuple(...a: unknown[]): unknown;
}

/** A declarative option definition. */
export interface OptionSpec {
  readonly name: string;
  readonly optionClass: number;
  readonly type: number;
  readonly fields: readonly FieldSpec[];
  readonly description?: string;
}

interface CompiledField {
  readonly name: string;
  readonly kind: 'bits' | 'bytes' | 'rest';
  /** Bit offset from the start of the data (bits), byte offset for bytes fields. */
  readonly at: number;
  readonly width: number;
  readonly reserved: boolean;
}

const isBits = (f: FieldSpec): f is BitFieldSpec => 'bits' in f;

/** Read `width` (≤ 53) bits at bit offset `bit` from `b[base..]`, MSB-first, as a number. */
function readBits(b: Uint8Array, base: number, bit: number, width: number): number {
  let v = 0;
  for (let i = 0; i < width; ) {
    const pos = bit + i;
    const byte = b[base + (pos >>> 3)]!;
    const inByte = pos & 7;
    const take = Math.min(8 - inByte, width - i);
    const chunk = (byte >>> (8 - inByte - take)) & ((1 << take) - 1);
    v = v * 2 ** take + chunk;
    i += take;
  }
  return v;
}

/** Write `width` (≤ 53) bits of `v` at bit offset `bit`, MSB-first. */
function writeBits(b: Uint8Array, base: number, bit: number, width: number, v: number): void {
  let rest = v;
  for (let i = width; i > 0; ) {
    const pos = bit + i - 1; // last bit still to write
    const inByte = pos & 7;
    const take = Math.min(inByte + 1, i);
    const shift = 7 - inByte;
    const mask = ((1 << take) - 1) << shift;
    const chunk = rest % 2 ** take;
    rest = Math.floor(rest / 2 ** take);
    const idx = base + (pos >>> 3);
    b[idx] = (b[idx]! & ~mask) | ((chunk << shift) & mask);
    i -= take;
  }
}

function readBig(b: Uint8Array, base: number, bit: number, width: number): bigint {
  const hi = width - 32;
  return (BigInt(readBits(b, base, bit, hi)) << 32n) | BigInt(readBits(b, base, bit + hi, 32));
}

function writeBig(b: Uint8Array, base: number, bit: number, width: number, v: bigint): void {
  const hi = width - 32;
  writeBits(b, base, bit, hi, Number(v >> 32n));
  writeBits(b, base, bit + hi, 32, Number(v & 0xffffffffn));
}

/** An option codec derived from a declarative {@link OptionSpec}. */
export class DeclarativeOption implements OptionCodec<OptionValue> {
  readonly name: string;
  readonly optionClass: number;
  readonly type: number;
  readonly critical: boolean;
  readonly minLength: number;
  readonly maxLength: number;
  readonly description?: string;
  /** The compiled layout: name, bit (or byte) offset and width of every field. */
  readonly layout: readonly CompiledField[];
  private readonly fixedBytes: number;
  private readonly rest: CompiledField | undefined;
  private readonly index = new Map<string, CompiledField>();

  constructor(spec: OptionSpec) {
    if (!/^[A-Za-z0-9_.:-]+$/.test(spec.name)) throw new RangeError(`option name must be [A-Za-z0-9_.:-]+, got ${JSON.stringify(spec.name)}`);
    checkClassType(spec.optionClass, spec.type);
    this.name = spec.name;
    this.optionClass = spec.optionClass;
    this.type = spec.type;
    this.critical = (spec.type & 0x80) !== 0;
    if (spec.description !== undefined) this.description = spec.description;
    const layout: CompiledField[] = [];
    let bit = 0;
    let rest: CompiledField | undefined;
    spec.fields.forEach((f, i) => {
      if (rest) throw new RangeError(`${spec.name}: a 'rest' bytes field must be last`);
      if (this.index.has(f.name) && !(isBits(f) && f.reserved)) throw new RangeError(`${spec.name}: duplicate field ${f.name}`);
      if (isBits(f)) {
        if (!Number.isInteger(f.bits) || f.bits < 1 || f.bits > 64) throw new RangeError(`${spec.name}.${f.name}: bits must be 1..64`);
        const c: CompiledField = { name: f.name, kind: 'bits', at: bit, width: f.bits, reserved: !!f.reserved };
        layout.push(c);
        bit += f.bits;
      } else {
        if (bit % 8 !== 0) throw new RangeError(`${spec.name}.${f.name}: bytes fields must start on a byte boundary`);
        if (f.bytes === 'rest') {
          rest = { name: f.name, kind: 'rest', at: bit / 8, width: 0, reserved: false };
          layout.push(rest);
        } else {
          if (!Number.isInteger(f.bytes) || f.bytes < 1) throw new RangeError(`${spec.name}.${f.name}: bytes must be a positive integer or 'rest'`);
          layout.push({ name: f.name, kind: 'bytes', at: bit / 8, width: f.bytes, reserved: false });
          bit += f.bytes * 8;
        }
      }
      void i;
    });
    for (const c of layout) if (!c.reserved) this.index.set(c.name, c);
    if (bit % 32 !== 0) throw new RangeError(`${spec.name}: fixed fields total ${bit} bits; option data is counted in 4-byte words, so it must be a multiple of 32`);
    this.fixedBytes = bit / 8;
    if (this.fixedBytes > 124) throw new RangeError(`${spec.name}: ${this.fixedBytes} data bytes exceed the 124-byte option maximum`);
    this.rest = rest;
    this.layout = layout;
    this.minLength = this.fixedBytes;
    this.maxLength = rest ? 124 : this.fixedBytes;
  }

  /**
   * Zero-copy read of one numeric field straight from option data at `dataOffset` (no object built).
   * The caller has checked the data length. @throws RangeError for an unknown or non-numeric field.
   */
  readField(bytes: Uint8Array, dataOffset: number, field: string): number | bigint {
    const c = this.index.get(field);
    if (!c || c.kind !== 'bits') throw new RangeError(`${this.name}: no numeric field ${field}`);
    return c.width > 53 ? readBig(bytes, dataOffset, c.at, c.width) : readBits(bytes, dataOffset, c.at, c.width);
  }

  /** Write one numeric field in place. @throws RangeError (unknown field, out of range). */
  writeField(bytes: Uint8Array, dataOffset: number, field: string, v: number | bigint): void {
    const c = this.index.get(field);
    if (!c || c.kind !== 'bits') throw new RangeError(`${this.name}: no numeric field ${field}`);
    const msg = checkFieldValue(c, v);
    if (msg) throw new RangeError(`${this.name}.${field}: ${msg}`);
    if (c.width > 53) writeBig(bytes, dataOffset, c.at, c.width, v as bigint);
    else writeBits(bytes, dataOffset, c.at, c.width, v as number);
  }

  decode(bytes: Uint8Array, offset: number, length: number): Result<OptionValue> {
    if (length % 4 !== 0 || length < this.minLength || length > this.maxLength || offset + length > bytes.length) {
      const allowed = this.rest ? `${this.minLength}..${this.maxLength} bytes, multiple of 4` : `${this.minLength} bytes`;
      return err(wireError('bad-length', 'geneve', offset, `${this.name}.length`, length, allowed));
    }
    const v: OptionValue = {};
    for (const c of this.layout) {
      if (c.reserved) continue;
      if (c.kind === 'bits') v[c.name] = c.width > 53 ? readBig(bytes, offset, c.at, c.width) : readBits(bytes, offset, c.at, c.width);
      else if (c.kind === 'bytes') v[c.name] = bytes.subarray(offset + c.at, offset + c.at + c.width);
      else v[c.name] = bytes.subarray(offset + c.at, offset + length);
    }
    return ok(v);
  }

  validate(value: OptionValue): string | null {
    for (const c of this.layout) {
      if (c.reserved) continue;
      const x = value[c.name];
      if (x === undefined) return `missing field ${c.name}`;
      if (c.kind === 'bits') {
        const m = checkFieldValue(c, x);
        if (m) return `${c.name}: ${m}`;
      } else {
        if (!(x instanceof Uint8Array)) return `${c.name}: expected bytes`;
        if (c.kind === 'bytes' && x.length !== c.width) return `${c.name}: expected ${c.width} bytes, got ${x.length}`;
        if (c.kind === 'rest' && ((this.fixedBytes + x.length) % 4 !== 0 || this.fixedBytes + x.length > 124)) {
          return `${c.name}: ${x.length} bytes make ${this.fixedBytes + x.length} data bytes; must be a multiple of 4 up to 124`;
        }
      }
    }
    for (const k of Object.keys(value)) if (!this.index.has(k)) return `unknown field ${k}`;
    return null;
  }

  encodedLength(value: OptionValue): number {
    const m = this.validate(value);
    if (m) throw new RangeError(`${this.name}: ${m}`);
    return this.fixedBytes + (this.rest ? (value[this.rest.name] as Uint8Array).length : 0);
  }

  encode(value: OptionValue, out: Uint8Array, offset: number): number {
    const n = this.encodedLength(value);
    if (!Number.isInteger(offset) || offset < 0 || offset + n > out.length) throw new RangeError(`${this.name}: need ${n} bytes at ${offset}, buffer has ${out.length}`);
    out.fill(0, offset, offset + this.fixedBytes);
    for (const c of this.layout) {
      if (c.reserved) continue;
      const x = value[c.name]!;
      if (c.kind === 'bits') {
        if (c.width > 53) writeBig(out, offset, c.at, c.width, x as bigint);
        else writeBits(out, offset, c.at, c.width, x as number);
      } else out.set(x as Uint8Array, offset + c.at);
    }
    return n;
  }

  toJson(value: OptionValue): Record<string, unknown> {
    const o: Record<string, unknown> = {};
    for (const c of this.layout) {
      if (c.reserved) continue;
      const x = value[c.name];
      o[c.name] = x instanceof Uint8Array ? toHex(x) : typeof x === 'bigint' ? x.toString() : x;
    }
    return o;
  }

  fromJson(json: Record<string, unknown>): OptionValue {
    const v: OptionValue = {};
    for (const c of this.layout) {
      if (c.reserved) continue;
      const x = json[c.name];
      if (x === undefined) throw new RangeError(`${this.name}: missing field ${c.name}`);
      if (c.kind === 'bits') {
        if (c.width > 53) v[c.name] = BigInt(x as string | number);
        else v[c.name] = typeof x === 'string' ? Number(x) : (x as number);
      } else v[c.name] = typeof x === 'string' ? fromHex(x) : (x as Uint8Array);
    }
    const m = this.validate(v);
    if (m) throw new RangeError(`${this.name}: ${m}`);
    return v;
  }

  arbitrary(fc: FastCheckLike): unknown {
    const r: Record<string, unknown> = {};
    for (const c of this.layout) {
      if (c.reserved) continue;
      if (c.kind === 'bits') r[c.name] = c.width > 53 ? fc.bigInt({ min: 0n, max: (1n << BigInt(c.width)) - 1n }) : fc.integer({ min: 0, max: 2 ** c.width - 1 });
      else if (c.kind === 'bytes') r[c.name] = fc.uint8Array({ minLength: c.width, maxLength: c.width });
      else r[c.name] = restArbitrary(fc, this.fixedBytes);
    }
    return fc.record(r);
  }
}

/** Bytes for a 'rest' field keeping the total data a multiple of 4 and ≤ 124. */
function restArbitrary(fc: FastCheckLike, fixed: number): unknown {
  const words = (124 - fixed) / 4;
  const a = fc.nat(words) as { chain(f: (n: number) => unknown): unknown };
  return a.chain((n: number) => fc.uint8Array({ minLength: n * 4, maxLength: n * 4 }));
}

function checkFieldValue(c: CompiledField, x: unknown): string | null {
  if (c.width > 53) {
    if (typeof x !== 'bigint') return `expected a bigint (${c.width} bits)`;
    if (x < 0n || x >= 1n << BigInt(c.width)) return `${x} does not fit in ${c.width} bits`;
    return null;
  }
  if (typeof x !== 'number' || !Number.isInteger(x)) return `expected an integer (${c.width} bits)`;
  if (x < 0 || x > 2 ** c.width - 1) return `${x} does not fit in ${c.width} bits (0..${2 ** c.width - 1})`;
  return null;
}

/** @throws RangeError unless class is 16 bits and type 8 bits. */
export function checkClassType(optionClass: number, type: number): void {
  if (!Number.isInteger(optionClass) || optionClass < 0 || optionClass > 0xffff) throw new RangeError(`option class must be 0..0xffff, got ${optionClass}`);
  if (!Number.isInteger(type) || type < 0 || type > 0xff) throw new RangeError(`option type must be 0..0xff (critical bit included), got ${type}`);
}

/** Define an option declaratively (see the module doc). @throws RangeError for an invalid layout. */
export function defineOption(spec: OptionSpec): DeclarativeOption {
  return new DeclarativeOption(spec);
}
