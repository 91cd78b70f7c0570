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

/**
 * Creates an {@link EventLog}. Keeps every event in memory, so it is for
 * tests, the msw mock, demos and single-process servers.
 *
 * @example
 * const log = createEventLog();
 * log.append({ type: 'delta', messageId: 'm2', offset: 0, text: 'Hel' });
 * log.entries('0'); // [{ id: '1', event: { type: 'delta', … } }]
 */
export function createEventLog(): EventLog {
  const entries: SseEntry[] = [];
  const sinks = new Set<SseSink>();

  return {
    append(input) {
      const event = parseStreamEvent(input);
      const entry: SseEntry = { id: String(entries.length + 1), event };
      entries.push(entry);
      // A sink may unsubscribe (or close) while we deliver: iterate a copy.
      for (const sink of [...sinks]) if (sinks.has(sink)) sink.send(entry);
      return entry;
    },
    entries(after) {
      return entries.slice(cursorIndex(after, entries.length));
    },
    subscribe(after, sink) {
      const replay = entries.slice(cursorIndex(after, entries.length));
      let active = true;
      const unsubscribe = () => {
        active = false;
        sinks.delete(sink);
      };
      // Subscribed before the replay, so nothing appended by a sink's reaction is missed or doubled.
      sinks.add(sink);
      for (const entry of replay) {
        if (!active) break;
        sink.send(entry);
      }
      return unsubscribe;
    },
    get lastId() {
      return String(entries.length);
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
}

/** Creates a {@link StreamHub}. See {@link createEventLog}. */
export function createStreamHub(): StreamHub {
  const logs = new Map<string, EventLog>();
  const log = (conversationId: string) => {
    let found = logs.get(conversationId);
    if (!found) {
      found = createEventLog();
      logs.set(conversationId, found);
    }
    return found;
  };
  return {
    log,
    publish: (conversationId, event) => log(conversationId).append(event),
    clear: () => logs.clear(),
  };
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
