/**
 * Opening a long conversation: time to the first rendered message and the
 * history requests it took, for 1,000, 10,000 and 100,000 messages, on the
 * shipped msw handlers with 20 ms of latency per request, rendering
 * `OrderedMessageList` with React's production build in jsdom. Then the
 * bytes a refetch of a 10,000-message conversation downloads after 5 new
 * messages. Both loaders in one run:
 *
 * - latest page: this package (one request for the newest 200 messages; a
 *   refetch asks only `after=lastSequence`);
 * - from 0 (baseline): the loader seqline shipped before, kept here: pages of
 *   200 forward from `after=0` until a short one, for the first load and for
 *   every refetch.
 *
 * The baseline renders every message it loaded (what the list did); its time
 * is mostly the sequential requests.
 *
 *   npm run bench -- history
 */
// biome-ignore-all lint/correctness/noComponentHookFactories: React is imported inside run(), after NODE_ENV=production is set.
import { loadReactInJsdom, until } from './jsdomGlobals';

const SIZES = [1_000, 10_000, 100_000];
const LATENCY_MS = 20;
const PAGE = 200;
const BASE = 'http://bench.test';

interface Opened {
  loader: string;
  size: number;
  firstMessageMs: number;
  requests: number;
}

export default async function run(): Promise<void> {
  const { React, createRoot, QueryClient, QueryClientProvider } = await loadReactInJsdom();
  const { setupServer } = await import('msw/node');
  const { createMessageHandlers } = await import('../src/msw/index');
  const seqlineReact = await import('../src/react/index');
  const { parseMessage } = await import('../src/index');
  const h = React.createElement;

  const server = setupServer();
  server.listen({ onUnhandledRequest: 'error' });
  const traffic = { requests: 0, bytes: 0 };
  server.events.on('response:mocked', async ({ request, response }) => {
    if (request.method !== 'GET' || !new URL(request.url).pathname.endsWith('/messages')) return;
    traffic.requests++;
    traffic.bytes += (await response.clone().arrayBuffer()).byteLength;
  });

  /** The loader seqline shipped before this change: forward from 0 until a short page. */
  async function loadFromZero(conversationId: string) {
    const fetchMessages = seqlineReact.createFetchMessages({ baseUrl: BASE });
    const messages: ReturnType<typeof parseMessage>[] = [];
    let after = 0;
    for (;;) {
      const page = await fetchMessages({ conversationId, after, limit: PAGE });
      for (const item of page) messages.push(parseMessage(item));
      if (page.length < PAGE) return { messages };
      after = messages.at(-1)!.sequence!;
    }
  }

  function seed(count: number) {
    return Array.from({ length: count }, (_, i) => ({
      role: i % 2 === 0 ? ('user' as const) : ('assistant' as const),
      content: `message ${i + 1} with some text`,
    }));
  }

  const renderMessage = ({ message }: { message: { content: string } }) =>
    h('p', { className: 'row' }, message.content);

  async function open(loader: 'latest page' | 'from 0', size: number, conversationId: string) {
    const queryClient = new QueryClient({
      defaultOptions: { queries: { retry: false, staleTime: Number.POSITIVE_INFINITY } },
    });
    const container = document.createElement('div');
    document.body.append(container);
    const root = createRoot(container);
    traffic.requests = 0;
    traffic.bytes = 0;
    const started = performance.now();
    if (loader === 'from 0') {
      // The cache is filled the old way first; the list then renders it without fetching.
      await queryClient.fetchQuery({
        queryKey: seqlineReact.messagesQueryKey(conversationId),
        queryFn: () => loadFromZero(conversationId),
      });
    }
    root.render(
      h(
        QueryClientProvider,
        { client: queryClient },
        h(seqlineReact.OrderedMessageList, {
          conversationId,
          history: { baseUrl: BASE, pageSize: PAGE },
          renderMessage,
        }),
      ),
    );
    await until(
      () => container.querySelector('.row') !== null,
      'the first message never reached the DOM',
      5_000_000,
    );
    const result: Opened = {
      loader,
      size,
      firstMessageMs: performance.now() - started,
      requests: traffic.requests,
    };
    const close = () => {
      root.unmount();
      container.remove();
    };
    return { result, queryClient, close };
  }

  const rows: Opened[] = [];
  const refetch: { loader: string; bytes: number; requests: number; newBytes: number }[] = [];
  for (const size of SIZES) {
    const conversationId = `c${size}`;
    const messages = seed(size);
    for (const loader of ['from 0', 'latest page'] as const) {
      const handlers = createMessageHandlers({
        seed: 1,
        reply: false,
        chaos: { latency: [LATENCY_MS, LATENCY_MS] },
        conversations: { [conversationId]: messages },
      });
      server.resetHandlers(...handlers);
      const opened = await open(loader, size, conversationId);
      rows.push(opened.result);
      if (size === 10_000) {
        // Five messages arrive, then a refetch (window focus, refetchInterval, reconnect).
        for (let i = 0; i < 5; i++) {
          await handlers.db.insert(conversationId, { role: 'user', content: `new ${i}` });
        }
        const fresh = handlers.db.history(conversationId, { after: size });
        const newBytes = new TextEncoder().encode(JSON.stringify({ messages: fresh })).byteLength;
        traffic.requests = 0;
        traffic.bytes = 0;
        await (loader === 'from 0'
          ? opened.queryClient.fetchQuery({
              queryKey: seqlineReact.messagesQueryKey(conversationId),
              queryFn: () => loadFromZero(conversationId),
              staleTime: 0,
            })
          : opened.queryClient.refetchQueries({
              queryKey: seqlineReact.messagesQueryKey(conversationId),
            }));
        refetch.push({ loader, bytes: traffic.bytes, requests: traffic.requests, newBytes });
      }
      opened.close();
    }
  }
  server.close();

  const baseline = (size: number) => rows.find((r) => r.size === size && r.loader === 'from 0')!;
  const smallest = rows.find((r) => r.size === SIZES[0] && r.loader === 'latest page')!;
  console.log(
    `Opening a conversation (msw, ${LATENCY_MS} ms per request, pages of ${PAGE}, jsdom, React production build)\n`,
  );
  console.log(
    '| messages | loader | requests | time to first message | vs from 0 | vs 1,000 (latest page) |',
  );
  console.log('|---:|---|---:|---:|---:|---:|');
  for (const row of rows) {
    const base = baseline(row.size);
    console.log(
      `| ${row.size.toLocaleString('en')} | ${row.loader} | ${row.requests} | ${row.firstMessageMs.toFixed(0)} ms | ${
        row.loader === 'from 0'
          ? '1x'
          : `${(base.firstMessageMs / row.firstMessageMs).toFixed(1)}x faster`
      } | ${row.loader === 'latest page' ? `${(row.firstMessageMs / smallest.firstMessageMs).toFixed(2)}x` : ''} |`,
    );
  }
  console.log('\nA refetch of the 10,000-message conversation after 5 new messages\n');
  console.log('| loader | requests | bytes downloaded | bytes of the 5 new messages |');
  console.log('|---|---:|---:|---:|');
  for (const row of refetch) {
    console.log(
      `| ${row.loader} | ${row.requests} | ${row.bytes.toLocaleString('en')} | ${row.newBytes.toLocaleString('en')} |`,
    );
  }
}
