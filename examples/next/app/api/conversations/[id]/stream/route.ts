// GET /api/conversations/:id/stream: the conversation's events as Server-Sent Events,
// resumed after Last-Event-ID. The bus it listens to is lib/seqline.ts's, which the
// tRPC send publishes to.
import { routes, schemaReady } from '@/lib/seqline';

// A stream is never cached or prerendered.
export const dynamic = 'force-dynamic';

export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }) {
  await schemaReady();
  return routes.stream(request, (await params).id);
}
