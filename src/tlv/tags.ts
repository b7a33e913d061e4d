/**
 * Logical tags and context metadata: a named value ("logical ingress port", "group policy", "tenant",
 * "security label", "sending VM / user / process") bound to where each tunnel type can carry it —
 * a field of a Geneve option, the VXLAN-GBP Group Policy ID, a run of bits of the STT Context ID, the
 * NVGRE FlowID. Setting a tag on a tunnel type it has no binding for is a {@link TagError}, never a
 * silent loss; so is a value wider than the tag or the place that carries it.
 *
 * Tags read and write {@link TunnelMetadata} (immutable: setters return a new object).
 */
import type { GeneveOption } from '../geneve/fields.js';
import type { DeclarativeOption } from './definition.js';
import type { TunnelMetadata, TunnelType } from './metadata.js';
import type { OptionRegistry } from './registry.js';

/** Where a tag travels on one tunnel type. */
export type TagBinding =
  /** A numeric field of a registered declarative Geneve option (e.g. `ovn.ports` / `ingressPort`). */
  | { readonly tunnel: 'geneve'; readonly option: string; readonly field: string }
  /** The 16-bit VXLAN-GBP Group Policy ID (draft-smith-vxlan-group-policy §2.1). */
  | { readonly tunnel: 'vxlan'; readonly gbp: 'groupPolicyId' }
  /** `bits` bits of the 64-bit STT Context ID starting `shift` bits above its least significant bit. */
  | { readonly tunnel: 'stt'; readonly contextIdShift: number }
  /** The 8-bit NVGRE FlowID (RFC 7637 §3.2). */
  | { readonly tunnel: 'nvgre'; readonly field: 'flowId' };

/** A named tag and its bindings. */
export interface TagDefinition {
  readonly name: string;
  /** Width in bits, 1..64 (a value above 53 bits is a bigint). */
  readonly bits: number;
  readonly description?: string;
  readonly bindings: readonly TagBinding[];
}

/** A tag that cannot be carried, or a value that does not fit. */
export class TagError extends RangeError {
  override name = 'TagError';
}

const CAPACITY = { vxlan: 16, nvgre: 8 } as const;

/** Define a tag. @throws TagError for a width or binding that cannot hold it. */
export function defineTag(def: TagDefinition): TagDefinition {
  if (!Number.isInteger(def.bits) || def.bits < 1 || def.bits > 64) throw new TagError(`tag ${def.name}: bits must be 1..64`);
  const seen = new Set<TunnelType>();
  for (const b of def.bindings) {
    if (seen.has(b.tunnel)) throw new TagError(`tag ${def.name}: two bindings for ${b.tunnel}`);
    seen.add(b.tunnel);
    if (b.tunnel === 'vxlan' || b.tunnel === 'nvgre') {
      if (def.bits > CAPACITY[b.tunnel]) throw new TagError(`tag ${def.name} (${def.bits} bits) does not fit the ${CAPACITY[b.tunnel]}-bit ${b.tunnel === 'vxlan' ? 'Group Policy ID' : 'FlowID'}`);
    } else if (b.tunnel === 'stt') {
      if (!Number.isInteger(b.contextIdShift) || b.contextIdShift < 0 || b.contextIdShift + def.bits > 64) {
        throw new TagError(`tag ${def.name}: bits ${b.contextIdShift}..${b.contextIdShift + def.bits - 1} are outside the 64-bit STT Context ID`);
      }
    }
  }
  return def;
}

function binding(tag: TagDefinition, t: TunnelType): TagBinding {
  const b = tag.bindings.find((x) => x.tunnel === t);
  if (!b) throw new TagError(`tag ${tag.name} cannot be carried by ${t}: it is bound to ${tag.bindings.map((x) => x.tunnel).join(', ') || 'nothing'}`);
  return b;
}

function geneveDef(tag: TagDefinition, b: { option: string; field: string }, registry: OptionRegistry): DeclarativeOption {
  const def = registry.get(b.option) as DeclarativeOption | undefined;
  if (!def || !('layout' in def)) throw new TagError(`tag ${tag.name}: no declarative Geneve option named ${b.option} in the registry`);
  const f = def.layout.find((x) => x.name === b.field && !x.reserved && x.kind === 'bits');
  if (!f) throw new TagError(`tag ${tag.name}: option ${b.option} has no numeric field ${b.field}`);
  if (f.width < tag.bits) throw new TagError(`tag ${tag.name} (${tag.bits} bits) does not fit ${b.option}.${b.field} (${f.width} bits)`);
  return def;
}

function checkValue(tag: TagDefinition, v: number | bigint): bigint {
  const big = typeof v === 'bigint' ? v : Number.isInteger(v) ? BigInt(v) : -1n;
  if (big < 0n || big >= 1n << BigInt(tag.bits)) throw new TagError(`tag ${tag.name}: ${String(v)} does not fit in ${tag.bits} bits`);
  return big;
}

const out = (tag: TagDefinition, v: bigint): number | bigint => (tag.bits > 53 ? v : Number(v));

/**
 * Put `value` for `tag` into the metadata of a packet about to be encapsulated. Geneve: the option is
 * replaced in place (its other fields kept) or appended with its other fields zero; other options keep
 * their order. @throws TagError (no binding for this tunnel type, value too wide, option unknown).
 */
export function setTag(meta: TunnelMetadata, tag: TagDefinition, value: number | bigint, registry?: OptionRegistry): TunnelMetadata {
  const v = checkValue(tag, value);
  const b = binding(tag, meta.tunnelType);
  switch (b.tunnel) {
    case 'vxlan':
      return { ...meta, gbp: { id: Number(v), flags: meta.gbp?.flags ?? 0 } };
    case 'nvgre':
      return { ...meta, flowId: Number(v) };
    case 'stt': {
      const mask = ((1n << BigInt(tag.bits)) - 1n) << BigInt(b.contextIdShift);
      return { ...meta, tunnelId: (meta.tunnelId & ~mask) | (v << BigInt(b.contextIdShift)) };
    }
    case 'geneve': {
      if (!registry) throw new TagError(`tag ${tag.name}: a Geneve binding needs the option registry`);
      const def = geneveDef(tag, b, registry);
      const i = meta.geneveOptions.findIndex((o) => o.optionClass === def.optionClass && o.type === def.type);
      const have = i >= 0 ? meta.geneveOptions[i]! : undefined;
      const data = new Uint8Array(have ? have.data.length : def.minLength);
      if (have) data.set(have.data);
      if (have && have.data.length !== def.minLength && def.maxLength === def.minLength) throw new TagError(`tag ${tag.name}: ${def.name} present with ${have.data.length} data bytes, defined as ${def.minLength}`);
      def.writeField(data, 0, b.field, def.layout.find((x) => x.name === b.field)!.width > 53 ? v : Number(v));
      const opt: GeneveOption = { optionClass: def.optionClass, type: def.type, critical: def.critical, rbits: have?.rbits ?? 0, data };
      const options = have ? meta.geneveOptions.map((o, k) => (k === i ? opt : o)) : [...meta.geneveOptions, opt];
      return { ...meta, geneveOptions: options, flags: { ...meta.flags, critical: meta.flags.critical || def.critical } };
    }
  }
}

/**
 * Read `tag` from received metadata: `undefined` when the packet does not carry it (no GBP, no such
 * option). @throws TagError when the tunnel type has no binding for the tag.
 */
export function getTag(meta: TunnelMetadata, tag: TagDefinition, registry?: OptionRegistry): number | bigint | undefined {
  const b = binding(tag, meta.tunnelType);
  switch (b.tunnel) {
    case 'vxlan':
      return meta.gbp === undefined ? undefined : out(tag, BigInt(meta.gbp.id) & ((1n << BigInt(tag.bits)) - 1n));
    case 'nvgre':
      return meta.flowId === undefined ? undefined : out(tag, BigInt(meta.flowId) & ((1n << BigInt(tag.bits)) - 1n));
    case 'stt':
      return out(tag, (meta.tunnelId >> BigInt(b.contextIdShift)) & ((1n << BigInt(tag.bits)) - 1n));
    case 'geneve': {
      if (!registry) throw new TagError(`tag ${tag.name}: a Geneve binding needs the option registry`);
      const def = geneveDef(tag, b, registry);
      const o = meta.geneveOptions.find((x) => x.optionClass === def.optionClass && x.type === def.type);
      if (!o || o.data.length < def.minLength || o.data.length > def.maxLength) return undefined;
      const raw = def.readField(o.data, 0, b.field);
      return out(tag, BigInt(raw) & ((1n << BigInt(tag.bits)) - 1n));
    }
  }
}

/** Can `tag` travel on tunnel type `t`? */
export function canCarry(tag: TagDefinition, t: TunnelType): boolean {
  return tag.bindings.some((b) => b.tunnel === t);
}

/** OVN's logical ingress port: 15 bits of the OVN Geneve option (ovn-architecture(7)). */
export const LOGICAL_INGRESS_PORT = defineTag({
  name: 'logical-ingress-port',
  bits: 15,
  description: 'OVN logical ingress port',
  bindings: [{ tunnel: 'geneve', option: 'ovn.ports', field: 'ingressPort' }],
});

/** OVN's logical egress port: 16 bits of the OVN Geneve option (ovn-architecture(7)). */
export const LOGICAL_EGRESS_PORT = defineTag({
  name: 'logical-egress-port',
  bits: 16,
  description: 'OVN logical egress port (32768.. are multicast groups)',
  bindings: [{ tunnel: 'geneve', option: 'ovn.ports', field: 'egressPort' }],
});

/** Group-based policy: the 16-bit source group of VXLAN-GBP. */
export const GROUP_POLICY = defineTag({
  name: 'group-policy',
  bits: 16,
  description: 'source endpoint group (VXLAN-GBP Group Policy ID)',
  bindings: [{ tunnel: 'vxlan', gbp: 'groupPolicyId' }],
});
