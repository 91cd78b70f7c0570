/**
 * 32-bit FNV-1a: a fast, stable, non-cryptographic string hash. Used for
 * trie slots, prepared-statement names, cursor checksums and mock seeds —
 * never where an adversary matters.
 *
 * @internal Not part of the public API.
 */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** `fnv1a` as 8 hex digits: short, stable names and checksums. */
export function fnv1aHex(text: string): string {
  return fnv1a(text).toString(16).padStart(8, '0');
}
