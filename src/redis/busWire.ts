import { parseStreamEvent } from '../core/schemas';
import { type BusEntry, MessageBusError } from '../server/bus/messageBus';
import type { IoRedisBusClient, NodeRedisBusClient, RedisBusClient } from './createRedisBus';

/**
 * The Redis bus's wire helpers: raw commands and shard-channel subscriptions
 * on either driver (single Redis or Cluster), and the XRANGE replies of
 * RESP2 and RESP3. @internal
 */

/** Runs a raw command whose first key is `key` (a cluster routes it by that key). */
export type Runner = (key: string, args: string[]) => Promise<unknown>;

export function isIoRedis(client: RedisBusClient): client is IoRedisBusClient {
  return typeof (client as Partial<IoRedisBusClient>).call === 'function';
}

/** Picks the client's raw-command API once, so the hot path does not branch on the driver. */
export function commandRunner(client: RedisBusClient, name: string): Runner {
  if (client && isIoRedis(client))
    return (_key, [head = '', ...rest]) => client.call(head, ...rest);
  const node = client as Partial<NodeRedisBusClient> & { masters?: unknown };
  if (client && typeof node.sendCommand === 'function') {
    // node-redis's createCluster takes (firstKey, isReadonly, args); createClient takes (args).
    if ('masters' in client) {
      const cluster = client as unknown as NodeRedisClusterCommands;
      return (key, args) => cluster.sendCommand(key, false, args);
    }
    const single = client as unknown as { sendCommand(args: string[]): Promise<unknown> };
    return (_key, args) => single.sendCommand(args);
  }
  throw new MessageBusError(
    'invalid_option',
    `[seqline] [bus] [redis] ${name} must be an ioredis Redis/Cluster or a node-redis (v4+) client from createClient/createCluster: it has neither call() nor sendCommand()`,
  );
}

interface NodeRedisClusterCommands {
  sendCommand(firstKey: string, isReadonly: boolean, args: string[]): Promise<unknown>;
}

/** Subscribing the reader to shard channels, on either driver. */
export interface ShardSubscriber {
  subscribe(channel: string): Promise<unknown>;
  unsubscribe(channel: string): Promise<unknown>;
}

/** Wires `onMessage` to the reader's shard-channel messages (SSUBSCRIBE, Redis 7+). */
export function shardSubscriber(
  reader: RedisBusClient,
  onMessage: (channel: string, message: string) => void,
): ShardSubscriber {
  const io = reader as IoRedisBusClient;
  if (isIoRedis(reader) && typeof io.ssubscribe === 'function') {
    io.on?.('smessage', (channel, message) => onMessage(String(channel), String(message)));
    return {
      subscribe: (channel) => io.ssubscribe!(channel),
      unsubscribe: (channel) => io.sunsubscribe!(channel),
    };
  }
  const node = reader as NodeRedisBusClient;
  if (typeof node.sSubscribe === 'function') {
    const listener = (message: unknown, channel: unknown) =>
      onMessage(String(channel), String(message));
    return {
      subscribe: (channel) => node.sSubscribe!(channel, listener),
      unsubscribe: (channel) => node.sUnsubscribe!(channel, listener),
    };
  }
  throw new MessageBusError(
    'invalid_option',
    '[seqline] [bus] [redis] subscriber must support sharded pub/sub: ioredis ssubscribe() or node-redis sSubscribe() (ioredis 5.4+, node-redis 4.6+, Redis 7+)',
  );
}

export function duplicate(client: RedisBusClient): RedisBusClient {
  const dup = (client as { duplicate?: () => RedisBusClient } | null)?.duplicate;
  if (typeof dup !== 'function') {
    throw new MessageBusError(
      'invalid_option',
      '[seqline] [bus] [redis] the client has no duplicate(): pass subscriber, a second connected client for the shard-channel subscriptions',
    );
  }
  return dup.call(client);
}

/** `"<id> <json>"` from the publish script → an entry; `undefined` (reported) when it is not a valid event. */
export function parseAnnouncement(
  message: string,
  onError: (error: unknown) => void,
): BusEntry | undefined {
  const space = message.indexOf(' ');
  const id = message.slice(0, space);
  try {
    return { cursor: id, event: parseStreamEvent(JSON.parse(message.slice(space + 1))) };
  } catch (error) {
    onError(wrap(`skipped announced entry ${id}, which is not a stream event`, error));
    return undefined;
  }
}

/** `[[id, [field, value, …]], …]` → entries; an entry that is not a valid event is reported and skipped. */
export function parseEntries(reply: unknown, onError: (error: unknown) => void): BusEntry[] {
  if (!Array.isArray(reply)) return [];
  const entries: BusEntry[] = [];
  for (const item of reply) {
    const [id, fields] = item as [unknown, unknown];
    if (!Array.isArray(fields)) continue;
    const at = fields.findIndex((field, i) => i % 2 === 0 && String(field) === 'e');
    try {
      entries.push({
        cursor: String(id),
        event: parseStreamEvent(JSON.parse(String(fields[at + 1]))),
      });
    } catch (error) {
      onError(
        wrap(
          `skipped entry ${String(id)}, which is not a stream event (another writer on this key?)`,
          error,
        ),
      );
    }
  }
  return entries;
}

export function wrap(what: string, error: unknown): MessageBusError {
  const message = error instanceof Error ? error.message : String(error);
  return new MessageBusError('driver_failed', `[seqline] [bus] [redis] ${what}: ${message}`, {
    cause: error,
  });
}
