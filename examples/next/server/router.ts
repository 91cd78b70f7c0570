/**
 * The tRPC router. `send` goes through `routes.sendMessage`, the same path as
 * the protocol's POST: authorize, the idempotent append with the reply
 * reserved, the bus publish that the stream route hears, and the reply
 * started. A refusal keeps its status (403, 409, 503…) as a tRPC error.
 */
import { initTRPC, TRPCError } from '@trpc/server';
import { MessageRouteError } from 'seqline/server';
import { z } from 'zod';
import { routes, schemaReady } from '@/lib/seqline';

const t = initTRPC.context<{ request: Request }>().create();

const CODES: Record<number, TRPCError['code']> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  422: 'UNPROCESSABLE_CONTENT',
  503: 'SERVICE_UNAVAILABLE',
};

export const appRouter = t.router({
  send: t.procedure
    .input(z.object({ conversationId: z.string(), clientId: z.string(), content: z.string() }))
    .mutation(async ({ input, ctx }) => {
      try {
        await schemaReady();
        return await routes.sendMessage(ctx.request, input);
      } catch (error) {
        // Already logged by the routes' onError when it is a server failure.
        const code = error instanceof MessageRouteError ? CODES[error.status] : undefined;
        throw new TRPCError({
          code: code ?? 'INTERNAL_SERVER_ERROR',
          message: error instanceof Error ? error.message : String(error),
          cause: error,
        });
      }
    }),
});

export type AppRouter = typeof appRouter;
