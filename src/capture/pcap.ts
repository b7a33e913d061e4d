/**
 * Classic pcap ("libpcap savefile") format: draft-ietf-opsawg-pcap §4, pcap-savefile(5).
 *
 * File header (24 bytes), every field in the writer's byte order, which the magic reveals:
 * ```
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                          Magic Number                         |  0
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Major Version        |         Minor Version         |  4
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                           Reserved1 (thiszone)                |  8
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                           Reserved2 (sigfigs)                 | 12
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                            SnapLen                            | 16
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |FCS len|R|P|   Reserved (10)   |        Link-layer type        | 20
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 * The link type is the low 16 bits (libpcap `LT_LINKTYPE`); P, bit 26 (`0x04000000`, libpcap
 * `LT_FCS_LENGTH_PRESENT`), says the top 4 bits (`LT_FCS_LENGTH`) hold the FCS length in 16-bit words. Masking with
 * `0x0fffffff` alone would keep bit 26, so the link type is taken as `value & 0xffff`.
 *
 * Record header (16 bytes): ts seconds, ts microseconds (magic 0xa1b2c3d4) or nanoseconds
 * (0xa1b23c4d), captured length, original length; then `captured length` bytes of packet data.
 */
import { err, ok, truncated, wireError, type Result, type WireError } from '../net/errors.js';

/** Magic of a microsecond-resolution pcap file. */
export const PCAP_MAGIC_USEC = 0xa1b2c3d4;
/** Magic of a nanosecond-resolution pcap file. */
export const PCAP_MAGIC_NSEC = 0xa1b23c4d;
/** File header length in bytes. */
export const PCAP_FILE_HEADER_LEN = 24;
/** Per-record header length in bytes. */
export const PCAP_RECORD_HEADER_LEN = 16;
/** The only major version libpcap reads. */
export const PCAP_VERSION_MAJOR = 2;
/** The minor version writers use. */
export const PCAP_VERSION_MINOR = 4;
/** Default bound on one record's captured length (and on a pcapng block): 256 MiB. */
export const CAPTURE_MAX_RECORD_BYTES = 256 * 1024 * 1024;
/** Mask of the link type in the LinkType-and-additional-information field. */
export const PCAP_LINKTYPE_MASK = 0x0000ffff;
/** "FCS length present" bit of that field. */
export const PCAP_FCS_PRESENT = 0x04000000;

/** Byte offsets in the file header. */
const O = { MAGIC: 0, MAJOR: 4, MINOR: 6, THISZONE: 8, SIGFIGS: 12, SNAPLEN: 16, LINKTYPE: 20 } as const;
/** Byte offsets in a record header. */
export const PCAP_RECORD = { TS_SEC: 0, TS_FRAC: 4, CAPLEN: 8, ORIGLEN: 12 } as const;

/** The fields of a pcap file header. */
export interface PcapHeader {
  /** True when the writer was little-endian (magic read as `d4 c3 b2 a1` / `4d 3c b2 a1`). */
  readonly littleEndian: boolean;
  /** True for magic 0xa1b23c4d (nanosecond timestamps). */
  readonly nanosecond: boolean;
  readonly versionMajor: number;
  readonly versionMinor: number;
  /** Reserved1, historically the GMT offset; ignored (always 0 in practice). */
  readonly thiszone: number;
  readonly sigfigs: number;
  /** Maximum captured length per record (0 means "not stated"). */
  readonly snaplen: number;
  /** LINKTYPE_ value (low 16 bits of the field). */
  readonly linkType: number;
  /** The whole 32-bit LinkType-and-additional-information field. */
  readonly linkTypeField: number;
  /** FCS length in bytes at the end of every packet when the file states it (P bit set), else undefined. */
  readonly fcsLength?: number;
}

/** @internal Read an unsigned 16-bit value in the given byte order (no bounds check; not re-exported by the index). */
export function rd16(b: Uint8Array, i: number, le: boolean): number {
  return le ? b[i]! | (b[i + 1]! << 8) : (b[i]! << 8) | b[i + 1]!;
}

/** @internal Read an unsigned 32-bit value in the given byte order (no bounds check; not re-exported by the index). */
export function rd32(b: Uint8Array, i: number, le: boolean): number {
  return le
    ? (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0
    : ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
}

/** Byte order and resolution from the 4 magic bytes at `i`, or undefined when they are no pcap magic. */
export function pcapMagic(b: Uint8Array, i = 0): { littleEndian: boolean; nanosecond: boolean } | undefined {
  if (b.length - i < 4) return undefined;
  const be = rd32(b, i, false);
  if (be === PCAP_MAGIC_USEC) return { littleEndian: false, nanosecond: false };
  if (be === PCAP_MAGIC_NSEC) return { littleEndian: false, nanosecond: true };
  const le = rd32(b, i, true);
  if (le === PCAP_MAGIC_USEC) return { littleEndian: true, nanosecond: false };
  if (le === PCAP_MAGIC_NSEC) return { littleEndian: true, nanosecond: true };
  return undefined;
}

/**
 * Parse a pcap file header at `bytes[offset]`.
 * @param fileOffset the file offset of `bytes[offset]`, used for `at` in errors.
 * Errors (layer `pcap`): `truncated` (fewer than 24 bytes), `bad-value` (field `magic`),
 * `bad-version` (field `version-major`, only 2 is read).
 */
export function parsePcapHeader(bytes: Uint8Array, offset = 0, fileOffset = offset): Result<PcapHeader, WireError> {
  const avail = bytes.length - offset;
  const magic = pcapMagic(bytes, offset);
  if (avail >= 4 && !magic) {
    return err(wireError('bad-value', 'pcap', fileOffset, 'magic', rd32(bytes, offset, false), '0xa1b2c3d4 or 0xa1b23c4d, either byte order'));
  }
  if (avail < PCAP_FILE_HEADER_LEN || !magic) return err(truncated('pcap', fileOffset, PCAP_FILE_HEADER_LEN, avail, 'file-header'));
  const le = magic.littleEndian;
  const i = offset;
  const versionMajor = rd16(bytes, i + O.MAJOR, le);
  if (versionMajor !== PCAP_VERSION_MAJOR) {
    return err(wireError('bad-version', 'pcap', fileOffset + O.MAJOR, 'version-major', versionMajor, '2'));
  }
  const linkTypeField = rd32(bytes, i + O.LINKTYPE, le);
  const base = {
    littleEndian: le,
    nanosecond: magic.nanosecond,
    versionMajor,
    versionMinor: rd16(bytes, i + O.MINOR, le),
    thiszone: rd32(bytes, i + O.THISZONE, le) | 0,
    sigfigs: rd32(bytes, i + O.SIGFIGS, le),
    snaplen: rd32(bytes, i + O.SNAPLEN, le),
    linkType: linkTypeField & PCAP_LINKTYPE_MASK,
    linkTypeField,
  };
  return ok((linkTypeField & PCAP_FCS_PRESENT) !== 0 ? { ...base, fcsLength: (linkTypeField >>> 28) * 2 } : base);
}

/**
 * Check a record's captured length before any byte of its data is awaited or copied.
 * @param recordAt file offset of the record header (the error's `at` is its caplen field).
 * @returns `length-overrun` (caplen above a non-zero snaplen) or `bad-length` (caplen above
 * `maxRecordBytes`), both layer `pcap`, field `caplen`; undefined when the length is acceptable.
 */
export function checkPcapCaplen(caplen: number, snaplen: number, recordAt: number, maxRecordBytes = CAPTURE_MAX_RECORD_BYTES): WireError | undefined {
  const at = recordAt + PCAP_RECORD.CAPLEN;
  if (caplen > maxRecordBytes) return wireError('bad-length', 'pcap', at, 'caplen', caplen, `<= ${maxRecordBytes} bytes`);
  if (snaplen !== 0 && caplen > snaplen) return wireError('length-overrun', 'pcap', at, 'caplen', caplen, `<= snaplen ${snaplen}`);
  return undefined;
}

const NS_PER_SEC = 1_000_000_000n;

/** Unix-epoch nanoseconds of a record: seconds are unsigned 32-bit, the fraction µs or ns by magic. */
export function pcapTimestampNs(seconds: number, fraction: number, nanosecond: boolean): bigint {
  return BigInt(seconds) * NS_PER_SEC + BigInt(nanosecond ? fraction : fraction * 1000);
}
