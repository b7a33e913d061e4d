// The Geneve TLV registry: OptionRegistry.withBuiltins().describe / checkCritical on options parsed from
// the input, the built-in codecs (decode → encode → decode, toJson → fromJson), and DeclarativeOption
// over layouts built from the input (decode, encode, readField / writeField, reserved bits).
// Input: mode byte, then (mode & 1 = 0) a Geneve header + options, or (mode & 1 = 1) a declarative layout
// followed by option data. Seeds: the Geneve headers of the captures, built-in option encodings.
import { OptionRegistry, defineOption, BUILTIN_OPTIONS, parseOptionText, formatOptionText } from '../../dist/tlv/index.js';
import { parseGeneveLax } from '../../dist/geneve/index.js';
import { Reader, check, same } from './common.js';

const registry = OptionRegistry.withBuiltins();
const out = new Uint8Array(256);

function roundTrip(def, bytes, offset, length, what) {
  const r = def.decode(bytes, offset, length);
  check(r && typeof r.ok === 'boolean', `${what}: decode did not return a Result`);
  if (!r.ok) {
    check(r.error.kind === 'bad-length' || r.error.kind === 'bad-value', `${what}: unexpected error kind`, r.error);
    return null;
  }
  check(length >= def.minLength && length <= def.maxLength && length % 4 === 0, `${what}: decoded a length outside min..max`, { length });
  const v = r.value;
  check(def.validate(v) === null, `${what}: decoded value does not validate`, { m: def.validate(v) });
  const n = def.encodedLength(v);
  check(n === length, `${what}: encodedLength(decode(x)) != length`, { n, length });
  out.fill(0xa5);
  check(def.encode(v, out, 1) === n, `${what}: encode length`);
  const back = def.decode(out, 1, n);
  check(back.ok && same(back.value, v), `${what}: decode(encode(v)) != v`, { v, back });
  const fromJson = def.fromJson(JSON.parse(JSON.stringify(def.toJson(v))));
  check(same(fromJson, v), `${what}: fromJson(toJson(v)) != v`, { v, fromJson });
  return v;
}

function registryChecks(bytes) {
  const lax = parseGeneveLax(bytes, 0, bytes.length);
  if (!lax.value) return;
  const options = lax.value.options;
  let at = 8;
  for (const o of options) {
    const d = registry.describe(o, at + 4);
    const def = registry.lookup(o.optionClass, o.type);
    check(d.known === (def !== undefined), 'describe().known != lookup()', { d });
    if (def) {
      check(d.name === def.name, 'describe name');
      if ('error' in d) check(d.error.at === at + 4 && (d.error.kind === 'bad-length' || d.error.kind === 'bad-value'), 'describe error', d);
      else roundTrip(def, o.data, 0, o.data.length, def.name);
    }
    const text = formatOptionText(o);
    const p = parseOptionText(text);
    check(p.optionClass === o.optionClass && p.type === o.type && same(p.data, o.data), 'parseOptionText(formatOptionText(o)) != o', { text });
    at += 4 + o.data.length;
  }
  for (const critical of [false, true]) {
    const c = registry.checkCritical(critical, options, 8, 1);
    const unknownCritical = options.findIndex((o) => o.critical && !registry.lookup(o.optionClass, o.type));
    check((c.action === 'drop') === (unknownCritical >= 0), 'checkCritical action', { c, unknownCritical });
    for (const w of c.warnings) check(w.offset >= 1 && w.offset < Math.max(at, 9), 'checkCritical warning offset outside the header', w);
    const anyCritical = options.some((o) => o.critical);
    check(c.warnings.some((w) => w.kind === 'critical-flag-mismatch') === (anyCritical !== critical), 'critical-flag-mismatch', c);
  }
}

function declarative(rd) {
  const nFields = 1 + (rd.u8() % 10);
  const fields = [];
  for (let i = 0; i < nFields; i++) {
    const k = rd.u8();
    if (k < 200) fields.push({ name: `f${i}`, bits: 1 + (k % 64), ...(rd.u8() & 1 ? { reserved: true } : {}) });
    else if (k < 240) fields.push({ name: `b${i}`, bytes: 1 + (k % 8) });
    else fields.push({ name: `r${i}`, bytes: 'rest' });
  }
  let def;
  try {
    def = defineOption({ name: 'fuzz.opt', optionClass: rd.u16(), type: rd.u8(), fields });
  } catch (e) {
    check(e instanceof RangeError, 'defineOption threw something else than RangeError', { e: String(e) });
    return;
  }
  const offset = rd.u8() & 7;
  const data = rd.bytes(rd.left);
  const length = Math.max(0, data.length - offset);
  const v = roundTrip(def, data, offset, length, 'declarative');
  if (!v) return;
  // Fields read in place equal the decoded value; writing them back changes nothing.
  const copy = Uint8Array.from(data);
  for (const c of def.layout) {
    if (c.reserved || c.kind !== 'bits') continue;
    const x = def.readField(data, offset, c.name);
    check(x === v[c.name], `readField(${c.name}) != decoded`, { x, v: v[c.name] });
    def.writeField(copy, offset, c.name, x);
  }
  check(same(copy, data), 'writeField(readField(x)) changed the data');
  // encode(decode(x)) equals x except in reserved fields (written as 0).
  def.encode(v, out, 0);
  for (const c of def.layout) {
    if (c.kind !== 'bits') continue;
    for (let b = c.at; b < c.at + c.width; b++) {
      const bit = (out[b >>> 3] >>> (7 - (b & 7))) & 1;
      const src = (data[offset + (b >>> 3)] >>> (7 - (b & 7))) & 1;
      check(bit === (c.reserved ? 0 : src), `encode(decode(x)) bit ${b} (${c.name}) wrong`, { c });
    }
  }
}

export function fuzz(data) {
  const rd = new Reader(data);
  const mode = rd.u8();
  if (mode & 1) {
    declarative(rd);
  } else {
    registryChecks(data.subarray(1));
    // Every built-in codec over the same bytes at every legal length.
    const which = BUILTIN_OPTIONS[(mode >>> 1) % BUILTIN_OPTIONS.length];
    const bytes = data.subarray(1);
    roundTrip(which, bytes, 0, bytes.length & ~3, which.name);
  }
}
