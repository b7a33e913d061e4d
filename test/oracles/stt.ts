/**
 * Independent twins of the TCP header (RFC 9293 §3.1) and the 18-byte STT frame header
 * (draft-davie-stt-08 §3.1, flag values as in OVS/Wireshark) written declaratively with binary-parser
 * and buffer-layout (test-only reference decoders; neither shares code with src/).
 */
import { Parser } from 'binary-parser';
import * as BL from 'buffer-layout';

/** TCP header with its options (binary-parser; needs a Data Offset ≥ 5 and the whole header present). */
export const tcpBp = new Parser()
  .endianness('big')
  .uint16('srcPort')
  .uint16('dstPort')
  .uint32('seq')
  .uint32('ack')
  .bit4('dataOffset')
  .bit3('reserved')
  .bit1('ns')
  .bit1('cwr')
  .bit1('ece')
  .bit1('urg')
  .bit1('ack_')
  .bit1('psh')
  .bit1('rst')
  .bit1('syn')
  .bit1('fin')
  .uint16('window')
  .uint16('checksum')
  .uint16('urgentPointer')
  .buffer('options', {
    length: function (this: { dataOffset: number }) {
      return this.dataOffset * 4 - 20;
    },
  });

/** TCP fixed 20 bytes (buffer-layout): byte 12 and 13 whole. */
export const tcpBl = BL.struct<{
  srcPort: number;
  dstPort: number;
  seqHi: number;
  seqLo: number;
  ack: number;
  offRes: number;
  flagByte: number;
  window: number;
  checksum: number;
  urgentPointer: number;
}>([
  BL.u16be('srcPort'),
  BL.u16be('dstPort'),
  BL.u16be('seqHi'),
  BL.u16be('seqLo'),
  BL.u32be('ack'),
  BL.u8('offRes'),
  BL.u8('flagByte'),
  BL.u16be('window'),
  BL.u16be('checksum'),
  BL.u16be('urgentPointer'),
]);

/** STT frame header (binary-parser), flag bits read LSB-first as OVS `BIT(0..3)`. */
export const sttBp = new Parser()
  .endianness('big')
  .uint8('version')
  .bit4('flagsReserved')
  .bit1('tcp')
  .bit1('ipv4')
  .bit1('csumPartial')
  .bit1('csumVerified')
  .uint8('l4Offset')
  .uint8('reserved')
  .uint16('mss')
  .bit3('pcp')
  .bit1('v')
  .bit12('vlanId')
  .uint64('contextId')
  .uint16('padding');

/** STT frame header (buffer-layout, OVS `struct stthdr` + 2 pad bytes); the 64-bit key as two halves. */
export const sttBl = BL.struct<{
  version: number;
  flags: number;
  l4Offset: number;
  reserved: number;
  mss: number;
  vlanTci: number;
  keyHi: number;
  keyLo: number;
  padding: number;
}>([
  BL.u8('version'),
  BL.u8('flags'),
  BL.u8('l4Offset'),
  BL.u8('reserved'),
  BL.u16be('mss'),
  BL.u16be('vlanTci'),
  BL.u32be('keyHi'),
  BL.u32be('keyLo'),
  BL.u16be('padding'),
]);
