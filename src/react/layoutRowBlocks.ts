/**
 * How `OrderedMessageList` groups its rows: runs of consecutive keys in
 * blocks of about `BLOCK_SIZE`, each block one memoized component.
 *
 * Why: to reach the one row a streamed token changed, React's work loop
 * clones every child of each fiber on the way down (`cloneChildFibers`),
 * and walks each clone through begin, complete and commit. Under a flat list
 * of n rows that is O(n) per token; under blocks it is n / BLOCK_SIZE
 * blocks plus BLOCK_SIZE rows.
 *
 * A React key is unique among siblings only, so a row that changes block is
 * remounted (a new DOM node). The layout therefore keeps every row in the
 * block it was first put in:
 * - a new key joins the block of the key before it while that block has
 *   room (or when it lands between two keys of that block); otherwise it
 *   starts a new block. Appends fill the last block, then open a new one;
 *   a gap fill only grows the block it lands in;
 * - a block holding an unconfirmed message (no sequence yet) is not closed
 *   behind it, up to `OPEN_BLOCK_LIMIT` keys: confirming the message can
 *   move it past messages that arrived after it was sent, and those stay in
 *   its block, so the confirmation never crosses a block boundary;
 * - a key that did cross one (a sequence reassigned by the server, or an
 *   unconfirmed message left alone for more than `OPEN_BLOCK_LIMIT` later
 *   messages) goes where it now belongs, as a new row; the keys it moved
 *   past stay where they are.
 *
 * @internal Not part of the public API.
 */

/** One block: a stable id (its React key) and its keys, in display order. */
export interface RowBlock {
  readonly id: number;
  readonly keys: readonly string[];
}

export interface RowBlockLayout {
  /** The order this layout is for. */
  readonly keys: readonly string[];
  readonly blocks: readonly RowBlock[];
  /** Key → index of its block in `blocks`. */
  readonly blockOf: ReadonlyMap<string, number>;
  readonly nextId: number;
}

/** Rows per block; a streamed token costs about n / BLOCK_SIZE + BLOCK_SIZE fiber visits. */
export const BLOCK_SIZE = 64;
/** How far a block holding an unconfirmed message may grow before it closes anyway. */
export const OPEN_BLOCK_LIMIT = 16 * BLOCK_SIZE;

interface Draft {
  id: number;
  /** Index of the previous layout's block it continues, or -1 for a new block. */
  from: number;
  keys: string[];
  unconfirmed: boolean;
}

/**
 * The blocks for `keys`, keeping each key of `previous` in its block where
 * the order allows. O(n log n) per call, so only when the order changed (not
 * per streamed token); the same layout when `keys` did not change.
 */
export function layoutRowBlocks(
  keys: readonly string[],
  previous: RowBlockLayout | undefined,
  isUnconfirmed: (key: string) => boolean,
): RowBlockLayout {
  if (previous?.keys === keys) return previous;
  const oldBlocks = previous?.blocks ?? [];
  let nextId = previous?.nextId ?? 0;
  const was = keys.map((key) => previous?.blockOf.get(key) ?? -1);
  const kept = keptKeys(was);
  // Per position: the old block of the next kept key (-1 if none), so a key inserted inside a block stays in it.
  const nextKept: number[] = [];
  for (let i = keys.length - 1, next = -1; i >= 0; i--) {
    nextKept[i] = next;
    if (kept[i]) next = was[i]!;
  }
  const drafts: Draft[] = [];
  let current: Draft | undefined;
  keys.forEach((key, i) => {
    const from = was[i]!;
    let start: Draft | undefined;
    if (kept[i]) {
      if (current?.from !== from) start = draft(oldBlocks[from]!.id, from);
    } else if (
      !current ||
      ((current.from < 0 || nextKept[i] !== current.from) &&
        current.keys.length >= (current.unconfirmed ? OPEN_BLOCK_LIMIT : BLOCK_SIZE))
    ) {
      start = draft(nextId++, -1);
    }
    if (start) {
      current = start;
      drafts.push(start);
    }
    current!.keys.push(key);
    if (isUnconfirmed(key)) current!.unconfirmed = true;
  });
  const blockOf = new Map<string, number>();
  const blocks = drafts.map((d, index): RowBlock => {
    for (const key of d.keys) blockOf.set(key, index);
    const old = oldBlocks[d.from];
    // An unchanged block is the same object, so its memoized component skips rendering.
    return old && sameKeys(old.keys, d.keys) ? old : { id: d.id, keys: d.keys };
  });
  return { keys, blocks, blockOf, nextId };
}

// ---------------------------------------------------------------------------

/**
 * Which keys stay in their old block: the most old keys whose blocks are in
 * order along `keys` (a longest non-decreasing subsequence of `was`, ignoring
 * new keys, -1). Usually all of them; a key that moved past another block's
 * keys is the one left out, not the keys it moved past.
 */
function keptKeys(was: readonly number[]): boolean[] {
  const kept = was.map(() => false);
  // tails[l]: the position ending the best run of length l + 1 found so far; back: its predecessor.
  const tails: number[] = [];
  const back: number[] = [];
  was.forEach((block, i) => {
    if (block < 0) return;
    let low = 0;
    let high = tails.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (was[tails[mid]!]! <= block) low = mid + 1;
      else high = mid;
    }
    back[i] = low > 0 ? tails[low - 1]! : -1;
    tails[low] = i;
  });
  for (let i = tails.at(-1) ?? -1; i >= 0; i = back[i]!) kept[i] = true;
  return kept;
}

function draft(id: number, from: number): Draft {
  return { id, from, keys: [], unconfirmed: false };
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((key, i) => key === b[i]);
}
