/**
 * The timeline's display order: message keys kept sorted in chunks of at
 * most `MAX_CHUNK`. Inserting or removing one key copies one chunk and the
 * (short) list of chunks, not all n keys, and every older order stays
 * intact. `flattenKeys` builds the flat array once per order and caches it,
 * so values that share an order (e.g. before and after a streamed delta)
 * hand out the very same array.
 *
 * @internal Not part of the public API.
 */

export type KeyChunks = readonly (readonly string[])[];

/** How keys compare: by the message each key stands for. */
export type Compare = (a: string, b: string) => number;

const MAX_CHUNK = 512;

export const NO_KEYS: KeyChunks = [];

/** `keys` (already sorted) split into chunks. */
export function chunkKeys(keys: readonly string[]): KeyChunks {
  const chunks: string[][] = [];
  for (let i = 0; i < keys.length; i += MAX_CHUNK / 2)
    chunks.push(keys.slice(i, i + MAX_CHUNK / 2));
  return chunks;
}

const flat = new WeakMap<KeyChunks, readonly string[]>();

/** All keys in order, as one array: built on first use, then the same array for this order. */
export function flattenKeys(chunks: KeyChunks): readonly string[] {
  let keys = flat.get(chunks);
  if (!keys) {
    keys = chunks.length === 1 ? chunks[0]! : chunks.flat();
    flat.set(chunks, keys);
  }
  return keys;
}

/** Where `key` goes (or is): the chunk index and the index inside it. */
export interface KeyPosition {
  chunk: number;
  at: number;
}

/** The first position whose key does not sort before `key` (by `compare`). */
export function lowerBound(chunks: KeyChunks, key: string, compare: Compare): KeyPosition {
  if (chunks.length === 0) return { chunk: 0, at: 0 };
  // The first chunk whose last key does not sort before `key`; else the end of the last chunk.
  let low = 0;
  let high = chunks.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    const chunk = chunks[mid]!;
    if (compare(chunk[chunk.length - 1]!, key) < 0) low = mid + 1;
    else high = mid;
  }
  if (low === chunks.length) return { chunk: low - 1, at: chunks[low - 1]!.length };
  const chunk = chunks[low]!;
  let from = 0;
  let to = chunk.length;
  while (from < to) {
    const mid = (from + to) >>> 1;
    if (compare(chunk[mid]!, key) < 0) from = mid + 1;
    else to = mid;
  }
  return { chunk: low, at: from };
}

/** `chunks` with `key` inserted at `position`. */
export function insertKey(chunks: KeyChunks, position: KeyPosition, key: string): KeyChunks {
  if (chunks.length === 0) return [[key]];
  const chunk = chunks[position.chunk]!;
  const grown = [...chunk.slice(0, position.at), key, ...chunk.slice(position.at)];
  const next = chunks.slice();
  if (grown.length <= MAX_CHUNK) next[position.chunk] = grown;
  else {
    const half = grown.length >>> 1;
    next.splice(position.chunk, 1, grown.slice(0, half), grown.slice(half));
  }
  return next;
}

/** `chunks` without the key at `position`. */
export function removeKey(chunks: KeyChunks, position: KeyPosition): KeyChunks {
  const chunk = chunks[position.chunk]!;
  const next = chunks.slice();
  if (chunk.length === 1) next.splice(position.chunk, 1);
  else next[position.chunk] = [...chunk.slice(0, position.at), ...chunk.slice(position.at + 1)];
  return next;
}

/** The position of `key`, found by binary search; a scan if two keys compare equal (rare). */
export function findKey(chunks: KeyChunks, key: string, compare: Compare): KeyPosition | undefined {
  const position = lowerBound(chunks, key, compare);
  if (chunks[position.chunk]?.[position.at] === key) return position;
  for (let chunk = 0; chunk < chunks.length; chunk++) {
    const at = chunks[chunk]!.indexOf(key);
    if (at !== -1) return { chunk, at };
  }
  return undefined;
}

/** The keys right before and after `position` (either may be undefined). */
export function neighbours(
  chunks: KeyChunks,
  { chunk, at }: KeyPosition,
): [string | undefined, string | undefined] {
  const current = chunks[chunk]!;
  const before = at > 0 ? current[at - 1] : chunks[chunk - 1]?.at(-1);
  const after = at + 1 < current.length ? current[at + 1] : chunks[chunk + 1]?.[0];
  return [before, after];
}
