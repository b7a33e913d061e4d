/** VXLAN (RFC 7348), VXLAN-GBP and VXLAN-GPE codecs. */
export * from './header.js';
export * from './gpe.js';
export * from './fields.js';
