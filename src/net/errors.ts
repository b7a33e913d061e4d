/**
 * Error model for untrusted bytes (etherparse-style data errors, smoltcp-style checked views).
 *
 * Decoders never throw on received bytes: they return a {@link Result} whose error is a plain
 * {@link WireError} naming the layer, the field, the absolute byte offset, what was found and what
 * was allowed. Encoders throw `RangeError` for programmer errors (values out of range, buffer too small).
 */

/** Protocol layers that can report an error or appear in a decode. */
export type Layer =
  | 'link'
  | 'eth'
  | 'vlan'
  | 'sll'
  | 'ipv4'
  | 'ipv6'
  | 'udp'
  | 'tcp'
  | 'gre'
  | 'vxlan'
  | 'vxlan-gpe'
  | 'geneve'
  | 'nvgre'
  | 'stt'
  | 'arp'
  | 'icmp'
  | 'icmpv6'
  | 'walk'
  | 'pcap'
  | 'pcapng';

/**
 * What went wrong.
 * - `truncated`: fewer bytes than the layer's fixed part or a length it claims (found = bytes available).
 * - `length-overrun`: a length field claims more than its container holds.
 * - `bad-length`: a length field is below its minimum or not a multiple it must be.
 * - `bad-version`: unsupported version number.
 * - `bad-flags`: a flag combination the format forbids (VXLAN I clear in strict mode, GRE R/version...).
 * - `reserved-nonzero`: reserved bits set (only reported in strict mode).
 * - `bad-checksum`: a checksum that does not verify (found = the stored value, allowed = the computed one).
 * - `bad-value`: any other field value outside its allowed set.
 * - `unsupported`: valid but not decodable here (e.g. a non-first fragment, ESP).
 * - `depth-exceeded`: nesting deeper than the walker's limit.
 */
export type WireErrorKind =
  | 'truncated'
  | 'length-overrun'
  | 'bad-length'
  | 'bad-version'
  | 'bad-flags'
  | 'reserved-nonzero'
  | 'bad-checksum'
  | 'bad-value'
  | 'unsupported'
  | 'depth-exceeded';

/** A decoding error: data only, no stack. `at` is the absolute byte offset in the buffer decoded. */
export interface WireError {
  readonly kind: WireErrorKind;
  readonly layer: Layer;
  /** Absolute byte offset of the offending field (or of the layer start for truncation). */
  readonly at: number;
  /** Name of the field concerned (`'header'` for a whole-header truncation). */
  readonly field: string;
  /** The value found (for `truncated`: the bytes available from the layer start). */
  readonly found: number;
  /** What was allowed, in words (`'>= 8 bytes'`, `'0'`, `'5..15 words'`). */
  readonly allowed: string;
}

/** Result of a checked decode: never throws for bad input. */
export type Result<T, E = WireError> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

/** Wrap a value as a successful {@link Result}. */
export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

/** Wrap an error as a failed {@link Result}. */
export function err<E = WireError>(error: E): { ok: false; error: E } {
  return { ok: false, error };
}

/** Build a {@link WireError}. */
export function wireError(
  kind: WireErrorKind,
  layer: Layer,
  at: number,
  field: string,
  found: number,
  allowed: string,
): WireError {
  return { kind, layer, at, field, found, allowed };
}

/** Shorthand for a truncation: `available` bytes from `at`, `required` needed. */
export function truncated(layer: Layer, at: number, required: number, available: number, field = 'header'): WireError {
  return { kind: 'truncated', layer, at, field, found: Math.max(0, available), allowed: `>= ${required} bytes` };
}

/** One-line human text: `geneve: truncated at byte 42 (header): found 6, allowed >= 8 bytes`. */
export function formatWireError(e: WireError): string {
  return `${e.layer}: ${e.kind} at byte ${e.at} (${e.field}): found ${e.found}, allowed ${e.allowed}`;
}

/** Thrown by the `*OrThrow` conveniences; carries the {@link WireError} as `detail`. */
export class TunnelDecodeError extends Error {
  override name = 'TunnelDecodeError';
  constructor(readonly detail: WireError) {
    super(formatWireError(detail));
  }
}

/** Unwrap a result or throw {@link TunnelDecodeError}. */
export function unwrap<T>(r: Result<T>): T {
  if (r.ok) return r.value;
  throw new TunnelDecodeError(r.error);
}

/** Options common to the `parseXxx` functions. */
export interface ParseOptions {
  /** Reject reserved bits that are set (Linux/OVS behaviour) instead of ignoring them (RFC behaviour). */
  readonly strict?: boolean;
}
