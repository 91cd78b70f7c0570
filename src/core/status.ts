import type { MessageStatus } from './schemas';

/**
 * The one order of message statuses, shared by the timeline (what a client
 * shows) and the conversation stream's seam (what a connection forwards):
 *
 *     pending < streaming < failed < complete
 *
 * - A status only moves forward: an older one arriving late (a stale
 *   snapshot, a replayed event) is dropped ({@link supersedes}).
 * - `failed` and `complete` are both final ({@link isFinal}): the reply has
 *   ended and no more text follows. Between the two, `complete` ranks
 *   higher: a `complete` arriving after `failed` replaces it, a `failed`
 *   arriving after `complete` is dropped, so a timeline ends on the same
 *   status whatever order the two arrive in.
 * - The seam forwards a message's end once per connection: for it the two
 *   final statuses are one stage ({@link statusStage}), so after either no
 *   other status goes out ("failed is final" on the wire; the client's
 *   timeline applies the rank above to what it does receive).
 *
 * @internal Not part of the public API.
 */
const RANK: Readonly<Record<MessageStatus, number>> = {
  pending: 0,
  streaming: 1,
  failed: 2,
  complete: 3,
};

/** The stage of a final status (`failed` or `complete`) in {@link statusStage}. */
export const FINAL_STAGE = 2;

/** The status's place in the order: pending 0, streaming 1, failed 2, complete 3. */
export function statusRank(status: MessageStatus): number {
  return RANK[status];
}

/** Whether `incoming` replaces `current`: it is as far along or further (an equal one replaces, e.g. a newer error). */
export function supersedes(incoming: MessageStatus, current: MessageStatus): boolean {
  return RANK[incoming] >= RANK[current];
}

/** The reply has ended: `failed` or `complete`. */
export function isFinal(status: MessageStatus): status is 'failed' | 'complete' {
  return RANK[status] >= FINAL_STAGE;
}

/** How far a message has come, with both final statuses one stage: pending 0, streaming 1, final {@link FINAL_STAGE}. */
export function statusStage(status: MessageStatus): number {
  return Math.min(RANK[status], FINAL_STAGE);
}
