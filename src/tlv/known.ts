/**
 * Built-in option definitions for options real deployments send, each from its source in the spec
 * digest (shared/specs/geneve.md §7).
 */
import { formatIpv4, formatIpv6, ipFromText, put16, u16 } from '../net/bytes.js';
import { err, ok, wireError, type Result } from '../net/errors.js';
import { defineOption, type FastCheckLike, type OptionCodec } from './definition.js';

/**
 * OVN logical ports — class 0x0102 (OVN), type 0x80 (critical), 4 data bytes:
 * `reserved(1) | logical ingress port (15) | logical egress port (16)` (ovn-architecture(7)
 * "Tunnel Encapsulations"; OVN controller/physical.h OVN_GENEVE_CLASS/TYPE/LEN). Ingress 1..32767
 * (0 reserved for OVN-internal use); egress 32768..65535 are logical multicast groups.
 */
export const OVN_PORTS = defineOption({
  name: 'ovn.ports',
  optionClass: 0x0102,
  type: 0x80,
  description: 'OVN logical ingress and egress ports (ovn-architecture(7))',
  fields: [
    { name: 'reserved', bits: 1, reserved: true },
    { name: 'ingressPort', bits: 15 },
    { name: 'egressPort', bits: 16 },
  ],
});

/**
 * Google Cloud Virtual Network ID — class 0x0132, type 0x01, one word: VNID (28 bits), reserved
 * (3 bits, 0x0000000E), direction (1 bit: 1 = egress, 0 = ingress) (Wireshark packet-geneve.c).
 */
export const GCP_VNID = defineOption({
  name: 'gcp.vnid',
  optionClass: 0x0132,
  type: 0x01,
  description: 'Google Cloud virtual network ID and direction (Wireshark packet-geneve.c)',
  fields: [
    { name: 'vnid', bits: 28 },
    { name: 'reserved', bits: 3, reserved: true },
    { name: 'direction', bits: 1 },
  ],
});

/** Google Cloud Endpoint ID — class 0x0132, type 0x02: opaque bytes (Wireshark packet-geneve.c). */
export const GCP_ENDPOINT = defineOption({
  name: 'gcp.endpoint',
  optionClass: 0x0132,
  type: 0x02,
  description: 'Google Cloud endpoint ID, opaque (Wireshark packet-geneve.c)',
  fields: [{ name: 'endpoint', bytes: 'rest' }],
});

/** Google Cloud Profile ID — class 0x0132, type 0x03: an unsigned 64-bit integer (Wireshark FT_UINT64). */
export const GCP_PROFILE = defineOption({
  name: 'gcp.profile',
  optionClass: 0x0132,
  type: 0x03,
  description: 'Google Cloud profile ID (Wireshark packet-geneve.c, FT_UINT64)',
  fields: [{ name: 'profileId', bits: 64 }],
});

/**
 * cPacket meta-data — class 0x0164, type 0x00, 24 data bytes (Wireshark packet-geneve.c): packet ID
 * (32), original length (16), reserved (8), metadata version (8), timestamp seconds (48), nanoseconds
 * (32), fractional ns (16), device ID (16), port ID (16).
 */
export const CPACKET_METADATA = defineOption({
  name: 'cpacket.metadata',
  optionClass: 0x0164,
  type: 0x00,
  description: 'cPacket packet metadata and timestamp (Wireshark packet-geneve.c)',
  fields: [
    { name: 'packetId', bits: 32 },
    { name: 'originalLength', bits: 16 },
    { name: 'reserved', bits: 8, reserved: true },
    { name: 'version', bits: 8 },
    { name: 'timestampSeconds', bits: 48 },
    { name: 'timestampNanoseconds', bits: 32 },
    { name: 'timestampFractionalNs', bits: 16 },
    { name: 'deviceId', bits: 16 },
    { name: 'portId', bits: 16 },
  ],
});

/** Value of the Cilium DSR option. */
export interface CiliumDsrValue {
  /** Service address, IPv4 dotted quad or IPv6 text. */
  readonly address: string;
  /** Service port. */
  readonly port: number;
}

/**
 * Cilium DSR — class 0x014B, type 0x81 (critical | 1), a hand-written codec because its layout depends
 * on the length: IPv4 `address(4) port(2) pad(2)` (Length 2) or IPv6 `address(16) port(2) pad(2)`
 * (Length 5) (cilium bpf/lib/tunnel.h `geneve_dsr_opt4`/`geneve_dsr_opt6`).
 */
export const CILIUM_DSR: OptionCodec<CiliumDsrValue> = {
  name: 'cilium.dsr',
  optionClass: 0x014b,
  type: 0x81,
  critical: true,
  minLength: 8,
  maxLength: 20,
  description: 'Cilium direct server return service address and port (bpf/lib/tunnel.h)',
  decode(bytes: Uint8Array, offset: number, length: number): Result<CiliumDsrValue> {
    if ((length !== 8 && length !== 20) || offset + length > bytes.length) return err(wireError('bad-length', 'geneve', offset, 'cilium.dsr.length', length, '8 (IPv4) or 20 (IPv6) bytes'));
    const v6 = length === 20;
    const addr = v6 ? formatIpv6(bytes, offset) : formatIpv4(bytes, offset);
    return ok({ address: addr, port: u16(bytes, offset + (v6 ? 16 : 4)) });
  },
  validate(v: CiliumDsrValue): string | null {
    try {
      ipFromText(v.address);
    } catch {
      return `address: not an IP address: ${v.address}`;
    }
    if (!Number.isInteger(v.port) || v.port < 0 || v.port > 0xffff) return `port: ${v.port} is not 0..65535`;
    return null;
  },
  encodedLength(v: CiliumDsrValue): number {
    const m = this.validate(v);
    if (m) throw new RangeError(`cilium.dsr: ${m}`);
    return ipFromText(v.address).length === 16 ? 20 : 8;
  },
  encode(v: CiliumDsrValue, out: Uint8Array, offset: number): number {
    const n = this.encodedLength(v);
    if (offset < 0 || offset + n > out.length) throw new RangeError(`cilium.dsr: need ${n} bytes at ${offset}`);
    const a = ipFromText(v.address);
    out.set(a, offset);
    put16(out, offset + a.length, v.port);
    put16(out, offset + a.length + 2, 0);
    return n;
  },
  toJson(v: CiliumDsrValue): Record<string, unknown> {
    return { address: v.address, port: v.port };
  },
  fromJson(j: Record<string, unknown>): CiliumDsrValue {
    const v = { address: String(j.address), port: Number(j.port) };
    const m = this.validate(v);
    if (m) throw new RangeError(`cilium.dsr: ${m}`);
    return v;
  },
  arbitrary(fc: FastCheckLike): unknown {
    const v4 = fc.tuple(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.integer({ min: 0, max: 0xffff })) as { map(f: (t: [Uint8Array, number]) => unknown): unknown };
    const v6 = fc.tuple(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 0xffff })) as { map(f: (t: [Uint8Array, number]) => unknown): unknown };
    const pick = fc.integer({ min: 0, max: 1 }) as { chain(f: (n: number) => unknown): unknown };
    return pick.chain((n: number) =>
      n === 0 ? v4.map(([a, port]) => ({ address: formatIpv4(a, 0), port })) : v6.map(([a, port]) => ({ address: formatIpv6(a, 0), port })),
    );
  },
};

/** Every built-in definition. */
export const BUILTIN_OPTIONS: readonly OptionCodec<any>[] = [OVN_PORTS, GCP_VNID, GCP_ENDPOINT, GCP_PROFILE, CPACKET_METADATA, CILIUM_DSR];
