// GET /api/conversations/:id/messages?after=|before=&limit=: a page of history.
// (Sends go through the tRPC mutation, server/router.ts.)
import { routes, schemaReady } from '@/lib/seqline';

export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }) {
  await schemaReady();
  return routes.history(request, (await params).id);
}
