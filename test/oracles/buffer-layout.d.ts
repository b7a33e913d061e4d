// Minimal type declarations for the parts of buffer-layout (untyped CommonJS) used by the test oracles.
declare module 'buffer-layout' {
  export class Layout<T = unknown> {
    span: number;
    property?: string;
    decode(b: Uint8Array, offset?: number): T;
    encode(src: T, b: Uint8Array, offset?: number): number;
  }
  export function struct<T = Record<string, unknown>>(fields: Layout<any>[], property?: string): Layout<T>;
  export function u8(property?: string): Layout<number>;
  export function u16be(property?: string): Layout<number>;
  export function u24be(property?: string): Layout<number>;
  export function u32be(property?: string): Layout<number>;
  export function nu64be(property?: string): Layout<number>;
  export function blob(length: number, property?: string): Layout<Uint8Array>;
  export function seq<T>(elt: Layout<T>, count: number, property?: string): Layout<T[]>;
  export function bits(word: Layout<number>, msb?: boolean, property?: string): BitStructure;
  export interface BitStructure extends Layout<Record<string, number | boolean>> {
    addField(bits: number, property: string): unknown;
    addBoolean(property: string): unknown;
  }
}
