import type { BusDriver, DriverListener } from './busDriver';
import { createMessageBus } from './createMessageBus';
import { integerCursors } from './cursor';
import { assertPositiveIntegers, type BusEntry, type MessageBus } from './messageBus';

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
 * `publish`, and so is a subscriber's replay, inside `subscribe`.
 *
 * @example
 * const bus = createMemoryBus();
 * const stop = bus.subscribe('c1', undefined, { event: (entry) => console.log(entry) });
 * await bus.publish('c1', { type: 'delta', messageId: 'm2', offset: 0, text: 'Hi' }); // '1'
 */
export function createMemoryBus(options: MemoryBusOptions = {}): MemoryBus {
  const { driver, held } = createMemoryDriver(options);
  const bus = createMessageBus({ driver });
  return {
    publish: bus.publish,
    subscribe: bus.subscribe,
    close: bus.close,
    subscribers: bus.subscribers,
    entries: (conversationId) => held.get(conversationId)?.entries ?? [],
    conversations: () => held.size,
  };
}

/** The memory {@link BusDriver}, with the map it keeps (for `MemoryBus`'s test views). */
export function createMemoryDriver(options: MemoryBusOptions = {}) {
  const maxLength = options.maxLength ?? 10_000;
  const retainMs = options.retainMs ?? 3_600_000;
  assertPositiveIntegers('memory', { maxLength, retainMs });
  const held = new Map<string, Held>();
  let listener: DriverListener | undefined;
  const get = (id: string) => {
    let found = held.get(id);
    if (!found) {
      found = { entries: [], dropped: 0, watched: false, expiry: undefined };
      held.set(id, found);
    }
    clearTimeout(found.expiry);
    found.expiry = undefined;
    return found;
  };
  /** Once nobody listens: forget it now when it holds nothing, else after retainMs. */
  const idle = (id: string, conversation: Held) => {
    if (conversation.watched || held.get(id) !== conversation) return;
    if (conversation.entries.length === 0) {
      held.delete(id);
      return;
    }
    clearTimeout(conversation.expiry);
    conversation.expiry = setTimeout(() => {
      if (!conversation.watched && held.get(id) === conversation) held.delete(id);
    }, retainMs);
    // Never keep a process alive just to forget a conversation.
    (conversation.expiry as { unref?: () => void }).unref?.();
  };

  const driver: BusDriver = {
    name: 'memory',
    cursors: integerCursors,
    append(id, event) {
      const conversation = get(id);
      const entry: BusEntry = {
        cursor: String(conversation.dropped + conversation.entries.length + 1),
        event,
      };
      conversation.entries.push(entry);
      if (conversation.entries.length > maxLength) {
        conversation.entries.shift();
        conversation.dropped++;
      }
      if (conversation.watched) listener?.news(id, [entry]);
      idle(id, conversation);
      return entry.cursor;
    },
    read(id, after, limit) {
      const conversation = held.get(id);
      if (!conversation) return [];
      const from = Math.max(0, (after === undefined ? 0 : Number(after)) - conversation.dropped);
      return conversation.entries.slice(from, from + limit);
    },
    head(id) {
      const conversation = held.get(id);
      const last = conversation ? conversation.dropped + conversation.entries.length : 0;
      return last > 0 ? String(last) : undefined;
    },
    watch(id) {
      get(id).watched = true;
    },
    unwatch(id) {
      const conversation = held.get(id);
      if (!conversation) return;
      conversation.watched = false;
      idle(id, conversation);
    },
    open(next) {
      listener = next;
    },
    async close() {
      for (const conversation of held.values()) {
        conversation.watched = false;
        clearTimeout(conversation.expiry);
      }
    },
  };
  return { driver, held };
}

// ---------------------------------------------------------------------------

interface Held {
  entries: BusEntry[];
  /** Entries trimmed off the front; cursors stay absolute. */
  dropped: number;
  /** A subscriber follows it: announce its entries, keep it. */
  watched: boolean;
  /** Forgets the conversation retainMs after it was last published to with nobody listening. */
  expiry: ReturnType<typeof setTimeout> | undefined;
}
