/**
 * Independent twins of the Geneve base header and of one option header (RFC 8926 §3.4, §3.5), written
 * declaratively with binary-parser and buffer-layout (test-only reference decoders; neither shares code
 * with src/).
 */
import { Parser } from 'binary-parser';
import * as BL from 'buffer-layout';

/** Base header, bit by bit as in the RFC diagram. */
export const geneveBp = new Parser()
  .endianness('big')
  .bit2('ver')
  .bit6('optLen')
  .bit1('o')
  .bit1('c')
  .bit6('rsvd')
  .uint16('protocolType')
  .bit24('vni')
  .uint8('reserved');

/** One option header (4 bytes): class, C + 7-bit type, 3 R bits, 5-bit Length. */
export const geneveOptionBp = new Parser()
  .endianness('big')
  .uint16('optionClass')
  .bit1('c')
  .bit7('typeLow')
  .bit3('r')
  .bit5('length');

/** Fields of {@link geneveBl}. */
export interface GeneveBl {
  b0: { optLen: number; ver: number };
  b1: { rsvd: number; c: boolean; o: boolean };
  protocolType: number;
  vniWord: number;
}

/** Base header with buffer-layout bit structures (fields packed from the least significant bit). */
export const geneveBl = (() => {
  const b0 = BL.bits(BL.u8(), false, 'b0');
  b0.addField(6, 'optLen');
  b0.addField(2, 'ver');
  const b1 = BL.bits(BL.u8(), false, 'b1');
  b1.addField(6, 'rsvd');
  b1.addBoolean('c');
  b1.addBoolean('o');
  return BL.struct<GeneveBl>([b0, b1, BL.u16be('protocolType'), BL.u32be('vniWord')]);
})();

/** Fields of {@link geneveOptionBl}. */
export interface GeneveOptionBl {
  optionClass: number;
  type: number;
  b3: { length: number; r: number };
}

/** One option header with buffer-layout (type kept whole; R bits and Length as bit fields). */
export const geneveOptionBl = (() => {
  const b3 = BL.bits(BL.u8(), false, 'b3');
  b3.addField(5, 'length');
  b3.addField(3, 'r');
  return BL.struct<GeneveOptionBl>([BL.u16be('optionClass'), BL.u8('type'), b3]);
})();
