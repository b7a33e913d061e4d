/**
 * pcapng ("PCAP Now Generic", draft-ietf-opsawg-pcapng §3, §4): the block layer and the blocks
 * a packet reader needs.
 *
 * Every block, in the byte order of its section (set by the Section Header Block's magic):
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +---------------------------------------------------------------+
 * |                          Block Type                           |  0
 * +---------------------------------------------------------------+
 * |                      Block Total Length                       |  4
 * +---------------------------------------------------------------+
 * /                          Block Body (padded to 32 bits)       /  8
 * +---------------------------------------------------------------+
 * |                      Block Total Length (copy)                |
 * +---------------------------------------------------------------+
 * ```
 * Section Header Block (type 0x0A0D0D0A, §4.1): Byte-Order Magic 0x1A2B3C4D at 8, Major (1) at 12,
 * Minor at 14, Section Length (int64, -1 = unknown) at 16, options at 24.
 * Interface Description Block (type 1, §4.2): LinkType (16) at 8, Reserved at 10, SnapLen at 12,
 * options at 16 (`if_tsresol` = 9, `if_fcslen` = 13, `if_tsoffset` = 14).
 * Enhanced Packet Block (type 6, §4.3): Interface ID at 8, Timestamp high/low at 12/16, Captured
 * length at 20, Original length at 24, data at 28.
 * Simple Packet Block (type 3, §4.4): Original length at 8, data at 12; interface 0, no timestamp.
 * Obsolete Packet Block (type 2, Appendix A): Interface ID (16) at 8, Drops (16) at 10, then as EPB.
 * Options: Code (16), Length (16), value padded to 32 bits; `opt_endofopt` (0) ends the list.
 */
import { err, ok, wireError, type Result, type WireError } from '../net/errors.js';
import { CAPTURE_MAX_RECORD_BYTES, rd16, rd32 } from './pcap.js';

/** Section Header Block type (a palindrome, the same in both byte orders). */
export const PCAPNG_SHB_TYPE = 0x0a0d0d0a;
/** Interface Description Block type. */
export const PCAPNG_IDB_TYPE = 0x00000001;
/** Obsolete Packet Block type. */
export const PCAPNG_OPB_TYPE = 0x00000002;
/** Simple Packet Block type. */
export const PCAPNG_SPB_TYPE = 0x00000003;
/** Name Resolution Block type (skipped). */
export const PCAPNG_NRB_TYPE = 0x00000004;
/** Interface Statistics Block type (skipped). */
export const PCAPNG_ISB_TYPE = 0x00000005;
/** Enhanced Packet Block type. */
export const PCAPNG_EPB_TYPE = 0x00000006;
/** Decryption Secrets Block type (skipped). */
export const PCAPNG_DSB_TYPE = 0x0000000a;
/** The Section Header Block's byte-order magic. */
export const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;
/** The major version this reader accepts. */
export const PCAPNG_VERSION_MAJOR = 1;

/** Smallest block: type, total length, trailing total length. */
export const PCAPNG_BLOCK_MIN_LEN = 12;
/** Smallest lengths of the blocks this module decodes (fixed fields + the two length words). */
export const PCAPNG_SHB_MIN_LEN = 28;
export const PCAPNG_IDB_MIN_LEN = 20;
export const PCAPNG_EPB_MIN_LEN = 32;
export const PCAPNG_SPB_MIN_LEN = 16;
export const PCAPNG_OPB_MIN_LEN = 32;

/** Option codes. */
export const PCAPNG_OPT_ENDOFOPT = 0;
export const PCAPNG_IF_TSRESOL = 9;
export const PCAPNG_IF_FCSLEN = 13;
export const PCAPNG_IF_TSOFFSET = 14;
/** `if_tsresol` when the option is absent: 10^-6 s. */
export const PCAPNG_DEFAULT_TSRESOL = 6;

/** Byte offsets inside blocks (from the block start). */
const B = { TYPE: 0, LENGTH: 4, BODY: 8 } as const;
const SHB = { BOM: 8, MAJOR: 12, MINOR: 14, SECTION_LEN: 16, OPTIONS: 24 } as const;
const IDB = { LINKTYPE: 8, RESERVED: 10, SNAPLEN: 12, OPTIONS: 16 } as const;
const EPB = { IFACE: 8, TS_HIGH: 12, TS_LOW: 16, CAPLEN: 20, ORIGLEN: 24, DATA: 28 } as const;
const SPB = { ORIGLEN: 8, DATA: 12 } as const;
const OPB = { IFACE: 8, DROPS: 10, TS_HIGH: 12, TS_LOW: 16, CAPLEN: 20, ORIGLEN: 24, DATA: 28 } as const;

/** A decoded Section Header Block. */
export interface PcapngSection {
  readonly littleEndian: boolean;
  readonly versionMajor: number;
  readonly versionMinor: number;
  /** Section length in bytes after this block, or -1n when not stated. */
  readonly sectionLength: bigint;
}

/** A decoded Interface Description Block (per section; `id` counts from 0 in its section). */
export interface PcapngInterface {
  readonly id: number;
  /** LINKTYPE_ value. */
  readonly linkType: number;
  /** Maximum captured length (0 = no limit). */
  readonly snaplen: number;
  /** The raw `if_tsresol` byte (bit 7 clear: 10^-n s, set: 2^-n s); 6 when absent. */
  readonly tsresol: number;
  /** Timestamp units per second implied by `tsresol` (10^n or 2^n). */
  readonly unitsPerSecond: bigint;
  /** `if_tsoffset`: seconds added to every timestamp (0n when absent). */
  readonly tsOffsetSeconds: bigint;
  /** `if_fcslen`: FCS bytes at the end of each packet, when stated. */
  readonly fcsLength?: number;
}

/** The fields of a packet block (EPB, SPB, OPB) other than its data. */
export interface PcapngPacket {
  readonly interfaceId: number;
  /** Raw timestamp in interface units, or undefined for a Simple Packet Block. */
  readonly timestamp: bigint | undefined;
  readonly caplen: number;
  readonly origLen: number;
  /** Offset of the packet data in the buffer passed in. */
  readonly dataOffset: number;
}

/**
 * The byte order of a Section Header Block at `i` (12 bytes needed), from its byte-order magic.
 * @returns true/false for little/big-endian, undefined when the magic matches neither order.
 */
export function sectionByteOrder(b: Uint8Array, i: number): boolean | undefined {
  const be = rd32(b, i + SHB.BOM, false);
  if (be === PCAPNG_BYTE_ORDER_MAGIC) return false;
  if (rd32(b, i + SHB.BOM, true) === PCAPNG_BYTE_ORDER_MAGIC) return true;
  return undefined;
}

/**
 * Check a block's total length (and, once the whole block is present, nothing else): at least 12
 * and the block type's minimum, a multiple of 4, at most `maxBlockBytes`.
 * @param at file offset of the block start (errors point at its length field).
 * @returns a `bad-length` error (layer `pcapng`, field `block-total-length`) or undefined.
 */
export function checkBlockLength(type: number, totalLength: number, at: number, maxBlockBytes = CAPTURE_MAX_RECORD_BYTES + 64): WireError | undefined {
  const min = minBlockLength(type);
  const field = 'block-total-length';
  if (totalLength < min) return wireError('bad-length', 'pcapng', at + B.LENGTH, field, totalLength, `>= ${min} bytes (block type ${hexType(type)})`);
  if (totalLength % 4 !== 0) return wireError('bad-length', 'pcapng', at + B.LENGTH, field, totalLength, 'a multiple of 4');
  if (totalLength > maxBlockBytes) return wireError('bad-length', 'pcapng', at + B.LENGTH, field, totalLength, `<= ${maxBlockBytes} bytes`);
  return undefined;
}

/** The smallest legal total length of a block of `type`. */
export function minBlockLength(type: number): number {
  switch (type) {
    case PCAPNG_SHB_TYPE:
      return PCAPNG_SHB_MIN_LEN;
    case PCAPNG_IDB_TYPE:
      return PCAPNG_IDB_MIN_LEN;
    case PCAPNG_EPB_TYPE:
      return PCAPNG_EPB_MIN_LEN;
    case PCAPNG_SPB_TYPE:
      return PCAPNG_SPB_MIN_LEN;
    case PCAPNG_OPB_TYPE:
      return PCAPNG_OPB_MIN_LEN;
    default:
      return PCAPNG_BLOCK_MIN_LEN;
  }
}

/**
 * Check that the trailing copy of the total length equals the leading one (whole block at `i`).
 * @returns `bad-length` (layer `pcapng`, field `block-total-length-trailer`) or undefined.
 */
export function checkBlockTrailer(b: Uint8Array, i: number, totalLength: number, le: boolean, fileOffset: number): WireError | undefined {
  const trailer = rd32(b, i + totalLength - 4, le);
  if (trailer === totalLength) return undefined;
  return wireError('bad-length', 'pcapng', fileOffset + totalLength - 4, 'block-total-length-trailer', trailer, `${totalLength} (the leading copy)`);
}

/**
 * Decode a whole Section Header Block at `b[i]` (byte order from {@link sectionByteOrder}).
 * Errors: `bad-version` (field `version-major`, only 1 is read), `length-overrun` from its options.
 */
export function parseSectionHeader(b: Uint8Array, i: number, totalLength: number, le: boolean, fileOffset: number): Result<PcapngSection, WireError> {
  const versionMajor = rd16(b, i + SHB.MAJOR, le);
  if (versionMajor !== PCAPNG_VERSION_MAJOR) {
    return err(wireError('bad-version', 'pcapng', fileOffset + SHB.MAJOR, 'version-major', versionMajor, '1'));
  }
  const hi = rd32(b, i + SHB.SECTION_LEN + (le ? 4 : 0), le);
  const lo = rd32(b, i + SHB.SECTION_LEN + (le ? 0 : 4), le);
  const sectionLength = BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
  const bad = walkOptions(b, i + SHB.OPTIONS, i + totalLength - 4, le, fileOffset - i, () => undefined);
  if (bad) return err(bad);
  return ok({ littleEndian: le, versionMajor, versionMinor: rd16(b, i + SHB.MINOR, le), sectionLength });
}

/**
 * Decode a whole Interface Description Block at `b[i]`.
 * @param id the interface's number in its section.
 * Errors (layer `pcapng`): `bad-length` for an `if_tsresol` (1 byte), `if_fcslen` (1 byte) or
 * `if_tsoffset` (8 bytes) option of the wrong size; `length-overrun` when an option runs past the block.
 */
export function parseInterfaceBlock(b: Uint8Array, i: number, totalLength: number, le: boolean, id: number, fileOffset: number): Result<PcapngInterface, WireError> {
  let tsresol = PCAPNG_DEFAULT_TSRESOL;
  let tsOffsetSeconds = 0n;
  let fcsLength: number | undefined;
  const delta = fileOffset - i;
  const bad = walkOptions(b, i + IDB.OPTIONS, i + totalLength - 4, le, delta, (code, at, len) => {
    const need = code === PCAPNG_IF_TSOFFSET ? 8 : 1;
    if (code !== PCAPNG_IF_TSRESOL && code !== PCAPNG_IF_TSOFFSET && code !== PCAPNG_IF_FCSLEN) return undefined;
    const name = code === PCAPNG_IF_TSRESOL ? 'if_tsresol' : code === PCAPNG_IF_TSOFFSET ? 'if_tsoffset' : 'if_fcslen';
    if (len !== need) return wireError('bad-length', 'pcapng', at + 2 + delta, name, len, `${need} bytes`);
    if (code === PCAPNG_IF_TSRESOL) tsresol = b[at + 4]!;
    else if (code === PCAPNG_IF_FCSLEN) fcsLength = b[at + 4]!;
    else {
      const hi = rd32(b, at + 4 + (le ? 4 : 0), le);
      const lo = rd32(b, at + 4 + (le ? 0 : 4), le);
      tsOffsetSeconds = BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
    }
    return undefined;
  });
  if (bad) return err(bad);
  const exponent = BigInt(tsresol & 0x7f);
  const unitsPerSecond = (tsresol & 0x80) !== 0 ? 1n << exponent : 10n ** exponent;
  const base = {
    id,
    linkType: rd16(b, i + IDB.LINKTYPE, le),
    snaplen: rd32(b, i + IDB.SNAPLEN, le),
    tsresol,
    unitsPerSecond,
    tsOffsetSeconds,
  };
  return ok(fcsLength === undefined ? base : { ...base, fcsLength });
}

/**
 * Walk the options in `b[start..end)`, calling `visit(code, at, length)` with `at` the option's
 * start, until `opt_endofopt` or the end (fewer than 4 bytes left also ends the list).
 * @param delta added to buffer offsets to give file offsets in errors.
 * @returns the first error from `visit`, or `length-overrun` (field `option-length`) when an
 * option's padded value runs past `end`.
 */
export function walkOptions(
  b: Uint8Array,
  start: number,
  end: number,
  le: boolean,
  delta: number,
  visit: (code: number, at: number, length: number) => WireError | undefined,
): WireError | undefined {
  let p = start;
  while (end - p >= 4) {
    const code = rd16(b, p, le);
    if (code === PCAPNG_OPT_ENDOFOPT) return undefined;
    const len = rd16(b, p + 2, le);
    const padded = (len + 3) & ~3;
    if (padded > end - p - 4) {
      return wireError('length-overrun', 'pcapng', p + 2 + delta, 'option-length', len, `<= ${end - p - 4} bytes (option code ${code})`);
    }
    const bad = visit(code, p, len);
    if (bad) return bad;
    p += 4 + padded;
  }
  return undefined;
}

/**
 * Decode the fixed fields of a whole EPB, SPB or OPB at `b[i]`.
 * @param interfaces the interfaces of the current section (the SPB uses interface 0's snaplen).
 * Errors (layer `pcapng`): `bad-value` (field `interface-id`) for an interface not described
 * before the packet; `length-overrun` (field `caplen`) when the captured length exceeds the block.
 */
export function parsePacketBlock(
  type: number,
  b: Uint8Array,
  i: number,
  totalLength: number,
  le: boolean,
  interfaces: readonly PcapngInterface[],
  fileOffset: number,
): Result<PcapngPacket, WireError> {
  if (type === PCAPNG_SPB_TYPE) {
    const iface = interfaces[0];
    if (!iface) return err(noInterface(0, interfaces.length, fileOffset, 'interface-id (implicit 0 of a simple packet block)'));
    const origLen = rd32(b, i + SPB.ORIGLEN, le);
    const room = totalLength - PCAPNG_SPB_MIN_LEN;
    let caplen = Math.min(origLen, room);
    if (iface.snaplen !== 0) caplen = Math.min(caplen, iface.snaplen);
    return ok({ interfaceId: 0, timestamp: undefined, caplen, origLen, dataOffset: i + SPB.DATA });
  }
  const opb = type === PCAPNG_OPB_TYPE;
  const interfaceId = opb ? rd16(b, i + OPB.IFACE, le) : rd32(b, i + EPB.IFACE, le);
  if (interfaceId >= interfaces.length) return err(noInterface(interfaceId, interfaces.length, fileOffset + EPB.IFACE, 'interface-id'));
  const caplen = rd32(b, i + EPB.CAPLEN, le);
  const room = totalLength - PCAPNG_EPB_MIN_LEN;
  if (caplen > room) {
    return err(wireError('length-overrun', 'pcapng', fileOffset + EPB.CAPLEN, 'caplen', caplen, `<= ${room} bytes (block total length ${totalLength})`));
  }
  const timestamp = (BigInt(rd32(b, i + EPB.TS_HIGH, le)) << 32n) | BigInt(rd32(b, i + EPB.TS_LOW, le));
  return ok({ interfaceId, timestamp, caplen, origLen: rd32(b, i + EPB.ORIGLEN, le), dataOffset: i + EPB.DATA });
}

function noInterface(id: number, count: number, at: number, field: string): WireError {
  return wireError('bad-value', 'pcapng', at, field, id, count === 0 ? 'an interface described earlier in the section (none is)' : `< ${count} (interfaces in this section)`);
}

const NS_PER_SEC = 1_000_000_000n;

/**
 * A function from raw timestamps of `iface` to Unix-epoch nanoseconds (floor for resolutions finer
 * than 1 ns and for 2^-n resolutions), `if_tsoffset` included. Built once per interface.
 */
export function timestampToNs(iface: PcapngInterface): (ts: bigint) => bigint {
  const offsetNs = iface.tsOffsetSeconds * NS_PER_SEC;
  const units = iface.unitsPerSecond;
  if (units <= NS_PER_SEC && NS_PER_SEC % units === 0n) {
    const mul = NS_PER_SEC / units;
    return (ts) => ts * mul + offsetNs;
  }
  return (ts) => (ts * NS_PER_SEC) / units + offsetNs;
}

function hexType(type: number): string {
  return `0x${type.toString(16).padStart(8, '0')}`;
}

/** Offsets exported for writers and tests (block-relative). */
export const PCAPNG_OFFSETS = { BLOCK: B, SHB, IDB, EPB, SPB, OPB } as const;
