/**
 * Software segmentation of a 64 KiB tunneled TCP super-packet (Geneve with an option, VXLAN, NVGRE;
 * IPv4 underlay) into 1448-byte segments with every checksum computed, beside a plain copy of the
 * same bytes into the same output buffer (the floor for any segmentation).
 */
import { emitEthernet } from '../src/net/ethernet.js';
import { emitIpv4 } from '../src/net/ipv4.js';
import { emitTcp } from '../src/net/tcp.js';
import { buildTemplate, pushHeader, type TemplateConfig } from '../src/port/template.js';
import { deriveOffloadDescriptor } from '../src/offload-hints/descriptor.js';
import { planSegments, segmentInto } from '../src/offload-hints/segment.js';
import { OptionRegistry } from '../src/tlv/registry.js';
import type { Suite } from './harness.js';

const MSS = 1448;

/** Inner Ethernet/IPv4/TCP super-packet with `payload` bytes. */
function innerSuperPacket(payload: number): Uint8Array {
  const f = new Uint8Array(14 + 20 + 20 + payload);
  emitEthernet({ dst: '02:00:00:00:00:0b', src: '02:00:00:00:00:0a', vlans: [], etherType: 0x0800 }, f, 0);
  emitIpv4({ dscp: 0, ecn: 0, totalLength: 0, identification: 1, dontFragment: true, moreFragments: false, fragmentOffset: 0, ttl: 64, protocol: 6, src: '10.0.0.1', dst: '10.0.0.2', options: new Uint8Array(0) }, f, 14);
  emitTcp({ srcPort: 40000, dstPort: 80, seq: 1, ack: 1, flags: 0x18, window: 512, checksum: 0, urgentPointer: 0, options: new Uint8Array(0) }, f, 34);
  for (let i = 54; i < f.length; i++) f[i] = (i * 13) & 0xff;
  return f;
}

export function segmentSuites(): Suite[] {
  const reg = OptionRegistry.withBuiltins();
  const configs: Array<[string, TemplateConfig]> = [
    ['geneve+option', { tunnel: 'geneve', vni: 5001, src: '192.0.2.1', dst: '192.0.2.2', udpChecksum: true, geneveOptions: [reg.encodeOption('ovn.ports', { ingressPort: 1, egressPort: 2 })] }],
    ['vxlan', { tunnel: 'vxlan', vni: 5001, src: '192.0.2.1', dst: '192.0.2.2' }],
    ['nvgre', { tunnel: 'nvgre', vni: 5001, src: '192.0.2.1', dst: '192.0.2.2' }],
  ];
  const inner = innerSuperPacket(65535 - 20 - 20 - 100);
  const cases = [];
  let copySrc: Uint8Array | undefined;
  let out: Uint8Array | undefined;
  for (const [name, cfg] of configs) {
    const t = buildTemplate(cfg);
    const frame = new Uint8Array(t.length + inner.length);
    pushHeader(t, inner, frame, 0, 50000, 1);
    const d = deriveOffloadDescriptor(frame, { gsoSize: MSS, csum: 'none' });
    if (!d.ok) throw new Error(`${name}: ${JSON.stringify(d.error)}`);
    const plan = planSegments(frame, d.value);
    if (!plan.ok) throw new Error(`${name}: ${JSON.stringify(plan.error)}`);
    out ??= new Uint8Array(plan.value.totalLength + 4096);
    const buf = out;
    const offsets = new Uint32Array(plan.value.count + 1);
    copySrc ??= new Uint8Array(plan.value.totalLength);
    const want = plan.value.count;
    cases.push({ name: `segmentInto ${name} (${want} segments)`, bytes: frame.length, expect: want, fn: () => {
      const r = segmentInto(frame, d.value, buf, offsets);
      return r.ok ? r.value : -1;
    } });
  }
  const src = copySrc!;
  const dst = out!;
  cases.unshift({ name: 'memcpy of the output size', bytes: src.length, fn: () => (dst.set(src), dst[0]!) });
  return [{ name: 'segment/64KiB-tcp-super-packet', baseline: 'memcpy of the output size', cases }];
}
