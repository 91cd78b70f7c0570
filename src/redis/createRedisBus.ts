import type { BusDriver, DriverListener } from '../server/bus/busDriver';
import { createMessageBus } from '../server/bus/createMessageBus';
import { streamIdCursors } from '../server/bus/cursor';
import {
  assertPositiveIntegers,
  isFinalEvent,
  type MessageBus,
  MessageBusError,
} from '../server/bus/messageBus';
import { PUBLISH_SCRIPT, PUBLISH_SCRIPT_SHA } from './busScript';
import {
  commandRunner,
  duplicate,
  isIoRedis,
  parseAnnouncement,
  parseEntries,
  shardSubscriber,
  wrap,
} from './busWire';
import { counterKey } from './script';

/**
 * The subset of an ioredis `Redis` or `Cluster` that the bus calls: raw
 * commands through `call`, and sharded pub/sub on the reader. Typed
 * structurally so seqline never imports ioredis.
 */
export interface IoRedisBusClient {
  call(command: string, ...args: string[]): Promise<unknown>;
  /** Used once, for the reader connection, when no `subscriber` is given. */
  duplicate?(): IoRedisBusClient;
  /** On the reader: SSUBSCRIBE (a `Cluster` needs `shardedSubscribers: true`). */
  ssubscribe?(...channels: string[]): Promise<unknown>;
  sunsubscribe?(...channels: string[]): Promise<unknown>;
  on?(event: string, listener: (...args: unknown[]) => void): unknown;
  disconnect?(): void;
}

/**
 * The subset of a node-redis (v4+) client from `createClient` or
 * `createCluster` that the bus calls: raw commands through `sendCommand`,
 * and sharded pub/sub on the reader. Typed structurally so seqline never
 * imports `redis`.
 */
export interface NodeRedisBusClient {
  sendCommand(...args: never[]): Promise<unknown>;
  /** Used once, for the reader connection, when no `subscriber` is given (then connected). */
  duplicate?(): NodeRedisBusClient;
  connect?(): Promise<unknown>;
  /** On the reader: SSUBSCRIBE. */
  sSubscribe?(
    channels: string,
    listener: (message: never, channel: never) => void,
  ): Promise<unknown>;
  sUnsubscribe?(
    channels: string,
    listener?: (message: never, channel: never) => void,
  ): Promise<unknown>;
  on?(event: string, listener: (...args: unknown[]) => void): unknown;
  destroy?(): void;
  disconnect?(): unknown;
}

/** Any client `createRedisBus` accepts: ioredis `Redis`/`Cluster` or a node-redis client/cluster. */
export type RedisBusClient = IoRedisBusClient | NodeRedisBusClient;

/** Options of {@link createRedisBus}. */
export interface RedisBusOptions {
  /** A connected client or cluster, for the publish script and XRANGE. The bus never closes it. */
  client: RedisBusClient;
  /**
   * A second connection (or cluster), only for the shard-channel
   * subscriptions (SSUBSCRIBE) that wake this instance for the
   * conversations it serves. Give one when `client` cannot be duplicated;
   * the bus never closes a `subscriber` you pass.
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
   * No effect since the bus wakes on sharded pub/sub instead of a blocking
   * XREAD; still validated, so existing options keep working.
   * @deprecated
   * @default 1000
   */
  blockMs?: number;
  /**
   * Called with a connection error of the reader (it reconnects), a failed
   * replay (the subscriber resyncs) or an entry that is not a valid event
   * (it is skipped).
   * @default console.error
   */
  onError?: (error: unknown) => void;
}

/**
 * A {@link MessageBus} on Redis Streams: one stream per conversation,
 * `${prefix}{conversationId}`, appended with `XADD MAXLEN ~` by a Lua script
 * that also announces the entry with `SPUBLISH` on the shard channel of the
 * same name. Each instance subscribes (SSUBSCRIBE) to the conversations it
 * serves, on one reader connection, and replays with `XRANGE`. Cursors are
 * stream entry ids (`1718000000000-3`), the same on every instance.
 *
 * Why Streams plus pub/sub: a subscriber connects, reconnects and resumes,
 * and pub/sub delivers only to whoever is listening at that instant. The
 * stream is the history (ordered ids that are the cursor, `XRANGE (cursor +`
 * replays, `MAXLEN ~` bounds it); the shard channel is the wake-up, and
 * carries the entry so no second read is needed. The shared fan-out
 * subscribes before it replays, so an entry is in the replay or announced
 * after it, never in neither; repeats are dropped by cursor.
 *
 * Works on a single Redis and on Redis Cluster (Redis 7+): the key and its
 * shard channel share the `{conversationId}` hash tag, so the script and
 * each subscription stay on one node. With an ioredis `Cluster`, create it
 * with `shardedSubscribers: true`.
 *
 * @example
 * import { Redis } from 'ioredis';
 * const bus = createRedisBus({ client: new Redis(process.env.REDIS_URL) });
 * await bus.publish('c1', { type: 'delta', messageId: 'm2', offset: 0, text: 'Hi' });
 */
export function createRedisBus(options: RedisBusOptions): MessageBus {
  return createMessageBus({ driver: createRedisDriver(options), onError: options.onError });
}

/** The Redis {@link BusDriver} behind {@link createRedisBus}. */
export function createRedisDriver(options: RedisBusOptions): BusDriver {
  const prefix = options.prefix ?? 'seqline:bus:';
  const maxLength = options.maxLength ?? 1000;
  const ttlSeconds = options.ttlSeconds ?? 3600;
  const blockMs = options.blockMs ?? 1000;
  if (typeof prefix !== 'string' || /[{}]/.test(prefix)) {
    throw new MessageBusError(
      'invalid_option',
      `[seqline] [bus] [redis] prefix must be a string without "{" or "}" (they would take over the hash tag), got ${JSON.stringify(prefix)}`,
    );
  }
  assertPositiveIntegers('redis', { maxLength, ttlSeconds, blockMs });
  const command = commandRunner(options.client, 'client');
  const maxLengthArg = String(maxLength);
  const ttlArg = String(ttlSeconds);
  let listener: DriverListener | undefined;
  const report = (error: unknown) => listener?.error(error);
  /** Shard channel (= stream key) → conversation id, for the conversations this instance watches. */
  const watched = new Map<string, string>();
  /** Channels SSUBSCRIBEd (a watch undone in the same tick never is). */
  const subscribed = new Set<string>();
  let reader: RedisBusClient | undefined;
  let channels: ReturnType<typeof shardSubscriber> | undefined;
  let readerReady: Promise<unknown> = Promise.resolve();
  let closed = false;
  /** From a break of the reader until `lost()`: entries missed meanwhile may precede an announced one. */
  let interrupted = false;

  const onMessage = (channel: string, message: string) => {
    const id = watched.get(channel);
    if (id === undefined) return;
    const entry = parseAnnouncement(message, report);
    if (!entry) return;
    // After a break, an announcement only points: the fan-out reads, in order, what came before it.
    if (interrupted) listener?.news(id, undefined, entry.cursor);
    else listener?.news(id, [entry]);
  };

  /** The reader, opened on the first watch: a duplicate of `client` unless `subscriber` was given. */
  const openReader = () => {
    const ownsReader = options.subscriber === undefined;
    const opened = options.subscriber ?? duplicate(options.client);
    reader = opened;
    channels = shardSubscriber(opened, onMessage);
    if (ownsReader) {
      opened.on?.('error', (error) =>
        report(wrap('the reader connection failed; it reconnects', error)),
      );
      const connect = (opened as NodeRedisBusClient).connect;
      // node-redis duplicates start disconnected; ioredis ones connect by themselves.
      if (typeof connect === 'function' && !isIoRedis(opened)) {
        readerReady = connect.call(opened);
        // A failed connect is reported through 'error'; close() during it must not leave a rejection unhandled.
        readerReady.catch(() => {});
      }
    }
    // A reader that is already connected has had its first `ready`: the next one is a reconnect.
    const state = opened as { status?: unknown; isReady?: unknown };
    let readyEvents = !ownsReader && (state.status === 'ready' || state.isReady === true) ? 1 : 0;
    // ioredis says `close`, node-redis `reconnecting`: either way announcements stop here.
    for (const broke of ['close', 'reconnecting']) {
      opened.on?.(broke, () => {
        if (readyEvents > 0) interrupted = true;
      });
    }
    opened.on?.('ready', () => {
      // Every `ready` after the first is a reconnect: announcements were lost, the server may have
      // restarted empty. ioredis emits `ready` before it subscribes again, and an entry appended
      // between a read and the SSUBSCRIBE would be in neither: subscribe (again, which is a no-op
      // where it already is) and only once Redis confirms tell the fan-out to read.
      if (readyEvents++ === 0 || closed) return;
      Promise.all([...subscribed].map((channel) => channels!.subscribe(channel)))
        .catch((error) => report(wrap('subscribing again after a reconnect failed', error)))
        .finally(() => {
          if (closed) return;
          interrupted = false;
          listener?.lost();
        });
    });
  };

  return {
    name: 'redis',
    cursors: streamIdCursors,
    async append(conversationId, event) {
      const key = counterKey(prefix, conversationId);
      const args = [maxLengthArg, isFinalEvent(event) ? ttlArg : '0', JSON.stringify(event)];
      try {
        let id: unknown;
        try {
          id = await command(key, ['EVALSHA', PUBLISH_SCRIPT_SHA, '1', key, ...args]);
        } catch (error) {
          if (!(error instanceof Error && error.message.startsWith('NOSCRIPT'))) throw error;
          id = await command(key, ['EVAL', PUBLISH_SCRIPT, '1', key, ...args]);
        }
        return String(id);
      } catch (error) {
        throw wrap(`publishing to ${key} failed. Check that Redis is reachable`, error);
      }
    },
    async read(conversationId, after, limit) {
      const key = counterKey(prefix, conversationId);
      const from = after === undefined ? '-' : `(${after}`;
      const reply = await command(key, ['XRANGE', key, from, '+', 'COUNT', String(limit)]);
      return parseEntries(reply, report);
    },
    async head(conversationId) {
      const key = counterKey(prefix, conversationId);
      const reply = await command(key, ['XREVRANGE', key, '+', '-', 'COUNT', '1']);
      const last = Array.isArray(reply) ? (reply[0] as [unknown] | undefined) : undefined;
      return last ? String(last[0]) : undefined;
    },
    async watch(conversationId) {
      if (!reader) openReader();
      const channel = counterKey(prefix, conversationId);
      watched.set(channel, conversationId);
      await readerReady;
      // Left within the same tick (a client that connected and went): no SSUBSCRIBE, no SUNSUBSCRIBE.
      if (watched.get(channel) !== conversationId || closed) return;
      subscribed.add(channel);
      await channels!.subscribe(channel);
    },
    unwatch(conversationId) {
      const channel = counterKey(prefix, conversationId);
      watched.delete(channel);
      if (subscribed.delete(channel) && !closed) channels?.unsubscribe(channel).catch(() => {});
    },
    open(next) {
      listener = next;
    },
    async close() {
      if (closed) return;
      closed = true;
      watched.clear();
      if (!reader || options.subscriber !== undefined) return;
      // Never tear a node-redis connection down mid-connect: its aborted connect rejects internally.
      await readerReady.catch(() => {});
      const r = reader as NodeRedisBusClient & IoRedisBusClient;
      if (isIoRedis(reader)) r.disconnect?.();
      else if (typeof r.destroy === 'function') r.destroy();
      else await r.disconnect?.();
    },
  };
}
