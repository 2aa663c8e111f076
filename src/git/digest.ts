/**
 * A fast 64-bit digest of bytes, for telling whether bytes changed: the
 * kept temporary index (`index_cache.ts`) and the hashing context
 * (`hash_context.ts`).
 *
 * @module
 */

/**
 * A 64-bit digest of bytes: two multiply-xor lanes over 4-byte words. Each
 * step is a bijection of the lane, so a change of any one word always
 * changes the digest (damage is caught; forgery is not the concern).
 *
 * @param bytes The bytes.
 * @returns 16 hex digits.
 */
export function digest(bytes: Uint8Array): string {
  let a = 0x811c9dc5, b = 0x9e3779b9;
  const words = bytes.length >>> 2;
  const view = bytes.byteOffset % 4 === 0
    ? new Uint32Array(bytes.buffer, bytes.byteOffset, words)
    : new Uint32Array(bytes.slice(0, words * 4).buffer);
  for (let i = 0; i < words; i++) {
    const w = view[i];
    a = Math.imul(a ^ w, 0x01000193);
    b = Math.imul(b ^ w, 0x5bd1e995);
  }
  for (let i = words * 4; i < bytes.length; i++) {
    a = Math.imul(a ^ bytes[i], 0x01000193);
    b = Math.imul(b ^ bytes[i], 0x5bd1e995);
  }
  a = Math.imul(a ^ bytes.length, 0x01000193);
  return (a >>> 0).toString(16).padStart(8, "0") +
    (b >>> 0).toString(16).padStart(8, "0");
}
