import type { QueryClient } from '@tanstack/query-core';
import { type CreateEventSource, createFetchEventSource } from './eventSource';
import {
  createFetchMessages,
  createPostMessage,
  type FetchMessages,
  type FetchOptions,
  type PostMessage,
} from './fetchers';
import {
  type MessagesQueryInput,
  type MessagesQueryOptions,
  messagesQueryOptions,
} from './messagesQueryOptions';
import {
  createStreamController,
  type StreamController,
  type StreamOptions,
} from './streamController';

/**
 * How one app reaches its seqline server, set once: the base URL, the
 * `fetch` and the headers every request, stream and send use. React apps
 * hand it to `<SeqlineProvider client>`; other frameworks call its methods.
 */
export interface SeqlineClient {
  /** The fetch options given to `createSeqlineClient`. */
  readonly options: Readonly<FetchOptions>;
  /** The default history fetcher with these options. */
  readonly fetchMessages: FetchMessages;
  /** The default send with these options. */
  readonly postMessage: PostMessage;
  /** The EventSource over fetch with these options. */
  readonly createEventSource: CreateEventSource;
  /** `messagesQueryOptions(conversationId, input)` with these fetch options under `input`. */
  messagesQueryOptions(conversationId: string, input?: MessagesQueryInput): MessagesQueryOptions;
  /** `createStreamController(queryClient, conversationId, options)` with these fetch options under `options`. */
  createStreamController(
    queryClient: QueryClient,
    conversationId: string,
    options?: StreamOptions,
  ): StreamController;
}

/**
 * One client per app: fetch options set once instead of on every hook or
 * call. Options given later (to a hook or a method) win over these, and
 * their `headers` are added to these.
 *
 * @example
 * const seqline = createSeqlineClient({ baseUrl: '/api', headers: { authorization } });
 * <SeqlineProvider client={seqline}>…</SeqlineProvider>  // React
 * seqline.createStreamController(queryClient, 'c1').start(); // anywhere
 */
export function createSeqlineClient(options: FetchOptions = {}): SeqlineClient {
  const own = { ...options };
  return {
    options: own,
    fetchMessages: createFetchMessages(own),
    postMessage: createPostMessage(own),
    createEventSource: createFetchEventSource(own),
    messagesQueryOptions: (conversationId, input = {}) =>
      messagesQueryOptions(conversationId, withFetchOptions(own, input)),
    createStreamController: (queryClient, conversationId, stream = {}) =>
      createStreamController(queryClient, conversationId, withFetchOptions(own, stream)),
  };
}

/**
 * `options` over `defaults`: each fetch option `options` sets wins, and
 * `headers` are merged (theirs over the defaults'). The same object when
 * there are no defaults, so hooks without a client allocate nothing.
 */
export function withFetchOptions<T extends FetchOptions>(
  defaults: FetchOptions | undefined,
  options: T,
): T {
  if (!defaults) return options;
  return {
    ...options,
    baseUrl: options.baseUrl ?? defaults.baseUrl,
    fetch: options.fetch ?? defaults.fetch,
    headers:
      defaults.headers && options.headers
        ? { ...defaults.headers, ...options.headers }
        : (options.headers ?? defaults.headers),
  };
}
