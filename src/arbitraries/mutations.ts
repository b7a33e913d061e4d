/**
 * Near-valid frames: a valid frame with one defect, at a place chosen by knowing where every header and
 * field is (the valid frame is first decoded with `walkPacket`):
 * - `truncate`: the frame cut at any byte (often inside a header);
 * - `lying-length`: a length field that disagrees with the bytes — IPv4 Total Length and IHL, IPv6 Payload
 *   Length, UDP Length, TCP Data Offset, Geneve Opt Len, a Geneve option's Length, STT frame length (TCP
 *   SEQ), and GRE flags that announce fields that are not there (C, R, K, S). The values chosen are
 *   inconsistent with the bytes or with the headers inside, so that a careful decoder can tell;
 * - `flip-flag`: one defined flag bit inverted (VXLAN I/G/D/A, GPE I/P/B/O, Geneve O/C and option critical
 *   bits, STT flags and V bit, IPv4 DF/MF, TCP flags, VLAN DEI, the MAC group bit);
 * - `reserved-bits`: reserved bits set (VXLAN, GPE, Geneve flags/byte 7/option R bits, GRE/NVGRE reserved
 *   flags, STT flags/reserved/padding, IPv4 bit 0x8000 of the flags word, TCP's 3 reserved bits);
 * - `byte-flip`: one byte XORed with a non-zero mask anywhere.
 * Unless `fixChecksums: false`, checksums the defect would break (outer IPv4 header, UDP, TCP, ICMP, inner
 * ones too) are recomputed, so that the defect itself, not a checksum, is what a receiver meets first.
 */
import * as fc from 'fast-check';
import { put16, u16 } from '../net/bytes.js';
import { fold, internetChecksum, onesSum } from '../net/checksum.js';
import { pseudoHeaderSum, udpChecksum } from '../net/udp.js';
import type { DecodedLayer } from '../walk/layers.js';
import { walkPacket, type WalkOptions } from '../walk/walker.js';
import { tunnelFrame, type TunnelFrame } from './frames.js';

/** The kinds of defect {@link mutated} makes. */
export type MutationKind = 'truncate' | 'lying-length' | 'flip-flag' | 'reserved-bits' | 'byte-flip';
/** Every {@link MutationKind}. */
export const MUTATION_KINDS: readonly MutationKind[] = ['truncate', 'lying-length', 'flip-flag', 'reserved-bits', 'byte-flip'];

interface MutationBase {
  /** Absolute byte offset of the change (`truncate`: the new length, i.e. the first byte removed). */
  readonly at: number;
  /** Protocol of the decoded layer where the change is (`walkPacket` layer `proto`), or `'none'`. */
  readonly layer: string;
  /** Index of that layer among those `walkPacket(original)` decodes from the frame's own bytes (−1 for none). */
  readonly layerIndex: number;
}

/** What was done to the frame. Plain data, so fast-check prints it with a counterexample. */
export type Mutation =
  | (MutationBase & { readonly kind: 'truncate'; /** Whether the cut falls inside the layer's header or after it. */ readonly field: 'header' | 'payload' })
  | (MutationBase & { readonly kind: 'lying-length'; readonly field: string; readonly original: number; readonly value: number })
  | (MutationBase & { readonly kind: 'flip-flag'; readonly field: string; /** The bit inverted in byte `at`. */ readonly mask: number })
  | (MutationBase & { readonly kind: 'reserved-bits'; readonly field: string; /** Bits set in byte `at` (all were 0). */ readonly mask: number })
  | (MutationBase & { readonly kind: 'byte-flip'; /** XOR mask applied to byte `at`, 1..255. */ readonly mask: number });

/** A near-valid frame. */
export interface NearValidFrame<F> {
  /** The damaged frame (a new buffer). */
  readonly bytes: Uint8Array;
  readonly mutation: Mutation;
  /** The valid frame it was made from. */
  readonly original: F;
}

/** Options of {@link mutated}. */
export interface MutationOptions {
  /** Kinds to choose from (default all; kinds with no place in a frame are skipped). */
  readonly kinds?: readonly MutationKind[];
  /** How to decode the valid frames to find the headers (ports, link type); default `walkPacket` defaults. */
  readonly walk?: WalkOptions;
  /** Recompute the checksums the defect would break (default true). */
  readonly fixChecksums?: boolean;
}

/** A frame as bytes, or any object with the bytes under `bytes` (such as a {@link TunnelFrame}). */
export type FrameLike = Uint8Array | { readonly bytes: Uint8Array };

const bytesOfFrame = (f: FrameLike): Uint8Array => (f instanceof Uint8Array ? f : f.bytes);

/** Where a field sits: 1 or 2 bytes at `at`, the bits of `mask`, shifted right by `shift`. */
interface FieldRef {
  readonly at: number;
  readonly size: 1 | 2;
  readonly mask: number;
  readonly shift: number;
}
const read = (b: Uint8Array, r: FieldRef): number => (((r.size === 2 ? u16(b, r.at) : b[r.at]!) & r.mask) >>> r.shift);
function write(b: Uint8Array, r: FieldRef, v: number): void {
  if (r.size === 2) put16(b, r.at, (u16(b, r.at) & ~r.mask) | ((v << r.shift) & r.mask));
  else b[r.at] = (b[r.at]! & ~r.mask) | ((v << r.shift) & r.mask);
}

interface Where {
  readonly layer: string;
  readonly layerIndex: number;
}
interface LieSite extends Where {
  readonly field: string;
  readonly ref: FieldRef;
  readonly values: fc.Arbitrary<number>;
}
interface BitSite extends Where {
  readonly field: string;
  readonly at: number;
  readonly mask: number;
}
interface Sites {
  readonly layers: readonly DecodedLayer[];
  readonly lies: LieSite[];
  readonly flags: BitSite[];
  readonly reserved: BitSite[];
}

/** Integers in any of the non-empty inclusive ranges, or null when all are empty. */
function inRanges(...rs: readonly (readonly [number, number])[]): fc.Arbitrary<number> | null {
  const ok = rs.filter(([a, b]) => a <= b);
  return ok.length ? fc.oneof(...ok.map(([min, max]) => fc.integer({ min, max }))) : null;
}
const u16Ref = (at: number): FieldRef => ({ at, size: 2, mask: 0xffff, shift: 0 });
const bitRef = (at: number, mask: number): FieldRef => ({ at, size: 1, mask, shift: Math.log2(mask) });
const CLAIMS = new Set(['ipv4', 'ipv6', 'udp', 'stt', 'arp']);

/** End of the bytes an IP layer claims (clipped to the buffer). */
function ipEnd(l: DecodedLayer, len: number): number {
  if (l.proto === 'ipv4') return l.totalLength === 0 ? len : Math.min(len, l.offset + l.totalLength);
  if (l.proto === 'ipv6') return l.payloadLength === 0 ? len : Math.min(len, l.offset + 40 + l.payloadLength);
  return len;
}

function enclosingIp(layers: readonly DecodedLayer[], i: number): number {
  for (let j = i - 1; j >= 0; j--) if (layers[j]!.proto === 'ipv4' || layers[j]!.proto === 'ipv6') return j;
  return -1;
}

/** Every place of `bytes` where a lie, a flag or a reserved bit can go, from its decode. */
function findSites(bytes: Uint8Array, walk: WalkOptions | undefined): Sites {
  const layers = walkPacket(bytes, walk).layers.filter((l) => l.buffer === undefined);
  const len = bytes.length;
  const lies: LieSite[] = [];
  const flags: BitSite[] = [];
  const reserved: BitSite[] = [];
  const lie = (w: Where, field: string, ref: FieldRef, values: fc.Arbitrary<number> | null): void => {
    if (values && ref.at + ref.size <= len) lies.push({ ...w, field, ref, values });
  };
  const flag = (w: Where, field: string, at: number, mask: number): void => {
    if (at < len) flags.push({ ...w, field, at, mask });
  };
  const rsvd = (w: Where, field: string, at: number, mask: number): void => {
    if (at < len && (bytes[at]! & mask) !== mask) reserved.push({ ...w, field, at, mask: mask & ~bytes[at]! & 0xff });
  };
  const greFlagLies = (w: Where, o: number): void => {
    for (const [name, mask] of [['C', 0x80], ['R', 0x40], ['K', 0x20], ['S', 0x10]] as const) {
      const ref = bitRef(o, mask);
      lie(w, `flags.${name}`, ref, fc.constant(1 - read(bytes, ref)));
    }
  };
  layers.forEach((l, i) => {
    const w: Where = { layer: l.proto, layerIndex: i };
    const o = l.offset;
    const claimAfter = layers.slice(i + 1).some((x) => CLAIMS.has(x.proto));
    switch (l.proto) {
      case 'eth':
        flag(w, 'dst.group', o, 0x01);
        break;
      case 'vlan':
        flag(w, 'dei', o + 2, 0x10);
        break;
      case 'ipv4': {
        const hl = l.length;
        const tl = l.totalLength;
        if (tl !== 0) lie(w, 'totalLength', u16Ref(o + 2), inRanges([tl + 1, 0xffff], [1, hl - 1], claimAfter ? [hl, tl - 1] : [1, 0]));
        lie(w, 'ihl', { at: o, size: 1, mask: 0x0f, shift: 0 }, inRanges([0, 4], [tl === 0 ? 16 : Math.max(hl / 4 + 1, Math.floor(tl / 4) + 1), 15]));
        flag(w, 'dontFragment', o + 6, 0x40);
        flag(w, 'moreFragments', o + 6, 0x20);
        rsvd(w, 'flags.reserved', o + 6, 0x80);
        break;
      }
      case 'ipv6': {
        const pl = l.payloadLength;
        if (pl !== 0) lie(w, 'payloadLength', u16Ref(o + 4), inRanges([pl + 1, 0xffff], claimAfter ? [1, pl - 1] : [1, 0]));
        break;
      }
      case 'udp': {
        const ul = l.udpLength;
        if (ul !== 0) lie(w, 'length', u16Ref(o + 4), inRanges([ul + 1, 0xffff], [1, Math.min(7, ul - 1)], claimAfter ? [8, ul - 1] : [1, 0]));
        break;
      }
      case 'tcp': {
        const words = l.length / 4;
        const ip = enclosingIp(layers, i);
        const end = ip >= 0 ? ipEnd(layers[ip]!, len) : len;
        const ref: FieldRef = { at: o + 12, size: 1, mask: 0xf0, shift: 4 };
        const stt = layers[i + 1]?.proto === 'stt';
        lie(w, 'dataOffset', ref, stt ? inRanges([0, words - 1], [words + 1, 15]) : inRanges([0, 4], [Math.max(words + 1, Math.floor((end - o) / 4) + 1), 15]));
        for (let bit = 0; bit < 8; bit++) flag(w, `flags.${['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR'][bit]}`, o + 13, 1 << bit);
        flag(w, 'flags.NS', o + 12, 0x01);
        rsvd(w, 'reserved', o + 12, 0x0e);
        break;
      }
      case 'vxlan':
        flag(w, 'flags.I', o, 0x08);
        flag(w, 'flags.G', o, 0x80);
        rsvd(w, 'flags', o, 0x77);
        if (l.gbp) {
          flag(w, 'gbp.D', o + 1, 0x40);
          flag(w, 'gbp.A', o + 1, 0x08);
          rsvd(w, 'gbp.flags', o + 1, 0xb7);
        } else {
          for (let k = 1; k <= 3; k++) rsvd(w, 'reserved1', o + k, 0xff);
        }
        rsvd(w, 'reserved2', o + 7, 0xff);
        break;
      case 'vxlan-gpe':
        flag(w, 'flags.I', o, 0x08);
        flag(w, 'flags.P', o, 0x04);
        flag(w, 'flags.B', o, 0x02);
        flag(w, 'flags.O', o, 0x01);
        rsvd(w, 'flags', o, 0xc0);
        rsvd(w, 'reserved1', o + 1, 0xff);
        rsvd(w, 'reserved1', o + 2, 0xff);
        rsvd(w, 'reserved2', o + 7, 0xff);
        break;
      case 'geneve': {
        const udp = layers[i - 1];
        const uend = udp?.proto === 'udp' && udp.udpLength >= 8 ? Math.min(len, udp.offset + udp.udpLength) : len;
        const optEnd = o + 8 + l.optionsLength;
        const boundaries = new Set<number>([0]);
        let p = o + 8;
        for (const opt of l.options) {
          flag(w, 'option.critical', p + 2, 0x80);
          rsvd(w, 'option.rbits', p + 3, 0xe0);
          // A Length that runs the option past the options area.
          lie(w, 'option.length', { at: p + 3, size: 1, mask: 0x1f, shift: 0 }, inRanges([Math.max(0, Math.floor((optEnd - p - 4) / 4) + 1), 31]));
          p += 4 + opt.data.length;
          boundaries.add(p - o - 8);
        }
        // Opt Len past the UDP payload, or ending inside an option.
        const bad: number[] = [];
        for (let v = 0; v <= 63; v++) {
          if (8 + 4 * v > uend - o || (4 * v < l.optionsLength && !boundaries.has(4 * v))) bad.push(v);
        }
        lie(w, 'optLen', { at: o, size: 1, mask: 0x3f, shift: 0 }, bad.length ? fc.constantFrom(...bad) : null);
        flag(w, 'flags.O', o + 1, 0x80);
        flag(w, 'flags.C', o + 1, 0x40);
        rsvd(w, 'flags', o + 1, 0x3f);
        rsvd(w, 'reserved', o + 7, 0xff);
        break;
      }
      case 'nvgre':
        greFlagLies(w, o);
        rsvd(w, 'flags', o, 0x0f);
        rsvd(w, 'flags.reserved', o + 1, 0xf8);
        break;
      case 'gre':
        greFlagLies(w, o);
        rsvd(w, 'flags', o, 0x0f);
        rsvd(w, 'flags.reserved', o + 1, l.version === 1 ? 0x78 : 0xf8);
        break;
      case 'stt': {
        const tcp = layers[i - 1];
        if (tcp?.proto === 'tcp') lie(w, 'frameLength', u16Ref(tcp.offset + 4), inRanges([0, l.frameLength - 1], [l.frameLength + 1, 0xffff]));
        if (l.version === undefined) break; // a later segment: no frame header here
        for (const [name, mask] of [['C', 0x01], ['P', 0x02], ['IPv4', 0x04], ['TCP', 0x08]] as const) flag(w, `flags.${name}`, o + 1, mask);
        flag(w, 'vlanValid', o + 6, 0x10);
        rsvd(w, 'flags', o + 1, 0xf0);
        rsvd(w, 'reserved', o + 3, 0xff);
        rsvd(w, 'padding', o + 16, 0xff);
        rsvd(w, 'padding', o + 17, 0xff);
        break;
      }
      default:
        break;
    }
  });
  return { layers, lies, flags, reserved };
}

/** The layer of `layers` whose bytes hold offset `at` (the innermost that starts at or before it). */
function layerAt(layers: readonly DecodedLayer[], at: number): Where & { readonly header: boolean } {
  for (let i = layers.length - 1; i >= 0; i--) {
    const l = layers[i]!;
    if (l.offset <= at) return { layer: l.proto, layerIndex: i, header: at < l.offset + l.length };
  }
  return { layer: 'none', layerIndex: -1, header: false };
}

/** Where a layer's checksum field is, or −1. */
function checksumAt(l: DecodedLayer): number {
  switch (l.proto) {
    case 'ipv4':
      return l.offset + 10;
    case 'udp':
      return l.offset + 6;
    case 'tcp':
      return l.offset + 16;
    case 'icmp':
    case 'icmpv6':
      return l.offset + 2;
    default:
      return -1;
  }
}

/**
 * Recompute, innermost first, the checksums of the valid frame's layers over their original extents,
 * except the one whose checksum field holds `at` and (`skip`) one layer left as is. Never throws.
 */
function refreshChecksums(b: Uint8Array, layers: readonly DecodedLayer[], at: number, skip: number): void {
  const len = b.length;
  for (let i = layers.length - 1; i >= 0; i--) {
    const l = layers[i]!;
    const c = checksumAt(l);
    if (c < 0 || i === skip || (at >= c && at < c + 2) || c + 2 > len) continue;
    const ipi = enclosingIp(layers, i);
    const ip = layers[ipi];
    if (l.proto === 'ipv4') {
      const hl = (b[l.offset]! & 0x0f) * 4;
      if (hl < 20 || l.offset + hl > len) continue;
      put16(b, c, 0);
      put16(b, c, internetChecksum(b, l.offset, l.offset + hl));
    } else if (l.proto === 'udp') {
      const end = l.offset + l.udpLength;
      if (!ip || l.checksum === 0 || l.udpLength < 8 || end > len) continue;
      put16(b, c, udpChecksum(b, ip.offset, l.offset, end));
    } else if (ip) {
      const end = ipEnd(ip, len);
      if (end <= c + 1) continue;
      put16(b, c, 0);
      const proto = l.proto === 'tcp' ? 6 : l.proto === 'icmp' ? 1 : 58;
      put16(b, c, l.proto === 'icmp' ? internetChecksum(b, l.offset, end) : ~fold(onesSum(b, l.offset, end) + pseudoHeaderSum(b, ip.offset, proto, end - l.offset)) & 0xffff);
    }
  }
}

interface Planned {
  readonly mutation: Mutation;
  readonly apply: (b: Uint8Array) => Uint8Array;
}

function plans(bytes: Uint8Array, kinds: readonly MutationKind[], sites: Sites, fix: boolean): fc.Arbitrary<Planned>[] {
  const len = bytes.length;
  const { layers } = sites;
  const out: fc.Arbitrary<Planned>[] = [];
  const copy = (): Uint8Array => bytes.slice();
  for (const kind of kinds) {
    if (kind === 'truncate' && len > 0) {
      const anywhere = fc.integer({ min: 0, max: len - 1 });
      const starts = layers.filter((l) => l.offset < len);
      const inHeaders = starts.length
        ? fc.constantFrom(...starts).chain((l) => fc.integer({ min: l.offset, max: Math.min(len - 1, l.offset + Math.max(0, l.length - 1)) }))
        : anywhere;
      out.push(
        fc.oneof(anywhere, inHeaders).map((at): Planned => {
          const where = layerAt(layers, at);
          return { mutation: { kind, at, layer: where.layer, layerIndex: where.layerIndex, field: where.header ? 'header' : 'payload' }, apply: () => bytes.slice(0, at) };
        }),
      );
    } else if (kind === 'byte-flip' && len > 0) {
      out.push(
        fc.tuple(fc.integer({ min: 0, max: len - 1 }), fc.integer({ min: 1, max: 255 })).map(([at, mask]): Planned => {
          const where = layerAt(layers, at);
          return {
            mutation: { kind, at, mask, layer: where.layer, layerIndex: where.layerIndex },
            apply: () => {
              const b = copy();
              b[at]! ^= mask;
              if (fix) refreshChecksums(b, layers, at, -1);
              return b;
            },
          };
        }),
      );
    } else if (kind === 'lying-length' && sites.lies.length) {
      out.push(
        fc.constantFrom(...sites.lies).chain((s) =>
          s.values.map((value): Planned => ({
            mutation: { kind, at: s.ref.at, layer: s.layer, layerIndex: s.layerIndex, field: s.field, original: read(bytes, s.ref), value },
            apply: () => {
              const b = copy();
              write(b, s.ref, value);
              if (fix) refreshChecksums(b, layers, s.ref.at, s.layer === 'udp' ? s.layerIndex : -1);
              return b;
            },
          })),
        ),
      );
    } else if (kind === 'flip-flag' && sites.flags.length) {
      out.push(
        fc.constantFrom(...sites.flags).map((s): Planned => ({
          mutation: { kind, at: s.at, layer: s.layer, layerIndex: s.layerIndex, field: s.field, mask: s.mask },
          apply: () => {
            const b = copy();
            b[s.at]! ^= s.mask;
            if (fix) refreshChecksums(b, layers, s.at, -1);
            return b;
          },
        })),
      );
    } else if (kind === 'reserved-bits' && sites.reserved.length) {
      out.push(
        fc.constantFrom(...sites.reserved).chain((s) => {
          const bits: number[] = [];
          for (let m = 1; m < 0x100; m <<= 1) if (s.mask & m) bits.push(m);
          return fc.subarray(bits, { minLength: 1 }).map((set): Planned => {
            const mask = set.reduce((a, m) => a | m, 0);
            return {
              mutation: { kind, at: s.at, layer: s.layer, layerIndex: s.layerIndex, field: s.field, mask },
              apply: () => {
                const b = copy();
                b[s.at]! |= mask;
                if (fix) refreshChecksums(b, layers, s.at, -1);
                return b;
              },
            };
          });
        }),
      );
    }
  }
  return out;
}

/**
 * Near-valid versions of the frames of `frames`: each is decoded once with `walkPacket` to find its
 * headers, then damaged once by a mutation of one of `opts.kinds` (see the module comment for what each
 * kind does and where). The result holds the new bytes, a plain description of the change, and the
 * original value.
 * @throws RangeError (when generating) for an empty frame, or when none of `opts.kinds` applies to a frame.
 */
export function mutated<F extends FrameLike>(frames: fc.Arbitrary<F>, opts: MutationOptions = {}): fc.Arbitrary<NearValidFrame<F>> {
  const kinds = opts.kinds ?? MUTATION_KINDS;
  const fix = opts.fixChecksums ?? true;
  return frames.chain((original) => {
    const bytes = bytesOfFrame(original);
    const arbs = plans(bytes, kinds, findSites(bytes, opts.walk), fix);
    if (arbs.length === 0) throw new RangeError(`mutated: no ${kinds.join('/')} mutation applies to this ${bytes.length}-byte frame`);
    return fc.oneof(...arbs).map((p) => ({ bytes: p.apply(bytes), mutation: p.mutation, original }));
  });
}

/**
 * {@link mutated} with a default: near-valid tunnel frames of every type (`mutated(tunnelFrame())`), the
 * input for fuzzing a datapath's receive path.
 */
export function nearValid(): fc.Arbitrary<NearValidFrame<TunnelFrame>>;
export function nearValid<F extends FrameLike>(frames: fc.Arbitrary<F>, opts?: MutationOptions): fc.Arbitrary<NearValidFrame<F>>;
export function nearValid(frames: fc.Arbitrary<FrameLike> = tunnelFrame(), opts: MutationOptions = {}): fc.Arbitrary<NearValidFrame<FrameLike>> {
  return mutated(frames, opts);
}
