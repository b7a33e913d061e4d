/**
 * Bounded reassembly of fragmented outer IPv4 / IPv6 datagrams (RFC 791 §3.2, RFC 8200 §4.5), for a
 * capture decoder: a VTEP with a wrong MTU fragments its tunnel packets, and the tunnel header sits
 * only in the first fragment.
 *
 * Memory is capped by `maxBytes` (bytes buffered over all datagrams) and `maxDatagrams`; the oldest
 * datagram is evicted when a cap is hit, and datagrams older than `timeoutMs` are expired. Every
 * drop is counted by reason. Browser-safe (no Node APIs).
 */

/** Why a fragment or datagram was dropped. */
export type IpFragDropReason = 'timeout' | 'memory-limit' | 'too-many-datagrams' | 'overlap-conflict' | 'too-large' | 'bad-offset';

/** Outcome of {@link IpReassembler.push}. */
export type IpFragResult =
  | { readonly status: 'complete'; readonly payload: Uint8Array; readonly fragments: number }
  | { readonly status: 'pending' }
  | { readonly status: 'dropped'; readonly reason: IpFragDropReason };

/** Limits of an {@link IpReassembler}. */
export interface IpReassemblerOptions {
  /** Total payload bytes buffered at most (default 16 MiB). */
  readonly maxBytes?: number;
  /** Datagrams in flight at most (default 1024). */
  readonly maxDatagrams?: number;
  /** A datagram not completed within this time is dropped (default 30 s, as Linux ipfrag_time). */
  readonly timeoutMs?: number;
}

interface Pending {
  readonly key: string;
  readonly firstSeenMs: number;
  /** Fragments as received: [offset, bytes]. */
  readonly parts: Array<[number, Uint8Array]>;
  bytes: number;
  /** Total payload length once the last fragment (MF clear) is seen, else -1. */
  total: number;
}

/** Largest IP payload a reassembled datagram may have (IPv4 maximum; IPv6 jumbograms do not fragment). */
const MAX_DATAGRAM = 65535;

/** Reassembles fragments keyed by a caller-built string (version, src, dst, protocol, id). */
export class IpReassembler {
  private readonly maxBytes: number;
  private readonly maxDatagrams: number;
  private readonly timeoutMs: number;
  private readonly pending = new Map<string, Pending>();
  private buffered = 0;
  /** Datagrams completed. */
  completed = 0;
  /** Drops by reason. */
  readonly dropped: Record<IpFragDropReason, number> = {
    timeout: 0,
    'memory-limit': 0,
    'too-many-datagrams': 0,
    'overlap-conflict': 0,
    'too-large': 0,
    'bad-offset': 0,
  };

  constructor(opts: IpReassemblerOptions = {}) {
    this.maxBytes = opts.maxBytes ?? 16 << 20;
    this.maxDatagrams = opts.maxDatagrams ?? 1024;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  /** Bytes currently buffered. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /**
   * Add one fragment's payload (bytes after the IP header / Fragment header). `offset` in bytes.
   * The payload is copied. @returns the reassembled upper-layer payload when complete.
   */
  push(key: string, offset: number, more: boolean, payload: Uint8Array, nowMs: number): IpFragResult {
    this.expire(nowMs);
    const end = offset + payload.length;
    if (end > MAX_DATAGRAM) return this.drop(key, 'too-large');
    if (more && payload.length % 8 !== 0) return this.drop(key, 'bad-offset');
    let p = this.pending.get(key);
    if (!p) {
      if (this.pending.size >= this.maxDatagrams) this.evictOldest('too-many-datagrams');
      p = { key, firstSeenMs: nowMs, parts: [], bytes: 0, total: -1 };
      this.pending.set(key, p);
    }
    if (!more) {
      if (p.total >= 0 && p.total !== end) return this.drop(key, 'bad-offset');
      // The last fragment fixes the length: a fragment already buffered past it is inconsistent.
      for (const [o, b] of p.parts) if (o + b.length > end) return this.drop(key, 'bad-offset');
      p.total = end;
    }
    if (p.total >= 0 && end > p.total) return this.drop(key, 'bad-offset');
    for (const [o, b] of p.parts) {
      const lo = Math.max(o, offset);
      const hi = Math.min(o + b.length, end);
      for (let i = lo; i < hi; i++) if (b[i - o] !== payload[i - offset]) return this.drop(key, 'overlap-conflict');
    }
    while (this.buffered + payload.length > this.maxBytes && this.pending.size > 1) this.evictOldest('memory-limit', key);
    if (this.buffered + payload.length > this.maxBytes) return this.drop(key, 'memory-limit');
    p.parts.push([offset, payload.slice()]);
    p.bytes += payload.length;
    this.buffered += payload.length;
    if (p.total < 0) return { status: 'pending' };
    const out = new Uint8Array(p.total);
    const covered = new Uint8Array(p.total);
    for (const [o, b] of p.parts) {
      out.set(b, o);
      covered.fill(1, o, o + b.length);
    }
    if (covered.indexOf(0) >= 0) return { status: 'pending' };
    this.remove(key);
    this.completed++;
    return { status: 'complete', payload: out, fragments: p.parts.length };
  }

  /** Drop datagrams older than the timeout; returns how many. */
  expire(nowMs: number): number {
    let n = 0;
    for (const p of this.pending.values()) {
      if (nowMs - p.firstSeenMs > this.timeoutMs) {
        this.remove(p.key);
        this.dropped.timeout++;
        n++;
      }
    }
    return n;
  }

  /** Datagrams still incomplete (for an end-of-capture report). */
  pendingDatagrams(): Array<{ key: string; bytes: number; total: number; fragments: number }> {
    return [...this.pending.values()].map((p) => ({ key: p.key, bytes: p.bytes, total: p.total, fragments: p.parts.length }));
  }

  private drop(key: string, reason: IpFragDropReason): IpFragResult {
    this.remove(key);
    this.dropped[reason]++;
    return { status: 'dropped', reason };
  }

  private remove(key: string): void {
    const p = this.pending.get(key);
    if (!p) return;
    this.buffered -= p.bytes;
    this.pending.delete(key);
  }

  private evictOldest(reason: IpFragDropReason, keep?: string): void {
    for (const k of this.pending.keys()) {
      if (k === keep) continue;
      this.remove(k);
      this.dropped[reason]++;
      return;
    }
  }
}
