import { delay, type HttpHandler, HttpResponse, http } from 'msw';
import { fnv1a } from '../core/hash';
import { MessageBusError } from '../server/bus/messageBus';
import { SequenceAllocatorError } from '../server/errors';
import { type HistoryQuery, HistoryQueryError, parseHistoryQuery } from '../server/historyQuery';
import { createSseResponse, type SseSource } from '../server/stream/sse';
import {
  type ChaosOptions,
  chaoticSource,
  createDeliveryTracker,
  type DeliveryTracker,
  drawLatency,
  type ResolvedChaos,
  resolveChaos,
} from './chaos';
import { createMockDb } from './db';
import { createRandom, type Random } from './random';
import { errorResponse, readSendBody } from './requests';
import type { MockDb, MockDbOptions } from './types';

/** Options shared by every handler factory. */
export interface EndpointOptions {
  /**
   * Prefix of the routes. A path (`'/api'`) or nothing matches any origin,
   * so the same handlers serve jsdom (relative URLs) and Node (absolute
   * ones); a full URL (`'https://api.example.com'`) matches only that origin.
   * @default '' (routes are `* /conversations/:id/…`)
   */
  baseUrl?: string;
  /**
   * Races to reproduce; `true` turns every one on at its default.
   * @default none
   */
  chaos?: ChaosOptions | boolean;
  /**
   * Seed for the chaos draws.
   * @default the db's seed
   */
  seed?: number;
  /**
   * Milliseconds between keep-alive comments on the stream; `0` for none.
   * @default 15000
   */
  keepAliveMs?: number;
}

/** What `createMessageHandlers` takes: the db's options and the endpoints' options. */
export interface MessageHandlersOptions extends MockDbOptions, Omit<EndpointOptions, 'seed'> {}

/**
 * The handlers, ready to spread into `setupServer(...handlers)` /
 * `setupWorker(...handlers)`, plus the state behind them and factories for
 * `server.use()` overrides that share that state.
 */
export type MessageHandlers = HttpHandler[] & {
  /** The mock server's truth: `handlers.db.messages(conversationId)`. */
  readonly db: MockDb;
  /** A history handler on the same db, e.g. with other chaos for one test. */
  history(overrides?: EndpointOptions): HttpHandler;
  /** A send handler on the same db. */
  send(overrides?: EndpointOptions): HttpHandler;
  /** A stream handler on the same db. */
  stream(overrides?: EndpointOptions): HttpHandler;
  /** The URLs the handlers answer (with a path `baseUrl`, relative to any origin). */
  urls: { messages(conversationId: string): string; stream(conversationId: string): string };
};

/**
 * msw 2 handlers implementing seqline's wire protocol (docs/protocol.md) on an in-memory
 * server whose sequences come from a real `SequenceAllocator` (memory by
 * default), so the mock orders messages exactly as production does:
 *
 * - `GET  {base}/conversations/:id/messages?after=&limit=`, `?before=&limit=` or `?limit=`
 *   (the latest page) → `{ messages }`, ascending; invalid values → `400 { error }`
 * - `POST {base}/conversations/:id/messages` `{ clientId, role, content }` →
 *   `201 { message, reply? }`; a repeated clientId → `200` with the same message
 * - `GET  {base}/conversations/:id/stream?after=` → SSE through `createConversationStream`
 *   over the db's memory bus, as production serves it: catch-up from the stored messages,
 *   then live events (a scripted assistant reply as deltas); resumes after `Last-Event-ID`
 *   (a fresh one skips messages up to `after`)
 *
 * @example
 * const handlers = createMessageHandlers({ seed: 1, chaos: { duplicates: 0.3 } });
 * const server = setupServer(...handlers);
 * // …
 * expect(rendered).toEqual(handlers.db.messages('c1').map((m) => m.content));
 */
export function createMessageHandlers(options: MessageHandlersOptions = {}): MessageHandlers {
  const db = createMockDb(options);
  const shared = trackerFor(db);
  const base: EndpointOptions = {
    ...(options.baseUrl === undefined ? {} : { baseUrl: options.baseUrl }),
    ...(options.chaos === undefined ? {} : { chaos: options.chaos }),
    ...(options.keepAliveMs === undefined ? {} : { keepAliveMs: options.keepAliveMs }),
    seed: db.seed,
  };
  const merge = (overrides?: EndpointOptions) => ({ ...base, ...overrides });
  const prefix = routePrefix(options.baseUrl);
  const url = (conversationId: string) =>
    `${prefix.startsWith('*') ? prefix.slice(1) : prefix}/conversations/${encodeURIComponent(conversationId)}`;
  const handlers = [
    makeHistory(db, base, 'history'),
    makeSend(db, base, shared, 'send'),
    makeStream(db, base, shared, 'stream'),
  ];
  return Object.assign(handlers, {
    db,
    history: (overrides?: EndpointOptions) => makeHistory(db, merge(overrides), 'history'),
    send: (overrides?: EndpointOptions) => makeSend(db, merge(overrides), shared, 'send'),
    stream: (overrides?: EndpointOptions) => makeStream(db, merge(overrides), shared, 'stream'),
    urls: {
      messages: (conversationId: string) => `${url(conversationId)}/messages`,
      stream: (conversationId: string) => `${url(conversationId)}/stream`,
    },
  });
}

/**
 * `GET {base}/conversations/:id/messages?after=&limit=` on `db`.
 *
 * @example
 * server.use(historyHandler(handlers.db, { chaos: { staleHistory: 1 } }));
 */
export function historyHandler(db: MockDb, options: EndpointOptions = {}): HttpHandler {
  return makeHistory(db, options, 'history');
}

/**
 * `POST {base}/conversations/:id/messages` on `db`. Pair it with a
 * `streamHandler` from the same call site to get echo-before-response chaos
 * (they then share a tracker through `createMessageHandlers`).
 *
 * @example
 * server.use(sendHandler(handlers.db, { chaos: { latency: [50, 100] } }));
 */
export function sendHandler(db: MockDb, options: EndpointOptions = {}): HttpHandler {
  return makeSend(db, options, trackerFor(db), 'send');
}

/**
 * `GET {base}/conversations/:id/stream` on `db`: SSE, resumable with `Last-Event-ID`.
 *
 * @example
 * server.use(streamHandler(handlers.db, { chaos: { drops: 0.2 } }));
 */
export function streamHandler(db: MockDb, options: EndpointOptions = {}): HttpHandler {
  return makeStream(db, options, trackerFor(db), 'stream');
}

// ---------------------------------------------------------------------------

interface Shared {
  tracker: DeliveryTracker;
}

/** Standalone factories on one db share a tracker, so echo-first chaos sees their streams. */
const trackers = new WeakMap<MockDb, Shared>();
function trackerFor(db: MockDb): Shared {
  let shared = trackers.get(db);
  if (!shared) {
    shared = { tracker: createDeliveryTracker() };
    trackers.set(db, shared);
  }
  return shared;
}

/** How long an echo-first POST waits for the stream at most, so a stalled client cannot hang it. */
const ECHO_TIMEOUT_MS = 1_000;

interface Endpoint {
  chaos: ResolvedChaos;
  random: Random;
  path: string;
}

function endpoint(db: MockDb, options: EndpointOptions, name: string, path: string): Endpoint {
  return {
    chaos: resolveChaos(options.chaos),
    // Each endpoint draws from its own stream, so adding traffic on one does not reshuffle the others.
    random: createRandom(fnv1a(`${options.seed ?? db.seed}\0${name}`)),
    path: `${routePrefix(options.baseUrl)}/conversations/:conversationId/${path}`,
  };
}

function makeHistory(db: MockDb, options: EndpointOptions, name: string): HttpHandler {
  const { chaos, random, path } = endpoint(db, options, name, 'messages');
  return http.get(path, async ({ request, params }) => {
    await wait(drawLatency(chaos, random));
    const conversationId = String(params.conversationId);
    let query: HistoryQuery;
    try {
      query = parseHistoryQuery(new URL(request.url).searchParams);
    } catch (error) {
      if (error instanceof HistoryQueryError) return errorResponse(400, error.code, error.message);
      throw error;
    }
    const versions = db.versions(conversationId);
    let version: number | undefined;
    if (versions > 1 && chaos.staleHistory > 0 && random() < chaos.staleHistory) {
      // One of the last few snapshots, never the newest: a refetch that raced later writes.
      version = versions - 1 - Math.min(versions - 1, 1 + Math.floor(random() * 8));
    }
    const messages = db.history(conversationId, {
      ...query,
      // Neither `after` nor `before`: the latest page.
      ...(query.after === undefined && query.before === undefined
        ? { before: Number.POSITIVE_INFINITY }
        : {}),
      ...(version === undefined ? {} : { version }),
    });
    return HttpResponse.json({ messages });
  });
}

function makeSend(db: MockDb, options: EndpointOptions, shared: Shared, name: string): HttpHandler {
  const { chaos, random, path } = endpoint(db, options, name, 'messages');
  return http.post(path, async ({ request, params }) => {
    await wait(drawLatency(chaos, random));
    const conversationId = String(params.conversationId);
    let body: unknown;
    try {
      body = await request.json();
    } catch {
      return errorResponse(
        400,
        'INVALID_JSON',
        'the body must be JSON: { clientId, role, content }',
      );
    }
    const input = readSendBody(body);
    if (typeof input === 'string') return errorResponse(400, 'INVALID_MESSAGE', input);
    let result: Awaited<ReturnType<MockDb['send']>>;
    try {
      result = await db.send(conversationId, input);
    } catch (error) {
      if (error instanceof SequenceAllocatorError && error.code === 'INVALID_SCOPE') {
        return errorResponse(400, 'INVALID_CONVERSATION', error.message);
      }
      throw error;
    }
    const { message, reply, created } = result;
    if (!created && (message.role !== input.role || message.content !== input.content)) {
      return errorResponse(
        409,
        'CLIENT_ID_CONFLICT',
        `clientId "${input.clientId}" was already used for a different message; generate a new clientId for new content`,
      );
    }
    if (created && chaos.echoBeforeResponse > 0 && random() < chaos.echoBeforeResponse) {
      const own = reply ? [message.id, reply.id] : [message.id];
      await shared.tracker.waitFor(conversationId, own, ECHO_TIMEOUT_MS);
      // One more turn so the client reads the echo before this response.
      await wait(1);
    }
    return HttpResponse.json(reply ? { message, reply } : { message }, {
      status: created ? 201 : 200,
    });
  });
}

function makeStream(
  db: MockDb,
  options: EndpointOptions,
  shared: Shared,
  name: string,
): HttpHandler {
  const { chaos, random, path } = endpoint(db, options, name, 'stream');
  return http.get(path, async ({ request, params }) => {
    await wait(drawLatency(chaos, random));
    const conversationId = String(params.conversationId);
    let after: number | undefined;
    try {
      after = parseHistoryQuery(new URL(request.url).searchParams).after;
    } catch (error) {
      if (error instanceof HistoryQueryError) return errorResponse(400, error.code, error.message);
      throw error;
    }
    let stream: SseSource;
    try {
      stream = db.stream(conversationId, after === undefined ? {} : { after });
    } catch (error) {
      // An id the bus refuses (over 255 bytes), as a send with it is refused.
      if (error instanceof MessageBusError) {
        return errorResponse(400, 'INVALID_CONVERSATION', error.message);
      }
      throw error;
    }
    const { tracker } = shared;
    tracker.open(conversationId);
    let open = true;
    const closed = () => {
      if (!open) return;
      open = false;
      tracker.close(conversationId);
    };
    request.signal.addEventListener('abort', closed, { once: true });
    // An abort before we listened fires no event: count the connection closed at once.
    if (request.signal.aborted) closed();
    const source = chaoticSource(stream, chaos, random, (event) =>
      tracker.delivered(conversationId, event),
    );
    return createSseResponse({
      request,
      source: {
        subscribe(lastEventId, sink) {
          const stop = source.subscribe(lastEventId, {
            event: (entry) => sink.event(entry),
            close() {
              closed();
              sink.close();
            },
          });
          return () => {
            closed();
            stop();
          };
        },
      },
      // A mock's drops are deliberate and local: tell the client to come back at once
      // (the SSE retry: field), so a chaos run settles in milliseconds, not after a backoff.
      retryMs: MOCK_RETRY_MS,
      ...(options.keepAliveMs === undefined ? {} : { keepAliveMs: options.keepAliveMs }),
    });
  });
}

/** The SSE `retry:` the mock's stream sends: reconnect 10 ms after a drop. */
const MOCK_RETRY_MS = 10;

function routePrefix(baseUrl: string | undefined): string {
  const base = (baseUrl ?? '').replace(/\/+$/, '');
  // A path prefix matches any origin: jsdom resolves relative URLs, Node needs absolute ones.
  return base === '' || base.startsWith('/') ? `*${base}` : base;
}

function wait(ms: number): Promise<void> {
  return ms > 0 ? delay(ms) : Promise.resolve();
}
