/**
 * Checksum helpers for offload fallbacks: RFC 1624 incremental update (Eqn. 3) on top of the RFC 1071
 * sums in `net/checksum`. `HC' = ~(~HC + ~m + m')` avoids the -0 result of RFC 1141's form.
 */
import { fold } from '../net/checksum.js';

/** New checksum after a 16-bit field changed from `oldWord` to `newWord` (RFC 1624 §3, Eqn. 3). */
export function incrementalChecksum16(checksum: number, oldWord: number, newWord: number): number {
  return ~fold((~checksum & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff)) & 0xffff;
}

/** New checksum after a 32-bit field (e.g. an IPv4 address) changed, applied per 16-bit half. */
export function incrementalChecksum32(checksum: number, oldValue: number, newValue: number): number {
  const c = incrementalChecksum16(checksum, oldValue >>> 16, newValue >>> 16);
  return incrementalChecksum16(c, oldValue & 0xffff, newValue & 0xffff);
}
