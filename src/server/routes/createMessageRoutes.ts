import { SeqlineError } from '../../core/errors';
import { createMemoryBus } from '../bus/memory';
import type { MessageBus } from '../bus/messageBus';
import type { AppendResult, MessageStore } from '../store/messageStore';
import { type Authorize, createRouteGuard, decodeConversationId } from './gate';
import { fail } from './http';
import { createReadRoutes } from './read';
import { createSendRoutes, type MessageTurn, type SendMessageInput } from './send';

export type { Authorize, RouteAction } from './gate';
export { MessageRouteError } from './gate';
export type { MessageRouteErrorCode } from './http';
export type { SendMessageInput } from './send';

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
  onMessage?: (turn: MessageTurn) => unknown;
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
  const onError = options.onError ?? ((error: unknown) => console.error(error));

  const guard = createRouteGuard(authorize, onError);
  const { send, sendMessage } = createSendRoutes({
    store,
    bus,
    guard,
    reserveReply: options.reply ?? true,
    maxBodyBytes: options.maxBodyBytes ?? 65_536,
    maxContentChars: options.maxContentChars ?? 16_000,
    onMessage: options.onMessage,
    onError,
  });
  const { history, stream } = createReadRoutes({
    store,
    bus,
    guard,
    defaultPageSize: options.defaultPageSize ?? 50,
    onError,
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
      const conversationId = decodeConversationId(match[1]!);
      if (conversationId instanceof Response) return conversationId;
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
