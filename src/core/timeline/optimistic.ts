import type { SendOrder, TimelineMessage } from '../compareMessages';
import { ValidationError } from '../errors';
import { draftSchema, parseWith } from '../schemas';
import { warn } from '../warn';
import { Change } from './Change';
import { withoutError } from './mergeMessage';
import { parseServerMessage } from './parse';
import { asValue } from './TimelineValue';
import type { OptimisticDraft, Timeline } from './types';

/**
 * Shows a message the user is sending, before the server has stored it. It
 * has no sequence yet: while pending it sorts after every sequenced message
 * (history and replies that arrive later go above it, since the server
 * stored them first), and among other unconfirmed messages by send order,
 * so two pending messages never swap. `failOptimistic` anchors a failed one
 * where it was shown.
 * Calling it again with the `clientId` of a failed message marks it pending
 * again (a retry: it is a new send, so it moves after everything, like any
 * new message); with a pending or confirmed one, it changes nothing.
 *
 * @example
 * const clientId = createClientId();
 * timeline = addOptimistic(timeline, { clientId, content: 'Hello' });
 */
export function addOptimistic(timeline: Timeline, draft: OptimisticDraft): Timeline {
  const base = asValue(timeline);
  const {
    clientId,
    content,
    role = 'user',
    createdAt,
    ...extra
  } = parseWith(
    draftSchema,
    draft,
    (issues, cause) => new ValidationError('optimistic message', issues, { cause }),
  );

  const existing = base.entries.get(clientId);
  if (existing && !(existing.sequence === null && existing.status === 'failed')) return base;

  const change = new Change(base);
  // An unsent message will be stored after every message the client knows of now or learns
  // of before it is stored (one sender's sends leave in order), so it sorts after all of
  // them: a sequenced message that arrives later is inserted above it, never the other way.
  // Anchoring it at the last sequence known at send() let a newer send sort above an older one.
  const sendOrder: SendOrder = { afterSequence: Number.POSITIVE_INFINITY, index: base.sendCount };
  change.sendCount++;
  const message: TimelineMessage = existing
    ? { ...withoutError(existing), content, status: 'pending', sendOrder }
    : {
        ...extra,
        id: clientId,
        clientId,
        conversationId: base.conversationId,
        sequence: null,
        createdAt: createdAt ?? new Date().toISOString(),
        role,
        content,
        status: 'pending',
        sendOrder,
      };
  change.put(clientId, message, existing);
  return change.finish();
}

/**
 * Replaces an optimistic message with the server's stored copy (e.g. the POST
 * response). The message keeps its key (`clientId`), so a React row is not
 * remounted. If the stream already delivered the same message, it is merged,
 * never duplicated.
 *
 * @example
 * const { message } = await response.json();
 * timeline = confirmOptimistic(timeline, clientId, message);
 */
export function confirmOptimistic(
  timeline: Timeline,
  clientId: string,
  message: unknown,
): Timeline {
  const base = asValue(timeline);
  const parsed = parseServerMessage(base, message, []);
  if (parsed.clientId !== undefined && parsed.clientId !== clientId) {
    throw new ValidationError('confirmation', [
      {
        path: ['clientId'],
        message: `the server message carries clientId "${parsed.clientId}", not "${clientId}"`,
      },
    ]);
  }
  if (
    process.env.NODE_ENV !== 'production' &&
    !base.entries.has(clientId) &&
    !base.keyById.has(parsed.id)
  ) {
    warn(
      'confirmOptimistic',
      `no optimistic message with clientId "${clientId}"; the server message "${parsed.id}" was added as new. Call addOptimistic before sending.`,
    );
  }
  const change = new Change(base);
  change.upsert({ ...parsed, clientId }, 'confirmOptimistic');
  return change.finish();
}

/**
 * Marks an unconfirmed optimistic message failed (e.g. its POST failed). It
 * stays where it is shown: it is anchored after the last sequence known now,
 * so messages that arrive later sort below it. A message the server already
 * confirmed (its echo arrived) is left as it is: it was stored, so it is not
 * failed.
 *
 * @example
 * timeline = failOptimistic(timeline, clientId, 'Network error');
 */
export function failOptimistic(timeline: Timeline, clientId: string, error?: string): Timeline {
  const base = asValue(timeline);
  const existing = base.entries.get(clientId);
  if (!existing || existing.sequence !== null) return base;
  if (existing.status === 'failed' && existing.error === error) return base;
  const change = new Change(base);
  // A failed message stays where it was shown (after everything known now) instead of
  // following the messages that arrive after it: it is anchored at the last sequence.
  const anchor = base.lastSequence === base.start ? Number.POSITIVE_INFINITY : base.lastSequence;
  const sendOrder = existing.sendOrder && { ...existing.sendOrder, afterSequence: anchor };
  const failed: TimelineMessage = {
    ...withoutError(existing),
    status: 'failed',
    ...(sendOrder && { sendOrder }),
  };
  change.put(clientId, error === undefined ? failed : { ...failed, error }, existing);
  return change.finish();
}

/**
 * Removes an optimistic message the server has not confirmed (e.g. the user
 * gave up on a failed send). Confirmed messages are never removed.
 */
export function discardOptimistic(timeline: Timeline, clientId: string): Timeline {
  const base = asValue(timeline);
  const existing = base.entries.get(clientId);
  if (!existing || existing.sequence !== null) return base;
  const change = new Change(base);
  change.remove(clientId, existing);
  return change.finish();
}
