import { SeqlineError } from '../core/errors';
import type { Message, StreamEvent } from '../core/schemas';
import { createConversationStream } from '../server/bus/createConversationStream';
import { createMemoryBus } from '../server/bus/memory';
import { selectHistoryPage } from '../server/historyQuery';
import { createMemoryAllocator } from '../server/memory';
import { defaultReply } from './replyText';
import type { MockDb, MockDbOptions, SeedMessage, SendMessageBody, SendResult } from './types';
import { createVersionedMessages, type VersionedMessages } from './versions';

const REPLY_DEFAULTS = { chunkSize: 4, intervalMs: 5 };
const KEPT_VERSIONS = 32;

/**
 * The state behind the msw handlers. `createMessageHandlers` makes one for
 * you (as `handlers.db`); make your own to share it between handler sets.
 *
 * @example
 * const db = createMockDb({ seed: 1, conversations: { c1: [{ role: 'user', content: 'Hi' }] } });
 * const server = setupServer(historyHandler(db), sendHandler(db), streamHandler(db));
 */
export function createMockDb(options: MockDbOptions = {}): MockDb {
  const allocator = options.allocator ?? createMemoryAllocator();
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 32);
  const now = options.now ?? (() => new Date());
  const reply = options.reply === false ? undefined : { ...REPLY_DEFAULTS, ...options.reply };
  if (reply) assertReply(reply);
  const replyText = options.reply === false ? undefined : options.reply?.text;
  let bus = createMemoryBus();

  /** Per conversation: its messages and their last KEPT_VERSIONS versions. */
  const snapshots = new Map<string, VersionedMessages>();
  /** `conversationId\0clientId` → the send that stored it (a promise, so concurrent repeats wait for the first). */
  const byClientId = new Map<string, Promise<SendResult>>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let streaming = 0;
  let idleWaiters: Array<() => void> = [];
  let epoch = 0;

  const current = (conversationId: string): readonly Message[] =>
    snapshots.get(conversationId)?.messages ?? [];
  /** Publishes after the store has the change, as production does; delivery is synchronous. */
  const publish = (conversationId: string, event: StreamEvent) => {
    bus.publish(conversationId, event).catch((error: unknown) => console.error(error));
  };

  /** Writes a new version where `changed` replaced or added messages. */
  const commit = (conversationId: string, ...changed: Message[]) => {
    let kept = snapshots.get(conversationId);
    if (!kept) {
      kept = createVersionedMessages(KEPT_VERSIONS);
      snapshots.set(conversationId, kept);
    }
    kept.commit(changed);
  };

  const build = (
    conversationId: string,
    sequence: number,
    input: SeedMessage,
    createdAt: string,
  ): Message => ({
    id: `msg_${conversationId}_${sequence}`,
    conversationId,
    sequence,
    createdAt,
    ...(input.clientId === undefined ? {} : { clientId: input.clientId }),
    role: input.role,
    content: input.content,
    status: input.status ?? 'complete',
  });

  const schedule = (fn: () => void, ms: number) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    // A forgotten reply must never keep a test process alive.
    (timer as { unref?: () => void }).unref?.();
    timers.add(timer);
  };

  const finishStreaming = () => {
    streaming--;
    if (streaming === 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  };

  const streamReply = (conversationId: string, placeholder: Message, text: string) => {
    if (!reply) return;
    const { chunkSize, intervalMs } = reply;
    const started = epoch;
    streaming++;
    let message = placeholder;
    const step = () => {
      if (started !== epoch) return;
      if (message.content.length < text.length) {
        const offset = message.content.length;
        const chunk = text.slice(offset, offset + chunkSize);
        message = { ...message, content: message.content + chunk, status: 'streaming' };
        commit(conversationId, message);
        publish(conversationId, { type: 'delta', messageId: message.id, offset, text: chunk });
        schedule(step, intervalMs);
        return;
      }
      message = { ...message, status: 'complete' };
      commit(conversationId, message);
      publish(conversationId, { type: 'status', messageId: message.id, status: 'complete' });
      finishStreaming();
    };
    schedule(step, intervalMs);
  };

  const store = async (conversationId: string, input: SendMessageBody): Promise<SendResult> => {
    const createdAt = now().toISOString();
    const withReply = reply !== undefined && input.role === 'user';
    const range = await allocator.nextRange(conversationId, withReply ? 2 : 1);
    const message = build(conversationId, range.first, { ...input, status: 'complete' }, createdAt);
    const placeholder = withReply
      ? build(
          conversationId,
          range.last,
          { role: 'assistant', content: '', status: 'pending' },
          createdAt,
        )
      : undefined;
    commit(conversationId, ...(placeholder ? [message, placeholder] : [message]));
    publish(conversationId, { type: 'message', message });
    if (placeholder) {
      publish(conversationId, { type: 'message', message: placeholder });
      const text =
        replyText?.({ conversationId, message }) ?? defaultReply(seed, conversationId, message);
      streamReply(conversationId, placeholder, text);
    }
    return placeholder
      ? { message, reply: placeholder, created: true }
      : { message, created: true };
  };

  const latest = (conversationId: string, id: string | undefined) =>
    id === undefined ? undefined : snapshots.get(conversationId)?.get(id);

  const db: MockDb = {
    seed,
    get bus() {
      return bus;
    },
    messages: (conversationId) => current(conversationId).map((m) => ({ ...m })),
    history(conversationId, query = {}) {
      const kept = snapshots.get(conversationId);
      const snapshot = kept ? kept.at(query.version ?? kept.versions - 1) : [];
      const { limit } = query;
      const page = selectHistoryPage(
        snapshot,
        query.before === undefined
          ? { after: query.after ?? 0, ...(limit === undefined ? {} : { limit }) }
          : { before: query.before, ...(limit === undefined ? {} : { limit }) },
      );
      return page.map((m) => ({ ...m }));
    },
    versions: (conversationId) => snapshots.get(conversationId)?.versions ?? 0,
    async send(conversationId, input) {
      const key = `${conversationId}\0${input.clientId}`;
      const earlier = byClientId.get(key);
      if (earlier) {
        const first = await earlier;
        // The latest state: the reply may have streamed on since the first response.
        const message = latest(conversationId, first.message.id) ?? first.message;
        const replyNow = latest(conversationId, first.reply?.id);
        return replyNow
          ? { message, reply: replyNow, created: false }
          : { message, created: false };
      }
      const pending = store(conversationId, input);
      byClientId.set(key, pending);
      // A failed store (a bad scope) must not poison the clientId for a corrected retry.
      pending.catch(() => byClientId.delete(key));
      return pending;
    },
    async insert(conversationId, input) {
      const sequence = await allocator.next(conversationId);
      const message = build(conversationId, sequence, input, now().toISOString());
      commit(conversationId, message);
      publish(conversationId, { type: 'message', message });
      return { ...message };
    },
    stream: (conversationId, { after } = {}) =>
      createConversationStream({
        bus,
        conversationId,
        loadSnapshot: (id, afterSequence) => db.history(id, { after: afterSequence }),
        ...(after === undefined ? {} : { after }),
      }),
    idle: () =>
      streaming === 0 ? Promise.resolve() : new Promise((resolve) => idleWaiters.push(resolve)),
    reset() {
      epoch++;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      snapshots.clear();
      byClientId.clear();
      // Open streams stay on the old bus and hear nothing more, as after a restart.
      void bus.close();
      bus = createMemoryBus();
      (allocator as { clear?: () => void }).clear?.();
      streaming = 0;
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const resolve of waiters) resolve();
    },
  };

  for (const [conversationId, seeded] of Object.entries(options.conversations ?? {})) {
    preload(conversationId, seeded);
  }
  return db;

  function preload(conversationId: string, seeded: readonly SeedMessage[]) {
    // Synchronous on purpose, so handlers answer with the data from the first request:
    // the sequences come from a private count and the allocator is advanced to match.
    const createdAt = now().toISOString();
    const messages = seeded.map((input, index) =>
      build(conversationId, index + 1, input, createdAt),
    );
    if (messages.length === 0) return;
    commit(conversationId, ...messages);
    for (const message of messages) {
      if (message.clientId !== undefined) {
        byClientId.set(
          `${conversationId}\0${message.clientId}`,
          Promise.resolve({ message, created: true }),
        );
      }
    }
    void allocator.nextRange(conversationId, messages.length);
  }
}

// ---------------------------------------------------------------------------

function assertReply(reply: { chunkSize: number; intervalMs: number }): void {
  if (!Number.isSafeInteger(reply.chunkSize) || reply.chunkSize < 1) {
    throw new SeqlineError(
      `[seqline] [msw] reply.chunkSize must be a positive integer, got ${reply.chunkSize}`,
    );
  }
  if (!Number.isFinite(reply.intervalMs) || reply.intervalMs < 0) {
    throw new SeqlineError(
      `[seqline] [msw] reply.intervalMs must be 0 or more milliseconds, got ${reply.intervalMs}`,
    );
  }
}
