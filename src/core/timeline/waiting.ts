import type { TimelineMessage } from '../compareMessages';
import type { DeltaEvent, StatusEvent } from '../schemas';
import { supersedes } from '../status';
import { withoutError } from './mergeMessage';
import type { PersistentMap } from './PersistentMap';
import { addWaitingDelta } from './waitingDeltas';

/** Deltas and status changes that arrived before their message (or ahead of its content). */
export interface Waiting {
  readonly deltas: readonly DeltaEvent[];
  readonly status?: StatusEvent;
}

/** The part of one change to a timeline (see Change.ts) that waiting events read and update. */
export interface WaitingState {
  waiting: PersistentMap<Waiting>;
  readonly entries: PersistentMap<TimelineMessage>;
  readonly keyById: PersistentMap<string>;
  put(key: string, next: TimelineMessage, previous: TimelineMessage | undefined): void;
}

/**
 * Applies the events waiting for `messageId`, plus `arriving` ones, as far
 * as the message's content allows; keeps the rest waiting (all of them
 * while the message itself has not arrived).
 */
export function settle(state: WaitingState, messageId: string, arriving?: Waiting): void {
  const stored = state.waiting.get(messageId);
  let waiting = stored;
  if (arriving) {
    let deltas = stored?.deltas ?? [];
    for (const delta of arriving.deltas) deltas = addWaitingDelta(deltas, delta);
    const status = arriving.status ?? stored?.status;
    // A replayed event that is already waiting changes nothing.
    if (stored && deltas === stored.deltas && sameStatus(status, stored.status))
      arriving = undefined;
    else waiting = status ? { deltas, status } : { deltas };
  }
  if (!waiting) return;
  const key = state.keyById.get(messageId) ?? messageId;
  const message = state.entries.get(key);
  if (!message) {
    if (arriving) state.waiting = state.waiting.set(messageId, waiting);
    return;
  }

  let { content, status, error } = message;
  // Kept sorted by offset (addWaitingDelta).
  const { deltas } = waiting;
  let applied = 0;
  for (const delta of deltas) {
    // Sorted by offset: once one is ahead of the content, so are the rest.
    if (delta.offset > content.length) break;
    const overlap = content.length - delta.offset;
    if (overlap < delta.text.length) content += delta.text.slice(overlap);
    // Text moves a pending message to streaming, never a final one back.
    if (delta.text.length > 0 && !supersedes(status, 'streaming')) status = 'streaming';
    applied++;
  }
  // A status older than what the message already shows is simply dropped.
  if (waiting.status && supersedes(waiting.status.status, status)) {
    status = waiting.status.status;
    error = status === 'failed' ? (waiting.status.error ?? error) : undefined;
  }
  if (!arriving && applied === 0 && !waiting.status) return;

  const rest = applied === 0 ? deltas : deltas.slice(applied);
  // Both sorted by offset, so one linear pass compares them.
  const unchanged =
    stored !== undefined &&
    stored.status === undefined &&
    rest.length === stored.deltas.length &&
    rest.every((delta, i) => delta === stored.deltas[i]);
  // When nothing left the waiting list, keep the stored entry itself, so the timeline stays the same value.
  if (!unchanged && rest.length > 0) state.waiting = state.waiting.set(messageId, { deltas: rest });
  else if (!unchanged && stored) state.waiting = state.waiting.delete(messageId);
  if (content !== message.content || status !== message.status || error !== message.error) {
    const next: TimelineMessage = { ...withoutError(message), content, status };
    state.put(key, error === undefined ? next : { ...next, error }, message);
  }
}

/** The same status change (or both none). */
function sameStatus(a: StatusEvent | undefined, b: StatusEvent | undefined): boolean {
  return a === b || (a?.status === b?.status && a?.error === b?.error);
}
