import { createContext, type ReactNode, useContext } from 'react';
import { type SeqlineClient, withFetchOptions } from '../client/createSeqlineClient';
import type { FetchOptions } from '../client/fetchers';

const SeqlineContext = createContext<SeqlineClient | undefined>(undefined);

/** Props of `SeqlineProvider`. */
export interface SeqlineProviderProps {
  /** From `createSeqlineClient({ baseUrl, fetch, headers })`. */
  client: SeqlineClient;
  children?: ReactNode;
}

/**
 * Sets the fetch options of every seqline hook and `OrderedMessageList`
 * below it, once: `useMessages(id)`, `useMessageStream(id)` and
 * `useSendMessage(id)` then need no `baseUrl`, `fetch` or `headers`. Options
 * a hook is given still win (its `headers` are added). Put it inside
 * TanStack's `QueryClientProvider`.
 *
 * @example
 * const seqline = createSeqlineClient({ baseUrl: '/api' });
 * <QueryClientProvider client={queryClient}>
 *   <SeqlineProvider client={seqline}><Chat /></SeqlineProvider>
 * </QueryClientProvider>
 */
export function SeqlineProvider({ client, children }: SeqlineProviderProps) {
  return <SeqlineContext.Provider value={client}>{children}</SeqlineContext.Provider>;
}

/** The `SeqlineProvider`'s client, if there is one. */
export function useSeqlineClient(): SeqlineClient | undefined {
  return useContext(SeqlineContext);
}

/** A hook's options over the provider's fetch options (the same object without a provider). */
export function useFetchOptions<T extends FetchOptions>(options: T): T {
  return withFetchOptions(useSeqlineClient()?.options, options);
}
