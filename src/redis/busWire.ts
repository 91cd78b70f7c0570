import { parseStreamEvent } from '../core/schemas';
import { type BusEntry, MessageBusError } from '../server/bus/messageBus';
import type { IoRedisBusClient, NodeRedisBusClient, RedisBusClient } from './createRedisBus';

/**
 * The Redis bus's wire helpers: raw commands on either driver, stream ids,
 * and the XRANGE / XREAD replies of RESP2 and RESP3. @internal
 */

/** Entries per XREAD / XRANGE page. */
export const PAGE = 500;

export type Runner = (args: string[]) => Promise<unknown>;

export function isIoRedis(client: RedisBusClient): client is IoRedisBusClient {
  return typeof (client as Partial<IoRedisBusClient>).call === 'function';
}

/** Picks the client's raw-command API once, so the hot path does not branch on the driver. */
export function commandRunner(client: RedisBusClient, name: string): Runner {
  if (client && isIoRedis(client)) return ([head = '', ...rest]) => client.call(head, ...rest);
  if (client && typeof (client as Partial<NodeRedisBusClient>).sendCommand === 'function') {
    return (args) => (client as NodeRedisBusClient).sendCommand(args);
  }
  throw new MessageBusError(
    'invalid_option',
    `[seqline] [bus] [redis] ${name} must be an ioredis Redis or a node-redis (v4+) client from createClient: it has neither call() nor sendCommand()`,
  );
}

export function duplicate(client: RedisBusClient): RedisBusClient {
  const dup = (client as { duplicate?: () => RedisBusClient } | null)?.duplicate;
  if (typeof dup !== 'function') {
    throw new MessageBusError(
      'invalid_option',
      '[seqline] [bus] [redis] the client has no duplicate(): pass subscriber, a second connected client for the blocking XREAD',
    );
  }
  return dup.call(client);
}

export const STREAM_ID = /^(0|[1-9][0-9]{0,15})-(0|[1-9][0-9]{0,15})$/;

/** A valid stream id to read after; anything else (malformed, forged, `'0'`) reads from the start. */
export function toStreamId(cursor: string | undefined): string {
  return cursor !== undefined && STREAM_ID.test(cursor) ? cursor : '0-0';
}

export function compareIds(a: string, b: string): number {
  const [aMs = 0, aSeq = 0] = a.split('-').map(Number);
  const [bMs = 0, bSeq = 0] = b.split('-').map(Number);
  return aMs - bMs || aSeq - bSeq;
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

/**
 * XREAD's reply, null on timeout. RESP2 gives `[[key, entries], …]`; RESP3
 * gives a map, which ioredis 6 flattens to `[key, entries, key, entries, …]`
 * and node-redis may return as a `Map` or an object.
 */
export function parseXread(
  reply: unknown,
  onError: (error: unknown) => void,
): [string, BusEntry[]][] {
  let pairs: [unknown, unknown][] = [];
  if (reply instanceof Map) pairs = [...reply.entries()];
  else if (Array.isArray(reply)) {
    if (reply.length > 0 && !Array.isArray(reply[0])) {
      for (let i = 0; i + 1 < reply.length; i += 2) pairs.push([reply[i], reply[i + 1]]);
    } else pairs = reply as [unknown, unknown][];
  } else if (reply !== null && typeof reply === 'object') pairs = Object.entries(reply);
  return pairs.map(([key, entries]) => [String(key), parseEntries(entries, onError)]);
}

export function wrap(what: string, error: unknown): MessageBusError {
  const message = error instanceof Error ? error.message : String(error);
  return new MessageBusError('driver_failed', `[seqline] [bus] [redis] ${what}: ${message}`, {
    cause: error,
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
