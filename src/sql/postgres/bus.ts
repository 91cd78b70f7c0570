import { fnv1aHex } from '../../core/hash';
import { parseStreamEvent } from '../../core/schemas';
import type { BusDriver, DriverListener } from '../../server/bus/busDriver';
import { createMessageBus } from '../../server/bus/createMessageBus';
import { integerCursors } from '../../server/bus/cursor';
import {
  assertPositiveIntegers,
  type BusEntry,
  type MessageBus,
  MessageBusError,
} from '../../server/bus/messageBus';
import { quoteTableName } from '../identifiers';
import { busTableDDL, tableName } from './busTable';
import { POSTGRES_ERRORS, postgresCode } from './errors';

export { busTableDDL } from './busTable';

/** Events up to this many bytes of JSON ride in the NOTIFY payload (capped at 8000 bytes with the id). */
const INLINE_BYTES = 7000;

/** A notification as node-postgres emits it. */
export interface PostgresNotification {
  channel: string;
  payload?: string | undefined;
}

/**
 * The subset of a node-postgres `Client` (or a `PoolClient`) that holds the
 * bus's `LISTEN`: a dedicated connection, never used for anything else.
 */
export interface PostgresListenClient {
  query(config: { text: string; values?: unknown[] }): Promise<{ rows: unknown[] }>;
  on(event: 'notification', listener: (message: PostgresNotification) => void): unknown;
  on(event: 'error' | 'end', listener: (error?: unknown) => void): unknown;
  removeAllListeners?(event?: string): unknown;
  /** A `PoolClient`: returned to the pool (destroyed) when the bus closes or the connection breaks. */
  release?(destroy?: boolean): void;
}

/**
 * The subset of a `pg.Pool` the bus calls: queries for publishing and
 * reading, and `connect()` for its listening connection (again after a
 * broken one).
 */
export interface PostgresBusPool {
  query(config: { text: string; values?: unknown[]; name?: string }): Promise<{ rows: unknown[] }>;
  connect(): Promise<PostgresListenClient>;
}

/** Options of {@link createPostgresBus}. */
export interface PostgresBusOptions {
  /** A `pg.Pool`. The bus checks out one connection for `LISTEN` and keeps it until `close()`. */
  pool: PostgresBusPool;
  /**
   * The events table, optionally schema-qualified. Its heads table (one row
   * per conversation: the last position) is `<table>_heads`.
   * @default 'seqline_bus_events'
   */
  table?: string;
  /**
   * The NOTIFY channel: lowercase letters, digits and underscores.
   * @default 'seqline_bus'
   */
  channel?: string;
  /**
   * Rows kept per conversation; older ones are deleted as new ones come in
   * (every 100th publish). A subscriber resuming before them catches up from
   * the messages table.
   * @default 1000
   */
  maxLength?: number;
  /**
   * Called with a broken listening connection (the bus reconnects) or a row
   * that is not a valid event (skipped).
   * @default console.error
   */
  onError?: (error: unknown) => void;
}

/** A {@link MessageBus} on Postgres, with its schema and pruning. */
export interface PostgresBus extends MessageBus {
  /** The `CREATE TABLE IF NOT EXISTS …` statements for the events and heads tables. */
  readonly ddl: string;
  /** Runs `ddl`. Idempotent; safe to race from several instances. */
  ensureSchema(): Promise<void>;
  /**
   * Deletes events older than `olderThanSeconds` in every conversation and
   * returns how many. Run it from a cron; the per-conversation `maxLength`
   * cap works without it.
   * @default olderThanSeconds 86400
   */
  prune(olderThanSeconds?: number): Promise<number>;
}

/**
 * A {@link MessageBus} on PostgreSQL LISTEN/NOTIFY, for apps that run no
 * Redis. Every event is stored in the events table; NOTIFY carries
 * `[position, conversationId, event]`, or only `[position, conversationId]`
 * when the event is over 7000 bytes (NOTIFY payloads are capped at 8000) and
 * the listener reads its row. Each instance listens on one connection, and
 * reads rows once per conversation, however many of its clients follow it.
 *
 * Cursors are per-conversation positions (`1`, `2`, …) taken from a heads
 * row in the same statement as the insert. The row lock serialises
 * publishers of one conversation until commit, so positions commit in
 * order and a reader that has seen position n has seen everything below it
 * (a global `bigserial` would not promise that).
 *
 * @example
 * const bus = createPostgresBus({ pool });
 * await bus.ensureSchema();
 * await bus.publish('c1', { type: 'delta', messageId: 'm2', offset: 0, text: 'Hi' }); // '1'
 */
export function createPostgresBus(options: PostgresBusOptions): PostgresBus {
  const { driver, ddl, ensureSchema, prune } = createPostgresDriver(options);
  const bus = createMessageBus({ driver, onError: options.onError });
  return {
    publish: bus.publish,
    subscribe: bus.subscribe,
    close: bus.close,
    ddl,
    ensureSchema,
    prune,
  };
}

/** The Postgres {@link BusDriver} behind {@link createPostgresBus}, with its schema and pruning. */
export function createPostgresDriver(options: PostgresBusOptions) {
  const { pool } = options;
  const name = tableName(options.table ?? 'seqline_bus_events');
  const channel = options.channel ?? 'seqline_bus';
  const maxLength = options.maxLength ?? 1000;
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel)) {
    throw new MessageBusError(
      'invalid_option',
      `[seqline] [bus] [postgres] channel must be lowercase letters, digits and underscores (at most 63), got ${JSON.stringify(channel)}`,
    );
  }
  assertPositiveIntegers('postgres', { maxLength });
  if (!pool || typeof pool.query !== 'function' || typeof pool.connect !== 'function') {
    throw new MessageBusError(
      'invalid_option',
      '[seqline] [bus] [postgres] pool must be a pg.Pool (query() and connect())',
    );
  }
  const events = quoteTableName(name, '"');
  const heads = quoteTableName({ ...name, table: `${name.table}_heads` }, '"');
  const ddl = busTableDDL(name);

  const publishSql = /* sql */ `WITH head AS (
  INSERT INTO ${heads} AS h (conversation_id, position) VALUES ($1, 1)
  ON CONFLICT (conversation_id) DO UPDATE SET position = h.position + 1
  RETURNING position
), added AS (
  INSERT INTO ${events} (conversation_id, position, event)
  SELECT $1, position, $2::text::jsonb FROM head
  RETURNING position
)
SELECT position, pg_notify($3, CASE WHEN octet_length($2::text) <= ${INLINE_BYTES}
  THEN json_build_array(position, $1::text, $2::text::json)
  ELSE json_build_array(position, $1::text) END::text) FROM added`;
  const readSql = /* sql */ `SELECT position, event FROM ${events}
WHERE conversation_id = $1 AND position > $2 ORDER BY position LIMIT $3`;
  const headSql = /* sql */ `SELECT position FROM ${heads} WHERE conversation_id = $1`;
  const trimSql = /* sql */ `DELETE FROM ${events} WHERE conversation_id = $1 AND position <= $2`;
  // Named prepared statements: each connection parses and plans the publish CTE once, not per event.
  const named = (text: string) => `seqline_bus_${fnv1aHex(text)}`;
  const publishName = named(publishSql);
  const readName = named(readSql);
  const pruneSql = /* sql */ `DELETE FROM ${events} WHERE created_at < now() - make_interval(secs => $1)`;

  let closed = false;
  let listener: DriverListener | undefined;
  let client: PostgresListenClient | undefined;
  let listening: Promise<void> | undefined;
  /** From a break of the LISTEN connection until `lost()`: entries missed meanwhile may precede a notified one. */
  let interrupted = false;
  const report = (error: unknown) => listener?.error(error);

  const fail = (what: string, error: unknown) => {
    const reason = error instanceof Error ? error.message : String(error);
    const hint =
      postgresCode(error) === POSTGRES_ERRORS.undefinedTable
        ? 'create the tables first: await bus.ensureSchema() (or run bus.ddl in a migration)'
        : 'check the connection';
    return new MessageBusError(
      'driver_failed',
      `[seqline] [bus] [postgres] ${what} failed: ${reason}; ${hint}`,
      { cause: error },
    );
  };

  const onNotification = (message: PostgresNotification) => {
    if (message.channel !== channel || !message.payload) return;
    // `[position, conversationId, event?]`: a small event rides along (no read, one round trip
    // less per delta); a large one is only pointed to and the fan-out reads its row.
    let position: unknown;
    let id: unknown;
    let event: unknown;
    try {
      [position, id, event] = JSON.parse(message.payload) as unknown[];
    } catch (error) {
      report(fail('reading a notification', error));
      return;
    }
    if (typeof id !== 'string' || !Number.isSafeInteger(position)) return;
    const cursor = String(position);
    let entry: BusEntry | undefined;
    // After a break, a notification only points: the fan-out reads, in order, what came before it.
    if (event !== undefined && !interrupted) {
      try {
        entry = { cursor, event: parseStreamEvent(event) };
      } catch {
        // Not a valid event: the read skips and reports its row.
      }
    }
    listener?.news(id, entry && [entry], cursor);
  };

  /** Checks out the LISTEN connection; again (with backoff) after it breaks, then tells the fan-out. */
  const listen = async (attempt = 0): Promise<void> => {
    if (closed) return;
    let next: PostgresListenClient | undefined;
    try {
      next = await pool.connect();
      next.on('notification', onNotification);
      const broken = (error?: unknown) => {
        if (client !== next || closed) return;
        client = undefined;
        interrupted = true;
        report(
          fail('the LISTEN connection broke; reconnecting', error ?? new Error('connection ended')),
        );
        next?.release?.(true);
        listening = listen(1);
      };
      next.on('error', broken);
      next.on('end', broken);
      await next.query({ text: /* sql */ `LISTEN ${channel}` });
      client = next;
      // Notifications sent while we were away are gone: every conversation re-reads and every client
      // reloads. (A notification parsed with LISTEN's reply came before this line, pointer-only.)
      interrupted = false;
      if (attempt > 0) listener?.lost();
    } catch (error) {
      next?.release?.(true);
      if (closed) return;
      report(fail('LISTEN', error));
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(1000, 50 * 2 ** Math.min(attempt, 5))),
      );
      return listen(attempt + 1);
    }
  };

  const driver: BusDriver = {
    name: 'postgres',
    cursors: integerCursors,
    async append(conversationId, event) {
      let position: number;
      try {
        const { rows } = await pool.query({
          name: publishName,
          text: publishSql,
          values: [conversationId, JSON.stringify(event), channel],
        });
        position = Number((rows[0] as { position: unknown }).position);
      } catch (error) {
        throw fail(`publishing to ${JSON.stringify(conversationId)}`, error);
      }
      if (position % TRIM_EVERY === 0 && position > maxLength) {
        pool
          .query({ text: trimSql, values: [conversationId, position - maxLength] })
          .catch((error) => report(fail(`trimming ${JSON.stringify(conversationId)}`, error)));
      }
      return String(position);
    },
    async read(conversationId, after, limit) {
      const { rows } = await pool.query({
        name: readName,
        text: readSql,
        values: [conversationId, after === undefined ? 0 : Number(after), limit],
      });
      const entries: BusEntry[] = [];
      for (const row of rows as { position: unknown; event: unknown }[]) {
        try {
          entries.push({ cursor: String(row.position), event: parseStreamEvent(row.event) });
        } catch (error) {
          const where = `reading position ${String(row.position)} of ${JSON.stringify(conversationId)} (not a stream event)`;
          report(fail(where, error));
        }
      }
      return entries;
    },
    async head(conversationId) {
      const { rows } = await pool.query({ text: headSql, values: [conversationId] });
      const position = (rows[0] as { position?: unknown } | undefined)?.position;
      return position === undefined ? undefined : String(position);
    },
    // One LISTEN carries every conversation: a row committed before it resolves is in the replay.
    watch: () => (listening ??= listen()),
    unwatch() {},
    open(next) {
      listener = next;
    },
    async close() {
      if (closed) return;
      closed = true;
      await listening;
      const held = client;
      client = undefined;
      if (held) {
        await held.query({ text: /* sql */ `UNLISTEN ${channel}` }).catch(() => {});
        // Destroyed, not returned: a pooled client would keep this bus's listeners and pile up
        // more with every bus that borrowed it after (MaxListenersExceededWarning, stale handlers).
        held.release?.(true);
      }
    },
  };

  return {
    driver,
    ddl,
    async ensureSchema() {
      try {
        await pool.query({ text: ddl });
      } catch (error) {
        // Two instances racing CREATE … IF NOT EXISTS can both pass the check; the loser hits a catalog unique violation.
        if (postgresCode(error) === POSTGRES_ERRORS.uniqueViolation) return;
        throw fail('creating the bus tables', error);
      }
    },
    async prune(olderThanSeconds = 86_400) {
      if (!Number.isFinite(olderThanSeconds) || olderThanSeconds < 0) {
        throw new MessageBusError(
          'invalid_option',
          `[seqline] [bus] [postgres] prune() takes seconds (0 or more), got ${String(olderThanSeconds)}`,
        );
      }
      try {
        const result = (await pool.query({ text: pruneSql, values: [olderThanSeconds] })) as {
          rowCount?: number | null;
        };
        return result.rowCount ?? 0;
      } catch (error) {
        throw fail('pruning', error);
      }
    },
  };
}

// ---------------------------------------------------------------------------

/** Trim a conversation's old rows on every this many-th publish. */
const TRIM_EVERY = 100;
