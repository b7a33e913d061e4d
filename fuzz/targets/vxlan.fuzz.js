// VXLAN, VXLAN-GBP and VXLAN-GPE decoders: parseVxlan (both extensions, lax and strict), parseVxlanGpe,
// the views, and emit(parse(x)) round trips.
// Input: [mode, offset, cut, ...bytes] (see common.js `frame`); seeds are UDP payloads from the captures.
import {
  parseVxlan,
  parseVxlanGpe,
  emitVxlan,
  emitVxlanGpe,
  VxlanView,
  VxlanGpeView,
  VXLAN_HEADER_LEN,
} from '../../dist/vxlan/index.js';
import { check, checkResult, frame, invertOutside, same } from './common.js';

const out = new Uint8Array(VXLAN_HEADER_LEN + 8);

function vxlan(bytes, offset, end, opts) {
  const r = checkResult(parseVxlan(bytes, offset, end, opts), offset, end, 'parseVxlan');
  const r2 = parseVxlan(invertOutside(bytes, offset, end), offset, end, opts);
  check(same(r, r2), 'parseVxlan depends on bytes outside [offset, end)', { r, r2 });
  if (!r.ok) {
    check(end - offset < VXLAN_HEADER_LEN || opts.strict, 'parseVxlan failed on 8 bytes without strict', r.error);
    return;
  }
  check(end - offset >= VXLAN_HEADER_LEN, 'parseVxlan ok on fewer than 8 bytes');
  const f = r.value;
  check(Number.isInteger(f.vni) && f.vni >= 0 && f.vni <= 0xffffff, 'vni out of range', f);
  check(f.vni === VxlanView.unchecked(bytes, offset).vni, 'vni disagrees with the view', f);
  // emit(parse(x)) re-parses equal.
  const n = emitVxlan(f, out, 4);
  check(n === VXLAN_HEADER_LEN, 'emitVxlan length');
  const back = parseVxlan(out, 4, 4 + n, opts);
  check(back.ok && same(back.value, f), 'parseVxlan(emitVxlan(f)) != f', { f, back });
  // Strict-ok headers are canonical: emit is byte-exact.
  if (opts.strict) {
    for (let i = 0; i < n; i++) check(out[4 + i] === bytes[offset + i], `strict VXLAN header not byte-exact at ${i}`, { f });
  }
}

function gpe(bytes, offset, end, opts) {
  const r = checkResult(parseVxlanGpe(bytes, offset, end, opts), offset, end, 'parseVxlanGpe');
  const r2 = parseVxlanGpe(invertOutside(bytes, offset, end), offset, end, opts);
  check(same(r, r2), 'parseVxlanGpe depends on bytes outside [offset, end)', { r, r2 });
  const v = VxlanGpeView.check(bytes, offset, end);
  check(v.ok === (end - offset >= VXLAN_HEADER_LEN), 'VxlanGpeView.check disagrees with the length');
  if (!r.ok) return;
  const f = r.value;
  check(f.version === 0, 'parseVxlanGpe accepted a non-zero version', f);
  const n = emitVxlanGpe(f, out, 2);
  const back = parseVxlanGpe(out, 2, 2 + n, opts);
  check(back.ok && same(back.value, f), 'parseVxlanGpe(emitVxlanGpe(f)) != f', { f, back });
  if (opts.strict) {
    for (let i = 0; i < n; i++) check(out[2 + i] === bytes[offset + i], `strict GPE header not byte-exact at ${i}`, { f });
  }
  // The view reads the same fields.
  const w = v.value;
  check(w.vni === f.vni && w.nextProtocol === f.nextProtocol && w.oam === f.oam && w.bum === f.bum, 'GPE view disagrees', f);
  check(w.payloadOffset === offset + VXLAN_HEADER_LEN, 'GPE payloadOffset');
}

export function fuzz(data) {
  const { mode, bytes, offset, end } = frame(data);
  const strict = (mode & 1) !== 0;
  vxlan(bytes, offset, end, { strict, extension: mode & 2 ? 'none' : 'gbp' });
  gpe(bytes, offset, end, { strict });
  // The view never reads past `end`.
  const v = VxlanView.check(bytes, offset, end);
  check(v.ok === (end - offset >= VXLAN_HEADER_LEN), 'VxlanView.check disagrees with the length');
  if (v.ok) check(v.value.payloadOffset === offset + VXLAN_HEADER_LEN && v.value.payloadOffset <= end, 'VXLAN payloadOffset');
}
