// The STT reassembler: the input is read as limits followed by a sequence of push() / pushSegment() /
// expire() calls on one SttReassembler, checked after every call against a shadow model:
// - bufferedBytes <= maxBytes, and equals the sum over frames in flight of frameLength + 16 + 16 per
//   disjoint received range (the documented cost);
// - bytesReceived of each frame in flight = the distinct bytes pushed into it;
// - a completed frame has frameLength bytes, each one pushed for that (key, frameId), and `segments`
//   = the pushes into that frame; stats agree with what happened.
// Input: [maxBytes u16][maxFrames u8][timeout u8] then ops: [op][frameLength u16][fragmentOffset u16]
// [length u8][salt u8][time step u8]. Seeds: the STT segment sequences of scapy-malformed-stt.pcap.
import { SttReassembler, emitSttSegmentTcp, STT_DROP_REASONS, STT_RANGE_COST } from '../../dist/stt/index.js';
import { TcpView } from '../../dist/net/index.js';
import { Reader, check, show } from './common.js';

const KEYS = ['4|167772161|167772162', '6|a|b'];
const seg = new Uint8Array(20 + 65535 + 8);

/** The byte a "well-behaved" sender puts at frame offset i (so overlaps usually agree). */
function canonical(frameId, key, i) {
  return (i * 131 + frameId * 7 + key * 3 + (i >>> 8)) & 0xff;
}

function rangesOf(pushes) {
  const iv = pushes.map((p) => [p.off, p.off + p.data.length]).sort((a, b) => a[0] - b[0]);
  const merged = [];
  for (const [s, e] of iv) {
    const last = merged[merged.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else merged.push([s, e]);
  }
  return merged;
}

export function fuzz(data) {
  const rd = new Reader(data);
  const maxBytes = rd.u16() * (rd.left & 1 ? 1 : 4);
  const maxFrames = rd.u8() % 9;
  const timeoutMs = rd.u8() * 10;
  const r = new SttReassembler({ maxBytes, maxFrames, timeoutMs });
  const shadow = new Map(); // `${frameId}:${key}` -> { frameLength, pushes: [{off, data}] }
  let now = 0;
  let pushes = 0;
  let completed = 0;
  let ops = 0;
  while (rd.left > 0 && ops++ < 120) {
    const op = rd.u8();
    const action = op & 3;
    const keyIx = (op >>> 2) & 1;
    const raw = (op & 8) !== 0;
    const frameId = op >>> 4;
    let frameLength = rd.u16();
    let off = rd.u16();
    let len = rd.u8();
    const salt = rd.u8();
    now += rd.u8() * (raw ? 100 : 3);
    if (raw && !(salt & 0x20)) frameLength %= 2048; // big frames now and then (each one allocates its length)
    if (!raw) {
      frameLength = 18 + (frameLength % 240);
      off = off % (frameLength + 4);
      len = len % (frameLength + 8);
      if (salt & 0x40) len = frameLength - off; // reach the end of the frame
    }
    // Frames whose time is up are dropped by this call (expire(), or on a push, as the oldest ones).
    const expired = new Set();
    for (const p of r.pendingFrames()) {
      if (now - p.firstSeenMs >= timeoutMs) {
        const id = `${p.frameId}:${p.key}`;
        expired.add(id);
        shadow.delete(id);
      }
    }
    if (action === 3) {
      check(r.expire(now) === expired.size, 'expire() count != frames past their time', { n: expired.size });
    } else {
      len = Math.max(0, len);
      const body = new Uint8Array(len);
      for (let i = 0; i < len; i++) body[i] = canonical(frameId, keyIx, off + i);
      if (salt & 0x80 && len > 0) body[salt % len] ^= 1 + (salt & 0x1f); // a conflicting byte
      const key = KEYS[keyIx];
      const id = `${frameId}:${key}`;
      const before = r.stats();
      let res;
      if (action === 2 && frameLength <= 0xffff && off <= 0xffff) {
        const n = emitSttSegmentTcp({ srcPort: 1234, frameLength, fragmentOffset: off, frameId }, seg, 0);
        seg.set(body, n);
        res = r.pushSegment(key, TcpView.check(seg, 0, n + len).value, n + len, now);
      } else {
        res = r.push(key, frameId, frameLength, off, body, now);
      }
      pushes++;
      const after = r.stats();
      check(after.segments === pushes, 'stats.segments != pushes', after);
      const pending = new Map(r.pendingFrames().map((p) => [`${p.frameId}:${p.key}`, p]));
      if (res.status === 'complete') {
        completed++;
        check(res.frame.length === frameLength, 'completed frame length != frameLength', { len: res.frame.length, frameLength });
        const sh = shadow.get(id);
        check(!sh || sh.frameLength === frameLength, 'completed a frame with another frame length');
        const all = (sh ? sh.pushes : []).concat([{ off, data: body }]);
        check(res.segments === all.length, 'completed frame: segments != pushes into it', { segments: res.segments, pushes: all.length });
        for (let i = 0; i < frameLength; i++) {
          const ok = all.some((p) => i >= p.off && i < p.off + p.data.length && p.data[i - p.off] === res.frame[i]);
          check(ok, `completed frame byte ${i} was never pushed for this frame`, { id, i });
        }
        shadow.delete(id);
        check(!pending.has(id), 'a completed frame is still in flight');
      } else if (res.status === 'pending') {
        const p = pending.get(id);
        check(p !== undefined, 'pending result but the frame is not in flight', { id });
        const sh = shadow.get(id);
        if (p.segments === 1 || !sh) shadow.set(id, { frameLength, pushes: [{ off, data: body }] });
        else sh.pushes.push({ off, data: body });
      } else {
        check(res.status === 'dropped' && STT_DROP_REASONS.includes(res.reason), 'bad push result', res);
        check(after.dropped[res.reason] > before.dropped[res.reason], 'drop not counted', { res, before, after });
      }
    }
    // Shadow vs reassembler, after every call.
    const st = r.stats();
    const list = r.pendingFrames();
    check(st.pending === list.length, 'stats.pending != pendingFrames().length', st);
    check(st.completed === completed, 'stats.completed != completions seen', { st, completed });
    check(r.bufferedBytes === st.bufferedBytes && st.bufferedBytes <= maxBytes && st.bufferedBytes >= 0, 'bufferedBytes outside [0, maxBytes]', { st, maxBytes });
    check(list.length <= maxFrames, 'more frames in flight than maxFrames', { n: list.length, maxFrames });
    const ids = new Set();
    let cost = 0;
    for (const p of list) {
      const id = `${p.frameId}:${p.key}`;
      ids.add(id);
      const sh = shadow.get(id);
      check(sh !== undefined && sh.frameLength === p.frameLength, 'frame in flight unknown to the model', { p });
      const rs = rangesOf(sh.pushes);
      const got = rs.reduce((a, [s, e]) => a + e - s, 0);
      check(p.bytesReceived === got, 'bytesReceived != distinct bytes pushed', { p, got, rs });
      check(p.bytesReceived < p.frameLength, 'a frame in flight has all its bytes', { p });
      check(p.segments === sh.pushes.length, 'segments != pushes into the frame', { p, n: sh.pushes.length });
      cost += p.frameLength + STT_RANGE_COST + STT_RANGE_COST * rs.length;
    }
    check(cost === st.bufferedBytes, 'bufferedBytes != documented cost of the frames in flight', { cost, st: show(st) });
    for (const id of expired) check(!ids.has(id) || list.find((p) => `${p.frameId}:${p.key}` === id).firstSeenMs === now, 'a frame past its time is still in flight', { id });
    for (const id of [...shadow.keys()]) if (!ids.has(id)) shadow.delete(id);
  }
}
