/**
 * A small learning switch for the example datapath: it learns source MACs per attachment (with
 * ageing), forwards to the learned attachment, and floods unknown, broadcast and multicast
 * destinations to every other attachment. Attachments are tunnel ports, local hosts or anything with a
 * `deliver` function. The frame passed to `deliver` is only valid during the call (copy to keep).
 */
import { formatMac } from '../net/bytes.js';
import type { TunnelMetadata } from '../tlv/metadata.js';

/** Something frames can be delivered to. */
export interface Attachment {
  readonly name: string;
  /** Deliver a frame; `meta` is the tunnel metadata it arrived with, if it came from a tunnel. */
  deliver(frame: Uint8Array, meta?: TunnelMetadata): void;
}

/** Forwarding counters. */
export interface SwitchStats {
  forwarded: number;
  flooded: number;
  dropped: number;
  learned: number;
}

/** An Ethernet learning switch. */
export class LearningSwitch {
  private readonly attachments = new Map<string, Attachment>();
  private readonly fdb = new Map<string, { port: string; seenMs: number }>();
  readonly stats: SwitchStats = { forwarded: 0, flooded: 0, dropped: 0, learned: 0 };

  constructor(private readonly agingMs = 300_000) {}

  /** Attach a port or host. @throws RangeError on a duplicate name. */
  attach(a: Attachment): void {
    if (this.attachments.has(a.name)) throw new RangeError(`attachment ${a.name} exists`);
    this.attachments.set(a.name, a);
  }

  /** The MAC → attachment table (for inspection). */
  table(): Array<{ mac: string; port: string }> {
    return [...this.fdb.entries()].map(([mac, e]) => ({ mac, port: e.port }));
  }

  /** A frame entered the switch on attachment `from`. */
  receive(from: string, frame: Uint8Array, meta?: TunnelMetadata, nowMs = Date.now()): void {
    if (frame.length < 14) {
      this.stats.dropped++;
      return;
    }
    const src = formatMac(frame, 6);
    if ((frame[6]! & 1) === 0) {
      const e = this.fdb.get(src);
      if (!e || e.port !== from) this.stats.learned++;
      this.fdb.set(src, { port: from, seenMs: nowMs });
    }
    const dst = formatMac(frame, 0);
    const known = (frame[0]! & 1) === 0 ? this.fdb.get(dst) : undefined;
    if (known && nowMs - known.seenMs <= this.agingMs) {
      if (known.port === from) {
        this.stats.dropped++;
        return;
      }
      const a = this.attachments.get(known.port);
      if (a) {
        this.stats.forwarded++;
        a.deliver(frame, meta);
        return;
      }
    }
    this.stats.flooded++;
    for (const a of this.attachments.values()) if (a.name !== from) a.deliver(frame, meta);
  }
}
