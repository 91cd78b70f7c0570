import { SeqlineError } from '../../core/errors';
import { parseStreamEvent, type StreamEvent } from '../../core/schemas';

/** One event in a stream with its cursor: the SSE `id:` a client sends back as `Last-Event-ID`. */
export interface SseEntry {
  /** Cursor of this event. No line breaks (SSE ids are one line). */
  id: string;
  /** The stream event; validated again before it is written. */
  event: StreamEvent;
}

/** Where a stream writes its entries. `close` ends the response (the client reconnects and resumes). */
export interface SseSink {
  send(entry: SseEntry): void;
  close(): void;
}

/**
 * Anything that can replay entries after a cursor and then push live ones:
 * an {@link EventLog}, or your own bridge to Redis pub/sub, Postgres
 * LISTEN/NOTIFY, a queue… `after` is the client's `Last-Event-ID` as sent
 * (untrusted: treat anything unknown as "from the start"). Returns an
 * unsubscribe function.
 */
export interface SseSource {
  subscribe(after: string | undefined, sink: SseSink): () => void;
}

/**
 * An append-only, in-memory log of one conversation's stream events. Cursors
 * are `"1"`, `"2"`, … in append order; `"0"` means "before the first".
 */
export interface EventLog extends SseSource {
  /**
   * Validates and appends an event, then delivers it to every subscriber.
   * Throws `StreamEventError` (and stores nothing) when the event is invalid.
   */
  append(event: unknown): SseEntry;
  /**
   * Entries after `after`. An unknown, malformed or future cursor (a forged
   * `Last-Event-ID`, or one from before a restart) means all of them: a full
   * replay is always safe because applying events is idempotent.
   */
  entries(after?: string): readonly SseEntry[];
  /**
   * Replays the entries after `after`, then delivers live ones as they are
   * appended, in order, until unsubscribed.
   */
  subscribe(after: string | undefined, sink: SseSink): () => void;
  /** The cursor of the last entry, `"0"` when empty. */
  readonly lastId: string;
  /** Open subscriptions, e.g. to wait for a client before publishing. */
  readonly subscribers: number;
}

/** Options of {@link createEventLog}. */
export interface EventLogOptions {
  /**
   * Entries kept; older ones are dropped (cursors stay absolute, and a
   * client resuming before the oldest kept gets what is left). Bounds what
   * a forged or stale cursor can replay, too.
   * @default 10000
   */
  maxEntries?: number;
}

/**
 * Creates an {@link EventLog}. Keeps the last `maxEntries` events in memory,
 * so it is for tests, the msw mock, demos and single-process servers.
 *
 * @example
 * const log = createEventLog();
 * log.append({ type: 'delta', messageId: 'm2', offset: 0, text: 'Hel' });
 * log.entries('0'); // [{ id: '1', event: { type: 'delta', … } }]
 */
export function createEventLog(options: EventLogOptions = {}): EventLog {
  return eventLog(options, () => {});
}

/** The log, calling `onSubscribers` with the count whenever a subscription starts or ends. */
function eventLog(options: EventLogOptions, onSubscribers: (count: number) => void): EventLog {
  const maxEntries = options.maxEntries ?? 10_000;
  assertPositive('maxEntries', maxEntries);
  const entries: SseEntry[] = [];
  const sinks = new Set<SseSink>();
  /** Entries dropped off the front. */
  let dropped = 0;
  const after = (cursor: string | undefined) =>
    entries.slice(Math.max(0, cursorIndex(cursor, dropped + entries.length) - dropped));

  return {
    append(input) {
      const event = parseStreamEvent(input);
      const entry: SseEntry = { id: String(dropped + entries.length + 1), event };
      entries.push(entry);
      if (entries.length > maxEntries) {
        entries.shift();
        dropped++;
      }
      // A sink may unsubscribe (or close) while we deliver: iterate a copy.
      for (const sink of [...sinks]) if (sinks.has(sink)) sink.send(entry);
      return entry;
    },
    entries: after,
    subscribe(cursor, sink) {
      const replay = after(cursor);
      let active = true;
      const unsubscribe = () => {
        if (!active) return;
        active = false;
        sinks.delete(sink);
        onSubscribers(sinks.size);
      };
      // Subscribed before the replay, so nothing appended by a sink's reaction is missed or doubled.
      sinks.add(sink);
      onSubscribers(sinks.size);
      for (const entry of replay) {
        if (!active) break;
        sink.send(entry);
      }
      return unsubscribe;
    },
    get lastId() {
      return String(dropped + entries.length);
    },
    get subscribers() {
      return sinks.size;
    },
  };
}

/**
 * One {@link EventLog} per conversation, created on first use.
 *
 * @example
 * const hub = createStreamHub();
 * hub.publish('conversation-1', { type: 'message', message });
 * // in the route: createSseResponse({ request, source: hub.log('conversation-1') })
 */
export interface StreamHub {
  /** The log of `conversationId`, created empty on first use. */
  log(conversationId: string): EventLog;
  /** Appends to the conversation's log; throws `StreamEventError` on an invalid event. */
  publish(conversationId: string, event: unknown): SseEntry;
  /** Forgets every log (as a restart would). Open subscriptions stay on the old logs. */
  clear(): void;
  /** How many conversations' logs the hub holds. */
  readonly size: number;
}

/** Options of {@link createStreamHub}. */
export interface StreamHubOptions extends EventLogOptions {
  /**
   * Milliseconds a conversation's log is kept once its last subscriber has
   * left (and again after each publish while nobody listens), like TanStack
   * Query's `gcTime`; then it is forgotten. A log never subscribed to is
   * kept this long after its last publish.
   * @default 300000 (5 minutes)
   */
  idleMs?: number;
}

/** Creates a {@link StreamHub}. See {@link createEventLog}. */
export function createStreamHub(options: StreamHubOptions = {}): StreamHub {
  const idleMs = options.idleMs ?? 300_000;
  assertPositive('idleMs', idleMs);
  const logs = new Map<string, { log: EventLog; timer?: ReturnType<typeof setTimeout> }>();
  const forgetLater = (conversationId: string, held: { log: EventLog; timer?: unknown }) => {
    clearTimeout(held.timer as ReturnType<typeof setTimeout>);
    const timer = setTimeout(() => {
      if (logs.get(conversationId) === held && held.log.subscribers === 0)
        logs.delete(conversationId);
    }, idleMs);
    // Never keep a process alive just to forget a log.
    (timer as { unref?: () => void }).unref?.();
    held.timer = timer;
  };
  const log = (conversationId: string) => {
    let held = logs.get(conversationId);
    if (!held) {
      const entry: { log: EventLog; timer?: ReturnType<typeof setTimeout> } = {
        log: eventLog(options, (count) => {
          if (count > 0) clearTimeout(entry.timer);
          else forgetLater(conversationId, entry);
        }),
      };
      held = entry;
      logs.set(conversationId, held);
      forgetLater(conversationId, held);
    }
    return held.log;
  };
  return {
    log,
    publish(conversationId, event) {
      const entry = log(conversationId).append(event);
      const held = logs.get(conversationId)!;
      if (held.log.subscribers === 0) forgetLater(conversationId, held);
      return entry;
    },
    clear() {
      for (const held of logs.values()) clearTimeout(held.timer);
      logs.clear();
    },
    get size() {
      return logs.size;
    },
  };
}

function assertPositive(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new SeqlineError(
      `[seqline] [sse] ${name} must be a positive integer, got ${String(value)}`,
    );
  }
}

/**
 * Where to resume after a client's cursor: the index of the first entry to
 * send. Only canonical decimal cursors within the log are honoured; anything
 * else replays everything rather than erroring, so a bad cursor can never
 * trap a client in a reconnect loop.
 */
export function cursorIndex(after: string | null | undefined, length: number): number {
  if (after == null || !/^(0|[1-9][0-9]{0,15})$/.test(after)) return 0;
  const position = Number(after);
  return position <= length ? position : 0;
}
