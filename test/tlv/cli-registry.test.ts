/**
 * A user-defined option, declared in a few lines, encoded into a Geneve packet written to a pcap:
 * tshark reads its class/type/length/data, and the CLI (`--registry` JSON or JS module) decodes it
 * with its registered name and value. Crafted packets with unknown critical options and C-bit
 * mismatches get `warnings` in `--json`; `--summary` counts options by name.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { emitEthernet } from '../../src/net/ethernet.js';
import { emitIpv4 } from '../../src/net/ipv4.js';
import { emitUdp, udpChecksum, UdpView } from '../../src/net/udp.js';
import { emitGeneve, geneveLength, type GeneveOption } from '../../src/geneve/fields.js';
import { LINKTYPE_ETHERNET } from '../../src/capture/linktype.js';
import { writePcap } from '../../src/capture/writer.js';
import { OptionRegistry, type RegistryFile } from '../../src/tlv/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'dist/cli.js');
const tmp = mkdtempSync(join(tmpdir(), 'tw-tlv-'));

/** The user's definition: "24-bit tenant, 4-bit security level, 4 reserved bits" on an experimental class. */
const USER: RegistryFile = {
  classes: [{ class: '0xff01', name: 'ACME Cloud' }],
  options: [
    {
      name: 'acme.tenant',
      class: '0xff01',
      type: '0x05',
      fields: [
        { name: 'tenant', bits: 24 },
        { name: 'level', bits: 4 },
        { name: 'reserved', bits: 4, reserved: true },
      ],
    },
  ],
};

function geneveFrame(critical: boolean, options: GeneveOption[], vni = 77): Uint8Array {
  const f = { version: 0, control: false, critical, reservedFlags: 0, protocolType: 0x6558, vni, reserved: 0, options };
  const inner = Uint8Array.from([...new Array(6).fill(0xff), 2, 0, 0, 0, 0, 9, 0x08, 0x06, 0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 9, 10, 0, 0, 9, 0, 0, 0, 0, 0, 0, 10, 0, 0, 1]);
  const gl = geneveLength(f);
  const total = 14 + 20 + 8 + gl + inner.length;
  const b = new Uint8Array(total);
  emitEthernet({ dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01', vlans: [], etherType: 0x0800 }, b, 0);
  emitIpv4({ dscp: 0, ecn: 0, totalLength: total - 14, identification: 1, dontFragment: true, moreFragments: false, fragmentOffset: 0, ttl: 64, protocol: 17, src: '192.0.2.1', dst: '192.0.2.2', options: new Uint8Array(0) }, b, 14);
  emitUdp({ srcPort: 40000, dstPort: 6081, length: total - 34, checksum: 0 }, b, 34);
  emitGeneve(f, b, 42);
  b.set(inner, 42 + gl);
  UdpView.unchecked(b, 34).checksum = udpChecksum(b, 14, 34, total);
  return b;
}

function writeCapture(name: string, frames: Uint8Array[]): string {
  const path = join(tmp, name);
  writeFileSync(path, writePcap(frames.map((data, i) => ({ timestampNs: 1_700_000_000_000_000_000n + BigInt(i) * 1000n, data })), LINKTYPE_ETHERNET));
  return path;
}

function cli(args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('a user-defined option end to end', () => {
  const reg = OptionRegistry.withBuiltins().load(USER);
  const opt = reg.encodeOption('acme.tenant', { tenant: 0xabcdef, level: 9 });
  const ovn = reg.encodeOption('ovn.ports', { ingressPort: 3, egressPort: 0x8001 });
  const pcap = writeCapture('user.pcap', [geneveFrame(true, [opt, ovn])]);
  const jsonReg = join(tmp, 'registry.json');
  writeFileSync(jsonReg, JSON.stringify(USER));

  it('encodes to the bytes the declaration describes', () => {
    expect(opt).toEqual({ optionClass: 0xff01, type: 0x05, critical: false, rbits: 0, data: Uint8Array.of(0xab, 0xcd, 0xef, 0x90) });
  });

  it('tshark decodes its class, type, length and data', () => {
    const out = execFileSync('tshark', ['-r', pcap, '-T', 'fields', '-E', 'separator=|', '-e', 'geneve.option.class', '-e', 'geneve.option.type', '-e', 'geneve.option.length', '-e', 'geneve.option.unknown.data'], { encoding: 'utf8' }).trim();
    const [cls, type, len, data] = out.split('|');
    expect(cls!.split(',')).toEqual(['0xff01', '0x0102']);
    expect(type!.split(',')).toEqual(['0x05', '0x80']);
    // tshark lists the header's options length first, then each option's total length (header included)
    expect(len!.split(',').slice(-2)).toEqual(['8', '8']);
    // tshark 4.0 has no decoder for either class (OVN's option shows as Unknown too): raw data of both
    expect(data!.split(',')).toEqual(['abcdef90', '00038001']);
  });

  it('the CLI decodes it with its registered name and value (JSON registry)', () => {
    const r = cli(['decode', '--json', '--registry', jsonReg, pcap]);
    expect(r.status, r.stderr).toBe(0);
    const rec = JSON.parse(r.stdout);
    const g = rec.layers.find((l: { proto: string }) => l.proto === 'geneve');
    expect(g.options[0]).toEqual({ class: 0xff01, type: 5, critical: false, length: 4, data: 'abcdef90', rbits: 0, className: 'ACME Cloud', name: 'acme.tenant', value: { tenant: 0xabcdef, level: 9 } });
    expect(g.options[1]).toMatchObject({ name: 'ovn.ports', value: { ingressPort: 3, egressPort: 0x8001 }, className: 'Open Virtual Networking (OVN)' });
    expect(rec.warnings).toEqual([]);
    const text = cli(['decode', '--registry', jsonReg, pcap]).stdout;
    expect(text).toContain('opts [acme.tenant{tenant=11259375,level=9} ovn.ports!{ingressPort=3,egressPort=32769}]');
  });

  it('the CLI loads a JS module registry too (a function given the registry and tunnelwire/tlv)', () => {
    const mod = join(tmp, 'registry.mjs');
    writeFileSync(
      mod,
      `export default (registry, tlv) => {
  registry.registerClass(0xff01, 'ACME Cloud');
  registry.register(tlv.defineOption({ name: 'acme.tenant', optionClass: 0xff01, type: 0x05,
    fields: [{ name: 'tenant', bits: 24 }, { name: 'level', bits: 4 }, { name: 'reserved', bits: 4, reserved: true }] }));
};\n`,
    );
    const r = cli(['decode', '--json', '--registry', mod, pcap]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).layers.find((l: { proto: string }) => l.proto === 'geneve').options[0]).toMatchObject({ name: 'acme.tenant', value: { tenant: 0xabcdef, level: 9 } });
  });

  it('an unloadable registry is a usage error (exit 2, one line)', () => {
    const bad = join(tmp, 'bad.json');
    writeFileSync(bad, JSON.stringify({ options: [{ name: 'x', class: 1, type: 1, fields: [{ name: 'a', bits: 12 }] }] }));
    const r = cli(['decode', '--registry', bad, pcap]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/cannot load registry .*multiple of 32/);
  });
});

describe('warnings a receiver would act on', () => {
  const reg = OptionRegistry.withBuiltins();
  const ovn = reg.encodeOption('ovn.ports', { ingressPort: 1, egressPort: 2 });
  const unknownCrit: GeneveOption = { optionClass: 0x0104, type: 0xa0, critical: true, rbits: 0, data: Uint8Array.of(1, 2, 3, 4) };
  const unknownPlain: GeneveOption = { optionClass: 0xffee, type: 0x01, critical: false, rbits: 0, data: new Uint8Array(0) };
  const pcap = writeCapture('warn.pcap', [
    geneveFrame(true, [ovn, unknownCrit]), // unknown critical → drop
    geneveFrame(true, [unknownPlain]), // C set, nothing critical
    geneveFrame(false, [ovn]), // critical option, C clear
    geneveFrame(true, [ovn, unknownPlain]), // fine
  ]);

  it('--json gains warnings with kind, offset and message', () => {
    const recs = cli(['decode', '--json', pcap]).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(recs.map((r) => r.warnings.map((w: { kind: string }) => w.kind))).toEqual([['unknown-critical-option'], ['critical-flag-mismatch'], ['critical-flag-mismatch'], []]);
    expect(recs[0].warnings[0]).toEqual({
      layer: 'geneve',
      kind: 'unknown-critical-option',
      offset: 42 + 8 + 8,
      message: 'unknown critical option class 0x0104 (VMware, Inc.) type 0xa0: a receiver must drop the packet (RFC 8926 §3.5)',
    });
    expect(recs[1].warnings[0].offset).toBe(43);
  });

  it('--summary counts options by name and packets with warnings', () => {
    const out = cli(['decode', '--summary', pcap]).stdout;
    expect(out).toMatch(/^ovn\.ports\s+3$/m);
    expect(out).toMatch(/^0xffee:0x01\s+2$/m);
    expect(out).toMatch(/^0x0104:0xa0\s+1$/m);
    expect(out).toMatch(/4 packets, 4 in tunnels, 0 with errors, 3 with warnings/);
  });
});
