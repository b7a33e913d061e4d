/** Outer headers and shared wire helpers: errors, byte access, checksums, Ethernet/VLAN, IPv4, IPv6, UDP, TCP, GRE. */
export * from './errors.js';
export * from './bytes.js';
export * from './checksum.js';
export * from './ethernet.js';
export * from './ipv4.js';
export * from './ipv6.js';
export * from './udp.js';
export * from './tcp.js';
export * from './gre.js';
