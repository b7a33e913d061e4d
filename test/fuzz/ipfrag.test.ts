/**
 * Fuzz finding (walk target, Jazzer.js): IpReassembler.push throws `RangeError: offset is out of
 * bounds` when the last fragment (MF clear) ends before a fragment already buffered for the datagram.
 * push() checks the new fragment's end against the total length, but not the fragments it already
 * holds, then copies them into a buffer of the (smaller) total length. walkPacket() with an
 * ipReassembler passes the exception on, so one crafted pair of frames stops a capture decode.
 *
 * Fixed in 84b6fff (src/walk/ipfrag.ts); these tests keep it fixed.
 *
 * Correct behaviour (as Linux ip_frag_queue, which discards a queue whose last fragment ends before
 * data it has, and as push() does for the opposite arrival order): the datagram is dropped
 * with reason `bad-offset`, nothing stays buffered, and the walker does not throw.
 * Fuzzer input: fuzz/findings/walk-ipfrag-overrun (replayed through the walk target below).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { emitEthernet } from '../../src/net/ethernet.js';
import { emitIpv4 } from '../../src/net/ipv4.js';
import { IpReassembler } from '../../src/walk/ipfrag.js';
import { walkPacket } from '../../src/walk/walker.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** An Ethernet + IPv4 fragment of protocol UDP carrying `payload` at byte offset `fragmentOffset`. */
function fragmentFrame(fragmentOffset: number, more: boolean, payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(14 + 20 + payload.length);
  emitEthernet({ dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01', vlans: [], etherType: 0x0800 }, f, 0);
  emitIpv4(
    {
      dscp: 0,
      ecn: 0,
      totalLength: 20 + payload.length,
      identification: 0x4242,
      dontFragment: false,
      moreFragments: more,
      fragmentOffset,
      ttl: 64,
      protocol: 17,
      src: '192.0.2.1',
      dst: '192.0.2.2',
      options: new Uint8Array(0),
    },
    f,
    14,
  );
  f.set(payload, 34);
  return f;
}

describe('fuzz finding: last IP fragment ending before a buffered one (IpReassembler)', () => {
  it('push() drops the datagram as bad-offset instead of throwing', () => {
    const r = new IpReassembler();
    expect(r.push('k', 16, true, new Uint8Array(8), 0)).toEqual({ status: 'pending' });
    let res: ReturnType<IpReassembler['push']> | undefined;
    expect(() => {
      res = r.push('k', 0, false, new Uint8Array(8), 0);
    }).not.toThrow();
    expect(res).toEqual({ status: 'dropped', reason: 'bad-offset' });
    expect(r.dropped['bad-offset']).toBe(1);
    expect(r.pendingDatagrams()).toEqual([]);
    expect(r.bufferedBytes).toBe(0);
  });

  it('the opposite arrival order drops it the same way', () => {
    const r = new IpReassembler();
    expect(r.push('k', 8, false, new Uint8Array(8), 0)).toEqual({ status: 'pending' });
    expect(r.push('k', 16, true, new Uint8Array(8), 0)).toEqual({ status: 'dropped', reason: 'bad-offset' });
    expect(r.pendingDatagrams()).toEqual([]);
    expect(r.bufferedBytes).toBe(0);
  });

  it('a datagram with the same key completes normally afterwards', () => {
    const r = new IpReassembler();
    r.push('k', 16, true, new Uint8Array(8), 0);
    try {
      r.push('k', 0, false, new Uint8Array(8), 0);
    } catch {
      // the bug: the inconsistent datagram stays buffered
    }
    expect(r.push('k', 0, true, new Uint8Array(8).fill(1), 1)).toEqual({ status: 'pending' });
    const done = r.push('k', 8, false, new Uint8Array(8).fill(2), 1);
    expect(done.status).toBe('complete');
    if (done.status === 'complete') expect(Array.from(done.payload)).toEqual([...new Array(8).fill(1), ...new Array(8).fill(2)]);
  });

  it('walkPacket() over two such frames does not throw and reports the fragments unreassembled', () => {
    const ipReassembler = new IpReassembler();
    const first = walkPacket(fragmentFrame(16, true, new Uint8Array(8)), { ipReassembler });
    expect(first.layers.find((l) => l.proto === 'ipv4')).toMatchObject({ fragment: { offset: 16, more: true } });
    let second: ReturnType<typeof walkPacket> | undefined;
    expect(() => {
      second = walkPacket(fragmentFrame(8, false, new Uint8Array(8)), { ipReassembler });
    }).not.toThrow();
    const ip = second!.layers.find((l) => l.proto === 'ipv4');
    expect(ip).toMatchObject({ fragment: { offset: 8, more: false } });
    expect(ip && 'fragment' in ip ? ip.fragment?.reassembled : 'missing').toBeUndefined();
    expect(ipReassembler.bufferedBytes).toBe(0);
  });

  it("the fuzzer's input passes the walk target (built dist/)", async () => {
    expect(existsSync(join(ROOT, 'dist', 'walk', 'index.js')), 'dist/ is built (npx tsup)').toBe(true);
    const url: string = pathToFileURL(join(ROOT, 'fuzz', 'targets', 'walk.fuzz.js')).href;
    const { fuzz } = (await import(url)) as { fuzz: (data: Buffer) => void };
    const input = readFileSync(join(ROOT, 'fuzz', 'findings', 'walk-ipfrag-overrun'));
    expect(() => fuzz(input)).not.toThrow();
  });
});
