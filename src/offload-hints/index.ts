/** Offload hints: checksum helpers for software fallbacks (descriptors and segmentation build on these). */
export * from '../net/checksum.js';
export * from './checksum.js';
