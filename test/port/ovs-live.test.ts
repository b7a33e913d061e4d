/**
 * Live against Open vSwitch's userspace (netdev) datapath from Debian's openvswitch-switch, started
 * by the test in a network namespace (tools/ovs/ovs_peer.sh; topology in tools/ovs/README.md):
 * - Geneve with options both ways: OVS pings our VTEP; OVS sends the OVN option 0x0102/0x80 with
 *   data 00010002, which decodes in ours by its registered name (ovn.ports, ingress 1, egress 2); we
 *   send 00020001, which must match OVS's flow on tun_metadata0 (its counter moves, the "wrong" one
 *   does not) for the replies to reach OVS's host.
 * - GRE with a key and an Ethernet payload (NVGRE framing) both ways, through our NVGRE port over a
 *   frame-level transport (tools/framebridge).
 * Needs root; CI runs as root.
 */
import { execFile, execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TunnelPort } from '../../src/port/port.js';
import { Datapath, type FrameTransport } from '../../src/port/datapath.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PEER = join(ROOT, 'tools/ovs/ovs_peer.sh');
const FRAMEBRIDGE = join(ROOT, 'tools/framebridge/framebridge.py');
const CLI = join(ROOT, 'dist/cli.js');
const NAME = `o${process.pid}`;
const OVS_NS = `tw-ovs-${NAME}`;
const OUR_NS = `tw-our-${NAME}`;

if (process.getuid?.() !== 0) throw new Error('the live Open vSwitch test needs root; CI runs as root');

function counters(): Record<string, number> {
  const out = execFileSync('bash', [PEER, 'counters', NAME], { encoding: 'utf8' });
  const c: Record<string, number> = {};
  for (const l of out.trim().split('\n')) {
    const j = JSON.parse(l) as { kind: string; name: string; n_packets: number };
    if (j.kind === 'flow') c[j.name] = j.n_packets;
  }
  return c;
}

function ovsPing(dev: string, ip: string, count = 50): { transmitted: number; received: number } {
  let out: string;
  try {
    out = execFileSync('ip', ['netns', 'exec', OVS_NS, 'ping', '-c', String(count), '-i', '0.02', '-W', '1', '-I', dev, ip], { encoding: 'utf8' });
  } catch (e) {
    out = String((e as { stdout?: string }).stdout ?? '');
  }
  const m = /(\d+) packets transmitted, (\d+) received/.exec(out);
  if (!m) throw new Error(`ping output: ${out}`);
  return { transmitted: Number(m[1]), received: Number(m[2]) };
}

/** The same ping, without blocking this process's event loop (the GRE transport runs in it). */
function ovsPingAsync(dev: string, ip: string, count = 50): Promise<{ transmitted: number; received: number }> {
  return new Promise((resolve, reject) => {
    execFile('ip', ['netns', 'exec', OVS_NS, 'ping', '-c', String(count), '-i', '0.02', '-W', '1', '-I', dev, ip], { encoding: 'utf8' }, (_e, stdout) => {
      const m = /(\d+) packets transmitted, (\d+) received/.exec(stdout);
      if (!m) reject(new Error(`ping output: ${stdout}`));
      else resolve({ transmitted: Number(m[1]), received: Number(m[2]) });
    });
  });
}

beforeAll(() => {
  execFileSync('bash', [PEER, 'install'], { stdio: 'ignore', timeout: 600_000 });
  execFileSync('bash', [PEER, 'up', NAME], { stdio: 'ignore', timeout: 60_000 });
}, 660_000);

afterAll(() => {
  execFileSync('bash', [PEER, 'down', NAME], { stdio: 'ignore' });
});

describe('Open vSwitch userspace datapath ⇄ tunnelwire', () => {
  it('Geneve with options travels both ways; OVS matches our option, we name OVS\'s', async () => {
    const child = spawn('ip', ['netns', 'exec', OUR_NS, process.execPath, CLI, 'vtep', '--stats-json', '--type', 'geneve', '--vni', '5001', '--local', '192.0.2.2', '--remote', '192.0.2.1', '--host', '10.20.0.2/24', '--host-mac', '02:00:0a:14:00:02', '--option', '0102:80:00020001']);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`vtep did not start: ${out}`)), 10_000);
      child.stdout.on('data', () => out.includes('listening on') && (clearTimeout(t), resolve()));
    });
    const before = counters();
    const p = ovsPing('ovs-host', '10.20.0.2');
    const after = counters();
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGINT');
    await exited;
    const stats = JSON.parse(out.split('\n').find((l) => l.startsWith('vtep-stats '))!.slice('vtep-stats '.length));
    console.log(`ovs geneve: ping ${p.received}/${p.transmitted}; OVS flow gnv-in (tun_metadata0=00020001) +${after['gnv-in']! - before['gnv-in']!}, gnv-in-wrong +${after['gnv-in-wrong']! - before['gnv-in-wrong']!}, gnv-in-miss +${after['gnv-in-miss']! - before['gnv-in-miss']!}; options we received ${JSON.stringify(stats.optionsReceived)} ${JSON.stringify(stats.optionValues)}; our drops ${JSON.stringify(stats.port.drops)}`);
    expect(p).toEqual({ transmitted: 50, received: 50 });
    expect(after['gnv-in']! - before['gnv-in']!).toBeGreaterThanOrEqual(50);
    expect(after['gnv-in-wrong']! - before['gnv-in-wrong']!).toBe(0);
    expect(stats.optionsReceived['ovn.ports']).toBeGreaterThanOrEqual(50);
    expect(stats.optionValues['ovn.ports']).toEqual({ ingressPort: 1, egressPort: 2 });
  }, 60_000);

  it('GRE with a key and Ethernet payload (NVGRE framing) travels both ways', async () => {
    const port = new TunnelPort({ type: 'nvgre', local: '192.0.2.2', remote: '192.0.2.1', tunnelId: 0x138an, localMac: '02:00:c0:00:02:02', remoteMac: '02:00:c0:00:02:01' });
    const fb: ChildProcessWithoutNullStreams = spawn('ip', ['netns', 'exec', OUR_NS, 'python3', FRAMEBRIDGE, '--iface', 'veth-our', '--ip-proto', '47', '--claim-ip-proto']);
    let err = '';
    fb.stderr.on('data', (d: Buffer) => (err += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`framebridge did not start: ${err}`)), 10_000);
      fb.stderr.on('data', () => err.includes('framebridge: ready') && (clearTimeout(t), resolve()));
    });
    // A frame transport "a user brings": framebridge's length-prefixed frames on stdin/stdout.
    let onFrame: (f: Uint8Array) => void = () => {};
    let sent = 0;
    const transport: FrameTransport = {
      kind: 'frame',
      send(frame) {
        const rec = Buffer.alloc(4 + frame.length);
        rec.writeUInt32BE(frame.length, 0);
        rec.set(frame, 4);
        fb.stdin.write(rec);
        sent++;
      },
      onFrame(cb) {
        onFrame = cb;
      },
    };
    let pending = Buffer.alloc(0);
    fb.stdout.on('data', (d: Buffer) => {
      pending = Buffer.concat([pending, d]);
      while (pending.length >= 4 && pending.length >= 4 + pending.readUInt32BE(0)) {
        const n = pending.readUInt32BE(0);
        onFrame(new Uint8Array(pending.subarray(4, 4 + n)));
        pending = pending.subarray(4 + n);
      }
    });
    const dp = new Datapath();
    dp.egressMetadata = { flowId: 0x7f };
    dp.addTunnelPort('nvgre0', port, transport);
    const host = dp.addHost({ name: 'host', mac: '02:00:0a:1e:00:02', ipv4: '10.30.0.2' });
    const before = counters();
    const p = await ovsPingAsync('ovs-gre', '10.30.0.2');
    const after = counters();
    fb.stdin.end();
    await new Promise((r) => fb.once('exit', r));
    console.log(`ovs gre: ping ${p.received}/${p.transmitted}; OVS flow gre-in (VSID 0x00138a) +${after['gre-in']! - before['gre-in']!}, gre-in-wrong +${after['gre-in-wrong']! - before['gre-in-wrong']!}; our port rx ${port.stats.rxPackets} tx ${port.stats.txPackets} (frames sent ${sent}), drops ${JSON.stringify(port.stats.drops)}, host ${JSON.stringify(host.stats)}`);
    expect(p).toEqual({ transmitted: 50, received: 50 });
    expect(after['gre-in']! - before['gre-in']!).toBeGreaterThanOrEqual(50);
    expect(host.stats.echoReplies).toBe(50);
  }, 60_000);
});
