/**
 * Recipe: the SSE stream as a Next.js App Router route handler, in
 * `app/api/conversations/[id]/stream/route.ts`. It resumes after the
 * client's `Last-Event-ID`, catching up from the database, then goes live
 * from the bus the send route publishes to. See docs/recipes/README.md.
 */
import type { NextRequest } from 'next/server';
import type { Message } from 'seqline';
import { createConversationStream, createMemoryBus, createSseResponse } from 'seqline/server';

// Streams need the Node.js runtime and must never be cached or prerendered.
export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** One bus per process here; with several instances use createRedisBus (seqline/redis). */
export const bus = createMemoryBus();

/** Your data access: messages with a sequence above `after`, ascending (Drizzle, Prisma, pg…). */
declare function loadMessagesAfter(conversationId: string, after: number): Promise<Message[]>;

export async function GET(request: NextRequest, context: { params: Promise<{ id: string }> }) {
  const { id } = await context.params;
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) {
    return Response.json(
      { error: { code: 'INVALID_CONVERSATION_ID', message: 'Bad conversation id.' } },
      { status: 400 },
    );
  }
  return createSseResponse({
    request, // reads Last-Event-ID and closes the stream when the client leaves
    source: createConversationStream({ bus, conversationId: id, loadSnapshot: loadMessagesAfter }),
    retryMs: 1000,
  });
}
