/**
 * Node transports for the datapath: UDP sockets (`dgram`) for VXLAN, VXLAN-GPE and Geneve. The only
 * file of `src/port` that imports Node.
 */
import { createSocket } from 'node:dgram';
import type { DatagramTransport } from './datapath.js';

/**
 * A UDP socket bound to `local:port` (IPv4 or IPv6 by the address form). Resolves once bound;
 * rejects with the bind error (e.g. EADDRINUSE). Send errors are counted in `sendErrors`.
 */
export function createUdpTransport(local: string, port: number): Promise<DatagramTransport & { sendErrors: number }> {
  const socket = createSocket({ type: local.includes(':') ? 'udp6' : 'udp4', reuseAddr: true });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, local, () => {
      socket.off('error', reject);
      const t: DatagramTransport & { sendErrors: number } = {
        kind: 'datagram',
        sendErrors: 0,
        send(payload, address, dstPort) {
          socket.send(payload, dstPort, address, (e) => {
            if (e) t.sendErrors++;
          });
        },
        onDatagram(cb) {
          socket.on('message', (msg, rinfo) => cb(new Uint8Array(msg.buffer, msg.byteOffset, msg.length), { address: rinfo.address, port: rinfo.port }));
        },
        close: () => new Promise<void>((r) => socket.close(() => r())),
      };
      resolve(t);
    });
  });
}
