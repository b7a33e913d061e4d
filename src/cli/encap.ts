/**
 * `tunnelwire encap IN -o OUT --type T --vni N --src IP --dst IP [--option CLASS:TYPE:HEX]... [--segment MSS]`:
 * wrap every frame of a capture in a tunnel with correct outer lengths and checksums; with
 * `--segment`, cut TCP (or UDP) super-packets into wire-sized segments by the software GSO fallback,
 * and STT frames into STT segments. Timestamps are kept.
 */
import { u16 } from '../net/bytes.js';
import { EtherType } from '../net/ethernet.js';
import { LINKTYPE_ETHERNET, linkLayerInfo } from '../capture/linktype.js';
import { PcapFileWriter, readCaptureFile } from '../capture/node.js';
import { formatWireError } from '../net/errors.js';
import { parseOptionText } from '../tlv/registry.js';
import type { GeneveOption } from '../geneve/fields.js';
import { buildTemplate, innerFlowHash, pushHeader, sourcePort, type HeaderTemplate, type InnerKind, type TemplateTunnel } from '../port/template.js';
import { deriveOffloadDescriptor } from '../offload-hints/descriptor.js';
import { segmentFrame } from '../offload-hints/segment.js';
import { segmentSttFrame } from '../offload-hints/stt-segment.js';
import type { UdpTunnelKind } from '../walk/walker.js';
import { STT_FLAG_IPV4, STT_FLAG_TCP } from '../stt/header.js';
import { fold, onesSum } from '../net/checksum.js';
import { pseudoHeaderSum } from '../net/udp.js';
import { put16 } from '../net/bytes.js';

/** Compute and store the TCP/UDP checksum of the L4 segment at `l4` (to the end of `b`) under the IP header at `ip`. */
function fillL4Checksum(b: Uint8Array, ip: number, proto: number, l4: number): void {
  const at = l4 + (proto === 6 ? 16 : 6);
  put16(b, at, 0);
  const c = ~fold(onesSum(b, l4, b.length) + pseudoHeaderSum(b, ip, proto, b.length - l4)) & 0xffff;
  put16(b, at, proto === 17 && c === 0 ? 0xffff : c);
}
import { CliError } from './common.js';

/** Options of `encap`. */
export interface EncapOptions {
  output: string;
  type: TemplateTunnel | 'stt';
  vni: bigint;
  src: string;
  dst: string;
  option: string[];
  segment?: number;
  port?: number;
  udpChecksum?: boolean;
  gbp?: number;
  flowId?: number;
  srcMac?: string;
  dstMac?: string;
}

/** Run `encap`; returns the exit status (2 on usage or I/O errors). */
export async function runEncap(input: string, o: EncapOptions): Promise<number> {
  let options: GeneveOption[];
  try {
    options = o.option.map(parseOptionText);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  if (options.length && o.type !== 'geneve') throw new CliError('--option applies to --type geneve only');
  if (o.type !== 'stt' && o.vni > 0xffffffn) throw new CliError(`--vni ${o.vni} does not fit in 24 bits`);
  if (o.gbp !== undefined && o.type !== 'vxlan') throw new CliError('--gbp applies to --type vxlan only');
  const templates = new Map<InnerKind, HeaderTemplate>();
  const template = (kind: InnerKind): HeaderTemplate => {
    let t = templates.get(kind);
    if (!t) {
      try {
        t = buildTemplate(
          {
            tunnel: o.type as TemplateTunnel,
            vni: Number(o.vni),
            src: o.src,
            dst: o.dst,
            ...(o.port !== undefined ? { dstPort: o.port } : {}),
            ...(o.udpChecksum !== undefined ? { udpChecksum: o.udpChecksum } : {}),
            ...(options.length ? { geneveOptions: options } : {}),
            ...(o.gbp !== undefined ? { gbp: { groupPolicyId: o.gbp } } : {}),
            ...(o.flowId !== undefined ? { flowId: o.flowId } : {}),
            ...(o.srcMac ? { srcMac: o.srcMac } : {}),
            ...(o.dstMac ? { dstMac: o.dstMac } : {}),
          },
          kind,
        );
      } catch (e) {
        throw new CliError((e as Error).message);
      }
      templates.set(kind, t);
    }
    return t;
  };
  let w: PcapFileWriter;
  try {
    w = await PcapFileWriter.open(o.output, { linkType: LINKTYPE_ETHERNET, nanosecond: true });
  } catch (e) {
    throw new CliError(`cannot write ${o.output}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let ipId = 0;
  let frameId = 1;
  let inFrames = 0;
  let outFrames = 0;
  let skipped = 0;
  const v6 = o.src.includes(':');
  for await (const r of readCaptureFile(input)) {
    if ('error' in r) {
      if (inFrames === 0) throw new CliError(`${input} is not a readable capture: ${formatWireError(r.error)}`);
      process.stderr.write(`tunnelwire: capture error: ${formatWireError(r.error)}\n`);
      break;
    }
    inFrames++;
    // The inner frame: an Ethernet frame, or an L3 packet for tunnels that carry one.
    let inner: Uint8Array;
    let kind: InnerKind = 'ethernet';
    if (r.linkType === LINKTYPE_ETHERNET) inner = r.data;
    else {
      const li = linkLayerInfo(r.linkType, r.data);
      if (!li.ok || li.value.next !== 'ethertype' || (li.value.etherType !== EtherType.IPV4 && li.value.etherType !== EtherType.IPV6)) {
        skipped++;
        continue;
      }
      kind = li.value.etherType === EtherType.IPV4 ? 'ipv4' : 'ipv6';
      inner = r.data.subarray(li.value.payloadOffset);
      if (o.type !== 'vxlan-gpe' && o.type !== 'geneve') {
        // Ethernet-only tunnels: give the packet a locally administered Ethernet header.
        const f = new Uint8Array(14 + inner.length);
        f.set([2, 0, 0, 0, 0, 0x12, 2, 0, 0, 0, 0, 0x11], 0);
        f[12] = kind === 'ipv4' ? 0x08 : 0x86;
        f[13] = kind === 'ipv4' ? 0x00 : 0xdd;
        f.set(inner, 14);
        inner = f;
        kind = 'ethernet';
      }
    }
    if (r.caplen < r.origLen) {
      skipped++; // a snaplen-cut frame cannot be re-sent whole
      continue;
    }
    const hash = innerFlowHash(inner, kind);
    if (o.type === 'stt') {
      if (kind !== 'ethernet') {
        skipped++;
        continue;
      }
      // STT carries a super-packet whole (the receiving endpoint segments it onward, STT-08 §3.1):
      // with --segment, complete its inner checksum and fill the offload hints of the frame header.
      let flags = 0;
      let l4Offset = 0;
      let sttMss = 0;
      if (o.segment !== undefined) {
        const d = deriveOffloadDescriptor(inner, { csum: 'none' });
        if (d.ok && d.value.inner.l4Offset - d.value.inner.l2Offset <= 255) {
          const n = d.value.inner;
          inner = Uint8Array.from(inner);
          fillL4Checksum(inner, n.l3Offset, n.l4Protocol, n.l4Offset);
          flags = (n.ipVersion === 4 ? STT_FLAG_IPV4 : 0) | (n.l4Protocol === 6 ? STT_FLAG_TCP : 0);
          l4Offset = n.l4Offset;
          sttMss = o.segment;
        }
      }
      const segs = segmentSttFrame({
        outer: { eth: { src: o.srcMac ?? '02:00:00:00:00:01', dst: o.dstMac ?? '02:00:00:00:00:02' }, ip: v6 ? { version: 6, src: o.src, dst: o.dst } : { version: 4, src: o.src, dst: o.dst, identification: ipId } },
        srcPort: 32768 + Math.floor((hash * (61000 - 32768)) / 4294967296),
        frameId: frameId++ >>> 0,
        stt: { version: 0, flags, l4Offset, reserved: 0, mss: sttMss, pcp: 0, vlanValid: false, vlanId: 0, contextId: o.vni, padding: 0 },
        innerFrame: inner,
        mss: o.segment ?? 0xffff - 18,
      });
      ipId = (ipId + segs.length) & 0xffff;
      for (const s of segs) await w.write(r.timestampNs, s, s.length);
      outFrames += segs.length;
      continue;
    }
    const t = template(kind);
    const frame = new Uint8Array(t.length + inner.length);
    try {
      pushHeader(t, inner, frame, 0, sourcePort(t, hash), ipId);
    } catch (e) {
      throw new CliError(`frame ${r.index}: ${(e as Error).message}`);
    }
    ipId = (ipId + 1) & 0xffff;
    let out: Uint8Array[] = [frame];
    if (o.segment !== undefined) {
      const d = deriveOffloadDescriptor(frame, { gsoSize: o.segment, csum: 'none', walk: t.udp ? { udpPorts: new Map<number, UdpTunnelKind>([[u16(frame, t.l4Offset + 2), o.type as UdpTunnelKind]]) } : {} });
      if (d.ok && d.value.gso) {
        const s = segmentFrame(frame, d.value);
        if (s.ok) {
          out = s.value;
          ipId = (ipId + out.length - 1) & 0xffff;
        } else process.stderr.write(`tunnelwire: frame ${r.index} not segmented: ${formatWireError(s.error)}\n`);
      }
    }
    for (const s of out) await w.write(r.timestampNs, s, s.length);
    outFrames += out.length;
  }
  await w.close();
  process.stderr.write(`tunnelwire: ${inFrames} frames encapsulated as ${o.type} into ${outFrames} frames in ${o.output}${skipped ? ` (${skipped} skipped: cut by snaplen or not carriable)` : ''}\n`);
  return 0;
}
