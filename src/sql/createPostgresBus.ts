import { fnv1aHex } from '../core/hash';
import { parseStreamEvent } from '../core/schemas';
import {
  assertConversationId,
  type BusEntry,
  type BusSink,
  checkPublish,
  type MessageBus,
  MessageBusError,
} from '../server/bus/messageBus';
import { SequenceAllocatorError } from '../server/errors';
import { parseTableName, quoteTableName, type TableName } from './dialect';

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
 * Redis. NOTIFY payloads are capped at 8000 bytes, so an event never travels
 * in one: it is stored in the events table and NOTIFY carries only a pointer,
 * `<position> <conversationId>`. Each instance listens on one connection,
 * and reads new rows once per conversation, however many of its clients
 * follow it.
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
  const { pool } = options;
  const name = tableName(options.table ?? 'seqline_bus_events');
  const channel = options.channel ?? 'seqline_bus';
  const maxLength = options.maxLength ?? 1000;
  const onError = options.onError ?? ((error: unknown) => console.error(error));
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel)) {
    throw new MessageBusError(
      'invalid_option',
      `[seqline] [bus] [postgres] channel must be lowercase letters, digits and underscores (at most 63), got ${JSON.stringify(channel)}`,
    );
  }
  if (!Number.isSafeInteger(maxLength) || maxLength < 1) {
    throw new MessageBusError(
      'invalid_option',
      `[seqline] [bus] [postgres] maxLength must be a positive integer, got ${String(maxLength)}`,
    );
  }
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
  SELECT $1, position, $2::jsonb FROM head
  RETURNING position
)
SELECT position, pg_notify($3, position::text || ' ' || $1) FROM added`;
  const readSql = /* sql */ `SELECT position, event FROM ${events}
WHERE conversation_id = $1 AND position > $2 ORDER BY position LIMIT ${PAGE}`;
  const headSql = /* sql */ `SELECT position FROM ${heads} WHERE conversation_id = $1`;
  const trimSql = /* sql */ `DELETE FROM ${events} WHERE conversation_id = $1 AND position <= $2`;
  // Named prepared statements: each connection parses and plans the publish CTE once, not per event.
  const named = (text: string) => `seqline_bus_${fnv1aHex(text)}`;
  const publishName = named(publishSql);
  const readName = named(readSql);
  const pruneSql = /* sql */ `DELETE FROM ${events} WHERE created_at < now() - make_interval(secs => $1)`;

  const conversations = new Map<string, Conversation>();
  let closed = false;
  let listener: PostgresListenClient | undefined;
  let listening: Promise<void> | undefined;

  const fail = (what: string, error: unknown) => {
    const reason = error instanceof Error ? error.message : String(error);
    const hint =
      (error as { code?: unknown }).code === '42P01'
        ? 'create the tables first: await bus.ensureSchema() (or run bus.ddl in a migration)'
        : 'check the connection';
    return new MessageBusError(
      'driver_failed',
      `[seqline] [bus] [postgres] ${what} failed: ${reason}; ${hint}`,
      {
        cause: error,
      },
    );
  };

  const read = async (conversationId: string, after: number): Promise<BusEntry[]> => {
    const { rows } = await pool.query({
      name: readName,
      text: readSql,
      values: [conversationId, after],
    });
    const entries: BusEntry[] = [];
    for (const row of rows as { position: unknown; event: unknown }[]) {
      try {
        entries.push({ cursor: String(row.position), event: parseStreamEvent(row.event) });
      } catch (error) {
        onError(
          fail(
            `reading position ${String(row.position)} of ${JSON.stringify(conversationId)} (not a stream event)`,
            error,
          ),
        );
      }
    }
    return entries;
  };

  const deliver = (sub: Subscriber, entry: BusEntry) => {
    const position = Number(entry.cursor);
    if (!sub.active || position <= sub.position) return;
    sub.position = position;
    sub.sink.event(entry);
  };

  /** Reads this conversation's new rows once for all its subscribers; one pump at a time per conversation. */
  const pump = async (conversationId: string, conversation: Conversation): Promise<void> => {
    if (conversation.position === undefined) return;
    if (conversation.pumping) {
      conversation.again = true;
      return;
    }
    conversation.pumping = true;
    try {
      do {
        conversation.again = false;
        for (;;) {
          const entries = await read(conversationId, conversation.position);
          for (const entry of entries) {
            conversation.position = Number(entry.cursor);
            for (const sub of [...conversation.subs]) {
              if (sub.buffer) sub.buffer.push(entry);
              else deliver(sub, entry);
            }
          }
          if (entries.length < PAGE) break;
        }
      } while (conversation.again && !closed);
    } catch (error) {
      onError(fail(`reading new events of ${JSON.stringify(conversationId)}`, error));
      for (const sub of conversation.subs) sub.sink.resync?.();
    } finally {
      conversation.pumping = false;
    }
  };

  /** Replays a joining subscriber from its cursor, then hands it to the shared pump. */
  const join = async (conversationId: string, conversation: Conversation, sub: Subscriber) => {
    // Left before its replay began (a client that connected and went): no query, nothing held.
    if (!sub.active) return;
    try {
      if (sub.position > 0) {
        // A cursor past the conversation's head is forged, or from before the events were pruned away: start over.
        const { rows } = await pool.query({ text: headSql, values: [conversationId] });
        const head = Number((rows[0] as { position?: unknown } | undefined)?.position ?? 0);
        if (sub.position > head) sub.position = 0;
      }
      for (;;) {
        const entries = await read(conversationId, sub.position);
        for (const entry of entries) deliver(sub, entry);
        if (entries.length < PAGE || !sub.active) break;
      }
    } catch (error) {
      onError(fail(`replaying ${JSON.stringify(conversationId)}`, error));
      sub.sink.resync?.();
    }
    const buffered = sub.buffer ?? [];
    sub.buffer = undefined;
    for (const entry of buffered) deliver(sub, entry);
    if (conversation.position === undefined) {
      // Rows committed after the replay's last read have higher positions: the pump finds them from here.
      conversation.position = sub.position;
      await pump(conversationId, conversation);
    }
  };

  const onNotification = (message: PostgresNotification) => {
    if (message.channel !== channel || !message.payload) return;
    const space = message.payload.indexOf(' ');
    const conversationId = message.payload.slice(space + 1);
    const conversation = conversations.get(conversationId);
    if (!conversation) return;
    const position = Number(message.payload.slice(0, space));
    if (conversation.position !== undefined && position <= conversation.position) return;
    void pump(conversationId, conversation);
  };

  const listen = async (attempt = 0): Promise<void> => {
    if (closed) return;
    let client: PostgresListenClient | undefined;
    try {
      client = await pool.connect();
      client.on('notification', onNotification);
      const broken = (error?: unknown) => {
        if (listener !== client || closed) return;
        listener = undefined;
        onError(
          fail('the LISTEN connection broke; reconnecting', error ?? new Error('connection ended')),
        );
        client?.release?.(true);
        listening = listen(1);
      };
      client.on('error', broken);
      client.on('end', broken);
      await client.query({ text: /* sql */ `LISTEN ${channel}` });
      listener = client;
      if (attempt > 0) {
        // Notifications sent while we were away are gone: every conversation re-reads and every client reloads.
        for (const [conversationId, conversation] of conversations) {
          for (const sub of conversation.subs) sub.sink.resync?.();
          void pump(conversationId, conversation);
        }
      }
    } catch (error) {
      client?.release?.(true);
      if (closed) return;
      onError(fail('LISTEN', error));
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(1000, 50 * 2 ** Math.min(attempt, 5))),
      );
      return listen(attempt + 1);
    }
  };

  return {
    ddl,
    async ensureSchema() {
      try {
        await pool.query({ text: ddl });
      } catch (error) {
        // Two instances racing CREATE … IF NOT EXISTS can both pass the check; the loser hits a catalog unique violation.
        if ((error as { code?: unknown }).code === '23505') return;
        throw fail('creating the bus tables', error);
      }
    },
    async publish(conversationId, input) {
      const event = checkPublish('postgres', closed, conversationId, input);
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
          .catch((error) => {
            onError(fail(`trimming ${JSON.stringify(conversationId)}`, error));
          });
      }
      return String(position);
    },
    subscribe(conversationId, fromCursor, sink) {
      assertConversationId(conversationId, 'postgres');
      if (closed) return () => {};
      listening ??= listen();
      let conversation = conversations.get(conversationId);
      if (!conversation) {
        conversation = { position: undefined, subs: new Set(), pumping: false, again: false };
        conversations.set(conversationId, conversation);
      }
      // Joined (buffering) before its replay reads, so every row is in one or the other.
      const sub: Subscriber = { sink, position: toPosition(fromCursor), active: true, buffer: [] };
      conversation.subs.add(sub);
      const joined = conversation;
      // Waits for LISTEN first: a row committed between the replay and LISTEN would notify no one.
      void listening.then(() => join(conversationId, joined, sub));
      return () => {
        sub.active = false;
        joined.subs.delete(sub);
        if (joined.subs.size === 0 && conversations.get(conversationId) === joined) {
          conversations.delete(conversationId);
        }
      };
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
    async close() {
      if (closed) return;
      closed = true;
      conversations.clear();
      await listening;
      const client = listener;
      listener = undefined;
      if (client) {
        await client.query({ text: /* sql */ `UNLISTEN ${channel}` }).catch(() => {});
        // Destroyed, not returned: a pooled client would keep this bus's listeners and pile up
        // more with every bus that borrowed it after (MaxListenersExceededWarning, stale handlers).
        client.release?.(true);
      }
    },
  };
}

/**
 * The `CREATE TABLE IF NOT EXISTS` statements of the bus: the events table
 * (one row per published event, pointed to by NOTIFY) and its heads table
 * (each conversation's last position).
 */
export function busTableDDL(table: string | TableName = 'seqline_bus_events'): string {
  const name = typeof table === 'string' ? tableName(table) : table;
  const events = quoteTableName(name, '"');
  const heads = quoteTableName({ ...name, table: `${name.table}_heads` }, '"');
  const index = `"${name.table}_created_at_idx"`;
  return /* sql */ `CREATE TABLE IF NOT EXISTS ${heads} (
  conversation_id text PRIMARY KEY,
  position bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS ${events} (
  conversation_id text NOT NULL,
  position bigint NOT NULL,
  event jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (conversation_id, position)
);
CREATE INDEX IF NOT EXISTS ${index} ON ${events} (created_at)`;
}

// ---------------------------------------------------------------------------

interface Subscriber {
  sink: BusSink;
  /** Last position delivered (or the cursor subscribed from). */
  position: number;
  active: boolean;
  /** Set while it replays: what the shared pump reads meanwhile. */
  buffer: BusEntry[] | undefined;
}

interface Conversation {
  /** Last position read for everyone; undefined until the first subscriber's replay is done. */
  position: number | undefined;
  subs: Set<Subscriber>;
  pumping: boolean;
  again: boolean;
}

/** Rows per read. */
const PAGE = 500;
/** Trim a conversation's old rows on every this many-th publish. */
const TRIM_EVERY = 100;

function toPosition(cursor: string | undefined): number {
  return cursor !== undefined && /^(0|[1-9][0-9]{0,15})$/.test(cursor) ? Number(cursor) : 0;
}

/** Validates the table name, and that `<table>_heads` and `<table>_created_at_idx` are identifiers too. */
function tableName(table: string): TableName {
  try {
    const name = parseTableName(table, 'postgres');
    parseTableName(`${name.table}_created_at_idx`, 'postgres');
    return name;
  } catch (error) {
    throw new MessageBusError(
      'invalid_option',
      `[seqline] [bus] [postgres] invalid table ${JSON.stringify(String(table).slice(0, 100))}: use letters, digits and underscores, at most 48 (schema.table allowed)`,
      { cause: error instanceof SequenceAllocatorError ? error : undefined },
    );
  }
}
