/**
 * Live: the Linux kernel's VXLAN device in one network namespace, our userspace VTEP
 * (`tunnelwire vtep`) in another. `ping` from the kernel side must get every reply (100 of 100) for
 * plain VXLAN, VXLAN-GBP (the Group Policy ID the kernel sends is seen by us, and the one we send is
 * on the wire to the kernel) and an IPv6 underlay. Needs root (CI runs as root).
 */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readCaptureAll } from '../../src/capture/reader.js';
import { walkPacket } from '../../src/walk/walker.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PEER = join(ROOT, 'tools/vtep/kernel_peer.sh');
const CLI = join(ROOT, 'dist/cli.js');
const NAME = `t${process.pid}`;
const K = `tw-k-${NAME}`;
const U = `tw-u-${NAME}`;

if (process.getuid?.() !== 0) throw new Error('the live kernel VXLAN test needs root (network namespaces); CI runs as root');

afterAll(() => {
  execFileSync('bash', [PEER, 'down', NAME]);
});

function startVtep(args: string[]): Promise<{ child: ChildProcessWithoutNullStreams; output: () => string }> {
  const child = spawn('ip', ['netns', 'exec', U, process.execPath, CLI, 'vtep', '--stats-json', ...args]);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`vtep did not start: ${out}`)), 10_000);
    child.stdout.on('data', () => {
      if (out.includes('listening on')) {
        clearTimeout(t);
        resolve({ child, output: () => out });
      }
    });
    child.on('exit', (code) => reject(new Error(`vtep exited ${code}: ${out}`)));
  });
}

async function stopVtep(v: { child: ChildProcessWithoutNullStreams; output: () => string }): Promise<any> {
  const done = new Promise<void>((resolve) => v.child.once('exit', () => resolve()));
  v.child.kill('SIGINT');
  await done;
  const line = v.output().split('\n').find((l) => l.startsWith('vtep-stats '));
  if (!line) throw new Error(`no stats: ${v.output()}`);
  return JSON.parse(line.slice('vtep-stats '.length));
}

function ping(args: string[]): { transmitted: number; received: number } {
  let out: string;
  try {
    out = execFileSync('ip', ['netns', 'exec', K, 'ping', '-c', '100', '-i', '0.01', '-W', '1', ...args], { encoding: 'utf8' });
  } catch (e) {
    out = String((e as { stdout?: string }).stdout ?? '');
  }
  const m = /(\d+) packets transmitted, (\d+) received/.exec(out);
  if (!m) throw new Error(`ping output: ${out}`);
  return { transmitted: Number(m[1]), received: Number(m[2]) };
}

describe('kernel VXLAN ⇄ tunnelwire vtep', () => {
  it('plain VXLAN over IPv4: 100 of 100 echo replies', async () => {
    execFileSync('bash', [PEER, 'up', NAME, 'plain']);
    const v = await startVtep(['--type', 'vxlan', '--vni', '100', '--local', '192.0.2.2', '--remote', '192.0.2.1', '--host', '10.99.0.2/24', '--host-mac', '02:00:00:00:99:02']);
    const p = ping(['10.99.0.2']);
    const stats = await stopVtep(v);
    console.log(`plain: ping ${p.received}/${p.transmitted}; vtep rx ${stats.port.rxPackets} tx ${stats.port.txPackets}, drops ${JSON.stringify(stats.port.drops)}, host ${JSON.stringify(stats.host)}`);
    expect(p).toEqual({ transmitted: 100, received: 100 });
    expect(stats.host.echoReplies).toBe(100);
    expect(stats.host.arpReplies).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('VXLAN-GBP: the kernel\'s policy ID reaches us, ours reaches the kernel, 100 of 100 replies', async () => {
    execFileSync('bash', [PEER, 'up', NAME, 'gbp']);
    const dir = mkdtempSync(join(tmpdir(), 'tw-gbp-'));
    const cap = join(dir, 'k.pcap');
    const dump = spawn('ip', ['netns', 'exec', K, 'tcpdump', '-i', 'veth-k', '-w', cap, '-U', '--immediate-mode', 'udp port 4789']);
    await new Promise((r) => setTimeout(r, 800));
    const v = await startVtep(['--type', 'vxlan', '--vni', '100', '--local', '192.0.2.2', '--remote', '192.0.2.1', '--host', '10.99.0.2/24', '--host-mac', '02:00:00:00:99:02', '--gbp', '2748']);
    // mark 0x00400005: D bit + Group Policy ID 5 (Linux skb->mark mapping, vxlan.md §5)
    const p = ping(['-m', String(0x00400005), '10.99.0.2']);
    const stats = await stopVtep(v);
    await new Promise((r) => setTimeout(r, 500));
    dump.kill('SIGINT');
    await new Promise((r) => dump.once('exit', r));
    const fromUs = readCaptureAll(readFileSync(cap)).records
      .map((r) => walkPacket(r.data).layers)
      .filter((l) => l.some((x) => x.proto === 'ipv4' && x.src === '192.0.2.2'))
      .map((l) => l.find((x) => x.proto === 'vxlan') as { gbp?: { groupPolicyId: number } } | undefined);
    console.log(`gbp: ping ${p.received}/${p.transmitted}; GBP IDs received by us ${JSON.stringify(stats.gbpReceived)}; frames from us on the kernel's wire ${fromUs.length}, with GBP 2748: ${fromUs.filter((x) => x?.gbp?.groupPolicyId === 2748).length}`);
    expect(p).toEqual({ transmitted: 100, received: 100 });
    expect(stats.gbpReceived['5']).toBeGreaterThanOrEqual(100);
    expect(fromUs.length).toBeGreaterThanOrEqual(100);
    expect(fromUs.every((x) => x?.gbp?.groupPolicyId === 2748)).toBe(true);
  }, 60_000);

  it('IPv6 underlay: 100 of 100 echo replies', async () => {
    execFileSync('bash', [PEER, 'up', NAME, 'ipv6']);
    const v = await startVtep(['--type', 'vxlan', '--vni', '100', '--local', '2001:db8:99::2', '--remote', '2001:db8:99::1', '--host', '10.99.0.2/24', '--host-mac', '02:00:00:00:99:02']);
    const p = ping(['10.99.0.2']);
    const stats = await stopVtep(v);
    console.log(`ipv6 underlay: ping ${p.received}/${p.transmitted}; vtep rx ${stats.port.rxPackets} tx ${stats.port.txPackets}, drops ${JSON.stringify(stats.port.drops)}`);
    expect(p).toEqual({ transmitted: 100, received: 100 });
    expect(stats.host.echoReplies).toBe(100);
  }, 60_000);
});
