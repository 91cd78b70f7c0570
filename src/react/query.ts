/**
 * seqline/query: the parts of seqline/react that run anywhere — the history
 * query's options and key, the default fetchers, the conversation store —
 * without React and without `"use client"`, so a React Server Component can
 * prefetch a conversation (`queryClient.prefetchQuery(messagesQueryOptions(id))`)
 * and hand it to the client with `dehydrate`. Since issue 16 it is the whole
 * framework-free layer, seqline/client, under the name React apps know;
 * seqline/react exports the same (one copy: the build shares them).
 */
export * from '../client/index';
