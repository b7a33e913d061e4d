/**
 * The tunnel port (encapsulation with per-flow header templates, decapsulation with drops counted by
 * reason, MTU and ICMP replies, ECN per RFC 6040), the datapath interface with its transports, and the
 * example datapath's learning switch and local host. Node's UDP transport is in `tunnelwire/port/node`.
 */
export * from './types.js';
export * from './template.js';
export * from './port.js';
export * from './ecn.js';
export * from './icmp.js';
export * from './switch.js';
export * from './host.js';
export * from './datapath.js';
