import type { TimelineMessage } from '../compareMessages';
import type { SequenceGap } from './types';

/** The gap bookkeeping of one change to a timeline (see Change.ts), updated in place. */
export interface GapState {
  gaps: readonly SequenceGap[];
  lastSequence: number;
  /** Sequences at or below this are not expected, so never gaps. */
  readonly start: number;
}

/**
 * Records that `sequence` is present: past `lastSequence` it opens a gap
 * for the sequences skipped; inside a gap it splits (or closes) that gap.
 */
export function noteSequence(state: GapState, sequence: number): void {
  if (sequence <= state.start) return;
  if (sequence > state.lastSequence) {
    if (sequence > state.lastSequence + 1) {
      state.gaps = [...state.gaps, { from: state.lastSequence + 1, to: sequence - 1 }];
    }
    state.lastSequence = sequence;
    return;
  }
  const at = gapContaining(state.gaps, sequence);
  if (at === -1) return;
  const gap = state.gaps[at]!;
  const split: SequenceGap[] = [];
  if (gap.from < sequence) split.push({ from: gap.from, to: sequence - 1 });
  if (sequence < gap.to) split.push({ from: sequence + 1, to: gap.to });
  state.gaps = [...state.gaps.slice(0, at), ...split, ...state.gaps.slice(at + 1)];
}

/** A message's sequence was reassigned (a server bug): recount the gaps from scratch. */
export function recomputeGaps(state: GapState, messages: Iterable<TimelineMessage>): void {
  const seen = new Set<number>();
  for (const message of messages) {
    if (message.sequence !== null && message.sequence > state.start) seen.add(message.sequence);
  }
  const sorted = [...seen].sort((a, b) => a - b);
  const gaps: SequenceGap[] = [];
  let expected = state.start + 1;
  for (const sequence of sorted) {
    if (sequence > expected) gaps.push({ from: expected, to: sequence - 1 });
    expected = sequence + 1;
  }
  state.gaps = gaps;
}

/** `gaps` without the sequences at or below `start`. */
export function gapsAfter(gaps: readonly SequenceGap[], start: number): SequenceGap[] {
  return gaps
    .filter((gap) => gap.to > start)
    .map((gap) => (gap.from > start ? gap : { from: start + 1, to: gap.to }));
}

/** The index of the gap holding `sequence` (binary search), or -1. */
function gapContaining(gaps: readonly SequenceGap[], sequence: number): number {
  let low = 0;
  let high = gaps.length - 1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    const gap = gaps[mid]!;
    if (sequence < gap.from) high = mid - 1;
    else if (sequence > gap.to) low = mid + 1;
    else return mid;
  }
  return -1;
}
