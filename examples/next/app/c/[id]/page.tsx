// A conversation, server-rendered with its history: the first paint shows the messages,
// not "No messages yet.". The Server Component reads the store directly (no HTTP call to
// its own API) through seqline/query, which has no "use client".
import { dehydrate, HydrationBoundary, QueryClient } from '@tanstack/react-query';
import { headers } from 'next/headers';
import { notFound } from 'next/navigation';
import { messagesQueryOptions } from 'seqline/query';
import { schemaReady, store } from '@/lib/seqline';
import { mayAccess, sessionUser } from '@/lib/session';
import { Chat } from './Chat';

export default async function ConversationPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  // The same rule as the routes' authorize: no history for whoever guesses the id.
  if (!mayAccess(sessionUser((await headers()).get('cookie')), id)) notFound();
  await schemaReady();
  const queryClient = new QueryClient();
  // fetchQuery, not prefetchQuery: a database error reaches the log and the error page.
  await queryClient.fetchQuery(
    messagesQueryOptions(id, {
      fetchMessages: ({ conversationId, after, before, limit }) =>
        store.list(conversationId, { after, before, limit }),
    }),
  );
  return (
    <main>
      <h1>{id}</h1>
      <HydrationBoundary state={dehydrate(queryClient)}>
        <Chat conversationId={id} />
      </HydrationBoundary>
    </main>
  );
}
