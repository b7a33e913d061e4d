// The CLI's byte-level output path (FastLine) against the walker's output forms: the text line and the
// --json record of each frame, at a fuzzed offset inside a larger buffer, with fuzzed lengths and times.
// Checks: no exception; nothing written when a frame is declined; whenever it takes a frame, its bytes
// are exactly packetLine / JSON.stringify(packetJson) of the walker's decode of the same frame; the
// JSON record parses.
// Input (the walk target's format, so its corpus seeds this one): [ctl][etherType u16] then frames
// [length u16][bytes].
import { walkPacket, DEFAULT_UDP_PORTS, DEFAULT_TCP_PORTS, packetJson, packetLine } from '../../dist/walk/index.js';
import { OptionRegistry } from '../../dist/tlv/index.js';
import { ByteSink, FastLine } from '../../dist/cli/fastline.js';
import { Reader, check } from './common.js';

const registry = OptionRegistry.withBuiltins();
const dec = new TextDecoder();
const altPorts = new Map(DEFAULT_UDP_PORTS);
altPorts.set(4789, 'vxlan-rfc7348');
altPorts.set(53, 'geneve');
const lines = [new FastLine(registry, DEFAULT_UDP_PORTS, DEFAULT_TCP_PORTS), new FastLine(registry, altPorts, DEFAULT_TCP_PORTS)];

export function fuzz(data) {
  const rd = new Reader(data);
  const ctl = rd.u8();
  rd.u16();
  const ports = ctl & 1 ? altPorts : DEFAULT_UDP_PORTS;
  const fl = lines[ctl & 1];
  let index = 1;
  while (rd.left > 0 && index < 16) {
    const len = rd.u16() & 0x7ff;
    const frame = Uint8Array.from(rd.bytes(len));
    const at = (ctl >>> 1) & 7;
    const big = new Uint8Array(frame.length + at + 5);
    big.set(frame, at);
    const sec = 1_700_000_000 + index * 977;
    const nsec = (index * 123_456_789) % 1_000_000_000;
    const timeNs = BigInt(sec) * 1_000_000_000n + BigInt(nsec);
    for (const json of [false, true]) {
      const chunks = [];
      const sink = new ByteSink((c) => chunks.push(c.slice()), 1 << 14);
      const ok = json ? fl.json(sink, big, at, frame.length, frame.length, index, sec, nsec) : fl.text(sink, big, at, frame.length, frame.length, index, sec, nsec);
      if (!ok) {
        check(sink.pos === 0 && chunks.length === 0, 'declined frame wrote output');
        continue;
      }
      sink.flush();
      const got = chunks.map((c) => dec.decode(c)).join('');
      const d = walkPacket(frame, { udpPorts: ports });
      const want = (json ? JSON.stringify(packetJson(index, timeNs, frame.length, frame.length, d, registry)) : packetLine(index, timeNs, frame.length, d, registry)) + '\n';
      check(got === want, `fast ${json ? 'JSON' : 'text'} differs from the walker's`, { got, want });
      if (json) JSON.parse(got);
    }
    index++;
  }
}
