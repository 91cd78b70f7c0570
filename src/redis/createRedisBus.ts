import {
  assertConversationId,
  type BusEntry,
  type BusSink,
  checkPublish,
  isFinalEvent,
  type MessageBus,
  MessageBusError,
} from '../server/bus/messageBus';
import { PUBLISH_SCRIPT, PUBLISH_SCRIPT_SHA } from './busScript';
import {
  commandRunner,
  compareIds,
  duplicate,
  isIoRedis,
  PAGE,
  parseEntries,
  parseXread,
  sleep,
  toStreamId,
  wrap,
} from './busWire';
import { counterKey } from './script';

/**
 * The subset of an ioredis `Redis` that the bus calls: raw commands through
 * `call`. Typed structurally so seqline never imports ioredis.
 */
export interface IoRedisBusClient {
  call(command: string, ...args: string[]): Promise<unknown>;
  /** Used once, for the reader connection, when no `subscriber` is given. */
  duplicate?(): IoRedisBusClient;
  on?(event: string, listener: (...args: unknown[]) => void): unknown;
  disconnect?(): void;
}

/**
 * The subset of a node-redis (v4+) client from `createClient` that the bus
 * calls: raw commands through `sendCommand`. Typed structurally so seqline
 * never imports `redis`.
 */
export interface NodeRedisBusClient {
  sendCommand(args: string[]): Promise<unknown>;
  /** Used once, for the reader connection, when no `subscriber` is given (then connected). */
  duplicate?(): NodeRedisBusClient;
  connect?(): Promise<unknown>;
  on?(event: string, listener: (...args: unknown[]) => void): unknown;
  destroy?(): void;
  disconnect?(): unknown;
}

/** Any client `createRedisBus` accepts: an ioredis `Redis` or a node-redis client. */
export type RedisBusClient = IoRedisBusClient | NodeRedisBusClient;

/** Options of {@link createRedisBus}. */
export interface RedisBusOptions {
  /** A connected client, for XADD and XRANGE. The bus never closes it. */
  client: RedisBusClient;
  /**
   * A second connection, only for the blocking XREAD that carries every
   * conversation this instance serves. Give one when `client` cannot be
   * duplicated; the bus never closes a `subscriber` you pass.
   * @default client.duplicate() (connected by the bus, closed by `close()`)
   */
  subscriber?: RedisBusClient;
  /**
   * Prepended to each conversation's stream key: `${prefix}{conversationId}`.
   * Must not contain `{` or `}`, which would steal the hash tag.
   * @default 'seqline:bus:'
   */
  prefix?: string;
  /**
   * Entries kept per conversation, approximately (`XADD MAXLEN ~`). Keep it
   * above the deltas one reply produces between two persists, times a few:
   * a subscriber joining later catches up from the database and needs only
   * what came after the last persist.
   * @default 1000
   */
  maxLength?: number;
  /**
   * Seconds a conversation's stream lives after a reply finishes (a `status`
   * event, or a `message` that is complete or failed). Any later event makes
   * it permanent again until the next finish.
   * @default 3600
   */
  ttlSeconds?: number;
  /**
   * Longest time one XREAD blocks. New conversations join the read at once
   * (CLIENT UNBLOCK); where CLIENT is not allowed, they wait up to this long.
   * @default 1000
   */
  blockMs?: number;
  /**
   * Called with a connection error of the reader (it retries) or an entry
   * that is not a valid event (it is skipped).
   * @default console.error
   */
  onError?: (error: unknown) => void;
}

/**
 * A {@link MessageBus} on Redis Streams: one stream per conversation,
 * `${prefix}{conversationId}`, appended with `XADD MAXLEN ~` and read by one
 * blocking `XREAD` per app instance that carries every conversation the
 * instance has subscribers for. Cursors are stream entry ids
 * (`1718000000000-3`), the same on every instance.
 *
 * Why Streams rather than pub/sub: a subscriber connects, reconnects and
 * resumes, and pub/sub delivers only to whoever is listening at that
 * instant. With pub/sub, a late or reconnecting subscriber needs a second
 * structure to replay from (a list), and a way to hand over from that replay
 * to the live channel without a hole or a repeat, which pub/sub cannot give
 * (messages published between the replay read and SUBSCRIBE are lost). A
 * stream is both at once: entries have ordered ids that are the cursor,
 * `XRANGE (cursor +` replays, `XREAD` blocks for what comes next from the
 * same id, and `MAXLEN ~` bounds it. The cost is a blocking connection, so
 * one reader per instance multiplexes all conversations instead of one per
 * subscriber.
 *
 * Keys carry a `{conversationId}` hash tag. The multiplexed XREAD reads many
 * keys in one command, which Redis Cluster allows only within one slot: this
 * bus targets a single Redis (or a primary with replicas), not a cluster.
 *
 * @example
 * import { Redis } from 'ioredis';
 * const bus = createRedisBus({ client: new Redis(process.env.REDIS_URL) });
 * await bus.publish('c1', { type: 'delta', messageId: 'm2', offset: 0, text: 'Hi' });
 */
export function createRedisBus(options: RedisBusOptions): MessageBus {
  const prefix = options.prefix ?? 'seqline:bus:';
  const maxLength = options.maxLength ?? 1000;
  const ttlSeconds = options.ttlSeconds ?? 3600;
  const blockMs = options.blockMs ?? 1000;
  const onError = options.onError ?? ((error: unknown) => console.error(error));
  if (typeof prefix !== 'string' || /[{}]/.test(prefix)) {
    throw new MessageBusError(
      'invalid_option',
      `[seqline] [bus] [redis] prefix must be a string without "{" or "}" (they would take over the hash tag), got ${JSON.stringify(prefix)}`,
    );
  }
  for (const [name, value] of [
    ['maxLength', maxLength],
    ['ttlSeconds', ttlSeconds],
    ['blockMs', blockMs],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new MessageBusError(
        'invalid_option',
        `[seqline] [bus] [redis] ${name} must be a positive integer, got ${String(value)}`,
      );
    }
  }
  const command = commandRunner(options.client, 'client');
  const reader = options.subscriber ?? duplicate(options.client);
  const ownsReader = options.subscriber === undefined;
  const read = commandRunner(reader, 'subscriber');
  const keyOf = (conversationId: string) => counterKey(prefix, conversationId);

  const conversations = new Map<string, Conversation>();
  let closed = false;
  let readerId: string | undefined;
  let wake: (() => void) | undefined;
  let readerReady: Promise<unknown> = Promise.resolve();

  if (ownsReader) {
    reader.on?.('error', (error) =>
      onError(wrap('the reader connection failed; it reconnects', error)),
    );
    const connect = (reader as NodeRedisBusClient).connect;
    // node-redis duplicates start disconnected; ioredis ones connect by themselves.
    if (typeof connect === 'function' && !isIoRedis(reader)) {
      readerReady = connect.call(reader);
      // A failed connect is reported through 'error'; close() during it must not leave a rejection unhandled.
      readerReady.catch(() => {});
    }
  }
  // A reader that is already connected has had its first `ready`: the next one is a reconnect.
  const state = reader as { status?: unknown; isReady?: unknown };
  let readyEvents = !ownsReader && (state.status === 'ready' || state.isReady === true) ? 1 : 0;
  reader.on?.('ready', () => {
    readerId = undefined;
    // Every `ready` after the first is a reconnect: the server may have restarted empty.
    if (readyEvents++ > 0) resyncAll();
  });

  const resyncAll = () => {
    for (const conversation of conversations.values()) {
      for (const sub of conversation.subs) sub.sink.resync?.();
    }
  };

  const deliver = (sub: Subscriber, entry: BusEntry) => {
    if (compareIds(entry.cursor, sub.position) <= 0) return;
    sub.position = entry.cursor;
    sub.sink.event(entry);
  };

  const replay = async (key: string, sub: Subscriber) => {
    // Pages of XRANGE from the subscriber's cursor, exclusive, until the stream's end.
    for (;;) {
      const reply = await command(['XRANGE', key, `(${sub.position}`, '+', 'COUNT', String(PAGE)]);
      const entries = parseEntries(reply, onError);
      for (const entry of entries) if (sub.active) deliver(sub, entry);
      if (!sub.active || entries.length < PAGE) return;
    }
  };

  /**
   * Joins `sub` to its conversation. The client's cursor is untrusted: it
   * only chooses what this subscriber replays, clamped to the stream's head,
   * and never where the shared reader reads (which starts at the head), so a
   * forged future cursor cannot make the reader skip entries for others.
   */
  const start = async (key: string, conversation: Conversation, sub: Subscriber) => {
    const head = await streamHead(key);
    if (conversation.position === undefined) {
      if (conversations.get(key) !== conversation) return;
      conversation.position = head;
      interrupt();
    }
    if (compareIds(sub.position, head) > 0) sub.position = head;
    if (sub.active) await replay(key, sub);
  };

  /** The id of the last entry of `key` (`0-0` when it has none). */
  const streamHead = async (key: string): Promise<string> => {
    for (let failures = 0; ; failures++) {
      try {
        const reply = await command(['XREVRANGE', key, '+', '-', 'COUNT', '1']);
        const last = Array.isArray(reply) ? (reply[0] as [unknown] | undefined) : undefined;
        return last ? String(last[0]) : '0-0';
      } catch (error) {
        if (closed || failures >= 5) throw error;
        await sleep(Math.min(1000, 50 * 2 ** failures));
      }
    }
  };

  const loop = async () => {
    await readerReady.catch(() => {});
    let failures = 0;
    while (!closed) {
      if (conversations.size === 0) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
        continue;
      }
      try {
        readerId ??= String(await read(['CLIENT', 'ID']).catch(() => ''));
        // A conversation joins the shared read only once its head is known (see `start`).
        const keys: string[] = [];
        const ids: string[] = [];
        for (const [key, conversation] of conversations) {
          if (conversation.position === undefined) continue;
          keys.push(key);
          ids.push(conversation.position);
        }
        if (keys.length === 0) {
          // close() may have run during CLIENT ID, when there was no `wake` to call yet.
          if (closed) return;
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = undefined;
          continue;
        }
        const reply = await read([
          'XREAD',
          'COUNT',
          String(PAGE),
          'BLOCK',
          String(blockMs),
          'STREAMS',
          ...keys,
          ...ids,
        ]);
        if (failures > 0) {
          failures = 0;
          resyncAll();
        }
        for (const [key, entries] of parseXread(reply, onError)) {
          const conversation = conversations.get(key);
          if (!conversation || entries.length === 0) continue;
          conversation.position = entries.at(-1)!.cursor;
          for (const entry of entries) {
            for (const sub of [...conversation.subs]) {
              if (!sub.active) continue;
              if (sub.buffer) sub.buffer.push(entry);
              else deliver(sub, entry);
            }
          }
        }
      } catch (error) {
        if (closed) return;
        failures++;
        readerId = undefined;
        onError(wrap('XREAD failed; retrying', error));
        await sleep(Math.min(1000, 50 * 2 ** Math.min(failures, 5)));
      }
    }
  };

  /** Wakes the reader so it reads a conversation it did not read before. */
  const interrupt = () => {
    if (wake) {
      wake();
      return;
    }
    if (readerId) {
      command(['CLIENT', 'UNBLOCK', readerId]).catch(() => {
        // CLIENT may be disabled (managed Redis): the new key joins within blockMs.
      });
    }
  };

  let looping: Promise<void> | undefined;

  return {
    async publish(conversationId, input) {
      const event = checkPublish('redis', closed, conversationId, input);
      const key = keyOf(conversationId);
      const args = [
        String(maxLength),
        String(isFinalEvent(event) ? ttlSeconds : 0),
        JSON.stringify(event),
      ];
      try {
        let id: unknown;
        try {
          id = await command(['EVALSHA', PUBLISH_SCRIPT_SHA, '1', key, ...args]);
        } catch (error) {
          if (!(error instanceof Error && error.message.startsWith('NOSCRIPT'))) throw error;
          id = await command(['EVAL', PUBLISH_SCRIPT, '1', key, ...args]);
        }
        return String(id);
      } catch (error) {
        throw wrap(`publishing to ${key} failed. Check that Redis is reachable`, error);
      }
    },
    subscribe(conversationId, fromCursor, sink) {
      assertConversationId(conversationId, 'redis');
      if (closed) return () => {};
      const key = keyOf(conversationId);
      const sub: Subscriber = {
        sink,
        position: toStreamId(fromCursor),
        active: true,
        buffer: undefined,
      };
      let conversation = conversations.get(key);
      if (!conversation) {
        conversation = { position: undefined, subs: new Set() };
        conversations.set(key, conversation);
        looping ??= loop();
      }
      // Buffering from the start: an entry is in the replay or in the buffer, never in neither.
      sub.buffer = [];
      conversation.subs.add(sub);
      const joined = conversation;
      start(key, joined, sub)
        .catch((error) => {
          onError(
            wrap(`replaying ${key} failed; the subscriber catches up from the database`, error),
          );
          // Without a head, read from the start: late entries are filtered per subscriber, none skipped.
          if (joined.position === undefined && conversations.get(key) === joined) {
            joined.position = '0-0';
            interrupt();
          }
          sub.sink.resync?.();
        })
        .finally(() => {
          const buffered = sub.buffer ?? [];
          sub.buffer = undefined;
          for (const entry of buffered) if (sub.active) deliver(sub, entry);
        });
      return () => {
        sub.active = false;
        joined.subs.delete(sub);
        if (joined.subs.size === 0 && conversations.get(key) === joined) conversations.delete(key);
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      conversations.clear();
      wake?.();
      if (readerId) await command(['CLIENT', 'UNBLOCK', readerId]).catch(() => {});
      if (ownsReader) {
        // Never tear a node-redis connection down mid-connect: its aborted connect rejects internally.
        await readerReady.catch(() => {});
        const r = reader as NodeRedisBusClient & IoRedisBusClient;
        if (isIoRedis(reader)) r.disconnect?.();
        else if (typeof r.destroy === 'function') r.destroy();
        else await r.disconnect?.();
      }
      await looping;
    },
  };
}

// ---------------------------------------------------------------------------

interface Subscriber {
  sink: BusSink;
  /** Last entry id delivered (or the cursor subscribed from). */
  position: string;
  active: boolean;
  /** Set while an XRANGE replay runs: what the reader delivers meanwhile. */
  buffer: BusEntry[] | undefined;
}

interface Conversation {
  /** Last entry id the reader has read for this key; `undefined` until its head is known. */
  position: string | undefined;
  subs: Set<Subscriber>;
}
