import type { Message } from '../../core/schemas';
import { createConversationStream } from '../bus/createConversationStream';
import type { MessageBus } from '../bus/messageBus';
import { MAX_HISTORY_LIMIT, parseHistoryQuery } from '../historyQuery';
import type { MessageStore } from '../store/messageStore';
import { createSseResponse } from '../stream/sse';
import type { RouteGuard } from './gate';
import { json } from './http';

/** What the read routes need from `createMessageRoutes`' options, with defaults filled in. */
export interface ReadRoutesOptions {
  store: MessageStore;
  bus: MessageBus;
  guard: RouteGuard;
  defaultPageSize: number;
  onError: (error: unknown) => void;
}

/** The read routes: history pages and the live stream. */
export interface ReadRoutes {
  history(request: Request, conversationId: string): Promise<Response>;
  stream(request: Request, conversationId: string): Promise<Response>;
}

/** `GET …/messages` (a page of history) and `GET …/stream` (catch-up, then live), after `authorize`. */
export function createReadRoutes(options: ReadRoutesOptions): ReadRoutes {
  const { store, bus, guard, defaultPageSize, onError } = options;

  const history: ReadRoutes['history'] = (request, conversationId) =>
    guard.guarded(async () => {
      await guard.gate(request, conversationId, 'read');
      const { limit = defaultPageSize, ...range } = parseHistoryQuery(
        new URL(request.url).searchParams,
      );
      const messages = await store.list(conversationId, { ...range, limit });
      return json(200, { messages });
    });

  const stream: ReadRoutes['stream'] = (request, conversationId) =>
    guard.guarded(async () => {
      await guard.gate(request, conversationId, 'read');
      // A fresh client says where its loaded history ends (`?after=`): only what follows is sent.
      const { after } = parseHistoryQuery(new URL(request.url).searchParams);
      const source = createConversationStream({
        bus,
        conversationId,
        loadSnapshot: (id, from) => loadAllAfter(store, id, from),
        ...(after === undefined ? {} : { after }),
        onError,
      });
      return createSseResponse({ request, source, keepAliveMs: 15_000, retryMs: 1000 });
    });

  return { history, stream };
}

// ---------------------------------------------------------------------------

/** Every message after `after`, page by page (the stream's catch-up). */
async function loadAllAfter(
  store: MessageStore,
  conversationId: string,
  after: number,
): Promise<Message[]> {
  const all: Message[] = [];
  let from = after;
  for (;;) {
    const page = await store.list(conversationId, { after: from, limit: MAX_HISTORY_LIMIT });
    all.push(...page);
    if (page.length < MAX_HISTORY_LIMIT) return all;
    from = page.at(-1)!.sequence!;
  }
}
