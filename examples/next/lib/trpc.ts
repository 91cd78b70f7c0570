import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import { type PostMessage, RequestError } from 'seqline/react';
import type { AppRouter } from '@/server/router';

export const trpc = createTRPCClient<AppRouter>({ links: [httpLink({ url: '/api/trpc' })] });

/**
 * `useSendMessage`'s send, as the tRPC mutation. A failure becomes a
 * `RequestError` with the HTTP status, so a network failure or a 5xx is
 * retried with the same clientId (stored once) and a 4xx marks the message failed.
 */
export const postMessage: PostMessage = async ({ conversationId, clientId, content, signal }) => {
  try {
    return await trpc.send.mutate({ conversationId, clientId, content }, { signal });
  } catch (error) {
    const status = error instanceof TRPCClientError ? error.data?.httpStatus : undefined;
    throw new RequestError(`[trpc] send: ${(error as Error).message}`, { status, cause: error });
  }
};
