import { parseMessage } from '../../core/schemas';
import type { ReplyUpdate } from './createReplyWriter';
import { type MessageBus, MessageBusError } from './messageBus';
import { persistRetryOptions, withRetry } from './persistRetry';

/** Options of {@link finishAbandonedReplies}. */
export interface FinishAbandonedRepliesOptions {
  /** Where every subscriber learns that each reply ended. */
  bus: MessageBus;
  /**
   * The replies, as stored, that no live process is streaming any more: the
   * app decides which (an `updated_at` older than a few persist intervals,
   * or a lease that a crashed instance lost). Replies already `complete` or
   * `failed` are skipped.
   */
  replies: Iterable<unknown> | AsyncIterable<unknown>;
  /** The same `persist` the reply writer uses. */
  persist: (update: ReplyUpdate) => Promise<void>;
  /**
   * The `error` each reply is failed with.
   * @default 'The reply was interrupted: the process streaming it stopped.'
   */
  error?: string;
  /** @default 3 (see `createReplyWriter`) */
  persistRetries?: number;
  /** @default 100 */
  persistRetryDelayMs?: number;
  /**
   * Called with each reply that could not be finished (it stays as it was,
   * for the next sweep). The others are finished regardless.
   * @default console.error
   */
  onError?: (error: unknown) => void;
}

/**
 * Finishes replies left `pending` or `streaming` by a process that died
 * mid-reply: stores each as `failed` with the content it had (retrying like
 * the writer), then publishes the whole message, so every subscriber stops
 * waiting and shows it failed. Run it at startup and every minute or so;
 * it is idempotent. Resolves with how many replies it finished.
 *
 * @example
 * const { rows } = await pool.query(`SELECT * FROM messages WHERE status IN ('pending', 'streaming')
 *   AND updated_at < now() - interval '1 minute'`);
 * await finishAbandonedReplies({ bus, replies: rows.map(toMessage), persist });
 */
export async function finishAbandonedReplies(
  options: FinishAbandonedRepliesOptions,
): Promise<number> {
  const { bus, persist } = options;
  if (typeof persist !== 'function') {
    throw new MessageBusError(
      'invalid_option',
      '[seqline] [bus] finishAbandonedReplies needs persist: (update) => store the content and status',
    );
  }
  const retry = persistRetryOptions(options);
  const error = options.error ?? 'The reply was interrupted: the process streaming it stopped.';
  const onError = options.onError ?? ((reason: unknown) => console.error(reason));
  let finished = 0;
  for await (const row of options.replies) {
    try {
      const message = parseMessage(row);
      if (message.status === 'complete' || message.status === 'failed') continue;
      const { id: messageId, conversationId, content } = message;
      await withRetry(retry, `finishing abandoned reply ${messageId}`, () =>
        persist({ messageId, conversationId, content, status: 'failed', error }),
      );
      finished++;
      await bus
        .publish(conversationId, {
          type: 'message',
          message: { ...message, status: 'failed', error },
        })
        .catch(onError);
    } catch (reason) {
      onError(reason);
    }
  }
  return finished;
}
