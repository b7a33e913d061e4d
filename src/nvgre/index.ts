/** NVGRE (RFC 7637) codec, plus the general GRE codec it sits on (re-exported from `net/gre`). */
export * from './header.js';
export * from './fields.js';
export * from '../net/gre.js';
