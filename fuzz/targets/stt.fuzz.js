// STT: parseStt (lax and strict), SttView, emitStt(parse(x)) (byte-exact: every byte is a field), and the
// STT segment's TCP-like header (parseTcp + sttSegmentInfo + emitSttSegmentTcp round trip).
// Input: [mode, offset, cut, ...bytes]; seeds are STT segments (TCP header + payload) of the captures.
import { parseStt, emitStt, SttView, sttSegmentInfo, emitSttSegmentTcp, STT_FRAME_HEADER_LEN } from '../../dist/stt/index.js';
import { parseTcp, TcpView } from '../../dist/net/index.js';
import { check, checkResult, frame, invertOutside, same } from './common.js';

const out = new Uint8Array(64);

function header(bytes, offset, end, hi, strict) {
  const r = checkResult(parseStt(bytes, offset, end, { strict }), offset, hi, 'parseStt');
  const r2 = parseStt(invertOutside(bytes, offset, end), offset, end, { strict });
  check(same(r, r2), 'parseStt depends on bytes outside [offset, end)', { r, r2 });
  const v = SttView.check(bytes, offset, end);
  check(v.ok === (hi - offset >= STT_FRAME_HEADER_LEN), 'SttView.check disagrees with the length');
  if (!r.ok) {
    if (!strict && v.ok) check(r.error.kind === 'bad-version', 'lax parseStt failed on 18 bytes for another reason than the version', r.error);
    return;
  }
  const f = r.value;
  const w = v.value;
  check(
    w.contextId === f.contextId && w.mss === f.mss && w.vlanId === f.vlanId && w.pcp === f.pcp && w.l4Offset === f.l4Offset,
    'SttView disagrees with parseStt',
    f,
  );
  check(((BigInt(w.contextIdHigh) << 32n) | BigInt(w.contextIdLow)) === f.contextId, 'contextIdHigh/Low disagree with contextId', f);
  check(w.payloadOffset === offset + STT_FRAME_HEADER_LEN && w.payloadOffset <= hi, 'STT payloadOffset');
  const n = emitStt(f, out, 5);
  check(n === STT_FRAME_HEADER_LEN, 'emitStt length');
  for (let i = 0; i < n; i++) check(out[5 + i] === bytes[offset + i], `emitStt(parseStt(x)) differs at byte ${i}`, f);
  const back = parseStt(out, 5, 5 + n, { strict });
  check(back.ok && same(back.value, f), 'parseStt(emitStt(f)) != f', { f, back });
}

function segment(bytes, offset, end) {
  const t = TcpView.check(bytes, offset, end);
  if (!t.ok) return;
  const info = sttSegmentInfo(t.value);
  const f = parseTcp(bytes, offset, end).value;
  const n = emitSttSegmentTcp(
    { srcPort: f.srcPort, dstPort: f.dstPort, frameLength: info.frameLength, fragmentOffset: info.fragmentOffset, frameId: info.frameId, window: f.window, checksum: f.checksum },
    out,
    0,
  );
  const back = TcpView.check(out, 0, n);
  check(back.ok, 'emitSttSegmentTcp output does not check as TCP');
  check(same(sttSegmentInfo(back.value), info), 'sttSegmentInfo(emitSttSegmentTcp(info)) != info', info);
}

export function fuzz(data) {
  const { mode, bytes, offset, end } = frame(data);
  const hi = Math.min(end, bytes.length);
  header(bytes, offset, end, hi, (mode & 1) !== 0);
  segment(bytes, offset, end);
  // The STT frame header follows a 20-byte TCP header in a segment: decode it there too.
  const t = TcpView.check(bytes, offset, end);
  if (t.ok) header(bytes, t.value.payloadOffset, end, hi, (mode & 2) !== 0);
}
