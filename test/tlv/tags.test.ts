/**
 * Logical tags and context metadata bound to each tunnel type: set/get round trips over the whole
 * range on every carrier, other bits and options left alone, and a clear TagError (never a silent
 * loss) on a tunnel type that cannot carry the tag or a value that does not fit.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/net/bytes.js';
import { emptyTunnelMetadata, type TunnelType } from '../../src/tlv/metadata.js';
import { OptionRegistry } from '../../src/tlv/registry.js';
import { canCarry, defineTag, getTag, GROUP_POLICY, LOGICAL_EGRESS_PORT, LOGICAL_INGRESS_PORT, setTag, TagError } from '../../src/tlv/tags.js';

const registry = OptionRegistry.withBuiltins().load({
  options: [
    { name: 'acme.context', class: '0xff10', type: '0x01', fields: [{ name: 'tenant', bits: 24 }, { name: 'securityLabel', bits: 8 }, { name: 'vm', bits: 32 }, { name: 'user', bits: 32 }, { name: 'process', bits: 32 }] },
  ],
});

/** A tenant tag carried by every tunnel type that has room for 8 bits. */
const TENANT = defineTag({
  name: 'tenant',
  bits: 8,
  bindings: [
    { tunnel: 'geneve', option: 'acme.context', field: 'tenant' },
    { tunnel: 'vxlan', gbp: 'groupPolicyId' },
    { tunnel: 'stt', contextIdShift: 40 },
    { tunnel: 'nvgre', field: 'flowId' },
  ],
});
/** Context metadata: the sending VM, only where 32 bits fit. */
const SENDING_VM = defineTag({
  name: 'sending-vm',
  bits: 32,
  bindings: [
    { tunnel: 'geneve', option: 'acme.context', field: 'vm' },
    { tunnel: 'stt', contextIdShift: 0 },
  ],
});
const SECURITY_LABEL = defineTag({ name: 'security-label', bits: 8, bindings: [{ tunnel: 'geneve', option: 'acme.context', field: 'securityLabel' }] });

const TYPES: TunnelType[] = ['vxlan', 'vxlan-gpe', 'geneve', 'nvgre', 'gre', 'stt'];

describe('tags on every tunnel type', () => {
  for (const tag of [TENANT, SENDING_VM, SECURITY_LABEL, LOGICAL_INGRESS_PORT, LOGICAL_EGRESS_PORT, GROUP_POLICY]) {
    for (const t of TYPES) {
      if (canCarry(tag, t)) {
        test.prop([fc.integer({ min: 0, max: 2 ** tag.bits - 1 })], { numRuns: 50 })(`${tag.name} round-trips on ${t} over its whole range`, (v) => {
          const m = setTag(emptyTunnelMetadata(t, { tunnelId: 0xffff_ffff_ffff_ffffn }), tag, v, registry);
          expect(getTag(m, tag, registry)).toBe(v);
        });
      } else {
        it(`${tag.name} on ${t} is a clear error, not a silent loss`, () => {
          const m = emptyTunnelMetadata(t);
          expect(() => setTag(m, tag, 1, registry)).toThrow(TagError);
          expect(() => setTag(m, tag, 1, registry)).toThrow(new RegExp(`tag ${tag.name} cannot be carried by ${t}: it is bound to `));
          expect(() => getTag(m, tag, registry)).toThrow(TagError);
        });
      }
    }
  }
});

describe('what a tag leaves alone', () => {
  test.prop([fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.integer({ min: 0, max: 255 })])('STT: only bits 40..47 of the Context ID change', (ctx, v) => {
    const m = setTag(emptyTunnelMetadata('stt', { tunnelId: ctx }), TENANT, v);
    expect(m.tunnelId & ~(0xffn << 40n)).toBe(ctx & ~(0xffn << 40n));
    expect((m.tunnelId >> 40n) & 0xffn).toBe(BigInt(v));
  });

  it('Geneve: the option is created, then updated in place; its other fields and the other options keep their bytes and order', () => {
    const other = { optionClass: 0xffff, type: 0x01, critical: false, rbits: 0, data: fromHex('1122334455667788') };
    let m = emptyTunnelMetadata('geneve', { geneveOptions: [other] });
    m = setTag(m, SENDING_VM, 0xdeadbeef, registry);
    m = setTag(m, TENANT, 0x42, registry);
    m = setTag(m, SECURITY_LABEL, 0x07, registry);
    m = setTag(m, LOGICAL_INGRESS_PORT, 5, registry);
    m = setTag(m, LOGICAL_EGRESS_PORT, 7, registry);
    expect(m.geneveOptions.map((o) => [o.optionClass, o.type, toHex(o.data)])).toEqual([
      [0xffff, 0x01, '1122334455667788'],
      [0xff10, 0x01, '00004207' + 'deadbeef' + '00000000' + '00000000'],
      [0x0102, 0x80, '00050007'],
    ]);
    expect(m.flags.critical).toBe(true); // OVN's option is critical: the C bit follows
    expect([getTag(m, TENANT, registry), getTag(m, SENDING_VM, registry), getTag(m, LOGICAL_INGRESS_PORT, registry)]).toEqual([0x42, 0xdeadbeef, 5]);
  });

  it('VXLAN-GBP keeps the D/A flags; an absent GBP reads as undefined', () => {
    const m = setTag(emptyTunnelMetadata('vxlan', { gbp: { id: 1, flags: 0x48 } }), GROUP_POLICY, 0xabc);
    expect(m.gbp).toEqual({ id: 0xabc, flags: 0x48 });
    expect(getTag(emptyTunnelMetadata('vxlan'), GROUP_POLICY)).toBeUndefined();
    expect(getTag(emptyTunnelMetadata('geneve'), LOGICAL_INGRESS_PORT, registry)).toBeUndefined();
  });
});

describe('values and bindings that do not fit are errors', () => {
  it('a value wider than the tag', () => {
    expect(() => setTag(emptyTunnelMetadata('nvgre'), TENANT, 256)).toThrow(/tag tenant: 256 does not fit in 8 bits/);
    expect(() => setTag(emptyTunnelMetadata('geneve'), LOGICAL_INGRESS_PORT, 0x8000, registry)).toThrow(/does not fit in 15 bits/);
    expect(() => setTag(emptyTunnelMetadata('nvgre'), TENANT, -1)).toThrow(TagError);
  });
  it('a tag wider than the place bound to carry it', () => {
    expect(() => defineTag({ name: 'wide', bits: 9, bindings: [{ tunnel: 'nvgre', field: 'flowId' }] })).toThrow(/does not fit the 8-bit FlowID/);
    expect(() => defineTag({ name: 'wide', bits: 17, bindings: [{ tunnel: 'vxlan', gbp: 'groupPolicyId' }] })).toThrow(/16-bit Group Policy ID/);
    expect(() => defineTag({ name: 'wide', bits: 32, bindings: [{ tunnel: 'stt', contextIdShift: 40 }] })).toThrow(/outside the 64-bit STT Context ID/);
    const g = defineTag({ name: 'g', bits: 20, bindings: [{ tunnel: 'geneve', option: 'ovn.ports', field: 'egressPort' }] });
    expect(() => setTag(emptyTunnelMetadata('geneve'), g, 1, registry)).toThrow(/does not fit ovn.ports.egressPort \(16 bits\)/);
    const u = defineTag({ name: 'u', bits: 8, bindings: [{ tunnel: 'geneve', option: 'nope', field: 'x' }] });
    expect(() => setTag(emptyTunnelMetadata('geneve'), u, 1, registry)).toThrow(/no declarative Geneve option named nope/);
  });
});
