/** buffer-layout and binary-parser are Buffer-based: view a Uint8Array as a Buffer without copying. */
export function asBuffer(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}
