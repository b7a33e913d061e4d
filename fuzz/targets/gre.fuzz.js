// GRE and NVGRE: parseGre / parseGreLax (lax and strict), GreView, GreSreCursor, emitGre(parse(x)),
// the checksum helpers, parseNvgre / nvgreFromGre / NvgreView and emitNvgre(parse(x)).
// Input: [mode, offset, cut, ...bytes]; seeds are the GRE headers + payloads (IP payloads) of the captures.
import {
  parseGre,
  parseGreLax,
  emitGre,
  greLength,
  GreView,
  GreSreCursor,
  fillGreChecksum,
  verifyGreChecksum,
  parseNvgre,
  nvgreFromGre,
  isNvgreFields,
  emitNvgre,
  NvgreView,
} from '../../dist/nvgre/index.js';
import { check, checkAlias, checkResult, checkWireError, frame, invertOutside, same } from './common.js';

const out = new Uint8Array(2048);
const sre = new GreSreCursor();

function gre(bytes, offset, end, strict) {
  const hi = Math.min(end, bytes.length);
  const r = checkResult(parseGre(bytes, offset, end, { strict }), offset, hi, 'parseGre');
  const r2 = parseGre(invertOutside(bytes, offset, end), offset, end, { strict });
  check(same(r, r2), 'parseGre depends on bytes outside [offset, end)', { r, r2 });
  const lax = parseGreLax(bytes, offset, end, { strict });
  if (lax.error) checkWireError(lax.error, offset, hi, 'parseGreLax');
  check(r.ok === !lax.error, 'parseGre and parseGreLax disagree on success', { r, lax });
  if (!r.ok) {
    check(same(r.error, lax.error), 'parseGre error != parseGreLax error', { r, lax });
    return null;
  }
  const f = r.value;
  check(same(f, lax.value), 'parseGre value != parseGreLax value', { f, lax });
  const len = greLength(f);
  check(offset + len <= hi, 'GRE header past end', { len, offset, end });
  const v = GreView.check(bytes, offset, end);
  check(v.ok, 'GreView.check fails where parseGre succeeds');
  check(v.value.headerLength === len && v.value.payloadOffset === offset + len, 'GreView.headerLength != greLength', { len, h: v.value.headerLength });
  if (f.routing) {
    for (const s of f.routing) checkAlias(s.data, bytes, offset, offset + len, 'SRE data');
    let n = 0;
    for (let more = sre.first(v.value, end); more; more = sre.next()) {
      check(sre.at + 4 + sre.sreLength <= hi, 'GreSreCursor past end');
      n++;
    }
    check(n === f.routing.length, 'GreSreCursor count != routing list length', { n });
  }
  // emit(parse(x)) re-parses equal and is byte-exact but for the terminating SRE's offset byte.
  const n = emitGre(f, out, 1);
  check(n === len, 'emitGre length != greLength', { n, len });
  const term = f.routing ? len - 4 : -1;
  for (let i = 0; i < n; i++) {
    if (i === term + 2) continue;
    check(out[1 + i] === bytes[offset + i], `emitGre(parseGre(x)) differs at byte ${i}`, { f });
  }
  const back = parseGre(out, 1, 1 + n, { strict });
  check(back.ok && same(back.value, f), 'parseGre(emitGre(f)) != f', { f, back });
  // Checksum: filling it makes it verify.
  if (f.checksumPresent && hi - offset >= 6) {
    const c = bytes.slice(offset, hi);
    fillGreChecksum(c, 0);
    check(verifyGreChecksum(c, 0), 'verifyGreChecksum fails after fillGreChecksum', { f });
  }
  return f;
}

function nvgre(bytes, offset, end, strict, g) {
  const hi = Math.min(end, bytes.length);
  const r = checkResult(parseNvgre(bytes, offset, end, { strict }), offset, hi, 'parseNvgre');
  const r2 = parseNvgre(invertOutside(bytes, offset, end), offset, end, { strict });
  check(same(r, r2), 'parseNvgre depends on bytes outside [offset, end)', { r, r2 });
  const lax = strict ? parseNvgre(bytes, offset, end) : r;
  // NVGRE is exactly GRE with K only, version 0, protocol 0x6558.
  const asGre = g ?? (strict ? null : undefined);
  if (asGre !== null) {
    const isNv = asGre !== undefined && isNvgreFields(asGre);
    check(lax.ok === isNv, 'parseNvgre and parseGre + isNvgreFields disagree', { lax, asGre });
    if (lax.ok) check(same(nvgreFromGre(asGre), lax.value), 'nvgreFromGre != parseNvgre', { lax, asGre });
  }
  if (!r.ok) return;
  const f = r.value;
  const v = NvgreView.check(bytes, offset, end);
  check(v.ok && v.value.vsid === f.vsid && v.value.flowId === f.flowId && v.value.payloadOffset === offset + 8, 'NvgreView disagrees', f);
  const n = emitNvgre(f, out, 0);
  for (let i = 0; i < n; i++) check(out[i] === bytes[offset + i], `emitNvgre(parseNvgre(x)) differs at byte ${i}`, { f });
}

export function fuzz(data) {
  const { mode, bytes, offset, end } = frame(data);
  const strict = (mode & 1) !== 0;
  const g = gre(bytes, offset, end, strict);
  nvgre(bytes, offset, end, strict, strict ? null : (g ?? undefined));
}
