/** Geneve TLV option registry: option classes, typed option definitions, built-ins, critical-option policy. */
export * from './classes.js';
export * from './definition.js';
export * from './known.js';
export * from './registry.js';
