/** Shared wire helpers: errors, byte access, outer headers. */
export * from './errors.js';
export * from './bytes.js';
export * from './checksum.js';
