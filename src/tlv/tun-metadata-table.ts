/**
 * Open vSwitch's tunnel-metadata table ("TLV map"): binds Geneve options, by (option class, type)
 * and data length, to the 64 match fields `tun_metadata0..63`, and translates between a packet's raw
 * options and those fields. Modelled on OVS lib/tun-metadata.c and lib/ofp-match.c
 * (shared/specs/geneve.md §9):
 *
 * - `add`  ≈ NXT_TLV_TABLE_MOD / `ovs-ofctl add-tlv-map BR "{class=0xffff,type=0,len=4}->tun_metadata0"`:
 *   atomic (OVS applies a request to a copy of the table and discards the copy on the first error);
 * - `delete`/`clear` ≈ NXTTMC_DELETE / NXTTMC_CLEAR; `entries()` ≈ NXT_TLV_TABLE_REQUEST;
 * - `fromGeneve` ≈ `tun_metadata_from_geneve_udpif` (receive), `toGeneve` ≈ `tun_metadata_to_geneve__`
 *   (transmit), `match` ≈ a `tun_metadataN=value/mask` match.
 *
 * Like OVS's RCU-published `struct tun_table`, each table change publishes a new immutable
 * {@link TunMetadataMap}; a {@link TunMetadataSlots} keeps the map it was filled under (OVS
 * `tun_metadata.tab`), so a table change never reinterprets packets already translated.
 *
 * Errors are data ({@link TunMetadataError}), never thrown. Lengths are data bytes (OVS `len`,
 * the option's `4 * Length`, without the 4-byte option header).
 */
import type { GeneveOption } from '../geneve/fields.js';
import { GENEVE_OPTION_CRITICAL } from '../geneve/options.js';
import { err, ok, type Result } from '../net/errors.js';

/** Number of `tun_metadataN` fields (OVS `TUN_METADATA_NUM_OPTS`; NXM fields 40–103). */
export const TUN_METADATA_NUM_OPTS = 64;
/** Largest data length of one bound option in bytes (OVS `TLV_MAX_OPT_SIZE`: 31 words × 4). */
export const TUN_METADATA_MAX_OPT_LEN = 124;
/**
 * Largest total data length of all bound options in bytes (OVS `TLV_TOT_OPT_SIZE`; ovs-fields(7):
 * "bound options may total at most 252 bytes of body"; geneve.md §9).
 */
export const TUN_METADATA_TOT_OPT_LEN = 252;

/**
 * Why a table operation failed. OVS equivalents (ofp-errors.h, ofp-match.c, tun-metadata.c):
 * - `bad-opt-len`: length not a multiple of 4 or over 124 (`NXTTMFC_BAD_OPT_LEN`);
 * - `bad-field-idx`: index not in 0..63 (`NXTTMFC_BAD_FIELD_IDX`);
 * - `bad-key`: class not 16-bit or type not 8-bit (not expressible in an NXT_TLV_TABLE_MOD; no OVS code);
 * - `already-mapped`: the key, or the index, is already bound in the table;
 * - `dup-entry`: the same key, or the same index, appears twice in one request;
 * - `table-full`: no free index for an entry without one, or the bound data would total more than
 *   252 bytes (`NXTTMFC_TABLE_FULL`: "the total set of configured options exceeds the maximum
 *   supported by the switch");
 * - `not-mapped`: a slot written (`TunMetadataSlots.set`) whose index is not bound;
 * - `length-mismatch`: a mapped option received, or a slot written, with a data length other than the
 *   bound one (`tun_metadata_from_geneve__` returns `EINVAL`);
 * - `unknown-critical-option`: an unbound option with the critical bit (`EINVAL` in OVS; RFC 8926 §3.5).
 *
 * The split of `already-mapped`/`dup-entry` is by where the conflict is (table vs request). OVS's own
 * code splits by what collides: index in use → `NXTTMFC_ALREADY_MAPPED`, key in use →
 * `NXTTMFC_DUP_ENTRY`, whichever the source; {@link TunMetadataError.ofperr} names that code.
 */
export type TunMetadataErrorKind =
  | 'bad-opt-len'
  | 'bad-field-idx'
  | 'bad-key'
  | 'already-mapped'
  | 'dup-entry'
  | 'table-full'
  | 'not-mapped'
  | 'length-mismatch'
  | 'unknown-critical-option';

/** The entry an error is about: as requested (add/delete), as received (option), or a slot. */
export interface TunMetadataErrorEntry {
  readonly optionClass?: number;
  readonly type?: number;
  /** Data bytes. */
  readonly length?: number;
  readonly index?: number;
}

/** A table or translation error. Data only; `message` states what was found and what was allowed. */
export interface TunMetadataError {
  readonly kind: TunMetadataErrorKind;
  readonly message: string;
  readonly entry: TunMetadataErrorEntry;
  /** The OpenFlow error OVS answers the same table request with (`NXTTMFC_*`), when there is one. */
  readonly ofperr?: 'NXTTMFC_BAD_OPT_LEN' | 'NXTTMFC_BAD_FIELD_IDX' | 'NXTTMFC_TABLE_FULL' | 'NXTTMFC_ALREADY_MAPPED' | 'NXTTMFC_DUP_ENTRY';
}

/** One binding of the table: option (class, type) with `length` data bytes ↔ `tun_metadata<index>`. */
export interface TlvMapping {
  /** 16-bit option class. */
  readonly optionClass: number;
  /** Full 8-bit type, critical bit `0x80` included (OVN's is `0x80`). */
  readonly type: number;
  /** Data bytes: 0..124, a multiple of 4. */
  readonly length: number;
  /** Field index 0..63 (`tun_metadata<index>`). */
  readonly index: number;
}

/** An {@link TunMetadataTable.add} entry; without `index`, the lowest free one is chosen (as OVN does). */
export interface TlvMapRequest {
  readonly optionClass: number;
  readonly type: number;
  readonly length: number;
  readonly index?: number;
}

/** A {@link TunMetadataTable.delete} entry: by index (as OVS) or, without one, by (class, type). */
export type TlvMapDelete =
  | { readonly index: number; readonly optionClass?: number; readonly type?: number; readonly length?: number }
  | { readonly optionClass: number; readonly type: number; readonly length?: number };

function keyOf(optionClass: number, type: number): number {
  return optionClass * 0x100 + type;
}

function hex(n: number, digits: number): string {
  return `0x${n.toString(16).padStart(digits, '0')}`;
}

function describe(e: TunMetadataErrorEntry): string {
  const parts: string[] = [];
  if (e.optionClass !== undefined) parts.push(`class=${hex(e.optionClass, 4)}`);
  if (e.type !== undefined) parts.push(`type=${hex(e.type, 2)}`);
  if (e.length !== undefined) parts.push(`len=${e.length}`);
  const body = `{${parts.join(',')}}`;
  return e.index !== undefined ? `${body}->tun_metadata${e.index}` : body;
}

function tmError(kind: TunMetadataErrorKind, entry: TunMetadataErrorEntry, what: string, ofperr?: TunMetadataError['ofperr']): { ok: false; error: TunMetadataError } {
  const message = `${describe(entry)}: ${what}`;
  const copy = { ...entry };
  return err(ofperr ? { kind, message, entry: copy, ofperr } : { kind, message, entry: copy });
}

function isIndex(i: number): boolean {
  return Number.isInteger(i) && i >= 0 && i < TUN_METADATA_NUM_OPTS;
}

function isUint(v: number, max: number): boolean {
  return Number.isInteger(v) && v >= 0 && v <= max;
}

function checkLength(e: TunMetadataErrorEntry, length: number): { ok: false; error: TunMetadataError } | undefined {
  if (!Number.isInteger(length) || length < 0 || length % 4 !== 0 || length > TUN_METADATA_MAX_OPT_LEN) {
    return tmError('bad-opt-len', e, `option length ${length} is not a multiple of 4 in 0..${TUN_METADATA_MAX_OPT_LEN}`, 'NXTTMFC_BAD_OPT_LEN');
  }
  return undefined;
}

/**
 * One immutable version of the table (OVS publishes a new `struct tun_table` per change). Each bound
 * field gets a fixed place in a packed buffer: `offsets[index]`, in index order, `totalLength` bytes in all.
 */
export class TunMetadataMap {
  /** Bindings by index (64 entries, `undefined` where unbound). */
  readonly byIndex: readonly (TlvMapping | undefined)[];
  /** Byte offset of each bound field in a {@link TunMetadataSlots} buffer (-1 where unbound). */
  readonly offsets: readonly number[];
  /** Sum of bound data lengths in bytes (≤ 252). */
  readonly totalLength: number;
  /** Number of bound fields. */
  readonly size: number;
  private readonly byKey: ReadonlyMap<number, TlvMapping>;

  /** @internal Built by {@link TunMetadataTable}; `byIndex` must already satisfy the table's invariants. */
  constructor(byIndex: readonly (TlvMapping | undefined)[]) {
    const offsets: number[] = [];
    const byKey = new Map<number, TlvMapping>();
    let at = 0;
    for (let i = 0; i < TUN_METADATA_NUM_OPTS; i++) {
      const m = byIndex[i];
      if (!m) {
        offsets.push(-1);
        continue;
      }
      offsets.push(at);
      at += m.length;
      byKey.set(keyOf(m.optionClass, m.type), m);
    }
    this.byIndex = Object.freeze(byIndex.slice(0, TUN_METADATA_NUM_OPTS));
    this.offsets = Object.freeze(offsets);
    this.totalLength = at;
    this.size = byKey.size;
    this.byKey = byKey;
  }

  /** The binding of (class, type), the full 8-bit type with the critical bit. */
  lookup(optionClass: number, type: number): TlvMapping | undefined {
    return this.byKey.get(keyOf(optionClass, type));
  }

  /** The binding of `tun_metadata<index>`, or undefined (also for an index outside 0..63). */
  slot(index: number): TlvMapping | undefined {
    return isIndex(index) ? this.byIndex[index] : undefined;
  }

  /** All bindings in index order (the NXT_TLV_TABLE_REPLY order). */
  entries(): TlvMapping[] {
    return this.byIndex.filter((m): m is TlvMapping => m !== undefined);
  }
}

const EMPTY_MAP = new TunMetadataMap(new Array<TlvMapping | undefined>(TUN_METADATA_NUM_OPTS).fill(undefined));

/**
 * The `tun_metadata0..63` values of one packet (OVS `struct tun_metadata`): a present bitmap and the
 * bound fields' data, packed in one buffer laid out by the {@link TunMetadataMap} they were filled
 * under. Data are copies, never aliases of a packet.
 */
export class TunMetadataSlots {
  /** The map these slots are laid out by (OVS `tun_metadata.tab`). */
  readonly map: TunMetadataMap;
  private readonly buf: Uint8Array;
  private lo = 0;
  private hi = 0;

  /** Empty slots (nothing present) under `map`. */
  constructor(map: TunMetadataMap) {
    this.map = map;
    this.buf = new Uint8Array(map.totalLength);
  }

  /** Present bitmap, bit `i` for `tun_metadata<i>` (OVS `present.map`). */
  get present(): bigint {
    return (BigInt(this.hi >>> 0) << 32n) | BigInt(this.lo >>> 0);
  }

  /** Whether `tun_metadata<index>` is present. False outside 0..63. */
  has(index: number): boolean {
    if (!isIndex(index)) return false;
    return index < 32 ? ((this.lo >>> index) & 1) === 1 : ((this.hi >>> (index - 32)) & 1) === 1;
  }

  /** Present indices, ascending. */
  indices(): number[] {
    const out: number[] = [];
    for (let i = 0; i < TUN_METADATA_NUM_OPTS; i++) if (this.has(i)) out.push(i);
    return out;
  }

  /**
   * The data of `tun_metadata<index>` when present, else undefined. Returns a subarray of the slots'
   * own buffer (writes through it change the slot; copy to keep past a later `set`).
   */
  get(index: number): Uint8Array | undefined {
    if (!this.has(index)) return undefined;
    const off = this.map.offsets[index]!;
    return this.buf.subarray(off, off + this.map.byIndex[index]!.length);
  }

  /**
   * Store `data` (copied) into `tun_metadata<index>` and mark it present.
   * Errors: `bad-field-idx` (index not 0..63), `not-mapped` (index unbound in {@link TunMetadataSlots.map}),
   * `length-mismatch` (`data.length` ≠ the bound length).
   */
  set(index: number, data: Uint8Array): Result<void, TunMetadataError> {
    if (!isIndex(index)) return tmError('bad-field-idx', { index, length: data.length }, `field index ${index} is not in 0..${TUN_METADATA_NUM_OPTS - 1}`);
    const m = this.map.byIndex[index];
    if (!m) return tmError('not-mapped', { index, length: data.length }, `tun_metadata${index} is not bound in the TLV map`);
    if (data.length !== m.length) {
      return tmError('length-mismatch', { ...m, length: data.length }, `data is ${data.length} bytes, the mapping binds ${m.length}`);
    }
    this.buf.set(data, this.map.offsets[index]!);
    this.mark(index);
    return ok(undefined);
  }

  /** Mark `tun_metadata<index>` absent (its bytes are kept but no longer read). */
  unset(index: number): void {
    if (!isIndex(index)) return;
    if (index < 32) this.lo &= ~(1 << index);
    else this.hi &= ~(1 << (index - 32));
  }

  /** @internal Store without checks (caller validated index and length). */
  store(index: number, data: Uint8Array): void {
    this.buf.set(data, this.map.offsets[index]!);
    this.mark(index);
  }

  private mark(index: number): void {
    if (index < 32) this.lo |= 1 << index;
    else this.hi |= 1 << (index - 32);
  }
}

/**
 * The header C bit OVS sets on transmit: the OR of the options' critical bits (`type & 0x80`)
 * (`tun_metadata_to_geneve__` `crit_opt`; RFC 8926 §3.4). Same as `geneveHasCriticalOption`.
 */
export function criticalFlag(options: readonly GeneveOption[]): boolean {
  for (const o of options) if (o.type & GENEVE_OPTION_CRITICAL) return true;
  return false;
}

function toBytes(v: Uint8Array | bigint, what: string): Uint8Array {
  if (v instanceof Uint8Array) {
    if (v.length > TUN_METADATA_MAX_OPT_LEN) throw new RangeError(`${what} is ${v.length} bytes, more than the ${TUN_METADATA_MAX_OPT_LEN}-byte tun_metadata field`);
    return v;
  }
  if (v < 0n) throw new RangeError(`${what} must be non-negative, got ${v}`);
  const out: number[] = [];
  for (let x = v; x > 0n; x >>= 8n) out.unshift(Number(x & 0xffn));
  if (out.length > TUN_METADATA_MAX_OPT_LEN) throw new RangeError(`${what} does not fit the ${TUN_METADATA_MAX_OPT_LEN}-byte tun_metadata field`);
  return Uint8Array.from(out);
}

/**
 * The tunnel-metadata table (OVS TLV map): at most 64 bindings, each ≤ 124 data bytes and a multiple
 * of 4, ≤ 252 data bytes in all; one binding per (class, type) and per index. Mutations publish a
 * new {@link TunMetadataMap} ({@link TunMetadataTable.map}); slots keep the map they were made under.
 */
export class TunMetadataTable {
  private current: TunMetadataMap = EMPTY_MAP;

  /** The current immutable version of the table. */
  get map(): TunMetadataMap {
    return this.current;
  }

  /** Number of bound fields. */
  get size(): number {
    return this.current.size;
  }

  /** Sum of the bound data lengths in bytes (≤ {@link TUN_METADATA_TOT_OPT_LEN}). */
  get totalLength(): number {
    return this.current.totalLength;
  }

  /**
   * Bind options to fields, all or nothing (an NXTTMC_ADD: on any error the table is unchanged).
   * Checks, in OVS order: every entry's length (`bad-opt-len`), index (`bad-field-idx`) and class/type
   * (`bad-key`) first; then, entry by entry, a key or index repeated in this request (`dup-entry`),
   * a key or index already bound (`already-mapped`); then indices for entries without one, lowest
   * free first (`table-full` when none is left); then the 252-byte total (`table-full`).
   * @returns the new bindings in request order, with their indices.
   */
  add(entries: readonly TlvMapRequest[]): Result<readonly TlvMapping[], TunMetadataError> {
    const cur = this.current;
    for (const e of entries) {
      const bad = checkLength(e, e.length);
      if (bad) return bad;
      if (e.index !== undefined && !isIndex(e.index)) {
        return tmError('bad-field-idx', e, `field index ${e.index} is not in 0..${TUN_METADATA_NUM_OPTS - 1}`, 'NXTTMFC_BAD_FIELD_IDX');
      }
      if (!isUint(e.optionClass, 0xffff) || !isUint(e.type, 0xff)) return tmError('bad-key', e, 'option class must be 0..0xffff and type 0..0xff');
    }
    const keys = new Set<number>();
    const claimed = new Set<number>();
    for (const e of entries) {
      const k = keyOf(e.optionClass, e.type);
      const bound = cur.lookup(e.optionClass, e.type);
      if (e.index !== undefined) {
        if (claimed.has(e.index)) return tmError('dup-entry', e, `tun_metadata${e.index} appears twice in the request`, 'NXTTMFC_ALREADY_MAPPED');
        const used = cur.byIndex[e.index];
        if (used) return tmError('already-mapped', e, `tun_metadata${e.index} is already bound to ${describe(used)}`, 'NXTTMFC_ALREADY_MAPPED');
      }
      if (keys.has(k)) return tmError('dup-entry', e, 'the option appears twice in the request', 'NXTTMFC_DUP_ENTRY');
      if (bound) return tmError('already-mapped', e, `the option is already bound as ${describe(bound)}`, 'NXTTMFC_DUP_ENTRY');
      keys.add(k);
      if (e.index !== undefined) claimed.add(e.index);
    }
    const next = cur.byIndex.slice();
    const added: TlvMapping[] = [];
    let free = 0;
    let total = cur.totalLength;
    for (const e of entries) {
      let index = e.index;
      if (index === undefined) {
        while (free < TUN_METADATA_NUM_OPTS && (next[free] || claimed.has(free))) free++;
        if (free === TUN_METADATA_NUM_OPTS) return tmError('table-full', e, `all ${TUN_METADATA_NUM_OPTS} tun_metadata fields are bound`, 'NXTTMFC_TABLE_FULL');
        index = free;
      }
      total += e.length;
      const m: TlvMapping = Object.freeze({ optionClass: e.optionClass, type: e.type, length: e.length, index });
      if (total > TUN_METADATA_TOT_OPT_LEN) {
        return tmError('table-full', m, `bound options would total ${total} bytes of data, more than ${TUN_METADATA_TOT_OPT_LEN}`, 'NXTTMFC_TABLE_FULL');
      }
      next[index] = m;
      added.push(m);
    }
    this.current = new TunMetadataMap(next);
    return ok(added);
  }

  /**
   * Unbind fields, all or nothing (an NXTTMC_DELETE). An entry names a field by `index` (as OVS, which
   * ignores the class, type and length of a delete) or, without one, by (class, type). Entries that
   * name nothing bound are ignored, as OVS does.
   * Errors (checked before any change): `bad-field-idx`, `bad-opt-len` (a given length OVS's decoder
   * would reject).
   * @returns the bindings removed, in request order.
   */
  delete(entries: readonly TlvMapDelete[]): Result<readonly TlvMapping[], TunMetadataError> {
    for (const e of entries) {
      if (e.length !== undefined) {
        const bad = checkLength(e, e.length);
        if (bad) return bad;
      }
      if ('index' in e && e.index !== undefined && !isIndex(e.index)) {
        return tmError('bad-field-idx', e, `field index ${e.index} is not in 0..${TUN_METADATA_NUM_OPTS - 1}`, 'NXTTMFC_BAD_FIELD_IDX');
      }
    }
    const cur = this.current;
    const next = cur.byIndex.slice();
    const removed: TlvMapping[] = [];
    for (const e of entries) {
      const m = 'index' in e && e.index !== undefined ? next[e.index] : e.optionClass !== undefined && e.type !== undefined ? cur.lookup(e.optionClass, e.type) : undefined;
      if (!m || next[m.index] !== m) continue;
      next[m.index] = undefined;
      removed.push(m);
    }
    if (removed.length) this.current = new TunMetadataMap(next);
    return ok(removed);
  }

  /** Unbind everything (NXTTMC_CLEAR). */
  clear(): void {
    this.current = EMPTY_MAP;
  }

  /** The binding of (class, type); `type` is the full 8-bit type with the critical bit. */
  lookup(optionClass: number, type: number): TlvMapping | undefined {
    return this.current.lookup(optionClass, type);
  }

  /** The binding of `tun_metadata<index>`, or undefined. */
  slot(index: number): TlvMapping | undefined {
    return this.current.slot(index);
  }

  /** All bindings in index order. */
  entries(): TlvMapping[] {
    return this.current.entries();
  }

  /** Empty slots laid out by the current map (for building the transmit side by hand). */
  emptySlots(): TunMetadataSlots {
    return new TunMetadataSlots(this.current);
  }

  /**
   * Translate a packet's raw Geneve options into fields, as OVS's `tun_metadata_from_geneve_udpif`:
   * a bound (class, type) must carry exactly the bound length and its data is copied into the slot; an
   * unbound option with the critical bit fails the packet; unbound non-critical options are ignored.
   * An option bound and received twice keeps the later data (OVS overwrites). Options may come in any order.
   * Errors: `length-mismatch` (entry: class, type, received length, bound index),
   * `unknown-critical-option` (entry: class, type, length).
   */
  fromGeneve(options: readonly GeneveOption[]): Result<TunMetadataSlots, TunMetadataError> {
    const map = this.current;
    const slots = new TunMetadataSlots(map);
    for (const o of options) {
      const m = map.lookup(o.optionClass, o.type);
      if (m) {
        if (o.data.length !== m.length) {
          return tmError('length-mismatch', { optionClass: o.optionClass, type: o.type, length: o.data.length, index: m.index }, `received ${o.data.length} data bytes, the mapping binds ${m.length}`);
        }
        slots.store(m.index, o.data);
      } else if (o.type & GENEVE_OPTION_CRITICAL) {
        return tmError(
          'unknown-critical-option',
          { optionClass: o.optionClass, type: o.type, length: o.data.length },
          `critical option class ${hex(o.optionClass, 4)} type ${hex(o.type, 2)} is not bound in the TLV map (RFC 8926 §3.5: drop)`,
        );
      }
    }
    return ok(slots);
  }

  /**
   * The Geneve options to transmit for `slots`, as OVS's `tun_metadata_to_geneve__`: one option per
   * present field, in index order (not the receive order), R bits zero, class/type/length from the map
   * the slots were made under (`slots.map`, not necessarily the current one). Data are subarrays of the
   * slots' buffer. Set the header C bit to {@link criticalFlag} of the result.
   * Slots from {@link TunMetadataTable.fromGeneve} always fit a Geneve header; slots filled by hand
   * may not (252 bytes of data plus 4 bytes of header per option can exceed the 252-byte options
   * area), which `emitGeneve` reports with a `RangeError`.
   */
  toGeneve(slots: TunMetadataSlots): GeneveOption[] {
    const out: GeneveOption[] = [];
    for (const i of slots.indices()) {
      const m = slots.map.byIndex[i]!;
      out.push({ optionClass: m.optionClass, type: m.type, critical: (m.type & GENEVE_OPTION_CRITICAL) !== 0, rbits: 0, data: slots.get(i)! });
    }
    return out;
  }

  /**
   * Whether `tun_metadata<index>` of `slots` matches `value` under `mask` (ovs-fields(7)). The field is
   * 124 bytes wide with the bound data right-aligned, as OVS stores it, so `value`, `mask` (bytes or a
   * bigint) and the data are compared right-aligned with zeros in front; a field not received or not
   * bound reads as all zeros. Without `mask`, the whole field must equal `value`.
   * @throws RangeError for an index outside 0..63, or a value or mask wider than 124 bytes.
   */
  match(slots: TunMetadataSlots, index: number, value: Uint8Array | bigint, mask?: Uint8Array | bigint): boolean {
    if (!isIndex(index)) throw new RangeError(`field index ${index} is not in 0..${TUN_METADATA_NUM_OPTS - 1}`);
    const v = toBytes(value, 'value');
    const k = mask === undefined ? undefined : toBytes(mask, 'mask');
    const d = slots.get(index) ?? new Uint8Array(0);
    const width = Math.max(v.length, d.length, k ? k.length : 0);
    for (let i = 0; i < width; i++) {
      const vb = v[v.length - width + i] ?? 0;
      const db = d[d.length - width + i] ?? 0;
      const kb = k ? (k[k.length - width + i] ?? 0) : 0xff;
      if ((vb & kb) !== (db & kb)) return false;
    }
    return true;
  }
}
