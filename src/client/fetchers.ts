import { CodedSeqlineError } from '../core/errors';
import { type Message, type MessageRole, parseMessage } from '../index';

/** How the default fetchers reach the server (seqline's wire protocol, docs/protocol.md). */
export interface FetchOptions {
  /**
   * Prefix of every URL, e.g. `'https://api.example.com'` or `'/api'`.
   * @default '' (same origin)
   */
  baseUrl?: string;
  /**
   * The `fetch` to call, e.g. one that adds auth.
   * @default globalThis.fetch
   */
  fetch?: typeof globalThis.fetch;
  /** Extra headers on every request (auth, tenancy, …). */
  headers?: Record<string, string>;
}

/**
 * One history request: `GET {base}/conversations/:id/messages` with
 * `?after=&limit=` (newer than `after`), `?before=&limit=` (the page just
 * below `before`) or `?limit=` alone (the latest page).
 */
export interface FetchMessagesParams {
  conversationId: string;
  /** Messages with a sequence above this one (gap fills, refetches). */
  after?: number;
  /** The messages just below this sequence (older pages). Never set with `after`. */
  before?: number;
  /** At most this many, ascending. */
  limit: number;
  signal?: AbortSignal;
}

/** Loads one page of history, ascending by sequence. Each message is validated by the caller. */
export type FetchMessages = (params: FetchMessagesParams) => Promise<readonly unknown[]>;

/** One send: `POST {base}/conversations/:id/messages`, idempotent on `clientId`. */
export interface PostMessageParams {
  conversationId: string;
  clientId: string;
  role: MessageRole;
  content: string;
  /** Extra fields of the draft (attachments, metadata, …), sent in the body as they are. */
  extra?: Record<string, unknown>;
  signal?: AbortSignal;
}

/** What a send returns: the stored message and, optionally, the assistant reply's placeholder. */
export interface PostMessageResult {
  message: unknown;
  reply?: unknown;
}

/** Why a request failed, for programmatic handling. */
export type RequestErrorCode =
  /** No response arrived (the network failed, CORS, DNS, …); `status` is undefined. */
  | 'NETWORK'
  /** The server answered an error status (`status`, maybe `retryAfterMs`). */
  | 'HTTP_STATUS'
  /** The server answered, but not with seqline's wire protocol (e.g. no `{ messages }`). */
  | 'BAD_RESPONSE';

/**
 * A request of the default fetchers failed: the network failed (`status`
 * undefined, code `NETWORK`), the server answered an error status
 * (`HTTP_STATUS`) or a body that is not the wire protocol (`BAD_RESPONSE`).
 * `useSendMessage` retries the transient ones (network, 408, 429, 5xx) and
 * honours `retryAfterMs` (the response's `Retry-After`). A custom fetcher may
 * throw one too; without `code`, it follows from `status`.
 */
export class RequestError extends CodedSeqlineError<RequestErrorCode> {
  override name = 'RequestError';
  /** The HTTP status, or undefined when no response arrived. */
  readonly status: number | undefined;
  /** The server's `Retry-After`, in milliseconds, if it sent one. */
  readonly retryAfterMs: number | undefined;

  constructor(
    message: string,
    options: ErrorOptions & {
      status?: number;
      retryAfterMs?: number;
      code?: RequestErrorCode;
    } = {},
  ) {
    super(
      options.code ?? (options.status === undefined ? 'NETWORK' : 'HTTP_STATUS'),
      message,
      options,
    );
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** Sends one message; resolves with the server's stored copy. */
export type PostMessage = (params: PostMessageParams) => Promise<PostMessageResult>;

/** `{base}/conversations/:id` with the id URL-encoded. */
export function conversationUrl(conversationId: string, options: FetchOptions = {}): string {
  return `${options.baseUrl ?? ''}/conversations/${encodeURIComponent(conversationId)}`;
}

/**
 * The default history fetcher: `GET …/messages?after=&limit=`,
 * `?before=&limit=` or `?limit=` (the latest page) → `{ messages }`.
 *
 * @example
 * const fetchMessages = createFetchMessages({ baseUrl: '/api' });
 */
export function createFetchMessages(options: FetchOptions = {}): FetchMessages {
  return async ({ conversationId, after, before, limit, signal }) => {
    const from =
      after !== undefined ? `after=${after}&` : before !== undefined ? `before=${before}&` : '';
    const url = `${conversationUrl(conversationId, options)}/messages?${from}limit=${limit}`;
    const body = await request(options, url, { signal });
    const messages = (body as { messages?: unknown })?.messages;
    if (!Array.isArray(messages)) {
      throw new RequestError(`[seqline] [client] GET ${url} did not return { messages: [...] }`, {
        code: 'BAD_RESPONSE',
      });
    }
    return messages;
  };
}

/**
 * The default send: `POST …/messages` with `{ clientId, role, content }` →
 * `{ message, reply? }`.
 *
 * @example
 * const postMessage = createPostMessage({ baseUrl: '/api' });
 */
export function createPostMessage(options: FetchOptions = {}): PostMessage {
  return async ({ conversationId, clientId, role, content, extra, signal }) => {
    const url = `${conversationUrl(conversationId, options)}/messages`;
    const body = await request(options, url, {
      method: 'POST',
      body: JSON.stringify({ ...extra, clientId, role, content }),
      signal,
    });
    const result = body as Partial<PostMessageResult> | null;
    if (!result || result.message === undefined) {
      throw new RequestError(`[seqline] [client] POST ${url} did not return { message }`, {
        code: 'BAD_RESPONSE',
      });
    }
    return result as PostMessageResult;
  };
}

/**
 * Every message above `after`, validated: pages of `pageSize` until one
 * comes back short. What a refetch asks for: only what is newer than the
 * timeline holds.
 */
export async function loadNewer(
  fetchMessages: FetchMessages,
  conversationId: string,
  after: number,
  pageSize: number,
  signal?: AbortSignal,
): Promise<Message[]> {
  const messages: Message[] = [];
  for (;;) {
    const page = await fetchMessages({ conversationId, after, limit: pageSize, signal });
    for (const item of page) messages.push(parseMessage(item));
    const last = messages.at(-1)?.sequence;
    // A short page, or one that does not move forward, is the end.
    if (page.length < pageSize || last == null || last <= after) return messages;
    after = last;
  }
}

/** One page (latest, or just below `before`), validated. */
export async function loadPage(
  fetchMessages: FetchMessages,
  params: FetchMessagesParams,
): Promise<Message[]> {
  return (await fetchMessages(params)).map((item) => parseMessage(item));
}

// ---------------------------------------------------------------------------

async function request(options: FetchOptions, url: string, init: RequestInit): Promise<unknown> {
  const doFetch = options.fetch ?? globalThis.fetch;
  const method = init.method ?? 'GET';
  let response: Response;
  try {
    response = await doFetch(url, {
      ...init,
      headers: {
        accept: 'application/json',
        'content-type': 'application/json',
        ...options.headers,
      },
    });
  } catch (cause) {
    if ((cause as Error)?.name === 'AbortError') throw cause;
    throw new RequestError(`[seqline] [client] ${method} ${url} failed: ${String(cause)}`, {
      cause,
    });
  }
  if (!response.ok) {
    const detail = await errorDetail(response);
    throw new RequestError(
      `[seqline] [client] ${method} ${url} answered ${response.status}${detail ? `: ${detail}` : ''}; check the server implements the seqline wire protocol (docs/protocol.md in the seqline package)`,
      { status: response.status, retryAfterMs: retryAfterMs(response.headers.get('retry-after')) },
    );
  }
  return response.json();
}

/** The `error.message` of a JSON error body (`{ error: { message } }`), if there is one. */
async function errorDetail(response: Response): Promise<string | undefined> {
  try {
    const body = (await response.json()) as { error?: { message?: unknown } } | null;
    const message = body?.error?.message;
    return typeof message === 'string' ? message : undefined;
  } catch {
    return undefined;
  }
}

/** `Retry-After` as milliseconds: delay-seconds or an HTTP date. */
function retryAfterMs(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  if (header.trim() !== '' && Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
