/**
 * Geneve option classes (RFC 8926 §7; IANA "Geneve Option Class" registry, cross-checked against
 * Wireshark packet-geneve.c, tcpdump print-geneve.c and scapy contrib/geneve.py — see
 * shared/specs/geneve.md §6). A class's name is what the CLI prints.
 *
 * Ranges: 0x0000–0x00FF IETF Review, 0x0100–0xFEFF First Come First Served, 0xFF00–0xFFFF
 * Experimental Use. Wireshark/tcpdump label 0x0000–0x00FF "Standard" and only 0xFFF0–0xFFFF
 * "Experimental"; we follow the RFC/IANA ranges.
 */

/** One registered class or block of classes. */
export interface OptionClassEntry {
  /** First class of the block. */
  readonly first: number;
  /** Last class of the block (inclusive). */
  readonly last: number;
  /** Owner as the registry names it. */
  readonly owner: string;
}

/** Assigned classes known from the registry and the peers' tables. */
export const GENEVE_OPTION_CLASSES: readonly OptionClassEntry[] = [
  { first: 0x0100, last: 0x0100, owner: 'Linux' },
  { first: 0x0101, last: 0x0101, owner: 'Open vSwitch (OVS)' },
  { first: 0x0102, last: 0x0102, owner: 'Open Virtual Networking (OVN)' },
  { first: 0x0103, last: 0x0103, owner: 'In-band Network Telemetry (INT)' },
  { first: 0x0104, last: 0x0104, owner: 'VMware, Inc.' },
  { first: 0x0105, last: 0x0105, owner: 'Amazon.com, Inc.' },
  { first: 0x0106, last: 0x0106, owner: 'Cisco Systems, Inc.' },
  { first: 0x0107, last: 0x0107, owner: 'Oracle Corporation' },
  { first: 0x0108, last: 0x0110, owner: 'Amazon.com, Inc.' },
  { first: 0x0111, last: 0x0118, owner: 'IBM' },
  { first: 0x0119, last: 0x0128, owner: 'Ericsson' },
  { first: 0x0129, last: 0x0129, owner: 'Oxide Computer Company' },
  { first: 0x0130, last: 0x0131, owner: 'Cisco Systems, Inc.' },
  { first: 0x0132, last: 0x0135, owner: 'Google LLC' },
  { first: 0x0136, last: 0x0136, owner: 'InfoQuick Global Connection Tech Ltd.' },
  { first: 0x014b, last: 0x014b, owner: 'Cilium' },
  { first: 0x0164, last: 0x0164, owner: 'cPacket Networks, Inc.' },
];

/** Registration range of a class (RFC 8926 §7). */
export type OptionClassRange = 'ietf-review' | 'first-come-first-served' | 'experimental';

/** Which registration range `cls` falls in. @throws RangeError outside 0..0xffff. */
export function optionClassRange(cls: number): OptionClassRange {
  if (!Number.isInteger(cls) || cls < 0 || cls > 0xffff) throw new RangeError(`option class must be 0..0xffff, got ${cls}`);
  if (cls <= 0x00ff) return 'ietf-review';
  if (cls >= 0xff00) return 'experimental';
  return 'first-come-first-served';
}

/** The owner of `cls`, `'Experimental'`, or `undefined` if unassigned / unknown. */
export function optionClassName(cls: number): string | undefined {
  for (const e of GENEVE_OPTION_CLASSES) if (cls >= e.first && cls <= e.last) return e.owner;
  if (cls >= 0xff00 && cls <= 0xffff) return 'Experimental';
  return undefined;
}
