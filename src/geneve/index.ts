/** Geneve (RFC 8926): base header view, option TLV walker, plain-object parse/emit. */
export * from './header.js';
export * from './options.js';
export * from './fields.js';
