/** STT (draft-davie-stt-08): frame header view, fields codec, segment helpers and frame reassembly. */
export * from './header.js';
export * from './fields.js';
export * from './reassembly.js';
