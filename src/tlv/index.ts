/** Geneve TLV option registry: option classes (typed option definitions build on this). */
export * from './classes.js';
