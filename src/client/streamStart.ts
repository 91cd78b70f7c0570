import type { QueryClient } from '@tanstack/query-core';
import type { Timeline } from '../index';
import { historyQueryHash, messagesQueryKey } from './conversationStore';

/**
 * Calls `ready` once the conversation's history query (if there is one) has
 * settled, so the stream can open after the loaded range instead of asking
 * for the whole conversation; at once when there is no such query, or it
 * is not going to fetch. Returns a cancel function.
 */
export function whenHistorySettled(
  queryClient: QueryClient,
  conversationId: string,
  ready: () => void,
): () => void {
  const cache = queryClient.getQueryCache();
  const queryKey = messagesQueryKey(conversationId);
  const waiting = () => {
    const query = cache.find({ queryKey, exact: true });
    return (
      query !== undefined &&
      query.state.status === 'pending' &&
      (query.state.fetchStatus === 'fetching' || query.isActive())
    );
  };
  const hash = historyQueryHash(queryClient, conversationId);
  const unsubscribe = cache.subscribe((event) => {
    // On `updated` (not on observer events, which can run first): the store, subscribed
    // before us, has then merged the page, so the stream URL can start after it.
    if (event.query.queryHash !== hash) return;
    if ((event.type !== 'updated' && event.type !== 'removed') || waiting()) return;
    settle();
  });
  // Checked on the next task, not now: a history query created in this render is neither
  // fetching nor observed until its component's effects have run, which comes after a
  // child's (a stream hook below the history hook would otherwise open without `?after=`
  // and be sent the whole conversation).
  const check = setTimeout(() => {
    if (!waiting()) settle();
  }, 0);
  const cancel = () => {
    unsubscribe();
    clearTimeout(check);
  };
  function settle() {
    cancel();
    ready();
  }
  return cancel;
}

/**
 * The stream URL with `?after=` set to the highest sequence up to which the
 * timeline holds every message, final: the server then sends only what
 * follows. Unchanged when the timeline holds nothing yet.
 */
export function streamUrlAfter(url: string, timeline: Timeline): string {
  const after = settledSequence(timeline);
  if (after <= 0) return url;
  return `${url}${url.includes('?') ? '&' : '?'}after=${after}`;
}

// ---------------------------------------------------------------------------

/**
 * Below the first gap and below the first message still pending or
 * streaming (its next deltas must come), counting only what lies above the
 * timeline's start: older pages are history, not the stream's business.
 */
function settledSequence(timeline: Timeline): number {
  let settled = timeline.gaps[0] ? timeline.gaps[0].from - 1 : timeline.lastSequence;
  const { keys } = timeline;
  for (let i = keys.length - 1; i >= 0; i--) {
    const message = timeline.get(keys[i]!)!;
    if (message.sequence === null) continue;
    if (message.sequence <= timeline.start) break;
    if (message.status === 'pending' || message.status === 'streaming') {
      settled = Math.min(settled, message.sequence - 1);
    }
  }
  return settled;
}
