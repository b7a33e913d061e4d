/** Offload hints: the offload descriptor, checksum helpers for software fallbacks. */
export * from '../net/checksum.js';
export * from './checksum.js';
export * from './descriptor.js';
export * from './virtio.js';
export * from './linux.js';
export * from './dpdk.js';
export * from './segment.js';
export * from './stt-segment.js';
