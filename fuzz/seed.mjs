// Build the seed corpora fuzz/corpus/<target>/ from the shared captures (test/fixtures/captures, the
// in-repo copy of ../shared/captures): per target the relevant byte slices, found by walking every
// frame with the library itself. Run after `npx tsup`:  node fuzz/seed.mjs [captures-dir]
// Seeds are named seed-<capture>-<n>; files the fuzzer adds later are named by their SHA-1.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, dirname, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCaptureAll } from '../dist/capture/index.js';
import { walkPacket } from '../dist/walk/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const capDir = process.argv[2] ?? join(here, '..', 'test', 'fixtures', 'captures');
const corpus = join(here, 'corpus');
const PER_CAPTURE = 4; // seeds per (target, capture)
const seen = new Map(); // target -> Set(sha1)
const counts = new Map(); // `${target}|${capture}` -> n

function add(target, capture, bytes) {
  const h = createHash('sha1').update(bytes).digest('hex');
  if (!seen.has(target)) seen.set(target, new Set());
  const s = seen.get(target);
  if (s.has(h)) return;
  const k = `${target}|${capture}`;
  const n = counts.get(k) ?? 0;
  if (n >= PER_CAPTURE) return;
  counts.set(k, n + 1);
  s.add(h);
  const dir = join(corpus, target);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `seed-${capture}-${n}`), bytes);
}

const cat = (...parts) => Buffer.concat(parts.map((p) => Buffer.from(p)));
const u16 = (n) => Uint8Array.of(n >>> 8, n & 0xff);
const ctl3 = (mode, bytes) => cat(Uint8Array.of(mode, 0, 0), bytes);

const files = readdirSync(capDir).filter((f) => /\.pcap(ng)?$/.test(f)).sort();
for (const f of files) {
  const name = basename(f).replace(/\.pcap(ng)?$/, '');
  const file = readFileSync(join(capDir, f));
  // capture: small files whole, heads of the bigger ones (a few records and a cut one).
  add('capture', name, cat(Uint8Array.of(0, 0, 1), file.subarray(0, 6000)));
  if (file.length < 6000) add('capture', name, cat(Uint8Array.of(2, 0x12, 0x34), file));
  const { records } = readCaptureAll(new Uint8Array(file));
  const frames = records.filter((r) => r.linkType === 1).map((r) => r.data);
  // walk: runs of consecutive frames (fragments and STT segments stay together).
  for (let i = 0; i < frames.length && i < 24; i += 6) {
    const run = frames.slice(i, i + 6).filter((fr) => fr.length <= 0x7ff);
    if (run.length) add('walk', name, cat(Uint8Array.of(0), u16(0), ...run.flatMap((fr) => [u16(fr.length), fr])));
    // fastline reads the walk target's format (its whole corpus is copied in as seeds too).
    if (run.length) add('fastline', name, cat(Uint8Array.of(0), u16(0), ...run.flatMap((fr) => [u16(fr.length), fr])));
  }
  for (const fr of frames) {
    const d = walkPacket(fr);
    add('net', name, ctl3(0, fr.subarray(0, 512)));
    for (const l of d.layers) {
      if (l.buffer === 'reassembled') continue;
      const rest = fr.subarray(l.offset, Math.min(fr.length, l.offset + 512));
      switch (l.proto) {
        case 'ipv4':
        case 'ipv6':
        case 'udp':
        case 'tcp':
        case 'arp':
          add('net', `${name}-${l.proto}`, ctl3(0, rest));
          if (l.proto === 'tcp' && d.layers.some((x) => x.proto === 'stt')) add('stt', name, ctl3(0, rest));
          break;
        case 'vxlan':
        case 'vxlan-gpe':
          add('vxlan', name, ctl3(0, rest.subarray(0, 64)));
          break;
        case 'geneve':
          add('geneve', name, ctl3(0, rest.subarray(0, 300)));
          add('tlv', name, cat(Uint8Array.of(0), fr.subarray(l.offset, Math.min(fr.length, l.offset + l.length))));
          break;
        case 'gre':
        case 'nvgre':
          add('gre', name, ctl3(0, rest.subarray(0, 128)));
          break;
        case 'stt':
          add('stt', `${name}-hdr`, ctl3(0, rest.subarray(0, 64)));
          break;
      }
    }
  }
  // stt-reassembly: the STT segments of the capture as raw push operations.
  const segs = [];
  for (const fr of frames) {
    const d = walkPacket(fr);
    const t = d.layers.find((l) => l.proto === 'tcp');
    const s = d.layers.find((l) => l.proto === 'stt');
    if (!t || !s) continue;
    const len = Math.min(255, fr.length - s.offset);
    // op: push (0), key 0, raw (8), frameId low 4 bits; frameLength; offset; length; salt; time step
    segs.push(Uint8Array.of(0x08 | ((s.frameId & 15) << 4)), u16(s.frameLength), u16(s.fragmentOffset), Uint8Array.of(len, 0, 1));
  }
  if (segs.length) add('stt-reassembly', name, cat(u16(4096), Uint8Array.of(4, 50), ...segs.slice(0, 6 * 40)));
}

// Hand-made seeds: the built-in TLV definitions and declarative layouts; well-formed reassembly runs.
const opts = [
  ['ovn', [0x01, 0x02, 0x80, 0x01, 0x00, 0x05, 0x80, 0x02]],
  ['gcp-vnid', [0x01, 0x32, 0x01, 0x01, 0x12, 0x34, 0x56, 0x71]],
  ['cilium-v4', [0x01, 0x4b, 0x81, 0x02, 10, 0, 0, 1, 0x1f, 0x90, 0, 0]],
  ['cpacket', [0x01, 0x64, 0x00, 0x06, ...new Array(24).fill(7)]],
];
for (const [n, o] of opts) {
  const optLen = o.length / 4;
  add('tlv', `builtin-${n}`, cat(Uint8Array.of(0), Uint8Array.of(optLen, 0x80, 0x65, 0x58, 0, 0, 1, 0), Uint8Array.from(o)));
}
add('tlv', 'declarative-ovn', Uint8Array.of(1, 3, 10, 1, 14, 0, 15, 0, 0x01, 0x02, 0x80, 0, 0x80, 0x01, 0x00, 0x05));
add('tlv', 'declarative-rest', Uint8Array.of(1, 3, 31, 0, 240, 0, 245, 0xff, 0x01, 0x81, 0, 1, 2, 3, 4, 5, 6, 7, 8));
// A 3-segment frame in order, out of order with a duplicate, and a conflicting overlap.
const seg3 = (id, order, salt = 0) =>
  order.map((k) => Uint8Array.of((id << 4) | 8, 0, 100, 0, k * 40, k === 2 ? 20 : 40, salt, 1));
add('stt-reassembly', 'inorder', cat(u16(4096), Uint8Array.of(4, 50), ...seg3(1, [0, 1, 2])));
add('stt-reassembly', 'reorder-dup', cat(u16(4096), Uint8Array.of(4, 50), ...seg3(2, [2, 0, 0, 1])));
add('stt-reassembly', 'conflict', cat(u16(300), Uint8Array.of(2, 50), ...seg3(3, [0, 1]), ...seg3(3, [1], 0x85)));

for (const [t, s] of seen) console.log(`seed: ${t}: ${s.size} files`);
if (!existsSync(corpus)) process.exit(1);
