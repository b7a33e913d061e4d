/**
 * tunnelwire: zero-copy codecs for overlay tunnels — Geneve (RFC 8926), VXLAN (RFC 7348) with GBP and
 * GPE, STT (draft-davie-stt-08), NVGRE (RFC 7637) and GRE — the outer headers they ride in, a packet
 * walker and capture I/O. Each part is also published on its own subpath (`tunnelwire/geneve`, ...).
 */
export * from './net/index.js';
export * from './vxlan/index.js';
export * from './geneve/index.js';
export * from './nvgre/index.js';
export * from './stt/index.js';
export * from './tlv/index.js';
export * from './offload-hints/index.js';
export * from './walk/index.js';
export * from './capture/index.js';
export * from './port/index.js';
