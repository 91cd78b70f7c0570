import type { DeltaEvent } from '../schemas';

/**
 * Most deltas a timeline holds for one message while they wait (ahead of
 * its content, or before the message arrived). Past it, the delta furthest
 * ahead is dropped: the hole it leaves heals with the next `message`
 * snapshot or a refetch, as any lost delta does.
 */
export const MAX_WAITING_DELTAS = 1000;

/**
 * `deltas` (sorted by offset) with `delta` added in place, as a new array;
 * the same array when it is already waiting or is the one dropped at the
 * cap. A binary search finds its place, and the copy is at most
 * MAX_WAITING_DELTAS long, so each costs a bounded amount however many
 * arrive (a sort per delta made 10,000 of them take 4 s).
 */
export function addWaitingDelta(
  deltas: readonly DeltaEvent[],
  delta: DeltaEvent,
): readonly DeltaEvent[] {
  let low = 0;
  let high = deltas.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (deltas[mid]!.offset <= delta.offset) low = mid + 1;
    else high = mid;
  }
  for (let i = low - 1; i >= 0 && deltas[i]!.offset === delta.offset; i--) {
    if (deltas[i]!.text === delta.text) return deltas;
  }
  if (deltas.length >= MAX_WAITING_DELTAS && low === deltas.length) return deltas;
  const next = [...deltas.slice(0, low), delta, ...deltas.slice(low)];
  if (next.length > MAX_WAITING_DELTAS) next.pop();
  return next;
}
