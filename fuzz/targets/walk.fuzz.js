// The packet walker: walkPacket over a sequence of frames sharing an IpReassembler and an SttReassembler
// (reassembly across calls), with the output forms the CLI prints (packetJson, packetLine,
// packetWarnings, tunnel metadata).
// Checks: no exception; errors are WireErrors inside the frame (or a reassembled buffer); layers and the
// inner payload lie inside the frame (or the reassembled buffer); reassemblers stay within their byte
// caps; the JSON form serialises; a walk without reassembly is deterministic.
// Input: [ctl][etherType u16] then frames [length u16][bytes]; seeds are whole frames of the captures
// (several frames per seed for the fragment / STT segment captures).
import {
  walkPacket,
  IpReassembler,
  DEFAULT_UDP_PORTS,
  packetJson,
  packetLine,
  packetWarnings,
} from '../../dist/walk/index.js';
import { SttReassembler } from '../../dist/stt/index.js';
import { OptionRegistry, tunnelMetadataFromLayers, tunnelMetadataJson } from '../../dist/tlv/index.js';
import { Reader, check, checkWireError, same } from './common.js';

const registry = OptionRegistry.withBuiltins();

const altPorts = new Map(DEFAULT_UDP_PORTS);
altPorts.set(4789, 'vxlan-rfc7348');
altPorts.set(6081, 'geneve');
altPorts.set(53, 'geneve');
altPorts.set(8472, 'none');

function checkDecode(d, frame, reassembly, what) {
  check(Array.isArray(d.layers) && Array.isArray(d.errors), `${what}: bad PacketDecode`);
  const reassembled = d.layers.some((l) => l.buffer === 'reassembled');
  const hi = reassembled ? Math.max(frame.length, 65535) : frame.length;
  for (const e of d.errors) checkWireError(e, 0, hi, `${what}: error`);
  for (const l of d.layers) {
    check(typeof l.proto === 'string' && Number.isInteger(l.offset) && Number.isInteger(l.length) && l.offset >= 0 && l.length >= 0, `${what}: layer shape`, l);
    if (l.buffer === 'reassembled') {
      check(reassembly, `${what}: reassembled layer without a reassembler`, l);
      check(l.offset + l.length <= 65535, `${what}: reassembled layer past 64 KiB`, l);
    } else {
      check(l.offset <= frame.length, `${what}: layer starts past the frame`, l);
      check(l.offset + l.length <= frame.length || d.errors.length > 0, `${what}: layer ends past the frame without an error`, l);
    }
    if (l.proto === 'geneve') {
      for (const o of l.options) check(o.data instanceof Uint8Array && o.data.length <= 124, `${what}: geneve option`, o);
    }
  }
  if (d.inner) {
    check(d.inner.bytes instanceof Uint8Array && Number.isInteger(d.inner.etherType), `${what}: inner payload`, d.inner);
    if (d.inner.bytes.buffer === frame.buffer) {
      const start = d.inner.bytes.byteOffset - frame.byteOffset;
      check(start >= 0 && start + d.inner.bytes.length <= frame.length, `${what}: inner payload outside the frame`, { start });
    } else {
      check(reassembled, `${what}: inner payload from another buffer without reassembly`);
    }
  }
  if (d.partial !== undefined) check(typeof d.partial === 'string', `${what}: partial`);
}

function outputs(d, frame, index) {
  const j = packetJson(index, BigInt(index) * 1_000_000_123n, frame.length + 4, frame.length, d, registry);
  JSON.stringify(j); // must serialise (no bigint, no cycles)
  check(typeof packetLine(index, 0n, frame.length, d, registry) === 'string', 'packetLine');
  for (const w of packetWarnings(d, registry)) check(Number.isInteger(w.offset), 'packetWarnings offset', w);
  for (let k = 0; k < 3; k++) {
    const m = tunnelMetadataFromLayers(d.layers, k);
    if (!m) break;
    JSON.stringify(tunnelMetadataJson(m));
  }
}

export function fuzz(data) {
  const rd = new Reader(data);
  const ctl = rd.u8();
  const etherType = rd.u16();
  const strict = (ctl & 1) !== 0;
  const link = ctl & 2 ? { kind: 'l3', etherType } : { kind: 'ethernet' };
  const small = (ctl & 4) !== 0;
  const ipReassembler = new IpReassembler(small ? { maxBytes: 3000, maxDatagrams: 3, timeoutMs: 500 } : {});
  const sttReassembler = new SttReassembler(small ? { maxBytes: 4000, maxFrames: 3, timeoutMs: 500 } : {});
  const udpPorts = ctl & 8 ? altPorts : DEFAULT_UDP_PORTS;
  const maxDepth = 1 + ((ctl >>> 4) & 3);
  const step = ctl >>> 6;
  let nowMs = 0;
  let index = 0;
  while (rd.left > 0 && index < 64) {
    const len = rd.u16() & 0x7ff;
    const frame = Uint8Array.from(rd.bytes(len));
    index++;
    nowMs += step * 200;
    const opts = { strict, link, udpPorts, maxDepth, ipReassembler, sttReassembler, nowMs };
    const d = walkPacket(frame, opts);
    checkDecode(d, frame, true, 'walkPacket');
    check(ipReassembler.bufferedBytes <= (small ? 3000 : 16 << 20), 'IpReassembler over its byte cap', { b: ipReassembler.bufferedBytes });
    check(sttReassembler.bufferedBytes <= sttReassembler.maxBytes, 'SttReassembler over its byte cap', { b: sttReassembler.bufferedBytes });
    outputs(d, frame, index);
    // Without reassemblers: deterministic, and never any reassembled layer.
    const plain = { strict, link, udpPorts, maxDepth };
    const a = walkPacket(frame, plain);
    checkDecode(a, frame, false, 'walkPacket (no reassembly)');
    check(same(a, walkPacket(frame, plain)), 'walkPacket is not deterministic');
    outputs(a, frame, index);
  }
}
