import { fnv1a } from '../hash';

/**
 * An immutable string-keyed map with structural sharing: a trie of three
 * levels of 32-slot arrays, indexed by 15 bits of the key's hash, over small
 * `Map` leaves. `set` and `delete` copy one path (three arrays and a leaf of
 * a few entries), so a timeline of 100,000 messages updates one message
 * without copying the rest, and every older timeline value stays intact.
 *
 * @internal Not part of the public API.
 */
export class PersistentMap<V> {
  private static readonly EMPTY = new PersistentMap<never>(0, undefined);

  private constructor(
    /** Number of entries. */
    readonly size: number,
    private readonly root: Trie<V>,
  ) {}

  static empty<V>(): PersistentMap<V> {
    return PersistentMap.EMPTY as PersistentMap<V>;
  }

  get(key: string): V | undefined {
    return leafOf(this.root, fnv1a(key))?.get(key);
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** A map with `key` set to `value`; this same map when it already holds that exact value. */
  set(key: string, value: V): PersistentMap<V> {
    const hash = fnv1a(key);
    const leaf = leafOf(this.root, hash);
    const previous = leaf?.get(key);
    if (previous === value && previous !== undefined) return this;
    const next = new Map(leaf).set(key, value);
    return new PersistentMap(
      this.size + (previous === undefined ? 1 : 0),
      place(this.root, hash, 0, next),
    );
  }

  /** A map without `key`; this same map when `key` was absent. */
  delete(key: string): PersistentMap<V> {
    const hash = fnv1a(key);
    const leaf = leafOf(this.root, hash);
    if (!leaf?.has(key)) return this;
    const next = new Map(leaf);
    next.delete(key);
    return new PersistentMap(this.size - 1, place(this.root, hash, 0, next));
  }

  /**
   * Keys whose value differs between this map and `other` (added, changed or
   * deleted), in no particular order. Subtrees the two maps share are
   * skipped, so comparing a map with one derived from it costs
   * O(changes), not O(n).
   */
  changedKeys(other: PersistentMap<V>): string[] {
    const changed: string[] = [];
    diff(this.root, other.root, 0, changed);
    return changed;
  }

  /** Every value, in no particular order. */
  *values(): IterableIterator<V> {
    yield* valuesIn(this.root, 0);
  }
}

// ---------------------------------------------------------------------------

/** A branch (32 slots) above `DEPTH`, a leaf at it; `undefined` when empty. */
type Trie<V> = readonly Trie<V>[] | ReadonlyMap<string, V> | undefined;

/** Levels of branches; each consumes 5 bits of the hash. */
const DEPTH = 3;

function slot(hash: number, level: number): number {
  return (hash >>> (level * 5)) & 31;
}

function leafOf<V>(node: Trie<V>, hash: number): ReadonlyMap<string, V> | undefined {
  for (let level = 0; level < DEPTH && node; level++) {
    node = (node as readonly Trie<V>[])[slot(hash, level)];
  }
  return node as ReadonlyMap<string, V> | undefined;
}

/** `node` with the leaf for `hash` replaced by `leaf`: copies one path. */
function place<V>(node: Trie<V>, hash: number, level: number, leaf: Map<string, V>): Trie<V> {
  if (level === DEPTH) return leaf;
  const branch = node ? (node as readonly Trie<V>[]).slice() : new Array<Trie<V>>(32);
  const at = slot(hash, level);
  branch[at] = place(branch[at], hash, level + 1, leaf);
  return branch;
}

function diff<V>(a: Trie<V>, b: Trie<V>, level: number, changed: string[]): void {
  if (a === b) return;
  if (level < DEPTH) {
    for (let i = 0; i < 32; i++) {
      diff(
        (a as Trie<V>[] | undefined)?.[i],
        (b as Trie<V>[] | undefined)?.[i],
        level + 1,
        changed,
      );
    }
    return;
  }
  const before = (a ?? new Map()) as ReadonlyMap<string, V>;
  const after = (b ?? new Map()) as ReadonlyMap<string, V>;
  for (const [key, value] of before) if (after.get(key) !== value) changed.push(key);
  for (const key of after.keys()) if (!before.has(key)) changed.push(key);
}

function* valuesIn<V>(node: Trie<V>, level: number): IterableIterator<V> {
  if (!node) return;
  if (level === DEPTH) yield* (node as ReadonlyMap<string, V>).values();
  else for (const child of node as readonly Trie<V>[]) yield* valuesIn(child, level + 1);
}
