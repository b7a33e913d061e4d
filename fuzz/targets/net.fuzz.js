// Outer headers: parseEthernet (+ VLAN tags), parseArp, parseIpv4, parseIpv6 + Ipv6ExtWalker, parseUdp,
// parseTcp (lax and strict), their views, and emit(parse(x)) round trips.
// Input: [mode, offset, cut, ...bytes]; seeds are whole frames and their IP / L4 headers from the captures.
import {
  parseEthernet,
  emitEthernet,
  parseArp,
  parseIpv4,
  emitIpv4,
  Ipv4View,
  parseIpv6,
  emitIpv6,
  Ipv6View,
  Ipv6ExtWalker,
  parseUdp,
  emitUdp,
  UdpView,
  parseTcp,
  emitTcp,
  TcpView,
  internetChecksum,
} from '../../dist/net/index.js';
import { check, checkAlias, checkResult, checkWireError, frame, invertOutside, same } from './common.js';

const out = new Uint8Array(256);
const walker = new Ipv6ExtWalker();

function stable(name, fn, bytes, offset, end, hi) {
  const r = checkResult(fn(bytes, offset, end), offset, hi, name);
  const r2 = fn(invertOutside(bytes, offset, end), offset, end);
  check(same(r, r2), `${name} depends on bytes outside [offset, end)`, { r, r2 });
  return r;
}

function ethernet(bytes, offset, end, hi) {
  const r = stable('parseEthernet', parseEthernet, bytes, offset, end, hi);
  if (!r.ok) return;
  const { fields, headerLength } = r.value;
  check(headerLength === 14 + 4 * fields.vlans.length && offset + headerLength <= hi, 'Ethernet header length', r.value);
  const n = emitEthernet(fields, out, 0);
  check(n === headerLength, 'emitEthernet length');
  for (let i = 0; i < n; i++) check(out[i] === bytes[offset + i], `emitEthernet(parseEthernet(x)) differs at byte ${i}`, fields);
}

function arp(bytes, offset, end, hi) {
  const r = stable('parseArp', parseArp, bytes, offset, end, hi);
  if (r.ok) check(hi - offset >= 28, 'parseArp ok on fewer than 28 bytes');
}

function ipv4(bytes, offset, end, hi) {
  const r = stable('parseIpv4', parseIpv4, bytes, offset, end, hi);
  const v = Ipv4View.check(bytes, offset, end);
  check(v.ok === r.ok, 'Ipv4View.check and parseIpv4 disagree');
  if (!r.ok) return;
  const f = r.value;
  const hl = 20 + f.options.length;
  check(hl === v.value.headerLength && offset + hl <= hi, 'IPv4 header length', { hl });
  checkAlias(f.options, bytes, offset + 20, offset + hl, 'IPv4 options');
  const pe = v.value.payloadEnd(end);
  check(pe >= offset + hl && pe <= hi, 'IPv4 payloadEnd outside [header end, end]', { pe, hl });
  const n = emitIpv4(f, out, 0);
  check(n === hl, 'emitIpv4 length');
  check(internetChecksum(out, 0, n) === 0, 'emitIpv4 writes a wrong header checksum');
  const back = parseIpv4(out, 0, n);
  check(back.ok && same(back.value, f), 'parseIpv4(emitIpv4(f)) != f', { f, back });
  for (let i = 0; i < n; i++) {
    if (i === 10 || i === 11) continue; // checksum (recomputed)
    const mask = i === 6 ? 0x7f : 0xff; // reserved flag written as 0
    check((out[i] & mask) === (bytes[offset + i] & mask), `emitIpv4(parseIpv4(x)) differs at byte ${i}`, f);
  }
}

function ipv6(bytes, offset, end, hi) {
  const r = stable('parseIpv6', parseIpv6, bytes, offset, end, hi);
  const v = Ipv6View.check(bytes, offset, end);
  check(v.ok === r.ok, 'Ipv6View.check and parseIpv6 disagree');
  if (!r.ok) return;
  const n = emitIpv6(r.value, out, 0);
  for (let i = 0; i < n; i++) check(out[i] === bytes[offset + i], `emitIpv6(parseIpv6(x)) differs at byte ${i}`, r.value);
  const pend = v.value.payloadEnd(end);
  check(pend >= offset + 40 && pend <= hi, 'IPv6 payloadEnd outside [header end, end]', { pend });
  const code = walker.walk(bytes, offset, pend);
  check(code === 0 || code === 1 || code === 2, 'Ipv6ExtWalker.walk code', { code });
  check(walker.extensions <= 17, 'Ipv6ExtWalker crossed more extensions than its limit', { e: walker.extensions });
  if (code === 0) {
    check(walker.upperOffset >= offset + 40 && walker.upperOffset <= pend, 'Ipv6ExtWalker.upperOffset outside the payload', { u: walker.upperOffset, pend });
    check(walker.finalDstAt >= offset + 8 && walker.finalDstAt + 16 <= pend, 'Ipv6ExtWalker.finalDstAt outside the packet', { d: walker.finalDstAt });
    check(walker.protocol >= 0 && walker.protocol <= 255, 'Ipv6ExtWalker.protocol');
    if (walker.hasFragment) check(walker.fragmentHeaderAt + 8 <= walker.upperOffset, 'fragment header after the upper layer');
  } else {
    checkWireError(walker.error(code, bytes, pend), offset, pend, 'Ipv6ExtWalker.error');
  }
}

function udp(bytes, offset, end, hi) {
  const r = stable('parseUdp', parseUdp, bytes, offset, end, hi);
  if (!r.ok) return;
  const v = UdpView.check(bytes, offset, end).value;
  const pe = v.payloadEnd(end);
  check(v.payloadOffset === offset + 8 && pe <= hi && (pe >= offset + 8 || r.value.length < 8), 'UDP payload bounds', { pe, f: r.value });
  const n = emitUdp(r.value, out, 0);
  for (let i = 0; i < n; i++) check(out[i] === bytes[offset + i], `emitUdp(parseUdp(x)) differs at byte ${i}`, r.value);
}

function tcp(bytes, offset, end, hi, strict) {
  const r = checkResult(parseTcp(bytes, offset, end, { strict }), offset, hi, 'parseTcp');
  const r2 = parseTcp(invertOutside(bytes, offset, end), offset, end, { strict });
  check(same(r, r2), 'parseTcp depends on bytes outside [offset, end)', { r, r2 });
  const v = TcpView.check(bytes, offset, end);
  if (!r.ok) {
    if (!strict) check(!v.ok, 'TcpView.check ok where lax parseTcp fails');
    return;
  }
  const f = r.value;
  const hl = 20 + f.options.length;
  check(v.ok && v.value.headerLength === hl && v.value.payloadOffset === offset + hl && offset + hl <= hi, 'TCP header length', { hl });
  checkAlias(f.options, bytes, offset + 20, offset + hl, 'TCP options');
  const n = emitTcp(f, out, 0);
  check(n === hl, 'emitTcp length');
  const back = parseTcp(out, 0, n, { strict: true });
  check(back.ok && same(back.value, f), 'parseTcp(emitTcp(f)) != f', { f, back });
  for (let i = 0; i < n; i++) {
    const mask = i === 12 ? 0xf1 : 0xff; // reserved bits written as 0
    check((out[i] & mask) === (bytes[offset + i] & mask), `emitTcp(parseTcp(x)) differs at byte ${i}`, f);
  }
}

export function fuzz(data) {
  const { mode, bytes, offset, end } = frame(data);
  const hi = Math.min(end, bytes.length);
  ethernet(bytes, offset, end, hi);
  arp(bytes, offset, end, hi);
  ipv4(bytes, offset, end, hi);
  ipv6(bytes, offset, end, hi);
  udp(bytes, offset, end, hi);
  tcp(bytes, offset, end, hi, (mode & 1) !== 0);
}
