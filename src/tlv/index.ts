/**
 * Geneve TLV option registry: option classes, typed option definitions (declarative or hand-written),
 * built-ins, the critical-option policy, tunnel metadata (like OVS flow_tnl), the OVS-style
 * tunnel-metadata table, and logical tags bound to each tunnel type.
 */
export * from './classes.js';
export * from './definition.js';
export * from './known.js';
export * from './registry.js';
export * from './metadata.js';
export * from './tun-metadata-table.js';
export * from './tags.js';
