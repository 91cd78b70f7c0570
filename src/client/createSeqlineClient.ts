import type { FetchOptions } from './fetchers';

/**
 * How one app reaches its seqline server, set once: the base URL, the
 * `fetch` and the headers every request, stream and send use. React apps
 * hand it to `<SeqlineProvider client>`; elsewhere pass `client.options` to
 * `messagesQueryOptions`, `createStreamController`, `createFetchMessages`, ….
 */
export interface SeqlineClient {
  /** The fetch options given to `createSeqlineClient`. */
  readonly options: Readonly<FetchOptions>;
}

/**
 * One client per app: fetch options set once instead of on every hook or
 * call. Options a hook is given win over these, and its `headers` are added
 * to these.
 *
 * @example
 * const seqline = createSeqlineClient({ baseUrl: '/api', headers: { authorization } });
 * <SeqlineProvider client={seqline}>…</SeqlineProvider>  // React
 * createStreamController(queryClient, 'c1', seqline.options).start(); // anywhere
 */
export function createSeqlineClient(options: FetchOptions = {}): SeqlineClient {
  return { options: { ...options } };
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
    headers: defaults.headers ? { ...defaults.headers, ...options.headers } : options.headers,
  };
}
