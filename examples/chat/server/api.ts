import type { Message } from 'seqline';
import {
  createConversationStream,
  createSseResponse,
  HistoryQueryError,
  type MessageBus,
  parseHistoryQuery,
  type SseSource,
} from 'seqline/server';
import type { Assistant } from './assistant';
import type { ChatStore } from './stores/store';

/** Limits the API enforces; each refusal is a 4xx JSON error and stores nothing. */
export const LIMITS = {
  /** Largest request body read, in bytes. */
  bodyBytes: 16 * 1024,
  /** Longest message content, in characters. */
  contentChars: 4000,
  /** Longest clientId. */
  clientIdChars: 128,
  /** Most messages per history page. */
  pageSize: 500,
} as const;

/** A conversation id: letters, digits, `-` and `_`, 1 to 64 characters. */
export const CONVERSATION_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Options of {@link createChatApi}. */
export interface ChatApiOptions {
  store: ChatStore;
  /** Where new messages and reply deltas are published; every stream subscribes to it. */
  bus: MessageBus;
  assistant: Assistant;
  /**
   * Builds the SSE source of one conversation. Replace it to stream from
   * somewhere else (another bus, another instance's broker).
   * @default createConversationStream over `bus`, catching up from `store`
   */
  streamSource?: (conversationId: string, after: number | undefined) => SseSource;
  /** Shown by `GET /api/health`. */
  describe?: Record<string, string>;
}

/**
 * seqline's wire protocol under `/api`, as a fetch-style handler
 * (`Request` in, `Response` out): run it on node:http with
 * `toNodeHandler`, or in any runtime with web Requests.
 *
 * - `GET  /api/conversations`
 * - `GET  /api/conversations/:id/messages?after=&limit=`, `?before=&limit=`, `?limit=` (latest)
 * - `POST /api/conversations/:id/messages` `{ clientId, role?: 'user', content }`
 * - `GET  /api/conversations/:id/stream?after=` (SSE, resumes after `Last-Event-ID`)
 * - `GET  /api/health`
 */
export function createChatApi(options: ChatApiOptions): (request: Request) => Promise<Response> {
  const { store, bus, assistant } = options;
  const streamSource =
    options.streamSource ??
    ((conversationId: string, after: number | undefined) =>
      createConversationStream({
        bus,
        conversationId,
        ...(after === undefined ? {} : { after }),
        loadSnapshot: (id, after) => store.listMessages(id, after, 100_000),
        onError: (error) => console.error('[chat] stream catch-up failed:', error),
      }));

  const send = async (conversationId: string, request: Request): Promise<Response> => {
    const type = request.headers.get('content-type') ?? '';
    if (!/^application\/json\b/i.test(type)) {
      return fail(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        'Send the message as JSON (content-type: application/json).',
      );
    }
    const declared = Number(request.headers.get('content-length') ?? '0');
    if (declared > LIMITS.bodyBytes) return tooLarge();
    const raw = await request.text();
    if (new TextEncoder().encode(raw).length > LIMITS.bodyBytes) return tooLarge();
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch (error) {
      return fail(400, 'INVALID_JSON', `The body is not valid JSON: ${(error as Error).message}`);
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return fail(400, 'INVALID_BODY', 'The body must be a JSON object { clientId, content }.');
    }
    const { clientId, role, content } = body as Record<string, unknown>;
    if (clientId === undefined) {
      return fail(
        400,
        'MISSING_CLIENT_ID',
        'clientId is required: a unique id the client generates per message (createClientId() from seqline), so a retried send is stored once.',
      );
    }
    if (
      typeof clientId !== 'string' ||
      clientId.length === 0 ||
      clientId.length > LIMITS.clientIdChars
    ) {
      return fail(
        400,
        'INVALID_CLIENT_ID',
        `clientId must be a non-empty string of at most ${LIMITS.clientIdChars} characters.`,
      );
    }
    if (role !== undefined && role !== 'user') {
      return fail(
        422,
        'ROLE_NOT_ALLOWED',
        `Clients may only send role "user"; ${JSON.stringify(role)} messages are written by the server.`,
      );
    }
    if (typeof content !== 'string' || content.trim().length === 0) {
      return fail(400, 'INVALID_CONTENT', 'content must be a non-empty string.');
    }
    if (content.length > LIMITS.contentChars) {
      return fail(
        413,
        'CONTENT_TOO_LONG',
        `content is ${content.length} characters; the limit is ${LIMITS.contentChars}.`,
      );
    }
    const turn = await store.createTurn({
      conversationId,
      clientId,
      content,
      createdAt: new Date().toISOString(),
    });
    if (turn.created) {
      // Publish after the commit, so a stream catching up from the database never sees an event before its row.
      await bus.publish(conversationId, { type: 'message', message: turn.message });
      if (turn.reply) void assistant.run(turn.reply, turn.message);
    }
    return json(turn.created ? 201 : 200, {
      message: turn.message,
      ...(turn.reply ? { reply: turn.reply } : {}),
    });
  };

  const history = async (conversationId: string, url: URL): Promise<Response> => {
    const query = parseHistoryQuery(url.searchParams, { maxLimit: LIMITS.pageSize });
    const limit = query.limit ?? 200;
    const messages: Message[] =
      query.after !== undefined
        ? await store.listMessages(conversationId, query.after, limit)
        : await store.listMessagesBefore(
            conversationId,
            query.before ?? Number.MAX_SAFE_INTEGER,
            limit,
          );
    return json(200, { messages });
  };

  return async (request) => {
    const url = new URL(request.url);
    const parts = url.pathname.split('/').filter(Boolean);
    if (parts[0] !== 'api') return fail(404, 'NOT_FOUND', `No route for ${url.pathname}.`);
    try {
      if (parts.length === 2 && parts[1] === 'health') {
        return json(200, { ok: true, engine: store.engine, ...options.describe });
      }
      if (parts.length === 2 && parts[1] === 'conversations') {
        if (request.method !== 'GET') return notAllowed('GET');
        return json(200, { conversations: await store.listConversations() });
      }
      if (parts[1] === 'conversations' && parts.length === 4) {
        const id = decode(parts[2]!);
        if (id === undefined || !CONVERSATION_ID.test(id)) {
          return fail(
            400,
            'INVALID_CONVERSATION_ID',
            'A conversation id is 1 to 64 letters, digits, "-" or "_".',
          );
        }
        if (parts[3] === 'messages') {
          if (request.method === 'GET') return await history(id, url);
          if (request.method === 'POST') return await send(id, request);
          return notAllowed('GET, POST');
        }
        if (parts[3] === 'stream') {
          if (request.method !== 'GET') return notAllowed('GET');
          // `?after=`: where the client's loaded history ends; a fresh stream starts there.
          const { after } = parseHistoryQuery(url.searchParams);
          return createSseResponse({
            request,
            source: streamSource(id, after),
            keepAliveMs: 10_000,
            retryMs: 1000,
          });
        }
      }
      return fail(404, 'NOT_FOUND', `No route for ${request.method} ${url.pathname}.`);
    } catch (error) {
      if (error instanceof HistoryQueryError) return fail(400, error.code, error.message);
      console.error('[chat]', error);
      return fail(500, 'INTERNAL', 'The server failed; the message was not stored. Try again.');
    }
  };
}

// ---------------------------------------------------------------------------

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  });
}

function fail(status: number, code: string, message: string): Response {
  return json(status, { error: { code, message } });
}

function tooLarge(): Response {
  return fail(413, 'BODY_TOO_LARGE', `The body is larger than ${LIMITS.bodyBytes} bytes.`);
}

function notAllowed(allow: string): Response {
  const response = fail(405, 'METHOD_NOT_ALLOWED', `Use ${allow}.`);
  response.headers.set('allow', allow);
  return response;
}

function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
