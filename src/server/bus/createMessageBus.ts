import type { BusDriver } from './busDriver';
import {
  assertConversationId,
  type BusEntry,
  type BusSink,
  checkPublish,
  type MessageBus,
  MessageBusError,
} from './messageBus';

/** Options of {@link createMessageBus}. */
export interface CreateMessageBusOptions {
  /** The backend: append, read after a cursor, announce news. */
  driver: BusDriver;
  /**
   * Called with what the bus recovers from by itself: a failed replay (the
   * subscriber is told to resync), a driver's connection error, an entry
   * that is not a valid event.
   * @default console.error
   */
  onError?: (error: unknown) => void;
}

/** A bus made by {@link createMessageBus}, with its subscriber count for tests. */
export interface FannedOutBus extends MessageBus {
  /** Open subscriptions on a conversation in this bus. */
  subscribers(conversationId: string): number;
}

/**
 * Turns a {@link BusDriver} into a {@link MessageBus}: the one fan-out every
 * bus shares. Per conversation it asks the driver to watch once, however
 * many subscribers follow it; each subscriber replays from its cursor while
 * live entries wait in a buffer, then goes live (catch-up-then-live, no
 * hole and no repeat); an unknown, malformed or future cursor replays from
 * the start; when the driver reports a lost connection every subscriber is
 * told to resync and every conversation is read again.
 *
 * @example
 * const bus = createMessageBus({ driver: myKafkaDriver });
 * // then in a test file: testMessageBus('kafka', () => createMessageBus({ driver: myKafkaDriver }))
 */
export function createMessageBus(options: CreateMessageBusOptions): FannedOutBus {
  const { driver } = options;
  const onError = options.onError ?? ((error: unknown) => console.error(error));
  const { compare, valid } = driver.cursors;
  const conversations = new Map<string, Conversation>();
  let closed = false;

  const deliver = (sub: Subscriber, entry: BusEntry) => {
    if (!sub.active) return;
    if (sub.position !== undefined && compare(entry.cursor, sub.position) <= 0) return;
    sub.position = entry.cursor;
    sub.sink.event(entry);
  };

  const distribute = (conversation: Conversation, entries: readonly BusEntry[]) => {
    for (const entry of entries) {
      if (conversation.ready) {
        if (
          conversation.position !== undefined &&
          compare(entry.cursor, conversation.position) <= 0
        )
          continue;
        conversation.position = entry.cursor;
      }
      // A Set visits members added while iterating: a joiner buffers, and its flush drops repeats.
      for (const sub of conversation.subs) {
        if (sub.live) {
          // At or behind the shared position, and this entry is past it: no compare per subscriber.
          sub.position = entry.cursor;
          sub.sink.event(entry);
        } else if (sub.buffer) sub.buffer.push(entry);
        else {
          deliver(sub, entry);
          sub.live = conversation.ready && sub.position === conversation.position;
        }
      }
    }
  };

  /** True when the pump has already read past `cursor` (a notification that came after its read). */
  const seen = (conversation: Conversation, cursor: string | undefined) =>
    cursor !== undefined &&
    conversation.ready &&
    conversation.position !== undefined &&
    valid(cursor) &&
    compare(cursor, conversation.position) <= 0;

  /** Reads a conversation's new entries once for all its subscribers; one pump at a time. */
  const pump = async (id: string, conversation: Conversation): Promise<void> => {
    if (!conversation.ready) return;
    if (conversation.pumping) {
      conversation.again = true;
      return;
    }
    conversation.pumping = true;
    try {
      do {
        conversation.again = false;
        const announced = conversation.announced;
        for (;;) {
          const entries = await driver.read(id, conversation.position, PAGE);
          distribute(conversation, entries);
          if (entries.length < PAGE || conversations.get(id) !== conversation) break;
        }
        // Every announcement made before this read began has been read and distributed.
        conversation.covered = announced;
      } while (conversation.again && !closed);
    } catch (error) {
      onError(wrap(driver.name, `reading new entries of ${JSON.stringify(id)}`, error));
      for (const sub of conversation.subs) sub.sink.resync?.();
    } finally {
      conversation.pumping = false;
    }
  };

  /** Replays `sub` from its cursor (pages), synchronously when the driver is. */
  const replay = (id: string, sub: Subscriber): void | Promise<void> =>
    then(driver.read(id, sub.position, PAGE), (entries) => {
      for (const entry of entries) deliver(sub, entry);
      if (entries.length === PAGE && sub.active) return replay(id, sub);
    });

  /** Clamps a forged cursor, replays, then hands the subscriber over to live delivery. */
  const join = (id: string, conversation: Conversation, sub: Subscriber) => {
    const handover = (retry = true): void => {
      const buffered = sub.buffer ?? [];
      sub.buffer = undefined;
      for (const entry of buffered) deliver(sub, entry);
      if (!conversation.ready && conversations.get(id) === conversation) {
        // Entries committed after the replay's last read come after this: the pump finds them.
        conversation.ready = true;
        conversation.position = sub.position;
        void pump(id, conversation);
      }
      const at = conversation.position;
      if (
        retry &&
        sub.active &&
        conversation.ready &&
        at !== undefined &&
        (sub.position === undefined || compare(sub.position, at) < 0)
      ) {
        // Its replay read less than the shared position: what lies between was announced before
        // the conversation was ready (and not buffered), so read it before going live.
        sub.buffer = [];
        settle(() => replay(id, sub));
        return;
      }
      // Every entry distributed from now on is past the shared position; a subscriber not ahead of it needs no compare.
      sub.live =
        sub.active &&
        conversation.ready &&
        (sub.position === undefined || (at !== undefined && compare(sub.position, at) <= 0));
    };
    const failed = (error: unknown) => {
      // Closed or left meanwhile: nobody to tell.
      if (closed || !sub.active) return handover(false);
      onError(wrap(driver.name, `replaying ${JSON.stringify(id)}; the subscriber resyncs`, error));
      sub.sink.resync?.();
      handover(false);
    };
    /** Runs `read` (synchronously when the driver is), then hands over; a failure resyncs. */
    const settle = (read: () => void | Promise<void>): void => {
      try {
        const done = read();
        if (done instanceof Promise) done.then(() => handover(), failed);
        else handover();
      } catch (error) {
        failed(error);
      }
    };
    settle(() =>
      then(conversation.watching, () => {
        // Left before its replay began (a client that connected and went): no read.
        if (!sub.active) return;
        if (sub.position === undefined) return replay(id, sub);
        return then(driver.head(id), (head) => {
          if (head === undefined || compare(sub.position!, head) > 0) sub.position = undefined;
          return replay(id, sub);
        });
      }),
    );
  };

  driver.open({
    news(id, entries, cursor) {
      const conversation = conversations.get(id);
      if (!conversation) return;
      // Entries carried by the announcement are next in line unless an earlier announcement came
      // without its entries and is not read yet (a driver that carries small events only): then a
      // read takes them all, in order.
      if (entries && conversation.covered === conversation.announced) {
        distribute(conversation, entries);
      } else if (!seen(conversation, entries?.at(-1)?.cursor ?? cursor)) {
        conversation.announced++;
        void pump(id, conversation);
      }
    },
    lost() {
      for (const [id, conversation] of conversations) {
        for (const sub of conversation.subs) sub.sink.resync?.();
        // What was missed is known only to the read: like an announcement without its entries, it
        // holds back the entries later announcements carry until that read has taken them in order.
        conversation.announced++;
        void pump(id, conversation);
      }
    },
    error: onError,
  });

  return {
    async publish(conversationId, input) {
      const event = checkPublish(driver.name, closed, conversationId, input);
      return driver.append(conversationId, event);
    },
    subscribe(conversationId, fromCursor, sink) {
      assertConversationId(conversationId, driver.name);
      if (closed) return () => {};
      let conversation = conversations.get(conversationId);
      if (!conversation) {
        conversation = {
          subs: new Set(),
          watching: undefined,
          ready: false,
          position: undefined,
          pumping: false,
          again: false,
          announced: 0,
          covered: 0,
        };
        conversations.set(conversationId, conversation);
        try {
          conversation.watching = driver.watch(conversationId);
        } catch (error) {
          conversation.watching = Promise.reject(error);
        }
        // Each joiner handles (and reports) a failed watch; this only keeps it from being unhandled.
        if (conversation.watching instanceof Promise) conversation.watching.catch(() => {});
      }
      const position = fromCursor !== undefined && valid(fromCursor) ? fromCursor : undefined;
      // Joined (buffering) before its replay reads, so every entry is in one or the other.
      const sub: Subscriber = { sink, position, active: true, live: false, buffer: [] };
      conversation.subs.add(sub);
      const joined = conversation;
      join(conversationId, joined, sub);
      return () => {
        if (!sub.active) return;
        sub.active = false;
        sub.live = false;
        joined.subs.delete(sub);
        if (joined.subs.size === 0 && conversations.get(conversationId) === joined) {
          conversations.delete(conversationId);
          driver.unwatch(conversationId);
        }
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const conversation of conversations.values()) {
        for (const sub of conversation.subs) {
          sub.active = false;
          sub.live = false;
        }
      }
      conversations.clear();
      await driver.close();
    },
    subscribers: (conversationId) => conversations.get(conversationId)?.subs.size ?? 0,
  };
}

// ---------------------------------------------------------------------------

/** Entries per read. */
const PAGE = 500;

interface Subscriber {
  sink: BusSink;
  /** Last cursor delivered (or the valid cursor subscribed from); `undefined` = from the start. */
  position: string | undefined;
  active: boolean;
  /** Handed over and not ahead of the conversation's shared position: takes live entries without a compare. */
  live: boolean;
  /** Set while it replays: the live entries that arrive meanwhile. */
  buffer: BusEntry[] | undefined;
}

interface Conversation {
  subs: Set<Subscriber>;
  /** The driver's `watch` for it: joiners replay once it is done. */
  watching: Promise<void> | void;
  /** False until the first subscriber's replay is done; live entries only buffer until then. */
  ready: boolean;
  /** Last cursor read for everyone (once ready); `undefined` = nothing yet. */
  position: string | undefined;
  pumping: boolean;
  again: boolean;
  /** Announcements that came without their entries and were not yet read. */
  announced: number;
  /** `announced` as it was when the last complete read began: equal when none is outstanding. */
  covered: number;
}

/** `next(value)`, after `value` settles when it is a promise: keeps a synchronous driver synchronous. */
function then<T, R>(value: T | Promise<T>, next: (value: T) => R | Promise<R>): R | Promise<R> {
  return value instanceof Promise ? value.then(next) : next(value);
}

function wrap(bus: string, what: string, error: unknown): MessageBusError {
  if (error instanceof MessageBusError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new MessageBusError('driver_failed', `[seqline] [bus] [${bus}] ${what}: ${reason}`, {
    cause: error,
  });
}
