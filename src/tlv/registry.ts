/**
 * The Geneve option registry: option classes with their owners' names, typed option definitions
 * registered by (class, type) at runtime, and the critical-option policy of RFC 8926 §3.5 / §3.5.1.
 *
 * An option is defined once ({@link defineOption} or a hand-written {@link OptionCodec}) and then
 * encoded, decoded, validated, named, printed and fuzzed through the registry.
 */
import { fromHex, toHex } from '../net/bytes.js';
import type { WireError } from '../net/errors.js';
import type { GeneveOption } from '../geneve/fields.js';
import { checkClassType, defineOption, type FieldSpec, type OptionCodec } from './definition.js';
import { optionClassName } from './classes.js';
import { BUILTIN_OPTIONS } from './known.js';

/** What the registry knows of one option on the wire. */
export type OptionDescription =
  | { readonly known: true; readonly name: string; readonly value: unknown; readonly json: Record<string, unknown> }
  | { readonly known: true; readonly name: string; readonly error: WireError }
  | { readonly known: false };

/** A receiver's view of a Geneve header's options (RFC 8926 §3.5). */
export interface OptionWarning {
  readonly layer: 'geneve';
  /** `unknown-critical-option`: a receiver must drop the packet; `critical-flag-mismatch`: the C bit disagrees with the options; `bad-option-value`: a known option whose data does not fit its definition. */
  readonly kind: 'unknown-critical-option' | 'critical-flag-mismatch' | 'bad-option-value';
  /** Absolute offset of the option (or of the flags byte for a C-bit mismatch). */
  readonly offset: number;
  readonly message: string;
}

/** Outcome of {@link OptionRegistry.checkCritical}. */
export interface CriticalCheck {
  /** `drop` when an option is critical and not understood (RFC 8926 §3.5: the endpoint MUST drop). */
  readonly action: 'accept' | 'drop';
  /** The first unknown critical option, when dropping. */
  readonly reason?: { readonly optionClass: number; readonly type: number; readonly offset: number; readonly message: string };
  readonly warnings: readonly OptionWarning[];
}

/** JSON/JS form of user definitions for {@link OptionRegistry.load} (`--registry FILE`). */
export interface RegistryFile {
  /** Extra option classes: `{ "class": "0xff01", "name": "ACME" }`. */
  readonly classes?: ReadonlyArray<{ readonly class: number | string; readonly name: string }>;
  /** Declarative options: `{ "name", "class", "type", "fields": [{ "name", "bits" | "bytes", "reserved"? }] }`. */
  readonly options?: ReadonlyArray<{ readonly name: string; readonly class: number | string; readonly type: number | string; readonly fields: readonly FieldSpec[]; readonly description?: string }>;
}

const key = (cls: number, type: number): number => cls * 256 + type;
const hex = (n: number, w: number): string => `0x${n.toString(16).padStart(w, '0')}`;
const num = (v: number | string, what: string): number => {
  const n = typeof v === 'number' ? v : /^0x[0-9a-f]+$/i.test(v) ? parseInt(v, 16) : /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n)) throw new RangeError(`${what}: not a number: ${JSON.stringify(v)}`);
  return n;
};

/** A registry of option classes and option definitions. */
export class OptionRegistry {
  private readonly defs = new Map<number, OptionCodec<any>>();
  private readonly byName = new Map<string, OptionCodec<any>>();
  private readonly classes = new Map<number, string>();

  /** A registry with the built-in definitions (OVN, Google Cloud, cPacket, Cilium). */
  static withBuiltins(): OptionRegistry {
    const r = new OptionRegistry();
    for (const d of BUILTIN_OPTIONS) r.register(d);
    return r;
  }

  /** Name a class (user-registered, e.g. an experimental one). @throws RangeError. */
  registerClass(optionClass: number, name: string): this {
    checkClassType(optionClass, 0);
    if (!name) throw new RangeError('class name must not be empty');
    this.classes.set(optionClass, name);
    return this;
  }

  /** The class's name: user-registered, else the IANA owner, else `undefined`. */
  className(optionClass: number): string | undefined {
    return this.classes.get(optionClass) ?? optionClassName(optionClass);
  }

  /**
   * Register a definition. @throws RangeError if (class, type) or the name is already registered,
   * unless `replace` is set.
   */
  register<V>(def: OptionCodec<V>, replace = false): OptionCodec<V> {
    checkClassType(def.optionClass, def.type);
    const k = key(def.optionClass, def.type);
    const have = this.defs.get(k);
    if (have && !replace) throw new RangeError(`option ${hex(def.optionClass, 4)}:${hex(def.type, 2)} is already registered as ${have.name}`);
    const named = this.byName.get(def.name);
    if (named && named !== have && !replace) throw new RangeError(`option name ${def.name} is already registered for ${hex(named.optionClass, 4)}:${hex(named.type, 2)}`);
    if (have) this.byName.delete(have.name);
    this.defs.set(k, def);
    this.byName.set(def.name, def);
    return def;
  }

  /** The definition of (class, type), if any. The type includes the critical bit. */
  lookup(optionClass: number, type: number): OptionCodec<any> | undefined {
    return this.defs.get(key(optionClass, type));
  }

  /** The definition registered under `name`. */
  get(name: string): OptionCodec<any> | undefined {
    return this.byName.get(name);
  }

  /** Every registered definition. */
  definitions(): OptionCodec<any>[] {
    return [...this.defs.values()];
  }

  /** Load user classes and declarative definitions (the `--registry` JSON form). @throws RangeError. */
  load(file: RegistryFile): this {
    for (const c of file.classes ?? []) this.registerClass(num(c.class, 'class'), c.name);
    for (const o of file.options ?? []) {
      const spec = { name: o.name, optionClass: num(o.class, `${o.name}.class`), type: num(o.type, `${o.name}.type`), fields: o.fields };
      this.register(defineOption(o.description === undefined ? spec : { ...spec, description: o.description }));
    }
    return this;
  }

  /** Decode one option's data with its definition (or say it is unknown). Never throws. */
  describe(o: GeneveOption, dataOffset = 0): OptionDescription {
    const def = this.lookup(o.optionClass, o.type);
    if (!def) return { known: false };
    const r = def.decode(o.data, 0, o.data.length);
    if (!r.ok) return { known: true, name: def.name, error: { ...r.error, at: dataOffset } };
    return { known: true, name: def.name, value: r.value, json: def.toJson(r.value) };
  }

  /**
   * RFC 8926 critical-option policy for a receiving endpoint: an option whose critical bit is set and
   * whose (class, type) is not registered means drop (named in the reason); the header C bit must be
   * set exactly when some option is critical (a mismatch is a warning); a registered option whose data
   * does not decode is a warning. `optionsOffset` is the absolute offset of the first option.
   */
  checkCritical(critical: boolean, options: readonly GeneveOption[], optionsOffset = 0, flagsOffset = optionsOffset - 7): CriticalCheck {
    const warnings: OptionWarning[] = [];
    let reason: CriticalCheck['reason'];
    let anyCritical = false;
    let at = optionsOffset;
    for (const o of options) {
      anyCritical ||= o.critical;
      const def = this.lookup(o.optionClass, o.type);
      if (!def && o.critical) {
        const message = `unknown critical option class ${hex(o.optionClass, 4)}${this.className(o.optionClass) ? ` (${this.className(o.optionClass)})` : ''} type ${hex(o.type, 2)}: a receiver must drop the packet (RFC 8926 §3.5)`;
        warnings.push({ layer: 'geneve', kind: 'unknown-critical-option', offset: at, message });
        reason ??= { optionClass: o.optionClass, type: o.type, offset: at, message };
      } else if (def) {
        const r = def.decode(o.data, 0, o.data.length);
        if (!r.ok) warnings.push({ layer: 'geneve', kind: 'bad-option-value', offset: at, message: `${def.name}: ${r.error.field} ${r.error.found}, allowed ${r.error.allowed}` });
      }
      at += 4 + o.data.length;
    }
    if (anyCritical !== critical) {
      warnings.push({
        layer: 'geneve',
        kind: 'critical-flag-mismatch',
        offset: flagsOffset,
        message: critical ? 'C bit set but no option is critical (RFC 8926 §3.4)' : 'an option is critical but the C bit is clear (RFC 8926 §3.4: it MUST be set)',
      });
    }
    return reason ? { action: 'drop', reason, warnings } : { action: 'accept', warnings };
  }

  /**
   * Build a wire option from a registered definition and a typed value. @throws RangeError (unknown
   * name, invalid value).
   */
  encodeOption(name: string, value: unknown): GeneveOption {
    const def = this.byName.get(name);
    if (!def) throw new RangeError(`no option named ${name}`);
    const n = def.encodedLength(value);
    const data = new Uint8Array(n);
    def.encode(value, data, 0);
    return { optionClass: def.optionClass, type: def.type, critical: def.critical, rbits: 0, data };
  }
}

/** Parse a `CLASS:TYPE:HEX` option (the `tc ... geneve_opts` form, hex without 0x). @throws RangeError. */
export function parseOptionText(s: string): GeneveOption {
  const m = /^(?:0x)?([0-9a-f]{1,4}):(?:0x)?([0-9a-f]{1,2}):((?:[0-9a-f]{8})*)$/i.exec(s);
  if (!m) throw new RangeError(`expected CLASS:TYPE:HEX with HEX a multiple of 4 bytes, got ${s}`);
  const type = parseInt(m[2]!, 16);
  const data = fromHex(m[3]!);
  if (data.length > 124) throw new RangeError(`option data is ${data.length} bytes; at most 124`);
  return { optionClass: parseInt(m[1]!, 16), type, critical: (type & 0x80) !== 0, rbits: 0, data };
}

/** `CLASS:TYPE:HEX` text of an option (as `tc` prints `geneve_opts`). */
export function formatOptionText(o: GeneveOption): string {
  return `${o.optionClass.toString(16).padStart(4, '0')}:${o.type.toString(16).padStart(2, '0')}:${toHex(o.data)}`;
}
