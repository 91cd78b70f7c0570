import {
  type AllocateOptions,
  assertValidCount,
  assertValidScope,
  overflowError,
  type SequenceAllocator,
  type SequenceRange,
} from '../server/allocator';
import { SequenceAllocatorError } from '../server/errors';
import {
  ALLOCATE_SCRIPT,
  ALLOCATE_SCRIPT_SHA,
  type AllocateScriptCall,
  allocateScriptCall,
  counterKey,
} from './script';

/**
 * The subset of an ioredis `Redis` or `Cluster` that the allocator calls.
 * Typed structurally so seqline never imports ioredis.
 */
export interface IoRedisScriptClient {
  /** `EVALSHA sha numkeys key… arg…` */
  evalsha(sha: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
  /** `EVAL script numkeys key… arg…`, used once per node when the script is not cached yet. */
  eval(script: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
}

/**
 * The subset of a node-redis (v4+) client from `createClient` or
 * `createCluster` that the allocator calls. Typed structurally so seqline
 * never imports `redis`.
 */
export interface NodeRedisScriptClient {
  /** `EVALSHA`; node-redis routes it by `keys[0]` on a cluster. */
  evalSha(sha: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  /** `EVAL`, used once per node when the script is not cached yet. */
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

/** Any client `createRedisAllocator` accepts: ioredis `Redis`/`Cluster`, node-redis `createClient`/`createCluster`. */
export type RedisScriptClient = IoRedisScriptClient | NodeRedisScriptClient;

/**
 * What the database says is the highest sequence already stored for a scope,
 * usually `SELECT MAX(sequence) FROM messages WHERE conversation_id = $1`.
 * `null`/`undefined` (no rows) count as 0; numeric strings and bigints (as
 * `pg` returns for BIGINT) are accepted.
 */
export type RedisFloor = (
  scope: string,
) =>
  | number
  | bigint
  | string
  | null
  | undefined
  | Promise<number | bigint | string | null | undefined>;

/** Options of `createRedisAllocator`. */
export interface RedisAllocatorOptions {
  /**
   * A connected ioredis `Redis` or `Cluster`, or a connected node-redis
   * client from `createClient` or `createCluster`. The allocator never
   * connects, disconnects or reconfigures it.
   */
  client: RedisScriptClient;
  /**
   * Prepended to every counter key: the key for scope `c1` is
   * `${prefix}{c1}`. Must not contain `{` or `}`, which would steal the
   * Redis Cluster hash tag from the scope.
   *
   * @default 'seqline:seq:'
   */
  prefix?: string;
  /**
   * Reads the highest sequence the database already holds for a scope. Called
   * only when the scope's counter key is missing (a new scope, or a counter
   * lost to FLUSHALL, eviction or a restart without persistence) and by
   * `reseed`. The counter is then raised to it, so numbers continue after
   * what is stored instead of restarting at 1.
   *
   * Without `floor`, a missing counter throws
   * `SequenceAllocatorError('FLOOR_REQUIRED')`: the allocator cannot tell a
   * brand-new scope from a lost counter. Pass `floor: () => 0` only when
   * every scope you allocate for is new (tests, fresh data).
   *
   * @default undefined (a missing counter throws FLOOR_REQUIRED)
   * @example
   * floor: async (conversationId) => {
   *   const { rows } = await pool.query(
   *     'SELECT MAX(sequence) AS max FROM messages WHERE conversation_id = $1', [conversationId]);
   *   return rows[0].max; // null (no rows) counts as 0
   * }
   */
  floor?: RedisFloor;
}

/** A Redis-backed `SequenceAllocator` that can also be re-seeded from the database. */
export interface RedisAllocator extends SequenceAllocator<AllocateOptions> {
  /**
   * Raises the scope's counter to at least `floor(scope)` (never lowers it)
   * and returns the counter. Call it after a unique violation on
   * (scope, sequence): the counter was lost and re-seeded while a number was
   * handed out but not yet stored, so it fell behind the table.
   * `insertWithSequence` from `seqline/server` does this for you.
   * Throws `FLOOR_REQUIRED` when the allocator has no `floor`.
   */
  reseed(scope: string): Promise<number>;
}

/**
 * A `SequenceAllocator` on Redis: one Lua script does INCRBY on
 * `${prefix}{scope}` atomically, so any number of app instances share the
 * counters. Monotonic; not gapless (a failed insert leaves a gap). Works on a
 * single Redis and on Redis Cluster (keys carry a `{scope}` hash tag).
 *
 * A missing counter is re-seeded from `floor(scope)`, the database's
 * MAX(sequence), never restarted at 1. A counter lost while a number was
 * handed out but not yet stored can still re-issue that number; keep
 * `UNIQUE (scope, sequence)` on the table and insert through
 * `insertWithSequence`, which re-seeds and retries on a violation.
 *
 * @example
 * import { Redis } from 'ioredis';
 * const allocator = createRedisAllocator({
 *   client: new Redis(process.env.REDIS_URL),
 *   floor: async (id) =>
 *     (await pool.query('SELECT MAX(sequence) AS max FROM messages WHERE conversation_id = $1', [id]))
 *       .rows[0].max,
 * });
 * const { first, last } = await allocator.nextRange(conversationId, 2); // prompt + reply
 */
export function createRedisAllocator(options: RedisAllocatorOptions): RedisAllocator {
  const { client, floor } = options;
  const prefix = options.prefix ?? 'seqline:seq:';
  if (typeof prefix !== 'string' || /[{}]/.test(prefix)) {
    throw new SequenceAllocatorError(
      'INVALID_CONFIG',
      `[seqline] [redis] prefix must be a string without "{" or "}" (they would take over the Redis Cluster hash tag), got ${JSON.stringify(prefix)}`,
    );
  }
  if (floor !== undefined && typeof floor !== 'function') {
    throw new SequenceAllocatorError(
      'INVALID_CONFIG',
      '[seqline] [redis] floor must be a function (scope) => the highest sequence stored for that scope',
    );
  }
  const run = scriptRunner(client);
  // Many callers hitting one missing counter at once share one floor query.
  const pendingFloors = new Map<string, Promise<number>>();

  const readFloor = async (scope: string, key: string): Promise<number> => {
    if (!floor) throw floorRequired(scope, key);
    let value: unknown;
    try {
      value = await floor(scope);
    } catch (error) {
      throw new SequenceAllocatorError(
        'BACKEND',
        `[seqline] [redis] floor(${JSON.stringify(scope)}) threw, so the missing counter ${key} could not be re-seeded: ${messageOf(error)}. Check the database the floor callback reads`,
        { cause: error },
      );
    }
    return toFloor(value, scope);
  };

  const sharedFloor = (scope: string, key: string): Promise<number> => {
    let pending = pendingFloors.get(scope);
    if (!pending) {
      pending = readFloor(scope, key).finally(() => pendingFloors.delete(scope));
      pendingFloors.set(scope, pending);
    }
    return pending;
  };

  const call = async (scope: string, request: AllocateScriptCall): Promise<number | null> => {
    let reply: unknown;
    try {
      reply = await run(request);
    } catch (error) {
      throw new SequenceAllocatorError(
        'BACKEND',
        `[seqline] [redis] allocating for scope ${JSON.stringify(scope)} (key ${request.keys[0]}) failed: ${messageOf(error)}. Check that Redis is reachable and the client is connected`,
        { cause: error },
      );
    }
    return toReply(reply, request.keys[0]);
  };

  /** Reserves `count` sequences (0 reads) and returns the last one. */
  const reserve = async (scope: string, count: number): Promise<number> => {
    const key = counterKey(prefix, scope);
    let last = await call(scope, allocateScriptCall(key, count, undefined));
    // The script seeds only upwards, so a concurrent seeder with another floor cannot lower it.
    last ??= await call(scope, allocateScriptCall(key, count, await sharedFloor(scope, key)));
    if (last === null) throw new Error('[seqline] [redis] unreachable: a seeded call returned nil');
    if (last === OVERFLOW) throw overflowError('redis', scope, count);
    return last;
  };

  return {
    async next(scope) {
      assertValidScope(scope, 'redis');
      return reserve(scope, 1);
    },
    async nextRange(scope, count): Promise<SequenceRange> {
      assertValidScope(scope, 'redis');
      assertValidCount(count, 'redis');
      const last = await reserve(scope, count);
      return { first: last - count + 1, last };
    },
    async current(scope) {
      assertValidScope(scope, 'redis');
      const key = counterKey(prefix, scope);
      const value = await call(scope, allocateScriptCall(key, 0, undefined));
      // Reading must not write: report the floor without seeding the counter.
      return value ?? sharedFloor(scope, key);
    },
    async reseed(scope) {
      assertValidScope(scope, 'redis');
      const key = counterKey(prefix, scope);
      // Fresh read, not shared: a floor query already in flight may predate the row that conflicted.
      const value = await call(scope, allocateScriptCall(key, 0, await readFloor(scope, key)));
      return value ?? 0;
    },
  };
}

// ---------------------------------------------------------------------------

/** What the script answers when `count` more would pass `MAX_SEQUENCE`. */
const OVERFLOW = -1;

type ScriptRunner = (call: AllocateScriptCall) => Promise<unknown>;

/** Picks the adapter for the client's API once, so the hot path has no branching on the driver. */
function scriptRunner(client: RedisScriptClient): ScriptRunner {
  const candidate = client as Partial<IoRedisScriptClient & NodeRedisScriptClient> | null;
  if (candidate && typeof candidate.evalSha === 'function') {
    const nodeRedis = client as NodeRedisScriptClient;
    return async ({ keys, args }) => {
      const options = { keys, arguments: args };
      try {
        return await nodeRedis.evalSha(ALLOCATE_SCRIPT_SHA, options);
      } catch (error) {
        if (!isNoScript(error)) throw error;
        return nodeRedis.eval(ALLOCATE_SCRIPT, options);
      }
    };
  }
  if (candidate && typeof candidate.evalsha === 'function') {
    const ioredis = client as IoRedisScriptClient;
    return async ({ keys, args }) => {
      try {
        return await ioredis.evalsha(ALLOCATE_SCRIPT_SHA, 1, ...keys, ...args);
      } catch (error) {
        if (!isNoScript(error)) throw error;
        return ioredis.eval(ALLOCATE_SCRIPT, 1, ...keys, ...args);
      }
    };
  }
  throw new SequenceAllocatorError(
    'INVALID_CONFIG',
    '[seqline] [redis] client must be an ioredis Redis/Cluster or a node-redis (v4+) client from createClient/createCluster: it has neither evalsha() nor evalSha()',
  );
}

/** Redis answers NOSCRIPT when this node has not cached the script (first use, restart, SCRIPT FLUSH). */
function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

function toReply(reply: unknown, key: string): number | null {
  if (reply === null || reply === undefined) return null;
  const value = typeof reply === 'number' ? reply : Number(reply);
  if (!Number.isSafeInteger(value)) {
    throw new SequenceAllocatorError(
      'BACKEND',
      `[seqline] [redis] counter ${key} returned ${String(reply)}, not a safe integer. Something else writes to this key; choose another prefix`,
    );
  }
  return value;
}

function toFloor(value: unknown, scope: string): number {
  if (value === null || value === undefined) return 0;
  const floor = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(floor) || floor < 0) {
    throw new SequenceAllocatorError(
      'INVALID_CONFIG',
      `[seqline] [redis] floor(${JSON.stringify(scope)}) returned ${String(value)}; it must return the highest stored sequence: a non-negative integer, or null when there are none`,
    );
  }
  return floor;
}

function floorRequired(scope: string, key: string): SequenceAllocatorError {
  return new SequenceAllocatorError(
    'FLOOR_REQUIRED',
    `[seqline] [redis] the counter ${key} for scope ${JSON.stringify(scope)} is missing and no floor was given, so the allocator cannot tell a new scope from a counter lost to FLUSHALL, eviction or a restart. Pass floor: (scope) => SELECT MAX(sequence) for that scope to createRedisAllocator (or floor: () => 0 if every scope is brand new)`,
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
