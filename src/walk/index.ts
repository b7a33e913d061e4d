/** The packet walker (outer headers → tunnel → inner frame), outer-IP reassembly and output forms. */
export * from './walker.js';
export * from './layers.js';
export * from './ipfrag.js';
export * from './format.js';
export * from './fast.js';
