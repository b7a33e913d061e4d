// Geneve: parseGeneve (lax and strict), parseGeneveLax, GeneveOptionCursor, checkGeneveOptions,
// emitGeneve(parse(x)) (byte-exact: emit writes every byte, reserved ones included), and the view.
// Input: [mode, offset, cut, ...bytes]; seeds are the Geneve UDP payloads of the captures.
import {
  parseGeneve,
  parseGeneveLax,
  emitGeneve,
  geneveLength,
  GeneveView,
  GeneveOptionCursor,
  checkGeneveOptions,
  GENEVE_OPT_CURRENT,
  GENEVE_OPT_DONE,
  GENEVE_FIXED_LEN,
} from '../../dist/geneve/index.js';
import { check, checkAlias, checkResult, checkWireError, frame, invertOutside, same } from './common.js';

const out = new Uint8Array(512);
const cursor = new GeneveOptionCursor();

function checkOptions(opts, bytes, lo, hi, what) {
  let at = lo;
  for (const o of opts) {
    check(o.critical === ((o.type & 0x80) !== 0), `${what}: critical disagrees with type`, o);
    check(o.rbits >= 0 && o.rbits <= 7, `${what}: rbits`, o);
    check(o.data.length % 4 === 0 && o.data.length <= 124, `${what}: option data length`, o);
    checkAlias(o.data, bytes, at + 4, hi, `${what}: option data`);
    check(o.data.byteOffset - bytes.byteOffset === at + 4, `${what}: options not contiguous`, o);
    at += 4 + o.data.length;
  }
  return at;
}

export function fuzz(data) {
  const { mode, bytes, offset, end } = frame(data);
  const strict = (mode & 1) !== 0;
  const hi = Math.min(end, bytes.length);

  // parseGeneve
  const r = checkResult(parseGeneve(bytes, offset, end, { strict }), offset, hi, 'parseGeneve');
  const r2 = parseGeneve(invertOutside(bytes, offset, end), offset, end, { strict });
  check(same(r, r2), 'parseGeneve depends on bytes outside [offset, end)', { r, r2 });
  if (r.ok) {
    const f = r.value;
    const len = geneveLength(f);
    check(offset + len <= hi, 'parseGeneve: header + options past end', { len, offset, end });
    check(len === GENEVE_FIXED_LEN + (bytes[offset] & 0x3f) * 4, 'geneveLength != 8 + 4 * Opt Len', { len });
    const last = checkOptions(f.options, bytes, offset + 8, offset + len, 'parseGeneve');
    check(last === offset + len, 'parseGeneve: options do not fill Opt Len', { last, len });
    check(f.version === 0, 'parseGeneve accepted a non-zero version', f);
    // emit(parse(x)) is byte-exact.
    const n = emitGeneve(f, out, 3);
    check(n === len, 'emitGeneve length', { n, len });
    for (let i = 0; i < n; i++) check(out[3 + i] === bytes[offset + i], `emitGeneve(parseGeneve(x)) differs at byte ${i}`, { f });
    const back = parseGeneve(out, 3, 3 + n, { strict });
    check(back.ok && same(back.value, f), 'parseGeneve(emitGeneve(f)) != f', { f, back });
    if (strict) check(parseGeneve(bytes, offset, end).ok, 'strict ok but lax fails');
  }

  // parseGeneveLax: agrees with parseGeneve; never throws; options always inside [offset, end).
  const lax = parseGeneveLax(bytes, offset, end);
  check(lax.value !== undefined || lax.error !== undefined, 'parseGeneveLax returned nothing');
  if (lax.error) checkWireError(lax.error, offset, hi, 'parseGeneveLax');
  if (!lax.value) check(hi - offset < GENEVE_FIXED_LEN && lax.error.kind === 'truncated', 'parseGeneveLax: no value for 8+ bytes', lax);
  if (lax.value) checkOptions(lax.value.options, bytes, offset + 8, hi, 'parseGeneveLax');
  const plain = strict ? parseGeneve(bytes, offset, end) : r;
  if (plain.ok) check(!lax.error && same(lax.value, plain.value), 'parseGeneveLax != parseGeneve on a valid header', { lax, plain });
  else check(lax.error !== undefined && same(lax.error, plain.error), 'parseGeneveLax error != parseGeneve error', { lax, plain });

  // The view and the cursor.
  const v = GeneveView.check(bytes, offset, end);
  if (v.ok) {
    const w = v.value;
    check(w.payloadOffset <= hi && w.optionsOffset === offset + 8, 'GeneveView offsets', { p: w.payloadOffset });
    cursor.reset(bytes, w.optionsOffset, w.payloadOffset);
    let c;
    let count = 0;
    while ((c = cursor.next()) === GENEVE_OPT_CURRENT) {
      check(cursor.offset >= w.optionsOffset && cursor.offset + cursor.totalLength <= w.payloadOffset, 'cursor option outside the options area');
      checkAlias(cursor.data(), bytes, cursor.dataOffset, w.payloadOffset, 'cursor data');
      if (++count > 64) throw new Error('cursor: more options than bytes allow');
    }
    const e = cursor.error();
    const e2 = checkGeneveOptions(bytes, w.optionsOffset, w.payloadOffset);
    check(same(e, e2), 'GeneveOptionCursor.error() != checkGeneveOptions()', { e, e2 });
    check((c === GENEVE_OPT_DONE) === (e === null), 'cursor code and error disagree', { c, e });
    if (e) checkWireError(e, w.optionsOffset, w.payloadOffset, 'cursor error');
    check(cursor.next() === c, 'cursor does not stay on its final code');
  } else {
    checkWireError(v.error, offset, hi, 'GeneveView.check');
  }
  // A cursor over arbitrary bounds never reads past them.
  cursor.reset(bytes, offset, end);
  let guard = 0;
  while (cursor.next() === GENEVE_OPT_CURRENT) {
    check(cursor.offset + cursor.totalLength <= hi, 'cursor (raw bounds) past end');
    if (++guard > bytes.length) throw new Error('cursor does not advance');
  }
}
