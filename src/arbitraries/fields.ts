/**
 * fast-check arbitraries of every header's plain-object form (`XxxFields`), over the whole domain the
 * matching `emitXxx` accepts and `parseXxx` gives back unchanged: every flag, every width of every
 * numeric field, every option length. Options named `strict` narrow a domain to what a strict parser
 * (`{ strict: true }`, Linux/OVS style) accepts: reserved bits zero and the flag rules of the spec.
 *
 * fast-check is a peer dependency of this subpath only; the library core never imports it.
 */
import * as fc from 'fast-check';
import { formatIpv4, formatIpv6, formatMac, put16 } from '../net/bytes.js';
import { isVlanTpid, MAX_VLAN_TAGS, type EthernetFields, type VlanTag } from '../net/ethernet.js';
import type { GreFields, GreSre } from '../net/gre.js';
import type { Ipv4Fields } from '../net/ipv4.js';
import type { Ipv6Fields } from '../net/ipv6.js';
import type { TcpFields } from '../net/tcp.js';
import type { UdpFields } from '../net/udp.js';
import { GENEVE_MAX_OPTION_DATA_LEN, GENEVE_MAX_OPTIONS_LEN, GENEVE_OPTION_HEADER_LEN } from '../geneve/header.js';
import type { GeneveFields, GeneveOption } from '../geneve/fields.js';
import type { NvgreFields } from '../nvgre/fields.js';
import type { SttFields } from '../stt/fields.js';
import type { VxlanFields, VxlanGbp, VxlanGpeFields } from '../vxlan/fields.js';

/** An unsigned integer of `bits` bits (0..2^bits − 1). */
export function uint(bits: number): fc.Arbitrary<number> {
  return fc.integer({ min: 0, max: 2 ** bits - 1 });
}

/** Exactly `n` random bytes. */
export function bytesOf(n: number): fc.Arbitrary<Uint8Array> {
  return fc.uint8Array({ minLength: n, maxLength: n });
}

/** Random bytes whose length is a multiple of 4, 0..`maxWords` words, every word count equally likely. */
export function alignedBytes(maxWords: number): fc.Arbitrary<Uint8Array> {
  return fc.integer({ min: 0, max: maxWords }).chain((w) => bytesOf(4 * w));
}

/** A MAC address as `aa:bb:cc:dd:ee:ff` text (any 48-bit value, group and local bits included). */
export function macAddress(): fc.Arbitrary<string> {
  return bytesOf(6).map((b) => formatMac(b, 0));
}

/** An IPv4 address as dotted-quad text (any 32-bit value). */
export function ipv4Address(): fc.Arbitrary<string> {
  return bytesOf(4).map((b) => formatIpv4(b, 0));
}

/** An IPv6 address in RFC 5952 text (any 128-bit value; zero groups are frequent so `::` forms appear). */
export function ipv6Address(): fc.Arbitrary<string> {
  return fc.array(fc.oneof(fc.constant(0), uint(16)), { minLength: 8, maxLength: 8 }).map((g) => {
    const b = new Uint8Array(16);
    g.forEach((x, k) => put16(b, 2 * k, x));
    return formatIpv6(b, 0);
  });
}

// ---------------------------------------------------------------------------------------------- VXLAN

/** Options of {@link vxlanFields}. */
export interface VxlanFieldsOptions {
  /** `true`: always GBP (G set, RFC 7348 + GBP-05 §2.1); `false`: never; absent: either. */
  readonly gbp?: boolean;
}

/** The GBP part of a VXLAN-GBP header: D, A and the 16-bit Group Policy ID. */
export function vxlanGbp(): fc.Arbitrary<VxlanGbp> {
  return fc.record({ dontLearn: fc.boolean(), policyApplied: fc.boolean(), groupPolicyId: uint(16) });
}

/** {@link VxlanFields} over the whole domain: I flag either way, any 24-bit VNI, GBP per `opts.gbp`. */
export function vxlanFields(opts: VxlanFieldsOptions = {}): fc.Arbitrary<VxlanFields> {
  const plain: fc.Arbitrary<VxlanFields> = fc.record({ vniValid: fc.boolean(), vni: uint(24) });
  const gbp: fc.Arbitrary<VxlanFields> = fc.record({ vniValid: fc.boolean(), vni: uint(24), gbp: vxlanGbp() });
  return opts.gbp === true ? gbp : opts.gbp === false ? plain : fc.oneof(plain, gbp);
}

/** {@link VxlanGpeFields} over the whole domain parse accepts: version 0, every flag, any Next Protocol and VNI. */
export function vxlanGpeFields(): fc.Arbitrary<VxlanGpeFields> {
  return fc.record({
    version: fc.constant(0),
    vniValid: fc.boolean(),
    nextProtocolPresent: fc.boolean(),
    bum: fc.boolean(),
    oam: fc.boolean(),
    nextProtocol: uint(8),
    vni: uint(24),
  });
}

// --------------------------------------------------------------------------------------------- Geneve

/** Options of {@link geneveOption}. */
export interface GeneveOptionOptions {
  /** Largest data length in bytes (a multiple of 4, at most 124; default 124). */
  readonly maxDataLength?: number;
  /** R bits 0 (what a strict parser accepts). Default false: any 0..7. */
  readonly strict?: boolean;
}

/**
 * One Geneve option TLV (RFC 8926 §3.5): any class, any type (critical bit included, and `critical`
 * always equal to `type & 0x80`), R bits 0..7 (0 with `strict`), data 0..31 words.
 */
export function geneveOption(opts: GeneveOptionOptions = {}): fc.Arbitrary<GeneveOption> {
  const maxWords = Math.floor(Math.min(opts.maxDataLength ?? GENEVE_MAX_OPTION_DATA_LEN, GENEVE_MAX_OPTION_DATA_LEN) / 4);
  return fc
    .record({ optionClass: uint(16), type: uint(8), rbits: opts.strict ? fc.constant(0) : uint(3), data: alignedBytes(maxWords) })
    .map((o) => ({ optionClass: o.optionClass, type: o.type, critical: (o.type & 0x80) !== 0, rbits: o.rbits, data: o.data }));
}

/** Options of {@link geneveOptions}. */
export interface GeneveOptionsOptions {
  /** Most bytes the options take on the wire, headers included (multiple of 4, ≤ 252; default 252). */
  readonly maxTotal?: number;
  /** R bits 0. */
  readonly strict?: boolean;
  /** Arbitrary of single options to draw from (default {@link geneveOption}). */
  readonly option?: fc.Arbitrary<GeneveOption>;
}

/**
 * An option list whose wire size (4 + data per option) is at most `maxTotal` (≤ 252, the 6-bit Opt Len),
 * each option ≤ 124 data bytes. Mixes a few options of any length with many short ones, so that both
 * large options and lists of up to 63 header-only options occur.
 */
export function geneveOptions(opts: GeneveOptionsOptions = {}): fc.Arbitrary<GeneveOption[]> {
  const max = Math.min(opts.maxTotal ?? GENEVE_MAX_OPTIONS_LEN, GENEVE_MAX_OPTIONS_LEN);
  if (!(max >= 0)) throw new RangeError(`maxTotal must be 0..${GENEVE_MAX_OPTIONS_LEN}, got ${opts.maxTotal}`);
  const strict = opts.strict ?? false;
  const any = opts.option ?? geneveOption({ strict, maxDataLength: Math.max(0, max - GENEVE_OPTION_HEADER_LEN) });
  const short = opts.option ?? geneveOption({ strict, maxDataLength: 4 });
  // Keep, in order, the options that still fit in `max`.
  const fit = (os: GeneveOption[]): GeneveOption[] => {
    const kept: GeneveOption[] = [];
    let total = 0;
    for (const o of os) {
      const size = GENEVE_OPTION_HEADER_LEN + o.data.length;
      if (total + size > max) continue;
      kept.push(o);
      total += size;
    }
    return kept;
  };
  return fc.oneof(fc.array(any, { maxLength: 8 }), fc.array(short, { maxLength: Math.floor(max / 4) })).map(fit);
}

/** Options of {@link geneveFields}. */
export interface GeneveFieldsOptions {
  /**
   * What a strict receiver accepts: reserved flags, byte 7 and every option's R bits 0, and the C bit
   * set exactly when an option is critical (RFC 8926 §3.4). Default false: the whole domain.
   */
  readonly strict?: boolean;
  /** Protocol Type arbitrary (default any 16-bit value). */
  readonly protocolType?: fc.Arbitrary<number>;
  /** Options arbitrary (default {@link geneveOptions}). */
  readonly options?: fc.Arbitrary<readonly GeneveOption[]>;
}

/**
 * {@link GeneveFields} over the whole domain parse gives back: version 0, O and C either way, the 6
 * reserved flag bits and byte 7 any value, any Protocol Type and VNI, options per {@link geneveOptions}.
 */
export function geneveFields(opts: GeneveFieldsOptions = {}): fc.Arbitrary<GeneveFields> {
  const strict = opts.strict ?? false;
  return fc
    .record({
      control: fc.boolean(),
      critical: fc.boolean(),
      reservedFlags: strict ? fc.constant(0) : uint(6),
      protocolType: opts.protocolType ?? uint(16),
      vni: uint(24),
      reserved: strict ? fc.constant(0) : uint(8),
      options: opts.options ?? geneveOptions({ strict }),
    })
    .map((r) => ({
      version: 0,
      control: r.control,
      critical: strict ? r.options.some((o) => o.critical) : r.critical,
      reservedFlags: r.reservedFlags,
      protocolType: r.protocolType,
      vni: r.vni,
      reserved: r.reserved,
      options: r.options,
    }));
}

// ------------------------------------------------------------------------------------------ GRE/NVGRE

/** One RFC 1701 Source Route Entry (never the terminator: family 0 with no data). */
export function greSre(maxDataLength = 255): fc.Arbitrary<GreSre> {
  return fc
    .record({ addressFamily: uint(16), sreOffset: uint(8), data: fc.integer({ min: 0, max: Math.min(maxDataLength, 255) }).chain(bytesOf) })
    .filter((s) => !(s.addressFamily === 0 && s.data.length === 0));
}

/** Options of {@link greFields}. */
export interface GreFieldsOptions {
  /** Only this version (0 = GRE, 1 = PPTP enhanced GRE); default either. */
  readonly version?: 0 | 1;
  /**
   * Only headers a strict parser accepts (RFC 2784/2890; version 1 per RFC 2637 §4.1): R, s, recursion and
   * reserved flags clear, Reserved1 0 next to a checksum, version 1 with K set and C clear.
   */
  readonly strict?: boolean;
  /** Most SREs in a routing list (default 3). */
  readonly maxSres?: number;
}

/**
 * {@link GreFields} over everything `emitGre` accepts: versions 0 and 1, every combination of C, R, K, S,
 * s, recursion 0..7, A (version 1 only), the reserved flag bits, and SRE lists; each optional value is
 * present exactly when its flag is set.
 */
export function greFields(opts: GreFieldsOptions = {}): fc.Arbitrary<GreFields> {
  const strict = opts.strict ?? false;
  return fc
    .record({
      version: opts.version === undefined ? fc.constantFrom(0, 1) : fc.constant(opts.version),
      c: fc.boolean(),
      r: strict ? fc.constant(false) : fc.boolean(),
      k: fc.boolean(),
      s: fc.boolean(),
      ssr: strict ? fc.constant(false) : fc.boolean(),
      recursion: strict ? fc.constant(0) : uint(3),
      a: fc.boolean(),
      rsvd: strict ? fc.constant(0) : uint(5),
      protocolType: uint(16),
      checksum: uint(16),
      offset: uint(16),
      key: uint(32),
      sequence: uint(32),
      ack: uint(32),
      routing: fc.array(greSre(), { maxLength: opts.maxSres ?? 3 }),
    })
    .map((r): GreFields => {
      const v1 = r.version === 1;
      const checksumPresent = strict && v1 ? false : r.c;
      const keyPresent = strict && v1 ? true : r.k;
      const ackPresent = v1 && r.a;
      const cr = checksumPresent || r.r;
      return {
        checksumPresent,
        routingPresent: r.r,
        keyPresent,
        sequencePresent: r.s,
        strictSourceRoute: r.ssr,
        recursion: r.recursion,
        ackPresent,
        reservedFlags: v1 ? r.rsvd & 0x0f : r.rsvd,
        version: r.version,
        protocolType: r.protocolType,
        ...(cr ? { checksum: r.checksum, offset: strict && checksumPresent ? 0 : r.offset } : {}),
        ...(keyPresent ? { key: r.key } : {}),
        ...(r.s ? { sequence: r.sequence } : {}),
        ...(ackPresent ? { ack: r.ack } : {}),
        ...(r.r ? { routing: r.routing } : {}),
      };
    });
}

/** Options of {@link nvgreFields}. */
export interface NvgreFieldsOptions {
  /** Only VSIDs outside the reserved ranges (0x001000..0xfffffe, RFC 7637 §3.4), as a strict parse wants. */
  readonly strict?: boolean;
}

/** {@link NvgreFields}: any 24-bit VSID (or the non-reserved ones with `strict`), any 8-bit FlowID, protocol 0x6558. */
export function nvgreFields(opts: NvgreFieldsOptions = {}): fc.Arbitrary<NvgreFields> {
  return fc.record({
    vsid: opts.strict ? fc.integer({ min: 0x001000, max: 0xfffffe }) : uint(24),
    flowId: uint(8),
    protocolType: fc.constant(0x6558),
  });
}

// ------------------------------------------------------------------------------------------------ STT

/** Options of {@link sttFields}. */
export interface SttFieldsOptions {
  /**
   * Only what a strict parser accepts (draft-davie-stt-08 §3.1 + OVS): flag bits 0xf0, reserved byte
   * and padding 0, C and P not both set, and with P an L4 offset past the inner IP header.
   */
  readonly strict?: boolean;
}

/** {@link SttFields} over the whole domain parse accepts: version 0, every flag byte, L4 offset, MSS, PCP, VLAN and 64-bit Context ID. */
export function sttFields(opts: SttFieldsOptions = {}): fc.Arbitrary<SttFields> {
  const strict = opts.strict ?? false;
  return fc
    .record({
      flags: strict ? uint(4) : uint(8),
      l4Offset: uint(8),
      reserved: strict ? fc.constant(0) : uint(8),
      mss: uint(16),
      pcp: uint(3),
      vlanValid: fc.boolean(),
      vlanId: uint(12),
      contextId: fc.bigInt({ min: 0n, max: 0xffffffffffffffffn }),
      padding: strict ? fc.constant(0) : uint(16),
    })
    .map((r) => {
      let { flags, l4Offset } = r;
      if (strict) {
        if ((flags & 0x03) === 0x03) flags &= ~0x01; // C and P cannot both be set
        const min = 14 + (flags & 0x04 ? 20 : 40);
        if (flags & 0x02 && l4Offset < min) l4Offset = min + (l4Offset % (256 - min));
      }
      return { version: 0, ...r, flags, l4Offset };
    });
}

// ------------------------------------------------------------------------------------ outer protocols

/** Options of {@link tcpFields}. */
export interface TcpFieldsOptions {
  /** Port arbitrary (default any 16-bit value), used for both ports. */
  readonly port?: fc.Arbitrary<number>;
  /** Option bytes arbitrary (default any 0..40 bytes in whole words). */
  readonly options?: fc.Arbitrary<Uint8Array>;
}

/** {@link TcpFields} over the whole domain: every port, SEQ/ACK, the 9 flag bits (NS..FIN), window, checksum, urgent pointer, 0..10 option words. */
export function tcpFields(opts: TcpFieldsOptions = {}): fc.Arbitrary<TcpFields> {
  const port = opts.port ?? uint(16);
  return fc.record({
    srcPort: port,
    dstPort: port,
    seq: uint(32),
    ack: uint(32),
    flags: uint(9),
    window: uint(16),
    checksum: uint(16),
    urgentPointer: uint(16),
    options: opts.options ?? alignedBytes(10),
  });
}

/** One 802.1Q/802.1ad tag: any of the five TPIDs walked, any PCP, DEI and VID. */
export function vlanTag(): fc.Arbitrary<VlanTag> {
  return fc.record({ tpid: fc.constantFrom(0x8100, 0x88a8, 0x9100, 0x9200, 0x9300), pcp: uint(3), dei: fc.boolean(), vid: uint(12) });
}

/** Options of {@link ethernetFields}. */
export interface EthernetFieldsOptions {
  /** Most VLAN tags (default 8, the most `parseEthernet` walks). */
  readonly maxVlans?: number;
  /** EtherType after the tags (default any 16-bit value that is not a TPID). */
  readonly etherType?: fc.Arbitrary<number>;
}

/** {@link EthernetFields}: any MACs, 0..`maxVlans` tags, an EtherType that is not a TPID. */
export function ethernetFields(opts: EthernetFieldsOptions = {}): fc.Arbitrary<EthernetFields> {
  return fc.record({
    dst: macAddress(),
    src: macAddress(),
    vlans: fc.array(vlanTag(), { maxLength: opts.maxVlans ?? MAX_VLAN_TAGS }),
    etherType: opts.etherType ?? uint(16).filter((t) => !isVlanTpid(t)),
  });
}

/** {@link Ipv4Fields} over the whole domain: DSCP, ECN, Total Length 0 or ≥ the header, ID, DF/MF, fragment offset, TTL, protocol, addresses, 0..40 option bytes. */
export function ipv4Fields(): fc.Arbitrary<Ipv4Fields> {
  return alignedBytes(10).chain((options) =>
    fc.record({
      dscp: uint(6),
      ecn: uint(2),
      totalLength: fc.oneof(fc.constant(0), fc.integer({ min: 20 + options.length, max: 0xffff })),
      identification: uint(16),
      dontFragment: fc.boolean(),
      moreFragments: fc.boolean(),
      fragmentOffset: uint(13).map((u) => u * 8),
      ttl: uint(8),
      protocol: uint(8),
      src: ipv4Address(),
      dst: ipv4Address(),
      options: fc.constant(options),
    }),
  );
}

/** {@link Ipv6Fields} over the whole domain: traffic class, 20-bit flow label, payload length, next header, hop limit, addresses. */
export function ipv6Fields(): fc.Arbitrary<Ipv6Fields> {
  return fc.record({
    trafficClass: uint(8),
    flowLabel: uint(20),
    payloadLength: uint(16),
    nextHeader: uint(8),
    hopLimit: uint(8),
    src: ipv6Address(),
    dst: ipv6Address(),
  });
}

/** {@link UdpFields}: any ports and checksum, Length 0 (BIG TCP / GSO) or 8..65535 (1..7 is `bad-length` on parse). */
export function udpFields(): fc.Arbitrary<UdpFields> {
  return fc.record({ srcPort: uint(16), dstPort: uint(16), length: fc.oneof(fc.constant(0), fc.integer({ min: 8, max: 0xffff })), checksum: uint(16) });
}
