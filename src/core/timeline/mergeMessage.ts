import type { TimelineMessage } from '../compareMessages';
import type { Message } from '../schemas';
import { supersedes } from '../status';

/**
 * Folds a server snapshot into what the timeline has. Content never shrinks
 * (a stale snapshot keeps the longer streamed text), status never moves back
 * (see status.ts), a sequence is never unset.
 */
export function mergeMessage(current: TimelineMessage, incoming: Message): TimelineMessage {
  const content =
    incoming.content.length >= current.content.length ? incoming.content : current.content;
  const incomingWins = supersedes(incoming.status, current.status);
  const status = incomingWins ? incoming.status : current.status;
  const error = status === 'failed' ? (incomingWins ? incoming.error : current.error) : undefined;
  const sequence = incoming.sequence ?? current.sequence;
  const { sendOrder, ...rest } = withoutError(current);
  const merged = {
    ...rest,
    ...withoutError(incoming),
    sequence,
    content,
    status,
  } as TimelineMessage;
  // The local send order only matters until the server has sequenced the message.
  const ordered = sequence === null && sendOrder ? { ...merged, sendOrder } : merged;
  if (error !== undefined) ordered.error = error;
  return deepEqual(ordered, current) ? current : ordered;
}

/** A server message without the `clientId` or `error` a SQL NULL left undefined: absent, as the timeline keeps it. */
export function withoutNulls(message: Message): Message {
  if (
    !('clientId' in message && message.clientId === undefined) &&
    !('error' in message && message.error === undefined)
  )
    return message;
  const { clientId, error, ...rest } = message;
  return {
    ...rest,
    ...(clientId == null ? {} : { clientId }),
    ...(error == null ? {} : { error }),
  } as Message;
}

/** The message without its `error` field (only `failed` messages carry one). */
export function withoutError<T extends { error?: string | undefined }>(message: T): T {
  if (!('error' in message)) return message;
  const { error: _, ...rest } = message;
  return rest as T;
}

/** Structural equality for JSON-like values, so a refetched copy of unchanged metadata is "no change". */
function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a);
  if (keysA.length !== Object.keys(b).length) return false;
  const recordA = a as Record<string, unknown>;
  const recordB = b as Record<string, unknown>;
  return keysA.every((key) => key in recordB && deepEqual(recordA[key], recordB[key]));
}
