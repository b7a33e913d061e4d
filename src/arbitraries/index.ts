/**
 * fast-check arbitraries for property tests and fuzzing (`tunnelwire/arbitraries`): every header's fields
 * over its whole domain, the emitted header bytes, typed Geneve options from a registry, complete
 * encapsulated frames of each tunnel type, and near-valid mutations of them (truncations, lying length
 * fields, flipped flags, reserved bits set, byte flips).
 *
 * Needs `fast-check` (a peer dependency of this subpath only; the library core never imports it).
 */
export * from './fields.js';
export * from './bytes.js';
export * from './options.js';
export * from './frames.js';
export * from './mutations.js';
