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
}

/** A {@link MessageBus} in this process's memory, with what it holds for tests. */
export interface MemoryBus extends MessageBus {
  /** The entries a conversation's bus still holds, oldest first. */
  entries(conversationId: string): readonly BusEntry[];
  /** Open subscriptions on a conversation. */
  subscribers(conversationId: string): number;
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
  if (!Number.isSafeInteger(maxLength) || maxLength < 1) {
    throw new MessageBusError(
      `[seqline] [bus] [memory] maxLength must be a positive integer, got ${String(maxLength)}`,
    );
  }
  const conversations = new Map<string, Conversation>();
  let closed = false;
  const get = (id: string) => {
    let found = conversations.get(id);
    if (!found) {
      found = { entries: [], dropped: 0, sinks: new Set() };
      conversations.set(id, found);
    }
    return found;
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
        active = false;
        conversation.sinks.delete(sink);
      };
    },
    async close() {
      closed = true;
      for (const conversation of conversations.values()) conversation.sinks.clear();
    },
    entries: (conversationId) => conversations.get(conversationId)?.entries ?? [],
    subscribers: (conversationId) => conversations.get(conversationId)?.sinks.size ?? 0,
  };
}

// ---------------------------------------------------------------------------

interface Conversation {
  entries: BusEntry[];
  /** Entries trimmed off the front; cursors stay absolute. */
  dropped: number;
  sinks: Set<BusSink>;
}

/** The absolute position to replay after; anything unknown (malformed, future) replays everything held. */
function position(cursor: string | undefined, conversation: Conversation): number {
  if (cursor === undefined || !/^(0|[1-9][0-9]{0,15})$/.test(cursor)) return 0;
  const value = Number(cursor);
  return value <= conversation.dropped + conversation.entries.length ? value : 0;
}
