import { CodedSeqlineError } from '../../core/errors';
import { HistoryQueryError } from '../historyQuery';
import { MessageStoreError } from '../store/messageStore';
import { fail, type MessageRouteErrorCode } from './http';

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

/**
 * A send or read the routes refused or failed: `status` and `code` are what
 * the HTTP handlers answer with (`{ error: { code, message } }`), e.g. 403
 * `FORBIDDEN`, 400 `INVALID_CONTENT`, 409 `CLIENT_ID_CONFLICT`, 503
 * `UNAVAILABLE` (retry with the same clientId). A 5xx was already passed to
 * `onError`. `response` is the `Response` an `authorize` answered with.
 */
export class MessageRouteError extends CodedSeqlineError<MessageRouteErrorCode> {
  override name = 'MessageRouteError';
  readonly status: number;
  readonly response: Response | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(
    status: number,
    code: MessageRouteErrorCode,
    message: string,
    options: ErrorOptions & { response?: Response; headers?: Record<string, string> } = {},
  ) {
    super(code, message, options);
    this.status = status;
    this.response = options.response;
    this.headers = options.headers;
  }
}

/** The checks and error mapping every route shares (createMessageRoutes', seqline/ai's stop). */
export interface RouteGuard {
  /** Validates the id and asks `authorize`; throws a MessageRouteError to refuse. */
  gate(request: Request, conversationId: string, action: RouteAction): Promise<void>;
  /** Any failure as a MessageRouteError: a store's typed errors are 4xx/503, anything else a logged 500. */
  asRouteError(error: unknown): MessageRouteError;
  /** Runs a route; a refusal or failure becomes its JSON error response. */
  guarded(work: () => Promise<Response>): Promise<Response>;
}

/** A conversation id the routes accept: 1 to 255 characters, no control characters. */
const CONVERSATION_ID = /^[^\p{Cc}]{1,255}$/u;

/** The shared {@link RouteGuard} over one `authorize` and `onError`. */
export function createRouteGuard(
  authorize: Authorize,
  onError: (error: unknown) => void,
): RouteGuard {
  const gate: RouteGuard['gate'] = async (request, conversationId, action) => {
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

  const asRouteError: RouteGuard['asRouteError'] = (error) => {
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

  const guarded: RouteGuard['guarded'] = async (work) => {
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

  return { gate, asRouteError, guarded };
}

/**
 * The conversation id in a matched path segment, decoded; a 400
 * `INVALID_CONVERSATION_ID` response when it is not valid percent-encoding.
 */
export function decodeConversationId(segment: string): string | Response {
  try {
    return decodeURIComponent(segment);
  } catch {
    return fail(
      400,
      'INVALID_CONVERSATION_ID',
      'the conversation id is not valid percent-encoding',
    );
  }
}

/** A MessageRouteError with the `[seqline] [routes]` prefix. */
export function refuse(
  status: number,
  code: MessageRouteErrorCode,
  message: string,
  options?: ConstructorParameters<typeof MessageRouteError>[3],
): MessageRouteError {
  return new MessageRouteError(status, code, `[seqline] [routes] ${message}`, options);
}

// ---------------------------------------------------------------------------

/** An error's message without its `[seqline] ` prefix (`fail` adds it back). */
function stripPrefix(error: Error): string {
  return error.message.replace(/^\[seqline\] (\[routes\] )?/, '');
}
