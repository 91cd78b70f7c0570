// The tRPC router, mounted at /api/trpc.
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { MessageRouteError } from 'seqline/server';
import { appRouter } from '@/server/router';

const handler = (request: Request) =>
  fetchRequestHandler({
    endpoint: '/api/trpc',
    req: request,
    router: appRouter,
    createContext: () => ({ request }),
    // Every other failure reaches the server log with its cause (the routes log their own 5xx).
    onError: ({ path, error }) => {
      if (!(error.cause instanceof MessageRouteError)) console.error(`[trpc] ${path}:`, error);
    },
  });

export { handler as GET, handler as POST };
