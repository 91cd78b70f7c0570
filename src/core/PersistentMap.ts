import { fnv1a } from './hash';

/**
 * An immutable string-keyed map with structural sharing (a hash array mapped
 * trie). `set` and `delete` copy only the path to one leaf, O(log32 n), so a
 * timeline of 100,000 messages updates one message without copying the rest,
 * and every older timeline value stays intact.
 *
 * @internal Not part of the public API.
 */
export class PersistentMap<V> {
  private static readonly EMPTY = new PersistentMap<never>(0, { bitmap: 0, children: [] });

  private constructor(
    /** Number of entries. */
    readonly size: number,
    private readonly root: Branch<V>,
  ) {}

  static empty<V>(): PersistentMap<V> {
    return PersistentMap.EMPTY as PersistentMap<V>;
  }

  get(key: string): V | undefined {
    const hash = fnv1a(key);
    let node: Branch<V> = this.root;
    for (let shift = 0; ; shift += BITS) {
      const bit = 1 << ((hash >>> shift) & MASK);
      if ((node.bitmap & bit) === 0) return undefined;
      const child: Child<V> = node.children[indexOf(node.bitmap, bit)]!;
      if (!isBranch(child)) {
        if (child.hash !== hash) return undefined;
        const at = child.keys.indexOf(key);
        return at === -1 ? undefined : child.values[at];
      }
      node = child;
    }
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** A map with `key` set to `value`; this same map when it already holds that exact value. */
  set(key: string, value: V): PersistentMap<V> {
    const change = { added: false };
    const root = setIn(this.root, 0, fnv1a(key), key, value, change);
    if (root === this.root) return this;
    return new PersistentMap(this.size + (change.added ? 1 : 0), root);
  }

  /** A map without `key`; this same map when `key` was absent. */
  delete(key: string): PersistentMap<V> {
    const root = deleteIn(this.root, 0, fnv1a(key), key);
    if (root === this.root) return this;
    return new PersistentMap(this.size - 1, root ?? PersistentMap.EMPTY.root);
  }

  /**
   * Keys whose value differs between this map and `other` (added, changed or
   * deleted), in no particular order. Subtrees the two maps share are
   * skipped, so comparing a map with one derived from it costs
   * O(changes · log32 n), not O(n).
   */
  changedKeys(other: PersistentMap<V>): string[] {
    const changed: string[] = [];
    diffIn(this.root, other.root, changed);
    return changed;
  }

  /** Every value, in no particular order. */
  *values(): IterableIterator<V> {
    yield* valuesIn(this.root);
  }
}

// ---------------------------------------------------------------------------

const BITS = 5;
const MASK = 31;

interface Leaf<V> {
  readonly hash: number;
  /** More than one key only when full 32-bit hashes collide. */
  readonly keys: readonly string[];
  readonly values: readonly V[];
}

interface Branch<V> {
  readonly bitmap: number;
  readonly children: readonly Child<V>[];
}

type Child<V> = Leaf<V> | Branch<V>;

function isBranch<V>(node: Child<V>): node is Branch<V> {
  return 'bitmap' in node;
}

function setIn<V>(
  node: Branch<V>,
  shift: number,
  hash: number,
  key: string,
  value: V,
  change: { added: boolean },
): Branch<V> {
  const bit = 1 << ((hash >>> shift) & MASK);
  const at = indexOf(node.bitmap, bit);
  if ((node.bitmap & bit) === 0) {
    change.added = true;
    const leaf: Leaf<V> = { hash, keys: [key], values: [value] };
    return { bitmap: node.bitmap | bit, children: insertAt(node.children, at, leaf) };
  }
  const child = node.children[at]!;
  let next: Child<V>;
  if (isBranch(child)) {
    next = setIn(child, shift + BITS, hash, key, value, change);
  } else if (child.hash === hash) {
    const existing = child.keys.indexOf(key);
    if (existing !== -1) {
      if (child.values[existing] === value) return node;
      next = { hash, keys: child.keys, values: replaceAt(child.values, existing, value) };
    } else {
      change.added = true;
      next = { hash, keys: [...child.keys, key], values: [...child.values, value] };
    }
  } else {
    // Two different hashes share this slot: push both one level down.
    change.added = true;
    const split: Branch<V> = { bitmap: 0, children: [] };
    const withOld = placeLeaf(split, shift + BITS, child);
    next = setIn(withOld, shift + BITS, hash, key, value, change);
  }
  if (next === child) return node;
  return { bitmap: node.bitmap, children: replaceAt(node.children, at, next) };
}

function placeLeaf<V>(node: Branch<V>, shift: number, leaf: Leaf<V>): Branch<V> {
  const bit = 1 << ((leaf.hash >>> shift) & MASK);
  return {
    bitmap: node.bitmap | bit,
    children: insertAt(node.children, indexOf(node.bitmap, bit), leaf),
  };
}

/** The branch without `key`; the same branch when absent; `undefined` when it becomes empty. */
function deleteIn<V>(
  node: Branch<V>,
  shift: number,
  hash: number,
  key: string,
): Branch<V> | undefined {
  const bit = 1 << ((hash >>> shift) & MASK);
  if ((node.bitmap & bit) === 0) return node;
  const at = indexOf(node.bitmap, bit);
  const child = node.children[at]!;
  let next: Child<V> | undefined;
  if (isBranch(child)) {
    next = deleteIn(child, shift + BITS, hash, key);
  } else {
    const existing = child.hash === hash ? child.keys.indexOf(key) : -1;
    if (existing === -1) return node;
    next =
      child.keys.length === 1
        ? undefined
        : { hash, keys: removeAt(child.keys, existing), values: removeAt(child.values, existing) };
  }
  if (next === child) return node;
  if (next !== undefined)
    return { bitmap: node.bitmap, children: replaceAt(node.children, at, next) };
  const bitmap = node.bitmap & ~bit;
  return bitmap === 0 ? undefined : { bitmap, children: removeAt(node.children, at) };
}

function diffIn<V>(a: Child<V> | undefined, b: Child<V> | undefined, changed: string[]): void {
  if (a === b) return;
  if (a && b && isBranch(a) && isBranch(b)) {
    let bits = a.bitmap | b.bitmap;
    while (bits !== 0) {
      const bit = bits & -bits;
      bits ^= bit;
      diffIn(
        a.bitmap & bit ? a.children[indexOf(a.bitmap, bit)] : undefined,
        b.bitmap & bit ? b.children[indexOf(b.bitmap, bit)] : undefined,
        changed,
      );
    }
    return;
  }
  // A leaf on either side (or a missing slot): compare the few entries below it one by one.
  const before = entriesIn(a);
  const after = entriesIn(b);
  for (const [key, value] of before) if (after.get(key) !== value) changed.push(key);
  for (const key of after.keys()) if (!before.has(key)) changed.push(key);
}

function entriesIn<V>(node: Child<V> | undefined, into = new Map<string, V>()): Map<string, V> {
  if (!node) return into;
  if (isBranch(node)) for (const child of node.children) entriesIn(child, into);
  else for (let i = 0; i < node.keys.length; i++) into.set(node.keys[i]!, node.values[i]!);
  return into;
}

function* valuesIn<V>(node: Branch<V>): IterableIterator<V> {
  for (const child of node.children) {
    if (isBranch(child)) yield* valuesIn(child);
    else yield* child.values;
  }
}

function indexOf(bitmap: number, bit: number): number {
  return popcount(bitmap & (bit - 1));
}

function popcount(x: number): number {
  let n = x - ((x >>> 1) & 0x55555555);
  n = (n & 0x33333333) + ((n >>> 2) & 0x33333333);
  return (((n + (n >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

function insertAt<T>(items: readonly T[], at: number, item: T): T[] {
  const copy = items.slice(0, at);
  copy.push(item);
  for (let i = at; i < items.length; i++) copy.push(items[i]!);
  return copy;
}

function replaceAt<T>(items: readonly T[], at: number, item: T): T[] {
  const copy = items.slice();
  copy[at] = item;
  return copy;
}

function removeAt<T>(items: readonly T[], at: number): T[] {
  const copy = items.slice(0, at);
  for (let i = at + 1; i < items.length; i++) copy.push(items[i]!);
  return copy;
}
