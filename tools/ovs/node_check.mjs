// Node-side check of an ovs_peer.sh peer, using only what tunnelwire's tests will use:
//   Geneve: a dgram socket bound to 192.0.2.2:6081;  GRE: tools/framebridge/framebridge.py.
// Packets are built by hand here (no tunnelwire code), so a failure means the environment is broken.
//
//   ip netns exec tw-our-NAME node tools/ovs/node_check.mjs
//
// It must run INSIDE tw-our-NAME (Node cannot change network namespace; the dgram socket has to be
// created there). Sends an ICMP echo through each tunnel to OVS's internal port, answers OVS's
// inner ARP through the tunnel, waits for the echo reply. Prints JSON; exit 0 only if both passed.
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { fileURLToPath } from 'node:url';

const FRAMEBRIDGE = fileURLToPath(new URL('../framebridge/framebridge.py', import.meta.url));
const TIMEOUT_MS = 3000;
const UL = { ourIp: '192.0.2.2', ovsIp: '192.0.2.1', ourMac: '02:00:c0:00:02:02', ovsMac: '02:00:c0:00:02:01' };
const GNV = { vni: 5001, mdToOvs: 0x00020001, mdFromOvs: 0x00010002, ourIp: '10.20.0.2', ourMac: '02:00:0a:14:00:02', ovsIp: '10.20.0.1', ovsMac: '02:00:0a:14:00:01' };
const GRE = { keyToOvs: 0x00138a42, keyFromOvs: 0x00138a7f, ourIp: '10.30.0.2', ourMac: '02:00:0a:1e:00:02', ovsIp: '10.30.0.1', ovsMac: '02:00:0a:1e:00:01' };

const mac = (s) => Buffer.from(s.split(':').map((h) => parseInt(h, 16)));
const ip4 = (s) => Buffer.from(s.split('.').map(Number));
const fmtMac = (b) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
const fmtIp = (b) => [...b].join('.');
function csum(buf) {
  let s = 0;
  for (let i = 0; i + 1 < buf.length; i += 2) s += buf.readUInt16BE(i);
  if (buf.length & 1) s += buf[buf.length - 1] << 8;
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return ~s & 0xffff;
}
function ipv4(src, dst, proto, payload) {
  const h = Buffer.alloc(20);
  h[0] = 0x45; h.writeUInt16BE(20 + payload.length, 2); h[8] = 64; h[9] = proto;
  ip4(src).copy(h, 12); ip4(dst).copy(h, 16);
  h.writeUInt16BE(csum(h), 10);
  return Buffer.concat([h, payload]);
}
const eth = (dst, src, type, payload) => {
  const h = Buffer.alloc(14); mac(dst).copy(h, 0); mac(src).copy(h, 6); h.writeUInt16BE(type, 12);
  return Buffer.concat([h, payload]);
};
function echoRequest(c, id, seq) {
  const icmp = Buffer.concat([Buffer.from([8, 0, 0, 0, id >> 8, id & 255, seq >> 8, seq & 255]), Buffer.from('tunnelwire-node-check')]);
  icmp.writeUInt16BE(csum(icmp), 2);
  return eth(c.ovsMac, c.ourMac, 0x0800, ipv4(c.ourIp, c.ovsIp, 1, icmp));
}
function arpReply(c, req) {
  const a = Buffer.alloc(28);
  a.writeUInt16BE(1, 0); a.writeUInt16BE(0x0800, 2); a[4] = 6; a[5] = 4; a.writeUInt16BE(2, 6);
  mac(c.ourMac).copy(a, 8); ip4(c.ourIp).copy(a, 14); req.subarray(8, 14).copy(a, 18); req.subarray(14, 18).copy(a, 24);
  return eth(fmtMac(req.subarray(8, 14)), c.ourMac, 0x0806, a);
}
// inner Ethernet frame -> what it is
function classify(c, f) {
  const type = f.readUInt16BE(12);
  if (type === 0x0806 && f.readUInt16BE(20) === 1 && fmtIp(f.subarray(38, 42)) === c.ourIp) return { arpRequest: f.subarray(14, 42) };
  if (type === 0x0800 && f[23] === 1 && f[34] === 0) return { echoReply: { src: fmtIp(f.subarray(26, 30)), dst: fmtIp(f.subarray(30, 34)), id: f.readUInt16BE(38), seq: f.readUInt16BE(40) } };
  return {};
}

function geneveHeader() {
  const h = Buffer.alloc(16);
  h[0] = 2; h[1] = 0x40; h.writeUInt16BE(0x6558, 2); h.writeUInt32BE(GNV.vni << 8, 4); // ver 0, optlen 2 words, C bit
  h.writeUInt16BE(0x0102, 8); h[10] = 0x80; h[11] = 1; h.writeUInt32BE(GNV.mdToOvs, 12);
  return h;
}
function parseGeneve(d) {
  const optLen = (d[0] & 0x3f) * 4;
  const opts = [];
  for (let p = 8; p < 8 + optLen;) {
    const len = (d[p + 3] & 0x1f) * 4;
    opts.push({ class: d.readUInt16BE(p), type: d[p + 2], data: d.subarray(p + 4, p + 4 + len).toString('hex') });
    p += 4 + len;
  }
  return { critical: !!(d[1] & 0x40), proto: d.readUInt16BE(2), vni: d.readUInt32BE(4) >>> 8, opts, inner: d.subarray(8 + optLen) };
}

function geneveCheck() {
  return new Promise((resolve) => {
    const res = { arpAnswered: 0, echoReply: null, header: null };
    const s = dgram.createSocket('udp4');
    const done = (ok, err) => { clearTimeout(t); s.close(); resolve({ ok, ...(err ? { error: err } : {}), ...res }); };
    const t = setTimeout(() => done(false, `no echo reply within ${TIMEOUT_MS} ms`), TIMEOUT_MS);
    s.on('error', (e) => done(false, String(e)));
    s.on('message', (d, rinfo) => {
      if (rinfo.address !== UL.ovsIp) return;
      const g = parseGeneve(d);
      const k = classify(GNV, g.inner);
      if (k.arpRequest) { res.arpAnswered++; s.send(Buffer.concat([geneveHeader(), arpReply(GNV, k.arpRequest)]), 6081, UL.ovsIp); }
      if (k.echoReply && k.echoReply.id === 0x4e4f) {
        res.echoReply = k.echoReply;
        res.header = { vni: g.vni, critical: g.critical, proto: '0x' + g.proto.toString(16), options: g.opts, udpSrcPort: rinfo.port };
        const okOpt = g.opts.length === 1 && g.opts[0].class === 0x0102 && g.opts[0].type === 0x80 && g.opts[0].data === GNV.mdFromOvs.toString(16).padStart(8, '0');
        done(g.vni === GNV.vni && okOpt && g.critical, g.vni === GNV.vni && okOpt ? undefined : 'unexpected reply header');
      }
    });
    s.bind(6081, UL.ourIp, () => s.send(Buffer.concat([geneveHeader(), echoRequest(GNV, 0x4e4f, 1)]), 6081, UL.ovsIp));
  });
}

function greFrame(inner) {
  const g = Buffer.alloc(8); g.writeUInt16BE(0x2000, 0); g.writeUInt16BE(0x6558, 2); g.writeUInt32BE(GRE.keyToOvs, 4);
  return eth(UL.ovsMac, UL.ourMac, 0x0800, ipv4(UL.ourIp, UL.ovsIp, 47, Buffer.concat([g, inner])));
}
function greCheck() {
  return new Promise((resolve) => {
    const res = { arpAnswered: 0, echoReply: null, header: null, framebridgeExit: null };
    let sent = false;
    const fb = spawn('/usr/bin/python3', [FRAMEBRIDGE, '--iface', 'veth-our', '--ip-proto', '47', '--claim-ip-proto'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const send = (frame) => { const h = Buffer.alloc(4); h.writeUInt32BE(frame.length); fb.stdin.write(Buffer.concat([h, frame])); };
    let buf = Buffer.alloc(0), err = '', result = null;
    const finish = (ok, e) => { if (result) return; clearTimeout(t); result = { ok, ...(e ? { error: e } : {}) }; fb.stdin.end(); };
    const t = setTimeout(() => finish(false, `no echo reply within ${TIMEOUT_MS} ms`), TIMEOUT_MS);
    fb.on('exit', (code, sig) => { res.framebridgeExit = sig ?? code; resolve({ ...(result ?? { ok: false, error: 'framebridge exited early: ' + err }), ...res }); });
    fb.stderr.on('data', (d) => {
      err += d;
      if (err.includes('framebridge: ready') && !sent) { sent = true; send(greFrame(echoRequest(GRE, 0x4e50, 1))); }
    });
    fb.stdout.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) {
        const f = buf.subarray(4, 4 + buf.readUInt32BE(0));
        buf = buf.subarray(4 + f.length);
        // Ethernet / IPv4 (proto 47 guaranteed by the filter) / GRE
        const ihl = (f[14] & 15) * 4, g = 14 + ihl;
        const flags = f.readUInt16BE(g), proto = f.readUInt16BE(g + 2);
        if (fmtIp(f.subarray(26, 30)) !== UL.ovsIp || !(flags & 0x2000)) continue;
        const key = f.readUInt32BE(g + 4 + (flags & 0x8000 ? 4 : 0));
        const inner = f.subarray(g + 4 + (flags & 0x8000 ? 4 : 0) + 4 + (flags & 0x1000 ? 4 : 0));
        const k = classify(GRE, inner);
        if (k.arpRequest) { res.arpAnswered++; send(greFrame(arpReply(GRE, k.arpRequest))); }
        if (k.echoReply && k.echoReply.id === 0x4e50) {
          res.echoReply = k.echoReply;
          res.header = { flags: '0x' + flags.toString(16).padStart(4, '0'), proto: '0x' + proto.toString(16), key: '0x' + key.toString(16).padStart(8, '0'), vsid: key >>> 8, flowId: key & 255 };
          finish(key === GRE.keyFromOvs && proto === 0x6558, key === GRE.keyFromOvs && proto === 0x6558 ? undefined : 'unexpected reply header');
        }
      }
    });
  });
}

const out = { geneve: await geneveCheck(), gre: await greCheck() };
out.ok = out.geneve.ok && out.gre.ok && out.gre.framebridgeExit === 0;
console.log(JSON.stringify(out, null, 1));
process.exit(out.ok ? 0 : 1);
