/**
 * Independent twins of the VXLAN header written declaratively with binary-parser and buffer-layout
 * (test-only reference decoders; neither shares code with src/).
 */
import { Parser } from 'binary-parser';
import * as BL from 'buffer-layout';

export const vxlanBp = new Parser()
  .endianness('big')
  .bit1('g')
  .bit3('r0')
  .bit1('i')
  .bit3('r1')
  .bit1('r2')
  .bit1('d')
  .bit2('r3')
  .bit1('a')
  .bit3('r4')
  .uint16('groupPolicyId')
  .bit24('vni')
  .uint8('reserved2');

export const vxlanGpeBp = new Parser()
  .endianness('big')
  .bit2('r')
  .bit2('ver')
  .bit1('i')
  .bit1('p')
  .bit1('b')
  .bit1('o')
  .uint16('reserved1')
  .uint8('nextProtocol')
  .bit24('vni')
  .uint8('reserved2');

export const vxlanBl = BL.struct<{ flags: number; gbpFlags: number; groupPolicyId: number; vniWord: number }>([
  BL.u8('flags'),
  BL.u8('gbpFlags'),
  BL.u16be('groupPolicyId'),
  BL.u32be('vniWord'),
]);
