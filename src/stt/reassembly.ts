/**
 * Bounded STT frame reassembly (draft-davie-stt-08 §3.2, §3.3.2; Open vSwitch `stt.c` receive path).
 *
 * Segments of one STT frame share the frame identifier (TCP ACK) and the frame length (SEQ >>> 16);
 * SEQ & 0xffff is the byte offset of a segment's data within the frame, whose first 18 bytes are the
 * STT frame header. Frames are keyed on `(key, frameId)`, where `key` is a caller-built string of the
 * outer source and destination addresses (OVS keys on addresses + ACK, not on ports).
 *
 * Policy, which differs from OVS only where noted:
 * - A segment that is invalid on its own is dropped alone, leaving any frame in flight as it was:
 *   `bad-length` (frame length < 18 or > 65535, or empty data), `bad-offset` (data past the frame
 *   length, as OVS `offset + len > tot_len`).
 * - A segment inconsistent with the frame in flight discards that whole frame (as RFC 5722 does for
 *   IPv6 fragments; OVS drops only the segment): `length-mismatch` (another frame length) and
 *   `overlap-conflict` (bytes that overlap received bytes and differ). Overlaps with equal bytes and
 *   exact duplicates are accepted and counted as duplicates.
 * - Memory: each frame in flight costs its frame length (one buffer allocated on its first segment)
 *   plus {@link STT_RANGE_COST} bytes for the entry and as much per disjoint received range. The total never exceeds
 *   `maxBytes`; the oldest frames are evicted to make room (`memory-limit`), as are the oldest
 *   beyond `maxFrames` (`frame-limit`). Frames older than `timeoutMs` since their first segment are
 *   dropped (`timeout`) by {@link SttReassembler.expire} and, for the oldest ones, on every push.
 *
 * Browser-safe: no `node:` imports, times are caller-supplied milliseconds.
 */
import type { TcpView } from '../net/tcp.js';
import { STT_FRAME_HEADER_LEN, STT_MAX_FRAME_LEN } from './header.js';

/** Bytes charged per disjoint received range of a frame in flight (bookkeeping overhead). */
export const STT_RANGE_COST = 16;

/** Why a segment or a frame in flight was dropped. */
export type SttDropReason =
  | 'bad-length'
  | 'bad-offset'
  | 'length-mismatch'
  | 'overlap-conflict'
  | 'memory-limit'
  | 'frame-limit'
  | 'timeout';

/** Every {@link SttDropReason}, in a fixed order. */
export const STT_DROP_REASONS: readonly SttDropReason[] = [
  'bad-length',
  'bad-offset',
  'length-mismatch',
  'overlap-conflict',
  'memory-limit',
  'frame-limit',
  'timeout',
];

/** Outcome of {@link SttReassembler.push}. */
export type SttPushResult =
  | {
      readonly status: 'complete';
      /**
       * The whole STT frame (18-byte header + inner Ethernet frame), `frameLength` bytes. For a frame
       * sent as one segment this is the `data` passed in (aliases the input; copy before reusing the
       * buffer); otherwise a new buffer the caller owns.
       */
      readonly frame: Uint8Array;
      /** Segments that made up the frame, duplicates included. */
      readonly segments: number;
    }
  | { readonly status: 'pending' }
  | { readonly status: 'dropped'; readonly reason: SttDropReason };

/** Limits of an {@link SttReassembler}. */
export interface SttReassemblerOptions {
  /** Most bytes buffered across all frames in flight (default 4 MiB, the OVS per-CPU high watermark). */
  readonly maxBytes?: number;
  /** Most frames in flight (default 256, the OVS per-CPU bucket count). */
  readonly maxFrames?: number;
  /** Lifetime of a frame in flight from its first segment, in ms (default 30000, OVS `FRAG_EXP_TIME`). */
  readonly timeoutMs?: number;
}

/** Counters of an {@link SttReassembler}. */
export interface SttReassemblyStats {
  /** Frames completed (single-segment ones included). */
  readonly completed: number;
  /** Frames in flight now. */
  readonly pending: number;
  /** Bytes charged now (frame buffers + range bookkeeping), ≤ `maxBytes`. */
  readonly bufferedBytes: number;
  /** Segments pushed. */
  readonly segments: number;
  /** Segments whose bytes had all been received already. */
  readonly duplicates: number;
  /** Drop events by reason: a segment rejected alone, or a frame in flight discarded. */
  readonly dropped: Readonly<Record<SttDropReason, number>>;
}

/** A frame still in flight, as reported by {@link SttReassembler.pendingFrames}. */
export interface SttPendingFrame {
  /** Caller's key (outer addresses). */
  readonly key: string;
  /** Frame identifier (ACK). */
  readonly frameId: number;
  /** Claimed frame length in bytes. */
  readonly frameLength: number;
  /** Distinct bytes received so far. */
  readonly bytesReceived: number;
  /** Segments pushed into it so far. */
  readonly segments: number;
  /** Time of its first segment (ms). */
  readonly firstSeenMs: number;
}

interface Entry {
  readonly id: string;
  readonly key: string;
  readonly frameId: number;
  readonly frameLength: number;
  readonly buf: Uint8Array;
  /** Disjoint, sorted, non-adjacent received ranges as flat [start0, end0, start1, end1, ...]. */
  ranges: number[];
  received: number;
  segments: number;
  cost: number;
  readonly firstSeenMs: number;
}

const PENDING: SttPushResult = Object.freeze({ status: 'pending' });
const DROPPED: Readonly<Record<SttDropReason, SttPushResult>> = Object.freeze(
  Object.fromEntries(STT_DROP_REASONS.map((r) => [r, Object.freeze({ status: 'dropped', reason: r })])) as Record<SttDropReason, SttPushResult>,
);

/**
 * Reassembles STT frames from segments, within fixed memory, frame-count and time limits.
 * Never throws on segment contents; throws `RangeError` only for bad constructor options or a
 * `frameId` that is not a 32-bit unsigned integer (a programmer error: it comes from a 32-bit field).
 */
export class SttReassembler {
  readonly maxBytes: number;
  readonly maxFrames: number;
  readonly timeoutMs: number;
  /** Frames in flight in creation order (Map iteration order), so the first is the oldest. */
  private readonly frames = new Map<string, Entry>();
  private buffered = 0;
  private completed = 0;
  private segments = 0;
  private duplicates = 0;
  private readonly dropped: Record<SttDropReason, number> = {
    'bad-length': 0,
    'bad-offset': 0,
    'length-mismatch': 0,
    'overlap-conflict': 0,
    'memory-limit': 0,
    'frame-limit': 0,
    timeout: 0,
  };

  constructor(opts: SttReassemblerOptions = {}) {
    this.maxBytes = opts.maxBytes ?? 4 * 1024 * 1024;
    this.maxFrames = opts.maxFrames ?? 256;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    if (!Number.isInteger(this.maxBytes) || this.maxBytes < 0) throw new RangeError(`maxBytes must be a non-negative integer, got ${this.maxBytes}`);
    if (!Number.isInteger(this.maxFrames) || this.maxFrames < 0) throw new RangeError(`maxFrames must be a non-negative integer, got ${this.maxFrames}`);
    if (!(this.timeoutMs >= 0)) throw new RangeError(`timeoutMs must be >= 0, got ${this.timeoutMs}`);
  }

  /** Bytes charged now by frames in flight (always ≤ `maxBytes`). */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /**
   * Add one segment's data. `frameLength`, `fragmentOffset` and `frameId` come from the segment's
   * TCP-like header (see `sttSegmentInfo`); `data` is the TCP payload (copied when buffered, so the
   * caller may reuse it after the call, except when a one-segment frame is returned as is).
   * @returns `complete` with the frame, `pending`, or `dropped` with the reason.
   */
  push(key: string, frameId: number, frameLength: number, fragmentOffset: number, data: Uint8Array, nowMs: number): SttPushResult {
    if (!Number.isInteger(frameId) || frameId < 0 || frameId > 0xffffffff) throw new RangeError(`frameId must be a 32-bit unsigned integer, got ${frameId}`);
    this.segments++;
    this.expireOldest(nowMs);
    const len = data.length;
    if (!Number.isInteger(frameLength) || frameLength < STT_FRAME_HEADER_LEN || frameLength > STT_MAX_FRAME_LEN || len === 0) {
      return this.drop('bad-length');
    }
    if (!Number.isInteger(fragmentOffset) || fragmentOffset < 0 || fragmentOffset + len > frameLength) return this.drop('bad-offset');

    const id = `${frameId}:${key}`;
    let e = this.frames.get(id);
    if (e === undefined) {
      if (fragmentOffset === 0 && len === frameLength) {
        this.completed++;
        return { status: 'complete', frame: data, segments: 1 };
      }
      // The entry costs its buffer + STT_RANGE_COST; make room for its first range too.
      const cost = frameLength + STT_RANGE_COST;
      const room = cost + STT_RANGE_COST;
      if (room > this.maxBytes) return this.drop('memory-limit');
      if (this.maxFrames === 0) return this.drop('frame-limit');
      while (this.frames.size >= this.maxFrames && this.evictOldest(undefined, 'frame-limit'));
      while (this.buffered + room > this.maxBytes && this.evictOldest(undefined, 'memory-limit'));
      e = { id, key, frameId, frameLength, buf: new Uint8Array(frameLength), ranges: [], received: 0, segments: 0, cost, firstSeenMs: nowMs };
      this.frames.set(id, e);
      this.buffered += cost;
    } else if (e.frameLength !== frameLength) {
      this.discard(e);
      return this.drop('length-mismatch');
    }
    return this.add(e, fragmentOffset, data);
  }

  /** {@link SttReassembler.push} for a checked TCP view whose segment data ends at `end`. */
  pushSegment(key: string, tcp: TcpView, end: number, nowMs: number): SttPushResult {
    const seq = tcp.seq;
    const start = tcp.payloadOffset;
    return this.push(key, tcp.ack, seq >>> 16, seq & 0xffff, tcp.bytes.subarray(start, Math.max(start, end)), nowMs);
  }

  /** Drop every frame whose first segment is `timeoutMs` or more before `nowMs`; returns how many. */
  expire(nowMs: number): number {
    let n = 0;
    for (const e of this.frames.values()) {
      if (nowMs - e.firstSeenMs >= this.timeoutMs) {
        this.discard(e);
        this.dropped.timeout++;
        n++;
      }
    }
    return n;
  }

  /** Frames still in flight (e.g. at the end of a capture), oldest first. */
  pendingFrames(): SttPendingFrame[] {
    return [...this.frames.values()].map((e) => ({
      key: e.key,
      frameId: e.frameId,
      frameLength: e.frameLength,
      bytesReceived: e.received,
      segments: e.segments,
      firstSeenMs: e.firstSeenMs,
    }));
  }

  /** A snapshot of the counters. */
  stats(): SttReassemblyStats {
    return {
      completed: this.completed,
      pending: this.frames.size,
      bufferedBytes: this.buffered,
      segments: this.segments,
      duplicates: this.duplicates,
      dropped: { ...this.dropped },
    };
  }

  /** Forget every frame in flight without counting drops. */
  clear(): void {
    this.frames.clear();
    this.buffered = 0;
  }

  private add(e: Entry, off: number, data: Uint8Array): SttPushResult {
    const end = off + data.length;
    const r = e.ranges;
    // First range that ends at or after `off` (ranges touching the new one merge with it).
    let lo = 0;
    let hi = r.length >>> 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (r[2 * mid + 1]! < off) lo = mid + 1;
      else hi = mid;
    }
    const first = lo;
    let last = first; // one past the last range that touches [off, end)
    let overlap = 0;
    const buf = e.buf;
    while (2 * last < r.length && r[2 * last]! <= end) {
      const s = Math.max(r[2 * last]!, off);
      const t = Math.min(r[2 * last + 1]!, end);
      for (let i = s; i < t; i++) {
        if (buf[i] !== data[i - off]) {
          this.discard(e);
          return this.drop('overlap-conflict');
        }
      }
      if (t > s) overlap += t - s;
      last++;
    }
    e.segments++;
    if (overlap === data.length) {
      this.duplicates++;
      return PENDING;
    }
    const merged = last - first;
    const delta = (1 - merged) * STT_RANGE_COST;
    if (delta > 0) {
      while (this.buffered + delta > this.maxBytes) {
        if (!this.evictOldest(e, 'memory-limit')) {
          this.discard(e);
          return this.drop('memory-limit');
        }
      }
    }
    const ns = merged > 0 ? Math.min(r[2 * first]!, off) : off;
    const ne = merged > 0 ? Math.max(r[2 * last - 1]!, end) : end;
    r.splice(2 * first, 2 * merged, ns, ne);
    buf.set(data, off);
    e.received += data.length - overlap;
    e.cost += delta;
    this.buffered += delta;
    if (e.received === e.frameLength) {
      this.frames.delete(e.id);
      this.buffered -= e.cost;
      this.completed++;
      return { status: 'complete', frame: buf, segments: e.segments };
    }
    return PENDING;
  }

  private drop(reason: SttDropReason): SttPushResult {
    this.dropped[reason]++;
    return DROPPED[reason];
  }

  private discard(e: Entry): void {
    this.frames.delete(e.id);
    this.buffered -= e.cost;
  }

  /** Evict the oldest frame other than `keep`; false when there is none. */
  private evictOldest(keep: Entry | undefined, reason: SttDropReason): boolean {
    for (const e of this.frames.values()) {
      if (e === keep) continue;
      this.discard(e);
      this.dropped[reason]++;
      return true;
    }
    return false;
  }

  /** Drop timed-out frames from the head of the creation order (cheap; `expire` scans them all). */
  private expireOldest(nowMs: number): void {
    for (const e of this.frames.values()) {
      if (nowMs - e.firstSeenMs < this.timeoutMs) return;
      this.discard(e);
      this.dropped.timeout++;
    }
  }
}
