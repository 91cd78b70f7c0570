import { CodedSeqlineError, SeqlineError } from '../../core/errors';
import type { Message } from '../../core/schemas';
import { createConversationStream } from '../bus/createConversationStream';
import { createReplyWriter, type ReplyWriter } from '../bus/createReplyWriter';
import { createMemoryBus } from '../bus/memory';
import type { MessageBus } from '../bus/messageBus';
import { HistoryQueryError, MAX_HISTORY_LIMIT, parseHistoryQuery } from '../historyQuery';
import { type AppendResult, type MessageStore, MessageStoreError } from '../store/messageStore';
import { createSseResponse } from '../stream/sse';
import { fail, json, readBody } from './http';

/** What a request wants to do with a conversation. */
export type RouteAction = 'read' | 'write';

/**
 * Decides whether `request` may `action` the conversation. Return `true` to
 * allow, `false` to answer 403, or a `Response` to answer with it (e.g. a 401
 * with `WWW-Authenticate`). A throw answers 500 and is logged.
 */
export type Authorize = (
  request: Request,
  conversationId: string,
  action: RouteAction,
) => boolean | Response | Promise<boolean | Response>;

/** Options of {@link createMessageRoutes}. */
export interface MessageRoutesOptions {
  /** Where messages are stored (`createSqlMessageStore`, `createMemoryMessageStore`, or yours). */
  store: MessageStore;
  /**
   * Who may read or write which conversation. Required: a conversation must
   * never be readable or writable by whoever guesses its id.
   */
  authorize: Authorize;
  /**
   * Where new messages and replies are published, and streams subscribe:
   * the Redis or Postgres bus when several instances serve the app.
   * @default createMemoryBus() (one process)
   */
  bus?: MessageBus;
  /**
   * Reserve an empty assistant reply right after each new user message (in
   * the same transaction), returned as `reply` and passed to `onMessage`.
   * @default true
   */
  reply?: boolean;
  /**
   * Called once per new user message, after it is stored and published:
   * generate the reply here through `writer` (a `createReplyWriter` on the
   * routes' bus that persists with `store.updateReply`; present when a reply
   * was reserved). Not awaited by the response; a throw is logged.
   */
  onMessage?: (turn: {
    message: Message;
    reply?: Message;
    writer?: ReplyWriter;
    request: Request;
  }) => unknown;
  /**
   * Largest request body, in bytes.
   * @default 65536
   */
  maxBodyBytes?: number;
  /**
   * Longest message content, in characters.
   * @default 16000
   */
  maxContentChars?: number;
  /**
   * History page size when the request names no `limit`.
   * @default 50
   */
  defaultPageSize?: number;
  /** @default console.error */
  onError?: (error: unknown) => void;
}

/** A message to send through {@link MessageRoutes.sendMessage}: the fields of the POST body. */
export interface SendMessageInput {
  conversationId: string;
  /** The client's idempotency key (`createClientId()`): a retried send is stored once. */
  clientId: string;
  content: string;
  /** Only `'user'` is accepted from clients. @default 'user' */
  role?: 'user';
}

/**
 * A send or read the routes refused or failed: `status` and `code` are what
 * the HTTP handlers answer with (`{ error: { code, message } }`), e.g. 403
 * `FORBIDDEN`, 400 `INVALID_CONTENT`, 409 `CLIENT_ID_CONFLICT`, 503
 * `UNAVAILABLE` (retry with the same clientId). A 5xx was already passed to
 * `onError`. `response` is the `Response` an `authorize` answered with.
 */
export class MessageRouteError extends CodedSeqlineError<string> {
  override name = 'MessageRouteError';
  readonly status: number;
  readonly response: Response | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(
    status: number,
    code: string,
    message: string,
    options: ErrorOptions & { response?: Response; headers?: Record<string, string> } = {},
  ) {
    super(code, message, options);
    this.status = status;
    this.response = options.response;
    this.headers = options.headers;
  }
}

/** Web-standard handlers for seqline's wire protocol (docs/protocol.md). */
export interface MessageRoutes {
  /** `GET …/conversations/:id/messages?after=|before=&limit=` → `{ messages }`. */
  history(request: Request, conversationId: string): Promise<Response>;
  /** `POST …/conversations/:id/messages` `{ clientId, content }` → `201 { message, reply? }`, `200` on a repeat. */
  send(request: Request, conversationId: string): Promise<Response>;
  /**
   * What `send` does after reading the body, for a send that does not come
   * as that POST (a tRPC mutation, a server action): `authorize(request, …,
   * 'write')`, validation, the idempotent append with its reply reserved,
   * the bus publish and `onMessage`. Resolves with what is stored
   * (`created: false` on a repeated clientId); rejects with a
   * `MessageRouteError` carrying the status `send` would answer.
   *
   * @example
   * send: procedure.input(schema).mutation(({ input, ctx }) => routes.sendMessage(ctx.request, input)),
   */
  sendMessage(request: Request, input: SendMessageInput): Promise<AppendResult>;
  /** `GET …/conversations/:id/stream` → `text/event-stream`, resuming after `Last-Event-ID`. */
  stream(request: Request, conversationId: string): Promise<Response>;
  /**
   * All three, routed by method and path: any URL ending in
   * `/conversations/:id/messages` or `/conversations/:id/stream`. Anything
   * else is a 404 (405 for a known path with another method).
   */
  handle(request: Request): Promise<Response>;
  /** The bus the routes publish to (the one given, or their memory bus). */
  readonly bus: MessageBus;
}

/** A conversation id the routes accept: 1 to 255 characters, no control characters. */
const CONVERSATION_ID = /^[^\p{Cc}]{1,255}$/u;
const ROUTE = /\/conversations\/([^/]+)\/(messages|stream)\/?$/;

/**
 * Serves seqline's wire protocol from any runtime with web `Request` and
 * `Response`: Next.js route handlers, Hono, Bun, Deno, and node:http through
 * `toNodeHandler`. Validation with clear JSON errors, a bounded body,
 * idempotent sends on `clientId`, the reply reserved with its prompt, and
 * `authorize` before anything is read or written.
 *
 * @example
 * const routes = createMessageRoutes({
 *   store,
 *   authorize: async (request, conversationId) =>
 *     (await sessionUser(request))?.conversations.includes(conversationId) ?? false,
 * });
 * createServer(toNodeHandler(routes.handle)).listen(3000);
 */
export function createMessageRoutes(options: MessageRoutesOptions): MessageRoutes {
  const { store, authorize } = options;
  if (!store || typeof store.append !== 'function') {
    throw new SeqlineError('[seqline] [routes] createMessageRoutes needs store: a MessageStore');
  }
  if (typeof authorize !== 'function') {
    throw new SeqlineError(
      '[seqline] [routes] createMessageRoutes needs authorize(request, conversationId, action): seqline never serves a conversation to whoever guesses its id. Return true to allow, false for 403, or a Response',
    );
  }
  const bus = options.bus ?? createMemoryBus();
  const reserveReply = options.reply ?? true;
  const maxBodyBytes = options.maxBodyBytes ?? 65_536;
  const maxContentChars = options.maxContentChars ?? 16_000;
  const defaultPageSize = options.defaultPageSize ?? 50;
  const onError = options.onError ?? ((error: unknown) => console.error(error));

  /** Validates the id and asks `authorize`; throws a MessageRouteError to refuse. */
  const gate = async (request: Request, conversationId: string, action: RouteAction) => {
    if (typeof conversationId !== 'string' || !CONVERSATION_ID.test(conversationId)) {
      throw refuse(
        400,
        'INVALID_CONVERSATION_ID',
        'a conversation id is 1 to 255 characters, with no control characters',
      );
    }
    const verdict = await authorize(request, conversationId, action);
    if (verdict instanceof Response) {
      const code = verdict.status === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN';
      throw refuse(verdict.status, code, `not allowed to ${action} this conversation`, {
        response: verdict,
      });
    }
    if (verdict !== true)
      throw refuse(403, 'FORBIDDEN', `not allowed to ${action} this conversation`);
  };
  /** Any failure as a MessageRouteError: a store's typed errors are 4xx/503, anything else a logged 500. */
  const asRouteError = (error: unknown): MessageRouteError => {
    if (error instanceof MessageRouteError) return error;
    if (error instanceof HistoryQueryError)
      return refuse(400, 'INVALID_QUERY', stripPrefix(error), { cause: error });
    if (error instanceof MessageStoreError) {
      if (error.code === 'INVALID_INPUT')
        return refuse(400, 'INVALID_MESSAGE', stripPrefix(error), { cause: error });
      if (error.code === 'CLIENT_ID_CONFLICT')
        return refuse(409, 'CLIENT_ID_CONFLICT', stripPrefix(error), { cause: error });
      onError(error);
      // The client retries a 503 with the same clientId: nothing is stored twice.
      return refuse(503, 'UNAVAILABLE', 'the message store is unavailable; try again', {
        cause: error,
        headers: { 'retry-after': '1' },
      });
    }
    onError(error);
    return refuse(500, 'INTERNAL', 'the server failed; nothing was stored', { cause: error });
  };
  /** Runs a route; a refusal or failure becomes its JSON error response. */
  const guarded = async (work: () => Promise<Response>): Promise<Response> => {
    try {
      return await work();
    } catch (error) {
      const refused = asRouteError(error);
      return (
        refused.response ??
        fail(refused.status, refused.code, stripPrefix(refused), refused.headers)
      );
    }
  };

  /** A send after `authorize`: validated, stored, published, and its reply started. */
  const storeSend = async (request: Request, input: SendMessageInput): Promise<AppendResult> => {
    const { conversationId, clientId, role, content } = input;
    if (typeof clientId !== 'string' || clientId.length === 0 || clientId.length > 255) {
      throw refuse(
        400,
        'INVALID_CLIENT_ID',
        'clientId must be a string of 1 to 255 characters, unique per message (createClientId() from seqline), so a retried send is stored once',
      );
    }
    if (role !== undefined && role !== 'user') {
      throw refuse(
        422,
        'ROLE_NOT_ALLOWED',
        `clients may only send role "user"; ${JSON.stringify(role)} messages are written by the server`,
      );
    }
    if (typeof content !== 'string' || content.trim().length === 0) {
      throw refuse(400, 'INVALID_CONTENT', 'content must be a non-empty string');
    }
    if (content.length > maxContentChars) {
      throw refuse(
        413,
        'CONTENT_TOO_LONG',
        `content is ${content.length} characters; the limit is ${maxContentChars}`,
      );
    }
    const turn = await store.append({
      conversationId,
      clientId,
      role: 'user',
      content,
      reply: reserveReply,
    });
    if (turn.created) {
      // After the commit, so a stream catching up from the store never sees an event before its row.
      await bus.publish(conversationId, { type: 'message', message: turn.message });
      if (turn.reply) await bus.publish(conversationId, { type: 'message', message: turn.reply });
      if (options.onMessage) {
        const { message, reply } = turn;
        const writer =
          reply && createReplyWriter({ bus, message: reply, persist: store.updateReply, onError });
        void Promise.resolve()
          .then(() => options.onMessage!({ message, ...(reply ? { reply, writer } : {}), request }))
          .catch(onError);
      }
    }
    return turn;
  };

  const history: MessageRoutes['history'] = (request, conversationId) =>
    guarded(async () => {
      await gate(request, conversationId, 'read');
      const { limit = defaultPageSize, ...range } = parseHistoryQuery(
        new URL(request.url).searchParams,
      );
      const messages = await store.list(conversationId, { ...range, limit });
      return json(200, { messages });
    });

  const send: MessageRoutes['send'] = (request, conversationId) =>
    guarded(async () => {
      await gate(request, conversationId, 'write');
      if (!/^application\/json\b/i.test(request.headers.get('content-type') ?? '')) {
        return fail(
          415,
          'UNSUPPORTED_MEDIA_TYPE',
          'send the message as JSON (content-type: application/json)',
        );
      }
      const body = await readBody(request, maxBodyBytes);
      if ('response' in body) return body.response;
      let input: unknown;
      try {
        input = JSON.parse(body.text);
      } catch {
        return fail(400, 'INVALID_JSON', 'the body must be JSON: { clientId, content }');
      }
      if (typeof input !== 'object' || input === null || Array.isArray(input)) {
        return fail(400, 'INVALID_BODY', 'the body must be a JSON object: { clientId, content }');
      }
      const turn = await storeSend(request, { ...(input as SendMessageInput), conversationId });
      return json(turn.created ? 201 : 200, {
        message: turn.message,
        ...(turn.reply ? { reply: turn.reply } : {}),
      });
    });

  const sendMessage: MessageRoutes['sendMessage'] = async (request, input) => {
    try {
      if (typeof input !== 'object' || input === null) {
        throw refuse(
          400,
          'INVALID_BODY',
          'sendMessage takes { conversationId, clientId, content }',
        );
      }
      await gate(request, input.conversationId, 'write');
      return await storeSend(request, input);
    } catch (error) {
      throw asRouteError(error);
    }
  };

  const stream: MessageRoutes['stream'] = (request, conversationId) =>
    guarded(async () => {
      await gate(request, conversationId, 'read');
      // A fresh client says where its loaded history ends (`?after=`): only what follows is sent.
      const { after } = parseHistoryQuery(new URL(request.url).searchParams);
      const source = createConversationStream({
        bus,
        conversationId,
        loadSnapshot: (id, from) => loadAllAfter(store, id, from),
        ...(after === undefined ? {} : { after }),
        onError,
      });
      return createSseResponse({ request, source, keepAliveMs: 15_000, retryMs: 1000 });
    });

  return {
    bus,
    history,
    send,
    sendMessage,
    stream,
    async handle(request) {
      const match = ROUTE.exec(new URL(request.url).pathname);
      if (!match)
        return fail(
          404,
          'NOT_FOUND',
          'no such route: use …/conversations/:id/messages or …/conversations/:id/stream',
        );
      let conversationId: string;
      try {
        conversationId = decodeURIComponent(match[1]!);
      } catch {
        return fail(
          400,
          'INVALID_CONVERSATION_ID',
          'the conversation id is not valid percent-encoding',
        );
      }
      const allow = match[2] === 'messages' ? 'GET, POST' : 'GET';
      if (request.method === 'GET')
        return match[2] === 'messages'
          ? history(request, conversationId)
          : stream(request, conversationId);
      if (request.method === 'POST' && match[2] === 'messages')
        return send(request, conversationId);
      return fail(405, 'METHOD_NOT_ALLOWED', `use ${allow}`, { allow });
    },
  };
}

// ---------------------------------------------------------------------------

/** Every message after `after`, page by page (the stream's catch-up). */
async function loadAllAfter(
  store: MessageStore,
  conversationId: string,
  after: number,
): Promise<Message[]> {
  const all: Message[] = [];
  let from = after;
  for (;;) {
    const page = await store.list(conversationId, { after: from, limit: MAX_HISTORY_LIMIT });
    all.push(...page);
    if (page.length < MAX_HISTORY_LIMIT) return all;
    from = page.at(-1)!.sequence!;
  }
}

/** A MessageRouteError with the `[seqline] [routes]` prefix. */
function refuse(
  status: number,
  code: string,
  message: string,
  options?: ConstructorParameters<typeof MessageRouteError>[3],
): MessageRouteError {
  return new MessageRouteError(status, code, `[seqline] [routes] ${message}`, options);
}

/** An error's message without its `[seqline] ` prefix (`fail` adds it back). */
function stripPrefix(error: Error): string {
  return error.message.replace(/^\[seqline\] (\[routes\] )?/, '');
}
