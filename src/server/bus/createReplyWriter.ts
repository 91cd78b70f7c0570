import { type Message, parseMessage } from '../../core/schemas';
import type { MessageBus } from './messageBus';
import { MessageBusError } from './messageBus';
import { persistRetryOptions, withRetry } from './persistRetry';

/** What `persist` stores: the reply's content so far and where it is in its life. */
export interface ReplyUpdate {
  /** The reply's server id. */
  messageId: string;
  conversationId: string;
  /** The whole content so far (not just the new part): one `UPDATE … SET content = $2`. */
  content: string;
  status: 'streaming' | 'complete' | 'failed';
  error?: string;
}

/** Options of {@link createReplyWriter}. */
export interface ReplyWriterOptions {
  /** Where the deltas go. */
  bus: MessageBus;
  /**
   * The reply as stored (with its sequence, usually reserved together with
   * the prompt by `nextRange(conversationId, 2)`). Its `content` is the
   * starting content, usually `''`.
   */
  message: Message;
  /**
   * Stores the reply's content and status, e.g.
   * `UPDATE messages SET content = $2, status = $3 WHERE id = $1`. Calls
   * never overlap and never go backwards, so the last write always wins.
   */
  persist: (update: ReplyUpdate) => Promise<void>;
  /**
   * Persist at least this often while streaming, so a subscriber joining on
   * another instance catches up to within this much of the live text.
   * @default 250
   */
  persistEveryMs?: number;
  /**
   * …or after this many new characters, whichever comes first.
   * @default 200
   */
  persistEveryChars?: number;
  /**
   * Times a failed `persist` is tried again inside the writer, with
   * exponential backoff from `persistRetryDelayMs`, before the call that
   * needed it throws. Nothing changes until a persist succeeds, so that
   * call can simply be made again.
   * @default 3
   */
  persistRetries?: number;
  /**
   * Milliseconds before the first retry of a failed `persist`; each next
   * wait doubles (at most 30 s).
   * @default 100
   */
  persistRetryDelayMs?: number;
  /**
   * Called when publishing to the bus fails (the bus is down). Streaming goes
   * on: the content is still persisted, and the next publish that gets
   * through carries the whole message instead of a delta, so every
   * subscriber heals.
   * @default console.error
   */
  onError?: (error: unknown) => void;
  /** @default Date.now */
  now?: () => number;
}

/** Streams one reply: publishes each delta, persists the content as it grows, and ends it. */
export interface ReplyWriter {
  /** The content so far. */
  readonly content: string;
  /** Publishes the `streaming` message (empty content) so every subscriber shows the reply at once. */
  start(): Promise<void>;
  /**
   * Appends `text`: persists when due, then publishes a delta at its offset.
   * When the persist fails (after `persistRetries`), it throws and the
   * content is unchanged, so calling it again with the same text stores it
   * once. With `offset` (where `text` starts in the reply), a call whose
   * text the reply already has is a no-op and an overlap is trimmed, so a
   * retry can never double text even when the caller does not know whether
   * the first call went through.
   */
  append(text: string, offset?: number): Promise<void>;
  /**
   * Persists the whole content as `complete`, then publishes the `complete`
   * status. When the persist fails it throws and the reply is still open:
   * call `complete()` (or `fail()`) again.
   */
  complete(): Promise<void>;
  /** Persists the content as `failed` with `error`, then publishes the `failed` status. Retryable like `complete()`. */
  fail(error: string): Promise<void>;
}

/**
 * The generator side of a streamed reply across instances. The database is
 * the truth a late subscriber catches up from, and the bus carries what
 * happened since: persist every `persistEveryMs` / `persistEveryChars`,
 * publish every delta. The final write happens before the final event, so
 * anyone who sees `complete` and reloads finds the full content stored.
 *
 * Calls must not overlap: await each one (a model's token loop does).
 *
 * @example
 * const writer = createReplyWriter({ bus, message: reply, persist: (u) =>
 *   pool.query('UPDATE messages SET content = $2, status = $3 WHERE id = $1',
 *     [u.messageId, u.content, u.status]).then(() => {}) });
 * await writer.start();
 * for await (const token of model.stream(prompt)) await writer.append(token);
 * await writer.complete();
 */
export function createReplyWriter(options: ReplyWriterOptions): ReplyWriter {
  const { bus, persist } = options;
  const message = parseMessage(options.message);
  const persistEveryMs = options.persistEveryMs ?? 250;
  const persistEveryChars = options.persistEveryChars ?? 200;
  const onError = options.onError ?? ((error: unknown) => console.error(error));
  const now = options.now ?? Date.now;
  const retry = persistRetryOptions(options);
  if (typeof persist !== 'function') {
    throw new MessageBusError(
      'invalid_option',
      '[seqline] [bus] createReplyWriter needs persist: (update) => store the content and status',
    );
  }
  for (const [name, value] of [
    ['persistEveryMs', persistEveryMs],
    ['persistEveryChars', persistEveryChars],
  ] as const) {
    if (!Number.isFinite(value) || value < 0) {
      throw new MessageBusError(
        'invalid_option',
        `[seqline] [bus] ${name} must be 0 or a positive number, got ${String(value)}`,
      );
    }
  }
  const { id: messageId, conversationId } = message;
  let content = message.content;
  /**
   * The first half of a surrogate pair at the end of `content`, not sent or stored until its
   * second half comes: deltas, stores and buses only ever see whole code points (a jsonb
   * column refuses a lone half; a UTF-8 driver turns it into U+FFFD).
   */
  let held = isHighSurrogate(content.charCodeAt(content.length - 1)) ? content.slice(-1) : '';
  let persistedLength = content.length;
  let persistedAt = now();
  let finished = false;
  // After a failed publish the subscribers miss a delta: the next event that gets through is the whole message.
  let heal = false;

  let status: ReplyUpdate['status'] = 'streaming';
  let failure: string | undefined;
  const snapshot = (): Message => ({
    ...message,
    content: held ? content.slice(0, -1) : content,
    status,
    ...(failure === undefined ? {} : { error: failure }),
  });
  const publish = async (event: unknown): Promise<void> => {
    try {
      await bus.publish(conversationId, heal ? { type: 'message', message: snapshot() } : event);
      heal = false;
    } catch (error) {
      heal = true;
      onError(error);
    }
  };
  /** Persists `update`, retrying; the writer's state moves only once it is stored. */
  const store = async (update: Pick<ReplyUpdate, 'content' | 'status' | 'error'>, what: string) => {
    await withRetry(retry, `${what}: persisting reply ${messageId}`, () =>
      persist({
        messageId,
        conversationId,
        content: update.content,
        status: update.status,
        ...(update.error === undefined ? {} : { error: update.error }),
      }),
    );
    persistedLength = update.content.length;
    persistedAt = now();
  };
  const assertOpen = (what: string) => {
    if (finished) {
      throw new MessageBusError(
        'reply_ended',
        `[seqline] [bus] ${what} after the reply ${messageId} ended: create a new writer for a new reply`,
      );
    }
  };
  const finish = async (final: 'complete' | 'failed', error: string | undefined) => {
    // Half a pair that never got its other half is no text: it ends as U+FFFD.
    const whole = held ? `${content.slice(0, -1)}\uFFFD` : content;
    await store(
      { content: whole, status: final, error },
      `${final === 'complete' ? 'complete' : 'fail'}()`,
    );
    content = whole;
    if (held && !heal) {
      held = '';
      await publish({ type: 'delta', messageId, offset: content.length - 1, text: '\uFFFD' });
    }
    held = '';
    finished = true;
    status = final;
    failure = error;
    // With a heal due, `publish` sends the whole message, now final, instead of the status.
    await publish({
      type: 'status',
      messageId,
      status: final,
      ...(error === undefined ? {} : { error }),
    });
  };

  return {
    get content() {
      return content;
    },
    async start() {
      assertOpen('start()');
      await publish({ type: 'message', message: snapshot() });
    },
    async append(input, at) {
      assertOpen('append()');
      if (typeof input !== 'string')
        throw new MessageBusError(
          'invalid_input',
          `[seqline] [bus] append() takes a string, got ${typeof input}`,
        );
      let text = input;
      if (at !== undefined) {
        if (!Number.isSafeInteger(at) || at < 0 || at > content.length) {
          throw new MessageBusError(
            'invalid_input',
            `[seqline] [bus] append() offset must be an integer from 0 to the content's length (${content.length}), got ${String(at)}: text cannot start past the end`,
          );
        }
        // The part the reply already has (a retried call) is dropped.
        text = text.slice(content.length - at);
      }
      if (text.length === 0) return;
      // `piece`: what subscribers get now, whole code points only (see `held`).
      let piece = wellFormed(held + text);
      const offset = content.length - held.length;
      const last = piece.charCodeAt(piece.length - 1);
      const nextHeld = isHighSurrogate(last) ? piece.slice(-1) : '';
      if (nextHeld) piece = piece.slice(0, -1);
      const end = offset + piece.length;
      const next = (held ? content.slice(0, -1) : content) + piece + nextHeld;
      if (
        end - persistedLength >= persistEveryChars ||
        (end > persistedLength && now() - persistedAt >= persistEveryMs)
      ) {
        await store(
          { content: nextHeld ? next.slice(0, -1) : next, status: 'streaming' },
          'append()',
        );
      }
      content = next;
      held = nextHeld;
      if (piece.length === 0) return;
      await publish({ type: 'delta', messageId, offset, text: piece });
    },
    async complete() {
      assertOpen('complete()');
      await finish('complete', undefined);
    },
    async fail(error) {
      assertOpen('fail()');
      await finish('failed', error);
    },
  };
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** `text` with every lone surrogate but a trailing high one replaced by U+FFFD (like ES2024's toWellFormed). */
function wellFormed(text: string): string {
  return text.replace(
    /[\uD800-\uDBFF](?![\uDC00-\uDFFF]|$)|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
    '\uFFFD',
  );
}
