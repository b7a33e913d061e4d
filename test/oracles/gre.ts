/**
 * Independent twins of the GRE header (RFC 2784/2890/1701, PPTP version 1) and the NVGRE header
 * (RFC 7637 §3.2), written declaratively with binary-parser and buffer-layout. Test-only reference
 * decoders: nothing here imports src/. They expect valid input (binary-parser throws past the end).
 */
import { Parser } from 'binary-parser';
import * as BL from 'buffer-layout';

const sreBp = new Parser().endianness('big').uint16('addressFamily').uint8('sreOffset').uint8('sreLength').buffer('data', { length: 'sreLength' });

/**
 * binary-parser GRE: fixed word as bit fields, then each optional word as a 0/1-element array whose length
 * is its presence flag, in RFC 1701 order (checksum+offset, key, sequence, ack, routing).
 */
export const greBp = new Parser()
  .endianness('big')
  .bit1('c')
  .bit1('r')
  .bit1('k')
  .bit1('s')
  .bit1('ssr')
  .bit3('recursion')
  .bit1('a')
  .bit4('flags')
  .bit3('version')
  .uint16('protocolType')
  .array('csum', {
    type: new Parser().endianness('big').uint16('checksum').uint16('offset'),
    length: function (this: { c: number; r: number }) {
      return this.c | this.r;
    },
  })
  .array('key', { type: 'uint32be', length: 'k' })
  .array('sequence', { type: 'uint32be', length: 's' })
  .array('ack', {
    type: 'uint32be',
    length: function (this: { a: number; version: number }) {
      return this.version === 1 ? this.a : 0;
    },
  })
  .array('routing', {
    type: new Parser().endianness('big').array('sres', {
      type: sreBp,
      readUntil: function (item: { addressFamily: number; sreLength: number }) {
        return item.addressFamily === 0 && item.sreLength === 0;
      },
    }),
    length: 'r',
  })
  .saveOffset('headerLength');

/** Shape of {@link greBp}'s result. */
export interface GreBpResult {
  c: number;
  r: number;
  k: number;
  s: number;
  ssr: number;
  recursion: number;
  a: number;
  flags: number;
  version: number;
  protocolType: number;
  csum: { checksum: number; offset: number }[];
  key: number[];
  sequence: number[];
  ack: number[];
  routing: { sres: { addressFamily: number; sreOffset: number; sreLength: number; data: Uint8Array }[] }[];
  headerLength: number;
}

const fixedWord = BL.bits(BL.u16be(), true, 'fv');
fixedWord.addBoolean('c');
fixedWord.addBoolean('r');
fixedWord.addBoolean('k');
fixedWord.addBoolean('s');
fixedWord.addBoolean('ssr');
fixedWord.addField(3, 'recursion');
fixedWord.addBoolean('a');
fixedWord.addField(4, 'flags');
fixedWord.addField(3, 'version');

/** buffer-layout GRE fixed part: bit fields of the first word + protocol type. */
export const greFixedBl = BL.struct<{ fv: Record<string, number | boolean>; protocolType: number }>([fixedWord, BL.u16be('protocolType')]);
const csumBl = BL.struct<{ checksum: number; offset: number }>([BL.u16be('checksum'), BL.u16be('offset')]);
const sreHeadBl = BL.struct<{ addressFamily: number; sreOffset: number; sreLength: number }>([BL.u16be('addressFamily'), BL.u8('sreOffset'), BL.u8('sreLength')]);
const word32 = BL.u32be();

/** Result of {@link greBl}: flags as booleans, optional values undefined when absent. */
export interface GreBlResult {
  fv: Record<string, number | boolean>;
  protocolType: number;
  checksum?: number;
  offset?: number;
  key?: number;
  sequence?: number;
  ack?: number;
  routing?: { addressFamily: number; sreOffset: number; data: Uint8Array }[];
  headerLength: number;
}

/** buffer-layout GRE: fixed struct, then the optional layouts at running offsets (SRE list until AF 0 / length 0). */
export function greBl(b: Buffer): GreBlResult {
  const fixed = greFixedBl.decode(b, 0);
  const fv = fixed.fv;
  const r: GreBlResult = { fv, protocolType: fixed.protocolType, headerLength: 0 };
  let at = greFixedBl.span;
  if (fv.c || fv.r) {
    const cs = csumBl.decode(b, at);
    r.checksum = cs.checksum;
    r.offset = cs.offset;
    at += csumBl.span;
  }
  if (fv.k) (r.key = word32.decode(b, at)), (at += 4);
  if (fv.s) (r.sequence = word32.decode(b, at)), (at += 4);
  if (fv.version === 1 && fv.a) (r.ack = word32.decode(b, at)), (at += 4);
  if (fv.r) {
    r.routing = [];
    for (;;) {
      const h = sreHeadBl.decode(b, at);
      at += sreHeadBl.span;
      if (h.addressFamily === 0 && h.sreLength === 0) break;
      r.routing.push({ addressFamily: h.addressFamily, sreOffset: h.sreOffset, data: BL.blob(h.sreLength).decode(b, at) });
      at += h.sreLength;
    }
  }
  r.headerLength = at;
  return r;
}

/** binary-parser NVGRE (8 bytes). */
export const nvgreBp = new Parser().endianness('big').uint16('flagsVersion').uint16('protocolType').bit24('vsid').uint8('flowId');

/** buffer-layout NVGRE (8 bytes). */
export const nvgreBl = BL.struct<{ flagsVersion: number; protocolType: number; vsid: number; flowId: number }>([
  BL.u16be('flagsVersion'),
  BL.u16be('protocolType'),
  BL.u24be('vsid'),
  BL.u8('flowId'),
]);

/**
 * The tshark oracle's NVGRE rule (MANIFEST.md): K=1, C=R=S=0, recursion/reserved bits 0, version 0,
 * protocol 0x6558 — evaluated on the buffer-layout decode of the first word.
 */
export function oracleIsNvgre(b: Buffer): boolean {
  const { fv, protocolType } = greFixedBl.decode(b, 0);
  return (
    fv.k === true &&
    !fv.c &&
    !fv.r &&
    !fv.s &&
    !fv.ssr &&
    fv.recursion === 0 &&
    !fv.a &&
    fv.flags === 0 &&
    fv.version === 0 &&
    protocolType === 0x6558
  );
}
