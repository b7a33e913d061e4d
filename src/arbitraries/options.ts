/**
 * Typed Geneve options from an option registry: any registered definition with any valid value of it
 * (each definition's own `arbitrary(fc)`), encoded to a wire option.
 */
import * as fc from 'fast-check';
import type { GeneveOption } from '../geneve/fields.js';
import { OptionRegistry } from '../tlv/registry.js';

/** A registered option: its registry name, its typed value, and the wire option it encodes to. */
export interface RegisteredOption<V = unknown> {
  readonly name: string;
  readonly value: V;
  /** `registry.encodeOption(name, value)`: class, type, critical bit, R bits 0, the encoded data. */
  readonly option: GeneveOption;
}

/**
 * Any definition of `registry` (default: the built-ins, {@link OptionRegistry.withBuiltins}) with a value
 * over its whole domain, from the definition's own `arbitrary(fc)`.
 * @throws RangeError when the registry has no definitions.
 */
export function registeredOption(registry: OptionRegistry = OptionRegistry.withBuiltins()): fc.Arbitrary<RegisteredOption> {
  const defs = registry.definitions();
  if (defs.length === 0) throw new RangeError('registeredOption: the registry has no option definitions');
  return fc.constantFrom(...defs).chain((def) =>
    (def.arbitrary(fc) as fc.Arbitrary<unknown>).map((value) => ({ name: def.name, value, option: registry.encodeOption(def.name, value) })),
  );
}
