/**
 * Capture I/O: a streaming pcap/pcapng reader, a pcap writer and link-layer helpers.
 * Browser-safe (Uint8Array only); the Node file helpers live in `./node.ts`, not re-exported here.
 */
export * from './linktype.js';
export {
  CAPTURE_MAX_RECORD_BYTES,
  PCAP_FCS_PRESENT,
  PCAP_FILE_HEADER_LEN,
  PCAP_LINKTYPE_MASK,
  PCAP_MAGIC_NSEC,
  PCAP_MAGIC_USEC,
  PCAP_RECORD,
  PCAP_RECORD_HEADER_LEN,
  PCAP_VERSION_MAJOR,
  PCAP_VERSION_MINOR,
  checkPcapCaplen,
  parsePcapHeader,
  pcapMagic,
  pcapTimestampNs,
  type PcapHeader,
} from './pcap.js';
export * from './pcapng.js';
export * from './reader.js';
export * from './writer.js';
