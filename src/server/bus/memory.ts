import {
  assertConversationId,
  type BusEntry,
  type BusSink,
  checkPublish,
  type MessageBus,
  MessageBusError,
} from './messageBus';

/** Options of {@link createMemoryBus}. */
export interface MemoryBusOptions {
  /**
   * Entries kept per conversation for replay; older ones are dropped (a
   * subscriber resuming before them gets what is left, and catches up
   * from the database).
   * @default 10000
   */
  maxLength?: number;
  /**
   * Milliseconds a conversation with no subscriber is kept after its last
   * publish; then it is forgotten (a later subscriber catches up from the
   * database). One with neither entries nor subscribers is dropped at once,
   * so subscribing to 100k ids and leaving keeps nothing.
   * @default 3600000 (an hour, as the Redis bus's ttlSeconds)
   */
  retainMs?: number;
}

/** A {@link MessageBus} in this process's memory, with what it holds for tests. */
export interface MemoryBus extends MessageBus {
  /** The entries a conversation's bus still holds, oldest first. */
  entries(conversationId: string): readonly BusEntry[];
  /** Open subscriptions on a conversation. */
  subscribers(conversationId: string): number;
  /** How many conversations the bus holds (with entries or subscribers). */
  conversations(): number;
}

/**
 * The default {@link MessageBus}: one process, no engine. Cursors are
 * `"1"`, `"2"`, … per conversation, so they mean nothing to another
 * process: use `createRedisBus` or `createPostgresBus` as soon as two
 * instances serve one conversation. Delivery is synchronous, inside
 * `publish`.
 *
 * @example
 * const bus = createMemoryBus();
 * const stop = bus.subscribe('c1', undefined, { event: (entry) => console.log(entry) });
 * await bus.publish('c1', { type: 'delta', messageId: 'm2', offset: 0, text: 'Hi' }); // '1'
 */
export function createMemoryBus(options: MemoryBusOptions = {}): MemoryBus {
  const maxLength = options.maxLength ?? 10_000;
  const retainMs = options.retainMs ?? 3_600_000;
  for (const [name, value] of [
    ['maxLength', maxLength],
    ['retainMs', retainMs],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new MessageBusError(
        `[seqline] [bus] [memory] ${name} must be a positive integer, got ${String(value)}`,
      );
    }
  }
  const conversations = new Map<string, Conversation>();
  let closed = false;
  const get = (id: string) => {
    let found = conversations.get(id);
    if (!found) {
      found = { entries: [], dropped: 0, sinks: new Set(), expiry: undefined };
      conversations.set(id, found);
    }
    clearTimeout(found.expiry);
    found.expiry = undefined;
    return found;
  };
  /** Once nobody listens: forget it now when it holds nothing, else after retainMs. */
  const idle = (id: string, conversation: Conversation) => {
    if (conversation.sinks.size > 0 || conversations.get(id) !== conversation) return;
    if (conversation.entries.length === 0) {
      conversations.delete(id);
      return;
    }
    clearTimeout(conversation.expiry);
    conversation.expiry = setTimeout(() => {
      if (conversation.sinks.size === 0 && conversations.get(id) === conversation)
        conversations.delete(id);
    }, retainMs);
    // Never keep a process alive just to forget a conversation.
    (conversation.expiry as { unref?: () => void }).unref?.();
  };

  return {
    async publish(conversationId, input) {
      const event = checkPublish('memory', closed, conversationId, input);
      const conversation = get(conversationId);
      const entry: BusEntry = {
        cursor: String(conversation.dropped + conversation.entries.length + 1),
        event,
      };
      conversation.entries.push(entry);
      if (conversation.entries.length > maxLength) {
        conversation.entries.shift();
        conversation.dropped++;
      }
      // A sink may unsubscribe while we deliver: iterate a copy.
      for (const sink of [...conversation.sinks])
        if (conversation.sinks.has(sink)) sink.event(entry);
      idle(conversationId, conversation);
      return entry.cursor;
    },
    subscribe(conversationId, fromCursor, sink) {
      assertConversationId(conversationId, 'memory');
      if (closed) return () => {};
      const conversation = get(conversationId);
      const after = position(fromCursor, conversation);
      const replay = conversation.entries.slice(Math.max(0, after - conversation.dropped));
      let active = true;
      // Added before the replay, so nothing a sink publishes in reaction is missed or doubled.
      conversation.sinks.add(sink);
      for (const entry of replay) {
        if (!active) break;
        sink.event(entry);
      }
      return () => {
        if (!active) return;
        active = false;
        conversation.sinks.delete(sink);
        idle(conversationId, conversation);
      };
    },
    async close() {
      closed = true;
      for (const conversation of conversations.values()) {
        conversation.sinks.clear();
        clearTimeout(conversation.expiry);
      }
    },
    entries: (conversationId) => conversations.get(conversationId)?.entries ?? [],
    subscribers: (conversationId) => conversations.get(conversationId)?.sinks.size ?? 0,
    conversations: () => conversations.size,
  };
}

// ---------------------------------------------------------------------------

interface Conversation {
  entries: BusEntry[];
  /** Entries trimmed off the front; cursors stay absolute. */
  dropped: number;
  sinks: Set<BusSink>;
  /** Forgets the conversation retainMs after it was last published to with nobody listening. */
  expiry: ReturnType<typeof setTimeout> | undefined;
}

/** The absolute position to replay after; anything unknown (malformed, future) replays everything held. */
function position(cursor: string | undefined, conversation: Conversation): number {
  if (cursor === undefined || !/^(0|[1-9][0-9]{0,15})$/.test(cursor)) return 0;
  const value = Number(cursor);
  return value <= conversation.dropped + conversation.entries.length ? value : 0;
}
