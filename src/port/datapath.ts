/**
 * The datapath interface: how a datapath attaches tunnel ports and local attachments, hands frames to
 * ports and receives frames from them. Transports are pluggable:
 * - a {@link DatagramTransport} carries tunnel payloads over UDP sockets (VXLAN, VXLAN-GPE, Geneve;
 *   `createUdpTransport` in `tunnelwire/port/node` wraps Node `dgram`);
 * - a {@link FrameTransport} carries whole underlay frames (STT, NVGRE, or any link a user brings:
 *   a tap, AF_PACKET through a helper, a pcap).
 * Frames are switched by a {@link LearningSwitch}. Browser-safe; only the transports touch Node.
 */
import type { TunnelMetadata } from '../tlv/metadata.js';
import { LearningSwitch, type Attachment } from './switch.js';
import { LocalHost, type HostConfig } from './host.js';
import type { TunnelPort } from './port.js';

/** Carries whole underlay frames (outer Ethernet included). */
export interface FrameTransport {
  readonly kind: 'frame';
  send(frame: Uint8Array): void;
  /** Register the receive callback (the frame is valid during the call). */
  onFrame(cb: (frame: Uint8Array) => void): void;
  close?(): void | Promise<void>;
}

/** Carries UDP payloads (tunnel header + inner frame); the kernel owns the outer headers. */
export interface DatagramTransport {
  readonly kind: 'datagram';
  send(payload: Uint8Array, address: string, port: number): void;
  onDatagram(cb: (payload: Uint8Array, from: { address: string; port: number }) => void): void;
  close?(): void | Promise<void>;
}

/** Either transport. */
export type Transport = FrameTransport | DatagramTransport;

/** Observations a datapath keeps about what its tunnels delivered. */
export interface TunnelObservations {
  /** VXLAN-GBP policy IDs received, with counts. */
  readonly gbpReceived: Map<number, number>;
  /** Geneve options received by registry name (or `class:type` hex), with counts and the last typed value. */
  readonly optionsReceived: Map<string, { count: number; value?: Record<string, unknown> }>;
}

/** A switch with tunnel ports and local attachments. */
export class Datapath {
  readonly switch: LearningSwitch;
  readonly observed: TunnelObservations = { gbpReceived: new Map(), optionsReceived: new Map() };
  private readonly ports = new Map<string, { port: TunnelPort; transport: Transport }>();
  private readonly out = new Uint8Array(65536 + 512);
  /** Metadata given to every egress encapsulation (e.g. a GBP ID to send). */
  egressMetadata: Partial<TunnelMetadata> = {};
  sendErrors = 0;

  constructor(agingMs?: number) {
    this.switch = new LearningSwitch(agingMs);
  }

  /**
   * Attach a tunnel port on a transport: frames the switch forwards to it are encapsulated and sent;
   * what the transport receives is decapsulated (drops are counted in `port.stats`) and switched.
   * L3 payloads (GPE / Geneve with an IP protocol type) are not switched.
   */
  addTunnelPort(name: string, port: TunnelPort, transport: Transport): void {
    const self = this;
    this.ports.set(name, { port, transport });
    this.switch.attach({
      name,
      deliver(frame: Uint8Array): void {
        if (transport.kind === 'datagram') {
          const r = port.encapsulatePayload(frame, self.egressMetadata, self.out, 0);
          if (r.ok) transport.send(self.out.subarray(0, r.length), r.remote, r.dstPort);
          return;
        }
        const r = port.encapsulate(frame, self.egressMetadata, self.out, 0);
        if (!r.ok) return;
        let start = 0;
        for (const end of r.segments) {
          transport.send(self.out.subarray(start, end));
          start = end;
        }
      },
    });
    const accept = (r: ReturnType<TunnelPort['decapsulate']>): void => {
      if (!r.ok) return;
      this.observe(port, r.metadata);
      if (r.innerEtherType === 0x6558) this.switch.receive(name, r.inner, r.metadata);
    };
    if (transport.kind === 'datagram') transport.onDatagram((payload, from) => accept(port.decapsulatePayload(payload, from, Date.now())));
    else transport.onFrame((frame) => accept(port.decapsulate(frame, Date.now())));
  }

  /** Attach a local host that answers ARP/NDP and ICMP echo. */
  addHost(cfg: HostConfig): LocalHost {
    const name = cfg.name ?? 'host';
    const host = new LocalHost({ ...cfg, name }, (f) => this.switch.receive(name, f));
    this.switch.attach(host);
    return host;
  }

  /** Attach anything else (a tap, a VM's interface): returns the function to call with its frames. */
  addAttachment(a: Attachment): (frame: Uint8Array) => void {
    this.switch.attach(a);
    return (frame) => this.switch.receive(a.name, frame);
  }

  /** The tunnel port attached as `name`. */
  port(name: string): TunnelPort | undefined {
    return this.ports.get(name)?.port;
  }

  /** Close every transport. */
  async close(): Promise<void> {
    for (const { transport } of this.ports.values()) await transport.close?.();
  }

  private observe(port: TunnelPort, m: TunnelMetadata): void {
    if (m.gbp) this.observed.gbpReceived.set(m.gbp.id, (this.observed.gbpReceived.get(m.gbp.id) ?? 0) + 1);
    for (const opt of m.geneveOptions) {
      const d = port.registry.describe(opt);
      const k = d.known ? d.name : `${opt.optionClass.toString(16).padStart(4, '0')}:${opt.type.toString(16).padStart(2, '0')}`;
      const e = this.observed.optionsReceived.get(k) ?? { count: 0 };
      e.count++;
      if (d.known && 'json' in d) e.value = d.json;
      this.observed.optionsReceived.set(k, e);
    }
  }
}
